//! Issue 13, items 5 and 6 against the lab: the transcript as JSON Lines
//! from a real STARTTLS + AUTH session, the timeline on stderr, and the
//! commands `--print-command` prints for swaks, curl and smtpwire, each run
//! by `sh` and each delivering the letter (read back over IMAP).

use std::{
    path::Path,
    process::{Command, Stdio},
};

use mail_parser::MessageParser;
use serde_json::Value;

use crate::{args, assert_no_secret, lab, smtpwire, submission, text, token};

#[test]
fn the_log_as_json_lines_and_the_timeline_from_a_lab_session() {
    let lab = lab();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("log.jsonl");
    let t = token("jsonl");
    let mut a = submission(lab.submission_port, "starttls", "plain");
    a.extend(args(&[
        "--from",
        &lab.address("alice"),
        "--to",
        &lab.address("bob"),
        "--to",
        &lab.unknown,
        "--subject",
        &format!("JSON Lines {t}"),
        "--body",
        "Строка.",
        "--transcript",
        jsonl.to_str().unwrap(),
        "--transcript-format",
        "jsonl",
    ]));
    let out = smtpwire(&a, Some(&lab.password("alice")));
    // One recipient is unknown: the letter goes to the other, exit 69.
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let timeline = stderr
        .lines()
        .find(|l| l.starts_with("timeline: "))
        .unwrap_or_else(|| panic!("no timeline in\n{stderr}"));
    for phase in [
        "connect ",
        "TLS ",
        "greeting ",
        "EHLO ",
        "AUTH ",
        "MAIL/RCPT ",
        "DATA ",
        "final reply ",
        "total ",
    ] {
        assert!(timeline.contains(phase), "{phase:?} not in {timeline}");
    }

    let raw = std::fs::read(&jsonl).unwrap();
    assert_no_secret(&raw, &lab.address("alice"), &lab.password("alice"));
    let records: Vec<Value> = String::from_utf8(raw)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let mut stages: Vec<&str> = Vec::new();
    let mut last_time = None;
    for r in &records {
        let time = chrono::DateTime::parse_from_rfc3339(r["time"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("{e}: {r}"));
        assert!(last_time.is_none_or(|last| last <= time), "in order: {r}");
        last_time = Some(time);
        assert!(r["text"].is_string(), "{r}");
        let dir = r["dir"].as_str().unwrap();
        assert!(["client", "server", "note", "error"].contains(&dir), "{r}");
        if dir == "server" {
            assert!(r["code"].as_u64().is_some(), "{r}");
        }
        let stage = r["stage"].as_str().unwrap();
        if stages.last() != Some(&stage) {
            stages.push(stage);
        }
    }
    assert_eq!(
        stages,
        [
            "connect",
            "greeting",
            "ehlo",
            "starttls",
            "tls",
            "ehlo",
            "auth",
            "mail",
            "rcpt",
            "data",
            "message",
            "final_reply",
            "quit"
        ]
    );
    let find = |code: u64, stage: &str| {
        records
            .iter()
            .find(|r| r["code"].as_u64() == Some(code) && r["stage"] == stage)
            .unwrap_or_else(|| panic!("no {code} in {stage}"))
    };
    let auth = find(235, "auth");
    assert_eq!(auth["enhanced"], "2.7.0");
    assert!(auth["latency_ms"].as_f64().unwrap() > 0.0, "{auth}");
    let refused = find(550, "rcpt");
    assert_eq!(refused["enhanced"], "5.1.1");
    assert!(
        find(250, "final_reply")["text"]
            .as_str()
            .unwrap()
            .contains("queued as")
    );
}

/// Runs a printed command with `sh -c`, the password in the environment
/// and this build of smtpwire first on the PATH.
fn run_printed(command: &str, password: &str, dir: &Path) -> std::process::Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_smtpwire")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .args(["-c", command])
        .current_dir(dir)
        .env("PATH", path)
        .env("SMTPWIRE_PASSWORD", password)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("HOME", dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn printed_commands_deliver_through_the_lab_over_starttls_with_auth() {
    let lab = lab();
    // carol's password has a space, a colon, quotes and a backslash.
    let (login, password) = (lab.address("carol"), lab.password("carol"));
    // A leading dot (dot-stuffing), swaks's tokens and a literal \n (which
    // swaks would rewrite without --no-data-fixup), Cyrillic.
    let body = "Привет из командной строки.\n.строка с точкой\n%DATE% %BODY% \\n конец";
    for tool in ["swaks", "curl", "smtpwire"] {
        let t = token(&format!("print-{tool}"));
        let subject = format!("Команда {tool} {t}");
        let dir = tempfile::tempdir().unwrap();
        let eml = dir.path().join("letter.eml");
        let a = args(&[
            "send",
            "--server",
            &lab.host,
            "--port",
            &lab.submission_port.to_string(),
            "--security",
            "starttls",
            "--ca-file",
            lab.ca.to_str().unwrap(),
            "--user",
            &login,
            "--helo",
            "client.lab.example",
            "--from",
            &format!("Кэрол <{login}>"),
            "--to",
            &lab.address("bob"),
            "--subject",
            &subject,
            "--body",
            body,
            "--eml",
            eml.to_str().unwrap(),
            "--print-command",
            tool,
        ]);
        let printed = smtpwire(&a, Some(&password));
        assert!(printed.status.success(), "{tool}: {}", text(&printed));
        assert_no_secret(&printed.stdout, &login, &password);
        assert_no_secret(&printed.stderr, &login, &password);
        let command = String::from_utf8(printed.stdout).unwrap();
        assert!(
            command.contains("SMTPWIRE_PASSWORD") || tool == "smtpwire",
            "{command}"
        );

        let ran = run_printed(&command, &password, dir.path());
        assert!(
            ran.status.success(),
            "{tool}: the printed command failed:\n{command}\n{}",
            text(&ran)
        );
        assert_no_secret(&ran.stdout, &login, &password);
        assert_no_secret(&ran.stderr, &login, &password);

        let mut found = lab.fetch_by_subject("bob", &t, 1);
        assert_eq!(found.len(), 1, "{tool}: one copy for bob\n{command}");
        let raw = found.remove(0);
        let msg = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(msg.subject(), Some(subject.as_str()), "{tool}");
        assert_eq!(
            msg.body_text(0).unwrap_or_default(),
            body.replace('\n', "\r\n") + "\r\n",
            "{tool}"
        );
        let from = msg.from().and_then(|a| a.first()).unwrap();
        assert_eq!(from.address(), Some(login.as_str()), "{tool}");
        if tool != "smtpwire" {
            // swaks and curl sent the saved file: the same Message-ID.
            let saved = MessageParser::default()
                .parse(&std::fs::read(&eml).unwrap())
                .unwrap()
                .message_id()
                .unwrap()
                .to_owned();
            assert_eq!(msg.message_id(), Some(saved.as_str()), "{tool}");
        }
    }
}
