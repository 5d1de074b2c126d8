//! Validation of entry names before anything touches the disk.

use super::ArchiveError;

use crate::name::{NameProblem, safe_relative_path};

const OUTSIDE: &str = "would be written outside its folder";

/// Splits an entry name into validated components. A directory entry may end in `/`.
pub(super) fn entry_components(raw: &[u8], is_dir: bool) -> Result<Vec<String>, ArchiveError> {
    let fail = |reason| ArchiveError::unsafe_entry(raw, reason);
    let text = std::str::from_utf8(raw).map_err(|_| fail("has a name that is not valid text"))?;
    let text = match text.strip_suffix('/') {
        Some(t) if is_dir => t,
        _ => text,
    };
    // Other tools treat `\` as a separator: `..` between backslashes is an escape too.
    if text.split(['/', '\\']).any(|c| c == "..") {
        return Err(fail(OUTSIDE));
    }
    let parts = safe_relative_path(text).map_err(|e| fail(reason(e.problem)))?;
    Ok(parts.into_iter().map(String::from).collect())
}

fn reason(problem: NameProblem) -> &'static str {
    match problem {
        NameProblem::LeavesFolder | NameProblem::Absolute => OUTSIDE,
        NameProblem::LeadingDot => "has a name starting with '.', which is not allowed",
        NameProblem::Control => "has a name with control characters, which is not allowed",
        NameProblem::TooLong => "has a name longer than 128 bytes, which is not allowed",
        NameProblem::Separator => "has a name with a backslash, which is not allowed",
        NameProblem::CurrentDir => {
            "has a \".\" in its path (as in \"./name\"), which is not allowed"
        }
        _ => "has an empty or incomplete name, which is not allowed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_relative_paths() {
        assert_eq!(entry_components(b"a.vdi", false).unwrap(), ["a.vdi"]);
        assert_eq!(
            entry_components("Snapshots/{1b2c}.vdi".as_bytes(), false).unwrap(),
            ["Snapshots", "{1b2c}.vdi"]
        );
        assert_eq!(
            entry_components(b"Snapshots/", true).unwrap(),
            ["Snapshots"]
        );
        assert_eq!(
            entry_components("Bilder/Grün".as_bytes(), false)
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn refuses_escapes_and_odd_names() {
        for bad in [
            &b"../evil"[..],
            b"/tmp/evil",
            b"a/../../evil",
            b"..",
            b"a\\..\\evil",
            b"",
            b"a//b",
            b"./a",
            b".hidden",
            b"a/",
            b"a\x01b",
            b"a\x7fb",
            b"\xff\xfe",
        ] {
            assert!(entry_components(bad, false).is_err(), "{bad:?}");
        }
        let long = "x".repeat(129);
        assert!(entry_components(long.as_bytes(), false).is_err());
        let e = entry_components(b"../evil", false).unwrap_err();
        assert!(e.to_string().contains("outside its folder"), "{e}");
        let e = entry_components(b"./Snapshots/a.vdi", false).unwrap_err();
        assert!(e.to_string().contains("has a \".\" in its path"), "{e}");
    }
}
