//! The `org.leovms.Store1` object: who may do what (polkit, the caller's uid from the
//! bus), the PC's limit and pins, and the jobs that make bases.

mod caller;
mod job;
mod polkit;
mod prewarm;
mod proc;
mod report;
mod room;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use leovms_api::store::{
    ACTION_ADD, ACTION_MANAGE, ACTION_PREWARM, STORE_BUS_NAME, STORE_JOBS_PATH, STORE_PATH,
    StoreEntry, VmReadiness, parse_sha256,
};
use leovms_api::{Error, ErrorKind};
use leovms_image::archive::Expected;
use leovms_image::config::StoreConf;
use leovms_store::{Kind, PinOwner, Store, StoreError, StoreErrorKind};
use tokio_util::sync::CancellationToken;
use zbus::interface;
use zbus::message::Header;
use zbus::zvariant::{OwnedFd, OwnedObjectPath};

use caller::Caller;
use job::StoreJob;
use polkit::authorize;

/// Running VM processes of one user that may hold bases: a student runs one VM at a
/// time; more would only keep bases from ever being evicted.
const LEASES_PER_USER: usize = 4;
/// Larger than any VM archive or base: a size beyond this is a mistake or an attack.
const MAX_BYTES: u64 = 16 << 40;

pub struct Settings {
    pub root: PathBuf,
    pub conf: PathBuf,
    pub idle_exit: Duration,
}

/// What every call and job shares.
pub struct State {
    store: Store,
    root: PathBuf,
    conf: PathBuf,
    /// The jobs making a base, by the archive's hash, with their paths.
    jobs: Mutex<HashMap<[u8; 32], (String, StoreJob)>>,
    /// The pre-warm job, when one runs, with its path.
    prewarm: Mutex<Option<(String, StoreJob)>>,
    /// What a pre-warm is fetching right now: making room must not take it.
    making: Mutex<HashSet<[u8; 32]>>,
    /// Why VMs of `presync` were not ready at the last pre-warm, by VM id.
    problems: Mutex<BTreeMap<String, String>>,
    /// The room swarm (docs/swarm.md), started at the first pre-warm with `[swarm]`.
    room: tokio::sync::OnceCell<Option<Arc<room::Room>>>,
    /// Until when the service stays to share with the room.
    sharing_until: Mutex<Option<Instant>>,
    next_job: AtomicU64,
    last_call: Mutex<Instant>,
}

/// Held while a pre-warm fetches an archive: until dropped, room is not made by
/// removing it.
struct Making<'s>(&'s State, [u8; 32]);

impl Drop for Making<'_> {
    fn drop(&mut self) {
        self.0.making.lock().expect("not poisoned").remove(&self.1);
    }
}

impl State {
    fn new(store: Store, root: PathBuf, conf: PathBuf) -> State {
        State {
            store,
            root,
            conf,
            jobs: Mutex::new(HashMap::new()),
            prewarm: Mutex::new(None),
            making: Mutex::new(HashSet::new()),
            problems: Mutex::new(BTreeMap::new()),
            room: tokio::sync::OnceCell::new(),
            sharing_until: Mutex::new(None),
            next_job: AtomicU64::new(1),
            last_call: Mutex::new(Instant::now()),
        }
    }

    fn making(&self, sha256: [u8; 32]) -> Making<'_> {
        self.making.lock().expect("not poisoned").insert(sha256);
        Making(self, sha256)
    }

    /// No job makes a base, no pre-warm runs, and the time to share with the room is
    /// over.
    fn idle(&self) -> bool {
        let sharing = self
            .sharing_until
            .lock()
            .expect("not poisoned")
            .is_some_and(|until| Instant::now() < until);
        self.jobs.lock().expect("not poisoned").is_empty()
            && self.prewarm.lock().expect("not poisoned").is_none()
            && !sharing
    }

    /// The room swarm, when store.toml has `[swarm]` and it could start (once per run of
    /// the service; a failure is logged and the share is used).
    async fn room(&self) -> Option<Arc<room::Room>> {
        let conf = self.settings().ok()?.swarm?;
        self.room
            .get_or_init(|| async {
                match room::Room::start(&self.root, &conf).await {
                    Ok(room) => Some(Arc::new(room)),
                    Err(e) => {
                        tracing::warn!("the room swarm cannot start, using the share: {e}");
                        None
                    }
                }
            })
            .await
            .clone()
    }

    /// An entry the store no longer holds: an archive is no longer shared with the room
    /// (the engine would keep the deleted file open and serve it). Blocks.
    fn removed(&self, entry: &leovms_store::Entry) {
        if let (Kind::Archive, Some(Some(room))) = (entry.kind, self.room.get()) {
            room.unshare(&entry.sha256);
        }
    }

    /// Stays to share with the room for `time` from now.
    fn share_for(&self, time: Duration) {
        *self.sharing_until.lock().expect("not poisoned") = Some(Instant::now() + time);
    }

    fn job_ended(&self, sha256: &[u8; 32]) {
        self.jobs.lock().expect("not poisoned").remove(sha256);
        self.called();
    }

    fn called(&self) {
        *self.last_call.lock().expect("not poisoned") = Instant::now();
    }

    /// The PC's settings; without a file, no limit but the disk and the default pins.
    fn settings(&self) -> Result<StoreConf, Error> {
        if !self.conf.exists() {
            return Ok(StoreConf::default());
        }
        StoreConf::load(&self.conf).map_err(|e| Error::new(ErrorKind::InvalidConfig, e.to_string()))
    }

    /// What making room must never take: pinned (by the file, a user or for all),
    /// leased by a running VM, being made right now, and `also`.
    fn keep(&self, conf: &StoreConf, also: Option<[u8; 32]>) -> Result<HashSet<[u8; 32]>, Error> {
        let io = |e: std::io::Error| store_error(StoreError::io("the store", &e));
        let mut keep: HashSet<_> = conf.pinned.iter().copied().collect();
        keep.extend(self.store.pinned().map_err(io)?);
        keep.extend(self.store.leased().map_err(io)?);
        keep.extend(self.jobs.lock().expect("not poisoned").keys().copied());
        keep.extend(self.making.lock().expect("not poisoned").iter().copied());
        keep.extend(also);
        Ok(keep)
    }

    /// Room for `need` bytes: within the PC's limit (least recently used entries go
    /// first) and on the disk, or a refusal naming both numbers. Blocks.
    fn make_room(&self, sha256: [u8; 32], need: u64) -> Result<(), Error> {
        let conf = self.settings()?;
        let keep = self.keep(&conf, Some(sha256))?;
        let limit = if conf.limit_gb.is_finite() {
            (conf.limit_gb * 1e9) as u64
        } else {
            u64::MAX
        };
        for gone in self
            .store
            .make_room(need, limit, &keep)
            .map_err(store_error)?
        {
            self.removed(&gone);
            tracing::info!(
                "removed {:?} {} to make room",
                gone.kind,
                hex::encode(gone.sha256)
            );
        }
        let free = free_bytes(&self.root)?;
        if need > free {
            return Err(Error::new(
                ErrorKind::NoSpace,
                format!(
                    "Not enough space for the store on this PC: {} needed, {} free.",
                    leovms_api::units::format_gb(need),
                    leovms_api::units::format_gb(free)
                ),
            ));
        }
        Ok(())
    }
}

pub struct Service {
    state: Arc<State>,
}

#[interface(name = "org.leovms.Store1")]
impl Service {
    async fn base(&self, sha256: &str) -> Result<String, Error> {
        self.state.called();
        let sha256 = sha(sha256)?;
        let Some(base) = self.state.store.base(&sha256) else {
            return Ok(String::new());
        };
        let _ = self.state.store.touch(Kind::Base, &sha256);
        Ok(base.display().to_string())
    }

    async fn add_base(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        archive: OwnedFd,
        sha256: &str,
        size: u64,
        unpacked: u64,
    ) -> Result<OwnedObjectPath, Error> {
        self.state.called();
        let sha256 = sha(sha256)?;
        if size == 0 || size > MAX_BYTES || unpacked > MAX_BYTES {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "No VM archive has these sizes.",
            ));
        }
        let caller = Caller::of(conn, &header).await?;
        authorize(conn, &caller.name, ACTION_ADD, false).await?;
        if let Some((path, job)) = self.state.jobs.lock().expect("not poisoned").get(&sha256) {
            job.requesters
                .lock()
                .expect("not poisoned")
                .insert(caller.uid);
            return Ok(object_path(path));
        }
        // The archive is unpacked from the descriptor, not kept: only the base takes room.
        let need = if self.state.store.base(&sha256).is_some() {
            0
        } else {
            unpacked
        };
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || state.make_room(sha256, need))
            .await
            .map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))??;

        let n = self.state.next_job.fetch_add(1, Ordering::Relaxed);
        let path = format!("{STORE_JOBS_PATH}/{n}");
        let job = StoreJob {
            cancel: CancellationToken::new(),
            requesters: Arc::new(Mutex::new(HashSet::from([caller.uid]))),
        };
        {
            let mut jobs = self.state.jobs.lock().expect("not poisoned");
            if let Some((path, job)) = jobs.get(&sha256) {
                // Another request came first while room was made.
                job.requesters
                    .lock()
                    .expect("not poisoned")
                    .insert(caller.uid);
                return Ok(object_path(path));
            }
            jobs.insert(sha256, (path.clone(), job.clone()));
        }
        if let Err(e) = conn.object_server().at(path.as_str(), job.clone()).await {
            self.state.job_ended(&sha256);
            return Err(Error::new(ErrorKind::Internal, e.to_string()));
        }
        tracing::info!(
            "user {} asks for base {}: {path}",
            caller.uid,
            hex::encode(sha256)
        );
        let expected = Expected {
            size,
            sha256,
            unpacked,
        };
        let file = File::from(std::os::fd::OwnedFd::from(archive));
        tokio::spawn(job::run(
            self.state.clone(),
            conn.clone(),
            path.clone(),
            job,
            file,
            expected,
        ));
        Ok(object_path(&path))
    }

    async fn lease(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        sha256: &str,
        vm: OwnedFd,
    ) -> Result<(), Error> {
        self.state.called();
        let sha256 = sha(sha256)?;
        let caller = Caller::of(conn, &header).await?;
        authorize(conn, &caller.name, ACTION_ADD, false).await?;
        if self.state.store.base(&sha256).is_none() {
            return Err(Error::new(
                ErrorKind::NotFound,
                "The store holds no such base.",
            ));
        }
        let pid = proc::running_pid_of(&std::os::fd::OwnedFd::from(vm), caller.uid)?;
        let io = |e: std::io::Error| store_error(StoreError::io("the store's leases", &e));
        let mine: HashSet<i32> = self
            .state
            .store
            .leases_now()
            .map_err(io)?
            .into_iter()
            .map(|(_, pid)| pid)
            .filter(|pid| proc::owner_of(*pid) == Some(caller.uid))
            .collect();
        if !mine.contains(&pid) && mine.len() >= LEASES_PER_USER {
            return Err(Error::new(
                ErrorKind::Busy,
                format!(
                    "{LEASES_PER_USER} of your running VMs hold bases already, the most the store keeps for one user."
                ),
            ));
        }
        self.state.store.lease(&sha256, pid).map_err(io)
    }

    async fn pin(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        sha256: &str,
        for_all: bool,
    ) -> Result<(), Error> {
        let (sha256, owner) = self.pin_request(&header, conn, sha256, for_all).await?;
        let conf = self.state.settings()?;
        self.state
            .store
            .pin(owner, &sha256, conf.user_pins)
            .map_err(store_error)
    }

    async fn unpin(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
        sha256: &str,
        for_all: bool,
    ) -> Result<(), Error> {
        let (sha256, owner) = self.pin_request(&header, conn, sha256, for_all).await?;
        self.state
            .store
            .unpin(owner, &sha256)
            .map_err(|e| store_error(StoreError::io("the store's pins", &e)))
    }

    async fn prune(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
    ) -> Result<u64, Error> {
        self.state.called();
        let caller = Caller::of(conn, &header).await?;
        authorize(conn, &caller.name, ACTION_MANAGE, true).await?;
        let state = self.state.clone();
        let removed = tokio::task::spawn_blocking(move || {
            let keep = state.keep(&state.settings()?, None)?;
            let removed = state.store.prune(&keep).map_err(store_error)?;
            removed.iter().for_each(|entry| state.removed(entry));
            Ok::<_, Error>(removed)
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))??;
        tracing::info!("user {} pruned {} entries", caller.uid, removed.len());
        Ok(removed.iter().map(|e| e.bytes).sum())
    }

    async fn prewarm(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
    ) -> Result<OwnedObjectPath, Error> {
        self.state.called();
        let caller = Caller::of(conn, &header).await?;
        authorize(conn, &caller.name, ACTION_PREWARM, true).await?;
        let job = StoreJob {
            cancel: CancellationToken::new(),
            requesters: Arc::new(Mutex::new(HashSet::from([caller.uid]))),
        };
        let path = {
            let mut running = self.state.prewarm.lock().expect("not poisoned");
            if let Some((path, job)) = running.as_ref() {
                job.requesters
                    .lock()
                    .expect("not poisoned")
                    .insert(caller.uid);
                return Ok(object_path(path));
            }
            let n = self.state.next_job.fetch_add(1, Ordering::Relaxed);
            let path = format!("{STORE_JOBS_PATH}/{n}");
            *running = Some((path.clone(), job.clone()));
            path
        };
        if let Err(e) = conn.object_server().at(path.as_str(), job.clone()).await {
            *self.state.prewarm.lock().expect("not poisoned") = None;
            return Err(Error::new(ErrorKind::Internal, e.to_string()));
        }
        tracing::info!("user {} asks to pre-warm: {path}", caller.uid);
        tokio::spawn(prewarm::run(
            self.state.clone(),
            conn.clone(),
            path.clone(),
            job,
        ));
        Ok(object_path(&path))
    }

    async fn readiness(&self) -> Result<Vec<VmReadiness>, Error> {
        self.state.called();
        prewarm::readiness(&self.state).await
    }

    async fn entries(&self) -> Result<Vec<StoreEntry>, Error> {
        self.state.called();
        let state = self.state.clone();
        let entries = tokio::task::spawn_blocking(move || state.store.entries())
            .await
            .map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?
            .map_err(|e| store_error(StoreError::io("the store", &e)))?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let kind = match e.kind {
                    Kind::Archive => "archive",
                    Kind::Base => "base",
                };
                (kind.to_owned(), hex::encode(e.sha256), e.bytes, e.last_used)
            })
            .collect())
    }
}

impl Service {
    /// The hash and whose pin it is, once polkit allowed the caller to change that pin:
    /// a user's own, or (administrators) the one for all users.
    async fn pin_request(
        &self,
        header: &Header<'_>,
        conn: &zbus::Connection,
        sha256: &str,
        for_all: bool,
    ) -> Result<([u8; 32], PinOwner), Error> {
        self.state.called();
        let sha256 = sha(sha256)?;
        let caller = Caller::of(conn, header).await?;
        let (owner, action) = if for_all {
            (PinOwner::All, ACTION_MANAGE)
        } else {
            (PinOwner::User(caller.uid), ACTION_ADD)
        };
        authorize(conn, &caller.name, action, for_all).await?;
        Ok((sha256, owner))
    }
}

/// Opens the store, serves it on the system bus and ends after `idle_exit` without
/// calls or jobs.
pub async fn serve(settings: Settings) -> Result<(), String> {
    let store = Store::open(&settings.root)
        .map_err(|e| format!("cannot open the store {}: {e}", settings.root.display()))?;
    let state = Arc::new(State::new(store, settings.root, settings.conf));
    let service = Service {
        state: state.clone(),
    };
    let _conn = zbus::connection::Builder::system()
        .and_then(|b| b.serve_at(STORE_PATH, service))
        .and_then(|b| b.name(STORE_BUS_NAME))
        .map_err(|e| format!("cannot reach the system bus: {e}"))?
        .build()
        .await
        .map_err(|e| format!("cannot serve {STORE_BUS_NAME} on the system bus: {e}"))?;
    tracing::info!("serving {STORE_BUS_NAME}");
    loop {
        let last = *state.last_call.lock().expect("not poisoned");
        tokio::time::sleep_until((last + settings.idle_exit).into()).await;
        let idle = state.idle()
            && state.last_call.lock().expect("not poisoned").elapsed() >= settings.idle_exit;
        if idle {
            tracing::info!("nothing to do: ending");
            return Ok(());
        }
        if !state.idle() {
            state.called();
        }
    }
}

fn sha(text: &str) -> Result<[u8; 32], Error> {
    parse_sha256(text).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            "Not a sha256: 64 characters 0-9 and a-f are expected.",
        )
    })
}

fn object_path(path: &str) -> OwnedObjectPath {
    OwnedObjectPath::try_from(path).expect("job paths are valid")
}

fn free_bytes(root: &Path) -> Result<u64, Error> {
    let stat = rustix::fs::statvfs(root)
        .map_err(|e| store_error(StoreError::io(root.display(), &e.into())))?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

pub(crate) fn store_error(e: StoreError) -> Error {
    let kind = match e.kind {
        StoreErrorKind::Integrity => ErrorKind::Integrity,
        StoreErrorKind::UnsafeArchive => ErrorKind::UnsafeArchive,
        StoreErrorKind::NoSpace => ErrorKind::NoSpace,
        StoreErrorKind::NotStored => ErrorKind::NotFound,
        StoreErrorKind::Canceled => ErrorKind::Canceled,
        StoreErrorKind::Io => ErrorKind::Io,
    };
    Error::new(kind, e.message)
}

#[cfg(test)]
mod tests {
    use zbus::object_server::Interface;

    use super::*;

    /// The committed interface XML (`dbus/NAME.xml`, shipped for foreign clients) is
    /// what the service's objects say of themselves.
    fn assert_committed(name: &str, object: &dyn Interface) {
        let mut xml = String::new();
        object.introspect_to_writer(&mut xml, 2);
        let path = format!("{}/../dbus/{name}.xml", env!("CARGO_MANIFEST_DIR"));
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            committed.contains(&xml),
            "{path} differs from the service; it says:\n{xml}"
        );
    }

    #[test]
    fn the_committed_interfaces_are_the_services() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("store");
        let state = Arc::new(State::new(
            Store::open(&root).unwrap(),
            root,
            tmp.path().join("store.toml"),
        ));
        assert_committed("org.leovms.Store1", &Service { state });
        let job = StoreJob {
            cancel: CancellationToken::new(),
            requesters: Arc::new(Mutex::new(HashSet::new())),
        };
        assert_committed("org.leovms.StoreJob1", &job);
    }
}
