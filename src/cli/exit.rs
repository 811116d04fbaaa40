//! Exit statuses (sysexits(3), as msmtp uses them) and the one place that
//! maps every kind of failure to one, with its message and hint.

use std::borrow::Cow;

use crate::{
    config,
    explain::{self, Setting},
    files, mail, password, resolve, settings,
    smtp::{self, tls::SetupError},
};

/// Every recipient accepted.
pub const OK: u8 = 0;
/// Wrong usage.
pub const USAGE: u8 = 64;
/// Bad input: an address or header.
pub const DATAERR: u8 = 65;
/// An input file is missing.
pub const NOINPUT: u8 = 66;
/// The service is unavailable: connect failed, permanent 5xx.
pub const UNAVAILABLE: u8 = 69;
/// An output file cannot be created.
pub const CANTCREAT: u8 = 73;
/// A temporary failure: 4xx, timeout, connection lost.
pub const TEMPFAIL: u8 = 75;
/// The server broke the protocol.
pub const PROTOCOL: u8 = 76;
/// Authentication failed.
pub const NOPERM: u8 = 77;
/// A configuration error.
pub const CONFIG: u8 = 78;

/// The exit statuses in words, for `--help`.
pub const SUMMARY: &str = "Exit status: 0 every recipient accepted, 64 usage, 65 bad address or header, \
66 input file missing, 69 unavailable (connect failed, permanent 5xx), 73 cannot write an output file, \
75 temporary failure (4xx, timeout, connection lost), 76 protocol error, 77 authentication failed, \
78 configuration error.\n\nThe password comes from SMTPWIRE_PASSWORD, --password-command, or a prompt \
on the terminal; never from a flag or the config file.";

/// A failure of a headless command: what to print and the exit status.
#[derive(Debug)]
pub struct Failure {
    /// Exit status (the constants of this module).
    pub code: u8,
    /// The message, one or more lines.
    pub message: String,
}

impl Failure {
    /// A failure with this status and message.
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// An engine error, with a hint when one helps. `logged_in` says whether
    /// AUTH was done: a policy refusal (5.7.x) of a sender or recipient
    /// without a login usually means the server wants one.
    pub fn engine(e: &smtp::Error, logged_in: bool) -> Failure {
        Failure::new(engine_code(e), describe(e, logged_in))
    }
}

/// Where a setting's value came from, for its exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The command line: a usage error.
    CommandLine,
    /// The config file: a configuration error.
    File,
}

/// The status for an engine error.
pub fn engine_code(e: &smtp::Error) -> u8 {
    use smtp::Error as E;
    match e {
        E::AuthFailed { .. } | E::TokenRefused { .. } if e.is_transient() => TEMPFAIL,
        E::AuthFailed { .. } | E::TokenRefused { .. } | E::AuthLoop { .. } => NOPERM,
        E::InsecureAuth | E::Config(_) => CONFIG,
        E::TlsSetup(setup) => setup_code(setup),
        E::Malformed { .. } | E::ReplyTooLong { .. } | E::StartTlsInjection => PROTOCOL,
        E::BadAddress(_) => DATAERR,
        E::Input { .. } => NOINPUT,
        _ if e.is_transient() => TEMPFAIL,
        _ => UNAVAILABLE,
    }
}

fn setup_code(e: &SetupError) -> u8 {
    match e {
        SetupError::Read { .. } => NOINPUT,
        _ => CONFIG,
    }
}

impl From<SetupError> for Failure {
    fn from(e: SetupError) -> Failure {
        Failure::new(setup_code(&e), e.to_string())
    }
}

impl From<password::Error> for Failure {
    fn from(e: password::Error) -> Failure {
        Failure::new(CONFIG, e.to_string())
    }
}

impl From<config::Error> for Failure {
    fn from(e: config::Error) -> Failure {
        Failure::new(CONFIG, e.to_string())
    }
}

impl From<mail::FileBodyError> for Failure {
    fn from(e: mail::FileBodyError) -> Failure {
        let code = match &e {
            mail::FileBodyError::Read { source, .. }
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                NOINPUT
            }
            _ => DATAERR,
        };
        Failure::new(code, format!("error: {e}"))
    }
}

/// A letter the server cannot carry (SMTPUTF8) is the server's lack; any
/// other letter error is bad input.
impl From<mail::Error> for Failure {
    fn from(e: mail::Error) -> Failure {
        let code = if matches!(e, mail::Error::NeedsSmtpUtf8 { .. }) {
            UNAVAILABLE
        } else {
            DATAERR
        };
        Failure::new(code, format!("error: {e}"))
    }
}

/// An output file that cannot be written.
pub fn cannot_write(what: &str, e: &files::Error) -> Failure {
    Failure::new(CANTCREAT, format!("cannot write {what}: {e}"))
}

/// Settings that cannot make a session; a value from the command line is a
/// usage error, one from the file a configuration error.
pub fn resolve_failure(e: &resolve::Error, origin: Origin) -> Failure {
    let code = match (e, origin) {
        // A bad address on the command line is bad data, as a bad To is.
        (resolve::Error::Invalid(e), Origin::CommandLine)
            if matches!(
                e.key,
                settings::Key::From | settings::Key::ReplyTo | settings::Key::EnvelopeFrom
            ) =>
        {
            DATAERR
        }
        (resolve::Error::NoServer, _) | (resolve::Error::Invalid(_), Origin::CommandLine) => USAGE,
        (resolve::Error::Invalid(_) | resolve::Error::NoTrust, _) => CONFIG,
    };
    let message = match (e, origin) {
        (resolve::Error::Invalid(e), Origin::CommandLine) => format!(
            "error: --{} {:?} {}",
            e.key.name().replace('_', "-"),
            e.value,
            e.reason
        ),
        (resolve::Error::Invalid(e), Origin::File) => {
            format!("error: the config file's {e}")
        }
        (resolve::Error::NoServer, _) => {
            format!("error: {e}\nhint: use --server HOST, or set server in the config file")
        }
        _ => format!("error: {e}"),
    };
    Failure::new(code, message)
}

/// `error: …` plus a `hint: …` line for an engine error, when the
/// explainer's table has advice.
pub fn describe(e: &smtp::Error, logged_in: bool) -> String {
    let mut out = format!("error: {e}");
    if let Some(hint) = explain::hint_for_error(e, logged_in) {
        out.push_str("\nhint: ");
        out.push_str(&hint.render(setting_name));
    }
    out
}

/// A setting's name in command-line words, for advice.
pub fn setting_name(setting: Setting) -> Cow<'static, str> {
    Cow::Borrowed(match setting {
        Setting::Server => "--server",
        Setting::Port => "--port",
        Setting::Security => "--security",
        Setting::Helo => "--helo",
        Setting::Sender => "--envelope-from",
        Setting::From => "--from",
        Setting::Recipients => "--to, --cc and --bcc",
        Setting::User => "--user",
        Setting::Password => "the password (SMTPWIRE_PASSWORD or --password-command)",
        Setting::PasswordCommand => "--password-command",
        Setting::Auth => "--auth",
        Setting::Timeout => "--timeout",
        Setting::CaFile => "--ca-file",
        Setting::AllowInsecureAuth => "--allow-insecure-auth",
    })
}
