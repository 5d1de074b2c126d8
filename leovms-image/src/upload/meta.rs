//! Reading `upload.toml` (docs/format.md, "upload.toml") for `publish`: through the
//! same checks as every TOML file of the share, so that a text a PC would refuse (a
//! control character, a direction override, an overlong value) never gets published.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use uuid::Uuid;

use super::{UploadKind, UploadSpec};
use crate::config::{ConfigError, KeyIndex, read_text, toml_string};
use crate::name::SafeName;
use crate::vdi::{braced, parse_braced};

/// What an upload says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadToml {
    pub kind: UploadKind,
    pub vm: SafeName,
    /// Required for [`UploadKind::Snapshot`] (checked by the caller, which knows the
    /// folder's files).
    pub snapshot: Option<SafeName>,
    pub name: Option<String>,
    pub description: String,
    pub uploader: String,
    pub source_machine: String,
    pub base_uuid: Uuid,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    format: Option<i64>,
    kind: RawKind,
    vm: String,
    snapshot: Option<String>,
    name: Option<String>,
    #[serde(default)]
    description: String,
    uploader: String,
    #[serde(default)]
    source_machine: String,
    base_uuid: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum RawKind {
    Vm,
    Snapshot,
}

impl UploadToml {
    /// Parses the text of `upload.toml`; `file` names it in errors
    /// (`<file>:<line>: <key>: <problem>`).
    pub fn parse(text: &str, file: &Path) -> Result<Self, ConfigError> {
        let index = KeyIndex::new(file, text)?;
        let raw: Raw = toml::from_str(text).map_err(|e| index.translate(&e))?;
        if raw.format.is_some_and(|f| f != crate::config::FORMAT) {
            return Err(index.error_at("format", "only format 1 is supported"));
        }
        let safe = |key: &str, value: &str| {
            SafeName::try_from(value).map_err(|e| index.error_at(key, e.to_string()))
        };
        let vm = safe("vm", &raw.vm)?;
        let snapshot = match &raw.snapshot {
            Some(s) => Some(safe("snapshot", s)?),
            None => None,
        };
        if raw.uploader.trim().is_empty() {
            return Err(index.error_at("uploader", "must not be empty"));
        }
        if raw.name.as_ref().is_some_and(|n| n.trim().is_empty()) {
            return Err(index.error_at("name", "must not be empty"));
        }
        let base_uuid = parse_braced(&raw.base_uuid)
            .or_else(|| Uuid::try_parse(&raw.base_uuid).ok())
            .ok_or_else(|| {
                let shown = crate::text::shown(&raw.base_uuid);
                index.error_at("base_uuid", format!("\"{shown}\" is not a UUID"))
            })?;
        Ok(UploadToml {
            kind: match raw.kind {
                RawKind::Vm => UploadKind::Vm,
                RawKind::Snapshot => UploadKind::Snapshot,
            },
            vm,
            snapshot,
            name: raw.name,
            description: raw.description,
            uploader: raw.uploader,
            source_machine: raw.source_machine,
            base_uuid,
        })
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::parse(&read_text(path)?, path)
    }

    /// The text of the file, `format = 1` first and `snapshot` and `name` only where
    /// they are set. [`UploadToml::parse`] reads it back as the same value.
    pub fn to_toml(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for UploadToml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "format = {}", crate::config::FORMAT)?;
        writeln!(f, "kind = {}", toml_string(self.kind.as_str()))?;
        writeln!(f, "vm = {}", toml_string(&self.vm))?;
        if let Some(snapshot) = &self.snapshot {
            writeln!(f, "snapshot = {}", toml_string(snapshot))?;
        }
        if let Some(name) = &self.name {
            writeln!(f, "name = {}", toml_string(name))?;
        }
        writeln!(f, "description = {}", toml_string(&self.description))?;
        writeln!(f, "uploader = {}", toml_string(&self.uploader))?;
        writeln!(f, "source_machine = {}", toml_string(&self.source_machine))?;
        writeln!(f, "base_uuid = \"{}\"", braced(&self.base_uuid))
    }
}

/// What `upload.toml` says about an upload to be written; an empty name is left out.
impl From<&UploadSpec> for UploadToml {
    fn from(spec: &UploadSpec) -> Self {
        UploadToml {
            kind: spec.kind,
            vm: spec.vm.clone(),
            snapshot: spec.snapshot.clone(),
            name: Some(spec.name.clone()).filter(|n| !n.is_empty()),
            description: spec.description.clone(),
            uploader: spec.uploader.clone(),
            source_machine: spec.source_machine.clone(),
            base_uuid: spec.base_uuid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::{UploadSpec, upload_toml};

    #[test]
    fn what_the_upload_writes_reads_back() {
        let spec = UploadSpec {
            kind: UploadKind::Snapshot,
            vm: SafeName::new("vm-win10").unwrap(),
            snapshot: Some(SafeName::new("lab-2028").unwrap()),
            name: "Lab \"2028\"".into(),
            description: "Line 1\nLine 2".into(),
            uploader: "mueller".into(),
            source_machine: "pc-r101-07".into(),
            base_uuid: Uuid::from_bytes([0x5f; 16]),
            files: Vec::new(),
        };
        let read = UploadToml::parse(&upload_toml(&spec), Path::new("upload.toml")).unwrap();
        assert_eq!(read.kind, UploadKind::Snapshot);
        assert_eq!(read.vm.as_str(), "vm-win10");
        assert_eq!(read.name.as_deref(), Some("Lab \"2028\""));
        assert_eq!(read.description, "Line 1\nLine 2");
        assert_eq!(read.base_uuid, spec.base_uuid);
    }

    #[test]
    fn what_it_writes_it_reads_back_as_the_same_value() {
        let file = Path::new("upload.toml");
        let mut meta = UploadToml {
            kind: UploadKind::Vm,
            vm: SafeName::new("vm-win10").unwrap(),
            snapshot: None,
            name: None,
            description: String::new(),
            uploader: "müller".into(),
            source_machine: "pc 'r101' \\ 07".into(),
            base_uuid: Uuid::from_bytes([0x5f; 16]),
        };
        assert_eq!(UploadToml::parse(&meta.to_toml(), file).unwrap(), meta);
        meta.kind = UploadKind::Snapshot;
        meta.snapshot = Some(SafeName::new("lab 2028").unwrap());
        meta.name = Some("Lab \"2028\"".into());
        meta.description = "Line 1\nLine 2".into();
        assert_eq!(UploadToml::parse(&meta.to_toml(), file).unwrap(), meta);
    }

    #[test]
    fn text_a_pc_would_refuse_is_refused() {
        let file = Path::new("mueller/lab/upload.toml");
        let base = "kind = \"snapshot\"\nvm = \"vm\"\nuploader = \"m\"\n\
                    base_uuid = \"{5f5f5f5f-5f5f-5f5f-5f5f-5f5f5f5f5f5f}\"\n";
        UploadToml::parse(base, file).unwrap();
        let e =
            UploadToml::parse(&format!("{base}name = \"Lab\\u0000 2028\"\n"), file).unwrap_err();
        assert_eq!(
            e.to_string(),
            "mueller/lab/upload.toml:5: name: contains a control character (U+0000)"
        );
        let e = UploadToml::parse(&format!("{base}source_machine = \"pc\\u202e\"\n"), file)
            .unwrap_err();
        assert!(e.to_string().contains("writing direction"), "{e}");
        let e = UploadToml::parse(&base.replace("\"vm\"", "\"../vm\""), file).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("vm"));
        let e = UploadToml::parse(&format!("{base}format = 2\n"), file).unwrap_err();
        assert!(e.to_string().contains("only format 1"), "{e}");
        let e = UploadToml::parse(&format!("{base}colour = 1\n"), file).unwrap_err();
        assert!(e.to_string().contains("unknown key"), "{e}");
    }
}
