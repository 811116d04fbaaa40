//! Writing files privately: atomic replacement, appending, backups and
//! numbered names, each created exclusively, mode 0600, no links followed
//! that someone else could have planted.

use std::{
    ffi::{OsStr, OsString},
    fs::File,
    io::{self, Write as _},
    os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _},
    path::{Path, PathBuf},
};

use rustix::fs::{Mode, OFlags};

use super::{
    AppendFile, Error, MAX_NUMBERED, PRIVATE_FILE, create_folder, euid, explain_open, kind,
    numbered_names, persist_numbered, read_regular, resolve_links, split, sync_folder,
    temporary_beside,
};

/// Writes `bytes` to `path` atomically with mode 0600: a reader sees the old
/// file or the new one, and a failure leaves the old one and no temporary.
///
/// The temporary is created exclusively, with an unpredictable name, in the
/// folder of the file finally written, then synced, renamed over it, and the
/// folder synced so the rename survives a crash. Missing folders are created
/// with mode 0700. When `path` is a symbolic link (yours or root's) the file
/// it points to is replaced and the link stays; a link owned by anyone else
/// is refused, since in a shared folder it could point at any of your files.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomic(path, bytes, true)
}

/// [`write_private`] for a cache whose loss costs nothing (the addresses
/// sent to, for completion): atomic and private the same way, but not
/// synced, which saves two `fsync`s on every `smtpwire send`. After a crash
/// it is the old file or the new one, or empty.
pub fn write_cache(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomic(path, bytes, false)
}

fn write_atomic(path: &Path, bytes: &[u8], durable: bool) -> Result<(), Error> {
    let target = resolve_links(path)?;
    let (folder, name) = split(&target)?;
    create_folder(folder)?;
    let mut temporary = temporary_beside(folder, name, &target)?;
    let written = temporary.as_file_mut().write_all(bytes).and_then(|()| {
        if durable {
            temporary.as_file().sync_all()
        } else {
            Ok(())
        }
    });
    // On any error the temporary is dropped here, which removes it.
    written.map_err(|source| Error::Write {
        path: target.clone(),
        source,
    })?;
    temporary.persist(&target).map_err(|e| Error::Write {
        path: target.clone(),
        source: e.error,
    })?;
    if durable {
        sync_folder(folder, &target)
    } else {
        Ok(())
    }
}

/// Opens `path` for appending, creating it with mode 0600, for a transcript
/// that grows over a session.
///
/// Refused: a symbolic link (`O_NOFOLLOW`), anything but a regular file (a
/// FIFO is opened without blocking and then refused), a file owned by
/// another user, a file with several names. A file with permissions wider
/// than 0600 is narrowed to 0600 on the open descriptor (not by path, so a
/// swapped name cannot redirect the change), and the result says so.
pub fn open_append_private(path: &Path) -> Result<AppendFile, Error> {
    let flags = OFlags::WRONLY
        | OFlags::APPEND
        | OFlags::CREATE
        | OFlags::NOFOLLOW
        | OFlags::CLOEXEC
        | OFlags::NOCTTY
        // A FIFO without a reader would block the open forever; with this
        // it fails (or opens) at once and the type check below refuses it.
        | OFlags::NONBLOCK;
    let file = rustix::fs::open(path, flags, Mode::from_raw_mode(PRIVATE_FILE))
        .map(File::from)
        .map_err(|errno| explain_open(path, errno.into()))?;
    let meta = file.metadata().map_err(|source| Error::Open {
        path: path.to_owned(),
        source,
    })?;
    if !meta.is_file() {
        return Err(Error::NotRegular {
            path: path.to_owned(),
            kind: kind(&meta),
        });
    }
    let you = euid();
    if meta.uid() != you {
        return Err(Error::Owner {
            path: path.to_owned(),
            owner: meta.uid(),
            you,
        });
    }
    if meta.nlink() > 1 {
        return Err(Error::HardLinked {
            path: path.to_owned(),
            links: meta.nlink(),
        });
    }
    let mode = meta.mode() & 0o7777;
    let fixed_mode = if mode & !PRIVATE_FILE != 0 {
        // File::set_permissions is fchmod on the descriptor we checked.
        file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_FILE))
            .map_err(|source| Error::Open {
                path: path.to_owned(),
                source,
            })?;
        Some(mode)
    } else {
        None
    };
    // Back to ordinary blocking writes (no effect on regular files today,
    // but the descriptor should not carry a flag nobody expects).
    rustix::fs::fcntl_getfl(&file)
        .and_then(|flags| rustix::fs::fcntl_setfl(&file, flags - OFlags::NONBLOCK))
        .map_err(|errno| Error::Open {
            path: path.to_owned(),
            source: errno.into(),
        })?;
    Ok(AppendFile { file, fixed_mode })
}

/// Keeps a copy of a broken config or draft beside it, as `NAME.broken`, or
/// `NAME.broken.1`, `.2`… when those exist; an earlier backup is never
/// overwritten and a name someone planted (even a dangling link) is skipped.
/// The copy is complete or absent (a 0600 temporary renamed without
/// replacing). Returns the backup's path.
pub fn backup_broken(path: &Path) -> Result<PathBuf, Error> {
    let source = resolve_links(path)?;
    let bytes = read_regular(&source)?;
    // Beside the name the user knows, even when it is a link.
    let (folder, name) = split(path)?;
    let mut temporary = temporary_beside(folder, name, path)?;
    temporary
        .as_file_mut()
        .write_all(&bytes)
        .and_then(|()| temporary.as_file().sync_all())
        .map_err(|source| Error::Write {
            path: path.to_owned(),
            source,
        })?;
    let names = (0..MAX_NUMBERED).map(|n| {
        let mut candidate = name.to_owned();
        candidate.push(".broken");
        if n > 0 {
            candidate.push(format!(".{n}"));
        }
        candidate
    });
    persist_numbered(temporary, folder, names)
}

/// Creates a new file `STEM.EXT` in `dir`, or `STEM-2.EXT`, `STEM-3.EXT`…
/// when taken, exclusively (`O_EXCL`, so a planted link is skipped, never
/// followed) with mode 0600; `dir` is created with mode 0700 if missing.
/// Two saves in the same second get two files.
pub fn create_unique(dir: &Path, stem: &str, ext: &str) -> Result<(File, PathBuf), Error> {
    let names = numbered_names(stem, ext)?;
    create_folder(dir)?;
    for name in names {
        let path = dir.join(name);
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(PRIVATE_FILE)
            .open(&path);
        match opened {
            Ok(file) => {
                sync_folder(dir, &path)?;
                return Ok((file, path));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(source) => return Err(Error::Write { path, source }),
        }
    }
    Err(Error::NoFreeName {
        path: dir.join(format!("{stem}.{ext}")),
    })
}

/// [`create_unique`] with the whole content at once: the file appears
/// complete (a synced temporary renamed without replacing) or not at all.
/// Returns its path.
pub fn write_unique(dir: &Path, stem: &str, ext: &str, bytes: &[u8]) -> Result<PathBuf, Error> {
    let names = numbered_names(stem, ext)?;
    let first = dir.join(format!("{stem}.{ext}"));
    create_folder(dir)?;
    let mut temporary = temporary_beside(dir, OsStr::new(stem), &first)?;
    temporary
        .as_file_mut()
        .write_all(bytes)
        .and_then(|()| temporary.as_file().sync_all())
        .map_err(|source| Error::Write {
            path: first,
            source,
        })?;
    persist_numbered(temporary, dir, names.into_iter().map(OsString::from))
}
