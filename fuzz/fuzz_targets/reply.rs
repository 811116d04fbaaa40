//! The reply parser on arbitrary bytes: never panics, never reads past its
//! 4 KiB bound, and a parsed reply prints back to the lines it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpwire::smtp::reply::{MAX_REPLY, ParseError, parse};

fuzz_target!(|data: &[u8]| {
    match parse(data) {
        Ok(Some((reply, used))) => {
            assert!(used <= data.len() && used <= MAX_REPLY);
            assert!(!reply.lines().is_empty());
            let rendered: Vec<String> = reply.wire_lines().collect();
            assert_eq!(rendered.len(), reply.lines().len());
            let _ = reply.message();
            let _ = reply.enhanced();
        }
        Ok(None) => assert!(data.len() <= MAX_REPLY),
        Err(ParseError::Malformed(line)) => assert!(line.chars().count() <= 121),
        Err(ParseError::TooLong) => assert!(data.len() > MAX_REPLY || data.len() >= 3),
    }
});
