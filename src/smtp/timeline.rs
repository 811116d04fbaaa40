//! Where a transaction's time went: connect, TLS, greeting, EHLO, AUTH,
//! MAIL/RCPT, DATA and the wait for the final reply, measured from the
//! engine's own stage changes on the monotonic clock.
//!
//! The [`Transcript`](super::Transcript) sees every [`Stage`] change and
//! keeps a `StageClock`: the time from one change to the next is added to
//! the phase of the stage that was running. A transaction's timeline is
//! taken when its final reply arrives (see `Session::send_many`), so it
//! holds the opening of the session too when it was the first one on it;
//! the time a session sits idle between jobs belongs to no phase.
//!
//! With PIPELINING (RFC 2920) MAIL, every RCPT and DATA leave in one write,
//! and the replies are read one after another: each moment is counted once,
//! in the stage whose reply the engine was waiting for (the round trip
//! usually falls to MAIL/RCPT, and DATA's 354, which travelled with the
//! rest, costs next to nothing). A transaction whose commands rode along
//! with the previous final dot starts its clock when the engine starts
//! reading its replies. The phases therefore add up to the total exactly.

use std::{fmt, time::Duration};

use tokio::time::Instant;

use super::transcript::{Stage, format_latency};

/// A part of a transaction's timeline; several stages can share one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// DNS lookup and TCP connect.
    Connect,
    /// TLS handshakes, and the STARTTLS command before one.
    Tls,
    /// The wait for the 220 greeting.
    Greeting,
    /// Every EHLO (and the HELO fallback).
    Ehlo,
    /// AUTH and its challenges.
    Auth,
    /// MAIL FROM, every RCPT TO, and RSET.
    Envelope,
    /// The DATA command and the message data up to the final dot.
    Data,
    /// The wait for the reply after the final dot.
    FinalReply,
}

impl Phase {
    /// Every phase, in the order of a session.
    pub const ALL: [Phase; 8] = [
        Phase::Connect,
        Phase::Tls,
        Phase::Greeting,
        Phase::Ehlo,
        Phase::Auth,
        Phase::Envelope,
        Phase::Data,
        Phase::FinalReply,
    ];

    /// The phase a stage's time counts toward; `None` for QUIT, which comes
    /// after the transaction, and for a command typed by hand, which is no
    /// part of one.
    pub fn of(stage: Stage) -> Option<Phase> {
        Some(match stage {
            Stage::Connect => Phase::Connect,
            Stage::TlsHandshake | Stage::StartTls => Phase::Tls,
            Stage::Greeting => Phase::Greeting,
            Stage::Ehlo => Phase::Ehlo,
            Stage::Auth => Phase::Auth,
            Stage::Mail | Stage::Rcpt | Stage::Rset => Phase::Envelope,
            Stage::Data | Stage::Content => Phase::Data,
            Stage::EndOfData => Phase::FinalReply,
            Stage::Quit | Stage::Command => return None,
        })
    }

    /// The name in the one-line summary.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Connect => "connect",
            Phase::Tls => "TLS",
            Phase::Greeting => "greeting",
            Phase::Ehlo => "EHLO",
            Phase::Auth => "AUTH",
            Phase::Envelope => "MAIL/RCPT",
            Phase::Data => "DATA",
            Phase::FinalReply => "final reply",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The time spent in each phase of one transaction (or, added up, of
/// several). A phase the engine never entered is `None`, so a letter sent
/// through an open session shows no connect time, rather than a zero.
///
/// Nanoseconds in a `u64` each (584 years), so that the value is 64 bytes:
/// it rides in every [`Delivery`](super::Delivery) and worker event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// Per phase, or [`NOT_ENTERED`].
    nanos: [u64; Phase::ALL.len()],
}

/// A phase the engine never entered.
const NOT_ENTERED: u64 = u64::MAX;

impl Default for Timeline {
    fn default() -> Timeline {
        Timeline {
            nanos: [NOT_ENTERED; Phase::ALL.len()],
        }
    }
}

impl Timeline {
    /// The time spent in `phase`, if the engine entered it.
    pub fn get(&self, phase: Phase) -> Option<Duration> {
        let nanos = self.nanos[phase.index()];
        (nanos != NOT_ENTERED).then(|| Duration::from_nanos(nanos))
    }

    /// Adds `time` to `phase`.
    pub fn record(&mut self, phase: Phase, time: Duration) {
        let slot = &mut self.nanos[phase.index()];
        let before = if *slot == NOT_ENTERED { 0 } else { *slot };
        let add = u64::try_from(time.as_nanos()).unwrap_or(NOT_ENTERED - 1);
        *slot = before.saturating_add(add).min(NOT_ENTERED - 1);
    }

    /// Adds another timeline phase by phase (`--repeat` sums its letters).
    pub fn add(&mut self, other: &Timeline) {
        for (phase, time) in other.phases() {
            self.record(phase, time);
        }
    }

    /// The phases entered, in session order, with their times.
    pub fn phases(&self) -> impl Iterator<Item = (Phase, Duration)> + '_ {
        Phase::ALL
            .into_iter()
            .filter_map(|phase| self.get(phase).map(|time| (phase, time)))
    }

    /// The sum of every phase.
    pub fn total(&self) -> Duration {
        self.phases()
            .fold(Duration::ZERO, |sum, (_, time)| sum.saturating_add(time))
    }

    /// Whether no phase was entered.
    pub fn is_empty(&self) -> bool {
        self.nanos.iter().all(|&n| n == NOT_ENTERED)
    }
}

/// `connect 0.3 ms · TLS 5.6 ms · … · final reply 2.1 ms · total 14 ms`.
impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (phase, time) in self.phases() {
            write!(f, "{} {} · ", phase.label(), format_latency(time))?;
        }
        write!(f, "total {}", format_latency(self.total()))
    }
}

/// The running measurement behind [`Timeline`]s: which phase runs since
/// when, and what the phases before it took.
#[derive(Clone, Debug, Default)]
pub(super) struct StageClock {
    running: Option<(Phase, Instant)>,
    spent: Timeline,
}

impl StageClock {
    /// The engine entered `stage`: the running phase ends now.
    pub(super) fn enter(&mut self, stage: Stage) {
        let now = Instant::now();
        self.stop(now);
        self.running = Phase::of(stage).map(|phase| (phase, now));
    }

    /// Whether a phase is being timed.
    pub(super) fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// The engine waits for its caller: nothing runs until the next stage.
    pub(super) fn idle(&mut self) {
        self.stop(Instant::now());
    }

    /// Ends the running phase and hands over everything measured since the
    /// last lap; the clock idles until the next stage.
    pub(super) fn lap(&mut self) -> Timeline {
        self.idle();
        std::mem::take(&mut self.spent)
    }

    /// What a lap would hand over now, without taking it.
    pub(super) fn peek(&self) -> Timeline {
        let mut timeline = self.spent;
        if let Some((phase, since)) = self.running {
            timeline.record(phase, since.elapsed());
        }
        timeline
    }

    fn stop(&mut self, now: Instant) {
        if let Some((phase, since)) = self.running.take() {
            self.spent
                .record(phase, now.saturating_duration_since(since));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn every_stage_but_quit_has_a_phase() {
        for (stage, phase) in [
            (Stage::Connect, Some(Phase::Connect)),
            (Stage::TlsHandshake, Some(Phase::Tls)),
            (Stage::StartTls, Some(Phase::Tls)),
            (Stage::Greeting, Some(Phase::Greeting)),
            (Stage::Ehlo, Some(Phase::Ehlo)),
            (Stage::Auth, Some(Phase::Auth)),
            (Stage::Mail, Some(Phase::Envelope)),
            (Stage::Rcpt, Some(Phase::Envelope)),
            (Stage::Rset, Some(Phase::Envelope)),
            (Stage::Data, Some(Phase::Data)),
            (Stage::Content, Some(Phase::Data)),
            (Stage::EndOfData, Some(Phase::FinalReply)),
            (Stage::Quit, None),
            (Stage::Command, None),
        ] {
            assert_eq!(Phase::of(stage), phase, "{stage}");
        }
    }

    #[test]
    fn the_summary_names_the_phases_entered_and_the_total() {
        let mut full = Timeline::default();
        for (phase, micros) in Phase::ALL
            .into_iter()
            .zip([300, 5_600, 200, 400, 3_700, 500, 1_200, 2_100_u64])
        {
            full.record(phase, Duration::from_micros(micros));
        }
        let mut reused = Timeline::default();
        reused.record(Phase::Envelope, ms(12));
        reused.record(Phase::Data, Duration::ZERO);
        reused.record(Phase::FinalReply, ms(30));
        for (timeline, text) in [
            (
                full,
                "connect 0.3 ms · TLS 5.6 ms · greeting 0.2 ms · EHLO 0.4 ms · AUTH 3.7 ms · \
                 MAIL/RCPT 0.5 ms · DATA 1.2 ms · final reply 2.1 ms · total 14 ms",
            ),
            (
                reused,
                "MAIL/RCPT 12 ms · DATA 0.0 ms · final reply 30 ms · total 42 ms",
            ),
            (Timeline::default(), "total 0.0 ms"),
        ] {
            assert_eq!(timeline.to_string(), text);
        }
    }

    #[test]
    fn a_timeline_is_small_and_saturates() {
        assert_eq!(size_of::<Timeline>(), 64);
        let mut t = Timeline::default();
        t.record(Phase::Data, Duration::MAX);
        t.record(Phase::Data, Duration::MAX);
        assert!(t.get(Phase::Data).unwrap() > Duration::from_secs(500 * 365 * 86_400));
        assert_eq!(t.get(Phase::Connect), None);
    }

    #[test]
    fn timelines_add_phase_by_phase() {
        let mut a = Timeline::default();
        a.record(Phase::Connect, ms(1));
        a.record(Phase::Data, ms(2));
        let mut b = Timeline::default();
        b.record(Phase::Data, ms(3));
        b.record(Phase::FinalReply, ms(4));
        a.add(&b);
        assert_eq!(
            a.phases().collect::<Vec<_>>(),
            [
                (Phase::Connect, ms(1)),
                (Phase::Data, ms(5)),
                (Phase::FinalReply, ms(4))
            ]
        );
        assert_eq!(a.total(), ms(10));
        assert!(!a.is_empty());
        assert!(Timeline::default().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_clock_counts_each_stage_until_the_next_and_nothing_while_idle() {
        let mut clock = StageClock::default();
        for (stage, wait) in [
            (Stage::Connect, 1),
            (Stage::Greeting, 2),
            (Stage::Ehlo, 3),
            (Stage::StartTls, 4),
            (Stage::TlsHandshake, 5),
            (Stage::Ehlo, 6),
        ] {
            clock.enter(stage);
            tokio::time::sleep(ms(wait)).await;
        }
        clock.idle();
        assert!(!clock.is_running());
        tokio::time::sleep(ms(1000)).await;
        assert_eq!(clock.peek().total(), ms(21), "idle time counts nowhere");
        clock.enter(Stage::Mail);
        tokio::time::sleep(ms(7)).await;
        assert_eq!(clock.peek().get(Phase::Envelope), Some(ms(7)));
        let lap = clock.lap();
        assert_eq!(
            lap.phases().collect::<Vec<_>>(),
            [
                (Phase::Connect, ms(1)),
                (Phase::Tls, ms(9)),
                (Phase::Greeting, ms(2)),
                (Phase::Ehlo, ms(9)),
                (Phase::Envelope, ms(7)),
            ]
        );
        assert!(clock.peek().is_empty(), "a lap starts the next timeline");
        clock.enter(Stage::Quit);
        tokio::time::sleep(ms(5)).await;
        assert!(clock.lap().is_empty(), "QUIT is no phase");
    }
}
