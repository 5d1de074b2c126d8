//! This crate's catalogs (`i18n/<lang>/leovms-cli.ftl`) and the `fl!` lookup: every text
//! of the command line in the user's language.

leovms_l10n::catalogs!("leovms-cli");

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogs_match_the_code() {
        // `--help`'s ids are built from the command line at run time (see `help`).
        let dynamic = crate::help::catalog_ids();
        leovms_l10n::check::assert_catalogs(env!("CARGO_MANIFEST_DIR"), "leovms-cli", &dynamic);
    }
}
