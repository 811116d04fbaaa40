//! Opening and closing a session: TCP, implicit TLS or STARTTLS, the
//! greeting, EHLO (HELO as a fallback), AUTH, and QUIT.

use std::{fmt, time::Instant};

use super::{
    BoxStream, Stream,
    auth::authenticate,
    capabilities::Capabilities,
    command::Command,
    config::{Security, SessionConfig},
    connection::{Connection, tcp_connect, tls_handshake},
    error::Error,
    raw::ManualState,
    reply::Reply,
    tls,
    transcript::{Stage, Transcript, format_latency},
};

/// An open session: a connected, greeted and EHLO'd conversation (TLS and
/// AUTH done as configured) that sends transactions until [`Session::quit`].
pub struct Session {
    pub(super) conn: Connection<BoxStream>,
    pub(super) caps: Capabilities,
    pub(super) broken: bool,
    /// Whether the next transaction's commands may go out with the final
    /// dot of the one before (false once the server refused that).
    pub(super) across_dot: bool,
    /// What was typed by hand made of the session (see `raw.rs`).
    pub(super) manual: ManualState,
}

/// By hand: the connection's buffers may hold an AUTH line, so only the
/// state is shown.
impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("server", &self.caps.server_name)
            .field("encrypted", &self.conn.is_encrypted())
            .field("broken", &self.broken)
            .field("manual", &self.manual)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Resolves the host, connects over TCP, and runs [`Session::establish`].
    pub async fn connect(
        config: &SessionConfig,
        tls: &tls::Tls,
        mut transcript: Transcript,
    ) -> Result<Session, Error> {
        register_secrets(config, &mut transcript);
        transcript.stage(Stage::Connect);
        let stream = match tcp_connect(config, &mut transcript).await {
            Ok(stream) => stream,
            Err(e) => {
                transcript.error(&e.to_string());
                return Err(e);
            }
        };
        Session::establish(stream, config, tls, transcript).await
    }

    /// Runs the opening script on a connected stream: implicit TLS, greeting,
    /// EHLO (HELO fallback), STARTTLS and EHLO again, AUTH. On a failure
    /// that leaves the connection alive, QUIT is sent before returning.
    pub async fn establish<S: Stream + 'static>(
        stream: S,
        config: &SessionConfig,
        tls: &tls::Tls,
        mut transcript: Transcript,
    ) -> Result<Session, Error> {
        register_secrets(config, &mut transcript);
        if let Err(reason) = config.validate() {
            transcript.error(&reason);
            return Err(Error::Config(reason));
        }
        let conn = if config.security == Security::Tls {
            match tls_handshake(tls, config.bare_host(), stream, config.timeouts, transcript).await
            {
                Ok(conn) => conn.map_stream(|s| Box::new(s) as BoxStream),
                Err(e) => return Err(e),
            }
        } else {
            Connection::new(
                Box::new(stream) as BoxStream,
                config.timeouts,
                transcript,
                None,
            )
        };
        let mut session = Session {
            conn,
            caps: Capabilities::default(),
            broken: false,
            across_dot: true,
            manual: ManualState::default(),
        };
        if let Err(e) = session.greet(&config.helo).await {
            return Err(session.fail(e).await);
        }
        match config.security {
            Security::StartTls => {
                if !session.caps.starttls {
                    return Err(session.fail(Error::StartTlsUnavailable).await);
                }
                if let Err(e) = session.conn.request_starttls().await {
                    return Err(session.fail(e).await);
                }
                // The plain connection is consumed here; on failure there is
                // nothing left to QUIT on.
                let upgraded = session.conn.upgrade(tls, config.bare_host()).await;
                session = Session {
                    conn: upgraded?.map_stream(|s| Box::new(s) as BoxStream),
                    caps: Capabilities::default(),
                    broken: false,
                    across_dot: true,
                    manual: ManualState::default(),
                };
                match session.hello(&config.helo).await {
                    Ok(caps) => session.caps = caps,
                    Err(e) => return Err(session.fail(e).await),
                }
            }
            Security::None if session.caps.starttls => {
                session.conn.transcript().note(
                    "the server offers STARTTLS; security is \"none\", so this session stays unencrypted",
                );
            }
            Security::None | Security::Tls => {}
        }
        if let Some(credentials) = &config.credentials
            && let Err(e) =
                authenticate(&mut session.conn, &session.caps, credentials, config).await
        {
            return Err(session.fail(e).await);
        }
        session.manual.authenticated = config.credentials.is_some();
        // Open: the time until the caller's next command is nobody's.
        session.conn.transcript().idle();
        Ok(session)
    }

    /// The 220 greeting and the first EHLO.
    async fn greet(&mut self, helo: &str) -> Result<(), Error> {
        self.conn.transcript().stage(Stage::Greeting);
        let limit = self.conn.timeouts().greeting;
        // The usual reason for a silent server is a port that speaks implicit
        // TLS and waits for our handshake; say so while waiting.
        let note = (
            std::time::Duration::from_secs(5),
            "no greeting yet after 5 s; still waiting (a port that speaks implicit TLS, usually 465, waits for --security tls)",
        );
        let greeting = self
            .conn
            .read_reply_noting(Stage::Greeting, limit, Some(note))
            .await?;
        if greeting.code().value() != 220 {
            return Err(Error::Rejected {
                stage: Stage::Greeting,
                reply: greeting,
            });
        }
        self.caps = self.hello(helo).await?;
        Ok(())
    }

    /// EHLO, or HELO when EHLO is refused as unknown (500/502).
    pub(super) async fn hello(&mut self, helo: &str) -> Result<Capabilities, Error> {
        self.conn.transcript().stage(Stage::Ehlo);
        let reply = self
            .conn
            .command(&Command::Ehlo { domain: helo }, Stage::Ehlo)
            .await?;
        if reply.is_positive() {
            return Ok(Capabilities::from_ehlo(&reply));
        }
        if matches!(reply.code().value(), 500 | 502) {
            self.conn.transcript().note(
                "EHLO refused; falling back to HELO (no extensions: no STARTTLS, AUTH, SIZE…)",
            );
            let reply = self
                .conn
                .command(&Command::Helo { domain: helo }, Stage::Ehlo)
                .await?;
            if reply.is_positive() {
                return Ok(Capabilities::from_helo(&reply));
            }
            return Err(Error::Rejected {
                stage: Stage::Ehlo,
                reply,
            });
        }
        Err(Error::Rejected {
            stage: Stage::Ehlo,
            reply,
        })
    }

    /// What the server offers (after STARTTLS, the encrypted list).
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Whether the session is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.conn.is_encrypted()
    }

    /// The server certificate in words, when the session is encrypted.
    pub fn tls_description(&self) -> Option<&str> {
        self.conn.tls_description()
    }

    /// Whether the connection is unusable: an earlier failure broke it,
    /// or a QUIT typed by hand closed it.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Checks, without waiting, that an idle session is still open; a 421
    /// the server sent meanwhile is logged.
    pub fn is_alive(&mut self) -> bool {
        !self.broken && self.conn.probe()
    }

    /// The transcript, for notes and stage changes.
    pub fn transcript(&mut self) -> &mut Transcript {
        self.conn.transcript()
    }

    /// Ends the session: QUIT, the 221, and a clean shutdown of the stream.
    /// A failure here is logged: by now every letter has its answer.
    pub async fn quit(mut self) -> Result<Reply, Error> {
        if self.broken {
            return Err(Error::Broken);
        }
        if self.manual.in_data() {
            // QUIT would be read as one more line of the letter; SMTP has
            // no way to abandon DATA but to drop the connection.
            self.conn.shutdown().await;
            self.conn.transcript().error(
                "message data typed by hand was not finished: no QUIT (it would be read as \
                 part of the letter); the connection is dropped, and the server discards \
                 the unfinished letter",
            );
            return Err(Error::DataUnfinished);
        }
        if self.manual.challenge {
            // QUIT would be taken for the answer the server waits for.
            self.conn.transcript().stage(Stage::Auth);
            if let Err(e) = self.conn.command(&Command::AuthCancel, Stage::Auth).await {
                self.conn
                    .transcript()
                    .error(&format!("{e}; the connection is dropped"));
                return Err(e);
            }
        }
        self.conn.transcript().stage(Stage::Quit);
        let started = Instant::now();
        let result = self.conn.command(&Command::Quit, Stage::Quit).await;
        self.conn.shutdown().await;
        match &result {
            Ok(_) => self.conn.transcript().note(&format!(
                "connection closed ({} for QUIT)",
                format_latency(started.elapsed())
            )),
            Err(e) => self
                .conn
                .transcript()
                .error(&format!("{e}; the connection is dropped")),
        }
        result
    }

    /// Marks the session broken and logs why.
    pub(super) fn broke(&mut self, e: Error) -> Error {
        self.broken = true;
        self.conn
            .transcript()
            .error(&format!("{e}; the connection is dropped"));
        e
    }

    /// Reports a failure of the opening script: QUIT first when the
    /// connection is still good, then the error.
    async fn fail(mut self, e: Error) -> Error {
        if e.breaks_connection() || self.broken {
            self.conn
                .transcript()
                .error(&format!("{e}; the connection is dropped"));
        } else {
            self.conn.transcript().error(&e.to_string());
            // The error is what matters; a failing QUIT is logged by itself.
            let _ = self.quit().await;
        }
        e
    }
}

/// Registers the password (or token) and every blob that carries it, so
/// no line can carry them.
fn register_secrets(config: &SessionConfig, transcript: &mut Transcript) {
    if let Some(c) = &config.credentials {
        transcript.add_secret(c.password());
        transcript.add_secret(&c.plain_blob());
        transcript.add_secret(&c.xoauth2_blob());
        transcript.add_secret(&c.oauthbearer_blob(config.bare_host(), config.port));
    }
}
