//! Hostile text never takes the daemon down: text from the share, from VirtualBox and
//! from the user's own VirtualBox files is refused or shown escaped where it enters, every
//! message the daemon sends is safe for the bus, and the CLI never writes control
//! characters it got to the terminal. After each refusal the same daemon still serves.

mod common;

use std::path::Path;

use common::{World, assert_refused, describe, listed};
use leovms_image::manifest::{Manifest, sha256_file};
use leovms_testkit::own_vbox::{OwnMachineSpec, build_own_home};

/// Replaces `rel` in the VM folder `vm` with `content` and republishes its manifest line,
/// as a compromised publish would: the file matches the manifest.
fn republish(w: &World, vm: &str, rel: &str, content: &[u8]) {
    let dir = w.data.join(vm);
    std::fs::write(dir.join(rel), content).unwrap();
    let manifest_path = dir.join("manifest.toml");
    let mut manifest = Manifest::load(&manifest_path).unwrap();
    let (size, sha256) = sha256_file(&dir.join(rel)).unwrap();
    let entry = manifest.files.iter_mut().find(|f| f.path == rel).unwrap();
    entry.size = size;
    entry.sha256 = sha256;
    std::fs::write(&manifest_path, manifest.to_toml_string()).unwrap();
}

/// `rel`'s text with the line starting with `key =` replaced by `line`.
fn with_line(w: &World, vm: &str, rel: &str, key: &str, line: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(w.data.join(vm).join(rel)).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(|l| {
            if l.starts_with(&format!("{key} =")) {
                line
            } else {
                l
            }
        })
        .collect();
    assert!(lines.contains(&line), "no {key} in {rel}:\n{text}");
    format!("{}\n", lines.join("\n")).into_bytes()
}

/// No byte a terminal or the bus would act on: C0 controls but the line break, DEL.
fn assert_no_controls(what: &str, bytes: &[u8]) {
    let bad = bytes
        .iter()
        .position(|&b| (b < 0x20 && b != b'\n') || b == 0x7f);
    assert!(
        bad.is_none(),
        "{what} holds a control byte: {:?}",
        String::from_utf8_lossy(bytes)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nul_in_the_share_settings_is_refused_and_the_daemon_stays() {
    let mut w = World::new().await;
    let image = with_line(
        &w,
        "vm-demo",
        "image.conf",
        "name",
        r#"name = "Lab\u0000 2028""#,
    );
    republish(&w, "vm-demo", "image.conf", &image);
    let conf = "snapshots/standard/snapshot.conf";
    let line = r#"description = "Zeile 1\u0000""#;
    let snapshot = with_line(&w, "vm-win", conf, "description", line);
    republish(&w, "vm-win", conf, &snapshot);
    w.start_daemon().await;
    let pid = w.daemon_pid();

    let list = w.cli_json(&["list"]);
    let demo = listed(&list, "vm-demo");
    let problem = demo["problem"].as_str().unwrap();
    assert!(
        problem.contains("vm-demo/image.conf:1: name: contains a control character (U+0000)"),
        "{list}"
    );
    let win = listed(&list, "vm-win");
    assert_eq!(
        (win["problem"].as_str(), win["snapshots"].as_u64()),
        (Some(""), Some(0))
    );

    let out = w.cli(&["snapshots", "vm-demo"]);
    assert_refused(&out, 5, "image.conf:1: name: contains a control character");
    let snaps = w.cli_json(&["snapshots", "vm-win"]);
    let problem = snaps[0]["problem"].as_str().unwrap();
    assert!(
        problem.contains("standard/snapshot.conf:3: description: contains a control character"),
        "{snaps}"
    );

    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert_refused(&out, 5, "vm-demo/image.conf:1: name");
    let out = w.cli(&["start", "vm-win", "--snapshot", "standard"]);
    assert_refused(&out, 5, "snapshot.conf:3: description");
    assert!(World::all_files(&w.machines).is_empty());

    w.assert_daemon_serves().await;
    assert_eq!(w.cli_json(&["list"]).as_array().unwrap().len(), 2);
    assert_eq!(w.daemon_pid(), pid);
}

/// A VirtualBox whose every call fails with control characters in its words, and whose
/// version has an escape sequence.
fn babbling_virtualbox(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let manage = "#!/bin/sh\n\
        if [ \"$1\" = --version ]; then printf '7.1.4\\033[2J\\n'; exit 0; fi\n\
        printf 'VBoxManage: error: Lab\\000 is \\033[31mbroken\\n' >&2\n\
        exit 1\n";
    for (name, script) in [
        ("VBoxManage", manage),
        ("VirtualBoxVM", "#!/bin/sh\nexit 1\n"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn virtualbox_words_with_control_characters_are_shown_escaped() {
    let mut w = World::new().await;
    let vbox = w.tmp.path().join("babbling-vbox");
    babbling_virtualbox(&vbox);
    w.extra_env.push((
        "LEOVMS_VBOX_DIR".into(),
        vbox.to_string_lossy().into_owned(),
    ));
    w.start_daemon().await;

    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert_refused(
        &out,
        9,
        r"VirtualBox reported an error: Lab\u{0} is \u{1b}[31mbroken",
    );
    assert_no_controls("stderr", &out.stderr);
    let jobs = w.cli_json(&["jobs"]);
    assert_eq!(jobs[0]["error_id"], "org.leovms.Error.VBoxFailed", "{jobs}");
    let message = jobs[0]["message"].as_str().unwrap();
    assert!(message.ends_with(r"Lab\u{0} is \u{1b}[31mbroken"), "{jobs}");
    assert_no_controls("the job's message", message.as_bytes());

    let status = w.cli_json(&["status"]);
    assert_eq!(status["vbox_version"], r"7.1.4\u{1b}[2J", "{status}");
    w.assert_daemon_serves().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_own_machine_named_with_control_characters_is_listed_with_its_problem() {
    let mut w = World::new().await;
    let own = |name| OwnMachineSpec::Standalone {
        name,
        base_mib: 1,
        saved: false,
    };
    let built = build_own_home(&w.home, &[own("Lab"), own("Clean")]).unwrap();
    let xml = std::fs::read_to_string(&built[0].settings_file).unwrap();
    assert!(xml.contains(" name=\"Lab\""), "{xml}");
    // Raw control bytes, as a hand-edited or hostile settings file may hold them.
    let hostile = xml.replacen(" name=\"Lab\"", " name=\"Lab\u{0}\u{1b}[2J\"", 1);
    std::fs::write(&built[0].settings_file, hostile).unwrap();
    let upload = w.tmp.path().join("upload");
    std::fs::create_dir_all(upload.join("mueller")).unwrap();
    w.extra_env.push((
        "LEOVMS_UPLOAD".into(),
        upload.to_string_lossy().into_owned(),
    ));
    w.start_daemon().await;

    let out = w.cli(&["--json", "uploadable"]);
    assert!(out.status.success(), "{}", describe(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lab = &list[0];
    assert_eq!(lab["name"], r"Lab\u{0}\u{1b}[2J", "{list}");
    let problem =
        "its name contains a control character (U+0000); give it a plain name in VirtualBox";
    assert_eq!(lab["problem"], problem, "{list}");
    let out = w.cli(&["uploadable"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_no_controls("uploadable", &out.stdout);

    let lab_id = built[0].uuid.to_string();
    let out = w.cli(&["upload", "--machine", &lab_id, "--as", "vm"]);
    assert_refused(&out, 5, problem);
    // The name given for an upload follows the share's text rules too.
    let clean = built[1].uuid.to_string();
    let out = w.cli(&[
        "upload",
        "--machine",
        &clean,
        "--as",
        "vm",
        "--name",
        "Lab\u{1b}[2J",
    ]);
    assert_refused(&out, 5, "The name contains a control character (U+001B).");
    assert_eq!(World::all_files(&upload), [upload.join("mueller")]);
    w.assert_daemon_serves().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_overlong_vm_folder_is_refused_before_anything_is_unpacked() {
    let mut w = World::new().await;
    let long = "x".repeat(255);
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(w.data.join("vm-demo"))
        .arg(w.data.join(&long))
        .status()
        .unwrap();
    assert!(copied.success());
    w.start_daemon().await;

    let out = w.cli(&["start", &long, "--snapshot", "standard"]);
    assert_refused(&out, 5, "is longer than 128 bytes");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("xxx…") && !stderr.contains(&long),
        "{stderr}"
    );
    assert!(World::all_files(&w.machines).is_empty());
    assert!(!w.work_dir(&long).exists());

    // Not listed; the daemon's log names it, shortened, once.
    let list = w.cli_json(&["list"]);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["vm-demo", "vm-win"]);
    w.cli_json(&["list"]);
    let log = w.daemon_log();
    let warned = "a VM folder on the share is left out: bad name \"xxx";
    assert_eq!(log.matches(warned).count(), 1, "{log}");
    assert!(log.contains("is longer than 128 bytes") && !log.contains(&long));
    w.assert_daemon_serves().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_never_writes_control_characters_it_got() {
    let mut w = World::new().await;
    // A share folder whose path holds an escape sequence: the daemon reports it as is.
    let odd = w.tmp.path().join("share\u{1b}[31m");
    std::os::unix::fs::symlink(&w.data, &odd).unwrap();
    w.extra_env
        .push(("LEOVMS_DATA".into(), odd.to_string_lossy().into_owned()));
    w.start_daemon().await;

    let out = w.cli(&["status"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_no_controls("status", &out.stdout);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(r"share\u{1b}[31m"),
        "{}",
        describe(&out)
    );
    // JSON stays exact: the path as it is.
    let status = w.cli_json(&["status"]);
    assert_eq!(status["data_dir"], odd.to_string_lossy().as_ref());

    let out = w.cli(&["start", "vm\u{1b}[2J\u{7}", "--snapshot", "standard"]);
    assert_refused(&out, 5, r"vm\u{1b}[2J\u{7}");
    assert_no_controls("stderr", &out.stderr);
    w.assert_daemon_serves().await;
}
