//! The store on disk:
//!
//! ```text
//! <root>/archives/<sha256>        a verified archive, read-only
//! <root>/bases/<sha256>/          the base unpacked from that archive, read-only
//! <root>/leases/                  which running VM holds which base (lease.rs)
//! <root>/pins/                    what users keep for offline use (pins.rs)
//! ```
//!
//! Work in progress lives next to its final name under a name no hash has
//! (`.partial-…`, `.unpacking-…`) and is renamed into place only when complete.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use leovms_image::archive::{self, Expected};
use leovms_image::copy::copy_verified_from;
use leovms_image::dirfd::{Dir, me};
use leovms_image::manifest::sha256_pieces;
use tokio_util::sync::CancellationToken;

use crate::error::{StoreError, StoreErrorKind};

const ARCHIVES: &str = "archives";
const BASES: &str = "bases";
const LEASES: &str = "leases";
const PINS: &str = "pins";
/// Prefixes of work in progress; a hash never starts with a dot.
const PARTIAL: &str = ".partial-";
const UNPACKING: &str = ".unpacking-";

/// Numbers the work-in-progress names of this process, so that two requests for the
/// same hash never share one.
static NEXT: AtomicU64 = AtomicU64::new(0);

pub struct Store {
    archives: Dir,
    bases: Dir,
    leases: Dir,
    pins: Dir,
}

impl Store {
    /// Opens the store at `root`, creating it when missing, and removes what a killed
    /// run left behind. `root` must belong to the user running this.
    pub fn open(root: &Path) -> io::Result<Store> {
        let (root, _) = Dir::open_or_create(root, 0o755)?;
        if root.meta()?.uid != me() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{} belongs to another user", root.path().display()),
            ));
        }
        let (archives, _) = root.create_sub(ARCHIVES, 0o755)?;
        let (bases, _) = root.create_sub(BASES, 0o755)?;
        let (leases, _) = root.create_sub(LEASES, 0o700)?;
        let (pins, _) = root.create_sub(PINS, 0o700)?;
        for dir in [&archives, &bases] {
            for name in dir.names()? {
                let text = name.to_string_lossy();
                if text.starts_with(PARTIAL) || text.starts_with(UNPACKING) {
                    dir.remove_own(&name)?;
                }
            }
        }
        Ok(Store {
            archives,
            bases,
            leases,
            pins,
        })
    }

    /// The stored archive with this hash.
    pub fn archive(&self, sha256: &[u8; 32]) -> Option<PathBuf> {
        let name = hex::encode(sha256);
        let meta = self.archives.stat(&name).ok()??;
        meta.is_file().then(|| self.archives.join(&name))
    }

    /// The base unpacked from the archive with this hash.
    pub fn base(&self, sha256: &[u8; 32]) -> Option<PathBuf> {
        let name = hex::encode(sha256);
        let meta = self.bases.stat(&name).ok()??;
        meta.is_dir().then(|| self.bases.join(&name))
    }

    /// Stores the archive read from `file` under `expected.sha256`, when its size and
    /// hash are what `expected` says; otherwise nothing is stored. `file` is read
    /// through its descriptor only (the store may not be allowed to open it by name)
    /// and must be a regular file. An archive the store holds already is not read again.
    pub async fn add_archive(
        &self,
        file: File,
        expected: &Expected,
        progress: &(dyn Fn(u64) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<PathBuf, StoreError> {
        if let Some(path) = self.archive(&expected.sha256) {
            return Ok(path);
        }
        regular(&file)?;
        let name = hex::encode(expected.sha256);
        let partial = work_name(PARTIAL, &name);
        let label = Path::new("the archive handed over");
        let copied = copy_verified_from(
            file,
            label,
            expected,
            &self.archives,
            &partial,
            &name,
            0o444,
            progress,
            cancel,
        )
        .await;
        if let Err(e) = copied {
            // Never resumed: its name is this request's own.
            let _ = self.archives.remove_own(&partial);
            return Err(e.into());
        }
        Ok(self.archives.join(&name))
    }

    /// A new, empty work file in the archives for `sha256`, which a download fills
    /// (the room swarm); [`Store::finish_archive`] or [`Store::drop_work`] ends it. Its
    /// name is no hash, so a killed run leaves nothing under a final name, and the next
    /// start removes it.
    pub fn begin_archive(&self, sha256: &[u8; 32]) -> Result<(File, String), StoreError> {
        let work = work_name(PARTIAL, &hex::encode(sha256));
        let file = self
            .archives
            .create_file(&work, 0o600)
            .map_err(|e| StoreError::io(self.archives.join(&work).display(), &e))?;
        Ok((file, work))
    }

    /// Makes the work file `work` the archive `expected` names when its size and hash
    /// are right (read-only from then on); otherwise removes it. Hashes on the calling
    /// worker thread (`block_in_place`): needs the multi-threaded runtime.
    pub async fn finish_archive(
        &self,
        work: &str,
        expected: &Expected,
        progress: &(dyn Fn(u64) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<PathBuf, StoreError> {
        let checked = self.check_work(work, expected, progress, cancel).await;
        if let Err(e) = checked {
            self.drop_work(work);
            return Err(e);
        }
        let name = hex::encode(expected.sha256);
        let placed = self.archives.rename(work, &name);
        if let Err(e) = &placed {
            self.drop_work(work);
            return Err(StoreError::io(self.archives.join(&name).display(), e));
        }
        self.archives
            .sync()
            .map_err(|e| StoreError::io(self.archives.join(&name).display(), &e))?;
        Ok(self.archives.join(&name))
    }

    async fn check_work(
        &self,
        work: &str,
        expected: &Expected,
        progress: &(dyn Fn(u64) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<(), StoreError> {
        let shown = self.archives.join(work).display().to_string();
        let file = self
            .archives
            .open_file(work)
            .map_err(|e| StoreError::io(&shown, &e))?;
        let read = AtomicU64::new(0);
        let hashed = tokio::task::block_in_place(|| {
            sha256_pieces(
                file,
                |e| StoreError::io(&shown, &e),
                |piece| {
                    if cancel.is_cancelled() {
                        return Err(StoreError::new(StoreErrorKind::Canceled, "Canceled."));
                    }
                    progress(
                        read.fetch_add(piece.len() as u64, Ordering::Relaxed) + piece.len() as u64,
                    );
                    Ok(())
                },
            )
        })?;
        if hashed != (expected.size, expected.sha256) {
            return Err(StoreError::new(
                StoreErrorKind::Integrity,
                format!(
                    "The archive fetched from the room ({} bytes) does not match its SHA-256 in the manifest.",
                    hashed.0
                ),
            ));
        }
        let file = self
            .archives
            .open_file(work)
            .map_err(|e| StoreError::io(&shown, &e))?;
        // On the disk before it gets its final name: a power cut must not leave a
        // hash's name on a file with holes.
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o444))
            .and_then(|()| file.sync_all())
            .map_err(|e| StoreError::io(&shown, &e))
    }

    /// Removes the work file `work` of [`Store::begin_archive`].
    pub fn drop_work(&self, work: &str) {
        let _ = self.archives.remove_own(work);
    }

    /// Unpacks the archive read from `file` into the bases, read-only, when its size and
    /// hash are what `expected` says; otherwise nothing is stored. `file` is read through
    /// its descriptor only, once: hashed while it is unpacked, not copied first. A base
    /// that is there already is used without reading `file`.
    pub async fn add_base(
        &self,
        file: File,
        expected: &Expected,
        progress: &(dyn Fn(u64) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<PathBuf, StoreError> {
        if let Some(path) = self.base(&expected.sha256) {
            return Ok(path);
        }
        regular(&file)?;
        let label = Path::new("the archive handed over");
        self.make_base(expected, |target| async move {
            archive::unpack_from(file, label, expected, &target, progress, cancel).await
        })
        .await
    }

    /// Unpacks the stored archive `expected` describes into the bases, read-only, once:
    /// a base that is there already is used. The archive is verified again while it is
    /// unpacked (a disk may damage it); the base appears under its final name only when
    /// complete.
    pub async fn unpack_base(
        &self,
        expected: &Expected,
        progress: &(dyn Fn(u64) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<PathBuf, StoreError> {
        if let Some(path) = self.base(&expected.sha256) {
            return Ok(path);
        }
        let archive = self.archive(&expected.sha256).ok_or_else(|| {
            StoreError::new(
                StoreErrorKind::NotStored,
                format!(
                    "The store holds no archive {}.",
                    hex::encode(expected.sha256)
                ),
            )
        })?;
        self.make_base(expected, |target| async move {
            archive::unpack(&archive, expected, &target, progress, cancel).await
        })
        .await
    }

    /// Runs `unpack` into a folder of its own next to the bases and gives the result its
    /// final name only when complete; on failure nothing of it stays.
    async fn make_base<F>(
        &self,
        expected: &Expected,
        unpack: impl FnOnce(PathBuf) -> F,
    ) -> Result<PathBuf, StoreError>
    where
        F: std::future::Future<Output = Result<archive::UnpackReport, archive::ArchiveError>>,
    {
        let name = hex::encode(expected.sha256);
        let work = work_name(UNPACKING, &name);
        self.bases
            .create_sub(&work, 0o700)
            .map_err(|e| StoreError::io(self.bases.join(&work).display(), &e))?;
        let target = self.bases.join(&work);
        let result = match unpack(target).await {
            Ok(_) => self.place_base(&work, &name),
            Err(e) => Err(e.into()),
        };
        if result.is_err() || self.bases.stat(&work).ok().flatten().is_some() {
            let _ = self.bases.remove_own(&work);
        }
        result
    }

    /// Seals the unpacked base and gives it its final name, unless another request was
    /// faster: then that one is used.
    fn place_base(&self, work: &str, name: &str) -> Result<PathBuf, StoreError> {
        let shown = |e: &io::Error| StoreError::io(self.bases.join(work).display(), e);
        self.bases
            .sub(work)
            .and_then(|d| d.seal())
            .map_err(|e| shown(&e))?;
        match self.bases.rename(work, name) {
            Ok(()) => self.bases.sync().map_err(|e| shown(&e))?,
            Err(_) if self.base_named(name) => {}
            Err(e) => return Err(shown(&e)),
        }
        Ok(self.bases.join(name))
    }

    pub(crate) fn leases(&self) -> &Dir {
        &self.leases
    }

    pub(crate) fn pins(&self) -> &Dir {
        &self.pins
    }

    /// The folder of archives or of bases.
    pub(crate) fn dir(&self, kind: crate::room::Kind) -> &Dir {
        match kind {
            crate::room::Kind::Archive => &self.archives,
            crate::room::Kind::Base => &self.bases,
        }
    }

    fn base_named(&self, name: &str) -> bool {
        matches!(self.bases.stat(name), Ok(Some(m)) if m.is_dir())
    }
}

/// Refuses a handed-over descriptor that is not a regular file (a FIFO or a device
/// could block or never end) before a byte is read.
fn regular(file: &File) -> Result<(), StoreError> {
    let meta = file
        .metadata()
        .map_err(|e| StoreError::io("the archive handed over", &e))?;
    if meta.is_file() {
        Ok(())
    } else {
        Err(StoreError::new(
            StoreErrorKind::UnsafeArchive,
            "What was handed over is not a regular file.",
        ))
    }
}

/// A name for work in progress on `name`, unique in this process and among processes.
fn work_name(prefix: &str, name: &str) -> String {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{name}-{}-{n}", std::process::id())
}

#[cfg(test)]
mod tests;
