//! Uploads: `upload/<user>/<name>-<time>/` with `upload.toml` and a `manifest.toml`
//! written last (see docs/format.md, "Uploads").

use std::path::{Path, PathBuf};

use leovms_image::atomic::TMP_PREFIX;
use leovms_image::layout::{self, BASE_ARCHIVE, IMAGE_CONF, MACHINE_VBOX, MANIFEST, UPLOAD_TOML};
use leovms_image::manifest::{Manifest, ManifestEntry};
use leovms_image::name::SafeName;
pub use leovms_image::upload::{UploadKind as Kind, UploadToml};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::l10n::fl;
use crate::publish::conf_invalid;
use crate::tree;

/// A complete upload whose files all match its manifest.
#[derive(Debug)]
pub struct Upload {
    pub dir: PathBuf,
    /// How messages name it: `<user>/<dir>`.
    pub shown: String,
    pub manifest: Manifest,
    pub meta: UploadToml,
    pub vm: SafeName,
    pub snapshot: Option<SafeName>,
    pub base_uuid: Uuid,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}

/// `<user>/<dir>` for an upload folder.
pub fn shown_name(dir: &Path) -> String {
    let name = |p: Option<&Path>| {
        p.and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    format!("{}/{}", name(dir.parent()), name(Some(dir)))
}

/// What `upload.toml` says, without checking the files (for `list`).
pub fn peek(dir: &Path) -> Option<UploadToml> {
    let text = read_text(&dir.join(UPLOAD_TOML)).ok()?;
    UploadToml::parse(&text, Path::new(UPLOAD_TOML)).ok()
}

/// Opens and checks an upload: manifest present, every file listed and matching,
/// nothing unlisted, `upload.toml` valid, and the files its kind needs (and no others).
pub fn open(dir: &Path) -> Result<Upload> {
    let shown = shown_name(dir);
    if !dir.is_dir() {
        return Err(invalid(fl!(
            "upload-missing",
            dir = dir.display().to_string()
        )));
    }
    let manifest_path = dir.join(MANIFEST);
    let Some(manifest) = tree::load_manifest(&manifest_path)? else {
        return Err(invalid(fl!(
            "upload-incomplete-refused",
            upload = shown.as_str()
        )));
    };
    let files = tree::files_below(dir, &|name| name.starts_with(TMP_PREFIX))?;
    for file in &files {
        if file != MANIFEST && manifest.get(file).is_none() {
            return Err(invalid(fl!(
                "upload-unlisted",
                upload = shown.as_str(),
                file = file.as_str()
            )));
        }
    }
    for entry in &manifest.files {
        tree::check_file(
            &dir.join(&entry.path),
            entry,
            &format!("{shown}/{}", entry.path),
        )?;
    }
    if manifest.get(UPLOAD_TOML).is_none() {
        return Err(invalid(fl!("upload-no-toml", upload = shown.as_str())));
    }
    let toml_path = dir.join(UPLOAD_TOML);
    let text = read_text(&toml_path)?;
    // Checked like every TOML file a PC reads: what a PC would refuse is refused here.
    let shown_toml = format!("{shown}/{UPLOAD_TOML}");
    let meta = UploadToml::parse(&text, Path::new(&shown_toml)).map_err(conf_invalid)?;
    let (vm, snapshot, base_uuid) = (meta.vm.clone(), meta.snapshot.clone(), meta.base_uuid);
    let upload = Upload {
        dir: dir.to_owned(),
        shown,
        manifest,
        meta,
        vm,
        snapshot,
        base_uuid,
    };
    upload.check_layout()?;
    Ok(upload)
}

impl Upload {
    /// The snapshot ids the upload holds (`snapshots/<id>/…`).
    pub fn snapshot_ids(&self) -> Vec<SafeName> {
        layout::snapshot_ids(&self.manifest)
    }

    /// The upload's base archive (`base.tar.zst` or `base.tar.gz`).
    pub fn base_archive(&self) -> Option<&ManifestEntry> {
        layout::base_archive(&self.manifest)
    }

    fn check_layout(&self) -> Result<()> {
        let upload = self.shown.as_str();
        let misses = |path: &str| invalid(fl!("upload-misses", upload = upload, file = path));
        match self.meta.kind {
            Kind::Snapshot => {
                let Some(id) = &self.snapshot else {
                    return Err(invalid(fl!(
                        "upload-snapshot-unnamed",
                        file = format!("{upload}/{UPLOAD_TOML}")
                    )));
                };
                let archive = layout::snapshot_archive(id);
                for e in &self.manifest.files {
                    if e.path != UPLOAD_TOML && e.path != archive {
                        return Err(invalid(fl!(
                            "upload-not-in-snapshot",
                            upload = upload,
                            file = e.path.as_str(),
                            archive = archive.as_str()
                        )));
                    }
                }
                if self.manifest.get(&archive).is_none() {
                    return Err(misses(&archive));
                }
            }
            Kind::Vm => {
                for required in [IMAGE_CONF, MACHINE_VBOX] {
                    if self.manifest.get(required).is_none() {
                        return Err(misses(required));
                    }
                }
                if self.base_archive().is_none() {
                    return Err(misses(BASE_ARCHIVE));
                }
                for e in &self.manifest.files {
                    if e.path != UPLOAD_TOML && !layout::is_vm_file(&e.path) {
                        return Err(invalid(fl!(
                            "upload-not-in-vm",
                            upload = upload,
                            file = e.path.as_str()
                        )));
                    }
                }
                for id in self.snapshot_ids() {
                    if layout::snapshot_archive_in(&self.manifest, &id).is_none() {
                        return Err(misses(&layout::snapshot_archive(&id)));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A small text file of the teacher's folder (see [`tree::read_small`]).
fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(tree::read_small(path)?).map_err(|e| {
        Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })
}
