//! Files on shared machines: private, atomic, never written through a link
//! someone else planted, and a config file that names commands is trusted
//! only when no one else could have changed it.
//!
//! Every file smtpwire writes (the config, the draft, saved logs, `--eml`,
//! `--transcript`, backups) goes through this module, so the rules live in
//! one place (docs/SECURITY.md, "Files on shared machines"):
//!
//! - new files are created exclusively (`O_EXCL`), mode 0600, and new
//!   folders mode 0700; a name another user could have prepared (a
//!   temporary, a backup, a numbered log) is never opened without `O_EXCL`,
//!   which does not follow a link at the last component;
//! - a whole-file write is a temporary with an unpredictable name beside the
//!   target, synced, renamed over the target, then the folder synced: a
//!   reader sees the old file or the new one, and a crash keeps one of them;
//! - an append-only file is opened with `O_NOFOLLOW` and checked on its
//!   descriptor (owner, type, links, mode) before the first byte is written;
//! - a config file that can make smtpwire run a command or read a file is
//!   read once from one descriptor and refused unless only its owner (you
//!   or root) could have written it and its folders (like ssh's `StrictModes`).
//!
//! Linux and the BSDs only: the checks read Unix owners and modes.

use std::{
    ffi::{OsStr, OsString},
    fs::{File, Metadata},
    io::{self, Read as _},
    os::unix::fs::{DirBuilderExt as _, FileTypeExt as _, MetadataExt as _, PermissionsExt as _},
    path::{Path, PathBuf},
};

use rustix::fs::{Mode, OFlags};

pub use self::{
    trust::{check_trusted, names_commands, read_trusted},
    write::{
        backup_broken, create_unique, open_append_private, write_cache, write_private, write_unique,
    },
};

mod trust;
mod write;

/// The only permissions a private file gets: read and write for its owner.
const PRIVATE_FILE: u32 = 0o600;
/// Folders smtpwire creates: only their owner can list or enter them.
const PRIVATE_FOLDER: u32 = 0o700;
/// Write permission for group and others: whoever has it can change a file.
const WRITABLE_BY_OTHERS: u32 = 0o022;
/// The sticky bit: in such a folder only an entry's owner may rename or
/// remove it (`/tmp`).
const STICKY: u32 = 0o1000;
/// Links followed before giving up, the same as Linux's own limit.
const MAX_LINKS: usize = 40;
/// Numbered names tried before giving up (`.broken.999`, `-1000.txt`).
const MAX_NUMBERED: u32 = 1000;
/// Random characters in a temporary's name: 62^12 names, too many to plant.
const RANDOM_CHARS: usize = 12;

/// Config keys that make smtpwire run a command, read a file or write
/// letters somewhere; a config file holding any of them must pass
/// [`check_trusted`]. The last three are planned keys, listed now so the
/// check is in place when they arrive.
pub const COMMAND_KEYS: &[&str] = &[
    // Runs a shell command and sends what it prints as the password.
    "password_command",
    // Decides which certificates are trusted: a planted CA file is a
    // man-in-the-middle.
    "ca_file",
    // Would run a shell command for address completion.
    "address_book_command",
    // Would read any file you can read into every letter you send.
    "signature_file",
    // `sent = "maildir:PATH"` would write letters wherever it points.
    "sent",
];

/// What went wrong with a file, naming it and saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A missing folder could not be created.
    #[error("cannot create the folder {}: {source}; create it yourself or choose another location", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The new content could not be written; the old file is unchanged.
    #[error("cannot write {}: {source}; nothing was changed: check that its folder is writable by you and the disk is not full", path.display())]
    Write {
        /// The file that was to be written.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The file was written but its folder could not be flushed to disk.
    #[error("wrote {} but could not flush its folder to disk: {source}; the change may not survive a crash", path.display())]
    Sync {
        /// The file that was written.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A file could not be opened.
    #[error("cannot open {}: {source}; check the path and that you may write to its folder", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A text file holds bytes that are not UTF-8.
    #[error("{} is not UTF-8 text; save it as UTF-8", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
    },
    /// A symbolic link where smtpwire does not follow one.
    #[error("{} is a symbolic link{}; smtpwire does not write through links here (one planted in a shared folder could point at any file of yours): give the real path or remove the link", path.display(), target.as_ref().map(|t| format!(" to {}", t.display())).unwrap_or_default())]
    Symlink {
        /// The link.
        path: PathBuf,
        /// Where it points, if that could be read.
        target: Option<PathBuf>,
    },
    /// A symbolic link owned by someone else (neither you nor root).
    #[error("{} is a symbolic link owned by uid {owner}, not by you; smtpwire does not follow other users' links (the classic /tmp trick): remove it or choose another name", path.display())]
    ForeignLink {
        /// The link.
        path: PathBuf,
        /// Its owner.
        owner: u32,
    },
    /// A chain of symbolic links that does not end.
    #[error("{}: too many levels of symbolic links; fix the link or give the real path", path.display())]
    LinkLoop {
        /// Where the chain started.
        path: PathBuf,
    },
    /// A FIFO, device, socket or folder where a regular file belongs.
    #[error("{} is a {kind}, not a regular file; give the path of a regular file", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// A file that belongs to another user.
    #[error("{} belongs to uid {owner}, not to you (uid {you}); smtpwire does not write into other users' files: remove it or choose another name", path.display())]
    Owner {
        /// The file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The effective uid of this process.
        you: u32,
    },
    /// smtpwire's own data folder is not the user's alone: another user
    /// could plant or swap the files smtpwire keeps there.
    #[error("{} {problem}; smtpwire keeps drafts, addresses and kept copies only in a folder of yours that no one else can write to: {fix}", path.display())]
    UnsafeFolder {
        /// The folder (as found: the link, if it is one).
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
        /// What to do.
        fix: String,
    },
    /// A file with more than one name: writing it would change the others.
    #[error("{} has {links} names (hard links), so writing it would change another file too: remove it or choose another name", path.display())]
    HardLinked {
        /// The file.
        path: PathBuf,
        /// How many names it has.
        links: u64,
    },
    /// A path without a file name (`/`, `..`) or a name with a `/` in it.
    #[error("{name:?} is not a usable file name; give a path that ends in a file name")]
    BadName {
        /// The name as given.
        name: OsString,
    },
    /// Every numbered name is taken.
    #[error("no free name like {} after {MAX_NUMBERED} tries; remove old files from its folder", path.display())]
    NoFreeName {
        /// The first name tried.
        path: PathBuf,
    },
    /// A config file that others could have changed.
    #[error(transparent)]
    Untrusted(#[from] Untrusted),
}

/// Why a config file that names commands is not trusted. Each message says
/// the exact command that fixes it.
#[derive(Debug, thiserror::Error)]
pub enum Untrusted {
    /// Group or others may write the file.
    #[error("{} can set password_command or ca_file, so only you may be able to change it, but it is writable by group or others (mode {mode:04o}): run `chmod 600 {}`", path.display(), shell_word(path))]
    Writable {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file (or the link naming it) belongs to another user.
    #[error("{} can set password_command or ca_file, so it must be yours, but it belongs to uid {owner} (you are uid {you}): if it is yours, run `sudo chown {you} {}`; if not, copy the settings into a file of your own", path.display(), shell_word(path))]
    Owner {
        /// The file or link.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The effective uid of this process.
        you: u32,
    },
    /// A folder on the way may be written by others, who could swap the file.
    #[error("{} can set password_command or ca_file, but its folder {} is writable by group or others without the sticky bit (mode {mode:04o}), so anyone there could replace the file: run `chmod go-w {}`", path.display(), folder.display(), shell_word(folder))]
    Folder {
        /// The config file.
        path: PathBuf,
        /// The folder.
        folder: PathBuf,
        /// The folder's permission bits.
        mode: u32,
    },
    /// A folder on the way belongs to another user, who could swap the file.
    #[error("{} can set password_command or ca_file, but its folder {} belongs to uid {owner} (you are uid {you}), who could replace the file: move the config into a folder of your own and pass --config", path.display(), folder.display())]
    FolderOwner {
        /// The config file.
        path: PathBuf,
        /// The folder.
        folder: PathBuf,
        /// The folder's owner.
        owner: u32,
        /// The effective uid of this process.
        you: u32,
    },
    /// Not a regular file (a FIFO would feed different text on each read).
    #[error("{} is a {kind}, not a regular file; give the path of a regular file", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// The file or a folder could not be inspected.
    #[error("cannot check {}: {source}", path.display())]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
}

/// A file opened for appending by [`open_append_private`].
#[derive(Debug)]
pub struct AppendFile {
    /// The open file; every write goes to its end.
    pub file: File,
    /// The permission bits the file had when they were wider than 0600;
    /// they are 0600 now. Earlier content may have been read by others.
    pub fixed_mode: Option<u32>,
}

impl AppendFile {
    /// The warning to print when the permissions had to be narrowed.
    pub fn warning(&self, path: &Path) -> Option<String> {
        self.fixed_mode.map(|mode| {
            format!(
                "warning: {} was readable or writable by others (mode {mode:04o}); it is 0600 now, \
                 but what it held before may have been read",
                path.display()
            )
        })
    }
}

/// The file a path finally names, following symbolic links owned by you or
/// root (relative ones from the link's folder). A missing last file is fine:
/// it is where a new file goes. Once a link was followed, the result is a
/// real path (its folder canonical, when that exists), so errors and the
/// temporary name the real place.
fn resolve_links(path: &Path) -> Result<PathBuf, Error> {
    let you = euid();
    let mut current = path.to_owned();
    for hop in 0..MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => meta,
            Ok(_) if hop == 0 => return Ok(current),
            Err(e) if hop == 0 && e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Ok(_) => return Ok(real_folder(current)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(real_folder(current)),
            Err(source) => {
                return Err(Error::Open {
                    path: current,
                    source,
                });
            }
        };
        if meta.uid() != you && meta.uid() != 0 {
            return Err(Error::ForeignLink {
                path: current,
                owner: meta.uid(),
            });
        }
        let target = std::fs::read_link(&current).map_err(|source| Error::Open {
            path: current.clone(),
            source,
        })?;
        current = parent(&current).join(target);
    }
    Err(Error::LinkLoop {
        path: path.to_owned(),
    })
}

/// Checks the folder smtpwire keeps its private files in (drafts, the
/// address history, kept copies, saved logs): a link to it must be yours
/// (or root's), and the folder itself yours and writable by no one else.
/// A missing folder is fine: it is created 0700 when first needed.
pub fn check_private_folder(dir: &Path) -> Result<(), Error> {
    let you = euid();
    let unsafe_folder = |problem: String, fix: String| Error::UnsafeFolder {
        path: dir.to_owned(),
        problem,
        fix,
    };
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(Error::Open {
                path: dir.to_owned(),
                source,
            });
        }
        Ok(meta) if meta.file_type().is_symlink() && meta.uid() != you && meta.uid() != 0 => {
            return Err(unsafe_folder(
                format!("is a symbolic link owned by uid {}", meta.uid()),
                format!("remove it (rm {})", shell_word(dir)),
            ));
        }
        Ok(_) => {}
    }
    let meta = match std::fs::metadata(dir) {
        Ok(meta) => meta,
        // A dangling link: the folder it names is created when needed.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(Error::Open {
                path: dir.to_owned(),
                source,
            });
        }
    };
    if !meta.is_dir() {
        return Err(unsafe_folder(
            format!("is a {}, not a folder", kind(&meta)),
            "remove it or set XDG_DATA_HOME".to_owned(),
        ));
    }
    if meta.uid() != you {
        return Err(unsafe_folder(
            format!("belongs to uid {}, not to you (uid {you})", meta.uid()),
            "use your own (set XDG_DATA_HOME) or fix its owner".to_owned(),
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(unsafe_folder(
            format!("is writable by others (mode {:o})", meta.mode() & 0o7777),
            format!("chmod go-w {}", shell_word(dir)),
        ));
    }
    Ok(())
}

/// `path` with its folder made canonical (`a/../b/f` → `/…/b/f`); as it is
/// when the folder does not exist yet (it will be created).
fn real_folder(path: PathBuf) -> PathBuf {
    match (std::fs::canonicalize(parent(&path)), path.file_name()) {
        (Ok(folder), Some(name)) => folder.join(name),
        _ => path,
    }
}

/// A path's folder (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    }
}

/// A path's folder and file name.
fn split(path: &Path) -> Result<(&Path, &OsStr), Error> {
    let name = path.file_name().ok_or_else(|| Error::BadName {
        name: path.as_os_str().to_owned(),
    })?;
    Ok((parent(path), name))
}

/// `STEM.EXT`, `STEM-2.EXT`… for [`create_unique`], after checking the
/// parts cannot leave the folder.
fn numbered_names(stem: &str, ext: &str) -> Result<Vec<String>, Error> {
    let first = format!("{stem}.{ext}");
    let bad = |part: &str| part.contains(['/', '\0']);
    if stem.is_empty() || stem == "." || stem == ".." || bad(stem) || bad(ext) {
        return Err(Error::BadName { name: first.into() });
    }
    Ok(std::iter::once(first)
        .chain((2..=MAX_NUMBERED).map(|n| format!("{stem}-{n}.{ext}")))
        .collect())
}

/// Creates missing folders with mode 0700 (existing ones are left alone).
pub fn create_folder(folder: &Path) -> Result<(), Error> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_FOLDER)
        .create(folder)
        .map_err(|source| Error::Folder {
            path: folder.to_owned(),
            source,
        })
}

/// A new 0600 temporary `.NAME.XXXXXXXXXXXX.tmp` in `folder`, created with
/// `O_EXCL` under a random name (retried on collision), so nothing planted
/// in the folder can be opened in its place. `for_path` names the error.
fn temporary_beside(
    folder: &Path,
    name: &OsStr,
    for_path: &Path,
) -> Result<tempfile::NamedTempFile, Error> {
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let temporary = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .rand_bytes(RANDOM_CHARS)
        .permissions(std::fs::Permissions::from_mode(PRIVATE_FILE))
        .tempfile_in(folder)
        .map_err(|source| Error::Write {
            path: for_path.to_owned(),
            source,
        })?;
    trace(Trace::Temporary(temporary.path().to_owned()));
    Ok(temporary)
}

/// Renames `temporary` to the first of `names` (in `folder`) that is free,
/// never replacing an existing entry, then syncs the folder.
fn persist_numbered(
    mut temporary: tempfile::NamedTempFile,
    folder: &Path,
    names: impl IntoIterator<Item = OsString>,
) -> Result<PathBuf, Error> {
    let mut first = None;
    for name in names {
        let candidate = folder.join(name);
        first.get_or_insert_with(|| candidate.clone());
        match temporary.persist_noclobber(&candidate) {
            Ok(_) => {
                sync_folder(folder, &candidate)?;
                return Ok(candidate);
            }
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => temporary = e.file,
            // The temporary inside `e` is dropped, and with it removed.
            Err(e) => {
                return Err(Error::Write {
                    path: candidate,
                    source: e.error,
                });
            }
        }
    }
    Err(Error::NoFreeName {
        path: first.unwrap_or_else(|| folder.to_owned()),
    })
}

/// Flushes a folder's entries to disk, so a rename or a new name in it
/// survives a crash (a file's own `sync_all` does not cover its name).
/// `written` names the error.
fn sync_folder(folder: &Path, written: &Path) -> Result<(), Error> {
    let synced = File::open(folder).and_then(|dir| dir.sync_all());
    match synced {
        Ok(()) => {}
        // Some filesystems cannot sync a folder; the file itself is synced.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
            ) => {}
        Err(source) => {
            return Err(Error::Sync {
                path: written.to_owned(),
                source,
            });
        }
    }
    trace(Trace::SyncedFolder(folder.to_owned()));
    Ok(())
}

/// Opens a file to read, following links, without blocking on a FIFO;
/// `None` when it does not exist.
pub fn open_to_read(path: &Path) -> io::Result<Option<File>> {
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => Ok(Some(File::from(fd))),
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(errno) => Err(errno.into()),
    }
}

/// The whole of a regular file (already resolved: a link here now is a
/// swap in progress and is refused).
fn read_regular(path: &Path) -> Result<Vec<u8>, Error> {
    let flags =
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::NOFOLLOW;
    let mut file = rustix::fs::open(path, flags, Mode::empty())
        .map(File::from)
        .map_err(|errno| explain_open(path, errno.into()))?;
    let meta = file.metadata().map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    if !meta.is_file() {
        return Err(Error::NotRegular {
            path: path.to_owned(),
            kind: kind(&meta),
        });
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(bytes)
}

/// A failed no-follow open in words: a link or a non-file says so.
fn explain_open(path: &Path, source: io::Error) -> Error {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Error::Symlink {
            path: path.to_owned(),
            target: std::fs::read_link(path).ok(),
        },
        Ok(meta) if !meta.is_file() => Error::NotRegular {
            path: path.to_owned(),
            kind: kind(&meta),
        },
        _ => Error::Open {
            path: path.to_owned(),
            source,
        },
    }
}

/// What kind of entry this is, in words.
fn kind(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_file() {
        "regular file"
    } else if kind.is_dir() {
        "folder"
    } else if kind.is_symlink() {
        "symbolic link"
    } else if kind.is_fifo() {
        "FIFO (named pipe)"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_char_device() {
        "character device"
    } else if kind.is_block_device() {
        "block device"
    } else {
        "special file"
    }
}

/// The effective uid: whose files this process treats as its own.
fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// A path as one shell word, so a hint can be pasted as it is.
fn shell_word(path: &Path) -> String {
    let text = path.to_string_lossy();
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%=".contains(&b));
    if plain {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// What the writers did, for the tests to check: the temporaries they made
/// and the folders they synced.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Trace {
    Temporary(PathBuf),
    SyncedFolder(PathBuf),
}

#[cfg(test)]
thread_local! {
    /// Each test runs on its own thread, so it sees only its own calls.
    static TRACE: std::cell::RefCell<Vec<Trace>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(test)]
fn trace(event: Trace) {
    TRACE.with(|t| t.borrow_mut().push(event));
}

#[cfg(not(test))]
fn trace(_: Trace) {}

#[cfg(test)]
pub(crate) mod tests {
    use std::{io::Write as _, os::unix::fs::symlink};

    use super::*;

    /// The uid and gid of `nobody`, the other user of these tests.
    const NOBODY: u32 = 65534;
    /// Set in a child test process started by [`rerun`].
    pub(crate) const CHILD: &str = "SMTPWIRE_TEST_CHILD";

    fn take_trace() -> Vec<Trace> {
        TRACE.with(|t| std::mem::take(&mut *t.borrow_mut()))
    }

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn mkfifo(path: &Path) {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            path,
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
    }

    fn is_root() -> bool {
        euid() == 0
    }

    /// Runs the test `name` of this binary again in a child process, with
    /// `setup` applied to its command (environment, uid), and asserts it
    /// ran and passed.
    pub(crate) fn rerun(name: &str, setup: impl FnOnce(&mut std::process::Command)) {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, "1");
        setup(&mut child);
        let output = child.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "child run of {name} failed:\n{stdout}\n{stderr}"
        );
    }

    /// As root, runs `name` again as `nobody` (root ignores permission bits
    /// and owns everything) and returns true: the caller then stops.
    fn rerun_as_nobody_if_root(name: &str) -> bool {
        if !is_root() {
            return false;
        }
        rerun(name, |child| {
            use std::os::unix::process::CommandExt as _;
            child.uid(NOBODY).gid(NOBODY).env("TMPDIR", "/tmp");
        });
        true
    }

    #[test]
    fn write_private_replaces_atomically_with_0600_and_syncs_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        // (path under dir, existing content and mode, folders it creates)
        for (relative, existing, created) in [
            ("config.toml", None, &[][..]),
            ("config.toml", Some(("old", 0o644)), &[]),
            ("a/b/draft.toml", None, &["a", "a/b"]),
        ] {
            let path = dir.path().join(relative);
            if let Some((text, mode)) = existing {
                std::fs::write(&path, text).unwrap();
                chmod(&path, mode);
            }
            take_trace();
            write_private(&path, "new ✓".as_bytes()).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "new ✓");
            assert_eq!(mode(&path), 0o600, "{relative}");
            for folder in created {
                assert_eq!(mode(&dir.path().join(folder)), 0o700, "{folder}");
            }
            let folder = path.parent().unwrap();
            // The temporary was beside the target, and the folder was synced
            // after the rename (the last thing the write did).
            let trace = take_trace();
            let [Trace::Temporary(temporary), Trace::SyncedFolder(synced)] = &trace[..] else {
                panic!("{relative}: {trace:?}");
            };
            assert_eq!(temporary.parent(), Some(folder), "{relative}");
            assert_eq!(synced, folder, "{relative}");
            assert!(!temporary.exists(), "{relative}: the temporary remains");
            assert_eq!(
                names(folder),
                [path.file_name().unwrap().to_string_lossy()],
                "{relative}"
            );
        }
    }

    #[test]
    fn a_symlink_planted_at_the_temporary_name_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let path = dir.path().join("config.toml");
        // Every name the old code would use, or an attacker could guess.
        let planted = [
            format!(".config.toml.{}.tmp", std::process::id()),
            ".config.toml.tmp".to_owned(),
            ".config.toml..tmp".to_owned(),
        ];
        for name in &planted {
            symlink(&victim, dir.path().join(name)).unwrap();
        }
        let mut temporaries = Vec::new();
        for text in ["one", "two"] {
            take_trace();
            write_private(&path, text.as_bytes()).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
            let Some(Trace::Temporary(temporary)) = take_trace().first().cloned() else {
                panic!("no temporary traced");
            };
            temporaries.push(
                temporary
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        for name in &planted {
            let link = dir.path().join(name);
            assert_eq!(std::fs::read_link(&link).unwrap(), victim, "{name}");
            assert!(!temporaries.contains(name), "{name} was used");
        }
        // Unpredictable: 12 random characters, different on each write.
        assert_ne!(temporaries[0], temporaries[1]);
        for name in &temporaries {
            let random = name
                .strip_prefix(".config.toml.")
                .and_then(|rest| rest.strip_suffix(".tmp"))
                .unwrap();
            assert_eq!(random.len(), RANDOM_CHARS, "{name}");
        }
    }

    #[test]
    fn writing_through_a_symlink_keeps_the_link_and_updates_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let dotfiles = dir.path().join("dotfiles");
        let config = dir.path().join("config");
        std::fs::create_dir_all(&dotfiles).unwrap();
        std::fs::create_dir_all(&config).unwrap();
        // (how the link points, the file that must receive the text)
        for (target, real, existing) in [
            (dotfiles.join("abs.toml"), dotfiles.join("abs.toml"), true),
            (
                PathBuf::from("../dotfiles/rel.toml"),
                dotfiles.join("rel.toml"),
                true,
            ),
            // A chain: link → link → file.
            (config.join("hop.toml"), dotfiles.join("chain.toml"), true),
            // A dangling link: the file is created where it points.
            (dotfiles.join("new.toml"), dotfiles.join("new.toml"), false),
        ] {
            if existing {
                std::fs::write(&real, "old").unwrap();
                chmod(&real, 0o644);
            }
            if target.ends_with("hop.toml") {
                symlink(&real, &target).unwrap();
            }
            let link = config.join("config.toml");
            symlink(&target, &link).unwrap();
            take_trace();
            write_private(&link, b"new").unwrap();
            assert_eq!(std::fs::read_link(&link).unwrap(), target, "the link stays");
            assert_eq!(std::fs::read_to_string(&real).unwrap(), "new", "{target:?}");
            assert_eq!(mode(&real), 0o600, "{target:?}");
            let trace = take_trace();
            let [Trace::Temporary(temporary), Trace::SyncedFolder(synced)] = &trace[..] else {
                panic!("{target:?}: {trace:?}");
            };
            let real_folder = dotfiles.canonicalize().unwrap();
            assert_eq!(temporary.parent(), Some(&*real_folder), "beside the target");
            assert_eq!(synced, &real_folder);
            std::fs::remove_file(&link).unwrap();
            if target.ends_with("hop.toml") {
                std::fs::remove_file(&target).unwrap();
            }
            std::fs::remove_file(&real).unwrap();
            assert!(names(&dotfiles).is_empty(), "{:?}", names(&dotfiles));
            assert!(names(&config).is_empty(), "{:?}", names(&config));
        }
        let looped = config.join("loop.toml");
        symlink(&looped, &looped).unwrap();
        assert!(matches!(
            write_private(&looped, b"x"),
            Err(Error::LinkLoop { .. })
        ));
    }

    #[test]
    fn a_link_owned_by_another_user_is_not_followed() {
        if !is_root() {
            eprintln!("skipped: only root can make a link owned by another user");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join(".bashrc");
        std::fs::write(&victim, "precious").unwrap();
        // The /tmp trick: another user plants out.eml → your file.
        let planted = dir.path().join("out.eml");
        symlink(&victim, &planted).unwrap();
        std::os::unix::fs::lchown(&planted, Some(NOBODY), Some(NOBODY)).unwrap();
        let err = write_private(&planted, b"letter").unwrap_err();
        assert!(
            matches!(&err, Error::ForeignLink { owner, .. } if *owner == NOBODY),
            "{err}"
        );
        assert!(err.to_string().contains("remove it"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(matches!(
            backup_broken(&planted),
            Err(Error::ForeignLink { .. })
        ));
    }

    /// smtpwire's data folder: another user's link to it, another user's
    /// folder (the attack: a planted link to a folder they can swap files
    /// in), or a folder others can write to is refused; yours is fine, and
    /// a missing one is created 0700 when needed.
    #[test]
    fn the_data_folder_must_be_yours_alone() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("smtpwire");
        check_private_folder(&data).unwrap();
        create_folder(&data).unwrap();
        assert_eq!(mode(&data) & 0o777, 0o700);
        check_private_folder(&data).unwrap();
        chmod(&data, 0o777);
        let err = check_private_folder(&data).unwrap_err();
        assert!(err.to_string().contains("writable by others"), "{err}");
        assert!(err.to_string().contains("chmod go-w"), "{err}");
        chmod(&data, 0o700);
        if !is_root() {
            eprintln!("skipped the other-user cases: only root can make them");
            return;
        }
        let theirs = dir.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        chmod(&theirs, 0o777);
        std::os::unix::fs::chown(&theirs, Some(NOBODY), Some(NOBODY)).unwrap();
        let err = check_private_folder(&theirs).unwrap_err();
        assert!(err.to_string().contains("belongs to uid 65534"), "{err}");
        // Your own (root's) link to their folder: the folder decides.
        let link = dir.path().join("link");
        symlink(&theirs, &link).unwrap();
        assert!(check_private_folder(&link).is_err());
        // Their link to your folder: refused as a link.
        let planted = dir.path().join("planted");
        symlink(&data, &planted).unwrap();
        std::os::unix::fs::lchown(&planted, Some(NOBODY), Some(NOBODY)).unwrap();
        let err = check_private_folder(&planted).unwrap_err();
        assert!(
            err.to_string().contains("symbolic link owned by uid 65534"),
            "{err}"
        );
    }

    #[test]
    fn a_failed_write_leaves_the_original_and_no_temporary() {
        // Renaming over a folder fails after the temporary was written.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("config.toml");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), "kept").unwrap();
        let err = write_private(&target, b"new").unwrap_err();
        assert!(matches!(err, Error::Write { .. }), "{err}");
        assert!(err.to_string().contains("nothing was changed"), "{err}");
        assert_eq!(
            std::fs::read_to_string(target.join("inside")).unwrap(),
            "kept"
        );
        assert_eq!(names(dir.path()), ["config.toml"]);

        // A folder you may not write: the temporary cannot even be made.
        // Root ignores the permission bits, so root runs this as nobody.
        if rerun_as_nobody_if_root(
            "files::tests::a_failed_write_leaves_the_original_and_no_temporary",
        ) {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "old").unwrap();
        chmod(dir.path(), 0o500);
        let err = write_private(&path, b"new").unwrap_err();
        chmod(dir.path(), 0o700);
        assert!(matches!(err, Error::Write { .. }), "{err}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names(dir.path()), ["config.toml"]);
    }

    #[test]
    fn the_transcript_refuses_what_an_attacker_plants() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        chmod(&victim, 0o640);
        type Plant = fn(&Path, &Path);
        let cases: [(&str, Plant, &str); 5] = [
            (
                "link",
                |at, victim| symlink(victim, at).unwrap(),
                "symbolic link",
            ),
            (
                "dangling",
                |at, victim| symlink(victim.with_file_name("nothing"), at).unwrap(),
                "symbolic link",
            ),
            ("fifo", |at, _| mkfifo(at), "FIFO"),
            ("folder", |at, _| std::fs::create_dir(at).unwrap(), "folder"),
            (
                "hard link",
                |at, victim| std::fs::hard_link(victim, at).unwrap(),
                "2 names",
            ),
        ];
        for (name, plant, expected) in cases {
            let path = dir.path().join(name);
            plant(&path, &victim);
            // A FIFO must be refused, not wait for a reader.
            let err = open_append_private(&path).unwrap_err();
            assert!(err.to_string().contains(expected), "{name}: {err}");
            assert!(
                err.to_string().contains(&path.display().to_string()),
                "{name}: {err}"
            );
            assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
            assert_eq!(mode(&victim), 0o640, "{name}: the victim's mode changed");
        }
        assert!(
            !dir.path().join("nothing").exists(),
            "a dangling link was followed"
        );
    }

    #[test]
    fn a_wide_transcript_is_narrowed_on_its_descriptor_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        // (mode before, expected fixed_mode)
        for (before, fixed) in [
            (None, None),
            (Some(0o600), None),
            (Some(0o400), None),
            (Some(0o666), Some(0o666)),
            (Some(0o644), Some(0o644)),
            (Some(0o700), Some(0o700)),
        ] {
            let path = dir.path().join(format!("t-{before:?}"));
            if let Some(mode) = before {
                std::fs::write(&path, "line 1\n").unwrap();
                chmod(&path, mode);
            }
            let mut opened = match open_append_private(&path) {
                // Root may open a 0400 file for writing; others may not.
                Err(Error::Open { source, .. })
                    if before == Some(0o400)
                        && source.kind() == io::ErrorKind::PermissionDenied =>
                {
                    continue;
                }
                other => other.unwrap(),
            };
            assert_eq!(opened.fixed_mode, fixed, "{before:?}");
            let expected_mode = if before == Some(0o400) { 0o400 } else { 0o600 };
            assert_eq!(mode(&path), expected_mode, "{before:?}");
            let warning = opened.warning(&path);
            assert_eq!(warning.is_some(), fixed.is_some(), "{before:?}");
            if let (Some(warning), Some(fixed)) = (warning, fixed) {
                assert!(warning.contains(&format!("{fixed:04o}")), "{warning}");
                assert!(warning.contains(&path.display().to_string()), "{warning}");
            }
            writeln!(opened.file, "line 2").unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            let expected = if before.is_some() {
                "line 1\nline 2\n"
            } else {
                "line 2\n"
            };
            assert_eq!(text, expected, "{before:?}: appended, not truncated");
        }
    }

    #[test]
    fn a_transcript_owned_by_another_user_is_refused() {
        if !is_root() {
            eprintln!("skipped: only root can make a file owned by another user");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript");
        std::fs::write(&path, "theirs").unwrap();
        chmod(&path, 0o666);
        std::os::unix::fs::chown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
        let err = open_append_private(&path).unwrap_err();
        assert!(
            matches!(&err, Error::Owner { owner, you: 0, .. } if *owner == NOBODY),
            "{err}"
        );
        // Refused before the mode fix: their file keeps their mode.
        assert_eq!(mode(&path), 0o666);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "theirs");
    }

    #[test]
    fn backups_are_numbered_and_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        // A dangling link and a link to the victim planted on backup names.
        symlink(
            dir.path().join("nowhere"),
            dir.path().join("config.toml.broken.2"),
        )
        .unwrap();
        symlink(&victim, dir.path().join("config.toml.broken.3")).unwrap();
        for (round, expected) in [
            "config.toml.broken",
            "config.toml.broken.1",
            "config.toml.broken.4",
            "config.toml.broken.5",
        ]
        .into_iter()
        .enumerate()
        {
            let text = format!("server = [ broken {round}");
            std::fs::write(&path, &text).unwrap();
            take_trace();
            let backup = backup_broken(&path).unwrap();
            assert_eq!(backup, dir.path().join(expected));
            assert_eq!(std::fs::read_to_string(&backup).unwrap(), text);
            assert_eq!(mode(&backup), 0o600);
            assert!(matches!(take_trace().last(), Some(Trace::SyncedFolder(_))));
        }
        // Earlier backups kept their own content.
        assert_eq!(
            std::fs::read_to_string(dir.path().join("config.toml.broken")).unwrap(),
            "server = [ broken 0"
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!dir.path().join("nowhere").exists());
        assert!(
            names(dir.path())
                .iter()
                .all(|n| Path::new(n).extension().is_none_or(|e| e != "tmp"))
        );
        // Nothing to back up is an error naming the file.
        let err = backup_broken(&dir.path().join("none.toml")).unwrap_err();
        assert!(err.to_string().contains("none.toml"), "{err}");
    }

    #[test]
    fn unique_names_in_the_same_second_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("data/logs");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let stem = "log-20261130-154927";
        let (mut first, first_path) = create_unique(&logs, stem, "txt").unwrap();
        let (_, second_path) = create_unique(&logs, stem, "txt").unwrap();
        symlink(&victim, logs.join(format!("{stem}-3.txt"))).unwrap();
        let third_path = write_unique(&logs, stem, "txt", b"third").unwrap();
        writeln!(first, "first").unwrap();
        for (path, expected) in [
            (&first_path, "log-20261130-154927.txt"),
            (&second_path, "log-20261130-154927-2.txt"),
            (&third_path, "log-20261130-154927-4.txt"),
        ] {
            assert_eq!(path, &logs.join(expected));
            assert_eq!(mode(path), 0o600, "{expected}");
        }
        assert_eq!(std::fs::read_to_string(&first_path).unwrap(), "first\n");
        assert_eq!(std::fs::read_to_string(&third_path).unwrap(), "third");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(mode(&logs), 0o700);
        assert_eq!(mode(&dir.path().join("data")), 0o700);
        assert_eq!(names(&logs).len(), 4, "{:?}", names(&logs));
        for (stem, ext) in [("", "txt"), ("..", "txt"), ("a/b", "txt"), ("log", "t/x")] {
            assert!(
                matches!(create_unique(&logs, stem, ext), Err(Error::BadName { .. })),
                "{stem:?}.{ext:?}"
            );
        }
    }

    #[test]
    fn a_config_that_others_could_change_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.toml");
        mkfifo(&fifo);
        // (file mode, holds commands, the words the verdict must contain)
        for (mode, holds_commands, expected) in [
            (0o600, true, None),
            (0o644, true, None),
            (0o400, true, None),
            (0o660, true, Some("chmod 600")),
            (0o620, true, Some("chmod 600")),
            (0o602, true, Some("chmod 600")),
            (0o666, true, Some("mode 0666")),
            (0o666, false, None),
        ] {
            let path = dir.path().join(format!("c {mode:o}.toml"));
            std::fs::write(&path, "password_command = \"pass show mail\"\n").unwrap();
            chmod(&path, mode);
            let verdict = check_trusted(&path, holds_commands);
            let read = read_trusted(&path, |_| holds_commands);
            match expected {
                None => {
                    verdict.unwrap();
                    assert!(read.unwrap().unwrap().contains("pass show mail"));
                }
                Some(words) => {
                    let err = verdict.unwrap_err();
                    assert!(matches!(err, Untrusted::Writable { .. }), "{err}");
                    let message = err.to_string();
                    assert!(message.contains(words), "{message}");
                    // The hint is pasteable: the path with a space is quoted.
                    assert!(
                        message.contains(&format!("'{}'", path.display())),
                        "{message}"
                    );
                    let err = read.unwrap_err();
                    assert!(
                        matches!(err, Error::Untrusted(Untrusted::Writable { .. })),
                        "{err}"
                    );
                }
            }
        }
        for holds_commands in [false, true] {
            assert!(matches!(
                check_trusted(&fifo, holds_commands),
                Err(Untrusted::NotRegular { .. })
            ));
            assert!(matches!(
                read_trusted(&fifo, |_| holds_commands),
                Err(Error::Untrusted(Untrusted::NotRegular { .. }))
            ));
        }
        let missing = dir.path().join("none.toml");
        check_trusted(&missing, true).unwrap();
        assert!(read_trusted(&missing, |_| true).unwrap().is_none());
    }

    #[test]
    fn a_config_in_a_folder_others_can_write_is_refused_unless_sticky() {
        let dir = tempfile::tempdir().unwrap();
        // (folder mode, refused)
        for (mode, refused) in [
            (0o700, false),
            (0o755, false),
            (0o770, true),
            (0o777, true),
            (0o1777, false),
            (0o1770, false),
        ] {
            let folder = dir.path().join(format!("{mode:o}"));
            std::fs::create_dir(&folder).unwrap();
            let path = folder.join("config.toml");
            std::fs::write(&path, "ca_file = \"ca.pem\"\n").unwrap();
            chmod(&path, 0o600);
            chmod(&folder, mode);
            let verdict = check_trusted(&path, true);
            if refused {
                let err = verdict.unwrap_err();
                assert!(
                    matches!(&err, Untrusted::Folder { folder: f, .. } if f.ends_with(format!("{mode:o}"))),
                    "{err}"
                );
                assert!(err.to_string().contains("chmod go-w"), "{err}");
            } else {
                verdict.unwrap();
            }
            // Without commands the folder is not judged.
            check_trusted(&path, false).unwrap();
        }
        // A link to a good file from a folder others can write is refused
        // too: whoever can write there chose where the link points.
        let shared = dir.path().join("777");
        let good = dir.path().join("700/config.toml");
        symlink(&good, shared.join("link.toml")).unwrap();
        chmod(&shared, 0o777);
        assert!(matches!(
            check_trusted(&shared.join("link.toml"), true),
            Err(Untrusted::Folder { .. })
        ));
    }

    #[test]
    fn a_config_owned_by_another_user_is_refused_with_the_fix() {
        // Root's files are trusted by everyone (root could change anything).
        check_trusted(Path::new("/etc/passwd"), true).unwrap();
        if !is_root() {
            eprintln!("skipped: only root can make a file owned by another user");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "password_command = \"evil\"\n").unwrap();
        chmod(&path, 0o600);
        std::os::unix::fs::chown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
        let err = check_trusted(&path, true).unwrap_err();
        assert!(
            matches!(&err, Untrusted::Owner { owner, you: 0, .. } if *owner == NOBODY),
            "{err}"
        );
        let message = err.to_string();
        assert!(
            message.contains(&format!("sudo chown 0 {}", path.display())),
            "{message}"
        );
        assert!(matches!(
            read_trusted(&path, names_commands),
            Err(Error::Untrusted(Untrusted::Owner { .. }))
        ));
        // A link owned by another user, to your own good file.
        let good = dir.path().join("good.toml");
        std::fs::write(&good, "password_command = \"pass\"\n").unwrap();
        let link = dir.path().join("link.toml");
        symlink(&good, &link).unwrap();
        std::os::unix::fs::lchown(&link, Some(NOBODY), Some(NOBODY)).unwrap();
        assert!(matches!(
            check_trusted(&link, true),
            Err(Untrusted::Owner { owner, .. }) if owner == NOBODY
        ));
        // A folder owned by another user.
        let theirs = dir.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        std::fs::write(theirs.join("config.toml"), "ca_file = \"x\"\n").unwrap();
        std::os::unix::fs::chown(&theirs, Some(NOBODY), Some(NOBODY)).unwrap();
        assert!(matches!(
            check_trusted(&theirs.join("config.toml"), true),
            Err(Untrusted::FolderOwner { .. })
        ));
    }

    #[test]
    fn only_text_naming_commands_needs_trust() {
        for (text, expected) in [
            ("server = \"mail.example\"\nport = 587\n", false),
            ("", false),
            ("password_command = \"pass show mail\"\n", true),
            ("ca_file = \"/etc/ca.pem\"\n", true),
            ("sent = \"maildir:~/Mail/Sent\"\n", true),
            ("[profile.work]\nsignature_file = \"~/.sig\"\n", true),
            ("[[account]]\naddress_book_command = \"abook\"\n", true),
            ("server = [ broken", true),
        ] {
            assert_eq!(names_commands(text), expected, "{text:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "server = \"x\"\n").unwrap();
        chmod(&path, 0o666);
        // Plain settings pass even when writable (the caller's choice)...
        assert!(read_trusted(&path, names_commands).unwrap().is_some());
        std::fs::write(&path, "password_command = \"x\"\n").unwrap();
        // ...commands do not.
        assert!(read_trusted(&path, names_commands).is_err());
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(matches!(
            read_trusted(&path, names_commands),
            Err(Error::NotText { .. })
        ));
    }

    #[test]
    fn hints_quote_paths_for_the_shell() {
        for (path, word) in [
            (
                "/home/a/.config/smtpwire/config.toml",
                "/home/a/.config/smtpwire/config.toml",
            ),
            ("/home/a/my config.toml", "'/home/a/my config.toml'"),
            ("/tmp/it's.toml", r"'/tmp/it'\''s.toml'"),
            ("/tmp/$(rm -rf ~).toml", "'/tmp/$(rm -rf ~).toml'"),
            ("", "''"),
        ] {
            assert_eq!(shell_word(Path::new(path)), word);
        }
    }
}
