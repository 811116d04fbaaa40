//! Does the letter say it has an attachment? Word stems, English and
//! Russian, at the start of a word, in any case, in the subject and in the
//! body's own text: not in quoted reply lines (`>`), not in the signature
//! (after a `-- ` line), where disclaimers about "attachments" live.

/// Stems that mean "attached" in a letter. Chosen for recall: a missed
/// attachment costs a second letter, a false alarm one glance. "enclose"
/// alone is left out ("enclosed in quotes", "enclosing scope"); "приложен"
/// also matches "приложение" (an app), which the message shows the word
/// for, so the user can tell at once.
const STEMS: &[&str] = &[
    "attach",
    "enclosed",
    "enclosure",
    "вложени",
    "вложенн",
    "прикреп",
    "приложен",
    "приложил",
    "прилага",
];

/// The first word in `subject` or `body` that mentions an attachment, as
/// written.
pub(super) fn mention(subject: &str, body: &str) -> Option<String> {
    std::iter::once(subject)
        .chain(own_lines(body))
        .find_map(find_in_line)
}

/// The body's lines up to the signature, without quoted ones.
fn own_lines(body: &str) -> impl Iterator<Item = &str> {
    body.lines()
        .take_while(|line| !matches!(line.trim_end_matches('\r'), "-- " | "--"))
        .filter(|line| !line.trim_start().starts_with('>'))
}

fn find_in_line(line: &str) -> Option<String> {
    let lower = line.to_lowercase();
    // Lower-casing keeps char boundaries for these scripts but not for
    // every one (İ grows), so the word is cut from the lower-case text.
    for stem in STEMS {
        for (at, _) in lower.match_indices(stem) {
            let starts_word = lower[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            if starts_word {
                let word: String = lower[at..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric())
                    .collect();
                return Some(word);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_table() {
        for (subject, body, expected) in [
            ("Report", "Please see the attached file.", Some("attached")),
            ("Attachment: Q3 numbers", "", Some("attachment")),
            ("", "I am ATTACHING the logs.", Some("attaching")),
            ("", "Please find enclosed the contract.", Some("enclosed")),
            ("", "Отчёт во вложении.", Some("вложении")),
            ("", "Прикрепляю договор.", Some("прикрепляю")),
            ("", "Прикреплённый файл — черновик.", Some("прикреплённый")),
            ("", "ПРИЛАГАЮ СЧЁТ", Some("прилагаю")),
            ("", "Приложил скриншот.", Some("приложил")),
            ("", "См. в приложении.", Some("приложении")),
            ("", "Вложенный документ", Some("вложенный")),
            // Not at a word start, or a different word.
            ("", "We reattached nothing.", None),
            (
                "",
                "The text is enclosed in quotes? No: enclose it.",
                Some("enclosed"),
            ),
            ("", "the enclosing scope", None),
            ("Hello", "Nothing to see here.", None),
            // Quoted replies and signatures do not count.
            ("Re: hi", "Fine.\n> I attached the file\n>> вложение", None),
            ("Re: hi", "Fine.\n  > attached", None),
            (
                "Hi",
                "Thanks!\n-- \nJohn\nThis email and any attachments are confidential.",
                None,
            ),
            ("Hi", "Thanks!\r\n--\r\nAttachments are scanned.", None),
            ("Hi", "See attached.\n-- \nJohn", Some("attached")),
        ] {
            assert_eq!(
                mention(subject, body).as_deref(),
                expected,
                "{subject:?} {body:?}"
            );
        }
    }
}
