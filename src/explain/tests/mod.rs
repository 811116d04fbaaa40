//! The explainer's tests, by what they check: the tables against the
//! registry (`tables`), the hints' wording (`hints`), the advice real
//! replies get (`advice`), and reading and rendering a query (`query`).

use std::borrow::Cow;

use super::*;
use crate::smtp::Code;

mod advice;
mod hints;
mod query;
mod tables;

/// Every hint that can be chosen or asked for.
fn all_hints() -> Vec<&'static Hint> {
    let advice = [
        Advice::CheckLogin,
        Advice::CheckToken,
        Advice::GiveLogin,
        Advice::UseStartTls,
        Advice::UseImplicitTls,
        Advice::UseStartTlsNotImplicit,
        Advice::NoStartTls,
        Advice::TrustCa,
        Advice::CheckHostName,
        Advice::CertificateExpired,
        Advice::UseTlsForAuth,
        Advice::OtherMechanism,
        Advice::CheckServer,
        Advice::RaiseTimeout,
        Advice::MayBeDelivered,
        Advice::TryLater,
    ];
    let mut hints: Vec<&'static Hint> = advice.into_iter().map(super::advice).collect();
    for rule in rules::RULES {
        if !hints.iter().any(|h| std::ptr::eq(*h, rule.hint)) {
            hints.push(rule.hint);
        }
    }
    hints
}

/// How the command line names settings.
fn cli(setting: Setting) -> Cow<'static, str> {
    match setting {
        Setting::Password => "the password (SMTPWIRE_PASSWORD or --password-command)".into(),
        other => format!("--{}", other.key().replace('_', "-")).into(),
    }
}

/// How the composer names settings.
fn composer(setting: Setting) -> Cow<'static, str> {
    let label = match setting {
        Setting::Server => "Host",
        Setting::Security => "Security",
        Setting::User => "User",
        Setting::Password => "Password",
        _ => return setting.key().into(),
    };
    format!("{label} (F2)").into()
}

fn reply(code: u16, lines: &[&str]) -> Reply {
    Reply::new(
        Code::new(code).unwrap(),
        lines.iter().map(ToString::to_string).collect(),
    )
}
