//! Local settings of one daemon: where the share is mounted and where this user's
//! files go. The share's `leovms-vbox.conf` decides the rest; the environment may
//! override it for tests and for admins trying things out.

use std::path::PathBuf;

use clap::Parser;

/// Where `leovms-data` is mounted when nothing else is said.
pub const DEFAULT_DATA_DIR: &str = "/media/leovms/data";

#[derive(Debug, Clone, Parser)]
#[command(
    name = "leovmsd",
    version,
    about = "leovms per-user daemon (D-Bus session service)"
)]
pub struct Settings {
    /// Folder of the share `leovms-data` (the mount point).
    #[arg(long, env = "LEOVMS_DATA", default_value = DEFAULT_DATA_DIR)]
    pub data: PathBuf,
    /// Folder of the share `leovms-upload` (the mount point).
    #[arg(long, env = "LEOVMS_UPLOAD", default_value = crate::mount::DEFAULT_UPLOAD_DIR)]
    pub upload: PathBuf,
    /// Overrides `machines_dir` of the share's leovms-vbox.conf.
    #[arg(long, env = "LEOVMS_MACHINES_DIR")]
    pub machines_dir: Option<PathBuf>,
    /// Overrides `vbox_home` of the share's leovms-vbox.conf (this user's VBOX_USER_HOME).
    #[arg(long, env = "LEOVMS_VBOX_HOME")]
    pub vbox_home: Option<PathBuf>,
    /// Folder holding VBoxManage and VirtualBoxVM; default: VBoxManage from PATH.
    #[arg(long, env = "LEOVMS_VBOX_DIR")]
    pub vbox_dir: Option<PathBuf>,
    /// Where the daemon keeps its own state (running VMs); default ~/.local/state/leovms.
    #[arg(long, env = "LEOVMS_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// A copy from the share fails when the share gives no data for this many seconds.
    #[arg(long, env = "LEOVMS_STALL_SECS", default_value_t = 30)]
    pub stall_secs: u64,
    /// Exit after this many seconds without calls, jobs or running VMs; D-Bus activation
    /// starts the daemon again on the next call. 0: never exit when idle.
    #[arg(long, env = "LEOVMS_IDLE_EXIT_SECS", default_value_t = 300)]
    pub idle_exit_secs: u64,
    /// This PC's host name for the access rules; default: the kernel's node name.
    #[arg(long, env = "LEOVMS_HOST")]
    pub host: Option<String>,
    /// This PC's room for the access rules; default: the primary group of the PC's
    /// computer account (as leoclient2).
    #[arg(long, env = "LEOVMS_ROOM")]
    pub room: Option<String>,
    /// Whether bases go to the PC's store service (`org.leovms.Store1` on the system
    /// bus) when there is one; `off` keeps every base in this user's own copy.
    #[arg(long, env = "LEOVMS_STORE", default_value = "auto", value_parser = ["auto", "off"])]
    pub store: String,
    /// Finished jobs stay listable for this many seconds.
    #[arg(long, default_value_t = 600)]
    pub keep_finished_secs: u64,
}

impl Settings {
    pub fn idle_exit(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.idle_exit_secs)
    }

    pub fn stall(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.stall_secs.max(1))
    }

    /// The user's real home; leovms never changes it, VirtualBox gets its own home instead.
    pub fn home() -> PathBuf {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/"))
    }

    pub fn state_dir(&self) -> PathBuf {
        if let Some(dir) = &self.state_dir {
            return dir.clone();
        }
        match std::env::var_os("XDG_STATE_HOME") {
            Some(s) if !s.is_empty() => PathBuf::from(s).join("leovms"),
            _ => Self::home().join(".local/state/leovms"),
        }
    }
}
