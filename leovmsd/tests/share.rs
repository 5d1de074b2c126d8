//! The share over real SMB: smbd on 127.0.0.1, mounted with smbnetfs (FUSE), read by the
//! daemon; then the server dies and the mount goes away, and no call hangs.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{World, assert_refused, describe};
use futures_util::StreamExt;
use leovms_api::{ShareInfo, ShareState};
use leovms_testkit::{DemoOptions, STUDENT, Samba, SmbMount, build_demo_share, samba_available};
use zbus::zvariant::OwnedValue;

/// "Answers within a bound": generous for busy machines, far below a hang.
const BOUND: Duration = Duration::from_secs(15);

fn timed<T>(f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    assert!(started.elapsed() < BOUND, "took {:?}", started.elapsed());
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn share_over_smb_starts_a_vm_and_a_dead_server_never_hangs_a_call() {
    if !samba_available() {
        return;
    }
    let mut w = World::new().await;
    let mut samba = tokio::task::spawn_blocking(Samba::start)
        .await
        .unwrap()
        .unwrap();
    let opts = DemoOptions {
        machines_dir: w.machines.clone(),
        ..Default::default()
    };
    let share = build_demo_share(&samba.data_dir(), &opts).await.unwrap();
    let mut mount = SmbMount::mount(&samba, STUDENT).unwrap();
    w.data = mount.share_path("leovms-data");
    w.start_daemon().await;

    let status = w.cli_json(&["status"]);
    assert_eq!(status["data_share"]["state"], "online", "{status}");
    assert_eq!(status["data_share"]["fstype"], "fuse.smbnetfs", "{status}");
    assert_eq!(w.cli_json(&["list"]).as_array().unwrap().len(), 2);
    let out = w.cli(&["start", "vm-demo", "--snapshot", "exam"]);
    assert!(out.status.success(), "start over SMB: {}", describe(&out));
    let info = w.vboxmanage(&[
        "showvminfo",
        &share.vm("vm-demo").machine_uuid.to_string(),
        "--machinereadable",
    ]);
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("VMState=\"running\""),
        "{}",
        describe(&info)
    );
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    w.wait_machine_state("vm-demo", "off").await;

    // The server dies: the daemon says so and keeps answering.
    // Kept until the end: its lock keeps other tests' smbd off this address meanwhile.
    let _stopped_samba = tokio::task::spawn_blocking(move || {
        samba.stop().unwrap();
        samba
    })
    .await
    .unwrap();
    // Offline, the daemon lists what it has seen, from this PC: vm-demo was started
    // here, but its snapshot is not in a cache (none is configured), so it cannot start.
    let list = timed(|| w.cli_json(&["list"]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert!(list.iter().all(|m| m["origin"] == "cache"), "{list:?}");
    let status = timed(|| w.cli_json(&["status"]));
    assert_ne!(status["data_share"]["state"], "online", "{status}");
    assert!(
        !status["data_share"]["hint"].as_str().unwrap().is_empty(),
        "{status}"
    );
    let out = timed(|| w.cli(&["start", "vm-demo", "--snapshot", "exam"]));
    assert_eq!(out.status.code(), Some(11), "{}", describe(&out));

    // The mount goes away: the change is signalled and the state is "not mounted".
    let conn = w.connection().await;
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface("org.freedesktop.DBus.Properties")
        .unwrap()
        .member("PropertiesChanged")
        .unwrap()
        .path(leovms_api::MANAGER_PATH)
        .unwrap()
        .build();
    let mut changes = zbus::MessageStream::for_match_rule(rule, &conn, None)
        .await
        .unwrap();
    tokio::task::spawn_blocking(move || {
        mount.unmount().unwrap();
        mount
    })
    .await
    .unwrap();
    tokio::time::timeout(BOUND, async {
        while let Some(Ok(msg)) = changes.next().await {
            type Changed = (String, HashMap<String, OwnedValue>, Vec<String>);
            let (_, changed, _): Changed = msg.body().deserialize().unwrap();
            let share = changed
                .get("DataShare")
                .map(|v| ShareInfo::try_from(v.try_clone().unwrap()).unwrap());
            if share.is_some_and(|s| s.state == ShareState::NotMounted) {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the unmount was not signalled; log:\n{}", w.daemon_log()));
    let status = w.cli_json(&["status"]);
    assert!(
        status["data_share"]["reason"]
            .as_str()
            .unwrap()
            .contains("not connected"),
        "{status}"
    );
    let out = w.cli(&["start", "vm-demo", "--snapshot", "exam"]);
    assert_refused(&out, 11, "Not available offline");
}
