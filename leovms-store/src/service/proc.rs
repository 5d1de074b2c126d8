//! The VM process behind a pidfd another process handed over.

use std::os::fd::{AsRawFd, OwnedFd};

use leovms_api::{Error, ErrorKind};

/// The pid of the running process `pidfd` refers to, when it belongs to `uid`. The
/// pidfd keeps naming the same process: when it still runs after the checks, its pid
/// was not reused in between.
pub fn running_pid_of(pidfd: &OwnedFd, uid: u32) -> Result<i32, Error> {
    let refused = |why: &str| Error::new(ErrorKind::InvalidArgument, why.to_owned());
    let pid = pid_of(pidfd).ok_or_else(|| refused("Not a running process."))?;
    let owner = owner_of(pid).ok_or_else(|| refused("Not a running process."))?;
    if owner != uid && uid != 0 {
        return Err(refused("Only your own VM can hold a base."));
    }
    if pid_of(pidfd) != Some(pid) {
        return Err(refused("Not a running process."));
    }
    Ok(pid)
}

/// The real uid of process `pid`, while it runs.
pub fn owner_of(pid: i32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    real_uid(&status)
}

/// `Pid:` of the pidfd's fdinfo; -1 once the process ended.
fn pid_of(pidfd: &OwnedFd) -> Option<i32> {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", pidfd.as_raw_fd())).ok()?;
    let pid: i32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pid:"))?
        .trim()
        .parse()
        .ok()?;
    (pid > 0).then_some(pid)
}

/// The real uid in `/proc/<pid>/status`.
fn real_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pidfd_names_its_process_while_it_runs() {
        let mut child = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        let fd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).unwrap();
        let me = rustix::process::getuid().as_raw();
        assert_eq!(running_pid_of(&fd, me), Ok(child.id() as i32));
        let other = running_pid_of(&fd, me + 1).unwrap_err();
        assert!(other.message().contains("your own"), "{other:?}");
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(running_pid_of(&fd, me).is_err());
    }
}
