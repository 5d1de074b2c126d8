use serde::{Deserialize, Serialize};
use zbus::zvariant::{DeserializeDict, OwnedObjectPath, OwnedValue, SerializeDict, Type, Value};

/// A VM as the daemon offers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Machine {
    /// Folder name on the share, e.g. `vm-win10`; what callers pass to `Start`.
    pub id: String,
    /// Display name from `image.conf`.
    pub name: String,
    pub description: String,
    /// `off`, `starting` or `running` (see [`MachineState`]).
    pub state: String,
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
    /// Empty when the VM can be started, else why not (e.g. a broken `image.conf`).
    pub problem: String,
}

/// One snapshot (a content state) of a VM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
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
}

/// What a machine is doing, as the string in [`Machine::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineState {
    Off,
    Starting,
    Running,
}

impl MachineState {
    pub fn as_str(self) -> &'static str {
        match self {
            MachineState::Off => "off",
            MachineState::Starting => "starting",
            MachineState::Running => "running",
        }
    }
}

/// Options of `Start`, an `a{sv}` dictionary so that new options never change the signature.
#[derive(Debug, Clone, Default, PartialEq, SerializeDict, DeserializeDict, Type)]
#[zvariant(signature = "dict", rename_all = "kebab-case")]
pub struct StartOptions {
    /// RAM in MB; must lie within the machine's allowed range. Absent: the policy's default.
    pub ram_mb: Option<u32>,
}

/// A snapshot of one job's properties, as `ListJobs` returns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct JobInfo {
    pub path: OwnedObjectPath,
    /// `start` (more kinds come with sync and upload).
    pub kind: String,
    pub vm: String,
    /// Snapshot id; empty for "as found".
    pub snapshot: String,
    pub phase: String,
    /// `active`, `done`, `canceled` or `failed`.
    pub state: String,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Bytes per second over the last seconds.
    pub rate: u64,
    /// Seconds until the current transfer ends, -1 when unknown.
    pub eta_seconds: i64,
    /// Full error name (`org.leovms.Error.NoSpace`) when failed, else empty.
    pub error_id: String,
    pub message: String,
}

/// Whether a share is reachable, as the `DataShare` and `UploadShare` properties say.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, Value, OwnedValue)]
pub struct ShareInfo {
    /// `online`, `not-mounted`, `not-answering` or `unreadable`.
    pub state: String,
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
}
