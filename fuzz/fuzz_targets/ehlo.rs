//! The EHLO capability parser on any reply the parser accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpwire::smtp::{Capabilities, reply::parse};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((reply, _))) = parse(data) {
        let caps = Capabilities::from_ehlo(&reply);
        let summary = caps.summary();
        assert!(summary.len() <= reply.lines().len() + 8);
        if let Some(limit) = caps.size_limit() {
            assert!(limit > 0);
        }
        let _ = Capabilities::from_helo(&reply);
    }
});
