//! What the composer's protocol log costs in memory per line beyond the
//! text itself: a counting global allocator measures the heap the log takes
//! as 1 000, 100 000 and 1 000 000 lines arrive through `App::update` (the
//! way the worker's lines do), next to the text's own length.
//! `cargo bench --bench log_memory` prints a table; it times nothing.

// Bench code: a panic is the failure report.
#![allow(clippy::unwrap_used, reason = "a benchmark's failure is a panic")]

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use chrono::NaiveTime;
use smtpwire::{
    app::{App, Context, Msg},
    config::Settings,
    mail::DraftInput,
    smtp::{Dir, LogLine},
    worker::WorkerEvent,
};

/// The system allocator, counting the bytes live and the peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only counters are
// added.
#[expect(unsafe_code, reason = "a global allocator is unsafe by definition")]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let now = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
        PEAK.fetch_max(now, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Resident memory now, from /proc (KiB), for the allocator's own overhead.
fn rss_kib() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The same mix of lines as benches/ui.rs: commands, replies with their
/// latency, notes, and a long multi-byte reply.
fn line(i: usize) -> LogLine {
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
    let (dir, text) = texts[i % texts.len()];
    LogLine {
        time: NaiveTime::from_hms_milli_opt(9, 15, 0, 0).unwrap(),
        dir,
        // Exact capacity, as the engine's `to_owned` gives.
        text: format!("{text} #{i}").into_boxed_str().into_string(),
        latency: (dir == Dir::Server).then(|| Duration::from_micros(1500)),
        gloss: None,
    }
}

fn main() {
    println!(
        "the log keeps each line in a 24-byte record (its text in one shared buffer); \
         the ring's slots grow by doubling"
    );
    println!();
    println!(
        "| log lines | text (MiB) | heap beyond the text, per line (now / at peak) | RSS beyond the text, per line |"
    );
    println!("|---:|---:|---:|---:|");
    for lines in [1_000, 100_000, 1_000_000] {
        let context = Context {
            hostname: "client.example.org".into(),
            color: true,
            ..Context::default()
        };
        let mut app = App::new(&Settings::default(), DraftInput::default(), context);
        let (live, rss) = (LIVE.load(Ordering::Relaxed), rss_kib());
        PEAK.store(live, Ordering::Relaxed);
        let mut text = 0usize;
        for i in 0..lines {
            let next = line(i);
            text += next.text.len();
            app.update(Msg::Worker(WorkerEvent::Line(next)));
        }
        let heap = LIVE.load(Ordering::Relaxed) - live;
        let peak = PEAK.load(Ordering::Relaxed) - live;
        let rss = (rss_kib().saturating_sub(rss) * 1024).saturating_sub(text);
        println!(
            "| {lines} | {:.1} | {:.0} / {:.0} bytes | {:.0} bytes |",
            text as f64 / f64::from(1 << 20),
            heap.saturating_sub(text) as f64 / lines as f64,
            peak.saturating_sub(text) as f64 / lines as f64,
            rss as f64 / lines as f64,
        );
        drop(app);
    }
}
