//! What SMTP replies mean, and what to do about them: one table for the
//! whole program.
//!
//! - every reply code a client meets (RFC 5321 and the RFCs that added codes),
//!   [`reply_code`];
//! - every enhanced status code of the IANA registry (RFC 3463 and later),
//!   class, subject and detail, [`status`];
//! - targeted advice for the failures people actually hit, chosen by reply
//!   code, enhanced code and the server's words, [`hint_for`];
//! - the advice for failures that are not replies ([`Advice`]), [`advice`].
//!
//! Advice names the settings the user can change as `{tokens}` (`{security}`,
//! `{user}`, see [`Setting`]), so each front end renders them in its own
//! words with [`Hint::render`]: the command line as `--security`, the
//! composer as `Security (F2)`.
//!
//! [`parse_query`] reads what a user pastes into `smtpwire explain` and
//! [`render`] writes the answer. Nothing here prints text that came from a
//! server: the caller shows the [`Reply`] itself, escaped.

mod hints;
mod query;
mod registry;
mod render;
mod replies;
mod rules;
#[cfg(test)]
mod tests;

use std::{borrow::Cow, fmt};

pub use self::{query::parse_query, render::render};
use crate::smtp::{self, Advice, Enhanced, Reply};

/// A setting the user can change, named in advice as `{key}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Setting {
    /// The SMTP server's host name.
    Server,
    /// The server port.
    Port,
    /// TLS mode: none, starttls or tls.
    Security,
    /// The name sent in EHLO.
    Helo,
    /// The envelope sender (MAIL FROM).
    Sender,
    /// The From header.
    From,
    /// The recipients (To, Cc, Bcc).
    Recipients,
    /// The login name.
    User,
    /// The password, however it is given (prompt, environment, command).
    Password,
    /// The command that prints the password or token.
    PasswordCommand,
    /// The AUTH mechanism.
    Auth,
    /// The command timeout.
    Timeout,
    /// Extra CA certificates to trust.
    CaFile,
    /// Whether AUTH may go over a connection without TLS.
    AllowInsecureAuth,
}

impl Setting {
    /// Every setting.
    pub const ALL: [Setting; 14] = [
        Setting::Server,
        Setting::Port,
        Setting::Security,
        Setting::Helo,
        Setting::Sender,
        Setting::From,
        Setting::Recipients,
        Setting::User,
        Setting::Password,
        Setting::PasswordCommand,
        Setting::Auth,
        Setting::Timeout,
        Setting::CaFile,
        Setting::AllowInsecureAuth,
    ];

    /// The token in advice text (without braces); the config-file key where
    /// the setting has one.
    pub fn key(self) -> &'static str {
        match self {
            Setting::Server => "server",
            Setting::Port => "port",
            Setting::Security => "security",
            Setting::Helo => "helo",
            Setting::Sender => "envelope_from",
            Setting::From => "from",
            Setting::Recipients => "to",
            Setting::User => "user",
            Setting::Password => "password",
            Setting::PasswordCommand => "password_command",
            Setting::Auth => "auth",
            Setting::Timeout => "timeout",
            Setting::CaFile => "ca_file",
            Setting::AllowInsecureAuth => "allow_insecure_auth",
        }
    }

    /// The setting a token names.
    pub fn from_key(key: &str) -> Option<Setting> {
        Setting::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// Where a table entry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Defined by an RFC or registered with IANA.
    Standard,
    /// Registered, then deprecated.
    Deprecated,
    /// Not in the standard list; says who uses it.
    Extra(&'static str),
}

/// A reply code: `535`.
#[derive(Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// The code.
    pub code: u16,
    /// Its title, after the RFC's text.
    pub title: &'static str,
    /// What it means, in plain words.
    pub meaning: &'static str,
    /// The defining RFC, e.g. `RFC 4954`; empty for extras.
    pub reference: &'static str,
    /// Standard or not.
    pub origin: Origin,
}

/// An enhanced-status class: the `5` of `5.7.8`.
#[derive(Debug, PartialEq, Eq)]
pub struct ClassInfo {
    /// 2, 4 or 5.
    pub class: u8,
    /// The registry's title.
    pub title: &'static str,
    /// What it means, in plain words.
    pub meaning: &'static str,
    /// The defining RFC.
    pub reference: &'static str,
}

/// An enhanced-status subject: the `7` of `5.7.8`.
#[derive(Debug, PartialEq, Eq)]
pub struct SubjectInfo {
    /// 0 to 7.
    pub subject: u16,
    /// The registry's title.
    pub title: &'static str,
    /// What it means, in plain words.
    pub meaning: &'static str,
    /// The defining RFC.
    pub reference: &'static str,
}

/// An enumerated enhanced status code: the `7.8` of `5.7.8`.
#[derive(Debug, PartialEq, Eq)]
pub struct DetailInfo {
    /// The subject number.
    pub subject: u16,
    /// The detail number.
    pub detail: u16,
    /// The registry's title (empty for the deprecated X.6.10).
    pub title: &'static str,
    /// What it means, in plain words.
    pub meaning: &'static str,
    /// The registry's reference, e.g. `RFC 7372, RFC 7208`; empty for extras.
    pub reference: &'static str,
    /// Registered, deprecated, or a provider's own.
    pub origin: Origin,
}

/// An enhanced status code whose class may be unknown: `5.7.8` or `X.7.8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatusCode {
    /// 2, 4 or 5; `None` for "any class" (`X`).
    pub class: Option<u8>,
    /// The subject number.
    pub subject: u16,
    /// The detail number.
    pub detail: u16,
}

impl From<Enhanced> for StatusCode {
    fn from(Enhanced(class, subject, detail): Enhanced) -> StatusCode {
        StatusCode {
            class: Some(class),
            subject,
            detail,
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.class {
            Some(class) => write!(f, "{class}.{}.{}", self.subject, self.detail),
            None => write!(f, "X.{}.{}", self.subject, self.detail),
        }
    }
}

/// Everything known about an enhanced status code, part by part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusInfo {
    /// The code asked about.
    pub code: StatusCode,
    /// The class, when it is 2, 4 or 5.
    pub class: Option<&'static ClassInfo>,
    /// The subject, when it is 0 to 7.
    pub subject: Option<&'static SubjectInfo>,
    /// The enumerated code, when the registry (or a provider) has it.
    pub detail: Option<&'static DetailInfo>,
}

/// Advice: a line that names settings as `{tokens}`, and optionally a longer
/// explanation for `smtpwire explain`.
#[derive(Debug, PartialEq, Eq)]
pub struct Hint {
    id: &'static str,
    text: &'static str,
    detail: &'static str,
}

impl Hint {
    /// A stable name, e.g. `relay-denied`, for tests and logs.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The one-line advice in token form: `set {security} to starttls`.
    pub fn text(&self) -> &'static str {
        self.text
    }

    /// The advice with each `{token}` replaced by `name(setting)`:
    ///
    /// ```text
    /// hint.render(|s| format!("--{}", s.key().replace('_', "-")).into())
    ///     // the server requires TLS first: set --security to starttls
    /// hint.render(|s| format!("{} (F2)", label(s)).into())
    ///     // the server requires TLS first: set Security (F2) to starttls
    /// ```
    pub fn render(&self, name: impl Fn(Setting) -> Cow<'static, str>) -> String {
        fill(self.text, &name)
    }

    /// The longer explanation, rendered the same way, if there is one.
    pub fn render_detail(&self, name: impl Fn(Setting) -> Cow<'static, str>) -> Option<String> {
        (!self.detail.is_empty()).then(|| fill(self.detail, &name))
    }

    /// The settings the advice names, in order of first mention.
    pub fn settings(&self) -> Vec<Setting> {
        let mut found = Vec::new();
        for key in tokens(self.text).chain(tokens(self.detail)) {
            if let Some(setting) = Setting::from_key(key)
                && !found.contains(&setting)
            {
                found.push(setting);
            }
        }
        found
    }
}

/// The `{…}` keys in `text`.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(key, _)| key))
}

/// `text` with each `{key}` naming a [`Setting`] replaced by its name; other
/// braces stay as they are.
fn fill(text: &str, name: &impl Fn(Setting) -> Cow<'static, str>) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if let Some((setting, close)) = after
            .find('}')
            .and_then(|close| Setting::from_key(&after[..close]).map(|s| (s, close)))
        {
            out.push_str(&name(setting));
            rest = &after[close + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// What a reply code means, if it is one a client meets.
pub fn reply_code(code: u16) -> Option<&'static CodeInfo> {
    let table = replies::REPLY_CODES;
    table
        .binary_search_by_key(&code, |info| info.code)
        .ok()
        .map(|i| &table[i])
}

/// An enumerated enhanced status code (`X.subject.detail`), if known.
pub fn detail(subject: u16, detail: u16) -> Option<&'static DetailInfo> {
    let table = registry::DETAILS;
    table
        .binary_search_by_key(&(subject, detail), |d| (d.subject, d.detail))
        .ok()
        .map(|i| &table[i])
}

/// What an enhanced status code means: class, subject and detail. `None`
/// when the class is not 2, 4 or 5 (so it is no enhanced code at all).
pub fn status(e: Enhanced) -> Option<StatusInfo> {
    let info = lookup(e.into());
    info.class.map(|_| info)
}

/// Whatever is known of each part of `code`.
pub fn lookup(code: StatusCode) -> StatusInfo {
    StatusInfo {
        code,
        class: code
            .class
            .and_then(|c| registry::CLASSES.iter().find(|info| info.class == c)),
        subject: registry::SUBJECTS
            .iter()
            .find(|info| info.subject == code.subject),
        detail: detail(code.subject, code.detail),
    }
}

/// Targeted advice for a failure reply: by its code, its enhanced code and
/// the words of its text (any case). `None` for positive replies and for
/// failures nothing specific is known about.
pub fn hint_for(code: u16, enhanced: Option<Enhanced>, text: &str) -> Option<&'static Hint> {
    rules::find(Some(code), enhanced.map(StatusCode::from), text)
}

/// The advice for a failure that is not (only) a reply: TLS, timeouts,
/// connections. Both front ends render these instead of their own words.
pub fn advice(a: Advice) -> &'static Hint {
    hints::advice(a)
}

/// The advice for an engine error: the targeted hint for the server's
/// reply when the table has one (a 535 5.7.139 says more than "check the
/// password"), else the advice the error's type gives. Without a login, a
/// policy refusal (5.7.x) of the sender or a recipient usually means the
/// server wants one. A permanently refused `OAuth2` token gets the token's
/// advice whatever the reply says.
pub fn hint_for_error(e: &smtp::Error, logged_in: bool) -> Option<&'static Hint> {
    // A refused token: the reply's words are written for passwords ("Username
    // and Password not accepted"), so the token's own advice comes first.
    if let smtp::Error::TokenRefused { .. } = e
        && !e.is_transient()
    {
        return e.advice().map(advice);
    }
    let reply = e
        .reply()
        .and_then(|r| hint_for(r.code().value(), r.enhanced(), &r.message()));
    reply.or_else(|| e.advice().map(advice)).or_else(|| {
        let policy = e
            .reply()
            .and_then(Reply::enhanced)
            .is_some_and(|Enhanced(class, subject, _)| class == 5 && subject == 7);
        (!logged_in && policy && matches!(e.stage(), Some(smtp::Stage::Mail | smtp::Stage::Rcpt)))
            .then(|| advice(Advice::GiveLogin))
    })
}

/// Everything the tables say about one reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The reply code, if one was given.
    pub code: Option<u16>,
    /// What the reply code means, if it is a known one.
    pub reply: Option<&'static CodeInfo>,
    /// What the enhanced status code means, if one was given.
    pub status: Option<StatusInfo>,
    /// What to do, if anything specific is known.
    pub hint: Option<&'static Hint>,
}

/// Explains a reply as received.
pub fn explain(reply: &Reply) -> Explanation {
    let code = reply.code().value();
    let enhanced = reply.enhanced();
    Explanation {
        code: Some(code),
        reply: reply_code(code),
        status: enhanced.map(|e| lookup(e.into())),
        hint: hint_for(code, enhanced, &reply.message()),
    }
}

/// What `smtpwire explain` was asked about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// A reply code alone: `535`.
    Code(u16),
    /// An enhanced status code, and any text after it: `5.7.8`, `X.7.8`,
    /// `5.7.1 Relaying denied`.
    Status {
        /// The code.
        code: StatusCode,
        /// The words after it (may be empty).
        text: String,
    },
    /// A whole reply, from one or more pasted lines.
    Reply(Reply),
}

impl Query {
    /// What the tables say about it.
    pub fn explain(&self) -> Explanation {
        match self {
            Query::Code(code) => Explanation {
                code: Some(*code),
                reply: reply_code(*code),
                status: None,
                hint: rules::find(Some(*code), None, ""),
            },
            Query::Status { code, text } => Explanation {
                code: None,
                reply: None,
                status: Some(lookup(*code)),
                hint: rules::find(None, Some(*code), text),
            },
            Query::Reply(reply) => explain(reply),
        }
    }
}
