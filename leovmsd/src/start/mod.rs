//! A start's admission: which request joins a start in progress, which one is refused
//! (one VM at a time), and the plan made before a job exists. The phases are in
//! [`run`].

mod base;
mod run;

pub use run::powered_off;

use std::sync::Arc;

use leovms_api::{ErrorKind, JobKind, Phase, StartOptions};
use leovms_image::name::SafeName;
use leovms_image::ram;
use zbus::zvariant::OwnedObjectPath;

use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::job::Job;
use crate::jobs::{Admit, NewJob, active};
use crate::print::PrintPlan;
use crate::view::View;
use crate::workcopy;
use run::StartPlan;

impl Daemon {
    /// Admits a start: joins an identical one in progress, refuses a VM that runs,
    /// checks what can be checked before a job exists, then runs the job.
    pub async fn start(
        self: &Arc<Self>,
        vm: &str,
        snapshot: &str,
        options: StartOptions,
        requester: &str,
    ) -> Result<OwnedObjectPath> {
        let vm = SafeName::new(vm)?;
        if !snapshot.is_empty() {
            SafeName::new(snapshot)?;
        }
        let ram_mb = options.ram_mb;
        if let Admit::Join(job) = self.jobs.check(|jobs| join(jobs, &vm, snapshot, ram_mb))? {
            return Ok(job.path.clone());
        }
        let online = self.share.online().await;
        let (vm_id, snap) = (vm.to_string(), snapshot.to_owned());
        let plan = self
            .read_share(move |d| plan(d, &vm_id, &snap, options, online))
            .await?;
        let ctx = run::Ctx {
            share: self.share.clone(),
            jobs: self.jobs.clone(),
            records: self.records.clone(),
            in_use: self.in_use.clone(),
            pc_store: self.pc_store.clone(),
            printing: self.printing.clone(),
            stall: self.settings.stall(),
        };
        let new = NewJob {
            kind: JobKind::Start,
            vm: &vm,
            snapshot,
            ram_mb,
            requester,
        };
        // Asked again when the job is registered: two calls may have raced to here.
        let rules = |jobs: &[Arc<Job>]| admit(jobs, &vm, snapshot, ram_mb);
        self.jobs
            .launch(new, rules, move |job| async move {
                run::run(ctx, &job, plan).await
            })
            .await
    }
}

/// The start rules, seeing every job: an identical start in progress is joined; a VM
/// that runs or starts with other settings is refused, and so is a second VM.
fn admit(jobs: &[Arc<Job>], vm: &str, snapshot: &str, ram_mb: Option<u32>) -> Result<Admit> {
    if let Admit::Join(job) = join(jobs, vm, snapshot, ram_mb)? {
        return Ok(Admit::Join(job));
    }
    match jobs
        .iter()
        .find(|j| j.kind == JobKind::Start && j.is_active())
    {
        Some(other) => Err(one_at_a_time(other, vm)),
        None => Ok(Admit::New),
    }
}

/// The rules for a start of `vm` while one is active: joined when identical.
fn join(jobs: &[Arc<Job>], vm: &str, snapshot: &str, ram_mb: Option<u32>) -> Result<Admit> {
    let Some(job) = active(jobs, JobKind::Start, vm) else {
        return Ok(Admit::New);
    };
    if job.phase() == Phase::Running {
        return Err(Error::new(
            ErrorKind::VmRunning,
            format!("{vm} is already running. Close it first, or use it as it is."),
        )
        .said("vm-running", &[("vm", &vm)]));
    }
    if job.snapshot != snapshot || (ram_mb.is_some() && ram_mb != job.ram_mb) {
        return Err(Error::new(
            ErrorKind::Busy,
            format!(
                "{vm} is being started right now with other settings. Wait until it runs, or cancel that start."
            ),
        )
        .said("starting-otherwise", &[("vm", &vm)]));
    }
    Ok(Admit::Join(job.clone()))
}

/// Refuses a second VM while another one starts or runs.
fn one_at_a_time(other: &Job, vm: &str) -> Error {
    if other.phase() == Phase::Running {
        return Error::new(
            ErrorKind::VmRunning,
            format!("{} is running. Close it before starting {vm}.", other.vm),
        )
        .said("other-vm-running", &[("vm", &vm), ("other", &other.vm)]);
    }
    Error::new(
        ErrorKind::Busy,
        format!(
            "{} is being started. Wait until it runs and close it before starting {vm}.",
            other.vm
        ),
    )
    .said("other-vm-starting", &[("vm", &vm), ("other", &other.vm)])
}

/// What the start will do: the VM as this user may see it, its snapshot (none: the
/// working copy as found), its RAM and VirtualBox. Reads the share.
fn plan(
    d: &Daemon,
    vm: &str,
    snapshot: &str,
    options: StartOptions,
    online: bool,
) -> Result<StartPlan> {
    let view = View::load(&d.settings, online)?;
    let vm = view.machine(vm)?;
    if let Some(why) = view.offline_problem(&vm) {
        return Err(why);
    }
    let snapshot = if snapshot.is_empty() {
        workcopy::as_found(&view.layout, &vm).map_err(|e| e.into_error(&vm.image.name))?;
        None
    } else {
        let snap = vm.snapshot(snapshot)?.clone();
        if let Some(why) = view.snapshot_problem(&vm, &snap) {
            return Err(why);
        }
        Some(snap)
    };
    let host_mb = ram::host_memory_mb().unwrap_or(4096);
    let ram_mb = ram::plan(&vm.image.ram, host_mb)
        .choose(options.ram_mb)
        .map_err(|e| Error::invalid(e.to_string()))?;
    let vbox = d.vbox(&view.layout)?;
    let home = crate::settings::Settings::home();
    let print = PrintPlan::resolve(&vm.id, &vm.image, &view.printer, &home);
    Ok(StartPlan {
        vm,
        snapshot,
        ram_mb,
        vbox,
        view,
        print,
    })
}
