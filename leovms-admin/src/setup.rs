//! `setup`: STEP1 (group, folders, Samba shares) and STEP2 (`--ldap`).
//!
//! Every step first looks at what is there and only changes what differs, so a second
//! run changes nothing. Everything is checked before the first change: a configuration
//! that `testparm` refuses is never installed.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use leovms_image::atomic::{fsync_dir, temp_path_for};

use crate::ctx::{Ctx, HOME};
use crate::error::{Error, Result};

/// The group (a sophomorix project on linuxmuster.net) whose members may upload.
pub const GROUP: &str = "p_leovms";
const GROUP_DESCRIPTION: &str = "Uploaders for snapshots";

const SHARES_CONF: &str = "/etc/samba/smb.conf.leovms";
const LDAP_CONF: &str = "/etc/samba/smb.conf.leovms-ldap";
const INCLUDE_TARGET: &str = "/etc/samba/smb.conf.shares";
const MAIN_CONF: &str = "/etc/samba/smb.conf";

const SHARES_TEMPLATE: &str = include_str!("../../packaging/samba/smb.conf.leovms");
const LDAP_TEMPLATE: &str = include_str!("../../packaging/samba/smb.conf.leovms-ldap");

/// Local (non-directory) accounts of winbind on a member server.
const DEFAULT_IDMAP_RANGE: &str = "3000-7999";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// STEP2: also write /etc/samba/smb.conf.leovms-ldap, for running the shares on a
    /// machine of its own that is a member of the school's domain (needs --realm,
    /// --workgroup, --dc).
    #[arg(long)]
    pub ldap: bool,
    /// Kerberos realm of the school's domain, e.g. LINUXMUSTER.LAN (with --ldap).
    #[arg(
        long,
        value_name = "REALM",
        requires = "ldap",
        required_if_eq("ldap", "true")
    )]
    pub realm: Option<String>,
    /// NetBIOS name of the domain, e.g. LINUXMUSTER (with --ldap).
    #[arg(
        long,
        value_name = "NAME",
        requires = "ldap",
        required_if_eq("ldap", "true")
    )]
    pub workgroup: Option<String>,
    /// Address (IP or host name) of the domain controller, the directory server (with --ldap).
    #[arg(
        long,
        value_name = "ADDRESS",
        requires = "ldap",
        required_if_eq("ldap", "true")
    )]
    pub dc: Option<String>,
    /// User and group ids of the directory's accounts, LOW-HIGH (with --ldap).
    #[arg(
        long,
        value_name = "LOW-HIGH",
        default_value = "10000-999999",
        requires = "ldap"
    )]
    pub idmap_range: String,
    /// Where those ids come from: `ad` (uidNumber/gidNumber of the directory, the same ids
    /// as on the school server) or `rid` (computed from the account's SID) (with --ldap).
    #[arg(long, value_name = "BACKEND", default_value = "ad", requires = "ldap",
          value_parser = ["ad", "rid"])]
    pub idmap_backend: String,
}

/// Counts the changes of one run, so that it can say when there were none.
struct Steps<'a> {
    ctx: &'a Ctx,
    changes: usize,
}

impl Steps<'_> {
    fn change(&mut self, what: impl std::fmt::Display) -> bool {
        self.changes += 1;
        self.ctx.change(what)
    }
}

/// A folder as setup wants it.
struct Folder {
    path: PathBuf,
    mode: u32,
    /// `None` under `--root`: the trial tree belongs to whoever runs it.
    uid: Option<u32>,
    gid: Option<GroupId>,
}

#[derive(Clone, Copy)]
enum GroupId {
    Root,
    Upload,
}

/// The upload group on this machine.
#[derive(Clone, Copy, PartialEq)]
enum GroupState {
    Exists(u32),
    /// Dry run: it would be created.
    WouldCreate,
    /// Not created here (`--root`, or `--ldap` before the join): upload/ keeps its group.
    Missing,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    let ldap = args
        .ldap
        .then(|| LdapSettings::from_args(args))
        .transpose()?;
    if !ctx.dry_run && !ctx.is_prefixed() && !rustix::process::geteuid().is_root() {
        return Err(Error::Invalid(
            "setup must run as root (try --dry-run to see what it would do, or --root DIR)".into(),
        ));
    }

    // Check everything before the first change.
    let include_target = include_target(ctx)?;
    let shares = render_shares(ctx);
    testparm_text(&shares, "the shares configuration")?;
    let ldap_text = match &ldap {
        Some(settings) => {
            let text = settings.render();
            testparm_text(&text, "the domain member configuration")?;
            Some(text)
        }
        None => None,
    };

    let mut steps = Steps { ctx, changes: 0 };
    let group = ensure_group(&mut steps, ldap.is_some())?;

    let (root_uid, root_gid) = if ctx.is_prefixed() {
        (None, None)
    } else {
        (Some(0), Some(GroupId::Root))
    };
    let folders = [
        Folder {
            path: ctx.path(HOME),
            mode: 0o755,
            uid: root_uid,
            gid: root_gid,
        },
        Folder {
            path: ctx.data(),
            mode: 0o755,
            uid: root_uid,
            gid: root_gid,
        },
        Folder {
            path: ctx.upload(),
            mode: 0o2770,
            uid: root_uid,
            gid: Some(GroupId::Upload),
        },
    ];
    for folder in &folders {
        ensure_folder(&mut steps, folder, group)?;
    }

    let before = steps.changes;
    ensure_parent(&mut steps, &ctx.path(SHARES_CONF))?;
    ensure_file(&mut steps, &ctx.path(SHARES_CONF), &shares)?;
    if let Some(text) = &ldap_text {
        ensure_file(&mut steps, &ctx.path(LDAP_CONF), text)?;
    }
    ensure_include(&mut steps, &include_target, &ctx.path(SHARES_CONF), None)?;
    // The domain settings go before the shares: included after them, their lines would
    // start inside the last share (the file opens with [global], but be plain about it).
    if ldap_text.is_some() {
        let before = ctx.path(SHARES_CONF);
        ensure_include(
            &mut steps,
            &include_target,
            &ctx.path(LDAP_CONF),
            Some(&before),
        )?;
    }
    let samba_changed = steps.changes > before;

    if samba_changed && !ctx.dry_run {
        check_whole_config(ctx)?;
    }
    if samba_changed {
        reload_smbd(&mut steps)?;
    }

    if steps.changes == 0 {
        println!("nothing changed: leovms is set up");
    } else {
        let n = steps.changes;
        let s = if n == 1 { "" } else { "s" };
        if ctx.dry_run {
            println!("dry run: {n} change{s} would be made, none was");
        } else {
            println!("{n} change{s} made");
        }
    }
    if ldap.is_some() && group == GroupState::Missing {
        println!(
            "next: join the domain (net ads join -U administrator), add winbind to the \
             passwd and group lines of /etc/nsswitch.conf, then run setup --ldap again"
        );
    }
    Ok(())
}

/// `smb.conf.shares` when it exists, otherwise `smb.conf`.
fn include_target(ctx: &Ctx) -> Result<PathBuf> {
    let shares = ctx.path(INCLUDE_TARGET);
    if shares.is_file() {
        return Ok(shares);
    }
    let main = ctx.path(MAIN_CONF);
    if main.is_file() {
        return Ok(main);
    }
    Err(Error::Invalid(format!(
        "neither {} nor {} exists: install Samba first (apt-get install samba); \
         nothing was changed",
        shares.display(),
        main.display()
    )))
}

fn render_shares(ctx: &Ctx) -> String {
    SHARES_TEMPLATE
        .replace("{data}", &ctx.data().display().to_string())
        .replace("{upload}", &ctx.upload().display().to_string())
        .replace("{group}", GROUP)
}

/// The options of `setup --ldap`, checked.
struct LdapSettings {
    realm: String,
    workgroup: String,
    dc: String,
    range: (u32, u32),
    backend: String,
}

impl LdapSettings {
    fn from_args(args: &Args) -> Result<LdapSettings> {
        let need = |value: &Option<String>, name: &str| -> Result<String> {
            let value = value
                .as_deref()
                .ok_or_else(|| Error::Invalid(format!("--ldap needs --{name}")))?;
            let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_:[]".contains(c);
            if value.is_empty() || !value.chars().all(allowed) {
                return Err(Error::Invalid(format!(
                    "--{name} {value:?}: only letters, digits and . - _ : [ ] are allowed"
                )));
            }
            Ok(value.to_string())
        };
        let realm = need(&args.realm, "realm")?.to_uppercase();
        let workgroup = need(&args.workgroup, "workgroup")?.to_uppercase();
        if workgroup.len() > 15 || workgroup.contains(['.', ':', '[', ']']) {
            return Err(Error::Invalid(format!(
                "--workgroup {workgroup}: a NetBIOS domain name has at most 15 characters \
                 and no dots (the short name, e.g. LINUXMUSTER)"
            )));
        }
        let dc = need(&args.dc, "dc")?;
        let range = parse_range(&args.idmap_range)?;
        let default = parse_range(DEFAULT_IDMAP_RANGE).expect("valid constant");
        if range.0 <= default.1 && default.0 <= range.1 {
            return Err(Error::Invalid(format!(
                "--idmap-range {}: overlaps {DEFAULT_IDMAP_RANGE}, the range of local ids",
                args.idmap_range
            )));
        }
        Ok(LdapSettings {
            realm,
            workgroup,
            dc,
            range,
            backend: args.idmap_backend.clone(),
        })
    }

    fn render(&self) -> String {
        let (note, schema) = if self.backend == "ad" {
            (
                "their uidNumber and gidNumber in the directory.",
                format!(
                    "\n   idmap config {} : schema_mode = rfc2307",
                    self.workgroup
                ),
            )
        } else {
            ("computed from their SIDs.", String::new())
        };
        LDAP_TEMPLATE
            .replace("{realm}", &self.realm)
            .replace("{workgroup}", &self.workgroup)
            .replace("{dc}", &self.dc)
            .replace("{default_range}", DEFAULT_IDMAP_RANGE)
            .replace("{range}", &format!("{}-{}", self.range.0, self.range.1))
            .replace("{backend}", &self.backend)
            .replace("{idmap_note}", note)
            .replace("{schema}", &schema)
            .replace("{group}", GROUP)
    }
}

fn parse_range(text: &str) -> Result<(u32, u32)> {
    let bad = || {
        Error::Invalid(format!(
            "idmap range {text:?}: expected LOW-HIGH, e.g. 10000-999999"
        ))
    };
    let (low, high) = text.split_once('-').ok_or_else(bad)?;
    let low: u32 = low.trim().parse().map_err(|_| bad())?;
    let high: u32 = high.trim().parse().map_err(|_| bad())?;
    if low == 0 || low >= high {
        return Err(bad());
    }
    Ok((low, high))
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
fn ensure_group(steps: &mut Steps, ldap: bool) -> Result<GroupState> {
    if let Some(gid) = group_gid(GROUP)? {
        return Ok(GroupState::Exists(gid));
    }
    if steps.ctx.is_prefixed() {
        println!(
            "note: group {GROUP} does not exist; under --root no system group is created \
             (create it first: groupadd --system {GROUP}); upload/ keeps its group"
        );
        return Ok(GroupState::Missing);
    }
    if ldap {
        println!(
            "note: group {GROUP} is not known here; it comes from the domain once this \
             machine has joined it; upload/ keeps its group until then"
        );
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
    if !steps.change(format_args!(
        "create group {GROUP} ({GROUP_DESCRIPTION}): {shown}"
    )) {
        return Ok(GroupState::WouldCreate);
    }
    run_command(&mut cmd, &shown)?;
    match group_gid(GROUP)? {
        Some(gid) => Ok(GroupState::Exists(gid)),
        None => Err(command_error(
            &shown,
            format!("the group {GROUP} is still unknown afterwards (getent group {GROUP})"),
        )),
    }
}

fn ensure_folder(steps: &mut Steps, folder: &Folder, upload: GroupState) -> Result<()> {
    let path = &folder.path;
    let (gid, group_name) = match (folder.gid, upload) {
        (None, _) | (Some(GroupId::Upload), GroupState::Missing) => (None, None),
        (Some(GroupId::Root), _) => (Some(0), Some("root")),
        (Some(GroupId::Upload), GroupState::Exists(gid)) => (Some(gid), Some(GROUP)),
        // Dry run only: nothing is changed, so no id is needed.
        (Some(GroupId::Upload), GroupState::WouldCreate) => (Some(u32::MAX), Some(GROUP)),
    };
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(path, e)),
    };
    let Some(meta) = meta else {
        let mut what = format!("create folder {} (mode {:04o}", path.display(), folder.mode);
        if folder.uid.is_some() || group_name.is_some() {
            let _ = write!(
                what,
                ", owner {}:{}",
                folder.uid.map_or("-".into(), |_| "root".to_string()),
                group_name.unwrap_or("-")
            );
        }
        what.push(')');
        if steps.change(what) {
            fs::create_dir_all(path).map_err(|e| Error::io(path, e))?;
            set_owner_and_mode(path, folder.uid, gid, folder.mode)?;
            fsync_dir(path.parent().unwrap_or(Path::new("/"))).map_err(|e| Error::io(path, e))?;
        }
        return Ok(());
    };
    if !meta.is_dir() {
        return Err(Error::Invalid(format!(
            "{} exists but is not a folder; nothing there was changed",
            path.display()
        )));
    }
    let wrong_uid = folder.uid.filter(|&uid| uid != meta.uid());
    let wrong_gid = gid.filter(|&gid| gid != meta.gid());
    if (wrong_uid.is_some() || wrong_gid.is_some())
        && steps.change(format_args!(
            "set owner of {} to {}:{} (was {}:{})",
            path.display(),
            folder.uid.map_or("-".into(), |_| "root".to_string()),
            group_name.unwrap_or("-"),
            meta.uid(),
            meta.gid()
        ))
    {
        std::os::unix::fs::chown(path, wrong_uid, wrong_gid).map_err(|e| Error::io(path, e))?;
    }
    // After chown, which may clear the setgid bit.
    let mode = fs::symlink_metadata(path)
        .map_err(|e| Error::io(path, e))?
        .mode()
        & 0o7777;
    if mode != folder.mode
        && steps.change(format_args!(
            "set mode of {} to {:04o} (was {mode:04o})",
            path.display(),
            folder.mode
        ))
    {
        fs::set_permissions(path, fs::Permissions::from_mode(folder.mode))
            .map_err(|e| Error::io(path, e))?;
    }
    Ok(())
}

fn set_owner_and_mode(path: &Path, uid: Option<u32>, gid: Option<u32>, mode: u32) -> Result<()> {
    if uid.is_some() || gid.is_some() {
        std::os::unix::fs::chown(path, uid, gid).map_err(|e| Error::io(path, e))?;
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| Error::io(path, e))
}

/// `/etc/samba` under `--root` may not exist yet.
fn ensure_parent(steps: &mut Steps, file: &Path) -> Result<()> {
    let dir = file.parent().expect("an absolute file path");
    if dir.is_dir() {
        return Ok(());
    }
    if steps.change(format_args!("create folder {} (mode 0755)", dir.display())) {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// Writes `text` to `path` (mode 0644) unless it already holds exactly that.
fn ensure_file(steps: &mut Steps, path: &Path, text: &str) -> Result<()> {
    let old = match fs::read(path) {
        Ok(old) => Some(old),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(path, e)),
    };
    let what = match &old {
        Some(old) if old == text.as_bytes() => return Ok(()),
        Some(_) => format!(
            "rewrite {} (its content differs from this version's)",
            path.display()
        ),
        None => format!("write {}", path.display()),
    };
    if steps.change(what) {
        write_file(path, text.as_bytes(), 0o644, None)?;
    }
    Ok(())
}

/// Adds `include = <conf>` to `target` unless a line includes it already: at the end, or
/// right before the line including `before` (under `--dry-run`, where that line is not
/// written yet, the end is announced).
fn ensure_include(
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
    let place = match (at, before) {
        (Some(_), Some(before)) => format!(" before the line including {}", before.display()),
        _ => String::new(),
    };
    if steps.change(format_args!(
        "add \"{line}\" to {}{place}",
        target.display()
    )) {
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
fn includes(text: &str, conf: &Path) -> bool {
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

/// Writes a whole file under a temporary name, then renames it into place: readers (and
/// smbd) see the old or the new file, never half of one. Keeps the given owner.
fn write_file(path: &Path, bytes: &[u8], mode: u32, owner: Option<(u32, u32)>) -> Result<()> {
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

/// Checks a configuration text with `testparm -s` before it is installed.
fn testparm_text(text: &str, what: &str) -> Result<()> {
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
                command: format!("{command} (checking {what})"),
                message,
            },
            other => other,
        })
    })();
    let _ = fs::remove_file(&file);
    result
}

/// `testparm -s FILE`; refuses unknown parameters too (testparm only warns about them).
pub fn testparm(file: &Path) -> Result<()> {
    let shown = format!("testparm -s {}", file.display());
    let out = Command::new("testparm")
        .arg("-s")
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            command_error(
                &shown,
                format!("{e} (testparm comes with Samba: apt-get install samba)"),
            )
        })?;
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
        return Err(command_error(&shown, message));
    }
    Ok(())
}

/// After the change: the whole configuration (with its includes) must still load.
fn check_whole_config(ctx: &Ctx) -> Result<()> {
    let main = ctx.path(MAIN_CONF);
    if main.is_file() {
        testparm(&main)?;
    }
    Ok(())
}

fn reload_smbd(steps: &mut Steps) -> Result<()> {
    if steps.ctx.is_prefixed() {
        println!("note: smbd not reloaded under --root");
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
        println!("note: smbd is not running; it reads the new configuration when it starts");
        return Ok(());
    }
    if steps.change("reload smbd: smbcontrol smbd reload-config") {
        run_command(
            Command::new("smbcontrol").args(["smbd", "reload-config"]),
            "smbcontrol smbd reload-config",
        )?;
    }
    Ok(())
}

fn run_command(cmd: &mut Command, shown: &str) -> Result<()> {
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

fn command_error(command: &str, message: String) -> Error {
    Error::Command {
        command: command.to_string(),
        message,
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
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

    #[test]
    fn idmap_ranges_are_checked() {
        assert_eq!(parse_range("10000-999999").unwrap(), (10000, 999999));
        assert!(parse_range("10-5").is_err());
        assert!(parse_range("x-5").is_err());
        assert!(parse_range("1000").is_err());
    }
}
