//! A job: one long operation with its own D-Bus object, progress and result.
//! Jobs belong to the daemon, not to the client that asked, so they outlive it.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use leovms_api::{Detail, JobInfo, JobKind, JobState, Phase};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use zbus::zvariant::OwnedObjectPath;

use crate::error::{Error, Outcome, wire_safe};

/// Rate is measured over this window, so a stall shows quickly but noise does not.
const RATE_WINDOW: Duration = Duration::from_secs(3);

pub struct Job {
    pub id: u32,
    pub path: OwnedObjectPath,
    pub kind: JobKind,
    pub vm: String,
    pub snapshot: String,
    pub ram_mb: Option<u32>,
    /// The bus name of the client whose call made the job; empty for a VM found
    /// running after a restart. A client that finds another name joined this job.
    pub requester: String,
    pub cancel: CancellationToken,
    status: Mutex<Status>,
    /// Bumped on every change; the signal task waits on it (no polling).
    changed: watch::Sender<u64>,
}

#[derive(Debug, Clone)]
struct Status {
    phase: Phase,
    state: JobState,
    bytes_done: u64,
    bytes_total: u64,
    error_id: String,
    message: String,
    detail: Detail,
    samples: VecDeque<(Instant, u64)>,
    /// Phases entered since the signal task last looked: each gets its own signal,
    /// so clients see every phase even when the throttle merges updates.
    entered: Vec<(Phase, u64)>,
}

/// What the signal task reports: a consistent copy of the status.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub phase: Phase,
    pub state: JobState,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub rate: u64,
    pub eta_seconds: i64,
    pub error_id: String,
    pub message: String,
    pub detail: Detail,
}

impl Job {
    pub fn new(
        id: u32,
        path: OwnedObjectPath,
        kind: JobKind,
        vm: &str,
        snapshot: &str,
        ram_mb: Option<u32>,
        requester: &str,
    ) -> Job {
        Job {
            id,
            path,
            kind,
            vm: wire_safe(vm),
            snapshot: wire_safe(snapshot),
            ram_mb,
            requester: wire_safe(requester),
            cancel: CancellationToken::new(),
            status: Mutex::new(Status {
                phase: Phase::Plan,
                state: JobState::Active,
                bytes_done: 0,
                bytes_total: 0,
                error_id: String::new(),
                message: String::new(),
                detail: Detail::new(),
                samples: VecDeque::new(),
                entered: vec![(Phase::Plan, 0)],
            }),
            changed: watch::Sender::new(0),
        }
    }

    fn update(&self, f: impl FnOnce(&mut Status)) {
        {
            let mut st = self.status.lock().unwrap_or_else(|e| e.into_inner());
            if st.state != JobState::Active {
                return; // a finished job never changes again
            }
            f(&mut st);
        }
        self.changed.send_modify(|n| *n += 1);
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    pub fn set_phase(&self, phase: Phase) {
        self.update(|st| {
            st.phase = phase;
            st.samples.clear();
            st.entered.push((phase, st.bytes_done));
        });
    }

    /// What the job does now: its English `message`, and the sentence's `id` (a `doing-`
    /// id of the clients' catalog) with `values`, so that clients say it in their user's
    /// language. Every text a job shows goes through here or [`Job::finish`]: made
    /// wire-safe once, for its properties, `ListJobs` and its signals alike.
    pub fn doing(&self, message: &str, id: &str, values: &[(&str, &dyn fmt::Display)]) {
        let (message, detail) = (wire_safe(message), crate::error::detail(id, values));
        self.update(|st| (st.message, st.detail) = (message, detail));
    }

    /// The VM runs: said alike by a start and by a restarted daemon that finds it running.
    pub fn vm_runs(&self, name: &str) {
        self.doing(
            &format!("{name} is running."),
            "doing-running",
            &[("vm", &name)],
        );
    }

    pub fn set_total(&self, total: u64) {
        self.update(|st| st.bytes_total = total);
    }

    /// Bytes done of the whole job (monotonic).
    pub fn set_done(&self, done: u64) {
        self.update(|st| {
            st.bytes_done = done.max(st.bytes_done);
            let now = Instant::now();
            st.samples.push_back((now, st.bytes_done));
            while st
                .samples
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
                && st.samples.len() > 2
            {
                st.samples.pop_front();
            }
        });
    }

    pub fn finish(&self, result: Result<Outcome, Error>) {
        self.update(|st| {
            st.phase = Phase::Ended;
            st.samples.clear();
            match result {
                Ok(outcome) => {
                    st.state = JobState::Done;
                    st.message = wire_safe(&outcome.message);
                    st.detail = outcome.detail;
                }
                Err(e) => {
                    st.state = if e.kind == leovms_api::ErrorKind::Canceled {
                        JobState::Canceled
                    } else {
                        JobState::Failed
                    };
                    st.error_id = e.kind.dbus_name();
                    st.message = e.message;
                    st.detail = e.detail;
                }
            }
        });
    }

    /// Phases entered since the last call, with the bytes done at that moment.
    pub fn take_entered(&self) -> Vec<(Phase, u64)> {
        std::mem::take(&mut self.lock().entered)
    }

    pub fn phase(&self) -> Phase {
        self.lock().phase
    }

    pub fn is_active(&self) -> bool {
        self.lock().state == JobState::Active
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn snapshot(&self) -> Snapshot {
        let st = self.lock();
        let rate = match (st.samples.front(), st.samples.back()) {
            (Some((t0, b0)), Some((t1, b1))) if t1 > t0 => {
                ((b1 - b0) as f64 / t1.duration_since(*t0).as_secs_f64()) as u64
            }
            _ => 0,
        };
        let eta_seconds = if rate > 0 && st.bytes_total >= st.bytes_done {
            ((st.bytes_total - st.bytes_done) / rate) as i64
        } else {
            -1
        };
        Snapshot {
            phase: st.phase,
            state: st.state,
            bytes_done: st.bytes_done,
            bytes_total: st.bytes_total,
            rate,
            eta_seconds,
            error_id: st.error_id.clone(),
            message: st.message.clone(),
            detail: st.detail.clone(),
        }
    }

    pub fn info(&self) -> JobInfo {
        let s = self.snapshot();
        JobInfo {
            path: self.path.clone(),
            kind: self.kind,
            vm: self.vm.clone(),
            snapshot: self.snapshot.clone(),
            phase: s.phase,
            state: s.state,
            bytes_done: s.bytes_done,
            bytes_total: s.bytes_total,
            rate: s.rate,
            eta_seconds: s.eta_seconds,
            error_id: s.error_id,
            message: s.message,
            detail: s.detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leovms_api::ErrorKind;

    fn job() -> Job {
        let path = OwnedObjectPath::try_from("/org/leovms/Leovms1/job/1").unwrap();
        Job::new(1, path, JobKind::Start, "vm-a", "standard", None, ":1.7")
    }

    #[test]
    fn progress_is_monotonic_and_eta_unknown_without_rate() {
        let j = job();
        j.set_total(100);
        j.set_done(40);
        j.set_done(10);
        let s = j.snapshot();
        assert_eq!(s.bytes_done, 40);
        assert_eq!(s.eta_seconds, -1, "one sample gives no rate");
    }

    #[test]
    fn a_finished_job_never_changes_again() {
        let j = job();
        j.finish(Err(Error::new(ErrorKind::NoSpace, "Not enough space")));
        j.set_phase(Phase::Launch);
        j.finish(Ok("done".into()));
        let info = j.info();
        assert_eq!(info.state, JobState::Failed);
        assert_eq!(info.error_id, "org.leovms.Error.NoSpace");
        assert_eq!(info.message, "Not enough space");
        assert_eq!(info.phase, Phase::Ended);
    }

    #[test]
    fn job_texts_are_wire_safe() {
        let j = job();
        j.doing(
            "Unpacking Lab\0 2028",
            "doing-unpack-base",
            &[("vm", &"Lab\0 2028")],
        );
        let info = j.info();
        assert_eq!(info.message, "Unpacking Lab\u{fffd} 2028");
        assert_eq!(info.detail["vm"], "Lab\u{fffd} 2028");
        j.finish(Err(Error::new(
            ErrorKind::VBoxFailed,
            "VirtualBox: \x1b[2J",
        )));
        let info = j.info();
        assert_eq!(info.message, "VirtualBox: \u{fffd}[2J");
        assert_eq!(j.snapshot().message, info.message);
        let done = job();
        done.finish(Ok("x\0".repeat(10_000).into()));
        let message = done.info().message;
        assert!(message.len() <= crate::error::WIRE_MAX && !message.contains('\0'));
    }

    #[test]
    fn what_a_job_did_is_replaced_by_how_it_ended() {
        let j = job();
        j.doing("Checking Lab", "doing-check", &[("vm", &"Lab")]);
        assert_eq!(j.info().detail["id"], "doing-check");
        j.finish(Ok("Lab was powered off.".into()));
        let info = j.info();
        assert_eq!(info.message, "Lab was powered off.");
        assert!(info.detail.is_empty(), "{:?}", info.detail);
    }

    #[test]
    fn cancel_ends_as_canceled() {
        let j = job();
        j.finish(Err(Error::canceled()));
        assert_eq!(j.info().state, JobState::Canceled);
        assert!(!j.is_active());
    }
}
