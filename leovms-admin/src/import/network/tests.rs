use super::*;
use leovms_image::config::ImageConf;

fn nic(slot: u32, mode: NicMode) -> NicRule {
    NicRule {
        slot,
        mode,
        mac: None,
        device: None,
        network: None,
    }
}

fn refused(text: &str) -> String {
    match convert("network.conf", Some(text)) {
        Err(Error::Invalid(msg)) => msg,
        other => panic!("{text:?}: expected a refusal, got {other:?}"),
    }
}

/// The rules survive being written into image.conf and read back by the PCs' parser.
fn round_trip(converted: &Converted) -> ImageConf {
    let text = format!("name = \"x\"\n{}", to_toml(converted));
    let image =
        ImageConf::parse(&text, Path::new("image.conf")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(image.network, converted.rules, "{text}");
    image
}

use std::path::Path;

#[test]
fn every_mode_is_converted() {
    let text = "\
# leoclient2 network.conf
r101-pc01;1;bridged;automac-used;auto-used-nic
r101-pc01;2;bridged;automac-unused;auto-unused-nic
r101-pc01;3;bridged;08:00:27:00:00:03;eth1
r101-pc01;4;none;;
 r101-pc02;1;nat;0800270000aa;auto-used-nic\r
r101-pc02;2;intnet;;auto-used-nic
r101-pc02;3;intnet;automac-used;exam
r101-pc02;4;null;080027000004;
pc03;1;hostonly;;vboxnet0
pc03;2;generic;080027000005;VDE
pc03;3;natnetwork;;auto-used-nic
pc03;4;NatNetwork;;school
pc04;1;none
";
    let c = convert("network.conf", Some(text)).unwrap();
    let with = |mut n: NicRule, f: &dyn Fn(&mut NicRule)| {
        f(&mut n);
        n
    };
    let fixed = |hex: &str| Some(MacSetting::Fixed(hex.into()));
    assert_eq!(
        c.rules,
        [
            NetworkRule {
                hosts: vec!["r101-pc01".into()],
                rooms: vec![],
                nic: vec![
                    with(nic(1, NicMode::Bridged), &|n| n.mac =
                        Some(MacSetting::Host)),
                    with(nic(2, NicMode::Bridged), &|n| {
                        n.device = Some("auto-unused".into());
                        n.mac = Some(MacSetting::Host);
                    }),
                    with(nic(3, NicMode::Bridged), &|n| {
                        n.device = Some("eth1".into());
                        n.mac = fixed("080027000003");
                    }),
                    nic(4, NicMode::None),
                ],
            },
            NetworkRule {
                hosts: vec!["r101-pc02".into()],
                rooms: vec![],
                nic: vec![
                    with(nic(1, NicMode::Nat), &|n| n.mac = fixed("0800270000AA")),
                    nic(2, NicMode::Intnet),
                    with(nic(3, NicMode::Intnet), &|n| {
                        n.network = Some("exam".into());
                        n.mac = Some(MacSetting::Host);
                    }),
                    with(nic(4, NicMode::Null), &|n| n.mac = fixed("080027000004")),
                ],
            },
            NetworkRule {
                hosts: vec!["pc03".into()],
                rooms: vec![],
                nic: vec![
                    with(nic(1, NicMode::Hostonly), &|n| n.device =
                        Some("vboxnet0".into())),
                    with(nic(2, NicMode::Generic), &|n| {
                        n.device = Some("VDE".into());
                        n.mac = fixed("080027000005");
                    }),
                    nic(3, NicMode::Natnetwork),
                    with(nic(4, NicMode::Natnetwork), &|n| {
                        n.network = Some("school".into())
                    }),
                ],
            },
            NetworkRule {
                hosts: vec!["pc04".into()],
                rooms: vec![],
                nic: vec![nic(1, NicMode::None)],
            },
        ]
    );
    assert_eq!(
        c.lines,
        [
            vec![2, 3, 4, 5],
            vec![6, 7, 8, 9],
            vec![10, 11, 12, 13],
            vec![14]
        ]
    );
    assert!(!c.all_off());
    assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
    assert!(
        c.notes[0].contains("network.conf: nat (line 6)") && c.notes[0].contains("192.168.1.0/24"),
        "{:?}",
        c.notes
    );
    let image = round_trip(&c);
    let text = to_toml(&c);
    assert!(
        text.contains("[[network]]  # lines 2, 3, 4, 5\nhosts = [\"r101-pc01\"]\n"),
        "{text}"
    );
    assert!(
        text.contains("a PC no rule names gets no network"),
        "{text}"
    );
    assert_eq!(
        NetworkRule::describe_all(&image.network),
        [
            "PC r101-pc01: card 1 bridged (device auto, mac from the PC), card 2 bridged \
                 (device auto-unused, mac from the PC), card 3 bridged (device eth1, mac \
                 08:00:27:00:00:03), other cards off",
            "PC r101-pc02: card 1 nat (mac 08:00:27:00:00:AA), card 2 intnet (network \
                 intnet), card 3 intnet (network exam, mac from the PC), card 4 null (no cable, \
                 mac 08:00:27:00:00:04), other cards off",
            "PC pc03: card 1 hostonly (device vboxnet0), card 2 generic (driver VDE, mac \
                 08:00:27:00:00:05), card 3 natnetwork (network NatNetwork), card 4 natnetwork \
                 (network school), other cards off",
            "PC pc04: all cards off",
            "every other PC: all cards off",
        ]
    );
}

#[test]
fn no_file_or_no_line_means_every_card_off_everywhere() {
    for text in [None, Some("# nothing here\n\n   \n")] {
        let c = convert("network.conf", text).unwrap();
        assert!(c.all_off(), "{text:?}");
        assert_eq!(c.had_file, text.is_some());
        let image = round_trip(&c);
        assert_eq!(
            NetworkRule::describe_all(&image.network),
            ["every PC: all cards off"]
        );
        let toml = to_toml(&c);
        assert!(toml.contains("[[network]]\nnic = []\n"), "{toml}");
        let why = if text.is_none() {
            "had no network.conf"
        } else {
            "names no PC"
        };
        assert!(toml.contains(why), "{toml}");
    }
}

#[test]
fn a_card_set_twice_keeps_the_later_line_as_leoclient2_did() {
    let c = convert(
        "network.conf",
        Some("pc1;1;nat;;auto-used-nic\npc2;1;nat;;\npc1;1;bridged;;auto-used-nic\n"),
    )
    .unwrap();
    assert_eq!(c.rules[0].nic, [nic(1, NicMode::Bridged)]);
    assert_eq!(c.lines[0], [3]);
    assert!(
        c.notes[0].contains("network.conf:3: card 1 of pc1 is set again (first on line 1)"),
        "{:?}",
        c.notes
    );
}

#[test]
fn lines_that_cannot_be_converted_are_refused_with_their_number() {
    for (line, why) in [
        ("pc1;1;nat", "3 fields"), // fine: mac and device may be left out…
        ("pc1;1", "2 fields, expected host;nic;mode;mac;device"),
        ("pc1;1;nat;;;x", "6 fields"),
        (";1;nat;;", "no host name"),
        ("pc1,pc2;1;nat;;", "is not one host name"),
        ("pc1;5;nat;;", "card \"5\": leoclient2 sets cards 1 to 4"),
        ("pc1;0;nat;;", "cards 1 to 4"),
        ("pc1;one;nat;;", "cards 1 to 4"),
        ("pc1;1;wifi;;", "mode \"wifi\" is none of"),
        ("pc1;1;nat;08002700;", "neither 12 hex digits"),
        ("pc1;1;nat;010027000001;", "multicast"),
        ("pc1;1;nat;auto;", "neither 12 hex digits"),
        ("pc1;1;bridged;;", "bridged needs a device"),
        (
            "pc1;1;hostonly;;auto-used-nic",
            "hostonly needs the host-only interface",
        ),
        ("pc1;1;generic;;", "generic needs VirtualBox's driver"),
        (
            "pc1;1;bridged;automac-used;auto-unused-nic",
            "write automac-unused",
        ),
        (
            "pc1;1;nat;automac-unused;auto-used-nic",
            "needs bridged with device auto-unused-nic",
        ),
        ("pc1;1;nat;;eth\u{1b}0", "control characters"),
    ] {
        if why == "3 fields" {
            assert!(convert("network.conf", Some(line)).is_ok(), "{line}");
            continue;
        }
        let text = format!("# comment\nr1;1;nat;;\n{line}\n");
        let msg = refused(&text);
        assert!(
            msg.starts_with("network.conf:3: ") && msg.contains(why),
            "{line}: {msg}"
        );
        assert!(msg.ends_with("nothing was imported"), "{msg}");
    }
    let msg = refused("PC1;1;nat;;\npc1;2;nat;;\n");
    assert!(
        msg.starts_with("network.conf:2: host pc1 differs from PC1") && msg.contains("case"),
        "{msg}"
    );
}
