//! Following the daemon: its bus name, its signals, and reading its state when it
//! (re)appears or says something changed.
//!
//! The daemon exits when idle and D-Bus starts it again on the next call. So the tray
//! asks it only once at start and then only in answer to its own signals: asking on a
//! timer would keep it awake forever. While it sleeps, the last known menu stays.
//! What can be uploaded is read along with the machines, and on its own when a job is
//! removed (a working copy that was in use may be free now).

use std::time::Duration;

use futures_util::StreamExt;
use leovms_api::job::{Finished, Progress};
use leovms_api::manager::{JobAdded, JobRemoved, MachineChanged, MachinesChanged};
use leovms_api::{
    BUS_NAME, JOBS_PATH, JobInfo, Leovms, MANAGER_INTERFACE, MANAGER_PATH, ManagerProxy, ShareInfo,
};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;
use zbus::fdo::PropertiesChanged;
use zbus::message::Type;
use zbus::proxy::CacheProperties;
use zbus::{Connection, Message, MessageStream};

use crate::actions::{explain, is_unknown_method, is_unreachable};
use crate::l10n::fl;
use crate::notify::{Notice, Notifier};
use crate::state::{Cache, Catalog, Daemon, End, Uploads, Vm};
use crate::tray::Ui;

/// Bursts of changes (a copy onto the share, a VM that stops) are read once.
const SETTLE: Duration = Duration::from_millis(250);
/// Room for the daemon's signals while the tray waits for an answer: a full queue would
/// hold up the connection, and with it that answer.
const QUEUE: usize = 1024;
const DATA_SHARE: &str = "DataShare";

/// What a signal asks to read again; each includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reread {
    Nothing,
    /// Only what can be uploaded (`ListUploadable`).
    Uploads,
    /// Machines, snapshots, cache, share and what can be uploaded.
    All,
}

struct Follower {
    manager: ManagerProxy<'static>,
    ui: Ui,
    notifier: Notifier,
}

/// Follows the daemon until the bus connection ends.
pub async fn run(
    conn: Connection,
    ui: Ui,
    notifier: Notifier,
    mut refresh: UnboundedReceiver<()>,
) -> zbus::Result<()> {
    // Subscribe first, read after: nothing that happens in between is missed.
    let dbus = zbus::fdo::DBusProxy::builder(&conn)
        .cache_properties(CacheProperties::No)
        .build()
        .await?;
    let mut owners = dbus
        .receive_name_owner_changed_with_args(&[(0, BUS_NAME)])
        .await?;
    // One stream for every signal of the daemon (manager, jobs, property changes), so
    // they are handled in the order they were sent: a job's `JobAdded` before its
    // `Progress`, also for jobs started by other clients.
    let rule = zbus::MatchRule::builder()
        .msg_type(Type::Signal)
        .sender(BUS_NAME)?
        .path_namespace(MANAGER_PATH)?
        .build();
    let mut signals = MessageStream::for_match_rule(rule, &conn, Some(QUEUE)).await?;
    // Uncached: a cached proxy would read every property now, and so start the daemon.
    let leovms = Leovms::new(&conn).await?;
    // For this connection, the menu's actions too: refusals in the user's language.
    leovms.enable_detail().await;
    let manager = leovms.manager().clone();
    let f = Follower {
        manager,
        ui,
        notifier,
    };
    // Once at start; the call starts the daemon if it sleeps.
    f.reload(true).await;
    let mut refresh_at: Option<Instant> = None;
    let mut reread = Reread::Nothing;
    loop {
        // Only armed by a change; without one the branch below is off.
        let deadline = refresh_at.unwrap_or_else(Instant::now);
        tokio::select! {
            change = owners.next() => {
                let Some(change) = change else { break };
                let Ok(args) = change.args() else { continue };
                if args.new_owner().is_some() {
                    tracing::info!("leovmsd is on the bus: reading its state");
                    // A new daemon knows nothing of this connection: ask again for the
                    // detail of refusals, so that they are worded in the user's language.
                    let _ = f.manager.enable_error_detail().await;
                    f.ui.update(|s| s.daemon_back()).await;
                    f.reload(true).await;
                    refresh_at = None;
                    reread = Reread::Nothing;
                } else {
                    tracing::info!("leovmsd left the bus: keeping the last known menu");
                    let notices = f.ui.update(|s| s.daemon_gone()).await.unwrap_or_default();
                    f.send(notices);
                }
            }
            msg = signals.next() => {
                let Some(msg) = msg else { break };
                match msg {
                    Ok(msg) => {
                        let asked = f.on_signal(&msg).await;
                        if asked != Reread::Nothing {
                            refresh_at.get_or_insert_with(|| Instant::now() + SETTLE);
                            reread = reread.max(asked);
                        }
                    }
                    Err(e) => tracing::warn!("unreadable signal: {e}"),
                }
            }
            Some(()) = refresh.recv() => {
                refresh_at.get_or_insert_with(|| Instant::now() + SETTLE);
                reread = Reread::All;
            }
            () = tokio::time::sleep_until(deadline), if refresh_at.is_some() => {
                refresh_at = None;
                match std::mem::replace(&mut reread, Reread::Nothing) {
                    Reread::All => f.reload(false).await,
                    Reread::Uploads => f.read_uploads().await,
                    Reread::Nothing => {}
                }
            }
        }
    }
    Err(zbus::Error::InputOutput(std::sync::Arc::new(
        std::io::Error::other("the session bus connection ended"),
    )))
}

impl Follower {
    fn send(&self, notices: impl IntoIterator<Item = Notice>) {
        for n in notices {
            self.notifier.send(n);
        }
    }

    /// Handles one signal of the daemon; says what should be read again. Each is decoded
    /// through the contract's types: a word this tray does not know (a newer daemon's)
    /// arrives as `Unknown`, and a signal whose arguments cannot be read is ignored.
    async fn on_signal(&self, msg: &Message) -> Reread {
        let header = msg.header();
        let Some(path) = header.path() else {
            return Reread::Nothing;
        };
        let path = path.as_str();
        let of_job = path.starts_with(JOBS_PATH);
        if let Some(signal) = JobAdded::from_message(msg.clone()) {
            if let Ok(args) = signal.args() {
                self.job_added(args.job.as_str()).await;
            }
            Reread::Nothing
        } else if let Some(signal) = JobRemoved::from_message(msg.clone()) {
            if let Ok(args) = signal.args() {
                let job = args.job.as_str();
                self.ui.update(|s| s.job_removed(job)).await;
            }
            Reread::Uploads
        } else if MachinesChanged::from_message(msg.clone()).is_some() {
            Reread::All
        } else if let Some(signal) = MachineChanged::from_message(msg.clone()) {
            if let Ok(args) = signal.args() {
                let (vm, state) = (args.vm, args.state);
                self.ui.update(|s| s.machine_changed(vm, state)).await;
            }
            // "As found", the cache and what can be uploaded may have changed with it.
            Reread::All
        } else if let Some(signal) = Progress::from_message(msg.clone()).filter(|_| of_job) {
            if let Ok(args) = signal.args() {
                let (phase, done, total) = (args.phase, args.bytes_done, args.bytes_total);
                let notice = self
                    .ui
                    .update(|s| s.job_progress(path, phase, done, total))
                    .await
                    .flatten();
                self.send(notice);
            }
            Reread::Nothing
        } else if let Some(signal) = Finished::from_message(msg.clone()).filter(|_| of_job) {
            // The error's kind decides nothing here: its words say it all.
            if let Ok(args) = signal.args() {
                let end = End::from_job_end(&leovms_api::client::JobEnd {
                    state: args.state,
                    error_id: args.error_id.to_string(),
                    message: args.message.to_string(),
                    detail: args.detail.clone(),
                });
                self.job_finished(path, end).await;
            }
            // A sync changes what is kept offline and the free cache space; any job
            // may change what can be uploaded (a VM that ran, an upload that ended).
            Reread::All
        } else if let Some(signal) =
            PropertiesChanged::from_message(msg.clone()).filter(|_| path == MANAGER_PATH)
        {
            self.properties_changed(&signal).await;
            Reread::Nothing
        } else {
            Reread::Nothing
        }
    }

    async fn job_added(&self, path: &str) {
        if let Some(info) = self.job_info(path).await {
            let notice = self.ui.update(|s| s.job_added(&info)).await.flatten();
            self.send(notice);
        }
    }

    async fn job_finished(&self, path: &str, end: End) {
        let known = self.ui.update(|s| s.knows_job(path)).await.unwrap_or(true);
        // A job that ended before it could be read: its object still tells what it was.
        let fallback = if known {
            None
        } else {
            self.job_info(path).await
        };
        let notice = self
            .ui
            .update(|s| s.job_finished(path, &end, fallback.as_ref()))
            .await
            .flatten();
        self.send(notice);
    }

    async fn job_info(&self, path: &str) -> Option<JobInfo> {
        match self.manager.list_jobs().await {
            Ok(jobs) => jobs.into_iter().find(|j| j.path.as_str() == path),
            Err(e) => {
                tracing::warn!("cannot read the jobs: {}", e.message());
                None
            }
        }
    }

    /// `DataShare` changed (a mount or unmount). Read from the signal itself: a cached
    /// property could miss the first change.
    async fn properties_changed(&self, signal: &PropertiesChanged) {
        let Ok(args) = signal.args() else {
            return;
        };
        if args.interface_name.as_str() != MANAGER_INTERFACE {
            return;
        }
        let share = match args.changed_properties.get(DATA_SHARE) {
            Some(value) => value
                .try_to_owned()
                .ok()
                .and_then(|v| ShareInfo::try_from(v).ok()),
            None if args.invalidated_properties.contains(&DATA_SHARE) => {
                self.manager.data_share().await.ok()
            }
            None => return,
        };
        if let Some(share) = share {
            tracing::info!("the VM share is {}", share.state);
            self.ui.update(|s| s.share = Some(share)).await;
        }
    }

    /// Reads machines, snapshots, the cache, the share and what can be uploaded (and the
    /// jobs, when the daemon is new to us).
    async fn reload(&self, with_jobs: bool) {
        let catalog = match self.catalog().await {
            Ok(c) => c,
            Err(e) if is_unreachable(&e) => {
                tracing::warn!("leovmsd cannot be reached: {}", e.message());
                let why = explain(&e);
                self.ui.update(|s| s.call_failed(&why, true)).await;
                return;
            }
            Err(e) => Catalog {
                problem: Some(explain(&e)),
                ..Default::default()
            },
        };
        let share = self.manager.data_share().await.ok();
        let uploads = self.uploads().await;
        if with_jobs {
            let jobs = self.manager.list_jobs().await.unwrap_or_default();
            self.ui
                .update(|s| {
                    s.reloaded(catalog, &jobs, share);
                    s.set_uploads(uploads);
                })
                .await;
        } else {
            self.ui
                .update(|s| {
                    s.set_catalog(catalog);
                    if share.is_some() {
                        s.share = share;
                    }
                    s.set_uploads(uploads);
                })
                .await;
        }
    }

    /// Reads what can be uploaded, and nothing else. Not when the daemon left the bus
    /// meanwhile: the call would only start it again.
    async fn read_uploads(&self) {
        let asleep = self.ui.update(|s| s.daemon == Daemon::Asleep).await;
        if asleep != Some(false) {
            return;
        }
        let uploads = self.uploads().await;
        self.ui.update(|s| s.set_uploads(uploads)).await;
    }

    /// One `ListUploadable`; `None` (the last known list stays) when the daemon cannot be
    /// reached.
    async fn uploads(&self) -> Option<Uploads> {
        match self.manager.list_uploadable().await {
            Ok(list) => Some(Uploads::Listed(list)),
            Err(e) if is_unreachable(&e) => {
                tracing::warn!("cannot list what can be uploaded: {}", e.message());
                None
            }
            Err(e) => {
                tracing::warn!("cannot list what can be uploaded: {}", e.message());
                let why = if is_unknown_method(&e) {
                    fl!("upload-unsupported")
                } else {
                    explain(&e)
                };
                Some(Uploads::Unreadable(why))
            }
        }
    }

    async fn catalog(&self) -> Result<Catalog, leovms_api::Error> {
        let machines = self.manager.list_machines().await?;
        let mut vms = Vec::with_capacity(machines.len());
        for machine in machines {
            let (snapshots, snapshots_problem) =
                match self.manager.list_snapshots(&machine.id).await {
                    Ok(s) => (s, String::new()),
                    Err(e) => (Vec::new(), explain(&e)),
                };
            vms.push(Vm {
                machine,
                snapshots,
                snapshots_problem,
            });
        }
        let cache = match self.manager.cache_status().await {
            Ok(report) => Cache::from_report(&report),
            Err(e) => Cache::Unusable(explain(&e)),
        };
        Ok(Catalog {
            vms,
            cache,
            problem: None,
        })
    }
}
