//! `smtpwire check`: connect, EHLO, STARTTLS, AUTH as configured, print what
//! the server offers, QUIT.

use std::fmt::Write as _;

use super::{Layers, Options, exit::Failure, input};
use crate::{
    mail,
    smtp::{Security, Session},
};

/// `smtpwire check`.
pub async fn check(options: &Options) -> Result<(), Failure> {
    let layers = Layers::load(options)?;
    let settings = layers.merged();
    let sender_domain = settings
        .envelope_from
        .as_deref()
        .or(settings.from.as_deref())
        .and_then(|s| mail::Mailbox::parse(s).ok())
        .map(|m| m.address.domain_ascii().to_owned());
    let resolved = layers.resolve(sender_domain.as_deref())?;
    let transcript_file = options
        .transcript
        .as_deref()
        .map(input::open_transcript)
        .transpose()?;
    let tls = resolved.trust.tls();
    tls.check()?;
    let credentials = input::credentials(resolved.login.as_ref())?;
    let user = credentials.as_ref().map(|c| c.username().to_owned());
    let logged_in = credentials.is_some();
    let config = resolved.session_config(credentials);
    let session = Session::connect(
        &config,
        &tls,
        input::printer(options.quiet, transcript_file, options.transcript_format),
    )
    .await
    .map_err(|e| Failure::engine(&e, logged_in))?;
    let caps = session.capabilities();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "server      {} ({})",
        resolved.server(),
        caps.server_name
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
    quit.map(drop).map_err(|e| Failure::engine(&e, logged_in))
}
