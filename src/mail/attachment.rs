//! A file attached to the letter: what [`Attachment::open`] learns from
//! the file's metadata, name and first bytes, and the second reading,
//! piece by piece and checked against the first, while the letter streams.
//!
//! The type is chosen from the content and the name in
//! `attachment/kind.rs`.

mod kind;

use kind::{classify, type_of_name};
use std::{
    fs::File,
    io::Read as _,
    path::{Path, PathBuf},
    time::SystemTime,
};

/// How much of the file the type is sniffed from: enough for the ZIP and
/// OLE directory entries that tell Office formats apart.
const HEAD: usize = 64 * 1024;

/// A file to attach: its name as the letter shows it, its size and type.
/// The content is read while the letter streams, never held whole; a file
/// that changes in between makes the letter fail rather than go out wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    path: PathBuf,
    name: String,
    size: u64,
    stamp: FileStamp,
    content_type: String,
    charset: Option<&'static str>,
    by_name: Option<&'static str>,
    executable: bool,
}

/// What must not change between [`Attachment::open`] and the send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    /// Device and inode on Unix: a file replaced by another one (an
    /// editor's save-by-rename) is noticed even with the same size and time.
    identity: Option<(u64, u64)>,
}

impl FileStamp {
    fn of(meta: &std::fs::Metadata) -> FileStamp {
        #[cfg(unix)]
        let identity = {
            use std::os::unix::fs::MetadataExt as _;
            Some((meta.dev(), meta.ino()))
        };
        #[cfg(not(unix))]
        let identity = None;
        FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            identity,
        }
    }
}

/// Why a file cannot be attached. Each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    /// Nothing exists at the path (the CLI exits 66, `EX_NOINPUT`).
    #[error("{path}: no such file")]
    Missing {
        /// The path as given.
        path: String,
    },
    /// The path is a folder.
    #[error("{path}: a folder, not a file")]
    Directory {
        /// The path as given.
        path: String,
    },
    /// The path is a device, a socket or a pipe: no size to announce, or
    /// reading it would block or never end.
    #[error("{path}: not a regular file")]
    NotRegular {
        /// The path as given.
        path: String,
    },
    /// The file says it is empty but has content (`/proc`, `/sys`): its
    /// size cannot be announced, nor checked while sending.
    #[error(
        "{path}: its size reads as 0 but it has content (a /proc or /sys file?); copy it to a regular file and attach that"
    )]
    UnknownSize {
        /// The path as given.
        path: String,
    },
    /// The file exists but cannot be read (permissions, I/O).
    #[error("{path}: cannot read it: {source}")]
    Unreadable {
        /// The path as given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl AttachmentError {
    /// True when nothing exists at the path: the front-ends report "no such
    /// file" (exit 66) rather than a read error.
    pub fn is_missing(&self) -> bool {
        matches!(self, AttachmentError::Missing { .. })
    }

    /// The path the error is about, as given.
    pub fn path(&self) -> &str {
        match self {
            AttachmentError::Missing { path }
            | AttachmentError::Directory { path }
            | AttachmentError::NotRegular { path }
            | AttachmentError::UnknownSize { path }
            | AttachmentError::Unreadable { path, .. } => path,
        }
    }
}

impl Attachment {
    /// Reads the file's metadata and its first 64 KiB (for the type). The
    /// content itself is read while the letter is sent.
    pub fn open(path: &Path) -> Result<Attachment, AttachmentError> {
        let shown = path.display().to_string();
        let unreadable = |source| AttachmentError::Unreadable {
            path: shown.clone(),
            source,
        };
        // Follows symbolic links: attaching a link attaches what it names.
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(AttachmentError::Missing { path: shown });
            }
            Err(e) => return Err(unreadable(e)),
        };
        if meta.is_dir() {
            return Err(AttachmentError::Directory { path: shown });
        }
        if !meta.is_file() {
            return Err(AttachmentError::NotRegular { path: shown });
        }
        let mut file = open_nonblocking(path).map_err(unreadable)?;
        // The stamp from the open file, so it describes what was sniffed.
        let opened = file.metadata().map_err(unreadable)?;
        if !opened.is_file() {
            // Swapped since the check above.
            return Err(AttachmentError::NotRegular { path: shown });
        }
        let stamp = FileStamp::of(&opened);
        let mut head = vec![0u8; HEAD.min(usize::try_from(stamp.len).unwrap_or(HEAD))];
        let got = read_full(&mut file, &mut head).map_err(unreadable)?;
        head.truncate(got);
        if stamp.len == 0 {
            let mut probe = [0u8; 1];
            if read_full(&mut file, &mut probe).map_err(unreadable)? > 0 {
                return Err(AttachmentError::UnknownSize { path: shown });
            }
        }
        let name = display_name(path);
        let by_name = type_of_name(&name);
        let kind = classify(&head, stamp.len, by_name);
        Ok(Attachment {
            path: path.to_owned(),
            name,
            size: stamp.len,
            stamp,
            content_type: kind.content_type,
            charset: kind.charset,
            by_name,
            executable: kind.executable,
        })
    }

    /// The same file under another name in the letter (the name is cleaned
    /// as [`Attachment::open`] cleans it; the type stays the content's).
    #[must_use]
    pub fn with_name(mut self, name: &str) -> Attachment {
        self.name = clean_name(name);
        self.by_name = type_of_name(&self.name);
        self
    }

    /// The file name the letter gives: the path's last component, with
    /// control and invisible direction-changing characters replaced by `_`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path it is read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's size in octets when it was opened (before encoding).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The media type, e.g. `image/png`, without parameters.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The charset parameter for a text type (`utf-8`), if known.
    pub fn charset(&self) -> Option<&str> {
        self.charset
    }

    /// The type the name's extension suggests, when it has a known one.
    pub fn type_by_name(&self) -> Option<&str> {
        self.by_name
    }

    /// The content is a program (a PE, ELF or Mach-O binary, Java or
    /// Android bytecode, WebAssembly), whatever the name says.
    pub fn is_executable_content(&self) -> bool {
        self.executable
    }

    /// Whether the part header gives the name as a plain quoted string;
    /// otherwise it goes in RFC 2231 (`filename*=utf-8''…`) and RFC 2047
    /// (`name="=?utf-8?…"`) form, for every reader.
    pub fn has_plain_name(&self) -> bool {
        super::mime::simple_name(&self.name)
    }

    /// The encoded part's body size: base64 in 76-character lines, each
    /// ending in CRLF.
    pub(super) fn encoded_len(&self) -> u64 {
        super::mime::base64_len(self.size)
    }

    /// Starts the second reading.
    pub(super) fn reader(&self) -> Reader<'_> {
        Reader {
            attachment: self,
            file: None,
            read: 0,
        }
    }
}

/// Reads until `buf` is full or the file ends; returns the octets read.
fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The path's last component as text. A name that is not UTF-8 keeps its
/// readable parts (U+FFFD for the rest): the receiver sees something close,
/// and the file is still read from its real path.
fn display_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy());
    clean_name(&name)
}

/// Control characters and invisible direction or joiner characters become
/// `_`: they could spoof the extension (`invoice\u{202e}fdp.exe` shows as
/// `invoice.exe.pdf`), rspamd scores them (`MIME_BAD_UNICODE`), and no
/// real name needs them.
fn clean_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if crate::chars::is_unsafe(c) { '_' } else { c })
        .collect();
    if cleaned.trim().is_empty() {
        "attachment".to_string()
    } else {
        cleaned
    }
}

/// The second reading of an attachment: opened when its part begins,
/// checked against [`Attachment::open`]'s stamp at the start and the end,
/// and counted, so a file that changed in between is an error rather than
/// a letter with the wrong content.
#[derive(Debug)]
pub(super) struct Reader<'a> {
    attachment: &'a Attachment,
    file: Option<File>,
    read: u64,
}

impl Reader<'_> {
    /// Fills `buf` from the file; a short count only at the end. The end is
    /// where [`Attachment::open`] saw it, or an error.
    pub(super) fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let a = self.attachment;
        let file = match &mut self.file {
            Some(file) => file,
            None => {
                let file = open_nonblocking(&a.path)?;
                check(a, &file)?;
                self.file.insert(file)
            }
        };
        let left = a.size - self.read;
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let got = read_full(file, &mut buf[..want])?;
        self.read += got as u64;
        if got < want {
            return Err(changed(a, "it is shorter now"));
        }
        if self.read == a.size {
            // Nothing may follow, and the file must still be the one
            // that was opened, untouched.
            let mut probe = [0u8; 1];
            if read_full(file, &mut probe)? > 0 {
                return Err(changed(a, "it is longer now"));
            }
            check(a, file)?;
        }
        Ok(got)
    }

    /// Every octet has been read and checked.
    pub(super) fn done(&self) -> bool {
        self.file.is_some() && self.read == self.attachment.size
    }
}

impl Attachment {
    /// Whether the file is still the one attached (there, the same size and
    /// modification time): checked before a send starts, so a file that
    /// went or changed is said then, not halfway through the letter.
    pub fn verify(&self) -> std::io::Result<()> {
        let meta = std::fs::metadata(&self.path).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("the attachment {} cannot be read: {e}", self.path.display()),
            )
        })?;
        compare(self, &FileStamp::of(&meta))
    }
}

/// Opens a file to read without blocking on a FIFO swapped in after its
/// type was checked (the open would wait for a writer forever); the checks
/// after it then refuse what is not the file attached.
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

/// Compares the open file with what [`Attachment::open`] saw.
fn check(a: &Attachment, file: &File) -> std::io::Result<()> {
    compare(a, &FileStamp::of(&file.metadata()?))
}

fn compare(a: &Attachment, now: &FileStamp) -> std::io::Result<()> {
    if *now == a.stamp {
        Ok(())
    } else if now.len != a.stamp.len {
        Err(changed(
            a,
            &format!("{} octets when attached, {} now", a.stamp.len, now.len),
        ))
    } else {
        Err(changed(a, "it was modified"))
    }
}

fn changed(a: &Attachment, how: &str) -> std::io::Error {
    std::io::Error::other(format!(
        "the attachment {} changed after it was attached ({how})",
        a.path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::kind::tests::{PDF, PNG};
    use super::*;

    #[test]
    fn names_are_cleaned() {
        for (raw, expected) in [
            ("report.pdf", "report.pdf"),
            ("Отчёт за март.pdf", "Отчёт за март.pdf"),
            ("a\nb\r.txt", "a_b_.txt"),
            ("invoice\u{202e}fdp.exe", "invoice_fdp.exe"),
            ("zero\u{200b}width", "zero_width"),
            ("quote\"semi;percent%.txt", "quote\"semi;percent%.txt"),
            ("   ", "attachment"),
        ] {
            assert_eq!(clean_name(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn open_tells_missing_from_unusable() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("Отчёт.png");
        std::fs::write(&file, PNG).unwrap();
        let a = Attachment::open(&file).unwrap();
        assert_eq!(
            (a.name(), a.size(), a.content_type()),
            ("Отчёт.png", PNG.len() as u64, "image/png")
        );

        let missing = dir.path().join("nope.pdf");
        let err = Attachment::open(&missing).unwrap_err();
        assert!(err.is_missing(), "{err}");
        assert_eq!(
            err.to_string(),
            format!("{}: no such file", missing.display())
        );

        let err = Attachment::open(dir.path()).unwrap_err();
        assert!(matches!(err, AttachmentError::Directory { .. }), "{err}");
        assert!(!err.is_missing());

        let err = Attachment::open(Path::new("/dev/null")).unwrap_err();
        assert!(matches!(err, AttachmentError::NotRegular { .. }), "{err}");

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let locked = dir.path().join("locked.txt");
            std::fs::write(&locked, "secret").unwrap();
            std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
            // Root reads it anyway; the case only holds for other users.
            if std::fs::read(&locked).is_err() {
                let err = Attachment::open(&locked).unwrap_err();
                assert!(matches!(err, AttachmentError::Unreadable { .. }), "{err}");
                assert!(err.to_string().contains("locked.txt"), "{err}");
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_keep_their_readable_part() {
        use std::os::unix::ffi::OsStrExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir
            .path()
            .join(std::ffi::OsStr::from_bytes(b"r\xe9sum\xe9.pdf"));
        std::fs::write(&path, PDF).unwrap();
        let a = Attachment::open(&path).unwrap();
        assert_eq!(a.name(), "r\u{fffd}sum\u{fffd}.pdf");
        assert_eq!(a.content_type(), "application/pdf");
    }

    #[test]
    fn the_second_reading_notices_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.bin");
        let read_all = |a: &Attachment| {
            let mut reader = a.reader();
            let mut buf = vec![0u8; 7];
            let mut out = Vec::new();
            loop {
                let n = reader.fill(&mut buf)?;
                out.extend_from_slice(&buf[..n]);
                if n < buf.len() || out.len() as u64 == a.size() {
                    return Ok::<_, std::io::Error>(out);
                }
            }
        };
        std::fs::write(&path, b"0123456789abcdef").unwrap();
        let a = Attachment::open(&path).unwrap();
        assert_eq!(read_all(&a).unwrap(), b"0123456789abcdef");

        for (label, change) in [
            ("shorter", &b"0123"[..]),
            ("longer", b"0123456789abcdefXYZ"),
            ("same size", b"fedcba9876543210"),
        ] {
            std::fs::write(&path, b"0123456789abcdef").unwrap();
            let a = Attachment::open(&path).unwrap();
            // A different modification time even on coarse clocks.
            std::fs::write(&path, change).unwrap();
            let file = File::options().write(true).open(&path).unwrap();
            file.set_modified(SystemTime::UNIX_EPOCH).unwrap();
            let err = read_all(&a).unwrap_err();
            assert!(
                err.to_string().contains("changed after it was attached"),
                "{label}: {err}"
            );
        }
        std::fs::remove_file(&path).unwrap();
        assert!(read_all(&a).is_err(), "a vanished file is an error");
    }
}
