//! The protocol log written out for people (text, the transcript format of
//! DESIGN.md) or for programs (JSON Lines, one object per line).
//!
//! Both formats carry the same text: made visible and with secrets withheld
//! by the engine's [`Transcript`](crate::smtp::Transcript) before any line
//! exists. A JSON line holds:
//!
//! | field | when | what |
//! |---|---|---|
//! | `time` | always | RFC 3339 / ISO 8601 local time with milliseconds, date and UTC offset: `2026-05-01T08:41:02.139+02:00` |
//! | `dir` | always | `client`, `server`, `note` or `error` |
//! | `stage` | when known | the engine's stage when the line was written or read ([`Stage::key`]: `connect`, `tls`, `greeting`, `ehlo`, `starttls`, `auth`, `mail`, `rcpt`, `data`, `message`, `final_reply`, `rset`, `quit`, `command`) |
//! | `text` | always | the line's text, as in the text format (for server lines with the reply code) |
//! | `code` | server lines | the reply code, e.g. `250` |
//! | `enhanced` | server lines that have one | the enhanced status code (RFC 3463), e.g. `"2.1.5"` |
//! | `latency_ms` | first line of a reply | the time since the command went out, in milliseconds (float, µs precision) |
//! | `gloss` | when there is one | the decoded reading, e.g. `"Username:"` for `334 VXNlcm5hbWU6` |
//!
//! A field that does not apply is left out, never `null`.
//!
//! A [`LogLine`] keeps only the wall time of day, so the date comes from an
//! anchor: the moment the export starts (a stream) or one at or before the
//! first line (stored lines). Each line gets the date that puts it nearest
//! the line before it, so a session that runs over midnight moves to the
//! next day; this needs consecutive lines less than 12 hours apart. The
//! offset is the time zone's at that moment (daylight saving included).
//!
//! With PIPELINING, commands that leave in one write are logged before the
//! engine reads their replies: a pipelined `RCPT TO` line carries the stage
//! `mail` (the group's first command), and the commands that ride along with
//! a final dot carry `message`.

use std::fmt;

use chrono::{DateTime, Days, NaiveDateTime, SecondsFormat, TimeZone};
use serde::Serialize;

use crate::smtp::{Dir, LogLine, Stage, reply};

/// How a transcript is written out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum TranscriptFormat {
    /// The transcript format: `08:41:02.139 S: 250 OK  [25 ms]`.
    #[default]
    Text,
    /// JSON Lines: one object per line (time, dir, stage, text, code,
    /// enhanced, `latency_ms`, gloss).
    Jsonl,
}

impl TranscriptFormat {
    /// The usual file extension: `txt` or `jsonl`.
    pub fn extension(self) -> &'static str {
        match self {
            TranscriptFormat::Text => "txt",
            TranscriptFormat::Jsonl => "jsonl",
        }
    }
}

impl fmt::Display for TranscriptFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TranscriptFormat::Text => "text",
            TranscriptFormat::Jsonl => "jsonl",
        })
    }
}

/// Writes log lines one by one in a format, keeping the date of the last
/// line so that the next one can be dated (see the module's notes).
#[derive(Clone, Debug)]
pub struct Exporter<Tz: TimeZone> {
    format: TranscriptFormat,
    zone: Tz,
    /// The local date and time of the last line (or the anchor).
    last: NaiveDateTime,
}

impl<Tz: TimeZone> Exporter<Tz>
where
    Tz::Offset: fmt::Display,
{
    /// An exporter whose first line is dated nearest `anchor`, in `anchor`'s
    /// time zone.
    pub fn new(format: TranscriptFormat, anchor: &DateTime<Tz>) -> Exporter<Tz> {
        Exporter {
            format,
            zone: anchor.timezone(),
            last: anchor.naive_local(),
        }
    }

    /// The format written.
    pub fn format(&self) -> TranscriptFormat {
        self.format
    }

    /// One line in the format, without a line end. `stage` is the stage the
    /// engine was in (the last [`Event::Stage`](crate::smtp::Event) before
    /// the line), if known.
    pub fn line(&mut self, line: &LogLine, stage: Option<Stage>) -> String {
        let when = self.date(line);
        match self.format {
            TranscriptFormat::Text => line.to_string(),
            TranscriptFormat::Jsonl => jsonl(line, stage, &when),
        }
    }

    /// The full local time of `line`: the date that puts its wall time
    /// nearest the previous line's.
    fn date(&mut self, line: &LogLine) -> DateTime<Tz> {
        let day = self.last.date();
        let candidates = [
            day.checked_sub_days(Days::new(1)),
            Some(day),
            day.succ_opt(),
        ];
        let naive = candidates
            .into_iter()
            .flatten()
            .map(|d| d.and_time(line.time))
            .min_by_key(|t| (*t - self.last).abs())
            .unwrap_or_else(|| day.and_time(line.time));
        self.last = naive;
        in_zone(&self.zone, &naive)
    }
}

/// A wall-clock time in `zone`. One in a daylight-saving gap cannot be
/// read off a clock; should one come, the offset of UTC stands in.
pub fn in_zone<Tz: TimeZone>(zone: &Tz, naive: &NaiveDateTime) -> DateTime<Tz> {
    zone.from_local_datetime(naive)
        .earliest()
        .unwrap_or_else(|| zone.from_utc_datetime(naive))
}

/// Renders stored lines, each with the stage it was logged in, one per
/// line (`\n` after each). `anchor` is a moment at or before the first line
/// and less than 12 hours from it, e.g. when the first was stored.
pub fn render<'a, Tz>(
    format: TranscriptFormat,
    anchor: &DateTime<Tz>,
    lines: impl IntoIterator<Item = (&'a LogLine, Option<Stage>)>,
) -> String
where
    Tz: TimeZone,
    Tz::Offset: fmt::Display,
{
    let mut exporter = Exporter::new(format, anchor);
    let mut out = String::new();
    for (line, stage) in lines {
        out.push_str(&exporter.line(line, stage));
        out.push('\n');
    }
    out
}

/// One JSON Lines record (field order as written).
#[derive(Serialize)]
struct Record<'a> {
    time: String,
    dir: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<&'static str>,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enhanced: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gloss: Option<&'a str>,
}

/// The `dir` value of a line.
pub fn dir_key(dir: Dir) -> &'static str {
    match dir {
        Dir::Client => "client",
        Dir::Server => "server",
        Dir::Note => "note",
        Dir::Error => "error",
    }
}

fn jsonl<Tz: TimeZone>(line: &LogLine, stage: Option<Stage>, when: &DateTime<Tz>) -> String
where
    Tz::Offset: fmt::Display,
{
    let (code, enhanced) = match line.dir {
        Dir::Server => reply_codes(&line.text),
        Dir::Client | Dir::Note | Dir::Error => (None, None),
    };
    let record = Record {
        time: when.to_rfc3339_opts(SecondsFormat::Millis, false),
        dir: dir_key(line.dir),
        stage: stage.map(Stage::key),
        text: &line.text,
        code,
        enhanced: enhanced.map(|e| e.to_string()),
        // Microseconds are what the clock gives; more digits would be noise.
        latency_ms: line
            .latency
            .map(|d| (d.as_secs_f64() * 1_000_000.0).round() / 1000.0),
        gloss: line.gloss.as_deref(),
    };
    // A struct of strings and numbers always serialises; the fallback only
    // keeps a line in the file should that ever change.
    serde_json::to_string(&record).unwrap_or_else(|e| {
        format!(
            "{{\"dir\":\"error\",\"text\":{:?}}}",
            format!("this line could not be written as JSON: {e}")
        )
    })
}

/// A saved log read back (`--open-log`): JSON Lines exactly, the text
/// format as well as it can be read (a note and an error look alike there,
/// and an annotation is recognised by its shape). Lines that are neither
/// are skipped and counted.
pub fn read(text: &str) -> (Vec<(LogLine, Option<Stage>)>, usize) {
    let mut out = Vec::new();
    let skipped = read_each(text, |line, stage| out.push((line, stage)));
    (out, skipped)
}

/// [`read`], handing each line over as it is read (a million lines are
/// never held twice); the number of lines skipped.
pub fn read_each(text: &str, mut each: impl FnMut(LogLine, Option<Stage>)) -> usize {
    let jsonl = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with('{'));
    let mut skipped = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let read = if jsonl {
            read_jsonl(line)
        } else {
            read_text(line).map(|l| (l, None))
        };
        match read {
            Some((line, stage)) => each(line, stage),
            None => skipped += 1,
        }
    }
    skipped
}

/// The stage named by [`Stage::key`].
fn stage_of(key: &str) -> Option<Stage> {
    [
        Stage::Connect,
        Stage::TlsHandshake,
        Stage::Greeting,
        Stage::Ehlo,
        Stage::StartTls,
        Stage::Auth,
        Stage::Mail,
        Stage::Rcpt,
        Stage::Data,
        Stage::Content,
        Stage::EndOfData,
        Stage::Rset,
        Stage::Quit,
    ]
    .into_iter()
    .find(|s| s.key() == key)
}

fn read_jsonl(line: &str) -> Option<(LogLine, Option<Stage>)> {
    #[derive(serde::Deserialize)]
    struct In {
        time: String,
        dir: String,
        stage: Option<String>,
        text: String,
        latency_ms: Option<f64>,
        gloss: Option<String>,
    }
    let record: In = serde_json::from_str(line).ok()?;
    let dir = match record.dir.as_str() {
        "client" => Dir::Client,
        "server" => Dir::Server,
        "note" => Dir::Note,
        "error" => Dir::Error,
        _ => return None,
    };
    let time = DateTime::parse_from_rfc3339(&record.time).ok()?.time();
    Some((
        LogLine {
            time,
            dir,
            // Read from a file: whatever it holds is shown made visible.
            text: crate::smtp::visible::visible(&record.text).into_owned(),
            latency: record
                .latency_ms
                .filter(|ms| ms.is_finite() && *ms >= 0.0 && *ms < 1e12)
                .map(|ms| std::time::Duration::from_secs_f64(ms / 1000.0)),
            gloss: record
                .gloss
                .map(|g| crate::smtp::visible::visible(&g).into_owned()),
        },
        record.stage.as_deref().and_then(stage_of),
    ))
}

fn read_text(line: &str) -> Option<LogLine> {
    let (time, rest) = line.split_once(' ')?;
    let time = chrono::NaiveTime::parse_from_str(time, "%H:%M:%S%.3f").ok()?;
    let (dir, rest) = if let Some(rest) = rest.strip_prefix("C: ") {
        (Dir::Client, rest)
    } else if let Some(rest) = rest.strip_prefix("S: ") {
        (Dir::Server, rest)
    } else if let Some(rest) = rest.strip_prefix("*  ") {
        (Dir::Note, rest)
    } else {
        return None;
    };
    let mut text = rest;
    let mut latency = None;
    let mut gloss = None;
    // `… [25 ms]`, `… (Username:)`, `… (Username:) [25 ms]`, after spaces.
    if let Some(open) = text.rfind(" [")
        && (text.ends_with(" ms]") || text.ends_with(" s]"))
    {
        let inner = &text[open + 2..text.len() - 1];
        latency = inner
            .strip_suffix(" ms")
            .and_then(|v| v.parse::<f64>().ok())
            .map(|ms| ms / 1000.0)
            .or_else(|| inner.strip_suffix(" s").and_then(|v| v.parse::<f64>().ok()))
            .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9)
            .map(std::time::Duration::from_secs_f64);
        if latency.is_some() {
            text = text[..open].trim_end();
        }
    }
    if text.ends_with(')')
        && let Some(open) = text.rfind("  (").or_else(|| text.rfind(" ("))
    {
        let before = &text[..open];
        // A gloss stands after the padding; a parenthesis in the text
        // itself has no run of spaces before it.
        if before.len() >= 40 || text[open..].starts_with("  ") {
            gloss = Some(
                text[open..].trim_start()[1..]
                    .trim_end_matches(')')
                    .to_owned(),
            );
            text = before.trim_end();
        }
    }
    Some(LogLine {
        time,
        dir,
        text: crate::smtp::visible::visible(text).into_owned(),
        latency,
        gloss: gloss.map(|g| crate::smtp::visible::visible(&g).into_owned()),
    })
}

/// The reply code and enhanced code of a logged server line (`250-…` or
/// `250 2.1.5 …`), read by the reply parser itself: the line is one line of
/// a reply, so it is parsed as a reply of its own.
fn reply_codes(text: &str) -> (Option<u16>, Option<reply::Enhanced>) {
    let single = match text.as_bytes().get(3) {
        Some(b'-') => format!("{} {}\r\n", &text[..3], &text[4..]),
        _ => format!("{text}\r\n"),
    };
    match reply::parse(single.as_bytes()) {
        Ok(Some((reply, _))) => (Some(reply.code().value()), reply.enhanced()),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{FixedOffset, NaiveDate, NaiveTime};
    use serde_json::{Value, json};

    use super::*;

    fn line(dir: Dir, at: (u32, u32, u32, u32), text: &str) -> LogLine {
        LogLine {
            time: NaiveTime::from_hms_milli_opt(at.0, at.1, at.2, at.3).unwrap(),
            dir,
            text: text.to_owned(),
            latency: None,
            gloss: None,
        }
    }

    fn anchor(h: u32, m: u32) -> DateTime<FixedOffset> {
        FixedOffset::east_opt(3 * 3600)
            .unwrap()
            .from_local_datetime(
                &NaiveDate::from_ymd_opt(2026, 5, 1)
                    .unwrap()
                    .and_hms_opt(h, m, 0)
                    .unwrap(),
            )
            .unwrap()
    }

    #[test]
    fn each_kind_of_line_as_json() {
        let mut exporter = Exporter::new(TranscriptFormat::Jsonl, &anchor(8, 41));
        let mut greeting = line(
            Dir::Server,
            (8, 41, 2, 139),
            "220 mx.example.org ESMTP ready",
        );
        greeting.latency = Some(Duration::from_micros(25_312));
        let mut prompt = line(Dir::Server, (8, 41, 2, 281), "334 VXNlcm5hbWU6");
        prompt.gloss = Some("Username:".into());
        for (l, stage, expected) in [
            (
                greeting,
                Some(Stage::Greeting),
                json!({"time": "2026-05-01T08:41:02.139+03:00", "dir": "server",
                       "stage": "greeting", "text": "220 mx.example.org ESMTP ready",
                       "code": 220, "latency_ms": 25.312}),
            ),
            (
                line(Dir::Server, (8, 41, 2, 163), "250-PIPELINING"),
                Some(Stage::Ehlo),
                json!({"time": "2026-05-01T08:41:02.163+03:00", "dir": "server",
                       "stage": "ehlo", "text": "250-PIPELINING", "code": 250}),
            ),
            (
                line(Dir::Server, (8, 41, 2, 200), "250 2.1.5 Ok"),
                Some(Stage::Rcpt),
                json!({"time": "2026-05-01T08:41:02.200+03:00", "dir": "server",
                       "stage": "rcpt", "text": "250 2.1.5 Ok", "code": 250,
                       "enhanced": "2.1.5"}),
            ),
            (
                line(
                    Dir::Server,
                    (8, 41, 2, 201),
                    "550-5.7.1 <withheld: it contains the password>",
                ),
                Some(Stage::Rcpt),
                json!({"time": "2026-05-01T08:41:02.201+03:00", "dir": "server",
                       "stage": "rcpt", "code": 550, "enhanced": "5.7.1",
                       "text": "550-5.7.1 <withheld: it contains the password>"}),
            ),
            (
                prompt,
                Some(Stage::Auth),
                json!({"time": "2026-05-01T08:41:02.281+03:00", "dir": "server",
                       "stage": "auth", "text": "334 VXNlcm5hbWU6", "code": 334,
                       "gloss": "Username:"}),
            ),
            (
                line(Dir::Client, (8, 41, 2, 281), "<password redacted>"),
                Some(Stage::Auth),
                json!({"time": "2026-05-01T08:41:02.281+03:00", "dir": "client",
                       "stage": "auth", "text": "<password redacted>"}),
            ),
            (
                line(Dir::Note, (8, 41, 2, 300), "Привет \\x1b[2J"),
                None,
                json!({"time": "2026-05-01T08:41:02.300+03:00", "dir": "note",
                       "text": "Привет \\x1b[2J"}),
            ),
            (
                line(Dir::Error, (8, 41, 2, 301), "timed out"),
                Some(Stage::EndOfData),
                json!({"time": "2026-05-01T08:41:02.301+03:00", "dir": "error",
                       "stage": "final_reply", "text": "timed out"}),
            ),
        ] {
            let text = exporter.line(&l, stage);
            assert!(!text.contains('\n'), "{text}");
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value, expected, "{text}");
        }
    }

    #[test]
    fn text_is_the_transcript_format() {
        let l = line(Dir::Client, (8, 41, 2, 139), "EHLO client.example.org");
        let out = render(
            TranscriptFormat::Text,
            &anchor(8, 0),
            [(&l, Some(Stage::Ehlo)), (&l, None)],
        );
        assert_eq!(
            out,
            "08:41:02.139 C: EHLO client.example.org\n08:41:02.139 C: EHLO client.example.org\n"
        );
    }

    #[test]
    fn dates_follow_the_lines_over_midnight() {
        for (anchor, times, dates) in [
            // A session that runs over midnight.
            (
                anchor(23, 59),
                vec![(23, 59, 59, 900), (0, 0, 0, 100), (0, 0, 1, 0)],
                vec![
                    "2026-05-01T23:59:59.900",
                    "2026-05-02T00:00:00.100",
                    "2026-05-02T00:00:01.000",
                ],
            ),
            // An anchor read just before midnight, the first line just after.
            (
                anchor(23, 59),
                vec![(0, 0, 0, 5)],
                vec!["2026-05-02T00:00:00.005"],
            ),
            // An anchor just after midnight for lines from just before.
            (
                anchor(0, 1),
                vec![(23, 58, 0, 0), (23, 59, 0, 0)],
                vec!["2026-04-30T23:58:00.000", "2026-04-30T23:59:00.000"],
            ),
        ] {
            let lines: Vec<LogLine> = times.iter().map(|&t| line(Dir::Note, t, "x")).collect();
            let out = render(
                TranscriptFormat::Jsonl,
                &anchor,
                lines.iter().map(|l| (l, None)),
            );
            let got: Vec<String> = out
                .lines()
                .map(|l| {
                    let v: Value = serde_json::from_str(l).unwrap();
                    v["time"]
                        .as_str()
                        .unwrap()
                        .trim_end_matches("+03:00")
                        .to_owned()
                })
                .collect();
            assert_eq!(got, dates);
        }
    }

    #[test]
    fn the_offset_is_the_zones_at_each_moment() {
        // A zone that moves from +01:00 to +02:00, as Europe does in spring.
        #[derive(Clone, Copy, Debug)]
        struct Spring;
        impl TimeZone for Spring {
            type Offset = FixedOffset;
            fn from_offset(_: &FixedOffset) -> Spring {
                Spring
            }
            fn offset_from_local_date(&self, _: &NaiveDate) -> chrono::LocalResult<FixedOffset> {
                chrono::LocalResult::None
            }
            fn offset_from_local_datetime(
                &self,
                local: &NaiveDateTime,
            ) -> chrono::LocalResult<FixedOffset> {
                let hours = if local.time() < NaiveTime::from_hms_opt(2, 0, 0).unwrap() {
                    1
                } else {
                    2
                };
                chrono::LocalResult::Single(FixedOffset::east_opt(hours * 3600).unwrap())
            }
            fn offset_from_utc_date(&self, _: &NaiveDate) -> FixedOffset {
                FixedOffset::east_opt(3600).unwrap()
            }
            fn offset_from_utc_datetime(&self, _: &NaiveDateTime) -> FixedOffset {
                FixedOffset::east_opt(3600).unwrap()
            }
        }
        let start = Spring
            .from_local_datetime(
                &NaiveDate::from_ymd_opt(2026, 3, 29)
                    .unwrap()
                    .and_hms_opt(1, 59, 0)
                    .unwrap(),
            )
            .unwrap();
        let before = line(Dir::Note, (1, 59, 59, 0), "a");
        let after = line(Dir::Note, (3, 0, 0, 0), "b");
        let out = render(
            TranscriptFormat::Jsonl,
            &start,
            [(&before, None), (&after, None)],
        );
        assert!(out.contains("\"2026-03-29T01:59:59.000+01:00\""), "{out}");
        assert!(out.contains("\"2026-03-29T03:00:00.000+02:00\""), "{out}");
    }

    #[test]
    fn formats_and_their_names() {
        for (format, name, ext) in [
            (TranscriptFormat::Text, "text", "txt"),
            (TranscriptFormat::Jsonl, "jsonl", "jsonl"),
        ] {
            assert_eq!(format.to_string(), name);
            assert_eq!(format.extension(), ext);
            assert_eq!(
                <TranscriptFormat as clap::ValueEnum>::from_str(name, false),
                Ok(format)
            );
        }
    }

    #[test]
    fn a_saved_log_reads_back() {
        let lines = vec![
            LogLine {
                latency: Some(Duration::from_millis(25)),
                ..line(Dir::Server, (8, 41, 2, 25), "220 mx.example.org ESMTP")
            },
            line(
                Dir::Client,
                (8, 41, 2, 26),
                "EHLO client.example.org (home)",
            ),
            LogLine {
                latency: Some(Duration::from_micros(21_400)),
                gloss: Some("Username:".into()),
                ..line(Dir::Server, (8, 41, 2, 50), "334 VXNlcm5hbWU6")
            },
            line(Dir::Note, (8, 41, 3, 0), "TLS established"),
        ];
        let stages = [None, Some(Stage::Ehlo), Some(Stage::Auth), None];
        let jsonl = render(
            TranscriptFormat::Jsonl,
            &anchor(8, 0),
            lines.iter().zip(stages),
        );
        let (back, skipped) = read(&jsonl);
        assert_eq!(skipped, 0);
        assert_eq!(back.iter().map(|b| b.1).collect::<Vec<_>>(), stages);
        assert_eq!(back.into_iter().map(|b| b.0).collect::<Vec<_>>(), lines);
        let text = render(
            TranscriptFormat::Text,
            &anchor(8, 0),
            lines.iter().map(|l| (l, None)),
        );
        let (back, skipped) = read(&format!("{text}not a log line\n"));
        assert_eq!(skipped, 1);
        let texts: Vec<&str> = back.iter().map(|b| b.0.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "220 mx.example.org ESMTP",
                "EHLO client.example.org (home)",
                "334 VXNlcm5hbWU6",
                "TLS established"
            ]
        );
        assert_eq!(back[0].0.latency, Some(Duration::from_millis(25)));
        assert_eq!(back[2].0.gloss.as_deref(), Some("Username:"));
        // The text format shows whole milliseconds from 10 ms on.
        assert_eq!(back[2].0.latency, Some(Duration::from_millis(21)));
    }
}
