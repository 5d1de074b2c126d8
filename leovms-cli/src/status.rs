//! `status`: the daemon's settings, what runs and how many jobs are active.

use leovms_api::{JobState, MachineState, ManagerProxy, ShareInfo, ShareState};
use serde::Serialize;

use crate::exit::CliError;
use crate::l10n::fl;
use crate::output::print_json;
use crate::words;

/// The `--json` object of `status`.
#[derive(Debug, Serialize, PartialEq)]
pub struct Status {
    pub version: String,
    pub data_dir: String,
    /// Whether `leovms-data` is mounted and answers, with the reason and a hint.
    pub data_share: ShareInfo,
    pub upload_share: ShareInfo,
    /// `null` when VirtualBox was not found.
    pub vbox_version: Option<String>,
    pub vbox_home: String,
    pub machines_dir: String,
    /// Ids of running machines; `null` when the machine list cannot be read (e.g. offline).
    pub running: Option<Vec<String>>,
    /// Ids of machines being started.
    pub starting: Option<Vec<String>>,
    pub active_jobs: usize,
}

pub async fn show(mgr: &ManagerProxy<'_>, json: bool) -> Result<(), CliError> {
    let vbox = mgr.vbox_version().await?;
    // The settings are useful even when the share is unreachable, so a failing
    // machine list only blanks the running machines.
    let machines = mgr.list_machines().await;
    let in_state = |state: MachineState| {
        machines.as_ref().ok().map(|ms| {
            ms.iter()
                .filter(|m| m.state == state)
                .map(|m| m.id.clone())
                .collect::<Vec<_>>()
        })
    };
    let jobs = mgr.list_jobs().await?;
    let status = Status {
        version: mgr.version().await?,
        data_dir: mgr.data_dir().await?,
        data_share: mgr.data_share().await?,
        upload_share: mgr.upload_share().await?,
        vbox_version: (!vbox.is_empty()).then_some(vbox),
        vbox_home: mgr.vbox_home().await?,
        machines_dir: mgr.machines_dir().await?,
        running: in_state(MachineState::Running),
        starting: in_state(MachineState::Starting),
        active_jobs: jobs.iter().filter(|j| j.state == JobState::Active).count(),
    };
    if json {
        return print_json(&status);
    }
    say_raw!("{}", render(&status));
    if let Err(e) = machines {
        say_err!("leovms: {}", CliError::from(e));
    }
    Ok(())
}

/// `online`, or the state with what was found and what to do.
fn share_line(share: &ShareInfo) -> String {
    let mut line = words::share_state(share.state);
    if !share.fstype.is_empty() {
        line.push_str(&format!(" ({} {})", share.fstype, share.source));
    }
    if share.state != ShareState::Online {
        line.push_str(&format!(": {}", share.explain()));
    }
    line.trim_end().to_owned()
}

fn list_or(ids: &Option<Vec<String>>, empty: &str) -> String {
    match ids {
        None => fl!("status-unknown"),
        Some(ids) if ids.is_empty() => empty.into(),
        Some(ids) => ids.join(", "),
    }
}

pub fn render(s: &Status) -> String {
    let vbox = match &s.vbox_version {
        Some(version) => version.clone(),
        None => fl!("status-no-virtualbox"),
    };
    let none = fl!("status-none");
    let mut lines = vec![
        ("leovmsd".to_string(), s.version.clone()),
        (fl!("status-share"), s.data_dir.clone()),
        (fl!("status-share-state"), share_line(&s.data_share)),
        (fl!("status-upload-share"), share_line(&s.upload_share)),
        ("VirtualBox".to_string(), vbox),
        (fl!("status-vbox-home"), s.vbox_home.clone()),
        (fl!("status-machines-dir"), s.machines_dir.clone()),
        (fl!("status-running"), list_or(&s.running, &none)),
    ];
    if s.starting.as_ref().is_some_and(|v| !v.is_empty()) {
        lines.push((fl!("status-starting"), list_or(&s.starting, &none)));
    }
    lines.push((fl!("status-active-jobs"), s.active_jobs.to_string()));
    // Padded by characters, as `format!` pads: a German label may hold an umlaut.
    let width = lines
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        + 1;
    lines
        .iter()
        .map(|(k, v)| format!("{:width$} {v}\n", format!("{k}:")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_text_and_json() {
        let s = Status {
            version: "0.1.0".into(),
            data_dir: "/home/leovms/data".into(),
            data_share: ShareInfo {
                state: ShareState::NotMounted,
                path: "/media/leovms/data".into(),
                reason: "The VM share is not connected.".into(),
                hint: "Log out and in again.".into(),
                ..Default::default()
            },
            upload_share: ShareInfo {
                state: ShareState::Online,
                fstype: "cifs".into(),
                source: "//server/leovms-upload".into(),
                ..Default::default()
            },
            vbox_version: None,
            vbox_home: "/home/anna/.leovms".into(),
            machines_dir: "/var/lib/leovms/machines".into(),
            running: Some(vec!["vm-win10".into()]),
            starting: Some(vec![]),
            active_jobs: 1,
        };
        let expected = "\
leovmsd:         0.1.0
Share:           /home/leovms/data
Share state:     not-mounted: The VM share is not connected. Log out and in again.
Upload share:    online (cifs //server/leovms-upload)
VirtualBox:      VirtualBox not found
VirtualBox home: /home/anna/.leovms
Machines dir:    /var/lib/leovms/machines
Running:         vm-win10
Active jobs:     1
";
        assert_eq!(render(&s), expected);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["vbox_version"], serde_json::Value::Null);
        assert_eq!(v["running"][0], "vm-win10");
        assert_eq!(v["active_jobs"], 1);
    }
}
