//! Syncing over real SMB (smbd on 127.0.0.1, mounted with smbnetfs): the synced VM starts
//! when the server is gone, a server that stops answering mid-sync fails the job in
//! bounded time, and the next sync (also after `kill -9` of the daemon) resumes the copy.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{World, assert_refused, assert_said, describe, skip_unless};
use leovms_testkit::{DemoOptions, STUDENT, Samba, SmbMount, build_demo_share, samba_available};

/// "Within a bound": generous for busy machines, far below a hang.
const BOUND: Duration = Duration::from_secs(30);

struct SmbWorld {
    w: World,
    samba: Samba,
    _mount: SmbMount,
    cache: PathBuf,
}

/// A demo share served by smbd and mounted for the daemon, with one cache configured.
async fn smb_world(base_mib: u64) -> Option<SmbWorld> {
    if skip_unless(samba_available(), "smbd, smbclient and smbnetfs are needed") {
        return None;
    }
    let mut w = World::with_base_mib(8).await;
    let samba = tokio::task::spawn_blocking(Samba::start)
        .await
        .unwrap()
        .unwrap();
    let opts = DemoOptions {
        machines_dir: w.machines.clone(),
        base_data_mib: base_mib,
        ..Default::default()
    };
    w.share = build_demo_share(&samba.data_dir(), &opts).await.unwrap();
    let cache = w.tmp.path().join("cache");
    let conf = format!(
        "format = 1\n\n[[cache]]\npath = \"{}\"\nlimit_gb = 10\n",
        cache.display()
    );
    std::fs::write(samba.data_dir().join("leovms-client.conf"), conf).unwrap();
    let mount = SmbMount::mount(&samba, STUDENT).unwrap();
    w.data = mount.share_path("leovms-data");
    w.extra_env
        .push(("LEOVMS_STALL_SECS".to_owned(), "3".to_owned()));
    w.start_daemon().await;
    Some(SmbWorld {
        w,
        samba,
        _mount: mount,
        cache,
    })
}

/// The interrupted copy of vm-demo's base, once it holds some bytes.
async fn partial_copy_growing(cache: &Path) -> PathBuf {
    partial_copy_holding(cache, 1).await
}

/// The partial copy of vm-demo's base once it holds at least `bytes` (0: once it exists,
/// the earliest moment to freeze the server in the middle of the copy).
async fn partial_copy_holding(cache: &Path, bytes: u64) -> PathBuf {
    let dir = cache.join("vm-demo");
    tokio::time::timeout(BOUND, async {
        loop {
            let partial = std::fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .find(|f| {
                    f.file_name()
                        .to_string_lossy()
                        .starts_with(".leovms-partial.")
                        && f.metadata().is_ok_and(|m| m.len() >= bytes)
                });
            if let Some(p) = partial {
                return p.path();
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the copy never started")
}

/// After the server came back, the daemon sees the share answer again (the SMB client
/// may need a moment to reconnect after the freeze; a student would be told to retry).
async fn share_answers_again(w: &World) {
    tokio::time::timeout(BOUND, async {
        while w.cli_json(&["status"])["data_share"]["state"] != "online" {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the share did not answer again after the server came back");
}

/// Waits (bounded) until the daemon reports the data share in another state than `state`
/// (a client that may keep answering from its own cache for a moment, or a read that hung
/// while the server was frozen, delays the change).
async fn share_state_leaves(w: &World, state: &str) {
    tokio::time::timeout(BOUND, async {
        while w.cli_json(&["status"])["data_share"]["state"] == state {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the share stayed {state}"));
}

/// The CLI running in the background, its output captured.
fn spawn_cli(w: &World, args: &[&str]) -> std::process::Child {
    let mut cmd = std::process::Command::new(leovms_testkit::workspace_bin("leovms-cli"));
    w.env_for(&mut cmd);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vm_synced_over_smb_starts_when_the_server_is_gone() {
    let Some(SmbWorld {
        w,
        mut samba,
        cache,
        _mount: _keep_mounted,
    }) = smb_world(8).await
    else {
        return;
    };
    let out = w.cli(&["sync", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(archives_of(&cache, "vm-demo"), 3);
    assert_eq!(w.cli_json(&["list"]).as_array().unwrap().len(), 2);

    // Kept until the end: its lock keeps other tests' smbd off this address meanwhile.
    let _stopped_samba = tokio::task::spawn_blocking(move || {
        samba.stop().unwrap();
        samba
    })
    .await
    .unwrap();
    share_state_leaves(&w, "online").await;
    w.assert_listed_from_cache("vm-demo");
    w.assert_listed_with_problem("vm-win", "not synced");
    // The base was never unpacked: this start unpacks it from the cache.
    let out = w.cli(&["start", "vm-demo", "--snapshot", "exam"]);
    assert!(out.status.success(), "offline start: {}", describe(&out));
    w.wait_machine_state("vm-demo", "running").await;
    w.assert_start_refused_offline("vm-win");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_stops_answering_mid_sync_fails_in_bounded_time_and_the_copy_resumes() {
    let Some(SmbWorld {
        w,
        samba,
        cache,
        _mount: _keep_mounted,
    }) = smb_world(256).await
    else {
        return;
    };
    let sync = spawn_cli(&w, &["sync", "vm-demo"]);
    partial_copy_growing(&cache).await;
    samba.pause().unwrap();
    let paused_at = Instant::now();
    let result = tokio::task::spawn_blocking(move || sync.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        paused_at.elapsed() < BOUND,
        "took {:?}: {}\n{}",
        paused_at.elapsed(),
        describe(&result),
        w.daemon_log()
    );
    assert_refused(&result, 11, "copied is kept");
    // The daemon keeps answering, and nothing half-copied got a final name.
    let asked = Instant::now();
    let out = w.cli(&["status"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(asked.elapsed() < BOUND, "took {:?}", asked.elapsed());
    assert_eq!(archives_of(&cache, "vm-demo"), 0);

    samba.resume().unwrap();
    share_answers_again(&w).await;
    assert_said(
        &w.cli(&["sync", "vm-demo"]),
        "interrupted copy was continued",
    );
    assert_said(&w.cli(&["verify"]), "all intact");
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_sync_leaves_no_entry_and_the_next_sync_resumes() {
    let Some(SmbWorld {
        mut w,
        samba,
        cache,
        _mount: _keep_mounted,
    }) = smb_world(256).await
    else {
        return;
    };
    let mut sync = spawn_cli(&w, &["sync", "vm-demo"]);
    partial_copy_growing(&cache).await;
    samba.pause().unwrap();
    w.kill_daemon();
    samba.resume().unwrap();
    let _ = sync.wait();
    assert_eq!(
        archives_of(&cache, "vm-demo"),
        0,
        "no entry under a final name"
    );

    w.start_daemon().await;
    share_answers_again(&w).await;
    assert_said(
        &w.cli(&["sync", "vm-demo"]),
        "interrupted copy was continued",
    );
    assert_eq!(archives_of(&cache, "vm-demo"), 3);
    assert_said(&w.cli(&["verify"]), "all intact");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disk_that_fills_up_mid_sync_ends_the_job_and_keeps_the_other_entries() {
    if skip_unless(
        common::is_root(),
        "mounting a tmpfs for the cache needs root",
    ) {
        return;
    }
    let Some(SmbWorld {
        w,
        samba,
        cache,
        _mount: _keep_mounted,
    }) = smb_world(256).await
    else {
        return;
    };
    let _tmpfs = common::Tmpfs::mount(&cache, 320 << 20);
    assert_said(&w.cli(&["sync", "vm-win"]), "ready for offline use");
    let win_entries = archives_of(&cache, "vm-win");
    assert_eq!(win_entries, 2);

    // The planner saw room; then something else fills the disk while the copy runs.
    let sync = spawn_cli(&w, &["sync", "vm-demo"]);
    partial_copy_holding(&cache, 0).await;
    samba.pause().unwrap();
    // Data already in flight still lands after the pause: fill in rounds until less
    // than 4 MiB stay free (a round that loses that race fails and is simply retried).
    let mut fillers = Vec::new();
    loop {
        let st = rustix::fs::statvfs(&cache).unwrap();
        let free = st.f_bavail * st.f_frsize;
        if free < 4 << 20 {
            break;
        }
        assert!(
            fillers.len() < 20,
            "cannot fill the disk; {free} bytes stay free"
        );
        let filler = cache.join(format!("filler.{}", fillers.len()));
        let _ = std::process::Command::new("fallocate")
            .arg("-l")
            .arg((free - (2 << 20)).to_string())
            .arg(&filler)
            .status()
            .unwrap();
        fillers.push(filler);
    }
    samba.resume().unwrap();
    let result = tokio::task::spawn_blocking(move || sync.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_refused(&result, 6, "disk became full");
    assert_eq!(
        archives_of(&cache, "vm-demo"),
        0,
        "vm-demo: nothing half-copied is kept"
    );
    let partials = std::fs::read_dir(cache.join("vm-demo"))
        .unwrap()
        .flatten()
        .filter(|f| {
            f.file_name()
                .to_string_lossy()
                .starts_with(".leovms-partial.")
        })
        .count();
    assert_eq!(partials, 0, "the copy that failed frees its space");
    for filler in fillers {
        let _ = std::fs::remove_file(filler);
    }
    assert_eq!(archives_of(&cache, "vm-win"), win_entries);
    assert_said(&w.cli(&["verify"]), "all intact");
    assert_eq!(w.machine("vm-win")["synced"], true);
}

/// Archives of `vm` in the cache under their final name.
fn archives_of(cache: &Path, vm: &str) -> usize {
    std::fs::read_dir(cache.join(vm))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|f| f.file_name().to_string_lossy().ends_with(".archive"))
        .count()
}
