//! Errors of the TOML files, always pointing at `<file>:<line>: <key>: <problem>`.
//!
//! toml's deserializer reports a byte span but keeps the key path private, so the key is
//! recovered from a spanned parse of the same text (`DeTable`): the innermost key or value
//! whose span holds the error is the key an admin has to fix.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use crate::text;

/// A problem in one of the share's TOML files (config files and manifest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// Dotted key such as `ram.max_mb`, when a key applies.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// A problem with the file as a whole (unreadable, not text).
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.to_owned(),
            line: None,
            key: None,
            message: message.into(),
        }
    }
}

/// Read a whole config file as text, turning I/O problems into a `ConfigError`.
pub(crate) fn read_text(path: &Path) -> Result<String, ConfigError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ConfigError::whole_file(path, format!("cannot read the file: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        ConfigError::whole_file(
            path,
            format!(
                "is not UTF-8 text (bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

struct Entry {
    /// Dotted path; array elements carry `[i]` so validation can address them.
    path: String,
    key: Range<usize>,
    value: Range<usize>,
    table: bool,
}

/// Where each key of a TOML document is, by byte span.
pub(crate) struct KeyIndex<'a> {
    file: &'a Path,
    text: &'a str,
    entries: Vec<Entry>,
}

/// `cache[1].path` -> `cache.path`: the line number already tells which element.
fn display_key(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut skip = false;
    for c in path.chars() {
        match c {
            '[' => skip = true,
            ']' => skip = false,
            _ if !skip => out.push(c),
            _ => {}
        }
    }
    out
}

fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn contains(span: &Range<usize>, at: usize) -> bool {
    span.start <= at && at < span.end.max(span.start + 1)
}

impl<'a> KeyIndex<'a> {
    /// Index `text`; a syntax error is returned as the finished `ConfigError`.
    pub(crate) fn new(file: &'a Path, text: &'a str) -> Result<Self, ConfigError> {
        let doc = DeTable::parse(text).map_err(|e| ConfigError {
            file: file.to_owned(),
            line: e.span().map(|s| line_of(text, s.start)),
            key: None,
            message: format!("invalid TOML: {}", e.message()),
        })?;
        let mut entries = Vec::new();
        walk(doc.get_ref(), "", &mut entries);
        let index = KeyIndex {
            file,
            text,
            entries,
        };
        index.check_texts(doc.get_ref(), "")?;
        Ok(index)
    }

    /// Every key and every text value of the file, checked once here: see
    /// [`crate::text`]. Descriptions may span lines; everything else is one line.
    fn check_texts(&self, table: &DeTable<'_>, prefix: &str) -> Result<(), ConfigError> {
        for (key, value) in table.iter() {
            let name = key.get_ref();
            if let Err(problem) = text::check_line(name, text::LINE_MAX) {
                let mut e = self.error_at(prefix, format!("a key {problem}"));
                e.line = Some(line_of(self.text, key.span().start));
                return Err(e);
            }
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            let lines = name == "description";
            self.check_value(value.get_ref(), &path, lines)?;
        }
        Ok(())
    }

    fn check_value(&self, value: &DeValue<'_>, path: &str, lines: bool) -> Result<(), ConfigError> {
        match value {
            DeValue::String(s) => {
                let checked = if lines {
                    text::check_lines(s, text::LINES_MAX)
                } else {
                    text::check_line(s, text::LINE_MAX)
                };
                checked.map_err(|problem| self.error_at(path, problem.to_string()))
            }
            DeValue::Table(t) => self.check_texts(t, path),
            DeValue::Array(items) => items.iter().enumerate().try_for_each(|(i, item)| {
                self.check_value(item.get_ref(), &format!("{path}[{i}]"), lines)
            }),
            _ => Ok(()),
        }
    }

    pub(crate) fn has(&self, path: &str) -> bool {
        self.entries.iter().any(|e| e.path == path)
    }

    /// An error at `path` (with `[i]` indexes); when the key is absent, at its table.
    pub(crate) fn error_at(&self, path: &str, message: impl Into<String>) -> ConfigError {
        let mut probe = path;
        let line = loop {
            if probe.is_empty() {
                break Some(1);
            }
            if let Some(e) = self.entries.iter().find(|e| e.path == probe) {
                break Some(line_of(self.text, e.key.start));
            }
            match probe.rfind(['.', '[']) {
                Some(cut) => probe = &probe[..cut],
                None => break Some(1),
            }
        };
        ConfigError {
            file: self.file.to_owned(),
            line,
            key: Some(display_key(path)),
            message: message.into(),
        }
    }

    /// Translate a deserialization error of the same text.
    pub(crate) fn translate(&self, err: &toml::de::Error) -> ConfigError {
        let raw = err.message();
        let span = err.span();
        let line = span.as_ref().map(|s| line_of(self.text, s.start));
        let (key, message) = if let Some(field) = missing_field(raw) {
            let table = span.as_ref().and_then(|s| {
                self.entries
                    .iter()
                    .find(|e| e.table && e.value == *s)
                    .map(|e| e.path.as_str())
            });
            let key = match table {
                Some(t) => format!("{t}.{field}"),
                None => field.to_owned(),
            };
            (Some(key), "required key is missing".to_owned())
        } else {
            let key = span.as_ref().and_then(|s| self.innermost(s.start));
            (key, friendly(raw))
        };
        ConfigError {
            file: self.file.to_owned(),
            line,
            key: key.map(|k| display_key(&k)),
            message,
        }
    }

    fn innermost(&self, at: usize) -> Option<String> {
        self.entries
            .iter()
            .filter(|e| contains(&e.key, at) || contains(&e.value, at))
            .min_by_key(|e| {
                if contains(&e.key, at) {
                    0
                } else {
                    e.value.len()
                }
            })
            .map(|e| e.path.clone())
    }
}

fn walk(table: &DeTable<'_>, prefix: &str, out: &mut Vec<Entry>) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        out.push(Entry {
            path: path.clone(),
            key: key.span(),
            value: value.span(),
            table: value.get_ref().is_table(),
        });
        match value.get_ref() {
            DeValue::Table(t) => walk(t, &path, out),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let DeValue::Table(t) = item.get_ref() {
                        let element = format!("{path}[{i}]");
                        out.push(Entry {
                            path: element.clone(),
                            key: item.span(),
                            value: item.span(),
                            table: true,
                        });
                        walk(t, &element, out);
                    }
                }
            }
            _ => {}
        }
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
}

/// Say serde's messages in an admin's words.
fn friendly(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let rest = rest.split_once('`').map_or("", |(_, r)| r);
        return format!("unknown key{rest}");
    }
    message
        .replace("expected u32", "expected a whole number")
        .replace("expected u64", "expected a whole number")
        .replace("expected f64", "expected a number")
        .replace("expected i64", "expected a whole number")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        let mut e = ConfigError::whole_file(Path::new("/s/a.conf"), "cannot read");
        assert_eq!(e.to_string(), "/s/a.conf: cannot read");
        e.line = Some(3);
        assert_eq!(e.to_string(), "/s/a.conf:3: cannot read");
        e.key = Some("ram.mb".into());
        assert_eq!(e.to_string(), "/s/a.conf:3: ram.mb: cannot read");
    }

    #[test]
    fn every_text_is_checked_with_file_line_and_key() {
        let f = Path::new("/s/vm/image.conf");
        let e = KeyIndex::new(f, "a = 1\nname = \"Lab\\u0000 2028\"\n")
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "/s/vm/image.conf:2: name: contains a control character (U+0000)"
        );
        let text = "[[network]]\nrooms = [\"r1\", \"r\\u001b[2J\"]\n";
        let e = KeyIndex::new(f, text).err().unwrap();
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("network.rooms")));
        let e = KeyIndex::new(f, "[x]\n\"k\\u0007\" = 1\n").err().unwrap();
        assert_eq!(e.line, Some(2));
        assert!(
            e.message.contains("a key contains a control character"),
            "{e}"
        );
        let long = format!("name = \"{}\"\n", "x".repeat(300));
        let e = KeyIndex::new(f, &long).err().unwrap();
        assert!(e.message.contains("longer than 256 bytes"), "{e}");
        // Descriptions may span lines, up to a few KiB.
        KeyIndex::new(f, "description = \"\"\"\nline 1\nline 2\n\"\"\"\n").unwrap();
        let long = format!("description = \"{}\"\n", "x".repeat(5000));
        assert!(KeyIndex::new(f, &long).is_err());
    }

    #[test]
    fn keys_without_indexes() {
        assert_eq!(display_key("cache[12].path"), "cache.path");
        assert_eq!(display_key("ram.max_mb"), "ram.max_mb");
    }

    #[test]
    fn error_at_falls_back_to_the_table() {
        let text = "name = \"x\"\n\n[ram]\nmode = \"fixed\"\n";
        let idx = KeyIndex::new(Path::new("f"), text).unwrap();
        let e = idx.error_at("ram.mb", "required");
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("ram.mb")));
        let e = idx.error_at("ram.mode", "x");
        assert_eq!(e.line, Some(4));
        let e = idx.error_at("nothing", "x");
        assert_eq!(e.line, Some(1));
    }
}
