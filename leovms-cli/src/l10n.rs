//! This crate's catalogs (`i18n/<lang>/leovms-cli.ftl`) and the `fl!` lookup: every text
//! of the command line in the user's language.

use std::sync::LazyLock;

use leovms_l10n::i18n_embed::fluent::FluentLanguageLoader;
use leovms_l10n::rust_embed::{self, RustEmbed};

#[derive(RustEmbed)]
#[folder = "i18n/"]
#[crate_path = "rust_embed"]
pub(crate) struct Catalogs;

pub(crate) static LOADER: LazyLock<FluentLanguageLoader> =
    LazyLock::new(|| leovms_l10n::loader("leovms-cli", &Catalogs));

/// A text of this crate's catalog: `fl!("id")` or `fl!("id", name = value, …)`.
macro_rules! fl {
    ($id:literal) => {
        i18n_embed_fl::fl!($crate::l10n::LOADER, $id)
    };
    ($id:literal, $($args:expr),* $(,)?) => {
        i18n_embed_fl::fl!($crate::l10n::LOADER, $id, $($args),*)
    };
}
pub(crate) use fl;

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogs_match_the_code() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        // `--help`'s ids are built from the command line at run time (see `help`).
        let dynamic = crate::help::catalog_ids();
        if let Err(problems) = leovms_l10n::check::catalogs(dir, "leovms-cli", &dynamic) {
            panic!("{problems}");
        }
    }
}
