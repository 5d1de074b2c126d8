//! What the tray knows about the daemon, and the rules that turn the daemon's answers and
//! signals into what the menu and the icon show and what is announced.
//!
//! No D-Bus here: every rule can be tested on its own.

use std::collections::{BTreeMap, BTreeSet};

use leovms_api::{
    CacheReport, JobInfo, JobState, Machine, MachineState, Phase, ShareInfo, Snapshot, Uploadable,
};

use crate::notify::{self, Notice};

/// `ShareInfo::state` of a share that answers.
const ONLINE: &str = "online";
/// `Machine::origin` of a machine described from this PC's cache.
const ORIGIN_CACHE: &str = "cache";

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
        self.machine.state == state.as_str()
    }
}

/// A job of the daemon, from `ListJobs` and its signals.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub path: String,
    /// `start`, `sync`, `verify` or `upload`.
    pub kind: String,
    pub vm: String,
    pub phase: String,
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
            kind: info.kind.clone(),
            vm: info.vm.clone(),
            phase: info.phase.clone(),
            active: info.state == JobState::Active.as_str(),
            done: info.bytes_done,
            total: info.bytes_total,
            running_announced: false,
        }
    }

    fn is_start(&self) -> bool {
        self.kind == KIND_START
    }

    fn in_phase(&self, phase: Phase) -> bool {
        self.phase == phase.as_str()
    }

    /// Still working, as opposed to a started VM that runs (its job stays active).
    pub fn is_busy(&self) -> bool {
        self.active && !self.in_phase(Phase::Running)
    }
}

pub const KIND_START: &str = "start";
pub const KIND_SYNC: &str = "sync";
pub const KIND_VERIFY: &str = "verify";
pub const KIND_UPLOAD: &str = "upload";

/// `Uploadable::source` of a machine in the user's own VirtualBox.
pub const SOURCE_VIRTUALBOX: &str = "virtualbox";
/// `Uploadable::source` of a leovms working copy.
pub const SOURCE_WORKING_COPY: &str = "working-copy";

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
    pub state: String,
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
    Idle,
}

#[derive(Debug, Clone, Default)]
pub struct State {
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
        if job.kind == KIND_UPLOAD {
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
            .filter(|j| j.state != JobState::Active.as_str())
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

    pub fn machine_changed(&mut self, id: &str, state: &str) {
        if let Some(vm) = self.vms.iter_mut().find(|v| v.machine.id == id) {
            vm.machine.state = state.to_string();
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
                if phase_rank(&fresh.phase) >= phase_rank(&job.phase) {
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
        phase: &str,
        done: u64,
        total: u64,
    ) -> Option<Notice> {
        let job = self.jobs.iter_mut().find(|j| j.path == path)?;
        if phase_rank(phase) < phase_rank(&job.phase) {
            return None;
        }
        job.phase = phase.to_string();
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
        match JobState::parse(&end.state) {
            Some(JobState::Done) => {
                self.failure = None;
                notify::done(&job.kind, &name, ran, &end.message)
            }
            Some(JobState::Canceled) => {
                self.failure = None;
                Some(notify::canceled(&job.kind, &name))
            }
            _ => {
                let notice = notify::failed(&job.kind, &name, ran, &end.message);
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
                vm.machine.state = MachineState::Off.as_str().to_string();
            }
        }
        let notices: Vec<Notice> = cut
            .iter()
            .map(|j| notify::interrupted(&j.kind, &self.job_name(j)))
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
            Some(share) => share.state != ONLINE,
            None => {
                !self.vms.is_empty() && self.vms.iter().all(|v| v.machine.origin == ORIGIN_CACHE)
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
        } else if self.offline() {
            Look::Offline
        } else {
            Look::Idle
        }
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
        let what = match job.kind.as_str() {
            KIND_START => format!("Starting {name}"),
            KIND_SYNC => format!("Copying {name} for offline use"),
            KIND_VERIFY => "Checking the cache".to_string(),
            KIND_UPLOAD => format!("Uploading {name}"),
            other => format!("{other} {name}"),
        };
        // A cache check has only the one phase its name already says, an upload its
        // main one.
        let phase = if job.kind == KIND_VERIFY
            || (job.kind == KIND_UPLOAD && job.in_phase(Phase::Upload))
        {
            String::new()
        } else {
            phase_words(&job.phase)
        };
        let pct = percent(job.done, job.total).map(|p| format!("{p}%"));
        let detail = [phase, pct.unwrap_or_default()].join(" ");
        match detail.trim() {
            "" => what,
            detail => format!("{what} — {detail}"),
        }
    }

    /// The tooltip's title and text. The title alone tells the four looks apart.
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
            Look::Idle => {
                let running: Vec<String> = self
                    .vms
                    .iter()
                    .filter(|v| v.is(MachineState::Running))
                    .map(|v| format!("{} is running.", v.name()))
                    .collect();
                let text = if running.is_empty() {
                    "Ready: choose a machine to start.".to_string()
                } else {
                    running.join("\n")
                };
                ("leovms".into(), text)
            }
        }
    }
}

/// The order of phases, so that an old signal never moves a job back; unknown (newer)
/// phases count as the latest.
fn phase_rank(phase: &str) -> usize {
    Phase::parse(phase).map_or(usize::MAX, |p| p as usize)
}

/// Percent of `done` in `total`; `None` when nothing is counted.
pub fn percent(done: u64, total: u64) -> Option<u8> {
    (total > 0).then(|| (u128::from(done) * 100 / u128::from(total)).min(100) as u8)
}

/// A phase in the words of a menu line.
fn phase_words(phase: &str) -> String {
    let words = match Phase::parse(phase) {
        Some(Phase::Plan) => "checking",
        Some(Phase::Verify) => "checking the cache",
        Some(Phase::Fetch) => "copying",
        Some(Phase::UnpackBase) => "unpacking the base image",
        Some(Phase::UnpackSnapshot) => "unpacking the snapshot",
        Some(Phase::Configure) => "configuring",
        Some(Phase::Launch) => "starting VirtualBox",
        Some(Phase::Running) => "running",
        Some(Phase::Upload) => "uploading",
        Some(Phase::Ended) => "ended",
        None => phase,
    };
    words.to_string()
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use zbus::zvariant::OwnedObjectPath;

    pub fn machine(id: &str, name: &str) -> Machine {
        Machine {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            state: "off".into(),
            base_size: 1,
            base_unpacked_size: 1,
            base_ready: false,
            as_found: false,
            as_found_blocked: String::new(),
            snapshots: 1,
            ram_default_mb: 2048,
            ram_min_mb: 1024,
            ram_max_mb: 4096,
            ram_fixed: false,
            problem: String::new(),
            origin: "share".into(),
            revision: "0123456789abcdef".into(),
            synced: false,
            outdated: false,
        }
    }

    pub fn snapshot(id: &str, name: &str) -> Snapshot {
        Snapshot {
            id: id.into(),
            name: name.into(),
            maintainer: String::new(),
            created: String::new(),
            description: String::new(),
            size: 1,
            unpacked_size: 1,
            problem: String::new(),
            cached: false,
        }
    }

    pub fn vm(id: &str, name: &str, snapshots: &[(&str, &str)]) -> Vm {
        Vm {
            machine: machine(id, name),
            snapshots: snapshots.iter().map(|(i, n)| snapshot(i, n)).collect(),
            snapshots_problem: String::new(),
        }
    }

    pub fn uploadable(source: &str, id: &str, name: &str, vm: &str, problem: &str) -> Uploadable {
        Uploadable {
            source: source.into(),
            id: id.into(),
            name: name.into(),
            state: "off".into(),
            vm: vm.into(),
            snapshot_bytes: 1,
            vm_bytes: 2,
            problem: problem.into(),
            disks: Vec::new(),
        }
    }

    pub fn info(n: u32, kind: &str, vm: &str, phase: &str, state: &str) -> JobInfo {
        JobInfo {
            path: OwnedObjectPath::try_from(format!("/org/leovms/Leovms1/job/{n}")).unwrap(),
            kind: kind.into(),
            vm: vm.into(),
            snapshot: String::new(),
            phase: phase.into(),
            state: state.into(),
            bytes_done: 0,
            bytes_total: 0,
            rate: 0,
            eta_seconds: -1,
            error_id: String::new(),
            message: String::new(),
        }
    }

    pub fn demo() -> State {
        let mut s = State::default();
        s.set_catalog(Catalog {
            vms: vec![
                vm(
                    "vm-demo",
                    "Demo Linux",
                    &[("standard", "Standard"), ("exam", "Exam 2027")],
                ),
                vm("vm-win", "Windows 10", &[("standard", "Standard")]),
            ],
            cache: Cache::NotConfigured,
            problem: None,
        });
        s.share = Some(ShareInfo {
            state: "online".into(),
            ..Default::default()
        });
        s
    }

    fn end(state: &str, message: &str) -> End {
        End {
            state: state.into(),
            message: message.into(),
        }
    }

    const JOB1: &str = "/org/leovms/Leovms1/job/1";

    #[test]
    fn a_start_is_busy_with_percent_then_announced_once_when_running() {
        let mut s = demo();
        assert_eq!(s.look(), Look::Idle);
        assert_eq!(
            s.job_added(&info(1, "start", "vm-demo", "plan", "active")),
            None
        );
        assert_eq!(s.look(), Look::Busy(None));
        assert_eq!(s.job_progress(JOB1, "unpack-base", 42, 100), None);
        assert_eq!(s.look(), Look::Busy(Some(42)));
        assert_eq!(
            s.job_label(&s.jobs[0]),
            "Starting Demo Linux — unpacking the base image 42%"
        );
        assert_eq!(s.tooltip().0, "leovms — busy, 42%");
        s.job_added(&info(2, "verify", "", "verify", "active"));
        s.job_progress("/org/leovms/Leovms1/job/2", "verify", 8, 10);
        assert_eq!(s.job_label(&s.jobs[1]), "Checking the cache — 80%");
        s.job_removed("/org/leovms/Leovms1/job/2");
        // An older signal read late does not move the job back.
        assert_eq!(s.job_progress(JOB1, "plan", 0, 0), None);
        assert_eq!(s.jobs[0].phase, "unpack-base");
        let n = s.job_progress(JOB1, "running", 100, 100).unwrap();
        assert_eq!(n.summary, "Demo Linux is running");
        assert_eq!(s.job_progress(JOB1, "running", 100, 100), None);
        assert_eq!(s.look(), Look::Idle, "a running VM is not busy");
        // Powered off: nothing to announce, and the job is gone.
        assert_eq!(
            s.job_finished(JOB1, &end("done", "Demo Linux was powered off."), None),
            None
        );
        assert!(s.jobs.is_empty());
    }

    #[test]
    fn a_job_read_when_it_already_runs_is_announced_by_job_added() {
        let mut s = demo();
        let n = s.job_added(&info(1, "start", "vm-demo", "running", "active"));
        assert_eq!(n.unwrap().summary, "Demo Linux is running");
        // A full re-read (the daemon came back) never announces.
        let mut s = demo();
        s.reloaded(
            Catalog::default(),
            &[
                info(1, "start", "vm-demo", "running", "active"),
                info(2, "start", "vm-win", "unpack-base", "active"),
            ],
            None,
        );
        assert_eq!(s.job_progress(JOB1, "running", 0, 0), None);
        // A start still on its way is announced when it gets there.
        let n = s.job_progress("/org/leovms/Leovms1/job/2", "running", 0, 0);
        assert_eq!(n.unwrap().summary, "vm-win is running");
    }

    #[test]
    fn a_failure_shows_until_the_next_outcome_and_ends_are_announced_once() {
        let mut s = demo();
        s.job_added(&info(1, "start", "vm-demo", "plan", "active"));
        let n = s
            .job_finished(
                JOB1,
                &end("failed", "Not enough space: 12.4 GB needed, 3.1 GB free"),
                None,
            )
            .unwrap();
        assert_eq!(n.summary, "Demo Linux could not be started");
        assert_eq!(n.body, "Not enough space: 12.4 GB needed, 3.1 GB free");
        assert!(n.urgent);
        assert_eq!(s.look(), Look::Error);
        assert_eq!(
            s.tooltip().1,
            "Not enough space: 12.4 GB needed, 3.1 GB free"
        );
        // The same end again, or the job read late: nothing new.
        assert_eq!(s.job_finished(JOB1, &end("failed", "x"), None), None);
        assert_eq!(
            s.job_added(&info(1, "start", "vm-demo", "ended", "failed")),
            None
        );
        assert!(s.jobs.is_empty());
        // The next job's success clears the error.
        let two = "/org/leovms/Leovms1/job/2";
        s.job_added(&info(2, "sync", "vm-win", "fetch", "active"));
        assert_eq!(s.look(), Look::Busy(None), "busy shows over the error");
        let n = s.job_finished(two, &end("done", ""), None).unwrap();
        assert_eq!(n.summary, "Windows 10 is ready for offline use");
        assert_eq!(s.look(), Look::Idle);
    }

    #[test]
    fn a_job_that_ended_before_it_was_seen_is_still_announced() {
        let mut s = demo();
        let fallback = info(3, "sync", "vm-demo", "ended", "canceled");
        let n = s
            .job_finished(
                "/org/leovms/Leovms1/job/3",
                &end("canceled", ""),
                Some(&fallback),
            )
            .unwrap();
        assert_eq!(n.summary, "Copying Demo Linux for offline use was canceled");
    }

    #[test]
    fn when_the_daemon_goes_the_menu_stays_and_cut_jobs_are_told() {
        let mut s = demo();
        s.job_added(&info(1, "start", "vm-demo", "unpack-base", "active"));
        s.machine_changed("vm-demo", "starting");
        s.machine_changed("vm-win", "running");
        let notices = s.daemon_gone();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].summary, "Starting Demo Linux was interrupted");
        assert_eq!(s.vms.len(), 2, "the last known machines stay");
        assert!(s.jobs.is_empty());
        assert_eq!(s.vm("vm-demo").unwrap().machine.state, "off");
        assert_eq!(s.vm("vm-win").unwrap().machine.state, "running");
        assert_eq!(s.status_line(), None, "asleep is normal");
        // A new daemon numbers its jobs from 1 again.
        s.daemon_back();
        assert_eq!(
            s.job_added(&info(1, "start", "vm-demo", "running", "active"))
                .unwrap()
                .summary,
            "Demo Linux is running"
        );
    }

    #[test]
    fn offline_and_unreachable_are_told_apart_from_idle() {
        let mut s = demo();
        s.share = Some(ShareInfo {
            state: "not-answering".into(),
            reason: "The VM share does not answer.".into(),
            hint: "Check the network.".into(),
            ..Default::default()
        });
        assert_eq!(s.look(), Look::Offline);
        assert_eq!(
            s.status_line().unwrap(),
            "Share not reachable — working offline"
        );
        assert_eq!(
            s.tooltip(),
            (
                "leovms — offline".into(),
                "Share not reachable — working offline\nThe VM share does not answer. Check the network."
                    .into()
            )
        );
        let mut s = demo();
        s.call_failed("The name is not activatable", true);
        assert_eq!(s.look(), Look::Offline);
        assert!(
            s.status_line()
                .unwrap()
                .starts_with("VM service not reachable")
        );
        s.call_failed("VM already running", false);
        assert_eq!(s.look(), Look::Error);
    }

    #[test]
    fn cache_space_is_what_the_limits_and_disks_leave() {
        use leovms_api::CacheDir;
        let dir = |limit, used, free, problem: &str| CacheDir {
            path: "/var/cache/leovms".into(),
            limit,
            used,
            free,
            problem: problem.into(),
        };
        let report = |dirs| CacheReport {
            dirs,
            entries: vec![],
        };
        assert_eq!(Cache::from_report(&report(vec![])), Cache::NotConfigured);
        assert_eq!(
            Cache::from_report(&report(vec![dir(20, 5, 100, ""), dir(10, 0, 3, "")])),
            Cache::Space {
                free: 18,
                limit: 30
            }
        );
        assert_eq!(
            Cache::from_report(&report(vec![dir(0, 0, 0, "The folder does not exist.")])),
            Cache::Unusable("The folder does not exist.".into())
        );
    }

    #[test]
    fn an_upload_is_named_by_its_machine_and_its_end_is_announced() {
        let mut s = demo();
        s.set_uploads(Some(Uploads::Listed(vec![uploadable(
            "virtualbox",
            "6f1c0c2e",
            "Teacher VM",
            "vm-demo",
            "",
        )])));
        // Started from the menu: the tray knows the machine by the job's path.
        s.upload_started(JOB1, "Teacher VM");
        s.job_added(&info(1, "upload", "vm-demo", "plan", "active"));
        assert_eq!(s.job_label(&s.jobs[0]), "Uploading Teacher VM — checking");
        s.job_progress(JOB1, "upload", 5, 10);
        assert_eq!(s.job_label(&s.jobs[0]), "Uploading Teacher VM — 50%");
        assert_eq!(s.look(), Look::Busy(Some(50)));
        let message = "Uploaded Teacher VM to the upload share as teach1/teacher-vm-1. \
                       The admin publishes it with: leovms-admin publish teach1/teacher-vm-1";
        let n = s.job_finished(JOB1, &end("done", message), None).unwrap();
        assert_eq!(
            (n.summary.as_str(), n.body.as_str()),
            ("Upload finished", message)
        );
        assert_eq!(s.look(), Look::Idle);
        s.job_removed(JOB1);
        // Started elsewhere: named by the machine the job names, else by the VM.
        let two = "/org/leovms/Leovms1/job/2";
        s.job_added(&info(2, "upload", "6f1c0c2e", "upload", "active"));
        assert_eq!(s.job_label(&s.jobs[0]), "Uploading Teacher VM");
        let n = s
            .job_finished(
                two,
                &end("failed", "Not enough space on the upload share"),
                None,
            )
            .unwrap();
        assert_eq!(n.summary, "Upload failed");
        assert_eq!(n.body, "Not enough space on the upload share");
        assert_eq!(s.look(), Look::Error);
        let three = "/org/leovms/Leovms1/job/3";
        s.job_added(&info(3, "upload", "vm-demo", "upload", "active"));
        assert_eq!(s.job_label(&s.jobs[0]), "Uploading Demo Linux");
        let n = s.job_finished(three, &end("canceled", ""), None).unwrap();
        assert_eq!(n.summary, "Upload canceled");
        assert_eq!(s.look(), Look::Idle);
    }
}
