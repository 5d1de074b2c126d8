//! Desktop notifications (`org.freedesktop.Notifications`) and their wording.
//!
//! The daemon's messages are already written for students; they become the body as they
//! are. Without a notification server the tray only logs: a missing popup must never
//! stop the tray.

use std::collections::HashMap;

use leovms_api::JobKind;
use zbus::proxy::CacheProperties;
use zbus::zvariant::Value;

const APP_NAME: &str = "leovms";
/// The desktop file the packages install, so servers can show its icon and name.
const DESKTOP_ENTRY: &str = "leovms-tray";

#[zbus::proxy(
    interface = "org.freedesktop.Notifications",
    default_service = "org.freedesktop.Notifications",
    default_path = "/org/freedesktop/Notifications"
)]
trait Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, Value<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub summary: String,
    pub body: String,
    /// Something failed: servers keep such a notification until it is read.
    pub urgent: bool,
}

impl Notice {
    fn new(summary: impl Into<String>, body: impl Into<String>, urgent: bool) -> Notice {
        Notice {
            summary: summary.into(),
            body: body.into(),
            urgent,
        }
    }
}

/// A start reached its `running` phase.
pub fn running(name: &str) -> Notice {
    Notice::new(format!("{name} is running"), "", false)
}

/// A job of a kind this tray does not know (a newer daemon's), in a sentence: "A job for
/// Demo Linux".
pub fn job_of(name: &str) -> String {
    if name.is_empty() {
        "A job".to_string()
    } else {
        format!("A job for {name}")
    }
}

/// A job ended `done`. A start ends `done` when its VM powered off, which the student
/// did: nothing to tell then.
pub fn done(kind: JobKind, name: &str, ran: bool, message: &str) -> Option<Notice> {
    match kind {
        JobKind::Start if ran => None,
        JobKind::Start => Some(running(name)),
        JobKind::Sync => Some(Notice::new(
            format!("{name} is ready for offline use"),
            "",
            false,
        )),
        JobKind::Verify => Some(Notice::new("The cache was checked", message, false)),
        // The daemon's message names the folder the admin publishes.
        JobKind::Upload => Some(Notice::new(
            "Upload finished",
            if message.is_empty() {
                format!("{name} was uploaded.")
            } else {
                message.to_string()
            },
            false,
        )),
        JobKind::Unknown => Some(Notice::new(
            format!("{} is done", job_of(name)),
            message,
            false,
        )),
    }
}

pub fn canceled(kind: JobKind, name: &str) -> Notice {
    if kind == JobKind::Upload {
        return Notice::new(
            "Upload canceled",
            format!("{name} was not uploaded."),
            false,
        );
    }
    let summary = match kind {
        JobKind::Start => format!("Start of {name} canceled"),
        JobKind::Sync => format!("Copying {name} for offline use was canceled"),
        JobKind::Verify => "Checking the cache was canceled".into(),
        _ => format!("{} was canceled", job_of(name)),
    };
    Notice::new(summary, "", false)
}

/// A job failed; `ran` tells a VM that failed while it ran (VirtualBox's own error)
/// from a start that never got there.
pub fn failed(kind: JobKind, name: &str, ran: bool, message: &str) -> Notice {
    let summary = match kind {
        JobKind::Start if ran => format!("{name} ended with an error"),
        JobKind::Start => format!("{name} could not be started"),
        JobKind::Sync => format!("{name} could not be copied for offline use"),
        JobKind::Verify => "Checking the cache failed".into(),
        JobKind::Upload => "Upload failed".into(),
        JobKind::Unknown => format!("{} failed", job_of(name)),
    };
    let body = match (kind, message.is_empty()) {
        (_, false) => message.to_string(),
        (JobKind::Upload, true) => {
            format!("{name} was not uploaded. The reason is in the log of leovmsd.")
        }
        _ => "The reason is in the log of leovmsd.".to_string(),
    };
    Notice::new(summary, body, true)
}

/// The daemon left the bus while a job was still working.
pub fn interrupted(kind: JobKind, name: &str) -> Notice {
    let what = match kind {
        JobKind::Start => format!("Starting {name}"),
        JobKind::Sync => format!("Copying {name} for offline use"),
        JobKind::Verify => "Checking the cache".into(),
        JobKind::Upload => format!("Uploading {name}"),
        JobKind::Unknown => job_of(name),
    };
    Notice::new(
        format!("{what} was interrupted"),
        "The VM service stopped. Please try again.",
        true,
    )
}

/// A call to the daemon was refused (`what`: e.g. "Demo Linux could not be started").
pub fn refused(what: &str, message: &str) -> Notice {
    Notice::new(what, message, true)
}

/// The daemon could not be reached at all.
pub fn unreachable(detail: &str) -> Notice {
    Notice::new(
        "The VM service cannot be reached",
        format!("{detail}\nTry again in a moment; if it stays like this, ask the school's admin."),
        true,
    )
}

pub fn info(summary: impl Into<String>, body: impl Into<String>) -> Notice {
    Notice::new(summary, body, false)
}

/// Sends notifications without waiting for them.
#[derive(Clone)]
pub struct Notifier {
    proxy: NotificationsProxy<'static>,
}

impl Notifier {
    pub async fn new(conn: &zbus::Connection) -> zbus::Result<Notifier> {
        // Uncached: building the proxy must not talk to a server that may not exist.
        let proxy = NotificationsProxy::builder(conn)
            .cache_properties(CacheProperties::No)
            .build()
            .await?;
        Ok(Notifier { proxy })
    }

    /// Logs the notice and shows it in the background, so a slow or missing server
    /// never holds up the tray.
    pub fn send(&self, notice: Notice) {
        if notice.body.is_empty() {
            tracing::info!("{}", notice.summary);
        } else {
            tracing::info!("{}: {}", notice.summary, notice.body);
        }
        let proxy = self.proxy.clone();
        tokio::spawn(async move {
            let urgency: u8 = if notice.urgent { 2 } else { 1 };
            let hints = HashMap::from([
                ("urgency", Value::from(urgency)),
                ("desktop-entry", Value::from(DESKTOP_ENTRY)),
            ]);
            let icon = if notice.urgent {
                "dialog-error"
            } else {
                "computer"
            };
            if let Err(e) = proxy
                .notify(
                    APP_NAME,
                    0,
                    icon,
                    &notice.summary,
                    &notice.body,
                    &[],
                    hints,
                    -1,
                )
                .await
            {
                tracing::warn!("no notification shown ({e})");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wording_of_job_ends() {
        assert_eq!(
            done(JobKind::Start, "Demo VM", true, "Demo VM was powered off."),
            None
        );
        assert_eq!(
            done(JobKind::Start, "Demo VM", false, "").unwrap().summary,
            "Demo VM is running"
        );
        assert_eq!(
            done(JobKind::Sync, "Demo VM", false, "").unwrap().summary,
            "Demo VM is ready for offline use"
        );
        let n = failed(
            JobKind::Start,
            "Demo VM",
            false,
            "Not enough space: 12.4 GB needed, 3.1 GB free",
        );
        assert_eq!(n.summary, "Demo VM could not be started");
        assert_eq!(n.body, "Not enough space: 12.4 GB needed, 3.1 GB free");
        assert!(n.urgent);
        assert_eq!(
            failed(JobKind::Start, "Demo VM", true, "boom").summary,
            "Demo VM ended with an error"
        );
        assert!(!failed(JobKind::Sync, "Demo VM", false, "").body.is_empty());
        assert_eq!(
            canceled(JobKind::Start, "Demo VM").summary,
            "Start of Demo VM canceled"
        );
        assert!(!canceled(JobKind::Start, "Demo VM").urgent);
    }

    #[test]
    fn wording_of_upload_ends() {
        let message = "Uploaded Teacher VM to the upload share as teach1/teacher-vm-20270901-1012. \
                       The admin publishes it with: leovms-admin publish teach1/teacher-vm-20270901-1012";
        let n = done(JobKind::Upload, "Teacher VM", false, message).unwrap();
        assert_eq!(n.summary, "Upload finished");
        assert_eq!(n.body, message);
        assert!(!n.urgent);
        assert_eq!(
            done(JobKind::Upload, "Teacher VM", false, "").unwrap().body,
            "Teacher VM was uploaded."
        );
        let n = failed(
            JobKind::Upload,
            "Teacher VM",
            false,
            "You may not write to the upload share.",
        );
        assert_eq!(n.summary, "Upload failed");
        assert_eq!(n.body, "You may not write to the upload share.");
        assert!(n.urgent);
        assert!(
            failed(JobKind::Upload, "Teacher VM", false, "")
                .body
                .starts_with("Teacher VM")
        );
        let n = canceled(JobKind::Upload, "Teacher VM");
        assert_eq!(n.summary, "Upload canceled");
        assert_eq!(n.body, "Teacher VM was not uploaded.");
        assert!(!n.urgent);
        assert_eq!(
            interrupted(JobKind::Upload, "Teacher VM").summary,
            "Uploading Teacher VM was interrupted"
        );
    }
}
