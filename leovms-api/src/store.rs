//! The contract of the PC's store service, `org.leovms.Store1` on the **system** bus:
//! bases unpacked once for all users, accepted only when the archive a user hands over
//! has the sha256 its manifest names. `leovmsd` is its client; errors are the same typed
//! [`Error`]s as the daemon's.
//!
//! A job's signals may come right after the call that made it returns: subscribe with
//! [`subscribe_store_jobs`] before calling [`StoreProxy::add_base`], then read
//! [`StoreJobEvent`]s for the returned path.

use futures_util::StreamExt;
use zbus::zvariant::{Fd, OwnedObjectPath};
use zbus::{MatchRule, MessageStream, proxy};

use crate::{Error, JobState, Phase};

/// Well-known name of the store service on the system bus.
pub const STORE_BUS_NAME: &str = "org.leovms.Store1";
pub const STORE_PATH: &str = "/org/leovms/Store1";
pub const STORE_INTERFACE: &str = "org.leovms.Store1";
/// Jobs are exported below this path as `<STORE_JOBS_PATH>/<n>`.
pub const STORE_JOBS_PATH: &str = "/org/leovms/Store1/job";
pub const STORE_JOB_INTERFACE: &str = "org.leovms.StoreJob1";
/// polkit action: store verified content (allowed to active local sessions).
pub const ACTION_ADD: &str = "org.leovms.store.add";
/// polkit action: pin for all users, prune (administrators only).
pub const ACTION_MANAGE: &str = "org.leovms.store.manage";

/// polkit action: pre-warm the VMs of the share's `presync` (users at the PC, admins).
pub const ACTION_PREWARM: &str = "org.leovms.store.prewarm";

/// One VM of `presync` on this PC: its id, whether it is ready, and if not, why.
pub type VmReadiness = (String, bool, String);

/// One thing the store holds: `kind` is `archive` or `base`, `last_used` Unix seconds.
pub type StoreEntry = (String, String, u64, i64);

#[proxy(
    interface = "org.leovms.Store1",
    default_service = "org.leovms.Store1",
    default_path = "/org/leovms/Store1"
)]
pub trait Store {
    /// The folder of the base unpacked from the archive with this sha256 (64 hex
    /// digits), or empty when the store does not hold it. Counts as a use.
    fn base(&self, sha256: &str) -> Result<String, Error>;

    /// Unpacks the base of `unpacked` bytes from `archive` (a descriptor the caller
    /// opened, read only through it, from its start) and keeps it when the archive's size
    /// and sha256 are these. Returns the job; a request for a base that is being made
    /// joins that job. Needs `org.leovms.store.add`.
    fn add_base(
        &self,
        archive: Fd<'_>,
        sha256: &str,
        size: u64,
        unpacked: u64,
    ) -> Result<OwnedObjectPath, Error>;

    /// Holds the base for as long as the process `vm` (a pidfd of the caller's own
    /// process) runs: making room never takes it, also after the caller restarts.
    fn lease(&self, sha256: &str, vm: Fd<'_>) -> Result<(), Error>;

    /// Keeps an archive and its base for offline use by the caller (bounded per user),
    /// or for all users (`for_all`, needs `org.leovms.store.manage`).
    fn pin(&self, sha256: &str, for_all: bool) -> Result<(), Error>;

    fn unpin(&self, sha256: &str, for_all: bool) -> Result<(), Error>;

    /// Removes everything nobody pinned and no running VM uses; returns the bytes freed.
    /// Needs `org.leovms.store.manage`.
    fn prune(&self) -> Result<u64, Error>;

    /// What the store holds.
    fn entries(&self) -> Result<Vec<StoreEntry>, Error>;

    /// Fetches the VMs of the share's `presync` from the PC's own mount of the share
    /// (`share` of store.toml), verifies them and keeps them: bases unpacked, snapshot
    /// archives as they are. Returns the job; a second request joins it. Needs
    /// `org.leovms.store.prewarm`.
    fn prewarm(&self) -> Result<OwnedObjectPath, Error>;

    /// The VMs of `presync`, each ready or not and why, read from the share now.
    fn readiness(&self) -> Result<Vec<VmReadiness>, Error>;
}

#[proxy(
    interface = "org.leovms.StoreJob1",
    default_service = "org.leovms.Store1"
)]
pub trait StoreJob {
    /// Withdraws the caller's request; the job stops when no requester is left.
    fn cancel(&self) -> Result<(), Error>;

    /// Phase `unpack-base` (or `fetch` for an archive a pre-warm keeps); the bytes read
    /// so far.
    #[zbus(signal)]
    fn progress(&self, phase: Phase, bytes_done: u64, bytes_total: u64) -> zbus::Result<()>;

    /// Sent once. `error_id` is a full error name or empty; `base` the folder when done.
    #[zbus(signal)]
    fn finished(
        &self,
        state: JobState,
        error_id: &str,
        message: &str,
        base: &str,
    ) -> zbus::Result<()>;
}

/// What a store job says.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreJobEvent {
    Progress {
        phase: Phase,
        done: u64,
        total: u64,
    },
    /// The base's folder.
    Done(String),
    Failed(Error),
}

/// Every store job's signals from now on, and the end of the service; subscribe before
/// the call that makes a job.
pub async fn subscribe_store_jobs(conn: &zbus::Connection) -> zbus::Result<StoreJobs> {
    let jobs = MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .sender(STORE_BUS_NAME)?
        .interface(STORE_JOB_INTERFACE)?
        .path_namespace(STORE_JOBS_PATH)?
        .build();
    let owner = MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .sender("org.freedesktop.DBus")?
        .interface("org.freedesktop.DBus")?
        .member("NameOwnerChanged")?
        .add_arg(STORE_BUS_NAME)?
        .build();
    let jobs = MessageStream::for_match_rule(jobs, conn, Some(64)).await?;
    let owner = MessageStream::for_match_rule(owner, conn, Some(8)).await?;
    Ok(StoreJobs {
        stream: futures_util::stream::select(jobs, owner),
    })
}

pub struct StoreJobs {
    stream: futures_util::stream::Select<MessageStream, MessageStream>,
}

impl StoreJobs {
    /// The next event of job `path`; `None` when the bus connection ended. When the
    /// service ends before the job did (a crash, `kill -9`), the job failed.
    pub async fn next(&mut self, path: &str) -> Option<StoreJobEvent> {
        while let Some(msg) = self.stream.next().await {
            let Ok(msg) = msg else { continue };
            let header = msg.header();
            let body = msg.body();
            match header.member().map(|m| m.as_str()) {
                Some("NameOwnerChanged") => {
                    let ended = body
                        .deserialize::<(String, String, String)>()
                        .is_ok_and(|(_, _, new_owner)| new_owner.is_empty());
                    if ended {
                        return Some(StoreJobEvent::Failed(Error::new(
                            crate::ErrorKind::Io,
                            "The store service ended before the base was ready.",
                        )));
                    }
                }
                _ if header.path().map(|p| p.as_str()) != Some(path) => {}
                Some("Progress") => {
                    if let Ok((phase, done, total)) = body.deserialize::<(Phase, u64, u64)>() {
                        return Some(StoreJobEvent::Progress { phase, done, total });
                    }
                }
                Some("Finished") => {
                    let Ok((state, error_id, message, base)) =
                        body.deserialize::<(JobState, String, String, String)>()
                    else {
                        continue;
                    };
                    return Some(match state {
                        JobState::Done => StoreJobEvent::Done(base),
                        _ => StoreJobEvent::Failed(error_of(&error_id, message)),
                    });
                }
                _ => {}
            }
        }
        None
    }
}

fn error_of(error_id: &str, message: String) -> Error {
    let kind = crate::ErrorKind::from_name(error_id).unwrap_or(crate::ErrorKind::Internal);
    Error::new(kind, message)
}

/// The 64 lower-case hex digits of a sha256, as the store names its entries.
pub fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let lower = text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    lower.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lower_case_hex_of_the_right_length_is_a_sha256() {
        let good = "0123456789abcdef".repeat(4);
        assert_eq!(parse_sha256(&good).unwrap()[..2], [0x01, 0x23]);
        assert_eq!(parse_sha256(&good.to_uppercase()), None);
        assert_eq!(parse_sha256(&good[..62]), None);
        assert_eq!(parse_sha256(&format!("{good}00")), None);
        assert_eq!(parse_sha256(&good.replace('f', "g")), None);
        assert_eq!(parse_sha256(&"é".repeat(32)), None);
    }
}
