//! Building uploads (docs/format.md, "Uploads") as a teacher's PC would leave them on the
//! upload share: the files, `upload.toml`, and `manifest.toml` written last.

use std::io;
use std::path::{Path, PathBuf};

use leovms_image::archive::{self, Compression};
use leovms_image::atomic::write_atomic;
use leovms_image::layout::{self, MANIFEST, UPLOAD_TOML};
use leovms_image::manifest::{self, Manifest, ManifestEntry};
use leovms_image::name::SafeName;
use leovms_image::upload::{UploadKind, UploadToml};
use leovms_image::vdi::{self, VdiHeader, VdiKind};
use uuid::Uuid;

use crate::demo::BASE_DISK_SIZE;
use crate::template::diff_location;

/// A snapshot upload to build.
#[derive(Debug, Clone)]
pub struct SnapshotUpload<'a> {
    /// `upload/<user>/<folder>`.
    pub dir: &'a Path,
    pub vm: &'a str,
    pub snapshot: &'a str,
    pub name: &'a str,
    pub uploader: &'a str,
    /// The base disk the upload claims to be made from (`upload.toml`).
    pub base_uuid: Uuid,
    /// The parent written into the differencing disk's header.
    pub diff_parent: Uuid,
}

/// Writes the upload: a fresh differencing disk (parent `diff_parent`) packed as
/// `snapshots/<id>/snapshot.tar.zst`, `upload.toml`, then `manifest.toml`. Returns the
/// new disk's UUID.
pub async fn build_snapshot_upload(u: &SnapshotUpload<'_>) -> io::Result<Uuid> {
    let stage = tempfile::tempdir()?;
    let diff_uuid = Uuid::new_v4();
    let name = diff_location(&diff_uuid);
    let disk = stage.path().join("diff.vdi");
    let parent = VdiHeader {
        kind: VdiKind::Normal,
        disk_size: BASE_DISK_SIZE,
        block_size: 1 << 20,
        blocks: (BASE_DISK_SIZE >> 20) as u32,
        blocks_allocated: 0,
        uuid: u.diff_parent,
        uuid_modify: Uuid::new_v4(),
        parent: None,
        parent_modify: Uuid::nil(),
    };
    vdi::create_diff(&disk, &parent, diff_uuid)?;
    let archive_path = u.dir.join(layout::snapshot_archive(u.snapshot));
    std::fs::create_dir_all(archive_path.parent().expect("has a folder"))?;
    archive::pack(&[(disk, name)], &archive_path, Compression::Zstd)
        .await
        .map_err(io::Error::other)?;
    let safe = |name: &str| SafeName::new(name).map_err(io::Error::other);
    let toml = UploadToml {
        kind: UploadKind::Snapshot,
        vm: safe(u.vm)?,
        snapshot: Some(safe(u.snapshot)?),
        name: Some(u.name.to_owned()),
        description: "Built by the test kit".to_owned(),
        uploader: u.uploader.to_owned(),
        source_machine: "pc-r101-07".to_owned(),
        base_uuid: u.base_uuid,
    }
    .to_toml();
    write_atomic(&u.dir.join(UPLOAD_TOML), toml.as_bytes(), 0o644)?;
    write_upload_manifest(u.dir)?;
    Ok(diff_uuid)
}

/// Writes `<dir>/manifest.toml` listing every other file below `dir`.
pub fn write_upload_manifest(dir: &Path) -> io::Result<()> {
    let mut files = Vec::new();
    collect(dir, "", &mut files)?;
    files.sort();
    let mut entries = Vec::new();
    for path in files.into_iter().filter(|p| p != MANIFEST) {
        let (size, sha256) = manifest::sha256_file(&dir.join(&path))?;
        entries.push(ManifestEntry {
            path,
            size,
            sha256,
            unpacked: None,
        });
    }
    let text = Manifest { files: entries }.to_toml_string();
    write_atomic(&dir.join(MANIFEST), text.as_bytes(), 0o644)
}

fn collect(dir: &Path, prefix: &str, out: &mut Vec<String>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type()?.is_dir() {
            collect(&entry.path(), &format!("{name}/"), out)?;
        } else {
            out.push(name);
        }
    }
    Ok(())
}

/// Every file below `dir` (hidden ones too) with its sha256, to compare trees byte for byte.
pub fn tree_digest(dir: &Path) -> Vec<(PathBuf, u64, String)> {
    let mut files = Vec::new();
    collect(dir, "", &mut files).unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let (size, sha) = manifest::sha256_file(&dir.join(&p)).expect("readable");
            (PathBuf::from(p), size, hex_of(&sha))
        })
        .collect()
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
