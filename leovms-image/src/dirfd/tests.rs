use super::*;
use std::os::unix::fs::{PermissionsExt, symlink};

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn links_and_fifos_are_never_followed_or_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("secret"), b"x").unwrap();
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    symlink(&victim, shared.join("vm")).unwrap();
    symlink(victim.join("secret"), shared.join("file")).unwrap();
    rustix::fs::mknodat(
        CWD,
        shared.join("fifo"),
        FileType::Fifo,
        Mode::from_raw_mode(0o666),
        0,
    )
    .unwrap();
    let dir = Dir::open(&shared).unwrap();
    let e = dir.sub("vm").unwrap_err();
    assert!(e.to_string().contains("symbolic link"), "{e}");
    assert!(dir.open_file("file").is_err());
    assert!(dir.sub("fifo").is_err());
    let e = dir.open_file("fifo").unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
    dir.touch("fifo").unwrap();
    assert!(open_regular(&shared.join("fifo")).is_err());
    assert!(open_regular(&shared.join("file")).is_err());
    assert!(open_regular(&victim.join("secret")).is_ok());
    // Removing the link removes the link only.
    dir.remove_own("vm").unwrap();
    assert!(victim.join("secret").exists());
}

#[test]
fn created_folders_and_files_get_their_mode_through_the_descriptor() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, created) = Dir::open_or_create(&tmp.path().join("a/b"), 0o1777).unwrap();
    assert!(created);
    assert_eq!(mode(dir.path()), 0o1777);
    let (_, again) = Dir::open_or_create(dir.path(), 0o700).unwrap();
    assert!(!again);
    assert_eq!(mode(dir.path()), 0o1777);
    dir.create_file("f", 0o666).unwrap();
    assert_eq!(mode(&dir.join("f")), 0o666);
    assert!(dir.create_file("f", 0o666).is_err());
    dir.write_atomic("pins", b"new", 0o644).unwrap();
    assert_eq!(std::fs::read(dir.join("pins")).unwrap(), b"new");
    assert_eq!(dir.names().unwrap().len(), 2);
}

#[test]
fn an_own_read_only_tree_is_removed_but_links_in_it_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o500)).unwrap();
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("sub/disk"), b"x").unwrap();
    symlink(&outside, tree.join("sub/link")).unwrap();
    for d in [tree.join("sub"), tree.clone()] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    Dir::open(tmp.path()).unwrap().remove_own("tree").unwrap();
    assert!(!tree.exists());
    assert_eq!(mode(&outside), 0o500);
}
