//! Letters built by smtpwire, scored by `SpamAssassin`'s local rules
//! (`spamassassin -L -t`, Debian's shipped rules, no network) and by rspamd
//! (`scripts/rspamd.sh`: Debian's rules, offline), both as sent and as
//! delivered through Postfix: no rule with a positive score may fire.

use std::{
    io::Write as _,
    process::{Command, Stdio},
};

use crate::{args, lab, smtpwire, submission, text, token};

/// One fired rule.
#[derive(Debug)]
struct Hit {
    score: f64,
    rule: String,
}

/// Runs `SpamAssassin` on a letter; returns the total and the rules that fired.
fn score(letter: &[u8]) -> (f64, Vec<Hit>, String) {
    let mut child = Command::new("spamassassin")
        .args(["-L", "-t"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spamassassin (Debian package spamassassin) must be installed; scripts/test.sh installs it");
    child.stdin.take().unwrap().write_all(letter).unwrap();
    let out = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let total = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Content analysis details:"))
        .and_then(|rest| {
            rest.trim()
                .trim_start_matches('(')
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| {
            panic!(
                "no SpamAssassin report in:\n{report}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let table = report
        .split_once("---- ----")
        .map(|(_, t)| t)
        .unwrap_or_default();
    let hits = table
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let score = words.next()?.parse::<f64>().ok()?;
            let rule = words.next()?;
            rule.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                .then(|| Hit {
                    score,
                    rule: rule.to_owned(),
                })
        })
        .collect();
    (total, hits, report)
}

/// Scores a letter with the lab's rspamd, telling it what a receiving MTA
/// would: the client's address and HELO name, the envelope and the
/// authenticated user.
fn rspamd_score(letter: &[u8], from: &str, rcpts: &[&str]) -> (f64, Vec<Hit>, String) {
    let server = std::env::var("SMTPWIRE_RSPAMD").unwrap_or_else(|_| {
        panic!("SMTPWIRE_RSPAMD is not set: run the suite with scripts/test.sh, which starts rspamd (scripts/rspamd.sh)")
    });
    let mut command = Command::new("rspamc");
    command.args([
        "-h",
        &server,
        "--ip",
        "127.0.0.1",
        "--helo",
        "client.lab.example",
    ]);
    command.args([
        "--hostname",
        "client.lab.example",
        "--user",
        "alice@lab.example",
        "--from",
        from,
    ]);
    for rcpt in rcpts {
        command.args(["--rcpt", rcpt]);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rspamc (Debian package rspamd) must be installed; scripts/test.sh installs it");
    child.stdin.take().unwrap().write_all(letter).unwrap();
    let out = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let total = report
        .lines()
        .find_map(|l| l.strip_prefix("Score: "))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no rspamd score in:\n{report}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    // "Symbol: MIME_GOOD (-0.10)[text/plain]"
    let hits = report
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("Symbol: ")?;
            let (rule, rest) = rest.split_once(" (")?;
            let score = rest.split_once(')')?.0.parse().ok()?;
            Some(Hit {
                score,
                rule: rule.to_owned(),
            })
        })
        .collect();
    (total, hits, report)
}

/// rspamd rules that describe the lab's delivery path, not the letter: the
/// last hop into the mailbox is Postfix handing the letter to Dovecot over a
/// local LMTP socket, which is not TLS.
const LAB_PATH_RULES: &[&str] = &["RCVD_NO_TLS_LAST"];

fn assert_rspamd_clean(what: &str, letter: &[u8], from: &str, rcpts: &[&str], allowed: &[&str]) {
    let (total, hits, report) = rspamd_score(letter, from, rcpts);
    let positive: Vec<String> = hits
        .iter()
        .filter(|h| h.score > 0.0 && !allowed.contains(&h.rule.as_str()))
        .map(|h| format!("{} ({})", h.rule, h.score))
        .collect();
    let allowed_weight: f64 = hits
        .iter()
        .filter(|h| allowed.contains(&h.rule.as_str()))
        .map(|h| h.score)
        .sum();
    assert!(
        total - allowed_weight <= 0.0 && positive.is_empty(),
        "{what}: rspamd score {total}, positive rules {positive:?}\n{report}"
    );
}

fn assert_clean(what: &str, letter: &[u8]) {
    let (total, hits, report) = score(letter);
    let positive: Vec<String> = hits
        .iter()
        .filter(|h| h.score > 0.0)
        .map(|h| format!("{} ({})", h.rule, h.score))
        .collect();
    assert!(
        total <= 0.0 && positive.is_empty(),
        "{what}: score {total}, positive rules {positive:?}\n{report}"
    );
}

#[test]
fn built_letters_score_clean_as_sent_and_as_delivered() {
    let long_line = "Это очень длинная строка без переносов, которую почтовые программы должны закодировать аккуратно. ".repeat(12);
    let cases: Vec<(&str, Vec<&str>, String, String)> = vec![
        (
            "ascii",
            vec![
                "--from",
                "Alice Liddell <alice@lab.example>",
                "--to",
                "Bob Smith <bob@lab.example>",
            ],
            "Meeting notes for Thursday".into(),
            "Hi Bob,\n\nHere are the notes from today's meeting.\n\nBest regards,\nAlice".into(),
        ),
        (
            "cyrillic",
            vec![
                "--from",
                "Алиса Селезнёва <alice@lab.example>",
                "--to",
                "Борис Иванов <bob@lab.example>",
                "--cc",
                "carol@lab.example",
            ],
            "Протокол встречи в четверг".into(),
            "Здравствуйте, Борис!\n\nВысылаю протокол сегодняшней встречи.\n\nС уважением,\nАлиса"
                .into(),
        ),
        (
            "long-lines",
            vec!["--from", "alice@lab.example", "--to", "bob@lab.example"],
            "Длинные строки".into(),
            format!("{long_line}\n\nКонец письма."),
        ),
        (
            "bcc-only",
            vec![
                "--from",
                "Alice <alice@lab.example>",
                "--bcc",
                "bob@lab.example",
            ],
            "Quiet note".into(),
            "Only you get this.\n\nAlice".into(),
        ),
        (
            "mixed-scripts",
            vec![
                "--from",
                "Αλίκη Παπαδοπούλου <alice@lab.example>",
                "--to",
                "山田 太郎 <bob@lab.example>",
            ],
            "Καλημέρα — 日本語のテスト".into(),
            "Γειά σου!\nこんにちは。\n.line starting with a dot\ntrailing spaces   \nend".into(),
        ),
    ];
    for (label, people, subject, body) in cases {
        check_letter(label, &people, &subject, &body, &[]);
    }
    // A letter with a PDF attached (issue: attachments score no rule).
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("Протокол встречи.pdf");
    std::fs::write(&pdf, minimal_pdf("Meeting notes")).unwrap();
    check_letter(
        "pdf-attachment",
        &[
            "--from",
            "Alice Example <alice@lab.example>",
            "--to",
            "Bob Builder <bob@lab.example>",
        ],
        "Notes from Thursday",
        "Hi Bob,\n\nthe notes from Thursday's meeting are attached.\n\nBest,\nAlice",
        &["--attach", pdf.to_str().unwrap()],
    );
}

/// A small well-formed PDF (one page, one line of text), as a real PDF
/// writer would lay it out: objects, a cross-reference table with exact
/// offsets, the trailer.
fn minimal_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// One letter, dry-run and sent: no positive SpamAssassin or rspamd rule
/// as built, and none after delivery through Postfix.
fn check_letter(label: &str, people: &[&str], subject: &str, body: &str, extra: &[&str]) {
    let lab = lab();
    let t = token(label);
    let subject = format!("{subject} {t}");
    let mut letter = args(&["--quiet", "--subject", &subject, "--body", body]);
    letter.extend(args(people));
    letter.extend(args(extra));
    let mut a = args(&["send", "--dry-run", "--helo", "client.lab.example"]);
    a.extend(letter.iter().cloned());
    let dry = smtpwire(&a, None);
    assert!(dry.status.success(), "{}", text(&dry));
    assert_clean(&format!("{label} as sent"), &dry.stdout);
    let rcpts: Vec<&str> = ["bob@lab.example", "carol@lab.example"]
        .into_iter()
        .filter(|r| people.iter().any(|p| p.contains(r)))
        .collect();
    assert_rspamd_clean(
        &format!("{label} as sent"),
        &dry.stdout,
        "alice@lab.example",
        &rcpts,
        &[],
    );

    // The same letter through Postfix into a mailbox.
    let mut send = submission(lab.submission_port, "starttls", "auto");
    send.extend(letter);
    let out = smtpwire(&send, Some(&lab.password("alice")));
    assert!(out.status.success(), "{}", text(&out));
    let mut copies = lab.fetch_by_subject("bob", &t, 1);
    assert_eq!(copies.len(), 1, "{label}: bob's copy");
    let delivered = copies.remove(0);
    assert_clean(&format!("{label} as delivered"), &delivered);
    assert_rspamd_clean(
        &format!("{label} as delivered"),
        &delivered,
        "alice@lab.example",
        &["bob@lab.example"],
        LAB_PATH_RULES,
    );
}
