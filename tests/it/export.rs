//! Issue 13, items 5 and 6 through the engine and the binary: the
//! timeline of each transaction, exact under a paused clock; the protocol
//! log as JSON Lines; `send` printing the timeline and the equivalent
//! commands of other clients.

use std::{
    process::{Command, Output, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, FixedOffset, TimeZone as _};
use serde_json::Value;
use smtpwire::{
    export::{self, TranscriptFormat},
    smtp::{
        AuthChoice, Delivery, Envelope, Error, Event, LogLine, Phase, Security, Session, Stage,
        Transcript,
    },
};

use crate::support::{
    PASSWORD, Script, Step, assert_no_secret, config, connector, loopback_server, serve, with_login,
};

const LETTER: &[u8] = b"Subject: hi\r\n\r\nhello\r\n";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn envelope() -> Envelope {
    Envelope {
        from: "alice@example.org".into(),
        recipients: vec!["bob@example.org".into()],
    }
}

/// Every event the engine reports, in order.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Event>>>);

impl Recorder {
    fn transcript(&self) -> Transcript {
        let events = Arc::clone(&self.0);
        Transcript::new(move |e| events.lock().unwrap().push(e))
    }

    /// Each line with the stage it was logged in (the last stage before it).
    fn staged(&self) -> Vec<(LogLine, Option<Stage>)> {
        let mut stage = None;
        let mut out = Vec::new();
        for event in self.0.lock().unwrap().iter() {
            match event {
                Event::Stage(s) => stage = Some(*s),
                Event::Line(l) => out.push((l.clone(), stage)),
            }
        }
        out
    }
}

/// Runs `script` against a session on an in-memory stream that sends
/// `letters` copies of the letter, then QUIT.
async fn session(
    script: Script,
    security: Security,
    login: bool,
    letters: usize,
    recorder: &Recorder,
) -> Vec<Result<Delivery, Error>> {
    let (client, server) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(serve(server, script));
    let mut config = config(security);
    if login {
        config = with_login(config, AuthChoice::Auto);
    }
    let env = envelope();
    let mut session = Session::establish(client, &config, &connector(), recorder.transcript())
        .await
        .unwrap();
    let results = session
        .send_many(std::iter::repeat_n((&env, LETTER), letters))
        .await;
    session.quit().await.unwrap();
    if let Err(diff) = server.await.unwrap() {
        panic!("the fake server's script broke:\n{diff}");
    }
    results
}

/// STARTTLS, AUTH, one letter, one command at a time: the server waits a
/// different time before each reply, and each wait lands in its phase.
fn lockstep_script() -> Script {
    vec![
        Step::Sleep(ms(3)),
        Step::Reply("220 mail.test ESMTP"),
        Step::Expect("EHLO client.example.org"),
        Step::Sleep(ms(5)),
        Step::Reply("250-mail.test\n250 STARTTLS"),
        Step::Expect("STARTTLS"),
        Step::Sleep(ms(7)),
        Step::Reply("220 2.0.0 go ahead"),
        Step::StartTls,
        Step::Expect("EHLO client.example.org"),
        Step::Sleep(ms(11)),
        Step::Reply("250-mail.test\n250 AUTH PLAIN LOGIN"),
        Step::ExpectPrefix("AUTH PLAIN "),
        Step::Sleep(ms(13)),
        Step::Reply("235 2.7.0 Authentication successful"),
        Step::Expect("MAIL FROM:<alice@example.org>"),
        Step::Sleep(ms(17)),
        Step::Reply("250 2.1.0 Ok"),
        Step::Expect("RCPT TO:<bob@example.org>"),
        Step::Sleep(ms(19)),
        Step::Reply("250 2.1.5 Ok"),
        Step::Expect("DATA"),
        Step::Sleep(ms(23)),
        Step::Reply("354 End data with <CR><LF>.<CR><LF>"),
        Step::ReadData,
        Step::Sleep(ms(29)),
        Step::Reply("250 2.0.0 Ok: queued as ONE"),
        Step::Expect("QUIT"),
        Step::Sleep(ms(31)),
        Step::Reply("221 2.0.0 Bye"),
    ]
}

/// PIPELINING, two letters, the second riding behind the first's dot.
fn pipelined_script() -> Script {
    let group = || {
        vec![
            "MAIL FROM:<alice@example.org>",
            "RCPT TO:<bob@example.org>",
            "DATA",
        ]
    };
    vec![
        Step::Sleep(ms(2)),
        Step::Reply("220 mail.test ESMTP"),
        Step::Expect("EHLO client.example.org"),
        Step::Sleep(ms(3)),
        Step::Reply("250-mail.test\n250 PIPELINING"),
        Step::ExpectBatch(group()),
        Step::Sleep(ms(5)),
        Step::Reply("250 2.1.0 Ok"),
        Step::Sleep(ms(1)),
        Step::Reply("250 2.1.5 Ok"),
        Step::Sleep(ms(2)),
        Step::Reply("354 go"),
        Step::ReadData,
        Step::ExpectBatch(group()),
        Step::Sleep(ms(7)),
        Step::Reply("250 2.0.0 Ok: queued as ONE"),
        Step::Sleep(ms(11)),
        Step::Reply("250 2.1.0 Ok\n250 2.1.5 Ok"),
        Step::Sleep(ms(4)),
        Step::Reply("354 go"),
        Step::ReadData,
        Step::Sleep(ms(13)),
        Step::Reply("250 2.0.0 Ok: queued as TWO"),
        Step::Expect("QUIT"),
        Step::Reply("221 2.0.0 Bye"),
    ]
}

#[tokio::test(start_paused = true)]
async fn each_transaction_knows_where_its_time_went() {
    use Phase::{Auth, Data, Ehlo, Envelope, FinalReply, Greeting, Tls};
    /// Per letter, the phases it entered and their milliseconds.
    type Expected = Vec<Vec<(Phase, u64)>>;
    let cases: Vec<(&str, Script, Security, bool, Expected)> = vec![
        (
            "lockstep, STARTTLS and AUTH",
            lockstep_script(),
            Security::StartTls,
            true,
            vec![vec![
                (Tls, 7),
                (Greeting, 3),
                (Ehlo, 5 + 11),
                (Auth, 13),
                (Envelope, 17 + 19),
                (Data, 23),
                (FinalReply, 29),
            ]],
        ),
        (
            // The group's round trip falls to MAIL/RCPT; the 354 that
            // travelled with it costs only its own delay; the second
            // letter's commands rode with the first's dot, and its clock
            // starts when its replies are read.
            "pipelined, two letters",
            pipelined_script(),
            Security::None,
            false,
            vec![
                vec![
                    (Greeting, 2),
                    (Ehlo, 3),
                    (Envelope, 5 + 1),
                    (Data, 2),
                    (FinalReply, 7),
                ],
                vec![(Envelope, 11), (Data, 4), (FinalReply, 13)],
            ],
        ),
    ];
    for (name, script, security, login, expected) in cases {
        let recorder = Recorder::default();
        let results = session(script, security, login, expected.len(), &recorder).await;
        assert_eq!(results.len(), expected.len(), "{name}");
        for (result, want) in results.iter().zip(&expected) {
            let timeline = result.as_ref().unwrap().timeline;
            let got: Vec<(Phase, Duration)> = timeline.phases().collect();
            let want: Vec<(Phase, Duration)> = want.iter().map(|&(p, t)| (p, ms(t))).collect();
            assert_eq!(got, want, "{name}: {timeline}");
            assert_eq!(
                timeline.total(),
                want.iter().map(|(_, t)| *t).sum::<Duration>(),
                "{name}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_log_as_json_lines_from_a_scripted_session() {
    let recorder = Recorder::default();
    let results = session(lockstep_script(), Security::StartTls, true, 1, &recorder).await;
    assert!(results[0].is_ok());
    let staged = recorder.staged();
    let anchor: DateTime<FixedOffset> = FixedOffset::east_opt(3 * 3600)
        .unwrap()
        .from_local_datetime(
            &chrono::NaiveDate::from_ymd_opt(2026, 5, 1)
                .unwrap()
                .and_time(staged[0].0.time),
        )
        .unwrap();
    let out = export::render(
        TranscriptFormat::Jsonl,
        &anchor,
        staged.iter().map(|(l, s)| (l, *s)),
    );
    assert_no_secret(&out);
    assert!(!out.contains(PASSWORD));
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(records.len(), staged.len());
    for (r, (line, _)) in records.iter().zip(&staged) {
        let time = DateTime::parse_from_rfc3339(r["time"].as_str().unwrap()).unwrap();
        assert_eq!(time.offset().local_minus_utc(), 3 * 3600, "{r}");
        let millis = "%H:%M:%S%.3f";
        assert_eq!(
            time.format(millis).to_string(),
            line.time.format(millis).to_string(),
            "the time of the text format, with date and offset: {r}"
        );
        assert_eq!(
            r["text"],
            line.text.as_str(),
            "the same text as the text format"
        );
        let dir = r["dir"].as_str().unwrap();
        assert!(["client", "server", "note", "error"].contains(&dir), "{r}");
        assert_eq!(dir == "server", r.get("code").is_some(), "{r}");
        assert_eq!(line.latency.is_some(), r.get("latency_ms").is_some(), "{r}");
    }
    let find = |text: &str| {
        records
            .iter()
            .find(|r| r["text"].as_str().unwrap().starts_with(text))
            .unwrap_or_else(|| panic!("no line {text:?} in\n{out}"))
    };
    for (text, dir, stage, code, enhanced) in [
        ("220 mail.test", "server", "greeting", Some(220), None),
        ("EHLO client", "client", "ehlo", None, None),
        ("250 STARTTLS", "server", "ehlo", Some(250), None),
        (
            "220 2.0.0 go ahead",
            "server",
            "starttls",
            Some(220),
            Some("2.0.0"),
        ),
        ("TLS established", "note", "tls", None, None),
        (
            "AUTH PLAIN <credentials redacted>",
            "client",
            "auth",
            None,
            None,
        ),
        ("235 2.7.0", "server", "auth", Some(235), Some("2.7.0")),
        ("MAIL FROM:", "client", "mail", None, None),
        ("250 2.1.5 Ok", "server", "rcpt", Some(250), Some("2.1.5")),
        ("354 End data", "server", "data", Some(354), None),
        (
            "<22 bytes of message data>",
            "client",
            "message",
            None,
            None,
        ),
        (
            "250 2.0.0 Ok: queued as ONE",
            "server",
            "final_reply",
            Some(250),
            Some("2.0.0"),
        ),
        ("221 2.0.0 Bye", "server", "quit", Some(221), Some("2.0.0")),
    ] {
        let r = find(text);
        assert_eq!(r["dir"], dir, "{r}");
        assert_eq!(r["stage"], stage, "{r}");
        assert_eq!(r.get("code").and_then(Value::as_u64), code, "{r}");
        assert_eq!(r.get("enhanced").and_then(Value::as_str), enhanced, "{r}");
    }
    assert!(find("235 2.7.0")["latency_ms"].as_f64().is_some());
}

fn run_binary(args: Vec<String>, password: Option<&str>, dir: &std::path::Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smtpwire"));
    command
        .args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", "/nonexistent/smtpwire-test")
        .env_remove("SMTPWIRE_PASSWORD")
        .stdin(Stdio::null());
    if let Some(password) = password {
        command.env("SMTPWIRE_PASSWORD", password);
    }
    command.output().unwrap()
}

fn letter_args(rest: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "send",
        "--helo",
        "client.example.org",
        "--from",
        "Алиса <alice@example.org>",
        "--to",
        "bob@example.org",
        "--subject",
        "Привет",
        "--body",
        "hello",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    args.extend(rest.iter().map(ToString::to_string));
    args
}

fn plain_script() -> Script {
    vec![
        Step::Reply("220 mail.test ESMTP"),
        Step::Expect("EHLO client.example.org"),
        Step::Reply("250-mail.test\n250 ENHANCEDSTATUSCODES"),
        Step::ExpectPrefix("MAIL FROM:<alice@example.org>"),
        Step::Reply("250 2.1.0 Ok"),
        Step::Expect("RCPT TO:<bob@example.org>"),
        Step::Reply("250 2.1.5 Ok"),
        Step::Expect("DATA"),
        Step::Reply("354 go"),
        Step::ReadData,
        Step::Reply("250 2.0.0 Ok: queued as CLI"),
        Step::Expect("QUIT"),
        Step::Reply("221 2.0.0 Bye"),
    ]
}

#[tokio::test]
async fn send_prints_the_timeline_unless_quiet_and_writes_json_lines() {
    for quiet in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (addr, server) = loopback_server(None, plain_script()).await;
        let jsonl = dir.path().join("log.jsonl");
        let mut args = letter_args(&[
            "--server",
            "127.0.0.1",
            "--security",
            "none",
            "--transcript",
            jsonl.to_str().unwrap(),
            "--transcript-format",
            "jsonl",
        ]);
        args.extend(["--port".to_owned(), addr.port().to_string()]);
        if quiet {
            args.push("--quiet".to_owned());
        }
        let path = dir.path().to_owned();
        let out = tokio::task::spawn_blocking(move || run_binary(args, None, &path))
            .await
            .unwrap();
        server.await.unwrap().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let timeline = stderr.lines().find(|l| l.starts_with("timeline: "));
        if quiet {
            assert_eq!(timeline, None, "{stderr}");
        } else {
            let timeline = timeline.unwrap_or_else(|| panic!("no timeline in\n{stderr}"));
            for phase in [
                "connect ",
                "greeting ",
                "EHLO ",
                "MAIL/RCPT ",
                "DATA ",
                "final reply ",
                "total ",
            ] {
                assert!(timeline.contains(phase), "{phase:?} not in {timeline}");
            }
            assert!(
                !timeline.contains("TLS") && !timeline.contains("AUTH"),
                "{timeline}"
            );
            let table = stderr.find("recipient ").unwrap();
            assert!(
                stderr.find("timeline: ").unwrap() > table,
                "after the table"
            );
        }
        // The file is JSON Lines whatever stderr shows.
        let text = std::fs::read_to_string(&jsonl).unwrap();
        let stages: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter_map(|r| r.get("stage").and_then(Value::as_str).map(str::to_owned))
            .fold(Vec::new(), |mut seen, s| {
                if seen.last() != Some(&s) {
                    seen.push(s);
                }
                seen
            });
        assert_eq!(
            stages,
            [
                "connect",
                "greeting",
                "ehlo",
                "mail",
                "rcpt",
                "data",
                "message",
                "final_reply",
                "quit"
            ],
            "{text}"
        );
    }
}

#[test]
fn print_command_prints_without_sending_and_without_the_password() {
    const SECRET: &str = "s3cret pass:word \"x\"";
    for tool in ["swaks", "curl", "smtpwire"] {
        let dir = tempfile::tempdir().unwrap();
        let eml = dir.path().join("letter.eml");
        let out = run_binary(
            letter_args(&[
                // Nothing listens here: nothing may be sent.
                "--server",
                "127.0.0.1",
                "--port",
                "9",
                "--user",
                "bob",
                "--eml",
                eml.to_str().unwrap(),
                "--print-command",
                tool,
            ]),
            Some(SECRET),
            dir.path(),
        );
        let stdout = String::from_utf8(out.stdout.clone()).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{tool}: {stderr}");
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "{tool}"
        );
        assert!(
            stdout.starts_with(match tool {
                "swaks" => "{ sed ",
                "curl" => "curl ",
                _ => "smtpwire send ",
            }),
            "{stdout}"
        );
        if tool != "smtpwire" {
            assert!(stdout.contains("${SMTPWIRE_PASSWORD:?}"), "{stdout}");
            assert!(stdout.contains(eml.to_str().unwrap()), "{stdout}");
        }
        let letter = std::fs::read(&eml).unwrap();
        assert!(letter.is_ascii(), "7-bit, for any client");
        assert!(letter.ends_with(b"\r\n"));
        let syntax = Command::new("sh")
            .args(["-n", "-c", &stdout])
            .output()
            .unwrap();
        assert!(syntax.status.success(), "{stdout}");
    }
    // It prints instead of sending; --dry-run prints the letter instead.
    let dir = tempfile::tempdir().unwrap();
    let out = run_binary(
        letter_args(&[
            "--server",
            "x.example",
            "--print-command",
            "curl",
            "--dry-run",
        ]),
        None,
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(64));
}
