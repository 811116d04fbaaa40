//! `smtpwire send`: build the letter, open a session, send it, report per
//! recipient, and exit with the status of the first failure. `--repeat`
//! (and `--parallel`) runs go through [`load`](super::load).

use std::{fmt::Write as _, io::Write as _};

use super::{
    Layers, Options,
    exit::{self, Failure},
    input,
    load::{self, Load},
    print_command,
};
use crate::{
    addresses::{self, History},
    files,
    mail::{self, LintContext},
    smtp::{self, Delivery, Session, Severity},
    submit,
};

/// `smtpwire send`.
pub async fn send(options: &Options) -> Result<(), Failure> {
    let layers = Layers::load(options)?;
    let settings = layers.merged();
    let scanning = input::start_file_body(options)?;
    let draft = input::draft(options, &settings, scanning.is_some())?;
    // Opened now, so a missing file fails before any connection.
    let attachments = input::attachments(options)?;
    let sender_domain = draft.envelope().from.domain_ascii().to_owned();
    let resolved = layers.resolve(Some(&sender_domain));
    let helo_preview = match &resolved {
        Ok(r) => r.helo.clone(),
        // --dry-run needs no server; the HELO name is still worth a lint.
        Err(_) => crate::resolve::helo(
            &settings,
            &crate::resolve::Context {
                hostname: &gethostname::gethostname().to_string_lossy(),
                sender_domain: Some(&sender_domain),
                password_given: false,
            },
        ),
    };
    let warnings = mail::lint_with_attachments(
        &draft,
        &attachments,
        &LintContext {
            helo: Some(&helo_preview),
            size_limit: None,
        },
    );
    // The draft's own body is empty when the body is in a file; that one is
    // judged once its scan is done.
    let body_in_file = scanning.is_some();
    for warning in &warnings {
        if !(body_in_file && matches!(warning, mail::Warning::EmptyBody)) {
            eprintln!("warning: {warning}");
        }
    }
    if let Some(tool) = options.print_command {
        let file = input::finish_file_body(scanning).await?;
        let parts = submit::Parts {
            draft: &draft,
            file: file.as_ref(),
            attachments: &attachments,
        };
        return print_command::print(options, tool, &resolved?, parts);
    }
    if options.dry_run {
        let file = input::finish_file_body(scanning).await?;
        blank_file_warning(file.as_ref());
        let parts = submit::Parts {
            draft: &draft,
            file: file.as_ref(),
            attachments: &attachments,
        };
        if !options.quiet {
            match &resolved {
                Ok(r) => match r.provider_note() {
                    Some(note) => eprintln!("dry run: {note}"),
                    None => eprintln!("dry run: would connect to {} {}", r.server(), r.security),
                },
                Err(failure) => eprintln!(
                    "dry run: no connection could be made; {}",
                    failure.message.trim_start_matches("error: ")
                ),
            }
        }
        return dry_run(options, parts);
    }

    let resolved = resolved?;
    if let (Some(note), false) = (resolved.provider_note(), options.quiet) {
        eprintln!("note: {note}");
    }
    let transcript_file = options
        .transcript
        .as_deref()
        .map(input::open_transcript)
        .transpose()?;
    let tls = resolved.trust.tls();
    // The CA file is read now, so a typo fails before any connection; the
    // system roots are loaded only if TLS is used.
    tls.check()?;
    let credentials = input::credentials(resolved.login.as_ref())?;
    // Copies kept by an earlier send go first, briefly (issue 12).
    super::sent::retry_at_start(&settings, credentials.as_ref(), options.quiet).await;
    let logged_in = credentials.is_some();
    let config = resolved.session_config(credentials);
    let count = options.repeat as usize;
    if count > 1 {
        let load = Load {
            draft: &draft,
            attachments: &attachments,
            count,
            sessions: usize::from(options.parallel),
            logged_in,
        };
        return load::send(options, &load, scanning, &config, &tls, transcript_file).await;
    }
    // A second session is opened only if a predicted body needs sending
    // again; it writes to the same transcript file.
    let retry_file = transcript_file.as_ref().and_then(|f| f.try_clone().ok());
    let session = Session::connect(
        &config,
        &tls,
        input::printer(options.quiet, transcript_file, options.transcript_format),
    )
    .await
    .map_err(|e| Failure::engine(&e, logged_in))?;
    let file = match input::finish_file_body(scanning).await {
        Ok(file) => file,
        Err(failure) => {
            // The letter cannot go; leave the server politely.
            let _ = session.quit().await;
            return Err(failure);
        }
    };
    blank_file_warning(file.as_ref());
    let letter = Letter {
        options,
        account: layers.account_name(),
        settings: &settings,
        config: &config,
        draft: &draft,
        attachments: &attachments,
        logged_in,
    };
    let first = letter.deliver(file.as_ref(), session).await;
    let Some(corrected) = file.as_ref().and_then(mail::FileBody::corrected) else {
        return first;
    };
    // Not UTF-8 after all: the same failure a scan before sending gives.
    let corrected = corrected?;
    // The body's beginning chose an encoding its rest cannot go in; the
    // letter was stopped before its final dot, so it was not delivered.
    if !options.quiet {
        eprintln!(
            "note: the body needs another encoding than its first 64 KiB suggested; sending it again"
        );
    }
    let session = Session::connect(
        &config,
        &tls,
        input::printer(options.quiet, retry_file, options.transcript_format),
    )
    .await
    .map_err(|e| Failure::engine(&e, logged_in))?;
    letter.deliver(Some(&corrected), session).await
}

/// One letter to send, and what goes with it.
struct Letter<'a> {
    options: &'a Options,
    account: Option<&'a str>,
    settings: &'a crate::settings::Settings,
    config: &'a smtp::SessionConfig,
    draft: &'a mail::Draft,
    attachments: &'a [mail::Attachment],
    logged_in: bool,
}

impl Letter<'_> {
    /// Sends the letter over `session`, quits, reports, saves the copy in
    /// Sent and remembers the recipients.
    async fn deliver(
        &self,
        file: Option<&mail::FileBody>,
        mut session: Session,
    ) -> Result<(), Failure> {
        let options = self.options;
        let caps = session.capabilities().clone();
        let parts = submit::Parts {
            draft: self.draft,
            file,
            attachments: self.attachments,
        };
        let prepared = match submit::prepare(parts, 1, &caps) {
            Ok(p) => p,
            Err(e) => {
                // The server lacks what the letter needs (SMTPUTF8); end politely.
                let _ = session.quit().await;
                return Err(e.into());
            }
        };
        // A letter over the server's SIZE is refused by the engine before MAIL
        // FROM, with both sizes in the message; no separate lint pass here.
        if let (Some(path), Some(first)) = (&options.eml, prepared.letters.first()) {
            save_eml(path, first.letter())?;
        }
        let results = session.send_many(prepared.iter()).await;
        if !session.is_broken() {
            // A failed QUIT is in the transcript; the letter's fate is what counts.
            let _ = session.quit().await;
        }
        let outcome = report(options, &prepared.letters, &results, self.logged_in);
        // The copy in Sent; it never changes the exit status (issue 12).
        super::sent::after_send(
            options,
            self.account,
            self.settings,
            self.config.credentials.as_ref(),
            &prepared.letters,
            &results,
        )
        .await;
        if let Some(Ok(delivery)) = results.first() {
            remember(self.draft, delivery, options.quiet);
        }
        outcome
    }
}

/// The accepted recipients go into the composer's completion history.
fn remember(draft: &mail::Draft, delivery: &Delivery, quiet: bool) {
    let dir = match crate::config::data_dir() {
        Ok(dir) => dir,
        // No HOME: nowhere to remember; an unsafe folder is worth saying.
        Err(crate::config::Error::NoDirectory) => return,
        Err(e) => {
            if !quiet {
                eprintln!("warning: the addresses for completion were not updated: {e}");
            }
            return;
        }
    };
    let typed: Vec<mail::Mailbox> = draft
        .to()
        .iter()
        .chain(draft.cc())
        .chain(draft.bcc())
        .cloned()
        .collect();
    // Appended, not rewritten: one small write per send.
    let saved = History::append(&History::path(&dir), &addresses::accepted(&typed, delivery));
    if let (Err(e), false) = (saved, quiet) {
        eprintln!("warning: the addresses for completion were not updated: {e}");
    }
}

fn blank_file_warning(file: Option<&mail::FileBody>) {
    if file.is_some_and(mail::FileBody::is_blank) {
        eprintln!("warning: {}", mail::Warning::EmptyBody);
    }
}

/// `--dry-run`: the letter as built for a modern server, on stdout.
fn dry_run(options: &Options, parts: submit::Parts<'_>) -> Result<(), Failure> {
    let stamp = mail::Stamp::now();
    let outgoing = submit::letter_for(parts, &stamp, None)?;
    if let Some(path) = &options.eml {
        save_eml(path, outgoing.letter())?;
    }
    let envelope = parts.draft.envelope();
    if !options.quiet {
        eprintln!(
            "dry run: the letter as built for a server offering 8BITMIME and SMTPUTF8 ({} bytes; envelope MAIL FROM:<{}> RCPT TO:{})",
            outgoing.letter().len(),
            envelope.from,
            envelope
                .recipients
                .iter()
                .map(|r| format!("<{r}>"))
                .collect::<Vec<_>>()
                .join(",")
        );
    }
    // Streamed: a large letter is never held whole.
    let mut stdout = std::io::stdout().lock();
    for chunk in outgoing.letter().chunks() {
        stdout
            .write_all(&chunk.map_err(|e| unreadable(&e))?)
            .map_err(|e| {
                Failure::new(
                    exit::CANTCREAT,
                    format!("cannot write to standard output: {e}"),
                )
            })?;
    }
    Ok(())
}

fn unreadable(e: &std::io::Error) -> Failure {
    Failure::new(exit::DATAERR, format!("error: cannot read the body: {e}"))
}

/// `--eml FILE`: the exact bytes, 0600.
pub(super) fn save_eml(path: &std::path::Path, letter: &mail::Letter<'_>) -> Result<(), Failure> {
    // A folder the user named is not made for them (as cp, curl -o): a
    // typo would otherwise grow a tree somewhere, as root anywhere.
    if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty())
        && !folder.is_dir()
    {
        return Err(Failure::new(
            exit::CANTCREAT,
            format!(
                "error: cannot write the letter to {}: the folder {} does not exist",
                path.display(),
                folder.display()
            ),
        ));
    }
    let bytes = letter.to_bytes().map_err(|e| unreadable(&e))?;
    files::write_private(path, &bytes).map_err(|e| exit::cannot_write("the letter", &e))
}

/// Prints the per-recipient table and the timeline, and picks the exit
/// status.
fn report(
    options: &Options,
    letters: &[submit::Outgoing<'_>],
    results: &[Result<Delivery, smtp::Error>],
    logged_in: bool,
) -> Result<(), Failure> {
    let mut out = String::new();
    if let (Some(Ok(delivery)), Some(letter)) = (results.first(), letters.first()) {
        out.push_str(&recipient_table(delivery));
        let _ = writeln!(
            out,
            "letter: {} bytes, Message-ID {}{}",
            smtp::connection::group_digits(letter.letter().len()),
            letter.letter().message_id(),
            delivery
                .queue_id()
                .map(|id| format!(", queued as {id}"))
                .unwrap_or_default()
        );
        if !delivery.timeline.is_empty() {
            let _ = writeln!(out, "timeline: {}", delivery.timeline);
        }
    }
    if !options.quiet {
        eprint!("{out}");
    }
    match results.first() {
        Some(Err(e)) => Err(Failure::engine(e, logged_in)),
        Some(Ok(delivery)) => partial_refusal(delivery).map_or(Ok(()), Err),
        None => Err(Failure::new(
            exit::TEMPFAIL,
            "error: the letter was not tried before the session broke",
        )),
    }
}

/// The failure of a letter the server took for only some recipients
/// (temporary if any refusal was), or none when it took them all.
pub(super) fn partial_refusal(delivery: &Delivery) -> Option<Failure> {
    let refused = delivery.refused().next()?;
    let code = if delivery
        .refused()
        .any(|r| r.reply.severity() == Severity::TransientNegative)
    {
        exit::TEMPFAIL
    } else {
        exit::UNAVAILABLE
    };
    let n = delivery.refused().count();
    Some(Failure::new(
        code,
        format!(
            "error: {n} recipient(s) refused, e.g. <{}>: {}",
            refused.address, refused.reply
        ),
    ))
}

/// `recipient  result  server reply` lines.
pub fn recipient_table(delivery: &Delivery) -> String {
    let width = delivery
        .recipients
        .iter()
        .map(|r| r.address.chars().count())
        .max()
        .unwrap_or(9)
        .max(9);
    let mut out = format!(
        "{:width$}  {:8}  {}\n",
        "recipient", "result", "server reply"
    );
    for r in &delivery.recipients {
        let verdict = if r.accepted() { "accepted" } else { "refused" };
        let _ = writeln!(out, "{:width$}  {verdict:8}  {}", r.address, r.reply);
    }
    out
}
