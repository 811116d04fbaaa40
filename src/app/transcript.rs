//! The protocol log as the UI keeps it: a bounded ring of transcript lines
//! and a scroll position that either follows the tail or stays on the lines
//! the user scrolled to, even while new lines arrive or old ones fall out.

use std::{cell::Cell, collections::VecDeque};

use crate::smtp::LogLine;

/// The most lines kept; older ones are dropped.
pub const MAX_LINES: usize = 1_000_000;

/// The log and where the user looks in it.
#[derive(Debug)]
pub struct ProtocolLog {
    lines: VecDeque<LogLine>,
    cap: usize,
    /// How many lines fell out of the ring so far: the index of the first
    /// kept line in the whole session's numbering.
    dropped: u64,
    /// The session-wide number of the top visible line; `None` follows the
    /// tail.
    anchor: Option<u64>,
    /// Characters skipped at the left of each line's text.
    pub hscroll: usize,
    /// The number of visible rows, recorded by the view when it draws (the
    /// model needs it for PgUp/PgDn, and only the view knows the layout).
    page: Cell<usize>,
}

impl Default for ProtocolLog {
    fn default() -> ProtocolLog {
        ProtocolLog::with_capacity(MAX_LINES)
    }
}

impl ProtocolLog {
    /// A log keeping at most `cap` lines.
    pub fn with_capacity(cap: usize) -> ProtocolLog {
        ProtocolLog {
            lines: VecDeque::new(),
            cap: cap.max(1),
            dropped: 0,
            anchor: None,
            hscroll: 0,
            page: Cell::new(10),
        }
    }

    /// Appends a line, dropping the oldest when full.
    pub fn push(&mut self, line: LogLine) {
        if self.lines.len() == self.cap {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
    }

    /// The number of lines kept.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there are no lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Every line kept, oldest first.
    pub fn lines(&self) -> impl Iterator<Item = &LogLine> {
        self.lines.iter()
    }

    /// Whether the view follows the tail.
    pub fn following(&self) -> bool {
        self.anchor.is_none()
    }

    /// Records the visible height (called by the view).
    pub fn set_page(&self, rows: usize) {
        self.page.set(rows.max(1));
    }

    /// The index of the first line shown in `rows` rows.
    pub fn first_visible(&self, rows: usize) -> usize {
        let last_start = self.lines.len().saturating_sub(rows);
        match self.anchor {
            None => last_start,
            Some(top) => (top.saturating_sub(self.dropped) as usize).min(last_start),
        }
    }

    /// The lines shown in `rows` rows: only those are touched, so drawing
    /// costs the same for ten lines and for a million.
    pub fn visible(&self, rows: usize) -> impl Iterator<Item = &LogLine> {
        let start = self.first_visible(rows);
        let end = (start + rows).min(self.lines.len());
        self.lines.range(start..end)
    }

    /// Scrolls towards older lines.
    pub fn up(&mut self, n: usize) {
        let page = self.page.get();
        if self.lines.len() <= page {
            return;
        }
        let start = self.first_visible(page).saturating_sub(n);
        self.anchor = Some(self.dropped + start as u64);
    }

    /// Scrolls towards newer lines; reaching the end follows the tail again.
    pub fn down(&mut self, n: usize) {
        let page = self.page.get();
        let start = self.first_visible(page) + n;
        if start >= self.lines.len().saturating_sub(page) {
            self.anchor = None;
        } else {
            self.anchor = Some(self.dropped + start as u64);
        }
    }

    /// One page up.
    pub fn page_up(&mut self) {
        self.up(self.page.get().saturating_sub(1).max(1));
    }

    /// One page down.
    pub fn page_down(&mut self) {
        self.down(self.page.get().saturating_sub(1).max(1));
    }

    /// The first line.
    pub fn home(&mut self) {
        if self.lines.len() > self.page.get() {
            self.anchor = Some(self.dropped);
        }
    }

    /// The last line, following the tail from now on.
    pub fn end(&mut self) {
        self.anchor = None;
        self.hscroll = 0;
    }

    /// Scrolls sideways (long lines are cut at the right edge).
    pub fn sideways(&mut self, right: bool) {
        const STEP: usize = 8;
        self.hscroll = if right {
            self.hscroll.saturating_add(STEP).min(4096)
        } else {
            self.hscroll.saturating_sub(STEP)
        };
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;

    use super::*;
    use crate::smtp::Dir;

    fn line(i: usize) -> LogLine {
        LogLine {
            time: NaiveTime::MIN,
            dir: Dir::Note,
            text: i.to_string(),
            latency: None,
            gloss: None,
        }
    }

    fn shown(log: &ProtocolLog, rows: usize) -> Vec<String> {
        log.visible(rows).map(|l| l.text.clone()).collect()
    }

    #[test]
    fn follows_until_scrolled_and_end_follows_again() {
        let mut log = ProtocolLog::default();
        log.set_page(3);
        for i in 0..10 {
            log.push(line(i));
        }
        assert_eq!(shown(&log, 3), ["7", "8", "9"]);
        log.up(2);
        assert!(!log.following());
        assert_eq!(shown(&log, 3), ["5", "6", "7"]);
        log.push(line(10));
        assert_eq!(
            shown(&log, 3),
            ["5", "6", "7"],
            "stays put while lines arrive"
        );
        log.page_up();
        assert_eq!(shown(&log, 3), ["3", "4", "5"]);
        log.home();
        assert_eq!(shown(&log, 3), ["0", "1", "2"]);
        log.up(5);
        assert_eq!(shown(&log, 3), ["0", "1", "2"]);
        log.page_down();
        assert_eq!(shown(&log, 3), ["2", "3", "4"]);
        log.end();
        assert!(log.following());
        assert_eq!(shown(&log, 3), ["8", "9", "10"]);
        log.up(1);
        log.down(1);
        assert!(log.following(), "scrolling back to the end follows again");
    }

    #[test]
    fn a_short_log_always_follows() {
        let mut log = ProtocolLog::default();
        log.set_page(5);
        log.push(line(0));
        log.up(1);
        log.home();
        assert!(log.following());
    }

    #[test]
    fn the_ring_drops_the_oldest_and_the_view_keeps_its_lines() {
        let mut log = ProtocolLog::with_capacity(5);
        log.set_page(2);
        for i in 0..5 {
            log.push(line(i));
        }
        log.up(1);
        assert_eq!(shown(&log, 2), ["2", "3"]);
        log.push(line(5));
        log.push(line(6));
        assert_eq!(log.len(), 5);
        assert_eq!(shown(&log, 2), ["2", "3"]);
        for i in 7..20 {
            log.push(line(i));
        }
        assert_eq!(shown(&log, 2), ["15", "16"], "clamped to the oldest kept");
    }
}
