//! The protocol transcript: every line the client writes and reads, plus
//! notes, delivered as events while they happen.
//!
//! Format (the same in the UI, on stderr and in `--transcript` files):
//!
//! ```text
//! 08:41:02.139 S: 220 mx.example.org ESMTP ready                       [25 ms]
//! 08:41:02.139 C: EHLO client.example.org
//! 08:41:02.281 S: 334 VXNlcm5hbWU6                                     (Username:)
//! 08:41:02.281 C: <username redacted>
//! ```
//!
//! Secrets never reach a line: commands carry their own redacted text, and
//! server text in which a secret registered with [`Transcript::add_secret`]
//! is found, in any form ([`Scrubber`]), is withheld whole: the line keeps
//! its reply code and enhanced code, and its text becomes
//! [`WITHHELD`]. Our own lines (commands, notes) hold
//! no server text that has not passed through here already; they are checked
//! once more for the secrets long enough not to occur by chance.

use std::{borrow::Cow, fmt, time::Duration};

use chrono::NaiveTime;

use super::{
    reply::{Code, Reply},
    scrub::{Scrubber, WITHHELD},
    timeline::{StageClock, Timeline},
};

/// Who a line is from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// `C:` — written by the client.
    Client,
    /// `S:` — read from the server.
    Server,
    /// `*` — a note: DNS, TCP, TLS, timing, explanations.
    Note,
    /// `*` — a note about a failure (shown in red where there is colour).
    Error,
}

impl Dir {
    /// The prefix of the line in text form.
    pub fn prefix(self) -> &'static str {
        match self {
            Dir::Client => "C:",
            Dir::Server => "S:",
            Dir::Note | Dir::Error => "* ",
        }
    }
}

/// One transcript line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Local wall-clock time when the line was written or read.
    pub time: NaiveTime,
    /// Who it is from.
    pub dir: Dir,
    /// The text, already redacted, without CRLF.
    pub text: String,
    /// For the first line of a reply: the time since the command was sent.
    pub latency: Option<Duration>,
    /// A decoded reading of the line, e.g. the text of a base64 `334` prompt.
    pub gloss: Option<String>,
}

/// The column where latency and glosses start, after the text.
pub const SUFFIX_COLUMN: usize = 53;

impl LogLine {
    /// The right-hand annotation: `[25 ms]` or `(Username:)`.
    pub fn suffix(&self) -> Option<String> {
        suffix(self.gloss.as_deref(), self.latency)
    }
}

/// The right-hand annotation of a line: `[25 ms]`, `(Username:)` or both.
pub fn suffix(gloss: Option<&str>, latency: Option<Duration>) -> Option<String> {
    match (gloss, latency) {
        (Some(gloss), Some(latency)) => Some(format!("({gloss}) [{}]", format_latency(latency))),
        (Some(gloss), None) => Some(format!("({gloss})")),
        (None, Some(latency)) => Some(format!("[{}]", format_latency(latency))),
        (None, None) => None,
    }
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.time.format("%H:%M:%S%.3f"),
            self.dir.prefix(),
            self.text
        )?;
        if let Some(suffix) = self.suffix() {
            let pad = SUFFIX_COLUMN
                .saturating_sub(self.text.chars().count())
                .max(1);
            write!(f, "{:pad$}{suffix}", "")?;
        }
        Ok(())
    }
}

/// `0.4 ms`, `25 ms`, `1.2 s`.
pub fn format_latency(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Where the session is. The UI shows it with a spinner; errors name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// DNS lookup and TCP connect.
    Connect,
    /// The TLS handshake (implicit TLS or after STARTTLS).
    TlsHandshake,
    /// Waiting for the 220 greeting.
    Greeting,
    /// EHLO (or the HELO fallback).
    Ehlo,
    /// The STARTTLS command.
    StartTls,
    /// AUTH and its challenges.
    Auth,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// The DATA command.
    Data,
    /// Writing the message itself.
    Content,
    /// The reply after the final dot.
    EndOfData,
    /// RSET.
    Rset,
    /// QUIT.
    Quit,
    /// A command typed by hand that changes no state the engine follows
    /// (NOOP, VRFY, EXPN, HELP, anything unknown).
    Command,
}

impl Stage {
    /// The stage's name in machine-readable output (JSON Lines): `connect`,
    /// `tls`, `greeting`, `ehlo`, `starttls`, `auth`, `mail`, `rcpt`,
    /// `data`, `message`, `final_reply`, `rset`, `quit`, `command`.
    pub fn key(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::TlsHandshake => "tls",
            Stage::Greeting => "greeting",
            Stage::Ehlo => "ehlo",
            Stage::StartTls => "starttls",
            Stage::Auth => "auth",
            Stage::Mail => "mail",
            Stage::Rcpt => "rcpt",
            Stage::Data => "data",
            Stage::Content => "message",
            Stage::EndOfData => "final_reply",
            Stage::Rset => "rset",
            Stage::Quit => "quit",
            Stage::Command => "command",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Connect => "connect",
            Stage::TlsHandshake => "TLS handshake",
            Stage::Greeting => "greeting",
            Stage::Ehlo => "EHLO",
            Stage::StartTls => "STARTTLS",
            Stage::Auth => "AUTH",
            Stage::Mail => "MAIL FROM",
            Stage::Rcpt => "RCPT TO",
            Stage::Data => "DATA",
            Stage::Content => "message data",
            Stage::EndOfData => "end of data",
            Stage::Rset => "RSET",
            Stage::Quit => "QUIT",
            Stage::Command => "a typed command",
        })
    }
}

/// What the engine reports while it works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A transcript line.
    Line(LogLine),
    /// The session moved to a new stage.
    Stage(Stage),
}

/// The receiving end of [`Event`]s: a closure, so the CLI can print, the
/// worker can forward to the UI, and tests can collect.
type Sink = Box<dyn FnMut(Event) + Send>;

/// The transcript writer the engine owns for the life of a session.
pub struct Transcript {
    sink: Sink,
    /// Nobody reads the lines ([`Transcript::discard`]): they are not built.
    silent: bool,
    /// Every credential, searched for in every form.
    scrubber: Scrubber,
    /// Whether the note about a short password was given.
    short_noted: bool,
    /// The stage last reported.
    current: Option<Stage>,
    /// The time spent per stage, for [`Timeline`]s.
    clock: StageClock,
}

impl fmt::Debug for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transcript")
            .field("scrubber", &self.scrubber)
            .finish_non_exhaustive()
    }
}

/// The note given the first time a short password makes text withheld.
pub const SHORT_PASSWORD_NOTE: &str = "server text that contains the password is withheld; \
the password is short enough to occur in ordinary server text, so some ordinary lines may be withheld too";

impl Transcript {
    /// A transcript that hands each event to `sink`.
    pub fn new(sink: impl FnMut(Event) + Send + 'static) -> Transcript {
        Transcript {
            sink: Box::new(sink),
            silent: false,
            scrubber: Scrubber::new(),
            short_noted: false,
            current: None,
            clock: StageClock::default(),
        }
    }

    /// A transcript nobody reads: lines are not even built (a clock read,
    /// a scrub and an allocation each, 7 per letter under `--repeat`).
    pub fn discard() -> Transcript {
        Transcript {
            silent: true,
            ..Transcript::new(|_| {})
        }
    }

    /// Registers a secret (of any length): from now on server text that
    /// holds it in any form is withheld, in the transcript and in the
    /// replies [`Transcript::withhold_reply`] hands on to errors.
    pub fn add_secret(&mut self, secret: &str) {
        self.scrubber.add(secret);
    }

    /// Server text (escaped by [`visible`](super::visible::visible)), or
    /// [`WITHHELD`] when it holds a secret.
    pub fn withhold<'t>(&mut self, text: &'t str) -> Cow<'t, str> {
        if self.scrubber.finds(text) {
            self.withheld();
            Cow::Borrowed(WITHHELD)
        } else {
            Cow::Borrowed(text)
        }
    }

    /// The reply with every line that holds a secret withheld (codes kept);
    /// when only the lines together hold one, all of them are.
    pub fn withhold_reply(&mut self, reply: Reply) -> Reply {
        if self.scrubber.is_empty() {
            return reply;
        }
        let mut hide: Vec<bool> = reply
            .lines()
            .iter()
            .map(|l| self.scrubber.finds(l))
            .collect();
        if !hide.contains(&true) && reply.lines().len() > 1 {
            // A secret split over the lines of one reply: each line's text
            // after its enhanced code (`250-2.0.0 queued ab` + `250 2.0.0
            // cd`), joined as sent and with the blanks at the seams gone.
            // One blank after a code is the separator; any other may be
            // the password's own, or padding at the seam.
            let exact: String = reply
                .after_codes()
                .map(|t| t.strip_prefix(' ').unwrap_or(t))
                .collect();
            let trimmed: String = reply.after_codes().map(str::trim).collect();
            if self.scrubber.finds(&reply.lines().concat())
                || self.scrubber.finds(&exact)
                || self.scrubber.finds(&trimmed)
            {
                hide.fill(true);
            }
        }
        if !hide.contains(&true) {
            return reply;
        }
        self.withheld();
        reply.withhold_lines(&hide, WITHHELD)
    }

    /// Notes once that a short password may withhold ordinary text.
    fn withheld(&mut self) {
        if !self.short_noted && self.scrubber.has_short_secret() {
            self.short_noted = true;
            self.line(Dir::Note, SHORT_PASSWORD_NOTE, None, None);
        }
    }

    /// A wire line (`250-text`) with its text withheld if it holds a secret.
    fn withhold_wire<'t>(&mut self, line: &'t str) -> Cow<'t, str> {
        if !self.scrubber.finds(line) {
            return Cow::Borrowed(line);
        }
        self.withheld();
        let code = line
            .get(..3)
            .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse().ok())
            .and_then(Code::new);
        match (code, line.get(3..4)) {
            (Some(code), Some(sep @ (" " | "-"))) => {
                let reply =
                    Reply::new(code, vec![line[4..].to_owned()]).withhold_lines(&[true], WITHHELD);
                let text = reply.lines().first().map_or(WITHHELD, String::as_str);
                Cow::Owned(format!("{code}{sep}{text}"))
            }
            _ => Cow::Borrowed(WITHHELD),
        }
    }

    /// Reports a stage change (a repeat of the current stage is not
    /// reported again) and times it.
    pub fn stage(&mut self, stage: Stage) {
        let repeat = self.current == Some(stage);
        if !repeat || !self.clock.is_running() {
            self.clock.enter(stage);
        }
        if !repeat {
            self.current = Some(stage);
            (self.sink)(Event::Stage(stage));
        }
    }

    /// The stage last reported.
    pub fn current_stage(&self) -> Option<Stage> {
        self.current
    }

    /// The engine waits for its caller: the time until the next stage
    /// counts toward no [`Timeline`] phase.
    pub fn idle(&mut self) {
        self.clock.idle();
    }

    /// The timeline measured since the last lap (the transaction that just
    /// ended, and the session's opening if it was the first); the next
    /// starts empty.
    pub fn lap(&mut self) -> Timeline {
        self.clock.lap()
    }

    /// What [`Transcript::lap`] would return now, without ending anything
    /// (e.g. the opening of a session that has sent nothing yet).
    pub fn timeline(&self) -> Timeline {
        self.clock.peek()
    }

    /// A line written by the client (already in its redacted form).
    pub fn client(&mut self, text: &str) {
        self.line(Dir::Client, text, None, None);
    }

    /// A line read from the server.
    pub fn server(&mut self, text: &str, latency: Option<Duration>, gloss: Option<String>) {
        self.line(Dir::Server, text, latency, gloss);
    }

    /// A note.
    pub fn note(&mut self, text: &str) {
        self.line(Dir::Note, text, None, None);
    }

    /// A note about a failure.
    pub fn error(&mut self, text: &str) {
        self.line(Dir::Error, text, None, None);
    }

    fn line(&mut self, dir: Dir, text: &str, latency: Option<Duration>, gloss: Option<String>) {
        if self.silent {
            return;
        }
        let text = match dir {
            Dir::Server => self.withhold_wire(text).into_owned(),
            // Our own words: a hit here can only be a secret long enough
            // not to occur by chance (a short one would be given away by
            // withholding "connecting to mail.example.org").
            Dir::Client | Dir::Note | Dir::Error if self.scrubber.finds_long(text) => {
                WITHHELD.to_owned()
            }
            Dir::Client | Dir::Note | Dir::Error => text.to_owned(),
        };
        let gloss = gloss.map(|g| self.withhold(&g).into_owned());
        (self.sink)(Event::Line(LogLine {
            time: wall_clock(),
            dir,
            text,
            latency,
            gloss,
        }));
    }
}

/// The one place the engine reads the wall clock (for line timestamps only;
/// timeouts and latency use the monotonic clock).
#[expect(
    clippy::disallowed_methods,
    reason = "the engine's one wall-clock read"
)]
fn wall_clock() -> NaiveTime {
    chrono::Local::now().time()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    fn line(dir: Dir, text: &str, latency: Option<u64>, gloss: Option<&str>) -> LogLine {
        LogLine {
            time: NaiveTime::from_hms_milli_opt(8, 41, 2, 139).unwrap(),
            dir,
            text: text.to_owned(),
            latency: latency.map(Duration::from_millis),
            gloss: gloss.map(str::to_owned),
        }
    }

    #[test]
    fn lines_render_in_the_design_format() {
        for (l, text) in [
            (
                line(
                    Dir::Server,
                    "220 mx.example.org ESMTP ready",
                    Some(25),
                    None,
                ),
                "08:41:02.139 S: 220 mx.example.org ESMTP ready                       [25 ms]",
            ),
            (
                line(Dir::Server, "334 VXNlcm5hbWU6", None, Some("Username:")),
                "08:41:02.139 S: 334 VXNlcm5hbWU6                                     (Username:)",
            ),
            (
                line(Dir::Client, "EHLO client.example.org", None, None),
                "08:41:02.139 C: EHLO client.example.org",
            ),
            (
                line(Dir::Note, "connecting to smtp.example.org:587", None, None),
                "08:41:02.139 *  connecting to smtp.example.org:587",
            ),
        ] {
            assert_eq!(l.to_string(), text);
        }
    }

    #[test]
    fn latency_formats() {
        for (us, text) in [
            (400, "0.4 ms"),
            (25_000, "25 ms"),
            (1_234_000, "1234 ms"),
            (12_300_000, "12.3 s"),
        ] {
            assert_eq!(format_latency(Duration::from_micros(us)), text);
        }
    }

    fn collect() -> (Transcript, Arc<Mutex<Vec<Event>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        (Transcript::new(move |e| sink.lock().unwrap().push(e)), seen)
    }

    fn texts(seen: &Mutex<Vec<Event>>) -> Vec<String> {
        seen.lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Event::Line(l) => Some(format!(
                    "{} {}{}",
                    l.dir.prefix(),
                    l.text,
                    l.gloss
                        .as_deref()
                        .map(|g| format!(" ({g})"))
                        .unwrap_or_default()
                )),
                Event::Stage(_) => None,
            })
            .collect()
    }

    #[test]
    fn server_text_with_a_secret_is_withheld_whole() {
        let (mut t, seen) = collect();
        t.add_secret("hunter2!hunter");
        t.server(
            "535 5.7.8 bad password aHVudGVyMiFodW50ZXI= (HUNTER2!HUNTER)",
            None,
            Some("hunter2!hunter".into()),
        );
        t.server("250-mx says 68756e746572322168756e746572", None, None);
        t.server("garbage hunter2!hunter", None, None);
        t.server("250 ok", None, None);
        t.note("connecting to hunter2!hunter.example.org");
        t.note("ab stays");
        assert_eq!(
            texts(&seen),
            [
                format!("S: 535 5.7.8 {WITHHELD} ({WITHHELD})"),
                format!("S: 250-{WITHHELD}"),
                format!("S: {WITHHELD}"),
                "S: 250 ok".to_owned(),
                format!("*  {WITHHELD}"),
                "*  ab stays".to_owned(),
            ]
        );
        assert!(!format!("{t:?}").contains("hunter2"));
    }

    #[test]
    fn a_short_password_is_not_given_away() {
        let (mut t, seen) = collect();
        t.add_secret("mail");
        t.note("connecting to mail.example.org:25");
        t.client("MAIL FROM:<ivan@mail.example.org>");
        t.server("220 mail.example.org ESMTP", None, None);
        t.server("250 MAIL ok", None, None);
        assert_eq!(
            texts(&seen),
            [
                "*  connecting to mail.example.org:25".to_owned(),
                "C: MAIL FROM:<ivan@mail.example.org>".to_owned(),
                format!("*  {SHORT_PASSWORD_NOTE}"),
                format!("S: 220 {WITHHELD}"),
                format!("S: 250 {WITHHELD}"),
            ]
        );
    }

    #[test]
    fn withheld_replies_keep_what_the_engine_reads() {
        let (mut t, _) = collect();
        t.add_secret("Tr0ub4dor&3");
        let reply = Reply::new(
            Code::new(250).unwrap(),
            vec!["mx".into(), "AUTH PLAIN Tr0ub".into(), "4dor&3".into()],
        );
        let shown = t.withhold_reply(reply.clone());
        assert_eq!(shown.lines(), [WITHHELD, WITHHELD, WITHHELD]);
        assert_eq!(shown.parsed_lines(), reply.lines());
        let ok = Reply::new(Code::new(250).unwrap(), vec!["fine".into()]);
        assert_eq!(t.withhold_reply(ok.clone()), ok);
    }

    /// Split over lines that each carry an enhanced code (as Postfix
    /// writes them), with blanks at the seam or without, at every cut.
    #[test]
    fn a_secret_split_over_lines_with_enhanced_codes_is_withheld() {
        for password in ["Tr0ub4dor&3-zebra", "ab", "pässwörd with space"] {
            let (mut t, _) = collect();
            t.add_secret(password);
            let chars: Vec<char> = password.chars().collect();
            for cut in 1..chars.len() {
                let (a, b): (String, String) =
                    (chars[..cut].iter().collect(), chars[cut..].iter().collect());
                let mut forms = vec![
                    (format!("2.0.0 queued {a}"), format!("2.0.0 {b} done")),
                    (format!("queued {a}"), format!("2.0.0 {b}")),
                ];
                // Padding at the seam, unless the password's own blank is
                // there (which padding would make ambiguous).
                if !a.ends_with(' ') && !b.starts_with(' ') {
                    forms.push((format!("2.0.0 queued {a} "), format!("2.0.0  {b}")));
                }
                for (first, last) in forms {
                    let reply = Reply::new(Code::new(250).unwrap(), vec![first, last]);
                    let shown = t.withhold_reply(reply);
                    assert!(
                        shown.lines().iter().all(|l| l.ends_with(WITHHELD)),
                        "{password} cut at {cut}: {:?}",
                        shown.lines()
                    );
                }
            }
        }
    }
}
