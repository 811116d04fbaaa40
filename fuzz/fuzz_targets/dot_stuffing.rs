//! DATA transparency: for any input split anywhere, the output has no bare
//! CR or LF, no line that is a lone "." before the end, and un-stuffing it
//! gives back the input with normalised line ends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpwire::smtp::connection::DotStuffer;

fuzz_target!(|input: (Vec<u8>, u16)| {
    let (data, split) = input;
    let split = usize::from(split) % (data.len() + 1);
    let mut stuffer = DotStuffer::new();
    let mut out = Vec::new();
    stuffer.encode(&data[..split], &mut out);
    stuffer.encode(&data[split..], &mut out);
    stuffer.finish(&mut out);
    // Un-stuff: split at CRLF, drop one leading dot per line.
    let mut lines: Vec<&[u8]> = Vec::new();
    let mut rest = &out[..];
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        lines.push(&rest[..i]);
        rest = &rest[i + 2..];
    }
    assert!(rest.is_empty(), "output must end with CRLF");
    let mut back = Vec::new();
    for line in &lines {
        assert!(!line.contains(&b'\r') && !line.contains(&b'\n'), "bare line end");
        assert!(*line != b".", "a lone dot would end DATA early");
        back.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        back.extend_from_slice(b"\r\n");
    }
    let mut normalised = Vec::new();
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\r' if data.get(i + 1) == Some(&b'\n') => {
                normalised.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            b'\r' | b'\n' => normalised.extend_from_slice(b"\r\n"),
            b => normalised.push(b),
        }
        i += 1;
    }
    if !normalised.is_empty() && !normalised.ends_with(b"\r\n") {
        normalised.extend_from_slice(b"\r\n");
    }
    assert_eq!(back, normalised);
});
