//! What the composer writes to disk, as actions for the runner: the draft
//! (debounced, on quit, before the editor), the settings (Ctrl+W), the log
//! (Ctrl+L), and what became of each write.

use std::path::PathBuf;

use super::{Action, App, Focus, Overlay, Saved, StoredDraft, Tone};
use crate::mail;

impl App {
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
        self.unsaved.take()?;
        self.save_draft()
    }

    /// The draft to write now, edits or not (before the editor runs).
    pub fn draft_now(&mut self) -> Option<Action> {
        self.unsaved = None;
        self.save_draft()
    }

    pub(super) fn save_draft(&self) -> Option<Action> {
        let path = self.draft_path()?;
        match self.stored_draft().to_toml() {
            Ok(text) => Some(Action::SaveDraft { path, text }),
            // Plain strings always serialise; nothing sensible to do if not.
            Err(_) => None,
        }
    }

    pub(super) fn saved(&mut self, what: Saved, result: Result<PathBuf, String>) {
        match (what, result) {
            (Saved::Draft | Saved::Addresses, Ok(_)) => {}
            (Saved::Addresses, Err(e)) => {
                self.problem(&format!("cannot save the addresses for completion: {e}"));
            }
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

    pub(super) fn save_settings(&mut self) -> Option<Action> {
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
        let mut settings = self.settings.to_settings(from);
        let reply_to = self.compose.reply_to.text().trim();
        settings.reply_to = (!reply_to.is_empty() && mail::Mailbox::parse_list(reply_to).is_ok())
            .then(|| reply_to.to_owned());
        // What is saved becomes the account's, for switching back to it.
        self.context
            .accounts
            .set(&self.context.account, settings.clone());
        Some(Action::SaveSettings {
            path,
            account: self.context.account.clone(),
            settings: Box::new(settings),
        })
    }

    /// Ctrl+L: asks which format (text or JSON Lines).
    pub(super) fn save_log(&mut self) -> Option<Action> {
        if self.context.data_dir.is_none() {
            self.problem("log not saved: no data directory (set HOME or XDG_DATA_HOME)");
            return None;
        }
        self.overlay = Some(Overlay::SaveLog);
        None
    }

    /// The log in `format`, in the data folder's `logs`.
    pub(super) fn save_log_as(
        &mut self,
        format: crate::export::TranscriptFormat,
    ) -> Option<Action> {
        let dir = self.context.data_dir.clone()?;
        Some(Action::SaveLog {
            dir: dir.join("logs"),
            stem: format!("log-{}", self.wall.format("%Y%m%d-%H%M%S")),
            format,
        })
    }
}
