//! Archives that must never be unpacked, published with a truthful manifest (as a
//! compromised upload would be), and an archive damaged after publishing: refused with a
//! short message, in bounded memory and open files, and a refused snapshot leaves the
//! working copy as it was.

mod common;

use std::path::Path;

use common::{World, describe};
use leovms_image::archive::{self, Compression};
use leovms_image::manifest::{Manifest, sha256_file};
use leovms_image::vdi::{self, VdiHeader, VdiKind};
use leovms_testkit::BASE_DISK_SIZE;
use leovms_testkit::tar::{Member, ustar};
use leovms_testkit::upload::tree_digest;

/// Replaces vm-demo's base archive and republishes the manifest to match it.
fn publish_base(w: &World, tar: &[u8]) {
    let dir = w.data.join("vm-demo");
    let raw = w.tmp.path().join("base.tar");
    std::fs::write(&raw, tar).unwrap();
    let status = std::process::Command::new("zstd")
        .args(["-q", "-f", "-o"])
        .arg(dir.join("base.tar.zst"))
        .arg(&raw)
        .status()
        .unwrap();
    assert!(status.success());
    let manifest_path = dir.join("manifest.toml");
    let mut manifest = Manifest::load(&manifest_path).unwrap();
    let (size, sha256) = sha256_file(&dir.join("base.tar.zst")).unwrap();
    let entry = manifest
        .files
        .iter_mut()
        .find(|f| f.path == "base.tar.zst")
        .unwrap();
    entry.size = size;
    entry.sha256 = sha256;
    entry.unpacked = Some(tar.len() as u64);
    std::fs::write(&manifest_path, manifest.to_toml_string()).unwrap();
}

async fn refused(w: &mut World, error_id: &str) -> String {
    w.start_daemon().await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert_eq!(out.status.code(), Some(7), "{}", describe(&out));
    let jobs = w.cli_json(&["jobs"]);
    assert_eq!(jobs[0]["error_id"], error_id, "{jobs}");
    let vm_dir = w.machines.join("vm-demo");
    assert!(
        World::all_files(&vm_dir).is_empty(),
        "left behind: {:?}",
        World::all_files(&vm_dir)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn nowhere(root: &Path, name: &str) {
    let found: Vec<_> = World::all_files(root)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == name))
        .collect();
    assert!(found.is_empty(), "{name} was written: {found:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn start_refuses_an_archive_that_climbs_out_of_its_folder() {
    let mut w = World::new().await;
    publish_base(
        &w,
        &ustar(&[
            ("vm-demo.vdi", b'0', b"disk", ""),
            ("../../escaped.txt", b'0', b"evil", ""),
        ]),
    );
    let err = refused(&mut w, "org.leovms.Error.UnsafeArchive").await;
    assert!(err.contains("escaped.txt"), "{err}");
    nowhere(w.tmp.path(), "escaped.txt");
}

#[tokio::test(flavor = "multi_thread")]
async fn start_refuses_an_archive_with_an_absolute_path() {
    let mut w = World::new().await;
    let target = w.tmp.path().join("absolute-escape.txt");
    let name = target.to_string_lossy().into_owned();
    publish_base(&w, &ustar(&[(&name, b'0', b"evil", "")]));
    refused(&mut w, "org.leovms.Error.UnsafeArchive").await;
    assert!(!target.exists());
    nowhere(w.tmp.path(), "absolute-escape.txt");
}

#[tokio::test(flavor = "multi_thread")]
async fn start_refuses_an_archive_that_escapes_through_a_symlink() {
    let mut w = World::new().await;
    let outside = w.tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let link_target = outside.to_string_lossy().into_owned();
    publish_base(
        &w,
        &ustar(&[
            ("link", b'2', b"", &link_target),
            ("link/evil.txt", b'0', b"evil", ""),
        ]),
    );
    refused(&mut w, "org.leovms.Error.UnsafeArchive").await;
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn start_refuses_an_archive_damaged_after_publishing() {
    let mut w = World::new().await;
    let archive = w.data.join("vm-demo/base.tar.zst");
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&archive, &bytes).unwrap();
    let err = refused(&mut w, "org.leovms.Error.Integrity").await;
    assert!(err.contains("damaged") || err.contains("checksum"), "{err}");
}

/// Points the manifest of vm-demo at the archive now at `rel` (already in place).
fn republish(w: &World, rel: &str, unpacked: u64) {
    let dir = w.data.join("vm-demo");
    let manifest_path = dir.join("manifest.toml");
    let mut manifest = Manifest::load(&manifest_path).unwrap();
    let (size, sha256) = sha256_file(&dir.join(rel)).unwrap();
    let entry = manifest.files.iter_mut().find(|f| f.path == rel).unwrap();
    entry.size = size;
    entry.sha256 = sha256;
    entry.unpacked = Some(unpacked);
    std::fs::write(&manifest_path, manifest.to_toml_string()).unwrap();
}

/// Starts the daemon with the file limit of a usual desktop session.
async fn start_with_1024_files(w: &mut World) {
    w.start_daemon().await;
    let pid = rustix::process::Pid::from_raw(w.daemon_pid() as i32).unwrap();
    let limit = rustix::process::Rlimit {
        current: Some(1024),
        maximum: Some(1024),
    };
    rustix::process::prlimit(Some(pid), rustix::process::Resource::Nofile, limit).unwrap();
}

/// `start vm-demo --snapshot <snapshot>` (daemon running) fails with `error_id`; returns
/// stderr.
fn start_refused(w: &World, snapshot: &str, error_id: &str) -> String {
    let out = w.cli(&["start", "vm-demo", "--snapshot", snapshot]);
    assert_eq!(out.status.code(), Some(7), "{}", describe(&out));
    let jobs = w.cli_json(&["jobs"]);
    let failed = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["state"] == "failed")
        .unwrap_or_else(|| panic!("no failed job: {jobs}"));
    assert_eq!(failed["error_id"], error_id, "{jobs}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The highest memory use of the daemon so far, in bytes (`VmHWM`).
fn daemon_peak_memory(w: &World) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", w.daemon_pid())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_long_name_gives_a_short_message() {
    let mut w = World::new().await;
    let name = vec![b'n'; 64 << 20];
    publish_base(
        &w,
        &ustar(&[
            ("././@LongLink", b'L', &name, ""),
            (&"n".repeat(100), b'0', b"x", ""),
        ]),
    );
    let err = refused(&mut w, "org.leovms.Error.UnsafeArchive").await;
    assert!(err.len() < 1000, "{} bytes of error", err.len());
    assert!(err.contains("larger than 64 KiB"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pax_header_claiming_3_gib_does_not_take_the_memory() {
    let mut w = World::new().await;
    let claimed: u64 = 3 << 30;
    let archive = w.data.join("vm-demo/base.tar.zst");
    let mut zstd = std::process::Command::new("zstd")
        .args(["-q", "-f", "-o"])
        .arg(&archive)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut input = zstd.stdin.take().unwrap();
        let header = ustar(&[("PaxHeaders/disk.vdi", b'x', b"", "")]);
        let mut header = header[..512].to_vec();
        // Size and checksum of a header that claims 3 GiB of extended attributes.
        header[124..136].copy_from_slice(format!("{claimed:011o}\0").as_bytes());
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|&b| b as u32).sum();
        header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        input.write_all(&header).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..(claimed >> 20) {
            input.write_all(&zeros).unwrap();
        }
        input
            .write_all(&ustar(&[("disk.vdi", b'0', b"disk", "")]))
            .unwrap();
    }
    assert!(zstd.wait().unwrap().success());
    assert!(std::fs::metadata(&archive).unwrap().len() < 1 << 20);
    republish(&w, "base.tar.zst", 4);
    refused(&mut w, "org.leovms.Error.UnsafeArchive").await;
    let peak = daemon_peak_memory(&w);
    assert!(peak < 300 << 20, "the daemon used {} MB", peak >> 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn thousands_of_folders_or_empty_files_are_refused_clearly() {
    let names: Vec<String> = (0..3000).map(|i| format!("d{i}/")).collect();
    let folders: Vec<Member<'_>> = names
        .iter()
        .map(|n| (n.as_str(), b'5', &b""[..], ""))
        .collect();
    let files: Vec<String> = (0..3000).map(|i| format!("empty-{i}")).collect();
    let empty: Vec<Member<'_>> = files
        .iter()
        .map(|n| (n.as_str(), b'0', &b""[..], ""))
        .collect();
    for (members, words) in [
        (folders, "more than 64 folders"),
        (empty, "more than 1000 files and folders"),
    ] {
        let mut w = World::new().await;
        publish_base(&w, &ustar(&members));
        start_with_1024_files(&mut w).await;
        let err = start_refused(&w, "standard", "org.leovms.Error.UnsafeArchive");
        assert!(err.contains(words), "{err}");
        assert!(!err.contains("Too many open files"), "{err}");
        let vm_dir = w.machines.join("vm-demo");
        assert!(World::all_files(&vm_dir).is_empty());
    }
}

/// A started and stopped `standard` working copy whose disk the student changed; returns
/// the working copy's files with their digests.
async fn used_working_copy(w: &mut World) -> Vec<(std::path::PathBuf, u64, String)> {
    w.start_daemon().await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    w.wait_machine_state("vm-demo", "off").await;
    let work = w.work_dir("vm-demo");
    let disk = World::final_files(&work.join("Snapshots"))
        .into_iter()
        .find(|p| p.extension().is_some_and(|x| x == "vdi"))
        .expect("the working copy has a disk");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&disk)
        .unwrap();
    std::io::Write::write_all(&mut f, b"the student's work").unwrap();
    tree_digest(&work)
}

/// Replaces vm-demo's snapshot `exam` with an archive of `entries`.
async fn publish_exam(w: &World, entries: &[(std::path::PathBuf, String)]) {
    let rel = "snapshots/exam/snapshot.tar.zst";
    let report = archive::pack(
        entries,
        &w.data.join("vm-demo").join(rel),
        Compression::Zstd,
    )
    .await
    .unwrap();
    republish(w, rel, report.unpacked);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_without_a_disk_leaves_the_working_copy_alone() {
    let mut w = World::new().await;
    let notes = w.tmp.path().join("notes.txt");
    std::fs::write(&notes, b"no disk here").unwrap();
    publish_exam(&w, &[(notes, "notes.txt".into())]).await;
    let before = used_working_copy(&mut w).await;
    let err = start_refused(&w, "exam", "org.leovms.Error.Integrity");
    assert!(err.contains("holds no disk"), "{err}");
    assert_eq!(tree_digest(&w.work_dir("vm-demo")), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disk_that_is_its_own_parent_leaves_the_working_copy_alone() {
    let mut w = World::new().await;
    let base = w.share.vm("vm-demo").base_uuid;
    let parent = VdiHeader {
        kind: VdiKind::Normal,
        disk_size: BASE_DISK_SIZE,
        block_size: 1 << 20,
        blocks: (BASE_DISK_SIZE >> 20) as u32,
        blocks_allocated: 0,
        uuid: base,
        uuid_modify: uuid::Uuid::new_v4(),
        parent: None,
        parent_modify: uuid::Uuid::nil(),
    };
    let uuid = uuid::Uuid::new_v4();
    let disk = w.tmp.path().join("own.vdi");
    vdi::create_diff(&disk, &parent, uuid).unwrap();
    vdi::set_parent(&disk, uuid).unwrap();
    publish_exam(
        &w,
        &[(disk, format!("Snapshots/{}.vdi", vdi::braced(&uuid)))],
    )
    .await;
    let before = used_working_copy(&mut w).await;
    let err = start_refused(&w, "exam", "org.leovms.Error.Integrity");
    assert!(err.contains("leads back to itself"), "{err}");
    assert!(err.contains(&uuid.to_string()), "{err}");
    assert_eq!(tree_digest(&w.work_dir("vm-demo")), before);
}
