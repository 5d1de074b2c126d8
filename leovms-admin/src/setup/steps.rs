//! The record of changes, and the file and command helpers all steps share.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use leovms_image::atomic::{fsync_dir, temp_path_for};

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};

/// Counts the changes of one run, so that it can say when there were none.
pub struct Steps<'a> {
    pub ctx: &'a Ctx,
    pub changes: usize,
}

impl Steps<'_> {
    pub fn change(&mut self, what: impl std::fmt::Display) -> bool {
        self.changes += 1;
        self.ctx.change(what)
    }
}

/// `/etc/samba` under `--root` may not exist yet.
pub fn ensure_parent(steps: &mut Steps, file: &Path) -> Result<()> {
    let dir = file.parent().expect("an absolute file path");
    if dir.is_dir() {
        return Ok(());
    }
    if steps.change(fl!(
        "change-create-folder",
        path = shown(dir),
        mode = "0755"
    )) {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// Writes `text` to `path` (mode 0644) unless it already holds exactly that.
pub fn ensure_file(steps: &mut Steps, path: &Path, text: &str) -> Result<()> {
    let old = match fs::read(path) {
        Ok(old) => Some(old),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(path, e)),
    };
    let what = match &old {
        Some(old) if old == text.as_bytes() => return Ok(()),
        Some(_) => fl!("change-rewrite-file", path = shown(path)),
        None => fl!("change-write-file", path = shown(path)),
    };
    if steps.change(what) {
        write_file(path, text.as_bytes(), 0o644, None)?;
    }
    Ok(())
}

/// Writes a whole file under a temporary name, then renames it into place: readers (and
/// smbd) see the old or the new file, never half of one. Keeps the given owner.
pub fn write_file(path: &Path, bytes: &[u8], mode: u32, owner: Option<(u32, u32)>) -> Result<()> {
    let tmp = temp_path_for(path);
    let result = (|| -> std::io::Result<()> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::fchown(&file, Some(uid), Some(gid))?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        fsync_dir(path.parent().unwrap_or(Path::new("/")))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|e| Error::io(path, e))
}

pub fn run_command(cmd: &mut Command, shown: &str) -> Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| command_error(shown, e.to_string()))?;
    if out.status.success() {
        return Ok(());
    }
    let mut message = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if message.is_empty() {
        message = format!("{}", out.status);
    }
    Err(command_error(shown, message))
}

pub fn command_error(command: &str, message: String) -> Error {
    Error::Command {
        command: command.to_string(),
        message,
    }
}

pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
