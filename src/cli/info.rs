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
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::new(exit::NOINPUT, format!("cannot read standard input: {e}")))?;
        text
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
