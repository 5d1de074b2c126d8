//! The machines of a user's own VirtualBox home (e.g. `~/.config/VirtualBox`): what an
//! upload can be made from. Disk chains come from the media registries and are checked
//! against the VDI headers, never guessed from file names. Whether a machine runs is not
//! in these files; VBoxManage knows that.
//!
//! Names and paths in these files are outside text (see [`crate::text`]): a machine whose
//! name has control characters or is too long is listed with its name shown escaped and a
//! problem; a disk or settings file whose path has control characters is not used.

use std::io;
use std::path::{Path, PathBuf};

use uuid::Uuid;

use super::scan::Doc;
use super::{HardDiskInfo, MachineInfo, VboxError, inspect};
use crate::text;
use crate::vdi::{braced, read_header};

/// Longer chains are a loop in a damaged registry.
const MAX_CHAIN: usize = 1000;

/// A machine registered in a VirtualBox home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnMachine {
    pub uuid: Uuid,
    /// From the settings file; the file's stem when it cannot be read. Shown escaped and
    /// shortened when it is no usable text (then `problem` says why).
    pub name: String,
    /// The `.vbox`, absolute when the home's path is.
    pub settings_file: PathBuf,
    /// `Machine/@stateFile` is set: the machine was suspended (saved state).
    pub saved_state: bool,
    /// Why the machine, or one of its disks, cannot be used; it is listed anyway.
    pub problem: Option<String>,
    /// The hard disks attached in the current state whose chains check out.
    pub disks: Vec<DiskChain>,
}

/// One attached hard disk with its ancestors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskChain {
    /// The attached image first, the root base last; never empty.
    pub links: Vec<ChainLink>,
}

impl DiskChain {
    /// The root of the chain: the base disk everything else derives from.
    pub fn base_uuid(&self) -> Uuid {
        self.links.last().map_or_else(Uuid::nil, |l| l.uuid)
    }
}

/// One image of a chain, as both the media registry and its VDI header describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    pub uuid: Uuid,
    /// Absolute when the home's path is; relative locations are resolved against the
    /// folder of the settings file that registers the image.
    pub path: PathBuf,
    pub parent: Option<Uuid>,
}

/// The home's `VirtualBox.xml` cannot be read; a broken machine is no error.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: {source}", path.display())]
    Settings {
        path: PathBuf,
        #[source]
        source: VboxError,
    },
}

/// A registered hard disk with its location resolved.
struct Medium {
    info: HardDiskInfo,
    path: PathBuf,
}

/// A machine as read from its settings file.
struct Loaded {
    uuid: Uuid,
    settings_file: PathBuf,
    info: Result<MachineInfo, String>,
    media: Vec<Medium>,
}

/// Every machine of `<vbox_home>/VirtualBox.xml`'s machine registry, in its order.
/// A missing `VirtualBox.xml` is a home without machines.
pub fn own_machines(vbox_home: &Path) -> Result<Vec<OwnMachine>, HomeError> {
    let global_path = vbox_home.join("VirtualBox.xml");
    let bytes = match std::fs::read(&global_path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other.map_err(|source| HomeError::Io {
            path: global_path.clone(),
            source,
        })?,
    };
    let settings = |source| HomeError::Settings {
        path: global_path.clone(),
        source,
    };
    let doc = Doc::parse(&bytes).map_err(settings)?;
    if doc.elements[0].name != "VirtualBox" {
        let found = doc.elements[0].name.clone();
        return Err(settings(VboxError::NotVirtualBox { found }));
    }
    let mut entries = Vec::new();
    // VirtualBox before 4.0 registered every disk here rather than in the machines.
    let mut global_media = Vec::new();
    if let Some(global) = doc.child(0, "Global") {
        if let Some(registry) = doc.child(global, "MachineRegistry") {
            for entry in doc.children(registry) {
                if doc.elements[entry].name == "MachineEntry" {
                    let uuid = doc.required_uuid(entry, "uuid").map_err(settings)?;
                    let src = doc.required(entry, "src").map_err(settings)?;
                    entries.push((uuid, vbox_home.join(src)));
                }
            }
        }
        global_media = registry(&doc, global, vbox_home).map_err(settings)?;
    }
    let loaded: Vec<Loaded> = entries
        .into_iter()
        .map(|(uuid, file)| load(uuid, file))
        .collect();
    Ok(loaded
        .iter()
        .enumerate()
        .map(|(i, machine)| {
            // Own registry first, then the global one, then other machines' (a disk
            // may be registered by the machine that created it).
            let mut pools = vec![&machine.media, &global_media];
            pools.extend(
                (0..loaded.len())
                    .filter(|&j| j != i)
                    .map(|j| &loaded[j].media),
            );
            own_machine(machine, &pools)
        })
        .collect())
}

fn load(uuid: Uuid, settings_file: PathBuf) -> Loaded {
    let info = checked_path(&settings_file)
        .and_then(|()| {
            std::fs::read(&settings_file)
                .map_err(|e| format!("cannot read {}: {e}", settings_file.display()))
        })
        .and_then(|bytes| inspect(&bytes).map_err(|e| format!("{}: {e}", settings_file.display())));
    let folder = settings_file.parent().unwrap_or(Path::new("/"));
    let media = match &info {
        Ok(info) => info
            .hard_disks
            .iter()
            .map(|d| Medium {
                path: folder.join(&d.location),
                info: d.clone(),
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    Loaded {
        uuid,
        settings_file,
        info,
        media,
    }
}

fn own_machine(machine: &Loaded, pools: &[&Vec<Medium>]) -> OwnMachine {
    let settings_file = machine.settings_file.clone();
    let info = match &machine.info {
        Ok(info) => info,
        Err(problem) => {
            let stem = settings_file.file_stem().unwrap_or_default();
            let (name, name_problem) = checked_name(&stem.to_string_lossy());
            let problems: Vec<String> = [Some(problem.clone()), name_problem]
                .into_iter()
                .flatten()
                .collect();
            return OwnMachine {
                uuid: machine.uuid,
                name,
                settings_file,
                saved_state: false,
                problem: Some(escaped(&problems.join("; "))),
                disks: Vec::new(),
            };
        }
    };
    let (name, name_problem) = checked_name(&info.name);
    let mut problems: Vec<String> = name_problem.into_iter().collect();
    if info.uuid != machine.uuid {
        problems.push(format!(
            "{} holds the machine {}, but VirtualBox.xml registers it as {}",
            settings_file.display(),
            braced(&info.uuid),
            braced(&machine.uuid)
        ));
    }
    let mut disks = Vec::new();
    for &attached in &info.attached {
        match chain(attached, pools) {
            Ok(c) => disks.push(c),
            Err(problem) => problems.push(problem),
        }
    }
    OwnMachine {
        uuid: machine.uuid,
        name,
        settings_file,
        saved_state: info.state_file.is_some(),
        problem: (!problems.is_empty()).then(|| escaped(&problems.join("; "))),
        disks,
    }
}

/// The name as it may be shown, and why it cannot be used, if it cannot.
fn checked_name(raw: &str) -> (String, Option<String>) {
    match text::check_line(raw, text::LINE_MAX) {
        Ok(()) => (raw.to_owned(), None),
        Err(problem) => (
            text::shown(raw),
            Some(format!(
                "its name {problem}; give it a plain name in VirtualBox"
            )),
        ),
    }
}

/// A path from the user's VirtualBox files that is fit to be used and shown.
fn checked_path(path: &Path) -> Result<(), String> {
    let shown = path.to_string_lossy();
    text::check_line(&shown, usize::MAX)
        .map_err(|problem| format!("the path \"{}\" {problem}", escaped(&shown)))
}

/// `raw` whole, with control characters and direction overrides escaped (`\u{1b}`):
/// problems quote names, paths and XML errors from the user's VirtualBox files.
fn escaped(raw: &str) -> String {
    if text::check_line(raw, usize::MAX).is_ok() {
        return raw.to_owned();
    }
    let mut buf = [0; 4];
    raw.chars()
        .map(|c| text::shown(c.encode_utf8(&mut buf)))
        .collect()
}

/// Walks from `start` to its root through the registries, checking every VDI header.
fn chain(start: Uuid, pools: &[&Vec<Medium>]) -> Result<DiskChain, String> {
    let find = |uuid: Uuid| {
        pools
            .iter()
            .flat_map(|p| p.iter())
            .find(|m| m.info.uuid == uuid)
    };
    let mut links: Vec<ChainLink> = Vec::new();
    let mut next = Some(start);
    while let Some(uuid) = next {
        if links.len() >= MAX_CHAIN || links.iter().any(|l| l.uuid == uuid) {
            return Err(format!("the chain of hard disk {} loops", braced(&start)));
        }
        let medium = find(uuid)
            .ok_or_else(|| format!("hard disk {} is in no media registry", braced(&uuid)))?;
        let (path, format) = (&medium.path, &medium.info.format);
        checked_path(path)?;
        if !format.is_empty() && !format.eq_ignore_ascii_case("VDI") {
            return Err(format!(
                "{} is a {format} image; only VDI images are supported",
                path.display()
            ));
        }
        let header = read_header(path).map_err(|e| e.to_string())?;
        let shown = |u: Option<Uuid>| u.map_or_else(|| "none".to_owned(), |u| braced(&u));
        if header.uuid != uuid {
            return Err(format!(
                "{} has the UUID {} in its header, but the media registry says {}",
                path.display(),
                braced(&header.uuid),
                braced(&uuid)
            ));
        }
        if header.parent != medium.info.parent {
            return Err(format!(
                "{} names the parent {} in its header, but the media registry says {}",
                path.display(),
                shown(header.parent),
                shown(medium.info.parent)
            ));
        }
        links.push(ChainLink {
            uuid,
            path: path.clone(),
            parent: medium.info.parent,
        });
        next = medium.info.parent;
    }
    Ok(DiskChain { links })
}

/// The hard disks of `owner`'s `<MediaRegistry>`, locations resolved against `folder`.
fn registry(doc: &Doc<'_>, owner: usize, folder: &Path) -> Result<Vec<Medium>, VboxError> {
    let mut media = Vec::new();
    for disk in doc.hard_disks(owner) {
        let parent = doc.elements[disk]
            .parent
            .filter(|&p| doc.elements[p].name == "HardDisk");
        let location = doc.required(disk, "location")?;
        media.push(Medium {
            path: folder.join(&location),
            info: HardDiskInfo {
                uuid: doc.required_uuid(disk, "uuid")?,
                location,
                parent: parent.map(|p| doc.required_uuid(p, "uuid")).transpose()?,
                format: doc.attr(disk, "format")?.unwrap_or_default().into_owned(),
            },
        });
    }
    Ok(media)
}

#[cfg(test)]
#[path = "home_tests.rs"]
mod tests;
