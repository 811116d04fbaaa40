//! Server text made safe to print: every character that a terminal, an
//! editor or a log viewer would act on or hide is shown as a visible escape.
//!
//! A greeting like `220 x ESC]52;c;…BEL` would otherwise write the user's
//! clipboard (OSC 52), `ESC[2J` would clear the screen, and
//! `550 rejected CR 250 2.0.0 Ok: queued` would paint a success over a
//! refusal. Bidi and invisible format characters reorder or hide what the
//! reader sees (Trojan Source). [`visible`] is applied where network bytes
//! enter the program, so everything built from them is safe by construction.
//!
//! # The escapes
//!
//! | input | shown as |
//! |---|---|
//! | tab, CR, LF | `\t`, `\r`, `\n` |
//! | other C0 controls and DEL (U+0000–U+001F, U+007F) | `\x00` … `\x1f`, `\x7f` |
//! | any other unsafe character (C1 controls, bidi controls, invisible and default-ignorable characters, line and paragraph separators) | `\u{9b}`, `\u{202e}`, `\u{feff}`, … (lower-case hex, no leading zeros) |
//! | a byte that is not part of valid UTF-8 (only [`visible_bytes`]) | `\x80` … `\xff` |
//! | a backslash | `\\` |
//! | anything else | itself |
//!
//! **The backslash rule:** every backslash from the input is doubled, so in
//! the output a single backslash always starts one of the escapes above and
//! `\\` always stands for one backslash. The mapping is therefore injective
//! ([`unescape`] undoes it exactly): a server cannot send text that reads
//! like an escape of something it did not send. Input without a backslash
//! and without unsafe characters comes back borrowed, unchanged.

use std::{borrow::Cow, fmt::Write as _};

pub use crate::chars::is_unsafe;

/// Whether `c` comes out of [`visible`] as itself.
fn passes(c: char) -> bool {
    c != '\\' && !is_unsafe(c)
}

/// Appends the visible escape of one character: `\\` for a backslash, the
/// escape of an unsafe character, or the character itself.
pub fn push_escaped(c: char, out: &mut String) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        c if c.is_ascii_control() => {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c if is_unsafe(c) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// `text` with every unsafe character and every backslash escaped (see the
/// module docs for the table and the backslash rule). Borrowed when nothing
/// needed escaping.
pub fn visible(text: &str) -> Cow<'_, str> {
    let Some(first) = text.find(|c: char| !passes(c)) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        push_escaped(c, &mut out);
    }
    Cow::Owned(out)
}

/// [`visible`] for raw bytes from the wire: valid UTF-8 is escaped as
/// [`visible`] does, and each byte that is not part of valid UTF-8 is shown
/// as `\xNN` (never U+FFFD), so the log shows what arrived.
pub fn visible_bytes(raw: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(raw) {
        return visible(text);
    }
    let mut out = String::with_capacity(raw.len() + 16);
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(c, &mut out);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

/// What [`unescape`] found at one place in escaped text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text that stood for itself.
    Text(&'a str),
    /// One escaped backslash (`\\`).
    Backslash,
    /// An escaped character (`\t`, `\x1b`, `\u{202e}`).
    Char(char),
    /// An escaped byte that was not valid UTF-8 (`\x9b`).
    Byte(u8),
}

/// Splits escaped text into its pieces, left to right. Text that is not
/// output of [`visible`] (a lone backslash before anything else) is taken
/// as it stands.
pub fn pieces(escaped: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = escaped;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some(at) = rest.find('\\') else {
            let text = rest;
            rest = "";
            return Some(Piece::Text(text));
        };
        if at > 0 {
            let text = &rest[..at];
            rest = &rest[at..];
            return Some(Piece::Text(text));
        }
        let (piece, used) = escape_at(rest).unwrap_or((Piece::Text("\\"), 1));
        rest = &rest[used..];
        Some(piece)
    })
}

/// The escape at the start of `s` (which starts with a backslash) and its
/// length in bytes.
fn escape_at(s: &str) -> Option<(Piece<'static>, usize)> {
    let bytes = s.as_bytes();
    match bytes.get(1)? {
        b'\\' => Some((Piece::Backslash, 2)),
        b't' => Some((Piece::Char('\t'), 2)),
        b'r' => Some((Piece::Char('\r'), 2)),
        b'n' => Some((Piece::Char('\n'), 2)),
        b'x' => {
            let hex = s.get(2..4)?;
            let b = u8::from_str_radix(hex, 16).ok()?;
            let piece = if b < 0x80 {
                Piece::Char(char::from(b))
            } else {
                Piece::Byte(b)
            };
            Some((piece, 4))
        }
        b'u' if bytes.get(2) == Some(&b'{') => {
            let close = s.get(3..)?.find('}')?;
            let hex = s.get(3..3 + close)?;
            if hex.is_empty() || hex.len() > 6 {
                return None;
            }
            let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
            Some((Piece::Char(c), 4 + close))
        }
        _ => None,
    }
}

/// The bytes that [`visible_bytes`] (or [`visible`]) turned into `escaped`:
/// its exact inverse.
pub fn unescape(escaped: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(escaped.len());
    for piece in pieces(escaped) {
        match piece {
            Piece::Text(text) => out.extend_from_slice(text.as_bytes()),
            Piece::Backslash => out.push(b'\\'),
            Piece::Char(c) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            Piece::Byte(b) => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_unsafe_class() {
        for (input, shown) in [
            ("220 mx.example.org ESMTP", "220 mx.example.org ESMTP"),
            ("Привет, мир 日本", "Привет, мир 日本"),
            ("x\u{1b}]52;c;aGk=\u{7}", "x\\x1b]52;c;aGk=\\x07"),
            ("\u{1b}[2J", "\\x1b[2J"),
            (
                "550 rejected\r250 2.0.0 Ok: queued",
                "550 rejected\\r250 2.0.0 Ok: queued",
            ),
            ("a\tb\nc\0d\u{7f}", "a\\tb\\nc\\x00d\\x7f"),
            ("\u{9b}31m", "\\u{9b}31m"),
            ("evil\u{202e}txt.exe", "evil\\u{202e}txt.exe"),
            (
                "zero\u{200b}width\u{feff}bom\u{ad}shy",
                "zero\\u{200b}width\\u{feff}bom\\u{ad}shy",
            ),
            (
                "\u{61c}\u{180e}\u{2066}\u{2069}\u{2060}\u{2064}",
                "\\u{61c}\\u{180e}\\u{2066}\\u{2069}\\u{2060}\\u{2064}",
            ),
            ("tag\u{e0041}\u{e007f}", "tag\\u{e0041}\\u{e007f}"),
            ("\u{fff9}a\u{fffb}", "\\u{fff9}a\\u{fffb}"),
            ("line\u{2028}para\u{2029}", "line\\u{2028}para\\u{2029}"),
            ("C:\\dir", "C:\\\\dir"),
            ("\\x1b", "\\\\x1b"),
        ] {
            assert_eq!(visible(input), shown, "{input:?}");
            assert_eq!(unescape(&visible(input)), input.as_bytes(), "{input:?}");
        }
    }

    #[test]
    fn safe_text_is_borrowed() {
        for input in ["", "250 2.0.0 Ok: queued as 4Xb2", "Grüße — 日本語 ✓"] {
            assert!(matches!(visible(input), Cow::Borrowed(_)), "{input:?}");
            assert!(matches!(visible_bytes(input.as_bytes()), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn invalid_utf8_shows_the_bytes() {
        for (input, shown) in [
            (&b"ok \x9b31m"[..], "ok \\x9b31m"),
            (b"\xff\xfe", "\\xff\\xfe"),
            (b"\xe2\x80", "\\xe2\\x80"),
            // U+009B as UTF-8 is a character; 0x9B alone is a byte.
            (b"\xc2\x9b|\x9b", "\\u{9b}|\\x9b"),
            (b"\xd0\x9f\xff", "\u{41f}\\xff"),
        ] {
            assert_eq!(visible_bytes(input), shown, "{input:?}");
            assert_eq!(unescape(&visible_bytes(input)), input, "{input:?}");
        }
    }

    #[test]
    fn distinct_inputs_stay_distinct() {
        let inputs: [&[u8]; 8] = [
            b"\x1b",
            b"\\x1b",
            b"\\\x1b",
            b"\\\\x1b",
            b"\xc2\x9b",
            b"\x9b",
            b"\\u{9b}",
            b"\\",
        ];
        let shown: Vec<String> = inputs
            .iter()
            .map(|i| visible_bytes(i).into_owned())
            .collect();
        for (i, a) in shown.iter().enumerate() {
            for b in &shown[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    proptest::proptest! {
        /// The fuzz target's properties (fuzz/fuzz_targets/visible.rs), on
        /// bytes biased towards the unsafe classes and the backslash.
        #[test]
        fn escaping_is_safe_and_injective(
            data in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::num::u8::ANY,
                    proptest::sample::select(b"\\x{}u9b \x1b\r\n\x07\xc2\xe2\x80\xae".to_vec()),
                ],
                0..64,
            ),
        ) {
            let shown = visible_bytes(&data);
            proptest::prop_assert!(!shown.chars().any(is_unsafe), "{:?}", shown);
            proptest::prop_assert_eq!(unescape(&shown), data.clone());
            if data.iter().all(|b| (0x20..0x7f).contains(b) && *b != b'\\') {
                proptest::prop_assert_eq!(shown.as_bytes(), &data[..]);
                proptest::prop_assert!(matches!(shown, Cow::Borrowed(_)));
            }
        }
    }
}
