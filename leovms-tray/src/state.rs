//! What the tray knows about the daemon, and the rules that turn the daemon's answers and
//! signals into what the menu and the icon show and what is announced.
//!
//! No D-Bus here: every rule can be tested on its own.

use std::collections::{BTreeMap, BTreeSet};

use leovms_api::{
    CacheReport, JobInfo, JobKind, JobState, Machine, MachineState, Origin, Phase, ShareInfo,
    ShareState, Snapshot, Uploadable,
};

use crate::notify::{self, Notice};
use crate::role::Role;

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

/// A job of the daemon, from `ListJobs` and its signals.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub path: String,
    pub kind: JobKind,
    pub vm: String,
    pub phase: Phase,
    pub active: bool,
    pub done: u64,
    pub total: u64,
    /// "… is running" was announced (start jobs only).
    pub running_announced: bool,
}

impl Job {
    pub fn from_info(info: &JobInfo) -> Job {
        Job {
            path: info.path.to_string(),
            kind: info.kind,
            vm: info.vm.clone(),
            phase: info.phase,
            active: info.state == JobState::Active,
            done: info.bytes_done,
            total: info.bytes_total,
            running_announced: false,
        }
    }

    fn is_start(&self) -> bool {
        self.kind == JobKind::Start
    }

    fn in_phase(&self, phase: Phase) -> bool {
        self.phase == phase
    }

    /// Still working, as opposed to a started VM that runs (its job stays active).
    pub fn is_busy(&self) -> bool {
        self.active && !self.in_phase(Phase::Running)
    }
}

/// What can be uploaded, from `ListUploadable`.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Uploads {
    /// Not read yet.
    #[default]
    Unknown,
    /// The machines in the daemon's order.
    Listed(Vec<Uploadable>),
    /// The list could not be read; the daemon's reason.
    Unreadable(String),
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
            return Cache::Unusable(report.dirs[0].problem.clone());
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

/// How a job ended, as its `Finished` signal says.
#[derive(Debug, Clone, PartialEq)]
pub struct End {
    pub state: JobState,
    pub message: String,
}

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

    /// The name a job is shown with: for an upload, the machine being uploaded.
    pub fn job_name(&self, job: &Job) -> String {
        if job.kind == JobKind::Upload {
            if let Some(name) = self.upload_names.get(&job.path) {
                return name.clone();
            }
            let listed = match &self.uploads {
                Uploads::Listed(list) => list.as_slice(),
                _ => &[],
            };
            if let Some(u) = listed.iter().find(|u| u.id == job.vm && !u.name.is_empty()) {
                return u.name.clone();
            }
        }
        self.name_of(&job.vm)
    }

    /// What `ListUploadable` said; `None` keeps what was known (the daemon is gone).
    pub fn set_uploads(&mut self, uploads: Option<Uploads>) {
        if let Some(uploads) = uploads {
            self.uploads = uploads;
        }
    }

    /// An upload of `name` was started from the menu as job `path`.
    pub fn upload_started(&mut self, path: &str, name: &str) {
        self.upload_names.insert(path.to_string(), name.to_string());
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

    pub fn knows_job(&self, path: &str) -> bool {
        self.ended.contains(path) || self.jobs.iter().any(|j| j.path == path)
    }

    /// A job appeared (`JobAdded`, then read with `ListJobs`).
    pub fn job_added(&mut self, info: &JobInfo) -> Option<Notice> {
        let path = info.path.as_str();
        if self.ended.contains(path) {
            return None;
        }
        let fresh = Job::from_info(info);
        match self.jobs.iter_mut().find(|j| j.path == path) {
            Some(job) => {
                let announced = job.running_announced;
                if phase_rank(fresh.phase) >= phase_rank(job.phase) {
                    *job = Job {
                        running_announced: announced,
                        ..fresh
                    };
                }
            }
            None => self.jobs.push(fresh),
        }
        self.announce_running(path)
    }

    /// A job's `Progress` signal. Signals older than what was read are ignored, so the
    /// menu never goes back a phase.
    pub fn job_progress(
        &mut self,
        path: &str,
        phase: Phase,
        done: u64,
        total: u64,
    ) -> Option<Notice> {
        let job = self.jobs.iter_mut().find(|j| j.path == path)?;
        if phase_rank(phase) < phase_rank(job.phase) {
            return None;
        }
        job.phase = phase;
        job.done = done.max(job.done);
        job.total = total;
        self.announce_running(path)
    }

    /// "… is running" once a start job reaches its `running` phase.
    fn announce_running(&mut self, path: &str) -> Option<Notice> {
        let job = self.jobs.iter_mut().find(|j| j.path == path)?;
        if !job.is_start() || !job.active || !job.in_phase(Phase::Running) || job.running_announced
        {
            return None;
        }
        job.running_announced = true;
        let vm = job.vm.clone();
        self.failure = None;
        Some(notify::running(&self.name_of(&vm)))
    }

    /// A job's `Finished` signal. `fallback` describes a job this state never saw start
    /// (read with `ListJobs` by the caller).
    pub fn job_finished(
        &mut self,
        path: &str,
        end: &End,
        fallback: Option<&JobInfo>,
    ) -> Option<Notice> {
        if !self.ended.insert(path.to_string()) {
            return None;
        }
        let job = match self.jobs.iter().position(|j| j.path == path) {
            Some(i) => self.jobs.remove(i),
            None => Job::from_info(fallback?),
        };
        let name = self.job_name(&job);
        let ran = job.in_phase(Phase::Running) || job.running_announced;
        match end.state {
            JobState::Done => {
                self.failure = None;
                notify::done(job.kind, &name, ran, &end.message)
            }
            JobState::Canceled => {
                self.failure = None;
                Some(notify::canceled(job.kind, &name))
            }
            _ => {
                let notice = notify::failed(job.kind, &name, ran, &end.message);
                self.failure = Some(notice.body.clone());
                Some(notice)
            }
        }
    }

    pub fn job_removed(&mut self, path: &str) {
        self.jobs.retain(|j| j.path != path);
        self.ended.remove(path);
        self.upload_names.remove(path);
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

    /// Jobs still working (a running VM's start job is not).
    pub fn busy_jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter().filter(|j| j.is_busy())
    }

    pub fn look(&self) -> Look {
        let (mut done, mut total, mut busy) = (0u64, 0u64, false);
        for job in self.busy_jobs() {
            busy = true;
            done += job.done.min(job.total);
            total += job.total;
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

    /// The disabled line at the top of the menu; `None` when all is well.
    pub fn status_line(&self) -> Option<String> {
        if matches!(self.daemon, Daemon::Unreachable(_)) {
            Some("VM service not reachable — the menu may be out of date".into())
        } else if self.share_offline() {
            Some("Share not reachable — working offline".into())
        } else if let Some(problem) = &self.listing_problem {
            Some(problem.clone())
        } else if self.daemon == Daemon::Unknown {
            Some("Looking for machines…".into())
        } else {
            None
        }
    }

    /// E.g. `Starting Demo Linux — unpacking the base image 42%`.
    pub fn job_label(&self, job: &Job) -> String {
        let name = self.job_name(job);
        let what = match job.kind {
            JobKind::Start => format!("Starting {name}"),
            JobKind::Sync => format!("Copying {name} for offline use"),
            JobKind::Verify => "Checking the cache".to_string(),
            JobKind::Upload => format!("Uploading {name}"),
            JobKind::Unknown => notify::job_of(&name),
        };
        // A cache check has only the one phase its name already says, an upload its
        // main one.
        let phase = if job.kind == JobKind::Verify
            || (job.kind == JobKind::Upload && job.in_phase(Phase::Upload))
        {
            ""
        } else {
            phase_words(job.phase)
        };
        let pct = percent(job.done, job.total).map(|p| format!("{p}%"));
        let detail = [phase, pct.as_deref().unwrap_or_default()].join(" ");
        match detail.trim() {
            "" => what,
            detail => format!("{what} — {detail}"),
        }
    }

    /// The tooltip's title and text. The title alone tells the five looks apart.
    pub fn tooltip(&self) -> (String, String) {
        match self.look() {
            Look::Busy(pct) => {
                let title = match pct {
                    Some(p) => format!("leovms — busy, {p}%"),
                    None => "leovms — busy".into(),
                };
                let lines: Vec<String> = self.busy_jobs().map(|j| self.job_label(j)).collect();
                (title, lines.join("\n"))
            }
            Look::Error => (
                "leovms — something went wrong".into(),
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
                ("leovms — offline".into(), text)
            }
            Look::Running => {
                let mut lines: Vec<String> = self
                    .running()
                    .iter()
                    .map(|name| format!("{name} is running."))
                    .collect();
                lines.extend(self.status_line());
                ("leovms — running".into(), lines.join("\n"))
            }
            Look::Idle => ("leovms".into(), "Ready: choose a machine to start.".into()),
        }
    }
}

/// The order of phases, so that an old signal never moves a job back; unknown (newer)
/// phases count as the latest.
fn phase_rank(phase: Phase) -> usize {
    match phase {
        Phase::Unknown => usize::MAX,
        known => known as usize,
    }
}

/// Percent of `done` in `total`; `None` when nothing is counted.
pub fn percent(done: u64, total: u64) -> Option<u8> {
    (total > 0).then(|| (u128::from(done) * 100 / u128::from(total)).min(100) as u8)
}

/// A phase in the words of a menu line.
fn phase_words(phase: Phase) -> &'static str {
    match phase {
        Phase::Plan => "checking",
        Phase::Verify => "checking the cache",
        Phase::Fetch => "copying",
        Phase::UnpackBase => "unpacking the base image",
        Phase::UnpackSnapshot => "unpacking the snapshot",
        Phase::Configure => "configuring",
        Phase::Launch => "starting VirtualBox",
        Phase::Running => "running",
        Phase::Upload => "uploading",
        Phase::Ended => "ended",
        Phase::Unknown => "working",
    }
}

#[cfg(test)]
pub mod tests;
