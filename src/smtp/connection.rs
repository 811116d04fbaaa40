//! One SMTP connection over any byte stream: buffered writes of whole command
//! batches, bounded reply reads, a deadline on every round trip, the DATA
//! stream with dot-stuffing, and STARTTLS as an upgrade that consumes the
//! plain connection.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpStream,
};
use tokio_native_tls::TlsStream;

use super::{
    auth::decode_challenge,
    command::Command,
    config::SessionConfig,
    error::Error,
    reply::{self, ParseError, Reply},
    transcript::{Stage, Transcript, format_latency},
    visible::visible_bytes,
};

/// Per-stage deadlines (RFC 5321 §4.5.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// DNS and TCP connect, and each TLS handshake.
    pub connect: Duration,
    /// The 220 greeting: 5 minutes.
    pub greeting: Duration,
    /// EHLO, AUTH, MAIL, RCPT, RSET, QUIT: 5 minutes.
    pub command: Duration,
    /// The 354 after DATA: 2 minutes.
    pub data_init: Duration,
    /// Each block of message data written: 3 minutes.
    pub data_block: Duration,
    /// The reply after the final dot: 10 minutes.
    pub data_end: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts::scaled(Duration::from_secs(300))
    }
}

impl Timeouts {
    /// All deadlines from one knob, `base` being the command timeout (300 s
    /// by default): the others keep RFC 5321's proportions (DATA 2/5, data
    /// blocks 3/5, final reply 2×), and connecting gets a tenth (at least a
    /// second, so a TLS handshake on a busy machine is not cut short).
    pub fn scaled(base: Duration) -> Timeouts {
        Timeouts {
            connect: (base / 10).max(Duration::from_secs(1)).min(base),
            greeting: base,
            command: base,
            data_init: base * 2 / 5,
            data_block: base * 3 / 5,
            data_end: base * 2,
        }
    }
}

/// The size of the blocks written during DATA.
const DATA_BLOCK: usize = 64 * 1024;

/// A connection in any state after TCP connect.
pub struct Connection<S> {
    stream: S,
    /// Bytes read but not parsed yet are `rbuf[rpos..]`.
    rbuf: Vec<u8>,
    rpos: usize,
    wbuf: WriteBuf,
    /// When the last batch left, for per-reply latency.
    sent_at: Instant,
    timeouts: Timeouts,
    transcript: Transcript,
    /// The certificate summary once the stream is TLS.
    tls: Option<String>,
}

/// The write buffer. Once it has held a credential it is wiped, all of its
/// capacity, when it is emptied or dropped: a failed write, a cancelled job
/// or a dropped session leaves nothing of `AUTH PLAIN <blob>` in memory.
struct WriteBuf {
    bytes: Vec<u8>,
    secret: bool,
}

impl WriteBuf {
    /// Empties the buffer (wiping it if it held a credential).
    fn clear(&mut self) {
        if std::mem::take(&mut self.secret) {
            use zeroize::Zeroize as _;
            // Zeroizing a Vec clears it and wipes its whole capacity.
            self.bytes.zeroize();
        } else {
            self.bytes.clear();
        }
    }
}

impl Drop for WriteBuf {
    fn drop(&mut self) {
        self.clear();
    }
}

/// By hand: the buffers may hold a credential or a letter, so only the
/// state is shown.
impl<S> std::fmt::Debug for Connection<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("unread", &(self.rbuf.len() - self.rpos))
            .field("unwritten", &self.wbuf.bytes.len())
            .field("timeouts", &self.timeouts)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Wraps a connected stream; `tls` describes the certificate when the
    /// stream is already TLS.
    pub fn new(
        stream: S,
        timeouts: Timeouts,
        transcript: Transcript,
        tls: Option<String>,
    ) -> Connection<S> {
        Connection {
            stream,
            rbuf: Vec::with_capacity(8192),
            rpos: 0,
            wbuf: WriteBuf {
                bytes: Vec::with_capacity(DATA_BLOCK + 4096),
                secret: false,
            },
            sent_at: Instant::now(),
            timeouts,
            transcript,
            tls,
        }
    }

    /// The deadlines in force.
    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }

    /// Whether the stream is TLS.
    pub fn is_encrypted(&self) -> bool {
        self.tls.is_some()
    }

    /// The server certificate in words, once the stream is TLS.
    pub fn tls_description(&self) -> Option<&str> {
        self.tls.as_deref()
    }

    /// The transcript, for notes and stage changes.
    pub fn transcript(&mut self) -> &mut Transcript {
        &mut self.transcript
    }

    /// Queues a command for the next [`Connection::flush`] and logs it.
    pub fn queue(&mut self, command: &Command<'_>) {
        use std::io::Write as _;
        self.transcript.client(&command.log_text());
        self.wbuf.secret |= command.is_secret();
        // Writing into a Vec cannot fail.
        let _ = write!(self.wbuf.bytes, "{command}");
    }

    /// Writes everything queued in one go.
    pub async fn flush(&mut self, stage: Stage, limit: Duration) -> Result<(), Error> {
        let write = async {
            self.stream.write_all(&self.wbuf.bytes).await?;
            self.stream.flush().await
        };
        let result = match tokio::time::timeout(limit, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::io(stage, &e)),
            Err(_) => Err(Error::Timeout {
                stage,
                after: limit,
            }),
        };
        // Written or not, the bytes are done with: a failed write breaks
        // the connection, and a credential must not wait in the buffer.
        self.wbuf.clear();
        self.sent_at = Instant::now();
        result
    }

    /// Sends one command and reads its reply.
    pub async fn command(&mut self, command: &Command<'_>, stage: Stage) -> Result<Reply, Error> {
        self.queue(command);
        self.flush(stage, self.timeouts.command).await?;
        self.read_reply(stage, self.timeouts.command).await
    }

    /// Reads one reply within `limit`, logs it, and turns 421 into
    /// [`Error::ServiceClosing`] wherever it comes.
    pub async fn read_reply(&mut self, stage: Stage, limit: Duration) -> Result<Reply, Error> {
        self.read_reply_noting(stage, limit, None).await
    }

    /// [`Connection::read_reply`] that notes `note.1` in the transcript if
    /// no reply has come after `note.0`, then goes on waiting to the
    /// deadline. Reading is cancel-safe (bytes read are kept in the buffer),
    /// so the wait can be split.
    pub async fn read_reply_noting(
        &mut self,
        stage: Stage,
        limit: Duration,
        note: Option<(Duration, &str)>,
    ) -> Result<Reply, Error> {
        // tokio's clock, so the split wait is exact under a paused test clock too.
        let started = tokio::time::Instant::now();
        let first = note.map_or(limit, |(after, _)| after.min(limit));
        let mut result = tokio::time::timeout(first, self.read_reply_inner(stage)).await;
        if result.is_err()
            && let Some((_, text)) = note
            && first < limit
        {
            self.transcript.note(text);
            let rest = limit.saturating_sub(started.elapsed());
            result = tokio::time::timeout(rest, self.read_reply_inner(stage)).await;
        }
        let reply = match result {
            Ok(result) => result?,
            Err(_) => {
                return Err(Error::Timeout {
                    stage,
                    after: limit,
                });
            }
        };
        let latency = self.sent_at.elapsed();
        let gloss = (reply.code().value() == 334)
            .then(|| reply.lines().first().and_then(|l| decode_challenge(l)))
            .flatten();
        for (i, line) in reply.wire_lines().enumerate() {
            let first = i == 0;
            self.transcript.server(
                &line,
                first.then_some(latency),
                if first { gloss.clone() } else { None },
            );
        }
        if reply.code().value() == 421 {
            return Err(Error::ServiceClosing { stage, reply });
        }
        Ok(reply)
    }

    async fn read_reply_inner(&mut self, stage: Stage) -> Result<Reply, Error> {
        loop {
            match reply::parse(&self.rbuf[self.rpos..]) {
                Ok(Some((reply, used))) => {
                    self.rpos += used;
                    if self.rpos == self.rbuf.len() {
                        self.rbuf.clear();
                        self.rpos = 0;
                    }
                    return Ok(self.scrubbed(reply));
                }
                Ok(None) => {}
                Err(ParseError::Malformed(raw)) => {
                    // Scrubbed whole, then cut: a cut could split a secret.
                    let shown = visible_bytes(&raw);
                    let line = reply::shorten(&self.transcript.withhold(&shown));
                    return Err(Error::Malformed { stage, line });
                }
                Err(ParseError::TooLong) => return Err(Error::ReplyTooLong { stage }),
            }
            if self.rpos > 0 {
                self.rbuf.drain(..self.rpos);
                self.rpos = 0;
            }
            let mut chunk = [0u8; 4096];
            let n = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| Error::io(stage, &e))?;
            if n == 0 {
                return Err(Error::Closed { stage });
            }
            self.rbuf.extend_from_slice(&chunk[..n]);
        }
    }

    /// The reply with every line that holds a registered secret withheld,
    /// so that no error message can carry one a hostile server echoed.
    fn scrubbed(&mut self, reply: Reply) -> Reply {
        self.transcript.withhold_reply(reply)
    }

    /// Whether the server sent bytes nobody asked for yet.
    pub(super) fn has_unread(&self) -> bool {
        self.rpos < self.rbuf.len()
    }

    /// Streams the message: normalises line ends to CRLF, dot-stuffs, writes
    /// blocks of 64 KiB (each within the data-block deadline), and ends with
    /// the final `.`. Anything queued after it (the next pipelined
    /// transaction) goes out with the last block. Returns the octets written
    /// before the final dot.
    pub async fn write_data<'c>(
        &mut self,
        chunks: impl Iterator<Item = std::io::Result<std::borrow::Cow<'c, [u8]>>>,
        then: &[Command<'_>],
    ) -> Result<u64, Error> {
        let mut stuffer = DotStuffer::new();
        let mut written = 0u64;
        for chunk in chunks {
            // Without the final dot the server drops what it has; the caller
            // treats this as a broken connection and closes it.
            let chunk = chunk.map_err(|e| Error::Input {
                reason: e.to_string(),
            })?;
            let mut input: &[u8] = &chunk;
            while !input.is_empty() {
                let take = input.len().min(DATA_BLOCK);
                stuffer.encode(&input[..take], &mut self.wbuf.bytes);
                input = &input[take..];
                if self.wbuf.bytes.len() >= DATA_BLOCK {
                    written += self.wbuf.bytes.len() as u64;
                    self.flush(Stage::Content, self.timeouts.data_block).await?;
                }
            }
        }
        stuffer.finish(&mut self.wbuf.bytes);
        written += self.wbuf.bytes.len() as u64;
        self.transcript.client(&format!(
            "<{} bytes of message data>",
            group_digits(written)
        ));
        self.wbuf.bytes.extend_from_slice(b".\r\n");
        self.transcript.client(".");
        for command in then {
            self.queue(command);
        }
        self.flush(Stage::Content, self.timeouts.data_block).await?;
        Ok(written)
    }

    /// Takes the connection apart (for an upgrade; buffers must be empty).
    pub fn into_parts(self) -> (S, Transcript) {
        (self.stream, self.transcript)
    }

    /// The same connection over a wrapped stream, buffers and all.
    pub fn map_stream<T>(self, wrap: impl FnOnce(S) -> T) -> Connection<T> {
        Connection {
            stream: wrap(self.stream),
            rbuf: self.rbuf,
            rpos: self.rpos,
            wbuf: self.wbuf,
            sent_at: self.sent_at,
            timeouts: self.timeouts,
            transcript: self.transcript,
            tls: self.tls,
        }
    }

    /// Checks, without waiting, that an idle connection is still usable:
    /// false when it was closed or the server sent something unasked.
    pub fn probe(&mut self) -> bool {
        use futures::FutureExt as _;
        let mut chunk = [0u8; 1024];
        match self.stream.read(&mut chunk).now_or_never() {
            None => true,
            Some(Ok(0) | Err(_)) => false,
            Some(Ok(n)) => {
                // Unasked bytes: usually a 421 before the server hangs up.
                // Log them and do not trust this connection with a letter.
                self.rbuf.extend_from_slice(&chunk[..n]);
                if let Ok(Some((reply, _))) = reply::parse(&self.rbuf[self.rpos..]) {
                    let reply = self.scrubbed(reply);
                    for line in reply.wire_lines() {
                        self.transcript.server(&line, None, None);
                    }
                }
                false
            }
        }
    }

    /// Shuts the stream down (TLS `close_notify`, TCP FIN), within the command
    /// deadline; failures do not matter any more at this point.
    pub async fn shutdown(&mut self) {
        let _ = tokio::time::timeout(self.timeouts.command, self.stream.shutdown()).await;
    }

    /// The stream behind the connection.
    pub fn stream(&self) -> &S {
        &self.stream
    }

    /// Sends STARTTLS, checks for the 220, and refuses plaintext the server
    /// sent after it (an injection that would otherwise be read as if it came
    /// over TLS). The caller then [`Connection::upgrade`]s.
    pub async fn request_starttls(&mut self) -> Result<(), Error> {
        self.transcript.stage(Stage::StartTls);
        let reply = self.command(&Command::StartTls, Stage::StartTls).await?;
        if reply.code().value() != 220 {
            return Err(Error::Rejected {
                stage: Stage::StartTls,
                reply,
            });
        }
        if self.has_unread() {
            return Err(Error::StartTlsInjection);
        }
        Ok(())
    }

    /// The TLS handshake after STARTTLS. The plain connection is consumed:
    /// nothing can be written in the clear afterwards. The caller must send
    /// EHLO again and forget the old capabilities.
    pub async fn upgrade(
        self,
        tls: &super::tls::Tls,
        domain: &str,
    ) -> Result<Connection<TlsStream<S>>, Error> {
        let timeouts = self.timeouts;
        let (stream, transcript) = self.into_parts();
        tls_handshake(tls, domain, stream, timeouts, transcript).await
    }
}

/// Runs a TLS handshake on `stream` (implicit TLS or after STARTTLS) and
/// notes the certificate in the transcript.
pub async fn tls_handshake<S: AsyncRead + AsyncWrite + Unpin>(
    tls: &super::tls::Tls,
    domain: &str,
    stream: S,
    timeouts: Timeouts,
    mut transcript: Transcript,
) -> Result<Connection<TlsStream<S>>, Error> {
    transcript.stage(Stage::TlsHandshake);
    let connector = match tls.connector() {
        Ok(connector) => connector,
        Err(e) => {
            transcript.error(&e.to_string());
            return Err(e.into());
        }
    };
    let started = Instant::now();
    let tls = match tokio::time::timeout(timeouts.connect, connector.connect(domain, stream)).await
    {
        Ok(Ok(tls)) => Ok(tls),
        Ok(Err(e)) => {
            // OpenSSL's text can quote the peer (alerts, names): escaped by
            // `explain`, withheld here if it carries a secret.
            let reason = transcript.withhold(&super::tls::explain(&e)).into_owned();
            match super::tls::classify(&e) {
                // A peer that hangs up mid-handshake is a lost connection,
                // not a certificate problem.
                super::tls::HandshakeFailure::Io(kind) => Err(Error::Io {
                    stage: Stage::TlsHandshake,
                    kind,
                    reason,
                }),
                super::tls::HandshakeFailure::Tls(problem) => Err(Error::Tls { problem, reason }),
            }
        }
        Err(_) => Err(Error::Timeout {
            stage: Stage::TlsHandshake,
            after: timeouts.connect,
        }),
    };
    let tls = match tls {
        Ok(tls) => tls,
        Err(e) => {
            // The connection dies with this function; say why while the
            // transcript is still ours.
            transcript.error(&format!("{e}; the connection is dropped"));
            return Err(e);
        }
    };
    // Certificate names are the server's words too (escaped by
    // `describe_peer`); a server that learnt the password in an earlier
    // session could put it there.
    let cert = transcript
        .withhold(&super::tls::describe_peer(&tls))
        .into_owned();
    transcript.note(&format!(
        "TLS established in {}; {cert}",
        format_latency(started.elapsed())
    ));
    Ok(Connection::new(tls, timeouts, transcript, Some(cert)))
}

/// `1234567` → `1 234 567`, as in the transcript format.
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The DATA transparency procedure (RFC 5321 §4.5.2) with line-end
/// normalisation: every CR, LF or CRLF becomes CRLF, and a `.` that starts a
/// line is doubled. Because no bare CR or LF survives, no `\n.\n` or
/// `\r.\r` can end the data early on a lenient server (SMTP smuggling).
#[derive(Clone, Copy, Debug)]
pub struct DotStuffer {
    line_start: bool,
    pending_cr: bool,
}

impl Default for DotStuffer {
    fn default() -> Self {
        DotStuffer::new()
    }
}

impl DotStuffer {
    /// A stuffer at the start of the message.
    pub fn new() -> DotStuffer {
        DotStuffer {
            line_start: true,
            pending_cr: false,
        }
    }

    /// Encodes the next piece of the message; pieces may split a CRLF.
    pub fn encode(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 32 + 2);
        while let Some(&first) = input.first() {
            if self.pending_cr {
                self.pending_cr = false;
                out.extend_from_slice(b"\r\n");
                self.line_start = true;
                if first == b'\n' {
                    input = &input[1..];
                    continue;
                }
            }
            if self.line_start {
                self.line_start = false;
                if first == b'.' {
                    out.push(b'.');
                }
            }
            match crate::scan::find2(b'\r', b'\n', input) {
                None => {
                    out.extend_from_slice(input);
                    return;
                }
                Some(i) => {
                    out.extend_from_slice(&input[..i]);
                    if input[i] == b'\r' {
                        self.pending_cr = true;
                    } else {
                        out.extend_from_slice(b"\r\n");
                        self.line_start = true;
                    }
                    input = &input[i + 1..];
                }
            }
        }
    }

    /// Ends the message with CRLF if it does not end with one already. The
    /// caller adds the final `.` line.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.pending_cr || !self.line_start {
            out.extend_from_slice(b"\r\n");
        }
        self.pending_cr = false;
        self.line_start = true;
    }
}

/// DNS lookup and TCP connect, trying each address in turn.
pub(super) async fn tcp_connect(
    config: &SessionConfig,
    transcript: &mut Transcript,
) -> Result<TcpStream, Error> {
    let host = config.bare_host();
    let limit = config.timeouts.connect;
    let lookup = tokio::net::lookup_host((host, config.port));
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(limit, lookup).await {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(e)) => {
            return Err(Error::Resolve {
                host: host.to_owned(),
                reason: e.to_string(),
            });
        }
        Err(_) => {
            return Err(Error::Resolve {
                host: host.to_owned(),
                reason: format!("no answer within {}", format_latency(limit)),
            });
        }
    };
    let mut last = None;
    for addr in &addrs {
        transcript.note(&format!(
            "connecting to {}:{} ({})",
            config.host,
            config.port,
            addr.ip()
        ));
        let started = Instant::now();
        match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                // Whole command batches are written at once; Nagle would only
                // hold them back waiting for the server's delayed ACK.
                if let Err(e) = stream.set_nodelay(true) {
                    transcript.note(&format!("could not disable Nagle's algorithm: {e}"));
                }
                let local = stream
                    .local_addr()
                    .map(|a| format!(" from {a}"))
                    .unwrap_or_default();
                transcript.note(&format!(
                    "TCP connected in {}{local}",
                    format_latency(started.elapsed())
                ));
                return Ok(stream);
            }
            Ok(Err(e)) => {
                transcript.note(&format!("{addr}: {e}"));
                last = Some(Error::Connect {
                    target: format!("{}:{}", config.host, config.port),
                    kind: e.kind(),
                    reason: e.to_string(),
                });
            }
            Err(_) => {
                transcript.note(&format!(
                    "{addr}: no answer within {}",
                    format_latency(limit)
                ));
                last = Some(Error::Connect {
                    target: format!("{}:{}", config.host, config.port),
                    kind: std::io::ErrorKind::TimedOut,
                    reason: format!("no answer within {}", format_latency(limit)),
                });
            }
        }
    }
    Err(last.unwrap_or_else(|| Error::Resolve {
        host: host.to_owned(),
        reason: "no addresses".to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::capabilities::Mechanism;

    /// The AUTH line leaves the write buffer when it is written, and when
    /// the write fails; the buffer's `Debug` never shows it.
    #[tokio::test]
    async fn a_credential_never_waits_in_the_write_buffer() {
        let auth = Command::Auth {
            mechanism: Mechanism::Plain,
            initial: Some("AGJvYgBzM2NyM3Q="),
        };
        for fail in [false, true] {
            let (client, server) = tokio::io::duplex(64);
            if fail {
                drop(server);
            }
            let mut conn =
                Connection::new(client, Timeouts::default(), Transcript::discard(), None);
            conn.queue(&auth);
            assert!(conn.wbuf.secret);
            assert!(!format!("{conn:?}").contains("AGJvYgBzM2NyM3Q="));
            let result = conn.flush(Stage::Auth, Duration::from_secs(1)).await;
            assert_eq!(result.is_err(), fail);
            assert!(
                conn.wbuf.bytes.is_empty() && !conn.wbuf.secret,
                "fail={fail}"
            );
        }
    }

    fn stuff(pieces: &[&[u8]]) -> Vec<u8> {
        let mut s = DotStuffer::new();
        let mut out = Vec::new();
        for p in pieces {
            s.encode(p, &mut out);
        }
        s.finish(&mut out);
        out
    }

    /// The transparency and smuggling table (cf. mail-send's
    /// `transparency_procedure`, and the 2023 SMTP smuggling research).
    #[test]
    fn dot_stuffing_and_smuggling_table() {
        for (input, expected) in [
            (&b""[..], &b""[..]),
            (b"hello", b"hello\r\n"),
            (b"hello\r\n", b"hello\r\n"),
            (b".", b"..\r\n"),
            (b".\r\n", b"..\r\n"),
            (b"a\r\n.\r\nb", b"a\r\n..\r\nb\r\n"),
            (b"a\r\n..b\r\n", b"a\r\n...b\r\n"),
            (b"a\r\n x.y\r\n", b"a\r\n x.y\r\n"),
            // Bare LF and bare CR become CRLF, and the dot after them is stuffed.
            (b"a\n.\nb", b"a\r\n..\r\nb\r\n"),
            (b"a\r.\rb", b"a\r\n..\r\nb\r\n"),
            (
                b"a\n.\r\nMAIL FROM:<evil@x>\r\n",
                b"a\r\n..\r\nMAIL FROM:<evil@x>\r\n",
            ),
            (b"a\r\n.\nRCPT TO:<x@y>\n", b"a\r\n..\r\nRCPT TO:<x@y>\r\n"),
            (b"a\r\r\n.\r\r\n", b"a\r\n\r\n..\r\n\r\n"),
            (b"\n\n", b"\r\n\r\n"),
            (b"\r", b"\r\n"),
            (b"x\r", b"x\r\n"),
            (b"..\r\n...", b"...\r\n....\r\n"),
        ] {
            assert_eq!(
                String::from_utf8_lossy(&stuff(&[input])),
                String::from_utf8_lossy(expected),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn every_split_gives_the_same_bytes() {
        let input = b"a\r\n.b\r\r\n.\n.\r.x\r\n\r\n..";
        let whole = stuff(&[input]);
        for i in 0..=input.len() {
            for j in i..=input.len() {
                let pieces = [&input[..i], &input[i..j], &input[j..]];
                assert_eq!(stuff(&pieces), whole, "split at {i}, {j}");
            }
        }
    }

    #[test]
    fn no_bare_line_ends_survive() {
        let input: Vec<u8> = (0..2000u32)
            .map(|i| b"\r\n.a"[(i * 7 % 4) as usize])
            .collect();
        let out = stuff(&[&input]);
        for (i, &b) in out.iter().enumerate() {
            if b == b'\r' {
                assert_eq!(out.get(i + 1), Some(&b'\n'), "bare CR at {i}");
            }
            if b == b'\n' {
                assert_eq!(out[i - 1], b'\r', "bare LF at {i}");
                if out.get(i + 1) == Some(&b'.') {
                    assert_eq!(out.get(i + 2), Some(&b'.'), "unstuffed dot at {}", i + 1);
                }
            }
        }
    }

    /// Undoes the transparency procedure: CRLF lines, one leading dot off.
    fn unstuff(wire: &[u8]) -> Vec<u8> {
        let text = wire.strip_suffix(b"\r\n").unwrap_or(wire);
        let mut out = Vec::new();
        if wire.is_empty() {
            return out;
        }
        for line in text.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    fn normalise(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < input.len() {
            match input[i] {
                b'\r' if input.get(i + 1) == Some(&b'\n') => {
                    out.extend_from_slice(b"\r\n");
                    i += 1;
                }
                b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
                b => out.push(b),
            }
            i += 1;
        }
        if !out.is_empty() && !out.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    proptest::proptest! {
        /// Dot-stuffing round-trips: for any bytes split anywhere, un-stuffing
        /// the wire form gives back the input with normalised line ends, and
        /// no line of the wire form is a lone dot.
        #[test]
        fn dot_stuffing_round_trips(
            input in proptest::collection::vec(proptest::sample::select(b"ab.\r\n \xff".to_vec()), 0..200),
            split in 0usize..200,
        ) {
            let split = split.min(input.len());
            let wire = stuff(&[&input[..split], &input[split..]]);
            proptest::prop_assert_eq!(unstuff(&wire), normalise(&input));
            proptest::prop_assert!(!wire.split(|&b| b == b'\n').any(|l| l == b".\r"));
        }
    }

    #[test]
    fn digit_groups() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1234, "1 234"),
            (1_234_567, "1 234 567"),
        ] {
            assert_eq!(group_digits(n), text);
        }
    }

    #[test]
    fn timeouts_follow_rfc_5321_by_default() {
        let t = Timeouts::default();
        assert_eq!(t.greeting, Duration::from_secs(300));
        assert_eq!(t.command, Duration::from_secs(300));
        assert_eq!(t.data_init, Duration::from_secs(120));
        assert_eq!(t.data_block, Duration::from_secs(180));
        assert_eq!(t.data_end, Duration::from_secs(600));
        assert_eq!(t.connect, Duration::from_secs(30));
        let short = Timeouts::scaled(Duration::from_secs(10));
        assert_eq!(short.data_end, Duration::from_secs(20));
    }
}
