//! The daemon's errors in the user's language. English users read the daemon's own
//! sentence. Everyone else reads a sentence of the catalog worded from the error's
//! [`Detail`], or, when there is none or this client does not know the sentence (a newer
//! daemon), the kind's headline with the daemon's text as the detail.

use leovms_l10n::fl;
use leovms_l10n::i18n_embed::fluent::FluentLanguageLoader;
use leovms_l10n::{Lang, lang};

use crate::l10n::LOADER;
use crate::{Detail, ErrorKind, JobState};

mod doing;
mod sentence;

use sentence::sentence;

/// Says an error (`kind` `None`: a transport error) to the person at the screen.
pub fn explain(kind: Option<ErrorKind>, message: &str, detail: &Detail) -> String {
    explain_in(&LOADER, lang(), kind, message, detail)
}

fn explain_in(
    loader: &FluentLanguageLoader,
    lang: Lang,
    kind: Option<ErrorKind>,
    message: &str,
    detail: &Detail,
) -> String {
    if lang == Lang::En {
        return message.to_string();
    }
    if let Some(sentence) = sentence(loader, lang, detail) {
        return sentence;
    }
    let headline = match kind {
        Some(kind) => headline(loader, kind),
        None => fl!(loader, "error-transport"),
    };
    if message.is_empty() {
        headline
    } else {
        fl!(
            loader,
            "error-with-detail",
            headline = headline,
            detail = message
        )
    }
}

/// How a job that went well ended, in the user's language: the daemon's own message in
/// English, else the sentence its detail names; `None` when this client has no words for
/// it (the client then shows the message as the daemon's).
pub fn outcome(message: &str, detail: &Detail) -> Option<String> {
    match lang() {
        Lang::En => Some(message.to_string()),
        lang => sentence(&LOADER, lang, detail),
    }
}

/// A job's message (what it does now, or how it ended) in the user's language: a failure
/// as [`explain`] says it, anything else as [`outcome`] does, or as the daemon wrote it
/// when this client has no words for it.
pub(crate) fn job(state: JobState, error_id: &str, message: &str, detail: &Detail) -> String {
    match state {
        JobState::Failed | JobState::Canceled => {
            explain(ErrorKind::from_name(error_id), message, detail)
        }
        _ => outcome(message, detail).unwrap_or_else(|| message.to_string()),
    }
}

/// Why something cannot be used now (a machine's or snapshot's `problem`), in the user's
/// language: the daemon's own text in English, else the sentence its detail names, else a
/// headline with the daemon's text as the detail. Empty stays empty.
pub fn problem(message: &str, detail: &Detail) -> String {
    if message.is_empty() || lang() == Lang::En {
        return message.to_string();
    }
    sentence(&LOADER, lang(), detail).unwrap_or_else(|| {
        let headline = fl!(LOADER, "problem-unknown");
        fl!(
            LOADER,
            "error-with-detail",
            headline = headline,
            detail = message
        )
    })
}

/// A share's state (`ShareInfo`'s reason and hint, `own` in the daemon's words) in the
/// user's language.
pub(crate) fn share(own: &str, detail: &Detail) -> String {
    if own.is_empty() || lang() == Lang::En {
        return own.to_string();
    }
    sentence(&LOADER, lang(), detail).unwrap_or_else(|| {
        let headline = fl!(LOADER, "share-unknown");
        fl!(
            LOADER,
            "error-with-detail",
            headline = headline,
            detail = own
        )
    })
}

impl ErrorKind {
    /// What went wrong, in one short sentence of the user's language.
    pub fn headline(self) -> String {
        headline(&LOADER, self)
    }
}

fn headline(loader: &FluentLanguageLoader, kind: ErrorKind) -> String {
    match kind {
        ErrorKind::NotFound => fl!(loader, "error-not-found"),
        ErrorKind::InvalidArgument => fl!(loader, "error-invalid-argument"),
        ErrorKind::InvalidConfig => fl!(loader, "error-invalid-config"),
        ErrorKind::Integrity => fl!(loader, "error-integrity"),
        ErrorKind::UnsafeArchive => fl!(loader, "error-unsafe-archive"),
        ErrorKind::NoSpace => fl!(loader, "error-no-space"),
        ErrorKind::SnapshotMismatch => fl!(loader, "error-snapshot-mismatch"),
        ErrorKind::VmRunning => fl!(loader, "error-vm-running"),
        ErrorKind::NotRunning => fl!(loader, "error-not-running"),
        ErrorKind::VBoxMissing => fl!(loader, "error-vbox-missing"),
        ErrorKind::VBoxFailed => fl!(loader, "error-vbox-failed"),
        ErrorKind::Offline => fl!(loader, "error-offline"),
        ErrorKind::Canceled => fl!(loader, "error-canceled"),
        ErrorKind::Busy => fl!(loader, "error-busy"),
        ErrorKind::PermissionDenied => fl!(loader, "error-permission-denied"),
        ErrorKind::PrintFailed => fl!(loader, "error-print-failed"),
        ErrorKind::Io => fl!(loader, "error-io"),
        ErrorKind::Internal => fl!(loader, "error-internal"),
    }
}

#[cfg(test)]
mod tests;
