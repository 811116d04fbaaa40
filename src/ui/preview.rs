//! The preview window (F6) over the main area: the model's lines, long ones
//! wrapped (a `↪` marks a continued row), drawn from the first line shown
//! on; only the lines on screen are laid out, so a long letter costs no
//! more than a short one.

use ratatui::{
    Frame,
    layout::Rect,
    style::Style,
    text::{Line, Span},
    widgets::{Clear, Scrollbar, ScrollbarOrientation, ScrollbarState},
};
use unicode_width::UnicodeWidthChar as _;

use super::{fit, pane, theme::Theme};
use crate::{
    app::{LineKind, PreviewLine, PreviewView, Tone},
    smtp::{capabilities::human_size, connection::group_digits},
};

/// Columns before a line's text: the indent, or the continuation mark.
const INDENT: usize = 2;

pub(super) fn draw(frame: &mut Frame, area: Rect, view: &PreviewView, theme: Theme) {
    frame.render_widget(Clear, area);
    let lines = view.lines();
    let right = match view.size() {
        Some(size) if size < 1024 => format!(" {size} bytes · Esc closes "),
        Some(size) => format!(
            " {} bytes ({}) · Esc closes ",
            group_digits(size),
            human_size(size),
        ),
        None => " Esc closes ".to_owned(),
    };
    let inner = pane(
        frame,
        area,
        " Preview · F6 ",
        Some(Line::from(Span::styled(right, theme.dim()))),
        true,
        theme,
    );
    if inner.height == 0 {
        return;
    }
    if view.is_building() {
        view.set_view(usize::from(inner.height), 0);
        super::row(
            frame,
            inner,
            inner.y,
            Span::styled(
                "building the letter… (it reads the attached files)",
                theme.dim(),
            ),
        );
        return;
    }
    let rows = usize::from(inner.height);
    // The scrollbar takes the last column when the lines do not fit.
    let fits = rows_for(lines, usize::from(inner.width), rows + 1) <= rows;
    let width = usize::from(inner.width.saturating_sub(u16::from(!fits)));
    let last_top = last_top(lines, width, rows);
    view.set_view(rows, last_top);
    let first = view.offset().min(last_top);
    let mut y = inner.y;
    'lines: for line in &lines[first..] {
        for row in wrap(line, width, theme) {
            if y >= inner.bottom() {
                break 'lines;
            }
            super::row(frame, inner, y, row);
            y += 1;
        }
    }
    if !fits {
        let mut state = ScrollbarState::new(last_top)
            .position(first)
            .viewport_content_length(rows);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None),
            inner,
            &mut state,
        );
    }
}

/// The style of a line's text and of its note.
fn styles(kind: LineKind, theme: Theme) -> (Style, Style) {
    match kind {
        LineKind::Heading => (theme.label(false).patch(theme.title(false)), theme.dim()),
        LineKind::Wire => (theme.value(), theme.dim()),
        LineKind::Text | LineKind::Blank => (Style::new(), theme.dim()),
        LineKind::Warning => (theme.status(Tone::Warning), theme.dim()),
        LineKind::Problem => (theme.error(), theme.dim()),
        LineKind::Skipped => (theme.dim(), theme.dim()),
    }
}

/// The rows of one line in `width` columns: headings start at the edge,
/// the rest after the indent; each continued row starts with `↪`. Bytes
/// (wire lines) break anywhere, prose at a space where it can. Text goes
/// through [`fit`], which escapes anything unsafe that is left.
fn wrap<'a>(line: &PreviewLine, width: usize, theme: Theme) -> Vec<Line<'a>> {
    let (text_style, note_style) = styles(line.kind, theme);
    let indent = if line.kind == LineKind::Heading {
        0
    } else {
        INDENT
    };
    let width = width.max(INDENT + 1);
    let mut cells: Vec<(char, usize, Style)> = Vec::with_capacity(line.text.len() + 8);
    let mut add = |text: &str, style: Style| {
        let (safe, _) = fit(text, usize::MAX);
        cells.extend(safe.chars().map(|c| (c, c.width().unwrap_or(0), style)));
    };
    add(&line.text, text_style);
    if let Some(note) = &line.note {
        add("  ", note_style);
        add(note, note_style);
    }
    let prose = line.kind != LineKind::Wire;
    let mut rows = Vec::new();
    let mut start = 0;
    let mut lead = Span::raw(" ".repeat(indent));
    loop {
        let room = width - super::width_of(&lead.content);
        // As many cells as fit; at least one, so a row always moves on.
        let mut end = start;
        let mut used = 0;
        while end < cells.len() && (end == start || used + cells[end].1 <= room) {
            used += cells[end].1;
            end += 1;
        }
        if prose
            && end < cells.len()
            && let Some(space) = cells[start + 1..end].iter().rposition(|c| c.0 == ' ')
        {
            end = start + 1 + space + 1;
        }
        let mut spans = vec![lead];
        for group in cells[start..end].chunk_by(|a, b| a.2 == b.2) {
            spans.push(Span::styled(
                group.iter().map(|c| c.0).collect::<String>(),
                group[0].2,
            ));
        }
        rows.push(Line::from(spans));
        start = end;
        if start >= cells.len() {
            return rows;
        }
        lead = Span::styled("↪ ", theme.dim());
    }
}

/// The rows one line takes in `width` columns.
fn row_count(line: &PreviewLine, width: usize) -> usize {
    wrap(line, width, Theme::new(false)).len()
}

/// The rows the first lines take, counting no further than `enough`.
fn rows_for(lines: &[PreviewLine], width: usize, enough: usize) -> usize {
    let mut rows = 0;
    for line in lines {
        rows += row_count(line, width);
        if rows >= enough {
            break;
        }
    }
    rows
}

/// The largest first line that still fills `rows` rows to the end.
fn last_top(lines: &[PreviewLine], width: usize, rows: usize) -> usize {
    let mut used = 0;
    for (i, line) in lines.iter().enumerate().rev() {
        used += row_count(line, width);
        if used > rows {
            return i + 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn long_lines_wrap_with_a_mark_and_counts_agree() {
        let theme = Theme::new(false);
        for (kind, line, note, width, expected) in [
            (
                LineKind::Wire,
                "RCPT TO:<a@x.org>",
                None,
                40,
                vec!["  RCPT TO:<a@x.org>"],
            ),
            (
                LineKind::Wire,
                "0123456789abcdefghij",
                None,
                12,
                vec!["  0123456789", "↪ abcdefghij"],
            ),
            (
                LineKind::Text,
                "text  8bit",
                Some("why"),
                14,
                vec!["  text  8bit  ", "↪ why"],
            ),
            (
                LineKind::Text,
                "not connected: built as",
                None,
                20,
                vec!["  not connected: ", "↪ built as"],
            ),
            (
                LineKind::Wire,
                "not connected: built as",
                None,
                20,
                vec!["  not connected: bui", "↪ lt as"],
            ),
            (LineKind::Wire, "", None, 20, vec!["  "]),
            (
                LineKind::Heading,
                "DATA",
                Some("as sent"),
                20,
                vec!["DATA  as sent"],
            ),
            (
                LineKind::Wire,
                "Тема: Привет",
                None,
                8,
                vec!["  Тема: ", "↪ Привет"],
            ),
            (LineKind::Wire, "a\u{1b}b", None, 20, vec!["  a\\x1bb"]),
        ] {
            let line = PreviewLine {
                kind,
                text: line.into(),
                note: note.map(str::to_owned),
            };
            let rows: Vec<String> = wrap(&line, width, theme).iter().map(text).collect();
            assert_eq!(rows, expected, "{line:?}");
            assert_eq!(row_count(&line, width), rows.len(), "{line:?}");
        }
    }
}
