//! Jobs for the worker: connecting, sending, disconnecting, the password
//! they may need first, and what the worker reports back, turned into the
//! log, the status line and the result window.

use super::{
    Action, App, ComposeField, Focus, JobKind, Login, Overlay, Pending, RunningJob, SettingKey,
    SettingsField, Status, Tone, Unsaved,
};
use crate::{
    mail::{self, Draft, LintContext},
    password::Password,
    resolve::Resolved,
    smtp::{self, Advice, Delivery},
    worker::{Connect, Failure, Job, Outcome, SessionState, Submission, WorkerEvent},
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
        self.start_job(JobKind::Disconnect, Job::Disconnect)
    }

    pub(super) fn send(&mut self, confirmed: bool) -> Option<Action> {
        if self.busy() {
            return None;
        }
        let input = self
            .compose
            .draft_input(self.settings.text(SettingKey::EnvelopeFrom));
        let draft = match Draft::parse(&input) {
            Ok(draft) => draft,
            Err(errors) => {
                self.letter_errors(&errors);
                return None;
            }
        };
        self.compose.errors.clear();
        if !self.settings_ok() {
            return None;
        }
        if !confirmed {
            let helo = self.effective_helo();
            let size_limit = match &self.session {
                SessionState::Open { capabilities, .. } => capabilities.size_limit(),
                SessionState::Closed => None,
            };
            let warnings = mail::lint(
                &draft,
                &LintContext {
                    helo: Some(&helo),
                    size_limit,
                },
            );
            if !warnings.is_empty() {
                self.overlay = Some(Overlay::Lint(warnings));
                return None;
            }
        }
        self.with_login(Pending::Send(Box::new(draft)))
    }

    /// Shows the letter's errors next to their fields and moves there.
    pub(super) fn letter_errors(&mut self, errors: &[mail::Error]) {
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
                "not sent: the letter has {n} problem{} (shown next to the fields)",
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
            Ok(resolved) => Some(resolved),
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
            Login::Anonymous => self.launch(pending, resolved, None),
            Login::Ready(credentials) => self.launch(pending, resolved, Some(credentials)),
        }
    }

    pub(super) fn launch(
        &mut self,
        pending: Pending,
        resolved: Resolved,
        credentials: Option<smtp::Credentials>,
    ) -> Option<Action> {
        let connect = Connect {
            resolved,
            credentials,
        };
        match pending {
            Pending::Connect => self.start_job(JobKind::Connect, Job::Connect(Box::new(connect))),
            Pending::Send(draft) => self.start_job(
                JobKind::Send,
                Job::Send(Box::new(Submission {
                    connect,
                    draft: *draft,
                })),
            ),
        }
    }

    pub(super) fn start_job(&mut self, kind: JobKind, job: Job) -> Option<Action> {
        let server = match &self.session {
            SessionState::Open { server, .. } if kind != JobKind::Connect => server.clone(),
            _ => self.settings.server(),
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
        Some(Action::Job(job))
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
            WorkerEvent::Line(line) => self.log.push(line),
            WorkerEvent::Stage(stage) => {
                if let Some(job) = &mut self.job {
                    job.stage = Some(stage);
                }
            }
            WorkerEvent::Session(state) => {
                if let SessionState::Open {
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
                self.session = state;
            }
            WorkerEvent::Done(outcome) => return self.done(outcome),
        }
        None
    }

    pub(super) fn done(&mut self, outcome: Outcome) -> Option<Action> {
        let kind = self.job.take().map(|j| j.kind);
        match outcome {
            Outcome::Connected => {
                let login = self
                    .settings
                    .to_settings(None)
                    .user
                    .map(|user| format!(" as {user}"))
                    .unwrap_or_default();
                self.set_status(
                    Tone::Success,
                    &format!("connected{login}; Ctrl+S sends, Ctrl+D ends the session"),
                );
            }
            Outcome::Sent {
                delivery,
                message_id,
            } => self.sent_report(delivery, message_id),
            Outcome::Disconnected { reply } => {
                let text = format!("disconnected: {reply}");
                self.note(&text);
                self.set_status(Tone::Success, &text);
            }
            Outcome::Nothing => self.set_status(Tone::Info, "no open session"),
            Outcome::Cancelled => {
                self.set_status(Tone::Warning, "cancelled; the connection was dropped");
            }
            Outcome::Failed(failure) => self.failed(kind, &failure),
        }
        if self.quitting.is_some() {
            if self.session_open() && kind != Some(JobKind::Disconnect) {
                return self.start_job(JobKind::Disconnect, Job::Disconnect);
            }
            return Some(Action::Quit);
        }
        None
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
        };
        let text = format!("{what}: {failure}");
        let advice = match failure {
            Failure::Smtp(e) => e.advice(),
            _ => None,
        };
        if let Failure::Smtp(smtp::Error::AuthFailed { .. }) = failure {
            // A wrong password from the command is asked for again next time.
            self.settings.command_password = None;
        }
        if let Failure::Letter(e) = failure
            && ComposeField::of_error(e).is_some()
        {
            self.compose.set_errors(std::slice::from_ref(e), |_| true);
        }
        self.error_note(&text);
        let hint = advice.map(|advice| {
            let hint = advice_text(advice);
            self.note(&format!("hint: {hint}"));
            hint.to_owned()
        });
        self.status = Some(Status {
            tone: Tone::Error,
            text,
            hint,
        });
    }
}

/// What to do about a failure, in the composer's words.
pub fn advice_text(advice: Advice) -> &'static str {
    match advice {
        Advice::CheckLogin => "check User and Password in the settings (F2)",
        Advice::GiveLogin => {
            "the server wants a login first: fill in User and Password in the settings (F2)"
        }
        Advice::UseStartTls => "the server requires TLS first: set Security to starttls (F2)",
        Advice::UseImplicitTls => {
            "no greeting arrived: if this port speaks TLS from the start (usually 465), set Security to tls"
        }
        Advice::UseStartTlsNotImplicit => {
            "this port does not speak TLS from the start: set Security to starttls (usually port 587)"
        }
        Advice::NoStartTls => {
            "set Security to tls if the server has an implicit-TLS port (465), or to none to send unencrypted knowingly"
        }
        Advice::TrustCa => {
            "the certificate is not trusted: give its CA with ca_file in the config (or --ca-file)"
        }
        Advice::CheckHostName => {
            "the certificate does not name this host: use a Host name it does name"
        }
        Advice::CertificateExpired => {
            "the server's certificate has expired: tell the server's administrator"
        }
        Advice::UseTlsForAuth => {
            "set Security to starttls or tls; allow_insecure_auth would send the password readable"
        }
        Advice::OtherMechanism => "pick an Auth mechanism the server offers (F2)",
        Advice::CheckServer => {
            "check Host and Port, that the server runs, and that no firewall is in the way"
        }
        Advice::RaiseTimeout => "the server is slow or gone: try again, or raise Timeout",
        Advice::MayBeDelivered => {
            "the letter may already have been delivered; check before sending it again"
        }
        Advice::TryLater => "a temporary failure: try again later",
    }
}
