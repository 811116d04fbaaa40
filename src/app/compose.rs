//! The compose form: From, To, Cc, Bcc, Subject, the attachments and the
//! body editor, their validation messages, and the draft as it is stored
//! between runs.
//!
//! The body is a `ratatui_textarea::TextArea`; every use of that crate stays
//! in this file and in `ui/compose.rs`, so replacing it is a two-file change.

use ratatui::style::{Modifier, Style};
use ratatui_textarea::{CursorMove, Input, TextArea, WrapMode};
use serde::{Deserialize, Serialize};

use std::path::PathBuf;

use super::{Key, KeyCode, attachments::Attachments, line::LineInput};
use crate::mail::{self, DraftInput, Field};

/// A field of the compose form, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ComposeField {
    /// The author.
    From,
    /// Where replies go.
    ReplyTo,
    /// Recipients shown in the letter.
    To,
    /// Copies shown in the letter.
    Cc,
    /// Blind copies: envelope only.
    Bcc,
    /// The subject line.
    Subject,
    /// The attached files (focusable when there are any).
    Attachments,
    /// The message text.
    Body,
}

impl ComposeField {
    /// Every field, in Tab order.
    pub const ALL: [ComposeField; 8] = [
        ComposeField::From,
        ComposeField::ReplyTo,
        ComposeField::To,
        ComposeField::Cc,
        ComposeField::Bcc,
        ComposeField::Subject,
        ComposeField::Attachments,
        ComposeField::Body,
    ];

    /// The label shown in front of the field.
    pub fn label(self) -> &'static str {
        match self {
            ComposeField::From => "From",
            ComposeField::ReplyTo => "Reply-To",
            ComposeField::To => "To",
            ComposeField::Cc => "Cc",
            ComposeField::Bcc => "Bcc",
            ComposeField::Subject => "Subject",
            ComposeField::Attachments => "Attach",
            ComposeField::Body => "Body",
        }
    }

    /// The next field (`forward`) or the previous one, wrapping around.
    #[must_use]
    pub fn step(self, forward: bool) -> ComposeField {
        super::settings::cycle(&ComposeField::ALL, self, forward)
    }

    /// The compose field a letter-builder error is about; `None` for the
    /// envelope sender (a setting) and for errors without a field.
    pub fn of_error(error: &mail::Error) -> Option<ComposeField> {
        let field = match error {
            mail::Error::InvalidAddress { field, .. } | mail::Error::HeaderInjection { field } => {
                *field
            }
            mail::Error::MissingFrom => Field::From,
            mail::Error::NoRecipients => Field::To,
            mail::Error::NeedsSmtpUtf8 { field, .. } => (*field)?,
            _ => return None,
        };
        match field {
            Field::From => Some(ComposeField::From),
            Field::ReplyTo => Some(ComposeField::ReplyTo),
            Field::To => Some(ComposeField::To),
            Field::Cc => Some(ComposeField::Cc),
            Field::Bcc => Some(ComposeField::Bcc),
            Field::Subject => Some(ComposeField::Subject),
            Field::Body => Some(ComposeField::Body),
            Field::EnvelopeFrom => None,
        }
    }
}

/// An error's message without its `Field: ` prefix, for showing under the
/// field it names.
pub fn message_without_field(error: &mail::Error) -> String {
    let text = error.to_string();
    let field = match error {
        mail::Error::InvalidAddress { field, .. } | mail::Error::HeaderInjection { field } => {
            Some(*field)
        }
        mail::Error::MissingFrom => Some(Field::From),
        mail::Error::NoRecipients => Some(Field::To),
        mail::Error::NeedsSmtpUtf8 { field, .. } => *field,
        _ => None,
    };
    match field {
        Some(f) => text
            .strip_prefix(&format!("{f}: "))
            .map_or_else(|| text.clone(), str::to_owned),
        None => text,
    }
}

/// The compose form.
#[derive(Debug)]
pub struct ComposeForm {
    /// From.
    pub from: LineInput,
    /// Reply-To (comma separated).
    pub reply_to: LineInput,
    /// To (comma separated).
    pub to: LineInput,
    /// Cc (comma separated).
    pub cc: LineInput,
    /// Bcc (comma separated).
    pub bcc: LineInput,
    /// Subject.
    pub subject: LineInput,
    /// The attached files.
    pub attachments: Attachments,
    body: TextArea<'static>,
    /// Validation messages, shown under their fields.
    pub errors: Vec<(ComposeField, String)>,
}

impl ComposeForm {
    /// A form holding `input` (its envelope sender belongs to the settings).
    pub fn new(input: &DraftInput) -> ComposeForm {
        let mut form = ComposeForm {
            from: LineInput::new(&input.from),
            reply_to: LineInput::new(&input.reply_to),
            to: LineInput::new(&input.to),
            cc: LineInput::new(&input.cc),
            bcc: LineInput::new(&input.bcc),
            subject: LineInput::new(&input.subject),
            attachments: Attachments::default(),
            body: body_editor(&input.body),
            errors: Vec::new(),
        };
        // Continue writing where the letter ends.
        form.body.move_cursor(CursorMove::Bottom);
        form.body.move_cursor(CursorMove::End);
        form
    }

    /// A single-line field (`None` for the body).
    pub fn line(&self, field: ComposeField) -> Option<&LineInput> {
        match field {
            ComposeField::From => Some(&self.from),
            ComposeField::ReplyTo => Some(&self.reply_to),
            ComposeField::To => Some(&self.to),
            ComposeField::Cc => Some(&self.cc),
            ComposeField::Bcc => Some(&self.bcc),
            ComposeField::Subject => Some(&self.subject),
            ComposeField::Attachments | ComposeField::Body => None,
        }
    }

    pub(super) fn line_mut(&mut self, field: ComposeField) -> Option<&mut LineInput> {
        match field {
            ComposeField::From => Some(&mut self.from),
            ComposeField::ReplyTo => Some(&mut self.reply_to),
            ComposeField::To => Some(&mut self.to),
            ComposeField::Cc => Some(&mut self.cc),
            ComposeField::Bcc => Some(&mut self.bcc),
            ComposeField::Subject => Some(&mut self.subject),
            ComposeField::Attachments | ComposeField::Body => None,
        }
    }

    /// The next field (`forward`) or the previous one, wrapping around; the
    /// attachments row only when it holds something.
    pub fn step(&self, field: ComposeField, forward: bool) -> ComposeField {
        let mut next = field.step(forward);
        if next == ComposeField::Attachments && self.attachments.is_empty() {
            next = next.step(forward);
        }
        next
    }

    /// The body editor, for drawing.
    pub fn body(&self) -> &TextArea<'static> {
        &self.body
    }

    /// The body text with `\n` line ends.
    pub fn body_text(&self) -> String {
        self.body.lines().join("\n")
    }

    /// Whether a field holds nothing but white space.
    pub fn is_blank(&self, field: ComposeField) -> bool {
        match (self.line(field), field) {
            (Some(line), _) => line.is_blank(),
            (None, ComposeField::Attachments) => self.attachments.is_empty(),
            (None, _) => self.body.lines().iter().all(|l| l.trim().is_empty()),
        }
    }

    /// The first empty field (From, To, Cc, Bcc, Subject, Body); the body
    /// when all are filled.
    pub fn first_empty(&self) -> ComposeField {
        ComposeField::ALL
            .into_iter()
            .filter(|f| !matches!(f, ComposeField::ReplyTo | ComposeField::Attachments))
            .find(|f| self.is_blank(*f))
            .unwrap_or(ComposeField::Body)
    }

    /// Whether there is a letter beyond the sender (something to lose).
    pub fn has_letter(&self) -> bool {
        // Past From and Reply-To, which a new letter keeps.
        ComposeField::ALL[2..].iter().any(|f| !self.is_blank(*f))
    }

    /// What the user typed, for [`mail::Draft::parse`]. The body's lines are
    /// joined with CRLF, the form the letter will have.
    pub fn draft_input(&self, envelope_from: &str) -> DraftInput {
        DraftInput {
            from: self.from.text().to_owned(),
            reply_to: self.reply_to.text().to_owned(),
            to: self.to.text().to_owned(),
            cc: self.cc.text().to_owned(),
            bcc: self.bcc.text().to_owned(),
            subject: self.subject.text().to_owned(),
            body: self.body.lines().join("\r\n"),
            envelope_from: envelope_from.to_owned(),
        }
    }

    /// The form as stored between runs.
    pub fn stored(&self, sent: bool) -> StoredDraft {
        StoredDraft {
            from: self.from.text().to_owned(),
            reply_to: self.reply_to.text().to_owned(),
            to: self.to.text().to_owned(),
            cc: self.cc.text().to_owned(),
            bcc: self.bcc.text().to_owned(),
            subject: self.subject.text().to_owned(),
            body: self.body_text(),
            attachments: self.attachments.paths(),
            sent,
        }
    }

    /// Empties everything but From, for a new letter.
    pub fn clear_letter(&mut self) {
        for field in [
            ComposeField::To,
            ComposeField::Cc,
            ComposeField::Bcc,
            ComposeField::Subject,
        ] {
            if let Some(line) = self.line_mut(field) {
                line.clear();
            }
        }
        self.body = body_editor("");
        self.attachments.clear();
        self.errors.clear();
    }

    /// Replaces the body with `text` and puts the cursor at its start (a
    /// new letter above the signature).
    pub fn set_body_above(&mut self, text: &str) {
        self.body = body_editor(text);
        self.body.move_cursor(CursorMove::Top);
        self.body.move_cursor(CursorMove::Head);
    }

    /// Replaces the body (the text the editor gave back), keeping the
    /// cursor at its end.
    pub fn set_body(&mut self, text: &str) {
        self.body = body_editor(text);
        self.body.move_cursor(CursorMove::Bottom);
        self.body.move_cursor(CursorMove::End);
    }

    /// Scrolls the body back to its top (keeping the cursor in view), so
    /// that a larger window after a resize shows the letter from the start.
    pub fn reset_view(&mut self) {
        let ratatui_textarea::DataCursor(row, col) = self.body.cursor();
        self.body.scroll((-i16::MAX, -i16::MAX));
        let clamp = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        self.body
            .move_cursor(CursorMove::Jump(clamp(row), clamp(col)));
    }

    /// Applies a key to a field; returns whether the letter changed.
    pub fn key(&mut self, field: ComposeField, key: &Key) -> bool {
        if field == ComposeField::Attachments {
            return self.attachments_key(key);
        }
        match self.line_mut(field) {
            Some(line) => line.edit(key) == super::line::Edit::Changed,
            None => match textarea_input(key) {
                Some(input) => self.body.input(input),
                None => false,
            },
        }
    }

    /// ← → choose a file, Delete (or Backspace) removes it.
    fn attachments_key(&mut self, key: &Key) -> bool {
        match key.code {
            KeyCode::Left => self.attachments.select_next(false),
            KeyCode::Right => self.attachments.select_next(true),
            KeyCode::Delete | KeyCode::Backspace => {
                return self.attachments.remove_selected().is_some();
            }
            _ => {}
        }
        false
    }

    /// Inserts pasted text; returns whether the text changed.
    pub fn paste(&mut self, field: ComposeField, text: &str) -> bool {
        // A list pasted one address a line (from a spreadsheet, a mail
        // client) becomes a comma-separated one in an address field.
        let joined;
        let text = if matches!(
            field,
            ComposeField::To | ComposeField::Cc | ComposeField::Bcc
        ) && text.trim().contains('\n')
        {
            joined = text
                .lines()
                .map(|l| l.trim().trim_end_matches(','))
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            joined.as_str()
        } else {
            text
        };
        match (self.line_mut(field), field) {
            (Some(line), _) => line.insert_str(text),
            (None, ComposeField::Attachments) => false,
            (None, _) => self
                .body
                .insert_str(text.replace("\r\n", "\n").replace('\r', "\n")),
        }
    }

    /// The message for a field, if it has one.
    pub fn error(&self, field: ComposeField) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Replaces the messages with those of `errors` that name a compose
    /// field and pass `keep`.
    pub fn set_errors(
        &mut self,
        errors: &[mail::Error],
        mut keep: impl FnMut(ComposeField) -> bool,
    ) {
        self.errors = errors
            .iter()
            .filter_map(|e| {
                let field = ComposeField::of_error(e)?;
                keep(field).then(|| (field, message_without_field(e)))
            })
            .collect();
    }
}

/// The body editor with the look the form wants: no underlined cursor line,
/// no drawn cursor (the terminal's own cursor is placed there), soft wrap.
fn body_editor(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut body = TextArea::new(lines);
    body.set_cursor_line_style(Style::default());
    body.set_cursor_style(Style::default());
    body.set_wrap_mode(WrapMode::WordOrGlyph);
    body.set_placeholder_text("Write the letter here.");
    body.set_placeholder_style(Style::default().add_modifier(Modifier::DIM));
    body
}

/// Our key as the editor's input; `None` for keys it must not see.
fn textarea_input(key: &Key) -> Option<Input> {
    use ratatui_textarea::Key as K;
    let code = match key.code {
        KeyCode::Char(c) => K::Char(c),
        KeyCode::F(n) => K::F(n),
        KeyCode::Enter => K::Enter,
        KeyCode::Backspace => K::Backspace,
        KeyCode::Delete => K::Delete,
        KeyCode::Left => K::Left,
        KeyCode::Right => K::Right,
        KeyCode::Up => K::Up,
        KeyCode::Down => K::Down,
        KeyCode::Home => K::Home,
        KeyCode::End => K::End,
        KeyCode::PageUp => K::PageUp,
        KeyCode::PageDown => K::PageDown,
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Esc => return None,
    };
    Some(Input {
        key: code,
        ctrl: key.ctrl,
        alt: key.alt,
        shift: key.shift,
    })
}

/// The letter being written, as saved between runs (TOML in the data
/// directory). `sent` marks a letter that went out to every recipient: the
/// next start keeps only its sender.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoredDraft {
    /// From.
    pub from: String,
    /// Reply-To.
    pub reply_to: String,
    /// To.
    pub to: String,
    /// Cc.
    pub cc: String,
    /// Bcc.
    pub bcc: String,
    /// Subject.
    pub subject: String,
    /// The body, `\n` line ends.
    pub body: String,
    /// The attached files' paths (opened again at the next start).
    pub attachments: Vec<PathBuf>,
    /// Whether it was sent to every recipient.
    pub sent: bool,
}

impl StoredDraft {
    /// The TOML text.
    pub fn to_toml(&self) -> Result<String, String> {
        toml::to_string(self).map_err(|e| e.to_string())
    }

    /// Parses the TOML text.
    pub fn from_toml(text: &str) -> Result<StoredDraft, String> {
        toml::from_str(text).map_err(|e| e.message().to_owned())
    }

    /// The form input it holds (a sent letter gives only its sender).
    pub fn into_input(self) -> DraftInput {
        if self.sent {
            return DraftInput {
                from: self.from,
                reply_to: self.reply_to,
                ..DraftInput::default()
            };
        }
        DraftInput {
            from: self.from,
            reply_to: self.reply_to,
            to: self.to,
            cc: self.cc,
            bcc: self.bcc,
            subject: self.subject,
            body: self.body,
            envelope_from: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> DraftInput {
        DraftInput {
            from: "Иван <ivan@example.org>".into(),
            to: "bob@example.org".into(),
            subject: "Привет".into(),
            body: "строка 1\nстрока 2".into(),
            ..DraftInput::default()
        }
    }

    #[test]
    fn first_empty_field_in_form_order() {
        for (draft, expected) in [
            (DraftInput::default(), ComposeField::From),
            (input(), ComposeField::Cc),
            (
                DraftInput {
                    cc: "c@example.org".into(),
                    bcc: "d@example.org".into(),
                    ..input()
                },
                ComposeField::Body, // every field filled
            ),
            (
                DraftInput {
                    cc: "c@example.org".into(),
                    bcc: "d@example.org".into(),
                    body: String::new(),
                    ..input()
                },
                ComposeField::Body,
            ),
        ] {
            assert_eq!(
                ComposeForm::new(&draft).first_empty(),
                expected,
                "{draft:?}"
            );
        }
    }

    #[test]
    fn body_joins_with_crlf_for_the_letter() {
        let form = ComposeForm::new(&input());
        assert_eq!(form.draft_input("").body, "строка 1\r\nстрока 2");
        assert_eq!(form.stored(false).body, "строка 1\nстрока 2");
    }

    #[test]
    fn stored_draft_round_trips_and_a_sent_one_keeps_only_the_sender() {
        let stored = ComposeForm::new(&input()).stored(false);
        let text = stored.to_toml().unwrap();
        assert_eq!(StoredDraft::from_toml(&text).unwrap(), stored);
        assert_eq!(stored.clone().into_input().body, "строка 1\nстрока 2");
        let sent = StoredDraft {
            sent: true,
            ..stored
        }
        .into_input();
        assert_eq!(sent.from, "Иван <ivan@example.org>");
        assert_eq!((sent.to.as_str(), sent.body.as_str()), ("", ""));
        assert!(StoredDraft::from_toml("to = [").is_err());
    }

    #[test]
    fn errors_land_on_their_fields_without_the_prefix() {
        let bad = DraftInput {
            from: String::new(),
            to: "bob@@x.org".into(),
            ..DraftInput::default()
        };
        let errors = mail::Draft::parse(&bad).unwrap_err();
        let mut form = ComposeForm::new(&bad);
        form.set_errors(&errors, |_| true);
        assert_eq!(
            form.error(ComposeField::From),
            Some("a sender address is required")
        );
        let to = form.error(ComposeField::To).unwrap();
        assert!(
            to.starts_with("\"bob@@x.org\" is not a valid address"),
            "{to}"
        );
    }
}
