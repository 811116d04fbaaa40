use std::{path::PathBuf, process::Command, time::Duration};

use super::*;
use crate::{
    mail::DraftInput,
    resolve::{Login, PasswordSource, Resolved, Trust},
};

/// What `sh` makes of `text` as one word.
fn sh_word(text: &str) -> Vec<u8> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s' {text}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{text}: {out:?}");
    out.stdout
}

#[test]
fn quoting_survives_sh_and_shows_nothing_a_terminal_would_act_on() {
    for (arg, quoted) in [
        ("alice@lab.example", "alice@lab.example"),
        ("/tmp/ca.pem", "/tmp/ca.pem"),
        ("AUTH=PLAIN", "AUTH=PLAIN"),
        ("", "''"),
        ("Алиса <alice@lab.example>", "'Алиса <alice@lab.example>'"),
        ("it's", "'it'\\''s'"),
        ("$HOME `id` \"x\" \\n *", "'$HOME `id` \"x\" \\n *'"),
        ("two\nlines\tand tab", "'two\nlines\tand tab'"),
        ("bell\x07", "'bell'\"$(printf '\\007')\""),
        ("\x1b[2Jwiped", "\"$(printf '\\033')\"'[2Jwiped'"),
        (
            "rtl\u{202e}txt",
            "'rtl'\"$(printf '\\342\\200\\256')\"'txt'",
        ),
        ("cr\r\n", "'cr'\"$(printf '\\015')\"'\n'"),
        ("-x", "-x"),
        ("~root", "'~root'"),
    ] {
        let got = quote(arg);
        assert_eq!(got, quoted, "{arg:?}");
        assert!(
            !got.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t'),
            "{got:?}"
        );
        assert_eq!(sh_word(&got), arg.as_bytes(), "{arg:?} through sh");
    }
}

fn resolved(
    security: Security,
    port: u16,
    trust: Trust,
    login: Option<(&str, PasswordSource)>,
    auth: AuthChoice,
) -> Resolved {
    Resolved {
        host: "127.0.0.1".into(),
        port,
        security,
        helo: "client.lab.example".into(),
        timeout: Duration::from_secs(DEFAULT_TIMEOUT),
        auth,
        allow_insecure_auth: false,
        trust,
        login: login.map(|(user, password)| Login {
            user: user.into(),
            password,
        }),
        provider: None,
    }
}

fn draft() -> Draft {
    Draft::parse(&DraftInput {
        from: "Алиса <alice@lab.example>".into(),
        to: "bob@lab.example, \"Doe, John\" <john@lab.example>".into(),
        cc: "carol@lab.example".into(),
        bcc: "dave@lab.example".into(),
        subject: "Привет, it's me".into(),
        body: "-- \r\nline two\r\n".into(),
        ..DraftInput::default()
    })
    .unwrap()
}

fn envelope() -> Envelope {
    Envelope {
        from: "alice@lab.example".into(),
        recipients: vec!["bob@lab.example".into(), "carol@lab.example".into()],
    }
}

const CA: &str = "/lab/ca.pem";
const FILE: &str = "/work/letter one.eml";

#[test]
fn each_tool_for_each_kind_of_session() {
    let lab = resolved(
        Security::StartTls,
        2587,
        Trust::System {
            extra: Some(CA.into()),
        },
        Some(("alice@lab.example", PasswordSource::Given)),
        AuthChoice::Auto,
    );
    let implicit = Resolved {
        timeout: Duration::from_secs(30),
        ..resolved(
            Security::Tls,
            2465,
            Trust::Only(CA.into()),
            Some((
                "alice",
                PasswordSource::Command("pass show 'lab mail'".into()),
            )),
            AuthChoice::Login,
        )
    };
    let plain = Resolved {
        host: "::1".into(),
        ..resolved(
            Security::None,
            2525,
            Trust::System { extra: None },
            None,
            AuthChoice::Auto,
        )
    };
    let insecure = Resolved {
        allow_insecure_auth: true,
        ..resolved(
            Security::None,
            25,
            Trust::System { extra: None },
            Some(("bob", PasswordSource::Ask)),
            AuthChoice::Plain,
        )
    };
    let file = PathBuf::from(FILE);
    let envelope = envelope();
    let built = BuiltLetter {
        file: &file,
        envelope: &envelope,
    };
    let draft = draft();
    let typed = DraftLetter {
        draft: &draft,
        body_file: None,
        repeat: 1,
        attachments: &[],
    };
    let body_file = PathBuf::from("/work/body.txt");
    let attached = [PathBuf::from("/work/Смета на апрель.pdf")];
    let from_file = DraftLetter {
        draft: &draft,
        body_file: Some(&body_file),
        repeat: 3,
        attachments: &attached,
    };
    let cases: &[(&Resolved, Tool, &DraftLetter<'_>, &str)] = &[
        (
            &lab,
            Tool::Swaks,
            &typed,
            r#"{ sed 's/^\./../' '/work/letter one.eml'; printf .; } |
  SWAKS_OPT_auth_password="${SMTPWIRE_PASSWORD:?}" swaks \
  --server 127.0.0.1 \
  --port 2587 \
  --tls \
  --tls-verify \
  --tls-ca-path /lab/ca.pem \
  --helo client.lab.example \
  --auth PLAIN,LOGIN \
  --auth-user alice@lab.example \
  --auth-hide-password \
  --from alice@lab.example \
  --to bob@lab.example,carol@lab.example \
  --no-data-fixup \
  --data -"#,
        ),
        (
            &lab,
            Tool::Curl,
            &typed,
            r#"curl \
  --url smtp://127.0.0.1:2587/client.lab.example \
  --ssl-reqd \
  --cacert /lab/ca.pem \
  --user alice@lab.example:"${SMTPWIRE_PASSWORD:?}" \
  --mail-from alice@lab.example \
  --mail-rcpt bob@lab.example \
  --mail-rcpt carol@lab.example \
  --mail-rcpt-allowfails \
  --upload-file '/work/letter one.eml' \
  --silent \
  --show-error"#,
        ),
        (
            &lab,
            Tool::Smtpwire,
            &typed,
            r#"smtpwire send \
  --server 127.0.0.1 \
  --port 2587 \
  --security starttls \
  --helo client.lab.example \
  --ca-file /lab/ca.pem \
  --user alice@lab.example \
  --from 'Алиса <alice@lab.example>' \
  --to bob@lab.example \
  --to '"Doe, John" <john@lab.example>' \
  --cc carol@lab.example \
  --bcc dave@lab.example \
  --subject 'Привет, it'\''s me' \
  --body='-- 
line two
'"#,
        ),
        (
            &implicit,
            Tool::Swaks,
            &typed,
            r#"{ sed 's/^\./../' '/work/letter one.eml'; printf .; } |
  SWAKS_OPT_auth_password="$(sh -c 'pass show '\''lab mail'\''' | head -n 1)" swaks \
  --server 127.0.0.1 \
  --port 2465 \
  --tls-on-connect \
  --tls-verify \
  --tls-ca-path /lab/ca.pem \
  --helo client.lab.example \
  --auth LOGIN \
  --auth-user alice \
  --auth-hide-password \
  --from alice@lab.example \
  --to bob@lab.example,carol@lab.example \
  --no-data-fixup \
  --data -"#,
        ),
        (
            &implicit,
            Tool::Curl,
            &typed,
            r#"curl \
  --url smtps://127.0.0.1:2465/client.lab.example \
  --cacert /lab/ca.pem \
  --user alice:"$(sh -c 'pass show '\''lab mail'\''' | head -n 1)" \
  --login-options AUTH=LOGIN \
  --mail-from alice@lab.example \
  --mail-rcpt bob@lab.example \
  --mail-rcpt carol@lab.example \
  --mail-rcpt-allowfails \
  --upload-file '/work/letter one.eml' \
  --silent \
  --show-error"#,
        ),
        (
            &implicit,
            Tool::Smtpwire,
            &from_file,
            r#"smtpwire send \
  --server 127.0.0.1 \
  --port 2465 \
  --security tls \
  --helo client.lab.example \
  --ca-file /lab/ca.pem \
  --user alice \
  --auth login \
  --password-command 'pass show '\''lab mail'\''' \
  --timeout 30 \
  --from 'Алиса <alice@lab.example>' \
  --to bob@lab.example \
  --to '"Doe, John" <john@lab.example>' \
  --cc carol@lab.example \
  --bcc dave@lab.example \
  --subject 'Привет, it'\''s me' \
  --body-file /work/body.txt \
  --attach '/work/Смета на апрель.pdf' \
  --repeat 3 \
  --no-system-roots"#,
        ),
        (
            &plain,
            Tool::Swaks,
            &typed,
            r"{ sed 's/^\./../' '/work/letter one.eml'; printf .; } |
  swaks \
  --server ::1 \
  --port 2525 \
  --helo client.lab.example \
  --from alice@lab.example \
  --to bob@lab.example,carol@lab.example \
  --no-data-fixup \
  --data -",
        ),
        (
            &plain,
            Tool::Curl,
            &typed,
            r"curl \
  --url 'smtp://[::1]:2525/client.lab.example' \
  --globoff \
  --mail-from alice@lab.example \
  --mail-rcpt bob@lab.example \
  --mail-rcpt carol@lab.example \
  --mail-rcpt-allowfails \
  --upload-file '/work/letter one.eml' \
  --silent \
  --show-error",
        ),
        (
            &insecure,
            Tool::Curl,
            &typed,
            r#"curl \
  --url smtp://127.0.0.1:25/client.lab.example \
  --user bob:"${SMTPWIRE_PASSWORD:?}" \
  --login-options AUTH=PLAIN \
  --mail-from alice@lab.example \
  --mail-rcpt bob@lab.example \
  --mail-rcpt carol@lab.example \
  --mail-rcpt-allowfails \
  --upload-file '/work/letter one.eml' \
  --silent \
  --show-error"#,
        ),
        (
            &insecure,
            Tool::Smtpwire,
            &typed,
            r#"smtpwire send \
  --server 127.0.0.1 \
  --port 25 \
  --security none \
  --helo client.lab.example \
  --user bob \
  --auth plain \
  --from 'Алиса <alice@lab.example>' \
  --to bob@lab.example \
  --to '"Doe, John" <john@lab.example>' \
  --cc carol@lab.example \
  --bcc dave@lab.example \
  --subject 'Привет, it'\''s me' \
  --body='-- 
line two
' \
  --allow-insecure-auth"#,
        ),
    ];
    for (settings, tool, letter, expected) in cases {
        let text = command(*tool, settings, &built, letter);
        assert_eq!(text, *expected, "{tool} for {settings:?}");
        // Whatever the quoting, sh reads it.
        let syntax = Command::new("sh")
            .args(["-n", "-c", &text])
            .output()
            .unwrap();
        assert!(syntax.status.success(), "{text}\n{syntax:?}");
    }
}

#[test]
fn the_tools_letter_is_7_bit_and_its_envelope_ascii_where_it_can_be() {
    for (from, body, envelope_from, ascii_letter) in [
        (
            "Иван <ivan@почта.рф>",
            "Съешь же ещё этих мягких булок",
            "ivan@xn--80a1acny.xn--p1ai",
            true,
        ),
        (
            "alice@lab.example",
            ".a leading dot",
            "alice@lab.example",
            true,
        ),
        // A UTF-8 local part needs SMTPUTF8 whatever the client.
        ("иван@почта.рф", "hi", "иван@почта.рф", false),
    ] {
        let draft = Draft::parse(&DraftInput {
            from: from.into(),
            to: "bob@lab.example".into(),
            subject: "Тема".into(),
            body: body.into(),
            ..DraftInput::default()
        })
        .unwrap();
        let (letter, envelope) = build_letter(
            submit::Parts {
                draft: &draft,
                file: None,
                attachments: &[],
            },
            &Stamp::now(),
        )
        .unwrap();
        let bytes = letter.letter().to_bytes().unwrap();
        assert_eq!(bytes.is_ascii(), ascii_letter, "{from}");
        assert!(bytes.ends_with(b"\r\n"), "{from}");
        assert_eq!(envelope.from, envelope_from);
        assert_eq!(envelope.recipients, ["bob@lab.example"]);
    }
}
