//! The plan of an import: everything read and checked (disk headers, `machine.vbox`, the
//! snapshots, the network rules) and the new settings files made, before anything is
//! written.

use std::path::{Path, PathBuf};

use leovms_image::config::{ImageConf, SnapshotConf};
use leovms_image::layout::{IMAGE_CONF, SNAPSHOT_CONF};
use leovms_image::name::{SafeName, safe_relative_path};
use leovms_image::vbox::{self, DiskPatch, MachineInfo, Patch};
use leovms_image::vdi::{self, VdiHeader, VdiKind, braced};
use uuid::Uuid;

use super::conf::{image_conf, snapshot_conf};
use super::network::{self, Converted};
use super::source::{self, Source, SourceDisk, SourceSnapshot};
use super::{Args, unzip};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};
use crate::publish::{conf_invalid, machine_invalid};
use crate::tree;

/// Enough of a disk to read its VDI header.
const HEADER_BYTES: u64 = 4096;

/// One snapshot that will be imported.
pub(super) struct PlannedSnapshot {
    pub(super) id: String,
    pub(super) disk: SourceDisk,
    pub(super) uuid: Uuid,
    pub(super) conf_text: String,
    pub(super) conf: SnapshotConf,
}

/// Everything an import will write, checked before anything is.
pub(super) struct Plan {
    pub(super) id: String,
    pub(super) dest: PathBuf,
    pub(super) base: SourceDisk,
    pub(super) base_uuid: Uuid,
    /// Name of the base disk inside `base.tar.zst`, as `machine.vbox` gives it.
    pub(super) base_name: String,
    pub(super) vbox: Vec<u8>,
    pub(super) image_conf: String,
    /// `image_conf` as the PCs will read it.
    pub(super) image: ImageConf,
    pub(super) snapshots: Vec<PlannedSnapshot>,
}

/// The network rules: leoclient2 used a snapshot's own `network.conf` instead of the VM's,
/// so every imported snapshot must come to the same rules (leovms has one set per VM).
fn network_rules(source: &Source, snapshots: &[&SourceSnapshot]) -> Result<Converted> {
    // A refused line is named with the whole path: `/srv/…/win7/network.conf:3: …`.
    let convert = |shown: &str, text: Option<&str>| {
        network::convert(shown, text).map_err(|e| match e {
            Error::Invalid(msg) => Error::Invalid(format!("{}/{msg}", source.dir.display())),
            other => other,
        })
    };
    let vm = convert("network.conf", source.network_conf.as_deref())?;
    let mut chosen: Option<(Converted, &str)> = None;
    let mut vm_used = snapshots.is_empty();
    for snap in snapshots {
        let own = match &snap.network_conf {
            Some(text) => convert(
                &format!("snapshot-store/{}/network.conf", snap.folder),
                Some(text),
            )?,
            None => {
                vm_used = true;
                vm.clone()
            }
        };
        match &chosen {
            None => chosen = Some((own, &snap.folder)),
            Some((first, _)) if first.rules == own.rules => {}
            Some((first, first_snap)) => {
                return Err(Error::Invalid(fl!(
                    "import-networks-differ",
                    first = first_snap.to_owned(),
                    second = snap.folder.as_str(),
                    first_source = first.source(),
                    second_source = own.source()
                )));
            }
        }
    }
    let Some((mut chosen, _)) = chosen else {
        return Ok(vm);
    };
    if vm.had_file && !vm_used {
        chosen.notes.push(fl!("import-network-unused"));
    }
    Ok(chosen)
}

pub(super) fn make_plan(
    ctx: &Ctx,
    args: &Args,
    source: &Source,
    warnings: &mut Vec<String>,
) -> Result<Plan> {
    let id = args.id.clone().unwrap_or_else(|| source.vm.clone());
    SafeName::new(id.as_str())
        .map_err(|e| Error::Invalid(fl!("import-bad-id", detail = e.to_string())))?;
    let data = ctx.data();
    if !data.is_dir() {
        return Err(Error::Invalid(fl!("import-no-data", data = shown(&data))));
    }
    let dest = data.join(&id);
    if dest.symlink_metadata().is_ok() {
        return Err(Error::Invalid(fl!(
            "import-exists",
            dest = shown(&dest),
            id = id.as_str()
        )));
    }

    let base_header = peek_header(&source.base)?;
    if base_header.kind == VdiKind::Diff {
        return Err(Error::Invalid(fl!(
            "import-base-is-diff",
            zip = shown(&source.base.zip.zip),
            entry = source.base.zip.entry.as_str()
        )));
    }
    let base_uuid = base_header.uuid;

    let vbox_path = &source.vbox_path;
    let vbox_text = source::read_small(vbox_path).map_err(|e| tree::read_error(vbox_path, e))?;
    let info = inspect(&source.vbox_path, &vbox_text)?;
    let (vbox, base_name) = fit_vbox(source, &vbox_text, &info, base_uuid, warnings)?;

    let mut snapshots = Vec::new();
    let mut planned_sources = Vec::new();
    for snap in &source.snapshots {
        let place = format!("snapshot-store/{}", snap.folder);
        if let Err(e) = SafeName::new(snap.folder.as_str()) {
            warnings.push(fl!(
                "import-skip-bad-id",
                place = place.as_str(),
                detail = e.to_string()
            ));
            continue;
        }
        let header = peek_header(&snap.disk)?;
        if header.uuid != snap.uuid {
            warnings.push(fl!(
                "import-skip-renamed",
                place = place.as_str(),
                named = braced(&snap.uuid),
                inside = braced(&header.uuid)
            ));
            continue;
        }
        if header.kind != VdiKind::Diff || header.parent != Some(base_uuid) {
            let parent = header
                .parent
                .map_or_else(|| fl!("import-no-parent"), |p| braced(&p));
            warnings.push(fl!(
                "import-skip-other-base",
                place = place.as_str(),
                parent = parent,
                base = braced(&base_uuid)
            ));
            continue;
        }
        let conf_text = snapshot_conf(
            &snap.folder,
            &snap.conf,
            snap.disk.modified,
            &place,
            warnings,
        );
        let conf = SnapshotConf::parse(&conf_text, Path::new(SNAPSHOT_CONF))
            .map_err(|e| conf_invalid(format!("{place}: {e}")))?;
        snapshots.push(PlannedSnapshot {
            id: snap.folder.clone(),
            disk: snap.disk.clone(),
            uuid: snap.uuid,
            conf_text,
            conf,
        });
        planned_sources.push(snap);
    }
    let network = network_rules(source, &planned_sources)?;
    warnings.extend(network.notes.iter().cloned());

    let name = args.name.clone().unwrap_or_else(|| {
        if info.name.trim().is_empty() {
            source.vm.clone()
        } else {
            info.name.clone()
        }
    });
    let mut image_conf = image_conf(&name, source, warnings);
    image_conf.push_str(&network::to_toml(&network));
    let image = ImageConf::parse(&image_conf, Path::new(IMAGE_CONF))
        .map_err(|e| Error::Invalid(fl!("import-new-image-conf", detail = e.to_string())))?;
    if image.network != network.rules {
        return Err(Error::Invalid(fl!(
            "import-rules-lost",
            source = network.source()
        )));
    }

    Ok(Plan {
        id,
        dest,
        base: source.base.clone(),
        base_uuid,
        base_name,
        vbox,
        image_conf,
        image,
        snapshots,
    })
}

fn inspect(path: &Path, xml: &[u8]) -> Result<MachineInfo> {
    vbox::inspect(xml).map_err(|e| machine_invalid(&shown(path), e))
}

/// The disk header, read from the start of the zipped disk.
fn peek_header(disk: &SourceDisk) -> Result<VdiHeader> {
    let head = unzip::head(&disk.zip, HEADER_BYTES)?;
    let tmp = tempfile::NamedTempFile::new().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    std::fs::write(tmp.path(), &head).map_err(|e| Error::io(tmp.path(), e))?;
    vdi::read_header(tmp.path()).map_err(|e| {
        Error::Invalid(fl!(
            "import-bad-vdi",
            zip = shown(&disk.zip.zip),
            entry = disk.zip.entry.as_str(),
            detail = e.to_string()
        ))
    })
}

/// `machine.vbox` must attach the base disk by its UUID and a relative location. A file
/// that names the disk under an absolute path, or a base with an older UUID (its only base
/// disk), is corrected; anything else is refused.
fn fit_vbox(
    source: &Source,
    xml: &[u8],
    info: &MachineInfo,
    base_uuid: Uuid,
    warnings: &mut Vec<String>,
) -> Result<(Vec<u8>, String)> {
    let path = &source.vbox_path;
    let entry = source.base.zip.entry.clone();
    let roots: Vec<_> = info
        .hard_disks
        .iter()
        .filter(|d| d.parent.is_none() && d.format.eq_ignore_ascii_case("VDI"))
        .collect();
    let old = match info.hard_disks.iter().find(|d| d.uuid == base_uuid) {
        Some(disk) if disk.parent.is_some() => {
            return Err(Error::Invalid(fl!(
                "import-vbox-base-is-diff",
                file = shown(path),
                disk = braced(&base_uuid)
            )));
        }
        Some(disk) if safe_relative_path(&disk.location).is_ok() => {
            return Ok((xml.to_vec(), disk.location.clone()));
        }
        Some(disk) => {
            warnings.push(fl!(
                "import-vbox-location",
                file = shown(path),
                old = disk.location.as_str(),
                new = entry.as_str()
            ));
            disk
        }
        None => {
            let [disk] = roots.as_slice() else {
                return Err(Error::Invalid(fl!(
                    "import-vbox-which-base",
                    file = shown(path),
                    disk = braced(&base_uuid),
                    count = roots.len()
                )));
            };
            warnings.push(fl!(
                "import-vbox-base-replaced",
                file = shown(path),
                old = braced(&disk.uuid),
                old_location = disk.location.as_str(),
                new = braced(&base_uuid),
                new_location = entry.as_str()
            ));
            disk
        }
    };
    let patched = vbox::patch(
        xml,
        &Patch {
            disks: vec![DiskPatch {
                old_uuid: old.uuid,
                new_uuid: base_uuid,
                location: PathBuf::from(&entry),
            }],
            ..Patch::default()
        },
    )
    .map_err(|e| machine_invalid(&shown(path), e))?;
    inspect(path, &patched)?;
    Ok((patched, entry))
}
