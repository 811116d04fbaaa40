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
//! every line (server lines and notes included) is scrubbed of the secrets
//! registered with [`Transcript::add_secret`], in plain and base64 form.

use std::{borrow::Cow, fmt, time::Duration};

use chrono::NaiveTime;
use zeroize::Zeroizing;

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
const SUFFIX_COLUMN: usize = 53;

impl LogLine {
    /// The right-hand annotation: `[25 ms]` or `(Username:)`.
    pub fn suffix(&self) -> Option<String> {
        match (&self.gloss, self.latency) {
            (Some(gloss), Some(latency)) => {
                Some(format!("({gloss}) [{}]", format_latency(latency)))
            }
            (Some(gloss), None) => Some(format!("({gloss})")),
            (None, Some(latency)) => Some(format!("[{}]", format_latency(latency))),
            (None, None) => None,
        }
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
    /// Plain and base64 forms of every credential; no line contains one.
    secrets: Vec<Zeroizing<String>>,
}

impl fmt::Debug for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transcript")
            .field("secrets", &self.secrets.len())
            .finish_non_exhaustive()
    }
}

impl Transcript {
    /// A transcript that hands each event to `sink`.
    pub fn new(sink: impl FnMut(Event) + Send + 'static) -> Transcript {
        Transcript {
            sink: Box::new(sink),
            secrets: Vec::new(),
        }
    }

    /// A transcript nobody reads.
    pub fn discard() -> Transcript {
        Transcript::new(|_| {})
    }

    /// Registers a secret: from now on it (and its base64 form) is replaced
    /// by `<redacted>` wherever it would appear, server lines included — a
    /// hostile server may echo what it was sent.
    pub fn add_secret(&mut self, secret: &str) {
        use base64::Engine as _;
        if secret.len() < 3 {
            // Scrubbing one or two characters would mangle every line and
            // hide nothing worth hiding; such a "secret" is not one.
            return;
        }
        for form in [
            secret.to_owned(),
            base64::engine::general_purpose::STANDARD.encode(secret),
        ] {
            if !self.secrets.iter().any(|s| **s == form) {
                self.secrets.push(Zeroizing::new(form));
            }
        }
    }

    /// `text` with every registered secret replaced.
    pub fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), "<redacted>"));
            }
        }
        out
    }

    /// Reports a stage change.
    pub fn stage(&mut self, stage: Stage) {
        (self.sink)(Event::Stage(stage));
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
        let text = self.scrub(text).into_owned();
        let gloss = gloss.map(|g| self.scrub(&g).into_owned());
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
#[allow(clippy::disallowed_methods)]
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

    #[test]
    fn secrets_are_scrubbed_from_every_line_in_plain_and_base64() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let mut t = Transcript::new(move |e| sink.lock().unwrap().push(e));
        t.add_secret("hunter2!");
        t.add_secret("ab"); // too short to be a secret worth scrubbing
        t.server(
            "535 bad password hunter2! aHVudGVyMiE=",
            None,
            Some("hunter2!".into()),
        );
        t.note("ab stays");
        let seen = seen.lock().unwrap();
        let Event::Line(l) = &seen[0] else { panic!() };
        assert_eq!(l.text, "535 bad password <redacted> <redacted>");
        assert_eq!(l.gloss.as_deref(), Some("<redacted>"));
        let Event::Line(l) = &seen[1] else { panic!() };
        assert_eq!(l.text, "ab stays");
        assert!(!format!("{t:?}").contains("hunter2"));
    }
}
