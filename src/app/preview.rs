//! The preview window (F6): the letter as it would go out now, for the
//! open session's server or, without one, for a modern server. The model
//! validates the letter as Ctrl+S does and asks the runner to build the
//! preview ([`Action::Preview`], answered by [`Msg::Previewed`]: it reads
//! the attached files); here the result becomes lines to scroll through.
//! Ctrl+S from the window sends with the preview's Date and Message-ID, so
//! the bytes shown are the bytes sent.
//!
//! [`Msg::Previewed`]: super::Msg::Previewed

use std::{cell::Cell, ops::ControlFlow};

use unicode_width::UnicodeWidthStr as _;

use super::{Action, App, Key, KeyCode, Overlay};
use crate::{
    mail::{Stamp, Warning},
    smtp::{Capabilities, capabilities::human_size, connection::group_digits},
    submit::preview::{DataLine, Preview, Request, Server},
    worker::SessionState,
};

/// The widest first column of the encodings table.
const WHAT_WIDTH: usize = 24;

/// How a line of the preview reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// A section's title.
    Heading,
    /// Bytes as they go on the wire: a command or a line of DATA.
    Wire,
    /// Explanation.
    Text,
    /// A lint warning, or the server assumed.
    Warning,
    /// The letter cannot go as it is.
    Problem,
    /// Lines sent but not shown.
    Skipped,
    /// Nothing (between sections).
    Blank,
}

/// One line of the preview.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewLine {
    /// How it reads.
    pub kind: LineKind,
    /// The text.
    pub text: String,
    /// A dimmer remark after the text (why, or what to know).
    pub note: Option<String>,
}

impl PreviewLine {
    fn new(kind: LineKind, text: impl Into<String>) -> PreviewLine {
        PreviewLine {
            kind,
            text: text.into(),
            note: None,
        }
    }

    fn noted(kind: LineKind, text: impl Into<String>, note: impl Into<String>) -> PreviewLine {
        PreviewLine {
            kind,
            text: text.into(),
            note: Some(note.into()),
        }
    }
}

/// The preview window's state.
#[derive(Debug)]
pub struct PreviewView {
    /// The lint warnings (known at once: lint reads no file).
    warnings: Vec<Warning>,
    /// `host:port` of the open session, if any.
    server: Option<String>,
    /// `None` while the runner builds it.
    built: Option<Built>,
    /// The first line shown (may be past the end: the view clamps it).
    offset: usize,
    /// The rows of the last frame, recorded by the view (for PgUp/PgDn).
    page: Cell<usize>,
    /// The largest useful `offset` in the last frame, recorded by the view.
    last_top: Cell<usize>,
}

#[derive(Debug)]
struct Built {
    stamp: Stamp,
    lines: Vec<PreviewLine>,
    /// The letter's size, for the title.
    size: Option<u64>,
}

impl PreviewView {
    fn building(warnings: Vec<Warning>, server: Option<String>) -> PreviewView {
        PreviewView {
            warnings,
            server,
            built: None,
            offset: 0,
            page: Cell::new(10),
            last_top: Cell::new(0),
        }
    }

    /// Whether the runner is still building it.
    pub fn is_building(&self) -> bool {
        self.built.is_none()
    }

    /// Every line (none while building).
    pub fn lines(&self) -> &[PreviewLine] {
        self.built.as_ref().map_or(&[], |b| &b.lines)
    }

    /// The letter's size in octets, once built.
    pub fn size(&self) -> Option<u64> {
        self.built.as_ref().and_then(|b| b.size)
    }

    /// The first line to show, as the model last placed it; the view
    /// clamps it to what fills its rows.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Records the rows shown and the largest useful first line (called
    /// by the view when it draws).
    pub fn set_view(&self, rows: usize, last_top: usize) {
        self.page.set(rows.max(1));
        self.last_top.set(last_top);
    }

    fn top(&self) -> usize {
        self.offset.min(self.last_top.get())
    }

    fn up(&mut self, n: usize) {
        self.offset = self.top().saturating_sub(n);
    }

    fn down(&mut self, n: usize) {
        self.offset = (self.top() + n).min(self.last_top.get());
    }

    /// Scrolls by a key; false when the key is not a scrolling one.
    fn scroll(&mut self, code: KeyCode) -> bool {
        let page = self.page.get().saturating_sub(1).max(1);
        match code {
            KeyCode::Up => self.up(1),
            KeyCode::Down => self.down(1),
            KeyCode::PageUp => self.up(page),
            KeyCode::PageDown => self.down(page),
            KeyCode::Home => self.offset = 0,
            // The view clamps it to the last page.
            KeyCode::End => self.offset = usize::MAX,
            _ => return false,
        }
        true
    }

    /// The mouse wheel.
    pub(super) fn wheel(&mut self, down: bool, lines: usize) {
        if down {
            self.down(lines);
        } else {
            self.up(lines);
        }
    }
}

impl App {
    /// F6: validates the letter as Ctrl+S does and asks for the preview;
    /// an invalid letter shows its errors instead.
    pub(super) fn open_preview(&mut self) -> Option<Action> {
        let (draft, attachments) = self.checked_letter("no preview")?;
        let warnings = self.lint(&draft, &attachments);
        let (capabilities, server) = match &self.session {
            SessionState::Open {
                capabilities,
                server,
                ..
            } => (Some(capabilities.clone()), Some(server.clone())),
            SessionState::Closed => (None, None),
        };
        self.preview = Some(Box::new(PreviewView::building(warnings, server)));
        self.overlay = Some(Overlay::Preview);
        self.preview_id += 1;
        Some(Action::Preview {
            id: self.preview_id,
            request: Box::new(Request {
                draft,
                attachments,
                capabilities,
            }),
        })
    }

    /// The runner built the preview; dropped if the window was closed
    /// meanwhile, or opened again for a letter that may differ.
    pub(super) fn previewed(&mut self, id: u64, result: Result<Box<Preview>, String>) {
        if self.overlay != Some(Overlay::Preview) || id != self.preview_id {
            return;
        }
        let Some(view) = self.preview.as_mut().filter(|v| v.is_building()) else {
            return;
        };
        let preview = match result {
            Ok(preview) => preview,
            Err(e) => {
                self.overlay = None;
                self.preview = None;
                self.problem(&format!("no preview: {e}"));
                return;
            }
        };
        let lines = lines(&preview, &view.warnings, view.server.as_deref());
        view.last_top.set(lines.len());
        view.built = Some(Built {
            size: preview.size,
            lines,
            stamp: preview.stamp,
        });
    }

    /// A key while the preview is open: scrolling, Ctrl+S, Esc or F6.
    pub(super) fn preview_key(&mut self, key: Key) -> ControlFlow<Option<Action>> {
        if key.is_ctrl('s') {
            let stamp = self
                .preview
                .take()
                .and_then(|view| view.built.map(|b| b.stamp));
            self.overlay = None;
            self.stamp = stamp;
            let action = self.send(false);
            // Kept only while the lint window asks; otherwise it was taken
            // by the letter, or nothing is sent.
            if !matches!(self.overlay, Some(Overlay::Lint(_))) {
                self.stamp = None;
            }
            return ControlFlow::Break(action);
        }
        if key.ctrl || key.alt {
            return ControlFlow::Break(None);
        }
        match key.code {
            KeyCode::Esc | KeyCode::F(6) => {
                self.overlay = None;
                self.preview = None;
            }
            code => {
                if let Some(view) = &mut self.preview {
                    view.scroll(code);
                }
            }
        }
        ControlFlow::Break(None)
    }
}

/// The preview as lines: what it was built for, the problems, the
/// envelope, the encodings, the lint warnings, the sizes, the data.
fn lines(preview: &Preview, warnings: &[Warning], server: Option<&str>) -> Vec<PreviewLine> {
    use LineKind::{Blank, Heading, Problem, Skipped, Text, Wire};
    let mut out = Vec::with_capacity(preview.data.len() + 40);
    let caps = preview.server.capabilities();
    match &preview.server {
        Server::Assumed(_) => out.push(PreviewLine::new(
            LineKind::Warning,
            "not connected: built as for a server offering SIZE, 8BITMIME and SMTPUTF8; \
             Ctrl+O first to see it for yours",
        )),
        Server::Connected(_) => out.push(PreviewLine::new(
            Text,
            format!(
                "built for {}: {}",
                server.unwrap_or("the open session"),
                offers(caps)
            ),
        )),
    }
    for problem in &preview.problems {
        out.push(PreviewLine::new(Problem, format!("✗ {problem}")));
    }
    out.push(PreviewLine::new(
        Text,
        if preview.problems.is_empty() {
            "Ctrl+S sends exactly this (the same Date and Message-ID); Esc or F6 closes"
        } else {
            "Ctrl+S would meet the same refusal; Esc or F6 closes"
        },
    ));

    if !preview.envelope.is_empty() {
        out.push(PreviewLine::new(Blank, ""));
        out.push(PreviewLine::new(Heading, "Envelope"));
        for line in &preview.envelope {
            out.push(PreviewLine {
                kind: Wire,
                text: line.command.clone(),
                note: line.note.map(str::to_owned),
            });
        }
    }

    if !preview.decisions.is_empty() {
        out.push(PreviewLine::new(Blank, ""));
        out.push(PreviewLine::new(Heading, "Encodings and parameters"));
        let width = preview
            .decisions
            .iter()
            .map(|d| d.what.width())
            .max()
            .unwrap_or(0)
            .min(WHAT_WIDTH);
        for d in &preview.decisions {
            let pad = width.saturating_sub(d.what.width());
            out.push(PreviewLine::noted(
                Text,
                format!("{}{}  {}", d.what, " ".repeat(pad), d.how),
                format!("— {}", d.why),
            ));
        }
    }

    out.push(PreviewLine::new(Blank, ""));
    out.push(PreviewLine::new(Heading, "Lint"));
    if warnings.is_empty() {
        out.push(PreviewLine::new(Text, "nothing to warn about"));
    }
    for warning in warnings {
        out.push(PreviewLine::new(LineKind::Warning, format!("! {warning}")));
    }

    out.push(PreviewLine::new(Blank, ""));
    out.push(PreviewLine::new(Heading, "Size"));
    if let Some(size) = preview.size {
        let text = if size < 1024 {
            format!("{size} bytes")
        } else {
            format!("{} bytes ({})", group_digits(size), human_size(size))
        };
        out.push(PreviewLine::noted(Text, text, limit(&preview.server, size)));
        out.push(PreviewLine::noted(
            Text,
            format!(
                "{} bytes of message data in {} lines",
                group_digits(preview.wire_size),
                group_digits(preview.wire_lines)
            ),
            "dot-stuffed, before the final dot, as the log will count them",
        ));
    }

    if !preview.data.is_empty() {
        out.push(PreviewLine::new(Blank, ""));
        out.push(PreviewLine::noted(
            Heading,
            "DATA",
            if preview.escaped {
                "as sent, dot-stuffed; control characters and \\ shown escaped, as in the log"
            } else {
                "as sent, dot-stuffed: a line starting with . gets another"
            },
        ));
        for line in &preview.data {
            out.push(match line {
                DataLine::Wire(text) => PreviewLine::new(Wire, text.clone()),
                DataLine::Skipped { lines, of } => PreviewLine::new(
                    Skipped,
                    format!("… {} more lines of {of} …", group_digits(*lines)),
                ),
            });
        }
    }
    out
}

/// What the server offers that the letter depends on.
fn offers(caps: &Capabilities) -> String {
    let mut out = Vec::new();
    match caps.size {
        Some(0) => out.push("SIZE (no fixed limit)".to_owned()),
        Some(n) => out.push(format!("SIZE {}", human_size(n))),
        None => out.push("no SIZE".to_owned()),
    }
    for (on, name) in [
        (caps.eight_bit_mime, "8BITMIME"),
        (caps.smtputf8, "SMTPUTF8"),
        (caps.pipelining, "PIPELINING"),
    ] {
        out.push(if on {
            name.to_owned()
        } else {
            format!("no {name}")
        });
    }
    out.join(", ")
}

/// The letter's size against the server's limit.
fn limit(server: &Server, size: u64) -> String {
    match server {
        Server::Assumed(_) => "the server's limit is known once connected".to_owned(),
        Server::Connected(caps) => match caps.size {
            Some(0) => "the server announces no fixed limit".to_owned(),
            Some(limit) if size > limit => format!(
                "over the server's limit of {} bytes ({})",
                group_digits(limit),
                human_size(limit)
            ),
            Some(limit) => format!(
                "the server takes up to {} bytes ({}): {}%",
                group_digits(limit),
                human_size(limit),
                size * 100 / limit
            ),
            None => "the server announces no SIZE".to_owned(),
        },
    }
}
