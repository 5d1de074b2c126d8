//! This crate's catalogs (`i18n/<lang>/leovms-tray.ftl`) and the `fl!` lookup: the menu,
//! tooltips, notifications and `--help` in the user's language (see docs/l10n.md).

leovms_l10n::catalogs!("leovms-tray");

#[cfg(test)]
mod tests {
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
}
