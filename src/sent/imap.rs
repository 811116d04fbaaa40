//! The copy over IMAP, through `async-imap` on our own TCP and TLS streams:
//! connect (implicit TLS, STARTTLS or, when allowed, plain), log in as the
//! SMTP account does, find the Sent folder, APPEND with `\Seen`, LOGOUT.
//!
//! The folder: `sent_folder` when set; else the mailbox whose LIST
//! attributes include `\Sent` (RFC 6154); else one named `Sent` (any case,
//! also under a personal namespace such as `INBOX.Sent`); else `Sent` is
//! created (and subscribed, so mail programs show it).
//!
//! The login: with an `OAuth2` choice, AUTHENTICATE with the same mechanism
//! and token; else LOGIN, or AUTHENTICATE PLAIN when the user or password
//! is not ASCII (a quoted IMAP string is 7-bit).

use std::{fmt, future::Future};

use async_imap::{
    Authenticator, Client,
    error::Error as ImapError,
    imap_proto::{Response, Status},
    types::NameAttribute,
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use futures::TryStreamExt as _;
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpStream,
};
use zeroize::Zeroizing;

use super::{ImapTarget, SavedCopy, SentError};
use crate::smtp::{
    AuthChoice, Credentials, Security, Transcript, reply::shorten, scrub::Scrubber, visible,
};

/// Any stream an IMAP client can run over (plain or TLS).
trait Io: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Io for T {}
type Stream = Box<dyn Io>;

/// The default folder, created when the server has none marked `\Sent`.
const SENT: &str = "Sent";

/// What every step needs: the target, and what must never be shown.
struct Ctx<'a> {
    target: &'a ImapTarget,
    scrubber: Scrubber,
}

impl Ctx<'_> {
    fn server(&self) -> String {
        format!("{}:{}", self.target.host, self.target.port)
    }

    /// Server text made visible, cut to a readable length, and withheld
    /// whole if it holds the password or token in any form.
    fn clean(&self, text: &str) -> String {
        let shown = visible::visible(text);
        shorten(&self.scrubber.withhold(&shown))
    }

    /// Runs one step within the deadline; its error in our words.
    async fn step<T>(
        &self,
        command: &'static str,
        fut: impl Future<Output = Result<T, ImapError>>,
    ) -> Result<T, SentError> {
        match tokio::time::timeout(self.target.timeout, fut).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.error(command, &e)),
            Err(_) => Err(SentError::Unreachable {
                server: self.server(),
                reason: format!(
                    "no answer within {} s during {command}",
                    self.target.timeout.as_secs()
                ),
            }),
        }
    }

    fn error(&self, command: &'static str, e: &ImapError) -> SentError {
        let reason = self.clean(&server_words(e));
        match e {
            ImapError::Io(_) | ImapError::ConnectionLost => SentError::Unreachable {
                server: self.server(),
                reason,
            },
            ImapError::No(_) | ImapError::Bad(_) if command == "LOGIN" => SentError::Login {
                user: self.target.user.clone(),
                reason,
            },
            ImapError::No(_) | ImapError::Bad(_) => SentError::Refused { command, reason },
            _ => SentError::Protocol { command, reason },
        }
    }
}

/// The server's own words from an error: `async-imap` formats a NO or BAD
/// as `code: …, info: Some("…")` with Rust's string escapes; the text
/// inside, unescaped, is what the server said (made visible later).
fn server_words(e: &ImapError) -> String {
    if let ImapError::Io(io) = e {
        return io.to_string();
    }
    let text = e.to_string();
    match text.split_once("info: Some(\"") {
        Some((_, info)) => undo_debug(info.strip_suffix("\")").unwrap_or(info)),
        None => text,
    }
}

/// Undoes `{:?}` string escaping: `\"`, `\\`, `\'`, `\n`, `\r`, `\t`,
/// `\0`, `\u{…}`; anything else stays as it is.
fn undo_debug(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some('u') => {
                let rest = chars.as_str();
                let code = rest
                    .strip_prefix('{')
                    .and_then(|r| r.split_once('}'))
                    .and_then(|(hex, _)| u32::from_str_radix(hex, 16).ok().map(|n| (hex.len(), n)))
                    .and_then(|(len, n)| char::from_u32(n).map(|c| (len, c)));
                match code {
                    Some((len, decoded)) => {
                        out.push(decoded);
                        chars = rest[len + 2..].chars();
                    }
                    None => out.push_str("\\u"),
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Appends `letter` to the account's Sent folder.
pub(super) async fn append(
    target: &ImapTarget,
    credentials: Option<&Credentials>,
    letter: &[u8],
    transcript: &mut Transcript,
) -> Result<SavedCopy, SentError> {
    let Some(credentials) = credentials else {
        return Err(SentError::NoPassword {
            user: target.user.clone(),
        });
    };
    let mut scrubber = Scrubber::new();
    for secret in [
        Zeroizing::new(credentials.password().to_owned()),
        credentials.plain_blob(),
        credentials.xoauth2_blob(),
        credentials.oauthbearer_blob(&target.host, target.port),
    ] {
        scrubber.add(&secret);
        transcript.add_secret(&secret);
    }
    let ctx = Ctx { target, scrubber };
    if target.security == Security::None && !target.allow_insecure_auth {
        return Err(SentError::InsecureAuth);
    }
    transcript.note(&format!(
        "IMAP: connecting to {} ({}) for the copy in Sent",
        ctx.server(),
        target.security
    ));
    let tcp = ctx
        .step("connect", async {
            Ok(TcpStream::connect((target.host.as_str(), target.port)).await?)
        })
        .await?;
    let client = match target.security {
        Security::Tls => {
            let mut client = Client::new(handshake(&ctx, tcp, transcript).await?);
            greeting(&ctx, &mut client).await?;
            client
        }
        Security::StartTls => {
            let mut plain = Client::new(Box::new(tcp) as Stream);
            greeting(&ctx, &mut plain).await?;
            ctx.step("STARTTLS", plain.run_command_and_check_ok("STARTTLS", None))
                .await?;
            // Anything the server sent after its OK stays behind with the
            // plain client: nothing injected before TLS is ever read.
            Client::new(handshake(&ctx, plain.into_inner(), transcript).await?)
        }
        Security::None => {
            transcript.error("warning: IMAP without TLS (allowed by allow_insecure_auth)");
            let mut client = Client::new(Box::new(tcp) as Stream);
            greeting(&ctx, &mut client).await?;
            client
        }
    };
    let mut session = login(&ctx, client, credentials).await?;
    transcript.note(&format!("IMAP: logged in as {}", target.user));
    let folder = find_folder(&ctx, &mut session, transcript).await?;
    let shown = ctx.clean(&folder);
    ctx.step(
        "APPEND",
        session.append(&folder, Some(r"(\Seen)"), None, letter),
    )
    .await?;
    transcript.note(&format!(
        "IMAP: the copy is in {shown:?} ({} bytes, flagged \\Seen)",
        letter.len()
    ));
    // The copy is saved; a LOGOUT that fails changes nothing.
    if let Err(e) = ctx.step("LOGOUT", session.logout()).await {
        transcript.note(&format!("IMAP: {e}"));
    }
    Ok(SavedCopy {
        place: shown,
        size: letter.len(),
    })
}

/// TLS on `tcp`, verified against the account's trust and host name.
async fn handshake(
    ctx: &Ctx<'_>,
    tcp: impl Io + 'static,
    transcript: &mut Transcript,
) -> Result<Stream, SentError> {
    let tls_error = |reason: String| SentError::Tls {
        server: ctx.server(),
        reason,
    };
    let tls = ctx.target.trust.tls();
    let connector = tls.connector().map_err(|e| tls_error(e.to_string()))?;
    let host = ctx
        .target
        .host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&ctx.target.host);
    match tokio::time::timeout(ctx.target.timeout, connector.connect(host, tcp)).await {
        Ok(Ok(stream)) => {
            transcript.note("IMAP: TLS established");
            Ok(Box::new(stream))
        }
        Ok(Err(e)) => Err(tls_error(ctx.clean(&e.to_string()))),
        Err(_) => Err(SentError::Unreachable {
            server: ctx.server(),
            reason: "no TLS handshake in time".to_owned(),
        }),
    }
}

/// The server's greeting: `* OK` (or `* PREAUTH`); `* BYE` refuses.
async fn greeting(ctx: &Ctx<'_>, client: &mut Client<Stream>) -> Result<(), SentError> {
    let response = ctx
        .step("the greeting", async { Ok(client.read_response().await?) })
        .await?;
    let Some(response) = response else {
        return Err(SentError::Unreachable {
            server: ctx.server(),
            reason: "the server closed the connection before its greeting".to_owned(),
        });
    };
    match response.parsed() {
        Response::Data {
            status: Status::Ok | Status::PreAuth,
            ..
        } => Ok(()),
        Response::Data { status, outcome } => Err(SentError::Unreachable {
            server: ctx.server(),
            reason: format!(
                "the greeting is {status:?}: {}",
                ctx.clean(outcome.information.as_deref().unwrap_or_default())
            ),
        }),
        other => Err(SentError::Protocol {
            command: "the greeting",
            reason: ctx.clean(&format!("{other:?}")),
        }),
    }
}

/// A SASL exchange for `AUTHENTICATE`: the first answer is the initial
/// response; a later challenge is a refusal (an `OAuth2` error JSON), which
/// is kept for the error and answered with what ends the exchange.
struct Sasl {
    first: Option<Zeroizing<Vec<u8>>>,
    end: &'static [u8],
    refusal: Option<Vec<u8>>,
}

/// A SASL answer, wiped when `async-imap` is done with it.
struct Answer(Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for Answer {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Authenticator for &mut Sasl {
    type Response = Answer;

    fn process(&mut self, challenge: &[u8]) -> Answer {
        match self.first.take() {
            Some(first) => Answer(first),
            None => {
                self.refusal.get_or_insert_with(|| challenge.to_vec());
                Answer(Zeroizing::new(self.end.to_vec()))
            }
        }
    }
}

/// Logs in as the SMTP account does.
async fn login(
    ctx: &Ctx<'_>,
    client: Client<Stream>,
    credentials: &Credentials,
) -> Result<async_imap::Session<Stream>, SentError> {
    let target = ctx.target;
    let password = credentials.password();
    let (mechanism, blob, end): (&str, Zeroizing<String>, &'static [u8]) = match target.auth {
        AuthChoice::XOAuth2 => ("XOAUTH2", credentials.xoauth2_blob(), b""),
        AuthChoice::OAuthBearer => (
            "OAUTHBEARER",
            credentials.oauthbearer_blob(&target.host, target.port),
            b"\x01",
        ),
        AuthChoice::Auto | AuthChoice::Login | AuthChoice::Plain
            if target.user.is_ascii() && password.is_ascii() =>
        {
            let result =
                tokio::time::timeout(target.timeout, client.login(&target.user, password)).await;
            return match result {
                Ok(Ok(session)) => Ok(session),
                Ok(Err((e, _))) => Err(ctx.error("LOGIN", &e)),
                Err(_) => Err(ctx.error("LOGIN", &ImapError::ConnectionLost)),
            };
        }
        AuthChoice::Auto | AuthChoice::Login | AuthChoice::Plain => {
            ("PLAIN", credentials.plain_blob(), b"")
        }
    };
    let raw = STANDARD
        .decode(blob.as_bytes())
        .map(Zeroizing::new)
        .map_err(|e| SentError::Protocol {
            command: "AUTHENTICATE",
            reason: e.to_string(),
        })?;
    let mut sasl = Sasl {
        first: Some(raw),
        end,
        refusal: None,
    };
    let result =
        tokio::time::timeout(target.timeout, client.authenticate(mechanism, &mut sasl)).await;
    match result {
        Ok(Ok(session)) => Ok(session),
        Ok(Err((e, _))) => {
            let mut error = ctx.error("LOGIN", &e);
            if let (SentError::Login { reason, .. }, Some(said)) = (&mut error, &sasl.refusal) {
                let said = ctx.clean(&String::from_utf8_lossy(said));
                *reason = format!("{reason}; it said {said}");
            }
            Err(error)
        }
        Err(_) => Err(ctx.error("LOGIN", &ImapError::ConnectionLost)),
    }
}

/// The folder to append to, created if needed.
async fn find_folder(
    ctx: &Ctx<'_>,
    session: &mut async_imap::Session<Stream>,
    transcript: &mut Transcript,
) -> Result<String, SentError> {
    let wanted = ctx.target.folder.as_deref().map(utf7_imap);
    // One LIST of everything: the configured name is checked against it,
    // and without one the \Sent attribute decides.
    let names: Vec<(String, bool)> = ctx
        .step("LIST", async {
            session
                .list(Some(""), Some("\"*\""))
                .await?
                .map_ok(|name| {
                    let sent = name
                        .attributes()
                        .iter()
                        .any(|a| matches!(a, NameAttribute::Sent));
                    (name.name().to_owned(), sent)
                })
                .try_collect()
                .await
        })
        .await?;
    let found = match &wanted {
        Some(wanted) => names.iter().find(|(n, _)| n == wanted),
        None => names.iter().find(|(_, sent)| *sent).or_else(|| {
            names.iter().find(|(n, _)| {
                let last = n.rsplit(['.', '/']).next().unwrap_or(n);
                last.eq_ignore_ascii_case(SENT)
            })
        }),
    };
    if let Some((name, marked)) = found {
        let how = if *marked { " (marked \\Sent)" } else { "" };
        transcript.note(&format!(
            "IMAP: the Sent folder is {:?}{how}",
            ctx.clean(name)
        ));
        return Ok(name.clone());
    }
    let name = wanted.unwrap_or_else(|| SENT.to_owned());
    ctx.step("CREATE", session.create(&name)).await?;
    transcript.note(&format!("IMAP: created the folder {:?}", ctx.clean(&name)));
    // Mail programs that show subscribed folders only should show it; a
    // refusal changes nothing for the copy.
    if let Err(e) = ctx.step("SUBSCRIBE", session.subscribe(&name)).await {
        transcript.note(&format!("IMAP: {e}"));
    }
    Ok(name)
}

/// A mailbox name in IMAP's modified UTF-7 (RFC 3501 §5.1.3): `&` is
/// `&-`, printable ASCII stays, anything else is base64 of UTF-16BE with
/// `,` for `/`, between `&` and `-`.
pub(super) fn utf7_imap(name: &str) -> String {
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&STANDARD_NO_PAD.encode(bytes).replace('/', ","));
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            out.push(c);
            if c == '&' {
                out.push('-');
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_utf7_follows_rfc_3501() {
        for (name, wire) in [
            ("Sent", "Sent"),
            ("Sent & Saved", "Sent &- Saved"),
            // RFC 3501 §5.1.3's example.
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
        ] {
            assert_eq!(utf7_imap(name), wire, "{name}");
        }
    }

    #[test]
    fn server_words_are_taken_from_a_no() {
        let no = ImapError::No(
            r#"code: Some(TryCreate), info: Some("Mailbox doesn't exist: Sent")"#.into(),
        );
        assert_eq!(server_words(&no), "Mailbox doesn't exist: Sent");
        let hostile = ImapError::No(format!(
            "code: None, info: Some({:?})",
            "\x1b]2;x\x07 \"q\" \\ \u{202e}\r\n"
        ));
        assert_eq!(server_words(&hostile), "\x1b]2;x\x07 \"q\" \\ \u{202e}\r\n");
        assert_eq!(undo_debug(r"\u{zz} \u{110000}"), r"\u{zz} \u{110000}");
        assert_eq!(server_words(&ImapError::ConnectionLost), "connection lost");
    }
}
