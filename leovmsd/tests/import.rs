//! A leoclient2 VM folder, imported with the real `leovms-admin import-leoclient2` into
//! the share of a real daemon, is listed and starts a snapshot.

mod common;

use std::process::Command;

use common::{World, admin, assert_refused, assert_said, describe};
use leovms_testkit::leoclient2::{Leoclient2Options, build_leoclient2_vm};

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_leoclient2_vm_is_listed_and_starts_a_snapshot() {
    let mut w = World::new().await;
    // Access rules as leoclient2 wrote them: the test user's group, two rooms.
    let group = String::from_utf8(Command::new("id").arg("-gn").output().unwrap().stdout).unwrap();
    let old = build_leoclient2_vm(
        &w.tmp.path().join("leoclient2"),
        &Leoclient2Options {
            foreign_snapshot: true,
            image_conf: format!(
                "room=r101,r102\nuser=leovms-nobody\ngroup={}\nkeyboard=de\n",
                group.trim()
            ),
            ..Default::default()
        },
    )
    .unwrap();
    let dir = old.dir.to_str().unwrap();
    // The server's /home/leovms/data is the world's share.
    let root = w.tmp.path().join("server");
    std::fs::create_dir_all(root.join("home/leovms")).unwrap();
    std::os::unix::fs::symlink(&w.data, root.join("home/leovms/data")).unwrap();

    let out = admin(
        &root,
        &["--dry-run", "import-leoclient2", dir, "--id", "vm-xp"],
    );
    assert_said(&out, "would import");
    assert!(!w.data.join("vm-xp").exists(), "{}", describe(&out));

    let out = admin(&root, &["import-leoclient2", dir, "--id", "vm-xp"]);
    assert_said(&out, "imported vm-xp with 2 snapshot(s)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("skipped snapshot-store/old") && err.contains("another base"),
        "{err}"
    );
    assert!(
        err.contains("keyboard = de") && !err.contains("room ="),
        "only what is not converted is named: {err}"
    );

    // The converted rules: not offered in r100; in r102 without the r101-only exam.
    for (room, listed) in [("r100", false), ("r102", true), ("r101", true)] {
        w.move_to(&format!("{room}-pc01"), room).await;
        let list = w.cli_json(&["list"]);
        let ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["id"].as_str())
            .collect();
        assert_eq!(ids.contains(&"vm-xp"), listed, "{room}: {list}");
        if room == "r102" {
            assert_eq!(w.machine("vm-xp")["snapshots"], 1, "exam is for r101 only");
        }
    }
    let xp = w.machine("vm-xp");
    assert_eq!(xp["name"], "Windows XP");
    assert_eq!(xp["problem"], "");
    assert_eq!(xp["snapshots"], 2);
    let snaps = w.cli_json(&["snapshots", "vm-xp"]);
    let exam = snaps
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "exam")
        .expect("exam listed");
    assert_eq!(exam["name"], "Exam 2027");
    assert_eq!(exam["maintainer"], "mueller");

    let out = w.cli(&["start", "vm-xp", "--snapshot", "exam"]);
    assert_said(&out, "Windows XP is running.");
    assert_eq!(w.machine("vm-xp")["state"], "running");

    let out = admin(&root, &["import-leoclient2", dir, "--id", "vm-xp"]);
    assert_refused(&out, 2, "already exists");
}
