//! The password never shows: not in the `Debug` of any public type that
//! holds it, not in errors, not in the transcript (see also the scripted
//! AUTH tests in `smtp.rs` and the end-to-end `secrets` checks).

use smtpwire::{
    cli::Options,
    mail::{Draft, DraftInput},
    resolve,
    settings::Settings,
    smtp::{AuthChoice, Credentials, Security, tls::Tls},
    worker::{Connect, Job, Submission},
};

use crate::support::{PASSWORD, assert_no_secret, config, with_login};

#[test]
fn debug_of_every_type_holding_credentials_is_redacted() {
    let session = with_login(config(Security::StartTls), AuthChoice::Plain);
    let settings = Settings {
        server: Some("mail.example.org".into()),
        user: Some("bob@example.org".into()),
        ..Settings::default()
    };
    let resolved = resolve::resolve(&settings, &resolve::Context::default()).unwrap();
    let connect = Connect {
        resolved,
        credentials: session.credentials.clone(),
    };
    let draft = Draft::parse(&DraftInput {
        from: "alice@example.org".into(),
        to: "bob@example.org".into(),
        body: "hi".into(),
        ..DraftInput::default()
    })
    .unwrap();
    let submission = Submission {
        connect: connect.clone(),
        draft,
        attachments: Vec::new(),
        copy: None,
        stamp: None,
    };
    let credentials = Credentials::new("bob@example.org", PASSWORD);
    let rendered = [
        format!("{credentials:?}"),
        format!("{credentials:#?}"),
        format!("{session:?}"),
        format!("{session:#?}"),
        format!("{connect:?}"),
        format!("{submission:?}"),
        format!("{:?}", Job::Connect(Box::new(connect.clone()))),
        format!("{:?}", Job::Send(Box::new(submission.clone()))),
        format!("{:?}", Tls::new(None)),
        format!("{:?}", Options::default()),
    ];
    for text in &rendered {
        assert_no_secret(text);
        assert!(!text.contains(PASSWORD));
    }
    // The user name is not a secret and stays visible, so Debug is still useful.
    assert!(rendered[0].contains("bob@example.org"));
}
