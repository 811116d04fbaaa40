//! The SMTP worker: [`run`], on a thread and runtime of its own (started by
//! `tui`), takes [`Job`]s from the UI over a channel, runs the engine, and sends back [`WorkerEvent`]s — each
//! transcript line as it happens, stage changes, session state, and exactly
//! one [`WorkerEvent::Done`] per job.
//!
//! Channel contract:
//! - UI → worker: `mpsc::channel::<Job>(8)`; the UI uses `try_send`, so the
//!   render loop never blocks.
//! - worker → UI: an unbounded channel. The engine reports from inside its
//!   protocol code, which cannot await; its output is bounded by network
//!   round trips (a few lines each), and the UI drains the channel every
//!   frame, so the queue stays short.
//! - A running job is raced against the next job: [`Job::Cancel`] (or a
//!   closed channel) drops the job's future, and with it the connection.
//! - Dropping the `Job` sender ends the worker after a polite QUIT.

mod copy;

use std::{collections::VecDeque, sync::Arc, time::Duration};

use tokio::sync::mpsc;

pub use self::copy::{CopyPlan, CopyReport, RetryKept};
use self::copy::{keep_interrupted, retry_kept, save_copy, unless_closed};
use crate::{
    mail::{self, Draft},
    resolve::{Resolved, Trust},
    smtp::{
        self, Capabilities, Credentials, Delivery, Event, LogLine, ManualState, Mechanism, Reply,
        Session, SessionConfig, Stage, Transcript, tls::Tls,
    },
    submit,
};

/// Where and how to connect: the resolved settings and the login's
/// credentials. An open session serves a later job whose `Connect` is equal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connect {
    /// The settings, resolved as for `smtpwire send` (trust included).
    pub resolved: Resolved,
    /// The login (`Debug` redacts the password).
    pub credentials: Option<Credentials>,
}

impl Connect {
    /// The engine's configuration.
    fn config(&self) -> SessionConfig {
        self.resolved.session_config(self.credentials.clone())
    }
}

/// A letter to send.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The server.
    pub connect: Connect,
    /// The validated letter (built by the worker for the server's
    /// capabilities, Bcc never in a header).
    pub draft: Draft,
    /// The attached files (read from disk while sending).
    pub attachments: Vec<mail::Attachment>,
    /// Where the copy goes once the server has accepted the letter.
    pub copy: Option<CopyPlan>,
    /// The Date and Message-ID to build with (those the preview showed);
    /// `None`: now, and a new Message-ID.
    pub stamp: Option<mail::Stamp>,
}

/// What the UI asks of the worker.
#[derive(Debug)]
pub enum Job {
    /// Connect and log in; keep the session open.
    Connect(Box<Connect>),
    /// Send through the open session, or a new one.
    Send(Box<Submission>),
    /// QUIT the open session.
    Disconnect,
    /// What was typed in manual mode (F7), for the open session.
    Typed(Typed),
    /// Cancel the running job (its connection is dropped), or the one
    /// waiting behind a copy in Sent.
    Cancel,
    /// Try the copies kept earlier for this place, with this login (the
    /// composer's start, or its first login). No `Done`: a `Copy(Retried)`
    /// says what became of them, if any were tried.
    RetryKept(Box<RetryKept>),
}

/// What was typed in manual mode, for the open session.
pub enum Typed {
    /// A command line, a line of message data after the 354, or the
    /// lone `.` that ends it.
    Line(String),
    /// The answer to a 334 the server sent a typed AUTH: a credential
    /// (wiped when dropped, never shown).
    Answer(zeroize::Zeroizing<String>),
    /// AUTH PLAIN or LOGIN with the user and password from the prompts.
    Auth {
        /// PLAIN or LOGIN.
        mechanism: Mechanism,
        /// What the prompts were given (`Debug` redacts the password).
        credentials: Credentials,
    },
    /// Drop the connection: the only way to abandon message data typed by
    /// hand (SMTP has no abort).
    Drop,
}

/// By hand: a typed line may hold a credential (`AUTH PLAIN <blob>`), and
/// `Job`'s `Debug` can reach the log.
impl std::fmt::Debug for Typed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Typed::Line(line) => write!(f, "Typed::Line({} chars)", line.chars().count()),
            Typed::Answer(_) => f.write_str("Typed::Answer(..)"),
            Typed::Auth {
                mechanism,
                credentials,
            } => write!(f, "Typed::Auth({mechanism}, {credentials:?})"),
            Typed::Drop => f.write_str("Typed::Drop"),
        }
    }
}

/// Why a job failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The session failed.
    #[error(transparent)]
    Smtp(#[from] smtp::Error),
    /// The letter cannot go to this server (e.g. it needs SMTPUTF8).
    #[error(transparent)]
    Letter(#[from] mail::Error),
    /// TLS could not be set up (CA file).
    #[error(transparent)]
    Tls(#[from] smtp::tls::SetupError),
}

/// How a job ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The session is open (after `Connect`).
    Connected,
    /// The letter went out (possibly refused for some recipients).
    Sent {
        /// Per-recipient results and the final reply.
        delivery: Delivery,
        /// The letter's Message-ID.
        message_id: String,
    },
    /// QUIT answered (after `Disconnect`).
    Disconnected {
        /// The 221 (or whatever the server said).
        reply: Reply,
    },
    /// A typed line went out (after `Typed`): the server's reply, or none
    /// (a line of message data, a dropped connection).
    Typed {
        /// What the server answered.
        reply: Option<Reply>,
    },
    /// Nothing to do (e.g. `Disconnect` without a session).
    Nothing,
    /// The job failed.
    Failed(Failure),
    /// The user cancelled it.
    Cancelled,
}

/// The state of the session, reported whenever it changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// A session is open.
    Open {
        /// `host:port`.
        server: String,
        /// What it offers.
        capabilities: Capabilities,
        /// The certificate, if encrypted.
        tls: Option<String>,
    },
    /// No session.
    Closed,
}

/// What the worker reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkerEvent {
    /// A transcript line, already redacted.
    Line(LogLine),
    /// The running job moved to a stage.
    Stage(Stage),
    /// The session opened or closed (or, open, changed what it offers).
    Session(SessionState),
    /// Where the open session stands after what was typed by hand (and
    /// after each job on it): transaction, login, a waiting AUTH.
    Manual(ManualState),
    /// The job ended; exactly one per `Connect`, `Send`, `Disconnect` and
    /// `Typed`.
    Done(Outcome),
    /// The copy in Sent, after a send.
    Copy(CopyReport),
    /// The bytes of the letter just sent (before dot-stuffing), for the
    /// log inspector; only letters up to [`INSPECT_MAX`] bytes.
    Letter(Arc<[u8]>),
}

/// The largest letter whose bytes go to the UI for the inspector.
pub const INSPECT_MAX: u64 = 32 << 20;

/// The sending half of the event channel.
pub type Events = mpsc::UnboundedSender<WorkerEvent>;

/// The worker loop. Ends when the job channel closes, after QUIT.
pub async fn run(mut jobs: mpsc::Receiver<Job>, events: Events) {
    let mut worker = Worker {
        events,
        session: None,
        tls: TlsCache::default(),
        letter: None,
    };
    // Jobs that arrived while a copy was being saved, in order.
    let mut waiting: VecDeque<Job> = VecDeque::new();
    loop {
        let job = match waiting.pop_front() {
            Some(job) => job,
            None => match jobs.recv().await {
                Some(job) => job,
                None => break,
            },
        };
        let mut copy = None;
        let outcome = match job {
            Job::Cancel => continue, // nothing is running
            Job::Connect(connect) => {
                worker
                    .cancellable(&mut jobs, &mut waiting, Work::Connect(connect))
                    .await
            }
            Job::Send(submission) => {
                copy = submission
                    .copy
                    .clone()
                    .map(|plan| (plan, submission.connect.credentials.clone()));
                worker
                    .cancellable(&mut jobs, &mut waiting, Work::Send(submission))
                    .await
            }
            Job::Disconnect => {
                worker
                    .cancellable(&mut jobs, &mut waiting, Work::Disconnect)
                    .await
            }
            Job::Typed(typed) => {
                worker
                    .cancellable(&mut jobs, &mut waiting, Work::Typed(typed))
                    .await
            }
            Job::RetryKept(retry) => {
                let retrying = retry_kept(&worker.events, &retry.plan, retry.credentials.as_ref());
                if unless_closed(retrying, &mut jobs, &mut waiting, &worker.events)
                    .await
                    .is_none()
                {
                    break;
                }
                continue;
            }
        };
        let closed = outcome.is_none();
        let letter = worker.letter.take();
        let copy = match (&outcome, copy, letter) {
            (Some(Outcome::Sent { message_id, .. }), Some((plan, credentials)), Some(letter)) => {
                // Said before the send's Done, so the UI waits for it.
                emit(
                    &worker.events,
                    WorkerEvent::Copy(CopyReport::Saving {
                        place: plan.target.describe(),
                    }),
                );
                Some((plan, credentials, letter, message_id.clone()))
            }
            _ => None,
        };
        emit(
            &worker.events,
            WorkerEvent::Done(outcome.unwrap_or(Outcome::Cancelled)),
        );
        // Not cancellable: the letter is delivered, its copy is owed. Its
        // steps have deadlines, and a failure keeps the copy for later.
        // Only the UI's end (the job channel closing) interrupts it, and
        // then the copy is kept for later too.
        if let Some((plan, credentials, letter, message_id)) = copy {
            let saving = save_copy(
                &worker.events,
                &plan,
                credentials.as_ref(),
                &letter,
                &message_id,
            );
            let Some(saved) = unless_closed(saving, &mut jobs, &mut waiting, &worker.events).await
            else {
                keep_interrupted(&worker.events, &plan, &letter, &message_id);
                break;
            };
            // The place just worked: what waits for it goes now, briefly.
            // Cut short, those copies simply stay kept.
            if saved && plan.queue.as_ref().is_some_and(|q| !q.is_empty()) {
                let retrying = retry_kept(&worker.events, &plan, credentials.as_ref());
                if unless_closed(retrying, &mut jobs, &mut waiting, &worker.events)
                    .await
                    .is_none()
                {
                    break;
                }
            }
        }
        if closed && jobs.is_closed() {
            break;
        }
    }
    // The UI is gone: leave the server politely, but never hang on it.
    if let Some((session, _)) = worker.session.take() {
        let _ = tokio::time::timeout(Duration::from_secs(5), session.quit()).await;
    }
}

enum Work {
    Connect(Box<Connect>),
    Send(Box<Submission>),
    Disconnect,
    Typed(Typed),
}

struct Worker {
    events: Events,
    session: Option<(Session, Connect)>,
    tls: TlsCache,
    /// The bytes of the letter just sent, when its copy is wanted.
    letter: Option<Arc<[u8]>>,
}

/// The TLS settings of the last session, kept so the roots are loaded once
/// per app run, not once per connection.
#[derive(Default)]
struct TlsCache {
    /// The trust the cached `Tls` was made for.
    cached: Option<(Trust, Arc<Tls>)>,
}

impl TlsCache {
    /// The TLS settings for `trust` (the resolver's, as `smtpwire send`
    /// uses: the composer trusts exactly what the command line would).
    fn get(&mut self, trust: &Trust) -> Result<Arc<Tls>, Failure> {
        let tls = match &self.cached {
            Some((key, tls)) if key == trust => Arc::clone(tls),
            _ => {
                let tls = Arc::new(trust.tls());
                self.cached = Some((trust.clone(), Arc::clone(&tls)));
                tls
            }
        };
        // Checked on every use: the file may have changed since.
        tls.check()?;
        Ok(tls)
    }
}

impl Worker {
    /// Runs `work` until it finishes or a `Cancel` arrives. `None` means
    /// cancelled (or the UI went away); the session, if any, is dropped then.
    /// Another job meanwhile (the UI sends one at a time, so a slip there)
    /// waits its turn in `waiting`, as it does behind a copy in Sent.
    async fn cancellable(
        &mut self,
        jobs: &mut mpsc::Receiver<Job>,
        waiting: &mut VecDeque<Job>,
        work: Work,
    ) -> Option<Outcome> {
        let events = self.events.clone();
        let mut session = self.session.take();
        let result = {
            let fut = perform(&events, &mut session, &mut self.tls, &mut self.letter, work);
            tokio::pin!(fut);
            loop {
                tokio::select! {
                    outcome = &mut fut => break Some(outcome),
                    job = jobs.recv() => match job {
                        Some(Job::Cancel) | None => break None,
                        Some(other) => waiting.push_back(other),
                    },
                }
            }
        };
        if let Some(outcome) = result {
            self.session = session;
            Some(outcome)
        } else {
            // Dropping the future dropped its connection; an open idle
            // session that was being reused goes too, since its state
            // is unknown.
            drop(session);
            transcript_on(&self.events).note("cancelled by the user; the connection is dropped");
            emit(&self.events, WorkerEvent::Session(SessionState::Closed));
            None
        }
    }
}

/// A transcript whose lines and stages go to the UI.
fn transcript_on(events: &Events) -> Transcript {
    let events = events.clone();
    Transcript::new(move |event| {
        let event = match event {
            Event::Line(line) => WorkerEvent::Line(line),
            Event::Stage(stage) => WorkerEvent::Stage(stage),
        };
        // The UI may be gone; nothing to do then.
        let _ = events.send(event);
    })
}

fn emit(events: &Events, event: WorkerEvent) {
    // The UI may be gone; nothing to do then.
    let _ = events.send(event);
}

/// Does one job against the (optional) open session.
async fn perform(
    events: &Events,
    slot: &mut Option<(Session, Connect)>,
    tls: &mut TlsCache,
    letter: &mut Option<Arc<[u8]>>,
    work: Work,
) -> Outcome {
    match work {
        Work::Connect(connect) => {
            if let Some((session, _)) = slot.take() {
                transcript_on(events).note("closing the open session first");
                let _ = session.quit().await;
                emit(events, WorkerEvent::Session(SessionState::Closed));
            }
            match open(events, tls, &connect).await {
                Ok(session) => {
                    *slot = Some((session, *connect));
                    Outcome::Connected
                }
                Err(failure) => Outcome::Failed(failure),
            }
        }
        Work::Send(submission) => send(events, slot, tls, letter, *submission).await,
        Work::Typed(typed) => typed_job(events, slot, tls, typed).await,
        Work::Disconnect => match slot.take() {
            None => {
                transcript_on(events).note("no open session");
                Outcome::Nothing
            }
            Some((session, _)) => {
                let result = session.quit().await;
                emit(events, WorkerEvent::Session(SessionState::Closed));
                match result {
                    Ok(reply) => Outcome::Disconnected { reply },
                    Err(e) => Outcome::Failed(e.into()),
                }
            }
        },
    }
}

/// Opens a session and reports it.
async fn open(events: &Events, tls: &mut TlsCache, connect: &Connect) -> Result<Session, Failure> {
    let tls = tls.get(&connect.resolved.trust)?;
    let session = Session::connect(&connect.config(), &tls, transcript_on(events)).await?;
    emit(
        events,
        WorkerEvent::Session(SessionState::Open {
            server: connect.resolved.server(),
            capabilities: session.capabilities().clone(),
            tls: session.tls_description().map(str::to_owned),
        }),
    );
    emit(events, WorkerEvent::Manual(session.manual_state()));
    Ok(session)
}

/// A line typed in manual mode, on the open session; the session's new
/// state (or its end) is reported before the job's `Done`.
async fn typed_job(
    events: &Events,
    slot: &mut Option<(Session, Connect)>,
    tls: &mut TlsCache,
    typed: Typed,
) -> Outcome {
    let Some((mut session, connect)) = slot.take() else {
        transcript_on(events).note("no open session (Ctrl+O connects first)");
        return Outcome::Nothing;
    };
    let offered = (session.capabilities().clone(), session.is_encrypted());
    let (session, result) = match typed {
        Typed::Drop => {
            drop(session);
            transcript_on(events).note(
                "the connection is dropped (SMTP has no other way to abandon DATA); \
                 the server discards the unfinished letter",
            );
            emit(events, WorkerEvent::Session(SessionState::Closed));
            return Outcome::Typed { reply: None };
        }
        Typed::Line(line) if session.wants_upgrade(&line) => {
            let tls = match tls.get(&connect.resolved.trust) {
                Ok(tls) => tls,
                Err(failure) => {
                    session.transcript().error(&failure.to_string());
                    *slot = Some((session, connect));
                    return Outcome::Failed(failure);
                }
            };
            let config = connect.config();
            let (session, result) = session
                .starttls_by_hand(&tls, config.bare_host(), &config.helo)
                .await;
            (session, result.map(Some))
        }
        Typed::Line(line) => {
            let result = session.raw(&line).await;
            (Some(session), result)
        }
        Typed::Answer(answer) => {
            let result = session.raw(&answer).await;
            (Some(session), result)
        }
        Typed::Auth {
            mechanism,
            credentials,
        } => {
            let allow = connect.resolved.allow_insecure_auth;
            let result = session.auth_by_hand(mechanism, &credentials, allow).await;
            (Some(session), result.map(Some))
        }
    };
    match session {
        Some(session) if !session.is_broken() => {
            if (session.capabilities(), session.is_encrypted()) != (&offered.0, offered.1) {
                emit(
                    events,
                    WorkerEvent::Session(SessionState::Open {
                        server: connect.resolved.server(),
                        capabilities: session.capabilities().clone(),
                        tls: session.tls_description().map(str::to_owned),
                    }),
                );
            }
            emit(events, WorkerEvent::Manual(session.manual_state()));
            *slot = Some((session, connect));
        }
        // Closed by a typed QUIT, broken, or consumed by a failed upgrade.
        _ => emit(events, WorkerEvent::Session(SessionState::Closed)),
    }
    match result {
        Ok(reply) => Outcome::Typed { reply },
        Err(e) => Outcome::Failed(e.into()),
    }
}

/// Sends through the open session when it still serves, else a new one.
async fn send(
    events: &Events,
    slot: &mut Option<(Session, Connect)>,
    tls: &mut TlsCache,
    letter_out: &mut Option<Arc<[u8]>>,
    submission: Submission,
) -> Outcome {
    let reusable = match slot.as_mut() {
        Some((session, connect)) if *connect == submission.connect => {
            if session.is_alive() {
                true
            } else {
                transcript_on(events).note("the server closed the session; reconnecting");
                false
            }
        }
        Some(_) => {
            transcript_on(events).note("the settings changed; reconnecting");
            false
        }
        None => false,
    };
    if !reusable {
        if let Some((session, _)) = slot.take() {
            if !session.is_broken() {
                let _ = session.quit().await;
            }
            emit(events, WorkerEvent::Session(SessionState::Closed));
        }
        match open(events, tls, &submission.connect).await {
            Ok(session) => *slot = Some((session, submission.connect.clone())),
            Err(failure) => return Outcome::Failed(failure),
        }
    }
    let Some((session, _)) = slot.as_mut() else {
        return Outcome::Failed(smtp::Error::Broken.into());
    };
    let caps = session.capabilities().clone();
    let parts = submit::Parts {
        draft: &submission.draft,
        file: None,
        attachments: &submission.attachments,
    };
    let stamps = match &submission.stamp {
        Some(stamp) => vec![stamp.clone()],
        None => submit::stamps(1),
    };
    let prepared = match submit::prepare_stamped(parts, &stamps, &caps) {
        Ok(p) => p,
        Err(e) => {
            session.transcript().error(&e.to_string());
            return Outcome::Failed(e.into());
        }
    };
    let result = session
        .send_many(prepared.iter())
        .await
        .pop()
        .unwrap_or(Err(smtp::Error::Broken));
    if session.is_broken() {
        slot.take();
        emit(events, WorkerEvent::Session(SessionState::Closed));
    } else {
        // A transaction typed by hand was RSET before the letter.
        emit(events, WorkerEvent::Manual(session.manual_state()));
    }
    let Some(first) = prepared.letters.first() else {
        return Outcome::Failed(smtp::Error::Broken.into());
    };
    // The bytes as sent, for the inspector (and the copy below); a very
    // large letter only when a copy needs it.
    let wanted = submission.copy.is_some() || first.letter().len() <= INSPECT_MAX;
    let bytes = if wanted && (result.is_ok() || session_started_data(&result)) {
        match first.letter().to_bytes() {
            // Shared by the inspector and the copy, held once.
            Ok(bytes) => Some(Arc::<[u8]>::from(bytes)),
            Err(e) => {
                transcript_on(events).error(&format!("the letter cannot be read again: {e}"));
                None
            }
        }
    } else {
        None
    };
    if let Some(bytes) = &bytes
        && bytes.len() as u64 <= INSPECT_MAX
    {
        emit(events, WorkerEvent::Letter(Arc::clone(bytes)));
    }
    match result {
        Ok(delivery) => {
            if submission.copy.is_some() {
                // The exact bytes the server accepted, for the copy.
                *letter_out = bytes;
            }
            Outcome::Sent {
                message_id: first.letter().message_id().to_owned(),
                delivery,
            }
        }
        Err(e) => Outcome::Failed(e.into()),
    }
}

/// Whether a failed send got as far as the letter's bytes (refused after
/// the final dot): the inspector shows them then too.
fn session_started_data(result: &Result<Delivery, smtp::Error>) -> bool {
    matches!(result, Err(e) if matches!(e.stage(), Some(Stage::EndOfData | Stage::Content)))
}
