//! STEP2: the domain member settings of `setup --ldap`.

use super::Args;
use super::GROUP;
use crate::error::{Error, Result};

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
}
