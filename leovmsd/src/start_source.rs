//! Where a start reads an archive from: the cache when it holds it, else the share,
//! copied into the cache first when a cache is configured and has room, so that the
//! next start (or an offline one) finds it there.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use leovms_api::ErrorKind;
use leovms_image::dirfd::Dir;

use crate::blocking::blocking;
use crate::cache::{self, CacheDir};
use crate::catalog::{ArchiveRef, VmEntry};
use crate::error::{Error, Result};
use crate::in_use::InUse;
use crate::job::Job;
use crate::layout::Layout;
use crate::share::Share;
use crate::trust;
use crate::view::View;

pub enum Source {
    /// Already in a cache.
    Cached(ArchiveRef),
    /// Read straight from the share: no cache is configured, or the archive does not fit.
    Share(ArchiveRef),
    /// Copied into this cache first, then read from there.
    Fetch {
        dir: CacheDir,
        archive: ArchiveRef,
        stall: Duration,
    },
}

impl Source {
    /// Decides, and makes room in the cache when the archive goes there. The cache is
    /// read on the blocking pool, the share through the bounded reader.
    pub async fn plan(
        share: &Share,
        in_use: &InUse,
        stall: Duration,
        view: &View,
        vm: &VmEntry,
        archive: &ArchiveRef,
    ) -> Result<Source> {
        let caches = view.caches.clone();
        let (id, wanted) = (vm.id.to_string(), archive.clone());
        if let Some(path) = blocking(move || Ok(caches.find(&id, &wanted))).await? {
            return Ok(Source::Cached(ArchiveRef {
                path,
                ..archive.clone()
            }));
        }
        if !view.online {
            return Err(Error::new(
                ErrorKind::Offline,
                format!(
                    "{} is not available offline: {} is not in the cache.",
                    vm.image.name,
                    archive.path.display()
                ),
            ));
        }
        let present = archive.clone();
        share.read(move || check_present(&present)).await?;
        if view.caches.is_empty() {
            return Ok(Source::Share(archive.clone()));
        }
        let caches = view.caches.clone();
        let in_use = in_use.now();
        let (id, wanted) = (vm.id.to_string(), archive.clone());
        // Waits up to the cache's lock limit for another user's daemon: never on the runtime.
        let planned = blocking(move || {
            let planned = caches.plan(&id, std::slice::from_ref(&wanted), &in_use)?;
            // A VM folder another user replaced is not used; the share still is.
            planned.dir.prepare_vm_dir(&id)?;
            caches.make_room(&planned)?;
            Ok(planned)
        })
        .await;
        match planned {
            Ok(planned) => Ok(Source::Fetch {
                dir: planned.dir,
                archive: archive.clone(),
                stall,
            }),
            Err(e) => {
                tracing::info!("not caching {}: {}", archive.path.display(), e.message);
                Ok(Source::Share(archive.clone()))
            }
        }
    }

    /// Bytes this source moves: a copy into the cache reads the archive twice.
    pub fn bytes(&self) -> u64 {
        match self {
            Source::Cached(a) | Source::Share(a) => a.size,
            Source::Fetch { archive, .. } => 2 * archive.size,
        }
    }

    /// The archive to unpack, after copying it into the cache when planned so.
    pub async fn fetch(self, vm: &VmEntry, job: &Arc<Job>, done: &mut u64) -> Result<ArchiveRef> {
        match self {
            Source::Cached(a) | Source::Share(a) => Ok(a),
            Source::Fetch {
                dir,
                archive,
                stall,
            } => {
                let name = &vm.image.name;
                let message = format!("Copying {name} into the cache");
                job.doing(&message, "doing-copy", &[("vm", name)]);
                let fetched = cache::fetch(&dir, &vm.id, &archive, job, *done, stall).await?;
                *done += archive.size;
                Ok(ArchiveRef {
                    path: fetched.path,
                    ..archive
                })
            }
        }
    }
}

/// A cached archive that turned out damaged when unpacked is removed (on the blocking
/// pool); online, the start goes on from the share (returned), offline it fails with the
/// damage.
pub async fn after_damage(
    view: &View,
    vm: &VmEntry,
    original: &ArchiveRef,
    used: &ArchiveRef,
    err: &Error,
) -> Option<ArchiveRef> {
    if err.kind != ErrorKind::Integrity || used.path == original.path {
        return None;
    }
    tracing::warn!("removing the damaged cache copy {}", used.path.display());
    let caches = view.caches.clone();
    let (id, sha) = (vm.id.to_string(), original.sha256_hex());
    let removed = blocking(move || {
        for dir in &caches.dirs {
            let _ = dir.remove(&id, &sha);
        }
        Ok(())
    })
    .await;
    if let Err(e) = removed {
        tracing::warn!("{}", e.message);
    }
    view.online.then(|| original.clone())
}

/// Creates the folders above a base so that this user can trust them: the machines
/// folder like /tmp (every user adds their own), everything below it only for this user.
/// Blocks: call through `blocking`.
pub fn prepare_base_parent(layout: &Layout, base_dir: &Path) -> Result<()> {
    let parent = base_dir.parent().unwrap_or(&layout.machines_dir);
    let missing: Vec<&Path> = parent
        .ancestors()
        .take_while(|d| std::fs::symlink_metadata(d).is_err())
        .collect();
    for dir in missing.into_iter().rev() {
        let mode = if dir == layout.machines_dir {
            0o1777
        } else {
            0o755
        };
        // The mode goes through the new folder's descriptor: the name may be another
        // user's link by the time a path-based chmod would run.
        Dir::open_or_create(dir, mode).map_err(|e| Error::io(dir.display(), &e))?;
    }
    trust::check_folder(parent).map_err(|why| {
        Error::config(format!(
            "The machines folder cannot be used safely: {why}. Ask the admin to give {} to root with mode 1777.",
            layout.machines_dir.display()
        ))
    })
}

/// Copies the share's settings and those of this VM for offline starts; a failure only
/// costs the offline start, so it is logged, not reported. Blocks and reads the share:
/// call through `Share::read`.
pub fn remember_for_offline(view: &View, vm: &VmEntry) {
    remember_share_files(view);
    remember_vm(view, vm);
}

pub fn remember_share_files(view: &View) {
    if let Err(e) = view.offline.save_share_files(&view.layout.data_dir) {
        tracing::warn!(
            "cannot keep the share's settings for offline use: {}",
            e.message
        );
    }
}

pub fn remember_vm(view: &View, vm: &VmEntry) {
    let pinned = view.caches.my_pin(&vm.id).map(|(_, pin)| pin.revision);
    let keep: Vec<&str> = pinned.iter().map(String::as_str).collect();
    if let Err(e) = view.offline.save_vm(vm, &keep) {
        tracing::warn!(
            "cannot keep the settings of {} for offline use: {}",
            vm.id,
            e.message
        );
    }
}

/// Whether the share has the archive with the manifest's size. Stats the share: call
/// through `Share::read`.
fn check_present(archive: &ArchiveRef) -> Result<()> {
    match std::fs::metadata(&archive.path) {
        Ok(m) if m.len() == archive.size => Ok(()),
        Ok(m) => Err(Error::new(
            ErrorKind::Integrity,
            format!(
                "{} has {} bytes on the share, but the manifest says {}: it is incomplete or was changed.",
                archive.path.display(),
                m.len(),
                archive.size
            ),
        )),
        Err(e) => Err(Error::new(
            ErrorKind::Offline,
            format!(
                "{} cannot be read from the share: {e}",
                archive.path.display()
            ),
        )),
    }
}
