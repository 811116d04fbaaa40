//! The settings pane: server, port, security, login, HELO name, envelope
//! sender, auth mechanism and timeout. Each field is checked as the user
//! leaves it; the password lives in memory only.

use std::path::PathBuf;

use super::{Key, KeyCode, Password, line::Edit, line::LineInput};
use crate::{
    cli,
    config::Settings,
    mail,
    smtp::{AuthChoice, Credentials, Security, SessionConfig},
};

/// The command timeout when none is set (RFC 5321's five minutes).
pub const DEFAULT_TIMEOUT: u64 = 300;

/// A field of the settings pane, in Tab order (row by row as drawn).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SettingsField {
    /// Server host name or IP address.
    Host,
    /// Server port.
    Port,
    /// none / starttls / tls.
    Security,
    /// Login name.
    User,
    /// Password (masked, memory only).
    Password,
    /// auto / login / plain.
    Auth,
    /// The name sent in EHLO.
    Helo,
    /// The envelope sender (MAIL FROM).
    Sender,
    /// Command timeout in seconds.
    Timeout,
}

impl SettingsField {
    /// Every field, in Tab order.
    pub const ALL: [SettingsField; 9] = [
        SettingsField::Host,
        SettingsField::Port,
        SettingsField::Security,
        SettingsField::User,
        SettingsField::Password,
        SettingsField::Auth,
        SettingsField::Helo,
        SettingsField::Sender,
        SettingsField::Timeout,
    ];

    /// The label shown in front of the field.
    pub fn label(self) -> &'static str {
        match self {
            SettingsField::Host => "Host",
            SettingsField::Port => "Port",
            SettingsField::Security => "Security",
            SettingsField::User => "User",
            SettingsField::Password => "Password",
            SettingsField::Auth => "Auth",
            SettingsField::Helo => "HELO",
            SettingsField::Sender => "Sender",
            SettingsField::Timeout => "Timeout",
        }
    }

    /// The next field (`forward`) or the previous one, wrapping around.
    pub fn step(self, forward: bool) -> SettingsField {
        cycle(&SettingsField::ALL, self, forward)
    }

    /// Whether the field is a choice among fixed values (Space/←/→ cycle).
    pub fn is_choice(self) -> bool {
        matches!(self, SettingsField::Security | SettingsField::Auth)
    }
}

/// How the login will get its password.
#[derive(Debug)]
pub enum Login {
    /// No user: no AUTH.
    Anonymous,
    /// Ready to log in.
    Ready(Credentials),
    /// The password command must run first.
    NeedsCommand(String),
    /// A user but no way to get the password.
    Missing,
}

/// The settings pane.
#[derive(Debug)]
pub struct SettingsForm {
    /// Host.
    pub host: LineInput,
    /// Port.
    pub port: LineInput,
    /// Security.
    pub security: Security,
    /// User.
    pub user: LineInput,
    /// Password, typed or from `SMTPWIRE_PASSWORD`; never saved.
    pub password: LineInput,
    /// Auth mechanism.
    pub auth: AuthChoice,
    /// HELO name; empty = automatic.
    pub helo: LineInput,
    /// Envelope sender; empty = From's address.
    pub sender: LineInput,
    /// Timeout in seconds; empty = the default.
    pub timeout: LineInput,
    /// Messages of the fields that failed their check, `Label: message`.
    pub errors: Vec<(SettingsField, String)>,
    /// The password the password command gave, kept for this run only.
    pub command_password: Option<Password>,
    /// What the file and the command line set that the pane does not show
    /// (CA file, password command, insecure AUTH); saved back unchanged.
    pub base: Settings,
}

impl SettingsForm {
    /// The pane holding `settings`, with the password from the environment.
    pub fn new(settings: &Settings, password: Option<&Password>) -> SettingsForm {
        let security = settings.security.unwrap_or(if settings.port == Some(465) {
            Security::Tls
        } else {
            Security::StartTls
        });
        let port = settings.port.unwrap_or(security.default_port());
        SettingsForm {
            host: LineInput::new(settings.server.as_deref().unwrap_or_default()),
            port: LineInput::new(&port.to_string()),
            security,
            user: LineInput::new(settings.user.as_deref().unwrap_or_default()),
            password: LineInput::new(password.map(Password::expose).unwrap_or_default()),
            auth: settings.auth.unwrap_or_default(),
            helo: LineInput::new(settings.helo.as_deref().unwrap_or_default()),
            sender: LineInput::new(settings.envelope_from.as_deref().unwrap_or_default()),
            timeout: LineInput::new(&settings.timeout.map(|t| t.to_string()).unwrap_or_default()),
            errors: Vec::new(),
            command_password: None,
            base: settings.clone(),
        }
    }

    /// A text field (`None` for the choices).
    pub fn line(&self, field: SettingsField) -> Option<&LineInput> {
        match field {
            SettingsField::Host => Some(&self.host),
            SettingsField::Port => Some(&self.port),
            SettingsField::User => Some(&self.user),
            SettingsField::Password => Some(&self.password),
            SettingsField::Helo => Some(&self.helo),
            SettingsField::Sender => Some(&self.sender),
            SettingsField::Timeout => Some(&self.timeout),
            SettingsField::Security | SettingsField::Auth => None,
        }
    }

    fn line_mut(&mut self, field: SettingsField) -> Option<&mut LineInput> {
        match field {
            SettingsField::Host => Some(&mut self.host),
            SettingsField::Port => Some(&mut self.port),
            SettingsField::User => Some(&mut self.user),
            SettingsField::Password => Some(&mut self.password),
            SettingsField::Helo => Some(&mut self.helo),
            SettingsField::Sender => Some(&mut self.sender),
            SettingsField::Timeout => Some(&mut self.timeout),
            SettingsField::Security | SettingsField::Auth => None,
        }
    }

    /// Applies a key to a field; returns whether a value changed.
    pub fn key(&mut self, field: SettingsField, key: &Key) -> bool {
        if field.is_choice() {
            let forward = match (key.code, key.ctrl || key.alt) {
                (KeyCode::Char(' ') | KeyCode::Right, false) => true,
                (KeyCode::Left, false) => false,
                _ => return false,
            };
            match field {
                SettingsField::Security => {
                    let next = cycle(&Security::ALL, self.security, forward);
                    self.set_security(next);
                }
                _ => self.auth = cycle(&AUTH_CHOICES, self.auth, forward),
            }
            return true;
        }
        let changed = self
            .line_mut(field)
            .is_some_and(|line| line.edit(key) == Edit::Changed);
        if changed && field == SettingsField::Password {
            // A typed password replaces what the command gave.
            self.command_password = None;
        }
        changed
    }

    /// Inserts pasted text into a text field.
    pub fn paste(&mut self, field: SettingsField, text: &str) -> bool {
        self.line_mut(field)
            .is_some_and(|line| line.insert_str(text.trim_end_matches(['\r', '\n'])))
    }

    /// Changes the security; a port left at the old mode's usual number
    /// follows to the new one's (587 → 465 for tls).
    fn set_security(&mut self, security: Security) {
        let port = self.port.text().trim();
        if port.is_empty() || port == self.security.default_port().to_string() {
            self.port = LineInput::new(&security.default_port().to_string());
        }
        self.security = security;
    }

    /// What is wrong with a field, as `Label: message`.
    pub fn problem(&self, field: SettingsField) -> Option<String> {
        let label = field.label();
        let text = self
            .line(field)
            .map(|l| l.text().trim())
            .unwrap_or_default();
        let message = match field {
            SettingsField::Host if text.is_empty() => {
                "required (the SMTP server's name or IP address)".to_owned()
            }
            SettingsField::Host if text.chars().any(char::is_whitespace) => {
                "a host name has no spaces".to_owned()
            }
            SettingsField::Port => match text.parse::<u16>() {
                Ok(p) if p > 0 => return None,
                _ => format!("{text:?} is not a port number (1–65535)"),
            },
            SettingsField::Helo if !text.is_empty() && !is_helo_name(text) => {
                format!("{text:?} is not a domain name")
            }
            SettingsField::Sender if !text.is_empty() => match mail::Address::parse(text) {
                Ok(_) => return None,
                Err(reason) => format!("{text:?} is not a valid address ({reason})"),
            },
            SettingsField::Timeout if !text.is_empty() => match text.parse::<u64>() {
                Ok(t) if t > 0 => return None,
                _ => format!("{text:?} is not a number of seconds (1 or more)"),
            },
            _ => return None,
        };
        Some(format!("{label}: {message}"))
    }

    /// Checks one field (as the user leaves it).
    pub fn check(&mut self, field: SettingsField) {
        self.errors.retain(|(f, _)| *f != field);
        if let Some(message) = self.problem(field) {
            self.errors.push((field, message));
            self.errors
                .sort_by_key(|(f, _)| SettingsField::ALL.iter().position(|a| a == f));
        }
    }

    /// Checks every field; returns the first one with a problem.
    pub fn check_all(&mut self) -> Option<SettingsField> {
        for field in SettingsField::ALL {
            self.check(field);
        }
        self.errors.first().map(|(f, _)| *f)
    }

    /// The message for a field, if it has one.
    pub fn error(&self, field: SettingsField) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Records a problem found elsewhere (e.g. the envelope sender by the
    /// letter builder).
    pub fn set_error(&mut self, field: SettingsField, message: String) {
        self.errors.retain(|(f, _)| *f != field);
        self.errors.push((field, message));
    }

    /// The port as typed, if it is one.
    pub fn port_number(&self) -> Option<u16> {
        self.port.text().trim().parse().ok().filter(|p| *p > 0)
    }

    /// `host:port` as the status line shows it.
    pub fn server(&self) -> String {
        let port = self.port_number().unwrap_or(self.security.default_port());
        format!("{}:{port}", self.host.text().trim())
    }

    /// The HELO name that will be sent: the typed one, or the automatic one
    /// (`cli::default_helo_for`).
    pub fn effective_helo(&self, hostname: &str, sender_domain: Option<&str>) -> String {
        let typed = self.helo.text().trim();
        if typed.is_empty() {
            cli::default_helo_for(hostname, sender_domain)
        } else {
            typed.to_owned()
        }
    }

    /// How the login gets its password.
    pub fn login(&self) -> Login {
        let user = self.user.text().trim();
        if user.is_empty() {
            return Login::Anonymous;
        }
        if !self.password.text().is_empty() {
            return Login::Ready(Credentials::new(user, self.password.text()));
        }
        if let Some(password) = &self.command_password {
            return Login::Ready(Credentials::new(user, password.expose()));
        }
        match self.base.password_command.as_deref() {
            Some(command) if !command.trim().is_empty() => Login::NeedsCommand(command.to_owned()),
            _ => Login::Missing,
        }
    }

    /// The settings as the config file holds them (never the password).
    /// `from` is the compose form's From, kept as a setting when valid.
    pub fn to_settings(&self, from: Option<String>) -> Settings {
        let text = |line: &LineInput| Some(line.text().trim().to_owned()).filter(|t| !t.is_empty());
        Settings {
            server: text(&self.host),
            port: self.port_number(),
            security: Some(self.security),
            helo: text(&self.helo),
            envelope_from: text(&self.sender),
            from,
            user: text(&self.user),
            auth: Some(self.auth),
            timeout: self.timeout.text().trim().parse().ok().filter(|t| *t > 0),
            ca_file: self.base.ca_file.clone(),
            password_command: self.base.password_command.clone(),
            allow_insecure_auth: self.base.allow_insecure_auth,
            system_roots: self.base.system_roots,
        }
    }

    /// The engine's configuration for these settings.
    pub fn session_config(
        &self,
        hostname: &str,
        sender_domain: Option<&str>,
        credentials: Option<Credentials>,
    ) -> Result<SessionConfig, String> {
        let mut settings = self.to_settings(None);
        settings.helo = Some(self.effective_helo(hostname, sender_domain));
        cli::session_config(&settings, sender_domain, credentials).map_err(|f| f.message)
    }

    /// The CA file to trust, if any.
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.base.ca_file.clone()
    }

    /// Whether the system's CA certificates are trusted too (config
    /// `system_roots = false` trusts only the CA file).
    pub fn system_roots(&self) -> bool {
        self.base.system_roots.unwrap_or(true)
    }
}

const AUTH_CHOICES: [AuthChoice; 3] = [AuthChoice::Auto, AuthChoice::Login, AuthChoice::Plain];

/// The next (`forward`) or previous item of `all` after `current`,
/// wrapping around: field focus and the Security/Auth choices.
pub(crate) fn cycle<T: Copy + PartialEq>(all: &[T], current: T, forward: bool) -> T {
    let n = all.len();
    let i = all.iter().position(|x| *x == current).unwrap_or(0);
    all[if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }]
}

/// A domain name (letters, digits, hyphens, dots) or an address literal.
fn is_helo_name(name: &str) -> bool {
    if let Some(literal) = name.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let ip = literal.strip_prefix("IPv6:").unwrap_or(literal);
        return ip.parse::<std::net::IpAddr>().is_ok();
    }
    name.trim_end_matches('.').split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SettingsForm {
        SettingsForm::new(
            &Settings {
                server: Some("mail.example.org".into()),
                ..Settings::default()
            },
            None,
        )
    }

    fn set(form: &mut SettingsForm, field: SettingsField, text: &str) {
        if let Some(line) = form.line_mut(field) {
            *line = LineInput::new(text);
        }
    }

    #[test]
    fn fields_are_checked_one_by_one() {
        for (field, text, expected) in [
            (SettingsField::Host, "", Some("Host: required")),
            (
                SettingsField::Host,
                "mail example",
                Some("Host: a host name"),
            ),
            (SettingsField::Host, "127.0.0.1", None),
            (
                SettingsField::Port,
                "0",
                Some("Port: \"0\" is not a port number"),
            ),
            (SettingsField::Port, "65536", Some("Port: \"65536\"")),
            (SettingsField::Port, "x", Some("Port: \"x\"")),
            (SettingsField::Port, "2525", None),
            (SettingsField::Helo, "", None),
            (SettingsField::Helo, "client.example.org", None),
            (SettingsField::Helo, "[192.0.2.1]", None),
            (
                SettingsField::Helo,
                "bad name",
                Some("HELO: \"bad name\" is not"),
            ),
            (SettingsField::Sender, "", None),
            (SettingsField::Sender, "bounce@example.org", None),
            (
                SettingsField::Sender,
                "bounce",
                Some("Sender: \"bounce\" is not a valid"),
            ),
            (SettingsField::Timeout, "", None),
            (SettingsField::Timeout, "30", None),
            (
                SettingsField::Timeout,
                "0",
                Some("Timeout: \"0\" is not a number"),
            ),
            (SettingsField::Timeout, "-5", Some("Timeout:")),
        ] {
            let mut f = form();
            set(&mut f, field, text);
            f.check(field);
            match expected {
                None => assert_eq!(f.error(field), None, "{field:?} {text:?}"),
                Some(prefix) => {
                    let got = f.error(field).unwrap_or_default();
                    assert!(got.starts_with(prefix), "{field:?} {text:?}: {got}");
                }
            }
        }
    }

    #[test]
    fn security_cycles_and_the_usual_port_follows() {
        let mut f = form();
        assert_eq!((f.security, f.port.text()), (Security::StartTls, "587"));
        let space = Key::char(' ');
        assert!(f.key(SettingsField::Security, &space));
        assert_eq!((f.security, f.port.text()), (Security::Tls, "465"));
        assert!(f.key(SettingsField::Security, &space));
        assert_eq!((f.security, f.port.text()), (Security::None, "25"));
        set(&mut f, SettingsField::Port, "2525");
        assert!(f.key(SettingsField::Security, &Key::plain(KeyCode::Left)));
        assert_eq!((f.security, f.port.text()), (Security::Tls, "2525"));
        assert!(!f.key(SettingsField::Security, &Key::char('x')));
        assert!(f.key(SettingsField::Auth, &Key::plain(KeyCode::Right)));
        assert_eq!(f.auth, AuthChoice::Login);
    }

    #[test]
    fn saved_settings_never_hold_the_password() {
        let mut f = SettingsForm::new(
            &Settings {
                server: Some("mail.example.org".into()),
                user: Some("bob".into()),
                password_command: Some("pass show mail".into()),
                ..Settings::default()
            },
            Some(&Password::new("hunter2-secret".into())),
        );
        set(&mut f, SettingsField::Timeout, "30");
        let saved = f.to_settings(Some("Bob <bob@example.org>".into()));
        let text = toml::to_string(&saved).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(saved.timeout, Some(30));
        assert_eq!(saved.password_command.as_deref(), Some("pass show mail"));
        assert!(matches!(f.login(), Login::Ready(c) if c.password() == "hunter2-secret"));
        assert!(!format!("{f:?}").contains("hunter2"));
        set(&mut f, SettingsField::Password, "");
        assert!(matches!(f.login(), Login::NeedsCommand(c) if c == "pass show mail"));
        f.base.password_command = None;
        assert!(matches!(f.login(), Login::Missing));
        set(&mut f, SettingsField::User, "");
        assert!(matches!(f.login(), Login::Anonymous));
    }
}
