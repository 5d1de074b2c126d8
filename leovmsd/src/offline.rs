//! This user's copies of the share's configuration, so that VMs also start offline.
//!
//! ```text
//! <state>/offline/leovms-client.conf, leovms-vbox.conf
//! <state>/offline/<vm>/<revision>/manifest.toml, image.conf, machine.vbox, snapshots/<id>/snapshot.conf
//! ```
//!
//! The copies live in the user's own state folder, not in the shared cache: they decide
//! which archives a VM boots from, so only copies this user wrote are trusted. One folder
//! per revision, because the revision synced for offline use may be older than the one
//! last started online; the newest revision whose archives are at hand is used.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use leovms_image::atomic;
use leovms_image::layout::{CLIENT_CONF, VBOX_CONF};
use leovms_image::name::SafeName;

use crate::catalog::{self, VmEntry};
use crate::error::{Error, Result};

/// The share-wide files copied along with each VM.
const SHARE_FILES: [&str; 2] = [CLIENT_CONF, VBOX_CONF];

#[derive(Debug, Clone)]
pub struct Offline {
    pub root: PathBuf,
}

impl Offline {
    pub fn new(state_dir: &Path) -> Offline {
        Offline {
            root: state_dir.join("offline"),
        }
    }

    fn revision_dir(&self, vm: &str, revision: &str) -> PathBuf {
        self.root.join(vm).join(revision)
    }

    /// Copies the share-wide settings (caches, machines folder) from the share.
    pub fn save_share_files(&self, data_dir: &Path) -> Result<()> {
        std::fs::create_dir_all(&self.root).map_err(|e| Error::io(self.root.display(), &e))?;
        for name in SHARE_FILES {
            copy_if_present(&data_dir.join(name), &self.root.join(name))?;
        }
        Ok(())
    }

    /// Copies what `vm` needs from the share (checked against its manifest when read).
    /// Keeps the revisions in `keep` (e.g. the one synced), drops others.
    pub fn save_vm(&self, vm: &VmEntry, keep: &[&str]) -> Result<()> {
        let target = self.revision_dir(&vm.id, &vm.revision);
        if target.is_dir() {
            touch(&target);
        } else {
            self.write_revision(vm, &target)?;
        }
        self.prune(&vm.id, &[&[vm.revision.as_str()], keep].concat());
        Ok(())
    }

    fn write_revision(&self, vm: &VmEntry, target: &Path) -> Result<()> {
        let parent = target.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent.display(), &e))?;
        let tmp = atomic::temp_path_for(target);
        let result = (|| {
            for rel in catalog::small_files(vm) {
                let to = tmp.join(&rel);
                if let Some(dir) = to.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), &e))?;
                }
                let from = vm.dir.join(&rel);
                let bytes = std::fs::read(&from).map_err(|e| Error::io(from.display(), &e))?;
                atomic::write_atomic(&to, &bytes, 0o644)
                    .map_err(|e| Error::io(to.display(), &e))?;
            }
            std::fs::rename(&tmp, target).map_err(|e| Error::io(target.display(), &e))?;
            atomic::fsync_dir(parent).map_err(|e| Error::io(parent.display(), &e))
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        // The copy is checked again when it is read: a file that changed on the share
        // between reading the manifest and copying makes the revision unusable, not wrong.
        result
    }

    fn prune(&self, vm: &str, keep: &[&str]) {
        for (revision, dir) in self.revisions(vm) {
            if !keep.contains(&revision.as_str()) {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    /// Revision folders of one VM, newest first.
    fn revisions(&self, vm: &str) -> Vec<(String, PathBuf)> {
        let Ok(rd) = std::fs::read_dir(self.root.join(vm)) else {
            return Vec::new();
        };
        let mut out: Vec<(SystemTime, String, PathBuf)> = rd
            .flatten()
            .filter_map(|d| {
                let name = d.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    return None;
                }
                let time = d.metadata().ok()?.modified().ok()?;
                Some((time, name, d.path()))
            })
            .collect();
        out.sort_by_key(|e| std::cmp::Reverse(e.0));
        out.into_iter().map(|(_, n, p)| (n, p)).collect()
    }

    /// Every VM with a copy: its id and its revisions, newest first (each loaded and checked).
    pub fn list(&self) -> Vec<(SafeName, Vec<Result<VmEntry>>)> {
        let Ok(rd) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut out: Vec<_> = rd
            .flatten()
            .filter(|d| d.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|d| SafeName::new(d.file_name().to_string_lossy()).ok())
            .map(|id| {
                let revisions = self.load(&id);
                (id, revisions)
            })
            .filter(|(_, r)| !r.is_empty())
            .collect();
        out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        out
    }

    /// The revisions of one VM, newest first.
    pub fn load(&self, vm: &SafeName) -> Vec<Result<VmEntry>> {
        self.revisions(vm)
            .into_iter()
            .map(|(_, dir)| catalog::load_dir(vm.clone(), dir))
            .collect()
    }

    /// The folder holding the copies of the share-wide settings.
    pub fn share_files(&self) -> &Path {
        &self.root
    }
}

fn copy_if_present(from: &Path, to: &Path) -> Result<()> {
    match std::fs::read(from) {
        Ok(bytes) if std::fs::read(to).is_ok_and(|old| old == bytes) => Ok(()),
        Ok(bytes) => {
            atomic::write_atomic(to, &bytes, 0o644).map_err(|e| Error::io(to.display(), &e))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let _ = std::fs::remove_file(to);
            Ok(())
        }
        Err(e) => Err(Error::io(from.display(), &e)),
    }
}

fn touch(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.set_modified(SystemTime::now());
    }
}
