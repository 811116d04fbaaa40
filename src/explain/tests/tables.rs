//! The tables cover the IANA registry and the RFC reply codes, sorted.

use std::collections::HashSet;

use super::*;

const REGISTRY: &str = include_str!("../../../tests/fixtures/enhanced-status-codes.txt");
const REPLY_CODES: &str = include_str!("../../../tests/fixtures/reply-codes.txt");

/// The fixture's `code<TAB>title<TAB>reference` rows.
fn rows(fixture: &str) -> Vec<(&str, &str, &str)> {
    fixture
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 3, "{line:?}");
            (fields[0], fields[1], fields[2])
        })
        .collect()
}

fn number(text: &str) -> u16 {
    text.parse().unwrap()
}

#[test]
fn the_tables_cover_the_iana_registry_with_its_titles() {
    let (mut classes, mut subjects, mut details) = (0, 0, HashSet::new());
    for (code, title, reference) in rows(REGISTRY) {
        let parts: Vec<&str> = code.split('.').collect();
        match parts.as_slice() {
            [class, "XXX", "YYY"] => {
                let info = registry::CLASSES
                    .iter()
                    .find(|c| u16::from(c.class) == number(class))
                    .unwrap_or_else(|| panic!("class {code} missing"));
                assert_eq!((info.title, info.reference), (title, reference), "{code}");
                classes += 1;
            }
            ["X", subject, "YYY"] => {
                let info = registry::SUBJECTS
                    .iter()
                    .find(|s| s.subject == number(subject))
                    .unwrap_or_else(|| panic!("subject {code} missing"));
                assert_eq!((info.title, info.reference), (title, reference), "{code}");
                subjects += 1;
            }
            ["X", subject, detail] => {
                let info = super::detail(number(subject), number(detail))
                    .unwrap_or_else(|| panic!("{code} missing"));
                assert_eq!((info.title, info.reference), (title, reference), "{code}");
                let expected = if title.is_empty() {
                    Origin::Deprecated
                } else {
                    Origin::Standard
                };
                assert_eq!(info.origin, expected, "{code}");
                details.insert((info.subject, info.detail));
            }
            _ => panic!("unreadable fixture code {code}"),
        }
    }
    // And the other way round: nothing claims to be registered that is not.
    assert_eq!(classes, registry::CLASSES.len());
    assert_eq!(subjects, registry::SUBJECTS.len());
    for info in registry::DETAILS {
        let listed = details.contains(&(info.subject, info.detail));
        let extra = matches!(info.origin, Origin::Extra(_));
        assert!(
            listed != extra,
            "X.{}.{}: listed in the registry {listed}, marked extra {extra}",
            info.subject,
            info.detail
        );
        assert!(
            !info.meaning.is_empty(),
            "X.{}.{}",
            info.subject,
            info.detail
        );
    }
}

#[test]
fn the_reply_table_covers_the_rfc_reply_codes() {
    let mut listed = HashSet::new();
    for (code, title, reference) in rows(REPLY_CODES) {
        let info = reply_code(number(code)).unwrap_or_else(|| panic!("{code} missing"));
        assert_eq!((info.title, info.reference), (title, reference), "{code}");
        assert_eq!(info.origin, Origin::Standard, "{code}");
        listed.insert(info.code);
    }
    for info in replies::REPLY_CODES {
        assert_eq!(
            listed.contains(&info.code),
            info.origin == Origin::Standard,
            "{}: an extra must be marked, a standard code listed",
            info.code
        );
        assert!(Code::new(info.code).is_some(), "{}", info.code);
        assert!(!info.meaning.is_empty(), "{}", info.code);
    }
}

#[test]
fn tables_are_sorted_for_binary_search() {
    let codes: Vec<u16> = replies::REPLY_CODES.iter().map(|c| c.code).collect();
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "{codes:?}");
    let keys: Vec<(u16, u16)> = registry::DETAILS
        .iter()
        .map(|d| (d.subject, d.detail))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
}

#[test]
fn status_combines_class_subject_and_detail() {
    let info = status(Enhanced(5, 7, 8)).unwrap();
    assert_eq!(info.class.map(|c| c.title), Some("Permanent Failure"));
    assert_eq!(
        info.subject.map(|s| s.title),
        Some("Security or Policy Status")
    );
    assert_eq!(
        info.detail.map(|d| d.title),
        Some("Authentication credentials invalid")
    );
    for (code, class, subject, detail) in [
        (Enhanced(4, 4, 7), true, true, true),
        (Enhanced(2, 0, 0), true, true, true),
        (Enhanced(5, 7, 999), true, true, false),
        (Enhanced(5, 9, 9), true, false, false),
    ] {
        let info = status(code).unwrap();
        assert_eq!(
            (
                info.class.is_some(),
                info.subject.is_some(),
                info.detail.is_some()
            ),
            (class, subject, detail),
            "{code}"
        );
    }
    assert_eq!(status(Enhanced(3, 1, 1)), None);
}
