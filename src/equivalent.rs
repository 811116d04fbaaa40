//! The command line that sends the same letter with the same settings
//! through swaks, curl or smtpwire itself (`smtpwire send --print-command
//! TOOL`): for comparing clients, for a bug report, or for a script.
//!
//! Pure: resolved settings and a letter in, POSIX `sh` text out. Every
//! argument is quoted for `sh` (Cyrillic and all); characters a terminal
//! would act on come out as `"$(printf '\ooo')"`, so printing the command is
//! safe. The password is never in the text: swaks and curl read it from
//! `SMTPWIRE_PASSWORD` when the shell runs the command (or from the
//! configured password command), and `smtpwire` reads the variable itself
//! or gets `--password-command`.
//!
//! swaks and curl send a file: the letter exactly as smtpwire builds it,
//! which the caller saves first ([`BuiltLetter`]). Built for a server that
//! offers neither 8BITMIME nor SMTPUTF8, it is 7-bit and needs no MAIL FROM
//! parameter, which neither tool sends. curl dot-stuffs what it uploads;
//! swaks would rewrite the letter (tokens such as `%DATE%`, the two
//! characters `\n`, a last line `.`) unless told `--no-data-fixup`, and then
//! sends it as it is, so the command dot-stuffs it with `sed` and adds the
//! final dot. smtpwire's own command carries the letter's fields instead; it
//! builds the same letter, with its own Date and Message-ID.
//!
//! Where the tools differ from smtpwire: a CA file replaces the system's
//! roots in swaks and curl (smtpwire adds it to them); swaks before
//! 2024 checks the certificate chain but not the host name; curl with
//! `auto` picks its own favourite among the offered mechanisms; neither
//! tool gets smtpwire's timeouts.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use crate::{
    mail::{self, Draft, Stamp},
    resolve::{PasswordSource, Resolved, Trust},
    settings::DEFAULT_TIMEOUT,
    smtp::{AuthChoice, Capabilities, Envelope, Security, visible::is_unsafe},
    submit::{self, Outgoing},
};

/// Which client's command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Tool {
    /// swaks, the Swiss Army Knife for SMTP.
    Swaks,
    /// curl with an smtp:// URL.
    Curl,
    /// smtpwire send.
    Smtpwire,
}

impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tool::Swaks => "swaks",
            Tool::Curl => "curl",
            Tool::Smtpwire => "smtpwire",
        })
    }
}

/// The letter for swaks and curl: built and saved, with its envelope.
#[derive(Clone, Copy, Debug)]
pub struct BuiltLetter<'a> {
    /// The saved letter (absolute, so the command runs from anywhere).
    pub file: &'a Path,
    /// MAIL FROM and RCPT TO in wire form.
    pub envelope: &'a Envelope,
}

/// The letter for smtpwire's own command: its fields.
#[derive(Clone, Copy, Debug)]
pub struct DraftLetter<'a> {
    /// The validated letter.
    pub draft: &'a Draft,
    /// The body's file, when the body is read from one (else the draft's
    /// body text goes on the command line).
    pub body_file: Option<&'a Path>,
    /// How many times to send it (`--repeat`).
    pub repeat: u32,
    /// The attached files, by absolute path.
    pub attachments: &'a [PathBuf],
}

/// The letter swaks and curl send, and its envelope: built for a server
/// that offers neither 8BITMIME nor SMTPUTF8, so it is 7-bit with encoded
/// headers and needs no MAIL FROM parameter, and the envelope is ASCII
/// (IDN domains as `xn--`). A non-ASCII local part needs SMTPUTF8 whatever
/// the client; such a letter is built for a server that offers it. The
/// caller saves `letter.letter().to_bytes()` and names the file in a
/// [`BuiltLetter`].
pub fn build_letter<'a>(
    parts: submit::Parts<'a>,
    stamp: &Stamp,
) -> Result<(Outgoing<'a>, Envelope), mail::Error> {
    let draft = parts.draft;
    let plain = Capabilities::default();
    let utf8 = Capabilities {
        smtputf8: true,
        eight_bit_mime: true,
        ..Capabilities::default()
    };
    let letter = match submit::letter_for(parts, stamp, Some(&plain)) {
        Ok(letter) => letter,
        Err(_) => submit::letter_for(parts, stamp, Some(&utf8))?,
    };
    let envelope = match submit::envelope_for(draft, &plain) {
        Ok(envelope) => envelope,
        Err(_) => submit::envelope_for(draft, &utf8)?,
    };
    Ok((letter, envelope))
}

/// The command for `tool`: [`swaks`], [`curl`] or [`smtpwire`].
pub fn command(
    tool: Tool,
    settings: &Resolved,
    built: &BuiltLetter<'_>,
    draft: &DraftLetter<'_>,
) -> String {
    match tool {
        Tool::Swaks => swaks(settings, built),
        Tool::Curl => curl(settings, built),
        Tool::Smtpwire => smtpwire(settings, draft),
    }
}

/// The variable swaks and curl read the password from.
const PASSWORD: &str = "\"${SMTPWIRE_PASSWORD:?}\"";

/// The password as the shell produces it when the command runs: the
/// environment variable (the shell stops with an error if it is empty), or
/// the first line of the password command, as smtpwire takes it.
fn password_expansion(source: &PasswordSource) -> String {
    match source {
        PasswordSource::Given | PasswordSource::Ask => PASSWORD.to_owned(),
        PasswordSource::Command(command) => {
            format!("\"$(sh -c {} | head -n 1)\"", quote(command))
        }
    }
}

/// A command line, one option per line, joined with ` \`.
struct Line {
    head: String,
    options: Vec<String>,
}

impl Line {
    fn new(head: String) -> Line {
        Line {
            head,
            options: Vec::new(),
        }
    }

    /// A flag, or an option and its (unquoted) value.
    fn push(&mut self, option: &str, value: Option<&str>) {
        self.options.push(match value {
            Some(value) => format!("{option} {}", quote(value)),
            None => option.to_owned(),
        });
    }

    /// An option whose value is already shell text.
    fn push_raw(&mut self, option: &str, shell: &str) {
        self.options.push(format!("{option} {shell}"));
    }

    fn finish(self) -> String {
        let mut out = self.head;
        for option in self.options {
            out.push_str(" \\\n  ");
            out.push_str(&option);
        }
        out
    }
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A CA file to name, whatever else is trusted.
fn ca_file(trust: &Trust) -> Option<&Path> {
    match trust {
        Trust::System { extra } => extra.as_deref(),
        Trust::Only(file) => Some(file),
    }
}

/// swaks: `--tls` or `--tls-on-connect` with `--tls-verify`, the CA file,
/// HELO, AUTH with the password in `SWAKS_OPT_auth_password` (the
/// environment, not the process's arguments, which any local user can list),
/// and the saved letter, dot-stuffed, on standard input.
pub fn swaks(settings: &Resolved, letter: &BuiltLetter<'_>) -> String {
    let file = quote(&path_text(letter.file));
    let mut head = format!("{{ sed 's/^\\./../' {file}; printf .; }} |\n  ");
    if let Some(login) = &settings.login {
        let _ = write!(
            head,
            "SWAKS_OPT_auth_password={} ",
            password_expansion(&login.password)
        );
    }
    head.push_str("swaks");
    let mut line = Line::new(head);
    line.push("--server", Some(&settings.host));
    line.push("--port", Some(&settings.port.to_string()));
    match settings.security {
        Security::StartTls => line.push("--tls", None),
        Security::Tls => line.push("--tls-on-connect", None),
        Security::None => {}
    }
    if settings.security != Security::None {
        line.push("--tls-verify", None);
        if let Some(ca) = ca_file(&settings.trust) {
            line.push("--tls-ca-path", Some(&path_text(ca)));
        }
    }
    line.push("--helo", Some(&settings.helo));
    if let Some(login) = &settings.login {
        line.push(
            "--auth",
            Some(match settings.auth {
                AuthChoice::Auto => "PLAIN,LOGIN",
                AuthChoice::Plain => "PLAIN",
                AuthChoice::Login => "LOGIN",
                // swaks knows XOAUTH2 from release 20240103 on; the token
                // goes where the password would.
                AuthChoice::XOAuth2 => "XOAUTH2",
                AuthChoice::OAuthBearer => "OAUTHBEARER",
            }),
        );
        line.push("--auth-user", Some(&login.user));
        // swaks prints the AUTH exchange; this keeps the password out of it.
        line.push("--auth-hide-password", None);
    }
    line.push("--from", Some(&letter.envelope.from));
    line.push("--to", Some(&letter.envelope.recipients.join(",")));
    line.push("--no-data-fixup", None);
    line.push("--data", Some("-"));
    line.finish()
}

/// curl: an `smtp://` URL with `--ssl-reqd` (STARTTLS) or `smtps://`, the
/// HELO name as the URL's path, the CA file, the login, every recipient
/// (a refused one does not stop the others), and the saved letter.
pub fn curl(settings: &Resolved, letter: &BuiltLetter<'_>) -> String {
    let scheme = if settings.security == Security::Tls {
        "smtps"
    } else {
        "smtp"
    };
    let host = settings
        .host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&settings.host);
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let url = format!("{scheme}://{host}:{}/{}", settings.port, settings.helo);
    let mut line = Line::new("curl".to_owned());
    line.push("--url", Some(&url));
    if url.contains(['[', ']', '{', '}']) {
        // An IPv6 host or an address-literal HELO: brackets, not a glob.
        line.push("--globoff", None);
    }
    if settings.security == Security::StartTls {
        line.push("--ssl-reqd", None);
    }
    if settings.security != Security::None
        && let Some(ca) = ca_file(&settings.trust)
    {
        line.push("--cacert", Some(&path_text(ca)));
    }
    if let Some(login) = &settings.login {
        let oauth = match settings.auth {
            AuthChoice::XOAuth2 => Some("AUTH=XOAUTH2"),
            AuthChoice::OAuthBearer => Some("AUTH=OAUTHBEARER"),
            _ => None,
        };
        if let Some(mechanism) = oauth {
            // The token is a bearer token to curl, not a password.
            line.push("--user", Some(&login.user));
            line.push_raw("--oauth2-bearer", &password_expansion(&login.password));
            line.push("--login-options", Some(mechanism));
        } else {
            let user = quote(&format!("{}:", login.user));
            line.push_raw(
                "--user",
                &format!("{user}{}", password_expansion(&login.password)),
            );
        }
        match settings.auth {
            AuthChoice::Plain => line.push("--login-options", Some("AUTH=PLAIN")),
            AuthChoice::Login => line.push("--login-options", Some("AUTH=LOGIN")),
            AuthChoice::Auto | AuthChoice::XOAuth2 | AuthChoice::OAuthBearer => {}
        }
    }
    line.push("--mail-from", Some(&letter.envelope.from));
    for recipient in &letter.envelope.recipients {
        line.push("--mail-rcpt", Some(recipient));
    }
    line.push("--mail-rcpt-allowfails", None);
    line.push("--upload-file", Some(&path_text(letter.file)));
    line.push("--silent", None);
    line.push("--show-error", None);
    line.finish()
}

/// `smtpwire send` with every setting spelled out (so no config file is
/// needed) and the letter's fields.
pub fn smtpwire(settings: &Resolved, letter: &DraftLetter<'_>) -> String {
    let mut line = Line::new("smtpwire send".to_owned());
    let mut push = |option: &str, value: &str| {
        if value.starts_with('-') {
            // `--body=-x`: a value that looks like an option stays a value.
            line.options.push(format!("{option}={}", quote(value)));
        } else {
            line.push(option, Some(value));
        }
    };
    push("--server", &settings.host);
    push("--port", &settings.port.to_string());
    push("--security", &settings.security.to_string());
    push("--helo", &settings.helo);
    if let Some(ca) = ca_file(&settings.trust) {
        push("--ca-file", &path_text(ca));
    }
    if let Some(login) = &settings.login {
        push("--user", &login.user);
        if settings.auth != AuthChoice::Auto {
            push("--auth", &settings.auth.to_string());
        }
        if let PasswordSource::Command(command) = &login.password {
            push("--password-command", command);
        }
    }
    let timeout = settings.timeout.as_secs();
    if timeout != DEFAULT_TIMEOUT {
        push("--timeout", &timeout.to_string());
    }
    let draft = letter.draft;
    push("--from", &draft.from().to_string());
    if let Some(sender) = draft.envelope_from() {
        push("--envelope-from", &sender.to_string());
    }
    if !draft.reply_to().is_empty() {
        let list: Vec<String> = draft.reply_to().iter().map(ToString::to_string).collect();
        push("--reply-to", &list.join(", "));
    }
    for (option, list) in [
        ("--to", draft.to()),
        ("--cc", draft.cc()),
        ("--bcc", draft.bcc()),
    ] {
        for mailbox in list {
            push(option, &mailbox.to_string());
        }
    }
    if !draft.subject().is_empty() {
        push("--subject", draft.subject());
    }
    match letter.body_file {
        Some(file) => push("--body-file", &path_text(file)),
        // The builder makes every line end CRLF; a plain LF keeps the
        // command readable.
        None if !draft.body().is_empty() => push("--body", &draft.body().replace("\r\n", "\n")),
        None => {}
    }
    for path in letter.attachments {
        push("--attach", &path_text(path));
    }
    if letter.repeat > 1 {
        push("--repeat", &letter.repeat.to_string());
    }
    if matches!(settings.trust, Trust::Only(_)) {
        line.push("--no-system-roots", None);
    }
    if settings.allow_insecure_auth {
        line.push("--allow-insecure-auth", None);
    }
    line.finish()
}

/// `arg` quoted for POSIX `sh`: as it is when only safe characters, else in
/// single quotes, with terminal-unsafe characters (controls other than tab
/// and line feed, bidi and invisible format characters) as
/// `"$(printf '\ooo')"` so the text shows no surprise when printed.
pub fn quote(arg: &str) -> String {
    const SAFE: &[u8] = b"@%+=:,./_-";
    if !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || SAFE.contains(&b))
    {
        return arg.to_owned();
    }
    if arg.is_empty() {
        return "''".to_owned();
    }
    let mut out = String::new();
    let mut literal = String::new();
    let mut escaped = String::new();
    for c in arg.chars() {
        if is_unsafe(c) && c != '\n' && c != '\t' {
            flush_literal(&mut literal, &mut out);
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(escaped, "\\{b:03o}");
            }
        } else {
            flush_escaped(&mut escaped, &mut out);
            literal.push(c);
        }
    }
    flush_literal(&mut literal, &mut out);
    flush_escaped(&mut escaped, &mut out);
    out
}

fn flush_literal(literal: &mut String, out: &mut String) {
    if !literal.is_empty() {
        out.push('\'');
        out.push_str(&literal.replace('\'', "'\\''"));
        out.push('\'');
        literal.clear();
    }
}

fn flush_escaped(escaped: &mut String, out: &mut String) {
    if !escaped.is_empty() {
        let _ = write!(out, "\"$(printf '{escaped}')\"");
        escaped.clear();
    }
}

#[cfg(test)]
mod tests;
