//! One frame of the composer drawn into a `TestBackend` at 200×50 with a log
//! of 1 000, 100 000 and 1 000 000 lines: the cost must not grow with the
//! log (only the visible lines are drawn). And a keystroke in the body with
//! the log full: `App::update` and the frame it causes, as the composer's
//! loop does them. `cargo bench --bench ui`.

// Bench code: a panic is the failure report.
#![allow(clippy::unwrap_used, reason = "a benchmark's failure is a panic")]

use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveTime};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::{Terminal, backend::TestBackend};
use smtpwire::{
    app::{App, ComposeField, Context, Focus, Key, KeyCode, Msg},
    config::Settings,
    mail::DraftInput,
    smtp::{Dir, LogLine, Security},
    worker::WorkerEvent,
};

fn app(lines: usize) -> App {
    let settings = Settings {
        server: Some("mail.example.org".into()),
        port: Some(587),
        security: Some(Security::StartTls),
        ..Settings::default()
    };
    let draft = DraftInput {
        from: "Иван Петров <ivan@example.org>".into(),
        to: "Мария <maria@example.org>, bob@example.org".into(),
        subject: "Отчёт за март — проверка связи".into(),
        body: "Здравствуйте, Мария!\n\nОтчёт во вложении.\n\n-- \nИван".into(),
        ..DraftInput::default()
    };
    let context = Context {
        hostname: "client.example.org".into(),
        config_path: None,
        data_dir: None,
        color: true,
        account: "default".into(),
        ..Context::default()
    };
    let mut app = App::new(&settings, draft, context);
    let wall = NaiveDate::from_ymd_opt(2026, 11, 26)
        .unwrap()
        .and_hms_opt(9, 15, 0)
        .unwrap();
    app.update(Msg::Tick {
        now: Instant::now(),
        wall,
    });
    let texts = [
        (Dir::Client, "RCPT TO:<bob@example.org>"),
        (Dir::Server, "250 2.1.5 Ok"),
        (
            Dir::Note,
            "TLS established in 5.6 ms; certificate CN=mail.example.org",
        ),
        (
            Dir::Server,
            "250-mail.example.org Привет, это длинная строка ответа сервера, которую придётся обрезать по ширине окна",
        ),
    ];
    for i in 0..lines {
        let (dir, text) = texts[i % texts.len()];
        app.update(Msg::Worker(WorkerEvent::Line(LogLine {
            time: NaiveTime::from_hms_milli_opt(9, 15, 0, 0).unwrap(),
            dir,
            text: format!("{text} #{i}"),
            latency: (dir == Dir::Server).then(|| Duration::from_micros(1500)),
            gloss: None,
        })));
    }
    app
}

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("ui frame 200x50");
    for lines in [1_000, 100_000, 1_000_000] {
        let app = app(lines);
        let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
        group.bench_with_input(
            BenchmarkId::new("ui::draw, log lines", lines),
            &app,
            |b, app| {
                b.iter(|| {
                    terminal
                        .draw(|frame| smtpwire::ui::draw(frame, app))
                        .unwrap();
                });
            },
        );
    }
    group.finish();
}

/// A key typed into the body and taken back, each followed by its frame:
/// the model stays the same from one iteration to the next.
fn keystroke(c: &mut Criterion) {
    let mut group = c.benchmark_group("keystroke in the body 200x50");
    for lines in [1_000, 1_000_000] {
        let mut app = app(lines);
        app.focus = Focus::Compose(ComposeField::Body);
        let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
        terminal
            .draw(|frame| smtpwire::ui::draw(frame, &app))
            .unwrap();
        group.bench_function(
            BenchmarkId::new("update + draw, twice, log lines", lines),
            |b| {
                b.iter(|| {
                    for code in [KeyCode::Char('x'), KeyCode::Backspace] {
                        app.update(Msg::Key(Key::plain(code)));
                        terminal
                            .draw(|frame| smtpwire::ui::draw(frame, &app))
                            .unwrap();
                    }
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, frame, keystroke);
criterion_main!(benches);
