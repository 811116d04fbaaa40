//! A known password through every AUTH mechanism and headless path — send,
//! check, a refused recipient, a wrong password — with the transcript and the
//! letter saved to files: the password appears nowhere, neither plain nor
//! base64 nor inside the PLAIN blob. (The composer's screen, saved log,
//! config and draft are checked in `tui.rs`.) Users with awkward passwords:
//! carol's has spaces, a colon, quotes and a backslash; dave's is UTF-8.

use crate::{args, assert_no_secret, lab, smtpwire, text};

#[test]
fn the_password_appears_in_no_output_and_no_file() {
    let lab = lab();
    for user in ["carol", "dave"] {
        for auth in ["login", "plain"] {
            for (case, password, expect) in [
                ("send", lab.password(user), Some(0)),
                ("refused", lab.password(user), Some(69)),
                ("check", lab.password(user), Some(0)),
                (
                    "wrong password",
                    format!("{}-wrong", lab.password(user)),
                    Some(77),
                ),
            ] {
                let dir = tempfile::tempdir().unwrap();
                let transcript = dir.path().join("transcript.log");
                let eml = dir.path().join("letter.eml");
                let command = if case == "check" { "check" } else { "send" };
                let to = if case == "refused" {
                    lab.unknown.clone()
                } else {
                    lab.address("bob")
                };
                let mut a = args(&[
                    command,
                    "--server",
                    &lab.host,
                    "--port",
                    &lab.submission_port.to_string(),
                    "--security",
                    "starttls",
                    "--ca-file",
                    lab.ca.to_str().unwrap(),
                    "--user",
                    &lab.address(user),
                    "--auth",
                    auth,
                    "--helo",
                    "client.lab.example",
                    "--transcript",
                    transcript.to_str().unwrap(),
                ]);
                if command == "send" {
                    a.extend(args(&[
                        "--from",
                        &lab.address(user),
                        "--to",
                        &to,
                        "--subject",
                        "secret check",
                        "--body",
                        "nothing to see",
                        "--eml",
                        eml.to_str().unwrap(),
                    ]));
                }
                let out = smtpwire(&a, Some(&password));
                assert_eq!(
                    out.status.code(),
                    expect,
                    "{user} {auth} {case}: {}",
                    text(&out)
                );
                let login = lab.address(user);
                assert_no_secret(&out.stdout, &login, &password);
                assert_no_secret(&out.stderr, &login, &password);
                let log = std::fs::read(&transcript).unwrap();
                assert!(
                    String::from_utf8_lossy(&log).contains("redacted"),
                    "{user} {auth} {case}"
                );
                assert_no_secret(&log, &login, &password);
                if let Ok(letter) = std::fs::read(&eml) {
                    assert_no_secret(&letter, &login, &password);
                }
            }
        }
    }
}
