//! Reading what leovms needs from a `.vbox`.

use uuid::Uuid;

use super::scan::Doc;
use super::{HardDiskInfo, MachineInfo, VboxError};
use crate::vdi::parse_braced;

impl Doc<'_> {
    /// The `<Machine>` element under a `<VirtualBox>` root.
    pub(super) fn machine(&self) -> Result<usize, VboxError> {
        if self.elements[0].name != "VirtualBox" {
            return Err(VboxError::NotVirtualBox {
                found: self.elements[0].name.clone(),
            });
        }
        self.child(0, "Machine").ok_or(VboxError::NoMachine)
    }

    pub(super) fn required(
        &self,
        element: usize,
        attribute: &'static str,
    ) -> Result<String, VboxError> {
        self.attr(element, attribute)?
            .map(|v| v.into_owned())
            .ok_or_else(|| VboxError::MissingAttribute {
                line: self.line(self.elements[element].tag.start),
                element: self.elements[element].name.clone(),
                attribute,
            })
    }

    pub(super) fn uuid_attr(
        &self,
        element: usize,
        attribute: &'static str,
    ) -> Result<Option<Uuid>, VboxError> {
        let Some(value) = self.attr(element, attribute)? else {
            return Ok(None);
        };
        parse_braced(&value)
            .map(Some)
            .ok_or_else(|| VboxError::BadUuid {
                line: self.line(self.elements[element].tag.start),
                element: self.elements[element].name.clone(),
                attribute,
                value: value.into_owned(),
            })
    }

    pub(super) fn required_uuid(
        &self,
        element: usize,
        attribute: &'static str,
    ) -> Result<Uuid, VboxError> {
        self.required(element, attribute)?;
        self.uuid_attr(element, attribute)
            .map(|u| u.unwrap_or_default())
    }

    /// `<HardDisk>` elements of the machine's media registry (any depth).
    pub(super) fn hard_disks(&self, machine: usize) -> Vec<usize> {
        let Some(disks) = self
            .child(machine, "MediaRegistry")
            .and_then(|r| self.child(r, "HardDisks"))
        else {
            return Vec::new();
        };
        (disks + 1..self.elements.len())
            .filter(|&i| {
                self.elements[i].name == "HardDisk" && self.ancestors(i).any(|a| a == disks)
            })
            .collect()
    }

    /// `<Image>` references of hard disk attachments, in the current state and snapshots.
    pub(super) fn disk_images(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.elements.len()).filter(|&i| {
            self.elements[i].name == "Image"
                && self.elements[i]
                    .parent
                    .is_some_and(|p| self.elements[p].name == "AttachedDevice")
        })
    }

    /// Not inside a `<Snapshot>`.
    pub(super) fn in_current_state(&self, element: usize) -> bool {
        !self
            .ancestors(element)
            .any(|a| self.elements[a].name == "Snapshot")
    }
}

/// Read the machine's identity, disks and attachments.
pub fn inspect(xml: &[u8]) -> Result<MachineInfo, VboxError> {
    let doc = Doc::parse(xml)?;
    let machine = doc.machine()?;
    let mut hard_disks = Vec::new();
    for disk in doc.hard_disks(machine) {
        let parent = doc.elements[disk]
            .parent
            .filter(|&p| doc.elements[p].name == "HardDisk");
        hard_disks.push(HardDiskInfo {
            uuid: doc.required_uuid(disk, "uuid")?,
            location: doc.required(disk, "location")?,
            parent: match parent {
                Some(p) => Some(doc.required_uuid(p, "uuid")?),
                None => None,
            },
            format: doc
                .attr(disk, "format")?
                .map(|f| f.into_owned())
                .unwrap_or_default(),
        });
    }
    let mut attached = Vec::new();
    for image in doc.disk_images() {
        let device = doc.elements[image].parent.unwrap_or_default();
        let is_disk = doc.attr(device, "type")?.is_some_and(|t| t == "HardDisk");
        if is_disk && doc.in_current_state(image) {
            attached.push(doc.required_uuid(image, "uuid")?);
        }
    }
    Ok(MachineInfo {
        uuid: doc.required_uuid(machine, "uuid")?,
        name: doc.required(machine, "name")?,
        settings_version: doc.required(0, "version")?,
        state_file: doc.attr(machine, "stateFile")?.map(|s| s.into_owned()),
        current_snapshot: doc.uuid_attr(machine, "currentSnapshot")?,
        hard_disks,
        attached,
    })
}
