//! The copy of a sent letter: after the server accepted a letter (for every
//! recipient or some), the exact bytes it was given — before dot-stuffing,
//! what `--eml` saves — go where the settings say:
//!
//! - `sent = "imap"`: appended over IMAP to the folder marked `\Sent`
//!   (RFC 6154), else to `Sent` (created if missing), flagged `\Seen`;
//! - `sent = "maildir:PATH"`: written to a local Maildir, flag `S`.
//!
//! A copy that cannot be saved never turns a delivered letter into a
//! failure: it is kept in a private queue ([`Queue`],
//! `$XDG_DATA_HOME/smtpwire/sent-queue/`) and tried again at the next start
//! or by `smtpwire sent --retry` ([`retry_queue`]).
//!
//! The IMAP login is the SMTP login (the same user, password or `OAuth2`
//! token, and trust); the password is registered with the transcript, so
//! no progress line or error shows it, and server text is made visible.

mod imap;
mod maildir;
mod queue;

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

pub use self::queue::{
    CopyOutcome, Kept, KeptCopy, Origin, Queue, QueueError, QueueLock, RetryLogin, RetryOutcome,
    RetryReport, copy_settings, keep_unsaved, retry_queue, save_or_keep,
};
use crate::{
    files, providers,
    resolve::{self, Trust},
    settings::{DEFAULT_TIMEOUT, SentTo, Settings},
    smtp::{AuthChoice, Credentials, Security, Transcript},
};

/// Where the copy goes, resolved from the settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SentTarget {
    /// The Sent folder of an IMAP account.
    Imap(ImapTarget),
    /// A local Maildir (its root: `cur`, `new` and `tmp` are inside).
    Maildir(PathBuf),
}

/// An IMAP account to append the copy to. No secret in here: the password
/// is passed to [`save_copy`] separately.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImapTarget {
    /// Host name or IP address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Implicit TLS, STARTTLS or none.
    pub security: Security,
    /// The folder as configured (`sent_folder`); `None`: the one marked
    /// `\Sent`, else `Sent`.
    pub folder: Option<String>,
    /// The login.
    pub user: String,
    /// The SMTP mechanism choice: an `OAuth2` one makes the IMAP login
    /// AUTHENTICATE with the same mechanism and token.
    pub auth: AuthChoice,
    /// Whom to trust (the account's, as for SMTP).
    pub trust: Trust,
    /// The deadline of each step.
    pub timeout: Duration,
    /// Whether the password may go out without TLS (`security = "none"`).
    pub allow_insecure_auth: bool,
}

/// Why the settings name no usable place for the copy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// IMAP without a login.
    #[error("sent = \"imap\" needs a user to log in to IMAP: set user")]
    NoUser,
    /// IMAP with no server to derive it from.
    #[error("sent = \"imap\" needs an IMAP server: set imap_server (or server)")]
    NoServer,
    /// The trust settings cannot make a TLS session.
    #[error(transparent)]
    Trust(#[from] resolve::Error),
    /// `maildir:~/…` without a home folder.
    #[error("cannot expand ~ in the Maildir path {0}: HOME is not set")]
    NoHome(PathBuf),
}

impl SentTarget {
    /// The target these settings describe, `None` when no copy is wanted.
    ///
    /// IMAP defaults: `imap_server`, else the IMAP server of the provider
    /// whose SMTP server (or whose address domain, from the user) this is,
    /// else the SMTP server's host; `imap_security` else the provider's,
    /// else `starttls` on port 143 and `tls` otherwise; `imap_port` else
    /// 993 for `tls` and 143 for the others.
    pub fn resolve(settings: &Settings) -> Result<Option<SentTarget>, TargetError> {
        match &settings.sent {
            None | Some(SentTo::None) => Ok(None),
            Some(SentTo::Maildir(path)) => Ok(Some(SentTarget::Maildir(expand_home(path)?))),
            Some(SentTo::Imap) => imap_target(settings).map(|t| Some(SentTarget::Imap(t))),
        }
    }

    /// One line for notes and reports: `IMAP alice@example.org at
    /// imap.example.org:993 (tls)` or `Maildir /home/alice/Mail/Sent`.
    pub fn describe(&self) -> String {
        match self {
            SentTarget::Imap(t) => format!(
                "IMAP {} at {}:{} ({}){}",
                t.user,
                t.host,
                t.port,
                t.security,
                t.folder
                    .as_deref()
                    .map(|f| format!(", folder {f:?}"))
                    .unwrap_or_default()
            ),
            SentTarget::Maildir(path) => format!("Maildir {}", path.display()),
        }
    }

    /// The IMAP login, when the target needs one.
    pub fn user(&self) -> Option<&str> {
        match self {
            SentTarget::Imap(t) => Some(&t.user),
            SentTarget::Maildir(_) => None,
        }
    }

    /// Whether both name the same place (the same IMAP login at the same
    /// server, or the same Maildir), whatever their deadlines.
    pub fn same_place(&self, other: &SentTarget) -> bool {
        match (self, other) {
            (SentTarget::Imap(a), SentTarget::Imap(b)) => {
                a.host.eq_ignore_ascii_case(&b.host) && a.port == b.port && a.user == b.user
            }
            (SentTarget::Maildir(a), SentTarget::Maildir(b)) => a == b,
            _ => false,
        }
    }

    /// The same target with each step's deadline at most `limit` (the quiet
    /// retry at start-up must not hold up a send).
    #[must_use]
    pub fn with_deadline(mut self, limit: Duration) -> SentTarget {
        if let SentTarget::Imap(t) = &mut self {
            t.timeout = t.timeout.min(limit);
        }
        self
    }
}

fn imap_target(settings: &Settings) -> Result<ImapTarget, TargetError> {
    let user = settings
        .user
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or(TargetError::NoUser)?;
    let smtp_host = settings
        .server
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty());
    let provider = smtp_host
        .and_then(|host| {
            providers::PROVIDERS
                .iter()
                .find(|p| p.smtp.host.eq_ignore_ascii_case(host))
        })
        .or_else(|| {
            user.rsplit_once('@')
                .and_then(|(_, domain)| providers::for_domain(domain))
        })
        .and_then(|p| p.imap);
    let (host, derived) = match (&settings.imap_server, provider, smtp_host) {
        (Some(host), _, _) => (host.clone(), None),
        (None, Some(imap), _) => (imap.server.host.to_owned(), Some(imap)),
        (None, None, Some(host)) => (host.to_owned(), None),
        (None, None, None) => return Err(TargetError::NoServer),
    };
    let security = settings
        .imap_security
        .unwrap_or(match (settings.imap_port, derived) {
            (Some(143), _) => Security::StartTls,
            (None, Some(imap)) => imap.server.security,
            _ => Security::Tls,
        });
    let port = settings.imap_port.unwrap_or(match (derived, security) {
        (Some(imap), _) if imap.server.security == security => imap.server.port,
        (_, Security::Tls) => 993,
        (_, Security::StartTls | Security::None) => 143,
    });
    Ok(ImapTarget {
        host,
        port,
        security,
        folder: settings
            .sent_folder
            .clone()
            .or_else(|| derived.and_then(|i| i.sent_folder).map(str::to_owned)),
        user: derived.map_or_else(|| user.to_owned(), |imap| imap.login.apply(user)),
        auth: settings.auth.unwrap_or_default(),
        trust: resolve::trust(settings)?,
        timeout: Duration::from_secs(settings.timeout.unwrap_or(DEFAULT_TIMEOUT)),
        allow_insecure_auth: settings.allow_insecure_auth.unwrap_or(false),
    })
}

/// `~/Mail` → `$HOME/Mail`; a relative path from the current folder.
fn expand_home(path: &Path) -> Result<PathBuf, TargetError> {
    let expanded = match path.strip_prefix("~") {
        Ok(rest) => std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|home| PathBuf::from(home).join(rest))
            .ok_or_else(|| TargetError::NoHome(path.to_owned()))?,
        Err(_) => path.to_owned(),
    };
    Ok(std::path::absolute(&expanded).unwrap_or(expanded))
}

/// Where a copy went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedCopy {
    /// The IMAP folder (as the server names it) or the Maildir file.
    pub place: String,
    /// Its size in bytes.
    pub size: usize,
}

/// Why a copy could not be saved. Every text is made visible and holds no
/// secret (server text in which the password or token shows is withheld).
#[derive(Debug, thiserror::Error)]
pub enum SentError {
    /// The server could not be reached, or the connection failed or timed
    /// out: trying again later may work.
    #[error("cannot reach the IMAP server {server}: {reason}")]
    Unreachable {
        /// `host:port`.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// TLS could not be set up or the handshake failed.
    #[error("TLS with the IMAP server {server} failed: {reason}")]
    Tls {
        /// `host:port`.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// The login was refused.
    #[error("the IMAP server refused the login of {user}: {reason}")]
    Login {
        /// The login.
        user: String,
        /// The server's words.
        reason: String,
    },
    /// A login is needed but no password (or token) was given.
    #[error("the IMAP login of {user} needs a password (or token), and none was given")]
    NoPassword {
        /// The login.
        user: String,
    },
    /// The password would go out without TLS.
    #[error(
        "refusing to send the password to the IMAP server without TLS (imap_security = \"none\"; allow_insecure_auth allows it)"
    )]
    InsecureAuth,
    /// A command was refused (LIST, CREATE, APPEND).
    #[error("the IMAP server refused {command}: {reason}")]
    Refused {
        /// The command.
        command: &'static str,
        /// The server's words.
        reason: String,
    },
    /// The server broke the protocol.
    #[error("the IMAP server's answer to {command} made no sense: {reason}")]
    Protocol {
        /// The command.
        command: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The Maildir could not be written.
    #[error("cannot write the copy to the Maildir: {0}")]
    Maildir(#[from] files::Error),
    /// The composer quit while the copy was on its way.
    #[error("smtpwire quit before the copy was saved")]
    Interrupted,
}

impl SentError {
    /// Whether trying again later, unchanged, may work (network trouble);
    /// a refused login or a broken Maildir needs a change first. Every
    /// failed copy is kept either way.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SentError::Unreachable { .. } | SentError::Protocol { .. } | SentError::Interrupted
        )
    }
}

/// Saves one copy of `letter` (the bytes as sent, before dot-stuffing).
/// Progress goes to `transcript` as notes; the password is registered with
/// it first. `credentials` must be the IMAP login's (the SMTP login's).
pub async fn save_copy(
    target: &SentTarget,
    credentials: Option<&Credentials>,
    letter: &[u8],
    transcript: &mut Transcript,
) -> Result<SavedCopy, SentError> {
    match target {
        SentTarget::Imap(imap) => imap::append(imap, credentials, letter, transcript).await,
        SentTarget::Maildir(root) => {
            let root = root.clone();
            let bytes = letter.to_vec();
            let written = tokio::task::spawn_blocking(move || maildir::deliver(&root, &bytes))
                .await
                .map_err(|e| {
                    SentError::Maildir(files::Error::Write {
                        path: PathBuf::from("maildir"),
                        source: std::io::Error::other(e.to_string()),
                    })
                })??;
            transcript.note(&format!(
                "the copy is in {} ({} bytes, flagged seen)",
                written.display(),
                letter.len()
            ));
            Ok(SavedCopy {
                place: written.display().to_string(),
                size: letter.len(),
            })
        }
    }
}

/// The retry a front-end runs at start-up: only the copies bound for the
/// place it is about to use, logged in with the credentials it has (the
/// composer and `smtpwire send` hold the account's password already).
#[derive(Debug)]
pub struct SameAccount {
    /// `None`: no copy wanted now, so none is tried (the report still
    /// counts what waits).
    target: Option<SentTarget>,
    credentials: Option<Credentials>,
}

impl SameAccount {
    /// Copies for `target`, with `credentials`.
    pub fn new(target: SentTarget, credentials: Option<Credentials>) -> SameAccount {
        SameAccount {
            target: Some(target),
            credentials,
        }
    }

    /// No place: every copy is skipped.
    pub fn none() -> SameAccount {
        SameAccount {
            target: None,
            credentials: None,
        }
    }
}

impl RetryLogin for SameAccount {
    fn wants(&mut self, _: &KeptCopy, target: &SentTarget) -> bool {
        self.target.as_ref().is_some_and(|t| t.same_place(target))
    }

    fn credentials(&mut self, _: &KeptCopy, _: &SentTarget) -> Result<Option<Credentials>, String> {
        Ok(self.credentials.clone())
    }
}

/// How long each step of the retry at start-up may take: it runs before
/// the letter goes, so an IMAP server that does not answer must not hold
/// the letter up for long.
pub const START_DEADLINE: Duration = Duration::from_secs(5);

/// The sent layer's one wall-clock read: the time a copy was kept and the
/// Maildir's unique names.
#[expect(clippy::disallowed_methods, reason = "the sent layer's one clock read")]
pub(crate) fn wall_clock() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut Settings)) -> Settings {
        let mut s = Settings {
            server: Some("mail.example.org".into()),
            user: Some("alice@example.org".into()),
            sent: Some(SentTo::Imap),
            ..Settings::default()
        };
        f(&mut s);
        s
    }

    fn imap(settings: &Settings) -> ImapTarget {
        match SentTarget::resolve(settings).unwrap() {
            Some(SentTarget::Imap(t)) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn imap_endpoints_from_the_settings_the_provider_or_the_smtp_host() {
        for (settings, host, port, security, user, folder) in [
            (
                with(|_| {}),
                "mail.example.org",
                993,
                Security::Tls,
                "alice@example.org",
                None,
            ),
            (
                with(|s| s.imap_port = Some(143)),
                "mail.example.org",
                143,
                Security::StartTls,
                "alice@example.org",
                None,
            ),
            (
                with(|s| {
                    s.imap_server = Some("127.0.0.1".into());
                    s.imap_port = Some(2143);
                    s.imap_security = Some(Security::StartTls);
                    s.sent_folder = Some("Sent Items".into());
                }),
                "127.0.0.1",
                2143,
                Security::StartTls,
                "alice@example.org",
                Some("Sent Items"),
            ),
            (
                with(|s| s.server = Some("smtp.gmail.com".into())),
                "imap.gmail.com",
                993,
                Security::Tls,
                "alice@example.org",
                None,
            ),
            // iCloud's IMAP login is the local part.
            (
                with(|s| {
                    s.server = None;
                    s.user = Some("al@icloud.com".into());
                }),
                "imap.mail.me.com",
                993,
                Security::Tls,
                "al",
                None,
            ),
        ] {
            let t = imap(&settings);
            assert_eq!(
                (
                    t.host.as_str(),
                    t.port,
                    t.security,
                    t.user.as_str(),
                    t.folder.as_deref()
                ),
                (host, port, security, user, folder),
                "{settings:?}"
            );
        }
    }

    #[test]
    fn no_copy_maildir_and_refusals() {
        for (settings, expected) in [
            (with(|s| s.sent = None), Ok(None)),
            (with(|s| s.sent = Some(SentTo::None)), Ok(None)),
            (
                with(|s| s.sent = Some(SentTo::Maildir("/var/mail/sent".into()))),
                Ok(Some(SentTarget::Maildir("/var/mail/sent".into()))),
            ),
            (with(|s| s.user = None), Err(TargetError::NoUser)),
            (with(|s| s.server = None), Err(TargetError::NoServer)),
            (
                with(|s| s.system_roots = Some(false)),
                Err(TargetError::Trust(resolve::Error::NoTrust)),
            ),
        ] {
            assert_eq!(SentTarget::resolve(&settings), expected, "{settings:?}");
        }
        let home = with(|s| s.sent = Some(SentTo::Maildir("~/Mail/Sent".into())));
        if let Some(h) = std::env::var_os("HOME") {
            assert_eq!(
                SentTarget::resolve(&home),
                Ok(Some(SentTarget::Maildir(
                    PathBuf::from(h).join("Mail/Sent")
                )))
            );
        }
    }

    #[test]
    fn descriptions_and_deadlines() {
        let t = SentTarget::resolve(&with(|s| s.timeout = Some(300)))
            .unwrap()
            .unwrap();
        assert_eq!(
            t.describe(),
            "IMAP alice@example.org at mail.example.org:993 (tls)"
        );
        let SentTarget::Imap(short) = t.with_deadline(Duration::from_secs(5)) else {
            panic!()
        };
        assert_eq!(short.timeout, Duration::from_secs(5));
    }
}
