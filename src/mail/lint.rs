//! Warnings about letters that are valid but likely to be scored as spam,
//! bounced, or mistaken. They never block sending; errors come from
//! [`Draft::parse`](super::Draft::parse).

mod attachments;
mod mention;

use std::fmt;
use std::net::IpAddr;

use chrono::TimeZone as _;

use super::address::is_fqdn;
use super::{Attachment, BuildOptions, Draft, Stamp, build};

/// rspamd's `LONG_SUBJ` fires above this many characters.
const LONG_SUBJECT: usize = 200;

/// Gmail and Yahoo refuse letters over 25 MB, Outlook.com over 20 MB of
/// attachments; counted in decimal megabytes, on the encoded letter.
const PROVIDER_LIMIT: u64 = 25_000_000;

/// What the checks need beyond the draft.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LintContext<'a> {
    /// The name the client will send in EHLO/HELO, if known.
    pub helo: Option<&'a str>,
    /// The server's SIZE limit in octets, if it announced one.
    pub size_limit: Option<u64>,
}

/// Something worth a second look before sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// The subject is empty.
    EmptySubject,
    /// The subject has at least four letters and none in lower case.
    ShoutingSubject,
    /// The subject is longer than spam filters like.
    LongSubject {
        /// Its length in characters.
        chars: usize,
    },
    /// The body is empty or only white space.
    EmptyBody,
    /// No To recipient (Cc or Bcc only): the letter is addressed To the
    /// sender.
    NoTo,
    /// The HELO name is not a fully qualified domain name.
    HeloNotFqdn {
        /// The name.
        helo: String,
    },
    /// The HELO name is an IP address: allowed by RFC 5321 as a bracketed
    /// literal, but scored by spam filters.
    HeloIpAddress {
        /// The name.
        helo: String,
    },
    /// From's domain is unrelated to the envelope sender's domain, which
    /// breaks SPF/DMARC alignment.
    DomainMismatch {
        /// From's domain (ASCII form).
        from: String,
        /// The envelope sender's domain (ASCII form).
        envelope: String,
    },
    /// The letter is larger than the server accepts.
    TooLarge {
        /// The letter's size in octets.
        size: u64,
        /// The server's SIZE limit.
        limit: u64,
    },
    /// The subject or the text speaks of an attachment, and none is there.
    MentionsAttachment {
        /// The word that does, as found (lower case).
        word: String,
    },
    /// The letter is larger than most providers accept (25 MB).
    OverProviderLimit {
        /// The letter's size in octets, encoded.
        size: u64,
    },
    /// An attachment is a program, by content or by name: providers
    /// refuse the letter or strip the file.
    Executable {
        /// The file name.
        name: String,
        /// The content is a program (not only the name says so).
        by_content: bool,
    },
    /// The content's type differs from what the file name says: the
    /// letter carries the content's, and spam filters score the mismatch
    /// (rspamd `MIME_BAD_ATTACHMENT`).
    MislabeledAttachment {
        /// The file name.
        name: String,
        /// The content's type, as sent.
        content_type: String,
        /// The type the name's extension suggests.
        by_name: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::EmptySubject => {
                f.write_str("Subject: empty; spam filters score letters without a subject")
            }
            Warning::ShoutingSubject => {
                f.write_str("Subject: all capitals; spam filters score that")
            }
            Warning::LongSubject { chars } => write!(
                f,
                "Subject: {chars} characters; spam filters score subjects over {LONG_SUBJECT}"
            ),
            Warning::EmptyBody => f.write_str("Body: empty"),
            Warning::NoTo => f.write_str(
                "To: empty; the letter will be addressed to you (From), recipients in Bcc stay hidden",
            ),
            Warning::HeloNotFqdn { helo } => write!(
                f,
                "HELO name \"{helo}\" is not a fully qualified domain name; servers may refuse or score it"
            ),
            Warning::HeloIpAddress { helo } => write!(
                f,
                "HELO name \"{helo}\" is an IP address; spam filters score that, use the host's DNS name"
            ),
            Warning::DomainMismatch { from, envelope } => write!(
                f,
                "From's domain {from} differs from the envelope sender's domain {envelope}; SPF and DMARC may fail"
            ),
            Warning::TooLarge { size, limit } => write!(
                f,
                "the letter is {size} octets, more than the server's limit of {limit}"
            ),
            Warning::MentionsAttachment { word } => write!(
                f,
                "the letter mentions an attachment (\"{word}\") but has none"
            ),
            Warning::OverProviderLimit { size } => write!(
                f,
                "the letter is {:.1} MB; most providers refuse letters over 25 MB",
                *size as f64 / 1e6
            ),
            Warning::Executable { name, by_content } => write!(
                f,
                "{name}: {}; most providers (Gmail, Outlook) refuse letters that carry one",
                if *by_content {
                    "the content is a program"
                } else {
                    "an executable or script file type"
                }
            ),
            Warning::MislabeledAttachment {
                name,
                content_type,
                by_name,
            } => write!(
                f,
                "{name}: the content is {content_type} but the name says {by_name}; spam filters score the mismatch"
            ),
        }
    }
}

/// Lists the warnings for `draft`, in form order. Nothing about
/// attachments: a front-end that attaches files calls
/// [`lint_with_attachments`].
pub fn lint(draft: &Draft, ctx: &LintContext<'_>) -> Vec<Warning> {
    lint_letter(draft, None, ctx)
}

/// [`lint`] for the letter with these files attached (none is a valid
/// list): the size counts them, and they are checked too. Also warns when
/// the subject or text mentions an attachment and there is none, and when
/// the letter passes the 25 MB most providers accept.
pub fn lint_with_attachments(
    draft: &Draft,
    attachments: &[Attachment],
    ctx: &LintContext<'_>,
) -> Vec<Warning> {
    lint_letter(draft, Some(attachments), ctx)
}

fn lint_letter(
    draft: &Draft,
    attachments: Option<&[Attachment]>,
    ctx: &LintContext<'_>,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if draft.to().is_empty() {
        warnings.push(Warning::NoTo);
    }
    let subject = draft.subject().trim();
    if subject.is_empty() {
        warnings.push(Warning::EmptySubject);
    }
    let letters = subject.chars().filter(|c| c.is_alphabetic()).count();
    if letters >= 4
        && !subject.chars().any(char::is_lowercase)
        && subject.chars().any(char::is_uppercase)
    {
        warnings.push(Warning::ShoutingSubject);
    }
    let chars = subject.chars().count();
    if chars > LONG_SUBJECT {
        warnings.push(Warning::LongSubject { chars });
    }
    if draft.body().trim().is_empty() {
        warnings.push(Warning::EmptyBody);
    }
    if let Some(helo) = ctx.helo {
        warnings.extend(check_helo(helo));
    }
    if let Some(envelope) = draft.envelope_from() {
        let (from, env) = (draft.from().address.domain_ascii(), envelope.domain_ascii());
        if !related(from, env) {
            warnings.push(Warning::DomainMismatch {
                from: from.to_string(),
                envelope: env.to_string(),
            });
        }
    }
    let files = attachments.unwrap_or_default();
    // The size is built only when something compares it.
    let size = (ctx.size_limit.is_some() || attachments.is_some())
        .then(|| letter_size(draft, files))
        .flatten();
    if let (Some(limit), Some(size)) = (ctx.size_limit, size)
        && size > limit
    {
        warnings.push(Warning::TooLarge { size, limit });
    }
    let Some(files) = attachments else {
        return warnings;
    };
    if let Some(size) = size
        && size > PROVIDER_LIMIT
    {
        warnings.push(Warning::OverProviderLimit { size });
    }
    if files.is_empty()
        && let Some(word) = mention::mention(draft.subject(), draft.body())
    {
        warnings.push(Warning::MentionsAttachment { word });
    }
    for file in files {
        warnings.extend(attachments::check(file));
    }
    warnings
}

fn check_helo(helo: &str) -> Option<Warning> {
    let name = helo.trim();
    let literal = name
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .map(|s| s.strip_prefix("IPv6:").unwrap_or(s));
    if literal.unwrap_or(name).parse::<IpAddr>().is_ok() {
        return Some(Warning::HeloIpAddress {
            helo: name.to_string(),
        });
    }
    let ldh = name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    (!ldh || !is_fqdn(name)).then(|| Warning::HeloNotFqdn {
        helo: name.to_string(),
    })
}

/// Same domain, or one a subdomain of the other: a cheap stand-in for DMARC
/// relaxed alignment, which needs the public suffix list.
fn related(a: &str, b: &str) -> bool {
    a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}"))
}

/// The size the letter will have: built with a fixed stamp of the real
/// length, without 8BITMIME (quoted-printable is the larger case), with
/// the files counted from their sizes.
fn letter_size(draft: &Draft, attachments: &[Attachment]) -> Option<u64> {
    let stamp = Stamp {
        date: chrono::FixedOffset::east_opt(0)?
            .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()?,
        unique: "0".repeat(32),
    };
    let opts = BuildOptions {
        eight_bit: false,
        smtputf8: true,
        ..BuildOptions::default()
    };
    build(draft, &stamp, &opts)
        .ok()
        .map(|letter| letter.with_attachments(attachments).len())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::mail::DraftInput;

    pub(super) fn draft(subject: &str, body: &str, to: &str, envelope_from: &str) -> Draft {
        Draft::parse(&DraftInput {
            from: "Me <me@example.org>".into(),
            reply_to: String::new(),
            to: to.into(),
            cc: String::new(),
            bcc: "hidden@example.net".into(),
            subject: subject.into(),
            body: body.into(),
            envelope_from: envelope_from.into(),
        })
        .unwrap()
    }

    #[test]
    fn warnings_table() {
        use Warning::*;
        let ok = ("Hello", "Text", "a@example.net", "");
        let long = "a".repeat(201);
        for ((subject, body, to, env), ctx, expected) in [
            (ok, LintContext::default(), vec![]),
            (
                ("", "Text", "a@x.org", ""),
                LintContext::default(),
                vec![EmptySubject],
            ),
            (
                ("  ", " \r\n ", "a@x.org", ""),
                LintContext::default(),
                vec![EmptySubject, EmptyBody],
            ),
            (
                ("URGENT OFFER", "Text", "a@x.org", ""),
                LintContext::default(),
                vec![ShoutingSubject],
            ),
            (
                ("СРОЧНО!!!", "Text", "a@x.org", ""),
                LintContext::default(),
                vec![ShoutingSubject],
            ),
            (
                ("FYI", "Text", "a@x.org", ""),
                LintContext::default(),
                vec![],
            ),
            (
                ("RE: 2026 Q4", "Text", "a@x.org", ""),
                LintContext::default(),
                vec![],
            ),
            (
                ("HELLO world", "Text", "a@x.org", ""),
                LintContext::default(),
                vec![],
            ),
            (
                (long.as_str(), "Text", "a@x.org", ""),
                LintContext::default(),
                vec![LongSubject { chars: 201 }],
            ),
            (
                ("Hello", "Text", "", ""),
                LintContext::default(),
                vec![NoTo],
            ),
            (
                ("Hello", "Text", "a@x.org", "bounce@example.org"),
                LintContext::default(),
                vec![],
            ),
            (
                ("Hello", "Text", "a@x.org", "bounce@mail.example.org"),
                LintContext::default(),
                vec![],
            ),
            (
                ("Hello", "Text", "a@x.org", "me@other.net"),
                LintContext::default(),
                vec![DomainMismatch {
                    from: "example.org".into(),
                    envelope: "other.net".into(),
                }],
            ),
            (
                ok,
                LintContext {
                    helo: Some("mail.example.org"),
                    size_limit: None,
                },
                vec![],
            ),
            (
                ok,
                LintContext {
                    helo: Some("localhost"),
                    size_limit: None,
                },
                vec![HeloNotFqdn {
                    helo: "localhost".into(),
                }],
            ),
            (
                ok,
                LintContext {
                    helo: Some("laptop"),
                    size_limit: None,
                },
                vec![HeloNotFqdn {
                    helo: "laptop".into(),
                }],
            ),
            (
                ok,
                LintContext {
                    helo: Some("bad_name.org"),
                    size_limit: None,
                },
                vec![HeloNotFqdn {
                    helo: "bad_name.org".into(),
                }],
            ),
            (
                ok,
                LintContext {
                    helo: Some("[192.0.2.1]"),
                    size_limit: None,
                },
                vec![HeloIpAddress {
                    helo: "[192.0.2.1]".into(),
                }],
            ),
            (
                ok,
                LintContext {
                    helo: Some("[IPv6:2001:db8::1]"),
                    size_limit: None,
                },
                vec![HeloIpAddress {
                    helo: "[IPv6:2001:db8::1]".into(),
                }],
            ),
            (
                ok,
                LintContext {
                    helo: Some("192.0.2.1"),
                    size_limit: None,
                },
                vec![HeloIpAddress {
                    helo: "192.0.2.1".into(),
                }],
            ),
            (
                ok,
                LintContext {
                    helo: None,
                    size_limit: Some(100_000),
                },
                vec![],
            ),
        ] {
            assert_eq!(
                lint(&draft(subject, body, to, env), &ctx),
                expected,
                "{subject:?} {ctx:?}"
            );
        }
    }

    #[test]
    fn size_is_the_built_size() {
        let d = draft("Hello", &"Привет\n".repeat(1000), "a@x.org", "");
        let size = letter_size(&d, &[]).unwrap();
        let built = build(
            &d,
            &Stamp {
                date: chrono::DateTime::default(),
                unique: "0".repeat(32),
            },
            &BuildOptions::default(),
        )
        .unwrap()
        .len();
        assert_eq!(size, built);
        for (limit, warns) in [(size, false), (size - 1, true)] {
            let got = lint(
                &d,
                &LintContext {
                    helo: None,
                    size_limit: Some(limit),
                },
            );
            assert_eq!(
                got.contains(&Warning::TooLarge { size, limit }),
                warns,
                "{limit}"
            );
        }
    }

    #[test]
    fn every_warning_reads_as_a_sentence() {
        let all = [
            Warning::EmptySubject,
            Warning::ShoutingSubject,
            Warning::LongSubject { chars: 250 },
            Warning::EmptyBody,
            Warning::NoTo,
            Warning::HeloNotFqdn {
                helo: "laptop".into(),
            },
            Warning::HeloIpAddress {
                helo: "[192.0.2.1]".into(),
            },
            Warning::DomainMismatch {
                from: "a.org".into(),
                envelope: "b.org".into(),
            },
            Warning::TooLarge { size: 2, limit: 1 },
            Warning::MentionsAttachment {
                word: "attached".into(),
            },
            Warning::OverProviderLimit { size: 31_250_000 },
            Warning::Executable {
                name: "setup.exe".into(),
                by_content: false,
            },
            Warning::Executable {
                name: "invoice.pdf".into(),
                by_content: true,
            },
            Warning::MislabeledAttachment {
                name: "photo.jpg".into(),
                content_type: "image/png".into(),
                by_name: "image/jpeg".into(),
            },
        ];
        let texts: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "Subject: empty; spam filters score letters without a subject",
                "Subject: all capitals; spam filters score that",
                "Subject: 250 characters; spam filters score subjects over 200",
                "Body: empty",
                "To: empty; the letter will be addressed to you (From), recipients in Bcc stay hidden",
                "HELO name \"laptop\" is not a fully qualified domain name; servers may refuse or score it",
                "HELO name \"[192.0.2.1]\" is an IP address; spam filters score that, use the host's DNS name",
                "From's domain a.org differs from the envelope sender's domain b.org; SPF and DMARC may fail",
                "the letter is 2 octets, more than the server's limit of 1",
                "the letter mentions an attachment (\"attached\") but has none",
                "the letter is 31.2 MB; most providers refuse letters over 25 MB",
                "setup.exe: an executable or script file type; most providers (Gmail, Outlook) refuse letters that carry one",
                "invoice.pdf: the content is a program; most providers (Gmail, Outlook) refuse letters that carry one",
                "photo.jpg: the content is image/png but the name says image/jpeg; spam filters score the mismatch",
            ]
        );
    }
}
