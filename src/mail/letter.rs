//! The built letter: the header block, and the body encoded while it
//! streams ([`build`], [`Letter::chunks`]). The clock and randomness come in
//! as a [`Stamp`].

use super::{
    attachment::Attachment,
    draft::Draft,
    encode::{BodyEncoder, Counter, EncodingChoice, EncodingReason, Scan, TransferEncoding},
    error::{Error, Field},
    file_body::{FileBody, FileStream},
    header::{HeaderForm, HeaderLine, address_field, write_unstructured},
    mime,
    multipart::{Mixed, Tail},
};

/// Target size of the body pieces that [`Letter::chunks`] yields.
const CHUNK: u64 = 64 * 1024;

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
    #[expect(clippy::disallowed_methods, reason = "the mail layer's one clock read")]
    pub fn now() -> Stamp {
        let date = chrono::Local::now().fixed_offset();
        let mut random = [0u8; 16];
        let unique = if getrandom::fill(&mut random).is_ok() {
            random.iter().map(|b| format!("{b:02x}")).collect()
        } else {
            // The OS generator failing is near impossible; fall back to
            // values that are still unique per process and instant.
            use std::sync::atomic::{AtomicU64, Ordering};
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            format!(
                "{:x}.{:x}.{:x}",
                date.timestamp_nanos_opt().unwrap_or_default(),
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            )
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

/// One header field's way of carrying what is not plain ASCII.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderChoice {
    /// The field's name (`From`, `Subject`, …).
    pub field: &'static str,
    /// How.
    pub form: HeaderForm,
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

/// Where a letter's body comes from.
#[derive(Clone, Debug)]
enum Body<'a> {
    Text(&'a str),
    File(&'a FileBody),
}

/// A built letter: the header block, and the body encoded while streaming;
/// with attachments ([`Letter::with_attachments`]) a `multipart/mixed`
/// whose files are read and base64-encoded while streaming too.
#[derive(Clone, Debug)]
pub struct Letter<'a> {
    header: Vec<u8>,
    /// The header fields, kept to rebuild the header when files are
    /// attached.
    fields: HeaderFields,
    body: Body<'a>,
    encoding: TransferEncoding,
    /// Why the text has its encoding.
    why: EncodingReason,
    /// How the header fields carry what is not plain ASCII.
    header_forms: Vec<HeaderChoice>,
    message_id: String,
    /// The encoded body's size: known from the scan for 7bit/8bit, counted
    /// once on first use for quoted-printable.
    body_len: std::sync::OnceLock<u64>,
    /// The stamp's random part, which the boundary is derived from.
    seed: String,
    mixed: Option<Mixed<'a>>,
}

/// Builds the letter for `draft`. Cheap: the body is scanned once to choose
/// its encoding and is encoded only while streaming.
pub fn build<'a>(
    draft: &'a Draft,
    stamp: &Stamp,
    opts: &BuildOptions,
) -> Result<Letter<'a>, Error> {
    let scan = Scan::of(draft.body().as_bytes());
    build_with(draft, Body::Text(draft.body()), scan, stamp, opts)
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
    // The draft's invariants hold by construction (see `Draft`); the
    // stamp and the user agent come from elsewhere and are checked here.
    stamp.check()?;
    let ua = &opts.user_agent;
    if !ua.chars().all(|c| c.is_ascii_graphic() || c == ' ') || ua.len() > 200 {
        return Err(Error::InvalidUserAgent);
    }

    let choice = scan.choice(opts.eight_bit);
    let encoding = choice.encoding;
    let message_id = format!("<{}@{}>", stamp.unique, draft.from().address.domain_ascii());

    let mut h = String::with_capacity(1024);
    let mut forms = Vec::new();
    let mut field = |name: &'static str, (text, how): (String, Vec<HeaderForm>)| {
        h.push_str(&text);
        forms.extend(
            how.into_iter()
                .map(|form| HeaderChoice { field: name, form }),
        );
    };
    field(
        "Date",
        (
            format!(
                "Date: {}\r\n",
                stamp.date.format("%a, %d %b %Y %H:%M:%S %z")
            ),
            Vec::new(),
        ),
    );
    field(
        "From",
        address_field(
            "From",
            Field::From,
            std::slice::from_ref(draft.from()),
            opts.smtputf8,
        )?,
    );
    if !draft.reply_to().is_empty() {
        field(
            "Reply-To",
            address_field("Reply-To", Field::ReplyTo, draft.reply_to(), opts.smtputf8)?,
        );
    }
    if draft.to().is_empty() {
        // To the sender: scores better than no To or an empty group (see
        // the module docs) and reveals nothing of the Bcc list.
        field(
            "To",
            address_field(
                "To",
                Field::From,
                std::slice::from_ref(draft.from()),
                opts.smtputf8,
            )?,
        );
    } else {
        field(
            "To",
            address_field("To", Field::To, draft.to(), opts.smtputf8)?,
        );
    }
    if !draft.cc().is_empty() {
        field(
            "Cc",
            address_field("Cc", Field::Cc, draft.cc(), opts.smtputf8)?,
        );
    }
    let mut subject = HeaderLine::new("Subject");
    write_unstructured(&mut subject, draft.subject());
    field("Subject", subject.finish_with_forms());
    field(
        "Message-ID",
        (format!("Message-ID: {message_id}\r\n"), Vec::new()),
    );
    let mut after = String::new();
    if !ua.is_empty() {
        let mut line = HeaderLine::new("User-Agent");
        write_unstructured(&mut line, ua);
        after.push_str(&line.finish());
    }
    let body_len = match encoding {
        TransferEncoding::QuotedPrintable => std::sync::OnceLock::new(),
        TransferEncoding::SevenBit | TransferEncoding::EightBit => scan.plain_len.into(),
    };
    let fields = HeaderFields { before: h, after };
    Ok(Letter {
        header: header_block(&fields, &single_part_fields(encoding)),
        fields,
        body,
        encoding,
        why: choice.reason,
        header_forms: forms,
        message_id,
        body_len,
        seed: stamp.unique.clone(),
        mixed: None,
    })
}

/// The MIME fields of a letter that is only text.
fn single_part_fields(encoding: TransferEncoding) -> String {
    format!("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: {encoding}\r\n")
}

/// A letter's header fields around its MIME fields.
#[derive(Clone, Debug)]
struct HeaderFields {
    /// Date, From, To, Cc, Subject, Message-ID.
    before: String,
    /// After the MIME fields: User-Agent.
    after: String,
}

/// The header block: the fields, MIME-Version and `mime_fields`, the
/// fields after them, the blank line.
fn header_block(fields: &HeaderFields, mime_fields: &str) -> Vec<u8> {
    let mut h = String::with_capacity(fields.before.len() + fields.after.len() + 128);
    h.push_str(&fields.before);
    h.push_str("MIME-Version: 1.0\r\n");
    h.push_str(mime_fields);
    h.push_str(&fields.after);
    h.push_str("\r\n");
    h.into_bytes()
}

impl<'a> Letter<'a> {
    /// The letter with these files attached: `multipart/mixed`, the text
    /// first with its encoding unchanged, then each file in base64. No
    /// files: the text-only letter, octet for octet. Cheap: the files are
    /// read while streaming; a 7bit/8bit body in a file is read once more
    /// here to make sure the boundary does not occur in it.
    #[must_use]
    pub fn with_attachments(mut self, attachments: &'a [Attachment]) -> Letter<'a> {
        if attachments.is_empty() {
            self.header = header_block(&self.fields, &single_part_fields(self.encoding));
            self.mixed = None;
            return self;
        }
        // Quoted-printable writes every "=" as "=3D", so only 7bit/8bit
        // text can hold the boundary's "=_"; and what is in the encoded
        // text was in the text, line ends aside.
        let plain = self.encoding != TransferEncoding::QuotedPrintable;
        let boundary = Mixed::choose_boundary(&self.seed, |candidate| {
            plain
                && match &self.body {
                    Body::Text(text) => {
                        memchr::memmem::find(text.as_bytes(), candidate.as_bytes()).is_some()
                    }
                    Body::File(file) => file.contains(candidate.as_bytes()),
                }
        });
        self.header = header_block(&self.fields, &mime::mixed_content_type(&boundary));
        self.mixed = Some(Mixed::new(boundary, self.encoding, attachments));
        self
    }

    /// The attached files, in letter order.
    pub fn attachments(&self) -> &'a [Attachment] {
        self.mixed.as_ref().map_or(&[], |m| m.attachments)
    }

    /// The multipart boundary, when files are attached.
    pub fn boundary(&self) -> Option<&str> {
        self.mixed.as_ref().map(|m| m.boundary.as_str())
    }

    /// The Message-ID with its angle brackets: `<unique@domain>`.
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// The text's Content-Transfer-Encoding (the first part's, when files
    /// are attached; theirs is always base64).
    pub fn transfer_encoding(&self) -> TransferEncoding {
        self.encoding
    }

    /// The text's encoding and why the builder chose it.
    pub fn encoding_choice(&self) -> EncodingChoice {
        EncodingChoice {
            encoding: self.encoding,
            reason: self.why,
        }
    }

    /// The header fields that carry non-ASCII text or addresses, and how,
    /// in header order.
    pub fn header_forms(&self) -> &[HeaderChoice] {
        &self.header_forms
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
    /// the file cannot be read now, the send will say so. Attachments are
    /// counted from their sizes alone.
    // A letter always has its header block, so an `is_empty` would say
    // nothing.
    #[expect(
        clippy::len_without_is_empty,
        reason = "a letter always has its header block"
    )]
    pub fn len(&self) -> u64 {
        // A predicted body's size was an estimate until it was read through.
        if let Body::File(file) = &self.body
            && self.encoding != TransferEncoding::QuotedPrintable
            && let Some(whole) = file.whole_len()
        {
            return self.header.len() as u64 + whole;
        }
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
        self.header.len() as u64 + body + self.mixed.as_ref().map_or(0, Mixed::len)
    }

    /// The header block, then the encoded body in pieces of about 64 KiB,
    /// then each attachment's part. Lines end in CRLF; no dot-stuffing (the
    /// SMTP engine does that). A body or attachment read from a file
    /// yields an error if the file cannot be read, or changed since it was
    /// opened: nothing follows the error, and the letter must then not be
    /// finished.
    pub fn chunks(&self) -> Chunks<'_> {
        Chunks {
            header: Some(&self.header),
            body: match &self.body {
                Body::Text(text) => Source::Text(BodyEncoder::new(text, self.encoding)),
                Body::File(file) => Source::File(Box::new(FileStream::new(file, self.encoding))),
            },
            tail: self.mixed.as_ref().map(|m| Box::new(Tail::new(m))),
        }
    }

    /// [`chunks`](Self::chunks) for a consumer that makes every line end
    /// CRLF itself, as the SMTP engine's dot-stuffer does: a 7bit or 8bit
    /// body in a file then goes in the pieces it is read in, instead of
    /// being copied line by line through the encoder, whose only work
    /// there is that same normalisation. The same checks apply, and the
    /// bytes after normalisation are the same.
    pub fn wire_chunks(&self) -> Chunks<'_> {
        let mut chunks = self.chunks();
        // Only a letter that is its body: in a multipart letter the text
        // part is followed by the attachments, which the raw pieces would
        // skip.
        if chunks.tail.is_none()
            && let Source::File(stream) = &mut chunks.body
            && self.encoding != TransferEncoding::QuotedPrintable
        {
            stream.pass_through();
        }
        chunks
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
    /// The text part's header, the check of its text and the attachments,
    /// for a multipart letter.
    tail: Option<Box<Tail<'a>>>,
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
            let mut first = header.to_vec();
            if let Some(tail) = &self.tail {
                first.extend_from_slice(tail.text_head());
            }
            return Some(Ok(first));
        }
        if self.tail.as_ref().is_some_and(|t| t.failed()) {
            return None;
        }
        if let Source::File(stream) = &mut self.body
            && stream.is_raw()
        {
            return stream.next_raw().transpose();
        }
        // A little slack: a quoted-printable step adds up to 5 octets, a
        // 7bit/8bit step up to one 998-octet line.
        let mut chunk = Vec::with_capacity(CHUNK as usize + 1024);
        match &mut self.body {
            Source::Text(encoder) => {
                if !encoder.is_done() {
                    encoder.run(&mut chunk, CHUNK);
                }
            }
            Source::File(stream) => {
                if let Err(e) = stream.next_into(&mut chunk, CHUNK) {
                    if let Some(tail) = &mut self.tail {
                        tail.fail();
                    }
                    return Some(Err(e));
                }
            }
        }
        match &mut self.tail {
            None => (!chunk.is_empty()).then_some(Ok(chunk)),
            Some(tail) if !chunk.is_empty() => Some(tail.check_text(&chunk).map(|()| chunk)),
            Some(tail) => tail.next_chunk(CHUNK as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::test_support::{input, stamp};

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
    }

    #[test]
    fn the_letter_says_how_and_why_it_was_encoded() {
        let mut i = input("Иван <ivan@почта.рф>", "bob@x.org", "", "");
        i.subject = "Привет, Bob".into();
        i.body = "Привет\n".into();
        let draft = Draft::parse(&i).unwrap();
        for (eight_bit, encoding, reason) in [
            (
                true,
                TransferEncoding::EightBit,
                EncodingReason::EightBitMime,
            ),
            (
                false,
                TransferEncoding::QuotedPrintable,
                EncodingReason::No8BitMime,
            ),
        ] {
            let opts = BuildOptions {
                eight_bit,
                ..BuildOptions::default()
            };
            let letter = build(&draft, &stamp(), &opts).unwrap();
            assert_eq!(
                letter.encoding_choice(),
                EncodingChoice { encoding, reason }
            );
            let forms: Vec<(&str, HeaderForm)> = letter
                .header_forms()
                .iter()
                .map(|c| (c.field, c.form))
                .collect();
            assert_eq!(
                forms,
                [
                    ("From", HeaderForm::EncodedWords),
                    ("From", HeaderForm::AsciiDomain),
                    ("Subject", HeaderForm::EncodedWords)
                ]
            );
        }
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
