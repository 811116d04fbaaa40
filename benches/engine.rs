//! Micro-benchmarks of the hot paths: reply parsing, letter building and
//! encoding (1 KB, 1 MB, 20 MB bodies; ASCII and Cyrillic), and DATA
//! dot-stuffing throughput. `cargo bench`; figures go in docs/PERFORMANCE.md.

// Bench code: a panic is the failure report.
#![allow(clippy::unwrap_used, reason = "a benchmark's failure is a panic")]

use std::hint::black_box;

use chrono::TimeZone as _;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use smtpwire::{
    mail::{BuildOptions, Draft, DraftInput, Stamp, build},
    smtp::{Capabilities, connection::DotStuffer, reply::parse},
};

fn replies(c: &mut Criterion) {
    let mut group = c.benchmark_group("reply");
    let cases: [(&str, &[u8]); 3] = [
        ("single line", b"250 2.1.5 Ok\r\n"),
        (
            "postfix EHLO",
            b"250-mail.lab.example\r\n250-PIPELINING\r\n250-SIZE 73400320\r\n250-ETRN\r\n250-STARTTLS\r\n\
              250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
        ),
        ("rejection", b"550 5.1.1 <nobody@lab.example>: Recipient address rejected: User unknown in virtual mailbox table\r\n"),
    ];
    for (name, wire) in cases {
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse(black_box(wire))));
    }
    let (ehlo, _) = parse(cases[1].1).unwrap().unwrap();
    group.bench_function("capabilities from EHLO", |b| {
        b.iter(|| Capabilities::from_ehlo(black_box(&ehlo)));
    });
    group.finish();
}

/// Realistic text: 60–75 character lines, paragraphs, an occasional dot.
fn body(size: usize, cyrillic: bool) -> String {
    let words: &[&str] = if cyrillic {
        &[
            "съешь",
            "же",
            "ещё",
            "этих",
            "мягких",
            "французских",
            "булок",
            "да",
            "выпей",
            "чаю",
        ]
    } else {
        &[
            "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "pack", "my", "box",
        ]
    };
    let mut out = String::with_capacity(size + 100);
    let (mut line, mut i) = (0usize, 0usize);
    while out.len() < size {
        let w = words[i % words.len()];
        i = i.wrapping_mul(31).wrapping_add(7);
        out.push_str(w);
        line += w.chars().count() + 1;
        if line > 68 {
            out.push_str(if i % 9 == 0 { ".\n\n" } else { "\n" });
            line = 0;
        } else {
            out.push(' ');
        }
    }
    out
}

fn draft(body: String) -> Draft {
    Draft::parse_owned(DraftInput {
        from: "Алиса Селезнёва <alice@lab.example>".into(),
        to: "Bob <bob@lab.example>, carol@lab.example".into(),
        subject: "Протокол встречи — benchmark".into(),
        body,
        ..DraftInput::default()
    })
    .unwrap()
}

fn stamp() -> Stamp {
    Stamp {
        date: chrono::FixedOffset::east_opt(3 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 26, 9, 15, 0)
            .unwrap(),
        unique: "bench.1".into(),
    }
}

fn letters(c: &mut Criterion) {
    let mut group = c.benchmark_group("letter");
    group.sample_size(20);
    for (size, label) in [(1 << 10, "1 KB"), (1 << 20, "1 MB"), (20 << 20, "20 MB")] {
        for (cyrillic, script) in [(false, "ASCII"), (true, "Cyrillic")] {
            let d = draft(body(size, cyrillic));
            group.throughput(Throughput::Bytes(d.body().len() as u64));
            for (eight_bit, encoding) in [(true, "8bit"), (false, "QP")] {
                if !cyrillic && !eight_bit {
                    continue; // ASCII is 7bit either way
                }
                let opts = BuildOptions {
                    eight_bit,
                    smtputf8: true,
                    ..BuildOptions::default()
                };
                let id = BenchmarkId::new(
                    format!(
                        "build+stream {script} {}",
                        if cyrillic { encoding } else { "7bit" }
                    ),
                    label,
                );
                group.bench_with_input(id, &d, |b, d| {
                    b.iter(|| {
                        let letter = build(d, &stamp(), &opts).unwrap();
                        let size = letter.len();
                        let streamed: usize = letter.chunks().map(|c| c.unwrap().len()).sum();
                        assert_eq!(size, streamed as u64);
                        streamed
                    });
                });
            }
        }
    }
    group.finish();
}

/// The first reading of a body file (the scan that chooses the encoding)
/// and the whole letter streamed from it, for a 20 MB file in the page cache.
fn file_body(c: &mut Criterion) {
    let mut group = c.benchmark_group("file body 20 MB");
    group.sample_size(20);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body.txt");
    std::fs::write(&path, body(20 << 20, false).replace('\n', "\r\n")).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    group.throughput(Throughput::Bytes(size));
    group.bench_function("scan (FileBody::open)", |b| {
        b.iter(|| smtpwire::mail::FileBody::open(&path).unwrap());
    });
    let file = smtpwire::mail::FileBody::open(&path).unwrap();
    let d = draft(String::new());
    group.bench_function("stream the letter", |b| {
        b.iter(|| {
            let letter =
                smtpwire::mail::build_from_file(&d, &file, &stamp(), &BuildOptions::default())
                    .unwrap();
            letter.chunks().map(|c| c.unwrap().len()).sum::<usize>()
        });
    });
    group.finish();
}

fn dot_stuffing(c: &mut Criterion) {
    let mut group = c.benchmark_group("dot-stuffing");
    for (label, text) in [
        ("CRLF text", body(4 << 20, false).replace('\n', "\r\n")),
        ("LF text", body(4 << 20, false)),
        ("dot lines", ".\r\n..\r\n".repeat(512 << 10)),
    ] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        let mut out = Vec::with_capacity(text.len() * 2);
        group.bench_function(label, |b| {
            b.iter(|| {
                out.clear();
                let mut s = DotStuffer::new();
                for chunk in text.as_bytes().chunks(64 << 10) {
                    s.encode(chunk, &mut out);
                }
                s.finish(&mut out);
                out.len()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, replies, letters, file_body, dot_stuffing);
criterion_main!(benches);
