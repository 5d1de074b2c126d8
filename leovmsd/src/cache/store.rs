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
//! revisions cannot collide. The cache folder is sticky like /tmp (nobody replaces
//! another user's VM folder or pins); the VM folders are writable by everyone so that
//! any user's daemon can evict. Archives need no trust because every reader hashes them
//! while reading, but any name in a VM folder may be another user's link or FIFO at any
//! moment: everything here goes through folder descriptors ([`Dir`]), never a path.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use leovms_api::ErrorKind;
use leovms_image::dirfd::Dir;
use leovms_image::name::SafeName;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const ARCHIVE_EXT: &str = "archive";
const USED_EXT: &str = "used";
pub const PARTIAL_PREFIX: &str = ".leovms-partial.";
const PINS_PREFIX: &str = ".pins.";
/// The cache folder, when leovmsd creates it: like /tmp.
const ROOT_MODE: u32 = 0o1777;
/// VM folders: every user's daemon may add to and evict from them.
const VM_DIR_MODE: u32 = 0o777;
/// Markers of use: every user's daemon may set their time.
const USED_MODE: u32 = 0o666;
/// A pins file is a short list; anything longer is not one.
const PINS_LIMIT: u64 = 1 << 20;
/// How often a lock another process holds is tried again.
const LOCK_RETRY: Duration = Duration::from_millis(100);

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

pub fn archive_name(sha256: &str) -> String {
    format!("{sha256}.{ARCHIVE_EXT}")
}

pub fn partial_name(sha256: &str) -> String {
    format!("{PARTIAL_PREFIX}{sha256}")
}

fn used_name(sha256: &str) -> String {
    format!("{sha256}.{USED_EXT}")
}

impl CacheDir {
    /// Where the archive is (for messages and for reading it through [`Self::open_archive`]).
    pub fn archive_path(&self, vm: &str, sha256: &str) -> PathBuf {
        self.root.join(vm).join(archive_name(sha256))
    }

    /// The cache folder; `None` when it does not exist yet.
    fn open_root(&self) -> Result<Option<Dir>> {
        match Dir::open(&self.root) {
            Ok(dir) => Ok(Some(dir)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unusable(&self.root.display(), &e)),
        }
    }

    /// The VM's folder; `None` when there is none. A link, FIFO or file under its name
    /// (another user's doing) is refused, never followed or opened.
    pub fn open_vm(&self, vm: &str) -> Result<Option<Dir>> {
        let Some(root) = self.open_root()? else {
            return Ok(None);
        };
        match root.sub(vm) {
            Ok(dir) => Ok(Some(dir)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unusable(&root.join(vm).display(), &e)),
        }
    }

    /// Whether this cache has a folder for `vm`.
    pub fn holds_vm(&self, vm: &str) -> bool {
        self.open_vm(vm).is_ok_and(|d| d.is_some())
    }

    /// The archive when this cache holds it (a regular file under its hash).
    pub fn find(&self, vm: &str, sha256: &str) -> Option<PathBuf> {
        let dir = self.open_vm(vm).ok()??;
        dir.stat(archive_name(sha256))
            .ok()?
            .is_some_and(|m| m.is_file())
            .then(|| self.archive_path(vm, sha256))
    }

    /// Whether the cached archive was copied by this user or root and nobody else can
    /// write it: replacing a file in the cache changes its owner, so such a copy is the
    /// one that was verified while copying.
    pub fn copied_by_me_or_root(&self, vm: &str, sha256: &str) -> bool {
        let me = leovms_image::dirfd::me();
        let Ok(Some(dir)) = self.open_vm(vm) else {
            return false;
        };
        dir.stat(archive_name(sha256))
            .ok()
            .flatten()
            .is_some_and(|m| {
                m.is_file() && (m.uid == me || m.uid == 0) && m.mode & 0o022 == 0 && m.links == 1
            })
    }

    /// Opens a cached archive for reading; never a link, FIFO or device.
    pub fn open_archive(&self, vm: &str, sha256: &str) -> Result<File> {
        let path = self.archive_path(vm, sha256);
        let dir = self
            .open_vm(vm)?
            .ok_or_else(|| Error::not_found(format!("{} is not in the cache.", path.display())))?;
        dir.open_file(archive_name(sha256))
            .map_err(|e| Error::io(path.display(), &e))
    }

    /// The cache folder, created like /tmp when missing.
    pub fn prepare_root(&self) -> Result<Dir> {
        Dir::open_or_create(&self.root, ROOT_MODE)
            .map(|(dir, _)| dir)
            .map_err(|e| {
                Error::io(
                    format!(
                        "the cache folder {} (ask the admin to create it with mode 1777)",
                        self.root.display()
                    ),
                    &e,
                )
            })
    }

    /// The VM's folder, created writable for every user of the PC when missing.
    pub fn prepare_vm_dir(&self, vm: &str) -> Result<Dir> {
        let root = self.prepare_root()?;
        root.create_sub(vm, VM_DIR_MODE)
            .map(|(dir, _)| dir)
            .map_err(|e| unusable(&root.join(vm).display(), &e))
    }

    /// Every archive in this cache.
    pub fn entries(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        for (vm, dir) in self.vm_dirs() {
            for name in dir.names().unwrap_or_default() {
                let Some(sha) = name
                    .to_str()
                    .and_then(|n| n.strip_suffix(&format!(".{ARCHIVE_EXT}")))
                else {
                    continue;
                };
                let Ok(Some(meta)) = dir.stat(&name) else {
                    continue;
                };
                if !meta.is_file() || !is_sha_hex(sha) {
                    continue;
                }
                out.push(Entry {
                    vm: vm.clone(),
                    sha256: sha.to_owned(),
                    size: meta.size,
                    last_used: last_used(&dir, sha),
                    path: dir.join(&name),
                });
            }
        }
        out.sort_by(|a, b| (&a.vm, &a.sha256).cmp(&(&b.vm, &b.sha256)));
        out
    }

    /// The VM folders (real folders with a VM's name; links and others are skipped).
    fn vm_dirs(&self) -> Vec<(String, Dir)> {
        let Ok(Some(root)) = self.open_root() else {
            return Vec::new();
        };
        root.names()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|name| {
                let id = SafeName::new(name.to_str()?).ok()?;
                let dir = root.sub(&name).ok()?;
                Some((id.to_string(), dir))
            })
            .collect()
    }

    /// Bytes taken by archives and interrupted copies: what counts against the limit.
    pub fn used(&self) -> u64 {
        let mut used = 0;
        for (_, dir) in self.vm_dirs() {
            for name in dir.names().unwrap_or_default() {
                if let Ok(Some(m)) = dir.stat(&name)
                    && m.is_file()
                {
                    used += m.size;
                }
            }
        }
        used
    }

    /// Records a use for the least-recently-used order. Any user may set the marker's
    /// time; only a marker this call created gets its mode.
    pub fn touch(&self, vm: &str, sha256: &str) {
        let name = used_name(sha256);
        let marked = match self.open_vm(vm) {
            Ok(Some(dir)) => match dir.touch(&name) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    dir.create_file(&name, USED_MODE).map(drop)
                }
                other => other,
            },
            Ok(None) => Ok(()),
            Err(e) => Err(io::Error::other(e.message)),
        };
        if let Err(e) = marked {
            tracing::debug!("cannot mark {vm}/{name} as used: {e}");
        }
    }

    /// Removes an archive and its marker. Returns the bytes freed.
    pub fn remove(&self, vm: &str, sha256: &str) -> Result<u64> {
        let Some(dir) = self.open_vm(vm)? else {
            return Ok(0);
        };
        let name = archive_name(sha256);
        let size = match dir.stat(&name) {
            Ok(Some(m)) if m.is_file() => m.size,
            _ => 0,
        };
        match dir.remove_file(&name) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io(dir.join(&name).display(), &e)),
        }
        let _ = dir.remove_file(used_name(sha256));
        Ok(size)
    }

    /// Every user's pins (files not owned by the user they name are ignored: nobody may
    /// pin in another user's name).
    pub fn all_pins(&self) -> Vec<(u32, Pins)> {
        let Ok(Some(root)) = self.open_root() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for name in root.names().unwrap_or_default() {
            let Some(uid) = name
                .to_str()
                .and_then(|n| n.strip_prefix(PINS_PREFIX))
                .and_then(|r| r.strip_suffix(".toml"))
                .and_then(|u| u.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(pins) = read_pins(&root, &name, uid) {
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
        let root = self.prepare_root()?;
        let name = format!("{PINS_PREFIX}{uid}.toml");
        let text = toml::to_string(pins).map_err(|e| Error::internal(e.to_string()))?;
        root.write_atomic(&name, text.as_bytes(), 0o644)
            .map_err(|e| Error::io(root.join(&name).display(), &e))
    }
}

/// Exclusive use of the whole cache (planning and evicting) or of one VM's folder
/// (copying), across every user's daemon: held until the [`Dir`] is dropped.
/// Another user can hold such a lock forever, so nobody waits without a bound: a
/// blocking caller gives up after `limit`; async callers poll (see `fetch`).
pub fn lock_within(dir: Dir, limit: Duration) -> Result<Dir> {
    let until = Instant::now() + limit;
    loop {
        if try_lock(&dir)? {
            return Ok(dir);
        }
        if Instant::now() >= until {
            return Err(Error::new(
                ErrorKind::Busy,
                format!(
                    "The cache {} has been locked by another program for more than {} s. Try again later.",
                    dir.path().display(),
                    limit.as_secs()
                ),
            ));
        }
        std::thread::sleep(LOCK_RETRY);
    }
}

/// Takes the lock of `dir` when nobody holds it.
pub fn try_lock(dir: &Dir) -> Result<bool> {
    dir.try_lock()
        .map_err(|e| Error::io(dir.path().display(), &e))
}

/// Why a folder in the cache cannot be used; another user may have put a link or a
/// FIFO under its name.
fn unusable(path: &impl std::fmt::Display, e: &io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::InvalidInput | io::ErrorKind::PermissionDenied => Error::new(
            ErrorKind::Io,
            format!(
                "The cache folder {path} cannot be used ({e}). Another user of this PC may have replaced it; ask the admin to remove it."
            ),
        ),
        _ => Error::io(path, e),
    }
}

fn last_used(dir: &Dir, sha256: &str) -> i64 {
    match dir.stat(used_name(sha256)) {
        Ok(Some(m)) if m.is_file() => m.modified.max(0),
        _ => 0,
    }
}

/// `name` in the cache folder, when it is a regular file of `uid` and a valid pins file.
fn read_pins(root: &Dir, name: &OsStr, uid: u32) -> Option<Pins> {
    use std::os::unix::fs::MetadataExt;
    let file = root.open_file(name).ok()?;
    if file.metadata().ok()?.uid() != uid {
        return None;
    }
    let mut text = String::new();
    file.take(PINS_LIMIT).read_to_string(&mut text).ok()?;
    toml::from_str(&text).ok()
}

fn is_sha_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn archives_are_listed_with_their_last_use_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CacheDir {
            root: dir.path().join("cache"),
            limit: 1 << 30,
        };
        let vm_dir = cache.prepare_vm_dir("vm-demo").unwrap();
        let vm_dir = vm_dir.path();
        let mode = std::fs::metadata(vm_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o777);
        let mode = std::fs::metadata(&cache.root).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o1777);
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

#[cfg(test)]
mod hostile_tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_marker_that_is_a_link_never_changes_what_it_points_to() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = CacheDir {
            root: tmp.path().join("cache"),
            limit: 1 << 30,
        };
        let vm_dir = cache.prepare_vm_dir("vm-demo").unwrap();
        let bashrc = tmp.path().join("bashrc");
        std::fs::write(&bashrc, b"# mine\n").unwrap();
        std::fs::set_permissions(&bashrc, std::fs::Permissions::from_mode(0o600)).unwrap();
        symlink(&bashrc, vm_dir.join(format!("{SHA}.used"))).unwrap();
        let dangling = tmp.path().join("bash_aliases");
        let other = "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        symlink(&dangling, vm_dir.join(format!("{other}.used"))).unwrap();
        cache.touch("vm-demo", SHA);
        cache.touch("vm-demo", other);
        assert_eq!(mode(&bashrc), 0o600);
        assert_eq!(std::fs::read(&bashrc).unwrap(), b"# mine\n");
        assert!(!dangling.exists());
    }

    #[test]
    fn a_vm_folder_that_is_a_link_or_fifo_is_refused_without_waiting() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = CacheDir {
            root: tmp.path().join("cache"),
            limit: 1 << 30,
        };
        let root = cache.prepare_root().unwrap();
        let private = tmp.path().join("private");
        std::fs::create_dir(&private).unwrap();
        symlink(&private, root.join("vm-link")).unwrap();
        let fifo = tmp.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o666),
            0,
        )
        .unwrap();
        symlink(&fifo, root.join("vm-fifo")).unwrap();
        for vm in ["vm-link", "vm-fifo"] {
            let e = cache.prepare_vm_dir(vm).unwrap_err();
            assert!(e.message.contains("cannot be used"), "{}", e.message);
            assert!(cache.find(vm, SHA).is_none());
            assert!(cache.open_archive(vm, SHA).is_err());
        }
        assert!(cache.entries().is_empty());
        assert_eq!(std::fs::read_dir(&private).unwrap().count(), 0);
        // A FIFO under an archive's name is not opened either.
        let vm_dir = cache.prepare_vm_dir("vm-demo").unwrap();
        symlink(&fifo, vm_dir.join(archive_name(SHA))).unwrap();
        assert!(cache.open_archive("vm-demo", SHA).is_err());
    }

    #[test]
    fn a_lock_held_elsewhere_is_given_up_after_the_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = CacheDir {
            root: tmp.path().join("cache"),
            limit: 1 << 30,
        };
        let held = lock_within(cache.prepare_root().unwrap(), Duration::ZERO).unwrap();
        let e = lock_within(cache.prepare_root().unwrap(), Duration::ZERO).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Busy);
        drop(held);
        lock_within(cache.prepare_root().unwrap(), Duration::ZERO).unwrap();
    }
}
