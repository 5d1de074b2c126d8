use serde::{Deserialize, Serialize};

/// Typed D-Bus errors. Each carries a message written for the person at the screen;
/// clients decide on the kind, never by parsing the message.
#[derive(Debug, Clone, PartialEq, zbus::DBusError)]
#[zbus(prefix = "org.leovms.Error")]
pub enum Error {
    #[zbus(error)]
    ZBus(zbus::Error),
    /// No such VM, snapshot, job or working copy.
    NotFound(String),
    /// A name or argument was refused (bad name, RAM outside the allowed range…).
    InvalidArgument(String),
    /// A configuration file on the share cannot be used (file, line and key in the message).
    InvalidConfig(String),
    /// A file does not match its manifest (checksum or size).
    Integrity(String),
    /// An archive holds something that must never be unpacked (traversal, link, device…).
    UnsafeArchive(String),
    /// Not enough free space; the message names needed and free space.
    NoSpace(String),
    /// The snapshot was made for another base disk; the message names both UUIDs.
    SnapshotMismatch(String),
    /// The VM is already running.
    VmRunning(String),
    /// The VM is not running.
    NotRunning(String),
    /// VirtualBox is not installed or cannot be found.
    VBoxMissing(String),
    /// VirtualBox refused; the message holds its own words.
    VBoxFailed(String),
    /// The share cannot be reached.
    Offline(String),
    /// The job was canceled.
    Canceled(String),
    /// The operation is not possible in the current state (e.g. cancel of a running VM).
    Busy(String),
    /// The user may not write where the job must (e.g. not in group p_leovms).
    PermissionDenied(String),
    /// A file system operation failed.
    Io(String),
    /// Anything else; a bug if it happens.
    Internal(String),
}

/// The error kinds as plain values, e.g. for a job's `ErrorId` and for `--json` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    NotFound,
    InvalidArgument,
    InvalidConfig,
    Integrity,
    UnsafeArchive,
    NoSpace,
    SnapshotMismatch,
    VmRunning,
    NotRunning,
    VBoxMissing,
    VBoxFailed,
    Offline,
    Canceled,
    Busy,
    /// The user may not write where the job must (e.g. not in group p_leovms).
    PermissionDenied,
    Io,
    Internal,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 17] = [
        ErrorKind::NotFound,
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidConfig,
        ErrorKind::Integrity,
        ErrorKind::UnsafeArchive,
        ErrorKind::NoSpace,
        ErrorKind::SnapshotMismatch,
        ErrorKind::VmRunning,
        ErrorKind::NotRunning,
        ErrorKind::VBoxMissing,
        ErrorKind::VBoxFailed,
        ErrorKind::Offline,
        ErrorKind::Canceled,
        ErrorKind::Busy,
        ErrorKind::PermissionDenied,
        ErrorKind::Io,
        ErrorKind::Internal,
    ];

    /// Short name, e.g. `NoSpace`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NotFound",
            ErrorKind::InvalidArgument => "InvalidArgument",
            ErrorKind::InvalidConfig => "InvalidConfig",
            ErrorKind::Integrity => "Integrity",
            ErrorKind::UnsafeArchive => "UnsafeArchive",
            ErrorKind::NoSpace => "NoSpace",
            ErrorKind::SnapshotMismatch => "SnapshotMismatch",
            ErrorKind::VmRunning => "VmRunning",
            ErrorKind::NotRunning => "NotRunning",
            ErrorKind::VBoxMissing => "VBoxMissing",
            ErrorKind::VBoxFailed => "VBoxFailed",
            ErrorKind::Offline => "Offline",
            ErrorKind::Canceled => "Canceled",
            ErrorKind::Busy => "Busy",
            ErrorKind::PermissionDenied => "PermissionDenied",
            ErrorKind::Io => "Io",
            ErrorKind::Internal => "Internal",
        }
    }

    /// Full D-Bus error name, e.g. `org.leovms.Error.NoSpace`; also a job's `ErrorId`.
    pub fn dbus_name(self) -> String {
        format!("{}.{}", crate::ERROR_PREFIX, self.as_str())
    }

    /// Parses a full D-Bus error name or a short name.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        let short = name
            .strip_prefix(crate::ERROR_PREFIX)
            .and_then(|s| s.strip_prefix('.'))
            .unwrap_or(name);
        Self::ALL.into_iter().find(|k| k.as_str() == short)
    }
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        let m = message.into();
        match kind {
            ErrorKind::NotFound => Error::NotFound(m),
            ErrorKind::InvalidArgument => Error::InvalidArgument(m),
            ErrorKind::InvalidConfig => Error::InvalidConfig(m),
            ErrorKind::Integrity => Error::Integrity(m),
            ErrorKind::UnsafeArchive => Error::UnsafeArchive(m),
            ErrorKind::NoSpace => Error::NoSpace(m),
            ErrorKind::SnapshotMismatch => Error::SnapshotMismatch(m),
            ErrorKind::VmRunning => Error::VmRunning(m),
            ErrorKind::NotRunning => Error::NotRunning(m),
            ErrorKind::VBoxMissing => Error::VBoxMissing(m),
            ErrorKind::VBoxFailed => Error::VBoxFailed(m),
            ErrorKind::Offline => Error::Offline(m),
            ErrorKind::Canceled => Error::Canceled(m),
            ErrorKind::Busy => Error::Busy(m),
            ErrorKind::PermissionDenied => Error::PermissionDenied(m),
            ErrorKind::Io => Error::Io(m),
            ErrorKind::Internal => Error::Internal(m),
        }
    }

    /// The kind, or `None` for transport errors (bus gone, daemon not running…).
    pub fn kind(&self) -> Option<ErrorKind> {
        Some(match self {
            Error::ZBus(_) => return None,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::InvalidConfig(_) => ErrorKind::InvalidConfig,
            Error::Integrity(_) => ErrorKind::Integrity,
            Error::UnsafeArchive(_) => ErrorKind::UnsafeArchive,
            Error::NoSpace(_) => ErrorKind::NoSpace,
            Error::SnapshotMismatch(_) => ErrorKind::SnapshotMismatch,
            Error::VmRunning(_) => ErrorKind::VmRunning,
            Error::NotRunning(_) => ErrorKind::NotRunning,
            Error::VBoxMissing(_) => ErrorKind::VBoxMissing,
            Error::VBoxFailed(_) => ErrorKind::VBoxFailed,
            Error::Offline(_) => ErrorKind::Offline,
            Error::Canceled(_) => ErrorKind::Canceled,
            Error::Busy(_) => ErrorKind::Busy,
            Error::PermissionDenied(_) => ErrorKind::PermissionDenied,
            Error::Io(_) => ErrorKind::Io,
            Error::Internal(_) => ErrorKind::Internal,
        })
    }

    /// The human message without the error name.
    pub fn message(&self) -> String {
        match self {
            Error::ZBus(e) => e.to_string(),
            Error::NotFound(m)
            | Error::InvalidArgument(m)
            | Error::InvalidConfig(m)
            | Error::Integrity(m)
            | Error::UnsafeArchive(m)
            | Error::NoSpace(m)
            | Error::SnapshotMismatch(m)
            | Error::VmRunning(m)
            | Error::NotRunning(m)
            | Error::VBoxMissing(m)
            | Error::VBoxFailed(m)
            | Error::Offline(m)
            | Error::Canceled(m)
            | Error::Busy(m)
            | Error::PermissionDenied(m)
            | Error::Io(m)
            | Error::Internal(m) => m.clone(),
        }
    }
}

/// The D-Bus error name of a transport error, when it is an error reply.
pub fn dbus_error_name(e: &zbus::Error) -> Option<String> {
    match e {
        zbus::Error::MethodError(name, _, _) => Some(name.as_str().to_string()),
        zbus::Error::FDO(fdo) => Some(zbus::DBusError::name(&**fdo).as_str().to_string()),
        _ => None,
    }
}

/// The object does not exist, e.g. a job that ended a while ago and was removed.
pub fn is_unknown_object(e: &zbus::Error) -> bool {
    dbus_error_name(e).as_deref() == Some("org.freedesktop.DBus.Error.UnknownObject")
}

/// D-Bus error names that mean: nobody answers for the daemon's name (not installed,
/// cannot be started, the bus is gone).
pub fn is_unreachable_name(name: &str) -> bool {
    let Some(short) = name.strip_prefix("org.freedesktop.DBus.Error.") else {
        return false;
    };
    matches!(
        short,
        "ServiceUnknown"
            | "NameHasNoOwner"
            | "NoReply"
            | "NoServer"
            | "Disconnected"
            | "TimedOut"
            | "Timeout"
    ) || short.starts_with("Spawn.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name_and_error() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_name(&kind.dbus_name()), Some(kind));
            assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
            let err = Error::new(kind, "m");
            assert_eq!(err.kind(), Some(kind));
            assert_eq!(err.message(), "m");
            let name = zbus::DBusError::name(&err);
            assert_eq!(name.as_str(), kind.dbus_name());
        }
        assert_eq!(ErrorKind::from_name("org.leovms.Error.Nope"), None);
    }
}
