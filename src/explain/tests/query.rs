//! Reading a query (a code, a reply, a pasted transcript) and rendering
//! the answer.

use super::*;

#[test]
fn parse_query_reads_codes_replies_and_transcripts() {
    let status = |class, subject, detail, text: &str| Query::Status {
        code: StatusCode {
            class,
            subject,
            detail,
        },
        text: text.to_owned(),
    };
    for (input, expected) in [
        ("535", Query::Code(535)),
        ("  421\n", Query::Code(421)),
        ("5.7.8", status(Some(5), 7, 8, "")),
        ("X.7.139", status(None, 7, 139, "")),
        ("x.1.1", status(None, 1, 1, "")),
        (
            "5.7.1 Relaying denied",
            status(Some(5), 7, 1, "Relaying denied"),
        ),
        (
            "535 5.7.8 Error: authentication failed",
            Query::Reply(reply(535, &["5.7.8 Error: authentication failed"])),
        ),
        (
            "550-5.7.1 first\r\n550 5.7.1 second\r\n",
            Query::Reply(reply(550, &["5.7.1 first", "5.7.1 second"])),
        ),
        (
            "S: 554 5.7.1 go away",
            Query::Reply(reply(554, &["5.7.1 go away"])),
        ),
        (
            "08:41:02.139 S: 550 5.1.1 <x@y>: User unknown                   [25 ms]",
            Query::Reply(reply(550, &["5.1.1 <x@y>: User unknown"])),
        ),
        (
            "08:41:02.281 S: 334 VXNlcm5hbWU6                                     (Username:)",
            Query::Reply(reply(334, &["VXNlcm5hbWU6"])),
        ),
        (
            "535-5.7.8 Username and Password not accepted. Learn more at\n\
             535 5.7.8  https://support.google.com/mail/?p=BadCredentials (x) - gsmtp",
            Query::Reply(reply(
                535,
                &[
                    "5.7.8 Username and Password not accepted. Learn more at",
                    "5.7.8  https://support.google.com/mail/?p=BadCredentials (x) - gsmtp",
                ],
            )),
        ),
        (
            "08:41:02.100 C: RCPT TO:<x@y>\n08:41:02.139 S: 250 2.1.5 Ok\n\
             08:41:02.140 C: RCPT TO:<z@y>\n08:41:02.180 S: 550 5.1.1 no\n\
             08:41:02.181 C: QUIT\n08:41:02.190 S: 221 2.0.0 Bye",
            Query::Reply(reply(550, &["5.1.1 no"])),
        ),
        (
            "Diagnostic-Code: smtp; 550 5.7.1 Relay access denied",
            Query::Reply(reply(550, &["5.7.1 Relay access denied"])),
        ),
        (
            "host mx.example.org[192.0.2.1] said: 550 5.1.1 <a@b>: User unknown (in reply to RCPT TO command)",
            Query::Reply(reply(550, &["5.1.1 <a@b>: User unknown"])),
        ),
        (
            "<<< 530 5.7.0 Must issue a STARTTLS command first",
            Query::Reply(reply(530, &["5.7.0 Must issue a STARTTLS command first"])),
        ),
        ("250 OK", Query::Reply(reply(250, &["OK"]))),
        ("354", Query::Code(354)),
    ] {
        assert_eq!(parse_query(input), Ok(expected), "{input:?}");
    }
}

#[test]
fn parse_query_says_what_is_wrong() {
    for (input, expected) in [
        ("", "nothing to explain: give a reply code (535)"),
        ("  \n \n", "nothing to explain: give a reply code (535)"),
        ("hello", "cannot read \"hello\": give a reply code (535)"),
        (
            "599",
            "599 is not an SMTP reply code: the first digit is 2 to 5 and the second 0 to 5",
        ),
        (
            "170 old",
            "170 is not an SMTP reply code: the first digit is 2 to 5 and the second 0 to 5",
        ),
        ("3.1.1", "\"3.1.1\" is not an enhanced status code"),
        ("5.7", "\"5.7\" is not an enhanced status code"),
        ("5.7.1234", "\"5.7.1234\" is not an enhanced status code"),
        ("C: MAIL FROM:<a@b>", "nothing to explain"),
        ("smtpé", "cannot read \"smtpé\""),
        ("5é.1", "cannot read \"5é.1\""),
        // Control characters from a paste come back escaped, never raw.
        ("\u{1b}[31mred", "cannot read \"\\u{1b}[31mred\""),
    ] {
        let error = parse_query(input).unwrap_err();
        assert!(error.starts_with(expected), "{input:?}: {error}");
        assert!(!error.contains('\u{1b}'), "{input:?}");
    }
}

#[test]
fn render_explains_code_status_and_advice() {
    let expl = parse_query("535 5.7.8 Error: authentication failed")
        .unwrap()
        .explain();
    assert_eq!(
        render(&expl, cli),
        "\
Reply code 535: Authentication credentials invalid (RFC 4954)
  The login failed: the user name, the password or the token was not accepted,
  or the account may not log in this way.

Enhanced status code 5.7.8
  5.X.X  Permanent Failure (RFC 3463)
         Failed, and sending the same thing again will fail again: something
         about the letter, the addresses or the setup must change first.
  X.7.X  Security or Policy Status (RFC 3463)
         About security or policy: logins, encryption, permission to send, spam
         and sender-authentication checks (SPF, DKIM, DMARC).
  X.7.8  Authentication credentials invalid (RFC 4954)
         The login failed: wrong user name, password or token.

What to do
  check --user and the password (SMTPWIRE_PASSWORD or --password-command)
"
    );
}

#[test]
fn render_handles_unknown_codes_and_extras() {
    let expl = parse_query("559").unwrap().explain();
    assert_eq!(
        render(&expl, cli),
        "\
Reply code 559: not defined by any RFC
  By its digits: 5 means a permanent failure, so repeating it unchanged will
  fail again; 5 in the middle points to the mail system.

What to do
  Nothing specific is known for this reply. The server's own words usually say
  why; change what they point at before sending again.
"
    );
    let expl = parse_query("X.7.139").unwrap().explain();
    let text = render(&expl, composer);
    assert!(
        text.starts_with("Enhanced status code X.7.139\n  X.7.X    Security"),
        "{text}"
    );
    assert!(
        text.contains("X.7.139  Authentication unsuccessful (not standard: used by Microsoft"),
        "{text}"
    );
    let expl = parse_query("4.7.999 greylisted, come back later")
        .unwrap()
        .explain();
    let text = render(&expl, composer);
    assert!(text.contains("X.7.999  not in the IANA registry"), "{text}");
    assert!(text.contains("(greylisting)"), "{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
}

#[test]
fn rendered_output_fits_80_columns() {
    for hint in all_hints() {
        for name in [cli as fn(Setting) -> Cow<'static, str>, composer] {
            let expl = Explanation {
                code: Some(550),
                reply: reply_code(550),
                status: status(Enhanced(5, 7, 1)),
                hint: Some(hint),
            };
            for line in render(&expl, name).lines() {
                assert!(line.chars().count() <= 80, "{}: {line:?}", hint.id());
            }
        }
    }
}

proptest::proptest! {
    /// Whatever is pasted, reading it never panics, and an answer fits
    /// 80 columns.
    #[test]
    fn any_paste_is_read_without_panic(
        input in "(([0-9:.]{0,12} )?(S: |C: |smtp; )?[0-9X.]{0,9}[ -]?[^\n]{0,30}\n?){0,4}"
    ) {
        if let Ok(query) = parse_query(&input) {
            for line in render(&query.explain(), cli).lines() {
                proptest::prop_assert!(line.chars().count() <= 80, "{line:?}");
            }
        }
    }

    /// Arbitrary text, control characters and all, is refused or read, and
    /// an error never carries a raw control character back.
    #[test]
    fn any_text_is_read_without_panic(input in "\\PC{0,40}|[\\x00-\\x1f\\x7f-\\u{a0}é5.0 -]{0,40}") {
        if let Err(error) = parse_query(&input) {
            proptest::prop_assert!(!error.chars().any(char::is_control), "{error:?}");
        }
    }
}
