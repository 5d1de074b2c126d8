//! `leovms-cli` in German, through the real daemon on a private bus: what a person with
//! `LANG=de_DE.UTF-8` reads, and that English stays the default. `--json` is the same in
//! every language.

mod common;

use std::process::{Command, Output, Stdio};

use common::{World, describe};
use leovms_testkit::workspace_bin;

/// The environment variables that choose the language, besides `LANG`.
const OTHER_LOCALE_VARS: [&str; 3] = ["LANGUAGE", "LC_ALL", "LC_MESSAGES"];

/// `leovms-cli args` with `LANG=lang` (none when `None`) and no other locale variable.
fn cli_in(w: &World, lang: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(workspace_bin("leovms-cli"));
    w.env_for(&mut cmd);
    for var in OTHER_LOCALE_VARS {
        cmd.env_remove(var);
    }
    match lang {
        Some(lang) => cmd.env("LANG", lang),
        None => cmd.env_remove("LANG"),
    };
    cmd.args(args).stdin(Stdio::null()).output().unwrap()
}

fn german(w: &World, args: &[&str]) -> Output {
    cli_in(w, Some("de_DE.UTF-8"), args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The cell of `column` (a header) in the row of `vm` of a table as `list` prints it.
fn cell(table: &str, column: &str, vm: &str) -> String {
    let mut lines = table.lines().skip_while(|l| !l.starts_with("ID "));
    let header = lines.next().unwrap_or_else(|| panic!("no table:\n{table}"));
    let start = header
        .find(column)
        .unwrap_or_else(|| panic!("no {column}:\n{table}"));
    let row = lines
        .find(|l| l.starts_with(&format!("{vm} ")))
        .unwrap_or_else(|| panic!("no {vm}:\n{table}"));
    row[start..].split("  ").next().unwrap().trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn list_speaks_german_under_a_german_locale_and_english_by_default() {
    let mut w = World::new().await;
    w.start_daemon().await;

    let out = german(&w, &["list"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    for words in ["ZUSTAND", "BASIS", "ENTPACKT", "WIE VORGEFUNDEN", "nein"] {
        assert!(text.contains(words), "no {words:?} in:\n{text}");
    }
    for english in ["STATE", "UNPACKED", "AS FOUND", " no "] {
        assert!(!text.contains(english), "{english:?} in:\n{text}");
    }
    assert_eq!(cell(&text, "ZUSTAND", "vm-demo"), "aus", "{text}");
    // Sizes with the German decimal comma, e.g. `0,01 GB`.
    let base = cell(&text, "BASIS", "vm-demo");
    assert!(
        base.ends_with(" GB") && base.contains(',') && !base.contains('.'),
        "{base:?} in:\n{text}"
    );

    for lang in [None, Some("C.UTF-8")] {
        let out = cli_in(&w, lang, &["list"]);
        assert!(out.status.success(), "{}", describe(&out));
        let text = stdout(&out);
        assert!(text.starts_with("ID  "), "{lang:?}:\n{text}");
        for words in ["STATE", "UNPACKED", "AS FOUND"] {
            assert!(text.contains(words), "{lang:?}: no {words:?} in:\n{text}");
        }
        assert_eq!(cell(&text, "STATE", "vm-demo"), "off", "{text}");
        let base = cell(&text, "BASE", "vm-demo");
        assert!(base.contains('.') && !base.contains(','), "{base:?}");
    }

    // --json is never translated.
    let json_de = german(&w, &["--json", "list"]);
    let json_en = cli_in(&w, None, &["--json", "list"]);
    assert!(json_de.status.success(), "{}", describe(&json_de));
    assert_eq!(stdout(&json_de), stdout(&json_en));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_start_is_said_in_german() {
    let mut w = World::new().await;
    w.start_daemon().await;

    // A VM that does not exist: worded from the refusal's detail, with the VM's name.
    let out = german(&w, &["start", "vm-nope", "--snapshot", "standard"]);
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.trim_end() == "leovms: Auf der Freigabe gibt es keine VM „vm-nope“.",
        "{}",
        describe(&out)
    );
    let english = cli_in(&w, None, &["start", "vm-nope", "--snapshot", "standard"]);
    assert_eq!(english.status.code(), Some(4), "{}", describe(&english));
    let english = stderr(&english);
    assert!(!english.contains("Nicht gefunden"), "{english}");
    assert_ne!(err, english);

    // A second VM while one runs.
    let out = german(&w, &["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout(&out).trim_end().ends_with("Demo Linux läuft."),
        "{}",
        describe(&out)
    );
    // What the start job does now, as `jobs` shows it: worded from the job's detail.
    let running_row = |out: &Output| {
        assert!(out.status.success(), "{}", describe(out));
        let table = stdout(out);
        let row = table.lines().find(|l| l.contains(" vm-demo "));
        row.unwrap_or_else(|| panic!("no job of vm-demo:\n{table}"))
            .trim_end()
            .to_string()
    };
    let row = running_row(&german(&w, &["jobs"]));
    assert!(row.ends_with("  Demo Linux läuft."), "{row}");
    let row = running_row(&cli_in(&w, None, &["jobs"]));
    assert!(row.ends_with("  Demo Linux is running."), "{row}");

    let out = german(&w, &["start", "vm-win", "--snapshot", "standard"]);
    assert_eq!(out.status.code(), Some(8), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.trim_end()
            == "leovms: vm-demo läuft. Schließen Sie diese VM, bevor Sie vm-win starten.",
        "{}",
        describe(&out)
    );
    assert!(!err.starts_with("leovms: Close"), "{err}");
    let out = cli_in(&w, None, &["start", "vm-win", "--snapshot", "standard"]);
    common::assert_refused(&out, 8, "Close it before starting");

    let out = german(&w, &["stop", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(stdout(&out), "vm-demo wurde ausgeschaltet.\n");
}

/// How a sync ended, and why a VM is not available offline, are worded from the detail
/// the daemon sends with them.
#[tokio::test(flavor = "multi_thread")]
async fn offline_use_is_said_in_german() {
    let mut w = World::new().await;
    let cache = w.configure_cache(1_000_000_000);
    w.start_daemon().await;
    let out = german(&w, &["sync", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    let last = stdout(&out).lines().last().unwrap_or_default().to_string();
    let ready = "Demo Linux ist für die Offline-Nutzung bereit (";
    assert!(
        last.starts_with(ready) && last.ends_with(&format!(" GB in {}).", cache.display())),
        "{}",
        describe(&out)
    );
    // The size has a decimal comma, as German writes it.
    let size = &last[ready.len()..last.find(" GB").unwrap()];
    assert!(size.contains(',') && !size.contains('.'), "{last}");

    let out = cli_in(&w, Some("C.UTF-8"), &["sync", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout(&out).contains("is ready for offline use"),
        "{}",
        describe(&out)
    );

    // Without the share, the VM that was not synced says why, in German: in the list
    // (from the problem's detail) and when started (from the refusal's detail).
    let away = w.data.with_extension("away");
    std::fs::rename(&w.data, &away).unwrap();
    let why = "Offline nicht verfügbar: Die VM-Freigabe ist nicht erreichbar, und Windows 10 (demo) wurde nicht für die Offline-Nutzung abgeglichen.";
    let out = german(&w, &["list"]);
    assert!(stdout(&out).contains(why), "{}", describe(&out));
    let out = german(&w, &["start", "vm-win", "--snapshot", "standard"]);
    assert_eq!(
        stderr(&out).trim_end(),
        format!("leovms: {why}"),
        "{}",
        describe(&out)
    );
    // The share's state with what to do about it, worded from its detail.
    let out = german(&w, &["status"]);
    let not_connected = format!(
        "Die VM-Freigabe ist nicht verbunden (unter {} ist nichts eingehängt). Melden Sie sich ab und wieder an, oder fragen Sie die Administration der Schule.",
        w.data.display()
    );
    assert!(stdout(&out).contains(&not_connected), "{}", describe(&out));
    // Scripts read the same English problem and its id in both languages.
    let json = german(&w, &["--json", "list"]);
    let win = common::listed(&serde_json::from_slice(&json.stdout).unwrap(), "vm-win");
    assert!(
        win["problem"]
            .as_str()
            .unwrap()
            .starts_with("Not available offline"),
        "{win}"
    );
    assert_eq!(win["problem_detail"]["id"], "not-synced");
    std::fs::rename(&away, &w.data).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn help_is_german_under_a_german_locale_and_english_by_default() {
    // --help needs neither the bus nor the daemon.
    let w = World::new().await;
    let about = "Start the school's virtual machines and see what they are doing";
    let start_about = "Start a machine from a snapshot or as found";

    let out = german(&w, &["--help"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    for words in [
        "Die virtuellen Maschinen der Schule starten",
        "Aufruf: leovms-cli",
        "Befehle:",
        "Optionen:",
        "Hilfe anzeigen",
        "Exit-Codes:",
    ] {
        assert!(text.contains(words), "no {words:?} in:\n{text}");
    }
    for english in [about, start_about, "Usage:", "Options:", "Exit codes:"] {
        assert!(!text.contains(english), "{english:?} in:\n{text}");
    }

    let out = german(&w, &["start", "--help"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    for words in [
        "Eine VM von einem Snapshot oder wie vorgefunden starten",
        "Argumente:",
        "Warten, bis die VM ausgeschaltet wurde",
    ] {
        assert!(text.contains(words), "no {words:?} in:\n{text}");
    }
    assert!(!text.contains(start_about), "{text}");

    for lang in [None, Some("C.UTF-8")] {
        let text = stdout(&cli_in(&w, lang, &["--help"]));
        assert!(text.starts_with(about), "{lang:?}:\n{text}");
        assert!(text.contains("Usage: leovms-cli") && text.contains("Exit codes:"));
        let text = stdout(&cli_in(&w, lang, &["start", "--help"]));
        assert!(text.starts_with(start_about), "{lang:?}:\n{text}");
        assert!(
            text.contains("Arguments:") && text.contains("Options:"),
            "{text}"
        );
    }
}
