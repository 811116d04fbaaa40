//! Finds a secret in server text in any form a server could echo it, so the
//! text can be withheld before it is shown or put in an error.
//!
//! A hostile server has the password once AUTH has run and may send it back
//! in a later reply, hoping the client prints it. [`Scrubber::finds`] looks
//! for each registered secret:
//!
//! - plain, case-insensitive (per character, so `ПАРОЛЬ` matches `пароль`),
//!   also with invisible and control characters deleted and with
//!   backslash quoting (`\"`, `\\`) undone;
//! - base64, standard and URL-safe alphabets: every run of base64
//!   characters is decoded at each of the 4 character offsets and the
//!   decoded bytes are searched, so every byte alignment and any position
//!   inside a longer run is covered;
//! - hex, either case, at both nibble offsets;
//! - percent, quoted-printable and C escapes (`%41`, `=41`, `\x41`), with
//!   `+` or `_` read as a space too;
//! - one level of nesting: hex or escapes inside decoded base64.
//!
//! The text may be the output of [`visible`](super::visible::visible): its
//! escapes are undone first, so the search sees the bytes that arrived.
//!
//! Not covered: a secret split across replies, or interleaved with other
//! visible text, or in other encodings (UTF-16, base32, HTML entities,
//! Unicode look-alikes). See docs/SECURITY.md for the rule that decides what
//! happens to text in which a secret is found.

use std::{borrow::Cow, fmt};

use zeroize::Zeroizing;

use super::visible::{Piece, is_unsafe, pieces};

/// What replaces server text in which a secret was found.
pub const WITHHELD: &str = "<text withheld: it contained the password>";

/// A password shorter than this (in characters) may well occur in ordinary
/// server text; the first withholding then says so.
pub const SHORT: usize = 8;

/// One secret, folded for searching (every form wiped on drop).
struct Secret {
    /// Case-folded bytes, for the plain search.
    folded: Zeroizing<Vec<u8>>,
    /// Case-folded, with unsafe characters deleted (may be empty).
    skeleton: Zeroizing<Vec<u8>>,
    /// The exact bytes, for decoded base64 (where case is data).
    exact: Zeroizing<Vec<u8>>,
    /// Characters in the secret.
    chars: usize,
}

/// The registered secrets and the search over every form of them.
#[derive(Default)]
pub struct Scrubber {
    secrets: Vec<Secret>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scrubber")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Scrubber {
    /// A scrubber with no secrets.
    pub fn new() -> Scrubber {
        Scrubber::default()
    }

    /// Registers a secret of any length (the empty string is ignored: it
    /// occurs everywhere and hides nothing).
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let folded = Zeroizing::new(fold(secret.as_bytes()));
        if self.secrets.iter().any(|s| *s.folded == *folded) {
            return;
        }
        self.secrets.push(Secret {
            skeleton: Zeroizing::new(skeleton(&folded)),
            folded,
            exact: Zeroizing::new(secret.as_bytes().to_vec()),
            chars: secret.chars().count(),
        });
    }

    /// Whether no secret is registered.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Whether a registered secret is short enough (fewer than [`SHORT`]
    /// characters) to occur in ordinary text by chance.
    pub fn has_short_secret(&self) -> bool {
        self.secrets.iter().any(|s| s.chars < SHORT)
    }

    /// Whether `text` (plain or [`visible`](super::visible::visible)
    /// output) holds a registered secret in any form.
    pub fn finds(&self, text: &str) -> bool {
        self.finds_at_least(text, 0)
    }

    /// [`Scrubber::finds`] for the secrets of at least [`SHORT`]
    /// characters only: those do not occur in ordinary text by chance.
    pub fn finds_long(&self, text: &str) -> bool {
        self.finds_at_least(text, SHORT)
    }

    fn finds_at_least(&self, text: &str, min_chars: usize) -> bool {
        let search = Search {
            secrets: self
                .secrets
                .iter()
                .filter(|s| s.chars >= min_chars)
                .collect(),
        };
        if search.secrets.is_empty() || text.is_empty() {
            return false;
        }
        let raw = unescaped(text, true);
        let stripped = unescaped(text, false);
        // Text that is not `visible` output is searched as it stands too.
        search.plain(&fold(&stripped))
            || search.finds_in_bytes(&raw, true)
            || (text.contains('\\') && search.finds_in_bytes(text.as_bytes(), true))
    }

    /// `text`, or [`WITHHELD`] when it holds a secret.
    pub fn withhold<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if self.finds(text) {
            Cow::Borrowed(WITHHELD)
        } else {
            Cow::Borrowed(text)
        }
    }
}

/// The secrets one search looks for.
struct Search<'s> {
    secrets: Vec<&'s Secret>,
}

impl Search<'_> {
    /// The search on raw bytes; `nest` allows one more level of decoding.
    fn finds_in_bytes(&self, raw: &[u8], nest: bool) -> bool {
        let folded = fold(raw);
        if self.plain(&folded) || self.plain(&fold(&unquote(raw))) {
            return true;
        }
        for space in [None, Some(b'+'), Some(b'_')] {
            if self.plain(&fold(&unpercent(raw, space))) {
                return true;
            }
        }
        for decoded in unhex(raw) {
            if self.exact_or_folded(&decoded) {
                return true;
            }
        }
        for decoded in unbase64(raw) {
            if self.exact_or_folded(&decoded) || (nest && self.finds_in_bytes(&decoded, false)) {
                return true;
            }
        }
        false
    }

    /// A folded secret (or its skeleton) inside folded text.
    fn plain(&self, folded_text: &[u8]) -> bool {
        self.secrets.iter().any(|s| {
            contains(folded_text, &s.folded)
                || (!s.skeleton.is_empty() && contains(folded_text, &s.skeleton))
        })
    }

    /// A secret inside decoded bytes: exactly, or case-folded.
    fn exact_or_folded(&self, decoded: &[u8]) -> bool {
        self.secrets.iter().any(|s| contains(decoded, &s.exact)) || self.plain(&fold(decoded))
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}

/// Lower-cases character by character (not `str::to_lowercase`, whose
/// final-sigma rule depends on context), keeping invalid bytes as they are,
/// so that folding text containing a secret yields text containing the
/// folded secret.
fn fold(bytes: &[u8]) -> Vec<u8> {
    // Room for the longest lower-casing (`İ` → `i̇` grows by half), so the
    // folded secret is never moved, leaving a copy behind in freed memory.
    let mut out = Vec::with_capacity(bytes.len() * 2);
    let mut buf = [0u8; 4];
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            for lower in c.to_lowercase() {
                out.extend_from_slice(lower.encode_utf8(&mut buf).as_bytes());
            }
        }
        out.extend_from_slice(chunk.invalid());
    }
    out
}

/// Folded bytes with every unsafe character deleted.
fn skeleton(folded: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(folded.len());
    for chunk in folded.utf8_chunks() {
        for c in chunk.valid().chars().filter(|&c| !is_unsafe(c)) {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
    }
    out
}

/// The bytes behind [`visible`](super::visible::visible) output; with
/// `keep_hidden` false, escaped and unsafe characters and bytes are dropped
/// instead (so `pass\u{200b}word` reads `password`).
fn unescaped(text: &str, keep_hidden: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) if keep_hidden => out.extend_from_slice(t.as_bytes()),
            Piece::Text(t) => {
                for c in t.chars().filter(|&c| !is_unsafe(c)) {
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
            }
            Piece::Backslash => out.push(b'\\'),
            Piece::Char(c) if keep_hidden => {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
            Piece::Byte(b) if keep_hidden => out.push(b),
            Piece::Char(_) | Piece::Byte(_) => {}
        }
    }
    out
}

/// Backslash quoting undone: `\X` becomes `X` (quoted strings, JSON).
fn unquote(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut iter = raw.iter();
    while let Some(&b) = iter.next() {
        if b == b'\\'
            && let Some(&next) = iter.next()
        {
            out.push(next);
            continue;
        }
        out.push(b);
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `%41`, `=41` and `\x41` decoded; with `space`, that byte reads as a
/// space too (`+` in forms, `_` in RFC 2047 Q-encoding).
fn unpercent(raw: &[u8], space: Option<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        let (prefix, at) = match b {
            b'%' | b'=' => (true, i + 1),
            b'\\' if raw.get(i + 1) == Some(&b'x') => (true, i + 2),
            _ => (false, i),
        };
        if prefix
            && let (Some(hi), Some(lo)) = (
                raw.get(at).copied().and_then(hex_value),
                raw.get(at + 1).copied().and_then(hex_value),
            )
        {
            out.push(hi << 4 | lo);
            i = at + 2;
            continue;
        }
        out.push(if Some(b) == space { b' ' } else { b });
        i += 1;
    }
    out
}

/// Every run of hex digits (at least two), decoded at both nibble offsets.
fn unhex(raw: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for run in raw.split(|b| hex_value(*b).is_none()) {
        if run.len() < 2 {
            continue;
        }
        for offset in 0..2 {
            let decoded: Vec<u8> = run[offset..]
                .chunks_exact(2)
                .filter_map(|pair| Some(hex_value(pair[0])? << 4 | hex_value(pair[1])?))
                .collect();
            out.push(decoded);
        }
    }
    out
}

/// The 6-bit value of a base64 character, either alphabet.
fn b64_value(b: u8) -> Option<u32> {
    match b {
        b'A'..=b'Z' => Some(u32::from(b - b'A')),
        b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Every run of base64 characters (at least two), decoded from each of the
/// 4 character offsets; a partial last group gives its whole bytes.
fn unbase64(raw: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for run in raw.split(|b| b64_value(*b).is_none()) {
        if run.len() < 2 {
            continue;
        }
        for offset in 0..4.min(run.len() - 1) {
            let mut decoded = Vec::with_capacity(run.len() * 3 / 4);
            for group in run[offset..].chunks(4) {
                let mut acc = 0u32;
                for &c in group {
                    acc = acc << 6 | b64_value(c).unwrap_or(0);
                }
                let bits = 6 * group.len();
                acc <<= 24 - bits;
                let bytes = acc.to_be_bytes();
                decoded.extend_from_slice(&bytes[1..=(bits / 8)]);
            }
            out.push(decoded);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use base64::{
        Engine as _,
        engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    };

    use super::*;
    use crate::smtp::visible::visible;

    fn scrubber(secrets: &[&str]) -> Scrubber {
        let mut s = Scrubber::new();
        for secret in secrets {
            s.add(secret);
        }
        s
    }

    fn hex_upper(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    fn hex_lower(bytes: &[u8]) -> String {
        hex_upper(bytes).to_ascii_lowercase()
    }

    fn escaped(bytes: &[u8], prefix: &str) -> String {
        bytes.iter().map(|b| format!("{prefix}{b:02X}")).collect()
    }

    /// Every form a server could echo `secret` in, by name. Base64 forms
    /// put 0, 1 and 2 bytes before the secret, so it sits at each of the
    /// three byte alignments.
    fn forms(secret: &str) -> Vec<(String, String)> {
        let raw = secret.as_bytes();
        let mut forms = vec![
            ("plain".to_owned(), secret.to_owned()),
            ("upper".to_owned(), secret.to_uppercase()),
            ("hex lower".to_owned(), hex_lower(raw)),
            ("hex upper".to_owned(), hex_upper(raw)),
            ("percent".to_owned(), escaped(raw, "%")),
            ("qp".to_owned(), escaped(raw, "=")),
            ("c escapes".to_owned(), escaped(raw, "\\x")),
            (
                "quoted".to_owned(),
                format!("\"{}\"", secret.replace('\\', "\\\\").replace('"', "\\\"")),
            ),
            (
                "zero-width split".to_owned(),
                secret
                    .chars()
                    .flat_map(|c| [c, '\u{200b}'])
                    .collect::<String>(),
            ),
        ];
        for pad in 0..3 {
            let mut data = b"xyz"[..pad].to_vec();
            data.extend_from_slice(raw);
            data.extend_from_slice(b"!?");
            forms.push((format!("base64 align {pad}"), STANDARD.encode(&data)));
            forms.push((
                format!("base64url align {pad}"),
                URL_SAFE_NO_PAD.encode(&data),
            ));
            // Inside a longer run, at each character offset.
            for lead in ["", "Q", "QU", "QUJ"] {
                forms.push((
                    format!("base64 align {pad} after {lead:?}"),
                    format!("{lead}{}", URL_SAFE_NO_PAD.encode(&data)),
                ));
            }
        }
        forms.push(("base64 of hex".to_owned(), STANDARD.encode(hex_lower(raw))));
        forms
    }

    const PASSWORDS: [&str; 7] = [
        "Tr0ub4dor&3-zebra",
        "dävé-Пароль ünï 1",
        "ca:rol P@55 \"w0rd\"\\x",
        "mail",
        "abc",
        "xy",
        "q",
    ];

    #[test]
    fn finds_every_form_at_every_position() {
        for password in PASSWORDS {
            let s = scrubber(&[password]);
            for (name, form) in forms(password) {
                for (place, text) in [
                    ("alone", form.clone()),
                    ("start", format!("{form} is what you sent")),
                    ("middle", format!("550 5.7.1 you said {form} twice")),
                    ("end", format!("535 5.7.8 bad: {form}")),
                    // Where the old parser cut malformed lines.
                    (
                        "across 120",
                        format!("{}{form}{}", "z".repeat(118), "y".repeat(40)),
                    ),
                ] {
                    assert!(s.finds(&text), "{password:?} {name} at {place}: {text:?}");
                    // Escaped for display, it is still found.
                    let shown = visible(&text);
                    assert!(
                        s.finds(&shown),
                        "{password:?} {name} {place} shown: {shown:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn finds_the_plain_blob_and_its_password() {
        let blob = STANDARD.encode("\0bob@example.org\0hunter2!x");
        let s = scrubber(&["hunter2!x", &blob]);
        for text in [
            format!("501 5.5.2 cannot decode {blob}"),
            format!("501 {}", &blob[3..]),
            format!("501 {}", STANDARD.encode(format!("ab{blob}"))),
        ] {
            assert!(s.finds(&text), "{text}");
        }
    }

    #[test]
    fn ordinary_text_is_not_a_hit_for_a_long_password() {
        let s = scrubber(&["Tr0ub4dor&3-zebra", "dävé-Пароль ünï 1"]);
        let ehlo = [
            "mx.example.org Hello client.example.org [192.0.2.1]",
            "PIPELINING",
            "SIZE 10240000",
            "VRFY",
            "ETRN",
            "AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5 XOAUTH2 OAUTHBEARER",
            "AUTH=PLAIN LOGIN",
            "ENHANCEDSTATUSCODES",
            "8BITMIME",
            "DSN",
            "SMTPUTF8",
            "CHUNKING",
            "2.0.0 Ok: queued as 4Xb2Hk0dKkz9vFf",
            "VXNlcm5hbWU6",
            "UGFzc3dvcmQ6",
            "2.7.0 Authentication successful",
            "5.7.8 Error: authentication failed: UGFzc3dvcmQ6",
            "mx.google.com ESMTP d2e1a72fcca58-6c1b2f3a4e5d6si1234567pjb.99 - gsmtp",
        ];
        for line in ehlo {
            assert!(!s.finds(line), "{line}");
        }
    }

    #[test]
    fn short_passwords_are_protected_and_flagged() {
        let s = scrubber(&["mail"]);
        assert!(s.has_short_secret());
        assert_eq!(s.withhold("mail.example.org ESMTP"), WITHHELD);
        assert_eq!(s.withhold("ready"), "ready");
        assert!(!scrubber(&["Tr0ub4dor&3-zebra"]).has_short_secret());
        assert!(!Scrubber::new().finds("anything"));
        let empty = scrubber(&[""]);
        assert!(empty.is_empty());
    }

    #[test]
    fn debug_shows_no_secret() {
        let s = scrubber(&["hunter2!x"]);
        assert_eq!(format!("{s:?}"), "Scrubber { secrets: 1 }");
    }
}
