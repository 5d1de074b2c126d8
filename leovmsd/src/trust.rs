//! Which files on this PC a user may rely on. Caches and unpacked bases are shared by
//! every user of the PC, but a file's owner can always change it (chmod, then write).
//! So a file decides what this user's VM boots only when nobody but this user or root
//! can have changed it since it was written: owned by one of them, writable by nobody
//! else, no symlinks. Archives need no such trust: they are hashed while they are read.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// Group and others may not write.
const FOREIGN_WRITE: u32 = 0o022;
/// In a sticky folder (like /tmp) only an entry's owner may rename or remove it.
const STICKY: u32 = 0o1000;

/// `Ok` when `path` (a file, or a folder with everything in it) can only have been
/// changed by this user or root, and nobody else can swap it for another one through a
/// folder above it; else why not, in plain words.
pub fn check_path(path: &Path) -> Result<(), String> {
    check_path_of(path, &[me(), 0])
}

/// [`check_path`] for a folder of the PC's store: its user `store` made it, and
/// nobody else (but root or this user) can have changed it.
pub fn check_path_owned_by(path: &Path, store: u32) -> Result<(), String> {
    check_path_of(path, &[me(), 0, store])
}

fn check_path_of(path: &Path, owners: &[u32]) -> Result<(), String> {
    for dir in path.ancestors().skip(1) {
        check_ancestor(dir, owners)?;
    }
    check(path, owners)
}

/// Whether this user could trust what it creates below `dir` (see [`check_path`]);
/// folders that do not exist yet will be this user's own.
pub fn check_folder(dir: &Path) -> Result<(), String> {
    let owners = [me(), 0];
    dir.ancestors()
        .filter(|d| std::fs::symlink_metadata(d).is_ok())
        .try_for_each(|d| check_ancestor(d, &owners))
}

fn me() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn check_ancestor(dir: &Path, owners: &[u32]) -> Result<(), String> {
    // A link's owner can point it elsewhere at any time: only this user's or root's count.
    let link = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if link.is_symlink() {
        owned(dir, &link, owners)?;
    }
    let meta = std::fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    owned(dir, &meta, owners)?;
    let mode = meta.permissions().mode();
    if mode & FOREIGN_WRITE != 0 && mode & STICKY == 0 {
        return Err(format!(
            "{} lets other users replace what is in it (it should have mode 1777 or 755)",
            dir.display()
        ));
    }
    Ok(())
}

fn owned(path: &Path, meta: &std::fs::Metadata, owners: &[u32]) -> Result<(), String> {
    if !owners.contains(&meta.uid()) {
        return Err(format!(
            "{} belongs to another user (uid {})",
            path.display(),
            meta.uid()
        ));
    }
    Ok(())
}

fn check(path: &Path, owners: &[u32]) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_symlink() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    owned(path, &meta, owners)?;
    if meta.permissions().mode() & FOREIGN_WRITE != 0 {
        return Err(format!("{} may be changed by other users", path.display()));
    }
    if meta.is_dir() {
        let rd = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for entry in rd {
            let entry = entry.map_err(|e| format!("{}: {e}", path.display()))?;
            check(&entry.path(), owners)?;
        }
        Ok(())
    } else if meta.is_file() {
        Ok(())
    } else {
        Err(format!("{} is not a regular file", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn own_sealed_tree_is_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("base");
        std::fs::create_dir_all(tree.join("sub")).unwrap();
        std::fs::write(tree.join("sub/disk.vdi"), b"x").unwrap();
        mode(&tree.join("sub/disk.vdi"), 0o444);
        mode(&tree, 0o755);
        mode(&tree.join("sub"), 0o555);
        check_path(&tree).unwrap();
    }

    #[test]
    fn writable_by_others_or_links_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("base");
        std::fs::create_dir(&tree).unwrap();
        mode(&tree, 0o755);
        std::fs::write(tree.join("disk.vdi"), b"x").unwrap();
        mode(&tree.join("disk.vdi"), 0o664);
        let why = check_path(&tree).unwrap_err();
        assert!(why.contains("may be changed by other users"), "{why}");
        mode(&tree.join("disk.vdi"), 0o444);
        std::os::unix::fs::symlink("/etc/passwd", tree.join("link")).unwrap();
        let why = check_path(&tree).unwrap_err();
        assert!(why.contains("not a regular file"), "{why}");
    }
}

#[cfg(test)]
mod ancestor_tests {
    use super::*;

    #[test]
    fn a_folder_others_may_write_without_sticky_bit_is_not_safe() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
        let why = check_folder(&shared).unwrap_err();
        assert!(why.contains("replace"), "{why}");
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        check_folder(&shared).unwrap();
    }
}
