//! TLS over loopback against a CA generated at test time, trusted through
//! the CA-file path — and refused when it should be.

use std::time::Duration;

use smtpwire::smtp::{self, Advice, Error, Security, Session, Stage};

use crate::support::{
    Events, Step, config, connector, loopback_server, make_ca, make_server_identity, test_pki,
};

const EHLO: Step = Step::Expect("EHLO client.example.org");

fn config_for(addr: std::net::SocketAddr, host: &str, security: Security) -> smtp::SessionConfig {
    let mut c = config(security);
    host.clone_into(&mut c.host);
    c.port = addr.port();
    c
}

#[tokio::test]
async fn implicit_tls_with_the_test_ca() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply("250-mail.test\n250 SIZE 100"),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let (addr, server) = loopback_server(Some(test_pki().identity.clone()), script).await;
    for host in ["localhost"] {
        let events = Events::default();
        let session = Session::connect(
            &config_for(addr, host, Security::Tls),
            &connector(),
            events.transcript(),
        )
        .await
        .unwrap();
        assert!(session.is_encrypted());
        session.quit().await.unwrap();
        let notes = events.rendered();
        assert!(
            notes.contains(&format!("connecting to {host}:{} (127.0.0.1)", addr.port())),
            "{notes}"
        );
        assert!(notes.contains("TCP connected in"), "{notes}");
        assert!(notes.contains("TLS established in"), "{notes}");
        assert!(
            notes.contains("certificate CN=mail.test, issued by CN=smtpwire test CA, valid until"),
            "{notes}"
        );
    }
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn starttls_over_a_real_socket_by_ip_address() {
    let script = vec![
        Step::Reply("220 mail.test ESMTP"),
        EHLO,
        Step::Reply("250-mail.test\n250 STARTTLS"),
        Step::Expect("STARTTLS"),
        Step::Reply("220 go ahead"),
        Step::StartTls,
        EHLO,
        Step::Reply("250-mail.test\n250 AUTH PLAIN"),
        Step::Expect("QUIT"),
        Step::Reply("221 Bye"),
    ];
    let (addr, server) = loopback_server(None, script).await;
    let events = Events::default();
    // The certificate names 127.0.0.1 as an IP address SAN.
    let session = Session::connect(
        &config_for(addr, "127.0.0.1", Security::StartTls),
        &connector(),
        events.transcript(),
    )
    .await
    .unwrap();
    assert!(session.is_encrypted());
    assert_eq!(session.capabilities().auth, ["PLAIN"]);
    session.quit().await.unwrap();
    server.await.unwrap().unwrap();
}

/// Each bad certificate fails with the reason and the way out, and nothing
/// is sent in the clear afterwards.
#[tokio::test]
async fn untrusted_expired_and_wrong_host_certificates_fail_closed() {
    let cases = [
        // Signed by a CA nobody trusts.
        (
            "untrusted",
            make_server_identity(&make_ca("someone else's CA"), &["localhost"], false),
            "localhost",
            Advice::TrustCa,
        ),
        // Signed by the trusted test CA, but ended in 2020.
        (
            "expired",
            make_server_identity(&test_pki().ca, &["localhost"], true),
            "localhost",
            Advice::CertificateExpired,
        ),
        // Valid and trusted, but for other names than the one dialled.
        (
            "wrong host",
            test_pki().identity.clone(),
            "wrong.test",
            Advice::CheckHostName,
        ),
    ];
    for (name, identity, host, advice) in cases {
        let (addr, server) =
            loopback_server(Some(identity), vec![Step::Reply("220 never seen")]).await;
        let events = Events::default();
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let cfg = config_for(addr, host, Security::Tls);
        let err = Session::establish(tcp, &cfg, &connector(), events.transcript())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Tls { .. }), "{name}: {err:?}");
        assert_eq!(err.advice(), Some(advice), "{name}: {err}");
        assert!(events.rendered().contains("TLS handshake failed"), "{name}");
        assert!(
            !events.wire().iter().any(|l| l.starts_with("C:")),
            "{name}: nothing may be sent"
        );
        let _ = server.await;
    }
}

#[tokio::test]
async fn the_wrong_security_mode_for_a_port_says_which_to_use() {
    // tls against a plain-SMTP port: the handshake reads "220 …" as garbage.
    let (addr, server) = loopback_server(
        None,
        vec![
            Step::Reply("220 plain.test ESMTP"),
            Step::Sleep(Duration::from_millis(200)),
        ],
    )
    .await;
    let err = Session::connect(
        &config_for(addr, "localhost", Security::Tls),
        &connector(),
        Events::default().transcript(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.advice(),
        Some(Advice::UseStartTlsNotImplicit),
        "{err:?}"
    );
    let _ = server.await;

    // starttls against an implicit-TLS port: the server waits for a
    // ClientHello, the client for a greeting.
    let (addr, server) = loopback_server(Some(test_pki().identity.clone()), vec![]).await;
    let mut cfg = config_for(addr, "localhost", Security::StartTls);
    cfg.timeouts.greeting = Duration::from_millis(300);
    let err = Session::connect(&cfg, &connector(), Events::default().transcript())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                stage: Stage::Greeting,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.advice(), Some(Advice::UseImplicitTls));
    server.abort();
}

#[tokio::test]
async fn connection_refused_is_reported_with_the_target() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut cfg = config(Security::None);
    cfg.host = "127.0.0.1".into();
    cfg.port = port;
    let err = Session::connect(&cfg, &connector(), Events::default().transcript())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Connect {
                kind: std::io::ErrorKind::ConnectionRefused,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("cannot connect to 127.0.0.1:{port}")),
        "{err}"
    );
    assert_eq!(err.advice(), Some(Advice::CheckServer));
}
