//! Atomic file replacement and cleanup of interrupted writes.
//!
//! Every file leovms writes first appears under a temporary name in the same
//! directory (so the final `rename` cannot cross file systems) and only gets
//! its final name once its content is durable. Temporary names start with
//! [`TMP_PREFIX`], so anything carrying it is a leftover of an interrupted run.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Prefix of every temporary name leovms creates.
pub const TMP_PREFIX: &str = ".leovms-tmp";

/// Distinguishes temporaries created by the same process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The temporary name for `final_name`: `.leovms-tmp.<name>.<pid>.<n>`.
pub(crate) fn temp_name_for(final_name: &OsStr) -> OsString {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = OsString::from(TMP_PREFIX);
    name.push(".");
    name.push(final_name);
    name.push(format!(".{}.{n}", std::process::id()));
    name
}

/// Where to write the content that will later be renamed to `final_path`:
/// same directory, `.leovms-tmp.<file name>.<pid>.<counter>`.
pub fn temp_path_for(final_path: &Path) -> PathBuf {
    let name = final_path.file_name().unwrap_or(OsStr::new("file"));
    final_path.with_file_name(temp_name_for(name))
}

/// True for names that belong to leovms temporaries.
pub(crate) fn is_temp_name(name: &OsStr) -> bool {
    name.as_bytes().starts_with(TMP_PREFIX.as_bytes())
}

/// Replaces `path` with `bytes` so that readers see either the old or the
/// complete new content, even across a power failure.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let tmp = temp_path_for(path);
    let result = write_and_rename(&tmp, path, bytes, mode);
    if result.is_err() {
        // Best effort: the caller gets the original error.
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_and_rename(tmp: &Path, path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(tmp)?;
    // The umask must not decide the final permissions.
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(tmp, path)?;
    fsync_dir(parent_dir(path))
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Makes the directory entries of `dir` (creations, renames) durable.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Removes every `.leovms-tmp*` entry (file or whole tree) in `dir` and, recursively,
/// in its ordinary subdirectories. Symbolic links are never followed. Returns what
/// was removed.
pub fn remove_leftovers(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    remove_leftovers_in(dir, &mut removed)?;
    Ok(removed)
}

fn remove_leftovers_in(dir: &Path, removed: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // `DirEntry::file_type` does not follow symlinks.
        let file_type = match entry.file_type() {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let result = if is_temp_name(&entry.file_name()) {
            let r = if file_type.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            r.map(|()| removed.push(path))
        } else if file_type.is_dir() {
            remove_leftovers_in(&path, removed)
        } else {
            Ok(())
        };
        match result {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn temp_path_is_a_hidden_sibling() {
        let p = temp_path_for(Path::new("/a/b/c.vdi"));
        assert_eq!(p.parent(), Some(Path::new("/a/b")));
        let name = p.file_name().unwrap().to_str().unwrap();
        let prefix = format!(".leovms-tmp.c.vdi.{}.", std::process::id());
        assert!(name.starts_with(&prefix), "{name}");
        assert_ne!(p, temp_path_for(Path::new("/a/b/c.vdi")));
    }

    #[test]
    fn write_atomic_replaces_and_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.conf");
        fs::write(&path, b"old").unwrap();
        write_atomic(&path, b"new", 0o600).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn write_atomic_failure_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // The final name is a non-empty directory: the rename fails.
        let path = dir.path().join("d");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("f"), b"x").unwrap();
        assert!(write_atomic(&path, b"new", 0o644).is_err());
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn remove_leftovers_cleans_recursively_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join(".leovms-tmp.victim");
        fs::write(&victim, b"keep").unwrap();
        let d = dir.path();
        fs::write(d.join(".leovms-tmp.a.1.2"), b"x").unwrap();
        fs::create_dir_all(d.join(".leovms-tmp-build/inner")).unwrap();
        fs::write(d.join(".leovms-tmp-build/inner/f"), b"x").unwrap();
        fs::create_dir_all(d.join("vm/Snapshots")).unwrap();
        fs::write(d.join("vm/Snapshots/.leovms-tmp.s.vdi.1.1"), b"x").unwrap();
        fs::write(d.join("vm/keep.vdi"), b"x").unwrap();
        symlink(outside.path(), d.join("link")).unwrap();
        symlink(&victim, d.join(".leovms-tmp.link")).unwrap();

        let mut removed = remove_leftovers(d).unwrap();
        removed.sort();
        let mut expected = vec![
            d.join(".leovms-tmp.a.1.2"),
            d.join(".leovms-tmp-build"),
            d.join("vm/Snapshots/.leovms-tmp.s.vdi.1.1"),
            d.join(".leovms-tmp.link"),
        ];
        expected.sort();
        assert_eq!(removed, expected);
        assert!(d.join("vm/keep.vdi").exists());
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        assert!(d.join("link").symlink_metadata().is_ok());
    }
}
