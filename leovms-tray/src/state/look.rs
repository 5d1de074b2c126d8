//! What the icon and its tooltip show, and the menu's status line about share and daemon.

use leovms_api::{Origin, ShareState};

use super::jobs::percent;
use super::{Daemon, State};
use crate::l10n::fl;

/// What the icon shows, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// A job is working; its progress in percent when the job counts bytes.
    Busy(Option<u8>),
    /// The last job (or call) failed.
    Error,
    /// The share or the daemon cannot be reached.
    Offline,
    /// A VM runs.
    Running,
    Idle,
}

impl State {
    /// The share is not online (or the daemon cannot be reached): starts use the cache.
    pub fn offline(&self) -> bool {
        matches!(self.daemon, Daemon::Unreachable(_)) || self.share_offline()
    }

    fn share_offline(&self) -> bool {
        match &self.share {
            Some(share) => share.state != ShareState::Online,
            None => {
                !self.vms.is_empty() && self.vms.iter().all(|v| v.machine.origin == Origin::Cache)
            }
        }
    }

    pub fn look(&self) -> Look {
        let (mut done, mut total, mut busy) = (0u64, 0u64, false);
        for job in self.busy_jobs() {
            busy = true;
            if job.counts_bytes() {
                done += job.done.min(job.total);
                total += job.total;
            }
        }
        if busy {
            Look::Busy(percent(done, total))
        } else if self.failure.is_some() {
            Look::Error
        } else if matches!(self.daemon, Daemon::Unreachable(_)) {
            // What the tray knows about running VMs may be out of date.
            Look::Offline
        } else if !self.running().is_empty() {
            // The share matters for the next start, not for the VM in use.
            Look::Running
        } else if self.offline() {
            Look::Offline
        } else {
            Look::Idle
        }
    }

    /// The disabled line at the top of the menu; `None` when all is well.
    pub fn status_line(&self) -> Option<String> {
        if matches!(self.daemon, Daemon::Unreachable(_)) {
            Some(fl!("status-unreachable"))
        } else if self.share_offline() {
            Some(fl!("status-offline"))
        } else if let Some(problem) = &self.listing_problem {
            Some(problem.clone())
        } else if self.daemon == Daemon::Unknown {
            Some(fl!("menu-looking"))
        } else {
            None
        }
    }

    /// The tooltip's title and text. The title alone tells the five looks apart.
    pub fn tooltip(&self) -> (String, String) {
        match self.look() {
            Look::Busy(pct) => {
                let title = match pct {
                    Some(p) => fl!("tooltip-busy-percent", percent = p.to_string()),
                    None => fl!("tooltip-busy"),
                };
                let lines: Vec<String> = self.busy_jobs().map(|j| self.job_label(j)).collect();
                (title, lines.join("\n"))
            }
            Look::Error => (
                fl!("tooltip-error"),
                self.failure.clone().unwrap_or_default(),
            ),
            Look::Offline => {
                let mut text = self.status_line().unwrap_or_default();
                let why = match (&self.daemon, &self.share) {
                    (Daemon::Unreachable(why), _) => why.clone(),
                    (_, Some(share)) => format!("{} {}", share.reason, share.hint),
                    _ => String::new(),
                };
                if !why.trim().is_empty() {
                    text = format!("{text}\n{}", why.trim());
                }
                (fl!("tooltip-offline"), text)
            }
            Look::Running => {
                let mut lines: Vec<String> = self
                    .running()
                    .iter()
                    .map(|name| fl!("tooltip-vm-running", vm = name.as_str()))
                    .collect();
                lines.extend(self.status_line());
                (fl!("tooltip-running"), lines.join("\n"))
            }
            Look::Idle => ("leovms".into(), fl!("tooltip-idle")),
        }
    }
}
