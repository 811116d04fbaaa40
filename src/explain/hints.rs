//! The advice texts. `rules` decides which one a failure reply gets.

use super::Hint;
use crate::smtp::Advice;

const fn hint(id: &'static str, text: &'static str, detail: &'static str) -> Hint {
    Hint { id, text, detail }
}

// Advice for failures that are not (only) replies, as both front ends
// phrased it before; they now share these.

pub(super) static CHECK_LOGIN: Hint = hint("check-login", "check {user} and {password}", "");
pub(super) static CHECK_TOKEN: Hint = hint(
    "check-token",
    "the token was refused: check the token helper ({password_command}), its scope, and \
     that it is fresh; {user} must be the account the token was issued for",
    "With {auth} xoauth2 or oauthbearer the password is an OAuth2 access token, printed by \
     a helper such as oama or mutt_oauth2.py. Access tokens expire within about an hour; \
     the helper refreshes them. The server's decoded answer names the problem: status 401 \
     is an invalid or expired token, 400 a malformed request; scope is the scope the token \
     needs (https://mail.google.com/ for Gmail, \
     https://outlook.office.com/SMTP.Send for Microsoft).",
);
pub(super) static GIVE_LOGIN: Hint = hint(
    "give-login",
    "the server wants a login first: give {user} and {password}",
    "Servers that accept mail from their own users (submission, usually \
     {port} 587 or 465) ask for a login before MAIL FROM or RCPT TO.",
);
pub(super) static USE_STARTTLS: Hint = hint(
    "use-starttls",
    "the server requires TLS first: set {security} to starttls",
    "",
);
pub(super) static USE_IMPLICIT_TLS: Hint = hint(
    "use-implicit-tls",
    "no greeting arrived: if this port speaks implicit TLS (usually 465), set {security} to tls",
    "",
);
pub(super) static USE_STARTTLS_NOT_IMPLICIT: Hint = hint(
    "use-starttls-not-implicit",
    "this port does not speak TLS from the start: set {security} to starttls (usually {port} 587)",
    "",
);
pub(super) static NO_STARTTLS: Hint = hint(
    "no-starttls",
    "set {security} to tls if the server has an implicit-TLS port (465), or to none to send \
     unencrypted knowingly",
    "",
);
pub(super) static TRUST_CA: Hint = hint(
    "trust-ca",
    "the server's certificate is not trusted: give its CA certificate with {ca_file}",
    "",
);
pub(super) static CHECK_HOST_NAME: Hint = hint(
    "check-host-name",
    "the certificate does not name this host: connect by a name it does name ({server})",
    "",
);
pub(super) static CERTIFICATE_EXPIRED: Hint = hint(
    "certificate-expired",
    "the server's certificate has expired: tell the server's administrator",
    "",
);
pub(super) static USE_TLS_FOR_AUTH: Hint = hint(
    "use-tls-for-auth",
    "set {security} to starttls or tls; {allow_insecure_auth} would send the password readable",
    "",
);
pub(super) static OTHER_MECHANISM: Hint = hint(
    "other-mechanism",
    "pick a mechanism the server offers with {auth} (auto, login, plain, or xoauth2 or \
     oauthbearer with a token)",
    "",
);
pub(super) static CHECK_SERVER: Hint = hint(
    "check-server",
    "check {server} and {port}, that the server runs, and that no firewall is in the way",
    "",
);
pub(super) static RAISE_TIMEOUT: Hint = hint(
    "raise-timeout",
    "the server is slow or gone: try again, or raise {timeout}",
    "",
);
pub(super) static MAY_BE_DELIVERED: Hint = hint(
    "may-be-delivered",
    "the letter may already have been delivered; check before sending it again \
     (smtpwire never retries after the final dot)",
    "",
);
pub(super) static TRY_LATER: Hint = hint("try-later", "a temporary failure: try again later", "");

/// The hint for an [`Advice`].
pub(super) fn advice(a: Advice) -> &'static Hint {
    match a {
        Advice::CheckLogin => &CHECK_LOGIN,
        Advice::CheckToken => &CHECK_TOKEN,
        Advice::GiveLogin => &GIVE_LOGIN,
        Advice::UseStartTls => &USE_STARTTLS,
        Advice::UseImplicitTls => &USE_IMPLICIT_TLS,
        Advice::UseStartTlsNotImplicit => &USE_STARTTLS_NOT_IMPLICIT,
        Advice::NoStartTls => &NO_STARTTLS,
        Advice::TrustCa => &TRUST_CA,
        Advice::CheckHostName => &CHECK_HOST_NAME,
        Advice::CertificateExpired => &CERTIFICATE_EXPIRED,
        Advice::UseTlsForAuth => &USE_TLS_FOR_AUTH,
        Advice::OtherMechanism => &OTHER_MECHANISM,
        Advice::CheckServer => &CHECK_SERVER,
        Advice::RaiseTimeout => &RAISE_TIMEOUT,
        Advice::MayBeDelivered => &MAY_BE_DELIVERED,
        Advice::TryLater => &TRY_LATER,
    }
}

// Logins.

pub(super) static APP_PASSWORD: Hint = hint(
    "app-password",
    "the account wants an app password: create one in the provider's account security \
     settings and give it as {password}",
    "Gmail, Yahoo, iCloud, Mail.ru and Yandex refuse the password you sign in with when a \
     mail program logs in (always, or once two-step verification is on). An app password \
     is made for one program; type it without the spaces some providers show between its \
     groups. Where the provider offers OAuth2, set {auth} to xoauth2 and let \
     {password_command} print a fresh access token instead.",
);
pub(super) static WEB_LOGIN: Hint = hint(
    "web-login",
    "the provider held this sign-in as suspicious: sign in once in a web browser (confirm \
     it was you), then try again, or use an app password as {password}",
    "Gmail answers 534 5.7.14 when a login comes from a new place or program; the link in \
     its reply leads to the sign-in page.",
);
pub(super) static CLIENT_ACCESS_OFF: Hint = hint(
    "client-access-off",
    "the account may not be used from mail programs yet: allow access by mail clients in \
     the provider's web settings, then give an app password as {password}",
    "Yandex turns this off by default (Settings, Mail clients); its error reads \"This user \
     does not have access rights to this service\".",
);
pub(super) static SMTP_AUTH_DISABLED: Hint = hint(
    "smtp-auth-disabled",
    "the organisation has turned off logins over SMTP (SMTP AUTH): ask its admin to enable \
     Authenticated SMTP for this mailbox, or set {auth} to xoauth2 with a token from \
     {password_command}",
    "Microsoft 365 checks three switches: security defaults, the tenant-wide SMTP AUTH \
     setting and the mailbox's own \"Authenticated SMTP\". Any one of them refuses the \
     login with 535 5.7.139.",
);
pub(super) static BASIC_AUTH_DISABLED: Hint = hint(
    "basic-auth-disabled",
    "the provider no longer accepts passwords over SMTP: set {auth} to xoauth2 and have \
     {password_command} print an OAuth2 access token",
    "Microsoft has switched off basic authentication (user name and password, app \
     passwords too) for Outlook.com and many Microsoft 365 accounts. A token helper such as \
     mutt_oauth2.py or oama fetches and refreshes the token; smtpwire sends it with the \
     XOAUTH2 mechanism.",
);
pub(super) static MICROSOFT_LOGIN: Hint = hint(
    "microsoft-login",
    "Microsoft refused the login: check {user} (the full address) and {password}; if they \
     are right, Authenticated SMTP may be off for this mailbox, or the account may need \
     OAuth2 ({auth} xoauth2)",
    "",
);
pub(super) static AUTH_THROTTLED: Hint = hint(
    "auth-throttled",
    "the server stopped taking logins after failed attempts: check {user} and {password}, \
     then wait (often 15 minutes to an hour) before trying again",
    "",
);
pub(super) static ACCOUNT_DISABLED: Hint = hint(
    "account-disabled",
    "the account is disabled or locked: sign in to the provider's web mail or ask the \
     administrator to re-enable it; another password will not help",
    "",
);
pub(super) static SENDING_BLOCKED: Hint = hint(
    "sending-blocked",
    "the provider has stopped this account from sending, usually after mail from it \
     looked like spam or a break-in: sign in to the web mail, change the password and \
     follow the provider's steps to unblock it",
    "",
);
pub(super) static PASSWORD_NOT_ACCEPTED: Hint = hint(
    "password-not-accepted",
    "check {user} (the full address) and {password}; big providers accept only an app \
     password (or OAuth2) from mail programs, not the password you sign in with",
    "Gmail answers 535 5.7.8 \"Username and Password not accepted\" both for a wrong \
     password and for the normal account password.",
);
pub(super) static PASSWORD_TRANSITION: Hint = hint(
    "password-transition",
    "log in once with PLAIN so the server can convert the stored password: set {auth} to \
     plain for one send",
    "",
);
pub(super) static TLS_UNAVAILABLE: Hint = hint(
    "tls-unavailable",
    "the server cannot start TLS right now: try again later, or use its implicit-TLS port \
     ({security} tls, {port} 465)",
    "",
);
pub(super) static AUTH_TEMPORARY: Hint = hint(
    "auth-temporary",
    "the server could not check the login right now (its login service failed): try again \
     later",
    "",
);
pub(super) static NO_AUTH_HERE: Hint = hint(
    "no-auth-here",
    "this server or port offers no login: use the provider's submission port ({port} 587 \
     with {security} starttls, or 465 with tls), or leave {user} empty if the server \
     trusts your network",
    "",
);

// Relaying and addresses.

pub(super) static USE_SUBMISSION: Hint = hint(
    "use-submission",
    "this server does not take mail straight from your network: send through your own \
     provider's submission server ({server}, {port} 587) with a login ({user})",
    "Receiving servers distrust home and office IP addresses (dynamic ranges, lists such as \
     the Spamhaus PBL). Your provider's submission server is meant for them.",
);
pub(super) static RELAY_DENIED: Hint = hint(
    "relay-denied",
    "the server will not pass mail on to other domains for you: log in with {user} and \
     {password}, or send through your own provider's server ({server})",
    "A server delivers to its own users without a login, but relays to other domains only \
     for logged-in users or trusted networks. If you did log in, this account may not \
     relay, or {server} is the recipient's mail server rather than your provider's \
     submission server.",
);
pub(super) static SENDER_NOT_OWNED: Hint = hint(
    "sender-not-owned",
    "this login may send only from its own addresses: set {envelope_from} and {from} to an \
     address of the account {user}",
    "Providers compare the envelope sender (MAIL FROM), and often the From header, with the \
     logged-in account. Use the account's address or an alias registered with the \
     provider.",
);
pub(super) static SENDER_DOMAIN: Hint = hint(
    "sender-domain",
    "the server could not verify the sender address: check {envelope_from} and {from} for \
     a typo; the domain must exist in DNS and the address must be able to receive replies",
    "",
);
pub(super) static SENDER_SYNTAX: Hint = hint(
    "sender-syntax",
    "the server did not accept the sender address as written: check {envelope_from} \
     (a plain address such as you@example.org)",
    "",
);
pub(super) static SENDER_NULL_MX: Hint = hint(
    "sender-null-mx",
    "the sender's domain says it receives no mail (null MX), so replies could not reach \
     it: use a sender address ({envelope_from}) that can receive mail",
    "",
);
pub(super) static RECIPIENT_UNKNOWN: Hint = hint(
    "recipient-unknown",
    "the receiving server has no such mailbox: check the address in {to} (spelling, an old \
     or closed account)",
    "",
);
pub(super) static RECIPIENT_SYNTAX: Hint = hint(
    "recipient-syntax",
    "an address in {to} is not a valid address: look for typos, spaces or a missing domain",
    "",
);
pub(super) static RECIPIENT_DOMAIN: Hint = hint(
    "recipient-domain",
    "a recipient's domain cannot be found or takes no mail: check the part after the @ in \
     {to}",
    "",
);
pub(super) static NULL_MX: Hint = hint(
    "null-mx",
    "the recipient's domain declares that it receives no mail at all (null MX): the \
     address in {to} cannot work",
    "",
);
pub(super) static MAILBOX_FULL: Hint = hint(
    "mailbox-full",
    "the recipient's mailbox is full: try again later or reach them another way; nothing \
     to change on your side",
    "",
);
pub(super) static MAILBOX_DISABLED: Hint = hint(
    "mailbox-disabled",
    "the recipient's mailbox is disabled or inactive: the address in {to} no longer takes \
     mail",
    "",
);
pub(super) static RECIPIENT_RATE: Hint = hint(
    "recipient-rate",
    "the recipient is receiving too much mail right now: try again later",
    "",
);
pub(super) static TOO_MANY_RECIPIENTS: Hint = hint(
    "too-many-recipients",
    "the letter has more recipients than the server takes at once: split {to} (with Cc \
     and Bcc) over several letters",
    "",
);
pub(super) static SMTPUTF8: Hint = hint(
    "smtputf8",
    "the server cannot take addresses with non-ASCII characters: use ASCII addresses in \
     {to}, {envelope_from} and {from}",
    "",
);

// Size and limits.

pub(super) static TOO_BIG: Hint = hint(
    "too-big",
    "the letter is larger than the server accepts: make it smaller (fewer or smaller \
     attachments, or a link instead)",
    "Attachments grow by about a third when encoded for mail. The limit the server \
     announces is the SIZE line of its EHLO reply in the log.",
);
pub(super) static DAILY_LIMIT: Hint = hint(
    "daily-limit",
    "this account has reached its sending limit (often per day): wait until it resets, or \
     ask the provider for a higher limit",
    "",
);
pub(super) static TOO_MANY_CONNECTIONS: Hint = hint(
    "too-many-connections",
    "too many connections from your address are open: close other programs that use this \
     server, wait a minute, then try again",
    "",
);
pub(super) static TOO_MANY_ERRORS: Hint = hint(
    "too-many-errors",
    "the server gave up on the session after earlier errors: fix the first error in the \
     log, then try again",
    "",
);
pub(super) static RATE_LIMITED: Hint = hint(
    "rate-limited",
    "the server is limiting how fast you send: wait a few minutes, then send fewer letters \
     at a time",
    "",
);
pub(super) static GREYLISTED: Hint = hint(
    "greylisted",
    "the server defers the first letter from a new sender (greylisting): send it again in \
     a few minutes",
    "Greylisting expects the sender to retry, as mail servers do. smtpwire does not queue \
     and retry by itself, so send the letter again; later tries from the same address pass.",
);

// Sender reputation and authentication.

pub(super) static HELO_NAME: Hint = hint(
    "helo-name",
    "the server refused the name smtpwire gave in EHLO: set {helo} to this computer's full \
     DNS name (host.example.org) or your address's domain",
    "Many servers insist on a fully qualified domain name there, and some check that it \
     exists in DNS.",
);
pub(super) static REVERSE_DNS: Hint = hint(
    "reverse-dns",
    "your IP address has no matching reverse DNS name, so the server distrusts it: send \
     through your provider's submission server ({server}, {port} 587, with {user})",
    "Only the owner of an IP address (your ISP or host) can set its reverse DNS (PTR) \
     record, and it must point at a name that points back at the address.",
);
pub(super) static BLOCKLISTED: Hint = hint(
    "blocklisted",
    "your IP address is on a block list: send through your provider's submission server \
     ({server}, {port} 587, with {user}); if you run the sending server, look the address \
     up at the list the reply names and ask for removal",
    "",
);
pub(super) static DMARC: Hint = hint(
    "dmarc",
    "the domain in {from} has a DMARC policy that refuses mail not sent through its own \
     servers: send through that domain's server with a login, or use a {from} address that \
     belongs to the server you send through",
    "",
);
pub(super) static SENDER_AUTH: Hint = hint(
    "sender-auth",
    "the receiving server could not verify that the sender's domain allows this letter \
     (SPF or DKIM failed): send through the mail server of the domain in {from}; if you \
     run that domain, publish SPF and DKIM for the server you send through",
    "",
);
pub(super) static SPF: Hint = hint(
    "spf",
    "the SPF record of the sender's domain ({envelope_from}) does not allow the server you \
     send through: use the domain's own mail server, or, if you run the domain, add this \
     server to its SPF record",
    "",
);
pub(super) static DKIM: Hint = hint(
    "dkim",
    "the letter has no valid DKIM signature for the domain in {from}: send it through that \
     domain's mail server, which signs for it, or set up DKIM if you run the domain",
    "",
);
pub(super) static SPAM: Hint = hint(
    "spam",
    "a filter judged the letter or the sender as spam: change what may trigger it (links, \
     attachments, wording), and send through your provider's server with a login",
    "No setting gets past a content filter. New or rarely used senders, link shorteners, \
     bare test texts and attachments are frequent triggers. The reply often links to the \
     provider's page that names the rule.",
);
pub(super) static MALFORMED_LETTER: Hint = hint(
    "malformed-letter",
    "the receiving server says the letter breaks the message format (RFC 5322), e.g. a \
     missing or bad From, Date or Message-ID header: check {from}, and report it if \
     smtpwire built the letter",
    "",
);
pub(super) static NOT_AUTHORIZED: Hint = hint(
    "not-authorized",
    "the server refused on policy: it will not take this letter from this sender, login \
     or network; the server's words say which (often a missing login ({user}), a sender \
     ({envelope_from}) the login may not use, or a recipient who takes mail only from \
     certain senders)",
    "",
);
pub(super) static REQUIRETLS: Hint = hint(
    "requiretls",
    "the letter demanded TLS on every hop (REQUIRETLS) and a server on the way cannot give \
     it: send it without that demand, or to a recipient whose servers support it",
    "",
);

// The receiving system.

pub(super) static CONVERSION: Hint = hint(
    "conversion",
    "a server on the way cannot carry this letter's encoding or media type: send plain \
     text without unusual attachments, or ask the recipient's postmaster",
    "",
);
pub(super) static MAIL_LOOP: Hint = hint(
    "mail-loop",
    "the letter went round in a loop between servers (often a forwarding rule): tell the \
     recipient's postmaster",
    "",
);
pub(super) static EXPIRED: Hint = hint(
    "expired",
    "the letter waited too long in a queue and was given up: send it again; if this \
     repeats, the recipient's servers are unreachable",
    "",
);
pub(super) static SERVER_PROBLEM: Hint = hint(
    "server-problem",
    "the server has a problem of its own (full disk, bad configuration): only its \
     administrator can fix it; try again later or use another server ({server})",
    "",
);
pub(super) static NO_SERVICE: Hint = hint(
    "no-service",
    "this host does not accept mail: check {server} and {port}; your provider's \
     submission server is usually smtp.<domain> on port 587 or 465",
    "",
);
pub(super) static BAD_SEQUENCE: Hint = hint(
    "bad-sequence",
    "the server expected another command at this point: this usually follows an earlier \
     error (see the log above), or the server wants a login first ({user})",
    "",
);
pub(super) static PARAMETER: Hint = hint(
    "parameter",
    "the server refused a parameter of MAIL FROM or RCPT TO (SIZE, BODY, SMTPUTF8) it \
     announced itself: a server bug; send the log to its administrator",
    "",
);
