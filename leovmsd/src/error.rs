//! The daemon's error: a kind from the contract plus a message for the person at the
//! screen. Lower layers keep their own typed errors; they are classified here, once.

use std::fmt;

use leovms_api::{Detail, ErrorKind};

#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub kind: ErrorKind,
    /// The English sentence, for logs, `--json` and clients that cannot word `detail`.
    pub message: String,
    /// The sentence's id and values, so that clients say it in their user's language.
    pub detail: Detail,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Every error is made here, so its message is wire-safe wherever it goes: a reply,
    /// a job, a listing's problem, the log.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: wire_safe(&message.into()),
            detail: Detail::new(),
        }
    }

    /// The same error, naming its sentence `id` with `values` (see `leovms_api::Detail`).
    pub fn said(mut self, id: &str, values: &[(&str, &dyn fmt::Display)]) -> Error {
        self.detail = detail(id, values);
        self
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
        Error::new(ErrorKind::Canceled, "Canceled.").said("canceled", &[])
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

/// What a job that went well says: its English sentence and the sentence's detail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub message: String,
    pub detail: Detail,
}

impl Outcome {
    /// The same outcome, naming its sentence `id` with `values` (as [`Error::said`]).
    pub fn said(mut self, id: &str, values: &[(&str, &dyn fmt::Display)]) -> Outcome {
        self.detail = detail(id, values);
        self
    }
}

impl From<String> for Outcome {
    fn from(message: String) -> Outcome {
        Outcome {
            message: wire_safe(&message),
            detail: Detail::new(),
        }
    }
}

impl From<&str> for Outcome {
    fn from(message: &str) -> Outcome {
        message.to_string().into()
    }
}

/// A sentence's detail: `id` and the values, each made wire-safe.
pub fn detail(id: &str, values: &[(&str, &dyn fmt::Display)]) -> Detail {
    let mut detail = Detail::from([("id".to_string(), id.to_string())]);
    for (key, value) in values {
        detail.insert((*key).into(), wire_safe(&value.to_string()));
    }
    detail
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

/// Longest text the daemon puts into one error or job message, in bytes.
pub const WIRE_MAX: usize = 4096;

/// A message as it may go on the bus, whatever it quotes: a NUL makes the whole D-Bus
/// message invalid (the bus then drops the daemon), other control characters and
/// direction overrides garble a terminal or a panel. They become U+FFFD; line breaks stay.
/// Texts from outside are checked where they enter; this is the last line of defense.
pub fn wire_safe(text: &str) -> String {
    let bad = |c: char| c != '\n' && leovms_image::text::is_unsafe(c);
    let mut out: String = text
        .chars()
        .map(|c| if bad(c) { '\u{fffd}' } else { c })
        .collect();
    if out.len() > WIRE_MAX {
        let mut cut = WIRE_MAX - '…'.len_utf8();
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
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
        use leovms_image::archive::ArchiveErrorKind as Archive;
        let kind = match e.kind() {
            Archive::UnsafeArchive => ErrorKind::UnsafeArchive,
            Archive::Integrity => ErrorKind::Integrity,
            Archive::NoSpace => ErrorKind::NoSpace,
            Archive::Canceled => ErrorKind::Canceled,
            Archive::Io => ErrorKind::Io,
        };
        Error::new(kind, e.to_string())
    }
}

/// A step run on the blocking pool (see `blocking`) that panicked or was cut off: a bug
/// or a runtime going down, never the user's doing.
impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        if e.is_cancelled() {
            return Error::internal(
                "An internal step of leovmsd was cut off because the daemon is shutting down.",
            );
        }
        let payload = e.into_panic();
        let why = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        Error::internal(format!(
            "An internal step of leovmsd failed unexpectedly ({why}). Please report this to the school's admin."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_safe_replaces_controls_and_bounds_the_length() {
        assert_eq!(wire_safe("Lab\0 2028"), "Lab\u{fffd} 2028");
        assert_eq!(
            wire_safe("a\x1b[2Jb\r\tc\u{85}d\u{202e}e"),
            "a\u{fffd}[2Jb\u{fffd}\u{fffd}c\u{fffd}d\u{fffd}e"
        );
        assert_eq!(wire_safe("two\nlines – Prüfung"), "two\nlines – Prüfung");
        let long = wire_safe(&"ä".repeat(5000));
        assert!(
            long.len() <= WIRE_MAX && long.ends_with('…'),
            "{}",
            long.len()
        );
        assert_eq!(wire_safe(&"x".repeat(WIRE_MAX)).len(), WIRE_MAX);
    }

    #[test]
    fn archive_errors_keep_their_kind() {
        use leovms_image::archive::ArchiveError;
        let e = Error::from(ArchiveError::Canceled);
        assert_eq!(e.kind, ErrorKind::Canceled);
    }

    #[tokio::test]
    async fn a_panicked_task_is_an_internal_error_naming_the_panic() {
        let joined = tokio::task::spawn(async { panic!("bad state") }).await;
        let e = Error::from(joined.unwrap_err());
        assert_eq!(e.kind, ErrorKind::Internal);
        assert!(e.message.contains("bad state"), "{}", e.message);
        let aborted = tokio::task::spawn(std::future::pending::<()>());
        aborted.abort();
        let e = Error::from(aborted.await.unwrap_err());
        assert_eq!(e.kind, ErrorKind::Internal);
        assert!(e.message.contains("cut off"), "{}", e.message);
    }

    #[test]
    fn error_replies_are_wire_safe() {
        let e = leovms_api::Error::from(Error::invalid("bad \0 name"));
        assert_eq!(e, leovms_api::Error::invalid("bad \u{fffd} name"));
        let said = Error::not_found("No VM named x.").said("no-such-vm", &[("vm", &"x\0")]);
        assert_eq!(said.detail["id"], "no-such-vm");
        assert_eq!(said.detail["vm"], "x\u{fffd}");
    }
}
