//! Copies that succeed, resume, fail verification, stall, are canceled, or meet
//! links where the partial copy should be.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rustix::fs::{CWD, Mode};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::pipe::BLOCK;
use super::{CopyError, CopyReport, Expected, copy_verified};
use crate::dirfd::Dir;

const MIB: usize = 1 << 20;
const STALL: Duration = Duration::from_secs(30);

/// More than two blocks, with a ragged end.
fn content() -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..20 * MIB + 77)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn describe(bytes: &[u8]) -> Expected {
    Expected {
        size: bytes.len() as u64,
        sha256: Sha256::digest(bytes).into(),
        unpacked: 0,
    }
}

/// A share with the source and a cache directory to copy into.
struct Fixture {
    _dir: tempfile::TempDir,
    src: PathBuf,
    partial: PathBuf,
    dest: PathBuf,
    cache: PathBuf,
}

fn fixture(bytes: &[u8]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("share");
    let cache = dir.path().join("cache");
    fs::create_dir(&share).unwrap();
    fs::create_dir(&cache).unwrap();
    let src = share.join("base.tar.zst");
    fs::write(&src, bytes).unwrap();
    Fixture {
        src,
        partial: cache.join(PARTIAL),
        dest: cache.join(DEST),
        cache,
        _dir: dir,
    }
}

impl Fixture {
    async fn copy(&self, expected: &Expected) -> Result<CopyReport, CopyError> {
        self.copy_from(
            &self.src,
            expected,
            STALL,
            &|_| {},
            &CancellationToken::new(),
        )
        .await
    }

    async fn copy_from(
        &self,
        src: &Path,
        expected: &Expected,
        stall: Duration,
        progress: &(dyn Fn(u64) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<CopyReport, CopyError> {
        let dir = Dir::open(&self.cache).unwrap();
        copy_verified(
            src, expected, &dir, PARTIAL, DEST, 0o640, stall, progress, cancel,
        )
        .await
    }

    /// Copies from the share and returns what was reported, with every progress value.
    async fn copy_watching_progress(&self, expected: &Expected) -> (CopyReport, Vec<u64>) {
        let seen = Mutex::new(Vec::new());
        let progress = |n| seen.lock().unwrap().push(n);
        let cancel = CancellationToken::new();
        let report = self
            .copy_from(&self.src, expected, STALL, &progress, &cancel)
            .await
            .unwrap();
        (report, seen.into_inner().unwrap())
    }

    /// The names in the cache directory, sorted.
    fn cache_names(&self) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(&self.cache)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

const DEST: &str = "base.tar.zst";
const PARTIAL: &str = ".leovms-tmp.base.tar.zst.partial";

fn assert_integrity(result: Result<CopyReport, CopyError>, found: &str) {
    match result {
        Err(CopyError::Integrity { found: f, .. }) => assert!(f.starts_with(found), "{f}"),
        other => panic!("expected an integrity error, got {other:?}"),
    }
}

/// A FIFO in `dir`.
fn fifo(dir: &Path) -> PathBuf {
    let path = dir.join("stream.tar.zst");
    rustix::fs::mkfifoat(CWD, &path, Mode::from_raw_mode(0o600)).unwrap();
    path
}

/// Keeps `fifo` open for writing. Opened read-write, so this does not wait for a
/// reader (Linux), and reading it never ends while this stays open.
fn hold_open(fifo: &Path) -> File {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(fifo)
        .unwrap()
}

#[tokio::test]
async fn copies_and_sets_mode() {
    let bytes = content();
    let fx = fixture(&bytes);
    let (report, seen) = fx.copy_watching_progress(&describe(&bytes)).await;
    assert_eq!(
        report,
        CopyReport {
            bytes: bytes.len() as u64,
            resumed: 0
        }
    );
    assert!(fs::read(&fx.dest).unwrap() == bytes);
    let mode = fs::metadata(&fx.dest).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    assert_eq!(fx.cache_names(), [DEST]);
    assert!(seen.is_sorted() && seen.len() >= 3, "{seen:?}");
    assert_eq!(seen.last(), Some(&(bytes.len() as u64)));
}

#[tokio::test]
async fn resumes_from_a_partial_copy() {
    let bytes = content();
    let fx = fixture(&bytes);
    // An odd length: the rest starts at an unaligned offset.
    let prefix = 9 * MIB + 1000;
    fs::write(&fx.partial, &bytes[..prefix]).unwrap();
    let (report, seen) = fx.copy_watching_progress(&describe(&bytes)).await;
    assert_eq!(report.resumed, prefix as u64);
    assert_eq!(report.bytes, bytes.len() as u64);
    assert!(fs::read(&fx.dest).unwrap() == bytes);
    assert_eq!(fx.cache_names(), [DEST]);
    assert_eq!(seen.first(), Some(&(prefix as u64)));
}

#[tokio::test]
async fn a_partial_copy_longer_than_the_source_is_discarded() {
    let bytes = content();
    let fx = fixture(&bytes);
    let mut longer = bytes.clone();
    longer.push(0);
    fs::write(&fx.partial, &longer).unwrap();
    let report = fx.copy(&describe(&bytes)).await.unwrap();
    assert_eq!(report.resumed, 0);
    assert!(fs::read(&fx.dest).unwrap() == bytes);
}

#[tokio::test]
async fn a_wrong_prefix_fails_and_is_removed() {
    let bytes = content();
    let fx = fixture(&bytes);
    let mut prefix = bytes[..3 * MIB].to_vec();
    prefix[1234] ^= 1;
    fs::write(&fx.partial, &prefix).unwrap();
    assert_integrity(fx.copy(&describe(&bytes)).await, "sha256 ");
    assert!(fx.cache_names().is_empty());
}

#[tokio::test]
async fn a_damaged_source_leaves_nothing() {
    let bytes = content();
    let expected = describe(&bytes);
    let mut damaged = bytes;
    damaged[15 * MIB] ^= 0x40;
    let fx = fixture(&damaged);
    assert_integrity(fx.copy(&expected).await, "sha256 ");
    assert!(fx.cache_names().is_empty());
}

#[tokio::test]
async fn a_source_of_the_wrong_size_is_refused_before_writing() {
    let bytes = content();
    let fx = fixture(&bytes);
    let mut expected = describe(&bytes);
    expected.size += 1;
    assert_integrity(fx.copy(&expected).await, &format!("{} bytes", bytes.len()));
    assert!(fx.cache_names().is_empty());
    // An earlier partial copy may belong to the right source: it stays.
    fs::write(&fx.partial, b"prefix").unwrap();
    assert_integrity(fx.copy(&expected).await, &format!("{} bytes", bytes.len()));
    assert_eq!(fs::read(&fx.partial).unwrap(), b"prefix");
}

#[tokio::test]
async fn a_stream_longer_than_announced_fails() {
    let fx = fixture(b"");
    let src = fifo(fx.src.parent().unwrap());
    let bytes = content();
    let mut expected = describe(&bytes);
    expected.size = 10 * MIB as u64;
    let path = src.clone();
    let feeder = std::thread::spawn(move || {
        // Waits for the copy to open the other end.
        let mut writer = OpenOptions::new().write(true).open(path).unwrap();
        // Fails once the copy has given up: then the pipe has no reader left.
        let _ = writer.write_all(&bytes);
    });
    let cancel = CancellationToken::new();
    let result = fx.copy_from(&src, &expected, STALL, &|_| {}, &cancel).await;
    assert_integrity(result, "more than 10485760 bytes");
    assert!(fx.cache_names().is_empty());
    feeder.join().unwrap();
}

#[tokio::test]
async fn canceled_before_the_start() {
    let bytes = content();
    let fx = fixture(&bytes);
    let cancel = CancellationToken::new();
    cancel.cancel();
    let result = fx
        .copy_from(&fx.src, &describe(&bytes), STALL, &|_| {}, &cancel)
        .await;
    assert!(matches!(result, Err(CopyError::Canceled)), "{result:?}");
    assert!(fx.cache_names().is_empty());
}

#[tokio::test]
async fn a_canceled_copy_keeps_its_prefix_for_the_next_attempt() {
    let bytes = content();
    let fx = fixture(&bytes);
    let expected = describe(&bytes);
    // A stream that delivers exactly one block and then nothing: the copy cannot
    // end before it is canceled, and the feeder is done once the block is read.
    let stream = fifo(fx.src.parent().unwrap());
    let mut end = hold_open(&stream);
    let first = bytes[..BLOCK].to_vec();
    let feeder = std::thread::spawn(move || {
        end.write_all(&first).unwrap();
        end
    });
    let cancel = CancellationToken::new();
    let progress = |_| cancel.cancel();
    let result = fx
        .copy_from(&stream, &expected, STALL, &progress, &cancel)
        .await;
    assert!(matches!(result, Err(CopyError::Canceled)), "{result:?}");
    assert!(fs::read(&fx.partial).unwrap() == bytes[..BLOCK]);
    assert!(!fx.dest.exists());
    // Closing the stream lets the abandoned reader finish.
    drop(feeder.join().unwrap());

    let report = fx.copy(&expected).await.unwrap();
    assert_eq!(report.resumed, BLOCK as u64);
    assert!(fs::read(&fx.dest).unwrap() == bytes);
}

#[tokio::test]
async fn a_silent_source_stalls() {
    let fx = fixture(b"");
    let stream = fifo(fx.src.parent().unwrap());
    let end = hold_open(&stream);
    let bytes = content();
    let cancel = CancellationToken::new();
    let stall = Duration::from_millis(200);
    let result = fx
        .copy_from(&stream, &describe(&bytes), stall, &|_| {}, &cancel)
        .await;
    assert!(
        matches!(result, Err(CopyError::Stalled { secs: 1, .. })),
        "{result:?}"
    );
    // The (empty) partial copy stays for the next attempt.
    assert_eq!(fx.cache_names(), [PARTIAL]);
    drop(end);
}

#[tokio::test]
async fn a_source_that_cannot_be_opened_stalls() {
    let fx = fixture(b"");
    // Opening a FIFO for reading waits for a writer, like `open` on a dead mount.
    let stream = fifo(fx.src.parent().unwrap());
    let cancel = CancellationToken::new();
    let stall = Duration::from_millis(200);
    let result = fx
        .copy_from(&stream, &describe(b"x"), stall, &|_| {}, &cancel)
        .await;
    assert!(
        matches!(result, Err(CopyError::Stalled { .. })),
        "{result:?}"
    );
    assert!(fx.cache_names().is_empty());
    // Lets the abandoned reader finish.
    drop(OpenOptions::new().write(true).open(&stream).unwrap());
}

#[tokio::test]
async fn links_at_partial_and_dest_are_not_followed() {
    let bytes = content();
    let fx = fixture(&bytes);
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    fs::write(&victim, b"keep").unwrap();
    symlink(&victim, &fx.partial).unwrap();
    symlink(&victim, &fx.dest).unwrap();
    let report = fx.copy(&describe(&bytes)).await.unwrap();
    assert_eq!(report.resumed, 0);
    assert_eq!(fs::read(&victim).unwrap(), b"keep");
    assert!(fs::symlink_metadata(&fx.dest).unwrap().is_file());
    assert!(fs::read(&fx.dest).unwrap() == bytes);
    assert_eq!(fx.cache_names(), [DEST]);
}

#[tokio::test]
async fn a_partial_copy_with_a_second_name_is_not_written_into() {
    let bytes = content();
    let fx = fixture(&bytes);
    let victim = fx.cache.join("victim");
    fs::write(&victim, &bytes[..MIB]).unwrap();
    fs::hard_link(&victim, &fx.partial).unwrap();
    let report = fx.copy(&describe(&bytes)).await.unwrap();
    assert_eq!(report.resumed, 0);
    assert!(fs::read(&victim).unwrap() == bytes[..MIB]);
    assert!(fs::read(&fx.dest).unwrap() == bytes);
}

#[tokio::test]
async fn a_folder_swapped_for_a_link_after_it_was_opened_is_not_followed() {
    let bytes = content();
    let fx = fixture(&bytes);
    let dir = Dir::open(&fx.cache).unwrap();
    let outside = tempfile::tempdir().unwrap();
    let moved = fx.cache.with_extension("moved");
    fs::rename(&fx.cache, &moved).unwrap();
    symlink(outside.path(), &fx.cache).unwrap();
    let (stall, cancel) = (STALL, CancellationToken::new());
    let expected = describe(&bytes);
    copy_verified(
        &fx.src,
        &expected,
        &dir,
        PARTIAL,
        DEST,
        0o644,
        stall,
        &|_| {},
        &cancel,
    )
    .await
    .unwrap();
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    assert!(fs::read(moved.join(DEST)).unwrap() == bytes);
}
