//! What the composer starts with: the settings (config file under the
//! command line), the saved draft under the command line's letter options,
//! the environment, and what to tell the user first.

use std::{
    fs::File,
    io::IsTerminal as _,
    path::{Path, PathBuf},
};

use std::collections::BTreeMap;

use crate::{
    app::{AttachedFile, Context, StoredDraft},
    cli::{self, Failure, Options, exit},
    config,
    config::ConfigFile,
    files,
    mail::{Attachment, DraftInput, Mailbox},
    password,
    settings::Settings,
};

/// A message for the log at start-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// For information.
    Info(String),
    /// Something is wrong (red, and in the status line).
    Problem(String),
}

/// Everything `App::new` needs, and what to tell the user first.
#[derive(Debug)]
pub struct Startup {
    /// The config file's settings under the command line's.
    pub settings: Settings,
    /// The letter: the saved draft under the command line's options.
    pub draft: DraftInput,
    /// Its attachments (`--attach`, else the saved draft's), opened; one
    /// that is gone is kept, flagged, so it is never dropped silently.
    pub attachments: Vec<AttachedFile>,
    /// The environment.
    pub context: Context,
    /// The `--transcript` file, open for appending.
    pub transcript: Option<File>,
    /// `--open-log FILE`: its name and its bytes, read into the log once
    /// the app exists.
    pub opened_log: Option<(PathBuf, Vec<u8>)>,
    /// What to tell the user first.
    pub notes: Vec<Note>,
}

/// Reads the settings, the draft and the environment. Problems with files
/// are notes (the composer starts anyway); only what makes no sense for a
/// composer is a failure.
pub fn startup(options: &Options) -> Result<Startup, Failure> {
    let mut notes = Vec::new();
    let config_path = match config::config_path(options.config.as_deref()) {
        Ok(path) => Some(path),
        Err(e) => {
            notes.push(Note::Problem(e.to_string()));
            None
        }
    };
    let accounts = match &config_path {
        None => ConfigFile::default(),
        Some(path) => match config::load(path).map(|s| s.map(|s| (s.validate(), s))) {
            Ok(Some((Ok(()), file))) => {
                notes.push(Note::Info(format!("settings from {}", path.display())));
                file
            }
            Ok(Some((Err(e), _))) => {
                notes.push(Note::Problem(format!(
                    "{}: {e}; using defaults",
                    path.display()
                )));
                ConfigFile::default()
            }
            Ok(None) => {
                if options.config.is_some() {
                    notes.push(Note::Problem(format!(
                        "config file {} not found; using defaults (Ctrl+W creates it)",
                        path.display()
                    )));
                }
                ConfigFile::default()
            }
            Err(e) => {
                notes.push(Note::Problem(format!("{e}; using defaults")));
                ConfigFile::default()
            }
        },
    };
    let from_domain = options
        .settings
        .from
        .as_deref()
        .and_then(|f| Mailbox::parse(f).ok())
        .map(|m| m.address.domain_ascii().to_owned());
    let account = match accounts.choose(options.account.as_deref(), from_domain.as_deref()) {
        Ok(account) => account,
        Err(e) => {
            notes.push(Note::Problem(e.to_string()));
            accounts.choose(None, None).unwrap_or(config::Account {
                name: config::FLAT.to_owned(),
                settings: Settings::default(),
                chosen_by: "no account".to_owned(),
            })
        }
    };
    if accounts.names().len() > 1 {
        notes.push(Note::Info(format!(
            "account {} ({}); F2, then Space, changes it",
            account.name, account.chosen_by
        )));
    }
    let settings = account.settings.overlay(&options.settings);
    let signatures = read_signatures(&accounts, &options.settings, &mut notes);

    let data_dir = match config::data_dir() {
        Ok(dir) => Some(dir),
        Err(e) => {
            notes.push(Note::Problem(format!("{e}; the draft cannot be saved")));
            None
        }
    };
    let kept = data_dir.as_ref().map_or(0, |dir| {
        kept_copies(&crate::sent::Queue::at(dir.join("sent-queue")), &mut notes)
    });
    let stored = data_dir
        .as_ref()
        .and_then(|dir| load_draft(&dir.join("draft.toml"), &mut notes));
    let (stored, saved_files) = match stored {
        Some(restored) => (Some(restored.input), restored.attachments),
        None => (None, Vec::new()),
    };
    // The command line's files replace the draft's, as its other letter
    // options do.
    let attachments = if options.attach.is_empty() {
        open_attachments(saved_files, &mut notes)
    } else {
        open_attachments(options.attach.clone(), &mut notes)
    };
    let body = if options.body.is_some() || options.body_file.is_some() {
        if options.body_file.as_deref() == Some(Path::new("-")) && std::io::stdin().is_terminal() {
            return Err(Failure::new(
                exit::USAGE,
                "--body-file - reads the body from a pipe; the composer's input is the terminal",
            ));
        }
        Some(cli::read_body(options)?)
    } else {
        None
    };
    let draft = prefill(stored.unwrap_or_default(), options, body);

    for (given, flag) in [
        (options.dry_run, "--dry-run"),
        (options.eml.is_some(), "--eml"),
        (options.repeat > 1, "--repeat"),
        (options.quiet, "--quiet"),
    ] {
        if given {
            notes.push(Note::Info(format!(
                "{flag} is for `smtpwire send`; ignored here"
            )));
        }
    }
    let password = match password::from_environment() {
        Ok(password) => password,
        Err(e) => {
            notes.push(Note::Problem(e.to_string()));
            None
        }
    };
    let transcript = match &options.transcript {
        None => None,
        Some(path) => {
            let opened = files::open_append_private(path).map_err(|e| {
                Failure::new(
                    exit::CANTCREAT,
                    format!("cannot open the transcript file: {e}"),
                )
            })?;
            if let Some(warning) = opened.warning(path) {
                notes.push(Note::Problem(warning));
            }
            Some(opened.file)
        }
    };
    let addresses = match &data_dir {
        Some(dir) => crate::addresses::History::load(&crate::addresses::History::path(dir))
            .unwrap_or_else(|e| {
                notes.push(Note::Problem(format!(
                    "the addresses for completion cannot be read: {e}"
                )));
                crate::addresses::History::default()
            }),
        None => crate::addresses::History::default(),
    };
    let opened_log = match &options.open_log {
        None => None,
        Some(path) => Some((
            path.clone(),
            std::fs::read(path).map_err(|e| {
                Failure::new(
                    exit::NOINPUT,
                    format!("cannot read the log {}: {e}", path.display()),
                )
            })?,
        )),
    };
    let context = Context {
        hostname: gethostname::gethostname().to_string_lossy().into_owned(),
        config_path,
        data_dir,
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        password,
        accounts,
        account: account.name,
        command_line: options.settings.clone(),
        signatures,
        addresses,
        kept_copies: kept,
    };
    Ok(Startup {
        settings,
        draft,
        attachments,
        context,
        transcript,
        opened_log,
        notes,
    })
}

/// Each account's signature (the command line's `--signature-file` for
/// all); a file that cannot be read is said and left out.
fn read_signatures(
    accounts: &ConfigFile,
    command_line: &Settings,
    notes: &mut Vec<Note>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in accounts.names() {
        let settings = accounts
            .settings(&name)
            .unwrap_or_default()
            .overlay(command_line);
        let Some(path) = settings.signature_file else {
            continue;
        };
        let path = crate::pathcomplete::expand(
            &path.to_string_lossy(),
            Path::new("/"),
            std::env::var_os("HOME").as_deref().map(Path::new),
        );
        match files::read_trusted(&path, |_| false) {
            Ok(Some(text)) => {
                out.insert(name, text.trim_end().to_owned());
            }
            Ok(None) => notes.push(Note::Problem(format!(
                "account {name}: the signature file {} does not exist",
                path.display()
            ))),
            Err(e) => notes.push(Note::Problem(format!("account {name}: the signature: {e}"))),
        }
    }
    out
}

/// A saved draft: the letter and the paths of its files.
#[derive(Debug, PartialEq, Eq)]
pub struct Restored {
    /// The letter.
    pub input: DraftInput,
    /// Its attachments' paths.
    pub attachments: Vec<PathBuf>,
}

/// Opens each file; one that cannot be opened is kept as missing and said.
fn open_attachments(paths: Vec<PathBuf>, notes: &mut Vec<Note>) -> Vec<AttachedFile> {
    paths
        .into_iter()
        .map(|path| match Attachment::open(&path) {
            Ok(file) => AttachedFile::Ready(file),
            Err(e) => {
                notes.push(Note::Problem(format!(
                    "the attachment {e}; it stays in the letter, marked, until you remove it (Delete) or put it back"
                )));
                AttachedFile::Missing {
                    path,
                    reason: e.to_string(),
                }
            }
        })
        .collect()
}

/// The saved draft, if there is one; a broken one is kept aside (never
/// overwriting an earlier one) and reported.
pub fn load_draft(path: &Path, notes: &mut Vec<Note>) -> Option<Restored> {
    let text = match files::read_trusted(path, |_| false) {
        Ok(Some(text)) => text,
        Ok(None) => return None,
        Err(e) => {
            notes.push(Note::Problem(format!("cannot read the saved draft: {e}")));
            return None;
        }
    };
    match StoredDraft::from_toml(&text) {
        Ok(stored) => {
            let sent = stored.sent;
            let attachments = if sent {
                Vec::new()
            } else {
                stored.attachments.clone()
            };
            let input = stored.into_input();
            if sent {
                notes.push(Note::Info(
                    "the last letter was sent; this is a new one".into(),
                ));
            } else if input != DraftInput::default() {
                notes.push(Note::Info(format!(
                    "draft restored from {}",
                    path.display()
                )));
            }
            Some(Restored { input, attachments })
        }
        Err(reason) => {
            // Kept whole, then removed, so the next start does not keep it
            // again and the next save does not overwrite the only copy.
            let kept = match files::backup_broken(path) {
                Ok(aside) => match std::fs::remove_file(path) {
                    Ok(()) => format!("kept as {}", aside.display()),
                    Err(e) => format!("kept as {} (could not remove it: {e})", aside.display()),
                },
                Err(e) => format!("and could not be kept aside: {e}"),
            };
            notes.push(Note::Problem(format!(
                "the saved draft {} is not readable ({reason}); {kept}",
                path.display()
            )));
            None
        }
    }
}

/// The saved draft with the command line's letter options laid over it:
/// a field given on the command line wins.
pub fn prefill(mut draft: DraftInput, options: &Options, body: Option<String>) -> DraftInput {
    let list = |values: &[String]| (!values.is_empty()).then(|| values.join(", "));
    if let Some(from) = &options.settings.from {
        draft.from.clone_from(from);
    }
    if let Some(to) = list(&options.to) {
        draft.to = to;
    }
    if let Some(cc) = list(&options.cc) {
        draft.cc = cc;
    }
    if let Some(bcc) = list(&options.bcc) {
        draft.bcc = bcc;
    }
    if let Some(subject) = &options.subject {
        draft.subject.clone_from(subject);
    }
    if let Some(body) = body {
        draft.body = body;
    }
    draft
}

/// Says what waits in the queue of copies for Sent: they go after the next
/// letter to the same place (with its login), or with `smtpwire sent
/// --retry`.
/// Says how many copies wait in the queue, and returns that count.
fn kept_copies(queue: &crate::sent::Queue, notes: &mut Vec<Note>) -> usize {
    match queue.list() {
        Ok(list) if list.is_empty() => 0,
        Ok(list) => {
            notes.push(Note::Problem(format!(
                "{} cop{} of sent letters wait{} to be saved in Sent ({}): those of this \
                 account are tried now or after its first login, and after each letter to \
                 the same place; `smtpwire sent --retry` tries them all",
                list.len(),
                if list.len() == 1 { "y" } else { "ies" },
                if list.len() == 1 { "s" } else { "" },
                queue.dir().display()
            )));
            list.len()
        }
        Err(e) => {
            notes.push(Note::Problem(e.to_string()));
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_letter_options_win_over_the_draft() {
        let saved = DraftInput {
            from: "saved@example.org".into(),
            to: "old@example.org".into(),
            cc: "keep@example.org".into(),
            subject: "saved subject".into(),
            body: "saved body".into(),
            ..DraftInput::default()
        };
        let options = Options {
            to: vec!["a@example.org".into(), "b@example.org".into()],
            subject: Some("Тема".into()),
            ..Options::default()
        };
        let draft = prefill(saved, &options, Some("new body".into()));
        assert_eq!(draft.from, "saved@example.org");
        assert_eq!(draft.to, "a@example.org, b@example.org");
        assert_eq!(draft.cc, "keep@example.org");
        assert_eq!(draft.subject, "Тема");
        assert_eq!(draft.body, "new body");
    }

    /// The composer starts with defaults and says, in red, why the config
    /// file was not used and how to fix it.
    #[test]
    fn an_untrusted_config_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "server = \"x.example\"\npassword_command = \"evil\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
        let options = Options {
            config: Some(path),
            ..Options::default()
        };
        let started = startup(&options).unwrap();
        assert_eq!(started.settings.password_command, None);
        assert!(
            started
                .notes
                .iter()
                .any(|n| matches!(n, Note::Problem(t) if t.contains("chmod"))),
            "{:?}",
            started.notes
        );
    }

    #[test]
    fn a_broken_draft_is_set_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("draft.toml");
        std::fs::write(&path, "to = [").unwrap();
        let mut notes = Vec::new();
        assert_eq!(load_draft(&path, &mut notes), None);
        assert!(dir.path().join("draft.toml.broken").exists());
        assert!(!path.exists());
        assert!(
            matches!(&notes[0], Note::Problem(text) if text.contains("not readable")),
            "{notes:?}"
        );
        // A second broken draft does not overwrite the first one kept.
        std::fs::write(&path, "cc = [").unwrap();
        assert_eq!(load_draft(&path, &mut Vec::new()), None);
        assert!(dir.path().join("draft.toml.broken.1").exists());

        let stored = StoredDraft {
            to: "bob@example.org".into(),
            body: "Привет".into(),
            ..StoredDraft::default()
        };
        std::fs::write(&path, stored.to_toml().unwrap()).unwrap();
        let mut notes = Vec::new();
        let restored = load_draft(&path, &mut notes).unwrap();
        assert_eq!(restored.input.body, "Привет");
        assert!(
            matches!(&notes[0], Note::Info(text) if text.starts_with("draft restored")),
            "{notes:?}"
        );
    }
}
