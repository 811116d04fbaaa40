//! The composer without a terminal: `App::update` tables (keys → jobs,
//! worker events → state) and snapshots of whole screens drawn into a
//! `TestBackend`. Everything is deterministic: fixed log times, a clock
//! that only moves by ticks, no colours (the text is what snapshots show).

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use chrono::{NaiveDate, NaiveTime};
use ratatui::{Terminal, backend::TestBackend, style::Color};
use smtpwire::{
    app::{
        Action, App, ComposeField, Context, Focus, Key, KeyCode, Msg, Overlay, Password,
        SettingsField, Tone, Wheel,
    },
    config::Settings,
    mail::DraftInput,
    smtp::{
        self, Capabilities, Code, Delivery, Dir, LogLine, RecipientResult, Reply, Security, Stage,
    },
    ui,
    worker::{CopyReport, Failure, Job, Outcome, SessionState, WorkerEvent},
};

// ---------------------------------------------------------------- helpers

fn context() -> Context {
    Context {
        hostname: "client.example.org".into(),
        config_path: Some("/home/ivan/.config/smtpwire/config.toml".into()),
        data_dir: Some("/home/ivan/.local/share/smtpwire".into()),
        color: false,
        account: "default".into(),
        ..Context::default()
    }
}

fn settings() -> Settings {
    Settings {
        server: Some("mail.example.org".into()),
        port: Some(587),
        security: Some(Security::StartTls),
        ..Settings::default()
    }
}

fn cyrillic() -> DraftInput {
    DraftInput {
        from: "Иван Петров <ivan@example.org>".into(),
        reply_to: String::new(),
        to: "Мария <maria@example.org>, bob@example.org".into(),
        cc: "Ольга <olga@example.org>".into(),
        bcc: "Тайный <secret@example.org>".into(),
        subject: "Отчёт за март — проверка связи".into(),
        body: "Здравствуйте, Мария!\n\nОтчёт пишу словами, коротко.\n\n-- \nИван".into(),
        envelope_from: String::new(),
    }
}

/// A test clock: `at(ms)` is the same instant for every call.
struct Clock {
    base: Instant,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            base: Instant::now(),
        }
    }

    fn at(&self, ms: u64) -> Msg {
        let wall = NaiveDate::from_ymd_opt(2025, 3, 14)
            .unwrap()
            .and_time(NaiveTime::from_hms_milli_opt(8, 41, 2, 0).unwrap())
            + chrono::Duration::milliseconds(i64::try_from(ms).unwrap());
        Msg::Tick {
            now: self.base + Duration::from_millis(ms),
            wall,
        }
    }
}

fn app_with(settings: Settings, draft: DraftInput) -> (App, Clock) {
    let clock = Clock::new();
    let mut app = App::new(&settings, draft, context());
    assert!(app.update(clock.at(0)).is_none());
    (app, clock)
}

fn empty() -> (App, Clock) {
    app_with(settings(), DraftInput::default())
}

fn filled() -> (App, Clock) {
    app_with(settings(), cyrillic())
}

fn key(app: &mut App, k: Key) -> Option<Action> {
    app.update(Msg::Key(k))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        assert!(key(app, Key::char(c)).is_none());
    }
}

fn worker(app: &mut App, event: WorkerEvent) -> Option<Action> {
    app.update(Msg::Worker(event))
}

fn line(ms: u32, dir: Dir, text: &str, latency: Option<u64>, gloss: Option<&str>) -> LogLine {
    LogLine {
        time: NaiveTime::from_hms_milli_opt(8, 41, 2, 0).unwrap()
            + chrono::Duration::milliseconds(i64::from(ms)),
        dir,
        text: text.into(),
        latency: latency.map(Duration::from_millis),
        gloss: gloss.map(str::to_owned),
    }
}

fn reply(code: u16, text: &str) -> Reply {
    Reply::new(Code::new(code).unwrap(), vec![text.to_owned()])
}

fn capabilities() -> Capabilities {
    Capabilities {
        server_name: "mail.example.org".into(),
        esmtp: true,
        auth: vec!["PLAIN".into(), "LOGIN".into()],
        size: Some(10_240_000),
        eight_bit_mime: true,
        smtputf8: true,
        pipelining: true,
        enhanced_status_codes: true,
        dsn: true,
        ..Capabilities::default()
    }
}

fn open_session() -> WorkerEvent {
    WorkerEvent::Session(SessionState::Open {
        server: "mail.example.org:587".into(),
        capabilities: capabilities(),
        tls: Some("certificate CN=mail.example.org, valid to 2027-03-01".into()),
    })
}

/// The transcript of a connect and login, as the worker would report it.
fn login_lines() -> Vec<LogLine> {
    vec![
        line(
            0,
            Dir::Note,
            "connecting to mail.example.org:587 (192.0.2.7)",
            None,
            None,
        ),
        line(
            25,
            Dir::Server,
            "220 mail.example.org ESMTP ready",
            Some(25),
            None,
        ),
        line(25, Dir::Client, "EHLO client.example.org", None, None),
        line(49, Dir::Server, "250-mail.example.org", Some(24), None),
        line(49, Dir::Server, "250 STARTTLS", None, None),
        line(50, Dir::Client, "STARTTLS", None, None),
        line(
            71,
            Dir::Server,
            "220 2.0.0 Ready to start TLS",
            Some(21),
            None,
        ),
        line(
            126,
            Dir::Note,
            "TLS established; certificate CN=mail.example.org, valid to 2027-03-01",
            None,
            None,
        ),
        line(127, Dir::Client, "EHLO client.example.org", None, None),
        line(150, Dir::Server, "250-mail.example.org", Some(23), None),
        line(150, Dir::Server, "250-AUTH PLAIN LOGIN", None, None),
        line(150, Dir::Server, "250 SMTPUTF8", None, None),
        line(151, Dir::Client, "AUTH LOGIN", None, None),
        line(
            172,
            Dir::Server,
            "334 VXNlcm5hbWU6",
            Some(21),
            Some("Username:"),
        ),
        line(172, Dir::Client, "<username redacted>", None, None),
        line(
            193,
            Dir::Server,
            "334 UGFzc3dvcmQ6",
            Some(21),
            Some("Password:"),
        ),
        line(193, Dir::Client, "<password redacted>", None, None),
    ]
}

fn feed_lines(app: &mut App, lines: Vec<LogLine>) {
    for l in lines {
        assert!(worker(app, WorkerEvent::Line(l)).is_none());
    }
}

/// Connect, with the worker's answers, up to an open session.
fn connected() -> (App, Clock) {
    let (mut app, clock) = filled();
    assert!(matches!(
        key(&mut app, Key::ctrl('o')),
        Some(Action::Job(Job::Connect(_)))
    ));
    feed_lines(&mut app, login_lines());
    feed_lines(
        &mut app,
        vec![line(
            232,
            Dir::Server,
            "235 2.7.0 Authentication successful",
            Some(39),
            None,
        )],
    );
    worker(&mut app, open_session());
    assert!(worker(&mut app, WorkerEvent::Done(Outcome::Connected)).is_none());
    (app, clock)
}

fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui::draw(frame, app)).unwrap();
    terminal
}

fn screen(app: &App, width: u16, height: u16) -> String {
    render(app, width, height).backend().to_string()
}

/// The same screen at 80×24 and at 200×50, with the resize in between.
fn both_sizes(app: &mut App, name: &str) {
    insta::assert_snapshot!(format!("{name}_80x24"), screen(app, 80, 24));
    app.update(Msg::Resize);
    insta::assert_snapshot!(format!("{name}_200x50"), screen(app, 200, 50));
}

fn cursor(app: &App, width: u16, height: u16) -> (u16, u16) {
    let mut terminal = render(app, width, height);
    let p = terminal.get_cursor_position().unwrap();
    (p.x, p.y)
}

fn sent_delivery() -> Outcome {
    Outcome::Sent {
        delivery: Delivery {
            recipients: vec![
                RecipientResult {
                    address: "maria@example.org".into(),
                    reply: reply(250, "2.1.5 Ok"),
                },
                RecipientResult {
                    address: "bob@example.org".into(),
                    reply: reply(250, "2.1.5 Ok"),
                },
                RecipientResult {
                    address: "olga@example.org".into(),
                    reply: reply(
                        550,
                        "5.1.1 <olga@example.org>: Recipient address rejected: User unknown",
                    ),
                },
                RecipientResult {
                    address: "secret@example.org".into(),
                    reply: reply(250, "2.1.5 Ok"),
                },
            ],
            reply: reply(250, "2.0.0 Ok: queued as 4Xb2kL0sFz"),
            size: 1234,
            timeline: {
                use smtpwire::smtp::timeline::Phase;
                let mut t = smtp::Timeline::default();
                for (phase, ms) in [
                    (Phase::Connect, 25),
                    (Phase::Tls, 55),
                    (Phase::Ehlo, 23),
                    (Phase::Auth, 63),
                    (Phase::Envelope, 31),
                    (Phase::Data, 2),
                    (Phase::FinalReply, 56),
                ] {
                    t.record(phase, Duration::from_millis(ms));
                }
                t
            },
        },
        message_id: "<20250314084102.5f3a9c@example.org>".into(),
    }
}

fn sending() -> (App, Clock) {
    let (mut app, clock) = connected();
    app.update(clock.at(5_000));
    assert!(matches!(
        key(&mut app, Key::ctrl('s')),
        Some(Action::Job(Job::Send(_)))
    ));
    worker(&mut app, WorkerEvent::Stage(Stage::Mail));
    feed_lines(
        &mut app,
        vec![
            line(
                5_001,
                Dir::Client,
                "MAIL FROM:<ivan@example.org> SIZE=1234 BODY=8BITMIME SMTPUTF8",
                None,
                None,
            ),
            line(
                5_001,
                Dir::Client,
                "RCPT TO:<maria@example.org>",
                None,
                None,
            ),
            line(5_001, Dir::Client, "RCPT TO:<bob@example.org>", None, None),
            line(5_001, Dir::Client, "RCPT TO:<olga@example.org>", None, None),
            line(
                5_001,
                Dir::Client,
                "RCPT TO:<secret@example.org>",
                None,
                None,
            ),
            line(5_001, Dir::Client, "DATA", None, None),
            line(5_030, Dir::Server, "250 2.1.0 Ok", Some(29), None),
            line(5_031, Dir::Server, "250 2.1.5 Ok", Some(30), None),
        ],
    );
    worker(&mut app, WorkerEvent::Stage(Stage::Rcpt));
    app.update(clock.at(6_300));
    (app, clock)
}

fn sent() -> (App, Clock) {
    let (mut app, clock) = sending();
    feed_lines(
        &mut app,
        vec![
            line(5_031, Dir::Server, "250 2.1.5 Ok", Some(30), None),
            line(
                5_032,
                Dir::Server,
                "550 5.1.1 <olga@example.org>: Recipient address rejected: User unknown",
                Some(31),
                None,
            ),
            line(5_032, Dir::Server, "250 2.1.5 Ok", Some(31), None),
            line(
                5_033,
                Dir::Server,
                "354 End data with <CR><LF>.<CR><LF>",
                Some(32),
                None,
            ),
            line(
                5_034,
                Dir::Client,
                "<1 234 bytes of message data>",
                None,
                None,
            ),
            // The engine logs the final dot on its own.
            line(5_034, Dir::Client, ".", None, None),
            line(
                5_090,
                Dir::Server,
                "250 2.0.0 Ok: queued as 4Xb2kL0sFz",
                Some(56),
                None,
            ),
        ],
    );
    app.update(clock.at(6_400));
    assert!(worker(&mut app, WorkerEvent::Done(sent_delivery())).is_none());
    (app, clock)
}

fn auth_failed() -> (App, Clock) {
    let (mut app, clock) = app_with(
        Settings {
            user: Some("ivan@example.org".into()),
            ..settings()
        },
        cyrillic(),
    );
    // The password is typed in the settings pane, masked.
    key(&mut app, Key::plain(KeyCode::F(2)));
    for _ in 0..4 {
        key(&mut app, Key::plain(KeyCode::Tab));
    }
    assert_eq!(app.focus, Focus::Settings(SettingsField::Password));
    typed(&mut app, "wrong-пароль");
    key(&mut app, Key::plain(KeyCode::F(2)));
    let Some(Action::Job(Job::Connect(connect))) = key(&mut app, Key::ctrl('o')) else {
        panic!("no connect job")
    };
    assert_eq!(
        connect
            .credentials
            .as_ref()
            .map(|c| (c.username(), c.password())),
        Some(("ivan@example.org", "wrong-пароль"))
    );
    let mut lines = login_lines();
    lines.push(line(
        1_240,
        Dir::Server,
        "535 5.7.8 Error: authentication failed: authentication failure",
        Some(1_047),
        None,
    ));
    lines.push(line(
        1_240,
        Dir::Error,
        "authentication failed: 535 5.7.8 Error: authentication failed: authentication failure",
        None,
        None,
    ));
    lines.push(line(1_241, Dir::Client, "QUIT", None, None));
    lines.push(line(1_262, Dir::Server, "221 2.0.0 Bye", Some(21), None));
    feed_lines(&mut app, lines);
    app.update(clock.at(1_300));
    worker(
        &mut app,
        WorkerEvent::Done(Outcome::Failed(Failure::Smtp(smtp::Error::AuthFailed {
            reply: reply(
                535,
                "5.7.8 Error: authentication failed: authentication failure",
            ),
        }))),
    );
    (app, clock)
}

// ------------------------------------------------------------- snapshots

#[test]
fn snapshot_empty_form() {
    let (mut app, _) = empty();
    both_sizes(&mut app, "empty_form");
    // The cursor sits in From, the first empty field.
    assert_eq!(cursor(&app, 80, 24), (9, 6));
}

#[test]
fn snapshot_filled_form_with_cyrillic_everywhere() {
    let (mut app, _) = filled();
    both_sizes(&mut app, "filled_form");
    assert_eq!(app.focus, Focus::Compose(ComposeField::Body));
}

#[test]
fn snapshot_validation_errors() {
    let (mut app, _) = app_with(
        settings(),
        DraftInput {
            from: "Иван <ivan@@example.org>".into(),
            to: "maria@example, bob".into(),
            subject: "Тема".into(),
            ..DraftInput::default()
        },
    );
    assert!(key(&mut app, Key::ctrl('s')).is_none());
    assert_eq!(app.focus, Focus::Compose(ComposeField::From));
    both_sizes(&mut app, "validation_errors");
}

#[test]
fn snapshot_connecting() {
    let (mut app, clock) = filled();
    assert!(key(&mut app, Key::ctrl('o')).is_some());
    worker(&mut app, WorkerEvent::Stage(Stage::Connect));
    feed_lines(&mut app, login_lines()[..3].to_vec());
    worker(&mut app, WorkerEvent::Stage(Stage::Ehlo));
    app.update(clock.at(1_340));
    insta::assert_snapshot!("connecting_80x24", screen(&app, 80, 24));
}

#[test]
fn snapshot_connected_shows_capabilities() {
    let (app, _) = connected();
    insta::assert_snapshot!("connected_80x24", screen(&app, 80, 24));
}

#[test]
fn snapshot_sending() {
    let (mut app, _) = sending();
    both_sizes(&mut app, "sending");
}

#[test]
fn snapshot_sent_with_per_recipient_results() {
    let (mut app, _) = sent();
    both_sizes(&mut app, "sent");
}

#[test]
fn snapshot_failed_login() {
    let (mut app, _) = auth_failed();
    let text = screen(&app, 80, 24);
    assert!(
        !text.contains("wrong-пароль"),
        "the password shows:\n{text}"
    );
    both_sizes(&mut app, "failed_auth");
}

#[test]
fn snapshot_settings_pane() {
    let (mut app, _) = filled();
    key(&mut app, Key::plain(KeyCode::F(2)));
    key(&mut app, Key::plain(KeyCode::Tab));
    // A bad port, checked on leaving the field.
    key(&mut app, Key::plain(KeyCode::End));
    typed(&mut app, "999");
    key(&mut app, Key::plain(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Settings(SettingsField::SECURITY));
    both_sizes(&mut app, "settings_pane");
    assert_eq!(cursor(&app, 80, 24), (67, 2));
}

#[test]
fn snapshot_help_overlay() {
    let (mut app, _) = filled();
    key(&mut app, Key::plain(KeyCode::F(1)));
    both_sizes(&mut app, "help");
    key(&mut app, Key::plain(KeyCode::Esc));
    assert_eq!(app.overlay, None);
}

#[test]
fn snapshot_lint_confirmation() {
    let (mut app, _) = app_with(
        settings(),
        DraftInput {
            subject: String::new(),
            body: String::new(),
            ..cyrillic()
        },
    );
    assert!(key(&mut app, Key::ctrl('s')).is_none());
    assert!(matches!(app.overlay, Some(Overlay::Lint(_))));
    insta::assert_snapshot!("lint_80x24", screen(&app, 80, 24));
}

#[test]
fn snapshot_too_small() {
    let (app, _) = filled();
    insta::assert_snapshot!("too_small_60x20", screen(&app, 60, 20));
    // Nothing breaks on degenerate sizes either.
    for (w, h) in [(0, 0), (1, 1), (79, 24), (80, 23), (80, 24), (400, 120)] {
        render(&app, w, h);
    }
}

#[test]
fn no_color_means_no_colour_and_colour_means_colour() {
    let (app, _) = sent();
    let colours = |app: &App| {
        let terminal = render(app, 120, 40);
        terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .count()
    };
    assert_eq!(colours(&app), 0);
    let mut coloured = App::new(
        &settings(),
        cyrillic(),
        Context {
            color: true,
            ..context()
        },
    );
    feed_lines(&mut coloured, login_lines());
    assert!(colours(&coloured) > 0);
}

// ------------------------------------------------------------ update()

#[test]
fn focus_starts_on_the_first_empty_field() {
    for (draft, expected) in [
        (DraftInput::default(), ComposeField::From),
        (
            DraftInput {
                from: "a@example.org".into(),
                ..DraftInput::default()
            },
            ComposeField::To,
        ),
        (
            DraftInput {
                cc: String::new(),
                ..cyrillic()
            },
            ComposeField::Cc,
        ),
        (
            DraftInput {
                subject: String::new(),
                ..cyrillic()
            },
            ComposeField::Subject,
        ),
        (cyrillic(), ComposeField::Body),
    ] {
        let (app, _) = app_with(settings(), draft.clone());
        assert_eq!(app.focus, Focus::Compose(expected), "{draft:?}");
    }
    // From may come from the config file.
    let (app, _) = app_with(
        Settings {
            from: Some("Иван <ivan@example.org>".into()),
            ..settings()
        },
        DraftInput::default(),
    );
    assert_eq!(app.focus, Focus::Compose(ComposeField::To));
}

#[test]
fn keys_become_jobs() {
    let (mut app, _) = filled();
    let Some(Action::Job(Job::Connect(connect))) = key(&mut app, Key::ctrl('o')) else {
        panic!("Ctrl+O gives no connect job");
    };
    assert_eq!(
        (
            connect.resolved.host.as_str(),
            connect.resolved.port,
            connect.resolved.security
        ),
        ("mail.example.org", 587, Security::StartTls)
    );
    assert_eq!(connect.resolved.helo, "client.example.org");
    assert!(connect.credentials.is_none());
    // One job at a time: the second asks for patience.
    assert!(key(&mut app, Key::ctrl('s')).is_none());
    assert_eq!(app.status.as_ref().map(|s| s.tone), Some(Tone::Warning));
    // Esc cancels the running job, once.
    assert!(matches!(
        key(&mut app, Key::plain(KeyCode::Esc)),
        Some(Action::Job(Job::Cancel))
    ));
    assert!(key(&mut app, Key::plain(KeyCode::Esc)).is_none());
    worker(&mut app, WorkerEvent::Session(SessionState::Closed));
    worker(&mut app, WorkerEvent::Done(Outcome::Cancelled));
    assert!(app.job.is_none());

    let Some(Action::Job(Job::Send(submission))) = key(&mut app, Key::ctrl('s')) else {
        panic!("Ctrl+S gives no send job");
    };
    // Bcc is in the draft (the envelope), the worker keeps it out of the letter.
    assert_eq!(submission.draft.bcc().len(), 1);
    assert_eq!(submission.draft.envelope().recipients.len(), 4);
    worker(&mut app, open_session());
    worker(&mut app, WorkerEvent::Done(sent_delivery()));
    key(&mut app, Key::plain(KeyCode::Esc));
    assert!(matches!(
        key(&mut app, Key::ctrl('d')),
        Some(Action::Job(Job::Disconnect))
    ));
    worker(&mut app, WorkerEvent::Session(SessionState::Closed));
    worker(
        &mut app,
        WorkerEvent::Done(Outcome::Disconnected {
            reply: reply(221, "2.0.0 Bye"),
        }),
    );
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "disconnected: 221 2.0.0 Bye"
    );
    // Without a session there is nothing to QUIT.
    assert!(key(&mut app, Key::ctrl('d')).is_none());
    assert!(matches!(key(&mut app, Key::ctrl('q')), Some(Action::Quit)));
}

#[test]
fn an_invalid_letter_gives_no_job_but_field_errors() {
    let (mut app, _) = app_with(
        settings(),
        DraftInput {
            from: "ivan".into(),
            to: "a@example.org, b@@example.org".into(),
            bcc: "ok@example.org".into(),
            ..DraftInput::default()
        },
    );
    assert!(key(&mut app, Key::ctrl('s')).is_none());
    assert!(app.job.is_none());
    assert!(app.compose.error(ComposeField::From).is_some());
    let to = app.compose.error(ComposeField::To).unwrap();
    assert!(to.contains("b@@example.org"), "{to}");
    assert_eq!(app.compose.error(ComposeField::Bcc), None);
    assert_eq!(app.focus, Focus::Compose(ComposeField::From));
    // Fixing a field and leaving it clears its message.
    key(&mut app, Key::ctrl('u'));
    typed(&mut app, "ivan@example.org");
    key(&mut app, Key::plain(KeyCode::Tab));
    assert_eq!(app.compose.error(ComposeField::From), None);
    assert!(app.compose.error(ComposeField::To).is_some());
}

#[test]
fn invalid_settings_give_no_job_and_focus_the_field() {
    let (mut app, _) = app_with(Settings::default(), cyrillic());
    assert!(key(&mut app, Key::ctrl('o')).is_none());
    assert_eq!(app.focus, Focus::Settings(SettingsField::HOST));
    assert!(
        app.settings
            .error(SettingsField::HOST)
            .unwrap()
            .starts_with("Host: no server given")
    );
    typed(&mut app, "127.0.0.1");
    assert!(matches!(
        key(&mut app, Key::ctrl('o')),
        Some(Action::Job(Job::Connect(_)))
    ));
}

#[test]
fn lint_warnings_ask_first_then_send_anyway_or_go_back() {
    let no_subject = DraftInput {
        subject: String::new(),
        ..cyrillic()
    };
    let (mut app, _) = app_with(settings(), no_subject.clone());
    assert!(key(&mut app, Key::ctrl('s')).is_none());
    let Some(Overlay::Lint(warnings)) = &app.overlay else {
        panic!("no lint window")
    };
    assert_eq!(warnings.len(), 1);
    assert!(matches!(
        key(&mut app, Key::ctrl('s')),
        Some(Action::Job(Job::Send(_)))
    ));
    assert_eq!(app.overlay, None);

    let (mut app, _) = app_with(settings(), no_subject);
    key(&mut app, Key::ctrl('s'));
    assert!(key(&mut app, Key::plain(KeyCode::Esc)).is_none());
    assert_eq!(app.overlay, None);
    assert!(app.job.is_none());
}

#[test]
fn worker_events_drive_the_state() {
    let (mut app, clock) = filled();
    key(&mut app, Key::ctrl('o'));
    app.update(clock.at(1_500));
    worker(&mut app, WorkerEvent::Stage(Stage::StartTls));
    assert_eq!(app.job.as_ref().unwrap().stage, Some(Stage::StartTls));
    assert_eq!(app.elapsed(), Some(Duration::from_millis(1_500)));
    worker(&mut app, open_session());
    assert!(app.session_open());
    worker(&mut app, WorkerEvent::Done(Outcome::Connected));
    assert!(app.job.is_none());
    assert_eq!(app.status.as_ref().unwrap().tone, Tone::Success);
    assert!(app.log.lines().any(|l| l.text.contains("AUTH PLAIN LOGIN")));

    key(&mut app, Key::ctrl('s'));
    worker(&mut app, WorkerEvent::Done(sent_delivery()));
    assert!(matches!(app.overlay, Some(Overlay::Results { .. })));
    assert!(!app.sent, "one recipient was refused");
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "sent to 3 of 4 recipients; 1 refused; queued as 4Xb2kL0sFz"
    );
    assert!(
        app.log
            .lines()
            .any(|l| l.dir == Dir::Error && l.text.starts_with("refused <olga@"))
    );

    // The server dropped the session and the next send failed.
    key(&mut app, Key::plain(KeyCode::Esc));
    key(&mut app, Key::ctrl('s'));
    worker(&mut app, WorkerEvent::Session(SessionState::Closed));
    worker(
        &mut app,
        WorkerEvent::Done(Outcome::Failed(Failure::Smtp(smtp::Error::Closed {
            stage: Stage::EndOfData,
        }))),
    );
    assert!(!app.session_open());
    let status = app.status.clone().unwrap();
    assert_eq!(status.tone, Tone::Error);
    assert_eq!(
        status.text,
        "not sent: the server closed the connection during end of data"
    );
    let hint = status.hint.unwrap();
    assert!(hint.contains("may already have been delivered"), "{hint}");
    // The letter stays in the form.
    assert_eq!(app.compose.subject.text(), "Отчёт за март — проверка связи");
}

#[test]
fn a_fully_accepted_letter_is_marked_sent_and_saved_so() {
    let (mut app, clock) = filled();
    key(&mut app, Key::ctrl('s'));
    worker(
        &mut app,
        WorkerEvent::Done(Outcome::Sent {
            delivery: Delivery {
                recipients: vec![RecipientResult {
                    address: "bob@example.org".into(),
                    reply: reply(250, "2.1.5 Ok"),
                }],
                reply: reply(250, "2.0.0 Ok: queued as ABC"),
                size: 10,
                timeline: smtp::Timeline::default(),
            },
            message_id: "x@example.org".into(),
        }),
    );
    assert!(app.sent);
    let Some(Action::SaveDraft { path, text }) = app.update(clock.at(10)) else {
        panic!("the sent state is not saved at once")
    };
    assert_eq!(
        path,
        PathBuf::from("/home/ivan/.local/share/smtpwire/draft.toml")
    );
    assert!(text.contains("sent = true"), "{text}");
    // A new letter needs no confirmation now.
    key(&mut app, Key::plain(KeyCode::Esc));
    key(&mut app, Key::ctrl('n'));
    assert_eq!(app.overlay, None);
    assert_eq!(app.compose.to.text(), "");
    assert_eq!(app.compose.from.text(), "Иван Петров <ivan@example.org>");
    assert_eq!(app.focus, Focus::Compose(ComposeField::To));
}

#[test]
fn new_letter_asks_when_unsent() {
    let (mut app, _) = filled();
    key(&mut app, Key::ctrl('n'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmNew));
    key(&mut app, Key::char('n'));
    assert_eq!(app.compose.to.text(), cyrillic().to);
    key(&mut app, Key::ctrl('n'));
    key(&mut app, Key::char('y'));
    assert_eq!(app.compose.to.text(), "");
}

#[test]
fn quitting_with_an_open_session_sends_quit_first() {
    let (mut app, clock) = connected();
    assert!(matches!(
        key(&mut app, Key::ctrl('q')),
        Some(Action::Job(Job::Disconnect))
    ));
    // The UI keeps running (ticks) while QUIT is on its way.
    assert!(app.update(clock.at(1_000)).is_none());
    worker(&mut app, WorkerEvent::Session(SessionState::Closed));
    let done = worker(
        &mut app,
        WorkerEvent::Done(Outcome::Disconnected {
            reply: reply(221, "2.0.0 Bye"),
        }),
    );
    assert!(matches!(done, Some(Action::Quit)));

    // A silent server: quit anyway after the grace period.
    let (mut app, clock) = connected();
    assert!(matches!(
        key(&mut app, Key::ctrl('c')),
        Some(Action::Job(Job::Disconnect))
    ));
    assert!(app.update(clock.at(2_900)).is_none());
    assert!(matches!(app.update(clock.at(3_100)), Some(Action::Quit)));

    // A running job is cancelled first.
    let (mut app, _) = sending();
    assert!(matches!(
        key(&mut app, Key::ctrl('q')),
        Some(Action::Job(Job::Cancel))
    ));
    worker(&mut app, WorkerEvent::Session(SessionState::Closed));
    assert!(matches!(
        worker(&mut app, WorkerEvent::Done(Outcome::Cancelled)),
        Some(Action::Quit)
    ));

    // Asked twice, it stops waiting.
    let (mut app, _) = connected();
    key(&mut app, Key::ctrl('q'));
    assert!(matches!(key(&mut app, Key::ctrl('q')), Some(Action::Quit)));
}

#[test]
fn scrolling_the_log_and_following_again() {
    let (mut app, _) = filled();
    for i in 0..1_000 {
        app.update(Msg::Worker(WorkerEvent::Line(line(
            i,
            Dir::Server,
            &format!("250 line {i}"),
            None,
            None,
        ))));
    }
    render(&app, 80, 24); // records the page height
    key(&mut app, Key::plain(KeyCode::F(3)));
    assert_eq!(app.focus, Focus::Log);
    assert!(app.log.following());
    key(&mut app, Key::plain(KeyCode::Up));
    assert!(!app.log.following());
    let top = |app: &App| app.log.visible(5).next().unwrap().text.to_owned();
    let before = top(&app);
    app.update(Msg::Worker(WorkerEvent::Line(line(
        0,
        Dir::Note,
        "new",
        None,
        None,
    ))));
    assert_eq!(top(&app), before, "the view stays while lines arrive");
    key(&mut app, Key::plain(KeyCode::Home));
    assert_eq!(top(&app), "250 line 0");
    // PgDn moves the cursor a page; the view follows once it must.
    key(&mut app, Key::plain(KeyCode::PageDown));
    assert_eq!(top(&app), "250 line 0");
    assert!(app.log.selected().unwrap() > 0);
    key(&mut app, Key::plain(KeyCode::PageDown));
    assert_ne!(top(&app), "250 line 0");
    app.update(Msg::Wheel(Wheel::Up));
    key(&mut app, Key::plain(KeyCode::End));
    assert!(app.log.following());
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("line 1 001 of 1 001 · Enter details"),
        "{text}"
    );
    // F3 again goes back where it came from.
    key(&mut app, Key::plain(KeyCode::F(3)));
    assert_eq!(app.focus, Focus::Compose(ComposeField::Body));
}

#[test]
fn the_password_command_runs_before_the_job_and_never_shows() {
    let (mut app, _) = app_with(
        Settings {
            user: Some("ivan".into()),
            password_command: Some("pass show mail".into()),
            ..settings()
        },
        cyrillic(),
    );
    let Some(Action::RunPasswordCommand(command)) = key(&mut app, Key::ctrl('o')) else {
        panic!("the password command is not asked for")
    };
    assert_eq!(command, "pass show mail");
    let Some(Action::Job(Job::Connect(connect))) =
        app.update(Msg::Password(Ok(Password::new("s3cret-Пароль".into()))))
    else {
        panic!("no job after the password")
    };
    assert_eq!(connect.credentials.unwrap().password(), "s3cret-Пароль");
    assert!(!format!("{app:?}").contains("s3cret"));
    assert!(!screen(&app, 200, 50).contains("s3cret"));

    // Without any password source, no job: the user is sent to the field.
    let (mut app, _) = app_with(
        Settings {
            user: Some("ivan".into()),
            ..settings()
        },
        cyrillic(),
    );
    assert!(key(&mut app, Key::ctrl('o')).is_none());
    assert_eq!(app.focus, Focus::Settings(SettingsField::Password));

    // From SMTPWIRE_PASSWORD (given in the context).
    let mut app = App::new(
        &Settings {
            user: Some("ivan".into()),
            ..settings()
        },
        cyrillic(),
        Context {
            password: Some(Password::new("from-env".into())),
            ..context()
        },
    );
    let Some(Action::Job(Job::Connect(connect))) = key(&mut app, Key::ctrl('o')) else {
        panic!("no job")
    };
    assert_eq!(connect.credentials.unwrap().password(), "from-env");
}

#[test]
fn edits_are_saved_after_a_pause() {
    // As the runner does it: a tick before every key.
    let (mut app, clock) = filled();
    typed(&mut app, "!");
    assert!(app.update(clock.at(400)).is_none());
    typed(&mut app, "?");
    assert!(app.update(clock.at(800)).is_none(), "the pause restarts");
    assert_eq!(app.next_wakeup(), Some(clock_instant(&clock, 900)));
    let Some(Action::SaveDraft { text, .. }) = app.update(clock.at(950)) else {
        panic!("not saved")
    };
    assert!(text.contains("Иван!?"), "{text}");
    assert!(app.update(clock.at(2_000)).is_none(), "saved once");
    assert_eq!(app.next_wakeup(), None, "idle: no ticks");
}

fn clock_instant(clock: &Clock, ms: u64) -> Instant {
    clock.base + Duration::from_millis(ms)
}

#[test]
fn settings_and_log_are_saved_on_request() {
    let (mut app, _) = app_with(
        Settings {
            user: Some("ivan".into()),
            ..settings()
        },
        cyrillic(),
    );
    key(&mut app, Key::plain(KeyCode::F(2)));
    for _ in 0..4 {
        key(&mut app, Key::plain(KeyCode::Tab));
    }
    typed(&mut app, "hunter2-secret");
    let Some(Action::SaveSettings { path, settings, .. }) = key(&mut app, Key::ctrl('w')) else {
        panic!("Ctrl+W does not save")
    };
    assert_eq!(
        path,
        PathBuf::from("/home/ivan/.config/smtpwire/config.toml")
    );
    assert!(!toml::to_string(&settings).unwrap().contains("hunter2"));
    assert_eq!(
        settings.from.as_deref(),
        Some("Иван Петров <ivan@example.org>")
    );
    app.update(Msg::Saved {
        what: smtpwire::app::Saved::Settings,
        result: Ok(path),
    });
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("config.toml (no password)")
    );

    // Ctrl+L asks for the format: t is text, j JSON Lines.
    assert!(key(&mut app, Key::ctrl('l')).is_none());
    assert_eq!(app.overlay, Some(Overlay::SaveLog));
    let Some(Action::SaveLog { dir, stem, format }) = key(&mut app, Key::char('j')) else {
        panic!("Ctrl+L does not save the log")
    };
    assert_eq!(
        (dir, stem.as_str(), format),
        (
            PathBuf::from("/home/ivan/.local/share/smtpwire/logs"),
            "log-20250314-084102",
            smtpwire::export::TranscriptFormat::Jsonl
        )
    );
    key(&mut app, Key::ctrl('l'));
    assert!(matches!(
        key(&mut app, Key::char('t')),
        Some(Action::SaveLog {
            format: smtpwire::export::TranscriptFormat::Text,
            ..
        })
    ));
}

#[test]
fn pasted_text_goes_into_the_focused_field() {
    let (mut app, _) = empty();
    app.update(Msg::Paste("Иван <ivan@example.org>\r\n".into()));
    assert_eq!(app.compose.from.text(), "Иван <ivan@example.org> ");
    key(&mut app, Key::plain(KeyCode::BackTab));
    assert_eq!(app.focus, Focus::Compose(ComposeField::Body));
    app.update(Msg::Paste("строка 1\r\nстрока 2".into()));
    assert_eq!(app.compose.body_text(), "строка 1\nстрока 2");
    // A list pasted one address a line into To: one comma-separated list.
    app.focus = Focus::Compose(ComposeField::To);
    app.update(Msg::Paste(
        "carol@example.org\r\nБоб <bob@example.org>,\n\ndave@example.org\n".into(),
    ));
    assert_eq!(
        app.compose.to.text(),
        "carol@example.org, Боб <bob@example.org>, dave@example.org"
    );
}

// ---------------------------------------------------------------- attachments

/// What the runner does for the attach prompt's actions, done here so the
/// model's side can be tested without a terminal.
fn perform_file_action(app: &mut App, action: Option<Action>, cwd: &std::path::Path) {
    match action {
        Some(Action::CompletePath { typed }) => {
            let completion = smtpwire::pathcomplete::complete(&typed, cwd, None);
            app.update(Msg::Completed(completion));
        }
        Some(Action::Attach { typed }) => {
            let path = smtpwire::pathcomplete::expand(&typed, cwd, None);
            let result = smtpwire::mail::Attachment::open(&path).map_err(|e| e.to_string());
            app.update(Msg::Attached(result));
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// A folder with a PDF, a PNG and a Cyrillic-named text file.
fn files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("report.pdf"),
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
    )
    .unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(std::iter::repeat_n(7u8, 340 * 1024));
    std::fs::write(dir.path().join("photo.png"), png).unwrap();
    std::fs::write(dir.path().join("Отчёт за март.txt"), "Итоги.\n".repeat(200)).unwrap();
    dir
}

/// F5, a few typed letters, Tab, Enter: the file is in the row.
fn attach(app: &mut App, dir: &std::path::Path, prefix: &str) {
    key(app, Key::plain(KeyCode::F(5)));
    assert!(matches!(app.overlay, Some(Overlay::Attach(_))));
    typed(app, &format!("{}/{prefix}", dir.display()));
    let tab = key(app, Key::plain(KeyCode::Tab));
    perform_file_action(app, tab, dir);
    let enter = key(app, Key::plain(KeyCode::Enter));
    perform_file_action(app, enter, dir);
    assert!(
        app.overlay.is_none(),
        "the prompt closes once the file is in"
    );
}

#[test]
fn snapshot_attachments_row() {
    let dir = files();
    let (mut app, _) = connected();
    for prefix in ["rep", "pho", "Отч"] {
        attach(&mut app, dir.path(), prefix);
    }
    let names: Vec<String> = app
        .compose
        .attachments
        .files()
        .iter()
        .map(smtpwire::app::AttachedFile::name)
        .collect();
    assert_eq!(names, ["report.pdf", "photo.png", "Отчёт за март.txt"]);
    // Tab from the subject reaches the row now that it holds files.
    app.update(Msg::Key(Key::plain(KeyCode::F(2))));
    app.update(Msg::Key(Key::plain(KeyCode::F(2))));
    while app.focus != Focus::Compose(ComposeField::Subject) {
        key(&mut app, Key::plain(KeyCode::Tab));
    }
    key(&mut app, Key::plain(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Compose(ComposeField::Attachments));
    key(&mut app, Key::plain(KeyCode::Left));
    both_sizes(&mut app, "attachments");
}

#[test]
fn the_attach_prompt_completes_and_says_why_nothing_was_attached() {
    let dir = files();
    let (mut app, _) = filled();
    key(&mut app, Key::plain(KeyCode::F(5)));
    typed(&mut app, &format!("{}/", dir.path().display()));
    let tab = key(&mut app, Key::plain(KeyCode::Tab));
    perform_file_action(&mut app, tab, dir.path());
    let Some(Overlay::Attach(prompt)) = &app.overlay else {
        panic!("the prompt closed")
    };
    assert_eq!(prompt.candidates.len(), 3, "{:?}", prompt.candidates);
    typed(&mut app, "nope.pdf");
    let enter = key(&mut app, Key::plain(KeyCode::Enter));
    perform_file_action(&mut app, enter, dir.path());
    let Some(Overlay::Attach(prompt)) = &app.overlay else {
        panic!("the prompt closed on a missing file")
    };
    assert!(
        prompt
            .problem
            .as_deref()
            .unwrap_or_default()
            .contains("no such file"),
        "{prompt:?}"
    );
    insta::with_settings!({filters => vec![(r"/tmp/\.tmp\w+", "[dir]")]}, {
        insta::assert_snapshot!("attach_prompt_80x24", screen(&app, 80, 24));
    });
    key(&mut app, Key::plain(KeyCode::Esc));
    assert!(app.overlay.is_none());
    assert!(app.compose.attachments.is_empty());
}

#[test]
fn delete_removes_the_chosen_file_and_send_carries_the_rest() {
    let dir = files();
    let (mut app, _) = filled();
    attach(&mut app, dir.path(), "rep");
    attach(&mut app, dir.path(), "pho");
    app.focus = Focus::Compose(ComposeField::Attachments);
    key(&mut app, Key::plain(KeyCode::Left)); // report.pdf
    key(&mut app, Key::plain(KeyCode::Delete));
    let names: Vec<String> = app
        .compose
        .attachments
        .files()
        .iter()
        .map(smtpwire::app::AttachedFile::name)
        .collect();
    assert_eq!(names, ["photo.png"]);
    assert_eq!(
        app.stored_draft().attachments,
        [dir.path().join("photo.png")],
        "the draft keeps the list"
    );
    let Some(Action::Job(Job::Send(submission))) = key(&mut app, Key::ctrl('s')) else {
        panic!("Ctrl+S gives no send job: {:?}", app.status);
    };
    assert_eq!(submission.attachments.len(), 1);
    assert_eq!(submission.attachments[0].content_type(), "image/png");
}

#[test]
fn a_file_gone_since_the_last_start_is_flagged_and_never_sent_silently() {
    let (mut app, _) = filled();
    app.compose.attachments =
        smtpwire::app::Attachments::new(vec![smtpwire::app::AttachedFile::Missing {
            path: PathBuf::from("/gone/plan.pdf"),
            reason: "/gone/plan.pdf: no such file".into(),
        }]);
    assert!(key(&mut app, Key::ctrl('s')).is_none(), "no job");
    let status = app.status.clone().unwrap();
    assert_eq!(status.tone, Tone::Error);
    assert!(status.text.contains("plan.pdf"), "{}", status.text);
    assert_eq!(app.focus, Focus::Compose(ComposeField::Attachments));
    insta::assert_snapshot!("attachment_missing_80x24", screen(&app, 80, 24));
    // Removing it lets the letter go.
    key(&mut app, Key::plain(KeyCode::Delete));
    assert!(matches!(
        key(&mut app, Key::ctrl('s')),
        Some(Action::Job(Job::Send(_)))
    ));
}

/// A file deleted or changed after it was attached is said when Ctrl+S
/// is pressed, before any connection, not halfway through the letter.
#[test]
fn a_file_gone_or_changed_since_it_was_attached_stops_the_send_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.txt");
    std::fs::write(&path, "first version\n").unwrap();
    for change in ["delete", "grow"] {
        std::fs::write(&path, "first version\n").unwrap();
        let (mut app, _) = filled();
        let attached = smtpwire::mail::Attachment::open(&path).unwrap();
        app.compose.attachments =
            smtpwire::app::Attachments::new(vec![smtpwire::app::AttachedFile::Ready(attached)]);
        match change {
            "delete" => std::fs::remove_file(&path).unwrap(),
            _ => std::fs::write(&path, "a longer second version\n").unwrap(),
        }
        assert!(key(&mut app, Key::ctrl('s')).is_none(), "{change}: no job");
        let status = app.status.clone().unwrap();
        assert_eq!(status.tone, Tone::Error, "{change}");
        assert!(
            status.text.contains("plan.txt"),
            "{change}: {}",
            status.text
        );
        assert!(
            status.text.contains("attach it again (F5)"),
            "{}",
            status.text
        );
        assert_eq!(app.focus, Focus::Compose(ComposeField::Attachments));
    }
}

#[test]
fn f4_asks_for_the_editor_and_its_text_comes_back() {
    let (mut app, _) = filled();
    let Some(Action::EditBody { text }) = key(&mut app, Key::plain(KeyCode::F(4))) else {
        panic!("F4 asks for no editor")
    };
    assert!(text.contains("Отчёт пишу словами"), "{text}");
    app.update(Msg::Edited(Ok("Новый текст.\nСтрока два.".into())));
    assert_eq!(app.compose.body_text(), "Новый текст.\nСтрока два.");
    assert_eq!(app.focus, Focus::Compose(ComposeField::Body));
    app.update(Msg::Edited(Err(
        "the editor (vi) failed (exit status: 1)".into()
    )));
    assert_eq!(app.compose.body_text(), "Новый текст.\nСтрока два.");
    let status = app.status.clone().unwrap();
    assert!(
        status.text.contains("the body is unchanged"),
        "{}",
        status.text
    );
}

// -------------------------------------------------------------- accounts

const ACCOUNTS: &str = r#"
default_account = "work"

[accounts.work]
server = "smtp.work.example"
from = "Ann <ann@work.example>"

[accounts.home]
server = "smtp.home.example"
port = 465
security = "tls"
from = "Ann <ann@home.example>"
reply_to = "ann+replies@home.example"
"#;

fn with_accounts() -> (App, Clock) {
    let accounts = smtpwire::config::parse(ACCOUNTS, "c.toml").unwrap();
    let work = accounts.settings("work").unwrap();
    let clock = Clock::new();
    let mut signatures = std::collections::BTreeMap::new();
    signatures.insert("home".to_owned(), "Ann at home".to_owned());
    let mut app = App::new(
        &work,
        DraftInput::default(),
        Context {
            accounts,
            account: "work".into(),
            signatures,
            ..context()
        },
    );
    assert!(app.update(clock.at(0)).is_none());
    (app, clock)
}

#[test]
fn space_on_the_account_row_switches_settings_and_identity() {
    let (mut app, _) = with_accounts();
    assert_eq!(app.compose.from.text(), "Ann <ann@work.example>");
    key(&mut app, Key::plain(KeyCode::F(2)));
    key(&mut app, Key::plain(KeyCode::BackTab));
    assert_eq!(app.focus, Focus::Settings(SettingsField::Account));
    key(&mut app, Key::char(' '));
    assert_eq!(app.context.account, "home");
    assert_eq!(app.settings.server(), "smtp.home.example:465");
    assert_eq!(app.compose.from.text(), "Ann <ann@home.example>");
    assert_eq!(app.compose.reply_to.text(), "ann+replies@home.example");
    let screen = screen(&app, 80, 24);
    assert!(screen.contains("Account  ‹home› (2 of 2)"), "{screen}");
    // ← goes back; Ctrl+W saves to the account shown.
    key(&mut app, Key::plain(KeyCode::Left));
    assert_eq!(app.context.account, "work");
    let Some(Action::SaveSettings {
        account, settings, ..
    }) = key(&mut app, Key::ctrl('w'))
    else {
        panic!("Ctrl+W does not save")
    };
    assert_eq!(account, "work");
    assert_eq!(settings.server.as_deref(), Some("smtp.work.example"));
}

#[test]
fn a_from_at_one_accounts_domain_selects_it_and_says_so() {
    let (mut app, _) = with_accounts();
    // Reply-To is optional: the first empty field is To.
    assert_eq!(app.focus, Focus::Compose(ComposeField::To));
    key(&mut app, Key::plain(KeyCode::BackTab));
    key(&mut app, Key::plain(KeyCode::BackTab));
    assert_eq!(app.focus, Focus::Compose(ComposeField::From));
    key(&mut app, Key::ctrl('u'));
    typed(&mut app, "Анна <anna@HOME.example>");
    key(&mut app, Key::plain(KeyCode::Tab));
    assert_eq!(app.context.account, "home");
    assert_eq!(app.settings.server(), "smtp.home.example:465");
    // What was typed stays; the account only brings its server.
    assert_eq!(app.compose.from.text(), "Анна <anna@HOME.example>");
    let status = app.status.as_ref().unwrap().text.clone();
    assert!(
        status.contains("account home (the From address is at home.example)"),
        "{status}"
    );
}

#[test]
fn a_new_letter_starts_with_the_accounts_signature() {
    let (mut app, _) = with_accounts();
    key(&mut app, Key::plain(KeyCode::F(2)));
    key(&mut app, Key::plain(KeyCode::BackTab));
    key(&mut app, Key::char(' '));
    key(&mut app, Key::plain(KeyCode::F(2)));
    key(&mut app, Key::ctrl('n'));
    assert_eq!(app.compose.body_text(), "\n\n-- \nAnn at home");
    assert_eq!(app.compose.body().cursor(), (0, 0));
}

#[test]
fn the_reply_to_field_reaches_the_letter() {
    let (mut app, _) = app_with(
        settings(),
        DraftInput {
            reply_to: "Отдел <otdel@example.org>".into(),
            ..cyrillic()
        },
    );
    let Some(Action::Job(Job::Send(submission))) = key(&mut app, Key::ctrl('s')) else {
        panic!("no send")
    };
    let reply_to: Vec<String> = submission
        .draft
        .reply_to()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(reply_to, ["Отдел <otdel@example.org>"]);
}

// ------------------------------------------------------------ sent copy

#[test]
fn the_send_job_carries_the_copy_and_quitting_waits_for_it() {
    let (mut app, clock) = app_with(
        Settings {
            sent: Some(smtpwire::settings::SentTo::Maildir(
                "/home/ivan/Mail/Sent".into(),
            )),
            ..settings()
        },
        cyrillic(),
    );
    let Some(Action::Job(Job::Send(submission))) = key(&mut app, Key::ctrl('s')) else {
        panic!("no send")
    };
    let plan = submission.copy.expect("a copy is planned");
    assert_eq!(
        plan.target,
        smtpwire::sent::SentTarget::Maildir("/home/ivan/Mail/Sent".into())
    );
    assert_eq!(
        plan.queue.unwrap().dir(),
        std::path::Path::new("/home/ivan/.local/share/smtpwire/sent-queue")
    );
    // The worker says the copy is coming before the send's Done.
    worker(
        &mut app,
        WorkerEvent::Copy(CopyReport::Saving {
            place: "Maildir /home/ivan/Mail/Sent".into(),
        }),
    );
    app.update(clock.at(100));
    assert!(worker(&mut app, WorkerEvent::Done(sent_delivery())).is_none());
    key(&mut app, Key::plain(KeyCode::Enter));
    // Quitting waits for the copy…
    assert!(key(&mut app, Key::ctrl('q')).is_none());
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("saving the copy in Sent"),
        "{:?}",
        app.status
    );
    // …and leaves once it is kept, saying where.
    let action = worker(
        &mut app,
        WorkerEvent::Copy(CopyReport::Kept {
            error: "cannot create /home/ivan/Mail/Sent/tmp: Permission denied".into(),
            path: "/home/ivan/.local/share/smtpwire/sent-queue/copy-1.eml".into(),
        }),
    );
    assert!(matches!(action, Some(Action::Quit)), "{action:?}");
    let log = screen(&app, 200, 50);
    assert!(log.contains("its copy in Sent was not saved"), "{log}");
    assert!(log.contains("sent --retry"), "{log}");
}

#[test]
fn a_sent_setting_that_names_no_place_is_said_and_the_letter_still_goes() {
    let (mut app, _) = app_with(
        Settings {
            sent: Some(smtpwire::settings::SentTo::Imap),
            ..settings()
        },
        cyrillic(),
    );
    let Some(Action::Job(Job::Send(submission))) = key(&mut app, Key::ctrl('s')) else {
        panic!("no send")
    };
    assert!(submission.copy.is_none());
    let log = screen(&app, 200, 50);
    assert!(log.contains("no copy in Sent for this letter"), "{log}");
}

// ------------------------------------------------------------ completion

fn with_history() -> (App, Clock) {
    with_history_and(settings())
}

fn with_history_and(settings: Settings) -> (App, Clock) {
    let mut history = smtpwire::addresses::History::default();
    history.remember(
        &[
            "Мария Иванова <maria@example.org>",
            "mark@example.net",
            "Bob Marsh <bob@example.org>",
        ]
        .map(|m| smtpwire::mail::Mailbox::parse(m).unwrap()),
    );
    let clock = Clock::new();
    let mut app = App::new(
        &settings,
        DraftInput {
            from: "ivan@example.org".into(),
            ..DraftInput::default()
        },
        Context {
            addresses: history,
            ..context()
        },
    );
    app.update(clock.at(0));
    (app, clock)
}

#[test]
fn two_letters_open_the_list_arrows_choose_enter_adds() {
    let (mut app, _) = with_history();
    assert_eq!(app.focus, Focus::Compose(ComposeField::To));
    typed(&mut app, "m");
    assert!(app.completion.is_none(), "one letter opens nothing");
    typed(&mut app, "a");
    let shown: Vec<String> = app
        .completion
        .as_ref()
        .unwrap()
        .choices
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        shown,
        [
            "Мария Иванова <maria@example.org>",
            "mark@example.net",
            "Bob Marsh <bob@example.org>"
        ]
    );
    both_sizes(&mut app, "completion");
    key(&mut app, Key::plain(KeyCode::Down));
    key(&mut app, Key::plain(KeyCode::Down));
    key(&mut app, Key::plain(KeyCode::Up));
    assert!(key(&mut app, Key::plain(KeyCode::Enter)).is_none());
    assert_eq!(app.compose.to.text(), "mark@example.net, ");
    assert_eq!(app.focus, Focus::Compose(ComposeField::To), "Enter stays");
    assert!(app.completion.is_none());
    // The next entry completes too, without offering what is there.
    typed(&mut app, "MAR");
    let shown: Vec<String> = app
        .completion
        .as_ref()
        .unwrap()
        .choices
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        shown,
        [
            "Мария Иванова <maria@example.org>",
            "Bob Marsh <bob@example.org>"
        ]
    );
    // Esc closes the list, and only the list.
    key(&mut app, Key::plain(KeyCode::Esc));
    assert!(app.completion.is_none());
    assert_eq!(app.focus, Focus::Compose(ComposeField::To));
    // Tab moves on as ever, closing the list.
    typed(&mut app, "i");
    assert!(app.completion.is_some());
    key(&mut app, Key::plain(KeyCode::Tab));
    assert!(app.completion.is_none());
    assert_eq!(app.focus, Focus::Compose(ComposeField::Cc));
    assert_eq!(app.compose.to.text(), "mark@example.net, MARi");
}

#[test]
fn the_address_book_command_is_asked_and_its_answer_merged() {
    let (mut app, _) = with_history_and(Settings {
        address_book_command: Some("khard email --parsable %s".into()),
        ..settings()
    });
    typed(&mut app, "o");
    let Some(Action::QueryAddresses { command, query }) = key(&mut app, Key::char('l')) else {
        panic!("no query")
    };
    assert_eq!(command, "khard email --parsable %s");
    assert_eq!(query, "ol");
    // No history match yet: the list waits for the answer.
    assert!(app.completion.is_none());
    // An answer to an older query is dropped.
    app.update(Msg::AddressesFound {
        query: "o".into(),
        result: Ok(vec![
            smtpwire::mail::Mailbox::parse("oops@example.org").unwrap(),
        ]),
    });
    assert!(app.completion.is_none());
    app.update(Msg::AddressesFound {
        query: "ol".into(),
        result: Ok(vec![
            smtpwire::mail::Mailbox::parse("Ольга <olga@example.org>").unwrap(),
            smtpwire::mail::Mailbox::parse("Oleg <oleg@example.com>").unwrap(),
        ]),
    });
    assert_eq!(app.completion.as_ref().unwrap().choices.len(), 2);
    // A narrower query filters the answer at once while it asks again.
    assert!(matches!(
        key(&mut app, Key::char('e')),
        Some(Action::QueryAddresses { .. })
    ));
    let shown: Vec<String> = app
        .completion
        .as_ref()
        .unwrap()
        .choices
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown, ["Oleg <oleg@example.com>"]);
    // A failing command is said, and completion goes on from the history.
    app.update(Msg::AddressesFound {
        query: "ole".into(),
        result: Err("the address book command failed (exit status: 1)".into()),
    });
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("address book command failed")
    );
}

#[test]
fn accepted_recipients_go_into_the_history_with_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, clock) = app_with(
        settings(),
        DraftInput {
            to: "Мария <maria@example.org>, bob@example.org".into(),
            ..cyrillic()
        },
    );
    app.context.data_dir = Some(dir.path().to_owned());
    key(&mut app, Key::ctrl('s'));
    app.update(clock.at(10));
    worker(&mut app, WorkerEvent::Done(sent_delivery()));
    let Some(Action::SaveAddresses { path, history }) = app.update(clock.at(20)) else {
        panic!("the history is not saved")
    };
    assert_eq!(path, dir.path().join("addresses"));
    let shown: Vec<String> = history.entries().iter().map(ToString::to_string).collect();
    // olga was refused: not remembered.
    assert_eq!(
        shown,
        [
            "Мария <maria@example.org>",
            "bob@example.org",
            "Тайный <secret@example.org>"
        ]
    );
}

// ------------------------------------------------------------- inspector

/// The log of `sent()` with the letter's bytes, in the log view with the
/// cursor on the line that holds `text`.
fn inspecting(text: &str) -> (App, Clock) {
    let (mut app, clock) = sent();
    worker(
        &mut app,
        WorkerEvent::Letter(std::sync::Arc::from(
            &b"From: =?UTF-8?B?0JjQstCw0L0=?= <ivan@example.org>\r\nSubject: test\r\n\r\n.a line with a dot\r\n\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\r\n"[..],
        )),
    );
    key(&mut app, Key::plain(KeyCode::Enter)); // closes the results
    render(&app, 80, 24);
    key(&mut app, Key::plain(KeyCode::F(3)));
    let target = app
        .log
        .lines()
        .find(|l| l.text == text)
        .map(|l| l.number)
        .unwrap();
    key(&mut app, Key::plain(KeyCode::Home));
    for _ in 0..target {
        key(&mut app, Key::plain(KeyCode::Down));
    }
    assert_eq!(app.log.selected(), Some(target));
    (app, clock)
}

/// A note (the timeline, a certificate's issuer) is cut at the log's edge;
/// its details show the whole text.
#[test]
fn the_inspector_shows_a_notes_whole_text() {
    let (mut app, clock) = sent();
    let long = format!("a long note: {}the end", "word ".repeat(40));
    app.note(&long);
    app.update(clock.at(5));
    key(&mut app, Key::plain(KeyCode::Enter)); // closes the results
    key(&mut app, Key::plain(KeyCode::F(3)));
    key(&mut app, Key::plain(KeyCode::End));
    key(&mut app, Key::plain(KeyCode::Enter));
    let Some(Overlay::Inspect(inspector)) = &app.overlay else {
        panic!("no inspector")
    };
    assert!(
        inspector
            .rows
            .iter()
            .any(|(l, t)| l == "Text" && *t == long),
        "{:?}",
        inspector.rows
    );
    assert!(screen(&app, 80, 24).contains("the end"));
}

#[test]
fn the_inspector_pairs_a_pipelined_reply_and_explains_it() {
    let (mut app, _) =
        inspecting("550 5.1.1 <olga@example.org>: Recipient address rejected: User unknown");
    both_sizes(&mut app, "log_cursor");
    key(&mut app, Key::plain(KeyCode::Enter));
    let Some(Overlay::Inspect(inspector)) = &app.overlay else {
        panic!("no inspector")
    };
    let row = |label: &str| {
        inspector.rows.iter().find(|(l, _)| l == label).map_or_else(
            || panic!("no {label} row in {:?}", inspector.rows),
            |(_, t)| t.clone(),
        )
    };
    assert!(
        row("Answers").contains("RCPT TO:<olga@example.org>")
            && row("Answers").contains("pipelined"),
        "{}",
        row("Answers")
    );
    assert!(row("Latency").starts_with("31.0 ms"), "{}", row("Latency"));
    assert!(
        row("Bytes").ends_with("User unknown\\r\\n (72 bytes)"),
        "{}",
        row("Bytes")
    );
    assert!(row("Meaning").contains("550"), "{}", row("Meaning"));
    both_sizes(&mut app, "inspector_reply");
    // ← goes to the line before, in place.
    key(&mut app, Key::plain(KeyCode::Left));
    let Some(Overlay::Inspect(inspector)) = &app.overlay else {
        panic!("no inspector")
    };
    assert!(
        inspector
            .rows
            .iter()
            .any(|(_, t)| t.contains("RCPT TO:<bob@example.org>"))
    );
    key(&mut app, Key::plain(KeyCode::Esc));
    assert_eq!(app.overlay, None);
    assert_eq!(app.focus, Focus::Log);
}

#[test]
fn the_inspector_shows_the_letter_as_it_went_on_the_wire() {
    let (mut app, _) = inspecting("<1 234 bytes of message data>");
    key(&mut app, Key::plain(KeyCode::Enter));
    let Some(Overlay::Inspect(inspector)) = &app.overlay else {
        panic!("no inspector")
    };
    let letter = inspector.letter.as_ref().expect("the letter's bytes");
    let lines: Vec<String> = (0..letter.len()).filter_map(|i| letter.line(i)).collect();
    assert_eq!(
        lines,
        [
            "From: =?UTF-8?B?0JjQstCw0L0=?= <ivan@example.org>",
            "Subject: test",
            "",
            "..a line with a dot",
            "Привет",
            "."
        ]
    );
    assert!(
        inspector
            .rows
            .iter()
            .any(|(l, t)| l == "Answer" && t.contains("queued as 4Xb2kL0sFz"))
    );
    both_sizes(&mut app, "inspector_letter");
}

// ----------------------------------------------------- equivalent command

#[test]
fn ctrl_p_asks_for_the_command_and_shows_it() {
    let (mut app, _) = filled();
    let Some(Action::PrintCommand(request)) = key(&mut app, Key::ctrl('p')) else {
        panic!("Ctrl+P asks for nothing")
    };
    assert_eq!(request.tool, smtpwire::equivalent::Tool::Swaks);
    assert_eq!(
        request.dir,
        PathBuf::from("/home/ivan/.local/share/smtpwire/letters")
    );
    app.update(Msg::CommandWritten(Ok(smtpwire::app::Written {
        text: "{ sed 's/^\\./../' /home/ivan/.local/share/smtpwire/letters/letter.eml; printf .; } |\n  swaks \\\n  --server mail.example.org \\\n  --port 587 \\\n  --tls".into(),
        letter: Some("/home/ivan/.local/share/smtpwire/letters/letter.eml".into()),
        script: "/home/ivan/.local/share/smtpwire/letters/send-with-swaks.sh".into(),
    })));
    both_sizes(&mut app, "command");
    // c asks again for curl; Esc closes.
    let Some(Action::PrintCommand(request)) = key(&mut app, Key::char('c')) else {
        panic!("c asks for nothing")
    };
    assert_eq!(request.tool, smtpwire::equivalent::Tool::Curl);
    key(&mut app, Key::plain(KeyCode::Esc));
    assert_eq!(app.overlay, None);
}

#[test]
fn the_help_scrolls_on_a_short_screen() {
    let (mut app, _) = filled();
    key(&mut app, Key::plain(KeyCode::F(1)));
    let top = screen(&app, 80, 24);
    assert!(top.contains("Keys 1–20 of 25"), "{top}");
    key(&mut app, Key::plain(KeyCode::End));
    let bottom = screen(&app, 80, 24);
    assert!(bottom.contains("Keys 6–25 of 25"), "{bottom}");
    assert!(bottom.contains("Enter new line, Ctrl+U undo"), "{bottom}");
    key(&mut app, Key::plain(KeyCode::Down));
    assert_eq!(app.help_scroll, 5, "no further than the end");
    key(&mut app, Key::plain(KeyCode::Up));
    assert_eq!(app.help_scroll, 4);
    // At 200×50 everything shows at once.
    assert!(screen(&app, 200, 50).contains("Keys · Esc closes"));
}

// ------------------------------------------------------------ preview (F6)

/// A pinned Date and Message-ID, as the runner's `Stamp::now()` would give.
fn preview_stamp() -> smtpwire::mail::Stamp {
    use chrono::TimeZone as _;
    smtpwire::mail::Stamp {
        date: chrono::FixedOffset::east_opt(3 * 3600)
            .unwrap()
            .with_ymd_and_hms(2025, 3, 14, 8, 41, 2)
            .unwrap(),
        unique: "preview.1".into(),
    }
}

/// F6, and the runner's part: the preview built (with the pinned stamp)
/// and handed back.
fn preview(app: &mut App) {
    let Some(Action::Preview { id, request }) = key(app, Key::plain(KeyCode::F(6))) else {
        panic!("F6 asks for no preview: {:?}", app.status)
    };
    assert_eq!(app.overlay, Some(Overlay::Preview));
    assert!(app.preview.as_ref().unwrap().is_building());
    let built = request.build(preview_stamp());
    let result = Ok(Box::new(built));
    assert!(app.update(Msg::Previewed { id, result }).is_none());
    assert!(!app.preview.as_ref().unwrap().is_building());
}

/// The preview's lines as text.
fn preview_text(app: &App) -> String {
    app.preview
        .as_ref()
        .unwrap()
        .lines()
        .iter()
        .map(|l| match &l.note {
            Some(note) => format!("{}  {note}\n", l.text),
            None => format!("{}\n", l.text),
        })
        .collect()
}

/// A file of 100 lines of base64 and a bit, named in Cyrillic.
fn attach_report(app: &mut App, dir: &std::path::Path) {
    let path = dir.join("отчёт за март.pdf");
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend((0..57 * 100u32).map(|i| u8::try_from(i % 251).unwrap()));
    std::fs::write(&path, bytes).unwrap();
    let file = smtpwire::mail::Attachment::open(&path).unwrap();
    app.update(Msg::Attached(Ok(file)));
}

#[test]
fn snapshot_preview_without_a_session() {
    let (mut app, _) = filled();
    preview(&mut app);
    let text = preview_text(&app);
    assert!(
        text.contains("not connected: built as for a server offering SIZE, 8BITMIME and SMTPUTF8"),
        "{text}"
    );
    // Bcc is in the envelope only.
    assert!(
        text.contains("RCPT TO:<secret@example.org>  Bcc: in the envelope only, in no header"),
        "{text}"
    );
    assert!(!text.to_ascii_lowercase().contains("bcc: =?"), "{text}");
    assert!(text.contains("Subject: =?utf-8?B?"), "{text}");
    assert!(text.contains("\nЗдравствуйте, Мария!\n"), "{text}");
    assert!(text.ends_with("\n.\n"), "{text}");
    both_sizes(&mut app, "preview");
}

#[test]
fn snapshot_preview_for_the_open_session_with_a_file_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = connected();
    attach_report(&mut app, dir.path());
    preview(&mut app);
    let text = preview_text(&app);
    assert!(
        text.contains(
            "built for mail.example.org:587: SIZE 9.8 MiB, 8BITMIME, SMTPUTF8, PIPELINING"
        ),
        "{text}"
    );
    assert!(
        text.contains("base64  — application/pdf, 5.6 KiB: a file always goes in base64"),
        "{text}"
    );
    assert!(
        text.contains("… 97 more lines of base64 (отчёт за март.pdf, 5.6 KiB) …"),
        "{text}"
    );
    assert!(
        text.contains("the server takes up to 10 240 000 bytes (9.8 MiB): 0%"),
        "{text}"
    );
    key(&mut app, Key::plain(KeyCode::End));
    both_sizes(&mut app, "preview_end");
}

#[test]
fn the_preview_scrolls_closes_and_sends_what_it_showed() {
    let (mut app, _) = filled();
    preview(&mut app);
    // Drawn once, so the view knows its page.
    screen(&app, 80, 24);
    let top = screen(&app, 80, 24);
    key(&mut app, Key::plain(KeyCode::PageDown));
    let paged = screen(&app, 80, 24);
    assert_ne!(top, paged);
    key(&mut app, Key::plain(KeyCode::Home));
    assert_eq!(screen(&app, 80, 24), top);
    app.update(Msg::Wheel(Wheel::Down));
    assert_ne!(screen(&app, 80, 24), top, "the wheel scrolls the preview");
    // Typing does nothing to the letter while it is open.
    key(&mut app, Key::char('x'));
    assert!(!app.compose.body_text().contains('x'));
    // Esc closes; so does F6.
    key(&mut app, Key::plain(KeyCode::Esc));
    assert_eq!(app.overlay, None);
    assert!(app.preview.is_none());
    preview(&mut app);
    key(&mut app, Key::plain(KeyCode::F(6)));
    assert_eq!(app.overlay, None);
    // Ctrl+S from the preview sends, with the Date and Message-ID shown.
    preview(&mut app);
    let Some(Action::Job(Job::Send(submission))) = key(&mut app, Key::ctrl('s')) else {
        panic!("no send: {:?}", app.status)
    };
    assert_eq!(submission.stamp.unwrap().unique, "preview.1");
    assert_eq!(app.overlay, None);
}

#[test]
fn ctrl_s_from_the_preview_asks_about_lint_first_and_keeps_the_stamp() {
    let (mut app, _) = app_with(
        settings(),
        DraftInput {
            subject: String::new(),
            ..cyrillic()
        },
    );
    preview(&mut app);
    assert!(preview_text(&app).contains("! "), "{}", preview_text(&app));
    assert!(key(&mut app, Key::ctrl('s')).is_none());
    assert!(matches!(app.overlay, Some(Overlay::Lint(_))));
    let Some(Action::Job(Job::Send(submission))) = key(&mut app, Key::ctrl('s')) else {
        panic!("no send")
    };
    assert_eq!(submission.stamp.unwrap().unique, "preview.1");
    // A later send from the form gets a stamp of its own.
    worker(&mut app, WorkerEvent::Done(Outcome::Cancelled));
    key(&mut app, Key::plain(KeyCode::Esc));
    key(&mut app, Key::ctrl('s'));
    let Some(Action::Job(Job::Send(submission))) = key(&mut app, Key::ctrl('s')) else {
        panic!("no send")
    };
    assert!(submission.stamp.is_none());
}

#[test]
fn an_invalid_letter_opens_no_preview_but_shows_its_errors() {
    let (mut app, _) = app_with(
        settings(),
        DraftInput {
            from: "ivan".into(),
            to: "a@example.org, b@@example.org".into(),
            ..DraftInput::default()
        },
    );
    assert!(key(&mut app, Key::plain(KeyCode::F(6))).is_none());
    assert_eq!(app.overlay, None);
    assert!(app.compose.error(ComposeField::From).is_some());
    assert!(app.compose.error(ComposeField::To).is_some());
    assert_eq!(app.focus, Focus::Compose(ComposeField::From));
    let status = app.status.as_ref().unwrap();
    assert_eq!(status.tone, Tone::Error);
    assert!(
        status
            .text
            .starts_with("no preview: the letter has 2 problems"),
        "{status:?}"
    );
}

#[test]
fn a_preview_that_arrives_after_esc_is_dropped() {
    let (mut app, _) = filled();
    let Some(Action::Preview { id, request }) = key(&mut app, Key::plain(KeyCode::F(6))) else {
        panic!("no preview")
    };
    assert!(screen(&app, 80, 24).contains("building the letter"));
    key(&mut app, Key::plain(KeyCode::Esc));
    let late = || Ok(Box::new(request.build(preview_stamp())));
    app.update(Msg::Previewed { id, result: late() });
    assert_eq!(app.overlay, None);
    assert!(app.preview.is_none());
    // Nor is it taken for the answer to the next F6.
    let Some(Action::Preview { id: next, .. }) = key(&mut app, Key::plain(KeyCode::F(6))) else {
        panic!("no preview")
    };
    app.update(Msg::Previewed { id, result: late() });
    assert!(app.preview.as_ref().unwrap().is_building());
    key(&mut app, Key::plain(KeyCode::Esc));
    // A build that failed is said.
    let Some(Action::Preview { id, .. }) = key(&mut app, Key::plain(KeyCode::F(6))) else {
        panic!("no preview")
    };
    assert!(id > next);
    app.update(Msg::Previewed {
        id,
        result: Err("building it did not finish: panicked".into()),
    });
    assert_eq!(app.overlay, None);
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .starts_with("no preview: building")
    );
}

// ---------------------------------------------------------------- manual mode (F7)

use smtpwire::{
    app::manual::Mode,
    smtp::{ManualState, Mechanism, Transaction},
    worker::Typed,
};

fn f7(app: &mut App) -> Option<Action> {
    key(app, Key::plain(KeyCode::F(7)))
}

fn enter(app: &mut App) -> Option<Action> {
    key(app, Key::plain(KeyCode::Enter))
}

/// The line a typed job carries.
fn typed_line(action: Option<Action>) -> String {
    match action {
        Some(Action::Job(Job::Typed(Typed::Line(line)))) => line,
        other => panic!("no typed line: {other:?}"),
    }
}

/// The worker's answer to a typed line: its log lines, the state, the reply.
fn answer(app: &mut App, sent: &str, replies: &[&str], state: ManualState) -> Option<Action> {
    let mut lines = vec![line(300, Dir::Client, sent, None, None)];
    for (i, text) in replies.iter().enumerate() {
        lines.push(line(321, Dir::Server, text, (i == 0).then_some(21), None));
    }
    feed_lines(app, lines);
    worker(app, WorkerEvent::Manual(state));
    let reply = replies.last().map(|last| {
        let code: u16 = last[..3].parse().unwrap();
        Reply::new(
            Code::new(code).unwrap(),
            replies.iter().map(|r| r[4..].to_owned()).collect(),
        )
    });
    worker(app, WorkerEvent::Done(Outcome::Typed { reply }))
}

fn state(transaction: Transaction) -> ManualState {
    ManualState {
        transaction,
        ..ManualState::default()
    }
}

/// Connected, with the prompt open and focused.
fn manual() -> (App, Clock) {
    let (mut app, clock) = connected();
    worker(&mut app, WorkerEvent::Manual(ManualState::default()));
    assert!(f7(&mut app).is_none());
    assert_eq!(app.focus, Focus::Manual);
    assert!(app.manual.open);
    (app, clock)
}

#[test]
fn f7_without_a_session_says_connect_first() {
    let (mut app, _) = filled();
    let focus = app.focus;
    assert!(f7(&mut app).is_none());
    assert!(!app.manual.open);
    assert_eq!(app.focus, focus);
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "manual mode types into an open session: Ctrl+O connects first"
    );
}

#[test]
fn snapshot_manual_prompt_sends_lines_and_walks_the_history() {
    let (mut app, _) = manual();
    typed(&mut app, "NOOP");
    assert_eq!(typed_line(enter(&mut app)), "NOOP");
    assert_eq!(app.manual.input.text(), "");
    answer(&mut app, "NOOP", &["250 2.0.0 Ok"], ManualState::default());
    assert_eq!(app.status.as_ref().unwrap().text, "250 2.0.0 Ok");
    typed(&mut app, "VRFY bob@example.org");
    assert_eq!(typed_line(enter(&mut app)), "VRFY bob@example.org");
    answer(
        &mut app,
        "VRFY bob@example.org",
        &["252 2.0.0 bob@example.org"],
        ManualState::default(),
    );
    typed(&mut app, "HELP");
    assert_eq!(typed_line(enter(&mut app)), "HELP");
    answer(
        &mut app,
        "HELP",
        &["214-2.0.0 Commands:", "214 2.0.0 HELO EHLO MAIL RCPT DATA"],
        ManualState::default(),
    );
    // ↑ ↓ walk the history; ↓ past the newest gives back what was typed.
    typed(&mut app, "RS");
    let up = Key::plain(KeyCode::Up);
    let down = Key::plain(KeyCode::Down);
    for (k, shown) in [
        (up, "HELP"),
        (up, "VRFY bob@example.org"),
        (up, "NOOP"),
        (up, "NOOP"),
        (down, "VRFY bob@example.org"),
        (down, "HELP"),
        (down, "RS"),
    ] {
        key(&mut app, k);
        assert_eq!(app.manual.input.text(), shown);
    }
    assert_eq!(
        app.manual.history(),
        ["NOOP", "VRFY bob@example.org", "HELP"]
    );
    typed(&mut app, "ET");
    both_sizes(&mut app, "manual_prompt");
    // The cursor sits after the typed text, on the prompt's line.
    assert_eq!(cursor(&app, 80, 24), (10, 21));
    // Esc leaves the prompt; the session stays open and F7 comes back.
    assert!(key(&mut app, Key::plain(KeyCode::Esc)).is_none());
    assert!(!app.manual.open && app.session_open());
    assert!(matches!(app.focus, Focus::Compose(_)));
    f7(&mut app);
    assert_eq!(app.manual.input.text(), "RSET");
    assert_eq!(typed_line(enter(&mut app)), "RSET");
}

#[test]
fn snapshot_auth_login_asks_user_and_password_masked_and_keeps_no_secret() {
    let (mut app, _) = manual();
    app.settings
        .set(smtpwire::settings::Key::User, "ivan@example.org");
    typed(&mut app, "AUTH LOGIN");
    assert!(enter(&mut app).is_none(), "nothing sent before the prompts");
    assert_eq!(app.manual.mode(), Mode::User);
    // The settings' user is offered.
    assert_eq!(app.manual.input.text(), "ivan@example.org");
    assert!(enter(&mut app).is_none());
    assert_eq!(app.manual.mode(), Mode::Password);
    typed(&mut app, "Tr0ub4dor&3");
    both_sizes(&mut app, "manual_auth_password");
    for size in [(80, 24), (200, 50)] {
        assert!(!screen(&app, size.0, size.1).contains("Tr0ub4dor"));
    }
    let Some(Action::Job(Job::Typed(Typed::Auth {
        mechanism,
        credentials,
    }))) = enter(&mut app)
    else {
        panic!("no AUTH job");
    };
    assert_eq!(mechanism, Mechanism::Login);
    assert_eq!(
        (credentials.username(), credentials.password()),
        ("ivan@example.org", "Tr0ub4dor&3")
    );
    assert!(app.manual.secret.is_empty(), "the field is wiped");
    assert!(!format!("{app:?}").contains("Tr0ub4dor"));
    feed_lines(
        &mut app,
        vec![
            line(400, Dir::Client, "AUTH LOGIN", None, None),
            line(
                420,
                Dir::Server,
                "334 VXNlcm5hbWU6",
                Some(20),
                Some("Username:"),
            ),
            line(420, Dir::Client, "<username redacted>", None, None),
            line(
                440,
                Dir::Server,
                "334 UGFzc3dvcmQ6",
                Some(20),
                Some("Password:"),
            ),
            line(440, Dir::Client, "<password redacted>", None, None),
        ],
    );
    worker(
        &mut app,
        WorkerEvent::Manual(ManualState {
            authenticated: true,
            ..ManualState::default()
        }),
    );
    worker(
        &mut app,
        WorkerEvent::Done(Outcome::Typed {
            reply: Some(reply(235, "2.7.0 Authentication successful")),
        }),
    );
    assert_eq!(app.manual.mode(), Mode::Command);
    assert_eq!(app.manual.history(), ["AUTH LOGIN"]);
    // A typed initial response is sent but never kept.
    typed(&mut app, "AUTH PLAIN AGl2YW4AVHIwdWI0ZG9yJjM=");
    typed_line(enter(&mut app));
    assert_eq!(app.manual.history(), ["AUTH LOGIN"]);

    // Esc while the helper asks: nothing is sent, the line typed before is back.
    worker(&mut app, WorkerEvent::Done(Outcome::Typed { reply: None }));
    typed(&mut app, "AUTH PLAIN");
    enter(&mut app);
    assert!(key(&mut app, Key::plain(KeyCode::Esc)).is_none());
    assert_eq!(app.manual.mode(), Mode::Command);
    assert_eq!(app.status.as_ref().unwrap().text, "AUTH not sent");
}

#[test]
fn the_password_typed_in_the_settings_is_offered() {
    let (mut app, _) = manual();
    app.settings.password = smtpwire::app::line::SecretInput::new("s3cret-from-settings");
    typed(&mut app, "auth plain");
    enter(&mut app);
    typed(&mut app, "bob");
    enter(&mut app);
    assert_eq!(app.manual.secret.expose(), "s3cret-from-settings");
    assert!(screen(&app, 80, 24).contains("AUTH PLAIN password (from the settings)>"));
    let Some(Action::Job(Job::Typed(Typed::Auth { credentials, .. }))) = enter(&mut app) else {
        panic!("no AUTH job");
    };
    assert_eq!(credentials.password(), "s3cret-from-settings");
}

#[test]
fn snapshot_data_typed_by_hand_and_esc_offers_to_drop_the_connection() {
    let (mut app, _) = manual();
    for (sent, reply_text, after) in [
        (
            "MAIL FROM:<ivan@example.org>",
            "250 2.1.0 Ok",
            Transaction::Open { recipients: 0 },
        ),
        (
            "RCPT TO:<maria@example.org>",
            "250 2.1.5 Ok",
            Transaction::Open { recipients: 1 },
        ),
        (
            "DATA",
            "354 End data with <CR><LF>.<CR><LF>",
            Transaction::Data { recipients: 1 },
        ),
    ] {
        typed(&mut app, sent);
        assert_eq!(typed_line(enter(&mut app)), sent);
        answer(&mut app, sent, &[reply_text], state(after));
    }
    assert_eq!(app.manual.mode(), Mode::Data);
    // In DATA an empty line is a line too; each goes out as typed.
    typed(&mut app, "Subject: by hand");
    assert_eq!(typed_line(enter(&mut app)), "Subject: by hand");
    worker(&mut app, WorkerEvent::Done(Outcome::Typed { reply: None }));
    assert_eq!(typed_line(enter(&mut app)), "");
    worker(&mut app, WorkerEvent::Done(Outcome::Typed { reply: None }));
    typed(&mut app, ".hidden");
    both_sizes(&mut app, "manual_data");
    // Ctrl+S refuses while the data is open.
    assert!(key(&mut app, Key::ctrl('s')).is_none());
    assert!(app.job.is_none() && app.overlay.is_none());
    assert!(app.status.as_ref().unwrap().text.contains("not finished"));
    // Esc asks, n keeps typing, y drops the connection.
    assert!(key(&mut app, Key::plain(KeyCode::Esc)).is_none());
    assert_eq!(app.overlay, Some(Overlay::DropData));
    both_sizes(&mut app, "manual_drop_data");
    key(&mut app, Key::char('n'));
    assert_eq!(app.overlay, None);
    assert_eq!(app.focus, Focus::Manual);
    key(&mut app, Key::ctrl('d'));
    assert_eq!(app.overlay, Some(Overlay::DropData), "no QUIT inside DATA");
    assert!(matches!(
        key(&mut app, Key::char('y')),
        Some(Action::Job(Job::Typed(Typed::Drop)))
    ));
    worker(&mut app, WorkerEvent::Session(SessionState::Closed));
    worker(&mut app, WorkerEvent::Done(Outcome::Typed { reply: None }));
    assert!(!app.manual.open && !app.session_open());
    assert_eq!(app.manual.mode(), Mode::Command);
    assert!(matches!(app.focus, Focus::Compose(_)));
}

#[test]
fn snapshot_ctrl_s_with_a_typed_transaction_open_offers_rset() {
    let (mut app, _) = manual();
    typed(&mut app, "MAIL FROM:<ivan@example.org>");
    typed_line(enter(&mut app));
    answer(
        &mut app,
        "MAIL FROM:<ivan@example.org>",
        &["250 2.1.0 Ok"],
        state(Transaction::Open { recipients: 0 }),
    );
    assert!(key(&mut app, Key::ctrl('s')).is_none());
    assert_eq!(app.overlay, Some(Overlay::OpenTransaction));
    both_sizes(&mut app, "manual_open_transaction");
    key(&mut app, Key::char('n'));
    assert!(app.overlay.is_none() && app.job.is_none());
    // y, but the letter cannot go (a bad To): nothing is agreed for later.
    let to = app.compose.to.text().to_owned();
    app.compose.to = smtpwire::app::line::LineInput::new("not an address");
    key(&mut app, Key::ctrl('s'));
    assert!(key(&mut app, Key::char('y')).is_none());
    app.compose.to = smtpwire::app::line::LineInput::new(&to);
    assert!(key(&mut app, Key::ctrl('s')).is_none());
    assert_eq!(app.overlay, Some(Overlay::OpenTransaction), "asks again");
    // y: the letter goes (the worker RSETs before it).
    assert!(matches!(
        key(&mut app, Key::char('y')),
        Some(Action::Job(Job::Send(_)))
    ));
    worker(&mut app, WorkerEvent::Manual(ManualState::default()));
    worker(&mut app, WorkerEvent::Done(sent_delivery()));
    key(&mut app, Key::plain(KeyCode::Esc));
    // A transaction opened again asks again.
    worker(
        &mut app,
        WorkerEvent::Manual(state(Transaction::Open { recipients: 2 })),
    );
    key(&mut app, Key::ctrl('n'));
    key(&mut app, Key::char('y'));
    app.compose = smtpwire::app::ComposeForm::new(&cyrillic());
    assert!(key(&mut app, Key::ctrl('s')).is_none());
    assert_eq!(app.overlay, Some(Overlay::OpenTransaction));
}

#[test]
fn pasted_lines_go_one_at_a_time_and_a_closed_session_closes_the_prompt() {
    let (mut app, _) = manual();
    assert_eq!(
        typed_line(app.update(Msg::Paste("NOOP\r\nRSET\nQUIT\nHEL".into()))),
        "NOOP"
    );
    assert_eq!(app.manual.queued(), 2);
    assert_eq!(app.manual.input.text(), "HEL");
    // Typed ahead while a reply is awaited: it waits its turn too.
    typed(&mut app, "O x");
    assert!(enter(&mut app).is_none());
    assert_eq!(app.manual.queued(), 3);
    let next = answer(&mut app, "NOOP", &["250 2.0.0 Ok"], ManualState::default());
    assert_eq!(typed_line(next), "RSET");
    let next = answer(&mut app, "RSET", &["250 2.0.0 Ok"], ManualState::default());
    assert_eq!(typed_line(next), "QUIT");
    // QUIT closed the session: the prompt closes, the rest is dropped.
    feed_lines(
        &mut app,
        vec![
            line(500, Dir::Client, "QUIT", None, None),
            line(510, Dir::Server, "221 2.0.0 Bye", Some(10), None),
            line(
                510,
                Dir::Note,
                "connection closed (QUIT typed by hand)",
                None,
                None,
            ),
        ],
    );
    worker(&mut app, WorkerEvent::Session(SessionState::Closed));
    assert!(
        worker(
            &mut app,
            WorkerEvent::Done(Outcome::Typed {
                reply: Some(reply(221, "2.0.0 Bye")),
            }),
        )
        .is_none()
    );
    assert_eq!(app.manual.queued(), 0);
    assert!(!app.manual.open && !app.session_open());
    assert!(matches!(app.focus, Focus::Compose(_)));
    assert!(f7(&mut app).is_none());
    assert!(!app.manual.open);
}

#[test]
fn a_failed_typed_line_stops_the_paste_and_says_why() {
    let (mut app, _) = manual();
    typed_line(app.update(Msg::Paste("EXPN staff\nNOOP\n".into())));
    assert_eq!(app.manual.queued(), 1);
    worker(&mut app, WorkerEvent::Session(SessionState::Closed));
    worker(
        &mut app,
        WorkerEvent::Done(Outcome::Failed(Failure::Smtp(smtp::Error::Timeout {
            stage: Stage::Command,
            after: Duration::from_secs(300),
        }))),
    );
    assert_eq!(app.manual.queued(), 0);
    let status = app.status.as_ref().unwrap();
    assert_eq!(status.tone, Tone::Error);
    assert_eq!(
        status.text,
        "no answer from the server within 300 s during a typed command"
    );
}

#[test]
fn enter_while_another_job_runs_keeps_the_line() {
    let (mut app, _) = manual();
    assert!(matches!(
        key(&mut app, Key::ctrl('s')),
        Some(Action::Job(Job::Send(_)))
    ));
    typed(&mut app, "NOOP");
    assert!(enter(&mut app).is_none());
    assert_eq!(app.manual.input.text(), "NOOP");
    assert_eq!(app.status.as_ref().unwrap().tone, Tone::Warning);
    worker(&mut app, WorkerEvent::Done(sent_delivery()));
    key(&mut app, Key::plain(KeyCode::Enter)); // closes the results window
    assert_eq!(typed_line(enter(&mut app)), "NOOP");
}

/// Kept copies for an IMAP Sent whose login needs the password command:
/// not at start (no command runs unasked), but right after the first
/// login, with its password; once per run.
#[test]
fn kept_copies_wait_for_the_first_login_when_the_password_is_not_known() {
    let settings = Settings {
        user: Some("ivan".into()),
        password_command: Some("pass show mail".into()),
        sent: Some(smtpwire::settings::SentTo::Imap),
        ..settings()
    };
    let mut app = App::new(
        &settings,
        cyrillic(),
        Context {
            kept_copies: 2,
            ..context()
        },
    );
    app.update(Clock::new().at(0));
    assert!(app.at_start().is_none());
    assert!(matches!(
        key(&mut app, Key::ctrl('o')),
        Some(Action::RunPasswordCommand(_))
    ));
    assert!(matches!(
        app.update(Msg::Password(Ok(Password::new("s3cret".into())))),
        Some(Action::Job(Job::Connect(_)))
    ));
    worker(&mut app, open_session());
    let Some(Action::Job(Job::RetryKept(retry))) =
        worker(&mut app, WorkerEvent::Done(Outcome::Connected))
    else {
        panic!("the kept copies are not tried after the login")
    };
    assert_eq!(retry.credentials.unwrap().password(), "s3cret");
    assert!(retry.plan.queue.is_some());
    // Once: a second login does not try them again.
    assert!(worker(&mut app, WorkerEvent::Done(Outcome::Connected)).is_none());
    // Without kept copies nothing is tried at all.
    let mut app = App::new(&settings, cyrillic(), context());
    assert!(app.at_start().is_none());
}
