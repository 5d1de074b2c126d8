//! The daemon's jobs: their progress, how they end, what is announced and how they read.

use leovms_api::client::JobEnd;
use leovms_api::{JobInfo, JobKind, JobState, Phase};

use super::State;
use crate::l10n::fl;
use crate::notify::{self, Notice};

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

    pub(super) fn is_start(&self) -> bool {
        self.kind == JobKind::Start
    }

    pub(super) fn in_phase(&self, phase: Phase) -> bool {
        self.phase == phase
    }

    /// Whether its bytes are a share of a known whole: a print job's are only the size the
    /// document has so far.
    pub(super) fn counts_bytes(&self) -> bool {
        self.kind != JobKind::Print
    }

    /// Still working, as opposed to a started VM that runs (its job stays active).
    pub fn is_busy(&self) -> bool {
        self.active && !self.in_phase(Phase::Running)
    }
}

/// How a job ended, as its `Finished` signal says.
#[derive(Debug, Clone, PartialEq)]
pub struct End {
    pub state: JobState,
    /// What the daemon said, in the words to show (see [`End::from_job_end`]).
    pub message: String,
}

impl End {
    /// How the job ended in the user's language (`JobEnd::explain`); what a job that went
    /// well says and the tray has no words for, as the daemon wrote it.
    pub fn from_job_end(end: &JobEnd) -> End {
        let message = match end.state {
            JobState::Done => leovms_api::outcome(&end.message, &end.detail)
                .unwrap_or_else(|| notify::daemon_says(&end.message)),
            _ => end.explain(),
        };
        End {
            state: end.state,
            message,
        }
    }
}

impl State {
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
                Some(notify::canceled(job.kind, &name, &end.message))
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

    /// Jobs still working (a running VM's start job is not).
    pub fn busy_jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter().filter(|j| j.is_busy())
    }

    /// E.g. `Starting Demo Linux — unpacking the base image 42%`.
    pub fn job_label(&self, job: &Job) -> String {
        let name = self.job_name(job);
        let what = match job.kind {
            JobKind::Start => fl!("job-start", vm = name.as_str()),
            JobKind::Sync => fl!("job-sync", vm = name.as_str()),
            JobKind::Verify => fl!("job-verify"),
            JobKind::Upload => fl!("job-upload", vm = name.as_str()),
            JobKind::Print => fl!("job-print", vm = name.as_str()),
            JobKind::Unknown => notify::job_of(&name),
        };
        // A cache check has only the one phase its name already says, an upload its
        // main one.
        let phase = if job.kind == JobKind::Verify
            || (job.kind == JobKind::Upload && job.in_phase(Phase::Upload))
        {
            String::new()
        } else {
            phase_words(job.phase)
        };
        let pct = percent(job.done, job.total)
            .filter(|_| job.counts_bytes())
            .map(|p| fl!("job-percent", percent = p.to_string()));
        let detail = [phase, pct.unwrap_or_default()].join(" ");
        match detail.trim() {
            "" => what,
            detail => fl!("job-line", what = what, detail = detail),
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

/// A phase in the words of a menu line, after the job's name and a dash ("Starting Demo
/// Linux — unpacking the base image"): lower case and worded to follow the name, unlike
/// `Phase::describe`, which starts a progress line of its own.
fn phase_words(phase: Phase) -> String {
    match phase {
        Phase::Plan => fl!("job-phase-plan"),
        Phase::Verify => fl!("job-phase-verify"),
        Phase::Fetch => fl!("job-phase-fetch"),
        Phase::UnpackBase => fl!("job-phase-unpack-base"),
        Phase::UnpackSnapshot => fl!("job-phase-unpack-snapshot"),
        Phase::Configure => fl!("job-phase-configure"),
        Phase::Launch => fl!("job-phase-launch"),
        Phase::Running => fl!("job-phase-running"),
        Phase::Upload => fl!("job-phase-upload"),
        Phase::Receive => fl!("job-phase-receive"),
        Phase::EmbedFonts => fl!("job-phase-embed-fonts"),
        Phase::Print => fl!("job-phase-print"),
        Phase::Ended => fl!("job-phase-ended"),
        Phase::Unknown => fl!("job-phase-unknown"),
    }
}
