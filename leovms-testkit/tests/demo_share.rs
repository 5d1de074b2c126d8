//! The demo share is complete, consistent and what VirtualBox would accept.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::{XSD, archive_files, demo_share, extract, run};
use leovms_image::config::{ClientConf, ImageConf, RamMode, SnapshotConf, VboxConf};
use leovms_image::manifest::Manifest;
use leovms_image::vdi::{self, braced};
use leovms_testkit::require_tool;
use sha2::{Digest, Sha256};

/// Every file below `dir`, relative, '/'-separated.
fn files_below(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel);
            }
        }
    }
    out
}

#[tokio::test]
async fn manifest_lists_every_file_with_size_hash_and_unpacked() {
    let tmp = tempfile::tempdir().unwrap();
    let share = demo_share(tmp.path(), true).await;
    let top: BTreeSet<String> = std::fs::read_dir(&share.data_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = [
        "leovms-client.conf",
        "leovms-vbox.conf",
        "vm-demo",
        "vm-win",
    ]
    .map(String::from)
    .into();
    assert_eq!(top, expected, "no staging leftovers in the share");
    for vm in &share.vms {
        let dir = share.data_dir.join(&vm.id);
        let manifest = Manifest::load(&dir.join("manifest.toml")).unwrap();
        let listed: BTreeSet<String> = manifest.files.iter().map(|f| f.path.clone()).collect();
        let mut present = files_below(&dir);
        assert!(present.remove("manifest.toml"));
        assert_eq!(
            listed, present,
            "{}: manifest lists exactly the files",
            vm.id
        );
        for entry in &manifest.files {
            let bytes = std::fs::read(dir.join(&entry.path)).unwrap();
            assert_eq!(entry.size, bytes.len() as u64, "{}", entry.path);
            assert_eq!(
                entry.sha256,
                <[u8; 32]>::from(Sha256::digest(&bytes)),
                "{}",
                entry.path
            );
            if entry.path.ends_with(".tar.zst") {
                let sum: u64 = archive_files(&dir.join(&entry.path))
                    .await
                    .iter()
                    .map(|f| f.1)
                    .sum();
                assert_eq!(entry.unpacked, Some(sum), "{}", entry.path);
            } else {
                assert_eq!(entry.unpacked, None, "{}", entry.path);
            }
        }
    }
}

#[tokio::test]
async fn configs_parse_as_specified() {
    let tmp = tempfile::tempdir().unwrap();
    let share = demo_share(tmp.path(), false).await;
    let data = &share.data_dir;
    assert!(
        ClientConf::load(&data.join("leovms-client.conf"))
            .unwrap()
            .caches
            .is_empty()
    );
    let vbox = VboxConf::load(&data.join("leovms-vbox.conf")).unwrap();
    assert_eq!(vbox.machines_dir, tmp.path().join("machines"));
    assert_eq!(vbox.vbox_home, "~/.leovms");

    let demo = ImageConf::load(&data.join("vm-demo/image.conf")).unwrap();
    assert_eq!(demo.name, "Demo Linux");
    assert_eq!((demo.ram.mode, demo.ram.max_mb), (RamMode::Auto, 1024));
    let win = ImageConf::load(&data.join("vm-win/image.conf")).unwrap();
    assert_eq!(win.name, "Windows 10 (demo)");
    assert_eq!((win.ram.mode, win.ram.mb), (RamMode::Fixed, Some(512)));

    let exam = SnapshotConf::load(&data.join("vm-demo/snapshots/exam/snapshot.conf")).unwrap();
    assert_eq!(exam.name, "Exam 2027");
    assert_eq!(exam.maintainer, "mueller");
    assert!(exam.created.is_some());
    let standard =
        SnapshotConf::load(&data.join("vm-demo/snapshots/standard/snapshot.conf")).unwrap();
    assert_eq!(
        (standard.name.as_str(), standard.maintainer.as_str()),
        ("Standard", "admin")
    );
    assert_eq!(share.vm("vm-win").snapshots.len(), 1);
    assert!(!data.join("vm-demo/snapshots/foreign").exists());
}

#[tokio::test]
async fn archives_hold_the_disks_with_the_right_uuids() {
    let tmp = tempfile::tempdir().unwrap();
    let share = demo_share(tmp.path(), true).await;
    let demo = share.vm("vm-demo");
    let dir = share.data_dir.join("vm-demo");

    let base = archive_files(&dir.join("base.tar.zst")).await;
    assert_eq!(base.len(), 1);
    assert_eq!(base[0].0, "vm-demo.vdi");
    assert!(
        base[0].1 >= 2 << 20,
        "allocated blocks make the file big: {}",
        base[0].1
    );
    let out = tmp.path().join("unpacked");
    extract(&dir.join("base.tar.zst"), &out).await;
    let base_header = vdi::read_header(&out.join("vm-demo.vdi")).unwrap();
    assert_eq!(base_header.uuid, demo.base_uuid);
    assert_eq!(base_header.disk_size, leovms_testkit::BASE_DISK_SIZE);

    assert_eq!(demo.snapshot("standard"), demo.template_diff_uuid);
    assert_ne!(demo.snapshot("exam"), demo.template_diff_uuid);
    for (id, diff_uuid) in &demo.snapshots {
        let archive = dir.join(format!("snapshots/{id}/snapshot.tar.zst"));
        let name = format!("Snapshots/{}.vdi", braced(diff_uuid));
        let files = archive_files(&archive).await;
        assert_eq!(
            files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
            [name.as_str()]
        );
        extract(&archive, &out).await;
        let header = vdi::read_header(&out.join(&name)).unwrap();
        assert_eq!(header.uuid, *diff_uuid);
        if id == "foreign" {
            assert_ne!(
                header.parent,
                Some(demo.base_uuid),
                "foreign diff belongs to another base"
            );
        } else {
            assert_eq!(header.parent, Some(demo.base_uuid), "{id}");
        }
    }
}

#[tokio::test]
async fn templates_validate_against_the_xsd() {
    let tmp = tempfile::tempdir().unwrap();
    let share = demo_share(tmp.path(), false).await;
    if !require_tool("xmllint") {
        return;
    }
    for vm in &share.vms {
        let template = share.data_dir.join(&vm.id).join("machine.vbox");
        let out = run(Command::new("xmllint")
            .args(["--noout", "--schema", XSD])
            .arg(&template));
        assert!(out.status.success(), "{} does not validate", vm.id);
        let text = std::fs::read_to_string(&template).unwrap();
        assert!(
            text.contains(&format!("location=\"{}.vdi\"", vm.id)),
            "relative base location"
        );
        assert!(text.contains(&braced(&vm.machine_uuid)));
    }
}
