//! The Content-Type of an attachment, from two maintained tables: `infer`
//! (magic numbers) and `mime_guess` (extensions). Precedence:
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

use super::HEAD;

/// The type the name's extension suggests; "some binary"
/// (`application/octet-stream`, as for `.exe` or `.bin`) says nothing the
/// content cannot.
pub(super) fn type_of_name(name: &str) -> Option<&'static str> {
    mime_guess::from_path(name)
        .first_raw()
        .filter(|t| *t != "application/octet-stream")
}

/// The outcome of [`classify`].
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Kind {
    pub(super) content_type: String,
    pub(super) charset: Option<&'static str>,
    pub(super) executable: bool,
}

/// Chooses the Content-Type from the first octets and the type the name
/// suggests (see the module docs for the precedence).
pub(super) fn classify(head: &[u8], size: u64, by_name: Option<&'static str>) -> Kind {
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
    crate::scan::find(0, head).is_none()
}

/// Whether `head` is UTF-8, allowing a character cut by the end of the
/// sample.
fn utf8_prefix(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() == HEAD,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::mail) const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    pub(in crate::mail) const PDF: &[u8] =
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n\0";
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
}
