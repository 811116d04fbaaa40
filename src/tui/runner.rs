//! The composer's event loop, generic over the ratatui backend and the
//! input stream so tests drive the real loop with a `TestBackend` and
//! scripted events (as slumber does): one `select!` over terminal input,
//! worker events, effect results, a wake-up and a stop signal; it drains a
//! burst of worker events before drawing once, and performs the model's
//! [`Action`]s.

use std::{fs::File, future::Future, io::Write as _, path::PathBuf, time::Instant};

use futures::{Stream, StreamExt as _};
use ratatui::{Terminal, backend::Backend, crossterm::event::Event};
use tokio::sync::mpsc;

use super::editor;
use crate::{
    addresses,
    app::{Action, App, Msg, Saved},
    cli::{Failure, exit},
    config, export, files, mail, password, pathcomplete, term, ui,
    worker::{Job, WorkerEvent},
};

/// Worker events handled per frame at most, so a flood of log lines still
/// lets keys through and the screen refresh.
const EVENTS_PER_FRAME: usize = 4096;

/// The wall clock and the monotonic clock, read together.
#[expect(
    clippy::disallowed_methods,
    reason = "the composer's one wall-clock read"
)]
pub fn tick() -> Msg {
    Msg::Tick {
        now: Instant::now(),
        wall: chrono::Local::now().naive_local(),
    }
}

/// The terminal beyond drawing: its input events, and handing it to
/// another program (the editor) and back. The real one is crossterm's;
/// tests script the input and have nothing to hand over.
pub trait Console {
    /// The input events.
    type Input: Stream<Item = std::io::Result<Event>> + Unpin;
    /// A fresh input stream (after the editor ran, the old one was dropped
    /// so that it could not read the editor's keys).
    fn input(&mut self) -> Self::Input;
    /// Hands the terminal over.
    fn suspend(&mut self) -> std::io::Result<()>;
    /// Takes it back.
    fn resume(&mut self) -> std::io::Result<()>;
    /// Stops the process until the shell continues it (between
    /// [`Console::suspend`] and [`Console::resume`]). Scripted consoles
    /// have nothing to stop.
    fn stop(&mut self) {}
}

/// Job control from outside: the signals a shell's `kill -TSTP` / `fg`
/// (or another program) send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobControl {
    /// SIGTSTP: suspend as Ctrl+Z does.
    Stop,
    /// SIGCONT: continued after a stop the composer did not see coming
    /// (SIGSTOP); the terminal modes must be set again.
    Continued,
}

/// The loop's state: the model, the job channel, and what effects need.
pub struct Runner {
    app: App,
    jobs: mpsc::Sender<Job>,
    effects: mpsc::UnboundedSender<Msg>,
    effect_results: Option<mpsc::UnboundedReceiver<Msg>>,
    transcript: Option<File>,
    /// The `--transcript` file's format, and its writer once a line came.
    transcript_format: export::TranscriptFormat,
    exporter: Option<export::Exporter<chrono::Local>>,
    /// The stage the worker reported last (JSON Lines carry it).
    stage: Option<crate::smtp::Stage>,
    /// The clock (tests pin it).
    clock: fn() -> Msg,
    /// The editor to run for F4 (`$VISUAL`, `$EDITOR`, `vi`).
    editor: String,
    /// A body waiting for the editor (run by the loop, which owns the
    /// terminal).
    edit: Option<String>,
    /// Ctrl+Z or SIGTSTP: suspend after this message.
    suspend: bool,
    /// SIGTSTP and SIGCONT, when the real terminal is in use.
    job_control: Option<mpsc::UnboundedReceiver<JobControl>>,
    /// Repaint every cell on the next frame (after the password command,
    /// whose error output may have landed on the screen).
    clear: bool,
    quit: bool,
}

impl Runner {
    /// A runner for `app`, sending jobs on `jobs` and appending log lines
    /// to `transcript`.
    pub fn new(app: App, jobs: mpsc::Sender<Job>, transcript: Option<File>) -> Runner {
        let (effects, effect_results) = mpsc::unbounded_channel();
        Runner {
            app,
            jobs,
            effects,
            effect_results: Some(effect_results),
            transcript,
            transcript_format: export::TranscriptFormat::Text,
            exporter: None,
            stage: None,
            clock: tick,
            editor: editor::editor(),
            edit: None,
            suspend: false,
            job_control: None,
            clear: false,
            quit: false,
        }
    }

    /// Writes the `--transcript` file in `format`.
    #[must_use]
    pub fn with_transcript_format(mut self, format: export::TranscriptFormat) -> Runner {
        self.transcript_format = format;
        self
    }

    /// Replaces the editor command (tests).
    #[must_use]
    pub fn with_editor(mut self, editor: &str) -> Runner {
        editor.clone_into(&mut self.editor);
        self
    }

    /// Job control from outside (SIGTSTP, SIGCONT), as the real terminal
    /// has it.
    #[must_use]
    pub fn with_job_control(mut self, signals: mpsc::UnboundedReceiver<JobControl>) -> Runner {
        self.job_control = Some(signals);
        self
    }

    /// Replaces the clock (tests: a fixed time, so frames are repeatable).
    #[must_use]
    pub fn with_clock(mut self, clock: fn() -> Msg) -> Runner {
        self.clock = clock;
        self
    }

    /// The model.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Loops until the user quits, the input ends, or `stop` resolves.
    pub async fn run<B, C>(
        &mut self,
        terminal: &mut Terminal<B>,
        console: &mut C,
        mut events: mpsc::UnboundedReceiver<WorkerEvent>,
        stop: impl Future<Output = ()>,
    ) -> Result<(), Failure>
    where
        B: Backend,
        C: Console,
    {
        let mut input = console.input();
        let mut effect_results = self
            .effect_results
            .take()
            .ok_or_else(|| Failure::new(exit::UNAVAILABLE, "the composer's loop ran twice"))?;
        let mut worker_alive = true;
        let mut job_control = self.job_control.take();
        tokio::pin!(stop);
        if let Some(action) = self.app.at_start() {
            self.perform(action);
        }
        loop {
            if std::mem::take(&mut self.clear) {
                repaint(terminal).map_err(|e| terminal_failure(&e))?;
            }
            terminal
                .draw(|frame| ui::draw(frame, &self.app))
                .map_err(|e| terminal_failure(&e))?;
            let wakeup = self.app.next_wakeup();
            // Biased: a stop first, then what the worker and the effects
            // reported, then input, so a key is always judged against the
            // latest state (a Ctrl+S just after "connected" sees the open
            // session). Worker events are bounded by network round trips, so
            // input is never starved.
            let msg = tokio::select! {
                biased;
                // Killed or hung up: the caller saves the draft and leaves.
                () = &mut stop => return Ok(()),
                event = events.recv(), if worker_alive => match event {
                    Some(event) => Some(self.worker_event(event)),
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
                event = input.next() => match event {
                    Some(Ok(event)) => term::translate(event),
                    Some(Err(e)) => return Err(terminal_failure(&e)),
                    // The terminal is gone.
                    None => return Ok(()),
                },
                Some(signal) = next_signal(&mut job_control) => {
                    match signal {
                        JobControl::Stop => self.suspend = true,
                        // Stopped behind our back: whatever the shell did to
                        // the terminal, set the modes again.
                        JobControl::Continued => {
                            let _ = console.suspend();
                            console.resume().map_err(|e| terminal_failure(&e))?;
                            self.clear = true;
                        }
                    }
                    None
                },
                () = sleep_until(wakeup) => None,
            };
            self.dispatch((self.clock)());
            if let Some(msg) = msg {
                self.dispatch(msg);
            }
            // Take what else the worker has sent, up to a frame's worth, so
            // a long burst of lines costs one redraw rather than one each.
            for _ in 0..EVENTS_PER_FRAME {
                let Ok(event) = events.try_recv() else { break };
                let msg = self.worker_event(event);
                self.dispatch(msg);
            }
            if let Some(text) = self.edit.take() {
                // The input stream is dropped first: its reader thread must
                // not take the editor's keys.
                drop(input);
                let result = match console.suspend() {
                    Ok(()) => editor::edit(&text, &self.editor),
                    Err(e) => Err(format!("cannot hand the terminal to the editor: {e}")),
                };
                console.resume().map_err(|e| terminal_failure(&e))?;
                self.clear = true;
                input = console.input();
                self.dispatch(Msg::Edited(result));
            }
            if std::mem::take(&mut self.suspend) {
                // As for the editor: no reader thread while stopped.
                drop(input);
                if let Some(action) = self.app.pending_draft() {
                    self.perform(action);
                }
                console.suspend().map_err(|e| terminal_failure(&e))?;
                console.stop();
                console.resume().map_err(|e| terminal_failure(&e))?;
                self.clear = true;
                input = console.input();
            }
            if self.quit {
                return Ok(());
            }
        }
    }

    /// Writes unsaved edits now: nothing typed is lost, whichever way the
    /// loop ended.
    pub fn save_draft_now(&mut self) {
        if let Some(action) = self.app.pending_draft() {
            self.perform(action);
        }
        if let Some(action) = self.app.pending_addresses() {
            self.perform(action);
        }
    }

    /// A worker event as a message; log lines also go to `--transcript`.
    fn worker_event(&mut self, event: WorkerEvent) -> Msg {
        if let WorkerEvent::Stage(stage) = &event {
            self.stage = Some(*stage);
        }
        if let (WorkerEvent::Line(line), Some(file)) = (&event, &mut self.transcript) {
            let started = self.app.started();
            let format = self.transcript_format;
            let exporter = self.exporter.get_or_insert_with(|| {
                export::Exporter::new(format, &export::in_zone(&chrono::Local, &started))
            });
            if writeln!(file, "{}", exporter.line(line, self.stage)).is_err() {
                self.transcript = None;
                self.app
                    .problem("writing the --transcript file failed; it stops here");
            }
        }
        Msg::Worker(event)
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
                        tokio::task::spawn_blocking(move || password::run_command(&command)).await;
                    let result = match result {
                        Ok(result) => result.map_err(|e| e.to_string()),
                        Err(e) => Err(format!("it did not finish: {e}")),
                    };
                    // The runner may have quit meanwhile; nothing to do then.
                    let _ = effects.send(Msg::Password(result));
                });
                None
            }
            Action::SaveSettings {
                path,
                account,
                settings,
            } => {
                let result = save_settings(&path, &account, &settings).map(|()| path);
                self.app.update(Msg::Saved {
                    what: Saved::Settings,
                    result,
                })
            }
            Action::SaveDraft { path, text } => {
                match files::write_private(&path, text.as_bytes()) {
                    Ok(()) => None,
                    Err(e) => self.app.update(Msg::Saved {
                        what: Saved::Draft,
                        result: Err(e.to_string()),
                    }),
                }
            }
            Action::SaveLog { dir, stem, format } => {
                let lines: Vec<_> = self
                    .app
                    .log
                    .lines()
                    .map(|e| (e.to_line(), e.stage))
                    .collect();
                let anchor = export::in_zone(&chrono::Local, &self.app.started());
                let text = export::render(
                    format,
                    &anchor,
                    lines.iter().map(|(line, stage)| (line, *stage)),
                );
                let result = files::write_unique(&dir, &stem, format.extension(), text.as_bytes())
                    .map_err(|e| e.to_string());
                // Ctrl+L is also the usual "repaint the screen".
                self.clear = true;
                self.app.update(Msg::Saved {
                    what: Saved::Log,
                    result,
                })
            }
            Action::CompletePath { typed } => {
                let (cwd, home) = places();
                let completion = pathcomplete::complete(&typed, &cwd, home.as_deref());
                self.app.update(Msg::Completed(completion))
            }
            Action::Attach { typed } => {
                let (cwd, home) = places();
                let path = pathcomplete::expand(&typed, &cwd, home.as_deref());
                let result = mail::Attachment::open(&path).map_err(|e| e.to_string());
                self.app.update(Msg::Attached(result))
            }
            Action::Preview { id, request } => {
                let effects = self.effects.clone();
                tokio::spawn(async move {
                    // It reads every attached file: off the UI thread.
                    let built =
                        tokio::task::spawn_blocking(move || request.build(mail::Stamp::now()))
                            .await
                            .map(Box::new)
                            .map_err(|e| format!("building it did not finish: {e}"));
                    // The runner may have quit meanwhile; nothing to do then.
                    let _ = effects.send(Msg::Previewed { id, result: built });
                });
                None
            }
            Action::EditBody { text } => {
                // Nothing typed may be lost if the editor or the terminal
                // goes wrong: the draft is written first.
                if let Some(save) = self.app.draft_now() {
                    self.perform(save);
                }
                self.edit = Some(text);
                None
            }
            Action::QueryAddresses { command, query } => {
                let effects = self.effects.clone();
                tokio::spawn(async move {
                    let result = addresses::query_command(&command, &query).await;
                    // The runner may have quit meanwhile; nothing to do then.
                    let _ = effects.send(Msg::AddressesFound { query, result });
                });
                None
            }
            Action::SaveAddresses { path, history } => match history.save(&path) {
                Ok(()) => None,
                Err(e) => self.app.update(Msg::Saved {
                    what: Saved::Addresses,
                    result: Err(e.to_string()),
                }),
            },
            Action::PrintCommand(request) => {
                let effects = self.effects.clone();
                tokio::spawn(async move {
                    // swaks and curl get the letter saved beside the script:
                    // every attachment read, two synced writes; off the UI
                    // thread, as the preview.
                    let result = tokio::task::spawn_blocking(move || write_command(&request))
                        .await
                        .unwrap_or_else(|e| Err(format!("writing it did not finish: {e}")));
                    // The runner may have quit meanwhile; nothing to do then.
                    let _ = effects.send(Msg::CommandWritten(result));
                });
                None
            }
            Action::Suspend => {
                self.suspend = true;
                None
            }
            Action::Quit => {
                self.quit = true;
                None
            }
        }
    }
}

/// Ctrl+P: the command for the tool; swaks and curl send the letter as
/// `equivalent::build_letter` builds it, saved (0600) in the data folder.
fn write_command(request: &crate::app::CommandRequest) -> Result<crate::app::Written, String> {
    let (text, letter) = command_text(request)?;
    let script = files::write_unique(
        &request.dir,
        &format!("send-with-{}", request.tool),
        "sh",
        format!("#!/bin/sh\n{text}\n").as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    Ok(crate::app::Written {
        text,
        letter,
        script,
    })
}

fn command_text(request: &crate::app::CommandRequest) -> Result<(String, Option<PathBuf>), String> {
    use crate::equivalent::{self, BuiltLetter, DraftLetter, Tool};
    let parts = crate::submit::Parts {
        draft: &request.draft,
        file: None,
        attachments: &request.attachments,
    };
    if request.tool == Tool::Smtpwire {
        let attachments: Vec<PathBuf> = request
            .attachments
            .iter()
            .map(|a| std::path::absolute(a.path()).unwrap_or_else(|_| a.path().to_owned()))
            .collect();
        let text = equivalent::smtpwire(
            &request.resolved,
            &DraftLetter {
                draft: &request.draft,
                body_file: None,
                repeat: 1,
                attachments: &attachments,
            },
        );
        return Ok((text, None));
    }
    let (letter, envelope) =
        equivalent::build_letter(parts, &mail::Stamp::now()).map_err(|e| e.to_string())?;
    let bytes = letter
        .letter()
        .to_bytes()
        .map_err(|e| format!("cannot read an attachment: {e}"))?;
    let path =
        files::write_unique(&request.dir, "letter", "eml", &bytes).map_err(|e| e.to_string())?;
    let built = BuiltLetter {
        file: &path,
        envelope: &envelope,
    };
    let text = if request.tool == Tool::Swaks {
        equivalent::swaks(&request.resolved, &built)
    } else {
        equivalent::curl(&request.resolved, &built)
    };
    Ok((text, Some(path)))
}

/// Ctrl+W: a config file that cannot be read back (broken, untrusted) is
/// kept as `NAME.broken` before it is overwritten.
fn save_settings(
    path: &std::path::Path,
    account: &str,
    settings: &config::Settings,
) -> Result<(), String> {
    let mut kept = None;
    if config::load(path).is_err() {
        kept = Some(files::backup_broken(path).map_err(|e| e.to_string())?);
    }
    config::save_account(path, account, settings).map_err(|e| match &kept {
        Some(kept) => format!("{e} (the old file is kept as {})", kept.display()),
        None => e.to_string(),
    })
}

/// Clears the screen and makes the next frame draw every cell. Not
/// `Terminal::clear`: ratatui 0.30 reads the cursor position there, which
/// needs a terminal answer on stdin that may not come (just after the
/// editor gave the terminal back, it did not, within crossterm's 2 s).
fn repaint<B: Backend>(terminal: &mut Terminal<B>) -> Result<(), B::Error> {
    terminal.backend_mut().clear()?;
    // A blank frame: ratatui then believes the screen is blank, as it is,
    // and the next frame writes every cell that is not.
    terminal.draw(|frame| frame.render_widget(ratatui::widgets::Clear, frame.area()))?;
    Ok(())
}

/// The current folder and the home folder, for the attach prompt.
fn places() -> (PathBuf, Option<PathBuf>) {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    (cwd, std::env::var_os("HOME").map(PathBuf::from))
}

fn terminal_failure(e: &impl std::fmt::Display) -> Failure {
    Failure::new(exit::UNAVAILABLE, format!("the terminal failed: {e}"))
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// The next job-control signal, or never without a source.
async fn next_signal(
    signals: &mut Option<mpsc::UnboundedReceiver<JobControl>>,
) -> Option<JobControl> {
    match signals {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
