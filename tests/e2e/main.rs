//! End-to-end tests: the real `smtpwire` binary against the project's own
//! Postfix + Dovecot on 127.0.0.1 (`scripts/lab.sh`), letters read back over
//! IMAP and scored by `SpamAssassin`. Run them with `scripts/test.sh`, which
//! starts the lab, exports its settings and passes `--features lab-tests`.

// Test code: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is the failure report"
)]
#![allow(
    clippy::needless_pass_by_value,
    reason = "test helpers take what the table gives them"
)]

mod export;
mod imap;
mod letters;
mod load;
mod secrets;
mod sent;
mod spam;
mod tui;

use std::{
    collections::HashMap,
    path::PathBuf,
    process::{Command, Output, Stdio},
    sync::OnceLock,
    time::Duration,
};

use imap::{Imap, quote};

/// The lab, as `scripts/lab.sh env` describes it.
pub struct Lab {
    pub host: String,
    pub smtp_port: u16,
    pub submission_port: u16,
    pub submissions_port: u16,
    pub imap_port: u16,
    pub imaps_port: u16,
    pub ca: PathBuf,
    pub domain: String,
    pub unknown: String,
    /// name → (login, password)
    pub users: HashMap<String, (String, String)>,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the end-to-end tests need the mail lab. Run them with \
             scripts/test.sh, which starts Postfix and Dovecot on 127.0.0.1 and exports its settings."
        )
    })
}

pub fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        let users = var("SMTPWIRE_LAB_USERS")
            .split_whitespace()
            .map(|u| {
                let up = u.to_ascii_uppercase();
                (
                    u.to_owned(),
                    (
                        var(&format!("SMTPWIRE_LAB_{up}_USER")),
                        var(&format!("SMTPWIRE_LAB_{up}_PASSWORD")),
                    ),
                )
            })
            .collect();
        Lab {
            host: var("SMTPWIRE_LAB_HOST"),
            smtp_port: var("SMTPWIRE_LAB_SMTP_PORT").parse().unwrap(),
            submission_port: var("SMTPWIRE_LAB_SUBMISSION_PORT").parse().unwrap(),
            submissions_port: var("SMTPWIRE_LAB_SUBMISSIONS_PORT").parse().unwrap(),
            imap_port: var("SMTPWIRE_LAB_IMAP_PORT").parse().unwrap(),
            imaps_port: var("SMTPWIRE_LAB_IMAPS_PORT").parse().unwrap(),
            ca: var("SMTPWIRE_LAB_CA").into(),
            domain: var("SMTPWIRE_LAB_DOMAIN"),
            unknown: var("SMTPWIRE_LAB_UNKNOWN_USER"),
            users,
        }
    })
}

impl Lab {
    pub fn address(&self, user: &str) -> String {
        self.users[user].0.clone()
    }

    pub fn password(&self, user: &str) -> String {
        self.users[user].1.clone()
    }

    pub fn imap(&self, user: &str) -> Imap {
        let (login, password) = &self.users[user];
        Imap::login(&self.host, self.imap_port, login, password)
    }

    /// Waits for `count` letters carrying this Message-ID in `user`'s INBOX.
    pub fn fetch_by_id(&self, user: &str, message_id: &str, count: usize) -> Vec<Vec<u8>> {
        let mut imap = self.imap(user);
        let found = imap.wait_for(
            &format!("HEADER Message-ID {}", quote(message_id)),
            count,
            Duration::from_secs(15),
        );
        imap.logout();
        found
    }

    /// Waits for `count` letters whose subject contains `token` (ASCII).
    pub fn fetch_by_subject(&self, user: &str, token: &str, count: usize) -> Vec<Vec<u8>> {
        let mut imap = self.imap(user);
        let found = imap.wait_for(
            &format!("SUBJECT {}", quote(token)),
            count,
            Duration::from_secs(30),
        );
        imap.logout();
        found
    }
}

/// A unique token for this test run, to find its letters.
pub fn token(name: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs the binary with a clean environment (no user config, no password
/// unless given).
pub fn smtpwire(args: &[String], password: Option<&str>) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_smtpwire"));
    command
        .args(args)
        .env_remove("SMTPWIRE_PASSWORD")
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("HOME", home.path())
        .stdin(Stdio::null());
    if let Some(password) = password {
        command.env("SMTPWIRE_PASSWORD", password);
    }
    command.output().unwrap()
}

/// `send` with the options of a submission as alice to the lab (the
/// caller adds the letter); `[0]` may be swapped for `check`.
pub fn submission(port: u16, security: &str, auth: &str) -> Vec<String> {
    let lab = lab();
    args(&[
        "send",
        "--server",
        &lab.host,
        "--port",
        &port.to_string(),
        "--security",
        security,
        "--ca-file",
        lab.ca.to_str().unwrap(),
        "--user",
        &lab.address("alice"),
        "--auth",
        auth,
        "--helo",
        "client.lab.example",
        "--timeout",
        "30",
    ])
}

pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

/// stdout + stderr as text, for assertions and failure messages.
pub fn text(output: &Output) -> String {
    format!(
        "--- status: {}\n--- stdout:\n{}\n--- stderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Asserts that neither the password nor any base64 form of it (alone, or
/// inside an AUTH PLAIN blob for `login`) appears in `haystack`.
pub fn assert_no_secret(haystack: &[u8], login: &str, password: &str) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let needles = [
        password.to_owned(),
        b64.encode(password),
        b64.encode(format!("\0{login}\0{password}")),
        b64.encode(format!("{login}\0{login}\0{password}")),
    ];
    let text = String::from_utf8_lossy(haystack);
    for needle in needles {
        assert!(!text.contains(&needle), "secret {needle:?} leaked");
    }
}
