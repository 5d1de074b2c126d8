//! The room swarm in the store service (docs/swarm.md). With `[swarm]` in store.toml, a
//! pre-warm fetches each archive that has a torrent from the other PCs of its subnet
//! first (the seeders when the room gives nothing), verifies it against the manifest's
//! SHA-256, keeps it as a verified archive, and shares it read-only with the room for
//! `seed_minutes`. Whatever fails, the pre-warm reads the share instead.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use leovms_api::{Error, ErrorKind, Phase};
use leovms_image::archive::Expected;
use leovms_image::config::SwarmConf;
use leovms_image::dirfd::Dir;
use leovms_image::manifest::{ManifestEntry, read_small_file, sha256_reader};
use leovms_swarm::{Swarm, SwarmError, local_subnets, torrent};
use zbus::object_server::SignalEmitter;

use super::job::{StoreJob, report_progress, send_phase};
use super::{State, store_error};

/// The engine, started at the first pre-warm that needs it, and what it shares.
pub struct Room {
    swarm: Swarm,
    seed_for: std::time::Duration,
    /// By the archive's SHA-256: the torrent's info hash.
    shared: Mutex<HashMap<[u8; 32], String>>,
}

impl Room {
    /// Starts the engine with its state in `<store>/swarm` (the store user's own).
    pub async fn start(root: &Path, conf: &SwarmConf) -> Result<Room, String> {
        let state = Dir::open(root)
            .and_then(|root| root.create_sub("swarm", 0o700))
            .map_err(|e| format!("{}/swarm: {e}", root.display()))?
            .0;
        let peers = if conf.peers.is_empty() {
            local_subnets()
        } else {
            conf.peers.clone()
        };
        let swarm = Swarm::start(state.path(), conf, &peers)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(
            "room swarm on port {}, peers {}",
            conf.port,
            peers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(Room {
            swarm,
            seed_for: conf.seed_for,
            shared: Mutex::new(HashMap::new()),
        })
    }

    /// How long the service stays to share after a pre-warm.
    pub fn seed_for(&self) -> std::time::Duration {
        self.seed_for
    }

    /// Shares the verified archive `sha256` at `path` (the store's own, read-only), in
    /// the background: the engine first checks every piece, which takes a while for a
    /// large base, and the pre-warm goes on meanwhile.
    pub fn share(self: &Arc<Self>, sha256: [u8; 32], torrent: &Torrent, path: &Path) {
        {
            let mut shared = self.shared.lock().expect("not poisoned");
            if shared.contains_key(&sha256) {
                return;
            }
            shared.insert(sha256, torrent.info_hash.clone());
        }
        let (room, bytes, path) = (self.clone(), torrent.bytes.clone(), path.to_owned());
        let info_hash = torrent.info_hash.clone();
        tokio::spawn(async move {
            let seeded = match File::open(&path) {
                Ok(file) => room
                    .swarm
                    .seed(bytes, Arc::new(file))
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match seeded {
                // Removed from the store while the engine took it on: not shared after all.
                Ok(()) if room.is_shared(&sha256) => {}
                Ok(()) => room.swarm.forget(&info_hash).await,
                Err(e) => {
                    tracing::warn!("cannot share {}: {e}", path.display());
                    room.shared.lock().expect("not poisoned").remove(&sha256);
                    room.swarm.forget(&info_hash).await;
                }
            }
        });
    }

    fn is_shared(&self, sha256: &[u8; 32]) -> bool {
        self.shared
            .lock()
            .expect("not poisoned")
            .contains_key(sha256)
    }

    /// Stops sharing an archive the store no longer holds, and waits until the engine
    /// closed it, so that its space is free when this returns. Blocks: called on a
    /// blocking thread of the runtime (as making room and pruning are).
    pub fn unshare(&self, sha256: &[u8; 32]) {
        let Some(info_hash) = self.shared.lock().expect("not poisoned").remove(sha256) else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => runtime.block_on(self.swarm.forget(&info_hash)),
            Err(_) => tracing::warn!("cannot stop sharing {info_hash}: no runtime"),
        }
    }
}

/// A torrent file of the share, checked.
pub struct Torrent {
    pub bytes: Bytes,
    pub info_hash: String,
}

/// The torrent of `entry`, read from the VM's folder on the share: as the manifest
/// lists it (`torrent`) and fitting the archive.
pub fn read_torrent(
    vm_dir: &Path,
    entry: &ManifestEntry,
    torrent: &ManifestEntry,
) -> Result<Torrent, String> {
    let path = vm_dir.join(&torrent.path);
    let file = super::prewarm::open_on_share(vm_dir, &torrent.path).map_err(|e| e.message())?;
    let bytes = read_small_file(file, &path).map_err(|e| e.to_string())?;
    let (size, sha256) = sha256_reader(&bytes[..], |_| {}).map_err(|e| e.to_string())?;
    if (size, sha256) != (torrent.size, torrent.sha256) {
        return Err(format!("{} is not what the manifest says", path.display()));
    }
    let checked = torrent::check(&bytes, entry.size).map_err(|e| e.to_string())?;
    Ok(Torrent {
        bytes: Bytes::from(bytes),
        info_hash: checked.info_hash,
    })
}

/// Fetches the archive `entry` from the room into the store, verified: the phases
/// `fetch` (from the peers) and `verify` (the whole file against the manifest).
#[allow(clippy::too_many_arguments)]
pub async fn fetch(
    state: &State,
    room: &Room,
    emitter: &SignalEmitter<'static>,
    job: &StoreJob,
    torrent: &Torrent,
    entry: &ManifestEntry,
    before: u64,
    total: u64,
) -> Result<PathBuf, Error> {
    let (file, work) = state
        .store
        .begin_archive(&entry.sha256)
        .map_err(store_error)?;
    let done = Arc::new(AtomicU64::new(before));
    send_phase(emitter, Phase::Fetch, before, total).await;
    let reporter = report_progress(emitter.clone(), Phase::Fetch, done.clone(), total);
    let progress = |n: u64| done.store(before + n, Ordering::Relaxed);
    let started = Instant::now();
    let fetched = room
        .swarm
        .fetch(
            torrent.bytes.clone(),
            Arc::new(file),
            &progress,
            &job.cancel,
        )
        .await;
    reporter.abort();
    if let Err(e) = fetched {
        state.store.drop_work(&work);
        return Err(match e {
            SwarmError::Canceled => Error::new(ErrorKind::Canceled, "Canceled."),
            e => Error::new(ErrorKind::Offline, e.to_string()),
        });
    }
    tracing::info!(
        "fetched {} from the room in {:.1} s",
        entry.path,
        started.elapsed().as_secs_f64()
    );
    let expected = Expected {
        size: entry.size,
        sha256: entry.sha256,
        unpacked: entry.unpacked.unwrap_or(entry.size),
    };
    done.store(before, Ordering::Relaxed);
    send_phase(emitter, Phase::Verify, before, total).await;
    let reporter = report_progress(emitter.clone(), Phase::Verify, done.clone(), total);
    let stored = state
        .store
        .finish_archive(&work, &expected, &progress, &job.cancel)
        .await
        .map_err(store_error);
    reporter.abort();
    stored
}
