//! Address completion in To, Cc and Bcc: after two typed characters a list
//! opens with the addresses sent to before and what the address book
//! command finds; ↑ ↓ choose, Enter accepts, Esc closes it, Tab moves on.

use super::{Action, App, ComposeField, Focus, Key, KeyCode, Tone, line::LineInput};
use crate::{
    addresses::{self, History},
    mail::Mailbox,
    smtp::Delivery,
};

/// The open list of choices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The field it belongs to.
    pub field: ComposeField,
    /// The entry being typed.
    pub query: String,
    /// What is offered, best first.
    pub choices: Vec<Mailbox>,
    /// The highlighted choice.
    pub selected: usize,
}

/// What the address book command found, kept for the query it answered:
/// narrower queries reuse it while the answer to them is on its way.
#[derive(Clone, Debug, Default)]
pub(super) struct Found {
    /// The query it answered.
    query: String,
    /// Its addresses.
    mailboxes: Vec<Mailbox>,
    /// The query asked last (an answer to an older one is dropped).
    asked: Option<String>,
}

/// Whether completion applies to this field.
fn completes(field: ComposeField) -> bool {
    matches!(
        field,
        ComposeField::To | ComposeField::Cc | ComposeField::Bcc
    )
}

impl App {
    /// A key while the list is open: ↑ ↓ Enter Esc are the list's (true);
    /// others do their usual job (Tab closes the list as it moves on).
    pub(super) fn completion_key(&mut self, key: &Key) -> bool {
        let Some(completion) = self.completion.as_mut() else {
            return false;
        };
        if self.focus != Focus::Compose(completion.field) || key.ctrl || key.alt {
            return false;
        }
        let n = completion.choices.len();
        match key.code {
            KeyCode::Down => completion.selected = (completion.selected + 1) % n,
            KeyCode::Up => completion.selected = (completion.selected + n - 1) % n,
            KeyCode::Esc => self.completion = None,
            KeyCode::Enter => {
                let (field, chosen) = (
                    completion.field,
                    completion.choices[completion.selected].clone(),
                );
                self.completion = None;
                if let Some(line) = self.compose.line_mut(field) {
                    let (text, cursor) =
                        addresses::accept(line.text(), line.cursor_byte(), &chosen);
                    *line = LineInput::with_cursor(&text, cursor);
                    self.edited();
                }
                self.set_status(Tone::Info, &format!("added {chosen}"));
            }
            _ => return false,
        }
        true
    }

    /// After an edit of an address field: the list for the entry at the
    /// cursor, and the address book command asked when it is set.
    pub(super) fn complete(&mut self, field: ComposeField) -> Option<Action> {
        if !completes(field) {
            self.completion = None;
            return None;
        }
        let line = self.compose.line(field)?;
        let (_, typed) = addresses::current_entry(line.text(), line.cursor_byte());
        let query = typed.trim().to_owned();
        if query.chars().count() < addresses::MIN_QUERY {
            self.completion = None;
            return None;
        }
        let taken = taken(line.text());
        self.offer(field, &query, &taken);
        let command = self
            .settings
            .to_settings(None)
            .address_book_command
            .filter(|c| !c.trim().is_empty())?;
        if self.found.asked.as_deref() == Some(query.as_str()) {
            return None;
        }
        self.found.asked = Some(query.clone());
        Some(Action::QueryAddresses { command, query })
    }

    /// Opens (or refreshes) the list from what is known now.
    fn offer(&mut self, field: ComposeField, query: &str, taken: &[String]) {
        let lower = query.to_lowercase();
        let found: &[Mailbox] = if lower.starts_with(&self.found.query.to_lowercase())
            && !self.found.query.is_empty()
        {
            &self.found.mailboxes
        } else {
            &[]
        };
        let choices = addresses::choices(self.context.addresses.entries(), found, query, taken);
        let selected = self
            .completion
            .as_ref()
            .filter(|c| c.field == field)
            .and_then(|c| c.choices.get(c.selected))
            .and_then(|kept| choices.iter().position(|m| m == kept))
            .unwrap_or(0);
        self.completion = (!choices.is_empty()).then(|| Completion {
            field,
            query: query.to_owned(),
            choices,
            selected,
        });
    }

    /// The address book command answered.
    pub(super) fn addresses_found(&mut self, query: String, result: Result<Vec<Mailbox>, String>) {
        if self.found.asked.as_deref() != Some(query.as_str()) {
            return; // an older query; a newer answer is coming
        }
        match result {
            Ok(mailboxes) => {
                self.found.query = query;
                self.found.mailboxes = mailboxes;
            }
            Err(e) => {
                self.found = Found::default();
                self.set_status(Tone::Warning, &e);
                return;
            }
        }
        if let Focus::Compose(field) = self.focus
            && completes(field)
            && let Some(line) = self.compose.line(field)
        {
            let (_, typed) = addresses::current_entry(line.text(), line.cursor_byte());
            let typed = typed.trim().to_owned();
            if typed.chars().count() >= addresses::MIN_QUERY {
                let taken = taken(line.text());
                self.offer(field, &typed, &taken);
            }
        }
    }

    /// After a send: the accepted recipients go first in the history (with
    /// the names typed for them); the file is written at the next tick, or
    /// on the way out.
    pub(super) fn remember_recipients(&mut self, delivery: &Delivery) {
        let typed: Vec<Mailbox> = [ComposeField::To, ComposeField::Cc, ComposeField::Bcc]
            .into_iter()
            .filter_map(|f| self.compose.line(f))
            .filter_map(|line| Mailbox::parse_list(line.text()).ok())
            .flatten()
            .collect();
        let accepted = addresses::accepted(&typed, delivery);
        if !accepted.is_empty() {
            self.context.addresses.remember(&accepted);
            self.addresses_unsaved = true;
        }
    }

    /// The history's file, when it changed since it was written.
    pub fn pending_addresses(&mut self) -> Option<Action> {
        if !std::mem::take(&mut self.addresses_unsaved) {
            return None;
        }
        Some(Action::SaveAddresses {
            path: History::path(self.context.data_dir.as_ref()?),
            history: self.context.addresses.clone(),
        })
    }
}

/// The addresses already in a field, so the list does not offer them
/// again.
fn taken(text: &str) -> Vec<String> {
    text.split([',', ';'])
        .filter_map(|entry| Mailbox::parse(entry.trim()).ok())
        .map(|m| m.address.to_utf8())
        .collect()
}
