//! The copy in a local Maildir (the layout of qmail's maildir(5), as Dovecot
//! and mutt read it): written whole into `tmp/` under a unique name, then
//! given its final name in `cur/` with the flag `S` (seen), so a reader
//! never sees half a letter.

use std::{
    fs::{File, OpenOptions},
    io::{self, Write as _},
    os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _},
    path::{Path, PathBuf},
};

use crate::files::Error;

/// Folders smtpwire creates: only their owner can list or enter them.
const PRIVATE_FOLDER: u32 = 0o700;
/// The copy is readable by its owner only.
const PRIVATE_FILE: u32 = 0o600;
/// Unique names tried before giving up (a clash needs the same second,
/// process and 64 random bits).
const TRIES: usize = 8;

/// Writes `letter` into the Maildir at `root` (created with `tmp`, `new`
/// and `cur`, mode 0700, if missing) and returns the file's path in `cur/`.
pub(super) fn deliver(root: &Path, letter: &[u8]) -> Result<PathBuf, Error> {
    for sub in ["tmp", "new", "cur"] {
        let path = root.join(sub);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(PRIVATE_FOLDER)
            .create(&path)
            .map_err(|source| Error::Folder { path, source })?;
    }
    let (tmp, cur) = (root.join("tmp"), root.join("cur"));
    for _ in 0..TRIES {
        let name = unique_name()?;
        let temporary = tmp.join(&name);
        // O_EXCL: a name someone planted (a link included) is never opened.
        let mut file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(PRIVATE_FILE)
            .open(&temporary)
        {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => {
                return Err(Error::Write {
                    path: temporary,
                    source,
                });
            }
        };
        let written = file.write_all(letter).and_then(|()| file.sync_all());
        let final_path = cur.join(format!("{name}:2,S"));
        // link(2) refuses an existing name, so nothing is ever replaced.
        let moved = written.and_then(|()| std::fs::hard_link(&temporary, &final_path));
        let removed = std::fs::remove_file(&temporary);
        match moved {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => {
                return Err(Error::Write {
                    path: final_path,
                    source,
                });
            }
        }
        removed.map_err(|source| Error::Write {
            path: temporary,
            source,
        })?;
        sync(&cur, &final_path)?;
        return Ok(final_path);
    }
    Err(Error::NoFreeName { path: cur })
}

/// `SECONDS.M<micros>P<pid>R<random>.<host>` (the modern maildir name), the
/// host with `/` and `:` escaped as maildir(5) asks.
fn unique_name() -> Result<String, Error> {
    let now = super::wall_clock();
    let (secs, micros) = (now.timestamp(), now.timestamp_subsec_micros());
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| Error::Write {
        path: PathBuf::from("tmp"),
        source: io::Error::other(e.to_string()),
    })?;
    let host = gethostname::gethostname()
        .to_string_lossy()
        .replace('/', "\\057")
        .replace(':', "\\072");
    Ok(format!(
        "{}.M{}P{}R{}.{host}",
        secs,
        micros,
        std::process::id(),
        u64::from_le_bytes(random)
    ))
}

/// Flushes the folder's entries so the new name survives a crash.
fn sync(folder: &Path, written: &Path) -> Result<(), Error> {
    File::open(folder)
        .and_then(|f| f.sync_all())
        .map_err(|source| Error::Sync {
            path: written.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn the_copy_lands_in_cur_flagged_seen_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Mail/Sent");
        let letter = b"From: a@example.org\r\nSubject: x\r\n\r\n.dot line\r\n\xd0\x96\r\n";
        let first = deliver(&root, letter).unwrap();
        let second = deliver(&root, letter).unwrap();
        assert_ne!(first, second);
        for path in [&first, &second] {
            assert_eq!(std::fs::read(path).unwrap(), letter);
            assert!(path.to_string_lossy().ends_with(":2,S"), "{path:?}");
            assert_eq!(path.parent().unwrap(), root.join("cur"));
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        for sub in ["tmp", "new", "cur"] {
            let mode = std::fs::metadata(root.join(sub))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700, "{sub}");
        }
        assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn a_maildir_that_cannot_be_made_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let err = deliver(&blocker.join("Sent"), b"x").unwrap_err();
        assert!(
            err.to_string().contains("cannot create the folder"),
            "{err}"
        );
    }
}
