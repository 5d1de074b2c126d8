use serde::{Deserialize, Serialize};
use zbus::zvariant::{DeserializeDict, OwnedObjectPath, OwnedValue, SerializeDict, Type, Value};

use crate::{
    Detail, JobKind, JobState, MachineState, Origin, Phase, ShareState, UploadKind, UploadSource,
    UploadableState,
};

/// A VM as the daemon offers it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type)]
pub struct Machine {
    /// Folder name on the share, e.g. `vm-win10`; what callers pass to `Start`.
    pub id: String,
    /// Display name from `image.conf`.
    pub name: String,
    pub description: String,
    /// `off`, `starting` or `running`; `not-offered` for a VM that is listed only to say
    /// why this user cannot use it on this PC (see `problem`): one whose rules name rooms
    /// while this PC cannot tell its room, or, when no VM at all is offered, every VM on
    /// the share.
    pub state: MachineState,
    /// Size of the base archive on the share, bytes.
    pub base_size: u64,
    /// Size of the unpacked base disk(s), bytes.
    pub base_unpacked_size: u64,
    /// The current base is already unpacked on this PC (a start only unpacks the snapshot).
    pub base_ready: bool,
    /// A working copy exists that can be started "as found".
    pub as_found: bool,
    /// Why "as found" is not offered when a working copy exists (e.g. a saved state); else empty.
    pub as_found_blocked: String,
    /// Number of usable snapshots.
    pub snapshots: u32,
    pub ram_default_mb: u32,
    pub ram_min_mb: u32,
    pub ram_max_mb: u32,
    /// The image fixes the RAM; callers cannot choose.
    pub ram_fixed: bool,
    /// Empty when the VM can be started, else why not (e.g. a broken `image.conf`, or
    /// "not available offline").
    pub problem: String,
    /// Where this description comes from: `share`, or `cache` while the share is unavailable.
    pub origin: Origin,
    /// Identity of the published revision: 16 hex digits of the manifest's sha256.
    pub revision: String,
    /// This user chose the VM for offline use (`Sync`); its archives are pinned in the cache.
    pub synced: bool,
    /// The share publishes a newer revision than the one synced for offline use.
    pub outdated: bool,
    /// The id and values of `problem`'s sentence (see [`Detail`]); empty when the daemon
    /// has none.
    pub problem_detail: Detail,
    /// The id and values of `as_found_blocked`'s sentence.
    pub as_found_blocked_detail: Detail,
}

impl Machine {
    /// Why the VM cannot be started now, in the user's language (empty when it can).
    pub fn problem_text(&self) -> String {
        crate::problem(&self.problem, &self.problem_detail)
    }

    /// Why "as found" is not offered, in the user's language (empty when it is).
    pub fn as_found_blocked_text(&self) -> String {
        crate::problem(&self.as_found_blocked, &self.as_found_blocked_detail)
    }
}

/// One snapshot (a content state) of a VM.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type)]
pub struct Snapshot {
    /// Folder name below `snapshots/`, what callers pass to `Start`.
    pub id: String,
    pub name: String,
    pub maintainer: String,
    /// RFC 3339 time, or empty when unknown.
    pub created: String,
    pub description: String,
    /// Size of the snapshot archive on the share, bytes.
    pub size: u64,
    /// Size of the unpacked differencing disk(s), bytes.
    pub unpacked_size: u64,
    /// Empty when the snapshot can be started, else why not.
    pub problem: String,
    /// The snapshot's archive is in the cache: it also starts without the share.
    pub cached: bool,
    /// The id and values of `problem`'s sentence (see [`Detail`]).
    pub problem_detail: Detail,
}

impl Snapshot {
    /// Why the snapshot cannot be started now, in the user's language (empty when it can).
    pub fn problem_text(&self) -> String {
        crate::problem(&self.problem, &self.problem_detail)
    }
}

/// Options of `Start`, an `a{sv}` dictionary so that new options never change the signature.
/// Clients send this struct; the daemon reads the dictionary with [`StartOptions::from_dict`].
#[derive(Debug, Clone, Default, PartialEq, SerializeDict, DeserializeDict, Type)]
#[zvariant(signature = "dict", rename_all = "kebab-case")]
pub struct StartOptions {
    /// RAM in MB; must lie within the machine's allowed range. Absent: the policy's default.
    pub ram_mb: Option<u32>,
}

/// Options of `Upload`, an `a{sv}` dictionary like [`StartOptions`].
#[derive(Debug, Clone, Default, PartialEq, SerializeDict, DeserializeDict, Type)]
#[zvariant(signature = "dict", rename_all = "kebab-case")]
pub struct UploadOptions {
    /// `snapshot` (a new snapshot of a published VM) or `vm` (a new VM). Absent: a snapshot
    /// when the machine was made from a published VM's base, else a VM.
    pub kind: Option<UploadKind>,
    /// The new VM's id; for a snapshot, the published VM (default: the one it was made from).
    pub vm: Option<String>,
    /// The new snapshot's id (default: made from the name).
    pub snapshot: Option<String>,
    /// The name users will see (default: the machine's name).
    pub name: Option<String>,
    pub description: Option<String>,
}

/// A machine the user can upload, as `ListUploadable` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Uploadable {
    /// `virtualbox` (the user's own VirtualBox) or `working-copy` (leovms' copy of a VM).
    pub source: UploadSource,
    /// What `Upload` takes: the machine's UUID, or the VM id of a working copy.
    pub id: String,
    pub name: String,
    /// `off`, `running` or `saved`.
    pub state: UploadableState,
    /// The published VM whose base it was made from; empty when none.
    pub vm: String,
    /// Bytes of the disks a snapshot upload packs (the differencing disks).
    pub snapshot_bytes: u64,
    /// Bytes of the disks a VM upload packs (base and differencing disks).
    pub vm_bytes: u64,
    /// Why it cannot be uploaded now; empty when it can.
    pub problem: String,
    /// Its disk files: the base disks first, then the differencing disks of its current
    /// state (what a snapshot upload packs).
    pub disks: Vec<String>,
    /// The id and values of `problem`'s sentence (see [`Detail`]).
    pub problem_detail: Detail,
}

impl Uploadable {
    /// Why it cannot be uploaded now, in the user's language (empty when it can).
    pub fn problem_text(&self) -> String {
        crate::problem(&self.problem, &self.problem_detail)
    }
}

/// A snapshot of one job's properties, as `ListJobs` returns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct JobInfo {
    pub path: OwnedObjectPath,
    /// `start`, `sync`, `verify` or `upload`.
    pub kind: JobKind,
    pub vm: String,
    /// Snapshot id; empty for "as found".
    pub snapshot: String,
    pub phase: Phase,
    /// `active`, `done`, `canceled` or `failed`.
    pub state: JobState,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Bytes per second over the last seconds.
    pub rate: u64,
    /// Seconds until the current transfer ends, -1 when unknown.
    pub eta_seconds: i64,
    /// Full error name (`org.leovms.Error.NoSpace`) when failed, else empty.
    pub error_id: String,
    /// The daemon's English sentence: what the job does now, or how it ended.
    pub message: String,
    /// The id and values of `message`'s sentence (see [`Detail`]).
    pub detail: Detail,
}

impl JobInfo {
    /// What the job does now or how it ended, in the user's language (as
    /// [`crate::JobEnd::explain`] says an end).
    pub fn explain(&self) -> String {
        crate::explain::job(self.state, &self.error_id, &self.message, &self.detail)
    }
}

/// Whether a share is reachable, as the `DataShare` and `UploadShare` properties say.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, Value, OwnedValue)]
pub struct ShareInfo {
    /// `online`, `not-mounted`, `not-answering` or `unreadable`.
    pub state: ShareState,
    /// Where the share is expected to be mounted.
    pub path: String,
    /// Type of the mount (`cifs`, `fuse.smbnetfs`…); empty when nothing is mounted.
    pub fstype: String,
    /// What is mounted there (`//server/leovms-data`); empty when nothing is mounted.
    pub source: String,
    /// What was found, in plain words.
    pub reason: String,
    /// What the user can do about it; empty when all is well.
    pub hint: String,
    /// The id and values of `reason`'s sentence, and the hint's word as `hint`
    /// (`relogin`, `network`, `access`, `upload-access`; empty for none).
    pub detail: Detail,
}

impl ShareInfo {
    /// The reason and the hint, in the user's language.
    pub fn explain(&self) -> String {
        let own = format!("{} {}", self.reason, self.hint).trim().to_string();
        crate::explain::share(&own, &self.detail)
    }
}

/// One cache folder (from the share's `leovms-client.conf`), as `CacheStatus` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct CacheDir {
    pub path: String,
    /// Size limit in bytes.
    pub limit: u64,
    /// Bytes used by archives and interrupted copies.
    pub used: u64,
    /// Bytes the file system still has free for this user.
    pub free: u64,
    /// Empty when the folder is usable, else why not.
    pub problem: String,
    /// The id and values of `problem`'s sentence (see [`Detail`]).
    pub problem_detail: Detail,
}

impl CacheDir {
    /// Why the folder cannot be used, in the user's language (empty when it can).
    pub fn problem_text(&self) -> String {
        crate::problem(&self.problem, &self.problem_detail)
    }
}

/// One archive in a cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct CacheEntry {
    pub vm: String,
    /// `base`, or the snapshot id; empty when no known revision of the VM names it.
    pub item: String,
    /// 16 hex digits of the archive's sha256 (its identity in the cache).
    pub sha256: String,
    pub size: u64,
    /// Some user of this PC chose it for offline use: it is never evicted.
    pub pinned: bool,
    /// This user's synced revision of the VM is older than the share's (online only).
    pub outdated: bool,
    /// Unix time of the last use (sync or start); 0 when never used.
    pub last_used: i64,
    /// The cache folder holding it.
    pub cache: String,
}

/// What `CacheStatus` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct CacheReport {
    pub dirs: Vec<CacheDir>,
    pub entries: Vec<CacheEntry>,
}

/// An archive the space planner would remove to make room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Eviction {
    pub vm: String,
    pub item: String,
    pub sha256: String,
    pub size: u64,
    pub last_used: i64,
    /// Why it may go, in plain words.
    pub reason: String,
}

/// What a sync would do, as `PlanSync` reports it (`leovms-cli sync --dry-run`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct SyncPlan {
    pub vm: String,
    /// The cache folder it would go to.
    pub cache: String,
    /// Bytes still to copy (archives already cached are not counted).
    pub needed: u64,
    /// Bytes already in the cache for this sync.
    pub present: u64,
    pub free: u64,
    pub limit: u64,
    pub used: u64,
    /// Least recently used first.
    pub evict: Vec<Eviction>,
    /// Empty when the sync fits, else why not (with needed and free).
    pub problem: String,
    /// The id and values of `problem`'s sentence (see [`Detail`]).
    pub problem_detail: Detail,
}

impl SyncPlan {
    /// Why the sync does not fit, in the user's language (empty when it does).
    pub fn problem_text(&self) -> String {
        crate::problem(&self.problem, &self.problem_detail)
    }
}
