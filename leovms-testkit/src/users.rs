//! Real local users, for tests of what one user of a PC can do to another one's files.
//! Needs root: users are created with `useradd`, processes run under their uid.
//! Each user gets a group of the same name (`USERGROUPS_ENAB`); both stay on the machine.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::machine;

/// A local user of this machine.
#[derive(Debug, Clone)]
pub struct LocalUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl LocalUser {
    /// The user `name`, created (without a home: tests set `HOME`) when missing, under
    /// the machine-wide lock of [`machine`]. Users stay after the test, so that parallel
    /// and later runs can use them too. Ensure every user a test needs before it takes a
    /// [`machine::StateHold`] (see there).
    pub fn ensure(name: &str) -> io::Result<LocalUser> {
        let _hold = machine::ensure(
            &format!("local user {name}"),
            || Ok(lookup(name)?.is_some()),
            || machine::run_account_tool("useradd", &["-M", "-s", "/usr/sbin/nologin", name]),
        )?;
        lookup(name)?.ok_or_else(|| io::Error::other(format!("user {name} vanished")))
    }

    /// A command that runs as this user (primary group only) with nothing of the
    /// caller's environment but `PATH`, in `/`.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.uid(self.uid)
            .gid(self.gid)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("USER", &self.name)
            .env("LOGNAME", &self.name)
            .current_dir("/")
            .stdin(Stdio::null());
        cmd
    }

    /// Creates `dir` (and missing parents) and gives it to this user, mode 0700.
    pub fn own_dir(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::os::unix::fs::chown(dir, Some(self.uid), Some(self.gid))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
}

/// `getent passwd NAME`: `name:x:uid:gid:…`.
fn lookup(name: &str) -> io::Result<Option<LocalUser>> {
    let out = Command::new("getent")
        .args(["passwd", name])
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Ok(None);
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = line.trim().split(':').collect();
    let number = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad passwd entry: {line}")))
    };
    Ok(Some(LocalUser {
        name: name.to_owned(),
        uid: number(2)?,
        gid: number(3)?,
    }))
}
