//! What went wrong, by kind (the service maps kinds to its D-Bus errors) and in words.

use leovms_image::archive::{ArchiveError, ArchiveErrorKind};
use leovms_image::copy::CopyError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// The content is not what was expected: another size or hash, damaged, cut short.
    Integrity,
    /// Not an archive a VM has: an unsafe entry, a size no VM has, not a regular file.
    UnsafeArchive,
    /// The disk is full.
    NoSpace,
    /// The store does not hold the archive a base should be unpacked from.
    NotStored,
    /// The caller canceled.
    Canceled,
    /// Any other failed read or write.
    Io,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    pub kind: StoreErrorKind,
    pub message: String,
}

impl StoreError {
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> StoreError {
        StoreError {
            kind,
            message: message.into(),
        }
    }

    pub fn io(what: impl std::fmt::Display, e: &std::io::Error) -> StoreError {
        StoreError::new(StoreErrorKind::Io, format!("{what}: {e}"))
    }
}

impl From<CopyError> for StoreError {
    fn from(e: CopyError) -> StoreError {
        let kind = match &e {
            CopyError::Integrity { .. } => StoreErrorKind::Integrity,
            CopyError::NoSpace { .. } => StoreErrorKind::NoSpace,
            CopyError::Canceled => StoreErrorKind::Canceled,
            CopyError::Read { .. } | CopyError::Stalled { .. } | CopyError::Write { .. } => {
                StoreErrorKind::Io
            }
        };
        StoreError::new(kind, e.to_string())
    }
}

impl From<ArchiveError> for StoreError {
    fn from(e: ArchiveError) -> StoreError {
        let kind = match e.kind() {
            ArchiveErrorKind::UnsafeArchive => StoreErrorKind::UnsafeArchive,
            ArchiveErrorKind::Integrity => StoreErrorKind::Integrity,
            ArchiveErrorKind::NoSpace => StoreErrorKind::NoSpace,
            ArchiveErrorKind::Canceled => StoreErrorKind::Canceled,
            ArchiveErrorKind::Io => StoreErrorKind::Io,
        };
        StoreError::new(kind, e.to_string())
    }
}
