//! The password command's process: `sh -c COMMAND` with the environment the
//! user gave smtpwire, minus the password smtpwire itself may hold.
//!
//! The command is the user's (`pass show mail`, `gpg -d …`), but what it
//! runs can be anything on `PATH`, and a tool that logs or forwards its
//! environment (a debug wrapper, `ssh` with `SendEnv *`, a crash reporter)
//! must not get `SMTPWIRE_PASSWORD`. Everything else is inherited, and
//! `SSL_CERT_FILE` gets back the value the user set before `main` steered it
//! (see `smtp::tls::hashed_system_roots`): the command's own TLS clients
//! (curl, a vault CLI) need the user's, not smtpwire's shortcut.

use std::process::Command;

use crate::smtp::tls::{self, ChildCertFile};

/// The environment variable that may hold the password; never passed on.
pub const PASSWORD_VAR: &str = "SMTPWIRE_PASSWORD";

/// `sh -c COMMAND`, ready for `.output()`: no stdin (the terminal belongs to
/// the composer; a command that needs input fails instead of hanging),
/// stderr inherited (its prompts and errors are the user's to see), stdout
/// for the caller to capture, and the environment described above.
pub fn password_command(command: &str) -> Command {
    prepare(command, tls::child_cert_file())
}

/// [`password_command`] with what the child gets for `SSL_CERT_FILE`
/// passed in.
fn prepare(command: &str, cert_file: ChildCertFile) -> Command {
    let mut child = Command::new("sh");
    child
        .arg("-c")
        .arg(command)
        .env_remove(PASSWORD_VAR)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    match cert_file {
        ChildCertFile::Set(original) => {
            child.env(tls::CERT_FILE_VAR, original);
        }
        ChildCertFile::Remove => {
            child.env_remove(tls::CERT_FILE_VAR);
        }
        ChildCertFile::Inherit => {}
    }
    child
}

#[cfg(test)]
mod tests {
    use std::ffi::{OsStr, OsString};

    use super::*;

    /// What `command` sets (`Some`) or removes (`None`) for `key`;
    /// absent when it inherits.
    #[expect(clippy::option_option, reason = "mirrors Command::get_envs")]
    fn env_change(command: &Command, key: &str) -> Option<Option<OsString>> {
        command
            .get_envs()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.map(OsStr::to_owned))
    }

    #[test]
    fn the_environment_is_prepared_for_each_steering() {
        let user_value: &'static OsStr = OsStr::new("/home/a/corp-ca.pem");
        // (smtpwire's record, what happens to SSL_CERT_FILE in the child)
        for (steered, expected) in [
            (ChildCertFile::Inherit, None),
            (ChildCertFile::Remove, Some(None)),
            (
                ChildCertFile::Set(user_value),
                Some(Some(user_value.to_owned())),
            ),
        ] {
            let command = prepare("true", steered);
            assert_eq!(
                env_change(&command, tls::CERT_FILE_VAR),
                expected,
                "{steered:?}"
            );
            assert_eq!(
                env_change(&command, PASSWORD_VAR),
                Some(None),
                "{steered:?}"
            );
            let args: Vec<_> = command.get_args().collect();
            assert_eq!(args, ["-c", "true"]);
            assert_eq!(command.get_program(), "sh");
        }
    }

    /// The variable cannot be set in this process without `unsafe`
    /// (`std::env::set_var`), so the test runs itself again as a child
    /// that has it, the way a user's shell would start smtpwire.
    #[test]
    fn the_password_command_never_sees_smtpwire_password() {
        if std::env::var_os(crate::files::tests::CHILD).is_none() {
            crate::files::tests::rerun(
                "secret_command::tests::the_password_command_never_sees_smtpwire_password",
                |child| {
                    child.env(PASSWORD_VAR, "hunter2");
                },
            );
            return;
        }
        assert_eq!(std::env::var(PASSWORD_VAR).as_deref(), Ok("hunter2"));
        // Control: a plain child does inherit it, so the test can fail.
        let plain = Command::new("sh")
            .args(["-c", "printenv SMTPWIRE_PASSWORD"])
            .output()
            .unwrap();
        assert_eq!(plain.stdout, b"hunter2\n");
        let output = password_command("printenv SMTPWIRE_PASSWORD; echo \"status $?\"")
            .output()
            .unwrap();
        assert!(output.status.success());
        assert_eq!(String::from_utf8_lossy(&output.stdout), "status 1\n");
    }
}
