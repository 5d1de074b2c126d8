//! `publish`, `list`, `verify` and `remove` on a real demo share below `--root`, with
//! uploads holding real differencing disks.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use leovms_image::manifest::sha256_file;
use leovms_testkit::upload::{
    SnapshotUpload, build_snapshot_upload, tree_digest, write_upload_manifest,
};
use uuid::Uuid;

mod common;
use common::{Server, assert_ok, describe};
use leovms_testkit::{DemoOptions, build_demo_share};

impl Server {
    /// A snapshot upload for `vm-demo` in `upload/<rel>`.
    async fn snapshot_upload(&self, rel: &str, id: &str, base: Uuid, parent: Uuid) -> PathBuf {
        let dir = self.upload_dir(rel);
        build_snapshot_upload(&SnapshotUpload {
            dir: &dir,
            vm: "vm-demo",
            snapshot: id,
            name: "Lab 2028",
            uploader: "mueller",
            base_uuid: base,
            diff_parent: parent,
        })
        .await
        .unwrap();
        dir
    }
}

fn assert_refused(out: &Output, words: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", describe(out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(words),
        "no \"{words}\" in: {}",
        describe(out)
    );
}

/// The torrent publish wrote next to `vm/archive_rel`: listed in the manifest as it is,
/// readable for every PC, made from this very archive, and one the swarm accepts.
fn assert_torrent(s: &Server, vm: &str, archive_rel: &str) {
    let rel = format!("{archive_rel}.torrent");
    let path = s.data().join(vm).join(&rel);
    let entry = s.manifest(vm).get(&rel).cloned();
    let entry = entry.unwrap_or_else(|| panic!("{rel} not in the manifest"));
    let (size, sha256) = sha256_file(&path).unwrap();
    assert_eq!((entry.size, entry.sha256), (size, sha256), "{rel}");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o644, "{rel}");
    let archive = s.data().join(vm).join(archive_rel);
    let bytes = std::fs::read(&path).unwrap();
    let name = archive.file_name().unwrap().to_str().unwrap();
    assert!(
        bytes == leovms_image::torrent::create(&archive, name, |_| {}).unwrap(),
        "{rel} is not the torrent of {archive_rel}"
    );
    let archive_size = std::fs::metadata(&archive).unwrap().len();
    leovms_swarm::torrent::check(&bytes, archive_size).unwrap();
}

/// The archives `vm` lists in its manifest.
fn archives(s: &Server, vm: &str) -> Vec<String> {
    let manifest = s.manifest(vm);
    let archives = manifest.files.iter().filter(|e| e.unpacked.is_some());
    archives.map(|e| e.path.clone()).collect()
}

/// VMs published before there were torrents (the demo share has none) get them from
/// `add-torrents`, each archive checked first (under `--dry-run` too); a damaged archive
/// and a VM whose manifest cannot be read get none and are named, the torrents written
/// stay (exit status 2); a torrent that cannot be written is an I/O error (exit status 1).
#[tokio::test(flavor = "multi_thread")]
async fn add_torrents_writes_the_torrents_that_archives_published_before_lack() {
    let s = Server::new().await;
    let demo = archives(&s, "vm-demo");
    assert_eq!(demo.len(), 3, "base, standard, exam: {demo:?}");
    // vm-win's snapshot archive was changed after it was published.
    let damaged_rel = "snapshots/standard/snapshot.tar.zst";
    let damaged = s.data().join("vm-win").join(damaged_rel);
    let whole = std::fs::read(&damaged).unwrap();
    let mut bytes = whole.clone();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&damaged, &bytes).unwrap();
    let is_damaged = "problem: vm-win/snapshots/standard/snapshot.tar.zst is damaged";

    let before = tree_digest(&s.data());
    let out = s.admin(&["--dry-run", "add-torrents"]);
    assert_refused(
        &out,
        "1 archive(s) got no torrent (see above); 0 torrent(s) written",
    );
    let said = String::from_utf8_lossy(&out.stdout);
    for (vm, rel) in [
        ("vm-demo", &demo[0]),
        ("vm-win", &archives(&s, "vm-win")[0]),
    ] {
        let would =
            format!("would write the torrent of {vm}/{rel} (the archive matches the manifest)");
        assert!(said.contains(&would), "no \"{would}\" in: {said}");
    }
    assert!(!said.contains(&format!("vm-win/{damaged_rel}")), "{said}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(is_damaged));
    assert_eq!(tree_digest(&s.data()), before, "a dry run changes nothing");

    // A VM whose manifest cannot be read is a problem of that VM, not of an archive.
    let broken = s.data().join("vm-broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("manifest.toml"), "files = 7\n").unwrap();
    let out = s.admin(&["add-torrents"]);
    assert_refused(
        &out,
        "1 archive(s) got no torrent; 1 VM(s) could not be read (see above); \
         4 torrent(s) written",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(is_damaged), "{err}");
    assert!(err.contains("problem with VM vm-broken: "), "{err}");
    for rel in &demo {
        assert_torrent(&s, "vm-demo", rel);
    }
    assert_torrent(&s, "vm-win", "base.tar.zst");
    let torrent_rel = format!("{damaged_rel}.torrent");
    assert!(s.manifest("vm-win").get(&torrent_rel).is_none());
    assert!(!s.data().join("vm-win").join(&torrent_rel).exists());
    std::fs::remove_dir_all(&broken).unwrap();

    // Whole again, but its torrent cannot be written (a folder has its name).
    std::fs::write(&damaged, &whole).unwrap();
    let in_the_way = s.data().join("vm-win").join(&torrent_rel);
    std::fs::create_dir(&in_the_way).unwrap();
    let out = s.admin(&["add-torrents", "vm-win"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&torrent_rel), "{err}");
    assert!(s.manifest("vm-win").get(&torrent_rel).is_none());
    std::fs::remove_dir(&in_the_way).unwrap();

    // Then only its torrent is written; then nothing is left to do.
    let out = assert_ok(&s.admin(&["add-torrents", "vm-win"]));
    assert!(out.contains("1 torrent(s) written"), "{out}");
    assert_torrent(&s, "vm-win", damaged_rel);
    let before = tree_digest(&s.data());
    let out = assert_ok(&s.admin(&["add-torrents"]));
    assert!(out.contains("has its torrent"), "{out}");
    assert_eq!(tree_digest(&s.data()), before);
    let out = assert_ok(&s.admin(&["verify"]));
    assert!(out.contains("everything is in order"), "{out}");

    let out = s.admin(&["add-torrents", "vm-gone"]);
    assert_refused(&out, "there is no VM vm-gone in");
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_a_snapshot_then_list_verify_and_remove_it() {
    let s = Server::new().await;
    let base = s.demo_base();
    let upload = s
        .snapshot_upload("mueller/lab-20261126-1000", "lab", base, base)
        .await;

    let listed = assert_ok(&s.admin(&["list"]));
    assert!(listed.contains("mueller/lab-20261126-1000"), "{listed}");
    assert!(listed.contains("complete"), "{listed}");

    // A dry run shows what would happen and changes nothing.
    let before = tree_digest(&s.data());
    let out = assert_ok(&s.admin(&["--dry-run", "publish", "mueller/lab-20261126-1000"]));
    assert!(
        out.contains("would publish snapshot lab of vm-demo"),
        "{out}"
    );
    assert_eq!(tree_digest(&s.data()), before);
    assert!(upload.join("manifest.toml").exists());

    let out = assert_ok(&s.admin(&["publish", "mueller/lab-20261126-1000"]));
    assert!(out.contains("publish snapshot lab of vm-demo"), "{out}");
    assert!(!upload.exists(), "the published upload is removed");
    let manifest = s.manifest("vm-demo");
    let archive = manifest.get("snapshots/lab/snapshot.tar.zst").unwrap();
    assert!(archive.unpacked.unwrap() > 0);
    assert!(manifest.get("snapshots/lab/snapshot.conf").is_some());
    let conf =
        std::fs::read_to_string(s.data().join("vm-demo/snapshots/lab/snapshot.conf")).unwrap();
    assert!(conf.contains("name = \"Lab 2028\""), "{conf}");
    assert!(conf.contains("maintainer = \"mueller\""), "{conf}");
    assert!(conf.contains("created = 20"), "{conf}");
    assert_torrent(&s, "vm-demo", "snapshots/lab/snapshot.tar.zst");
    let leftovers: Vec<_> = tree_digest(&s.data())
        .into_iter()
        .filter(|(p, ..)| p.to_string_lossy().contains(".leovms-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let listed = assert_ok(&s.admin(&["list"]));
    assert!(listed.contains("  lab"), "{listed}");
    assert!(listed.contains("Lab 2028"), "{listed}");
    assert!(listed.contains("No pending uploads"), "{listed}");
    let out = assert_ok(&s.admin(&["verify"]));
    assert!(out.contains("everything is in order"), "{out}");

    // Publishing the same id again is refused.
    s.snapshot_upload("mueller/lab-again", "lab", base, base)
        .await;
    assert_refused(
        &s.admin(&["publish", "mueller/lab-again"]),
        "already has a snapshot lab",
    );

    let before = tree_digest(&s.data());
    let out = assert_ok(&s.admin(&["--dry-run", "remove", "vm-demo", "lab"]));
    assert!(
        out.contains("would unpublish snapshot lab of vm-demo"),
        "{out}"
    );
    assert!(out.contains("would delete"), "{out}");
    assert_eq!(tree_digest(&s.data()), before);

    assert_ok(&s.admin(&["remove", "vm-demo", "lab"]));
    let manifest = s.manifest("vm-demo");
    assert!(
        manifest
            .files
            .iter()
            .all(|e| !e.path.starts_with("snapshots/lab/"))
    );
    assert!(manifest.get("snapshots/exam/snapshot.tar.zst").is_some());
    assert!(!s.data().join("vm-demo/snapshots/lab").exists());
    assert_ok(&s.admin(&["verify"]));
    assert_refused(
        &s.admin(&["remove", "vm-demo", "lab"]),
        "has no snapshot lab",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_uploads_are_refused_and_nothing_changes() {
    let s = Server::new().await;
    let base = s.demo_base();
    let other = Uuid::new_v4();

    // The differencing disk was made from another base (upload.toml claims the right one).
    let foreign = s
        .snapshot_upload("mueller/foreign", "foreign", base, other)
        .await;
    // upload.toml names another base.
    let wrong_base = s
        .snapshot_upload("mueller/wrong-base", "wrong", other, other)
        .await;
    // A file changed after the manifest was written.
    let tampered = s
        .snapshot_upload("mueller/tampered", "tampered", base, base)
        .await;
    let archive = tampered.join("snapshots/tampered/snapshot.tar.zst");
    let mut bytes = std::fs::read(&archive).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&archive, bytes).unwrap();
    // Still uploading: no manifest yet.
    let unfinished = s
        .snapshot_upload("mueller/unfinished", "unfinished", base, base)
        .await;
    std::fs::remove_file(unfinished.join("manifest.toml")).unwrap();
    // A file the manifest does not list.
    let extra = s
        .snapshot_upload("mueller/extra", "extra", base, base)
        .await;
    std::fs::write(extra.join("notes.txt"), b"hello").unwrap();

    // A snapshot of a machine that is not published.
    let orphan = s.upload_dir("mueller/orphan");
    build_snapshot_upload(&SnapshotUpload {
        dir: &orphan,
        vm: "vm-nope",
        snapshot: "lab",
        name: "Lab",
        uploader: "mueller",
        base_uuid: base,
        diff_parent: base,
    })
    .await
    .unwrap();

    let listed = assert_ok(&s.admin(&["list"]));
    assert!(
        listed.contains("mueller/unfinished  incomplete"),
        "{listed}"
    );

    let cases: [(&Path, &str); 6] = [
        (&foreign, "was made from another base"),
        (&wrong_base, "was made from the base disk"),
        (&tampered, "checksum mismatch"),
        (&unfinished, "is incomplete: it has no manifest.toml"),
        (&extra, "holds notes.txt, which its manifest does not list"),
        (&orphan, "there is no published VM vm-nope"),
    ];
    for (upload, words) in cases {
        let data_before = tree_digest(&s.data());
        let upload_before = tree_digest(upload);
        let out = s.admin(&["publish", upload.to_str().unwrap()]);
        assert_refused(&out, words);
        assert_eq!(tree_digest(&s.data()), data_before, "data changed: {words}");
        assert_eq!(
            tree_digest(upload),
            upload_before,
            "upload changed: {words}"
        );
    }
    assert_ok(&s.admin(&["verify"]));
}

/// The upload of a new machine `upload/admin/<folder>`: the published vm-win's files
/// under the id vm-copy, with its snapshot `standard` or without any.
fn vm_copy_upload(s: &Server, folder: &str, with_snapshot: bool) -> PathBuf {
    let upload = s.upload_dir(&format!("admin/{folder}"));
    let win = s.data().join("vm-win");
    let mut files = vec!["image.conf", "machine.vbox", "base.tar.zst"];
    if with_snapshot {
        files.push("snapshots/standard/snapshot.tar.zst");
    }
    for rel in files {
        let to = upload.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(win.join(rel), to).unwrap();
    }
    let snapshot = if with_snapshot {
        "snapshot = \"standard\"\n"
    } else {
        ""
    };
    let toml = format!(
        "kind = \"vm\"\nvm = \"vm-copy\"\n{snapshot}name = \"Standard\"\n\
         uploader = \"admin\"\nsource_machine = \"pc-1\"\nbase_uuid = \"{}\"\n",
        s.share.vm("vm-win").base_uuid
    );
    std::fs::write(upload.join("upload.toml"), toml).unwrap();
    write_upload_manifest(&upload).unwrap();
    upload
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_vm_without_a_snapshot_is_refused() {
    let s = Server::new().await;
    let upload = vm_copy_upload(&s, "vm-copy-20261126", false);
    let out = s.admin(&["publish", "admin/vm-copy-20261126"]);
    assert_refused(&out, "a new VM needs at least one snapshot");
    assert!(upload.join("base.tar.zst").is_file(), "the upload stays");
    assert!(!s.data().join("vm-copy").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_a_new_vm_and_remove_it() {
    let s = Server::new().await;
    let upload = vm_copy_upload(&s, "vm-copy-20261126", true);

    assert_ok(&s.admin(&["publish", "admin/vm-copy-20261126"]));
    assert!(!upload.exists());
    let manifest = s.manifest("vm-copy");
    for rel in [
        "image.conf",
        "machine.vbox",
        "base.tar.zst",
        "snapshots/standard/snapshot.conf",
        "snapshots/standard/snapshot.tar.zst",
    ] {
        assert!(manifest.get(rel).is_some(), "{rel} not in the manifest");
    }
    assert!(manifest.get("upload.toml").is_none());
    assert!(manifest.get("base.tar.zst").unwrap().unpacked.is_some());
    assert_torrent(&s, "vm-copy", "base.tar.zst");
    assert_torrent(&s, "vm-copy", "snapshots/standard/snapshot.tar.zst");
    let out = assert_ok(&s.admin(&["verify"]));
    assert!(out.contains("3 VM(s)"), "{out}");
    assert!(out.contains("everything is in order"), "{out}");

    let out = assert_ok(&s.admin(&["remove", "vm-copy"]));
    assert!(out.contains("unpublish vm-copy"), "{out}");
    assert!(!s.data().join("vm-copy").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_reports_damaged_files() {
    let s = Server::new().await;
    assert_ok(&s.admin(&["verify"]));
    let conf = s.data().join("vm-win/image.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(&conf, text.replacen("Windows", "Windowz", 1)).unwrap();
    let snap = s.data().join("vm-demo/snapshots/exam/snapshot.tar.zst");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&snap)
        .unwrap();
    std::io::Write::write_all(&mut f, b"x").unwrap();
    drop(f);

    let out = s.admin(&["verify"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("problem: vm-win/image.conf is damaged"),
        "{}",
        describe(&out)
    );
    assert!(
        text.contains("problem: vm-demo/snapshots/exam/snapshot.tar.zst is damaged"),
        "{}",
        describe(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2 problem(s)"),
        "{}",
        describe(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_reports_a_snapshot_of_another_base() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("home/leovms/data");
    let opts = DemoOptions {
        foreign_snapshot: true,
        ..Default::default()
    };
    let share = build_demo_share(&data, &opts).await.unwrap();
    let s = Server { root, share };
    let out = s.admin(&["verify"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("vm-demo/snapshots/foreign/snapshot.tar.zst was made from another base"),
        "{}",
        describe(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 problem(s)"),
        "{}",
        describe(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_change_at_a_time() {
    let s = Server::new().await;
    let base = s.demo_base();
    let upload = s.snapshot_upload("mueller/lab", "lab", base, base).await;
    let held = std::fs::File::open(s.data()).unwrap();
    rustix::fs::flock(&held, rustix::fs::FlockOperation::LockExclusive).unwrap();
    let before = tree_digest(&s.data());
    assert_refused(
        &s.admin(&["publish", "mueller/lab"]),
        "another leovms-admin is changing",
    );
    assert_refused(
        &s.admin(&["remove", "vm-demo", "exam"]),
        "another leovms-admin is changing",
    );
    assert_eq!(tree_digest(&s.data()), before);
    drop(held);
    assert_ok(&s.admin(&["publish", "mueller/lab"]));
    assert!(!upload.exists());
}

#[tokio::test]
async fn set_conf_replaces_image_conf_only_when_it_is_valid() {
    let s = Server::new().await;
    let image = s.data().join("vm-demo/image.conf");
    let edited = s.root.path().join("image.conf.new");
    let before = tree_digest(&s.data());

    // A mistake is refused with the admin's file, line and key; nothing changes.
    let old = std::fs::read_to_string(&image).unwrap();
    std::fs::write(
        &edited,
        format!("{old}\n[[network]]\nrooms = [\"r101\"]\nnic = [{{ slot = 9, mode = \"nat\" }}]\n"),
    )
    .unwrap();
    let out = s.admin(&["set-conf", "vm-demo", "--from", edited.to_str().unwrap()]);
    assert_refused(&out, "image.conf.new:");
    assert_refused(&out, "network.nic.slot: must be 1 to 8");
    assert_eq!(tree_digest(&s.data()), before);

    // --dry-run says what it would do, and does nothing.
    let rules =
        format!("{old}\n[[network]]\nrooms = [\"r101\"]\nnic = [{{ slot = 1, mode = \"nat\" }}]\n");
    std::fs::write(&edited, &rules).unwrap();
    let out = s.admin(&[
        "--dry-run",
        "set-conf",
        "vm-demo",
        "--from",
        edited.to_str().unwrap(),
    ]);
    assert!(
        assert_ok(&out).contains("would replace"),
        "{}",
        describe(&out)
    );
    assert_eq!(tree_digest(&s.data()), before);

    // A valid file replaces the old one, and the VM still verifies.
    assert_ok(&s.admin(&["set-conf", "vm-demo", "--from", edited.to_str().unwrap()]));
    assert_eq!(std::fs::read_to_string(&image).unwrap(), rules);
    let entry = s.manifest("vm-demo").get("image.conf").cloned().unwrap();
    assert_eq!(entry.size, rules.len() as u64);
    assert!(assert_ok(&s.admin(&["verify"])).contains("everything is in order"));

    // A snapshot's snapshot.conf, checked as one.
    let snap = s.root.path().join("snapshot.conf.new");
    std::fs::write(&snap, "name = \"Standard\"\nrooms = [\"r101,r102\"]\n").unwrap();
    let out = s.admin(&[
        "set-conf",
        "vm-demo",
        "standard",
        "--from",
        snap.to_str().unwrap(),
    ]);
    assert_refused(&out, "one name per entry");
    let out = s.admin(&[
        "set-conf",
        "vm-demo",
        "nosuch",
        "--from",
        snap.to_str().unwrap(),
    ]);
    assert_refused(&out, "vm-demo has no snapshots/nosuch/snapshot.conf");
}
