//! Jobs for the worker: connecting, sending, disconnecting, the password
//! they may need first, and what the worker reports back, turned into the
//! log, the status line and the result window.

use super::{
    Action, App, AttachedFile, ComposeField, Focus, JobKind, KeptRetry, Login, Outgoing, Overlay,
    Pending, RunningJob, SettingKey, SettingsField, Status, Tone, Unsaved,
};
use std::borrow::Cow;

use crate::{
    config,
    explain::{self, Setting},
    mail::{self, Draft, LintContext},
    password::Password,
    resolve::Resolved,
    sent::{Queue, SentTarget},
    smtp::{self, Delivery},
    worker::{
        Connect, CopyPlan, CopyReport, Failure, Job, Outcome, RetryKept, SessionState, Submission,
        WorkerEvent,
    },
};

impl App {
    /// Whether the worker holds an open session.
    pub fn session_open(&self) -> bool {
        matches!(self.session, SessionState::Open { .. })
    }

    pub(super) fn busy(&mut self) -> bool {
        if self.is_busy() {
            self.set_status(
                Tone::Warning,
                "busy: wait for the running job, or press Esc to cancel it",
            );
            return true;
        }
        false
    }

    pub(super) fn connect(&mut self) -> Option<Action> {
        if self.busy() || !self.settings_ok() {
            return None;
        }
        self.with_login(Pending::Connect)
    }

    pub(super) fn disconnect(&mut self) -> Option<Action> {
        if self.busy() {
            return None;
        }
        if !self.session_open() {
            self.set_status(Tone::Info, "no open session (Ctrl+O connects)");
            return None;
        }
        if self.manual.state.in_data() {
            // QUIT would be read as part of the letter typed by hand.
            self.overlay = Some(Overlay::DropData);
            return None;
        }
        Some(self.start_job(JobKind::Disconnect, Job::Disconnect))
    }

    pub(super) fn send(&mut self, confirmed: bool) -> Option<Action> {
        if self.busy() || (!confirmed && self.typed_in_the_way()) {
            return None;
        }
        let (draft, attachments) = self.checked_letter("not sent")?;
        if !self.settings_ok() {
            return None;
        }
        if !confirmed {
            let warnings = self.lint(&draft, &attachments);
            if !warnings.is_empty() {
                self.overlay = Some(Overlay::Lint(warnings));
                return None;
            }
        }
        // Sent from the preview: with the Date and Message-ID it showed.
        let stamp = self.stamp.take();
        self.with_login(Pending::Send(Box::new(Outgoing {
            draft,
            attachments,
            stamp,
        })))
    }

    /// The letter in the form, validated, and its files; on a problem it
    /// is shown (next to the fields, in the status line starting with
    /// `what`) and there is no letter.
    pub(super) fn checked_letter(&mut self, what: &str) -> Option<(Draft, Vec<mail::Attachment>)> {
        let input = self
            .compose
            .draft_input(self.settings.text(SettingKey::EnvelopeFrom));
        let draft = match Draft::parse(&input) {
            Ok(draft) => draft,
            Err(errors) => {
                self.letter_errors(&errors, what);
                return None;
            }
        };
        self.compose.errors.clear();
        match self.compose.attachments.ready() {
            Ok(files) => {
                if let Some(e) = files.iter().find_map(|f| f.verify().err()) {
                    self.problem(&format!(
                        "{what}: {e}; attach it again (F5) or remove it (Delete)"
                    ));
                    self.move_focus(Focus::Compose(ComposeField::Attachments));
                    return None;
                }
                Some((draft, files))
            }
            Err(missing) => {
                let text = format!(
                    "{what}: the attachment {} cannot be read ({}); remove it (Delete) or put the file back",
                    missing.name(),
                    match missing {
                        AttachedFile::Missing { reason, .. } => reason.as_str(),
                        AttachedFile::Ready(_) => "",
                    }
                );
                self.problem(&text);
                self.move_focus(Focus::Compose(ComposeField::Attachments));
                None
            }
        }
    }

    /// What is legal but likely to hurt delivery, judged with the HELO name
    /// and the open session's size limit.
    pub(super) fn lint(
        &self,
        draft: &Draft,
        attachments: &[mail::Attachment],
    ) -> Vec<mail::Warning> {
        let helo = self.effective_helo();
        let size_limit = match &self.session {
            SessionState::Open { capabilities, .. } => capabilities.size_limit(),
            SessionState::Closed => None,
        };
        mail::lint_with_attachments(
            draft,
            attachments,
            &LintContext {
                helo: Some(&helo),
                size_limit,
            },
        )
    }

    /// Shows the letter's errors next to their fields and moves there.
    pub(super) fn letter_errors(&mut self, errors: &[mail::Error], what: &str) {
        self.compose.set_errors(errors, |_| true);
        for error in errors {
            if let mail::Error::InvalidAddress {
                field: mail::Field::EnvelopeFrom,
                ..
            }
            | mail::Error::HeaderInjection {
                field: mail::Field::EnvelopeFrom,
            } = error
            {
                self.settings
                    .set_error(SettingsField::SENDER, format!("Sender: {error}"));
            }
        }
        let n = errors.len();
        self.set_status(
            Tone::Error,
            &format!(
                "{what}: the letter has {n} problem{} (shown next to the fields)",
                if n == 1 { "" } else { "s" }
            ),
        );
        let first = ComposeField::ALL
            .into_iter()
            .find(|f| self.compose.error(*f).is_some());
        match first {
            Some(field) => self.move_focus(Focus::Compose(field)),
            None => self.move_focus(Focus::Settings(SettingsField::SENDER)),
        }
    }

    /// Checks every setting; on a problem, says so and moves there.
    pub(super) fn settings_ok(&mut self) -> bool {
        match self.settings.check_all() {
            None => true,
            Some(field) => {
                let message = self.settings.error(field).unwrap_or_default().to_owned();
                self.set_status(Tone::Error, &format!("fix the settings first: {message}"));
                self.move_focus(Focus::Settings(field));
                false
            }
        }
    }

    /// The settings resolved as `smtpwire send` resolves them; a refusal
    /// (no trust, no server) is said and points at its field.
    pub(super) fn resolved(&mut self) -> Option<Resolved> {
        let domain = self.sender_domain();
        match self
            .settings
            .resolve(&self.context.hostname, domain.as_deref())
        {
            Ok(resolved) => {
                if let Some(note) = resolved.provider_note() {
                    self.note(&note);
                }
                Some(resolved)
            }
            Err(e) => {
                let field = SettingsField::Setting(e.key());
                if SettingsField::all().contains(&field) {
                    self.settings
                        .set_error(field, format!("{}: {e}", field.label()));
                    self.move_focus(Focus::Settings(field));
                }
                self.problem(&format!("cannot connect: {e}"));
                None
            }
        }
    }

    /// Continues a job once the password is known, asking the runner to run
    /// the password command when it must.
    pub(super) fn with_login(&mut self, pending: Pending) -> Option<Action> {
        let resolved = self.resolved()?;
        match self.settings.login(&resolved) {
            Login::NeedsCommand(command) => {
                self.pending = Some(pending);
                self.set_status(Tone::Info, "running the password command…");
                Some(Action::RunPasswordCommand(command))
            }
            Login::Missing => {
                self.set_status(
                    Tone::Error,
                    "User is set but there is no password: type it in the settings (F2), \
                     or set SMTPWIRE_PASSWORD or password_command",
                );
                self.move_focus(Focus::Settings(SettingsField::Password));
                None
            }
            Login::Anonymous => Some(self.launch(pending, resolved, None)),
            Login::Ready(credentials) => Some(self.launch(pending, resolved, Some(credentials))),
        }
    }

    pub(super) fn launch(
        &mut self,
        pending: Pending,
        resolved: Resolved,
        credentials: Option<smtp::Credentials>,
    ) -> Action {
        let connect = Connect {
            resolved,
            credentials,
        };
        match pending {
            Pending::Connect => self.start_job(JobKind::Connect, Job::Connect(Box::new(connect))),
            Pending::Send(letter) => {
                let Outgoing {
                    draft,
                    attachments,
                    stamp,
                } = *letter;
                let copy = self.copy_plan();
                self.start_job(
                    JobKind::Send,
                    Job::Send(Box::new(Submission {
                        connect,
                        draft,
                        attachments,
                        copy,
                        stamp,
                    })),
                )
            }
        }
    }

    /// Where the copy of this letter goes, as the account's `sent` says; a
    /// setting that names no usable place is said, and the letter still
    /// goes.
    fn copy_plan(&mut self) -> Option<CopyPlan> {
        let settings = self.settings.to_settings(None);
        match SentTarget::resolve(&settings) {
            Ok(Some(target)) => Some(self.plan_for(target, settings)),
            Ok(None) => None,
            Err(e) => {
                self.problem(&format!("no copy in Sent for this letter: {e}"));
                None
            }
        }
    }

    /// The copy's plan for this place: the account and the data folder's
    /// queue.
    fn plan_for(&self, target: SentTarget, settings: crate::settings::Settings) -> CopyPlan {
        CopyPlan {
            target,
            settings,
            account: Some(self.context.account.clone())
                .filter(|name| !name.is_empty() && name != config::FLAT),
            queue: self
                .context
                .data_dir
                .as_ref()
                .map(|dir| Queue::at(dir.join("sent-queue"))),
        }
    }

    /// The copies kept earlier for this account's Sent, tried once per
    /// run with its login; later if that login needs a password not known
    /// yet.
    pub(super) fn retry_kept(&mut self) -> Option<Action> {
        let settings = self.settings.to_settings(None);
        let target = match SentTarget::resolve(&settings) {
            Ok(Some(target)) if self.context.data_dir.is_some() => target,
            // No copies for this account: the note at start says what waits.
            _ => {
                self.kept_retry = KeptRetry::Done;
                return None;
            }
        };
        let credentials = match &target {
            SentTarget::Maildir(_) => None,
            SentTarget::Imap(_) => {
                let domain = self.sender_domain();
                let Ok(resolved) = self
                    .settings
                    .resolve(&self.context.hostname, domain.as_deref())
                else {
                    self.kept_retry = KeptRetry::AfterLogin;
                    return None;
                };
                match self.settings.login(&resolved) {
                    Login::Ready(credentials) => Some(credentials),
                    Login::Anonymous => None,
                    Login::NeedsCommand(_) | Login::Missing => {
                        self.kept_retry = KeptRetry::AfterLogin;
                        return None;
                    }
                }
            }
        };
        self.kept_retry = KeptRetry::Done;
        self.note(&format!(
            "trying the copies of sent letters kept earlier for {}",
            target.describe()
        ));
        let plan = self.plan_for(target, settings);
        Some(Action::Job(Job::RetryKept(Box::new(RetryKept {
            plan,
            credentials,
        }))))
    }

    /// What became of the copy in Sent.
    fn copy_report(&mut self, report: CopyReport) -> Option<Action> {
        match report {
            CopyReport::Saving { place } => {
                self.note(&format!("saving the copy in Sent: {place}"));
                self.copying = Some(place);
                return None;
            }
            CopyReport::Saved { place, size } => {
                self.note(&format!("the copy is saved: {place} ({size} bytes)"));
                // The send's result (and its timeline) stays in the status
                // line; the copy is added to it.
                match &mut self.status {
                    Some(status) if self.job.is_none() && status.tone != Tone::Error => {
                        status.text.push_str(" · the copy is in Sent");
                    }
                    _ => {}
                }
            }
            CopyReport::Kept { error, path } => self.problem(&format!(
                "the letter was sent, but its copy in Sent was not saved: {error}; it is kept in \
                 {} and tried again after the next letter, or now with `smtpwire sent --retry`",
                path.display()
            )),
            CopyReport::Lost { error } => self.problem(&format!(
                "the letter was sent, but its copy in Sent was not saved: {error}"
            )),
            CopyReport::Retried { saved, waiting } => {
                self.note(&format!(
                    "copies kept earlier: {saved} now saved in Sent, {waiting} still waiting \
                     (`smtpwire sent` lists them)"
                ));
                return None;
            }
        }
        self.copying = None;
        if self.quitting.is_some() && self.job.is_none() {
            if self.session_open() {
                return Some(self.start_job(JobKind::Disconnect, Job::Disconnect));
            }
            return Some(Action::Quit);
        }
        None
    }

    pub(super) fn start_job(&mut self, kind: JobKind, job: Job) -> Action {
        let connect = match &job {
            Job::Connect(connect) => Some(connect.as_ref()),
            Job::Send(submission) => Some(&submission.connect),
            Job::Disconnect | Job::Typed(_) | Job::Cancel | Job::RetryKept(_) => None,
        };
        let server = match (&self.session, connect) {
            (SessionState::Open { server, .. }, _)
                if matches!(kind, JobKind::Disconnect | JobKind::Typed) =>
            {
                server.clone()
            }
            (_, Some(connect)) => match connect.resolved.provider {
                // The status line says where the host came from.
                Some(p) => format!("{} ({} preset)", connect.resolved.server(), p.name),
                None => connect.resolved.server(),
            },
            (SessionState::Open { server, .. }, None) => server.clone(),
            (SessionState::Closed, None) => self.settings.server(),
        };
        // The status line shows the job's stage; an older result would
        // read as this job's.
        self.status = None;
        self.job = Some(RunningJob {
            kind,
            started: self.now,
            stage: None,
            server,
            cancelling: false,
        });
        Action::Job(job)
    }

    pub(super) fn password(&mut self, result: Result<Password, String>) -> Option<Action> {
        // A result nobody waits for any more (Esc, quitting) is dropped.
        let pending = self.pending.take()?;
        match result {
            Ok(password) => {
                self.settings.command_password = Some(password);
                self.with_login(pending)
            }
            Err(message) => {
                self.problem(&format!("the password command failed: {message}"));
                None
            }
        }
    }

    pub(super) fn worker(&mut self, event: WorkerEvent) -> Option<Action> {
        match event {
            WorkerEvent::Line(line) => self.log.push(&line),
            WorkerEvent::Stage(stage) => {
                self.log.set_stage(stage);
                if let Some(job) = &mut self.job {
                    job.stage = Some(stage);
                }
            }
            WorkerEvent::Manual(state) => self.manual_state(state),
            WorkerEvent::Session(state) => {
                if let SessionState::Open { capabilities, .. } = &state
                    && self.session_open()
                {
                    // Open already: a typed EHLO or STARTTLS changed it.
                    self.note(&format!(
                        "the server now offers {}",
                        capabilities.summary().join(", ")
                    ));
                } else if let SessionState::Open {
                    server,
                    capabilities,
                    tls,
                } = &state
                {
                    let mut text = format!("session open with {server}");
                    if let Some(cert) = tls {
                        text.push_str(&format!("; TLS, {cert}"));
                    }
                    let offers = capabilities.summary();
                    if !offers.is_empty() {
                        text.push_str(&format!("; the server offers {}", offers.join(", ")));
                    }
                    self.note(&text);
                }
                if state == SessionState::Closed {
                    self.manual_session_closed();
                }
                self.session = state;
            }
            WorkerEvent::Done(outcome) => return self.done(outcome),
            WorkerEvent::Copy(report) => return self.copy_report(report),
            WorkerEvent::Letter(bytes) => self.keep_letter(bytes),
        }
        None
    }

    pub(super) fn done(&mut self, outcome: Outcome) -> Option<Action> {
        let kind = self.job.take().map(|j| j.kind);
        let mut next = None;
        match outcome {
            Outcome::Typed { reply } => next = self.manual_reply(reply.as_ref()),
            Outcome::Connected => {
                if self.kept_retry == KeptRetry::AfterLogin {
                    next = self.retry_kept();
                }
                let login = self
                    .settings
                    .to_settings(None)
                    .user
                    .map(|user| format!(" as {user}"))
                    .unwrap_or_default();
                self.set_status(
                    Tone::Success,
                    &format!(
                        "connected{login}; Ctrl+S sends, F7 types SMTP, Ctrl+D ends the session"
                    ),
                );
            }
            Outcome::Sent {
                delivery,
                message_id,
            } => {
                self.remember_recipients(&delivery);
                self.sent_report(delivery, message_id);
            }
            Outcome::Disconnected { reply } => {
                let text = format!("disconnected: {reply}");
                self.note(&text);
                self.set_status(Tone::Success, &text);
            }
            Outcome::Nothing => self.set_status(Tone::Info, "no open session"),
            Outcome::Cancelled => {
                self.set_status(Tone::Warning, "cancelled; the connection was dropped");
            }
            Outcome::Failed(failure) => {
                if kind == Some(JobKind::Typed) {
                    self.manual_failed();
                }
                self.failed(kind, &failure);
            }
        }
        if self.quitting.is_some() {
            if self.copying.is_some() {
                // The copy of the letter just sent comes first.
                self.set_status(Tone::Info, "saving the copy in Sent, then quitting…");
                return None;
            }
            if self.session_open() && kind != Some(JobKind::Disconnect) {
                return Some(self.start_job(JobKind::Disconnect, Job::Disconnect));
            }
            return Some(Action::Quit);
        }
        next
    }

    pub(super) fn sent_report(&mut self, delivery: Delivery, message_id: String) {
        let total = delivery.recipients.len();
        let refused = delivery.refused().count();
        let accepted = total - refused;
        let queued = delivery
            .queue_id()
            .map(|id| format!("; queued as {id}"))
            .unwrap_or_default();
        for r in delivery.refused() {
            self.error_note(&format!("refused <{}>: {}", r.address, r.reply));
        }
        // Where the time went, phase by phase, on a row under the result.
        let timeline =
            (!delivery.timeline.is_empty()).then(|| format!("timeline: {}", delivery.timeline));
        if refused == 0 {
            self.sent = true;
            // Saved at once so a restart does not bring the sent letter back.
            self.unsaved = Some(Unsaved::Now);
            let text = format!(
                "sent: {accepted} recipient{} accepted{queued}",
                if accepted == 1 { "" } else { "s" }
            );
            self.note(&text);
            self.set_status(Tone::Success, &text);
        } else {
            let text =
                format!("sent to {accepted} of {total} recipients; {refused} refused{queued}");
            self.note(&text);
            self.set_status(Tone::Warning, &text);
        }
        if let Some(status) = &mut self.status {
            status.detail.clone_from(&timeline);
        }
        if let Some(timeline) = &timeline {
            self.note(timeline);
        }
        self.overlay = Some(Overlay::Results {
            message_id,
            delivery,
        });
    }

    pub(super) fn failed(&mut self, kind: Option<JobKind>, failure: &Failure) {
        let what = match kind {
            Some(JobKind::Connect) => "connect failed",
            Some(JobKind::Disconnect) => "QUIT failed",
            Some(JobKind::Send) | None => "not sent",
            // The engine's words say it all ("not sent: …", "no answer…").
            Some(JobKind::Typed) => "",
        };
        let text = if what.is_empty() {
            failure.to_string()
        } else {
            format!("{what}: {failure}")
        };
        let logged_in = !self.settings.text(SettingKey::User).is_empty();
        let advice = match failure {
            Failure::Smtp(e) => explain::hint_for_error(e, logged_in),
            _ => None,
        };
        if let Failure::Smtp(smtp::Error::AuthFailed { .. } | smtp::Error::TokenRefused { .. }) =
            failure
        {
            // A wrong password (or stale token) from the command is asked
            // for again next time.
            self.settings.command_password = None;
        }
        if let Failure::Letter(e) = failure
            && ComposeField::of_error(e).is_some()
        {
            self.compose.set_errors(std::slice::from_ref(e), |_| true);
        }
        self.error_note(&text);
        let hint = advice.map(|advice| {
            let hint = advice.render(setting_name);
            self.note(&format!("hint: {hint}"));
            hint
        });
        self.status = Some(Status {
            tone: Tone::Error,
            text,
            hint,
            detail: None,
        });
    }
}

/// A setting's name in the composer's words, for advice.
pub fn setting_name(setting: Setting) -> Cow<'static, str> {
    Cow::Borrowed(match setting {
        Setting::Server => "Host (F2)",
        Setting::Port => "Port (F2)",
        Setting::Security => "Security (F2)",
        Setting::Helo => "HELO (F2)",
        Setting::Sender => "Sender (F2)",
        Setting::From => "From",
        Setting::Recipients => "To, Cc and Bcc",
        Setting::User => "User (F2)",
        Setting::Password => "Password (F2)",
        Setting::PasswordCommand => "password_command (config file)",
        Setting::Auth => "Auth (F2)",
        Setting::Timeout => "Timeout (F2)",
        Setting::CaFile => "ca_file (config file, or --ca-file)",
        Setting::AllowInsecureAuth => "allow_insecure_auth (config file)",
    })
}
