//! Writing a planned import: each disk unzipped, checked and packed in turn into a
//! temporary folder inside data, the settings files written, the folder renamed into
//! place and `manifest.toml` written last.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use leovms_image::archive::{self, Compression, PackOptions, PackReport};
use leovms_image::atomic::{fsync_dir, write_atomic};
use leovms_image::layout::{self, BASE_ARCHIVE, IMAGE_CONF, MACHINE_VBOX, SNAPSHOTS};
use leovms_image::manifest::ManifestEntry;
use leovms_image::vdi;
use uuid::Uuid;

use super::plan::Plan;
use super::source::SourceDisk;
use super::unzip;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};
use crate::place::{FILE_MODE, make_dir};
use crate::progress::Progress;
use crate::publish::{entry_for, write_manifest};
use crate::torrents::{torrent_of, write_torrent};
use crate::tree;

/// Removes the temporary folder when the import stops early.
struct Stage(PathBuf);

impl Drop for Stage {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn write(ctx: &Ctx, plan: &Plan) -> Result<()> {
    let data = ctx.data();
    let _lock = tree::lock_data(ctx)?;
    let stage = tempfile::Builder::new()
        .prefix(".leovms-tmp-import.")
        .tempdir_in(&data)
        .map_err(|e| Error::io(&data, e))?;
    let stage = Stage(stage.keep());
    let vm_dir = stage.0.join("vm");
    let disks = stage.0.join("disks");
    make_dir(&vm_dir)?;
    make_dir(&disks)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io(&data, e))?;
    let mut entries = Vec::new();

    let base_vdi = disks.join("base.vdi");
    let phase = fl!("phase-unzipping", file = plan.base.zip.entry.as_str());
    unpack_checked(&plan.base, &base_vdi, plan.base_uuid, &phase)?;
    let report = pack(
        &runtime,
        &base_vdi,
        &plan.base_name,
        &vm_dir.join(BASE_ARCHIVE),
        &fl!("phase-packing", file = BASE_ARCHIVE),
    )?;
    remove(&base_vdi)?;
    entries.push(packed(BASE_ARCHIVE, report));
    entries.push(torrent_for(&vm_dir, BASE_ARCHIVE)?);

    for snap in &plan.snapshots {
        let rel = layout::snapshot_dir(&snap.id);
        make_dir(&vm_dir.join(SNAPSHOTS))?;
        make_dir(&vm_dir.join(&rel))?;
        let vdi = disks.join(format!("{}.vdi", snap.uuid));
        let phase = fl!(
            "phase-unzipping",
            file = format!("snapshot-store/{}", snap.id)
        );
        unpack_checked(&snap.disk, &vdi, snap.uuid, &phase)?;
        let name = layout::snapshot_disk(&snap.uuid);
        let archive = layout::snapshot_archive(&snap.id);
        let phase = fl!("phase-packing", file = rel.as_str());
        let report = pack(&runtime, &vdi, &name, &vm_dir.join(&archive), &phase)?;
        remove(&vdi)?;
        let conf = layout::snapshot_conf(&snap.id);
        write_file(&vm_dir.join(&conf), snap.conf_text.as_bytes())?;
        entries.push(entry_for(&vm_dir, &conf, None)?);
        entries.push(packed(&archive, report));
        entries.push(torrent_for(&vm_dir, &archive)?);
    }
    write_file(&vm_dir.join(IMAGE_CONF), plan.image_conf.as_bytes())?;
    entries.push(entry_for(&vm_dir, IMAGE_CONF, None)?);
    write_file(&vm_dir.join(MACHINE_VBOX), &plan.vbox)?;
    entries.push(entry_for(&vm_dir, MACHINE_VBOX, None)?);

    // Into place without replacing anything that appeared meanwhile; the folder is
    // invisible to clients until its manifest exists.
    rustix::fs::renameat_with(
        rustix::fs::CWD,
        &vm_dir,
        rustix::fs::CWD,
        &plan.dest,
        rustix::fs::RenameFlags::NOREPLACE,
    )
    .map_err(|e| {
        if e == rustix::io::Errno::EXIST {
            Error::Invalid(fl!("import-appeared", dest = shown(&plan.dest)))
        } else {
            Error::io(&plan.dest, e.into())
        }
    })?;
    fsync_dir(&data).map_err(|e| Error::io(&data, e))?;
    write_manifest(&plan.dest, entries)
}

/// The manifest entry of an archive just packed.
fn packed(path: &str, report: PackReport) -> ManifestEntry {
    ManifestEntry {
        path: path.to_owned(),
        size: report.size,
        sha256: report.sha256,
        unpacked: Some(report.unpacked),
    }
}

/// The room swarm's torrent of an archive just packed, written and listed.
fn torrent_for(vm_dir: &Path, archive: &str) -> Result<ManifestEntry> {
    write_torrent(vm_dir, archive)?;
    entry_for(vm_dir, &torrent_of(archive), None)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, bytes, FILE_MODE).map_err(|e| Error::io(path, e))
}

fn remove(path: &Path) -> Result<()> {
    std::fs::remove_file(path).map_err(|e| Error::io(path, e))
}

/// Unpacks a zipped disk and checks that it is still the disk that was planned.
fn unpack_checked(disk: &SourceDisk, out: &Path, uuid: Uuid, phase: &str) -> Result<()> {
    let mut progress = Progress::new(phase, disk.zip.size);
    unzip::extract(&disk.zip, out, &mut progress)?;
    progress.finish();
    let header = vdi::read_header(out).map_err(|e| {
        Error::Invalid(fl!(
            "import-unzipped-invalid",
            zip = shown(&disk.zip.zip),
            detail = e.to_string()
        ))
    })?;
    if header.uuid != uuid {
        return Err(Error::Invalid(fl!(
            "import-changed",
            zip = shown(&disk.zip.zip)
        )));
    }
    Ok(())
}

fn pack(
    runtime: &tokio::runtime::Runtime,
    file: &Path,
    name: &str,
    out: &Path,
    phase: &str,
) -> Result<PackReport> {
    let size = std::fs::metadata(file)
        .map_err(|e| Error::io(file, e))?
        .len();
    let progress = Arc::new(Mutex::new(Progress::new(phase, size)));
    let report = {
        let progress = Arc::clone(&progress);
        let options = PackOptions {
            progress: Some(Arc::new(move |done| {
                progress.lock().unwrap_or_else(|e| e.into_inner()).set(done);
            })),
            ..PackOptions::default()
        };
        runtime
            .block_on(archive::pack_with(
                &[(file.to_owned(), name.to_owned())],
                out,
                Compression::Zstd,
                options,
            ))
            .map_err(|e| {
                Error::Invalid(fl!(
                    "import-pack-failed",
                    archive = shown(out),
                    detail = e.to_string()
                ))
            })?
    };
    progress.lock().unwrap_or_else(|e| e.into_inner()).finish();
    Ok(report)
}
