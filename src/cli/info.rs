//! The commands that only print: `explain`, `completions` and `man`
//! (`providers` prints the provider table's own text).

use std::io::{Read as _, Write as _};

use clap::CommandFactory as _;

use super::{
    Cli,
    exit::{self, Failure},
};
use crate::{explain, smtp::visible::visible};

/// `smtpwire explain CODE|REPLY` (or `-` for standard input): the reply as
/// read, then what the tables say about it.
pub(super) fn explain(query: &[String]) -> Result<(), Failure> {
    let text = if query == ["-"] {
        // A pasted transcript may hold a server's invalid UTF-8: read it
        // anyway (shown made visible below), at most 1 MiB.
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(1 << 20)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                Failure::new(
                    exit::NOINPUT,
                    format!("error: cannot read standard input: {e}"),
                )
            })?;
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        query.join(" ")
    };
    let parsed = explain::parse_query(&text)
        .map_err(|reason| Failure::new(exit::USAGE, format!("error: {reason}")))?;
    let mut out = String::new();
    if let explain::Query::Reply(reply) = &parsed {
        // Pasted text may hold escapes; it is shown made visible.
        for line in reply.wire_lines() {
            out.push_str(&visible(&line));
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(&explain::render(&parsed.explain(), exit::setting_name));
    print!("{out}");
    Ok(())
}

/// `smtpwire completions SHELL`.
pub(super) fn completions(shell: clap_complete::Shell) {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "smtpwire", &mut std::io::stdout());
}

/// `smtpwire man`: one page that lists the subcommands and every option.
pub(super) fn man() -> Result<(), Failure> {
    let page = clap_mangen::Man::new(Cli::command());
    let mut out = Vec::new();
    page.render(&mut out)
        .map_err(|e| Failure::new(exit::CANTCREAT, format!("cannot render the man page: {e}")))?;
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| Failure::new(exit::CANTCREAT, format!("cannot write the man page: {e}")))
}
