//! What can go wrong, with what an admin needs to act on it.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An upload, a VM or a setting that is not what it must be; nothing was changed.
    #[error("{0}")]
    Invalid(String),
    /// A system command (groupadd, testparm, smbcontrol...) failed; its own words follow.
    #[error("{command} failed: {message}")]
    Command { command: String, message: String },
}

impl Error {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Io { .. } => 1,
            Error::Invalid(_) => 2,
            Error::Command { .. } => 3,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
