//! The runner of the full-screen composer: it loads the settings and the
//! saved draft, enters the terminal, starts the worker, and loops over
//! terminal events, worker events, effect results and timers, feeding each
//! to [`App::update`] and performing the [`Action`]s that come back. It is
//! the only place (with `term.rs`) that touches the terminal, the clock and
//! the disk on the composer's behalf.

use std::{
    fs::File,
    io::{IsTerminal as _, Write as _},
    path::{Path, PathBuf},
    time::Instant,
};

use futures::StreamExt as _;
use ratatui::crossterm::event::EventStream;
use tokio::{
    signal::unix::{Signal, SignalKind, signal},
    sync::mpsc,
};

use crate::{
    app::{Action, App, Context, Msg, Password, Saved, StoredDraft},
    cli::{self, Failure, Options, exit},
    config::{self, Settings},
    mail::DraftInput,
    term::{self, Terminal},
    ui,
    worker::{self, Job, WorkerEvent},
};

/// Worker events handled per frame at most, so a flood of log lines still
/// lets keys through and the screen refresh.
const EVENTS_PER_FRAME: usize = 4096;

/// Runs the composer until the user quits.
pub async fn run(options: &Options) -> Result<(), Failure> {
    let startup = startup(options)?;
    let transcript = match &options.transcript {
        Some(path) => Some(open_append(path)?),
        None => None,
    };
    let mut app = App::new(startup.settings, startup.draft, startup.context);
    app.update(tick());
    for (problem, text) in startup.notes {
        if problem {
            app.problem(&text);
        } else {
            app.note(&text);
        }
    }
    let mut terminal = Terminal::enter().map_err(|e| Failure {
        code: exit::UNAVAILABLE,
        message: format!("cannot use the terminal: {e}"),
    })?;
    let (jobs, events) = spawn_worker()?;
    let (effects, effect_results) = mpsc::unbounded_channel();
    let mut runner = Runner {
        app,
        jobs,
        effects,
        transcript,
        clear: false,
        quit: false,
    };
    let result = runner
        .event_loop(&mut terminal, events, effect_results)
        .await;
    // Nothing typed is lost, whichever way the loop ended.
    if let Some(action) = runner.app.pending_draft() {
        runner.perform(action);
    }
    drop(terminal);
    result
}

/// Starts the worker on a thread of its own. The engine does CPU work that
/// must not stall the screen: building the TLS connector loads the system's
/// certificates (tens of milliseconds per job), handshakes, encoding large
/// letters. The thread is not joined: quitting sends QUIT first, and what
/// remains ends with the process.
fn spawn_worker() -> Result<(mpsc::Sender<Job>, mpsc::UnboundedReceiver<WorkerEvent>), Failure> {
    let failure = |e: std::io::Error| Failure {
        code: exit::UNAVAILABLE,
        message: format!("cannot start the SMTP worker: {e}"),
    };
    let (jobs, jobs_rx) = mpsc::channel(8);
    let (events_tx, events) = mpsc::unbounded_channel();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(failure)?;
    std::thread::Builder::new()
        .name("smtp-worker".into())
        .spawn(move || runtime.block_on(worker::run(jobs_rx, events_tx)))
        .map_err(failure)?;
    Ok((jobs, events))
}

/// The wall clock and the monotonic clock, read together.
#[allow(clippy::disallowed_methods)] // the composer's one wall-clock read
fn tick() -> Msg {
    Msg::Tick {
        now: Instant::now(),
        wall: chrono::Local::now().naive_local(),
    }
}

struct Runner {
    app: App,
    jobs: mpsc::Sender<Job>,
    effects: mpsc::UnboundedSender<Msg>,
    transcript: Option<File>,
    /// Repaint every cell on the next frame (after the password command,
    /// whose error output may have landed on the screen).
    clear: bool,
    quit: bool,
}

impl Runner {
    async fn event_loop(
        &mut self,
        terminal: &mut Terminal,
        mut events: mpsc::UnboundedReceiver<WorkerEvent>,
        mut effect_results: mpsc::UnboundedReceiver<Msg>,
    ) -> Result<(), Failure> {
        let mut input = EventStream::new();
        let mut signals = [
            SignalKind::terminate(),
            SignalKind::hangup(),
            SignalKind::interrupt(),
        ]
        .map(|kind| signal(kind).ok());
        let mut worker_alive = true;
        loop {
            if std::mem::take(&mut self.clear)
                && let Err(e) = terminal.inner.clear()
            {
                return Err(terminal_failure(&e));
            }
            if let Err(e) = terminal.inner.draw(|frame| ui::draw(frame, &self.app)) {
                return Err(terminal_failure(&e));
            }
            let wakeup = self.app.next_wakeup();
            let [term_signal, hup_signal, int_signal] = &mut signals;
            let msg = tokio::select! {
                event = input.next() => match event {
                    Some(Ok(event)) => term::translate(event),
                    Some(Err(e)) => return Err(terminal_failure(&e)),
                    // The terminal is gone.
                    None => return Ok(()),
                },
                event = events.recv(), if worker_alive => match event {
                    Some(event) => self.worker_event(event),
                    None => {
                        worker_alive = false;
                        Some(Msg::WorkerGone)
                    }
                },
                Some(msg) = effect_results.recv() => {
                    if matches!(msg, Msg::Password(_)) {
                        self.clear = true;
                    }
                    Some(msg)
                },
                () = sleep_until(wakeup) => None,
                // Killed or hung up: save the draft (in `run`) and leave.
                () = next_signal(term_signal) => return Ok(()),
                () = next_signal(hup_signal) => return Ok(()),
                () = next_signal(int_signal) => return Ok(()),
            };
            self.dispatch(tick());
            if let Some(msg) = msg {
                self.dispatch(msg);
            }
            // Take what else the worker has sent, up to a frame's worth, so
            // a long burst of lines costs one redraw rather than one each.
            for _ in 0..EVENTS_PER_FRAME {
                let Ok(event) = events.try_recv() else { break };
                if let Some(msg) = self.worker_event(event) {
                    self.dispatch(msg);
                }
            }
            if self.quit {
                return Ok(());
            }
        }
    }

    /// A worker event as a message; log lines also go to `--transcript`.
    fn worker_event(&mut self, event: WorkerEvent) -> Option<Msg> {
        if let (WorkerEvent::Line(line), Some(file)) = (&event, &mut self.transcript)
            && writeln!(file, "{line}").is_err()
        {
            self.transcript = None;
            self.app
                .problem("writing the --transcript file failed; it stops here");
        }
        Some(Msg::Worker(event))
    }

    fn dispatch(&mut self, msg: Msg) {
        let mut next = self.app.update(msg);
        while let Some(action) = next.take() {
            next = self.perform(action);
        }
    }

    /// Performs an effect; its result goes back to the model, which may ask
    /// for another.
    fn perform(&mut self, action: Action) -> Option<Action> {
        match action {
            Action::Job(job) => match self.jobs.try_send(job) {
                Ok(()) => None,
                Err(_) => self.app.update(Msg::WorkerGone),
            },
            Action::RunPasswordCommand(command) => {
                let effects = self.effects.clone();
                tokio::spawn(async move {
                    let result =
                        tokio::task::spawn_blocking(move || cli::run_password_command(&command))
                            .await;
                    let result = match result {
                        Ok(Ok(password)) => Ok(Password::new(password)),
                        Ok(Err(failure)) => Err(failure.message),
                        Err(e) => Err(format!("it did not finish: {e}")),
                    };
                    // The runner may have quit meanwhile; nothing to do then.
                    let _ = effects.send(Msg::Password(result));
                });
                None
            }
            Action::SaveSettings { path, settings } => {
                let result = config::save(&path, &settings)
                    .map(|()| path)
                    .map_err(|e| e.to_string());
                self.app.update(Msg::Saved {
                    what: Saved::Settings,
                    result,
                })
            }
            Action::SaveDraft { path, text } => {
                match config::write_private(&path, text.as_bytes()) {
                    Ok(()) => None,
                    Err(e) => self.app.update(Msg::Saved {
                        what: Saved::Draft,
                        result: Err(format!("{}: {e}", path.display())),
                    }),
                }
            }
            Action::SaveLog { path } => {
                let mut text = String::new();
                for line in self.app.log.lines() {
                    text.push_str(&line.to_string());
                    text.push('\n');
                }
                let result = config::write_private(&path, text.as_bytes())
                    .map(|()| path.clone())
                    .map_err(|e| format!("{}: {e}", path.display()));
                // Ctrl+L is also the usual "repaint the screen".
                self.clear = true;
                self.app.update(Msg::Saved {
                    what: Saved::Log,
                    result,
                })
            }
            Action::Quit => {
                self.quit = true;
                None
            }
        }
    }
}

fn terminal_failure(e: &std::io::Error) -> Failure {
    Failure {
        code: exit::UNAVAILABLE,
        message: format!("the terminal failed: {e}"),
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

async fn next_signal(signal: &mut Option<Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// Everything `App::new` needs, and what to tell the user first.
struct Startup {
    settings: Settings,
    draft: DraftInput,
    context: Context,
    /// `(is_problem, text)`.
    notes: Vec<(bool, String)>,
}

fn startup(options: &Options) -> Result<Startup, Failure> {
    let mut notes = Vec::new();
    let config_path = match config::config_path(options.config.as_deref()) {
        Ok(path) => Some(path),
        Err(e) => {
            notes.push((true, e.to_string()));
            None
        }
    };
    let file = match &config_path {
        None => Settings::default(),
        Some(path) => match config::load(path) {
            Ok(Some(settings)) => {
                notes.push((false, format!("settings from {}", path.display())));
                settings
            }
            Ok(None) => {
                if options.config.is_some() {
                    notes.push((
                        true,
                        format!(
                            "config file {} not found; using defaults (Ctrl+W creates it)",
                            path.display()
                        ),
                    ));
                }
                Settings::default()
            }
            Err(e) => {
                notes.push((true, format!("{e}; using defaults")));
                Settings::default()
            }
        },
    };
    let settings = file.overlay(&options.as_settings());

    let data_dir = match config::data_dir() {
        Ok(dir) => Some(dir),
        Err(e) => {
            notes.push((true, format!("{e}; the draft cannot be saved")));
            None
        }
    };
    let stored = data_dir
        .as_ref()
        .and_then(|dir| load_draft(&dir.join("draft.toml"), &mut notes));
    let body = if options.body.is_some() || options.body_file.is_some() {
        if options.body_file.as_deref() == Some(Path::new("-")) && std::io::stdin().is_terminal() {
            return Err(Failure {
                code: exit::USAGE,
                message:
                    "--body-file - reads the body from a pipe; the composer's input is the terminal"
                        .into(),
            });
        }
        Some(cli::read_body(options)?)
    } else {
        None
    };
    let draft = prefill(stored.unwrap_or_default(), options, body);

    for (given, flag) in [
        (options.dry_run, "--dry-run"),
        (options.eml.is_some(), "--eml"),
        (options.repeat > 1, "--repeat"),
        (options.quiet, "--quiet"),
    ] {
        if given {
            notes.push((
                false,
                format!("{flag} is for `smtpwire send`; ignored here"),
            ));
        }
    }
    let password = match std::env::var("SMTPWIRE_PASSWORD") {
        Ok(p) if !p.is_empty() => Some(Password::new(p)),
        _ => None,
    };
    let context = Context {
        hostname: gethostname::gethostname().to_string_lossy().into_owned(),
        config_path,
        data_dir,
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        password,
    };
    Ok(Startup {
        settings,
        draft,
        context,
        notes,
    })
}

/// The saved draft, if there is one; a broken one is set aside (not
/// overwritten) and reported.
fn load_draft(path: &Path, notes: &mut Vec<(bool, String)>) -> Option<DraftInput> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            notes.push((
                true,
                format!("cannot read the saved draft {}: {e}", path.display()),
            ));
            return None;
        }
    };
    match StoredDraft::from_toml(&text) {
        Ok(stored) => {
            let sent = stored.sent;
            let input = stored.into_input();
            if sent {
                notes.push((false, "the last letter was sent; this is a new one".into()));
            } else if input != DraftInput::default() {
                notes.push((false, format!("draft restored from {}", path.display())));
            }
            Some(input)
        }
        Err(reason) => {
            let aside = PathBuf::from(format!("{}.broken", path.display()));
            let kept = match std::fs::rename(path, &aside) {
                Ok(()) => format!("kept as {}", aside.display()),
                Err(e) => format!("and could not be moved aside: {e}"),
            };
            notes.push((
                true,
                format!(
                    "the saved draft {} is not readable ({reason}); {kept}",
                    path.display()
                ),
            ));
            None
        }
    }
}

/// The saved draft with the command line's letter options laid over it:
/// a field given on the command line wins.
fn prefill(mut draft: DraftInput, options: &Options, body: Option<String>) -> DraftInput {
    let list = |values: &[String]| (!values.is_empty()).then(|| values.join(", "));
    if let Some(from) = &options.from {
        draft.from.clone_from(from);
    }
    if let Some(to) = list(&options.to) {
        draft.to = to;
    }
    if let Some(cc) = list(&options.cc) {
        draft.cc = cc;
    }
    if let Some(bcc) = list(&options.bcc) {
        draft.bcc = bcc;
    }
    if let Some(subject) = &options.subject {
        draft.subject.clone_from(subject);
    }
    if let Some(body) = body {
        draft.body = body;
    }
    draft
}

fn open_append(path: &Path) -> Result<File, Failure> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Failure {
            code: exit::CANTCREAT,
            message: format!("cannot open the transcript file {}: {e}", path.display()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_letter_options_win_over_the_draft() {
        let saved = DraftInput {
            from: "saved@example.org".into(),
            to: "old@example.org".into(),
            cc: "keep@example.org".into(),
            subject: "saved subject".into(),
            body: "saved body".into(),
            ..DraftInput::default()
        };
        let options = Options {
            to: vec!["a@example.org".into(), "b@example.org".into()],
            subject: Some("Тема".into()),
            ..Options::default()
        };
        let draft = prefill(saved, &options, Some("new body".into()));
        assert_eq!(draft.from, "saved@example.org");
        assert_eq!(draft.to, "a@example.org, b@example.org");
        assert_eq!(draft.cc, "keep@example.org");
        assert_eq!(draft.subject, "Тема");
        assert_eq!(draft.body, "new body");
    }

    #[test]
    fn a_broken_draft_is_set_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("draft.toml");
        std::fs::write(&path, "to = [").unwrap();
        let mut notes = Vec::new();
        assert_eq!(load_draft(&path, &mut notes), None);
        assert!(dir.path().join("draft.toml.broken").exists());
        assert!(
            notes[0].0 && notes[0].1.contains("not readable"),
            "{notes:?}"
        );

        let stored = StoredDraft {
            to: "bob@example.org".into(),
            body: "Привет".into(),
            ..StoredDraft::default()
        };
        std::fs::write(&path, stored.to_toml().unwrap()).unwrap();
        let mut notes = Vec::new();
        let input = load_draft(&path, &mut notes).unwrap();
        assert_eq!(input.body, "Привет");
        assert!(notes[0].1.starts_with("draft restored"), "{notes:?}");
    }
}
