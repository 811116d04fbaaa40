//! Server replies (RFC 5321 §4.2), parsed once into types.
//!
//! The parser is incremental: [`parse`] looks at the bytes received so far and
//! either returns a complete reply with the number of bytes it used, asks for
//! more, or reports a protocol error. A reply may not grow past [`MAX_REPLY`]
//! bytes, so a hostile server cannot make the client buffer without end.

use std::fmt;

use super::visible::{self, Piece};

/// The largest reply accepted, all lines together (RFC 5321 §4.5.3.1.5 allows
/// 512 octets per line; 4 KiB leaves room for long EHLO lists).
pub const MAX_REPLY: usize = 4096;

/// A three-digit reply code (200–599 in practice; any 2xx–5xx is accepted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Code(u16);

/// The first digit of a reply code (RFC 5321 §4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// 2yz: the command was accepted.
    PositiveCompletion,
    /// 3yz: go on (354 after DATA, 334 during AUTH).
    PositiveIntermediate,
    /// 4yz: failed this time; trying again later may work.
    TransientNegative,
    /// 5yz: failed; do not repeat as is.
    PermanentNegative,
}

impl Code {
    /// A code from its number, if it has the shape of an SMTP reply code.
    pub fn new(value: u16) -> Option<Code> {
        let (first, second) = (value / 100, value / 10 % 10);
        ((2..=5).contains(&first) && second <= 5).then_some(Code(value))
    }

    /// The number, e.g. 250.
    pub fn value(self) -> u16 {
        self.0
    }

    /// What the first digit says.
    pub fn severity(self) -> Severity {
        match self.0 / 100 {
            2 => Severity::PositiveCompletion,
            3 => Severity::PositiveIntermediate,
            4 => Severity::TransientNegative,
            _ => Severity::PermanentNegative,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An enhanced status code (RFC 3463), e.g. `5.7.8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Enhanced(pub u8, pub u16, pub u16);

impl fmt::Display for Enhanced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

impl Enhanced {
    /// Reads `class.subject.detail` at the start of `text` when it is followed
    /// by a space or the end (so `2address.org` is not one), and the class
    /// agrees with the reply code.
    fn parse_prefix(text: &str, code: Code) -> Option<(Enhanced, usize)> {
        let end = text.find(' ').unwrap_or(text.len());
        let mut parts = text[..end].split('.');
        let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let number = |s: &str, max_len: usize| {
            (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u16>().ok())
                .flatten()
        };
        let class = number(class, 1)?;
        if code.0 / 100 != class || !matches!(class, 2 | 4 | 5) {
            return None;
        }
        let enhanced = Enhanced(
            u8::try_from(class).ok()?,
            number(subject, 3)?,
            number(detail, 3)?,
        );
        Some((enhanced, end))
    }
}

/// A complete server reply: one code, an optional enhanced code, and the text
/// of each line (after the code and its separator).
///
/// The text is safe to print: [`parse`] escapes every control, bidi and
/// invisible character (see [`super::visible`]), and a line that
/// held a secret can be withheld (see [`Reply::withhold_lines`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    code: Code,
    enhanced: Option<Enhanced>,
    lines: Vec<String>,
    /// The lines before any was withheld; kept only when one was, so that
    /// the engine still reads what the server offered.
    parsed: Option<Vec<String>>,
}

impl fmt::Debug for Reply {
    /// The shown lines only: the parsed text of a withheld line held a
    /// secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("code", &self.code)
            .field("enhanced", &self.enhanced)
            .field("lines", &self.lines)
            .field("withheld", &self.parsed.is_some())
            .finish()
    }
}

impl Reply {
    /// A reply from parts; used by tests and by the fake servers.
    pub fn new(code: Code, lines: Vec<String>) -> Reply {
        let enhanced = lines
            .first()
            .and_then(|first| Enhanced::parse_prefix(first, code))
            .map(|(enhanced, _)| enhanced);
        Reply {
            code,
            enhanced,
            lines,
            parsed: None,
        }
    }

    /// The reply with the text of each line marked in `hide` replaced by
    /// `marker`; the line's enhanced code, if any, stays. What is shown and
    /// quoted in errors changes; [`Reply::parsed_lines`] keeps the lines as
    /// parsed, for the engine.
    #[must_use]
    pub fn withhold_lines(self, hide: &[bool], marker: &str) -> Reply {
        if !hide.iter().any(|&h| h) {
            return self;
        }
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                if !hide.get(i).copied().unwrap_or(false) {
                    return line.clone();
                }
                match Enhanced::parse_prefix(line, self.code) {
                    Some((enhanced, _)) => format!("{enhanced} {marker}"),
                    None => marker.to_owned(),
                }
            })
            .collect();
        let parsed = self.parsed.unwrap_or(self.lines);
        Reply {
            code: self.code,
            enhanced: self.enhanced,
            lines,
            parsed: Some(parsed),
        }
    }

    /// Whether some line's text was withheld.
    pub fn is_withheld(&self) -> bool {
        self.parsed.is_some()
    }

    /// The lines as parsed, before any was withheld: for reading what the
    /// server offers (EHLO keywords), never for display.
    pub fn parsed_lines(&self) -> &[String] {
        self.parsed.as_deref().unwrap_or(&self.lines)
    }

    /// The reply code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The enhanced status code of the first line, if the server sent one.
    pub fn enhanced(&self) -> Option<Enhanced> {
        self.enhanced
    }

    /// The text of each line, as sent (enhanced codes included), with unsafe
    /// characters escaped and withheld text replaced.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The severity of the code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// True for 2yz.
    pub fn is_positive(&self) -> bool {
        self.severity() == Severity::PositiveCompletion
    }

    /// The human text: every line with its enhanced code removed, joined by
    /// spaces. This is what error messages quote.
    pub fn message(&self) -> String {
        let mut out = String::new();
        for text in self.texts() {
            if !text.is_empty() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(text);
            }
        }
        out
    }

    /// Each line's text with its enhanced code and the blanks after it
    /// removed.
    fn texts(&self) -> impl Iterator<Item = &str> + '_ {
        self.after_codes().map(str::trim_start)
    }

    /// Each line's text after its enhanced code, as sent (the separating
    /// blank kept).
    pub fn after_codes(&self) -> impl Iterator<Item = &str> + '_ {
        self.lines
            .iter()
            .map(|line| match Enhanced::parse_prefix(line, self.code) {
                Some((_, end)) => &line[end..],
                None => line.as_str(),
            })
    }

    /// The wire form of each line (`250-text`, …, `250 text`), for the
    /// transcript.
    pub fn wire_lines(&self) -> impl Iterator<Item = String> + '_ {
        let last = self.lines.len().saturating_sub(1);
        self.lines.iter().enumerate().map(move |(i, text)| {
            let sep = if i == last { ' ' } else { '-' };
            if text.is_empty() && i == last {
                self.code.to_string()
            } else {
                format!("{}{sep}{text}", self.code)
            }
        })
    }
}

impl fmt::Display for Reply {
    /// `550 5.1.1 <x@y>: Recipient address rejected` (one line).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.lines.join(" ");
        if text.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{} {text}", self.code)
        }
    }
}

/// Why bytes from the server are not a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// A line that is not `NNN`, `NNN text` or `NNN-text`, or a line whose
    /// code differs from the first line's. Carries the raw line (at most
    /// [`MAX_REPLY`] bytes): the caller scrubs it of secrets, makes it
    /// [`visible`](visible::visible_bytes) and only then [`shorten`]s it, so
    /// no cut can split a secret into pieces the scrubber misses.
    Malformed(Vec<u8>),
    /// The reply grew past [`MAX_REPLY`] bytes without ending.
    TooLong,
}

/// Parses one reply from the start of `buf`.
///
/// Returns `Ok(Some((reply, used)))` for a complete reply, `Ok(None)` when
/// more bytes are needed, or an error. Lines end in CRLF; a bare LF is
/// accepted too, because being strict here helps nobody.
pub fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>, ParseError> {
    let mut code: Option<Code> = None;
    let mut lines = Vec::new();
    let mut pos = 0;
    loop {
        let Some(newline) = buf[pos..].iter().position(|&b| b == b'\n') else {
            return if buf.len() > MAX_REPLY {
                Err(ParseError::TooLong)
            } else {
                Ok(None)
            };
        };
        let end = pos + newline + 1;
        if end > MAX_REPLY {
            return Err(ParseError::TooLong);
        }
        let raw = &buf[pos..pos + newline];
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let (line_code, last, text) = parse_line(raw)?;
        match code {
            None => code = Some(line_code),
            Some(first) if first != line_code => {
                return Err(malformed(raw));
            }
            Some(_) => {}
        }
        lines.push(text);
        pos = end;
        if last {
            let code = code.ok_or_else(|| malformed(raw))?;
            return Ok(Some((Reply::new(code, lines), pos)));
        }
    }
}

/// One reply line: its code, whether it is the last line, and its text.
fn parse_line(raw: &[u8]) -> Result<(Code, bool, String), ParseError> {
    let malformed = || malformed(raw);
    if raw.len() < 3 || !raw[..3].iter().all(u8::is_ascii_digit) {
        return Err(malformed());
    }
    let value = raw[..3]
        .iter()
        .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
    let code = Code::new(value).ok_or_else(malformed)?;
    let (last, rest) = match raw.get(3) {
        None => (true, &[][..]),
        Some(b' ') => (true, &raw[4..]),
        Some(b'-') => (false, &raw[4..]),
        Some(_) => return Err(malformed()),
    };
    // Escaped here, so everything built from a reply is safe to print.
    Ok((code, last, visible::visible_bytes(rest).into_owned()))
}

fn malformed(raw: &[u8]) -> ParseError {
    ParseError::Malformed(raw[..raw.len().min(MAX_REPLY)].to_vec())
}

/// The longest line quoted in an error message, in characters.
pub const SHORT_LINE: usize = 120;

/// Escaped text (output of [`visible`](visible::visible)) cut to at most
/// [`SHORT_LINE`] characters plus `…`, never inside an escape.
pub fn shorten(shown: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut escape = String::new();
    for piece in visible::pieces(shown) {
        escape.clear();
        let text = match piece {
            Piece::Text(text) => text,
            Piece::Backslash => "\\\\",
            Piece::Char(c) => {
                visible::push_escaped(c, &mut escape);
                &escape
            }
            Piece::Byte(b) => {
                escape = format!("\\x{b:02x}");
                &escape
            }
        };
        let len = text.chars().count();
        if count + len <= SHORT_LINE {
            out.push_str(text);
            count += len;
            continue;
        }
        if matches!(piece, Piece::Text(_)) {
            out.extend(text.chars().take(SHORT_LINE - count));
        }
        out.push('…');
        return out;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16, lines: &[&str]) -> Reply {
        Reply::new(
            Code::new(code).unwrap(),
            lines.iter().map(ToString::to_string).collect(),
        )
    }

    #[test]
    fn parses_complete_replies() {
        for (input, code, lines, used) in [
            ("220 mx ESMTP\r\n", 220, vec!["mx ESMTP"], 14),
            ("250\r\n", 250, vec![""], 5),
            ("250 \r\n", 250, vec![""], 6),
            ("250-a\r\n250-b\r\n250 c\r\n", 250, vec!["a", "b", "c"], 21),
            ("354 go\nrest", 354, vec!["go"], 7),
            (
                "250-mx.example.org\r\n250-SIZE 10240000\r\n250 8BITMIME\r\nEXTRA",
                250,
                vec!["mx.example.org", "SIZE 10240000", "8BITMIME"],
                53,
            ),
        ] {
            let (got, n) = parse(input.as_bytes()).unwrap().unwrap();
            assert_eq!(got, reply(code, &lines), "{input:?}");
            assert_eq!(n, used, "{input:?}");
        }
    }

    #[test]
    fn asks_for_more_when_incomplete() {
        for input in ["", "2", "250", "250-a\r\n", "250-a\r\n250 b", "250 ok\r"] {
            assert_eq!(parse(input.as_bytes()), Ok(None), "{input:?}");
        }
    }

    #[test]
    fn a_reply_split_across_reads_parses_once_whole() {
        let whole = b"250-mx\r\n250-PIPELINING\r\n250 SIZE 100\r\n";
        for split in 0..whole.len() {
            let first = parse(&whole[..split]).unwrap();
            assert!(first.is_none(), "split at {split}");
        }
        let (reply, used) = parse(whole).unwrap().unwrap();
        assert_eq!(used, whole.len());
        assert_eq!(reply.lines().len(), 3);
    }

    #[test]
    fn rejects_malformed_lines() {
        for input in [
            "hello\r\n",
            "25\r\n",
            "2500 x\r\n",
            "250x\r\n",
            "099 x\r\n",
            "650 x\r\n",
            "270 x\r\n",
            "250-a\r\n251 b\r\n",
            "HTTP/1.1 400 Bad Request\r\n",
        ] {
            assert!(
                matches!(parse(input.as_bytes()), Err(ParseError::Malformed(_))),
                "{input:?}"
            );
        }
    }

    #[test]
    fn bounds_reply_size() {
        let long_line = format!("250 {}\r\n", "x".repeat(MAX_REPLY));
        assert_eq!(parse(long_line.as_bytes()), Err(ParseError::TooLong));
        let no_newline = "2".repeat(MAX_REPLY + 1);
        assert_eq!(parse(no_newline.as_bytes()), Err(ParseError::TooLong));
        let endless = "250-more\r\n".repeat(MAX_REPLY / 10 + 1);
        assert_eq!(parse(endless.as_bytes()), Err(ParseError::TooLong));
        let just_fits = format!("250 {}\r\n", "x".repeat(MAX_REPLY - 6));
        assert!(parse(just_fits.as_bytes()).unwrap().is_some());
    }

    #[test]
    fn reads_enhanced_codes() {
        for (code, text, expected, message) in [
            (250, "2.1.0 Ok", Some(Enhanced(2, 1, 0)), "Ok"),
            (
                550,
                "5.1.1 <x@y>: no such user",
                Some(Enhanced(5, 1, 1)),
                "<x@y>: no such user",
            ),
            (
                535,
                "5.7.8 Error: authentication failed",
                Some(Enhanced(5, 7, 8)),
                "Error: authentication failed",
            ),
            (421, "4.4.2 timeout", Some(Enhanced(4, 4, 2)), "timeout"),
            (250, "2.0.0", Some(Enhanced(2, 0, 0)), ""),
            // Not enhanced codes: no space after, wrong class, too many parts.
            (250, "2address.org", None, "2address.org"),
            (250, "5.1.1 class differs", None, "5.1.1 class differs"),
            (250, "2.1.0.1 four parts", None, "2.1.0.1 four parts"),
            (250, "2.1000.0 too long", None, "2.1000.0 too long"),
            (220, "mx.example.org ESMTP", None, "mx.example.org ESMTP"),
        ] {
            let r = reply(code, &[text]);
            assert_eq!(r.enhanced(), expected, "{text}");
            assert_eq!(r.message(), message, "{text}");
        }
    }

    #[test]
    fn severity_comes_from_the_first_digit() {
        for (code, severity) in [
            (220, Severity::PositiveCompletion),
            (334, Severity::PositiveIntermediate),
            (354, Severity::PositiveIntermediate),
            (421, Severity::TransientNegative),
            (554, Severity::PermanentNegative),
        ] {
            assert_eq!(Code::new(code).unwrap().severity(), severity);
        }
    }

    #[test]
    fn wire_lines_round_trip() {
        let input = "250-mx\r\n250-SIZE 1\r\n250 HELP\r\n";
        let (r, _) = parse(input.as_bytes()).unwrap().unwrap();
        let wire: Vec<String> = r.wire_lines().collect();
        assert_eq!(wire, ["250-mx", "250-SIZE 1", "250 HELP"]);
        assert_eq!(r.to_string(), "250 mx SIZE 1 HELP");
        let (bare, _) = parse(b"250\r\n").unwrap().unwrap();
        assert_eq!(bare.wire_lines().collect::<Vec<_>>(), ["250"]);
    }

    #[test]
    fn malformed_lines_keep_their_raw_bytes_and_shorten_after() {
        let input = format!("\x1b[31m{}\r\n", "z".repeat(300));
        let Err(ParseError::Malformed(raw)) = parse(input.as_bytes()) else {
            panic!("expected malformed");
        };
        assert_eq!(raw, input.trim_end().as_bytes());
        let line = shorten(&visible::visible_bytes(&raw));
        assert!(line.starts_with("\\x1b[31m"), "{line}");
        assert_eq!(line.chars().count(), SHORT_LINE + 1);
        // A cut never splits an escape.
        for (input, expected) in [
            (
                format!("{}\u{202e}", "a".repeat(115)),
                format!("{}…", "a".repeat(115)),
            ),
            (
                format!("{}\u{202e}b", "a".repeat(112)),
                format!("{}\\u{{202e}}…", "a".repeat(112)),
            ),
            ("short \x07".to_owned(), "short \\x07".to_owned()),
        ] {
            assert_eq!(shorten(&visible::visible(&input)), expected);
        }
    }

    #[test]
    fn reply_text_is_escaped_at_parse_time() {
        for (input, lines) in [
            (
                &b"220 x \x1b]52;c;aGk=\x07\r\n"[..],
                vec!["x \\x1b]52;c;aGk=\\x07"],
            ),
            (
                b"550 rejected\r250 2.0.0 Ok: queued\r\n",
                vec!["rejected\\r250 2.0.0 Ok: queued"],
            ),
            (
                b"250-a\xe2\x80\xaeb\r\n250 \x9b\xc2\x9b\r\n",
                vec!["a\\u{202e}b", "\\x9b\\u{9b}"],
            ),
            (b"250 \x00\x7f\\\r\n", vec!["\\x00\\x7f\\\\"]),
        ] {
            let (reply, _) = parse(input).unwrap().unwrap();
            assert_eq!(reply.lines(), lines, "{input:?}");
            assert!(!reply.to_string().chars().any(visible::is_unsafe));
        }
    }

    #[test]
    fn withheld_lines_keep_codes_and_the_parsed_text() {
        let (r, _) = parse(b"250-mx\r\n250-AUTH PLAIN secret\r\n250 SIZE 1\r\n")
            .unwrap()
            .unwrap();
        let w = r
            .clone()
            .withhold_lines(&[false, true, false], "<withheld>");
        assert_eq!(w.lines(), ["mx", "<withheld>", "SIZE 1"]);
        assert_eq!(w.parsed_lines(), r.lines());
        assert!(w.is_withheld() && !r.is_withheld());
        assert!(!format!("{w:?}").contains("secret"), "{w:?}");
        let e = reply(550, &["5.1.1 you sent secret"]).withhold_lines(&[true], "<withheld>");
        assert_eq!(e.to_string(), "550 5.1.1 <withheld>");
        assert_eq!(e.enhanced(), Some(Enhanced(5, 1, 1)));
    }
}
