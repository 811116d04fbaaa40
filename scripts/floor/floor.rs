//! The raw-socket floor: the least an SMTP client can do to deliver a
//! prepared letter, for scripts/bench_peers.py to measure smtpwire against
//! in the same run. Standard library only; the peers script compiles it with
//! `rustc -O --edition 2021 scripts/floor/floor.rs`.
//!
//!   floor HOST:PORT HELO FROM TO FILE [REPEAT [SESSIONS]]
//!
//! The dialogue is smtpwire's: the greeting, EHLO, then MAIL, RCPT and DATA
//! in one write (the server must offer PIPELINING), the letter, the final
//! dot with the next letter's MAIL, RCPT and DATA behind it, and QUIT after
//! the last reply. FILE is a whole letter with CRLF line ends and no line
//! starting with a dot: it is sent as it is, without dot-stuffing, which
//! is what makes this a floor. One letter is streamed from the file with
//! `std::io::copy` (sendfile on Linux); repeated letters are read into
//! memory once. SESSIONS threads share REPEAT letters, each over its own
//! connection. Exits 1 on any reply that is not the expected one.

use std::{
    fs::File,
    io::{self, BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::ExitCode,
    thread,
};

/// One reply, all its lines; the code of the last.
fn reply(r: &mut BufReader<TcpStream>, line: &mut String) -> io::Result<u16> {
    loop {
        line.clear();
        if r.read_line(line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
        }
        let b = line.as_bytes();
        if b.len() < 4 {
            return Err(io::Error::other(format!("malformed: {line:?}")));
        }
        if b[3] != b'-' {
            return line[..3].parse().map_err(io::Error::other);
        }
    }
}

fn expect(r: &mut BufReader<TcpStream>, line: &mut String, want: u16) -> io::Result<()> {
    let code = reply(r, line)?;
    if code == want {
        Ok(())
    } else {
        Err(io::Error::other(format!("expected {want}, got {}", line.trim_end())))
    }
}

struct Job<'a> {
    addr: &'a str,
    helo: &'a str,
    from: &'a str,
    to: &'a str,
    path: &'a str,
    /// The letter in memory when it is sent more than once.
    letter: Option<&'a [u8]>,
}

fn session(job: &Job<'_>, letters: usize) -> io::Result<()> {
    let mut w = TcpStream::connect(job.addr)?;
    w.set_nodelay(true)?;
    let mut r = BufReader::new(w.try_clone()?);
    let mut line = String::new();
    expect(&mut r, &mut line, 220)?;
    write!(w, "EHLO {}\r\n", job.helo)?;
    expect(&mut r, &mut line, 250)?;
    let envelope = format!("MAIL FROM:<{}>\r\nRCPT TO:<{}>\r\nDATA\r\n", job.from, job.to);
    w.write_all(envelope.as_bytes())?;
    let mut batch = Vec::new();
    for i in 0..letters {
        expect(&mut r, &mut line, 250)?;
        expect(&mut r, &mut line, 250)?;
        expect(&mut r, &mut line, 354)?;
        batch.clear();
        match job.letter {
            Some(letter) => batch.extend_from_slice(letter),
            None => {
                io::copy(&mut File::open(job.path)?, &mut w)?;
            }
        }
        batch.extend_from_slice(b".\r\n");
        if i + 1 < letters {
            batch.extend_from_slice(envelope.as_bytes());
        }
        w.write_all(&batch)?;
        expect(&mut r, &mut line, 250)?;
    }
    w.write_all(b"QUIT\r\n")?;
    expect(&mut r, &mut line, 221)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        eprintln!("usage: floor HOST:PORT HELO FROM TO FILE [REPEAT [SESSIONS]]");
        return ExitCode::from(2);
    }
    let number = |i: usize| args.get(i).map_or(Ok(1), |s| s.parse::<usize>());
    let (Ok(repeat), Ok(sessions)) = (number(5), number(6)) else {
        eprintln!("REPEAT and SESSIONS are numbers");
        return ExitCode::from(2);
    };
    let sessions = sessions.clamp(1, repeat.max(1));
    let mut held = Vec::new();
    if repeat > 1 {
        if let Err(e) = File::open(&args[4]).and_then(|mut f| f.read_to_end(&mut held)) {
            eprintln!("floor: {}: {e}", args[4]);
            return ExitCode::FAILURE;
        }
    }
    let job = Job {
        addr: &args[0],
        helo: &args[1],
        from: &args[2],
        to: &args[3],
        path: &args[4],
        letter: (repeat > 1).then_some(&held[..]),
    };
    let failed = thread::scope(|scope| {
        let workers: Vec<_> = (0..sessions)
            .map(|s| {
                // The letters split as evenly as they go.
                let share = repeat / sessions + usize::from(s < repeat % sessions);
                let job = &job;
                scope.spawn(move || session(job, share))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|_| Err(io::Error::other("panicked"))))
            .filter_map(Result::err)
            .inspect(|e| eprintln!("floor: {e}"))
            .count()
    });
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
