//! Address lists as people type them: parsing never panics, and whatever
//! parses prints back to something that parses to the same mailboxes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpwire::mail::{Address, Mailbox};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(list) = Mailbox::parse_list(text) {
        let printed = list.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        let again = Mailbox::parse_list(&printed).expect("a printed list parses");
        assert_eq!(list, again, "{printed:?}");
        for m in &list {
            let _ = m.address.to_ascii();
            let utf8 = m.address.to_utf8();
            assert!(!utf8.contains(['\r', '\n', '\0']));
        }
    }
    if let Ok(address) = Address::parse(text) {
        let printed = address.to_string();
        assert_eq!(Address::parse(&printed).expect("a printed address parses"), address);
    }
});
