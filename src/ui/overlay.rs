//! Windows over the screen: the help, the lint warnings before sending,
//! the per-recipient result of a send, the new-letter confirmation, and
//! manual mode's two questions (RSET a typed transaction, abandon DATA).

use std::cell::Cell;

use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph, Wrap},
};

use super::{fit, theme::Theme, width_of};
use crate::{
    app::{App, AttachPrompt, Overlay, Tone},
    smtp::Delivery,
};

/// Every key, as the help shows it.
pub(super) const KEYS: [(&str, &str); 25] = [
    (
        "Tab, Shift+Tab",
        "next / previous field (also Enter, ↑ ↓ outside the body)",
    ),
    ("F2", "settings pane; again: back to the letter"),
    (
        "F3",
        "protocol log: ↑ ↓ a line, Enter its details; again: back",
    ),
    ("F4", "write the body in $VISUAL / $EDITOR / vi"),
    ("F5", "attach a file (Tab completes the path)"),
    (
        "F6",
        "preview the exact envelope, DATA, encodings; Ctrl+S sends",
    ),
    ("F7", "manual mode: type SMTP into the open session"),
    (
        "Delete",
        "on the Attach row: remove the chosen file (← → choose)",
    ),
    ("Ctrl+O", "connect and log in; the session stays open"),
    ("Ctrl+S", "send, through the open session or a new one"),
    ("Ctrl+D", "disconnect: QUIT, and the server's 221"),
    ("Esc", "cancel the running job; close a window"),
    ("Ctrl+N", "new letter (asks first if this one is unsent)"),
    (
        "Ctrl+W",
        "save the settings to the config file (never the password)",
    ),
    ("Ctrl+L", "save the protocol log: text or JSON Lines"),
    (
        "Ctrl+P",
        "the same letter as a swaks, curl or smtpwire command",
    ),
    ("Ctrl+Q, Ctrl+C", "quit (QUIT first if a session is open)"),
    ("Ctrl+Z", "suspend to the shell; fg comes back"),
    ("F1", "this help"),
    (
        "Log",
        "↑ ↓ PgUp PgDn Home End, wheel; End follows; ← → sideways",
    ),
    (
        "Inspector",
        "↑ ↓ PgUp PgDn scroll; ← → the previous or next line; Esc",
    ),
    ("Settings", "Space or ← → changes Account, Security, Auth"),
    (
        "To, Cc, Bcc",
        "2 letters list addresses: ↑ ↓ choose, Enter adds",
    ),
    (
        "Fields",
        "← → Home End, Ctrl+A/E/U/K, Alt+Backspace, PgUp/PgDn log",
    ),
    (
        "Body",
        "Enter new line, Ctrl+U undo, Ctrl+R redo, Tab leaves",
    ),
];

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, overlay: &Overlay, theme: Theme) {
    match overlay {
        Overlay::Help => help(frame, area, app.help_scroll, &app.help_max, theme),
        Overlay::Lint(warnings) => {
            let mut lines = vec![Line::from(
                "This letter may be scored as spam, bounced or misread:",
            )];
            for warning in warnings {
                lines.push(Line::from(vec![
                    Span::styled("! ", theme.status(Tone::Warning)),
                    Span::raw(warning.to_string()),
                ]));
            }
            lines.push(Line::from(""));
            lines.push(keys_line(
                &[("Ctrl+S", "send anyway"), ("Esc", "back to the letter")],
                theme,
            ));
            window(frame, area, " Before sending ", lines, 72, theme);
        }
        Overlay::ConfirmNew => {
            let lines = vec![
                Line::from("The letter has not been sent. Discard it and start a new one?"),
                Line::from(""),
                keys_line(
                    &[("y", "discard, new letter"), ("n, Esc", "keep it")],
                    theme,
                ),
            ];
            window(frame, area, " New letter ", lines, 68, theme);
        }
        Overlay::Results {
            message_id,
            delivery,
        } => results(frame, area, message_id, delivery, theme),
        Overlay::Attach(prompt) => attach(frame, area, prompt, theme),
        Overlay::SaveLog => {
            let lines = vec![
                Line::from("Save the protocol log in the data folder's logs, as:"),
                Line::from(""),
                keys_line(
                    &[
                        ("t", "text, as on screen (.txt)"),
                        ("j", "JSON Lines (.jsonl)"),
                        ("Esc", "cancel"),
                    ],
                    theme,
                ),
            ];
            window(frame, area, " Save the log · Ctrl+L ", lines, 78, theme);
        }
        Overlay::Inspect(inspector) => super::inspect::draw(frame, area, inspector, theme),
        Overlay::Command(view) => command(frame, area, view, theme),
        Overlay::Preview => {
            if let Some(view) = &app.preview {
                super::preview::draw(frame, area, view, theme);
            }
        }
        Overlay::OpenTransaction => {
            let lines = vec![
                Line::from("A transaction is open (MAIL FROM typed by hand)."),
                Line::from("RSET it, then send this letter to its own recipients only?"),
                Line::from(""),
                keys_line(&[("y", "RSET and send"), ("n, Esc", "keep it")], theme),
            ];
            window(frame, area, " Transaction open ", lines, 72, theme);
        }
        Overlay::DropData => {
            let lines = vec![
                Line::from("The message data typed by hand is not finished."),
                Line::from(
                    "SMTP cannot abandon DATA: only a lone \".\" ends it (and delivers \
                     what was typed), or dropping the connection (the server then \
                     discards the unfinished letter).",
                ),
                Line::from(""),
                keys_line(
                    &[("y", "drop the connection"), ("n, Esc", "go on typing")],
                    theme,
                ),
            ];
            window(frame, area, " Abandon DATA? ", lines, 72, theme);
        }
    }
}

/// Ctrl+P: the command, what it needs, and the keys for the other tools.
/// Long lines are cut here: the whole command is in the file named above
/// it.
fn command(frame: &mut Frame, area: Rect, view: &crate::app::CommandView, theme: Theme) {
    let room = usize::from(area.width.saturating_sub(6));
    let note = |text: &str, style| Line::from(Span::styled(fit(text, room).0, style));
    let mut lines = Vec::new();
    if let Some(file) = &view.script {
        lines.push(note(
            &format!("Saved in {}: sh runs it.", file.display()),
            theme.dim(),
        ));
    }
    if let Some(letter) = &view.letter {
        lines.push(note(
            &format!("It sends {} (the letter, 7-bit).", letter.display()),
            theme.dim(),
        ));
    }
    if view.needs_password_variable {
        lines.push(note(
            "It reads the password from SMTPWIRE_PASSWORD: export it first.",
            theme.status(Tone::Warning),
        ));
    }
    lines.push(Line::from(""));
    match &view.text {
        Ok(text) => lines.extend(text.lines().map(|l| note(l, theme.value()))),
        Err(why) => lines.push(note(why, theme.dim())),
    }
    lines.push(Line::from(""));
    lines.push(keys_line(
        &[
            ("s", "swaks"),
            ("c", "curl"),
            ("w", "smtpwire"),
            ("Esc", "close"),
        ],
        theme,
    ));
    let title = format!(" The same letter with {} · Ctrl+P ", view.tool);
    window(frame, area, &title, lines, area.width, theme);
}

/// The F5 prompt: the path being typed (the cursor in it), what Tab found,
/// and why the last Enter attached nothing.
fn attach(frame: &mut Frame, area: Rect, prompt: &AttachPrompt, theme: Theme) {
    // The window is as wide as it can be, so long paths stay readable.
    let field = usize::from(area.width.min(78).saturating_sub(12));
    let (shown, cursor) = prompt.input.window(field, None);
    let pad = field.saturating_sub(width_of(&shown));
    let mut lines = vec![Line::from(vec![
        Span::styled("File: ", theme.label(true)),
        Span::styled(shown, theme.value()),
        Span::raw(" ".repeat(pad)),
    ])];
    if let Some(problem) = &prompt.problem {
        lines.push(Line::from(Span::styled(
            format!("✗ {problem}"),
            theme.error(),
        )));
    }
    let room = usize::from(area.height.saturating_sub(8)).clamp(1, 12);
    for candidate in prompt.candidates.iter().take(room) {
        lines.push(Line::from(Span::styled(
            format!("  {candidate}"),
            theme.dim(),
        )));
    }
    let more = prompt.candidates.len().saturating_sub(room);
    if more > 0 || prompt.truncated {
        lines.push(Line::from(Span::styled(
            format!("  … and more ({more} not shown); type more of the name"),
            theme.dim(),
        )));
    }
    lines.push(Line::from(""));
    lines.push(keys_line(
        &[("Tab", "complete"), ("Enter", "attach"), ("Esc", "close")],
        theme,
    ));
    let inner = window(frame, area, " Attach a file · F5 ", lines, 78, theme);
    // The cursor in the path.
    frame.set_cursor_position(ratatui::layout::Position::new(
        inner.x + 6 + cursor as u16,
        inner.y,
    ));
}

/// Every key; on a short screen, from row `scroll` on (↑ ↓ scroll; the
/// largest useful value goes back through `max_scroll`).
fn help(frame: &mut Frame, area: Rect, scroll: usize, max_scroll: &Cell<usize>, theme: Theme) {
    let key_width = KEYS.iter().map(|(k, _)| width_of(k)).max().unwrap_or(0);
    // The window's border takes two rows.
    let room = usize::from(area.height.saturating_sub(2)).max(1);
    max_scroll.set(KEYS.len().saturating_sub(room));
    let first = scroll.min(max_scroll.get());
    let lines = KEYS
        .iter()
        .skip(first)
        .take(room)
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!("{key:<key_width$}"), theme.label(false)),
                Span::raw("  "),
                Span::raw(*what),
            ])
        })
        .collect();
    let title = if KEYS.len() > room {
        format!(
            " Keys {}–{} of {} · ↑↓ scroll · Esc closes ",
            first + 1,
            first + room.min(KEYS.len()),
            KEYS.len()
        )
    } else {
        " Keys · Esc closes ".to_owned()
    };
    window(frame, area, &title, lines, 78, theme);
}

fn results(frame: &mut Frame, area: Rect, message_id: &str, delivery: &Delivery, theme: Theme) {
    let refused = delivery.refused().count();
    let total = delivery.recipients.len();
    let title = if refused == 0 {
        format!(" Sent: {total} of {total} recipients accepted ")
    } else {
        format!(
            " Sent to {} of {total}: {refused} refused ",
            total - refused
        )
    };
    let address_width = delivery
        .recipients
        .iter()
        .map(|r| width_of(&r.address))
        .max()
        .unwrap_or(0)
        .min(40);
    let mut lines = Vec::new();
    for r in &delivery.recipients {
        let (mark, verdict, style) = if r.accepted() {
            ("✓", "accepted", theme.status(Tone::Success))
        } else {
            ("✗", "refused ", theme.status(Tone::Error))
        };
        let (address, used) = fit(&r.address, address_width);
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} {verdict}  "), style),
            Span::raw(address),
            Span::raw(" ".repeat(address_width - used + 2)),
            Span::styled(r.reply.to_string(), theme.dim()),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(format!("Final reply: {}", delivery.reply)));
    lines.push(Line::from(format!("Message-ID:  {message_id}")));
    lines.push(Line::from(""));
    lines.push(keys_line(&[("Enter, Esc", "close")], theme));
    window(frame, area, &title, lines, 110, theme);
}

fn keys_line<'a>(keys: &[(&'a str, &'a str)], theme: Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for (key, what) in keys {
        spans.push(Span::styled(format!(" {key} "), theme.key()));
        spans.push(Span::raw(format!(" {what}   ")));
    }
    Line::from(spans)
}

/// A bordered window centred in `area`, as wide as its text (up to
/// `max_width`) and as high as its lines after wrapping.
fn window(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line>,
    max_width: u16,
    theme: Theme,
) -> Rect {
    let widest = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
    let width = (widest.max(width_of(title) as u16) + 4)
        .min(max_width)
        .min(area.width.saturating_sub(2));
    let inner_width = width.saturating_sub(4).max(1);
    let rows: u16 = lines
        .iter()
        .map(|l| (l.width() as u16).div_ceil(inner_width).max(1))
        .sum();
    let height = (rows + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(title.to_owned(), theme.title(true)));
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let text_area = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text_area);
    text_area
}
