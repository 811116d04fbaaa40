//! A file attached to the letter: what [`Attachment::open`] learns from
//! the file's metadata, name and first bytes, and the second reading,
//! piece by piece and checked against the first, while the letter streams.
//!
//! The Content-Type comes from two maintained tables: `infer` (magic
//! numbers) and `mime_guess` (extensions). Precedence:
//! 1. The content's type wins for binary formats: an executable named
//!    `invoice.pdf` must not go out as `application/pdf`.
//! 2. The name wins when the content is only a container (ZIP, OLE, e.g.
//!    `.docx`, `.jar`, `.msg`) or text that the sniffer half-recognises
//!    (XML, HTML, `#!`): `.svg` is `image/svg+xml`, not `text/xml`.
//! 3. A short magic number in what is plainly text (`MZ…` or `BM…` at the
//!    start of a note) is not believed.
//! 4. A text type by name for content that is not text (NUL octets), and
//!    anything unknown, is `application/octet-stream`.
//!
//! `message/*` and `multipart/*` become `application/octet-stream` as
//! well: they may not be base64-encoded (RFC 2046 §5), and every attachment
//! is. Text types get `charset=utf-8` when the first 64 KiB are UTF-8, and
//! no charset otherwise (a legacy 8-bit file; the receiver guesses).

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
    #[error("{path} is a folder, not a file")]
    Directory {
        /// The path as given.
        path: String,
    },
    /// The path is a device, a socket or a pipe: no size to announce, or
    /// reading it would block or never end.
    #[error("{path} is not a regular file")]
    NotRegular {
        /// The path as given.
        path: String,
    },
    /// The file exists but cannot be read (permissions, I/O).
    #[error("cannot read {path}: {source}")]
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
        let mut file = File::open(path).map_err(unreadable)?;
        // The stamp from the open file, so it describes what was sniffed.
        let stamp = FileStamp::of(&file.metadata().map_err(unreadable)?);
        let mut head = vec![0u8; HEAD.min(usize::try_from(stamp.len).unwrap_or(HEAD))];
        let got = read_full(&mut file, &mut head).map_err(unreadable)?;
        head.truncate(got);
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

/// The type the name's extension suggests; "some binary"
/// (`application/octet-stream`, as for `.exe` or `.bin`) says nothing the
/// content cannot.
fn type_of_name(name: &str) -> Option<&'static str> {
    mime_guess::from_path(name)
        .first_raw()
        .filter(|t| *t != "application/octet-stream")
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
        .map(|n| n.to_string_lossy())
        .unwrap_or_else(|| path.to_string_lossy());
    clean_name(&name)
}

/// Control characters and invisible direction or joiner characters become
/// `_`: they could spoof the extension (`invoice\u{202e}fdp.exe` shows as
/// `invoice.exe.pdf`), rspamd scores them (`MIME_BAD_UNICODE`), and no
/// real name needs them.
fn clean_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            let invisible = matches!(c,
                '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}' | '\u{feff}');
            if c.is_control() || invisible { '_' } else { c }
        })
        .collect();
    if cleaned.trim().is_empty() {
        "attachment".to_string()
    } else {
        cleaned
    }
}

/// The outcome of [`classify`].
#[derive(Debug, PartialEq, Eq)]
struct Kind {
    content_type: String,
    charset: Option<&'static str>,
    executable: bool,
}

/// Chooses the Content-Type from the first octets and the type the name
/// suggests (see the module docs for the precedence).
fn classify(head: &[u8], size: u64, by_name: Option<&'static str>) -> Kind {
    let sniffed = infer::get(head);
    let text = looks_like_text(head);
    let executable = sniffed.is_some_and(|t| is_program(&t)) && !text;
    let octets = "application/octet-stream";
    // A type that may not be base64-encoded goes as plain octets, which
    // rspamd exempts from its name-versus-type check.
    if by_name.is_some_and(|t| t.starts_with("message/") || t.starts_with("multipart/")) {
        return Kind {
            content_type: octets.to_string(),
            charset: None,
            executable,
        };
    }
    let chosen: &str = match (sniffed, by_name) {
        // Rule 3: a magic number in plain text is a coincidence, unless
        // the format is itself written in printable text.
        (Some(t), name)
            if text && !t.matcher_type().eq(&infer::MatcherType::Text) && !is_textual(&t) =>
        {
            name.unwrap_or("text/plain")
        }
        (Some(t), Some(name)) if is_container(&t) => name,
        (Some(t), _) if t.mime_type() == octets => by_name.unwrap_or(octets),
        (Some(t), _) => t.mime_type(),
        (None, Some(name)) => name,
        (None, None) if text && size > 0 => "text/plain",
        (None, None) => octets,
    };
    // Rule 4: a text type for content with NUL octets would be shown as
    // garbage.
    let chosen = if chosen.starts_with("text/") && !text {
        octets
    } else {
        chosen
    };
    let charset = (chosen.starts_with("text/") && utf8_prefix(head)).then_some("utf-8");
    Kind {
        content_type: chosen.to_string(),
        charset,
        executable,
    }
}

/// Whether the sniffer's answer is a container or half-recognised text
/// format, where the extension says more (see the module docs).
fn is_container(t: &infer::Type) -> bool {
    t.matcher_type() == infer::MatcherType::Text
        || matches!(
            t.mime_type(),
            "application/zip"
                | "application/x-ole-storage"
                | "application/msword"
                | "application/vnd.ms-excel"
                | "application/vnd.ms-powerpoint"
                | "application/gzip"
                | "application/x-tar"
        )
}

/// Binary formats whose files are often pure printable text, so that text
/// content does not make their magic number a coincidence.
fn is_textual(t: &infer::Type) -> bool {
    matches!(
        t.mime_type(),
        "application/pdf"
            | "application/postscript"
            | "application/rtf"
            | "application/x-x509-ca-cert"
    )
}

/// Programs among the sniffer's application types; certificates and disk
/// images are not.
fn is_program(t: &infer::Type) -> bool {
    t.matcher_type() == infer::MatcherType::App
        && !matches!(
            t.mime_type(),
            "application/x-x509-ca-cert" | "application/x-qemu-disk" | "application/x-llvm"
        )
}

/// Text in any 8-bit or UTF-8 encoding has no NUL octets; binary formats
/// almost always do within the first kilobytes. UTF-16 text has them too
/// and goes out as binary, which keeps its octets intact.
fn looks_like_text(head: &[u8]) -> bool {
    memchr::memchr(0, head).is_none()
}

/// Whether `head` is UTF-8, allowing a character cut by the end of the
/// sample.
fn utf8_prefix(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() == HEAD,
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
                let file = File::open(&a.path)?;
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

/// Compares the open file with what [`Attachment::open`] saw.
fn check(a: &Attachment, file: &File) -> std::io::Result<()> {
    let now = FileStamp::of(&file.metadata()?);
    if now == a.stamp {
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
        "the attachment {} changed after it was attached ({how}); the letter was not finished",
        a.path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n\0";
    const ELF: &[u8] = &[
        0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0, 1, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    const PE: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";
    const ZIP: &[u8] = b"PK\x03\x04\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x05\0\0\0a.txt";

    #[test]
    fn type_precedence() {
        let guess = type_of_name;
        for (name, head, expected, charset, executable) in [
            // Sniffed binary formats win over the extension.
            ("photo.png", PNG, "image/png", None, false),
            ("photo.jpg", PNG, "image/png", None, false),
            ("report.pdf", PDF, "application/pdf", None, false),
            ("report", PDF, "application/pdf", None, false),
            (
                "ascii-only",
                b"%PDF-1.4\n1 0 obj\n",
                "application/pdf",
                None,
                false,
            ),
            (
                "invoice.pdf",
                PE,
                "application/vnd.microsoft.portable-executable",
                None,
                true,
            ),
            ("tool", ELF, "application/x-executable", None, true),
            // A container: the extension tells what is inside.
            (
                "Отчёт.docx",
                ZIP,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                None,
                false,
            ),
            ("bundle.zip", ZIP, "application/zip", None, false),
            ("data.bin", ZIP, "application/zip", None, false),
            // Text: by extension, with a charset when it is UTF-8.
            (
                "notes.txt",
                "Привет\n".as_bytes(),
                "text/plain",
                Some("utf-8"),
                false,
            ),
            ("table.csv", b"a,b\n1,2\n", "text/csv", Some("utf-8"), false),
            (
                "cp1251.txt",
                b"\xcf\xf0\xe8\xe2\xe5\xf2\n",
                "text/plain",
                None,
                false,
            ),
            (
                "README",
                b"plain words\n",
                "text/plain",
                Some("utf-8"),
                false,
            ),
            (
                "page.svg",
                b"<?xml version=\"1.0\"?><svg/>",
                "image/svg+xml",
                None,
                false,
            ),
            (
                "page.html",
                b"<!DOCTYPE html><html></html>",
                "text/html",
                Some("utf-8"),
                false,
            ),
            // A short magic number in text is a coincidence.
            (
                "mz.txt",
                b"MZ is the DOS signature\n",
                "text/plain",
                Some("utf-8"),
                false,
            ),
            (
                "MZ notes",
                b"MZ is the DOS signature\n",
                "text/plain",
                Some("utf-8"),
                false,
            ),
            // Text by name but binary content; unknown; empty.
            (
                "fake.txt",
                b"\0\x01\x02binary",
                "application/octet-stream",
                None,
                false,
            ),
            (
                "blob",
                b"\0\x01\x02binary",
                "application/octet-stream",
                None,
                false,
            ),
            ("empty", b"", "application/octet-stream", None, false),
            ("empty.txt", b"", "text/plain", Some("utf-8"), false),
            // May not be base64: sent as octets.
            (
                "letter.eml",
                b"From: a@b\r\n\r\nx\r\n",
                "application/octet-stream",
                None,
                false,
            ),
        ] {
            let kind = classify(head, head.len() as u64, guess(name));
            assert_eq!(
                kind,
                Kind {
                    content_type: expected.to_string(),
                    charset,
                    executable
                },
                "{name}"
            );
        }
    }

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
