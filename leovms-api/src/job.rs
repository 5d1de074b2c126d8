use zbus::proxy;

use crate::{Detail, Error, JobKind, JobState, Phase};

/// One job (`/org/leovms/Leovms1/job/N`). Subscribe to the signals before reading the
/// properties, then a late subscriber misses nothing.
#[proxy(interface = "org.leovms.Job1", default_service = "org.leovms.Leovms1")]
pub trait Job {
    /// Cancels the job; temporary files are removed. A VM that already runs is stopped
    /// with `Manager1.Stop` instead.
    fn cancel(&self) -> Result<(), Error>;

    #[zbus(property)]
    fn kind(&self) -> zbus::Result<JobKind>;
    #[zbus(property)]
    fn vm(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn snapshot(&self) -> zbus::Result<String>;
    /// The unique bus name of the client whose call made the job (empty for a VM the
    /// daemon found running after a restart): another client's call joined it.
    #[zbus(property)]
    fn requester(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn phase(&self) -> zbus::Result<Phase>;
    #[zbus(property)]
    fn state(&self) -> zbus::Result<JobState>;
    #[zbus(property)]
    fn bytes_done(&self) -> zbus::Result<u64>;
    #[zbus(property)]
    fn bytes_total(&self) -> zbus::Result<u64>;
    #[zbus(property)]
    fn rate(&self) -> zbus::Result<u64>;
    #[zbus(property)]
    fn eta_seconds(&self) -> zbus::Result<i64>;
    #[zbus(property)]
    fn error_id(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn message(&self) -> zbus::Result<String>;
    /// The id and values of `Message`'s sentence (see [`Detail`]); empty when the
    /// daemon has none.
    #[zbus(property)]
    fn detail(&self) -> zbus::Result<Detail>;

    /// Throttled (a few per second) and at every phase change.
    #[zbus(signal)]
    fn progress(
        &self,
        phase: Phase,
        bytes_done: u64,
        bytes_total: u64,
        rate: u64,
        eta_seconds: i64,
    ) -> zbus::Result<()>;

    /// Sent once: `state` is `done`, `canceled` or `failed`; `error_id` a full error name or
    /// empty; `message` the daemon's English sentence; `detail` its values (see [`Detail`]).
    #[zbus(signal)]
    fn finished(
        &self,
        state: JobState,
        error_id: &str,
        message: &str,
        detail: Detail,
    ) -> zbus::Result<()>;
}
