use std::os::unix::fs::PermissionsExt;

use leovms_image::archive::{Compression, pack};
use sha2::{Digest, Sha256};

use super::*;

fn expected_of(bytes: &[u8]) -> Expected {
    Expected {
        size: bytes.len() as u64,
        sha256: Sha256::digest(bytes).into(),
        unpacked: 0,
    }
}

/// A file with `bytes`, opened for reading as a client would hand it over.
fn handed_over(dir: &Path, bytes: &[u8]) -> File {
    let path = dir.join("offered");
    std::fs::write(&path, bytes).unwrap();
    File::open(&path).unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    leovms_testkit::names_in(dir)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn nothing(_: u64) {}

/// `base.tar.zst` in `dir` holding `files`, and what its manifest would say of it.
async fn packed(dir: &Path, files: &[(&str, Vec<u8>)]) -> (PathBuf, Expected) {
    let src = dir.join("src");
    std::fs::create_dir(&src).unwrap();
    let mut entries = Vec::new();
    for (name, bytes) in files {
        std::fs::write(src.join(name), bytes).unwrap();
        entries.push((src.join(name), (*name).to_owned()));
    }
    let path = dir.join("base.tar.zst");
    let report = pack(&entries, &path, Compression::Zstd).await.unwrap();
    let expected = Expected {
        size: report.size,
        sha256: report.sha256,
        unpacked: report.unpacked,
    };
    (path, expected)
}

#[tokio::test]
async fn a_matching_archive_is_stored_read_only_under_its_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("store")).unwrap();
    let bytes = b"a VM archive".repeat(1000);
    let expected = expected_of(&bytes);
    let cancel = CancellationToken::new();
    let file = handed_over(tmp.path(), &bytes);
    let path = store
        .add_archive(file, &expected, &nothing, &cancel)
        .await
        .unwrap();
    assert_eq!(path.file_name().unwrap(), &*hex::encode(expected.sha256));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(mode(&path), 0o444);
    assert_eq!(store.archive(&expected.sha256), Some(path.clone()));
    assert_eq!(
        names(&tmp.path().join("store/archives")),
        [hex::encode(expected.sha256)],
        "no partial copy is left"
    );
    // Held already: the offered file is not read again (here it would not even match).
    let other = handed_over(tmp.path(), b"something else");
    let again = store.add_archive(other, &expected, &nothing, &cancel).await;
    assert_eq!(again, Ok(path));
}

#[tokio::test]
async fn content_of_another_size_or_hash_stores_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("store")).unwrap();
    let cancel = CancellationToken::new();
    let bytes = b"the real archive".repeat(100);
    let real = expected_of(&bytes);

    let forged = b"a forged archive".repeat(100);
    assert_eq!(forged.len(), bytes.len());
    let refused = store
        .add_archive(handed_over(tmp.path(), &forged), &real, &nothing, &cancel)
        .await
        .unwrap_err();
    assert_eq!(refused.kind, StoreErrorKind::Integrity, "{refused}");

    let short = &bytes[..bytes.len() - 1];
    let refused = store
        .add_archive(handed_over(tmp.path(), short), &real, &nothing, &cancel)
        .await
        .unwrap_err();
    assert_eq!(refused.kind, StoreErrorKind::Integrity, "{refused}");

    assert!(names(&tmp.path().join("store/archives")).is_empty());
    assert_eq!(store.archive(&real.sha256), None);
}

#[tokio::test]
async fn a_fifo_is_refused_without_waiting_for_it() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("store")).unwrap();
    let fifo = tmp.path().join("fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    // Opened for reading and writing, so that opening does not wait for a writer.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let cancel = CancellationToken::new();
    let refused = store
        .add_archive(file, &expected_of(b"x"), &nothing, &cancel)
        .await
        .unwrap_err();
    assert_eq!(refused.kind, StoreErrorKind::UnsafeArchive, "{refused}");
    assert!(names(&tmp.path().join("store/archives")).is_empty());
}

#[tokio::test]
async fn a_canceled_copy_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("store")).unwrap();
    let bytes = vec![7u8; 1 << 20];
    let cancel = CancellationToken::new();
    cancel.cancel();
    let refused = store
        .add_archive(
            handed_over(tmp.path(), &bytes),
            &expected_of(&bytes),
            &nothing,
            &cancel,
        )
        .await
        .unwrap_err();
    assert_eq!(refused.kind, StoreErrorKind::Canceled);
    assert!(names(&tmp.path().join("store/archives")).is_empty());
}

#[test]
fn what_a_killed_run_left_goes_when_the_store_is_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    drop(Store::open(&root).unwrap());
    let kept = "ab".repeat(32);
    std::fs::write(root.join("archives").join(&kept), b"verified").unwrap();
    std::fs::write(root.join("archives/.partial-abc-1-0"), b"half").unwrap();
    let unpacking = root.join("bases/.unpacking-abc-1-1");
    std::fs::create_dir_all(unpacking.join("disk")).unwrap();
    std::fs::write(unpacking.join("disk/a.vdi"), b"half").unwrap();
    // Sealed as far as it got: still removed.
    std::fs::set_permissions(&unpacking, std::fs::Permissions::from_mode(0o555)).unwrap();

    drop(Store::open(&root).unwrap());
    assert_eq!(names(&root.join("archives")), [kept]);
    assert!(names(&root.join("bases")).is_empty());
}

#[tokio::test]
async fn a_base_is_unpacked_once_read_only_under_its_archive_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("store")).unwrap();
    let files = [
        ("disk.vdi", vec![1u8; 300_000]),
        ("machine.vbox", b"<VirtualBox/>".to_vec()),
    ];
    let (packed_path, expected) = packed(tmp.path(), &files).await;
    let cancel = CancellationToken::new();

    let missing = store.unpack_base(&expected, &nothing, &cancel).await;
    assert_eq!(missing.unwrap_err().kind, StoreErrorKind::NotStored);

    let file = File::open(&packed_path).unwrap();
    store
        .add_archive(file, &expected, &nothing, &cancel)
        .await
        .unwrap();
    let base = store
        .unpack_base(&expected, &nothing, &cancel)
        .await
        .unwrap();
    assert_eq!(store.base(&expected.sha256), Some(base.clone()));
    assert_eq!(names(&base), ["disk.vdi", "machine.vbox"]);
    assert_eq!(
        std::fs::read(base.join("disk.vdi")).unwrap(),
        vec![1u8; 300_000]
    );
    assert_eq!((mode(&base), mode(&base.join("disk.vdi"))), (0o555, 0o444));
    assert_eq!(
        names(&tmp.path().join("store/bases")),
        [hex::encode(expected.sha256)]
    );

    // Once: the second request finds it.
    std::fs::remove_file(&packed_path).unwrap();
    let again = store.unpack_base(&expected, &nothing, &cancel).await;
    assert_eq!(again, Ok(base));
}

#[tokio::test]
async fn a_base_is_unpacked_straight_from_a_handed_over_archive_only_when_it_matches() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("store")).unwrap();
    let (packed_path, expected) =
        packed(tmp.path(), &[("disk.vdi", b"a base disk".repeat(10_000))]).await;
    let cancel = CancellationToken::new();

    let mut forged = std::fs::read(&packed_path).unwrap();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let refused = store
        .add_base(
            handed_over(tmp.path(), &forged),
            &expected,
            &nothing,
            &cancel,
        )
        .await
        .unwrap_err();
    assert_eq!(refused.kind, StoreErrorKind::Integrity, "{refused}");
    assert!(names(&tmp.path().join("store/bases")).is_empty());

    // A descriptor whose offset another process moved is read from its start.
    let mut file = File::open(&packed_path).unwrap();
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(100)).unwrap();
    let base = store
        .add_base(file, &expected, &nothing, &cancel)
        .await
        .unwrap();
    assert_eq!(names(&base), ["disk.vdi"]);
    assert_eq!(mode(&base.join("disk.vdi")), 0o444);
    assert!(
        names(&tmp.path().join("store/archives")).is_empty(),
        "not kept"
    );
}

/// What the room swarm fills: a work file becomes the archive only when it matches, and
/// a killed run's work file is gone at the next start.
#[tokio::test(flavor = "multi_thread")]
async fn a_work_file_becomes_the_archive_only_when_it_matches() {
    use std::io::Write as _;

    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let store = Store::open(&root).unwrap();
    let bytes = b"an archive from the room".repeat(1000);
    let expected = expected_of(&bytes);
    let cancel = CancellationToken::new();

    let (mut file, work) = store.begin_archive(&expected.sha256).unwrap();
    let mut wrong = bytes.clone();
    wrong[100] ^= 1;
    file.write_all(&wrong).unwrap();
    let refused = store
        .finish_archive(&work, &expected, &nothing, &cancel)
        .await
        .unwrap_err();
    assert_eq!(refused.kind, StoreErrorKind::Integrity, "{refused}");
    assert!(names(&root.join("archives")).is_empty(), "nothing is kept");

    let (mut file, work) = store.begin_archive(&expected.sha256).unwrap();
    file.write_all(&bytes).unwrap();
    let path = store
        .finish_archive(&work, &expected, &nothing, &cancel)
        .await
        .unwrap();
    assert_eq!(
        path,
        root.join("archives").join(hex::encode(expected.sha256))
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(mode(&path), 0o444);
    assert_eq!(
        names(&root.join("archives")),
        [hex::encode(expected.sha256)]
    );

    // Killed while the room filled it: the next start removes the work file.
    let (mut file, _work) = store.begin_archive(&[7; 32]).unwrap();
    file.write_all(b"half").unwrap();
    drop(store);
    drop(Store::open(&root).unwrap());
    assert_eq!(
        names(&root.join("archives")),
        [hex::encode(expected.sha256)]
    );
}
