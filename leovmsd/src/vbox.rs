//! Calling VirtualBox: `VBoxManage` for questions and the foreground frontend
//! `VirtualBoxVM --startvm` for running a VM. Always with this user's leovms
//! `VBOX_USER_HOME`, so the user's own VirtualBox machines are never touched.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use leovms_api::ErrorKind;
use leovms_image::text;
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::error::{Error, Result};

/// A VBoxManage call that takes longer than this is treated as hanging.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct VBox {
    pub manage: PathBuf,
    pub frontend: PathBuf,
    pub home: PathBuf,
}

impl VBox {
    /// Finds VirtualBox: `dir` when given, else `VBoxManage` on PATH; the frontend
    /// beside it or in VirtualBox's usual install folders.
    pub fn locate(dir: Option<&Path>, home: &Path) -> Result<VBox> {
        let manage = match dir {
            Some(d) => Some(d.join("VBoxManage")).filter(|p| p.is_file()),
            None => find_in_path("VBoxManage").or_else(|| find_in_path("vboxmanage")),
        }
        .ok_or_else(|| {
            Error::new(
                ErrorKind::VBoxMissing,
                "VirtualBox is not installed on this computer (VBoxManage not found). Ask the school's admin.",
            )
            .said("vbox-missing", &[])
        })?;
        let mut candidates = Vec::new();
        if let Some(d) = manage.parent() {
            candidates.push(d.join("VirtualBoxVM"));
        }
        if let Some(d) = std::fs::canonicalize(&manage)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
        {
            candidates.push(d.join("VirtualBoxVM"));
        }
        candidates.push("/usr/lib/virtualbox/VirtualBoxVM".into());
        candidates.push("/opt/VirtualBox/VirtualBoxVM".into());
        let frontend = candidates
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::VBoxMissing,
                    format!(
                        "VirtualBox is incomplete: VirtualBoxVM was not found next to {}.",
                        manage.display()
                    ),
                )
            })?;
        Ok(VBox {
            manage,
            frontend,
            home: home.to_path_buf(),
        })
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("VBOX_USER_HOME", &self.home).stdin(Stdio::null());
        cmd
    }

    /// Runs VBoxManage; a failure carries VirtualBox's own words.
    pub async fn manage(&self, args: &[&str]) -> Result<String> {
        let mut cmd = self.command(&self.manage);
        cmd.args(args).kill_on_drop(true);
        let out = tokio::time::timeout(CALL_TIMEOUT, cmd.output())
            .await
            .map_err(|_| {
                Error::new(
                    ErrorKind::VBoxFailed,
                    format!(
                        "VirtualBox did not answer within a minute (VBoxManage {}).",
                        args.join(" ")
                    ),
                )
            })?
            .map_err(|e| {
                Error::new(
                    ErrorKind::VBoxMissing,
                    format!("VBoxManage cannot be run ({}): {e}", self.manage.display()),
                )
            })?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let vbox = vbox_message(
            &String::from_utf8_lossy(&out.stderr),
            &String::from_utf8_lossy(&out.stdout),
        );
        Err(Error::new(
            ErrorKind::VBoxFailed,
            format!("VirtualBox reported an error: {vbox}"),
        )
        .said("vbox-failed", &[("vbox", &vbox)]))
    }

    /// VirtualBox's version, as it says it (shown escaped and short: outside text).
    pub async fn version(&self) -> Result<String> {
        Ok(text::shown(self.manage(&["--version"]).await?.trim()))
    }

    /// UUIDs of the VMs VirtualBox reports as running in this home.
    pub async fn running_vms(&self) -> Result<Vec<Uuid>> {
        self.list("runningvms").await
    }

    /// UUIDs of the VMs registered in this home.
    pub async fn registered_vms(&self) -> Result<Vec<Uuid>> {
        self.list("vms").await
    }

    /// (Re-)registers a machine whose settings file was just written. Going through
    /// VirtualBox matters: a VBoxSVC still running from an earlier call keeps the
    /// registry in memory and would not see files changed behind its back.
    pub async fn unregister(&self, uuid: &Uuid) -> Result<()> {
        if self.registered_vms().await?.contains(uuid) {
            self.manage(&["unregistervm", &uuid.to_string()]).await?;
        }
        Ok(())
    }

    pub async fn register(&self, settings: &Path) -> Result<()> {
        let file = settings.to_string_lossy();
        self.manage(&["registervm", &file]).await.map(drop)
    }

    async fn list(&self, what: &str) -> Result<Vec<Uuid>> {
        let out = self.manage(&["list", what]).await?;
        Ok(out
            .lines()
            .filter_map(|l| {
                let open = l.rfind('{')?;
                Uuid::parse_str(l[open + 1..].trim_end_matches('}')).ok()
            })
            .collect())
    }

    /// `VMState` from `showvminfo`, e.g. `running` or `poweroff`.
    pub async fn vm_state(&self, uuid: &Uuid) -> Result<String> {
        let out = self
            .manage(&["showvminfo", &uuid.to_string(), "--machinereadable"])
            .await?;
        Ok(out
            .lines()
            .find_map(|l| l.strip_prefix("VMState="))
            .map(|v| v.trim_matches('"').to_owned())
            .unwrap_or_default())
    }

    pub async fn poweroff(&self, uuid: &Uuid) -> Result<()> {
        self.manage(&["controlvm", &uuid.to_string(), "poweroff"])
            .await
            .map(drop)
    }

    /// Starts the frontend in its own process group, so that a daemon exit, crash or
    /// restart never takes the VM along; its output goes to `log`, not to a pipe that
    /// would break when the daemon goes away. Under systemd it also gets a scope of its
    /// own (`systemd-run --scope` execs it, so the pid stays the frontend's): stopping,
    /// restarting or upgrading leovmsd.service kills its cgroup, never the VM.
    pub fn spawn_frontend(&self, uuid: &Uuid, log: &Path) -> Result<Child> {
        let out = std::fs::File::create(log).map_err(|e| Error::io(log.display(), &e))?;
        let err = out.try_clone().map_err(|e| Error::io(log.display(), &e))?;
        let mut cmd = match systemd_run() {
            Some(run) => {
                let mut cmd = self.command(&run);
                cmd.args(["--user", "--scope", "--collect", "--quiet"])
                    .arg(format!("--unit=leovms-vm-{uuid}"))
                    .arg("--description=leovms virtual machine")
                    .arg("--")
                    .arg(&self.frontend);
                cmd
            }
            None => self.command(&self.frontend),
        };
        cmd.arg("--startvm")
            .arg(uuid.to_string())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .kill_on_drop(false);
        cmd.spawn().map_err(|e| {
            Error::new(
                ErrorKind::VBoxMissing,
                format!(
                    "VirtualBox cannot be started ({}): {e}",
                    self.frontend.display()
                ),
            )
        })
    }
}

/// `systemd-run` when this daemon runs as a systemd service (`INVOCATION_ID` is set
/// for every unit systemd starts), else nothing: outside systemd there is no cgroup
/// to leave.
fn systemd_run() -> Option<PathBuf> {
    std::env::var_os("INVOCATION_ID")?;
    find_in_path("systemd-run")
}

/// At most this many of VirtualBox's lines go into a message.
const MESSAGE_LINES: usize = 6;

/// VirtualBox's own error lines, without the simulator's or the shell wrapper's noise
/// and without the `VBoxManage: error: ` prefixes. They are outside text: a line with
/// control characters, or longer than one line of text may be, is shown escaped and
/// shortened; at most [`MESSAGE_LINES`] lines are kept.
pub fn vbox_message(stderr: &str, stdout: &str) -> String {
    let mut errors = Vec::new();
    let mut others = Vec::new();
    for line in stderr.lines().chain(stdout.lines()).map(str::trim) {
        if line.is_empty() || line.starts_with("vboxsim:") || line.starts_with("Waiting for VM") {
            continue;
        }
        match line.split_once(": error: ") {
            Some((prog, text)) if !prog.contains(' ') => {
                let text = text.trim();
                if !text.is_empty()
                    && !text.starts_with("Details:")
                    && !text.starts_with("Context:")
                {
                    errors.push(text);
                }
            }
            _ => others.push(line),
        }
    }
    // The first error lines say what went wrong; of other output, the last lines do.
    let picked = if errors.is_empty() {
        others.split_off(others.len().saturating_sub(MESSAGE_LINES))
    } else {
        errors.truncate(MESSAGE_LINES);
        errors
    };
    if picked.is_empty() {
        return "no message".into();
    }
    let shown: Vec<String> = picked
        .into_iter()
        .map(|line| match text::check_line(line, text::LINE_MAX) {
            Ok(()) => line.to_owned(),
            Err(_) => text::shown(line),
        })
        .collect();
    shown.join(" ")
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vboxmanage_errors_are_shown_in_its_own_words() {
        let stderr = "VBoxManage: error: The machine 'x' is already locked by a session\n\
                      VBoxManage: error: Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007)\n\
                      VBoxManage: error: Context: \"LockMachine\" at line 1 of file VBoxManageControlVM.cpp\n\
                      vboxsim: note\n";
        assert_eq!(
            vbox_message(stderr, ""),
            "The machine 'x' is already locked by a session"
        );
        assert_eq!(vbox_message("", ""), "no message");
        assert_eq!(
            vbox_message("WARNING: The vboxdrv kernel module is not loaded.\n", ""),
            "WARNING: The vboxdrv kernel module is not loaded."
        );
    }

    #[test]
    fn vboxmanage_output_is_outside_text() {
        let stderr = "VBoxManage: error: bad \0 thing \x1b[2J\n";
        assert_eq!(vbox_message(stderr, ""), "bad \\u{0} thing \\u{1b}[2J");
        let long = format!("VBoxManage: error: {}\n", "x".repeat(100_000));
        let message = vbox_message(&long, "");
        assert!(message.chars().count() <= text::SHOWN_MAX + 1, "{message}");
        let many: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        assert_eq!(
            vbox_message(&many, ""),
            "line 994 line 995 line 996 line 997 line 998 line 999"
        );
    }

    #[test]
    fn a_missing_virtualbox_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = VBox::locate(Some(dir.path()), dir.path()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::VBoxMissing);
        assert!(err.message.contains("not installed"));
    }
}
