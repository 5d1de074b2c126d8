//! The daemon's errors in the user's language. English users read the daemon's own
//! sentence. Everyone else reads a sentence of the catalog worded from the error's
//! [`Detail`], or, when there is none or this client does not know the sentence (a newer
//! daemon), the kind's headline with the daemon's text as the detail.

use leovms_l10n::fl;
use leovms_l10n::i18n_embed::fluent::FluentLanguageLoader;
use leovms_l10n::{Lang, lang};

use crate::l10n::LOADER;
use crate::units::format_gb_in;
use crate::{Detail, ErrorKind};

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

/// The sentence a detail names, when this client knows it and has every value.
fn sentence(loader: &FluentLanguageLoader, lang: Lang, detail: &Detail) -> Option<String> {
    let text = |key: &str| detail.get(key).map(String::as_str);
    let size = |key: &str| Some(format_gb_in(lang, text(key)?.parse().ok()?));
    let (vm, other) = (|| text("vm"), || text("other"));
    // This PC as a student names it: its host name, and its room when known.
    let pc = || {
        let host = text("host")?;
        Some(match text("room")? {
            "" => host.to_string(),
            room => fl!(loader, "pc-in-room", host = host, room = room),
        })
    };
    // A share's reason is followed by what the user can do about it.
    let with_hint = |reason: String| {
        let hint = match text("hint")? {
            "relogin" => fl!(loader, "share-hint-relogin"),
            "network" => fl!(loader, "share-hint-network"),
            "access" => fl!(loader, "share-hint-access"),
            "upload-access" => fl!(loader, "share-hint-upload-access"),
            "" => return Some(reason),
            _ => return None,
        };
        Some(format!("{reason} {hint}"))
    };
    let share = || text("share");
    Some(match text("id")? {
        "share-not-mounted" => with_hint(fl!(
            loader,
            "share-not-mounted",
            share = share()?,
            path = text("path")?
        ))?,
        "share-connected" => with_hint(fl!(
            loader,
            "share-connected",
            share = share()?,
            fstype = text("fstype")?,
            source = text("source")?,
            empty = text("empty")?
        ))?,
        "share-local" => with_hint(fl!(
            loader,
            "share-local",
            share = share()?,
            path = text("path")?
        ))?,
        "share-not-answering" => with_hint(fl!(
            loader,
            "share-not-answering",
            share = share()?,
            why = text("why")?,
            on = match text("fstype")? {
                "" => String::new(),
                fstype => fl!(
                    loader,
                    "share-on",
                    fstype = fstype,
                    source = text("source")?
                ),
            }
        ))?,
        "share-unreadable" => with_hint(fl!(
            loader,
            "share-unreadable",
            share = share()?,
            path = text("path")?,
            error = text("error")?
        ))?,
        "share-denied" => with_hint(fl!(
            loader,
            "share-denied",
            share = share()?,
            path = text("path")?
        ))?,
        "share-not-folder" => with_hint(fl!(
            loader,
            "share-not-folder",
            share = share()?,
            path = text("path")?
        ))?,
        "share-unchecked" => with_hint(fl!(loader, "share-unchecked", error = text("error")?))?,
        "mount-table-unreadable" => with_hint(fl!(
            loader,
            "mount-table-unreadable",
            error = text("error")?
        ))?,
        "vm-running" => fl!(loader, "failure-vm-running", vm = vm()?),
        "other-vm-running" => fl!(
            loader,
            "failure-other-vm-running",
            vm = vm()?,
            other = other()?
        ),
        "other-vm-starting" => {
            fl!(
                loader,
                "failure-other-vm-starting",
                vm = vm()?,
                other = other()?
            )
        }
        "starting-otherwise" => fl!(loader, "failure-starting-otherwise", vm = vm()?),
        "not-running" => fl!(loader, "failure-not-running", vm = vm()?),
        "window-still-open" => fl!(
            loader,
            "failure-window-still-open",
            vm = vm()?,
            seconds = text("seconds")?
        ),
        "cancel-running" => fl!(loader, "failure-cancel-running", vm = vm()?),
        "job-ended" => fl!(loader, "failure-job-ended"),
        "no-such-vm" => fl!(loader, "failure-no-such-vm", vm = vm()?),
        "no-such-snapshot" => fl!(
            loader,
            "failure-no-such-snapshot",
            vm = vm()?,
            snapshot = text("snapshot")?
        ),
        "not-offline" => fl!(loader, "failure-not-offline", vm = vm()?),
        "not-for-you" => fl!(loader, "failure-not-for-you", vm = vm()?),
        "not-here" => fl!(loader, "failure-not-here", vm = vm()?, pc = pc()?),
        "never-used" => fl!(loader, "failure-never-used", vm = vm()?),
        "as-found-base-renewed" => fl!(loader, "failure-as-found-base-renewed", vm = vm()?),
        "as-found-settings-damaged" => fl!(
            loader,
            "failure-as-found-settings-damaged",
            vm = vm()?,
            error = text("error")?
        ),
        "as-found-saved-state" => fl!(loader, "failure-as-found-saved-state", vm = vm()?),
        "share-unavailable" => fl!(
            loader,
            "failure-share-unavailable",
            path = text("path")?,
            reason = text("reason")?
        ),
        "another-vm-running" => fl!(loader, "failure-another-vm-running", vm = vm()?),
        "no-space" => fl!(
            loader,
            "failure-no-space",
            need = size("need")?,
            free = size("free")?,
            dir = text("dir")?
        ),
        "disk-full-copy" => fl!(
            loader,
            "failure-disk-full-copy",
            file = text("file")?,
            dir = text("dir")?
        ),
        "share-stopped" => fl!(loader, "failure-share-stopped", file = text("file")?),
        "vbox-missing" => fl!(loader, "failure-vbox-missing"),
        "vbox-failed" => fl!(loader, "failure-vbox-failed", vbox = text("vbox")?),
        "vbox-start-failed" => fl!(loader, "failure-vbox-start-failed", vbox = text("vbox")?),
        "vm-ended" => fl!(
            loader,
            "failure-vm-ended",
            vm = vm()?,
            code = text("code")?,
            vbox = text("vbox")?
        ),
        "canceled" => fl!(loader, "failure-canceled"),
        "not-synced" => fl!(loader, "problem-not-synced", vm = vm()?),
        "no-snapshot-cached" => fl!(loader, "problem-no-snapshot-cached"),
        "snapshot-not-cached" => {
            fl!(
                loader,
                "problem-snapshot-not-cached",
                snapshot = text("snapshot")?
            )
        }
        "base-renewed" => fl!(loader, "problem-base-renewed"),
        "settings-damaged" => fl!(loader, "problem-settings-damaged", error = text("error")?),
        "saved-state" => fl!(loader, "problem-saved-state"),
        "room-unknown" => fl!(
            loader,
            "problem-room-unknown",
            vm = vm()?,
            hosts = text("hosts")?,
            host = text("host")?,
            account = text("account")?
        ),
        "snapshot-room-unknown" => fl!(
            loader,
            "problem-snapshot-room-unknown",
            vm = vm()?,
            snapshot = text("snapshot")?,
            hosts = text("hosts")?,
            host = text("host")?,
            account = text("account")?
        ),
        "snapshot-not-here" => fl!(
            loader,
            "problem-snapshot-not-here",
            vm = vm()?,
            snapshot = text("snapshot")?,
            pc = pc()?
        ),
        "powered-off" => fl!(loader, "done-powered-off", vm = vm()?),
        "synced" => {
            let ready = fl!(
                loader,
                "done-synced",
                vm = vm()?,
                size = size("size")?,
                dir = text("dir")?
            );
            match text("resumed")? {
                "0" => ready,
                _ => fl!(
                    loader,
                    "done-synced-resumed",
                    ready = ready,
                    resumed = size("resumed")?
                ),
            }
        }
        "uploaded" => fl!(loader, "done-uploaded", vm = vm()?, label = text("label")?),
        "cache-intact" => fl!(
            loader,
            "done-cache-intact",
            count = text("count")?,
            size = size("size")?
        ),
        "cache-damaged" => fl!(
            loader,
            "done-cache-damaged",
            count = text("count")?,
            size = size("size")?,
            damaged = text("damaged")?,
            list = text("list")?
        ),
        _ => return None,
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
        ErrorKind::Io => fl!(loader, "error-io"),
        ErrorKind::Internal => fl!(loader, "error-internal"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::l10n::Catalogs;

    fn detail(pairs: &[(&str, &str)]) -> Detail {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn german(kind: ErrorKind, message: &str, d: &Detail) -> String {
        let de = leovms_l10n::loader_in(Lang::De, "leovms-api", &Catalogs);
        explain_in(&de, Lang::De, Some(kind), message, d)
    }

    #[test]
    fn a_known_refusal_is_worded_in_german_from_its_values() {
        let d = detail(&[
            ("id", "no-space"),
            ("need", "5000000000"),
            ("free", "1500000000"),
            ("dir", "/home/x"),
        ]);
        assert_eq!(
            german(ErrorKind::NoSpace, "Not enough space…", &d),
            "Nicht genug Speicherplatz in /home/x: 5,0 GB nötig, 1,5 GB frei."
        );
        let d = detail(&[("id", "vm-running"), ("vm", "Win10")]);
        let text = german(ErrorKind::VmRunning, "Win10 is already running.", &d);
        assert!(text.starts_with("Win10 läuft bereits."), "{text}");
    }

    #[test]
    fn an_unknown_or_incomplete_refusal_gets_the_german_headline_and_the_raw_detail() {
        let newer = detail(&[("id", "printer-jammed"), ("vm", "Win10")]);
        assert_eq!(
            german(ErrorKind::Busy, "The printer is jammed.", &newer),
            "Das geht gerade nicht. Details: The printer is jammed."
        );
        let no_vm = detail(&[("id", "vm-running")]);
        assert_eq!(
            german(ErrorKind::VmRunning, "x", &no_vm),
            "Die VM läuft bereits. Details: x"
        );
        let de = leovms_l10n::loader_in(Lang::De, "leovms-api", &Catalogs);
        assert_eq!(
            explain_in(&de, Lang::De, None, "", &Detail::new()),
            "Der leovms-Dienst antwortet nicht."
        );
    }

    #[test]
    fn english_reads_the_daemons_own_sentence() {
        let en = leovms_l10n::loader_in(Lang::En, "leovms-api", &Catalogs);
        let d = detail(&[("id", "vm-running"), ("vm", "Win10")]);
        let own = "Win10 is already running. Close it first, or use it as it is.";
        assert_eq!(
            explain_in(&en, Lang::En, Some(ErrorKind::VmRunning), own, &d),
            own
        );
    }

    #[test]
    fn how_a_job_ended_well_is_worded_in_german() {
        let de = leovms_l10n::loader_in(Lang::De, "leovms-api", &Catalogs);
        let synced = detail(&[
            ("id", "synced"),
            ("vm", "Win10"),
            ("size", "2500000000"),
            ("dir", "/var/cache/x"),
            ("resumed", "0"),
        ]);
        assert_eq!(
            sentence(&de, Lang::De, &synced).unwrap(),
            "Win10 ist für die Offline-Nutzung bereit (2,5 GB in /var/cache/x)."
        );
        let mut resumed = synced.clone();
        resumed.insert("resumed".into(), "1000000000".into());
        let text = sentence(&de, Lang::De, &resumed).unwrap();
        assert!(
            text.ends_with("davon waren bereits 1,0 GB vorhanden."),
            "{text}"
        );
        let off = detail(&[("id", "powered-off"), ("vm", "Win10")]);
        assert_eq!(
            sentence(&de, Lang::De, &off).unwrap(),
            "Win10 wurde ausgeschaltet."
        );
    }

    #[test]
    fn a_shares_state_is_worded_in_german_with_its_hint() {
        let de = leovms_l10n::loader_in(Lang::De, "leovms-api", &Catalogs);
        let down = detail(&[
            ("id", "share-not-answering"),
            ("share", "data"),
            ("hint", "network"),
            ("why", "no answer in time"),
            ("fstype", "cifs"),
            ("source", "//server/leovms-data"),
        ]);
        let text = sentence(&de, Lang::De, &down).unwrap();
        assert!(
            text.starts_with("Die VM-Freigabe antwortet nicht (Server oder Netzwerk gestört).")
                && text.contains("//server/leovms-data")
                && text.ends_with("Fragen Sie die Administration der Schule, wenn es so bleibt."),
            "{text}"
        );
        let mut newer = down.clone();
        newer.insert("hint".into(), "reboot".into());
        assert_eq!(
            sentence(&de, Lang::De, &newer),
            None,
            "an unknown hint is no sentence"
        );
    }

    #[test]
    fn every_kind_has_a_headline_in_both_languages() {
        for lang in [Lang::En, Lang::De] {
            let loader = leovms_l10n::loader_in(lang, "leovms-api", &Catalogs);
            let mut seen = std::collections::HashSet::new();
            for kind in ErrorKind::ALL {
                let text = headline(&loader, kind);
                assert!(
                    text.ends_with('.') && seen.insert(text.clone()),
                    "{lang:?}: {text}"
                );
            }
        }
    }
}
