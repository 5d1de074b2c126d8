//! What a user can upload: the machines of their own VirtualBox (its real home, never
//! leovms' `VBOX_USER_HOME`) and their leovms working copies. Each is matched to the
//! published VM whose base it was made from, by the base disk's UUID.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use leovms_api::{Detail, UploadSource, Uploadable, UploadableState};
use leovms_image::vbox::{self, OwnMachine};
use uuid::Uuid;

use crate::catalog::VmEntry;
use crate::configure;
use crate::error::{detail, wire_safe};
use crate::view::View;

/// One upload source with the files an upload takes from it.
#[derive(Debug, Clone)]
pub struct Source {
    pub source: UploadSource,
    /// Machine UUID, or the VM id of a working copy.
    pub id: String,
    pub name: String,
    pub state: UploadableState,
    /// The published VM it was made from.
    pub vm: Option<String>,
    /// Differencing disks of the current state, root side first.
    pub diffs: Vec<PathBuf>,
    /// Base disks (the roots of the chains).
    pub bases: Vec<PathBuf>,
    /// The root disk's UUID (of the first chain).
    pub base_uuid: Option<Uuid>,
    pub settings_file: PathBuf,
    pub problem: Option<String>,
    /// The id and values of `problem`'s sentence.
    pub problem_detail: Detail,
}

impl Source {
    pub fn to_api(&self) -> Uploadable {
        let size = |files: &[PathBuf]| -> u64 {
            files
                .iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum()
        };
        let snapshot_bytes = size(&self.diffs);
        Uploadable {
            source: self.source,
            id: self.id.clone(),
            name: self.name.clone(),
            state: self.state,
            vm: self.vm.clone().unwrap_or_default(),
            snapshot_bytes,
            vm_bytes: snapshot_bytes + size(&self.bases),
            // Problems quote the user's VirtualBox files (escaped where they are read).
            problem: wire_safe(self.problem.as_deref().unwrap_or_default()),
            problem_detail: self.problem_detail.clone(),
            disks: self
                .bases
                .iter()
                .chain(&self.diffs)
                .map(|d| d.display().to_string())
                .collect(),
        }
    }
}

/// Where plain VirtualBox keeps this user's machines: `~/.config/VirtualBox`, or the
/// `~/.VirtualBox` of old versions when only that exists.
pub fn own_home(home: &Path) -> PathBuf {
    let legacy = home.join(".VirtualBox");
    let current = home.join(".config/VirtualBox");
    if !current.exists() && legacy.join("VirtualBox.xml").exists() {
        return legacy;
    }
    current
}

/// Published VMs by the UUIDs of their base disks.
pub fn published_bases(view: &View) -> HashMap<Uuid, String> {
    let mut out = HashMap::new();
    let Ok(machines) = view.machines() else {
        return out;
    };
    for (id, vm) in machines {
        let Ok(vm) = vm else { continue };
        let Ok(info) = vbox::inspect(&vm.template) else {
            continue;
        };
        for disk in info.hard_disks.iter().filter(|d| d.parent.is_none()) {
            out.insert(disk.uuid, id.to_string());
        }
    }
    out
}

/// The user's own machines; `running` are the UUIDs VirtualBox reports as running.
pub fn own_machines(
    home: &Path,
    running: &[Uuid],
    bases: &HashMap<Uuid, String>,
) -> Result<Vec<Source>, String> {
    let machines = vbox::own_machines(home).map_err(|e| e.to_string())?;
    Ok(machines
        .into_iter()
        .map(|m| own_source(m, running, bases))
        .collect())
}

fn own_source(m: OwnMachine, running: &[Uuid], bases: &HashMap<Uuid, String>) -> Source {
    let state = if running.contains(&m.uuid) {
        UploadableState::Running
    } else if m.saved_state {
        UploadableState::Saved
    } else {
        UploadableState::Off
    };
    let mut diffs = Vec::new();
    let mut roots = Vec::new();
    for chain in &m.disks {
        let Some((root, rest)) = chain.links.split_last() else {
            continue;
        };
        roots.push(root);
        for link in rest.iter().rev() {
            if !diffs.contains(&link.path) {
                diffs.push(link.path.clone());
            }
        }
    }
    let base_uuid = roots.first().map(|r| r.uuid);
    let vm = base_uuid.and_then(|u| bases.get(&u).cloned());
    let name = &m.name;
    let said = |message: String, id| (Some(message), detail(id, &[("vm", name)]));
    let (problem, problem_detail) = match (&m.problem, state) {
        (Some(p), _) => (Some(p.clone()), Detail::new()),
        (None, UploadableState::Running) => said(
            format!("{name} is running; shut it down in VirtualBox first"),
            "vbox-vm-running",
        ),
        (None, UploadableState::Saved) => said(
            format!(
                "{name} was saved while running; start it in VirtualBox and shut it down first"
            ),
            "vbox-vm-saved",
        ),
        (None, _) if roots.is_empty() => said(format!("{name} has no hard disk"), "no-hard-disk"),
        (None, _) => (None, Detail::new()),
    };
    Source {
        source: UploadSource::VirtualBox,
        id: m.uuid.to_string(),
        name: m.name,
        state,
        vm,
        diffs,
        bases: roots.iter().map(|r| r.path.clone()).collect(),
        base_uuid,
        settings_file: m.settings_file,
        problem,
        problem_detail,
    }
}

/// This user's working copies of published VMs (started at least once, with disks).
pub fn working_copies(view: &View, running: impl Fn(&str) -> bool) -> Vec<Source> {
    let Ok(machines) = view.machines() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, vm) in machines {
        let Ok(vm) = vm else { continue };
        let work = view.layout.work_dir(id.as_str());
        let diffs = configure::working_disks(&work);
        let settings_file = view.layout.settings_file(id.as_str());
        if diffs.is_empty() || !settings_file.exists() {
            continue;
        }
        let state = if running(id.as_str()) {
            UploadableState::Running
        } else {
            UploadableState::Off
        };
        let running = state == UploadableState::Running;
        let name = &vm.image.name;
        let (problem, problem_detail) = if running {
            let message = format!("{name} is running; close it first");
            (Some(message), detail("copy-running", &[("vm", name)]))
        } else {
            (None, Detail::new())
        };
        let mut copy = working_copy(&vm, diffs, settings_file, state, problem);
        copy.problem_detail = problem_detail;
        out.push(copy);
    }
    out
}

fn working_copy(
    vm: &VmEntry,
    diffs: Vec<PathBuf>,
    settings_file: PathBuf,
    state: UploadableState,
    problem: Option<String>,
) -> Source {
    let base_uuid = vbox::inspect(&vm.template).ok().and_then(|info| {
        info.hard_disks
            .iter()
            .find(|d| d.parent.is_none())
            .map(|d| d.uuid)
    });
    Source {
        source: UploadSource::WorkingCopy,
        id: vm.id.to_string(),
        name: vm.image.name.clone(),
        state,
        vm: Some(vm.id.to_string()),
        diffs,
        bases: Vec::new(),
        base_uuid,
        settings_file,
        problem,
        problem_detail: Detail::new(),
    }
}
