//! A real Samba server on 127.0.0.1 and real SMB client mounts (smbnetfs, FUSE), for
//! tests of what leovms does when the share is there, hangs or goes away.
//!
//! smbnetfs only talks to port 445, so one smbd at a time can run on the machine:
//! [`Samba::start`] waits for an exclusive lock that the value holds until it is dropped.
//! The users and the group are machine-wide state: made under the lock of
//! [`crate::machine`], which the value also holds (shared) until it is dropped.
//! Needs root (users, port 445, FUSE); see [`samba_available`].

use std::fs::File;
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use rustix::process::{Pid, Signal};
use tempfile::TempDir;

use crate::machine::{self, StateHold};
use crate::tools::find_in_path;

mod smbnetfs;
mod util;

pub use smbnetfs::SmbMount;
use util::{
    in_group, kill_helpers, parse_pid, run, run_with_input, set_mode, smb_conf, take_lock,
    wait_gone, wait_until,
};

/// Machine-wide: parallel tests (and test binaries) queue here for port 445.
const LOCK_FILE: &str = "/tmp/leovms-test-smbd.lock";
/// The group whose members may write to `leovms-upload`.
pub const UPLOAD_GROUP: &str = "p_leovms";
/// A teacher: member of [`UPLOAD_GROUP`].
pub const TEACHER: SmbUser = SmbUser {
    name: "teach1",
    password: "pw1",
};
/// A student: may read `leovms-data` only.
pub const STUDENT: SmbUser = SmbUser {
    name: "stud1",
    password: "pw2",
};

const TOOLS: [&str; 11] = [
    "smbd",
    "smbclient",
    "smbpasswd",
    "testparm",
    "smbnetfs",
    "fusermount",
    "useradd",
    "groupadd",
    "usermod",
    "gpasswd",
    "getent",
];

/// A local user that is also a Samba user.
#[derive(Debug, Clone, Copy)]
pub struct SmbUser {
    pub name: &'static str,
    pub password: &'static str,
}

/// Whether Samba tests can run here (root, the tools, `/dev/fuse`). When not, prints a
/// visible skip reason and returns false; under CI (`CI=true`) a skip is a failure.
pub fn samba_available() -> bool {
    let mut missing: Vec<String> = TOOLS
        .iter()
        .filter(|t| find_in_path(t).is_none())
        .map(|t| t.to_string())
        .collect();
    if !rustix::process::geteuid().is_root() {
        missing.push("root".into());
    }
    if !Path::new("/dev/fuse").exists() {
        missing.push("/dev/fuse".into());
    }
    if missing.is_empty() {
        return true;
    }
    let what = missing.join(", ");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("Samba tests are required under CI but need: {what}");
    }
    eprintln!("SKIPPED: Samba tests need {what} (apt-get install samba smbclient smbnetfs)");
    false
}

/// Makes sure [`UPLOAD_GROUP`] exists, [`TEACHER`] is a local user in it and [`STUDENT`]
/// a local user not in it, whatever was there before (root only), and returns a hold
/// that keeps it so until dropped. [`Samba::start`] does it too; ensuring again while
/// holding is fine (see [`crate::machine`]).
pub fn ensure_users() -> io::Result<StateHold> {
    machine::ensure("the Samba test users", users_ready, make_users)
}

/// Whether the group exists with the teacher in it and the student not.
fn users_ready() -> io::Result<bool> {
    let group = Command::new("getent")
        .args(["group", UPLOAD_GROUP])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()?
        .success();
    Ok(group
        && in_group(TEACHER.name, UPLOAD_GROUP)? == Some(true)
        && in_group(STUDENT.name, UPLOAD_GROUP)? == Some(false))
}

/// Adds what is missing: the group, the users (no home, no login shell), the teacher's
/// membership; takes the student out of the group.
fn make_users() -> io::Result<()> {
    machine::run_account_tool("groupadd", &["-f", UPLOAD_GROUP])?;
    let nologin = ["-M", "-s", "/usr/sbin/nologin"];
    match in_group(TEACHER.name, UPLOAD_GROUP)? {
        None => {
            let mut args = nologin.to_vec();
            args.extend(["-G", UPLOAD_GROUP, TEACHER.name]);
            machine::run_account_tool("useradd", &args)?;
        }
        Some(false) => {
            machine::run_account_tool("usermod", &["-a", "-G", UPLOAD_GROUP, TEACHER.name])?
        }
        Some(true) => {}
    }
    match in_group(STUDENT.name, UPLOAD_GROUP)? {
        None => {
            let mut args = nologin.to_vec();
            args.push(STUDENT.name);
            machine::run_account_tool("useradd", &args)?;
        }
        Some(true) => machine::run_account_tool("gpasswd", &["-d", STUDENT.name, UPLOAD_GROUP])?,
        Some(false) => {}
    }
    Ok(())
}

/// An smbd of its own, with the shares `leovms-data` (read-only) and `leovms-upload`
/// (writable by [`UPLOAD_GROUP`]). Stopped when dropped.
#[derive(Debug)]
pub struct Samba {
    dir: TempDir,
    lock: File,
    pid: Option<Pid>,
    /// The users stay as [`ensure_users`] made them while smbd serves them.
    _users: StateHold,
}

impl Samba {
    /// Creates the users if missing, writes the configuration, starts smbd and waits
    /// (bounded) until it answers. Blocks while another test's smbd runs.
    pub fn start() -> io::Result<Samba> {
        Samba::start_with_shares(None)
    }

    /// Like [`Samba::start`], but with `shares` instead of the default shares after the
    /// test's own global section: share sections, or a global `include = FILE` line (for
    /// a configuration written by the program under test).
    pub fn start_with_shares(shares: Option<&str>) -> io::Result<Samba> {
        // The machine lock before the smbd lock, in every test (see crate::machine).
        let users = ensure_users()?;
        let lock = take_lock()?;
        let dir = tempfile::Builder::new().prefix("leovms-smb.").tempdir()?;
        let root = dir.path();
        // Share users must be able to enter it; tempdir makes it 0700.
        set_mode(root, 0o755)?;
        for sub in [
            "data", "upload", "run", "lock", "state", "cache", "priv", "log", "ncalrpc",
        ] {
            std::fs::create_dir(root.join(sub))?;
        }
        set_mode(&root.join("data"), 0o755)?;
        run(Command::new("chgrp")
            .arg(UPLOAD_GROUP)
            .arg(root.join("upload")))?;
        set_mode(&root.join("upload"), 0o2770)?;
        let conf = root.join("smb.conf");
        std::fs::write(&conf, smb_conf(root, shares))?;
        run(Command::new("testparm").arg("-s").arg(&conf))?;
        for user in [TEACHER, STUDENT] {
            let pw = format!("{0}\n{0}\n", user.password);
            let mut cmd = Command::new("smbpasswd");
            cmd.arg("-c").arg(&conf).args(["-s", "-a", user.name]);
            run_with_input(&mut cmd, &pw)?;
        }
        let mut samba = Samba {
            dir,
            lock,
            pid: None,
            _users: users,
        };
        run(Command::new("smbd").arg("-s").arg(&conf).arg("-D"))?;
        samba.pid = Some(samba.wait_for_pid()?);
        samba.record_pid()?;
        samba.wait_until_answering()?;
        Ok(samba)
    }

    /// The folder served as `leovms-data`.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The folder served as `leovms-upload`.
    pub fn upload_dir(&self) -> PathBuf {
        self.dir.path().join("upload")
    }

    /// The generated `smb.conf`; SMB clients read their options from it too.
    pub fn conf(&self) -> PathBuf {
        self.dir.path().join("smb.conf")
    }

    /// Freezes smbd and its children (SIGSTOP): connections stay open but nothing
    /// answers, as with a server that hangs or a network that drops packets.
    pub fn pause(&self) -> io::Result<()> {
        self.signal(Signal::STOP)
    }

    /// Undoes [`Samba::pause`].
    pub fn resume(&self) -> io::Result<()> {
        self.signal(Signal::CONT)
    }

    /// Kills smbd and its children ("the server went away") and waits until they are
    /// gone (bounded). Doing it twice is harmless.
    pub fn stop(&mut self) -> io::Result<()> {
        let Some(pid) = self.pid.take() else {
            return Ok(());
        };
        // A paused group would hold SIGTERM pending; SIGCONT first.
        let _ = rustix::process::kill_process_group(pid, Signal::CONT);
        let _ = rustix::process::kill_process_group(pid, Signal::TERM);
        if !wait_gone(pid, Duration::from_secs(5)) {
            let _ = rustix::process::kill_process_group(pid, Signal::KILL);
            wait_gone(pid, Duration::from_secs(5));
        }
        // smbd starts its RPC helpers (samba-dcerpcd, rpcd_*) in a session of their own.
        kill_helpers(&format!("--configfile={}", self.conf().display()));
        self.lock.set_len(0)?;
        Ok(())
    }

    fn signal(&self, signal: Signal) -> io::Result<()> {
        let pid = self
            .pid
            .ok_or_else(|| io::Error::other("smbd is not running"))?;
        // smbd -D starts a session of its own, so its pid is the group of all its workers.
        rustix::process::kill_process_group(pid, signal)?;
        Ok(())
    }

    fn wait_for_pid(&self) -> io::Result<Pid> {
        let file = self.dir.path().join("run/smbd.pid");
        let mut last_error = String::new();
        if wait_until(Duration::from_secs(10), || {
            match std::fs::read_to_string(&file) {
                Ok(text) => parse_pid(&text).is_some(),
                Err(e) => {
                    last_error = e.to_string();
                    false
                }
            }
        }) {
            let text = std::fs::read_to_string(&file)?;
            return parse_pid(&text).ok_or_else(|| io::Error::other("bad smbd pid file"));
        }
        Err(io::Error::other(format!(
            "smbd wrote no pid file {} ({last_error}); see {}",
            file.display(),
            self.dir.path().join("log").display()
        )))
    }

    fn wait_until_answering(&self) -> io::Result<()> {
        let conf = self.conf();
        let answers = || {
            Command::new("smbclient")
                .arg("-s")
                .arg(&conf)
                .args(["-L", "127.0.0.1", "-N", "-g"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if wait_until(Duration::from_secs(10), answers) {
            return Ok(());
        }
        Err(io::Error::other("smbd does not answer on 127.0.0.1:445"))
    }

    /// Leaves the pid in the lock file, so the next test can end an smbd that a killed
    /// test run left behind (it would hold port 445).
    fn record_pid(&mut self) -> io::Result<()> {
        let pid = self.pid.map_or(0, |p| p.as_raw_nonzero().get());
        self.lock.set_len(0)?;
        self.lock.rewind()?;
        write!(self.lock, "{pid}")?;
        self.lock.sync_data()
    }
}

impl Drop for Samba {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_serves_and_stops() {
        if !samba_available() {
            return;
        }
        let mut samba = Samba::start().expect("start smbd");
        std::fs::write(samba.data_dir().join("hello.txt"), "hi").unwrap();
        let mount = SmbMount::mount(&samba, STUDENT).expect("mount with smbnetfs");
        let text = std::fs::read_to_string(mount.share_path("leovms-data").join("hello.txt"));
        assert_eq!(text.unwrap(), "hi");
        drop(mount);
        samba.stop().expect("stop smbd");
        let gone = Command::new("smbclient")
            .arg("-s")
            .arg(samba.conf())
            .args(["-L", "127.0.0.1", "-N", "-g"])
            .output()
            .unwrap();
        assert!(!gone.status.success(), "smbd still answers after stop");
    }
}
