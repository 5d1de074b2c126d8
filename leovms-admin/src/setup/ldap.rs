//! STEP2: the domain member settings of `setup --ldap`.

use std::path::{Path, PathBuf};

use super::samba::{LDAP_CONF, MAIN_CONF, SHARES_CONF, includes};
use super::steps::command_error;
use super::{Args, GROUP};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};

const LDAP_TEMPLATE: &str = include_str!("../../../packaging/samba/smb.conf.leovms-ldap");

/// Local (non-directory) accounts of winbind on a member server.
const DEFAULT_IDMAP_RANGE: &str = "3000-7999";

/// The options of `setup --ldap`, checked.
pub struct LdapSettings {
    realm: String,
    workgroup: String,
    dc: String,
    range: (u32, u32),
    backend: String,
}

impl LdapSettings {
    pub fn from_args(args: &Args) -> Result<LdapSettings> {
        let need = |value: &Option<String>, name: &str| -> Result<String> {
            let value = value
                .as_deref()
                .ok_or_else(|| Error::Invalid(fl!("ldap-needs", option = name)))?;
            let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_:[]".contains(c);
            if value.is_empty() || !value.chars().all(allowed) {
                return Err(Error::Invalid(fl!(
                    "ldap-bad-value",
                    option = name,
                    quoted = format!("{value:?}")
                )));
            }
            Ok(value.to_string())
        };
        let realm = need(&args.realm, "realm")?.to_uppercase();
        let workgroup = need(&args.workgroup, "workgroup")?.to_uppercase();
        if workgroup.len() > 15 || workgroup.contains(['.', ':', '[', ']']) {
            return Err(Error::Invalid(fl!(
                "ldap-bad-workgroup",
                workgroup = workgroup.as_str()
            )));
        }
        let dc = need(&args.dc, "dc")?;
        let range = parse_range(&args.idmap_range)?;
        let default = parse_range(DEFAULT_IDMAP_RANGE).expect("valid constant");
        if range.0 <= default.1 && default.0 <= range.1 {
            return Err(Error::Invalid(fl!(
                "ldap-range-overlaps",
                range = args.idmap_range.as_str(),
                local = DEFAULT_IDMAP_RANGE
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

    pub fn render(&self) -> String {
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

/// The server roles of a domain controller, as `testparm -s` reports the role in force.
const DC_ROLES: [&str; 3] = [
    "ROLE_ACTIVE_DIRECTORY_DC",
    "ROLE_DOMAIN_PDC",
    "ROLE_DOMAIN_BDC",
];

/// Refuses `setup --ldap` on a domain controller, before anything is changed: the member
/// settings would turn the domain's own controller into a member of it, which breaks the
/// domain at the next reload of Samba. The role is what `testparm -s` reports for the
/// configuration as it is (`server role = auto` with `domain logons` is a classic PDC),
/// and a `server role` line of the admin's files counts too, so that a controller which
/// an earlier `setup --ldap` already made look like a member is still recognised.
pub fn refuse_on_domain_controller(ctx: &Ctx, include_target: &Path) -> Result<()> {
    let main = ctx.path(MAIN_CONF);
    let conf = if main.is_file() {
        main
    } else {
        include_target.to_path_buf()
    };
    let role = role_in_force(&conf)?;
    let why = if DC_ROLES.contains(&role.as_str()) {
        fl!(
            "ldap-dc-reported",
            conf = shown(&conf),
            role = role.as_str()
        )
    } else if let Some((file, value)) = configured_dc_role(ctx, &conf) {
        fl!("ldap-dc-configured", file = shown(&file), role = value)
    } else {
        return Ok(());
    };
    let ours = ctx.path(LDAP_CONF);
    let included = std::fs::read_to_string(include_target).is_ok_and(|text| includes(&text, &ours));
    let mut message = fl!("ldap-on-dc", why = why);
    if included {
        message.push(' ');
        message.push_str(&fl!(
            "ldap-on-dc-included",
            target = shown(include_target),
            ours = shown(&ours),
            conf = shown(&conf)
        ));
    }
    Err(Error::Invalid(message))
}

/// The role `testparm -s` reports for the configuration in `conf` (`ROLE_…`).
fn role_in_force(conf: &Path) -> Result<String> {
    let (called, out) = super::samba::run_testparm(conf)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let role = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Server role:"))
        .map(|r| r.trim().to_owned());
    match role {
        Some(role) if out.status.success() => Ok(role),
        _ => Err(command_error(
            &called,
            fl!("ldap-role-unreadable", detail = stderr.trim()),
        )),
    }
}

/// A `server role` of a domain controller in `conf` or the files it includes, leaving
/// out leovms' own files: the file and the value.
fn configured_dc_role(ctx: &Ctx, conf: &Path) -> Option<(PathBuf, String)> {
    let ours = [ctx.path(LDAP_CONF), ctx.path(SHARES_CONF)];
    let mut todo = vec![conf.to_path_buf()];
    let mut seen = Vec::new();
    while let Some(file) = todo.pop() {
        if seen.contains(&file) || seen.len() >= 32 || ours.contains(&file) {
            continue;
        }
        seen.push(file.clone());
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with(['#', ';']) {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            // Samba ignores case and blanks in parameter names.
            let key: String = key
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "serverrole" if is_dc_role(value) => return Some((file, value.to_owned())),
                "include" if !value.contains('%') => {
                    let path = Path::new(value);
                    // Under --root, paths an admin wrote point at the real /etc.
                    todo.push(if ctx.is_prefixed() && !path.exists() {
                        ctx.path(path)
                    } else {
                        path.to_path_buf()
                    });
                }
                _ => {}
            }
        }
    }
    None
}

/// `server role` values of a domain controller (smb.conf(5)).
fn is_dc_role(value: &str) -> bool {
    let value = value.to_ascii_lowercase();
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    matches!(
        value.as_str(),
        "active directory domain controller"
            | "domain controller"
            | "dc"
            | "classic primary domain controller"
            | "classic backup domain controller"
    )
}

fn parse_range(text: &str) -> Result<(u32, u32)> {
    let bad = || Error::Invalid(fl!("ldap-bad-range", quoted = format!("{text:?}")));
    let (low, high) = text.split_once('-').ok_or_else(bad)?;
    let low: u32 = low.trim().parse().map_err(|_| bad())?;
    let high: u32 = high.trim().parse().map_err(|_| bad())?;
    if low == 0 || low >= high {
        return Err(bad());
    }
    Ok((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idmap_ranges_are_checked() {
        assert_eq!(parse_range("10000-999999").unwrap(), (10000, 999999));
        assert!(parse_range("10-5").is_err());
        assert!(parse_range("x-5").is_err());
        assert!(parse_range("1000").is_err());
    }

    #[test]
    fn domain_controller_roles_are_recognised() {
        for dc in [
            "active directory domain controller",
            "Active Directory  Domain Controller",
            "dc",
            "classic primary domain controller",
            "classic backup domain controller",
        ] {
            assert!(is_dc_role(dc), "{dc}");
        }
        for other in [
            "member server",
            "standalone",
            "auto",
            "classic member server",
        ] {
            assert!(!is_dc_role(other), "{other}");
        }
    }
}
