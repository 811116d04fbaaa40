//! Micro-benchmarks of the hot paths: reply parsing, letter building and
//! encoding (1 KB, 1 MB, 20 MB bodies; ASCII and Cyrillic), attachments
//! (base64 lines, a whole letter with a 100 MB file), and DATA
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

/// 100 MB of varied octets (not compressible, not all one value).
fn binary(size: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_u32;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// The `base64` crate's engine on a block of whole lines, then the lines
/// copied out with their CRLFs: the alternative to `mail::base64_lines`'s
/// own loop, kept here to compare the two.
fn base64_crate_lines(input: &[u8], scratch: &mut Vec<u8>, out: &mut Vec<u8>) {
    use base64::Engine as _;
    scratch.resize(input.len().div_ceil(3) * 4, 0);
    let n = base64::engine::general_purpose::STANDARD
        .encode_slice(input, scratch)
        .unwrap();
    out.reserve(n + n / 76 * 2 + 2);
    for line in scratch[..n].chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
}

/// Base64 in 76-column lines, as an attachment streams: 64 KiB pieces of
/// whole lines (1149 × 57 octets).
fn base64_lines(c: &mut Criterion) {
    let mut group = c.benchmark_group("base64_lines");
    group.sample_size(10);
    let data = binary(100_000_000);
    let piece = 57 * 1149;
    group.throughput(Throughput::Bytes(data.len() as u64));
    let mut out = Vec::with_capacity(piece / 57 * 78 + 78);
    group.bench_function("100MB-in-64KiB-pieces", |b| {
        b.iter(|| {
            let mut total = 0;
            for p in data.chunks(piece) {
                out.clear();
                smtpwire::mail::base64_lines(black_box(p), &mut out);
                total += out.len();
            }
            total
        });
    });
    let mut scratch = Vec::new();
    group.bench_function("100MB-in-64KiB-pieces, base64 crate + CRLF copy", |b| {
        b.iter(|| {
            let mut total = 0;
            for p in data.chunks(piece) {
                out.clear();
                base64_crate_lines(black_box(p), &mut scratch, &mut out);
                total += out.len();
            }
            total
        });
    });
    group.finish();
}

/// A whole letter's `chunks()` with a 100 MB attachment in the page cache:
/// reading, the change checks, base64 and the chunking together.
fn attachment_letter(c: &mut Criterion) {
    let mut group = c.benchmark_group("attachment letter");
    group.sample_size(10);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    std::fs::write(&path, binary(100_000_000)).unwrap();
    let attachments = [smtpwire::mail::Attachment::open(&path).unwrap()];
    let d = draft(body(4 << 10, true));
    group.throughput(Throughput::Bytes(attachments[0].size()));
    group.bench_function("chunks() with a 100 MB file", |b| {
        b.iter(|| {
            let letter = build(&d, &stamp(), &BuildOptions::default())
                .unwrap()
                .with_attachments(&attachments);
            let streamed: usize = letter.chunks().map(|c| c.unwrap().len()).sum();
            assert_eq!(streamed as u64, letter.len());
            streamed
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

criterion_group!(
    benches,
    replies,
    letters,
    file_body,
    base64_lines,
    attachment_letter,
    dot_stuffing
);
criterion_main!(benches);
