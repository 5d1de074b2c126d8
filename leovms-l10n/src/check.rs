//! The catalog check each program runs as a unit test (so `scripts/test` fails on it):
//! every id the code looks up is in every catalog, every catalog has the same ids, and no
//! catalog keeps an id the code no longer uses.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The languages whose catalogs must be complete.
const LANGUAGES: [&str; 2] = ["en", "de"];

/// Checks the catalogs of the crate in `crate_dir` (its `i18n/<lang>/<domain>.ftl`)
/// against the `fl!("…")` calls in its `src/`, plus `dynamic` ids the code builds at run
/// time. Returns every problem, one per line.
pub fn catalogs(crate_dir: &Path, domain: &str, dynamic: &[String]) -> Result<(), String> {
    let mut used = BTreeSet::new();
    scan_sources(&crate_dir.join("src"), &mut used).map_err(|e| e.to_string())?;
    used.extend(dynamic.iter().cloned());
    let mut problems = Vec::new();
    for lang in LANGUAGES {
        let path = crate_dir
            .join("i18n")
            .join(lang)
            .join(format!("{domain}.ftl"));
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let ids = message_ids(&text);
        for missing in used.difference(&ids) {
            problems.push(format!("{}: lacks `{missing}`", path.display()));
        }
        for unused in ids.difference(&used) {
            problems.push(format!("{}: `{unused}` is no longer used", path.display()));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// [`catalogs`] as a test: panics naming every problem.
pub fn assert_catalogs(crate_dir: &str, domain: &str, dynamic: &[String]) {
    if let Err(problems) = catalogs(Path::new(crate_dir), domain, dynamic) {
        panic!("the catalogs do not match the code:\n{problems}");
    }
}

/// The message ids a Fluent file defines (terms `-x` and attributes `.x` are no messages).
pub fn message_ids(ftl: &str) -> BTreeSet<String> {
    ftl.lines()
        .filter_map(|line| {
            let (id, _) = line.split_once('=')?;
            let id = id.trim_end();
            let first = id.chars().next()?;
            let plain = id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            (first.is_ascii_alphabetic() && plain).then(|| id.to_string())
        })
        .collect()
}

/// The ids of every `fl!("id"` in the `.rs` files below `dir`.
fn scan_sources(dir: &Path, used: &mut BTreeSet<String>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            scan_sources(&path, used)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path)?;
            // A lookup shown in a comment is none.
            let code = text.lines().filter(|l| !l.trim_start().starts_with("//"));
            used.extend(lookups(&code.collect::<Vec<_>>().join("\n")));
        }
    }
    Ok(())
}

/// The literal ids of each `fl!("id"` and `fl!(loader, "id"` in `source` (whitespace
/// and newlines allowed).
pub fn lookups(source: &str) -> Vec<String> {
    source
        .split("fl!(")
        .skip(1)
        .filter_map(|rest| {
            let rest = rest.trim_start();
            let rest = match rest.strip_prefix('"') {
                Some(id_first) => id_first,
                None => {
                    let (loader, after) = rest.split_once(',')?;
                    let path = |c: char| c.is_alphanumeric() || "_:&*.".contains(c);
                    if !loader.trim().chars().all(path) {
                        return None;
                    }
                    after.trim_start().strip_prefix('"')?
                }
            };
            rest.split_once('"').map(|(id, _)| id.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_from_catalogs_and_calls() {
        let ftl = "# comment\nhello = Hallo { $name }\n    .title = x\n-brand = leovms\nbye =\n    Tschüss\n";
        let ids: Vec<String> = message_ids(ftl).into_iter().collect();
        assert_eq!(ids, ["bye", "hello"]);
        let src = "let a = fl!(\"one\");\nlet b = fl!(\n    \"two\",\n    n = 1\n);\nfl!(x)";
        assert_eq!(lookups(src), ["one", "two"]);
        let src = "fl!(loader, \"three\"); fl!(crate::L, \"four\", a = 1); fl!(f(x), \"no\")";
        assert_eq!(lookups(src), ["three", "four"]);
    }

    #[test]
    fn a_gap_and_a_leftover_are_both_named() {
        let dir = tempdir();
        fs::create_dir_all(dir.join("src")).unwrap();
        let src = "fl!(\"used\"); fl!(\"new\");\n    /// `fl!(\"doc\")` is no lookup";
        fs::write(dir.join("src/lib.rs"), src).unwrap();
        for lang in LANGUAGES {
            fs::create_dir_all(dir.join("i18n").join(lang)).unwrap();
            fs::write(
                dir.join(format!("i18n/{lang}/d.ftl")),
                "used = u\nold = o\n",
            )
            .unwrap();
        }
        let err = catalogs(&dir, "d", &[]).unwrap_err();
        assert!(err.contains("en/d.ftl: lacks `new`"), "{err}");
        assert!(err.contains("de/d.ftl: `old` is no longer used"), "{err}");
        // An id the code builds at run time counts as used.
        fs::write(dir.join("src/lib.rs"), "fl!(\"used\");").unwrap();
        assert_eq!(catalogs(&dir, "d", &["old".into()]), Ok(()));
        fs::write(dir.join("i18n/de/d.ftl"), "used = u\n").unwrap();
        let err = catalogs(&dir, "d", &["old".into()]).unwrap_err();
        assert_eq!(
            err,
            format!("{}: lacks `old`", dir.join("i18n/de/d.ftl").display())
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    fn tempdir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("leovms-l10n-check-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }
}
