//! The manual-mode prompt (F7), under the protocol log: a rule with where
//! the session stands, and the line being typed after a label that says
//! what it takes (a command, message data, a masked password or answer).
//! When the log is short (80×24) the prompt is one row: the label, the
//! line, and the session's state at the right while there is room.

use ratatui::{
    Frame,
    layout::{Position, Rect},
    text::{Line, Span},
};

use super::{fit, pane, theme::Theme, width_of};
use crate::app::{
    App, Focus,
    manual::{Ask, Mode},
};

/// Rows of the full prompt: its rule and its line.
const FULL: u16 = 2;
/// Rows the log keeps under a full prompt: its rule and four lines.
const LOG_ROOM: u16 = 5;
/// Columns the typed line keeps before the state gives way.
const LINE_ROOM: usize = 24;

/// The log's area and, with the prompt open, the prompt's below it.
pub(super) fn split(area: Rect, app: &App) -> (Rect, Option<Rect>) {
    if !app.manual.open || area.height < 3 {
        return (area, None);
    }
    let rows = if area.height >= FULL + LOG_ROOM {
        FULL
    } else {
        1
    };
    let log = Rect {
        height: area.height - rows,
        ..area
    };
    let prompt = Rect {
        y: area.y + log.height,
        height: rows,
        ..area
    };
    (log, Some(prompt))
}

/// The label before the field, by what it takes.
fn label(app: &App) -> String {
    let manual = &app.manual;
    match (manual.mode(), &manual.ask) {
        (Mode::Data, _) => "DATA> ".to_owned(),
        (Mode::Answer, _) => "answer (hidden)> ".to_owned(),
        (Mode::User, Some(Ask::User { mechanism })) => format!("AUTH {mechanism} user> "),
        (
            Mode::Password,
            Some(Ask::Password {
                mechanism, offered, ..
            }),
        ) => {
            let from = if *offered { " (from the settings)" } else { "" };
            format!("AUTH {mechanism} password{from}> ")
        }
        _ => "SMTP> ".to_owned(),
    }
}

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme, cursor: bool) {
    let focused = app.focus == Focus::Manual;
    let state = format!(" {} ", app.manual.describe());
    let (row, state) = if area.height >= FULL {
        let right = Line::from(Span::styled(state, theme.dim()));
        let inner = pane(
            frame,
            area,
            " Manual SMTP · F7 ",
            Some(right),
            focused,
            theme,
        );
        (inner, None)
    } else {
        (area, Some(state))
    };
    if row.height == 0 {
        return;
    }
    let label = label(app);
    let label_width = width_of(&label);
    let width = usize::from(row.width);
    // One row: the state at the right, while the line keeps its room.
    let state = state
        .map(|s| format!("[{}]", s.trim()))
        .filter(|s| width_of(s) + label_width + LINE_ROOM < width);
    let room = width
        .saturating_sub(label_width + 1)
        .saturating_sub(state.as_deref().map_or(0, |s| width_of(s) + 1));
    let (shown, col) = match app.manual.mode() {
        Mode::Password | Mode::Answer => app.manual.secret.masked(room, '•'),
        _ => app.manual.input.window(room, None),
    };
    let pad = room.saturating_sub(width_of(&shown)) + 1;
    let mut spans = vec![
        Span::styled(label, theme.label(focused)),
        Span::styled(shown, theme.value()),
    ];
    if let Some(state) = state {
        let (state, _) = fit(&state, width);
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(state, theme.dim()));
    }
    super::row(frame, row, row.y, Line::from(spans));
    if focused && cursor {
        frame.set_cursor_position(Position::new(row.x + (label_width + col) as u16, row.y));
    }
}
