//! D-Bus activation for real: a bus whose service folder holds the project's activation
//! file starts leovmsd on the first call; leovmsd exits when idle, but never while a VM
//! runs, and the next call starts it again.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::activating::owner_pid;
use common::*;
use futures_util::StreamExt;

/// A world whose bus activates leovmsd, which exits after `idle_secs`.
async fn activating_world(idle_secs: u64) -> (World, PathBuf) {
    let idle = idle_secs.to_string();
    let extra = [
        ("LEOVMS_IDLE_EXIT_SECS", idle.as_str()),
        ("LEOVMS_LOG", "info,leovmsd=debug"),
    ];
    activating::activating_world(&extra).await
}

/// Waits until leovmsd gives its name up by itself.
async fn until_gone(owners: &mut zbus::fdo::NameOwnerChangedStream, log: &Path) {
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(sig) = owners.next().await {
            let args = sig.args().unwrap();
            if args.name().as_str() == leovms_api::BUS_NAME && args.new_owner().is_none() {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "leovmsd did not exit when idle; log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        )
    });
}

fn count(log: &Path, words: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .matches(words)
        .count()
}

#[tokio::test]
async fn the_first_call_starts_leovmsd_which_exits_when_idle() {
    if skip_unless(
        leovms_testkit::require_tool("gdbus"),
        "gdbus (libglib2.0-bin) is needed for a plain activation call",
    ) {
        return;
    }
    let (w, log) = activating_world(1).await;
    let conn = w.connection().await;
    let dbus = zbus::fdo::DBusProxy::new(&conn).await.unwrap();
    let mut owners = dbus.receive_name_owner_changed().await.unwrap();
    assert_eq!(owner_pid(&conn).await, None, "nobody started leovmsd yet");

    // A plain call, no manual start: the bus starts leovmsd and the call is answered.
    let out = w.gdbus(&[
        "call",
        "--session",
        "--dest",
        leovms_api::BUS_NAME,
        "--object-path",
        leovms_api::MANAGER_PATH,
        "--method",
        "org.freedesktop.DBus.Properties.Get",
        leovms_api::MANAGER_INTERFACE,
        "Version",
    ]);
    assert_said(&out, env!("CARGO_PKG_VERSION"));
    let first = owner_pid(&conn).await.expect("leovmsd was activated");
    assert_said(&w.cli(&["list"]), "Demo Linux");

    until_gone(&mut owners, &log).await;
    assert!(count(&log, "idle for 1 s: exiting") >= 1);

    // The CLI's next call starts it again.
    assert_said(&w.cli(&["list"]), "Demo Linux");
    let second = owner_pid(&conn).await.expect("leovmsd was activated again");
    assert_ne!(first, second, "a new leovmsd answers");
    until_gone(&mut owners, &log).await;
}

#[tokio::test]
async fn leovmsd_stays_while_a_vm_runs() {
    let (w, log) = activating_world(1).await;
    let conn = w.connection().await;
    let dbus = zbus::fdo::DBusProxy::new(&conn).await.unwrap();
    let mut owners = dbus.receive_name_owner_changed().await.unwrap();

    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    let pid = owner_pid(&conn).await.expect("the start activated leovmsd");
    w.wait_machine_state("vm-demo", "running").await;

    // The idle time passes twice while the VM runs: leovmsd stays, the same process.
    let stays = "idle time reached, but a job or VM runs: staying";
    tokio::time::timeout(Duration::from_secs(30), async {
        while count(&log, stays) < 2 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "no idle check seen; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    });
    assert_eq!(owner_pid(&conn).await, Some(pid));
    assert_eq!(w.machine("vm-demo")["state"], "running");

    // Once the VM is off, leovmsd goes.
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    until_gone(&mut owners, &log).await;
}
