//! The panel's bus through `gdbus`: who owns a name, what the StatusNotifier watcher says.

use std::process::{Command, Stdio};

use super::Panel;

impl Panel {
    /// `gdbus` on the panel's bus; its output when it succeeded.
    fn gdbus(&self, args: &[&str]) -> Option<String> {
        let mut cmd = Command::new("gdbus");
        self.env(&mut cmd);
        let out = cmd.args(args).stdin(Stdio::null()).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    pub(super) fn name_has_owner(&self, name: &str) -> bool {
        self.gdbus(&[
            "call",
            "--session",
            "--dest",
            "org.freedesktop.DBus",
            "--object-path",
            "/org/freedesktop/DBus",
            "--method",
            "org.freedesktop.DBus.NameHasOwner",
            name,
        ])
        .is_some_and(|out| out.contains("true"))
    }

    /// A property of `org.kde.StatusNotifierWatcher`, as gdbus prints it.
    pub(super) fn watcher_property(&self, name: &str) -> Option<String> {
        self.gdbus(&[
            "call",
            "--session",
            "--dest",
            "org.kde.StatusNotifierWatcher",
            "--object-path",
            "/StatusNotifierWatcher",
            "--method",
            "org.freedesktop.DBus.Properties.Get",
            "org.kde.StatusNotifierWatcher",
            name,
        ])
    }

    /// The items registered with the watcher (`<bus name>/<object path>`).
    pub fn registered_items(&self) -> Vec<String> {
        let Some(out) = self.watcher_property("RegisteredStatusNotifierItems") else {
            return Vec::new();
        };
        out.split('\'')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }
}
