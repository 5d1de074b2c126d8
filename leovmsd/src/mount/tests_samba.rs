//! Checks against a real smbd on 127.0.0.1 mounted with smbnetfs: online, the server
//! killed, the server hanging, unmounted, and the mount table's notifications.
//! Needs root and Samba (see `leovms_testkit::samba_available`); tests queue for smbd.

use std::path::Path;
use std::time::{Duration, Instant};

use leovms_testkit::{STUDENT, Samba, SmbMount, samba_available};

use super::table::mounts;
use super::*;

const TIMEOUT: Duration = Duration::from_secs(2);
/// An upper bound for "returns within the timeout", generous for busy machines.
const BOUND: Duration = Duration::from_secs(7);

/// smbd with one file in `leovms-data`, mounted as a student. Blocking work, done off
/// the runtime's workers.
async fn share() -> (Samba, SmbMount) {
    tokio::task::spawn_blocking(|| {
        let samba = Samba::start().expect("start smbd");
        std::fs::write(samba.data_dir().join("leovms.conf"), "").unwrap();
        let mount = SmbMount::mount(&samba, STUDENT).expect("mount with smbnetfs");
        (samba, mount)
    })
    .await
    .unwrap()
}

async fn timed(prober: &Prober) -> (ShareStatus, Duration) {
    let started = Instant::now();
    let status = prober.check().await;
    (status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread")]
async fn online_then_server_killed_then_unmounted() {
    if !samba_available() {
        return;
    }
    let (mut samba, mut mount) = share().await;
    let prober = Prober::new(mount.share_path("leovms-data"), TIMEOUT);

    let (status, _) = timed(&prober).await;
    assert_eq!(status.state, ShareState::Online, "{status:?}");
    assert_eq!(status.fstype, "fuse.smbnetfs");
    assert!(status.hint.is_empty());

    samba.stop().expect("kill smbd");
    let (status, took) = timed(&prober).await;
    eprintln!("server killed: {status:?} after {took:?}");
    assert_ne!(status.state, ShareState::Online, "{status:?}");
    assert_ne!(status.state, ShareState::NotMounted, "{status:?}");
    assert!(!status.hint.is_empty());
    assert!(took < BOUND, "took {took:?}");

    mount.unmount().expect("fusermount -u");
    // An earlier probe may still be out: wait (bounded) until it is back.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let (status, took) = timed(&prober).await;
        assert!(took < BOUND, "took {took:?}");
        if status.state == ShareState::NotMounted || Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status.state, ShareState::NotMounted, "{status:?}");
    assert!(
        status.reason.contains("nothing is mounted"),
        "{}",
        status.reason
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_server_is_not_answering_and_never_blocks_the_caller() {
    if !samba_available() {
        return;
    }
    let (samba, mut mount) = share().await;
    let prober = Prober::new(mount.share_path("leovms-data"), TIMEOUT);
    assert_eq!(prober.check().await.state, ShareState::Online);

    samba.pause().expect("SIGSTOP smbd");
    let (first, took) = timed(&prober).await;
    eprintln!("server paused: {first:?} after {took:?}");
    assert_eq!(first.state, ShareState::NotAnswering, "{first:?}");
    assert!(
        took >= TIMEOUT,
        "a read of a paused server came back: {took:?}"
    );
    assert!(took < BOUND, "took {took:?}");
    assert_eq!(first.fstype, "fuse.smbnetfs");

    // The first probe is still stuck: answered at once, from that fact.
    let (second, took) = timed(&prober).await;
    eprintln!("second check: {second:?} after {took:?}");
    assert_eq!(second.state, ShareState::NotAnswering, "{second:?}");
    assert!(took < Duration::from_secs(1), "took {took:?}");

    // Back on: the stuck read returns and a later check sees the share again.
    samba.resume().expect("SIGCONT smbd");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        let status = prober.check().await;
        if status.state == ShareState::Online || Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(status.state, ShareState::Online, "{status:?}");
    mount.unmount().expect("fusermount -u");
}

/// Waits (bounded) for change notifications until `done` holds for the mount table.
async fn until_table(
    rx: &mut tokio::sync::mpsc::Receiver<()>,
    done: impl Fn(bool) -> bool,
    mnt: &Path,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listed = mounts()
            .unwrap()
            .iter()
            .any(|m| m.mount_point == mnt && m.fstype == "fuse.smbnetfs");
        if done(listed) {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let event = tokio::time::timeout(left, rx.recv()).await;
        assert!(
            matches!(event, Ok(Some(()))),
            "no mount table change within 10 s"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mount_table_changes_are_announced() {
    if !samba_available() {
        return;
    }
    let samba = tokio::task::spawn_blocking(|| Samba::start().expect("start smbd"))
        .await
        .unwrap();
    let mut rx = watch_mount_table().expect("watch the mount table");

    let mut mount = SmbMount::mount(&samba, STUDENT).expect("mount with smbnetfs");
    let mnt = mount.path().to_owned();
    let event = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await;
    assert!(matches!(event, Ok(Some(()))), "no event for the new mount");
    until_table(&mut rx, |listed| listed, &mnt).await;

    while rx.try_recv().is_ok() {} // so the next event is the unmount's
    mount.unmount().expect("fusermount -u");
    let event = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await;
    assert!(matches!(event, Ok(Some(()))), "no event for the unmount");
    until_table(&mut rx, |listed| !listed, &mnt).await;
}
