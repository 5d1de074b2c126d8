//! leoclient2's zipped disks: one `.vdi` per zip. Every entry is checked before a byte is
//! unpacked; the entry's name is never used as a path to write to.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use leovms_image::name::SafeName;
use zip::ZipArchive;

use crate::error::{Error, Result};
use crate::l10n::{fl, shown};
use crate::progress::Progress;

/// A checked zip holding exactly one disk image.
#[derive(Debug, Clone)]
pub struct ZipDisk {
    pub zip: PathBuf,
    /// The entry's name, a single safe file name ending in `.vdi`.
    pub entry: String,
    /// Unpacked size as the zip declares it.
    pub size: u64,
    /// Size of the zip file.
    pub zipped: u64,
}

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;

fn open(zip: &Path) -> Result<ZipArchive<File>> {
    let file = File::open(zip).map_err(|e| Error::io(zip, e))?;
    ZipArchive::new(file).map_err(|e| bad(zip, fl!("zip-unreadable", detail = e.to_string())))
}

/// The disk in the zip cannot be read.
fn unreadable(disk: &ZipDisk, e: impl std::fmt::Display) -> Error {
    let detail = e.to_string();
    bad(
        &disk.zip,
        fl!(
            "zip-cannot-read",
            entry = disk.entry.as_str(),
            detail = detail
        ),
    )
}

fn bad(zip: &Path, why: impl std::fmt::Display) -> Error {
    Error::Invalid(fl!("zip-refused", zip = shown(zip), why = why.to_string()))
}

/// Reads the zip's directory and refuses anything but one regular `.vdi` file with a
/// plain name: no paths, no `..`, no links, no folders, no encryption.
pub fn check(zip: &Path) -> Result<ZipDisk> {
    let zipped = std::fs::metadata(zip).map_err(|e| Error::io(zip, e))?.len();
    let mut archive = open(zip)?;
    let mut found = None;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| bad(zip, fl!("zip-entry", index = i, detail = e.to_string())))?;
        let name_shown = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let refuse = |why: String| {
            bad(
                zip,
                fl!(
                    "zip-entry-refused",
                    entry = name_shown.escape_debug().to_string(),
                    why = why
                ),
            )
        };
        let Ok(name) = std::str::from_utf8(entry.name_raw()) else {
            return Err(refuse(fl!("zip-entry-not-utf8")));
        };
        if entry.enclosed_name().is_none() || name.contains(['/', '\\']) {
            return Err(refuse(fl!("zip-entry-path")));
        }
        if let Err(e) = SafeName::new(name) {
            return Err(refuse(fl!("zip-entry-bad-name", detail = e.to_string())));
        }
        if entry.is_symlink() {
            return Err(refuse(fl!("zip-entry-link")));
        }
        if entry.is_dir() {
            return Err(refuse(fl!("zip-entry-folder")));
        }
        let kind = entry.unix_mode().map_or(0, |mode| mode & S_IFMT);
        if kind != 0 && kind != S_IFREG {
            return Err(refuse(fl!("zip-entry-special")));
        }
        if entry.encrypted() {
            return Err(refuse(fl!("zip-entry-encrypted")));
        }
        if !name.ends_with(".vdi") {
            return Err(refuse(fl!("zip-entry-not-vdi")));
        }
        if found.is_some() {
            return Err(bad(zip, fl!("zip-several")));
        }
        found = Some((name.to_owned(), entry.size()));
    }
    let Some((entry, size)) = found else {
        return Err(bad(zip, fl!("zip-empty")));
    };
    Ok(ZipDisk {
        zip: zip.to_owned(),
        entry,
        size,
        zipped,
    })
}

/// The first `len` bytes of the disk (for its header), without unpacking the rest.
pub fn head(disk: &ZipDisk, len: u64) -> Result<Vec<u8>> {
    let mut archive = open(&disk.zip)?;
    let entry = archive.by_index(0).map_err(|e| unreadable(disk, e))?;
    let mut buf = Vec::new();
    entry
        .take(len)
        .read_to_end(&mut buf)
        .map_err(|e| unreadable(disk, e))?;
    Ok(buf)
}

/// Unpacks the disk into `out` (a new file), streaming; the zip's CRC-32 and declared size
/// are checked at the end. The bytes written are reported to `progress`.
pub fn extract(disk: &ZipDisk, out: &Path, progress: &mut Progress) -> Result<()> {
    let mut archive = open(&disk.zip)?;
    let mut entry = archive.by_index(0).map_err(|e| unreadable(disk, e))?;
    let file = File::create_new(out).map_err(|e| Error::io(out, e))?;
    let mut writer = Counting {
        inner: BufWriter::with_capacity(1 << 20, file),
        progress,
    };
    let copied = io::copy(&mut entry, &mut writer).map_err(|e| {
        if e.kind() == io::ErrorKind::InvalidData {
            bad(
                &disk.zip,
                fl!(
                    "zip-damaged",
                    entry = disk.entry.as_str(),
                    detail = e.to_string()
                ),
            )
        } else {
            Error::io(out, e)
        }
    })?;
    let file = writer
        .inner
        .into_inner()
        .map_err(|e| Error::io(out, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(out, e))?;
    if copied != disk.size {
        return Err(bad(
            &disk.zip,
            fl!(
                "zip-size-differs",
                entry = disk.entry.as_str(),
                bytes = copied,
                expected = disk.size
            ),
        ));
    }
    Ok(())
}

/// Reports the bytes written through it.
struct Counting<'a, W> {
    inner: W,
    progress: &'a mut Progress,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
