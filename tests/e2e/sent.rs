//! The copy in Sent against the lab's Dovecot: appended over IMAP (implicit
//! TLS and STARTTLS; LOGIN with a password full of quoting traps, and
//! AUTHENTICATE PLAIN for a UTF-8 one) byte for byte what `--eml` saved and
//! flagged \Seen; written to a Maildir the same; kept when IMAP is down and
//! delivered by `smtpwire sent --retry`; the password in no output.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

use crate::{args, assert_no_secret, lab, quote, text, token};

/// Runs the binary with its config and data folders in `home`, so a kept
/// copy is still there for the next run.
fn run(list: &[String], password: Option<&str>, home: &Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smtpwire"));
    command
        .args(list)
        .env_remove("SMTPWIRE_PASSWORD")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("HOME", home)
        .stdin(Stdio::null());
    if let Some(password) = password {
        command.env("SMTPWIRE_PASSWORD", password);
    }
    command.output().unwrap()
}

/// `send` as `user` through the submission port, saving `--eml` and
/// `--transcript` in `home`, plus `extra`.
fn send(user: &str, subject: &str, home: &Path, extra: &[&str]) -> Vec<String> {
    let lab = lab();
    let mut list = args(&[
        "send",
        "--server",
        &lab.host,
        "--port",
        &lab.submission_port.to_string(),
        "--ca-file",
        lab.ca.to_str().unwrap(),
        "--user",
        &lab.address(user),
        "--helo",
        "client.lab.example",
        "--from",
        &lab.address(user),
        "--to",
        &lab.address("bob"),
        "--subject",
        subject,
        "--body",
        "A copy of this goes to Sent.\n.a dot line\n",
        "--eml",
        home.join("letter.eml").to_str().unwrap(),
        "--transcript",
        home.join("transcript.log").to_str().unwrap(),
        "--timeout",
        "20",
    ]);
    list.extend(extra.iter().map(ToString::to_string));
    list
}

fn imap_args(port: u16, security: &str) -> Vec<String> {
    let lab = lab();
    args(&[
        "--sent",
        "imap",
        "--imap-server",
        &lab.host,
        "--imap-port",
        &port.to_string(),
        "--imap-security",
        security,
    ])
}

fn message_id(eml: &[u8]) -> String {
    String::from_utf8_lossy(eml)
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap()
        .trim()
        .to_owned()
}

/// The letters in `user`'s Sent folder with this Message-ID, and whether
/// each is flagged \Seen.
fn in_sent(user: &str, id: &str) -> Vec<(Vec<u8>, bool)> {
    let mut imap = lab().imap(user);
    // A user who never had a copy has no Sent folder yet: nothing is in it.
    let listed = imap.command("LIST \"\" \"Sent\"");
    if !listed.lines.iter().any(|l| l.starts_with("* LIST")) {
        imap.logout();
        return Vec::new();
    }
    imap.select("Sent");
    let found = imap
        .search(&format!("HEADER Message-ID {}", quote(id)))
        .into_iter()
        .map(|uid| {
            let flags = imap.command(&format!("UID FETCH {uid} FLAGS"));
            let seen = flags.lines.iter().any(|l| l.contains("\\Seen"));
            (imap.fetch(uid), seen)
        })
        .collect();
    imap.logout();
    found
}

fn assert_clean(output: &Output, home: &Path, user: &str) {
    let lab = lab();
    let transcript = std::fs::read(home.join("transcript.log")).unwrap_or_default();
    for haystack in [&output.stdout, &output.stderr, &transcript] {
        assert_no_secret(haystack, &lab.address(user), &lab.password(user));
    }
}

#[test]
fn the_imap_copy_is_the_eml_byte_for_byte_and_seen() {
    let lab = lab();
    for (user, port, security) in [
        ("alice", lab.imaps_port, "tls"),
        // Space, colon, quotes, backslash: LOGIN's quoting.
        ("carol", lab.imap_port, "starttls"),
        // UTF-8: AUTHENTICATE PLAIN.
        ("dave", lab.imap_port, "starttls"),
    ] {
        let home = tempfile::tempdir().unwrap();
        let subject = token("sent-imap");
        let mut list = send(user, &subject, home.path(), &[]);
        list.extend(imap_args(port, security));
        let output = run(&list, Some(&lab.password(user)), home.path());
        assert!(output.status.success(), "{user}: {}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("IMAP: the copy is in"), "{user}: {stderr}");
        let eml = std::fs::read(home.path().join("letter.eml")).unwrap();
        let found = in_sent(user, &message_id(&eml));
        assert_eq!(found.len(), 1, "{user}: {}", text(&output));
        assert!(found[0].0 == eml, "{user}: the copy differs from --eml");
        assert!(found[0].1, "{user}: not flagged \\Seen");
        assert_clean(&output, home.path(), user);
    }
}

#[test]
fn the_maildir_copy_is_the_eml_byte_for_byte() {
    let lab = lab();
    let home = tempfile::tempdir().unwrap();
    let maildir = home.path().join("Mail/Sent");
    let mut list = send("alice", &token("sent-maildir"), home.path(), &[]);
    list.extend(args(&["--sent", &format!("maildir:{}", maildir.display())]));
    let output = run(&list, Some(&lab.password("alice")), home.path());
    assert!(output.status.success(), "{}", text(&output));
    let eml = std::fs::read(home.path().join("letter.eml")).unwrap();
    let files: Vec<PathBuf> = std::fs::read_dir(maildir.join("cur"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{}", text(&output));
    assert!(files[0].to_string_lossy().ends_with(":2,S"));
    assert!(std::fs::read(&files[0]).unwrap() == eml, "the copy differs");
    assert_clean(&output, home.path(), "alice");
}

#[test]
fn a_copy_is_kept_when_imap_is_down_and_sent_retry_delivers_it() {
    let lab = lab();
    let home = tempfile::tempdir().unwrap();
    let closed = {
        let listener = std::net::TcpListener::bind((lab.host.as_str(), 0)).unwrap();
        listener.local_addr().unwrap().port()
    };
    let password = lab.password("carol");
    let mut list = send("carol", &token("sent-kept"), home.path(), &[]);
    list.extend(imap_args(closed, "starttls"));
    let output = run(&list, Some(&password), home.path());
    // Delivered: the failed copy does not change the status.
    assert!(output.status.success(), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("its copy could not be saved") && stderr.contains("is kept in"),
        "{stderr}"
    );
    assert_clean(&output, home.path(), "carol");
    let queue = home.path().join("data/smtpwire/sent-queue");
    let kept = |ext: &str| -> Vec<PathBuf> {
        std::fs::read_dir(&queue)
            .map(|d| {
                d.map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|x| x == ext))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(kept("toml").len(), 1);
    let record = std::fs::read(&kept("toml")[0]).unwrap();
    assert_no_secret(&record, &lab.address("carol"), &password);

    let listed = run(&args(&["sent"]), None, home.path());
    assert!(listed.status.success(), "{}", text(&listed));
    assert!(String::from_utf8_lossy(&listed.stdout).contains("1 attempt(s)"));

    // Still down, and no password: it waits (75), and says why.
    let mut retry = args(&["sent", "--retry"]);
    let waiting = run(&retry, None, home.path());
    assert_eq!(waiting.status.code(), Some(75), "{}", text(&waiting));
    assert!(String::from_utf8_lossy(&waiting.stdout).contains("needs a password"));

    // The right port: delivered, and the queue is empty.
    retry.extend(args(&["--imap-port", &lab.imap_port.to_string()]));
    let done = run(&retry, Some(&password), home.path());
    assert!(done.status.success(), "{}", text(&done));
    assert!(kept("toml").is_empty() && kept("eml").is_empty());
    for haystack in [&done.stdout, &done.stderr] {
        assert_no_secret(haystack, &lab.address("carol"), &password);
    }
    let eml = std::fs::read(home.path().join("letter.eml")).unwrap();
    let found = in_sent("carol", &message_id(&eml));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].0 == eml && found[0].1,
        "the retried copy differs or is unseen"
    );
    // Nothing left: a retry now has nothing to do.
    let again = run(&args(&["sent", "--retry"]), None, home.path());
    assert!(again.status.success(), "{}", text(&again));
}

/// Two accounts of one config file against two lab users: the default one
/// and `--account bob` each log in as their user, and each copy is in that
/// user's Sent, byte for byte what `--eml` saved; the password comes from
/// each account's own `password_command`.
#[test]
fn two_accounts_each_send_with_their_login_and_copy_to_their_sent() {
    let lab = lab();
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/smtpwire");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), crate::tui::two_accounts("alice")).unwrap();
    for (account, user) in [(None, "alice"), (Some("bob"), "bob")] {
        let subject = token("two-accounts");
        let eml = home.path().join(format!("{user}.eml"));
        let mut list = args(&[
            "send",
            "--to",
            &lab.address("carol"),
            "--subject",
            &subject,
            "--body",
            "One of two accounts.",
            "--eml",
            eml.to_str().unwrap(),
        ]);
        if let Some(account) = account {
            list.extend(args(&["--account", account]));
        }
        let output = run(&list, None, home.path());
        assert!(output.status.success(), "{user}: {}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("235 "), "{user} logged in: {stderr}");
        let eml = std::fs::read(&eml).unwrap();
        assert!(
            String::from_utf8_lossy(&eml)
                .contains(&format!("From: {user} <{}>", lab.address(user))),
            "{user}"
        );
        let found = in_sent(user, &message_id(&eml));
        assert_eq!(found.len(), 1, "{user}: {}", text(&output));
        assert!(found[0].0 == eml, "{user}: the copy differs from --eml");
        let other = if user == "alice" { "bob" } else { "alice" };
        assert!(
            in_sent(other, &message_id(&eml)).is_empty(),
            "{user}'s copy in {other}'s Sent"
        );
        assert_no_secret(&output.stderr, &lab.address(user), &lab.password(user));
    }
}
