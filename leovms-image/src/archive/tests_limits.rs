//! Archives that aim at the PC's memory or open files, and `scan`, which must judge
//! every archive exactly as the unpacker does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio_tar::EntryType;

use super::test_util::{Fixture, RawTar, fixture, noise, zstd};
use super::{ArchiveError, Compression, HEAD_MAX, pack, scan};

/// Unpacks the (correctly described) tar stream, expects a refusal that leaves nothing
/// behind, and checks that `scan` refuses it with the very same words.
async fn refused(fx: &Fixture, tar: RawTar, unpacked: u64) -> ArchiveError {
    let bytes = zstd(&tar.finish().await).await;
    let (archive, expected) = fx.archive("evil.tar.zst", &bytes, unpacked);
    let err = fx.unpack(&archive, &expected).await.unwrap_err();
    assert_eq!(err.kind_id(), "UnsafeArchive", "{err}");
    assert!(fx.target_names().is_empty());
    fx.assert_clean();
    let scanned = scan(&archive, 0, &mut |_| {}).await.unwrap_err();
    assert_eq!(scanned.to_string(), err.to_string());
    err
}

#[tokio::test]
async fn long_names_are_shown_short_and_escaped() {
    let fx = fixture();
    let mut tar = RawTar::new();
    let name = format!("../{}", "x".repeat(60_000));
    tar.long_name_file(&name, b"evil").await;
    let err = refused(&fx, tar, 4).await;
    let ArchiveError::Unsafe { entry, .. } = &err else {
        panic!("{err}");
    };
    assert!(
        entry.starts_with("../xxx") && entry.ends_with('…'),
        "{entry}"
    );
    assert!(entry.chars().count() <= crate::text::SHOWN_MAX + 1);
    assert!(err.to_string().len() < 200, "{err}");

    let mut tar = RawTar::new();
    let name = format!("\x1b[2J{}", "y".repeat(300));
    tar.long_name_file(&name, b"evil").await;
    let err = refused(&fx, tar, 4).await;
    assert!(err.to_string().contains("\\u{1b}[2Jyyy"), "{err}");
    assert!(!err.to_string().contains('\x1b'));
}

#[tokio::test]
async fn a_huge_long_name_is_refused_before_it_is_read() {
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.long_name_file(&"n".repeat(1 << 20), b"x").await;
    let err = refused(&fx, tar, 1).await;
    assert!(matches!(err, ArchiveError::Limit(_)), "{err}");
    assert!(err.to_string().contains("larger than 64 KiB"), "{err}");
}

#[tokio::test]
async fn a_huge_pax_header_is_refused_before_it_is_read() {
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.huge_pax_file(8 << 20, b"x").await;
    let err = refused(&fx, tar, 1).await;
    assert!(matches!(err, ArchiveError::Limit(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "the archive holds a header (or other data outside its files) larger than 64 KiB, \
         which is not allowed"
    );
}

#[tokio::test]
async fn too_many_entries_or_folders_are_refused() {
    let fx = fixture();
    let mut tar = RawTar::new();
    for i in 0..3000 {
        tar.file(&format!("empty-{i}"), b"").await;
    }
    let err = refused(&fx, tar, 0).await;
    assert!(
        err.to_string()
            .contains("holds more than 1000 files and folders"),
        "{err}"
    );

    let mut tar = RawTar::new();
    for i in 0..3000 {
        tar.entry(
            format!("dir-{i}/").as_bytes(),
            EntryType::Directory,
            b"",
            b"",
        )
        .await;
    }
    let err = refused(&fx, tar, 0).await;
    assert!(err.to_string().contains("more than 64 folders"), "{err}");
}

fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

#[tokio::test]
async fn files_are_closed_as_soon_as_they_are_written() {
    let fx = fixture();
    let mut tar = RawTar::new();
    for i in 0..600 {
        tar.file(&format!("d{}/f{i}", i % 50), b"").await;
    }
    let bytes = zstd(&tar.finish().await).await;
    let (archive, expected) = fx.archive("many.tar.zst", &bytes, 0);
    let baseline = open_files();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(open_files());
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            peak
        })
    };
    let report = fx.unpack(&archive, &expected).await;
    done.store(true, Ordering::Relaxed);
    let peak = watcher.join().unwrap();
    assert_eq!(report.unwrap().files.len(), 600);
    // 50 folders and a few files in flight; other tests run meanwhile.
    assert!(
        peak.saturating_sub(baseline) < 250,
        "{peak} open files at once (before: {baseline})"
    );
    fx.assert_clean();
}

#[tokio::test]
async fn scan_sees_what_unpack_writes() {
    let fx = fixture();
    let src = fx.root.join("src");
    std::fs::create_dir(&src).unwrap();
    let big = noise(3 * HEAD_MAX, 9);
    std::fs::write(src.join("a"), &big).unwrap();
    std::fs::write(src.join("b"), b"tiny").unwrap();
    let entries = vec![
        (src.join("a"), "base.vdi".to_owned()),
        (src.join("b"), "Snapshots/{1}.vdi".to_owned()),
    ];
    let archive = fx.root.join("a.tar.zst");
    let packed = pack(&entries, &archive, Compression::Zstd).await.unwrap();
    let mut seen = 0;
    let report = scan(&archive, 100, &mut |n| seen = n).await.unwrap();
    assert_eq!(seen, packed.size);
    assert_eq!(report.unpacked, packed.unpacked);
    let files: Vec<_> = report
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.size, f.head.clone()))
        .collect();
    assert_eq!(
        files,
        [
            ("base.vdi", big.len() as u64, big[..100].to_vec()),
            ("Snapshots/{1}.vdi", 4, b"tiny".to_vec()),
        ]
    );
    // At most HEAD_MAX bytes of each file.
    let report = scan(&archive, usize::MAX, &mut |_| {}).await.unwrap();
    assert_eq!(report.files[0].head.len(), HEAD_MAX);

    // A name every other tool would accept, refused alike by both.
    let mut tar = RawTar::new();
    tar.file("./Snapshots/x.vdi", b"disk").await;
    let err = refused(&fx, tar, 4).await;
    assert!(err.to_string().contains("./Snapshots/x.vdi"), "{err}");

    // Damage is told apart from refusal.
    let bytes = std::fs::read(&archive).unwrap();
    let cut = fx.root.join("cut.tar.zst");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = scan(&cut, 0, &mut |_| {}).await.unwrap_err();
    assert_eq!(err.kind_id(), "Integrity", "{err}");
}

#[tokio::test]
async fn the_padding_other_tools_write_is_accepted() {
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.file("disk.vdi", b"data").await;
    let mut bytes = tar.finish().await;
    // GNU tar fills its last 10 KiB record with zeros.
    bytes.resize(bytes.len().next_multiple_of(10240) + 10240, 0);
    let bytes = zstd(&bytes).await;
    let (archive, expected) = fx.archive("padded.tar.zst", &bytes, 4);
    fx.unpack(&archive, &expected).await.unwrap();
    scan(&archive, 0, &mut |_| {}).await.unwrap();
}
