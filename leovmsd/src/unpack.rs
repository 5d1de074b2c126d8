//! Unpacking archives from the share: the base once per content hash into the
//! machines folder (read-only, shared by the PC's users), the snapshot into the
//! user's working copy. Progress goes to the job; cancel reaches the archive reader.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use leovms_image::archive::{self, UnpackReport};
use leovms_image::atomic;
use leovms_image::dirfd::{Dir, me};

use crate::blocking::blocking;
use crate::catalog::ArchiveRef;
use crate::error::{Error, Result};
use crate::job::Job;
use crate::layout::Layout;

/// Unpacks the base into a temporary sibling of `base_dir`, makes it read-only and
/// renames it into place. Another user's daemon may win the race: then its copy is used.
/// Every file step runs on the blocking pool; the archive reader is async and cancelable.
pub async fn base(
    archive_ref: &ArchiveRef,
    base_dir: &Path,
    job: &Arc<Job>,
    offset: u64,
) -> Result<()> {
    let base_dir = base_dir.to_path_buf();
    let tmp = atomic::temp_path_for(&base_dir);
    let (dir, made) = (base_dir.clone(), tmp.clone());
    blocking(move || make_temp_base(&dir, &made)).await?;
    let result = match run(archive_ref, &tmp, job, offset).await {
        Ok(_) => {
            let sealed = tmp.clone();
            blocking(move || place_base(&sealed, &base_dir)).await
        }
        Err(e) => Err(e),
    };
    if result.is_err() {
        remove_tree_off_runtime(tmp).await;
    }
    result
}

/// The temporary folder a base is unpacked into, with the folders above it.
fn make_temp_base(base_dir: &Path, tmp: &Path) -> Result<()> {
    let parent = base_dir.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent.display(), &e))?;
    std::fs::create_dir(tmp).map_err(|e| Error::io(tmp.display(), &e))
}

/// Seals the unpacked base in `tmp` and renames it to `base_dir`, unless another daemon
/// was faster; then `tmp` goes and that copy is used.
fn place_base(tmp: &Path, base_dir: &Path) -> Result<()> {
    let parent = base_dir.parent().unwrap_or(Path::new("/"));
    seal_tree(tmp).map_err(|e| Error::io(tmp.display(), &e))?;
    match std::fs::rename(tmp, base_dir) {
        Ok(()) => atomic::fsync_dir(parent).map_err(|e| Error::io(parent.display(), &e)),
        Err(_) if base_dir.is_dir() => {
            remove_tree(tmp);
            Ok(())
        }
        Err(e) => Err(Error::io(base_dir.display(), &e)),
    }
}

/// Unpacks a snapshot into a temporary folder inside the working copy, lets `check`
/// look at the unpacked files (e.g. whether the disks fit the base), and only then moves
/// them over the working copy. A refused snapshot leaves the working copy as it was.
/// `check` and every file step run on the blocking pool.
pub async fn snapshot(
    archive_ref: &ArchiveRef,
    work: &Path,
    job: &Arc<Job>,
    offset: u64,
    check: impl FnOnce(&[PathBuf]) -> Result<()> + Send + 'static,
) -> Result<UnpackReport> {
    let work = work.to_path_buf();
    let staging = atomic::temp_path_for(&work.join("snapshot"));
    let (dir, made) = (work.clone(), staging.clone());
    blocking(move || make_staging(&dir, &made)).await?;
    let result = match run(archive_ref, &staging, job, offset).await {
        Ok(report) => {
            let staged = staging.clone();
            blocking(move || replace_working_copy(&work, &staged, report, check)).await
        }
        Err(e) => Err(e),
    };
    remove_tree_off_runtime(staging).await;
    result
}

/// The working copy and the staging folder inside it.
fn make_staging(work: &Path, staging: &Path) -> Result<()> {
    std::fs::create_dir_all(work).map_err(|e| Error::io(work.display(), &e))?;
    std::fs::create_dir(staging).map_err(|e| Error::io(staging.display(), &e))
}

/// Checks the staged files and renames them over the working copy.
fn replace_working_copy(
    work: &Path,
    staging: &Path,
    report: UnpackReport,
    check: impl FnOnce(&[PathBuf]) -> Result<()>,
) -> Result<UnpackReport> {
    let staged: Vec<_> = report.files.iter().map(|f| staging.join(f)).collect();
    check(&staged)?;
    crate::workcopy::forget(work)?;
    for rel in &report.files {
        let target = work.join(rel);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), &e))?;
        }
        std::fs::rename(staging.join(rel), &target).map_err(|e| Error::io(target.display(), &e))?;
    }
    atomic::fsync_dir(work).map_err(|e| Error::io(work.display(), &e))?;
    Ok(report)
}

/// [`remove_tree`] from async code.
async fn remove_tree_off_runtime(path: PathBuf) {
    let removed = blocking(move || {
        remove_tree(&path);
        Ok(())
    })
    .await;
    if let Err(e) = removed {
        tracing::warn!("{}", e.message);
    }
}

async fn run(
    archive_ref: &ArchiveRef,
    target: &Path,
    job: &Arc<Job>,
    offset: u64,
) -> Result<UnpackReport> {
    let progress_job = job.clone();
    let progress = move |n: u64| progress_job.set_done(offset + n);
    let report = archive::unpack(
        &archive_ref.path,
        &archive_ref.expected(),
        target,
        &progress,
        &job.cancel,
    )
    .await?;
    job.set_done(offset + archive_ref.size);
    Ok(report)
}

/// Base disks are shared by every user of the PC: nobody may change them. The tree was
/// just made by this process; every mode is set through a descriptor of this user's own
/// file or folder, links are never followed.
fn seal_tree(path: &Path) -> io::Result<()> {
    Dir::open(path)?.seal()
}

/// Removes a tree this process made, even when it was already sealed read-only.
fn remove_tree(path: &Path) {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let removed = Dir::open(parent).and_then(|dir| dir.remove_own(name));
    if let Err(e) = removed {
        tracing::warn!("cannot remove {}: {e}", path.display());
    }
}

/// Removes this user's own copy of a base (`<machines>/.u<uid>/<vm>/<hash>`) once the
/// PC's store holds it: nothing of this user's uses it any more. Blocks.
pub fn forget_own_copy(layout: &Layout, vm: &str, short_hash: &str) {
    let dir = layout.own_machines_dir().join(vm);
    let Ok(vm_dir) = Dir::open(&dir) else {
        return;
    };
    let mine = vm_dir.meta().is_ok_and(|m| m.uid == me());
    if mine && matches!(vm_dir.stat(short_hash), Ok(Some(m)) if m.is_dir() && m.uid == me()) {
        match vm_dir.remove_own(short_hash) {
            Ok(()) => tracing::info!(
                "removed {}: the store holds this base",
                dir.join(short_hash).display()
            ),
            Err(e) => tracing::warn!("cannot remove {}: {e}", dir.join(short_hash).display()),
        }
    }
}

/// Leftovers of a run that was killed: temporary files in this user's working copy,
/// and temporary base folders whose owning process is gone (another user's daemon may
/// be unpacking the same base right now: its folder is left alone). Only this user's
/// own entries are removed, and only in a folder of this user or root: another user's
/// folder may hold anything under a temporary name, a link to this user's home too.
pub fn remove_leftovers(vm_machines_dir: &Path, work: &Path) {
    if let Ok(removed) = atomic::remove_leftovers(work) {
        for path in removed {
            tracing::info!("removed leftover {}", path.display());
        }
    }
    let Ok(dir) = Dir::open(vm_machines_dir) else {
        return;
    };
    if dir.meta().is_ok_and(|m| m.uid != me() && m.uid != 0) {
        tracing::debug!(
            "not cleaning {}: another user's folder",
            dir.path().display()
        );
        return;
    }
    for name in dir.names().unwrap_or_default() {
        let text = name.to_string_lossy();
        if !text.starts_with(atomic::TMP_PREFIX) {
            continue;
        }
        let mine = dir
            .stat(&name)
            .ok()
            .flatten()
            .is_some_and(|m| m.uid == me());
        let owner_alive =
            temp_owner(&text).is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if mine && !owner_alive {
            match dir.remove_own(&name) {
                Ok(()) => tracing::info!("removed leftover {}", dir.join(&name).display()),
                Err(e) => tracing::warn!("cannot remove {}: {e}", dir.join(&name).display()),
            }
        }
    }
}

/// The pid in `.leovms-tmp.<name>.<pid>.<n>`.
fn temp_owner(name: &str) -> Option<u32> {
    let mut parts = name.rsplitn(3, '.');
    parts.next()?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_owner_of_a_temporary_name_is_its_pid() {
        assert_eq!(temp_owner(".leovms-tmp.0123abcd.4242.7"), Some(4242));
        assert_eq!(temp_owner(".leovms-tmp.x"), None);
    }

    #[test]
    fn leftovers_of_dead_processes_go_and_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let machines = dir.path().join("machines");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        let dead = machines.join(".leovms-tmp.abcd.999999999.1");
        let live = machines.join(format!(".leovms-tmp.abcd.{}.1", std::process::id()));
        std::fs::create_dir_all(dead.join("sub")).unwrap();
        std::fs::create_dir_all(&live).unwrap();
        seal_tree(&dead).unwrap();
        std::fs::write(work.join(".leovms-tmp.disk.vdi.1.1"), b"x").unwrap();
        remove_leftovers(&machines, &work);
        assert!(!dead.exists());
        assert!(live.exists());
        assert!(!work.join(".leovms-tmp.disk.vdi.1.1").exists());
    }

    #[test]
    fn a_link_under_a_temporary_name_is_removed_and_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let machines = dir.path().join("machines");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&machines).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        for d in [&home, &home.join(".ssh")] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let planted = machines.join(".leovms-tmp.x.999999999.1");
        std::os::unix::fs::symlink(&home, &planted).unwrap();
        remove_leftovers(&machines, &work);
        assert!(std::fs::symlink_metadata(&planted).is_err());
        for d in [&home, &home.join(".ssh")] {
            let mode = std::fs::metadata(d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
    }
}
