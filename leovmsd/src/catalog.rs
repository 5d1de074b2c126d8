//! What the share offers: VMs, their snapshots and archives, read through the
//! manifest so that nothing unpublished or changed after publishing is ever used.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use leovms_api::ErrorKind;
use leovms_image::config::{ClientConf, ImageConf, SnapshotConf, VboxConf};
use leovms_image::layout::{
    self, BASE_ARCHIVE, CLIENT_CONF, IMAGE_CONF, MACHINE_VBOX, MANIFEST, SNAPSHOT_ARCHIVE,
    VBOX_CONF,
};
use leovms_image::manifest::{self, Manifest, ManifestEntry, verify_small_file};
use leovms_image::name::{NameError, NameProblem, SafeName};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// An archive on the share as the manifest describes it.
#[derive(Debug, Clone)]
pub struct ArchiveRef {
    pub path: PathBuf,
    pub size: u64,
    pub sha256: [u8; 32],
    pub unpacked: u64,
}

impl ArchiveRef {
    fn from_entry(dir: &Path, entry: &ManifestEntry) -> ArchiveRef {
        ArchiveRef {
            path: dir.join(&entry.path),
            size: entry.size,
            sha256: entry.sha256,
            unpacked: entry.unpacked.unwrap_or(entry.size),
        }
    }

    /// The content identity used for unpacked bases: 16 hex digits of the sha256.
    pub fn short_hash(&self) -> String {
        hex::encode(&self.sha256[..8])
    }

    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }

    pub fn expected(&self) -> leovms_image::archive::Expected {
        leovms_image::archive::Expected {
            size: self.size,
            sha256: self.sha256,
            unpacked: self.unpacked,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SnapEntry {
    pub id: SafeName,
    pub conf: SnapshotConf,
    pub archive: ArchiveRef,
}

/// One published VM. `problem` is set when it cannot be started, with the reason.
#[derive(Debug, Clone)]
pub struct VmEntry {
    pub id: SafeName,
    /// The folder it was read from (on the share, or this user's offline copy).
    pub dir: PathBuf,
    /// 16 hex digits of the manifest's sha256: which publication this is.
    pub revision: String,
    pub image: ImageConf,
    pub template: Vec<u8>,
    pub base: ArchiveRef,
    pub snapshots: Vec<SnapEntry>,
    /// Snapshots that cannot be used, with the reason.
    pub broken_snapshots: Vec<(SafeName, Error)>,
    /// Snapshots not shown on this PC (their `hosts`/`rooms`), with the reason.
    pub hidden_snapshots: Vec<(SafeName, Error)>,
}

impl VmEntry {
    pub fn snapshot(&self, id: &str) -> Result<&SnapEntry> {
        if let Some(s) = self.snapshots.iter().find(|s| s.id.as_str() == id) {
            return Ok(s);
        }
        if let Some((_, e)) = self
            .broken_snapshots
            .iter()
            .chain(&self.hidden_snapshots)
            .find(|(s, _)| s.as_str() == id)
        {
            return Err(e.clone());
        }
        Err(
            Error::not_found(format!("{} has no snapshot \"{id}\".", self.image.name)).said(
                "no-such-snapshot",
                &[("vm", &self.image.name), ("snapshot", &id)],
            ),
        )
    }
}

/// Whether the share can be read at all.
pub fn check_share(data_dir: &Path) -> Result<()> {
    match std::fs::read_dir(data_dir) {
        Ok(_) => Ok(()),
        Err(e) => Err(Error::new(
            ErrorKind::Offline,
            format!(
                "The VM share is not available ({}: {e}). Check the network or ask the school's admin.",
                data_dir.display()
            ),
        )
        .said(
            "share-unavailable",
            &[("path", &data_dir.display()), ("reason", &e)],
        )),
    }
}

/// The share's `leovms-vbox.conf`; defaults when the share has none.
pub fn load_vbox_conf(data_dir: &Path) -> Result<VboxConf> {
    let path = data_dir.join(VBOX_CONF);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(VboxConf::parse(&text, &path)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(VboxConf::parse("", &path)?),
        Err(e) => Err(Error::io(path.display(), &e)),
    }
}

/// The share's `leovms-client.conf` (caches); no caches when the share has none.
pub fn load_client_conf(dir: &Path) -> Result<ClientConf> {
    let path = dir.join(CLIENT_CONF);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(ClientConf::parse(&text, &path)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ClientConf::parse("", &path)?),
        Err(e) => Err(Error::io(path.display(), &e)),
    }
}

/// Every VM directory on the share: its id and the VM or why it cannot be used.
/// Directories without a manifest are not published yet and are left out.
pub fn list(data_dir: &Path) -> Result<Vec<(SafeName, Result<VmEntry>)>> {
    check_share(data_dir)?;
    let mut out = Vec::new();
    let rd = std::fs::read_dir(data_dir).map_err(|e| Error::io(data_dir.display(), &e))?;
    for dirent in rd.flatten() {
        let dir = dirent.path();
        let id = match SafeName::new(dirent.file_name().to_string_lossy()) {
            Ok(id) => id,
            Err(e) => {
                // Hidden and temporary names are not VMs; a published folder with an
                // unusable name (too long, control characters) is named in the log.
                if e.problem != NameProblem::LeadingDot && dir.join(MANIFEST).is_file() {
                    warn_once(&e);
                }
                continue;
            }
        };
        if !dir.join(MANIFEST).is_file() {
            continue;
        }
        let vm = load_dir(id.clone(), dir);
        out.push((id, vm));
    }
    out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    Ok(out)
}

/// Logs an unusable VM folder name the first time it is seen, not at every listing.
fn warn_once(e: &NameError) {
    static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if seen.insert(e.name.clone()) {
        tracing::warn!("a VM folder on the share is left out: {e}");
    }
}

/// One VM by id.
pub fn load(data_dir: &Path, id: &str) -> Result<VmEntry> {
    let id = SafeName::new(id)?;
    check_share(data_dir)?;
    let dir = data_dir.join(id.as_str());
    if !dir.join(MANIFEST).is_file() {
        return Err(
            Error::not_found(format!("There is no VM \"{id}\" on the share."))
                .said("no-such-vm", &[("vm", &id)]),
        );
    }
    load_dir(id, dir)
}

pub fn load_dir(id: SafeName, dir: PathBuf) -> Result<VmEntry> {
    let manifest_path = dir.join(MANIFEST);
    let manifest_bytes = read_small(&manifest_path)?;
    let revision = hex::encode(&Sha256::digest(&manifest_bytes)[..8]);
    let manifest = Manifest::parse(&String::from_utf8_lossy(&manifest_bytes), &manifest_path)?;
    let image_bytes = verified(&dir, &manifest, IMAGE_CONF)?;
    let image_path = dir.join(IMAGE_CONF);
    let image = ImageConf::parse(&String::from_utf8_lossy(&image_bytes), &image_path)?;
    let template = verified(&dir, &manifest, MACHINE_VBOX)?;
    let base = layout::base_archive(&manifest)
        .map(|e| ArchiveRef::from_entry(&dir, e))
        .ok_or_else(|| {
            Error::config(format!(
                "{id} has no base archive ({BASE_ARCHIVE}) in its manifest."
            ))
        })?;
    let mut snapshots = Vec::new();
    let mut broken_snapshots = Vec::new();
    for snap_id in snapshot_ids(&manifest) {
        match load_snapshot(&dir, &manifest, &snap_id) {
            Ok(s) => snapshots.push(s),
            Err(e) => broken_snapshots.push((snap_id, e)),
        }
    }
    snapshots.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    Ok(VmEntry {
        id,
        dir,
        revision,
        image,
        template,
        base,
        snapshots,
        broken_snapshots,
        hidden_snapshots: Vec::new(),
    })
}

/// Snapshot ids named by the manifest, each with its `snapshots/<id>/snapshot.conf`.
///
/// [`layout::snapshot_ids`] also names an id that has only an archive. Such an id is left
/// out here, as it always was, rather than listed as a broken snapshot: without its
/// `snapshot.conf` it has no name to show and is no snapshot (docs/format.md: one exists
/// when both files are listed), and a student could do nothing with an entry saying a
/// settings file is missing. A listed `snapshot.conf` without an archive stays broken.
fn snapshot_ids(manifest: &Manifest) -> Vec<SafeName> {
    let mut ids = layout::snapshot_ids(manifest);
    ids.retain(|id| manifest.get(&layout::snapshot_conf(id)).is_some());
    ids
}

fn load_snapshot(dir: &Path, manifest: &Manifest, id: &SafeName) -> Result<SnapEntry> {
    let conf_rel = layout::snapshot_conf(id);
    let bytes = verified(dir, manifest, &conf_rel)?;
    let conf = SnapshotConf::parse(&String::from_utf8_lossy(&bytes), &dir.join(&conf_rel))?;
    let archive = layout::snapshot_archive_in(manifest, id)
        .map(|e| ArchiveRef::from_entry(dir, e))
        .ok_or_else(|| {
            Error::config(format!(
                "Snapshot \"{}\" has no archive ({SNAPSHOT_ARCHIVE}) in the manifest.",
                conf.name
            ))
        })?;
    Ok(SnapEntry {
        id: id.clone(),
        conf,
        archive,
    })
}

/// A small file read whole ([`manifest::read_small_file`]); unlike
/// [`manifest::read_small`], a link at the end of `path` is followed, as it always was.
/// A file over the limit is a configuration error.
fn read_small(path: &Path) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path.display(), &e))?;
    manifest::read_small_file(file, path).map_err(|e| match e.kind() {
        std::io::ErrorKind::FileTooLarge => Error::config(e.to_string()),
        _ => Error::io(path.display(), &e),
    })
}

/// The files of a VM a start needs besides its archives (settings, template, manifest),
/// as relative paths: what is copied for offline use.
pub fn small_files(vm: &VmEntry) -> Vec<String> {
    let mut out = vec![
        MANIFEST.to_owned(),
        IMAGE_CONF.to_owned(),
        MACHINE_VBOX.to_owned(),
    ];
    out.extend(vm.snapshots.iter().map(|s| layout::snapshot_conf(&s.id)));
    out
}

/// A small file of the VM, checked against the manifest.
fn verified(dir: &Path, manifest: &Manifest, rel: &str) -> Result<Vec<u8>> {
    let entry = manifest.get(rel).ok_or_else(|| {
        Error::config(format!(
            "{} is not listed in {}.",
            rel,
            dir.join(MANIFEST).display()
        ))
    })?;
    verify_small_file(&dir.join(rel), entry)
        .map_err(|e| Error::new(ErrorKind::Integrity, e.to_string()))
}
