//! Placing files in the data folder: new files of mode 0644 and folders of mode 0755,
//! owned by the admin, whatever modes the upload had. The upload share forces 0660,
//! which no PC could read; the umask must not decide either.

use std::fs;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use leovms_image::manifest::ManifestEntry;

use crate::error::{Error, Result};
use crate::l10n::fl;
use crate::progress::Progress;
use crate::tree;

pub const FILE_MODE: u32 = 0o644;
pub const DIR_MODE: u32 = 0o755;

/// Copies `from` to `to` (a new file) and checks the copy against `expected`.
pub fn copy_checked(from: &Path, to: &Path, expected: &ManifestEntry) -> Result<()> {
    let mut progress = Progress::new(
        fl!("phase-copying", file = expected.path.as_str()),
        expected.size,
    );
    copy_reporting(from, to, &mut progress).map_err(|e| Error::io(to, e))?;
    progress.finish();
    tree::check_file_as(
        to,
        expected,
        &to.display().to_string(),
        &fl!("phase-checking-copy", file = expected.path.as_str()),
    )
}

/// Like `fs::copy` (the kernel copies where it can) into a new file of mode 0644, in
/// pieces so that `progress` can follow; the copy is synced to disk. The upload's
/// permissions are not taken over.
fn copy_reporting(from: &Path, to: &Path, progress: &mut Progress) -> std::io::Result<()> {
    use std::io::Read as _;
    const PIECE: u64 = 64 << 20;
    // The upload folder is its teacher's: no link is followed, no FIFO opened.
    let mut src = leovms_image::dirfd::open_regular(from)?;
    let mut dst = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(to)?;
    // The umask must not decide the mode.
    dst.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    loop {
        let n = std::io::copy(&mut (&mut src).take(PIECE), &mut dst)?;
        if n == 0 {
            break;
        }
        progress.add(n);
    }
    dst.sync_all()
}

pub fn set_mode(path: &Path, mode: u32) -> Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| Error::io(path, e))
}

/// Creates the folder `dir` (mode 0755) unless it exists.
pub fn make_dir(dir: &Path) -> Result<()> {
    match fs::create_dir(dir) {
        Ok(()) => set_mode(dir, DIR_MODE),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(Error::io(dir, e)),
    }
}

/// Creates `dir` and the folders between it and `root` (which exists), mode 0755.
pub fn make_dirs(root: &Path, dir: &Path) -> Result<()> {
    let mut missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|p| *p != root && !p.is_dir())
        .collect();
    missing.reverse();
    missing.into_iter().try_for_each(make_dir)
}
