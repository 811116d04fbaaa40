//! What a session needs before it connects: the server, the TLS mode, the
//! HELO name, the deadlines and the login, checked before anything reaches
//! the wire.

use std::fmt;

use super::{
    auth::{AuthChoice, Credentials},
    connection::Timeouts,
};

/// How the connection is protected (cf. lettre's `Tls`; there is no
/// "opportunistic" mode, because it silently falls back to plain text).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain text; STARTTLS is not used even if offered.
    None,
    /// STARTTLS, required: no TLS, no session.
    #[default]
    StartTls,
    /// Implicit TLS from the first byte (port 465).
    Tls,
}

impl Security {
    /// The usual port: 25, 587 or 465.
    pub fn default_port(self) -> u16 {
        match self {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        }
    }

    /// Every mode, in the order the UI cycles through them.
    pub const ALL: [Security; 3] = [Security::StartTls, Security::Tls, Security::None];
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Security::None => "none",
            Security::StartTls => "starttls",
            Security::Tls => "tls",
        })
    }
}

impl std::str::FromStr for Security {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "plain" => Ok(Security::None),
            "starttls" => Ok(Security::StartTls),
            "tls" | "ssl" | "smtps" => Ok(Security::Tls),
            other => Err(format!(
                "unknown security {other:?} (expected none, starttls or tls)"
            )),
        }
    }
}

/// Everything needed to open a session.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Server host name or IP address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// TLS mode.
    pub security: Security,
    /// The name sent in EHLO/HELO: a fully qualified domain.
    pub helo: String,
    /// Deadlines.
    pub timeouts: Timeouts,
    /// Log in with these, if given.
    pub credentials: Option<Credentials>,
    /// Which AUTH mechanism.
    pub auth: AuthChoice,
    /// Allow AUTH without TLS (off by default: refused before any secret is sent).
    pub allow_insecure_auth: bool,
}

impl SessionConfig {
    /// Checks what the engine would otherwise put on the wire unchecked.
    pub fn validate(&self) -> Result<(), String> {
        if self.host.trim().is_empty() {
            return Err("no server host given".to_owned());
        }
        if self
            .host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "server host {:?} contains spaces or control characters",
                self.host
            ));
        }
        if self.port == 0 {
            return Err("port 0 is not a valid port".to_owned());
        }
        if self.helo.is_empty()
            || self
                .helo
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        {
            return Err(format!("HELO name {:?} is not a domain name", self.helo));
        }
        if let Some(c) = &self.credentials
            && (c.username().is_empty() || c.username().chars().any(char::is_control))
        {
            return Err("the user name is empty or contains control characters".to_owned());
        }
        Ok(())
    }

    /// The host without IPv6 brackets, for DNS and certificate checks.
    pub fn bare_host(&self) -> &str {
        self.host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_names() {
        for (text, security) in [
            ("none", Security::None),
            ("STARTTLS", Security::StartTls),
            ("tls", Security::Tls),
            ("ssl", Security::Tls),
        ] {
            assert_eq!(text.parse::<Security>(), Ok(security));
        }
        assert!("opportunistic".parse::<Security>().is_err());
        assert_eq!(Security::Tls.default_port(), 465);
    }

    #[test]
    fn config_validation() {
        let good = SessionConfig {
            host: "mail.example.org".into(),
            port: 587,
            security: Security::StartTls,
            helo: "client.example.org".into(),
            timeouts: Timeouts::default(),
            credentials: None,
            auth: AuthChoice::Auto,
            allow_insecure_auth: false,
        };
        assert_eq!(good.validate(), Ok(()));
        for bad in [
            SessionConfig {
                host: String::new(),
                ..good.clone()
            },
            SessionConfig {
                host: "a b".into(),
                ..good.clone()
            },
            SessionConfig {
                port: 0,
                ..good.clone()
            },
            SessionConfig {
                helo: "x\r\nRCPT TO:<a@b>".into(),
                ..good.clone()
            },
            SessionConfig {
                helo: String::new(),
                ..good.clone()
            },
            SessionConfig {
                credentials: Some(Credentials::new("", "p")),
                ..good.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
