//! The composer as a person uses it: the real binary in tmux against the
//! lab, keys typed with `send-keys` (Cyrillic included), the screen read with
//! `capture-pane`, the letter found over IMAP. Also: quitting cleanly, a
//! killed app's draft coming back, and no password on screen or in a file.
//! Each test runs its own tmux server (`-L`), killed by that socket only.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use mail_parser::MessageParser;

use crate::{args, assert_no_secret, lab, smtpwire, submission, text, token};

struct Tmux {
    socket: String,
    _home: tempfile::TempDir,
    home: PathBuf,
}

impl Tmux {
    /// A tmux server of its own (by socket) for an app living in `home`;
    /// nothing launched yet.
    fn in_home(name: &str, home: tempfile::TempDir) -> Tmux {
        Tmux {
            socket: format!("smtpwire-{name}-{}", std::process::id()),
            home: home.path().to_owned(),
            _home: home,
        }
    }

    /// A private tmux server running the composer at `width`×`height`, with
    /// its config and data directories in a fresh temporary home.
    fn start(name: &str, width: u16, height: u16) -> Tmux {
        Tmux::start_as(name, width, height, "alice", true)
    }

    /// [`Tmux::start`] logging in as `user`, with the password in
    /// `SMTPWIRE_PASSWORD` or not (then it is typed into the form).
    fn start_as(name: &str, width: u16, height: u16, user: &str, env_password: bool) -> Tmux {
        Tmux::start_with(name, width, height, user, env_password, &[])
    }

    /// [`Tmux::start_as`] with more environment variables for the app.
    fn start_with(
        name: &str,
        width: u16,
        height: u16,
        user: &str,
        env_password: bool,
        extra: &[(&'static str, String)],
    ) -> Tmux {
        let tmux = Tmux::in_home(name, tempfile::tempdir().unwrap());
        tmux.write_config(user);
        tmux.launch(
            width,
            height,
            env_password.then(|| lab().password(user)),
            extra,
            &[],
        );
        tmux
    }

    /// A composer whose config file is `config` (in a fresh home), with no
    /// password in the environment.
    fn start_config(name: &str, width: u16, height: u16, config: &str) -> Tmux {
        let tmux = Tmux::in_home(name, tempfile::tempdir().unwrap());
        let dir = tmux.config_dir().join("smtpwire");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.toml"), config).unwrap();
        tmux.launch(width, height, None, &[], &[]);
        tmux
    }

    /// The composer in `home`, whose config and data the caller wrote,
    /// with this password in `SMTPWIRE_PASSWORD`.
    fn start_home(
        name: &str,
        width: u16,
        height: u16,
        home: tempfile::TempDir,
        password: Option<String>,
    ) -> Tmux {
        let tmux = Tmux::in_home(name, home);
        tmux.launch(width, height, password, &[], &[]);
        tmux
    }

    /// An interactive bash in the pane (job control on), in a fresh home
    /// with alice's config; the test starts the app from it.
    fn start_shell(name: &str, width: u16, height: u16) -> Tmux {
        let tmux = Tmux::in_home(name, tempfile::tempdir().unwrap());
        tmux.write_config("alice");
        let mut c = tmux.tmux();
        c.args(["new-session", "-d", "-s", "app", "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string());
        for (k, v) in [
            ("XDG_CONFIG_HOME", tmux.config_dir().display().to_string()),
            ("XDG_DATA_HOME", tmux.data_dir().display().to_string()),
            ("HOME", tmux.home.display().to_string()),
            ("LANG", "C.UTF-8".to_owned()),
            ("TERM", "tmux-256color".to_owned()),
        ] {
            c.args(["-e", &format!("{k}={v}")]);
        }
        c.arg("bash --norc --noprofile -i");
        assert!(c.status().unwrap().success(), "tmux new-session failed");
        tmux.wait_for("bash", Duration::from_secs(10));
        // A prompt no screen of the composer holds.
        tmux.text("PS1='PROMPT$ '; clear");
        tmux.keys(&["Enter"]);
        let started = Instant::now();
        while tmux.screen().contains("PS1=") || !tmux.screen().contains("PROMPT$") {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{}",
                tmux.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        tmux
    }

    /// [`Tmux::start`] with these arguments for the app.
    fn start_args(name: &str, width: u16, height: u16, args: &[&str]) -> Tmux {
        let tmux = Tmux::in_home(name, tempfile::tempdir().unwrap());
        tmux.write_config("alice");
        tmux.launch(width, height, Some(lab().password("alice")), &[], args);
        tmux
    }

    fn status_file(&self) -> PathBuf {
        self.home.join("exit-status")
    }

    fn config_dir(&self) -> PathBuf {
        self.home.join("config")
    }

    fn data_dir(&self) -> PathBuf {
        self.home.join("data")
    }

    fn write_config(&self, user: &str) {
        let dir = self.config_dir().join("smtpwire");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.toml"), config_text(user)).unwrap();
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null", "-u"]);
        // The tmux server (and so the app) inherits this environment: the
        // lab's passwords, set for the test runner, are no business of the
        // app's, and would sit in its memory for the memory test to find.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("SMTPWIRE_LAB") && name.ends_with("_PASSWORD") {
                c.env_remove(name.as_ref());
            }
        }
        c
    }

    fn launch(
        &self,
        width: u16,
        height: u16,
        password: Option<String>,
        extra: &[(&'static str, String)],
        args: &[&str],
    ) {
        let mut env = vec![
            ("XDG_CONFIG_HOME", self.config_dir().display().to_string()),
            ("XDG_DATA_HOME", self.data_dir().display().to_string()),
            ("HOME", self.home.display().to_string()),
            ("LANG", "C.UTF-8".to_owned()),
            ("TERM", "tmux-256color".to_owned()),
        ];
        if let Some(password) = password {
            env.push(("SMTPWIRE_PASSWORD", password));
        }
        env.extend(extra.iter().cloned());
        let mut c = self.tmux();
        c.args([
            "new-session",
            "-d",
            "-s",
            "app",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
        for (k, v) in &env {
            c.args(["-e", &format!("{k}={v}")]);
        }
        // tmux's #{pane_dead_status} is not reliable across respawns; the
        // shell around the app writes the exit status to a file instead.
        // Single-quoted for the pane's shell (the tests' arguments hold no quote).
        let args: String = args.iter().map(|a| format!(" '{a}'")).collect();
        c.arg(format!(
            "'{}'{args}; echo $? > '{}'",
            env!("CARGO_BIN_EXE_smtpwire"),
            self.status_file().display()
        ));
        let status = c.status().unwrap();
        assert!(status.success(), "tmux new-session failed");
        // Keep the pane after the app exits, to read its exit status.
        self.run(&["set-option", "-t", "app", "remain-on-exit", "on"]);
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.tmux().args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Keys by tmux name (`Tab`, `C-s`, `Enter`, `F2`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "app"];
        args.extend_from_slice(keys);
        self.run(&args);
        // A moment between keys, or tmux can hand Esc + key over as Alt+key.
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Literal text, Unicode included.
    fn text(&self, text: &str) {
        self.run(&["send-keys", "-t", "app", "-l", text]);
        std::thread::sleep(Duration::from_millis(60));
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "app"])
    }

    /// Polls the screen until `needle` shows, within `limit`.
    fn wait_for(&self, needle: &str, limit: Duration) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                started.elapsed() < limit,
                "{needle:?} did not appear within {limit:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the app to exit; returns its exit status ("" if killed
    /// before the shell could write it).
    fn wait_dead(&self, limit: Duration) -> String {
        let started = Instant::now();
        loop {
            let dead = self.run(&["display-message", "-p", "-t", "app", "#{pane_dead}"]);
            if dead.trim() == "1" {
                let status = std::fs::read_to_string(self.status_file()).unwrap_or_default();
                let _ = std::fs::remove_file(self.status_file());
                return status.trim().to_owned();
            }
            assert!(
                started.elapsed() < limit,
                "the app did not exit; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The app's PID: the child of the pane's shell.
    fn app_pid(&self) -> u32 {
        let shell = self.run(&["display-message", "-p", "-t", "app", "#{pane_pid}"]);
        let children =
            std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", shell.trim())).unwrap();
        children
            .split_whitespace()
            .next()
            .expect("the app runs under the pane's shell")
            .parse()
            .unwrap()
    }

    /// Every file under `dir`, read whole.
    fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return out;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(Tmux::files(&path));
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
        out
    }
}

/// The flat config of one lab user, with the lab's CA.
fn config_text(user: &str) -> String {
    let lab = lab();
    format!(
        "server = \"{}\"\nport = {}\nsecurity = \"starttls\"\nhelo = \"client.lab.example\"\n\
         from = \"Алиса Селезнёва <{}>\"\nuser = \"{}\"\nca_file = \"{}\"\ntimeout = 30\n",
        lab.host,
        lab.submission_port,
        lab.address(user),
        lab.address(user),
        lab.ca.display()
    )
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Our own server only, by its socket; never anything by name.
        let _ = self.tmux().arg("kill-server").output();
    }
}

#[test]
fn compose_send_disconnect_and_quit_in_tmux() {
    let lab = lab();
    let t = token("tmux");
    let tmux = Tmux::start("send", 80, 24);
    let first = tmux.wait_for("Protocol log", Duration::from_secs(10));
    // The From comes from the config; the focus starts on the first empty field: To.
    assert!(first.contains("Алиса Селезнёва"), "{first}");

    let subject = format!("Привет из tmux {t}");
    tmux.text(&format!("Боб Иванов <{}>", lab.address("bob")));
    tmux.keys(&["Tab", "Tab"]); // Cc stays empty; Bcc
    tmux.text(&lab.address("carol"));
    tmux.keys(&["Tab"]);
    tmux.text(&subject);
    tmux.keys(&["Tab"]);
    tmux.text("Здравствуй, Боб!");
    tmux.keys(&["Enter"]);
    tmux.text("Это письмо набрано в tmux.");
    let typed = tmux.screen();
    assert!(
        typed.contains("Боб Иванов") && typed.contains("Здравствуй, Боб!"),
        "{typed}"
    );

    tmux.keys(&["C-s"]);
    let sent = tmux.wait_for("2 of 2 recipients accepted", Duration::from_secs(30));
    assert!(sent.contains("accepted"), "{sent}");

    // The letter, read back over IMAP by both the To and the Bcc recipient.
    for user in ["bob", "carol"] {
        let mut copies = lab.fetch_by_subject(user, &t, 1);
        assert_eq!(copies.len(), 1, "{user}");
        let raw = copies.remove(0);
        let msg = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(msg.subject(), Some(subject.as_str()));
        assert_eq!(
            msg.from().and_then(|a| a.first()).and_then(|a| a.name()),
            Some("Алиса Селезнёва")
        );
        assert_eq!(
            msg.to().and_then(|a| a.first()).and_then(|a| a.name()),
            Some("Боб Иванов")
        );
        assert_eq!(
            msg.body_text(0).unwrap_or_default(),
            "Здравствуй, Боб!\r\nЭто письмо набрано в tmux.\r\n"
        );
        assert!(
            !String::from_utf8_lossy(&raw)
                .to_ascii_lowercase()
                .contains(&format!("bcc: {}", lab.address("carol")))
        );
    }

    // Close the result, save the log and the settings, disconnect, quit.
    // The log both ways: text, then JSON Lines (every line parses).
    tmux.keys(&["Enter"]);
    tmux.keys(&["C-l"]);
    tmux.wait_for("JSON Lines", Duration::from_secs(5));
    tmux.keys(&["t"]);
    tmux.wait_for("log saved", Duration::from_secs(5));
    tmux.keys(&["C-l"]);
    tmux.wait_for("JSON Lines", Duration::from_secs(5));
    tmux.keys(&["j"]);
    tmux.wait_for(".jsonl", Duration::from_secs(5));
    let logs = tmux.data_dir().join("smtpwire/logs");
    let jsonl = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .expect("a .jsonl log");
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let mut stages = Vec::new();
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(stage) = record.get("stage").and_then(|s| s.as_str()) {
            stages.push(stage.to_owned());
        }
    }
    assert!(
        ["ehlo", "auth", "rcpt", "final_reply"]
            .iter()
            .all(|s| stages.iter().any(|t| t == s)),
        "{stages:?}"
    );
    tmux.keys(&["F2"]);
    tmux.keys(&["C-w"]);
    tmux.wait_for("settings saved", Duration::from_secs(5));
    tmux.keys(&["F2"]);
    tmux.keys(&["C-d"]);
    let closed = tmux.wait_for("221", Duration::from_secs(10));
    assert!(closed.contains("disconnected"), "{closed}");
    tmux.keys(&["C-q"]);
    let status = tmux.wait_dead(Duration::from_secs(10));
    assert_eq!(status, "0", "exit status; screen:\n{}", tmux.screen());

    // The password is nowhere: not on screen, not in the config, the draft or the saved log.
    let password = lab.password("alice");
    assert_no_secret(sent.as_bytes(), &lab.address("alice"), &password);
    let files: Vec<_> = [tmux.config_dir(), tmux.data_dir()]
        .iter()
        .flat_map(|d| Tmux::files(d))
        .collect();
    assert!(
        files
            .iter()
            .any(|(p, _)| p.to_string_lossy().contains("/logs/")),
        "a saved log: {files:?}"
    );
    for (path, bytes) in &files {
        assert_no_secret(bytes, &lab.address("alice"), &password);
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        // Everything smtpwire wrote is private (Ctrl+W rewrote the config).
        assert_eq!(mode, 0o600, "{}", path.display());
    }
    let saved_log = files
        .iter()
        .find(|(p, _)| {
            p.to_string_lossy().contains("/logs/") && p.extension().is_some_and(|x| x == "txt")
        })
        .unwrap();
    let log = String::from_utf8_lossy(&saved_log.1);
    // Saved before the disconnect: the AUTH (redacted) and the queued letter are in it.
    assert!(
        log.contains("C: AUTH PLAIN <credentials redacted>") && log.contains("queued as"),
        "{log}"
    );
}

#[test]
fn a_killed_app_gets_its_draft_back_and_a_large_screen_works() {
    let lab = lab();
    let t = token("draft");
    let tmux = Tmux::start("draft", 200, 50);
    tmux.wait_for("Protocol log", Duration::from_secs(10));
    tmux.text(&lab.address("bob"));
    tmux.keys(&["Tab", "Tab", "Tab"]);
    tmux.text(&format!("Черновик {t}"));
    tmux.keys(&["Tab"]);
    tmux.text("Не потеряй меня.");
    // Wait until the autosave has written the draft, then kill -9 by PID.
    let draft = tmux.data_dir().join("smtpwire").join("draft.toml");
    let started = Instant::now();
    while !std::fs::read_to_string(&draft).is_ok_and(|d| d.contains("Не потеряй меня."))
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no draft saved at {}",
            draft.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = tmux.app_pid();
    assert!(
        Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    tmux.wait_dead(Duration::from_secs(5));
    tmux.run(&["respawn-pane", "-k", "-t", "app"]);
    let back = tmux.wait_for(&format!("Черновик {t}"), Duration::from_secs(10));
    assert!(
        back.contains("Не потеряй меня.") && back.contains(&lab.address("bob")),
        "{back}"
    );
    tmux.keys(&["C-q"]);
    assert_eq!(tmux.wait_dead(Duration::from_secs(10)), "0");
}

/// Every place `needle` occurs in the app's memory, from a `gcore` dump.
fn memory_hits(pid: u32, dir: &Path, needles: &[(&str, Vec<u8>)]) -> Vec<&'static str> {
    let prefix = dir.join("core");
    let status = Command::new("gcore")
        .arg("-o")
        .arg(&prefix)
        .arg(pid.to_string())
        .output()
        .expect("gcore (from gdb) is needed: scripts/lab.sh install");
    assert!(
        status.status.success(),
        "gcore: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let core = std::fs::read(format!("{}.{pid}", prefix.display())).unwrap();
    let _ = std::fs::remove_file(format!("{}.{pid}", prefix.display()));
    let mut hits = Vec::new();
    for (name, bytes) in needles {
        let count = memchr::memmem::find_iter(&core, bytes).count();

        if count > 0 {
            hits.push(Box::leak(format!("{name} ×{count}").into_boxed_str()) as &'static str);
        }
    }
    hits
}

/// The password typed into the composer, used to log in over STARTTLS, is
/// wiped from the process's memory once the session is closed and the field
/// emptied: no copy in freed memory, in a write buffer or in the transcript's
/// scrubber (a `gcore` dump searched for it plain and in base64, alone and
/// in the PLAIN blob). While it is in the field it is found, which shows the
/// search works.
#[test]
fn a_typed_password_leaves_no_copy_in_memory() {
    typed_password_in_memory("memory", "dave", None);
}

/// [`a_typed_password_leaves_no_copy_in_memory`] after sending a letter
/// whose copy went to Sent over IMAP (implicit TLS), logged in with the
/// same typed password: neither the IMAP client's AUTHENTICATE PLAIN (dave's
/// password is not ASCII) nor its LOGIN (alice's is) leaves a copy.
#[test]
fn a_typed_password_leaves_no_copy_in_memory_after_a_copy_in_sent() {
    typed_password_in_memory("memory-sent", "dave", Some(&token("memsent")));
    typed_password_in_memory("memory-login", "alice", Some(&token("memlogin")));
}

/// Types `who`'s password into the settings pane, logs in (and, given a
/// token, sends a letter whose copy goes to Sent over IMAP), then searches
/// the process's memory while logged in and after the session and the
/// field are gone.
fn typed_password_in_memory(name: &str, who: &str, send: Option<&str>) {
    use base64::Engine as _;
    let lab = lab();
    // dave's password is UTF-8, spaces included.
    let user = lab.address(who);
    let password = lab.password(who);
    let tmux = match send {
        None => Tmux::start_as(name, 100, 30, who, false),
        Some(_) => Tmux::start_config(
            name,
            100,
            30,
            &format!(
                "{}sent = \"imap\"\nimap_server = \"{}\"\nimap_port = {}\nimap_security = \"tls\"\n",
                config_text(who),
                lab.host,
                lab.imaps_port
            ),
        ),
    };
    tmux.wait_for("Protocol log", Duration::from_secs(10));
    // Settings pane: Host, Port, Security, User, then the password, typed
    // one key at a time as a person does.
    tmux.keys(&["F2", "Tab", "Tab", "Tab", "Tab"]);
    for c in password.chars() {
        tmux.text(&c.to_string());
    }
    match send {
        None => {
            tmux.keys(&["C-o"]);
            tmux.wait_for(&format!("connected as {user}"), Duration::from_secs(30));
        }
        Some(t) => {
            tmux.keys(&["F2"]);
            tmux.text(&lab.address("bob"));
            tmux.keys(&["Tab", "Tab", "Tab"]);
            tmux.text(&format!("Memory {t}"));
            tmux.keys(&["Tab"]);
            tmux.text("Its copy goes to Sent.");
            tmux.keys(&["C-s"]);
            tmux.wait_for("the copy is saved", Duration::from_secs(30));
            assert_eq!(sent_by_subject(who, t).len(), 1);
            tmux.keys(&["Enter", "F2"]);
        }
    }

    let b64 = base64::engine::general_purpose::STANDARD;
    let needles = [
        ("password", password.as_bytes().to_vec()),
        ("base64 password", b64.encode(&password).into_bytes()),
        (
            "PLAIN blob",
            b64.encode(format!("\0{user}\0{password}")).into_bytes(),
        ),
    ];
    let pid = tmux.app_pid();
    let dir = tempfile::tempdir().unwrap();
    let live = memory_hits(pid, dir.path(), &needles);
    assert!(
        live.iter().any(|h| h.starts_with("password ")),
        "the password field holds it while logged in: {live:?}"
    );

    tmux.keys(&["C-d"]);
    tmux.wait_for("disconnected", Duration::from_secs(10));
    // Empty the field (the focus is still on it).
    tmux.keys(&["End", "C-u"]);
    std::thread::sleep(Duration::from_millis(300));
    let after = memory_hits(pid, dir.path(), &needles);
    assert!(
        after.is_empty(),
        "copies left in memory: {after:?}\n{}",
        tmux.screen()
    );
    tmux.keys(&["C-q"]);
    assert_eq!(tmux.wait_dead(Duration::from_secs(10)), "0");
}

/// Issue 11 as a person does it: F5 attaches a file (the path typed in
/// part and completed with Tab), F4 writes the body in "their editor" (a
/// script standing in for one), Ctrl+S sends; both arrive over IMAP.
#[test]
fn attach_with_f5_write_with_f4_and_send_in_tmux() {
    use mail_parser::MimeHeaders as _;
    let lab = lab();
    let t = token("f5f4");
    let files = tempfile::tempdir().unwrap();
    let pdf = files.path().join("Смета на апрель.pdf");
    let bytes = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n";
    std::fs::write(&pdf, bytes).unwrap();
    let editor = files.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'Написано в редакторе.\\nВторая строка.\\n' > \"$1\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tmux = Tmux::start_with(
        "f5f4",
        100,
        30,
        "alice",
        true,
        &[("EDITOR", editor.display().to_string())],
    );
    tmux.wait_for("Protocol log", Duration::from_secs(10));
    tmux.text(&lab.address("bob"));
    tmux.keys(&["Tab", "Tab", "Tab"]);
    tmux.text(&format!("Смета {t}"));
    // F5: part of the name, Tab completes it, Enter attaches.
    tmux.keys(&["F5"]);
    tmux.wait_for("Attach a file", Duration::from_secs(5));
    tmux.text(&format!("{}/Сме", files.path().display()));
    tmux.keys(&["Tab"]);
    tmux.wait_for("Смета на апрель.pdf", Duration::from_secs(5));
    tmux.keys(&["Enter"]);
    tmux.wait_for("attached Смета на апрель.pdf", Duration::from_secs(5));
    // F4: the editor writes the body.
    tmux.keys(&["F4"]);
    let edited = tmux.wait_for("Написано в редакторе.", Duration::from_secs(10));
    assert!(edited.contains("Смета на апрель.pdf"), "{edited}");
    tmux.keys(&["C-s"]);
    tmux.wait_for("1 recipient accepted", Duration::from_secs(30));
    tmux.keys(&["Enter", "C-q"]);
    assert_eq!(tmux.wait_dead(Duration::from_secs(10)), "0");

    let raw = lab.fetch_by_subject("bob", &t, 1).remove(0);
    let msg = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        msg.body_text(0).as_deref(),
        Some("Написано в редакторе.\r\nВторая строка.\r\n")
    );
    let part = msg.attachments().next().expect("the attachment");
    assert_eq!(part.attachment_name(), Some("Смета на апрель.pdf"));
    assert_eq!(part.contents(), bytes);
}

/// The config of two lab users as two accounts, each with its password
/// command and its copy in Sent over IMAP.
pub(crate) fn two_accounts(default: &str) -> String {
    let lab = lab();
    let mut text = format!("default_account = \"{default}\"\n");
    for user in ["alice", "bob"] {
        text.push_str(&format!(
            "\n[accounts.{user}]\nserver = \"{host}\"\nport = {port}\nsecurity = \"starttls\"\n\
             helo = \"client.lab.example\"\nfrom = \"{user} <{address}>\"\nuser = \"{address}\"\n\
             password_command = \"printf %s '{password}'\"\nca_file = \"{ca}\"\ntimeout = 30\n\
             sent = \"imap\"\nimap_server = \"{host}\"\nimap_port = {imaps}\nimap_security = \"tls\"\n",
            host = lab.host,
            port = lab.submission_port,
            address = lab.address(user),
            password = lab.password(user),
            ca = lab.ca.display(),
            imaps = lab.imaps_port,
        ));
    }
    text
}

/// The letters in `user`'s Sent folder whose subject holds `token`.
fn sent_by_subject(user: &str, token: &str) -> Vec<Vec<u8>> {
    let mut imap = lab().imap(user);
    // A user who never had a copy has no Sent folder yet: nothing is in it.
    let listed = imap.command("LIST \"\" \"Sent\"");
    if !listed.lines.iter().any(|l| l.starts_with("* LIST")) {
        imap.logout();
        return Vec::new();
    }
    imap.select("Sent");
    let found = imap
        .search(&format!("SUBJECT {token}"))
        .into_iter()
        .map(|uid| imap.fetch(uid))
        .collect();
    imap.logout();
    found
}

/// Two accounts in the composer: Space on the Account row moves from
/// alice's to bob's; the letter goes with bob's login and its copy lands
/// in bob's Sent, byte for byte what the server was given.
#[test]
fn switch_account_send_and_find_the_copy_in_sent_in_tmux() {
    let lab = lab();
    let t = token("accounts");
    let tmux = Tmux::start_config("accounts", 100, 30, &two_accounts("alice"));
    tmux.wait_for("Protocol log", Duration::from_secs(10));
    tmux.keys(&["F2", "BTab"]);
    tmux.wait_for("‹alice› (1 of 2)", Duration::from_secs(5));
    tmux.keys(&["Space"]);
    tmux.wait_for("‹bob› (2 of 2)", Duration::from_secs(5));
    tmux.keys(&["F2"]);
    tmux.text(&lab.address("alice"));
    tmux.keys(&["Tab", "Tab", "Tab"]);
    tmux.text(&format!("Copy {t}"));
    // An empty Attach row is passed over: Tab goes to the body.
    tmux.keys(&["Tab"]);
    tmux.text("Sent from the second account.");
    tmux.keys(&["C-s"]);
    tmux.wait_for("1 recipient accepted", Duration::from_secs(30));
    tmux.wait_for("the copy is saved", Duration::from_secs(30));
    tmux.keys(&["Enter", "C-q"]);
    assert_eq!(tmux.wait_dead(Duration::from_secs(10)), "0");

    let delivered = lab.fetch_by_subject("alice", &t, 1).remove(0);
    assert!(
        String::from_utf8_lossy(&delivered)
            .contains(&format!("From: bob <{}>", lab.address("bob"))),
        "sent as bob"
    );
    let copies = sent_by_subject("bob", &t);
    assert_eq!(copies.len(), 1);
    // The server prepends its trace headers; the rest is the letter.
    assert!(
        delivered.ends_with(&copies[0]),
        "the copy differs from what was delivered"
    );
    assert!(sent_by_subject("alice", &t).is_empty());
}

/// Completion as a person types it: a first letter to bob puts him in the
/// history; in the next letter "bo" lists him, ↓ and Enter add him, and
/// "ca" asks the address book command, which knows carol. Both get the
/// letter.
#[test]
fn addresses_complete_from_the_history_and_the_address_book_in_tmux() {
    let lab = lab();
    let t = token("complete");
    let book = tempfile::tempdir().unwrap();
    let script = book.path().join("book.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho 'searching…'\ncase \"$1\" in ca*) printf '{}\\tCarol Lab\\n' ;; esac\n",
            lab.address("carol")
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = format!(
        "{}address_book_command = \"{} %s\"\n",
        config_text("alice"),
        script.display()
    );
    let tmux = Tmux::start_config("complete", 100, 30, &config);
    tmux.wait_for("Protocol log", Duration::from_secs(10));
    // No password in the environment: typed into the settings.
    tmux.keys(&["F2", "Tab", "Tab", "Tab", "Tab"]);
    tmux.text(&lab.password("alice"));
    tmux.keys(&["F2"]);
    tmux.text(&lab.address("bob"));
    tmux.keys(&["Tab", "Tab", "Tab"]);
    tmux.text(&format!("First {t}"));
    tmux.keys(&["Tab"]);
    tmux.text("The first letter.");
    tmux.keys(&["C-s"]);
    tmux.wait_for("1 recipient accepted", Duration::from_secs(30));
    tmux.keys(&["Enter", "C-n"]);
    tmux.wait_for("new letter", Duration::from_secs(5));
    tmux.text("bo");
    let listed = tmux.wait_for("Enter adds", Duration::from_secs(5));
    assert!(
        listed.contains(&format!("› {}", lab.address("bob"))),
        "{listed}"
    );
    tmux.keys(&["Enter"]);
    tmux.text("ca");
    tmux.wait_for(
        &format!("› Carol Lab <{}>", lab.address("carol")),
        Duration::from_secs(5),
    );
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(
        &format!(
            "To {}, Carol Lab <{}>,",
            lab.address("bob"),
            lab.address("carol")
        ),
        Duration::from_secs(5),
    );
    assert!(
        !screen.contains("Enter adds"),
        "the list is closed: {screen}"
    );
    tmux.keys(&["Tab", "Tab", "Tab"]);
    tmux.text(&format!("Second {t}"));
    tmux.keys(&["Tab"]);
    tmux.text("The second letter.");
    tmux.keys(&["C-s"]);
    tmux.wait_for("2 recipients accepted", Duration::from_secs(30));
    tmux.keys(&["Enter", "C-q"]);
    assert_eq!(tmux.wait_dead(Duration::from_secs(10)), "0");
    lab.fetch_by_subject("bob", &format!("Second {t}"), 1);
    lab.fetch_by_subject("carol", &format!("Second {t}"), 1);
    let history = std::fs::read_to_string(tmux.data_dir().join("smtpwire/addresses")).unwrap();
    // Oldest first: the last line is the most recent letter's first recipient.
    assert!(
        history.lines().last() == Some(lab.address("bob").as_str()),
        "{history}"
    );
    assert!(
        history.contains(&format!("{}\tCarol Lab", lab.address("carol"))),
        "{history}"
    );
    let mode = std::fs::metadata(tmux.data_dir().join("smtpwire/addresses"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// Moves the log's cursor (↑) until the marked line holds `needle`.
fn cursor_to(tmux: &Tmux, needle: &str) {
    for _ in 0..80 {
        let screen = tmux.screen();
        if screen
            .lines()
            .any(|l| (l.contains("›S:") || l.contains("›C:")) && l.contains(needle))
        {
            return;
        }
        tmux.keys(&["Up"]);
    }
    panic!("the cursor never reached {needle:?}:\n{}", tmux.screen());
}

/// The inspector as a person uses it, over STARTTLS with AUTH LOGIN: the
/// 334 challenge decoded, the reply to a pipelined RCPT paired with it, and
/// the letter as it went on the wire (a leading dot doubled), whose lines
/// are those the server stored.
#[test]
fn the_inspector_reads_the_lab_session_in_tmux() {
    let lab = lab();
    let t = token("inspect");
    let config = format!("{}auth = \"login\"\n", config_text("alice"));
    let tmux = Tmux::start_config("inspect", 120, 40, &config);
    tmux.wait_for("Protocol log", Duration::from_secs(10));
    tmux.keys(&["F2", "Tab", "Tab", "Tab", "Tab"]);
    tmux.text(&lab.password("alice"));
    tmux.keys(&["F2"]);
    tmux.text(&format!("{}, {}", lab.address("bob"), lab.address("carol")));
    tmux.keys(&["Tab", "Tab", "Tab"]);
    tmux.text(&format!("Inspect {t}"));
    tmux.keys(&["Tab"]);
    tmux.text("First line.");
    tmux.keys(&["Enter"]);
    tmux.text(".a line that starts with a dot");
    tmux.keys(&["C-s"]);
    tmux.wait_for("2 recipients accepted", Duration::from_secs(30));
    tmux.keys(&["Enter", "F3"]);
    tmux.wait_for("Enter details", Duration::from_secs(5));
    cursor_to(&tmux, "334 VXNlcm5hbWU6");
    tmux.keys(&["Enter"]);
    let shown = tmux.wait_for("Decoded  Username:", Duration::from_secs(5));
    assert!(shown.contains("Answers  line"), "{shown}");
    assert!(shown.contains("AUTH LOGIN"), "{shown}");
    assert!(!shown.contains(&lab.password("alice")), "{shown}");
    tmux.keys(&["Escape"]);
    tmux.keys(&["End"]);
    cursor_to(&tmux, "bytes of message data>");
    tmux.keys(&["Enter"]);
    let shown = tmux.wait_for("..a line that starts with a dot", Duration::from_secs(5));
    assert!(shown.contains("Answer   line"), "{shown}");
    // Every line shown is a line of the stored letter (un-stuffed), in
    // order: the server prepends only its trace fields.
    let stored = lab.fetch_by_subject("bob", &t, 1).remove(0);
    let stored = String::from_utf8_lossy(&stored).into_owned();
    let stored: Vec<&str> = stored.split("\r\n").collect();
    let shown: Vec<String> = shown
        .lines()
        .map(|l| l.trim_matches('│').trim().to_owned())
        .skip_while(|l| !l.starts_with("Date: "))
        .take_while(|l| l != ".")
        .map(|l| l.strip_prefix('.').map_or(l.clone(), str::to_owned))
        .collect();
    assert!(shown.len() > 8, "{shown:?}");
    let start = stored.iter().position(|l| l.starts_with("Date: ")).unwrap();
    for (i, line) in shown.iter().enumerate() {
        assert_eq!(stored[start + i].trim(), line, "line {i} of the letter");
    }
    tmux.keys(&["Escape"]);
    tmux.keys(&["C-q"]);
    assert_eq!(tmux.wait_dead(Duration::from_secs(10)), "0");
}

/// Ctrl+P in the composer: the curl command for the letter in the form,
/// saved with its letter; run by sh with the password in the environment,
/// it delivers through the lab, and holds no password.
#[test]
fn ctrl_p_writes_a_curl_command_that_delivers() {
    let lab = lab();
    let t = token("ctrlp");
    let tmux = Tmux::start("ctrlp", 120, 40);
    tmux.wait_for("Protocol log", Duration::from_secs(10));
    tmux.text(&lab.address("bob"));
    tmux.keys(&["Tab", "Tab", "Tab"]);
    tmux.text(&format!("Equivalent {t}"));
    tmux.keys(&["Tab"]);
    tmux.text("Sent by curl, written by smtpwire.");
    tmux.keys(&["C-p"]);
    tmux.wait_for("send-with-swaks.sh", Duration::from_secs(10));
    tmux.keys(&["c"]);
    let shown = tmux.wait_for("send-with-curl.sh", Duration::from_secs(10));
    assert!(shown.contains("export it first"), "{shown}");
    tmux.keys(&["Escape"]);
    tmux.keys(&["C-q"]);
    assert_eq!(tmux.wait_dead(Duration::from_secs(10)), "0");
    let script = tmux.data_dir().join("smtpwire/letters/send-with-curl.sh");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(!text.contains(&lab.password("alice")), "{text}");
    let out = Command::new("sh")
        .arg(&script)
        .env("SMTPWIRE_PASSWORD", lab.password("alice"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored = lab.fetch_by_subject("bob", &t, 1).remove(0);
    assert!(String::from_utf8_lossy(&stored).contains("Sent by curl, written by smtpwire."));
}

/// The rows of the preview's DATA section on `screen`, each as the wire
/// line it shows (indent, scrollbar and wrapping undone), up to the final
/// dot; skipped base64 is left out.
fn preview_data_rows(screen: &str) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    let mut inside = false;
    for row in screen.lines() {
        let row = row.trim_end_matches(['█', '║']).trim_end();
        if !inside {
            inside = row.starts_with("DATA  as sent");
            continue;
        }
        if let Some(rest) = row.strip_prefix("↪ ") {
            rows.last_mut().expect("a continued row").push_str(rest);
            continue;
        }
        let line = row.strip_prefix("  ").unwrap_or(row);
        if line.starts_with("… ") {
            continue;
        }
        rows.push(line.to_owned());
        if line == "." {
            break;
        }
    }
    rows
}

/// Issue 13 item 3 as a person uses it: a Cyrillic letter with a Bcc, a
/// line starting with a dot and a file; F6 before connecting says the
/// server is assumed; after Ctrl+O, F6 shows the envelope and DATA for the
/// lab's Postfix. Ctrl+S from the preview sends, the log's MAIL FROM and
/// byte count are the preview's, and the letter Postfix stored holds every
/// line the preview showed, in order (Date and Message-ID included).
#[test]
fn preview_with_f6_then_send_from_it_in_tmux() {
    let lab = lab();
    let t = token("preview");
    let files = tempfile::tempdir().unwrap();
    let pdf = files.path().join("Смета.pdf");
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend((0..3000u32).map(|i| u8::try_from(i * 7 % 256).unwrap()));
    std::fs::write(&pdf, &bytes).unwrap();
    let tmux = Tmux::start("preview", 120, 60);
    tmux.wait_for("Protocol log", Duration::from_secs(10));
    let subject = format!("Предпросмотр {t}");
    tmux.text(&format!("Боб Иванов <{}>", lab.address("bob")));
    tmux.keys(&["Tab", "Tab"]);
    tmux.text(&lab.address("carol"));
    tmux.keys(&["Tab"]);
    tmux.text(&subject);
    // The empty Attach row is passed over: Tab goes to the body.
    tmux.keys(&["Tab"]);
    tmux.text("Здравствуй, Боб!");
    tmux.keys(&["Enter"]);
    tmux.text(".точка в начале строки");
    tmux.keys(&["Enter"]);
    tmux.text("Конец.");
    tmux.keys(&["F5"]);
    tmux.wait_for("Attach a file", Duration::from_secs(5));
    tmux.text(&pdf.display().to_string());
    tmux.keys(&["Enter"]);
    tmux.wait_for("attached Смета.pdf", Duration::from_secs(5));

    // Not connected: built as for a modern server, and it says so.
    tmux.keys(&["F6"]);
    let assumed = tmux.wait_for("not connected: built as", Duration::from_secs(10));
    assert!(
        assumed.contains(&format!("MAIL FROM:<{}> SIZE=", lab.address("alice"))),
        "{assumed}"
    );
    tmux.keys(&["Escape"]);
    tmux.keys(&["C-o"]);
    tmux.wait_for(
        &format!("connected as {}", lab.address("alice")),
        Duration::from_secs(30),
    );

    // Connected: the lab's Postfix.
    tmux.keys(&["F6"]);
    let top = tmux.wait_for("built for", Duration::from_secs(10));
    let mail_line = top
        .lines()
        .map(|l| l.trim_end_matches(['█', '║']).trim())
        .find(|l| l.starts_with("MAIL FROM:"))
        .unwrap_or_else(|| panic!("no MAIL FROM in:\n{top}"))
        .to_owned();
    assert!(
        mail_line.starts_with(&format!("MAIL FROM:<{}> SIZE=", lab.address("alice")))
            && mail_line.ends_with(" BODY=8BITMIME"),
        "{mail_line}"
    );
    assert!(
        top.contains(&format!("RCPT TO:<{}>", lab.address("bob"))),
        "{top}"
    );
    assert!(
        top.contains(&format!(
            "RCPT TO:<{}>  Bcc: in the envelope only, in no header",
            lab.address("carol")
        )),
        "{top}"
    );
    let wire_bytes = top
        .lines()
        .find_map(|l| {
            l.trim()
                .split_once(" bytes of message data in ")
                .map(|(n, _)| n.to_owned())
        })
        .unwrap_or_else(|| panic!("no message data size in:\n{top}"));
    tmux.keys(&["End"]);
    let end = tmux.wait_for("more lines of base64 (Смета.pdf", Duration::from_secs(5));
    let data = preview_data_rows(&end);
    assert!(data.len() > 20, "{data:?}\n{end}");
    assert!(data[0].starts_with("Date: "), "{data:?}");
    assert!(
        data.iter().any(|l| l == "..точка в начале строки"),
        "dot-stuffed on the wire: {data:?}"
    );
    assert!(
        data.iter().any(|l| l == "Content-Transfer-Encoding: 8bit"),
        "{data:?}"
    );
    assert_eq!(data.last().map(String::as_str), Some("."));
    assert!(
        !data
            .iter()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "{data:?}"
    );

    // Ctrl+S from the preview: the log shows the same MAIL FROM and size.
    tmux.keys(&["C-s"]);
    tmux.wait_for("2 of 2 recipients accepted", Duration::from_secs(30));
    tmux.keys(&["Enter"]);
    let log = tmux.wait_for(&format!("C: {mail_line}"), Duration::from_secs(5));
    assert!(
        log.contains(&format!("C: <{wire_bytes} bytes of message data>")),
        "{wire_bytes}: {log}"
    );
    tmux.keys(&["C-q"]);
    assert_eq!(tmux.wait_dead(Duration::from_secs(10)), "0");

    // What Postfix stored holds every line shown, in order, without the
    // dot-stuffing (the server removes it) and after its own trace fields.
    for user in ["bob", "carol"] {
        let stored = lab.fetch_by_subject(user, &t, 1).remove(0);
        let text = String::from_utf8(stored).unwrap();
        let stored_lines: Vec<&str> = text.split("\r\n").map(str::trim_end).collect();
        let mut at = 0;
        for shown in &data[..data.len() - 1] {
            let line = shown
                .strip_prefix('.')
                .filter(|_| shown.starts_with(".."))
                .unwrap_or(shown);
            let found = stored_lines[at..]
                .iter()
                .position(|l| *l == line)
                .unwrap_or_else(|| {
                    panic!("{user}: {line:?} is not in the stored letter after line {at}:\n{text}")
                });
            at += found + 1;
        }
        assert!(
            text.contains(&format!("\r\n{}\r\n", data[0])),
            "the Date shown"
        );
        let id = data.iter().find(|l| l.starts_with("Message-ID: ")).unwrap();
        assert!(text.contains(&format!("\r\n{id}\r\n")), "{id}");
    }
}

/// Manual mode as a person types it, over STARTTLS against the lab: F7,
/// NOOP, VRFY, RSET, AUTH LOGIN through the masked prompts, a letter typed
/// by hand with a dot line, the lone `.`; then Esc and QUIT. The letter is
/// read back from bob's INBOX with its dot line un-stuffed; the password is
/// on no screen and in no file.
#[test]
fn manual_mode_types_smtp_into_the_session_in_tmux() {
    let lab = lab();
    let t = token("manual");
    let alice = lab.address("alice");
    let bob = lab.address("bob");
    let password = lab.password("alice");
    // No user: Ctrl+O opens an encrypted session without logging in, so
    // the AUTH typed by hand is the login.
    let config: String = config_text("alice")
        .lines()
        .filter(|l| !l.starts_with("user = "))
        .map(|l| format!("{l}\n"))
        .collect();
    let tmux = Tmux::start_config("manual", 100, 30, &config);
    tmux.wait_for("Protocol log", Duration::from_secs(10));
    tmux.keys(&["F7"]);
    tmux.wait_for("Ctrl+O connects first", Duration::from_secs(5));
    tmux.keys(&["C-o"]);
    tmux.wait_for("connected; Ctrl+S sends", Duration::from_secs(30));
    tmux.keys(&["F7"]);
    tmux.wait_for("SMTP>", Duration::from_secs(5));
    let mut screens = Vec::new();
    for (line, reply) in [
        ("NOOP".to_owned(), "S: 250 2.0.0 Ok".to_owned()),
        // Postfix answers VRFY before AUTH with its recipient
        // restrictions (554 here), after it with 252: either names bob.
        (format!("VRFY {bob}"), format!("S: 5|S: 2|{bob}")),
        ("RSET".to_owned(), "C: RSET".to_owned()),
        ("AUTH LOGIN".to_owned(), "AUTH LOGIN user>".to_owned()),
        (alice.clone(), "AUTH LOGIN password>".to_owned()),
    ] {
        screens.push(say(&tmux, &line, &reply));
    }
    tmux.text(&password);
    let masked = tmux.screen();
    assert!(
        masked.contains(&format!(
            "AUTH LOGIN password> {}",
            "•".repeat(password.chars().count())
        )),
        "{masked}"
    );
    screens.push(masked);
    let authed = say(&tmux, "", "S: 235 2.7.0 Authentication successful");
    assert!(
        authed.contains("C: <username redacted>") && authed.contains("C: <password redacted>"),
        "{authed}"
    );
    screens.push(authed);
    for (line, reply) in [
        (format!("MAIL FROM:<{alice}>"), "S: 250 2.1.0 Ok".to_owned()),
        (format!("RCPT TO:<{bob}>"), "S: 250 2.1.5 Ok".to_owned()),
        ("DATA".to_owned(), "DATA>".to_owned()),
        (format!("From: <{alice}>"), format!("C: From: <{alice}>")),
        (format!("To: <{bob}>"), format!("C: To: <{bob}>")),
        (
            format!("Subject: by hand {t}"),
            "C: Subject: by hand".to_owned(),
        ),
        (String::new(), String::new()),
        (
            "Typed in manual mode.".to_owned(),
            "C: Typed in manual mode.".to_owned(),
        ),
        (".dot line".to_owned(), "C: ..dot line".to_owned()),
        ("..two dots".to_owned(), "C: ...two dots".to_owned()),
        (".".to_owned(), "queued as".to_owned()),
    ] {
        screens.push(say(&tmux, &line, &reply));
    }
    tmux.wait_for("SMTP>", Duration::from_secs(5));
    // Esc leaves manual mode, the session stays; Ctrl+D says QUIT.
    tmux.keys(&["Escape"]);
    tmux.wait_for("● open", Duration::from_secs(5));
    tmux.keys(&["C-l"]);
    tmux.wait_for("JSON Lines", Duration::from_secs(5));
    tmux.keys(&["t"]);
    tmux.wait_for("log saved", Duration::from_secs(5));
    tmux.keys(&["C-d"]);
    screens.push(tmux.wait_for("disconnected: 221", Duration::from_secs(10)));
    tmux.keys(&["C-q"]);
    assert_eq!(tmux.wait_dead(Duration::from_secs(10)), "0");

    let raw = lab.fetch_by_subject("bob", &t, 1).remove(0);
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.ends_with("\r\nTyped in manual mode.\r\n.dot line\r\n..two dots\r\n"),
        "{text}"
    );
    for screen in &screens {
        assert_no_secret(screen.as_bytes(), &alice, &password);
    }
    let files: Vec<_> = Tmux::files(&tmux.data_dir());
    let saved_log = files
        .iter()
        .find(|(p, _)| p.to_string_lossy().contains("/logs/"))
        .expect("the saved log");
    let log = String::from_utf8_lossy(&saved_log.1);
    for line in [
        "C: NOOP",
        &format!("C: VRFY {bob}"),
        "C: AUTH LOGIN",
        "C: <username redacted>",
        "C: <password redacted>",
        "C: ..dot line",
        "queued as",
    ] {
        assert!(log.contains(line), "{line} in\n{log}");
    }
    for (_, bytes) in &files {
        assert_no_secret(bytes, &alice, &password);
    }
}

/// Types `line` and Enter into manual mode; waits until `reply` shows
/// (when given; `A|B|text` waits for a line with `text` that starts with
/// `A` or `B` after the time) and returns the screen.
fn say(tmux: &Tmux, line: &str, reply: &str) -> String {
    if !line.is_empty() {
        tmux.text(line);
    }
    tmux.keys(&["Enter"]);
    let parts: Vec<&str> = reply.split('|').collect();
    let [a, b, text] = parts[..] else {
        return if reply.is_empty() {
            tmux.screen()
        } else {
            tmux.wait_for(reply, Duration::from_secs(30))
        };
    };
    let started = Instant::now();
    loop {
        let screen = tmux.screen();
        if screen.lines().any(|l| {
            let rest = l.get(13..).unwrap_or_default();
            (rest.starts_with(a) || rest.starts_with(b)) && rest.contains(text)
        }) {
            return screen;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no reply to {line:?}; screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A saved log read back as a person would: `smtpwire send` writes a JSON
/// Lines transcript of a real session that refuses one recipient, the
/// composer opens it with `--open-log`, and the inspector explains the
/// refusal from it, pairs it with its RCPT, and shows no password.
#[test]
fn a_saved_log_opens_and_its_refusal_is_explained_in_tmux() {
    let lab = lab();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("session.jsonl");
    let t = token("openlog");
    let mut a = submission(lab.submission_port, "starttls", "login");
    a.extend(args(&[
        "--from",
        &lab.address("alice"),
        "--to",
        &lab.address("bob"),
        "--to",
        &lab.unknown,
        "--subject",
        &format!("Saved log {t}"),
        "--body",
        "Kept for later.",
        "--transcript",
        jsonl.to_str().unwrap(),
        "--transcript-format",
        "jsonl",
    ]));
    let out = smtpwire(&a, Some(&lab.password("alice")));
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
    let saved = std::fs::read_to_string(&jsonl).unwrap();
    let lines = saved.lines().count();
    assert!(lines > 10, "{saved}");

    let tmux = Tmux::start_args("openlog", 140, 40, &["--open-log", jsonl.to_str().unwrap()]);
    let shown = tmux.wait_for("lines from", Duration::from_secs(10));
    assert!(shown.contains(&format!("opened {lines} lines")), "{shown}");
    tmux.keys(&["F3"]);
    tmux.wait_for("Enter details", Duration::from_secs(5));
    let unknown = lab.unknown.split('@').next().unwrap().to_owned();
    cursor_to(&tmux, "550 5.1.1");
    tmux.keys(&["Enter"]);
    let shown = tmux.wait_for("Meaning", Duration::from_secs(5));
    assert!(shown.contains("Answers  line"), "{shown}");
    assert!(shown.contains(&format!("RCPT TO:<{unknown}@")), "{shown}");
    assert!(shown.contains("5.1.1"), "{shown}");
    tmux.keys(&["Escape"]);
    cursor_to(&tmux, "334 VXNlcm5hbWU6");
    tmux.keys(&["Enter"]);
    let shown = tmux.wait_for("Decoded  Username:", Duration::from_secs(5));
    assert!(!shown.contains(&lab.password("alice")), "{shown}");
    tmux.keys(&["Escape"]);
    tmux.keys(&["C-q"]);
    assert_eq!(tmux.wait_dead(Duration::from_secs(10)), "0");
    // The saved log and every file the composer wrote hold no password.
    assert_no_secret(
        saved.as_bytes(),
        &lab.address("alice"),
        &lab.password("alice"),
    );
    for (path, bytes) in Tmux::files(&tmux.home) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&lab.password("alice")),
            "{}",
            path.display()
        );
    }
}

/// A copy an earlier `smtpwire send` could not save (the IMAP server was
/// down) is saved by the composer as it starts, with the account's login
/// from the environment: found in Sent byte for byte, the queue emptied.
#[test]
fn the_composer_saves_a_kept_copy_as_it_starts_in_tmux() {
    let lab = lab();
    let t = token("keptstart");
    let home = tempfile::tempdir().unwrap();
    let password = lab.password("carol");
    let closed = {
        let listener = std::net::TcpListener::bind((lab.host.as_str(), 0)).unwrap();
        listener.local_addr().unwrap().port()
    };
    let eml = home.path().join("letter.eml");
    let sent = Command::new(env!("CARGO_BIN_EXE_smtpwire"))
        .args(["send", "--server", &lab.host, "--port"])
        .arg(lab.submission_port.to_string())
        .arg("--ca-file")
        .arg(&lab.ca)
        .args([
            "--user",
            &lab.address("carol"),
            "--from",
            &lab.address("carol"),
        ])
        .args(["--helo", "client.lab.example", "--to", &lab.address("bob")])
        .args(["--subject", &format!("Kept {t}"), "--body", "Saved later."])
        .args(["--sent", "imap", "--imap-server", &lab.host, "--imap-port"])
        .arg(closed.to_string())
        .args(["--imap-security", "starttls", "--eml"])
        .arg(&eml)
        .env_remove("SMTPWIRE_PASSWORD")
        .env("SMTPWIRE_PASSWORD", &password)
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("HOME", home.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    // The IMAP server is back: the kept record now names the lab's port.
    let queue = home.path().join("data/smtpwire/sent-queue");
    let record = std::fs::read_dir(&queue)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "toml"))
        .expect("a kept copy");
    let text = std::fs::read_to_string(&record).unwrap();
    let moved = text.replace(
        &format!("imap_port = {closed}"),
        &format!("imap_port = {}", lab.imap_port),
    );
    assert_ne!(text, moved, "{text}");
    std::fs::write(&record, moved).unwrap();
    let dir = home.path().join("config/smtpwire");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "{}sent = \"imap\"\nimap_server = \"{}\"\nimap_port = {}\nimap_security = \"starttls\"\n",
            config_text("carol"),
            lab.host,
            lab.imap_port
        ),
    )
    .unwrap();

    let tmux = Tmux::start_home("keptstart", 120, 40, home, Some(password.clone()));
    let shown = tmux.wait_for("now saved in Sent", Duration::from_secs(20));
    assert!(
        shown.contains("copies kept earlier: 1 now saved"),
        "{shown}"
    );
    assert!(!shown.contains(&password));
    tmux.keys(&["C-q"]);
    assert_eq!(tmux.wait_dead(Duration::from_secs(10)), "0");
    let left: Vec<_> = std::fs::read_dir(&queue)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| !n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let found = sent_by_subject("carol", &t);
    assert_eq!(found, vec![std::fs::read(&eml).unwrap()]);
}

/// Job control as a shell user meets it: Ctrl+Z and `kill -TSTP` hand the
/// terminal back to the shell (its prompt shows, the job is stopped), `fg`
/// brings the composer back in raw mode with the screen redrawn, and what
/// was typed before and after is kept; SIGTERM then saves it and exits 143.
#[test]
fn ctrl_z_and_sigtstp_give_the_shell_back_and_fg_resumes_in_tmux() {
    let tmux = Tmux::start_shell("jobs", 100, 30);
    tmux.text(&format!("'{}'", env!("CARGO_BIN_EXE_smtpwire")));
    tmux.keys(&["Enter"]);
    tmux.wait_for("Protocol log", Duration::from_secs(10));
    tmux.text("bob@lab.example");
    tmux.keys(&["C-z"]);
    let shown = tmux.wait_for("Stopped", Duration::from_secs(10));
    assert!(shown.contains("PROMPT$"), "{shown}");
    tmux.text("fg");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Protocol log", Duration::from_secs(10));
    // Raw mode again: a key is a key, not echoed text.
    tmux.text(", carol@lab.example");
    let shown = tmux.wait_for("bob@lab.example, carol@lab.example", Duration::from_secs(5));
    assert!(!shown.contains("PROMPT$"), "{shown}");

    let pid = tmux.app_pid();
    let _ = Command::new("kill")
        .args(["-TSTP", &pid.to_string()])
        .status()
        .unwrap();
    tmux.wait_for("Stopped", Duration::from_secs(10));
    tmux.text("fg");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Protocol log", Duration::from_secs(10));
    tmux.text(", dave@lab.example");
    tmux.wait_for(
        "carol@lab.example, dave@lab.example",
        Duration::from_secs(5),
    );
    // SIGTERM: the letter is saved, the terminal given back, and the exit
    // status is a killed program's (128 + 15).
    let pid = tmux.app_pid();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    tmux.wait_for("PROMPT$", Duration::from_secs(10));
    tmux.text("echo EXIT=$?");
    tmux.keys(&["Enter"]);
    tmux.wait_for("EXIT=143", Duration::from_secs(10));
    let draft = std::fs::read_to_string(tmux.data_dir().join("smtpwire/draft.toml")).unwrap();
    assert!(draft.contains("dave@lab.example"), "{draft}");
}
