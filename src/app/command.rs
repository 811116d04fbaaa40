//! Ctrl+P: the swaks, curl or smtpwire command line that sends this letter
//! with these settings (see [`crate::equivalent`]); the password never in
//! it. swaks and curl send a file: the letter is saved in the data folder.

use std::path::PathBuf;

use super::{Action, App, Key, KeyCode, Overlay, SettingKey, Tone};
use crate::{equivalent::Tool, mail::Draft, resolve::Resolved};

/// What Ctrl+P shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandView {
    /// Which tool.
    pub tool: Tool,
    /// The command, or why there is none yet.
    pub text: Result<String, String>,
    /// The letter file the command sends (swaks, curl).
    pub letter: Option<PathBuf>,
    /// The file the command is saved in.
    pub script: Option<PathBuf>,
    /// Whether the command reads the password from `SMTPWIRE_PASSWORD`.
    pub needs_password_variable: bool,
}

/// What the runner wrote.
#[derive(Debug)]
pub struct Written {
    /// The command.
    pub text: String,
    /// The letter file it sends (swaks, curl).
    pub letter: Option<PathBuf>,
    /// The file holding the command.
    pub script: PathBuf,
}

/// What the runner needs to write the command.
#[derive(Debug)]
pub struct CommandRequest {
    /// Which tool.
    pub tool: Tool,
    /// The settings as `send` resolves them.
    pub resolved: Resolved,
    /// The validated letter.
    pub draft: Draft,
    /// Its attachments.
    pub attachments: Vec<crate::mail::Attachment>,
    /// Where the letter file goes (swaks, curl).
    pub dir: PathBuf,
}

impl App {
    /// Ctrl+P, or a tool's key in the window: asks the runner for the
    /// command (it may save the letter, which reads the attachments).
    pub(super) fn print_command(&mut self, tool: Tool) -> Option<Action> {
        let input = self
            .compose
            .draft_input(self.settings.text(SettingKey::EnvelopeFrom));
        let draft = match Draft::parse(&input) {
            Ok(draft) => draft,
            Err(errors) => {
                self.overlay = None;
                self.letter_errors(&errors, "not sent");
                return None;
            }
        };
        let Ok(attachments) = self.compose.attachments.ready() else {
            self.set_status(
                Tone::Error,
                "an attachment is missing: remove it or put it back",
            );
            return None;
        };
        if !self.settings_ok() {
            self.overlay = None;
            return None;
        }
        let resolved = self.resolved()?;
        let Some(dir) = self.context.data_dir.as_ref().map(|d| d.join("letters")) else {
            self.problem("no data directory for the letter file (set HOME or XDG_DATA_HOME)");
            return None;
        };
        // A password typed or in the environment becomes
        // `${SMTPWIRE_PASSWORD}` in the command: it must be set there.
        let needs_password_variable = resolved
            .login
            .as_ref()
            .is_some_and(|l| !matches!(l.password, crate::resolve::PasswordSource::Command(_)));
        self.overlay = Some(Overlay::Command(CommandView {
            tool,
            text: Err("writing…".to_owned()),
            letter: None,
            script: None,
            needs_password_variable,
        }));
        Some(Action::PrintCommand(Box::new(CommandRequest {
            tool,
            resolved,
            draft,
            attachments,
            dir,
        })))
    }

    /// The runner wrote the command (and saved the letter), or could not.
    pub(super) fn command_written(&mut self, result: Result<Written, String>) {
        if let Some(Overlay::Command(view)) = &mut self.overlay {
            match result {
                Ok(written) => {
                    view.text = Ok(written.text);
                    view.letter = written.letter;
                    view.script = Some(written.script);
                }
                Err(e) => view.text = Err(e),
            }
        }
    }

    /// Keys in the window: s, c, w choose the tool; Esc closes.
    pub(super) fn command_key(&mut self, key: &Key) -> Option<Action> {
        let tool = match key.code {
            KeyCode::Char('s' | 'S') => Tool::Swaks,
            KeyCode::Char('c' | 'C') => Tool::Curl,
            KeyCode::Char('w' | 'W') => Tool::Smtpwire,
            KeyCode::Esc | KeyCode::Enter => {
                self.overlay = None;
                return None;
            }
            _ => return None,
        };
        self.print_command(tool)
    }
}
