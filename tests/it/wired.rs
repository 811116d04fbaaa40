//! The composer wired to the real worker and a scripted server over
//! loopback: keys go into `App::update`, the jobs it returns go to
//! `worker::run`, the worker's events come back into `App::update`. Each
//! step waits for the job's `Done` event (bounded by a timeout), never on a
//! sleep.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use smtpwire::{
    app::{Action, App, Context, Key, KeyCode, Msg, Overlay, Tone},
    config::Settings,
    mail::DraftInput,
    smtp::{Dir, Security},
    worker::{self, Job, WorkerEvent},
};
use tokio::sync::mpsc;

use crate::support::{self, Step};

pub(crate) struct Wired {
    pub(crate) app: App,
    jobs: mpsc::Sender<Job>,
    events: mpsc::UnboundedReceiver<WorkerEvent>,
    worker: tokio::task::JoinHandle<()>,
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

impl Wired {
    fn new(port: u16, draft: DraftInput) -> Wired {
        Wired::with(settings(port), Context::default(), draft)
    }

    /// The app with these settings and context, wired to a real worker.
    pub(crate) fn with(settings: Settings, context: Context, draft: DraftInput) -> Wired {
        let (jobs, jobs_rx) = mpsc::channel(8);
        let (events_tx, events) = mpsc::unbounded_channel();
        let worker = tokio::spawn(worker::run(jobs_rx, events_tx));
        let mut app = App::new(settings, draft, context);
        app.update(Msg::Tick {
            now: Instant::now(),
            wall: NaiveDate::from_ymd_opt(2025, 3, 14)
                .unwrap()
                .and_hms_opt(8, 41, 2)
                .unwrap(),
        });
        Wired {
            app,
            jobs,
            events,
            worker,
        }
    }

    /// Presses a key; a job it gives goes to the worker.
    pub(crate) fn press(&mut self, key: Key) -> bool {
        match self.app.update(Msg::Key(key)) {
            Some(Action::Job(job)) => {
                self.jobs.try_send(job).unwrap();
                true
            }
            None => false,
            Some(other) => panic!("unexpected action {other:?}"),
        }
    }

    /// Feeds worker events to the app until the job's `Done`; returns the
    /// app's answer to it.
    pub(crate) async fn until_done(&mut self) -> Option<Action> {
        let wait = async {
            loop {
                let event = self.events.recv().await.expect("the worker went away");
                let done = matches!(event, WorkerEvent::Done(_));
                let action = self.app.update(Msg::Worker(event));
                if done {
                    return action;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(20), wait)
            .await
            .expect("no Done event within 20 s")
    }

    pub(crate) fn log(&self) -> String {
        self.app.log.lines().map(|l| format!("{l}\n")).collect()
    }

    pub(crate) async fn finish(self) {
        drop(self.jobs);
        tokio::time::timeout(Duration::from_secs(10), self.worker)
            .await
            .expect("the worker did not end")
            .unwrap();
    }
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
async fn send_then_disconnect_through_the_real_worker() {
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
    let mut wired = Wired::new(addr.port(), letter());

    assert!(wired.press(Key::ctrl('s')), "Ctrl+S gave no job");
    assert!(wired.app.job.is_some());
    assert!(wired.until_done().await.is_none());
    assert!(wired.app.job.is_none());
    let status = wired.app.status.clone().unwrap();
    assert_eq!(
        (status.tone, status.text.as_str()),
        (
            Tone::Warning,
            "sent to 1 of 2 recipients; 1 refused; queued as WIRED1"
        ),
        "{}",
        wired.log()
    );
    let Some(Overlay::Results { delivery, .. }) = &wired.app.overlay else {
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
    assert!(wired.app.session_open(), "the session stays open");

    wired.press(Key::plain(KeyCode::Esc));
    assert!(wired.press(Key::ctrl('d')), "Ctrl+D gave no job");
    assert!(wired.until_done().await.is_none());
    assert_eq!(
        wired.app.status.as_ref().unwrap().text,
        "disconnected: 221 2.0.0 Bye"
    );
    assert!(!wired.app.session_open());
    let log = wired.log();
    assert!(log.contains("C: DATA"), "{log}");
    assert!(log.contains("S: 221 2.0.0 Bye"), "{log}");
    wired.finish().await;

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
async fn esc_cancels_a_stalled_connect_and_the_log_says_so() {
    let (addr, _server) = support::loopback_server(
        None,
        vec![Step::Reply("220 slow.example.org ESMTP"), Step::Stall],
    )
    .await;
    let mut wired = Wired::new(addr.port(), letter());
    assert!(wired.press(Key::ctrl('o')));
    // Wait until the greeting is in: the worker is now stuck on EHLO.
    let wait = async {
        loop {
            let event = wired.events.recv().await.unwrap();
            let greeted = matches!(&event, WorkerEvent::Line(l) if l.text.starts_with("220 "));
            wired.app.update(Msg::Worker(event));
            if greeted {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap();
    assert!(wired.press(Key::plain(KeyCode::Esc)), "Esc gave no job");
    assert!(wired.until_done().await.is_none());
    assert!(wired.app.job.is_none());
    assert!(!wired.app.session_open());
    assert_eq!(wired.app.status.as_ref().unwrap().tone, Tone::Warning);
    assert!(
        wired
            .app
            .log
            .lines()
            .any(|l| l.dir == Dir::Note && l.text.starts_with("cancelled by the user")),
        "{}",
        wired.log()
    );
    // The letter is still there to send later.
    assert_eq!(wired.app.compose.subject.text(), "Проверка связи");
    wired.finish().await;
}
