//! The compose form: one row per header field (plus a row for its
//! validation message), then the body editor.

use ratatui::{
    Frame,
    layout::{Position, Rect},
    text::{Line, Span},
};

use super::{fit, pane, theme::Theme};
use crate::app::{App, ComposeField, Focus};

/// Label column: `Subject` and a space.
const LABEL: u16 = 8;

/// The header fields, in order.
const HEADERS: [ComposeField; 5] = [
    ComposeField::From,
    ComposeField::To,
    ComposeField::Cc,
    ComposeField::Bcc,
    ComposeField::Subject,
];

fn placeholder(field: ComposeField) -> &'static str {
    match field {
        ComposeField::From => "Your Name <you@example.org>",
        ComposeField::To => "recipients, comma separated",
        ComposeField::Cc => "copies (optional)",
        ComposeField::Bcc => "blind copies: envelope only, never in the letter",
        ComposeField::Subject => "what the letter is about",
        ComposeField::Body => "",
    }
}

/// Rows the form needs besides the body: the title, the header fields and
/// their messages.
pub(super) fn fixed_height(app: &App) -> u16 {
    let messages = HEADERS
        .iter()
        .filter(|f| app.compose.error(**f).is_some())
        .count() as u16;
    1 + HEADERS.len() as u16 + messages
}

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme, cursor: bool) {
    let focused = match app.focus {
        Focus::Compose(field) => Some(field),
        _ => None,
    };
    let right = app.sent.then(|| {
        Line::from(Span::styled(
            " sent ✓ ",
            theme.status(crate::app::Tone::Success),
        ))
    });
    let inner = pane(frame, area, " Compose ", right, focused.is_some(), theme);
    let bottom = inner.y + inner.height;
    let value_width = inner.width.saturating_sub(LABEL);
    let mut y = inner.y;
    for field in HEADERS {
        if y >= bottom {
            return;
        }
        let Some(input) = app.compose.line(field) else {
            continue;
        };
        let is_focused = focused == Some(field);
        let error = app.compose.error(field);
        let (shown, cursor_col) = input.window(usize::from(value_width), None);
        let value = if input.text().is_empty() {
            Span::styled(placeholder(field), theme.placeholder())
        } else if error.is_some() {
            Span::styled(shown, theme.error())
        } else {
            Span::styled(shown, theme.value())
        };
        let row = Line::from(vec![
            Span::styled(format!("{:>7}", field.label()), theme.label(is_focused)),
            Span::raw(" "),
            value,
        ]);
        super::row(frame, inner, y, row);
        if is_focused && cursor {
            frame.set_cursor_position(Position::new(inner.x + LABEL + cursor_col as u16, y));
        }
        y += 1;
        if let Some(message) = error
            && y < bottom
        {
            let (text, _) = fit(&format!("✗ {message}"), usize::from(value_width));
            let row = Line::from(vec![
                Span::raw(" ".repeat(usize::from(LABEL))),
                Span::styled(text, theme.error()),
            ]);
            super::row(frame, inner, y, row);
            y += 1;
        }
    }
    if y >= bottom {
        return;
    }
    let body_focused = focused == Some(ComposeField::Body);
    super::row(
        frame,
        inner,
        y,
        Span::styled(
            format!("{:>7}", ComposeField::Body.label()),
            theme.label(body_focused),
        ),
    );
    let body_area = Rect {
        x: inner.x + LABEL,
        y,
        width: value_width,
        height: bottom - y,
    };
    let body = app.compose.body();
    frame.render_widget(body, body_area);
    if body_focused && cursor {
        // The editor records its scroll position while rendering; the
        // cursor's screen cell follows from it.
        let screen = body.screen_cursor();
        let (top_row, top_col) = body.scroll_offset();
        let row = (screen.row as u16).saturating_sub(top_row);
        let col = if body.is_empty() {
            0
        } else {
            (screen.col as u16).saturating_sub(top_col)
        };
        frame.set_cursor_position(Position::new(
            body_area.x + col.min(body_area.width.saturating_sub(1)),
            body_area.y + row.min(body_area.height.saturating_sub(1)),
        ));
    }
}
