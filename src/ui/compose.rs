//! The compose form: one row per header field (plus a row for its
//! validation message), then the body editor.

use ratatui::{
    Frame,
    layout::{Position, Rect},
    text::{Line, Span},
};

use super::{fit, pane, theme::Theme, width_of};
use crate::{
    app::{App, AttachedFile, ComposeField, Focus},
    smtp::capabilities::human_size,
    worker::SessionState,
};

/// Label column: `Reply-To` and a space.
const LABEL: u16 = 9;

/// The header fields, in order.
const HEADERS: [ComposeField; 6] = [
    ComposeField::From,
    ComposeField::ReplyTo,
    ComposeField::To,
    ComposeField::Cc,
    ComposeField::Bcc,
    ComposeField::Subject,
];

fn placeholder(field: ComposeField) -> &'static str {
    match field {
        ComposeField::From => "Your Name <you@example.org>",
        ComposeField::ReplyTo => "where replies go (optional)",
        ComposeField::To => "recipients, comma separated",
        ComposeField::Cc => "copies (optional)",
        ComposeField::Bcc => "blind copies: envelope only, never in the letter",
        ComposeField::Subject => "what the letter is about",
        ComposeField::Attachments => "none (F5 attaches a file)",
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
    // The title, the header fields, the attachments row, the messages.
    1 + HEADERS.len() as u16 + 1 + messages
}

/// Draws the form; returns where the focused header field's value starts
/// (for the completion list).
pub(super) fn draw(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: Theme,
    cursor: bool,
) -> Option<Position> {
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
    let mut anchor = None;
    for field in HEADERS {
        if y >= bottom {
            return anchor;
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
            Span::styled(format!("{:>8}", field.label()), theme.label(is_focused)),
            Span::raw(" "),
            value,
        ]);
        super::row(frame, inner, y, row);
        if is_focused {
            anchor = Some(Position::new(inner.x + LABEL, y));
        }
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
        return anchor;
    }
    attachments_row(
        frame,
        inner,
        y,
        app,
        theme,
        focused == Some(ComposeField::Attachments),
    );
    y += 1;
    if y >= bottom {
        return anchor;
    }
    let body_focused = focused == Some(ComposeField::Body);
    super::row(
        frame,
        inner,
        y,
        Span::styled(
            format!("{:>8}", ComposeField::Body.label()),
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
    anchor
}

/// The list of addresses under the field being typed in: the choices, the
/// highlighted one reversed, and the keys in its title. It may cover the
/// panes below; it goes up when there is no room below.
pub(super) fn completion(
    frame: &mut Frame,
    screen: Rect,
    anchor: Position,
    app: &App,
    theme: Theme,
) {
    let Some(completion) = &app.completion else {
        return;
    };
    let title = " ↑↓ choose · Enter adds · Esc ";
    let widest = completion
        .choices
        .iter()
        .map(|m| width_of(&m.to_string()) + 2)
        .max()
        .unwrap_or(0)
        .max(width_of(title));
    let room = screen.x + screen.width - anchor.x;
    let width = u16::try_from(widest + 2).unwrap_or(u16::MAX).min(room);
    let height = u16::try_from(completion.choices.len() + 2).unwrap_or(u16::MAX);
    let below = screen.y + screen.height - (anchor.y + 1);
    let y = if below >= height {
        anchor.y + 1
    } else {
        anchor.y.saturating_sub(height).max(screen.y)
    };
    let area = Rect {
        x: anchor.x,
        y,
        width,
        height: height.min(screen.height),
    };
    frame.render_widget(ratatui::widgets::Clear, area);
    let block = ratatui::widgets::Block::bordered()
        .title(Span::styled(title, theme.dim()))
        .border_style(theme.dim());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    for (i, mailbox) in completion.choices.iter().enumerate() {
        let Ok(offset) = u16::try_from(i) else { break };
        if offset >= inner.height {
            break;
        }
        // The marker shows the choice without colour or reverse video too.
        let selected = i == completion.selected;
        let marker = if selected { "› " } else { "  " };
        let (text, _) = fit(&format!("{marker}{mailbox}"), usize::from(inner.width));
        let style = if selected {
            theme.selected()
        } else {
            theme.value()
        };
        super::row(frame, inner, inner.y + offset, Span::styled(text, style));
    }
}

/// `Attach  report.pdf 1.2 MiB · photo.png 340.0 KiB · total 1.5 MiB of
/// 35.0 MiB allowed`: each file with its size (a missing one in red), the
/// selected one marked while the row has the focus, and the total against
/// the server's SIZE once it is known (in red when over).
fn attachments_row(frame: &mut Frame, inner: Rect, y: u16, app: &App, theme: Theme, focused: bool) {
    let files = app.compose.attachments.files();
    let width = usize::from(inner.width.saturating_sub(LABEL));
    let mut spans = vec![
        Span::styled(
            format!("{:>8}", ComposeField::Attachments.label()),
            theme.label(focused),
        ),
        Span::raw(" "),
    ];
    if files.is_empty() {
        spans.push(Span::styled(
            placeholder(ComposeField::Attachments),
            theme.placeholder(),
        ));
        super::row(frame, inner, y, Line::from(spans));
        return;
    }
    let total = app.compose.attachments.total();
    let limit = match &app.session {
        SessionState::Open { capabilities, .. } => capabilities.size_limit(),
        SessionState::Closed => None,
    };
    let long = match limit {
        Some(limit) => format!(
            " · total {} of {} allowed",
            human_size(total),
            human_size(limit)
        ),
        None => format!(" · total {}", human_size(total)),
    };
    let short = match limit {
        Some(limit) => format!(" · {}/{}", human_size(total), human_size(limit)),
        None => format!(" · {}", human_size(total)),
    };
    let items: Vec<(String, bool)> = files
        .iter()
        .map(|f| match f {
            AttachedFile::Ready(a) => (format!("{} {}", a.name(), human_size(a.size())), false),
            AttachedFile::Missing { .. } => (format!("✗ {} missing", f.name()), true),
        })
        .collect();
    // The widest run of files around the selected one that fits, with
    // "‹n more›" for those left out on either side.
    let n = items.len();
    let selected = app.compose.attachments.selected().min(n - 1);
    let marker = |k: usize| {
        if k == 0 {
            0
        } else {
            width_of(&format!("‹{k} more› "))
        }
    };
    let fits_with = |summary: &str, start: usize, end: usize| {
        let files: usize = items[start..end].iter().map(|(t, _)| width_of(t)).sum();
        files + 3 * (end - start - 1) + marker(start) + marker(n - end) + width_of(summary) <= width
    };
    // The short total when the long one leaves no room for the file chosen.
    let summary = if fits_with(&long, selected, selected + 1) {
        long
    } else {
        short
    };
    let fits = |start: usize, end: usize| fits_with(&summary, start, end);
    let (mut start, mut end) = (selected, selected + 1);
    loop {
        if end < n && fits(start, end + 1) {
            end += 1;
        } else if start > 0 && fits(start - 1, end) {
            start -= 1;
        } else {
            break;
        }
    }
    if start > 0 {
        spans.push(Span::styled(format!("‹{start} more› "), theme.dim()));
    }
    for (i, (text, missing)) in items.iter().enumerate().take(end).skip(start) {
        if i > start {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        let mut style = if *missing {
            theme.error()
        } else {
            theme.value()
        };
        if focused && i == selected {
            style = style.add_modifier(ratatui::style::Modifier::REVERSED);
        }
        spans.push(Span::styled(text.clone(), style));
    }
    if end < n {
        spans.push(Span::styled(format!(" ‹{} more›", n - end), theme.dim()));
    }
    let over = limit.is_some_and(|l| total > l);
    spans.push(Span::styled(
        summary,
        if over { theme.error() } else { theme.dim() },
    ));
    super::row(frame, inner, y, Line::from(spans));
}
