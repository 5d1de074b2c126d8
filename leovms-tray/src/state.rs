//! What the tray knows about the daemon, and the rules that turn the daemon's answers and
//! signals into what the menu and the icon show and what is announced.
//!
//! No D-Bus here: every rule can be tested on its own. The VMs and the cache are in
//! `machines`, the jobs and their ends in `jobs`, what can be uploaded in `uploads`,
//! what the icon shows in `look`.

use std::collections::{BTreeMap, BTreeSet};

use leovms_api::{JobInfo, JobState, MachineState, Phase, ShareInfo};

use crate::notify::{self, Notice};
use crate::role::Role;

mod jobs;
mod look;
mod machines;
mod uploads;

pub use jobs::{End, Job};
pub use look::Look;
pub use machines::{Cache, Catalog, Vm};
pub use uploads::Uploads;

/// Whether the daemon is on the bus, as far as the tray saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Daemon {
    /// Not asked yet.
    #[default]
    Unknown,
    /// It answered; what the tray shows is current.
    Awake,
    /// It left the bus (it exits when idle and the next call starts it again): what the
    /// tray shows is the last known state.
    Asleep,
    /// A call did not reach it; the text says why.
    Unreachable(String),
}

#[derive(Debug, Clone, Default)]
pub struct State {
    /// Which items the menu shows; fixed when the tray starts.
    pub role: Role,
    pub daemon: Daemon,
    pub share: Option<ShareInfo>,
    pub vms: Vec<Vm>,
    /// Jobs as the daemon reported them, in the order they appeared.
    pub jobs: Vec<Job>,
    pub cache: Cache,
    pub listing_problem: Option<String>,
    /// The last failure, shown by the icon until the next job ends or a VM runs.
    pub failure: Option<String>,
    /// RAM chosen in the menu per VM (MB); absent: the daemon's default.
    pub ram: BTreeMap<String, u32>,
    /// The user's machines that can be uploaded.
    pub uploads: Uploads,
    /// Names of the machines uploaded from this menu, by job path: an upload job's `vm`
    /// names a published VM, not the machine.
    upload_names: BTreeMap<String, String>,
    /// Jobs whose end was handled, so that a late `JobAdded` does not bring them back.
    /// Job paths start again at 1 in a new daemon: cleared whenever the daemon changes.
    ended: BTreeSet<String>,
}

impl State {
    pub fn vm(&self, id: &str) -> Option<&Vm> {
        self.vms.iter().find(|v| v.machine.id == id)
    }

    /// The VM's display name, or its id when it is not (or no longer) listed.
    pub fn name_of(&self, id: &str) -> String {
        self.vm(id)
            .map_or_else(|| id.to_string(), |v| v.name().to_string())
    }

    /// Everything read again after the daemon (re)appeared. What already happened is
    /// history: jobs that ended and VMs that run are not announced.
    pub fn reloaded(&mut self, catalog: Catalog, jobs: &[JobInfo], share: Option<ShareInfo>) {
        self.set_catalog(catalog);
        self.share = share;
        self.jobs = jobs
            .iter()
            .map(Job::from_info)
            .filter(|j| j.active)
            .map(|j| Job {
                running_announced: j.in_phase(Phase::Running),
                ..j
            })
            .collect();
        self.ended = jobs
            .iter()
            .filter(|j| j.state != JobState::Active)
            .map(|j| j.path.to_string())
            .collect();
    }

    /// The daemon left the bus. Its jobs are gone with it; a VM keeps running and the
    /// next call finds it again. A job that was still working was cut off: say so.
    pub fn daemon_gone(&mut self) -> Vec<Notice> {
        self.daemon = Daemon::Asleep;
        let cut: Vec<Job> = self.jobs.drain(..).filter(Job::is_busy).collect();
        self.ended.clear();
        for vm in &mut self.vms {
            if vm.is(MachineState::Starting) {
                vm.machine.state = MachineState::Off;
            }
        }
        let notices: Vec<Notice> = cut
            .iter()
            .map(|j| notify::interrupted(j.kind, &self.job_name(j)))
            .collect();
        self.upload_names.clear();
        if let Some(n) = notices.last() {
            self.failure = Some(n.body.clone());
        }
        notices
    }

    /// The daemon took its bus name (again).
    pub fn daemon_back(&mut self) {
        self.daemon = Daemon::Awake;
        self.ended.clear();
        self.upload_names.clear();
    }

    /// A call failed: `unreachable` when the daemon could not be reached at all.
    pub fn call_failed(&mut self, message: &str, unreachable: bool) {
        if unreachable {
            self.daemon = Daemon::Unreachable(message.to_string());
        } else {
            self.failure = Some(message.to_string());
        }
    }
}

#[cfg(test)]
pub mod tests;
