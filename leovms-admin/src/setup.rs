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
use crate::l10n::fl;

/// The group (a sophomorix project on linuxmuster.net) whose members may upload.
pub const GROUP: &str = "p_leovms";

/// `setup`; the help texts are `help-setup-*` in the catalogs.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub ldap: bool,
    #[arg(
        long,
        value_name = "REALM",
        requires = "ldap",
        required_if_eq("ldap", "true")
    )]
    pub realm: Option<String>,
    #[arg(
        long,
        value_name = "NAME",
        requires = "ldap",
        required_if_eq("ldap", "true")
    )]
    pub workgroup: Option<String>,
    #[arg(
        long,
        value_name = "ADDRESS",
        requires = "ldap",
        required_if_eq("ldap", "true")
    )]
    pub dc: Option<String>,
    #[arg(
        long,
        value_name = "LOW-HIGH",
        default_value = "10000-999999",
        requires = "ldap"
    )]
    pub idmap_range: String,
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
        return Err(Error::Invalid(fl!("setup-not-root")));
    }

    // Check everything before the first change.
    let include_target = include_target(ctx)?;
    if ldap.is_some() {
        ldap::refuse_on_domain_controller(ctx, &include_target)?;
    }
    let shares = render_shares(ctx);
    testparm_text(&shares, &fl!("setup-checking-shares"))?;
    let ldap_text = match &ldap {
        Some(settings) => {
            let text = settings.render();
            testparm_text(&text, &fl!("setup-checking-ldap"))?;
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
        println!("{}", fl!("setup-nothing-changed"));
    } else if ctx.dry_run {
        println!("{}", fl!("setup-would-change", count = steps.changes));
    } else {
        println!("{}", fl!("setup-changed", count = steps.changes));
    }
    if ldap.is_some() && group == GroupState::Missing {
        println!("{}", fl!("setup-ldap-next"));
    }
    Ok(())
}
