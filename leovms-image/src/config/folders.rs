//! Shared folders of image.conf: defaults, overrides and resolution on the client.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use super::{ConfigError, ImageConf, KeyIndex, is_home_or_absolute};
use crate::name::SafeName;

/// One `[shared_folders]` entry: candidate host paths (first existing wins) or `false`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderSetting {
    Paths(Vec<String>),
    Removed,
}

impl<'de> Deserialize<'de> for FolderSetting {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FolderVisitor)
    }
}

struct FolderVisitor;

impl<'de> Visitor<'de> for FolderVisitor {
    type Value = FolderSetting;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a path, a list of paths, or false")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(FolderSetting::Paths(vec![v.to_owned()]))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        if v {
            Err(E::custom(
                "true is not allowed: give a path or a list of paths (false removes the folder)",
            ))
        } else {
            Ok(FolderSetting::Removed)
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut paths = Vec::new();
        while let Some(path) = seq.next_element::<String>()? {
            paths.push(path);
        }
        Ok(FolderSetting::Paths(paths))
    }
}

/// A shared folder as the VM gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFolder {
    pub name: String,
    pub host_path: PathBuf,
}

/// `~` and `~/...` relative to `home`; anything else unchanged.
pub fn expand_home(path: &str, home: &Path) -> PathBuf {
    if path == "~" {
        home.to_owned()
    } else if let Some(rest) = path.strip_prefix("~/") {
        home.join(rest)
    } else {
        PathBuf::from(path)
    }
}

fn defaults() -> BTreeMap<String, Vec<String>> {
    BTreeMap::from([
        (
            "home".to_owned(),
            vec!["~/Home_auf_Server".to_owned(), "~".to_owned()],
        ),
        ("media".to_owned(), vec!["/media".to_owned()]),
    ])
}

/// The VM's shared folders for a user with home `home`: the defaults overridden by
/// image.conf; per folder the first existing candidate wins, else the last one.
pub fn resolve_shared_folders(conf: &ImageConf, home: &Path) -> Vec<SharedFolder> {
    let mut folders = defaults();
    for (name, setting) in &conf.shared_folders {
        match setting {
            FolderSetting::Paths(paths) => {
                folders.insert(name.clone(), paths.clone());
            }
            FolderSetting::Removed => {
                folders.remove(name);
            }
        }
    }
    folders
        .into_iter()
        .filter_map(|(name, candidates)| {
            let expanded: Vec<PathBuf> = candidates.iter().map(|c| expand_home(c, home)).collect();
            let host_path = expanded
                .iter()
                .find(|p| p.is_dir())
                .or(expanded.last())?
                .clone();
            Some(SharedFolder { name, host_path })
        })
        .collect()
}

pub(super) fn check(
    folders: &BTreeMap<String, FolderSetting>,
    index: &KeyIndex<'_>,
) -> Result<(), ConfigError> {
    for (name, setting) in folders {
        let key = format!("shared_folders.{name}");
        if let Err(e) = SafeName::new(name.as_str()) {
            return Err(index.error_at(&key, format!("not usable as a folder name: {e}")));
        }
        let FolderSetting::Paths(paths) = setting else {
            continue;
        };
        if paths.is_empty() {
            return Err(index.error_at(&key, "give at least one path (or false to remove it)"));
        }
        if let Some(bad) = paths.iter().find(|p| !is_home_or_absolute(p)) {
            return Err(index.error_at(
                &key,
                format!("\"{bad}\" must be an absolute path or start with ~/"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(text: &str) -> ImageConf {
        ImageConf::parse(text, Path::new("image.conf")).unwrap()
    }

    #[test]
    fn expand() {
        let home = Path::new("/home/anna");
        assert_eq!(expand_home("~", home), home);
        assert_eq!(expand_home("~/x/y", home), Path::new("/home/anna/x/y"));
        assert_eq!(expand_home("/media", home), Path::new("/media"));
        assert_eq!(expand_home("~bob/x", home), Path::new("~bob/x"));
    }

    #[test]
    fn defaults_pick_first_existing() {
        let home = tempfile::tempdir().unwrap();
        let conf = image("name = \"x\"\n");
        let got = resolve_shared_folders(&conf, home.path());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, "home");
        assert_eq!(got[0].host_path, home.path());
        assert_eq!(got[1].name, "media");
        assert_eq!(got[1].host_path, Path::new("/media"));
        std::fs::create_dir(home.path().join("Home_auf_Server")).unwrap();
        let got = resolve_shared_folders(&conf, home.path());
        assert_eq!(got[0].host_path, home.path().join("Home_auf_Server"));
    }

    #[test]
    fn overrides_and_removal() {
        let home = tempfile::tempdir().unwrap();
        let conf = image(
            "name = \"x\"\n[shared_folders]\nmedia = false\nhome = \"~/Dokumente\"\n\
             tausch = [\"/srv/nothing-here\", \"/srv/also-missing\"]\n",
        );
        let got = resolve_shared_folders(&conf, home.path());
        let names: Vec<_> = got.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["home", "tausch"]);
        // Nothing exists: the last candidate is used.
        assert_eq!(got[0].host_path, home.path().join("Dokumente"));
        assert_eq!(got[1].host_path, Path::new("/srv/also-missing"));
    }
}
