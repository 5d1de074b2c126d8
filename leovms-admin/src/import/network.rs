//! leoclient2's `network.conf` as `[[network]]` rules of image.conf.
//!
//! leoclient2 read one line per PC, `host;nic;mode;mac;device`, and at every snapshot
//! start first switched cards 1 to 4 off, then set the cards the lines for this PC name;
//! lines for other PCs were ignored. So a PC without a line, and every PC when the VM had
//! no `network.conf` at all, started the VM without network. The rules below do the same:
//! one rule per PC with its cards, and a PC no rule names gets no network (leovms'
//! "rules exist but none names the PC"). Without a file, one rule switches every card off
//! on every PC.
//!
//! Fields, as leoclient2's documentation describes them:
//! - `mode`: none, null, nat, bridged, intnet, hostonly, generic, natnetwork;
//! - `mac`: 12 hex digits, `automac-used` (`08` and the last 10 hex digits of the PC's card
//!   that is on the network) or `automac-unused` (the same of the PC's other card);
//! - `device`: `auto-used-nic` (the PC's card that is on the network), `auto-unused-nic`
//!   (its other card) or a card's name; for hostonly the host-only interface, for generic
//!   the driver (e.g. VDE), for intnet and natnetwork the network's name.
//!
//! A line that cannot be converted faithfully is refused with file, line and reason.

use leovms_image::config::{MacSetting, NetworkRule, NicMode, NicRule, toml_string, toml_strings};
use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::l10n::fl;

/// leoclient2 set cards 1 to 4 only.
const LEOCLIENT2_CARDS: std::ops::RangeInclusive<u32> = 1..=4;
/// Longest one-line text image.conf takes.
const LINE_MAX: usize = 256;

/// What a `network.conf` (or its absence) becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    pub rules: Vec<NetworkRule>,
    /// For each rule, the lines of `network.conf` it comes from.
    pub lines: Vec<Vec<usize>>,
    /// What the admin should know: a card set twice, NAT's network.
    pub notes: Vec<String>,
    /// The file as messages name it, e.g. `snapshot-store/exam/network.conf`.
    pub shown: String,
    /// There was a file (else: every card off on every PC).
    pub had_file: bool,
}

impl Converted {
    /// No PC gets a network: one rule that switches every card off everywhere.
    pub fn all_off(&self) -> bool {
        self.rules == [NetworkRule::default()]
    }

    /// Where the rules come from, for the admin: `network.conf`, or `no network.conf`.
    pub fn source(&self) -> String {
        if self.had_file {
            self.shown.clone()
        } else {
            fl!("import-no-network-file", file = self.shown.as_str())
        }
    }
}

/// The rules for `text`, the content of `file` (`None`: the VM has no `network.conf`).
/// `shown` names the file in messages (e.g. `snapshot-store/exam/network.conf`).
pub fn convert(shown: &str, text: Option<&str>) -> Result<Converted> {
    let mut hosts: Vec<(String, Vec<(NicRule, usize)>)> = Vec::new();
    let mut notes = Vec::new();
    let mut nat_lines = Vec::new();
    for (i, raw) in text.unwrap_or_default().lines().enumerate() {
        let number = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let refuse = |why: &str| {
            Error::Invalid(fl!(
                "network-refused",
                file = shown,
                line = number,
                why = why,
                text = line.escape_debug().to_string()
            ))
        };
        let (host, nic) = parse_line(line).map_err(|why| refuse(&why))?;
        if nic.mode == NicMode::Nat {
            nat_lines.push(number);
        }
        match hosts
            .iter_mut()
            .find(|(h, _)| h.eq_ignore_ascii_case(&host))
        {
            Some((known, _)) if *known != host => {
                return Err(refuse(&fl!(
                    "network-host-case",
                    host = host.as_str(),
                    known = known.as_str()
                )));
            }
            Some((_, nics)) => match nics.iter_mut().find(|(n, _)| n.slot == nic.slot) {
                Some((earlier, earlier_line)) => {
                    notes.push(fl!(
                        "network-card-again",
                        file = shown,
                        line = number,
                        card = nic.slot,
                        host = host.as_str(),
                        first = earlier_line.to_owned()
                    ));
                    *earlier = nic;
                    *earlier_line = number;
                }
                None => nics.push((nic, number)),
            },
            None => hosts.push((host, vec![(nic, number)])),
        }
    }
    if !nat_lines.is_empty() {
        notes.push(fl!(
            "network-nat",
            file = shown,
            lines = join_numbers(&nat_lines)
        ));
    }
    if hosts.is_empty() {
        return Ok(Converted {
            rules: vec![NetworkRule::default()],
            lines: vec![Vec::new()],
            notes,
            shown: shown.to_owned(),
            had_file: text.is_some(),
        });
    }
    let mut rules = Vec::new();
    let mut lines = Vec::new();
    for (host, mut nics) in hosts {
        nics.sort_by_key(|(n, _)| n.slot);
        let mut from: Vec<usize> = nics.iter().map(|(_, l)| *l).collect();
        from.sort_unstable();
        rules.push(NetworkRule {
            hosts: vec![host],
            rooms: Vec::new(),
            nic: nics.into_iter().map(|(n, _)| n).collect(),
        });
        lines.push(from);
    }
    Ok(Converted {
        rules,
        lines,
        notes,
        shown: shown.to_owned(),
        had_file: true,
    })
}

fn join_numbers(numbers: &[usize]) -> String {
    numbers
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One `host;nic;mode;mac;device` line; `Err` says why it cannot be converted.
fn parse_line(line: &str) -> std::result::Result<(String, NicRule), String> {
    let fields: Vec<&str> = line.split(';').map(str::trim).collect();
    if !(3..=5).contains(&fields.len()) {
        return Err(fl!("network-fields", count = fields.len()));
    }
    let field = |i: usize| fields.get(i).copied().unwrap_or_default();
    for (i, name) in ["host", "nic", "mode", "mac", "device"].iter().enumerate() {
        let value = field(i);
        if value.chars().any(leovms_image::text::is_unsafe) {
            return Err(fl!("network-control-chars", field = name.to_owned()));
        }
        if value.len() > LINE_MAX {
            return Err(fl!(
                "network-too-long",
                field = name.to_owned(),
                max = LINE_MAX
            ));
        }
    }
    let host = field(0);
    if host.is_empty() {
        return Err(fl!("network-no-host"));
    }
    if host.contains(',') || host.chars().any(char::is_whitespace) {
        return Err(fl!("network-not-one-host", host = host));
    }
    let slot: u32 = field(1)
        .parse()
        .ok()
        .filter(|n| LEOCLIENT2_CARDS.contains(n))
        .ok_or_else(|| fl!("network-bad-card", card = field(1)))?;
    let mode = match field(2).to_ascii_lowercase().as_str() {
        "none" => NicMode::None,
        "null" => NicMode::Null,
        "nat" => NicMode::Nat,
        "bridged" => NicMode::Bridged,
        "intnet" => NicMode::Intnet,
        "hostonly" => NicMode::Hostonly,
        "generic" => NicMode::Generic,
        "natnetwork" => NicMode::Natnetwork,
        other => {
            return Err(fl!("network-bad-mode", mode = other));
        }
    };
    let mut nic = NicRule {
        slot,
        mode,
        mac: None,
        device: None,
        network: None,
    };
    if mode == NicMode::None {
        // The card is off: its address and device do not matter.
        return Ok((host.to_owned(), nic));
    }
    let (mac, device) = (field(3), field(4));
    let auto_device = matches!(device, "" | "auto-used-nic" | "auto-unused-nic");
    match mode {
        NicMode::Bridged => {
            nic.device = match device {
                "" => {
                    return Err(fl!("network-bridged-device"));
                }
                "auto-used-nic" => None,
                "auto-unused-nic" => Some(NicRule::AUTO_UNUSED.into()),
                card => Some(card.into()),
            }
        }
        NicMode::Hostonly if auto_device => {
            return Err(fl!("network-hostonly-device"));
        }
        NicMode::Generic if auto_device => {
            return Err(fl!("network-generic-device"));
        }
        NicMode::Hostonly | NicMode::Generic => nic.device = Some(device.into()),
        NicMode::Intnet | NicMode::Natnetwork if !auto_device => {
            nic.network = Some(device.into());
        }
        _ => {}
    }
    let other_card = nic.device.as_deref() == Some(NicRule::AUTO_UNUSED);
    nic.mac = match mac {
        "" => None,
        "automac-used" if other_card => {
            return Err(fl!("network-automac-used"));
        }
        "automac-used" => Some(MacSetting::Host),
        "automac-unused" if other_card => Some(MacSetting::Host),
        "automac-unused" => {
            return Err(fl!("network-automac-unused"));
        }
        fixed => Some(fixed_mac(fixed)?),
    };
    Ok((host.to_owned(), nic))
}

/// A literal address: 12 hex digits (`:` and `-` allowed), not multicast.
fn fixed_mac(text: &str) -> std::result::Result<MacSetting, String> {
    let hex: String = text.chars().filter(|c| !matches!(c, ':' | '-')).collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(fl!("network-bad-mac", mac = text));
    }
    if u8::from_str_radix(&hex[1..2], 16).is_ok_and(|d| d % 2 == 1) {
        return Err(fl!("network-multicast-mac", mac = text));
    }
    Ok(MacSetting::Fixed(hex.to_ascii_uppercase()))
}

/// The `[[network]]` tables of image.conf for `converted`, with comments for the admin.
pub fn to_toml(converted: &Converted) -> String {
    let mut out = String::new();
    let shown = &converted.shown;
    if !converted.had_file {
        let _ = writeln!(
            out,
            "\n# Network: the VM had no {shown}, so leoclient2 switched every card off on\n\
             # every PC. So does this rule; replace it with rules for the PCs that need one."
        );
    } else if converted.all_off() {
        let _ = writeln!(
            out,
            "\n# Network: leoclient2's {shown} names no PC, so leoclient2 switched every card\n\
             # off on every PC. So does this rule."
        );
    } else {
        let _ = writeln!(
            out,
            "\n# Network, from leoclient2's {shown}: a PC no rule names gets no network\n\
             # (every card off), as in leoclient2."
        );
    }
    for (rule, lines) in converted.rules.iter().zip(&converted.lines) {
        if lines.is_empty() {
            out.push_str("[[network]]\n");
        } else {
            let plural = if lines.len() == 1 { "" } else { "s" };
            let _ = writeln!(out, "[[network]]  # line{plural} {}", join_numbers(lines));
        }
        for (key, list) in [("hosts", &rule.hosts), ("rooms", &rule.rooms)] {
            if !list.is_empty() {
                let _ = writeln!(out, "{key} = {}", toml_strings(list));
            }
        }
        if rule.nic.is_empty() {
            out.push_str("nic = []\n");
            continue;
        }
        out.push_str("nic = [\n");
        for nic in &rule.nic {
            let mut parts = vec![
                format!("slot = {}", nic.slot),
                format!("mode = {}", toml_string(nic.mode.as_str())),
            ];
            if let Some(device) = &nic.device {
                parts.push(format!("device = {}", toml_string(device)));
            }
            if let Some(network) = &nic.network {
                parts.push(format!("network = {}", toml_string(network)));
            }
            if let Some(mac) = &nic.mac {
                parts.push(format!("mac = {}", toml_string(&mac.as_conf())));
            }
            let _ = writeln!(out, "  {{ {} }},", parts.join(", "));
        }
        out.push_str("]\n");
    }
    out
}

#[cfg(test)]
mod tests;
