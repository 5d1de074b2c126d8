//! The D-Bus objects: the manager and one object per job. Thin: all decisions are
//! made in [`Daemon`] and its operations; the job registry's events are only put on
//! the bus here. Slow work never runs on the bus's dispatch path.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use leovms_api::{
    CacheReport, JobInfo, JobKind, JobState, Machine, MachineState, OptionsDict, Phase, ShareInfo,
    ShareState, Snapshot, StartOptions, SyncPlan, UploadOptions, Uploadable,
};
use tokio::sync::mpsc::UnboundedReceiver;
use zbus::interface;
use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{ObjectPath, OwnedObjectPath};

use crate::blocking::blocking;
use crate::daemon::Daemon;
use crate::error::Error;
use crate::job::Job;
use crate::jobs::Event;
use crate::reply::{self, Reply};
use crate::share::Share;

/// Progress signals are sent at most this often (phase changes and the end are never lost).
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

pub struct ManagerInterface {
    daemon: Arc<Daemon>,
}

impl ManagerInterface {
    pub fn new(daemon: Arc<Daemon>) -> Self {
        ManagerInterface { daemon }
    }

    /// A call's reading of the share, bounded (see [`Share::read`]).
    async fn read_share<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Daemon) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Reply> {
        Ok(self.daemon.read_share(f).await?)
    }
}

#[interface(name = "org.leovms.Manager1")]
impl ManagerInterface {
    async fn list_machines(&self) -> Result<Vec<Machine>, Reply> {
        let online = self.daemon.share.online().await;
        let stored = self.daemon.pc_store.stored_bases().await;
        let machines = self
            .read_share(move |d| d.list_machines(online, &stored))
            .await;
        if machines.is_err() && !online {
            // Nothing is known offline: say why the share is missing, with the hint.
            self.daemon.share.require().await?;
        }
        machines
    }

    async fn list_snapshots(&self, vm: String) -> Result<Vec<Snapshot>, Reply> {
        let online = self.daemon.share.online().await;
        self.read_share(move |d| d.list_snapshots(&vm, online))
            .await
    }

    // The options arrive as a plain dictionary (still `a{sv}` on the wire), so that a
    // wrong type or an unknown key is refused as `InvalidArgument` naming the key. (A
    // doc comment here would go into the introspection XML.)
    async fn start(
        &self,
        vm: String,
        snapshot: String,
        options: OptionsDict,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<OwnedObjectPath, Reply> {
        let options = StartOptions::from_dict(&options).map_err(refused)?;
        let requester = requester(&header);
        Ok(self
            .daemon
            .start(&vm, &snapshot, options, &requester)
            .await?)
    }

    async fn stop(&self, vm: String) -> Result<(), Reply> {
        Ok(self.daemon.stop(&vm).await?)
    }

    async fn enable_error_detail(&self, #[zbus(header)] header: Header<'_>) {
        reply::want_detail(&requester(&header));
    }

    async fn list_jobs(&self) -> Result<Vec<JobInfo>, Reply> {
        Ok(self.daemon.jobs.list())
    }

    async fn sync(
        &self,
        vm: String,
        snapshots: Vec<String>,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<OwnedObjectPath, Reply> {
        Ok(self
            .daemon
            .sync(&vm, snapshots, &requester(&header))
            .await?)
    }

    async fn plan_sync(&self, vm: String, snapshots: Vec<String>) -> Result<SyncPlan, Reply> {
        self.daemon.share.require().await?;
        self.read_share(move |d| d.plan_sync(&vm, snapshots)).await
    }

    async fn unsync(&self, vm: String) -> Result<u64, Reply> {
        let online = self.daemon.share.online().await;
        let (freed, held) = self.read_share(move |d| d.unsync(&vm, online)).await?;
        for sha256 in &held {
            self.daemon.pc_store.pin(sha256, false).await;
        }
        Ok(freed)
    }

    async fn cache_status(&self) -> Result<CacheReport, Reply> {
        let online = self.daemon.share.online().await;
        self.read_share(move |d| d.cache_status(online)).await
    }

    async fn verify_cache(
        &self,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<OwnedObjectPath, Reply> {
        Ok(self.daemon.verify_cache(&requester(&header)).await?)
    }

    async fn list_uploadable(&self) -> Result<Vec<Uploadable>, Reply> {
        Ok(self.daemon.list_uploadable().await?)
    }

    async fn upload(
        &self,
        source: String,
        id: String,
        options: OptionsDict,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<OwnedObjectPath, Reply> {
        let options = UploadOptions::from_dict(&options).map_err(refused)?;
        let requester = requester(&header);
        Ok(self
            .daemon
            .upload(&source, &id, options, &requester)
            .await?)
    }

    #[zbus(property)]
    async fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_owned()
    }

    #[zbus(property)]
    async fn data_dir(&self) -> String {
        self.daemon.settings.data.display().to_string()
    }

    #[zbus(property)]
    async fn data_share(&self) -> ShareInfo {
        self.daemon.share.data_info().await
    }

    #[zbus(property)]
    async fn upload_share(&self) -> ShareInfo {
        self.daemon.share.upload_info().await
    }

    #[zbus(property, name = "VBoxVersion")]
    async fn vbox_version(&self) -> String {
        let Ok(layout) = self.daemon.layout().await else {
            return String::new();
        };
        match self.daemon.find_vbox(&layout).await {
            Ok(vbox) => vbox.version().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    #[zbus(property, name = "VBoxHome")]
    async fn vbox_home(&self) -> String {
        self.daemon
            .layout()
            .await
            .map(|l| l.vbox_home.display().to_string())
            .unwrap_or_default()
    }

    #[zbus(property)]
    async fn machines_dir(&self) -> String {
        self.daemon
            .layout()
            .await
            .map(|l| l.machines_dir.display().to_string())
            .unwrap_or_default()
    }

    #[zbus(signal)]
    pub async fn job_added(emitter: &SignalEmitter<'_>, job: ObjectPath<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn job_removed(emitter: &SignalEmitter<'_>, job: ObjectPath<'_>) -> zbus::Result<()>;

    /// The share published or removed machines, or came or went: list them again.
    #[zbus(signal)]
    pub async fn machines_changed(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn machine_changed(
        emitter: &SignalEmitter<'_>,
        vm: &str,
        state: MachineState,
    ) -> zbus::Result<()>;
}

/// The caller's unique bus name, which a new job keeps as its `Requester`.
fn requester(header: &Header<'_>) -> String {
    header
        .sender()
        .map(|name| name.to_string())
        .unwrap_or_default()
}

/// A refusal made by the contract crate, sent through the daemon's own error so that it
/// is wire-safe like every other (the options' keys come from the caller).
fn refused(e: leovms_api::Error) -> leovms_api::Error {
    let kind = e.kind().unwrap_or(leovms_api::ErrorKind::Internal);
    Error::new(kind, e.message()).into()
}

pub struct JobInterface {
    job: Arc<Job>,
}

impl JobInterface {
    pub fn new(job: Arc<Job>) -> Self {
        JobInterface { job }
    }
}

#[interface(name = "org.leovms.Job1")]
impl JobInterface {
    async fn cancel(&self) -> Result<(), Reply> {
        if !self.job.is_active() {
            return Err(
                Error::new(leovms_api::ErrorKind::Busy, "This job has already ended.")
                    .said("job-ended", &[])
                    .into(),
            );
        }
        if self.job.phase() == Phase::Running {
            return Err(Error::new(
                leovms_api::ErrorKind::Busy,
                format!(
                    "{} is already running; use Stop to power it off.",
                    self.job.vm
                ),
            )
            .said("cancel-running", &[("vm", &self.job.vm)])
            .into());
        }
        self.job.cancel.cancel();
        Ok(())
    }

    #[zbus(property)]
    async fn kind(&self) -> JobKind {
        self.job.kind
    }
    #[zbus(property)]
    async fn vm(&self) -> String {
        self.job.vm.clone()
    }
    #[zbus(property)]
    async fn snapshot(&self) -> String {
        self.job.snapshot.clone()
    }
    #[zbus(property)]
    async fn requester(&self) -> String {
        self.job.requester.clone()
    }
    #[zbus(property)]
    async fn phase(&self) -> Phase {
        self.job.snapshot().phase
    }
    #[zbus(property)]
    async fn state(&self) -> JobState {
        self.job.snapshot().state
    }
    #[zbus(property)]
    async fn bytes_done(&self) -> u64 {
        self.job.snapshot().bytes_done
    }
    #[zbus(property)]
    async fn bytes_total(&self) -> u64 {
        self.job.snapshot().bytes_total
    }
    #[zbus(property)]
    async fn rate(&self) -> u64 {
        self.job.snapshot().rate
    }
    #[zbus(property)]
    async fn eta_seconds(&self) -> i64 {
        self.job.snapshot().eta_seconds
    }
    #[zbus(property)]
    async fn error_id(&self) -> String {
        self.job.snapshot().error_id
    }
    #[zbus(property)]
    async fn message(&self) -> String {
        self.job.snapshot().message
    }
    #[zbus(property)]
    async fn detail(&self) -> leovms_api::Detail {
        self.job.snapshot().detail
    }

    #[zbus(signal)]
    async fn progress(
        emitter: &SignalEmitter<'_>,
        phase: Phase,
        bytes_done: u64,
        bytes_total: u64,
        rate: u64,
        eta_seconds: i64,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn finished(
        emitter: &SignalEmitter<'_>,
        state: JobState,
        error_id: &str,
        message: &str,
        detail: &leovms_api::Detail,
    ) -> zbus::Result<()>;
}

/// Puts the job registry's events on the bus: a new job's object (before its caller
/// gets the path), its signals, its removal, and machines' state changes.
pub async fn forward_jobs(conn: zbus::Connection, mut events: UnboundedReceiver<Event>) {
    let server = conn.object_server();
    let Ok(manager) = SignalEmitter::new(&conn, leovms_api::MANAGER_PATH) else {
        return;
    };
    while let Some(event) = events.recv().await {
        match event {
            Event::Added(job, on_bus) => {
                match server.at(&job.path, JobInterface::new(job.clone())).await {
                    Ok(_) => {
                        tokio::spawn(forward_progress(conn.clone(), job.clone()));
                        let _ = ManagerInterface::job_added(&manager, job.path.as_ref()).await;
                    }
                    Err(e) => tracing::warn!("cannot put job {} on the bus: {e}", job.id),
                }
                let _ = on_bus.send(());
            }
            Event::Removed(job) => {
                let _ = server.remove::<JobInterface, _>(&job.path).await;
                let _ = ManagerInterface::job_removed(&manager, job.path.as_ref()).await;
            }
            Event::MachineChanged(vm, state) => {
                let _ = ManagerInterface::machine_changed(&manager, &vm, state).await;
            }
        }
    }
}

/// Sends a job's changes as signals: woken by each change, at most every
/// [`PROGRESS_INTERVAL`], and `Finished` once at the end.
async fn forward_progress(conn: zbus::Connection, job: Arc<Job>) {
    let mut changes = job.subscribe();
    let Ok(iface) = conn
        .object_server()
        .interface::<_, JobInterface>(&job.path)
        .await
    else {
        return;
    };
    let emitter = iface.signal_emitter().clone();
    // The sentence last announced: a job may say something new within a phase (waiting
    // for another user's copy, the printer it prints on).
    let mut told = (String::new(), leovms_api::Detail::new());
    loop {
        let entered = job.take_entered();
        let s = job.snapshot();
        for (phase, done) in &entered {
            let _ = JobInterface::progress(&emitter, *phase, *done, s.bytes_total, 0, -1).await;
        }
        if !entered.is_empty() {
            let _ = iface.get().await.phase_changed(&emitter).await;
        }
        if (&s.message, &s.detail) != (&told.0, &told.1) {
            let me = iface.get().await;
            let _ = me.message_changed(&emitter).await;
            let _ = me.detail_changed(&emitter).await;
            told = (s.message.clone(), s.detail.clone());
        }
        let _ = JobInterface::progress(
            &emitter,
            s.phase,
            s.bytes_done,
            s.bytes_total,
            s.rate,
            s.eta_seconds,
        )
        .await;
        if s.state != JobState::Active {
            let me = iface.get().await;
            let _ = me.state_changed(&emitter).await;
            let _ = me.error_id_changed(&emitter).await;
            let _ =
                JobInterface::finished(&emitter, s.state, &s.error_id, &s.message, &s.detail).await;
            return;
        }
        tokio::time::sleep(PROGRESS_INTERVAL).await;
        if changes.changed().await.is_err() {
            return;
        }
    }
}

/// Re-checks the shares whenever the kernel's mount table changes and signals the
/// properties that changed (no timer: a mount or unmount is what wakes it).
/// Signals share changes: `DataShare`/`UploadShare` when a mount appears, vanishes or
/// stops answering, and `MachinesChanged` when the list of machines may have changed
/// (the share came or went, or files changed on it where the file system reports
/// changes; network file systems mostly do not, and every listing re-reads the share).
pub async fn forward_mount_changes(conn: zbus::Connection, share: Arc<Share>, data: PathBuf) {
    let watched =
        blocking(|| crate::mount::watch_mount_table().map_err(|e| Error::internal(e.to_string())));
    let mut mounts = match watched.await {
        Ok(rx) => rx,
        Err(e) => {
            tracing::warn!("mount changes cannot be watched: {}", e.message);
            return;
        }
    };
    let Ok(iface) = conn
        .object_server()
        .interface::<_, ManagerInterface>(leovms_api::MANAGER_PATH)
        .await
    else {
        return;
    };
    let mut last = (share.data_info().await, share.upload_info().await);
    let mut files = watch_share(&data, &last.0).await;
    loop {
        let file_event = async {
            match files.as_mut() {
                Some((_, rx)) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            changed = mounts.recv() => if changed.is_none() { return },
            _ = file_event => {
                let _ = ManagerInterface::machines_changed(iface.signal_emitter()).await;
                continue;
            }
        }
        let now = (share.data_info().await, share.upload_info().await);
        let me = iface.get().await;
        if now.0 != last.0 {
            tracing::info!("leovms-data: {} ({})", now.0.state, now.0.reason);
            let _ = me.data_share_changed(iface.signal_emitter()).await;
            let _ = ManagerInterface::machines_changed(iface.signal_emitter()).await;
            files = watch_share(&data, &now.0).await;
        }
        if now.1 != last.1 {
            let _ = me.upload_share_changed(iface.signal_emitter()).await;
        }
        last = now;
    }
}

type ShareWatch = (notify::RecommendedWatcher, tokio::sync::mpsc::Receiver<()>);

/// File change notifications of the share while it answers; set up off the main loop
/// and given up after a few seconds, since a dying network mount may hang the set-up
/// (bounded tighter than [`Share::read`]: no caller waits, and it is only a hint).
async fn watch_share(data: &Path, share: &ShareInfo) -> Option<ShareWatch> {
    if share.state != ShareState::Online {
        return None;
    }
    let dir = data.to_path_buf();
    let setup = blocking(move || crate::watch::changes(&dir));
    match tokio::time::timeout(Duration::from_secs(3), setup).await {
        Ok(Ok(watch)) => Some(watch),
        Ok(Err(e)) => {
            tracing::info!("share changes are not watched: {}", e.message);
            None
        }
        _ => None,
    }
}
