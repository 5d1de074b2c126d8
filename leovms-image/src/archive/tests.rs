//! Round trips, integrity failures, cancellation and replacement of existing files.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use super::test_util::{RawTar, fixture, gzip, noise, zstd};
use super::{ArchiveError, Compression, pack, unpack};

const MIB: usize = 1 << 20;

/// A disk-like file: random, zero, text-like and zero again.
fn disk_image() -> Vec<u8> {
    let mut data = noise(MIB + 1000, 1);
    data.resize(data.len() + 6 * MIB, 0);
    data.extend(b"log line 42: all is well\n".repeat(MIB / 25));
    data.resize(data.len() + 3 * MIB + 17, 0);
    data
}

#[tokio::test]
async fn pack_then_unpack_round_trips_and_makes_holes() {
    let fx = fixture();
    let src = fx.root.join("src");
    std::fs::create_dir(&src).unwrap();
    let image = disk_image();
    std::fs::write(src.join("base.vdi"), &image).unwrap();
    std::fs::write(src.join("diff.vdi"), b"small").unwrap();
    let entries = vec![
        (src.join("base.vdi"), "base.vdi".to_owned()),
        (src.join("diff.vdi"), "Snapshots/{0b6c1e8a}.vdi".to_owned()),
    ];
    let archive = fx.root.join("base.tar.zst");
    let packed = pack(&entries, &archive, Compression::Zstd).await.unwrap();
    assert_eq!(packed.size, std::fs::metadata(&archive).unwrap().len());
    assert_eq!(packed.unpacked, image.len() as u64 + 5);

    let expected = super::Expected {
        size: packed.size,
        sha256: packed.sha256,
        unpacked: packed.unpacked,
    };
    let seen = Mutex::new(Vec::new());
    let progress = |n| seen.lock().unwrap().push(n);
    let report = unpack(
        &archive,
        &expected,
        &fx.target,
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        report.files,
        [
            PathBuf::from("base.vdi"),
            PathBuf::from("Snapshots/{0b6c1e8a}.vdi")
        ]
    );
    assert_eq!(report.unpacked_bytes, packed.unpacked);
    let base = fx.target.join("base.vdi");
    assert!(std::fs::read(&base).unwrap() == image);
    assert_eq!(
        std::fs::read(fx.target.join("Snapshots/{0b6c1e8a}.vdi")).unwrap(),
        b"small"
    );
    let meta = std::fs::metadata(&base).unwrap();
    assert!(
        meta.blocks() * 512 <= (image.len() - 8 * MIB) as u64,
        "zero regions must be holes: {} bytes allocated",
        meta.blocks() * 512
    );
    assert_eq!(meta.permissions().mode() & 0o777, 0o644);
    let dir_mode = std::fs::metadata(fx.target.join("Snapshots"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o755);
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.last(), Some(&packed.size));
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    fx.assert_clean();
}

#[tokio::test]
async fn gzip_archives_work() {
    let fx = fixture();
    let src = fx.root.join("disk.vdi");
    std::fs::write(&src, b"gzip content").unwrap();
    let archive = fx.root.join("base.tar.gz");
    let packed = pack(&[(src, "disk.vdi".into())], &archive, Compression::Gzip)
        .await
        .unwrap();
    let bytes = std::fs::read(&archive).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
    let (archive, expected) = fx.archive("again.tar.gz", &bytes, packed.unpacked);
    fx.unpack(&archive, &expected).await.unwrap();
    assert_eq!(
        std::fs::read(fx.target.join("disk.vdi")).unwrap(),
        b"gzip content"
    );

    // A hand-made gzip stream as other tools write it.
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.file("a.vdi", b"from gzip").await;
    let gz = gzip(&tar.finish().await).await;
    let (archive, expected) = fx.archive("other.tar.gz", &gz, 9);
    fx.unpack(&archive, &expected).await.unwrap();
    assert_eq!(
        std::fs::read(fx.target.join("a.vdi")).unwrap(),
        b"from gzip"
    );
    fx.assert_clean();
}

async fn simple_archive() -> Vec<u8> {
    let mut tar = RawTar::new();
    tar.file("disk.vdi", &noise(300_000, 7)).await;
    zstd(&tar.finish().await).await
}

#[tokio::test]
async fn bit_flip_is_an_integrity_error() {
    let fx = fixture();
    let good = simple_archive().await;
    let (_, expected) = fx.archive("good.tar.zst", &good, 300_000);
    for at in [20, good.len() / 2, good.len() - 3] {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        let archive = fx.root.join("bad.tar.zst");
        std::fs::write(&archive, &bad).unwrap();
        let err = fx.unpack(&archive, &expected).await.unwrap_err();
        assert!(matches!(err, ArchiveError::Integrity { .. }), "{at}: {err}");
        assert_eq!(err.kind_id(), "Integrity");
        assert!(fx.target_names().is_empty());
        fx.assert_clean();
    }
}

#[tokio::test]
async fn wrong_sha256_or_size_leaves_nothing() {
    let fx = fixture();
    let bytes = simple_archive().await;
    let (archive, mut expected) = fx.archive("a.tar.zst", &bytes, 300_000);
    expected.sha256[0] ^= 1;
    let err = fx.unpack(&archive, &expected).await.unwrap_err();
    assert!(matches!(err, ArchiveError::Integrity { .. }), "{err}");
    assert!(err.to_string().contains("damaged or incomplete"), "{err}");
    assert!(fx.target_names().is_empty());
    fx.assert_clean();

    let (archive, mut expected) = fx.archive("b.tar.zst", &bytes, 300_000);
    expected.size -= 1;
    let err = fx.unpack(&archive, &expected).await.unwrap_err();
    assert!(matches!(err, ArchiveError::Integrity { .. }), "{err}");
    assert!(fx.target_names().is_empty());
    fx.assert_clean();
}

#[tokio::test]
async fn truncated_archives_are_refused() {
    let fx = fixture();
    let bytes = simple_archive().await;
    let (archive, expected) = fx.archive("a.tar.zst", &bytes, 300_000);
    std::fs::write(&archive, &bytes[..bytes.len() / 2]).unwrap();
    let err = fx.unpack(&archive, &expected).await.unwrap_err();
    assert!(matches!(err, ArchiveError::Truncated { .. }), "{err}");
    fx.assert_clean();

    // Even when the manifest describes the cut file, the content is incomplete.
    let (archive, expected) = fx.archive("b.tar.zst", &bytes[..bytes.len() / 2], 300_000);
    let err = fx.unpack(&archive, &expected).await.unwrap_err();
    assert!(matches!(err, ArchiveError::Truncated { .. }), "{err}");
    assert_eq!(err.kind_id(), "Integrity");
    assert!(fx.target_names().is_empty());
    fx.assert_clean();
}

#[tokio::test]
async fn more_data_than_announced_is_refused() {
    let fx = fixture();
    let bytes = simple_archive().await;
    let (archive, expected) = fx.archive("a.tar.zst", &bytes, 299_999);
    let err = fx.unpack(&archive, &expected).await.unwrap_err();
    assert!(matches!(err, ArchiveError::TooLarge { .. }), "{err}");
    assert_eq!(err.kind_id(), "UnsafeArchive");
    assert!(fx.target_names().is_empty());
    fx.assert_clean();
}

#[tokio::test]
async fn cancel_midway_leaves_nothing() {
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.file("big.vdi", &noise(48 * MIB, 3)).await;
    let bytes = zstd(&tar.finish().await).await;
    let (archive, expected) = fx.archive("a.tar.zst", &bytes, 48 * MIB as u64);
    let cancel = CancellationToken::new();
    let progress = |n| {
        if n >= 2 * MIB as u64 {
            cancel.cancel();
        }
    };
    let err = unpack(&archive, &expected, &fx.target, &progress, &cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, ArchiveError::Canceled), "{err}");
    assert_eq!(err.kind_id(), "Canceled");
    assert!(fx.target_names().is_empty());
    fx.assert_clean();

    // Canceled before it started.
    let err = unpack(&archive, &expected, &fx.target, &|_| {}, &cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, ArchiveError::Canceled), "{err}");
    fx.assert_clean();
}

#[tokio::test]
async fn existing_file_is_replaced_only_on_success() {
    let fx = fixture();
    let old = fx.target.join("disk.vdi");
    std::fs::write(&old, b"old working copy").unwrap();
    let bytes = simple_archive().await;

    let (archive, mut wrong) = fx.archive("a.tar.zst", &bytes, 300_000);
    wrong.sha256[5] ^= 0xff;
    fx.unpack(&archive, &wrong).await.unwrap_err();
    assert_eq!(std::fs::read(&old).unwrap(), b"old working copy");
    fx.assert_clean();

    let (archive, expected) = fx.archive("a.tar.zst", &bytes, 300_000);
    fx.unpack(&archive, &expected).await.unwrap();
    assert_eq!(std::fs::read(&old).unwrap(), noise(300_000, 7));
    fx.assert_clean();
}

#[tokio::test]
async fn created_directories_are_removed_on_failure() {
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.file("Snapshots/deep/x.vdi", b"data").await;
    let bytes = zstd(&tar.finish().await).await;
    let (archive, mut expected) = fx.archive("a.tar.zst", &bytes, 4);
    expected.sha256[0] ^= 1;
    fx.unpack(&archive, &expected).await.unwrap_err();
    assert!(fx.target_names().is_empty());

    // A missing target is created, and removed again on failure.
    std::fs::remove_dir(&fx.target).unwrap();
    fx.unpack(&archive, &expected).await.unwrap_err();
    assert!(!fx.target.exists());
    let (archive, expected) = fx.archive("b.tar.zst", &bytes, 4);
    fx.unpack(&archive, &expected).await.unwrap();
    assert_eq!(
        std::fs::read(fx.target.join("Snapshots/deep/x.vdi")).unwrap(),
        b"data"
    );
    fx.assert_clean();
}

#[tokio::test]
async fn not_an_archive_is_reported() {
    let fx = fixture();
    let (archive, expected) = fx.archive("a.tar.zst", b"this is plain text, not zstd", 10);
    let err = fx.unpack(&archive, &expected).await.unwrap_err();
    assert!(matches!(err, ArchiveError::Corrupt(_)), "{err}");
    fx.assert_clean();
}

#[tokio::test]
async fn pack_refuses_unsafe_names_and_keeps_no_temporary() {
    let fx = fixture();
    let src = fx.root.join("f");
    std::fs::write(&src, b"x").unwrap();
    let out = fx.root.join("out.tar.zst");
    for name in ["../f", "/f", ".f", "a//b"] {
        let err = pack(&[(src.clone(), name.into())], &out, Compression::Zstd)
            .await
            .unwrap_err();
        assert!(matches!(err, ArchiveError::Unsafe { .. }), "{name}: {err}");
    }
    let missing = fx.root.join("missing");
    pack(&[(missing, "m".into())], &out, Compression::Zstd)
        .await
        .unwrap_err();
    assert!(!out.exists());
    fx.assert_clean();
}
