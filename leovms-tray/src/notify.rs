//! Desktop notifications (`org.freedesktop.Notifications`) and their wording.
//!
//! The daemon's refusals, failures and outcomes become the body in the user's language
//! (`explain()` and `outcome()` of leovms-api); a message it has no words for, as the
//! daemon wrote it. Without a notification server the tray only logs: a missing popup
//! must never stop the tray.

use std::collections::HashMap;

use leovms_api::JobKind;
use zbus::proxy::CacheProperties;
use zbus::zvariant::Value;

use crate::l10n::fl;

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
    Notice::new(fl!("note-running", vm = name), "", false)
}

/// A job of a kind this tray does not know (a newer daemon's), in a sentence: "A job for
/// Demo Linux".
pub fn job_of(name: &str) -> String {
    if name.is_empty() {
        fl!("job-other")
    } else {
        fl!("job-other-for", vm = name)
    }
}

/// A message of the daemon that has no words in the tray's catalog (what a job that
/// ended well says): as it is in English, marked as the VM service's elsewhere.
pub fn daemon_says(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        fl!("note-daemon-says", message = message)
    }
}

/// A job ended `done`; `message` is the daemon's (see [`daemon_says`]). A start ends
/// `done` when its VM powered off, which the student did: nothing to tell then. A print
/// job's message says on which printer the document came out.
pub fn done(kind: JobKind, name: &str, ran: bool, message: &str) -> Option<Notice> {
    match kind {
        JobKind::Start if ran => None,
        JobKind::Start => Some(running(name)),
        JobKind::Sync => Some(Notice::new(fl!("note-synced", vm = name), "", false)),
        JobKind::Verify => Some(Notice::new(fl!("note-verified"), message, false)),
        // The daemon's message names the folder the admin publishes.
        JobKind::Upload => Some(Notice::new(
            fl!("note-upload-done"),
            if message.is_empty() {
                fl!("note-uploaded", vm = name)
            } else {
                message.to_string()
            },
            false,
        )),
        JobKind::Print => Some(Notice::new(fl!("note-printed", vm = name), message, false)),
        JobKind::Unknown => Some(Notice::new(
            fl!("note-other-done", job = job_of(name)),
            message,
            false,
        )),
    }
}

/// A job was canceled; `message` is how the daemon put it (`JobEnd::explain`), which only
/// a print job's notice shows: it says where the document that was not printed is kept.
pub fn canceled(kind: JobKind, name: &str, message: &str) -> Notice {
    let (summary, body) = match kind {
        JobKind::Start => (fl!("note-start-canceled", vm = name), String::new()),
        JobKind::Sync => (fl!("note-sync-canceled", vm = name), String::new()),
        JobKind::Verify => (fl!("note-verify-canceled"), String::new()),
        JobKind::Upload => (
            fl!("note-upload-canceled"),
            fl!("note-not-uploaded", vm = name),
        ),
        JobKind::Print if message.is_empty() => (
            fl!("note-print-canceled"),
            fl!("note-not-printed", vm = name),
        ),
        JobKind::Print => (fl!("note-print-canceled"), message.to_string()),
        JobKind::Unknown => (
            fl!("note-other-canceled", job = job_of(name)),
            String::new(),
        ),
    };
    Notice::new(summary, body, false)
}

/// A job failed; `ran` tells a VM that failed while it ran (VirtualBox's own error)
/// from a start that never got there. `message`: the failure in the user's words
/// (`JobEnd::explain`).
pub fn failed(kind: JobKind, name: &str, ran: bool, message: &str) -> Notice {
    let summary = match kind {
        JobKind::Start if ran => fl!("note-ended-with-error", vm = name),
        JobKind::Start => start_failed(name),
        JobKind::Sync => sync_failed(name),
        JobKind::Verify => fl!("note-verify-failed"),
        JobKind::Upload => fl!("note-upload-failed"),
        JobKind::Print => fl!("note-print-failed", vm = name),
        JobKind::Unknown => fl!("note-other-failed", job = job_of(name)),
    };
    let body = match (kind, message.is_empty()) {
        (_, false) => message.to_string(),
        (JobKind::Upload, true) => fl!("note-not-uploaded-reason-in-log", vm = name),
        _ => fl!("note-reason-in-log"),
    };
    Notice::new(summary, body, true)
}

/// "Demo Linux could not be started": a failed start job, or a refused start.
pub fn start_failed(name: &str) -> String {
    fl!("note-start-failed", vm = name)
}

/// "Demo Linux could not be copied for offline use": a failed sync, or a refused one.
pub fn sync_failed(name: &str) -> String {
    fl!("note-sync-failed", vm = name)
}

/// The daemon left the bus while a job was still working.
pub fn interrupted(kind: JobKind, name: &str) -> Notice {
    let summary = match kind {
        JobKind::Start => fl!("note-start-interrupted", vm = name),
        JobKind::Sync => fl!("note-sync-interrupted", vm = name),
        JobKind::Verify => fl!("note-verify-interrupted"),
        JobKind::Upload => fl!("note-upload-interrupted", vm = name),
        JobKind::Print => fl!("note-print-interrupted", vm = name),
        JobKind::Unknown => fl!("note-other-interrupted", job = job_of(name)),
    };
    Notice::new(summary, fl!("note-service-stopped"), true)
}

/// A call to the daemon was refused (`what`: e.g. "Demo Linux could not be started").
pub fn refused(what: &str, message: &str) -> Notice {
    Notice::new(what, message, true)
}

/// The daemon could not be reached at all.
pub fn unreachable(detail: &str) -> Notice {
    Notice::new(
        fl!("note-unreachable"),
        fl!("note-unreachable-body", detail = detail),
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
            canceled(JobKind::Start, "Demo VM", "Canceled.").summary,
            "Start of Demo VM canceled"
        );
        assert!(!canceled(JobKind::Start, "Demo VM", "").urgent);
    }

    #[test]
    fn an_unreachable_daemon_and_an_interrupted_job_are_worded_in_full() {
        let n = unreachable("The name org.leovms.Leovms1 was not provided");
        assert_eq!(n.summary, "The VM service cannot be reached");
        assert_eq!(
            n.body,
            "The name org.leovms.Leovms1 was not provided\n\
             Try again in a moment; if it stays like this, ask the school's admin."
        );
        let n = interrupted(JobKind::Start, "Demo VM");
        assert_eq!(
            (n.summary.as_str(), n.body.as_str()),
            (
                "Starting Demo VM was interrupted",
                "The VM service stopped. Please try again."
            )
        );
        assert_eq!(daemon_says(""), "");
        assert_eq!(daemon_says("Checked 3 archives."), "Checked 3 archives.");
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
        let n = canceled(JobKind::Upload, "Teacher VM", "Canceled.");
        assert_eq!(n.summary, "Upload canceled");
        assert_eq!(n.body, "Teacher VM was not uploaded.");
        assert!(!n.urgent);
        assert_eq!(
            interrupted(JobKind::Upload, "Teacher VM").summary,
            "Uploading Teacher VM was interrupted"
        );
    }

    #[test]
    fn wording_of_print_ends() {
        let printed = "The document from Windows 10 was printed on test.";
        let n = done(JobKind::Print, "Windows 10", false, printed).unwrap();
        assert_eq!(
            (n.summary.as_str(), n.body.as_str(), n.urgent),
            ("Printed: Windows 10", printed, false)
        );
        let refused = "The printer test did not accept the document from Windows 10 \
                       (lp: Unsupported document-format). The document is kept as \
                       /home/anna/Home_auf_Server/ausdruck-nicht-gedruckt.pdf.";
        let n = failed(JobKind::Print, "Windows 10", false, refused);
        assert_eq!(
            (n.summary.as_str(), n.body.as_str(), n.urgent),
            ("Not printed: Windows 10", refused, true)
        );
        assert_eq!(
            failed(JobKind::Print, "Windows 10", false, "").body,
            "The reason is in the log of leovmsd."
        );
        let kept = "Printing the document from Windows 10 was canceled. It is kept as \
                    /home/anna/Home_auf_Server/ausdruck-nicht-gedruckt.pdf.";
        let n = canceled(JobKind::Print, "Windows 10", kept);
        assert_eq!(
            (n.summary.as_str(), n.body.as_str(), n.urgent),
            ("Printing canceled", kept, false)
        );
        assert_eq!(
            canceled(JobKind::Print, "Windows 10", "").body,
            "The document from Windows 10 was not printed."
        );
        let n = interrupted(JobKind::Print, "Windows 10");
        assert_eq!(
            (n.summary.as_str(), n.urgent),
            ("Printing from Windows 10 was interrupted", true)
        );
    }
}
