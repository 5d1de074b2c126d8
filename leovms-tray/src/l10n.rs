//! This crate's catalogs (`i18n/<lang>/leovms-tray.ftl`) and the `fl!` lookup: the menu,
//! tooltips, notifications and `--help` in the user's language (see docs/l10n.md).

leovms_l10n::catalogs!("leovms-tray");

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use leovms_l10n::Lang;

    use super::Catalogs;

    #[test]
    fn the_catalogs_match_the_code() {
        leovms_l10n::check::assert_catalogs(env!("CARGO_MANIFEST_DIR"), "leovms-tray", &[]);
    }

    /// The German catalog is read, not only present: a few words a student sees first.
    #[test]
    fn the_german_catalog_says_the_menu_in_german() {
        let de = leovms_l10n::loader_in(Lang::De, "leovms-tray", &Catalogs);
        assert_eq!(de.get("menu-continue"), "Weiterarbeiten (wie vorgefunden)");
        assert_eq!(de.get("offline-sync-now"), "Jetzt abgleichen");
        let en = leovms_l10n::loader_in(Lang::En, "leovms-tray", &Catalogs);
        assert_eq!(en.get("menu-continue"), "Continue where I left off");
    }

    /// What a student reads when a document from the VM was (not) printed.
    #[test]
    fn print_notices_are_worded_in_both_languages() {
        let vm = HashMap::from([("vm", "Windows 10")]);
        let de = leovms_l10n::loader_in(Lang::De, "leovms-tray", &Catalogs);
        let en = leovms_l10n::loader_in(Lang::En, "leovms-tray", &Catalogs);
        for (id, german, english) in [
            (
                "note-printed",
                "Gedruckt: Windows 10",
                "Printed: Windows 10",
            ),
            (
                "note-print-failed",
                "Nicht gedruckt: Windows 10",
                "Not printed: Windows 10",
            ),
            (
                "note-not-printed",
                "Das Dokument aus Windows 10 wurde nicht gedruckt.",
                "The document from Windows 10 was not printed.",
            ),
            (
                "job-print",
                "Drucken aus Windows 10",
                "Printing from Windows 10",
            ),
        ] {
            assert_eq!(de.get_args(id, vm.clone()), german);
            assert_eq!(en.get_args(id, vm.clone()), english);
        }
        assert_eq!(de.get("note-print-canceled"), "Drucken abgebrochen");
        assert_eq!(
            de.get("job-phase-embed-fonts"),
            "Schriften werden eingebettet"
        );
    }
}
