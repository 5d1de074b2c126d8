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

#[test]
fn what_became_of_a_printed_document_is_worded_in_german() {
    let de = leovms_l10n::loader_in(Lang::De, "leovms-api", &Catalogs);
    let printed = detail(&[("id", "printed"), ("vm", "Win10"), ("printer", "raum-101")]);
    assert_eq!(
        sentence(&de, Lang::De, &printed).unwrap(),
        "Das Dokument aus Win10 wurde auf raum-101 gedruckt."
    );
    let kept = "/home/anna/Home_auf_Server/ausdruck-nicht-gedruckt.pdf";
    let large = detail(&[
        ("id", "print-too-large"),
        ("vm", "Win10"),
        ("size", "123400000"),
        ("limit", "100000000"),
        ("kept", kept),
    ]);
    assert_eq!(
        german(ErrorKind::PrintFailed, "The document…", &large),
        format!(
            "Das Dokument aus Win10 ist 123,4 MB groß, mehr als die erlaubten 100,0 MB, und wurde deshalb nicht gedruckt. Es liegt unter {kept}."
        )
    );
    let refused = detail(&[
        ("id", "print-refused"),
        ("vm", "Win10"),
        ("printer", "raum-101"),
        (
            "cups",
            "lp: Error - Destination \"raum-101\" is not accepting jobs.",
        ),
        ("kept", kept),
    ]);
    let text = german(ErrorKind::PrintFailed, "The printer…", &refused);
    assert!(
        text.starts_with(
            "Der Drucker raum-101 hat das Dokument aus Win10 nicht angenommen (lp: Error"
        ),
        "{text}"
    );
    for id in [
        "print-no-printer",
        "print-no-cups",
        "print-not-pdf",
        "print-incomplete",
        "print-damaged",
        "print-canceled",
    ] {
        let d = detail(&[
            ("id", id),
            ("vm", "Win10"),
            ("file", "/home/anna/ausdruck.pdf"),
            ("why", "Error: /syntaxerror"),
            ("kept", kept),
        ]);
        let text = german(ErrorKind::PrintFailed, "…", &d);
        assert!(
            text.contains("Win10") && text.ends_with(&format!("{kept}.")),
            "{id}: {text}"
        );
    }
}

#[test]
fn what_a_running_job_does_is_worded_in_german() {
    let de = leovms_l10n::loader_in(Lang::De, "leovms-api", &Catalogs);
    let en = leovms_l10n::loader_in(Lang::En, "leovms-api", &Catalogs);
    let unpack = detail(&[("id", "doing-unpack-base"), ("vm", "Windows 10")]);
    assert_eq!(
        sentence(&de, Lang::De, &unpack).unwrap(),
        "Das Basisabbild von Windows 10 wird entpackt"
    );
    let print = detail(&[
        ("id", "doing-print"),
        ("vm", "Win10"),
        ("printer", "raum-101"),
    ]);
    assert_eq!(
        sentence(&de, Lang::De, &print).unwrap(),
        "Das Dokument aus Win10 wird auf raum-101 gedruckt"
    );
    for id in [
        "doing-check",
        "doing-check-cache",
        "doing-check-archives",
        "doing-copy",
        "doing-wait-for-copy",
        "doing-unpack-base",
        "doing-unpack-snapshot",
        "doing-configure",
        "doing-launch",
        "doing-running",
        "doing-upload",
        "doing-receive",
        "doing-wait-for-document",
        "doing-embed-fonts",
        "doing-print",
    ] {
        let d = detail(&[
            ("id", id),
            ("vm", "Win10"),
            ("dir", "/var/cache/leovms"),
            ("snapshot", "Prüfung"),
            ("printer", "raum-101"),
        ]);
        let (german, english) = (sentence(&de, Lang::De, &d), sentence(&en, Lang::En, &d));
        assert!(german.is_some() && german != english, "{id}: {german:?}");
    }
    let no_vm = detail(&[("id", "doing-check")]);
    assert_eq!(sentence(&de, Lang::De, &no_vm), None, "a value is missing");
}
