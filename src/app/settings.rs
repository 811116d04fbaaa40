//! The settings pane: the settings the form shows (each a
//! [`settings::Key`](crate::settings::Key), so its checks and its place in
//! the config file are the setting's own) and the password, which lives in
//! memory only. [`ROWS`] is the pane's layout, and its order is the Tab
//! order. What the form does not show (CA file, password command…) stays in
//! [`SettingsForm::base`] and is saved back unchanged.

use super::{
    Key as KeyPress, KeyCode,
    line::{Edit, LineInput, SecretInput},
};
use crate::{
    password::Password,
    resolve::{self, Context, PasswordSource, Resolved},
    settings::{Key, Settings},
    smtp::{Credentials, Security},
};

/// A field of the settings pane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SettingsField {
    /// The account whose settings the pane shows (a choice).
    Account,
    /// A setting (saved by Ctrl+W).
    Setting(Key),
    /// The password: masked, memory only.
    Password,
}

use SettingsField::{Account, Password as PasswordField, Setting};

/// The pane, row by row: each field and its label. The Tab order is this
/// order; the view draws this grid (the account row has one field, and the
/// provider hint beside it).
pub const ROWS: [&[(SettingsField, &str)]; 4] = [
    &[(Account, "Account")],
    &[
        (Setting(Key::Server), "Host"),
        (Setting(Key::Port), "Port"),
        (Setting(Key::Security), "Security"),
    ],
    &[
        (Setting(Key::User), "User"),
        (PasswordField, "Password"),
        (Setting(Key::Auth), "Auth"),
    ],
    &[
        (Setting(Key::Helo), "HELO"),
        (Setting(Key::EnvelopeFrom), "Sender"),
        (Setting(Key::Timeout), "Timeout"),
    ],
];

/// How many fields the pane has.
const FIELDS: usize = {
    let mut n = 0;
    let mut row = 0;
    while row < ROWS.len() {
        n += ROWS[row].len();
        row += 1;
    }
    n
};

/// Every field, in Tab order (the rows, flattened).
const ALL: [SettingsField; FIELDS] = {
    let mut all = [PasswordField; FIELDS];
    let (mut i, mut row) = (0, 0);
    while row < ROWS.len() {
        let mut col = 0;
        while col < ROWS[row].len() {
            all[i] = ROWS[row][col].0;
            i += 1;
            col += 1;
        }
        row += 1;
    }
    all
};

impl SettingsField {
    /// Host.
    pub const HOST: SettingsField = Setting(Key::Server);
    /// Port.
    pub const PORT: SettingsField = Setting(Key::Port);
    /// Security.
    pub const SECURITY: SettingsField = Setting(Key::Security);
    /// The envelope sender.
    pub const SENDER: SettingsField = Setting(Key::EnvelopeFrom);

    /// Every field, in Tab order.
    pub fn all() -> &'static [SettingsField] {
        &ALL
    }

    /// The label shown in front of the field.
    pub fn label(self) -> &'static str {
        ROWS.iter()
            .flat_map(|row| row.iter())
            .find(|(f, _)| *f == self)
            .map_or("", |(_, label)| label)
    }

    /// The next field (`forward`) or the previous one, wrapping around.
    #[must_use]
    pub fn step(self, forward: bool) -> SettingsField {
        cycle(&ALL, self, forward)
    }

    /// Whether the field is a choice among fixed values (Space/←/→ cycle).
    pub fn is_choice(self) -> bool {
        match self {
            Account => true,
            Setting(key) => key.choices().is_some(),
            PasswordField => false,
        }
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
    /// The text of each setting the pane shows, in [`ROWS`] order.
    values: Vec<(Key, LineInput)>,
    /// Password, typed or from `SMTPWIRE_PASSWORD`; never saved.
    pub password: SecretInput,
    /// Messages of the fields that failed their check, `Label: message`.
    pub errors: Vec<(SettingsField, String)>,
    /// The password the password command gave, kept for this run only.
    pub command_password: Option<Password>,
    /// Every setting (file and command line merged), including what the
    /// pane does not show; the pane's values are laid over it.
    pub base: Settings,
}

impl SettingsForm {
    /// The pane holding `settings`, with the password from the environment.
    pub fn new(settings: &Settings, password: Option<&Password>) -> SettingsForm {
        let values = ALL
            .iter()
            .filter_map(|field| match field {
                Setting(key) => {
                    // Port and security stay empty ("auto") unless set, so
                    // the defaults, or a provider's, apply; the view shows
                    // what they will be.
                    let text = match key {
                        Key::Auth => settings.auth.unwrap_or_default().to_string(),
                        _ => settings.text(*key).unwrap_or_default(),
                    };
                    Some((*key, LineInput::new(&text)))
                }
                PasswordField | Account => None,
            })
            .collect();
        SettingsForm {
            values,
            password: SecretInput::new(password.map(Password::expose).unwrap_or_default()),
            errors: Vec::new(),
            command_password: None,
            base: settings.clone(),
        }
    }

    /// The text of a setting the pane shows.
    pub fn line(&self, key: Key) -> Option<&LineInput> {
        self.values.iter().find(|(k, _)| *k == key).map(|(_, l)| l)
    }

    fn line_mut(&mut self, key: Key) -> Option<&mut LineInput> {
        self.values
            .iter_mut()
            .find(|(k, _)| *k == key)
            .map(|(_, l)| l)
    }

    /// The text of a shown setting, trimmed ("" when not shown).
    pub fn text(&self, key: Key) -> &str {
        self.line(key).map_or("", |l| l.text().trim())
    }

    /// Replaces a setting's text (as if typed).
    pub fn set(&mut self, key: Key, text: &str) {
        if let Some(line) = self.line_mut(key) {
            *line = LineInput::new(text);
        }
    }

    /// The security as chosen.
    pub fn security(&self) -> Security {
        self.text(Key::Security).parse().unwrap_or_else(|_| {
            let port = self.text(Key::Port).parse().ok();
            resolve::security(&Settings {
                port,
                ..Settings::default()
            })
        })
    }

    /// Applies a key to a field; returns whether a value changed.
    pub fn key(&mut self, field: SettingsField, key: &KeyPress) -> bool {
        match field {
            PasswordField => {
                let changed = self.password.edit(key) == Edit::Changed;
                if changed {
                    // A typed password replaces what the command gave.
                    self.command_password = None;
                }
                changed
            }
            // The account is the app's to change (it reloads the pane).
            Account => false,
            Setting(setting) => match choices(setting) {
                Some(choices) => {
                    let forward = match (key.code, key.ctrl || key.alt) {
                        (KeyCode::Char(' ') | KeyCode::Right, false) => true,
                        (KeyCode::Left, false) => false,
                        _ => return false,
                    };
                    let current = self.text(setting);
                    let current = choices.iter().copied().find(|c| *c == current);
                    let next = cycle(choices, current.unwrap_or(choices[0]), forward);
                    if setting == Key::Security {
                        self.follow_security(next);
                    }
                    self.set(setting, next);
                    true
                }
                None => self
                    .line_mut(setting)
                    .is_some_and(|line| line.edit(key) == Edit::Changed),
            },
        }
    }

    /// Inserts pasted text into a text field.
    pub fn paste(&mut self, field: SettingsField, text: &str) -> bool {
        let text = text.trim_end_matches(['\r', '\n']);
        match field {
            PasswordField => self.password.insert_str(text),
            Setting(key) if key.choices().is_none() => {
                self.line_mut(key).is_some_and(|line| line.insert_str(text))
            }
            // Choices and the account are not typed.
            Account | Setting(_) => false,
        }
    }

    /// A new security moves a port left at the old mode's usual number to
    /// the new one's (587 → 465 for tls).
    fn follow_security(&mut self, next: &str) {
        let port = self.text(Key::Port);
        if port.is_empty() || port != self.security().default_port().to_string() {
            return;
        }
        match next.parse::<Security>() {
            Ok(next) => self.set(Key::Port, &next.default_port().to_string()),
            // Back to auto: the port is automatic again too.
            Err(_) => self.set(Key::Port, ""),
        }
    }

    /// What is wrong with a field, as `Label: message`: the setting's own
    /// checks ([`Key::parse`]). An empty host is the resolver's to judge
    /// (the provider table may supply one).
    pub fn problem(&self, field: SettingsField) -> Option<String> {
        let Setting(key) = field else {
            return None;
        };
        let text = self.text(key);
        let message = format!("{text:?} {}", key.parse(text).err()?.reason);
        Some(format!("{}: {message}", field.label()))
    }

    /// Checks one field (as the user leaves it).
    pub fn check(&mut self, field: SettingsField) {
        self.errors.retain(|(f, _)| *f != field);
        if let Some(message) = self.problem(field) {
            self.errors.push((field, message));
            self.errors
                .sort_by_key(|(f, _)| ALL.iter().position(|a| a == f));
        }
    }

    /// Checks every field; returns the first one with a problem.
    pub fn check_all(&mut self) -> Option<SettingsField> {
        for field in ALL {
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

    /// `host:port` as the status line shows it.
    pub fn server(&self) -> String {
        let port = match self.text(Key::Port) {
            "" => self.security().default_port().to_string(),
            port => port.to_owned(),
        };
        format!("{}:{port}", self.text(Key::Server))
    }

    /// The settings as the config file holds them (never the password): the
    /// pane's values over the base. A value that fails its check keeps the
    /// base's (check first: [`SettingsForm::check_all`]). `from` is the
    /// compose form's From, kept as a setting when valid.
    pub fn to_settings(&self, from: Option<String>) -> Settings {
        let mut settings = self.base.clone();
        for (key, line) in &self.values {
            // Checked fields cannot fail here; an unchecked bad one keeps
            // the base's value rather than saving garbage.
            let _ = settings.set_text(*key, line.text());
        }
        if from.is_some() {
            settings.from = from;
        }
        settings
    }

    /// Whether a password is at hand (typed, from the environment, or from
    /// the command this run).
    fn password_given(&self) -> bool {
        !self.password.is_empty() || self.command_password.is_some()
    }

    /// The settings resolved as `smtpwire send` resolves them: the same
    /// defaults, the same trust, the same refusals.
    pub fn resolve(
        &self,
        hostname: &str,
        sender_domain: Option<&str>,
    ) -> Result<Resolved, resolve::Error> {
        resolve::resolve(
            &self.to_settings(None),
            &Context {
                hostname,
                sender_domain,
                password_given: self.password_given(),
            },
        )
    }

    /// The HELO name that will be sent: the typed one, or the automatic one.
    pub fn effective_helo(&self, hostname: &str, sender_domain: Option<&str>) -> String {
        resolve::helo(
            &self.to_settings(None),
            &Context {
                hostname,
                sender_domain,
                password_given: false,
            },
        )
    }

    /// How the login gets its password, for resolved settings.
    pub fn login(&self, resolved: &Resolved) -> Login {
        let Some(login) = &resolved.login else {
            return Login::Anonymous;
        };
        match &login.password {
            PasswordSource::Given => {
                let password = if self.password.is_empty() {
                    self.command_password.as_ref().map_or("", Password::expose)
                } else {
                    self.password.expose()
                };
                Login::Ready(Credentials::new(&login.user, password))
            }
            PasswordSource::Command(command) => Login::NeedsCommand(command.clone()),
            PasswordSource::Ask => Login::Missing,
        }
    }
}

/// The values a choice field cycles through: a setting's own, and for
/// Security an empty "auto" first (the usual mode for the port, or the
/// provider's).
fn choices(key: Key) -> Option<&'static [&'static str]> {
    match key {
        Key::Security => Some(&["", "starttls", "tls", "none"]),
        _ => key.choices(),
    }
}

/// The next (`forward`) or previous item of `all` after `current`,
/// wrapping around: field focus and the choices.
pub(crate) fn cycle<T: Copy + PartialEq>(all: &[T], current: T, forward: bool) -> T {
    let n = all.len();
    let i = all.iter().position(|x| *x == current).unwrap_or(0);
    all[if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::AuthChoice;

    fn form() -> SettingsForm {
        SettingsForm::new(
            &Settings {
                server: Some("mail.example.org".into()),
                ..Settings::default()
            },
            None,
        )
    }

    fn resolved(f: &SettingsForm) -> Resolved {
        f.resolve("box.example.org", None).unwrap()
    }

    #[test]
    fn fields_are_checked_one_by_one() {
        for (key, text, expected) in [
            (Key::Server, "", None),
            (
                Key::Server,
                "mail example",
                Some("Host: \"mail example\" has spaces"),
            ),
            (Key::Server, "127.0.0.1", None),
            (Key::Port, "0", Some("Port: \"0\" is not a port number")),
            (Key::Port, "65536", Some("Port: \"65536\"")),
            (Key::Port, "x", Some("Port: \"x\"")),
            (Key::Port, "2525", None),
            (Key::Helo, "", None),
            (Key::Helo, "client.example.org", None),
            (Key::Helo, "[192.0.2.1]", None),
            (
                Key::Helo,
                "bad name",
                Some("HELO: \"bad name\" is not a domain name"),
            ),
            (Key::EnvelopeFrom, "", None),
            (Key::EnvelopeFrom, "bounce@example.org", None),
            (
                Key::EnvelopeFrom,
                "bounce",
                Some("Sender: \"bounce\" is not a valid address"),
            ),
            (Key::Timeout, "", None),
            (Key::Timeout, "30", None),
            (
                Key::Timeout,
                "0",
                Some("Timeout: \"0\" is not a number of seconds"),
            ),
            (
                Key::Timeout,
                "18446744073709551615",
                Some("Timeout: \"18446744073709551615\" is not a number of seconds"),
            ),
            (Key::Timeout, "-5", Some("Timeout:")),
        ] {
            let mut f = form();
            f.set(key, text);
            let field = Setting(key);
            f.check(field);
            match expected {
                None => assert_eq!(f.error(field), None, "{key:?} {text:?}"),
                Some(prefix) => {
                    let got = f.error(field).unwrap_or_default();
                    assert!(got.starts_with(prefix), "{key:?} {text:?}: {got}");
                }
            }
        }
    }

    #[test]
    fn the_tab_order_is_the_layout() {
        let order: Vec<&str> = ALL.iter().map(|f| f.label()).collect();
        assert_eq!(
            order,
            [
                "Account", "Host", "Port", "Security", "User", "Password", "Auth", "HELO",
                "Sender", "Timeout"
            ]
        );
        assert_eq!(SettingsField::HOST.step(false), Account);
        assert_eq!(Account.step(false), Setting(Key::Timeout));
    }

    #[test]
    fn security_cycles_and_the_usual_port_follows() {
        let mut f = form();
        let state = |f: &SettingsForm| {
            (
                f.text(Key::Security).to_owned(),
                f.text(Key::Port).to_owned(),
            )
        };
        // Unset: automatic, STARTTLS on 587.
        assert_eq!(state(&f), (String::new(), String::new()));
        assert_eq!(f.security(), Security::StartTls);
        let space = KeyPress::char(' ');
        assert!(f.key(SettingsField::SECURITY, &space));
        assert_eq!(state(&f), ("starttls".into(), String::new()));
        f.set(Key::Port, "587");
        assert!(f.key(SettingsField::SECURITY, &space));
        assert_eq!(state(&f), ("tls".into(), "465".into()));
        assert!(f.key(SettingsField::SECURITY, &space));
        assert_eq!(state(&f), ("none".into(), "25".into()));
        f.set(Key::Port, "2525");
        assert!(f.key(SettingsField::SECURITY, &KeyPress::plain(KeyCode::Left)));
        assert_eq!(state(&f), ("tls".into(), "2525".into()));
        assert!(!f.key(SettingsField::SECURITY, &KeyPress::char('x')));
        assert!(f.key(Setting(Key::Auth), &KeyPress::plain(KeyCode::Right)));
        assert_eq!(resolved(&f).auth, AuthChoice::Login);
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
        f.set(Key::Timeout, "30");
        let saved = f.to_settings(Some("Bob <bob@example.org>".into()));
        let text = toml::to_string(&saved).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(saved.timeout, Some(30));
        assert_eq!(saved.password_command.as_deref(), Some("pass show mail"));
        assert!(
            matches!(f.login(&resolved(&f)), Login::Ready(c) if c.password() == "hunter2-secret")
        );
        assert!(!format!("{f:?}").contains("hunter2"));
        f.password.clear();
        assert!(matches!(f.login(&resolved(&f)), Login::NeedsCommand(c) if c == "pass show mail"));
        f.base.password_command = None;
        assert!(matches!(f.login(&resolved(&f)), Login::Missing));
        f.set(Key::User, "");
        assert!(matches!(f.login(&resolved(&f)), Login::Anonymous));
    }

    #[test]
    fn the_form_trusts_what_the_command_line_trusts() {
        let f = SettingsForm::new(
            &Settings {
                server: Some("mail.example.org".into()),
                system_roots: Some(false),
                ..Settings::default()
            },
            None,
        );
        assert_eq!(
            f.resolve("box.example.org", None).unwrap_err(),
            resolve::Error::NoTrust
        );
    }
}
