//! What is in the cache (`CacheStatus`) and whether it is intact (`VerifyCache`).

use std::collections::HashMap;
use std::sync::Arc;

use leovms_api::{CacheDir as CacheDirInfo, CacheEntry, CacheReport, JobKind, Phase};
use leovms_image::manifest;
use zbus::zvariant::OwnedObjectPath;

use crate::cache::{CacheDir, Entry};
use crate::daemon::Daemon;
use crate::error::{Error, Outcome, Result, detail};
use crate::job::Job;
use crate::jobs::{Admit, NewJob, active};
use crate::space::{self, gb};
use crate::view::View;

/// What each archive (sha256 hex) is: its item (`base` or a snapshot id), and whether the
/// share's current revision still uses it.
#[derive(Debug, Default)]
pub struct Labels {
    items: HashMap<String, (String, bool)>,
}

impl Labels {
    pub fn item(&self, sha256: &str) -> String {
        self.items
            .get(sha256)
            .map(|(i, _)| i.clone())
            .unwrap_or_default()
    }

    /// Online only: the share publishes a revision that no longer uses this archive.
    fn outdated(&self, online: bool, sha256: &str) -> bool {
        online && !self.items.get(sha256).is_some_and(|(_, current)| *current)
    }
}

/// Names the archives of the VMs the view knows: the share's current revisions, and
/// this user's offline copies (older revisions among them).
pub fn labels(view: &View) -> Labels {
    let mut labels = Labels::default();
    let mut add = |vm: &crate::catalog::VmEntry, current: bool| {
        let items = std::iter::once((&vm.base, "base".to_owned()))
            .chain(vm.snapshots.iter().map(|s| (&s.archive, s.id.to_string())));
        for (archive, item) in items {
            let slot = labels
                .items
                .entry(archive.sha256_hex())
                .or_insert((item, false));
            slot.1 |= current;
        }
    };
    if view.online
        && let Ok(vms) = view.machines()
    {
        for vm in vms.iter().filter_map(|(_, vm)| vm.as_ref().ok()) {
            add(vm, true);
        }
    }
    for (_, revisions) in view.offline.list() {
        for vm in revisions.iter().flatten() {
            add(vm, false);
        }
    }
    labels
}

impl Daemon {
    pub fn cache_status(&self, online: bool) -> Result<CacheReport> {
        let view = View::load(&self.settings, online)?;
        let labels = labels(&view);
        let pinned = view.caches.pinned();
        let mut dirs = Vec::new();
        let mut entries = Vec::new();
        for dir in &view.caches.dirs {
            let (problem, problem_detail) = if dir.root.is_dir() {
                Default::default()
            } else {
                let why = "not created yet (it is made at the first sync)";
                (why.to_string(), detail("cache-not-created", &[]))
            };
            dirs.push(CacheDirInfo {
                path: dir.root.display().to_string(),
                limit: dir.limit,
                used: dir.used(),
                free: space::available(&dir.root).unwrap_or(0),
                problem,
                problem_detail,
            });
            entries.extend(dir.entries().into_iter().map(|e| CacheEntry {
                item: labels.item(&e.sha256),
                outdated: labels.outdated(online, &e.sha256),
                pinned: pinned.contains(&e.sha256),
                sha256: e.sha256[..16].to_owned(),
                vm: e.vm,
                size: e.size,
                last_used: e.last_used,
                cache: dir.root.display().to_string(),
            }));
        }
        Ok(CacheReport { dirs, entries })
    }

    /// Starts re-hashing every archive in the caches.
    pub async fn verify_cache(self: &Arc<Self>, requester: &str) -> Result<OwnedObjectPath> {
        if let Admit::Join(job) = self.jobs.check(admit)? {
            return Ok(job.path.clone());
        }
        let online = self.share.online().await;
        let view = self
            .read_share(move |d| View::load(&d.settings, online))
            .await?;
        let new = NewJob {
            kind: JobKind::Verify,
            vm: "",
            snapshot: "",
            ram_mb: None,
            requester,
        };
        self.jobs
            .launch(
                new,
                admit,
                move |job| async move { verify(&job, view).await },
            )
            .await
    }
}

/// One check of the caches at a time: a second request follows the first.
fn admit(jobs: &[Arc<Job>]) -> Result<Admit> {
    Ok(match active(jobs, JobKind::Verify, "") {
        Some(job) => Admit::Join(job.clone()),
        None => Admit::New,
    })
}

async fn verify(job: &Arc<Job>, view: View) -> Result<Outcome> {
    job.set_phase(Phase::Plan);
    let entries: Vec<(usize, Entry)> = view
        .caches
        .dirs
        .iter()
        .enumerate()
        .flat_map(|(i, d)| d.entries().into_iter().map(move |e| (i, e)))
        .collect();
    job.set_total(entries.iter().map(|(_, e)| e.size).sum());
    job.set_phase(Phase::Verify);
    job.doing(
        "Checking the archives in the cache",
        "doing-check-archives",
        &[],
    );
    let runner = job.clone();
    let damaged = tokio::task::spawn_blocking(move || {
        let mut done = 0;
        let mut damaged = Vec::new();
        for (i, entry) in &entries {
            let dir = &view.caches.dirs[*i];
            if !intact(dir, &entry.vm, &entry.sha256, &runner, done)? {
                dir.remove(&entry.vm, &entry.sha256)?;
                damaged.push(format!("{}/{}", entry.vm, &entry.sha256[..16]));
            }
            done += entry.size;
        }
        Ok::<_, Error>((entries.len(), done, damaged))
    })
    .await
    .map_err(|e| Error::internal(e.to_string()))??;
    let (count, bytes, damaged) = damaged;
    if damaged.is_empty() {
        return Ok(Outcome::from(format!(
            "{count} archives checked ({}): all intact.",
            gb(bytes)
        ))
        .said("cache-intact", &[("count", &count), ("size", &bytes)]));
    }
    let list = damaged.join(", ");
    Ok(Outcome::from(format!(
        "{count} archives checked ({}), {} damaged and removed: {list}.",
        gb(bytes),
        damaged.len(),
    ))
    .said(
        "cache-damaged",
        &[
            ("count", &count),
            ("size", &bytes),
            ("damaged", &damaged.len()),
            ("list", &list),
        ],
    ))
}

/// Whether the archive's content still has the hash it is named by. Blocks.
pub fn intact(dir: &CacheDir, vm: &str, sha256: &str, job: &Job, offset: u64) -> Result<bool> {
    let path = dir.archive_path(vm, sha256);
    let file = dir.open_archive(vm, sha256)?;
    let mut read = 0u64;
    let (_, found) = manifest::sha256_pieces(
        file,
        |e| Error::io(path.display(), &e),
        |piece| {
            if job.cancel.is_cancelled() {
                return Err(Error::canceled());
            }
            read += piece.len() as u64;
            job.set_done(offset + read);
            Ok(())
        },
    )?;
    Ok(hex::encode(found) == sha256)
}
