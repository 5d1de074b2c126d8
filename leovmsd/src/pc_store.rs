//! The PC's store service (`org.leovms.Store1` on the system bus), when the PC has one:
//! bases unpacked once for all users. This daemon hands it a descriptor of the archive
//! it opened itself (from the cache or its own mount of the share) with the hash and
//! size from the manifest, and follows the store's job in its own. Without the service
//! (a laptop, no system bus, a session polkit does not count as local) the daemon
//! unpacks its own copy as before.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use leovms_api::store::{
    StoreJobEvent, StoreJobProxy, StoreProxy, parse_sha256, subscribe_store_jobs,
};
use leovms_api::{ErrorKind, store::STORE_BUS_NAME};
use tokio::sync::OnceCell;
use zbus::names::BusName;
use zbus::zvariant::Fd;

use crate::blocking::blocking;
use crate::catalog::ArchiveRef;
use crate::error::Error;
use crate::job::Job;
use crate::trust;

/// What the store says about a base.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// It holds the base, in this folder, which only the store's user can have written.
    Holds(PathBuf),
    /// It does not hold it yet, but would make it.
    Missing,
    /// There is no store to ask.
    Unavailable,
}

/// Why the store did not make a base.
pub enum Refusal {
    /// The store cannot be used for this (not there, not allowed, ended, full): this
    /// daemon unpacks its own copy instead.
    FallBack(String),
    /// The archive itself was refused or the user canceled: the start ends with this.
    Final(Error),
}

pub struct PcStore {
    enabled: bool,
    conn: OnceCell<Option<zbus::Connection>>,
}

impl PcStore {
    /// `enabled: false` never asks the system bus (`LEOVMS_STORE=off`).
    pub fn new(enabled: bool) -> PcStore {
        PcStore {
            enabled,
            conn: OnceCell::new(),
        }
    }

    /// The system bus, connected once; `None` without one.
    async fn connection(&self) -> Option<&zbus::Connection> {
        if !self.enabled {
            return None;
        }
        let conn = self
            .conn
            .get_or_init(|| async {
                zbus::Connection::system()
                    .await
                    .inspect_err(|e| tracing::info!("no store: no system bus ({e})"))
                    .ok()
            })
            .await;
        conn.as_ref()
    }

    /// Whether the store holds the base made from `archive`. A folder the store names is
    /// used only when nobody but the store's own user (or root, or this user) can have
    /// changed it.
    pub async fn lookup(&self, archive: &ArchiveRef) -> Lookup {
        let Some(conn) = self.connection().await else {
            return Lookup::Unavailable;
        };
        let held = async {
            let store = StoreProxy::new(conn).await?;
            let path = store.base(&archive.sha256_hex()).await?;
            Ok::<_, leovms_api::Error>(path)
        };
        let path = match held.await {
            Ok(path) if path.is_empty() => return Lookup::Missing,
            Ok(path) => PathBuf::from(path),
            Err(e) => {
                tracing::info!("no store: {}", e.message());
                return Lookup::Unavailable;
            }
        };
        match self.trusted(conn, &path).await {
            Ok(()) => Lookup::Holds(path),
            Err(why) => {
                tracing::warn!("not using the store's {}: {why}", path.display());
                Lookup::Unavailable
            }
        }
    }

    /// Checks that `path` belongs to the user that owns the store's bus name.
    async fn trusted(
        &self,
        conn: &zbus::Connection,
        path: &Path,
    ) -> std::result::Result<(), String> {
        let dbus = zbus::fdo::DBusProxy::new(conn)
            .await
            .map_err(|e| e.to_string())?;
        let owner = dbus
            .get_connection_unix_user(BusName::try_from(STORE_BUS_NAME).expect("a valid name"))
            .await
            .map_err(|e| e.to_string())?;
        let path = path.to_owned();
        blocking(move || Ok(trust::check_path_owned_by(&path, owner)))
            .await
            .map_err(|e| e.message)?
    }

    /// Has the store make the base from `archive` (opened here, handed over as a
    /// descriptor), its progress counted into `job` from `offset` over the archive's size.
    /// Canceling the job withdraws this user's request.
    pub async fn add_base(
        &self,
        archive: &ArchiveRef,
        job: &Job,
        offset: u64,
    ) -> std::result::Result<PathBuf, Refusal> {
        let conn = self
            .connection()
            .await
            .ok_or_else(|| Refusal::FallBack("no system bus".into()))?;
        let fall_back = |e: zbus::Error| Refusal::FallBack(e.to_string());
        let path = archive.path.clone();
        let file = blocking(move || {
            leovms_image::dirfd::open_regular(&path).map_err(|e| Error::io(path.display(), &e))
        })
        .await
        .map_err(Refusal::Final)?;
        let mut events = subscribe_store_jobs(conn).await.map_err(fall_back)?;
        let store = StoreProxy::new(conn).await.map_err(fall_back)?;
        let made = store
            .add_base(
                Fd::from(&file),
                &archive.sha256_hex(),
                archive.size,
                archive.unpacked,
            )
            .await;
        let job_path = match made {
            Ok(path) => path,
            Err(e) => return Err(refusal(e)),
        };
        drop(file);
        loop {
            let event = tokio::select! {
                event = events.next(job_path.as_str()) => event,
                _ = job.cancel.cancelled() => {
                    // Withdrawn: the store stops unless another user still wants this
                    // base; this start ends now either way.
                    let withdrawn = async {
                        StoreJobProxy::builder(conn).path(job_path.clone())?.build().await?.cancel().await
                    };
                    if let Err(e) = withdrawn.await {
                        tracing::warn!("cannot withdraw the store request: {e}");
                    }
                    return Err(Refusal::Final(Error::canceled()));
                }
            };
            match event {
                Some(StoreJobEvent::Progress { done, total, .. }) => {
                    let share = (done as u128 * archive.size as u128 / total.max(1) as u128) as u64;
                    job.set_done(offset + share.min(archive.size));
                }
                Some(StoreJobEvent::Done(base)) => {
                    let base = PathBuf::from(base);
                    return match self.trusted(conn, &base).await {
                        Ok(()) => Ok(base),
                        Err(why) => Err(Refusal::FallBack(format!(
                            "{} cannot be trusted: {why}",
                            base.display()
                        ))),
                    };
                }
                Some(StoreJobEvent::Failed(e)) => return Err(refusal(e)),
                None => return Err(Refusal::FallBack("the system bus connection ended".into())),
            }
        }
    }

    /// The archives whose bases the store holds; none without a store. What a start
    /// then uses is checked by [`PcStore::lookup`].
    pub async fn stored_bases(&self) -> HashSet<[u8; 32]> {
        let Some(conn) = self.connection().await else {
            return HashSet::new();
        };
        let entries = async { StoreProxy::new(conn).await?.entries().await };
        match entries.await {
            Ok(entries) => entries
                .iter()
                .filter(|(kind, ..)| kind == "base")
                .filter_map(|(_, sha256, ..)| parse_sha256(sha256))
                .collect(),
            Err(e) => {
                tracing::debug!("no store: {}", e.message());
                HashSet::new()
            }
        }
    }

    /// Keeps the base made from `sha256` in the store for this user's offline use
    /// (`sync`), within the PC's pins per user; or, `keep: false`, no longer (`unsync`).
    /// Without a store nothing happens; a refusal is logged: the cache keeps the VM's
    /// archives for offline use either way.
    pub async fn pin(&self, sha256: &[u8; 32], keep: bool) {
        let Some(conn) = self.connection().await else {
            return;
        };
        let sha256 = hex::encode(sha256);
        let changed = async {
            let store = StoreProxy::new(conn).await?;
            if keep {
                store.pin(&sha256, false).await
            } else {
                store.unpin(&sha256, false).await
            }
        };
        if let Err(e) = changed.await {
            tracing::warn!(
                "the store does not keep {sha256} for this user: {}",
                e.message()
            );
        }
    }

    /// Holds the base for as long as the VM process `pid` runs, also across restarts of
    /// this daemon. A base without a lease may be evicted once the VM ended anyway.
    pub async fn lease(&self, archive: &ArchiveRef, pid: i32) {
        let Some(conn) = self.connection().await else {
            return;
        };
        let leased = async {
            let pid = rustix::process::Pid::from_raw(pid)
                .ok_or_else(|| leovms_api::Error::invalid("no VM process"))?;
            let pidfd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
                .map_err(|e| leovms_api::Error::new(leovms_api::ErrorKind::Io, e.to_string()))?;
            StoreProxy::new(conn)
                .await?
                .lease(&archive.sha256_hex(), Fd::from(&pidfd))
                .await
        };
        if let Err(e) = leased.await {
            tracing::warn!("the store keeps no lease for this VM: {}", e.message());
        }
    }
}

/// A refusal by kind: what is wrong with the archive, or a cancel, ends the start;
/// everything else (not allowed here, store full or gone) leaves the user's own path.
fn refusal(e: leovms_api::Error) -> Refusal {
    match e.kind() {
        Some(kind @ (ErrorKind::Integrity | ErrorKind::UnsafeArchive | ErrorKind::Canceled)) => {
            Refusal::Final(Error::new(kind, e.message()))
        }
        _ => Refusal::FallBack(e.message()),
    }
}
