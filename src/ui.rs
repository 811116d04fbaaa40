//! The view: [`draw`] paints the whole screen from the model. It does no
//! I/O and reads no clock; the only thing it writes back is the log's
//! visible height, which the model needs for PgUp/PgDn.
//!
//! Layout: settings on top, the compose form, then the protocol log, with a
//! status line and a key-hint bar at the bottom. From [`WIDE`] columns on,
//! the log gets its own column on the right.

mod compose;
mod inspect;
mod manual;
mod overlay;
mod preview;
mod settings;
mod status;
pub mod theme;
mod transcript;

use ratatui::{
    Frame,
    layout::{Alignment, Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Paragraph, Wrap},
};
use unicode_width::UnicodeWidthChar as _;

use self::theme::Theme;
use crate::{app::App, smtp::visible};

/// The smallest screen the composer draws on.
pub const MIN_WIDTH: u16 = 80;
/// The smallest screen the composer draws on.
pub const MIN_HEIGHT: u16 = 24;
/// From this width on, the log sits beside the form.
pub const WIDE: u16 = 150;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme::new(app.context.color);
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, theme);
        return;
    }
    // A long result and advice get rows of their own.
    let status_rows = status::rows(app, area.width);
    let [main, status_row, hints_row] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(status_rows),
        Constraint::Length(1),
    ])
    .areas(area);
    let panes = layout(main, app);
    // The cursor goes into the focused field unless a window covers it.
    let cursor = app.overlay.is_none();
    settings::draw(frame, panes.settings, app, theme, cursor);
    let anchor = compose::draw(frame, panes.compose, app, theme, cursor);
    let (log, prompt) = manual::split(panes.log, app);
    transcript::draw(frame, log, app, theme);
    if let Some(prompt) = prompt {
        manual::draw(frame, prompt, app, theme, cursor);
    }
    if let (Some(anchor), true) = (anchor, cursor) {
        compose::completion(frame, main, anchor, app, theme);
    }
    status::status_line(frame, status_row, app, theme);
    status::hint_bar(frame, hints_row, app, theme);
    if let Some(overlay) = &app.overlay {
        overlay::draw(frame, main, app, overlay, theme);
    }
}

struct Panes {
    settings: Rect,
    compose: Rect,
    log: Rect,
}

fn layout(main: Rect, app: &App) -> Panes {
    let settings_height = settings::height(app);
    if main.width >= WIDE {
        let left_width = (main.width * 9 / 20).max(MIN_WIDTH);
        let [left, log] =
            Layout::horizontal([Constraint::Length(left_width), Constraint::Min(0)]).areas(main);
        let [settings, compose] =
            Layout::vertical([Constraint::Length(settings_height), Constraint::Min(0)]).areas(left);
        return Panes {
            settings,
            compose,
            log,
        };
    }
    // One column: the rows left after the fixed parts go 2:3 to the body
    // and the log.
    let fixed = compose::fixed_height(app);
    let flexible = main
        .height
        .saturating_sub(settings_height + fixed + 1)
        .max(4);
    let body = (flexible * 2 / 5).max(2);
    let [settings, compose, log] = Layout::vertical([
        Constraint::Length(settings_height),
        Constraint::Length(fixed + body),
        Constraint::Min(0),
    ])
    .areas(main);
    Panes {
        settings,
        compose,
        log,
    }
}

fn too_small(frame: &mut Frame, area: Rect, theme: Theme) {
    let text = format!(
        "terminal too small: {}×{}; smtpwire needs at least {MIN_WIDTH}×{MIN_HEIGHT}. Ctrl+Q quits.",
        area.width, area.height
    );
    let y = area.height / 2;
    let row = Rect {
        y: area.y + y.min(area.height.saturating_sub(1)),
        height: area.height.saturating_sub(y).min(3),
        ..area
    };
    frame.render_widget(
        Paragraph::new(text)
            .style(theme.error())
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        row,
    );
}

/// A pane: a rule along its top row with the title on it (and an optional
/// title on the right), no side borders, so that every column holds text.
/// Returns the area under the rule. Drawn cell by cell rather than with a
/// `Block`, which restyles its whole area on every frame.
fn pane(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    right: Option<Line>,
    focused: bool,
    theme: Theme,
) -> Rect {
    if area.height == 0 {
        return area;
    }
    let buf = frame.buffer_mut();
    let style = theme.border(focused);
    for x in area.left()..area.right() {
        buf[(x, area.y)].set_symbol("─").set_style(style);
    }
    let row = Rect { height: 1, ..area };
    let title_area = Rect {
        x: area.x + 1,
        width: area.width.saturating_sub(1),
        ..row
    };
    if let Some(right) = right {
        let width = (right.width() as u16).min(area.width);
        let right_area = Rect {
            x: area.right() - width,
            width,
            ..row
        };
        frame.render_widget(right, right_area);
    }
    frame.render_widget(Span::styled(title, theme.title(focused)), title_area);
    Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    }
}

/// Draws one line of text in one row of `area`, if the row exists. Plain
/// ASCII goes straight into the cells: that is most of the protocol log,
/// and it spares the grapheme segmentation that dominates a frame's cost.
fn row<'a>(frame: &mut Frame, area: Rect, y: u16, line: impl Into<Line<'a>>) {
    if y < area.top() || y >= area.bottom() {
        return;
    }
    let line = line.into();
    let buf = frame.buffer_mut();
    let right = area.right();
    let mut x = area.x;
    for span in &line.spans {
        if x >= right {
            break;
        }
        let style = line.style.patch(span.style);
        let text = span.content.as_ref();
        if text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            for c in text.chars() {
                if x >= right {
                    break;
                }
                buf[(x, y)].set_char(c).set_style(style);
                x += 1;
            }
        } else {
            x = buf.set_stringn(x, y, text, usize::from(right - x), style).0;
        }
    }
}

/// `text` cut to `width` columns, with `…` when it was cut; a tab is a
/// space. Server text is escaped where it enters the engine
/// ([`crate::smtp::visible`]); as a second line of defence, any character
/// of the same unsafe classes that still gets here (control, bidi,
/// invisible) is shown as its escape, so it cannot move the cursor, set the
/// terminal's title or clipboard, or reorder the line.
fn fit(text: &str, width: usize) -> (String, usize) {
    let escaped: std::borrow::Cow<'_, str> =
        if text.chars().any(|c| c != '\t' && visible::is_unsafe(c)) {
            let mut out = String::with_capacity(text.len() + 16);
            for c in text.chars() {
                if c != '\t' && visible::is_unsafe(c) {
                    visible::push_escaped(c, &mut out);
                } else {
                    out.push(c);
                }
            }
            out.into()
        } else {
            text.into()
        };
    let mut out = String::new();
    let mut used = 0;
    let mut chars = escaped.chars().peekable();
    while let Some(c) = chars.next() {
        let c = if c == '\t' { ' ' } else { c };
        let w = c.width().unwrap_or(0);
        let last = chars.peek().is_none();
        // Keep one column for the ellipsis unless this is the last char.
        let room = if last { width } else { width.saturating_sub(1) };
        if used + w > room {
            if used < width {
                out.push('…');
                used += 1;
            }
            return (out, used);
        }
        out.push(c);
        used += w;
    }
    (out, used)
}

/// Columns a string takes.
fn width_of(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_with_an_ellipsis_and_masks_controls() {
        for (text, width, expected) in [
            ("hello", 5, "hello"),
            ("hello", 4, "hel…"),
            ("hello", 0, ""),
            ("Привет мир", 7, "Привет…"),
            ("a\u{1b}[2Jb", 10, "a\\x1b[2Jb"),
            ("a\u{202e}b\u{200b}", 20, "a\\u{202e}b\\u{200b}"),
            ("tab\there", 10, "tab here"),
            ("a\u{9b}31m", 6, "a\\u{9…"),
            ("日本語", 4, "日…"),
        ] {
            let (out, used) = fit(text, width);
            assert_eq!(out, expected, "{text:?} in {width}");
            assert!(used <= width);
        }
    }
}
