//! The job registry: it owns every job, gives ids, admits or joins requests, runs the
//! work to its end and keeps a finished job a little for late readers. It knows nothing
//! of D-Bus: it sends [`Event`]s, and the bus side (`dbus.rs`) puts them on the bus.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use leovms_api::{JobInfo, JobKind, MachineState, Phase};
use tokio::sync::{mpsc, oneshot};
use zbus::zvariant::OwnedObjectPath;

use crate::error::{Outcome, Result};
use crate::job::Job;

/// What the bus side is told.
pub enum Event {
    /// A new job: put it on the bus, then answer, so that the caller gets a path that
    /// already answers.
    Added(Arc<Job>, oneshot::Sender<()>),
    /// A finished job's time to be read is over.
    Removed(Arc<Job>),
    /// A VM's state changed (starting, running, off).
    MachineChanged(String, MachineState),
}

/// An operation's answer to "may this request run now?", given every job.
pub enum Admit {
    New,
    /// An identical job is in progress: the caller follows that one.
    Join(Arc<Job>),
}

/// What a new job is about.
pub struct NewJob<'a> {
    pub kind: JobKind,
    pub vm: &'a str,
    pub snapshot: &'a str,
    pub ram_mb: Option<u32>,
    /// The caller's unique bus name; empty when no call made the job.
    pub requester: &'a str,
}

pub struct Jobs {
    list: Mutex<Vec<Arc<Job>>>,
    next_id: AtomicU32,
    /// When the last job ended: the idle time counts from there.
    last_end: Mutex<Instant>,
    /// How long a finished job stays readable.
    keep: Duration,
    events: mpsc::UnboundedSender<Event>,
}

/// The active job of `kind` for `vm` among `jobs`.
pub fn active<'a>(jobs: &'a [Arc<Job>], kind: JobKind, vm: &str) -> Option<&'a Arc<Job>> {
    jobs.iter()
        .find(|j| j.kind == kind && j.vm == vm && j.is_active())
}

impl Jobs {
    pub fn new(keep: Duration) -> (Arc<Jobs>, mpsc::UnboundedReceiver<Event>) {
        let (events, rx) = mpsc::unbounded_channel();
        let jobs = Jobs {
            list: Mutex::new(Vec::new()),
            next_id: AtomicU32::new(1),
            last_end: Mutex::new(Instant::now()),
            keep,
            events,
        };
        (Arc::new(jobs), rx)
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Arc<Job>>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks `admit` with every job, as a check before a request does slow work; the
    /// same `admit` decides again when the job is registered.
    pub fn check(&self, admit: impl FnOnce(&[Arc<Job>]) -> Result<Admit>) -> Result<Admit> {
        admit(&self.lock())
    }

    /// Registers a job if `admit`, seeing every job at that moment, lets it (else joins
    /// or refuses as `admit` says), puts it on the bus and runs `work` to its end in the
    /// background. Returns the job's path.
    pub async fn launch<W, F>(
        self: &Arc<Self>,
        new: NewJob<'_>,
        admit: impl FnOnce(&[Arc<Job>]) -> Result<Admit>,
        work: W,
    ) -> Result<OwnedObjectPath>
    where
        W: FnOnce(Arc<Job>) -> F + Send + 'static,
        F: Future<Output = Result<Outcome>> + Send + 'static,
    {
        let job = {
            let mut jobs = self.lock();
            if let Admit::Join(job) = admit(&jobs)? {
                return Ok(job.path.clone());
            }
            let job = self.new_job(&new);
            jobs.push(job.clone());
            job
        };
        self.announce(&job).await;
        let this = self.clone();
        let runner = job.clone();
        tokio::spawn(async move {
            let result = work(runner.clone()).await;
            this.finish(&runner, result);
        });
        Ok(job.path.clone())
    }

    /// Registers a job that is already running (a VM an earlier daemon started); the
    /// caller finishes it. `name` is the VM's name, as people read it.
    pub async fn adopt(&self, new: NewJob<'_>, name: &str) -> Arc<Job> {
        let job = self.new_job(&new);
        job.set_phase(Phase::Running);
        job.vm_runs(name);
        self.lock().push(job.clone());
        self.announce(&job).await;
        job
    }

    fn new_job(&self, new: &NewJob<'_>) -> Arc<Job> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let path = OwnedObjectPath::try_from(format!("{}/{id}", leovms_api::JOBS_PATH))
            .expect("job paths are valid object paths");
        Arc::new(Job::new(
            id,
            path,
            new.kind,
            new.vm,
            new.snapshot,
            new.ram_mb,
            new.requester,
        ))
    }

    /// Tells the bus side and waits until it has put the job on the bus (at once when
    /// nobody listens).
    async fn announce(&self, job: &Arc<Job>) {
        let (done, on_bus) = oneshot::channel();
        if self.events.send(Event::Added(job.clone(), done)).is_ok() {
            let _ = on_bus.await;
        }
    }

    /// Ends a job with `result`, says so, and removes it after the keep time.
    pub fn finish(self: &Arc<Self>, job: &Arc<Job>, result: Result<Outcome>) {
        if let Err(e) = &result {
            tracing::warn!(job = job.id, vm = %job.vm, "{}", e.message);
        }
        job.finish(result);
        *self.last_end.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.machine_changed(&job.vm);
        let this = self.clone();
        let job = job.clone();
        tokio::spawn(async move {
            tokio::time::sleep(this.keep).await;
            this.lock().retain(|j| !Arc::ptr_eq(j, &job));
            let _ = this.events.send(Event::Removed(job));
        });
    }

    pub fn machine_changed(&self, vm: &str) {
        let state = self.machine_state(vm);
        let _ = self
            .events
            .send(Event::MachineChanged(vm.to_owned(), state));
    }

    pub fn list(&self) -> Vec<JobInfo> {
        self.lock().iter().map(|j| j.info()).collect()
    }

    pub fn active(&self, kind: JobKind, vm: &str) -> Option<Arc<Job>> {
        active(&self.lock(), kind, vm).cloned()
    }

    /// A start of `vm` in progress is `starting`; its running VM (a start job in phase
    /// `running`) is `running`.
    pub fn machine_state(&self, vm: &str) -> MachineState {
        match self.active(JobKind::Start, vm).map(|j| j.phase()) {
            Some(Phase::Running) => MachineState::Running,
            Some(_) => MachineState::Starting,
            None => MachineState::Off,
        }
    }

    /// A job runs (a running VM is a start job in phase `running`): the daemon must stay.
    pub fn busy(&self) -> bool {
        self.lock().iter().any(|j| j.is_active())
    }

    pub fn last_end(&self) -> Instant {
        *self.last_end.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use leovms_api::{ErrorKind, JobState};

    use super::*;
    use crate::error::Error;

    fn start(vm: &str) -> NewJob<'_> {
        NewJob {
            kind: JobKind::Start,
            vm,
            snapshot: "s1",
            ram_mb: None,
            requester: ":1.7",
        }
    }

    /// Joins an active start of the same VM, like a real operation's `admit`.
    fn join_same(vm: &str) -> impl FnOnce(&[Arc<Job>]) -> Result<Admit> + '_ {
        move |jobs| {
            Ok(match active(jobs, JobKind::Start, vm) {
                Some(job) => Admit::Join(job.clone()),
                None => Admit::New,
            })
        }
    }

    #[tokio::test]
    async fn a_job_is_announced_joined_finished_and_removed_with_events() {
        let (jobs, mut events) = Jobs::new(Duration::ZERO);
        let (release, released) = oneshot::channel::<()>();
        let launch = jobs.launch(start("vm-a"), join_same("vm-a"), |_| async move {
            let _ = released.await;
            Ok("done".into())
        });
        let bus = async {
            match events.recv().await {
                Some(Event::Added(job, ack)) => {
                    let _ = ack.send(());
                    job
                }
                _ => panic!("the job is announced first"),
            }
        };
        let (path, announced) = tokio::join!(launch, bus);
        let path = path.unwrap();
        assert_eq!(announced.path, path);
        assert_eq!(jobs.machine_state("vm-a"), MachineState::Starting);

        let joined = jobs.launch(start("vm-a"), join_same("vm-a"), |_| async {
            Ok(Outcome::default())
        });
        assert_eq!(
            joined.await.unwrap(),
            path,
            "an identical request follows the same job"
        );
        assert_eq!(jobs.list().len(), 1);

        release.send(()).unwrap();
        match events.recv().await {
            Some(Event::MachineChanged(vm, state)) => {
                assert_eq!((vm.as_str(), state), ("vm-a", MachineState::Off));
            }
            _ => panic!("the end of a start changes its machine"),
        }
        match events.recv().await {
            Some(Event::Removed(job)) => assert_eq!(job.path, path),
            _ => panic!("a finished job is removed after the keep time"),
        }
        assert!(jobs.list().is_empty());
        assert!(!jobs.busy());
    }

    #[tokio::test]
    async fn a_refused_request_registers_nothing() {
        let (jobs, _events) = Jobs::new(Duration::ZERO);
        let refused = jobs
            .launch(
                start("vm-a"),
                |_| Err(Error::new(ErrorKind::Busy, "one at a time")),
                |_| async { Ok(Outcome::default()) },
            )
            .await;
        assert_eq!(refused.unwrap_err().kind, ErrorKind::Busy);
        assert!(jobs.list().is_empty());
    }

    #[tokio::test]
    async fn an_adopted_vm_is_running_until_finished() {
        let (jobs, events) = Jobs::new(Duration::from_secs(60));
        drop(events); // nobody on the bus: announcing does not wait
        let job = jobs.adopt(start("vm-a"), "vm-a").await;
        assert_eq!(jobs.machine_state("vm-a"), MachineState::Running);
        assert!(jobs.busy());
        jobs.finish(&job, Ok("vm-a was powered off.".into()));
        assert_eq!(jobs.machine_state("vm-a"), MachineState::Off);
        assert_eq!(
            jobs.list()[0].state,
            JobState::Done,
            "kept for late readers"
        );
    }
}
