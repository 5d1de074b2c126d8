//! Network rules of image.conf (leoclient2's `network.conf`): which network cards the VM
//! gets on which PCs.
//!
//! The first `[[network]]` rule whose `hosts`/`rooms` match the PC decides; its cards are
//! set as written and every other card of the VM is switched off. When rules exist but none
//! matches, all cards are off (a PC the admin did not name gets no network, as in
//! leoclient2). Without any rule the VM keeps the network of its template.

use serde::Deserialize;

use super::access::{check_names, pc_matches};
use super::{AccessFacts, ConfigError, KeyIndex};

/// VirtualBox's highest network card number (ICH9 chipset; PIIX3 has 4).
pub const MAX_NIC: u32 = 8;

/// One `[[network]]` rule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkRule {
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub rooms: Vec<String>,
    /// The cards the VM gets on these PCs.
    #[serde(default)]
    pub nic: Vec<NicRule>,
}

/// One `[[network.nic]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NicRule {
    /// Card number as in VirtualBox's settings dialog, 1 to [`MAX_NIC`].
    pub slot: u32,
    pub mode: NicMode,
    /// `"host"`, 12 hex digits, or absent (the template's address stays).
    pub mac: Option<MacSetting>,
    /// `bridged`: the PC's card (`"auto"`, the default, picks the one that is up);
    /// `hostonly`: the host-only interface.
    pub device: Option<String>,
    /// `intnet`/`natnetwork`: the network's name.
    pub network: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NicMode {
    /// The card is switched off.
    None,
    /// The card exists but no cable is plugged in ("not attached").
    Null,
    Nat,
    Bridged,
    Intnet,
    Hostonly,
    Natnetwork,
}

/// A card's MAC address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacSetting {
    /// Derived from the PC's own card: `08` and its last 10 hex digits, so each PC's VM
    /// keeps one address (DHCP reservations keep working).
    Host,
    /// 12 upper-case hex digits.
    Fixed(String),
}

impl<'de> Deserialize<'de> for MacSetting {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_mac(&text).map_err(serde::de::Error::custom)
    }
}

fn parse_mac(text: &str) -> Result<MacSetting, String> {
    if text == "host" {
        return Ok(MacSetting::Host);
    }
    let hex: String = text.chars().filter(|c| !matches!(c, ':' | '-')).collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "{text:?} is not a MAC address: write \"host\" or 12 hex digits, e.g. \"08:00:27:12:34:56\""
        ));
    }
    let second = u8::from_str_radix(&hex[1..2], 16).unwrap_or(1);
    if second % 2 == 1 {
        return Err(format!(
            "{text:?} is a multicast address (its first byte is odd); VirtualBox needs a unicast one"
        ));
    }
    Ok(MacSetting::Fixed(hex.to_ascii_uppercase()))
}

/// What the rules say for one PC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkChoice<'a> {
    /// No rules: the template's network stays.
    Template,
    /// This rule matched.
    Rule(&'a NetworkRule),
    /// Rules exist, none names this PC: every card off.
    Off,
}

/// The rule for the PC of `facts`.
pub fn choose<'a>(rules: &'a [NetworkRule], facts: &AccessFacts) -> NetworkChoice<'a> {
    if rules.is_empty() {
        return NetworkChoice::Template;
    }
    rules
        .iter()
        .find(|r| pc_matches(&r.hosts, &r.rooms, facts))
        .map_or(NetworkChoice::Off, NetworkChoice::Rule)
}

pub(crate) fn check(rules: &[NetworkRule], index: &KeyIndex<'_>) -> Result<(), ConfigError> {
    for (i, rule) in rules.iter().enumerate() {
        check_names(&format!("network[{i}].hosts"), &rule.hosts, index)?;
        check_names(&format!("network[{i}].rooms"), &rule.rooms, index)?;
        let mut host_macs = 0;
        for (j, nic) in rule.nic.iter().enumerate() {
            let key = |k: &str| format!("network[{i}].nic[{j}].{k}");
            if !(1..=MAX_NIC).contains(&nic.slot) {
                return Err(index.error_at(&key("slot"), format!("must be 1 to {MAX_NIC}")));
            }
            if rule.nic[..j].iter().any(|n| n.slot == nic.slot) {
                return Err(index.error_at(
                    &key("slot"),
                    format!("card {} is set twice in this rule", nic.slot),
                ));
            }
            if nic.device.is_some() && !matches!(nic.mode, NicMode::Bridged | NicMode::Hostonly) {
                return Err(index.error_at(
                    &key("device"),
                    "only applies to mode \"bridged\" or \"hostonly\"",
                ));
            }
            if nic.network.is_some() && !matches!(nic.mode, NicMode::Intnet | NicMode::Natnetwork) {
                return Err(index.error_at(
                    &key("network"),
                    "only applies to mode \"intnet\" or \"natnetwork\"",
                ));
            }
            if nic.mode == NicMode::Hostonly && nic.device.is_none() {
                return Err(index.error_at(
                    &key("device"),
                    "required for mode \"hostonly\", e.g. \"vboxnet0\"",
                ));
            }
            for (k, value) in [("device", &nic.device), ("network", &nic.network)] {
                if let Some(v) = value
                    && (v.trim().is_empty() || v.chars().any(char::is_control))
                {
                    return Err(index.error_at(&key(k), "must be a name, not empty"));
                }
            }
            if nic.mac == Some(MacSetting::Host) {
                host_macs += 1;
                if host_macs > 1 {
                    return Err(index.error_at(
                        &key("mac"),
                        "only one card per rule can take the PC's address (\"host\")",
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_addresses_are_normalised_and_multicast_is_refused() {
        assert_eq!(parse_mac("host"), Ok(MacSetting::Host));
        assert_eq!(
            parse_mac("08:00:27:ab:cd:ef"),
            Ok(MacSetting::Fixed("080027ABCDEF".into()))
        );
        assert_eq!(
            parse_mac("08-00-27-AB-CD-EF"),
            Ok(MacSetting::Fixed("080027ABCDEF".into()))
        );
        assert!(
            parse_mac("09:00:27:ab:cd:ef")
                .unwrap_err()
                .contains("multicast")
        );
        assert!(parse_mac("08:00:27").unwrap_err().contains("12 hex digits"));
    }

    fn facts(host: &str, room: Option<&str>) -> AccessFacts {
        AccessFacts {
            host: host.into(),
            room: room.map(Into::into),
            ..AccessFacts::default()
        }
    }

    #[test]
    fn the_first_matching_rule_decides_and_an_unnamed_pc_gets_no_network() {
        let r101 = NetworkRule {
            rooms: vec!["r101".into()],
            ..NetworkRule::default()
        };
        let teacher = NetworkRule {
            hosts: vec!["t01".into()],
            ..NetworkRule::default()
        };
        let rules = [r101.clone(), teacher.clone()];
        assert_eq!(choose(&[], &facts("x", None)), NetworkChoice::Template);
        assert_eq!(
            choose(&rules, &facts("pc1", Some("r101"))),
            NetworkChoice::Rule(&rules[0])
        );
        assert_eq!(
            choose(&rules, &facts("T01.school.lan", Some("r100"))),
            NetworkChoice::Rule(&rules[1])
        );
        assert_eq!(
            choose(&rules, &facts("pc9", Some("r100"))),
            NetworkChoice::Off
        );
        let everywhere = [r101, NetworkRule::default()];
        assert_eq!(
            choose(&everywhere, &facts("pc9", None)),
            NetworkChoice::Rule(&everywhere[1])
        );
    }
}
