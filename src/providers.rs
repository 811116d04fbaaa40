//! The built-in provider table: submission and IMAP settings for the big
//! free mail services, keyed by the domains of their addresses.
//!
//! Every entry names the help pages its facts come from, and how each page
//! was seen ([`Seen`]); `docs/providers.md` has the same table with the
//! citations, the date they were read, and where pages disagree. Where a fact
//! could not be confirmed the entry holds the conservative value.
//!
//! The table is data for hints and presets: [`for_address`] finds the entry
//! for a From address, [`describe`] is the one-line hint for the settings
//! pane and the log, and [`table`] is what `smtpwire providers` prints.

use std::fmt;

pub use self::table::PROVIDERS;
use crate::smtp::{Mechanism, Security};

mod table;

/// The day the sources below were read (UTC).
pub const READ_ON: &str = "2026-11-30";

/// The widest line [`table`] prints.
pub const TABLE_WIDTH: usize = 100;

/// A provider: who it is, which addresses it serves, and how to submit mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Provider {
    /// The name shown to the user.
    pub name: &'static str,
    /// Every address domain it serves, lower case, the main one first.
    pub domains: &'static [&'static str],
    /// The submission server.
    pub smtp: Endpoint,
    /// What the SMTP login name is.
    pub login: LoginForm,
    /// The SASL mechanisms that work with the credential in [`Self::secret`]
    /// or with `OAuth2`, in the order the provider documents them.
    pub auth: &'static [AuthMechanism],
    /// Which secret the server accepts.
    pub secret: Secret,
    /// The IMAP server, for the copy in Sent.
    pub imap: Option<Imap>,
    /// A few words for the table's last column.
    pub hint: &'static str,
    /// What the user must know, as one clause (used by [`describe`]).
    pub must_know: &'static str,
    /// Further facts, one sentence each, printed under the table.
    pub notes: &'static [&'static str],
    /// Where the facts come from: the provider's own pages.
    pub sources: &'static [Source],
}

/// A server: host, port and how the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or IP address.
    pub host: &'static str,
    /// TCP port.
    pub port: u16,
    /// Implicit TLS, STARTTLS or none.
    pub security: Security,
}

/// The IMAP side of a provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Imap {
    /// The IMAP server.
    pub server: Endpoint,
    /// What the IMAP login name is (iCloud differs from its SMTP login).
    pub login: LoginForm,
    /// The Sent folder's name, where a help page gives one; `None` means
    /// "find it by its `\Sent` SPECIAL-USE attribute (RFC 6154)".
    pub sent_folder: Option<&'static str>,
}

/// What the login name is, given the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginForm {
    /// `alice@example.org`.
    WholeAddress,
    /// `alice`.
    LocalPart,
}

impl LoginForm {
    /// The login for `address` (`alice@example.org` or `Alice <alice@example.org>`).
    pub fn apply(self, address: &str) -> String {
        let spec = addr_spec(address);
        match self {
            LoginForm::WholeAddress => spec.to_owned(),
            LoginForm::LocalPart => spec
                .rsplit_once('@')
                .map_or(spec, |(local, _)| local)
                .to_owned(),
        }
    }

    /// The table's short form.
    pub fn short(self) -> &'static str {
        match self {
            LoginForm::WholeAddress => "address",
            LoginForm::LocalPart => "local",
        }
    }
}

impl fmt::Display for LoginForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LoginForm::WholeAddress => "whole address",
            LoginForm::LocalPart => "local part",
        })
    }
}

/// A SASL mechanism a provider accepts on submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMechanism {
    /// RFC 4616.
    Plain,
    /// The de-facto LOGIN.
    Login,
    /// Google's XOAUTH2 (an `OAuth2` bearer token), also used by Microsoft and Yandex.
    XOAuth2,
    /// RFC 7628 OAUTHBEARER.
    OAuthBearer,
}

impl AuthMechanism {
    /// The engine's mechanism (every one the table lists is spoken now).
    pub fn smtp(self) -> Option<Mechanism> {
        Some(match self {
            AuthMechanism::Plain => Mechanism::Plain,
            AuthMechanism::Login => Mechanism::Login,
            AuthMechanism::XOAuth2 => Mechanism::XOAuth2,
            AuthMechanism::OAuthBearer => Mechanism::OAuthBearer,
        })
    }

    /// Whether it carries an `OAuth2` token rather than a password.
    pub fn is_oauth(self) -> bool {
        matches!(self, AuthMechanism::XOAuth2 | AuthMechanism::OAuthBearer)
    }
}

impl fmt::Display for AuthMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthMechanism::Plain => "PLAIN",
            AuthMechanism::Login => "LOGIN",
            AuthMechanism::XOAuth2 => "XOAUTH2",
            AuthMechanism::OAuthBearer => "OAUTHBEARER",
        })
    }
}

/// The secret the server takes with PLAIN or LOGIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secret {
    /// The account's normal password.
    AccountPassword,
    /// A separate password made in the account's security settings.
    AppPassword,
    /// The password the Proton Mail Bridge app shows.
    BridgePassword,
    /// No password works: only an `OAuth2` token.
    OAuth2Only,
}

/// How a source page was seen, so the doc can say how sure each fact is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// A stored copy of the page itself was read.
    Page,
    /// The page's text was read through a third party's copy or quotation.
    Quoted,
    /// Not read: Thunderbird's ISPDB or Delta Chat's provider list cites it.
    Cited,
}

/// One help page behind an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// The page.
    pub url: &'static str,
    /// How it was seen.
    pub seen: Seen,
    /// Which facts it gives.
    pub gives: &'static str,
}

impl Provider {
    /// The SMTP login for `address`.
    pub fn login_for(&self, address: &str) -> String {
        self.login.apply(address)
    }

    /// Whether PLAIN or LOGIN works, so smtpwire can log in today.
    pub fn password_works(&self) -> bool {
        self.secret != Secret::OAuth2Only && self.auth.iter().any(|m| !m.is_oauth())
    }
}

/// The entry for an address domain: case-insensitive, a trailing dot allowed.
pub fn for_domain(domain: &str) -> Option<&'static Provider> {
    let domain = domain.trim();
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.is_empty() {
        return None;
    }
    PROVIDERS
        .iter()
        .find(|p| p.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
}

/// The entry for `user@domain` or `Name <user@domain>`: the domain is what
/// follows the last `@`, without a closing `>`.
pub fn for_address(address: &str) -> Option<&'static Provider> {
    let (_, domain) = address.rsplit_once('@')?;
    for_domain(domain.trim().trim_end_matches('>'))
}

/// The bare address inside `Name <addr>`, or the trimmed input.
fn addr_spec(address: &str) -> &str {
    let address = address.trim();
    match address.rfind('<') {
        Some(open) => {
            let inner = &address[open + 1..];
            inner.split('>').next().unwrap_or(inner).trim()
        }
        None => address,
    }
}

/// One line for the settings pane and the log, e.g. `Yandex Mail:
/// smtp.yandex.com:465 tls, login = whole address; an app password is required`.
pub fn describe(p: &Provider) -> String {
    format!(
        "{}: {}:{} {}, login = {}; {}",
        p.name, p.smtp.host, p.smtp.port, p.smtp.security, p.login, p.must_know
    )
}

/// What `smtpwire providers` prints: an aligned table, one row per entry,
/// then the notes; no line is wider than [`TABLE_WIDTH`].
pub fn table() -> String {
    const DOMAINS: usize = 20;
    let header = [
        "Provider",
        "Domains",
        "SMTP",
        "Security",
        "Login",
        "Must know",
    ];
    let rows: Vec<[String; 6]> = PROVIDERS
        .iter()
        .map(|p| {
            [
                p.name.to_owned(),
                abbreviate(p.domains, DOMAINS),
                format!("{}:{}", p.smtp.host, p.smtp.port),
                p.smtp.security.to_string(),
                p.login.short().to_owned(),
                p.hint.to_owned(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    // The last column takes what is left; hints are written to fit it.
    let fixed: usize = widths[..5].iter().map(|w| w + 2).sum();
    widths[5] = TABLE_WIDTH.saturating_sub(fixed);

    let mut out = String::new();
    push_row(&mut out, &header.map(str::to_owned), &widths);
    for row in &rows {
        push_row(&mut out, row, &widths);
    }
    out.push_str("\nNotes\n");
    for p in PROVIDERS {
        out.push('\n');
        out.push_str(&format!("{} ({})", p.name, abbreviate(p.domains, 60)));
        out.push('\n');
        let mut lines = vec![format!("Must know: {}.", p.must_know)];
        lines.push(format!(
            "AUTH {}; the login is the {}.",
            mechanisms(p.auth),
            p.login
        ));
        if let Some(imap) = &p.imap {
            let sent = imap
                .sent_folder
                .map_or("Sent found by SPECIAL-USE".to_owned(), |f| {
                    format!("Sent is {f:?}")
                });
            lines.push(format!(
                "IMAP {}:{} {}, login = {}; {}.",
                imap.server.host, imap.server.port, imap.server.security, imap.login, sent
            ));
        }
        lines.extend(p.notes.iter().map(|n| (*n).to_owned()));
        for line in &lines {
            wrap_into(&mut out, line, "  ", "    ");
        }
    }
    out.push_str(
        "\nSources (providers' help pages) and the dates they were read: docs/providers.md\n",
    );
    out
}

/// `PLAIN, LOGIN; with OAuth2 XOAUTH2 (--auth xoauth2)`.
fn mechanisms(auth: &[AuthMechanism]) -> String {
    let join = |oauth: bool| {
        auth.iter()
            .filter(|m| m.is_oauth() == oauth)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (password, oauth) = (join(false), join(true));
    match (password.is_empty(), oauth.is_empty()) {
        (false, true) => password,
        (true, false) => format!(
            "{oauth} only (OAuth2: auth = \"{}\" with a token helper)",
            oauth_choice(auth)
        ),
        (false, false) => format!(
            "{password}; with OAuth2 {oauth} (auth = \"{}\")",
            oauth_choice(auth)
        ),
        (true, true) => "unknown".to_owned(),
    }
}

/// The `auth` value for a provider's first `OAuth2` mechanism.
fn oauth_choice(auth: &[AuthMechanism]) -> &'static str {
    match auth.iter().find(|m| m.is_oauth()) {
        Some(AuthMechanism::OAuthBearer) => "oauthbearer",
        _ => "xoauth2",
    }
}

/// As many domains as fit in `width`, then `+N` for the rest.
fn abbreviate(domains: &[&str], width: usize) -> String {
    let mut shown = String::new();
    for (i, domain) in domains.iter().enumerate() {
        let rest = domains.len() - i - 1;
        let candidate = if shown.is_empty() {
            (*domain).to_owned()
        } else {
            format!("{shown}, {domain}")
        };
        let suffix = if rest > 0 {
            format!(" +{rest}")
        } else {
            String::new()
        };
        if candidate.len() + suffix.len() > width && !shown.is_empty() {
            return format!("{shown} +{}", domains.len() - i);
        }
        shown = candidate;
    }
    shown
}

fn push_row(out: &mut String, cells: &[String; 6], widths: &[usize; 6]) {
    let mut line = String::new();
    for (i, (cell, &width)) in cells.iter().zip(widths).enumerate() {
        if i == 5 {
            line.push_str(&truncate(cell, width));
        } else {
            line.push_str(&format!("{cell:<width$}  "));
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Greedy word wrap to [`TABLE_WIDTH`]; a word longer than a line stays whole.
fn wrap_into(out: &mut String, text: &str, first: &str, rest: &str) {
    let mut line = first.to_owned();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > TABLE_WIDTH {
            out.push_str(&line);
            out.push('\n');
            rest.clone_into(&mut line);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use AuthMechanism::{Login, OAuthBearer, Plain, XOAuth2};
    use LoginForm::{LocalPart, WholeAddress};

    use super::*;

    #[test]
    fn every_domain_resolves_to_its_provider() {
        for p in PROVIDERS {
            for domain in p.domains {
                let found = for_domain(domain).map(|f| f.name);
                assert_eq!(found, Some(p.name), "{domain}");
            }
        }
    }

    #[test]
    fn lookups() {
        for (input, expected) in [
            ("gmail.com", Some("Gmail")),
            ("GMail.COM", Some("Gmail")),
            ("gmail.com.", Some("Gmail")),
            (" gmail.com ", Some("Gmail")),
            ("Yandex.Ru.", Some("Yandex Mail")),
            ("gmx.net", Some("GMX (gmx.net)")),
            ("gmx.com", Some("GMX (gmx.com)")),
            ("zohomail.eu", Some("Zoho Mail (EU)")),
            ("pm.me", Some("Proton Mail Bridge")),
            ("example.org", None),
            ("mail.gmail.com", None),
            ("gmail.co", None),
            ("", None),
            (".", None),
        ] {
            assert_eq!(for_domain(input).map(|p| p.name), expected, "{input:?}");
        }
    }

    #[test]
    fn address_lookups() {
        for (input, expected) in [
            ("alice@gmail.com", Some("Gmail")),
            ("Alice <alice@mail.ru>", Some("Mail.ru")),
            ("\"a@b\" <alice@ICLOUD.com>", Some("iCloud Mail")),
            ("alice@outlook.com.", Some("Outlook.com")),
            ("<bob@fastmail.fm>", Some("Fastmail")),
            ("Alice <alice@gmail.com> ", Some("Gmail")),
            ("alice@example.org", None),
            ("no-at-sign", None),
            ("alice@", None),
        ] {
            assert_eq!(for_address(input).map(|p| p.name), expected, "{input:?}");
        }
    }

    #[test]
    fn logins() {
        for (domain, address, expected) in [
            ("gmail.com", "alice@gmail.com", "alice@gmail.com"),
            ("gmail.com", "Alice <alice@gmail.com>", "alice@gmail.com"),
            ("icloud.com", " alice@icloud.com ", "alice@icloud.com"),
            ("mail.ru", "Bob B. <bob@bk.ru>", "bob@bk.ru"),
        ] {
            let p = for_domain(domain).unwrap();
            assert_eq!(p.login_for(address), expected, "{address:?}");
        }
        for (form, address, expected) in [
            (LocalPart, "alice@icloud.com", "alice"),
            (LocalPart, "Alice <alice@icloud.com>", "alice"),
            (LocalPart, "alice", "alice"),
            (WholeAddress, "<alice@me.com>", "alice@me.com"),
        ] {
            assert_eq!(form.apply(address), expected, "{form:?} {address:?}");
        }
        let icloud = for_domain("me.com").unwrap();
        let imap = icloud.imap.unwrap();
        assert_eq!(imap.login.apply("Al <al@me.com>"), "al");
    }

    #[test]
    fn no_domain_is_listed_twice() {
        let mut seen = HashSet::new();
        for p in PROVIDERS {
            for domain in p.domains {
                assert!(seen.insert(*domain), "{domain} listed twice");
                assert_eq!(
                    *domain,
                    domain.to_ascii_lowercase(),
                    "{domain} not lower case"
                );
                assert!(!domain.ends_with('.'), "{domain}");
            }
        }
    }

    #[test]
    fn entries_are_whole() {
        for p in PROVIDERS {
            assert!(!p.domains.is_empty(), "{}", p.name);
            assert!(p.smtp.port != 0, "{}", p.name);
            assert!(!p.auth.is_empty(), "{}", p.name);
            assert!(!p.sources.is_empty(), "{} has no source", p.name);
            for source in p.sources {
                assert!(source.url.starts_with("https://"), "{}", source.url);
                assert!(!source.url.contains(char::is_whitespace), "{}", source.url);
            }
            if let Some(imap) = p.imap {
                assert!(imap.server.port != 0, "{}", p.name);
                assert!(imap.server.security != Security::None, "{}", p.name);
            }
            // Nothing public is plain text; only Bridge on loopback may be odd.
            assert!(p.smtp.security != Security::None, "{}", p.name);
            assert!(
                !p.must_know.is_empty() && !p.must_know.ends_with('.'),
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn ports_match_their_security() {
        for p in PROVIDERS {
            let expected = match p.smtp.port {
                465 => Some(Security::Tls),
                587 => Some(Security::StartTls),
                _ => None,
            };
            if let Some(expected) = expected {
                assert_eq!(p.smtp.security, expected, "{}", p.name);
            }
            if let Some(imap) = p.imap {
                match imap.server.port {
                    993 => assert_eq!(imap.server.security, Security::Tls, "{}", p.name),
                    143 => assert_eq!(imap.server.security, Security::StartTls, "{}", p.name),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn the_secret_agrees_with_the_mechanisms() {
        for p in PROVIDERS {
            let oauth_only = p.auth.iter().all(|m| m.is_oauth());
            assert_eq!(p.secret == Secret::OAuth2Only, oauth_only, "{}", p.name);
            assert_eq!(p.password_works(), !oauth_only, "{}", p.name);
        }
        assert!(!for_domain("hotmail.com").unwrap().password_works());
        assert!(for_domain("gmail.com").unwrap().password_works());
    }

    #[test]
    fn mechanism_names() {
        for (mechanism, name, engine) in [
            (Plain, "PLAIN", Some(Mechanism::Plain)),
            (Login, "LOGIN", Some(Mechanism::Login)),
            (XOAuth2, "XOAUTH2", Some(Mechanism::XOAuth2)),
            (OAuthBearer, "OAUTHBEARER", Some(Mechanism::OAuthBearer)),
        ] {
            assert_eq!(mechanism.to_string(), name);
            assert_eq!(mechanism.smtp(), engine);
        }
    }

    #[test]
    fn describe_reads_as_one_line() {
        let yandex = for_domain("yandex.ru").unwrap();
        assert_eq!(
            describe(yandex),
            "Yandex Mail: smtp.yandex.com:465 tls, login = whole address; an app password is \
             required (Yandex ID → Security → App passwords) and mail-client access must be on \
             (Mail → Settings → Email clients)"
        );
        for p in PROVIDERS {
            assert!(!describe(p).contains('\n'), "{}", p.name);
        }
    }

    #[test]
    fn the_table_has_a_header_and_one_row_per_provider() {
        let text = table();
        let lines: Vec<&str> = text.lines().collect();
        let header = lines[0];
        for column in [
            "Provider",
            "Domains",
            "SMTP",
            "Security",
            "Login",
            "Must know",
        ] {
            assert!(header.contains(column), "{header}");
        }
        for (p, row) in PROVIDERS.iter().zip(&lines[1..]) {
            assert!(row.starts_with(p.name), "{row}");
            assert!(
                row.contains(&format!("{}:{}", p.smtp.host, p.smtp.port)),
                "{row}"
            );
            assert!(row.ends_with(p.hint), "hint cut short: {row}");
        }
        assert_eq!(
            lines[PROVIDERS.len() + 1],
            "",
            "a blank line ends the table"
        );
        for line in &lines {
            assert!(line.chars().count() <= TABLE_WIDTH, "too wide: {line}");
        }
        // Columns line up: every row has its SMTP column where the header does.
        let at = header.find("SMTP").unwrap();
        for (p, row) in PROVIDERS.iter().zip(&lines[1..]) {
            assert_eq!(row.find(p.smtp.host), Some(at), "{row}");
        }
    }

    #[test]
    fn the_doc_cites_every_source() {
        let doc = include_str!("../docs/providers.md");
        assert!(doc.contains(READ_ON));
        for p in PROVIDERS {
            assert!(
                doc.contains(&format!("| {} |", p.name)),
                "{} not in the doc's table",
                p.name
            );
            for source in p.sources {
                assert!(
                    doc.contains(source.url),
                    "{} not cited in the doc",
                    source.url
                );
            }
        }
    }

    #[test]
    fn abbreviations() {
        for (domains, width, expected) in [
            (&["a.ru"][..], 20, "a.ru"),
            (
                &["gmail.com", "googlemail.com"][..],
                30,
                "gmail.com, googlemail.com",
            ),
            (&["gmail.com", "googlemail.com"][..], 20, "gmail.com +1"),
            (
                &["mail.ru", "inbox.ru", "list.ru", "bk.ru"][..],
                20,
                "mail.ru, inbox.ru +2",
            ),
            (
                &["averyveryverylongdomain.example"][..],
                10,
                "averyveryverylongdomain.example",
            ),
        ] {
            assert_eq!(abbreviate(domains, width), expected);
        }
    }

    #[test]
    fn wrapping() {
        let mut out = String::new();
        let long = "word ".repeat(60);
        wrap_into(&mut out, &long, "  ", "    ");
        assert!(out.lines().count() > 1);
        for line in out.lines() {
            assert!(line.chars().count() <= TABLE_WIDTH, "{line}");
        }
        assert!(out.lines().skip(1).all(|l| l.starts_with("    word")));
    }
}
