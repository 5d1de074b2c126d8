//! The archive cache: folders named by the share's `leovms-client.conf`, each with a size
//! limit, shared by every user of the PC. It holds archives exactly as on the share so
//! that VMs start without the share and start faster with it.

mod fetch;
pub mod plan;
pub mod store;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use leovms_api::ErrorKind;
use leovms_image::config::ClientConf;

pub use fetch::fetch;
pub use store::{CacheDir, Entry, Pin};

use crate::catalog::ArchiveRef;
use crate::error::{Error, Result};
use crate::space;
use plan::{Budget, Candidate};

/// Making room takes moments; a cache locked longer than this is held by someone who
/// does not let go (possibly on purpose), and the caller goes on without the cache.
const LOCK_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Default)]
pub struct Caches {
    pub dirs: Vec<CacheDir>,
}

/// What a copy into the cache will do.
#[derive(Debug, Clone)]
pub struct Planned {
    pub dir: CacheDir,
    /// Archives to copy.
    pub missing: Vec<ArchiveRef>,
    /// Bytes of the wanted archives already in a cache.
    pub present: u64,
    pub budget: Budget,
    /// Least recently used first.
    pub evict: Vec<Entry>,
}

impl Caches {
    pub fn from_conf(conf: &ClientConf) -> Caches {
        Caches {
            dirs: conf
                .caches
                .iter()
                .map(|c| CacheDir {
                    root: c.path.clone(),
                    limit: (c.limit_gb * 1e9) as u64,
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }

    /// The cached copy of an archive, in whichever cache holds it.
    pub fn find(&self, vm: &str, archive: &ArchiveRef) -> Option<PathBuf> {
        let sha = archive.sha256_hex();
        self.dirs.iter().find_map(|d| d.find(vm, &sha))
    }

    /// Archives some user of this PC pinned, in any cache.
    pub fn pinned(&self) -> HashSet<String> {
        self.dirs
            .iter()
            .flat_map(|d| d.all_pins())
            .flat_map(|(_, pins)| pins.vm.into_values())
            .flat_map(|pin| pin.archives)
            .collect()
    }

    /// This user's pin of `vm`, with the cache holding it.
    pub fn my_pin(&self, vm: &str) -> Option<(CacheDir, Pin)> {
        let me = rustix::process::geteuid().as_raw();
        self.dirs
            .iter()
            .find_map(|d| Some((d.clone(), d.pins(me).vm.get(vm)?.clone())))
    }

    /// Which cache `wanted` goes to and what must make room; refuses with needed and
    /// free when it fits nowhere. Blocks (reads the caches); call off the runtime.
    pub fn plan(
        &self,
        vm: &str,
        wanted: &[ArchiveRef],
        in_use: &HashSet<String>,
    ) -> Result<Planned> {
        if self.dirs.is_empty() {
            return Err(Error::config(
                "No cache is configured for this school (leovms-client.conf on the share), so VMs cannot be kept for offline use. Ask the admin.",
            ));
        }
        let (missing, present): (Vec<_>, Vec<_>) = wanted
            .iter()
            .cloned()
            .partition(|a| self.find(vm, a).is_none());
        let present = present.iter().map(|a| a.size).sum();
        let needed: u64 = missing.iter().map(|a| a.size).sum();
        let keep: HashSet<String> = wanted.iter().map(|a| a.sha256_hex()).collect();
        let keep: HashSet<&str> = keep.iter().map(String::as_str).collect();
        let pinned = self.pinned();
        // The cache that already holds the VM first, so that its archives stay together.
        let mut order: Vec<&CacheDir> = self.dirs.iter().collect();
        order.sort_by_key(|d| !d.holds_vm(vm));
        let mut first_problem = None;
        for dir in order {
            let budget = Budget {
                needed,
                free: space::available(&dir.root).unwrap_or(0),
                limit: dir.limit,
                used: dir.used(),
            };
            let candidates: Vec<Candidate> = dir
                .entries()
                .into_iter()
                .map(|entry| Candidate {
                    pinned: pinned.contains(&entry.sha256),
                    in_use: in_use.contains(&entry.sha256),
                    entry,
                })
                .collect();
            match plan::evictions(&budget, &candidates, &keep) {
                Ok(evict) => {
                    return Ok(Planned {
                        dir: dir.clone(),
                        missing,
                        present,
                        budget,
                        evict,
                    });
                }
                Err(why) => {
                    first_problem.get_or_insert_with(|| (dir.root.clone(), why));
                }
            }
        }
        let (root, why) = first_problem.unwrap_or_default();
        let values: [(&str, &dyn std::fmt::Display); 6] = [
            ("dir", &root.display()),
            ("need", &why.needed),
            ("free", &why.room),
            ("limit", &why.limit),
            ("used", &why.used),
            ("evictable", &why.evictable),
        ];
        Err(Error::new(
            ErrorKind::NoSpace,
            format!("Not enough space in the cache {}: {why}.", root.display()),
        )
        .said("cache-no-space", &values))
    }

    /// Removes unpinned archives nobody uses, least recently used first, from the caches on
    /// file system `fs` until `bytes` more are free there (for unpacking a start). Returns
    /// what went; `Err` when that cannot free enough (then nothing is removed). Blocks.
    pub fn free_on_filesystem(
        &self,
        fs: u64,
        bytes: u64,
        in_use: &HashSet<String>,
        keep: &HashSet<&str>,
    ) -> Result<Vec<Entry>, String> {
        let pinned = self.pinned();
        let dirs: Vec<&CacheDir> = self
            .dirs
            .iter()
            .filter(|d| d.root.is_dir() && space::filesystem_id(&d.root).ok() == Some(fs))
            .collect();
        let candidates: Vec<Candidate> = dirs
            .iter()
            .flat_map(|d| d.entries())
            .map(|entry| Candidate {
                pinned: pinned.contains(&entry.sha256),
                in_use: in_use.contains(&entry.sha256),
                entry,
            })
            .collect();
        let budget = Budget {
            needed: bytes,
            free: 0,
            limit: u64::MAX,
            used: 0,
        };
        let evict = plan::evictions(&budget, &candidates, keep).map_err(|m| m.to_string())?;
        for entry in &evict {
            if let Some(dir) = dirs.iter().find(|d| entry.path.starts_with(&d.root)) {
                let root = dir.prepare_root().map_err(|e| e.message)?;
                let _lock = store::lock_within(root, LOCK_LIMIT).map_err(|e| e.message)?;
                dir.remove(&entry.vm, &entry.sha256)
                    .map_err(|e| e.message)?;
                tracing::info!(
                    "evicted {}/{} to make room for unpacking",
                    entry.vm,
                    entry.sha256
                );
            }
        }
        Ok(evict)
    }

    /// Makes room as planned, under the cache's lock, so that two users' daemons never
    /// count the same free space twice. Blocks.
    pub fn make_room(&self, planned: &Planned) -> Result<()> {
        let root = planned.dir.prepare_root()?;
        let _lock = store::lock_within(root, LOCK_LIMIT)?;
        for entry in &planned.evict {
            let freed = planned.dir.remove(&entry.vm, &entry.sha256)?;
            tracing::info!(
                "evicted {}/{} ({} bytes, {})",
                entry.vm,
                entry.sha256,
                freed,
                plan::reason(entry)
            );
        }
        Ok(())
    }
}
