//! The offline cache end to end: sync, offline listing and starting, integrity, the
//! space planner, and two daemons sharing one cache.

mod common;

use std::path::{Path, PathBuf};

use common::{World, assert_refused, assert_said, describe};

/// Makes the share unavailable the way an unmounted share looks: the folder is gone.
fn take_share_away(w: &World) -> PathBuf {
    let away = w.data.with_extension("away");
    std::fs::rename(&w.data, &away).unwrap();
    away
}

fn archives_in(cache: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for vm in std::fs::read_dir(cache).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(vm.path()).into_iter().flatten().flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.ends_with(".archive") || name.starts_with(".leovms-partial.") {
                out.push(f.path());
            }
        }
    }
    out.sort();
    out
}

fn entries_of<'a>(entries: &'a [serde_json::Value], vm: &str) -> Vec<&'a serde_json::Value> {
    entries.iter().filter(|e| e["vm"] == vm).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_synced_vm_starts_offline_and_the_others_say_why_not() {
    let mut w = World::new().await;
    w.configure_cache(1_000_000_000);
    w.start_daemon().await;

    assert_said(&w.cli(&["sync", "vm-demo"]), "is ready for offline use");
    let entries = w.cache_entries();
    let demo = entries_of(&entries, "vm-demo");
    let mut items: Vec<_> = demo.iter().map(|e| e["item"].as_str().unwrap()).collect();
    items.sort();
    assert_eq!(items, ["base", "exam", "standard"], "{entries:?}");
    assert!(demo.iter().all(|e| e["pinned"] == true), "{entries:?}");
    assert_eq!(w.machine("vm-demo")["synced"], true);
    assert_eq!(w.machine("vm-win")["synced"], false);

    let away = take_share_away(&w);
    w.assert_listed_from_cache("vm-demo");
    w.assert_listed_with_problem("vm-win", "Not available offline");
    let out = w.cli(&["start", "vm-demo", "--snapshot", "exam"]);
    assert!(out.status.success(), "offline start: {}", describe(&out));
    w.wait_machine_state("vm-demo", "running").await;
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    w.wait_machine_state("vm-demo", "off").await;
    w.assert_start_refused_offline("vm-win");
    std::fs::rename(&away, &w.data).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bit_flip_on_the_share_fails_the_sync_and_nothing_enters_the_cache() {
    let mut w = World::new().await;
    let cache = w.configure_cache(1_000_000_000);
    let base = w.data.join("vm-demo/base.tar.zst");
    let mut bytes = std::fs::read(&base).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&base, bytes).unwrap();
    w.start_daemon().await;

    let out = w.cli(&["sync", "vm-demo"]);
    assert_refused(&out, 7, "damaged");
    assert!(archives_in(&cache).is_empty(), "{:?}", archives_in(&cache));
    assert!(w.cache_entries().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cache_smaller_than_the_vm_is_refused_up_front() {
    let mut w = World::new().await;
    let cache = w.configure_cache(1_000_000);
    w.start_daemon().await;

    let out = w.cli(&["sync", "vm-demo", "--dry-run"]);
    assert_refused(&out, 6, "needed");
    let out = w.cli(&["sync", "vm-demo"]);
    assert_refused(&out, 6, "needed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("free"), "{stderr}");
    assert!(archives_in(&cache).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn eviction_takes_least_recently_used_unpinned_archives_and_never_pinned_ones() {
    let mut w = World::new().await;
    w.configure_cache(1_000_000_000);
    w.start_daemon().await;
    // Pinned: vm-demo's base and "standard". Unpinned: what starting vm-win cached.
    let out = w.cli(&["sync", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    let win_snapshot = w.share.vm("vm-win").snapshots[0].0.clone();
    let out = w.cli(&["start", "vm-win", "--snapshot", &win_snapshot]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(w.cli(&["stop", "vm-win"]).status.success());
    w.wait_machine_state("vm-win", "off").await;

    let entries = w.cache_entries();
    let win = entries_of(&entries, "vm-win");
    assert_eq!(win.len(), 2, "{entries:?}");
    assert!(win.iter().all(|e| e["pinned"] == false), "{entries:?}");
    // The snapshot was used long ago, the base yesterday.
    let cache = w.tmp.path().join("cache/vm-win");
    for (item, age) in [(win_snapshot.as_str(), "-30 days"), ("base", "-1 day")] {
        let e = win.iter().find(|e| e["item"] == item).unwrap();
        let sha = e["sha256"].as_str().unwrap();
        let marker = std::fs::read_dir(&cache)
            .unwrap()
            .flatten()
            .find(|f| {
                let n = f.file_name().to_string_lossy().into_owned();
                n.starts_with(sha) && n.ends_with(".used")
            })
            .unwrap()
            .path();
        let out = std::process::Command::new("touch")
            .arg("-d")
            .arg(age)
            .arg(&marker)
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let used: u64 = entries.iter().map(|e| e["size"].as_u64().unwrap()).sum();
    let exam = entries_of(&entries, "vm-demo").len();
    assert_eq!(exam, 2);
    let exam_size = std::fs::metadata(w.data.join("vm-demo/snapshots/exam/snapshot.tar.zst"))
        .unwrap()
        .len();
    let win_base = win.iter().find(|e| e["item"] == "base").unwrap()["size"]
        .as_u64()
        .unwrap();
    let win_snap = win
        .iter()
        .find(|e| e["item"] == win_snapshot.as_str())
        .unwrap()["size"]
        .as_u64()
        .unwrap();

    let dry_run = |limit: u64| {
        w.configure_cache(limit);
        let plan = w.cli_json(&["sync", "vm-demo", "--snapshot", "exam", "--dry-run"]);
        let evict = plan[0]["evict"].as_array().unwrap().clone();
        assert!(evict.iter().all(|e| e["vm"] == "vm-win"), "{plan}");
        evict
            .iter()
            .map(|e| e["item"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    // One byte short: the least recently used archive goes, however small.
    assert_eq!(
        dry_run(used + exam_size - 1),
        std::slice::from_ref(&win_snapshot)
    );
    // More than it frees: the next least recently used goes too.
    assert_eq!(
        dry_run(used + exam_size - win_snap - 1),
        [win_snapshot.clone(), "base".to_owned()]
    );

    // Pinned archives never go: a limit below them is refused with the numbers.
    w.configure_cache(used - win_base - win_snap);
    let out = w.cli(&["sync", "vm-demo", "--snapshot", "exam"]);
    assert_refused(&out, 6, "needed");

    w.configure_cache(used + exam_size - 1);
    let out = w.cli(&["sync", "vm-demo", "--snapshot", "exam"]);
    assert!(out.status.success(), "{}", describe(&out));
    let entries = w.cache_entries();
    let left: Vec<_> = entries_of(&entries, "vm-win")
        .iter()
        .map(|e| e["item"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, ["base"], "{entries:?}");
    assert_eq!(entries_of(&entries, "vm-demo").len(), 3, "{entries:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_daemons_syncing_the_same_vm_share_one_intact_entry() {
    let mut a = World::new().await;
    let cache = a.configure_cache(1_000_000_000);
    let mut b = World::new().await;
    b.data = a.data.clone();
    a.start_daemon().await;
    b.start_daemon().await;

    let (ra, rb) = std::thread::scope(|s| {
        let ta = s.spawn(|| a.cli(&["sync", "vm-demo"]));
        let tb = s.spawn(|| b.cli(&["sync", "vm-demo"]));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    assert!(ra.status.success(), "{}", describe(&ra));
    assert!(rb.status.success(), "{}", describe(&rb));
    let files = archives_in(&cache);
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files.iter().all(|f| f.extension().unwrap() == "archive"));
    assert_said(&a.cli(&["verify"]), "all intact");
    assert_eq!(b.machine("vm-demo")["synced"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_removes_a_damaged_archive_and_unsync_frees_the_rest() {
    let mut w = World::new().await;
    let cache = w.configure_cache(1_000_000_000);
    w.start_daemon().await;
    assert!(w.cli(&["sync", "vm-demo"]).status.success());
    let victim = archives_in(&cache)[0].clone();
    let mut perms = std::fs::metadata(&victim).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o644);
    std::fs::set_permissions(&victim, perms).unwrap();
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&victim, bytes).unwrap();

    let out = w.cli(&["verify"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 damaged and removed"), "{text}");
    assert!(!victim.exists());
    assert_eq!(archives_in(&cache).len(), 2);

    let freed = w.cli_json(&["unsync", "vm-demo"]);
    assert!(freed[0]["freed"].as_u64().unwrap() > 0, "{freed}");
    assert!(archives_in(&cache).is_empty());
    assert_eq!(w.machine("vm-demo")["synced"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn unpacking_evicts_unpinned_archives_that_share_the_disk() {
    if common::skip_unless(common::is_root(), "mounting a tmpfs needs root") {
        return;
    }
    let mut w = World::new().await;
    let list = {
        w.start_daemon().await;
        w.cli_json(&["list"])
    };
    let unpacked = list[0]["base_unpacked_size"].as_u64().unwrap();
    let archive = list[0]["base_size"].as_u64().unwrap();
    let disk = w.tmp.path().join("disk");
    let _tmpfs = common::Tmpfs::mount(&disk, 4 * (unpacked + archive));
    let cache = disk.join("cache");
    w.configure_cache_at(&cache, 1_000_000_000);
    w.extra_env.push((
        "LEOVMS_MACHINES_DIR".to_owned(),
        disk.join("machines").display().to_string(),
    ));
    w.terminate_daemon().await;
    w.start_daemon().await;

    let win_snapshot = w.share.vm("vm-win").snapshots[0].0.clone();
    let out = w.cli(&["start", "vm-win", "--snapshot", &win_snapshot]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(w.cli(&["stop", "vm-win"]).status.success());
    w.wait_machine_state("vm-win", "off").await;
    assert!(!entries_of(&w.cache_entries(), "vm-win").is_empty());
    // The disk fills up: vm-demo's base only fits once vm-win's cached archive went.
    let free = rustix::fs::statvfs(&disk).unwrap();
    let free = free.f_bavail * free.f_frsize;
    let filler = std::process::Command::new("fallocate")
        .arg("-l")
        .arg((free - unpacked + archive / 2).to_string())
        .arg(disk.join("filler"))
        .status()
        .unwrap();
    assert!(filler.success());

    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    let entries = w.cache_entries();
    let win: Vec<_> = entries_of(&entries, "vm-win")
        .iter()
        .map(|e| e["item"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(win, [win_snapshot], "only what had to go went: {entries:?}");
    assert_eq!(w.machine("vm-demo")["base_ready"], true);
}

/// `leovms-cli cache --json | head -1`: the CLI ends quietly when its reader goes away.
#[tokio::test(flavor = "multi_thread")]
async fn output_into_a_closed_pipe_ends_quietly() {
    let mut w = World::new().await;
    w.configure_cache(1_000_000_000);
    w.start_daemon().await;
    let mut cmd = std::process::Command::new(leovms_testkit::workspace_bin("leovms-cli"));
    w.env_for(&mut cmd);
    let mut child = cmd
        .args(["--json", "cache"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(141), "{}", describe(&out));
    assert!(out.stderr.is_empty(), "{}", describe(&out));
}
