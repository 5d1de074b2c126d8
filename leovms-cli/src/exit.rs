//! Exit codes and the one error type every command returns.
//!
//! D-Bus method errors and a failed job's `ErrorId` map to the same codes, so scripts
//! see the same number whether a start was refused at once or failed later. The table of
//! the codes after `--help` is in the catalogs (`help-exit-codes`), like docs/cli.md's.

use leovms_api::client::JobEnd;
use leovms_api::{ErrorKind, JobState};

use crate::l10n::fl;

pub const FAILURE: u8 = 1;
pub const USAGE: u8 = 2;
pub const UNREACHABLE: u8 = 3;
/// What a shell reports for a command ended by Ctrl-C (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;
/// What a shell reports for a command whose reader went away (128 + SIGPIPE).
pub const READER_GONE: i32 = 141;

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
        // No code of its own: no command starts a print job (the daemon makes them).
        Some(ErrorKind::PrintFailed | ErrorKind::Io | ErrorKind::Internal) | None => FAILURE,
    }
}

/// Why a command did not succeed. The display text is what the user reads after
/// `leovms: `, in the user's language.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{}", fl!("error-unreachable", why = .0.as_str()))]
    Unreachable(String),
    /// The daemon went away while a job was followed.
    #[error("{0}")]
    Lost(String),
    /// An error reported by the daemon, either for a call or as a job's result; `message`
    /// as the user reads it (see [`leovms_api::explain`]).
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

    /// A job that ended as `failed` or `canceled`, from its `ErrorId`, message and detail.
    pub fn from_job(end: &JobEnd) -> CliError {
        let canceled = end.state == JobState::Canceled;
        let kind = ErrorKind::from_name(&end.error_id).or(canceled.then_some(ErrorKind::Canceled));
        let message = if !end.message.is_empty() {
            end.explain()
        } else if canceled {
            fl!("job-canceled")
        } else {
            fl!("job-failed")
        };
        CliError::Daemon { kind, message }
    }
}

impl From<leovms_api::Error> for CliError {
    fn from(e: leovms_api::Error) -> CliError {
        match (e.kind(), e) {
            (Some(kind), e) => CliError::Daemon {
                kind: Some(kind),
                message: e.explain(),
            },
            (None, leovms_api::Error::ZBus(z)) => z.into(),
            (None, e) => CliError::Other(e.message()),
        }
    }
}

impl From<zbus::Error> for CliError {
    fn from(e: zbus::Error) -> CliError {
        // A leovms error read through a plain proxy call: worded from its detail too.
        if let refused @ leovms_api::Error::Refused(_) = leovms_api::Error::from(e.clone()) {
            return refused.into();
        }
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
        message: fl!("no-such-job", job = number),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(state: JobState, error_id: &str, message: &str) -> JobEnd {
        JobEnd {
            state,
            error_id: error_id.into(),
            message: message.into(),
            detail: Default::default(),
        }
    }

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
            (ErrorKind::PrintFailed, 1),
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
            let job = CliError::from_job(&end(JobState::Failed, &kind.dbus_name(), "m"));
            assert_eq!(call.code(), job.code(), "{kind:?}");
            assert_eq!(call.to_string(), "m");
        }
    }

    #[test]
    fn a_canceled_job_without_error_id_still_exits_10() {
        let e = CliError::from_job(&end(JobState::Canceled, "", ""));
        assert_eq!(e.code(), 10);
        assert_eq!(e.to_string(), "The job was canceled.");
        assert_eq!(
            CliError::from_job(&end(JobState::Failed, "", "boom")).code(),
            1
        );
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
