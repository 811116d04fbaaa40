//! The protocol log pane. Only the visible lines are formatted, so a frame
//! costs the same with ten lines as with a million. Each line reads as in
//! the transcript format; a line too long for the pane is cut (← → scroll
//! sideways) but keeps its `[latency]` / `(decoded)` annotation in view.

use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Scrollbar, ScrollbarOrientation, ScrollbarState},
};

use super::{fit, pane, theme::Theme, width_of};
use crate::{
    app::{App, Focus},
    smtp::{LogLine, connection::group_digits},
};

/// `08:41:02.139 S: ` — the time, the prefix and their spaces.
const HEAD: usize = 16;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let log = &app.log;
    let focused = app.focus == Focus::Log;
    let inner_rows = usize::from(area.height.saturating_sub(1));
    let total = log.len();
    let first = log.first_visible(inner_rows);
    let selected = log.selected();
    let position = if focused && let Some(n) = selected {
        format!(
            " line {} of {} · Enter details ",
            group_digits(n + 1),
            group_digits(total as u64 + log.dropped())
        )
    } else if log.following() {
        format!(" following · {} lines ", group_digits(total as u64))
    } else {
        format!(
            " lines {}–{} of {} · End follows ",
            group_digits(first as u64 + 1),
            group_digits((first + inner_rows).min(total) as u64),
            group_digits(total as u64)
        )
    };
    let right = Line::from(Span::styled(position, theme.dim()));
    let inner = pane(
        frame,
        area,
        " Protocol log · F3 ",
        Some(right),
        focused,
        theme,
    );
    log.set_page(usize::from(inner.height));
    if log.is_empty() {
        super::row(
            frame,
            inner,
            inner.y,
            Span::styled(
                "Ctrl+O connects, Ctrl+S sends; the conversation with the server appears here.",
                theme.dim(),
            ),
        );
        return;
    }
    let scrollbar = total > usize::from(inner.height);
    let width = usize::from(inner.width.saturating_sub(u16::from(scrollbar)));
    for (y, entry) in (inner.y..).zip(log.visible(usize::from(inner.height))) {
        let mut line = render_line(&entry.to_line(), width, log.hscroll, theme);
        if focused && selected == Some(entry.number) {
            // The cursor: reversed, and a marker for a screen without
            // attributes.
            line = line.style(theme.selected());
            if let Some(prefix) = line.spans.get_mut(1)
                && let Some(rest) = prefix.content.strip_prefix(' ')
            {
                prefix.content = format!("›{rest}").into();
            }
        }
        super::row(frame, inner, y, line);
    }
    if scrollbar {
        let mut state = ScrollbarState::new(total.saturating_sub(usize::from(inner.height)))
            .position(first)
            .viewport_content_length(usize::from(inner.height));
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None),
            inner,
            &mut state,
        );
    }
}

/// One log line in `width` columns: time, prefix, text (from `hscroll`
/// characters on), padding and the annotation, as in the transcript format.
fn render_line<'a>(line: &LogLine, width: usize, hscroll: usize, theme: Theme) -> Line<'a> {
    let full = line.to_string();
    let suffix = line.suffix().unwrap_or_default();
    let head: String = full.chars().take(HEAD).collect();
    let body_end = full.len() - suffix.len();
    let body: String = full
        .get(head.len()..body_end)
        .unwrap_or_default()
        .chars()
        .skip(hscroll)
        .collect();
    let style = theme.log(line.dir);
    let (time, prefix) = head.split_at(head.find(' ').unwrap_or(0));
    let mut spans = vec![
        Span::styled(time.to_owned(), theme.time()),
        Span::styled(prefix.to_owned(), style),
    ];
    let room = width.saturating_sub(HEAD);
    if suffix.is_empty() {
        let (text, _) = fit(&body, room);
        spans.push(Span::styled(text, style));
    } else {
        // The annotation stays visible: the text gives way.
        let suffix_width = width_of(&suffix);
        let text_room = room.saturating_sub(suffix_width + 1);
        let body = body.trim_end();
        let (text, used) = fit(body, text_room);
        let padded = width_of(&full[head.len()..body_end]).saturating_sub(hscroll);
        let pad = padded.clamp(used + 1, text_room + 1) - used;
        spans.push(Span::styled(text, style));
        spans.push(Span::raw(" ".repeat(pad)));
        let (suffix, _) = fit(&suffix, room.saturating_sub(used + pad));
        spans.push(Span::styled(suffix, theme.suffix()));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::NaiveTime;

    use super::*;
    use crate::smtp::Dir;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn lines_read_as_the_transcript_and_keep_their_annotation() {
        let theme = Theme::new(false);
        let server = LogLine {
            time: NaiveTime::from_hms_milli_opt(8, 41, 2, 139).unwrap(),
            dir: Dir::Server,
            text: "220 mx.example.org ESMTP ready".into(),
            latency: Some(Duration::from_millis(25)),
            gloss: None,
        };
        assert_eq!(
            text(&render_line(&server, 100, 0, theme)),
            server.to_string()
        );
        let cut = text(&render_line(&server, 50, 0, theme));
        assert_eq!(cut, "08:41:02.139 S: 220 mx.example.org ESMTP … [25 ms]");
        assert_eq!(width_of(&cut), 50);
        let note = LogLine {
            dir: Dir::Note,
            text: "connecting to smtp.example.org:587".into(),
            latency: None,
            ..server.clone()
        };
        assert_eq!(
            text(&render_line(&note, 40, 0, theme)),
            "08:41:02.139 *  connecting to smtp.exam…"
        );
        assert_eq!(
            text(&render_line(&note, 80, 14, theme)),
            "08:41:02.139 *  smtp.example.org:587"
        );
    }
}
