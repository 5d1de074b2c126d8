//! Copying one archive from the share into a cache: verified while copying, resumed
//! after an interruption, and done once even when two users' daemons ask at once.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use leovms_api::ErrorKind;
use leovms_image::copy::{CopyError, copy_verified};
use leovms_image::dirfd::Dir;

use crate::blocking::blocking;
use crate::cache::CacheDir;
use crate::cache::store;
use crate::catalog::ArchiveRef;
use crate::error::{Error, Result};
use crate::job::Job;

/// How often a copy waiting for another one looks again.
const LOCK_POLL: Duration = Duration::from_millis(250);

/// What a fetch left in the cache.
pub struct Fetched {
    pub path: PathBuf,
    /// Bytes taken over from an interrupted copy.
    pub resumed: u64,
}

/// Copies `archive` of `vm` into `dir` unless a cache copy exists already. Progress is
/// reported to `job` from `offset` on. The cache's file steps run on the blocking pool;
/// the copy itself is async and cancelable.
pub async fn fetch(
    dir: &CacheDir,
    vm: &str,
    archive: &ArchiveRef,
    job: &Arc<Job>,
    offset: u64,
    stall: Duration,
) -> Result<Fetched> {
    let sha = archive.sha256_hex();
    let vm_dir = {
        let (dir, vm) = (dir.clone(), vm.to_owned());
        // Held (with its lock, once taken) until the end of this function.
        Arc::new(blocking(move || dir.prepare_vm_dir(&vm)).await?)
    };
    // Another daemon copying the same VM holds this lock; waiting for it and then
    // finding its copy is how two users syncing at once end up with one entry. The
    // wait is a poll, so a lock held forever costs no thread and cancel still works.
    let mut waiting = false;
    while !try_lock(&vm_dir).await? {
        if !std::mem::replace(&mut waiting, true) {
            let shown = vm_dir.path().display();
            let message = format!("Waiting for another copy into {shown}");
            job.doing(&message, "doing-wait-for-copy", &[("dir", &shown)]);
        }
        tokio::select! {
            _ = tokio::time::sleep(LOCK_POLL) => {}
            _ = job.cancel.cancelled() => return Err(Error::canceled()),
        }
    }
    let dest = dir.archive_path(vm, &sha);
    if find_and_touch(dir, vm, &sha).await? {
        job.set_done(offset + archive.size);
        return Ok(Fetched {
            path: dest,
            resumed: 0,
        });
    }
    let progress_job = job.clone();
    let progress = move |n: u64| progress_job.set_done(offset + n);
    let report = copy_verified(
        &archive.path,
        &archive.expected(),
        &vm_dir,
        &store::partial_name(&sha),
        &store::archive_name(&sha),
        0o444,
        stall,
        &progress,
        &job.cancel,
    )
    .await
    .map_err(|e| copy_error(e, archive, dir))?;
    if report.resumed > 0 {
        tracing::info!(
            "resumed the copy of {} after {} bytes",
            archive.path.display(),
            report.resumed
        );
    }
    let (used, id) = (dir.clone(), vm.to_owned());
    blocking(move || {
        used.touch(&id, &sha);
        Ok(())
    })
    .await?;
    Ok(Fetched {
        path: dest,
        resumed: report.resumed,
    })
}

/// [`store::try_lock`] on the blocking pool: it never waits, but it is a file step.
async fn try_lock(vm_dir: &Arc<Dir>) -> Result<bool> {
    let vm_dir = vm_dir.clone();
    blocking(move || store::try_lock(&vm_dir)).await
}

/// Whether the cache holds the archive already; then it counts as used now.
async fn find_and_touch(dir: &CacheDir, vm: &str, sha: &str) -> Result<bool> {
    let (dir, vm, sha) = (dir.clone(), vm.to_owned(), sha.to_owned());
    blocking(move || {
        let found = dir.find(&vm, &sha).is_some();
        if found {
            dir.touch(&vm, &sha);
        }
        Ok(found)
    })
    .await
}

fn copy_error(e: CopyError, archive: &ArchiveRef, dir: &CacheDir) -> Error {
    let file = archive.path.display();
    match e {
        CopyError::Integrity { .. } => Error::new(
            ErrorKind::Integrity,
            format!("{e}. Nothing was added to the cache; please tell the school's admin."),
        ),
        CopyError::Read { error, .. } => Error::new(
            ErrorKind::Offline,
            format!(
                "The share stopped answering while {file} was copied ({error}). What was copied is kept; the next sync goes on from there."
            ),
        )
        .said("share-stopped", &[("file", &file)]),
        CopyError::Stalled { secs, .. } => Error::new(
            ErrorKind::Offline,
            format!(
                "The share gave no data for {secs} s while {file} was copied. What was copied is kept; the next sync goes on from there."
            ),
        )
        .said("share-stopped", &[("file", &file)]),
        CopyError::NoSpace { .. } => Error::new(
            ErrorKind::NoSpace,
            format!(
                "The disk became full while {file} was copied into {}. The copy was removed; everything else in the cache is unchanged.",
                dir.root.display()
            ),
        )
        .said("disk-full-copy", &[("file", &file), ("dir", &dir.root.display())]),
        CopyError::Write { path, error } => Error::io(path.display(), &error),
        CopyError::Canceled => Error::canceled(),
    }
}
