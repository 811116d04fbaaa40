//! Checks of the attached files: programs, which providers refuse, and
//! names whose extension the content contradicts.

use super::{Attachment, Warning};

/// Extensions Gmail refuses to carry ("File types blocked in Gmail"),
/// which Outlook and rspamd (`MIME_BAD_EXTENSION`) largely share: a
/// provider's policy, not a type table, so it is listed here.
const BLOCKED_EXTENSIONS: &[&str] = &[
    "ade",
    "adp",
    "apk",
    "appx",
    "appxbundle",
    "bat",
    "cab",
    "chm",
    "cmd",
    "com",
    "cpl",
    "diagcab",
    "diagcfg",
    "diagpack",
    "dll",
    "dmg",
    "ex",
    "ex_",
    "exe",
    "hta",
    "img",
    "ins",
    "iso",
    "isp",
    "jar",
    "jnlp",
    "js",
    "jse",
    "lib",
    "lnk",
    "mde",
    "msc",
    "msi",
    "msix",
    "msixbundle",
    "msp",
    "mst",
    "nsh",
    "pif",
    "ps1",
    "scr",
    "sct",
    "shb",
    "sys",
    "vb",
    "vbe",
    "vbs",
    "vhd",
    "vxd",
    "wsc",
    "wsf",
    "wsh",
    "xll",
];

/// The warnings about one file.
pub(super) fn check(file: &Attachment) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let name = file.name();
    let extension = std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let blocked_name = extension.is_some_and(|e| BLOCKED_EXTENSIONS.contains(&e.as_str()));
    if file.is_executable_content() || blocked_name {
        warnings.push(Warning::Executable {
            name: name.to_string(),
            by_content: file.is_executable_content(),
        });
    }
    if let Some(by_name) = file.type_by_name()
        && by_name != file.content_type()
        && file.content_type() != "application/octet-stream"
    {
        warnings.push(Warning::MislabeledAttachment {
            name: name.to_string(),
            content_type: file.content_type().to_string(),
            by_name: by_name.to_string(),
        });
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::super::{LintContext, letter_size, lint, lint_with_attachments, tests::draft};
    use super::*;

    #[test]
    fn attachment_warnings_table() {
        use Warning::*;
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, content: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            Attachment::open(&path).unwrap()
        };
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
        let pe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";
        let big = dir.path().join("big.iso.part");
        // Sparse: the size is what counts, no 26 MB is written.
        std::fs::File::create(&big)
            .unwrap()
            .set_len(26_000_000)
            .unwrap();
        let big = Attachment::open(&big).unwrap();
        let notes = file("notes.txt", b"notes\n");
        let ok = ("Hello", "See the attached notes.");
        for ((subject, body), files, expected) in [
            (ok, vec![notes.clone()], vec![]),
            (
                ok,
                vec![],
                vec![MentionsAttachment {
                    word: "attached".into(),
                }],
            ),
            (
                ("Hello", "Во вложении отчёт."),
                vec![],
                vec![MentionsAttachment {
                    word: "вложении".into(),
                }],
            ),
            (("Hello", "No files."), vec![], vec![]),
            (
                ok,
                vec![file("setup.EXE", b"text, really")],
                vec![Executable {
                    name: "setup.EXE".into(),
                    by_content: false,
                }],
            ),
            (
                ok,
                vec![file("run.ps1", b"Write-Host hi")],
                vec![Executable {
                    name: "run.ps1".into(),
                    by_content: false,
                }],
            ),
            (
                ok,
                vec![file("invoice.pdf", pe)],
                vec![
                    Executable {
                        name: "invoice.pdf".into(),
                        by_content: true,
                    },
                    MislabeledAttachment {
                        name: "invoice.pdf".into(),
                        content_type: "application/vnd.microsoft.portable-executable".into(),
                        by_name: "application/pdf".into(),
                    },
                ],
            ),
            (
                ok,
                vec![file("photo.jpg", png)],
                vec![MislabeledAttachment {
                    name: "photo.jpg".into(),
                    content_type: "image/png".into(),
                    by_name: "image/jpeg".into(),
                }],
            ),
            (ok, vec![file("photo.png", png)], vec![]),
            (ok, vec![big.clone()], vec![OverProviderLimit { size: 0 }]),
        ] {
            let d = draft(subject, body, "a@example.net", "");
            let mut got = lint_with_attachments(&d, &files, &LintContext::default());
            // The exact size is checked below.
            for w in &mut got {
                if let OverProviderLimit { size } = w {
                    assert!(*size > 26_000_000 * 4 / 3, "{size}");
                    *size = 0;
                }
            }
            assert_eq!(got, expected, "{subject:?} {body:?} {files:?}");
        }

        // The server's SIZE counts the files; the plain lint does not look
        // at attachments at all.
        let d = draft("Hello", "See attached.", "a@example.net", "");
        let with = letter_size(&d, std::slice::from_ref(&big)).unwrap();
        let without = letter_size(&d, &[]).unwrap();
        assert!(with > without + 26_000_000, "{with} {without}");
        let ctx = LintContext {
            helo: None,
            size_limit: Some(with - 1),
        };
        let got = lint_with_attachments(&d, std::slice::from_ref(&big), &ctx);
        assert_eq!(
            got[0],
            TooLarge {
                size: with,
                limit: with - 1
            }
        );
        assert_eq!(lint(&d, &ctx), vec![]);
    }
}
