//! `smtpwire send` and `check` against the lab: every security mode and AUTH
//! mechanism, letters read back over IMAP and compared field by field.

use mail_parser::MessageParser;

use crate::{args, assert_no_secret, lab, smtpwire, submission, text, token};

/// The Message-ID the CLI reports on stderr.
fn message_id(output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let start = stderr
        .find("Message-ID <")
        .unwrap_or_else(|| panic!("no Message-ID in\n{}", text(output)))
        + 11;
    let end = stderr[start..].find('>').unwrap() + start + 1;
    stderr[start..end].to_owned()
}

struct Sent {
    subject: String,
    body: String,
    from: String,
}

/// Reads the letter back from `user`'s INBOX and compares what matters.
fn assert_delivered(user: &str, message_id: &str, sent: &Sent) -> Vec<u8> {
    let mut found = lab().fetch_by_id(user, message_id, 1);
    assert_eq!(
        found.len(),
        1,
        "{user} should have exactly one copy of {message_id}"
    );
    let raw = found.remove(0);
    let msg = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(msg.subject(), Some(sent.subject.as_str()));
    assert_eq!(
        msg.body_text(0).unwrap_or_default(),
        sent.body.replace('\n', "\r\n") + "\r\n"
    );
    let from = msg.from().and_then(|a| a.first()).unwrap();
    assert_eq!(from.address(), Some(sent.from.as_str()));
    assert!(msg.header("Bcc").is_none(), "a Bcc header reached {user}");
    raw
}

#[test]
fn submission_with_starttls_and_each_auth_mechanism() {
    let lab = lab();
    for auth in ["login", "plain", "auto"] {
        let t = token(&format!("starttls-{auth}"));
        let sent = Sent {
            subject: format!("STARTTLS {auth} {t}"),
            body: format!("Hello over STARTTLS with AUTH {auth}.\nSecond line."),
            from: lab.address("alice"),
        };
        let mut a = submission(lab.submission_port, "starttls", auth);
        a.extend(args(&[
            "--from",
            &format!("Alice <{}>", sent.from),
            "--to",
            &lab.address("bob"),
            "--subject",
            &sent.subject,
            "--body",
            &sent.body,
        ]));
        let out = smtpwire(&a, Some(&lab.password("alice")));
        assert!(out.status.success(), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("C: STARTTLS"), "{stderr}");
        assert!(stderr.contains("TLS established"), "{stderr}");
        let mech = if auth == "login" { "LOGIN" } else { "PLAIN" };
        assert!(stderr.contains(&format!("C: AUTH {mech}")), "{stderr}");
        if auth == "login" {
            assert!(
                stderr.contains("(Username:)") && stderr.contains("C: <password redacted>"),
                "{stderr}"
            );
        }
        assert!(stderr.contains("S: 235 "), "{stderr}");
        assert!(stderr.contains("accepted"), "{stderr}");
        assert_no_secret(&out.stderr, &lab.address("alice"), &lab.password("alice"));
        assert_no_secret(&out.stdout, &lab.address("alice"), &lab.password("alice"));
        assert_delivered("bob", &message_id(&out), &sent);
    }
}

#[test]
fn implicit_tls_and_plain_port() {
    let lab = lab();
    // 465-style implicit TLS with AUTH.
    let t = token("tls");
    let sent = Sent {
        subject: format!("Implicit TLS {t}"),
        body: "Over implicit TLS.".into(),
        from: lab.address("alice"),
    };
    let mut a = submission(lab.submissions_port, "tls", "auto");
    a.extend(args(&[
        "--from",
        &sent.from,
        "--to",
        &lab.address("carol"),
        "--subject",
        &sent.subject,
        "--body",
        &sent.body,
    ]));
    let out = smtpwire(&a, Some(&lab.password("alice")));
    assert!(out.status.success(), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("C: STARTTLS"));
    assert_delivered("carol", &message_id(&out), &sent);

    // 25-style plain SMTP, no login, a server offering STARTTLS that we are told not to use.
    let t = token("plain");
    let sent = Sent {
        subject: format!("Plain {t}"),
        body: "No TLS, no AUTH.".into(),
        from: "someone@example.net".into(),
    };
    let a = args(&[
        "send",
        "--server",
        &lab.host,
        "--port",
        &lab.smtp_port.to_string(),
        "--security",
        "none",
        "--helo",
        "client.lab.example",
        "--from",
        &sent.from,
        "--to",
        &lab.address("dave"),
        "--subject",
        &sent.subject,
        "--body",
        &sent.body,
    ]);
    let out = smtpwire(&a, None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stays unencrypted"),
        "{}",
        text(&out)
    );
    assert_delivered("dave", &message_id(&out), &sent);
}

#[test]
fn cyrillic_letter_survives_the_round_trip() {
    let lab = lab();
    let t = token("cyr");
    let subject =
        format!("Привет из smtpwire — проверка кириллицы в теме письма, довольно длинной {t}");
    let body = "Здравствуйте, Боб!\n\nЭто письмо проверяет кириллицу: ёжик, щука, Ъъ.\n.строка с точкой\nСтрока с пробелами в конце   \nКонец.";
    let mut a = submission(lab.submission_port, "starttls", "auto");
    a.extend(args(&[
        "--from",
        &format!("Алиса Селезнёва <{}>", lab.address("alice")),
        "--to",
        &format!("Боб Иванов <{}>", lab.address("bob")),
        "--cc",
        &format!("\"Кэрол, Петрова\" <{}>", lab.address("carol")),
        "--subject",
        &subject,
        "--body",
        body,
    ]));
    let out = smtpwire(&a, Some(&lab.password("alice")));
    assert!(out.status.success(), "{}", text(&out));
    let id = message_id(&out);
    let sent = Sent {
        subject: subject.clone(),
        body: body.into(),
        from: lab.address("alice"),
    };
    for user in ["bob", "carol"] {
        let raw = assert_delivered(user, &id, &sent);
        let msg = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            msg.from().and_then(|a| a.first()).and_then(|a| a.name()),
            Some("Алиса Селезнёва")
        );
        assert_eq!(
            msg.to().and_then(|a| a.first()).and_then(|a| a.name()),
            Some("Боб Иванов")
        );
        assert_eq!(
            msg.cc().and_then(|a| a.first()).and_then(|a| a.name()),
            Some("Кэрол, Петрова")
        );
    }
}

#[test]
fn bcc_recipients_receive_the_letter_and_appear_in_no_header() {
    let lab = lab();
    let t = token("bcc");
    let subject = format!("Bcc privacy {t}");
    let eml = tempfile::NamedTempFile::new().unwrap();
    let mut a = submission(lab.submission_port, "starttls", "auto");
    a.extend(args(&[
        "--from",
        &lab.address("alice"),
        "--to",
        &lab.address("bob"),
        "--bcc",
        &lab.address("carol"),
        "--bcc",
        &lab.address("dave"),
        "--subject",
        &subject,
        "--body",
        "Who else got this?",
        "--eml",
        eml.path().to_str().unwrap(),
    ]));
    let out = smtpwire(&a, Some(&lab.password("alice")));
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for user in ["carol", "dave"] {
        assert!(
            stderr.contains(&format!("C: RCPT TO:<{}>", lab.address(user))),
            "{stderr}"
        );
    }
    // The exact bytes on the wire carry no Bcc (Postfix would drop one, hiding a leak).
    let wire = std::fs::read(eml.path()).unwrap();
    let wire_text = String::from_utf8_lossy(&wire);
    let headers = wire_text
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .to_ascii_lowercase();
    assert!(!headers.contains("bcc:"), "{wire_text}");
    for user in ["carol", "dave"] {
        assert!(!headers.contains(&lab.address(user)), "{wire_text}");
    }
    let id = message_id(&out);
    for user in ["bob", "carol", "dave"] {
        let mut copies = lab.fetch_by_id(user, &id, 1);
        assert_eq!(copies.len(), 1, "{user}");
        let copy = String::from_utf8_lossy(&copies.remove(0)).to_ascii_lowercase();
        let copy_headers = copy.split("\r\n\r\n").next().unwrap().to_owned();
        assert!(!copy_headers.contains("\nbcc:"), "{user}: {copy}");
        for hidden in ["carol", "dave"] {
            // Postfix's own Received line names the envelope recipient
            // ("for <x>") only for single-recipient deliveries; the letter's
            // own headers must never name the Bcc recipients.
            let own: String = copy_headers
                .lines()
                .filter(|l| {
                    !l.starts_with("received:")
                        && !l.starts_with(' ')
                        && !l.starts_with('\t')
                        && !l.starts_with("delivered-to:")
                        && !l.starts_with("return-path:")
                })
                .collect();
            assert!(
                !own.contains(&lab.address(hidden)),
                "{user} sees {hidden}: {copy}"
            );
        }
    }
}

#[test]
fn one_refused_recipient_does_not_sink_the_others() {
    let lab = lab();
    let t = token("refused");
    let subject = format!("Partly refused {t}");
    let mut a = submission(lab.submission_port, "starttls", "auto");
    a.extend(args(&[
        "--from",
        &lab.address("alice"),
        "--to",
        &format!("{}, {}", lab.unknown, lab.address("bob")),
        "--subject",
        &subject,
        "--body",
        "x",
    ]));
    let out = smtpwire(&a, Some(&lab.password("alice")));
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let refused_line = stderr
        .lines()
        .find(|l| l.starts_with(&lab.unknown))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        refused_line.contains("refused") && refused_line.contains("550"),
        "{refused_line}"
    );
    let accepted_line = stderr
        .lines()
        .find(|l| l.starts_with(&lab.address("bob")))
        .unwrap();
    assert!(accepted_line.contains("accepted"), "{accepted_line}");
    let sent = Sent {
        subject,
        body: "x".into(),
        from: lab.address("alice"),
    };
    assert_delivered("bob", &message_id(&out), &sent);

    // Every recipient refused: nothing sent, exit 69, the reason quoted.
    let mut a = submission(lab.submission_port, "starttls", "auto");
    a.extend(args(&[
        "--from",
        &lab.address("alice"),
        "--to",
        &lab.unknown,
        "--subject",
        "nobody",
        "--body",
        "x",
    ]));
    let out = smtpwire(&a, Some(&lab.password("alice")));
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("every recipient was refused"),
        "{}",
        text(&out)
    );
}

#[test]
fn wrong_password_exits_77_and_prints_no_secret() {
    let lab = lab();
    let wrong = "Wr0ng-Pa55word!";
    for auth in ["login", "plain"] {
        let mut a = submission(lab.submission_port, "starttls", auth);
        a.extend(args(&[
            "--from",
            &lab.address("alice"),
            "--to",
            &lab.address("bob"),
            "--subject",
            "never",
            "--body",
            "x",
        ]));
        let out = smtpwire(&a, Some(wrong));
        assert_eq!(out.status.code(), Some(77), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("535"), "{stderr}");
        assert!(
            stderr.contains("hint: check --user and the password"),
            "{stderr}"
        );
        assert_no_secret(&out.stderr, &lab.address("alice"), wrong);
        assert_no_secret(&out.stdout, &lab.address("alice"), wrong);
        assert!(
            stderr.contains("C: QUIT"),
            "QUIT after a failed AUTH: {stderr}"
        );
    }
}

#[test]
fn auth_without_tls_is_refused_before_any_credential() {
    let lab = lab();
    let a = args(&[
        "send",
        "--server",
        &lab.host,
        "--port",
        &lab.submission_port.to_string(),
        "--security",
        "none",
        "--user",
        &lab.address("alice"),
        "--helo",
        "client.lab.example",
        "--from",
        &lab.address("alice"),
        "--to",
        &lab.address("bob"),
        "--subject",
        "x",
        "--body",
        "x",
    ]);
    let out = smtpwire(&a, Some(&lab.password("alice")));
    assert_eq!(out.status.code(), Some(78), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("C: AUTH"), "{stderr}");
    assert!(
        stderr.contains("hint: set --security to starttls or tls"),
        "{stderr}"
    );
}

#[test]
fn untrusted_certificate_fails_with_the_way_out() {
    let lab = lab();
    let a = args(&[
        "check",
        "--server",
        &lab.host,
        "--port",
        &lab.submission_port.to_string(),
        "--security",
        "starttls",
        "--helo",
        "client.lab.example",
    ]);
    let out = smtpwire(&a, None);
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("certificate verify failed"), "{stderr}");
    assert!(stderr.contains("--ca-file"), "{stderr}");
}

#[test]
fn check_prints_the_capabilities() {
    let lab = lab();
    let mut a = submission(lab.submission_port, "starttls", "auto");
    a[0] = "check".into();
    let out = smtpwire(&a, Some(&lab.password("alice")));
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "STARTTLS (certificate",
        "AUTH PLAIN LOGIN",
        "PIPELINING",
        "8BITMIME",
        "SMTPUTF8",
        "accepted",
    ] {
        assert!(stdout.contains(expected), "{expected}: {stdout}");
    }
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("S: 221"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_50_mb_body_and_a_body_of_only_dots_arrive_intact() {
    let lab = lab();
    let dots = ".\n..\n...\n.\n.\n".repeat(200);
    let line = "Fifty megabytes of plain text, one line after another, for the load test.\n";
    let big = line.repeat(50 * 1024 * 1024 / line.len() + 1);
    for (label, body) in [("dots", dots), ("50MB", big)] {
        let t = token(label);
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &body).unwrap();
        let mut a = submission(lab.submission_port, "starttls", "auto");
        a.extend(args(&[
            "--from",
            &lab.address("alice"),
            "--to",
            &lab.address("dave"),
            "--subject",
            &format!("Size {t}"),
            "--body-file",
            file.path().to_str().unwrap(),
            "--quiet",
        ]));
        let out = smtpwire(&a, Some(&lab.password("alice")));
        assert!(out.status.success(), "{label}: {}", text(&out));
        let mut copies = lab.fetch_by_subject("dave", &t, 1);
        assert_eq!(copies.len(), 1, "{label}");
        let raw = copies.remove(0);
        let msg = MessageParser::default().parse(&raw).unwrap();
        let got = msg.body_text(0).unwrap_or_default();
        let want = body.replace('\n', "\r\n");
        assert!(
            got == want,
            "{label}: body differs (got {} bytes, want {})",
            got.len(),
            want.len()
        );
    }
}

/// Attachments through Postfix and Dovecot: random binary, a PDF, a PNG,
/// an empty file, a Cyrillic name and 10 MB; each one fetched over IMAP,
/// decoded by an independent parser, and compared by sha256 and name.
#[test]
fn attachments_arrive_byte_for_byte_with_their_names() {
    use mail_parser::MimeHeaders as _;
    use sha2::{Digest as _, Sha256};
    let lab = lab();
    let t = token("attachments");
    let dir = tempfile::tempdir().unwrap();
    // A fixed-seed generator: different bytes every few octets, every byte
    // value, no crate needed.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut random = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u8
            })
            .collect()
    };
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend(random(4000));
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("random.bin", random(70_000)),
        ("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".to_vec()),
        ("photo.png", png),
        ("empty.txt", Vec::new()),
        ("Отчёт за март — итог.csv", "дата;сумма\n2026-03-31;100\n".as_bytes().to_vec()),
        ("big.bin", random(10 * 1024 * 1024)),
    ];
    let mut send = submission(lab.submission_port, "starttls", "auto");
    send.extend(args(&[
        "--from",
        &lab.address("alice"),
        "--to",
        &lab.address("bob"),
        "--subject",
        &format!("Files {t}"),
        "--body",
        "Six files attached.",
    ]));
    for (name, bytes) in &files {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        send.extend(args(&["--attach", path.to_str().unwrap()]));
    }
    let out = smtpwire(&send, Some(&lab.password("alice")));
    assert!(out.status.success(), "{}", text(&out));

    let raw = lab.fetch_by_subject("bob", &t, 1).remove(0);
    let msg = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(msg.body_text(0).as_deref(), Some("Six files attached.\r\n"));
    let got: Vec<(String, String)> = msg
        .attachments()
        .map(|part| {
            (
                part.attachment_name().unwrap_or_default().to_owned(),
                format!("{:x}", Sha256::digest(part.contents())),
            )
        })
        .collect();
    let want: Vec<(String, String)> = files
        .iter()
        .map(|(name, bytes)| ((*name).to_owned(), format!("{:x}", Sha256::digest(bytes))))
        .collect();
    assert_eq!(got, want);
}

/// A missing attachment exits 66 and names the file, before connecting.
#[test]
fn a_missing_attachment_exits_66_and_names_the_file() {
    let lab = lab();
    let mut send = submission(lab.submission_port, "starttls", "auto");
    send.extend(args(&[
        "--from",
        &lab.address("alice"),
        "--to",
        &lab.address("bob"),
        "--subject",
        "never",
        "--body",
        "x",
        "--attach",
        "/nonexistent/Годовой отчёт.pdf",
    ]));
    let out = smtpwire(&send, Some(&lab.password("alice")));
    assert_eq!(out.status.code(), Some(66), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Годовой отчёт.pdf"), "{stderr}");
    assert!(!stderr.contains("connecting to"), "{stderr}");
}
