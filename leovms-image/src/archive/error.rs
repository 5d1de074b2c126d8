//! Archive errors, worded for the teacher who sees them.

use std::io;
use std::path::{Path, PathBuf};

/// Why an archive could not be unpacked or packed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// An entry that must never be written (outside the folder, a link, a device...).
    #[error("the archive contains \"{entry}\" which {reason}")]
    Unsafe {
        /// The entry's name as messages show it: its start only, control characters
        /// escaped (see [`crate::text::shown_bytes`]).
        entry: String,
        /// What is wrong with it, in plain words.
        reason: &'static str,
    },
    /// The archive breaks a limit no VM's archive comes near (entries, folders, size of
    /// a header): it could only serve to exhaust the memory or the open files of the PC.
    #[error("the archive {0}, which is not allowed")]
    Limit(String),
    /// The archive does not match its manifest (sha256 or size).
    #[error(
        "the archive {} is damaged or incomplete (it does not match its manifest: \
         expected {expected}, found {found})",
        archive.display()
    )]
    Integrity {
        /// The archive file.
        archive: PathBuf,
        /// What the manifest promised, e.g. `sha256 ab12…` or `1234 bytes`.
        expected: String,
        /// What the file really is.
        found: String,
    },
    /// The content is larger than the manifest announced.
    #[error(
        "the archive {} holds more data than the {limit} bytes its manifest announces",
        archive.display()
    )]
    TooLarge {
        /// The archive file.
        archive: PathBuf,
        /// The announced unpacked size.
        limit: u64,
    },
    /// The archive ends in the middle of its content.
    #[error("the archive {} is incomplete (it ends too early)", archive.display())]
    Truncated {
        /// The archive file.
        archive: PathBuf,
    },
    /// The content cannot be decompressed or is not a valid tar archive.
    #[error("the archive is damaged and cannot be unpacked: {0}")]
    Corrupt(String),
    /// The caller canceled the operation; nothing was left behind.
    #[error("unpacking was canceled")]
    Canceled,
    /// Reading or writing a file failed.
    #[error("could not read or write {}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The system's error; its kind tells a full disk apart.
        source: io::Error,
    },
}

/// What kind of failure an [`ArchiveError`] is, for callers that map it onto their own
/// error kinds (the D-Bus errors of the daemon) without reading its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchiveErrorKind {
    /// An entry or a size no VM's archive has ([`ArchiveError::Unsafe`],
    /// [`ArchiveError::Limit`], [`ArchiveError::TooLarge`]).
    UnsafeArchive,
    /// Damaged, cut short or not what the manifest says ([`ArchiveError::Integrity`],
    /// [`ArchiveError::Truncated`], [`ArchiveError::Corrupt`]).
    Integrity,
    /// The disk or the quota is full.
    NoSpace,
    /// Any other failed read or write.
    Io,
    /// The caller canceled.
    Canceled,
}

impl ArchiveErrorKind {
    /// The stable name: `UnsafeArchive`, `Integrity`, `NoSpace`, `Io` or `Canceled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnsafeArchive => "UnsafeArchive",
            Self::Integrity => "Integrity",
            Self::NoSpace => "NoSpace",
            Self::Io => "Io",
            Self::Canceled => "Canceled",
        }
    }
}

impl ArchiveError {
    /// True when the disk (or the user's quota) is full.
    pub fn is_no_space(&self) -> bool {
        match self {
            Self::Io { source, .. } => matches!(
                source.kind(),
                io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
            ),
            _ => false,
        }
    }

    /// What kind of failure this is; match on it rather than on the text.
    pub fn kind(&self) -> ArchiveErrorKind {
        match self {
            Self::Unsafe { .. } | Self::TooLarge { .. } | Self::Limit(_) => {
                ArchiveErrorKind::UnsafeArchive
            }
            Self::Integrity { .. } | Self::Truncated { .. } | Self::Corrupt(_) => {
                ArchiveErrorKind::Integrity
            }
            Self::Canceled => ArchiveErrorKind::Canceled,
            Self::Io { .. } if self.is_no_space() => ArchiveErrorKind::NoSpace,
            Self::Io { .. } => ArchiveErrorKind::Io,
        }
    }

    /// The name of [`Self::kind`]: `UnsafeArchive`, `Integrity`, `Io`, `NoSpace` or
    /// `Canceled`.
    pub fn kind_id(&self) -> &'static str {
        self.kind().as_str()
    }

    pub(super) fn io(path: &Path, source: io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The entry named `raw` (as stored in the archive) is refused.
    pub(super) fn unsafe_entry(raw: &[u8], reason: &'static str) -> Self {
        Self::unsafe_shown(&crate::text::shown_bytes(raw), reason)
    }

    /// Like [`Self::unsafe_entry`], with the name already in its shown form.
    pub(super) fn unsafe_shown(shown: &str, reason: &'static str) -> Self {
        Self::Unsafe {
            entry: shown.to_owned(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_an_enum_with_stable_names() {
        let full = ArchiveError::io(Path::new("/m/a"), io::Error::from_raw_os_error(28));
        assert_eq!(full.kind(), ArchiveErrorKind::NoSpace);
        let limit = ArchiveError::Limit("has too many entries".into());
        assert_eq!(limit.kind(), ArchiveErrorKind::UnsafeArchive);
        assert_eq!(
            ArchiveError::Corrupt("x".into()).kind(),
            ArchiveErrorKind::Integrity
        );
        for e in [full, limit, ArchiveError::Canceled] {
            assert_eq!(e.kind().as_str(), e.kind_id());
        }
    }

    #[test]
    fn kinds_and_messages() {
        let e = ArchiveError::unsafe_entry(b"../x", "would be written outside its folder");
        assert_eq!(
            e.to_string(),
            "the archive contains \"../x\" which would be written outside its folder"
        );
        assert_eq!(e.kind_id(), "UnsafeArchive");
        let full = ArchiveError::io(Path::new("/m/a"), io::Error::from_raw_os_error(28));
        assert!(full.is_no_space());
        assert_eq!(full.kind_id(), "NoSpace");
        let other = ArchiveError::io(Path::new("/m/a"), io::Error::from_raw_os_error(5));
        assert_eq!(other.kind_id(), "Io");
        assert_eq!(ArchiveError::Canceled.kind_id(), "Canceled");
        let t = ArchiveError::Truncated {
            archive: "/s/base.tar.zst".into(),
        };
        assert_eq!(t.kind_id(), "Integrity");
        assert!(t.to_string().contains("incomplete"));
        // A name is shown shortened and with its control characters escaped.
        let huge = [b"\x1b[2J".as_slice(), &vec![b'x'; 64 << 20]].concat();
        let e = ArchiveError::unsafe_entry(&huge, "has a name longer than 128 bytes");
        let ArchiveError::Unsafe { entry, .. } = &e else {
            unreachable!()
        };
        assert!(entry.starts_with("\\u{1b}[2Jxxx"), "{entry}");
        assert_eq!(entry.chars().count(), crate::text::SHOWN_MAX + 6);
        assert!(e.to_string().len() < 200);
    }
}
