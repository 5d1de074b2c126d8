//! Why an upload could not be written; nothing of it is left behind in any case.

use std::io;
use std::path::{Path, PathBuf};

use rustix::io::Errno;

use crate::archive::ArchiveError;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The spec contradicts the upload format (docs/format.md, "Uploads").
    #[error("the upload cannot be made: {0}")]
    BadSpec(String),
    #[error("{} exists already", .0.display())]
    Exists(PathBuf),
    /// The disk or the quota of the share is full.
    #[error("there is not enough space in {} for the upload", folder.display())]
    NoSpace { folder: PathBuf },
    #[error("you are not allowed to write in {}", folder.display())]
    PermissionDenied { folder: PathBuf },
    #[error("the upload was canceled")]
    Canceled,
    #[error("could not read or write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Anything else packing an archive refused.
    #[error(transparent)]
    Archive(ArchiveError),
}

impl UploadError {
    /// Classifies an I/O error on `path`; `folder` is the one named when writing there
    /// is refused or full. Reading a source keeps the plain error.
    pub(super) fn io(path: &Path, folder: &Path, source: io::Error) -> Self {
        let code = source.raw_os_error();
        let is = |errno: Errno| code == Some(errno.raw_os_error());
        let writing = path.starts_with(folder);
        if is(Errno::NOSPC) || is(Errno::DQUOT) {
            return Self::NoSpace {
                folder: folder.to_owned(),
            };
        }
        if writing && (is(Errno::ACCESS) || is(Errno::PERM) || is(Errno::ROFS)) {
            return Self::PermissionDenied {
                folder: folder.to_owned(),
            };
        }
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(super) fn from_archive(e: ArchiveError, folder: &Path) -> Self {
        match e {
            ArchiveError::Canceled => Self::Canceled,
            ArchiveError::Io { path, source } => Self::io(&path, folder, source),
            ArchiveError::Unsafe { entry, reason } => {
                Self::BadSpec(format!("the archive entry \"{entry}\" {reason}"))
            }
            other => Self::Archive(other),
        }
    }
}
