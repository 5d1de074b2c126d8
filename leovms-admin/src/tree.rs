//! Reading VM folders and uploads: the disks inside archives, which disks belong
//! together, and small file helpers shared by `publish`, `list`, `verify` and `remove`.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use async_compression::tokio::bufread::{GzipDecoder, ZstdDecoder};
use futures_util::StreamExt;
use leovms_image::atomic::remove_leftovers;
use leovms_image::manifest::{Manifest, ManifestEntry, sha256_reader};
use leovms_image::name::safe_relative_path;
use leovms_image::vbox::MachineInfo;
use leovms_image::vdi::{self, VdiHeader, VdiKind, braced};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio_tar::{ArchiveBuilder, EntryType};
use uuid::Uuid;

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::progress::Progress;

/// Bytes of a VDI file that hold its headers (pre-header and header 1+).
const VDI_HEADER_BYTES: u64 = 72 + 400;

/// What an archive holds: its VDI disks with their headers, and the unpacked size.
#[derive(Debug, Default)]
pub struct ArchiveScan {
    /// `(entry name, header)` of every `.vdi` entry.
    pub disks: Vec<(String, VdiHeader)>,
    /// Sum of the sizes of the regular files inside.
    pub unpacked: u64,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}

/// Reads `archive` (`.tar.zst` or `.tar.gz`) from start to end: every entry must be a
/// regular file or folder with a safe name; the headers of the `.vdi` files are read.
/// `shown` names the archive in messages.
pub fn scan_archive(archive: &Path, shown: &str) -> Result<ArchiveScan> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| Error::io(archive, e))?;
    let scratch = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let size = fs::metadata(archive).map_or(0, |m| m.len());
    let mut progress = Progress::new(format!("checking the disks in {shown}"), size);
    let scan = runtime.block_on(scan_async(archive, shown, scratch.path(), &mut progress))?;
    progress.finish();
    Ok(scan)
}

async fn scan_async(
    archive: &Path,
    shown: &str,
    scratch: &Path,
    progress: &mut Progress,
) -> Result<ArchiveScan> {
    let file = tokio::fs::File::open(archive)
        .await
        .map_err(|e| Error::io(archive, e))?;
    let file = Counted {
        inner: file,
        progress,
    };
    let mut input = BufReader::with_capacity(1 << 20, file);
    let head = input.fill_buf().await.map_err(|e| Error::io(archive, e))?;
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let mut d = ZstdDecoder::new(input);
        d.multiple_members(true);
        scan_tar(d, shown, scratch).await
    } else if head.starts_with(&[0x1f, 0x8b]) {
        let mut d = GzipDecoder::new(input);
        d.multiple_members(true);
        scan_tar(d, shown, scratch).await
    } else {
        Err(invalid(format!(
            "{shown} is not a zstd or gzip compressed tar archive"
        )))
    }
}

async fn scan_tar<R: AsyncRead + Unpin + Send>(
    decoder: R,
    shown: &str,
    scratch: &Path,
) -> Result<ArchiveScan> {
    let damaged = |e: std::io::Error| invalid(format!("{shown} is damaged: {e}"));
    let mut tar = ArchiveBuilder::new(decoder)
        .set_preserve_permissions(false)
        .set_preserve_mtime(false)
        .set_unpack_xattrs(false)
        .build();
    let mut entries = tar.entries().map_err(damaged)?;
    let mut scan = ArchiveScan::default();
    let mut seen = BTreeSet::new();
    while let Some(entry) = entries.next().await {
        let mut entry = entry.map_err(damaged)?;
        let raw = entry.path_bytes().map_err(damaged)?.into_owned();
        let name = String::from_utf8(raw)
            .map_err(|_| invalid(format!("{shown} holds an entry whose name is not UTF-8")))?;
        let refuse = |reason: &str| invalid(format!("{shown} holds \"{name}\", which {reason}"));
        let kind = entry.header().entry_type();
        let is_dir = kind == EntryType::Directory;
        if !(is_dir || matches!(kind, EntryType::Regular | EntryType::Continuous)) {
            return Err(refuse("is not a regular file or folder"));
        }
        let clean = if is_dir {
            name.trim_end_matches('/')
        } else {
            name.as_str()
        };
        let clean = clean.strip_prefix("./").unwrap_or(clean).to_owned();
        if let Err(e) = safe_relative_path(&clean) {
            return Err(refuse(&format!("is not allowed ({e})")));
        }
        if is_dir {
            continue;
        }
        if !seen.insert(clean.clone()) {
            return Err(refuse("appears twice"));
        }
        scan.unpacked += entry.effective_size();
        if clean.to_ascii_lowercase().ends_with(".vdi") {
            let mut head = Vec::new();
            (&mut entry)
                .take(VDI_HEADER_BYTES)
                .read_to_end(&mut head)
                .await
                .map_err(damaged)?;
            scan.disks
                .push((clean.clone(), parse_vdi(&head, shown, &clean, scratch)?));
        }
    }
    Ok(scan)
}

/// Reports the bytes read through it.
struct Counted<'a, R> {
    inner: R,
    progress: &'a mut Progress,
}

impl<R: AsyncRead + Unpin> AsyncRead for Counted<'_, R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let polled = std::pin::Pin::new(&mut this.inner).poll_read(cx, buf);
        if let std::task::Poll::Ready(Ok(())) = polled {
            this.progress.add((buf.filled().len() - before) as u64);
        }
        polled
    }
}

/// The header of a VDI disk from its first bytes, through leovms-image's reader.
fn parse_vdi(head: &[u8], shown: &str, entry: &str, scratch: &Path) -> Result<VdiHeader> {
    let path = scratch.join("disk.vdi");
    fs::File::create(&path)
        .and_then(|mut f| f.write_all(head))
        .map_err(|e| Error::io(&path, e))?;
    let header = vdi::read_header(&path).map_err(|e| {
        let text = e.to_string().replace(
            &path.display().to_string(),
            &format!("{entry} (in {shown})"),
        );
        invalid(text)
    });
    let _ = fs::remove_file(&path);
    header
}

/// The UUIDs of the base disks of a machine: the hard disks without a parent.
pub fn base_uuids(info: &MachineInfo) -> Vec<Uuid> {
    info.hard_disks
        .iter()
        .filter(|d| d.parent.is_none())
        .map(|d| d.uuid)
        .collect()
}

/// A base archive must hold every base disk `machine.vbox` names, with that identity.
pub fn check_base_archive(scan: &ArchiveScan, info: &MachineInfo, shown: &str) -> Result<()> {
    for disk in info.hard_disks.iter().filter(|d| d.parent.is_none()) {
        let found = scan.disks.iter().find(|(_, h)| h.uuid == disk.uuid);
        match found {
            None => {
                return Err(invalid(format!(
                    "{shown} does not hold the base disk {} ({}) that machine.vbox names",
                    braced(&disk.uuid),
                    disk.location
                )));
            }
            Some((name, h)) if h.kind == VdiKind::Diff => {
                return Err(invalid(format!(
                    "{name} in {shown} is a differencing disk, not a base disk"
                )));
            }
            Some(_) => {}
        }
    }
    if info.hard_disks.iter().all(|d| d.parent.is_some()) {
        return Err(invalid("machine.vbox names no base disk"));
    }
    Ok(())
}

/// Every disk of a snapshot archive is a differencing disk whose parent is one of
/// `bases` (or another disk of the same archive).
pub fn check_snapshot_archive(scan: &ArchiveScan, bases: &[Uuid], shown: &str) -> Result<()> {
    if scan.disks.is_empty() {
        return Err(invalid(format!("{shown} holds no disk (.vdi)")));
    }
    let own: Vec<Uuid> = scan.disks.iter().map(|(_, h)| h.uuid).collect();
    let expected = bases.iter().map(braced).collect::<Vec<_>>().join(", ");
    for (name, h) in &scan.disks {
        let Some(parent) = h.parent.filter(|_| h.kind == VdiKind::Diff) else {
            return Err(invalid(format!(
                "{name} in {shown} is not a differencing disk: a snapshot must hold only \
                 the changes made on top of the base disk {expected}"
            )));
        };
        if !bases.contains(&parent) && !own.contains(&parent) {
            return Err(invalid(format!(
                "{name} in {shown} was made from another base: its parent is {}, but the \
                 machine's base disk is {expected}",
                braced(&parent)
            )));
        }
    }
    Ok(())
}

/// Checks `path` against its manifest entry (size and sha256); `shown` names it.
pub fn check_file(path: &Path, entry: &ManifestEntry, shown: &str) -> Result<()> {
    check_file_as(path, entry, shown, &format!("checking {shown}"))
}

/// [`check_file`], showing the progress of the reading as `phase`.
pub fn check_file_as(path: &Path, entry: &ManifestEntry, shown: &str, phase: &str) -> Result<()> {
    let mut progress = Progress::new(phase, entry.size);
    let (size, sha) = match sha256_reporting(path, &mut progress) {
        Ok(found) => found,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(invalid(format!(
                "{shown} is missing (the manifest lists it)"
            )));
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    if size != entry.size {
        return Err(invalid(format!(
            "{shown} is damaged or was changed after it was written: it has {size} bytes, \
             the manifest says {}",
            entry.size
        )));
    }
    if sha != entry.sha256 {
        return Err(invalid(format!(
            "{shown} is damaged or was changed after it was written (checksum mismatch)"
        )));
    }
    progress.finish();
    Ok(())
}

/// Size and sha256 of `path`, with the bytes read reported to `progress`.
fn sha256_reporting(path: &Path, progress: &mut Progress) -> std::io::Result<(u64, [u8; 32])> {
    sha256_reader(fs::File::open(path)?, |n| progress.add(n))
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
            return Err(invalid(format!(
                "{} is a link or special file; only regular files and folders are allowed",
                entry.path().display()
            )));
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
                    println!("removed {}, left by an interrupted command", path.display());
                }
            }
            Ok(DataLock(dir))
        }
        Err(rustix::io::Errno::WOULDBLOCK) => Err(invalid(format!(
            "another leovms-admin is changing {} right now; try again when it has finished",
            data.display()
        ))),
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
        .map_err(|e| invalid(e.to_string()))
}

/// Now as a TOML date-time in UTC, e.g. `2026-11-20T10:00:00Z`.
pub fn now_utc() -> String {
    leovms_image::utc::Utc::now().rfc3339()
}

/// Human-readable size: `12.3 MB`.
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
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The snapshot ids of a manifest, in order.
pub fn snapshot_ids(manifest: &Manifest) -> Vec<String> {
    let mut ids: Vec<String> = manifest
        .files
        .iter()
        .filter_map(|e| e.path.strip_prefix("snapshots/"))
        .filter_map(|rest| rest.split('/').next())
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids.dedup();
    ids
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
