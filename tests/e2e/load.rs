//! Load against the lab's Postfix: 1000 letters in one session, 400 over
//! four parallel sessions (`--parallel 4`) and 8 concurrent senders, every
//! letter counted over IMAP exactly once, and the peak memory of a
//! 1000-letter run no larger than of a 10-letter run (read by the operating
//! system: GNU time's %M).

use std::process::{Command, Stdio};

use mail_parser::MessageParser;

use crate::{args, lab, submission, text, token};

/// `send --repeat n` of a small letter to dave; returns the peak RSS in KiB.
fn repeat(n: u32, subject_token: &str) -> u64 {
    repeat_over(n, 1, subject_token)
}

/// `send --repeat n --parallel sessions`; returns the peak RSS in KiB.
fn repeat_over(n: u32, sessions: u16, subject_token: &str) -> u64 {
    let lab = lab();
    let home = tempfile::tempdir().unwrap();
    let rss = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o", rss.path().to_str().unwrap()])
        .arg(env!("CARGO_BIN_EXE_smtpwire"))
        .args(submission(lab.submission_port, "starttls", "auto"))
        .args(args(&[
            "--from",
            &lab.address("alice"),
            "--to",
            &lab.address("dave"),
            "--subject",
            &format!("Load {subject_token}"),
            "--body",
            "One of many.",
            "--repeat",
            &n.to_string(),
            "--parallel",
            &sessions.to_string(),
            "--quiet",
        ]))
        .env("SMTPWIRE_PASSWORD", lab.password("alice"))
        .env("XDG_CONFIG_HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .expect("GNU time (/usr/bin/time, Debian package time) must be installed");
    assert!(out.status.success(), "{}", text(&out));
    std::fs::read_to_string(rss.path())
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn count_unique(user: &str, token: &str, expected: usize) {
    let found = lab().fetch_by_subject(user, token, expected);
    assert_eq!(found.len(), expected, "{token}: every letter exactly once");
    let mut ids: Vec<String> = found
        .iter()
        .map(|raw| {
            MessageParser::default()
                .parse(raw)
                .unwrap()
                .message_id()
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        expected,
        "{token}: each letter has its own Message-ID"
    );
}

#[test]
fn a_thousand_letters_in_one_session_with_flat_memory() {
    let small = token("load10");
    let small_rss = repeat(10, &small);
    let big = token("load1000");
    let big_rss = repeat(1000, &big);
    count_unique("dave", &small, 10);
    count_unique("dave", &big, 1000);
    // Flat: the results of 1000 transactions are a few hundred KiB.
    assert!(
        big_rss <= small_rss + 4 * 1024,
        "peak RSS grew from {small_rss} KiB (10 letters) to {big_rss} KiB (1000 letters)"
    );
}

/// Four sessions share 400 letters: each arrives once, with its own
/// Message-ID, and the summary counts them all.
#[test]
fn four_parallel_sessions_deliver_every_letter_once() {
    let t = token("parallel4");
    repeat_over(400, 4, &t);
    count_unique("dave", &t, 400);
}

#[test]
fn eight_concurrent_senders() {
    let tokens: Vec<String> = (0..8).map(|i| token(&format!("concurrent{i}"))).collect();
    std::thread::scope(|scope| {
        for t in &tokens {
            scope.spawn(move || repeat(25, t));
        }
    });
    for t in &tokens {
        count_unique("dave", t, 25);
    }
}
