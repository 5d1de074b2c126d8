//! Where things live on this PC for this user, from the share's leovms-vbox.conf
//! and the local overrides.

use std::path::{Path, PathBuf};

use leovms_image::config::expand_home;

use crate::catalog;
use crate::error::Result;
use crate::settings::Settings;

/// The working copy's own note of what it was made from (for "as found").
pub const COPY_NOTE: &str = "leovms-copy.toml";

#[derive(Debug, Clone)]
pub struct Layout {
    pub data_dir: PathBuf,
    pub machines_dir: PathBuf,
    pub vbox_home: PathBuf,
}

impl Layout {
    /// Reads the share's settings when it is reachable; local overrides win.
    pub fn load(settings: &Settings) -> Result<Layout> {
        let home = Settings::home();
        let conf = match catalog::load_vbox_conf(&settings.data) {
            Ok(c) => Some(c),
            Err(e) if e.kind == leovms_api::ErrorKind::InvalidConfig => return Err(e),
            Err(_) => None,
        };
        let machines_dir = settings
            .machines_dir
            .clone()
            .or_else(|| conf.as_ref().map(|c| c.machines_dir.clone()))
            .unwrap_or_else(|| PathBuf::from("/var/lib/leovms/machines"));
        let vbox_home = settings.vbox_home.clone().unwrap_or_else(|| {
            let raw = conf.as_ref().map_or("~/.leovms", |c| c.vbox_home.as_str());
            expand_home(raw, &home)
        });
        Ok(Layout {
            data_dir: settings.data.clone(),
            machines_dir,
            vbox_home,
        })
    }

    /// Unpacked bases of one VM, one folder per content hash.
    pub fn vm_machines_dir(&self, vm: &str) -> PathBuf {
        self.machines_dir.join(vm)
    }

    pub fn base_dir(&self, vm: &str, short_hash: &str) -> PathBuf {
        self.vm_machines_dir(vm).join(short_hash)
    }

    /// This user's working copy of a VM.
    pub fn work_dir(&self, vm: &str) -> PathBuf {
        self.vbox_home.join("Machines").join(vm)
    }

    pub fn settings_file(&self, vm: &str) -> PathBuf {
        self.work_dir(vm).join(format!("{vm}.vbox"))
    }
}

/// What a working copy was made from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CopyNote {
    pub snapshot: String,
    pub base_hash: String,
}

impl CopyNote {
    pub fn read(work_dir: &Path) -> Option<CopyNote> {
        let text = std::fs::read_to_string(work_dir.join(COPY_NOTE)).ok()?;
        toml::from_str(&text).ok()
    }
}
