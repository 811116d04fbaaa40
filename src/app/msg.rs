//! What goes into the model and what comes out: a key press independent of
//! the terminal library, the messages [`super::App::update`] takes, and the
//! actions it returns for the runner to perform.

use std::{path::PathBuf, time::Instant};

use chrono::NaiveDateTime;

use super::{CommandRequest, Written};
use crate::{
    mail,
    password::Password,
    settings::Settings,
    submit::preview::{Preview, Request},
    worker::{Job, WorkerEvent},
};

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
    pub(super) fn is_ctrl(&self, c: char) -> bool {
        self.ctrl
            && !self.alt
            && matches!(self.code, KeyCode::Char(k) if k.eq_ignore_ascii_case(&c))
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
    /// The addresses sent to.
    Addresses,
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
    /// Tab in the attach prompt: what the folder holds.
    Completed(crate::pathcomplete::Completion),
    /// Enter in the attach prompt: the file, opened, or why not.
    Attached(Result<mail::Attachment, String>),
    /// The preview (F6) is built, or why not.
    Previewed {
        /// Which request it answers ([`Action::Preview`]'s).
        id: u64,
        /// The preview, or why there is none.
        result: Result<Box<Preview>, String>,
    },
    /// The editor (F4) closed: the body it left, or why there is none.
    Edited(Result<String, String>),
    /// The equivalent command and the letter file it sends, or why not.
    CommandWritten(Result<Written, String>),
    /// The address book command answered `query`.
    AddressesFound {
        /// The query it was asked.
        query: String,
        /// The addresses it printed, or why there are none.
        result: Result<Vec<mail::Mailbox>, String>,
    },
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
    /// Complete the attach prompt's path; answer with [`Msg::Completed`].
    CompletePath {
        /// What is typed.
        typed: String,
    },
    /// Open the file the attach prompt names; answer with [`Msg::Attached`].
    Attach {
        /// What is typed (`~` is expanded).
        typed: String,
    },
    /// Build the preview off the UI thread (it reads the attached files),
    /// with a new [`mail::Stamp`]; answer with [`Msg::Previewed`].
    Preview {
        /// Given back with the answer, so a late one is told apart.
        id: u64,
        /// The letter and the server.
        request: Box<Request>,
    },
    /// Save the draft, suspend the screen, run `$VISUAL`/`$EDITOR`/`vi` on
    /// the body in a temporary file, restore the screen; answer with
    /// [`Msg::Edited`].
    EditBody {
        /// The body as it is now.
        text: String,
    },
    /// Write one account's settings into the config file, keeping the
    /// rest of the file; answer with [`Msg::Saved`].
    SaveSettings {
        /// Where.
        path: PathBuf,
        /// Which account (`default`: the flat settings).
        account: String,
        /// What (never a password: the type has no place for one); boxed,
        /// as it is the largest action by far.
        settings: Box<Settings>,
    },
    /// Write the draft (TOML); answer with [`Msg::Saved`] on failure.
    SaveDraft {
        /// Where.
        path: PathBuf,
        /// The file's text.
        text: String,
    },
    /// Write every log line to a new file in `dir` named after `stem`
    /// (numbered if taken); answer with [`Msg::Saved`].
    SaveLog {
        /// The folder.
        dir: PathBuf,
        /// The name without extension, e.g. `log-20261130-154927`.
        stem: String,
        /// Text as on screen, or JSON Lines.
        format: crate::export::TranscriptFormat,
    },
    /// Run the address book command for `query` off the UI thread; answer
    /// with [`Msg::AddressesFound`].
    QueryAddresses {
        /// The command (`%s` is the query).
        command: String,
        /// The entry being typed.
        query: String,
    },
    /// Write the history of addresses sent to (0600); answer with
    /// [`Msg::Saved`] on failure.
    SaveAddresses {
        /// Where.
        path: PathBuf,
        /// What.
        history: crate::addresses::History,
    },
    /// Write the equivalent command (saving the letter for swaks and
    /// curl); answer with [`Msg::CommandWritten`].
    PrintCommand(Box<CommandRequest>),
    /// Stop the program until the shell continues it (Ctrl+Z; `fg`),
    /// with the terminal handed back meanwhile.
    Suspend,
    /// Leave the program (the runner saves the draft on the way out).
    Quit,
}
