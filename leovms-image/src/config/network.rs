//! Network rules of image.conf (leoclient2's `network.conf`): which network cards the VM
//! gets on which PCs.
//!
//! The first `[[network]]` rule whose `hosts`/`rooms` match the PC decides; its cards are
//! set as written and every other card of the VM is switched off. When rules exist but none
//! matches, all cards are off (a PC the admin did not name gets no network, as in
//! leoclient2). Without any rule the VM keeps the network of its template.

use serde::Deserialize;

use super::access::{AccessRules, check_names, pc_matches};
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
    /// `bridged`: the PC's card ([`NicRule::AUTO`], the default, picks the one that is up;
    /// [`NicRule::AUTO_UNUSED`] the PC's other card); `hostonly`: the host-only interface;
    /// `generic`: VirtualBox's driver (e.g. `VDE`).
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
    /// A VirtualBox network driver named by `device` (e.g. `VDE`).
    Generic,
}

impl NicMode {
    /// As written in image.conf.
    pub fn as_str(self) -> &'static str {
        match self {
            NicMode::None => "none",
            NicMode::Null => "null",
            NicMode::Nat => "nat",
            NicMode::Bridged => "bridged",
            NicMode::Intnet => "intnet",
            NicMode::Hostonly => "hostonly",
            NicMode::Natnetwork => "natnetwork",
            NicMode::Generic => "generic",
        }
    }
}

impl NicRule {
    /// `device` of a bridged card: the PC's card that carries the default route, else the
    /// first real card that is up (leoclient2's `auto-used-nic`). The default.
    pub const AUTO: &'static str = "auto";
    /// `device` of a bridged card: the PC's first real card other than the [`NicRule::AUTO`]
    /// one, a second card that is not on the school network (leoclient2's `auto-unused-nic`).
    pub const AUTO_UNUSED: &'static str = "auto-unused";

    /// Which of the PC's cards `mac = "host"` derives the address from: the bridged
    /// device ([`NicRule::AUTO`] by default), or the automatic card for other modes.
    pub fn host_mac_source(&self) -> &str {
        match (self.mode, self.device.as_deref()) {
            (NicMode::Bridged, Some(device)) => device,
            _ => Self::AUTO,
        }
    }

    /// One line for admins, e.g. `card 1 bridged (device auto, mac from the PC)`.
    pub fn describe(&self) -> String {
        let slot = self.slot;
        if self.mode == NicMode::None {
            return format!("card {slot} off");
        }
        let mut details = Vec::new();
        match self.mode {
            NicMode::Bridged => details.push(format!(
                "device {}",
                self.device.as_deref().unwrap_or(Self::AUTO)
            )),
            NicMode::Hostonly => details.push(format!(
                "device {}",
                self.device.as_deref().unwrap_or_default()
            )),
            NicMode::Generic => details.push(format!(
                "driver {}",
                self.device.as_deref().unwrap_or_default()
            )),
            NicMode::Intnet | NicMode::Natnetwork => {
                let default = if self.mode == NicMode::Intnet {
                    "intnet"
                } else {
                    "NatNetwork"
                };
                details.push(format!(
                    "network {}",
                    self.network.as_deref().unwrap_or(default)
                ));
            }
            NicMode::Null => details.push("no cable".into()),
            NicMode::Nat | NicMode::None => {}
        }
        match &self.mac {
            Some(MacSetting::Host) => details.push("mac from the PC".into()),
            Some(MacSetting::Fixed(hex)) => details.push(format!("mac {}", colons(hex))),
            None => {}
        }
        if details.is_empty() {
            format!("card {slot} {}", self.mode.as_str())
        } else {
            format!(
                "card {slot} {} ({})",
                self.mode.as_str(),
                details.join(", ")
            )
        }
    }
}

/// `080027ABCDEF` as `08:00:27:AB:CD:EF`.
fn colons(hex: &str) -> String {
    let chars: Vec<char> = hex.chars().collect();
    chars
        .chunks(2)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(":")
}

impl MacSetting {
    /// As image.conf takes it: `"host"` or `"08:00:27:12:34:56"`.
    pub fn as_conf(&self) -> String {
        match self {
            MacSetting::Host => "host".into(),
            MacSetting::Fixed(hex) => colons(hex),
        }
    }
}

impl NetworkRule {
    /// The cards of this rule for admins: `card 1 nat, other cards off`, or `all cards off`.
    pub fn describe_cards(&self) -> String {
        let on: Vec<String> = self
            .nic
            .iter()
            .filter(|n| n.mode != NicMode::None)
            .map(NicRule::describe)
            .collect();
        if on.is_empty() {
            "all cards off".into()
        } else {
            format!("{}, other cards off", on.join(", "))
        }
    }

    /// Every rule of a VM on one line each, as the PCs apply them, e.g.
    /// `PC r101-pc01: card 1 bridged (device auto, mac from the PC), other cards off` and
    /// `every other PC: all cards off`.
    pub fn describe_all(rules: &[NetworkRule]) -> Vec<String> {
        if rules.is_empty() {
            return vec!["every PC: the template's network (machine.vbox), unchanged".into()];
        }
        let mut out = Vec::new();
        let mut everywhere = false;
        for rule in rules {
            let catch_all = rule.hosts.is_empty() && rule.rooms.is_empty();
            let pcs = if everywhere {
                format!(
                    "{} (never applies: an earlier rule names every PC)",
                    AccessRules::describe_pcs(&rule.hosts, &rule.rooms)
                )
            } else if catch_all && !out.is_empty() {
                "every other PC".to_owned()
            } else {
                AccessRules::describe_pcs(&rule.hosts, &rule.rooms)
            };
            out.push(format!("{pcs}: {}", rule.describe_cards()));
            everywhere |= catch_all;
        }
        if !everywhere {
            out.push("every other PC: all cards off".into());
        }
        out
    }
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
        let mut host_macs: Vec<&str> = Vec::new();
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
            if nic.device.is_some()
                && !matches!(
                    nic.mode,
                    NicMode::Bridged | NicMode::Hostonly | NicMode::Generic
                )
            {
                return Err(index.error_at(
                    &key("device"),
                    "only applies to mode \"bridged\", \"hostonly\" or \"generic\"",
                ));
            }
            if nic.mode != NicMode::Bridged
                && let Some(device @ (NicRule::AUTO | NicRule::AUTO_UNUSED)) = nic.device.as_deref()
            {
                return Err(index.error_at(
                    &key("device"),
                    format!("\"{device}\" only applies to mode \"bridged\""),
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
            if nic.mode == NicMode::Generic && nic.device.is_none() {
                return Err(index.error_at(
                    &key("device"),
                    "required for mode \"generic\": VirtualBox's driver, e.g. \"VDE\"",
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
                // The address comes from the card the VM's card is bridged to, else from
                // the PC's automatic card: two cards of one rule must not share it.
                let source = nic.host_mac_source();
                if host_macs.contains(&source) {
                    return Err(index.error_at(
                        &key("mac"),
                        format!(
                            "only one card per rule can take the PC's address (\"host\") from \
                             {}",
                            if source == NicRule::AUTO {
                                "the PC's automatic card".to_owned()
                            } else {
                                format!("device \"{source}\"")
                            }
                        ),
                    ));
                }
                host_macs.push(source);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
