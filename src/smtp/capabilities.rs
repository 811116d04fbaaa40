//! What the server offers, read from its EHLO reply (RFC 5321 §4.1.1.1).

use std::fmt;

use super::reply::Reply;

/// An AUTH mechanism the client can speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// RFC 4616: one round trip, user and password in one base64 blob.
    Plain,
    /// The de-facto LOGIN: user and password answered to two 334 prompts.
    Login,
    /// Google's XOAUTH2: the user and an `OAuth2` access token in one blob.
    XOAuth2,
    /// RFC 7628 OAUTHBEARER: the same token in a GS2 header with host and port.
    OAuthBearer,
}

impl Mechanism {
    /// Whether it carries an `OAuth2` access token rather than a password.
    pub fn is_oauth(self) -> bool {
        matches!(self, Mechanism::XOAuth2 | Mechanism::OAuthBearer)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        })
    }
}

/// SASL mechanism names shown even from a withheld AUTH line: the same for
/// every password, so showing them gives nothing away.
const KNOWN_MECHANISMS: [&str; 12] = [
    "PLAIN",
    "LOGIN",
    "CRAM-MD5",
    "DIGEST-MD5",
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "XOAUTH2",
    "OAUTHBEARER",
    "GSSAPI",
    "NTLM",
    "ANONYMOUS",
    "EXTERNAL",
];

/// The extensions of one EHLO reply. Built anew after STARTTLS, because the
/// old list was sent in the clear and may have been tampered with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The server's name from the first EHLO line (or the HELO reply).
    pub server_name: String,
    /// False when the session fell back to HELO: no extensions at all.
    pub esmtp: bool,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// AUTH mechanism names as offered, upper-cased (RFC 4954).
    pub auth: Vec<String>,
    /// SIZE (RFC 1870): `Some(0)` means "no fixed limit".
    pub size: Option<u64>,
    /// 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034).
    pub enhanced_status_codes: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// CHUNKING (RFC 3030); shown, not used.
    pub chunking: bool,
    /// Every other keyword line, as sent.
    pub other: Vec<String>,
}

impl Capabilities {
    /// Reads an EHLO reply. Keywords are case-insensitive; unknown ones are
    /// kept in [`Capabilities::other`] for display.
    ///
    /// A line whose text was withheld (it held the password) still counts
    /// for what it offers, read from [`Reply::parsed_lines`]; what is kept
    /// for display comes from the shown lines, and its AUTH mechanisms are
    /// taken only from a fixed list of known names, so nothing the server
    /// wrote on that line is shown.
    pub fn from_ehlo(reply: &Reply) -> Capabilities {
        let shown = reply.lines();
        let parsed = reply.parsed_lines();
        let withheld = |i: usize| shown.get(i) != parsed.get(i);
        let server_name = match shown.first() {
            Some(first) if withheld(0) => first.clone(),
            Some(first) => first
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned(),
            None => String::new(),
        };
        let mut caps = Capabilities {
            server_name,
            esmtp: true,
            ..Capabilities::default()
        };
        for (i, line) in parsed.iter().enumerate().skip(1) {
            let mut words = line.split_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            let keyword = keyword.to_ascii_uppercase();
            match keyword.as_str() {
                "STARTTLS" => caps.starttls = true,
                // "AUTH=LOGIN PLAIN" is the pre-RFC 4954 spelling some servers still send.
                "AUTH" | "AUTH=LOGIN" | "AUTH=PLAIN" => {
                    let first = keyword.strip_prefix("AUTH=").map(str::to_owned);
                    // A mechanism name is [A-Z0-9-_] (RFC 4954): upper-cased;
                    // anything else is server text, escaped already, and
                    // upper-casing would change its escapes (`\x1b`).
                    let name = |w: &str| {
                        if w.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                        {
                            w.to_ascii_uppercase()
                        } else {
                            w.to_owned()
                        }
                    };
                    for mech in first.into_iter().chain(words.map(name)) {
                        let known = KNOWN_MECHANISMS.contains(&mech.as_str());
                        if (known || !withheld(i)) && !caps.auth.contains(&mech) {
                            caps.auth.push(mech);
                        }
                    }
                }
                "SIZE" => {
                    caps.size = Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0));
                }
                "8BITMIME" => caps.eight_bit_mime = true,
                "SMTPUTF8" => caps.smtputf8 = true,
                "PIPELINING" => caps.pipelining = true,
                "ENHANCEDSTATUSCODES" => caps.enhanced_status_codes = true,
                "DSN" => caps.dsn = true,
                "CHUNKING" => caps.chunking = true,
                _ => caps.other.push(shown.get(i).unwrap_or(line).clone()),
            }
        }
        caps
    }

    /// Capabilities of a server that only answered HELO.
    pub fn from_helo(reply: &Reply) -> Capabilities {
        let server_name = reply
            .lines()
            .first()
            .and_then(|first| first.split_whitespace().next())
            .unwrap_or_default()
            .to_owned();
        Capabilities {
            server_name,
            ..Capabilities::default()
        }
    }

    /// Whether the server offers this AUTH mechanism.
    pub fn offers(&self, mechanism: Mechanism) -> bool {
        self.auth.iter().any(|m| *m == mechanism.to_string())
    }

    /// The fixed SIZE limit, if the server announced one.
    pub fn size_limit(&self) -> Option<u64> {
        self.size.filter(|&n| n > 0)
    }

    /// One line per capability, for `smtpwire check` and the UI:
    /// `STARTTLS`, `AUTH PLAIN LOGIN`, `SIZE 10240000 (9.8 MiB)`, …
    pub fn summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.esmtp {
            out.push("(HELO only: no ESMTP extensions)".to_owned());
            return out;
        }
        let flags = [
            (self.starttls, "STARTTLS"),
            (self.pipelining, "PIPELINING"),
            (self.eight_bit_mime, "8BITMIME"),
            (self.smtputf8, "SMTPUTF8"),
            (self.enhanced_status_codes, "ENHANCEDSTATUSCODES"),
            (self.dsn, "DSN"),
            (self.chunking, "CHUNKING"),
        ];
        if !self.auth.is_empty() {
            out.push(format!("AUTH {}", self.auth.join(" ")));
        }
        match self.size {
            Some(0) => out.push("SIZE (no fixed limit)".to_owned()),
            Some(n) => out.push(format!("SIZE {n} ({})", human_size(n))),
            None => {}
        }
        out.extend(
            flags
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, name)| (*name).to_owned()),
        );
        out.extend(self.other.iter().cloned());
        out
    }
}

/// `10240000` → `9.8 MiB`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::reply::parse;

    fn caps(wire: &str) -> Capabilities {
        let wire = wire.replace('\n', "\r\n");
        let (reply, _) = parse(wire.as_bytes()).unwrap().unwrap();
        Capabilities::from_ehlo(&reply)
    }

    #[test]
    fn postfix_submission_before_and_after_starttls() {
        let before = caps(
            "250-mail.lab.example\n250-PIPELINING\n250-SIZE 73400320\n250-ETRN\n250-STARTTLS\n\
             250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250-DSN\n250-SMTPUTF8\n250 CHUNKING\n",
        );
        assert_eq!(before.server_name, "mail.lab.example");
        assert!(before.starttls && before.pipelining && before.eight_bit_mime);
        assert!(before.smtputf8 && before.dsn && before.chunking && before.enhanced_status_codes);
        assert!(before.auth.is_empty());
        assert_eq!(before.size_limit(), Some(73_400_320));
        assert_eq!(before.other, ["ETRN"]);

        let after = caps(
            "250-mail.lab.example\n250-PIPELINING\n250-SIZE 73400320\n250-ETRN\n\
             250-AUTH PLAIN LOGIN\n250-AUTH=PLAIN LOGIN\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n\
             250-DSN\n250-SMTPUTF8\n250 CHUNKING\n",
        );
        assert!(!after.starttls);
        assert_eq!(after.auth, ["PLAIN", "LOGIN"]);
        assert!(after.offers(Mechanism::Plain) && after.offers(Mechanism::Login));
    }

    #[test]
    fn real_world_ehlo_replies() {
        // Gmail's submission port, before STARTTLS.
        let gmail = caps(
            "250-smtp.gmail.com at your service, [192.0.2.1]\n250-SIZE 35882577\n250-8BITMIME\n\
             250-STARTTLS\n250-ENHANCEDSTATUSCODES\n250-PIPELINING\n250-CHUNKING\n250 SMTPUTF8\n",
        );
        assert_eq!(gmail.server_name, "smtp.gmail.com");
        assert_eq!(gmail.size_limit(), Some(35_882_577));
        assert!(gmail.starttls && gmail.smtputf8);

        // Exim with lower-case keywords and an old-style AUTH= line, SIZE without a number.
        let exim = caps("250-mx.example.net Hello\n250-size\n250-auth=login cram-md5\n250 help\n");
        assert_eq!(exim.size, Some(0));
        assert_eq!(exim.size_limit(), None);
        assert_eq!(exim.auth, ["LOGIN", "CRAM-MD5"]);
        assert!(exim.offers(Mechanism::Login) && !exim.offers(Mechanism::Plain));
        assert_eq!(exim.other, ["help"]);

        // A bare "250 name" EHLO reply: ESMTP with nothing offered.
        let bare = caps("250 tiny.example\n");
        assert!(bare.esmtp && !bare.starttls && bare.auth.is_empty());
    }

    /// Server text on the AUTH line, escaped as it was read, keeps its
    /// escapes: only mechanism names are upper-cased.
    #[test]
    fn escaped_text_on_the_auth_line_is_not_upper_cased() {
        let c = caps("250-mx\n250 AUTH plain \x1b]52;c;SGVsbG8=\x07 \u{202e}x\n");
        assert_eq!(c.auth[0], "PLAIN");
        let shown = c.summary().join(" ");
        assert!(shown.contains("\\x1b]52;c;SGVsbG8=\\x07"), "{shown}");
        assert!(shown.contains("\\u{202e}x"), "{shown}");
        assert!(!shown.contains("\\X1B"), "{shown}");
    }

    #[test]
    fn summary_lists_what_is_offered() {
        let c = caps("250-mx\n250-AUTH PLAIN\n250-SIZE 10240000\n250-STARTTLS\n250 X-FOO bar\n");
        assert_eq!(
            c.summary(),
            [
                "AUTH PLAIN",
                "SIZE 10240000 (9.8 MiB)",
                "STARTTLS",
                "X-FOO bar"
            ]
        );
        let (helo, _) = parse(b"250 old.example\r\n").unwrap().unwrap();
        let h = Capabilities::from_helo(&helo);
        assert!(!h.esmtp);
        assert_eq!(h.summary(), ["(HELO only: no ESMTP extensions)"]);
    }

    #[test]
    fn withheld_lines_still_offer_what_they_offer() {
        let (reply, _) = parse(
            b"250-mail.example.org\r\n250-AUTH PLAIN LOGIN X-mail\r\n250-X-MAIL-ECHO\r\n250 STARTTLS\r\n",
        )
        .unwrap()
        .unwrap();
        // As the transcript does for the password "mail".
        let shown = reply.withhold_lines(&[true, true, true, false], "<withheld>");
        let c = Capabilities::from_ehlo(&shown);
        assert_eq!(c.server_name, "<withheld>");
        assert_eq!(c.auth, ["PLAIN", "LOGIN"]);
        assert!(c.starttls);
        assert_eq!(c.other, ["<withheld>"]);
    }

    #[test]
    fn human_sizes() {
        for (n, text) in [
            (0, "0 bytes"),
            (1023, "1023 bytes"),
            (1536, "1.5 KiB"),
            (20 << 20, "20.0 MiB"),
        ] {
            assert_eq!(human_size(n), text);
        }
    }
}
