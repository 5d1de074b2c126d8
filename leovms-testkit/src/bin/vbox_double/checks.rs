//! What VirtualBox verifies before it powers a machine up, with its messages
//! (MediumImpl.cpp i_queryInfo, MachineImpl.cpp i_loadStorageDevices, SessionMachine locking).

use leovms_image::vdi;

use crate::home::Home;
use crate::machine::Machine;
use crate::{Error, running};

pub fn check_startable(home: &Home, machine: &Machine) -> Result<(), Error> {
    for uuid in &machine.attached {
        if !machine.disks.iter().any(|d| d.uuid == *uuid) {
            return Err(Error::failure(format!(
                "Could not find an open hard disk with UUID {{{uuid}}}"
            )));
        }
    }
    if running::running_pid(&home.dir, &machine.uuid).is_some() {
        return Err(already_locked(machine));
    }
    let registry = machine.path.display();
    for disk in &machine.disks {
        let location = disk.location.display();
        let header = match vdi::read_header(&disk.location) {
            Ok(header) => header,
            Err(e) => {
                let status = if disk.location.exists() {
                    "VERR_VD_VDI_INVALID_HEADER"
                } else {
                    "VERR_FILE_NOT_FOUND"
                };
                return Err(Error::failure(format!(
                    "Could not open the medium '{location}'.\nVD: error {status} opening image \
                     file '{location}' ({status}): {e}"
                )));
            }
        };
        if header.uuid != disk.uuid {
            return Err(Error::failure(format!(
                "UUID {{{}}} of the medium '{location}' does not match the value {{{}}} stored \
                 in the media registry ('{registry}')",
                header.uuid, disk.uuid
            )));
        }
        if let Some(parent) = disk.parent
            && header.parent != Some(parent)
        {
            return Err(Error::failure(format!(
                "Parent UUID {{{}}} of the medium '{location}' does not match UUID {{{parent}}} \
                 of its parent medium stored in the media registry ('{registry}')",
                header.parent.unwrap_or_default()
            )));
        }
    }
    Ok(())
}

pub fn already_locked(machine: &Machine) -> Error {
    Error::failure(format!(
        "The machine '{}' is already locked by a session (or being locked or unlocked)",
        machine.name
    ))
}
