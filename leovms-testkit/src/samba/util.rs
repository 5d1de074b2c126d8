//! Helpers of the Samba test kit: the machine-wide lock, the configuration, running
//! tools and waiting for external processes.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rustix::process::{Pid, Signal};

use super::{LOCK_FILE, UPLOAD_GROUP};
pub(super) use crate::tools::wait_until;

/// Whether the local user `name` is in `group` (as primary or supplementary group);
/// `None` when there is no such user.
pub(super) fn in_group(name: &str, group: &str) -> io::Result<Option<bool>> {
    let out = Command::new("id")
        .args(["-nG", name])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Ok(None);
    }
    let groups = String::from_utf8_lossy(&out.stdout);
    Ok(Some(groups.split_whitespace().any(|g| g == group)))
}

pub(super) fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

pub(super) fn run(cmd: &mut Command) -> io::Result<()> {
    let out = cmd.stdin(Stdio::null()).output()?;
    check(cmd, &out)
}

pub(super) fn run_with_input(cmd: &mut Command, input: &str) -> io::Result<()> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())?;
    let out = child.wait_with_output()?;
    check(cmd, &out)
}

pub(super) fn check(cmd: &Command, out: &std::process::Output) -> io::Result<()> {
    if out.status.success() {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

pub(super) fn parse_pid(text: &str) -> Option<Pid> {
    Pid::from_raw(text.trim().parse().ok()?)
}

/// Whether the process is gone. Nobody may reap a daemonised smbd here (pid 1 of a
/// container often does not), so a zombie counts as gone.
pub(super) fn is_gone(pid: Pid) -> bool {
    match std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero())) {
        Err(_) => true,
        // The state follows the command name in parentheses, which may contain spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

/// Kills (SIGKILL) every process with an argument `--configfile=…` containing `needle`.
pub(super) fn kill_helpers(needle: &str) {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in procs.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let ours = cmdline.split(|&b| b == 0).any(|arg| {
            let arg = String::from_utf8_lossy(arg);
            arg.starts_with("--configfile=") && arg.contains(needle)
        });
        if let (true, Some(pid)) = (ours, Pid::from_raw(pid)) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            wait_gone(pid, Duration::from_secs(5));
        }
    }
}

pub(super) fn wait_gone(pid: Pid, limit: Duration) -> bool {
    wait_until(limit, || is_gone(pid))
}

/// Takes the machine-wide lock and ends an smbd left over from a killed run.
pub(super) fn take_lock() -> io::Result<File> {
    let mut lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(LOCK_FILE)?;
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)?;
    let mut text = String::new();
    lock.read_to_string(&mut text)?;
    if let Some(pid) = parse_pid(&text) {
        let comm = std::fs::read_to_string(format!("/proc/{}/comm", pid.as_raw_nonzero()));
        if comm.is_ok_and(|c| c.trim() == "smbd") {
            let _ = rustix::process::kill_process_group(pid, Signal::CONT);
            let _ = rustix::process::kill_process_group(pid, Signal::KILL);
            wait_gone(pid, Duration::from_secs(5));
        }
    }
    // Any helper of a test smbd still alive now was left behind: we hold the lock.
    kill_helpers("/leovms-smb.");
    lock.set_len(0)?;
    Ok(lock)
}

/// The test smbd's configuration: its own global section, then `shares` (the default
/// shares when `None`).
pub(super) fn smb_conf(root: &Path, shares: Option<&str>) -> String {
    let mut conf = global_section(root);
    conf.push_str(&shares.map_or_else(|| default_shares(root), str::to_string));
    conf
}

fn global_section(root: &Path) -> String {
    let r = root.display();
    format!(
        "[global]
  workgroup = TEST
  server role = standalone server
  map to guest = never
  # port 445: smbnetfs (libsmbclient) connects nowhere else
  smb ports = 445
  interfaces = lo
  bind interfaces only = yes
  pid directory = {r}/run
  lock directory = {r}/lock
  state directory = {r}/state
  cache directory = {r}/cache
  private dir = {r}/priv
  # Its own RPC sockets: with the default /run/samba/ncalrpc, smbd would talk to the RPC
  # helpers (samba-dcerpcd) of another instance and share listings would time out.
  ncalrpc dir = {r}/ncalrpc
  log file = {r}/log/log.%m
  disable spoolss = yes
  load printers = no
"
    )
}

fn default_shares(root: &Path) -> String {
    let r = root.display();
    format!(
        "[leovms-data]
  path = {r}/data
  read only = yes
[leovms-upload]
  path = {r}/upload
  read only = no
  valid users = @{UPLOAD_GROUP}
  force group = {UPLOAD_GROUP}
  create mask = 0660
  directory mask = 2770
"
    )
}
