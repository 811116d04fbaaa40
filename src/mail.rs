//! The RFC 5322 / MIME letter builder.
//!
//! [`Draft::parse`] turns what the user typed ([`DraftInput`]) into a
//! validated [`Draft`], reporting every field error at once. [`build`] turns
//! a draft into a [`Letter`]: a header block and a lazily encoded body that
//! the SMTP engine streams in chunks. [`Draft::envelope`] gives MAIL FROM
//! and the RCPT list (To ∪ Cc ∪ Bcc); Bcc never appears in the letter.
//! [`lint`] lists what is legal but likely to hurt delivery.
//!
//! The module is pure: the clock and randomness come in as a [`Stamp`]
//! ([`Stamp::now`] is the only place that reads them).
//!
//! Choices that matter to receivers:
//! - Without To (Bcc or Cc only) the letter is addressed To its sender, the
//!   usual "To me, Bcc everyone" idiom. A missing To is scored by
//!   SpamAssassin (`MISSING_HEADERS`) and rspamd (`MISSING_TO`), and
//!   `To: undisclosed-recipients:;` by rspamd (`R_UNDISC_RCPT`, 3 points);
//!   To = From scores nothing in either.
//! - Display names and subjects use RFC 2047 encoded words only for the words
//!   that need them, B or Q by length, so none decodes to plain ASCII
//!   (rspamd's `*_EXCESS_QP/BASE64`); see `src/mail/header.rs`.
//! - The body is 7bit, 8bit or quoted-printable, never base64; a `.` or
//!   `From ` at a line start is escaped in quoted-printable.
//! - Address literals (`user@[192.0.2.1]`) are refused; IDN domains go out
//!   in ASCII (punycode) unless a non-ASCII local part needs SMTPUTF8.
//!
//! The golden letters in `tests/fixtures/*.eml` are rewritten by running
//! `UPDATE_GOLDEN=1 cargo test` (then review the diff).

mod address;
mod encode;
mod error;
mod header;
mod lint;

use std::{
    collections::HashSet,
    io::Read as _,
    path::{Path, PathBuf},
};

pub use address::{Address, Mailbox};
pub use encode::TransferEncoding;
pub use error::{Error, Field};
pub use lint::{LintContext, Warning, lint};

use encode::{BodyEncoder, Counter, Encoder, Scan, Scanner};
use header::{HeaderLine, address_field, check_injection, write_unstructured};

/// Target size of the body pieces that [`Letter::chunks`] yields.
const CHUNK: u64 = 64 * 1024;

/// What the user typed, unvalidated. Address lists are comma separated (the
/// CLI joins repeated `--to` with ", ").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DraftInput {
    /// One mailbox: `Name <addr>` or `addr`.
    pub from: String,
    /// Recipients shown in the letter.
    pub to: String,
    /// Copies shown in the letter.
    pub cc: String,
    /// Blind copies: envelope only.
    pub bcc: String,
    /// The subject line.
    pub subject: String,
    /// The message text (any line ends).
    pub body: String,
    /// MAIL FROM address; empty means From's address.
    pub envelope_from: String,
}

/// A validated letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// The author; its domain names the Message-ID.
    pub from: Mailbox,
    /// Recipients shown in the letter.
    pub to: Vec<Mailbox>,
    /// Copies shown in the letter.
    pub cc: Vec<Mailbox>,
    /// Blind copies: envelope only.
    pub bcc: Vec<Mailbox>,
    /// The subject, without leading or trailing white space.
    pub subject: String,
    /// The message text as typed.
    pub body: String,
    /// MAIL FROM when it differs from From's address.
    pub envelope_from: Option<Address>,
}

/// The SMTP envelope: MAIL FROM and the RCPT TO list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The reverse path.
    pub from: Address,
    /// To, then Cc, then Bcc, without duplicates.
    pub recipients: Vec<Address>,
}

impl Envelope {
    /// True when any address has a non-ASCII local part, so the transaction
    /// needs the SMTPUTF8 extension.
    pub fn needs_smtputf8(&self) -> bool {
        self.from.needs_smtputf8() || self.recipients.iter().any(Address::needs_smtputf8)
    }
}

impl Draft {
    /// Validates every field and returns all field errors at once.
    pub fn parse(input: &DraftInput) -> Result<Draft, Vec<Error>> {
        let mut draft = Draft::parse_fields(input)?;
        draft.body.clone_from(&input.body);
        Ok(draft)
    }

    /// [`Draft::parse`] that moves the body instead of copying it: a 20 MB
    /// body stays one 20 MB string.
    pub fn parse_owned(input: DraftInput) -> Result<Draft, Vec<Error>> {
        let mut draft = Draft::parse_fields(&input)?;
        draft.body = input.body;
        Ok(draft)
    }

    /// Everything but the body, which needs no validation.
    fn parse_fields(input: &DraftInput) -> Result<Draft, Vec<Error>> {
        let mut errors = Vec::new();

        let from = parse_from(&input.from, &mut errors);
        let to = parse_recipients(Field::To, &input.to, &mut errors);
        let cc = parse_recipients(Field::Cc, &input.cc, &mut errors);
        let bcc = parse_recipients(Field::Bcc, &input.bcc, &mut errors);
        if let (Some(to), Some(cc), Some(bcc)) = (&to, &cc, &bcc)
            && to.is_empty()
            && cc.is_empty()
            && bcc.is_empty()
        {
            errors.push(Error::NoRecipients);
        }

        if let Err(e) = check_injection(Field::Subject, &input.subject) {
            errors.push(e);
        }

        let envelope_from = match input.envelope_from.trim() {
            "" => Some(None),
            raw => {
                if let Err(e) = check_injection(Field::EnvelopeFrom, raw) {
                    errors.push(e);
                    None
                } else {
                    match Address::parse(raw) {
                        Ok(address) => Some(Some(address)),
                        Err(reason) => {
                            errors.push(Error::InvalidAddress {
                                field: Field::EnvelopeFrom,
                                input: raw.to_string(),
                                reason,
                            });
                            None
                        }
                    }
                }
            }
        };

        match (from, to, cc, bcc, envelope_from) {
            (Some(from), Some(to), Some(cc), Some(bcc), Some(envelope_from))
                if errors.is_empty() =>
            {
                Ok(Draft {
                    from,
                    to,
                    cc,
                    bcc,
                    subject: input.subject.trim().to_string(),
                    body: String::new(),
                    envelope_from,
                })
            }
            _ => Err(errors),
        }
    }

    /// MAIL FROM is the envelope sender or From's address; RCPT is To ∪ Cc
    /// ∪ Bcc in that order, deduplicated (local part compared exactly, the
    /// domain case-insensitively with IDN and ACE forms equal).
    pub fn envelope(&self) -> Envelope {
        let mut seen = HashSet::new();
        let recipients = self
            .to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .map(|m| &m.address)
            .filter(|a| seen.insert(a.mailbox_key()))
            .cloned()
            .collect();
        Envelope {
            from: self
                .envelope_from
                .clone()
                .unwrap_or_else(|| self.from.address.clone()),
            recipients,
        }
    }
}

fn parse_from(raw: &str, errors: &mut Vec<Error>) -> Option<Mailbox> {
    if raw.trim().is_empty() {
        errors.push(Error::MissingFrom);
        return None;
    }
    if let Err(e) = check_injection(Field::From, raw) {
        errors.push(e);
        return None;
    }
    let invalid = |reason: String| Error::InvalidAddress {
        field: Field::From,
        input: raw.trim().to_string(),
        reason,
    };
    match Mailbox::parse(raw) {
        Ok(mailbox) if !mailbox.address.has_fqdn() => {
            errors.push(invalid(NOT_FQDN.to_string()));
            None
        }
        Ok(mailbox) => Some(mailbox),
        Err(reason) => {
            errors.push(invalid(reason));
            None
        }
    }
}

const NOT_FQDN: &str = "the sender's domain must be a fully qualified domain name";

fn parse_recipients(field: Field, raw: &str, errors: &mut Vec<Error>) -> Option<Vec<Mailbox>> {
    if let Err(e) = check_injection(field, raw) {
        errors.push(e);
        return None;
    }
    match Mailbox::parse_list(raw) {
        Ok(list) => Some(list),
        Err(bad) => {
            errors.extend(
                bad.into_iter()
                    .map(|(input, reason)| Error::InvalidAddress {
                        field,
                        input,
                        reason,
                    }),
            );
            None
        }
    }
}

/// The clock and randomness a letter needs, passed in so tests can pin them.
#[derive(Clone, Debug)]
pub struct Stamp {
    /// The Date header, with its UTC offset.
    pub date: chrono::DateTime<chrono::FixedOffset>,
    /// The left side of the Message-ID: `[A-Za-z0-9.]`, a dot-atom.
    pub unique: String,
}

impl Stamp {
    /// Local time with its offset, and 128 random bits in hex.
    // The one clock read of the mail layer; everything else takes a Stamp.
    #[allow(clippy::disallowed_methods)]
    pub fn now() -> Stamp {
        let date = chrono::Local::now().fixed_offset();
        let mut random = [0u8; 16];
        let unique = match getrandom::fill(&mut random) {
            Ok(()) => random.iter().map(|b| format!("{b:02x}")).collect(),
            // The OS generator failing is near impossible; fall back to
            // values that are still unique per process and instant.
            Err(_) => {
                use std::sync::atomic::{AtomicU64, Ordering};
                static COUNTER: AtomicU64 = AtomicU64::new(0);
                format!(
                    "{:x}.{:x}.{:x}",
                    date.timestamp_nanos_opt().unwrap_or_default(),
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed)
                )
            }
        };
        Stamp { date, unique }
    }

    fn check(&self) -> Result<(), Error> {
        use chrono::Datelike as _;
        let bad = |reason: &str| {
            Err(Error::InvalidStamp {
                reason: reason.to_string(),
            })
        };
        let u = &self.unique;
        if u.is_empty()
            || u.starts_with('.')
            || u.ends_with('.')
            || u.contains("..")
            || !u.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            return bad("the unique part must be letters, digits and single inner dots");
        }
        if !(1900..=9999).contains(&self.date.year()) {
            return bad("the year must have four digits");
        }
        Ok(())
    }
}

/// What the server offers, and how the letter names its writer.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The server offers 8BITMIME: UTF-8 text may go unencoded.
    pub eight_bit: bool,
    /// The server offers SMTPUTF8: non-ASCII local parts may appear.
    pub smtputf8: bool,
    /// The User-Agent header; empty leaves it out.
    pub user_agent: String,
}

impl Default for BuildOptions {
    fn default() -> BuildOptions {
        BuildOptions {
            eight_bit: false,
            smtputf8: false,
            user_agent: concat!("smtpwire/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// A body too large to hold twice: read from its file once to choose the
/// encoding and count the size ([`FileBody::open`]), and again, piece by
/// piece, while the letter is sent. Memory stays at a few hundred KiB
/// whatever the size, and no 20 MB buffer is ever faulted in.
#[derive(Clone, Debug)]
pub struct FileBody {
    path: PathBuf,
    scan: Scan,
}

/// Why a body file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FileBodyError {
    /// It could not be read.
    #[error("cannot read the body from {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// It is not UTF-8 text.
    #[error("the body in {path} is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// The file.
        path: String,
        /// The first invalid byte.
        offset: u64,
    },
}

/// The size of the pieces a body file is read in: small enough that the
/// kernel's copy lands in cache (reading 20 MB took 5 ms in 64 KiB pieces,
/// 17 ms in 256 KiB ones on the development VM).
const FILE_PIECE: usize = 64 * 1024;

impl FileBody {
    /// Reads the file once: checks it is UTF-8 and scans it.
    pub fn open(path: &Path) -> Result<FileBody, FileBodyError> {
        let shown = || path.display().to_string();
        let read_error = |source| FileBodyError::Read {
            path: shown(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(read_error)?;
        let mut scanner = Scanner::new();
        let mut buf = vec![0u8; FILE_PIECE];
        // Up to three octets of a UTF-8 sequence split by the piece boundary.
        let (mut carry, mut offset) = (0usize, 0u64);
        loop {
            let n = file.read(&mut buf[carry..]).map_err(read_error)?;
            let filled = carry + n;
            // A UTF-8 sequence cut by the end of the piece waits for the rest.
            let valid = if n == 0 {
                filled
            } else {
                filled - incomplete_utf8_tail(&buf[..filled])
            };
            // ASCII is UTF-8: the scan's high-bit check spares the decoder
            // for the usual text.
            if !scanner.feed(&buf[..valid])
                && let Err(e) = std::str::from_utf8(&buf[..valid])
            {
                return Err(FileBodyError::NotUtf8 {
                    path: shown(),
                    offset: offset + e.valid_up_to() as u64,
                });
            }
            offset += valid as u64;
            if n == 0 {
                break;
            }
            buf.copy_within(valid..filled, 0);
            carry = filled - valid;
        }
        Ok(FileBody {
            path: path.to_owned(),
            scan: scanner.finish(),
        })
    }

    /// Whether the body is empty or only white space (for the lint).
    pub fn is_blank(&self) -> bool {
        self.scan.blank
    }
}

/// How many octets at the end of `data` begin a UTF-8 sequence that
/// continues past it (0 to 3).
fn incomplete_utf8_tail(data: &[u8]) -> usize {
    for back in 1..=data.len().min(3) {
        let b = data[data.len() - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation octet: look further back
        }
        let needed = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => return 0, // ASCII or invalid: nothing is pending
        };
        return if needed > back { back } else { 0 };
    }
    0
}

/// Where a letter's body comes from.
#[derive(Clone, Debug)]
enum Body<'a> {
    Text(&'a str),
    File(&'a FileBody),
}

/// A built letter: the header block, and the body encoded while streaming.
#[derive(Clone, Debug)]
pub struct Letter<'a> {
    header: Vec<u8>,
    body: Body<'a>,
    encoding: TransferEncoding,
    message_id: String,
    /// The encoded body's size: known from the scan for 7bit/8bit, counted
    /// once on first use for quoted-printable.
    body_len: std::sync::OnceLock<u64>,
}

/// Builds the letter for `draft`. Cheap: the body is scanned once to choose
/// its encoding and is encoded only while streaming.
pub fn build<'a>(
    draft: &'a Draft,
    stamp: &Stamp,
    opts: &BuildOptions,
) -> Result<Letter<'a>, Error> {
    let scan = Scan::of(draft.body.as_bytes());
    build_with(draft, Body::Text(&draft.body), scan, stamp, opts)
}

/// [`build`] with the body in a file instead of `draft.body` (which is
/// ignored).
pub fn build_from_file<'a>(
    draft: &Draft,
    body: &'a FileBody,
    stamp: &Stamp,
    opts: &BuildOptions,
) -> Result<Letter<'a>, Error> {
    build_with(draft, Body::File(body), body.scan, stamp, opts)
}

fn build_with<'a>(
    draft: &Draft,
    body: Body<'a>,
    scan: Scan,
    stamp: &Stamp,
    opts: &BuildOptions,
) -> Result<Letter<'a>, Error> {
    stamp.check()?;
    check_injection(Field::Subject, &draft.subject)?;
    if !draft.from.address.has_fqdn() {
        return Err(Error::InvalidAddress {
            field: Field::From,
            input: draft.from.to_string(),
            reason: NOT_FQDN.to_string(),
        });
    }
    let ua = &opts.user_agent;
    if !ua.chars().all(|c| c.is_ascii_graphic() || c == ' ') || ua.len() > 200 {
        return Err(Error::InvalidUserAgent);
    }

    let encoding = scan.encoding(opts.eight_bit);
    let message_id = format!("<{}@{}>", stamp.unique, draft.from.address.domain_ascii());

    let mut h = String::with_capacity(1024);
    h.push_str(&format!(
        "Date: {}\r\n",
        stamp.date.format("%a, %d %b %Y %H:%M:%S %z")
    ));
    h.push_str(&address_field(
        "From",
        Field::From,
        std::slice::from_ref(&draft.from),
        opts.smtputf8,
    )?);
    if draft.to.is_empty() {
        // To the sender: scores better than no To or an empty group (see
        // the module docs) and reveals nothing of the Bcc list.
        h.push_str(&address_field(
            "To",
            Field::From,
            std::slice::from_ref(&draft.from),
            opts.smtputf8,
        )?);
    } else {
        h.push_str(&address_field("To", Field::To, &draft.to, opts.smtputf8)?);
    }
    if !draft.cc.is_empty() {
        h.push_str(&address_field("Cc", Field::Cc, &draft.cc, opts.smtputf8)?);
    }
    let mut subject = HeaderLine::new("Subject");
    write_unstructured(&mut subject, &draft.subject);
    h.push_str(&subject.finish());
    h.push_str(&format!("Message-ID: {message_id}\r\n"));
    h.push_str("MIME-Version: 1.0\r\n");
    h.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    h.push_str(&format!("Content-Transfer-Encoding: {encoding}\r\n"));
    if !ua.is_empty() {
        let mut line = HeaderLine::new("User-Agent");
        write_unstructured(&mut line, ua);
        h.push_str(&line.finish());
    }
    h.push_str("\r\n");

    let body_len = match encoding {
        TransferEncoding::QuotedPrintable => std::sync::OnceLock::new(),
        TransferEncoding::SevenBit | TransferEncoding::EightBit => scan.plain_len.into(),
    };
    Ok(Letter {
        header: h.into_bytes(),
        body,
        encoding,
        message_id,
        body_len,
    })
}

impl<'a> Letter<'a> {
    /// The Message-ID with its angle brackets: `<unique@domain>`.
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// The body's Content-Transfer-Encoding.
    pub fn transfer_encoding(&self) -> TransferEncoding {
        self.encoding
    }

    /// True when the letter holds octets over 127: an 8bit body, or UTF-8
    /// addresses in the headers (the SMTPUTF8 case). MAIL FROM then needs
    /// `BODY=8BITMIME`.
    pub fn needs_8bitmime(&self) -> bool {
        self.encoding == TransferEncoding::EightBit || !self.header.is_ascii()
    }

    /// The exact number of octets of [`to_bytes`](Self::to_bytes), counted
    /// without building them (for `SIZE=`). A quoted-printable body in a
    /// file is counted by encoding it once without keeping the output; if
    /// the file cannot be read now, the send will say so.
    // A letter always has its header block, so an `is_empty` would say
    // nothing.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        let body = *self.body_len.get_or_init(|| match &self.body {
            Body::Text(text) => {
                let mut counter = Counter(0);
                BodyEncoder::new(text, self.encoding).run(&mut counter, u64::MAX);
                counter.0
            }
            Body::File(file) => {
                let mut counter = Counter(0);
                let mut stream = FileStream::new(file, self.encoding);
                // A read error here is met again, and reported, while sending.
                while stream.next_into(&mut counter, u64::MAX).unwrap_or(false) {}
                counter.0
            }
        });
        self.header.len() as u64 + body
    }

    /// The header block, then the encoded body in pieces of about 64 KiB.
    /// Lines end in CRLF; no dot-stuffing (the SMTP engine does that). A
    /// body read from a file yields an error if the file cannot be read, or
    /// changed since it was scanned: the letter must then not be finished.
    pub fn chunks(&self) -> Chunks<'_> {
        Chunks {
            header: Some(&self.header),
            body: match &self.body {
                Body::Text(text) => Source::Text(BodyEncoder::new(text, self.encoding)),
                Body::File(file) => Source::File(Box::new(FileStream::new(file, self.encoding))),
            },
        }
    }

    /// The whole letter (for `--dry-run` and `--eml`).
    pub fn to_bytes(&self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.len() as usize);
        for chunk in self.chunks() {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }
}

/// The pieces of a letter, see [`Letter::chunks`].
#[derive(Debug)]
pub struct Chunks<'a> {
    header: Option<&'a [u8]>,
    body: Source<'a>,
}

#[derive(Debug)]
enum Source<'a> {
    Text(BodyEncoder<'a>),
    File(Box<FileStream<'a>>),
}

impl Iterator for Chunks<'_> {
    type Item = std::io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(header) = self.header.take() {
            return Some(Ok(header.to_vec()));
        }
        // A little slack: a quoted-printable step adds up to 5 octets, a
        // 7bit/8bit step up to one 998-octet line.
        let mut chunk = Vec::with_capacity(CHUNK as usize + 1024);
        match &mut self.body {
            Source::Text(encoder) => {
                if encoder.is_done() {
                    return None;
                }
                encoder.run(&mut chunk, CHUNK);
            }
            Source::File(stream) => match stream.next_into(&mut chunk, CHUNK) {
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            },
        }
        (!chunk.is_empty()).then_some(Ok(chunk))
    }
}

/// The second reading of a [`FileBody`]: pieces of the file through the
/// encoder, checked against the first reading as they go.
#[derive(Debug)]
struct FileStream<'a> {
    body: &'a FileBody,
    file: Option<std::fs::File>,
    window: Vec<u8>,
    /// Octets of `window` the encoder has used.
    used: usize,
    eof: bool,
    encoder: Encoder,
    /// The same scan as `FileBody::open`, repeated to notice a change.
    scanner: Scanner,
    /// After an error nothing more comes: a letter is whole or not at all.
    failed: bool,
}

impl<'a> FileStream<'a> {
    fn new(body: &'a FileBody, encoding: TransferEncoding) -> FileStream<'a> {
        FileStream {
            body,
            file: None,
            window: Vec::with_capacity(FILE_PIECE + encode::LOOKAHEAD),
            used: 0,
            eof: false,
            encoder: Encoder::new(encoding),
            scanner: Scanner::new(),
            failed: false,
        }
    }

    /// Encodes into `out` until it holds `limit` octets or the body ends;
    /// `Ok(false)` once the body is done.
    fn next_into<S: encode::Sink>(&mut self, out: &mut S, limit: u64) -> std::io::Result<bool> {
        if self.failed {
            return Ok(false);
        }
        let start = out.written();
        while !self.encoder.is_done() && out.written() - start < limit {
            if !self.eof
                && self.window.len() - self.used <= encode::LOOKAHEAD
                && let Err(e) = self.refill()
            {
                self.failed = true;
                return Err(e);
            }
            self.used += self
                .encoder
                .run(&self.window[self.used..], self.eof, out, start + limit);
        }
        Ok(!self.encoder.is_done())
    }

    fn refill(&mut self) -> std::io::Result<()> {
        let path = &self.body.path;
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(std::fs::File::open(path)?),
        };
        self.window.drain(..self.used);
        self.used = 0;
        let have = self.window.len();
        self.window.resize(have + FILE_PIECE, 0);
        let n = file.read(&mut self.window[have..])?;
        self.window.truncate(have + n);
        self.scanner.feed(&self.window[have..]);
        if n == 0 {
            self.eof = true;
            let again = std::mem::replace(&mut self.scanner, Scanner::new()).finish();
            if again != self.body.scan {
                return Err(std::io::Error::other(format!(
                    "{} changed while the letter was being sent",
                    path.display()
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    pub(crate) fn stamp() -> Stamp {
        Stamp {
            date: chrono::FixedOffset::east_opt(3 * 3600)
                .unwrap()
                .with_ymd_and_hms(2026, 11, 26, 9, 15, 0)
                .unwrap(),
            unique: "golden.1".into(),
        }
    }

    fn input(from: &str, to: &str, cc: &str, bcc: &str) -> DraftInput {
        DraftInput {
            from: from.into(),
            to: to.into(),
            cc: cc.into(),
            bcc: bcc.into(),
            subject: "Hi".into(),
            body: "Hello\n".into(),
            envelope_from: String::new(),
        }
    }

    #[test]
    fn utf8_tails_cut_by_a_piece() {
        for (data, tail) in [
            (&b"abc"[..], 0),
            (b"ab\xd0", 1),       // Ж's first octet
            (b"ab\xd0\x96", 0),   // Ж whole
            (b"a\xe2\x82", 2),    // € cut after two octets
            (b"\xe2\x82\xac", 0), // € whole
            (b"\xf0\x9f\x98", 3), // 😀 cut after three
            (b"\x80\x80\x80", 0), // stray continuations: for the decoder to refuse
            (b"", 0),
        ] {
            assert_eq!(incomplete_utf8_tail(data), tail, "{data:?}");
        }
    }

    #[test]
    fn parse_reports_every_field_error() {
        let bad = DraftInput {
            from: "me".into(),
            to: "ok@x.org, bob@@x.org".into(),
            cc: "\"unterminated <c@x.org>".into(),
            bcc: "x@y.org\r\nData: evil".into(),
            subject: "Hi\r\nBcc: eve@evil.org".into(),
            body: String::new(),
            envelope_from: "bounce@".into(),
        };
        let errors = Draft::parse(&bad).unwrap_err();
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "From: \"me\" is not a valid address (no @ sign)",
                "To: \"bob@@x.org\" is not a valid address (two @ signs)",
                "Cc: \"\"unterminated <c@x.org>\" is not a valid address (a quote is not closed)",
                "Bcc: line breaks and NUL characters are not allowed here",
                "Subject: line breaks and NUL characters are not allowed here",
                "Envelope sender: \"bounce@\" is not a valid address (nothing after the @)",
            ]
        );
    }

    #[test]
    fn parse_table() {
        for (input, expected) in [
            (input("", "a@x.org", "", ""), Err(vec![Error::MissingFrom])),
            (
                input("me@x.org", "", " , ", ""),
                Err(vec![Error::NoRecipients]),
            ),
            (
                input("<a@b.org>,<c@d.org>", "a@x.org", "", ""),
                Err(vec![Error::InvalidAddress {
                    field: Field::From,
                    input: "<a@b.org>,<c@d.org>".into(),
                    reason: "only one address is allowed here, found 2".into(),
                }]),
            ),
            (
                input("me@localhost", "a@x.org", "", ""),
                Err(vec![Error::InvalidAddress {
                    field: Field::From,
                    input: "me@localhost".into(),
                    reason: NOT_FQDN.into(),
                }]),
            ),
            (input("me@x.org", "", "", "b@y.org"), Ok(())),
            (input("me@x.org", "root@localhost", "", ""), Ok(())),
        ] {
            assert_eq!(Draft::parse(&input).map(|_| ()), expected, "{input:?}");
        }
    }

    #[test]
    fn envelope_merges_and_deduplicates() {
        let mut i = input(
            "Me <me@x.org>",
            "a@x.org, A@x.org, b@почта.рф",
            "a@X.ORG, c@y.org",
            "b@xn--80a1acny.xn--p1ai, secret@z.org, c@y.org",
        );
        let draft = Draft::parse(&i).unwrap();
        let env = draft.envelope();
        assert_eq!(env.from.to_string(), "me@x.org");
        let got: Vec<String> = env.recipients.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "a@x.org",
                "A@x.org",
                "b@почта.рф",
                "c@y.org",
                "secret@z.org"
            ]
        );
        assert!(!env.needs_smtputf8());

        i.envelope_from = "<bounces@x.org>".into();
        i.bcc = "иван@y.org".into();
        let env = Draft::parse(&i).unwrap().envelope();
        assert_eq!(env.from.to_string(), "bounces@x.org");
        assert!(env.needs_smtputf8());
    }

    #[test]
    fn message_id_uses_the_senders_ascii_domain() {
        for (from, expected) in [
            ("me@Example.ORG", "<golden.1@example.org>"),
            ("Иван <ivan@почта.рф>", "<golden.1@xn--80a1acny.xn--p1ai>"),
            ("me@mail.example.co.uk", "<golden.1@mail.example.co.uk>"),
        ] {
            let draft = Draft::parse(&input(from, "a@x.org", "", "")).unwrap();
            let letter = build(&draft, &stamp(), &BuildOptions::default()).unwrap();
            assert_eq!(letter.message_id(), expected);
            let text = String::from_utf8(letter.to_bytes().unwrap()).unwrap();
            assert!(
                text.contains(&format!("\r\nMessage-ID: {expected}\r\n")),
                "{text}"
            );
        }
        // A hand-made draft cannot sneak in a bare host name.
        let mut draft = Draft::parse(&input("me@x.org", "a@x.org", "", "")).unwrap();
        draft.from = Mailbox::parse("me@localhost").unwrap();
        assert!(matches!(
            build(&draft, &stamp(), &BuildOptions::default()),
            Err(Error::InvalidAddress {
                field: Field::From,
                ..
            })
        ));
    }

    #[test]
    fn build_refuses_what_the_server_cannot_carry() {
        let draft = Draft::parse(&input("иван@x.org", "a@x.org", "", "")).unwrap();
        assert_eq!(
            build(&draft, &stamp(), &BuildOptions::default()).unwrap_err(),
            Error::NeedsSmtpUtf8 {
                field: Some(Field::From),
                input: "иван@x.org".into()
            }
        );
        let opts = BuildOptions {
            smtputf8: true,
            ..BuildOptions::default()
        };
        let letter = build(&draft, &stamp(), &opts).unwrap();
        assert!(letter.needs_8bitmime());
        assert!(
            String::from_utf8(letter.to_bytes().unwrap())
                .unwrap()
                .contains("\r\nFrom: иван@x.org\r\n")
        );
    }

    #[test]
    fn build_checks_hand_made_values() {
        let draft = Draft::parse(&input("me@x.org", "a@x.org", "", "")).unwrap();
        for (unique, ua, ok) in [
            ("golden.1", "smtpwire/1", true),
            ("", "smtpwire/1", false),
            ("a..b", "smtpwire/1", false),
            ("a@b", "smtpwire/1", false),
            ("ok", "bad\r\nX-Evil: 1", false),
            ("ok", "", true),
        ] {
            let stamp = Stamp {
                unique: unique.into(),
                ..stamp()
            };
            let opts = BuildOptions {
                user_agent: ua.into(),
                ..BuildOptions::default()
            };
            assert_eq!(
                build(&draft, &stamp, &opts).is_ok(),
                ok,
                "{unique:?} {ua:?}"
            );
        }
        let mut forged = draft.clone();
        forged.subject = "x\nBcc: eve@x.org".into();
        assert_eq!(
            build(&forged, &stamp(), &BuildOptions::default()).unwrap_err(),
            Error::HeaderInjection {
                field: Field::Subject
            }
        );
    }

    #[test]
    fn len_chunks_and_bytes_agree() {
        for (body, eight_bit) in [
            (String::new(), false),
            ("short".to_string(), false),
            ("Привет\n".repeat(40_000), false),
            ("Привет\n".repeat(40_000), true),
            ("x".repeat(300_000), false),
        ] {
            let mut i = input("me@x.org", "a@x.org", "", "");
            i.body = body;
            let draft = Draft::parse(&i).unwrap();
            let opts = BuildOptions {
                eight_bit,
                ..BuildOptions::default()
            };
            let letter = build(&draft, &stamp(), &opts).unwrap();
            let chunks: Vec<Vec<u8>> = letter.chunks().map(Result::unwrap).collect();
            let bytes = letter.to_bytes().unwrap();
            assert_eq!(letter.len(), bytes.len() as u64);
            assert_eq!(chunks.concat(), bytes);
            for chunk in &chunks[1..] {
                assert!(chunk.len() as u64 <= CHUNK + 1024, "{}", chunk.len());
            }
            assert!(bytes.ends_with(b"\r\n"));
        }
    }
}
