//! The upload group: looking up its id, creating it.

use std::process::{Command, Stdio};

use super::GROUP;
use super::steps::{Steps, command_error, find_in_path, run_command};
use crate::error::Result;
use crate::l10n::fl;

const GROUP_DESCRIPTION: &str = "Uploaders for snapshots";

/// The upload group on this machine.
#[derive(Clone, Copy, PartialEq)]
pub enum GroupState {
    Exists(u32),
    /// Dry run: it would be created.
    WouldCreate,
    /// Not created here (`--root`, or `--ldap` before the join): upload/ keeps its group.
    Missing,
}

/// The group's id when it exists (local, LDAP or winbind: whatever `getent` sees).
fn group_gid(name: &str) -> Result<Option<u32>> {
    let out = Command::new("getent")
        .args(["group", name])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| command_error("getent", e.to_string()))?;
    if !out.status.success() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let gid = text
        .lines()
        .next()
        .and_then(|line| line.split(':').nth(2))
        .and_then(|gid| gid.trim().parse().ok());
    Ok(gid)
}

/// Makes sure the group exists, unless under `--root` or with `--ldap` (where it comes
/// from the domain).
pub fn ensure_group(steps: &mut Steps, ldap: bool) -> Result<GroupState> {
    if let Some(gid) = group_gid(GROUP)? {
        return Ok(GroupState::Exists(gid));
    }
    if steps.ctx.is_prefixed() {
        println!("{}", fl!("setup-group-missing-root", group = GROUP));
        return Ok(GroupState::Missing);
    }
    if ldap {
        println!("{}", fl!("setup-group-missing-ldap", group = GROUP));
        return Ok(GroupState::Missing);
    }
    let sophomorix = find_in_path("sophomorix-project");
    let mut cmd = match &sophomorix {
        Some(path) => {
            let mut cmd = Command::new(path);
            cmd.args([
                "--create",
                "--project",
                GROUP,
                "--description",
                GROUP_DESCRIPTION,
            ]);
            cmd
        }
        None => {
            let mut cmd = Command::new("groupadd");
            cmd.args(["--system", GROUP]);
            cmd
        }
    };
    let shown = if sophomorix.is_some() {
        format!(
            "sophomorix-project --create --project {GROUP} --description \"{GROUP_DESCRIPTION}\""
        )
    } else {
        format!("groupadd --system {GROUP}")
    };
    if !steps.change(fl!(
        "change-create-group",
        group = GROUP,
        description = GROUP_DESCRIPTION,
        command = shown.as_str()
    )) {
        return Ok(GroupState::WouldCreate);
    }
    run_command(&mut cmd, &shown)?;
    match group_gid(GROUP)? {
        Some(gid) => Ok(GroupState::Exists(gid)),
        None => Err(command_error(
            &shown,
            fl!("setup-group-still-unknown", group = GROUP),
        )),
    }
}
