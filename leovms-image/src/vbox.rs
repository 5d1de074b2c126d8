//! VirtualBox settings: inspect and patch a machine's `.vbox`, write a minimal
//! `VirtualBox.xml`.
//!
//! Patching never re-serializes the document: it replaces the byte ranges of the attributes
//! and elements it changes and copies every other byte (declaration, comments, attribute
//! order, quoting, whitespace) unchanged. Files of settings 1.12..1.19 in both the current
//! and the old innotek namespace are handled; element names are matched without prefix.

mod diff;
mod global;
mod home;
mod inspect;
mod network;
mod patch;
mod scan;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use uuid::Uuid;

use crate::vdi::braced;

pub use crate::config::SharedFolder;
pub use diff::{NewDiff, add_diff};
pub use global::global_settings;
pub use home::{ChainLink, DiskChain, HomeError, OwnMachine, own_machines};
pub use inspect::inspect;
pub use network::{Attachment, Nic};
pub use patch::patch;

/// What leovms needs to know about a machine template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineInfo {
    pub uuid: Uuid,
    pub name: String,
    /// `VirtualBox/@version`, e.g. `1.19-linux`.
    pub settings_version: String,
    pub state_file: Option<String>,
    pub current_snapshot: Option<Uuid>,
    /// Every hard disk of the machine's media registry, parents before children.
    pub hard_disks: Vec<HardDiskInfo>,
    /// Images attached as hard disks in the current state (not in snapshots).
    pub attached: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HardDiskInfo {
    pub uuid: Uuid,
    /// As written in the file (relative to the machine folder or absolute).
    pub location: String,
    /// The enclosing `<HardDisk>`: the parent of a differencing disk.
    pub parent: Option<Uuid>,
    pub format: String,
}

/// Changes to make to a `.vbox`; `None`/empty parts leave the file as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patch {
    /// Current state `Hardware/Memory/@RAMSize`.
    pub ram_mb: Option<u32>,
    /// Replaces the current state's `<SharedFolders>` (created when missing); every folder
    /// writable and auto-mounted.
    pub shared_folders: Option<Vec<SharedFolder>>,
    /// The current state's network cards: exactly these are on, every other one is off.
    pub network: Option<Vec<Nic>>,
    pub disks: Vec<DiskPatch>,
    /// Drop `Machine/@stateFile` (a saved state we do not ship).
    pub clear_state_file: bool,
}

/// Give the hard disk `old_uuid` a new identity and location; attachments follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskPatch {
    pub old_uuid: Uuid,
    pub new_uuid: Uuid,
    /// Absolute path of the image.
    pub location: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VboxError {
    #[error("the settings file is not UTF-8 text (bad byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("XML syntax error at line {line} (byte {offset}): {message}")]
    Syntax {
        line: usize,
        offset: usize,
        message: String,
    },
    #[error("not a VirtualBox settings file: the root element is <{found}>, not <VirtualBox>")]
    NotVirtualBox { found: String },
    #[error("no <Machine> element")]
    NoMachine,
    #[error("no <Hardware> element in <Machine>")]
    NoHardware,
    #[error("line {line}: the machine's <Hardware> element is empty")]
    EmptyHardware { line: usize },
    #[error("Memory element missing in the machine's <Hardware>")]
    NoMemory,
    #[error("line {line}: <{element}> has no {attribute} attribute")]
    MissingAttribute {
        line: usize,
        element: String,
        attribute: &'static str,
    },
    #[error("line {line}: <{element}> has a bad UUID in {attribute}: \"{value}\"")]
    BadUuid {
        line: usize,
        element: String,
        attribute: &'static str,
        value: String,
    },
    #[error("the machine has no hard disk {} in its media registry", braced(.uuid))]
    UnknownDisk { uuid: Uuid },
    #[error("two changes touch the same place (line {line}); each disk may be patched once")]
    Overlap { line: usize },
    #[error("{what} cannot be written to a settings file: {reason}")]
    BadValue { what: String, reason: String },
}
