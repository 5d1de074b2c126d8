//! The patched VirtualBox settings of a working copy: absolute disk locations, UUIDs
//! as the VDI headers say, RAM and shared folders — checked before VirtualBox sees them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use leovms_api::ErrorKind;
use leovms_image::vbox::{self, DiskPatch, Nic, Patch};
use leovms_image::vdi::{self, ChainError, VdiHeader, braced};
use uuid::Uuid;

use crate::catalog::VmEntry;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::settings::Settings;

/// Differencing disks of an existing working copy.
pub fn working_disks(work: &Path) -> Vec<PathBuf> {
    vdi_files(&work.join("Snapshots"))
}

fn vdi_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(vdi_files(&p));
            } else if is_vdi(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn headers(files: &[PathBuf]) -> Result<Vec<(PathBuf, VdiHeader)>> {
    files
        .iter()
        .map(|f| {
            vdi::read_header(f)
                .map(|h| (f.clone(), h))
                .map_err(|e| Error::new(ErrorKind::Integrity, e.to_string()))
        })
        .collect()
}

/// The machine's UUID, from the share's template.
pub fn machine_uuid(vm: &VmEntry) -> Result<Uuid> {
    vbox::inspect(&vm.template)
        .map(|info| info.uuid)
        .map_err(|e| Error::config(format!("{}/machine.vbox: {e}", vm.id)))
}

/// Whose snapshot [`check_disks`] checks: known by name only, or the VM itself; then
/// every disk its settings name must be found too, as [`write_settings`] needs.
pub enum Machine<'a> {
    Named(&'a str),
    Entry(&'a VmEntry),
}

impl<'a> From<&'a String> for Machine<'a> {
    fn from(name: &'a String) -> Self {
        Machine::Named(name)
    }
}

impl<'a> From<&'a VmEntry> for Machine<'a> {
    fn from(vm: &'a VmEntry) -> Self {
        Machine::Entry(vm)
    }
}

/// Whether the disks of a snapshot just unpacked (`disks`) can be used on the base in
/// `base_dir`: at least one disk, every differencing disk leads to the base without a
/// loop, and (given the VM) every disk of its settings is found. Called before the
/// snapshot replaces the working copy, so a refused one leaves it untouched.
pub fn check_disks<'a>(
    machine: impl Into<Machine<'a>>,
    base_dir: &Path,
    disks: &[PathBuf],
) -> Result<()> {
    let machine = machine.into();
    let name = match &machine {
        Machine::Named(name) => name,
        Machine::Entry(vm) => vm.image.name.as_str(),
    };
    if !disks.iter().any(|d| is_vdi(d)) {
        return Err(Error::new(
            ErrorKind::Integrity,
            format!(
                "The snapshot of {name} holds no disk (.vdi), so the machine cannot start from it. Ask the snapshot's maintainer to upload it again."
            ),
        ));
    }
    let (bases, diffs) = checked_chain(name, base_dir, disks)?;
    if let Machine::Entry(vm) = machine {
        let info = vbox::inspect(&vm.template)
            .map_err(|e| Error::config(format!("{}/machine.vbox: {e}", vm.id)))?;
        resolve_disks(vm, &info, &bases, &diffs)?;
    }
    Ok(())
}

/// The headers of the base disks and of the differencing disks, once the chain is checked.
type Chain = (Vec<(PathBuf, VdiHeader)>, Vec<(PathBuf, VdiHeader)>);

fn checked_chain(name: &str, base_dir: &Path, disks: &[PathBuf]) -> Result<Chain> {
    let bases = headers(&vdi_files(base_dir))?;
    let vdis: Vec<PathBuf> = disks.iter().filter(|d| is_vdi(d)).cloned().collect();
    let diffs = headers(&vdis)?;
    check_chain(name, &bases, &diffs)?;
    Ok((bases, diffs))
}

fn is_vdi(path: &Path) -> bool {
    path.extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("vdi"))
}

/// Writes `<vm>.vbox` of the working copy and returns the machine's UUID.
pub fn write_settings(
    layout: &Layout,
    vm: &VmEntry,
    base_dir: &Path,
    disks: &[PathBuf],
    ram_mb: u32,
    network: Option<Vec<Nic>>,
    fresh: bool,
) -> Result<Uuid> {
    let (bases, diffs) = checked_chain(&vm.image.name, base_dir, disks)?;
    let info = vbox::inspect(&vm.template)
        .map_err(|e| Error::config(format!("{}/machine.vbox: {e}", vm.id)))?;
    let disk_patches = resolve_disks(vm, &info, &bases, &diffs)?;
    let patch = Patch {
        ram_mb: Some(ram_mb),
        shared_folders: Some(leovms_image::config::resolve_shared_folders(
            &vm.image,
            &Settings::home(),
        )),
        network,
        disks: disk_patches,
        clear_state_file: fresh,
    };
    let xml = vbox::patch(&vm.template, &patch)
        .map_err(|e| Error::config(format!("{}/machine.vbox: {e}", vm.id)))?;
    let file = layout.settings_file(&vm.id);
    leovms_image::atomic::write_atomic(&file, &xml, 0o644)
        .map_err(|e| Error::io(file.display(), &e))?;
    Ok(info.uuid)
}

/// Where each disk of the machine's settings is: in the base, in the snapshot under its
/// UUID, or (see [`remap`]) the snapshot's disk that takes its place.
fn resolve_disks(
    vm: &VmEntry,
    info: &vbox::MachineInfo,
    bases: &[(PathBuf, VdiHeader)],
    diffs: &[(PathBuf, VdiHeader)],
) -> Result<Vec<DiskPatch>> {
    let known: HashMap<Uuid, &Path> = bases
        .iter()
        .chain(diffs.iter())
        .map(|(p, h)| (h.uuid, p.as_path()))
        .collect();
    let mut disk_patches = Vec::new();
    for hd in &info.hard_disks {
        let (uuid, path) = match known.get(&hd.uuid) {
            Some(path) => (hd.uuid, path.to_path_buf()),
            None => remap(hd.parent, diffs, &info.hard_disks).ok_or_else(|| {
                Error::config(format!(
                    "The settings of {} (machine.vbox) use the disk {} ({}), which is in neither the base nor the snapshot archive.",
                    vm.image.name,
                    braced(&hd.uuid),
                    hd.location
                ))
            })?,
        };
        disk_patches.push(DiskPatch {
            old_uuid: hd.uuid,
            new_uuid: uuid,
            location: path,
        });
    }
    Ok(disk_patches)
}

/// A template disk that no archive holds under its UUID: the snapshot's differencing
/// disk under the same parent takes its place (snapshots may carry their own UUIDs).
fn remap(
    parent: Option<Uuid>,
    diffs: &[(PathBuf, VdiHeader)],
    template: &[vbox::HardDiskInfo],
) -> Option<(Uuid, PathBuf)> {
    let parent = parent?;
    let mut candidates = diffs
        .iter()
        .filter(|(_, h)| h.parent == Some(parent) && !template.iter().any(|t| t.uuid == h.uuid));
    let (path, h) = candidates.next()?;
    candidates.next().is_none().then(|| (h.uuid, path.clone()))
}

/// Every differencing disk must lead to this VM's base, without a loop (leovms-image's
/// chain check, the same the server publishes with): refuse before VirtualBox fails
/// with a UUID error at start.
fn check_chain(
    name: &str,
    bases: &[(PathBuf, VdiHeader)],
    diffs: &[(PathBuf, VdiHeader)],
) -> Result<()> {
    let base = bases.first().ok_or_else(|| {
        Error::new(
            ErrorKind::Integrity,
            format!("The base image of {name} holds no disk."),
        )
    })?;
    let file_name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let named: Vec<(String, VdiHeader)> = diffs.iter().map(|(p, h)| (file_name(p), *h)).collect();
    let base_uuids: Vec<Uuid> = bases.iter().map(|(_, h)| h.uuid).collect();
    let foreign = |disk: String, uuid: Uuid, parent: Option<Uuid>| {
        let parent = parent.map_or_else(|| "none".to_string(), |p| braced(&p));
        Error::new(
            ErrorKind::SnapshotMismatch,
            format!(
                "This snapshot does not belong to the current base image of {name}: its disk {} ({disk}) was made from the base {parent}, but the base is now {}. Ask the snapshot's maintainer to upload it again.",
                braced(&uuid),
                braced(&base.1.uuid),
            ),
        )
    };
    match vdi::check_chain(&base_uuids, &named) {
        Ok(()) => Ok(()),
        Err(ChainError::Missing { disk, uuid, parent }) => Err(foreign(disk, uuid, Some(parent))),
        Err(ChainError::NotDiff { disk, uuid }) => {
            let parent = named
                .iter()
                .find(|(_, h)| h.uuid == uuid)
                .and_then(|(_, h)| h.parent);
            Err(foreign(disk, uuid, parent))
        }
        Err(e) => Err(Error::new(
            ErrorKind::Integrity,
            format!(
                "The snapshot of {name} cannot be used: {e}. Ask the snapshot's maintainer to upload it again."
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leovms_image::vdi::VdiKind;

    fn header(uuid: Uuid, parent: Option<Uuid>) -> VdiHeader {
        VdiHeader {
            kind: if parent.is_some() {
                VdiKind::Diff
            } else {
                VdiKind::Normal
            },
            disk_size: 1 << 30,
            block_size: 1 << 20,
            blocks: 1024,
            blocks_allocated: 0,
            uuid,
            uuid_modify: Uuid::new_v4(),
            parent,
            parent_modify: Uuid::nil(),
        }
    }

    fn disk(name: &str, h: VdiHeader) -> (PathBuf, VdiHeader) {
        (PathBuf::from(name), h)
    }

    fn template_disk(uuid: Uuid, parent: Option<Uuid>) -> vbox::HardDiskInfo {
        vbox::HardDiskInfo {
            uuid,
            location: "x.vdi".into(),
            parent,
            format: "VDI".into(),
        }
    }

    #[test]
    fn a_chain_of_this_base_passes_and_a_foreign_one_names_all_uuids() {
        let (base, other_base, diff) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let bases = [disk("base.vdi", header(base, None))];
        let ok = [disk("d.vdi", header(diff, Some(base)))];
        check_chain("Win", &bases, &ok).unwrap();
        let foreign = [disk("d.vdi", header(diff, Some(other_base)))];
        let err = check_chain("Win", &bases, &foreign).unwrap_err();
        assert_eq!(err.kind, ErrorKind::SnapshotMismatch);
        for uuid in [base, other_base, diff] {
            assert!(err.message.contains(&uuid.to_string()), "{}", err.message);
        }
        let orphan = [disk("d.vdi", header(diff, None))];
        assert!(check_chain("Win", &bases, &orphan).is_err());
    }

    #[test]
    fn a_disk_that_is_its_own_parent_or_no_disk_at_all_is_refused() {
        let (base, diff) = (Uuid::new_v4(), Uuid::new_v4());
        let bases = [disk("base.vdi", header(base, None))];
        let own = [disk("Snapshots/d.vdi", header(diff, Some(diff)))];
        let err = check_chain("Win", &bases, &own).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Integrity);
        assert!(
            err.message.contains("leads back to itself"),
            "{}",
            err.message
        );

        let dir = tempfile::tempdir().unwrap();
        vdi::create_dynamic(&dir.path().join("base.vdi"), 1 << 20, base).unwrap();
        let staged = [dir.path().join("notes.txt")];
        let err = check_disks(&"Win".to_string(), dir.path(), &staged).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Integrity);
        assert!(err.message.contains("holds no disk"), "{}", err.message);
    }

    #[test]
    fn a_snapshot_with_its_own_uuid_takes_the_template_disk_under_the_same_parent() {
        let (base, template_diff, snap_diff) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let template = [
            template_disk(base, None),
            template_disk(template_diff, Some(base)),
        ];
        let diffs = [disk("Snapshots/s.vdi", header(snap_diff, Some(base)))];
        assert_eq!(
            remap(Some(base), &diffs, &template),
            Some((snap_diff, PathBuf::from("Snapshots/s.vdi")))
        );
        // Two candidates: ambiguous, so no guess.
        let two = [
            disk("a.vdi", header(snap_diff, Some(base))),
            disk("b.vdi", header(Uuid::new_v4(), Some(base))),
        ];
        assert_eq!(remap(Some(base), &two, &template), None);
        assert_eq!(remap(None, &diffs, &template), None);
    }
}
