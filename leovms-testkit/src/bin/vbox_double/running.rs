//! Running VMs: `$VBOX_USER_HOME/leovms-double/running/<uuid>` holds the frontend's pid.
//! A file whose process is gone is a crashed VM and counts as not running.

use std::io;
use std::path::{Path, PathBuf};

use rustix::process::{Pid, Signal};
use uuid::Uuid;

fn dir(home: &Path) -> PathBuf {
    home.join("leovms-double").join("running")
}

pub fn file(home: &Path, uuid: &Uuid) -> PathBuf {
    dir(home).join(uuid.hyphenated().to_string())
}

/// The pid of the live frontend running this VM.
pub fn running_pid(home: &Path, uuid: &Uuid) -> Option<Pid> {
    let text = std::fs::read_to_string(file(home, uuid)).ok()?;
    let pid = Pid::from_raw(text.trim().parse().ok()?)?;
    alive(pid).then_some(pid)
}

/// Records this process as the VM's frontend; `None` when a live frontend already runs it.
/// The pid is written to a temporary file and hard-linked into place: a watcher never sees
/// a half-written file, and of two concurrent starts only one wins.
pub fn claim(home: &Path, uuid: &Uuid) -> io::Result<Option<PathBuf>> {
    let dir = dir(home);
    std::fs::create_dir_all(&dir)?;
    let path = file(home, uuid);
    let tmp = dir.join(format!(".tmp.{uuid}.{}", std::process::id()));
    std::fs::write(&tmp, format!("{}\n", std::process::id()))?;
    let mut result = std::fs::hard_link(&tmp, &path);
    if result
        .as_ref()
        .is_err_and(|e| e.kind() == io::ErrorKind::AlreadyExists)
        && running_pid(home, uuid).is_none()
    {
        // Left behind by a crashed VM.
        std::fs::remove_file(&path)?;
        result = std::fs::hard_link(&tmp, &path);
    }
    std::fs::remove_file(&tmp)?;
    match result {
        Ok(()) => Ok(Some(path)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn terminate(pid: Pid) -> io::Result<()> {
    rustix::process::kill_process(pid, Signal::TERM).map_err(io::Error::from)
}

/// Exists and is not a zombie (an unreaped child of the test that already exited).
fn alive(pid: Pid) -> bool {
    if rustix::process::test_kill_process(pid).is_err() {
        return false;
    }
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero()));
    // The state letter follows the parenthesised command name, which may contain spaces.
    match stat.as_deref().ok().and_then(|s| s.rsplit_once(')')) {
        Some((_, rest)) => !rest.trim_start().starts_with(['Z', 'X']),
        None => true,
    }
}
