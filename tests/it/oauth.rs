//! `OAuth2` logins (XOAUTH2, RFC 7628 OAUTHBEARER) against scripted
//! servers: the exact initial responses, a refused token's JSON challenge
//! shown decoded and the exchange ended properly, exit 77 (75 for 4xx) with
//! the token's hint, and the token in no output in any form.

use std::process::{Command, Stdio};

use smtpwire::smtp::{AuthChoice, Credentials, Error, Mechanism, Security, Session};
use tokio::io::DuplexStream;

use crate::support::{Events, Script, Seen, Step, config, connector, serve};

/// The access token every test logs in with (long enough that even our own
/// notes are checked for it).
const TOKEN: &str = "ya29.a0AfB-Secret-token-0123456789";
/// base64(`user=bob@example.org ^A auth=Bearer TOKEN ^A ^A`).
const XOAUTH2_BLOB: &str =
    "dXNlcj1ib2JAZXhhbXBsZS5vcmcBYXV0aD1CZWFyZXIgeWEyOS5hMEFmQi1TZWNyZXQtdG9rZW4tMDEyMzQ1Njc4OQEB";
/// base64(`n,a=bob@example.org, ^A host=mail.test ^A port=587 ^A auth=Bearer TOKEN ^A ^A`).
const OAUTHBEARER_BLOB: &str = "bixhPWJvYkBleGFtcGxlLm9yZywBaG9zdD1tYWlsLnRlc3QBcG9ydD01ODcBYXV0aD1CZWFyZXIgeWEyOS5hMEFmQi1TZWNyZXQtdG9rZW4tMDEyMzQ1Njc4OQEB";
/// base64 of Google's error JSON.
const CHALLENGE: &str = "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==";
const CHALLENGE_JSON: &str =
    r#"{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}"#;
/// base64 of an error JSON that echoes the token back.
const ECHOING_CHALLENGE: &str =
    "eyJzdGF0dXMiOiI0MDEiLCJlY2hvIjoieWEyOS5hMEFmQi1TZWNyZXQtdG9rZW4tMDEyMzQ1Njc4OSJ9";
const OAUTH_CAPS: &str = "250-mail.test\n250-AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER\n250 8BITMIME";

fn oauth_config(auth: AuthChoice) -> smtpwire::smtp::SessionConfig {
    let mut config = config(Security::None);
    config.allow_insecure_auth = true;
    config.credentials = Some(Credentials::new("bob@example.org", TOKEN));
    config.auth = auth;
    config
}

async fn converse(script: Script, auth: AuthChoice) -> (Result<(), Error>, Events, Seen) {
    let (client_end, server_end): (DuplexStream, DuplexStream) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(serve(server_end, script));
    let events = Events::default();
    let result = match Session::establish(
        client_end,
        &oauth_config(auth),
        &connector(),
        events.transcript(),
    )
    .await
    {
        Ok(session) => session.quit().await.map(drop),
        Err(e) => Err(e),
    };
    match server.await.unwrap() {
        Ok(seen) => (result, events, seen),
        Err(diff) => panic!("the fake server's script broke:\n{diff}\nclient: {result:?}"),
    }
}

/// Every form of the token a careless client could print.
fn assert_no_token(what: &str, text: &str) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for needle in [
        TOKEN.to_owned(),
        b64.encode(TOKEN),
        XOAUTH2_BLOB.to_owned(),
        OAUTHBEARER_BLOB.to_owned(),
        ECHOING_CHALLENGE.to_owned(),
    ] {
        assert!(
            !text.contains(&needle),
            "{what}: the token leaked as {needle:?}:\n{text}"
        );
    }
}

#[tokio::test]
async fn both_mechanisms_send_the_exact_initial_response() {
    for (auth, line, shown) in [
        (
            AuthChoice::XOAuth2,
            format!("AUTH XOAUTH2 {XOAUTH2_BLOB}"),
            "C: AUTH XOAUTH2 <credentials redacted>",
        ),
        (
            AuthChoice::OAuthBearer,
            format!("AUTH OAUTHBEARER {OAUTHBEARER_BLOB}"),
            "C: AUTH OAUTHBEARER <credentials redacted>",
        ),
    ] {
        let script = vec![
            Step::Reply("220 mail.test ESMTP"),
            Step::Expect("EHLO client.example.org"),
            Step::Reply(OAUTH_CAPS),
            Step::Expect(String::leak(line.clone())),
            Step::Reply("235 2.7.0 Accepted"),
            Step::Expect("QUIT"),
            Step::Reply("221 2.0.0 Bye"),
        ];
        let (result, events, seen) = converse(script, auth).await;
        assert!(result.is_ok(), "{auth}: {result:?}");
        assert_eq!(seen.lines[1], line, "{auth}: the wire bytes");
        assert!(
            events.wire().iter().any(|l| l == shown),
            "{auth}: {:?}",
            events.wire()
        );
        assert_no_token(&auth.to_string(), &events.rendered());
    }
}

#[tokio::test]
async fn a_refused_token_ends_the_exchange_and_shows_the_json_decoded() {
    for (auth, prefix, end, shown_end) in [
        (
            AuthChoice::XOAuth2,
            "AUTH XOAUTH2 ",
            "",
            "C: <empty line: ends the refused exchange>",
        ),
        (
            AuthChoice::OAuthBearer,
            "AUTH OAUTHBEARER ",
            "AQ==",
            "C: AQ==",
        ),
    ] {
        for (challenge, json_shown) in [(CHALLENGE, true), (ECHOING_CHALLENGE, false)] {
            let script = vec![
                Step::Reply("220 mail.test ESMTP"),
                Step::Expect("EHLO client.example.org"),
                Step::Reply(OAUTH_CAPS),
                Step::ExpectPrefix(prefix),
                Step::Reply(String::leak(format!("334 {challenge}"))),
                Step::Expect(end),
                Step::Reply("535 5.7.8 Username and Password not accepted"),
                Step::Expect("QUIT"),
                Step::Reply("221 2.0.0 Bye"),
            ];
            let (result, events, _) = converse(script, auth).await;
            let Err(Error::TokenRefused {
                mechanism,
                reply,
                challenge: said,
            }) = &result
            else {
                panic!("{auth}: {result:?}");
            };
            assert!(mechanism.is_oauth());
            assert_eq!(reply.code().value(), 535);
            let rendered = events.rendered();
            assert!(
                events.wire().iter().any(|l| l == shown_end),
                "{auth}: {:?}",
                events.wire()
            );
            if json_shown {
                assert_eq!(said.as_deref(), Some(CHALLENGE_JSON));
                assert!(rendered.contains(CHALLENGE_JSON), "{rendered}");
                assert!(
                    result
                        .as_ref()
                        .unwrap_err()
                        .to_string()
                        .contains(CHALLENGE_JSON)
                );
            } else {
                // The echo is withheld, in the transcript and in the error.
                assert!(said.as_deref().is_some_and(|s| s.contains("withheld")));
                assert!(rendered.contains("withheld"), "{rendered}");
            }
            assert_no_token(&format!("{auth} transcript"), &rendered);
            assert_no_token(
                &format!("{auth} error"),
                &format!("{result:?} {}", result.as_ref().unwrap_err()),
            );
        }
    }
}

#[tokio::test]
async fn auto_never_sends_a_password_as_a_token() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        Step::Expect("EHLO client.example.org"),
        Step::Reply("250-mail.test\n250 AUTH XOAUTH2 OAUTHBEARER"),
        Step::Expect("QUIT"),
        Step::Reply("221 2.0.0 Bye"),
    ];
    let (result, _, seen) = converse(script, AuthChoice::Auto).await;
    assert!(
        matches!(result, Err(Error::AuthUnsupported { .. })),
        "{result:?}"
    );
    assert!(!seen.lines.iter().any(|l| l.starts_with("AUTH")));
    assert_eq!(AuthChoice::Auto.to_string(), "auto");
    assert!(!Mechanism::Plain.is_oauth() && Mechanism::XOAuth2.is_oauth());
}

/// What one run of the binary printed, and its status.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    transcript: String,
}

/// `smtpwire send` with `--auth auth` against `script` on loopback, the
/// token in `SMTPWIRE_PASSWORD`.
async fn run_send(auth: &str, script: Script) -> Run {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        serve(tcp, script).await
    });
    let dir = tempfile::tempdir().unwrap();
    let transcript = dir.path().join("transcript.log");
    let (auth, path) = (auth.to_owned(), transcript.clone());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_smtpwire"))
            .args(["send", "--server", "127.0.0.1", "--port", &port.to_string()])
            .args(["--security", "none", "--allow-insecure-auth"])
            .args(["--helo", "client.example.org", "--timeout", "5"])
            .args(["--user", "bob@example.org", "--auth", &auth])
            .args(["--from", "bob@example.org", "--to", "carol@example.org"])
            .args(["--subject", "token", "--body", "Hello."])
            .arg("--transcript")
            .arg(&path)
            .env("SMTPWIRE_PASSWORD", TOKEN)
            .env("XDG_CONFIG_HOME", "/nonexistent/smtpwire-test")
            .env("XDG_DATA_HOME", "/nonexistent/smtpwire-test")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the server never finished; the client said:\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
        .unwrap();
    if let Err(diff) = outcome {
        panic!(
            "the script broke:\n{diff}\n--- stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        transcript: std::fs::read_to_string(&transcript).unwrap_or_default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_exits_77_with_the_token_hint_and_leaks_nowhere() {
    for (auth, end, challenge, final_reply, code) in [
        (
            "xoauth2",
            "",
            CHALLENGE,
            "535 5.7.8 Username and Password not accepted",
            77,
        ),
        (
            "oauthbearer",
            "AQ==",
            CHALLENGE,
            "535 5.7.8 Username and Password not accepted",
            77,
        ),
        (
            "xoauth2",
            "",
            ECHOING_CHALLENGE,
            "535 5.7.8 Username and Password not accepted",
            77,
        ),
        (
            "oauthbearer",
            "AQ==",
            CHALLENGE,
            "454 4.7.0 Temporary authentication failure",
            75,
        ),
    ] {
        let script = vec![
            Step::Reply("220 mail.test ESMTP"),
            Step::Expect("EHLO client.example.org"),
            Step::Reply(OAUTH_CAPS),
            Step::ExpectPrefix("AUTH "),
            Step::Reply(String::leak(format!("334 {challenge}"))),
            Step::Expect(end),
            Step::Reply(final_reply),
            Step::Expect("QUIT"),
            Step::Reply("221 2.0.0 Bye"),
            Step::Close,
        ];
        let run = run_send(auth, script).await;
        let all = format!("{}{}", run.stderr, run.stdout);
        assert_eq!(run.code, Some(code), "{auth} {final_reply}: {all}");
        if code == 77 {
            assert!(
                run.stderr.contains("hint: the token was refused"),
                "{auth}: {}",
                run.stderr
            );
        }
        if challenge == CHALLENGE {
            // Decoded, in the transcript and in the error.
            assert!(
                run.transcript.contains(CHALLENGE_JSON),
                "{}",
                run.transcript
            );
            assert!(run.stderr.contains(CHALLENGE_JSON), "{}", run.stderr);
        }
        for (what, text) in [
            ("stdout", &run.stdout),
            ("stderr", &run.stderr),
            ("--transcript", &run.transcript),
        ] {
            assert_no_token(&format!("{auth} {what}"), text);
        }
    }
}
