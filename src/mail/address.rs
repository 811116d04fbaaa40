//! Addresses and mailboxes as people type them (RFC 5321 / 5322 / 6531).
//!
//! Parsing is forgiving where typing is sloppy (stray spaces, empty entries,
//! a trailing comma, `;` as a separator, unquoted non-ASCII names) and strict
//! where a server or a spam filter would be: the addr-spec itself is checked
//! against RFC 5321 limits, and the domain must survive IDNA (UTS 46).
//!
//! Address literals (`user@[192.0.2.1]`) are refused: submission servers and
//! spam filters treat them with suspicion, and a composer has no use for them.

use std::fmt;

use super::{error::Error, header::HeaderForm};

/// RFC 5321 §4.5.3.1.1.
const MAX_LOCAL_OCTETS: usize = 64;
/// RFC 5321 §4.5.3.1.2.
const MAX_DOMAIN_OCTETS: usize = 255;
/// RFC 1035 §2.3.4.
const MAX_LABEL_OCTETS: usize = 63;
/// RFC 5321 §4.5.3.1.3: a path is at most 256 octets including `<` and `>`.
const MAX_ADDRESS_OCTETS: usize = 254;

/// An addr-spec: `local-part@domain`.
///
/// The local part is kept as its value (a quoted local part without its
/// quotes and escapes); [`Display`](fmt::Display) quotes it again when
/// RFC 5322 requires it. The domain is kept as typed, plus its IDNA ASCII
/// form for servers without SMTPUTF8.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    local: String,
    domain: String,
    ascii_domain: String,
}

impl Address {
    /// Parses a bare addr-spec (`a@b.org`), also accepting it in angle
    /// brackets (`<a@b.org>`). The error is a short reason for the user.
    pub fn parse(s: &str) -> Result<Address, String> {
        let s = s.trim();
        let inner = match s.strip_prefix('<') {
            Some(rest) => rest
                .strip_suffix('>')
                .ok_or_else(|| "missing closing >".to_string())?,
            None => s,
        };
        parse_addr_spec(inner.trim())
    }

    /// The local part's value (without quotes or escapes).
    pub fn local_part(&self) -> &str {
        &self.local
    }

    /// The domain as typed (may be Unicode).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The domain in IDNA ASCII form (`xn--…` labels, lower case).
    pub fn domain_ascii(&self) -> &str {
        &self.ascii_domain
    }

    /// True when the local part is non-ASCII, so the address can only travel
    /// through a server that offers SMTPUTF8. An IDN domain alone does not
    /// need it: the domain has an ASCII form.
    pub fn needs_smtputf8(&self) -> bool {
        !self.local.is_ascii()
    }

    /// The envelope form for a server without SMTPUTF8: the domain in ASCII
    /// (as typed when it already is ASCII), or an error for a non-ASCII
    /// local part.
    pub fn to_ascii(&self) -> Result<String, Error> {
        if self.needs_smtputf8() {
            return Err(Error::NeedsSmtpUtf8 {
                field: None,
                input: self.to_string(),
            });
        }
        let domain = if self.domain.is_ascii() {
            &self.domain
        } else {
            &self.ascii_domain
        };
        Ok(format!("{}@{domain}", self.wire_local()))
    }

    /// The envelope form for a server with SMTPUTF8: as typed, in UTF-8.
    pub fn to_utf8(&self) -> String {
        self.to_string()
    }

    /// The form used in header fields: ASCII unless the local part needs
    /// SMTPUTF8 and the server offers it (RFC 6532), `None` when it needs
    /// SMTPUTF8 and the server lacks it.
    /// With the text, how it differs from what was typed, if it does.
    pub(crate) fn header_form(&self, smtputf8: bool) -> Option<(String, Option<HeaderForm>)> {
        match self.to_ascii() {
            Ok(ascii) => {
                let ace = (!self.domain.is_ascii()).then_some(HeaderForm::AsciiDomain);
                Some((ascii, ace))
            }
            Err(_) if smtputf8 => Some((self.to_utf8(), Some(HeaderForm::Utf8Address))),
            Err(_) => None,
        }
    }

    /// Same mailbox for the envelope: local part compared exactly, domain
    /// compared in its ASCII form, which folds case and IDN/ACE spellings.
    pub(crate) fn mailbox_key(&self) -> (&str, &str) {
        (&self.local, &self.ascii_domain)
    }

    /// True for a domain usable as a sender: at least two labels and not a
    /// loopback or placeholder name.
    pub(crate) fn has_fqdn(&self) -> bool {
        is_fqdn(&self.ascii_domain)
    }

    /// The local part as it goes on the wire: a dot-atom when it is one,
    /// else a quoted string.
    fn wire_local(&self) -> String {
        if is_dot_atom(&self.local) {
            self.local.clone()
        } else {
            let mut out = String::with_capacity(self.local.len() + 2);
            out.push('"');
            for c in self.local.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
            out
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.wire_local(), self.domain)
    }
}

/// True for a fully qualified, non-loopback domain name in ASCII form.
pub(crate) fn is_fqdn(ascii_domain: &str) -> bool {
    let d = ascii_domain.trim_end_matches('.').to_ascii_lowercase();
    d.contains('.')
        && d != "localhost.localdomain"
        && !d.ends_with(".localhost")
        && !d.ends_with(".localdomain")
}

/// A mailbox: an optional display name and an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    /// The display name, unquoted, with runs of white space collapsed.
    pub name: Option<String>,
    /// The address.
    pub address: Address,
}

impl Mailbox {
    /// Parses exactly one mailbox: `Name <a@b.org>`, `"Doe, Jane" <a@b.org>`,
    /// `<a@b.org>` or `a@b.org`.
    pub fn parse(s: &str) -> Result<Mailbox, String> {
        match split_list(s).as_slice() {
            [] => Err("empty".to_string()),
            [one] => parse_entry(one),
            more => Err(format!(
                "only one address is allowed here, found {}",
                more.len()
            )),
        }
    }

    /// Parses a comma (or semicolon) separated list. Empty entries are
    /// skipped; every bad entry is reported.
    pub fn parse_list(s: &str) -> Result<Vec<Mailbox>, Vec<BadEntry>> {
        let entries = split_list(s);
        let mut mailboxes = Vec::with_capacity(entries.len());
        let mut errors = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            match parse_entry(entry) {
                Ok(mailbox) => mailboxes.push(mailbox),
                Err(mut reason) => {
                    // "Doe, Jane <j@x.org>" splits at the comma; say why.
                    if !entry.contains('@') && i + 1 < entries.len() {
                        reason.push_str("; a name with a comma must be in quotes");
                    }
                    errors.push(BadEntry {
                        input: (*entry).to_string(),
                        reason,
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok(mailboxes)
        } else {
            Err(errors)
        }
    }
}

/// An entry of an address list that is not a valid mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadEntry {
    /// The entry as typed.
    pub input: String,
    /// Why it is not valid.
    pub reason: String,
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) if name.chars().any(is_special) => {
                f.write_str("\"")?;
                for c in name.chars() {
                    if c == '"' || c == '\\' {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                write!(f, "\" <{}>", self.address)
            }
            Some(name) => write!(f, "{name} <{}>", self.address),
            None => write!(f, "{}", self.address),
        }
    }
}

/// RFC 5322 `specials`: a display name containing one must be quoted.
pub(crate) fn is_special(c: char) -> bool {
    matches!(
        c,
        '(' | ')' | '<' | '>' | '[' | ']' | ':' | ';' | '@' | '\\' | ',' | '.' | '"'
    )
}

/// RFC 5322 `atext`, extended by RFC 6532 to every non-ASCII character.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

/// Splits a list at `,` or `;` outside quotes and angle brackets; entries
/// are trimmed and empty ones dropped.
fn split_list(s: &str) -> Vec<&str> {
    let mut entries = Vec::new();
    let (mut angle, mut start) = (0usize, 0);
    // An open quote at the end is reported by the entry's own parse.
    for_each_unquoted(s, |i, c| match c {
        '<' => angle += 1,
        '>' => angle = angle.saturating_sub(1),
        ',' | ';' if angle == 0 => {
            entries.push(&s[start..i]);
            start = i + 1;
        }
        _ => {}
    });
    entries.push(&s[start..]);
    entries
        .into_iter()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect()
}

/// Calls `f` with each character outside quoted strings (and its byte
/// offset); returns false when a quote is left open.
fn for_each_unquoted(s: &str, mut f: impl FnMut(usize, char)) -> bool {
    let (mut in_quotes, mut escaped) = (false, false);
    for (i, c) in s.char_indices() {
        if in_quotes {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_quotes = false,
                _ => {}
            }
        } else if c == '"' {
            in_quotes = true;
        } else {
            f(i, c);
        }
    }
    !in_quotes
}

/// The byte offsets of `<` and `>` outside quoted strings.
struct Brackets {
    opens: Vec<usize>,
    closes: Vec<usize>,
}

/// The brackets of an entry; an error when a quote is left open.
fn top_level_brackets(s: &str) -> Result<Brackets, String> {
    let (mut opens, mut closes) = (Vec::new(), Vec::new());
    let balanced = for_each_unquoted(s, |i, c| match c {
        '<' => opens.push(i),
        '>' => closes.push(i),
        _ => {}
    });
    if !balanced {
        return Err(UNCLOSED_QUOTE.to_string());
    }
    Ok(Brackets { opens, closes })
}

const UNCLOSED_QUOTE: &str = "a quote is not closed";

/// Parses one trimmed, non-empty list entry.
fn parse_entry(entry: &str) -> Result<Mailbox, String> {
    let Brackets { opens, closes } = top_level_brackets(entry)?;
    let Some(&open) = opens.first() else {
        if !closes.is_empty() {
            return Err("a > without a <".to_string());
        }
        return Ok(Mailbox {
            name: None,
            address: parse_addr_spec(entry)?,
        });
    };
    if opens.len() > 1 {
        return Err("more than one <address>".to_string());
    }
    let close = closes
        .iter()
        .copied()
        .find(|&c| c > open)
        .ok_or_else(|| "missing closing >".to_string())?;
    if closes.len() > 1 {
        return Err("a > without a <".to_string());
    }
    if !entry[close + 1..].trim().is_empty() {
        return Err("text after the closing >".to_string());
    }
    let address = parse_addr_spec(entry[open + 1..close].trim())?;
    let name = parse_display_name(&entry[..open])?;
    Ok(Mailbox { name, address })
}

/// Unquotes a display name as typed; `None` when it is empty.
fn parse_display_name(raw: &str) -> Result<Option<String>, String> {
    let mut value = String::with_capacity(raw.len());
    let (mut in_quotes, mut escaped) = (false, false);
    for c in raw.chars() {
        if c.is_control() && c != '\t' {
            return Err("the name contains a control character".to_string());
        }
        if in_quotes {
            match c {
                _ if escaped => {
                    escaped = false;
                    value.push(c);
                }
                '\\' => escaped = true,
                '"' => in_quotes = false,
                _ => value.push(c),
            }
        } else if c == '"' {
            in_quotes = true;
        } else {
            value.push(c);
        }
    }
    let collapsed = value.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok((!collapsed.is_empty()).then_some(collapsed))
}

/// Parses and validates `local@domain` (no brackets, trimmed).
fn parse_addr_spec(s: &str) -> Result<Address, String> {
    if s.is_empty() {
        return Err("empty address".to_string());
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(format!(
            "contains the control character U+{:04X}",
            u32::from(c)
        ));
    }
    if let Some(c) = s.chars().find(|&c| crate::chars::is_unsafe(c)) {
        return Err(format!(
            "contains the invisible or direction-changing character U+{:04X}",
            u32::from(c)
        ));
    }
    let (local, domain) = if let Some(rest) = s.strip_prefix('"') {
        let (local, after) = parse_quoted_local(rest)?;
        let domain = after
            .strip_prefix('@')
            .ok_or_else(|| "the quoted local part must be followed by @".to_string())?;
        (local, domain)
    } else {
        let Some((local, domain)) = s.split_once('@') else {
            return Err("no @ sign".to_string());
        };
        check_dot_atom_local(local)?;
        (local.to_string(), domain)
    };
    if domain.contains('@') {
        return Err("two @ signs".to_string());
    }
    let ascii_domain = check_domain(domain)?;
    let address = Address {
        local,
        domain: domain.to_string(),
        ascii_domain,
    };
    if address.wire_local().len() > MAX_LOCAL_OCTETS {
        return Err(format!(
            "the part before the @ is longer than {MAX_LOCAL_OCTETS} octets"
        ));
    }
    if address.to_string().len() > MAX_ADDRESS_OCTETS {
        return Err(format!(
            "the address is longer than {MAX_ADDRESS_OCTETS} octets"
        ));
    }
    Ok(address)
}

/// Reads a quoted local part after its opening quote; returns its value and
/// the text after the closing quote.
fn parse_quoted_local(rest: &str) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        if escaped {
            escaped = false;
            value.push(c);
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' if value.is_empty() => return Err("the quoted local part is empty".to_string()),
            '"' => return Ok((value, &rest[i + 1..])),
            _ => value.push(c),
        }
    }
    Err("the quoted local part has no closing quote".to_string())
}

fn check_dot_atom_local(local: &str) -> Result<(), String> {
    if local.is_empty() {
        return Err("nothing before the @".to_string());
    }
    if local.starts_with('.') || local.ends_with('.') {
        return Err("the part before the @ starts or ends with a dot".to_string());
    }
    if local.contains("..") {
        return Err("two dots in a row before the @".to_string());
    }
    if let Some(c) = local.chars().find(|&c| c != '.' && !is_atext(c)) {
        return Err(if c == ' ' {
            "contains a space (write the name before <address>)".to_string()
        } else {
            format!("the character {c:?} is not allowed before the @ unless quoted")
        });
    }
    Ok(())
}

/// Validates a domain and returns its IDNA ASCII form.
fn check_domain(domain: &str) -> Result<String, String> {
    if domain.is_empty() {
        return Err("nothing after the @".to_string());
    }
    if domain.starts_with('[') {
        return Err(
            "address literals like [192.0.2.1] are not supported; use a domain name".to_string(),
        );
    }
    let ascii = idna::domain_to_ascii(domain)
        .map_err(|_| "the domain is not a valid (internationalised) domain name".to_string())?;
    if ascii.len() > MAX_DOMAIN_OCTETS {
        return Err(format!(
            "the domain is longer than {MAX_DOMAIN_OCTETS} octets"
        ));
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err(
                "the domain has an empty label (a dot at an end or two in a row)".to_string(),
            );
        }
        if label.len() > MAX_LABEL_OCTETS {
            return Err(format!(
                "a domain label is longer than {MAX_LABEL_OCTETS} octets"
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|&c| !c.is_ascii_alphanumeric() && c != '-')
        {
            return Err(format!("the character {c:?} is not allowed in a domain"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a domain label starts or ends with a hyphen".to_string());
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err("the domain ends in a number; IP addresses are not supported".to_string());
    }
    Ok(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(s: &str) -> Mailbox {
        Mailbox::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn valid_mailboxes() {
        // (input, name, local part value, domain as typed, ASCII domain, Display)
        for (input, name, local, domain, ascii, display) in [
            (
                "ivan@example.ru",
                None,
                "ivan",
                "example.ru",
                "example.ru",
                "ivan@example.ru",
            ),
            (
                "  <ivan@example.ru>  ",
                None,
                "ivan",
                "example.ru",
                "example.ru",
                "ivan@example.ru",
            ),
            (
                "Иван Петров <ivan@example.ru>",
                Some("Иван Петров"),
                "ivan",
                "example.ru",
                "example.ru",
                "Иван Петров <ivan@example.ru>",
            ),
            (
                "\"Doe, Jane\" <jane@x.org>",
                Some("Doe, Jane"),
                "jane",
                "x.org",
                "x.org",
                "\"Doe, Jane\" <jane@x.org>",
            ),
            (
                "Jane   Q.\tDoe<jane@x.org>",
                Some("Jane Q. Doe"),
                "jane",
                "x.org",
                "x.org",
                "\"Jane Q. Doe\" <jane@x.org>",
            ),
            (
                "\"Say \\\"hi\\\"\" <a@x.org>",
                Some("Say \"hi\""),
                "a",
                "x.org",
                "x.org",
                "\"Say \\\"hi\\\"\" <a@x.org>",
            ),
            ("\"\" <a@x.org>", None, "a", "x.org", "x.org", "a@x.org"),
            (
                "\"a>b\"@x.org",
                None,
                "a>b",
                "x.org",
                "x.org",
                "\"a>b\"@x.org",
            ),
            (
                "Bob <\"a>b\"@x.org>",
                Some("Bob"),
                "a>b",
                "x.org",
                "x.org",
                "Bob <\"a>b\"@x.org>",
            ),
            (
                "\"john\"@x.org",
                None,
                "john",
                "x.org",
                "x.org",
                "john@x.org",
            ),
            (
                "\"a b\\\\c\"@x.org",
                None,
                "a b\\c",
                "x.org",
                "x.org",
                "\"a b\\\\c\"@x.org",
            ),
            (
                "user+tag@Example.ORG",
                None,
                "user+tag",
                "Example.ORG",
                "example.org",
                "user+tag@Example.ORG",
            ),
            (
                "user@почта.рф",
                None,
                "user",
                "почта.рф",
                "xn--80a1acny.xn--p1ai",
                "user@почта.рф",
            ),
            (
                "user@xn--80a1acny.xn--p1ai",
                None,
                "user",
                "xn--80a1acny.xn--p1ai",
                "xn--80a1acny.xn--p1ai",
                "user@xn--80a1acny.xn--p1ai",
            ),
            (
                "иван@почта.рф",
                None,
                "иван",
                "почта.рф",
                "xn--80a1acny.xn--p1ai",
                "иван@почта.рф",
            ),
            ("😀@x.org", None, "😀", "x.org", "x.org", "😀@x.org"),
            (
                "root@localhost",
                None,
                "root",
                "localhost",
                "localhost",
                "root@localhost",
            ),
            (
                "\u{200F}שלום 🎉 <a@x.org>",
                Some("\u{200F}שלום 🎉"),
                "a",
                "x.org",
                "x.org",
                "\u{200F}שלום 🎉 <a@x.org>",
            ),
        ] {
            let m = mb(input);
            assert_eq!(m.name.as_deref(), name, "{input}");
            assert_eq!(m.address.local_part(), local, "{input}");
            assert_eq!(m.address.domain(), domain, "{input}");
            assert_eq!(m.address.domain_ascii(), ascii, "{input}");
            assert_eq!(m.to_string(), display, "{input}");
            // The human form parses back to the same mailbox.
            assert_eq!(mb(display), m, "{input}");
        }
    }

    #[test]
    fn invalid_addresses_say_why() {
        let long_local = format!("{}@x.org", "a".repeat(65));
        let long_label = format!("a@{}.org", "b".repeat(64));
        let long_domain = format!("a@{}org", "abcdefghi.".repeat(26));
        let huge = "x".repeat(2000);
        for (input, reason) in [
            ("bob@@x.org", "two @ signs"),
            ("bob@x@y.org", "two @ signs"),
            ("bob", "no @ sign"),
            ("@x.org", "nothing before the @"),
            ("bob@", "nothing after the @"),
            (
                ".bob@x.org",
                "the part before the @ starts or ends with a dot",
            ),
            (
                "bob.@x.org",
                "the part before the @ starts or ends with a dot",
            ),
            ("b..ob@x.org", "two dots in a row before the @"),
            (
                "bo b@x.org",
                "contains a space (write the name before <address>)",
            ),
            (
                "Jane jane@x.org",
                "contains a space (write the name before <address>)",
            ),
            (
                "bo(b@x.org",
                "the character '(' is not allowed before the @ unless quoted",
            ),
            ("\"\"@x.org", "the quoted local part is empty"),
            ("\"bob@x.org", "a quote is not closed"),
            (
                "\"bob\"x@x.org",
                "the quoted local part must be followed by @",
            ),
            (
                "bob@[192.0.2.1]",
                "address literals like [192.0.2.1] are not supported; use a domain name",
            ),
            (
                "bob@192.0.2.1",
                "the domain ends in a number; IP addresses are not supported",
            ),
            (
                "bob@x..org",
                "the domain has an empty label (a dot at an end or two in a row)",
            ),
            (
                "bob@x.org.",
                "the domain has an empty label (a dot at an end or two in a row)",
            ),
            ("bob@-x.org", "a domain label starts or ends with a hyphen"),
            (
                "bob@x_y.org",
                "the character '_' is not allowed in a domain",
            ),
            (
                "bob@xn--zz.org",
                "the domain is not a valid (internationalised) domain name",
            ),
            (
                long_local.as_str(),
                "the part before the @ is longer than 64 octets",
            ),
            (
                long_label.as_str(),
                "a domain label is longer than 63 octets",
            ),
            (long_domain.as_str(), "the domain is longer than 255 octets"),
            (huge.as_str(), "no @ sign"),
            (
                "a\u{200F}b@x.org",
                "contains the invisible or direction-changing character U+200F",
            ),
            (
                "bob@exa\u{200B}mple.org",
                "contains the invisible or direction-changing character U+200B",
            ),
            (
                "bob@x.org\r\nBcc: eve@x.org",
                "contains the control character U+000D",
            ),
            (
                "<a@b.org>,<c@d.org>",
                "only one address is allowed here, found 2",
            ),
            ("<a@b.org> <c@d.org>", "more than one <address>"),
            ("Bob <a@b.org> x", "text after the closing >"),
            ("Bob <a@b.org", "missing closing >"),
            ("Bob a@b.org>", "a > without a <"),
            ("\"Bob <a@b.org>", "a quote is not closed"),
            (
                "Bob\u{7}  <a@b.org>",
                "the name contains a control character",
            ),
            ("", "empty"),
            (" , ,", "empty"),
        ] {
            assert_eq!(Mailbox::parse(input), Err(reason.to_string()), "{input:?}");
        }
    }

    #[test]
    fn lists_split_only_outside_quotes_and_brackets() {
        for (input, expected) in [
            ("a@x.org, b@y.org", vec!["a@x.org", "b@y.org"]),
            ("a@x.org;b@y.org,", vec!["a@x.org", "b@y.org"]),
            (" , a@x.org ,, ,b@y.org , ", vec!["a@x.org", "b@y.org"]),
            (
                "\"Doe, Jane\" <jane@x.org>, Иван <ivan@x.ru>",
                vec!["\"Doe, Jane\" <jane@x.org>", "Иван <ivan@x.ru>"],
            ),
            (
                "Bob <\"a,b\"@x.org>, c@x.org",
                vec!["Bob <\"a,b\"@x.org>", "c@x.org"],
            ),
            ("", vec![]),
        ] {
            let got: Vec<String> = Mailbox::parse_list(input)
                .unwrap_or_else(|e| panic!("{input}: {e:?}"))
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(got, expected, "{input}");
        }
    }

    #[test]
    fn list_errors_name_each_bad_entry() {
        for (input, expected) in [
            (
                "ok@x.org, bob@@x.org, also ok <a@b.org>, nope",
                vec![("bob@@x.org", "two @ signs"), ("nope", "no @ sign")],
            ),
            (
                "Doe, Jane <jane@x.org>",
                vec![("Doe", "no @ sign; a name with a comma must be in quotes")],
            ),
            (
                "<a@b.org,c@d.org>",
                vec![("<a@b.org,c@d.org>", "two @ signs")],
            ),
        ] {
            let expected: Vec<BadEntry> = expected
                .into_iter()
                .map(|(input, reason)| BadEntry {
                    input: input.to_string(),
                    reason: reason.to_string(),
                })
                .collect();
            assert_eq!(Mailbox::parse_list(input), Err(expected), "{input}");
        }
    }

    #[test]
    fn envelope_forms() {
        for (input, ascii, utf8, needs) in [
            (
                "user@почта.рф",
                Some("user@xn--80a1acny.xn--p1ai"),
                "user@почта.рф",
                false,
            ),
            (
                "User@Example.ORG",
                Some("User@Example.ORG"),
                "User@Example.ORG",
                false,
            ),
            (
                "\"a b\"@x.org",
                Some("\"a b\"@x.org"),
                "\"a b\"@x.org",
                false,
            ),
            ("иван@почта.рф", None, "иван@почта.рф", true),
        ] {
            let a = Address::parse(input).unwrap();
            assert_eq!(a.to_ascii().ok().as_deref(), ascii, "{input}");
            assert_eq!(a.to_utf8(), utf8, "{input}");
            assert_eq!(a.needs_smtputf8(), needs, "{input}");
        }
        let err = Address::parse("иван@x.org")
            .unwrap()
            .to_ascii()
            .unwrap_err();
        assert_eq!(
            err,
            Error::NeedsSmtpUtf8 {
                field: None,
                input: "иван@x.org".into()
            }
        );
    }

    #[test]
    fn same_mailbox_folds_domain_case_and_idn_but_not_local_part() {
        for (a, b, same) in [
            ("a@x.org", "a@X.ORG", true),
            ("a@почта.рф", "a@XN--80A1ACNY.xn--p1ai", true),
            ("a@x.org", "A@x.org", false),
            ("\"a\"@x.org", "a@x.org", true),
            ("a@x.org", "a@y.org", false),
        ] {
            let (a, b) = (Address::parse(a).unwrap(), Address::parse(b).unwrap());
            assert_eq!(a.mailbox_key() == b.mailbox_key(), same, "{a} vs {b}");
        }
    }

    #[test]
    fn fqdn() {
        for (domain, fqdn) in [
            ("example.org", true),
            ("mail.example.org", true),
            ("localhost", false),
            ("host", false),
            ("localhost.localdomain", false),
            ("a.localhost", false),
        ] {
            assert_eq!(is_fqdn(domain), fqdn, "{domain}");
        }
    }
}
