//! Scripted conversations with the engine: what a real server will not do on
//! cue (fallbacks, faults, stalls, pipelining order).

use std::time::Duration;

use smtpwire::smtp::{
    AuthChoice, Delivery, Dir, Envelope, Error, Security, Session, SessionConfig, Stage,
};
use tokio::io::DuplexStream;

use crate::support::{
    Events, Script, Seen, Step, assert_no_secret, config, connector, serve, with_login,
};

const EHLO: Step = Step::Expect("EHLO client.example.org");
const PLAIN_CAPS: &str = "250-mail.test\n250-SIZE 1000000\n250-8BITMIME\n250 ENHANCEDSTATUSCODES";
const TLS_CAPS: &str = "250-mail.test\n250-STARTTLS\n250-8BITMIME\n250 SIZE 1000000";
const AUTH_CAPS: &str =
    "250-mail.test\n250-AUTH PLAIN LOGIN\n250-8BITMIME\n250-SMTPUTF8\n250 SIZE 1000000";
const LETTER: &[u8] = b"Subject: hi\r\n\r\nhello\r\n";

fn envelope(to: &[&str]) -> Envelope {
    Envelope {
        from: "alice@example.org".into(),
        recipients: to.iter().map(ToString::to_string).collect(),
    }
}

/// Runs `script` on one end of an in-memory stream and `client` on the
/// other; a broken script fails the test with the server's diff.
async fn converse<T: std::fmt::Debug>(
    script: Script,
    client: impl AsyncFnOnce(DuplexStream) -> T,
) -> (T, Seen) {
    let (client_end, server_end) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(serve(server_end, script));
    let out = client(client_end).await;
    match server.await.unwrap() {
        Ok(seen) => (out, seen),
        Err(diff) => panic!("the fake server's script broke:\n{diff}\nclient result: {out:?}"),
    }
}

/// The whole CLI flow: open, send one letter, QUIT when the session lives.
async fn send_one(
    stream: DuplexStream,
    config: &SessionConfig,
    events: &Events,
    envelope: &Envelope,
    letter: &[u8],
) -> Result<Delivery, Error> {
    let mut session = Session::establish(stream, config, &connector(), events.transcript()).await?;
    let result = session.send(envelope, letter).await;
    if !session.is_broken() {
        let _ = session.quit().await;
    }
    result
}

#[tokio::test]
async fn happy_path_with_starttls_and_auth_plain() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP fake"),
        EHLO,
        Step::Reply(TLS_CAPS),
        Step::Expect("STARTTLS"),
        Step::Reply("220 2.0.0 Ready to start TLS"),
        Step::StartTls,
        EHLO,
        Step::Reply(AUTH_CAPS),
        Step::Expect("AUTH PLAIN AGJvYkBleGFtcGxlLm9yZwBUcjB1YjRkb3ImMy16ZWJyYQ=="),
        Step::Reply("235 2.7.0 Authentication successful"),
        Step::Expect("MAIL FROM:<alice@example.org> SIZE=23 BODY=8BITMIME"),
        Step::Reply("250 2.1.0 Ok"),
        Step::Expect("RCPT TO:<bob@example.org>"),
        Step::Reply("250 2.1.5 Ok"),
        Step::Expect("DATA"),
        Step::Reply("354 End data with <CR><LF>.<CR><LF>"),
        Step::ReadData,
        Step::Reply("250 2.0.0 Ok: queued as 4XbTest"),
        Step::Expect("QUIT"),
        Step::Reply("221 2.0.0 Bye"),
    ];
    let events = Events::default();
    let config = with_login(config(Security::StartTls), AuthChoice::Auto);
    let letter = "Subject: hi\r\n\r\nhéllo\r\n".as_bytes();
    let (result, seen) = converse(script, async |s| {
        send_one(s, &config, &events, &envelope(&["bob@example.org"]), letter).await
    })
    .await;
    let delivery = result.unwrap();
    assert_eq!(delivery.queue_id(), Some("4XbTest"));
    assert_eq!(delivery.recipients.len(), 1);
    assert!(delivery.recipients[0].accepted());
    assert_eq!(seen.data, [letter.to_vec()]);

    let wire = events.wire();
    assert_eq!(
        wire,
        [
            "S: 220 mail.test ESMTP fake",
            "C: EHLO client.example.org",
            "S: 250-mail.test",
            "S: 250-STARTTLS",
            "S: 250-8BITMIME",
            "S: 250 SIZE 1000000",
            "C: STARTTLS",
            "S: 220 2.0.0 Ready to start TLS",
            "C: EHLO client.example.org",
            "S: 250-mail.test",
            "S: 250-AUTH PLAIN LOGIN",
            "S: 250-8BITMIME",
            "S: 250-SMTPUTF8",
            "S: 250 SIZE 1000000",
            "C: AUTH PLAIN <credentials redacted>",
            "S: 235 2.7.0 Authentication successful",
            "C: MAIL FROM:<alice@example.org> SIZE=23 BODY=8BITMIME",
            "S: 250 2.1.0 Ok",
            "C: RCPT TO:<bob@example.org>",
            "S: 250 2.1.5 Ok",
            "C: DATA",
            "S: 354 End data with <CR><LF>.<CR><LF>",
            "C: <23 bytes of message data>",
            "C: .",
            "S: 250 2.0.0 Ok: queued as 4XbTest",
            "C: QUIT",
            "S: 221 2.0.0 Bye",
        ]
    );
    assert_eq!(
        events.stages(),
        [
            Stage::Greeting,
            Stage::Ehlo,
            Stage::StartTls,
            Stage::TlsHandshake,
            Stage::Ehlo,
            Stage::Auth,
            Stage::Mail,
            Stage::Rcpt,
            Stage::Data,
            Stage::Content,
            Stage::EndOfData,
            Stage::Quit,
        ]
    );
    let notes: Vec<String> = events
        .lines()
        .into_iter()
        .filter(|l| l.dir == Dir::Note)
        .map(|l| l.text)
        .collect();
    assert!(
        notes.iter().any(|n| n.starts_with("TLS established")
            && n.contains("CN=mail.test")
            && n.contains("issued by CN=smtpwire test CA")),
        "{notes:#?}"
    );
    // Every server line has a latency on its first line.
    assert!(
        events
            .lines()
            .iter()
            .filter(|l| l.text.starts_with("220 "))
            .all(|l| l.latency.is_some())
    );
    assert_no_secret(&events.rendered());
}

#[tokio::test]
async fn auth_login_decodes_prompts_and_redacts_answers() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply("250-mail.test\n250 AUTH LOGIN"),
        Step::Expect("AUTH LOGIN"),
        Step::Reply("334 VXNlcm5hbWU6"),
        Step::Expect("Ym9iQGV4YW1wbGUub3Jn"),
        Step::Reply("334 UGFzc3dvcmQ6"),
        Step::Expect("VHIwdWI0ZG9yJjMtemVicmE="),
        Step::Reply("235 2.7.0 Authentication successful"),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let events = Events::default();
    let mut config = with_login(config(Security::None), AuthChoice::Auto);
    config.allow_insecure_auth = true;
    let (result, _) = converse(script, async |s| {
        let session = Session::establish(s, &config, &connector(), events.transcript()).await?;
        session.quit().await
    })
    .await;
    result.unwrap();
    let lines = events.lines();
    let prompts: Vec<_> = lines.iter().filter_map(|l| l.gloss.clone()).collect();
    assert_eq!(prompts, ["Username:", "Password:"]);
    let client: Vec<_> = lines
        .iter()
        .filter(|l| l.dir == Dir::Client)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(
        client,
        [
            "EHLO client.example.org",
            "AUTH LOGIN",
            "<username redacted>",
            "<password redacted>",
            "QUIT"
        ]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.dir == Dir::Error && l.text.contains("without TLS"))
    );
    assert_no_secret(&events.rendered());
}

#[tokio::test]
async fn a_hostile_server_echoing_the_password_is_scrubbed() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply("250-mail.test\n250 AUTH PLAIN"),
        Step::ExpectPrefix("AUTH PLAIN "),
        Step::Reply(
            "535 5.7.8 bad: AGJvYkBleGFtcGxlLm9yZwBUcjB1YjRkb3ImMy16ZWJyYQ== Tr0ub4dor&3-zebra",
        ),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let events = Events::default();
    let mut config = with_login(config(Security::None), AuthChoice::Plain);
    config.allow_insecure_auth = true;
    let (result, _) = converse(script, async |s| {
        Session::establish(s, &config, &connector(), events.transcript())
            .await
            .map(drop)
    })
    .await;
    let err = result.unwrap_err();
    assert!(matches!(err, Error::AuthFailed { .. }), "{err:?}");
    assert_no_secret(&err.to_string());
    assert_no_secret(&format!("{err:?}"));
    assert_no_secret(&events.rendered());
    assert_no_secret(&format!("{config:?}"));
}

#[tokio::test]
async fn helo_fallback_when_ehlo_is_unknown() {
    let script = vec![
        Step::Reply("220 old.test SMTP"),
        EHLO,
        Step::Reply("502 5.5.1 Command not implemented"),
        Step::Expect("HELO client.example.org"),
        Step::Reply("250 old.test"),
        Step::Expect("MAIL FROM:<alice@example.org>"),
        Step::Reply("250 Ok"),
        Step::Expect("RCPT TO:<bob@example.org>"),
        Step::Reply("250 Ok"),
        Step::Expect("DATA"),
        Step::Reply("354 go"),
        Step::ReadData,
        Step::Reply("250 Ok"),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let events = Events::default();
    let (result, _) = converse(script, async |s| {
        send_one(
            s,
            &config(Security::None),
            &events,
            &envelope(&["bob@example.org"]),
            LETTER,
        )
        .await
    })
    .await;
    result.unwrap();
    assert!(
        events
            .lines()
            .iter()
            .any(|l| l.text.starts_with("EHLO refused; falling back to HELO"))
    );
}

#[tokio::test]
async fn starttls_required_but_not_offered_never_falls_back() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply(PLAIN_CAPS),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let events = Events::default();
    let config = with_login(config(Security::StartTls), AuthChoice::Auto);
    let (result, _) = converse(script, async |s| {
        send_one(s, &config, &events, &envelope(&["bob@example.org"]), LETTER).await
    })
    .await;
    assert_eq!(result.unwrap_err(), Error::StartTlsUnavailable);
    assert!(
        !events
            .wire()
            .iter()
            .any(|l| l.contains("AUTH") && l.starts_with("C:"))
    );
}

#[tokio::test]
async fn auth_without_tls_is_refused_before_any_credential_is_sent() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply("250-mail.test\n250 AUTH PLAIN LOGIN"),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let events = Events::default();
    let config = with_login(config(Security::None), AuthChoice::Auto);
    let (result, _) = converse(script, async |s| {
        Session::establish(s, &config, &connector(), events.transcript())
            .await
            .map(drop)
    })
    .await;
    assert_eq!(result.unwrap_err(), Error::InsecureAuth);
}

#[tokio::test]
async fn starttls_injection_is_refused() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply(TLS_CAPS),
        Step::Expect("STARTTLS"),
        Step::Reply("220 Ready\n250 injected reply"),
        Step::Close,
    ];
    let events = Events::default();
    let (result, _) = converse(script, async |s| {
        Session::establish(
            s,
            &config(Security::StartTls),
            &connector(),
            events.transcript(),
        )
        .await
        .map(drop)
    })
    .await;
    assert_eq!(result.unwrap_err(), Error::StartTlsInjection);
}

#[tokio::test]
async fn an_ehlo_reply_split_across_packets() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Raw(b"250-mail.te".to_vec()),
        Step::Sleep(Duration::from_millis(5)),
        Step::Raw(b"st\r\n250-PIPEL".to_vec()),
        Step::Sleep(Duration::from_millis(5)),
        Step::Raw(b"INING\r\n250 SIZE 100\r".to_vec()),
        Step::Sleep(Duration::from_millis(5)),
        Step::Raw(b"\n".to_vec()),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let events = Events::default();
    let (result, _) = converse(script, async |s| {
        let session = Session::establish(
            s,
            &config(Security::None),
            &connector(),
            events.transcript(),
        )
        .await?;
        let caps = session.capabilities().clone();
        session.quit().await.map(|_| caps)
    })
    .await;
    let caps = result.unwrap();
    assert!(caps.pipelining);
    assert_eq!(caps.size_limit(), Some(100));
}

#[tokio::test]
async fn one_of_two_recipients_refused_sends_to_the_other() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply(PLAIN_CAPS),
        Step::ExpectPrefix("MAIL FROM:<alice@example.org>"),
        Step::Reply("250 2.1.0 Ok"),
        Step::Expect("RCPT TO:<nobody@example.org>"),
        Step::Reply("550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"),
        Step::Expect("RCPT TO:<bob@example.org>"),
        Step::Reply("250 2.1.5 Ok"),
        Step::Expect("DATA"),
        Step::Reply("354 go"),
        Step::ReadData,
        Step::Reply("250 2.0.0 Ok: queued as ABC"),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let events = Events::default();
    let (result, _) = converse(script, async |s| {
        let to = envelope(&["nobody@example.org", "bob@example.org"]);
        send_one(s, &config(Security::None), &events, &to, LETTER).await
    })
    .await;
    let delivery = result.unwrap();
    let refused: Vec<_> = delivery.refused().map(|r| r.address.as_str()).collect();
    assert_eq!(refused, ["nobody@example.org"]);
    assert_eq!(
        delivery.recipients[0]
            .reply
            .enhanced()
            .map(|e| e.to_string())
            .as_deref(),
        Some("5.1.1")
    );
    assert!(delivery.recipients[1].accepted());
}

#[tokio::test]
async fn all_recipients_refused_resets_and_sends_nothing() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply(PLAIN_CAPS),
        Step::ExpectPrefix("MAIL FROM:"),
        Step::Reply("250 Ok"),
        Step::Expect("RCPT TO:<a@example.org>"),
        Step::Reply("550 5.1.1 no such user"),
        Step::Expect("RCPT TO:<b@example.org>"),
        Step::Reply("450 4.2.0 mailbox busy"),
        Step::Expect("RSET"),
        Step::Reply("250 Ok"),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let events = Events::default();
    let (result, seen) = converse(script, async |s| {
        send_one(
            s,
            &config(Security::None),
            &events,
            &envelope(&["a@example.org", "b@example.org"]),
            LETTER,
        )
        .await
    })
    .await;
    assert!(seen.data.is_empty());
    let err = result.unwrap_err();
    let Error::AllRecipientsRefused { refused } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(refused.len(), 2);
    assert!(
        err.is_transient(),
        "one refusal was 4xx, so trying later may help"
    );
}

/// 4xx and 5xx at every stage of an unencrypted, unpipelined session: the
/// right error, the server's words kept, RSET inside a transaction, QUIT
/// while the connection lives.
#[tokio::test]
async fn refusals_at_each_stage() {
    // (failing stage, reply, steps the client must take after it)
    let cases: Vec<(Stage, &'static str, Vec<Step>)> = vec![
        (Stage::Greeting, "554 5.3.2 no service for you", vec![]),
        (Stage::Ehlo, "554 5.7.1 go away", vec![]),
        (Stage::Ehlo, "451 4.3.0 try later", vec![]),
        (
            Stage::Auth,
            "535 5.7.8 Error: authentication failed",
            vec![],
        ),
        (
            Stage::Auth,
            "454 4.7.0 Temporary authentication failure",
            vec![],
        ),
        (Stage::Mail, "550 5.7.1 sender rejected", vec![]),
        (Stage::Mail, "451 4.3.0 greylisted", vec![]),
        (
            Stage::Rcpt,
            "550 5.1.1 unknown",
            vec![Step::Expect("RSET"), Step::Reply("250 Ok")],
        ),
        (
            Stage::Rcpt,
            "452 4.2.2 over quota",
            vec![Step::Expect("RSET"), Step::Reply("250 Ok")],
        ),
        (
            Stage::Data,
            "554 5.5.1 no valid recipients",
            vec![Step::Expect("RSET"), Step::Reply("250 Ok")],
        ),
        (
            Stage::Data,
            "451 4.3.0 later",
            vec![Step::Expect("RSET"), Step::Reply("250 Ok")],
        ),
        (Stage::EndOfData, "552 5.3.4 message too big", vec![]),
        (Stage::EndOfData, "451 4.3.0 queue full", vec![]),
    ];
    for (stage, fault, after) in cases {
        let mut script = vec![];
        let at = |s: Stage| s == stage;
        if at(Stage::Greeting) {
            script.push(Step::Reply(fault));
        } else {
            script.extend([Step::Reply("220 mail.test ESMTP"), EHLO]);
            if at(Stage::Ehlo) {
                script.push(Step::Reply(fault));
            } else {
                script.push(Step::Reply("250-mail.test\n250 AUTH PLAIN"));
                script.push(Step::ExpectPrefix("AUTH PLAIN "));
                if at(Stage::Auth) {
                    script.push(Step::Reply(fault));
                } else {
                    script.extend([Step::Reply("235 ok"), Step::ExpectPrefix("MAIL FROM:")]);
                    if at(Stage::Mail) {
                        script.push(Step::Reply(fault));
                    } else {
                        script.extend([
                            Step::Reply("250 ok"),
                            Step::Expect("RCPT TO:<bob@example.org>"),
                        ]);
                        if at(Stage::Rcpt) {
                            script.push(Step::Reply(fault));
                        } else {
                            script.extend([Step::Reply("250 ok"), Step::Expect("DATA")]);
                            if at(Stage::Data) {
                                script.push(Step::Reply(fault));
                            } else {
                                script.extend([
                                    Step::Reply("354 go"),
                                    Step::ReadData,
                                    Step::Reply(fault),
                                ]);
                            }
                        }
                    }
                }
            }
        }
        script.extend(after);
        script.extend([Step::Expect("QUIT"), Step::Reply("221 Bye")]);

        let events = Events::default();
        let mut config = with_login(config(Security::None), AuthChoice::Plain);
        config.allow_insecure_auth = true;
        let (result, _) = converse(script, async |s| {
            send_one(s, &config, &events, &envelope(&["bob@example.org"]), LETTER).await
        })
        .await;
        let err = result.unwrap_err();
        let expected_stage = if stage == Stage::Rcpt {
            Stage::Rcpt
        } else {
            stage
        };
        assert_eq!(
            err.stage(),
            Some(expected_stage),
            "{stage} {fault}: {err:?}"
        );
        let code = &fault[..3];
        assert!(
            err.to_string().contains(&fault[4..]) || err.to_string().contains(code),
            "{err}"
        );
        assert_eq!(
            err.is_transient(),
            fault.starts_with('4'),
            "{stage} {fault}: {err}"
        );
        if stage == Stage::Auth && fault.starts_with("535") {
            assert!(matches!(err, Error::AuthFailed { .. }));
        }
    }
}

#[tokio::test]
async fn service_closing_at_greeting_and_mid_transaction() {
    for (script, stage) in [
        (
            vec![
                Step::Reply("421 4.3.2 mail.test shutting down"),
                Step::Close,
            ],
            Stage::Greeting,
        ),
        (
            vec![
                Step::Reply("220 mail.test ESMTP"),
                EHLO,
                Step::Reply(PLAIN_CAPS),
                Step::ExpectPrefix("MAIL FROM:"),
                Step::Reply("250 Ok"),
                Step::Expect("RCPT TO:<bob@example.org>"),
                Step::Reply("421 4.4.2 mail.test Error: timeout exceeded"),
                Step::Close,
            ],
            Stage::Rcpt,
        ),
    ] {
        let events = Events::default();
        let (result, seen) = converse(script, async |s| {
            send_one(
                s,
                &config(Security::None),
                &events,
                &envelope(&["bob@example.org"]),
                LETTER,
            )
            .await
        })
        .await;
        // The script ends with Close: had the client sent QUIT after the 421,
        // nothing would read it — check the client did not try.
        assert!(!seen.lines.iter().any(|l| l == "QUIT"), "{:?}", seen.lines);
        let err = result.unwrap_err();
        assert!(
            matches!(err, Error::ServiceClosing { stage: s, .. } if s == stage),
            "{err:?}"
        );
        assert!(!events.wire().iter().any(|l| l == "C: QUIT"));
    }
}

#[tokio::test(start_paused = true)]
async fn a_stalled_server_times_out_at_the_stage_deadline() {
    for (script, stage) in [
        (vec![Step::Stall], Stage::Greeting),
        (
            vec![Step::Reply("220 mail.test ESMTP"), EHLO, Step::Stall],
            Stage::Ehlo,
        ),
        (
            vec![
                Step::Reply("220 mail.test ESMTP"),
                EHLO,
                Step::Reply(PLAIN_CAPS),
                Step::ExpectPrefix("MAIL FROM:"),
                Step::Reply("250 Ok"),
                Step::ExpectPrefix("RCPT TO:"),
                Step::Reply("250 Ok"),
                Step::Expect("DATA"),
                Step::Reply("354 go"),
                Step::ReadData,
                Step::Stall,
            ],
            Stage::EndOfData,
        ),
    ] {
        let events = Events::default();
        let config = config(Security::None);
        let started = tokio::time::Instant::now();
        let (result, _) = converse(script, async |s| {
            send_one(s, &config, &events, &envelope(&["bob@example.org"]), LETTER).await
        })
        .await;
        let err = result.unwrap_err();
        let limit = match stage {
            Stage::EndOfData => config.timeouts.data_end,
            Stage::Greeting => config.timeouts.greeting,
            _ => config.timeouts.command,
        };
        assert_eq!(
            err,
            Error::Timeout {
                stage,
                after: limit
            }
        );
        // No hang past the stage's deadline (virtual time).
        assert!(
            started.elapsed() < limit + Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn size_and_smtputf8_are_checked_before_mail_from() {
    let big = vec![b'x'; 2_000_000];
    for (envelope, letter, expected) in [
        (
            envelope(&["bob@example.org"]),
            big.as_slice(),
            Error::TooLarge {
                size: 2_000_000,
                limit: 1_000_000,
            },
        ),
        (
            envelope(&["иван@почта.рф"]),
            LETTER,
            Error::NeedsSmtpUtf8 {
                address: "<иван@почта.рф>".into(),
            },
        ),
    ] {
        let script = vec![
            Step::Reply("220 mail.test ESMTP"),
            EHLO,
            Step::Reply(PLAIN_CAPS),
            Step::Expect("QUIT"),
            Step::Reply("221 Bye"),
        ];
        let events = Events::default();
        let (result, _) = converse(script, async |s| {
            send_one(s, &config(Security::None), &events, &envelope, letter).await
        })
        .await;
        assert_eq!(result.unwrap_err(), expected);
    }
}

#[tokio::test]
async fn pipelined_batches_go_out_in_one_write_and_in_order() {
    let caps = "250-mail.test\n250-PIPELINING\n250-8BITMIME\n250 SIZE 0";
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply(caps),
        Step::ExpectBatch(vec![
            "MAIL FROM:<alice@example.org> SIZE=22",
            "RCPT TO:<a@example.org>",
            "RCPT TO:<nobody@example.org>",
            "DATA",
        ]),
        Step::Reply("250 2.1.0 Ok\n250 2.1.5 Ok\n550 5.1.1 unknown\n354 go"),
        Step::ReadData,
        // The final dot and the whole next transaction arrive together.
        Step::ExpectBatch(vec![
            "MAIL FROM:<alice@example.org> SIZE=22",
            "RCPT TO:<a@example.org>",
            "RCPT TO:<nobody@example.org>",
            "DATA",
        ]),
        Step::Reply("250 2.0.0 Ok: queued as ONE"),
        Step::Reply("250 Ok\n250 Ok\n550 5.1.1 unknown\n354 go"),
        Step::ReadData,
        Step::Reply("250 2.0.0 Ok: queued as TWO"),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let events = Events::default();
    let (result, seen) = converse(script, async |s| {
        let mut session = Session::establish(
            s,
            &config(Security::None),
            &connector(),
            events.transcript(),
        )
        .await?;
        let env = envelope(&["a@example.org", "nobody@example.org"]);
        let results = session.send_many([(&env, LETTER), (&env, LETTER)]).await;
        session.quit().await?;
        Ok::<_, Error>(results)
    })
    .await;
    assert_eq!(seen.data.len(), 2);
    let results = result.unwrap();
    let ids: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().unwrap().queue_id().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["ONE", "TWO"]);
    for r in &results {
        let refused: Vec<_> = r
            .as_ref()
            .unwrap()
            .refused()
            .map(|r| r.address.clone())
            .collect();
        assert_eq!(refused, ["nobody@example.org"]);
    }
}

#[tokio::test]
async fn pipelined_refusal_of_every_recipient_ends_an_accepted_data_empty() {
    let caps = "250-mail.test\n250 PIPELINING";
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply(caps),
        Step::ExpectBatch(vec![
            "MAIL FROM:<alice@example.org>",
            "RCPT TO:<a@example.org>",
            "DATA",
        ]),
        // A lenient server that says 354 although no recipient was accepted.
        Step::Reply("250 Ok\n550 5.1.1 unknown\n354 go"),
        Step::ReadData,
        Step::Reply("554 5.5.1 Error: no valid recipients"),
        Step::Expect("RSET"),
        Step::Reply("250 Ok"),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let events = Events::default();
    let (result, seen) = converse(script, async |s| {
        send_one(
            s,
            &config(Security::None),
            &events,
            &envelope(&["a@example.org"]),
            LETTER,
        )
        .await
    })
    .await;
    assert_eq!(seen.data, [Vec::<u8>::new()], "the data must be empty");
    assert!(matches!(
        result.unwrap_err(),
        Error::AllRecipientsRefused { .. }
    ));
}

#[tokio::test]
async fn dot_lines_are_stuffed_on_the_wire() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply(PLAIN_CAPS),
        Step::ExpectPrefix("MAIL FROM:"),
        Step::Reply("250 Ok"),
        Step::ExpectPrefix("RCPT TO:"),
        Step::Reply("250 Ok"),
        Step::Expect("DATA"),
        Step::Reply("354 go"),
        Step::ReadData,
        Step::Reply("250 Ok"),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let letter = b"Subject: dots\r\n\r\n.\r\n..\r\nx\n.\nQUIT\r\n.";
    let events = Events::default();
    let (result, mut seen) = converse(script, async |s| {
        send_one(
            s,
            &config(Security::None),
            &events,
            &envelope(&["bob@example.org"]),
            letter,
        )
        .await
    })
    .await;
    result.unwrap();
    let data = seen.data.remove(0);
    assert_eq!(
        String::from_utf8(data).unwrap(),
        "Subject: dots\r\n\r\n..\r\n...\r\nx\r\n..\r\nQUIT\r\n..\r\n"
    );
}

/// A letter whose bytes cannot be read to the end (a body file that changed
/// or vanished) ends the transaction without the final dot: the server
/// drops what it got, and nothing half-written is delivered.
#[tokio::test]
async fn a_letter_that_fails_mid_stream_is_never_finished() {
    struct Failing;
    impl smtpwire::smtp::Content for Failing {
        fn size(&self) -> u64 {
            100
        }
        fn is_8bit(&self) -> bool {
            false
        }
        fn pieces(
            &self,
        ) -> Box<dyn Iterator<Item = std::io::Result<std::borrow::Cow<'_, [u8]>>> + Send + '_>
        {
            Box::new(
                [
                    Ok(std::borrow::Cow::Borrowed(
                        &b"Subject: half\r\n\r\nthe first half\r\n"[..],
                    )),
                    Err(std::io::Error::other(
                        "body.txt changed while the letter was being sent",
                    )),
                ]
                .into_iter(),
            )
        }
    }
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply(PLAIN_CAPS),
        Step::ExpectPrefix("MAIL FROM:"),
        Step::Reply("250 Ok"),
        Step::ExpectPrefix("RCPT TO:"),
        Step::Reply("250 Ok"),
        Step::Expect("DATA"),
        Step::Reply("354 go"),
        Step::Drain,
    ];
    let events = Events::default();
    let (result, seen) = converse(script, async |s| {
        let mut session = Session::establish(
            s,
            &config(Security::None),
            &connector(),
            events.transcript(),
        )
        .await?;
        let result = session
            .send(&envelope(&["bob@example.org"]), &Failing)
            .await;
        assert!(session.is_broken());
        drop(session);
        result
    })
    .await;
    let err = result.unwrap_err();
    // A local problem: the file's, not the connection's, and not one that
    // time heals (exit 66, no "try again later").
    assert!(
        matches!(&err, Error::Input { reason } if reason.contains("body.txt changed")),
        "{err:?}"
    );
    assert_eq!(err.stage(), Some(Stage::Content));
    assert!(
        err.to_string()
            .ends_with("it was not finished, so it is not delivered")
    );
    assert!(!err.is_transient());
    assert_eq!(
        smtpwire::cli::exit::engine_code(&err),
        smtpwire::cli::exit::NOINPUT
    );
    assert!(
        !seen.lines.iter().any(|l| l == "."),
        "the final dot must never be sent: {:?}",
        seen.lines
    );
    assert!(!seen.lines.iter().any(|l| l == "QUIT"));
}

/// A letter the server cannot take (over its SIZE) is skipped without a
/// word on the wire, and the results stay in the letters' order although it
/// was looked at while the one before was still being sent.
#[tokio::test]
async fn results_keep_the_letters_order_when_one_is_skipped() {
    let caps = "250-mail.test\n250-PIPELINING\n250 SIZE 1000";
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply(caps),
        Step::ExpectBatch(vec![
            "MAIL FROM:<alice@example.org> SIZE=22",
            "RCPT TO:<a@example.org>",
            "DATA",
        ]),
        Step::Reply("250 Ok\n250 Ok\n354 go"),
        Step::ReadData,
        Step::ExpectBatch(vec![
            "MAIL FROM:<alice@example.org> SIZE=22",
            "RCPT TO:<a@example.org>",
            "DATA",
        ]),
        Step::Reply("250 2.0.0 Ok: queued as FIRST"),
        Step::Reply("250 Ok\n250 Ok\n354 go"),
        Step::ReadData,
        Step::Reply("250 2.0.0 Ok: queued as THIRD"),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let big = vec![b'x'; 5000];
    let env = envelope(&["a@example.org"]);
    let events = Events::default();
    let (results, seen) = converse(script, async |s| {
        let mut session = Session::establish(
            s,
            &config(Security::None),
            &connector(),
            events.transcript(),
        )
        .await?;
        let letters: [(&Envelope, &[u8]); 3] = [(&env, LETTER), (&env, &big), (&env, LETTER)];
        let results = session.send_many(letters).await;
        session.quit().await?;
        Ok::<_, Error>(results)
    })
    .await;
    assert_eq!(seen.data.len(), 2);
    let results = results.unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().unwrap().queue_id(), Some("FIRST"));
    assert_eq!(
        results[1].as_ref().unwrap_err(),
        &Error::TooLarge {
            size: 5000,
            limit: 1000
        }
    );
    assert_eq!(results[2].as_ref().unwrap().queue_id(), Some("THIRD"));
}
