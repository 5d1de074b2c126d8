//! Copy errors, worded for the teacher who sees them.

use std::io;
use std::path::{Path, PathBuf};

/// Why a file could not be copied.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The source does not match its manifest (size or sha256).
    #[error(
        "the file {} is damaged or incomplete (it does not match its manifest: \
         expected {expected}, found {found})",
        source_path.display()
    )]
    Integrity {
        /// The source file.
        source_path: PathBuf,
        /// What the manifest promised, e.g. `sha256 ab12…` or `1234 bytes`.
        expected: String,
        /// What the file really is.
        found: String,
    },
    /// Reading the source failed, e.g. because the share went away.
    #[error("could not read {}: {error}", path.display())]
    Read {
        /// The source file.
        path: PathBuf,
        /// The system's error.
        #[source]
        error: io::Error,
    },
    /// The source delivered no data for too long (typically a dead network mount).
    #[error(
        "the share stopped delivering data: nothing arrived from {} for {secs} s",
        path.display()
    )]
    Stalled {
        /// The source file.
        path: PathBuf,
        /// How long we waited, in seconds (rounded up).
        secs: u64,
    },
    /// The disk or the user's quota is full.
    #[error("the disk is full: there is not enough space for {}", path.display())]
    NoSpace {
        /// The file that could not be written.
        path: PathBuf,
    },
    /// Writing the copy failed for another reason.
    #[error("could not write {}: {error}", path.display())]
    Write {
        /// The file or directory concerned.
        path: PathBuf,
        /// The system's error.
        #[source]
        error: io::Error,
    },
    /// The caller canceled the copy; the partial copy is kept for resuming.
    #[error("copying was canceled")]
    Canceled,
}

impl CopyError {
    /// A failed write: a full disk or quota becomes [`CopyError::NoSpace`].
    pub(super) fn write(path: &Path, error: io::Error) -> Self {
        if matches!(
            error.kind(),
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
        ) {
            Self::NoSpace {
                path: path.to_path_buf(),
            }
        } else {
            Self::Write {
                path: path.to_path_buf(),
                error,
            }
        }
    }

    pub(super) fn read(path: &Path, error: io::Error) -> Self {
        Self::Read {
            path: path.to_path_buf(),
            error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_disk_and_quota_become_no_space() {
        let p = Path::new("/c/base.tar.zst");
        // ENOSPC and EDQUOT on Linux.
        for errno in [28, 122] {
            let e = CopyError::write(p, io::Error::from_raw_os_error(errno));
            assert!(matches!(e, CopyError::NoSpace { .. }), "{errno}: {e:?}");
        }
        let e = CopyError::write(p, io::Error::from_raw_os_error(5));
        assert!(matches!(e, CopyError::Write { .. }));
        assert!(
            e.to_string()
                .starts_with("could not write /c/base.tar.zst: ")
        );
    }

    #[test]
    fn messages() {
        let e = CopyError::Integrity {
            source_path: "/s/base.tar.zst".into(),
            expected: "10 bytes".into(),
            found: "9 bytes".into(),
        };
        assert_eq!(
            e.to_string(),
            "the file /s/base.tar.zst is damaged or incomplete (it does not match its \
             manifest: expected 10 bytes, found 9 bytes)"
        );
        let e = CopyError::Stalled {
            path: "/s/base.tar.zst".into(),
            secs: 30,
        };
        assert!(e.to_string().contains("for 30 s"));
    }
}
