//! A scripted, in-process SMTP server for what a real server will not do on
//! cue: odd replies, faults, stalls. It runs on the far end of a
//! `tokio::io::duplex` (or a loopback socket) and follows a [`Script`].
//! A failed expectation ends the script with a readable diff, not a panic
//! deep in I/O.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use smtpwire::smtp::{
    self, AuthChoice, Credentials, Dir, Event, LogLine, Security, SessionConfig, Stage, Timeouts,
    Transcript,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_native_tls::native_tls;

/// One step of the server's side of a conversation.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// Write these lines, each followed by CRLF.
    Reply(&'static str),
    /// Write these bytes exactly (for split packets, garbage, no CRLF).
    Raw(Vec<u8>),
    /// Read one line; it must equal this (without CRLF).
    Expect(&'static str),
    /// Read one line; it must start with this.
    ExpectPrefix(&'static str),
    /// Read these lines, which must all have arrived in the same write as
    /// the first: the proof of pipelining.
    ExpectBatch(Vec<&'static str>),
    /// Read message data up to the final dot; it is kept in [`Seen::data`].
    ReadData,
    /// Accept a TLS handshake with the test identity.
    StartTls,
    /// Wait (with a paused clock this costs nothing).
    Sleep(Duration),
    /// Stop answering, keeping the connection open.
    Stall,
    /// Read and record every line until the client hangs up, never
    /// answering (a stalled server that still listens).
    Drain,
    /// Close the connection.
    Close,
}

/// A server script.
pub(crate) type Script = Vec<Step>;

/// What the server saw.
#[derive(Clone, Debug, Default)]
pub(crate) struct Seen {
    /// Every line read, in order (message data excluded).
    pub lines: Vec<String>,
    /// Each message read by [`Step::ReadData`], raw (still dot-stuffed).
    pub data: Vec<Vec<u8>>,
}

/// Where the script broke.
pub(crate) type Outcome = Result<Seen, String>;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Runs `script` against the stream; returns what it saw, or a diff.
pub(crate) async fn serve<S>(stream: S, script: Script) -> Outcome
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut seen = Seen::default();
    let mut reader: BufReader<Box<dyn Io>> = BufReader::new(Box::new(stream));
    for (i, step) in script.into_iter().enumerate() {
        let fail = |what: String, seen: &Seen| {
            Err(format!(
                "step {i}: {what}\n  lines seen so far: {:#?}",
                seen.lines
            ))
        };
        match step {
            Step::Reply(text) => {
                let mut out = String::new();
                for line in text.lines() {
                    out.push_str(line);
                    out.push_str("\r\n");
                }
                if reader.get_mut().write_all(out.as_bytes()).await.is_err() {
                    return fail(format!("client went away before reply {text:?}"), &seen);
                }
            }
            Step::Raw(bytes) => {
                if reader.get_mut().write_all(&bytes).await.is_err() {
                    return fail("client went away before raw bytes".into(), &seen);
                }
                let _ = reader.get_mut().flush().await;
            }
            Step::Expect(want) | Step::ExpectPrefix(want) => {
                let exact = matches!(step, Step::Expect(_));
                match read_line(&mut reader).await {
                    Some(got) => {
                        let ok = if exact {
                            got == want
                        } else {
                            got.starts_with(want)
                        };
                        seen.lines.push(got.clone());
                        if !ok {
                            let how = if exact { "" } else { " (prefix)" };
                            return fail(
                                format!("expected{how} {want:?}\n       got {got:?}"),
                                &seen,
                            );
                        }
                    }
                    None => return fail(format!("expected {want:?}, got end of stream"), &seen),
                }
            }
            Step::ExpectBatch(want) => {
                for (j, line) in want.iter().enumerate() {
                    if j > 0 && !reader.buffer().windows(2).any(|w| w == b"\r\n") {
                        return fail(
                            format!("line {line:?} of the batch did not arrive with the first one"),
                            &seen,
                        );
                    }
                    match read_line(&mut reader).await {
                        Some(got) if got == *line => seen.lines.push(got),
                        Some(got) => {
                            seen.lines.push(got.clone());
                            return fail(
                                format!("batch: expected {line:?}\n       got {got:?}"),
                                &seen,
                            );
                        }
                        None => {
                            return fail(
                                format!("batch: expected {line:?}, got end of stream"),
                                &seen,
                            );
                        }
                    }
                }
            }
            Step::ReadData => {
                let mut data = Vec::new();
                loop {
                    let mut line = Vec::new();
                    match reader.read_until(b'\n', &mut line).await {
                        Ok(0) | Err(_) => return fail("end of stream inside DATA".into(), &seen),
                        Ok(_) => {}
                    }
                    if line == b".\r\n" {
                        break;
                    }
                    data.extend_from_slice(&line);
                }
                seen.data.push(data);
            }
            Step::StartTls => {
                if !reader.buffer().is_empty() {
                    return fail("client sent data before the TLS handshake".into(), &seen);
                }
                let plain = reader.into_inner();
                let acceptor = tokio_native_tls::TlsAcceptor::from(
                    native_tls::TlsAcceptor::new(test_pki().identity.clone())
                        .map_err(|e| format!("acceptor: {e}"))?,
                );
                match acceptor.accept(plain).await {
                    Ok(tls) => reader = BufReader::new(Box::new(tls)),
                    Err(e) => return Err(format!("step {i}: TLS accept failed: {e}")),
                }
            }
            Step::Sleep(d) => tokio::time::sleep(d).await,
            Step::Stall => {
                // Keep the connection open until the client gives up.
                let mut sink = Vec::new();
                let _ = reader.read_to_end(&mut sink).await;
                return Ok(seen);
            }
            Step::Drain => {
                while let Some(line) = read_line(&mut reader).await {
                    seen.lines.push(line);
                }
                return Ok(seen);
            }
            Step::Close => return Ok(seen),
        }
    }
    Ok(seen)
}

async fn read_line(reader: &mut BufReader<Box<dyn Io>>) -> Option<String> {
    let mut line = Vec::new();
    match reader.read_until(b'\n', &mut line).await {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            let text = String::from_utf8_lossy(&line);
            Some(text.trim_end_matches(['\r', '\n']).to_owned())
        }
    }
}

/// A test CA and a server identity for `mail.test`, `localhost` and
/// 127.0.0.1 signed by it, generated once per test run. Clients trust the CA
/// through the CA-file path, never by turning verification off.
pub(crate) struct TestPki {
    pub ca: TestCa,
    pub ca_file: PathBuf,
    pub identity: native_tls::Identity,
    _dir: tempfile::TempDir,
}

pub(crate) fn test_pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| {
        let ca = make_ca("smtpwire test CA");
        let identity = make_server_identity(&ca, &["mail.test", "localhost"], false);
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, &ca.pem).unwrap();
        TestPki {
            ca,
            ca_file,
            identity,
            _dir: dir,
        }
    })
}

/// A CA: its PEM certificate and the issuer that signs with it.
pub(crate) struct TestCa {
    pub pem: String,
    pub issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

pub(crate) fn make_ca(name: &str) -> TestCa {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let pem = params.self_signed(&key).unwrap().pem();
    TestCa {
        pem,
        issuer: rcgen::Issuer::new(params, key),
    }
}

/// A server identity signed by `ca`; `expired` makes one that ended in 2020.
pub(crate) fn make_server_identity(
    ca: &TestCa,
    names: &[&str],
    expired: bool,
) -> native_tls::Identity {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(ToString::to_string).collect::<Vec<_>>())
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names[0]);
    params
        .subject_alt_names
        .push(rcgen::SanType::IpAddress("127.0.0.1".parse().unwrap()));
    if expired {
        params.not_before = rcgen::date_time_ymd(2019, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 1, 1);
    }
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    native_tls::Identity::from_pkcs8(cert.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap()
}

/// A session configuration for the fake server.
pub(crate) fn config(security: Security) -> SessionConfig {
    SessionConfig {
        host: "mail.test".into(),
        port: 587,
        security,
        helo: "client.example.org".into(),
        timeouts: Timeouts::scaled(Duration::from_secs(30)),
        credentials: None,
        auth: AuthChoice::Auto,
        allow_insecure_auth: false,
    }
}

pub(crate) fn with_login(mut config: SessionConfig, auth: AuthChoice) -> SessionConfig {
    config.credentials = Some(Credentials::new("bob@example.org", PASSWORD));
    config.auth = auth;
    config
}

/// The password every scripted login uses; tests check it never shows.
pub(crate) const PASSWORD: &str = "Tr0ub4dor&3-zebra";

/// TLS that trusts the test CA (through the CA-file path).
pub(crate) fn connector() -> smtp::tls::Tls {
    smtp::tls::Tls::new(Some(&test_pki().ca_file))
}

/// Everything the engine reported, collected for assertions.
#[derive(Clone, Default)]
pub(crate) struct Events(Arc<Mutex<Vec<Event>>>);

impl Events {
    pub(crate) fn transcript(&self) -> Transcript {
        let events = Arc::clone(&self.0);
        Transcript::new(move |e| events.lock().unwrap().push(e))
    }

    pub(crate) fn lines(&self) -> Vec<LogLine> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Event::Line(l) => Some(l.clone()),
                Event::Stage(_) => None,
            })
            .collect()
    }

    /// `C: …` / `S: …` lines only, as text.
    pub(crate) fn wire(&self) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| matches!(l.dir, Dir::Client | Dir::Server))
            .map(|l| format!("{} {}", l.dir.prefix(), l.text))
            .collect()
    }

    pub(crate) fn stages(&self) -> Vec<Stage> {
        let mut out: Vec<Stage> = Vec::new();
        for e in self.0.lock().unwrap().iter() {
            if let Event::Stage(s) = e
                && out.last() != Some(s)
            {
                out.push(*s);
            }
        }
        out
    }

    /// Every rendered line, for secret checks.
    pub(crate) fn rendered(&self) -> String {
        self.lines().iter().map(|l| format!("{l}\n")).collect()
    }
}

/// Asserts that no form of the test password appears in `text`.
pub(crate) fn assert_no_secret(text: &str) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let plain_blob = b64.encode(format!("\0bob@example.org\0{PASSWORD}"));
    for needle in [PASSWORD.to_owned(), b64.encode(PASSWORD), plain_blob] {
        assert!(
            !text.contains(&needle),
            "secret {needle:?} leaked into:\n{text}"
        );
    }
}

/// A one-connection server on 127.0.0.1: implicit TLS with `identity` when
/// given, then `script`. Returns its address and the script's outcome.
pub(crate) async fn loopback_server(
    identity: Option<native_tls::Identity>,
    script: Script,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<Outcome>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
        match identity {
            None => serve(tcp, script).await,
            Some(identity) => {
                let acceptor = tokio_native_tls::TlsAcceptor::from(
                    native_tls::TlsAcceptor::new(identity).map_err(|e| e.to_string())?,
                );
                let tls = acceptor
                    .accept(tcp)
                    .await
                    .map_err(|e| format!("TLS accept: {e}"))?;
                serve(tls, script).await
            }
        }
    });
    (addr, task)
}
