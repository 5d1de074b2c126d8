//! Malicious archives: every one must be refused with nothing written outside the
//! target (nor inside it) and no temporary left behind.

use std::os::unix::fs::symlink;

use tokio_tar::EntryType;

use super::ArchiveError;
use super::test_util::{Fixture, RawTar, fixture, zstd};

/// Unpacks the (correctly described) tar stream and expects an `Unsafe` refusal
/// naming `reason_part`.
async fn refused(fx: &Fixture, tar: RawTar, unpacked: u64, reason_part: &str) {
    let bytes = zstd(&tar.finish().await).await;
    let (archive, expected) = fx.archive("evil.tar.zst", &bytes, unpacked);
    let err = fx.unpack(&archive, &expected).await.unwrap_err();
    assert!(matches!(err, ArchiveError::Unsafe { .. }), "{err}");
    assert_eq!(err.kind_id(), "UnsafeArchive");
    assert!(err.to_string().contains(reason_part), "{err}");
    fx.assert_clean();
}

#[tokio::test]
async fn parent_traversal() {
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.file("ok.vdi", b"fine").await;
    tar.file("../sentinel/evil", b"evil").await;
    refused(&fx, tar, 8, "outside its folder").await;
    // The good entry before it must not appear either.
    assert!(fx.target_names().is_empty());

    let mut tar = RawTar::new();
    tar.file("a/../../sentinel/evil", b"evil").await;
    refused(&fx, tar, 4, "outside its folder").await;
}

#[tokio::test]
async fn absolute_path() {
    let fx = fixture();
    let evil = fx.sentinel.join("evil");
    let mut tar = RawTar::new();
    tar.file(evil.to_str().unwrap(), b"evil").await;
    refused(&fx, tar, 4, "outside its folder").await;
}

#[tokio::test]
async fn symlink_entry_and_file_through_it() {
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.entry(b"link", EntryType::Symlink, b"", b"../sentinel")
        .await;
    tar.file("link/evil", b"evil").await;
    refused(&fx, tar, 4, "symbolic link").await;
    assert!(fx.target_names().is_empty());
}

#[tokio::test]
async fn existing_symlink_directory_in_target() {
    let fx = fixture();
    symlink(&fx.sentinel, fx.target.join("Snapshots")).unwrap();
    let mut tar = RawTar::new();
    tar.file("Snapshots/evil.vdi", b"evil").await;
    refused(&fx, tar, 4, "passes through a symbolic link").await;

    // A directory entry through it is refused just the same.
    let mut tar = RawTar::new();
    tar.entry(b"Snapshots/", EntryType::Directory, b"", b"")
        .await;
    refused(&fx, tar, 0, "passes through a symbolic link").await;
}

#[tokio::test]
async fn existing_symlink_as_final_name() {
    let fx = fixture();
    let victim = fx.root.join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    symlink(&victim, fx.target.join("disk.vdi")).unwrap();
    let mut tar = RawTar::new();
    tar.file("disk.vdi", b"evil").await;
    refused(&fx, tar, 4, "symbolic link").await;
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(
        fx.target
            .join("disk.vdi")
            .symlink_metadata()
            .unwrap()
            .is_symlink()
    );
}

#[tokio::test]
async fn hard_link() {
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.entry(b"hard", EntryType::Link, b"", b"../sentinel/x")
        .await;
    refused(&fx, tar, 0, "hard link").await;
}

#[tokio::test]
async fn devices_and_fifos() {
    for kind in [EntryType::Char, EntryType::Block, EntryType::Fifo] {
        let fx = fixture();
        let mut tar = RawTar::new();
        tar.entry(b"dev", kind, b"", b"").await;
        refused(&fx, tar, 0, "special file").await;
    }
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.entry(b"odd", EntryType::new(b'Z'), b"", b"").await;
    refused(&fx, tar, 0, "neither a file nor a folder").await;
}

#[tokio::test]
async fn gnu_long_name_escaping() {
    let fx = fixture();
    let name = format!("{}/../../../sentinel/evil", "d".repeat(120));
    let mut tar = RawTar::new();
    tar.long_name_file(&name, b"evil").await;
    refused(&fx, tar, 4, "outside its folder").await;

    // A harmless long name is fine.
    let fx = fixture();
    let name = format!("Snapshots/{}/{}.vdi", "d".repeat(120), "n".repeat(120));
    let mut tar = RawTar::new();
    tar.long_name_file(&name, b"ok").await;
    let bytes = zstd(&tar.finish().await).await;
    let (archive, expected) = fx.archive("long.tar.zst", &bytes, 2);
    fx.unpack(&archive, &expected).await.unwrap();
    assert_eq!(std::fs::read(fx.target.join(&name)).unwrap(), b"ok");
    fx.assert_clean();
}

#[tokio::test]
async fn pax_path_escaping() {
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.pax_path_file("../sentinel/evil", b"evil").await;
    refused(&fx, tar, 4, "outside its folder").await;
}

#[tokio::test]
async fn gnu_sparse_entries() {
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.gnu_sparse_file("sparse.vdi", b"data").await;
    refused(&fx, tar, 4, "sparse file").await;
    assert!(fx.target_names().is_empty());

    // PAX sparse files keep their map in the data: written as-is they would be wrong.
    let mut tar = RawTar::new();
    tar.pax_file("GNU.sparse.size", "4", b"data").await;
    refused(&fx, tar, 4, "sparse file").await;
}

#[tokio::test]
async fn duplicate_entries() {
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.file("disk.vdi", b"one").await;
    tar.file("disk.vdi", b"two").await;
    refused(&fx, tar, 6, "appears twice").await;

    let mut tar = RawTar::new();
    tar.file("a", b"file").await;
    tar.file("a/b", b"below a file").await;
    refused(&fx, tar, 16, "appears twice").await;
}

#[tokio::test]
async fn hidden_and_control_names() {
    let fx = fixture();
    let mut tar = RawTar::new();
    tar.file(".leovms-tmp.x.1.1", b"x").await;
    refused(&fx, tar, 1, "not allowed").await;
    let mut tar = RawTar::new();
    tar.entry(b"a\x1bb", EntryType::Regular, b"x", b"").await;
    refused(&fx, tar, 1, "not allowed").await;
}
