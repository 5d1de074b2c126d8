//! The daemon's state: its jobs and the answers to the manager's questions.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use leovms_api::{
    ErrorKind, JobInfo, JobKind, MachineState, Phase, ShareInfo, ShareState, StartOptions,
};
use zbus::zvariant::OwnedObjectPath;

use crate::blocking::blocking;
use crate::dbus::{JobInterface, ManagerInterface};
use crate::error::{Error, Result, wire_safe};
use crate::job::Job;
use crate::layout::Layout;
use crate::mount::{Prober, ShareStatus};
use crate::running::{Exit, Records};
use crate::settings::Settings;
use crate::start;
use crate::vbox::VBox;

/// What a new job is about.
pub struct NewJob<'a> {
    pub kind: JobKind,
    pub vm: &'a str,
    pub snapshot: &'a str,
    pub ram_mb: Option<u32>,
}

/// The longest a call may wait for reading the share (listing, planning a start); a
/// share that dies in the middle is reported instead of hanging the call.
const SHARE_READ_LIMIT: Duration = Duration::from_secs(20);

/// The longest a share check may take before the share counts as not answering.
const SHARE_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest `Stop` waits for a powered-off VM's window to close (its start job to end).
const STOP_LIMIT: Duration = Duration::from_secs(60);

/// What the log says while `Stop` waits for that (the tests wait for these words).
const STOP_WAITING: &str = "waiting for its VirtualBox window to close";

pub struct Daemon {
    pub settings: Settings,
    pub records: Records,
    data_probe: Prober,
    upload_probe: Prober,
    conn: OnceLock<zbus::Connection>,
    jobs: Mutex<Vec<Arc<Job>>>,
    next_id: AtomicU32,
    /// When the last job ended: the idle time counts from there.
    last_job_end: Mutex<Instant>,
    /// Archives (sha256 hex) that starts in progress or running VMs were made from:
    /// the space planner never evicts them.
    pub in_use: Mutex<HashSet<String>>,
}

impl Daemon {
    pub fn new(settings: Settings) -> Arc<Daemon> {
        let records = Records::new(&settings.state_dir());
        Arc::new(Daemon {
            data_probe: Prober::new(settings.data.clone(), SHARE_TIMEOUT),
            upload_probe: Prober::new(settings.upload.clone(), SHARE_TIMEOUT).named("upload share"),
            settings,
            records,
            conn: OnceLock::new(),
            jobs: Mutex::new(Vec::new()),
            next_id: AtomicU32::new(1),
            last_job_end: Mutex::new(Instant::now()),
            in_use: Mutex::new(HashSet::new()),
        })
    }

    pub fn set_connection(&self, conn: zbus::Connection) {
        let _ = self.conn.set(conn);
    }

    pub fn connection(&self) -> Result<&zbus::Connection> {
        self.conn
            .get()
            .ok_or_else(|| Error::internal("not connected to D-Bus yet"))
    }

    pub async fn data_share(&self) -> ShareInfo {
        share_info(self.data_probe.check().await)
    }

    pub async fn upload_share(&self) -> ShareInfo {
        share_info(self.upload_probe.check().await)
    }

    /// Refuses, within a few seconds, when the share is not mounted or does not answer,
    /// so that no call ever hangs on a dead network mount.
    pub async fn require_share(&self) -> Result<()> {
        let status = self.data_probe.check().await;
        if status.state == ShareState::Online {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Offline,
            format!("{} {}", status.reason, status.hint)
                .trim()
                .to_owned(),
        ))
    }

    /// Whether the share answers now (within a few seconds, never hanging).
    pub async fn share_online(&self) -> bool {
        self.data_probe.check().await.state == ShareState::Online
    }

    pub fn in_use_add(&self, archives: &[String]) {
        let mut set = self.in_use.lock().unwrap_or_else(|e| e.into_inner());
        set.extend(archives.iter().cloned());
    }

    pub fn in_use_remove(&self, archives: &[String]) {
        let mut set = self.in_use.lock().unwrap_or_else(|e| e.into_inner());
        for a in archives {
            set.remove(a);
        }
    }

    pub fn in_use_now(&self) -> HashSet<String> {
        self.in_use
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Runs `f` on a blocking thread, bounded: reading the share must never hang a call.
    /// Everything that touches the share goes through here (local file steps go through
    /// [`blocking`]); after the limit the call fails with `Offline` and the stuck thread
    /// is left to the dead mount.
    pub async fn read_share<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Daemon) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let this = self.clone();
        match tokio::time::timeout(SHARE_READ_LIMIT, blocking(move || f(&this))).await {
            Ok(result) => result,
            Err(_) => Err(Error::new(
                ErrorKind::Offline,
                "The VM share stopped answering. Check the network connection and try again in a minute.",
            )),
        }
    }

    /// Where things live, from the share's settings when it answers, else from this
    /// user's copy of them. Never waits on a dead share: the read is bounded too, since
    /// the share may die between the check and the read.
    pub async fn layout(&self) -> Result<Layout> {
        let online = self.share_online().await;
        let settings = self.settings.clone();
        let read = blocking(move || Layout::load(&settings, online));
        match tokio::time::timeout(SHARE_TIMEOUT, read).await {
            Ok(result) => result,
            Err(_) => {
                // This user's copy is local: unbounded.
                let settings = self.settings.clone();
                blocking(move || Layout::load(&settings, false)).await
            }
        }
    }

    /// Blocks (looks for VirtualBox's programs); async fns use [`Self::find_vbox`].
    pub fn vbox(&self, layout: &Layout) -> Result<VBox> {
        VBox::locate(self.settings.vbox_dir.as_deref(), &layout.vbox_home)
    }

    /// [`Self::vbox`] on the blocking pool.
    pub async fn find_vbox(&self, layout: &Layout) -> Result<VBox> {
        let (dir, home) = (self.settings.vbox_dir.clone(), layout.vbox_home.clone());
        blocking(move || VBox::locate(dir.as_deref(), &home)).await
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Job>>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A job runs (a running VM is a start job in phase `running`): the daemon must stay.
    pub fn busy(&self) -> bool {
        self.jobs().iter().any(|j| j.is_active())
    }

    pub fn last_job_end(&self) -> Instant {
        *self.last_job_end.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn list_jobs(&self) -> Vec<JobInfo> {
        self.jobs().iter().map(|j| j.info()).collect()
    }

    /// The start of `vm` in progress, or its running VM.
    fn active_job(&self, vm: &str) -> Option<Arc<Job>> {
        self.active(JobKind::Start, vm)
    }

    pub fn active(&self, kind: JobKind, vm: &str) -> Option<Arc<Job>> {
        self.jobs()
            .iter()
            .find(|j| j.kind == kind && j.vm == vm && j.is_active())
            .cloned()
    }

    pub fn machine_state(&self, vm: &str) -> MachineState {
        match self.active_job(vm).map(|j| j.phase()) {
            Some(Phase::Running) => MachineState::Running,
            Some(_) => MachineState::Starting,
            None => MachineState::Off,
        }
    }

    /// Admits a start: joins an identical one in progress, refuses a VM that runs,
    /// checks what can be checked before a job exists, then runs the job.
    pub async fn start(
        self: &Arc<Self>,
        vm: &str,
        snapshot: &str,
        options: StartOptions,
    ) -> Result<OwnedObjectPath> {
        let vm = leovms_image::name::SafeName::new(vm)?;
        if !snapshot.is_empty() {
            leovms_image::name::SafeName::new(snapshot)?;
        }
        if let Some(job) = self.active_job(&vm) {
            return self.join(&job, snapshot, options.ram_mb);
        }
        let online = self.share_online().await;
        let (vm_id, snap, opts) = (vm.to_string(), snapshot.to_owned(), options.clone());
        let plan = self
            .read_share(move |d| d.plan_start(&vm_id, &snap, opts, online))
            .await?;
        // Checked again when the job is registered: two identical calls may have raced here.
        let ram_mb = options.ram_mb;
        self.launch(
            NewJob {
                kind: JobKind::Start,
                vm: &vm,
                snapshot,
                ram_mb,
            },
            |job| self.join(job, snapshot, ram_mb),
            |jobs| match jobs
                .iter()
                .find(|j| j.kind == JobKind::Start && j.is_active())
            {
                Some(other) => Err(one_at_a_time(other, &vm)),
                None => Ok(()),
            },
            move |d, job| async move { start::run(&d, &job, plan).await },
        )
        .await
    }

    /// Registers a job unless one of the same kind for the same VM is active (then `join`
    /// answers), after `admit` has seen every job; puts it on the bus and runs `work` to
    /// its end in the background.
    pub async fn launch<W, F>(
        self: &Arc<Self>,
        new: NewJob<'_>,
        join: impl FnOnce(&Arc<Job>) -> Result<OwnedObjectPath>,
        admit: impl FnOnce(&[Arc<Job>]) -> Result<()>,
        work: W,
    ) -> Result<OwnedObjectPath>
    where
        W: FnOnce(Arc<Daemon>, Arc<Job>) -> F + Send + 'static,
        F: std::future::Future<Output = Result<String>> + Send + 'static,
    {
        let job = {
            let mut jobs = self.jobs();
            if let Some(job) = jobs
                .iter()
                .find(|j| j.kind == new.kind && j.vm == new.vm && j.is_active())
                .cloned()
            {
                drop(jobs);
                return join(&job);
            }
            admit(&jobs)?;
            let job = self.new_job(new.kind, new.vm, new.snapshot, new.ram_mb);
            jobs.push(job.clone());
            job
        };
        self.export(&job).await?;
        let this = self.clone();
        let runner = job.clone();
        tokio::spawn(async move {
            let result = work(this.clone(), runner.clone()).await;
            this.finish(&runner, result).await;
        });
        Ok(job.path.clone())
    }

    fn join(&self, job: &Arc<Job>, snapshot: &str, ram_mb: Option<u32>) -> Result<OwnedObjectPath> {
        let name = &job.vm;
        if job.phase() == Phase::Running {
            return Err(Error::new(
                ErrorKind::VmRunning,
                format!("{name} is already running. Close it first, or use it as it is."),
            ));
        }
        if job.snapshot != snapshot || (ram_mb.is_some() && ram_mb != job.ram_mb) {
            return Err(Error::new(
                ErrorKind::Busy,
                format!(
                    "{name} is being started right now with other settings. Wait until it runs, or cancel that start."
                ),
            ));
        }
        Ok(job.path.clone())
    }

    fn new_job(&self, kind: JobKind, vm: &str, snapshot: &str, ram_mb: Option<u32>) -> Arc<Job> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let path = OwnedObjectPath::try_from(format!("{}/{id}", leovms_api::JOBS_PATH))
            .expect("job paths are valid object paths");
        Arc::new(Job::new(id, path, kind, vm, snapshot, ram_mb))
    }

    /// Puts the job on the bus and starts forwarding its progress as signals.
    async fn export(&self, job: &Arc<Job>) -> Result<()> {
        let conn = self.connection()?.clone();
        conn.object_server()
            .at(&job.path, JobInterface::new(job.clone()))
            .await
            .map_err(|e| Error::internal(e.to_string()))?;
        tokio::spawn(crate::dbus::forward_progress(conn.clone(), job.clone()));
        if let Ok(emitter) =
            zbus::object_server::SignalEmitter::new(&conn, leovms_api::MANAGER_PATH)
        {
            let _ = ManagerInterface::job_added(&emitter, job.path.as_ref()).await;
        }
        Ok(())
    }

    pub async fn finish(self: &Arc<Self>, job: &Arc<Job>, result: Result<String>) {
        if let Err(e) = &result {
            tracing::warn!(job = job.id, vm = %job.vm, "{}", e.message);
        }
        job.finish(result);
        *self.last_job_end.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.machine_changed(&job.vm).await;
        let this = self.clone();
        let job = job.clone();
        let keep = Duration::from_secs(self.settings.keep_finished_secs);
        tokio::spawn(async move {
            tokio::time::sleep(keep).await;
            this.jobs().retain(|j| !Arc::ptr_eq(j, &job));
            if let Ok(conn) = this.connection() {
                let _ = conn
                    .object_server()
                    .remove::<JobInterface, _>(&job.path)
                    .await;
                if let Ok(em) =
                    zbus::object_server::SignalEmitter::new(conn, leovms_api::MANAGER_PATH)
                {
                    let _ = ManagerInterface::job_removed(&em, job.path.as_ref()).await;
                }
            }
        });
    }

    pub async fn machine_changed(&self, vm: &str) {
        let state = self.machine_state(vm);
        if let Ok(conn) = self.connection()
            && let Ok(em) = zbus::object_server::SignalEmitter::new(conn, leovms_api::MANAGER_PATH)
        {
            let _ = ManagerInterface::machine_changed(&em, vm, state).await;
        }
    }

    /// Powers a running VM off and returns once it is gone: its start job has ended, so
    /// `ListMachines` says `off` and a new start is admitted. VirtualBox's window may take
    /// a moment to close after `controlvm poweroff` has returned; that wait is bounded.
    pub async fn stop(self: &Arc<Self>, vm: &str) -> Result<()> {
        let job = self
            .active_job(vm)
            .filter(|j| j.phase() == Phase::Running)
            .ok_or_else(|| Error::new(ErrorKind::NotRunning, format!("{vm} is not running.")))?;
        // Subscribed before anything happens, so that the end cannot be missed.
        let mut changed = job.subscribe();
        let layout = self.layout().await?;
        let this = self.clone();
        let rec = blocking(move || Ok(this.records.alive()))
            .await?
            .into_iter()
            .find(|r| r.vm == job.vm)
            .ok_or_else(|| Error::new(ErrorKind::NotRunning, format!("{vm} is not running.")))?;
        let uuid = uuid::Uuid::parse_str(&rec.uuid).map_err(|e| Error::internal(e.to_string()))?;
        match self.find_vbox(&layout).await {
            Ok(vbox) => vbox.poweroff(&uuid).await?,
            Err(_) => {
                // Without VBoxManage, closing the frontend is what a user would do.
                let pid = rustix::process::Pid::from_raw(rec.pid)
                    .ok_or_else(|| Error::internal("bad pid"))?;
                rustix::process::kill_process(pid, rustix::process::Signal::TERM)
                    .map_err(|e| Error::io("stop", &e.into()))?
            }
        }
        if job.is_active() {
            tracing::info!(vm = %job.vm, "powered off; {STOP_WAITING}");
        }
        let ended = async {
            while job.is_active() {
                if changed.changed().await.is_err() {
                    break;
                }
            }
        };
        tokio::time::timeout(STOP_LIMIT, ended).await.map_err(|_| {
            Error::new(
                ErrorKind::VBoxFailed,
                format!(
                    "{vm} was powered off, but its VirtualBox window has not closed within {} s, so it still counts as running. Close the window, or try again.",
                    STOP_LIMIT.as_secs()
                ),
            )
        })
    }

    /// After a restart: VMs started by an earlier daemon are still running; follow them.
    pub async fn adopt_running(self: &Arc<Self>) {
        let this = self.clone();
        let alive = blocking(move || Ok(this.records.alive()))
            .await
            .unwrap_or_else(|e| {
                tracing::warn!("cannot read the records of running VMs: {}", e.message);
                Vec::new()
            });
        for rec in alive {
            let mut exit = match Exit::adopt(rec.pid) {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!("cannot follow {}: {}", rec.vm, e.message);
                    continue;
                }
            };
            let job = self.new_job(JobKind::Start, &rec.vm, &rec.snapshot, None);
            job.set_phase(Phase::Running);
            job.set_message(format!("{} is running.", rec.vm));
            self.jobs().push(job.clone());
            if let Err(e) = self.export(&job).await {
                tracing::warn!("cannot export job: {}", e.message);
            }
            tracing::info!(vm = %rec.vm, pid = rec.pid, "found a running VM");
            let this = self.clone();
            tokio::spawn(async move {
                exit.wait().await;
                let (records, vm) = (this.clone(), rec.vm.clone());
                let _ = blocking(move || {
                    records.records.remove(&vm);
                    Ok(())
                })
                .await;
                let result = Ok(format!("{} was powered off.", rec.vm));
                this.finish(&job, result).await;
            });
        }
    }

    /// After a crash: temporary files of every VM this user has, so none lingers until
    /// that VM is started again.
    pub async fn remove_leftovers(self: &Arc<Self>) {
        let Ok(layout) = self.layout().await else {
            return;
        };
        let this = self.clone();
        let _ = blocking(move || {
            let Ok(rd) = std::fs::read_dir(layout.vbox_home.join("Machines")) else {
                return Ok(());
            };
            for entry in rd.flatten() {
                let vm = entry.file_name().to_string_lossy().into_owned();
                if this.active_job(&vm).is_none() {
                    crate::unpack::remove_leftovers(&layout.vm_machines_dir(&vm), &entry.path());
                    let own = layout.own_machines_dir().join(&vm);
                    crate::unpack::remove_leftovers(&own, &entry.path());
                }
            }
            Ok(())
        })
        .await;
    }
}

/// Refuses a second VM while another one starts or runs.
fn one_at_a_time(other: &Job, vm: &str) -> Error {
    if other.phase() == Phase::Running {
        return Error::new(
            ErrorKind::VmRunning,
            format!("{} is running. Close it before starting {vm}.", other.vm),
        );
    }
    Error::new(
        ErrorKind::Busy,
        format!(
            "{} is being started. Wait until it runs and close it before starting {vm}.",
            other.vm
        ),
    )
}

/// The mount table and the share's path are outside text too.
fn share_info(s: ShareStatus) -> ShareInfo {
    ShareInfo {
        state: s.state,
        path: wire_safe(&s.path.display().to_string()),
        fstype: wire_safe(&s.fstype),
        source: wire_safe(&s.source),
        reason: wire_safe(&s.reason),
        hint: wire_safe(&s.hint),
    }
}
