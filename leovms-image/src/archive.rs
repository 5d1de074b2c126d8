//! Disk archives (`.tar.zst`, `.tar.gz`): verified, safe unpacking and packing.
//!
//! Unpacking is the hot path of a machine's first start: a multi-gigabyte base disk
//! comes from a network share. The archive is read by one thread that hashes the
//! compressed bytes, decompressed and parsed by a second, and written by a third that
//! turns zero blocks into holes. Nothing gets its final name before the archive's
//! size and sha256 match the manifest; until then everything lives in `.leovms-tmp*`
//! temporaries that are removed again on any error or cancellation.
//!
//! Every entry follows one set of rules (`rules`): regular files and folders only, safe
//! names, each once, at most [`MAX_ENTRIES`] entries and [`MAX_FOLDERS`] folders, and
//! no header larger than 64 KiB. [`scan`] applies the same rules without writing.

mod error;
mod extract;
mod meter;
mod pack;
mod paths;
mod rules;
mod scan;
mod source;
mod sparse;
mod staging;
mod unpack;
mod walk;
mod writer;

#[cfg(test)]
mod test_util;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_limits;
#[cfg(test)]
mod tests_unsafe;

use std::path::{Path, PathBuf};

pub use error::{ArchiveError, ArchiveErrorKind};
pub(crate) use pack::sync_best_effort;
pub use pack::{PackOptions, pack, pack_with};
pub use rules::{MAX_ENTRIES, MAX_FOLDERS};
pub use scan::{HEAD_MAX, ScanReport, ScannedFile, scan};
pub(crate) use source::read_full;
pub use unpack::{unpack, unpack_from};

/// How an archive is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// `.tar.zst`
    Zstd,
    /// `.tar.gz`
    Gzip,
}

impl Compression {
    /// Derives the compression from the file name (`.tar.zst` or `.tar.gz`).
    pub fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".tar.zst") {
            Some(Self::Zstd)
        } else if name.ends_with(".tar.gz") {
            Some(Self::Gzip)
        } else {
            None
        }
    }

    /// Recognises the compression by the stream's first bytes; unpacking trusts
    /// the content rather than the name.
    fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Self::Zstd)
        } else if head.starts_with(&[0x1f, 0x8b]) {
            Some(Self::Gzip)
        } else {
            None
        }
    }
}

/// What the manifest promises about an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// Size of the archive file in bytes.
    pub size: u64,
    /// sha256 of the archive file.
    pub sha256: [u8; 32],
    /// Sum of the sizes of the regular files inside.
    pub unpacked: u64,
}

/// What [`unpack`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackReport {
    /// Relative paths of the files written, in archive order.
    pub files: Vec<PathBuf>,
    /// Sum of their sizes.
    pub unpacked_bytes: u64,
}

/// What [`pack`] wrote: exactly the values the manifest needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackReport {
    /// Size of the archive file in bytes.
    pub size: u64,
    /// sha256 of the archive file.
    pub sha256: [u8; 32],
    /// Sum of the sizes of the files packed.
    pub unpacked: u64,
}
