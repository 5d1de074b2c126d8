//! Finding or creating the partial copy without being tricked into writing
//! somewhere else: the cache folder may be shared with other users.

use std::fs::File;
use std::io;

use crate::dirfd::{Dir, Meta, me};

/// Opens the partial copy `name` in `dir`, or creates it. Returns the file and the
/// length of the prefix worth keeping: all of it, unless it is longer than `limit`.
pub(super) fn open(dir: &Dir, name: &str, limit: u64) -> io::Result<(File, u64)> {
    match dir.stat(name)? {
        Some(meta) if is_ours(&meta) => return open_existing(dir, name, &meta, limit),
        // A link, a folder, another user's file: not ours to write into.
        Some(meta) if meta.is_dir() => dir.remove_own(name)?,
        Some(_) => dir.remove_file(name)?,
        None => {}
    }
    // Private until it is complete; the final mode is set before the rename.
    Ok((dir.create_file(name, 0o600)?, 0))
}

fn open_existing(dir: &Dir, name: &str, seen: &Meta, limit: u64) -> io::Result<(File, u64)> {
    let file = dir.open_file_rw(name)?;
    let len = file.metadata()?.len();
    let now = dir.stat(name)?;
    // The name may have been replaced between the two looks.
    if !now.is_some_and(|m| is_ours(&m) && m.same(seen)) {
        let e = io::Error::other("the partial copy was replaced while it was opened");
        return Err(e);
    }
    if len > limit {
        file.set_len(0)?;
        return Ok((file, 0));
    }
    Ok((file, len))
}

/// A regular file of the current user with no other name (so writing to it cannot
/// change any other file).
fn is_ours(meta: &Meta) -> bool {
    meta.is_file() && meta.uid == me() && meta.links == 1
}
