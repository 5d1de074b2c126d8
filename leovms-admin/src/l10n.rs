//! This crate's catalogs (`i18n/<lang>/leovms-admin.ftl`) and the `fl!` lookup: everything
//! leovms-admin says to the admin, in the admin's language. What it writes into files
//! (smb.conf, image.conf, manifests) is never translated.

use std::sync::LazyLock;

use leovms_l10n::Lang;
use leovms_l10n::i18n_embed::fluent::FluentLanguageLoader;
use leovms_l10n::rust_embed::{self, RustEmbed};

#[derive(RustEmbed)]
#[folder = "i18n/"]
#[crate_path = "rust_embed"]
struct Catalogs;

pub(crate) static LOADER: LazyLock<FluentLanguageLoader> =
    LazyLock::new(|| leovms_l10n::loader_in(lang(), "leovms-admin", &Catalogs));

/// This process's language. Unit tests assert the English texts whatever locale they run
/// in; the binary reads the environment (see docs/l10n.md).
pub(crate) fn lang() -> Lang {
    if cfg!(test) {
        Lang::En
    } else {
        leovms_l10n::lang()
    }
}

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

/// A path as a catalog argument.
pub(crate) fn shown(path: impl AsRef<std::path::Path>) -> String {
    path.as_ref().display().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogs_match_the_code() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dynamic = crate::help::ids();
        if let Err(problems) = leovms_l10n::check::catalogs(dir, "leovms-admin", &dynamic) {
            panic!("{problems}");
        }
    }
}
