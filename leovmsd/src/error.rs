//! The daemon's error: a kind from the contract plus a message for the person at the
//! screen. Lower layers keep their own typed errors; they are classified here, once.

use std::fmt;

use leovms_api::ErrorKind;

#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::NotFound, message)
    }

    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    pub fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidConfig, message)
    }

    pub fn canceled() -> Error {
        Error::new(ErrorKind::Canceled, "Canceled.")
    }

    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, message)
    }

    /// An I/O failure on `what`; a full disk is reported as such.
    pub fn io(what: impl fmt::Display, err: &std::io::Error) -> Error {
        if err.kind() == std::io::ErrorKind::StorageFull {
            return Error::new(
                ErrorKind::NoSpace,
                format!("The disk is full while writing {what}."),
            );
        }
        Error::new(ErrorKind::Io, format!("{what}: {err}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<Error> for leovms_api::Error {
    fn from(e: Error) -> Self {
        leovms_api::Error::new(e.kind, e.message)
    }
}

impl From<leovms_image::config::ConfigError> for Error {
    fn from(e: leovms_image::config::ConfigError) -> Self {
        Error::config(format!("A settings file on the share is broken: {e}"))
    }
}

impl From<leovms_image::name::NameError> for Error {
    fn from(e: leovms_image::name::NameError) -> Self {
        Error::invalid(e.to_string())
    }
}

impl From<leovms_image::archive::ArchiveError> for Error {
    fn from(e: leovms_image::archive::ArchiveError) -> Self {
        let kind = match e.kind_id() {
            "UnsafeArchive" => ErrorKind::UnsafeArchive,
            "Integrity" => ErrorKind::Integrity,
            "NoSpace" => ErrorKind::NoSpace,
            "Canceled" => ErrorKind::Canceled,
            _ => ErrorKind::Io,
        };
        Error::new(kind, e.to_string())
    }
}
