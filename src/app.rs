//! The model of the full-screen composer: the compose form, the settings
//! pane, the protocol log, the session and the running job.
//!
//! [`App::update`] is synchronous and does no I/O: it takes a [`Msg`] (a key,
//! a worker event, a tick of the clock, the result of an effect) and returns
//! at most one [`Action`] for the runner to perform — a [`Job`] for the
//! worker, a file to write, quitting. The clock comes in with
//! [`Msg::Tick`]; the runner sends one before every other message.

pub mod compose;
pub mod line;
pub mod settings;
pub mod transcript;

use std::{
    fmt,
    ops::ControlFlow,
    path::PathBuf,
    time::{Duration, Instant},
};

use chrono::{NaiveDate, NaiveDateTime};
use zeroize::Zeroizing;

pub use self::{
    compose::{ComposeField, ComposeForm, StoredDraft},
    settings::{Login, SettingsField, SettingsForm},
    transcript::ProtocolLog,
};
use crate::{
    config::Settings,
    mail::{self, Draft, DraftInput, LintContext, Warning},
    smtp::{self, Advice, Delivery, Dir, LogLine, Stage},
    worker::{Connect, Failure, Job, Outcome, SessionState, Submission, WorkerEvent},
};

/// Unsaved edits are written this long after the last one.
pub const AUTOSAVE_AFTER: Duration = Duration::from_millis(500);
/// How long quitting waits for the server's answer to QUIT.
pub const QUIT_GRACE: Duration = Duration::from_secs(3);
/// The redraw interval while something runs (spinner, elapsed time).
pub const TICK: Duration = Duration::from_millis(100);
/// Lines scrolled per mouse-wheel notch.
const WHEEL_LINES: usize = 3;

/// A key press, independent of the terminal library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    /// Which key.
    pub code: KeyCode,
    /// Ctrl held.
    pub ctrl: bool,
    /// Alt held.
    pub alt: bool,
    /// Shift held.
    pub shift: bool,
}

/// The keys the composer knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyCode {
    /// A character.
    Char(char),
    /// F1…F12.
    F(u8),
    /// Enter.
    Enter,
    /// Tab.
    Tab,
    /// Shift+Tab.
    BackTab,
    /// Backspace.
    Backspace,
    /// Delete.
    Delete,
    /// Esc.
    Esc,
    /// ←.
    Left,
    /// →.
    Right,
    /// ↑.
    Up,
    /// ↓.
    Down,
    /// Home.
    Home,
    /// End.
    End,
    /// Page Up.
    PageUp,
    /// Page Down.
    PageDown,
}

impl Key {
    /// A key without modifiers.
    pub fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    /// A typed character.
    pub fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    /// Ctrl and a letter.
    pub fn ctrl(c: char) -> Key {
        Key {
            ctrl: true,
            ..Key::char(c)
        }
    }

    /// Whether this is Ctrl and the letter `c` (either case, no Alt).
    fn is_ctrl(&self, c: char) -> bool {
        self.ctrl
            && !self.alt
            && matches!(self.code, KeyCode::Char(k) if k.eq_ignore_ascii_case(&c))
    }
}

/// A password, wiped from memory when dropped; `Debug` never shows it.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a password.
    pub fn new(password: String) -> Password {
        Password(Zeroizing::new(password))
    }

    /// The password itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Which way the mouse wheel turned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wheel {
    /// Towards older lines.
    Up,
    /// Towards newer lines.
    Down,
}

/// Which file an effect wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    /// The config file.
    Settings,
    /// The protocol log.
    Log,
    /// The draft.
    Draft,
}

/// Everything that can happen to the model.
#[derive(Debug)]
pub enum Msg {
    /// A key press.
    Key(Key),
    /// Pasted text (bracketed paste).
    Paste(String),
    /// The mouse wheel.
    Wheel(Wheel),
    /// The terminal changed size (the next frame is drawn for it).
    Resize,
    /// The clock: monotonic for durations, wall time for log stamps and
    /// file names.
    Tick {
        /// Now, monotonic.
        now: Instant,
        /// Now, local wall clock.
        wall: NaiveDateTime,
    },
    /// The worker reported.
    Worker(WorkerEvent),
    /// The worker is gone (its channel closed).
    WorkerGone,
    /// The password command finished.
    Password(Result<Password, String>),
    /// A file was written (its path), or why not.
    Saved {
        /// Which file.
        what: Saved,
        /// The path, or the reason.
        result: Result<PathBuf, String>,
    },
}

/// An effect for the runner to perform.
#[derive(Debug)]
pub enum Action {
    /// Send a job to the worker.
    Job(Job),
    /// Run the password command (`sh -c`) off the UI thread; answer with
    /// [`Msg::Password`].
    RunPasswordCommand(String),
    /// Write the config file; answer with [`Msg::Saved`].
    SaveSettings {
        /// Where.
        path: PathBuf,
        /// What (never a password: the type has no place for one).
        settings: Settings,
    },
    /// Write the draft (TOML); answer with [`Msg::Saved`] on failure.
    SaveDraft {
        /// Where.
        path: PathBuf,
        /// The file's text.
        text: String,
    },
    /// Write every log line to a file; answer with [`Msg::Saved`].
    SaveLog {
        /// Where.
        path: PathBuf,
    },
    /// Leave the program (the runner saves the draft on the way out).
    Quit,
}

/// Where the focus is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// A field of the compose form.
    Compose(ComposeField),
    /// A field of the settings pane.
    Settings(SettingsField),
    /// The protocol log.
    Log,
}

/// What a job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// Connect and log in.
    Connect,
    /// Send the letter.
    Send,
    /// QUIT.
    Disconnect,
}

/// The job the worker is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningJob {
    /// What it does.
    pub kind: JobKind,
    /// When it started.
    pub started: Option<Instant>,
    /// The worker's last reported stage.
    pub stage: Option<Stage>,
    /// `host:port`.
    pub server: String,
    /// Esc was pressed; waiting for the worker to confirm.
    pub cancelling: bool,
}

/// How the last result reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Neutral.
    Info,
    /// It worked.
    Success,
    /// Partly, or the user stopped it.
    Warning,
    /// It failed.
    Error,
}

/// The last result, shown in the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// How it reads.
    pub tone: Tone,
    /// The sentence.
    pub text: String,
    /// What to do about it, for a failure with advice.
    pub hint: Option<String>,
}

/// A window over the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    /// Every key.
    Help,
    /// Lint warnings before sending: send anyway or go back.
    Lint(Vec<Warning>),
    /// The per-recipient result of a send.
    Results {
        /// The letter's Message-ID.
        message_id: String,
        /// What the server said.
        delivery: Delivery,
    },
    /// Discard the unsent letter for a new one?
    ConfirmNew,
}

/// What the runner knows about the environment, handed to [`App::new`].
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// This host's name, for the automatic HELO name.
    pub hostname: String,
    /// The config file (`None`: no config directory is known).
    pub config_path: Option<PathBuf>,
    /// The data directory for drafts and saved logs.
    pub data_dir: Option<PathBuf>,
    /// Draw with colours (off with `NO_COLOR`).
    pub color: bool,
    /// The password from `SMTPWIRE_PASSWORD`.
    pub password: Option<Password>,
}

/// A job waiting for the password command.
#[derive(Debug)]
enum Pending {
    Connect,
    Send(Box<Draft>),
}

/// The model.
#[derive(Debug)]
pub struct App {
    /// The compose form.
    pub compose: ComposeForm,
    /// The settings pane.
    pub settings: SettingsForm,
    /// The protocol log.
    pub log: ProtocolLog,
    /// Where the focus is.
    pub focus: Focus,
    /// The window over the screen, if any.
    pub overlay: Option<Overlay>,
    /// The session as the worker last reported it.
    pub session: SessionState,
    /// The running job.
    pub job: Option<RunningJob>,
    /// The last result.
    pub status: Option<Status>,
    /// Whether the letter in the form went out to every recipient.
    pub sent: bool,
    /// The environment.
    pub context: Context,
    last_compose: ComposeField,
    last_settings: SettingsField,
    before_log: Focus,
    pending: Option<Pending>,
    /// Quitting: waiting for the running job or QUIT, until this deadline
    /// (`Some(None)`: no clock yet, so until the job ends).
    quitting: Option<Option<Instant>>,
    now: Option<Instant>,
    wall: NaiveDateTime,
    /// When the form was last edited, while that edit is unsaved
    /// (`Some(None)`: save at the next tick).
    unsaved_since: Option<Option<Instant>>,
}

impl App {
    /// A model holding `settings` (file and command line merged) and the
    /// letter `draft`; the focus starts on the first empty compose field.
    pub fn new(settings: Settings, draft: DraftInput, context: Context) -> App {
        let mut settings_form = SettingsForm::new(&settings, context.password.as_ref());
        if settings_form.sender.is_blank() && !draft.envelope_from.trim().is_empty() {
            settings_form.sender = line::LineInput::new(&draft.envelope_from);
        }
        let draft = DraftInput {
            from: if draft.from.trim().is_empty() {
                settings.from.clone().unwrap_or_default()
            } else {
                draft.from
            },
            ..draft
        };
        let compose = ComposeForm::new(&draft);
        let first = compose.first_empty();
        App {
            compose,
            settings: settings_form,
            log: ProtocolLog::default(),
            focus: Focus::Compose(first),
            overlay: None,
            session: SessionState::Closed,
            job: None,
            status: None,
            sent: false,
            context,
            last_compose: first,
            last_settings: SettingsField::Host,
            before_log: Focus::Compose(first),
            pending: None,
            quitting: None,
            now: None,
            wall: NaiveDate::default().and_time(chrono::NaiveTime::MIN),
            unsaved_since: None,
        }
    }

    /// Adds a note to the log.
    pub fn note(&mut self, text: &str) {
        self.push_own(Dir::Note, text);
    }

    /// Adds a failure note to the log (red where there is colour).
    pub fn error_note(&mut self, text: &str) {
        self.push_own(Dir::Error, text);
    }

    fn push_own(&mut self, dir: Dir, text: &str) {
        self.log.push(LogLine {
            time: self.wall.time(),
            dir,
            text: text.to_owned(),
            latency: None,
            gloss: None,
        });
    }

    /// Whether a job or the password command runs.
    pub fn is_busy(&self) -> bool {
        self.job.is_some() || self.pending.is_some()
    }

    /// When the runner must wake the model with a tick even if nothing
    /// happens: every [`TICK`] while something runs, and when unsaved edits
    /// are due for saving.
    pub fn next_wakeup(&self) -> Option<Instant> {
        let now = self.now?;
        let tick = (self.is_busy() || self.quitting.is_some()).then_some(now + TICK);
        let save = match self.unsaved_since {
            Some(Some(at)) => Some(at + AUTOSAVE_AFTER),
            Some(None) => Some(now),
            None => None,
        };
        match (tick, save) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The draft file's path, if there is a data directory.
    pub fn draft_path(&self) -> Option<PathBuf> {
        self.context.data_dir.as_ref().map(|d| d.join("draft.toml"))
    }

    /// The form as it is stored between runs.
    pub fn stored_draft(&self) -> StoredDraft {
        self.compose.stored(self.sent)
    }

    /// The draft to write now, if there are unsaved edits (used on quit and
    /// on signals, when the debounce cannot wait).
    pub fn pending_draft(&mut self) -> Option<Action> {
        self.unsaved_since.take()?;
        self.save_draft()
    }

    fn save_draft(&self) -> Option<Action> {
        let path = self.draft_path()?;
        match self.stored_draft().to_toml() {
            Ok(text) => Some(Action::SaveDraft { path, text }),
            // Plain strings always serialise; nothing sensible to do if not.
            Err(_) => None,
        }
    }

    /// The elapsed time of the running job.
    pub fn elapsed(&self) -> Option<Duration> {
        let started = self.job.as_ref()?.started?;
        Some(self.now?.saturating_duration_since(started))
    }

    /// The envelope sender's domain, else From's, for the HELO default.
    pub fn sender_domain(&self) -> Option<String> {
        let sender = self.settings.sender.text();
        mail::Address::parse(sender)
            .ok()
            .or_else(|| {
                mail::Mailbox::parse(self.compose.from.text())
                    .ok()
                    .map(|m| m.address)
            })
            .map(|a| a.domain_ascii().to_owned())
    }

    /// The HELO name that will be sent.
    pub fn effective_helo(&self) -> String {
        let domain = self.sender_domain();
        self.settings
            .effective_helo(&self.context.hostname, domain.as_deref())
    }

    /// Handles one message; returns the effect to perform, if any.
    pub fn update(&mut self, msg: Msg) -> Option<Action> {
        match msg {
            Msg::Tick { now, wall } => self.tick(now, wall),
            Msg::Key(key) => self.key(key),
            Msg::Paste(text) => {
                self.paste(&text);
                None
            }
            Msg::Wheel(Wheel::Up) => {
                self.log.up(WHEEL_LINES);
                None
            }
            Msg::Wheel(Wheel::Down) => {
                self.log.down(WHEEL_LINES);
                None
            }
            Msg::Resize => {
                self.compose.reset_view();
                None
            }
            Msg::Worker(event) => self.worker(event),
            Msg::WorkerGone => {
                self.job = None;
                self.session = SessionState::Closed;
                self.problem("the SMTP worker stopped; restart smtpwire to send again");
                self.quitting.is_some().then_some(Action::Quit)
            }
            Msg::Password(result) => self.password(result),
            Msg::Saved { what, result } => {
                self.saved(what, result);
                None
            }
        }
    }

    fn tick(&mut self, now: Instant, wall: NaiveDateTime) -> Option<Action> {
        self.now = Some(now);
        self.wall = wall;
        if let Some(Some(deadline)) = self.quitting
            && now >= deadline
        {
            return Some(Action::Quit);
        }
        if let Some(since) = self.unsaved_since {
            let due = since.is_none_or(|at| now >= at + AUTOSAVE_AFTER);
            if due {
                self.unsaved_since = None;
                return self.save_draft();
            }
        }
        None
    }

    /// Marks the letter edited (it is saved a moment later).
    fn edited(&mut self) {
        self.unsaved_since = Some(self.now);
        self.sent = false;
    }

    fn key(&mut self, key: Key) -> Option<Action> {
        if key.is_ctrl('q') || key.is_ctrl('c') {
            return self.quit();
        }
        if let Some(overlay) = self.overlay.clone()
            && let ControlFlow::Break(action) = self.overlay_key(overlay, key)
        {
            return action;
        }
        match key.code {
            KeyCode::F(1) => {
                self.overlay = Some(Overlay::Help);
                return None;
            }
            KeyCode::F(2) => {
                let target = match self.focus {
                    Focus::Settings(_) => Focus::Compose(self.last_compose),
                    _ => Focus::Settings(self.last_settings),
                };
                self.move_focus(target);
                return None;
            }
            KeyCode::F(3) => {
                let target = match self.focus {
                    Focus::Log => self.before_log,
                    other => {
                        self.before_log = other;
                        Focus::Log
                    }
                };
                self.move_focus(target);
                return None;
            }
            KeyCode::Esc => return self.escape(),
            KeyCode::Tab => {
                self.step_focus(true);
                return None;
            }
            KeyCode::BackTab => {
                self.step_focus(false);
                return None;
            }
            _ => {}
        }
        if key.ctrl && !key.alt {
            match key.code {
                KeyCode::Char('o' | 'O') => return self.connect(),
                KeyCode::Char('s' | 'S') => return self.send(false),
                KeyCode::Char('d' | 'D') => return self.disconnect(),
                KeyCode::Char('w' | 'W') => return self.save_settings(),
                KeyCode::Char('l' | 'L') => return self.save_log(),
                KeyCode::Char('n' | 'N') => {
                    if self.compose.has_letter() && !self.sent {
                        self.overlay = Some(Overlay::ConfirmNew);
                    } else {
                        self.new_letter();
                    }
                    return None;
                }
                _ => {}
            }
        }
        self.field_key(key);
        None
    }

    fn field_key(&mut self, key: Key) {
        let scroll_log = |log: &mut ProtocolLog, key: &Key| match key.code {
            KeyCode::PageUp => log.page_up(),
            KeyCode::PageDown => log.page_down(),
            _ => {}
        };
        match self.focus {
            Focus::Log => match key.code {
                KeyCode::Up => self.log.up(1),
                KeyCode::Down => self.log.down(1),
                KeyCode::PageUp => self.log.page_up(),
                KeyCode::PageDown => self.log.page_down(),
                KeyCode::Home => self.log.home(),
                KeyCode::End => self.log.end(),
                KeyCode::Left => self.log.sideways(false),
                KeyCode::Right => self.log.sideways(true),
                _ => {}
            },
            Focus::Compose(field) => {
                if field != ComposeField::Body {
                    match key.code {
                        KeyCode::Enter | KeyCode::Down => return self.step_focus(true),
                        KeyCode::Up => return self.step_focus(false),
                        KeyCode::PageUp | KeyCode::PageDown => {
                            return scroll_log(&mut self.log, &key);
                        }
                        _ => {}
                    }
                }
                if self.compose.key(field, &key) {
                    self.edited();
                }
            }
            Focus::Settings(field) => match key.code {
                KeyCode::Enter | KeyCode::Down => self.step_focus(true),
                KeyCode::Up => self.step_focus(false),
                KeyCode::PageUp | KeyCode::PageDown => scroll_log(&mut self.log, &key),
                _ => {
                    if self.settings.key(field, &key) && field.is_choice() {
                        // A new security mode may have moved the port to
                        // its usual number: check it again.
                        self.settings.check(SettingsField::Port);
                    }
                }
            },
        }
    }

    fn paste(&mut self, text: &str) {
        match self.focus {
            Focus::Compose(field) => {
                if self.compose.paste(field, text) {
                    self.edited();
                }
            }
            Focus::Settings(field) => {
                self.settings.paste(field, text);
            }
            Focus::Log => {}
        }
    }

    /// A key while a window is open: `Break` when the window took it,
    /// `Continue` when it goes on to its usual job.
    fn overlay_key(&mut self, overlay: Overlay, key: Key) -> ControlFlow<Option<Action>> {
        let yes = matches!(key.code, KeyCode::Enter | KeyCode::Char('y' | 'Y')) && !key.ctrl;
        let no = matches!(key.code, KeyCode::Esc | KeyCode::Char('n' | 'N')) && !key.ctrl;
        match overlay {
            Overlay::Help => {
                if matches!(
                    key.code,
                    KeyCode::Esc | KeyCode::F(1) | KeyCode::Enter | KeyCode::Char('q')
                ) {
                    self.overlay = None;
                }
                ControlFlow::Break(None)
            }
            Overlay::Lint(_) => {
                if yes || key.is_ctrl('s') {
                    self.overlay = None;
                    ControlFlow::Break(self.send(true))
                } else if no {
                    self.overlay = None;
                    self.set_status(Tone::Info, "not sent: the letter is back for editing");
                    ControlFlow::Break(None)
                } else {
                    ControlFlow::Break(None)
                }
            }
            Overlay::ConfirmNew => {
                self.overlay = None;
                if yes {
                    self.new_letter();
                }
                ControlFlow::Break(None)
            }
            Overlay::Results { .. } => {
                // Any key closes it; keys other than these also do their job.
                self.overlay = None;
                if matches!(key.code, KeyCode::Esc | KeyCode::Enter) {
                    ControlFlow::Break(None)
                } else {
                    ControlFlow::Continue(())
                }
            }
        }
    }

    fn escape(&mut self) -> Option<Action> {
        if let Some(job) = &mut self.job {
            if job.cancelling {
                return None;
            }
            job.cancelling = true;
            self.set_status(Tone::Warning, "cancelling…");
            return Some(Action::Job(Job::Cancel));
        }
        if self.pending.take().is_some() {
            self.set_status(Tone::Warning, "cancelled before connecting");
            return None;
        }
        if !matches!(self.focus, Focus::Compose(_)) {
            self.move_focus(Focus::Compose(self.last_compose));
        }
        None
    }

    fn quit(&mut self) -> Option<Action> {
        if self.quitting.is_some() {
            // Asked twice: stop waiting.
            return Some(Action::Quit);
        }
        let deadline = self.now.map(|n| n + QUIT_GRACE);
        self.pending = None;
        if let Some(job) = &mut self.job {
            self.quitting = Some(deadline);
            if job.kind == JobKind::Disconnect {
                self.set_status(Tone::Info, "quitting after QUIT…");
                return None;
            }
            job.cancelling = true;
            self.set_status(Tone::Warning, "cancelling the running job, then quitting…");
            return Some(Action::Job(Job::Cancel));
        }
        if self.session_open() {
            self.quitting = Some(deadline);
            self.set_status(Tone::Info, "sending QUIT, then quitting…");
            return self.start_job(JobKind::Disconnect, Job::Disconnect);
        }
        Some(Action::Quit)
    }

    /// Whether the worker holds an open session.
    pub fn session_open(&self) -> bool {
        matches!(self.session, SessionState::Open { .. })
    }

    fn busy(&mut self) -> bool {
        if self.is_busy() {
            self.set_status(
                Tone::Warning,
                "busy: wait for the running job, or press Esc to cancel it",
            );
            return true;
        }
        false
    }

    fn connect(&mut self) -> Option<Action> {
        if self.busy() || !self.settings_ok() {
            return None;
        }
        self.with_login(Pending::Connect)
    }

    fn disconnect(&mut self) -> Option<Action> {
        if self.busy() {
            return None;
        }
        if !self.session_open() {
            self.set_status(Tone::Info, "no open session (Ctrl+O connects)");
            return None;
        }
        self.start_job(JobKind::Disconnect, Job::Disconnect)
    }

    fn send(&mut self, confirmed: bool) -> Option<Action> {
        if self.busy() {
            return None;
        }
        let input = self.compose.draft_input(self.settings.sender.text());
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
    fn letter_errors(&mut self, errors: &[mail::Error]) {
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
                    .set_error(SettingsField::Sender, format!("Sender: {error}"));
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
            None => self.move_focus(Focus::Settings(SettingsField::Sender)),
        }
    }

    /// Checks every setting; on a problem, says so and moves there.
    fn settings_ok(&mut self) -> bool {
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

    /// Continues a job once the password is known, asking the runner to run
    /// the password command when it must.
    fn with_login(&mut self, pending: Pending) -> Option<Action> {
        match self.settings.login() {
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
            Login::Anonymous => self.launch(pending, None),
            Login::Ready(credentials) => self.launch(pending, Some(credentials)),
        }
    }

    fn launch(
        &mut self,
        pending: Pending,
        credentials: Option<smtp::Credentials>,
    ) -> Option<Action> {
        let domain = self.sender_domain();
        let config = match self.settings.session_config(
            &self.context.hostname,
            domain.as_deref(),
            credentials,
        ) {
            Ok(config) => config,
            Err(message) => {
                self.problem(&format!("cannot connect: {message}"));
                return None;
            }
        };
        let connect = Connect {
            config,
            ca_file: self.settings.ca_file(),
            system_roots: self.settings.system_roots(),
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

    fn start_job(&mut self, kind: JobKind, job: Job) -> Option<Action> {
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

    fn password(&mut self, result: Result<Password, String>) -> Option<Action> {
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

    fn worker(&mut self, event: WorkerEvent) -> Option<Action> {
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

    fn done(&mut self, outcome: Outcome) -> Option<Action> {
        let kind = self.job.take().map(|j| j.kind);
        match outcome {
            Outcome::Connected => {
                let login = match self.settings.login() {
                    Login::Ready(c) => format!(" as {}", c.username()),
                    _ => String::new(),
                };
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

    fn sent_report(&mut self, delivery: Delivery, message_id: String) {
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
            self.unsaved_since = Some(None);
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

    fn failed(&mut self, kind: Option<JobKind>, failure: &Failure) {
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

    /// A problem to show in the status line and as a red log note (one
    /// that did not come from the worker: a broken config file, a failed
    /// write).
    pub fn problem(&mut self, text: &str) {
        self.error_note(text);
        self.set_status(Tone::Error, text);
    }

    fn saved(&mut self, what: Saved, result: Result<PathBuf, String>) {
        match (what, result) {
            (Saved::Draft, Ok(_)) => {}
            (Saved::Draft, Err(e)) => self.problem(&format!("cannot save the draft: {e}")),
            (Saved::Settings, Ok(path)) => {
                let text = format!("settings saved to {} (no password)", path.display());
                self.note(&text);
                self.set_status(Tone::Success, &text);
            }
            (Saved::Log, Ok(path)) => {
                let text = format!("log saved to {}", path.display());
                self.note(&text);
                self.set_status(Tone::Success, &text);
            }
            (Saved::Settings, Err(e)) => self.problem(&format!("settings not saved: {e}")),
            (Saved::Log, Err(e)) => self.problem(&format!("log not saved: {e}")),
        }
    }

    fn save_settings(&mut self) -> Option<Action> {
        if let Some(field) = self.settings.check_all() {
            let message = self.settings.error(field).unwrap_or_default().to_owned();
            self.set_status(Tone::Error, &format!("settings not saved: {message}"));
            self.move_focus(Focus::Settings(field));
            return None;
        }
        let Some(path) = self.context.config_path.clone() else {
            self.problem("settings not saved: no config directory (set HOME or XDG_CONFIG_HOME, or pass --config PATH)");
            return None;
        };
        let from = self.compose.from.text().trim();
        let from = mail::Mailbox::parse(from).is_ok().then(|| from.to_owned());
        Some(Action::SaveSettings {
            path,
            settings: self.settings.to_settings(from),
        })
    }

    fn save_log(&mut self) -> Option<Action> {
        let Some(dir) = self.context.data_dir.clone() else {
            self.problem("log not saved: no data directory (set HOME or XDG_DATA_HOME)");
            return None;
        };
        let name = format!("log-{}.txt", self.wall.format("%Y%m%d-%H%M%S"));
        Some(Action::SaveLog {
            path: dir.join("logs").join(name),
        })
    }

    fn new_letter(&mut self) {
        self.compose.clear_letter();
        self.sent = false;
        self.unsaved_since = Some(self.now);
        let first = self.compose.first_empty();
        self.move_focus(Focus::Compose(first));
        self.set_status(Tone::Info, "new letter");
    }

    fn set_status(&mut self, tone: Tone, text: &str) {
        self.status = Some(Status {
            tone,
            text: text.to_owned(),
            hint: None,
        });
    }

    /// Tab / Shift+Tab: the next field of the same pane.
    fn step_focus(&mut self, forward: bool) {
        let target = match self.focus {
            Focus::Compose(f) => Focus::Compose(f.step(forward)),
            Focus::Settings(f) => Focus::Settings(f.step(forward)),
            Focus::Log => self.before_log,
        };
        self.move_focus(target);
    }

    /// Moves the focus, checking the field that is left.
    fn move_focus(&mut self, target: Focus) {
        let left = self.focus;
        if left == target {
            return;
        }
        match left {
            Focus::Settings(field) => self.settings.check(field),
            Focus::Compose(field) => self.recheck_compose(field),
            Focus::Log => {}
        }
        match target {
            Focus::Compose(f) => self.last_compose = f,
            Focus::Settings(f) => self.last_settings = f,
            Focus::Log => {}
        }
        self.focus = target;
    }

    /// Validates the compose field being left: its own problems appear (if
    /// it holds something), and fixed problems of other fields go away.
    fn recheck_compose(&mut self, left: ComposeField) {
        let input = self.compose.draft_input("");
        let errors = Draft::parse(&input).err().unwrap_or_default();
        let had: Vec<ComposeField> = self.compose.errors.iter().map(|(f, _)| *f).collect();
        let filled = !self.compose.is_blank(left);
        self.compose
            .set_errors(&errors, |f| had.contains(&f) || (f == left && filled));
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
