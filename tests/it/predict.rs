//! Large body files sent on a prediction from their first 64 KiB
//! (`FileBody::predict`), and the pieces the engine gets (`wire_chunks`):
//! the same bytes on the wire as a scan of the whole file gives; a body
//! whose rest needs another encoding, or is not UTF-8, stops unfinished
//! and is sent again correctly (or refused), through the real binary too.

use std::{process::Stdio, time::Duration};

use smtpwire::{
    mail::{
        BuildOptions, Draft, DraftInput, FileBody, FileBodyError, Letter, Stamp, build_from_file,
    },
    smtp::connection::DotStuffer,
};

/// One stamp for every letter of a test, so letters compare whole.
fn stamp() -> Stamp {
    static STAMP: std::sync::OnceLock<Stamp> = std::sync::OnceLock::new();
    STAMP.get_or_init(Stamp::now).clone()
}

fn draft() -> Draft {
    Draft::parse(&DraftInput {
        from: "a@example.org".into(),
        to: "b@example.org".into(),
        subject: "s".into(),
        ..DraftInput::default()
    })
    .unwrap()
}

/// What the engine writes between DATA and the final dot.
fn on_the_wire(pieces: impl Iterator<Item = std::io::Result<Vec<u8>>>) -> std::io::Result<Vec<u8>> {
    let (mut stuffer, mut out) = (DotStuffer::new(), Vec::new());
    for piece in pieces {
        stuffer.encode(&piece?, &mut out);
    }
    stuffer.finish(&mut out);
    Ok(out)
}

fn options(eight_bit: bool) -> BuildOptions {
    BuildOptions {
        eight_bit,
        smtputf8: eight_bit,
        ..BuildOptions::default()
    }
}

/// Predicted or scanned whole, read through the encoder or passed through:
/// the same octets reach the wire, and the letter knows its exact size
/// once sent.
#[test]
fn every_way_of_reading_a_body_file_gives_the_same_wire_bytes() {
    let piece = 64 * 1024;
    let cases = [
        "plain CRLF text\r\n".repeat(20_000),
        "plain LF text\n".repeat(20_000),
        format!("{}\r.\rbare CR, a dot line\r", "x\r\n".repeat(piece)),
        format!("{}.\n..\nno final line end", "dots\n".repeat(piece / 4)),
        "Привет\r\nмир\n.\nFrom x\n   \n".repeat(20_000),
        format!("{}Ж split by the piece boundary\n", "a".repeat(piece - 1)),
        "short\n".into(),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, body) in cases.iter().enumerate() {
        let path = dir.path().join(format!("body{i}.txt"));
        std::fs::write(&path, body).unwrap();
        for eight_bit in [true, false] {
            let opts = options(eight_bit);
            let whole = FileBody::open(&path).unwrap();
            let reference = build_from_file(&draft(), &whole, &stamp(), &opts).unwrap();
            let expected = on_the_wire(reference.chunks()).unwrap();
            let predicted = FileBody::predict(&path).unwrap();
            let letter: Letter<'_> =
                build_from_file(&draft(), &predicted, &stamp(), &opts).unwrap();
            assert_eq!(
                letter.transfer_encoding(),
                reference.transfer_encoding(),
                "case {i}"
            );
            for (name, wire) in [
                (
                    "whole, passed through",
                    on_the_wire(reference.wire_chunks()),
                ),
                ("predicted, encoded", on_the_wire(letter.chunks())),
                (
                    "predicted, passed through",
                    on_the_wire(letter.wire_chunks()),
                ),
            ] {
                assert!(
                    wire.unwrap() == expected,
                    "case {i}, 8bit {eight_bit}: {name} differs"
                );
            }
            assert_eq!(
                letter.len(),
                reference.len(),
                "case {i}: the size once read through"
            );
            assert!(predicted.corrected().is_none(), "case {i}");
        }
    }
}

#[test]
fn a_body_whose_rest_disagrees_stops_unfinished() {
    let dir = tempfile::tempdir().unwrap();
    let ascii = "hello world line\n".repeat(20_000);
    for (name, tail, eight_bit, fixed) in [
        (
            "late 8-bit, 8BITMIME",
            "Привет\n".as_bytes(),
            true,
            Some("8bit"),
        ),
        (
            "late 8-bit, no 8BITMIME",
            "Привет\n".as_bytes(),
            false,
            Some("quoted-printable"),
        ),
        (
            "late long line",
            &[b'x'; 1200][..],
            true,
            Some("quoted-printable"),
        ),
        ("late Latin-1", b"caf\xe9\n", true, None),
    ] {
        let path = dir.path().join("late.txt");
        let mut bytes = ascii.clone().into_bytes();
        bytes.extend_from_slice(tail);
        std::fs::write(&path, &bytes).unwrap();
        let predicted = FileBody::predict(&path).unwrap();
        let letter = build_from_file(&draft(), &predicted, &stamp(), &options(eight_bit)).unwrap();
        assert_eq!(letter.transfer_encoding().to_string(), "7bit", "{name}");
        // The error comes before the end: the engine never sends the final dot.
        assert!(on_the_wire(letter.wire_chunks()).is_err(), "{name}");
        match (predicted.corrected(), fixed) {
            (Some(Ok(again)), Some(encoding)) => {
                let letter =
                    build_from_file(&draft(), &again, &stamp(), &options(eight_bit)).unwrap();
                assert_eq!(letter.transfer_encoding().to_string(), encoding, "{name}");
                assert!(on_the_wire(letter.wire_chunks()).is_ok(), "{name}");
            }
            (Some(Err(FileBodyError::NotUtf8 { offset, .. })), None) => {
                assert_eq!(offset, ascii.len() as u64 + 3, "{name}");
            }
            (other, _) => panic!("{name}: {other:?}"),
        }
    }
}

/// Through the binary: the first session is dropped before the final dot,
/// the second delivers the letter in 8bit; exit 0, one letter delivered.
#[tokio::test]
async fn send_sends_again_when_the_prediction_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late8bit.txt");
    std::fs::write(
        &path,
        format!("{}Привет, мир\n", "hello world line\n".repeat(20_000)),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let mut seen = Vec::new();
        for _ in 0..2 {
            let (tcp, _) = listener.accept().await.unwrap();
            seen.push(crate::parallel::serve_one(tcp, None).await);
        }
        seen
    });
    let body = path.clone();
    let output = tokio::task::spawn_blocking(move || {
        crate::parallel::sink_send(port, "late")
            .arg("--body-file")
            .arg(&body)
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
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("sending it again"), "{stderr}");
    assert_eq!((seen[0].dots, seen[1].dots), (0, 1), "{seen:?}");
    assert_eq!(seen[1].encodings, ["Content-Transfer-Encoding: 8bit"]);
}

/// A body file with attachments: the raw pass-through is for a letter that
/// is its body only; in a multipart letter every piece goes through the
/// encoder, and the attachments follow the text on the wire.
#[test]
fn a_body_file_with_attachments_sends_the_attachments_too() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.txt");
    std::fs::write(&body, "a line of the body\n".repeat(20_000)).unwrap();
    let attached = dir.path().join("data.bin");
    std::fs::write(
        &attached,
        (0..=255u8).cycle().take(5_000).collect::<Vec<_>>(),
    )
    .unwrap();
    let attachments = [smtpwire::mail::Attachment::open(&attached).unwrap()];
    for file in [
        FileBody::open(&body).unwrap(),
        FileBody::predict(&body).unwrap(),
    ] {
        let parts = smtpwire::submit::Parts {
            draft: &draft(),
            file: Some(&file),
            attachments: &attachments,
        };
        let caps = smtpwire::smtp::Capabilities {
            eight_bit_mime: true,
            smtputf8: true,
            ..smtpwire::smtp::Capabilities::default()
        };
        let outgoing = smtpwire::submit::letter_for(parts, &stamp(), Some(&caps)).unwrap();
        let letter = outgoing.letter();
        let expected = on_the_wire(letter.chunks()).unwrap();
        let wire = on_the_wire(letter.wire_chunks()).unwrap();
        assert!(wire == expected, "the wire differs from the letter");
        let text = String::from_utf8_lossy(&wire);
        assert!(
            text.contains("data.bin"),
            "no attachment on the wire: {}",
            &text[text.len() - 600..]
        );
        assert_eq!(text.matches("a line of the body").count(), 20_000);
    }
}
