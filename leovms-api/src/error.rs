use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use zbus::message::{Header, Message};
use zbus::names::ErrorName;

/// Named values of an error, so that a client can say it in its user's language: `id`
/// names the sentence (e.g. `vm-running`), the other keys fill it (`vm`, `need`…). Sent
/// (`a{ss}`) with a failed job, and as the second argument of an error reply to a
/// connection that called `EnableErrorDetail` (GLib's clients show no message of an error
/// with a longer body, so other callers get the message alone).
pub type Detail = HashMap<String, String>;

/// The daemon's typed errors: a kind (the D-Bus error name `org.leovms.Error.<Kind>`), the
/// daemon's English sentence (for logs and `--json`) and its [`Detail`]; or a transport
/// error (bus gone, daemon not running…). Clients decide on the kind, never by parsing the
/// message, and show it with [`Error::explain`].
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    Refused(Refusal),
    ZBus(zbus::Error),
}

/// A refusal of the daemon or the store service.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub kind: ErrorKind,
    pub message: String,
    /// Empty when the sender sent none (see [`Detail`]).
    pub detail: Detail,
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
    /// A document the VM printed was not printed: no printer, the printer refused it, or
    /// it is not a PDF (the detail says which).
    PrintFailed,
    Io,
    Internal,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 18] = [
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
        ErrorKind::PrintFailed,
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
            ErrorKind::PrintFailed => "PrintFailed",
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
        Error::Refused(Refusal {
            kind,
            message: message.into(),
            detail: Detail::new(),
        })
    }

    /// A refused argument (bad name, unknown option…).
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// The kind, or `None` for transport errors (bus gone, daemon not running…).
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Error::Refused(r) => Some(r.kind),
            Error::ZBus(_) => None,
        }
    }

    /// The sender's own text without the error name (English from the daemon).
    pub fn message(&self) -> String {
        match self {
            Error::Refused(r) => r.message.clone(),
            Error::ZBus(e) => e.to_string(),
        }
    }

    /// The named values of a refusal (empty for a transport error, or when the sender
    /// sent none).
    pub fn detail(&self) -> Option<&Detail> {
        match self {
            Error::Refused(r) => Some(&r.detail),
            Error::ZBus(_) => None,
        }
    }

    /// The error for the person at the screen, in their language (see [`crate::explain`]).
    pub fn explain(&self) -> String {
        let none = Detail::new();
        crate::explain(self.kind(), &self.message(), self.detail().unwrap_or(&none))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Refused(r) => write!(f, "{}: {}", r.kind.dbus_name(), r.message),
            Error::ZBus(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl zbus::DBusError for Error {
    /// The reply's body is the message alone (`s`): GLib's clients (`gdbus`) show no
    /// message of an error with a longer body.
    fn create_reply(&self, call: &Header<'_>) -> zbus::Result<Message> {
        let message = match self {
            Error::Refused(r) => r.message.clone(),
            Error::ZBus(e) => e.to_string(),
        };
        Message::error(call, self.name())?.build(&(message,))
    }

    fn name(&self) -> ErrorName<'_> {
        match self {
            Error::Refused(r) => ErrorName::from_string_unchecked(r.kind.dbus_name()),
            Error::ZBus(zbus::Error::MethodError(name, _, _)) => {
                ErrorName::from_str_unchecked(name.as_str())
            }
            Error::ZBus(zbus::Error::FDO(e)) => zbus::DBusError::name(&**e),
            Error::ZBus(_) => {
                ErrorName::from_static_str_unchecked("org.freedesktop.DBus.Error.Failed")
            }
        }
    }

    fn description(&self) -> Option<&str> {
        match self {
            Error::Refused(r) => Some(&r.message),
            Error::ZBus(zbus::Error::MethodError(_, message, _)) => message.as_deref(),
            Error::ZBus(_) => None,
        }
    }
}

/// An error reply named `org.leovms.Error.<Kind>` becomes a [`Refusal`], with the detail
/// when the reply has one; anything else stays a transport error.
impl From<zbus::Error> for Error {
    fn from(e: zbus::Error) -> Self {
        let zbus::Error::MethodError(name, message, reply) = &e else {
            return Error::ZBus(e);
        };
        let Some(kind) = ErrorKind::from_name(name.as_str()) else {
            return Error::ZBus(e);
        };
        // `(s)` from a plain sender: no detail.
        let detail = reply
            .body()
            .deserialize::<(String, Detail)>()
            .map(|(_, detail)| detail)
            .ok();
        Error::Refused(Refusal {
            kind,
            message: message.clone().unwrap_or_default(),
            detail: detail.unwrap_or_default(),
        })
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
