//! Where the letter meets the engine: the letter is built for what this
//! server offers (8bit or quoted-printable, UTF-8 headers or not) and the
//! envelope is written in the form the server accepts (IDN domains in ASCII
//! unless SMTPUTF8 is needed and offered). Used by the CLI and the worker
//! alike, so both send the same bytes.

pub mod preview;

use std::borrow::Cow;

use crate::{
    mail::{self, BuildOptions, Draft, Letter, Stamp},
    smtp::{self, Capabilities},
};

/// A built letter, as the engine's [`smtp::Content`].
#[derive(Debug)]
pub struct Outgoing<'a> {
    letter: Letter<'a>,
    utf8_headers: bool,
}

impl<'a> Outgoing<'a> {
    /// The letter itself.
    pub fn letter(&self) -> &Letter<'a> {
        &self.letter
    }
}

impl smtp::Content for Outgoing<'_> {
    fn size(&self) -> u64 {
        self.letter.len()
    }

    fn is_8bit(&self) -> bool {
        self.letter.needs_8bitmime()
    }

    fn needs_smtputf8(&self) -> bool {
        self.utf8_headers
    }

    fn pieces(&self) -> Box<dyn Iterator<Item = std::io::Result<Cow<'_, [u8]>>> + Send + '_> {
        // The engine's dot-stuffer makes every line end CRLF.
        Box::new(self.letter.wire_chunks().map(|chunk| chunk.map(Cow::Owned)))
    }
}

/// The server assumed when none is known yet (`--dry-run`, the composer's
/// preview before Ctrl+O): a modern one, offering SIZE without a fixed
/// limit, 8BITMIME, SMTPUTF8 and PIPELINING.
pub fn assumed_capabilities() -> Capabilities {
    Capabilities {
        esmtp: true,
        size: Some(0),
        eight_bit_mime: true,
        smtputf8: true,
        pipelining: true,
        ..Capabilities::default()
    }
}

/// Build options for a server with these capabilities (`None`: no server
/// yet, as for `--dry-run`; a modern server is assumed).
pub fn build_options(caps: Option<&Capabilities>) -> BuildOptions {
    BuildOptions {
        eight_bit: caps.is_none_or(|c| c.eight_bit_mime),
        smtputf8: caps.is_none_or(|c| c.smtputf8),
        ..BuildOptions::default()
    }
}

/// What a letter is made of: the validated draft, the body when it is in
/// a file (then the draft's own body is ignored), and the attached files.
#[derive(Clone, Copy, Debug)]
pub struct Parts<'a> {
    /// The letter's fields (and its body, unless `file`).
    pub draft: &'a Draft,
    /// The body, read from a file while sending.
    pub file: Option<&'a mail::FileBody>,
    /// The attachments, in order.
    pub attachments: &'a [mail::Attachment],
}

impl<'a> Parts<'a> {
    /// A letter of the draft alone.
    pub fn of(draft: &'a Draft) -> Parts<'a> {
        Parts {
            draft,
            file: None,
            attachments: &[],
        }
    }
}

/// Builds the letter for this server.
pub fn letter_for<'a>(
    parts: Parts<'a>,
    stamp: &Stamp,
    caps: Option<&Capabilities>,
) -> Result<Outgoing<'a>, mail::Error> {
    let options = build_options(caps);
    let draft = parts.draft;
    let letter = match parts.file {
        Some(file) => mail::build_from_file(draft, file, stamp, &options)?,
        None => mail::build(draft, stamp, &options)?,
    }
    .with_attachments(parts.attachments);
    let utf8_headers =
        options.smtputf8 && draft.header_mailboxes().any(|m| m.address.needs_smtputf8());
    Ok(Outgoing {
        letter,
        utf8_headers,
    })
}

/// The envelope in wire form: ASCII wherever the address allows it (IDN
/// domains as `xn--…`), UTF-8 only for non-ASCII local parts, and only when
/// the server offers SMTPUTF8.
pub fn envelope_for(draft: &Draft, caps: &Capabilities) -> Result<smtp::Envelope, mail::Error> {
    let envelope = draft.envelope();
    let wire = |address: &mail::Address| match address.to_ascii() {
        Ok(ascii) => Ok(ascii),
        Err(_) if caps.smtputf8 => Ok(address.to_utf8()),
        Err(e) => Err(e),
    };
    Ok(smtp::Envelope {
        from: wire(&envelope.from)?,
        recipients: envelope
            .recipients
            .iter()
            .map(wire)
            .collect::<Result<_, _>>()?,
    })
}

/// The envelope and `count` letters (each with its own Message-ID), built
/// for this server: what both front-ends hand to the engine.
#[derive(Debug)]
pub struct Prepared<'a> {
    /// The envelope in wire form, shared by every letter.
    pub envelope: smtp::Envelope,
    /// The letters, in order.
    pub letters: Vec<Outgoing<'a>>,
}

impl<'a> Prepared<'a> {
    /// `(envelope, letter)` pairs for [`smtp::Session::send_many`].
    pub fn iter(&self) -> impl Iterator<Item = (&smtp::Envelope, &Outgoing<'a>)> {
        self.letters.iter().map(|letter| (&self.envelope, letter))
    }
}

/// Builds the envelope and `count` letters for a server with these
/// capabilities.
pub fn prepare<'a>(
    parts: Parts<'a>,
    count: usize,
    caps: &Capabilities,
) -> Result<Prepared<'a>, mail::Error> {
    prepare_stamped(parts, &stamps(count), caps)
}

/// [`prepare`] with given stamps, one letter each: the composer sends what
/// its preview showed (the same Date, Message-ID and boundary).
pub fn prepare_stamped<'a>(
    parts: Parts<'a>,
    stamps: &[Stamp],
    caps: &Capabilities,
) -> Result<Prepared<'a>, mail::Error> {
    let envelope = envelope_for(parts.draft, caps)?;
    let letters = stamps
        .iter()
        .map(|stamp| letter_for(parts, stamp, Some(caps)))
        .collect::<Result<_, _>>()?;
    Ok(Prepared { envelope, letters })
}

/// Unique stamps for `count` letters sent in one go: one clock reading, and
/// the Message-ID's left side numbered so each letter has its own.
pub fn stamps(count: usize) -> Vec<Stamp> {
    let base = Stamp::now();
    (0..count).map(|i| stamp_for(&base, i, count)).collect()
}

/// The stamp of letter `index` (from 0) of `count` sent in one go: `base`
/// itself for a single letter, else `base` with `.{index + 1}` after the
/// Message-ID's left side. Built one at a time, so a long run holds no
/// list of stamps.
pub fn stamp_for(base: &Stamp, index: usize, count: usize) -> Stamp {
    if count <= 1 {
        return base.clone();
    }
    Stamp {
        date: base.date,
        unique: format!("{}.{}", base.unique, index + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        mail::DraftInput,
        smtp::{Code, Content as _, Reply},
    };

    fn caps(lines: &[&str]) -> Capabilities {
        let mut all = vec!["mx.test".to_owned()];
        all.extend(lines.iter().map(ToString::to_string));
        Capabilities::from_ehlo(&Reply::new(Code::new(250).unwrap(), all))
    }

    fn draft(from: &str, to: &str, body: &str) -> Draft {
        Draft::parse(&DraftInput {
            from: from.into(),
            to: to.into(),
            subject: "Привет".into(),
            body: body.into(),
            ..DraftInput::default()
        })
        .unwrap()
    }

    #[test]
    fn idn_domains_go_out_in_ascii_and_utf8_local_parts_need_smtputf8() {
        let d = draft("Иван <ivan@почта.рф>", "bob@example.org", "hi");
        let plain = envelope_for(&d, &caps(&[])).unwrap();
        assert_eq!(plain.from, "ivan@xn--80a1acny.xn--p1ai");
        assert_eq!(plain.recipients, ["bob@example.org"]);

        let d = draft("иван@почта.рф", "bob@example.org", "hi");
        assert!(envelope_for(&d, &caps(&[])).is_err());
        let utf8 = envelope_for(&d, &caps(&["SMTPUTF8"])).unwrap();
        assert_eq!(utf8.from, "иван@почта.рф");
        let letter = letter_for(
            Parts::of(&d),
            &Stamp::now(),
            Some(&caps(&["SMTPUTF8", "8BITMIME"])),
        )
        .unwrap();
        assert!(letter.needs_smtputf8());
    }

    #[test]
    fn the_body_encoding_follows_8bitmime() {
        let d = draft(
            "a@example.org",
            "b@example.org",
            "Съешь же ещё этих мягких булок",
        );
        let stamp = Stamp::now();
        let with = letter_for(Parts::of(&d), &stamp, Some(&caps(&["8BITMIME"]))).unwrap();
        assert!(with.is_8bit());
        let without = letter_for(Parts::of(&d), &stamp, Some(&caps(&[]))).unwrap();
        assert!(
            !without.is_8bit(),
            "quoted-printable keeps the letter 7-bit"
        );
        let bytes: Vec<u8> = without
            .pieces()
            .flat_map(|c| c.unwrap().into_owned())
            .collect();
        assert!(bytes.is_ascii());
        assert_eq!(bytes.len() as u64, without.size());
    }

    #[test]
    fn stamps_are_unique() {
        let s = stamps(3);
        assert_eq!(s.len(), 3);
        assert_ne!(s[0].unique, s[1].unique);
        assert_eq!(s[0].date, s[2].date);
    }
}
