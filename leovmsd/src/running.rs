//! VMs that run: a record per VM on disk, so a restarted daemon finds them again,
//! and a wait for the frontend process to end (child wait or pidfd, never polling).

use std::path::{Path, PathBuf};

use leovms_image::process::starttime;
use serde::{Deserialize, Serialize};
use tokio::process::Child;

use crate::error::{Error, Result};

/// What the daemon remembers of a running VM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub vm: String,
    pub snapshot: String,
    pub uuid: String,
    pub pid: i32,
    /// The process's start time (clock ticks since boot), so a reused pid is not mistaken.
    pub starttime: u64,
    /// The archives (sha256 hex) the VM was made from: in use while it runs, also for
    /// a daemon that finds it running after a restart. (Records without it hold none.)
    #[serde(default)]
    pub archives: Vec<String>,
    /// Where the VM prints (see `print`); none when printing is off.
    #[serde(default)]
    pub print: Option<crate::print::PrintPlan>,
}

pub struct Records {
    dir: PathBuf,
}

impl Records {
    pub fn new(state_dir: &Path) -> Records {
        Records {
            dir: state_dir.join("running"),
        }
    }

    fn path(&self, vm: &str) -> PathBuf {
        self.dir.join(format!("{vm}.toml"))
    }

    pub fn save(&self, rec: &Record) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(self.dir.display(), &e))?;
        let text = toml::to_string(rec).map_err(|e| Error::internal(e.to_string()))?;
        let path = self.path(&rec.vm);
        leovms_image::atomic::write_atomic(&path, text.as_bytes(), 0o600)
            .map_err(|e| Error::io(path.display(), &e))
    }

    pub fn remove(&self, vm: &str) {
        let _ = std::fs::remove_file(self.path(vm));
    }

    /// Records whose process still lives; stale ones are deleted.
    pub fn alive(&self) -> Vec<Record> {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for entry in rd.flatten() {
            let path = entry.path();
            let rec = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| toml::from_str::<Record>(&t).ok());
            match rec {
                Some(r) if starttime(r.pid) == Some(r.starttime) => out.push(r),
                _ => {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        out
    }
}

/// Waits for the VM's frontend to end.
pub enum Exit {
    /// Our own child: waited for (and reaped) by tokio.
    Child(Child),
    /// A frontend started by an earlier daemon: its pidfd becomes readable at exit.
    Adopted(Option<std::os::fd::OwnedFd>),
}

impl Exit {
    pub fn adopt(pid: i32) -> Result<Exit> {
        let pid = rustix::process::Pid::from_raw(pid)
            .ok_or_else(|| Error::internal(format!("bad pid {pid}")))?;
        let fd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
            .map_err(|e| Error::io("pidfd", &e.into()))?;
        Ok(Exit::Adopted(Some(fd)))
    }

    /// Ends our own frontend that VirtualBox cannot power off yet (the VM is not up):
    /// SIGTERM to its process group, which it leads. An adopted VM always runs and is
    /// powered off through VirtualBox instead.
    pub fn terminate(&self) {
        if let Exit::Child(child) = self
            && let Some(pgid) = child
                .id()
                .and_then(|p| rustix::process::Pid::from_raw(p as i32))
        {
            let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::TERM);
        }
    }

    /// `Some(code)` for our own child, `None` when the exit status cannot be known.
    pub async fn wait(&mut self) -> Option<i32> {
        match self {
            Exit::Child(child) => child.wait().await.ok().and_then(|s| s.code().or(Some(-1))),
            Exit::Adopted(fd) => {
                // A blocking wait on a thread of its own (no timer, no polling loop, and
                // not tokio's blocking pool, which would hold up the daemon's exit).
                if let Some(fd) = fd.take() {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    let spawned = std::thread::Builder::new()
                        .name("leovms-vm-exit".into())
                        .spawn(move || {
                            let mut fds = [rustix::event::PollFd::new(
                                &fd,
                                rustix::event::PollFlags::IN,
                            )];
                            while rustix::event::poll(&mut fds, None).is_err() {}
                            let _ = tx.send(());
                        });
                    if spawned.is_ok() {
                        let _ = rx.await;
                    }
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of vm-a whose "frontend" is this test process.
    fn of_this_process() -> Record {
        let me = std::process::id() as i32;
        Record {
            vm: "vm-a".into(),
            snapshot: "s".into(),
            uuid: "u".into(),
            pid: me,
            starttime: starttime(me).unwrap(),
            archives: vec!["0123abcd".into()],
            print: None,
        }
    }

    #[test]
    fn records_of_dead_processes_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let records = Records::new(dir.path());
        let alive = of_this_process();
        let dead = Record {
            vm: "vm-b".into(),
            starttime: alive.starttime + 1,
            ..alive.clone()
        };
        records.save(&alive).unwrap();
        records.save(&dead).unwrap();
        assert_eq!(records.alive(), vec![alive]);
        assert!(!dir.path().join("running/vm-b.toml").exists());
    }

    #[test]
    fn where_a_vm_prints_is_kept_with_its_record() {
        let dir = tempfile::tempdir().unwrap();
        let records = Records::new(dir.path());
        let rec = Record {
            print: Some(crate::print::PrintPlan {
                vm: "vm-a".into(),
                name: "Windows 10".into(),
                file: "/home/anna/Home_auf_Server/ausdruck.pdf".into(),
                queue: Some("raum-101".into()),
                max_bytes: 100_000_000,
                since: 1_796_597_064_123_456_789,
            }),
            ..of_this_process()
        };
        records.save(&rec).unwrap();
        assert_eq!(records.alive(), vec![rec]);
    }

    #[tokio::test]
    async fn an_adopted_process_is_seen_ending() {
        let mut child = std::process::Command::new("sleep")
            .arg("0.2")
            .spawn()
            .unwrap();
        let mut exit = Exit::adopt(child.id() as i32).unwrap();
        let reaper = std::thread::spawn(move || child.wait());
        assert_eq!(exit.wait().await, None);
        reaper.join().unwrap().unwrap();
    }
}
