//! The Samba side: the shares configuration, its include line, `testparm` and the reload
//! of smbd.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use leovms_image::atomic::temp_path_for;

use super::GROUP;
use super::steps::{Steps, command_error, find_in_path, run_command, write_file};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};

pub const SHARES_CONF: &str = "/etc/samba/smb.conf.leovms";
pub const LDAP_CONF: &str = "/etc/samba/smb.conf.leovms-ldap";
const INCLUDE_TARGET: &str = "/etc/samba/smb.conf.shares";
pub const MAIN_CONF: &str = "/etc/samba/smb.conf";

const SHARES_TEMPLATE: &str = include_str!("../../../packaging/samba/smb.conf.leovms");

/// `smb.conf.shares` when it exists, otherwise `smb.conf`.
pub fn include_target(ctx: &Ctx) -> Result<PathBuf> {
    let shares = ctx.path(INCLUDE_TARGET);
    if shares.is_file() {
        return Ok(shares);
    }
    let main = ctx.path(MAIN_CONF);
    if main.is_file() {
        return Ok(main);
    }
    Err(Error::Invalid(fl!(
        "setup-no-samba",
        shares = shown(&shares),
        main = shown(&main)
    )))
}

pub fn render_shares(ctx: &Ctx) -> String {
    SHARES_TEMPLATE
        .replace("{data}", &ctx.data().display().to_string())
        .replace("{upload}", &ctx.upload().display().to_string())
        .replace("{group}", GROUP)
}

/// Adds `include = <conf>` to `target` unless a line includes it already: at the end, or
/// right before the line including `before` (under `--dry-run`, where that line is not
/// written yet, the end is announced).
pub fn ensure_include(
    steps: &mut Steps,
    target: &Path,
    conf: &Path,
    before: Option<&Path>,
) -> Result<()> {
    let old = fs::read_to_string(target).map_err(|e| Error::io(target, e))?;
    if includes(&old, conf) {
        return Ok(());
    }
    let line = format!("include = {}", conf.display());
    let at = before.and_then(|before| {
        let mut offset = 0;
        for l in old.split_inclusive('\n') {
            if includes(l, before) {
                return Some(offset);
            }
            offset += l.len();
        }
        None
    });
    let what = match (at, before) {
        (Some(_), Some(before)) => fl!(
            "change-include-before",
            line = line.as_str(),
            target = shown(target),
            before = shown(before)
        ),
        _ => fl!(
            "change-include",
            line = line.as_str(),
            target = shown(target)
        ),
    };
    if steps.change(what) {
        let mut new = old;
        match at {
            Some(at) => new.insert_str(at, &format!("{line}\n")),
            None => {
                if !new.is_empty() && !new.ends_with('\n') {
                    new.push('\n');
                }
                new.push_str(&line);
                new.push('\n');
            }
        }
        let meta = fs::metadata(target).map_err(|e| Error::io(target, e))?;
        write_file(
            target,
            new.as_bytes(),
            meta.mode() & 0o7777,
            Some((meta.uid(), meta.gid())),
        )?;
    }
    Ok(())
}

/// Whether an active (not commented out) line of `text` includes `conf`.
pub fn includes(text: &str, conf: &Path) -> bool {
    text.lines().any(|line| {
        let line = line.trim();
        if line.starts_with(['#', ';']) {
            return false;
        }
        let Some((key, value)) = line.split_once('=') else {
            return false;
        };
        key.trim().eq_ignore_ascii_case("include") && Path::new(value.trim()) == conf
    })
}

/// Checks a configuration text with `testparm -s` before it is installed.
pub fn testparm_text(text: &str, what: &str) -> Result<()> {
    let dir = std::env::temp_dir();
    let file = temp_path_for(&dir.join("leovms-admin-check.conf"));
    let result = (|| -> Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&file)
            .map_err(|e| Error::io(&file, e))?;
        f.write_all(text.as_bytes())
            .map_err(|e| Error::io(&file, e))?;
        drop(f);
        testparm(&file).map_err(|e| match e {
            Error::Command { command, message } => Error::Command {
                command: fl!("setup-testparm-checking", command = command, what = what),
                message,
            },
            other => other,
        })
    })();
    let _ = fs::remove_file(&file);
    result
}

/// Runs `testparm -s FILE`; returns how it was called (for messages) and what it said.
pub fn run_testparm(file: &Path) -> Result<(String, std::process::Output)> {
    let called = format!("testparm -s {}", file.display());
    let out = Command::new("testparm")
        .arg("-s")
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| command_error(&called, fl!("setup-no-testparm", detail = e.to_string())))?;
    Ok((called, out))
}

/// `testparm -s FILE`; refuses unknown parameters too (testparm only warns about them).
pub fn testparm(file: &Path) -> Result<()> {
    let (called, out) = run_testparm(file)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let problems: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("Unknown parameter") || l.contains("ERROR"))
        .collect();
    if !out.status.success() || !problems.is_empty() {
        let message = if problems.is_empty() {
            stderr.trim().to_string()
        } else {
            problems.join("; ")
        };
        return Err(command_error(&called, message));
    }
    Ok(())
}

/// After the change: the whole configuration (with its includes) must still load.
pub fn check_whole_config(ctx: &Ctx) -> Result<()> {
    let main = ctx.path(MAIN_CONF);
    if main.is_file() {
        testparm(&main)?;
    }
    Ok(())
}

pub fn reload_smbd(steps: &mut Steps) -> Result<()> {
    if steps.ctx.is_prefixed() {
        println!("{}", fl!("setup-no-reload-root"));
        return Ok(());
    }
    let running = find_in_path("smbcontrol").is_some()
        && Command::new("smbcontrol")
            .args(["smbd", "ping"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !running {
        println!("{}", fl!("setup-smbd-not-running"));
        return Ok(());
    }
    if steps.change(fl!("change-reload-smbd")) {
        run_command(
            Command::new("smbcontrol").args(["smbd", "reload-config"]),
            "smbcontrol smbd reload-config",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_active_include_lines_only() {
        let conf = Path::new("/etc/samba/smb.conf.leovms");
        assert!(includes(
            "[global]\n  include   =  /etc/samba/smb.conf.leovms\n",
            conf
        ));
        assert!(includes("INCLUDE=/etc/samba/smb.conf.leovms", conf));
        assert!(!includes("# include = /etc/samba/smb.conf.leovms\n", conf));
        assert!(!includes("; include = /etc/samba/smb.conf.leovms\n", conf));
        assert!(!includes(
            "include = /etc/samba/smb.conf.leovms-ldap\n",
            conf
        ));
    }
}
