//! Upload folders (docs/format.md, "Uploads"): `upload.toml`, the files laid out as in a
//! published VM folder, and `manifest.toml` written last. The folder usually lives on a
//! network share (SMB, FUSE), so it is written with plain creates and renames inside one
//! folder, no hard links, and fsync where the share allows it.

mod error;
mod meta;
mod write;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::path::PathBuf;

use uuid::Uuid;

use crate::archive::Compression;
use crate::layout::{self, BASE_ARCHIVE, BASE_ARCHIVES, IMAGE_CONF, MACHINE_VBOX};
use crate::name::{SafeName, safe_relative_path};

pub use error::UploadError;
pub use meta::UploadToml;
pub use write::write_upload;

pub use crate::layout::{MANIFEST, UPLOAD_TOML};

/// `kind` in `upload.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    /// A whole new machine.
    Vm,
    /// A new snapshot of a published machine.
    Snapshot,
}

impl UploadKind {
    /// As `upload.toml` writes it: `vm` or `snapshot`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vm => "vm",
            Self::Snapshot => "snapshot",
        }
    }
}

/// What to upload: the values of `upload.toml` and the files.
#[derive(Debug, Clone)]
pub struct UploadSpec {
    pub kind: UploadKind,
    pub vm: SafeName,
    /// Required for [`UploadKind::Snapshot`].
    pub snapshot: Option<SafeName>,
    /// The snapshot's name shown to users; empty leaves it out (the id is used).
    pub name: String,
    pub description: String,
    pub uploader: String,
    pub source_machine: String,
    pub base_uuid: Uuid,
    pub files: Vec<UploadFile>,
}

/// One file of the upload.
#[derive(Debug, Clone)]
pub enum UploadFile {
    /// Packed from `entries` (source file, path inside the archive); the compression
    /// follows the name (`.tar.zst` or `.tar.gz`).
    Archive {
        path_in_upload: String,
        entries: Vec<(PathBuf, String)>,
    },
    /// Copied as it is (`machine.vbox`, `image.conf`, `snapshot.conf`).
    Copy {
        path_in_upload: String,
        source: CopySource,
    },
}

#[derive(Debug, Clone)]
pub enum CopySource {
    File(PathBuf),
    Bytes(Vec<u8>),
}

impl UploadFile {
    pub fn path_in_upload(&self) -> &str {
        match self {
            Self::Archive { path_in_upload, .. } | Self::Copy { path_in_upload, .. } => {
                path_in_upload
            }
        }
    }
}

/// Source bytes handled so far, of `total` known before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadProgress {
    pub done: u64,
    pub total: u64,
}

/// What [`write_upload`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadReport {
    /// The manifest written last: every other file with size and sha256.
    pub manifest: crate::manifest::Manifest,
    /// Sum of the source sizes.
    pub source_bytes: u64,
}

/// The text of `upload.toml` (see [`UploadToml::to_toml`]).
pub fn upload_toml(spec: &UploadSpec) -> String {
    UploadToml::from(spec).to_toml()
}

/// Checks what `publish` would refuse anyway, before anything is written.
fn check(spec: &UploadSpec) -> Result<(), UploadError> {
    let bad = |why: String| Err(UploadError::BadSpec(why));
    if spec.uploader.trim().is_empty() {
        return bad("the uploader is empty".into());
    }
    if !spec.name.is_empty() && spec.name.trim().is_empty() {
        return bad("the name is blank".into());
    }
    let mut seen = HashSet::new();
    for file in &spec.files {
        let path = file.path_in_upload();
        if let Err(e) = safe_relative_path(path) {
            return bad(e.to_string());
        }
        if path == UPLOAD_TOML || path == MANIFEST || !seen.insert(path) {
            return bad(format!(
                "{path} is given twice or is written by the upload itself"
            ));
        }
        if let UploadFile::Archive { entries, .. } = file {
            if Compression::from_path(path.as_ref()).is_none() {
                return bad(format!("{path} is not a .tar.zst or .tar.gz archive"));
            }
            if entries.is_empty() {
                return bad(format!("{path} would be empty"));
            }
        }
    }
    let has = |p: &str| seen.contains(p);
    match (spec.kind, &spec.snapshot) {
        (UploadKind::Snapshot, None) => bad("a snapshot upload needs a snapshot id".into()),
        (UploadKind::Snapshot, Some(id)) => {
            let archive = layout::snapshot_archive(id);
            if seen.len() != 1 || !has(&archive) {
                return bad(format!("a snapshot upload holds exactly {archive}"));
            }
            Ok(())
        }
        (UploadKind::Vm, _) => {
            for required in [IMAGE_CONF, MACHINE_VBOX] {
                if !has(required) {
                    return bad(format!("a machine upload needs {required}"));
                }
            }
            if !BASE_ARCHIVES.iter().any(|p| has(p)) {
                return bad(format!("a machine upload needs {BASE_ARCHIVE}"));
            }
            Ok(())
        }
    }
}
