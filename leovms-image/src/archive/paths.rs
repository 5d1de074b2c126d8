//! Validation of entry names before anything touches the disk.

use super::ArchiveError;

const OUTSIDE: &str = "would be written outside its folder";
const BAD_NAME: &str = "has a name that is not allowed (empty, hidden, or with control characters)";
const NOT_TEXT: &str = "has a name that is not valid text";

/// Splits an entry name into validated components. A directory entry may end in `/`.
pub(super) fn entry_components(raw: &[u8], is_dir: bool) -> Result<Vec<String>, ArchiveError> {
    let shown = String::from_utf8_lossy(raw);
    let fail = |reason| ArchiveError::unsafe_entry(&shown, reason);
    let text = std::str::from_utf8(raw).map_err(|_| fail(NOT_TEXT))?;
    let text = match text.strip_suffix('/') {
        Some(t) if is_dir => t,
        _ => text,
    };
    if text.starts_with('/') || text.split(['/', '\\']).any(|c| c == "..") {
        return Err(fail(OUTSIDE));
    }
    let parts: Vec<&str> = text.split('/').collect();
    if parts.iter().any(|p| !component_ok(p)) {
        return Err(fail(BAD_NAME));
    }
    Ok(parts.into_iter().map(str::to_owned).collect())
}

/// The SafeName rules of the shared spec, for one path component.
fn component_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
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
        assert_eq!(entry_components(b"Snapshots/", true).unwrap(), ["Snapshots"]);
        assert_eq!(entry_components("Bilder/Grün".as_bytes(), false).unwrap().len(), 2);
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
        let long = "x".repeat(256);
        assert!(entry_components(long.as_bytes(), false).is_err());
        let e = entry_components(b"../evil", false).unwrap_err();
        assert!(e.to_string().contains("outside its folder"), "{e}");
    }
}
