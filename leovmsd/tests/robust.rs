//! What must survive: kill -9 of the daemon, a full disk, hostile archives.

mod common;

use std::time::Duration;

use common::{World, describe, is_root, skip_unless};
use futures_util::StreamExt;
use leovms_api::{JobProxy, JobState, Leovms, Phase, StartOptions};

/// Starts vm-demo's standard snapshot and returns once the base is being unpacked.
async fn start_until_unpacking(w: &World) -> (zbus::Connection, JobProxy<'static>) {
    let conn = w.connection().await;
    let manager = w.manager(&conn).await;
    let path = manager
        .start("vm-demo", "standard", StartOptions::default())
        .await
        .unwrap();
    let job = JobProxy::builder(&conn)
        .path(path)
        .unwrap()
        .build()
        .await
        .unwrap();
    let mut progress = job.receive_progress().await.unwrap();
    if job.phase().await.unwrap() != Phase::UnpackBase || job.bytes_done().await.unwrap() == 0 {
        tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(sig) = progress.next().await {
                let a = sig.args().unwrap();
                if a.phase == Phase::UnpackBase && a.bytes_done > 0 {
                    return;
                }
            }
        })
        .await
        .expect("the base is unpacked with progress");
    }
    (conn, job)
}

#[tokio::test(flavor = "multi_thread")]
async fn start_after_kill_9_during_unpack_leaves_no_final_file_and_then_succeeds() {
    let mut w = World::with_base_mib(768).await;
    w.start_daemon().await;
    let (_conn, _job) = start_until_unpacking(&w).await;
    w.kill_daemon();
    let vm_dir = w.machines.join("vm-demo");
    assert!(
        World::final_files(&vm_dir).is_empty(),
        "final files after a crash: {:?}",
        World::final_files(&vm_dir)
    );
    assert!(
        !World::all_files(&vm_dir).is_empty(),
        "the crash came too late to test anything"
    );

    w.start_daemon().await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    let leftovers: Vec<_> = World::all_files(&vm_dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".leovms-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "leftovers: {leftovers:?}");
}

/// VirtualBox still lists the VM as running.
fn assert_vm_runs(w: &World, uuid: &str) {
    let running = w.vboxmanage(&["list", "runningvms"]);
    assert!(
        String::from_utf8_lossy(&running.stdout).contains(uuid),
        "the VM died with the daemon: {}",
        describe(&running)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn start_survives_kill_9_of_the_daemon_while_the_vm_runs() {
    let mut w = World::new().await;
    w.start_daemon().await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    w.kill_daemon();
    let uuid = w.share.vm("vm-demo").machine_uuid.to_string();
    assert_vm_runs(&w, &uuid);

    w.start_daemon().await;
    assert_eq!(w.machine("vm-demo")["state"], "running");
    let jobs = w.cli_json(&["jobs"]);
    assert_eq!(jobs[0]["phase"], "running", "{jobs}");

    // A restart (systemd's SIGTERM) of a daemon that follows a VM: it exits, the VM runs on.
    w.terminate_daemon().await;
    assert_vm_runs(&w, &uuid);
    w.start_daemon().await;
    assert_eq!(w.machine("vm-demo")["state"], "running");
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    w.wait_machine_state("vm-demo", "off").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn start_on_a_full_disk_is_refused_with_needed_and_free() {
    if skip_unless(is_root(), "mounting a 64 MiB tmpfs needs root") {
        return;
    }
    let mut w = World::with_base_mib(96).await;
    let _tmpfs = common::Tmpfs::mount(&w.machines, 64 << 20);
    w.start_daemon().await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert_eq!(out.status.code(), Some(6), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needed") && err.contains("free") && err.contains("GB"),
        "{err}"
    );
    assert!(
        World::all_files(&w.machines).is_empty(),
        "written: {:?}",
        World::all_files(&w.machines)
    );
}

/// A running daemon whose VirtualBox double holds every launch until `gate` exists;
/// `None` (said why) with another VirtualBox.
async fn gated_world() -> Option<(World, std::path::PathBuf)> {
    let mut w = World::new().await;
    if !w.double {
        eprintln!("joining is checked with the project's VirtualBox double (it can hold a launch)");
        return None;
    }
    let gate = w.tmp.path().join("power-up");
    w.extra_env.push((
        "LEOVMS_DOUBLE_START_GATE".into(),
        gate.display().to_string(),
    ));
    w.start_daemon().await;
    Some((w, gate))
}

#[tokio::test(flavor = "multi_thread")]
async fn start_twice_joins_the_job_in_progress() {
    let Some((w, gate)) = gated_world().await else {
        return;
    };
    let conn = w.connection().await;
    let manager = w.manager(&conn).await;
    let phases = common::PhaseRecorder::new(&conn).await;
    let first = manager
        .start("vm-demo", "exam", StartOptions::default())
        .await
        .unwrap();
    phases.until("launch").await;
    let second = manager
        .start("vm-demo", "exam", StartOptions::default())
        .await
        .unwrap();
    assert_eq!(
        first, second,
        "an identical start joins the one in progress"
    );
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert_eq!(
        out.status.code(),
        Some(8),
        "another snapshot is refused while starting: {}",
        describe(&out)
    );
    std::fs::write(&gate, b"").unwrap();
    w.wait_machine_state("vm-demo", "running").await;
    let jobs = w.cli_json(&["jobs"]);
    assert_eq!(jobs.as_array().unwrap().len(), 1, "{jobs}");
    let out = w.cli(&["start", "vm-demo", "--snapshot", "exam"]);
    assert_eq!(out.status.code(), Some(8), "{}", describe(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_caller_is_told_it_joined_the_start_in_progress() {
    let Some((w, gate)) = gated_world().await else {
        return;
    };
    let conn = w.connection().await;
    let phases = common::PhaseRecorder::new(&conn).await;
    let leovms = Leovms::new(&conn).await.unwrap();
    let path = leovms
        .manager()
        .start("vm-demo", "exam", StartOptions::default())
        .await
        .unwrap();
    let own = leovms.job(path.clone()).await.unwrap();
    assert!(!own.joined().await, "its own call");
    phases.until("launch").await;
    let other = w.connection().await;
    let seen = Leovms::new(&other).await.unwrap();
    assert!(
        seen.job(path).await.unwrap().joined().await,
        "another client's call"
    );

    // The same click again, from the command line: told, then it runs.
    let mut cmd = std::process::Command::new(leovms_testkit::workspace_bin("leovms-cli"));
    w.env_for(&mut cmd);
    let mut cli = cmd
        .args(["start", "vm-demo", "--snapshot", "exam"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = cli.stdout.take().unwrap();
    let (first, mut rest) = tokio::task::spawn_blocking(move || {
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
        (line, reader)
    })
    .await
    .unwrap();
    assert_eq!(first.trim(), "Joined the start already in progress.");
    let running = tokio::spawn(async move { own.until_running().await });
    std::fs::write(&gate, b"").unwrap();
    let ended = running.await.unwrap().unwrap();
    assert_eq!(ended, None, "the start's caller learns that the VM runs");
    let status = tokio::task::spawn_blocking(move || cli.wait().unwrap())
        .await
        .unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut rest, &mut out).unwrap();
    assert!(status.success(), "{out}");
    assert!(out.contains("is running."), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn start_canceled_during_unpack_removes_its_files() {
    let mut w = World::with_base_mib(512).await;
    w.start_daemon().await;
    let (_conn, job) = start_until_unpacking(&w).await;
    let mut finished = job.receive_finished().await.unwrap();
    let job_nr = job
        .inner()
        .path()
        .as_str()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let out = w.cli(&["cancel", &job_nr]);
    assert!(out.status.success(), "{}", describe(&out));
    let end = tokio::time::timeout(Duration::from_secs(60), finished.next())
        .await
        .unwrap()
        .unwrap();
    let args = end.args().unwrap();
    assert_eq!(args.state, JobState::Canceled, "{}", args.message);
    assert!(
        World::all_files(&w.machines.join("vm-demo")).is_empty(),
        "{:?}",
        World::all_files(&w.machines)
    );
}

/// Under systemd (a service has `INVOCATION_ID`), the VM is handed to `systemd-run
/// --scope`, so stopping leovmsd.service (which kills the service's cgroup) never
/// reaches it. No systemd runs here: a `systemd-run` on PATH records its arguments and
/// execs the command, as the real one does once the scope exists.
#[tokio::test(flavor = "multi_thread")]
async fn under_systemd_the_vm_gets_a_scope_of_its_own() {
    let mut w = World::new().await;
    let bin = w.tmp.path().join("fake-systemd");
    std::fs::create_dir_all(&bin).unwrap();
    let args = w.tmp.path().join("systemd-run.args");
    let script = bin.join("systemd-run");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nwhile [ \"$1\" != -- ]; do shift; done\nshift\nexec \"$@\"\n",
            args.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    w.extra_env.push(("PATH".into(), path));
    w.extra_env.push((
        "INVOCATION_ID".into(),
        "5c1e2b9f0a7d4c3e8f6a1b2c3d4e5f60".into(),
    ));
    w.start_daemon().await;

    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    w.wait_machine_state("vm-demo", "running").await;
    let uuid = w.share.vm("vm-demo").machine_uuid.to_string();
    let given = std::fs::read_to_string(&args).expect("the VM was started through systemd-run");
    let given: Vec<&str> = given.lines().collect();
    for arg in [
        "--user",
        "--scope",
        "--collect",
        &format!("--unit=leovms-vm-{uuid}"),
    ] {
        assert!(
            given.contains(&arg),
            "systemd-run got {given:?}, without {arg}"
        );
    }
    let frontend = &given[given.iter().position(|a| *a == "--").unwrap() + 1..];
    assert!(frontend[0].ends_with("/VirtualBoxVM"), "{given:?}");
    assert_eq!(frontend[1..], ["--startvm", uuid.as_str()], "{given:?}");

    // The daemon follows the VM through the pid systemd-run became: a restart finds it,
    // and powering it off ends the start.
    w.terminate_daemon().await;
    assert_vm_runs(&w, &uuid);
    w.start_daemon().await;
    assert_eq!(w.machine("vm-demo")["state"], "running");
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    w.wait_machine_state("vm-demo", "off").await;
}
