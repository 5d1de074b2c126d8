//! Access rules of image.conf (`[access]`) and snapshot.conf (`hosts`/`rooms`) through the
//! real daemon: the same share seen from PCs in two rooms, online and offline. The user and
//! groups are the real ones of the test process; hosts and rooms are set per daemon.

mod common;

use std::process::Command;

use common::{World, assert_refused};
use leovms_testkit::DemoOptions;

/// Output of `id ARGS` for the test process.
fn id(args: &[&str]) -> String {
    let out = Command::new("id").args(args).output().unwrap();
    assert!(out.status.success(), "id {args:?} failed");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn ids(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn access_rules_decide_what_each_room_lists_and_starts() {
    let my_group = id(&["-gn"]);
    let mut w = World::with(DemoOptions {
        image_conf_extra: vec![(
            "vm-win".into(),
            format!(
                "[access]\nusers = [\"leovms-nobody\"]\ngroups = [{my_group:?}]\nrooms = [\"r101\"]\n"
            ),
        )],
        snapshot_conf_extra: vec![(
            "vm-demo".into(),
            "exam".into(),
            "hosts = [\"r100-teacher\"]\nrooms = [\"r101\"]".into(),
        )],
        ..Default::default()
    })
    .await;

    // Room r101: everything is offered (vm-win through the user's group).
    w.move_to("r101-pc03", "r101").await;
    assert_eq!(ids(&w.cli_json(&["list"])), ["vm-demo", "vm-win"]);
    assert_eq!(w.machine("vm-demo")["snapshots"], 2);
    assert_eq!(
        ids(&w.cli_json(&["snapshots", "vm-demo"])),
        ["exam", "standard"]
    );
    assert_eq!(ids(&w.cli_json(&["snapshots", "vm-win"])), ["standard"]);

    // Room r100, a student PC: vm-win is not listed, exam is hidden.
    w.move_to("r100-pc01", "r100").await;
    assert_eq!(ids(&w.cli_json(&["list"])), ["vm-demo"]);
    assert_eq!(w.machine("vm-demo")["snapshots"], 1);
    assert_eq!(ids(&w.cli_json(&["snapshots", "vm-demo"])), ["standard"]);
    let out = w.cli(&["start", "vm-win", "--snapshot", "standard"]);
    assert_refused(
        &out,
        4,
        "Windows 10 (demo) is not offered on this computer (r100-pc01, room r100)",
    );
    let out = w.cli(&["snapshots", "vm-win"]);
    assert_refused(&out, 4, "is not offered on this computer");
    let out = w.cli(&["start", "vm-demo", "--snapshot", "exam"]);
    assert_refused(
        &out,
        4,
        "Snapshot \"Exam 2027\" of Demo Linux is not offered on this computer (r100-pc01, room r100)",
    );

    // The teacher's PC in r100 is named by the snapshot (host names without case).
    w.move_to("R100-Teacher.school.lan", "r100").await;
    assert_eq!(
        ids(&w.cli_json(&["snapshots", "vm-demo"])),
        ["exam", "standard"]
    );
    assert_eq!(ids(&w.cli_json(&["list"])), ["vm-demo"]);

    // Offline, from the copies kept while listing online: the same rules.
    let away = w.data.with_extension("away");
    std::fs::rename(&w.data, &away).unwrap();
    w.move_to("r100-pc01", "r100").await;
    let list = w.cli_json(&["list"]);
    assert_eq!(ids(&list), ["vm-demo"], "{list}");
    assert_eq!(common::listed(&list, "vm-demo")["origin"], "cache");
    assert_eq!(ids(&w.cli_json(&["snapshots", "vm-demo"])), ["standard"]);
    w.move_to("r101-pc03", "r101").await;
    assert_eq!(ids(&w.cli_json(&["list"])), ["vm-demo", "vm-win"]);
    assert_eq!(
        ids(&w.cli_json(&["snapshots", "vm-demo"])),
        ["exam", "standard"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vm_for_other_users_is_neither_listed_nor_started() {
    let me = id(&["-un"]);
    let mut w = World::with(DemoOptions {
        image_conf_extra: vec![
            (
                "vm-win".into(),
                "[access]\nusers = [\"leovms-nobody\"]\ngroups = [\"leovms-no-such-group\"]\n"
                    .into(),
            ),
            ("vm-demo".into(), format!("[access]\nusers = [{me:?}]\n")),
        ],
        ..Default::default()
    })
    .await;
    w.move_to("pc1", "r100").await;
    assert_eq!(ids(&w.cli_json(&["list"])), ["vm-demo"]);
    let out = w.cli(&["start", "vm-win", "--snapshot", "standard"]);
    assert_refused(
        &out,
        4,
        "Windows 10 (demo) is not offered to you: it is meant for other users or groups",
    );
}
