//! The copy in Sent from the command line: `smtpwire sent [--retry]`, and
//! the two hooks of `smtpwire send` — the quiet retry of kept copies before
//! the letter goes, and the copy of the letter after it was accepted.
//!
//! A copy never changes `send`'s exit status: the delivery decides it. A
//! copy that fails is said on stderr and kept for the next start.

use std::{collections::HashMap, io::IsTerminal as _};

use super::{
    Layers, Options,
    exit::{self, Failure},
    input,
};
use crate::{
    config::{self, ConfigFile},
    password::{self, Password},
    sent::{
        self, CopyOutcome, KeptCopy, Origin, Queue, RetryLogin, RetryOutcome, RetryReport,
        SameAccount, SentTarget,
    },
    settings::Settings,
    smtp::{self, Credentials, Delivery, Transcript},
    submit,
};

/// `smtpwire sent`: lists the kept copies; with `--retry`, tries each once
/// and reports it. Exit 0 when none is left waiting, 75 when some are.
pub(super) async fn sent(options: &Options, retry: bool) -> Result<(), Failure> {
    let layers = Layers::load(options)?;
    let queue = Queue::default_location().map_err(|e| Failure::new(exit::CONFIG, e.to_string()))?;
    if !retry {
        return list(&queue);
    }
    let mut login = Asking {
        accounts: layers.accounts.clone(),
        command_line: layers.command_line.clone(),
        known: HashMap::new(),
    };
    let transcript = match &options.transcript {
        Some(path) => Some(input::open_transcript(path)?),
        None => None,
    };
    let mut transcript = input::printer(options.quiet, transcript, options.transcript_format);
    let report = sent::retry_queue(
        &queue,
        &layers.command_line,
        None,
        &mut login,
        &mut transcript,
    )
    .await
    .map_err(|e| Failure::new(exit::CANTCREAT, format!("error: {e}")))?;
    if report.busy {
        return Err(Failure::new(
            exit::TEMPFAIL,
            "another smtpwire is retrying the kept copies now; try again when it is done",
        ));
    }
    if report.copies.is_empty() && report.broken.is_empty() {
        println!("no kept copies: every copy is where it belongs");
        return Ok(());
    }
    for (copy, outcome) in &report.copies {
        match outcome {
            RetryOutcome::Saved(saved) => {
                println!(
                    "{}: saved in {} ({} bytes)",
                    name(copy),
                    saved.place,
                    saved.size
                );
            }
            RetryOutcome::Waiting(reason) => println!("{}: still kept: {reason}", name(copy)),
            RetryOutcome::Skipped => println!("{}: not tried", name(copy)),
        }
    }
    for broken in &report.broken {
        println!("{broken}");
    }
    match report.waiting() {
        0 => Ok(()),
        n => Err(Failure::new(
            exit::TEMPFAIL,
            format!(
                "{n} kept cop{} still waiting in {}",
                if n == 1 { "y is" } else { "ies are" },
                queue.dir().display()
            ),
        )),
    }
}

/// `copy-20260101-120000 (<id@host>, for IMAP alice@… at …)`.
fn name(copy: &KeptCopy) -> String {
    format!(
        "{}{} for {}",
        copy.id,
        copy.kept
            .message_id
            .as_deref()
            .map(|id| format!(" ({id})"))
            .unwrap_or_default(),
        copy.kept.target
    )
}

/// `smtpwire sent` without `--retry`.
fn list(queue: &Queue) -> Result<(), Failure> {
    let listed = queue
        .list()
        .map_err(|e| Failure::new(exit::NOINPUT, format!("error: {e}")))?;
    if listed.is_empty() {
        println!("no kept copies");
    }
    for entry in &listed {
        match entry {
            Ok(copy) => println!(
                "{}: kept {}, {} attempt(s), last: {}",
                name(copy),
                copy.kept.saved,
                copy.kept.attempts,
                copy.kept.last_error
            ),
            Err(e) => println!("{e}"),
        }
    }
    if !listed.is_empty() {
        println!("smtpwire sent --retry tries them now");
    }
    Ok(())
}

/// The login for `smtpwire sent --retry`: `SMTPWIRE_PASSWORD`, the command
/// line's `--password-command`, the `password_command` of the account the
/// copy was sent from (when its user is the copy's), else a prompt on the
/// terminal; each user asked once.
struct Asking {
    accounts: ConfigFile,
    command_line: Settings,
    known: HashMap<String, Credentials>,
}

impl RetryLogin for Asking {
    fn wants(&mut self, _: &KeptCopy, _: &SentTarget) -> bool {
        true
    }

    fn credentials(
        &mut self,
        copy: &KeptCopy,
        target: &SentTarget,
    ) -> Result<Option<Credentials>, String> {
        let Some(user) = target.user() else {
            return Ok(None);
        };
        if let Some(known) = self.known.get(user) {
            return Ok(Some(known.clone()));
        }
        // The copy's own account, else any account of the same user; a
        // command of an account of someone else is never run for it.
        let account = copy.kept.account.as_deref().unwrap_or(config::FLAT);
        let file_command = self
            .accounts
            .settings(account)
            .into_iter()
            .chain(
                self.accounts
                    .names()
                    .iter()
                    .filter_map(|n| self.accounts.settings(n)),
            )
            .find(|s| s.user.as_deref() == copy.kept.settings.user.as_deref())
            .and_then(|s| s.password_command);
        let command = self.command_line.password_command.clone().or(file_command);
        let command = command.as_deref();
        let password: Password =
            if let Some(p) = password::from_environment().map_err(|e| e.to_string())? {
                p
            } else if let Some(command) = command {
                password::run_command(command).map_err(|e| e.to_string())?
            } else if std::io::stdin().is_terminal() {
                rpassword::prompt_password(format!("Password for {user} (the copy in Sent): "))
                    .map(Password::new)
                    .map_err(|e| format!("cannot read the password: {e}"))?
            } else {
                return Err(format!(
                    "the IMAP login of {user} needs a password: set SMTPWIRE_PASSWORD, use \
                 --password-command, or run on a terminal to be asked"
                ));
            };
        let credentials = Credentials::new(user, password.expose());
        self.known.insert(user.to_owned(), credentials.clone());
        Ok(Some(credentials))
    }
}

/// Before `send` connects: kept copies bound for the same place as this
/// send's copy are tried once, quietly and briefly, with this login; one
/// line says what happened.
pub(super) async fn retry_at_start(
    settings: &Settings,
    credentials: Option<&Credentials>,
    quiet: bool,
) {
    let Ok(queue) = Queue::default_location() else {
        return;
    };
    if queue.is_empty() {
        return;
    }
    let mut login = match SentTarget::resolve(settings) {
        Ok(Some(target)) => SameAccount::new(target, credentials.cloned()),
        // No copy wanted now: nothing to match; still say what waits.
        _ => SameAccount::none(),
    };
    let report = sent::retry_queue(
        &queue,
        &Settings::default(),
        Some(sent::START_DEADLINE),
        &mut login,
        &mut Transcript::discard(),
    )
    .await;
    match report {
        Ok(report) => say_retry(&report, quiet),
        Err(e) => eprintln!("warning: the kept copies could not be tried: {e}"),
    }
}

fn say_retry(report: &RetryReport, quiet: bool) {
    let copies = |n: usize| format!("{n} kept cop{}", if n == 1 { "y" } else { "ies" });
    let saved = report.saved();
    if saved > 0 && !quiet {
        eprintln!("sent copies: {} saved where they belong", copies(saved));
    }
    let waiting = report.waiting() - report.skipped();
    if waiting > 0 {
        let last = report.copies.iter().rev().find_map(|(_, o)| match o {
            RetryOutcome::Waiting(reason) => Some(reason.as_str()),
            _ => None,
        });
        eprintln!(
            "warning: {} still wait{}{}; `smtpwire sent --retry` tries again",
            copies(waiting),
            if waiting == 1 { "s" } else { "" },
            last.map(|r| format!(" ({r})")).unwrap_or_default()
        );
    }
    if report.skipped() > 0 && !quiet {
        eprintln!(
            "note: {} for other accounts or places wait for `smtpwire sent --retry`",
            copies(report.skipped())
        );
    }
}

/// After `send`: the copy of the letter, when the settings ask for one and
/// the server accepted it (for every recipient or some). Only for a single
/// letter: `--repeat` is a load test, and N copies of a test letter in the
/// Sent folder would be noise (and one of them a misleading record).
pub(super) async fn after_send(
    options: &Options,
    account: Option<&str>,
    settings: &Settings,
    credentials: Option<&Credentials>,
    letters: &[submit::Outgoing<'_>],
    results: &[Result<Delivery, smtp::Error>],
) {
    let target = match SentTarget::resolve(settings) {
        Ok(Some(target)) => target,
        Ok(None) => return,
        Err(e) => {
            eprintln!("warning: no copy in Sent: {e}");
            return;
        }
    };
    if options.repeat > 1 {
        if !options.quiet {
            eprintln!("note: no copy in Sent for --repeat (a load test)");
        }
        return;
    }
    let (Some(Ok(_)), Some(letter)) = (results.first(), letters.first()) else {
        return;
    };
    let bytes = match letter.letter().to_bytes() {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("warning: the letter was sent, but its copy cannot be made: {e}");
            return;
        }
    };
    let file = options
        .transcript
        .as_deref()
        .and_then(|path| input::open_transcript(path).ok());
    let mut transcript = input::printer(options.quiet, file, options.transcript_format);
    let message_id = letter.letter().message_id().to_string();
    let origin = Origin {
        settings,
        account,
        message_id: Some(&message_id),
    };
    // Nowhere to keep a failed copy (no data folder): still worth trying.
    let outcome = sent::save_or_keep(
        &target,
        credentials,
        &bytes,
        origin,
        Queue::default_location(),
        &mut transcript,
    )
    .await;
    match outcome {
        CopyOutcome::Saved(_) => {}
        CopyOutcome::Kept { error, copy } => eprintln!(
            "warning: the letter was sent, but its copy could not be saved: {error}\n\
             the copy is kept in {}; it is tried again at the next start, or now with \
             `smtpwire sent --retry`",
            copy.letter.display()
        ),
        CopyOutcome::Lost { error, keep_error } => eprintln!(
            "warning: the letter was sent, but its copy could not be saved ({error}) nor kept \
             ({keep_error})"
        ),
    }
}
