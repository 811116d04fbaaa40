//! The command line itself, through the real binary: the printing
//! subcommands (explain, providers, completions, man) and the bounds every
//! numeric option and config value is held to.

use std::process::{Command, Output, Stdio};

fn smtpwire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smtpwire"))
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent/smtpwire-test")
        .env_remove("SMTPWIRE_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn explain_prints_the_meaning_and_what_to_do() {
    for (args, expected) in [
        (
            vec!["explain", "535 5.7.8 Error: authentication failed"],
            vec![
                "Reply code 535",
                "X.7.8  Authentication credentials invalid",
                "--user",
            ],
        ),
        (
            vec![
                "explain", "530", "5.7.0", "Must", "issue", "a", "STARTTLS", "command", "first",
            ],
            vec!["Reply code 530", "--security"],
        ),
        (
            vec!["explain", "4.7.1"],
            vec!["4.X.X", "Persistent Transient Failure"],
        ),
        (vec!["explain", "421"], vec!["Reply code 421"]),
    ] {
        let out = smtpwire(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        let stdout = String::from_utf8(out.stdout).unwrap();
        for want in expected {
            assert!(stdout.contains(want), "{args:?}: {want:?} not in\n{stdout}");
        }
        assert!(stdout.lines().all(|l| l.chars().count() <= 80), "{stdout}");
    }
    for bad in ["999", "hello", "5.9"] {
        let out = smtpwire(&["explain", bad]);
        assert_eq!(out.status.code(), Some(64), "{bad}: {}", text(&out));
    }
}

#[test]
fn explain_reads_a_pasted_reply_and_shows_it_made_visible() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smtpwire"))
        .args(["explain", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"08:41:02.139 S: 550-5.7.1 Relaying denied\x1b[2J\r\n08:41:02.139 S: 550 5.7.1 see the docs\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains('\x1b'), "{stdout}");
    assert!(stdout.contains("\\x1b[2J"), "{stdout}");
    assert!(stdout.contains("Reply code 550"), "{stdout}");
}

/// A pasted transcript with a byte that is not UTF-8 (a server's Latin-1)
/// is still read, and its failing reply explained.
#[test]
fn explain_reads_a_paste_that_is_not_utf8() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smtpwire"))
        .args(["explain", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"S: 220 mx ESMTP Caf\xe9\r\nS: 550 5.1.1 user unknown\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("Reply code 550"), "{stdout}");
}

/// `--eml` into a folder that does not exist is refused (73), and the
/// folder is not made.
#[test]
fn eml_into_a_missing_folder_is_refused_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let eml = missing.join("x.eml");
    let out = smtpwire(&[
        "send",
        "--server",
        "127.0.0.1",
        "--helo",
        "a.example",
        "--from",
        "a@a.example",
        "--to",
        "b@b.example",
        "--subject",
        "x",
        "--body",
        "hi",
        "--dry-run",
        "--eml",
        eml.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(73), "{}", text(&out));
    assert!(text(&out).contains("does not exist"), "{}", text(&out));
    assert!(!missing.exists());
}

/// A vendor's enhanced code asked about alone gets the advice it gets in a
/// whole reply.
#[test]
fn explain_a_vendor_status_code_alone_gives_its_advice() {
    let alone = text(&smtpwire(&["explain", "5.7.139"]));
    let whole = text(&smtpwire(&[
        "explain",
        "535 5.7.139 Authentication unsuccessful",
    ]));
    let advice = |t: &str| t.split("What to do").nth(1).unwrap_or_default().to_owned();
    assert!(advice(&alone).contains("Microsoft"), "{alone}");
    assert_eq!(advice(&alone), advice(&whole));
}

/// A bad From, Reply-To or envelope sender is bad data (65), as a bad To
/// is, and the message shows a line break as an escape, not a break.
#[test]
fn bad_sender_addresses_exit_65_and_show_escapes() {
    for (option, value) in [
        ("--from", "Alice alice"),
        ("--reply-to", "x@lab.example\nX-Evil: 1"),
        ("--envelope-from", "a@b>\r\nRSET"),
    ] {
        let mut args = vec![
            "send",
            "--server",
            "127.0.0.1",
            "--helo",
            "a.example",
            "--to",
            "b@b.example",
            "--subject",
            "x",
            "--body",
            "hi",
            "--dry-run",
            option,
            value,
        ];
        if option != "--from" {
            args.extend(["--from", "a@a.example"]);
        }
        let out = smtpwire(&args);
        assert_eq!(out.status.code(), Some(65), "{option}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{option}: {stderr}");
    }
}

#[test]
fn providers_prints_the_table() {
    let out = smtpwire(&["providers"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    for name in [
        "Mail.ru",
        "Yandex",
        "Rambler",
        "Gmail",
        "Outlook.com",
        "Proton",
    ] {
        assert!(stdout.contains(name), "{name}:\n{stdout}");
    }
}

#[test]
fn completions_and_the_man_page_come_from_the_same_definition() {
    let bash = smtpwire(&["completions", "bash"]);
    assert!(bash.status.success());
    let script = String::from_utf8(bash.stdout).unwrap();
    for option in ["--server", "--no-system-roots", "--timeout", "explain"] {
        assert!(script.contains(option), "bash completion lacks {option}");
    }
    // The script must at least parse.
    let mut check = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    check
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(
        check.wait().unwrap().success(),
        "bash -n refused the completion"
    );
    for shell in ["zsh", "fish"] {
        let out = smtpwire(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        assert!(
            String::from_utf8(out.stdout).unwrap().contains("server"),
            "{shell}"
        );
    }

    let man = smtpwire(&["man"]);
    assert!(man.status.success());
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(page.contains(".TH smtpwire 1"), "{page}");
    // Rendered by man(1) as a reader would see it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smtpwire.1");
    std::fs::write(&path, &page).unwrap();
    let rendered = Command::new("man")
        .arg("-l")
        .arg(&path)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output();
    if let Ok(rendered) = rendered {
        let shown = String::from_utf8_lossy(&rendered.stdout).replace("\u{2010}", "-");
        assert!(shown.contains("--no-system-roots"), "{shown}");
        assert!(shown.contains("Exit status"), "{shown}");
    }
}

/// Issue: a 2^64-1 timeout used to panic in the deadline arithmetic. Every
/// numeric option is bounded with a clear message and exit 64; the same
/// value in the config file exits 78.
#[test]
fn numbers_out_of_bounds_are_refused_not_panicked_on() {
    for args in [
        vec![
            "check",
            "--server",
            "x.example",
            "--timeout",
            "18446744073709551615",
        ],
        vec!["check", "--server", "x.example", "--timeout", "0"],
        vec!["check", "--server", "x.example", "--timeout", "86401"],
        vec!["check", "--server", "x.example", "--port", "0"],
        vec!["check", "--server", "x.example", "--port", "65536"],
        vec!["send", "--server", "x.example", "--repeat", "0"],
        vec!["send", "--server", "x.example", "--repeat", "1000001"],
        vec![
            "send",
            "--server",
            "x.example",
            "--repeat",
            "9",
            "--parallel",
            "0",
        ],
        vec![
            "send",
            "--server",
            "x.example",
            "--repeat",
            "9",
            "--parallel",
            "65",
        ],
        // --parallel spreads --repeat's letters; alone it means nothing.
        vec!["send", "--server", "x.example", "--parallel", "4"],
    ] {
        let out = smtpwire(&args);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {}", text(&out));
        assert!(!text(&out).contains("panicked"), "{args:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    for (config, what) in [
        ("timeout = 18446744073709551615\n", "timeout"),
        ("timeout = 0\n", "timeout"),
        ("port = 0\n", "port"),
        ("helo = \"bad name\"\n", "helo"),
    ] {
        let path = dir.path().join("config.toml");
        std::fs::write(&path, format!("server = \"x.example\"\n{config}")).unwrap();
        let out = smtpwire(&["check", "--config", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(78), "{config}: {}", text(&out));
        assert!(text(&out).contains(what), "{config}: {}", text(&out));
        assert!(!text(&out).contains("panicked"));
    }
}

/// `send` refuses `system_roots = false` without a CA file (the composer
/// refuses the same way: see `wired`).
#[test]
fn send_refuses_system_roots_off_without_a_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "server = \"127.0.0.1\"\nsystem_roots = false\n").unwrap();
    let out = smtpwire(&[
        "send",
        "--config",
        path.to_str().unwrap(),
        "--from",
        "a@example.org",
        "--to",
        "b@example.org",
        "--body",
        "hi",
    ]);
    assert_eq!(out.status.code(), Some(78), "{}", text(&out));
    assert!(text(&out).contains("system_roots = false needs a ca_file"));
}

/// A config file others can change is refused (exit 78) with the command
/// that fixes it, like ssh's: `password_command` would run a command of
/// theirs, and even plain settings could send the password elsewhere.
#[test]
fn a_config_others_can_write_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    for config in [
        "server = \"x.example\"\npassword_command = \"pass show mail\"\n",
        "server = \"x.example\"\nsecurity = \"none\"\n",
    ] {
        let path = dir.path().join("config.toml");
        std::fs::write(&path, config).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let out = smtpwire(&["check", "--config", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(78), "{config}: {}", text(&out));
        assert!(text(&out).contains("chmod"), "{}", text(&out));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let out = smtpwire(&[
            "check",
            "--config",
            path.to_str().unwrap(),
            "--timeout",
            "1",
        ]);
        assert_ne!(out.status.code(), Some(78), "{config}: {}", text(&out));
    }
}

#[test]
fn an_unknown_account_exits_78_and_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[accounts.work]\nserver = \"127.0.0.1\"\n[accounts.home]\nserver = \"127.0.0.1\"\n",
    )
    .unwrap();
    for command in ["send", "check"] {
        let out = smtpwire(&[
            command,
            "--config",
            path.to_str().unwrap(),
            "--account",
            "wrok",
            "--from",
            "a@example.org",
            "--to",
            "b@example.org",
        ]);
        assert_eq!(out.status.code(), Some(78), "{command}: {}", text(&out));
        assert!(
            text(&out).contains("there is no account \"wrok\"; the config file has: work, home"),
            "{}",
            text(&out)
        );
    }
}

/// No server anywhere, a From at yandex.ru: the provider table gives the
/// server, and the dry run says which and what the user must know.
#[test]
fn a_dry_run_from_yandex_shows_the_server_the_table_gives() {
    let out = smtpwire(&[
        "send",
        "--dry-run",
        "--from",
        "Иван <ivan@yandex.ru>",
        "--to",
        "b@example.org",
        "--subject",
        "hi",
        "--body",
        "hello",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "using Yandex Mail's settings from the provider table, smtp.yandex.com:465 tls"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("app password"), "{stderr}");
    // Without a known domain, the dry run says what is missing and still
    // prints the letter.
    let out = smtpwire(&[
        "send",
        "--dry-run",
        "--from",
        "a@example.org",
        "--to",
        "b@example.org",
        "--body",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("no server given"), "{}", text(&out));
    assert!(text(&out).contains("use --server HOST"), "{}", text(&out));
}
