//! The composer's real event loop (`tui::Runner`) with the real worker and a
//! scripted server over loopback, drawn on a `TestBackend`: keys go in as
//! crossterm events, the runner turns them into jobs, the worker's events
//! come back through the loop. Each step waits for the job's `Done` event
//! (bounded by a timeout), never on a sleep.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::NaiveDate;
use futures::Stream;
use ratatui::{
    Terminal,
    backend::TestBackend,
    crossterm::event::{Event, KeyCode as CtKey, KeyEvent, KeyModifiers},
};
use smtpwire::{
    app::{App, Context, Msg, Overlay, Tone},
    mail::DraftInput,
    settings::Settings,
    smtp::{Dir, Security},
    tui::{Console, Runner},
    worker::{self, WorkerEvent},
};
use tokio::sync::{Notify, mpsc};

use crate::support::{self, Step};

/// One step of a scripted user.
pub(crate) enum Input {
    /// A key press.
    Key(KeyEvent),
    /// Wait until the running job's `Done` reached the loop.
    Done,
    /// Wait until the log has a line starting with this text.
    LogLine(&'static str),
    /// Wait until a report on copies in Sent reached the loop.
    Copy,
}

fn key(code: CtKey) -> Input {
    Input::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(crate) fn ctrl(c: char) -> Input {
    Input::Key(KeyEvent::new(CtKey::Char(c), KeyModifiers::CONTROL))
}

/// What the tee saw go past, for the script to wait on.
#[derive(Default)]
struct Seen {
    done: usize,
    copies: usize,
    lines: Vec<String>,
}

/// The scripted keys as the terminal's event stream: a key is given only
/// once what the script waits for has reached the loop. The loop takes
/// worker events before input, so the key is judged against that state.
fn script(
    steps: Vec<Input>,
    seen: Arc<Mutex<Seen>>,
    notify: Arc<Notify>,
) -> impl Stream<Item = std::io::Result<Event>> + Unpin + Send {
    Box::pin(futures::stream::unfold(
        (steps.into_iter(), 0usize),
        move |(mut steps, mut done_seen)| {
            let (seen, notify) = (Arc::clone(&seen), Arc::clone(&notify));
            async move {
                loop {
                    match steps.next()? {
                        Input::Key(key) => return Some((Ok(Event::Key(key)), (steps, done_seen))),
                        Input::Done => {
                            done_seen += 1;
                            let wait = async {
                                loop {
                                    let notified = notify.notified();
                                    if seen.lock().unwrap().done >= done_seen {
                                        break;
                                    }
                                    notified.await;
                                }
                            };
                            tokio::time::timeout(Duration::from_secs(20), wait)
                                .await
                                .expect("no Done event within 20 s");
                        }
                        Input::Copy => {
                            let wait = async {
                                loop {
                                    let notified = notify.notified();
                                    if seen.lock().unwrap().copies > 0 {
                                        break;
                                    }
                                    notified.await;
                                }
                            };
                            tokio::time::timeout(Duration::from_secs(20), wait)
                                .await
                                .expect("no report on copies within 20 s");
                        }
                        Input::LogLine(prefix) => {
                            let wait = async {
                                loop {
                                    let notified = notify.notified();
                                    if seen
                                        .lock()
                                        .unwrap()
                                        .lines
                                        .iter()
                                        .any(|l| l.starts_with(prefix))
                                    {
                                        break;
                                    }
                                    notified.await;
                                }
                            };
                            tokio::time::timeout(Duration::from_secs(20), wait)
                                .await
                                .expect("the log line never came");
                        }
                    }
                }
            }
        },
    ))
}

type Events = std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Event>> + Send>>;

/// The scripted keys as the runner's console: every input stream it asks
/// for (a new one after the editor ran) reads on in the same script, and
/// there is no terminal to hand over.
struct ScriptConsole(Arc<Mutex<Events>>);

/// One reader of the shared script.
struct Reader(Arc<Mutex<Events>>);

impl Stream for Reader {
    type Item = std::io::Result<Event>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.lock().unwrap().as_mut().poll_next(cx)
    }
}

impl Console for ScriptConsole {
    type Input = Reader;

    fn input(&mut self) -> Reader {
        Reader(Arc::clone(&self.0))
    }

    fn suspend(&mut self) -> std::io::Result<()> {
        Ok(())
    }

    fn resume(&mut self) -> std::io::Result<()> {
        Ok(())
    }

    fn stop(&mut self) {
        STOPS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// How many times a scripted console was asked to stop the process (only
/// the Ctrl+Z test presses it).
static STOPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn pinned_clock() -> Msg {
    Msg::Tick {
        now: Instant::now(),
        wall: NaiveDate::from_ymd_opt(2025, 3, 14)
            .unwrap()
            .and_hms_opt(8, 41, 2)
            .unwrap(),
    }
}

/// Settings for a plain-text session with the scripted server on `port`.
pub(crate) fn settings(port: u16) -> Settings {
    Settings {
        server: Some("127.0.0.1".into()),
        port: Some(port),
        security: Some(Security::None),
        helo: Some("client.example.org".into()),
        timeout: Some(10),
        ..Settings::default()
    }
}

/// Runs the real loop over `steps`; returns the runner (its model) and the
/// last frame once the script ran out (which ends the input).
async fn run(
    settings: Settings,
    draft: DraftInput,
    steps: Vec<Input>,
) -> (Runner, Terminal<TestBackend>) {
    run_with(settings, Context::default(), draft, steps).await
}

/// [`run`] with this context (a password from the environment, say).
pub(crate) async fn run_with(
    settings: Settings,
    context: Context,
    draft: DraftInput,
    steps: Vec<Input>,
) -> (Runner, Terminal<TestBackend>) {
    run_full(settings, context, draft, steps, Extras::default()).await
}

/// What some tests add: files already attached, an editor for F4.
#[derive(Default)]
struct Extras {
    attachments: Vec<smtpwire::app::AttachedFile>,
    editor: Option<String>,
}

async fn run_full(
    settings: Settings,
    context: Context,
    draft: DraftInput,
    steps: Vec<Input>,
    extras: Extras,
) -> (Runner, Terminal<TestBackend>) {
    let (jobs, jobs_rx) = mpsc::channel(8);
    let (worker_tx, mut worker_rx) = mpsc::unbounded_channel();
    let worker = tokio::spawn(worker::run(jobs_rx, worker_tx));
    // The tee: every worker event to the loop, and a note of it for the
    // script.
    let (events_tx, events) = mpsc::unbounded_channel();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let notify = Arc::new(Notify::new());
    let tee = {
        let (seen, notify) = (Arc::clone(&seen), Arc::clone(&notify));
        tokio::spawn(async move {
            while let Some(event) = worker_rx.recv().await {
                {
                    let mut seen = seen.lock().unwrap();
                    match &event {
                        WorkerEvent::Done(_) => seen.done += 1,
                        WorkerEvent::Copy(_) => seen.copies += 1,
                        WorkerEvent::Line(line) => seen.lines.push(line.text.clone()),
                        _ => {}
                    }
                }
                if events_tx.send(event).is_err() {
                    break;
                }
                notify.notify_waiters();
            }
        })
    };
    let mut app = App::new(&settings, draft, context);
    app.compose.attachments = smtpwire::app::Attachments::new(extras.attachments);
    app.update(pinned_clock());
    let mut runner = Runner::new(app, jobs, None).with_clock(pinned_clock);
    if let Some(editor) = &extras.editor {
        runner = runner.with_editor(editor);
    }
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut console = ScriptConsole(Arc::new(Mutex::new(Box::pin(script(steps, seen, notify)))));
    tokio::time::timeout(
        Duration::from_secs(60),
        runner.run(&mut terminal, &mut console, events, std::future::pending()),
    )
    .await
    .expect("the loop did not end")
    .unwrap();
    // Detached: dropping the runner (the caller's) closes the job channel,
    // and the worker leaves with QUIT.
    drop(tee);
    drop(worker);
    (runner, terminal)
}

pub(crate) fn log(app: &App) -> String {
    app.log
        .lines()
        .map(|l| format!("{}\n", l.to_line()))
        .collect()
}

pub(crate) fn screen(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn letter() -> DraftInput {
    DraftInput {
        from: "Иван Петров <ivan@example.org>".into(),
        to: "Мария <maria@example.org>".into(),
        bcc: "secret@example.org".into(),
        subject: "Проверка связи".into(),
        body: "Привет, Мария!\n.строка с точкой\nИван".into(),
        ..DraftInput::default()
    }
}

#[tokio::test]
async fn send_then_disconnect_through_the_real_loop() {
    let (addr, server) = support::loopback_server(
        None,
        vec![
            Step::Reply("220 fake.example.org ESMTP"),
            Step::Expect("EHLO client.example.org"),
            Step::Reply(
                "250-fake.example.org\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250 SIZE 1000000",
            ),
            Step::ExpectPrefix("MAIL FROM:<ivan@example.org>"),
            Step::Reply("250 2.1.0 Ok"),
            Step::Expect("RCPT TO:<maria@example.org>"),
            Step::Reply("250 2.1.5 Ok"),
            Step::Expect("RCPT TO:<secret@example.org>"),
            Step::Reply("550 5.1.1 <secret@example.org>: Recipient address rejected: User unknown"),
            Step::Expect("DATA"),
            Step::Reply("354 End data with <CR><LF>.<CR><LF>"),
            Step::ReadData,
            Step::Reply("250 2.0.0 Ok: queued as WIRED1"),
            Step::Expect("QUIT"),
            Step::Reply("221 2.0.0 Bye"),
            Step::Close,
        ],
    )
    .await;
    // Ctrl+S sends (the letter has nothing to lint); the results window
    // shows. When the script ends, the worker leaves with QUIT.
    let (sent, terminal) = run(
        settings(addr.port()),
        letter(),
        vec![ctrl('s'), Input::Done],
    )
    .await;
    let app = sent.app();
    assert!(app.job.is_none());
    let status = app.status.clone().unwrap();
    // The result, then where the time went.
    assert_eq!(
        (
            status.tone,
            status.text.split(" · ").next().unwrap_or_default()
        ),
        (
            Tone::Warning,
            "sent to 1 of 2 recipients; 1 refused; queued as WIRED1"
        ),
        "{}",
        log(app)
    );
    let Some(Overlay::Results { delivery, .. }) = &app.overlay else {
        panic!("no results window")
    };
    let verdicts: Vec<_> = delivery
        .recipients
        .iter()
        .map(|r| (r.address.as_str(), r.accepted()))
        .collect();
    assert_eq!(
        verdicts,
        [("maria@example.org", true), ("secret@example.org", false)]
    );
    assert!(app.session_open(), "the session stays open");
    let frame = screen(&terminal);
    assert!(frame.contains("WIRED1"), "{frame}");
    drop(sent);

    let seen = server.await.unwrap().unwrap();
    let data = String::from_utf8(seen.data[0].clone()).unwrap();
    assert!(data.contains("To: =?utf-8?"), "{data}");
    assert!(data.contains("<maria@example.org>"), "{data}");
    assert!(!data.to_ascii_lowercase().contains("bcc"), "{data}");
    assert!(!data.contains("secret@example.org"), "{data}");
    // The body line starting with a dot went out dot-stuffed.
    assert!(data.contains("\r\n..строка с точкой\r\n"), "{data}");
}

#[tokio::test]
async fn connect_send_disconnect_and_quit_with_the_keys_a_person_uses() {
    let (addr, server) = support::loopback_server(
        None,
        vec![
            Step::Reply("220 fake.example.org ESMTP"),
            Step::Expect("EHLO client.example.org"),
            Step::Reply("250-fake.example.org\n250 8BITMIME"),
            Step::ExpectPrefix("MAIL FROM:<ivan@example.org>"),
            Step::Reply("250 2.1.0 Ok"),
            Step::Expect("RCPT TO:<maria@example.org>"),
            Step::Reply("250 2.1.5 Ok"),
            Step::Expect("RCPT TO:<secret@example.org>"),
            Step::Reply("250 2.1.5 Ok"),
            Step::Expect("DATA"),
            Step::Reply("354 go on"),
            Step::ReadData,
            Step::Reply("250 2.0.0 Ok: queued as WIRED2"),
            Step::Expect("QUIT"),
            Step::Reply("221 2.0.0 Bye"),
            Step::Close,
        ],
    )
    .await;
    let (runner, terminal) = run(
        settings(addr.port()),
        letter(),
        vec![
            ctrl('o'),
            Input::Done,
            ctrl('s'),
            Input::Done,
            key(CtKey::Esc),
            ctrl('d'),
            Input::Done,
            ctrl('q'),
        ],
    )
    .await;
    let app = runner.app();
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "disconnected: 221 2.0.0 Bye"
    );
    assert!(!app.session_open());
    let log = log(app);
    assert!(log.contains("S: 250 2.0.0 Ok: queued as WIRED2"), "{log}");
    assert!(log.contains("S: 221 2.0.0 Bye"), "{log}");
    assert!(screen(&terminal).contains("disconnected: 221 2.0.0 Bye"));
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn esc_cancels_a_stalled_connect_and_the_log_says_so() {
    let (addr, _server) = support::loopback_server(
        None,
        vec![Step::Reply("220 slow.example.org ESMTP"), Step::Stall],
    )
    .await;
    let (runner, _) = run(
        settings(addr.port()),
        letter(),
        // The greeting in, the worker now stuck on EHLO: Esc.
        vec![
            ctrl('o'),
            Input::LogLine("220 "),
            key(CtKey::Esc),
            Input::Done,
        ],
    )
    .await;
    let app = runner.app();
    assert!(app.job.is_none());
    assert!(!app.session_open());
    assert_eq!(app.status.as_ref().unwrap().tone, Tone::Warning);
    assert!(
        app.log
            .lines()
            .any(|l| l.dir == Dir::Note && l.text.starts_with("cancelled by the user")),
        "{}",
        log(app)
    );
    // The letter is still there to send later.
    assert_eq!(app.compose.subject.text(), "Проверка связи");
}

/// The composer trusts exactly what `smtpwire send` trusts: with
/// `system_roots = false` and no CA file it refuses before connecting.
#[tokio::test]
async fn the_composer_refuses_system_roots_off_without_a_ca_file() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let settings = Settings {
        security: Some(Security::StartTls),
        system_roots: Some(false),
        ..settings(port)
    };
    let (runner, terminal) = run(settings, letter(), vec![ctrl('o')]).await;
    let app = runner.app();
    assert!(app.job.is_none(), "no job may start");
    let status = app.status.as_ref().unwrap();
    assert_eq!(status.tone, Tone::Error);
    assert!(
        status.text.contains("system_roots = false needs a ca_file"),
        "{}",
        status.text
    );
    assert!(screen(&terminal).contains("system_roots = false needs a ca_file"));
    // Nothing connected.
    let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err(), "the composer connected anyway");
}

/// F4 through the real loop: the draft is saved, the editor (a script that
/// rewrites the body) runs, its text comes back into the body; then the
/// letter, with a PDF attached, goes out as multipart/mixed through the real
/// worker, the edited body first.
#[tokio::test]
async fn the_editor_writes_the_body_and_the_attachment_goes_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("Отчёт.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n%%EOF\n").unwrap();
    let attachment = smtpwire::mail::Attachment::open(&pdf).unwrap();
    let (addr, server) = support::loopback_server(
        None,
        vec![
            Step::Reply("220 fake.example.org ESMTP"),
            Step::Expect("EHLO client.example.org"),
            Step::Reply("250-fake.example.org\n250 8BITMIME"),
            Step::ExpectPrefix("MAIL FROM:<ivan@example.org>"),
            Step::Reply("250 2.1.0 Ok"),
            Step::Expect("RCPT TO:<maria@example.org>"),
            Step::Reply("250 2.1.5 Ok"),
            Step::Expect("RCPT TO:<secret@example.org>"),
            Step::Reply("250 2.1.5 Ok"),
            Step::Expect("DATA"),
            Step::Reply("354 go on"),
            Step::ReadData,
            Step::Reply("250 2.0.0 Ok: queued as EDITED"),
            Step::Expect("QUIT"),
            Step::Reply("221 2.0.0 Bye"),
            Step::Close,
        ],
    )
    .await;
    // An "editor" that replaces the file's text, as a person would.
    let editor = "sh -c 'printf \"Текст из редактора.\\nВторая строка.\\n\" > \"$1\"' sh";
    let (runner, _) = run_full(
        settings(addr.port()),
        Context::default(),
        letter(),
        vec![key(CtKey::F(4)), ctrl('s'), Input::Done],
        Extras {
            attachments: vec![smtpwire::app::AttachedFile::Ready(attachment)],
            editor: Some(editor.to_owned()),
        },
    )
    .await;
    let app = runner.app();
    assert_eq!(
        app.compose.body_text(),
        "Текст из редактора.\nВторая строка."
    );
    let status = app.status.clone().unwrap();
    assert!(status.text.contains("queued as EDITED"), "{}", log(app));
    drop(runner);
    let seen = server.await.unwrap().unwrap();
    let data = String::from_utf8(seen.data[0].clone()).unwrap();
    assert!(data.contains("Content-Type: multipart/mixed"), "{data}");
    assert!(
        data.contains("Текст из редактора.\r\nВторая строка."),
        "{data}"
    );
    assert!(data.contains("application/pdf"), "{data}");
    assert!(
        data.contains("filename*=utf-8''%D0%9E%D1%82%D1%87%D1%91%D1%82.pdf"),
        "{data}"
    );
}

/// Copies an earlier run kept (its composer quit during the copy) go to
/// this account's Maildir as the composer starts: no letter, no login.
#[tokio::test]
async fn copies_kept_for_this_account_are_saved_as_the_composer_starts() {
    use smtpwire::{
        sent::{Kept, Queue, SentError, SentTarget},
        settings::SentTo,
    };
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");
    let settings = Settings {
        sent: Some(SentTo::Maildir(maildir.clone())),
        ..settings(9)
    };
    let target = SentTarget::resolve(&settings).unwrap().unwrap();
    let data = dir.path().join("data");
    let queue = Queue::at(data.join("sent-queue"));
    let kept_letter = b"Subject: kept\r\n\r\nKept by an earlier run.\r\n";
    let kept = Kept::new(
        &settings,
        &target,
        None,
        Some("<kept@example.org>"),
        &SentError::Interrupted,
    );
    queue.keep(kept_letter, &kept).unwrap();
    let context = Context {
        data_dir: Some(data),
        kept_copies: 1,
        ..Context::default()
    };
    let (runner, _) = run_with(settings, context, letter(), vec![Input::Copy]).await;
    let log = log(runner.app());
    assert!(
        log.contains("copies kept earlier: 1 now saved in Sent, 0 still waiting"),
        "{log}"
    );
    assert!(queue.list().unwrap().is_empty());
    let saved: Vec<Vec<u8>> = std::fs::read_dir(maildir.join("cur"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(saved, vec![kept_letter.to_vec()]);
}

/// Ctrl+Z hands the terminal back and stops the process (as a shell
/// expects of a full-screen program); when continued, the loop reads keys
/// again from a fresh input stream.
#[tokio::test]
async fn ctrl_z_suspends_and_the_composer_reads_keys_after() {
    // Every field filled but the body, where the focus starts.
    let draft = DraftInput {
        reply_to: "ivan@example.org".into(),
        cc: "olga@example.org".into(),
        body: String::new(),
        ..letter()
    };
    let (runner, _) = run(
        settings(9),
        draft,
        vec![ctrl('z'), key(CtKey::Char('A')), key(CtKey::Char('b'))],
    )
    .await;
    assert_eq!(STOPS.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(runner.app().compose.body_text(), "Ab");
}

/// A job that arrives while another runs (the UI sends one at a time, so
/// only a slip there) waits its turn instead of being dropped without a
/// `Done`: a Disconnect sent during a stalled Connect runs once Esc has
/// cancelled the Connect, and each job ends with its own `Done`.
#[tokio::test]
async fn a_job_sent_while_another_runs_waits_its_turn() {
    use smtpwire::{
        resolve,
        worker::{Connect, Job, Outcome},
    };
    let (addr, _server) = support::loopback_server(None, vec![Step::Stall]).await;
    let resolved = resolve::resolve(&settings(addr.port()), &resolve::Context::default()).unwrap();
    let (jobs, jobs_rx) = mpsc::channel(8);
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let worker = tokio::spawn(worker::run(jobs_rx, events_tx));
    jobs.send(Job::Connect(Box::new(Connect {
        resolved,
        credentials: None,
    })))
    .await
    .unwrap();
    jobs.send(Job::Disconnect).await.unwrap();
    jobs.send(Job::Cancel).await.unwrap();
    let mut done = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while done.len() < 2 {
            if let Some(WorkerEvent::Done(outcome)) = events.recv().await {
                done.push(outcome);
            }
        }
    })
    .await
    .expect("each job ends with its Done");
    assert!(matches!(done[0], Outcome::Cancelled), "{done:?}");
    assert!(matches!(done[1], Outcome::Nothing), "{done:?}");
    drop(jobs);
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .unwrap()
        .unwrap();
}
