//! Where things live on this PC for this user, from the share's leovms-vbox.conf
//! and the local overrides.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use leovms_image::config::expand_home;
use leovms_image::dirfd::{Dir, me};

use crate::catalog;
use crate::error::{Error, Result};
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
    /// `vbox_home` is this user's folder below a folder all users share.
    pub shared_vbox_parent: bool,
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
            per_user(raw, &home)
        });
        let shared_vbox_parent = settings.vbox_home.is_none()
            && conf.as_ref().is_some_and(|c| !c.vbox_home.starts_with('~'));
        Ok(Layout {
            data_dir: settings.data.clone(),
            machines_dir,
            vbox_home,
            shared_vbox_parent,
        })
    }

    /// Makes sure this user's VirtualBox home is its own before anything is written
    /// there: below a folder all users share, `<folder>/<uid>` is created for this user
    /// only (mode 0700), and a name another user took first or a folder others could
    /// swap is refused.
    pub fn prepare_vbox_home(&self) -> Result<()> {
        let Some(shared) = self.vbox_home.parent().filter(|_| self.shared_vbox_parent) else {
            return Ok(());
        };
        let refuse = |why: String| {
            Error::config(format!(
                "The VirtualBox folder {} cannot be used safely: {why}. Ask the admin to create {} as root with mode 1777.",
                self.vbox_home.display(),
                shared.display()
            ))
        };
        let (parent, _) = Dir::open_or_create(shared, 0o1777).map_err(|e| refuse(e.to_string()))?;
        trust::check_folder(shared).map_err(refuse)?;
        let name = self.vbox_home.file_name().unwrap_or_default();
        let (mine, _) = parent
            .create_sub(name, 0o700)
            .map_err(|e| refuse(e.to_string()))?;
        let meta = mine.meta().map_err(|e| refuse(e.to_string()))?;
        if meta.uid != me() || meta.mode & 0o022 != 0 {
            return Err(refuse(format!(
                "{} belongs to another user or others may write to it",
                self.vbox_home.display()
            )));
        }
        Ok(())
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

/// `vbox_home` of leovms-vbox.conf for this user: below the home as given, or, for an
/// absolute folder (e.g. on a local disk of PCs with network homes), this user's own
/// folder `<folder>/<uid>` in it: a VirtualBox home is never shared between users.
fn per_user(raw: &str, home: &Path) -> PathBuf {
    if raw == "~" || raw.starts_with("~/") {
        expand_home(raw, home)
    } else {
        PathBuf::from(raw).join(me().to_string())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn layout(vbox_home: PathBuf) -> Layout {
        Layout {
            data_dir: PathBuf::from("/nonexistent"),
            machines_dir: PathBuf::from("/nonexistent"),
            vbox_home,
            shared_vbox_parent: true,
        }
    }

    #[test]
    fn an_absolute_vbox_home_gets_a_folder_per_user() {
        let home = Path::new("/home/anna");
        assert_eq!(per_user("~/.leovms", home), home.join(".leovms"));
        let own = per_user("/var/tmp/leovms", home);
        assert_eq!(own, Path::new("/var/tmp/leovms").join(me().to_string()));
    }

    #[test]
    fn a_vbox_home_another_user_took_first_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let shared = tmp.path().join("vbox");
        let mine = layout(shared.join(me().to_string()));
        mine.prepare_vbox_home().unwrap();
        let mode = std::fs::metadata(&shared).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o1777);
        let mode = std::fs::metadata(&mine.vbox_home)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o700);
        mine.prepare_vbox_home().unwrap();
        // Someone else's folder (or link) under this user's name.
        std::fs::remove_dir(&mine.vbox_home).unwrap();
        std::fs::create_dir(&mine.vbox_home).unwrap();
        std::os::unix::fs::chown(&mine.vbox_home, Some(me() + 4242), None).unwrap_or(());
        std::fs::set_permissions(&mine.vbox_home, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = mine.prepare_vbox_home().unwrap_err();
        assert!(e.message.contains("cannot be used safely"), "{}", e.message);
        std::fs::remove_dir(&mine.vbox_home).unwrap();
        std::os::unix::fs::symlink(tmp.path(), &mine.vbox_home).unwrap();
        assert!(mine.prepare_vbox_home().is_err());
    }
}
