//! Path completion for the composer's attach prompt (F5): what Tab
//! inserts and which names to show, from what is typed, the current
//! folder and HOME.
//!
//! The logic is [`complete_in`], a function of the typed text and a
//! folder listing, so it is tested without a file system; [`complete`]
//! reads the folder (at most a bounded number of entries) and calls it.
//! The typed text stays as typed (`~/Doc` completes to `~/Documents/`);
//! [`expand`] turns it into the path to open.
//!
//! Choices: folders first, then files, each sorted case-insensitively, as
//! file pickers (mc, ranger, GTK) show them, so the way down is at the top;
//! hidden names only when the typed name starts with `.`; names that are
//! not UTF-8 are left out, because they could not be typed back into the
//! prompt; matching is case-sensitive, as the file system is.

use std::path::{Path, PathBuf};

/// Entries read from one folder at most: a folder of a million files
/// costs a bounded pause, and the list says it was cut.
pub const MAX_ENTRIES: usize = 5_000;

/// One entry of a folder listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The file name.
    pub name: String,
    /// A folder, or a link to one.
    pub is_dir: bool,
}

/// What the prompt does on Tab.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    /// The prompt's new text: the typed text extended by the longest
    /// prefix all candidates share, a whole name (and `/` for a folder)
    /// when only one matches; unchanged when nothing does.
    pub text: String,
    /// The matching names to show, folders with a trailing `/`, folders
    /// first, then files, each in case-insensitive order.
    pub candidates: Vec<String>,
    /// The folder had more entries than were read ([`MAX_ENTRIES`]): the
    /// list may be missing some.
    pub truncated: bool,
}

/// Completes `typed` against the folder it names, read from disk. An
/// unreadable or missing folder gives no candidates.
pub fn complete(typed: &str, cwd: &Path, home: Option<&Path>) -> Completion {
    let typed = if typed == "~" { "~/" } else { typed };
    let (folder, _) = split(typed);
    let dir = if folder.is_empty() {
        cwd.to_path_buf()
    } else {
        expand(folder, cwd, home)
    };
    let (entries, truncated) = read_folder(&dir, MAX_ENTRIES);
    let mut completion = complete_in(typed, entries);
    completion.truncated = truncated;
    completion
}

/// Completes `typed` against `entries`, the listing of the folder its
/// part up to the last `/` names (see [`complete`]).
pub fn complete_in(typed: &str, entries: impl IntoIterator<Item = Entry>) -> Completion {
    // A lone "~" is the home folder: complete it to "~/" first.
    if typed == "~" {
        return Completion {
            text: "~/".into(),
            ..Completion::default()
        };
    }
    let (folder, prefix) = split(typed);
    let show_hidden = prefix.starts_with('.');
    let mut matches: Vec<Entry> = entries
        .into_iter()
        .filter(|e| e.name.starts_with(prefix) && (show_hidden || !e.name.starts_with('.')))
        .collect();
    matches.sort_by(|a, b| {
        b.is_dir
            .cmp(&a.is_dir)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.name.cmp(&b.name))
    });
    let text = match matches.as_slice() {
        [] => typed.to_string(),
        [only] => format!(
            "{folder}{}{}",
            only.name,
            if only.is_dir { "/" } else { "" }
        ),
        [first, rest @ ..] => {
            let common = rest.iter().fold(first.name.as_str(), |acc, e| {
                &acc[..common_prefix_len(acc, &e.name)]
            });
            format!(
                "{folder}{}",
                if common.len() > prefix.len() {
                    common
                } else {
                    prefix
                }
            )
        }
    };
    Completion {
        text,
        candidates: matches
            .into_iter()
            .map(|e| if e.is_dir { e.name + "/" } else { e.name })
            .collect(),
        truncated: false,
    }
}

/// The path the typed text names: `~` and `~/…` in HOME (kept as typed
/// without one), a relative path under `cwd`.
pub fn expand(typed: &str, cwd: &Path, home: Option<&Path>) -> PathBuf {
    let rest = match typed.strip_prefix('~') {
        Some("") => Some(""),
        Some(rest) => rest.strip_prefix('/'),
        None => None,
    };
    match (rest, home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => cwd.join(typed),
    }
}

/// The typed text up to and including its last `/`, and the name after.
fn split(typed: &str) -> (&str, &str) {
    match typed.rfind('/') {
        Some(i) => typed.split_at(i + 1),
        None => ("", typed),
    }
}

/// Octets of the longest common prefix of `a` and `b`, at a character
/// boundary.
fn common_prefix_len(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, ca), cb)| ca != cb)
        .map_or_else(|| a.len().min(b.len()), |((i, _), _)| i)
}

/// Up to `max` entries of `dir`, and whether there were more.
fn read_folder(dir: &Path, max: usize) -> (Vec<Entry>, bool) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return (Vec::new(), false);
    };
    let mut entries = Vec::new();
    for entry in read.flatten() {
        if entries.len() == max {
            return (entries, true);
        }
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let is_dir = match entry.file_type() {
            // Only a link needs a second look, at what it points to.
            Ok(t) if t.is_symlink() => entry.path().is_dir(),
            Ok(t) => t.is_dir(),
            Err(_) => false,
        };
        entries.push(Entry { name, is_dir });
    }
    (entries, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str, is_dir: bool) -> Entry {
        Entry {
            name: name.into(),
            is_dir,
        }
    }

    #[test]
    fn completion_table() {
        let listing = || {
            vec![
                e("Документы", true),
                e("Доклад.pdf", false),
                e("report 2026.pdf", false),
                e("report 2025.pdf", false),
                e("reports", true),
                e(".hidden", false),
                e(".config", true),
                e("Zeta.txt", false),
                e("alpha.txt", false),
            ]
        };
        for (typed, text, candidates) in [
            (
                "",
                "",
                vec![
                    "reports/",
                    "Документы/",
                    "alpha.txt",
                    "report 2025.pdf",
                    "report 2026.pdf",
                    "Zeta.txt",
                    "Доклад.pdf",
                ],
            ),
            (
                "rep",
                "report",
                vec!["reports/", "report 2025.pdf", "report 2026.pdf"],
            ),
            (
                "report ",
                "report 202",
                vec!["report 2025.pdf", "report 2026.pdf"],
            ),
            ("report 2026", "report 2026.pdf", vec!["report 2026.pdf"]),
            ("reports", "reports/", vec!["reports/"]),
            ("Док", "Док", vec!["Документы/", "Доклад.pdf"]),
            ("Д", "Док", vec!["Документы/", "Доклад.pdf"]),
            ("Доку", "Документы/", vec!["Документы/"]),
            (".", ".", vec![".config/", ".hidden"]),
            (".h", ".hidden", vec![".hidden"]),
            ("nothing", "nothing", vec![]),
            ("zeta", "zeta", vec![]),
            ("some/dir/al", "some/dir/alpha.txt", vec!["alpha.txt"]),
            ("~/Д", "~/Док", vec!["Документы/", "Доклад.pdf"]),
            ("~", "~/", vec![]),
        ] {
            let got = complete_in(typed, listing());
            assert_eq!(got.text, text, "{typed:?}");
            assert_eq!(got.candidates, candidates, "{typed:?}");
        }
    }

    #[test]
    fn expansion() {
        let cwd = Path::new("/work/here");
        let home = Some(Path::new("/home/ivan"));
        for (typed, home, expected) in [
            ("~", home, "/home/ivan"),
            ("~/", home, "/home/ivan/"),
            ("~/Документы/a b.pdf", home, "/home/ivan/Документы/a b.pdf"),
            ("~other/x", home, "/work/here/~other/x"),
            ("~/x", None, "/work/here/~/x"),
            ("rel/x.txt", home, "/work/here/rel/x.txt"),
            ("/abs/x.txt", home, "/abs/x.txt"),
        ] {
            assert_eq!(expand(typed, cwd, home), Path::new(expected), "{typed:?}");
        }
    }

    #[test]
    fn reads_a_real_tree() {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("home");
        let work = root.path().join("work");
        for dir in [
            home.join("Документы/Отчёты"),
            home.join("Мои файлы"),
            work.join("sub dir"),
        ] {
            std::fs::create_dir_all(dir).unwrap();
        }
        for file in [
            home.join("Документы/Отчёт за март.pdf"),
            home.join("Документы/Отчёт за апрель.pdf"),
            home.join(".profile"),
            work.join("notes.txt"),
            work.join("sub dir/inner file.txt"),
        ] {
            std::fs::write(file, "x").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(home.join("Документы"), work.join("docs-link")).unwrap();

        let h = Some(home.as_path());
        for (typed, text, candidates) in [
            ("~", "~/", vec!["Документы/", "Мои файлы/"]),
            ("~/", "~/", vec!["Документы/", "Мои файлы/"]),
            ("~/.", "~/.profile", vec![".profile"]),
            ("~/Д", "~/Документы/", vec!["Документы/"]),
            (
                "~/Документы/О",
                "~/Документы/Отчёт",
                vec!["Отчёты/", "Отчёт за апрель.pdf", "Отчёт за март.pdf"],
            ),
            (
                "~/Документы/Отчёт за м",
                "~/Документы/Отчёт за март.pdf",
                vec!["Отчёт за март.pdf"],
            ),
            ("su", "sub dir/", vec!["sub dir/"]),
            (
                "sub dir/in",
                "sub dir/inner file.txt",
                vec!["inner file.txt"],
            ),
            ("missing/x", "missing/x", vec![]),
        ] {
            let got = complete(typed, &work, h);
            assert_eq!(got.text, text, "{typed:?}");
            assert_eq!(got.candidates, candidates, "{typed:?}");
            assert!(!got.truncated);
        }
        #[cfg(unix)]
        assert_eq!(complete("docs", &work, h).text, "docs-link/");
        // The completed text opens the file.
        let path = expand("~/Документы/Отчёт за март.pdf", &work, h);
        assert!(path.is_file(), "{}", path.display());
    }

    #[test]
    fn a_huge_folder_is_read_only_so_far() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..30 {
            std::fs::write(dir.path().join(format!("f{i:02}")), "").unwrap();
        }
        let (entries, truncated) = read_folder(dir.path(), 10);
        assert_eq!((entries.len(), truncated), (10, true));
        let (entries, truncated) = read_folder(dir.path(), 30);
        assert_eq!((entries.len(), truncated), (30, false));
    }
}
