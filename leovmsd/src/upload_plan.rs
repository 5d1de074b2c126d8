//! The plan of an upload: what kind, which ids, which files, and whether the share has
//! room, all decided before a job exists.

use std::path::{Path, PathBuf};

use leovms_api::{ErrorKind, UploadKind as Kind, UploadOptions, UploadSource};
use leovms_image::config::toml_string;
use leovms_image::layout::{self, BASE_ARCHIVE, IMAGE_CONF, MACHINE_VBOX};
use leovms_image::name::SafeName;
use leovms_image::text;
use leovms_image::upload::{CopySource, UploadFile, UploadKind, UploadSpec};
use leovms_image::vbox::{self, DiskPatch, Patch};
use leovms_image::vdi;

use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::space;
use crate::upload_source::Source;
use crate::view::View;

mod fresh;
use fresh::FreshState;
pub use fresh::remove_leftovers as remove_scratch_leftovers;

/// Room for tar headers, `upload.toml` and the manifest, on top of the packed disks.
const OVERHEAD: u64 = 16 << 20;

/// A checked upload, ready to run.
pub struct Plan {
    pub spec: UploadSpec,
    pub dir: PathBuf,
    pub total: u64,
    pub label: String,
    /// Disks made for the upload (see [`fresh`]), removed when the plan is dropped.
    pub _fresh: Option<FreshState>,
}

pub fn plan(
    settings: &Settings,
    online: bool,
    src: &Source,
    options: &UploadOptions,
) -> Result<Plan> {
    let view = View::load(settings, online)?;
    // `UploadOptions::from_dict` refused other words already, naming them.
    let kind = match options.kind {
        Some(Kind::Snapshot) => UploadKind::Snapshot,
        Some(Kind::Vm) => UploadKind::Vm,
        None if src.vm.is_some() => UploadKind::Snapshot,
        None => UploadKind::Vm,
        Some(Kind::Unknown) => {
            return Err(Error::invalid("An upload is a \"snapshot\" or a \"vm\"."));
        }
    };
    let name = options.name.clone().unwrap_or_else(|| src.name.clone());
    let description = options.description.clone().unwrap_or_default();
    // They go into the upload's settings files, which publishing checks the same way.
    text::check_line(&name, text::LINE_MAX)
        .map_err(|p| Error::invalid(format!("The name {p}.")))?;
    text::check_lines(&description, text::LINES_MAX)
        .map_err(|p| Error::invalid(format!("The description {p}.")))?;
    let facts = crate::access::facts(settings);
    let base_uuid = src
        .base_uuid
        .ok_or_else(|| Error::invalid(format!("{} has no hard disk to upload.", src.name)))?;
    let stamp = leovms_image::utc::Utc::now().compact();
    let mut fresh = None;
    let (vm, snapshot, files) =
        match kind {
            UploadKind::Snapshot => {
                let vm = snapshot_target(src, options, &view)?;
                let id = chosen_id(options.snapshot.as_deref(), &name, "snapshot")?;
                if view.machines()?.iter().any(|(v, e)| {
                    v == &vm && e.as_ref().is_ok_and(|e| e.snapshot(id.as_str()).is_ok())
                }) {
                    return Err(Error::invalid(format!(
                        "{vm} already has a snapshot \"{id}\"; choose another id."
                    )));
                }
                let files = vec![snapshot_archive(&id, &src.diffs)?];
                (vm, Some(id), files)
            }
            UploadKind::Vm => {
                if src.source == UploadSource::WorkingCopy {
                    return Err(Error::invalid(
                        "A working copy is uploaded as a new snapshot of its VM.",
                    ));
                }
                let vm = chosen_id(options.vm.as_deref(), &name, "VM")?;
                if view.machines()?.iter().any(|(v, _)| v == &vm) {
                    return Err(Error::invalid(format!(
                        "There is a VM \"{vm}\" already; choose another id."
                    )));
                }
                // Students always start from a snapshot: without one, `current` is made.
                let id = chosen_id(options.snapshot.as_deref(), "current", "snapshot")?;
                let (files, made) = vm_files(settings, src, &name, options, &id)?;
                fresh = made;
                (vm, Some(id), files)
            }
        };
    let folder = format!(
        "{}-{stamp}",
        snapshot
            .as_ref()
            .filter(|_| kind == UploadKind::Snapshot)
            .unwrap_or(&vm)
    );
    let user_dir = settings.upload.join(&facts.user);
    let total: u64 = files.iter().map(source_bytes).sum();
    space::ensure_fits_on_share(
        &user_dir,
        total + OVERHEAD,
        &format!("the upload of {}", src.name),
    )?;
    ensure_user_dir(&user_dir)?;
    Ok(Plan {
        dir: user_dir.join(&folder),
        label: format!("{}/{folder}", facts.user),
        total,
        spec: UploadSpec {
            kind,
            vm,
            snapshot,
            name,
            description,
            uploader: facts.user.clone(),
            source_machine: facts.host.clone(),
            base_uuid,
            files,
        },
        _fresh: fresh,
    })
}

/// The published VM a snapshot upload belongs to: the one its base came from.
fn snapshot_target(src: &Source, options: &UploadOptions, view: &View) -> Result<SafeName> {
    let Some(derived) = &src.vm else {
        return Err(Error::invalid(format!(
            "{} was not made from a published VM's base, so it can only be uploaded as a new VM.",
            src.name
        )));
    };
    if let Some(asked) = options.vm.as_deref().filter(|v| v != derived) {
        return Err(Error::invalid(format!(
            "{} was made from the base of {derived}, not of {}.",
            src.name,
            text::shown(asked)
        )));
    }
    let vm = SafeName::new(derived)?;
    view.machine(vm.as_str())?;
    Ok(vm)
}

/// `asked`, or an id made from `name` (`Exam 2028` becomes `exam-2028`).
fn chosen_id(asked: Option<&str>, name: &str, what: &str) -> Result<SafeName> {
    let text = match asked {
        Some(id) => id.to_owned(),
        None => slug(name),
    };
    SafeName::new(&text).map_err(|e| Error::invalid(format!("The {what} id: {e}")))
}

fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(40).collect();
    if out.is_empty() { "upload".into() } else { out }
}

/// `snapshots/<id>/snapshot.tar.zst` with the differencing disks as `Snapshots/{uuid}.vdi`.
fn snapshot_archive(id: &SafeName, diffs: &[PathBuf]) -> Result<UploadFile> {
    let entries = diffs
        .iter()
        .map(|d| {
            let h =
                vdi::read_header(d).map_err(|e| Error::new(ErrorKind::Integrity, e.to_string()))?;
            Ok((d.clone(), layout::snapshot_disk(&h.uuid)))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(UploadFile::Archive {
        path_in_upload: layout::snapshot_archive(id),
        entries,
    })
}

/// A new VM: `image.conf`, `machine.vbox` with the disks under the names the archives
/// give them, `base.tar.zst` and the current state as snapshot `id` (made first when the
/// machine has none, see [`fresh`]).
fn vm_files(
    settings: &Settings,
    src: &Source,
    name: &str,
    options: &UploadOptions,
    id: &SafeName,
) -> Result<(Vec<UploadFile>, Option<FreshState>)> {
    let xml = std::fs::read(&src.settings_file)
        .map_err(|e| Error::io(src.settings_file.display(), &e))?;
    let bad_settings =
        |e: vbox::VboxError| Error::invalid(format!("{}: {e}", src.settings_file.display()));
    let info = vbox::inspect(&xml).map_err(bad_settings)?;
    let mut base_entries = Vec::new();
    let mut disks = Vec::new();
    for path in src.bases.iter().chain(&src.diffs) {
        let h =
            vdi::read_header(path).map_err(|e| Error::new(ErrorKind::Integrity, e.to_string()))?;
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let location = if src.bases.contains(path) {
            base_entries.push((path.clone(), file.clone()));
            file
        } else {
            layout::snapshot_disk(&h.uuid)
        };
        if info.hard_disks.iter().any(|d| d.uuid == h.uuid) {
            disks.push(DiskPatch {
                old_uuid: h.uuid,
                new_uuid: h.uuid,
                location: location.into(),
            });
        }
    }
    let patch = Patch {
        disks,
        clear_state_file: true,
        ..Patch::default()
    };
    let mut machine = vbox::patch(&xml, &patch).map_err(bad_settings)?;
    let (diffs, fresh) = if src.diffs.is_empty() {
        let fresh = FreshState::create(&settings.state_dir(), &src.bases, &info.attached)?;
        machine = fresh.patch(machine).map_err(bad_settings)?;
        (fresh.paths(), Some(fresh))
    } else {
        (src.diffs.clone(), None)
    };
    let image = format!(
        "name = {}\ndescription = {}\n",
        toml_string(name),
        toml_string(options.description.as_deref().unwrap_or_default())
    );
    let files = vec![
        UploadFile::Copy {
            path_in_upload: IMAGE_CONF.into(),
            source: CopySource::Bytes(image.into_bytes()),
        },
        UploadFile::Copy {
            path_in_upload: MACHINE_VBOX.into(),
            source: CopySource::Bytes(machine),
        },
        UploadFile::Archive {
            path_in_upload: BASE_ARCHIVE.into(),
            entries: base_entries,
        },
        snapshot_archive(id, &diffs)?,
    ];
    Ok((files, fresh))
}

fn source_bytes(file: &UploadFile) -> u64 {
    match file {
        UploadFile::Archive { entries, .. } => entries
            .iter()
            .filter_map(|(p, _)| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum(),
        UploadFile::Copy { .. } => 0,
    }
}

/// `<share>/<user>/`, created on the first upload (the server's setgid folder gives it
/// the group p_leovms). Writes to the share: call through `Share::read`.
pub fn ensure_user_dir(dir: &Path) -> Result<()> {
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(not_allowed(dir)),
        Err(e) => Err(Error::io(dir.display(), &e)),
    }
}

pub fn not_allowed(dir: &Path) -> Error {
    Error::new(
        ErrorKind::PermissionDenied,
        format!(
            "You may not write to the upload share ({}). Uploading needs membership in the group p_leovms; ask the school's admin.",
            dir.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_made_from_names() {
        assert_eq!(slug("Exam 2028"), "exam-2028");
        assert_eq!(slug("  Lab: CAD & Co.  "), "lab-cad-co");
        assert_eq!(slug("Übung"), "bung");
        assert_eq!(slug("!!!"), "upload");
        assert!(SafeName::new(slug(&"x".repeat(100))).is_ok());
    }
}
