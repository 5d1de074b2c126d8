//! Ending what a killed test run left behind: a test process killed outright (SIGKILL,
//! timeout) never drops its [`super::Cups`], so its cupsd would keep running. Each
//! cupsd folder names the test process that started it; a cupsd of ours whose test
//! process is gone is ended and its folder removed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::process::{Pid, Signal};

use super::conf::{CUPSD_CONF, OWNER};
use super::wait_until;

/// The prefix of every private cupsd folder.
pub(super) const DIR_PREFIX: &str = "leovms-cups.";

/// Ends every cupsd started from a folder `<temp dir>/leovms-cups.*` whose test process
/// no longer runs, and removes that folder. Best effort: what cannot be read is left alone.
pub(super) fn end_orphans() {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse().ok())
            .and_then(Pid::from_raw)
        else {
            continue;
        };
        let Some(dir) = orphan_folder(&entry.path()) else {
            continue;
        };
        let _ = rustix::process::kill_process(pid, Signal::TERM);
        if !wait_until(Duration::from_secs(5), || is_gone(pid)) {
            let _ = rustix::process::kill_process(pid, Signal::KILL);
            wait_until(Duration::from_secs(5), || is_gone(pid));
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The folder of the process at `proc` when it is a cupsd of ours whose owner is gone.
fn orphan_folder(proc: &Path) -> Option<PathBuf> {
    let cmdline = std::fs::read(proc.join("cmdline")).ok()?;
    let mut args = cmdline.split(|&b| b == 0).map(String::from_utf8_lossy);
    if !args.next()?.ends_with("cupsd") {
        return None;
    }
    let conf = PathBuf::from(args.skip_while(|a| a != "-c").nth(1)?.into_owned());
    let dir = conf.parent()?;
    let ours = conf.file_name()? == CUPSD_CONF
        && dir.parent()? == std::env::temp_dir()
        && dir.file_name()?.to_str()?.starts_with(DIR_PREFIX);
    let owner = std::fs::read_to_string(dir.join(OWNER)).ok()?;
    let owner = Pid::from_raw(owner.trim().parse().ok()?)?;
    (ours && is_gone(owner)).then(|| dir.to_path_buf())
}

/// Whether the process is gone; a zombie counts as gone (its parent may never reap it).
fn is_gone(pid: Pid) -> bool {
    match std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero())) {
        Err(_) => true,
        // The state follows the command name in parentheses, which may contain spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}
