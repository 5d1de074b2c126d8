//! The server side meets the client: `leovms-admin publish` turns an upload into a
//! snapshot that the real daemon lists and starts; `leovms-admin remove` retires it.
//! Needs the workspace binaries: `cargo build --workspace`.

mod common;

use std::process::{Command, Output};

use common::{World, describe};
use leovms_testkit::upload::{SnapshotUpload, build_snapshot_upload};
use leovms_testkit::workspace_bin;

/// `leovms-admin --root <root> ARGS`, where `<root>/home/leovms/data` is the world's share.
fn admin(root: &std::path::Path, args: &[&str]) -> Output {
    Command::new(workspace_bin("leovms-admin"))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

fn snapshot_ids(w: &World) -> Vec<String> {
    w.cli_json(&["snapshots", "vm-demo"])
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn published_snapshot_is_listed_started_and_removed() {
    let mut w = World::new().await;
    let root = w.tmp.path().join("server");
    let home = root.join("home/leovms");
    std::fs::create_dir_all(home.join("upload")).unwrap();
    std::os::unix::fs::symlink(&w.data, home.join("data")).unwrap();
    let base = w.share.vm("vm-demo").base_uuid;
    build_snapshot_upload(&SnapshotUpload {
        dir: &home.join("upload/mueller/lab-20261126-1000"),
        vm: "vm-demo",
        snapshot: "lab",
        name: "Lab 2028",
        uploader: "mueller",
        base_uuid: base,
        diff_parent: base,
    })
    .await
    .unwrap();

    let out = admin(&root, &["publish", "mueller/lab-20261126-1000"]);
    assert!(out.status.success(), "{}", describe(&out));

    w.start_daemon().await;
    let snaps = w.cli_json(&["snapshots", "vm-demo"]);
    let lab = snaps
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "lab")
        .unwrap_or_else(|| panic!("lab not listed: {snaps}"))
        .clone();
    assert_eq!(lab["name"], "Lab 2028");
    assert_eq!(lab["maintainer"], "mueller");
    assert!(!lab["created"].as_str().unwrap().is_empty(), "{lab}");

    let out = w.cli(&["start", "vm-demo", "--snapshot", "lab"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("is running"),
        "{}",
        describe(&out)
    );
    let out = w.cli(&["stop", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    w.wait_machine_state("vm-demo", "off").await;

    let out = admin(&root, &["remove", "vm-demo", "lab"]);
    assert!(out.status.success(), "{}", describe(&out));
    let ids = snapshot_ids(&w);
    assert!(!ids.contains(&"lab".to_owned()), "{ids:?}");
    assert!(ids.contains(&"exam".to_owned()), "{ids:?}");
}
