//! What can go wrong in a session. Messages read as sentences that name the
//! stage and quote the server; [`Error::advice`] says what to do next.

use std::{io, time::Duration};

use super::{
    RecipientResult,
    auth::AuthChoice,
    capabilities::Mechanism,
    reply::{Reply, Severity},
    tls::TlsProblem,
    transcript::Stage,
};

/// A failed session or transaction.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The host name did not resolve.
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
    /// No address of the host accepted a TCP connection. `kind` is the
    /// last attempt's (`ConnectionRefused`, `TimedOut`…).
    #[error("cannot connect to {target}: {reason}")]
    Connect {
        target: String,
        kind: io::ErrorKind,
        reason: String,
    },
    /// Reading or writing failed (reset, broken pipe…).
    #[error("connection failed during {stage}: {reason}")]
    Io {
        stage: Stage,
        kind: io::ErrorKind,
        reason: String,
    },
    /// The letter's own bytes could not be read while sending (a body
    /// file or an attachment vanished or changed): a local problem, not the
    /// connection's. The letter was not finished, so it is not delivered.
    #[error("cannot read the letter: {reason}; it was not finished, so it is not delivered")]
    Input { reason: String },
    /// The server closed the connection.
    #[error("the server closed the connection during {stage}")]
    Closed { stage: Stage },
    /// No answer in time.
    #[error("no answer from the server within {} during {stage}", seconds(*after))]
    Timeout { stage: Stage, after: Duration },
    /// The TLS handshake failed: `problem` is what the TLS library's typed
    /// error says went wrong, `reason` its explanation in words.
    #[error("TLS handshake failed: {reason}")]
    Tls { problem: TlsProblem, reason: String },
    /// The server sent something that is not an SMTP reply.
    // `line` is escaped already (smtp::visible); `{line:?}` would escape
    // its backslashes a second time.
    #[error("the server's reply during {stage} is not SMTP: \"{line}\"")]
    Malformed { stage: Stage, line: String },
    /// The server's reply did not end within the size limit.
    #[error("the server's reply during {stage} is longer than 4 KiB; giving up")]
    ReplyTooLong { stage: Stage },
    /// The server refused a command.
    #[error("the server refused {stage}: {reply}")]
    Rejected { stage: Stage, reply: Reply },
    /// 421: the server is shutting the session down.
    #[error("the server is closing the session during {stage}: {reply}")]
    ServiceClosing { stage: Stage, reply: Reply },
    /// Security `starttls` was asked for, but the server does not offer it.
    #[error(
        "the server does not offer STARTTLS, and security is set to starttls (no fallback to plain text)"
    )]
    StartTlsUnavailable,
    /// Bytes arrived after "220 ready for TLS" and before the handshake: an
    /// injection attempt (CVE-2011-0411 style).
    #[error(
        "the server sent data after its reply to STARTTLS; refusing to continue (possible command injection)"
    )]
    StartTlsInjection,
    /// Credentials were given, but no usable mechanism is offered.
    #[error("{}", auth_unsupported(offered, *wanted))]
    AuthUnsupported {
        offered: Vec<String>,
        wanted: AuthChoice,
    },
    /// AUTH was asked for on a connection without TLS.
    #[error("refusing to send the password over a connection without TLS")]
    InsecureAuth,
    /// The server rejected the credentials.
    #[error("authentication failed: {reply}")]
    AuthFailed { reply: Reply },
    /// The server refused the `OAuth2` access token (XOAUTH2, OAUTHBEARER).
    /// `challenge` is the error the server sent before its final reply,
    /// decoded (usually JSON naming the status and the scope), made visible
    /// and withheld if it held a secret.
    #[error("the server refused the OAuth2 token ({mechanism}): {reply}{}", said(challenge.as_deref()))]
    TokenRefused {
        mechanism: Mechanism,
        reply: Reply,
        challenge: Option<String>,
    },
    /// The AUTH exchange went on for too many rounds.
    #[error("the server kept asking for more during AUTH; giving up after {rounds} rounds")]
    AuthLoop { rounds: usize },
    /// Every recipient was refused, so nothing was sent.
    #[error("every recipient was refused: {}", list_refusals(refused))]
    AllRecipientsRefused { refused: Vec<RecipientResult> },
    /// The letter is larger than the server's SIZE.
    #[error("the letter is {size} bytes, larger than the server's limit of {limit} bytes (SIZE)")]
    TooLarge { size: u64, limit: u64 },
    /// An address is not ASCII and the server lacks SMTPUTF8.
    #[error("{address} needs SMTPUTF8, which the server does not offer")]
    NeedsSmtpUtf8 { address: String },
    /// The letter has 8-bit data and the server lacks 8BITMIME.
    #[error("the letter contains 8-bit data, and the server does not offer 8BITMIME")]
    Needs8BitMime,
    /// TLS could not be set up (the CA file).
    #[error(transparent)]
    TlsSetup(#[from] super::tls::SetupError),
    /// A setting the engine will not put on the wire (checked before connecting).
    #[error("invalid setting: {0}")]
    Config(String),
    /// An envelope address the engine will not put on the wire.
    #[error("invalid envelope address {0:?}")]
    BadAddress(String),
    /// The session broke earlier and cannot be used.
    #[error("the session is no longer usable (an earlier failure broke it)")]
    Broken,
    /// A line typed by hand that the engine will not put on the wire
    /// (a line break or NUL inside it, too long); nothing was sent.
    #[error("not sent: {reason}")]
    Unsendable { reason: String },
    /// Message data typed by hand is open: until its lone dot every line
    /// is part of the letter, so no other command can be said.
    #[error(
        "the message data typed by hand is not finished (only a line with a lone \".\" ends it)"
    )]
    DataUnfinished,
}

/// What the user can do about an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advice {
    /// Check user name and password.
    CheckLogin,
    /// The `OAuth2` token was refused: check the token helper, its scope,
    /// and that the token is fresh.
    CheckToken,
    /// The server wants a login before it accepts mail.
    GiveLogin,
    /// The server requires STARTTLS: use security starttls.
    UseStartTls,
    /// The port speaks implicit TLS: use security tls.
    UseImplicitTls,
    /// The port speaks plain SMTP first: use security starttls (or none).
    UseStartTlsNotImplicit,
    /// The server has no STARTTLS: use tls (port 465) or, knowingly, none.
    NoStartTls,
    /// The certificate is not trusted: give the CA file.
    TrustCa,
    /// The certificate does not name the host: connect by the name it has.
    CheckHostName,
    /// The certificate has expired.
    CertificateExpired,
    /// AUTH needs TLS: use starttls/tls, or allow insecure auth knowingly.
    UseTlsForAuth,
    /// Choose another AUTH mechanism.
    OtherMechanism,
    /// Is the server running, the port right, a firewall in between?
    CheckServer,
    /// The server did not answer in time.
    RaiseTimeout,
    /// After the final dot: the letter may have been delivered already.
    MayBeDelivered,
    /// The server may accept the letter later.
    TryLater,
}

impl Error {
    /// The stage the error happened in, where there is one.
    pub fn stage(&self) -> Option<Stage> {
        match self {
            Error::Resolve { .. }
            | Error::Connect { .. }
            | Error::Config(_)
            | Error::TlsSetup(_) => Some(Stage::Connect),
            Error::Io { stage, .. }
            | Error::Closed { stage }
            | Error::Timeout { stage, .. }
            | Error::Malformed { stage, .. }
            | Error::ReplyTooLong { stage }
            | Error::Rejected { stage, .. }
            | Error::ServiceClosing { stage, .. } => Some(*stage),
            Error::Tls { .. } => Some(Stage::TlsHandshake),
            Error::StartTlsUnavailable | Error::StartTlsInjection => Some(Stage::StartTls),
            Error::AuthUnsupported { .. }
            | Error::InsecureAuth
            | Error::AuthFailed { .. }
            | Error::TokenRefused { .. }
            | Error::AuthLoop { .. } => Some(Stage::Auth),
            Error::AllRecipientsRefused { .. } => Some(Stage::Rcpt),
            Error::TooLarge { .. }
            | Error::NeedsSmtpUtf8 { .. }
            | Error::Needs8BitMime
            | Error::BadAddress(_) => Some(Stage::Mail),
            Error::Unsendable { .. } => Some(Stage::Command),
            Error::DataUnfinished | Error::Input { .. } => Some(Stage::Content),
            Error::Broken => None,
        }
    }

    /// The server's reply behind the error, if any.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Error::Rejected { reply, .. }
            | Error::ServiceClosing { reply, .. }
            | Error::AuthFailed { reply }
            | Error::TokenRefused { reply, .. } => Some(reply),
            Error::AllRecipientsRefused { refused } => refused.first().map(|r| &r.reply),
            _ => None,
        }
    }

    /// Whether trying again later may succeed (4xx, timeouts, lost
    /// connections) rather than needing a change first.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Io { .. }
            | Error::Closed { .. }
            | Error::Timeout { .. }
            | Error::ServiceClosing { .. } => true,
            Error::Connect { kind, .. } => *kind != io::ErrorKind::ConnectionRefused,
            Error::Rejected { reply, .. }
            | Error::AuthFailed { reply }
            | Error::TokenRefused { reply, .. } => reply.severity() == Severity::TransientNegative,
            Error::AllRecipientsRefused { refused } => refused
                .iter()
                .any(|r| r.reply.severity() == Severity::TransientNegative),
            _ => false,
        }
    }

    /// Whether the connection is certainly unusable afterwards (no QUIT is
    /// worth sending).
    pub fn breaks_connection(&self) -> bool {
        matches!(
            self,
            Error::Resolve { .. }
                | Error::Connect { .. }
                | Error::Io { .. }
                | Error::Closed { .. }
                | Error::Timeout { .. }
                | Error::Tls { .. }
                | Error::Malformed { .. }
                | Error::ReplyTooLong { .. }
                | Error::ServiceClosing { .. }
                | Error::StartTlsInjection
                | Error::Broken
                // The server holds half a letter; only closing drops it.
                | Error::Input { .. }
        )
    }

    /// What to do about it, judged by the error's type. Advice for what a
    /// server's reply says comes from the explainer's table
    /// (`explain::hint_for_error`), which reads the reply.
    pub fn advice(&self) -> Option<Advice> {
        match self {
            Error::AuthFailed { .. } => Some(Advice::CheckLogin),
            Error::TokenRefused { .. } if self.is_transient() => Some(Advice::TryLater),
            Error::TokenRefused { .. } => Some(Advice::CheckToken),
            Error::StartTlsUnavailable => Some(Advice::NoStartTls),
            Error::InsecureAuth => Some(Advice::UseTlsForAuth),
            Error::AuthUnsupported { .. } => Some(Advice::OtherMechanism),
            Error::Tls { problem, .. } => match problem {
                TlsProblem::NotTls => Some(Advice::UseStartTlsNotImplicit),
                TlsProblem::Expired => Some(Advice::CertificateExpired),
                TlsProblem::WrongHost => Some(Advice::CheckHostName),
                TlsProblem::Untrusted => Some(Advice::TrustCa),
                TlsProblem::Other => None,
            },
            Error::Connect { .. } | Error::Resolve { .. } => Some(Advice::CheckServer),
            Error::Timeout {
                stage: Stage::Greeting,
                ..
            } => Some(Advice::UseImplicitTls),
            // After the final dot the letter may have gone through.
            Error::Timeout {
                stage: Stage::EndOfData,
                ..
            }
            | Error::Closed {
                stage: Stage::EndOfData,
            }
            | Error::Io {
                stage: Stage::EndOfData,
                ..
            } => Some(Advice::MayBeDelivered),
            Error::Timeout { .. } => Some(Advice::RaiseTimeout),
            // 421 included.
            _ if self.is_transient() => Some(Advice::TryLater),
            _ => None,
        }
    }

    /// Wraps an I/O error from the given stage; a clean EOF is `Closed`.
    pub(crate) fn io(stage: Stage, e: &io::Error) -> Error {
        match e.kind() {
            io::ErrorKind::UnexpectedEof => Error::Closed { stage },
            kind => Error::Io {
                stage,
                kind,
                reason: e.to_string(),
            },
        }
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// `; it said {…}` after a refused token, when the server said why.
fn said(challenge: Option<&str>) -> String {
    challenge
        .map(|c| format!("; it said {c}"))
        .unwrap_or_default()
}

fn auth_unsupported(offered: &[String], wanted: AuthChoice) -> String {
    let wanted = match wanted {
        AuthChoice::Auto => "PLAIN or LOGIN".to_owned(),
        other => other.to_string().to_ascii_uppercase(),
    };
    if offered.is_empty() {
        format!("credentials were given, but the server offers no AUTH here (wanted {wanted})")
    } else {
        format!("the server offers AUTH {}, not {wanted}", offered.join(" "))
    }
}

fn list_refusals(refused: &[RecipientResult]) -> String {
    refused
        .iter()
        .map(|r| format!("<{}>: {}", r.address, r.reply))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::reply::Code;

    fn reply(code: u16, text: &str) -> Reply {
        Reply::new(Code::new(code).unwrap(), vec![text.to_owned()])
    }

    fn tls(problem: TlsProblem) -> Error {
        Error::Tls {
            problem,
            reason: "(the library's words)".into(),
        }
    }

    #[test]
    fn messages_name_the_stage_and_quote_the_server() {
        for (error, text) in [
            (
                Error::Rejected {
                    stage: Stage::Rcpt,
                    reply: reply(550, "5.1.1 <x@y>: Recipient address rejected"),
                },
                "the server refused RCPT TO: 550 5.1.1 <x@y>: Recipient address rejected",
            ),
            (
                Error::Timeout {
                    stage: Stage::Greeting,
                    after: Duration::from_secs(300),
                },
                "no answer from the server within 300 s during greeting",
            ),
            (
                Error::AuthUnsupported {
                    offered: vec!["CRAM-MD5".into()],
                    wanted: AuthChoice::Auto,
                },
                "the server offers AUTH CRAM-MD5, not PLAIN or LOGIN",
            ),
            (
                Error::AllRecipientsRefused {
                    refused: vec![
                        RecipientResult {
                            address: "a@x".into(),
                            reply: reply(550, "no"),
                        },
                        RecipientResult {
                            address: "b@x".into(),
                            reply: reply(450, "later"),
                        },
                    ],
                },
                "every recipient was refused: <a@x>: 550 no; <b@x>: 450 later",
            ),
            (
                Error::TokenRefused {
                    mechanism: Mechanism::XOAuth2,
                    reply: reply(535, "5.7.8 Username and Password not accepted"),
                    challenge: Some(r#"{"status":"401","schemes":"Bearer"}"#.into()),
                },
                r#"the server refused the OAuth2 token (XOAUTH2): 535 5.7.8 Username and Password not accepted; it said {"status":"401","schemes":"Bearer"}"#,
            ),
        ] {
            assert_eq!(error.to_string(), text);
        }
    }

    #[test]
    fn advice_for_common_failures() {
        for (error, advice) in [
            (
                Error::AuthFailed {
                    reply: reply(535, "5.7.8 Error: authentication failed"),
                },
                Some(Advice::CheckLogin),
            ),
            (
                Error::TokenRefused {
                    mechanism: Mechanism::XOAuth2,
                    reply: reply(535, "5.7.8 Username and Password not accepted"),
                    challenge: None,
                },
                Some(Advice::CheckToken),
            ),
            (
                Error::TokenRefused {
                    mechanism: Mechanism::OAuthBearer,
                    reply: reply(454, "4.7.0 Temporary authentication failure"),
                    challenge: None,
                },
                Some(Advice::TryLater),
            ),
            (tls(TlsProblem::Untrusted), Some(Advice::TrustCa)),
            (tls(TlsProblem::Expired), Some(Advice::CertificateExpired)),
            (tls(TlsProblem::WrongHost), Some(Advice::CheckHostName)),
            (
                tls(TlsProblem::NotTls),
                Some(Advice::UseStartTlsNotImplicit),
            ),
            (tls(TlsProblem::Other), None),
            (
                Error::Timeout {
                    stage: Stage::EndOfData,
                    after: Duration::from_secs(1),
                },
                Some(Advice::MayBeDelivered),
            ),
            (
                Error::Rejected {
                    stage: Stage::Rcpt,
                    reply: reply(550, "no such user"),
                },
                None,
            ),
            (
                Error::Rejected {
                    stage: Stage::Rcpt,
                    reply: reply(451, "try later"),
                },
                Some(Advice::TryLater),
            ),
        ] {
            assert_eq!(error.advice(), advice, "{error}");
        }
    }

    #[test]
    fn transience() {
        assert!(
            Error::Rejected {
                stage: Stage::Mail,
                reply: reply(451, "x")
            }
            .is_transient()
        );
        assert!(
            !Error::Rejected {
                stage: Stage::Mail,
                reply: reply(550, "x")
            }
            .is_transient()
        );
        assert!(Error::Closed { stage: Stage::Data }.is_transient());
        assert!(!Error::InsecureAuth.is_transient());
    }
}
