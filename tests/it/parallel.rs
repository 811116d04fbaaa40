//! `send --repeat N --parallel P` through the real binary against a sink on
//! loopback that takes several connections: every letter is tried once and
//! counted once, the sessions share the work, and when one session breaks
//! the others send the letters it never started.

use std::{
    collections::HashMap,
    process::{Command, Stdio},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
};

/// What one connection of the sink saw.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Message-IDs of the letters answered with 250.
    pub(crate) accepted: Vec<String>,
    /// Final dots read, answered or not.
    pub(crate) dots: usize,
    /// Every Content-Transfer-Encoding header line of the message data.
    pub(crate) encodings: Vec<String>,
}

/// A pipelining sink. With `hang_up_after = Some(k)`, it reads the k-th
/// final dot and closes without answering, as a crashing server would.
pub(crate) async fn serve_one(mut tcp: TcpStream, hang_up_after: Option<usize>) -> Seen {
    tcp.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
    let (mut seen, mut pending, mut chunk) = (Seen::default(), Vec::new(), vec![0u8; 65536]);
    let (mut in_data, mut message_id) = (false, String::new());
    loop {
        let n = tcp.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return seen;
        }
        pending.extend_from_slice(&chunk[..n]);
        let mut out = Vec::new();
        while let Some(end) = pending.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = pending.drain(..end + 2).collect();
            let line = String::from_utf8_lossy(&line[..end]).into_owned();
            if in_data {
                if let Some(id) = line.strip_prefix("Message-ID: ") {
                    id.clone_into(&mut message_id);
                }
                if line.starts_with("Content-Transfer-Encoding:") {
                    seen.encodings.push(line.clone());
                }
                if line == "." {
                    in_data = false;
                    seen.dots += 1;
                    if hang_up_after == Some(seen.dots) {
                        return seen;
                    }
                    seen.accepted.push(std::mem::take(&mut message_id));
                    out.extend_from_slice(b"250 2.0.0 Ok: queued\r\n");
                }
                continue;
            }
            let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
            out.extend_from_slice(match verb.as_str() {
                "EHLO" => b"250-sink.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
                "MAIL" => b"250 2.1.0 Ok\r\n",
                "RCPT" => b"250 2.1.5 Ok\r\n",
                "DATA" => {
                    in_data = true;
                    b"354 go\r\n"
                }
                "QUIT" => b"221 2.0.0 Bye\r\n",
                _ => b"502 5.5.2 what?\r\n",
            });
        }
        if tcp.write_all(&out).await.is_err() {
            return seen;
        }
    }
}

/// Runs `send --repeat letters --parallel sessions` against the sink, the
/// `broken`-th connection accepted (from 0) hanging up after `after` dots.
async fn run(
    letters: u32,
    sessions: usize,
    broken: Option<(usize, usize)>,
) -> (Vec<Seen>, i32, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let mut handles = Vec::new();
        for n in 0..sessions {
            let (tcp, _) = listener.accept().await.unwrap();
            let hang_up = broken.and_then(|(which, after)| (which == n).then_some(after));
            handles.push(tokio::spawn(serve_one(tcp, hang_up)));
        }
        let mut seen = Vec::new();
        for h in handles {
            seen.push(h.await.unwrap());
        }
        seen
    });
    let output = tokio::task::spawn_blocking(move || {
        sink_send(port, "load")
            .args(["--body", "One of many.", "--quiet"])
            .args(["--repeat", &letters.to_string()])
            .args(["--parallel", &sessions.to_string()])
            .env("XDG_CONFIG_HOME", "/nonexistent/smtpwire-test")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (seen, output.status.code().unwrap_or(-1), stderr)
}

/// Every Message-ID the sink accepted, checked to be unique.
fn unique_ids(seen: &[Seen]) -> usize {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for id in seen.iter().flat_map(|s| &s.accepted) {
        *ids.entry(id.as_str()).or_default() += 1;
    }
    assert!(
        ids.values().all(|&n| n == 1),
        "a letter arrived twice: {ids:?}"
    );
    ids.len()
}

#[tokio::test]
async fn letters_are_shared_by_the_sessions_and_each_arrives_once() {
    for (letters, sessions) in [(2u32, 2usize), (40, 4), (600, 3)] {
        let (seen, code, stderr) = run(letters, sessions, None).await;
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(seen.len(), sessions);
        assert!(
            seen.iter().all(|s| !s.accepted.is_empty()),
            "idle session: {seen:?}"
        );
        assert_eq!(unique_ids(&seen), letters as usize);
    }
}

/// One session's server dies after reading a final dot it never answers:
/// that letter is a failure (exit 75, it may or may not have been kept),
/// and the letters that session had not started go out over the others.
#[tokio::test]
async fn a_broken_session_leaves_its_untried_letters_to_the_others() {
    let (seen, code, stderr) = run(300, 3, Some((1, 5))).await;
    assert_eq!(code, 75, "{stderr}");
    assert!(
        stderr.contains("Closed") || stderr.contains("closed"),
        "{stderr}"
    );
    assert_eq!(seen[1].dots, 5);
    let dots: usize = seen.iter().map(|s| s.dots).sum();
    assert_eq!(dots, 300, "every letter tried exactly once: {seen:?}");
    assert_eq!(unique_ids(&seen), 299);
}

/// `smtpwire send` of one plain letter to the scripted sink on `port`.
pub(crate) fn sink_send(port: u16, subject: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smtpwire"));
    command
        .args(["send", "--server", "127.0.0.1", "--port", &port.to_string()])
        .args(["--security", "none", "--helo", "client.sink.test"])
        .args([
            "--timeout",
            "5",
            "--from",
            "me@sink.test",
            "--to",
            "a@sink.test",
        ])
        .args(["--subject", subject]);
    command
}
