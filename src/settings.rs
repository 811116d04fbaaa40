//! Every setting, declared once.
//!
//! The one `settings!` table below makes the config file's keys (serde), the
//! command line's options (clap), the [`Key`] that names a setting in the
//! composer's form and in error messages, layering ([`Settings::overlay`]),
//! and reading and writing a setting as text. Adding a setting is one line
//! in the table (plus its row in the form, if the form shows it).
//!
//! A value is checked when it is read ([`Key::parse`]), wherever it comes
//! from: the same bounds hold for the file, the command line and the form.

use std::{fmt, path::PathBuf};

use serde::{Deserialize, Serialize};

use crate::{
    mail,
    smtp::{AuthChoice, Security},
};

/// The command timeout when none is set (RFC 5321's five minutes).
pub const DEFAULT_TIMEOUT: u64 = 300;
/// The longest timeout accepted: a day. Longer ones overflow the scaled
/// deadlines and help nobody.
pub const MAX_TIMEOUT: u64 = 86_400;

/// A value a setting can hold: read from text (the form, `Key::parse`) and
/// shown as text.
pub trait Value: Sized {
    /// The value from what was typed (already trimmed, not empty).
    fn parse_text(text: &str) -> Result<Self, String>;
    /// The value as the form shows it.
    fn to_text(&self) -> String;
    /// The values to cycle through in the form, if it is a choice.
    fn choices() -> Option<&'static [&'static str]> {
        None
    }
}

impl Value for String {
    fn parse_text(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }

    fn to_text(&self) -> String {
        self.clone()
    }
}

impl Value for PathBuf {
    fn parse_text(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text))
    }

    fn to_text(&self) -> String {
        self.display().to_string()
    }
}

impl Value for bool {
    fn parse_text(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err("is not true or false".to_owned()),
        }
    }

    fn to_text(&self) -> String {
        self.to_string()
    }

    fn choices() -> Option<&'static [&'static str]> {
        Some(&["true", "false"])
    }
}

impl Value for u16 {
    fn parse_text(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|_| "is not a port number (1–65535)".to_owned())
    }

    fn to_text(&self) -> String {
        self.to_string()
    }
}

impl Value for u64 {
    fn parse_text(text: &str) -> Result<Self, String> {
        text.parse().map_err(|_| "is not a whole number".to_owned())
    }

    fn to_text(&self) -> String {
        self.to_string()
    }
}

impl Value for Security {
    fn parse_text(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|_| "is not one of starttls, tls, none".to_owned())
    }

    fn to_text(&self) -> String {
        self.to_string()
    }

    fn choices() -> Option<&'static [&'static str]> {
        Some(&["starttls", "tls", "none"])
    }
}

impl Value for AuthChoice {
    fn parse_text(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|_| "is not one of auto, login, plain, xoauth2, oauthbearer".to_owned())
    }

    fn to_text(&self) -> String {
        self.to_string()
    }

    fn choices() -> Option<&'static [&'static str]> {
        Some(AuthChoice::NAMES)
    }
}

/// Where a copy of each sent letter goes: `sent = "imap"` (the account's
/// Sent folder over IMAP), `"maildir:PATH"` (a local Maildir) or `"none"`
/// (no copy; to turn a config file's choice off on the command line).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum SentTo {
    /// No copy.
    None,
    /// Appended to the Sent folder over IMAP.
    Imap,
    /// Written to a Maildir (`~/` is the home folder).
    Maildir(PathBuf),
}

impl fmt::Display for SentTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SentTo::None => f.write_str("none"),
            SentTo::Imap => f.write_str("imap"),
            SentTo::Maildir(path) => write!(f, "maildir:{}", path.display()),
        }
    }
}

impl std::str::FromStr for SentTo {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        match s.split_once(':') {
            Some((kind, path)) if kind.eq_ignore_ascii_case("maildir") => {
                let path = path.trim();
                if path.is_empty() {
                    Err("names no folder after maildir:".to_owned())
                } else if path.chars().any(char::is_control) {
                    Err("has control characters in its path".to_owned())
                } else {
                    Ok(SentTo::Maildir(PathBuf::from(path)))
                }
            }
            _ if s.eq_ignore_ascii_case("imap") => Ok(SentTo::Imap),
            _ if s.eq_ignore_ascii_case("none") => Ok(SentTo::None),
            _ => Err("is not imap, maildir:PATH or none".to_owned()),
        }
    }
}

impl TryFrom<String> for SentTo {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<SentTo> for String {
    fn from(value: SentTo) -> String {
        value.to_string()
    }
}

impl Value for SentTo {
    fn parse_text(text: &str) -> Result<Self, String> {
        text.parse()
    }

    fn to_text(&self) -> String {
        self.to_string()
    }
}

/// Declares the settings: one line each, `Key / field: Type` with its doc
/// comment (the option's help and the config key's meaning) and the clap
/// attributes of its option in brackets.
macro_rules! settings {
    ($(
        $(#[doc = $doc:expr])*
        [$($arg:tt)*] $key:ident / $field:ident : $ty:ty
    ),* $(,)?) => {
        /// Every setting a config file, the command line or the form may
        /// hold. All optional: a missing one falls back to the layer below
        /// or the built-in default.
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::Args)]
        #[serde(default, deny_unknown_fields)]
        #[expect(clippy::doc_markdown, reason = "doc comments are the --help text")]
        pub struct Settings {
            $(
                $(#[doc = $doc])*
                #[serde(skip_serializing_if = "Option::is_none")]
                #[arg(global = true, $($arg)*)]
                pub $field: Option<$ty>,
            )*
        }

        /// A config file as written: the flat settings (the default
        /// account), `default_account`, and `[accounts.NAME]` tables, each
        /// holding the same settings. Unknown keys are refused with their
        /// line and column.
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct FileSettings {
            $(
                #[serde(skip_serializing_if = "Option::is_none")]
                $field: Option<$ty>,
            )*
            /// The account used when none is chosen.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub default_account: Option<String>,
            /// The named accounts, in file order.
            #[serde(skip_serializing_if = "indexmap::IndexMap::is_empty")]
            pub accounts: indexmap::IndexMap<String, Settings>,
        }

        impl FileSettings {
            /// The flat settings (the default account's).
            pub fn flat(&self) -> Settings {
                Settings { $( $field: self.$field.clone(), )* }
            }

            /// Replaces the flat settings.
            pub fn set_flat(&mut self, flat: &Settings) {
                $( self.$field = flat.$field.clone(); )*
            }
        }

        /// The name of a setting.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[expect(clippy::doc_markdown, reason = "doc comments are the --help text")]
        pub enum Key {
            $( $(#[doc = $doc])* $key, )*
        }

        impl Key {
            /// Every setting, in declaration order.
            pub const ALL: &'static [Key] = &[$(Key::$key),*];

            /// The config file's key, e.g. `envelope_from`.
            pub fn name(self) -> &'static str {
                match self { $(Key::$key => stringify!($field),)* }
            }

            /// The values to cycle through, if the setting is a choice.
            pub fn choices(self) -> Option<&'static [&'static str]> {
                match self { $(Key::$key => <$ty as Value>::choices(),)* }
            }
        }

        impl Settings {
            /// These settings with every value `top` sets taking precedence.
            #[must_use]
            pub fn overlay(&self, top: &Settings) -> Settings {
                Settings {
                    $( $field: top.$field.clone().or_else(|| self.$field.clone()), )*
                }
            }

            /// A setting as text (`None` when it is not set).
            pub fn text(&self, key: Key) -> Option<String> {
                match key {
                    $( Key::$key => self.$field.as_ref().map(Value::to_text), )*
                }
            }

            /// Sets a setting from text: empty text unsets it; anything
            /// else must pass [`Key::parse`]'s checks.
            pub fn set_text(&mut self, key: Key, text: &str) -> Result<(), SettingError> {
                let text = text.trim();
                match key {
                    $( Key::$key => {
                        self.$field = if text.is_empty() {
                            None
                        } else {
                            let value = <$ty as Value>::parse_text(text)
                                .map_err(|reason| SettingError::new(key, text, reason))?;
                            check(key, &value.to_text())
                                .map_err(|reason| SettingError::new(key, text, reason))?;
                            Some(value)
                        };
                    } )*
                }
                Ok(())
            }

            /// Whether no setting is set.
            pub fn is_empty(&self) -> bool {
                *self == Settings::default()
            }

            /// Checks every value that is set (one from a config file was
            /// only parsed, not checked).
            pub fn validate(&self) -> Result<(), SettingError> {
                for &key in Key::ALL {
                    if let Some(text) = self.text(key) {
                        check(key, &text).map_err(|reason| SettingError::new(key, &text, reason))?;
                    }
                }
                Ok(())
            }
        }
    };
}

settings! {
    /// SMTP server host name or IP address.
    [long, value_name = "HOST"]
    Server / server: String,
    /// Server port (default by security: 25, 587, 465).
    [long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..)]
    Port / port: u16,
    /// none | starttls | tls (default starttls; tls on port 465).
    [long, value_name = "MODE"]
    Security / security: Security,
    /// The domain sent in EHLO/HELO (default: this host's FQDN, else From's domain).
    [long, value_name = "DOMAIN"]
    Helo / helo: String,
    /// Envelope sender for MAIL FROM (default: From's address).
    [long, value_name = "ADDR"]
    EnvelopeFrom / envelope_from: String,
    /// The From mailbox, e.g. "Alice <alice@example.org>".
    [long, value_name = "MAILBOX"]
    From / from: String,
    /// Login name.
    [long, value_name = "NAME"]
    User / user: String,
    /// A command whose first output line is the password.
    [long, value_name = "CMD"]
    PasswordCommand / password_command: String,
    /// auto | login | plain | xoauth2 | oauthbearer (the last two send the
    /// password as an access token, OAuth 2.0; auto never picks them).
    [long, value_name = "MECH"]
    Auth / auth: AuthChoice,
    /// Allow AUTH on a connection without TLS (the password goes out readable).
    [long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true"]
    AllowInsecureAuth / allow_insecure_auth: bool,
    /// Extra CA certificates (PEM) to trust, besides the system's.
    [long, value_name = "PEM"]
    CaFile / ca_file: PathBuf,
    /// Trust the system's CA certificates (default true); false trusts only
    /// ca_file (like curl's --cacert). On the command line: --no-system-roots.
    [long = "no-system-roots", num_args = 0, default_missing_value = "false", requires = "ca_file"]
    SystemRoots / system_roots: bool,
    /// Command timeout in seconds, 1 to 86400; the other deadlines scale with it (default 300).
    [long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400)]
    Timeout / timeout: u64,
    /// Where replies should go, e.g. "Team <team@example.org>" (a list).
    [long, value_name = "MAILBOX"]
    ReplyTo / reply_to: String,
    /// A file whose text goes under "-- " in every new letter.
    [long, value_name = "PATH"]
    SignatureFile / signature_file: PathBuf,
    /// A command that prints "address, tab, name" lines for a query ("%s"),
    /// for completing To, Cc and Bcc (as aerc's address-book-cmd).
    [long, value_name = "CMD"]
    AddressBookCommand / address_book_command: String,
    /// Keep a copy of each sent letter: imap (the Sent folder) | maildir:PATH | none.
    [long, value_name = "WHERE"]
    Sent / sent: SentTo,
    /// IMAP server for the copy in Sent (default: the provider's, else the SMTP server).
    [long, value_name = "HOST"]
    ImapServer / imap_server: String,
    /// IMAP port (default by security: 993 tls, 143 starttls).
    [long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..)]
    ImapPort / imap_port: u16,
    /// none | starttls | tls for IMAP (default tls; starttls on port 143).
    [long, value_name = "MODE"]
    ImapSecurity / imap_security: Security,
    /// The IMAP folder for the copy (default: the one marked \Sent, else "Sent", created if missing).
    [long, value_name = "NAME"]
    SentFolder / sent_folder: String,
}

/// A setting whose value is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} {value:?} {reason}", key.name())]
pub struct SettingError {
    /// Which setting.
    pub key: Key,
    /// The value as given.
    pub value: String,
    /// Why it is refused, as a predicate: "is not a port number (1–65535)".
    pub reason: String,
}

impl SettingError {
    fn new(key: Key, value: &str, reason: String) -> SettingError {
        SettingError {
            key,
            value: value.to_owned(),
            reason,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The bounds of each setting, on its text form: the single place that says
/// what a value may be.
fn check(key: Key, text: &str) -> Result<(), String> {
    match key {
        Key::Server | Key::ImapServer => {
            if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err("has spaces or control characters (a host name has none)".to_owned());
            }
        }
        Key::Port | Key::ImapPort => match text.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => return Err("is not a port number (1–65535)".to_owned()),
        },
        Key::Timeout => match text.parse::<u64>() {
            Ok(t) if (1..=MAX_TIMEOUT).contains(&t) => {}
            _ => {
                return Err(format!(
                    "is not a number of seconds from 1 to {MAX_TIMEOUT} (a day)"
                ));
            }
        },
        Key::Helo => {
            if !is_helo_name(text) {
                return Err("is not a domain name or address literal".to_owned());
            }
        }
        Key::EnvelopeFrom => {
            mail::Address::parse(text)
                .map_err(|reason| format!("is not a valid address ({reason})"))?;
        }
        Key::From => {
            mail::Mailbox::parse(text)
                .map_err(|reason| format!("is not a valid mailbox ({reason})"))?;
        }
        Key::ReplyTo => {
            mail::Mailbox::parse_list(text).map_err(|bad| {
                let first = bad.first().map_or_else(String::new, |b| {
                    format!(" ({}: {})", b.input.escape_debug(), b.reason)
                });
                format!("is not a valid list of mailboxes{first}")
            })?;
        }
        Key::User | Key::SentFolder => {
            if text.chars().any(char::is_control) {
                return Err("has control characters".to_owned());
            }
        }
        Key::Sent => {
            text.parse::<SentTo>()?;
        }
        Key::Security
        | Key::Auth
        | Key::AllowInsecureAuth
        | Key::SystemRoots
        | Key::CaFile
        | Key::PasswordCommand
        | Key::SignatureFile
        | Key::AddressBookCommand
        | Key::ImapSecurity => {}
    }
    Ok(())
}

/// A domain name (letters, digits, hyphens, dots) or an address literal.
pub fn is_helo_name(name: &str) -> bool {
    if let Some(literal) = name.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let ip = literal.strip_prefix("IPv6:").unwrap_or(literal);
        return ip.parse::<std::net::IpAddr>().is_ok();
    }
    !name.is_empty()
        && name.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

impl Key {
    /// Reads a value as the form or a test would type it, with the same
    /// checks as the file and the command line.
    pub fn parse(self, text: &str) -> Result<Settings, SettingError> {
        let mut settings = Settings::default();
        settings.set_text(self, text)?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_takes_the_top_value_of_each_setting() {
        let file = Settings {
            server: Some("file.example".into()),
            port: Some(25),
            user: Some("file-user".into()),
            system_roots: Some(false),
            ..Settings::default()
        };
        let cli = Settings {
            server: Some("cli.example".into()),
            timeout: Some(5),
            ..Settings::default()
        };
        let merged = file.overlay(&cli);
        assert_eq!(merged.server.as_deref(), Some("cli.example"));
        assert_eq!(merged.port, Some(25));
        assert_eq!(merged.user.as_deref(), Some("file-user"));
        assert_eq!(merged.timeout, Some(5));
        assert_eq!(merged.system_roots, Some(false));
    }

    #[test]
    fn every_key_reads_back_what_it_wrote() {
        for (key, text) in [
            (Key::Server, "mail.example.org"),
            (Key::Port, "2525"),
            (Key::Security, "tls"),
            (Key::Helo, "client.example.org"),
            (Key::EnvelopeFrom, "bounce@example.org"),
            (Key::From, "Иван <ivan@example.org>"),
            (Key::User, "ivan"),
            (Key::PasswordCommand, "pass show mail"),
            (Key::Auth, "plain"),
            (Key::AllowInsecureAuth, "true"),
            (Key::CaFile, "/etc/ssl/lab.pem"),
            (Key::SystemRoots, "false"),
            (Key::Timeout, "30"),
            (Key::ReplyTo, "Команда <team@example.org>, b@example.org"),
            (Key::SignatureFile, "~/.signature"),
            (Key::AddressBookCommand, "khard email --parsable %s"),
            (Key::Sent, "imap"),
            (Key::Sent, "maildir:/home/alice/Mail/Sent"),
            (Key::Sent, "none"),
            (Key::ImapServer, "imap.example.org"),
            (Key::ImapPort, "993"),
            (Key::ImapSecurity, "starttls"),
            (Key::SentFolder, "Отправленные"),
        ] {
            let s = key.parse(text).unwrap();
            assert_eq!(s.text(key).as_deref(), Some(text), "{key}");
            assert!(s.validate().is_ok());
        }
        assert_eq!(Key::ALL.len(), 21, "a new setting needs a row above");
    }

    #[test]
    fn values_out_of_bounds_are_refused_with_the_reason() {
        for (key, text, reason) in [
            (Key::Port, "0", "is not a port number"),
            (Key::Port, "65536", "is not a port number"),
            (Key::Timeout, "0", "from 1 to 86400"),
            (Key::Timeout, "86401", "from 1 to 86400"),
            (Key::Timeout, "18446744073709551615", "from 1 to 86400"),
            (Key::Timeout, "18446744073709551616", "not a whole number"),
            (Key::Timeout, "-5", "not a whole number"),
            (Key::Server, "mail example", "has spaces"),
            (Key::Helo, "bad name", "not a domain name"),
            (Key::EnvelopeFrom, "bounce", "not a valid address"),
            (Key::Security, "ssl3", "is not one of starttls, tls, none"),
            (Key::Sent, "pop3", "is not imap, maildir:PATH or none"),
            (Key::Sent, "maildir:", "names no folder"),
            (Key::ImapPort, "0", "is not a port number"),
            (Key::ImapServer, "imap example", "has spaces"),
            (
                Key::SentFolder,
                "Sent\r\nA1 DELETE INBOX",
                "control characters",
            ),
        ] {
            let err = key.parse(text).unwrap_err();
            assert_eq!(err.key, key);
            assert!(err.reason.contains(reason), "{key} {text}: {err}");
        }
        // A config file's value is parsed by serde; validate() holds it to
        // the same bounds.
        let file: Settings = toml::from_str("timeout = 18446744073709551615").unwrap();
        assert_eq!(file.validate().unwrap_err().key, Key::Timeout);
    }

    #[test]
    fn empty_text_unsets() {
        let mut s = Key::Port.parse("587").unwrap();
        s.set_text(Key::Port, "  ").unwrap();
        assert_eq!(s.port, None);
    }
}
