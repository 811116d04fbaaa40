//! The status line (connection, running stage with spinner and elapsed
//! time, last result) and the key-hint bar, which follows the focus.

use std::time::Duration;

use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
};

use super::{theme::Theme, width_of};
use crate::{
    app::{App, ComposeField, Focus, JobKind, Overlay, Tone, manual::Mode},
    worker::SessionState,
};

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// The connection state and the running job: the start of the status line.
fn head<'a>(app: &App, theme: Theme) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    let connecting = app
        .job
        .as_ref()
        .is_some_and(|j| j.kind != JobKind::Disconnect);
    match &app.session {
        SessionState::Open { server, tls, .. } => {
            let security = if tls.is_some() { "TLS" } else { "no TLS" };
            spans.push(Span::styled(
                format!("● open {server} {security}"),
                theme.connection(true, false),
            ));
        }
        SessionState::Closed if connecting => {
            let server = app.job.as_ref().map_or("", |j| j.server.as_str());
            spans.push(Span::styled(
                format!("◌ connecting {server}"),
                theme.connection(false, true),
            ));
        }
        SessionState::Closed => {
            spans.push(Span::styled(
                "○ disconnected",
                theme.connection(false, false),
            ));
        }
    }
    if let Some(job) = &app.job {
        let elapsed = app.elapsed().unwrap_or_default();
        let frame_index = (elapsed.as_millis() / 100) as usize % SPINNER.len();
        let what = if job.cancelling {
            "cancelling".to_owned()
        } else {
            match (job.stage, job.kind) {
                (Some(stage), _) => stage.to_string(),
                (None, JobKind::Connect) => "connecting".to_owned(),
                (None, JobKind::Send) => "sending".to_owned(),
                (None, JobKind::Disconnect) => "QUIT".to_owned(),
                (None, JobKind::Typed) => "typed".to_owned(),
            }
        };
        spans.push(Span::styled(SEPARATOR, theme.dim()));
        spans.push(Span::styled(
            format!("{} {what} {}", SPINNER[frame_index], elapsed_text(elapsed)),
            theme.busy(),
        ));
    }
    spans
}

const SEPARATOR: &str = " │ ";
/// The indent of the status line's continuation rows.
const INDENT: &str = "  ";

/// The status text split into what fits after the head and the rest
/// (broken at a space where one is near).
fn split_status<'t>(app: &App, text: &'t str, width: u16) -> (&'t str, Option<&'t str>) {
    let theme = Theme::new(false);
    let used: usize = head(app, theme).iter().map(|s| width_of(&s.content)).sum();
    let room = usize::from(width).saturating_sub(used + SEPARATOR.len());
    if width_of(text) <= room {
        return (text, None);
    }
    let mut cut = 0;
    let mut cols = 0;
    for (i, c) in text.char_indices() {
        cols += width_of(c.encode_utf8(&mut [0; 4]));
        if cols > room {
            break;
        }
        cut = i + c.len_utf8();
    }
    // Prefer a word boundary in the last third of the row.
    if let Some(space) = text[..cut].rfind(' ')
        && space * 3 >= cut * 2
    {
        cut = space;
    }
    (&text[..cut], Some(text[cut..].trim_start()))
}

/// Rows the status needs: one, a second for a long result, one for advice.
pub(super) fn rows(app: &App, width: u16) -> u16 {
    let Some(status) = &app.status else {
        return 1;
    };
    let (_, rest) = split_status(app, &status.text, width);
    1 + u16::from(rest.is_some())
        + u16::from(status.hint.is_some())
        + u16::from(status.detail.is_some())
}

pub(super) fn status_line(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let mut first = head(app, theme);
    let mut lines = Vec::new();
    match &app.status {
        None => lines.push(Line::from(first)),
        Some(status) => {
            let style = theme.status(status.tone);
            let (now, rest) = split_status(app, &status.text, area.width);
            first.push(Span::styled(SEPARATOR, theme.dim()));
            first.push(Span::styled(now.to_owned(), style));
            lines.push(Line::from(first));
            if let Some(rest) = rest {
                let (rest, _) =
                    super::fit(rest, usize::from(area.width).saturating_sub(INDENT.len()));
                lines.push(Line::from(vec![
                    Span::raw(INDENT),
                    Span::styled(rest, style),
                ]));
            }
            if let Some(detail) = &status.detail {
                let (detail, _) =
                    super::fit(detail, usize::from(area.width).saturating_sub(INDENT.len()));
                lines.push(Line::from(vec![
                    Span::raw(INDENT),
                    Span::styled(detail, theme.dim()),
                ]));
            }
            if let Some(hint) = &status.hint {
                lines.push(Line::from(vec![
                    Span::styled(format!("{INDENT}hint: "), theme.status(Tone::Warning)),
                    Span::raw(hint.clone()),
                ]));
            }
        }
    }
    for (y, line) in (area.y..).zip(lines) {
        super::row(frame, area, y, line);
    }
}

/// `0.4 s`, `12.0 s`, `1:05`.
fn elapsed_text(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

pub(super) fn hint_bar(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, what) in hints(app) {
        // ` key ` in reverse, then ` what`; the next key's box separates.
        let width = width_of(key) + width_of(what) + 3;
        if used + width > usize::from(area.width) {
            break;
        }
        spans.push(Span::styled(format!(" {key} "), theme.key()));
        spans.push(Span::styled(format!(" {what}"), theme.hint()));
        used += width;
    }
    super::row(frame, area, area.y, Line::from(spans));
}

/// The keys worth showing now, most useful first (the bar cuts the rest).
fn hints(app: &App) -> &'static [(&'static str, &'static str)] {
    match &app.overlay {
        Some(Overlay::Help) => return &[("↑↓", "scroll"), ("Esc", "close the help")],
        Some(Overlay::Lint(_)) => {
            return &[("Ctrl+S", "send anyway"), ("Esc", "back to the letter")];
        }
        Some(Overlay::Results { .. }) => return &[("Enter", "close"), ("^N", "new letter")],
        Some(Overlay::ConfirmNew) => {
            return &[("y", "discard it, new letter"), ("n", "keep it")];
        }
        Some(Overlay::Attach(_)) => {
            return &[("Tab", "complete"), ("Enter", "attach"), ("Esc", "close")];
        }
        Some(Overlay::Preview) => {
            return &[
                ("↑↓", "scroll"),
                ("PgUp/PgDn", "page"),
                ("Home/End", "top/bottom"),
                ("^S", "send this"),
                ("Esc", "close"),
            ];
        }
        Some(Overlay::Command(_)) => {
            return &[
                ("s", "swaks"),
                ("c", "curl"),
                ("w", "smtpwire"),
                ("Esc", "close"),
            ];
        }
        Some(Overlay::SaveLog) => {
            return &[("t", "text"), ("j", "JSON Lines"), ("Esc", "cancel")];
        }
        Some(Overlay::Inspect(_)) => {
            return &[
                ("↑↓", "scroll"),
                ("←→", "previous/next line"),
                ("Esc", "close"),
            ];
        }
        Some(Overlay::OpenTransaction) => {
            return &[("y", "RSET, then send"), ("n", "keep it, do not send")];
        }
        Some(Overlay::DropData) => {
            return &[("y", "drop the connection"), ("n", "go on typing")];
        }
        None => {}
    }
    if app.completion.is_some() {
        return &[
            ("↑↓", "choose"),
            ("Enter", "add the address"),
            ("Esc", "close the list"),
            ("Tab", "next field"),
        ];
    }
    if app.job.is_some() {
        return &[
            ("Esc", "cancel"),
            ("F3", "log"),
            ("F1", "help"),
            ("^Q", "quit"),
        ];
    }
    match app.focus {
        Focus::Manual => manual_hints(app.manual.mode()),
        Focus::Log => &[
            ("↑↓", "choose a line"),
            ("Enter", "details"),
            ("PgUp/PgDn", "page"),
            ("Home/End", "top/follow"),
            ("←→", "sideways"),
            ("^L", "save log"),
            ("F3", "back"),
            ("F1", "help"),
        ],
        Focus::Settings(field) if field.is_choice() => &[
            ("Space ←→", "change"),
            ("Tab", "next"),
            ("^W", "save settings"),
            ("^O", "connect"),
            ("F2", "back"),
            ("F1", "help"),
            ("^Q", "quit"),
        ],
        Focus::Settings(_) => &[
            ("Tab", "next"),
            ("^W", "save settings"),
            ("^O", "connect"),
            ("F2", "back"),
            ("F1", "help"),
            ("^Q", "quit"),
        ],
        Focus::Compose(ComposeField::Attachments) => &[
            ("←→", "choose"),
            ("Del", "remove"),
            ("F5", "attach"),
            ("^S", "send"),
            ("Tab", "next field"),
            ("F1", "help"),
            ("^Q", "quit"),
        ],
        Focus::Compose(_) => &[
            ("^S", "send"),
            ("^O", "connect"),
            ("^D", "disconnect"),
            ("F2", "settings"),
            ("F3", "log"),
            ("F1", "help"),
            ("^Q", "quit"),
            ("F5", "attach"),
            ("F6", "preview"),
            ("F4", "editor"),
            ("^N", "new letter"),
            ("Tab", "next field"),
        ],
    }
}

/// The keys of the manual-mode prompt, by what it takes.
fn manual_hints(mode: Mode) -> &'static [(&'static str, &'static str)] {
    match mode {
        Mode::Command => &[
            ("Enter", "send"),
            ("↑↓", "history"),
            ("PgUp/PgDn", "log"),
            ("Esc", "leave"),
            ("^S", "send the letter"),
            ("F1", "help"),
        ],
        Mode::Data => &[
            ("Enter", "send the line"),
            (".", "alone ends the data"),
            ("Esc", "abandon: drop the connection"),
        ],
        Mode::Answer => &[
            ("Enter", "send the answer (hidden)"),
            ("*", "gives up"),
            ("Esc", "leave"),
        ],
        Mode::User => &[("Enter", "next: the password"), ("Esc", "AUTH not sent")],
        Mode::Password => &[
            ("Enter", "send AUTH"),
            ("^U", "clear"),
            ("Esc", "AUTH not sent"),
        ],
    }
}
