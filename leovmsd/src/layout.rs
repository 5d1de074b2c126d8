//! Where things live on this PC for this user, from the share's leovms-vbox.conf
//! and the local overrides.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use leovms_image::config::expand_home;

use crate::catalog;
use crate::error::Result;
use crate::offline::Offline;
use crate::settings::Settings;
use crate::trust;

/// The working copy's own note of what it was made from (for "as found").
pub const COPY_NOTE: &str = "leovms-copy.toml";

#[derive(Debug, Clone)]
pub struct Layout {
    pub data_dir: PathBuf,
    pub machines_dir: PathBuf,
    pub vbox_home: PathBuf,
}

impl Layout {
    /// Reads the share's settings when it is reachable (else this user's copy of them
    /// from the last online use); local overrides win.
    pub fn load(settings: &Settings, online: bool) -> Result<Layout> {
        let home = Settings::home();
        let copy = Offline::new(&settings.state_dir()).root;
        let from_share = online.then(|| catalog::load_vbox_conf(&settings.data));
        let conf = match from_share {
            Some(Ok(c)) => Some(c),
            Some(Err(e)) if e.kind == leovms_api::ErrorKind::InvalidConfig => return Err(e),
            _ => catalog::load_vbox_conf(&copy).ok(),
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

    /// Where the base with this content hash is (or goes) for this user: the shared
    /// folder when this user can trust it (root or this user made it), else this user's
    /// own `.u<uid>` folder. See `trust` for why another user's copy is never used.
    pub fn base_dir(&self, vm: &str, short_hash: &str) -> PathBuf {
        let shared = self.vm_machines_dir(vm).join(short_hash);
        let trusted = if shared.exists() {
            trust::check_path(&shared)
        } else {
            trust::check_folder(&self.vm_machines_dir(vm))
        };
        match trusted {
            Ok(()) => shared,
            Err(why) => {
                tracing::debug!("not using {}: {why}", shared.display());
                self.own_machines_dir().join(vm).join(short_hash)
            }
        }
    }

    /// This user's own folder for bases: inside the machines folder, unless someone else
    /// took its name there (or the folder is not safe); then in this user's VirtualBox home.
    pub fn own_machines_dir(&self) -> PathBuf {
        let uid = rustix::process::geteuid().as_raw();
        let dir = self.machines_dir.join(format!(".u{uid}"));
        let mine = std::fs::symlink_metadata(&dir).map_or(true, |m| m.is_dir() && m.uid() == uid);
        if mine && trust::check_folder(&self.machines_dir).is_ok() {
            dir
        } else {
            self.vbox_home.join("Bases")
        }
    }

    /// Whether the base is unpacked and may be used by this user.
    pub fn base_ready(&self, vm: &str, short_hash: &str) -> bool {
        let dir = self.base_dir(vm, short_hash);
        dir.is_dir() && trust::check_path(&dir).is_ok()
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
