//! Settings into a session: the one place where the layered
//! [`Settings`] (file ⊕ command line ⊕ form)
//! become a typed, checked [`Resolved`]: where to connect and how, whom to
//! trust, where the password comes from, and the identity sent in EHLO.
//!
//! Both front-ends use it, so `smtpwire send` and the composer connect the
//! same way and refuse the same things; neither decides a default itself.

use std::{path::PathBuf, time::Duration};

use crate::{
    providers::{self, Provider},
    settings::{DEFAULT_TIMEOUT, Key, SettingError, Settings},
    smtp::{AuthChoice, Credentials, Security, SessionConfig, Timeouts, tls::Tls},
};

/// Which certificates vouch for the server.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Trust {
    /// The system's roots, plus the certificates in `extra`.
    System {
        /// A PEM file of further CA certificates.
        extra: Option<PathBuf>,
    },
    /// Only the certificates in this PEM file (`system_roots = false`).
    Only(PathBuf),
}

impl Trust {
    /// The TLS settings for this trust. The CA file is read when the
    /// connector is first needed; [`Tls::check`] reads it now.
    pub fn tls(&self) -> Tls {
        match self {
            Trust::System { extra } => Tls::new(extra.as_deref()),
            Trust::Only(file) => Tls::only(file),
        }
    }
}

/// Where the password comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordSource {
    /// The front-end already has it (`SMTPWIRE_PASSWORD`, or typed into the
    /// form).
    Given,
    /// The first output line of this shell command.
    Command(String),
    /// Nowhere configured: the command line asks on the terminal, the
    /// composer asks for it in the form.
    Ask,
}

/// The login, when a user is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// The user name.
    pub user: String,
    /// Where its password comes from.
    pub password: PasswordSource,
}

/// What the resolver needs to know beyond the settings.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    /// This host's name, for the automatic HELO name.
    pub hostname: &'a str,
    /// The sender's domain (envelope sender, else From), for the automatic
    /// HELO name when the host's own name is not a domain.
    pub sender_domain: Option<&'a str>,
    /// Whether the front-end holds a password already (environment or form).
    pub password_given: bool,
}

/// Settings resolved for a session; two equal values can share one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// Server host name or IP address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// TLS mode.
    pub security: Security,
    /// The name sent in EHLO/HELO.
    pub helo: String,
    /// The command timeout (the other deadlines scale with it).
    pub timeout: Duration,
    /// Which AUTH mechanism.
    pub auth: AuthChoice,
    /// Whether AUTH may go out without TLS.
    pub allow_insecure_auth: bool,
    /// Whom to trust.
    pub trust: Trust,
    /// The login, if a user is set.
    pub login: Option<Login>,
    /// The provider whose built-in settings gave host, port and security
    /// (no server was set, and the sender's or the user's domain is one of
    /// its).
    pub provider: Option<&'static Provider>,
}

/// Why settings cannot make a session.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No server is set.
    #[error("no server given, and neither the From nor the user address is at a known provider")]
    NoServer,
    /// A value is out of bounds.
    #[error(transparent)]
    Invalid(#[from] SettingError),
    /// `system_roots = false` without a CA file: nothing could be trusted.
    #[error(
        "system_roots = false needs a ca_file: without either, no certificate could be trusted"
    )]
    NoTrust,
}

impl Error {
    /// The setting to fix.
    pub fn key(&self) -> Key {
        match self {
            Error::NoServer => Key::Server,
            Error::Invalid(e) => e.key,
            Error::NoTrust => Key::CaFile,
        }
    }
}

impl Resolved {
    /// `host:port`.
    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// What both front-ends say when the provider table chose the server.
    pub fn provider_note(&self) -> Option<String> {
        self.provider.map(|p| {
            format!(
                "no server set: using {}'s settings from the provider table, {} {}; {}",
                p.name,
                self.server(),
                self.security,
                p.must_know
            )
        })
    }

    /// The engine's configuration, with the credentials the front-end got
    /// for [`Resolved::login`].
    pub fn session_config(&self, credentials: Option<Credentials>) -> SessionConfig {
        SessionConfig {
            host: self.host.clone(),
            port: self.port,
            security: self.security,
            helo: self.helo.clone(),
            timeouts: Timeouts::scaled(self.timeout),
            credentials,
            auth: self.auth,
            allow_insecure_auth: self.allow_insecure_auth,
        }
    }
}

/// The security for these settings: as set, else implicit TLS on 465 and
/// STARTTLS elsewhere.
pub fn security(settings: &Settings) -> Security {
    settings.security.unwrap_or(if settings.port == Some(465) {
        Security::Tls
    } else {
        Security::StartTls
    })
}

/// The port for these settings: as set, else the security's usual one.
pub fn port(settings: &Settings) -> u16 {
    settings.port.unwrap_or(security(settings).default_port())
}

/// The HELO name when none is configured: the host's name if it is a fully
/// qualified domain, else the sender's domain. Never `localhost`.
pub fn default_helo(hostname: &str, sender_domain: Option<&str>) -> String {
    let fqdn = hostname.contains('.')
        && !hostname.starts_with("localhost")
        && !hostname.ends_with(".localdomain");
    if fqdn {
        return hostname.to_owned();
    }
    sender_domain
        .filter(|d| !d.is_empty())
        .map_or_else(|| format!("{hostname}.invalid"), str::to_owned)
}

/// The HELO name these settings send.
pub fn helo(settings: &Settings, ctx: &Context<'_>) -> String {
    settings
        .helo
        .clone()
        .unwrap_or_else(|| default_helo(ctx.hostname, ctx.sender_domain))
}

/// Whom these settings trust.
pub fn trust(settings: &Settings) -> Result<Trust, Error> {
    match (&settings.ca_file, settings.system_roots) {
        (Some(file), Some(false)) => Ok(Trust::Only(file.clone())),
        (None, Some(false)) => Err(Error::NoTrust),
        (extra, _) => Ok(Trust::System {
            extra: extra.clone(),
        }),
    }
}

/// The provider of the sender's domain, else of the user's, when no server
/// is set: its built-in settings stand in for host, port and security.
pub fn provider(settings: &Settings, ctx: &Context<'_>) -> Option<&'static Provider> {
    let server_set = settings
        .server
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty());
    if server_set {
        return None;
    }
    ctx.sender_domain
        .and_then(providers::for_domain)
        .or_else(|| settings.user.as_deref().and_then(providers::for_address))
}

/// Resolves layered settings into a session's configuration.
pub fn resolve(settings: &Settings, ctx: &Context<'_>) -> Result<Resolved, Error> {
    settings.validate()?;
    let provider = provider(settings, ctx);
    // The provider's endpoint fills what is not set; a port or security
    // set by hand still wins.
    let with_preset;
    let settings = match provider {
        Some(p) => {
            with_preset = Settings {
                server: Some(p.smtp.host.to_owned()),
                port: settings
                    .port
                    .or(settings.security.is_none().then_some(p.smtp.port)),
                security: settings.security.or(Some(p.smtp.security)),
                ..settings.clone()
            };
            &with_preset
        }
        None => settings,
    };
    let host = settings
        .server
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(Error::NoServer)?
        .to_owned();
    let login = settings
        .user
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|user| Login {
            user: user.to_owned(),
            password: if ctx.password_given {
                PasswordSource::Given
            } else {
                match settings.password_command.as_deref().map(str::trim) {
                    Some(command) if !command.is_empty() => {
                        PasswordSource::Command(command.to_owned())
                    }
                    _ => PasswordSource::Ask,
                }
            },
        });
    Ok(Resolved {
        host,
        port: port(settings),
        security: security(settings),
        helo: helo(settings, ctx),
        timeout: Duration::from_secs(settings.timeout.unwrap_or(DEFAULT_TIMEOUT)),
        auth: settings.auth.unwrap_or_default(),
        allow_insecure_auth: settings.allow_insecure_auth.unwrap_or(false),
        trust: trust(settings)?,
        login,
        provider,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ctx() -> Context<'static> {
        Context {
            hostname: "box",
            sender_domain: Some("example.org"),
            password_given: false,
        }
    }

    fn with(f: impl FnOnce(&mut Settings)) -> Settings {
        let mut s = Settings {
            server: Some("mail.example.org".into()),
            ..Settings::default()
        };
        f(&mut s);
        s
    }

    #[test]
    fn defaults_follow_the_security_and_the_port() {
        for (settings, security, port) in [
            (with(|_| {}), Security::StartTls, 587),
            (with(|s| s.port = Some(465)), Security::Tls, 465),
            (
                with(|s| s.security = Some(Security::None)),
                Security::None,
                25,
            ),
            (
                with(|s| {
                    s.security = Some(Security::Tls);
                    s.port = Some(2465);
                }),
                Security::Tls,
                2465,
            ),
        ] {
            let r = resolve(&settings, &ctx()).unwrap();
            assert_eq!((r.security, r.port), (security, port), "{settings:?}");
        }
    }

    #[test]
    fn helo_defaults_never_say_localhost() {
        for (host, domain, expected) in [
            ("mx1.example.net", Some("example.org"), "mx1.example.net"),
            ("box", Some("example.org"), "example.org"),
            ("localhost.localdomain", Some("example.org"), "example.org"),
            ("box", None, "box.invalid"),
            ("box", Some(""), "box.invalid"),
        ] {
            assert_eq!(default_helo(host, domain), expected);
        }
    }

    #[test]
    fn trust_and_its_refusal() {
        for (settings, expected) in [
            (with(|_| {}), Ok(Trust::System { extra: None })),
            (
                with(|s| s.ca_file = Some("ca.pem".into())),
                Ok(Trust::System {
                    extra: Some("ca.pem".into()),
                }),
            ),
            (
                with(|s| {
                    s.ca_file = Some("ca.pem".into());
                    s.system_roots = Some(false);
                }),
                Ok(Trust::Only("ca.pem".into())),
            ),
            (with(|s| s.system_roots = Some(false)), Err(Error::NoTrust)),
        ] {
            assert_eq!(resolve(&settings, &ctx()).map(|r| r.trust), expected);
        }
    }

    #[test]
    fn the_password_source() {
        let user = with(|s| s.user = Some("bob".into()));
        let command = with(|s| {
            s.user = Some("bob".into());
            s.password_command = Some("pass show mail".into());
        });
        let given = Context {
            password_given: true,
            ..ctx()
        };
        for (settings, ctx, expected) in [
            (with(|_| {}), ctx(), None),
            (user.clone(), ctx(), Some(PasswordSource::Ask)),
            (user, given, Some(PasswordSource::Given)),
            (
                command.clone(),
                ctx(),
                Some(PasswordSource::Command("pass show mail".into())),
            ),
            (command, given, Some(PasswordSource::Given)),
        ] {
            let r = resolve(&settings, &ctx).unwrap();
            assert_eq!(r.login.map(|l| l.password), expected);
        }
    }

    #[test]
    fn no_server_is_an_error_naming_the_setting() {
        let err = resolve(&Settings::default(), &ctx()).unwrap_err();
        assert_eq!(err, Error::NoServer);
        assert_eq!(err.key(), Key::Server);
    }

    proptest! {
        /// Every numeric setting, whatever the number, resolves or is
        /// refused with its key; none panics, and what resolves is in bounds.
        #[test]
        fn numbers_resolve_or_are_refused_never_panic(
            timeout in any::<u64>(),
            port in any::<u16>(),
        ) {
            let settings = with(|s| {
                s.timeout = Some(timeout);
                s.port = Some(port);
            });
            match resolve(&settings, &ctx()) {
                Ok(r) => {
                    prop_assert!((1..=crate::settings::MAX_TIMEOUT).contains(&timeout));
                    prop_assert!(port > 0);
                    let config = r.session_config(None);
                    prop_assert!(config.timeouts.data_end >= config.timeouts.command);
                }
                Err(e) => prop_assert!(matches!(e.key(), Key::Timeout | Key::Port)),
            }
        }
    }
}
