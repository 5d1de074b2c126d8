//! The share as the daemon reaches it: whether it answers, and every read of it bounded,
//! so that no call ever hangs on a dead network mount.

use std::time::Duration;

use leovms_api::{ErrorKind, ShareInfo, ShareState};

use crate::blocking::blocking;
use crate::error::{Error, Result, wire_safe};
use crate::layout::Layout;
use crate::mount::{Prober, ShareStatus};
use crate::settings::Settings;

/// The longest a call may wait for reading the share (listing, planning a start); a
/// share that dies in the middle is reported instead of hanging the call.
const READ_LIMIT: Duration = Duration::from_secs(20);

/// The longest a share check may take before the share counts as not answering.
const CHECK_LIMIT: Duration = Duration::from_secs(3);

pub struct Share {
    settings: Settings,
    data: Prober,
    upload: Prober,
}

impl Share {
    pub fn new(settings: &Settings) -> Share {
        Share {
            data: Prober::new(settings.data.clone(), CHECK_LIMIT),
            upload: Prober::new(settings.upload.clone(), CHECK_LIMIT).named("upload share"),
            settings: settings.clone(),
        }
    }

    pub async fn data_info(&self) -> ShareInfo {
        share_info(self.data.check().await)
    }

    pub async fn upload_info(&self) -> ShareInfo {
        share_info(self.upload.check().await)
    }

    /// Whether the share answers now (within a few seconds, never hanging).
    pub async fn online(&self) -> bool {
        self.data.check().await.state == ShareState::Online
    }

    /// Refuses, within a few seconds, when the share is not mounted or does not answer.
    pub async fn require(&self) -> Result<()> {
        let status = self.data.check().await;
        if status.state == ShareState::Online {
            return Ok(());
        }
        let mut refused = Error::new(
            ErrorKind::Offline,
            format!("{} {}", status.reason, status.hint)
                .trim()
                .to_owned(),
        );
        refused.detail = status.detail;
        Err(refused)
    }

    /// Runs `f` on a blocking thread, bounded: reading the share must never hang a call.
    /// Everything that touches the share goes through here (local file steps go through
    /// [`blocking`]); after the limit the call fails with `Offline` and the stuck thread
    /// is left to the dead mount.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        match tokio::time::timeout(READ_LIMIT, blocking(f)).await {
            Ok(result) => result,
            Err(_) => Err(Error::new(
                ErrorKind::Offline,
                "The VM share stopped answering. Check the network connection and try again in a minute.",
            )),
        }
    }

    /// Where things live, from the share's settings when it answers, else from this
    /// user's copy of them. Never waits on a dead share: the read is bounded too, since
    /// the share may die between the check and the read.
    pub async fn layout(&self) -> Result<Layout> {
        let online = self.online().await;
        let settings = self.settings.clone();
        let read = blocking(move || Layout::load(&settings, online));
        match tokio::time::timeout(CHECK_LIMIT, read).await {
            Ok(result) => result,
            Err(_) => {
                // This user's copy is local: unbounded.
                let settings = self.settings.clone();
                blocking(move || Layout::load(&settings, false)).await
            }
        }
    }
}

/// The mount table and the share's path are outside text too.
fn share_info(s: ShareStatus) -> ShareInfo {
    ShareInfo {
        state: s.state,
        path: wire_safe(&s.path.display().to_string()),
        fstype: wire_safe(&s.fstype),
        source: wire_safe(&s.source),
        reason: wire_safe(&s.reason),
        hint: wire_safe(&s.hint),
        detail: s.detail,
    }
}
