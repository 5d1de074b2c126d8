//! One cache folder on disk, shared by every user of the PC:
//!
//! ```text
//! <cache>/<vm>/<sha256>.archive          an archive exactly as on the share, read-only
//! <cache>/<vm>/<sha256>.used             empty; its mtime is the archive's last use
//! <cache>/<vm>/.leovms-partial.<sha256>  an interrupted copy, resumed by the next one
//! <cache>/.pins.<uid>.toml               what user <uid> chose for offline use
//! ```
//!
//! Archives are named by their content hash, never by a display name, so two VMs or two
//! revisions cannot collide. Folders are writable by everyone so that any user's daemon
//! can evict; archives need no trust because every reader hashes them while reading.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use leovms_image::atomic;
use leovms_image::name::SafeName;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const ARCHIVE_EXT: &str = "archive";
const USED_EXT: &str = "used";
pub const PARTIAL_PREFIX: &str = ".leovms-partial.";
const PINS_PREFIX: &str = ".pins.";
/// Folders every user's daemon may add to and evict from.
const SHARED_DIR_MODE: u32 = 0o777;

#[derive(Debug, Clone, PartialEq)]
pub struct CacheDir {
    pub root: PathBuf,
    /// Bytes.
    pub limit: u64,
}

/// One archive in a cache folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub vm: String,
    pub sha256: String,
    pub size: u64,
    /// Unix time; 0 when never used.
    pub last_used: i64,
    pub path: PathBuf,
}

/// What one user pinned: per VM, the archives (sha256 hex) and the snapshots chosen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pins {
    #[serde(default)]
    pub vm: BTreeMap<String, Pin>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pin {
    /// Snapshot ids chosen; empty means all.
    #[serde(default)]
    pub snapshots: Vec<String>,
    pub archives: Vec<String>,
    /// Revision of the VM when it was synced.
    #[serde(default)]
    pub revision: String,
}

impl CacheDir {
    pub fn vm_dir(&self, vm: &str) -> PathBuf {
        self.root.join(vm)
    }

    pub fn archive_path(&self, vm: &str, sha256: &str) -> PathBuf {
        self.vm_dir(vm).join(format!("{sha256}.{ARCHIVE_EXT}"))
    }

    pub fn partial_path(&self, vm: &str, sha256: &str) -> PathBuf {
        self.vm_dir(vm).join(format!("{PARTIAL_PREFIX}{sha256}"))
    }

    fn used_path(&self, vm: &str, sha256: &str) -> PathBuf {
        self.vm_dir(vm).join(format!("{sha256}.{USED_EXT}"))
    }

    /// The archive when this cache holds it.
    pub fn find(&self, vm: &str, sha256: &str) -> Option<PathBuf> {
        let path = self.archive_path(vm, sha256);
        std::fs::symlink_metadata(&path)
            .is_ok_and(|m| m.is_file())
            .then_some(path)
    }

    /// Creates the cache folder, writable for every user of the PC.
    pub fn prepare_root(&self) -> Result<()> {
        if !self.root.is_dir() {
            shared_dir(&self.root).map_err(|e| {
                Error::io(
                    format!(
                        "the cache folder {} (ask the admin to create it with mode 1777)",
                        self.root.display()
                    ),
                    &e,
                )
            })?;
        }
        Ok(())
    }

    /// Creates the VM's folder, writable for every user of the PC.
    pub fn prepare_vm_dir(&self, vm: &str) -> Result<PathBuf> {
        self.prepare_root()?;
        let dir = self.vm_dir(vm);
        if !dir.is_dir() {
            shared_dir(&dir).map_err(|e| Error::io(dir.display(), &e))?;
        }
        Ok(dir)
    }

    /// Every archive in this cache.
    pub fn entries(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        for (vm, dir) in self.vm_dirs() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for f in rd.flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                let Some(sha) = name.strip_suffix(&format!(".{ARCHIVE_EXT}")) else {
                    continue;
                };
                let Ok(meta) = f.path().symlink_metadata() else {
                    continue;
                };
                if !meta.is_file() || !is_sha_hex(sha) {
                    continue;
                }
                out.push(Entry {
                    vm: vm.clone(),
                    sha256: sha.to_owned(),
                    size: meta.len(),
                    last_used: self.last_used(&vm, sha),
                    path: f.path(),
                });
            }
        }
        out.sort_by(|a, b| (&a.vm, &a.sha256).cmp(&(&b.vm, &b.sha256)));
        out
    }

    fn vm_dirs(&self) -> Vec<(String, PathBuf)> {
        let Ok(rd) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        rd.flatten()
            .filter_map(|d| {
                let name = d.file_name().to_string_lossy().into_owned();
                let id = SafeName::new(name).ok()?;
                d.file_type()
                    .ok()?
                    .is_dir()
                    .then(|| (id.to_string(), d.path()))
            })
            .collect()
    }

    /// Bytes taken by archives and interrupted copies: what counts against the limit.
    pub fn used(&self) -> u64 {
        let mut used = 0;
        for (_, dir) in self.vm_dirs() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for f in rd.flatten() {
                if let Ok(m) = f.path().symlink_metadata()
                    && m.is_file()
                {
                    used += m.len();
                }
            }
        }
        used
    }

    fn last_used(&self, vm: &str, sha256: &str) -> i64 {
        std::fs::metadata(self.used_path(vm, sha256))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64)
    }

    /// Records a use for the least-recently-used order. Any user may touch the marker.
    pub fn touch(&self, vm: &str, sha256: &str) {
        let path = self.used_path(vm, sha256);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path);
        match file {
            Ok(f) => {
                let _ = f.set_permissions(std::fs::Permissions::from_mode(0o666));
                let _ = f.set_modified(SystemTime::now());
            }
            Err(e) => tracing::debug!("cannot mark {} as used: {e}", path.display()),
        }
    }

    /// Removes an archive and its marker. Returns the bytes freed.
    pub fn remove(&self, vm: &str, sha256: &str) -> Result<u64> {
        let path = self.archive_path(vm, sha256);
        let size = std::fs::symlink_metadata(&path).map_or(0, |m| m.len());
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io(path.display(), &e)),
        }
        let _ = std::fs::remove_file(self.used_path(vm, sha256));
        Ok(size)
    }

    /// Every user's pins (files not owned by the user they name are ignored: nobody may
    /// pin in another user's name).
    pub fn all_pins(&self) -> Vec<(u32, Pins)> {
        let Ok(rd) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for f in rd.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            let Some(uid) = name
                .strip_prefix(PINS_PREFIX)
                .and_then(|r| r.strip_suffix(".toml"))
                .and_then(|u| u.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(meta) = f.path().symlink_metadata() else {
                continue;
            };
            if !meta.is_file() || meta.uid() != uid {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(f.path())
                && let Ok(pins) = toml::from_str::<Pins>(&text)
            {
                out.push((uid, pins));
            }
        }
        out
    }

    pub fn pins(&self, uid: u32) -> Pins {
        self.all_pins()
            .into_iter()
            .find(|(u, _)| *u == uid)
            .map(|(_, p)| p)
            .unwrap_or_default()
    }

    pub fn save_pins(&self, uid: u32, pins: &Pins) -> Result<()> {
        let path = self.root.join(format!("{PINS_PREFIX}{uid}.toml"));
        let text = toml::to_string(pins).map_err(|e| Error::internal(e.to_string()))?;
        atomic::write_atomic(&path, text.as_bytes(), 0o644)
            .map_err(|e| Error::io(path.display(), &e))
    }

    /// Exclusive use of the whole cache (planning and evicting) or of one VM's folder
    /// (copying), across every user's daemon. Blocks; call off the async runtime.
    pub fn lock(dir: &Path) -> Result<File> {
        let file = File::open(dir).map_err(|e| Error::io(dir.display(), &e))?;
        rustix::fs::flock(file.as_fd(), rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| Error::io(dir.display(), &e.into()))?;
        Ok(file)
    }
}

fn shared_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::create_dir(dir) {
        Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(SHARED_DIR_MODE)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent() {
                std::fs::create_dir_all(parent)?;
            }
            shared_dir(dir)
        }
        Err(e) => Err(e),
    }
}

fn is_sha_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn archives_are_listed_with_their_last_use_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CacheDir {
            root: dir.path().join("cache"),
            limit: 1 << 30,
        };
        let vm_dir = cache.prepare_vm_dir("vm-demo").unwrap();
        let mode = std::fs::metadata(&vm_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o777);
        std::fs::write(cache.archive_path("vm-demo", SHA), vec![1u8; 10_000]).unwrap();
        std::fs::write(vm_dir.join("notes.txt"), b"x").unwrap();
        let entries = cache.entries();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].last_used, 0);
        cache.touch("vm-demo", SHA);
        assert!(cache.entries()[0].last_used > 0);
        assert!(cache.used() >= 10_000);
        assert_eq!(cache.remove("vm-demo", SHA).unwrap(), 10_000);
        assert!(cache.entries().is_empty());
        assert!(cache.find("vm-demo", SHA).is_none());
    }

    #[test]
    fn pins_are_read_back_only_from_their_owner() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CacheDir {
            root: dir.path().to_path_buf(),
            limit: 0,
        };
        let me = rustix::process::geteuid().as_raw();
        let mut pins = Pins::default();
        pins.vm.insert(
            "vm-demo".into(),
            Pin {
                snapshots: vec![],
                archives: vec![SHA.into()],
                revision: "r1".into(),
            },
        );
        cache.save_pins(me, &pins).unwrap();
        assert_eq!(cache.pins(me), pins);
        // A file in another user's name, written by this one, does not count.
        let forged = me.wrapping_add(1);
        std::fs::copy(
            dir.path().join(format!(".pins.{me}.toml")),
            dir.path().join(format!(".pins.{forged}.toml")),
        )
        .unwrap();
        assert_eq!(cache.all_pins().len(), 1);
    }
}
