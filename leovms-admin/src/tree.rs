//! Reading VM folders and uploads: checked files, the data lock and small helpers
//! shared by `publish`, `list`, `verify` and `remove` (the disks inside archives are in
//! `disks`).

use std::fs;
use std::path::{Path, PathBuf};

use leovms_image::atomic::remove_leftovers;
use leovms_image::manifest::{self, Manifest, ManifestEntry, sha256_reader};

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};
use crate::progress::Progress;

fn invalid(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}

/// Checks `path` against its manifest entry (size and sha256); `shown` names it.
pub fn check_file(path: &Path, entry: &ManifestEntry, shown: &str) -> Result<()> {
    check_file_as(path, entry, shown, &fl!("phase-checking", file = shown))
}

/// [`check_file`], showing the progress of the reading as `phase`.
pub fn check_file_as(path: &Path, entry: &ManifestEntry, shown: &str, phase: &str) -> Result<()> {
    let mut progress = Progress::new(phase, entry.size);
    let (size, sha) = match sha256_reporting(path, &mut progress) {
        Ok(found) => found,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(invalid(fl!("file-missing", file = shown)));
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    if size != entry.size {
        return Err(invalid(fl!(
            "file-size-differs",
            file = shown,
            size = size,
            expected = entry.size
        )));
    }
    if sha != entry.sha256 {
        return Err(invalid(fl!("file-checksum-differs", file = shown)));
    }
    progress.finish();
    Ok(())
}

/// Size and sha256 of `path`, with the bytes read reported to `progress`.
fn sha256_reporting(path: &Path, progress: &mut Progress) -> std::io::Result<(u64, [u8; 32])> {
    sha256_reader(leovms_image::dirfd::open_regular(path)?, |n| {
        progress.add(n)
    })
}

/// Every file below `dir` as `/`-separated relative paths, sorted. Links and other
/// special files are refused; `skip` leaves out names (e.g. temporaries).
pub fn files_below(dir: &Path, skip: &dyn Fn(&str) -> bool) -> Result<Vec<String>> {
    let mut out = Vec::new();
    walk(dir, "", skip, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(
    dir: &Path,
    prefix: &str,
    skip: &dyn Fn(&str) -> bool,
    out: &mut Vec<String>,
) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if skip(&name) {
            continue;
        }
        let rel = format!("{prefix}{name}");
        let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        if kind.is_dir() {
            walk(&entry.path(), &format!("{rel}/"), skip, out)?;
        } else if kind.is_file() {
            out.push(rel);
        } else {
            return Err(invalid(fl!("file-special", path = shown(entry.path()))));
        }
    }
    Ok(())
}

/// The folders directly in `dir` that do not start with `.`, sorted.
pub fn subdirs(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && entry.path().is_dir() {
            out.push((name, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Held while a command changes the data folder: an exclusive `flock` on the folder, so
/// that two admins never rewrite the same manifest at once.
pub struct DataLock(#[allow(dead_code)] fs::File);

///
/// Every command that writes to data holds it, so `.leovms-tmp*` entries found once it is
/// taken belong to a command that was killed: they are removed (not under `--dry-run`).
pub fn lock_data(ctx: &Ctx) -> Result<DataLock> {
    let data = &ctx.data();
    let dir = fs::File::open(data).map_err(|e| Error::io(data, e))?;
    use rustix::fs::{FlockOperation, flock};
    match flock(&dir, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {
            if !ctx.dry_run {
                let removed = remove_leftovers(data).map_err(|e| Error::io(data, e))?;
                for path in removed {
                    println!("{}", fl!("leftover-removed", path = shown(&path)));
                }
            }
            Ok(DataLock(dir))
        }
        Err(rustix::io::Errno::WOULDBLOCK) => Err(invalid(fl!("data-busy", data = shown(data)))),
        Err(e) => Err(Error::io(data, e.into())),
    }
}

/// A manifest, or `None` when the folder has none.
pub fn load_manifest(path: &Path) -> Result<Option<Manifest>> {
    if !path.exists() {
        return Ok(None);
    }
    Manifest::load(path)
        .map(Some)
        .map_err(|e| invalid(fl!("manifest-invalid", detail = e.to_string())))
}

/// A small file of a folder others write to (an upload) read whole: no link followed,
/// no FIFO opened, at most 16 MiB (see [`manifest::read_small`]).
pub fn read_small(path: &Path) -> Result<Vec<u8>> {
    manifest::read_small(path).map_err(|e| read_error(path, e))
}

/// A failed read of a small file: one that is too large is refused as invalid, like
/// any other wrong file; anything else is an I/O error.
pub fn read_error(path: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::FileTooLarge {
        invalid(fl!("file-too-large", detail = e.to_string()))
    } else {
        Error::io(path, e)
    }
}

/// Now as a TOML date-time in UTC, e.g. `2026-11-20T10:00:00Z`.
pub fn now_utc() -> String {
    leovms_image::utc::Utc::now().rfc3339()
}

/// Human-readable size: `12.3 MB` (`12,3 MB` in German).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        let value = leovms_l10n::decimal_in(crate::l10n::lang(), value, 1);
        format!("{value} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(12_345_678), "12.3 MB");
    }
}
