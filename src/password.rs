//! Where a password comes from, for both front-ends: the environment
//! variable and the password command. (Asking on a terminal is the command
//! line's; typing it is the composer's.) Every password lives in a
//! [`Password`], wiped when dropped and never printed.

use std::fmt;

use zeroize::Zeroizing;

use crate::secret_command::{PASSWORD_VAR, password_command};

/// A password (or an `OAuth2` access token), wiped from memory when dropped;
/// `Debug` never shows it, and it is not `Clone`, so no copy outlives it
/// unseen.
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a password.
    pub fn new(password: String) -> Password {
        Password(Zeroizing::new(password))
    }

    /// The password itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Why no password could be had. Messages never include the password or
/// the command's output.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The variable holds bytes that are not UTF-8.
    #[error("{PASSWORD_VAR} is not valid UTF-8")]
    NotUtf8Variable,
    /// The variable is set but empty.
    #[error("{PASSWORD_VAR} is set but empty")]
    EmptyVariable,
    /// The command could not be started.
    #[error("cannot run the password command: {0}")]
    Spawn(String),
    /// The command exited with a failure.
    #[error("the password command failed ({0})")]
    Failed(String),
    /// The command printed something that is not UTF-8.
    #[error("the password command printed something that is not UTF-8")]
    NotUtf8Output,
    /// The command's first line is empty.
    #[error("the password command printed an empty line")]
    EmptyOutput,
}

/// The password in `SMTPWIRE_PASSWORD`, if it is set.
pub fn from_environment() -> Result<Option<Password>, Error> {
    let Some(value) = std::env::var_os(PASSWORD_VAR) else {
        return Ok(None);
    };
    let value = Zeroizing::new(value.into_string().map_err(|_| Error::NotUtf8Variable)?);
    if value.is_empty() {
        return Err(Error::EmptyVariable);
    }
    Ok(Some(Password::new(value.to_string())))
}

/// Runs the password command (`sh -c`, see [`password_command`]); its first
/// output line is the password. Its output is never shown, even on failure.
pub fn run_command(command: &str) -> Result<Password, Error> {
    let output = password_command(command)
        .output()
        .map_err(|e| Error::Spawn(e.to_string()))?;
    // Wiped whether or not it is used.
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        return Err(Error::Failed(output.status.to_string()));
    }
    let text = std::str::from_utf8(&stdout).map_err(|_| Error::NotUtf8Output)?;
    let first = text.lines().next().unwrap_or_default();
    if first.is_empty() {
        return Err(Error::EmptyOutput);
    }
    Ok(Password::new(first.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_gives_its_first_line_and_hides_its_output_on_failure() {
        for (command, expected) in [
            ("printf 'hunter2\\nsecond line\\n'", Ok("hunter2")),
            ("printf 'no-newline'", Ok("no-newline")),
            ("printf '\\n'", Err(Error::EmptyOutput)),
            ("printf '\\377\\n'", Err(Error::NotUtf8Output)),
            (
                "echo hunter2; exit 3",
                Err(Error::Failed("exit status: 3".into())),
            ),
        ] {
            let got = run_command(command);
            match (&got, expected) {
                (Ok(p), Ok(want)) => assert_eq!(p.expose(), want),
                (Err(e), Err(want)) => {
                    assert_eq!(*e, want);
                    assert!(!e.to_string().contains("hunter2"), "{e}");
                }
                _ => panic!("{command}: {got:?}"),
            }
        }
        assert_eq!(
            format!("{:?}", Password::new("hunter2".into())),
            "Password(<redacted>)"
        );
    }
}
