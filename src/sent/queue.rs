//! Copies kept for later: a private folder (`$XDG_DATA_HOME/smtpwire/
//! sent-queue/`, mode 0700) with two 0600 files per copy, written through
//! [`files`]: `copy-YYYYMMDD-HHMMSS[-N].eml`, the exact bytes, and beside it
//! the `.toml` that says where the copy was going ([`Kept`]): the settings
//! the send used (without `password_command`: a data file must not make
//! smtpwire run a command), the account, the time, the attempts and the
//! last error. The `.toml` is written last and removed first, so a copy is
//! in the queue exactly while its `.toml` exists.
//!
//! A retry ([`retry_queue`]) takes an exclusive lock on `.lock`, so two
//! smtpwire processes never append the same copy twice; a copy leaves the
//! queue only after the server (or the Maildir) has it.

use std::{
    fs::{File, OpenOptions},
    io,
    os::unix::fs::OpenOptionsExt as _,
    path::{Path, PathBuf},
    time::Duration,
};

use serde::{Deserialize, Serialize};

use super::{SavedCopy, SentError, SentTarget, save_copy};
use crate::{
    config, files,
    settings::{SentTo, Settings},
    smtp::{Credentials, Transcript},
};

/// The version of the `.toml` format.
const VERSION: u32 = 1;

/// Where the kept copies are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queue {
    dir: PathBuf,
}

/// What a kept copy's `.toml` says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kept {
    /// The format's version.
    pub version: u32,
    /// When the copy was kept (RFC 3339, local time).
    pub saved: String,
    /// The account the letter was sent from (`None`: the default settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The letter's Message-ID, to recognise it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Where it was going, in words ([`SentTarget::describe`]).
    pub target: String,
    /// How many times saving it failed.
    pub attempts: u32,
    /// The last failure, in words (already made visible, no secret).
    pub last_error: String,
    /// The settings the copy needs ([`copy_settings`]), so a retry goes
    /// where the send meant it to go.
    pub settings: Settings,
}

impl Kept {
    /// The record of a copy that failed now.
    pub fn new(
        settings: &Settings,
        target: &SentTarget,
        account: Option<&str>,
        message_id: Option<&str>,
        error: &SentError,
    ) -> Kept {
        Kept {
            version: VERSION,
            saved: super::wall_clock().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            account: account.map(str::to_owned),
            message_id: message_id.map(str::to_owned),
            target: target.describe(),
            attempts: 1,
            last_error: error.to_string(),
            settings: copy_settings(settings),
        }
    }
}

/// The settings a copy needs to find its way again later: the login's
/// user, mechanism and trust, the deadline, and the `sent` and `imap_*`
/// settings (relative paths made absolute). Never `password_command`.
pub fn copy_settings(settings: &Settings) -> Settings {
    let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
    Settings {
        server: settings.server.clone(),
        user: settings.user.clone(),
        auth: settings.auth,
        allow_insecure_auth: settings.allow_insecure_auth,
        ca_file: settings.ca_file.as_ref().map(absolute),
        system_roots: settings.system_roots,
        timeout: settings.timeout,
        sent: settings.sent.clone().map(|sent| match sent {
            SentTo::Maildir(path) if !path.starts_with("~") => SentTo::Maildir(absolute(&path)),
            other => other,
        }),
        imap_server: settings.imap_server.clone(),
        imap_port: settings.imap_port,
        imap_security: settings.imap_security,
        sent_folder: settings.sent_folder.clone(),
        ..Settings::default()
    }
}

/// One copy in the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptCopy {
    /// Its name (`copy-20260101-120000`).
    pub id: String,
    /// The letter's bytes.
    pub letter: PathBuf,
    /// Its `.toml`.
    pub meta: PathBuf,
    /// What the `.toml` says.
    pub kept: Kept,
}

/// What went wrong with the queue itself.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// No data folder to keep copies in.
    #[error(transparent)]
    NoDirectory(#[from] config::Error),
    /// A file could not be written or removed.
    #[error(transparent)]
    File(#[from] files::Error),
    /// The folder could not be read.
    #[error("cannot read the queue of kept copies {}: {source}", path.display())]
    List {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The composer has no data folder (no HOME).
    #[error("there is no data folder to keep it in")]
    NoFolder,
    /// A kept copy whose files are damaged; it is left alone.
    #[error("the kept copy {} cannot be read ({reason}); it is left where it is", path.display())]
    Broken {
        /// Its `.toml`.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Holds the queue's lock while it lives.
#[derive(Debug)]
pub struct QueueLock {
    _file: File,
}

impl Queue {
    /// `$XDG_DATA_HOME/smtpwire/sent-queue`.
    pub fn default_location() -> Result<Queue, QueueError> {
        Ok(Queue::at(config::data_dir()?.join("sent-queue")))
    }

    /// A queue in `dir` (tests, and a composer with its own data folder).
    pub fn at(dir: impl Into<PathBuf>) -> Queue {
        Queue { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keeps a copy: the letter first, then its `.toml` (so a copy is
    /// never listed without its letter).
    pub fn keep(&self, letter: &[u8], kept: &Kept) -> Result<KeptCopy, QueueError> {
        let stamp = chrono::DateTime::parse_from_rfc3339(&kept.saved).map_or_else(
            |_| "undated".to_owned(),
            |t| t.format("%Y%m%d-%H%M%S").to_string(),
        );
        let letter_path = files::write_unique(&self.dir, &format!("copy-{stamp}"), "eml", letter)?;
        let id = letter_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let meta = self.dir.join(format!("{id}.toml"));
        if let Err(e) = Queue::write_meta(&meta, kept) {
            // Without its .toml the letter would never be tried; take it back.
            let _ = std::fs::remove_file(&letter_path);
            return Err(e);
        }
        Ok(KeptCopy {
            id,
            letter: letter_path,
            meta,
            kept: kept.clone(),
        })
    }

    fn write_meta(path: &Path, kept: &Kept) -> Result<(), QueueError> {
        let text = toml::to_string(kept).map_err(|e| QueueError::Broken {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        files::write_private(path, text.as_bytes())?;
        Ok(())
    }

    /// Whether no copy waits: the folder's names only, none of the
    /// records read (asked before every send).
    pub fn is_empty(&self) -> bool {
        std::fs::read_dir(&self.dir).map_or(true, |entries| {
            !entries.filter_map(Result::ok).any(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.ends_with(".toml") && !name.starts_with('.')
            })
        })
    }

    /// Every kept copy, oldest first; a damaged one is an `Err` in its
    /// place. A queue folder that does not exist is empty.
    pub fn list(&self) -> Result<Vec<Result<KeptCopy, QueueError>>, QueueError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(QueueError::List {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut ids: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let id = name.strip_suffix(".toml")?;
                (!id.starts_with('.')).then(|| id.to_owned())
            })
            .collect();
        ids.sort();
        Ok(ids.into_iter().map(|id| self.read(id)).collect())
    }

    fn read(&self, id: String) -> Result<KeptCopy, QueueError> {
        let meta = self.dir.join(format!("{id}.toml"));
        let letter = self.dir.join(format!("{id}.eml"));
        let broken = |reason: String| QueueError::Broken {
            path: meta.clone(),
            reason,
        };
        let text = std::fs::read_to_string(&meta).map_err(|e| broken(e.to_string()))?;
        let kept: Kept = toml::from_str(&text).map_err(|e| broken(e.message().to_owned()))?;
        if !letter.is_file() {
            return Err(broken(format!(
                "its letter {} is missing",
                letter.display()
            )));
        }
        Ok(KeptCopy {
            id,
            letter,
            meta,
            kept,
        })
    }

    /// Takes a copy out of the queue (its `.toml` first).
    pub fn remove(&self, copy: &KeptCopy) -> Result<(), QueueError> {
        for path in [&copy.meta, &copy.letter] {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(files::Error::Write {
                        path: path.clone(),
                        source,
                    }
                    .into());
                }
            }
        }
        Ok(())
    }

    /// The queue's lock, or `None` when another smtpwire holds it.
    pub fn lock(&self) -> Result<Option<QueueLock>, QueueError> {
        let path = self.dir.join(".lock");
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc_nofollow())
            .open(&path)
            .map_err(|source| files::Error::Open {
                path: path.clone(),
                source,
            })?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Some(QueueLock { _file: file })),
            Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
            Err(errno) => Err(files::Error::Open {
                path,
                source: errno.into(),
            }
            .into()),
        }
    }
}

/// `O_NOFOLLOW`: the lock file is never opened through a link.
fn libc_nofollow() -> i32 {
    rustix::fs::OFlags::NOFOLLOW.bits().cast_signed()
}

/// What became of one copy: saved, or kept for the copy's own reason.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per letter sent, returned once; the kept record is the point"
)]
pub enum CopyOutcome {
    /// It is where it belongs.
    Saved(SavedCopy),
    /// It failed and is kept for a retry.
    Kept {
        /// Why it failed.
        error: SentError,
        /// Where it is kept.
        copy: KeptCopy,
    },
    /// It failed and could not even be kept.
    Lost {
        /// Why it failed.
        error: SentError,
        /// Why it could not be kept.
        keep_error: QueueError,
    },
}

/// Who the copy is for, besides its target: recorded if it must be kept.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    /// The settings the send used.
    pub settings: &'a Settings,
    /// The account (`None`: the default settings).
    pub account: Option<&'a str>,
    /// The letter's Message-ID.
    pub message_id: Option<&'a str>,
}

/// Saves the copy, or keeps it in `queue` when that fails: what the
/// front-ends call after a letter was accepted. Without a queue (`Err`:
/// why there is none) a failed copy is lost, and the outcome says why.
pub async fn save_or_keep(
    target: &SentTarget,
    credentials: Option<&Credentials>,
    letter: &[u8],
    origin: Origin<'_>,
    queue: Result<Queue, QueueError>,
    transcript: &mut Transcript,
) -> CopyOutcome {
    match save_copy(target, credentials, letter, transcript).await {
        Ok(saved) => CopyOutcome::Saved(saved),
        Err(error) => keep_unsaved(target, letter, origin, queue, error),
    }
}

/// Keeps a copy that was not saved (`error` says why) in `queue`.
pub fn keep_unsaved(
    target: &SentTarget,
    letter: &[u8],
    origin: Origin<'_>,
    queue: Result<Queue, QueueError>,
    error: SentError,
) -> CopyOutcome {
    let queue = match queue {
        Ok(queue) => queue,
        Err(keep_error) => return CopyOutcome::Lost { error, keep_error },
    };
    let kept = Kept::new(
        origin.settings,
        target,
        origin.account,
        origin.message_id,
        &error,
    );
    match queue.keep(letter, &kept) {
        Ok(copy) => CopyOutcome::Kept { error, copy },
        Err(keep_error) => CopyOutcome::Lost { error, keep_error },
    }
}

/// What a retry did with one copy.
#[derive(Debug)]
pub enum RetryOutcome {
    /// Saved, and out of the queue.
    Saved(SavedCopy),
    /// Still kept, for this reason.
    Waiting(String),
    /// Not tried (another account's, for a retry at start-up).
    Skipped,
}

/// What a retry did.
#[derive(Debug, Default)]
pub struct RetryReport {
    /// Each copy tried, with its outcome.
    pub copies: Vec<(KeptCopy, RetryOutcome)>,
    /// Kept copies that cannot be read.
    pub broken: Vec<QueueError>,
    /// Another smtpwire was retrying: nothing was tried.
    pub busy: bool,
}

impl RetryReport {
    /// How many copies went.
    pub fn saved(&self) -> usize {
        self.count(|o| matches!(o, RetryOutcome::Saved(_)))
    }

    /// How many are still waiting (damaged ones included).
    pub fn waiting(&self) -> usize {
        self.count(|o| !matches!(o, RetryOutcome::Saved(_))) + self.broken.len()
    }

    /// How many were not tried.
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, RetryOutcome::Skipped))
    }

    fn count(&self, f: impl Fn(&RetryOutcome) -> bool) -> usize {
        self.copies.iter().filter(|(_, o)| f(o)).count()
    }
}

/// What a retry asks of its caller for each copy.
pub trait RetryLogin {
    /// Whether to try this copy now (a retry at start-up tries only the
    /// copies of the account it is sending from).
    fn wants(&mut self, copy: &KeptCopy, target: &SentTarget) -> bool;
    /// The login's credentials for the copy's target (`Ok(None)`: no
    /// login needed); `Err` says why there are none.
    fn credentials(
        &mut self,
        copy: &KeptCopy,
        target: &SentTarget,
    ) -> Result<Option<Credentials>, String>;
}

/// Tries every kept copy once: each with its own settings, `overrides` on
/// top (the command line of `smtpwire sent --retry`), each step within
/// `deadline` when given. A saved copy leaves the queue; a failed one is
/// kept with one more attempt and its new error.
pub async fn retry_queue(
    queue: &Queue,
    overrides: &Settings,
    deadline: Option<Duration>,
    login: &mut (dyn RetryLogin + Send),
    transcript: &mut Transcript,
) -> Result<RetryReport, QueueError> {
    let mut report = RetryReport::default();
    let listed = queue.list()?;
    if listed.is_empty() {
        return Ok(report);
    }
    let Some(_lock) = queue.lock()? else {
        report.busy = true;
        return Ok(report);
    };
    // Listed again under the lock: another process may have emptied it.
    for entry in queue.list()? {
        let copy = match entry {
            Ok(copy) => copy,
            Err(e) => {
                report.broken.push(e);
                continue;
            }
        };
        let outcome = retry_one(queue, &copy, overrides, deadline, login, transcript).await;
        report.copies.push((copy, outcome));
    }
    Ok(report)
}

async fn retry_one(
    queue: &Queue,
    copy: &KeptCopy,
    overrides: &Settings,
    deadline: Option<Duration>,
    login: &mut (dyn RetryLogin + Send),
    transcript: &mut Transcript,
) -> RetryOutcome {
    let settings = copy.kept.settings.overlay(overrides);
    let target = match SentTarget::resolve(&settings) {
        Ok(Some(target)) => target,
        Ok(None) => return RetryOutcome::Waiting("its settings name no place for it".to_owned()),
        Err(e) => return RetryOutcome::Waiting(e.to_string()),
    };
    let target = match deadline {
        Some(limit) => target.with_deadline(limit),
        None => target,
    };
    if !login.wants(copy, &target) {
        return RetryOutcome::Skipped;
    }
    let credentials = match login.credentials(copy, &target) {
        Ok(credentials) => credentials,
        Err(reason) => return RetryOutcome::Waiting(reason),
    };
    let letter = match std::fs::read(&copy.letter) {
        Ok(letter) => letter,
        Err(e) => {
            return RetryOutcome::Waiting(format!("cannot read {}: {e}", copy.letter.display()));
        }
    };
    match save_copy(&target, credentials.as_ref(), &letter, transcript).await {
        Ok(saved) => match queue.remove(copy) {
            Ok(()) => RetryOutcome::Saved(saved),
            // Saved, but still listed: the next retry would save it twice.
            Err(e) => RetryOutcome::Waiting(format!(
                "saved, but it could not be taken out of the queue ({e}); remove {} by hand",
                copy.meta.display()
            )),
        },
        Err(error) => {
            let mut kept = copy.kept.clone();
            kept.attempts = kept.attempts.saturating_add(1);
            kept.last_error = error.to_string();
            kept.target = target.describe();
            // The old record stays if this fails; the copy waits either way.
            let _ = Queue::write_meta(&copy.meta, &kept);
            RetryOutcome::Waiting(error.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn settings(dir: &Path) -> Settings {
        Settings {
            server: Some("mail.example.org".into()),
            user: Some("alice@example.org".into()),
            password_command: Some("pass show mail".into()),
            sent: Some(SentTo::Maildir(dir.join("Maildir"))),
            ..Settings::default()
        }
    }

    struct Everyone;

    impl RetryLogin for Everyone {
        fn wants(&mut self, _: &KeptCopy, _: &SentTarget) -> bool {
            true
        }

        fn credentials(
            &mut self,
            _: &KeptCopy,
            _: &SentTarget,
        ) -> Result<Option<Credentials>, String> {
            Ok(None)
        }
    }

    #[tokio::test]
    async fn a_kept_copy_is_private_listed_and_retried_into_its_maildir() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::at(dir.path().join("data/sent-queue"));
        assert!(queue.list().unwrap().is_empty() && queue.is_empty());
        let settings = settings(dir.path());
        let target = SentTarget::resolve(&settings).unwrap().unwrap();
        let letter = b"Subject: kept\r\n\r\n.body\r\n";
        let error = SentError::Unreachable {
            server: "imap.example.org:993".into(),
            reason: "connection refused".into(),
        };
        let kept = Kept::new(&settings, &target, Some("work"), Some("<id@x>"), &error);
        assert_eq!(kept.settings.password_command, None, "never kept");
        let copy = queue.keep(letter, &kept).unwrap();
        assert!(!queue.is_empty());
        for (path, mode) in [
            (queue.dir(), 0o700),
            (copy.letter.as_path(), 0o600),
            (copy.meta.as_path(), 0o600),
        ] {
            let got = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(got, mode, "{path:?}");
        }
        let listed = queue.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].as_ref().unwrap(), &copy);
        assert!(
            !std::fs::read_to_string(&copy.meta)
                .unwrap()
                .contains("pass show"),
        );

        let report = retry_queue(
            &queue,
            &Settings::default(),
            None,
            &mut Everyone,
            &mut Transcript::discard(),
        )
        .await
        .unwrap();
        assert_eq!((report.saved(), report.waiting()), (1, 0), "{report:?}");
        assert!(queue.list().unwrap().is_empty());
        let cur = dir.path().join("Maildir/cur");
        let files: Vec<_> = std::fs::read_dir(cur).unwrap().collect();
        assert_eq!(files.len(), 1);
        assert_eq!(
            std::fs::read(files[0].as_ref().unwrap().path()).unwrap(),
            letter
        );
    }

    #[tokio::test]
    async fn a_failed_retry_keeps_the_copy_counts_the_attempt_and_a_held_lock_waits() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::at(dir.path().join("q"));
        let blocker = dir.path().join("not-a-folder");
        std::fs::write(&blocker, "x").unwrap();
        let mut settings = settings(dir.path());
        settings.sent = Some(SentTo::Maildir(blocker.join("Sent")));
        let target = SentTarget::resolve(&settings).unwrap().unwrap();
        let error = SentError::InsecureAuth;
        queue
            .keep(b"x", &Kept::new(&settings, &target, None, None, &error))
            .unwrap();
        let lock = queue.lock().unwrap().unwrap();
        let busy = retry_queue(
            &queue,
            &Settings::default(),
            None,
            &mut Everyone,
            &mut Transcript::discard(),
        )
        .await
        .unwrap();
        assert!(busy.busy && busy.copies.is_empty());
        drop(lock);
        let report = retry_queue(
            &queue,
            &Settings::default(),
            None,
            &mut Everyone,
            &mut Transcript::discard(),
        )
        .await
        .unwrap();
        assert_eq!((report.saved(), report.waiting()), (0, 1), "{report:?}");
        let listed = queue.list().unwrap();
        let kept = &listed[0].as_ref().unwrap().kept;
        assert_eq!(kept.attempts, 2);
        assert!(kept.last_error.contains("Maildir"), "{}", kept.last_error);

        // Overrides go on top of the kept settings: a fixed path delivers it.
        let fixed = Settings {
            sent: Some(SentTo::Maildir(dir.path().join("fixed"))),
            ..Settings::default()
        };
        let report = retry_queue(
            &queue,
            &fixed,
            None,
            &mut Everyone,
            &mut Transcript::discard(),
        )
        .await
        .unwrap();
        assert_eq!(report.saved(), 1, "{report:?}");
    }

    #[test]
    fn a_damaged_record_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::at(dir.path());
        std::fs::write(dir.path().join("copy-1.toml"), "version = \"x\"").unwrap();
        std::fs::write(dir.path().join("copy-2.toml"), "").unwrap();
        let listed = queue.list().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().all(Result::is_err));
        assert!(dir.path().join("copy-1.toml").exists());
    }
}
