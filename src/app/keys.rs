//! What keys do: the global keys (F1–F3, Ctrl+…), the keys of the focused
//! field, the keys of an open window, and moving the focus.

use std::ops::ControlFlow;

use super::{
    Action, App, AttachPrompt, ComposeField, Focus, JobKind, Key, KeyCode, Overlay, ProtocolLog,
    Quitting, SettingsField, SettingsForm, Tone, Unsaved, line::LineInput,
};
use crate::{
    mail::{self, Draft},
    smtp::capabilities::human_size,
    worker::Job,
};

impl App {
    pub(super) fn key(&mut self, key: Key) -> Option<Action> {
        if key.is_ctrl('q') || key.is_ctrl('c') {
            return self.quit();
        }
        // Raw mode turns Ctrl+Z into a key: suspend as a shell expects.
        if key.is_ctrl('z') {
            return Some(Action::Suspend);
        }
        if let Some(overlay) = self.overlay.clone()
            && let ControlFlow::Break(action) = self.overlay_key(&overlay, key)
        {
            return action;
        }
        if self.completion_key(&key) {
            return None;
        }
        if key.code == KeyCode::F(7) {
            return self.manual_toggle();
        }
        if self.focus == Focus::Manual
            && let ControlFlow::Break(action) = self.manual_key(key)
        {
            return action;
        }
        match key.code {
            KeyCode::F(1) => {
                self.help_scroll = 0;
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
            KeyCode::F(4) => {
                // The body goes to the editor; the draft is saved first.
                return Some(Action::EditBody {
                    text: self.compose.body_text(),
                });
            }
            KeyCode::F(5) => {
                self.overlay = Some(Overlay::Attach(AttachPrompt::default()));
                return None;
            }
            KeyCode::F(6) => return self.open_preview(),
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
                KeyCode::Char('p' | 'P') => {
                    return self.print_command(crate::equivalent::Tool::Swaks);
                }
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
        self.field_key(key)
    }

    pub(super) fn field_key(&mut self, key: Key) -> Option<Action> {
        let scroll_log = |log: &mut ProtocolLog, key: &Key| match key.code {
            KeyCode::PageUp => log.page_up(),
            KeyCode::PageDown => log.page_down(),
            _ => {}
        };
        match self.focus {
            Focus::Log => match key.code {
                KeyCode::Up => self.log.select(true, 1),
                KeyCode::Down => self.log.select(false, 1),
                KeyCode::PageUp => self
                    .log
                    .select(true, self.log.page().saturating_sub(1).max(1)),
                KeyCode::PageDown => {
                    self.log
                        .select(false, self.log.page().saturating_sub(1).max(1));
                }
                KeyCode::Home => self.log.select_first(),
                KeyCode::End => self.log.select_last(),
                KeyCode::Enter => self.inspect(),
                KeyCode::Left => self.log.sideways(false),
                KeyCode::Right => self.log.sideways(true),
                _ => {}
            },
            // Its keys are taken before the global ones.
            Focus::Manual => {}
            Focus::Compose(field) => {
                if field != ComposeField::Body {
                    match key.code {
                        KeyCode::Enter | KeyCode::Down => self.step_focus(true),
                        KeyCode::Up => self.step_focus(false),
                        KeyCode::PageUp | KeyCode::PageDown => scroll_log(&mut self.log, &key),
                        _ => {
                            if self.compose.key(field, &key) {
                                self.edited();
                                return self.complete(field);
                            }
                            // The cursor moved to another entry, or away.
                            if self.completion.is_some() {
                                return self.complete(field);
                            }
                        }
                    }
                    return None;
                }
                if self.compose.key(field, &key) {
                    self.edited();
                }
            }
            Focus::Settings(field) => match key.code {
                KeyCode::Enter | KeyCode::Down => self.step_focus(true),
                KeyCode::Up => self.step_focus(false),
                KeyCode::PageUp | KeyCode::PageDown => scroll_log(&mut self.log, &key),
                KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right
                    if field == SettingsField::Account && !key.ctrl && !key.alt =>
                {
                    self.next_account(key.code != KeyCode::Left);
                }
                _ => {
                    if self.settings.key(field, &key) && field.is_choice() {
                        // A new security mode may have moved the port to
                        // its usual number: check it again.
                        self.settings.check(SettingsField::PORT);
                    }
                }
            },
        }
        None
    }

    pub(super) fn paste(&mut self, text: &str) -> Option<Action> {
        match self.focus {
            Focus::Compose(field) => {
                if self.compose.paste(field, text) {
                    self.edited();
                }
            }
            Focus::Settings(field) => {
                self.settings.paste(field, text);
            }
            Focus::Manual => return self.manual_paste(text),
            Focus::Log => {}
        }
        None
    }

    /// A key while a window is open: `Break` when the window took it,
    /// `Continue` when it goes on to its usual job.
    pub(super) fn overlay_key(
        &mut self,
        overlay: &Overlay,
        key: Key,
    ) -> ControlFlow<Option<Action>> {
        let yes = matches!(key.code, KeyCode::Enter | KeyCode::Char('y' | 'Y')) && !key.ctrl;
        let no = matches!(key.code, KeyCode::Esc | KeyCode::Char('n' | 'N')) && !key.ctrl;
        match overlay {
            Overlay::Help => {
                let max = self.help_max.get();
                match key.code {
                    KeyCode::Esc | KeyCode::F(1) | KeyCode::Enter | KeyCode::Char('q') => {
                        self.overlay = None;
                    }
                    KeyCode::Up => self.help_scroll = self.help_scroll.min(max).saturating_sub(1),
                    KeyCode::Down => self.help_scroll = (self.help_scroll + 1).min(max),
                    KeyCode::PageUp | KeyCode::Home => self.help_scroll = 0,
                    KeyCode::PageDown | KeyCode::End => self.help_scroll = max,
                    _ => {}
                }
                ControlFlow::Break(None)
            }
            Overlay::Lint(_) => {
                if yes || key.is_ctrl('s') {
                    self.overlay = None;
                    ControlFlow::Break(self.send(true))
                } else if no {
                    self.overlay = None;
                    self.stamp = None;
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
            Overlay::Attach(_) => ControlFlow::Break(self.attach_prompt_key(key)),
            Overlay::Preview => self.preview_key(key),
            Overlay::SaveLog => {
                self.overlay = None;
                ControlFlow::Break(match key.code {
                    KeyCode::Char('t' | 'T') | KeyCode::Enter => {
                        self.save_log_as(crate::export::TranscriptFormat::Text)
                    }
                    KeyCode::Char('j' | 'J') => {
                        self.save_log_as(crate::export::TranscriptFormat::Jsonl)
                    }
                    _ => None,
                })
            }
            Overlay::Inspect(_) => ControlFlow::Break(self.inspector_key(&key)),
            Overlay::Command(_) => ControlFlow::Break(self.command_key(&key)),
            Overlay::OpenTransaction => {
                if yes || key.is_ctrl('s') {
                    self.overlay = None;
                    self.manual.rset_agreed = true;
                    let action = self.send(false);
                    // Agreed for this send only: if it did not start (a
                    // problem with the letter), the next Ctrl+S asks again.
                    if !matches!(action, Some(Action::Job(_) | Action::RunPasswordCommand(_)))
                        && self.overlay.is_none()
                    {
                        self.manual.rset_agreed = false;
                    }
                    ControlFlow::Break(action)
                } else {
                    if no {
                        self.overlay = None;
                        self.set_status(
                            Tone::Info,
                            "not sent: the transaction typed by hand stays open",
                        );
                    }
                    ControlFlow::Break(None)
                }
            }
            Overlay::DropData => {
                if yes && !self.busy() {
                    self.overlay = None;
                    return ControlFlow::Break(Some(
                        self.start_job(JobKind::Typed, Job::Typed(crate::worker::Typed::Drop)),
                    ));
                }
                if no {
                    self.overlay = None;
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

    pub(super) fn escape(&mut self) -> Option<Action> {
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

    pub(super) fn quit(&mut self) -> Option<Action> {
        if self.quitting.is_some() {
            // Asked twice: stop waiting.
            return Some(Action::Quit);
        }
        let deadline = Quitting::from(self.now);
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
        if self.copying.is_some() {
            // No deadline: the copy's own steps have theirs, and a second
            // Ctrl+Q leaves at once (the worker then keeps the copy).
            self.quitting = Some(Quitting::WhenDone);
            self.set_status(
                Tone::Info,
                "saving the copy in Sent, then quitting (Ctrl+Q again: now, the copy kept for later)",
            );
            return None;
        }
        if self.session_open() {
            self.quitting = Some(deadline);
            self.set_status(Tone::Info, "sending QUIT, then quitting…");
            return Some(self.start_job(JobKind::Disconnect, Job::Disconnect));
        }
        Some(Action::Quit)
    }

    /// Tab / Shift+Tab: the next field of the same pane.
    pub(super) fn step_focus(&mut self, forward: bool) {
        let target = match self.focus {
            Focus::Compose(f) => Focus::Compose(self.compose.step(f, forward)),
            Focus::Settings(f) => Focus::Settings(f.step(forward)),
            Focus::Log => self.before_log,
            Focus::Manual => Focus::Compose(self.last_compose),
        };
        self.move_focus(target);
    }

    /// Moves the focus, checking the field that is left.
    pub(super) fn move_focus(&mut self, target: Focus) {
        let left = self.focus;
        if left == target {
            return;
        }
        self.completion = None;
        match left {
            Focus::Settings(field) => self.settings.check(field),
            Focus::Compose(field) => {
                self.recheck_compose(field);
                if field == ComposeField::From {
                    self.account_for_from();
                }
            }
            Focus::Log | Focus::Manual => {}
        }
        match target {
            Focus::Compose(f) => self.last_compose = f,
            Focus::Settings(f) => self.last_settings = f,
            Focus::Log | Focus::Manual => {}
        }
        self.focus = target;
    }

    /// Validates the compose field being left: its own problems appear (if
    /// it holds something), and fixed problems of other fields go away.
    pub(super) fn recheck_compose(&mut self, left: ComposeField) {
        let input = self.compose.draft_input("");
        let errors = Draft::parse(&input).err().unwrap_or_default();
        let had: Vec<ComposeField> = self.compose.errors.iter().map(|(f, _)| *f).collect();
        let filled = !self.compose.is_blank(left);
        self.compose
            .set_errors(&errors, |f| had.contains(&f) || (f == left && filled));
    }

    pub(super) fn new_letter(&mut self) {
        self.compose.clear_letter();
        self.place_signature();
        self.sent = false;
        self.unsaved = Some(Unsaved::from(self.now));
        let first = self.compose.first_empty();
        self.move_focus(Focus::Compose(first));
        self.set_status(Tone::Info, "new letter");
    }

    /// A key in the F5 prompt: Tab completes, Enter attaches, Esc closes,
    /// the rest edits the path.
    fn attach_prompt_key(&mut self, key: Key) -> Option<Action> {
        let Some(Overlay::Attach(prompt)) = &mut self.overlay else {
            return None;
        };
        match key.code {
            KeyCode::Esc => {
                self.overlay = None;
                None
            }
            KeyCode::Tab => Some(Action::CompletePath {
                typed: prompt.input.text().to_owned(),
            }),
            KeyCode::Enter if prompt.input.is_blank() => {
                self.overlay = None;
                None
            }
            KeyCode::Enter => Some(Action::Attach {
                typed: prompt.input.text().to_owned(),
            }),
            _ => {
                if prompt.input.edit(&key) == super::line::Edit::Changed {
                    prompt.candidates.clear();
                    prompt.problem = None;
                }
                None
            }
        }
    }

    /// A file opened for the attach prompt: added to the row, or the reason
    /// shown in the prompt (which stays open).
    pub(super) fn attached(&mut self, result: Result<mail::Attachment, String>) {
        match result {
            Ok(file) => {
                let text = format!(
                    "attached {} ({}, {})",
                    file.name(),
                    human_size(file.size()),
                    file.content_type()
                );
                self.compose.attachments.add(file);
                if matches!(self.overlay, Some(Overlay::Attach(_))) {
                    self.overlay = None;
                }
                self.edited();
                self.note(&text);
                self.set_status(Tone::Info, &text);
            }
            Err(reason) => match &mut self.overlay {
                Some(Overlay::Attach(prompt)) => prompt.problem = Some(reason),
                _ => self.problem(&format!("not attached: {reason}")),
            },
        }
    }

    /// The editor's result: the new body, or why the body is unchanged.
    pub(super) fn edited_body(&mut self, result: Result<String, String>) {
        match result {
            Ok(text) if text == self.compose.body_text() => {
                self.set_status(Tone::Info, "the editor left the body unchanged");
            }
            Ok(text) => {
                self.compose.set_body(&text);
                self.edited();
                self.move_focus(Focus::Compose(ComposeField::Body));
                self.set_status(Tone::Info, "the body is back from the editor");
            }
            Err(reason) => self.problem(&format!("{reason}; the body is unchanged")),
        }
    }

    /// Space or ← → on the account selector: the next (or previous)
    /// account's settings, and its From and Reply-To.
    fn next_account(&mut self, forward: bool) {
        let names = self.context.accounts.names();
        if names.len() < 2 {
            self.set_status(
                Tone::Info,
                "one account only: add [accounts.NAME] tables to the config file",
            );
            return;
        }
        let current = names
            .iter()
            .position(|n| *n == self.context.account)
            .unwrap_or(0);
        let next = if forward {
            (current + 1) % names.len()
        } else {
            (current + names.len() - 1) % names.len()
        };
        self.switch_account(&names[next], "chosen in the settings", true);
    }

    /// A From address whose domain is exactly one account's selects that
    /// account (its From is kept as typed).
    fn account_for_from(&mut self) {
        let Ok(from) = mail::Mailbox::parse(self.compose.from.text()) else {
            return;
        };
        let domain = from.address.domain_ascii().to_owned();
        if let Some(name) = self.context.accounts.by_from_domain(&domain)
            && name != self.context.account
        {
            self.switch_account(&name, &format!("the From address is at {domain}"), false);
        }
    }

    /// Uses another account: its settings (under the command line's) fill
    /// the pane; with `identity`, its From and Reply-To fill the letter.
    pub(super) fn switch_account(&mut self, name: &str, why: &str, identity: bool) {
        let Some(account) = self.context.accounts.settings(name) else {
            return;
        };
        let settings = account.overlay(&self.context.command_line);
        // A typed password belongs to the other login; the environment's
        // stays.
        self.settings = SettingsForm::new(&settings, self.context.password.as_ref());
        name.clone_into(&mut self.context.account);
        if identity {
            if let Some(from) = &settings.from {
                self.compose.from = LineInput::new(from);
            }
            self.compose.reply_to =
                LineInput::new(settings.reply_to.as_deref().unwrap_or_default());
        }
        let server = self.settings.server();
        let text = format!("account {name} ({why}): {server}");
        self.note(&text);
        self.set_status(Tone::Info, &text);
    }

    /// The account's signature under `-- `, the cursor above it, when the
    /// body is empty (a new letter).
    pub fn place_signature(&mut self) {
        let Some(signature) = self.context.signatures.get(&self.context.account) else {
            return;
        };
        if self.compose.is_blank(ComposeField::Body) {
            self.compose
                .set_body_above(&format!("\n\n-- \n{signature}"));
        }
    }
}
