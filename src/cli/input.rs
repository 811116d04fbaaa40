//! What the headless commands read and where they write: the body (text,
//! file or standard input), the validated letter, the password, and the
//! transcript printer.

use std::{
    fs::File,
    io::{IsTerminal as _, Read as _, Write as _},
    path::Path,
};

use super::{
    Options,
    exit::{self, Failure},
};
use crate::{
    export::{Exporter, TranscriptFormat},
    files,
    mail::{self, Draft, DraftInput},
    password::{self, Password},
    resolve::{Login, PasswordSource},
    settings::Settings,
    smtp::{Credentials, Event, Transcript},
};

/// Reads the body from `--body`, `--body-file` (`-` = stdin), or nothing.
pub fn read_body(options: &Options) -> Result<String, Failure> {
    if let Some(body) = &options.body {
        return Ok(body.clone());
    }
    let Some(path) = &options.body_file else {
        return Ok(String::new());
    };
    let mut raw = Vec::new();
    let result = if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut raw).map(drop)
    } else {
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut raw))
            .map(drop)
    };
    if let Err(e) = result {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            exit::NOINPUT
        } else {
            exit::DATAERR
        };
        return Err(Failure::new(
            code,
            format!("cannot read the body from {}: {e}", path.display()),
        ));
    }
    String::from_utf8(raw).map_err(|e| {
        Failure::new(
            exit::DATAERR,
            format!(
                "the body in {} is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// A body file being scanned while the session opens.
pub(super) enum Scanning {
    /// Small enough to have been scanned on the spot.
    Done(Result<mail::FileBody, mail::FileBodyError>),
    /// Being scanned on a blocking thread.
    Running(tokio::task::JoinHandle<Result<mail::FileBody, mail::FileBodyError>>),
}

/// Bodies up to this size are scanned on the spot: at ~2 GB/s that takes
/// at most ~0.1 ms, less than starting the blocking thread (and joining it
/// when the runtime ends) would cost a one-letter send.
const SCAN_IN_PLACE: u64 = 256 * 1024;

/// The body as `send` uses it: a named file is read twice by the letter
/// builder (to scan it, then while sending) and never held whole; text and
/// standard input are held in the draft. The file is opened now, so a wrong
/// path fails before any connection; a large one is scanned on a blocking
/// thread, so the scan overlaps the network's round trips.
pub(super) fn start_file_body(options: &Options) -> Result<Option<Scanning>, Failure> {
    match &options.body_file {
        Some(path) if options.body.is_none() && path != Path::new("-") => {
            let size = File::open(path)
                .and_then(|f| f.metadata())
                .map_err(|source| mail::FileBodyError::Read {
                    path: path.display().to_string(),
                    source,
                })?
                .len();
            if size <= SCAN_IN_PLACE {
                return Ok(Some(Scanning::Done(mail::FileBody::open(path))));
            }
            // One letter to a server: sent on a prediction from its first
            // piece, so the only reading of the file is the one that sends
            // it (send.rs sends again if the prediction fails). A dry run
            // and --eml read the letter whole before sending: no gain there.
            if options.repeat == 1 && !options.dry_run && options.eml.is_none() {
                return Ok(Some(Scanning::Done(mail::FileBody::predict(path))));
            }
            let path = path.clone();
            Ok(Some(Scanning::Running(tokio::task::spawn_blocking(
                move || mail::FileBody::open(&path),
            ))))
        }
        _ => Ok(None),
    }
}

/// Waits for the scan started by [`start_file_body`].
pub(super) async fn finish_file_body(
    scanning: Option<Scanning>,
) -> Result<Option<mail::FileBody>, Failure> {
    match scanning {
        None => Ok(None),
        Some(Scanning::Done(result)) => Ok(Some(result?)),
        Some(Scanning::Running(task)) => match task.await {
            Ok(result) => Ok(Some(result?)),
            Err(e) => Err(Failure::new(
                exit::DATAERR,
                format!("error: reading the body failed: {e}"),
            )),
        },
    }
}

/// Opens every `--attach` file, in order; a missing or unreadable one exits
/// 66 and names the file.
pub(super) fn attachments(options: &Options) -> Result<Vec<mail::Attachment>, Failure> {
    options
        .attach
        .iter()
        .map(|path| {
            mail::Attachment::open(path)
                .map_err(|e| Failure::new(exit::NOINPUT, format!("error: cannot attach {e}")))
        })
        .collect()
}

/// Validates the letter; every field error at once. With a file body the
/// draft's own body stays empty.
pub(super) fn draft(
    options: &Options,
    settings: &Settings,
    file_body: bool,
) -> Result<Draft, Failure> {
    let input = DraftInput {
        from: settings.from.clone().unwrap_or_default(),
        reply_to: settings.reply_to.clone().unwrap_or_default(),
        to: options.to.join(", "),
        cc: options.cc.join(", "),
        bcc: options.bcc.join(", "),
        subject: options.subject.clone().unwrap_or_default(),
        body: if file_body {
            String::new()
        } else {
            read_body(options)?
        },
        envelope_from: settings.envelope_from.clone().unwrap_or_default(),
    };
    Draft::parse_owned(input).map_err(|errors| {
        let message = errors
            .iter()
            .map(|e| format!("error: {e}"))
            .collect::<Vec<_>>()
            .join("\n");
        Failure::new(exit::DATAERR, message)
    })
}

/// The credentials for the resolved login, asking on the terminal when no
/// source is configured.
pub(super) fn credentials(login: Option<&Login>) -> Result<Option<Credentials>, Failure> {
    let Some(login) = login else {
        return Ok(None);
    };
    let password = match &login.password {
        PasswordSource::Given => password::from_environment()?.ok_or_else(|| {
            Failure::new(exit::CONFIG, "SMTPWIRE_PASSWORD went away while starting")
        })?,
        PasswordSource::Command(command) => password::run_command(command)?,
        PasswordSource::Ask if std::io::stdin().is_terminal() => {
            rpassword::prompt_password(format!("Password for {}: ", login.user))
                .map(Password::new)
                .map_err(|e| Failure::new(exit::CONFIG, format!("cannot read the password: {e}")))?
        }
        PasswordSource::Ask => {
            return Err(Failure::new(
                exit::CONFIG,
                format!(
                    "a password is needed for {}: set SMTPWIRE_PASSWORD, use --password-command, \
                     or run on a terminal to be asked",
                    login.user
                ),
            ));
        }
    };
    Ok(Some(Credentials::new(&login.user, password.expose())))
}

/// Opens the `--transcript` file for appending (mode 0600, no links
/// followed); a looser mode is fixed and said.
pub(super) fn open_transcript(path: &Path) -> Result<File, Failure> {
    let opened = files::open_append_private(path).map_err(|e| {
        Failure::new(
            exit::CANTCREAT,
            format!("cannot open the transcript file: {e}"),
        )
    })?;
    if let Some(warning) = opened.warning(path) {
        eprintln!("warning: {warning}");
    }
    Ok(opened.file)
}

/// The headless transcript: lines to stderr as text (unless quiet), and to
/// the file in its format (each line with the stage it was logged in).
pub(super) fn printer(quiet: bool, file: Option<File>, format: TranscriptFormat) -> Transcript {
    printer_tagged(quiet, file, format, None)
}

/// [`printer`] whose lines on stderr start with `tag` (which of several
/// sessions); the file gets the lines as they are.
pub(super) fn printer_tagged(
    quiet: bool,
    file: Option<File>,
    format: TranscriptFormat,
    tag: Option<String>,
) -> Transcript {
    if quiet && file.is_none() {
        return Transcript::discard();
    }
    let tag = tag.unwrap_or_default();
    let mut file = file.map(|f| (f, Exporter::new(format, &date_anchor())));
    let mut stage = None;
    Transcript::new(move |event| {
        let line = match event {
            Event::Line(line) => line,
            Event::Stage(now) => {
                stage = Some(now);
                return;
            }
        };
        if !quiet {
            // stderr going away is no reason to stop sending.
            let _ = writeln!(std::io::stderr().lock(), "{tag}{line}");
        }
        if let Some((f, exporter)) = &mut file
            && writeln!(f, "{}", exporter.line(&line, stage)).is_err()
        {
            eprintln!("warning: writing the transcript file failed; it stops here");
            file = None;
        }
    })
}

/// When the transcript starts, with its date: a line keeps only its time of
/// day, and JSON Lines need the date too (see [`Exporter`]).
#[expect(
    clippy::disallowed_methods,
    reason = "the headless transcript's one clock read, for the date of its lines"
)]
fn date_anchor() -> chrono::DateTime<chrono::Local> {
    chrono::Local::now()
}
