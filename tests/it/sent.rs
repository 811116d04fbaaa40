//! The copy in Sent against scripted IMAP servers: the exact commands of an
//! XOAUTH2 login, the `\Sent` folder found by LIST and the APPEND with its
//! literal; and a hostile server whose text reaches the output only made
//! visible, with the password in no output and no kept file.

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use smtpwire::{
    resolve::Trust,
    sent::{self, ImapTarget, SentTarget},
    smtp::{AuthChoice, Credentials, Security},
};

use crate::support::{Events, Script, Step, serve};

const TOKEN: &str = "ya29.a0AfB-Secret-token-0123456789";
const PASSWORD: &str = "hostile-Pa55-w0rd";
const LETTER: &[u8] = b"Subject: x\r\n\r\nhello\r\n";

async fn imap_server(script: Script) -> (u16, tokio::task::JoinHandle<crate::support::Outcome>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
        serve(tcp, script).await
    });
    (port, task)
}

fn target(port: u16, auth: AuthChoice) -> SentTarget {
    SentTarget::Imap(ImapTarget {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        folder: None,
        user: "bob@example.org".into(),
        auth,
        trust: Trust::System { extra: None },
        timeout: Duration::from_secs(5),
        allow_insecure_auth: true,
    })
}

#[tokio::test]
async fn xoauth2_login_the_marked_sent_folder_and_the_append_literal() {
    // base64(`user=bob@example.org ^A auth=Bearer TOKEN ^A ^A`).
    let blob = "dXNlcj1ib2JAZXhhbXBsZS5vcmcBYXV0aD1CZWFyZXIgeWEyOS5hMEFmQi1TZWNyZXQtdG9rZW4tMDEyMzQ1Njc4OQEB";
    let script = vec![
        Step::Reply("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] ready"),
        Step::Expect("A0001 AUTHENTICATE XOAUTH2"),
        Step::Reply("+ "),
        Step::Expect(blob),
        Step::Reply("A0001 OK authenticated"),
        Step::Expect("A0002 LIST \"\" \"*\""),
        Step::Reply(
            "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\n\
             * LIST (\\HasNoChildren) \"/\" \"Sent\"\n\
             * LIST (\\HasNoChildren \\Sent) \"/\" \"[Gmail]/Sent Mail\"\n\
             A0002 OK LIST done",
        ),
        Step::Expect("A0003 APPEND \"[Gmail]/Sent Mail\" (\\Seen) {21}"),
        Step::Reply("+ Ready for literal data"),
        Step::Expect("Subject: x"),
        Step::Expect(""),
        Step::Expect("hello"),
        Step::Expect(""),
        Step::Reply("A0003 OK [APPENDUID 1 7] APPEND completed"),
        Step::Expect("A0004 LOGOUT"),
        Step::Reply("* BYE logging out\nA0004 OK LOGOUT completed"),
    ];
    let (port, server) = imap_server(script).await;
    let events = Events::default();
    let credentials = Credentials::new("bob@example.org", TOKEN);
    let saved = sent::save_copy(
        &target(port, AuthChoice::XOAuth2),
        Some(&credentials),
        LETTER,
        &mut events.transcript(),
    )
    .await;
    let outcome = server.await.unwrap();
    assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    let saved = saved.unwrap();
    assert_eq!(
        (saved.place.as_str(), saved.size),
        ("[Gmail]/Sent Mail", 21)
    );
    let rendered = events.rendered();
    assert!(rendered.contains("marked \\Sent"), "{rendered}");
    assert!(
        !rendered.contains(TOKEN) && !rendered.contains(blob),
        "{rendered}"
    );
}

/// A refused XOAUTH2 login over IMAP ends the exchange with an empty line
/// and says what the server's JSON said.
#[tokio::test]
async fn a_refused_imap_token_ends_the_exchange() {
    let script = vec![
        Step::Reply("* OK ready"),
        Step::Expect("A0001 AUTHENTICATE XOAUTH2"),
        Step::Reply("+ "),
        Step::ExpectPrefix("dXNlcj1"),
        // {"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}
        Step::Reply(
            "+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==",
        ),
        Step::Expect(""),
        Step::Reply("A0001 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)"),
    ];
    let (port, server) = imap_server(script).await;
    let credentials = Credentials::new("bob@example.org", TOKEN);
    let result = sent::save_copy(
        &target(port, AuthChoice::XOAuth2),
        Some(&credentials),
        LETTER,
        &mut Events::default().transcript(),
    )
    .await;
    let outcome = server.await.unwrap();
    assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    let error = result.unwrap_err().to_string();
    assert!(error.contains("refused the login"), "{error}");
    assert!(error.contains(r#""status":"401""#), "{error}");
    assert!(!error.contains(TOKEN), "{error}");
}

/// `smtpwire send` to a scripted SMTP server that accepts the letter, with
/// the copy going to a hostile IMAP server: the send still exits 0, the
/// server's escapes show only made visible, the echoed password nowhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_imap_server_is_shown_safely_and_the_letter_still_counts() {
    for (refusal, shown) in [
        (
            "A0001 NO [AUTHENTICATIONFAILED] \x1b]2;owned\x07\u{202e} wrong password",
            "\\x1b]2;owned\\x07\\u{202e} wrong password",
        ),
        (
            "A0001 NO [AUTHENTICATIONFAILED] \x1b]2;owned\x07 wrong, not hostile-Pa55-w0rd",
            "withheld",
        ),
    ] {
        hostile_case(refusal, shown).await;
    }
}

async fn hostile_case(refusal: &'static str, shown: &str) {
    let smtp_script = vec![
        Step::Reply("220 mail.test ESMTP"),
        Step::Expect("EHLO client.example.org"),
        Step::Reply("250-mail.test\n250 AUTH PLAIN LOGIN"),
        Step::ExpectPrefix("AUTH PLAIN "),
        Step::Reply("235 2.7.0 Accepted"),
        Step::Expect("MAIL FROM:<bob@example.org>"),
        Step::Reply("250 2.1.0 Ok"),
        Step::Expect("RCPT TO:<carol@example.org>"),
        Step::Reply("250 2.1.5 Ok"),
        Step::Expect("DATA"),
        Step::Reply("354 go ahead"),
        Step::ReadData,
        Step::Reply("250 2.0.0 Ok: queued as HOSTILE1"),
        Step::Expect("QUIT"),
        Step::Reply("221 2.0.0 Bye"),
        Step::Close,
    ];
    let imap_script = vec![
        Step::Reply("* OK [CAPABILITY IMAP4rev1] hostile\x1b]0;pwn\x07 ready"),
        Step::ExpectPrefix("A0001 LOGIN "),
        Step::Reply(refusal),
    ];
    let (smtp_port, smtp) = imap_server(smtp_script).await;
    let (imap_port, imap) = imap_server(imap_script).await;
    let dir = tempfile::tempdir().unwrap();
    let (home, transcript) = (dir.path().to_owned(), dir.path().join("transcript.log"));
    let path = transcript.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_smtpwire"))
            .args([
                "send",
                "--server",
                "127.0.0.1",
                "--port",
                &smtp_port.to_string(),
            ])
            .args([
                "--security",
                "none",
                "--allow-insecure-auth",
                "--auth",
                "plain",
            ])
            .args(["--helo", "client.example.org", "--timeout", "5"])
            .args(["--user", "bob@example.org"])
            .args(["--from", "bob@example.org", "--to", "carol@example.org"])
            .args(["--subject", "hostile copy", "--body", "Hello."])
            .args(["--sent", "imap", "--imap-server", "127.0.0.1"])
            .args([
                "--imap-port",
                &imap_port.to_string(),
                "--imap-security",
                "none",
            ])
            .arg("--transcript")
            .arg(&path)
            .env("SMTPWIRE_PASSWORD", PASSWORD)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    for (name, server) in [("SMTP", smtp), ("IMAP", imap)] {
        let outcome = tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{name}: the server never finished; the client said:\n{}",
                    String::from_utf8_lossy(&output.stderr)
                )
            })
            .unwrap();
        assert!(outcome.is_ok(), "{name}: {}", outcome.unwrap_err());
    }
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("is kept in"), "{stderr}");
    let queue = dir.path().join("data/smtpwire/sent-queue");
    let kept: Vec<Vec<u8>> = std::fs::read_dir(&queue)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(kept.len(), 1);
    let transcript = std::fs::read(&transcript).unwrap_or_default();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for (what, bytes) in [
        ("stdout", &output.stdout),
        ("stderr", &output.stderr),
        ("--transcript", &transcript),
        ("the kept record", &kept[0]),
    ] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !bytes.contains(&0x1b) && !text.contains('\u{202e}'),
            "{what}: a raw escape or bidi control:\n{text}"
        );
        for needle in [
            PASSWORD.to_owned(),
            b64.encode(PASSWORD),
            b64.encode(format!("\0bob@example.org\0{PASSWORD}")),
        ] {
            assert!(
                !text.contains(&needle),
                "{what}: the password leaked:\n{text}"
            );
        }
    }
    // The server's words are said, made visible; a line with the echo is
    // withheld whole.
    assert!(stderr.contains("refused the login"), "{stderr}");
    assert!(stderr.contains(shown), "{shown}: {stderr}");
}

/// The composer quits (its job channel closes) while the copy is on its way
/// to an IMAP server that stopped answering after the login: the worker
/// keeps the copy, byte for byte, for the next copy or `smtpwire sent
/// --retry`, says so, leaves the SMTP server with QUIT and ends. Before
/// that, a job cancelled while waiting behind the copy ends as cancelled.
#[tokio::test]
async fn quitting_during_a_stalled_copy_keeps_it_for_later() {
    use smtpwire::{
        mail::{Draft, DraftInput},
        resolve,
        sent::Queue,
        settings::Settings,
        worker::{self, Connect, CopyPlan, CopyReport, Job, Outcome, Submission, WorkerEvent},
    };

    let smtp_script = vec![
        Step::Reply("220 mail.test ESMTP"),
        Step::Expect("EHLO client.example.org"),
        Step::Reply("250-mail.test\n250 AUTH PLAIN"),
        Step::ExpectPrefix("AUTH PLAIN "),
        Step::Reply("235 2.7.0 Accepted"),
        Step::Expect("MAIL FROM:<bob@example.org>"),
        Step::Reply("250 2.1.0 Ok"),
        Step::Expect("RCPT TO:<carol@example.org>"),
        Step::Reply("250 2.1.5 Ok"),
        Step::Expect("DATA"),
        Step::Reply("354 go ahead"),
        Step::ReadData,
        Step::Reply("250 2.0.0 Ok: queued as KEPT1"),
        Step::Expect("QUIT"),
        Step::Reply("221 2.0.0 Bye"),
        Step::Close,
    ];
    let imap_script = vec![
        Step::Reply("* OK [CAPABILITY IMAP4rev1] ready"),
        Step::ExpectPrefix("A0001 LOGIN "),
        Step::Stall,
    ];
    let (smtp_port, smtp) = imap_server(smtp_script).await;
    let (imap_port, _imap) = imap_server(imap_script).await;
    let dir = tempfile::tempdir().unwrap();
    let queue = Queue::at(dir.path().join("sent-queue"));
    let settings = Settings {
        server: Some("127.0.0.1".into()),
        port: Some(smtp_port),
        security: Some(Security::None),
        helo: Some("client.example.org".into()),
        user: Some("bob@example.org".into()),
        auth: Some(AuthChoice::Plain),
        allow_insecure_auth: Some(true),
        timeout: Some(30),
        ..Settings::default()
    };
    let submission = Submission {
        connect: Connect {
            resolved: resolve::resolve(&settings, &resolve::Context::default()).unwrap(),
            credentials: Some(Credentials::new("bob@example.org", PASSWORD)),
        },
        draft: Draft::parse(&DraftInput {
            from: "bob@example.org".into(),
            to: "carol@example.org".into(),
            subject: "kept on quitting".into(),
            body: "Hello.".into(),
            ..DraftInput::default()
        })
        .unwrap(),
        attachments: Vec::new(),
        copy: Some(CopyPlan {
            target: target(imap_port, AuthChoice::Login),
            settings: settings.clone(),
            account: None,
            queue: Some(queue.clone()),
        }),
        stamp: None,
    };
    let (jobs, jobs_rx) = tokio::sync::mpsc::channel(8);
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let worker = tokio::spawn(worker::run(jobs_rx, events_tx));
    jobs.send(Job::Send(Box::new(submission))).await.unwrap();
    // Until the worker is logging in to the stalled IMAP server.
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(event) = events.recv().await {
            let login =
                matches!(&event, WorkerEvent::Line(l) if l.text.contains("IMAP: connecting"));
            seen.push(event);
            if login {
                break;
            }
        }
    })
    .await
    .expect("the copy never reached the IMAP server");
    // The login is under way, and unanswered.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A job asked for meanwhile waits behind the copy; Esc cancels it
    // (not the copy) and the UI hears that it ended.
    jobs.send(Job::Disconnect).await.unwrap();
    jobs.send(Job::Cancel).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(event) = events.recv().await {
            let cancelled = matches!(&event, WorkerEvent::Done(Outcome::Cancelled));
            seen.push(event);
            if cancelled {
                break;
            }
        }
    })
    .await
    .expect("the waiting job was not cancelled");
    // The composer quits.
    drop(jobs);
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .expect("the worker did not end")
        .unwrap();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    let smtp = smtp.await.unwrap().expect("the SMTP server's script");
    let kept = seen
        .iter()
        .find_map(|e| match e {
            WorkerEvent::Copy(CopyReport::Kept { error, path }) => Some((error, path)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no copy kept: {seen:#?}"));
    assert!(
        kept.0.contains("quit before the copy was saved"),
        "{}",
        kept.0
    );
    // The bytes the server accepted (no line here starts with a dot).
    assert_eq!(std::fs::read(kept.1).unwrap(), smtp.data[0]);
    let listed = queue.list().unwrap();
    assert_eq!(listed.len(), 1);
    let copy = listed.into_iter().next().unwrap().unwrap();
    assert!(copy.kept.message_id.is_some());
    assert!(
        !std::fs::read_to_string(&copy.meta)
            .unwrap()
            .contains(PASSWORD)
    );
}
