//! Address completion for To, Cc and Bcc: the addresses this user has sent
//! to (a local file, mode 0600, most recent first), and an optional
//! `address_book_command` that prints `address<TAB>name` lines for a query,
//! as aerc's `address-book-cmd` does (khard, abook, notmuch-addrlookup…).

use std::{
    io,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use crate::{files, mail::Mailbox, secret_command};

/// How many addresses the history keeps (the oldest go first).
pub const HISTORY_LIMIT: usize = 5_000;
/// How many choices the list shows.
pub const SHOWN: usize = 8;
/// How many characters open the list.
pub const MIN_QUERY: usize = 2;
/// How long the address book command may take.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(3);
/// How many lines of the command's output are read.
const COMMAND_LINES: usize = 500;

/// The addresses sent to before, most recent first, one per address
/// (compared without regard to case).
///
/// The file holds one `address<TAB>name` line per recipient, oldest first:
/// `smtpwire send` appends its recipients (one small write, no rewrite),
/// the composer rewrites it deduplicated, and reading keeps each address's
/// newest line (and the newest name given for it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    entries: Vec<Mailbox>,
}

/// A file longer than this is rewritten deduplicated by the next append.
const COMPACT_AT: u64 = 256 * 1024;

impl History {
    /// `addresses` in the data folder.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("addresses")
    }

    /// Reads the file; a missing file is an empty history, and a line that
    /// is not an address is skipped.
    pub fn load(path: &Path) -> io::Result<History> {
        let text = match read_tail(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(History::default()),
            Err(e) => return Err(e),
        };
        // Newest first, one entry per address; an older line only gives a
        // name the newer one lacks.
        let mut entries: Vec<Mailbox> = Vec::new();
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for mailbox in text.lines().rev().filter_map(parse_line) {
            let key = mailbox.address.to_utf8().to_lowercase();
            match seen.get(&key) {
                Some(&at) if entries[at].name.is_none() => entries[at].name = mailbox.name,
                None if entries.len() < HISTORY_LIMIT => {
                    seen.insert(key, entries.len());
                    entries.push(mailbox);
                }
                // Known with a name, or beyond the limit.
                _ => {}
            }
        }
        Ok(History { entries })
    }

    /// Puts these recipients first (a name given now replaces none); the
    /// first of them counts as the most recent.
    pub fn remember(&mut self, sent: &[Mailbox]) {
        for mailbox in sent.iter().rev() {
            let key = mailbox.address.to_utf8().to_lowercase();
            let old = self
                .entries
                .iter()
                .position(|m| m.address.to_utf8().to_lowercase() == key)
                .map(|i| self.entries.remove(i));
            let mut mailbox = mailbox.clone();
            if mailbox.name.is_none() {
                mailbox.name = old.and_then(|m| m.name);
            }
            self.entries.insert(0, mailbox);
        }
        self.entries.truncate(HISTORY_LIMIT);
    }

    /// Writes the file deduplicated, with mode 0600 (atomically, not
    /// synced: it is a cache).
    pub fn save(&self, path: &Path) -> Result<(), files::Error> {
        let mut text = String::new();
        for m in self.entries.iter().rev() {
            push_line(&mut text, m);
        }
        files::write_cache(path, text.as_bytes())
    }

    /// Adds recipients to the file without reading it (the first counts as
    /// the most recent); a file grown large is rewritten deduplicated.
    pub fn append(path: &Path, sent: &[Mailbox]) -> Result<(), String> {
        if sent.is_empty() {
            return Ok(());
        }
        if std::fs::metadata(path).is_ok_and(|m| m.len() > COMPACT_AT) {
            let mut history = History::load(path).map_err(|e| e.to_string())?;
            history.remember(sent);
            return history.save(path).map_err(|e| e.to_string());
        }
        if let Some(dir) = path.parent() {
            files::create_folder(dir).map_err(|e| e.to_string())?;
        }
        let mut text = String::new();
        for m in sent.iter().rev() {
            push_line(&mut text, m);
        }
        let mut file = files::open_append_private(path).map_err(|e| e.to_string())?;
        io::Write::write_all(&mut file.file, text.as_bytes()).map_err(|e| e.to_string())
    }

    /// Every address, most recent first.
    pub fn entries(&self) -> &[Mailbox] {
        &self.entries
    }
}

/// The file's last [`READ_LIMIT`] bytes from the start of a line, as text
/// (invalid UTF-8 replaced): a history grown huge (or planted) costs no
/// more than that to read.
fn read_tail(path: &Path) -> io::Result<String> {
    use std::io::{Read as _, Seek as _};
    // Not blocking on a FIFO planted in its place.
    let mut file =
        files::open_to_read(path)?.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    let len = meta.len();
    let start = len.saturating_sub(READ_LIMIT);
    file.seek(io::SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(READ_LIMIT).read_to_end(&mut bytes)?;
    if start > 0 {
        // The first line is cut: start after it.
        let first = bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        bytes.drain(..first);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// How much of the history file is read: far more than [`HISTORY_LIMIT`]
/// addresses need.
const READ_LIMIT: u64 = 1 << 20;

/// `address<TAB>name\n`.
fn push_line(text: &mut String, m: &Mailbox) {
    text.push_str(&m.address.to_utf8());
    if let Some(name) = &m.name {
        text.push('\t');
        text.push_str(name);
    }
    text.push('\n');
}

/// The recipients a server accepted, with the names they were typed with
/// (`typed`: the letter's To, Cc and Bcc).
pub fn accepted(typed: &[Mailbox], delivery: &crate::smtp::Delivery) -> Vec<Mailbox> {
    delivery
        .recipients
        .iter()
        .filter(|r| r.accepted())
        .filter_map(|r| {
            // As sent, the domain may be in its ASCII form.
            let same = |m: &&Mailbox| {
                m.address.to_utf8().eq_ignore_ascii_case(&r.address)
                    || m.address
                        .to_ascii()
                        .is_ok_and(|a| a.eq_ignore_ascii_case(&r.address))
            };
            typed
                .iter()
                .find(same)
                .cloned()
                .or_else(|| Mailbox::parse(&r.address).ok())
        })
        .collect()
}

/// `address<TAB>name[<TAB>anything]`: the address must parse; control
/// characters in the name are dropped.
fn parse_line(line: &str) -> Option<Mailbox> {
    let mut fields = line.split('\t');
    let address = fields.next()?.trim();
    if !address.contains('@') {
        return None;
    }
    let mut mailbox = Mailbox::parse(address).ok()?;
    mailbox.name = fields
        .next()
        // Control, bidi and invisible characters (a command's output or a
        // planted file) would reach the screen and the letter's headers.
        .map(|n| {
            n.chars()
                .filter(|&c| !crate::chars::is_unsafe(c))
                .collect::<String>()
        })
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|n| !n.is_empty());
    Some(mailbox)
}

/// How well a mailbox matches a query (lower is better): the address
/// starts with it, a word of the name does, the address holds it, the
/// name holds it.
fn rank(mailbox: &Mailbox, query: &str) -> Option<u8> {
    let address = mailbox.address.to_utf8().to_lowercase();
    let name = mailbox.name.as_deref().unwrap_or_default().to_lowercase();
    if address.starts_with(query) {
        Some(0)
    } else if name.split_whitespace().any(|w| w.starts_with(query)) {
        Some(1)
    } else if address.contains(query) {
        Some(2)
    } else if name.contains(query) {
        Some(3)
    } else {
        None
    }
}

/// The choices for `query`: the history's and the address book's matches,
/// best first (the history's first among equals), one per address, at
/// most [`SHOWN`]; addresses already in the field (`taken`) are left out.
pub fn choices(
    history: &[Mailbox],
    found: &[Mailbox],
    query: &str,
    taken: &[String],
) -> Vec<Mailbox> {
    let query = query.trim().to_lowercase();
    if query.chars().count() < MIN_QUERY {
        return Vec::new();
    }
    let mut ranked: Vec<(u8, usize, &Mailbox)> = history
        .iter()
        .chain(found)
        .enumerate()
        .filter_map(|(i, m)| rank(m, &query).map(|r| (r, i, m)))
        .collect();
    ranked.sort_by_key(|(r, i, _)| (*r, *i));
    let mut seen: Vec<String> = taken.iter().map(|a| a.to_lowercase()).collect();
    let mut out = Vec::new();
    for (_, _, m) in ranked {
        let key = m.address.to_utf8().to_lowercase();
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        out.push(m.clone());
        if out.len() == SHOWN {
            break;
        }
    }
    out
}

/// The entry being typed in an address list: the text after the last
/// comma or semicolon before the cursor, and where it starts (bytes).
pub fn current_entry(text: &str, cursor: usize) -> (usize, &str) {
    let before = &text[..cursor.min(text.len())];
    let start = before.rfind([',', ';']).map_or(0, |i| i + 1);
    let typed = &before[start..];
    let lead = typed.len() - typed.trim_start().len();
    (start + lead, typed.trim_start())
}

/// The field's text with the entry at the cursor replaced by `mailbox`,
/// followed by ", " when nothing comes after; and the new cursor.
pub fn accept(text: &str, cursor: usize, mailbox: &Mailbox) -> (String, usize) {
    let (start, _) = current_entry(text, cursor);
    let after = &text[cursor.min(text.len())..];
    let rest = after.find([',', ';']).map_or("", |i| &after[i..]);
    let chosen = mailbox.to_string();
    let mut out = String::with_capacity(text.len() + chosen.len() + 2);
    out.push_str(&text[..start]);
    out.push_str(&chosen);
    if rest.is_empty() {
        out.push_str(", ");
        let cursor = out.len();
        return (out, cursor);
    }
    let cursor = out.len();
    out.push_str(rest);
    (out, cursor)
}

/// Runs the address book command for `query`: `%s` in it is replaced by
/// the query quoted for `sh` (or the quoted query is appended), with no
/// stdin and the environment of the password command (no password in it).
/// Lines that are not `address<TAB>name` are skipped.
pub async fn query_command(command: &str, query: &str) -> Result<Vec<Mailbox>, String> {
    let quoted = shell_quote(query);
    let line = if command.contains("%s") {
        command.replace("%s", &quoted)
    } else {
        format!("{command} {quoted}")
    };
    let mut child = tokio::process::Command::from(secret_command::password_command(&line));
    // The screen is the composer's: the command's complaints are captured.
    child
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(COMMAND_DEADLINE, child.output())
        .await
        .map_err(|_| {
            format!(
                "the address book command took longer than {} s",
                COMMAND_DEADLINE.as_secs()
            )
        })?
        .map_err(|e| format!("the address book command cannot run: {e}"))?;
    if !output.status.success() && output.stdout.is_empty() {
        let said = String::from_utf8_lossy(&output.stderr);
        let said = said.lines().next().unwrap_or_default();
        return Err(format!(
            "the address book command failed ({}){}",
            output.status,
            if said.is_empty() {
                String::new()
            } else {
                format!(": {}", crate::smtp::visible::visible(said))
            }
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .take(COMMAND_LINES)
        .filter_map(parse_line)
        .collect())
}

/// `'text'`, with `'` written as `'\''`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {

    /// A name from the address book command or the file keeps no control,
    /// bidi or invisible character: it goes to the screen and a header.
    #[test]
    fn names_lose_control_bidi_and_invisible_characters() {
        let m = parse_line("ivan@example.org\tИван\u{202e}ten\u{200b} \x1b[2J Петров").unwrap();
        assert_eq!(m.name.as_deref(), Some("Иванten [2J Петров"));
    }

    /// A history grown huge (or planted) is read from its last MiB only:
    /// the newest addresses, bounded time and memory; a FIFO in its place
    /// does not block.
    #[test]
    fn a_huge_history_costs_a_mebibyte_and_a_fifo_no_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = History::path(dir.path());
        let mut text = String::new();
        for i in 0..200_000 {
            text.push_str(&format!("old{i}@example.org\tOld {i}\n"));
        }
        text.push_str("newest@example.org\tNewest\n");
        std::fs::write(&path, &text).unwrap();
        assert!(text.len() as u64 > 4 * READ_LIMIT);
        let history = History::load(&path).unwrap();
        assert_eq!(history.entries().len(), HISTORY_LIMIT);
        assert_eq!(history.entries()[0].address.to_utf8(), "newest@example.org");
        assert_eq!(history.entries()[0].name.as_deref(), Some("Newest"));

        std::fs::remove_file(&path).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        assert!(History::load(&path).is_err());
    }
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mb(s: &str) -> Mailbox {
        Mailbox::parse(s).unwrap()
    }

    #[test]
    fn the_history_keeps_the_latest_first_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = History::path(dir.path());
        let mut history = History::load(&path).unwrap();
        history.remember(&[mb("Мария <maria@example.org>"), mb("bob@example.org")]);
        history.remember(&[mb("olga@example.org"), mb("MARIA@example.org")]);
        history.save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let loaded = History::load(&path).unwrap();
        let shown: Vec<String> = loaded.entries().iter().map(ToString::to_string).collect();
        // The name typed before stays when the address comes back without one.
        assert_eq!(
            shown,
            [
                "olga@example.org",
                "Мария <MARIA@example.org>",
                "bob@example.org"
            ]
        );
    }

    #[test]
    fn appends_and_rewrites_read_back_alike() {
        let dir = tempfile::tempdir().unwrap();
        let path = History::path(dir.path());
        History::append(
            &path,
            &[mb("Мария <maria@example.org>"), mb("bob@example.org")],
        )
        .unwrap();
        History::append(&path, &[mb("olga@example.org"), mb("MARIA@example.org")]).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let appended = History::load(&path).unwrap();
        let mut remembered = History::default();
        remembered.remember(&[mb("Мария <maria@example.org>"), mb("bob@example.org")]);
        remembered.remember(&[mb("olga@example.org"), mb("MARIA@example.org")]);
        assert_eq!(appended, remembered);
        remembered.save(&path).unwrap();
        assert_eq!(History::load(&path).unwrap(), remembered);
    }

    #[test]
    fn broken_lines_are_skipped() {
        assert_eq!(parse_line("no address here"), None);
        assert_eq!(parse_line("a@@b\tx"), None);
        let m = parse_line("ann@example.org\tAnn \u{1b}[31m Lee\tfriend").unwrap();
        assert_eq!(m.to_string(), "\"Ann [31m Lee\" <ann@example.org>");
    }

    #[test]
    fn choices_rank_prefixes_first_and_skip_what_is_taken() {
        let history = [
            mb("Bob Marsh <bob@example.org>"),
            mb("Мария Иванова <maria@example.org>"),
            mb("mark@example.org"),
        ];
        let found = [
            mb("Maria Book <maria@example.org>"),
            mb("Mar Tin <tin@example.net>"),
        ];
        let shown = |q: &str, taken: &[String]| -> Vec<String> {
            choices(&history, &found, q, taken)
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            shown("mar", &[]),
            [
                "Мария Иванова <maria@example.org>",
                "mark@example.org",
                "Bob Marsh <bob@example.org>",
                "Mar Tin <tin@example.net>"
            ]
        );
        assert_eq!(shown("ИВА", &[]), ["Мария Иванова <maria@example.org>"]);
        assert_eq!(
            shown("mar", &["MARIA@example.org".into()]),
            [
                "mark@example.org",
                "Bob Marsh <bob@example.org>",
                "Mar Tin <tin@example.net>"
            ]
        );
        assert!(shown("m", &[]).is_empty(), "one character opens nothing");
    }

    #[test]
    fn accepting_replaces_the_entry_at_the_cursor() {
        let text = "Ann <ann@example.org>, mar";
        assert_eq!(current_entry(text, text.len()), (23, "mar"));
        let (out, cursor) = accept(text, text.len(), &mb("\"Doe, Jane\" <jane@example.org>"));
        assert_eq!(
            out,
            "Ann <ann@example.org>, \"Doe, Jane\" <jane@example.org>, "
        );
        assert_eq!(cursor, out.len());
        // In the middle of the list, what follows stays.
        let text = "ma, bob@example.org";
        let (out, cursor) = accept(text, 2, &mb("maria@example.org"));
        assert_eq!(out, "maria@example.org, bob@example.org");
        assert_eq!(cursor, "maria@example.org".len());
    }

    #[tokio::test]
    async fn the_address_book_command_gets_the_query_quoted() {
        // The query arrives as one word, never as shell syntax.
        let found = query_command(
            "echo 'a line to skip'; for q in %s; do echo \"ann@example.org\t$q\"; done",
            "it's; $(rm -rf /) `x`",
        )
        .await
        .unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].name.as_deref(), Some("it's; $(rm -rf /) `x`"));
        let found = query_command(
            "printf 'ann@example.org\\tAnn Lee\\nnot a line\\n'; :",
            "an",
        )
        .await
        .unwrap();
        assert_eq!(found, [mb("Ann Lee <ann@example.org>")]);
        let err = query_command("echo broken >&2; exit 3", "an")
            .await
            .unwrap_err();
        assert!(
            err.contains("exit status: 3") && err.contains("broken"),
            "{err}"
        );
        let err = query_command("sleep 10; :", "an").await.unwrap_err();
        assert!(err.contains("longer than 3 s"), "{err}");
    }
}
