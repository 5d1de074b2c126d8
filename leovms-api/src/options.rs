//! The `a{sv}` options of `Start` and `Upload`, read by the daemon one key at a time: a
//! foreign client (`gdbus`, a script) learns which key has the wrong type, and a misspelt
//! key is refused instead of silently doing nothing.

use std::collections::HashMap;

use zbus::zvariant::{OwnedValue, Value};

use crate::{Error, StartOptions, UploadKind, UploadOptions};

/// An options dictionary as it arrives over the bus.
pub type OptionsDict = HashMap<String, OwnedValue>;

/// How much of a key a message repeats.
const KEY_SHOWN: usize = 40;

impl StartOptions {
    /// The keys `Start` knows.
    pub const KEYS: [&'static str; 1] = ["ram-mb"];

    /// The options of a `Start` call; a wrong type or an unknown key is `InvalidArgument`.
    pub fn from_dict(dict: &OptionsDict) -> Result<StartOptions, Error> {
        let d = Dict::new("Start", dict, &Self::KEYS)?;
        Ok(StartOptions {
            ram_mb: d.u32("ram-mb")?,
        })
    }
}

impl UploadOptions {
    /// The keys `Upload` knows.
    pub const KEYS: [&'static str; 5] = ["kind", "vm", "snapshot", "name", "description"];

    /// The options of an `Upload` call; a wrong type or an unknown key is `InvalidArgument`.
    pub fn from_dict(dict: &OptionsDict) -> Result<UploadOptions, Error> {
        let d = Dict::new("Upload", dict, &Self::KEYS)?;
        Ok(UploadOptions {
            kind: d.word("kind", UploadKind::parse, UploadKind::KNOWN)?,
            vm: d.string("vm")?,
            snapshot: d.string("snapshot")?,
            name: d.string("name")?,
            description: d.string("description")?,
        })
    }
}

struct Dict<'a> {
    method: &'static str,
    dict: &'a OptionsDict,
}

impl<'a> Dict<'a> {
    fn new(method: &'static str, dict: &'a OptionsDict, known: &[&str]) -> Result<Self, Error> {
        let mut unknown: Vec<&String> = dict
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .collect();
        unknown.sort();
        if let Some(key) = unknown.first() {
            return Err(Error::invalid(format!(
                "{method} has no option {}; its options are: {}.",
                quoted(key),
                known.join(", ")
            )));
        }
        Ok(Dict { method, dict })
    }

    fn get(&self, key: &str) -> Option<&'a Value<'static>> {
        // A variant may wrap another variant (`<<uint32 1024>>`); the innermost counts.
        let mut value: &Value<'static> = self.dict.get(key)?;
        while let Value::Value(inner) = value {
            value = inner;
        }
        Some(value)
    }

    fn u32(&self, key: &str) -> Result<Option<u32>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::U32(n)) => Ok(Some(*n)),
            Some(other) => Err(self.wrong_type(key, "a whole number (uint32, \"u\")", other)),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.as_str().to_owned())),
            Some(other) => Err(self.wrong_type(key, "text (string, \"s\")", other)),
        }
    }

    /// One of the `known` words; a word outside them is refused here, where it can still be
    /// named (`parse` makes it `Unknown`).
    fn word<W: Copy + PartialEq + std::fmt::Display>(
        &self,
        key: &str,
        parse: fn(&str) -> W,
        known: &[W],
    ) -> Result<Option<W>, Error> {
        let Some(text) = self.string(key)? else {
            return Ok(None);
        };
        let word = parse(&text);
        if known.contains(&word) {
            return Ok(Some(word));
        }
        let words: Vec<String> = known.iter().map(|w| w.to_string()).collect();
        Err(Error::invalid(format!(
            "The {} option {key} must be {}, not {}.",
            self.method,
            words.join(" or "),
            quoted(&text)
        )))
    }

    fn wrong_type(&self, key: &str, wanted: &str, got: &Value<'_>) -> Error {
        Error::invalid(format!(
            "The {} option {key} must be {wanted}, not a value of type \"{}\".",
            self.method,
            got.value_signature()
        ))
    }
}

/// A key as a message repeats it: escaped and short, since any client may send any key.
fn quoted(key: &str) -> String {
    let mut out: String = key
        .chars()
        .take(KEY_SHOWN)
        .flat_map(char::escape_debug)
        .collect();
    if key.chars().nth(KEY_SHOWN).is_some() {
        out.push('…');
    }
    format!("\"{out}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(entries: &[(&str, Value<'_>)]) -> OptionsDict {
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.try_to_owned().unwrap()))
            .collect()
    }

    #[test]
    fn known_keys_with_their_types_are_read() {
        assert_eq!(
            StartOptions::from_dict(&OptionsDict::new()).unwrap(),
            StartOptions::default()
        );
        let d = dict(&[("ram-mb", Value::U32(1024))]);
        assert_eq!(StartOptions::from_dict(&d).unwrap().ram_mb, Some(1024));
        let nested = dict(&[("ram-mb", Value::Value(Box::new(Value::U32(512))))]);
        assert_eq!(StartOptions::from_dict(&nested).unwrap().ram_mb, Some(512));
        let d = dict(&[("kind", Value::from("vm")), ("name", Value::from("Lab 1"))]);
        let u = UploadOptions::from_dict(&d).unwrap();
        assert_eq!(
            (u.kind, u.name.as_deref(), u.vm),
            (Some(UploadKind::Vm), Some("Lab 1"), None)
        );
    }

    #[test]
    fn a_wrong_type_names_the_key_and_the_type() {
        let d = dict(&[("ram-mb", Value::from("lots"))]);
        let e = StartOptions::from_dict(&d).unwrap_err();
        assert_eq!(
            e,
            Error::invalid(
                "The Start option ram-mb must be a whole number (uint32, \"u\"), not a value of type \"s\"."
            )
        );
        let d = dict(&[("name", Value::U32(3))]);
        let e = UploadOptions::from_dict(&d).unwrap_err().message();
        assert!(e.contains("option name must be text"), "{e}");
    }

    #[test]
    fn a_word_outside_its_set_is_refused_and_named() {
        let d = dict(&[("kind", Value::from("snapshot"))]);
        let u = UploadOptions::from_dict(&d).unwrap();
        assert_eq!(u.kind, Some(UploadKind::Snapshot));
        for word in ["template", "unknown"] {
            let d = dict(&[("kind", Value::from(word))]);
            assert_eq!(
                UploadOptions::from_dict(&d).unwrap_err(),
                Error::invalid(format!(
                    "The Upload option kind must be snapshot or vm, not \"{word}\"."
                ))
            );
        }
    }

    #[test]
    fn an_unknown_key_names_the_known_ones() {
        let d = dict(&[("ram", Value::U32(1024))]);
        assert_eq!(
            StartOptions::from_dict(&d).unwrap_err(),
            Error::invalid("Start has no option \"ram\"; its options are: ram-mb.")
        );
        let d = dict(&[("colour", Value::from("red"))]);
        let e = UploadOptions::from_dict(&d).unwrap_err().message();
        assert!(
            e.ends_with("its options are: kind, vm, snapshot, name, description."),
            "{e}"
        );
        let hostile = format!("\u{1b}[2J{}", "k".repeat(1000));
        let e = StartOptions::from_dict(&dict(&[(&hostile, Value::U32(1))]))
            .unwrap_err()
            .message();
        assert!(e.starts_with("Start has no option \"\\u{1b}[2Jkkk"), "{e}");
        assert!(e.len() < 120 && !e.contains('\u{1b}'), "{e}");
    }
}
