//! The thin binary: parse arguments, then run a headless command or the
//! full-screen composer.

use std::process::ExitCode;

use smtpwire::cli::{self, Cli, exit};

/// The system allocator; the composer has it clear what it frees (see
/// `smtpwire::wipe`).
#[global_allocator]
static ALLOCATOR: smtpwire::wipe::Wiping = smtpwire::wipe::Wiping;

fn main() -> ExitCode {
    let cli = match Cli::from_args() {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            // --help and --version are not errors.
            let _ = e.print();
            return ExitCode::from(if usage { exit::USAGE } else { exit::OK });
        }
    };
    // Parsing starts no thread, so this is still before any other exists.
    // Only when TLS may be used: reading /etc/ssl/certs costs a plain send
    // about a tenth of a millisecond.
    if cli.may_use_tls() && smtpwire::smtp::tls::hashed_system_roots() {
        let original = std::env::var_os(smtpwire::smtp::tls::CERT_FILE_VAR);
        // SAFETY: first thing in main, before the runtime or any other thread
        // exists, so nothing can read the environment concurrently. See
        // `hashed_system_roots` for why: the same roots, found lazily.
        #[expect(
            unsafe_code,
            reason = "the one environment change, before any thread exists"
        )]
        unsafe {
            std::env::set_var(smtpwire::smtp::tls::CERT_FILE_VAR, "/dev/null");
        }
        smtpwire::smtp::tls::note_steered(original);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::UNAVAILABLE);
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Some(command) => cli::run(command, &cli.options).await,
            None => {
                // Before the password is read: no copy of it is freed uncleared.
                smtpwire::wipe::freed_memory();
                smtpwire::tui::run(&cli.options).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // Every failure reads "error: …", whichever layer worded it.
            let message = failure.message.trim_end();
            if message.starts_with("error:") {
                eprintln!("{message}");
            } else if !message.is_empty() {
                eprintln!("error: {message}");
            }
            ExitCode::from(failure.code)
        }
    }
}
