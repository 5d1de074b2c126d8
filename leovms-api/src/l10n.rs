//! This crate's catalogs (`i18n/<lang>/leovms-api.ftl`) and the `fl!` lookup: the words of
//! the contract (phases, error kinds, the daemon's refusals) in the user's language.

leovms_l10n::catalogs!("leovms-api");

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogs_match_the_code() {
        leovms_l10n::check::assert_catalogs(env!("CARGO_MANIFEST_DIR"), "leovms-api", &[]);
    }
}
