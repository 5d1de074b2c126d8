//! A machine without a snapshot runs on its base disks. Uploaded like that, students would
//! have no state to start from, so the upload adds one: an empty differencing disk on
//! each attached base (what VirtualBox's "Take snapshot" creates), uploaded as snapshot
//! `current`. The disks live in the daemon's own state folder until the upload ends.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use leovms_api::ErrorKind;
use leovms_image::layout;
use leovms_image::vbox::{self, NewDiff};
use leovms_image::vdi::{self, braced};
use uuid::Uuid;

use crate::error::{Error, Result};

const SCRATCH: &str = "upload-scratch";

/// The new differencing disks; their folder is removed when the upload is dropped.
pub struct FreshState {
    dir: PathBuf,
    pub disks: Vec<(NewDiff, PathBuf)>,
}

impl FreshState {
    /// An empty differencing disk for every base of `bases` the current state attaches.
    pub fn create(state_dir: &Path, bases: &[PathBuf], attached: &[Uuid]) -> Result<FreshState> {
        let parent = state_dir.join(SCRATCH);
        remove_stale(&parent);
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = parent.join(format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display(), &e))?;
        let mut fresh = FreshState {
            dir,
            disks: Vec::new(),
        };
        for base in bases {
            let header = vdi::read_header(base)
                .map_err(|e| Error::new(ErrorKind::Integrity, e.to_string()))?;
            if !attached.contains(&header.uuid) {
                continue;
            }
            let uuid = Uuid::new_v4();
            let path = fresh.dir.join(format!("{}.vdi", braced(&uuid)));
            vdi::create_diff(&path, &header, uuid).map_err(|e| Error::io(path.display(), &e))?;
            let diff = NewDiff {
                parent: header.uuid,
                uuid,
                location: layout::snapshot_disk(&uuid).into(),
            };
            fresh.disks.push((diff, path));
        }
        if fresh.disks.is_empty() {
            return Err(Error::invalid(
                "The machine's settings attach none of its disks; attach its hard disk in VirtualBox and upload it again.",
            ));
        }
        Ok(fresh)
    }

    pub fn paths(&self) -> Vec<PathBuf> {
        self.disks.iter().map(|(_, p)| p.clone()).collect()
    }

    /// The settings with every new disk registered and attached.
    pub fn patch(&self, xml: Vec<u8>) -> std::result::Result<Vec<u8>, vbox::VboxError> {
        self.disks
            .iter()
            .try_fold(xml, |xml, (diff, _)| vbox::add_diff(&xml, diff))
    }
}

impl Drop for FreshState {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// At the daemon's start: the disks of uploads whose daemon was killed mid-way, so that
/// none lingers until the next upload of a machine without a snapshot.
pub fn remove_leftovers(state_dir: &Path) {
    remove_stale(&state_dir.join(SCRATCH));
}

/// Folders of uploads whose daemon is gone (killed mid-way); the state folder is this
/// user's own, so nothing here belongs to anyone else.
fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.split('-').next().unwrap_or_default();
        let mine = pid == std::process::id().to_string();
        if !mine && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
