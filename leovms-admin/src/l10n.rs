//! This crate's catalogs (`i18n/<lang>/leovms-admin.ftl`) and the `fl!` lookup: everything
//! leovms-admin says to the admin, in the admin's language. What it writes into files
//! (smb.conf, image.conf, manifests) is never translated.

use leovms_l10n::Lang;

leovms_l10n::catalogs!("leovms-admin", lang());

/// This process's language. Unit tests assert the English texts whatever locale they run
/// in; the binary reads the environment (see docs/l10n.md).
pub(crate) fn lang() -> Lang {
    if cfg!(test) {
        Lang::En
    } else {
        leovms_l10n::lang()
    }
}

/// A path as a catalog argument.
pub(crate) fn shown(path: impl AsRef<std::path::Path>) -> String {
    path.as_ref().display().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogs_match_the_code() {
        let dynamic = crate::help::ids();
        leovms_l10n::check::assert_catalogs(env!("CARGO_MANIFEST_DIR"), "leovms-admin", &dynamic);
    }
}
