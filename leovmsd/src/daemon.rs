//! The daemon's state: the share, the jobs, the records of running VMs and the archives
//! in use. The operations (start, sync, verify, upload) and the manager's questions are
//! answered in their own modules; this one only holds what they share.

use std::sync::Arc;
use std::time::Duration;

use leovms_api::{ErrorKind, JobKind, Phase};
use tokio::sync::mpsc;

use crate::blocking::blocking;
use crate::error::{Error, Result};
use crate::in_use::InUse;
use crate::jobs::{Event, Jobs, NewJob};
use crate::layout::Layout;
use crate::pc_store::PcStore;
use crate::print::Printing;
use crate::running::{Exit, Records};
use crate::settings::Settings;
use crate::share::Share;
use crate::vbox::VBox;

/// The longest `Stop` waits for a powered-off VM's window to close (its start job to end).
const STOP_LIMIT: Duration = Duration::from_secs(60);

/// What the log says while `Stop` waits for that (the tests wait for these words).
const STOP_WAITING: &str = "waiting for its VirtualBox window to close";

pub struct Daemon {
    pub settings: Settings,
    pub share: Arc<Share>,
    pub jobs: Arc<Jobs>,
    pub records: Arc<Records>,
    pub in_use: InUse,
    pub pc_store: Arc<PcStore>,
    pub printing: Arc<Printing>,
}

impl Daemon {
    /// The daemon and the events its jobs send, for the bus side to forward.
    pub fn new(settings: Settings) -> (Arc<Daemon>, mpsc::UnboundedReceiver<Event>) {
        let (jobs, events) = Jobs::new(Duration::from_secs(settings.keep_finished_secs));
        let daemon = Daemon {
            records: Arc::new(Records::new(&settings.state_dir())),
            share: Arc::new(Share::new(&settings)),
            pc_store: Arc::new(PcStore::new(settings.store != "off")),
            printing: Printing::new(jobs.clone()),
            settings,
            jobs,
            in_use: InUse::default(),
        };
        (Arc::new(daemon), events)
    }

    /// [`Share::read`] for answers made from the daemon's state.
    pub async fn read_share<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Daemon) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let this = self.clone();
        self.share.read(move || f(&this)).await
    }

    pub async fn layout(&self) -> Result<Layout> {
        self.share.layout().await
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

    /// Powers a running VM off and returns once it is gone: its start job has ended, so
    /// `ListMachines` says `off` and a new start is admitted. VirtualBox's window may take
    /// a moment to close after `controlvm poweroff` has returned; that wait is bounded.
    pub async fn stop(self: &Arc<Self>, vm: &str) -> Result<()> {
        let job = self
            .jobs
            .active(JobKind::Start, vm)
            .filter(|j| j.phase() == Phase::Running)
            .ok_or_else(|| not_running(vm))?;
        // Subscribed before anything happens, so that the end cannot be missed.
        let mut changed = job.subscribe();
        let layout = self.layout().await?;
        let records = self.records.clone();
        let rec = blocking(move || Ok(records.alive()))
            .await?
            .into_iter()
            .find(|r| r.vm == job.vm)
            .ok_or_else(|| not_running(vm))?;
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
            .said(
                "window-still-open",
                &[("vm", &vm), ("seconds", &STOP_LIMIT.as_secs())],
            )
        })
    }

    /// After a restart: VMs started by an earlier daemon are still running; follow them,
    /// and keep their archives in use until they end.
    pub async fn adopt_running(self: &Arc<Self>) {
        let records = self.records.clone();
        let alive = blocking(move || Ok(records.alive()))
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
            let held = self.in_use.hold(rec.archives.clone());
            let new = NewJob {
                kind: JobKind::Start,
                vm: &rec.vm,
                snapshot: &rec.snapshot,
                ram_mb: None,
                requester: "",
            };
            let job = self.jobs.adopt(new, &rec.vm).await;
            tracing::info!(vm = %rec.vm, pid = rec.pid, "found a running VM");
            let printer = match rec.print.clone() {
                Some(plan) => self.printing.watch(plan).await,
                None => None,
            };
            let (jobs, records) = (self.jobs.clone(), self.records.clone());
            tokio::spawn(async move {
                exit.wait().await;
                if let Some(printer) = printer {
                    printer.stop().await;
                }
                drop(held);
                let vm = rec.vm.clone();
                let _ = blocking(move || {
                    records.remove(&vm);
                    Ok(())
                })
                .await;
                jobs.finish(&job, Ok(crate::start::powered_off(&rec.vm)));
            });
        }
    }

    /// After a crash: temporary files of every VM this user has, so none lingers until
    /// that VM is started again, and the scratch disks of a killed upload.
    pub async fn remove_leftovers(self: &Arc<Self>) {
        let state_dir = self.settings.state_dir();
        let _ = blocking(move || {
            crate::upload_plan::remove_scratch_leftovers(&state_dir);
            Ok(())
        })
        .await;
        let Ok(layout) = self.layout().await else {
            return;
        };
        let jobs = self.jobs.clone();
        let _ = blocking(move || {
            let Ok(rd) = std::fs::read_dir(layout.vbox_home.join("Machines")) else {
                return Ok(());
            };
            for entry in rd.flatten() {
                let vm = entry.file_name().to_string_lossy().into_owned();
                if jobs.active(JobKind::Start, &vm).is_none() {
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

fn not_running(vm: &str) -> Error {
    Error::new(ErrorKind::NotRunning, format!("{vm} is not running."))
        .said("not-running", &[("vm", &vm)])
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use leovms_api::MachineState;

    use super::*;
    use crate::running::Record;
    use leovms_image::process::starttime;

    #[tokio::test]
    async fn a_vm_found_running_after_a_restart_keeps_its_archives_in_use_until_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = |p: &str| dir.path().join(p).display().to_string();
        let settings = Settings::parse_from([
            "leovmsd".into(),
            format!("--data={}", path("data")),
            format!("--upload={}", path("upload")),
            format!("--state-dir={}", path("state")),
        ]);
        let (daemon, events) = Daemon::new(settings);
        drop(events); // no bus here
        // The frontend an earlier daemon started.
        let mut frontend = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        let pid = frontend.id() as i32;
        daemon
            .records
            .save(&Record {
                vm: "vm-a".into(),
                snapshot: "s1".into(),
                uuid: uuid::Uuid::nil().to_string(),
                pid,
                starttime: starttime(pid).unwrap(),
                archives: vec!["base-sha".into(), "snap-sha".into()],
                print: None,
            })
            .unwrap();

        daemon.adopt_running().await;
        assert_eq!(daemon.jobs.machine_state("vm-a"), MachineState::Running);
        let held: Vec<String> = {
            let mut v: Vec<_> = daemon.in_use.now().into_iter().collect();
            v.sort();
            v
        };
        assert_eq!(
            held,
            ["base-sha", "snap-sha"],
            "never evicted while it runs"
        );

        let job = daemon.jobs.active(JobKind::Start, "vm-a").unwrap();
        let mut changes = job.subscribe();
        frontend.kill().unwrap();
        frontend.wait().unwrap();
        while job.is_active() {
            changes.changed().await.unwrap();
        }
        assert_eq!(daemon.jobs.machine_state("vm-a"), MachineState::Off);
        assert!(daemon.in_use.now().is_empty());
        assert!(daemon.records.alive().is_empty(), "its record is gone");
    }
}
