//! The VMs with their snapshots and the offline cache, as the daemon lists them.

use leovms_api::{CacheReport, Machine, MachineState, Phase, Snapshot};

use super::{Daemon, State};

/// One VM with its snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct Vm {
    pub machine: Machine,
    pub snapshots: Vec<Snapshot>,
    /// Why the snapshots could not be listed; empty when they could.
    pub snapshots_problem: String,
}

impl Vm {
    /// The name a student knows the VM by.
    pub fn name(&self) -> &str {
        if self.machine.name.is_empty() {
            &self.machine.id
        } else {
            &self.machine.name
        }
    }

    pub fn is(&self, state: MachineState) -> bool {
        self.machine.state == state
    }

    /// The user has a working copy of this VM: it was started before, and whatever was
    /// done in it is still there. Starting a snapshot replaces it. The daemon says so
    /// through "as found": offered, or blocked with a reason (a saved state, a renewed
    /// base); without a working copy it is neither.
    pub fn has_working_copy(&self) -> bool {
        self.machine.as_found || !self.machine.as_found_blocked.is_empty()
    }
}

/// Room in the offline cache, from `CacheStatus`.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Cache {
    /// Not read yet.
    #[default]
    Unknown,
    /// The share configures no cache for this PC.
    NotConfigured,
    /// Bytes still free for archives, and the configured limit, over all usable folders.
    Space { free: u64, limit: u64 },
    /// No cache folder can be used; the daemon's reason.
    Unusable(String),
}

impl Cache {
    pub fn from_report(report: &CacheReport) -> Cache {
        if report.dirs.is_empty() {
            return Cache::NotConfigured;
        }
        let usable: Vec<_> = report
            .dirs
            .iter()
            .filter(|d| d.problem.is_empty())
            .collect();
        if usable.is_empty() {
            return Cache::Unusable(report.dirs[0].problem_text());
        }
        // A folder can take what its limit leaves, as far as its disk has room.
        let free = usable
            .iter()
            .map(|d| d.limit.saturating_sub(d.used).min(d.free))
            .sum();
        let limit = usable.iter().map(|d| d.limit).sum();
        Cache::Space { free, limit }
    }
}

/// What `ListMachines`, `ListSnapshots` and `CacheStatus` said, read together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub vms: Vec<Vm>,
    pub cache: Cache,
    /// Why the machines could not be listed (e.g. a broken file on the share).
    pub problem: Option<String>,
}

impl State {
    pub fn set_catalog(&mut self, catalog: Catalog) {
        if self.daemon != Daemon::Asleep {
            self.daemon = Daemon::Awake;
        }
        self.vms = catalog.vms;
        self.cache = catalog.cache;
        self.listing_problem = catalog.problem;
        // A RAM choice outside the (possibly changed) range is dropped.
        let vms = &self.vms;
        self.ram.retain(|id, mb| {
            vms.iter().any(|v| {
                v.machine.id == *id && (v.machine.ram_min_mb..=v.machine.ram_max_mb).contains(mb)
            })
        });
    }

    pub fn machine_changed(&mut self, id: &str, state: MachineState) {
        if let Some(vm) = self.vms.iter_mut().find(|v| v.machine.id == id) {
            vm.machine.state = state;
        }
    }

    /// The names of the VMs that run: as the daemon's machine state says, or as a start
    /// job that reached `running` says (its `MachineChanged` may still be on its way).
    pub fn running(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .vms
            .iter()
            .filter(|v| v.is(MachineState::Running))
            .map(|v| v.name().to_string())
            .collect();
        for job in &self.jobs {
            if job.is_start() && job.active && job.in_phase(Phase::Running) {
                let name = self.name_of(&job.vm);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }
}
