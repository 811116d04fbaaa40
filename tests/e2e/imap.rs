//! A minimal `IMAP4rev1` client for reading delivered letters back: LOGIN,
//! SELECT, UID SEARCH, UID FETCH BODY.PEEK[]. Blocking, loopback only,
//! every read bounded by a timeout.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

pub struct Imap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

/// One response: its text lines and the literals they carried.
#[derive(Default, Debug)]
pub struct Response {
    pub lines: Vec<String>,
    pub literals: Vec<Vec<u8>>,
}

/// An IMAP quoted string (RFC 3501 §4.3): backslash and quote escaped.
pub(crate) fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Imap {
    pub fn login(host: &str, port: u16, user: &str, password: &str) -> Imap {
        let stream = TcpStream::connect((host, port)).expect("IMAP connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let writer = stream.try_clone().unwrap();
        let mut imap = Imap {
            reader: BufReader::new(stream),
            writer,
            tag: 0,
        };
        let mut greeting = String::new();
        imap.reader.read_line(&mut greeting).unwrap();
        assert!(greeting.starts_with("* OK"), "IMAP greeting: {greeting}");
        imap.command(&format!("LOGIN {} {}", quote(user), quote(password)));
        imap
    }

    /// Runs one command; panics unless it ends in OK.
    pub fn command(&mut self, command: &str) -> Response {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        write!(self.writer, "{tag} {command}\r\n").unwrap();
        let mut response = Response::default();
        loop {
            let mut line = Vec::new();
            self.reader.read_until(b'\n', &mut line).unwrap();
            assert!(
                !line.is_empty(),
                "IMAP server closed the connection during {command}"
            );
            let text = String::from_utf8_lossy(&line).trim_end().to_owned();
            // A literal: {n} at the end of the line, then n bytes.
            if let Some(n) = text
                .strip_suffix('}')
                .and_then(|t| t.rsplit_once('{'))
                .and_then(|(_, n)| n.parse::<usize>().ok())
            {
                let mut literal = vec![0; n];
                self.reader.read_exact(&mut literal).unwrap();
                response.literals.push(literal);
            }
            if let Some(rest) = text.strip_prefix(&format!("{tag} ")) {
                assert!(rest.starts_with("OK"), "IMAP {command:?} failed: {rest}");
                return response;
            }
            response.lines.push(text);
        }
    }

    pub fn select(&mut self, mailbox: &str) -> u32 {
        let r = self.command(&format!("SELECT {}", quote(mailbox)));
        r.lines
            .iter()
            .find_map(|l| l.strip_prefix("* ").and_then(|l| l.strip_suffix(" EXISTS")))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// UIDs of the messages matching an (already quoted) search.
    pub fn search(&mut self, criteria: &str) -> Vec<u32> {
        let r = self.command(&format!("UID SEARCH {criteria}"));
        r.lines
            .iter()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(|l| {
                l.split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    pub fn fetch(&mut self, uid: u32) -> Vec<u8> {
        let mut r = self.command(&format!("UID FETCH {uid} BODY.PEEK[]"));
        assert_eq!(r.literals.len(), 1, "FETCH {uid}: {:?}", r.lines);
        r.literals.remove(0)
    }

    /// Waits (bounded) until `criteria` matches at least `count` messages in
    /// INBOX, then returns them. Delivery after the 250 is asynchronous.
    pub fn wait_for(&mut self, criteria: &str, count: usize, limit: Duration) -> Vec<Vec<u8>> {
        let started = Instant::now();
        loop {
            self.select("INBOX");
            let uids = self.search(criteria);
            if uids.len() >= count || started.elapsed() > limit {
                return uids.into_iter().map(|uid| self.fetch(uid)).collect();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn logout(mut self) {
        self.tag += 1;
        let _ = write!(self.writer, "a{} LOGOUT\r\n", self.tag);
    }
}
