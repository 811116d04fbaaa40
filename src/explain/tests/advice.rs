//! The advice real failure replies get.

use super::*;

#[test]
fn real_replies_get_the_right_advice() {
    for (code, lines, expected) in [
        // Gmail
        (
            530,
            &["5.7.0 Must issue a STARTTLS command first. x - gsmtp"][..],
            Some("use-starttls"),
        ),
        (
            534,
            &[
                "5.7.9 Application-specific password required. Learn more at",
                "5.7.9 https://support.google.com/mail/?p=InvalidSecondFactor x - gsmtp",
            ],
            Some("app-password"),
        ),
        (
            534,
            &[
                "5.7.14 <https://accounts.google.com/signin/continue?sarp=1> Please",
                "5.7.14 log in via your web browser and then try again.",
            ],
            Some("web-login"),
        ),
        (
            535,
            &[
                "5.7.8 Username and Password not accepted. Learn more at",
                "5.7.8 https://support.google.com/mail/?p=BadCredentials x - gsmtp",
            ],
            Some("password-not-accepted"),
        ),
        (
            530,
            &[
                "5.7.0 Authentication Required. Learn more at https://support.google.com/mail/?p=WantAuthError",
            ],
            Some("give-login"),
        ),
        (
            454,
            &["4.7.0 Too many login attempts, please try again later."],
            Some("auth-throttled"),
        ),
        (
            552,
            &["5.3.4 Your message exceeded Google's message size limits."],
            Some("too-big"),
        ),
        (
            550,
            &["5.1.1 The email account that you tried to reach does not exist."],
            Some("recipient-unknown"),
        ),
        (
            452,
            &["4.2.2 The email account that you tried to reach is over quota."],
            Some("mailbox-full"),
        ),
        (
            550,
            &[
                "5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.",
            ],
            Some("sender-auth"),
        ),
        (
            550,
            &[
                "5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.",
            ],
            Some("dmarc"),
        ),
        (
            550,
            &["5.7.25 The IP address sending this message does not have a PTR record setup"],
            Some("reverse-dns"),
        ),
        (
            421,
            &[
                "4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address.",
            ],
            Some("rate-limited"),
        ),
        (
            550,
            &["5.7.1 Our system has detected that this message is likely unsolicited mail."],
            Some("spam"),
        ),
        (
            550,
            &["5.4.5 Daily user sending limit exceeded."],
            Some("daily-limit"),
        ),
        (
            421,
            &["4.7.0 Try again later, closing connection."],
            Some("try-later"),
        ),
        (
            501,
            &["5.5.4 HELO/EHLO argument is invalid."],
            Some("helo-name"),
        ),
        (
            550,
            &["5.7.1 Invalid credentials for relay [192.0.2.1]."],
            Some("relay-denied"),
        ),
        (
            550,
            &[
                "5.7.1 The IP you're using to send mail is not authorized to send email directly to our servers.",
            ],
            Some("use-submission"),
        ),
        (
            421,
            &[
                "4.7.32 Your email has been rate limited because the From: header (RFC5322) in this message isn't aligned with either the authenticated SPF or DKIM organizational domain.",
            ],
            Some("sender-auth"),
        ),
        (
            550,
            &["5.7.30 This mail has been blocked because DKIM does not pass."],
            Some("dkim"),
        ),
        (
            421,
            &[
                "4.7.29 Your email has been rate limited because this message wasn't sent over a TLS connection. Gmail requires all bulk email senders to use TLS/SSL for SMTP connections.",
            ],
            Some("use-starttls"),
        ),
        (
            450,
            &["4.2.1 The user you are trying to contact is receiving mail too quickly."],
            Some("recipient-rate"),
        ),
        (
            550,
            &["5.2.1 The email account that you tried to reach is disabled."],
            Some("mailbox-disabled"),
        ),
        (
            554,
            &["5.4.6 Message exceeded 50 hops, this may indicate a mail loop."],
            Some("mail-loop"),
        ),
        // Microsoft 365 and Outlook.com
        (
            535,
            &[
                "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
            ],
            Some("smtp-auth-disabled"),
        ),
        (
            535,
            &[
                "5.7.139 Authentication unsuccessful, basic authentication is disabled. [LO2P265CA0482.GBRP265.PROD.OUTLOOK.COM]",
            ],
            Some("basic-auth-disabled"),
        ),
        (
            535,
            &[
                "5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy.",
            ],
            Some("smtp-auth-disabled"),
        ),
        (
            535,
            &["5.7.3 Authentication unsuccessful [BL1PR13CA0123.namprd13.prod.outlook.com]"],
            Some("microsoft-login"),
        ),
        (
            530,
            &[
                "5.7.57 Client not authenticated to send mail. [BN1P110CA0052.NAMP110.PROD.OUTLOOK.COM]",
            ],
            Some("give-login"),
        ),
        (
            550,
            &["5.7.60 SMTP; Client does not have permissions to send as this sender"],
            Some("sender-not-owned"),
        ),
        (
            554,
            &[
                "5.2.252 SendAsDenied; alice@example.com not allowed to send as bob@example.com; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied",
            ],
            Some("sender-not-owned"),
        ),
        (
            550,
            &[
                "5.7.1 Service unavailable, MailFrom domain is listed in Spamhaus. To request removal from this list see https://www.spamhaus.org/query/lookup/ (S8002)",
            ],
            Some("blocklisted"),
        ),
        (
            550,
            &["5.5.0 Requested action not taken: mailbox unavailable (S2017062302)"],
            Some("recipient-unknown"),
        ),
        (
            550,
            &["5.4.1 Recipient address rejected: Access denied. AS(201806281)"],
            Some("recipient-unknown"),
        ),
        (
            550,
            &["5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"],
            Some("recipient-unknown"),
        ),
        (
            550,
            &["5.7.708 Service unavailable. Access denied, traffic not accepted from this IP."],
            Some("blocklisted"),
        ),
        (
            550,
            &[
                "5.7.515 Access denied, sending domain example.com doesn't meet the required authentication level.",
            ],
            Some("sender-auth"),
        ),
        (
            550,
            &["5.7.501 Access denied, spam abuse detected."],
            Some("sending-blocked"),
        ),
        (421, &["4.3.2 Service not available"], Some("try-later")),
        // Yandex
        (
            530,
            &[
                "5.7.7 Email sending without SSL/TLS encryption is not allowed. Please see: http://help.yandex.ru/mail/mail-clients/ssl.xml",
            ],
            Some("use-starttls"),
        ),
        (
            535,
            &[
                "5.7.8 Error: authentication failed: This user does not have access rights to this service",
            ],
            Some("client-access-off"),
        ),
        (
            535,
            &["5.7.8 Error: authentication failed: Invalid user or password!"],
            Some("check-login"),
        ),
        (
            553,
            &["5.7.1 Sender address rejected: not owned by auth user."],
            Some("sender-not-owned"),
        ),
        (
            554,
            &[
                "5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc 1631900360-h4Ajl35YEe-dK78OYi4",
            ],
            Some("spam"),
        ),
        (550, &["5.7.1 No such user!"], Some("recipient-unknown")),
        (
            550,
            &["5.7.1 Policy rejection on the target address"],
            Some("not-authorized"),
        ),
        // Mail.ru
        (
            535,
            &[
                "5.7.0 NEOBHODIM parol prilozheniya https://help.mail.ru/mail/security/protection/external / Application password is REQUIRED",
            ],
            Some("app-password"),
        ),
        (
            550,
            &[
                "Message was not accepted -- invalid mailbox. Local mailbox x@mail.ru is unavailable: account is disabled",
            ],
            Some("mailbox-disabled"),
        ),
        (
            550,
            &[
                "spam message rejected. Please visit http://help.mail.ru/notspam-support/id?c=x or report details to abuse@corp.mail.ru.",
            ],
            Some("spam"),
        ),
        (
            550,
            &["message sending for this account is disabled"],
            Some("sending-blocked"),
        ),
        (
            503,
            &[
                "Administrative prohibition -- authorization required. Users in your domain are not allowed to send email without authorization.",
            ],
            Some("give-login"),
        ),
        // Yahoo, iCloud
        (
            535,
            &["5.7.0 (#AUTH005) Too many bad auth attempts."],
            Some("auth-throttled"),
        ),
        (
            553,
            &[
                "5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list;",
            ],
            Some("blocklisted"),
        ),
        (
            554,
            &[
                "5.7.9 Message not accepted for policy reasons. See https://help.yahoo.com/kb/postmaster/SLN7253.html",
            ],
            Some("spam"),
        ),
        (
            554,
            &["5.7.1 <x@icloud.com>: Relay access denied"],
            Some("relay-denied"),
        ),
        (
            550,
            &[
                "5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137",
            ],
            Some("spam"),
        ),
        (
            421,
            &["4.7.1 Messages to x@icloud.com deferred due to excessive volume. Try again later"],
            Some("recipient-rate"),
        ),
        // Postfix, with Dovecot, postgrey, policyd-spf, rspamd
        (
            553,
            &[
                "5.7.1 <alice@example.org>: Sender address rejected: not owned by user bob@example.org",
            ],
            Some("sender-not-owned"),
        ),
        (
            553,
            &["5.7.1 <alice@example.org>: Sender address rejected: not logged in"],
            Some("give-login"),
        ),
        (
            504,
            &["5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname"],
            Some("helo-name"),
        ),
        (
            450,
            &["4.7.1 <localhost>: Helo command rejected: Host not found"],
            Some("helo-name"),
        ),
        (
            450,
            &[
                "4.2.0 <bob@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html",
            ],
            Some("greylisted"),
        ),
        (
            550,
            &[
                "5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
            ],
            Some("recipient-unknown"),
        ),
        (
            552,
            &["5.3.4 Message size exceeds fixed limit"],
            Some("too-big"),
        ),
        (
            452,
            &["4.5.3 Error: too many recipients"],
            Some("too-many-recipients"),
        ),
        (
            421,
            &["4.7.0 mx.example.org Error: too many errors"],
            Some("too-many-errors"),
        ),
        (
            421,
            &["4.7.0 mx.example.org Error: too many connections from 192.0.2.1"],
            Some("too-many-connections"),
        ),
        (
            535,
            &["5.7.8 Error: authentication failed: authentication failure"],
            Some("check-login"),
        ),
        (
            554,
            &[
                "5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1",
            ],
            Some("blocklisted"),
        ),
        (
            450,
            &["4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]"],
            Some("reverse-dns"),
        ),
        (
            503,
            &["5.5.1 Error: authentication not enabled"],
            Some("no-auth-here"),
        ),
        (
            451,
            &["4.3.5 Server configuration problem"],
            Some("server-problem"),
        ),
        (
            550,
            &[
                "5.7.23 <bob@example.com>: Recipient address rejected: Message rejected due to: SPF fail - not authorized.",
            ],
            Some("spf"),
        ),
        (
            454,
            &["4.7.1 <bob@example.com>: Relay access denied"],
            Some("relay-denied"),
        ),
        (
            450,
            &["4.1.8 <alice@nowhere.invalid>: Sender address rejected: Domain not found"],
            Some("sender-domain"),
        ),
        (
            501,
            &["5.1.7 Bad sender address syntax"],
            Some("sender-syntax"),
        ),
        (
            501,
            &["5.1.3 Bad recipient address syntax"],
            Some("recipient-syntax"),
        ),
        (554, &["5.7.1 Spam message rejected"], Some("spam")),
        (451, &["4.7.1 Try again later"], Some("try-later")),
        (
            550,
            &["5.7.1 Client host rejected: Access denied"],
            Some("not-authorized"),
        ),
        (
            452,
            &["4.3.1 Insufficient system storage"],
            Some("server-problem"),
        ),
        // Exim and cPanel
        (550, &["relay not permitted"], Some("relay-denied")),
        (535, &["Incorrect authentication data"], Some("check-login")),
        (
            550,
            &[
                "Please turn on SMTP Authentication in your mail client, or login to the",
                "IMAP/POP3 server before sending your message. (localhost.localdomain)",
                "[192.0.2.1]:42630 is not permitted to relay through this server without",
                "authentication.",
            ],
            Some("relay-denied"),
        ),
        (
            550,
            &["Please turn on SMTP Authentication in your mail client."],
            Some("give-login"),
        ),
        (550, &["Unrouteable address"], Some("recipient-domain")),
        (
            421,
            &["Too many concurrent SMTP connections from this IP address; please try again later."],
            Some("too-many-connections"),
        ),
        (
            550,
            &["Access denied - Invalid HELO name (See RFC2821 4.1.1.1)"],
            Some("helo-name"),
        ),
        (
            503,
            &["AUTH command used when not advertised"],
            Some("no-auth-here"),
        ),
        (
            451,
            &["Temporary local problem - please try later"],
            Some("try-later"),
        ),
        (550, &["Sender verify failed"], Some("sender-domain")),
        (
            552,
            &["Message size exceeds maximum permitted"],
            Some("too-big"),
        ),
        // The RFCs' own texts
        (
            556,
            &["5.1.10 Recipient address has null MX"],
            Some("null-mx"),
        ),
        (
            553,
            &["5.6.7 Non-ASCII addresses not permitted for that sender/recipient"],
            Some("smtputf8"),
        ),
        (
            550,
            &["5.7.30 REQUIRETLS support required"],
            Some("requiretls"),
        ),
        (
            432,
            &["4.7.12 A password transition is needed"],
            Some("password-transition"),
        ),
        (
            538,
            &["5.7.11 Encryption required for requested authentication mechanism"],
            Some("use-tls-for-auth"),
        ),
        (
            534,
            &["5.7.9 Authentication mechanism is too weak"],
            Some("other-mechanism"),
        ),
        (
            504,
            &["5.7.4 Unrecognized authentication type"],
            Some("other-mechanism"),
        ),
        (552, &["5.2.2 Mailbox full"], Some("mailbox-full")),
        (
            521,
            &["5.3.2 mx.example.org does not accept mail"],
            Some("no-service"),
        ),
        (554, &["No SMTP service here"], Some("no-service")),
        (451, &["4.4.3 Temporary lookup failure"], Some("try-later")),
        (
            503,
            &["5.5.1 Error: need RCPT command"],
            Some("bad-sequence"),
        ),
        (
            552,
            &["5.2.3 Message length exceeds administrative limit"],
            Some("too-big"),
        ),
        (550, &["5.4.4 Unable to route"], Some("recipient-domain")),
        (451, &["4.4.1 No answer from host"], Some("try-later")),
        (530, &["5.7.1 Authentication required"], Some("give-login")),
        (
            503,
            &["5.5.1 Bad sequence of commands, send EHLO/HELO first"],
            Some("bad-sequence"),
        ),
        (
            454,
            &["4.7.0 TLS not available due to temporary reason"],
            Some("tls-unavailable"),
        ),
        (
            454,
            &["4.3.0 Try again later: STARTTLS temporarily unavailable"],
            Some("tls-unavailable"),
        ),
        (
            454,
            &["4.7.0 Temporary authentication failure"],
            Some("auth-temporary"),
        ),
        // Not failures, or nothing specific to say
        (250, &["2.0.0 Ok: queued as 4BWm1c6Xz2z9sWN"], None),
        (235, &["2.7.0 Authentication successful"], None),
        (550, &["5.0.0 Rejected"], None),
        (554, &["5.0.0 Transaction failed"], None),
    ] {
        let got = explain(&reply(code, lines)).hint.map(Hint::id);
        assert_eq!(got, expected, "{code} {lines:?}");
    }
}

#[test]
fn hint_for_works_without_text_or_enhanced_code() {
    for (code, enhanced, expected) in [
        (535, None, Some("check-login")),
        (530, None, Some("give-login")),
        (421, None, Some("try-later")),
        (535, Some(Enhanced(5, 7, 139)), Some("microsoft-login")),
        (550, None, None),
        (250, None, None),
    ] {
        assert_eq!(
            hint_for(code, enhanced, "").map(Hint::id),
            expected,
            "{code}"
        );
    }
}

/// A refused `OAuth2` token gets the token's advice even when the reply's
/// words were written for passwords; a temporary refusal stays temporary.
#[test]
fn refused_tokens_get_the_token_advice() {
    use crate::smtp::{Error, Mechanism};
    for (mechanism, code, text, logged_in, expected) in [
        (
            Mechanism::XOAuth2,
            535,
            "5.7.8 Username and Password not accepted",
            true,
            "check-token",
        ),
        (
            Mechanism::OAuthBearer,
            535,
            "5.7.3 Authentication unsuccessful",
            true,
            "check-token",
        ),
        (
            Mechanism::XOAuth2,
            454,
            "4.7.0 Temporary authentication failure",
            true,
            "auth-temporary",
        ),
    ] {
        let e = Error::TokenRefused {
            mechanism,
            reply: reply(code, &[text]),
            challenge: Some(r#"{"status":"401"}"#.into()),
        };
        let hint = hint_for_error(&e, logged_in).map(Hint::id);
        assert_eq!(hint, Some(expected), "{code} {text}");
    }
    let rendered = advice(Advice::CheckToken).render(cli);
    assert!(
        rendered.contains("--password-command") && rendered.contains("fresh"),
        "{rendered}"
    );
}
