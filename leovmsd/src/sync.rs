//! Keeping VMs for offline use: `Sync` copies a VM's archives into the cache and pins
//! them, `Unsync` unpins and frees, `PlanSync` tells what a sync would do.

use std::sync::Arc;
use std::time::Duration;

use leovms_api::{ErrorKind, Eviction, JobKind, Phase, SyncPlan};
use zbus::zvariant::OwnedObjectPath;

use crate::blocking::blocking;
use crate::cache::{self, CacheDir, Pin, Planned, plan};
use crate::catalog::{ArchiveRef, VmEntry};
use crate::daemon::Daemon;
use crate::error::{Error, Outcome, Result};
use crate::in_use::InUse;
use crate::job::Job;
use crate::jobs::{Admit, NewJob, active};
use crate::pc_store::PcStore;
use crate::share::Share;
use crate::space::gb;
use crate::view::View;

struct Request {
    view: View,
    vm: VmEntry,
    snapshots: Vec<String>,
    wanted: Vec<ArchiveRef>,
}

impl Daemon {
    /// Admits a sync: joins an identical one in progress, else plans it and runs the job.
    pub async fn sync(
        self: &Arc<Self>,
        vm: &str,
        snapshots: Vec<String>,
        requester: &str,
    ) -> Result<OwnedObjectPath> {
        let vm = leovms_image::name::SafeName::new(vm)?;
        let key = selection_key(&snapshots);
        if let Admit::Join(job) = self.jobs.check(|jobs| admit(jobs, &vm, &key))? {
            return Ok(job.path.clone());
        }
        self.share.require().await?;
        let id = vm.to_string();
        let request = self
            .read_share(move |d| d.sync_request(&id, snapshots))
            .await?;
        let ctx = Ctx {
            share: self.share.clone(),
            in_use: self.in_use.clone(),
            pc_store: self.pc_store.clone(),
            stall: self.settings.stall(),
        };
        let new = NewJob {
            kind: JobKind::Sync,
            vm: &vm,
            snapshot: &key,
            ram_mb: None,
            requester,
        };
        self.jobs
            .launch(
                new,
                |jobs| admit(jobs, &vm, &key),
                move |job| async move { run(ctx, &job, request).await },
            )
            .await
    }

    fn sync_request(&self, vm: &str, snapshots: Vec<String>) -> Result<Request> {
        let view = View::load(&self.settings, true)?;
        let vm = view.machine(vm)?;
        let wanted = View::wanted(&vm, &snapshots)?;
        Ok(Request {
            view,
            vm,
            snapshots,
            wanted,
        })
    }

    /// What a sync would copy and evict; changes nothing.
    pub fn plan_sync(&self, vm: &str, snapshots: Vec<String>) -> Result<SyncPlan> {
        let r = self.sync_request(vm, snapshots)?;
        let id = r.vm.id.to_string();
        let labels = crate::cache_report::labels(&r.view);
        let plan = match r.view.caches.plan(&id, &r.wanted, &self.in_use.now()) {
            Ok(p) => sync_plan(&id, &p, &labels),
            Err(e) if e.kind == ErrorKind::NoSpace => {
                // Numbers of the first cache, where the VM would have gone.
                let dir = &r.view.caches.dirs[0];
                let (cached, missing): (Vec<_>, Vec<_>) = r
                    .wanted
                    .iter()
                    .partition(|a| r.view.caches.find(&id, a).is_some());
                SyncPlan {
                    vm: id.clone(),
                    cache: dir.root.display().to_string(),
                    needed: missing.iter().map(|a| a.size).sum(),
                    present: cached.iter().map(|a| a.size).sum(),
                    free: crate::space::available(&dir.root).unwrap_or(0),
                    limit: dir.limit,
                    used: dir.used(),
                    evict: Vec::new(),
                    problem: e.message,
                    problem_detail: e.detail,
                }
            }
            Err(e) => return Err(e),
        };
        Ok(plan)
    }

    /// Unpins `vm` for this user and removes its archives nobody else pinned and no
    /// running VM was made from. Returns the bytes freed and the hashes of the VM's
    /// archives this PC held (for the store's pins).
    pub fn unsync(&self, vm: &str, online: bool) -> Result<(u64, Vec<[u8; 32]>)> {
        let vm = leovms_image::name::SafeName::new(vm)?;
        let view = View::load(&self.settings, online)?;
        let me = rustix::process::geteuid().as_raw();
        for dir in &view.caches.dirs {
            let mut pins = dir.pins(me);
            if pins.vm.remove(vm.as_str()).is_some() {
                dir.save_pins(me, &pins)?;
            }
        }
        let pinned = view.caches.pinned();
        let in_use = self.in_use.now();
        let mut freed = 0;
        let mut held = Vec::new();
        for dir in &view.caches.dirs {
            for entry in dir.entries().into_iter().filter(|e| e.vm == vm.as_str()) {
                held.extend(leovms_api::store::parse_sha256(&entry.sha256));
                if !pinned.contains(&entry.sha256) && !in_use.contains(&entry.sha256) {
                    freed += dir.remove(&entry.vm, &entry.sha256)?;
                }
            }
        }
        Ok((freed, held))
    }
}

/// What a sync needs of the daemon, and no more.
struct Ctx {
    share: Arc<Share>,
    in_use: InUse,
    pc_store: Arc<PcStore>,
    /// How long a copy may make no progress before it counts as stalled.
    stall: Duration,
}

async fn run(ctx: Ctx, job: &Arc<Job>, r: Request) -> Result<Outcome> {
    // Shared with the file steps on the blocking pool.
    let r = Arc::new(r);
    let name = r.vm.image.name.clone();
    let id = r.vm.id.to_string();
    job.set_phase(Phase::Plan);
    let message = format!("Checking the cache for {name}");
    job.doing(&message, "doing-check-cache", &[("vm", &name)]);
    check_foreign_copies(job, &r).await?;
    let caches = r.view.caches.clone();
    let (wanted, in_use, plan_id) = (r.wanted.clone(), ctx.in_use.now(), id.clone());
    // Making room may wait (bounded) for the cache's lock, held by another user's daemon.
    let planned = blocking(move || {
        let planned = caches.plan(&plan_id, &wanted, &in_use)?;
        caches.make_room(&planned)?;
        Ok(planned)
    })
    .await?;
    job.set_total(planned.missing.iter().map(|a| a.size).sum());

    job.set_phase(Phase::Fetch);
    let message = format!("Copying {name} into the cache");
    job.doing(&message, "doing-copy", &[("vm", &name)]);
    let mut done = 0;
    let mut resumed = 0;
    for archive in &planned.missing {
        let fetched = cache::fetch(&planned.dir, &id, archive, job, done, ctx.stall).await?;
        resumed += fetched.resumed;
        done += archive.size;
    }
    {
        let (r, planned, id) = (r.clone(), planned.clone(), id.clone());
        blocking(move || {
            for archive in &r.wanted {
                if let Some(dir) = r
                    .view
                    .caches
                    .dirs
                    .iter()
                    .find(|dir| dir.find(&id, &archive.sha256_hex()).is_some())
                {
                    dir.touch(&id, &archive.sha256_hex());
                }
            }
            pin(&r, &planned)
        })
        .await?;
    }
    // The PC's store keeps the base for this user too, once it holds it.
    ctx.pc_store.pin(&r.vm.base.sha256, true).await;
    {
        let r = r.clone();
        let remembered = ctx
            .share
            .read(move || {
                crate::start_source::remember_for_offline(&r.view, &r.vm);
                Ok(())
            })
            .await;
        if let Err(e) = remembered {
            tracing::warn!("cannot keep {name} for offline use: {}", e.message);
        }
    }
    let size: u64 = r.wanted.iter().map(|a| a.size).sum();
    let dir = planned.dir.root.display();
    let mut message = format!("{name} is ready for offline use ({} in {dir}).", gb(size));
    if resumed > 0 {
        message.push_str(&format!(
            " An interrupted copy was continued: {} of it were already there.",
            gb(resumed)
        ));
    }
    let values: [(&str, &dyn std::fmt::Display); 4] = [
        ("vm", &name),
        ("size", &size),
        ("dir", &dir),
        ("resumed", &resumed),
    ];
    Ok(Outcome::from(message).said("synced", &values))
}

/// Archives another user copied into the cache could have been changed by that user
/// since: they are hashed again (and removed when damaged) before this user relies on
/// them offline. This user's and root's own copies are not.
async fn check_foreign_copies(job: &Arc<Job>, r: &Arc<Request>) -> Result<()> {
    let vm = r.vm.id.to_string();
    let (request, id) = (r.clone(), vm.clone());
    let foreign = blocking(move || Ok(foreign_copies(&request, &id))).await?;
    if foreign.is_empty() {
        return Ok(());
    }
    job.set_phase(Phase::Verify);
    job.set_total(foreign.iter().map(|f| f.2).sum());
    let runner = job.clone();
    blocking(move || {
        let mut done = 0;
        for (dir, sha, size) in foreign {
            if !crate::cache_report::intact(&dir, &vm, &sha, &runner, done)? {
                tracing::warn!("removing the damaged cache copy {vm}/{sha}");
                dir.remove(&vm, &sha)?;
            }
            done += size;
        }
        Ok(())
    })
    .await
}

/// The wanted archives another user copied into the cache: where, their hash and size.
/// Blocks.
fn foreign_copies(r: &Request, vm: &str) -> Vec<(CacheDir, String, u64)> {
    r.wanted
        .iter()
        .filter_map(|a| {
            let sha = a.sha256_hex();
            let dir = r
                .view
                .caches
                .dirs
                .iter()
                .find(|d| d.find(vm, &sha).is_some())?;
            (!dir.copied_by_me_or_root(vm, &sha)).then(|| (dir.clone(), sha, a.size))
        })
        .collect()
}

/// Records this user's choice in the cache that holds the VM (and only there). Blocks.
fn pin(r: &Request, planned: &Planned) -> Result<()> {
    let me = rustix::process::geteuid().as_raw();
    for dir in &r.view.caches.dirs {
        let mut pins = dir.pins(me);
        let changed = if dir.root == planned.dir.root {
            pins.vm.insert(
                r.vm.id.to_string(),
                Pin {
                    snapshots: r.snapshots.clone(),
                    archives: r.wanted.iter().map(ArchiveRef::sha256_hex).collect(),
                    revision: r.vm.revision.clone(),
                },
            );
            true
        } else {
            pins.vm.remove(r.vm.id.as_str()).is_some()
        };
        if changed {
            dir.save_pins(me, &pins)?;
        }
    }
    Ok(())
}

fn sync_plan(vm: &str, p: &Planned, labels: &crate::cache_report::Labels) -> SyncPlan {
    SyncPlan {
        vm: vm.to_owned(),
        cache: p.dir.root.display().to_string(),
        needed: p.budget.needed,
        present: p.present,
        free: p.budget.free,
        limit: p.budget.limit,
        used: p.budget.used,
        evict: p
            .evict
            .iter()
            .map(|e| Eviction {
                vm: e.vm.clone(),
                item: labels.item(&e.sha256),
                sha256: e.sha256[..16].to_owned(),
                size: e.size,
                last_used: e.last_used,
                reason: plan::reason(e),
            })
            .collect(),
        problem: String::new(),
        problem_detail: Default::default(),
    }
}

/// The job's `snapshot` field for a sync: the chosen ids, or empty for all.
fn selection_key(snapshots: &[String]) -> String {
    let mut ids: Vec<&str> = snapshots.iter().map(String::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.join(",")
}

/// The sync rules, seeing every job: an identical sync in progress is joined, one of the
/// same VM with other snapshots refused.
fn admit(jobs: &[Arc<Job>], vm: &str, key: &str) -> Result<Admit> {
    let Some(job) = active(jobs, JobKind::Sync, vm) else {
        return Ok(Admit::New);
    };
    if job.snapshot != key {
        return Err(Error::new(
            ErrorKind::Busy,
            format!(
                "{} is being synced right now with other snapshots. Wait until it is done, or cancel it.",
                job.vm
            ),
        ));
    }
    Ok(Admit::Join(job.clone()))
}
