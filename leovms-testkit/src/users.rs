//! Real local users, for tests of what one user of a PC can do to another one's files.
//! Needs root: users are created with `useradd`, processes run under their uid.

use std::fs::File;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Machine-wide: parallel test binaries create users one at a time.
const LOCK_FILE: &str = "/tmp/leovms-test-users.lock";

/// A local user of this machine.
#[derive(Debug, Clone)]
pub struct LocalUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl LocalUser {
    /// The user `name`, created (without a home: tests set `HOME`) when missing.
    /// Users stay after the test, so that parallel and later runs can use them too.
    pub fn ensure(name: &str) -> io::Result<LocalUser> {
        if let Some(user) = lookup(name)? {
            return Ok(user);
        }
        let lock = File::create(LOCK_FILE)?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)?;
        // Other tools (e.g. the Samba kit) may hold /etc/passwd for a moment: retry.
        let mut last = String::new();
        for _ in 0..50 {
            if let Some(user) = lookup(name)? {
                return Ok(user);
            }
            let out = Command::new("useradd")
                .args(["-M", "-s", "/usr/sbin/nologin", name])
                .stdin(Stdio::null())
                .output()?;
            last = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(io::Error::other(format!("useradd {name} failed: {last}")))
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
