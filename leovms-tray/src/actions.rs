//! What a menu click asks for, and carrying it out.
//!
//! Menu callbacks run while ksni holds the tray's lock, so they only put an [`Action`]
//! into a channel; the calls to the daemon happen here, each in a task of its own, so
//! that one slow call never holds up the menu or another click.

use std::process::Stdio;

use leovms_api::{Leovms, StartOptions, UploadOptions, UploadSource};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use zbus::zvariant::OwnedObjectPath;

use crate::l10n::fl;
use crate::notify::{self, Notice, Notifier};
use crate::tray::Ui;

/// What a click asks for. Names travel along, so the notifications can use them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `snapshot` empty: "as found". `ram_mb`: `None` leaves it to the daemon's policy.
    Start {
        vm: String,
        name: String,
        snapshot: String,
        ram_mb: Option<u32>,
    },
    Stop {
        vm: String,
        name: String,
    },
    /// `what`: the job's menu line, for the notification.
    Cancel {
        job: String,
        what: String,
    },
    Sync {
        vm: String,
        name: String,
    },
    Unsync {
        vm: String,
        name: String,
    },
    /// A machine from `ListUploadable` (`source`, `id`) to the upload share, confirmed
    /// in the menu under the name `name`; the daemon chooses a snapshot or a VM and the
    /// ids. `as_name`: the name students will see, as the confirmation showed it (`None`
    /// for a machine without a name, which the daemon names).
    Upload {
        source: UploadSource,
        id: String,
        name: String,
        as_name: Option<String>,
    },
    /// A RAM size chosen in the menu; it stays in the tray until the next start.
    ChooseRam {
        vm: String,
        mb: u32,
    },
    /// Plain VirtualBox with the teacher's own machines.
    OpenVirtualBox,
    Quit,
}

impl Action {
    /// What was clicked, for the log: admins can follow what a user asked for.
    pub fn log_line(&self) -> String {
        match self {
            Action::Start {
                vm,
                snapshot,
                ram_mb,
                ..
            } => {
                let what = if snapshot.is_empty() {
                    format!("start {vm} as found")
                } else {
                    format!("start {vm} from snapshot {snapshot}")
                };
                match ram_mb {
                    Some(mb) => format!("{what} with {mb} MB"),
                    None => what,
                }
            }
            Action::Stop { vm, .. } => format!("power off {vm}"),
            Action::Cancel { job, .. } => format!("cancel {job}"),
            Action::Sync { vm, .. } => format!("sync {vm}"),
            Action::Unsync { vm, .. } => format!("unsync {vm}"),
            Action::Upload {
                source,
                id,
                as_name,
                ..
            } => match as_name {
                Some(name) => format!("upload {source} {id} as {name:?}"),
                None => format!("upload {source} {id}"),
            },
            Action::ChooseRam { vm, mb } => format!("RAM {mb} MB for {vm}"),
            Action::OpenVirtualBox => "open VirtualBox".into(),
            Action::Quit => "quit".into(),
        }
    }
}

/// Everything a call needs.
#[derive(Clone)]
pub struct Caller {
    pub daemon: Leovms,
    pub ui: Ui,
    pub notifier: Notifier,
    /// Asks the follower to read the machines again: after an unsync, which the daemon
    /// does not signal, and after a refusal (which also reads what can be uploaded).
    pub refresh: UnboundedSender<()>,
}

/// Handles clicks until "Quit".
pub async fn run(mut clicks: UnboundedReceiver<Action>, caller: Caller) {
    while let Some(action) = clicks.recv().await {
        // In the order of the clicks, before anything is called.
        tracing::info!("clicked: {}", action.log_line());
        match action {
            Action::Quit => return,
            // Handled by the tray itself; nothing to call.
            Action::ChooseRam { .. } => {}
            Action::OpenVirtualBox => {
                if let Err(e) = open_virtualbox() {
                    let body = if e.kind() == std::io::ErrorKind::NotFound {
                        fl!("note-virtualbox-missing")
                    } else {
                        e.to_string()
                    };
                    caller
                        .notifier
                        .send(notify::refused(&fl!("note-virtualbox-failed"), &body));
                }
            }
            action => {
                tokio::spawn(caller.clone().call(action));
            }
        }
    }
}

impl Caller {
    async fn call(self, action: Action) {
        let result = self.perform(&action).await;
        match result {
            Ok(Some(notice)) => self.notifier.send(notice),
            Ok(None) => {}
            Err(e) => {
                let unreachable = is_unreachable(&e);
                let message = explain(&e);
                self.ui
                    .update(|s| s.call_failed(&message, unreachable))
                    .await;
                let notice = if unreachable {
                    notify::unreachable(&message)
                } else {
                    // The daemon knew better (e.g. the share just went): read again.
                    let _ = self.refresh.send(());
                    notify::refused(&failure_summary(&action), &message)
                };
                self.notifier.send(notice);
            }
        }
    }

    /// One call; a notice to show on success, if any (jobs announce themselves).
    async fn perform(&self, action: &Action) -> Result<Option<Notice>, leovms_api::Error> {
        match action {
            Action::Start {
                vm,
                snapshot,
                ram_mb,
                ..
            } => {
                let options = StartOptions { ram_mb: *ram_mb };
                self.daemon.manager().start(vm, snapshot, options).await?;
                Ok(None)
            }
            Action::Stop { vm, .. } => {
                self.daemon.manager().stop(vm).await?;
                Ok(None)
            }
            Action::Cancel { job, .. } => {
                let path = OwnedObjectPath::try_from(job.as_str()).map_err(zbus::Error::from)?;
                self.daemon.job(path).await?.cancel().await?;
                Ok(None)
            }
            Action::Sync { vm, .. } => {
                self.daemon.manager().sync(vm, &[]).await?;
                Ok(None)
            }
            Action::Unsync { vm, name } => {
                let freed = self.daemon.manager().unsync(vm).await?;
                let _ = self.refresh.send(());
                Ok(Some(notify::info(
                    fl!("note-unsynced", vm = name.as_str()),
                    fl!("note-freed", size = format_gb(freed)),
                )))
            }
            Action::Upload {
                source,
                id,
                name,
                as_name,
            } => {
                let options = UploadOptions {
                    name: as_name.clone(),
                    ..UploadOptions::default()
                };
                let job = self.daemon.manager().upload(*source, id, options).await?;
                // Its job line and its end are announced with the machine's name.
                self.ui
                    .update(|s| s.upload_started(job.as_str(), name))
                    .await;
                Ok(None)
            }
            Action::ChooseRam { .. } | Action::OpenVirtualBox | Action::Quit => Ok(None),
        }
    }
}

/// The notification's title when a call was refused.
fn failure_summary(action: &Action) -> String {
    match action {
        Action::Start { name, .. } => notify::start_failed(name),
        Action::Stop { name, .. } => fl!("note-stop-failed", vm = name.as_str()),
        Action::Cancel { what, .. } => fl!("note-cancel-failed", what = what.as_str()),
        Action::Sync { name, .. } => notify::sync_failed(name),
        Action::Unsync { name, .. } => fl!("note-unsync-failed", vm = name.as_str()),
        Action::Upload { name, .. } => fl!("note-upload-refused", vm = name.as_str()),
        Action::ChooseRam { .. } | Action::OpenVirtualBox | Action::Quit => fl!("note-failed"),
    }
}

/// What went wrong, for a person: a refusal of the daemon in the user's language (the
/// daemon's own sentence in English), words for a job that is gone, and D-Bus's reason
/// for anything else that is an error reply.
pub fn explain(e: &leovms_api::Error) -> String {
    match e {
        leovms_api::Error::ZBus(z) if leovms_api::is_unknown_object(z) => fl!("note-job-gone"),
        leovms_api::Error::ZBus(zbus::Error::MethodError(_, Some(detail), _)) => detail.clone(),
        e => e.explain(),
    }
}

/// Nobody answers for the daemon's name (not installed, cannot be started, bus gone).
pub fn is_unreachable(e: &leovms_api::Error) -> bool {
    matches!(e, leovms_api::Error::ZBus(z) if leovms_api::client::is_unreachable(z))
}

/// The daemon does not know the method: it is older than this tray.
pub fn is_unknown_method(e: &leovms_api::Error) -> bool {
    let leovms_api::Error::ZBus(z) = e else {
        return false;
    };
    leovms_api::dbus_error_name(z).as_deref() == Some("org.freedesktop.DBus.Error.UnknownMethod")
}

pub use leovms_api::units::format_gb;

/// Starts plain VirtualBox for the teacher's own machines: with the real home and
/// without `VBOX_USER_HOME`, which would point it at leovms' machines. It gets its own
/// process group, so it outlives the tray and a Ctrl-C in the tray's terminal.
fn open_virtualbox() -> std::io::Result<()> {
    let mut cmd = tokio::process::Command::new("VirtualBox");
    cmd.env_remove("VBOX_USER_HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let mut child = cmd.spawn()?;
    // Reaped when it ends, so no zombie stays behind.
    tokio::spawn(async move {
        let _ = child.wait().await;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_errors_are_unreachable_and_daemon_errors_are_not() {
        let gone = leovms_api::Error::ZBus(zbus::Error::from(zbus::fdo::Error::ServiceUnknown(
            "The name org.leovms.Leovms1 was not provided by any .service files".into(),
        )));
        assert!(is_unreachable(&gone));
        let refused =
            leovms_api::Error::new(leovms_api::ErrorKind::VmRunning, "Close Demo Linux first.");
        assert!(!is_unreachable(&refused));
        assert_eq!(explain(&refused), "Close Demo Linux first.");
        let ended = leovms_api::Error::ZBus(zbus::Error::from(zbus::fdo::Error::UnknownObject(
            "no job".into(),
        )));
        assert!(!is_unreachable(&ended));
        assert_eq!(explain(&ended), "It has already ended.");
        let old = leovms_api::Error::ZBus(zbus::Error::from(zbus::fdo::Error::UnknownMethod(
            "Unknown method ListUploadable".into(),
        )));
        assert!(is_unknown_method(&old) && !is_unreachable(&old));
        assert!(!is_unknown_method(&refused));
    }

    #[test]
    fn clicks_are_logged_in_plain_words() {
        let start = |snapshot: &str, ram_mb| Action::Start {
            vm: "vm-demo".into(),
            name: "Demo Linux".into(),
            snapshot: snapshot.into(),
            ram_mb,
        };
        assert_eq!(
            start("exam", None).log_line(),
            "start vm-demo from snapshot exam"
        );
        assert_eq!(
            start("", Some(1024)).log_line(),
            "start vm-demo as found with 1024 MB"
        );
        let stop = Action::Stop {
            vm: "vm-demo".into(),
            name: "Demo Linux".into(),
        };
        assert_eq!(stop.log_line(), "power off vm-demo");
        let upload = Action::Upload {
            source: UploadSource::VirtualBox,
            id: "6f1c0c2e".into(),
            name: "Teacher VM".into(),
            as_name: Some("Teacher VM".into()),
        };
        assert_eq!(
            upload.log_line(),
            "upload virtualbox 6f1c0c2e as \"Teacher VM\""
        );
    }

    #[test]
    fn sizes_read_like_the_daemons() {
        assert_eq!(format_gb(350_000_000), "0.35 GB");
        assert_eq!(format_gb(20_000_000_000), "20.0 GB");
    }
}
