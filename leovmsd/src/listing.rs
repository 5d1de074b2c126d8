//! The manager's answers about machines and snapshots, online and offline.

use std::collections::HashSet;

use leovms_api::{Detail, ErrorKind, Machine, MachineState, Snapshot};
use leovms_image::ram;

use crate::catalog::VmEntry;
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::view::View;
use crate::workcopy;

impl Daemon {
    /// Machines as the share (or, offline, this user's copies and the cache) offer them.
    ///
    /// A VM not offered to this user on this PC is left out, with two exceptions, listed
    /// with state `not-offered` and the reason as their problem: a VM whose rules name rooms
    /// while this PC cannot tell its room (it may well be meant for this PC), and, when no
    /// VM at all is offered, every VM (an empty list would read as an empty share).
    /// `stored`: the bases the PC's store holds, ready for every user.
    pub fn list_machines(&self, online: bool, stored: &HashSet<[u8; 32]>) -> Result<Vec<Machine>> {
        let view = View::load(&self.settings, online)?;
        let machines = view.machines()?;
        if machines.is_empty() && !online {
            return Err(self.offline_error());
        }
        if online {
            crate::start_source::remember_share_files(&view);
        }
        let host_mb = ram::host_memory_mb().unwrap_or(4096);
        let mut listed: Vec<(usize, Machine)> = Vec::new();
        let mut hidden: Vec<(usize, Machine)> = Vec::new();
        let mut offered = 0;
        for (n, (id, vm)) in machines.into_iter().enumerate() {
            match vm {
                Ok(vm) => match view.admit(vm.clone()) {
                    Ok(admitted) => {
                        offered += 1;
                        if online {
                            // Offline, every VM seen here is listed, usable or with the
                            // reason. The copy holds every snapshot; the rules apply when
                            // it is read.
                            crate::start_source::remember_vm(&view, &vm);
                        }
                        listed.push((n, self.machine(&view, &admitted, host_mb, stored)));
                    }
                    // It may well be meant for this PC: the student is told why not.
                    Err(why) if vm.image.access.hidden_by_unknown_room(view.facts) => {
                        listed.push((n, self.not_offered(&view, &vm, why)))
                    }
                    Err(why) => hidden.push((n, self.not_offered(&view, &vm, why))),
                },
                Err(e) => {
                    let state = self.jobs.machine_state(&id);
                    listed.push((n, unusable(&view, id.as_str(), id.as_str(), state, e)));
                }
            }
        }
        if offered == 0 {
            listed.append(&mut hidden);
            listed.sort_by_key(|(n, _)| *n);
        }
        Ok(listed.into_iter().map(|(_, m)| m).collect())
    }

    /// A VM listed only to say why it is not offered here (`why`).
    fn not_offered(&self, view: &View, vm: &VmEntry, why: Error) -> Machine {
        let state = match self.jobs.machine_state(&vm.id) {
            MachineState::Off => MachineState::NotOffered,
            running => running,
        };
        unusable(view, vm.id.as_str(), &vm.image.name, state, why)
    }

    fn machine(
        &self,
        view: &View,
        vm: &VmEntry,
        host_mb: u64,
        stored: &HashSet<[u8; 32]>,
    ) -> Machine {
        let plan = ram::plan(&vm.image.ram, host_mb);
        let (as_found, blocked) = match workcopy::as_found(&view.layout, vm) {
            Ok(()) => (true, None),
            Err(workcopy::NotOffered::NoCopy) => (false, None),
            Err(workcopy::NotOffered::Blocked(why)) => (false, Some(why)),
        };
        let pin = view.caches.my_pin(&vm.id).map(|(_, pin)| pin);
        let outdated = view.online
            && pin.as_ref().is_some_and(|pin| {
                View::wanted(vm, &pin.snapshots)
                    .map_or(true, |wanted| wanted.iter().any(|a| !view.cached(vm, a)))
            });
        let usable = vm
            .snapshots
            .iter()
            .filter(|s| view.snapshot_problem(vm, s).is_none())
            .count();
        let problem = view.offline_problem(vm).or_else(|| {
            (!view.online && usable == 0 && !as_found).then(|| {
                Error::new(
                    ErrorKind::Offline,
                    "Not available offline: none of its snapshots is in the cache.",
                )
                .said("no-snapshot-cached", &[])
            })
        });
        Machine {
            id: vm.id.to_string(),
            name: vm.image.name.clone(),
            description: vm.image.description.clone(),
            state: self.jobs.machine_state(&vm.id),
            base_size: vm.base.size,
            base_unpacked_size: vm.base.unpacked,
            base_ready: stored.contains(&vm.base.sha256)
                || view.layout.base_ready(&vm.id, &vm.base.short_hash()),
            as_found,
            as_found_blocked: blocked.as_ref().map(|b| b.why()).unwrap_or_default(),
            snapshots: usable as u32,
            ram_default_mb: plan.default_mb,
            ram_min_mb: plan.min_mb,
            ram_max_mb: plan.max_mb,
            ram_fixed: plan.fixed,
            origin: view.origin(),
            revision: vm.revision.clone(),
            synced: pin.is_some(),
            outdated,
            as_found_blocked_detail: blocked.map(|b| b.detail()).unwrap_or_default(),
            problem: problem
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_default(),
            problem_detail: problem.map(|e| e.detail).unwrap_or_default(),
        }
    }

    pub fn list_snapshots(&self, vm: &str, online: bool) -> Result<Vec<Snapshot>> {
        let view = View::load(&self.settings, online)?;
        let vm = view.machine(vm)?;
        let mut out: Vec<Snapshot> = vm
            .snapshots
            .iter()
            .map(|s| {
                let (problem, problem_detail) = problem_fields(view.snapshot_problem(&vm, s));
                Snapshot {
                    id: s.id.to_string(),
                    name: s.conf.name.clone(),
                    maintainer: s.conf.maintainer.clone(),
                    created: s.conf.created.clone().unwrap_or_default(),
                    description: s.conf.description.clone(),
                    size: s.archive.size,
                    unpacked_size: s.archive.unpacked,
                    cached: view.cached(&vm, &s.archive),
                    problem,
                    problem_detail,
                }
            })
            .collect();
        out.extend(vm.broken_snapshots.iter().map(|(id, e)| Snapshot {
            problem: e.message.clone(),
            problem_detail: e.detail.clone(),
            id: id.to_string(),
            name: id.to_string(),
            maintainer: String::new(),
            created: String::new(),
            description: String::new(),
            size: 0,
            unpacked_size: 0,
            cached: false,
        }));
        Ok(out)
    }

    /// The share is down and nothing is known offline (the caller adds the share's state).
    fn offline_error(&self) -> Error {
        Error::new(
            ErrorKind::Offline,
            "The VM share is not available and no VM has been kept for offline use on this computer. Check the network or ask the school's admin.",
        )
    }
}

/// A VM listed with nothing but its name, its state and why it cannot be used.
fn unusable(view: &View, id: &str, name: &str, state: MachineState, why: Error) -> Machine {
    Machine {
        id: id.to_owned(),
        name: name.to_owned(),
        description: String::new(),
        state,
        base_size: 0,
        base_unpacked_size: 0,
        base_ready: false,
        as_found: false,
        as_found_blocked: String::new(),
        snapshots: 0,
        ram_default_mb: 0,
        ram_min_mb: 0,
        ram_max_mb: 0,
        ram_fixed: false,
        problem: why.message,
        origin: view.origin(),
        revision: String::new(),
        synced: false,
        outdated: false,
        problem_detail: why.detail,
        as_found_blocked_detail: Detail::new(),
    }
}

/// Why something cannot be used (`None`: it can), as `problem` and `problem_detail`.
fn problem_fields(why: Option<Error>) -> (String, Detail) {
    why.map(|e| (e.message, e.detail)).unwrap_or_default()
}
