//! Where everything is in a published VM folder and in an upload folder (docs/format.md,
//! "Layout" and "Uploads"): the one place that spells these names.
//!
//! ```text
//! data/
//!   leovms-client.conf, leovms-vbox.conf
//!   <vm-id>/
//!     image.conf, machine.vbox, base.tar.zst (or .tar.gz)
//!     snapshots/<id>/snapshot.conf, snapshots/<id>/snapshot.tar.zst (or .tar.gz)
//!     manifest.toml                          written last
//! upload/<user>/<folder>/
//!   upload.toml, the files of a VM folder (a snapshot upload: only its archive),
//!   manifest.toml                            written last
//! ```
//!
//! Paths inside a VM or upload folder are relative and `/`-separated, as the manifest
//! lists them. A snapshot archive holds its disks as `Snapshots/{UUID}.vdi`, where
//! VirtualBox keeps them in a machine folder.

use uuid::Uuid;

use crate::manifest::{Manifest, ManifestEntry};
use crate::name::SafeName;
use crate::vdi::braced;

/// The share's client settings, next to the VM folders.
pub const CLIENT_CONF: &str = "leovms-client.conf";
/// The share's VirtualBox settings, next to the VM folders.
pub const VBOX_CONF: &str = "leovms-vbox.conf";

/// Every file of a VM or upload folder with size and sha256, written last.
pub const MANIFEST: &str = "manifest.toml";
/// Name, RAM, shared folders, access and network rules of a VM.
pub const IMAGE_CONF: &str = "image.conf";
/// The VM's VirtualBox settings (the template of every start).
pub const MACHINE_VBOX: &str = "machine.vbox";
/// The base archive as it is written.
pub const BASE_ARCHIVE: &str = "base.tar.zst";
/// The names a base archive may have, the preferred one first.
pub const BASE_ARCHIVES: [&str; 2] = [BASE_ARCHIVE, "base.tar.gz"];
/// The folder of the snapshots, `snapshots/<id>/`.
pub const SNAPSHOTS: &str = "snapshots";
/// A snapshot's settings, in its folder.
pub const SNAPSHOT_CONF: &str = "snapshot.conf";
/// A snapshot's archive as it is written, in its folder.
pub const SNAPSHOT_ARCHIVE: &str = "snapshot.tar.zst";
/// The names a snapshot archive may have, the preferred one first.
pub const SNAPSHOT_ARCHIVES: [&str; 2] = [SNAPSHOT_ARCHIVE, "snapshot.tar.gz"];
/// What an upload says about itself.
pub const UPLOAD_TOML: &str = "upload.toml";

/// `snapshots/<id>`: the folder of snapshot `id`.
pub fn snapshot_dir(id: &str) -> String {
    format!("{SNAPSHOTS}/{id}")
}

/// Whether `path` lies in the folder of snapshot `id` (`snapshots/<id>/…`).
pub fn in_snapshot(path: &str, id: &str) -> bool {
    path.strip_prefix(SNAPSHOTS)
        .and_then(|p| p.strip_prefix('/'))
        .and_then(|p| p.strip_prefix(id))
        .is_some_and(|p| p.starts_with('/'))
}

/// `snapshots/<id>/snapshot.conf`.
pub fn snapshot_conf(id: &str) -> String {
    format!("{SNAPSHOTS}/{id}/{SNAPSHOT_CONF}")
}

/// `snapshots/<id>/snapshot.tar.zst`: the archive as it is written.
pub fn snapshot_archive(id: &str) -> String {
    format!("{SNAPSHOTS}/{id}/{SNAPSHOT_ARCHIVE}")
}

/// Every name the archive of snapshot `id` may have, the preferred one first.
pub fn snapshot_archives(id: &str) -> [String; 2] {
    SNAPSHOT_ARCHIVES.map(|name| format!("{SNAPSHOTS}/{id}/{name}"))
}

/// `Snapshots/{UUID}.vdi`: a differencing disk inside a snapshot archive, and its
/// location in `machine.vbox`.
pub fn snapshot_disk(uuid: &Uuid) -> String {
    format!("Snapshots/{}.vdi", braced(uuid))
}

/// The snapshot id and file name of `snapshots/<id>/<file>`, where `file` is
/// `snapshot.conf` or a snapshot archive; `None` for every other path.
pub fn snapshot_file_of(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix(SNAPSHOTS)?.strip_prefix('/')?;
    let (id, file) = rest.split_once('/')?;
    let known = file == SNAPSHOT_CONF || SNAPSHOT_ARCHIVES.contains(&file);
    (known && !id.is_empty()).then_some((id, file))
}

/// The snapshot id of `snapshots/<id>/snapshot.conf` or `snapshots/<id>/snapshot.tar.*`.
pub fn snapshot_id_of(path: &str) -> Option<&str> {
    snapshot_file_of(path).map(|(id, _)| id)
}

/// Whether a published VM folder may hold `path`; everything else does not belong
/// there (`manifest.toml` itself is not listed in a manifest).
pub fn is_vm_file(path: &str) -> bool {
    matches!(path, IMAGE_CONF | MACHINE_VBOX)
        || BASE_ARCHIVES.contains(&path)
        || snapshot_file_of(path).is_some()
}

/// The snapshots a manifest names: the `<id>` of every `snapshots/<id>/snapshot.conf`
/// or snapshot archive, sorted, each once. Whether both files are there is for the
/// caller to check (a snapshot exists when both are, docs/format.md).
pub fn snapshot_ids(manifest: &Manifest) -> Vec<SafeName> {
    let mut ids: Vec<SafeName> = manifest
        .files
        .iter()
        .filter_map(|e| snapshot_id_of(&e.path))
        .filter_map(|id| SafeName::new(id).ok())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The manifest's entry of the base archive.
pub fn base_archive(manifest: &Manifest) -> Option<&ManifestEntry> {
    BASE_ARCHIVES.iter().find_map(|name| manifest.get(name))
}

/// The manifest's entry of the archive of snapshot `id`.
pub fn snapshot_archive_in<'a>(manifest: &'a Manifest, id: &str) -> Option<&'a ManifestEntry> {
    snapshot_archives(id)
        .iter()
        .find_map(|path| manifest.get(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(paths: &[&str]) -> Manifest {
        Manifest {
            files: paths
                .iter()
                .map(|p| ManifestEntry {
                    path: (*p).to_owned(),
                    size: 1,
                    sha256: [0; 32],
                    unpacked: None,
                })
                .collect(),
        }
    }

    #[test]
    fn snapshot_paths_are_spelled_once() {
        assert_eq!(snapshot_dir("exam"), "snapshots/exam");
        assert!(in_snapshot("snapshots/exam/snapshot.conf", "exam"));
        assert!(!in_snapshot("snapshots/exam-2/snapshot.conf", "exam"));
        assert!(!in_snapshot("snapshots/exam", "exam"));
        assert_eq!(snapshot_conf("exam"), "snapshots/exam/snapshot.conf");
        assert_eq!(snapshot_archive("exam"), "snapshots/exam/snapshot.tar.zst");
        assert_eq!(
            snapshot_archives("exam"),
            [
                "snapshots/exam/snapshot.tar.zst",
                "snapshots/exam/snapshot.tar.gz"
            ]
        );
        let uuid = Uuid::from_bytes([0x5f; 16]);
        assert_eq!(
            snapshot_disk(&uuid),
            "Snapshots/{5f5f5f5f-5f5f-5f5f-5f5f-5f5f5f5f5f5f}.vdi"
        );
    }

    #[test]
    fn only_the_snapshot_files_name_a_snapshot() {
        assert_eq!(
            snapshot_file_of("snapshots/exam/snapshot.conf"),
            Some(("exam", "snapshot.conf"))
        );
        assert_eq!(
            snapshot_id_of("snapshots/exam/snapshot.tar.gz"),
            Some("exam")
        );
        for other in [
            "snapshots/exam/notes.txt",
            "snapshots/exam/sub/snapshot.conf",
            "snapshots//snapshot.conf",
            "snapshots/snapshot.conf",
            "snapshotsx/exam/snapshot.conf",
            "image.conf",
        ] {
            assert_eq!(snapshot_id_of(other), None, "{other}");
        }
        let m = manifest(&[
            "base.tar.gz",
            "image.conf",
            "snapshots/b/snapshot.tar.zst",
            "snapshots/a/snapshot.conf",
            "snapshots/a/snapshot.tar.zst",
            "snapshots/c/readme",
        ]);
        let ids: Vec<String> = snapshot_ids(&m).into_iter().map(String::from).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(
            base_archive(&m).map(|e| e.path.as_str()),
            Some("base.tar.gz")
        );
        assert!(snapshot_archive_in(&m, "a").is_some());
        assert!(snapshot_archive_in(&m, "c").is_none());
    }

    #[test]
    fn a_vm_folder_holds_only_its_files() {
        for path in [
            "image.conf",
            "machine.vbox",
            "base.tar.zst",
            "base.tar.gz",
            "snapshots/x/snapshot.conf",
            "snapshots/x/snapshot.tar.zst",
        ] {
            assert!(is_vm_file(path), "{path}");
        }
        for path in ["manifest.toml", "upload.toml", "notes.txt", "snapshots/x/y"] {
            assert!(!is_vm_file(path), "{path}");
        }
    }
}
