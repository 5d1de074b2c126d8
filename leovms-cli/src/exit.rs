//! Exit codes and the one error type every command returns.
//!
//! D-Bus method errors and a failed job's `ErrorId` map to the same codes, so scripts
//! see the same number whether a start was refused at once or failed later.

use leovms_api::ErrorKind;

pub const FAILURE: u8 = 1;
pub const USAGE: u8 = 2;
pub const UNREACHABLE: u8 = 3;
/// What a shell reports for a command ended by Ctrl-C (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;
/// What a shell reports for a command whose reader went away (128 + SIGPIPE).
pub const READER_GONE: i32 = 141;

/// The exit-code table as shown after `--help` and in docs/cli.md: the codes
/// right-aligned, the meanings in one column (checked by a test).
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
    0  success
    1  other failure
    2  usage error
    3  leovmsd cannot be reached
    4  not found (VM, snapshot or job)
    5  invalid argument or configuration
    6  not enough free space
    7  damaged or unsafe file, or snapshot does not fit the base
    8  VM already running, not running, or busy
    9  VirtualBox missing or failed
   10  canceled
   11  server share offline
   12  not allowed to write there (e.g. the upload share without group p_leovms)
  130  interrupted (Ctrl-C); a followed job goes on in the background
  141  the reader of the output went away (e.g. `| head -1`)";

/// The exit code for an error kind; `None` (not a leovms error) is a plain failure.
pub fn code_for(kind: Option<ErrorKind>) -> u8 {
    match kind {
        Some(ErrorKind::NotFound) => 4,
        Some(ErrorKind::InvalidArgument | ErrorKind::InvalidConfig) => 5,
        Some(ErrorKind::NoSpace) => 6,
        Some(ErrorKind::Integrity | ErrorKind::UnsafeArchive | ErrorKind::SnapshotMismatch) => 7,
        Some(ErrorKind::VmRunning | ErrorKind::NotRunning | ErrorKind::Busy) => 8,
        Some(ErrorKind::VBoxMissing | ErrorKind::VBoxFailed) => 9,
        Some(ErrorKind::Canceled) => 10,
        Some(ErrorKind::Offline) => 11,
        Some(ErrorKind::PermissionDenied) => 12,
        Some(ErrorKind::Io | ErrorKind::Internal) | None => FAILURE,
    }
}

/// Why a command did not succeed. The display text is what the user reads after `leovms: `.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("leovmsd is not running and could not be started (no D-Bus session bus?): {0}")]
    Unreachable(String),
    /// The daemon went away while a job was followed.
    #[error("{0}")]
    Lost(String),
    /// An error reported by the daemon, either for a call or as a job's result.
    #[error("{message}")]
    Daemon {
        kind: Option<ErrorKind>,
        message: String,
    },
    #[error("{0}")]
    Other(String),
    /// Ctrl-C; what to do next was already printed.
    #[error("interrupted")]
    Interrupted,
}

impl CliError {
    pub fn code(&self) -> u8 {
        match self {
            CliError::Usage(_) => USAGE,
            CliError::Unreachable(_) | CliError::Lost(_) => UNREACHABLE,
            CliError::Daemon { kind, .. } => code_for(*kind),
            CliError::Other(_) => FAILURE,
            CliError::Interrupted => INTERRUPTED,
        }
    }

    /// A job that ended as `failed` or `canceled`, from its `ErrorId` and message.
    pub fn from_job(error_id: &str, message: &str, canceled: bool) -> CliError {
        let kind = ErrorKind::from_name(error_id).or(canceled.then_some(ErrorKind::Canceled));
        let message = if message.is_empty() {
            if canceled {
                "The job was canceled."
            } else {
                "The job failed."
            }
            .to_string()
        } else {
            message.to_string()
        };
        CliError::Daemon { kind, message }
    }
}

impl From<leovms_api::Error> for CliError {
    fn from(e: leovms_api::Error) -> CliError {
        match (e.kind(), e) {
            (Some(kind), e) => CliError::Daemon {
                kind: Some(kind),
                message: e.message(),
            },
            (None, leovms_api::Error::ZBus(z)) => z.into(),
            (None, e) => CliError::Other(e.message()),
        }
    }
}

impl From<zbus::Error> for CliError {
    fn from(e: zbus::Error) -> CliError {
        let name = leovms_api::dbus_error_name(&e);
        let text = match &e {
            zbus::Error::MethodError(_, Some(detail), _) => detail.clone(),
            _ => e.to_string(),
        };
        match name.as_deref() {
            // A property read can carry a leovms error, too.
            Some(n) if n.starts_with(leovms_api::ERROR_PREFIX) => CliError::Daemon {
                kind: ErrorKind::from_name(n),
                message: text,
            },
            _ if leovms_api::client::is_unreachable(&e) => CliError::Unreachable(text),
            Some("org.freedesktop.DBus.Error.UnknownObject") => CliError::Daemon {
                kind: Some(ErrorKind::NotFound),
                message: text,
            },
            _ => CliError::Other(text),
        }
    }
}

/// What a job number that the daemon does not know turns into.
pub fn no_such_job(number: &str) -> CliError {
    CliError::Daemon {
        kind: Some(ErrorKind::NotFound),
        message: format!("There is no job {number}. See `leovms-cli jobs`."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_documented_code() {
        let expected = [
            (ErrorKind::NotFound, 4),
            (ErrorKind::InvalidArgument, 5),
            (ErrorKind::InvalidConfig, 5),
            (ErrorKind::Integrity, 7),
            (ErrorKind::UnsafeArchive, 7),
            (ErrorKind::NoSpace, 6),
            (ErrorKind::SnapshotMismatch, 7),
            (ErrorKind::VmRunning, 8),
            (ErrorKind::NotRunning, 8),
            (ErrorKind::VBoxMissing, 9),
            (ErrorKind::VBoxFailed, 9),
            (ErrorKind::Offline, 11),
            (ErrorKind::Canceled, 10),
            (ErrorKind::Busy, 8),
            (ErrorKind::PermissionDenied, 12),
            (ErrorKind::Io, 1),
            (ErrorKind::Internal, 1),
        ];
        assert_eq!(expected.len(), ErrorKind::ALL.len());
        for (kind, code) in expected {
            assert_eq!(code_for(Some(kind)), code, "{kind:?}");
        }
        assert_eq!(code_for(None), 1);
    }

    #[test]
    fn method_errors_and_job_results_map_alike() {
        for kind in ErrorKind::ALL {
            let call: CliError = leovms_api::Error::new(kind, "m").into();
            let job = CliError::from_job(&kind.dbus_name(), "m", false);
            assert_eq!(call.code(), job.code(), "{kind:?}");
            assert_eq!(call.to_string(), "m");
        }
    }

    #[test]
    fn a_canceled_job_without_error_id_still_exits_10() {
        let e = CliError::from_job("", "", true);
        assert_eq!(e.code(), 10);
        assert_eq!(e.to_string(), "The job was canceled.");
        assert_eq!(CliError::from_job("", "boom", false).code(), 1);
    }

    #[test]
    fn transport_errors_mean_unreachable() {
        let e: CliError = zbus::Error::from(zbus::fdo::Error::ServiceUnknown("no".into())).into();
        assert_eq!(e.code(), UNREACHABLE);
        assert!(e.to_string().starts_with("leovmsd is not running"));
        let gone = zbus::Error::from(zbus::fdo::Error::UnknownObject("gone".into()));
        assert!(leovms_api::is_unknown_object(&gone));
        assert_eq!(CliError::from(gone).code(), 4);
        let e: CliError = zbus::Error::InvalidReply.into();
        assert_eq!(e.code(), FAILURE);
    }
}
