//! What can go wrong, with what an admin needs to act on it.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::l10n::{fl, shown};

/// The texts are the admin's language; what the system says (an I/O error, a command's own
/// words) follows them as it is.
#[derive(Debug)]
pub enum Error {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An upload, a VM or a setting that is not what it must be; nothing was changed. The
    /// text is worded already.
    Invalid(String),
    /// A system command (groupadd, testparm, smbcontrol...) failed; its own words follow.
    Command { command: String, message: String },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => f.write_str(&fl!(
                "error-io",
                path = shown(path),
                detail = source.to_string()
            )),
            Error::Invalid(message) => f.write_str(message),
            Error::Command { command, message } => f.write_str(&fl!(
                "error-command",
                command = command.as_str(),
                detail = message.as_str()
            )),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
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
