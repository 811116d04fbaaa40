//! The reply codes (RFC 5321 §4.2.3 and the RFCs that added codes), sorted
//! by code for `binary_search`. Titles follow the RFC text; meanings are
//! ours.

use super::{CodeInfo, Origin};

const fn code(
    code: u16,
    title: &'static str,
    reference: &'static str,
    meaning: &'static str,
) -> CodeInfo {
    CodeInfo {
        code,
        title,
        meaning,
        reference,
        origin: Origin::Standard,
    }
}

const fn extra(
    code: u16,
    title: &'static str,
    note: &'static str,
    meaning: &'static str,
) -> CodeInfo {
    CodeInfo {
        code,
        title,
        meaning,
        reference: "",
        origin: Origin::Extra(note),
    }
}

pub(super) static REPLY_CODES: &[CodeInfo] = &[
    code(
        211,
        "System status, or system help reply",
        "RFC 5321",
        "An informational answer to a status or HELP request; nothing went wrong.",
    ),
    code(
        214,
        "Help message",
        "RFC 5321",
        "The answer to HELP: text meant for a person reading the session.",
    ),
    code(
        220,
        "Service ready",
        "RFC 5321",
        "The server's greeting: it is ready for EHLO. After STARTTLS the same \
         code means \"go ahead with the TLS handshake\" (RFC 3207).",
    ),
    code(
        221,
        "Service closing transmission channel",
        "RFC 5321",
        "The answer to QUIT: the server says goodbye and closes the connection.",
    ),
    code(
        235,
        "Authentication succeeded",
        "RFC 4954",
        "The login (AUTH) worked; the session may now send mail as this user.",
    ),
    code(
        250,
        "Requested mail action okay, completed",
        "RFC 5321",
        "The command worked. After the final dot of DATA it means the server \
         has taken responsibility for the letter.",
    ),
    code(
        251,
        "User not local; will forward",
        "RFC 5321",
        "The recipient is accepted, but the mailbox lives elsewhere; this server \
         will pass the letter on.",
    ),
    code(
        252,
        "Cannot VRFY user, but will accept message and attempt delivery",
        "RFC 5321",
        "The server will not confirm whether an address exists (most do not, to \
         stop address harvesting), but it will try to deliver to it.",
    ),
    code(
        253,
        "OK, pending messages for node started",
        "RFC 1985",
        "The answer to ETRN: the server starts sending the mail it holds for the \
         named domain.",
    ),
    code(
        334,
        "Server challenge",
        "RFC 4954",
        "A step in the AUTH exchange: the server asks for the next piece of the \
         login (often base64 for \"Username:\" or \"Password:\").",
    ),
    code(
        354,
        "Start mail input; end with <CRLF>.<CRLF>",
        "RFC 5321",
        "The answer to DATA: send the letter now, ending with a line holding a \
         single dot.",
    ),
    code(
        421,
        "Service not available, closing transmission channel",
        "RFC 5321",
        "The server is closing the session now: it is shutting down, overloaded, \
         or limiting this client. Temporary: a later attempt may work.",
    ),
    code(
        432,
        "A password transition is needed",
        "RFC 4954",
        "The server needs one login with the PLAIN mechanism to convert the stored \
         password before the chosen mechanism can work.",
    ),
    code(
        450,
        "Requested mail action not taken: mailbox unavailable",
        "RFC 5321",
        "Temporary refusal for this address or letter: the mailbox is busy or \
         blocked for now, often by greylisting or a policy check. Try later.",
    ),
    code(
        451,
        "Requested action aborted: local error in processing",
        "RFC 5321",
        "Temporary error on the server's side (a failed lookup, a filter, \
         greylisting). The command may work when repeated later.",
    ),
    code(
        452,
        "Requested action not taken: insufficient system storage",
        "RFC 5321",
        "Temporary: the server is short of space, or (with 4.5.3) this letter has \
         more recipients than it takes at once.",
    ),
    code(
        454,
        "Temporary authentication failure",
        "RFC 4954",
        "The login could not be checked right now (the server's password service \
         failed). In answer to STARTTLS it means TLS is not available for a \
         temporary reason (RFC 3207). Try later.",
    ),
    code(
        455,
        "Server unable to accommodate parameters",
        "RFC 5321",
        "Temporary: the server cannot handle a parameter given with MAIL FROM or \
         RCPT TO right now.",
    ),
    code(
        458,
        "Unable to queue messages for node",
        "RFC 1985",
        "The answer to ETRN: the server cannot start sending the mail it holds for \
         that domain right now.",
    ),
    code(
        459,
        "Node not allowed",
        "RFC 1985",
        "The answer to ETRN: this client may not ask for that domain's mail.",
    ),
    code(
        500,
        "Syntax error, command unrecognized",
        "RFC 5321",
        "The server did not understand the command at all, or the line was too \
         long. During AUTH it means the login line was too long (RFC 4954).",
    ),
    code(
        501,
        "Syntax error in parameters or arguments",
        "RFC 5321",
        "The command is known, but what follows it is malformed: a bad address, \
         an empty EHLO name, or parameters where none are allowed.",
    ),
    code(
        502,
        "Command not implemented",
        "RFC 5321",
        "The server knows the command but does not offer it here.",
    ),
    code(
        503,
        "Bad sequence of commands",
        "RFC 5321",
        "The command came at the wrong point in the session, e.g. MAIL before \
         EHLO, DATA before RCPT, or mail before a login the server insists on.",
    ),
    code(
        504,
        "Command parameter not implemented",
        "RFC 5321",
        "The server does not support the parameter given, e.g. an AUTH mechanism \
         it does not know.",
    ),
    code(
        521,
        "Host does not accept mail",
        "RFC 7504",
        "This host never accepts mail, from anyone. It is the wrong server to \
         send to.",
    ),
    extra(
        523,
        "Encryption needed",
        "the IANA registry (RFC 5248) names it for X.7.10, no RFC defines it",
        "The server wants an encrypted connection (or a stronger login mechanism) \
         before it goes on. Gmail also uses it for commands pipelined after \
         STARTTLS.",
    ),
    extra(
        525,
        "User account disabled",
        "the IANA registry (RFC 5248) names it for X.7.13, no RFC defines it",
        "The login was right, but the account is disabled. A new password will \
         not help; the provider or administrator must re-enable the account.",
    ),
    code(
        530,
        "Authentication required",
        "RFC 4954",
        "The server wants something first: a login (AUTH) before it accepts mail, \
         or, with a text about STARTTLS, an encrypted connection (RFC 3207).",
    ),
    code(
        534,
        "Authentication mechanism is too weak",
        "RFC 4954",
        "The server refuses this login method for this account. Gmail also sends \
         534 when it wants an app password or a sign-in through the browser.",
    ),
    code(
        535,
        "Authentication credentials invalid",
        "RFC 4954",
        "The login failed: the user name, the password or the token was not \
         accepted, or the account may not log in this way.",
    ),
    code(
        538,
        "Encryption required for requested authentication mechanism",
        "RFC 4954",
        "This login method is only allowed over an encrypted connection.",
    ),
    code(
        550,
        "Requested action not taken: mailbox unavailable",
        "RFC 5321",
        "A permanent refusal. For RCPT TO it usually means no such mailbox; it is \
         also the common code for policy refusals (relaying, spam, sender checks).",
    ),
    code(
        551,
        "User not local; please try <forward-path>",
        "RFC 5321",
        "The recipient is not handled here; the server names where to send \
         instead and will not forward itself.",
    ),
    code(
        552,
        "Requested mail action aborted: exceeded storage allocation",
        "RFC 5321",
        "The letter is too large for the server or the mailbox, or the mailbox \
         is full.",
    ),
    code(
        553,
        "Requested action not taken: mailbox name not allowed",
        "RFC 5321",
        "The address is refused as written: bad syntax, or (very often for MAIL \
         FROM) a sender address this login may not use.",
    ),
    code(
        554,
        "Transaction failed",
        "RFC 5321",
        "The transaction failed for good, commonly after the final dot when a \
         filter rejects the letter. As a greeting it means \"no SMTP service \
         here\".",
    ),
    code(
        555,
        "MAIL FROM/RCPT TO parameters not recognized or not implemented",
        "RFC 5321",
        "The server rejects an extension parameter after MAIL FROM or RCPT TO, \
         such as SIZE, BODY or SMTPUTF8.",
    ),
    code(
        556,
        "Domain does not accept mail",
        "RFC 7504",
        "The recipient's domain has declared that it receives no mail at all \
         (a null MX, RFC 7505). The address cannot work.",
    ),
];
