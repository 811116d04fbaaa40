//! The command line: the arguments (every setting comes from
//! [`Settings`], declared once), the layers they make with the config file,
//! and the headless commands `smtpwire send` and `smtpwire check`. Exit
//! statuses follow sysexits(3), as msmtp's do ([`exit`]).

mod check;
pub mod exit;
mod info;
mod input;
mod load;
mod print_command;
mod send;
mod sent;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use self::exit::Origin;
pub use self::{
    check::check,
    exit::Failure,
    input::read_body,
    send::{recipient_table, send},
};
use crate::{
    config,
    equivalent::Tool,
    export::TranscriptFormat,
    resolve::{self, Context, Resolved},
    settings::Settings,
};

/// smtpwire: a terminal email composer and SMTP client.
#[derive(Debug, Parser)]
#[command(name = "smtpwire", version, about, after_help = exit::SUMMARY)]
pub struct Cli {
    /// What to do; without a command, the full-screen composer opens.
    #[command(subcommand)]
    pub command: Option<CliCommand>,
    /// Options (also accepted by the composer; they override the config file).
    #[command(flatten)]
    pub options: Options,
}

impl Cli {
    /// Whether this run may open a TLS connection: not for the commands
    /// that print tables, a dry run, or `--security none` on the command
    /// line (which no config file can override). The composer may: its
    /// settings can change while it runs.
    pub fn may_use_tls(&self) -> bool {
        let plain = self.options.settings.security == Some(crate::smtp::Security::None);
        match &self.command {
            None => true,
            Some(CliCommand::Send) => !plain && !self.options.dry_run,
            Some(CliCommand::Check | CliCommand::Sent { .. }) => !plain,
            Some(
                CliCommand::Explain { .. }
                | CliCommand::Providers
                | CliCommand::Completions { .. }
                | CliCommand::Man,
            ) => false,
        }
    }
}

/// `smtpwire send OPTIONS…` alone: the same options as [`Cli`] without
/// the subcommands, parsed first for the common case. Copying every global
/// option into each of the seven subcommands is most of clap's work at
/// start-up; a one-letter send pays it for nothing. Anything this parser
/// does not take (options before `send`, an error, `--help`) goes to
/// [`Cli`], which gives the same result or the usual message.
#[derive(Debug, Parser)]
#[command(name = "smtpwire send")]
pub struct SendOnly {
    /// The options.
    #[command(flatten)]
    pub options: Options,
}

impl Cli {
    /// Parses the process's arguments: [`SendOnly`] first when the first
    /// argument is `send`, else (or when that fails) the whole definition.
    pub fn from_args() -> Result<Cli, clap::Error> {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        if args.get(1).is_some_and(|a| a == "send") {
            let rest = std::iter::once(std::ffi::OsString::from("smtpwire send"))
                .chain(args.iter().skip(2).cloned());
            if let Ok(only) = SendOnly::try_parse_from(rest) {
                return Ok(Cli {
                    command: Some(CliCommand::Send),
                    options: only.options,
                });
            }
        }
        Cli::try_parse_from(args)
    }
}

/// The headless commands.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum CliCommand {
    /// Build the letter, send it, print the transcript to stderr.
    Send,
    /// Connect, EHLO, STARTTLS, AUTH; print the capabilities; QUIT.
    Check,
    /// Explain a reply code (535), an enhanced status code (5.7.8) or a
    /// whole reply ("550 5.7.1 Relaying denied"); "-" reads a pasted reply
    /// or transcript from standard input.
    Explain {
        /// The code or the reply.
        #[arg(required = true, num_args = 1.., value_name = "CODE|REPLY")]
        query: Vec<String>,
    },
    /// Print the built-in table of mail providers' settings.
    Providers,
    /// List the copies of sent letters kept because saving them failed;
    /// with --retry, try each once (exit 0 when none waits, 75 when some do).
    Sent {
        /// Try every kept copy now.
        #[arg(long)]
        retry: bool,
    },
    /// Print shell completions: smtpwire completions bash > FILE.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): smtpwire man > smtpwire.1.
    Man,
}

/// Runs a headless command.
pub async fn run(command: &CliCommand, options: &Options) -> Result<(), Failure> {
    match command {
        CliCommand::Send => send(options).await,
        CliCommand::Check => check(options).await,
        CliCommand::Explain { query } => info::explain(query),
        CliCommand::Providers => {
            print!("{}", crate::providers::table());
            Ok(())
        }
        CliCommand::Sent { retry } => sent::sent(options, *retry).await,
        CliCommand::Completions { shell } => {
            info::completions(*shell);
            Ok(())
        }
        CliCommand::Man => info::man(),
    }
}

/// Every option: the settings, the letter, and how to run.
// The doc comments are the --help text, where Markdown backticks would show.
#[expect(clippy::doc_markdown, reason = "doc comments are the --help text")]
#[derive(Clone, Debug, Default, Args)]
pub struct Options {
    /// Config file (default: $XDG_CONFIG_HOME/smtpwire/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The account to use, an [accounts.NAME] table of the config file
    /// (default: the one whose From is at --from's domain, else
    /// default_account, else the flat settings).
    #[arg(long, global = true, value_name = "NAME")]
    pub account: Option<String>,
    /// The settings given on the command line (over the config file's).
    #[command(flatten)]
    pub settings: Settings,
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
    /// Attach a file (repeatable); read from disk while sending.
    #[arg(long, global = true, value_name = "PATH")]
    pub attach: Vec<PathBuf>,
    /// Append the transcript to this file.
    #[arg(long, global = true, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// The composer only: start with this saved log (text or JSON Lines,
    /// as Ctrl+L or --transcript wrote it) in the protocol log, to read and
    /// inspect it.
    #[arg(long, value_name = "FILE")]
    pub open_log: Option<PathBuf>,
    /// The --transcript file's format: text (as on stderr) or jsonl (JSON
    /// Lines: time, dir, stage, text, code, enhanced, `latency_ms`, gloss).
    #[arg(long, global = true, value_name = "FORMAT", value_enum,
          default_value_t = TranscriptFormat::Text, requires = "transcript")]
    pub transcript_format: TranscriptFormat,
    /// Print the swaks, curl or smtpwire command that sends this letter
    /// with these settings, and exit without sending (swaks and curl send
    /// the letter saved in --eml FILE, else in the current directory).
    #[arg(
        long,
        global = true,
        value_name = "TOOL",
        value_enum,
        conflicts_with = "dry_run"
    )]
    pub print_command: Option<Tool>,
    /// Save the exact bytes of the letter to this file.
    #[arg(long, global = true, value_name = "FILE")]
    pub eml: Option<PathBuf>,
    /// Print the letter; no network.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Send the letter N times in one session (load tests; 1 to 1000000).
    #[arg(long, global = true, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub repeat: u32,
    /// Spread --repeat's letters over N concurrent sessions (load tests; 1 to 64).
    #[arg(long, global = true, value_name = "N", default_value_t = 1, requires = "repeat",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// Print only errors and warnings, no transcript or table.
    #[arg(long, global = true)]
    pub quiet: bool,
}

/// The settings from the config file (the chosen account's) and from the
/// command line, kept apart so an error can say which one is wrong.
#[derive(Clone, Debug, Default)]
pub struct Layers {
    /// The config file's, for the chosen account.
    pub file: Settings,
    /// The command line's.
    pub command_line: Settings,
    /// The chosen account and why (`None` without a config file).
    pub account: Option<config::Account>,
    /// Every account of the config file (empty without one), for what
    /// belongs to another account, such as a kept copy's login.
    pub accounts: config::ConfigFile,
}

impl Layers {
    /// Loads the config file (an explicit `--config` must exist) and checks
    /// both layers' values.
    pub fn load(options: &Options) -> Result<Layers, Failure> {
        let path = config::config_path(options.config.as_deref())?;
        let file = config::load(&path)?;
        if options.config.is_some() && file.is_none() {
            return Err(Failure::new(
                exit::NOINPUT,
                format!("config file {} not found", path.display()),
            ));
        }
        let from_domain = options
            .settings
            .from
            .as_deref()
            .and_then(|f| crate::mail::Mailbox::parse(f).ok())
            .map(|m| m.address.domain_ascii().to_owned());
        let account = match &file {
            Some(file) => Some(
                file.choose(options.account.as_deref(), from_domain.as_deref())
                    .map_err(|e| Failure::new(exit::CONFIG, format!("error: {e}")))?,
            ),
            None if options.account.is_some() => {
                return Err(Failure::new(
                    exit::CONFIG,
                    format!(
                        "error: --account needs a config file with accounts; {} does not exist",
                        path.display()
                    ),
                ));
            }
            None => None,
        };
        let layers = Layers {
            file: account
                .as_ref()
                .map(|a| a.settings.clone())
                .unwrap_or_default(),
            command_line: options.settings.clone(),
            account,
            accounts: file.unwrap_or_default(),
        };
        layers.check()?;
        Ok(layers)
    }

    fn check(&self) -> Result<(), Failure> {
        for (layer, origin) in [
            (&self.command_line, Origin::CommandLine),
            (&self.file, Origin::File),
        ] {
            layer
                .validate()
                .map_err(|e| exit::resolve_failure(&e.into(), origin))?;
        }
        Ok(())
    }

    /// The command line over the file.
    pub fn merged(&self) -> Settings {
        self.file.overlay(&self.command_line)
    }

    /// The chosen account's name, when the config file has accounts.
    pub fn account_name(&self) -> Option<&str> {
        self.account
            .as_ref()
            .map(|a| a.name.as_str())
            .filter(|name| *name != config::FLAT)
    }

    /// The session these settings describe (see [`resolve::resolve`]).
    pub fn resolve(&self, sender_domain: Option<&str>) -> Result<Resolved, Failure> {
        let hostname = gethostname::gethostname().to_string_lossy().into_owned();
        let password_given = std::env::var_os(crate::secret_command::PASSWORD_VAR).is_some();
        let ctx = Context {
            hostname: &hostname,
            sender_domain,
            password_given,
        };
        resolve::resolve(&self.merged(), &ctx).map_err(|e| {
            // Both layers were checked already: what is left is structural.
            exit::resolve_failure(&e, Origin::CommandLine)
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    fn parse(args: &[&str]) -> Settings {
        let mut all = vec!["smtpwire"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap().options.settings
    }

    /// The short path for `send` reads every option as the whole
    /// definition does.
    #[test]
    fn send_alone_parses_as_the_whole_definition() {
        for args in [
            &[
                "--server", "mx", "--port", "2525", "--to", "a@x.org", "--attach", "f", "--attach",
                "g",
            ][..],
            &[
                "--no-system-roots",
                "--ca-file",
                "ca.pem",
                "--repeat",
                "3",
                "--parallel",
                "2",
                "--quiet",
            ],
            &[
                "--transcript",
                "t.log",
                "--transcript-format",
                "jsonl",
                "--account",
                "work",
                "--dry-run",
            ],
            &[
                "--allow-insecure-auth",
                "--auth",
                "xoauth2",
                "--sent",
                "maildir:/tmp/m",
            ],
        ] {
            let whole = Cli::try_parse_from(["smtpwire", "send"].iter().chain(args)).unwrap();
            let only = SendOnly::try_parse_from(["smtpwire send"].iter().chain(args)).unwrap();
            assert_eq!(
                format!("{:?}", whole.options),
                format!("{:?}", only.options)
            );
            assert_eq!(whole.command, Some(CliCommand::Send));
        }
    }

    /// An option not given sets nothing, so the config file's value stands;
    /// the flags set exactly what they say.
    #[test]
    fn flags_set_only_what_is_given() {
        assert_eq!(parse(&["send"]), Settings::default());
        for (args, system_roots, insecure) in [
            (&["send", "--ca-file", "ca.pem"][..], None, None),
            (
                &["send", "--no-system-roots", "--ca-file", "ca.pem"],
                Some(false),
                None,
            ),
            (&["check", "--allow-insecure-auth"], None, Some(true)),
            (&["check", "--allow-insecure-auth=false"], None, Some(false)),
        ] {
            let s = parse(args);
            assert_eq!(
                (s.system_roots, s.allow_insecure_auth),
                (system_roots, insecure),
                "{args:?}"
            );
        }
        assert!(Cli::try_parse_from(["smtpwire", "send", "--no-system-roots"]).is_err());
    }
}
