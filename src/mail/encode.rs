//! The body: line-end normalisation, the transfer-encoding choice, and a
//! streaming encoder (7bit / 8bit / quoted-printable).
//!
//! The encoder works straight from the borrowed body text and can stop and
//! resume anywhere, so a 20 MB body is produced in ~64 KiB chunks, and its
//! encoded size is counted by the same code writing into a counter instead
//! of a buffer. Base64 is never used for text: quoted-printable keeps it
//! readable and is what spam filters expect for `text/plain`.

use std::fmt;

/// RFC 5322 §2.1.1 / RFC 5321 §4.5.3.1.6: octets in a line, CRLF excluded.
pub(crate) const MAX_LINE: usize = 998;
/// RFC 2045 §6.7 (5): an encoded line is at most 76 characters.
const QP_LINE: usize = 76;

/// The Content-Transfer-Encoding of the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferEncoding {
    /// ASCII text with short lines, sent as is.
    SevenBit,
    /// Anything else when the server lacks 8BITMIME (or lines are too long).
    QuotedPrintable,
    /// UTF-8 text with short lines, for a server offering 8BITMIME.
    EightBit,
}

impl fmt::Display for TransferEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransferEncoding::SevenBit => "7bit",
            TransferEncoding::QuotedPrintable => "quoted-printable",
            TransferEncoding::EightBit => "8bit",
        })
    }
}

/// Why the body got its Content-Transfer-Encoding: the builder's own
/// decision, kept so that a preview can say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncodingReason {
    /// ASCII text, no line over 998 octets, no control character: as is.
    Ascii,
    /// UTF-8 text with short lines, and the server offers 8BITMIME.
    EightBitMime,
    /// Non-ASCII text, and the server lacks 8BITMIME.
    No8BitMime,
    /// A line is over 998 octets (RFC 5322 §2.1.1), which 7bit and 8bit
    /// text may not have.
    LongLine,
    /// A control character other than tab, which 7bit and 8bit text may
    /// not hold (RFC 2045 §2.7, §2.8).
    ControlCharacter,
}

impl fmt::Display for EncodingReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncodingReason::Ascii => "ASCII text, no line over 998 octets: it goes as it is",
            EncodingReason::EightBitMime => {
                "UTF-8 text, no line over 998 octets, and the server offers 8BITMIME"
            }
            EncodingReason::No8BitMime => "non-ASCII text, and the server does not offer 8BITMIME",
            EncodingReason::LongLine => {
                "a line is over 998 octets, which only an encoding can carry"
            }
            EncodingReason::ControlCharacter => {
                "the text holds a control character, which only an encoding can carry"
            }
        })
    }
}

/// The body's encoding and the reason for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EncodingChoice {
    /// The Content-Transfer-Encoding.
    pub encoding: TransferEncoding,
    /// Why.
    pub reason: EncodingReason,
}

impl TransferEncoding {
    /// Picks the encoding for `body` (line ends counted after
    /// normalisation): 7bit for clean ASCII, 8bit for clean UTF-8 when the
    /// server offers 8BITMIME, quoted-printable otherwise. "Clean" means
    /// every line at most 998 octets and no control character but tab.
    #[cfg(test)]
    pub(crate) fn choose(body: &str, eight_bit: bool) -> TransferEncoding {
        Scan::of(body.as_bytes()).choice(eight_bit).encoding
    }
}

/// What one pass over the body learns: enough to choose the encoding, and
/// the body's size once its line ends are normalised (the 7bit/8bit size).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scan {
    long: bool,
    ascii: bool,
    controls: bool,
    /// Nothing but spaces, tabs and line ends.
    pub(crate) blank: bool,
    /// Octets after CRLF normalisation, final line end included.
    pub(crate) plain_len: u64,
}

impl Scan {
    /// Scans a body held in memory.
    pub(crate) fn of(body: &[u8]) -> Scan {
        let mut scanner = Scanner::new();
        scanner.feed(body);
        scanner.finish()
    }

    /// The encoding this body needs, and why.
    pub(crate) fn choice(self, eight_bit: bool) -> EncodingChoice {
        let (encoding, reason) = match (self.long, self.controls, self.ascii, eight_bit) {
            (true, _, _, _) => (TransferEncoding::QuotedPrintable, EncodingReason::LongLine),
            (false, true, _, _) => (
                TransferEncoding::QuotedPrintable,
                EncodingReason::ControlCharacter,
            ),
            (false, false, true, _) => (TransferEncoding::SevenBit, EncodingReason::Ascii),
            (false, false, false, true) => {
                (TransferEncoding::EightBit, EncodingReason::EightBitMime)
            }
            (false, false, false, false) => (
                TransferEncoding::QuotedPrintable,
                EncodingReason::No8BitMime,
            ),
        };
        EncodingChoice { encoding, reason }
    }
}

/// [`Scan`] fed piece by piece (a body read from a file), with vectorised
/// helpers: `is_ascii`, a branch-free control-character fold, and `memchr`
/// for line ends. A 20 MB body takes a few milliseconds.
#[derive(Clone, Debug)]
pub(crate) struct Scanner {
    long: bool,
    ascii: bool,
    controls: bool,
    blank: bool,
    total: u64,
    /// Octets added by normalisation (a bare CR or LF becomes CRLF).
    extra: u64,
    /// Octets on the current line so far.
    col: usize,
    /// The last piece ended with CR, whose LF may start the next.
    pending_cr: bool,
}

impl Scanner {
    pub(crate) fn new() -> Scanner {
        Scanner {
            long: false,
            ascii: true,
            controls: false,
            blank: true,
            total: 0,
            extra: 0,
            col: 0,
            pending_cr: false,
        }
    }

    /// Scans the next piece; returns whether it was all ASCII.
    pub(crate) fn feed(&mut self, data: &[u8]) -> bool {
        if data.is_empty() {
            return true;
        }
        self.total += data.len() as u64;
        // One vectorised pass for the high bit, control characters and
        // CRs: blocks of 128 octets keep the CR count in u8 lanes. Only
        // `&`/`|` on u8, no `&&`: with short-circuit booleans the loop
        // stayed scalar (33 ms per 20 MB; 2.8 ms vectorised).
        let (mut high, mut crs, mut controls) = (0u8, 0usize, 0u8);
        let mut blocks = data.chunks_exact(128);
        for block in &mut blocks {
            let (mut h, mut c, mut n) = (0u8, 0u8, 0u8);
            for &b in block {
                h |= b;
                c |= control(b);
                n += u8::from(b == b'\r');
            }
            high |= h;
            controls |= c;
            crs += usize::from(n);
        }
        for &b in blocks.remainder() {
            high |= b;
            controls |= control(b);
            crs += usize::from(b == b'\r');
        }
        self.controls |= controls != 0;
        self.ascii &= high < 0x80;
        self.blank = self.blank
            && data
                .iter()
                .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        if !self.feed_lines_fast(data, crs) {
            self.feed_lines_exact(data);
        }
        high < 0x80
    }

    /// Line ends when every CR of `data` starts a CRLF, the usual case:
    /// one single-byte `memchr` per line. Returns false, having changed
    /// nothing, when a bare CR needs [`Scanner::feed_lines_exact`].
    fn feed_lines_fast(&mut self, data: &[u8], crs: usize) -> bool {
        // A CR at the very end waits for the next piece to know its LF.
        let trailing_cr = data.last() == Some(&b'\r');
        let body = &data[..data.len() - usize::from(trailing_cr)];
        let crs = crs - usize::from(trailing_cr);
        let mut start = 0;
        if self.pending_cr {
            if body.first() != Some(&b'\n') {
                return false;
            }
            start = 1;
        }
        let (mut col, mut long, mut lfs, mut pairs) = (self.col, false, 0u64, 0usize);
        let offset = start;
        for i in crate::scan::find_iter(b'\n', &body[offset..]).map(|i| i + offset) {
            let cr = i > start && body[i - 1] == b'\r';
            long |= col + (i - start - usize::from(cr)) > MAX_LINE;
            col = 0;
            lfs += 1;
            pairs += usize::from(cr);
            start = i + 1;
        }
        if crs != pairs {
            return false;
        }
        col += body.len() - start;
        self.long |= long || col > MAX_LINE;
        self.extra += lfs - pairs as u64;
        // Exact semantics at a trailing CR: the line ends there.
        self.col = if trailing_cr { 0 } else { col };
        self.pending_cr = trailing_cr;
        true
    }

    /// Line ends one by one, bare CRs included.
    fn feed_lines_exact(&mut self, data: &[u8]) {
        let mut start = 0;
        if std::mem::take(&mut self.pending_cr) {
            if data[0] == b'\n' {
                start = 1;
            } else {
                self.extra += 1;
            }
        }
        let mut crlf_lf = None;
        let offset = start;
        for i in crate::scan::find2_iter(b'\r', b'\n', &data[offset..]).map(|i| i + offset) {
            if crlf_lf == Some(i) {
                // The LF of a CRLF whose CR ended the line.
                start = i + 1;
                continue;
            }
            self.long |= self.col + (i - start) > MAX_LINE;
            self.col = 0;
            if data[i] == b'\r' {
                match data.get(i + 1) {
                    Some(b'\n') => crlf_lf = Some(i + 1),
                    Some(_) => self.extra += 1,
                    None => self.pending_cr = true,
                }
            } else {
                self.extra += 1;
            }
            start = i + 1;
        }
        self.col += data.len() - start;
        self.long |= self.col > MAX_LINE;
    }

    /// The scan of a whole file of `size` octets ending in `last`,
    /// predicted from the pieces fed so far (its beginning): the same
    /// findings, and the normalised size estimated at the same rate of
    /// added octets (exact when every line end seen was CRLF).
    pub(crate) fn predict(self, size: u64, last: u8) -> Scan {
        let seen = u128::from(self.total.max(1));
        let extra = u128::from(self.extra) * u128::from(size) / seen;
        let end = match last {
            b'\n' => 0,
            b'\r' => 1,
            _ => 2,
        };
        Scan {
            long: self.long,
            ascii: self.ascii,
            controls: self.controls,
            // Only the beginning was seen.
            blank: false,
            plain_len: size
                .saturating_add(u64::try_from(extra).unwrap_or(u64::MAX))
                .saturating_add(end),
        }
    }

    pub(crate) fn finish(mut self) -> Scan {
        if self.pending_cr {
            self.extra += 1; // a last bare CR becomes CRLF
        } else if self.col > 0 {
            self.extra += 2; // the last line gets its CRLF
        }
        Scan {
            long: self.long,
            ascii: self.ascii,
            controls: self.controls,
            blank: self.blank,
            plain_len: self.total + self.extra,
        }
    }
}

/// 1 for a control character other than tab, CR and LF, or DEL; else 0.
/// Branch-free, so the scan's loop vectorises.
#[inline]
fn control(b: u8) -> u8 {
    let low =
        u8::from(b < 0x20) & u8::from(b != b'\t') & u8::from(b != b'\r') & u8::from(b != b'\n');
    low | u8::from(b == 0x7f)
}

/// Where encoded octets go: a buffer, or a counter for the size.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
    fn written(&self) -> u64;
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn written(&self) -> u64 {
        self.len() as u64
    }
}

/// Counts octets without keeping them.
#[derive(Default)]
pub(crate) struct Counter(pub(crate) u64);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len() as u64;
    }
    fn written(&self) -> u64 {
        self.0
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// How far encoding decisions look ahead: a CRLF split by the window, a
/// space before a line end, `From ` at a line start.
pub(crate) const LOOKAHEAD: usize = 5;

/// The encoder's state, independent of where the body's bytes are: it
/// works on a window of the body and can stop and resume anywhere, so a
/// body in memory and a body read from a file piece by piece give the same
/// octets.
#[derive(Clone, Debug)]
pub(crate) struct Encoder {
    encoding: TransferEncoding,
    /// Characters on the current output line.
    col: usize,
    done: bool,
}

impl Encoder {
    pub(crate) fn new(encoding: TransferEncoding) -> Encoder {
        Encoder {
            encoding,
            col: 0,
            done: false,
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Encodes from `data` — the rest of the body read so far, `eof` when
    /// nothing follows it — until `out` holds at least `limit` octets or the
    /// data runs out, and returns how many octets of `data` it used. Short
    /// of the end, the last [`LOOKAHEAD`] octets are left for the next call,
    /// so every decision sees what follows. CR, LF and CRLF all become CRLF;
    /// a last line without a line end gets one.
    pub(crate) fn run<S: Sink>(
        &mut self,
        data: &[u8],
        eof: bool,
        out: &mut S,
        limit: u64,
    ) -> usize {
        if self.done {
            return 0;
        }
        let end = if eof {
            data.len()
        } else {
            data.len().saturating_sub(LOOKAHEAD)
        };
        let used = match self.encoding {
            TransferEncoding::QuotedPrintable => self.run_qp(data, end, out, limit),
            TransferEncoding::SevenBit | TransferEncoding::EightBit => {
                self.run_plain(data, end, out, limit)
            }
        };
        if eof && used == data.len() {
            if self.col > 0 {
                out.put(b"\r\n");
                self.col = 0;
            }
            self.done = true;
        }
        used
    }

    /// Consumes the line break at `pos` (CRLF, CR or LF) if there is one.
    fn line_break<S: Sink>(&mut self, data: &[u8], pos: &mut usize, out: &mut S) -> bool {
        let len = match data[*pos..] {
            [b'\r', b'\n', ..] => 2,
            [b'\r' | b'\n', ..] => 1,
            _ => return false,
        };
        *pos += len;
        self.col = 0;
        out.put(b"\r\n");
        true
    }

    fn run_plain<S: Sink>(&mut self, data: &[u8], end: usize, out: &mut S, limit: u64) -> usize {
        let mut pos = 0;
        while pos < end && out.written() < limit {
            if self.line_break(data, &mut pos, out) {
                continue;
            }
            let rest = &data[pos..end];
            let len = crate::scan::find2(b'\r', b'\n', rest).unwrap_or(rest.len());
            out.put(&rest[..len]);
            pos += len;
            self.col += len;
        }
        pos
    }

    /// RFC 2045 §6.7. Besides the rules, a `.` or `From ` at the start of an
    /// output line is encoded, so that a relay which mishandles dots or an
    /// mbox writer which escapes `From ` cannot change the decoded text.
    /// Each output line is assembled in a small buffer and handed to the
    /// sink whole: one call per line, not per octet; a byte class table and
    /// a look-ahead only near the end of a line keep the per-octet work small.
    fn run_qp<S: Sink>(&mut self, data: &[u8], end: usize, out: &mut S, limit: u64) -> usize {
        let mut pos = 0;
        let mut line = [0u8; QP_LINE + 3];
        let mut len = 0usize;
        while pos < end && out.written() + len as u64 <= limit {
            let b = data[pos];
            let class = QP_CLASS[usize::from(b)];
            if class == BREAK {
                out.put(&line[..len]);
                len = 0;
                self.line_break(data, &mut pos, out);
                continue;
            }
            let literal = match class {
                LITERAL => true,
                SPACE => !matches!(data.get(pos + 1), None | Some(b'\r' | b'\n')),
                DOT => self.col > 0,
                EFF => self.col > 0 || !data[pos..].starts_with(b"From "),
                _ => false,
            };
            let width = if literal { 1 } else { 3 };
            // Room for the soft break's "=" unless this character ends the
            // line; look ahead only when that decides it.
            if self.col + width > QP_LINE - 1 {
                let line_end = matches!(data.get(pos + 1), None | Some(b'\r' | b'\n'));
                if !line_end || self.col + width > QP_LINE {
                    line[len..len + 3].copy_from_slice(b"=\r\n");
                    out.put(&line[..len + 3]);
                    len = 0;
                    self.col = 0;
                    // Re-decide: the character now starts a line.
                    continue;
                }
            }
            if literal {
                line[len] = b;
            } else {
                line[len] = b'=';
                line[len + 1] = HEX[usize::from(b >> 4)];
                line[len + 2] = HEX[usize::from(b & 15)];
            }
            len += width;
            self.col += width;
            pos += 1;
        }
        out.put(&line[..len]);
        pos
    }
}

/// A resumable encoder over a body held in memory.
#[derive(Clone, Debug)]
pub(crate) struct BodyEncoder<'a> {
    body: &'a [u8],
    pos: usize,
    encoder: Encoder,
}

impl<'a> BodyEncoder<'a> {
    pub(crate) fn new(body: &'a str, encoding: TransferEncoding) -> BodyEncoder<'a> {
        BodyEncoder {
            body: body.as_bytes(),
            pos: 0,
            encoder: Encoder::new(encoding),
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.encoder.is_done()
    }

    /// Encodes until `out` holds at least `limit` octets or the body ends.
    pub(crate) fn run<S: Sink>(&mut self, out: &mut S, limit: u64) {
        self.pos += self.encoder.run(&self.body[self.pos..], true, out, limit);
    }
}

/// Byte classes for quoted-printable.
const ENCODE: u8 = 0;
const LITERAL: u8 = 1;
const SPACE: u8 = 2;
const BREAK: u8 = 3;
const DOT: u8 = 4;
const EFF: u8 = 5;

/// The class of every octet: printable ASCII but `=` is literal; space and
/// tab are literal unless they end a line; `.` and `F` depend on the column.
const QP_CLASS: [u8; 256] = {
    let mut table = [ENCODE; 256];
    let mut b = 33;
    while b <= 126 {
        table[b] = LITERAL;
        b += 1;
    }
    table[b'=' as usize] = ENCODE;
    table[b' ' as usize] = SPACE;
    table[b'\t' as usize] = SPACE;
    table[b'\r' as usize] = BREAK;
    table[b'\n' as usize] = BREAK;
    table[b'.' as usize] = DOT;
    table[b'F' as usize] = EFF;
    table
};

/// The whole encoded body, for tests and small bodies.
#[cfg(test)]
pub(crate) fn encode_all(body: &str, encoding: TransferEncoding) -> Vec<u8> {
    let mut out = Vec::new();
    BodyEncoder::new(body, encoding).run(&mut out, u64::MAX);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use TransferEncoding::{EightBit, QuotedPrintable, SevenBit};

    /// A quoted-printable decoder for tests (RFC 2045 §6.7).
    fn qp_decode(encoded: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < encoded.len() {
            match encoded[i] {
                b'=' if encoded[i + 1..].starts_with(b"\r\n") => i += 3,
                b'=' => {
                    let hex = std::str::from_utf8(&encoded[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        out
    }

    fn normalise(body: &str) -> String {
        let mut s = body
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .replace('\n', "\r\n");
        if !s.is_empty() && !s.ends_with("\r\n") {
            s.push_str("\r\n");
        }
        s
    }

    fn assert_lines_ok(encoded: &[u8], max: usize) {
        let text = std::str::from_utf8(encoded).unwrap();
        assert!(text.is_empty() || text.ends_with("\r\n"));
        for line in text.split_terminator("\r\n") {
            assert!(line.len() <= max, "{} > {max}: {line:?}", line.len());
            assert!(!line.contains(['\r', '\n']), "bare CR/LF in {line:?}");
        }
    }

    #[test]
    fn choice() {
        use EncodingReason::{Ascii, ControlCharacter, EightBitMime, LongLine, No8BitMime};
        let long_ascii = "a".repeat(999);
        let ok_ascii = "a".repeat(998);
        let long_utf8 = format!("Привет {long_ascii}");
        for (body, eight_bit, expected, why) in [
            ("Hello\r\n", false, SevenBit, Ascii),
            ("Hello\r\n", true, SevenBit, Ascii),
            ("tab\tis fine\n", false, SevenBit, Ascii),
            ("", false, SevenBit, Ascii),
            (ok_ascii.as_str(), false, SevenBit, Ascii),
            (long_ascii.as_str(), false, QuotedPrintable, LongLine),
            (long_ascii.as_str(), true, QuotedPrintable, LongLine),
            (long_utf8.as_str(), true, QuotedPrintable, LongLine),
            ("Привет", false, QuotedPrintable, No8BitMime),
            ("Привет", true, EightBit, EightBitMime),
            ("nul\0", true, QuotedPrintable, ControlCharacter),
            ("esc\u{1b}[0m", false, QuotedPrintable, ControlCharacter),
            ("del\u{7f}", false, QuotedPrintable, ControlCharacter),
        ] {
            assert_eq!(
                TransferEncoding::choose(body, eight_bit),
                expected,
                "{body:?}"
            );
            assert_eq!(
                Scan::of(body.as_bytes()).choice(eight_bit),
                EncodingChoice {
                    encoding: expected,
                    reason: why
                },
                "{body:?}"
            );
        }
        // 998 octets of two-byte characters per line is fine, 999 is not.
        let cyr_ok = "ж".repeat(499);
        let cyr_long = "ж".repeat(500);
        assert_eq!(TransferEncoding::choose(&cyr_ok, true), EightBit);
        assert_eq!(TransferEncoding::choose(&cyr_long, true), QuotedPrintable);
    }

    #[test]
    fn the_scan_counts_the_plain_size_exactly() {
        for body in [
            "",
            "a",
            "a\n",
            "a\r\n",
            "a\r",
            "\r\n\r\n",
            "\n\r",
            "\r\r\n\n",
            "x\ny\rz\r\nw",
            "тест\nещё",
            "no final line end",
            "\r",
            "\n",
        ] {
            let encoded = encode_all(body, SevenBit);
            assert_eq!(
                Scan::of(body.as_bytes()).plain_len,
                encoded.len() as u64,
                "{body:?}"
            );
        }
        let long = format!("{}\n{}", "x".repeat(MAX_LINE), "y".repeat(MAX_LINE + 1));
        assert_eq!(TransferEncoding::choose(&long, true), QuotedPrintable);
        assert_eq!(
            TransferEncoding::choose(&"x".repeat(MAX_LINE), false),
            SevenBit
        );
        assert_eq!(
            TransferEncoding::choose(&format!("{}\r\n", "x".repeat(MAX_LINE)), false),
            SevenBit
        );
        assert_eq!(TransferEncoding::choose("bell\x07", true), QuotedPrintable);
        assert_eq!(TransferEncoding::choose("del\x7f", true), QuotedPrintable);
        assert_eq!(TransferEncoding::choose("tab\there", false), SevenBit);
    }

    /// Encodes `body` as a file would be read: windows of `step` new octets,
    /// with what the encoder left kept for the next call.
    fn encode_windowed(body: &[u8], encoding: TransferEncoding, step: usize) -> Vec<u8> {
        let mut encoder = Encoder::new(encoding);
        let (mut out, mut window, mut read) = (Vec::new(), Vec::new(), 0);
        while !encoder.is_done() {
            let take = step.min(body.len() - read);
            window.extend_from_slice(&body[read..read + take]);
            read += take;
            let eof = read == body.len();
            let used = encoder.run(&window, eof, &mut out, u64::MAX);
            window.drain(..used);
        }
        out
    }

    /// Lines around the 998-octet limit, with every kind of line end, split
    /// at every point near the ends: the fast and the exact line paths agree.
    #[test]
    fn long_lines_agree_on_both_paths() {
        let x = |n: usize| "x".repeat(n);
        let bodies = [
            format!("{}\r\n{}\r\n", x(998), x(999)),
            format!("{}\n{}", x(998), x(998)),
            format!("{}\r{}\r\n", x(600), x(600)),
            format!("{}\r\n", x(1200)),
            format!("{}\r", x(999)),
            format!("a\r\n{}", x(999)),
        ];
        for body in &bodies {
            let b = body.as_bytes();
            let want = Scan::of(b);
            for cut in (0..b.len()).filter(|c| {
                *c < 5 || b.len() - c < 5 || (990..1010).contains(c) || (1595..1605).contains(c)
            }) {
                let mut exact = Scanner::new();
                exact.total = b.len() as u64;
                exact.blank = want.blank;
                exact.feed_lines_exact(&b[..cut]);
                if cut < b.len() {
                    exact.feed_lines_exact(&b[cut..]);
                }
                assert_eq!(exact.finish(), want, "{body:?} cut {cut}");
                let mut fast = Scanner::new();
                fast.feed(&b[..cut]);
                fast.feed(&b[cut..]);
                assert_eq!(fast.finish(), want, "{body:?} cut {cut}");
            }
        }
    }

    proptest::proptest! {
        /// A body scanned or encoded piece by piece, split anywhere, gives
        /// exactly what it gives in one piece.
        #[test]
        fn pieces_give_the_same_scan_and_octets(
            body in proptest::collection::vec(proptest::sample::select(b"ab .=From\r\n\t\xd0\xbf\x07".to_vec()), 0..300),
            step in 1usize..40,
            cut in 0usize..300,
        ) {
            let cut = cut.min(body.len());
            let mut scanner = Scanner::new();
            scanner.feed(&body[..cut]);
            scanner.feed(&body[cut..]);
            proptest::prop_assert_eq!(scanner.finish(), Scan::of(&body));
            // The fast line path agrees with the exact one.
            let mut exact = Scanner::new();
            exact.total = body.len() as u64;
            exact.ascii = body.is_ascii();
            exact.controls = Scan::of(&body).controls;
            exact.blank = Scan::of(&body).blank;
            exact.feed_lines_exact(&body[..cut]);
            if cut < body.len() {
                exact.feed_lines_exact(&body[cut..]);
            }
            proptest::prop_assert_eq!(exact.finish(), Scan::of(&body));
            let text = String::from_utf8_lossy(&body).into_owned();
            for encoding in [SevenBit, EightBit, QuotedPrintable] {
                proptest::prop_assert_eq!(
                    encode_windowed(text.as_bytes(), encoding, step),
                    encode_all(&text, encoding)
                );
            }
        }
    }

    #[test]
    fn quoted_printable_table() {
        let seventy_six = "x".repeat(76);
        let seventy_seven = "x".repeat(77);
        for (input, expected) in [
            // RFC 2045 §6.7 rules, one by one.
            ("a=b", "a=3Db\r\n"),
            ("tab\there", "tab\there\r\n"),
            ("trailing space \r\nnext", "trailing space=20\r\nnext\r\n"),
            ("trailing tab\t", "trailing tab=09\r\n"),
            ("caf\u{e9}", "caf=C3=A9\r\n"),
            ("\u{0}\u{7f}", "=00=7F\r\n"),
            ("bare\rcr\nlf\r\n", "bare\r\ncr\r\nlf\r\n"),
            // RFC 2045 §6.7 (3): "Now's the time for all folk to come to
            // the aid of their country." stays as is (no trailing space).
            (
                "Now's the time for all folk to come to the aid of their country.",
                "Now's the time for all folk to come to the aid of their country.\r\n",
            ),
            // Line-start guards.
            (".\r\n..x\r\n", "=2E\r\n=2E.x\r\n"),
            (
                "From here\r\nFromage\r\n a From b",
                "=46rom here\r\nFromage\r\n a From b\r\n",
            ),
            // Exactly 76 fits; 77 needs a soft break.
            (seventy_six.as_str(), &format!("{seventy_six}\r\n")),
            (
                seventy_seven.as_str(),
                &format!("{}=\r\nxx\r\n", "x".repeat(75)),
            ),
            ("", ""),
        ] {
            let encoded = encode_all(input, QuotedPrintable);
            assert_eq!(String::from_utf8_lossy(&encoded), expected, "{input:?}");
        }
    }

    #[test]
    fn quoted_printable_never_splits_an_escape_and_round_trips() {
        let cases = [
            "é".repeat(200),
            format!("{}=", "a".repeat(74)),
            format!("{}é", "a".repeat(73)),
            format!("{} ", "a".repeat(75)),
            format!("{}.x", "a".repeat(75)),
            format!("{}From x", "a".repeat(75)),
            "Привет, мир!\n".repeat(50),
            "x".repeat(5000),
            " \t \r\n\r\n\t".to_string(),
        ];
        for input in &cases {
            let encoded = encode_all(input, QuotedPrintable);
            assert_lines_ok(&encoded, QP_LINE);
            assert!(encoded.is_ascii());
            for line in std::str::from_utf8(&encoded)
                .unwrap()
                .split_terminator("\r\n")
            {
                // Soft-broken lines end with "=" preceded by a whole escape.
                let stripped = line.strip_suffix('=').unwrap_or(line);
                if !line.ends_with('=') {
                    assert!(
                        !line.ends_with([' ', '\t']),
                        "trailing white space: {line:?}"
                    );
                }
                let mut rest = stripped;
                while let Some(i) = rest.find('=') {
                    assert!(rest.len() >= i + 3, "split escape in {line:?}");
                    rest = &rest[i + 3..];
                }
                assert!(!line.starts_with('.'), "{line:?}");
            }
            assert_eq!(
                String::from_utf8(qp_decode(&encoded)).unwrap(),
                normalise(input),
                "{input:?}"
            );
        }
    }

    #[test]
    fn plain_encodings_normalise_line_ends() {
        for (input, expected) in [
            ("a\nb\rc\r\nd", "a\r\nb\r\nc\r\nd\r\n"),
            ("\n\n", "\r\n\r\n"),
            ("\r\r\n", "\r\n\r\n"),
            ("end\r\n", "end\r\n"),
            (".leading dot\nFrom me", ".leading dot\r\nFrom me\r\n"),
            ("Привет", "Привет\r\n"),
            ("", ""),
        ] {
            for encoding in [SevenBit, EightBit] {
                assert_eq!(
                    String::from_utf8(encode_all(input, encoding)).unwrap(),
                    expected,
                    "{input:?}"
                );
            }
        }
    }

    #[test]
    fn resumes_anywhere_and_counts_exactly() {
        let body = "Строка с текстом и = знаками.\n.точка\r\nFrom x\r".repeat(300);
        for encoding in [SevenBit, EightBit, QuotedPrintable] {
            let whole = encode_all(&body, encoding);
            let mut counter = Counter::default();
            BodyEncoder::new(&body, encoding).run(&mut counter, u64::MAX);
            assert_eq!(counter.0, whole.len() as u64);
            for step in [1u64, 7, 100, 4096] {
                let mut enc = BodyEncoder::new(&body, encoding);
                let mut pieces = Vec::new();
                while !enc.is_done() {
                    let mut chunk = Vec::new();
                    enc.run(&mut chunk, step);
                    pieces.extend(chunk);
                }
                assert_eq!(pieces, whole, "{encoding} step {step}");
            }
        }
    }
}
