//! Pre-warming (docs/prewarm.md): the VMs of the share's `presync`, read from the PC's
//! own mount of the share, verified and kept (bases unpacked, snapshot archives as they
//! are), so that the first start of the day needs nothing from the server. Afterwards
//! the store reports what it holds (`report_dir` of store.toml).
//!
//! The mount is the admin's (root's credentials, readable by every user); the service
//! opens its files without following links and trusts nothing but the manifest's hash.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use leovms_api::store::VmReadiness;
use leovms_api::{Error, ErrorKind, Phase};
use leovms_image::archive::Expected;
use leovms_image::dirfd::open_regular;
use leovms_image::manifest::ManifestEntry;
use leovms_image::readiness::{self, PROBLEM_MAX, Wanted};
use leovms_image::text::one_line;
use leovms_store::Kind;
use zbus::object_server::SignalEmitter;

use super::job::{StoreJob, end, remove, report_progress, send_phase};
use super::report;
use super::room::{self, Room, Torrent};
use super::{State, store_error};

/// How long reading the share's small files may take: a share that hangs (a server gone
/// with a hard mount) must not hold the service forever.
const SHARE_READ_LIMIT: Duration = Duration::from_secs(30);

/// What `presync` asks of this PC, read from the share: each VM's archives, or why the
/// VM cannot be had.
pub async fn plan(state: &Arc<State>) -> Result<Vec<(String, Result<Wanted, String>)>, Error> {
    let share = state.settings()?.share;
    let read = tokio::task::spawn_blocking(move || {
        std::fs::read_dir(&share).map_err(|e| {
            Error::new(
                ErrorKind::Offline,
                format!(
                    "The VM share is not mounted on this PC ({}: {e}).",
                    share.display()
                ),
            )
        })?;
        let presync = readiness::presync(&share)
            .map_err(|e| Error::new(ErrorKind::InvalidConfig, e.to_string()))?;
        Ok(presync
            .into_iter()
            .map(|vm| (vm.to_string(), readiness::wanted(&share, &vm)))
            .collect())
    });
    match tokio::time::timeout(SHARE_READ_LIMIT, read).await {
        Ok(joined) => joined.map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?,
        Err(_) => Err(Error::new(
            ErrorKind::Offline,
            "The VM share on this PC does not answer.",
        )),
    }
}

/// The archives of `wanted` the store does not hold yet.
fn missing<'w>(state: &State, wanted: &'w Wanted) -> Vec<&'w ManifestEntry> {
    let held = |e: &ManifestEntry| {
        if e.sha256 == wanted.base.sha256 {
            state.store.base(&e.sha256).is_some()
        } else {
            state.store.archive(&e.sha256).is_some()
        }
    };
    wanted.archives().filter(|e| !held(e)).collect()
}

/// Each VM of `presync`, ready or not and why: not held yet, or what went wrong last.
pub async fn readiness(state: &Arc<State>) -> Result<Vec<VmReadiness>, Error> {
    let plan = plan(state).await?;
    let problems = state.problems.lock().expect("not poisoned").clone();
    Ok(plan
        .into_iter()
        .map(|(vm, wanted)| {
            let problem = match &wanted {
                Err(why) => why.clone(),
                Ok(wanted) => match missing(state, wanted).as_slice() {
                    [] => String::new(),
                    missing => problems.get(&vm).cloned().unwrap_or_else(|| {
                        let paths: Vec<&str> = missing.iter().map(|e| e.path.as_str()).collect();
                        format!("Not fetched yet: {}.", paths.join(", "))
                    }),
                },
            };
            (vm, problem.is_empty(), problem)
        })
        .collect())
}

/// Runs the pre-warm job at `path` to its end, sends `Finished` and writes the report.
pub async fn run(state: Arc<State>, conn: zbus::Connection, path: String, job: StoreJob) {
    let emitter = SignalEmitter::new(&conn, path.clone())
        .expect("a valid job path")
        .into_owned();
    let result = prewarm(&state, &emitter, &job).await;
    // The report first, so that whoever saw the end finds it written.
    let writer = state.clone();
    let written = tokio::task::spawn_blocking(move || report::write(&writer)).await;
    if let Ok(Err(e)) = written {
        tracing::warn!("cannot write the readiness report: {e}");
    }
    // No longer joinable before the end is sent: a request after this starts anew
    // instead of waiting for an end it would never see.
    *state.prewarm.lock().expect("not poisoned") = None;
    state.called();
    let result = result.map(|()| String::new());
    end(&emitter, &path, "pre-warm", &result).await;
    remove(&conn, &path).await;
}

/// Every VM of `presync` in turn; a VM that fails does not stop the others. Ends with
/// the first VM's error when any is not ready.
async fn prewarm(
    state: &Arc<State>,
    emitter: &SignalEmitter<'static>,
    job: &StoreJob,
) -> Result<(), Error> {
    let plan = plan(state).await?;
    let total: u64 = plan
        .iter()
        .filter_map(|(_, w)| w.as_ref().ok())
        .flat_map(|w| missing(state, w))
        .map(|e| e.size)
        .sum();
    let room = state.room().await;
    let done = Arc::new(AtomicU64::new(0));
    let mut problems = BTreeMap::new();
    let mut first: Option<Error> = None;
    for (vm, wanted) in plan {
        let result = match wanted {
            Err(why) => Err(Error::new(ErrorKind::NotFound, why)),
            Ok(wanted) => warm(state, emitter, job, &wanted, room.as_ref(), &done, total).await,
        };
        if let Err(e) = result {
            if e.kind() == Some(ErrorKind::Canceled) {
                return Err(e);
            }
            let message = shown_problem(&e.message());
            tracing::warn!("pre-warm {vm}: {message}");
            problems.insert(vm.clone(), message);
            first.get_or_insert(e);
        }
    }
    if let Some(room) = &room {
        state.share_for(room.seed_for());
    }
    let count = problems.len();
    *state.problems.lock().expect("not poisoned") = problems.clone();
    match first {
        None => Ok(()),
        Some(e) => {
            let listed: Vec<String> = problems
                .iter()
                .map(|(vm, p)| format!("{vm}: {p}"))
                .collect();
            Err(Error::new(
                e.kind().unwrap_or(ErrorKind::Internal),
                format!("{count} VM(s) not ready. {}", listed.join(" ")),
            ))
        }
    }
}

/// One VM: each archive the store lacks, fetched (from the room when the PC takes part
/// in a swarm and the manifest lists a torrent, otherwise or when that fails from the
/// share) and verified; what it holds already counts as used now, and is shared with
/// the room. The VM's first failure ends it (it is not ready either way); the next
/// pre-warm fetches only what is still missing.
async fn warm(
    state: &Arc<State>,
    emitter: &SignalEmitter<'static>,
    job: &StoreJob,
    wanted: &Wanted,
    room: Option<&Arc<Room>>,
    done: &Arc<AtomicU64>,
    total: u64,
) -> Result<(), Error> {
    let share = state.settings()?.share.join(wanted.vm.as_str());
    for entry in wanted.archives() {
        let is_base = entry.sha256 == wanted.base.sha256;
        let kind = if is_base { Kind::Base } else { Kind::Archive };
        let held = match kind {
            Kind::Base => state.store.base(&entry.sha256).is_some(),
            Kind::Archive => state.store.archive(&entry.sha256).is_some(),
        };
        let archive = state.store.archive(&entry.sha256);
        // Read only when the room can use it: to fetch, or to share an archive held.
        let mut torrent = match (held, &archive) {
            (true, None) => None,
            _ => torrent_for(room, wanted, &share, entry).await,
        };
        if held {
            let _ = state.store.touch(kind, &entry.sha256);
            if let (Some((room, torrent)), Some(path)) = (&torrent, &archive) {
                room.share(entry.sha256, torrent, path);
            }
            continue;
        }
        let _making = state.making(entry.sha256);
        let need = if is_base {
            entry.unpacked.unwrap_or(entry.size)
        } else {
            entry.size
        };
        // From the room, a base's archive is kept too (the PC shares it). Without room
        // for both, the room is left out, not the VM.
        if is_base && archive.is_none() && torrent.is_some() {
            match make_room(state, entry.sha256, need + entry.size).await {
                Err(e) if e.kind() == Some(ErrorKind::NoSpace) => {
                    tracing::info!(
                        "{}: no room to keep {} for the room too; reading the share",
                        wanted.vm,
                        entry.path
                    );
                    torrent = None;
                }
                other => other?,
            }
        }
        make_room(state, entry.sha256, need).await?;
        let before = done.load(Ordering::Relaxed);
        let mut local = archive;
        if let (None, Some((room, torrent))) = (&local, &torrent) {
            match room::fetch(state, room, emitter, job, torrent, entry, before, total).await {
                Ok(path) => local = Some(path),
                Err(e) if e.kind() == Some(ErrorKind::Canceled) => return Err(e),
                Err(e) => tracing::warn!(
                    "{}: the room did not deliver {} ({}); reading the share",
                    wanted.vm,
                    entry.path,
                    e.message()
                ),
            }
        }
        // Shared at once, also while its base is unpacked from it.
        if let (Some((room, torrent)), Some(path)) = (&torrent, &local) {
            room.share(entry.sha256, torrent, path);
        }
        if is_base || local.is_none() {
            let file = match &local {
                Some(path) => open_regular(path)
                    .map_err(|e| Error::new(ErrorKind::Io, format!("{}: {e}", path.display())))?,
                None => open_on_share(&share, &entry.path)?,
            };
            let phase = if is_base {
                Phase::UnpackBase
            } else {
                Phase::Fetch
            };
            fetch(state, emitter, job, file, entry, phase, done, total).await?;
        }
        done.store(before + entry.size, Ordering::Relaxed);
    }
    Ok(())
}

/// Room for `need` bytes for the entry `sha256`, as [`State::make_room`] makes it.
async fn make_room(state: &Arc<State>, sha256: [u8; 32], need: u64) -> Result<(), Error> {
    let maker = state.clone();
    tokio::task::spawn_blocking(move || maker.make_room(sha256, need))
        .await
        .map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?
}

/// The torrent of `entry` when the PC takes part in a swarm and the manifest lists one,
/// read from the share within [`SHARE_READ_LIMIT`]; `None` (the share is read instead)
/// when there is none or it cannot be used.
async fn torrent_for<'r>(
    room: Option<&'r Arc<Room>>,
    wanted: &Wanted,
    share: &Path,
    entry: &ManifestEntry,
) -> Option<(&'r Arc<Room>, Torrent)> {
    let (room, listed) = (room?, wanted.torrent_of(entry)?.clone());
    let (share, archive) = (share.to_owned(), entry.clone());
    let read = tokio::task::spawn_blocking(move || room::read_torrent(&share, &archive, &listed));
    let why = match tokio::time::timeout(SHARE_READ_LIMIT, read).await {
        Ok(Ok(Ok(torrent))) => return Some((room, torrent)),
        Ok(Ok(Err(why))) => why,
        Ok(Err(e)) => e.to_string(),
        Err(_) => "the share does not answer".to_owned(),
    };
    tracing::warn!("{}: {} not from the room: {why}", wanted.vm, entry.path);
    None
}

#[allow(clippy::too_many_arguments)]
async fn fetch(
    state: &State,
    emitter: &SignalEmitter<'static>,
    job: &StoreJob,
    file: File,
    entry: &ManifestEntry,
    phase: Phase,
    done: &Arc<AtomicU64>,
    total: u64,
) -> Result<(), Error> {
    let before = done.load(Ordering::Relaxed);
    send_phase(emitter, phase, before, total).await;
    let read = Arc::new(AtomicU64::new(before));
    let reporter = report_progress(emitter.clone(), phase, read.clone(), total);
    let progress = |n: u64| read.store(before + n, Ordering::Relaxed);
    let expected = Expected {
        size: entry.size,
        sha256: entry.sha256,
        unpacked: entry.unpacked.unwrap_or(entry.size),
    };
    let stored = match phase {
        Phase::UnpackBase => {
            state
                .store
                .add_base(file, &expected, &progress, &job.cancel)
                .await
        }
        _ => {
            state
                .store
                .add_archive(file, &expected, &progress, &job.cancel)
                .await
        }
    };
    reporter.abort();
    stored.map(|_| ()).map_err(store_error)
}

/// A file of the VM's folder on the share, never through a link, never a FIFO.
pub(super) fn open_on_share(vm_dir: &Path, path: &str) -> Result<File, Error> {
    let full = vm_dir.join(path);
    open_regular(&full).map_err(|e| {
        Error::new(
            ErrorKind::Offline,
            format!("Cannot read {} on the share: {e}", full.display()),
        )
    })
}

/// One line of at most [`PROBLEM_MAX`] bytes, as the report keeps it.
fn shown_problem(message: &str) -> String {
    one_line(message, PROBLEM_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_one_bounded_line() {
        assert_eq!(shown_problem("a\nb\u{1b}c"), "a b c");
        let long = "ä".repeat(PROBLEM_MAX);
        let cut = shown_problem(&long);
        assert_eq!(cut.len(), PROBLEM_MAX);
        assert!(cut.chars().all(|c| c == 'ä'));
    }
}
