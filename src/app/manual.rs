//! Manual mode (F7): a one-line prompt under the protocol log that types
//! raw SMTP into the open session. Each line goes to the worker as a
//! [`Job::Typed`]; the exchange appears in the log like every other line,
//! and the worker reports where the session stands after it
//! ([`ManualState`]), which decides what the prompt asks for next:
//!
//! - a command (↑ ↓ walk the history of this run; never saved);
//! - after a 354, a line of message data (dot-stuffed by the engine; a
//!   lone `.` ends the data; Esc offers to drop the connection, SMTP's only
//!   way to abandon DATA);
//! - after a 334 to a typed AUTH, the answer, masked;
//! - for `AUTH PLAIN` / `AUTH LOGIN` alone, the user and then the password,
//!   masked (the password typed in the settings offered), sent by the
//!   engine's redacting exchange.
//!
//! Pasted lines are sent one at a time, each after the reply to the one
//! before. Lines that carry a credential never enter the history.

use std::{collections::VecDeque, fmt, ops::ControlFlow};

use super::{
    Action, App, Focus, JobKind, Key, KeyCode, Overlay, SettingKey, Tone,
    line::{LineInput, SecretInput},
};
use crate::{
    smtp::{
        Mechanism, Reply, Severity, Transaction,
        raw::{self, ManualState},
    },
    worker::{Job, Typed},
};

/// The most history entries kept.
const HISTORY: usize = 500;

/// What the AUTH helper asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ask {
    /// The user name (the settings' User offered).
    User {
        /// PLAIN or LOGIN.
        mechanism: Mechanism,
    },
    /// The password, masked.
    Password {
        /// PLAIN or LOGIN.
        mechanism: Mechanism,
        /// The user name given.
        user: String,
        /// Whether the field holds the settings' password.
        offered: bool,
    },
}

/// What the prompt takes now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A command line.
    Command,
    /// A line of message data (after the 354).
    Data,
    /// The answer to a 334 the server sent a typed AUTH (masked).
    Answer,
    /// The AUTH helper's user name.
    User,
    /// The AUTH helper's password (masked).
    Password,
}

/// The prompt and what it remembers.
#[derive(Default)]
pub struct Manual {
    /// Whether the prompt is shown (F7 opened it; the session is open).
    pub open: bool,
    /// The line being typed: a command, a line of data, the user name.
    pub input: LineInput,
    /// The password or the answer to a 334: masked, wiped when cleared.
    pub secret: SecretInput,
    /// The AUTH helper's question, while it asks.
    pub ask: Option<Ask>,
    /// Where the session stands, as the worker last reported.
    pub state: ManualState,
    /// Commands typed in this run, oldest first.
    history: Vec<String>,
    /// While walking the history: the entry shown, and what was typed
    /// before the walk began.
    walk: Option<(usize, String)>,
    /// The command line put aside while the AUTH helper asks.
    aside: Option<String>,
    /// Pasted (or typed-ahead) lines waiting for the reply to the one before.
    queue: VecDeque<String>,
    /// Where the focus was before F7.
    return_to: Option<Focus>,
    /// Ctrl+S was told to RSET the transaction typed by hand first.
    pub(super) rset_agreed: bool,
}

/// By hand: the lines may hold a credential; only counts are shown.
impl fmt::Debug for Manual {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Manual")
            .field("open", &self.open)
            .field("mode", &self.mode())
            .field("state", &self.state)
            .field("history", &self.history.len())
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl Manual {
    /// What the prompt takes now.
    pub fn mode(&self) -> Mode {
        match &self.ask {
            Some(Ask::User { .. }) => Mode::User,
            Some(Ask::Password { .. }) => Mode::Password,
            None if self.state.in_data() => Mode::Data,
            None if self.state.challenge => Mode::Answer,
            None => Mode::Command,
        }
    }

    /// The commands typed in this run, oldest first.
    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// Lines waiting to be sent.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// The session's state in words, for the prompt's title.
    pub fn describe(&self) -> String {
        let transaction = match self.state.transaction {
            Transaction::Idle => "no transaction".to_owned(),
            Transaction::Open { recipients } => {
                format!("transaction open: MAIL + {recipients} RCPT")
            }
            Transaction::Data { recipients } => {
                format!("DATA for {recipients} RCPT: a lone . ends it")
            }
        };
        let mut parts = vec![transaction];
        if self.state.authenticated {
            parts.push("authenticated".to_owned());
        }
        if self.state.challenge {
            parts.push("the server waits for an AUTH answer".to_owned());
        }
        if !self.queue.is_empty() {
            parts.push(format!("{} lines waiting", self.queue.len()));
        }
        parts.join(" · ")
    }

    fn remember(&mut self, line: &str) {
        if line.trim().is_empty() || raw::holds_credential(line) {
            return;
        }
        if self.history.last().is_some_and(|last| last == line) {
            return;
        }
        if self.history.len() == HISTORY {
            self.history.remove(0);
        }
        self.history.push(line.to_owned());
    }

    /// ↑ (older) or ↓ (newer, then back to what was typed).
    fn walk(&mut self, older: bool) {
        let len = self.history.len();
        let next = match (&self.walk, older) {
            (None, true) if len > 0 => Some(len - 1),
            (None, _) => return,
            (Some((i, _)), true) => Some(i.saturating_sub(1)),
            (Some((i, _)), false) => (i + 1 < len).then_some(i + 1),
        };
        match next {
            Some(i) => {
                let typed = match self.walk.take() {
                    Some((_, typed)) => typed,
                    None => self.input.text().to_owned(),
                };
                self.input = LineInput::new(&self.history[i]);
                self.walk = Some((i, typed));
            }
            None => {
                if let Some((_, typed)) = self.walk.take() {
                    self.input = LineInput::new(&typed);
                }
            }
        }
    }

    /// Forgets everything tied to the session (it closed).
    fn session_closed(&mut self) {
        self.state = ManualState::default();
        self.ask = None;
        self.secret.clear();
        self.queue.clear();
        self.aside = None;
        self.rset_agreed = false;
    }
}

impl App {
    /// F7: opens the prompt (with an open session), or leaves it.
    pub(super) fn manual_toggle(&mut self) -> Option<Action> {
        if self.focus == Focus::Manual {
            self.manual_leave();
            return None;
        }
        if !self.session_open() {
            self.set_status(
                Tone::Info,
                "manual mode types into an open session: Ctrl+O connects first",
            );
            return None;
        }
        self.manual.open = true;
        self.manual.return_to = Some(self.focus);
        self.move_focus(Focus::Manual);
        self.set_status(
            Tone::Info,
            "manual mode: type SMTP, Enter sends it; ↑ ↓ history; Esc leaves (the session stays open)",
        );
        None
    }

    /// Closes the prompt; the session stays open.
    fn manual_leave(&mut self) {
        if self.manual.ask.take().is_some() {
            self.manual_restore_aside();
        }
        self.manual.secret.clear();
        self.manual.open = false;
        let back = self
            .manual
            .return_to
            .take()
            .filter(|f| *f != Focus::Manual && *f != Focus::Log)
            .unwrap_or(Focus::Compose(self.last_compose));
        if self.focus == Focus::Manual {
            self.move_focus(back);
        }
    }

    /// A key while the prompt has the focus: `Break` when it took it,
    /// `Continue` for the composer's global keys.
    pub(super) fn manual_key(&mut self, key: Key) -> ControlFlow<Option<Action>> {
        let mode = self.manual.mode();
        match key.code {
            // Global keys: help, panes, the editor, attachments, Ctrl+….
            KeyCode::F(_) => return ControlFlow::Continue(()),
            KeyCode::Char(c)
                if key.ctrl
                    && !key.alt
                    && matches!(c.to_ascii_lowercase(), 'd' | 'l' | 'n' | 'o' | 's' | 'w') =>
            {
                return ControlFlow::Continue(());
            }
            // A running job is cancelled as everywhere.
            KeyCode::Esc if self.job.is_some() => return ControlFlow::Continue(()),
            KeyCode::Esc => {
                if self.manual.ask.take().is_some() {
                    self.manual.secret.clear();
                    self.manual_restore_aside();
                    self.set_status(Tone::Info, "AUTH not sent");
                } else if mode == Mode::Data {
                    self.overlay = Some(Overlay::DropData);
                } else {
                    self.manual_leave();
                }
            }
            KeyCode::Enter => return ControlFlow::Break(self.manual_enter()),
            KeyCode::Up | KeyCode::Down if mode == Mode::Command => {
                self.manual.walk(key.code == KeyCode::Up);
            }
            KeyCode::PageUp => self.log.page_up(),
            KeyCode::PageDown => self.log.page_down(),
            KeyCode::Up | KeyCode::Down | KeyCode::Tab | KeyCode::BackTab => {}
            _ => {
                if matches!(mode, Mode::Password | Mode::Answer) {
                    self.manual.secret.edit(&key);
                } else {
                    self.manual.input.edit(&key);
                    if mode == Mode::Command {
                        // An edited entry is a new line, not the history's.
                        self.manual.walk = None;
                    }
                }
            }
        }
        ControlFlow::Break(None)
    }

    /// Enter: the field's text goes out (or waits its turn).
    fn manual_enter(&mut self) -> Option<Action> {
        if matches!(self.manual.mode(), Mode::Password | Mode::Answer) {
            return self.manual_secret();
        }
        if self
            .job
            .as_ref()
            .is_some_and(|job| job.kind != JobKind::Typed)
        {
            // Kept in the field for when the job is done.
            self.set_status(
                Tone::Warning,
                "busy: wait for the running job, or press Esc to cancel it",
            );
            return None;
        }
        let line = self.manual.input.text().to_owned();
        if self.manual.mode() == Mode::Command && line.trim().is_empty() {
            return None;
        }
        self.manual.input.clear();
        self.manual.walk = None;
        self.manual_submit(line)
    }

    /// A line for the session: sent now, or queued behind the typed line
    /// still waiting for its reply.
    fn manual_submit(&mut self, line: String) -> Option<Action> {
        if let Some(job) = &self.job {
            if job.kind == JobKind::Typed {
                self.manual.queue.push_back(line);
                return None;
            }
            self.set_status(
                Tone::Warning,
                "busy: wait for the running job, or press Esc to cancel it",
            );
            return None;
        }
        if !self.session_open() {
            self.set_status(Tone::Info, "no open session: Ctrl+O connects first");
            return None;
        }
        match self.manual.mode() {
            Mode::User => {
                let Some(Ask::User { mechanism }) = self.manual.ask.take() else {
                    return None;
                };
                self.manual_ask_password(mechanism, line);
                None
            }
            Mode::Command => {
                self.manual.remember(&line);
                if let Some(mechanism) = raw::auth_helper(&line) {
                    self.manual_ask_user(mechanism);
                    return None;
                }
                Some(self.start_job(JobKind::Typed, Job::Typed(Typed::Line(line))))
            }
            Mode::Data => Some(self.start_job(JobKind::Typed, Job::Typed(Typed::Line(line)))),
            Mode::Answer | Mode::Password => {
                // A queued line never answers a credential prompt: it was
                // typed, or pasted, for something else.
                self.manual.queue.clear();
                self.set_status(
                    Tone::Warning,
                    "the pasted lines stop here: the server waits for a credential",
                );
                None
            }
        }
    }

    /// `AUTH PLAIN` / `AUTH LOGIN` alone: ask for the user first.
    fn manual_ask_user(&mut self, mechanism: Mechanism) {
        self.manual.aside = Some(self.manual.input.text().to_owned());
        self.manual.input = LineInput::new(self.settings.text(SettingKey::User));
        self.manual.ask = Some(Ask::User { mechanism });
        self.set_status(
            Tone::Info,
            &format!("AUTH {mechanism}: the user name, then the password"),
        );
    }

    fn manual_ask_password(&mut self, mechanism: Mechanism, user: String) {
        // The settings' password (typed there, or from SMTPWIRE_PASSWORD
        // or the password command) is offered; Ctrl+U clears it.
        let offered = if self.settings.password.is_empty() {
            self.settings
                .command_password
                .as_ref()
                .map_or("", crate::password::Password::expose)
        } else {
            self.settings.password.expose()
        };
        self.manual.secret = SecretInput::new(offered);
        let offered = !offered.is_empty();
        self.manual.ask = Some(Ask::Password {
            mechanism,
            user,
            offered,
        });
        self.manual_restore_aside();
    }

    fn manual_restore_aside(&mut self) {
        let aside = self.manual.aside.take().unwrap_or_default();
        self.manual.input = LineInput::new(&aside);
    }

    /// Enter in a masked field: the AUTH helper's password, or the answer
    /// to a 334. The field is wiped once the job holds its copy.
    fn manual_secret(&mut self) -> Option<Action> {
        if self.job.is_some() {
            self.set_status(Tone::Warning, "wait for the reply to the line before");
            return None;
        }
        let typed = match self.manual.ask.take() {
            Some(Ask::Password {
                mechanism, user, ..
            }) => Typed::Auth {
                mechanism,
                credentials: crate::smtp::Credentials::new(user, self.manual.secret.expose()),
            },
            Some(ask @ Ask::User { .. }) => {
                self.manual.ask = Some(ask);
                return None;
            }
            None => Typed::Answer(zeroize::Zeroizing::new(
                self.manual.secret.expose().to_owned(),
            )),
        };
        self.manual.secret.clear();
        Some(self.start_job(JobKind::Typed, Job::Typed(typed)))
    }

    /// Pasted text with the prompt focused: into the masked field (one
    /// line), or line by line: each whole line is sent in turn, a last
    /// unfinished one stays in the field.
    pub(super) fn manual_paste(&mut self, text: &str) -> Option<Action> {
        if matches!(self.manual.mode(), Mode::Password | Mode::Answer) {
            let first = text.lines().next().unwrap_or_default();
            self.manual.secret.insert_str(first);
            return None;
        }
        let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut lines: Vec<&str> = normalised.split('\n').collect();
        let rest = lines.pop().unwrap_or_default();
        if lines.is_empty() {
            self.manual.input.insert_str(rest);
            return None;
        }
        let first = format!("{}{}", self.manual.input.text(), lines[0]);
        self.manual.input = LineInput::new(rest);
        self.manual.walk = None;
        let mut whole: VecDeque<String> = std::iter::once(first)
            .chain(lines[1..].iter().map(|l| (*l).to_owned()))
            .collect();
        if self.job.is_some() {
            self.manual.queue.append(&mut whole);
            return None;
        }
        let first = whole.pop_front().unwrap_or_default();
        self.manual.queue.append(&mut whole);
        self.manual_submit(first)
    }

    /// Where the session stands now (from the worker).
    pub(super) fn manual_state(&mut self, state: ManualState) {
        let was = self.manual.state;
        self.manual.state = state;
        if state.transaction != was.transaction {
            self.manual.rset_agreed = false;
        }
    }

    /// The session closed: the prompt goes with it.
    pub(super) fn manual_session_closed(&mut self) {
        let dropped = self.manual.queue.len();
        self.manual.session_closed();
        if dropped > 0 {
            self.note(&format!(
                "{dropped} typed lines not sent: the session closed"
            ));
        }
        if self.manual.open {
            self.manual_leave();
        }
    }

    /// The reply to a typed line; the next queued line goes out.
    pub(super) fn manual_reply(&mut self, reply: Option<&Reply>) -> Option<Action> {
        if let Some(reply) = reply {
            let tone = match reply.severity() {
                Severity::PositiveCompletion | Severity::PositiveIntermediate => Tone::Success,
                Severity::TransientNegative => Tone::Warning,
                Severity::PermanentNegative => Tone::Error,
            };
            // The first line: the whole reply is in the log just above.
            let first = reply.lines().first().map_or("", String::as_str);
            let more = if reply.lines().len() > 1 { " …" } else { "" };
            self.set_status(tone, &format!("{} {first}{more}", reply.code()));
        }
        let next = self.manual.queue.pop_front()?;
        self.manual_submit(next)
    }

    /// A typed line failed: the lines behind it are not sent.
    pub(super) fn manual_failed(&mut self) {
        let dropped = self.manual.queue.len();
        self.manual.queue.clear();
        if dropped > 0 {
            self.note(&format!(
                "{dropped} typed lines not sent: the line before failed"
            ));
        }
    }

    /// Ctrl+S with something typed by hand in the way: message data open
    /// (refused), or a transaction open (asks to RSET first). True when
    /// the send stops here.
    pub(super) fn typed_in_the_way(&mut self) -> bool {
        if !self.session_open() {
            return false;
        }
        if self.manual.state.in_data() {
            self.set_status(
                Tone::Error,
                "not sent: the message data typed by hand is not finished; end it with a lone \".\" \
                 (F7), or drop the connection (Esc there)",
            );
            return true;
        }
        if self.manual.state.in_transaction() && !self.manual.rset_agreed {
            self.overlay = Some(Overlay::OpenTransaction);
            return true;
        }
        false
    }
}
