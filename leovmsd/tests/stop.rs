//! `Stop` returns when the VM is gone, not when VirtualBox has been asked to power it off:
//! right after it, `list` says `off` and a new start is admitted. A daemon activated by a
//! `Stop` call has found the running VMs before it answers.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::activating::{activating_world, owner_pid};
use common::*;
use futures_util::StreamExt;
use leovms_api::StartOptions;
use leovms_testkit::workspace_bin;

/// What the daemon logs while `Stop` waits for the VM's window to close.
const WAITING: &str = "waiting for its VirtualBox window to close";

/// A VirtualBox whose window stays open after its VM has been powered off, until the test
/// opens `gate` (each opening lets one window close), as real VirtualBox's window takes a
/// moment to close after `controlvm poweroff` has returned. Returns the folder to use as
/// the world's VirtualBox.
fn slow_closing_vbox(w: &World, gate: &Path) -> PathBuf {
    let dir = w.tmp.path().join("slow-closing-vbox");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["VBoxManage", "VBoxHeadless"] {
        std::os::unix::fs::symlink(w.vbox_dir.join(name), dir.join(name)).unwrap();
    }
    let script = format!(
        "#!/bin/sh\n\
         '{frontend}' \"$@\"\n\
         rc=$?\n\
         while [ ! -e '{gate}' ]; do sleep 0.02; done\n\
         rm -f '{gate}'\n\
         exit $rc\n",
        frontend = w.vbox_dir.join("VirtualBoxVM").display(),
        gate = gate.display(),
    );
    let frontend = dir.join("VirtualBoxVM");
    std::fs::write(&frontend, script).unwrap();
    let mut perms = std::fs::metadata(&frontend).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&frontend, perms).unwrap();
    dir
}

/// Opens the gate when dropped, so that no window is left waiting after a failed test.
struct Gate(PathBuf);

impl Gate {
    fn open(&self) {
        std::fs::write(&self.0, b"").unwrap();
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.0, b"");
    }
}

/// Waits until the daemon's log has said `words` `n` times (the daemon waits for the
/// window of its `n`th stop).
async fn until_logged(w: &World, words: &str, n: usize) {
    tokio::time::timeout(Duration::from_secs(60), async {
        while w.daemon_log().matches(words).count() < n {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("\"{words}\" not {n} times in the log:\n{}", w.daemon_log()));
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_returns_when_the_vm_is_gone_and_a_new_start_is_admitted_at_once() {
    let mut w = World::new().await;
    let gate = Gate(w.tmp.path().join("window-may-close"));
    w.vbox_dir = slow_closing_vbox(&w, &gate.0);
    w.start_daemon().await;
    let conn = w.connection().await;
    let manager = w.manager(&conn).await;

    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    for round in 1..=3 {
        assert_eq!(w.machine("vm-demo")["state"], "running", "round {round}");
        let stop = manager.stop("vm-demo");
        tokio::pin!(stop);
        // The window closes only once the daemon waits for it: a Stop that answers
        // before the VM is gone answers while the window is still open.
        let waited = tokio::select! {
            result = &mut stop => {
                result.unwrap();
                false
            }
            () = until_logged(&w, WAITING, round) => true,
        };
        if waited {
            gate.open();
            stop.await.unwrap();
        }
        // Right after Stop: the machine is off, and a new start is not refused.
        let list = w.cli_json(&["list"]);
        assert_eq!(
            listed(&list, "vm-demo")["state"],
            "off",
            "round {round}: Stop answered before the VM was gone: {list}\nlog:\n{}",
            w.daemon_log()
        );
        let started = manager
            .start("vm-demo", "standard", StartOptions::default())
            .await;
        assert!(
            started.is_ok(),
            "round {round}: start right after Stop refused: {started:?}"
        );
        w.wait_machine_state("vm-demo", "running").await;
    }
    // The command line too: `stop` ends when the machine is off.
    let mut cli = Command::new(workspace_bin("leovms-cli"));
    w.env_for(&mut cli);
    let stopping = cli
        .args(["stop", "vm-demo"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    until_logged(&w, WAITING, 4).await;
    gate.open();
    let out = stopping.wait_with_output().unwrap();
    assert_said(&out, "vm-demo has been powered off");
    assert_eq!(w.machine("vm-demo")["state"], "off");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stop_that_activates_the_daemon_stops_the_vm_an_earlier_daemon_started() {
    let (w, log) = activating_world(&[]).await;
    let conn = w.connection().await;
    let dbus = zbus::fdo::DBusProxy::new(&conn).await.unwrap();
    let mut owners = dbus.receive_name_owner_changed().await.unwrap();
    let bus_log = || std::fs::read_to_string(&log).unwrap_or_default();

    for round in 1..=3 {
        let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
        assert!(out.status.success(), "round {round}: {}", describe(&out));
        // A crash of the daemon while the VM runs; the VM runs on.
        let pid = owner_pid(&conn).await.expect("the start activated leovmsd");
        let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
        tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(sig) = owners.next().await {
                let args = sig.args().unwrap();
                if args.name().as_str() == leovms_api::BUS_NAME && args.new_owner().is_none() {
                    return;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("leovmsd did not die; log:\n{}", bus_log()));
        assert_eq!(owner_pid(&conn).await, None);

        // The Stop call itself starts the next daemon, which must know the VM by then.
        let out = w.cli(&["stop", "vm-demo"]);
        assert_said(&out, "vm-demo has been powered off");
        assert!(
            bus_log().matches("found a running VM").count() >= round,
            "round {round}: {}",
            bus_log()
        );
        let state = listed(&w.cli_json(&["list"]), "vm-demo")["state"].clone();
        assert_eq!(state, "off", "round {round}; log:\n{}", bus_log());
        let running = w.vboxmanage(&["list", "runningvms"]);
        assert!(running_vms(&running).is_empty(), "{}", describe(&running));
    }
}
