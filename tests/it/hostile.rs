//! What a hostile server can make smtpwire print. A scripted server on
//! loopback (the same `support::serve` the fault matrix uses) sends terminal
//! escapes, bidi and invisible characters and invalid UTF-8 at every stage,
//! or echoes the password in every form it could; the tests read every
//! output — `send` and `check` stdout and stderr, the `--transcript` file,
//! and through `App` and the real worker the composer's log, status line and
//! screen — and assert that none of it arrives.

use std::process::{Command, Stdio};

use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use smtpwire::{
    app::{Context, Password},
    config::Settings,
    mail::DraftInput,
    smtp::{AuthChoice, scrub::WITHHELD, visible},
};

use crate::{
    support::{Script, Step, serve},
    wired,
};

/// Every class of character that must not reach a terminal, in one line:
/// OSC 52 (clipboard), CSI 2J (clear screen), BEL, a bare CR that would
/// overwrite the refusal with a fake success, NUL, DEL, C1 CSI as UTF-8
/// U+009B and as a raw byte, RIGHT-TO-LEFT OVERRIDE, ZERO WIDTH SPACE, BOM,
/// and bytes that are not UTF-8.
const HOSTILE: &[u8] = b"x \x1b]52;c;aGFja2Vk\x07 \x1b[2J bell\x07 rejected\r250 2.0.0 Ok: queued \
nul\x00 del\x7f c1\xc2\x9b31m raw\x9b31m rlo\xe2\x80\xaetxt.exe zw\xe2\x80\x8bsp bom\xef\xbb\xbf bad\xff\xfe end";

/// Raw bytes and characters that must appear in no output.
const FORBIDDEN_BYTES: [u8; 5] = [0x1b, 0x07, b'\r', 0x00, 0x7f];
const FORBIDDEN_CHARS: [char; 4] = ['\u{9b}', '\u{202e}', '\u{200b}', '\u{feff}'];

/// Fails unless `bytes` are UTF-8 (no raw 0x9B, 0xFF…) free of every
/// unsafe class; line feeds end lines and are allowed.
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => panic!(
            "{what}: not UTF-8 ({e}):\n{}",
            String::from_utf8_lossy(bytes)
        ),
    };
    if let Some(b) = bytes.iter().find(|b| FORBIDDEN_BYTES.contains(b)) {
        panic!("{what}: raw byte {b:#04x} in:\n{text:?}");
    }
    if let Some(c) = text
        .chars()
        .find(|&c| FORBIDDEN_CHARS.contains(&c) || (c != '\n' && visible::is_unsafe(c)))
    {
        panic!("{what}: raw {c:?} in:\n{text:?}");
    }
}

/// `prefix` + `payload` + CRLF, as raw bytes.
fn line(prefix: &str, payload: &[u8]) -> Step {
    let mut out = prefix.as_bytes().to_vec();
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
    Step::Raw(out)
}

/// Several reply lines at once.
fn lines(parts: &[(&str, &[u8])]) -> Step {
    let mut out = Vec::new();
    for (prefix, payload) in parts {
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(b"\r\n");
    }
    Step::Raw(out)
}

fn b64(bytes: &[u8]) -> Vec<u8> {
    STANDARD.encode(bytes).into_bytes()
}

/// What the server says at each stage of a whole session (AUTH LOGIN, two
/// recipients, one letter). Each is the text after the code.
struct Says {
    greeting: Vec<u8>,
    ehlo: Vec<u8>,
    keyword: Vec<u8>,
    /// The decoded text of the first 334 (it is sent in base64).
    user_prompt: Vec<u8>,
    /// The second 334, as sent.
    password_prompt: Vec<u8>,
    auth_ok: Vec<u8>,
    mail: Vec<u8>,
    rcpt_ok: Vec<u8>,
    rcpt_refused: Vec<u8>,
    data: Vec<u8>,
    queued: Vec<u8>,
    bye: Vec<u8>,
}

impl Says {
    fn all(payload: &[u8]) -> Says {
        let mut user_prompt = payload.to_vec();
        user_prompt.extend_from_slice(b" Username:");
        Says {
            greeting: payload.to_vec(),
            ehlo: payload.to_vec(),
            keyword: payload.to_vec(),
            user_prompt,
            password_prompt: payload.to_vec(),
            auth_ok: payload.to_vec(),
            mail: payload.to_vec(),
            rcpt_ok: payload.to_vec(),
            rcpt_refused: payload.to_vec(),
            data: payload.to_vec(),
            queued: payload.to_vec(),
            bye: payload.to_vec(),
        }
    }
}

/// A whole session in which the server says `says` at every stage; the
/// second recipient is refused, so the error path runs too.
fn every_stage(says: &Says) -> Script {
    use Step::{Drain, Expect, ExpectPrefix, ReadData};
    vec![
        line("220 ", &says.greeting),
        ExpectPrefix("EHLO "),
        lines(&[
            ("250-", &says.ehlo),
            ("250-AUTH LOGIN", b""),
            ("250-X-", &says.keyword),
            ("250 SIZE 1000000", b""),
        ]),
        Expect("AUTH LOGIN"),
        line("334 ", &b64(&says.user_prompt)),
        ExpectPrefix(""),
        line("334 ", &says.password_prompt),
        ExpectPrefix(""),
        line("235 2.7.0 ", &says.auth_ok),
        ExpectPrefix("MAIL FROM:"),
        line("250 2.1.0 ", &says.mail),
        Expect("RCPT TO:<a@hostile.test>"),
        line("250 2.1.5 ", &says.rcpt_ok),
        Expect("RCPT TO:<b@hostile.test>"),
        line("550 5.1.1 ", &says.rcpt_refused),
        Expect("DATA"),
        line("354 ", &says.data),
        ReadData,
        line("250 2.0.0 Ok: queued as ", &says.queued),
        Expect("QUIT"),
        line("221 ", &says.bye),
        Drain,
    ]
}

/// The opening up to AUTH's success (LOGIN), with plain words.
fn logged_in() -> Script {
    use Step::{Expect, ExpectPrefix, Reply};
    vec![
        Reply("220 hostile.test ESMTP"),
        ExpectPrefix("EHLO "),
        Reply("250-hostile.test\n250 AUTH LOGIN"),
        Expect("AUTH LOGIN"),
        Reply("334 VXNlcm5hbWU6"),
        ExpectPrefix(""),
        Reply("334 UGFzc3dvcmQ6"),
        ExpectPrefix(""),
    ]
}

/// Sessions that end in a failure quoting the server, with `payload` in
/// the server's words at that point: (name, command, security, script).
fn failures(payload: &[u8]) -> Vec<(&'static str, &'static str, &'static str, Script)> {
    use Step::{Close, Drain, Expect, ExpectPrefix, Reply};
    let quit = || [Expect("QUIT"), Reply("221 bye"), Drain];
    let to_mail = |mut s: Script| {
        s.extend([Reply("235 ok"), ExpectPrefix("MAIL FROM:")]);
        s
    };
    let mut rows = vec![
        (
            "greeting refused",
            "send",
            "none",
            [vec![line("554 5.7.1 ", payload)], quit().to_vec()].concat(),
        ),
        (
            "421 at greeting",
            "send",
            "none",
            vec![line("421 4.3.2 ", payload), Close],
        ),
        (
            "EHLO refused, two lines",
            "send",
            "none",
            [
                vec![
                    Reply("220 ok"),
                    ExpectPrefix("EHLO "),
                    lines(&[("554-", payload), ("554 ", payload)]),
                ],
                quit().to_vec(),
            ]
            .concat(),
        ),
        (
            "STARTTLS refused",
            "send",
            "starttls",
            [
                vec![
                    Reply("220 ok"),
                    ExpectPrefix("EHLO "),
                    Reply("250-ok\n250 STARTTLS"),
                    Expect("STARTTLS"),
                    line("454 4.7.0 ", payload),
                ],
                quit().to_vec(),
            ]
            .concat(),
        ),
        (
            "AUTH refused",
            "send",
            "none",
            [
                logged_in(),
                vec![line("535 5.7.8 ", payload)],
                quit().to_vec(),
            ]
            .concat(),
        ),
        (
            "malformed line at MAIL",
            "send",
            "none",
            [to_mail(logged_in()), vec![line("", payload), Drain]].concat(),
        ),
        (
            "421 at RCPT",
            "send",
            "none",
            [
                to_mail(logged_in()),
                vec![
                    Reply("250 ok"),
                    ExpectPrefix("RCPT TO:"),
                    line("421 4.4.2 ", payload),
                    Close,
                ],
            ]
            .concat(),
        ),
        (
            "every recipient refused",
            "send",
            "none",
            [
                to_mail(logged_in()),
                vec![
                    Reply("250 ok"),
                    ExpectPrefix("RCPT TO:"),
                    line("550 5.1.1 ", payload),
                    ExpectPrefix("RCPT TO:"),
                    lines(&[("550-5.1.1 ", payload), ("550 5.1.1 ", payload)]),
                    Expect("RSET"),
                    Reply("250 ok"),
                ],
                quit().to_vec(),
            ]
            .concat(),
        ),
        (
            "letter refused after the dot",
            "send",
            "none",
            [
                to_mail(logged_in()),
                vec![
                    Reply("250 ok"),
                    ExpectPrefix("RCPT TO:"),
                    Reply("250 ok"),
                    ExpectPrefix("RCPT TO:"),
                    Reply("250 ok"),
                    Expect("DATA"),
                    Reply("354 go"),
                    Step::ReadData,
                    line("554 5.7.1 ", payload),
                ],
                quit().to_vec(),
            ]
            .concat(),
        ),
    ];
    // `check` prints what the server offers on stdout.
    let mut check = every_stage(&Says::all(payload));
    check.truncate(9);
    check.extend([Expect("QUIT"), line("221 ", payload), Drain]);
    rows.push(("check", "check", "none", check));
    rows
}

/// What one run of the binary printed.
struct Printed {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    transcript: Vec<u8>,
}

impl Printed {
    fn outputs(&self) -> [(&'static str, &[u8]); 3] {
        [
            ("stdout", &self.stdout),
            ("stderr", &self.stderr),
            ("--transcript", &self.transcript),
        ]
    }

    fn all(&self) -> String {
        self.outputs()
            .iter()
            .map(|(_, b)| String::from_utf8_lossy(b))
            .collect()
    }
}

/// Runs `smtpwire command` against `script` on loopback, logging in as
/// `u@hostile.test` with `password`.
async fn run(command: &str, security: &str, script: Script, password: &str) -> Printed {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        serve(tcp, script).await
    });
    let dir = tempfile::tempdir().unwrap();
    let transcript = dir.path().join("transcript.log");
    let (command, security, password) =
        (command.to_owned(), security.to_owned(), password.to_owned());
    let transcript_arg = transcript.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_smtpwire"))
            .args([
                &command,
                "--server",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .args(["--security", &security, "--helo", "client.hostile.test"])
            .args(["--timeout", "5", "--auth", "login"])
            .args(["--user", "u@hostile.test", "--allow-insecure-auth"])
            .args([
                "--from",
                "me@hostile.test",
                "--to",
                "a@hostile.test, b@hostile.test",
            ])
            .args(["--subject", "hostile", "--body", "Hello."])
            .arg("--transcript")
            .arg(&transcript_arg)
            .env("SMTPWIRE_PASSWORD", password)
            .env("XDG_CONFIG_HOME", "/nonexistent/smtpwire-test")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    if let Err(diff) = outcome {
        panic!(
            "the script broke:\n{diff}\n--- stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Printed {
        code: output.status.code(),
        stdout: output.stdout,
        stderr: output.stderr,
        transcript: std::fs::read(&transcript).unwrap_or_default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_control_bidi_or_invalid_byte_reaches_any_output() {
    let mut rows = vec![(
        "every stage",
        "send",
        "none",
        every_stage(&Says::all(HOSTILE)),
    )];
    rows.extend(failures(HOSTILE));
    for (name, command, security, script) in rows {
        let printed = run(command, security, script, "hostile-Pa55").await;
        assert_ne!(printed.code, Some(101), "{name}: panicked");
        for (what, bytes) in printed.outputs() {
            assert_clean(&format!("{name}: {what}"), bytes);
        }
        let all = printed.all();
        // The server's words are there, escaped: nothing was dropped (a
        // malformed line is quoted cut short).
        assert!(
            all.contains("\\x1b]52;c;aGFja2Vk\\x07"),
            "{name}: the escaped words are missing:\n{all}"
        );
        if name != "malformed line at MAIL" {
            assert!(
                all.contains("rejected\\r250 2.0.0 Ok: queued") && all.contains("\\u{202e}"),
                "{name}: {all}"
            );
        }
    }
}

/// Every form in which a server could echo `password`, named.
fn echoes(password: &str) -> Vec<(&'static str, Vec<u8>)> {
    let p = password.as_bytes();
    let hex: String = p.iter().map(|b| format!("{b:02x}")).collect();
    let escaped = |prefix: &str| -> Vec<u8> {
        p.iter()
            .flat_map(|b| format!("{prefix}{b:02X}").into_bytes())
            .collect()
    };
    let with = |lead: &[u8]| [lead, p, b"!"].concat();
    vec![
        ("plain", p.to_vec()),
        ("upper case", password.to_uppercase().into_bytes()),
        ("base64", b64(p)),
        ("base64, 1 byte before", b64(&with(b"x"))),
        ("base64, 2 bytes before", b64(&with(b"xy"))),
        (
            "base64url inside a run",
            format!("QUJD{}", URL_SAFE_NO_PAD.encode(with(b"xyz"))).into_bytes(),
        ),
        ("hex", hex.clone().into_bytes()),
        ("HEX", hex.to_ascii_uppercase().into_bytes()),
        ("percent", escaped("%")),
        ("quoted-printable", escaped("=")),
        (
            "PLAIN blob",
            b64(format!("\0u@hostile.test\0{password}").as_bytes()),
        ),
        (
            "zero-width split",
            password
                .chars()
                .flat_map(|c| [c, '\u{200b}'])
                .collect::<String>()
                .into_bytes(),
        ),
    ]
}

/// Asserts that no echoed form of `password` appears in `text`.
fn assert_no_echo(what: &str, text: &str, password: &str) {
    let lower = text.to_lowercase();
    let mut needles: Vec<String> = echoes(password)
        .into_iter()
        .flat_map(|(_, form)| {
            [
                String::from_utf8(form.clone()).unwrap(),
                visible::visible_bytes(&form).into_owned(),
            ]
        })
        .collect();
    needles.push(visible::visible(password).into_owned());
    for needle in needles {
        assert!(
            !lower.contains(&needle.to_lowercase()),
            "{what}: {needle:?} is shown:\n{text}"
        );
    }
}

/// The echo sessions: every form at several stages (the forms rotate over
/// the stages), and the failures that quote the server.
fn echo_rows(password: &str) -> Vec<(String, &'static str, Script)> {
    let forms = echoes(password);
    let mut rows = Vec::new();
    for shift in 0..3 {
        let at = |i: usize| {
            let (name, form) = &forms[(i * 5 + shift * 4) % forms.len()];
            (*name, [b"you said ".as_slice(), form, b" ok"].concat())
        };
        let says = Says {
            greeting: at(0).1,
            ehlo: at(1).1,
            keyword: at(2).1,
            user_prompt: [at(3).1, b" Username:".to_vec()].concat(),
            password_prompt: b64(&[b"Password for ".as_slice(), &at(4).1].concat()),
            auth_ok: at(5).1,
            mail: at(6).1,
            rcpt_ok: at(7).1,
            rcpt_refused: at(8).1,
            data: at(9).1,
            queued: at(10).1,
            bye: at(11).1,
        };
        rows.push((
            format!("every stage, forms shifted {shift}"),
            "send",
            every_stage(&says),
        ));
    }
    for (name, form) in &forms {
        // Across the old 120-character cut of a malformed line.
        let mut long = b"z".repeat(110);
        long.extend_from_slice(form);
        long.extend_from_slice(&b"y".repeat(60));
        for (what, command, script) in failures(form)
            .into_iter()
            .map(|(what, command, _, script)| (what, command, script))
            .filter(|(what, _, _)| {
                matches!(
                    *what,
                    "AUTH refused" | "every recipient refused" | "letter refused after the dot"
                )
            })
            .chain(
                failures(&long)
                    .into_iter()
                    .filter_map(|(what, command, _, s)| {
                        (what == "malformed line at MAIL").then_some((what, command, s))
                    }),
            )
        {
            rows.push((format!("{what}, {name}"), command, script));
        }
    }
    rows
}

/// A password split over two lines of one reply that each carry an
/// enhanced code, as Postfix writes multi-line replies: after the final dot
/// and in a refused AUTH, at several cuts, withheld from every output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_split_over_coded_reply_lines_appears_in_no_output() {
    use Step::{Drain, Expect, ExpectPrefix, ReadData, Reply};
    for password in [crate::support::PASSWORD, "dävé-Пароль ünï 1"] {
        let chars: Vec<char> = password.chars().collect();
        for cut in [1, chars.len() / 2, chars.len() - 1] {
            let a: String = chars[..cut].iter().collect();
            let b: String = chars[cut..].iter().collect();
            let mut after_dot = logged_in();
            after_dot.extend([
                Reply("235 2.7.0 ok"),
                ExpectPrefix("MAIL FROM:"),
                Reply("250 2.1.0 ok"),
                ExpectPrefix("RCPT TO:"),
                Reply("250 2.1.5 ok"),
                ExpectPrefix("RCPT TO:"),
                Reply("250 2.1.5 ok"),
                Expect("DATA"),
                Reply("354 go"),
                ReadData,
                lines(&[
                    ("250-2.0.0 queued ", a.as_bytes()),
                    ("250 2.0.0 ", format!("{b} done").as_bytes()),
                ]),
                Expect("QUIT"),
                Reply("221 2.0.0 bye"),
                Drain,
            ]);
            let mut refused = logged_in();
            refused.extend([
                lines(&[
                    ("535-5.7.8 nope ", a.as_bytes()),
                    ("535 5.7.8 ", b.as_bytes()),
                ]),
                Expect("QUIT"),
                Reply("221 2.0.0 bye"),
                Drain,
            ]);
            for (name, script) in [("after the dot", after_dot), ("AUTH refused", refused)] {
                let printed = run("send", "none", script, password).await;
                let all = printed.all();
                for (what, bytes) in printed.outputs() {
                    let text = String::from_utf8_lossy(bytes);
                    assert!(
                        !text.contains(&a) || !text.contains(&b),
                        "{password:?} cut at {cut}, {name}: {what} shows both halves:\n{text}"
                    );
                }
                assert!(all.contains(WITHHELD), "{name}: nothing withheld:\n{all}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echoed_password_appears_in_no_output_in_any_form() {
    for password in [
        crate::support::PASSWORD,
        "dävé-Пароль ünï 1",
        "ca:rol P@55 \"w0rd\"\\x",
    ] {
        for (name, command, script) in echo_rows(password) {
            let printed = run(command, "none", script, password).await;
            assert_ne!(printed.code, Some(101), "{name}: panicked");
            for (what, bytes) in printed.outputs() {
                let text = String::from_utf8_lossy(bytes);
                assert_no_echo(&format!("{password:?} {name}: {what}"), &text, password);
            }
            assert!(
                printed.all().contains(WITHHELD),
                "{password:?} {name}: nothing was withheld:\n{}",
                printed.all()
            );
        }
    }
}

/// The composer's real loop, wired to the real worker, logging in to
/// `port` and sending; what it showed at the end.
async fn composer(port: u16, password: &str) -> Vec<(&'static str, String)> {
    let settings = Settings {
        user: Some("u@hostile.test".into()),
        auth: Some(AuthChoice::Login),
        allow_insecure_auth: Some(true),
        ..wired::settings(port)
    };
    let context = Context {
        password: Some(Password::new(password.to_owned())),
        ..Context::default()
    };
    let draft = DraftInput {
        from: "me@hostile.test".into(),
        to: "a@hostile.test, b@hostile.test".into(),
        subject: "hostile".into(),
        body: "Hello.".into(),
        ..DraftInput::default()
    };
    let (runner, terminal) = wired::run_with(
        settings,
        context,
        draft,
        vec![wired::ctrl('s'), wired::Input::Done],
    )
    .await;
    let app = runner.app();
    let status = app
        .status
        .as_ref()
        .map(|s| format!("{}\n{}", s.text, s.hint.as_deref().unwrap_or_default()))
        .unwrap_or_default();
    vec![
        ("log", wired::log(app)),
        ("status", status),
        ("screen", wired::screen(&terminal)),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_composer_shows_neither_escapes_nor_echoed_passwords() {
    let password = crate::support::PASSWORD;
    let rows = [
        ("hostile bytes", every_stage(&Says::all(HOSTILE)), false),
        ("echoes", echo_rows(password).swap_remove(0).2, true),
    ];
    for (name, script, echo) in rows {
        let (addr, server) = crate::support::loopback_server(None, script).await;
        let outputs = composer(addr.port(), password).await;
        for (what, text) in &outputs {
            assert_clean(&format!("{name}: composer {what}"), text.as_bytes());
            if echo {
                assert_no_echo(&format!("{name}: composer {what}"), text, password);
            }
        }
        let log = &outputs[0].1;
        if echo {
            assert!(log.contains(WITHHELD), "{log}");
        } else {
            assert!(log.contains("\\x1b]52;c;aGFja2Vk\\x07"), "{log}");
        }
        server.await.unwrap().unwrap();
    }
}
