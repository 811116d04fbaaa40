//! F4: the body in the user's own editor. The text goes to a private
//! temporary file, `$VISUAL`, else `$EDITOR`, else `vi` runs on it with the
//! terminal handed over, and the file's text comes back.

use std::{io::Write as _, process::Command};

/// The editor to run: `$VISUAL`, `$EDITOR`, or `vi`. The value may hold
/// arguments (`code --wait`); it is run by the shell, as git runs it.
pub(super) fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .into_iter()
        .filter_map(std::env::var_os)
        .map(|v| v.to_string_lossy().into_owned())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_owned())
}

/// Runs `editor` on `text`; returns the edited text, or why there is none
/// (the caller keeps the body as it was). The terminal must be handed over
/// before and taken back after.
pub(super) fn edit(text: &str, editor: &str) -> Result<String, String> {
    let mut file = tempfile::Builder::new()
        .prefix("smtpwire-body-")
        .suffix(".txt")
        .tempfile()
        .map_err(|e| format!("cannot make a file for the editor: {e}"))?;
    let mut contents = text.to_owned();
    // Editors expect a final line end, and add one when saving.
    if !contents.is_empty() && !contents.ends_with('\n') {
        contents.push('\n');
    }
    file.write_all(contents.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| format!("cannot write the file for the editor: {e}"))?;
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file.path())
        .status()
        .map_err(|e| format!("cannot start the editor ({editor}): {e}"))?;
    if !status.success() {
        // 127: the shell could not find it.
        return Err(if status.code() == Some(127) {
            format!("the editor ({editor}) was not found: set VISUAL or EDITOR")
        } else {
            format!("the editor ({editor}) failed ({status})")
        });
    }
    let bytes = std::fs::read(file.path())
        .map_err(|e| format!("cannot read the file the editor left: {e}"))?;
    let mut edited = String::from_utf8(bytes).map_err(|e| {
        format!(
            "the editor left text that is not UTF-8 (at byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    if edited.ends_with('\n') {
        edited.pop();
        if edited.ends_with('\r') {
            edited.pop();
        }
    }
    Ok(edited)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_come_back_and_failures_say_why() {
        for (editor, text, expected) in [
            // An "editor" that appends a line.
            (
                "sh -c 'printf \"Привет\\n\" >> \"$1\"' sh",
                "first line",
                Ok("first line\nПривет"),
            ),
            ("true", "unchanged", Ok("unchanged")),
            ("sh -c 'exit 3' sh", "kept", Err("failed")),
            ("no-such-editor-smtpwire", "kept", Err("was not found")),
            (
                "sh -c 'printf \"\\377\" > \"$1\"' sh",
                "kept",
                Err("not UTF-8"),
            ),
        ] {
            match (edit(text, editor), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{editor}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{editor}: {got}"),
                (got, want) => panic!("{editor}: {got:?}, expected {want:?}"),
            }
        }
    }
}
