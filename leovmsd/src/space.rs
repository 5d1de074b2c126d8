//! Free space, asked before anything is written.

use std::path::Path;

use leovms_api::ErrorKind;

use crate::error::{Error, Result};

/// Bytes an unprivileged user may still write on the file system holding `path`
/// (the nearest existing ancestor when `path` does not exist yet).
pub fn available(path: &Path) -> Result<u64> {
    let probe = existing_ancestor(path);
    let st = rustix::fs::statvfs(probe).map_err(|e| Error::io(probe.display(), &e.into()))?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Identifies a file system, so that needs on the same one are added up.
pub fn filesystem_id(path: &Path) -> Result<u64> {
    let probe = existing_ancestor(path);
    let st = rustix::fs::stat(probe).map_err(|e| Error::io(probe.display(), &e.into()))?;
    Ok(st.st_dev)
}

/// The folder itself, or the nearest one above it that exists (where it will be created).
fn existing_ancestor(path: &Path) -> &Path {
    let mut probe = path;
    while !probe.exists() {
        probe = probe.parent().unwrap_or(Path::new("/"));
    }
    probe
}

/// Gigabytes as students read them: "12.4 GB", and "0.07 GB" for small amounts so
/// that needed and free never print the same; written as the clients write them.
pub use leovms_api::units::format_gb as gb;

/// Refuses when `need` bytes do not fit into `dir`'s file system.
pub fn ensure_fits(dir: &Path, need: u64, what: &str) -> Result<()> {
    let free = available(dir)?;
    refuse_above(dir, need, free, what)
}

/// Like [`ensure_fits`], for a network share: some SMB clients (smbnetfs) report a size
/// of 0 for the whole file system, which means "not known", not "full". Then nothing can
/// be checked up front, and a full share shows when writing.
pub fn ensure_fits_on_share(dir: &Path, need: u64, what: &str) -> Result<()> {
    let probe = existing_ancestor(dir);
    let st = rustix::fs::statvfs(probe).map_err(|e| Error::io(probe.display(), &e.into()))?;
    if st.f_blocks == 0 {
        tracing::info!(
            "{} does not report its size; free space not checked",
            probe.display()
        );
        return Ok(());
    }
    refuse_above(dir, need, st.f_bavail.saturating_mul(st.f_frsize), what)
}

fn refuse_above(dir: &Path, need: u64, free: u64, what: &str) -> Result<()> {
    if need > free {
        return Err(Error::new(
            ErrorKind::NoSpace,
            format!(
                "Not enough space for {what}: {} needed, {} free in {}.",
                gb(need),
                gb(free),
                dir.display()
            ),
        )
        .said(
            "no-space",
            &[("need", &need), ("free", &free), ("dir", &dir.display())],
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gigabytes_have_one_decimal() {
        assert_eq!(gb(12_400_000_000), "12.4 GB");
        assert_eq!(gb(0), "0.00 GB");
        assert_eq!(gb(67_108_864), "0.07 GB");
    }

    #[test]
    fn a_need_beyond_the_free_space_names_both() {
        let dir = std::env::temp_dir();
        let err = ensure_fits(&dir, u64::MAX / 2, "the base image").unwrap_err();
        assert_eq!(err.kind, ErrorKind::NoSpace);
        assert!(err.message.contains("needed"), "{}", err.message);
        assert!(err.message.contains("free in"), "{}", err.message);
        ensure_fits(&dir, 1, "a byte").unwrap();
    }
}
