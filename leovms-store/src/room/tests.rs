use std::path::Path;
use std::time::{Duration, SystemTime};

use super::*;

fn sha(n: u8) -> [u8; 32] {
    [n; 32]
}

/// A sparse file of `bytes`: its size counts, its disk space does not.
fn write(path: &Path, bytes: u64) {
    std::fs::File::create(path).unwrap().set_len(bytes).unwrap();
}

/// Puts an entry of `bytes` into the store, last used `age` seconds ago.
fn put(root: &Path, kind: Kind, n: u8, bytes: u64, age: u64) {
    let name = hex::encode(sha(n));
    let path = match kind {
        Kind::Archive => {
            let path = root.join("archives").join(&name);
            write(&path, bytes);
            path
        }
        Kind::Base => {
            let path = root.join("bases").join(&name);
            std::fs::create_dir_all(path.join("disks")).unwrap();
            write(&path.join("disks/a.vdi"), bytes / 2);
            write(&path.join("machine.vbox"), bytes - bytes / 2);
            path
        }
    };
    let when = SystemTime::now() - Duration::from_secs(age);
    std::fs::File::open(&path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

fn held(store: &Store) -> Vec<(Kind, u8)> {
    let mut held: Vec<(Kind, u8)> = store
        .entries()
        .unwrap()
        .iter()
        .map(|e| (e.kind, e.sha256[0]))
        .collect();
    held.sort_by_key(|(k, n)| (*n, *k == Kind::Base));
    held
}

#[test]
fn entries_are_counted_with_their_bytes_and_work_in_progress_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let store = Store::open(&root).unwrap();
    put(&root, Kind::Archive, 1, 1000, 60);
    put(&root, Kind::Base, 1, 5000, 60);
    std::fs::write(root.join("archives/.partial-x-1-0"), b"half").unwrap();
    std::fs::write(root.join("archives/not-a-hash"), b"?").unwrap();
    let mut entries = store.entries().unwrap();
    entries.sort_by_key(|e| e.bytes);
    let sizes: Vec<(Kind, u64)> = entries.iter().map(|e| (e.kind, e.bytes)).collect();
    assert_eq!(sizes, [(Kind::Archive, 1000), (Kind::Base, 5000)]);
}

#[test]
fn room_is_made_least_recently_used_first_and_never_from_what_must_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let store = Store::open(&root).unwrap();
    put(&root, Kind::Archive, 1, 1000, 300); // oldest, but pinned
    put(&root, Kind::Archive, 2, 1000, 200);
    put(&root, Kind::Base, 2, 1000, 200);
    put(&root, Kind::Archive, 3, 1000, 100);
    let keep = HashSet::from([sha(1)]);

    assert_eq!(store.make_room(1000, 5000, &keep), Ok(Vec::new()), "fits");
    let removed = store.make_room(2500, 5000, &keep).unwrap();
    let gone: Vec<u8> = removed.iter().map(|e| e.sha256[0]).collect();
    assert_eq!(gone, [2, 2], "the least recently used VM, archive and base");
    assert_eq!(held(&store), [(Kind::Archive, 1), (Kind::Archive, 3)]);

    // Used just now: it goes last.
    put(&root, Kind::Archive, 4, 1000, 400);
    store.touch(Kind::Archive, &sha(4)).unwrap();
    let removed = store.make_room(2500, 5000, &keep).unwrap();
    assert_eq!(removed.iter().map(|e| e.sha256[0]).collect::<Vec<_>>(), [3]);
}

#[test]
fn when_even_that_is_not_enough_nothing_is_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let store = Store::open(&root).unwrap();
    const GB: u64 = 1_000_000_000;
    put(&root, Kind::Archive, 1, GB, 300);
    put(&root, Kind::Archive, 2, GB, 200);
    let keep = HashSet::from([sha(1)]);
    let refused = store.make_room(5 * GB / 2, 3 * GB, &keep).unwrap_err();
    assert_eq!(refused.kind, StoreErrorKind::NoSpace);
    assert!(
        refused.message.contains("2.5 GB") && refused.message.contains("3.0 GB"),
        "{refused}"
    );
    assert_eq!(held(&store), [(Kind::Archive, 1), (Kind::Archive, 2)]);
}

#[test]
fn prune_removes_all_but_what_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let store = Store::open(&root).unwrap();
    for n in 1..=3 {
        put(&root, Kind::Archive, n, 1000, 60);
        put(&root, Kind::Base, n, 5000, 60);
    }
    let removed = store.prune(&HashSet::from([sha(2)])).unwrap();
    assert_eq!(removed.len(), 4);
    assert_eq!(held(&store), [(Kind::Archive, 2), (Kind::Base, 2)]);
}
