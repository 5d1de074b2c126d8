//! The user's language for every leovms program: which catalog to load (from `LANGUAGE`,
//! `LC_ALL`, `LC_MESSAGES` and `LANG`, as gettext reads them), a Fluent loader for a
//! crate's embedded catalogs, and numbers written the way the language writes them
//! (`1,5 GB` in German).
//!
//! Each program keeps its own catalogs in `i18n/<lang>/<crate>.ftl`, declares them with
//! [`catalogs!`] and looks texts up with its `fl!`, which fails the build when the English
//! catalog lacks an id; [`check`] finds the rest (German gaps, unused ids). See
//! docs/l10n.md.

pub mod check;
mod env;

use std::sync::LazyLock;

use i18n_embed::fluent::FluentLanguageLoader;
use i18n_embed::unic_langid::LanguageIdentifier;
use i18n_embed::{I18nAssets, LanguageLoader};

use env::requested_languages;

pub use i18n_embed;
/// The build-time checked lookup; a crate uses the `fl!` of [`catalogs!`].
pub use i18n_embed_fl::fl;
pub use rust_embed;

/// The languages leovms speaks. English is the language of the code and the fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
}

impl Lang {
    /// The first of the user's languages that leovms speaks; English when none is.
    pub fn from_requested(requested: &[LanguageIdentifier]) -> Lang {
        requested
            .iter()
            .find_map(|l| match l.language.as_str() {
                "de" => Some(Lang::De),
                "en" => Some(Lang::En),
                _ => None,
            })
            .unwrap_or(Lang::En)
    }

    fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    fn id(self) -> LanguageIdentifier {
        self.code().parse().expect("a valid language code")
    }
}

/// This process's language, read once from the environment.
pub fn lang() -> Lang {
    static LANG: LazyLock<Lang> =
        LazyLock::new(|| Lang::from_requested(&requested_languages(|k| std::env::var(k).ok())));
    *LANG
}

/// A loader for `domain` in `lang`, e.g. for a test that reads both catalogs.
pub fn loader_in(lang: Lang, domain: &str, assets: &dyn I18nAssets) -> FluentLanguageLoader {
    let loader = FluentLanguageLoader::new(domain, Lang::En.id());
    let mut languages = vec![lang.id()];
    if lang != Lang::En {
        languages.push(Lang::En.id());
    }
    loader
        .load_languages(assets, &languages)
        .unwrap_or_else(|e| panic!("the embedded {domain} catalogs do not load: {e}"));
    // Terminals, notifications and menus show Unicode isolation marks around each value
    // as boxes. Set after loading: it applies to the loaded bundles.
    loader.set_use_isolating(false);
    loader
}

/// Declares the calling crate's catalogs (its `i18n/<lang>/<crate>.ftl`, embedded) as
/// `Catalogs`, their loader as `LOADER` (in this process's language, or in `$lang`) and the
/// crate's lookup `fl!("id")` / `fl!("id", name = value, …)`, which fails the build when
/// the English catalog lacks the id (see docs/l10n.md). Invoke it in the crate's module
/// `l10n`.
// `crate::l10n::LOADER` in the lookup is the calling crate's loader, on purpose.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! catalogs {
    ($domain:literal) => {
        $crate::catalogs!(@declare ($) $domain, $crate::lang());
    };
    ($domain:literal, $lang:expr) => {
        $crate::catalogs!(@declare ($) $domain, $lang);
    };
    // `$d` is a `$`, so that the lookup macro below can have arguments of its own.
    (@declare ($d:tt) $domain:literal, $lang:expr) => {
        #[derive($crate::rust_embed::RustEmbed)]
        #[folder = "i18n/"]
        #[crate_path = "leovms_l10n::rust_embed"]
        pub(crate) struct Catalogs;

        pub(crate) static LOADER: std::sync::LazyLock<
            $crate::i18n_embed::fluent::FluentLanguageLoader,
        > = std::sync::LazyLock::new(|| $crate::loader_in($lang, $domain, &Catalogs));

        /// A text of this crate's catalog: `fl!("id")` or `fl!("id", name = value, …)`.
        macro_rules! fl {
            ($d id:literal) => {
                $crate::fl!(crate::l10n::LOADER, $d id)
            };
            ($d id:literal, $d($d args:expr),* $d(,)?) => {
                $crate::fl!(crate::l10n::LOADER, $d id, $d($d args),*)
            };
        }
        #[allow(unused_imports)]
        pub(crate) use fl;
    };
}

/// `value` with `digits` decimals as `lang` writes it: `1.5` in English, `1,5` in German.
pub fn decimal_in(lang: Lang, value: f64, digits: usize) -> String {
    let plain = format!("{value:.digits$}");
    match lang {
        Lang::En => plain,
        Lang::De => plain.replace('.', ","),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(rust_embed::RustEmbed)]
    #[folder = "tests/i18n/"]
    #[crate_path = "rust_embed"]
    struct Sample;

    #[test]
    fn values_are_set_in_without_isolation_marks_and_german_falls_back_to_english() {
        let de = loader_in(Lang::De, "sample", &Sample);
        let args = std::collections::HashMap::from([("vm", "Win10")]);
        assert_eq!(de.get_args("running", args.clone()), "Win10 läuft.");
        assert_eq!(de.get("only-english"), "Only in English.");
        let en = loader_in(Lang::En, "sample", &Sample);
        assert_eq!(en.get_args("running", args), "Win10 is running.");
    }

    #[test]
    fn german_writes_a_decimal_comma_and_english_a_point() {
        assert_eq!(decimal_in(Lang::De, 1.5, 1), "1,5");
        assert_eq!(decimal_in(Lang::En, 1.5, 1), "1.5");
        assert_eq!(decimal_in(Lang::De, 12.0, 0), "12");
    }

    #[test]
    fn the_first_spoken_language_wins_and_english_is_the_default() {
        let ids = |l: &[&str]| -> Vec<LanguageIdentifier> {
            l.iter().map(|s| s.parse().unwrap()).collect()
        };
        assert_eq!(
            Lang::from_requested(&ids(&["fr-FR", "de-AT", "en"])),
            Lang::De
        );
        assert_eq!(Lang::from_requested(&ids(&["en-GB", "de"])), Lang::En);
        assert_eq!(Lang::from_requested(&ids(&["tr"])), Lang::En);
        assert_eq!(Lang::from_requested(&[]), Lang::En);
    }
}
