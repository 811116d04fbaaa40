//! `smtpwire send --print-command swaks|curl|smtpwire`: the command line
//! that sends this letter with these settings (see [`equivalent`]), on
//! standard output; nothing is sent.
//!
//! swaks and curl send a file: the letter as [`equivalent::build_letter`]
//! builds it (7-bit), saved in `--eml FILE` when given, else as
//! `smtpwire-letter[-N].eml` in the current directory (0600, never
//! overwriting), and named by its absolute path, as is the CA file.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
};

use super::{
    Options,
    exit::{self, Failure},
};
use crate::{
    equivalent::{self, BuiltLetter, DraftLetter, Tool},
    files,
    mail::Stamp,
    resolve::{PasswordSource, Resolved, Trust},
    smtp, submit,
};

/// Prints the command for `tool` (saving the letter for swaks and curl).
pub(super) fn print(
    options: &Options,
    tool: Tool,
    resolved: &Resolved,
    parts: submit::Parts<'_>,
) -> Result<(), Failure> {
    let draft = parts.draft;
    // The command may run from elsewhere: the CA file by its absolute path.
    let mut resolved = resolved.clone();
    resolved.trust = match resolved.trust {
        Trust::System { extra: Some(ca) } => Trust::System {
            extra: Some(absolute(&ca)?),
        },
        Trust::Only(ca) => Trust::Only(absolute(&ca)?),
        other @ Trust::System { extra: None } => other,
    };
    let text = match tool {
        Tool::Smtpwire => {
            if options.eml.is_some() {
                save(options, &portable(parts)?.0)?;
            }
            let body_file = body_file(options)?;
            let attachments = parts
                .attachments
                .iter()
                .map(|a| absolute(a.path()))
                .collect::<Result<Vec<_>, _>>()?;
            equivalent::smtpwire(
                &resolved,
                &DraftLetter {
                    draft,
                    body_file: body_file.as_deref(),
                    repeat: options.repeat,
                    attachments: &attachments,
                },
            )
        }
        Tool::Swaks | Tool::Curl => {
            let (bytes, envelope) = portable(parts)?;
            let path = save(options, &bytes)?;
            if !options.quiet {
                eprintln!(
                    "the letter ({} bytes, 7-bit) is saved in {}; the command sends that file",
                    smtp::connection::group_digits(bytes.len() as u64),
                    path.display()
                );
            }
            if options.repeat > 1 {
                eprintln!("warning: {tool} sends the letter once (--repeat is smtpwire's)");
            }
            let built = BuiltLetter {
                file: &path,
                envelope: &envelope,
            };
            if tool == Tool::Swaks {
                equivalent::swaks(&resolved, &built)
            } else {
                equivalent::curl(&resolved, &built)
            }
        }
    };
    if let Some(login) = &resolved.login
        && login.password == PasswordSource::Ask
        && !options.quiet
    {
        eprintln!(
            "note: the command reads the password for {} from SMTPWIRE_PASSWORD; set it first",
            login.user
        );
    }
    writeln!(std::io::stdout().lock(), "{text}").map_err(|e| {
        Failure::new(
            exit::CANTCREAT,
            format!("cannot write to standard output: {e}"),
        )
    })
}

/// The letter's bytes and its envelope, as swaks and curl send them.
fn portable(parts: submit::Parts<'_>) -> Result<(Vec<u8>, smtp::Envelope), Failure> {
    let (letter, envelope) = equivalent::build_letter(parts, &Stamp::now())?;
    let bytes = letter
        .letter()
        .to_bytes()
        .map_err(|e| Failure::new(exit::DATAERR, format!("error: cannot read the body: {e}")))?;
    Ok((bytes, envelope))
}

/// Saves the letter in `--eml FILE` or a new file here; its absolute path.
fn save(options: &Options, bytes: &[u8]) -> Result<PathBuf, Failure> {
    let saved = match &options.eml {
        Some(path) => files::write_private(path, bytes).map(|()| path.clone()),
        None => files::write_unique(Path::new("."), "smtpwire-letter", "eml", bytes),
    }
    .map_err(|e| exit::cannot_write("the letter", &e))?;
    absolute(&saved)
}

/// The body's file as an absolute path (`-`, standard input, is in the
/// draft already).
fn body_file(options: &Options) -> Result<Option<PathBuf>, Failure> {
    match &options.body_file {
        Some(path) if options.body.is_none() && path != Path::new("-") => absolute(path).map(Some),
        _ => Ok(None),
    }
}

fn absolute(path: &Path) -> Result<PathBuf, Failure> {
    std::path::absolute(path).map_err(|e| {
        Failure::new(
            exit::CANTCREAT,
            format!("cannot name {} absolutely: {e}", path.display()),
        )
    })
}
