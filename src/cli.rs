//! The command line: options shared by the UI and the headless commands,
//! settings resolution (options over the config file over defaults), and
//! `smtpwire send` / `smtpwire check` with sysexits exit codes.

use std::{
    fmt::Write as _,
    fs::File,
    io::{IsTerminal as _, Read as _, Write as _},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use clap::{Args, Parser, Subcommand};

use crate::{
    config::{self, Settings},
    mail::{self, Draft, DraftInput, LintContext},
    smtp::{
        self, Advice, AuthChoice, Credentials, Delivery, Event, Security, Session, SessionConfig,
        Severity, Timeouts, Transcript,
    },
    submit,
};

/// sysexits(3) codes, as msmtp uses them.
pub mod exit {
    /// Every recipient accepted.
    pub const OK: u8 = 0;
    /// Wrong usage.
    pub const USAGE: u8 = 64;
    /// Bad input: an address or header.
    pub const DATAERR: u8 = 65;
    /// An input file is missing.
    pub const NOINPUT: u8 = 66;
    /// The service is unavailable: connect failed, permanent 5xx.
    pub const UNAVAILABLE: u8 = 69;
    /// An output file cannot be created.
    pub const CANTCREAT: u8 = 73;
    /// A temporary failure: 4xx, timeout, connection lost.
    pub const TEMPFAIL: u8 = 75;
    /// The server broke the protocol.
    pub const PROTOCOL: u8 = 76;
    /// Authentication failed.
    pub const NOPERM: u8 = 77;
    /// A configuration error.
    pub const CONFIG: u8 = 78;
}

const EXIT_CODES: &str = "Exit status: 0 every recipient accepted, 64 usage, 65 bad address or header, \
66 input file missing, 69 unavailable (connect failed, permanent 5xx), 73 cannot write an output file, \
75 temporary failure (4xx, timeout, connection lost), 76 protocol error, 77 authentication failed, \
78 configuration error.\n\nThe password comes from SMTPWIRE_PASSWORD, --password-command, or a prompt \
on the terminal; never from a flag or the config file.";

/// smtpwire: a terminal email composer and SMTP client.
#[derive(Debug, Parser)]
#[command(name = "smtpwire", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do; without a command, the full-screen composer opens.
    #[command(subcommand)]
    pub command: Option<CliCommand>,
    /// Options (also accepted by the composer; they override the config file).
    #[command(flatten)]
    pub options: Options,
}

/// The headless commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Subcommand)]
pub enum CliCommand {
    /// Build the letter, send it, print the transcript to stderr.
    Send,
    /// Connect, EHLO, STARTTLS, AUTH; print the capabilities; QUIT.
    Check,
}

/// Every option of DESIGN.md's CLI.
#[derive(Clone, Debug, Default, Args)]
pub struct Options {
    /// Config file (default: $XDG_CONFIG_HOME/smtpwire/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// SMTP server host name or IP address.
    #[arg(long, global = true, value_name = "HOST")]
    pub server: Option<String>,
    /// Server port (default by security: 25, 587, 465).
    #[arg(long, global = true, value_name = "N")]
    pub port: Option<u16>,
    /// none | starttls | tls (default starttls; tls on port 465).
    #[arg(long, global = true, value_name = "MODE")]
    pub security: Option<Security>,
    /// The domain sent in EHLO/HELO (default: this host's FQDN, else From's domain).
    #[arg(long, global = true, value_name = "DOMAIN")]
    pub helo: Option<String>,
    /// Envelope sender for MAIL FROM (default: From's address).
    #[arg(long, global = true, value_name = "ADDR")]
    pub envelope_from: Option<String>,
    /// The From mailbox, e.g. "Alice <alice@example.org>".
    #[arg(long, global = true, value_name = "MAILBOX")]
    pub from: Option<String>,
    /// Recipient (repeatable; comma lists allowed).
    #[arg(long, global = true, value_name = "ADDR")]
    pub to: Vec<String>,
    /// Copy recipient (repeatable; comma lists allowed).
    #[arg(long, global = true, value_name = "ADDR")]
    pub cc: Vec<String>,
    /// Blind copy recipient: in the envelope, never in a header.
    #[arg(long, global = true, value_name = "ADDR")]
    pub bcc: Vec<String>,
    /// Subject.
    #[arg(long, global = true, value_name = "TEXT")]
    pub subject: Option<String>,
    /// The body text.
    #[arg(long, global = true, value_name = "TEXT", conflicts_with = "body_file")]
    pub body: Option<String>,
    /// Read the body from a file ("-" = standard input).
    #[arg(long, global = true, value_name = "PATH")]
    pub body_file: Option<PathBuf>,
    /// Login name.
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,
    /// A command whose first output line is the password.
    #[arg(long, global = true, value_name = "CMD")]
    pub password_command: Option<String>,
    /// auto | login | plain.
    #[arg(long, global = true, value_name = "MECH")]
    pub auth: Option<AuthChoice>,
    /// Allow AUTH on a connection without TLS (the password goes out readable).
    #[arg(long, global = true)]
    pub allow_insecure_auth: bool,
    /// Extra CA certificates (PEM) to trust, besides the system's.
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Trust only the --ca-file certificates, not the system's (like curl's
    /// --cacert; also skips loading the system bundle).
    #[arg(long, global = true, requires = "ca_file")]
    pub no_system_roots: bool,
    /// Command timeout in seconds; the other deadlines scale with it (default 300).
    #[arg(long, global = true, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Append the transcript to this file.
    #[arg(long, global = true, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// Save the exact bytes of the letter to this file.
    #[arg(long, global = true, value_name = "FILE")]
    pub eml: Option<PathBuf>,
    /// Print the letter; no network.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Send the letter N times in one session (load tests).
    #[arg(long, global = true, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Print only errors and warnings, no transcript or table.
    #[arg(long, global = true)]
    pub quiet: bool,
}

impl Options {
    /// The options as config-file settings, to lay over the file's.
    pub fn as_settings(&self) -> Settings {
        Settings {
            server: self.server.clone(),
            port: self.port,
            security: self.security,
            helo: self.helo.clone(),
            envelope_from: self.envelope_from.clone(),
            from: self.from.clone(),
            user: self.user.clone(),
            auth: self.auth,
            timeout: self.timeout,
            ca_file: self.ca_file.clone(),
            password_command: self.password_command.clone(),
            allow_insecure_auth: self.allow_insecure_auth.then_some(true),
            system_roots: self.no_system_roots.then_some(false),
        }
    }
}

/// A failure of a headless command: what to print and the exit status.
#[derive(Debug)]
pub struct Failure {
    /// Exit status (see [`exit`]).
    pub code: u8,
    /// The message, one or more lines.
    pub message: String,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// Settings with the command line laid over the config file.
pub fn settings(options: &Options) -> Result<(Settings, PathBuf), Failure> {
    let path = config::config_path(options.config.as_deref())
        .map_err(|e| Failure::new(exit::CONFIG, e.to_string()))?;
    let file = match config::load(&path) {
        Ok(file) => file.unwrap_or_default(),
        Err(e) => return Err(Failure::new(exit::CONFIG, e.to_string())),
    };
    if options.config.is_some() && !path.exists() {
        return Err(Failure::new(
            exit::NOINPUT,
            format!("config file {} not found", path.display()),
        ));
    }
    Ok((file.overlay(&options.as_settings()), path))
}

/// The HELO name when none is configured: this host's name if it is a fully
/// qualified domain, else the sender's domain. Never `localhost`.
pub fn default_helo(sender_domain: Option<&str>) -> String {
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    default_helo_for(&host, sender_domain)
}

/// [`default_helo`] for a given host name: pure, so the UI can show (and
/// test) the name it will send without reading the system's.
pub fn default_helo_for(host: &str, sender_domain: Option<&str>) -> String {
    let fqdn =
        host.contains('.') && !host.starts_with("localhost") && !host.ends_with(".localdomain");
    if fqdn {
        return host.to_owned();
    }
    sender_domain
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{host}.invalid"))
}

/// The engine's configuration from resolved settings.
pub fn session_config(
    settings: &Settings,
    sender_domain: Option<&str>,
    credentials: Option<Credentials>,
) -> Result<SessionConfig, Failure> {
    let Some(host) = settings.server.clone().filter(|s| !s.trim().is_empty()) else {
        return Err(Failure::new(
            exit::USAGE,
            "no server given: use --server HOST or set server in the config file",
        ));
    };
    let security = settings.security.unwrap_or(if settings.port == Some(465) {
        Security::Tls
    } else {
        Security::StartTls
    });
    let config = SessionConfig {
        host,
        port: settings.port.unwrap_or(security.default_port()),
        security,
        helo: settings
            .helo
            .clone()
            .unwrap_or_else(|| default_helo(sender_domain)),
        timeouts: Timeouts::scaled(Duration::from_secs(settings.timeout.unwrap_or(300).max(1))),
        credentials,
        auth: settings.auth.unwrap_or_default(),
        allow_insecure_auth: settings.allow_insecure_auth.unwrap_or(false),
    };
    config
        .validate()
        .map_err(|e| Failure::new(exit::CONFIG, e))?;
    Ok(config)
}

/// The password for `user`: `SMTPWIRE_PASSWORD`, the password command, or a
/// prompt on the terminal, in that order.
pub fn password(user: &str, command: Option<&str>) -> Result<String, Failure> {
    if let Some(password) = std::env::var_os("SMTPWIRE_PASSWORD") {
        let password = password
            .into_string()
            .map_err(|_| Failure::new(exit::CONFIG, "SMTPWIRE_PASSWORD is not valid UTF-8"))?;
        if password.is_empty() {
            return Err(Failure::new(
                exit::CONFIG,
                "SMTPWIRE_PASSWORD is set but empty",
            ));
        }
        return Ok(password);
    }
    if let Some(command) = command {
        return run_password_command(command);
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("Password for {user}: "))
            .map_err(|e| Failure::new(exit::CONFIG, format!("cannot read the password: {e}")));
    }
    Err(Failure::new(
        exit::CONFIG,
        format!(
            "a password is needed for {user}: set SMTPWIRE_PASSWORD, use --password-command, \
             or run on a terminal to be asked"
        ),
    ))
}

/// Runs the password command with `sh -c`; its first output line is the
/// password. Its output is never shown, even on failure.
pub fn run_password_command(command: &str) -> Result<String, Failure> {
    let mut child = std::process::Command::new("sh");
    // The variable is smtpwire's own shortcut; the command's tools (curl,
    // gpg…) must see the environment the user gave.
    match smtp::tls::steered() {
        Some(Some(original)) => {
            child.env(smtp::tls::CERT_FILE_VAR, original);
        }
        Some(None) => {
            child.env_remove(smtp::tls::CERT_FILE_VAR);
        }
        None => {}
    }
    let output = child
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| {
            Failure::new(
                exit::CONFIG,
                format!("cannot run the password command: {e}"),
            )
        })?;
    if !output.status.success() {
        return Err(Failure::new(
            exit::CONFIG,
            format!("the password command failed ({})", output.status),
        ));
    }
    let text = zeroize::Zeroizing::new(String::from_utf8(output.stdout).map_err(|_| {
        Failure::new(
            exit::CONFIG,
            "the password command printed something that is not UTF-8",
        )
    })?);
    let first = text.lines().next().unwrap_or_default();
    if first.is_empty() {
        return Err(Failure::new(
            exit::CONFIG,
            "the password command printed an empty line",
        ));
    }
    Ok(first.to_owned())
}

/// What the user can do, in command-line words.
pub fn advice_text(advice: Advice) -> &'static str {
    match advice {
        Advice::CheckLogin => {
            "check the user name (--user) and the password (SMTPWIRE_PASSWORD or --password-command)"
        }
        Advice::GiveLogin => {
            "the server wants a login first: give --user (the password comes from SMTPWIRE_PASSWORD, --password-command or a prompt)"
        }
        Advice::UseStartTls => "the server requires TLS first: use --security starttls",
        Advice::UseImplicitTls => {
            "no greeting arrived: if this port speaks implicit TLS (usually 465), use --security tls"
        }
        Advice::UseStartTlsNotImplicit => {
            "this port does not speak TLS from the start: use --security starttls (usually port 587)"
        }
        Advice::NoStartTls => {
            "use --security tls if the server has an implicit-TLS port (465), or --security none to send unencrypted knowingly"
        }
        Advice::TrustCa => {
            "the server's certificate is not trusted: give its CA certificate with --ca-file PEM"
        }
        Advice::CheckHostName => {
            "the certificate does not name this host: connect by a name it does name (--server)"
        }
        Advice::CertificateExpired => {
            "the server's certificate has expired: tell the server's administrator"
        }
        Advice::UseTlsForAuth => {
            "use --security starttls or tls; --allow-insecure-auth would send the password readable"
        }
        Advice::OtherMechanism => {
            "pick a mechanism the server offers with --auth (auto, login or plain)"
        }
        Advice::CheckServer => {
            "check the host name and port, that the server runs, and that no firewall is in the way"
        }
        Advice::RaiseTimeout => "the server is slow or gone: try again, or raise --timeout",
        Advice::MayBeDelivered => {
            "the letter may already have been delivered; check before sending it again (smtpwire never retries after the final dot)"
        }
        Advice::TryLater => "a temporary failure: try again later",
    }
}

/// The exit status for an engine error.
pub fn exit_code(e: &smtp::Error) -> u8 {
    use smtp::Error as E;
    match e {
        E::AuthFailed { .. } if e.is_transient() => exit::TEMPFAIL,
        E::AuthFailed { .. } | E::AuthLoop { .. } => exit::NOPERM,
        E::InsecureAuth | E::Config(_) => exit::CONFIG,
        E::TlsSetup(setup) => setup_exit_code(setup),
        E::Malformed { .. } | E::ReplyTooLong { .. } | E::StartTlsInjection => exit::PROTOCOL,
        E::BadAddress(_) => exit::DATAERR,
        _ if e.is_transient() => exit::TEMPFAIL,
        _ => exit::UNAVAILABLE,
    }
}

/// `error: …` plus `hint: …` lines for an engine error. `logged_in` says
/// whether AUTH was done: a policy refusal (5.7.x) of a sender or recipient
/// without a login usually means the server wants one.
pub fn describe(e: &smtp::Error, logged_in: bool) -> String {
    let mut out = format!("error: {e}");
    let policy = e
        .reply()
        .and_then(smtp::Reply::enhanced)
        .is_some_and(|smtp::Enhanced(class, subject, _)| class == 5 && subject == 7);
    let advice = e.advice().or_else(|| {
        (!logged_in && policy && matches!(e.stage(), Some(smtp::Stage::Mail | smtp::Stage::Rcpt)))
            .then_some(Advice::GiveLogin)
    });
    if let Some(advice) = advice {
        let _ = write!(out, "\nhint: {}", advice_text(advice));
    }
    out
}

/// Reads the body from `--body`, `--body-file` (`-` = stdin), or nothing.
pub fn read_body(options: &Options) -> Result<String, Failure> {
    if let Some(body) = &options.body {
        return Ok(body.clone());
    }
    let Some(path) = &options.body_file else {
        return Ok(String::new());
    };
    let mut raw = Vec::new();
    let result = if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut raw).map(drop)
    } else {
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut raw))
            .map(drop)
    };
    if let Err(e) = result {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            exit::NOINPUT
        } else {
            exit::DATAERR
        };
        return Err(Failure::new(
            code,
            format!("cannot read the body from {}: {e}", path.display()),
        ));
    }
    String::from_utf8(raw).map_err(|e| {
        Failure::new(
            exit::DATAERR,
            format!(
                "the body in {} is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// A body file being scanned in the background while the session opens.
type Scanning = tokio::task::JoinHandle<Result<mail::FileBody, mail::FileBodyError>>;

/// The body as `send` uses it: a named file is read twice by the letter
/// builder (to scan it, then while sending) and never held whole; text and
/// standard input are held in the draft. The file is opened now, so a wrong
/// path fails before any connection, and scanned on a blocking thread, so
/// the scan overlaps the network's round trips.
fn start_file_body(options: &Options) -> Result<Option<Scanning>, Failure> {
    match &options.body_file {
        Some(path) if options.body.is_none() && path != Path::new("-") => {
            if let Err(source) = File::open(path) {
                return Err(file_body_failure(mail::FileBodyError::Read {
                    path: path.display().to_string(),
                    source,
                }));
            }
            let path = path.clone();
            Ok(Some(tokio::task::spawn_blocking(move || {
                mail::FileBody::open(&path)
            })))
        }
        _ => Ok(None),
    }
}

/// Waits for the scan started by [`start_file_body`].
async fn finish_file_body(scanning: Option<Scanning>) -> Result<Option<mail::FileBody>, Failure> {
    let Some(task) = scanning else {
        return Ok(None);
    };
    match task.await {
        Ok(result) => result.map(Some).map_err(file_body_failure),
        Err(e) => Err(Failure::new(
            exit::DATAERR,
            format!("error: reading the body failed: {e}"),
        )),
    }
}

fn file_body_failure(e: mail::FileBodyError) -> Failure {
    let code = match &e {
        mail::FileBodyError::Read { source, .. }
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            exit::NOINPUT
        }
        _ => exit::DATAERR,
    };
    Failure::new(code, format!("error: {e}"))
}

/// Validates the letter; every field error at once. With a file body the
/// draft's own body stays empty.
fn draft(options: &Options, settings: &Settings, file_body: bool) -> Result<Draft, Failure> {
    let input = DraftInput {
        from: settings.from.clone().unwrap_or_default(),
        to: options.to.join(", "),
        cc: options.cc.join(", "),
        bcc: options.bcc.join(", "),
        subject: options.subject.clone().unwrap_or_default(),
        body: if file_body {
            String::new()
        } else {
            read_body(options)?
        },
        envelope_from: settings.envelope_from.clone().unwrap_or_default(),
    };
    Draft::parse_owned(input).map_err(|errors| {
        let message = errors
            .iter()
            .map(|e| format!("error: {e}"))
            .collect::<Vec<_>>()
            .join("\n");
        Failure::new(exit::DATAERR, message)
    })
}

/// Opens the transcript file for appending (mode 0600 when created).
fn open_transcript(path: &Path) -> Result<File, Failure> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            Failure::new(
                exit::CANTCREAT,
                format!("cannot open the transcript file {}: {e}", path.display()),
            )
        })
}

/// The CLI's transcript: lines to stderr (unless quiet) and to the file.
fn printer(quiet: bool, mut file: Option<File>) -> Transcript {
    Transcript::new(move |event| {
        let Event::Line(line) = event else { return };
        let text = line.to_string();
        if !quiet {
            // stderr going away is no reason to stop sending.
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        }
        if let Some(f) = &mut file
            && writeln!(f, "{text}").is_err()
        {
            eprintln!("warning: writing the transcript file failed; it stops here");
            file = None;
        }
    })
}

/// Credentials if a user is configured (asking for the password as needed).
fn credentials(settings: &Settings) -> Result<Option<Credentials>, Failure> {
    match settings.user.as_deref().filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(user) => {
            let password = password(user, settings.password_command.as_deref())?;
            Ok(Some(Credentials::new(user, password)))
        }
    }
}

/// TLS settings; the CA file is checked now (so a typo fails before any
/// connection), the system roots are loaded only if TLS is used.
fn tls(settings: &Settings) -> Result<smtp::tls::Tls, Failure> {
    let tls = match (&settings.ca_file, settings.system_roots) {
        (Some(ca_file), Some(false)) => smtp::tls::Tls::only(ca_file),
        (None, Some(false)) => {
            return Err(Failure::new(
                exit::CONFIG,
                "system_roots = false needs a ca_file: without either, no certificate could be trusted",
            ));
        }
        (ca_file, _) => smtp::tls::Tls::new(ca_file.as_deref()),
    };
    tls.check()
        .map_err(|e| Failure::new(setup_exit_code(&e), e.to_string()))?;
    Ok(tls)
}

fn setup_exit_code(e: &smtp::tls::SetupError) -> u8 {
    match e {
        smtp::tls::SetupError::Read { .. } => exit::NOINPUT,
        _ => exit::CONFIG,
    }
}

fn save_eml(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    config::write_private(path, bytes).map_err(|e| {
        Failure::new(
            exit::CANTCREAT,
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

/// `smtpwire send`.
pub async fn send(options: &Options) -> Result<(), Failure> {
    let (settings, _) = settings(options)?;
    let scanning = start_file_body(options)?;
    let draft = draft(options, &settings, scanning.is_some())?;
    let envelope = draft.envelope();
    let sender_domain = envelope.from.domain_ascii().to_owned();
    let helo_preview = settings
        .helo
        .clone()
        .unwrap_or_else(|| default_helo(Some(&sender_domain)));
    let warnings = mail::lint(
        &draft,
        &LintContext {
            helo: Some(&helo_preview),
            size_limit: None,
        },
    );
    // The draft's own body is empty when the body is in a file; that one is
    // judged once its scan is done.
    let body_in_file = scanning.is_some();
    for warning in &warnings {
        if !(body_in_file && matches!(warning, mail::Warning::EmptyBody)) {
            eprintln!("warning: {warning}");
        }
    }
    let blank_file_warning = |file: &Option<mail::FileBody>| {
        if file.as_ref().is_some_and(mail::FileBody::is_blank) {
            eprintln!("warning: {}", mail::Warning::EmptyBody);
        }
    };
    let count = options.repeat as usize;
    if options.dry_run {
        let file = finish_file_body(scanning).await?;
        blank_file_warning(&file);
        let stamp = mail::Stamp::now();
        let outgoing = submit::letter_for(&draft, file.as_ref(), &stamp, None)
            .map_err(|e| Failure::new(exit::DATAERR, format!("error: {e}")))?;
        let unreadable = |e: std::io::Error| {
            Failure::new(exit::DATAERR, format!("error: cannot read the body: {e}"))
        };
        if let Some(path) = &options.eml {
            save_eml(path, &outgoing.letter().to_bytes().map_err(unreadable)?)?;
        }
        if !options.quiet {
            eprintln!(
                "dry run: the letter as built for a server offering 8BITMIME and SMTPUTF8 ({} bytes; envelope MAIL FROM:<{}> RCPT TO:{})",
                outgoing.letter().len(),
                envelope.from,
                envelope
                    .recipients
                    .iter()
                    .map(|r| format!("<{r}>"))
                    .collect::<Vec<_>>()
                    .join(",")
            );
        }
        // Streamed: a large letter is never held whole.
        let mut stdout = std::io::stdout().lock();
        for chunk in outgoing.letter().chunks() {
            stdout.write_all(&chunk.map_err(unreadable)?).map_err(|e| {
                Failure::new(
                    exit::CANTCREAT,
                    format!("cannot write to standard output: {e}"),
                )
            })?;
        }
        return Ok(());
    }

    let transcript_file = options
        .transcript
        .as_deref()
        .map(open_transcript)
        .transpose()?;
    let tls = tls(&settings)?;
    let credentials = credentials(&settings)?;
    let config = session_config(&settings, Some(&sender_domain), credentials)?;
    let logged_in = config.credentials.is_some();
    let started = Instant::now();
    let mut session = Session::connect(&config, &tls, printer(options.quiet, transcript_file))
        .await
        .map_err(|e| Failure::new(exit_code(&e), describe(&e, logged_in)))?;
    let file = match finish_file_body(scanning).await {
        Ok(file) => file,
        Err(failure) => {
            // The letter cannot go; leave the server politely.
            let _ = session.quit().await;
            return Err(failure);
        }
    };
    blank_file_warning(&file);

    let caps = session.capabilities().clone();
    let stamps = submit::stamps(count);
    let prepared = submit::envelope_for(&draft, &caps).and_then(|env| {
        let letters = stamps
            .iter()
            .map(|stamp| submit::letter_for(&draft, file.as_ref(), stamp, Some(&caps)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((env, letters))
    });
    let (wire_envelope, letters) = match prepared {
        Ok(p) => p,
        Err(e) => {
            // The server lacks what the letter needs (SMTPUTF8); end politely.
            let code = if matches!(e, mail::Error::NeedsSmtpUtf8 { .. }) {
                exit::UNAVAILABLE
            } else {
                exit::DATAERR
            };
            let _ = session.quit().await;
            return Err(Failure::new(code, format!("error: {e}")));
        }
    };
    // A letter over the server's SIZE is refused by the engine before MAIL
    // FROM, with both sizes in the message; no separate lint pass here.
    if let (Some(path), Some(first)) = (&options.eml, letters.first()) {
        let bytes = first.letter().to_bytes().map_err(|e| {
            Failure::new(exit::DATAERR, format!("error: cannot read the body: {e}"))
        })?;
        save_eml(path, &bytes)?;
    }
    let results = session
        .send_many(letters.iter().map(|letter| (&wire_envelope, letter)))
        .await;
    if !session.is_broken() {
        // A failed QUIT is in the transcript; the letters' fate is what counts.
        let _ = session.quit().await;
    }
    report(
        options,
        &letters,
        &results,
        count,
        started.elapsed(),
        logged_in,
    )
}

/// Prints the per-recipient table (or a summary for `--repeat`) and picks
/// the exit status.
fn report(
    options: &Options,
    letters: &[submit::Outgoing<'_>],
    results: &[Result<Delivery, smtp::Error>],
    count: usize,
    elapsed: Duration,
    logged_in: bool,
) -> Result<(), Failure> {
    let mut out = String::new();
    if count == 1 {
        if let (Some(Ok(delivery)), Some(letter)) = (results.first(), letters.first()) {
            out.push_str(&recipient_table(delivery));
            let _ = writeln!(
                out,
                "letter: {} bytes, Message-ID {}{}",
                smtp::connection::group_digits(letter.letter().len()),
                letter.letter().message_id(),
                delivery
                    .queue_id()
                    .map(|id| format!(", queued as {id}"))
                    .unwrap_or_default()
            );
        }
    } else {
        let delivered = results.iter().filter(|r| r.is_ok()).count();
        let secs = elapsed.as_secs_f64().max(1e-9);
        let _ = writeln!(
            out,
            "{delivered} of {count} letters accepted in {:.2} s ({:.0} letters/s)",
            secs,
            delivered as f64 / secs
        );
    }
    if !options.quiet {
        eprint!("{out}");
    }
    // The first failure decides the status; partial refusals count too.
    for result in results {
        match result {
            Err(e) => return Err(Failure::new(exit_code(e), describe(e, logged_in))),
            Ok(delivery) => {
                if let Some(refused) = delivery.refused().next() {
                    let code = if delivery
                        .refused()
                        .any(|r| r.reply.severity() == Severity::TransientNegative)
                    {
                        exit::TEMPFAIL
                    } else {
                        exit::UNAVAILABLE
                    };
                    let n = delivery.refused().count();
                    return Err(Failure::new(
                        code,
                        format!(
                            "error: {n} recipient(s) refused, e.g. <{}>: {}",
                            refused.address, refused.reply
                        ),
                    ));
                }
            }
        }
    }
    if results.len() < count {
        return Err(Failure::new(
            exit::TEMPFAIL,
            format!(
                "error: only {} of {count} letters were tried before the session broke",
                results.len()
            ),
        ));
    }
    Ok(())
}

/// `recipient  result  server reply` lines.
pub fn recipient_table(delivery: &Delivery) -> String {
    let width = delivery
        .recipients
        .iter()
        .map(|r| r.address.chars().count())
        .max()
        .unwrap_or(9)
        .max(9);
    let mut out = format!(
        "{:width$}  {:8}  {}\n",
        "recipient", "result", "server reply"
    );
    for r in &delivery.recipients {
        let verdict = if r.accepted() { "accepted" } else { "refused" };
        let _ = writeln!(out, "{:width$}  {verdict:8}  {}", r.address, r.reply);
    }
    out
}

/// `smtpwire check`.
pub async fn check(options: &Options) -> Result<(), Failure> {
    let (settings, _) = settings(options)?;
    let sender_domain = settings
        .envelope_from
        .as_deref()
        .or(settings.from.as_deref())
        .and_then(|s| mail::Mailbox::parse(s).ok())
        .map(|m| m.address.domain_ascii().to_owned());
    let transcript_file = options
        .transcript
        .as_deref()
        .map(open_transcript)
        .transpose()?;
    let tls = tls(&settings)?;
    let credentials = credentials(&settings)?;
    let user = credentials.as_ref().map(|c| c.username().to_owned());
    let config = session_config(&settings, sender_domain.as_deref(), credentials)?;
    let logged_in = config.credentials.is_some();
    let session = Session::connect(&config, &tls, printer(options.quiet, transcript_file))
        .await
        .map_err(|e| Failure::new(exit_code(&e), describe(&e, logged_in)))?;
    let caps = session.capabilities();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "server      {}:{} ({})",
        config.host, config.port, caps.server_name
    );
    let _ = writeln!(
        out,
        "security    {}",
        match session.tls_description() {
            Some(cert) => format!(
                "{} ({cert})",
                if config.security == Security::Tls {
                    "implicit TLS"
                } else {
                    "STARTTLS"
                }
            ),
            None => "none: the session is not encrypted".to_owned(),
        }
    );
    let _ = writeln!(
        out,
        "login       {}",
        match &user {
            Some(user) => format!("{user}: accepted"),
            None => "(no user given)".to_owned(),
        }
    );
    for (i, line) in caps.summary().iter().enumerate() {
        let _ = writeln!(
            out,
            "{}{line}",
            if i == 0 {
                "offers      "
            } else {
                "            "
            }
        );
    }
    let quit = session.quit().await;
    print!("{out}");
    quit.map(drop)
        .map_err(|e| Failure::new(exit_code(&e), describe(&e, logged_in)))
}
