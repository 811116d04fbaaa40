//! Whether a config file may be trusted with commands: owned by you (or
//! root), not writable by others, in folders nobody else can rename it in.

use std::{fs::Metadata, io::Read as _, os::unix::fs::MetadataExt as _, path::Path};

use super::{
    COMMAND_KEYS, Error, STICKY, Untrusted, WRITABLE_BY_OTHERS, euid, kind, open_to_read, parent,
};

/// Reads a config file once, from one descriptor, and returns its text;
/// `Ok(None)` when there is no file. When `holds_commands` says the text
/// names a command or file smtpwire would use ([`names_commands`] is the
/// usual answer), the same descriptor's owner and mode, and the folders
/// above the file, must pass the rules of [`check_trusted`]: what was read
/// is what was checked.
pub fn read_trusted(
    path: &Path,
    holds_commands: impl FnOnce(&str) -> bool,
) -> Result<Option<String>, Error> {
    let Some(mut file) = open_to_read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?
    else {
        return Ok(None);
    };
    let before = file.metadata().map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    if !before.is_file() {
        return Err(Untrusted::NotRegular {
            path: path.to_owned(),
            kind: kind(&before),
        }
        .into());
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| Error::NotText {
        path: path.to_owned(),
    })?;
    if holds_commands(&text) {
        // Judged after reading, so the verdict covers the state the text
        // was read in.
        let after = file.metadata().map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        judge(path, &after)?;
    }
    Ok(Some(text))
}

/// Whether the config file at `path` may be trusted with commands, checked
/// on an open descriptor. A missing file passes (there is nothing to trust).
/// A file that is not regular never passes. When `holds_commands`, also:
///
/// - the file, and the link naming it if any, belong to you (the effective
///   uid) or to root, who could change anything anyway;
/// - neither group nor others may write the file;
/// - every folder above the named path and above the file it resolves to
///   belongs to you or root and is not writable by group or others, unless
///   its sticky bit is set (`/tmp`: there others cannot rename your entries).
///
/// Prefer [`read_trusted`], which checks the descriptor it reads from.
pub fn check_trusted(path: &Path, holds_commands: bool) -> Result<(), Untrusted> {
    let unreadable = |source| Untrusted::Unreadable {
        path: path.to_owned(),
        source,
    };
    let Some(file) = open_to_read(path).map_err(unreadable)? else {
        return Ok(());
    };
    let meta = file.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err(Untrusted::NotRegular {
            path: path.to_owned(),
            kind: kind(&meta),
        });
    }
    if holds_commands {
        judge(path, &meta)?;
    }
    Ok(())
}

/// Whether config text sets any of [`COMMAND_KEYS`], at any depth (so a
/// later `[profile.work]` table is covered). Text that is not TOML counts
/// as naming commands: better a trust error than none.
pub fn names_commands(text: &str) -> bool {
    fn any_key(table: &toml::Table) -> bool {
        table.iter().any(|(key, value)| {
            COMMAND_KEYS.contains(&key.as_str())
                || match value {
                    toml::Value::Table(inner) => any_key(inner),
                    toml::Value::Array(items) => items.iter().any(|item| match item {
                        toml::Value::Table(inner) => any_key(inner),
                        _ => false,
                    }),
                    _ => false,
                }
        })
    }
    text.parse::<toml::Table>()
        .map_or(true, |table| any_key(&table))
}

/// The rules of [`check_trusted`] for an open file's metadata.
fn judge(path: &Path, meta: &Metadata) -> Result<(), Untrusted> {
    let you = euid();
    let trusted_owner = |uid: u32| uid == you || uid == 0;
    if !trusted_owner(meta.uid()) {
        return Err(Untrusted::Owner {
            path: path.to_owned(),
            owner: meta.uid(),
            you,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & WRITABLE_BY_OTHERS != 0 {
        return Err(Untrusted::Writable {
            path: path.to_owned(),
            mode,
        });
    }
    let unreadable = |path: &Path| {
        let path = path.to_owned();
        move |source| Untrusted::Unreadable { path, source }
    };
    // The link itself: whoever owns it chose what it points at.
    let link = std::fs::symlink_metadata(path).map_err(unreadable(path))?;
    if link.file_type().is_symlink() && !trusted_owner(link.uid()) {
        return Err(Untrusted::Owner {
            path: path.to_owned(),
            owner: link.uid(),
            you,
        });
    }
    let named_folder = std::fs::canonicalize(parent(path)).map_err(unreadable(path))?;
    let real = std::fs::canonicalize(path).map_err(unreadable(path))?;
    let real_folder = parent(&real);
    let mut checked: Vec<&Path> = Vec::new();
    for folder in named_folder.ancestors().chain(real_folder.ancestors()) {
        if checked.contains(&folder) {
            continue;
        }
        checked.push(folder);
        let meta = std::fs::symlink_metadata(folder).map_err(unreadable(folder))?;
        if !trusted_owner(meta.uid()) {
            return Err(Untrusted::FolderOwner {
                path: path.to_owned(),
                folder: folder.to_owned(),
                owner: meta.uid(),
                you,
            });
        }
        let mode = meta.mode() & 0o7777;
        if mode & WRITABLE_BY_OTHERS != 0 && mode & STICKY == 0 {
            return Err(Untrusted::Folder {
                path: path.to_owned(),
                folder: folder.to_owned(),
                mode,
            });
        }
    }
    Ok(())
}
