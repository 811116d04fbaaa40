//! The composer's preview (F6): the letter exactly as it would go out now.
//!
//! Nothing here decides anything the sending code does not: [`letter_for`]
//! and [`envelope_for`] build the letter and the envelope as
//! [`prepare`](super::prepare) does, [`smtp::mail_params`] chooses MAIL
//! FROM's parameters as the session does, [`Command`]'s `Display` writes the
//! wire text, the letter's pieces go through the engine's [`DotStuffer`],
//! and the encodings are the builder's own recorded choices
//! ([`mail::Letter::encoding_choice`], [`mail::Letter::header_forms`]).
//!
//! The letter is streamed, never held whole: only the lines shown are kept,
//! and each attached file shows its first [`BASE64_SHOWN`] lines of base64
//! and a count of the rest. Building reads the attached files, so the
//! composer does it off the UI thread.

use std::borrow::Cow;

use super::{Outgoing, Parts, assumed_capabilities, envelope_for, letter_for};
use crate::{
    mail::{self, Attachment, Draft, HeaderForm, Stamp},
    smtp::{
        self, Capabilities, Command, Content as _, MailParams, capabilities::human_size,
        connection::DotStuffer, visible,
    },
};

/// The base64 lines shown at the start of each attached file.
pub const BASE64_SHOWN: u64 = 4;
/// The most wire lines kept (a very long text is counted beyond this).
pub const LINES_KEPT: u64 = 200_000;

/// What a preview is built from: the validated letter, its files, and the
/// open session's capabilities.
#[derive(Clone, Debug)]
pub struct Request {
    /// The letter.
    pub draft: Draft,
    /// The attached files, in order.
    pub attachments: Vec<Attachment>,
    /// What the open session's server offers; `None` when there is no
    /// session (a modern server is assumed: [`assumed_capabilities`]).
    pub capabilities: Option<Capabilities>,
}

/// The server a preview was built for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Server {
    /// The open session's: what it announced after EHLO.
    Connected(Capabilities),
    /// No session: [`assumed_capabilities`].
    Assumed(Capabilities),
}

impl Server {
    /// What it offers.
    pub fn capabilities(&self) -> &Capabilities {
        match self {
            Server::Connected(caps) | Server::Assumed(caps) => caps,
        }
    }
}

/// One command of the envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeLine {
    /// The command as it goes on the wire, without its CRLF, made visible.
    pub command: String,
    /// What to know about it (a blind copy).
    pub note: Option<&'static str>,
}

/// A choice the builder or the engine made, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// What it is about: the text, a file, header fields, MAIL FROM.
    pub what: String,
    /// The choice: `8bit`, `base64`, `SIZE=1234`…
    pub how: String,
    /// Why.
    pub why: String,
}

/// A line of the message data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataLine {
    /// A line as it goes on the wire (dot-stuffed), without its CRLF, made
    /// visible.
    Wire(String),
    /// Lines that are sent but not kept here.
    Skipped {
        /// How many.
        lines: u64,
        /// Of what: `base64 (photo.png, 1.2 MiB)`.
        of: String,
    },
}

/// The letter as it would go out now.
#[derive(Clone, Debug)]
pub struct Preview {
    /// The Date, Message-ID and boundary it was built with; sending from
    /// the preview uses them again, so what was shown is what goes.
    pub stamp: Stamp,
    /// The server it was built for.
    pub server: Server,
    /// MAIL FROM, each RCPT TO, DATA (empty when the letter cannot go).
    pub envelope: Vec<EnvelopeLine>,
    /// The encodings and parameters chosen, and why.
    pub decisions: Vec<Decision>,
    /// The message data, then the final `.`.
    pub data: Vec<DataLine>,
    /// The letter's size in octets (`SIZE=`), before dot-stuffing; `None`
    /// when it could not be built.
    pub size: Option<u64>,
    /// The octets of message data on the wire, dot-stuffed, before the
    /// final `.` line: what the log's `<N bytes of message data>` says.
    pub wire_size: u64,
    /// The lines of message data, the final `.` not counted.
    pub wire_lines: u64,
    /// Why the letter cannot go as it is (the engine would refuse it
    /// before sending anything), or cannot be read.
    pub problems: Vec<String>,
    /// Some line shown holds an escape (a control character, a backslash).
    pub escaped: bool,
}

impl Request {
    /// Builds the letter for the server with `stamp`, and streams it
    /// through the dot-stuffer, keeping what the preview shows.
    pub fn build(&self, stamp: Stamp) -> Preview {
        let server = match &self.capabilities {
            Some(caps) => Server::Connected(caps.clone()),
            None => Server::Assumed(assumed_capabilities()),
        };
        let mut preview = Preview {
            stamp,
            server,
            envelope: Vec::new(),
            decisions: Vec::new(),
            data: Vec::new(),
            size: None,
            wire_size: 0,
            wire_lines: 0,
            problems: Vec::new(),
            escaped: false,
        };
        let caps = preview.server.capabilities().clone();
        let parts = Parts {
            draft: &self.draft,
            file: None,
            attachments: &self.attachments,
        };
        let letter = match letter_for(parts, &preview.stamp, Some(&caps)) {
            Ok(letter) => letter,
            Err(e) => {
                preview
                    .problems
                    .push(format!("the letter cannot be built: {e}"));
                return preview;
            }
        };
        preview.size = Some(letter.size());
        match envelope_for(&self.draft, &caps) {
            Ok(envelope) => match smtp::mail_params(&caps, &envelope, &letter) {
                Ok(params) => {
                    preview.envelope = envelope_lines(&self.draft, &envelope, params);
                    preview.decisions = decisions(&letter, &caps, params);
                }
                Err(e) => {
                    preview.decisions = decisions(&letter, &caps, MailParams::default());
                    preview
                        .problems
                        .push(format!("refused before anything is sent: {e}"));
                }
            },
            Err(e) => preview
                .problems
                .push(format!("refused before anything is sent: {e}")),
        }
        stream(&letter, &mut preview);
        preview
    }
}

/// MAIL FROM, RCPT TO… and DATA in their wire form.
fn envelope_lines(
    draft: &Draft,
    envelope: &smtp::Envelope,
    params: MailParams,
) -> Vec<EnvelopeLine> {
    let wire = |command: &Command<'_>| {
        let text = command.to_string();
        let line = text.strip_suffix("\r\n").unwrap_or(&text);
        visible::visible(line).into_owned()
    };
    let mut lines = vec![EnvelopeLine {
        command: wire(&Command::Mail {
            from: &envelope.from,
            params,
        }),
        note: None,
    }];
    // The wire forms are in the draft's envelope order (To, Cc, Bcc).
    let typed = draft.envelope().recipients;
    for (i, to) in envelope.recipients.iter().enumerate() {
        let blind = typed.get(i).is_some_and(|a| draft.is_blind(a));
        lines.push(EnvelopeLine {
            command: wire(&Command::Rcpt { to }),
            note: blind.then_some("Bcc: in the envelope only, in no header"),
        });
    }
    lines.push(EnvelopeLine {
        command: wire(&Command::Data),
        note: None,
    });
    lines
}

/// The encodings the builder chose and the parameters MAIL FROM carries,
/// with their reasons.
fn decisions(outgoing: &Outgoing<'_>, caps: &Capabilities, params: MailParams) -> Vec<Decision> {
    let letter = outgoing.letter();
    let files = letter.attachments();
    let choice = letter.encoding_choice();
    let mut out = vec![Decision {
        what: if files.is_empty() {
            "text"
        } else {
            "text part"
        }
        .to_owned(),
        how: choice.encoding.to_string(),
        why: choice.reason.to_string(),
    }];
    for file in files {
        out.push(Decision {
            what: file.name().to_owned(),
            how: "base64".to_owned(),
            why: format!(
                "{}, {}: a file always goes in base64",
                file.content_type(),
                human_size(file.size())
            ),
        });
        if !file.has_plain_name() {
            out.push(Decision {
                what: file.name().to_owned(),
                how: "name in RFC 2231 and RFC 2047 form".to_owned(),
                why: "the name is not plain ASCII, or has characters some readers mangle"
                    .to_owned(),
            });
        }
    }
    // One row per form, naming every field written that way.
    for form in [
        HeaderForm::EncodedWords,
        HeaderForm::Utf8Address,
        HeaderForm::AsciiDomain,
    ] {
        let mut fields: Vec<&str> = Vec::new();
        for choice in letter.header_forms() {
            if choice.form == form && !fields.contains(&choice.field) {
                fields.push(choice.field);
            }
        }
        if fields.is_empty() {
            continue;
        }
        let (how, why) = match form {
            HeaderForm::EncodedWords => (
                "RFC 2047 encoded words",
                "non-ASCII text; headers stay ASCII, which every reader decodes, SMTPUTF8 or not",
            ),
            HeaderForm::Utf8Address => (
                "address in UTF-8 (RFC 6532)",
                "the local part is not ASCII, and the server offers SMTPUTF8",
            ),
            HeaderForm::AsciiDomain => (
                "domain in ASCII (xn--…)",
                "an internationalised domain has an ASCII form every server reads",
            ),
        };
        out.push(Decision {
            what: fields.join(", "),
            how: how.to_owned(),
            why: why.to_owned(),
        });
    }
    let mail = |how: String, why: &str| Decision {
        what: "MAIL FROM".to_owned(),
        how,
        why: why.to_owned(),
    };
    match params.size {
        Some(size) => out.push(mail(
            format!("SIZE={size}"),
            "the server offers SIZE (RFC 1870): the size before dot-stuffing",
        )),
        None if caps.size.is_none() => out.push(mail(
            "no SIZE=".to_owned(),
            "the server does not offer SIZE",
        )),
        None => {}
    }
    if params.eight_bit {
        out.push(mail(
            "BODY=8BITMIME".to_owned(),
            "octets over 127, and the server offers 8BITMIME (RFC 6152)",
        ));
    }
    if params.smtputf8 {
        out.push(mail(
            "SMTPUTF8".to_owned(),
            "an address in the envelope or a header is in UTF-8 (RFC 6531)",
        ));
    }
    out
}

/// Streams the letter through the engine's dot-stuffer, as DATA sends it,
/// and keeps the lines shown.
fn stream(letter: &Outgoing<'_>, preview: &mut Preview) {
    let mut lines = Lines::new(letter.letter());
    let mut stuffer = DotStuffer::new();
    let mut out = Vec::new();
    for piece in letter.pieces() {
        let piece = match piece {
            Ok(piece) => piece,
            Err(e) => {
                lines.finish(preview);
                preview.problems.push(format!(
                    "cannot read the letter: {e}; sending it now would stop there, unfinished"
                ));
                return;
            }
        };
        // The pieces are at most about 64 KiB, so `out` stays that small.
        stuffer.encode(&piece, &mut out);
        lines.take(&mut out, preview);
    }
    stuffer.finish(&mut out);
    lines.take(&mut out, preview);
    lines.finish(preview);
    preview.data.push(DataLine::Wire(".".to_owned()));
}

/// Where the stream is in the letter's structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// The header, or text.
    Text,
    /// A part's header; the number of the part (the text is 1, the first
    /// file 2).
    PartHeader(usize),
    /// A file's base64 lines.
    Base64 {
        file: usize,
        shown: u64,
        skipped: u64,
    },
}

/// Splits the dot-stuffed stream into lines and keeps those shown.
struct Lines<'l> {
    /// `--boundary`, when files are attached.
    delimiter: Option<Vec<u8>>,
    files: &'l [Attachment],
    place: Place,
    part: usize,
    /// Lines not kept after [`LINES_KEPT`].
    over: u64,
}

impl<'l> Lines<'l> {
    fn new(letter: &'l mail::Letter<'_>) -> Lines<'l> {
        Lines {
            delimiter: letter.boundary().map(|b| format!("--{b}").into_bytes()),
            files: letter.attachments(),
            place: Place::Text,
            part: 0,
            over: 0,
        }
    }

    /// Takes every complete line out of `out`.
    fn take(&mut self, out: &mut Vec<u8>, preview: &mut Preview) {
        let mut start = 0;
        for end in memchr::memmem::find_iter(out, b"\r\n") {
            self.line(&out[start..end], preview);
            start = end + 2;
        }
        out.drain(..start);
    }

    fn line(&mut self, line: &[u8], preview: &mut Preview) {
        preview.wire_lines += 1;
        preview.wire_size += line.len() as u64 + 2;
        match self.place {
            Place::Text => {
                if self.delimiter.as_deref() == Some(line) {
                    self.part += 1;
                    self.place = Place::PartHeader(self.part);
                }
            }
            Place::PartHeader(part) => {
                if line.is_empty() {
                    self.place = match part.checked_sub(2) {
                        Some(file) => Place::Base64 {
                            file,
                            shown: 0,
                            skipped: 0,
                        },
                        None => Place::Text,
                    };
                }
            }
            Place::Base64 {
                file,
                shown,
                skipped,
            } => {
                // Base64 lines are never empty: the empty line is the CRLF
                // that belongs to the next delimiter.
                if line.is_empty() {
                    self.skipped(file, skipped, preview);
                    self.place = Place::Text;
                } else if shown >= BASE64_SHOWN {
                    self.place = Place::Base64 {
                        file,
                        shown,
                        skipped: skipped + 1,
                    };
                    return;
                } else {
                    self.place = Place::Base64 {
                        file,
                        shown: shown + 1,
                        skipped,
                    };
                }
            }
        }
        self.keep(line, preview);
    }

    fn keep(&mut self, line: &[u8], preview: &mut Preview) {
        if preview.data.len() as u64 >= LINES_KEPT {
            self.over += 1;
            return;
        }
        let shown = visible::visible_bytes(line);
        preview.escaped |= matches!(shown, Cow::Owned(_));
        preview.data.push(DataLine::Wire(shown.into_owned()));
    }

    fn skipped(&self, file: usize, lines: u64, preview: &mut Preview) {
        if lines == 0 {
            return;
        }
        let of = match self.files.get(file) {
            Some(a) => format!(
                "base64 ({}, {})",
                visible::visible(a.name()),
                human_size(a.size())
            ),
            None => "base64".to_owned(),
        };
        preview.data.push(DataLine::Skipped { lines, of });
    }

    /// Says what was left out at the end.
    fn finish(&mut self, preview: &mut Preview) {
        if let Place::Base64 { file, skipped, .. } = self.place {
            self.skipped(file, skipped, preview);
            self.place = Place::Text;
        }
        if self.over > 0 {
            preview.data.push(DataLine::Skipped {
                lines: self.over,
                of: format!(
                    "the letter (the preview keeps its first {})",
                    smtp::connection::group_digits(LINES_KEPT)
                ),
            });
            self.over = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        mail::{DraftInput, test_support::stamp},
        smtp::{Code, Reply},
    };

    fn draft(body: &str) -> Draft {
        Draft::parse(&DraftInput {
            from: "Иван <ivan@example.org>".into(),
            to: "Мария <maria@example.org>".into(),
            bcc: "secret@example.net, maria@EXAMPLE.org".into(),
            subject: "Отчёт".into(),
            body: body.into(),
            ..DraftInput::default()
        })
        .unwrap()
    }

    fn caps(lines: &[&str]) -> Capabilities {
        let mut all = vec!["mx.test".to_owned()];
        all.extend(lines.iter().map(ToString::to_string));
        Capabilities::from_ehlo(&Reply::new(Code::new(250).unwrap(), all))
    }

    fn wire_lines(preview: &Preview) -> Vec<&str> {
        preview
            .data
            .iter()
            .filter_map(|l| match l {
                DataLine::Wire(text) => Some(text.as_str()),
                DataLine::Skipped { .. } => None,
            })
            .collect()
    }

    /// What the engine writes during DATA, final dot included.
    fn on_the_wire(letter: &[u8]) -> Vec<u8> {
        let mut stuffer = DotStuffer::new();
        let mut out = Vec::new();
        stuffer.encode(letter, &mut out);
        stuffer.finish(&mut out);
        out
    }

    #[test]
    fn the_envelope_and_the_data_are_what_the_engine_sends() {
        let request = Request {
            draft: draft("Привет!\n.точка в начале\n"),
            attachments: Vec::new(),
            capabilities: Some(caps(&["SIZE 10240000", "8BITMIME", "PIPELINING"])),
        };
        let preview = request.build(stamp());
        assert!(preview.problems.is_empty(), "{:?}", preview.problems);
        let letter = letter_for(
            Parts::of(&request.draft),
            &stamp(),
            request.capabilities.as_ref(),
        )
        .unwrap();
        let bytes = letter.letter().to_bytes().unwrap();
        let size = bytes.len();
        let commands: Vec<(&str, Option<&str>)> = preview
            .envelope
            .iter()
            .map(|l| (l.command.as_str(), l.note))
            .collect();
        let mail = format!("MAIL FROM:<ivan@example.org> SIZE={size} BODY=8BITMIME");
        assert_eq!(
            commands,
            [
                (mail.as_str(), None),
                ("RCPT TO:<maria@example.org>", None),
                (
                    "RCPT TO:<secret@example.net>",
                    Some("Bcc: in the envelope only, in no header")
                ),
                ("DATA", None),
            ]
        );
        // The shown lines, joined, are the dot-stuffed letter and its dot.
        let wire = on_the_wire(&bytes);
        let shown = wire_lines(&preview).join("\r\n") + "\r\n";
        assert_eq!(shown, String::from_utf8(wire.clone()).unwrap() + ".\r\n");
        assert!(shown.contains("\r\n..точка в начале\r\n"), "{shown}");
        assert_eq!(preview.wire_size, wire.len() as u64);
        assert_eq!(preview.size, Some(size as u64));
        assert!(!preview.escaped);
        let how: Vec<(&str, &str)> = preview
            .decisions
            .iter()
            .map(|d| (d.what.as_str(), d.how.as_str()))
            .collect();
        let size = format!("SIZE={size}");
        assert_eq!(
            how,
            [
                ("text", "8bit"),
                ("From, To, Subject", "RFC 2047 encoded words"),
                ("MAIL FROM", size.as_str()),
                ("MAIL FROM", "BODY=8BITMIME"),
            ]
        );
    }

    #[test]
    fn without_a_session_a_modern_server_is_assumed_and_an_old_one_gets_qp() {
        let request = Request {
            draft: draft("Привет!"),
            attachments: Vec::new(),
            capabilities: None,
        };
        let preview = request.build(stamp());
        assert_eq!(preview.server, Server::Assumed(assumed_capabilities()));
        assert!(preview.envelope[0].command.ends_with(" BODY=8BITMIME"));

        let old = Request {
            capabilities: Some(caps(&[])),
            ..request
        };
        let preview = old.build(stamp());
        assert_eq!(preview.envelope[0].command, "MAIL FROM:<ivan@example.org>");
        assert_eq!(
            (
                preview.decisions[0].how.as_str(),
                preview.decisions[0].why.as_str()
            ),
            (
                "quoted-printable",
                "non-ASCII text, and the server does not offer 8BITMIME"
            )
        );
        assert_eq!(preview.decisions.last().unwrap().how, "no SIZE=");
        assert!(!preview.escaped);

        let escaped = Request {
            draft: draft("C:\\temp\u{1b}[2J"),
            attachments: Vec::new(),
            capabilities: None,
        };
        let preview = escaped.build(stamp());
        assert!(preview.escaped);
        assert!(
            wire_lines(&preview).contains(&"C:\\\\temp=1B[2J"),
            "{:?}",
            preview.data
        );
    }

    #[test]
    fn files_show_their_first_lines_and_a_count() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("фото.bin");
        // 57 octets per base64 line: 100 lines and a short one.
        std::fs::write(&big, vec![0xA5u8; 57 * 100 + 10]).unwrap();
        let small = dir.path().join("note.txt");
        std::fs::write(&small, "a note\n").unwrap();
        let request = Request {
            draft: draft("x"),
            attachments: vec![
                Attachment::open(&big).unwrap(),
                Attachment::open(&small).unwrap(),
            ],
            capabilities: None,
        };
        let preview = request.build(stamp());
        assert!(preview.problems.is_empty(), "{:?}", preview.problems);
        let skipped: Vec<&DataLine> = preview
            .data
            .iter()
            .filter(|l| matches!(l, DataLine::Skipped { .. }))
            .collect();
        assert_eq!(
            skipped,
            [&DataLine::Skipped {
                lines: 101 - BASE64_SHOWN,
                of: "base64 (фото.bin, 5.6 KiB)".into()
            }]
        );
        let letter = letter_for(
            Parts {
                draft: &request.draft,
                file: None,
                attachments: &request.attachments,
            },
            &stamp(),
            None,
        )
        .unwrap();
        let wire = on_the_wire(&letter.letter().to_bytes().unwrap());
        assert_eq!(preview.wire_size, wire.len() as u64);
        let total = wire.windows(2).filter(|w| w == b"\r\n").count() as u64;
        assert_eq!(preview.wire_lines, total);
        // Every line shown is a line of the wire, in order.
        let text = String::from_utf8(wire).unwrap();
        let mut rest = text.as_str();
        for line in wire_lines(&preview) {
            if line == "." {
                continue;
            }
            let at = rest.find(&format!("{line}\r\n")).unwrap();
            rest = &rest[at + line.len() + 2..];
        }
        let names: Vec<(&str, &str)> = preview
            .decisions
            .iter()
            .map(|d| (d.what.as_str(), d.how.as_str()))
            .collect();
        assert!(names.contains(&("фото.bin", "name in RFC 2231 and RFC 2047 form")));
        assert!(names.contains(&("note.txt", "base64")));
    }

    #[test]
    fn what_the_engine_would_refuse_is_said() {
        let request = Request {
            draft: Draft::parse(&DraftInput {
                from: "иван@example.org".into(),
                to: "bob@example.org".into(),
                subject: "s".into(),
                body: "b".into(),
                ..DraftInput::default()
            })
            .unwrap(),
            attachments: Vec::new(),
            capabilities: Some(caps(&["SIZE 100"])),
        };
        let preview = request.build(stamp());
        assert!(preview.envelope.is_empty());
        assert_eq!(preview.problems.len(), 1, "{:?}", preview.problems);
        assert!(
            preview.problems[0].contains("SMTPUTF8"),
            "{:?}",
            preview.problems
        );

        let big = Request {
            draft: draft(&"long text ".repeat(20)),
            attachments: Vec::new(),
            capabilities: Some(caps(&["SIZE 100", "8BITMIME"])),
        };
        let preview = big.build(stamp());
        assert!(preview.envelope.is_empty());
        assert!(
            preview.problems[0].contains("larger than the server's limit of 100 bytes"),
            "{:?}",
            preview.problems
        );
        // The bytes are still there to look at.
        assert!(wire_lines(&preview).contains(&"."));
    }
}
