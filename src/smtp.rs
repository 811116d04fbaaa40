//! The SMTP protocol engine (RFC 5321 and friends).
//!
//! A [`Session`] is a connected, greeted, EHLO'd — and, as configured,
//! encrypted and authenticated — conversation with one server. It sends any
//! number of transactions (pipelined when the server offers PIPELINING) and
//! ends with QUIT. Everything it writes and reads goes to a [`Transcript`] as
//! it happens. The engine knows nothing of the letter format or the UI: a
//! letter is any [`Content`].
//!
//! The session script:
//!
//! ```text
//! connect ─▶ [TLS] ─▶ 220 ─▶ EHLO (HELO if refused) ─▶ [STARTTLS ─▶ TLS ─▶ EHLO]
//!         ─▶ [AUTH] ─▶ { MAIL ─▶ RCPT… ─▶ DATA ─▶ data ─▶ . }* ─▶ QUIT
//! ```

pub mod auth;
pub mod capabilities;
pub mod command;
pub mod connection;
pub mod error;
pub mod reply;
pub mod scrub;
pub mod tls;
pub mod transcript;
pub mod visible;

use std::{borrow::Cow, fmt, net::SocketAddr, time::Instant};

use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpStream,
};
use zeroize::Zeroizing;

pub use self::{
    auth::{AuthChoice, Credentials},
    capabilities::{Capabilities, Mechanism},
    command::{Command, MailParams},
    connection::{Connection, Timeouts},
    error::{Advice, Error},
    reply::{Code, Enhanced, Reply, Severity},
    transcript::{Dir, Event, LogLine, Stage, Transcript},
};
use self::{
    auth::{Prompt, encode_secret, login_prompt},
    connection::tls_handshake,
    transcript::format_latency,
};

/// How the connection is protected (cf. lettre's `Tls`; there is no
/// "opportunistic" mode, because it silently falls back to plain text).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain text; STARTTLS is not used even if offered.
    None,
    /// STARTTLS, required: no TLS, no session.
    #[default]
    StartTls,
    /// Implicit TLS from the first byte (port 465).
    Tls,
}

impl Security {
    /// The usual port: 25, 587 or 465.
    pub fn default_port(self) -> u16 {
        match self {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        }
    }

    /// Every mode, in the order the UI cycles through them.
    pub const ALL: [Security; 3] = [Security::StartTls, Security::Tls, Security::None];
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Security::None => "none",
            Security::StartTls => "starttls",
            Security::Tls => "tls",
        })
    }
}

impl std::str::FromStr for Security {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "plain" => Ok(Security::None),
            "starttls" => Ok(Security::StartTls),
            "tls" | "ssl" | "smtps" => Ok(Security::Tls),
            other => Err(format!(
                "unknown security {other:?} (expected none, starttls or tls)"
            )),
        }
    }
}

/// Everything needed to open a session.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Server host name or IP address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// TLS mode.
    pub security: Security,
    /// The name sent in EHLO/HELO: a fully qualified domain.
    pub helo: String,
    /// Deadlines.
    pub timeouts: Timeouts,
    /// Log in with these, if given.
    pub credentials: Option<Credentials>,
    /// Which AUTH mechanism.
    pub auth: AuthChoice,
    /// Allow AUTH without TLS (off by default: refused before any secret is sent).
    pub allow_insecure_auth: bool,
}

impl SessionConfig {
    /// Checks what the engine would otherwise put on the wire unchecked.
    pub fn validate(&self) -> Result<(), String> {
        if self.host.trim().is_empty() {
            return Err("no server host given".to_owned());
        }
        if self
            .host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "server host {:?} contains spaces or control characters",
                self.host
            ));
        }
        if self.port == 0 {
            return Err("port 0 is not a valid port".to_owned());
        }
        if self.helo.is_empty()
            || self
                .helo
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        {
            return Err(format!("HELO name {:?} is not a domain name", self.helo));
        }
        if let Some(c) = &self.credentials
            && (c.username().is_empty() || c.username().chars().any(char::is_control))
        {
            return Err("the user name is empty or contains control characters".to_owned());
        }
        Ok(())
    }

    /// The host without IPv6 brackets, for DNS and certificate checks.
    fn bare_host(&self) -> &str {
        self.host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host)
    }
}

/// Any stream a session can run over.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// The type-erased stream of an open session (plain or TLS).
pub type BoxStream = Box<dyn Stream>;

/// The envelope of one transaction. Addresses are in their wire form: ASCII,
/// or UTF-8 when the server offers SMTPUTF8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// MAIL FROM (may be empty: the null sender `<>`).
    pub from: String,
    /// RCPT TO, in order.
    pub recipients: Vec<String>,
}

/// A letter as the engine sees it: bytes in pieces, and what they need.
pub trait Content: Sync {
    /// Octets before dot-stuffing, for SIZE=.
    fn size(&self) -> u64;
    /// Whether any byte has the high bit set (BODY=8BITMIME).
    fn is_8bit(&self) -> bool;
    /// Whether the headers hold raw UTF-8 (RFC 6532), so SMTPUTF8 is needed.
    fn needs_smtputf8(&self) -> bool {
        false
    }
    /// The bytes, in order, in pieces of any size. An error (a body file
    /// that cannot be read, or changed) ends the transaction without the
    /// final dot, so the server never accepts half a letter.
    fn pieces(&self) -> Box<dyn Iterator<Item = std::io::Result<Cow<'_, [u8]>>> + Send + '_>;
}

impl Content for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn is_8bit(&self) -> bool {
        !self.is_ascii()
    }

    fn needs_smtputf8(&self) -> bool {
        // Raw bytes: the header block decides.
        let head_end = memchr::memmem::find(self, b"\r\n\r\n").unwrap_or(self.len());
        !self[..head_end].is_ascii()
    }

    fn pieces(&self) -> Box<dyn Iterator<Item = std::io::Result<Cow<'_, [u8]>>> + Send + '_> {
        Box::new(std::iter::once(Ok(Cow::Borrowed(self))))
    }
}

impl Content for Vec<u8> {
    fn size(&self) -> u64 {
        self.as_slice().size()
    }

    fn is_8bit(&self) -> bool {
        self.as_slice().is_8bit()
    }

    fn needs_smtputf8(&self) -> bool {
        self.as_slice().needs_smtputf8()
    }

    fn pieces(&self) -> Box<dyn Iterator<Item = std::io::Result<Cow<'_, [u8]>>> + Send + '_> {
        Content::pieces(self.as_slice())
    }
}

/// The server's answer to one RCPT TO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientResult {
    /// The address as sent.
    pub address: String,
    /// The server's reply.
    pub reply: Reply,
}

impl RecipientResult {
    /// Whether the server took this recipient.
    pub fn accepted(&self) -> bool {
        self.reply.is_positive()
    }
}

/// A transaction the server accepted (possibly for some recipients only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Every recipient with its reply, in envelope order.
    pub recipients: Vec<RecipientResult>,
    /// The reply after the final dot (it usually names the queue id).
    pub reply: Reply,
    /// Octets written during DATA, dot-stuffing included.
    pub size: u64,
}

impl Delivery {
    /// The recipients the server refused.
    pub fn refused(&self) -> impl Iterator<Item = &RecipientResult> {
        self.recipients.iter().filter(|r| !r.accepted())
    }

    /// The queue id, when the reply names one (`queued as 4Xb2…`, `id=…`).
    pub fn queue_id(&self) -> Option<&str> {
        let text = self.reply.lines().first()?;
        let lower = text.to_ascii_lowercase();
        let start = ["queued as ", "id="]
            .iter()
            .find_map(|key| lower.find(key).map(|i| i + key.len()))?;
        let id = text[start..]
            .split(|c: char| c.is_whitespace() || c == ')' || c == ',')
            .next()?;
        (!id.is_empty()).then_some(id)
    }
}

/// An open session.
#[derive(Debug)]
pub struct Session {
    conn: Connection<BoxStream>,
    caps: Capabilities,
    broken: bool,
}

impl fmt::Debug for dyn Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stream")
    }
}

/// A transaction checked against the server's capabilities.
struct Prepared<'a, C: ?Sized> {
    envelope: &'a Envelope,
    content: &'a C,
    params: MailParams,
}

impl Session {
    /// Resolves the host, connects over TCP, and runs [`Session::establish`].
    pub async fn connect(
        config: &SessionConfig,
        tls: &tls::Tls,
        mut transcript: Transcript,
    ) -> Result<Session, Error> {
        register_secrets(config, &mut transcript);
        transcript.stage(Stage::Connect);
        let stream = match tcp_connect(config, &mut transcript).await {
            Ok(stream) => stream,
            Err(e) => {
                transcript.error(&e.to_string());
                return Err(e);
            }
        };
        Session::establish(stream, config, tls, transcript).await
    }

    /// Runs the opening script on a connected stream: implicit TLS, greeting,
    /// EHLO (HELO fallback), STARTTLS and EHLO again, AUTH. On a failure
    /// that leaves the connection alive, QUIT is sent before returning.
    pub async fn establish<S: Stream + 'static>(
        stream: S,
        config: &SessionConfig,
        tls: &tls::Tls,
        mut transcript: Transcript,
    ) -> Result<Session, Error> {
        register_secrets(config, &mut transcript);
        if let Err(reason) = config.validate() {
            transcript.error(&reason);
            return Err(Error::Config(reason));
        }
        let conn = if config.security == Security::Tls {
            match tls_handshake(tls, config.bare_host(), stream, config.timeouts, transcript).await
            {
                Ok(conn) => conn.map_stream(|s| Box::new(s) as BoxStream),
                Err(e) => return Err(e),
            }
        } else {
            Connection::new(
                Box::new(stream) as BoxStream,
                config.timeouts,
                transcript,
                None,
            )
        };
        let mut session = Session {
            conn,
            caps: Capabilities::default(),
            broken: false,
        };
        if let Err(e) = session.greet(&config.helo).await {
            return Err(session.fail(e).await);
        }
        match config.security {
            Security::StartTls => {
                if !session.caps.starttls {
                    return Err(session.fail(Error::StartTlsUnavailable).await);
                }
                if let Err(e) = session.conn.request_starttls().await {
                    return Err(session.fail(e).await);
                }
                // The plain connection is consumed here; on failure there is
                // nothing left to QUIT on.
                let upgraded = session.conn.upgrade(tls, config.bare_host()).await;
                session = Session {
                    conn: upgraded?.map_stream(|s| Box::new(s) as BoxStream),
                    caps: Capabilities::default(),
                    broken: false,
                };
                match session.hello(&config.helo).await {
                    Ok(caps) => session.caps = caps,
                    Err(e) => return Err(session.fail(e).await),
                }
            }
            Security::None if session.caps.starttls => {
                session.conn.transcript().note(
                    "the server offers STARTTLS; security is \"none\", so this session stays unencrypted",
                );
            }
            Security::None | Security::Tls => {}
        }
        if let Some(credentials) = &config.credentials
            && let Err(e) = session.authenticate(credentials, config).await
        {
            return Err(session.fail(e).await);
        }
        Ok(session)
    }

    /// The 220 greeting and the first EHLO.
    async fn greet(&mut self, helo: &str) -> Result<(), Error> {
        self.conn.transcript().stage(Stage::Greeting);
        let limit = self.conn.timeouts().greeting;
        // The usual reason for a silent server is a port that speaks implicit
        // TLS and waits for our handshake; say so while waiting.
        let note = (
            std::time::Duration::from_secs(5),
            "no greeting yet after 5 s; still waiting (a port that speaks implicit TLS, usually 465, waits for --security tls)",
        );
        let greeting = self
            .conn
            .read_reply_noting(Stage::Greeting, limit, Some(note))
            .await?;
        if greeting.code().value() != 220 {
            return Err(Error::Rejected {
                stage: Stage::Greeting,
                reply: greeting,
            });
        }
        self.caps = self.hello(helo).await?;
        Ok(())
    }

    /// EHLO, or HELO when EHLO is refused as unknown (500/502).
    async fn hello(&mut self, helo: &str) -> Result<Capabilities, Error> {
        self.conn.transcript().stage(Stage::Ehlo);
        let reply = self
            .conn
            .command(&Command::Ehlo { domain: helo }, Stage::Ehlo)
            .await?;
        if reply.is_positive() {
            return Ok(Capabilities::from_ehlo(&reply));
        }
        if matches!(reply.code().value(), 500 | 502) {
            self.conn.transcript().note(
                "EHLO refused; falling back to HELO (no extensions: no STARTTLS, AUTH, SIZE…)",
            );
            let reply = self
                .conn
                .command(&Command::Helo { domain: helo }, Stage::Ehlo)
                .await?;
            if reply.is_positive() {
                return Ok(Capabilities::from_helo(&reply));
            }
            return Err(Error::Rejected {
                stage: Stage::Ehlo,
                reply,
            });
        }
        Err(Error::Rejected {
            stage: Stage::Ehlo,
            reply,
        })
    }

    /// AUTH PLAIN or LOGIN, never on an unencrypted connection unless allowed.
    async fn authenticate(
        &mut self,
        credentials: &Credentials,
        config: &SessionConfig,
    ) -> Result<(), Error> {
        self.conn.transcript().stage(Stage::Auth);
        if !self.conn.is_encrypted() {
            if !config.allow_insecure_auth {
                return Err(Error::InsecureAuth);
            }
            self.conn.transcript().error(
                "warning: sending credentials without TLS (allowed by --allow-insecure-auth)",
            );
        }
        let Some(mechanism) = config.auth.pick(&self.caps) else {
            return Err(Error::AuthUnsupported {
                offered: self.caps.auth.clone(),
                wanted: config.auth,
            });
        };
        /// Enough for LOGIN's two prompts plus a server's odd extra round.
        const MAX_ROUNDS: usize = 5;
        let blob = credentials.plain_blob();
        let first = match mechanism {
            Mechanism::Plain => Command::Auth {
                mechanism,
                initial: Some(&blob),
            },
            Mechanism::Login => Command::Auth {
                mechanism,
                initial: None,
            },
        };
        let mut reply = self.conn.command(&first, Stage::Auth).await?;
        let mut round = 0;
        while reply.code().value() == 334 {
            if round == MAX_ROUNDS {
                self.conn.command(&Command::AuthCancel, Stage::Auth).await?;
                return Err(Error::AuthLoop { rounds: round });
            }
            let challenge = reply
                .lines()
                .first()
                .map(String::as_str)
                .unwrap_or_default();
            let (answer, what) = match mechanism {
                // A server that ignored the initial response asks again with an empty 334.
                Mechanism::Plain => (Zeroizing::new(blob.to_string()), "credentials"),
                Mechanism::Login => match login_prompt(challenge, round) {
                    Prompt::Username => (encode_secret(credentials.username()), "username"),
                    Prompt::Password => (encode_secret(credentials.password()), "password"),
                },
            };
            let command = Command::AuthAnswer {
                base64: &answer,
                what,
            };
            reply = self.conn.command(&command, Stage::Auth).await?;
            round += 1;
        }
        match reply.code().value() {
            235 => Ok(()),
            // 535 bad credentials, 534 mechanism too weak, 454 temporary, 538 needs encryption.
            534 | 535 | 538 | 454 => Err(Error::AuthFailed { reply }),
            _ if reply.is_positive() => Ok(()),
            _ => Err(Error::Rejected {
                stage: Stage::Auth,
                reply,
            }),
        }
    }

    /// What the server offers (after STARTTLS, the encrypted list).
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Whether the session is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.conn.is_encrypted()
    }

    /// The server certificate in words, when the session is encrypted.
    pub fn tls_description(&self) -> Option<&str> {
        self.conn.tls_description()
    }

    /// Whether an earlier failure broke the connection.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Checks, without waiting, that an idle session is still open; a 421
    /// the server sent meanwhile is logged.
    pub fn is_alive(&mut self) -> bool {
        !self.broken && self.conn.probe()
    }

    /// The transcript, for notes and stage changes.
    pub fn transcript(&mut self) -> &mut Transcript {
        self.conn.transcript()
    }

    /// Sends one letter.
    pub async fn send<C: Content + ?Sized>(
        &mut self,
        envelope: &Envelope,
        content: &C,
    ) -> Result<Delivery, Error> {
        self.send_many(std::iter::once((envelope, content)))
            .await
            .pop()
            .unwrap_or(Err(Error::Broken))
    }

    /// Sends letters one transaction after another over this session, with
    /// PIPELINING (RFC 2920) when offered: MAIL, every RCPT and DATA go out
    /// in one write, and the next transaction's commands ride along with the
    /// final dot of the one before. Returns one result per letter, in order;
    /// after a failure that breaks the connection, the rest are not tried
    /// (fewer results than letters).
    pub async fn send_many<'a, C, I>(&mut self, letters: I) -> Vec<Result<Delivery, Error>>
    where
        C: Content + ?Sized + 'a,
        I: IntoIterator<Item = (&'a Envelope, &'a C)>,
    {
        let mut results: Vec<Result<Delivery, Error>> = Vec::new();
        if self.broken {
            results.push(Err(Error::Broken));
            return results;
        }
        let pipelining = self.caps.pipelining;
        let mut letters = letters.into_iter();
        // A transaction whose commands are already on the wire.
        let mut in_flight: Option<Prepared<'a, C>> = None;
        loop {
            let current = match in_flight.take() {
                Some(p) => p,
                None => match self.next_prepared(&mut letters, &mut results) {
                    Some(p) => {
                        if pipelining {
                            self.queue_envelope(&p);
                            if let Err(e) = self
                                .conn
                                .flush(Stage::Mail, self.conn.timeouts().command)
                                .await
                            {
                                results.push(Err(self.broke(e)));
                                break;
                            }
                        }
                        p
                    }
                    None => break,
                },
            };
            let recipients = match self.envelope_replies(&current, pipelining).await {
                Ok(Ok(recipients)) => recipients,
                Ok(Err(refused)) => {
                    results.push(Err(refused));
                    continue;
                }
                Err(e) => {
                    results.push(Err(self.broke(e)));
                    break;
                }
            };
            // Letters skipped while looking ahead are reported after this
            // one, so results stay in the letters' order.
            let mut skipped = Vec::new();
            let next = if pipelining {
                self.next_prepared(&mut letters, &mut skipped)
            } else {
                None
            };
            match self
                .data_and_reply(&current, next.as_ref(), recipients)
                .await
            {
                Ok(result) => results.push(result),
                Err(e) => {
                    results.push(Err(self.broke(e)));
                    break;
                }
            }
            results.append(&mut skipped);
            in_flight = next;
        }
        results
    }

    /// The next letter that passes the capability checks; letters that fail
    /// them get their error as a result and are skipped.
    fn next_prepared<'a, C, I>(
        &mut self,
        letters: &mut I,
        results: &mut Vec<Result<Delivery, Error>>,
    ) -> Option<Prepared<'a, C>>
    where
        C: Content + ?Sized + 'a,
        I: Iterator<Item = (&'a Envelope, &'a C)>,
    {
        for (envelope, content) in letters.by_ref() {
            match self.prepare(envelope, content) {
                Ok(p) => return Some(p),
                Err(e) => {
                    self.conn.transcript().error(&e.to_string());
                    results.push(Err(e));
                }
            }
        }
        None
    }

    /// Checks a letter against the server before any command is sent.
    fn prepare<'a, C: Content + ?Sized>(
        &self,
        envelope: &'a Envelope,
        content: &'a C,
    ) -> Result<Prepared<'a, C>, Error> {
        let addresses = std::iter::once(&envelope.from).chain(&envelope.recipients);
        for address in addresses.clone() {
            if address
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '<' || c == '>')
            {
                return Err(Error::BadAddress(address.clone()));
            }
        }
        if envelope.recipients.is_empty() {
            return Err(Error::AllRecipientsRefused {
                refused: Vec::new(),
            });
        }
        let utf8_address = addresses.clone().find(|a| !a.is_ascii());
        let smtputf8 = utf8_address.is_some() || content.needs_smtputf8();
        if smtputf8 && !self.caps.smtputf8 {
            return Err(Error::NeedsSmtpUtf8 {
                address: utf8_address
                    .map_or_else(|| "the letter's headers".to_owned(), |a| format!("<{a}>")),
            });
        }
        let eight_bit = content.is_8bit();
        if eight_bit && !self.caps.eight_bit_mime && !smtputf8 {
            return Err(Error::Needs8BitMime);
        }
        let size = content.size();
        if let Some(limit) = self.caps.size_limit()
            && size > limit
        {
            return Err(Error::TooLarge { size, limit });
        }
        Ok(Prepared {
            envelope,
            content,
            params: MailParams {
                size: self.caps.size.map(|_| size),
                eight_bit: eight_bit && self.caps.eight_bit_mime,
                smtputf8,
            },
        })
    }

    /// Queues MAIL, every RCPT and DATA (the pipelined group).
    fn queue_envelope<C: ?Sized>(&mut self, p: &Prepared<'_, C>) {
        for command in envelope_commands(p) {
            self.conn.queue(&command);
        }
    }

    /// Sends `command` (unless it went out pipelined already) and reads its
    /// reply.
    async fn reply_to(
        &mut self,
        command: &Command<'_>,
        stage: Stage,
        limit: std::time::Duration,
        pipelined: bool,
    ) -> Result<Reply, Error> {
        if !pipelined {
            self.conn.queue(command);
            let write_limit = self.conn.timeouts().command;
            self.conn.flush(stage, write_limit).await?;
        }
        self.conn.read_reply(stage, limit).await
    }

    /// The replies to MAIL, RCPT and DATA (reading pipelined replies, or
    /// sending each command in turn). `Ok(Err(_))` is a refusal that leaves
    /// the session usable (RSET already sent); `Err(_)` breaks it.
    async fn envelope_replies<C: Content + ?Sized>(
        &mut self,
        p: &Prepared<'_, C>,
        pipelined: bool,
    ) -> Result<Result<Vec<RecipientResult>, Error>, Error> {
        let timeouts = *self.conn.timeouts();
        let commands = envelope_commands(p);
        let (mail_command, rest) = commands.split_first().ok_or(Error::Broken)?;
        let (data_command, rcpt_commands) = rest.split_last().ok_or(Error::Broken)?;

        self.conn.transcript().stage(Stage::Mail);
        let mail = self
            .reply_to(mail_command, Stage::Mail, timeouts.command, pipelined)
            .await?;
        if !pipelined && !mail.is_positive() {
            return Ok(Err(Error::Rejected {
                stage: Stage::Mail,
                reply: mail,
            }));
        }
        self.conn.transcript().stage(Stage::Rcpt);
        let mut recipients = Vec::with_capacity(rcpt_commands.len());
        for (command, address) in rcpt_commands.iter().zip(&p.envelope.recipients) {
            let reply = self
                .reply_to(command, Stage::Rcpt, timeouts.command, pipelined)
                .await?;
            recipients.push(RecipientResult {
                address: address.clone(),
                reply,
            });
        }
        let any_accepted = recipients.iter().any(RecipientResult::accepted);
        if !pipelined && !any_accepted {
            self.rset().await?;
            return Ok(Err(all_refused(recipients)));
        }
        self.conn.transcript().stage(Stage::Data);
        let data = self
            .reply_to(data_command, Stage::Data, timeouts.data_init, pipelined)
            .await?;
        let go = data.code().value() == 354;
        let refusal = if !mail.is_positive() {
            Error::Rejected {
                stage: Stage::Mail,
                reply: mail,
            }
        } else if !any_accepted {
            all_refused(recipients)
        } else if !go {
            Error::Rejected {
                stage: Stage::Data,
                reply: data,
            }
        } else {
            return Ok(Ok(recipients));
        };
        if go {
            // RFC 2920 §3.1: DATA went out pipelined and was accepted although
            // nothing may be sent; end the message empty, let the server refuse it.
            self.conn
                .transcript()
                .note("DATA was accepted without a usable recipient; ending it empty");
            self.conn.write_data(std::iter::empty(), &[]).await?;
            self.conn
                .read_reply(Stage::EndOfData, timeouts.data_end)
                .await?;
        }
        self.rset().await?;
        Ok(Err(refusal))
    }

    /// Streams the message, with the next transaction's commands after the
    /// final dot, and reads the final reply.
    async fn data_and_reply<C: Content + ?Sized>(
        &mut self,
        p: &Prepared<'_, C>,
        next: Option<&Prepared<'_, C>>,
        recipients: Vec<RecipientResult>,
    ) -> Result<Result<Delivery, Error>, Error> {
        self.conn.transcript().stage(Stage::Content);
        let then: Vec<Command<'_>> = next.map(envelope_commands).unwrap_or_default();
        let size = self.conn.write_data(p.content.pieces(), &then).await?;
        self.conn.transcript().stage(Stage::EndOfData);
        let limit = self.conn.timeouts().data_end;
        let reply = self.conn.read_reply(Stage::EndOfData, limit).await?;
        if !reply.is_positive() {
            return Ok(Err(Error::Rejected {
                stage: Stage::EndOfData,
                reply,
            }));
        }
        Ok(Ok(Delivery {
            recipients,
            reply,
            size,
        }))
    }

    /// RSET after a refused transaction; a refused RSET is only noted.
    async fn rset(&mut self) -> Result<(), Error> {
        self.conn.transcript().stage(Stage::Rset);
        let reply = self.conn.command(&Command::Rset, Stage::Rset).await?;
        if !reply.is_positive() {
            self.conn
                .transcript()
                .note("the server refused RSET; carrying on");
        }
        Ok(())
    }

    /// Ends the session: QUIT, the 221, and a clean shutdown of the stream.
    /// A failure here is logged: by now every letter has its answer.
    pub async fn quit(mut self) -> Result<Reply, Error> {
        if self.broken {
            return Err(Error::Broken);
        }
        self.conn.transcript().stage(Stage::Quit);
        let started = Instant::now();
        let result = self.conn.command(&Command::Quit, Stage::Quit).await;
        self.conn.shutdown().await;
        match &result {
            Ok(_) => self.conn.transcript().note(&format!(
                "connection closed ({} for QUIT)",
                format_latency(started.elapsed())
            )),
            Err(e) => self
                .conn
                .transcript()
                .error(&format!("{e}; the connection is dropped")),
        }
        result
    }

    /// Marks the session broken and logs why.
    fn broke(&mut self, e: Error) -> Error {
        self.broken = true;
        self.conn
            .transcript()
            .error(&format!("{e}; the connection is dropped"));
        e
    }

    /// Reports a failure of the opening script: QUIT first when the
    /// connection is still good, then the error.
    async fn fail(mut self, e: Error) -> Error {
        if e.breaks_connection() || self.broken {
            self.conn
                .transcript()
                .error(&format!("{e}; the connection is dropped"));
        } else {
            self.conn.transcript().error(&e.to_string());
            // The error is what matters; a failing QUIT is logged by itself.
            let _ = self.quit().await;
        }
        e
    }
}

/// MAIL, RCPT… and DATA for one letter.
fn envelope_commands<'p, C: ?Sized>(p: &Prepared<'p, C>) -> Vec<Command<'p>> {
    let mut commands = Vec::with_capacity(p.envelope.recipients.len() + 2);
    commands.push(Command::Mail {
        from: &p.envelope.from,
        params: p.params,
    });
    commands.extend(p.envelope.recipients.iter().map(|to| Command::Rcpt { to }));
    commands.push(Command::Data);
    commands
}

fn all_refused(recipients: Vec<RecipientResult>) -> Error {
    Error::AllRecipientsRefused {
        refused: recipients
            .into_iter()
            .map(|r| (r.address, r.reply))
            .collect(),
    }
}

/// Registers the password and the PLAIN blob so no line can carry them.
fn register_secrets(config: &SessionConfig, transcript: &mut Transcript) {
    if let Some(c) = &config.credentials {
        transcript.add_secret(c.password());
        transcript.add_secret(&c.plain_blob());
    }
}

/// DNS lookup and TCP connect, trying each address in turn.
async fn tcp_connect(
    config: &SessionConfig,
    transcript: &mut Transcript,
) -> Result<TcpStream, Error> {
    let host = config.bare_host();
    let limit = config.timeouts.connect;
    let lookup = tokio::net::lookup_host((host, config.port));
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(limit, lookup).await {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(e)) => {
            return Err(Error::Resolve {
                host: host.to_owned(),
                reason: e.to_string(),
            });
        }
        Err(_) => {
            return Err(Error::Resolve {
                host: host.to_owned(),
                reason: format!("no answer within {}", format_latency(limit)),
            });
        }
    };
    let mut last = None;
    for addr in &addrs {
        transcript.note(&format!(
            "connecting to {}:{} ({})",
            config.host,
            config.port,
            addr.ip()
        ));
        let started = Instant::now();
        match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                // Whole command batches are written at once; Nagle would only
                // hold them back waiting for the server's delayed ACK.
                if let Err(e) = stream.set_nodelay(true) {
                    transcript.note(&format!("could not disable Nagle's algorithm: {e}"));
                }
                let local = stream
                    .local_addr()
                    .map(|a| format!(" from {a}"))
                    .unwrap_or_default();
                transcript.note(&format!(
                    "TCP connected in {}{local}",
                    format_latency(started.elapsed())
                ));
                return Ok(stream);
            }
            Ok(Err(e)) => {
                transcript.note(&format!("{addr}: {e}"));
                last = Some(Error::Connect {
                    target: format!("{}:{}", config.host, config.port),
                    reason: e.to_string(),
                    refused: e.kind() == std::io::ErrorKind::ConnectionRefused,
                });
            }
            Err(_) => {
                transcript.note(&format!(
                    "{addr}: no answer within {}",
                    format_latency(limit)
                ));
                last = Some(Error::Connect {
                    target: format!("{}:{}", config.host, config.port),
                    reason: format!("no answer within {}", format_latency(limit)),
                    refused: false,
                });
            }
        }
    }
    Err(last.unwrap_or_else(|| Error::Resolve {
        host: host.to_owned(),
        reason: "no addresses".to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_ids_from_common_servers() {
        for (text, id) in [
            (
                "2.0.0 Ok: queued as 4Xb2Hk0dKkz9vFf",
                Some("4Xb2Hk0dKkz9vFf"),
            ),
            ("OK id=1sTuVw-000AbC-12", Some("1sTuVw-000AbC-12")),
            ("2.0.0 OK  1700000000 d2e1a72fcca58-6c (gsmtp)", None),
            ("Ok", None),
        ] {
            let d = Delivery {
                recipients: Vec::new(),
                reply: Reply::new(Code::new(250).unwrap(), vec![text.to_owned()]),
                size: 0,
            };
            assert_eq!(d.queue_id(), id, "{text}");
        }
    }

    #[test]
    fn security_names() {
        for (text, security) in [
            ("none", Security::None),
            ("STARTTLS", Security::StartTls),
            ("tls", Security::Tls),
            ("ssl", Security::Tls),
        ] {
            assert_eq!(text.parse::<Security>(), Ok(security));
        }
        assert!("opportunistic".parse::<Security>().is_err());
        assert_eq!(Security::Tls.default_port(), 465);
    }

    #[test]
    fn config_validation() {
        let good = SessionConfig {
            host: "mail.example.org".into(),
            port: 587,
            security: Security::StartTls,
            helo: "client.example.org".into(),
            timeouts: Timeouts::default(),
            credentials: None,
            auth: AuthChoice::Auto,
            allow_insecure_auth: false,
        };
        assert_eq!(good.validate(), Ok(()));
        for bad in [
            SessionConfig {
                host: String::new(),
                ..good.clone()
            },
            SessionConfig {
                host: "a b".into(),
                ..good.clone()
            },
            SessionConfig {
                port: 0,
                ..good.clone()
            },
            SessionConfig {
                helo: "x\r\nRCPT TO:<a@b>".into(),
                ..good.clone()
            },
            SessionConfig {
                helo: String::new(),
                ..good.clone()
            },
            SessionConfig {
                credentials: Some(Credentials::new("", "p")),
                ..good.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
