//! What the user typed ([`DraftInput`]) and the validated letter it becomes
//! ([`Draft`]): every field checked once, all errors reported together, and
//! the envelope (MAIL FROM and To ∪ Cc ∪ Bcc) derived from it.

use std::collections::HashSet;

use super::{
    address::{Address, Mailbox},
    error::{Error, Field},
    header::check_injection,
};

/// What the user typed, unvalidated. Address lists are comma separated (the
/// CLI joins repeated `--to` with ", ").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DraftInput {
    /// One mailbox: `Name <addr>` or `addr`.
    pub from: String,
    /// Where replies should go (a list; empty: to From).
    pub reply_to: String,
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

/// A validated letter. Its fields are private so that only
/// [`Draft::parse`] makes one: the From address has a fully qualified
/// domain, no header value holds a line break, every address parsed. The
/// builder relies on that and checks none of it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    from: Mailbox,
    reply_to: Vec<Mailbox>,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
    bcc: Vec<Mailbox>,
    subject: String,
    body: String,
    envelope_from: Option<Address>,
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
        let reply_to = parse_recipients(Field::ReplyTo, &input.reply_to, &mut errors);
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

        match (from, reply_to, to, cc, bcc, envelope_from) {
            (Some(from), Some(reply_to), Some(to), Some(cc), Some(bcc), Some(envelope_from))
                if errors.is_empty() =>
            {
                Ok(Draft {
                    from,
                    reply_to,
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

impl Draft {
    /// The author; its domain names the Message-ID.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Where replies should go (empty: to From).
    pub fn reply_to(&self) -> &[Mailbox] {
        &self.reply_to
    }

    /// Recipients shown in the letter.
    pub fn to(&self) -> &[Mailbox] {
        &self.to
    }

    /// Copies shown in the letter.
    pub fn cc(&self) -> &[Mailbox] {
        &self.cc
    }

    /// Blind copies: envelope only.
    pub fn bcc(&self) -> &[Mailbox] {
        &self.bcc
    }

    /// The subject, without leading or trailing white space; no line breaks.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The message text as typed (empty when the body comes from a file).
    pub fn body(&self) -> &str {
        &self.body
    }

    /// MAIL FROM when it differs from From's address.
    pub fn envelope_from(&self) -> Option<&Address> {
        self.envelope_from.as_ref()
    }

    /// Whether this envelope recipient is there only as a blind copy: in
    /// Bcc and not in To or Cc (compared as [`Draft::envelope`] does).
    pub fn is_blind(&self, address: &Address) -> bool {
        let key = address.mailbox_key();
        let shown = self.to.iter().chain(&self.cc);
        self.bcc.iter().any(|m| m.address.mailbox_key() == key)
            && !shown.clone().any(|m| m.address.mailbox_key() == key)
    }

    /// Every mailbox that appears in a header: From, To, Cc.
    pub fn header_mailboxes(&self) -> impl Iterator<Item = &Mailbox> {
        std::iter::once(&self.from)
            .chain(&self.reply_to)
            .chain(&self.to)
            .chain(&self.cc)
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

pub(crate) const NOT_FQDN: &str = "the sender's domain must be a fully qualified domain name";

fn parse_recipients(field: Field, raw: &str, errors: &mut Vec<Error>) -> Option<Vec<Mailbox>> {
    if let Err(e) = check_injection(field, raw) {
        errors.push(e);
        return None;
    }
    match Mailbox::parse_list(raw) {
        Ok(list) => Some(list),
        Err(bad) => {
            errors.extend(bad.into_iter().map(|bad| Error::InvalidAddress {
                field,
                input: bad.input,
                reason: bad.reason,
            }));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::test_support::input;

    #[test]
    fn parse_reports_every_field_error() {
        let bad = DraftInput {
            from: "me".into(),
            reply_to: String::new(),
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
        let blind: Vec<bool> = env.recipients.iter().map(|a| draft.is_blind(a)).collect();
        assert_eq!(blind, [false, false, false, false, true]);

        i.envelope_from = "<bounces@x.org>".into();
        i.bcc = "иван@y.org".into();
        let env = Draft::parse(&i).unwrap().envelope();
        assert_eq!(env.from.to_string(), "bounces@x.org");
        assert!(env.needs_smtputf8());
    }
}
