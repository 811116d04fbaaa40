//! `visible` on arbitrary bytes: no unsafe character survives, the output
//! is UTF-8, safe text comes back unchanged, and the escaping is injective
//! (unescape gives back exactly the bytes that went in).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpwire::smtp::{
    reply::{SHORT_LINE, shorten},
    visible::{is_unsafe, unescape, visible, visible_bytes},
};

fuzz_target!(|data: &[u8]| {
    let shown = visible_bytes(data);
    // A String is UTF-8 by construction; check the contract anyway.
    assert!(std::str::from_utf8(shown.as_bytes()).is_ok());
    assert!(!shown.chars().any(is_unsafe), "{shown:?}");
    assert_eq!(unescape(&shown), data, "not injective: {shown:?}");
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(visible(text), shown);
        if !text.chars().any(|c| c == '\\' || is_unsafe(c)) {
            assert!(matches!(shown, std::borrow::Cow::Borrowed(_)));
            assert_eq!(shown, text);
        }
    }
    if data.iter().all(|b| (0x20..0x7f).contains(b) && *b != b'\\') {
        assert_eq!(shown.as_bytes(), data);
    }
    // Cutting never splits an escape: the cut text still unescapes.
    let cut = shorten(&shown);
    let body = cut.strip_suffix('…').unwrap_or(&cut);
    assert!(data.starts_with(&unescape(body)), "{cut:?}");
    assert!(cut.chars().count() <= SHORT_LINE + 1);
});
