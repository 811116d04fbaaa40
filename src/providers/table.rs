//! The table itself: one entry per provider, with the help pages its
//! facts come from.

use super::{
    AuthMechanism::{Login, OAuthBearer, Plain, XOAuth2},
    Endpoint, Imap,
    LoginForm::{self, LocalPart, WholeAddress},
    Provider, Secret,
    Seen::{Cited, Page, Quoted},
    Source,
};
use crate::smtp::Security;

const fn tls(host: &'static str, port: u16) -> Endpoint {
    Endpoint {
        host,
        port,
        security: Security::Tls,
    }
}

const fn starttls(host: &'static str, port: u16) -> Endpoint {
    Endpoint {
        host,
        port,
        security: Security::StartTls,
    }
}

const fn imap(host: &'static str, port: u16, security: Security, login: LoginForm) -> Imap {
    Imap {
        server: Endpoint {
            host,
            port,
            security,
        },
        login,
        sent_folder: None,
    }
}

/// Every built-in provider.
pub static PROVIDERS: &[Provider] = &[
    Provider {
        name: "Mail.ru",
        domains: &["mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru"],
        smtp: tls("smtp.mail.ru", 465),
        login: WholeAddress,
        auth: &[Plain, Login],
        secret: Secret::AppPassword,
        imap: Some(imap("imap.mail.ru", 993, Security::Tls, WholeAddress)),
        hint: "app password",
        must_know: "a password for external applications is required (Settings → \
                    Passwords and security → Passwords for external applications); \
                    the normal password is refused",
        notes: &[
            "Mail.ru offers OAuth2 for IMAP only, as far as the sources show; SMTP takes the \
             external-application password.",
            "Mail-client access may also have to be switched on (Passwords and security → \
             External services → access by IMAP, POP3 and SMTP).",
            "my.com (myMail) addresses are not listed: no source read ties them to these servers.",
        ],
        sources: &[
            Source {
                url: "https://help.mail.ru/mail/security/protection/external",
                seen: Cited,
                gives: "the password for external applications",
            },
            Source {
                url: "https://help.mail.ru/mail-help/mailer/mt",
                seen: Cited,
                gives: "servers, ports and login form",
            },
        ],
    },
    Provider {
        name: "Yandex Mail",
        domains: &[
            "yandex.ru",
            "yandex.com",
            "ya.ru",
            "yandex.by",
            "yandex.kz",
            "yandex.ua",
            "narod.ru",
        ],
        smtp: tls("smtp.yandex.com", 465),
        login: WholeAddress,
        auth: &[Plain, Login, XOAuth2],
        secret: Secret::AppPassword,
        imap: Some(imap("imap.yandex.com", 993, Security::Tls, WholeAddress)),
        hint: "app password",
        must_know: "an app password is required (Yandex ID → Security → App passwords) \
                    and mail-client access must be on (Mail → Settings → Email clients)",
        notes: &[
            "smtp.yandex.ru and imap.yandex.ru are the same service under Yandex's Russian \
             name.",
            "XOAUTH2 needs a token with the mail:smtp scope.",
        ],
        sources: &[
            Source {
                url: "https://yandex.com/support/passport/authorization/app-passwords.html",
                seen: Page,
                gives: "email clients need an app password",
            },
            Source {
                url: "https://tech.yandex.com/oauth/doc/imap/index-docpage/",
                seen: Page,
                gives: "smtp.yandex.com:465, imap.yandex.com:993, XOAUTH2",
            },
            Source {
                url: "https://yandex.com/support/mail/mail-clients/others.html",
                seen: Quoted,
                gives: "SSL on 465 and 993, the whole address as login, switching IMAP on",
            },
        ],
    },
    Provider {
        name: "Rambler",
        domains: &[
            "rambler.ru",
            "lenta.ru",
            "autorambler.ru",
            "myrambler.ru",
            "ro.ru",
            "r0.ru",
            "rambler.ua",
        ],
        smtp: tls("smtp.rambler.ru", 465),
        login: WholeAddress,
        auth: &[Plain, Login],
        secret: Secret::AccountPassword,
        imap: Some(imap("imap.rambler.ru", 993, Security::Tls, WholeAddress)),
        hint: "enable IMAP",
        must_know: "access by mail clients must be switched on first (Rambler Mail → \
                    Settings → Mail programs)",
        notes: &["Whether Rambler now asks for an app password could not be confirmed."],
        sources: &[
            Source {
                url: "https://help.rambler.ru/mail/mail-pochtovye-klienty/1275/",
                seen: Cited,
                gives: "servers and ports; lenta.ru mailboxes",
            },
            Source {
                url: "https://help.rambler.ru/mail/mail-nastrojki-pochtovogo-yashika/2129/",
                seen: Cited,
                gives: "switching mail-client access on",
            },
            Source {
                url: "https://help.rambler.ru/mail/mail-legal/1329",
                seen: Cited,
                gives: "ro.ru and r0.ru mailboxes",
            },
        ],
    },
    Provider {
        name: "Gmail",
        domains: &["gmail.com", "googlemail.com"],
        smtp: tls("smtp.gmail.com", 465),
        login: WholeAddress,
        auth: &[Plain, Login, XOAuth2],
        secret: Secret::AppPassword,
        imap: Some(imap("imap.gmail.com", 993, Security::Tls, WholeAddress)),
        hint: "app password",
        must_know: "an app password is required (Google Account → Security → 2-Step \
                    Verification → App passwords); the normal password is refused with \
                    535 5.7.8",
        notes: &[
            "Port 587 with STARTTLS works too.",
            "App passwords exist only while 2-Step Verification is on; Workspace admins can \
             forbid them.",
        ],
        sources: &[
            Source {
                url: "https://developers.google.com/workspace/gmail/imap/imap-smtp",
                seen: Page,
                gives: "imap.gmail.com:993, smtp.gmail.com on 465 (SSL) or 587 (STARTTLS), \
                        XOAUTH2",
            },
            Source {
                url: "https://developers.google.com/gmail/imap/xoauth2-protocol",
                seen: Page,
                gives: "the XOAUTH2 exchange and scope",
            },
            Source {
                url: "https://support.google.com/accounts/answer/185833",
                seen: Quoted,
                gives: "app passwords need 2-Step Verification",
            },
        ],
    },
    Provider {
        name: "Outlook.com",
        domains: &[
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "outlook.de",
            "outlook.com.tr",
        ],
        smtp: starttls("smtp-mail.outlook.com", 587),
        login: WholeAddress,
        auth: &[XOAuth2],
        secret: Secret::OAuth2Only,
        imap: Some(imap(
            "outlook.office365.com",
            993,
            Security::Tls,
            WholeAddress,
        )),
        hint: "OAuth2 only",
        must_know: "basic authentication is retired; use OAuth2 (auth = \"xoauth2\" and a token helper as \
                    password_command)",
        notes: &[
            "POP and IMAP access is off by default (Settings → Mail → Forwarding and IMAP).",
            "Microsoft's page still mentions app passwords for smart devices; they are not \
             relied on here.",
            "Country variants (hotmail.co.uk, live.fr, …) are left out until a Microsoft page \
             confirms them.",
        ],
        sources: &[Source {
            url: "https://support.microsoft.com/en-us/office/\
                  pop-imap-and-smtp-settings-8361e398-8af4-4e97-b147-6c6c4ac95353",
            seen: Quoted,
            gives: "smtp-mail.outlook.com:587 STARTTLS, outlook.office365.com:993, OAuth2 \
                    only, IMAP off by default",
        }],
    },
    Provider {
        name: "iCloud Mail",
        domains: &["icloud.com", "me.com", "mac.com"],
        smtp: starttls("smtp.mail.me.com", 587),
        login: WholeAddress,
        auth: &[Plain, Login],
        secret: Secret::AppPassword,
        imap: Some(imap("imap.mail.me.com", 993, Security::Tls, LocalPart)),
        hint: "app password",
        must_know: "an app-specific password is required (Apple Account → Sign-In and \
                    Security → App-Specific Passwords)",
        notes: &[
            "The IMAP login is the part before the @; the SMTP login is the whole address.",
            "Custom domains on iCloud+ log in with the iCloud address, not the custom one.",
        ],
        sources: &[Source {
            url: "https://support.apple.com/en-us/102525",
            seen: Quoted,
            gives: "smtp.mail.me.com:587, imap.mail.me.com:993, login forms, app-specific \
                    passwords",
        }],
    },
    Provider {
        name: "Yahoo Mail",
        domains: &[
            "yahoo.com",
            "ymail.com",
            "rocketmail.com",
            "myyahoo.com",
            "yahoo.co.uk",
            "yahoo.de",
            "yahoo.fr",
            "yahoo.it",
            "yahoo.es",
            "yahoo.se",
            "yahoo.co.nz",
            "yahoo.com.au",
            "yahoo.com.ar",
            "yahoo.com.br",
            "yahoo.com.mx",
        ],
        smtp: tls("smtp.mail.yahoo.com", 465),
        login: WholeAddress,
        auth: &[Plain, Login, XOAuth2, OAuthBearer],
        secret: Secret::AppPassword,
        imap: Some(imap(
            "imap.mail.yahoo.com",
            993,
            Security::Tls,
            WholeAddress,
        )),
        hint: "app password",
        must_know: "an app password is required (Account security → External connections \
                    → Create app password)",
        notes: &[
            "Port 587 with STARTTLS works too.",
            "yahoo.co.jp is Yahoo Japan, a different service, and is not listed.",
            "The OAuth2 mechanisms come from secondary sources, not a Yahoo page.",
        ],
        sources: &[
            Source {
                url: "https://help.yahoo.com/kb/generate-manage-rd-party-passwords-sln15241.html",
                seen: Quoted,
                gives: "third-party apps need an app password",
            },
            Source {
                url: "https://help.yahoo.com/kb/SLN4075.html",
                seen: Cited,
                gives: "servers and ports",
            },
        ],
    },
    Provider {
        name: "GMX (gmx.net)",
        domains: &["gmx.net", "gmx.de", "gmx.at", "gmx.ch"],
        smtp: starttls("mail.gmx.net", 587),
        login: WholeAddress,
        auth: &[Plain, Login],
        secret: Secret::AccountPassword,
        imap: Some(imap("imap.gmx.net", 993, Security::Tls, WholeAddress)),
        hint: "enable IMAP",
        must_know: "POP3/IMAP access must be switched on once in the web settings \
                    (E-Mail → POP3 & IMAP)",
        notes: &[
            "Port 465 with implicit TLS works too.",
            "The GMX customer number also works as the login.",
        ],
        sources: &[
            Source {
                url: "https://hilfe.gmx.net/pop-imap/imap/imap-serverdaten.html",
                seen: Cited,
                gives: "servers and ports",
            },
            Source {
                url: "https://hilfe.gmx.net/pop-imap/einschalten.html",
                seen: Cited,
                gives: "switching POP3/IMAP access on",
            },
        ],
    },
    Provider {
        name: "GMX (gmx.com)",
        domains: &["gmx.com", "gmx.us", "gmx.co.uk", "gmx.fr", "gmx.es"],
        smtp: starttls("mail.gmx.com", 587),
        login: WholeAddress,
        auth: &[Plain, Login],
        secret: Secret::AccountPassword,
        imap: Some(imap("imap.gmx.com", 993, Security::Tls, WholeAddress)),
        hint: "enable IMAP",
        must_know: "POP3/IMAP access must be switched on once in the web settings",
        notes: &[
            "gmx.com accounts use the gmx.com hosts, not gmx.net's; one source lists gmx.com \
             with gmx.net's hosts (see docs/providers.md).",
        ],
        sources: &[Source {
            url: "https://support.gmx.com/pop-imap/toggle.html",
            seen: Cited,
            gives: "switching POP3/IMAP access on",
        }],
    },
    Provider {
        name: "Zoho Mail (US)",
        domains: &["zoho.com", "zohomail.com"],
        smtp: tls("smtp.zoho.com", 465),
        login: WholeAddress,
        auth: &[Plain, Login],
        secret: Secret::AccountPassword,
        imap: Some(imap("imap.zoho.com", 993, Security::Tls, WholeAddress)),
        hint: "enable IMAP",
        must_know: "IMAP access must be switched on (Settings → Mail Accounts → IMAP), and \
                    accounts in another data centre use its host (smtp.zoho.eu, .in, .com.au, \
                    .jp, smtp.zohocloud.ca)",
        notes: &[
            "Custom-domain (organisation) accounts use smtppro.zoho.com and imappro.zoho.com.",
            "With two-factor authentication on, an application-specific password is needed.",
            "Port 587 with STARTTLS works too.",
        ],
        sources: &[
            Source {
                url: "https://www.zoho.com/mail/help/zoho-smtp.html",
                seen: Quoted,
                gives: "smtp.zoho.* and smtppro.zoho.* on 465 (SSL) or 587 (TLS)",
            },
            Source {
                url: "https://www.zoho.com/mail/help/imap-access.html",
                seen: Quoted,
                gives: "imap.zoho.*:993, switching IMAP on, application-specific passwords",
            },
        ],
    },
    Provider {
        name: "Zoho Mail (EU)",
        domains: &["zoho.eu", "zohomail.eu"],
        smtp: tls("smtp.zoho.eu", 465),
        login: WholeAddress,
        auth: &[Plain, Login],
        secret: Secret::AccountPassword,
        imap: Some(imap("imap.zoho.eu", 993, Security::Tls, WholeAddress)),
        hint: "enable IMAP",
        must_know: "IMAP access must be switched on (Settings → Mail Accounts → IMAP)",
        notes: &["Custom-domain (organisation) accounts use smtppro.zoho.eu and imappro.zoho.eu."],
        sources: &[
            Source {
                url: "https://www.zoho.com/mail/help/zoho-smtp.html",
                seen: Quoted,
                gives: "regional SMTP hosts",
            },
            Source {
                url: "https://www.zoho.com/mail/help/imap-access.html",
                seen: Quoted,
                gives: "regional IMAP hosts, switching IMAP on",
            },
        ],
    },
    Provider {
        name: "Fastmail",
        domains: &[
            "fastmail.com",
            "fastmail.fm",
            "fastmail.cn",
            "fastmail.co.uk",
            "fastmail.com.au",
            "fastmail.de",
            "fastmail.es",
            "fastmail.fr",
            "fastmail.im",
            "fastmail.in",
            "fastmail.jp",
            "fastmail.mx",
            "fastmail.net",
            "fastmail.nl",
            "fastmail.org",
            "fastmail.se",
            "fastmail.to",
            "fastmail.tw",
            "fastmail.uk",
            "fastmail.us",
            "myfastmail.com",
        ],
        smtp: tls("smtp.fastmail.com", 465),
        login: WholeAddress,
        auth: &[Plain],
        secret: Secret::AppPassword,
        imap: Some(imap("imap.fastmail.com", 993, Security::Tls, WholeAddress)),
        hint: "app password",
        must_know: "an app password is required (Settings → Privacy & Security → App \
                    passwords); the normal password is refused",
        notes: &[
            "The login is the account's own Fastmail address, also when sending from an alias.",
            "Fastmail's other brand domains (sent.com, eml.cc, …) are not listed.",
        ],
        sources: &[
            Source {
                url: "https://www.fastmail.com/help/technical/servernamesandports.html",
                seen: Page,
                gives: "smtp.fastmail.com:465 and imap.fastmail.com:993 with SSL/TLS, PLAIN, \
                        app password",
            },
            Source {
                url: "https://www.fastmail.help/hc/en-us/articles/1500000279921",
                seen: Page,
                gives: "IMAP, POP and SMTP each need an app password",
            },
            Source {
                url: "https://www.fastmail.com/about/ourdomains/",
                seen: Cited,
                gives: "the domain list",
            },
        ],
    },
    Provider {
        name: "Proton Mail Bridge",
        domains: &["proton.me", "protonmail.com", "protonmail.ch", "pm.me"],
        smtp: starttls("127.0.0.1", 1025),
        login: WholeAddress,
        auth: &[Plain, Login],
        secret: Secret::BridgePassword,
        imap: Some(imap("127.0.0.1", 1143, Security::StartTls, WholeAddress)),
        hint: "run Bridge",
        must_know: "the Bridge app must be running; use the Bridge password it shows, not \
                    the Proton password, and export its certificate and give it as ca_file",
        notes: &[
            "Bridge needs a paid plan.",
            "1025 and 1143 are Bridge's defaults; use the ports Bridge shows if it picked \
             others.",
            "Bridge can be switched to implicit TLS (its \"SSL\" setting); then use \
             security = tls.",
        ],
        sources: &[
            Source {
                url: "https://proton.me/support/protonmail-bridge-faq",
                seen: Page,
                gives: "the Bridge password, paid plans",
            },
            Source {
                url: "https://github.com/ProtonMail/proton-bridge",
                seen: Page,
                gives: "default ports 1143 and 1025 with STARTTLS (internal/vault)",
            },
            Source {
                url: "https://proton.me/support/bridge-ssl-connection-issue",
                seen: Quoted,
                gives: "Bridge's self-signed certificate on 127.0.0.1",
            },
        ],
    },
];
