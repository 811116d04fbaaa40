//! The copy in Sent, on the worker's side: the plan a send carries, the
//! reports the UI gets, saving the copy after a delivered letter, keeping
//! it when the UI ends first, and retrying the copies kept earlier. Each
//! runs to its end unless the job channel closes ([`unless_closed`]).

use std::{collections::VecDeque, path::PathBuf};

use tokio::sync::mpsc;

use super::{Events, Job, Outcome, WorkerEvent, emit, transcript_on};
use crate::{
    sent::{self, CopyOutcome, Origin, Queue, QueueError, SameAccount, SentTarget},
    settings::Settings,
    smtp::Credentials,
};

/// The copy of a sent letter: where it goes and, should that fail, what
/// its kept record says.
#[derive(Clone, Debug)]
pub struct CopyPlan {
    /// The Sent folder or Maildir.
    pub target: SentTarget,
    /// The settings the send used (the kept record takes what it needs).
    pub settings: Settings,
    /// The account (`None`: the default settings).
    pub account: Option<String>,
    /// Where a copy that cannot be saved is kept (`None`: no data folder).
    pub queue: Option<Queue>,
}

/// What became of the copy in Sent. It runs after [`Outcome::Sent`], and
/// never changes it: the letter is delivered either way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopyReport {
    /// Saving it now (reported before the `Done` of the send, so the UI
    /// knows to wait for it before quitting).
    Saving {
        /// Where, in words.
        place: String,
    },
    /// Saved.
    Saved {
        /// The folder or file.
        place: String,
        /// Its size.
        size: usize,
    },
    /// It failed and is kept for a retry.
    Kept {
        /// Why it failed (visible, no secret).
        error: String,
        /// The kept letter.
        path: PathBuf,
    },
    /// It failed and could not be kept either.
    Lost {
        /// Why.
        error: String,
    },
    /// Copies kept earlier for the same place were tried with this login.
    Retried {
        /// How many are saved now.
        saved: usize,
        /// How many still wait (for this place or another).
        waiting: usize,
    },
}

/// Copies kept earlier, to try again.
#[derive(Clone, Debug)]
pub struct RetryKept {
    /// The place (the account's Sent) and the queue they wait in.
    pub plan: CopyPlan,
    /// The account's login, for IMAP (`None` for a Maildir).
    pub credentials: Option<Credentials>,
}

/// Runs `work` (a copy in Sent, kept copies retried) to its end, unless
/// the job channel closes first (`None`). Jobs that arrive meanwhile wait
/// in `waiting`. A `Cancel` is for the last of them, the one the UI shows
/// as running: it is dropped and answered `Done(Cancelled)`. The work
/// itself is not cancelled.
pub(super) async fn unless_closed<T>(
    work: impl Future<Output = T>,
    jobs: &mut mpsc::Receiver<Job>,
    waiting: &mut VecDeque<Job>,
    events: &Events,
) -> Option<T> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return Some(done),
            job = jobs.recv() => match job {
                None => return None,
                Some(Job::Cancel) => {
                    let last = waiting
                        .iter()
                        .rposition(|j| !matches!(j, Job::Cancel | Job::RetryKept(_)));
                    if let Some(at) = last {
                        waiting.remove(at);
                        emit(events, WorkerEvent::Done(Outcome::Cancelled));
                    }
                }
                Some(job) => waiting.push_back(job),
            },
        }
    }
}

/// What the UI hears of a copy's outcome (no secret in any of it).
impl From<CopyOutcome> for CopyReport {
    fn from(outcome: CopyOutcome) -> CopyReport {
        match outcome {
            CopyOutcome::Saved(saved) => CopyReport::Saved {
                place: saved.place,
                size: saved.size,
            },
            CopyOutcome::Kept { error, copy } => CopyReport::Kept {
                error: error.to_string(),
                path: copy.letter,
            },
            CopyOutcome::Lost { error, keep_error } => CopyReport::Lost {
                error: format!("{error}; it could not be kept either: {keep_error}"),
            },
        }
    }
}

/// The plan's queue, or why there is none.
fn queue_of(plan: &CopyPlan) -> Result<Queue, QueueError> {
    plan.queue.clone().ok_or(QueueError::NoFolder)
}

/// Who the copy is for, for its kept record.
fn origin<'a>(plan: &'a CopyPlan, message_id: &'a str) -> Origin<'a> {
    Origin {
        settings: &plan.settings,
        account: plan.account.as_deref(),
        message_id: Some(message_id),
    }
}

/// Keeps the copy of a sent letter whose saving the UI's end cut short, to
/// be saved by the next copy to the same place or `smtpwire sent --retry`.
/// (Should the server have stored it already, the retry makes a second.)
pub(super) fn keep_interrupted(events: &Events, plan: &CopyPlan, letter: &[u8], message_id: &str) {
    let outcome = sent::keep_unsaved(
        &plan.target,
        letter,
        origin(plan, message_id),
        queue_of(plan),
        sent::SentError::Interrupted,
    );
    emit(events, WorkerEvent::Copy(outcome.into()));
}

/// Saves the copy of a sent letter (or keeps it to retry); true if saved.
pub(super) async fn save_copy(
    events: &Events,
    plan: &CopyPlan,
    credentials: Option<&Credentials>,
    letter: &[u8],
    message_id: &str,
) -> bool {
    let mut transcript = transcript_on(events);
    let outcome = sent::save_or_keep(
        &plan.target,
        credentials,
        letter,
        origin(plan, message_id),
        queue_of(plan),
        &mut transcript,
    )
    .await;
    let saved = matches!(outcome, CopyOutcome::Saved(_));
    emit(events, WorkerEvent::Copy(outcome.into()));
    saved
}

/// Tries the copies kept earlier for the place a copy just went to, with
/// the login at hand.
pub(super) async fn retry_kept(
    events: &Events,
    plan: &CopyPlan,
    credentials: Option<&Credentials>,
) {
    let Some(queue) = &plan.queue else {
        return;
    };
    let mut transcript = transcript_on(events);
    let mut login = SameAccount::new(plan.target.clone(), credentials.cloned());
    if let Ok(report) = sent::retry_queue(
        queue,
        &Settings::default(),
        Some(sent::START_DEADLINE),
        &mut login,
        &mut transcript,
    )
    .await
        && report.copies.len() > report.skipped()
    {
        emit(
            events,
            WorkerEvent::Copy(CopyReport::Retried {
                saved: report.saved(),
                waiting: report.waiting(),
            }),
        );
    }
}
