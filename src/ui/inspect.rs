//! The log inspector's window: the details of one line (label, text,
//! wrapped), then the letter's lines when the line stands for it.

use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Borders, Clear},
};
use unicode_width::UnicodeWidthChar as _;

use super::{fit, theme::Theme};
use crate::{app::Inspector, smtp::connection::group_digits};

/// The label column.
const LABEL: usize = 9;

pub(super) fn draw(frame: &mut Frame, area: Rect, inspector: &Inspector, theme: Theme) {
    let title = format!(
        " Line {} · ← → previous/next line · ↑↓ PgUp PgDn scroll · Esc closes ",
        group_digits(inspector.number + 1)
    );
    frame.render_widget(Clear, area);
    let block = Block::new()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title(true)))
        .border_style(theme.border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // A column of air on each side.
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let width = usize::from(inner.width);
    let text_width = width.saturating_sub(LABEL).max(1);
    // Details wrap; the letter's lines are cut (← → is for lines).
    let mut rows: Vec<Line> = Vec::new();
    for (label, text) in &inspector.rows {
        for (i, piece) in wrap(text, text_width).into_iter().enumerate() {
            let label = if i == 0 { label.as_str() } else { "" };
            rows.push(Line::from(vec![
                Span::styled(format!("{label:<LABEL$}"), theme.label(false)),
                Span::styled(piece, theme.value()),
            ]));
        }
    }
    let height = usize::from(inner.height);
    let detail_rows = rows.len();
    let total = detail_rows
        + inspector
            .letter
            .as_ref()
            .map_or(0, crate::app::LetterView::len);
    inspector.max_scroll.set(total.saturating_sub(height));
    let skip = inspector.scroll.min(total.saturating_sub(height));
    let mut y = inner.y;
    for line in rows.into_iter().skip(skip).take(height) {
        super::row(frame, inner, y, line);
        y += 1;
    }
    if let Some(letter) = &inspector.letter {
        let first = skip.saturating_sub(detail_rows);
        let room = height.saturating_sub(usize::from(y - inner.y));
        for i in first..(first + room).min(letter.len()) {
            let Some(text) = letter.line(i) else { break };
            let (shown, _) = fit(&text, width.saturating_sub(2));
            super::row(
                frame,
                inner,
                y,
                Line::from(vec![Span::raw("  "), Span::styled(shown, theme.value())]),
            );
            y += 1;
        }
    }
}

/// `text` in rows of at most `width` columns, broken at spaces where it
/// can be (a word longer than a row is cut); a continued row keeps the
/// text's own indentation. Characters unsafe on a terminal are escaped by
/// `fit` in each row.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let indent: String = text.chars().take_while(|c| *c == ' ').collect();
    let indent = if indent.len() * 2 < width {
        indent
    } else {
        String::new()
    };
    let mut out = Vec::new();
    let mut row = String::new();
    let mut used = 0;
    let columns = |s: &str| s.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>();
    for word in text.split_inclusive(' ') {
        let w = columns(word);
        if used + w.saturating_sub(usize::from(word.ends_with(' '))) > width
            && !row.trim().is_empty()
        {
            out.push(fit(row.trim_end(), width).0);
            row.clone_from(&indent);
            used = indent.len();
        }
        if used + w > width {
            // A word wider than the row: cut it.
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if used + cw > width && !row.trim().is_empty() {
                    out.push(fit(row.trim_end(), width).0);
                    row.clone_from(&indent);
                    used = indent.len();
                }
                row.push(c);
                used += cw;
            }
        } else {
            row.push_str(word);
            used += w;
        }
    }
    out.push(fit(row.trim_end(), width).0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_break_at_spaces_and_keep_the_indent() {
        assert_eq!(
            wrap("  one two three four", 11),
            ["  one two", "  three", "  four"]
        );
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
    }
}
