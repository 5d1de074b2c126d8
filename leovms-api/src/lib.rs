//! The D-Bus contract between `leovmsd` and its clients: bus and interface names,
//! wire types, typed errors and client proxies. Clients depend on this crate only.

/// The client layer both clients share: the daemon through one connection, and jobs
/// followed through [`JobHandle`].
pub mod client;
mod error;
mod explain;
/// The job proxy and its signals (`Progress`, `Finished`) with their typed arguments.
pub mod job;
/// The contract's words in the user's language.
mod l10n;
/// The manager proxy and its signals (`JobAdded`, `MachineChanged`…) with their typed
/// arguments.
pub mod manager;
mod options;
/// The PC's store service on the system bus: its proxies, names and job events.
pub mod store;
mod types;
/// Sizes, rates and times in the clients' words.
pub mod units;
mod words;

pub use client::{JobHandle, Leovms};
pub use error::{
    Detail, Error, ErrorKind, Refusal, dbus_error_name, is_unknown_object, is_unreachable_name,
};
pub use explain::{explain, outcome, problem};
pub use job::JobProxy;
pub use manager::ManagerProxy;
pub use options::OptionsDict;
pub use types::{
    CacheDir, CacheEntry, CacheReport, Eviction, JobInfo, Machine, ShareInfo, Snapshot,
    StartOptions, SyncPlan, UploadOptions, Uploadable,
};
pub use words::{
    JobKind, JobState, MachineState, Origin, Phase, ShareState, UploadKind, UploadSource,
    UploadableState,
};

/// Well-known bus name of the daemon; the number is the major API version.
pub const BUS_NAME: &str = "org.leovms.Leovms1";
/// Object path of the manager object.
pub const MANAGER_PATH: &str = "/org/leovms/Leovms1";
/// Jobs are exported below this path as `<JOBS_PATH>/<n>`.
pub const JOBS_PATH: &str = "/org/leovms/Leovms1/job";
pub const MANAGER_INTERFACE: &str = "org.leovms.Manager1";
pub const JOB_INTERFACE: &str = "org.leovms.Job1";
/// Prefix of every error name, e.g. `org.leovms.Error.NoSpace`.
pub const ERROR_PREFIX: &str = "org.leovms.Error";
