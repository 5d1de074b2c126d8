use zbus::proxy;
use zbus::zvariant::{ObjectPath, OwnedObjectPath};

use crate::{
    CacheReport, Error, JobInfo, Machine, MachineState, ShareInfo, Snapshot, StartOptions,
    SyncPlan, UploadOptions, UploadSource, Uploadable,
};

/// The daemon's entry point at `/org/leovms/Leovms1`.
#[proxy(
    interface = "org.leovms.Manager1",
    default_service = "org.leovms.Leovms1",
    default_path = "/org/leovms/Leovms1"
)]
pub trait Manager {
    fn list_machines(&self) -> Result<Vec<Machine>, Error>;

    fn list_snapshots(&self, vm: &str) -> Result<Vec<Snapshot>, Error>;

    /// Starts `vm` from `snapshot` (an id from `ListSnapshots`), or "as found" when
    /// `snapshot` is empty. Returns the job; an identical start already in progress is joined.
    fn start(
        &self,
        vm: &str,
        snapshot: &str,
        options: StartOptions,
    ) -> Result<OwnedObjectPath, Error>;

    /// Powers a running VM off (like closing its window).
    fn stop(&self, vm: &str) -> Result<(), Error>;

    /// From now on, error replies to this connection carry the detail of their sentence
    /// (see [`crate::Detail`]).
    fn enable_error_detail(&self) -> zbus::Result<()>;

    /// Active jobs and jobs that ended in the last minutes.
    fn list_jobs(&self) -> Result<Vec<JobInfo>, Error>;

    /// Copies the archives of `vm` (the base and `snapshots`, all when empty) into the
    /// cache and pins them for offline use. Returns the job; an identical sync is joined.
    fn sync(&self, vm: &str, snapshots: &[&str]) -> Result<OwnedObjectPath, Error>;

    /// What `Sync` would copy and evict, without changing anything.
    fn plan_sync(&self, vm: &str, snapshots: &[&str]) -> Result<SyncPlan, Error>;

    /// Unpins `vm` for this user and frees its archives that nobody else pinned.
    /// Returns the bytes freed.
    fn unsync(&self, vm: &str) -> Result<u64, Error>;

    /// The cache folders and every archive in them.
    fn cache_status(&self) -> Result<CacheReport, Error>;

    /// Re-hashes every archive in the cache and removes the damaged ones. Returns the job.
    fn verify_cache(&self) -> Result<OwnedObjectPath, Error>;

    /// The user's own VirtualBox machines and leovms working copies, as upload sources.
    fn list_uploadable(&self) -> Result<Vec<Uploadable>, Error>;

    /// Packs a machine from `ListUploadable` (`source`, `id`) into the upload share as a new
    /// snapshot or VM for the admin to publish. Returns the job (kind `upload`).
    fn upload(
        &self,
        source: UploadSource,
        id: &str,
        options: UploadOptions,
    ) -> Result<OwnedObjectPath, Error>;

    #[zbus(property)]
    fn version(&self) -> zbus::Result<String>;
    /// Where the share `leovms-data` is read from.
    #[zbus(property)]
    fn data_dir(&self) -> zbus::Result<String>;
    /// Whether `leovms-data` is mounted and answers; changes are signalled.
    #[zbus(property)]
    fn data_share(&self) -> zbus::Result<ShareInfo>;
    /// Whether `leovms-upload` is mounted and answers; changes are signalled.
    #[zbus(property)]
    fn upload_share(&self) -> zbus::Result<ShareInfo>;
    /// The VirtualBox version, or empty when VirtualBox was not found.
    #[zbus(property, name = "VBoxVersion")]
    fn vbox_version(&self) -> zbus::Result<String>;
    /// This user's `VBOX_USER_HOME`.
    #[zbus(property, name = "VBoxHome")]
    fn vbox_home(&self) -> zbus::Result<String>;
    /// Where unpacked base images live.
    #[zbus(property)]
    fn machines_dir(&self) -> zbus::Result<String>;

    #[zbus(signal)]
    fn job_added(&self, job: ObjectPath<'_>) -> zbus::Result<()>;
    #[zbus(signal)]
    fn job_removed(&self, job: ObjectPath<'_>) -> zbus::Result<()>;
    /// The share published or removed machines, or came or went: list them again.
    #[zbus(signal)]
    fn machines_changed(&self) -> zbus::Result<()>;
    /// A VM started or powered off (`state` as in [`Machine::state`]).
    #[zbus(signal)]
    fn machine_changed(&self, vm: &str, state: MachineState) -> zbus::Result<()>;
}
