//! The disks inside archives: archives are read with the clients' own rules
//! (`leovms_image::archive::scan`), so `publish` refuses exactly what every PC would
//! refuse, in the same words; then which disks belong together.

use std::path::Path;

use leovms_image::archive::{self, ArchiveError};
use leovms_image::vbox::MachineInfo;
use leovms_image::vdi::{self, ChainError, VdiHeader, VdiKind, braced};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::l10n::fl;
use crate::progress::Progress;

/// What an archive holds: its VDI disks with their headers, and the unpacked size.
#[derive(Debug, Default)]
pub struct ArchiveScan {
    /// `(entry name, header)` of every `.vdi` entry.
    pub disks: Vec<(String, VdiHeader)>,
    /// Sum of the sizes of the regular files inside.
    pub unpacked: u64,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}

/// Reads `archive` (`.tar.zst` or `.tar.gz`) from start to end under the rules the PCs
/// unpack with; the headers of the `.vdi` files are read. `shown` names the archive in
/// messages.
pub fn scan_archive(archive: &Path, shown: &str) -> Result<ArchiveScan> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| Error::io(archive, e))?;
    let size = std::fs::metadata(archive).map_or(0, |m| m.len());
    let mut progress = Progress::new(fl!("phase-checking-disks", archive = shown), size);
    let report = runtime
        .block_on(archive::scan(archive, vdi::HEADER_BYTES, &mut |n| {
            progress.set(n)
        }))
        .map_err(|e| refused(e, archive, shown))?;
    progress.finish();
    let mut scan = ArchiveScan {
        disks: Vec::new(),
        unpacked: report.unpacked,
    };
    for file in &report.files {
        if file.path.to_ascii_lowercase().ends_with(".vdi") {
            let named = format!("{} (in {shown})", file.path);
            let header = vdi::parse_header(&file.head, Path::new(&named))
                .map_err(|e| invalid(fl!("disk-invalid", detail = e.to_string())))?;
            scan.disks.push((file.path.clone(), header));
        }
    }
    Ok(scan)
}

/// The client's words for a refused archive, naming it as the admin knows it.
fn refused(e: ArchiveError, archive: &Path, shown: &str) -> Error {
    if let ArchiveError::Io { path, source } = e {
        return Error::io(path, source);
    }
    let text = e.to_string();
    let path = archive.display().to_string();
    let detail = if text.contains(&path) {
        text.replace(&path, shown)
    } else {
        format!("{shown}: {text}")
    };
    invalid(fl!("archive-refused", detail = detail))
}

/// The UUIDs of the base disks of a machine: the hard disks without a parent.
pub fn base_uuids(info: &MachineInfo) -> Vec<Uuid> {
    info.hard_disks
        .iter()
        .filter(|d| d.parent.is_none())
        .map(|d| d.uuid)
        .collect()
}

/// A base archive must hold every base disk `machine.vbox` names, with that identity.
pub fn check_base_archive(scan: &ArchiveScan, info: &MachineInfo, shown: &str) -> Result<()> {
    for disk in info.hard_disks.iter().filter(|d| d.parent.is_none()) {
        let found = scan.disks.iter().find(|(_, h)| h.uuid == disk.uuid);
        match found {
            None => {
                return Err(invalid(fl!(
                    "archive-lacks-base",
                    archive = shown,
                    disk = braced(&disk.uuid),
                    location = disk.location.as_str()
                )));
            }
            Some((name, h)) if h.kind == VdiKind::Diff => {
                return Err(invalid(fl!(
                    "archive-base-is-diff",
                    disk = name.as_str(),
                    archive = shown
                )));
            }
            Some(_) => {}
        }
    }
    if info.hard_disks.iter().all(|d| d.parent.is_some()) {
        return Err(invalid(fl!("machine-no-base")));
    }
    Ok(())
}

/// Every disk of a snapshot archive is a differencing disk whose parents lead to one of
/// `bases` (through other disks of the same archive, without a loop): the check the
/// PCs make before they use a snapshot.
pub fn check_snapshot_archive(scan: &ArchiveScan, bases: &[Uuid], shown: &str) -> Result<()> {
    if scan.disks.is_empty() {
        return Err(invalid(fl!("archive-no-disk", archive = shown)));
    }
    let expected = bases.iter().map(braced).collect::<Vec<_>>().join(", ");
    match vdi::check_chain(bases, &scan.disks) {
        Ok(()) => Ok(()),
        Err(ChainError::NotDiff { disk, .. }) => Err(invalid(fl!(
            "archive-not-diff",
            disk = disk.to_string(),
            archive = shown,
            base = expected
        ))),
        Err(ChainError::Missing { disk, parent, .. }) => Err(invalid(fl!(
            "archive-other-base",
            disk = disk.to_string(),
            archive = shown,
            parent = braced(&parent),
            base = expected
        ))),
        Err(e) => Err(invalid(fl!(
            "archive-chain",
            archive = shown,
            detail = e.to_string()
        ))),
    }
}
