//! The VM's network cards on this PC: the image.conf rule for the PC (see
//! `leovms_image::config::NetworkRule`), with `device = "auto"` and `mac = "host"`
//! resolved against the PC's own network cards.

use std::path::Path;

use leovms_image::config::{AccessFacts, ImageConf, MacSetting, NetworkChoice, NicMode, NicRule};
use leovms_image::vbox::{Attachment, Nic};

use crate::error::{Error, Result};

/// VirtualBox's default names of the networks the rules may leave unnamed.
const DEFAULT_INTNET: &str = "intnet";
const DEFAULT_NATNETWORK: &str = "NatNetwork";

/// One network card of the PC (an Ethernet-like interface of `/sys/class/net`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostNic {
    pub name: String,
    /// 12 upper-case hex digits.
    pub mac: String,
    pub up: bool,
    /// Carries the IPv4 default route: the PC's connection to the school network.
    pub default_route: bool,
    /// A real device, not a bridge, tunnel or virtual interface.
    pub physical: bool,
}

/// The PC's cards, read from `sys_net` (`/sys/class/net`) and `route` (`/proc/net/route`).
pub fn host_nics(sys_net: &Path, route: &Path) -> Vec<HostNic> {
    let routes = std::fs::read_to_string(route).unwrap_or_default();
    let default_route: Vec<&str> = routes
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols.len() > 2 && cols[1] == "00000000").then(|| cols[0])
        })
        .collect();
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(sys_net) else {
        return out;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
        let name = entry.file_name().to_string_lossy().into_owned();
        // ARPHRD_ETHER: Ethernet and Wi-Fi, not loopback or tunnels.
        if read("type").trim() != "1" || name == "lo" {
            continue;
        }
        let mac: String = read("address")
            .trim()
            .chars()
            .filter(|c| *c != ':')
            .collect::<String>()
            .to_ascii_uppercase();
        if mac.len() != 12 || mac == "000000000000" {
            continue;
        }
        out.push(HostNic {
            up: read("operstate").trim() == "up",
            default_route: default_route.contains(&name.as_str()),
            physical: dir.join("device").exists(),
            name,
            mac,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The card a VM bridges to by default: the one with the default route, else the first
/// real card that is up, else the first real card, else the first at all (leoclient2:
/// "the card that is up with an address, or the first one").
pub fn main_nic(nics: &[HostNic]) -> Option<&HostNic> {
    nics.iter()
        .find(|n| n.default_route && n.up)
        .or_else(|| nics.iter().find(|n| n.physical && n.up))
        .or_else(|| nics.iter().find(|n| n.physical))
        .or_else(|| nics.first())
}

/// The card a VM bridges to with `device = "auto-unused"` (leoclient2's
/// `auto-unused-nic`): the first real card other than [`main_nic`]'s that does not carry
/// the default route, else the first other card at all.
pub fn other_nic(nics: &[HostNic]) -> Option<&HostNic> {
    let main = main_nic(nics).map(|n| n.name.as_str());
    let others: Vec<&HostNic> = nics
        .iter()
        .filter(|n| Some(n.name.as_str()) != main && !n.default_route)
        .collect();
    others
        .iter()
        .find(|n| n.physical)
        .or_else(|| others.first())
        .copied()
}

/// The cards for `image` on the PC of `facts`; `None`: keep the template's network.
pub fn cards(image: &ImageConf, facts: &AccessFacts, host: &[HostNic]) -> Result<Option<Vec<Nic>>> {
    let rule = match image.network_for(facts) {
        NetworkChoice::Template => return Ok(None),
        NetworkChoice::Off => return Ok(Some(Vec::new())),
        NetworkChoice::Rule(rule) => rule,
    };
    let mut out: Vec<Nic> = Vec::new();
    for nic in rule.nic.iter().filter(|n| n.mode != NicMode::None) {
        let made = card(&image.name, nic, host)?;
        // Two cards of a rule may take the PC's address from differently named devices
        // that are the same card here ("auto" and "eth0"): one address twice.
        if nic.mac == Some(MacSetting::Host)
            && let Some(twin) = out.iter().find(|o| o.mac.is_some() && o.mac == made.mac)
        {
            return Err(Error::config(format!(
                "{}: network cards {} and {} would both get the address {} derived from the same card of this PC. The network rule in image.conf needs another device or a fixed mac for one of them.",
                image.name,
                twin.slot,
                made.slot,
                made.mac.as_deref().unwrap_or_default()
            )));
        }
        out.push(made);
    }
    Ok(Some(out))
}

fn card(vm: &str, nic: &NicRule, host: &[HostNic]) -> Result<Nic> {
    let named = |default: &str| nic.network.clone().unwrap_or_else(|| default.to_owned());
    let bridged = match (nic.mode, nic.device.as_deref()) {
        (NicMode::Bridged, Some(NicRule::AUTO_UNUSED)) => Some(other_nic(host).ok_or_else(|| {
            let have: Vec<&str> = host.iter().map(|h| h.name.as_str()).collect();
            Error::config(format!(
                "{vm}: network card {} should be bridged to this PC's second network card (device = \"auto-unused\"), but the PC has no other card than the one it is on the network with (it has: {}).",
                nic.slot,
                if have.is_empty() { "none".to_owned() } else { have.join(", ") }
            ))
        })?),
        (NicMode::Bridged, None | Some(NicRule::AUTO)) => Some(main_nic(host).ok_or_else(|| {
            Error::config(format!(
                "{vm}: network card {} should be bridged to this PC's network card, but the PC has none.",
                nic.slot
            ))
        })?),
        (NicMode::Bridged, Some(device)) => {
            Some(host.iter().find(|h| h.name == device).ok_or_else(|| {
                let have: Vec<&str> = host.iter().map(|h| h.name.as_str()).collect();
                Error::config(format!(
                    "{vm}: network card {} should be bridged to {device}, which this PC does not have (it has: {}). The network rule in image.conf needs device = \"auto\" or this PC's card.",
                    nic.slot,
                    if have.is_empty() { "none".to_owned() } else { have.join(", ") }
                ))
            })?)
        }
        _ => None,
    };
    let attachment = match nic.mode {
        NicMode::Null | NicMode::None => Attachment::NotAttached,
        NicMode::Nat => Attachment::Nat,
        NicMode::Bridged => {
            Attachment::Bridged(bridged.map(|h| h.name.clone()).unwrap_or_default())
        }
        NicMode::Intnet => Attachment::Internal(named(DEFAULT_INTNET)),
        NicMode::Natnetwork => Attachment::NatNetwork(named(DEFAULT_NATNETWORK)),
        NicMode::Hostonly => Attachment::HostOnly(nic.device.clone().unwrap_or_default()),
        NicMode::Generic => Attachment::Generic(nic.device.clone().unwrap_or_default()),
    };
    let mac = match &nic.mac {
        None => None,
        Some(MacSetting::Fixed(mac)) => Some(mac.clone()),
        Some(MacSetting::Host) => {
            let own = bridged.or_else(|| main_nic(host)).ok_or_else(|| {
                Error::config(format!(
                    "{vm}: network card {} should take its address from this PC's network card, but the PC has none.",
                    nic.slot
                ))
            })?;
            Some(derived_mac(&own.mac))
        }
    };
    Ok(Nic {
        slot: nic.slot,
        attachment,
        mac,
    })
}

/// leoclient2's address for a VM on this PC: `08` and the last 10 hex digits of the PC's
/// card, so every PC's VM has its own, stable address.
pub fn derived_mac(host_mac: &str) -> String {
    format!("08{}", &host_mac[host_mac.len() - 10..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sys(dir: &Path, name: &str, mac: &str, state: &str, kind: &str, physical: bool) {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("address"), format!("{mac}\n")).unwrap();
        std::fs::write(d.join("operstate"), format!("{state}\n")).unwrap();
        std::fs::write(d.join("type"), format!("{kind}\n")).unwrap();
        if physical {
            std::fs::create_dir(d.join("device")).unwrap();
        }
    }

    const ROUTE_HEAD: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

    #[test]
    fn the_main_card_is_the_one_with_the_default_route_then_the_first_real_one_up() {
        let tmp = tempfile::tempdir().unwrap();
        let net = tmp.path().join("net");
        sys(&net, "lo", "00:00:00:00:00:00", "unknown", "772", false);
        sys(&net, "br0", "52:54:00:aa:bb:01", "up", "1", false);
        sys(&net, "enp2s0", "a0:b1:c2:d3:e4:f5", "up", "1", true);
        sys(&net, "eno1", "a0:b1:c2:d3:e4:01", "down", "1", true);
        sys(&net, "wg0", "", "up", "65534", false);
        let route = tmp.path().join("route");
        std::fs::write(
            &route,
            format!("{ROUTE_HEAD}br0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"),
        )
        .unwrap();
        let nics = host_nics(&net, &route);
        let names: Vec<&str> = nics.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["br0", "eno1", "enp2s0"]);
        assert_eq!(main_nic(&nics).unwrap().name, "br0");

        std::fs::write(&route, ROUTE_HEAD).unwrap();
        let nics = host_nics(&net, &route);
        assert_eq!(main_nic(&nics).unwrap().name, "enp2s0");
        assert_eq!(nics[2].mac, "A0B1C2D3E4F5");

        std::fs::write(net.join("enp2s0/operstate"), "down\n").unwrap();
        let nics = host_nics(&net, &route);
        assert_eq!(main_nic(&nics).unwrap().name, "eno1");
        assert_eq!(main_nic(&[]), None);
    }

    fn image(text: &str) -> ImageConf {
        ImageConf::parse(&format!("name = \"Win\"\n{text}"), Path::new("image.conf")).unwrap()
    }

    fn nic(name: &str, mac: &str, up: bool, default_route: bool) -> HostNic {
        HostNic {
            name: name.into(),
            mac: mac.into(),
            up,
            default_route,
            physical: true,
        }
    }

    #[test]
    fn auto_and_host_are_resolved_against_the_pc() {
        let host = [
            nic("eno1", "A0B1C2D3E401", false, false),
            nic("enp2s0", "A0B1C2D3E4F5", true, true),
        ];
        let facts = AccessFacts {
            host: "pc1".into(),
            room: Some("r101".into()),
            ..AccessFacts::default()
        };
        let conf = image(
            "[[network]]\nrooms = [\"r101\"]\nnic = [\n  { slot = 1, mode = \"bridged\", mac = \"host\" },\n  { slot = 2, mode = \"intnet\" },\n  { slot = 3, mode = \"none\" },\n  { slot = 4, mode = \"bridged\", device = \"eno1\" },\n]\n",
        );
        let got = cards(&conf, &facts, &host).unwrap().unwrap();
        assert_eq!(
            got,
            [
                Nic {
                    slot: 1,
                    attachment: Attachment::Bridged("enp2s0".into()),
                    mac: Some("08B1C2D3E4F5".into()),
                },
                Nic {
                    slot: 2,
                    attachment: Attachment::Internal("intnet".into()),
                    mac: None,
                },
                Nic {
                    slot: 4,
                    attachment: Attachment::Bridged("eno1".into()),
                    mac: None,
                },
            ]
        );
        let elsewhere = AccessFacts {
            room: Some("r100".into()),
            ..facts.clone()
        };
        assert_eq!(cards(&conf, &elsewhere, &host).unwrap(), Some(Vec::new()));
        assert_eq!(cards(&image(""), &facts, &host).unwrap(), None);

        let missing =
            image("[[network]]\nnic = [{ slot = 1, mode = \"bridged\", device = \"enp9s0\" }]\n");
        let err = cards(&missing, &facts, &host).unwrap_err();
        assert!(
            err.message.contains("enp9s0") && err.message.contains("eno1, enp2s0"),
            "{}",
            err.message
        );
        let err = cards(&conf, &facts, &[]).unwrap_err();
        assert!(err.message.contains("has none"), "{}", err.message);
    }

    #[test]
    fn the_other_card_and_generic_drivers() {
        let host = [
            nic("eno1", "A0B1C2D3E401", false, false),
            nic("enp2s0", "A0B1C2D3E4F5", true, true),
            nic("enp3s0", "A0B1C2D3E4A0", true, false),
        ];
        let facts = AccessFacts {
            host: "pc1".into(),
            ..AccessFacts::default()
        };
        let conf = image(
            "[[network]]\nnic = [\n  { slot = 1, mode = \"bridged\", device = \"auto-unused\", mac = \"host\" },\n  { slot = 2, mode = \"generic\", device = \"VDE\" },\n]\n",
        );
        assert_eq!(
            cards(&conf, &facts, &host).unwrap().unwrap(),
            [
                Nic {
                    slot: 1,
                    attachment: Attachment::Bridged("eno1".into()),
                    mac: Some("08B1C2D3E401".into()),
                },
                Nic {
                    slot: 2,
                    attachment: Attachment::Generic("VDE".into()),
                    mac: None,
                },
            ]
        );
        // Two derived addresses from what turns out to be the same card.
        let twins = image(
            "[[network]]\nnic = [\n  { slot = 1, mode = \"bridged\", mac = \"host\" },\n  { slot = 2, mode = \"bridged\", device = \"enp2s0\", mac = \"host\" },\n]\n",
        );
        let err = cards(&twins, &facts, &host).unwrap_err();
        assert!(
            err.message
                .contains("cards 1 and 2 would both get the address 08B1C2D3E4F5"),
            "{}",
            err.message
        );
        // One card only: there is no other one to bridge to.
        let err = cards(&conf, &facts, &host[1..2]).unwrap_err();
        assert!(
            err.message.contains("second network card") && err.message.contains("enp2s0"),
            "{}",
            err.message
        );
    }
}
