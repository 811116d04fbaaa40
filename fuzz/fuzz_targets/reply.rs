//! The reply parser on arbitrary bytes: never panics, never reads past its
//! 4 KiB bound, a parsed reply prints back to the lines it came from, and no
//! unsafe character survives into the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpwire::smtp::{
    reply::{MAX_REPLY, ParseError, SHORT_LINE, parse, shorten},
    visible::{is_unsafe, visible_bytes},
};

fuzz_target!(|data: &[u8]| {
    match parse(data) {
        Ok(Some((reply, used))) => {
            assert!(used <= data.len() && used <= MAX_REPLY);
            assert!(!reply.lines().is_empty());
            let rendered: Vec<String> = reply.wire_lines().collect();
            // Reply text is escaped at parse time.
            assert!(!rendered.iter().any(|l| l.chars().any(is_unsafe)));
            assert_eq!(rendered.len(), reply.lines().len());
            let _ = reply.message();
            let _ = reply.enhanced();
        }
        Ok(None) => assert!(data.len() <= MAX_REPLY),
        Err(ParseError::Malformed(raw)) => {
            assert!(raw.len() <= MAX_REPLY);
            let line = shorten(&visible_bytes(&raw));
            assert!(line.chars().count() <= SHORT_LINE + 1);
        }
        Err(ParseError::TooLong) => assert!(data.len() > MAX_REPLY || data.len() >= 3),
    }
});
