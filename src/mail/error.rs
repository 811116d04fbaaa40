//! The letter builder's error type.
//!
//! Every message is a sentence that names the form field and, where there is
//! one, the offending entry, so the UI can show it next to the field as is.

use std::fmt;

/// Which form field a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// The `From` mailbox.
    From,
    /// The `Reply-To` list.
    ReplyTo,
    /// The `To` list.
    To,
    /// The `Cc` list.
    Cc,
    /// The `Bcc` list (envelope only, never a header).
    Bcc,
    /// The subject line.
    Subject,
    /// The message text.
    Body,
    /// The envelope sender (`MAIL FROM`), when it differs from `From`.
    EnvelopeFrom,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::From => "From",
            Field::ReplyTo => "Reply-To",
            Field::To => "To",
            Field::Cc => "Cc",
            Field::Bcc => "Bcc",
            Field::Subject => "Subject",
            Field::Body => "Body",
            Field::EnvelopeFrom => "Envelope sender",
        })
    }
}

/// Why a draft cannot become a letter.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An entry of an address field does not parse or validate.
    #[error("{field}: {} is not a valid address ({reason})", quoted(.input))]
    InvalidAddress {
        /// The field the entry was typed in.
        field: Field,
        /// The entry as typed (one element of a list).
        input: String,
        /// What is wrong with it, e.g. "two @ signs".
        reason: String,
    },
    /// The From field is empty.
    #[error("From: a sender address is required")]
    MissingFrom,
    /// To, Cc and Bcc are all empty.
    #[error("To: at least one recipient is required (in To, Cc or Bcc)")]
    NoRecipients,
    /// A header value contains CR, LF or NUL, which could smuggle in headers.
    #[error("{field}: line breaks and NUL characters are not allowed here")]
    HeaderInjection {
        /// The field that contains the character.
        field: Field,
    },
    /// An address with a non-ASCII local part, but the server lacks SMTPUTF8.
    #[error(
        "{}{} has a non-ASCII local part and needs SMTPUTF8, which the server does not offer",
        field_prefix(*.field),
        quoted(.input)
    )]
    NeedsSmtpUtf8 {
        /// The field the address came from; `None` when only the envelope
        /// address is known (after To, Cc and Bcc were merged).
        field: Option<Field>,
        /// The address.
        input: String,
    },
    /// The [`Stamp`](crate::mail::Stamp) passed to `build` cannot be used.
    #[error("internal error: unusable letter stamp ({reason})")]
    InvalidStamp {
        /// What is wrong with it.
        reason: String,
    },
    /// The configured User-Agent text cannot go into a header.
    #[error("the User-Agent setting must be one line of printable text")]
    InvalidUserAgent,
}

fn field_prefix(field: Option<Field>) -> String {
    field.map(|f| format!("{f}: ")).unwrap_or_default()
}

/// Quotes an entry for a message: escapes controls and shortens very long
/// input, so a 2 000-character paste still gives a readable sentence.
pub(crate) fn quoted(input: &str) -> String {
    const MAX_CHARS: usize = 60;
    let mut out = String::from("\"");
    for (i, c) in input.chars().enumerate() {
        if i == MAX_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field_and_the_entry() {
        let long = "a".repeat(2000);
        let long_msg = format!(
            "To: \"{}…\" is not a valid address (too long)",
            "a".repeat(60)
        );
        for (error, expected) in [
            (
                Error::InvalidAddress {
                    field: Field::To,
                    input: "bob@@x.org".into(),
                    reason: "two @ signs".into(),
                },
                "To: \"bob@@x.org\" is not a valid address (two @ signs)",
            ),
            (
                Error::InvalidAddress {
                    field: Field::To,
                    input: long,
                    reason: "too long".into(),
                },
                long_msg.as_str(),
            ),
            (
                Error::HeaderInjection {
                    field: Field::Subject,
                },
                "Subject: line breaks and NUL characters are not allowed here",
            ),
            (
                Error::NeedsSmtpUtf8 {
                    field: Some(Field::Cc),
                    input: "иван@x.org".into(),
                },
                "Cc: \"иван@x.org\" has a non-ASCII local part and needs SMTPUTF8, which the server does not offer",
            ),
            (
                Error::NeedsSmtpUtf8 {
                    field: None,
                    input: "a\rb".into(),
                },
                "\"a\\rb\" has a non-ASCII local part and needs SMTPUTF8, which the server does not offer",
            ),
            (
                Error::InvalidAddress {
                    field: Field::EnvelopeFrom,
                    input: "x".into(),
                    reason: "no @ sign".into(),
                },
                "Envelope sender: \"x\" is not a valid address (no @ sign)",
            ),
        ] {
            assert_eq!(error.to_string(), expected);
        }
    }
}
