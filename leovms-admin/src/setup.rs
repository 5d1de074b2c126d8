//! `setup`: STEP1 (group, folders, Samba shares) and STEP2 (`--ldap`).
//!
//! Every step first looks at what is there and only changes what differs, so a second
//! run changes nothing. Everything is checked before the first change: a configuration
//! that `testparm` refuses is never installed.

mod folders;
mod group;
mod ldap;
mod samba;
mod steps;

use self::folders::{Folder, GroupId, ensure_folder};
use self::group::{GroupState, ensure_group};
use self::ldap::LdapSettings;
use self::samba::{
    LDAP_CONF, SHARES_CONF, check_whole_config, ensure_include, include_target, reload_smbd,
    render_shares, testparm_text,
};
use self::steps::{Steps, ensure_file, ensure_parent};
use crate::ctx::{Ctx, HOME};
use crate::error::{Error, Result};

/// The group (a sophomorix project on linuxmuster.net) whose members may upload.
pub const GROUP: &str = "p_leovms";

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
    if ldap.is_some() {
        ldap::refuse_on_domain_controller(ctx, &include_target)?;
    }
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
