//! SMTP typed by hand (the composer's manual mode): one line at a time into
//! an open [`Session`], logged like every other line, with the session's
//! state following what was typed.
//!
//! - A command line goes out as typed; CR, LF and NUL inside it are refused
//!   before anything is written (a line break would smuggle a second
//!   command past the log).
//! - The state follows the replies: an accepted MAIL opens a transaction,
//!   each accepted RCPT counts, a 354 to DATA turns every following line
//!   into message data (dot-stuffed) until a lone `.`, RSET and EHLO/HELO
//!   close it, a 235 marks the session authenticated, a 334 to a typed AUTH
//!   makes the next line a credential (sent, never shown), a 221 to QUIT
//!   ends the session, and a 421 anywhere breaks it.
//! - A typed EHLO or HELO replaces the capabilities.
//! - A typed STARTTLS on a plain session is done properly by
//!   [`Session::starttls_by_hand`]: 220, the handshake, EHLO again (RFC
//!   3207), the old capabilities and login forgotten.
//! - AUTH PLAIN and LOGIN with the user and password asked for by the UI
//!   run through [`Session::auth_by_hand`], redacted as the login is.
//! - Before a letter goes out on the same session, `Session::settle`
//!   RSETs a transaction typed by hand, so its recipients never get the
//!   letter, and ends an AUTH exchange left waiting; with message data open
//!   the letter is refused (only the lone dot, or dropping the connection,
//!   ends it).
//!
//! Every wait is under the stage's deadline, as in the scripted session: a
//! server that never answers breaks the session.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use zeroize::Zeroizing;

use super::{
    BoxStream,
    auth::{Credentials, Prompt, encode_secret, login_prompt},
    capabilities::{Capabilities, Mechanism},
    command::Command,
    error::Error,
    reply::Reply,
    session::Session,
    tls::Tls,
    transcript::Stage,
};

/// Where the session is in a mail transaction typed by hand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Transaction {
    /// None is open: MAIL may start one.
    #[default]
    Idle,
    /// MAIL FROM was accepted; `recipients` RCPT TO were accepted since.
    Open {
        /// RCPT TO accepted so far.
        recipients: usize,
    },
    /// DATA was accepted (354): every line is message data until a lone
    /// `.`.
    Data {
        /// RCPT TO accepted before DATA.
        recipients: usize,
    },
}

/// What the engine knows of a session's state, as typing moved it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ManualState {
    /// The mail transaction.
    pub transaction: Transaction,
    /// An AUTH succeeded in this session (at login, or typed).
    pub authenticated: bool,
    /// The server answered a typed AUTH with 334 and waits: the next line
    /// is a credential (sent, never shown).
    pub challenge: bool,
}

impl ManualState {
    /// Whether message data typed by hand is open.
    pub fn in_data(&self) -> bool {
        matches!(self.transaction, Transaction::Data { .. })
    }

    /// Whether a MAIL FROM typed by hand was accepted and nothing ended
    /// its transaction yet.
    pub fn in_transaction(&self) -> bool {
        matches!(self.transaction, Transaction::Open { .. })
    }
}

/// The longest line that may be typed: 998 octets before the CRLF, the
/// limit of any SMTP text line (RFC 5321 §4.5.3.1.6; command lines are
/// shorter still, which a server under test may want to be told).
pub const MAX_LINE: usize = 998;

/// Checks a typed line before it goes near the wire: no CR, LF or NUL
/// inside it (each line is one command, and a line break would carry a
/// second one unseen), and no longer than [`MAX_LINE`].
pub fn check_line(line: &str) -> Result<(), Error> {
    let reason = if line.contains(['\r', '\n']) {
        "a typed line cannot hold a line break (CR or LF): each line is one command; type them one at a time"
            .to_owned()
    } else if line.contains('\0') {
        "a typed line cannot hold NUL".to_owned()
    } else if line.len() > MAX_LINE {
        format!(
            "the line is {} octets; SMTP allows at most {MAX_LINE} before the CRLF",
            line.len()
        )
    } else {
        return Ok(());
    };
    Err(Error::Unsendable { reason })
}

/// The verbs whose replies move the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verb {
    Ehlo,
    Helo,
    StartTls,
    Auth,
    Mail,
    Rcpt,
    Data,
    Rset,
    Quit,
    /// NOOP, VRFY, EXPN, HELP, anything else: sent, answered, no state.
    Other,
}

impl Verb {
    fn of(line: &str) -> Verb {
        let word = line.split_whitespace().next().unwrap_or_default();
        match word.to_ascii_uppercase().as_str() {
            "EHLO" => Verb::Ehlo,
            "HELO" => Verb::Helo,
            "STARTTLS" => Verb::StartTls,
            "AUTH" => Verb::Auth,
            "MAIL" => Verb::Mail,
            "RCPT" => Verb::Rcpt,
            "DATA" => Verb::Data,
            "RSET" => Verb::Rset,
            "QUIT" => Verb::Quit,
            _ => Verb::Other,
        }
    }

    fn stage(self) -> Stage {
        match self {
            Verb::Ehlo | Verb::Helo => Stage::Ehlo,
            Verb::StartTls => Stage::StartTls,
            Verb::Auth => Stage::Auth,
            Verb::Mail => Stage::Mail,
            Verb::Rcpt => Stage::Rcpt,
            Verb::Data => Stage::Data,
            Verb::Rset => Stage::Rset,
            Verb::Quit => Stage::Quit,
            Verb::Other => Stage::Command,
        }
    }
}

/// `AUTH mechanism initial-response` split into the mechanism and the
/// response, when a response was typed.
fn auth_initial(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().get(4..)?.trim_start();
    let (mechanism, initial) = rest.split_once(char::is_whitespace)?;
    let initial = initial.trim();
    (!initial.is_empty()).then_some((mechanism, initial))
}

/// Whether `line` is `AUTH PLAIN` or `AUTH LOGIN` alone, which the UI
/// answers with its user and password prompts.
pub fn auth_helper(line: &str) -> Option<Mechanism> {
    let mut words = line.split_whitespace();
    if !words.next()?.eq_ignore_ascii_case("AUTH") {
        return None;
    }
    let mechanism = match words.next()?.to_ascii_uppercase().as_str() {
        "PLAIN" => Mechanism::Plain,
        "LOGIN" => Mechanism::Login,
        _ => return None,
    };
    words.next().is_none().then_some(mechanism)
}

/// Whether the line carries a credential the user typed (`AUTH PLAIN
/// <blob>`): such a line is kept out of the history.
pub fn holds_credential(line: &str) -> bool {
    Verb::of(line) == Verb::Auth && auth_initial(line).is_some()
}

/// The secrets in a typed initial response: the response itself, and for
/// PLAIN the password inside it, so a server that echoes either in any
/// form has its line withheld.
fn typed_secrets(mechanism: &str, initial: &str) -> Vec<Zeroizing<String>> {
    let mut secrets = vec![Zeroizing::new(initial.to_owned())];
    if mechanism.eq_ignore_ascii_case("PLAIN")
        && let Ok(raw) = STANDARD.decode(initial)
    {
        let raw = Zeroizing::new(raw);
        if let Some(password) = raw.split(|&b| b == 0).nth(2)
            && let Ok(password) = std::str::from_utf8(password)
            && !password.is_empty()
        {
            secrets.push(Zeroizing::new(password.to_owned()));
        }
    }
    secrets
}

/// Enough for LOGIN's two prompts plus a server's odd extra round.
const MAX_ROUNDS: usize = 5;

impl Session {
    /// The state as typing moved it.
    pub fn manual_state(&self) -> ManualState {
        self.manual
    }

    /// Whether `line` is a STARTTLS for [`Session::starttls_by_hand`]: a
    /// plain session, outside message data and AUTH. (On an encrypted
    /// session it is sent as typed; a server that agrees breaks the
    /// session, as a second handshake inside TLS is not supported.)
    pub fn wants_upgrade(&self, line: &str) -> bool {
        Verb::of(line) == Verb::StartTls
            && !self.is_encrypted()
            && !self.manual.in_data()
            && !self.manual.challenge
    }

    /// One line typed by hand: a command (its reply), a line of message
    /// data after the 354 (no reply; dot-stuffed), the lone `.` that ends
    /// the data (the final reply), or the answer to a 334 the server sent
    /// a typed AUTH (sent, shown redacted). A refusal by the server is a
    /// reply, not an error; errors are lines refused before the wire and
    /// failures that break the session (timeout, lost connection, 421).
    pub async fn raw(&mut self, line: &str) -> Result<Option<Reply>, Error> {
        if self.broken {
            return Err(Error::Broken);
        }
        if let Err(e) = check_line(line) {
            self.conn.transcript().error(&e.to_string());
            return Err(e);
        }
        let result = if self.manual.in_data() {
            self.data_line(line).await
        } else if self.manual.challenge {
            self.answer(line).await.map(Some)
        } else {
            self.command_line(line).await.map(Some)
        };
        self.typed_done(result)
    }

    /// AUTH PLAIN or LOGIN typed by hand, with the user and password the
    /// UI asked for: the same exchange and redaction as the login (the
    /// password and its blobs registered as secrets, the answers shown as
    /// `<username redacted>`, `<password redacted>`), never without TLS
    /// unless `allow_insecure`. Returns the final reply, whatever it says.
    pub async fn auth_by_hand(
        &mut self,
        mechanism: Mechanism,
        credentials: &Credentials,
        allow_insecure: bool,
    ) -> Result<Reply, Error> {
        if self.broken {
            return Err(Error::Broken);
        }
        if self.manual.in_data() {
            return Err(Error::DataUnfinished);
        }
        if self.manual.challenge {
            // Its AUTH line would be read as the answer the server waits for.
            return Err(Error::Unsendable {
                reason: "the server waits for the answer to the AUTH before (\"*\" gives up)"
                    .to_owned(),
            });
        }
        let transcript = self.conn.transcript();
        transcript.add_secret(credentials.password());
        transcript.add_secret(&credentials.plain_blob());
        transcript.stage(Stage::Auth);
        if !self.conn.is_encrypted() {
            if !allow_insecure {
                let e = Error::InsecureAuth;
                self.conn.transcript().error(&e.to_string());
                return Err(e);
            }
            self.conn.transcript().error(
                "warning: sending credentials without TLS (allowed by --allow-insecure-auth)",
            );
        }
        let result = self.auth_exchange(mechanism, credentials).await;
        self.typed_done(result)
    }

    /// STARTTLS typed on a plain session, done as the configured path does
    /// it: the 220, no plaintext after it, the handshake with `tls` for
    /// `host`, then EHLO `helo` again and the old capabilities, login and
    /// transaction forgotten (RFC 3207 §4.2). Returns the session (gone
    /// when the upgrade broke it) and the reply to STARTTLS.
    pub async fn starttls_by_hand(
        mut self,
        tls: &Tls,
        host: &str,
        helo: &str,
    ) -> (Option<Session>, Result<Reply, Error>) {
        self.conn.transcript().stage(Stage::StartTls);
        let reply = match self.conn.command(&Command::StartTls, Stage::StartTls).await {
            Ok(reply) => reply,
            Err(e) => {
                let e = self.broke(e);
                return (None, Err(e));
            }
        };
        if reply.code().value() != 220 {
            self.conn.transcript().idle();
            return (Some(self), Ok(reply));
        }
        if self.conn.has_unread() {
            let e = self.broke(Error::StartTlsInjection);
            return (None, Err(e));
        }
        // The plain connection is consumed; a failed handshake logs why and
        // leaves nothing to talk on.
        let conn = match self.conn.upgrade(tls, host).await {
            Ok(conn) => conn.map_stream(|s| Box::new(s) as BoxStream),
            Err(e) => return (None, Err(e)),
        };
        let mut session = Session {
            conn,
            caps: Capabilities::default(),
            broken: false,
            across_dot: true,
            manual: ManualState::default(),
        };
        session
            .conn
            .transcript()
            .note("what the server offered before TLS is forgotten; EHLO again (RFC 3207)");
        match session.hello(helo).await {
            Ok(caps) => session.caps = caps,
            Err(e) if e.breaks_connection() => {
                let e = session.broke(e);
                return (None, Err(e));
            }
            Err(e) => {
                session.conn.transcript().error(&e.to_string());
                session.conn.transcript().idle();
                return (Some(session), Err(e));
            }
        }
        session.conn.transcript().idle();
        (Some(session), Ok(reply))
    }

    /// Makes the session fit for a letter after typing: ends an AUTH
    /// exchange left waiting (`*`), and RSETs a transaction typed by hand,
    /// so the letter never goes to the recipients typed for it. With
    /// message data open nothing can be said but data:
    /// [`Error::DataUnfinished`].
    pub(super) async fn settle(&mut self) -> Result<(), Error> {
        if self.manual.in_data() {
            return Err(Error::DataUnfinished);
        }
        if self.manual.challenge {
            self.conn
                .transcript()
                .note("an AUTH exchange typed by hand waits for an answer: ending it with \"*\"");
            self.conn.transcript().stage(Stage::Auth);
            self.conn.command(&Command::AuthCancel, Stage::Auth).await?;
            self.manual.challenge = false;
        }
        if let Transaction::Open { recipients } = self.manual.transaction {
            self.conn.transcript().note(&format!(
                "a transaction typed by hand is open (MAIL FROM, {recipients} RCPT TO): \
                 RSET first, so this letter goes to its own recipients only"
            ));
            self.conn.transcript().stage(Stage::Rset);
            let reply = self.conn.command(&Command::Rset, Stage::Rset).await?;
            if !reply.is_positive() {
                return Err(Error::Rejected {
                    stage: Stage::Rset,
                    reply,
                });
            }
            self.manual.transaction = Transaction::Idle;
            // The typed transaction's time is not the letter's.
            self.conn.transcript().lap();
        }
        Ok(())
    }

    /// The end of every typed step: a failure that breaks the connection
    /// marks the session broken (and says so), another is logged; the
    /// typed time is nobody's phase, and the next letter's timeline starts
    /// empty.
    fn typed_done<T>(&mut self, result: Result<T, Error>) -> Result<T, Error> {
        let result = match result {
            Err(e) if e.breaks_connection() => Err(self.broke(e)),
            Err(e) => {
                self.conn.transcript().error(&e.to_string());
                Err(e)
            }
            ok => ok,
        };
        self.conn.transcript().lap();
        result
    }

    async fn command_line(&mut self, line: &str) -> Result<Reply, Error> {
        if line
            .split_whitespace()
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("BDAT"))
        {
            // BDAT's octets follow the command unanswered; a prompt of
            // lines cannot count them.
            return Err(Error::Unsendable {
                reason: "BDAT (CHUNKING) sends raw octets after the command, which manual \
                         mode cannot type; use DATA"
                    .to_owned(),
            });
        }
        let verb = Verb::of(line);
        let stage = verb.stage();
        self.conn.transcript().stage(stage);
        let command = match (verb, auth_initial(line)) {
            (Verb::Auth, Some((mechanism, initial))) => {
                for secret in typed_secrets(mechanism, initial) {
                    self.conn.transcript().add_secret(&secret);
                }
                Command::TypedAuth { line, mechanism }
            }
            _ => Command::Typed { line },
        };
        let timeouts = *self.conn.timeouts();
        let limit = if verb == Verb::Data {
            timeouts.data_init
        } else {
            timeouts.command
        };
        self.conn.queue(&command);
        self.conn.flush(stage, timeouts.command).await?;
        let reply = self.conn.read_reply(stage, limit).await?;
        self.follow(verb, &reply).await;
        Ok(reply)
    }

    /// Moves the state after the reply to a typed command.
    async fn follow(&mut self, verb: Verb, reply: &Reply) {
        let code = reply.code().value();
        match verb {
            Verb::Ehlo | Verb::Helo if reply.is_positive() => {
                self.caps = if verb == Verb::Ehlo {
                    Capabilities::from_ehlo(reply)
                } else {
                    Capabilities::from_helo(reply)
                };
                // EHLO and HELO end any transaction (RFC 5321 §4.1.4).
                self.manual.transaction = Transaction::Idle;
            }
            Verb::Mail if reply.is_positive() => {
                self.manual.transaction = Transaction::Open { recipients: 0 };
            }
            Verb::Rcpt if reply.is_positive() => {
                if let Transaction::Open { recipients } = &mut self.manual.transaction {
                    *recipients += 1;
                }
            }
            Verb::Data if code == 354 => {
                let recipients = match self.manual.transaction {
                    Transaction::Open { recipients } | Transaction::Data { recipients } => {
                        recipients
                    }
                    Transaction::Idle => 0,
                };
                self.manual.transaction = Transaction::Data { recipients };
                self.conn.transcript().note(
                    "message data: each line goes out as typed (a leading \".\" doubled); \
                     a line with a lone \".\" ends it",
                );
            }
            Verb::Rset if reply.is_positive() => self.manual.transaction = Transaction::Idle,
            Verb::Auth if code == 334 => self.manual.challenge = true,
            Verb::Auth if reply.is_positive() => self.manual.authenticated = true,
            Verb::StartTls if code == 220 => {
                // The server now waits for a handshake this session will
                // not make (it is encrypted already, or was asked the
                // wrong way): nothing sane can follow on it.
                self.broken = true;
                self.conn.transcript().error(
                    "the server agreed to STARTTLS, but this session cannot start TLS here \
                     (a second handshake inside TLS is not supported); the connection is dropped",
                );
                self.conn.shutdown().await;
            }
            Verb::Quit if code == 221 => {
                self.conn.shutdown().await;
                // Closed by the user: unusable from now on, as a broken one.
                self.broken = true;
                self.conn
                    .transcript()
                    .note("connection closed (QUIT typed by hand)");
            }
            _ => {}
        }
    }

    /// A line of message data, or the lone dot and the final reply.
    async fn data_line(&mut self, line: &str) -> Result<Option<Reply>, Error> {
        let timeouts = *self.conn.timeouts();
        if line == "." {
            self.conn.transcript().stage(Stage::EndOfData);
            self.conn.queue(&Command::DataEnd);
            self.conn.flush(Stage::Content, timeouts.data_block).await?;
            let reply = self
                .conn
                .read_reply(Stage::EndOfData, timeouts.data_end)
                .await?;
            // Accepted or refused, the transaction is over.
            self.manual.transaction = Transaction::Idle;
            return Ok(Some(reply));
        }
        self.conn.transcript().stage(Stage::Content);
        self.conn.queue(&Command::DataLine { line });
        self.conn.flush(Stage::Content, timeouts.data_block).await?;
        Ok(None)
    }

    /// The answer to a 334 the server sent a typed AUTH: a credential,
    /// registered as a secret and shown redacted; `*` gives up.
    async fn answer(&mut self, line: &str) -> Result<Reply, Error> {
        self.conn.transcript().stage(Stage::Auth);
        let command = if line.trim() == "*" {
            Command::AuthCancel
        } else {
            if !line.is_empty() {
                self.conn.transcript().add_secret(line);
            }
            Command::AuthAnswer {
                base64: line,
                what: "answer",
            }
        };
        let reply = self.conn.command(&command, Stage::Auth).await?;
        self.manual.challenge = reply.code().value() == 334;
        if reply.is_positive() {
            self.manual.authenticated = true;
        }
        Ok(reply)
    }

    /// The exchange behind [`Session::auth_by_hand`].
    async fn auth_exchange(
        &mut self,
        mechanism: Mechanism,
        credentials: &Credentials,
    ) -> Result<Reply, Error> {
        if !matches!(mechanism, Mechanism::Plain | Mechanism::Login) {
            return Err(Error::Unsendable {
                reason: format!("the AUTH helper speaks PLAIN and LOGIN, not {mechanism}"),
            });
        }
        // As typed: no initial response; PLAIN's blob answers the empty 334.
        let first = Command::Auth {
            mechanism,
            initial: None,
        };
        let mut reply = self.conn.command(&first, Stage::Auth).await?;
        let mut round = 0;
        while reply.code().value() == 334 {
            if round == MAX_ROUNDS {
                reply = self.conn.command(&Command::AuthCancel, Stage::Auth).await?;
                break;
            }
            let challenge = reply
                .lines()
                .first()
                .map(String::as_str)
                .unwrap_or_default();
            let (answer, what) = match mechanism {
                Mechanism::Login => match login_prompt(challenge, round) {
                    Prompt::Username => (encode_secret(credentials.username()), "username"),
                    Prompt::Password => (encode_secret(credentials.password()), "password"),
                },
                _ => (credentials.plain_blob(), "credentials"),
            };
            let answer = Command::AuthAnswer {
                base64: &answer,
                what,
            };
            reply = self.conn.command(&answer, Stage::Auth).await?;
            round += 1;
        }
        if reply.is_positive() {
            self.manual.authenticated = true;
        }
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines_are_checked_before_the_wire() {
        for (line, ok) in [
            ("NOOP", true),
            ("", true),
            ("VRFY bob@example.org", true),
            ("NOOP\r\nRSET", false),
            ("NOOP\nRSET", false),
            ("NOOP\r", false),
            ("NO\0OP", false),
            (&"x".repeat(MAX_LINE), true),
            (&"x".repeat(MAX_LINE + 1), false),
        ] {
            assert_eq!(check_line(line).is_ok(), ok, "{line:?}");
        }
    }

    #[test]
    fn verbs_and_helpers() {
        for (line, verb) in [
            ("mail from:<a@b>", Verb::Mail),
            ("  RCPT TO:<a@b>", Verb::Rcpt),
            ("ehlo x", Verb::Ehlo),
            ("StartTLS", Verb::StartTls),
            ("VRFY bob", Verb::Other),
            ("", Verb::Other),
        ] {
            assert_eq!(Verb::of(line), verb, "{line:?}");
        }
        for (line, helper, credential) in [
            ("AUTH LOGIN", Some(Mechanism::Login), false),
            ("auth plain", Some(Mechanism::Plain), false),
            ("AUTH PLAIN AGJvYgBzM2NyM3Q=", None, true),
            ("AUTH LOGIN Ym9i", None, true),
            ("AUTH CRAM-MD5", None, false),
            ("AUTHX LOGIN", None, false),
        ] {
            assert_eq!(auth_helper(line), helper, "{line}");
            assert_eq!(holds_credential(line), credential, "{line}");
        }
    }

    #[test]
    fn a_typed_plain_blob_gives_up_its_password() {
        let blob = STANDARD.encode("\0bob\0s3cr3t-pass");
        let secrets = typed_secrets("plain", &blob);
        let secrets: Vec<&str> = secrets.iter().map(|s| s.as_str()).collect();
        assert_eq!(secrets, [blob.as_str(), "s3cr3t-pass"]);
    }
}
