//! The user's working copy of a VM (the patched settings and the differencing disk
//! the VM writes to): whether it can be started "as found", and VirtualBox.xml.

use std::path::{Path, PathBuf};

use leovms_api::{Detail, ErrorKind};

use crate::catalog::VmEntry;
use crate::error::{Error, Result};
use crate::layout::{COPY_NOTE, CopyNote, Layout};

/// Why "as found" is not offered.
#[derive(Debug, Clone, PartialEq)]
pub enum NotOffered {
    /// There is no working copy (never started on this PC by this user).
    NoCopy,
    /// There is one, but it cannot be started as it is; the reason.
    Blocked(Blocked),
}

/// Why a working copy cannot be started as it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocked {
    BaseRenewed,
    SettingsDamaged(String),
    SavedState,
}

impl Blocked {
    /// The reason as the end of a sentence ("… cannot be started as found: <why>").
    pub fn why(&self) -> String {
        match self {
            Blocked::BaseRenewed => "the base image was renewed since it was last used".into(),
            Blocked::SettingsDamaged(e) => format!("its settings are damaged ({e})"),
            Blocked::SavedState => "it has a saved state".into(),
        }
    }

    /// The detail of [`Blocked::why`] (see `leovms_api::Detail`).
    pub fn detail(&self) -> Detail {
        let (id, error) = match self {
            Blocked::BaseRenewed => ("base-renewed", None),
            Blocked::SettingsDamaged(e) => ("settings-damaged", Some(e)),
            Blocked::SavedState => ("saved-state", None),
        };
        let mut detail = Detail::from([("id".to_string(), id.to_string())]);
        if let Some(e) = error {
            detail.insert("error".into(), e.clone());
        }
        detail
    }
}

impl NotOffered {
    pub fn into_error(self, name: &str) -> Error {
        match self {
            NotOffered::NoCopy => Error::not_found(format!(
                "{name} has not been used on this computer yet, so it cannot be started as found. Choose a snapshot."
            ))
            .said("never-used", &[("vm", &name)]),
            NotOffered::Blocked(why) => {
                let error = match &why {
                    Blocked::SettingsDamaged(e) => e.as_str(),
                    _ => "",
                };
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!("{name} cannot be started as found: {}. Choose a snapshot.", why.why()),
                )
                .said(
                    &format!("as-found-{}", why.detail()["id"]),
                    &[("vm", &name), ("error", &error)],
                )
            }
        }
    }
}

/// Whether the working copy can be started as the last user left it.
pub fn as_found(layout: &Layout, vm: &VmEntry) -> std::result::Result<(), NotOffered> {
    let work = layout.work_dir(&vm.id);
    let settings = layout.settings_file(&vm.id);
    let note = CopyNote::read(&work).ok_or(NotOffered::NoCopy)?;
    let xml = std::fs::read(&settings).map_err(|_| NotOffered::NoCopy)?;
    if note.base_hash != vm.base.short_hash() {
        return Err(NotOffered::Blocked(Blocked::BaseRenewed));
    }
    let info = leovms_image::vbox::inspect(&xml)
        .map_err(|e| NotOffered::Blocked(Blocked::SettingsDamaged(e.to_string())))?;
    if info.state_file.is_some() || !saved_states(&work).is_empty() {
        return Err(NotOffered::Blocked(Blocked::SavedState));
    }
    Ok(())
}

/// `.sav` files below the working copy.
pub fn saved_states(work: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [work.to_path_buf(), work.join("Snapshots")] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            out.extend(
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "sav")),
            );
        }
    }
    out
}

/// Forgets what the working copy was made from: it is being replaced.
pub fn forget(work: &Path) -> Result<()> {
    match std::fs::remove_file(work.join(COPY_NOTE)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(work.join(COPY_NOTE).display(), &e)),
    }
}

pub fn remember(work: &Path, note: &CopyNote) -> Result<()> {
    let text = toml::to_string(note).map_err(|e| Error::internal(e.to_string()))?;
    let path = work.join(COPY_NOTE);
    leovms_image::atomic::write_atomic(&path, text.as_bytes(), 0o644)
        .map_err(|e| Error::io(path.display(), &e))
}

/// After a fresh snapshot: disks and saved states that the new snapshot does not
/// contain belong to an older one and would only fill the disk.
pub fn remove_stale(work: &Path, keep: &[PathBuf]) -> Result<()> {
    let snaps = work.join("Snapshots");
    let Ok(rd) = std::fs::read_dir(&snaps) else {
        return Ok(());
    };
    for entry in rd.flatten() {
        let path = entry.path();
        let rel = path.strip_prefix(work).unwrap_or(&path).to_path_buf();
        let disk_or_state = path.extension().is_some_and(|x| x == "vdi" || x == "sav");
        if disk_or_state && !keep.contains(&rel) {
            std::fs::remove_file(&path).map_err(|e| Error::io(path.display(), &e))?;
        }
    }
    Ok(())
}

/// Creates VirtualBox.xml of this user's leovms home when there is none yet; machines
/// are then registered through VirtualBox itself.
pub fn ensure_global_settings(layout: &Layout) -> Result<()> {
    let path = layout.vbox_home.join("VirtualBox.xml");
    if path.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(&layout.vbox_home)
        .map_err(|e| Error::io(layout.vbox_home.display(), &e))?;
    let xml = leovms_image::vbox::global_settings(&[]);
    leovms_image::atomic::write_atomic(&path, xml.as_bytes(), 0o644)
        .map_err(|e| Error::io(path.display(), &e))
}
