//! SMTP typed by hand (manual mode, F7) through the engine, against the
//! scripted server: what goes on the wire, what the log shows, and how the
//! session's state follows what was typed.

use std::time::Duration;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use smtpwire::smtp::{
    Credentials, Dir, Envelope, Error, ManualState, Mechanism, Security, Session, Transaction,
    scrub::WITHHELD,
};
use tokio::task::JoinHandle;

use crate::{
    support::{
        Events, Outcome, PASSWORD, Script, Step, assert_no_secret, config, connector,
        loopback_server, serve, test_pki,
    },
    wired::{self, Input, ctrl},
};

const EHLO: Step = Step::Expect("EHLO client.example.org");
const CAPS: &str = "250-mail.test\n250-AUTH PLAIN LOGIN CRAM-MD5\n250-8BITMIME\n250 SIZE 1000000";

/// The greeting and EHLO, then `rest`.
fn opened(rest: Vec<Step>) -> Script {
    let mut script = vec![
        Step::Reply("220 mail.test ESMTP fake"),
        EHLO,
        Step::Reply(CAPS),
    ];
    script.extend(rest);
    script
}

/// A session over an in-memory stream with the server following `script`.
async fn open(script: Script) -> (Session, JoinHandle<Outcome>, Events) {
    let (client, server) = tokio::io::duplex(1 << 16);
    let task = tokio::spawn(serve(server, script));
    let events = Events::default();
    let session = Session::establish(
        client,
        &config(Security::None),
        &connector(),
        events.transcript(),
    )
    .await
    .unwrap();
    (session, task, events)
}

/// What the server saw, or its diff.
async fn seen(task: JoinHandle<Outcome>) -> crate::support::Seen {
    match task.await.unwrap() {
        Ok(seen) => seen,
        Err(diff) => panic!("the fake server's script broke:\n{diff}"),
    }
}

/// The reply code of a typed command.
async fn code(session: &mut Session, line: &str) -> u16 {
    let reply = session.raw(line).await.unwrap().expect("a reply");
    reply.code().value()
}

fn letter_envelope() -> Envelope {
    Envelope {
        from: "alice@example.org".into(),
        recipients: vec!["bob@example.org".into()],
    }
}

#[tokio::test]
async fn a_typed_line_with_a_line_break_or_nul_is_refused_and_nothing_is_written() {
    let (mut session, task, events) = open(opened(vec![
        // The first line after EHLO the server reads is the NOOP: nothing
        // of the refused lines reached it.
        Step::Expect("NOOP"),
        Step::Reply("250 2.0.0 Ok"),
        Step::Close,
    ]))
    .await;
    for line in ["NOOP\r\nRCPT TO:<evil@x>", "RSET\n", "VRFY a\rb", "NO\0OP"] {
        match session.raw(line).await {
            Err(Error::Unsendable { reason }) => {
                assert!(
                    reason.contains("line break") || reason.contains("NUL"),
                    "{reason}"
                );
            }
            other => panic!("{line:?} gave {other:?}"),
        }
        assert!(!session.is_broken());
    }
    assert_eq!(code(&mut session, "NOOP").await, 250);
    seen(task).await;
    let rendered = events.rendered();
    assert!(
        rendered.contains("not sent: a typed line cannot hold a line break"),
        "{rendered}"
    );
    assert!(!rendered.contains("evil"), "{rendered}");
}

#[tokio::test]
async fn commands_move_the_state_and_ehlo_replaces_the_capabilities() {
    let (mut session, task, events) = open(opened(vec![
        Step::Expect("VRFY bob"),
        Step::Reply("252 2.0.0 bob"),
        Step::Expect("MAIL FROM:<a@example.org>"),
        Step::Reply("250 2.1.0 Ok"),
        Step::Expect("RCPT TO:<x@example.org>"),
        Step::Reply("550 5.1.1 unknown"),
        Step::Expect("rcpt to:<b@example.org>"),
        Step::Reply("250 2.1.5 Ok"),
        Step::Expect("EHLO again.example.org"),
        Step::Reply("250-mail.test\n250-PIPELINING\n250 SMTPUTF8"),
        Step::Expect("HELP"),
        Step::Reply("214-2.0.0 Commands:\n214 2.0.0 HELO EHLO MAIL"),
        Step::Expect("QUIT"),
        Step::Reply("221 2.0.0 Bye"),
    ]))
    .await;
    assert_eq!(
        session.manual_state(),
        ManualState::default(),
        "no login, nothing typed"
    );
    assert_eq!(code(&mut session, "VRFY bob").await, 252);
    assert_eq!(session.manual_state().transaction, Transaction::Idle);
    assert_eq!(code(&mut session, "MAIL FROM:<a@example.org>").await, 250);
    assert_eq!(code(&mut session, "RCPT TO:<x@example.org>").await, 550);
    assert_eq!(code(&mut session, "rcpt to:<b@example.org>").await, 250);
    assert_eq!(
        session.manual_state().transaction,
        Transaction::Open { recipients: 1 }
    );
    assert!(session.capabilities().auth.contains(&"LOGIN".to_owned()));
    assert_eq!(code(&mut session, "EHLO again.example.org").await, 250);
    assert_eq!(session.manual_state().transaction, Transaction::Idle);
    assert!(session.capabilities().auth.is_empty());
    assert!(session.capabilities().pipelining && session.capabilities().smtputf8);
    // A multi-line reply is one reply, every line logged.
    let help = session.raw("HELP").await.unwrap().unwrap();
    assert_eq!(help.lines().len(), 2);
    assert_eq!(code(&mut session, "QUIT").await, 221);
    assert!(session.is_broken(), "closed by the typed QUIT");
    assert!(matches!(session.raw("NOOP").await, Err(Error::Broken)));
    seen(task).await;
    let wire = events.wire();
    for line in [
        "C: VRFY bob",
        "S: 252 2.0.0 bob",
        "S: 214-2.0.0 Commands:",
        "S: 214 2.0.0 HELO EHLO MAIL",
        "C: QUIT",
        "S: 221 2.0.0 Bye",
    ] {
        assert!(wire.iter().any(|l| l == line), "{line} in {wire:#?}");
    }
    // Replies carry their latency, as every other one does.
    assert!(
        events
            .lines()
            .iter()
            .any(|l| l.dir == Dir::Server && l.text.starts_with("252") && l.latency.is_some())
    );
}

#[tokio::test]
async fn data_typed_by_hand_is_dot_stuffed_and_a_lone_dot_ends_it() {
    let (mut session, task, events) = open(opened(vec![
        Step::Expect("MAIL FROM:<a@example.org>"),
        Step::Reply("250 2.1.0 Ok"),
        Step::Expect("RCPT TO:<b@example.org>"),
        Step::Reply("250 2.1.5 Ok"),
        Step::Expect("DATA"),
        Step::Reply("354 End data with <CR><LF>.<CR><LF>"),
        Step::ReadData,
        Step::Reply("250 2.0.0 Ok: queued as HAND"),
        Step::Expect("NOOP"),
        Step::Reply("250 2.0.0 Ok"),
        Step::Close,
    ]))
    .await;
    code(&mut session, "MAIL FROM:<a@example.org>").await;
    code(&mut session, "RCPT TO:<b@example.org>").await;
    assert_eq!(code(&mut session, "DATA").await, 354);
    assert_eq!(
        session.manual_state().transaction,
        Transaction::Data { recipients: 1 }
    );
    for line in [
        "Subject: by hand",
        "",
        ".hidden",
        "..",
        "QUIT",
        " . ",
        "RSET",
    ] {
        assert!(
            session.raw(line).await.unwrap().is_none(),
            "{line:?} is data"
        );
    }
    assert!(session.manual_state().in_data());
    let end = session.raw(".").await.unwrap().unwrap();
    assert_eq!(end.code().value(), 250);
    assert_eq!(session.manual_state().transaction, Transaction::Idle);
    assert_eq!(code(&mut session, "NOOP").await, 250);
    let seen = seen(task).await;
    assert_eq!(
        String::from_utf8_lossy(&seen.data[0]),
        "Subject: by hand\r\n\r\n..hidden\r\n...\r\nQUIT\r\n . \r\nRSET\r\n"
    );
    let wire = events.wire();
    assert!(wire.iter().any(|l| l == "C: ..hidden"), "{wire:#?}");
    assert!(wire.iter().any(|l| l == "C: ."), "{wire:#?}");
}

#[tokio::test]
async fn auth_login_by_hand_is_redacted_even_when_the_server_echoes() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let user = Box::leak(b64.encode("bob@example.org").into_boxed_str());
    let pass = Box::leak(b64.encode(PASSWORD).into_boxed_str());
    let echo = Box::leak(format!("235 2.7.0 welcome, {PASSWORD} ({pass})").into_boxed_str());
    let (mut session, task, events) = open(opened(vec![
        Step::Expect("AUTH LOGIN"),
        Step::Reply("334 VXNlcm5hbWU6"),
        Step::Expect(user),
        Step::Reply("334 UGFzc3dvcmQ6"),
        Step::Expect(pass),
        Step::Reply(echo),
        Step::Expect("NOOP"),
        Step::Reply(echo),
        Step::Close,
    ]))
    .await;
    let credentials = Credentials::new("bob@example.org", PASSWORD);
    // No TLS here: refused unless allowed, and nothing is sent.
    assert!(matches!(
        session
            .auth_by_hand(Mechanism::Login, &credentials, false)
            .await,
        Err(Error::InsecureAuth)
    ));
    let reply = session
        .auth_by_hand(Mechanism::Login, &credentials, true)
        .await
        .unwrap();
    assert_eq!(reply.code().value(), 235);
    assert!(!reply.to_string().contains(PASSWORD), "{reply}");
    assert!(session.manual_state().authenticated);
    // The secret stays registered: a later echo is withheld too.
    let later = session.raw("NOOP").await.unwrap().unwrap();
    assert!(later.to_string().contains(WITHHELD), "{later}");
    seen(task).await;
    let wire = events.wire();
    for line in [
        "C: AUTH LOGIN",
        "C: <username redacted>",
        "C: <password redacted>",
    ] {
        assert!(wire.iter().any(|l| l == line), "{line} in {wire:#?}");
    }
    assert_no_secret(&events.rendered());
}

#[tokio::test]
async fn auth_plain_by_hand_answers_the_empty_challenge_with_the_blob() {
    use base64::Engine as _;
    let blob =
        base64::engine::general_purpose::STANDARD.encode(format!("\0bob@example.org\0{PASSWORD}"));
    let blob = Box::leak(blob.into_boxed_str());
    let echo = Box::leak(format!("535 5.7.8 bad: {blob}").into_boxed_str());
    let (mut session, task, events) = open(opened(vec![
        Step::Expect("AUTH PLAIN"),
        Step::Reply("334 "),
        Step::Expect(blob),
        Step::Reply(echo),
        Step::Close,
    ]))
    .await;
    let credentials = Credentials::new("bob@example.org", PASSWORD);
    let reply = session
        .auth_by_hand(Mechanism::Plain, &credentials, true)
        .await
        .unwrap();
    // A refusal is the server's answer, not a broken session.
    assert_eq!(reply.code().value(), 535);
    assert!(!session.is_broken() && !session.manual_state().authenticated);
    seen(task).await;
    assert!(
        events
            .wire()
            .iter()
            .any(|l| l == "C: <credentials redacted>")
    );
    assert_no_secret(&events.rendered());
}

#[tokio::test]
async fn a_typed_initial_response_and_a_typed_answer_never_show() {
    use base64::Engine as _;
    let blob =
        base64::engine::general_purpose::STANDARD.encode(format!("\0bob@example.org\0{PASSWORD}"));
    let typed = Box::leak(format!("AUTH PLAIN {blob}").into_boxed_str());
    let echo = Box::leak(format!("535 5.7.8 no, {PASSWORD}").into_boxed_str());
    let answer = "Ym9iIDNmN2E5YmUxZjI4ZTQwOTg=";
    let (mut session, task, events) = open(opened(vec![
        Step::Expect(typed),
        Step::Reply(echo),
        Step::Expect("AUTH CRAM-MD5"),
        Step::Reply("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"),
        Step::Expect(answer),
        Step::Reply("235 2.7.0 Ok"),
        Step::Close,
    ]))
    .await;
    assert_eq!(code(&mut session, typed).await, 535);
    assert_eq!(code(&mut session, "AUTH CRAM-MD5").await, 334);
    assert!(session.manual_state().challenge);
    assert_eq!(code(&mut session, answer).await, 235);
    assert!(!session.manual_state().challenge && session.manual_state().authenticated);
    seen(task).await;
    let wire = events.wire();
    assert!(
        wire.iter()
            .any(|l| l == "C: AUTH PLAIN <credentials redacted>"),
        "{wire:#?}"
    );
    assert!(
        wire.iter().any(|l| l == "C: <answer redacted>"),
        "{wire:#?}"
    );
    let rendered = events.rendered();
    assert!(!rendered.contains(answer), "{rendered}");
    assert_no_secret(&rendered);
}

#[tokio::test]
async fn a_letter_after_a_typed_mail_goes_after_rset_to_its_own_recipients() {
    let (mut session, task, events) = open(opened(vec![
        Step::Expect("MAIL FROM:<typed@example.org>"),
        Step::Reply("250 2.1.0 Ok"),
        Step::Expect("RCPT TO:<typed-rcpt@example.org>"),
        Step::Reply("250 2.1.5 Ok"),
        // The letter: RSET first, then its own envelope only.
        Step::Expect("RSET"),
        Step::Reply("250 2.0.0 Ok"),
        Step::ExpectPrefix("MAIL FROM:<alice@example.org>"),
        Step::Reply("250 2.1.0 Ok"),
        Step::Expect("RCPT TO:<bob@example.org>"),
        Step::Reply("250 2.1.5 Ok"),
        Step::Expect("DATA"),
        Step::Reply("354 go"),
        Step::ReadData,
        Step::Reply("250 2.0.0 Ok: queued as LETTER"),
        Step::Close,
    ]))
    .await;
    code(&mut session, "MAIL FROM:<typed@example.org>").await;
    code(&mut session, "RCPT TO:<typed-rcpt@example.org>").await;
    let delivery = session
        .send(&letter_envelope(), &b"Subject: x\r\n\r\nhi\r\n"[..])
        .await
        .unwrap();
    assert_eq!(delivery.recipients.len(), 1);
    assert_eq!(session.manual_state().transaction, Transaction::Idle);
    seen(task).await;
    assert!(
        events
            .rendered()
            .contains("a transaction typed by hand is open (MAIL FROM, 1 RCPT TO): RSET first")
    );
}

#[tokio::test]
async fn with_typed_data_open_a_letter_is_refused_and_quit_drops_the_connection() {
    let (mut session, task, events) = open(opened(vec![
        Step::Expect("MAIL FROM:<a@example.org>"),
        Step::Reply("250 2.1.0 Ok"),
        Step::Expect("RCPT TO:<b@example.org>"),
        Step::Reply("250 2.1.5 Ok"),
        Step::Expect("DATA"),
        Step::Reply("354 go"),
        // Everything after this is message data: record it, answer nothing.
        Step::Drain,
    ]))
    .await;
    code(&mut session, "MAIL FROM:<a@example.org>").await;
    code(&mut session, "RCPT TO:<b@example.org>").await;
    code(&mut session, "DATA").await;
    session.raw("half a letter").await.unwrap();
    let results = session.send_many([(&letter_envelope(), &b"x"[..])]).await;
    assert!(matches!(results[..], [Err(Error::DataUnfinished)]));
    assert!(!session.is_broken(), "the data may still be finished");
    assert!(matches!(session.quit().await, Err(Error::DataUnfinished)));
    let seen = seen(task).await;
    // Neither the letter's MAIL nor QUIT was said inside the data.
    assert_eq!(seen.lines.last().map(String::as_str), Some("half a letter"));
    assert!(
        events
            .rendered()
            .contains("the server discards the unfinished letter")
    );
}

#[tokio::test]
async fn a_421_or_silence_breaks_the_session() {
    let (mut session, task, _) = open(opened(vec![
        Step::Expect("NOOP"),
        Step::Reply("421 4.3.2 going down"),
        Step::Close,
    ]))
    .await;
    assert!(matches!(
        session.raw("NOOP").await,
        Err(Error::ServiceClosing { .. })
    ));
    assert!(session.is_broken());
    seen(task).await;

    // Under a paused clock the 30 s deadline passes at once.
    tokio::time::pause();
    let (mut session, task, events) =
        open(opened(vec![Step::Expect("EXPN staff"), Step::Stall])).await;
    let started = tokio::time::Instant::now();
    match session.raw("EXPN staff").await {
        Err(Error::Timeout { after, .. }) => assert_eq!(after, Duration::from_secs(30)),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_secs(30));
    assert!(session.is_broken());
    drop(session);
    seen(task).await;
    assert!(
        events
            .rendered()
            .contains("no answer from the server within 30 s during a typed command")
    );
}

#[tokio::test]
async fn starttls_typed_on_a_plain_session_upgrades_and_says_ehlo_again() {
    let (session, task, events) = open(vec![
        Step::Reply("220 mail.test ESMTP fake"),
        EHLO,
        Step::Reply("250-mail.test\n250 STARTTLS"),
        Step::Expect("STARTTLS"),
        Step::Reply("220 2.0.0 Ready to start TLS"),
        Step::StartTls,
        EHLO,
        Step::Reply(CAPS),
        Step::Expect("NOOP"),
        Step::Reply("250 2.0.0 Ok"),
        Step::Close,
    ])
    .await;
    assert!(session.wants_upgrade("starttls") && !session.wants_upgrade("NOOP"));
    let (session, reply) = session
        .starttls_by_hand(&connector(), "mail.test", "client.example.org")
        .await;
    assert_eq!(reply.unwrap().code().value(), 220);
    let mut session = session.expect("the upgraded session");
    assert!(session.is_encrypted());
    assert!(session.capabilities().auth.contains(&"PLAIN".to_owned()));
    assert!(!session.wants_upgrade("STARTTLS"), "already encrypted");
    assert_eq!(code(&mut session, "NOOP").await, 250);
    seen(task).await;
    assert!(events.rendered().contains("TLS established"));
}

fn plain_key(code: KeyCode) -> Input {
    Input::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Keys for a typed line and Enter.
fn line_keys(text: &str) -> Vec<Input> {
    text.chars()
        .map(|c| plain_key(KeyCode::Char(c)))
        .chain([plain_key(KeyCode::Enter)])
        .collect()
}

/// The composer's real loop and worker against the scripted server: a
/// plain session, STARTTLS typed by hand (upgraded, EHLO again), AUTH
/// LOGIN through the prompts against a server that echoes the password,
/// a letter typed by hand with a dot line, and QUIT (Ctrl+D) after Esc.
#[tokio::test]
async fn typed_starttls_auth_and_data_through_the_real_loop() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let user = Box::leak(b64.encode("bob@example.org").into_boxed_str());
    let pass = Box::leak(b64.encode(PASSWORD).into_boxed_str());
    let echo = Box::leak(format!("235 2.7.0 hello {PASSWORD}").into_boxed_str());
    let (addr, server) = loopback_server(
        None,
        vec![
            Step::Reply("220 fake.example.org ESMTP"),
            EHLO,
            Step::Reply("250-fake.example.org\n250 STARTTLS"),
            Step::Expect("STARTTLS"),
            Step::Reply("220 2.0.0 Ready to start TLS"),
            Step::StartTls,
            EHLO,
            Step::Reply("250-fake.example.org\n250-AUTH LOGIN\n250 SIZE 1000000"),
            Step::Expect("AUTH LOGIN"),
            Step::Reply("334 VXNlcm5hbWU6"),
            Step::Expect(user),
            Step::Reply("334 UGFzc3dvcmQ6"),
            Step::Expect(pass),
            Step::Reply(echo),
            Step::Expect("MAIL FROM:<a@example.org>"),
            Step::Reply("250 2.1.0 Ok"),
            Step::Expect("RCPT TO:<b@example.org>"),
            Step::Reply("250 2.1.5 Ok"),
            Step::Expect("DATA"),
            Step::Reply("354 go ahead"),
            Step::ReadData,
            Step::Reply("250 2.0.0 Ok: queued as TYPED"),
            Step::Expect("QUIT"),
            Step::Reply("221 2.0.0 Bye"),
            Step::Close,
        ],
    )
    .await;
    let settings = smtpwire::settings::Settings {
        ca_file: Some(test_pki().ca_file.clone()),
        allow_insecure_auth: Some(false),
        ..wired::settings(addr.port())
    };
    let mut steps = vec![ctrl('o'), Input::Done];
    steps.push(plain_key(KeyCode::F(7)));
    for (line, replies) in [
        ("STARTTLS", true),
        ("AUTH LOGIN", false),
        ("bob@example.org", false),
        (PASSWORD, true),
        ("MAIL FROM:<a@example.org>", true),
        ("RCPT TO:<b@example.org>", true),
        ("DATA", true),
        ("Subject: typed", true),
        ("", true),
        (".dot line", true),
        (".", true),
    ] {
        steps.extend(line_keys(line));
        if replies {
            steps.push(Input::Done);
        }
    }
    steps.push(plain_key(KeyCode::Esc));
    steps.push(ctrl('d'));
    steps.push(Input::Done);
    let (runner, terminal) = wired::run_with(
        settings,
        smtpwire::app::Context::default(),
        smtpwire::mail::DraftInput::default(),
        steps,
    )
    .await;
    let seen = match server.await.unwrap() {
        Ok(seen) => seen,
        Err(diff) => panic!("the fake server's script broke:\n{diff}"),
    };
    assert_eq!(
        String::from_utf8_lossy(&seen.data[0]),
        "Subject: typed\r\n\r\n..dot line\r\n"
    );
    let app = runner.app();
    let log = wired::log(app);
    for expected in [
        "C: STARTTLS",
        "TLS established",
        "C: <username redacted>",
        "C: <password redacted>",
        &format!("S: 235 2.7.0 {WITHHELD}"),
        "C: ..dot line",
        "S: 250 2.0.0 Ok: queued as TYPED",
        "S: 221 2.0.0 Bye",
    ] {
        assert!(log.contains(expected), "{expected} in\n{log}");
    }
    assert_no_secret(&log);
    assert_no_secret(&wired::screen(&terminal));
    assert!(!app.session_open() && !app.manual.open);
    // The password never entered the history.
    assert_eq!(
        app.manual.history(),
        [
            "STARTTLS",
            "AUTH LOGIN",
            "MAIL FROM:<a@example.org>",
            "RCPT TO:<b@example.org>",
            "DATA"
        ]
    );
}
