//! Reading `VirtualBox.xml` and `.vbox` files.
//!
//! Deliberately not `leovms_image::vbox::inspect`: the double must judge the daemon's
//! files with a reader of its own, or a parser bug would hide itself.

use std::path::{Path, PathBuf};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use uuid::Uuid;

use crate::Error;

/// One `<HardDisk>` of a machine's media registry.
#[derive(Debug, Clone)]
pub struct Disk {
    pub uuid: Uuid,
    /// Absolute: relative locations are resolved against the machine folder.
    pub location: PathBuf,
    /// The enclosing `<HardDisk>`, for differencing disks.
    pub parent: Option<Uuid>,
}

/// What the double needs to know of a machine.
#[derive(Debug, Clone)]
pub struct Machine {
    pub uuid: Uuid,
    pub name: String,
    pub path: PathBuf,
    pub memory_mb: u64,
    pub disks: Vec<Disk>,
    /// Every `AttachedDevice/Image` uuid, current state and snapshots.
    pub attached: Vec<Uuid>,
    /// `(name, hostPath)` of the current state's permanent shared folders.
    pub shared_folders: Vec<(String, String)>,
    /// The current state's network cards, in file order.
    pub nics: Vec<Card>,
}

/// One `Hardware/Network/Adapter` of the current state.
#[derive(Debug, Clone)]
pub struct Card {
    /// As `--nicN` counts (the file's `slot` + 1).
    pub slot: u32,
    pub enabled: bool,
    pub mac: String,
    /// VBoxManage's word for the attachment (`nat`, `bridged`, …; `null` when none).
    pub kind: &'static str,
    /// The attachment's `name` (bridged interface, internal network, …).
    pub name: String,
}

/// Attachment elements and VBoxManage's words for them.
const ATTACHMENTS: [(&str, &str); 7] = [
    ("NAT", "nat"),
    ("BridgedInterface", "bridged"),
    ("HostInterface", "bridged"),
    ("InternalNetwork", "intnet"),
    ("HostOnlyInterface", "hostonly"),
    ("GenericInterface", "generic"),
    ("NATNetwork", "natnetwork"),
];

/// `MachineEntry` `(uuid, src)` of `VirtualBox.xml`; relative `src` is relative to `home`.
pub fn machine_entries(home: &Path) -> Result<Vec<(Uuid, PathBuf)>, Error> {
    let path = home.join("VirtualBox.xml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::failure(format!(
                "Could not read '{}': {e}",
                path.display()
            )));
        }
    };
    let mut entries = Vec::new();
    let mut reader = Reader::from_str(&text);
    loop {
        match reader.read_event().map_err(|e| xml_error(&path, e))? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"MachineEntry" => {
                let uuid = attr(&e, "uuid").and_then(|u| parse_uuid(&u));
                let src = attr(&e, "src");
                if let (Some(uuid), Some(src)) = (uuid, src) {
                    entries.push((uuid, home.join(src)));
                }
            }
            Event::Eof => return Ok(entries),
            _ => {}
        }
    }
}

/// Reads a machine settings file.
pub fn load(path: &Path) -> Result<Machine, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::failure(format!(
            "Runtime error opening '{}' for reading: {e}",
            path.display()
        ))
    })?;
    let folder = path.parent().unwrap_or(Path::new("/"));
    let mut machine = Machine {
        uuid: Uuid::nil(),
        name: String::new(),
        path: path.to_owned(),
        memory_mb: 128,
        disks: Vec::new(),
        attached: Vec::new(),
        shared_folders: Vec::new(),
        nics: Vec::new(),
    };
    let mut stack: Vec<String> = Vec::new();
    let mut disk_stack: Vec<Uuid> = Vec::new();
    let mut reader = Reader::from_str(&text);
    loop {
        let event = reader.read_event().map_err(|e| xml_error(path, e))?;
        let (element, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                if stack.pop().as_deref() == Some("HardDisk") {
                    disk_stack.pop();
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
        // Only the current state: snapshots keep their own <Hardware>.
        let in_current_hw = stack.len() == 3 && stack[1] == "Machine" && stack[2] == "Hardware";
        match name.as_str() {
            "Machine" if stack.len() == 1 => {
                machine.uuid = attr(element, "uuid")
                    .and_then(|u| parse_uuid(&u))
                    .ok_or_else(|| {
                        structure(
                            path,
                            "Required Machine/@uuid attribute is missing or invalid",
                        )
                    })?;
                machine.name = attr(element, "name").unwrap_or_default();
            }
            "Memory" if in_current_hw => {
                machine.memory_mb = attr(element, "RAMSize")
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(128);
            }
            "SharedFolder"
                if stack.len() == 4 && stack[2] == "Hardware" && stack[1] == "Machine" =>
            {
                machine.shared_folders.push((
                    attr(element, "name").unwrap_or_default(),
                    attr(element, "hostPath").unwrap_or_default(),
                ));
            }
            "Adapter" if stack.len() == 4 && stack[1..] == ["Machine", "Hardware", "Network"] => {
                machine.nics.push(Card {
                    slot: attr(element, "slot")
                        .and_then(|s| s.parse::<u32>().ok())
                        .ok_or_else(|| structure(path, "Required Adapter/@slot is missing"))?
                        + 1,
                    enabled: attr(element, "enabled").as_deref() == Some("true"),
                    mac: attr(element, "MACAddress").unwrap_or_default(),
                    kind: "null",
                    name: String::new(),
                });
            }
            tag if stack.len() == 5
                && stack[1..] == ["Machine", "Hardware", "Network", "Adapter"] =>
            {
                if let (Some(card), Some((_, kind))) = (
                    machine.nics.last_mut(),
                    ATTACHMENTS.iter().find(|(t, _)| *t == tag),
                ) {
                    card.kind = kind;
                    card.name = attr(element, "name").unwrap_or_default();
                }
            }
            "HardDisk" if stack.iter().any(|s| s == "MediaRegistry") => {
                let uuid = attr(element, "uuid")
                    .and_then(|u| parse_uuid(&u))
                    .ok_or_else(|| structure(path, "Invalid UUID in the media registry"))?;
                let location = attr(element, "location").unwrap_or_default();
                machine.disks.push(Disk {
                    uuid,
                    location: folder.join(location),
                    parent: disk_stack.last().copied(),
                });
                if !empty {
                    disk_stack.push(uuid);
                }
            }
            "Image" if stack.last().is_some_and(|s| s == "AttachedDevice") => {
                if let Some(uuid) = attr(element, "uuid").and_then(|u| parse_uuid(&u)) {
                    machine.attached.push(uuid);
                }
            }
            _ => {}
        }
        if !empty {
            stack.push(name);
        }
    }
    if machine.uuid.is_nil() {
        return Err(structure(
            path,
            "Machine settings file must contain a <Machine> element",
        ));
    }
    Ok(machine)
}

/// A UUID with or without braces.
pub fn parse_uuid(text: &str) -> Option<Uuid> {
    let inner = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(text);
    Uuid::try_parse(inner).ok()
}

fn attr(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.unescape_value().ok())
        .map(|v| v.into_owned())
}

fn xml_error(path: &Path, e: quick_xml::Error) -> Error {
    Error::failure(format!("Error in {} -- {e}.", path.display()))
}

fn structure(path: &Path, problem: &str) -> Error {
    Error::failure(format!("Error in {} -- {problem}.", path.display()))
}
