use zbus::proxy;

use crate::Error;

/// The phases of a start job, in order; their wire form is [`Phase::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Plan,
    /// Hashing cached archives (`VerifyCache`, or another user's copies before a sync).
    Verify,
    Fetch,
    UnpackBase,
    UnpackSnapshot,
    Configure,
    Launch,
    Running,
    /// Packing and writing an upload to the upload share.
    Upload,
    /// The job has ended (see its state).
    Ended,
}

impl Phase {
    pub const ALL: [Phase; 10] = [
        Phase::Plan,
        Phase::Verify,
        Phase::Fetch,
        Phase::UnpackBase,
        Phase::UnpackSnapshot,
        Phase::Configure,
        Phase::Launch,
        Phase::Running,
        Phase::Upload,
        Phase::Ended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Plan => "plan",
            Phase::Fetch => "fetch",
            Phase::Verify => "verify",
            Phase::UnpackBase => "unpack-base",
            Phase::UnpackSnapshot => "unpack-snapshot",
            Phase::Configure => "configure",
            Phase::Launch => "launch",
            Phase::Running => "running",
            Phase::Upload => "upload",
            Phase::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Words for people, e.g. in a progress line.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Plan => "Checking",
            Phase::Fetch => "Copying to the cache",
            Phase::Verify => "Checking the cache",
            Phase::UnpackBase => "Unpacking base image",
            Phase::UnpackSnapshot => "Unpacking snapshot",
            Phase::Configure => "Configuring",
            Phase::Launch => "Starting VirtualBox",
            Phase::Running => "Running",
            Phase::Upload => "Uploading",
            Phase::Ended => "Ended",
        }
    }
}

/// A job's state, as the `State` property and the first argument of `Finished`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Active,
    Done,
    Canceled,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Active => "active",
            JobState::Done => "done",
            JobState::Canceled => "canceled",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        [
            JobState::Active,
            JobState::Done,
            JobState::Canceled,
            JobState::Failed,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// One job (`/org/leovms/Leovms1/job/N`). Subscribe to the signals before reading the
/// properties, then a late subscriber misses nothing.
#[proxy(interface = "org.leovms.Job1", default_service = "org.leovms.Leovms1")]
pub trait Job {
    /// Cancels the job; temporary files are removed. A VM that already runs is stopped
    /// with `Manager1.Stop` instead.
    fn cancel(&self) -> Result<(), Error>;

    #[zbus(property)]
    fn kind(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn vm(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn snapshot(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn phase(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn state(&self) -> zbus::Result<String>;
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

    /// Throttled (a few per second) and at every phase change.
    #[zbus(signal)]
    fn progress(
        &self,
        phase: &str,
        bytes_done: u64,
        bytes_total: u64,
        rate: u64,
        eta_seconds: i64,
    ) -> zbus::Result<()>;

    /// Sent once: `state` is `done`, `canceled` or `failed`; `error_id` a full error name or empty.
    #[zbus(signal)]
    fn finished(&self, state: &str, error_id: &str, message: &str) -> zbus::Result<()>;
}
