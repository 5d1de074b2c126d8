//! The user's languages from the environment, in gettext's order: `LANGUAGE` (a
//! colon-separated list, honoured only when a locale other than C is set), then the first
//! set of `LC_ALL`, `LC_MESSAGES` and `LANG`.

use i18n_embed::unic_langid::LanguageIdentifier;

/// The requested languages, most wanted first; `var` reads one environment variable.
pub fn requested_languages(var: impl Fn(&str) -> Option<String>) -> Vec<LanguageIdentifier> {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|k| var(k).filter(|v| !v.is_empty()));
    let Some(locale) = locale else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(primary) = language_of(&locale) {
        for part in var("LANGUAGE").unwrap_or_default().split(':') {
            out.extend(language_of(part));
        }
        out.push(primary);
    }
    out
}

/// `de_DE.UTF-8@euro` → `de-DE`; `None` for C, POSIX and anything unreadable.
fn language_of(locale: &str) -> Option<LanguageIdentifier> {
    let name = locale.split(['.', '@']).next()?;
    if name.is_empty() || name == "C" || name == "POSIX" {
        return None;
    }
    name.replace('_', "-").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn langs(vars: &[(&str, &str)]) -> Vec<String> {
        requested_languages(|k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        })
        .iter()
        .map(|l| l.to_string())
        .collect()
    }

    #[test]
    fn locale_variables_are_read_in_gettexts_order() {
        assert_eq!(langs(&[("LANG", "de_DE.UTF-8")]), ["de-DE"]);
        assert_eq!(
            langs(&[("LANG", "de_DE.UTF-8"), ("LC_MESSAGES", "en_US.UTF-8")]),
            ["en-US"]
        );
        assert_eq!(
            langs(&[("LC_ALL", "de_AT@euro"), ("LC_MESSAGES", "en_US")]),
            ["de-AT"]
        );
        assert_eq!(
            langs(&[("LANG", "en_US.UTF-8"), ("LANGUAGE", "de:en")]),
            ["de", "en", "en-US"]
        );
    }

    #[test]
    fn the_c_locale_means_english_and_ignores_language() {
        assert!(langs(&[("LANG", "C.UTF-8"), ("LANGUAGE", "de")]).is_empty());
        assert!(langs(&[("LANGUAGE", "de")]).is_empty());
        assert!(langs(&[("LC_ALL", "POSIX")]).is_empty());
        assert!(langs(&[]).is_empty());
    }
}
