//! Settings on disk: a TOML file in the user's config directory
//! (`$XDG_CONFIG_HOME/smtpwire/config.toml`, or `--config PATH`), written
//! atomically with mode 0600. The password is never stored: the file may
//! name a `password_command` instead.

use std::path::{Path, PathBuf};

use crate::files;
pub use crate::settings::Settings;

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
    project_dirs()
        .map(|d| d.data_dir().to_owned())
        .ok_or(Error::NoDirectory)
}

/// Loads settings; a missing file gives the defaults (`Ok(None)`). The file
/// must be trusted (see [`files::read_trusted`]): yours (or root's), not
/// writable by others, in folders others cannot change. Like ssh, whatever
/// it holds: besides `password_command` and `ca_file`, plain settings such
/// as `server` or `security = "none"` could send the password elsewhere.
pub fn load(path: &Path) -> Result<Option<Settings>, Error> {
    let Some(text) = files::read_trusted(path, |_| true)? else {
        return Ok(None);
    };
    parse(&text, &path.display().to_string()).map(Some)
}

/// Parses the text of a config file (`shown` names it in errors).
pub fn parse(text: &str, shown: &str) -> Result<Settings, Error> {
    // Checked before the typed parse so the message says why, not just
    // "unknown field"; the value itself is never echoed.
    if let Ok(table) = text.parse::<toml::Table>()
        && table.keys().any(|k| k.eq_ignore_ascii_case("password"))
    {
        return Err(Error::Password {
            path: shown.to_owned(),
        });
    }
    toml::from_str(text).map_err(|e| Error::Parse {
        path: shown.to_owned(),
        reason: e.message().to_owned() + &location(text, e.span()),
    })
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

/// Saves settings atomically with mode 0600 (see [`files::write_private`]).
pub fn save(path: &Path, settings: &Settings) -> Result<(), Error> {
    let body = toml::to_string_pretty(settings).map_err(|e| Error::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let text = format!(
        "# smtpwire settings. The password is never stored here: use\n\
         # password_command = \"pass show mail\" or the SMTPWIRE_PASSWORD variable.\n\n{body}"
    );
    Ok(files::write_private(path, text.as_bytes())?)
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
        save(&path, &settings).unwrap();
        assert_eq!(load(&path).unwrap(), Some(settings));
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
}
