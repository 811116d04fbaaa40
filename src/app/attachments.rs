//! The letter's attachments in the composer: the files attached (or, after
//! a restart, files that have gone missing, which are shown and never sent
//! silently), the one selected for `Delete`, and the F5 prompt that adds a
//! file with Tab completion. Opening files and listing folders is I/O: the
//! model asks the runner for it with an `Action` and gets a `Msg` back.

use std::path::PathBuf;

use super::line::LineInput;
use crate::{mail::Attachment, pathcomplete::Completion};

/// One entry of the attachments row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachedFile {
    /// Opened: its size and type are known, and it is read while sending.
    Ready(Attachment),
    /// Named by the saved draft but gone (or unreadable) at this start.
    Missing {
        /// The path it had.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
}

impl AttachedFile {
    /// The path to save in the draft.
    pub fn path(&self) -> &std::path::Path {
        match self {
            AttachedFile::Ready(a) => a.path(),
            AttachedFile::Missing { path, .. } => path,
        }
    }

    /// The name shown in the row.
    pub fn name(&self) -> String {
        match self {
            AttachedFile::Ready(a) => a.name().to_owned(),
            AttachedFile::Missing { path, .. } => path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
        }
    }
}

/// The attachments row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attachments {
    files: Vec<AttachedFile>,
    selected: usize,
}

impl Attachments {
    /// The row holding these files.
    pub fn new(files: Vec<AttachedFile>) -> Attachments {
        Attachments { files, selected: 0 }
    }

    /// Every entry, in letter order.
    pub fn files(&self) -> &[AttachedFile] {
        &self.files
    }

    /// Whether nothing is attached.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The entry `Delete` would remove.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Adds a file at the end and selects it; the same path twice replaces
    /// the older entry (the file may have changed since).
    pub fn add(&mut self, file: Attachment) {
        self.files.retain(|f| f.path() != file.path());
        self.files.push(AttachedFile::Ready(file));
        self.selected = self.files.len() - 1;
    }

    /// Adds a file that could not be opened (at start-up, from the draft).
    pub fn add_missing(&mut self, path: PathBuf, reason: String) {
        self.files.push(AttachedFile::Missing { path, reason });
    }

    /// Removes the selected entry; returns its name.
    pub fn remove_selected(&mut self) -> Option<String> {
        if self.files.is_empty() {
            return None;
        }
        let removed = self.files.remove(self.selected);
        self.selected = self.selected.min(self.files.len().saturating_sub(1));
        Some(removed.name())
    }

    /// Moves the selection (wrapping).
    pub fn select_next(&mut self, forward: bool) {
        let n = self.files.len();
        if n > 0 {
            self.selected = if forward {
                (self.selected + 1) % n
            } else {
                (self.selected + n - 1) % n
            };
        }
    }

    /// The total size of the files that can be sent, in bytes.
    pub fn total(&self) -> u64 {
        self.files
            .iter()
            .map(|f| match f {
                AttachedFile::Ready(a) => a.size(),
                AttachedFile::Missing { .. } => 0,
            })
            .sum()
    }

    /// The files to send, or the first one that cannot be (a missing file
    /// is never dropped silently).
    pub fn ready(&self) -> Result<Vec<Attachment>, &AttachedFile> {
        self.files
            .iter()
            .map(|f| match f {
                AttachedFile::Ready(a) => Ok(a.clone()),
                missing @ AttachedFile::Missing { .. } => Err(missing),
            })
            .collect()
    }

    /// The paths, for the saved draft.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files.iter().map(|f| f.path().to_owned()).collect()
    }

    /// Removes everything (a new letter).
    pub fn clear(&mut self) {
        self.files.clear();
        self.selected = 0;
    }
}

/// The F5 prompt: a path with Tab completion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttachPrompt {
    /// What is typed.
    pub input: LineInput,
    /// What Tab found (folders end in `/`).
    pub candidates: Vec<String>,
    /// The folder had more entries than were read.
    pub truncated: bool,
    /// Why the last Enter attached nothing.
    pub problem: Option<String>,
}

impl AttachPrompt {
    /// Takes a completion: the longer text, and the candidates to show when
    /// there is more than one.
    pub fn complete(&mut self, completion: Completion) {
        self.input = LineInput::new(&completion.text);
        self.candidates = if completion.candidates.len() > 1 {
            completion.candidates
        } else {
            Vec::new()
        };
        self.truncated = completion.truncated;
        self.problem = None;
    }
}
