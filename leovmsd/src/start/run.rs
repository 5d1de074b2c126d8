//! The start of a VM, phase by phase: plan, fetch, unpack base, unpack snapshot,
//! configure, launch, running. Nothing is written before the plan has checked space,
//! VirtualBox and the running VMs.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use leovms_api::{ErrorKind, Phase};
use leovms_image::vbox::Nic;
use uuid::Uuid;

use crate::blocking::blocking;
use crate::catalog::{ArchiveRef, SnapEntry, VmEntry};
use crate::error::{Error, Outcome, Result};
use crate::in_use::InUse;
use crate::job::Job;
use crate::jobs::Jobs;
use crate::layout::CopyNote;
use crate::pc_store::{Lookup, PcStore};
use crate::print::{PrintPlan, Printing};
use crate::running::{Exit, Record, Records};
use crate::share::Share;
use crate::start_source::{Source, after_damage, prepare_base_parent, remember_for_offline};
use crate::vbox::VBox;
use crate::view::View;
use crate::{configure, network, space, unpack, workcopy};

use super::base;

/// How long VirtualBox may take to report a VM as running before we trust the
/// frontend process that is still alive.
const LAUNCH_GRACE: Duration = Duration::from_secs(90);
/// The PC's network cards and its routes, for the network rules of image.conf.
const SYS_NET: &str = "/sys/class/net";
const ROUTES: &str = "/proc/net/route";

/// What a start needs of the daemon, and no more.
pub struct Ctx {
    pub share: Arc<Share>,
    pub jobs: Arc<Jobs>,
    pub records: Arc<Records>,
    pub in_use: InUse,
    pub pc_store: Arc<PcStore>,
    pub printing: Arc<Printing>,
    /// How long a copy may make no progress before it counts as stalled.
    pub stall: Duration,
}

pub struct StartPlan {
    pub vm: VmEntry,
    /// `None`: start the working copy as found.
    pub snapshot: Option<SnapEntry>,
    pub ram_mb: u32,
    pub vbox: VBox,
    /// The share or, offline, this user's copies and the cache.
    pub view: View,
    /// Where the VM prints; `None`: printing is off.
    pub print: Option<PrintPlan>,
}

/// Runs a start to its end: the VM's end, when it came up. Its archives are in use
/// (never evicted) all that time.
pub async fn run(ctx: Ctx, job: &Arc<Job>, plan: StartPlan) -> Result<Outcome> {
    let archives: Vec<String> = std::iter::once(&plan.vm.base)
        .chain(plan.snapshot.iter().map(|s| &s.archive))
        .map(ArchiveRef::sha256_hex)
        .collect();
    let _held = ctx.in_use.hold(archives.clone());
    run_planned(&ctx, job, plan, archives).await
}

async fn run_planned(
    ctx: &Ctx,
    job: &Arc<Job>,
    plan: StartPlan,
    archives: Vec<String>,
) -> Result<Outcome> {
    let StartPlan {
        vm,
        snapshot,
        ram_mb,
        vbox,
        view,
        print,
    } = plan;
    // Shared with the file steps on the blocking pool.
    let (vm, view) = (Arc::new(vm), Arc::new(view));
    let layout = &view.layout;
    let name = vm.image.name.clone();
    let hash = vm.base.short_hash();
    let work = layout.work_dir(&vm.id);

    job.set_phase(Phase::Plan);
    job.doing(&format!("Checking {name}"), "doing-check", &[("vm", &name)]);
    let stored = ctx.pc_store.lookup(&vm.base).await;
    let Checked {
        mut base_dir,
        base_needed,
        uuid,
        cards,
    } = {
        let (view, vm, hash, stored) = (view.clone(), vm.clone(), hash.clone(), stored.clone());
        blocking(move || check(&view, &vm, &hash, stored)).await?
    };
    // The store makes a missing base; this user's own copy is made only without it.
    let store_makes_base = base_needed && stored == Lookup::Missing;
    let own_base = base_needed && !store_makes_base;
    refuse_running(&vbox, &uuid, &name).await?;
    {
        let (view, vm, snapshot) = (view.clone(), vm.clone(), snapshot.clone());
        let (base_dir, work, in_use) = (base_dir.clone(), work.clone(), ctx.in_use.now());
        // The space planner may wait for another user's daemon holding the cache's lock.
        blocking(move || {
            let layout = &view.layout;
            let own_parent = layout.base_dir(&vm.id, &vm.base.short_hash());
            let own_parent = own_parent.parent().unwrap_or(&layout.machines_dir);
            unpack::remove_leftovers(own_parent, &work);
            plan_space(&view, &vm, own_base, snapshot.as_ref(), &in_use)?;
            if own_base {
                prepare_base_parent(layout, &base_dir)?;
            }
            Ok(())
        })
        .await?;
    }
    let mut sources = Vec::new();
    if base_needed {
        sources.push(Source::plan(&ctx.share, &ctx.in_use, ctx.stall, &view, &vm, &vm.base).await?);
    }
    if let Some(s) = &snapshot {
        sources
            .push(Source::plan(&ctx.share, &ctx.in_use, ctx.stall, &view, &vm, &s.archive).await?);
    }
    job.set_total(sources.iter().map(Source::bytes).sum());

    job.set_phase(Phase::Fetch);
    let mut done = 0;
    let mut ready = Vec::new();
    for source in sources {
        ready.push(source.fetch(&vm, job, &mut done).await?);
    }
    ensure_not_canceled(job)?;
    let mut ready = ready.into_iter();

    let mut from_store = matches!(stored, Lookup::Holds(_));
    if base_needed {
        let archive = ready.next().expect("planned above");
        job.set_phase(Phase::UnpackBase);
        let message = format!("Unpacking the base image of {name}");
        job.doing(&message, "doing-unpack-base", &[("vm", &name)]);
        let store = store_makes_base.then_some(&*ctx.pc_store);
        let made = base::make(store, &view, &vm, &archive, &base_dir, job, done).await?;
        (base_dir, from_store) = (made.dir, made.from_store);
        done += archive.size;
    }
    if from_store {
        let (layout, vm) = (layout.clone(), vm.clone());
        blocking(move || {
            unpack::forget_own_copy(&layout, &vm.id, &vm.base.short_hash());
            Ok(())
        })
        .await?;
    }

    let disks = match &snapshot {
        Some(s) => {
            let archive = ready.next().expect("planned above");
            job.set_phase(Phase::UnpackSnapshot);
            let snapshot = &s.conf.name;
            let message = format!("Unpacking snapshot {snapshot}");
            job.doing(&message, "doing-unpack-snapshot", &[("snapshot", snapshot)]);
            let fits = disks_fit(&vm, &base_dir);
            let mut result = unpack::snapshot(&archive, &work, job, done, fits).await;
            if let Err(e) = &result
                && let Some(share) = after_damage(&view, &vm, &s.archive, &archive, e).await
            {
                let fits = disks_fit(&vm, &base_dir);
                result = unpack::snapshot(&share, &work, job, done, fits).await;
            }
            let report = result?;
            let (stale_in, keep) = (work.clone(), report.files.clone());
            blocking(move || workcopy::remove_stale(&stale_in, &keep)).await?;
            report.files.iter().map(|f| work.join(f)).collect()
        }
        None => {
            let work = work.clone();
            blocking(move || Ok(configure::working_disks(&work))).await?
        }
    };
    ensure_not_canceled(job)?;

    job.set_phase(Phase::Configure);
    job.doing(
        &format!("Configuring {name}"),
        "doing-configure",
        &[("vm", &name)],
    );
    let fresh = snapshot.is_some();
    vbox.unregister(&uuid).await?;
    {
        let (layout, vm, base_dir) = (layout.clone(), vm.clone(), base_dir.clone());
        blocking(move || {
            configure::write_settings(&layout, &vm, &base_dir, &disks, ram_mb, cards, fresh)?;
            workcopy::ensure_global_settings(&layout)
        })
        .await?;
    }
    vbox.register(&layout.settings_file(&vm.id)).await?;
    {
        let chosen = snapshot.as_ref().map(|s| s.id.to_string());
        let work = work.clone();
        blocking(move || {
            let note = CopyNote {
                snapshot: chosen.unwrap_or_else(|| {
                    CopyNote::read(&work)
                        .map(|n| n.snapshot)
                        .unwrap_or_default()
                }),
                base_hash: hash,
            };
            workcopy::remember(&work, &note)
        })
        .await?;
    }
    ensure_not_canceled(job)?;

    job.set_phase(Phase::Launch);
    job.doing(
        &format!("Starting {name}"),
        "doing-launch",
        &[("vm", &name)],
    );
    let logs = work.join("Logs");
    let log = logs.join("leovms-frontend.log");
    let child = {
        let (vbox, log) = (vbox.clone(), log.clone());
        blocking(move || {
            std::fs::create_dir_all(&logs).map_err(|e| Error::io(logs.display(), &e))?;
            vbox.spawn_frontend(&uuid, &log)
        })
        .await?
    };
    let pid = child.id().map(|p| p as i32).unwrap_or_default();
    if from_store {
        ctx.pc_store.lease(&vm.base, pid).await;
    }
    let mut exit = Exit::Child(child);
    {
        let record = Record {
            vm: vm.id.to_string(),
            snapshot: job.snapshot.clone(),
            uuid: uuid.to_string(),
            pid,
            starttime: 0,
            archives,
            print: print.clone(),
        };
        let records = ctx.records.clone();
        blocking(move || {
            records.save(&Record {
                starttime: leovms_image::process::starttime(pid).unwrap_or_default(),
                ..record
            })
        })
        .await?;
    }
    match wait_until_running(&vbox, &uuid, &mut exit, &log, job).await {
        Ok(None) => {}
        Ok(Some(code)) => {
            forget_record(&ctx.records, &vm.id).await;
            return ended(&name, Some(code), &log).await;
        }
        Err(e) => {
            forget_record(&ctx.records, &vm.id).await;
            return Err(e);
        }
    }

    if view.online {
        let (view, vm) = (view.clone(), vm.clone());
        let remembered = ctx
            .share
            .read(move || {
                remember_for_offline(&view, &vm);
                Ok(())
            })
            .await;
        if let Err(e) = remembered {
            tracing::warn!("cannot keep {name} for offline use: {}", e.message);
        }
    }
    // Watching before the VM is reported running: what it prints from then on is seen.
    let printer = match print {
        Some(plan) => ctx.printing.watch(plan).await,
        None => None,
    };
    job.set_phase(Phase::Running);
    job.vm_runs(&name);
    ctx.jobs.machine_changed(&vm.id);
    let code = exit.wait().await;
    if let Some(printer) = printer {
        printer.stop().await;
    }
    forget_record(&ctx.records, &vm.id).await;
    ended(&name, code, &log).await
}

/// What the plan phase learned before VirtualBox is asked.
struct Checked {
    base_dir: PathBuf,
    base_needed: bool,
    uuid: Uuid,
    cards: Option<Vec<Nic>>,
}

/// Where the base goes and whether it must be unpacked, this user's VirtualBox home,
/// the machine's UUID and its network cards. Blocks: reads the machines folder and the
/// PC's network cards.
fn check(view: &View, vm: &VmEntry, hash: &str, stored: Lookup) -> Result<Checked> {
    let layout = &view.layout;
    layout.prepare_vbox_home()?;
    let (base_dir, base_needed) = match stored {
        Lookup::Holds(dir) => (dir, false),
        Lookup::Missing | Lookup::Unavailable => (
            layout.base_dir(&vm.id, hash),
            !layout.base_ready(&vm.id, hash),
        ),
    };
    let uuid = configure::machine_uuid(vm)?;
    let host_nics = network::host_nics(Path::new(SYS_NET), Path::new(ROUTES));
    let cards = network::cards(&vm.image, view.facts, &host_nics)?;
    Ok(Checked {
        base_dir,
        base_needed,
        uuid,
        cards,
    })
}

/// The check of a snapshot's disks against the base, run where the snapshot is unpacked.
fn disks_fit(
    vm: &Arc<VmEntry>,
    base_dir: &Path,
) -> impl FnOnce(&[PathBuf]) -> Result<()> + Send + 'static {
    let (vm, base_dir) = (vm.clone(), base_dir.to_path_buf());
    move |staged| configure::check_disks(&*vm, &base_dir, staged)
}

/// The VM's record goes once its frontend has ended.
async fn forget_record(records: &Arc<Records>, vm: &str) {
    let (records, vm) = (records.clone(), vm.to_owned());
    let removed = blocking(move || {
        records.remove(&vm);
        Ok(())
    })
    .await;
    if let Err(e) = removed {
        tracing::warn!("{}", e.message);
    }
}

/// One VM at a time, as VirtualBox reports it (a VM started outside leovms counts too):
/// the PC's memory is planned for one VM, and its settings must not change under it.
async fn refuse_running(vbox: &VBox, uuid: &Uuid, name: &str) -> Result<()> {
    let running = vbox.running_vms().await?;
    if running.contains(uuid) {
        return Err(
            Error::new(ErrorKind::VmRunning, format!("{name} is already running."))
                .said("vm-running", &[("vm", &name)]),
        );
    }
    if !running.is_empty() {
        return Err(Error::new(
            ErrorKind::VmRunning,
            format!("Another virtual machine is running. Close it before starting {name}."),
        )
        .said("another-vm-running", &[("vm", &name)]));
    }
    Ok(())
}

/// Space for what this start will write, asked before anything is written. When a
/// cache shares the file system, its unpinned archives nobody uses make room first.
/// Blocks: stats the disks and may wait (bounded) for the cache's lock, held by another
/// user's daemon.
fn plan_space(
    view: &View,
    vm: &VmEntry,
    base_needed: bool,
    snapshot: Option<&SnapEntry>,
    in_use: &HashSet<String>,
) -> Result<()> {
    let base = if base_needed { vm.base.unpacked } else { 0 };
    let snap = snapshot.map_or(0, |s| s.archive.unpacked);
    let what = format!("starting {}", vm.image.name);
    let machines = view.layout.vm_machines_dir(&vm.id);
    let work = view.layout.work_dir(&vm.id);
    let needs = if space::filesystem_id(&machines)? == space::filesystem_id(&work)? {
        vec![(machines, base + snap)]
    } else {
        vec![(machines, base), (work, snap)]
    };
    let keep: HashSet<String> = std::iter::once(&vm.base)
        .chain(snapshot.map(|s| &s.archive))
        .map(ArchiveRef::sha256_hex)
        .collect();
    let keep: HashSet<&str> = keep.iter().map(String::as_str).collect();
    for (dir, need) in needs {
        let free = space::available(&dir)?;
        if need > free {
            let fs = space::filesystem_id(&dir)?;
            // Whatever cannot be freed, the refusal below names needed and free.
            let _ = view
                .caches
                .free_on_filesystem(fs, need - free, in_use, &keep);
        }
        space::ensure_fits(&dir, need, &what)?;
    }
    Ok(())
}

fn ensure_not_canceled(job: &Job) -> Result<()> {
    if job.cancel.is_cancelled() {
        return Err(Error::canceled());
    }
    Ok(())
}

/// Waits until VirtualBox reports the VM as running, woken by changes in the VirtualBox
/// home (VirtualBox writes its logs and state there), not by a timer.
/// `Ok(None)`: running. `Ok(Some(code))`: the frontend already ended.
async fn wait_until_running(
    vbox: &VBox,
    uuid: &Uuid,
    exit: &mut Exit,
    log: &Path,
    job: &Job,
) -> Result<Option<i32>> {
    let home = vbox.home.clone();
    let (_watcher, mut changes) = blocking(move || crate::watch::changes(&home)).await?;
    let deadline = tokio::time::Instant::now() + LAUNCH_GRACE;
    loop {
        if vbox.vm_state(uuid).await.is_ok_and(|s| s == "running") {
            return Ok(None);
        }
        tokio::select! {
            code = exit.wait() => {
                let code = code.unwrap_or(-1);
                if code == 0 {
                    return Ok(Some(0));
                }
                let vbox = frontend_message(log).await;
                return Err(Error::new(
                    ErrorKind::VBoxFailed,
                    format!("VirtualBox could not start the VM: {vbox}"),
                )
                .said("vbox-start-failed", &[("vbox", &vbox)]));
            }
            _ = changes.recv() => {}
            _ = tokio::time::sleep_until(deadline) => {
                tracing::warn!("VirtualBox did not confirm the start; its window is open, so it is taken as running");
                return Ok(None);
            }
            _ = job.cancel.cancelled() => {
                if vbox.poweroff(uuid).await.is_err() {
                    // Not running yet, so VirtualBox cannot power it off: without this
                    // a canceled start would still come up.
                    exit.terminate();
                }
                exit.wait().await;
                return Err(Error::canceled());
            }
        }
    }
}

async fn ended(name: &str, code: Option<i32>, log: &Path) -> Result<Outcome> {
    match code {
        Some(0) | None => Ok(powered_off(name)),
        Some(code) => {
            let vbox = frontend_message(log).await;
            Err(Error::new(
                ErrorKind::VBoxFailed,
                format!("{name} ended unexpectedly (VirtualBox exit code {code}): {vbox}"),
            )
            .said(
                "vm-ended",
                &[("vm", &name), ("code", &code), ("vbox", &vbox)],
            ))
        }
    }
}

/// The last lines VirtualBox's frontend wrote.
async fn frontend_message(log: &Path) -> String {
    let log = log.to_path_buf();
    let text = blocking(move || Ok(std::fs::read_to_string(&log).unwrap_or_default()))
        .await
        .unwrap_or_default();
    crate::vbox::vbox_message(&text, "")
}

/// What a start says when its VM was powered off.
pub fn powered_off(vm: &str) -> Outcome {
    Outcome::from(format!("{vm} was powered off.")).said("powered-off", &[("vm", &vm)])
}
