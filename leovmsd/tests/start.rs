//! The whole start path through the real daemon on a private bus, driven by
//! `leovms-cli`, and checked as a user would see it.

mod common;

use common::{World, describe};

#[tokio::test(flavor = "multi_thread")]
async fn start_lists_machines_and_snapshots_completely() {
    let mut w = World::new().await;
    w.start_daemon().await;
    let list = w.cli_json(&["list"]);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["vm-demo", "vm-win"]);
    let demo = w.machine("vm-demo");
    assert_eq!(demo["name"], "Demo Linux");
    assert_eq!(demo["state"], "off");
    assert_eq!(demo["base_ready"], false);
    assert_eq!(demo["as_found"], false);
    assert_eq!(demo["snapshots"], 2);
    assert_eq!(demo["problem"], "");
    assert!(demo["base_size"].as_u64().unwrap() > 0);
    assert!(demo["base_unpacked_size"].as_u64().unwrap() > demo["base_size"].as_u64().unwrap());
    assert!(demo["ram_max_mb"].as_u64().unwrap() <= 1024);
    let win = w.machine("vm-win");
    assert_eq!(win["ram_fixed"], true);
    assert_eq!(win["ram_default_mb"], 512);

    let snaps = w.cli_json(&["snapshots", "vm-demo"]);
    let snaps = snaps.as_array().unwrap();
    let exam = snaps
        .iter()
        .find(|s| s["id"] == "exam")
        .expect("exam listed");
    assert_eq!(exam["name"], "Exam 2027");
    assert_eq!(exam["maintainer"], "mueller");
    assert!(!exam["created"].as_str().unwrap().is_empty());
    assert!(exam["size"].as_u64().unwrap() > 0);
    assert!(snaps.iter().any(|s| s["id"] == "standard"));
    assert_eq!(snaps.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn start_runs_the_vm_with_policy_ram_and_shared_folders_then_stops() {
    let mut w = World::new().await;
    std::fs::create_dir_all(w.home.join("Home_auf_Server")).unwrap();
    w.start_daemon().await;
    let conn = w.connection().await;
    let phases = common::PhaseRecorder::new(&conn).await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "exam"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.trim_end().ends_with("Demo Linux is running."),
        "{text}"
    );
    assert_eq!(
        phases.until("running").await,
        [
            "plan",
            "fetch",
            "unpack-base",
            "unpack-snapshot",
            "configure",
            "launch",
            "running"
        ]
    );
    let demo = w.machine("vm-demo");
    assert_eq!(demo["state"], "running");
    assert_eq!(demo["base_ready"], true);

    let info = w.vboxmanage(&[
        "showvminfo",
        &w.share.vm("vm-demo").machine_uuid.to_string(),
        "--machinereadable",
    ]);
    assert!(info.status.success(), "{}", describe(&info));
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("VMState=\"running\""), "{info}");
    let ram = demo["ram_default_mb"].as_u64().unwrap();
    assert!(
        info.contains(&format!("memory={ram}\n")),
        "memory {ram} missing:\n{info}"
    );
    let home_share = w.home.join("Home_auf_Server");
    assert!(
        info.contains(&format!("=\"{}\"", home_share.display())),
        "home folder missing:\n{info}"
    );
    assert!(
        info.contains("=\"/media\""),
        "media folder missing:\n{info}"
    );
    assert!(info.contains("\"home\""), "{info}");
    assert!(info.contains("\"media\""), "{info}");
    assert!(
        !w.home.join(".config/VirtualBox").exists(),
        "the user's own VirtualBox home was touched"
    );

    let out = w.cli(&["stop", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    w.wait_machine_state("vm-demo", "off").await;
    let jobs = w.cli_json(&["jobs"]);
    let job = &jobs.as_array().unwrap()[0];
    assert_eq!(job["state"], "done", "{jobs}");
    assert_eq!(w.machine("vm-demo")["as_found"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn start_as_found_reuses_the_working_copy() {
    let mut w = World::new().await;
    w.start_daemon().await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    let disk = std::fs::read_dir(w.work_dir("vm-demo").join("Snapshots"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    w.wait_machine_state("vm-demo", "off").await;
    // The VM wrote into its working copy; "as found" must keep it.
    let marker = b"written by the guest";
    let mut bytes = std::fs::read(&disk).unwrap();
    bytes.extend_from_slice(marker);
    std::fs::write(&disk, &bytes).unwrap();
    let out = w.cli(&["start", "vm-demo", "--as-found"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("unpack-snapshot"),
        "as found must not unpack:\n{text}"
    );
    assert!(std::fs::read(&disk).unwrap().ends_with(marker));
}

#[tokio::test(flavor = "multi_thread")]
async fn start_of_a_running_vm_is_refused() {
    let mut w = World::new().await;
    w.start_daemon().await;
    assert!(
        w.cli(&["start", "vm-demo", "--snapshot", "standard"])
            .status
            .success()
    );
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    common::assert_refused(&out, 8, "already running");
}

#[tokio::test(flavor = "multi_thread")]
async fn start_of_a_second_vm_while_one_runs_is_refused() {
    let mut w = World::new().await;
    w.start_daemon().await;
    assert!(
        w.cli(&["start", "vm-demo", "--snapshot", "standard"])
            .status
            .success()
    );
    let out = w.cli(&["start", "vm-win", "--snapshot", "standard"]);
    common::assert_refused(&out, 8, "Close it before starting");
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    w.wait_machine_state("vm-demo", "off").await;
    let out = w.cli(&["start", "vm-win", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn start_of_a_snapshot_for_another_base_names_both_uuids() {
    let mut w = World::with(leovms_testkit::DemoOptions {
        foreign_snapshot: true,
        ..Default::default()
    })
    .await;
    w.start_daemon().await;
    // A working copy from an earlier lesson, which the refused snapshot must not touch.
    assert!(
        w.cli(&["start", "vm-demo", "--snapshot", "standard"])
            .status
            .success()
    );
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    w.wait_machine_state("vm-demo", "off").await;
    let calls_before = w.vbox_calls("VirtualBoxVM");
    let out = w.cli(&["start", "vm-demo", "--snapshot", "foreign"]);
    assert_eq!(out.status.code(), Some(7), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let base = w.share.vm("vm-demo").base_uuid.to_string();
    let foreign_disk = w.share.vm("vm-demo").snapshot("foreign").to_string();
    assert!(err.contains(&base), "base UUID {base} missing: {err}");
    assert!(err.contains(&foreign_disk), "disk UUID missing: {err}");
    // Base, disk and the disk's (foreign) parent: three different UUIDs.
    let mut uuids: Vec<&str> = err
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .filter(|w| uuid::Uuid::parse_str(w).is_ok())
        .collect();
    uuids.sort();
    uuids.dedup();
    assert_eq!(uuids.len(), 3, "{err}");
    let disk = w
        .work_dir("vm-demo")
        .join(format!("Snapshots/{{{foreign_disk}}}.vdi"));
    assert!(
        !disk.exists(),
        "the refused snapshot replaced the working copy"
    );
    assert_eq!(
        w.vbox_calls("VirtualBoxVM"),
        calls_before,
        "VirtualBox was called"
    );
    let jobs = w.cli_json(&["jobs"]);
    let failed = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["state"] == "failed")
        .unwrap();
    assert_eq!(
        failed["error_id"], "org.leovms.Error.SnapshotMismatch",
        "{jobs}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn start_without_virtualbox_is_refused_before_anything_is_written() {
    let mut w = World::new().await;
    w.vbox_dir = w.tmp.path().join("no-virtualbox");
    std::fs::create_dir_all(&w.vbox_dir).unwrap();
    w.start_daemon().await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert_eq!(out.status.code(), Some(9), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("VirtualBox is not installed"),
        "{}",
        describe(&out)
    );
    assert!(World::all_files(&w.machines).is_empty());
    assert!(!w.vbox_home().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn start_shows_virtualbox_own_message_when_it_fails() {
    let mut w = World::new().await;
    w.fail_vm_starts();
    w.start_daemon().await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert_eq!(out.status.code(), Some(9), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("VirtualBox could not start the VM"), "{err}");
    assert!(
        err.contains("driver") || err.contains("terminated unexpectedly"),
        "VirtualBox's words missing: {err}"
    );
    assert_eq!(w.machine("vm-demo")["state"], "off");
}

#[tokio::test(flavor = "multi_thread")]
async fn start_with_ram_outside_the_range_is_refused() {
    let mut w = World::new().await;
    w.start_daemon().await;
    let out = w.cli(&["start", "vm-win", "--snapshot", "standard", "--ram", "2048"]);
    assert_eq!(out.status.code(), Some(5), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("512"),
        "{}",
        describe(&out)
    );
}
