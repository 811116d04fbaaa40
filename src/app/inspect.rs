//! The log inspector (F3, then Enter on a line): the line's exact bytes,
//! its time and latency, the command a reply answers (pipelined replies
//! paired with their commands in order), a decoded 334, what the reply
//! means and what to do; on `<N bytes of message data>`, the letter as it
//! went on the wire.

use std::{fmt::Write as _, sync::Arc};

use super::{App, Key, KeyCode, Overlay, Tone, transcript::Entry};
use crate::{
    explain,
    smtp::{Dir, connection::group_digits, visible},
};

/// The largest letter kept for the inspector; a larger one is described,
/// not kept.
pub(super) const LETTER_MAX: usize = 32 << 20;

/// One letter as sent, and the log line that stands for it.
#[derive(Clone, Debug)]
pub(super) struct SentBytes {
    /// The session-wide number of its `<N bytes of message data>` line.
    pub line: u64,
    /// The bytes before dot-stuffing (the view stuffs them as sent).
    pub bytes: Arc<[u8]>,
}

/// What the inspector shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspector {
    /// The line inspected.
    pub number: u64,
    /// The details, one row each: a label (may be empty) and its text.
    pub rows: Vec<(String, String)>,
    /// The letter, when the line is its data line.
    pub letter: Option<LetterView>,
    /// The first row shown (the letter's rows follow the details).
    pub scroll: usize,
    /// The largest useful `scroll`, recorded by the view (only it knows
    /// how the details wrap).
    pub max_scroll: std::cell::Cell<usize>,
}

/// A letter's lines, found once so that scrolling costs only what shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LetterView {
    bytes: Arc<[u8]>,
    /// Where each line starts.
    starts: Vec<usize>,
}

impl LetterView {
    fn new(bytes: Arc<[u8]>) -> LetterView {
        let mut starts = vec![0];
        starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1)
                .filter(|i| *i < bytes.len()),
        );
        LetterView { bytes, starts }
    }

    /// Its size before dot-stuffing.
    pub fn size(&self) -> usize {
        self.bytes.len()
    }

    /// Lines, with the final `.` line.
    pub fn len(&self) -> usize {
        self.starts.len() + 1
    }

    /// Whether there is nothing (never: the dot line is always there).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Line `i` as it went out: without its CRLF, a leading dot doubled,
    /// made visible; the last is the lone dot.
    pub fn line(&self, i: usize) -> Option<String> {
        if i == self.starts.len() {
            return Some(".".to_owned());
        }
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).copied().unwrap_or(self.bytes.len());
        let raw = &self.bytes[start..end];
        let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let shown = visible::visible_bytes(raw);
        Some(if raw.first() == Some(&b'.') {
            format!(".{shown}")
        } else {
            shown.into_owned()
        })
    }
}

impl App {
    /// Enter in the log: the selected line in detail.
    pub(super) fn inspect(&mut self) {
        let Some(number) = self.log.selected() else {
            self.set_status(Tone::Info, "the log is empty");
            return;
        };
        let Some(entry) = self.log.get(number) else {
            return;
        };
        let letter = self
            .letters
            .iter()
            .find(|l| l.line == number)
            .map(|l| LetterView::new(Arc::clone(&l.bytes)));
        let rows = self.details(&entry, letter.as_ref());
        self.overlay = Some(Overlay::Inspect(Inspector {
            number,
            rows,
            letter,
            scroll: 0,
            max_scroll: std::cell::Cell::new(usize::MAX),
        }));
    }

    /// Keys in the inspector: scrolling, ← → to the previous and next line,
    /// Esc or Enter closes.
    pub(super) fn inspector_key(&mut self, key: &Key) -> Option<super::Action> {
        let Some(Overlay::Inspect(inspector)) = &mut self.overlay else {
            return None;
        };
        let page = self.log.page().saturating_sub(1).max(1);
        let max = inspector.max_scroll.get();
        match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::F(3) => self.overlay = None,
            KeyCode::Up => inspector.scroll = inspector.scroll.min(max).saturating_sub(1),
            KeyCode::Down => inspector.scroll = (inspector.scroll + 1).min(max),
            KeyCode::PageUp => inspector.scroll = inspector.scroll.min(max).saturating_sub(page),
            KeyCode::PageDown => inspector.scroll = (inspector.scroll + page).min(max),
            KeyCode::Home => inspector.scroll = 0,
            KeyCode::End => inspector.scroll = max,
            KeyCode::Left | KeyCode::Right => {
                self.log.select(key.code == KeyCode::Left, 1);
                self.inspect();
            }
            _ => {}
        }
        None
    }

    /// The rows of details for one line.
    fn details(&self, entry: &Entry<'_>, letter: Option<&LetterView>) -> Vec<(String, String)> {
        let mut rows = Vec::new();
        let mut row = |label: &str, text: String| rows.push((label.to_owned(), text));
        let who = match entry.dir {
            Dir::Client => "sent by smtpwire",
            Dir::Server => "from the server",
            Dir::Note => "a note of smtpwire's",
            Dir::Error => "an error smtpwire reports",
        };
        row(
            "Line",
            format!(
                "{} of {} · {who}{}",
                group_digits(entry.number + 1),
                group_digits(self.log.len() as u64 + self.log.dropped()),
                entry
                    .stage
                    .map(|s| format!(" · stage {}", s.key()))
                    .unwrap_or_default()
            ),
        );
        row("Time", entry.time.format("%H:%M:%S%.3f").to_string());
        if let Some(latency) = entry.latency {
            row(
                "Latency",
                format!(
                    "{:.1} ms after the command was sent",
                    latency.as_secs_f64() * 1000.0
                ),
            );
        }
        if matches!(entry.dir, Dir::Client | Dir::Server) {
            if entry.text.contains(" redacted>") {
                row(
                    "Bytes",
                    "withheld: the line carried a secret, which is never kept".to_owned(),
                );
            } else if entry.text.contains("bytes of message data>") {
                row(
                    "Bytes",
                    match letter {
                        Some(view) => format!(
                            "the letter, below ({} bytes before dot-stuffing)",
                            group_digits(view.size() as u64)
                        ),
                        None => "the letter (see below)".to_owned(),
                    },
                );
            } else {
                let mut bytes = visible::unescape(entry.text);
                bytes.extend_from_slice(b"\r\n");
                row(
                    "Bytes",
                    format!("{} ({} bytes)", escaped(&bytes), bytes.len()),
                );
            }
        }
        if let Some(gloss) = entry.gloss {
            row("Decoded", gloss.to_owned());
        }
        match entry.dir {
            Dir::Server => {
                let pairing = pair(&self.log, entry.number);
                if let Some(command) = pairing.command {
                    let mut text = format!("line {}: {command}", group_digits(pairing.line + 1));
                    if pairing.in_flight > 1 {
                        let _ = write!(
                            text,
                            " (pipelined: {} commands were awaiting replies; replies come in order)",
                            pairing.in_flight
                        );
                    }
                    row("Answers", text);
                } else if pairing.first {
                    row("Answers", "the connection: the greeting".to_owned());
                }
                if let Some(reply) = reply_text(&self.log, entry.number) {
                    explanation(&reply, &mut |label, text| {
                        rows.push((label.to_owned(), text));
                    });
                }
            }
            Dir::Client => {
                if let Some((line, reply)) = answer(&self.log, entry.number) {
                    rows.push((
                        "Answer".to_owned(),
                        format!("line {}: {reply}", group_digits(line + 1)),
                    ));
                }
            }
            // The whole text, wrapped: the log cuts a long note at the
            // pane's edge.
            Dir::Note | Dir::Error => row("Text", entry.text.to_owned()),
        }
        if entry.dir == Dir::Client && entry.text.contains("bytes of message data>") {
            match letter {
                Some(view) => rows.push((
                    "Letter".to_owned(),
                    format!(
                        "{} lines as sent: CRLF line ends, a leading dot doubled, the lone dot ends it",
                        group_digits(view.len() as u64)
                    ),
                )),
                None => rows.push((
                    "Letter".to_owned(),
                    format!(
                        "not kept (only the last letters up to {} MiB are)",
                        LETTER_MAX >> 20
                    ),
                )),
            }
        }
        rows
    }

    /// Keeps the bytes of a letter just sent for the inspector, tied to
    /// the last data line; only the last few are kept.
    pub(super) fn keep_letter(&mut self, bytes: Arc<[u8]>) {
        let line = self
            .log
            .before(u64::MAX)
            .find(|e| e.dir == Dir::Client && e.text.ends_with("bytes of message data>"))
            .map(|e| e.number);
        if let Some(line) = line {
            self.letters.push(SentBytes { line, bytes });
            let mut total: usize = 0;
            let keep = self
                .letters
                .iter()
                .rev()
                .take_while(|l| {
                    total += l.bytes.len();
                    total <= LETTER_MAX
                })
                .count()
                .min(4);
            let drop = self.letters.len() - keep;
            self.letters.drain(..drop);
        }
    }
}

/// A reply line's pairing with its command.
struct Pairing {
    /// The command's text.
    command: Option<String>,
    /// The command's line.
    line: u64,
    /// How many commands awaited replies when it was answered.
    in_flight: usize,
    /// No command was waiting: the first reply of a connection.
    first: bool,
}

/// Whether a server line ends its reply (`250 ok`, not `250-…`).
fn ends_reply(text: &str) -> bool {
    text.as_bytes().get(3) != Some(&b'-')
}

/// Pairs commands and replies from the start of the session (the last
/// "connecting" note before the line) in order: each reply answers the
/// oldest command still waiting. Pipelining sends several commands before
/// any reply comes; the order pairs them all the same.
fn pair(log: &super::ProtocolLog, number: u64) -> Pairing {
    let start = log
        .before(number)
        .find(|e| e.dir == Dir::Note && e.text.starts_with("connecting to "))
        .map_or(0, |e| e.number);
    let mut waiting: std::collections::VecDeque<(u64, String)> =
        std::collections::VecDeque::default();
    let mut in_reply = false;
    let lines = log
        .get(start)
        .into_iter()
        .chain(log.after(start))
        .take_while(|e| e.number <= number);
    for e in lines {
        match e.dir {
            // The letter's line stands for bytes; the dot after it is the
            // command the final reply answers.
            Dir::Client if is_data(e.text) => {}
            Dir::Client => waiting.push_back((e.number, e.text.to_owned())),
            Dir::Server => {
                let in_flight = waiting.len();
                let head = if in_reply {
                    None
                } else {
                    waiting.front().cloned()
                };
                if e.number == number {
                    return Pairing {
                        first: head.is_none() && !in_reply,
                        line: head.as_ref().map_or(0, |h| h.0),
                        command: head.map(|h| h.1),
                        in_flight,
                    };
                }
                in_reply = !ends_reply(e.text);
                if !in_reply {
                    waiting.pop_front();
                }
            }
            Dir::Note | Dir::Error => {}
        }
    }
    Pairing {
        command: None,
        line: 0,
        in_flight: 0,
        first: false,
    }
}

/// Whether a client line stands for the letter's bytes.
fn is_data(text: &str) -> bool {
    text.starts_with('<') && text.ends_with(" bytes of message data>")
}

/// The first line of the reply that answers the command on `number` (for
/// the letter's line: the reply to the dot after it).
fn answer(log: &super::ProtocolLog, number: u64) -> Option<(u64, String)> {
    let number = match log.get(number) {
        Some(e) if is_data(e.text) => log
            .after(number)
            .take(4)
            .find(|e| e.dir == Dir::Client && e.text == ".")
            .map_or(number, |e| e.number),
        _ => number,
    };
    log.after(number)
        .filter(|e| e.dir == Dir::Server)
        .take(10_000)
        .find(|e| pair(log, e.number).line == number && pair(log, e.number).command.is_some())
        .map(|e| (e.number, e.text.to_owned()))
}

/// The whole reply the server line belongs to, one line per row.
fn reply_text(log: &super::ProtocolLog, number: u64) -> Option<String> {
    let mut first = number;
    for e in log.before(number) {
        if e.dir != Dir::Server || ends_reply(e.text) {
            break;
        }
        first = e.number;
    }
    let mut out = String::new();
    for e in log.get(first).into_iter().chain(log.after(first)) {
        if e.dir != Dir::Server {
            break;
        }
        out.push_str(e.text);
        out.push('\n');
        if ends_reply(e.text) {
            break;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// What the explainer's table says about a reply.
fn explanation(reply: &str, row: &mut dyn FnMut(&str, String)) {
    let Ok(query) = explain::parse_query(reply) else {
        return;
    };
    let text = explain::render(&query.explain(), super::setting_name);
    for (i, line) in paragraphs(&text).into_iter().enumerate() {
        row(if i == 0 { "Meaning" } else { "" }, line);
    }
}

/// The explainer's text is wrapped for a terminal of 80 columns; the
/// inspector wraps to its own width, so a paragraph's lines (same indent,
/// not a code's heading) are joined first.
fn paragraphs(text: &str) -> Vec<String> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let heading = |l: &str| {
        let t = l.trim_start();
        t.starts_with(|c: char| c.is_ascii_digit() || c == 'X')
            && t.as_bytes().get(1) == Some(&b'.')
            || t.starts_with("Reply code")
    };
    let mut out: Vec<String> = Vec::new();
    let mut last_indent = usize::MAX;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match out.last_mut() {
            Some(prev) if indent(line) == last_indent && indent(line) > 0 && !heading(line) => {
                prev.push(' ');
                prev.push_str(line.trim_start());
            }
            _ => out.push(line.to_owned()),
        }
        last_indent = indent(line);
    }
    out
}

/// Bytes as text: printable ASCII as is, `\r` `\n` `\t` `\\`, other bytes
/// as `\xNN` (UTF-8 included: these are the bytes).
fn escaped(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;

    use super::*;
    use crate::smtp::LogLine;

    fn log(lines: &[(Dir, &str)]) -> super::super::ProtocolLog {
        let mut log = super::super::ProtocolLog::default();
        for (dir, text) in lines {
            log.push(&LogLine {
                time: NaiveTime::MIN,
                dir: *dir,
                text: (*text).to_owned(),
                latency: None,
                gloss: None,
            });
        }
        log
    }

    #[test]
    fn pipelined_replies_pair_with_their_commands_in_order() {
        let log = log(&[
            (Dir::Note, "connecting to mx:25"),
            (Dir::Server, "220 mx ESMTP"),
            (Dir::Client, "EHLO me"),
            (Dir::Server, "250-mx"),
            (Dir::Server, "250 PIPELINING"),
            (Dir::Client, "MAIL FROM:<a@x>"),
            (Dir::Client, "RCPT TO:<b@x>"),
            (Dir::Client, "RCPT TO:<c@x>"),
            (Dir::Client, "DATA"),
            (Dir::Server, "250 2.1.0 Ok"),
            (Dir::Server, "250 2.1.5 Ok"),
            (Dir::Server, "550 5.1.1 unknown"),
            (Dir::Server, "354 go ahead"),
        ]);
        assert!(pair(&log, 1).first);
        assert_eq!(pair(&log, 3).command.as_deref(), Some("EHLO me"));
        assert_eq!(pair(&log, 4).command, None, "a continuation line");
        let p = pair(&log, 11);
        assert_eq!(p.command.as_deref(), Some("RCPT TO:<c@x>"));
        assert_eq!(p.line, 7);
        assert_eq!(p.in_flight, 2);
        assert_eq!(pair(&log, 12).command.as_deref(), Some("DATA"));
        assert_eq!(answer(&log, 6).map(|a| a.0), Some(10));
        assert_eq!(
            reply_text(&log, 4).as_deref(),
            Some("250-mx\n250 PIPELINING\n")
        );
    }

    #[test]
    fn the_letter_goes_as_on_the_wire() {
        let view = LetterView::new(Arc::from(&b"Subject: x\r\n\r\n.hidden\r\nend\r\n"[..]));
        let shown: Vec<String> = (0..view.len()).filter_map(|i| view.line(i)).collect();
        assert_eq!(shown, ["Subject: x", "", "..hidden", "end", "."]);
        assert_eq!(escaped("é\r\n\u{1b}".as_bytes()), "\\xc3\\xa9\\r\\n\\x1b");
    }
}
