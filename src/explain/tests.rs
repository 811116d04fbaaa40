use std::{borrow::Cow, collections::HashSet};

use super::*;
use crate::smtp::Code;

const REGISTRY: &str = include_str!("../../tests/fixtures/enhanced-status-codes.txt");
const REPLY_CODES: &str = include_str!("../../tests/fixtures/reply-codes.txt");

/// The fixture's `code<TAB>title<TAB>reference` rows.
fn rows(fixture: &str) -> Vec<(&str, &str, &str)> {
    fixture
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 3, "{line:?}");
            (fields[0], fields[1], fields[2])
        })
        .collect()
}

fn number(text: &str) -> u16 {
    text.parse().unwrap()
}

#[test]
fn the_tables_cover_the_iana_registry_with_its_titles() {
    let (mut classes, mut subjects, mut details) = (0, 0, HashSet::new());
    for (code, title, reference) in rows(REGISTRY) {
        let parts: Vec<&str> = code.split('.').collect();
        match parts.as_slice() {
            [class, "XXX", "YYY"] => {
                let info = registry::CLASSES
                    .iter()
                    .find(|c| u16::from(c.class) == number(class))
                    .unwrap_or_else(|| panic!("class {code} missing"));
                assert_eq!((info.title, info.reference), (title, reference), "{code}");
                classes += 1;
            }
            ["X", subject, "YYY"] => {
                let info = registry::SUBJECTS
                    .iter()
                    .find(|s| s.subject == number(subject))
                    .unwrap_or_else(|| panic!("subject {code} missing"));
                assert_eq!((info.title, info.reference), (title, reference), "{code}");
                subjects += 1;
            }
            ["X", subject, detail] => {
                let info = super::detail(number(subject), number(detail))
                    .unwrap_or_else(|| panic!("{code} missing"));
                assert_eq!((info.title, info.reference), (title, reference), "{code}");
                let expected = if title.is_empty() {
                    Origin::Deprecated
                } else {
                    Origin::Standard
                };
                assert_eq!(info.origin, expected, "{code}");
                details.insert((info.subject, info.detail));
            }
            _ => panic!("unreadable fixture code {code}"),
        }
    }
    // And the other way round: nothing claims to be registered that is not.
    assert_eq!(classes, registry::CLASSES.len());
    assert_eq!(subjects, registry::SUBJECTS.len());
    for info in registry::DETAILS {
        let listed = details.contains(&(info.subject, info.detail));
        let extra = matches!(info.origin, Origin::Extra(_));
        assert!(
            listed != extra,
            "X.{}.{}: listed in the registry {listed}, marked extra {extra}",
            info.subject,
            info.detail
        );
        assert!(
            !info.meaning.is_empty(),
            "X.{}.{}",
            info.subject,
            info.detail
        );
    }
}

#[test]
fn the_reply_table_covers_the_rfc_reply_codes() {
    let mut listed = HashSet::new();
    for (code, title, reference) in rows(REPLY_CODES) {
        let info = reply_code(number(code)).unwrap_or_else(|| panic!("{code} missing"));
        assert_eq!((info.title, info.reference), (title, reference), "{code}");
        assert_eq!(info.origin, Origin::Standard, "{code}");
        listed.insert(info.code);
    }
    for info in replies::REPLY_CODES {
        assert_eq!(
            listed.contains(&info.code),
            info.origin == Origin::Standard,
            "{}: an extra must be marked, a standard code listed",
            info.code
        );
        assert!(Code::new(info.code).is_some(), "{}", info.code);
        assert!(!info.meaning.is_empty(), "{}", info.code);
    }
}

#[test]
fn tables_are_sorted_for_binary_search() {
    let codes: Vec<u16> = replies::REPLY_CODES.iter().map(|c| c.code).collect();
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "{codes:?}");
    let keys: Vec<(u16, u16)> = registry::DETAILS
        .iter()
        .map(|d| (d.subject, d.detail))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
}

#[test]
fn status_combines_class_subject_and_detail() {
    let info = status(Enhanced(5, 7, 8)).unwrap();
    assert_eq!(info.class.map(|c| c.title), Some("Permanent Failure"));
    assert_eq!(
        info.subject.map(|s| s.title),
        Some("Security or Policy Status")
    );
    assert_eq!(
        info.detail.map(|d| d.title),
        Some("Authentication credentials invalid")
    );
    for (code, class, subject, detail) in [
        (Enhanced(4, 4, 7), true, true, true),
        (Enhanced(2, 0, 0), true, true, true),
        (Enhanced(5, 7, 999), true, true, false),
        (Enhanced(5, 9, 9), true, false, false),
    ] {
        let info = status(code).unwrap();
        assert_eq!(
            (
                info.class.is_some(),
                info.subject.is_some(),
                info.detail.is_some()
            ),
            (class, subject, detail),
            "{code}"
        );
    }
    assert_eq!(status(Enhanced(3, 1, 1)), None);
}

/// Every hint that can be chosen or asked for.
fn all_hints() -> Vec<&'static Hint> {
    let advice = [
        Advice::CheckLogin,
        Advice::CheckToken,
        Advice::GiveLogin,
        Advice::UseStartTls,
        Advice::UseImplicitTls,
        Advice::UseStartTlsNotImplicit,
        Advice::NoStartTls,
        Advice::TrustCa,
        Advice::CheckHostName,
        Advice::CertificateExpired,
        Advice::UseTlsForAuth,
        Advice::OtherMechanism,
        Advice::CheckServer,
        Advice::RaiseTimeout,
        Advice::MayBeDelivered,
        Advice::TryLater,
    ];
    let mut hints: Vec<&'static Hint> = advice.into_iter().map(super::advice).collect();
    for rule in rules::RULES {
        if !hints.iter().any(|h| std::ptr::eq(*h, rule.hint)) {
            hints.push(rule.hint);
        }
    }
    hints
}

#[test]
fn hints_name_only_known_settings_and_have_unique_ids() {
    let mut ids = HashSet::new();
    for hint in all_hints() {
        assert!(ids.insert(hint.id()), "duplicate id {}", hint.id());
        for key in tokens(hint.text).chain(tokens(hint.detail)) {
            assert!(
                Setting::from_key(key).is_some(),
                "{}: unknown token {{{key}}}",
                hint.id()
            );
        }
        assert!(
            !hint.text.ends_with('.'),
            "{}: a hint line has no full stop",
            hint.id()
        );
    }
    for setting in Setting::ALL {
        assert_eq!(Setting::from_key(setting.key()), Some(setting));
    }
}

/// How the command line names settings.
fn cli(setting: Setting) -> Cow<'static, str> {
    match setting {
        Setting::Password => "the password (SMTPWIRE_PASSWORD or --password-command)".into(),
        other => format!("--{}", other.key().replace('_', "-")).into(),
    }
}

/// How the composer names settings.
fn composer(setting: Setting) -> Cow<'static, str> {
    let label = match setting {
        Setting::Server => "Host",
        Setting::Security => "Security",
        Setting::User => "User",
        Setting::Password => "Password",
        _ => return setting.key().into(),
    };
    format!("{label} (F2)").into()
}

#[test]
fn hints_render_settings_in_each_front_ends_words() {
    for (hint, name, expected) in [
        (
            advice(Advice::UseStartTls),
            cli as fn(Setting) -> Cow<'static, str>,
            "the server requires TLS first: set --security to starttls",
        ),
        (
            advice(Advice::UseStartTls),
            composer,
            "the server requires TLS first: set Security (F2) to starttls",
        ),
        (
            advice(Advice::CheckLogin),
            cli,
            "check --user and the password (SMTPWIRE_PASSWORD or --password-command)",
        ),
        (
            advice(Advice::TrustCa),
            cli,
            "the server's certificate is not trusted: give its CA certificate with --ca-file",
        ),
        (
            advice(Advice::CheckServer),
            composer,
            "check Host (F2) and port, that the server runs, and that no firewall is in the way",
        ),
    ] {
        assert_eq!(hint.render(name), expected);
    }
    assert_eq!(
        advice(Advice::UseTlsForAuth).settings(),
        [Setting::Security, Setting::AllowInsecureAuth]
    );
    // Braces that name no setting are left alone.
    assert_eq!(fill("a {b} {user", &cli), "a {b} {user");
}

fn reply(code: u16, lines: &[&str]) -> Reply {
    Reply::new(
        Code::new(code).unwrap(),
        lines.iter().map(ToString::to_string).collect(),
    )
}

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
