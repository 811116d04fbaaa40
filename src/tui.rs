//! The full-screen composer's entry point: it loads the settings and the
//! saved draft ([`startup`]), enters the terminal, starts the worker on a
//! thread of its own, and hands everything to the [`Runner`], which loops
//! over terminal events, worker events, effect results and timers. With
//! `term.rs`, the only place that touches the terminal, the clock and the
//! disk on the composer's behalf.

mod editor;
mod runner;
mod startup;

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicI32, Ordering},
    },
    time::Duration,
};

use tokio::{
    signal::unix::{SignalKind, signal},
    sync::mpsc,
};

pub use self::{
    runner::{Console, JobControl, Runner, tick},
    startup::{Note, Startup, load_draft, prefill, startup},
};
use crate::{
    app::{App, Attachments},
    cli::{
        Failure, Options,
        exit::{self},
    },
    term::Terminal,
    worker::{self, Job, WorkerEvent},
};

/// Runs the composer until the user quits.
pub async fn run(options: &Options) -> Result<(), Failure> {
    let startup = startup(options)?;
    let mut app = App::new(&startup.settings, startup.draft, startup.context);
    app.compose.attachments = Attachments::new(startup.attachments);
    app.place_signature();
    app.update(tick());
    if let Some((path, bytes)) = startup.opened_log {
        let skipped = crate::export::read_each(&String::from_utf8_lossy(&bytes), |line, stage| {
            app.log.push_staged(&line, stage);
        });
        drop(bytes);
        app.note(&format!(
            "opened {} lines from {}{}; F3 and Enter inspect them",
            app.log.len(),
            path.display(),
            if skipped > 0 {
                format!(" ({skipped} lines that are not log lines skipped)")
            } else {
                String::new()
            }
        ));
    }
    for note in startup.notes {
        match note {
            Note::Info(text) => app.note(&text),
            Note::Problem(text) => app.problem(&text),
        }
    }
    let mut terminal = Terminal::enter()
        .map_err(|e| Failure::new(exit::UNAVAILABLE, format!("cannot use the terminal: {e}")))?;
    let (jobs, events, worker) = spawn_worker()?;
    let mut runner = Runner::new(app, jobs, startup.transcript)
        .with_transcript_format(options.transcript_format)
        .with_job_control(job_control());
    let stopped_by = Arc::new(AtomicI32::new(0));
    let result = runner
        .run(
            &mut terminal.inner,
            &mut Crossterm,
            events,
            stop_signal(Arc::clone(&stopped_by)),
        )
        .await;
    runner.save_draft_now();
    drop(terminal);
    // The job channel closes with the runner. A copy in Sent still on its
    // way is then kept for later, and an open session gets its QUIT: give
    // the worker a moment for that, never more.
    drop(runner);
    // Polled, not joined on a blocking task: the runtime's shutdown would
    // wait for that join however long the worker takes.
    let since = std::time::Instant::now();
    while !worker.is_finished() && since.elapsed() < WORKER_GRACE {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Killed (the draft saved): exit as a killed program does, 128 + the
    // signal, with nothing more to say.
    match (result, stopped_by.load(Ordering::Relaxed)) {
        (Ok(()), signal) if signal > 0 => Err(Failure::new(
            u8::try_from(128 + signal).unwrap_or(exit::UNAVAILABLE),
            "",
        )),
        (result, _) => result,
    }
}

/// How long quitting waits for the worker to keep an unsaved copy and
/// leave the server.
const WORKER_GRACE: Duration = Duration::from_secs(3);

/// The real terminal's input and hand-over.
struct Crossterm;

impl Console for Crossterm {
    type Input = crossterm::event::EventStream;

    fn input(&mut self) -> Self::Input {
        crossterm::event::EventStream::new()
    }

    fn suspend(&mut self) -> std::io::Result<()> {
        Terminal::suspend()
    }

    fn resume(&mut self) -> std::io::Result<()> {
        Terminal::resume()
    }

    fn stop(&mut self) {
        // SIGSTOP, not SIGTSTP: the latter is ours now (job_control), and
        // would come back here. The shell sees the job stopped all the same.
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::STOP);
    }
}

/// SIGTSTP (`kill -TSTP`, a shell's job control) and SIGCONT, for the
/// runner: with a handler for SIGTSTP the kernel no longer stops the
/// process on its own, so the runner hands the terminal back first.
fn job_control() -> mpsc::UnboundedReceiver<JobControl> {
    let (tx, rx) = mpsc::unbounded_channel();
    for (kind, what) in [
        (SignalKind::from_raw(libc::SIGTSTP), JobControl::Stop),
        (SignalKind::from_raw(libc::SIGCONT), JobControl::Continued),
    ] {
        if let Ok(mut signals) = signal(kind) {
            let tx = tx.clone();
            tokio::spawn(async move {
                while signals.recv().await.is_some() {
                    if tx.send(what).is_err() {
                        break;
                    }
                }
            });
        }
    }
    rx
}

/// Resolves on SIGTERM, SIGHUP or SIGINT: killed or hung up, the runner
/// leaves (and the draft is saved on the way out).
fn stop_signal(stopped_by: Arc<AtomicI32>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    let mut signals: Vec<_> = [
        (SignalKind::terminate(), libc::SIGTERM),
        (SignalKind::hangup(), libc::SIGHUP),
        (SignalKind::interrupt(), libc::SIGINT),
    ]
    .into_iter()
    .filter_map(|(kind, number)| signal(kind).ok().map(|s| (s, number)))
    .collect();
    Box::pin(async move {
        if signals.is_empty() {
            std::future::pending::<()>().await;
        }
        let waits = signals
            .iter_mut()
            .map(|(s, number)| Box::pin(async move { s.recv().await.map(|()| *number) }));
        let (got, _, _) = futures::future::select_all(waits).await;
        stopped_by.store(got.unwrap_or(0), Ordering::Relaxed);
    })
}

/// Starts the worker on a thread of its own. The engine does CPU work that
/// must not stall the screen: building the TLS connector loads the system's
/// certificates (tens of milliseconds per job), handshakes, encoding large
/// letters. Quitting waits for it a moment ([`WORKER_GRACE`]), no longer.
type WorkerThread = std::thread::JoinHandle<()>;

fn spawn_worker() -> Result<
    (
        mpsc::Sender<Job>,
        mpsc::UnboundedReceiver<WorkerEvent>,
        WorkerThread,
    ),
    Failure,
> {
    let failure = |e: std::io::Error| {
        Failure::new(
            exit::UNAVAILABLE,
            format!("cannot start the SMTP worker: {e}"),
        )
    };
    let (jobs, jobs_rx) = mpsc::channel(8);
    let (events_tx, events) = mpsc::unbounded_channel();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(failure)?;
    let thread = std::thread::Builder::new()
        .name("smtp-worker".into())
        .spawn(move || runtime.block_on(worker::run(jobs_rx, events_tx)))
        .map_err(failure)?;
    Ok((jobs, events, thread))
}
