//! Unpacking archives from the share: the base once per content hash into the
//! machines folder (read-only, shared by the PC's users), the snapshot into the
//! user's working copy. Progress goes to the job; cancel reaches the archive reader.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use leovms_image::archive::{self, UnpackReport};
use leovms_image::atomic;

use crate::catalog::ArchiveRef;
use crate::error::{Error, Result};
use crate::job::Job;

/// Unpacks the base into a temporary sibling of `base_dir`, makes it read-only and
/// renames it into place. Another user's daemon may win the race: then its copy is used.
pub async fn base(
    archive_ref: &ArchiveRef,
    base_dir: &Path,
    job: &Arc<Job>,
    offset: u64,
) -> Result<()> {
    let parent = base_dir.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent.display(), &e))?;
    let tmp = atomic::temp_path_for(base_dir);
    std::fs::create_dir(&tmp).map_err(|e| Error::io(tmp.display(), &e))?;
    let result = run(archive_ref, &tmp, job, offset).await;
    let result = result.and_then(|_| {
        seal(&tmp)?;
        match std::fs::rename(&tmp, base_dir) {
            Ok(()) => atomic::fsync_dir(parent).map_err(|e| Error::io(parent.display(), &e)),
            Err(_) if base_dir.is_dir() => {
                remove_tree(&tmp);
                Ok(())
            }
            Err(e) => Err(Error::io(base_dir.display(), &e)),
        }
    });
    if result.is_err() {
        remove_tree(&tmp);
    }
    result
}

/// Unpacks a snapshot into a temporary folder inside the working copy, lets `check`
/// look at the unpacked files (e.g. whether the disks fit the base), and only then moves
/// them over the working copy. A refused snapshot leaves the working copy as it was.
pub async fn snapshot(
    archive_ref: &ArchiveRef,
    work: &Path,
    job: &Arc<Job>,
    offset: u64,
    check: impl FnOnce(&[std::path::PathBuf]) -> Result<()>,
) -> Result<UnpackReport> {
    std::fs::create_dir_all(work).map_err(|e| Error::io(work.display(), &e))?;
    let staging = atomic::temp_path_for(&work.join("snapshot"));
    std::fs::create_dir(&staging).map_err(|e| Error::io(staging.display(), &e))?;
    let result = async {
        let report = run(archive_ref, &staging, job, offset).await?;
        let staged: Vec<_> = report.files.iter().map(|f| staging.join(f)).collect();
        check(&staged)?;
        crate::workcopy::forget(work)?;
        for rel in &report.files {
            let target = work.join(rel);
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), &e))?;
            }
            std::fs::rename(staging.join(rel), &target)
                .map_err(|e| Error::io(target.display(), &e))?;
        }
        atomic::fsync_dir(work).map_err(|e| Error::io(work.display(), &e))?;
        Ok(report)
    }
    .await;
    remove_tree(&staging);
    result
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

/// Base disks are shared by every user of the PC: nobody may change them.
fn seal(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir.display(), &e))?
        .flatten()
    {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).map_err(|e| Error::io(path.display(), &e))?;
        if meta.is_dir() {
            seal(&path)?;
            set_mode(&path, 0o555)?;
        } else {
            set_mode(&path, 0o444)?;
        }
    }
    set_mode(dir, 0o555)
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(path.display(), &e))
}

/// Removes a tree we made, even when it was already sealed read-only.
fn remove_tree(dir: &Path) {
    fn unseal(dir: &Path) {
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    unseal(&e.path());
                }
            }
        }
    }
    unseal(dir);
    let _ = std::fs::remove_dir_all(dir);
}

/// Leftovers of a run that was killed: temporary files in this user's working copy,
/// and temporary base folders whose owning process is gone (another user's daemon may
/// be unpacking the same base right now: its folder is left alone).
pub fn remove_leftovers(vm_machines_dir: &Path, work: &Path) {
    if let Ok(removed) = atomic::remove_leftovers(work) {
        for path in removed {
            tracing::info!("removed leftover {}", path.display());
        }
    }
    let Ok(rd) = std::fs::read_dir(vm_machines_dir) else {
        return;
    };
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(atomic::TMP_PREFIX) {
            continue;
        }
        let owner_alive =
            temp_owner(&name).is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !owner_alive {
            tracing::info!("removed leftover {}", entry.path().display());
            remove_tree(&entry.path());
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
        seal(&dead).unwrap();
        std::fs::write(work.join(".leovms-tmp.disk.vdi.1.1"), b"x").unwrap();
        remove_leftovers(&machines, &work);
        assert!(!dead.exists());
        assert!(live.exists());
        assert!(!work.join(".leovms-tmp.disk.vdi.1.1").exists());
    }
}
