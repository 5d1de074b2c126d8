//! Safe names: VM ids, snapshot ids and the components of paths that come from the share
//! (manifest paths, archive entries). A safe name can never leave its folder, never collides
//! with our temporary files and prints without surprises.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize, Serializer};

/// Longest name. File systems accept 255 bytes (NAME_MAX), but leovms also writes
/// `.leovms-tmp.<name>.<pid>.<n>` and `<name>.vbox`: those must fit too.
pub const MAX_LEN: usize = 128;

/// Why a name or path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    CurrentDir,
    LeavesFolder,
    Separator,
    Control,
    LeadingDot,
    TooLong,
    Absolute,
    EmptyPart,
}

impl NameProblem {
    fn text(self) -> &'static str {
        match self {
            NameProblem::Empty => "it is empty",
            NameProblem::CurrentDir => "it names the folder itself",
            NameProblem::LeavesFolder => "it could leave its folder",
            NameProblem::Separator => "contains a path separator ('/' or '\\')",
            NameProblem::Control => "contains a control character",
            NameProblem::LeadingDot => "starts with '.' (reserved for temporary files)",
            NameProblem::TooLong => "is longer than 128 bytes",
            NameProblem::Absolute => "is an absolute path (it must be relative)",
            NameProblem::EmptyPart => "has an empty part (\"//\" or a '/' at the start or end)",
        }
    }
}

/// A refused name, with the offending text and the reason in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad name \"{}\": {}", crate::text::shown(.name), .problem.text())]
pub struct NameError {
    pub name: String,
    pub problem: NameProblem,
}

/// A validated single path component (see the module docs for the rules).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct SafeName(String);

impl SafeName {
    pub fn new(name: impl Into<String>) -> Result<SafeName, NameError> {
        let name = name.into();
        match check(&name) {
            Some(problem) => Err(NameError { name, problem }),
            None => Ok(SafeName(name)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

fn check(name: &str) -> Option<NameProblem> {
    let problem = if name.is_empty() {
        NameProblem::Empty
    } else if name == "." {
        NameProblem::CurrentDir
    } else if name == ".." {
        NameProblem::LeavesFolder
    } else if name.contains(['/', '\\']) {
        NameProblem::Separator
    } else if crate::text::check_line(name, usize::MAX).is_err() {
        // NUL, C0, DEL, C1 and direction overrides.
        NameProblem::Control
    } else if name.starts_with('.') {
        NameProblem::LeadingDot
    } else if name.len() > MAX_LEN {
        NameProblem::TooLong
    } else {
        return None;
    };
    Some(problem)
}

impl TryFrom<String> for SafeName {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        SafeName::new(value)
    }
}

impl TryFrom<&str> for SafeName {
    type Error = NameError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        SafeName::new(value)
    }
}

impl From<SafeName> for String {
    fn from(value: SafeName) -> Self {
        value.0
    }
}

impl Serialize for SafeName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl fmt::Display for SafeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Deref for SafeName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SafeName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<std::path::Path> for SafeName {
    fn as_ref(&self) -> &std::path::Path {
        std::path::Path::new(&self.0)
    }
}

impl std::borrow::Borrow<str> for SafeName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// Split a relative, '/'-separated path (manifest path, archive entry) into safe components.
pub fn safe_relative_path(p: &str) -> Result<Vec<SafeName>, NameError> {
    let refuse = |problem| NameError {
        name: p.to_owned(),
        problem,
    };
    if p.is_empty() {
        return Err(refuse(NameProblem::Empty));
    }
    if p.starts_with('/') {
        return Err(refuse(NameProblem::Absolute));
    }
    p.split('/')
        .map(|part| {
            if part.is_empty() {
                Err(refuse(NameProblem::EmptyPart))
            } else {
                SafeName::new(part)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(name: &str) -> NameProblem {
        SafeName::new(name).unwrap_err().problem
    }

    #[test]
    fn accepts_ordinary_and_unicode_names() {
        for ok in [
            "vm-win10",
            "Exam 2027",
            "Prüfung_ä",
            "a.b",
            "x..y",
            "日本",
            &"a".repeat(MAX_LEN),
        ] {
            assert_eq!(SafeName::new(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_every_class() {
        assert_eq!(problem(""), NameProblem::Empty);
        assert_eq!(problem("."), NameProblem::CurrentDir);
        assert_eq!(problem(".."), NameProblem::LeavesFolder);
        assert_eq!(problem("a/b"), NameProblem::Separator);
        assert_eq!(problem("a\\b"), NameProblem::Separator);
        assert_eq!(problem("a\0b"), NameProblem::Control);
        assert_eq!(problem("a\nb"), NameProblem::Control);
        assert_eq!(problem("a\u{7f}"), NameProblem::Control);
        assert_eq!(problem("a\u{85}"), NameProblem::Control);
        assert_eq!(problem("a\u{9f}"), NameProblem::Control);
        assert_eq!(problem(".hidden"), NameProblem::LeadingDot);
        assert_eq!(problem(".leovms-tmp.x.1.2"), NameProblem::LeadingDot);
        assert_eq!(problem("a\u{202e}b"), NameProblem::Control);
        assert_eq!(problem(&"a".repeat(MAX_LEN + 1)), NameProblem::TooLong);
        // 65 two-byte characters: 130 bytes.
        assert_eq!(problem(&"ä".repeat(65)), NameProblem::TooLong);
    }

    #[test]
    fn messages_are_plain() {
        assert_eq!(
            SafeName::new("..").unwrap_err().to_string(),
            "bad name \"..\": it could leave its folder"
        );
        assert_eq!(
            SafeName::new("a\u{1}").unwrap_err().to_string(),
            "bad name \"a\\u{1}\": contains a control character"
        );
        let long = SafeName::new("x".repeat(100_000)).unwrap_err().to_string();
        assert!(long.len() < 200, "{long}");
    }

    #[test]
    fn relative_paths() {
        let parts = safe_relative_path("snapshots/exam/snapshot.conf").unwrap();
        let parts: Vec<&str> = parts.iter().map(|p| p.as_str()).collect();
        assert_eq!(parts, ["snapshots", "exam", "snapshot.conf"]);
        let refused = |p: &str| safe_relative_path(p).unwrap_err().problem;
        assert_eq!(refused(""), NameProblem::Empty);
        assert_eq!(refused("/etc/passwd"), NameProblem::Absolute);
        assert_eq!(refused("a//b"), NameProblem::EmptyPart);
        assert_eq!(refused("a/"), NameProblem::EmptyPart);
        assert_eq!(refused("a/../../b"), NameProblem::LeavesFolder);
        assert_eq!(refused("./a"), NameProblem::CurrentDir);
        assert_eq!(refused("a/.tmp"), NameProblem::LeadingDot);
        assert_eq!(refused("a\\b"), NameProblem::Separator);
        assert_eq!(refused("a/\u{0}"), NameProblem::Control);
        let err = safe_relative_path("a/../b").unwrap_err();
        assert_eq!(err.name, "..");
    }

    #[test]
    fn serde_validates() {
        #[derive(Deserialize, Serialize)]
        struct T {
            n: SafeName,
        }
        let t: T = toml::from_str("n = \"vm-1\"").unwrap();
        assert_eq!(&*t.n, "vm-1");
        assert_eq!(toml::to_string(&t).unwrap().trim(), "n = \"vm-1\"");
        let err = toml::from_str::<T>("n = \"..\"").err().unwrap();
        assert!(err.message().contains("it could leave its folder"), "{err}");
    }
}
