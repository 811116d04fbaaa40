//! Credentials and the AUTH mechanisms (RFC 4954, RFC 4616, LOGIN, and the
//! `OAuth2` bearer-token mechanisms XOAUTH2 and RFC 7628 OAUTHBEARER).
//!
//! With an `OAuth2` mechanism the "password" is an access token printed by a
//! token helper (the password command); everything that keeps a password
//! out of the output keeps the token out too.

use std::fmt;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use zeroize::Zeroizing;

use tokio::io::{AsyncRead, AsyncWrite};

use super::{
    capabilities::{Capabilities, Mechanism},
    command::Command,
    config::SessionConfig,
    connection::Connection,
    error::Error,
    transcript::Stage,
};

/// A user name and password (or `OAuth2` access token). `Debug` shows the
/// user only; the password is wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: Zeroizing<String>,
}

impl Credentials {
    /// Credentials from their parts.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            username: username.into(),
            password: Zeroizing::new(password.into()),
        }
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password, for the AUTH exchange and for redaction only.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The RFC 4616 PLAIN message, base64: `\0user\0password`.
    pub(crate) fn plain_blob(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(Vec::with_capacity(
            self.username.len() + self.password.len() + 2,
        ));
        raw.push(0);
        raw.extend_from_slice(self.username.as_bytes());
        raw.push(0);
        raw.extend_from_slice(self.password.as_bytes());
        Zeroizing::new(STANDARD.encode(&*raw))
    }

    /// The XOAUTH2 initial response, base64:
    /// `user=USER ^A auth=Bearer TOKEN ^A ^A` (Google's and Microsoft's
    /// documented form; `^A` is the byte 0x01).
    pub(crate) fn xoauth2_blob(&self) -> Zeroizing<String> {
        base64_of(&[
            b"user=",
            self.username.as_bytes(),
            b"\x01auth=Bearer ",
            self.password.as_bytes(),
            b"\x01\x01",
        ])
    }

    /// The OAUTHBEARER initial response (RFC 7628 §3.1), base64: the GS2
    /// header `n,a=USER,` then `^A host=HOST ^A port=PORT ^A auth=Bearer
    /// TOKEN ^A ^A`. The user is a SASL name (RFC 5801): `,` and `=` escaped.
    pub(crate) fn oauthbearer_blob(&self, host: &str, port: u16) -> Zeroizing<String> {
        let user = self.username.replace('=', "=3D").replace(',', "=2C");
        base64_of(&[
            b"n,a=",
            user.as_bytes(),
            b",\x01host=",
            host.as_bytes(),
            b"\x01port=",
            port.to_string().as_bytes(),
            b"\x01auth=Bearer ",
            self.password.as_bytes(),
            b"\x01\x01",
        ])
    }
}

/// Base64 of the parts joined, built in one buffer of the right size, so
/// no reallocation leaves a copy of the secret behind; wiped on drop.
fn base64_of(parts: &[&[u8]]) -> Zeroizing<String> {
    let mut raw = Zeroizing::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
    for part in parts {
        raw.extend_from_slice(part);
    }
    Zeroizing::new(STANDARD.encode(&*raw))
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Which mechanism to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthChoice {
    /// PLAIN if offered (one round trip), else LOGIN.
    #[default]
    Auto,
    /// Only LOGIN.
    Login,
    /// Only PLAIN.
    Plain,
    /// Only XOAUTH2: the password is an `OAuth2` access token.
    #[serde(rename = "xoauth2")]
    XOAuth2,
    /// Only OAUTHBEARER (RFC 7628): the password is an `OAuth2` access token.
    #[serde(rename = "oauthbearer")]
    OAuthBearer,
}

impl fmt::Display for AuthChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthChoice::Auto => "auto",
            AuthChoice::Login => "login",
            AuthChoice::Plain => "plain",
            AuthChoice::XOAuth2 => "xoauth2",
            AuthChoice::OAuthBearer => "oauthbearer",
        })
    }
}

impl std::str::FromStr for AuthChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(AuthChoice::Auto),
            "login" => Ok(AuthChoice::Login),
            "plain" => Ok(AuthChoice::Plain),
            "xoauth2" => Ok(AuthChoice::XOAuth2),
            "oauthbearer" => Ok(AuthChoice::OAuthBearer),
            other => Err(format!(
                "unknown auth mechanism {other:?} (expected auto, login, plain, xoauth2 or oauthbearer)"
            )),
        }
    }
}

impl AuthChoice {
    /// Every choice, in the order the form cycles through them.
    pub const NAMES: &'static [&'static str] =
        &["auto", "login", "plain", "xoauth2", "oauthbearer"];

    /// Whether the password is an `OAuth2` access token.
    pub fn is_oauth(self) -> bool {
        matches!(self, AuthChoice::XOAuth2 | AuthChoice::OAuthBearer)
    }

    /// The mechanism to use with this server, or `None` when it offers none
    /// that the choice allows. `Auto` never picks an `OAuth2` mechanism: a
    /// password is not a token, and sending it as one would only fail.
    pub fn pick(self, caps: &Capabilities) -> Option<Mechanism> {
        let candidates: &[Mechanism] = match self {
            AuthChoice::Auto => &[Mechanism::Plain, Mechanism::Login],
            AuthChoice::Login => &[Mechanism::Login],
            AuthChoice::Plain => &[Mechanism::Plain],
            AuthChoice::XOAuth2 => &[Mechanism::XOAuth2],
            AuthChoice::OAuthBearer => &[Mechanism::OAuthBearer],
        };
        candidates.iter().copied().find(|m| caps.offers(*m))
    }
}

/// What a LOGIN server asks for in a 334 challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prompt {
    Username,
    Password,
}

/// Decodes a base64 334 challenge for the transcript; `None` if it is not
/// base64 or decodes to nothing. The decoded bytes are the server's words:
/// they come back [`visible`](super::visible::visible_bytes), so an escape
/// sequence hidden in base64 cannot reach the terminal either.
pub(crate) fn decode_challenge(text: &str) -> Option<String> {
    let raw = STANDARD.decode(text.trim()).ok()?;
    (!raw.is_empty()).then(|| super::visible::visible_bytes(&raw).into_owned())
}

/// What a LOGIN challenge asks for. Servers spell it `Username:`,
/// `User Name`, `login:`…; unknown prompts are answered in order (user
/// first), which is what every LOGIN server expects.
pub(crate) fn login_prompt(challenge: &str, round: usize) -> Prompt {
    let decoded = decode_challenge(challenge)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let asks_user = decoded.contains("user") || decoded.contains("login");
    if decoded.contains("pass") || (round > 0 && !asks_user) {
        Prompt::Password
    } else {
        Prompt::Username
    }
}

/// Base64 of a credential, wiped on drop.
pub(crate) fn encode_secret(value: &str) -> Zeroizing<String> {
    Zeroizing::new(STANDARD.encode(value))
}

/// AUTH PLAIN or LOGIN, never on an unencrypted connection unless allowed.
pub(super) async fn authenticate<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Connection<S>,
    caps: &Capabilities,
    credentials: &Credentials,
    config: &SessionConfig,
) -> Result<(), Error> {
    conn.transcript().stage(Stage::Auth);
    if !conn.is_encrypted() {
        if !config.allow_insecure_auth {
            return Err(Error::InsecureAuth);
        }
        conn.transcript()
            .error("warning: sending credentials without TLS (allowed by --allow-insecure-auth)");
    }
    let Some(mechanism) = config.auth.pick(caps) else {
        return Err(Error::AuthUnsupported {
            offered: caps.auth.clone(),
            wanted: config.auth,
        });
    };
    /// Enough for LOGIN's two prompts plus a server's odd extra round.
    const MAX_ROUNDS: usize = 5;
    let blob = match mechanism {
        Mechanism::Plain | Mechanism::Login => credentials.plain_blob(),
        Mechanism::XOAuth2 => credentials.xoauth2_blob(),
        Mechanism::OAuthBearer => credentials.oauthbearer_blob(config.bare_host(), config.port),
    };
    let first = Command::Auth {
        mechanism,
        initial: (mechanism != Mechanism::Login).then_some(blob.as_str()),
    };
    let mut reply = conn.command(&first, Stage::Auth).await?;
    let mut round = 0;
    // The decoded error an OAuth2 server sent in its 334 (RFC 7628 §3.2.2).
    let mut oauth_error = None;
    while reply.code().value() == 334 {
        if round == MAX_ROUNDS {
            conn.command(&Command::AuthCancel, Stage::Auth).await?;
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
            Mechanism::XOAuth2 | Mechanism::OAuthBearer if challenge.trim().is_empty() => {
                (Zeroizing::new(blob.to_string()), "credentials")
            }
            // A 334 with text is the token's refusal, a base64 JSON
            // object; the exchange must be ended before the final reply.
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => {
                if oauth_error.is_none() {
                    oauth_error = if reply.is_withheld() {
                        // It echoed the token: say so, show nothing of it.
                        Some(super::scrub::WITHHELD.to_owned())
                    } else {
                        decode_challenge(challenge)
                            .map(|text| conn.transcript().withhold(&text).into_owned())
                    };
                }
                let end = Command::SaslEnd {
                    base64: end_of_failed_exchange(mechanism),
                };
                reply = conn.command(&end, Stage::Auth).await?;
                round += 1;
                continue;
            }
        };
        let command = Command::AuthAnswer {
            base64: &answer,
            what,
        };
        reply = conn.command(&command, Stage::Auth).await?;
        round += 1;
    }
    // Any refusal at the end of AUTH is an authentication failure, whatever
    // its code (535 bad credentials, 534 app password or web login needed,
    // 530 TLS or policy first, 554 refused by policy, 454 try later): the
    // exit status (77, or 75 for 4xx) and the hint follow from the reply.
    if reply.is_positive() {
        Ok(())
    } else if mechanism.is_oauth() {
        Err(Error::TokenRefused {
            mechanism,
            reply,
            challenge: oauth_error,
        })
    } else {
        Err(Error::AuthFailed { reply })
    }
}

/// What ends an `OAuth2` exchange after the server's error challenge: an
/// empty line for XOAUTH2 (Google's and Microsoft's documents), the dummy
/// `%x01` (base64 `AQ==`) for OAUTHBEARER (RFC 7628 §3.2.3).
pub(crate) fn end_of_failed_exchange(mechanism: Mechanism) -> &'static str {
    match mechanism {
        Mechanism::OAuthBearer => "AQ==",
        Mechanism::Plain | Mechanism::Login | Mechanism::XOAuth2 => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::reply::{Code, Reply};

    #[test]
    fn plain_blob_follows_rfc_4616() {
        let c = Credentials::new("tim", "tanstaaftanstaaf");
        assert_eq!(*c.plain_blob(), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
        let utf8 = Credentials::new("ivan@lab.example", "пароль");
        let raw = STANDARD.decode(utf8.plain_blob().as_bytes()).unwrap();
        assert_eq!(raw, "\0ivan@lab.example\0пароль".as_bytes());
    }

    /// Google's documented example (user and token from its XOAUTH2 page)
    /// and RFC 7628 §4.1's, byte for byte; a SASL name escapes `,` and `=`.
    #[test]
    fn oauth_blobs_follow_google_and_rfc_7628() {
        let google = Credentials::new(
            "someuser@example.com",
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
        );
        let decode = |b: &str| String::from_utf8(STANDARD.decode(b).unwrap()).unwrap();
        for (blob, raw) in [
            (
                google.xoauth2_blob(),
                "user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01",
            ),
            (
                Credentials::new(
                    "user@example.com",
                    "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
                )
                .oauthbearer_blob("server.example.com", 143),
                "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01",
            ),
            (
                Credentials::new("a,b=c", "t").oauthbearer_blob("h", 587),
                "n,a=a=2Cb=3Dc,\x01host=h\x01port=587\x01auth=Bearer t\x01\x01",
            ),
        ] {
            assert_eq!(decode(&blob), raw);
        }
        assert_eq!(
            *google.xoauth2_blob(),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        );
    }

    #[test]
    fn debug_never_shows_the_password() {
        let c = Credentials::new("bob", "s3cr3t-pass");
        let debug = format!("{c:?}");
        assert_eq!(debug, r#"Credentials { username: "bob", .. }"#);
    }

    #[test]
    fn login_prompts_in_several_spellings() {
        for (challenge, round, expected) in [
            ("VXNlcm5hbWU6", 0, Prompt::Username),     // Username:
            ("UGFzc3dvcmQ6", 1, Prompt::Password),     // Password:
            ("VXNlciBOYW1lAA==", 0, Prompt::Username), // "User Name\0" (old Exchange)
            ("dXNlcm5hbWU6", 0, Prompt::Username),     // username:
            ("cGFzc3dvcmQ6", 1, Prompt::Password),     // password:
            ("bG9naW46", 0, Prompt::Username),         // login:
            ("", 0, Prompt::Username),                 // empty challenge: answer in order
            ("", 1, Prompt::Password),
            ("!!not base64!!", 1, Prompt::Password),
        ] {
            assert_eq!(login_prompt(challenge, round), expected, "{challenge:?}");
        }
    }

    #[test]
    fn decoded_challenges_for_the_transcript() {
        assert_eq!(
            decode_challenge("VXNlcm5hbWU6").as_deref(),
            Some("Username:")
        );
        assert_eq!(
            decode_challenge("UGFzc3dvcmQ6").as_deref(),
            Some("Password:")
        );
        assert_eq!(decode_challenge(""), None);
        assert_eq!(decode_challenge("!!"), None);
        for (challenge, shown) in [
            ("AAEC", "\\x00\\x01\\x02"),
            ("G10yO2M7aGkH", "\\x1b]2;c;hi\\x07"), // ESC ] 2 ; c ; h i BEL
            ("4oCuZXhl/w==", "\\u{202e}exe\\xff"),
        ] {
            assert_eq!(decode_challenge(challenge).as_deref(), Some(shown));
        }
    }

    #[test]
    fn auto_prefers_plain_then_login() {
        let with = |mechs: &[&str]| {
            let mut caps =
                Capabilities::from_ehlo(&Reply::new(Code::new(250).unwrap(), vec!["mx".into()]));
            caps.auth = mechs.iter().map(ToString::to_string).collect();
            caps
        };
        for (choice, offered, expected) in [
            (
                AuthChoice::Auto,
                &["LOGIN", "PLAIN"][..],
                Some(Mechanism::Plain),
            ),
            (AuthChoice::Auto, &["LOGIN"][..], Some(Mechanism::Login)),
            (AuthChoice::Auto, &["CRAM-MD5"][..], None),
            (AuthChoice::Auto, &[][..], None),
            (
                AuthChoice::Login,
                &["PLAIN", "LOGIN"][..],
                Some(Mechanism::Login),
            ),
            (AuthChoice::Login, &["PLAIN"][..], None),
            (AuthChoice::Plain, &["PLAIN"][..], Some(Mechanism::Plain)),
            // A password is not a token: auto never picks OAuth2.
            (AuthChoice::Auto, &["XOAUTH2", "OAUTHBEARER"][..], None),
            (
                AuthChoice::Auto,
                &["XOAUTH2", "OAUTHBEARER", "LOGIN"][..],
                Some(Mechanism::Login),
            ),
            (
                AuthChoice::XOAuth2,
                &["PLAIN", "XOAUTH2", "OAUTHBEARER"][..],
                Some(Mechanism::XOAuth2),
            ),
            (
                AuthChoice::OAuthBearer,
                &["XOAUTH2", "OAUTHBEARER"][..],
                Some(Mechanism::OAuthBearer),
            ),
            (AuthChoice::XOAuth2, &["PLAIN", "LOGIN"][..], None),
        ] {
            assert_eq!(
                choice.pick(&with(offered)),
                expected,
                "{choice} {offered:?}"
            );
        }
    }

    #[test]
    fn choices_parse_case_insensitively() {
        assert_eq!("LOGIN".parse(), Ok(AuthChoice::Login));
        assert_eq!("auto".parse(), Ok(AuthChoice::Auto));
        for name in AuthChoice::NAMES {
            let choice: AuthChoice = name.to_ascii_uppercase().parse().unwrap();
            assert_eq!(choice.to_string(), *name);
            assert_eq!(choice.is_oauth(), name.contains("oauth"));
        }
        assert!("cram-md5".parse::<AuthChoice>().is_err());
    }
}
