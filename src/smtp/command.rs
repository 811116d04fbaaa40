//! Client commands. `Display` is the exact wire text, CRLF included; no other
//! module formats SMTP verbs.

use std::fmt;

use super::{capabilities::Mechanism, visible::visible};

/// Parameters of MAIL FROM that depend on the letter and the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MailParams {
    /// `SIZE=n` (RFC 1870), sent when the server announced SIZE.
    pub size: Option<u64>,
    /// `BODY=8BITMIME` (RFC 6152).
    pub eight_bit: bool,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
}

/// One client command.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    /// `EHLO domain`.
    Ehlo { domain: &'a str },
    /// `HELO domain`, when EHLO was refused.
    Helo { domain: &'a str },
    /// `STARTTLS`.
    StartTls,
    /// `AUTH mechanism [initial-response]`; the initial response is a secret.
    Auth {
        mechanism: Mechanism,
        initial: Option<&'a str>,
    },
    /// A base64 answer to a 334 challenge; `what` names it for the log
    /// (`username`, `password`), because the line itself is never shown.
    AuthAnswer { base64: &'a str, what: &'a str },
    /// `*`: gives up an AUTH exchange (RFC 4954 §4).
    AuthCancel,
    /// The fixed answer that ends a refused `OAuth2` exchange: an empty
    /// line (XOAUTH2) or `AQ==` (OAUTHBEARER's `%x01`). No credential.
    SaslEnd { base64: &'a str },
    /// `MAIL FROM:<address> [parameters]`.
    Mail { from: &'a str, params: MailParams },
    /// `RCPT TO:<address>`.
    Rcpt { to: &'a str },
    /// `DATA`.
    Data,
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
    /// A command line typed by hand (manual mode), sent as typed. The
    /// engine refuses CR, LF and NUL in it before it gets here.
    Typed { line: &'a str },
    /// A typed `AUTH mechanism initial-response`, sent as typed; the
    /// response is a secret, so the log shows the mechanism only.
    TypedAuth { line: &'a str, mechanism: &'a str },
    /// A line of message data typed by hand after the 354: a leading `.`
    /// is doubled on the wire (RFC 5321 §4.5.2).
    DataLine { line: &'a str },
    /// The lone `.` that ends message data typed by hand.
    DataEnd,
}

impl Command<'_> {
    /// Whether the wire line carries a credential (so the buffer that held
    /// it is wiped after it is written).
    pub fn is_secret(&self) -> bool {
        matches!(
            self,
            Command::Auth {
                initial: Some(_),
                ..
            } | Command::AuthAnswer { .. }
                | Command::TypedAuth { .. }
        )
    }

    /// The text shown in the transcript: the wire line without CRLF, with
    /// every credential replaced by a placeholder.
    pub fn log_text(&self) -> String {
        match self {
            Command::Auth {
                mechanism,
                initial: Some(_),
            } => format!("AUTH {mechanism} <credentials redacted>"),
            Command::AuthAnswer { what, .. } => format!("<{what} redacted>"),
            Command::TypedAuth { mechanism, .. } => {
                format!(
                    "{} <credentials redacted>",
                    visible(&format!("AUTH {mechanism}"))
                )
            }
            // What the user typed: our own words, but any control character
            // in them is shown escaped, as server text is.
            Command::Typed { line } => visible(line).into_owned(),
            Command::DataLine { line } => {
                let stuffed = if line.starts_with('.') { "." } else { "" };
                format!("{stuffed}{}", visible(line))
            }
            // An empty client line would read as a lost one.
            Command::SaslEnd { base64: "" } => "<empty line: ends the refused exchange>".to_owned(),
            _ => {
                let mut line = self.to_string();
                line.truncate(line.trim_end_matches("\r\n").len());
                line
            }
        }
    }
}

impl fmt::Debug for Command<'_> {
    /// Debug never shows a credential either.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command({:?})", self.log_text())
    }
}

impl fmt::Display for Command<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Ehlo { domain } => write!(f, "EHLO {domain}\r\n"),
            Command::Helo { domain } => write!(f, "HELO {domain}\r\n"),
            Command::StartTls => f.write_str("STARTTLS\r\n"),
            Command::Auth {
                mechanism,
                initial: None,
            } => write!(f, "AUTH {mechanism}\r\n"),
            Command::Auth {
                mechanism,
                initial: Some(initial),
            } => write!(f, "AUTH {mechanism} {initial}\r\n"),
            Command::AuthAnswer { base64, .. } | Command::SaslEnd { base64 } => {
                write!(f, "{base64}\r\n")
            }
            Command::AuthCancel => f.write_str("*\r\n"),
            Command::Mail { from, params } => {
                write!(f, "MAIL FROM:<{from}>")?;
                if let Some(size) = params.size {
                    write!(f, " SIZE={size}")?;
                }
                if params.eight_bit {
                    f.write_str(" BODY=8BITMIME")?;
                }
                if params.smtputf8 {
                    f.write_str(" SMTPUTF8")?;
                }
                f.write_str("\r\n")
            }
            Command::Rcpt { to } => write!(f, "RCPT TO:<{to}>\r\n"),
            Command::Data => f.write_str("DATA\r\n"),
            Command::Rset => f.write_str("RSET\r\n"),
            Command::Noop => f.write_str("NOOP\r\n"),
            Command::Quit => f.write_str("QUIT\r\n"),
            Command::Typed { line } | Command::TypedAuth { line, .. } => write!(f, "{line}\r\n"),
            Command::DataLine { line } => {
                if line.starts_with('.') {
                    f.write_str(".")?;
                }
                write!(f, "{line}\r\n")
            }
            Command::DataEnd => f.write_str(".\r\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_bytes_and_log_text() {
        let all = MailParams {
            size: Some(42),
            eight_bit: true,
            smtputf8: true,
        };
        for (command, wire, log) in [
            (
                Command::Ehlo {
                    domain: "client.example.org",
                },
                "EHLO client.example.org\r\n",
                "EHLO client.example.org",
            ),
            (
                Command::Helo {
                    domain: "client.example.org",
                },
                "HELO client.example.org\r\n",
                "HELO client.example.org",
            ),
            (Command::StartTls, "STARTTLS\r\n", "STARTTLS"),
            (
                Command::Auth {
                    mechanism: Mechanism::Login,
                    initial: None,
                },
                "AUTH LOGIN\r\n",
                "AUTH LOGIN",
            ),
            (
                Command::Auth {
                    mechanism: Mechanism::Plain,
                    initial: Some("AGJvYgBzM2NyM3Q="),
                },
                "AUTH PLAIN AGJvYgBzM2NyM3Q=\r\n",
                "AUTH PLAIN <credentials redacted>",
            ),
            (
                Command::AuthAnswer {
                    base64: "czNjcjN0",
                    what: "password",
                },
                "czNjcjN0\r\n",
                "<password redacted>",
            ),
            (Command::AuthCancel, "*\r\n", "*"),
            (
                Command::Auth {
                    mechanism: Mechanism::XOAuth2,
                    initial: Some("dXNlcj1ib2IBYXV0aD1CZWFyZXIgdAEB"),
                },
                "AUTH XOAUTH2 dXNlcj1ib2IBYXV0aD1CZWFyZXIgdAEB\r\n",
                "AUTH XOAUTH2 <credentials redacted>",
            ),
            (
                Command::SaslEnd { base64: "" },
                "\r\n",
                "<empty line: ends the refused exchange>",
            ),
            (Command::SaslEnd { base64: "AQ==" }, "AQ==\r\n", "AQ=="),
            (
                Command::Mail {
                    from: "a@example.com",
                    params: MailParams::default(),
                },
                "MAIL FROM:<a@example.com>\r\n",
                "MAIL FROM:<a@example.com>",
            ),
            (
                Command::Mail {
                    from: "test@example.com",
                    params: all,
                },
                "MAIL FROM:<test@example.com> SIZE=42 BODY=8BITMIME SMTPUTF8\r\n",
                "MAIL FROM:<test@example.com> SIZE=42 BODY=8BITMIME SMTPUTF8",
            ),
            (
                Command::Mail {
                    from: "",
                    params: MailParams::default(),
                },
                "MAIL FROM:<>\r\n",
                "MAIL FROM:<>",
            ),
            (
                Command::Rcpt {
                    to: "ivan@почта.рф",
                },
                "RCPT TO:<ivan@почта.рф>\r\n",
                "RCPT TO:<ivan@почта.рф>",
            ),
            (Command::Data, "DATA\r\n", "DATA"),
            (Command::Rset, "RSET\r\n", "RSET"),
            (Command::Noop, "NOOP\r\n", "NOOP"),
            (Command::Quit, "QUIT\r\n", "QUIT"),
            (
                Command::Typed {
                    line: "VRFY bob@example.org",
                },
                "VRFY bob@example.org\r\n",
                "VRFY bob@example.org",
            ),
            (
                Command::Typed {
                    line: "NOOP \u{1b}[2J",
                },
                "NOOP \u{1b}[2J\r\n",
                "NOOP \\x1b[2J",
            ),
            (
                Command::TypedAuth {
                    line: "AUTH PLAIN  AGJvYgBzM2NyM3Q=",
                    mechanism: "PLAIN",
                },
                "AUTH PLAIN  AGJvYgBzM2NyM3Q=\r\n",
                "AUTH PLAIN <credentials redacted>",
            ),
            (Command::DataLine { line: "Hello" }, "Hello\r\n", "Hello"),
            (
                Command::DataLine { line: ".hidden" },
                "..hidden\r\n",
                "..hidden",
            ),
            (Command::DataLine { line: "." }, "..\r\n", ".."),
            (Command::DataLine { line: "" }, "\r\n", ""),
            (Command::DataEnd, ".\r\n", "."),
        ] {
            assert_eq!(command.to_string(), wire);
            assert_eq!(command.log_text(), log);
        }
    }

    #[test]
    fn debug_hides_credentials() {
        let auth = Command::Auth {
            mechanism: Mechanism::Plain,
            initial: Some("AGJvYgBzM2NyM3Q="),
        };
        let answer = Command::AuthAnswer {
            base64: "czNjcjN0",
            what: "password",
        };
        let typed = Command::TypedAuth {
            line: "AUTH PLAIN AGJvYgBzM2NyM3Q=",
            mechanism: "PLAIN",
        };
        for command in [auth, answer, typed] {
            let debug = format!("{command:?}");
            assert!(
                !debug.contains("AGJvYgBzM2NyM3Q=") && !debug.contains("czNjcjN0"),
                "{debug}"
            );
        }
    }
}
