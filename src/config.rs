//! Settings on disk: a TOML file in the user's config directory
//! (`$XDG_CONFIG_HOME/smtpwire/config.toml`, or `--config PATH`), written
//! atomically with mode 0600. The password is never stored: the file may
//! name a `password_command` instead.

use std::path::{Path, PathBuf};

pub use crate::settings::Settings;
use crate::{files, settings::FileSettings};

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read, is not trusted, or could not be written
    /// (the message names the file and says what to do).
    #[error(transparent)]
    Files(#[from] files::Error),
    /// The file is not valid TOML or has unknown keys.
    #[error("{path} is not a valid smtpwire config: {reason}")]
    Parse { path: String, reason: String },
    /// The file holds a password, which smtpwire refuses to read.
    #[error(
        "{path} contains a password; remove it and use password_command or the SMTPWIRE_PASSWORD environment variable"
    )]
    Password { path: String },
    /// The file could not be written.
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
    /// No config directory is known (no HOME).
    #[error("no config directory: set XDG_CONFIG_HOME or HOME, or pass --config PATH")]
    NoDirectory,
}

/// The standard places, following the XDG base directories.
fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "smtpwire")
}

/// The config file: `explicit`, or `config.toml` in the user's config
/// directory.
pub fn config_path(explicit: Option<&Path>) -> Result<PathBuf, Error> {
    match explicit {
        Some(path) => Ok(path.to_owned()),
        None => project_dirs()
            .map(|d| d.config_dir().join("config.toml"))
            .ok_or(Error::NoDirectory),
    }
}

/// The data directory (drafts, saved logs): `$XDG_DATA_HOME/smtpwire`.
pub fn data_dir() -> Result<PathBuf, Error> {
    let dir = project_dirs()
        .map(|d| d.data_dir().to_owned())
        .ok_or(Error::NoDirectory)?;
    // Another user's folder, or one others can write to, would let them
    // plant or swap what smtpwire keeps there.
    files::check_private_folder(&dir)?;
    Ok(dir)
}

/// The name the flat settings go by when the file has accounts.
pub const FLAT: &str = "default";

/// A config file: the flat settings (today's file: the account named
/// [`FLAT`]) and named accounts. Accounts do not inherit the flat settings:
/// each says everything it needs, so one account's server or login never
/// leaks into another's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigFile {
    file: FileSettings,
}

/// A chosen account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Its name (`default` for the flat settings).
    pub name: String,
    /// Its settings.
    pub settings: Settings,
    /// Why it was chosen, for the log: `--account work`, `default_account`,
    /// "the From address is at example.org"…
    pub chosen_by: String,
}

/// Why no account could be chosen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("there is no account {name:?}; the config file has: {}", known.join(", "))]
pub struct UnknownAccount {
    /// What was asked for.
    pub name: String,
    /// What exists.
    pub known: Vec<String>,
}

/// An account holding a value out of bounds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("account {account}: {error}")]
pub struct InvalidAccount {
    /// Which account.
    pub account: String,
    /// What is wrong.
    pub error: crate::settings::SettingError,
}

impl ConfigFile {
    /// A file with these flat settings and no accounts.
    pub fn flat(settings: &Settings) -> ConfigFile {
        let mut file = FileSettings::default();
        file.set_flat(settings);
        ConfigFile { file }
    }

    /// Every account's name, the flat one first when it has settings (or
    /// when there are no others).
    pub fn names(&self) -> Vec<String> {
        let mut names = Vec::new();
        if !self.file.flat().is_empty() || self.file.accounts.is_empty() {
            names.push(FLAT.to_owned());
        }
        names.extend(
            self.file
                .accounts
                .keys()
                .filter(|n| n.as_str() != FLAT)
                .cloned(),
        );
        names
    }

    /// An account's settings by name.
    pub fn settings(&self, name: &str) -> Option<Settings> {
        match self.file.accounts.get(name) {
            Some(settings) => Some(settings.clone()),
            None if name == FLAT => Some(self.file.flat()),
            None => None,
        }
    }

    /// The account to use: the one asked for, else the only one whose From
    /// is at `from_domain`, else `default_account`, else the flat settings
    /// (or the first account when there are none).
    pub fn choose(
        &self,
        asked: Option<&str>,
        from_domain: Option<&str>,
    ) -> Result<Account, UnknownAccount> {
        let found = |name: &str, chosen_by: String| {
            self.settings(name).map(|settings| Account {
                name: name.to_owned(),
                settings,
                chosen_by,
            })
        };
        if let Some(name) = asked {
            return found(name, format!("--account {name}")).ok_or_else(|| UnknownAccount {
                name: name.to_owned(),
                known: self.names(),
            });
        }
        if let Some(domain) = from_domain
            && let Some(name) = self.by_from_domain(domain)
            && let Some(account) = found(&name, format!("the From address is at {domain}"))
        {
            return Ok(account);
        }
        if let Some(name) = &self.file.default_account {
            return found(name, "default_account".to_owned()).ok_or_else(|| UnknownAccount {
                name: name.clone(),
                known: self.names(),
            });
        }
        let first = self
            .names()
            .into_iter()
            .next()
            .unwrap_or_else(|| FLAT.to_owned());
        Ok(
            found(&first, "the first account".to_owned()).unwrap_or(Account {
                name: FLAT.to_owned(),
                settings: Settings::default(),
                chosen_by: "no account".to_owned(),
            }),
        )
    }

    /// The one account whose `from` (or `user`) address is at `domain`, if
    /// exactly one is.
    pub fn by_from_domain(&self, domain: &str) -> Option<String> {
        let at = |settings: &Settings| {
            [&settings.from, &settings.user]
                .into_iter()
                .flatten()
                // Compared in the ASCII form the callers give
                // (`xn--…` for an internationalised domain).
                .any(|a| {
                    crate::mail::Mailbox::parse(a)
                        .is_ok_and(|m| m.address.domain_ascii().eq_ignore_ascii_case(domain))
                })
        };
        let mut matching = self
            .names()
            .into_iter()
            .filter(|name| self.settings(name).is_some_and(|s| at(&s)));
        let first = matching.next()?;
        matching.next().is_none().then_some(first)
    }

    /// Replaces one account's settings (the flat ones for [`FLAT`] when it
    /// is not a named account).
    pub fn set(&mut self, name: &str, settings: Settings) {
        if name == FLAT && !self.file.accounts.contains_key(FLAT) {
            self.file.set_flat(&settings);
        } else {
            self.file.accounts.insert(name.to_owned(), settings);
        }
    }

    /// Checks every value of every account.
    pub fn validate(&self) -> Result<(), InvalidAccount> {
        for name in self.names() {
            if let Some(settings) = self.settings(&name) {
                settings.validate().map_err(|error| InvalidAccount {
                    account: name.clone(),
                    error,
                })?;
            }
        }
        Ok(())
    }
}

/// Loads the config file; a missing file gives `Ok(None)`. The file must
/// be trusted (see [`files::read_trusted`]): yours (or root's), not
/// writable by others, in folders others cannot change. Like ssh, whatever
/// it holds: besides `password_command` and `ca_file`, plain settings such
/// as `server` or `security = "none"` could send the password elsewhere.
pub fn load(path: &Path) -> Result<Option<ConfigFile>, Error> {
    let Some(text) = files::read_trusted(path, |_| true)? else {
        return Ok(None);
    };
    parse(&text, &path.display().to_string()).map(Some)
}

/// Parses the text of a config file (`shown` names it in errors).
pub fn parse(text: &str, shown: &str) -> Result<ConfigFile, Error> {
    // Checked before the typed parse so the message says why, not just
    // "unknown field"; the value itself is never echoed.
    if let Ok(table) = text.parse::<toml::Table>()
        && holds_password(&table)
    {
        return Err(Error::Password {
            path: shown.to_owned(),
        });
    }
    let file: FileSettings = toml::from_str(text).map_err(|e| Error::Parse {
        path: shown.to_owned(),
        reason: e.message().to_owned() + &location(text, e.span()),
    })?;
    Ok(ConfigFile { file })
}

/// A `password` key at the top or in an account.
fn holds_password(table: &toml::Table) -> bool {
    let here = table.keys().any(|k| k.eq_ignore_ascii_case("password"));
    let in_accounts = table
        .get("accounts")
        .and_then(toml::Value::as_table)
        .is_some_and(|accounts| {
            accounts
                .values()
                .filter_map(toml::Value::as_table)
                .any(holds_password)
        });
    here || in_accounts
}

/// ` (line 3, column 7)` for a byte span of `text`.
fn location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(span) = span else {
        return String::new();
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!(" (line {line}, column {column})")
}

/// Saves the file atomically with mode 0600 (see [`files::write_private`]).
pub fn save(path: &Path, config: &ConfigFile) -> Result<(), Error> {
    let body = toml::to_string_pretty(&config.file).map_err(|e| Error::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let text = format!(
        "# smtpwire settings. The password is never stored here: use\n\
         # password_command = \"pass show mail\" or the SMTPWIRE_PASSWORD variable.\n\n{body}"
    );
    Ok(files::write_private(path, text.as_bytes())?)
}

/// Saves one account's settings, keeping the rest of the file as it is (a
/// file that cannot be read back is replaced; the caller keeps a copy).
pub fn save_account(path: &Path, name: &str, settings: &Settings) -> Result<(), Error> {
    let mut config = load(path).ok().flatten().unwrap_or_default();
    config.set(name, settings.clone());
    save(path, &config)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::smtp::{AuthChoice, Security};

    #[test]
    fn round_trip_with_mode_0600_and_no_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/config.toml");
        let settings = Settings {
            server: Some("127.0.0.1".into()),
            port: Some(2587),
            security: Some(Security::StartTls),
            helo: Some("client.lab.example".into()),
            from: Some("Иван Петров <ivan@lab.example>".into()),
            user: Some("ivan@lab.example".into()),
            auth: Some(AuthChoice::Login),
            timeout: Some(30),
            ca_file: Some("target/lab/ca.pem".into()),
            password_command: Some("pass show lab".into()),
            ..Settings::default()
        };
        save(&path, &ConfigFile::flat(&settings)).unwrap();
        let loaded = load(&path).unwrap().unwrap();
        assert_eq!(loaded.names(), ["default"]);
        assert_eq!(loaded.settings(FLAT), Some(settings));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.lines().any(|l| l.starts_with("password ")), "{text}");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file may remain");
    }

    #[test]
    fn missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(&dir.path().join("none.toml")).unwrap(), None);
    }

    #[test]
    fn broken_files_give_clear_errors() {
        for (text, expected) in [
            ("server = ", "line 1, column 10"),
            ("port = \"x\"", "line 1, column 8"),
            ("security = \"ssl3\"", "unknown variant `ssl3`"),
            ("\nsevrer = \"x\"", "unknown field `sevrer`"),
        ] {
            let err = parse(text, "c.toml").unwrap_err();
            assert!(err.to_string().contains(expected), "{text:?}: {err}");
            assert!(
                err.to_string()
                    .starts_with("c.toml is not a valid smtpwire config"),
                "{err}"
            );
        }
        let err = parse("password = \"hunter2\"\n", "c.toml").unwrap_err();
        assert!(matches!(&err, Error::Password { path } if path == "c.toml"));
        assert!(!err.to_string().contains("hunter2"));
    }

    const TWO: &str = r#"
default_account = "work"

[accounts.work]
server = "smtp.work.example"
from = "Ann <ann@work.example>"
user = "ann"
password_command = "pass show work"

[accounts.home]
from = "ann@yandex.ru"
reply_to = "ann@home.example"
signature_file = "~/.signature"
"#;

    #[test]
    fn accounts_are_named_and_chosen() {
        let file = parse(TWO, "c.toml").unwrap();
        assert_eq!(file.names(), ["work", "home"]);
        let by_default = file.choose(None, None).unwrap();
        assert_eq!(by_default.name, "work");
        assert_eq!(by_default.chosen_by, "default_account");
        assert_eq!(
            by_default.settings.server.as_deref(),
            Some("smtp.work.example")
        );
        let asked = file.choose(Some("home"), Some("work.example")).unwrap();
        assert_eq!(asked.name, "home");
        assert_eq!(asked.settings.reply_to.as_deref(), Some("ann@home.example"));
        // Accounts do not inherit one another: home has no server.
        assert_eq!(asked.settings.server, None);
        let by_from = file.choose(None, Some("YANDEX.ru")).unwrap();
        assert_eq!(by_from.name, "home");
        assert_eq!(by_from.chosen_by, "the From address is at YANDEX.ru");
    }

    #[test]
    fn an_unknown_account_lists_the_known_ones() {
        let file = parse(TWO, "c.toml").unwrap();
        let err = file.choose(Some("wrok"), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "there is no account \"wrok\"; the config file has: work, home"
        );
        let dangling = parse("default_account = \"gone\"\nserver = \"x\"\n", "c.toml").unwrap();
        assert_eq!(dangling.choose(None, None).unwrap_err().name, "gone");
    }

    /// An account at an internationalised domain is found by the ASCII
    /// form the callers give, whichever form its file uses.
    #[test]
    fn an_account_at_an_idn_domain_is_found() {
        let file = parse(
            "[accounts.rf]\nfrom = \"Иван <ivan@почта.рф>\"\n[accounts.other]\nfrom = \"a@x.example\"\n",
            "c.toml",
        )
        .unwrap();
        let ascii = crate::mail::Mailbox::parse("ivan@почта.рф")
            .unwrap()
            .address
            .domain_ascii()
            .to_owned();
        assert!(ascii.starts_with("xn--"), "{ascii}");
        assert_eq!(file.by_from_domain(&ascii).as_deref(), Some("rf"));
    }

    #[test]
    fn a_domain_shared_by_two_accounts_chooses_neither() {
        let file = parse(
            "[accounts.a]\nfrom = \"a@x.example\"\n[accounts.b]\nuser = \"b@x.example\"\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(file.by_from_domain("x.example"), None);
        assert_eq!(file.choose(None, Some("x.example")).unwrap().name, "a");
        assert_eq!(file.by_from_domain("y.example"), None);
    }

    #[test]
    fn the_flat_file_is_the_default_account() {
        let file = parse("server = \"flat.example\"\n", "c.toml").unwrap();
        let account = file.choose(None, None).unwrap();
        assert_eq!(account.name, FLAT);
        assert_eq!(account.settings.server.as_deref(), Some("flat.example"));
        let empty = parse("", "c.toml").unwrap();
        assert_eq!(
            empty.choose(None, None).unwrap().settings,
            Settings::default()
        );
    }

    #[test]
    fn saving_one_account_keeps_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, TWO).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut home = parse(TWO, "c.toml").unwrap().settings("home").unwrap();
        home.port = Some(465);
        save_account(&path, "home", &home).unwrap();
        let file = load(&path).unwrap().unwrap();
        assert_eq!(file.names(), ["work", "home"]);
        assert_eq!(file.settings("home").unwrap().port, Some(465));
        assert_eq!(
            file.settings("work").unwrap().password_command.as_deref(),
            Some("pass show work")
        );
        assert_eq!(file.choose(None, None).unwrap().name, "work");
    }

    #[test]
    fn a_password_in_an_account_is_refused_without_echo() {
        let err = parse("[accounts.a]\npassword = \"hunter2\"\n", "c.toml").unwrap_err();
        assert!(matches!(err, Error::Password { .. }), "{err}");
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn an_account_out_of_bounds_is_named() {
        let file = parse("[accounts.slow]\ntimeout = 0\n", "c.toml").unwrap();
        let err = file.validate().unwrap_err();
        assert!(err.to_string().starts_with("account slow: "), "{err}");
    }
}
