//! The letter builder on arbitrary drafts: never panics, and every built
//! letter is wire-safe (CRLF only, no line over 998 octets, 7-bit unless the
//! server allows 8-bit, no Bcc header) and as long as it says. Up to three
//! small attachments with arbitrary names and octets (written to files in
//! the temporary folder): the boundary then occurs only where it belongs.
#![no_main]

use libfuzzer_sys::{arbitrary, fuzz_target};
use smtpwire::mail::{Attachment, BuildOptions, Draft, DraftInput, Stamp, build};

#[derive(Debug, arbitrary::Arbitrary)]
struct Input {
    from: String,
    to: String,
    cc: String,
    bcc: String,
    subject: String,
    body: String,
    eight_bit: bool,
    smtputf8: bool,
    attachments: Vec<(String, Vec<u8>)>,
}

fuzz_target!(|input: Input| {
    let draft = DraftInput {
        from: input.from,
        reply_to: String::new(),
        to: input.to,
        cc: input.cc,
        bcc: input.bcc,
        subject: input.subject,
        body: input.body,
        envelope_from: String::new(),
    };
    let Ok(draft) = Draft::parse(&draft) else { return };
    let stamp = Stamp {
        date: chrono::DateTime::parse_from_rfc3339("2026-11-26T09:15:00+03:00").unwrap(),
        unique: "fuzz.1".into(),
    };
    let opts = BuildOptions { eight_bit: input.eight_bit, smtputf8: input.smtputf8, ..BuildOptions::default() };
    let mut files = Vec::new();
    for (i, (name, content)) in input.attachments.iter().take(3).enumerate() {
        let path = std::env::temp_dir().join(format!("smtpwire-fuzz-{}-{i}", std::process::id()));
        std::fs::write(&path, &content[..content.len().min(4096)]).unwrap();
        files.push(Attachment::open(&path).unwrap().with_name(name));
    }
    let Ok(letter) = build(&draft, &stamp, &opts) else { return };
    let letter = letter.with_attachments(&files);
    let bytes = letter.to_bytes().unwrap();
    if let Some(boundary) = letter.boundary() {
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(text.matches(boundary).count(), files.len() + 3, "boundary inside a part");
    }
    assert_eq!(bytes.len() as u64, letter.len());
    let mut previous = 0u8;
    let mut line = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            assert_eq!(previous, b'\r', "bare LF at {i}");
            line = 0;
        } else if previous == b'\r' {
            panic!("bare CR at {}", i - 1);
        } else if b != b'\r' {
            line += 1;
            assert!(line <= 998, "line over 998 octets at {i}");
        }
        previous = b;
    }
    assert!(bytes.ends_with(b"\r\n"));
    if !opts.eight_bit && !opts.smtputf8 {
        assert!(bytes.is_ascii());
    }
    let head = &bytes[..bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap()];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    assert!(!head.contains("\nbcc:") && !head.starts_with("bcc:"));
});
