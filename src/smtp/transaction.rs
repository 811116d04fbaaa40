//! Mail transactions over an open session: MAIL, RCPT… and DATA checked
//! against the server's capabilities, pipelined (RFC 2920) when offered, a
//! refused recipient not sinking the others, RSET after a refusal.

use super::{
    Content, Delivery, Envelope, RecipientResult,
    capabilities::Capabilities,
    command::{Command, MailParams},
    error::Error,
    reply::Reply,
    session::Session,
    transcript::Stage,
};

/// A transaction checked against the server's capabilities.
struct Prepared<'a, C: ?Sized> {
    envelope: &'a Envelope,
    content: &'a C,
    params: MailParams,
}

impl Session {
    /// Sends one letter.
    pub async fn send<C: Content + ?Sized>(
        &mut self,
        envelope: &Envelope,
        content: &C,
    ) -> Result<Delivery, Error> {
        self.send_many(std::iter::once((envelope, content)))
            .await
            .pop()
            .unwrap_or(Err(Error::Broken))
    }

    /// Sends letters one transaction after another over this session, with
    /// PIPELINING (RFC 2920) when offered: MAIL, every RCPT and DATA go out
    /// in one write, and the next transaction's commands ride along with the
    /// final dot of the one before. Returns one result per letter, in order;
    /// after a failure that breaks the connection, the rest are not tried
    /// (fewer results than letters).
    pub async fn send_many<'a, C, I>(&mut self, letters: I) -> Vec<Result<Delivery, Error>>
    where
        C: Content + ?Sized + 'a,
        I: IntoIterator<Item = (&'a Envelope, &'a C)>,
    {
        let mut results: Vec<Result<Delivery, Error>> = Vec::new();
        if self.broken {
            results.push(Err(Error::Broken));
            return results;
        }
        // What was typed by hand must not mix with the letters.
        if let Err(e) = self.settle().await {
            let e = if e.breaks_connection() {
                self.broke(e)
            } else {
                self.conn.transcript().error(&e.to_string());
                e
            };
            results.push(Err(e));
            return results;
        }
        let pipelining = self.caps.pipelining;
        let mut letters = letters.into_iter();
        // A transaction whose commands are already on the wire, and whether
        // they went out with the previous letter's final dot.
        let mut in_flight: Option<(Prepared<'a, C>, bool)> = None;
        loop {
            let (current, behind_dot) = match in_flight.take() {
                Some(flight) => flight,
                None => match self.next_prepared(&mut letters, &mut results) {
                    Some(p) => {
                        if pipelining && let Err(e) = self.send_envelope(&p).await {
                            results.push(Err(self.broke(e)));
                            break;
                        }
                        (p, false)
                    }
                    None => break,
                },
            };
            let recipients = match self
                .replies_or_again(&current, pipelining, behind_dot)
                .await
            {
                Ok(Ok(recipients)) => recipients,
                Ok(Err(refused)) => {
                    // A refused transaction's time is not the next one's.
                    self.conn.transcript().lap();
                    results.push(Err(refused));
                    continue;
                }
                Err(e) => {
                    results.push(Err(self.broke(e)));
                    break;
                }
            };
            // Letters skipped while looking ahead are reported after this
            // one, so results stay in the letters' order.
            let mut skipped = Vec::new();
            let next = if pipelining && self.across_dot {
                self.next_prepared(&mut letters, &mut skipped)
            } else {
                None
            };
            match self
                .data_and_reply(&current, next.as_ref(), recipients)
                .await
            {
                Ok(result) => results.push(result),
                Err(e) => {
                    results.push(Err(self.broke(e)));
                    break;
                }
            }
            results.append(&mut skipped);
            in_flight = next.map(|p| (p, true));
        }
        results
    }

    /// Queues and writes MAIL, every RCPT and DATA (the pipelined group).
    async fn send_envelope<C: ?Sized>(&mut self, p: &Prepared<'_, C>) -> Result<(), Error> {
        // The group's lines and its write belong to the transaction, not to
        // whatever came before it.
        self.conn.transcript().stage(Stage::Mail);
        self.queue_envelope(p);
        let limit = self.conn.timeouts().command;
        self.conn.flush(Stage::Mail, limit).await
    }

    /// The replies to MAIL, RCPT and DATA. Since the SMTP-smuggling
    /// advisories some servers offer PIPELINING yet refuse, with 503, any
    /// command that arrives together with a final dot. A 503 to a MAIL that
    /// rode behind a dot is that: the transaction never started, so it is
    /// sent again on its own, and no later transaction rides a dot in this
    /// session. Every letter still goes exactly once.
    async fn replies_or_again<C: Content + ?Sized>(
        &mut self,
        p: &Prepared<'_, C>,
        pipelining: bool,
        behind_dot: bool,
    ) -> Result<Result<Vec<RecipientResult>, Error>, Error> {
        let first = self.envelope_replies(p, pipelining).await?;
        match first {
            Err(Error::Rejected {
                stage: Stage::Mail,
                reply,
            }) if behind_dot && reply.code().value() == 503 => {
                self.across_dot = false;
                self.conn.transcript().note(
                    "the server refuses commands sent with the final dot (503); \
                     sending this letter again, and each transaction on its own from now on",
                );
                self.send_envelope(p).await?;
                self.envelope_replies(p, pipelining).await
            }
            other => Ok(other),
        }
    }

    /// The next letter that passes the capability checks; letters that fail
    /// them get their error as a result and are skipped.
    fn next_prepared<'a, C, I>(
        &mut self,
        letters: &mut I,
        results: &mut Vec<Result<Delivery, Error>>,
    ) -> Option<Prepared<'a, C>>
    where
        C: Content + ?Sized + 'a,
        I: Iterator<Item = (&'a Envelope, &'a C)>,
    {
        for (envelope, content) in letters.by_ref() {
            match self.prepare(envelope, content) {
                Ok(p) => return Some(p),
                Err(e) => {
                    self.conn.transcript().error(&e.to_string());
                    results.push(Err(e));
                }
            }
        }
        None
    }

    /// Checks a letter against the server before any command is sent.
    fn prepare<'a, C: Content + ?Sized>(
        &self,
        envelope: &'a Envelope,
        content: &'a C,
    ) -> Result<Prepared<'a, C>, Error> {
        Ok(Prepared {
            envelope,
            content,
            params: mail_params(&self.caps, envelope, content)?,
        })
    }

    /// Queues MAIL, every RCPT and DATA (the pipelined group).
    fn queue_envelope<C: ?Sized>(&mut self, p: &Prepared<'_, C>) {
        for command in envelope_commands(p) {
            self.conn.queue(&command);
        }
    }

    /// Sends `command` (unless it went out pipelined already) and reads its
    /// reply.
    async fn reply_to(
        &mut self,
        command: &Command<'_>,
        stage: Stage,
        limit: std::time::Duration,
        pipelined: bool,
    ) -> Result<Reply, Error> {
        if !pipelined {
            self.conn.queue(command);
            let write_limit = self.conn.timeouts().command;
            self.conn.flush(stage, write_limit).await?;
        }
        self.conn.read_reply(stage, limit).await
    }

    /// The replies to MAIL, RCPT and DATA (reading pipelined replies, or
    /// sending each command in turn). `Ok(Err(_))` is a refusal that leaves
    /// the session usable (RSET already sent); `Err(_)` breaks it.
    async fn envelope_replies<C: Content + ?Sized>(
        &mut self,
        p: &Prepared<'_, C>,
        pipelined: bool,
    ) -> Result<Result<Vec<RecipientResult>, Error>, Error> {
        let timeouts = *self.conn.timeouts();
        let commands = envelope_commands(p);
        let (mail_command, rest) = commands.split_first().ok_or(Error::Broken)?;
        let (data_command, rcpt_commands) = rest.split_last().ok_or(Error::Broken)?;

        self.conn.transcript().stage(Stage::Mail);
        let mail = self
            .reply_to(mail_command, Stage::Mail, timeouts.command, pipelined)
            .await?;
        if !pipelined && !mail.is_positive() {
            return Ok(Err(Error::Rejected {
                stage: Stage::Mail,
                reply: mail,
            }));
        }
        self.conn.transcript().stage(Stage::Rcpt);
        let mut recipients = Vec::with_capacity(rcpt_commands.len());
        for (command, address) in rcpt_commands.iter().zip(&p.envelope.recipients) {
            let reply = self
                .reply_to(command, Stage::Rcpt, timeouts.command, pipelined)
                .await?;
            recipients.push(RecipientResult {
                address: address.clone(),
                reply,
            });
        }
        let any_accepted = recipients.iter().any(RecipientResult::accepted);
        if !pipelined && !any_accepted {
            self.rset().await?;
            return Ok(Err(all_refused(recipients)));
        }
        self.conn.transcript().stage(Stage::Data);
        let data = self
            .reply_to(data_command, Stage::Data, timeouts.data_init, pipelined)
            .await?;
        let go = data.code().value() == 354;
        let refusal = if !mail.is_positive() {
            Error::Rejected {
                stage: Stage::Mail,
                reply: mail,
            }
        } else if !any_accepted {
            all_refused(recipients)
        } else if !go {
            Error::Rejected {
                stage: Stage::Data,
                reply: data,
            }
        } else {
            return Ok(Ok(recipients));
        };
        if go {
            // RFC 2920 §3.1: DATA went out pipelined and was accepted although
            // nothing may be sent; end the message empty, let the server refuse it.
            self.conn
                .transcript()
                .note("DATA was accepted without a usable recipient; ending it empty");
            self.conn.write_data(std::iter::empty(), &[]).await?;
            self.conn
                .read_reply(Stage::EndOfData, timeouts.data_end)
                .await?;
        }
        self.rset().await?;
        Ok(Err(refusal))
    }

    /// Streams the message, with the next transaction's commands after the
    /// final dot, and reads the final reply.
    async fn data_and_reply<C: Content + ?Sized>(
        &mut self,
        p: &Prepared<'_, C>,
        next: Option<&Prepared<'_, C>>,
        recipients: Vec<RecipientResult>,
    ) -> Result<Result<Delivery, Error>, Error> {
        self.conn.transcript().stage(Stage::Content);
        let then: Vec<Command<'_>> = next.map(envelope_commands).unwrap_or_default();
        let size = self.conn.write_data(p.content.pieces(), &then).await?;
        self.conn.transcript().stage(Stage::EndOfData);
        let limit = self.conn.timeouts().data_end;
        let reply = self.conn.read_reply(Stage::EndOfData, limit).await?;
        let timeline = self.conn.transcript().lap();
        if !reply.is_positive() {
            return Ok(Err(Error::Rejected {
                stage: Stage::EndOfData,
                reply,
            }));
        }
        Ok(Ok(Delivery {
            recipients,
            reply,
            size,
            timeline,
        }))
    }

    /// RSET after a refused transaction; a refused RSET is only noted.
    async fn rset(&mut self) -> Result<(), Error> {
        self.conn.transcript().stage(Stage::Rset);
        let reply = self.conn.command(&Command::Rset, Stage::Rset).await?;
        if !reply.is_positive() {
            self.conn
                .transcript()
                .note("the server refused RSET; carrying on");
        }
        Ok(())
    }
}

/// The parameters MAIL FROM carries for this letter on a server with these
/// capabilities (`SIZE=` when it announced SIZE, `BODY=8BITMIME` for 8-bit
/// octets when offered, `SMTPUTF8` when an address or the headers need
/// it), or why the letter cannot go there at all. Pure: the session's
/// check before any command is sent, and what the composer's preview
/// shows, so both say the same.
pub fn mail_params<C: Content + ?Sized>(
    caps: &Capabilities,
    envelope: &Envelope,
    content: &C,
) -> Result<MailParams, Error> {
    let addresses = std::iter::once(&envelope.from).chain(&envelope.recipients);
    for address in addresses.clone() {
        if address
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '<' || c == '>')
        {
            return Err(Error::BadAddress(address.clone()));
        }
    }
    if envelope.recipients.is_empty() {
        return Err(Error::AllRecipientsRefused {
            refused: Vec::new(),
        });
    }
    let utf8_address = addresses.clone().find(|a| !a.is_ascii());
    let smtputf8 = utf8_address.is_some() || content.needs_smtputf8();
    if smtputf8 && !caps.smtputf8 {
        return Err(Error::NeedsSmtpUtf8 {
            address: utf8_address
                .map_or_else(|| "the letter's headers".to_owned(), |a| format!("<{a}>")),
        });
    }
    let eight_bit = content.is_8bit();
    if eight_bit && !caps.eight_bit_mime && !smtputf8 {
        return Err(Error::Needs8BitMime);
    }
    let size = content.size();
    if let Some(limit) = caps.size_limit()
        && size > limit
    {
        return Err(Error::TooLarge { size, limit });
    }
    Ok(MailParams {
        size: caps.size.map(|_| size),
        eight_bit: eight_bit && caps.eight_bit_mime,
        smtputf8,
    })
}

/// MAIL, RCPT… and DATA for one letter.
fn envelope_commands<'p, C: ?Sized>(p: &Prepared<'p, C>) -> Vec<Command<'p>> {
    let mut commands = Vec::with_capacity(p.envelope.recipients.len() + 2);
    commands.push(Command::Mail {
        from: &p.envelope.from,
        params: p.params,
    });
    commands.extend(p.envelope.recipients.iter().map(|to| Command::Rcpt { to }));
    commands.push(Command::Data);
    commands
}

fn all_refused(recipients: Vec<RecipientResult>) -> Error {
    Error::AllRecipientsRefused {
        refused: recipients,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(from: &str, to: &str) -> Envelope {
        Envelope {
            from: from.into(),
            recipients: vec![to.into()],
        }
    }

    #[test]
    fn mail_params_follow_the_letter_and_the_server() {
        let modern = Capabilities {
            esmtp: true,
            size: Some(1000),
            eight_bit_mime: true,
            smtputf8: true,
            ..Capabilities::default()
        };
        let bare = Capabilities {
            esmtp: true,
            ..Capabilities::default()
        };
        let ascii = b"Subject: hi\r\n\r\nhi\r\n".to_vec();
        let eight = "Subject: hi\r\n\r\nпривет\r\n".as_bytes().to_vec();
        let utf8_header = "From: иван@x.org\r\n\r\nhi\r\n".as_bytes().to_vec();
        let wire = |caps: &Capabilities, env: &Envelope, letter: &Vec<u8>| {
            mail_params(caps, env, letter).map(|params| {
                Command::Mail {
                    from: &env.from,
                    params,
                }
                .to_string()
            })
        };
        let plain = envelope("a@x.org", "b@y.org");
        for (caps, env, letter, expected) in [
            (
                &modern,
                &plain,
                &ascii,
                Ok("MAIL FROM:<a@x.org> SIZE=19\r\n"),
            ),
            (
                &modern,
                &plain,
                &eight,
                Ok("MAIL FROM:<a@x.org> SIZE=29 BODY=8BITMIME\r\n"),
            ),
            (
                &modern,
                &plain,
                &utf8_header,
                Ok("MAIL FROM:<a@x.org> SIZE=28 BODY=8BITMIME SMTPUTF8\r\n"),
            ),
            (
                &modern,
                &envelope("иван@x.org", "b@y.org"),
                &ascii,
                Ok("MAIL FROM:<иван@x.org> SIZE=19 SMTPUTF8\r\n"),
            ),
            (&bare, &plain, &ascii, Ok("MAIL FROM:<a@x.org>\r\n")),
            (&bare, &plain, &eight, Err(Error::Needs8BitMime)),
            (
                &bare,
                &plain,
                &utf8_header,
                Err(Error::NeedsSmtpUtf8 {
                    address: "the letter's headers".into(),
                }),
            ),
            (
                &modern,
                &envelope("a@x.org", "b@y.org>"),
                &ascii,
                Err(Error::BadAddress("b@y.org>".into())),
            ),
        ] {
            assert_eq!(
                wire(caps, env, letter),
                expected.map(str::to_owned),
                "{env:?}"
            );
        }
        let big = vec![b'x'; 1001];
        assert_eq!(
            mail_params(&modern, &plain, &big),
            Err(Error::TooLarge {
                size: 1001,
                limit: 1000
            })
        );
    }
}
