//! The rules that pick advice for a failure reply.
//!
//! Rules are tried in order and the first that matches wins, so specific
//! wordings (a provider's own text) come before the generic reading of a
//! code. A rule matches when any of its keys matches the reply (or it has
//! none) and every word group has a word in the reply's text (lower case).
//! The wordings come from real replies: Gmail, Microsoft 365 and
//! Outlook.com, Yandex, Mail.ru, Yahoo, iCloud, Postfix, Exim, cPanel.

use super::{
    Hint, StatusCode,
    hints::{
        ACCOUNT_DISABLED, APP_PASSWORD, AUTH_TEMPORARY, AUTH_THROTTLED, BAD_SEQUENCE,
        BASIC_AUTH_DISABLED, BLOCKLISTED, CHECK_LOGIN, CLIENT_ACCESS_OFF, CONVERSION, DAILY_LIMIT,
        DKIM, DMARC, EXPIRED, GIVE_LOGIN, GREYLISTED, HELO_NAME, MAIL_LOOP, MAILBOX_DISABLED,
        MAILBOX_FULL, MALFORMED_LETTER, MICROSOFT_LOGIN, NO_AUTH_HERE, NO_SERVICE, NOT_AUTHORIZED,
        NULL_MX, OTHER_MECHANISM, PARAMETER, PASSWORD_NOT_ACCEPTED, PASSWORD_TRANSITION,
        RATE_LIMITED, RECIPIENT_DOMAIN, RECIPIENT_RATE, RECIPIENT_SYNTAX, RECIPIENT_UNKNOWN,
        RELAY_DENIED, REQUIRETLS, REVERSE_DNS, SENDER_AUTH, SENDER_DOMAIN, SENDER_NOT_OWNED,
        SENDER_NULL_MX, SENDER_SYNTAX, SENDING_BLOCKED, SERVER_PROBLEM, SMTP_AUTH_DISABLED,
        SMTPUTF8, SPAM, SPF, TLS_UNAVAILABLE, TOO_BIG, TOO_MANY_CONNECTIONS, TOO_MANY_ERRORS,
        TOO_MANY_RECIPIENTS, TRY_LATER, USE_STARTTLS, USE_SUBMISSION, USE_TLS_FOR_AUTH, WEB_LOGIN,
    },
};

/// What a rule looks at besides the text.
#[derive(Clone, Copy, Debug)]
pub(super) enum Key {
    /// The reply code.
    Code(u16),
    /// The subject and detail of the enhanced code, any class: `Status(7, 8)`
    /// is X.7.8.
    Status(u16, u16),
    /// A reply code together with an enhanced code's subject and detail.
    Both(u16, u16, u16),
    /// A whole enhanced code, class included: `Full(5, 7, 1)`.
    Full(u8, u16, u16),
    /// The first digit of the reply code (or the class of the enhanced code
    /// when no reply code is known).
    Class(u16),
}

/// One way to recognise a failure.
pub(super) struct Rule {
    /// Any of these must match; empty matches every failure.
    pub(super) when: &'static [Key],
    /// Each group needs one of its words in the text.
    pub(super) words: &'static [&'static [&'static str]],
    /// The advice.
    pub(super) hint: &'static Hint,
}

use Key::{Both, Class, Code, Full, Status};

/// Words that say the server wants TLS.
const TLS_WORDS: &[&str] = &["starttls", "tls", "ssl", "encryption required", "encrypted"];

/// The rules, most specific first.
pub(super) static RULES: &[Rule] = &[
    Rule {
        when: &[],
        words: &[&["requiretls"]],
        hint: &REQUIRETLS,
    },
    Rule {
        when: &[Code(538), Code(523), Status(7, 10), Status(7, 11)],
        words: &[],
        hint: &USE_TLS_FOR_AUTH,
    },
    Rule {
        when: &[Code(454)],
        words: &[TLS_WORDS],
        hint: &TLS_UNAVAILABLE,
    },
    Rule {
        when: &[Code(530)],
        words: &[TLS_WORDS],
        hint: &USE_STARTTLS,
    },
    Rule {
        when: &[Class(4), Class(5)],
        words: &[&[
            "starttls",
            "tls required",
            "require tls",
            "requires tls",
            "tls/ssl",
            "ssl/tls",
            "encryption required",
        ]],
        hint: &USE_STARTTLS,
    },
    Rule {
        when: &[],
        words: &[&[
            "application-specific password",
            "app password",
            "application password",
            "parol prilozheniya",
            "invalidsecondfactor",
        ]],
        hint: &APP_PASSWORD,
    },
    Rule {
        when: &[Both(534, 7, 14)],
        words: &[],
        hint: &WEB_LOGIN,
    },
    Rule {
        when: &[],
        words: &[&["web browser", "weblogin", "sign in via your browser"]],
        hint: &WEB_LOGIN,
    },
    Rule {
        when: &[],
        words: &[&[
            "does not have access rights to this service",
            "access for mail clients",
            "imap is disabled",
        ]],
        hint: &CLIENT_ACCESS_OFF,
    },
    Rule {
        when: &[],
        words: &[&[
            "smtpclientauthentication is disabled",
            "smtp_auth_disabled",
            "smtp auth is disabled",
            "did not meet the criteria to be authenticated",
            "security defaults",
        ]],
        hint: &SMTP_AUTH_DISABLED,
    },
    Rule {
        when: &[],
        words: &[&["basic authentication is disabled", "basic auth"]],
        hint: &BASIC_AUTH_DISABLED,
    },
    Rule {
        when: &[],
        words: &[&[
            "too many login attempts",
            "too many bad auth",
            "too many authentication failures",
            "too many failed",
            "too many invalid auth",
        ]],
        hint: &AUTH_THROTTLED,
    },
    Rule {
        when: &[Status(7, 13), Code(525)],
        words: &[],
        hint: &ACCOUNT_DISABLED,
    },
    Rule {
        when: &[Code(535), Code(534), Code(530), Code(454)],
        words: &[&[
            "account is locked",
            "account has been locked",
            "account is disabled",
            "account disabled",
            "account is blocked",
            "user is locked",
        ]],
        hint: &ACCOUNT_DISABLED,
    },
    Rule {
        when: &[Status(7, 501)],
        words: &[],
        hint: &SENDING_BLOCKED,
    },
    Rule {
        when: &[],
        words: &[&[
            "sending for this account is disabled",
            "spam abuse detected",
            "bad outbound sender",
            "mail sending denied",
            "account has been suspended",
            "outgoing mail is disabled",
        ]],
        hint: &SENDING_BLOCKED,
    },
    Rule {
        when: &[],
        words: &[&["username and password not accepted", "badcredentials"]],
        hint: &PASSWORD_NOT_ACCEPTED,
    },
    Rule {
        when: &[Both(535, 7, 3), Both(535, 7, 139)],
        words: &[],
        hint: &MICROSOFT_LOGIN,
    },
    Rule {
        when: &[Code(535), Status(7, 8)],
        words: &[],
        hint: &CHECK_LOGIN,
    },
    Rule {
        when: &[Code(534), Both(535, 7, 9), Both(504, 7, 4)],
        words: &[],
        hint: &OTHER_MECHANISM,
    },
    Rule {
        when: &[Code(504)],
        words: &[&["authentication type", "mechanism", "auth"]],
        hint: &OTHER_MECHANISM,
    },
    Rule {
        when: &[Code(432), Status(7, 12)],
        words: &[],
        hint: &PASSWORD_TRANSITION,
    },
    Rule {
        when: &[Code(454)],
        words: &[&["auth", "login"]],
        hint: &AUTH_TEMPORARY,
    },
    Rule {
        when: &[],
        words: &[&[
            "authentication not enabled",
            "authentication not available",
            "auth not available",
            "auth not supported",
            "when not advertised",
        ]],
        hint: &NO_AUTH_HERE,
    },
    Rule {
        when: &[],
        words: &[&[
            "not authorized to send email directly",
            "dynamic ip",
            "dynamic address",
            "residential",
            "dialup",
            "dial-up",
            "spamhaus pbl",
            "use the smtp relay at your service provider",
            "unauthenticated mail not allowed from this range",
        ]],
        hint: &USE_SUBMISSION,
    },
    Rule {
        when: &[Status(7, 64)],
        words: &[],
        hint: &RELAY_DENIED,
    },
    Rule {
        when: &[],
        words: &[&[
            "relay access denied",
            "relaying denied",
            "relay denied",
            "relay not permitted",
            "not permitted to relay",
            "unable to relay",
            "relaying not allowed",
            "relay not allowed",
            "relay prohibited",
            "relaying prohibited",
            "not allowed to relay",
            "we do not relay",
            "open relay not allowed",
            "invalid credentials for relay",
        ]],
        hint: &RELAY_DENIED,
    },
    Rule {
        when: &[Status(7, 60), Status(2, 252)],
        words: &[],
        hint: &SENDER_NOT_OWNED,
    },
    Rule {
        when: &[],
        words: &[&[
            "not owned by",
            "send as this sender",
            "sendas",
            "send-as",
            "not allowed to send as",
            "not local sender",
            "sender address does not belong",
            "does not match the authenticated",
            "no identity changes permitted",
        ]],
        hint: &SENDER_NOT_OWNED,
    },
    Rule {
        when: &[Code(530), Status(7, 57)],
        words: &[],
        hint: &GIVE_LOGIN,
    },
    Rule {
        when: &[],
        words: &[&[
            "authentication required",
            "authentication is required",
            "authorization required",
            "must authenticate",
            "not authenticated",
            "not logged in",
            "smtp authentication",
            "smtp auth is required",
            "auth required",
            "login required",
            "please authenticate",
            "authenticate first",
        ]],
        hint: &GIVE_LOGIN,
    },
    Rule {
        when: &[Status(7, 506)],
        words: &[],
        hint: &HELO_NAME,
    },
    Rule {
        when: &[Class(4), Class(5)],
        words: &[
            &["helo", "ehlo"],
            &[
                "reject",
                "invalid",
                "fully-qualified",
                "fully qualified",
                "fqdn",
                "bad helo",
                "bad ehlo",
                "not allowed",
                "argument",
                "syntax",
                "hostname",
                "host name",
                "denied",
            ],
        ],
        hint: &HELO_NAME,
    },
    Rule {
        when: &[Status(7, 25)],
        words: &[],
        hint: &REVERSE_DNS,
    },
    Rule {
        when: &[],
        words: &[&[
            "reverse dns",
            "ptr record",
            "reverse hostname",
            "cannot find your hostname",
            "reverse lookup",
            "rdns",
        ]],
        hint: &REVERSE_DNS,
    },
    Rule {
        when: &[Status(7, 708)],
        words: &[],
        hint: &BLOCKLISTED,
    },
    Rule {
        when: &[],
        words: &[&[
            "blocked using",
            "spamhaus",
            "spamcop",
            "block list",
            "blocklist",
            "blacklist",
            "black list",
            "dnsbl",
            "banned sending ip",
            "traffic not accepted from this ip",
        ]],
        hint: &BLOCKLISTED,
    },
    Rule {
        when: &[Status(7, 509)],
        words: &[],
        hint: &DMARC,
    },
    Rule {
        when: &[],
        words: &[&["dmarc"]],
        hint: &DMARC,
    },
    Rule {
        when: &[Status(7, 26), Status(7, 515), Status(7, 32)],
        words: &[],
        hint: &SENDER_AUTH,
    },
    Rule {
        when: &[],
        words: &[&[
            "spf or dkim",
            "authentication checks",
            "authentication level",
            "unauthenticated",
        ]],
        hint: &SENDER_AUTH,
    },
    Rule {
        when: &[Status(7, 23), Status(7, 24)],
        words: &[],
        hint: &SPF,
    },
    Rule {
        when: &[],
        words: &[&["spf"]],
        hint: &SPF,
    },
    Rule {
        when: &[Status(7, 20), Status(7, 21), Status(7, 22)],
        words: &[],
        hint: &DKIM,
    },
    Rule {
        when: &[],
        words: &[&["dkim"]],
        hint: &DKIM,
    },
    Rule {
        when: &[Status(7, 30)],
        words: &[],
        hint: &REQUIRETLS,
    },
    Rule {
        when: &[Status(7, 27)],
        words: &[],
        hint: &SENDER_NULL_MX,
    },
    Rule {
        when: &[Status(1, 8)],
        words: &[],
        hint: &SENDER_DOMAIN,
    },
    Rule {
        when: &[],
        words: &[&[
            "sender address rejected: domain not found",
            "sender domain",
            "sender verify failed",
            "unverified sender",
            "domain of sender address",
        ]],
        hint: &SENDER_DOMAIN,
    },
    Rule {
        when: &[Status(1, 7)],
        words: &[],
        hint: &SENDER_SYNTAX,
    },
    Rule {
        when: &[],
        words: &[&["bad sender address syntax", "sender address syntax"]],
        hint: &SENDER_SYNTAX,
    },
    Rule {
        when: &[Status(5, 3)],
        words: &[],
        hint: &TOO_MANY_RECIPIENTS,
    },
    Rule {
        when: &[],
        words: &[&["too many recipients"]],
        hint: &TOO_MANY_RECIPIENTS,
    },
    Rule {
        when: &[],
        words: &[&[
            "receiving mail at a rate",
            "receiving mail too quickly",
            "excessive volume",
            "messages they can receive",
        ]],
        hint: &RECIPIENT_RATE,
    },
    Rule {
        when: &[Status(2, 2)],
        words: &[],
        hint: &MAILBOX_FULL,
    },
    Rule {
        when: &[],
        words: &[&[
            "mailbox full",
            "mailbox is full",
            "over quota",
            "out of storage space",
            "quota exceeded (mailbox",
            "user quota exceeded",
        ]],
        hint: &MAILBOX_FULL,
    },
    Rule {
        when: &[Status(3, 4), Status(2, 3), Status(7, 16)],
        words: &[],
        hint: &TOO_BIG,
    },
    Rule {
        when: &[],
        words: &[&[
            "message size",
            "size limit",
            "too big",
            "too large",
            "message length exceeds",
            "size exceeds",
        ]],
        hint: &TOO_BIG,
    },
    Rule {
        when: &[],
        words: &[&["daily", "per day", "24 hours"], &["limit", "quota"]],
        hint: &DAILY_LIMIT,
    },
    Rule {
        when: &[],
        words: &[&[
            "too many connections",
            "too many concurrent",
            "concurrent connections",
            "connection limit",
            "too many sessions",
        ]],
        hint: &TOO_MANY_CONNECTIONS,
    },
    Rule {
        when: &[],
        words: &[&[
            "too many errors",
            "too many bad commands",
            "too many unrecognized commands",
        ]],
        hint: &TOO_MANY_ERRORS,
    },
    Rule {
        when: &[Status(7, 28)],
        words: &[],
        hint: &RATE_LIMITED,
    },
    Rule {
        when: &[],
        words: &[&[
            "rate limit",
            "rate-limit",
            "ratelimit",
            "throttl",
            "too many messages",
            "too much mail",
            "too fast",
            "slow down",
            "unusual rate",
            "sending rate",
            "max message per connection",
            "relay limit",
        ]],
        hint: &RATE_LIMITED,
    },
    Rule {
        when: &[Class(4)],
        words: &[&["greylist", "graylist", "grey-list", "gray-list"]],
        hint: &GREYLISTED,
    },
    Rule {
        when: &[Class(5)],
        words: &[&[
            "mailbox is disabled",
            "mailbox disabled",
            "account is disabled",
            "is inactive",
            "account has been disabled",
        ]],
        hint: &MAILBOX_DISABLED,
    },
    Rule {
        when: &[Status(1, 1), Status(1, 6)],
        words: &[],
        hint: &RECIPIENT_UNKNOWN,
    },
    Rule {
        when: &[Class(5)],
        words: &[&[
            "user unknown",
            "unknown user",
            "no such user",
            "does not exist",
            "recipient not found",
            "recipientnotfound",
            "user not found",
            "mailbox not found",
            "no such mailbox",
            "invalid recipient",
            "unknown recipient",
            "invalid mailbox",
            "not our customer",
            "mailbox unallocated",
            "addressee unknown",
            "no mailbox here",
            "mailbox unavailable",
            "recipient address rejected: access denied",
        ]],
        hint: &RECIPIENT_UNKNOWN,
    },
    Rule {
        when: &[Status(1, 3)],
        words: &[],
        hint: &RECIPIENT_SYNTAX,
    },
    Rule {
        when: &[Status(2, 1)],
        words: &[],
        hint: &MAILBOX_DISABLED,
    },
    Rule {
        when: &[Status(1, 10), Code(556)],
        words: &[],
        hint: &NULL_MX,
    },
    Rule {
        when: &[Status(1, 2), Status(4, 4)],
        words: &[],
        hint: &RECIPIENT_DOMAIN,
    },
    Rule {
        when: &[],
        words: &[&[
            "domain not found",
            "host not found",
            "unrouteable",
            "unroutable",
            "unable to route",
            "no mx",
            "name service error",
        ]],
        hint: &RECIPIENT_DOMAIN,
    },
    Rule {
        when: &[Status(6, 7), Status(6, 8), Status(6, 9), Status(6, 10)],
        words: &[],
        hint: &SMTPUTF8,
    },
    Rule {
        when: &[],
        words: &[&[
            "smtputf8",
            "non-ascii",
            "internationalised",
            "internationalized",
        ]],
        hint: &SMTPUTF8,
    },
    Rule {
        when: &[Status(6, 1), Status(6, 2), Status(6, 3), Status(6, 5)],
        words: &[],
        hint: &CONVERSION,
    },
    Rule {
        when: &[],
        words: &[&[
            "rfc 5322",
            "rfc5322",
            "rfc 2822",
            "not rfc compliant",
            "headers are not rfc",
            "message is malformed",
            "duplicate headers",
            "missing a valid",
        ]],
        hint: &MALFORMED_LETTER,
    },
    Rule {
        when: &[Class(4), Class(5)],
        words: &[&[
            "spam",
            "unsolicited",
            "suspicious",
            "reputation",
            "phish",
            "virus",
            "malware",
            "banned content",
            "content rejected",
            "policy reasons",
            "due to local policy",
            "potential security issue",
            "illegal attachment",
        ]],
        hint: &SPAM,
    },
    Rule {
        when: &[Status(4, 6)],
        words: &[],
        hint: &MAIL_LOOP,
    },
    Rule {
        when: &[],
        words: &[&[
            "mail loop",
            "routing loop",
            "too many hops",
            "exceeded 50 hops",
        ]],
        hint: &MAIL_LOOP,
    },
    Rule {
        when: &[Status(4, 7)],
        words: &[],
        hint: &EXPIRED,
    },
    Rule {
        when: &[Code(521)],
        words: &[],
        hint: &NO_SERVICE,
    },
    Rule {
        when: &[],
        words: &[&["no smtp service", "does not accept mail"]],
        hint: &NO_SERVICE,
    },
    Rule {
        when: &[Full(5, 7, 1), Full(5, 7, 0)],
        words: &[],
        hint: &NOT_AUTHORIZED,
    },
    Rule {
        when: &[Status(3, 1), Status(3, 5)],
        words: &[],
        hint: &SERVER_PROBLEM,
    },
    Rule {
        when: &[Code(552)],
        words: &[],
        hint: &TOO_BIG,
    },
    Rule {
        when: &[Code(503)],
        words: &[],
        hint: &BAD_SEQUENCE,
    },
    Rule {
        when: &[Code(555)],
        words: &[],
        hint: &PARAMETER,
    },
    Rule {
        when: &[Class(4)],
        words: &[],
        hint: &TRY_LATER,
    },
];

/// The first rule's hint that matches a failure; positive replies get none.
pub(super) fn find(
    code: Option<u16>,
    status: Option<StatusCode>,
    text: &str,
) -> Option<&'static Hint> {
    let class = code
        .map(|c| c / 100)
        .or_else(|| status.and_then(|s| s.class).map(u16::from));
    if matches!(class, Some(2 | 3)) {
        return None;
    }
    let text = text.to_lowercase();
    let key_matches = |key: &Key| match *key {
        Code(c) => code == Some(c),
        Status(s, d) => status.is_some_and(|st| st.subject == s && st.detail == d),
        // An enhanced code asked about alone (`explain 5.7.139`) matches
        // when it is a vendor's own (detail 100 and up, outside the IANA
        // registry): it means the same whatever reply code carries it.
        Both(c, s, d) => {
            (code == Some(c) || (code.is_none() && d >= 100))
                && status.is_some_and(|st| st.subject == s && st.detail == d)
        }
        Full(k, s, d) => {
            status.is_some_and(|st| st.class == Some(k) && st.subject == s && st.detail == d)
        }
        Class(k) => class == Some(k),
    };
    RULES
        .iter()
        .find(|rule| {
            (rule.when.is_empty() || rule.when.iter().any(key_matches))
                && rule
                    .words
                    .iter()
                    .all(|group| group.iter().any(|word| text.contains(word)))
        })
        .map(|rule| rule.hint)
}
