//! The model of the full-screen composer: the compose form, the settings
//! pane, the protocol log, the session and the running job.
//!
//! [`App::update`] is synchronous and does no I/O: it takes a [`Msg`] (a key,
//! a worker event, a tick of the clock, the result of an effect) and returns
//! at most one [`Action`] for the runner to perform — a [`Job`](crate::worker::Job) for the
//! worker, a file to write, quitting. The clock comes in with
//! [`Msg::Tick`]; the runner sends one before every other message.

pub mod attachments;
mod command;
mod complete;
pub mod compose;
mod inspect;
mod jobs;
mod keys;
pub mod line;
pub mod manual;
mod msg;
pub mod preview;
mod saving;
pub mod settings;
pub mod transcript;

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use chrono::{NaiveDate, NaiveDateTime};

pub use self::{
    attachments::{AttachPrompt, AttachedFile, Attachments},
    command::{CommandRequest, CommandView, Written},
    complete::Completion,
    compose::{ComposeField, ComposeForm, StoredDraft},
    inspect::{Inspector, LetterView},
    jobs::setting_name,
    manual::Manual,
    msg::{Action, Key, KeyCode, Msg, Saved, Wheel},
    preview::{LineKind, PreviewLine, PreviewView},
    settings::{Login, SettingsField, SettingsForm},
    transcript::ProtocolLog,
};
pub use crate::password::Password;
use crate::{
    config::ConfigFile,
    mail::{self, Draft, DraftInput, Warning},
    settings::{Key as SettingKey, Settings},
    smtp::{Delivery, Dir, LogLine, Stage},
    worker::SessionState,
};

/// Unsaved edits are written this long after the last one.
pub const AUTOSAVE_AFTER: Duration = Duration::from_millis(500);
/// How long quitting waits for the server's answer to QUIT.
pub const QUIT_GRACE: Duration = Duration::from_secs(3);
/// The redraw interval while something runs (spinner, elapsed time).
pub const TICK: Duration = Duration::from_millis(100);
/// Lines scrolled per mouse-wheel notch.
const WHEEL_LINES: usize = 3;

/// Where the focus is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// A field of the compose form.
    Compose(ComposeField),
    /// A field of the settings pane.
    Settings(SettingsField),
    /// The protocol log.
    Log,
    /// The manual-mode prompt under the log (F7).
    Manual,
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
    /// A line typed in manual mode.
    Typed,
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
    /// A line of detail under it: where a send's time went.
    pub detail: Option<String>,
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
    /// Ctrl+S with a transaction typed by hand open: RSET and send?
    OpenTransaction,
    /// Esc (or Ctrl+D) in message data typed by hand: drop the connection?
    DropData,
    /// F5: a path to attach, with Tab completion.
    Attach(AttachPrompt),
    /// F6: the letter as it would go out (its state is [`App::preview`]).
    Preview,
    /// Ctrl+L: save the log as text or JSON Lines?
    SaveLog,
    /// F3, then Enter: one log line in detail.
    Inspect(Inspector),
    /// Ctrl+P: the equivalent command line.
    Command(CommandView),
}

/// What the runner knows about the environment, handed to [`App::new`].
#[derive(Debug, Default)]
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
    /// The config file's accounts (empty without a file).
    pub accounts: ConfigFile,
    /// The account in use (`default` for the flat settings).
    pub account: String,
    /// The settings given on the command line, laid over every account's.
    pub command_line: Settings,
    /// Each account's signature text, read at start (from its
    /// `signature_file`).
    pub signatures: std::collections::BTreeMap<String, String>,
    /// The addresses sent to before, for completion.
    pub addresses: crate::addresses::History,
    /// How many copies of sent letters wait in the queue to be saved in
    /// Sent (counted at start).
    pub kept_copies: usize,
}

/// The copies kept earlier, tried once per run for the account in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeptRetry {
    /// Nothing to try, or tried.
    Done,
    /// To try when the loop starts.
    AtStart,
    /// The login needs a password not known yet: after the first login.
    AfterLogin,
}

/// A job waiting for the password command.
#[derive(Debug)]
enum Pending {
    Connect,
    Send(Box<Outgoing>),
}

/// A letter ready to go: the validated draft and its files.
#[derive(Debug)]
struct Outgoing {
    draft: Draft,
    attachments: Vec<mail::Attachment>,
    /// The preview's Date and Message-ID, when sent from the preview.
    stamp: Option<mail::Stamp>,
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
    /// Manual mode: the prompt, its history, the session's typed state.
    pub manual: Manual,
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
    /// The copy in Sent being saved now (where, in words).
    pub copying: Option<String>,
    /// The list of addresses offered for the entry being typed.
    pub completion: Option<Completion>,
    /// The preview window's state, while [`Overlay::Preview`] is open.
    pub preview: Option<Box<PreviewView>>,
    /// The preview's Date and Message-ID, for the send started from it.
    stamp: Option<mail::Stamp>,
    /// The number of the last preview asked for.
    preview_id: u64,
    /// The first row of the help shown (F1 on a short screen).
    pub help_scroll: usize,
    /// The largest useful `help_scroll`, recorded by the view.
    pub help_max: std::cell::Cell<usize>,
    found: complete::Found,
    /// The history of addresses changed since it was written.
    addresses_unsaved: bool,
    /// The last letters sent, for the inspector.
    letters: Vec<inspect::SentBytes>,
    /// The environment.
    pub context: Context,
    last_compose: ComposeField,
    last_settings: SettingsField,
    before_log: Focus,
    pending: Option<Pending>,
    /// Quitting: waiting for the running job or QUIT.
    quitting: Option<Quitting>,
    now: Option<Instant>,
    wall: NaiveDateTime,
    /// The wall time of the first tick: before the first log line, the
    /// anchor that dates the log's lines when it is saved.
    started: Option<NaiveDateTime>,
    /// An edit not saved yet.
    unsaved: Option<Unsaved>,
    kept_retry: KeptRetry,
}

/// How long quitting waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quitting {
    /// Until the running job or QUIT ends, or this deadline.
    Until(Instant),
    /// Until the running job ends (there was no clock yet for a deadline).
    WhenDone,
}

impl Quitting {
    /// Quitting from now (a clock reading, if there was one).
    fn from(now: Option<Instant>) -> Quitting {
        now.map_or(Quitting::WhenDone, |now| Quitting::Until(now + QUIT_GRACE))
    }
}

/// An edit of the letter that is not saved yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unsaved {
    /// Made at this time; saved [`AUTOSAVE_AFTER`] later.
    Since(Instant),
    /// To be saved at the next tick.
    Now,
}

impl Unsaved {
    /// An edit made now (a clock reading, if there was one).
    fn from(now: Option<Instant>) -> Unsaved {
        now.map_or(Unsaved::Now, Unsaved::Since)
    }
}

impl App {
    /// A model holding `settings` (file and command line merged) and the
    /// letter `draft`; the focus starts on the first empty compose field.
    pub fn new(settings: &Settings, draft: DraftInput, context: Context) -> App {
        let mut settings_form = SettingsForm::new(settings, context.password.as_ref());
        if settings_form.text(SettingKey::EnvelopeFrom).is_empty()
            && !draft.envelope_from.trim().is_empty()
        {
            settings_form.set(SettingKey::EnvelopeFrom, &draft.envelope_from);
        }
        // The identity comes from the settings (the account) unless the
        // draft has its own.
        let or_setting = |typed: String, setting: &Option<String>| {
            if typed.trim().is_empty() {
                setting.clone().unwrap_or_default()
            } else {
                typed
            }
        };
        let draft = DraftInput {
            from: or_setting(draft.from, &settings.from),
            reply_to: or_setting(draft.reply_to, &settings.reply_to),
            ..draft
        };
        let compose = ComposeForm::new(&draft);
        let first = compose.first_empty();
        let kept_retry = if context.kept_copies > 0 {
            KeptRetry::AtStart
        } else {
            KeptRetry::Done
        };
        App {
            compose,
            settings: settings_form,
            log: ProtocolLog::default(),
            manual: Manual::default(),
            focus: Focus::Compose(first),
            overlay: None,
            session: SessionState::Closed,
            job: None,
            status: None,
            sent: false,
            copying: None,
            completion: None,
            preview: None,
            stamp: None,
            preview_id: 0,
            help_scroll: 0,
            help_max: std::cell::Cell::new(0),
            found: complete::Found::default(),
            addresses_unsaved: false,
            letters: Vec::new(),
            context,
            last_compose: first,
            last_settings: SettingsField::HOST,
            before_log: Focus::Compose(first),
            pending: None,
            quitting: None,
            now: None,
            started: None,
            wall: NaiveDate::default().and_time(chrono::NaiveTime::MIN),
            unsaved: None,
            kept_retry,
        }
    }

    /// What the loop does first: the copies kept earlier for this
    /// account's Sent are tried, when the login needs nothing more (a
    /// Maildir, a password from the environment); else after the first
    /// login.
    pub fn at_start(&mut self) -> Option<Action> {
        if self.kept_retry == KeptRetry::AtStart {
            return self.retry_kept();
        }
        None
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
        self.log.push(&LogLine {
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
        let save = match self.unsaved {
            Some(Unsaved::Since(at)) => Some(at + AUTOSAVE_AFTER),
            Some(Unsaved::Now) => Some(now),
            None => None,
        };
        match (tick, save) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The elapsed time of the running job.
    pub fn elapsed(&self) -> Option<Duration> {
        let started = self.job.as_ref()?.started?;
        Some(self.now?.saturating_duration_since(started))
    }

    /// The envelope sender's domain, else From's, for the HELO default.
    pub fn sender_domain(&self) -> Option<String> {
        let sender = self.settings.text(SettingKey::EnvelopeFrom);
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

    /// The provider whose built-in settings apply: the sender's (or the
    /// user's) domain is one of its, and no host is set.
    pub fn provider(&self) -> Option<&'static crate::providers::Provider> {
        let domain = self.sender_domain();
        crate::resolve::provider(
            &self.settings.to_settings(None),
            &crate::resolve::Context {
                hostname: &self.context.hostname,
                sender_domain: domain.as_deref(),
                password_given: false,
            },
        )
    }

    /// What the provider table says about the sender's domain, for the
    /// settings pane: the settings it fills, or (when a host is set) what to
    /// know about it.
    pub fn provider_hint(&self) -> Option<String> {
        if let Some(p) = self.provider() {
            return Some(format!(
                "no host set: {} ({}:{} {}) from the provider table; {}",
                p.name, p.smtp.host, p.smtp.port, p.smtp.security, p.must_know
            ));
        }
        let domain = self.sender_domain()?;
        let p = crate::providers::for_domain(&domain)?;
        Some(format!("{}: {}", p.name, p.must_know))
    }

    /// Handles one message; returns the effect to perform, if any.
    pub fn update(&mut self, msg: Msg) -> Option<Action> {
        match msg {
            Msg::Tick { now, wall } => self.tick(now, wall),
            Msg::Key(key) => self.key(key),
            Msg::Paste(text) => {
                // Pasted text may be a password: wiped once it is in its
                // field (the field keeps the only copy).
                let text = zeroize::Zeroizing::new(text);
                self.paste(&text)
            }
            Msg::Wheel(wheel) => {
                match (&mut self.preview, wheel) {
                    (Some(view), _) if self.overlay == Some(Overlay::Preview) => {
                        view.wheel(wheel == Wheel::Down, WHEEL_LINES);
                    }
                    (_, Wheel::Up) => self.log.up(WHEEL_LINES),
                    (_, Wheel::Down) => self.log.down(WHEEL_LINES),
                }
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
            Msg::Completed(completion) => {
                if let Some(Overlay::Attach(prompt)) = &mut self.overlay {
                    prompt.complete(completion);
                }
                None
            }
            Msg::Attached(result) => {
                self.attached(result);
                None
            }
            Msg::Previewed { id, result } => {
                self.previewed(id, result);
                None
            }
            Msg::Edited(result) => {
                self.edited_body(result);
                None
            }
            Msg::CommandWritten(result) => {
                self.command_written(result);
                None
            }
            Msg::AddressesFound { query, result } => {
                self.addresses_found(query, result);
                None
            }
            Msg::Saved { what, result } => {
                self.saved(what, result);
                None
            }
        }
    }

    fn tick(&mut self, now: Instant, wall: NaiveDateTime) -> Option<Action> {
        self.now = Some(now);
        self.started.get_or_insert(wall);
        self.wall = wall;
        if let Some(Quitting::Until(deadline)) = self.quitting
            && now >= deadline
        {
            return Some(Action::Quit);
        }
        if let Some(unsaved) = self.unsaved {
            let due = match unsaved {
                Unsaved::Since(at) => now >= at + AUTOSAVE_AFTER,
                Unsaved::Now => true,
            };
            if due {
                self.unsaved = None;
                return self.save_draft();
            }
        }
        self.pending_addresses()
    }

    /// Marks the letter edited (it is saved a moment later).
    fn edited(&mut self) {
        self.unsaved = Some(Unsaved::from(self.now));
        self.sent = false;
        // An edited letter is no longer the one previewed.
        self.stamp = None;
    }

    /// A problem to show in the status line and as a red log note (one
    /// that did not come from the worker: a broken config file, a failed
    /// write).
    pub fn problem(&mut self, text: &str) {
        self.error_note(text);
        self.set_status(Tone::Error, text);
    }

    /// When the app started (its first tick), local time.
    pub fn started(&self) -> NaiveDateTime {
        self.started.unwrap_or(self.wall)
    }

    fn set_status(&mut self, tone: Tone, text: &str) {
        self.status = Some(Status {
            tone,
            text: text.to_owned(),
            hint: None,
            detail: None,
        });
    }
}
