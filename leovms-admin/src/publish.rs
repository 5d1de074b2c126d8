//! `publish` and `remove`: changes to the data tree. Everything published is owned by
//! the admin, files mode 0644 and folders 0755 (see `place`).

use std::fs;
use std::path::{Path, PathBuf};

use leovms_image::atomic::{fsync_dir, temp_path_for, write_atomic};
use leovms_image::config::{ImageConf, SnapshotConf};
use leovms_image::dirfd::Dir;
use leovms_image::layout::{
    self, IMAGE_CONF, MACHINE_VBOX, MANIFEST, SNAPSHOT_ARCHIVE, SNAPSHOT_CONF, SNAPSHOTS,
    UPLOAD_TOML,
};
use leovms_image::manifest::{Manifest, ManifestEntry, sha256_file};
use leovms_image::name::SafeName;
use leovms_image::vbox::{self, MachineInfo};
use leovms_image::vdi::braced;

use crate::ctx::Ctx;
use crate::disks;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};
use crate::place::{DIR_MODE, FILE_MODE, copy_checked, make_dir, make_dirs, set_mode};
use crate::progress;
use crate::torrents::{torrent_of, write_torrent};
use crate::tree;
use crate::upload::{self, Kind, Upload};

/// `publish`; the help texts are `help-publish-*` in the catalogs.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    #[arg(value_name = "UPLOAD")]
    pub upload: PathBuf,
}

/// `remove`; the help texts are `help-remove-*` in the catalogs.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    pub vm: String,
    pub snapshot: Option<String>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}

/// A settings file leovms-image refuses (its words name the file, line and key).
pub(crate) fn conf_invalid(e: impl std::fmt::Display) -> Error {
    invalid(fl!("conf-invalid", detail = e.to_string()))
}

/// Which name [`safe`] checks.
#[derive(Clone, Copy)]
pub(crate) enum Named {
    Vm,
    Snapshot,
}

/// `name` as a VM or snapshot id; the reason it cannot be one comes from leovms-image.
pub(crate) fn safe(what: Named, name: &str) -> Result<SafeName> {
    SafeName::try_from(name).map_err(|e| {
        let detail = e.to_string();
        invalid(match what {
            Named::Vm => fl!("bad-vm-id", detail = detail),
            Named::Snapshot => fl!("bad-snapshot-id", detail = detail),
        })
    })
}

/// The upload folder `arg` names: relative to the upload share when it exists there.
fn upload_dir(ctx: &Ctx, arg: &Path) -> PathBuf {
    if arg.is_relative() {
        let in_share = ctx.upload().join(arg);
        if in_share.is_dir() {
            return in_share;
        }
    }
    arg.to_owned()
}

pub fn publish(ctx: &Ctx, args: &PublishArgs) -> Result<()> {
    let dir = upload_dir(ctx, &args.upload);
    let data = ctx.data();
    if !data.is_dir() {
        return Err(invalid(fl!("publish-no-data", data = shown(&data))));
    }
    let _lock = tree::lock_data(ctx)?;
    progress::enable(!ctx.dry_run);
    let upload = upload::open(&dir)?;
    match upload.meta.kind {
        Kind::Snapshot => publish_snapshot(ctx, &upload)?,
        Kind::Vm => publish_vm(ctx, &upload)?,
    }
    if ctx.change(fl!("change-remove-upload", upload = upload.shown.as_str())) {
        // The teacher's folder may hold links by now: none is followed.
        let (Some(parent), Some(name)) = (upload.dir.parent(), upload.dir.file_name()) else {
            return Err(invalid(fl!(
                "publish-not-upload-folder",
                upload = upload.shown.as_str()
            )));
        };
        Dir::open(parent)
            .and_then(|d| d.remove_tree(name))
            .map_err(|e| Error::io(&upload.dir, e))?;
    }
    Ok(())
}

/// `machine.vbox` of a published VM, checked against its manifest and parsed.
fn published_machine(vm_dir: &Path, manifest: &Manifest, vm: &str) -> Result<MachineInfo> {
    let entry = manifest
        .get(MACHINE_VBOX)
        .ok_or_else(|| invalid(fl!("manifest-lacks", vm = vm, file = MACHINE_VBOX)))?;
    let path = vm_dir.join(MACHINE_VBOX);
    tree::check_file(&path, entry, &format!("{vm}/{MACHINE_VBOX}"))?;
    let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    vbox::inspect(&bytes).map_err(|e| machine_invalid(&format!("{vm}/{MACHINE_VBOX}"), e))
}

/// A `machine.vbox` leovms-image refuses, `shown` as the admin knows it.
pub(crate) fn machine_invalid(shown: &str, e: impl std::fmt::Display) -> Error {
    invalid(fl!("machine-invalid", file = shown, detail = e.to_string()))
}

/// The snapshot.conf the upload gets for snapshot `id`, checked with the PCs' parser.
fn new_snapshot_conf(upload: &Upload, id: &str) -> Result<String> {
    let named = upload.snapshot.as_deref() == Some(id);
    let name = match &upload.meta.name {
        Some(name) if named => name.clone(),
        _ => id.to_owned(),
    };
    let description = if named {
        upload.meta.description.clone()
    } else {
        String::new()
    };
    let conf = SnapshotConf {
        name,
        maintainer: upload.meta.uploader.clone(),
        created: Some(tree::now_utc()),
        description,
        hosts: Vec::new(),
        rooms: Vec::new(),
    };
    let text = conf.to_toml();
    SnapshotConf::parse(&text, Path::new(SNAPSHOT_CONF)).map_err(conf_invalid)?;
    Ok(text)
}

fn publish_snapshot(ctx: &Ctx, upload: &Upload) -> Result<()> {
    let vm = upload.vm.as_str();
    let id = upload.snapshot.as_deref().expect("checked by upload::open");
    let vm_dir = ctx.data().join(vm);
    let manifest_path = vm_dir.join(MANIFEST);
    let Some(manifest) = tree::load_manifest(&manifest_path)? else {
        return Err(invalid(fl!(
            "publish-snapshot-no-vm",
            vm = vm,
            data = shown(ctx.data())
        )));
    };
    let info = published_machine(&vm_dir, &manifest, vm)?;
    let bases = disks::base_uuids(&info);
    if !bases.contains(&upload.base_uuid) {
        return Err(invalid(fl!(
            "publish-other-base",
            upload = upload.shown.as_str(),
            disk = braced(&upload.base_uuid),
            vm = vm,
            bases = bases.iter().map(braced).collect::<Vec<_>>().join(", ")
        )));
    }
    if manifest
        .files
        .iter()
        .any(|e| layout::in_snapshot(&e.path, id))
    {
        return Err(invalid(fl!("publish-snapshot-exists", vm = vm, id = id)));
    }
    let snapshots = vm_dir.join(SNAPSHOTS);
    let target = snapshots.join(id);
    if target.exists() {
        return Err(invalid(fl!(
            "publish-snapshot-unpublished",
            path = shown(&target)
        )));
    }
    let archive_rel = layout::snapshot_archive(id);
    let archive = upload.dir.join(&archive_rel);
    let scan = disks::scan_archive(&archive, &format!("{}/{archive_rel}", upload.shown))?;
    disks::check_snapshot_archive(&scan, &bases, &format!("{}/{archive_rel}", upload.shown))?;
    let conf = new_snapshot_conf(upload, id)?;

    if !ctx.change(fl!(
        "change-publish-snapshot",
        id = id,
        vm = vm,
        upload = upload.shown.as_str()
    )) {
        return Ok(());
    }
    make_dir(&snapshots)?;
    let staging = temp_path_for(&target);
    let placed = (|| {
        fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
        set_mode(&staging, DIR_MODE)?;
        let conf_path = staging.join(SNAPSHOT_CONF);
        write_atomic(&conf_path, conf.as_bytes(), FILE_MODE)
            .map_err(|e| Error::io(&conf_path, e))?;
        let expected = upload.manifest.get(&archive_rel).expect("checked");
        copy_checked(&archive, &staging.join(SNAPSHOT_ARCHIVE), expected)?;
        write_torrent(&staging, SNAPSHOT_ARCHIVE)?;
        // Read before the rename, listed by their paths in the VM's folder: after the
        // rename, nothing but the manifest can fail.
        let mut conf_entry = entry_for(&staging, SNAPSHOT_CONF, None)?;
        conf_entry.path = layout::snapshot_conf(id);
        let mut torrent_entry = entry_for(&staging, &torrent_of(SNAPSHOT_ARCHIVE), None)?;
        torrent_entry.path = torrent_of(&archive_rel);
        fs::rename(&staging, &target).map_err(|e| Error::io(&target, e))?;
        Ok([conf_entry, torrent_entry])
    })();
    let entries = match placed {
        Ok(entries) => entries,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let mut files = manifest.files.clone();
    files.extend(entries);
    let mut archive_entry = upload.manifest.get(&archive_rel).expect("checked").clone();
    archive_entry.unpacked = Some(scan.unpacked);
    files.push(archive_entry);
    // An unlisted snapshot folder would keep the snapshot from being published again.
    let listed = fsync_dir(&snapshots)
        .map_err(|e| Error::io(&snapshots, e))
        .and_then(|()| write_manifest(&vm_dir, files));
    if listed.is_err() {
        let _ = fs::remove_dir_all(&target);
    }
    listed
}

fn publish_vm(ctx: &Ctx, upload: &Upload) -> Result<()> {
    let vm = upload.vm.as_str();
    let vm_dir = ctx.data().join(vm);
    if vm_dir.join(MANIFEST).exists() {
        return Err(invalid(fl!("publish-vm-exists", vm = vm)));
    }
    if vm_dir.exists() {
        return Err(invalid(fl!(
            "publish-vm-unpublished",
            path = shown(&vm_dir)
        )));
    }
    let in_upload = |p: &str| format!("{}/{p}", upload.shown);
    let image_conf = upload.dir.join(IMAGE_CONF);
    ImageConf::load(&image_conf).map_err(|e| {
        conf_invalid(
            e.to_string()
                .replace(&image_conf.display().to_string(), &in_upload(IMAGE_CONF)),
        )
    })?;
    let vbox_path = upload.dir.join(MACHINE_VBOX);
    let bytes = tree::read_small(&vbox_path)?;
    let info = vbox::inspect(&bytes).map_err(|e| machine_invalid(&in_upload(MACHINE_VBOX), e))?;
    let bases = disks::base_uuids(&info);
    if !bases.contains(&upload.base_uuid) {
        return Err(invalid(fl!(
            "publish-base-uuid-unknown",
            file = in_upload(UPLOAD_TOML),
            disk = braced(&upload.base_uuid)
        )));
    }
    let base_rel = upload.base_archive().expect("checked").path.as_str();
    let base_scan = disks::scan_archive(&upload.dir.join(base_rel), &in_upload(base_rel))?;
    disks::check_base_archive(&base_scan, &info, &in_upload(base_rel))?;
    let mut unpacked = vec![(base_rel.to_owned(), base_scan.unpacked)];
    let mut confs = Vec::new();
    if upload.snapshot_ids().is_empty() {
        // PCs start a VM only from a snapshot; without one, nobody could start it.
        return Err(invalid(fl!(
            "publish-vm-no-snapshot",
            upload = upload.shown.as_str()
        )));
    }
    for id in upload.snapshot_ids() {
        let archive_rel = layout::snapshot_archive_in(&upload.manifest, &id)
            .expect("checked")
            .path
            .clone();
        let scan = disks::scan_archive(&upload.dir.join(&archive_rel), &in_upload(&archive_rel))?;
        disks::check_snapshot_archive(&scan, &bases, &in_upload(&archive_rel))?;
        unpacked.push((archive_rel, scan.unpacked));
        let conf_rel = layout::snapshot_conf(&id);
        if upload.manifest.get(&conf_rel).is_some() {
            let path = upload.dir.join(&conf_rel);
            SnapshotConf::load(&path).map_err(|e| {
                conf_invalid(
                    e.to_string()
                        .replace(&path.display().to_string(), &in_upload(&conf_rel)),
                )
            })?;
        } else {
            confs.push((conf_rel, new_snapshot_conf(upload, &id)?));
        }
    }

    if !ctx.change(fl!(
        "change-publish-vm",
        vm = vm,
        upload = upload.shown.as_str()
    )) {
        return Ok(());
    }
    let data = ctx.data();
    fs::create_dir_all(&data).map_err(|e| Error::io(&data, e))?;
    let staging = temp_path_for(&vm_dir);
    let placed = (|| {
        fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
        set_mode(&staging, DIR_MODE)?;
        let mut files = Vec::new();
        for entry in &upload.manifest.files {
            if entry.path == UPLOAD_TOML {
                continue;
            }
            let to = staging.join(&entry.path);
            make_dirs(&staging, to.parent().expect("below staging"))?;
            copy_checked(&upload.dir.join(&entry.path), &to, entry)?;
            let mut entry = entry.clone();
            entry.unpacked = unpacked
                .iter()
                .find(|(p, _)| *p == entry.path)
                .map(|(_, n)| *n);
            files.push(entry);
        }
        let archives: Vec<String> = files
            .iter()
            .filter(|e| e.unpacked.is_some())
            .map(|e| e.path.clone())
            .collect();
        for rel in archives {
            write_torrent(&staging, &rel)?;
            files.push(entry_for(&staging, &torrent_of(&rel), None)?);
        }
        for (rel, text) in &confs {
            let to = staging.join(rel);
            make_dirs(&staging, to.parent().expect("below staging"))?;
            write_atomic(&to, text.as_bytes(), FILE_MODE).map_err(|e| Error::io(&to, e))?;
            files.push(entry_for(&staging, rel, None)?);
        }
        // The manifest is written last; the folder appears under its name with it.
        write_manifest(&staging, files)?;
        fs::rename(&staging, &vm_dir).map_err(|e| Error::io(&vm_dir, e))?;
        fsync_dir(&data).map_err(|e| Error::io(&data, e))
    })();
    if placed.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    placed
}

pub(crate) fn entry_for(dir: &Path, rel: &str, unpacked: Option<u64>) -> Result<ManifestEntry> {
    let path = dir.join(rel);
    let (size, sha256) = sha256_file(&path).map_err(|e| Error::io(&path, e))?;
    Ok(ManifestEntry {
        path: rel.to_owned(),
        size,
        sha256,
        unpacked,
    })
}

/// Writes `<dir>/manifest.toml` atomically, entries sorted by path.
pub(crate) fn write_manifest(dir: &Path, mut files: Vec<ManifestEntry>) -> Result<()> {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let text = Manifest { files }.to_toml_string();
    let path = dir.join(MANIFEST);
    write_atomic(&path, text.as_bytes(), FILE_MODE).map_err(|e| Error::io(&path, e))
}

pub fn remove(ctx: &Ctx, args: &RemoveArgs) -> Result<()> {
    let vm = safe(Named::Vm, &args.vm)?;
    let _lock = tree::lock_data(ctx)?;
    let vm_dir = ctx.data().join(vm.as_str());
    let manifest_path = vm_dir.join(MANIFEST);
    let Some(snapshot) = &args.snapshot else {
        if !vm_dir.exists() {
            return Err(invalid(fl!(
                "remove-no-vm",
                vm = vm.as_str(),
                data = shown(ctx.data())
            )));
        }
        if manifest_path.exists()
            && ctx.change(fl!(
                "change-unpublish-vm",
                vm = vm.as_str(),
                manifest = shown(&manifest_path)
            ))
        {
            fs::remove_file(&manifest_path).map_err(|e| Error::io(&manifest_path, e))?;
            fsync_dir(&vm_dir).map_err(|e| Error::io(&vm_dir, e))?;
        }
        // Renamed first, so that a half-deleted folder never carries the VM's name.
        let doomed = temp_path_for(&vm_dir);
        if ctx.change(fl!("change-delete", path = shown(&vm_dir))) {
            fs::rename(&vm_dir, &doomed).map_err(|e| Error::io(&vm_dir, e))?;
            fs::remove_dir_all(&doomed).map_err(|e| Error::io(&doomed, e))?;
        }
        return Ok(());
    };
    let id = safe(Named::Snapshot, snapshot)?;
    let Some(manifest) = tree::load_manifest(&manifest_path)? else {
        return Err(invalid(fl!(
            "no-published-vm",
            vm = vm.as_str(),
            data = shown(ctx.data())
        )));
    };
    let (gone, kept): (Vec<_>, Vec<_>) = manifest
        .files
        .iter()
        .cloned()
        .partition(|e| layout::in_snapshot(&e.path, &id));
    if gone.is_empty() {
        return Err(invalid(fl!(
            "remove-no-snapshot",
            vm = vm.as_str(),
            id = id.as_str()
        )));
    }
    if ctx.change(fl!(
        "change-unpublish-snapshot",
        id = id.as_str(),
        vm = vm.as_str(),
        manifest = shown(&manifest_path)
    )) {
        write_manifest(&vm_dir, kept)?;
    }
    let dir = vm_dir.join(SNAPSHOTS).join(id.as_str());
    if dir.exists() && ctx.change(fl!("change-delete", path = shown(&dir))) {
        let doomed = temp_path_for(&dir);
        fs::rename(&dir, &doomed).map_err(|e| Error::io(&dir, e))?;
        fs::remove_dir_all(&doomed).map_err(|e| Error::io(&doomed, e))?;
    }
    Ok(())
}
