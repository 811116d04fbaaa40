//! The hints name only known settings, in each front-end's words.

use std::collections::HashSet;

use super::*;

#[test]
fn hints_name_only_known_settings_and_have_unique_ids() {
    let mut ids = HashSet::new();
    for hint in all_hints() {
        assert!(ids.insert(hint.id()), "duplicate id {}", hint.id());
        for key in tokens(hint.text).chain(tokens(hint.detail)) {
            assert!(
                Setting::from_key(key).is_some(),
                "{}: unknown token {{{key}}}",
                hint.id()
            );
        }
        assert!(
            !hint.text.ends_with('.'),
            "{}: a hint line has no full stop",
            hint.id()
        );
    }
    for setting in Setting::ALL {
        assert_eq!(Setting::from_key(setting.key()), Some(setting));
    }
}

#[test]
fn hints_render_settings_in_each_front_ends_words() {
    for (hint, name, expected) in [
        (
            advice(Advice::UseStartTls),
            cli as fn(Setting) -> Cow<'static, str>,
            "the server requires TLS first: set --security to starttls",
        ),
        (
            advice(Advice::UseStartTls),
            composer,
            "the server requires TLS first: set Security (F2) to starttls",
        ),
        (
            advice(Advice::CheckLogin),
            cli,
            "check --user and the password (SMTPWIRE_PASSWORD or --password-command)",
        ),
        (
            advice(Advice::TrustCa),
            cli,
            "the server's certificate is not trusted: give its CA certificate with --ca-file",
        ),
        (
            advice(Advice::CheckServer),
            composer,
            "check Host (F2) and port, that the server runs, and that no firewall is in the way",
        ),
    ] {
        assert_eq!(hint.render(name), expected);
    }
    assert_eq!(
        advice(Advice::UseTlsForAuth).settings(),
        [Setting::Security, Setting::AllowInsecureAuth]
    );
    // Braces that name no setting are left alone.
    assert_eq!(fill("a {b} {user", &cli), "a {b} {user");
}
