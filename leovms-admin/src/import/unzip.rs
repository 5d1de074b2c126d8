//! leoclient2's zipped disks: one `.vdi` per zip. Every entry is checked before a byte is
//! unpacked; the entry's name is never used as a path to write to.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use leovms_image::name::SafeName;
use zip::ZipArchive;

use crate::error::{Error, Result};
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
    ZipArchive::new(file).map_err(|e| bad(zip, format!("not a readable zip file: {e}")))
}

fn bad(zip: &Path, why: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("{}: {why}; nothing was imported", zip.display()))
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
            .map_err(|e| bad(zip, format!("entry {i}: {e}")))?;
        let shown = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let refuse = |why: &str| bad(zip, format!("entry \"{}\" {why}", shown.escape_debug()));
        let Ok(name) = std::str::from_utf8(entry.name_raw()) else {
            return Err(refuse("has a name that is not UTF-8"));
        };
        if entry.enclosed_name().is_none() || name.contains(['/', '\\']) {
            return Err(refuse(
                "has a path: only a plain file name is allowed (it could write outside the folder)",
            ));
        }
        if let Err(e) = SafeName::new(name) {
            return Err(refuse(&format!("is refused: {e}")));
        }
        if entry.is_symlink() {
            return Err(refuse("is a symbolic link"));
        }
        if entry.is_dir() {
            return Err(refuse("is a folder"));
        }
        let kind = entry.unix_mode().map_or(0, |mode| mode & S_IFMT);
        if kind != 0 && kind != S_IFREG {
            return Err(refuse("is not a regular file"));
        }
        if entry.encrypted() {
            return Err(refuse("is encrypted"));
        }
        if !name.ends_with(".vdi") {
            return Err(refuse("is not a .vdi disk image"));
        }
        if found.is_some() {
            return Err(bad(
                zip,
                "holds more than one file; expected exactly one .vdi",
            ));
        }
        found = Some((name.to_owned(), entry.size()));
    }
    let Some((entry, size)) = found else {
        return Err(bad(zip, "is empty; expected one .vdi"));
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
    let entry = archive
        .by_index(0)
        .map_err(|e| bad(&disk.zip, format!("cannot read {}: {e}", disk.entry)))?;
    let mut buf = Vec::new();
    entry
        .take(len)
        .read_to_end(&mut buf)
        .map_err(|e| bad(&disk.zip, format!("cannot read {}: {e}", disk.entry)))?;
    Ok(buf)
}

/// Unpacks the disk into `out` (a new file), streaming; the zip's CRC-32 and declared size
/// are checked at the end. The bytes written are reported to `progress`.
pub fn extract(disk: &ZipDisk, out: &Path, progress: &mut Progress) -> Result<()> {
    let mut archive = open(&disk.zip)?;
    let mut entry = archive
        .by_index(0)
        .map_err(|e| bad(&disk.zip, format!("cannot read {}: {e}", disk.entry)))?;
    let file = File::create_new(out).map_err(|e| Error::io(out, e))?;
    let mut writer = Counting {
        inner: BufWriter::with_capacity(1 << 20, file),
        progress,
    };
    let copied = io::copy(&mut entry, &mut writer).map_err(|e| {
        if e.kind() == io::ErrorKind::InvalidData {
            bad(&disk.zip, format!("{} is damaged: {e}", disk.entry))
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
            format!(
                "{} unpacked to {copied} bytes, the zip says {}",
                disk.entry, disk.size
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
