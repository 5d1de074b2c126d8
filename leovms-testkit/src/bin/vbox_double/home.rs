//! `VBOX_USER_HOME` and finding machines in it the way VBoxSVC's FindMachine does.

use std::path::{Path, PathBuf};

use crate::Error;
use crate::machine::{self, Machine, parse_uuid};

pub struct Home {
    pub dir: PathBuf,
}

/// A registered machine; `machine` is the load error when its file is unreadable.
pub struct Entry {
    pub uuid: uuid::Uuid,
    pub src: PathBuf,
    pub machine: Result<Machine, Error>,
}

impl Home {
    pub fn from_env() -> Home {
        let dir = match std::env::var_os("VBOX_USER_HOME") {
            Some(dir) => PathBuf::from(dir),
            None => {
                let home = std::env::var_os("HOME").unwrap_or_else(|| "/".into());
                Path::new(&home).join(".config").join("VirtualBox")
            }
        };
        Home { dir }
    }

    pub fn entries(&self) -> Result<Vec<Entry>, Error> {
        Ok(machine::machine_entries(&self.dir)?
            .into_iter()
            .map(|(uuid, src)| {
                let machine = machine::load(&src);
                Entry { uuid, src, machine }
            })
            .collect())
    }

    /// VM = name, UUID (with or without braces) or settings file path.
    pub fn find(&self, vm: &str) -> Result<Machine, Error> {
        let entries = self.entries()?;
        if let Some(uuid) = parse_uuid(vm) {
            return match entries.into_iter().find(|e| e.uuid == uuid) {
                Some(entry) => entry.machine,
                None => Err(Error::failure(format!(
                    "Could not find a registered machine with UUID {{{uuid}}}"
                ))),
            };
        }
        let by_path = std::fs::canonicalize(vm).ok();
        let found = entries.into_iter().find(|e| match &e.machine {
            Ok(m) => {
                m.name == vm || by_path.is_some() && std::fs::canonicalize(&e.src).ok() == by_path
            }
            Err(_) => false,
        });
        match found {
            Some(entry) => entry.machine,
            None => Err(Error::failure(format!(
                "Could not find a registered machine named '{vm}'"
            ))),
        }
    }
}
