//! The IANA "SMTP Enhanced Status Codes" registry: class, subject and
//! enumerated (detail) codes. Titles are the registry's; meanings are ours.
//! A few codes that big providers use outside the registry sit among them,
//! marked [`Origin::Extra`]. `DETAILS` is sorted by (subject, detail) for
//! `binary_search`; a test checks the order and the fixture
//! `tests/fixtures/enhanced-status-codes.txt` checks the titles.

use super::{ClassInfo, DetailInfo, Origin, SubjectInfo};

pub(super) static CLASSES: &[ClassInfo] = &[
    ClassInfo {
        class: 2,
        title: "Success",
        meaning: "The action worked. Detail codes may report changes made on the way.",
        reference: "RFC 3463",
    },
    ClassInfo {
        class: 4,
        title: "Persistent Transient Failure",
        meaning: "Failed for now, but nothing is wrong with the letter as such: \
                  the same thing may work if tried again later.",
        reference: "RFC 3463",
    },
    ClassInfo {
        class: 5,
        title: "Permanent Failure",
        meaning: "Failed, and sending the same thing again will fail again: \
                  something about the letter, the addresses or the setup must \
                  change first.",
        reference: "RFC 3463",
    },
];

const fn subject(subject: u16, title: &'static str, meaning: &'static str) -> SubjectInfo {
    SubjectInfo {
        subject,
        title,
        meaning,
        reference: "RFC 3463",
    }
}

pub(super) static SUBJECTS: &[SubjectInfo] = &[
    subject(
        0,
        "Other or Undefined Status",
        "No further subject is given.",
    ),
    subject(
        1,
        "Addressing Status",
        "About an address, the sender's or a recipient's: its syntax, or whether \
         it exists. Usually the sender can fix it.",
    ),
    subject(
        2,
        "Mailbox Status",
        "About the recipient's mailbox (full, disabled...): in the recipient's \
         hands rather than the sender's.",
    ),
    subject(
        3,
        "Mail System Status",
        "About the receiving mail system as a whole: its storage, its features, \
         its configuration. Its administrator's business.",
    ),
    subject(
        4,
        "Network and Routing Status",
        "About getting the letter to the next server: DNS, routing, connections, \
         time limits.",
    ),
    subject(
        5,
        "Mail Delivery Protocol Status",
        "About the SMTP conversation itself: commands out of order, bad syntax, \
         unsupported parameters.",
    ),
    subject(
        6,
        "Message Content or Media Status",
        "About the content of the letter: its encoding, media types, conversions.",
    ),
    subject(
        7,
        "Security or Policy Status",
        "About security or policy: logins, encryption, permission to send, spam \
         and sender-authentication checks (SPF, DKIM, DMARC).",
    ),
];

const fn iana(
    subject: u16,
    detail: u16,
    title: &'static str,
    reference: &'static str,
    meaning: &'static str,
) -> DetailInfo {
    DetailInfo {
        subject,
        detail,
        title,
        meaning,
        reference,
        origin: Origin::Standard,
    }
}

const fn extra(
    subject: u16,
    detail: u16,
    title: &'static str,
    who: &'static str,
    meaning: &'static str,
) -> DetailInfo {
    DetailInfo {
        subject,
        detail,
        title,
        meaning,
        reference: "",
        origin: Origin::Extra(who),
    }
}

const MICROSOFT: &str = "used by Microsoft Exchange Online and Outlook.com";
const GOOGLE: &str = "used by Gmail";

pub(super) static DETAILS: &[DetailInfo] = &[
    iana(
        0,
        0,
        "Other undefined Status",
        "RFC 3463",
        "Nothing more specific is known than the class (success, temporary or permanent).",
    ),
    iana(
        1,
        0,
        "Other address status",
        "RFC 3463",
        "Something about an address caused this, with no more detail.",
    ),
    iana(
        1,
        1,
        "Bad destination mailbox address",
        "RFC 3463",
        "The mailbox does not exist: the part before the @ is unknown at the \
         recipient's domain. Check the spelling, or the account may be closed.",
    ),
    iana(
        1,
        2,
        "Bad destination system address",
        "RFC 3463",
        "The recipient's domain (the part after the @) does not exist or cannot \
         take mail.",
    ),
    iana(
        1,
        3,
        "Bad destination mailbox address syntax",
        "RFC 3463",
        "A recipient address is not a valid address as written.",
    ),
    iana(
        1,
        4,
        "Destination mailbox address ambiguous",
        "RFC 3463",
        "The address matches more than one mailbox at the destination.",
    ),
    iana(
        1,
        5,
        "Destination address valid",
        "RFC 3463",
        "The recipient address is fine (a success report).",
    ),
    iana(
        1,
        6,
        "Destination mailbox has moved, No forwarding address",
        "RFC 3463",
        "The address used to work but takes no mail any more, and no new address \
         is known.",
    ),
    iana(
        1,
        7,
        "Bad sender's mailbox address syntax",
        "RFC 3463",
        "The sender address (MAIL FROM) is not a valid address as written.",
    ),
    iana(
        1,
        8,
        "Bad sender's system address",
        "RFC 3463",
        "The sender's domain does not exist or could not receive replies, so the \
         server will not take mail from it. (Microsoft also uses 5.1.8 for an \
         account blocked for sending spam.)",
    ),
    iana(
        1,
        9,
        "Message relayed to non-compliant mailer",
        "RFC 3886",
        "The letter was passed to a system that cannot report on delivery; no \
         more news will come.",
    ),
    iana(
        1,
        10,
        "Recipient address has null MX",
        "RFC 7505, RFC 7504",
        "The recipient's domain declares that it receives no mail at all. \
         (Microsoft uses 5.1.10 for \"recipient not found\".)",
    ),
    iana(
        2,
        0,
        "Other or undefined mailbox status",
        "RFC 3463",
        "The mailbox exists, but something about it caused this.",
    ),
    iana(
        2,
        1,
        "Mailbox disabled, not accepting messages",
        "RFC 3463",
        "The mailbox exists but takes no mail, for now or for good (a disabled or \
         inactive account).",
    ),
    iana(
        2,
        2,
        "Mailbox full",
        "RFC 3463",
        "The recipient's mailbox is over its quota; the recipient has to make room.",
    ),
    iana(
        2,
        3,
        "Message length exceeds administrative limit",
        "RFC 3463",
        "The letter is larger than this mailbox accepts.",
    ),
    iana(
        2,
        4,
        "Mailing list expansion problem",
        "RFC 3463",
        "The address is a mailing list that could not be expanded into its members.",
    ),
    extra(
        2,
        252,
        "SendAsDenied",
        MICROSOFT,
        "The logged-in account may not send as the address in the letter.",
    ),
    iana(
        3,
        0,
        "Other or undefined mail system status",
        "RFC 3463",
        "Something about the receiving mail system caused this, with no more detail.",
    ),
    iana(
        3,
        1,
        "Mail system full",
        "RFC 3463",
        "The receiving server is out of storage; only its administrator can fix it.",
    ),
    iana(
        3,
        2,
        "System not accepting network messages",
        "RFC 3463, RFC 7504",
        "The server takes no mail: it is shutting down, overloaded, in \
         maintenance, or never receives mail.",
    ),
    iana(
        3,
        3,
        "System not capable of selected features",
        "RFC 3463",
        "The letter asks for features the destination does not support.",
    ),
    iana(
        3,
        4,
        "Message too big for system",
        "RFC 3463",
        "The letter is larger than the server's size limit for any letter.",
    ),
    iana(
        3,
        5,
        "System incorrectly configured",
        "RFC 3463",
        "The receiving system is misconfigured; its administrator must fix it.",
    ),
    iana(
        3,
        6,
        "Requested priority was changed",
        "RFC 6710",
        "The letter was accepted, but not with the priority asked for (MT-PRIORITY).",
    ),
    iana(
        4,
        0,
        "Other or undefined network or routing status",
        "RFC 3463",
        "A network or routing problem with no more detail.",
    ),
    iana(
        4,
        1,
        "No answer from host",
        "RFC 3463",
        "The next server did not answer the connection.",
    ),
    iana(
        4,
        2,
        "Bad connection",
        "RFC 3463",
        "The connection to the next server broke or timed out before the \
         transaction finished.",
    ),
    iana(
        4,
        3,
        "Directory server failure",
        "RFC 3463",
        "A lookup service (usually DNS) failed, so the server could not decide \
         where the letter goes.",
    ),
    iana(
        4,
        4,
        "Unable to route",
        "RFC 3463",
        "No route to the destination could be found, e.g. the domain has no mail \
         servers in DNS.",
    ),
    iana(
        4,
        5,
        "Mail system congestion",
        "RFC 3463",
        "The mail system is congested. (Gmail also uses 5.4.5 for a sending \
         quota that is used up.)",
    ),
    iana(
        4,
        6,
        "Routing loop detected",
        "RFC 3463",
        "The letter went round in a loop between servers, often because of a \
         forwarding rule.",
    ),
    iana(
        4,
        7,
        "Delivery time expired",
        "RFC 3463",
        "The letter waited in a queue too long and was given up.",
    ),
    iana(
        5,
        0,
        "Other or undefined protocol status",
        "RFC 3463",
        "Something was wrong in the SMTP conversation, with no more detail.",
    ),
    iana(
        5,
        1,
        "Invalid command",
        "RFC 3463",
        "A command was unknown or came at the wrong point in the session.",
    ),
    iana(
        5,
        2,
        "Syntax error",
        "RFC 3463",
        "A command could not be parsed.",
    ),
    iana(
        5,
        3,
        "Too many recipients",
        "RFC 3463",
        "The letter has more recipients than the server accepts at once.",
    ),
    iana(
        5,
        4,
        "Invalid command arguments",
        "RFC 3463",
        "A command is fine, but its arguments are not (e.g. a bad EHLO name).",
    ),
    iana(
        5,
        5,
        "Wrong protocol version",
        "RFC 3463",
        "The two sides could not agree on a protocol version.",
    ),
    iana(
        5,
        6,
        "Authentication Exchange line is too long",
        "RFC 4954",
        "A line of the AUTH exchange was longer than the server accepts \
         (e.g. a very long token).",
    ),
    iana(
        6,
        0,
        "Other or undefined media error",
        "RFC 3463",
        "Something about the content made the letter undeliverable.",
    ),
    iana(
        6,
        1,
        "Media not supported",
        "RFC 3463",
        "The letter's media type is not supported on the way.",
    ),
    iana(
        6,
        2,
        "Conversion required and prohibited",
        "RFC 3463",
        "The content would need converting, but conversion is not allowed.",
    ),
    iana(
        6,
        3,
        "Conversion required but not supported",
        "RFC 3463",
        "The content would need converting (e.g. 8-bit to 7-bit) and the server \
         cannot do it.",
    ),
    iana(
        6,
        4,
        "Conversion with loss performed",
        "RFC 3463",
        "The letter was delivered, but a conversion lost some of it.",
    ),
    iana(
        6,
        5,
        "Conversion Failed",
        "RFC 3463",
        "A needed conversion of the content failed.",
    ),
    iana(
        6,
        6,
        "Message content not available",
        "RFC 4468",
        "Content to be fetched from elsewhere (BURL) could not be fetched.",
    ),
    iana(
        6,
        7,
        "Non-ASCII addresses not permitted for that sender/recipient",
        "RFC 6531",
        "An address has non-ASCII characters, and this server does not allow \
         them (no SMTPUTF8).",
    ),
    iana(
        6,
        8,
        "UTF-8 string reply is required, but not permitted by the SMTP client",
        "RFC 6531",
        "The server's answer would need UTF-8, but the client did not say it \
         accepts that.",
    ),
    iana(
        6,
        9,
        "UTF-8 header message cannot be transferred to one or more recipients, so the message must be rejected",
        "RFC 6531",
        "The letter has UTF-8 headers that cannot be passed on to some recipient.",
    ),
    DetailInfo {
        subject: 6,
        detail: 10,
        title: "",
        meaning: "Registered by mistake as a duplicate of X.6.8 and deprecated; \
                  read it as X.6.8.",
        reference: "RFC 6531",
        origin: Origin::Deprecated,
    },
    iana(
        7,
        0,
        "Other or undefined security status",
        "RFC 3463",
        "A security or policy reason, unspecified, sometimes on purpose. With \
         530 it commonly means a login (or TLS) is required.",
    ),
    iana(
        7,
        1,
        "Delivery not authorized, message refused",
        "RFC 3463",
        "Refused on policy: this sender, login or network may not send this \
         letter here (relaying, sender checks, spam filters, block lists).",
    ),
    iana(
        7,
        2,
        "Mailing list expansion prohibited",
        "RFC 3463",
        "The sender may not send to this mailing list.",
    ),
    iana(
        7,
        3,
        "Security conversion required but not possible",
        "RFC 3463",
        "A conversion between secure-mail formats was needed and not possible. \
         (Microsoft 365 uses 535 5.7.3 for a failed login.)",
    ),
    iana(
        7,
        4,
        "Security features not supported",
        "RFC 3463",
        "The letter or the command asks for a security feature (such as an AUTH \
         mechanism) that is not supported.",
    ),
    iana(
        7,
        5,
        "Cryptographic failure",
        "RFC 3463",
        "A key or certificate needed to check or decrypt the letter was missing \
         or invalid.",
    ),
    iana(
        7,
        6,
        "Cryptographic algorithm not supported",
        "RFC 3463",
        "The letter uses a cryptographic algorithm the system does not support.",
    ),
    iana(
        7,
        7,
        "Message integrity failure",
        "RFC 3463",
        "The letter was found corrupted or altered on the way.",
    ),
    iana(
        7,
        8,
        "Authentication credentials invalid",
        "RFC 4954",
        "The login failed: wrong user name, password or token.",
    ),
    iana(
        7,
        9,
        "Authentication mechanism is too weak",
        "RFC 4954",
        "The server wants a stronger login mechanism for this account. (Gmail \
         uses 534 5.7.9 for \"application-specific password required\".)",
    ),
    iana(
        7,
        10,
        "Encryption Needed",
        "RFC 5248",
        "An encrypted connection (TLS) is needed before this login mechanism \
         may be used.",
    ),
    iana(
        7,
        11,
        "Encryption required for requested authentication mechanism",
        "RFC 4954",
        "This login mechanism is only allowed over TLS.",
    ),
    iana(
        7,
        12,
        "A password transition is needed",
        "RFC 4954",
        "Log in once with PLAIN so the server can convert the stored password.",
    ),
    iana(
        7,
        13,
        "User Account Disabled",
        "RFC 5248",
        "The login was right but the account is disabled; only its provider or \
         administrator can re-enable it.",
    ),
    iana(
        7,
        14,
        "Trust relationship required",
        "RFC 5248",
        "The server needs a configured trust with another server to fetch the \
         content. (Gmail uses 534 5.7.14 for \"please log in via your web \
         browser\".)",
    ),
    iana(
        7,
        15,
        "Priority Level is too low",
        "RFC 6710",
        "The server takes only higher-priority mail right now (MT-PRIORITY).",
    ),
    iana(
        7,
        16,
        "Message is too big for the specified priority",
        "RFC 6710",
        "At this priority the server takes only smaller letters.",
    ),
    iana(
        7,
        17,
        "Mailbox owner has changed",
        "RFC 7293",
        "The recipient address has changed hands since the date the sender gave \
         (RRVS); the letter is not delivered to the new owner.",
    ),
    iana(
        7,
        18,
        "Domain owner has changed",
        "RFC 7293",
        "The recipient's domain has changed hands since the date the sender gave \
         (RRVS).",
    ),
    iana(
        7,
        19,
        "RRVS test cannot be completed",
        "RFC 7293",
        "The server cannot tell whether the mailbox changed hands (RRVS); the \
         sender may resend without that check.",
    ),
    iana(
        7,
        20,
        "No passing DKIM signature found",
        "RFC 7372, RFC 6376",
        "The letter carries no DKIM signature that checks out.",
    ),
    iana(
        7,
        21,
        "No acceptable DKIM signature found",
        "RFC 7372, RFC 6376",
        "Some DKIM signature checks out, but none that this server accepts.",
    ),
    iana(
        7,
        22,
        "No valid author-matched DKIM signature found",
        "RFC 7372, RFC 6376",
        "No valid DKIM signature belongs to the domain in the From header.",
    ),
    iana(
        7,
        23,
        "SPF validation failed",
        "RFC 7372, RFC 7208",
        "The sender domain's SPF record does not allow the sending server's IP \
         address.",
    ),
    iana(
        7,
        24,
        "SPF validation error",
        "RFC 7372, RFC 7208",
        "Checking SPF failed with an error (a broken or unreachable SPF record).",
    ),
    iana(
        7,
        25,
        "Reverse DNS validation failed",
        "RFC 7372",
        "The sending IP address has no matching reverse DNS (PTR) name.",
    ),
    iana(
        7,
        26,
        "Multiple authentication checks failed",
        "RFC 7372",
        "Several sender-authentication checks (SPF, DKIM, DMARC) failed. Gmail \
         uses it for unauthenticated mail and DMARC rejections.",
    ),
    iana(
        7,
        27,
        "Sender address has null MX",
        "RFC 7505",
        "The sender's domain declares that it receives no mail, so replies \
         could not reach it. (Gmail uses 5.7.27 for mail without SPF.)",
    ),
    iana(
        7,
        28,
        "Mail flood detected",
        "draft-levine-mailbomb-header",
        "The letter looks like part of a flood of similar unwanted mail; Gmail \
         and others use it for rate limits on suspicious traffic.",
    ),
    iana(
        7,
        29,
        "ARC validation failure",
        "RFC 8617",
        "The letter's ARC chain (authentication results kept across forwarding) \
         did not validate.",
    ),
    iana(
        7,
        30,
        "REQUIRETLS support required",
        "RFC 8689",
        "The letter demands TLS on every hop (REQUIRETLS), and the next server \
         cannot promise it. (Gmail uses 5.7.30 for mail without DKIM.)",
    ),
    extra(
        7,
        32,
        "From header not aligned with SPF or DKIM",
        GOOGLE,
        "The domain in the From header matches neither the SPF-checked nor the \
         DKIM-signing domain, so Gmail rate-limits or refuses the letter.",
    ),
    extra(
        7,
        57,
        "Client not authenticated to send mail",
        MICROSOFT,
        "The client tried to send without logging in; Microsoft 365 requires a \
         login (SMTP AUTH or OAuth2) on its submission servers.",
    ),
    extra(
        7,
        60,
        "Client does not have permissions to send as this sender",
        MICROSOFT,
        "The logged-in account may not use this sender address.",
    ),
    extra(
        7,
        64,
        "TenantAttribution; Relay Access Denied",
        MICROSOFT,
        "Microsoft 365 could not tie the connection to an organisation that may \
         relay through it.",
    ),
    extra(
        7,
        139,
        "Authentication unsuccessful",
        MICROSOFT,
        "The login was refused by account or organisation policy: SMTP AUTH \
         turned off, basic authentication disabled, or security defaults on.",
    ),
    extra(
        7,
        501,
        "Access denied, spam abuse detected",
        MICROSOFT,
        "The account is blocked from sending because it sent spam or looked \
         compromised.",
    ),
    extra(
        7,
        509,
        "Access denied, sending domain does not pass DMARC verification",
        MICROSOFT,
        "The From domain has a DMARC reject policy and this letter failed it.",
    ),
    extra(
        7,
        515,
        "Access denied, sending domain doesn't meet the required authentication level",
        MICROSOFT,
        "Outlook.com requires SPF, DKIM and DMARC from bulk senders; this \
         letter's domain lacks them.",
    ),
    extra(
        7,
        708,
        "Access denied, traffic not accepted from this IP",
        MICROSOFT,
        "The sending IP address has a poor reputation with Microsoft.",
    ),
];
