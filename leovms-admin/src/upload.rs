//! Uploads: `upload/<user>/<name>-<time>/` with `upload.toml` and a `manifest.toml`
//! written last (see docs/format.md, "Uploads").

use std::path::{Path, PathBuf};

use leovms_image::atomic::TMP_PREFIX;
use leovms_image::manifest::Manifest;
use leovms_image::name::SafeName;
pub use leovms_image::upload::{UploadKind as Kind, UploadToml};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::tree;

pub const UPLOAD_TOML: &str = "upload.toml";
pub const MANIFEST: &str = "manifest.toml";

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
        return Err(invalid(format!("there is no upload {}", dir.display())));
    }
    let manifest_path = dir.join(MANIFEST);
    let Some(manifest) = tree::load_manifest(&manifest_path)? else {
        return Err(invalid(format!(
            "the upload {shown} is incomplete: it has no manifest.toml (written last, when \
             the upload is finished); nothing was published"
        )));
    };
    let files = tree::files_below(dir, &|name| name.starts_with(TMP_PREFIX))?;
    for file in &files {
        if file != MANIFEST && manifest.get(file).is_none() {
            return Err(invalid(format!(
                "the upload {shown} holds {file}, which its manifest does not list"
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
        return Err(invalid(format!("the upload {shown} has no upload.toml")));
    }
    let toml_path = dir.join(UPLOAD_TOML);
    let text = read_text(&toml_path).map_err(|e| Error::io(&toml_path, e))?;
    // Checked like every TOML file a PC reads: what a PC would refuse is refused here.
    let shown_toml = format!("{shown}/{UPLOAD_TOML}");
    let meta =
        UploadToml::parse(&text, Path::new(&shown_toml)).map_err(|e| invalid(e.to_string()))?;
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
    pub fn snapshot_ids(&self) -> Vec<String> {
        tree::snapshot_ids(&self.manifest)
    }

    pub fn base_archive(&self) -> Option<&str> {
        ["base.tar.zst", "base.tar.gz"]
            .into_iter()
            .find(|p| self.manifest.get(p).is_some())
    }

    fn check_layout(&self) -> Result<()> {
        let refuse = |path: &str, why: &str| {
            invalid(format!(
                "the upload {} holds {path}, which {why}",
                self.shown
            ))
        };
        match self.meta.kind {
            Kind::Snapshot => {
                let Some(id) = &self.snapshot else {
                    return Err(invalid(format!(
                        "{}/upload.toml: snapshot: required when kind = \"snapshot\"",
                        self.shown
                    )));
                };
                let archive = format!("snapshots/{id}/snapshot.tar.zst");
                for e in &self.manifest.files {
                    if e.path != UPLOAD_TOML && e.path != archive {
                        return Err(refuse(
                            &e.path,
                            &format!(
                                "a snapshot upload does not have (only upload.toml and {archive})"
                            ),
                        ));
                    }
                }
                if self.manifest.get(&archive).is_none() {
                    return Err(invalid(format!(
                        "the upload {} misses {archive}",
                        self.shown
                    )));
                }
            }
            Kind::Vm => {
                for required in ["image.conf", "machine.vbox"] {
                    if self.manifest.get(required).is_none() {
                        return Err(invalid(format!(
                            "the upload {} misses {required}",
                            self.shown
                        )));
                    }
                }
                if self.base_archive().is_none() {
                    return Err(invalid(format!(
                        "the upload {} misses base.tar.zst",
                        self.shown
                    )));
                }
                for e in &self.manifest.files {
                    let top = matches!(
                        e.path.as_str(),
                        UPLOAD_TOML
                            | "image.conf"
                            | "machine.vbox"
                            | "base.tar.zst"
                            | "base.tar.gz"
                    );
                    let parts: Vec<&str> = e.path.split('/').collect();
                    let snap = matches!(
                        parts.as_slice(),
                        [
                            "snapshots",
                            _,
                            "snapshot.conf" | "snapshot.tar.zst" | "snapshot.tar.gz"
                        ]
                    );
                    if !top && !snap {
                        return Err(refuse(&e.path, "a published machine does not have"));
                    }
                }
                for id in self.snapshot_ids() {
                    let has = |f: &str| self.manifest.get(&format!("snapshots/{id}/{f}")).is_some();
                    if !has("snapshot.tar.zst") && !has("snapshot.tar.gz") {
                        return Err(invalid(format!(
                            "the upload {} misses snapshots/{id}/snapshot.tar.zst",
                            self.shown
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A small file of the teacher's folder: no link followed, no FIFO opened, at most
/// 16 MiB read.
pub(crate) fn read_small(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    leovms_image::dirfd::open_regular(path)?
        .take(16 << 20)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn read_text(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_small(path)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}
