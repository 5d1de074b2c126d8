//! Access and network rules as a student meets them, through the real daemon: a VM meant
//! for certain rooms on a PC that cannot tell its room is listed with the reason (and its
//! start says it), a user offered nothing is not told "the share is empty", and a
//! leoclient2 VM imported with its `network.conf` gets no network on a PC without a line.

mod common;

use std::collections::BTreeMap;

use common::{World, admin, assert_refused, assert_said, describe, listed};
use leovms_testkit::DemoOptions;
use leovms_testkit::leoclient2::{Leoclient2Options, build_leoclient2_vm};

/// A host name no computer account has: `id -gn` finds no room for it.
const NO_ROOM_PC: &str = "leovms-test-noroom-pc07";

fn ids(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vm_for_certain_rooms_on_a_pc_without_a_room_says_why() {
    let mut w = World::with(DemoOptions {
        image_conf_extra: vec![("vm-win".into(), "[access]\nrooms = [\"r101\"]\n".into())],
        ..Default::default()
    })
    .await;
    let why = "Windows 10 (demo) is offered only in certain rooms, and this computer \
               (leovms-test-noroom-pc07) cannot tell which room it is in";

    // An empty room: the daemon asks NSS for the computer account's group, finds none.
    w.move_to(NO_ROOM_PC, "").await;
    let list = w.cli_json(&["list"]);
    assert!(
        w.daemon_log().contains("room unknown"),
        "{}",
        w.daemon_log()
    );
    assert_eq!(ids(&list), ["vm-demo", "vm-win"], "{list}");
    let win = listed(&list, "vm-win");
    assert_eq!(win["state"], "not-offered", "{win}");
    let problem = win["problem"].as_str().unwrap();
    assert!(
        problem.contains(why) && problem.contains("LEOVMS_ROOM"),
        "{problem}"
    );
    assert_eq!(listed(&list, "vm-demo")["state"], "off");
    assert_eq!(listed(&list, "vm-demo")["problem"], "");

    // The table says it too, and so do a start and a look at the snapshots.
    let out = w.cli(&["list"]);
    assert_said(&out, why);
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("None of"),
        "{}",
        describe(&out)
    );
    let out = w.cli(&["start", "vm-win", "--snapshot", "standard"]);
    assert_refused(&out, 4, why);
    assert_eq!(w.vbox_calls("VirtualBoxVM"), 0, "nothing was started");
    let out = w.cli(&["snapshots", "vm-win"]);
    assert_refused(&out, 4, why);
    let out = w.cli(&["sync", "vm-win"]);
    assert_refused(&out, 4, why);

    // Once the PC knows its room, the rule decides as written.
    w.move_to("r101-pc01", "r101").await;
    let win = w.machine("vm-win");
    assert_eq!(
        (&win["state"], &win["problem"]),
        (&"off".into(), &"".into())
    );
    w.move_to("r102-pc01", "r102").await;
    assert_eq!(ids(&w.cli_json(&["list"])), ["vm-demo"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_offered_nothing_is_told_so_not_that_the_share_is_empty() {
    let nobody = "[access]\nusers = [\"leovms-nobody\"]\n";
    let mut w = World::with(DemoOptions {
        image_conf_extra: vec![
            ("vm-demo".into(), nobody.into()),
            ("vm-win".into(), nobody.into()),
        ],
        ..Default::default()
    })
    .await;
    w.move_to("r101-pc01", "r101").await;
    let list = w.cli_json(&["list"]);
    assert_eq!(ids(&list), ["vm-demo", "vm-win"], "{list}");
    for vm in ["vm-demo", "vm-win"] {
        let m = listed(&list, vm);
        assert_eq!(m["state"], "not-offered", "{m}");
        assert!(
            m["problem"]
                .as_str()
                .unwrap()
                .contains("is not offered to you: it is meant for other users or groups"),
            "{m}"
        );
    }
    let out = w.cli(&["list"]);
    assert_said(
        &out,
        "None of the 2 machines on the share is offered to you on this PC.",
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("No machines on the share"),
        "{}",
        describe(&out)
    );
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert_refused(&out, 4, "is not offered to you");
}

/// The VM's cards that are on, as `showvminfo --machinereadable` says (`nicN`).
fn cards_on(info: &BTreeMap<String, String>) -> Vec<(u32, String)> {
    (1..=8)
        .filter_map(|n| {
            info.get(&format!("nic{n}"))
                .filter(|k| *k != "none")
                .map(|k| (n, k.clone()))
        })
        .collect()
}

async fn started_on(w: &mut World, vm: &str, host: &str) -> BTreeMap<String, String> {
    w.move_to(host, "r101").await;
    let out = w.cli(&["start", vm, "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    w.wait_machine_state(vm, "running").await;
    let uuid = machine_uuid(w, vm);
    let info = w.vboxmanage(&["showvminfo", &uuid, "--machinereadable"]);
    assert!(info.status.success(), "{}", describe(&info));
    assert!(w.cli(&["stop", vm]).status.success());
    w.wait_machine_state(vm, "off").await;
    String::from_utf8_lossy(&info.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
        .collect()
}

/// The machine's UUID as the published `machine.vbox` gives it.
fn machine_uuid(w: &World, vm: &str) -> String {
    let vbox = std::fs::read(w.data.join(vm).join("machine.vbox")).unwrap();
    leovms_image::vbox::inspect(&vbox).unwrap().uuid.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_leoclient2_vm_has_no_network_on_a_pc_without_a_line() {
    let mut w = World::new().await;
    // The template's card 1 is on (NAT); leoclient2 switched it off on PCs without a line.
    let old = build_leoclient2_vm(
        &w.tmp.path().join("leoclient2"),
        &Leoclient2Options {
            image_conf: String::new(),
            network_conf: Some(
                "# host;nic;mode;mac;device\nr101-pc01;2;nat;08:00:27:00:00:21;auto-used-nic\n"
                    .into(),
            ),
            ..Default::default()
        },
    )
    .unwrap();
    let root = w.tmp.path().join("server");
    std::fs::create_dir_all(root.join("home/leovms")).unwrap();
    std::os::unix::fs::symlink(&w.data, root.join("home/leovms/data")).unwrap();

    let out = admin(
        &root,
        &[
            "import-leoclient2",
            old.dir.to_str().unwrap(),
            "--id",
            "vm-xp",
        ],
    );
    assert_said(&out, "imported vm-xp");
    for line in [
        "vm-xp: offered to everyone, on every PC",
        "vm-xp: network on PC r101-pc01: card 2 nat (mac 08:00:27:00:00:21), other cards off",
        "vm-xp: network on every other PC: all cards off",
    ] {
        assert_said(&out, line);
    }
    let listed = admin(&root, &["list"]);
    assert_said(&listed, "    network on every other PC: all cards off");

    // A leoclient2 VM without network.conf had no network anywhere; so has its import.
    let bare = build_leoclient2_vm(
        &w.tmp.path().join("leoclient2-bare"),
        &Leoclient2Options {
            vm: "tails".into(),
            image_conf: String::new(),
            ..Default::default()
        },
    )
    .unwrap();
    let out = admin(
        &root,
        &[
            "import-leoclient2",
            bare.dir.to_str().unwrap(),
            "--id",
            "vm-tails",
        ],
    );
    assert_said(&out, "vm-tails: network on every PC: all cards off");
    let info = started_on(&mut w, "vm-tails", "r101-pc01").await;
    assert_eq!(cards_on(&info), [], "{info:?}");

    // A PC in the same room without a line of its own: no network at all.
    let info = started_on(&mut w, "vm-xp", "r101-pc02").await;
    assert_eq!(cards_on(&info), [], "{info:?}");
    // The PC with the line: exactly its card.
    let info = started_on(&mut w, "vm-xp", "r101-pc01").await;
    assert_eq!(cards_on(&info), [(2, "nat".to_owned())], "{info:?}");
    assert_eq!(info["macaddress2"], "080027000021");
}
