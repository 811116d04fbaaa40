//! The fault matrix: every stage × every fault a network or server can throw,
//! run through the real binary against a scripted server on loopback. Each
//! row must end with the right exit code, a message naming the stage (and
//! quoting the server's words where it had any), QUIT where the connection
//! allows it, no panic, and no hang past the stage's deadline.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::support::{Script, Step, serve};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    Greeting,
    Ehlo,
    StartTls,
    TlsHandshake,
    Auth,
    Mail,
    FirstRcpt,
    SecondRcpt,
    Data,
    Content,
    EndOfData,
    Quit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Close,
    Reset,
    Closing421,
    Transient,
    Permanent,
    Garbage,
    LongLine,
    Endless,
    Stall,
}

const ALL_STAGES: [At; 12] = [
    At::Greeting,
    At::Ehlo,
    At::StartTls,
    At::TlsHandshake,
    At::Auth,
    At::Mail,
    At::FirstRcpt,
    At::SecondRcpt,
    At::Data,
    At::Content,
    At::EndOfData,
    At::Quit,
];

const ALL_FAULTS: [Fault; 9] = [
    Fault::Close,
    Fault::Reset,
    Fault::Closing421,
    Fault::Transient,
    Fault::Permanent,
    Fault::Garbage,
    Fault::LongLine,
    Fault::Endless,
    Fault::Stall,
];

/// The command timeout given to the binary; stage deadlines scale from it.
const BASE: u64 = 1;

fn applies(at: At, fault: Fault) -> bool {
    match at {
        // Inside a TLS handshake or the data stream there are no replies,
        // only bytes: hang-ups, resets, garbage and silence.
        At::TlsHandshake => matches!(
            fault,
            Fault::Close | Fault::Reset | Fault::Garbage | Fault::Stall
        ),
        At::Content => matches!(fault, Fault::Close | Fault::Reset | Fault::Stall),
        _ => true,
    }
}

/// What the stage is called in messages.
fn stage_words(at: At) -> &'static [&'static str] {
    match at {
        // A reset right after accept can beat connect() itself on loopback.
        At::Greeting => &["greeting", "cannot connect"],
        At::Ehlo => &["EHLO"],
        At::StartTls => &["STARTTLS"],
        At::TlsHandshake => &["TLS handshake"],
        At::Auth => &["AUTH", "authentication"],
        At::Mail => &["MAIL FROM"],
        At::FirstRcpt | At::SecondRcpt => &["RCPT TO", "refused", "recipient"],
        At::Data => &["DATA"],
        // Depending on when the client notices, the data or the wait after it.
        At::Content => &["message data", "end of data"],
        At::EndOfData => &["end of data"],
        At::Quit => &["QUIT"],
    }
}

/// The deadline of the stage with `--timeout BASE`.
fn deadline(at: At) -> Duration {
    let base = Duration::from_secs(BASE);
    match at {
        At::TlsHandshake => base.max(Duration::from_secs(1)),
        At::Data => base * 2 / 5,
        At::Content => base * 3 / 5,
        At::EndOfData => base * 2,
        _ => base,
    }
}

/// The expected exit status.
fn expected_exit(at: At, fault: Fault) -> u8 {
    if at == At::Quit {
        return 0; // every letter already has its answer
    }
    match fault {
        Fault::Close | Fault::Reset | Fault::Closing421 | Fault::Transient | Fault::Stall => 75,
        Fault::Permanent if at == At::Auth => 77,
        Fault::Permanent => 69,
        Fault::Garbage if at == At::TlsHandshake => 69,
        Fault::Garbage | Fault::LongLine | Fault::Endless => 76,
    }
}

/// Whether the client must still say QUIT: after a plain refusal the
/// connection is in sync; after anything else it is not worth trusting.
fn expects_quit(at: At, fault: Fault) -> bool {
    matches!(fault, Fault::Transient | Fault::Permanent) && at != At::Quit
}

/// The server's words in a reply fault, which the message must quote.
fn words(fault: Fault) -> Option<&'static str> {
    match fault {
        Fault::Closing421 => Some("going down now"),
        Fault::Transient => Some("try again later"),
        Fault::Permanent => Some("not acceptable"),
        _ => None,
    }
}

fn fault_steps(at: At, fault: Fault) -> Vec<Step> {
    let reply = |text: &'static str| Step::Reply(text);
    match fault {
        Fault::Close | Fault::Reset => vec![Step::Close],
        Fault::Closing421 => vec![reply("421 4.3.2 going down now"), Step::Close],
        Fault::Transient => vec![reply(match at {
            At::Auth => "454 4.7.0 try again later",
            _ => "451 4.3.0 try again later",
        })],
        Fault::Permanent => vec![reply(match at {
            At::Auth => "535 5.7.8 not acceptable",
            // 500/502 would mean "EHLO unknown" and trigger the HELO fallback.
            _ => "554 5.7.1 not acceptable",
        })],
        Fault::Garbage => vec![
            Step::Raw(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()),
            Step::Drain,
        ],
        Fault::LongLine => vec![
            Step::Raw(format!("250 {}\r\n", "x".repeat(8000)).into_bytes()),
            Step::Drain,
        ],
        Fault::Endless => vec![
            Step::Raw("250-still going\r\n".repeat(1000).into_bytes()),
            Step::Drain,
        ],
        // In the data stream a stalled server stops reading, so the
        // client's writes block; elsewhere it reads but never answers.
        Fault::Stall if at == At::Content => vec![Step::Sleep(Duration::from_secs(6))],
        Fault::Stall => vec![Step::Drain],
    }
}

/// The whole conversation up to the fault, the fault, and what follows.
fn script(at: At, fault: Fault) -> Script {
    use Step::{Expect, ExpectPrefix, ReadData, Reply};
    let mut s: Script = Vec::new();
    let fault_here = |s: &mut Script| {
        s.extend(fault_steps(at, fault));
        if expects_quit(at, fault) {
            s.extend([Expect("QUIT"), Reply("221 2.0.0 Bye"), Step::Drain]);
        }
    };
    if at == At::Greeting {
        // A greeting "refusal" uses 554 / 450 as a server would.
        match fault {
            Fault::Transient => s.push(Reply("450 4.3.0 try again later")),
            Fault::Permanent => s.push(Reply("554 5.7.1 not acceptable")),
            _ => s.extend(fault_steps(at, fault)),
        }
        if expects_quit(at, fault) {
            s.extend([Expect("QUIT"), Reply("221 2.0.0 Bye"), Step::Drain]);
        }
        return s;
    }
    s.extend([Reply("220 fault.test ESMTP"), ExpectPrefix("EHLO ")]);
    if at == At::Ehlo {
        fault_here(&mut s);
        return s;
    }
    if matches!(at, At::StartTls | At::TlsHandshake) {
        s.extend([Reply("250-fault.test\n250 STARTTLS"), Expect("STARTTLS")]);
        if at == At::StartTls {
            fault_here(&mut s);
        } else {
            s.push(Reply("220 2.0.0 Ready to start TLS"));
            s.extend(fault_steps(at, fault));
        }
        return s;
    }
    s.extend([
        Reply("250-fault.test\n250-AUTH PLAIN\n250 SIZE 100000000"),
        ExpectPrefix("AUTH PLAIN "),
    ]);
    if at == At::Auth {
        fault_here(&mut s);
        return s;
    }
    s.extend([Reply("235 2.7.0 ok"), ExpectPrefix("MAIL FROM:")]);
    if at == At::Mail {
        fault_here(&mut s);
        return s;
    }
    s.extend([Reply("250 2.1.0 ok"), Expect("RCPT TO:<a@fault.test>")]);
    if at == At::FirstRcpt {
        s.extend(fault_steps(at, fault));
        if expects_quit(at, fault) {
            // The other recipient is accepted and the letter goes to it.
            s.extend([
                Expect("RCPT TO:<b@fault.test>"),
                Reply("250 ok"),
                Expect("DATA"),
                Reply("354 go"),
                ReadData,
                Reply("250 2.0.0 queued"),
                Expect("QUIT"),
                Reply("221 Bye"),
                Step::Drain,
            ]);
        }
        return s;
    }
    s.extend([Reply("250 2.1.5 ok"), Expect("RCPT TO:<b@fault.test>")]);
    if at == At::SecondRcpt {
        s.extend(fault_steps(at, fault));
        if expects_quit(at, fault) {
            s.extend([
                Expect("DATA"),
                Reply("354 go"),
                ReadData,
                Reply("250 2.0.0 queued"),
                Expect("QUIT"),
                Reply("221 Bye"),
                Step::Drain,
            ]);
        }
        return s;
    }
    s.extend([Reply("250 2.1.5 ok"), Expect("DATA")]);
    if at == At::Data {
        s.extend(fault_steps(at, fault));
        if expects_quit(at, fault) {
            s.extend([
                Expect("RSET"),
                Reply("250 ok"),
                Expect("QUIT"),
                Reply("221 Bye"),
                Step::Drain,
            ]);
        }
        return s;
    }
    s.push(Reply("354 go ahead"));
    if at == At::Content {
        s.extend(fault_steps(at, fault));
        return s;
    }
    s.push(ReadData);
    if at == At::EndOfData {
        fault_here(&mut s);
        return s;
    }
    s.extend([Reply("250 2.0.0 Ok: queued as FAULT"), Expect("QUIT")]);
    s.extend(fault_steps(at, fault));
    s
}

struct Row {
    at: At,
    fault: Fault,
    code: Option<i32>,
    stderr: String,
    elapsed: Duration,
    server_lines: Vec<String>,
}

async fn run(at: At, fault: Fault, body: &std::path::Path) -> Row {
    // A small receive buffer, so a server that stops reading stops the
    // client's writes after a few megabytes rather than after many.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(64 * 1024).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(16).unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = script(at, fault);
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        if fault == Fault::Reset {
            // Dropping a socket with a zero linger sends RST, not FIN.
            tcp.set_zero_linger().unwrap();
        }
        serve(tcp, script).await
    });
    let security = if matches!(at, At::StartTls | At::TlsHandshake) {
        "starttls"
    } else {
        "none"
    };
    let body = body.to_owned();
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_smtpwire"))
            .args([
                "send",
                "--server",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--security",
                security,
            ])
            .args([
                "--helo",
                "client.fault.test",
                "--timeout",
                &BASE.to_string(),
            ])
            .args(["--user", "u@fault.test", "--allow-insecure-auth"])
            .args([
                "--from",
                "me@fault.test",
                "--to",
                "a@fault.test, b@fault.test",
                "--subject",
                "fault",
            ])
            .arg("--body-file")
            .arg(&body)
            .env("SMTPWIRE_PASSWORD", "fault-Pa55")
            .env("XDG_CONFIG_HOME", "/nonexistent/smtpwire-test")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    let seen = tokio::time::timeout(Duration::from_secs(10), server).await;
    let server_lines = match seen {
        Ok(Ok(Ok(seen))) => seen.lines,
        Ok(Ok(Err(diff))) => panic!(
            "{at:?} × {fault:?}: the script broke:\n{diff}\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
        other => panic!("{at:?} × {fault:?}: server task: {other:?}"),
    };
    Row {
        at,
        fault,
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed,
        server_lines,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stage_times_every_fault() {
    // Small enough for one write, except in the data-stream rows, where the
    // letter must outgrow the socket buffers for the fault to hit mid-write.
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.txt");
    std::fs::write(&small, "Hello.\n.dot line\n").unwrap();
    let large = dir.path().join("large.txt");
    std::fs::write(&large, "0123456789 abcdefghij\n".repeat(400_000)).unwrap();

    let rows: Vec<(At, Fault)> = ALL_STAGES
        .iter()
        .flat_map(|&at| ALL_FAULTS.iter().map(move |&f| (at, f)))
        .filter(|&(at, f)| applies(at, f))
        .collect();
    let mut failures = Vec::new();
    // Two rows at a time: the stall rows spend their time waiting.
    for pair in rows.chunks(2) {
        let runs = pair.iter().map(|&(at, fault)| {
            let body = if at == At::Content {
                large.clone()
            } else {
                small.clone()
            };
            async move { run(at, fault, &body).await }
        });
        for row in futures::future::join_all(runs).await {
            if let Err(why) = check(&row) {
                failures.push(format!(
                    "{:?} × {:?}: {why}\n--- stderr:\n{}",
                    row.at, row.fault, row.stderr
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n\n")
    );
}

fn check(row: &Row) -> Result<(), String> {
    let (at, fault) = (row.at, row.fault);
    let want = expected_exit(at, fault);
    if row.code == Some(101) || row.stderr.contains("panicked") {
        return Err("panicked".into());
    }
    if row.code != Some(i32::from(want)) {
        return Err(format!("exit {:?}, expected {want}", row.code));
    }
    let limit = deadline(at) + Duration::from_secs(3);
    if row.elapsed > limit {
        return Err(format!(
            "took {:?}, more than the stage's deadline allows ({limit:?})",
            row.elapsed
        ));
    }
    if want != 0 {
        let last_error = row
            .stderr
            .lines()
            .rfind(|l| l.starts_with("error:"))
            .unwrap_or_default();
        if !stage_words(at).iter().any(|w| last_error.contains(w)) {
            return Err(format!(
                "the error does not name the stage ({:?}): {last_error:?}",
                stage_words(at)
            ));
        }
        if let Some(words) = words(fault)
            && !last_error.contains(words)
        {
            return Err(format!(
                "the error does not quote the server ({words:?}): {last_error:?}"
            ));
        }
    }
    let quit_sent = row.server_lines.iter().any(|l| l == "QUIT");
    let quit_expected = expects_quit(at, fault) || at == At::Quit;
    if quit_sent != quit_expected {
        return Err(format!(
            "QUIT sent: {quit_sent}, expected: {quit_expected}; server saw {:?}",
            row.server_lines
        ));
    }
    Ok(())
}

/// Runs `smtpwire send` (AUTH PLAIN over plain text, allowed) against a
/// script on loopback; the exit status, stderr and the server's view.
async fn send_against(script: Script, extra: &[&str]) -> (Option<i32>, String, Vec<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        serve(tcp, script).await
    });
    let extra: Vec<String> = extra.iter().map(ToString::to_string).collect();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_smtpwire"))
            .args(["send", "--server", "127.0.0.1", "--port", &port.to_string()])
            .args(["--security", "none", "--helo", "client.fault.test"])
            .args([
                "--timeout",
                "5",
                "--user",
                "u@fault.test",
                "--allow-insecure-auth",
            ])
            .args(["--from", "me@fault.test", "--to", "a@fault.test"])
            .args(["--subject", "auth", "--body", "Hello."])
            .args(&extra)
            .env("SMTPWIRE_PASSWORD", "fault-Pa55")
            .env("XDG_CONFIG_HOME", "/nonexistent/smtpwire-test")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let lines = match tokio::time::timeout(Duration::from_secs(10), server).await {
        Ok(Ok(Ok(seen))) => seen.lines,
        other => panic!(
            "server: {other:?}\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
    };
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        lines,
    )
}

/// Every permanent refusal at the end of AUTH exits 77 (msmtp's mapping),
/// a temporary one 75, each with the hint for its own code; QUIT follows.
#[tokio::test]
async fn every_auth_refusal_exits_77_with_the_hint_for_its_code() {
    use Step::{Expect, ExpectPrefix, Reply};
    for (reply, code, hint) in [
        (
            "535 5.7.8 Username and Password not accepted",
            77,
            "check --user",
        ),
        (
            "534 5.7.9 Application-specific password required",
            77,
            "app password",
        ),
        (
            "534 5.7.14 Please log in via your web browser and then try again",
            77,
            "web browser",
        ),
        (
            "530 5.7.0 Must issue a STARTTLS command first",
            77,
            "--security",
        ),
        ("554 5.7.1 Access denied", 77, "policy"),
        (
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled",
            77,
            "xoauth2",
        ),
        (
            "454 4.7.0 Temporary authentication failure",
            75,
            "try again later",
        ),
        ("500 5.5.1 Unknown command", 77, "hint:"),
    ] {
        let script = vec![
            Reply("220 fault.test ESMTP"),
            ExpectPrefix("EHLO "),
            Reply("250-fault.test\n250 AUTH PLAIN"),
            ExpectPrefix("AUTH PLAIN "),
            Reply(reply),
            Expect("QUIT"),
            Reply("221 Bye"),
            Step::Drain,
        ];
        let (exit, stderr, lines) = send_against(script, &[]).await;
        assert_eq!(exit, Some(code), "{reply}:\n{stderr}");
        let error = stderr
            .lines()
            .skip_while(|l| !l.starts_with("error:"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(error.contains(&reply[4..]), "{reply}: {error}");
        assert!(
            error.contains("hint:") && error.contains(hint),
            "{reply}: {error}"
        );
        assert!(lines.iter().any(|l| l == "QUIT"), "{reply}: {lines:?}");
    }
}

/// Since the SMTP-smuggling advisories some servers offer PIPELINING and
/// still answer 503 to any command that arrives with the final dot. This
/// one does exactly that; `--repeat 50` must deliver every letter exactly
/// once and exit 0, sending each transaction on its own after the first 503.
#[tokio::test]
async fn a_server_refusing_commands_with_the_final_dot_gets_every_letter_once() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        tcp.write_all(b"220 strict.test ESMTP\r\n").await.unwrap();
        let mut pending = Vec::new();
        let (mut in_data, mut in_mail, mut delivered, mut refused_503) = (false, false, 0, 0);
        let mut glued_after_first_503 = 0;
        let mut chunk = vec![0u8; 65536];
        loop {
            let n = tcp.read(&mut chunk).await.unwrap();
            if n == 0 {
                break;
            }
            pending.extend_from_slice(&chunk[..n]);
            let mut out = Vec::new();
            // Commands that arrive in the same read as a final dot.
            let mut behind_dot = false;
            while let Some(end) = pending.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = pending.drain(..end + 2).collect();
                let line = String::from_utf8_lossy(&line[..end]).into_owned();
                if in_data {
                    if line == "." {
                        in_data = false;
                        in_mail = false;
                        delivered += 1;
                        out.extend_from_slice(b"250 2.0.0 Ok: queued\r\n");
                        behind_dot = true;
                    }
                    continue;
                }
                let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
                if behind_dot && verb != "QUIT" {
                    if refused_503 > 0 && verb == "MAIL" {
                        glued_after_first_503 += 1;
                    }
                    if verb == "MAIL" {
                        refused_503 += 1;
                    }
                    out.extend_from_slice(
                        b"503 5.5.1 Error: command pipelining across the end of DATA\r\n",
                    );
                    continue;
                }
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" => {
                        b"250-strict.test\r\n250-PIPELINING\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
                    }
                    "AUTH" => b"235 2.7.0 ok\r\n",
                    "MAIL" => {
                        in_mail = true;
                        b"250 2.1.0 ok\r\n"
                    }
                    "RCPT" if in_mail => b"250 2.1.5 ok\r\n",
                    "RCPT" => b"503 5.5.1 need MAIL\r\n",
                    "DATA" if in_mail => {
                        in_data = true;
                        b"354 go\r\n"
                    }
                    "DATA" => b"503 5.5.1 need RCPT\r\n",
                    "RSET" => {
                        in_mail = false;
                        b"250 2.0.0 ok\r\n"
                    }
                    "QUIT" => b"221 2.0.0 Bye\r\n",
                    _ => b"502 5.5.2 what?\r\n",
                };
                out.extend_from_slice(reply);
            }
            tcp.write_all(&out).await.unwrap();
        }
        (delivered, refused_503, glued_after_first_503)
    });
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_smtpwire"))
            .args(["send", "--server", "127.0.0.1", "--port", &port.to_string()])
            .args(["--security", "none", "--helo", "client.fault.test"])
            .args([
                "--timeout",
                "5",
                "--user",
                "u@fault.test",
                "--allow-insecure-auth",
            ])
            .args(["--from", "me@fault.test", "--to", "a@fault.test"])
            .args(["--subject", "strict", "--body", "Hello.", "--repeat", "50"])
            .env("SMTPWIRE_PASSWORD", "fault-Pa55")
            .env("XDG_CONFIG_HOME", "/nonexistent/smtpwire-test")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let (delivered, refused_503, glued) = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(delivered, 50, "every letter exactly once:\n{stderr}");
    assert_eq!(refused_503, 1, "one 503, then no more riding the dot");
    assert_eq!(glued, 0);
    assert!(stderr.contains("50 of 50 letters accepted"), "{stderr}");
    assert!(stderr.contains("each transaction on its own"), "{stderr}");
}
