//! `send --repeat N [--parallel P]`: N letters over P concurrent sessions,
//! for load tests. Letters are built when their turn comes, a batch at a
//! time, and their results are counted as they come back, so a million
//! letters never hold a million headers or replies. Every letter is tried
//! at most once and counted exactly once; the first failure in letter
//! order decides the exit status, whichever session met it.

use std::{cell::RefCell, fs::File, ops::Range, time::Instant};

use futures::future::join_all;

use super::{
    Options,
    exit::{self, Failure},
    input,
    send::{partial_refusal, save_eml},
};
use crate::{
    mail::{self, Draft, FileBody, Stamp},
    smtp::{self, Delivery, Session, SessionConfig, tls::Tls},
    submit,
};

/// Letters built and sent per batch at most: the memory of a run is this
/// many letters and results whatever `--repeat` says. A batch ends the
/// pipelining across final dots once (one round trip per 256 letters).
const BATCH: usize = 256;

/// What every session sends.
pub(super) struct Load<'a> {
    /// The letter.
    pub draft: &'a Draft,
    /// Its attached files (read for every copy).
    pub attachments: &'a [mail::Attachment],
    /// How many copies, each with its own Message-ID.
    pub count: usize,
    /// Over how many sessions at most.
    pub sessions: usize,
    /// Whether the sessions log in (for the failure messages).
    pub logged_in: bool,
}

/// `send --repeat`: opens the sessions (the body's scan overlaps the
/// connects), sends, quits, prints the summary and picks the exit status.
pub(super) async fn send(
    options: &Options,
    load: &Load<'_>,
    scanning: Option<input::Scanning>,
    config: &SessionConfig,
    tls: &Tls,
    transcript: Option<File>,
) -> Result<(), Failure> {
    let started = Instant::now();
    let sessions = load.sessions.clamp(1, load.count.max(1));
    let mut printers = Vec::with_capacity(sessions);
    for n in 0..sessions {
        let file = match &transcript {
            Some(file) => Some(file.try_clone().map_err(|e| {
                Failure::new(
                    exit::CANTCREAT,
                    format!("cannot open the transcript file: {e}"),
                )
            })?),
            None => None,
        };
        // Several sessions' lines interleave on stderr: each says whose.
        let tag = (sessions > 1).then(|| format!("[{}] ", n + 1));
        printers.push(input::printer_tagged(
            options.quiet,
            file,
            options.transcript_format,
            tag,
        ));
    }
    let opened = join_all(
        printers
            .into_iter()
            .map(|printer| Session::connect(config, tls, printer)),
    )
    .await;
    let mut live = Vec::with_capacity(sessions);
    let mut session_failures = Vec::new();
    for (n, result) in opened.into_iter().enumerate() {
        match result {
            Ok(session) => live.push(session),
            Err(e) => {
                let failure = Failure::engine(&e, load.logged_in);
                session_failures.push(numbered(n, sessions, failure));
            }
        }
    }
    let file = match input::finish_file_body(scanning).await {
        Ok(file) => file,
        Err(failure) => {
            quit_all(live).await;
            return Err(failure);
        }
    };
    if file.as_ref().is_some_and(FileBody::is_blank) {
        eprintln!("warning: {}", mail::Warning::EmptyBody);
    }
    if live.is_empty() {
        return Err(first_or_unavailable(session_failures));
    }
    let letters = Letters {
        draft: load.draft,
        attachments: load.attachments,
        file: file.as_ref(),
        base: Stamp::now(),
        count: load.count,
    };
    if let Some(path) = &options.eml {
        let caps = live[0].capabilities().clone();
        let first = letters.build(0, &caps).map_err(Failure::from);
        if let Err(failure) = first.and_then(|letter| save_eml(path, letter.letter())) {
            quit_all(live).await;
            return Err(failure);
        }
    }
    let queue = RefCell::new(Queue::new(load.count, live.len()));
    let tally = RefCell::new(Tally::default());
    let ended = join_all(
        live.into_iter()
            .map(|session| drive(session, &letters, &queue, &tally, load.logged_in)),
    )
    .await;
    session_failures.extend(ended.into_iter().filter_map(Result::err));
    let tally = tally.into_inner();
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    if !options.quiet {
        let over = if sessions > 1 {
            format!(" over {sessions} sessions")
        } else {
            String::new()
        };
        eprintln!(
            "{} of {} letters accepted in {secs:.2} s ({:.0} letters/s){over}",
            tally.accepted,
            load.count,
            tally.accepted as f64 / secs
        );
        if !tally.timeline.is_empty() {
            eprintln!(
                "timeline of the {} accepted letters: {}",
                tally.accepted, tally.timeline
            );
        }
    }
    tally.verdict(load.count, session_failures)
}

/// The letters of a run, built on demand: copy `i` of the draft, stamped
/// with the run's one clock reading and its own Message-ID.
struct Letters<'a> {
    draft: &'a Draft,
    attachments: &'a [mail::Attachment],
    file: Option<&'a FileBody>,
    base: Stamp,
    count: usize,
}

impl<'a> Letters<'a> {
    fn build(
        &self,
        index: usize,
        caps: &smtp::Capabilities,
    ) -> Result<submit::Outgoing<'a>, mail::Error> {
        let stamp = submit::stamp_for(&self.base, index, self.count);
        let parts = submit::Parts {
            draft: self.draft,
            file: self.file,
            attachments: self.attachments,
        };
        submit::letter_for(parts, &stamp, Some(caps))
    }
}

/// Sends batches from the queue over one session until the queue is empty
/// or the session breaks (its untried letters go back for the others),
/// then quits. An error is what stopped this session before its letters
/// were tried: the server lacks what the letter needs.
async fn drive(
    mut session: Session,
    letters: &Letters<'_>,
    queue: &RefCell<Queue>,
    tally: &RefCell<Tally>,
    logged_in: bool,
) -> Result<(), Failure> {
    let caps = session.capabilities().clone();
    let outcome = async {
        let envelope = submit::envelope_for(letters.draft, &caps)?;
        loop {
            let Some(range) = queue.borrow_mut().take() else {
                return Ok(());
            };
            let batch: Vec<_> = match range
                .clone()
                .map(|i| letters.build(i, &caps))
                .collect::<Result<_, _>>()
            {
                Ok(batch) => batch,
                Err(e) => {
                    queue.borrow_mut().give_back(range);
                    return Err(Failure::from(e));
                }
            };
            let results = session
                .send_many(batch.iter().map(|letter| (&envelope, letter)))
                .await;
            {
                let mut counted = tally.borrow_mut();
                for (index, result) in range.clone().zip(&results) {
                    counted.record(index, result, logged_in);
                }
            }
            if results.len() < range.len() {
                // Broken: the rest never had their final dot sent.
                queue
                    .borrow_mut()
                    .give_back(range.start + results.len()..range.end);
                return Ok(());
            }
        }
    }
    .await;
    if !session.is_broken() {
        // A failed QUIT is in the transcript; the letters' fate is what counts.
        let _ = session.quit().await;
    }
    outcome
}

async fn quit_all(sessions: Vec<Session>) {
    // Leaving politely; the failure that made us leave is what is reported.
    join_all(sessions.into_iter().map(Session::quit)).await;
}

fn numbered(n: usize, of: usize, failure: Failure) -> Failure {
    if of == 1 {
        return failure;
    }
    Failure::new(
        failure.code,
        format!("session {} of {of}: {}", n + 1, failure.message),
    )
}

fn first_or_unavailable(failures: Vec<Failure>) -> Failure {
    failures
        .into_iter()
        .next()
        .unwrap_or_else(|| Failure::new(exit::UNAVAILABLE, "error: no session could be opened"))
}

/// The letters not yet handed to a session: fresh ones in order, and
/// ranges a broken session gave back, which go first.
#[derive(Debug)]
struct Queue {
    next: usize,
    count: usize,
    batch: usize,
    returned: Vec<Range<usize>>,
}

impl Queue {
    /// `count` letters for `sessions` sessions: batches small enough that
    /// every session gets a share, and never over [`BATCH`].
    fn new(count: usize, sessions: usize) -> Queue {
        Queue {
            next: 0,
            count,
            batch: count.div_ceil(sessions.max(1)).clamp(1, BATCH),
            returned: Vec::new(),
        }
    }

    fn take(&mut self) -> Option<Range<usize>> {
        if let Some(range) = self.returned.pop() {
            return Some(range);
        }
        if self.next >= self.count {
            return None;
        }
        let end = (self.next + self.batch).min(self.count);
        let range = self.next..end;
        self.next = end;
        Some(range)
    }

    fn give_back(&mut self, range: Range<usize>) {
        if !range.is_empty() {
            self.returned.push(range);
        }
    }
}

/// Every letter's result, counted once; the failure of the lowest letter
/// number kept.
#[derive(Debug, Default)]
struct Tally {
    tried: usize,
    accepted: usize,
    /// The accepted letters' phases, summed.
    timeline: smtp::Timeline,
    first_failure: Option<(usize, Failure)>,
}

impl Tally {
    fn record(&mut self, index: usize, result: &Result<Delivery, smtp::Error>, logged_in: bool) {
        self.tried += 1;
        if let Ok(delivery) = result {
            self.accepted += 1;
            self.timeline.add(&delivery.timeline);
        }
        if self
            .first_failure
            .as_ref()
            .is_some_and(|(first, _)| *first < index)
        {
            return;
        }
        let failure = match result {
            Ok(delivery) => partial_refusal(delivery),
            Err(e) => Some(Failure::engine(e, logged_in)),
        };
        if let Some(failure) = failure {
            self.first_failure = Some((index, failure));
        }
    }

    /// The exit status: the first failed letter's; else, when letters were
    /// left untried or a session failed, that session's failure.
    fn verdict(self, count: usize, sessions: Vec<Failure>) -> Result<(), Failure> {
        if let Some((_, failure)) = self.first_failure {
            return Err(failure);
        }
        if let Some(failure) = sessions.into_iter().next() {
            return Err(failure);
        }
        if self.tried < count {
            return Err(Failure::new(
                exit::TEMPFAIL,
                format!(
                    "error: only {} of {count} letters were tried before the sessions broke",
                    self.tried
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::{Code, RecipientResult, Reply};

    #[test]
    fn the_queue_hands_out_every_letter_once() {
        for (count, sessions, batches) in [
            (1, 1, vec![(0, 1)]),
            (10, 4, vec![(0, 3), (3, 6), (6, 9), (9, 10)]),
            (1000, 1, vec![(0, 256), (256, 512), (512, 768), (768, 1000)]),
            (1000, 4, vec![(0, 250), (250, 500), (500, 750), (750, 1000)]),
            (3, 64, vec![(0, 1), (1, 2), (2, 3)]),
        ] {
            let mut q = Queue::new(count, sessions);
            let taken: Vec<_> = std::iter::from_fn(|| q.take())
                .map(|r| (r.start, r.end))
                .collect();
            assert_eq!(taken, batches, "{count} over {sessions}");
        }
        // A broken session's untried letters go out next, once.
        let mut q = Queue::new(10, 2);
        assert_eq!(q.take(), Some(0..5));
        q.give_back(3..5);
        q.give_back(7..7);
        assert_eq!(q.take(), Some(3..5));
        assert_eq!(q.take(), Some(5..10));
        assert_eq!(q.take(), None);
    }

    fn reply(code: u16) -> Reply {
        Reply::new(Code::new(code).unwrap(), vec!["x".into()])
    }

    fn delivered(rcpt: u16) -> Delivery {
        Delivery {
            recipients: vec![RecipientResult {
                address: "a@x.org".into(),
                reply: reply(rcpt),
            }],
            reply: reply(250),
            size: 1,
            timeline: smtp::Timeline::default(),
        }
    }

    fn refused(code: u16) -> Result<Delivery, smtp::Error> {
        Err(smtp::Error::Rejected {
            stage: smtp::Stage::EndOfData,
            reply: reply(code),
        })
    }

    /// Results arrive out of letter order from several sessions; the
    /// verdict is the lowest-numbered letter's failure all the same.
    #[test]
    fn the_first_failure_in_letter_order_decides() {
        for (results, count, expected) in [
            (
                vec![(0, Ok(delivered(250))), (1, Ok(delivered(250)))],
                2,
                None,
            ),
            (
                vec![(5, refused(550)), (2, refused(451)), (9, refused(550))],
                10,
                Some(exit::TEMPFAIL),
            ),
            (
                vec![(1, Ok(delivered(550))), (0, Ok(delivered(250)))],
                2,
                Some(exit::UNAVAILABLE),
            ),
            (vec![(0, Ok(delivered(250)))], 2, Some(exit::TEMPFAIL)),
        ] {
            let mut tally = Tally::default();
            for (index, result) in &results {
                tally.record(*index, result, false);
            }
            assert_eq!(tally.tried, results.len());
            let code = tally.verdict(count, Vec::new()).err().map(|f| f.code);
            assert_eq!(code, expected, "{results:?}");
        }
    }
}
