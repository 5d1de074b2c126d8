//! Finding or creating the partial copy without being tricked into writing
//! somewhere else: the cache directory may be shared with other users.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use rustix::fs::OFlags;

/// Opens the partial copy at `path`, or creates it. Returns the file and the length
/// of the prefix worth keeping: all of it, unless it is longer than `limit`.
pub(super) fn open(path: &Path, limit: u64) -> io::Result<(File, u64)> {
    match fs::symlink_metadata(path) {
        Ok(meta) if is_ours(&meta) => return open_existing(path, &meta, limit),
        // A link, a directory, another user's file: not ours to write into.
        Ok(meta) if meta.is_dir() => fs::remove_dir(path)?,
        Ok(_) => fs::remove_file(path)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let file = options()
        .create_new(true)
        // Private until it is complete; the final mode is set before the rename.
        .mode(0o600)
        .open(path)?;
    Ok((file, 0))
}

fn open_existing(path: &Path, seen: &Metadata, limit: u64) -> io::Result<(File, u64)> {
    let file = options().open(path)?;
    let meta = file.metadata()?;
    // The name may have been replaced between the two looks.
    if !is_ours(&meta) || (meta.dev(), meta.ino()) != (seen.dev(), seen.ino()) {
        let e = io::Error::other("the partial copy was replaced while it was opened");
        return Err(e);
    }
    if meta.len() > limit {
        file.set_len(0)?;
        return Ok((file, 0));
    }
    Ok((file, meta.len()))
}

fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options
        .read(true)
        .write(true)
        .custom_flags(OFlags::NOFOLLOW.bits() as i32);
    options
}

/// A regular file of the current user with no other name (so writing to it cannot
/// change any other file).
fn is_ours(meta: &Metadata) -> bool {
    meta.file_type().is_file()
        && meta.uid() == rustix::process::geteuid().as_raw()
        && meta.nlink() == 1
}
