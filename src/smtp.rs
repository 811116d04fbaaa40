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
mod config;
pub mod connection;
pub mod error;
pub mod raw;
pub mod reply;
pub mod scrub;
mod session;
pub mod timeline;
pub mod tls;
mod transaction;
pub mod transcript;
pub mod visible;

use std::borrow::Cow;

use tokio::io::{AsyncRead, AsyncWrite};

pub use self::{
    auth::{AuthChoice, Credentials},
    capabilities::{Capabilities, Mechanism},
    command::{Command, MailParams},
    config::{Security, SessionConfig},
    connection::{Connection, Timeouts},
    error::{Advice, Error},
    raw::{ManualState, Transaction},
    reply::{Code, Enhanced, Reply, Severity},
    session::Session,
    timeline::{Phase, Timeline},
    transaction::mail_params,
    transcript::{Dir, Event, LogLine, Stage, Transcript},
};

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
    /// Where the transaction's time went (with the session's opening when
    /// it was the first on the session).
    pub timeline: Timeline,
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
                timeline: Timeline::default(),
            };
            assert_eq!(d.queue_id(), id, "{text}");
        }
    }
}
