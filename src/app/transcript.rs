//! The protocol log as the UI keeps it: a bounded ring of transcript lines
//! and a scroll position that either follows the tail or stays on the lines
//! the user scrolled to, even while new lines arrive or old ones fall out;
//! and, in the log view, a cursor on one line for the inspector.
//!
//! A million lines must cost little beyond their text: each line is a
//! 24-byte record (time in ms, latency in µs, the stage it was logged in,
//! where its text and gloss sit) and the texts share one growing buffer,
//! so there is no allocation per line.

use std::{cell::Cell, collections::VecDeque, time::Duration};

use chrono::{NaiveTime, Timelike as _};

use crate::smtp::{Dir, LogLine, Stage};

/// The most lines kept; older ones are dropped.
pub const MAX_LINES: usize = 1_000_000;

/// A gloss longer than this is cut (they are a few words: `Username:`).
const GLOSS_MAX: usize = u16::MAX as usize;

/// One line's record; its text and gloss are in [`ProtocolLog::text`].
#[derive(Clone, Copy, Debug)]
struct Record {
    /// Where its text starts, counted over the whole session (the buffer
    /// drops what the ring dropped).
    start: u64,
    /// Milliseconds since midnight.
    time_ms: u32,
    /// Microseconds, `u32::MAX` for none (a latency over an hour is shown
    /// as an hour and more).
    latency_us: u32,
    /// Bytes of text.
    text_len: u32,
    /// Bytes of gloss right after the text; 0 for none.
    gloss_len: u16,
    dir: Dir,
    stage: Option<Stage>,
}

/// A line of the log as stored: its parts, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The session-wide number of the line (0 is the first line ever).
    pub number: u64,
    /// Local time, to the millisecond.
    pub time: NaiveTime,
    /// Who it is from.
    pub dir: Dir,
    /// The text, already redacted and made visible.
    pub text: &'a str,
    /// For the first line of a reply: the time since the command.
    pub latency: Option<Duration>,
    /// A decoded reading of the line.
    pub gloss: Option<&'a str>,
    /// The stage the session was in.
    pub stage: Option<Stage>,
}

impl Entry<'_> {
    /// The line as the transcript types know it.
    pub fn to_line(&self) -> LogLine {
        LogLine {
            time: self.time,
            dir: self.dir,
            text: self.text.to_owned(),
            latency: self.latency,
            gloss: self.gloss.map(str::to_owned),
        }
    }
}

/// The log and where the user looks in it.
#[derive(Debug)]
pub struct ProtocolLog {
    records: VecDeque<Record>,
    /// Every kept line's text and gloss, back to back.
    text: Vec<u8>,
    /// The session-wide offset of `text[0]`.
    base: u64,
    cap: usize,
    /// How many lines fell out of the ring so far: the index of the first
    /// kept line in the whole session's numbering.
    dropped: u64,
    /// The stage the next line is logged in.
    stage: Option<Stage>,
    /// The session-wide number of the top visible line; `None` follows the
    /// tail.
    anchor: Option<u64>,
    /// The line under the cursor in the log view; `None`: the last one.
    selected: Option<u64>,
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
            records: VecDeque::new(),
            text: Vec::new(),
            base: 0,
            cap: cap.max(1),
            dropped: 0,
            stage: None,
            anchor: None,
            selected: None,
            hscroll: 0,
            page: Cell::new(10),
        }
    }

    /// The stage the lines from now on are logged in.
    pub fn set_stage(&mut self, stage: Stage) {
        self.stage = Some(stage);
    }

    /// Appends a line read back from a file, with the stage it was logged
    /// in.
    pub fn push_staged(&mut self, line: &LogLine, stage: Option<Stage>) {
        self.stage = stage;
        self.push(line);
    }

    /// Appends a line, dropping the oldest when full.
    pub fn push(&mut self, line: &LogLine) {
        if self.records.len() == self.cap {
            self.records.pop_front();
            self.dropped += 1;
            self.forget_text();
        }
        let start = self.base + self.text.len() as u64;
        // A line is at most a reply line or a note; 4 GiB cannot happen, but
        // a cut is better than a wrong length.
        let text = cut(&line.text, u32::MAX as usize);
        self.text.extend_from_slice(text.as_bytes());
        let gloss = line.gloss.as_deref().map_or("", |g| cut(g, GLOSS_MAX));
        self.text.extend_from_slice(gloss.as_bytes());
        self.records.push_back(Record {
            start,
            time_ms: line.time.num_seconds_from_midnight() * 1000
                + (line.time.nanosecond() / 1_000_000).min(999),
            latency_us: line.latency.map_or(u32::MAX, |d| {
                u32::try_from(d.as_micros()).unwrap_or(u32::MAX - 1)
            }),
            text_len: u32::try_from(text.len()).unwrap_or(u32::MAX),
            gloss_len: u16::try_from(gloss.len()).unwrap_or(u16::MAX),
            dir: line.dir,
            stage: self.stage,
        });
    }

    /// Gives back the text of dropped lines once it is most of the buffer
    /// (so the copy is paid for by the lines that filled it).
    fn forget_text(&mut self) {
        let Some(first) = self.records.front() else {
            self.text.clear();
            self.base += self.text.len() as u64;
            return;
        };
        let unused = usize::try_from(first.start - self.base).unwrap_or(usize::MAX);
        if unused > (1 << 20) && unused * 2 > self.text.len() {
            self.text.drain(..unused);
            self.base = first.start;
        }
    }

    fn entry(&self, index: usize) -> Option<Entry<'_>> {
        let r = self.records.get(index)?;
        let from = usize::try_from(r.start - self.base).ok()?;
        let text_end = from + r.text_len as usize;
        let gloss_end = text_end + usize::from(r.gloss_len);
        // Every piece was pushed as a whole `str`; the cuts are on char
        // boundaries.
        let text = std::str::from_utf8(self.text.get(from..text_end)?).unwrap_or_default();
        let gloss = std::str::from_utf8(self.text.get(text_end..gloss_end)?).unwrap_or_default();
        Some(Entry {
            number: self.dropped + index as u64,
            time: NaiveTime::from_num_seconds_from_midnight_opt(
                r.time_ms / 1000,
                (r.time_ms % 1000) * 1_000_000,
            )
            .unwrap_or(NaiveTime::MIN),
            dir: r.dir,
            text,
            latency: (r.latency_us != u32::MAX)
                .then(|| Duration::from_micros(u64::from(r.latency_us))),
            gloss: (r.gloss_len > 0).then_some(gloss),
            stage: r.stage,
        })
    }

    /// The number of lines kept.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no lines.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every line kept, oldest first.
    pub fn lines(&self) -> impl Iterator<Item = Entry<'_>> {
        (0..self.records.len()).filter_map(|i| self.entry(i))
    }

    /// The line with this session-wide number, if it is still kept.
    pub fn get(&self, number: u64) -> Option<Entry<'_>> {
        let index = usize::try_from(number.checked_sub(self.dropped)?).ok()?;
        self.entry(index)
    }

    /// The lines from `number` back to the first kept one, newest first.
    pub fn before(&self, number: u64) -> impl Iterator<Item = Entry<'_>> {
        let end = number
            .saturating_sub(self.dropped)
            .min(self.records.len() as u64) as usize;
        (0..end).rev().filter_map(|i| self.entry(i))
    }

    /// The lines after `number`, oldest first.
    pub fn after(&self, number: u64) -> impl Iterator<Item = Entry<'_>> {
        let start = (number + 1).saturating_sub(self.dropped) as usize;
        (start..self.records.len()).filter_map(|i| self.entry(i))
    }

    /// Whether the view follows the tail.
    pub fn following(&self) -> bool {
        self.anchor.is_none()
    }

    /// The visible height the view recorded.
    pub fn page(&self) -> usize {
        self.page.get()
    }

    /// How many lines fell out of the ring.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Records the visible height (called by the view).
    pub fn set_page(&self, rows: usize) {
        self.page.set(rows.max(1));
    }

    /// The index of the first line shown in `rows` rows.
    pub fn first_visible(&self, rows: usize) -> usize {
        let last_start = self.records.len().saturating_sub(rows);
        match self.anchor {
            None => last_start,
            Some(top) => (top.saturating_sub(self.dropped) as usize).min(last_start),
        }
    }

    /// The lines shown in `rows` rows: only those are touched, so drawing
    /// costs the same for ten lines and for a million.
    pub fn visible(&self, rows: usize) -> impl Iterator<Item = Entry<'_>> {
        let start = self.first_visible(rows);
        let end = (start + rows).min(self.records.len());
        (start..end).filter_map(|i| self.entry(i))
    }

    /// Scrolls towards older lines.
    pub fn up(&mut self, n: usize) {
        let page = self.page.get();
        if self.records.len() <= page {
            return;
        }
        let start = self.first_visible(page).saturating_sub(n);
        self.anchor = Some(self.dropped + start as u64);
    }

    /// Scrolls towards newer lines; reaching the end follows the tail again.
    pub fn down(&mut self, n: usize) {
        let page = self.page.get();
        let start = self.first_visible(page) + n;
        if start >= self.records.len().saturating_sub(page) {
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
        if self.records.len() > self.page.get() {
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

    /// The session-wide number of the line under the cursor (the last line
    /// unless the cursor was moved), if there is any line.
    pub fn selected(&self) -> Option<u64> {
        let last = (self.dropped + self.records.len() as u64).checked_sub(1)?;
        Some(self.selected.map_or(last, |n| n.clamp(self.dropped, last)))
    }

    /// Moves the cursor `n` lines (towards older lines when `up`), and the
    /// view with it; reaching the last line follows the tail again.
    pub fn select(&mut self, up: bool, n: usize) {
        let Some(now) = self.selected() else {
            return;
        };
        let last = self.dropped + self.records.len() as u64 - 1;
        let next = if up {
            now.saturating_sub(n as u64).max(self.dropped)
        } else {
            now.saturating_add(n as u64).min(last)
        };
        self.select_line(next);
    }

    /// Puts the cursor on the first line.
    pub fn select_first(&mut self) {
        self.select_line(self.dropped);
    }

    /// Puts the cursor on the last line and follows the tail.
    pub fn select_last(&mut self) {
        self.selected = None;
        self.end();
    }

    fn select_line(&mut self, number: u64) {
        let last = (self.dropped + self.records.len() as u64).saturating_sub(1);
        if number >= last {
            self.select_last();
            return;
        }
        self.selected = Some(number);
        // The view keeps the cursor in sight.
        let page = self.page.get();
        let index = (number - self.dropped) as usize;
        let first = self.first_visible(page);
        if index < first {
            self.anchor = Some(number);
        } else if index >= first + page {
            self.anchor = Some(number + 1 - page as u64);
        } else if self.anchor.is_none() {
            self.anchor = Some(self.dropped + first as u64);
        }
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
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
        log.visible(rows).map(|l| l.text.to_owned()).collect()
    }

    #[test]
    fn follows_until_scrolled_and_end_follows_again() {
        let mut log = ProtocolLog::default();
        log.set_page(3);
        for i in 0..10 {
            log.push(&line(i));
        }
        assert_eq!(shown(&log, 3), ["7", "8", "9"]);
        log.up(2);
        assert!(!log.following());
        assert_eq!(shown(&log, 3), ["5", "6", "7"]);
        log.push(&line(10));
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
        log.push(&line(0));
        log.up(1);
        log.home();
        assert!(log.following());
    }

    #[test]
    fn the_ring_drops_the_oldest_and_the_view_keeps_its_lines() {
        let mut log = ProtocolLog::with_capacity(5);
        log.set_page(2);
        for i in 0..5 {
            log.push(&line(i));
        }
        log.up(1);
        assert_eq!(shown(&log, 2), ["2", "3"]);
        log.push(&line(5));
        log.push(&line(6));
        assert_eq!(log.len(), 5);
        assert_eq!(shown(&log, 2), ["2", "3"]);
        for i in 7..20 {
            log.push(&line(i));
        }
        assert_eq!(shown(&log, 2), ["15", "16"], "clamped to the oldest kept");
    }

    #[test]
    fn a_line_comes_back_as_it_went_in_with_its_stage() {
        let mut log = ProtocolLog::default();
        let line = LogLine {
            time: NaiveTime::from_hms_milli_opt(8, 41, 2, 25).unwrap(),
            dir: Dir::Server,
            text: "334 VXNlcm5hbWU6".into(),
            latency: Some(Duration::from_micros(21_345)),
            gloss: Some("Username:".into()),
        };
        log.push(&line);
        log.set_stage(Stage::Auth);
        log.push(&LogLine {
            gloss: None,
            latency: None,
            text: "Привет ␛ ok".into(),
            ..line.clone()
        });
        let first = log.get(0).unwrap();
        assert_eq!(first.to_line(), line);
        assert_eq!(first.stage, None);
        let second = log.get(1).unwrap();
        assert_eq!(second.text, "Привет ␛ ok");
        assert_eq!(second.gloss, None);
        assert_eq!(second.latency, None);
        assert_eq!(second.stage, Some(Stage::Auth));
        assert_eq!(log.get(2), None);
    }

    #[test]
    fn a_line_costs_24_bytes_beyond_its_text() {
        assert_eq!(size_of::<Record>(), 24);
    }

    #[test]
    fn the_text_of_dropped_lines_is_given_back() {
        let mut log = ProtocolLog::with_capacity(1_000);
        let filler = "x".repeat(1_000);
        for i in 0..20_000 {
            log.push(&LogLine {
                text: format!("{i} {filler}"),
                ..line(0)
            });
        }
        assert_eq!(log.len(), 1_000);
        // At most the kept lines' text, twice over, plus the slack before a
        // compaction.
        assert!(
            log.text.len() < 2 * 1_000 * 1_010 + (1 << 20) * 2,
            "{}",
            log.text.len()
        );
        assert!(log.get(19_999).unwrap().text.starts_with("19999 "));
        assert!(log.get(19_000).unwrap().text.starts_with("19000 "));
        assert_eq!(log.get(18_999), None);
    }

    #[test]
    fn the_cursor_moves_and_the_view_keeps_it_in_sight() {
        let mut log = ProtocolLog::default();
        log.set_page(3);
        assert_eq!(log.selected(), None);
        for i in 0..10 {
            log.push(&line(i));
        }
        assert_eq!(log.selected(), Some(9));
        log.select(true, 4);
        assert_eq!(log.selected(), Some(5));
        assert_eq!(shown(&log, 3), ["5", "6", "7"]);
        log.push(&line(10));
        assert_eq!(log.selected(), Some(5), "stays on its line as lines arrive");
        log.select(false, 1);
        assert_eq!(shown(&log, 3), ["5", "6", "7"]);
        log.select_first();
        assert_eq!(shown(&log, 3), ["0", "1", "2"]);
        log.select(false, 100);
        assert_eq!(log.selected(), Some(10));
        assert!(log.following());
    }
}
