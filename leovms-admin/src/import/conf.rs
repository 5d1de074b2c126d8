//! The new `image.conf` and `snapshot.conf` files from leoclient2's `image.conf` files:
//! what converts is converted, anything else is kept as a comment and reported.

use std::fmt::Write as _;
use std::time::SystemTime;

use leovms_image::config::{SnapshotConf, toml_string, toml_strings};

use super::source::{LegacyConf, Source};
use crate::l10n::fl;

/// A value from leoclient2 for a TOML comment (no control characters).
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// leoclient2's access keys and their lists in format v1 (`room=r101,r102` becomes
/// `rooms = ["r101", "r102"]`); the semantics are the same (docs/format.md).
const ACCESS_KEYS: [(&str, &str); 4] = [
    ("user", "users"),
    ("group", "groups"),
    ("host", "hosts"),
    ("room", "rooms"),
];

/// The names of leoclient2's key `key` in `conf` (its last value wins, as in leoclient2;
/// names are separated by commas or spaces), each once.
fn names(conf: &LegacyConf, key: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let value = conf.get(key).unwrap_or_default();
    for name in value.split([',', ' ', '\t']).filter(|n| !n.is_empty()) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    names
}

/// `key = ["a", "b"]` lines for the leoclient2 keys among `keys` that `conf` sets.
fn name_lists(conf: &LegacyConf, keys: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (old, new) in keys {
        let names = names(conf, old);
        if !names.is_empty() {
            let _ = writeln!(out, "{new} = {}", toml_strings(&names));
        }
    }
    out
}

/// Lines of `conf` whose key is not in `converted`, as `key = value`.
fn dropped_lines(conf: &LegacyConf, converted: &[&str]) -> Vec<String> {
    conf.entries
        .iter()
        .filter(|(k, _)| !converted.contains(&k.as_str()))
        .map(|(k, v)| format!("{k} = {v}"))
        .chain(conf.ignored.iter().cloned())
        .collect()
}

/// `dropped` as comment lines below `heading`.
fn comments(heading: &str, dropped: &[String]) -> String {
    let mut out = format!("# {heading}\n");
    for line in dropped {
        let _ = writeln!(out, "#   {}", comment_text(line));
    }
    out
}

/// `image.conf`: leoclient2's access rules (`user`, `group`, `host`, `room`) become the
/// `[access]` table; anything else is kept as a comment and reported.
pub(super) fn image_conf(name: &str, source: &Source, warnings: &mut Vec<String>) -> String {
    let mut out = format!("name = {}\n", toml_string(name));
    let _ = writeln!(
        out,
        "\n# Imported from the leoclient2 folder {}.",
        comment_text(&source.dir.display().to_string())
    );
    let Some(conf) = &source.image_conf else {
        return out;
    };
    let dropped = dropped_lines(conf, &["user", "group", "host", "room"]);
    if !dropped.is_empty() {
        out.push_str(&comments(
            "Settings of leoclient2's image.conf, not converted:",
            &dropped,
        ));
        warnings.push(fl!(
            "import-not-converted",
            file = "image.conf",
            lines = dropped.join("; ")
        ));
    }
    let access = name_lists(conf, &ACCESS_KEYS);
    if !access.is_empty() {
        let _ = write!(out, "\n[access]\n{access}");
    }
    out
}

/// `snapshot.conf`: `name` and `maintainer` from the snapshot's leoclient2 `image.conf`
/// (the folder name when there is no name), `created` from the zip's time, its `host`
/// and `room` as `hosts` and `rooms`.
pub(super) fn snapshot_conf(
    folder: &str,
    conf: &LegacyConf,
    modified: SystemTime,
    place: &str,
    warnings: &mut Vec<String>,
) -> String {
    let name = match conf.get("name").filter(|n| !n.trim().is_empty()) {
        Some(name) => name.to_owned(),
        None if folder == "standard" => "Standard".to_owned(),
        None => folder.to_owned(),
    };
    let snapshot = SnapshotConf {
        name,
        maintainer: conf.get("maintainer").unwrap_or_default().to_owned(),
        created: Some(rfc3339(modified)),
        description: String::new(),
        hosts: names(conf, "host"),
        rooms: names(conf, "room"),
    };
    let mut out = snapshot.to_toml();
    let dropped = dropped_lines(conf, &["name", "maintainer", "host", "room"]);
    if !dropped.is_empty() {
        out.push_str(&comments(
            "Settings of leoclient2, not converted:",
            &dropped,
        ));
        warnings.push(fl!(
            "import-not-converted",
            file = format!("{place}/image.conf"),
            lines = dropped.join("; ")
        ));
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC) of a file time; times before 1970 become 1970.
pub(super) fn rfc3339(t: SystemTime) -> String {
    leovms_image::utc::Utc::from(t).rfc3339()
}
