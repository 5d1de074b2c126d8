//! Mount table parsing and the rules of a check, without a network share.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::table::{MountEntry, covering_mount, is_network_fstype, mounts, parse_mountinfo};
use super::*;

const SAMPLE: &[u8] = b"\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:35 / /media/leovms/data rw,relatime shared:20 - cifs //server/leovms-data rw,vers=3.1.1
41 22 0:36 / /media/my\\040share rw,nosuid master:3 - fuse.smbnetfs smbnetfs rw,user_id=0
42 22 0:37 / /tmp/tab\\011and\\134back rw - tmpfs tmp\\040fs rw
43 40 0:38 / /media/leovms/data/over rw - tmpfs none rw
44 22 0:39 / /media/leovms/data rw - nfs4 server:/export rw
broken line without separator
";

fn entry(point: &str) -> MountEntry {
    MountEntry {
        mount_point: PathBuf::from(point),
        fstype: "x".into(),
        source: "y".into(),
    }
}

#[test]
fn parses_mountinfo_with_escapes_and_subtypes() {
    let entries = parse_mountinfo(SAMPLE);
    assert_eq!(entries.len(), 6, "{entries:?}");
    assert_eq!(entries[1].fstype, "cifs");
    assert_eq!(entries[1].source, "//server/leovms-data");
    assert_eq!(entries[2].mount_point, Path::new("/media/my share"));
    assert_eq!(entries[2].fstype, "fuse.smbnetfs");
    assert_eq!(entries[3].mount_point, Path::new("/tmp/tab\tand\\back"));
    assert_eq!(entries[3].source, "tmp fs");
}

#[test]
fn optional_fields_do_not_shift_the_fstype() {
    let line = b"50 22 0:40 / /mnt rw shared:5 master:2 propagate_from:1 - nfs srv:/x rw\n";
    let entries = parse_mountinfo(line);
    assert_eq!(entries[0].fstype, "nfs");
    assert_eq!(entries[0].source, "srv:/x");
}

#[test]
fn covering_mount_takes_the_longest_prefix_and_the_last_overmount() {
    let entries = parse_mountinfo(SAMPLE);
    let at = |p: &str| covering_mount(&entries, Path::new(p)).map(|e| e.fstype.as_str());
    assert_eq!(
        at("/media/leovms/data"),
        Some("nfs4"),
        "the later mount is on top"
    );
    assert_eq!(at("/media/leovms/data/vm/a.tar.zst"), Some("nfs4"));
    assert_eq!(at("/media/leovms/data/over/x"), Some("tmpfs"));
    assert_eq!(
        at("/media/leovms/database"),
        Some("ext4"),
        "whole components only"
    );
    assert_eq!(at("/media/my share/127.0.0.1"), Some("fuse.smbnetfs"));
    assert_eq!(covering_mount(&[entry("/a")], Path::new("/b")), None);
}

#[test]
fn network_types_are_known() {
    for t in ["cifs", "smb3", "nfs4", "fuse.smbnetfs", "fuse.sshfs"] {
        assert!(is_network_fstype(t), "{t}");
    }
    for t in ["ext4", "tmpfs", "fuse", "overlay"] {
        assert!(!is_network_fstype(t), "{t}");
    }
}

#[test]
fn the_real_mount_table_has_a_root() {
    let entries = mounts().expect("read /proc/self/mountinfo");
    assert!(covering_mount(&entries, Path::new("/")).is_some());
}

#[test]
fn states_have_their_bus_names() {
    use ShareState::*;
    let names: Vec<_> = [Online, NotMounted, NotAnswering, Unreadable]
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        names,
        ["online", "not-mounted", "not-answering", "unreadable"]
    );
}

fn prober(path: &Path) -> Prober {
    Prober::new(path.to_owned(), Duration::from_secs(5))
}

#[tokio::test]
async fn a_missing_folder_is_not_mounted() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("data");
    let status = prober(&path).check().await;
    assert_eq!(status.state, ShareState::NotMounted, "{status:?}");
    let expected = format!(
        "The VM share is not connected (nothing is mounted at {}).",
        path.display()
    );
    assert_eq!(status.reason, expected);
    assert_eq!(
        status.hint,
        "Log out and in again, or ask the school's admin."
    );
    assert_eq!((status.fstype.as_str(), status.source.as_str()), ("", ""));
}

#[tokio::test]
async fn an_empty_folder_is_not_mounted() {
    let tmp = tempfile::tempdir().unwrap();
    let status = prober(tmp.path()).check().await;
    assert_eq!(status.state, ShareState::NotMounted, "{status:?}");
}

#[tokio::test]
async fn a_local_folder_with_content_is_online_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("leovms.conf"), "").unwrap();
    let status = prober(tmp.path()).check().await;
    assert_eq!(status.state, ShareState::Online, "{status:?}");
    assert!(status.reason.contains("local folder"), "{}", status.reason);
    assert!(status.hint.is_empty());
}

#[tokio::test]
async fn a_file_is_unreadable() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("data");
    std::fs::write(&file, "").unwrap();
    let status = prober(&file).check().await;
    assert_eq!(status.state, ShareState::Unreadable, "{status:?}");
}

#[test]
fn errors_on_a_mounted_share_mean_not_answering() {
    let cifs = Place {
        mount_point: true,
        network: true,
        fstype: "cifs".into(),
        source: "//server/leovms-data".into(),
    };
    let below_smbnetfs = Place {
        mount_point: false,
        ..cifs.clone()
    };
    let local = Place::default();
    let path = Path::new("/media/leovms/data");
    let state = |place: &Place, outcome: Outcome| classify("VM share", path, place, &outcome).state;
    let eio = || Outcome::Failed("Input/output error (os error 5)".into());
    assert_eq!(state(&cifs, eio()), ShareState::NotAnswering);
    assert_eq!(
        state(&below_smbnetfs, Outcome::Missing),
        ShareState::NotAnswering
    );
    assert_eq!(state(&local, eio()), ShareState::Unreadable);
    assert_eq!(state(&cifs, Outcome::Denied), ShareState::Unreadable);
    let empty = Outcome::Readable { has_entries: false };
    assert_eq!(state(&cifs, empty.clone()), ShareState::Online);
    assert_eq!(state(&local, empty), ShareState::NotMounted);
    let found = classify("VM share", path, &cifs, &eio());
    assert!(
        found
            .reason
            .starts_with("The VM share does not answer (server or network down).")
    );
    assert!(!found.hint.text().is_empty());
    let d = &found.detail;
    assert_eq!(
        (d["id"].as_str(), d["share"].as_str(), d["hint"].as_str()),
        ("share-not-answering", "data", "network")
    );
    assert_eq!(d["fstype"], cifs.fstype);
    let denied = classify("upload share", path, &cifs, &Outcome::Denied);
    assert_eq!(
        (
            denied.detail["share"].as_str(),
            denied.detail["hint"].as_str()
        ),
        ("upload", "upload-access")
    );
}

static SLOW_PROBES: AtomicUsize = AtomicUsize::new(0);
static RELEASE: AtomicBool = AtomicBool::new(false);

/// Stands in for a read stuck on a dead server until the test releases it.
fn stuck_probe(_: &Path) -> Outcome {
    SLOW_PROBES.fetch_add(1, Ordering::SeqCst);
    while !RELEASE.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
    Outcome::Readable { has_entries: true }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_probe_is_not_repeated_and_the_caller_never_waits_longer() {
    // A real mount point, so the stuck-probe rules apply (the probe itself is a stand-in).
    let timeout = Duration::from_millis(300);
    let prober = Prober::with_probe(PathBuf::from("/proc"), timeout, stuck_probe);
    // Bounds against a hang, generous for a busy machine.
    let bound = timeout + Duration::from_secs(2);

    // Two checks at once share the one probe.
    let started = Instant::now();
    let (a, b) = tokio::join!(prober.check(), prober.check());
    assert!(started.elapsed() < bound, "took {:?}", started.elapsed());
    assert_eq!(a.state, ShareState::NotAnswering, "{a:?}");
    assert_eq!(b.state, ShareState::NotAnswering, "{b:?}");
    assert_eq!(SLOW_PROBES.load(Ordering::SeqCst), 1);

    // While it is stuck, a check answers without waiting and starts nothing.
    let started = Instant::now();
    let c = prober.check().await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(c.state, ShareState::NotAnswering, "{c:?}");
    assert!(c.reason.contains("earlier check"), "{}", c.reason);
    assert_eq!(SLOW_PROBES.load(Ordering::SeqCst), 1);

    // Once it came back, the next checks probe again and find the share.
    RELEASE.store(true, Ordering::SeqCst);
    tokio::time::timeout(Duration::from_secs(10), async {
        while prober.check().await.state != ShareState::Online {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("online once the probe returns");
    assert!(SLOW_PROBES.load(Ordering::SeqCst) >= 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_folder_is_probed_afresh_even_while_an_old_probe_is_stuck() {
    let tmp = tempfile::tempdir().unwrap();
    let prober = Prober::with_probe(tmp.path().to_owned(), Duration::from_millis(300), |p| {
        super::classify::probe_path(p)
    });
    assert_eq!(prober.check().await.state, ShareState::NotMounted);
    std::fs::write(tmp.path().join("leovms-vbox.conf"), "").unwrap();
    assert_eq!(prober.check().await.state, ShareState::Online);
}
