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

fn image(nics: &str) -> Result<crate::config::ImageConf, String> {
    crate::config::ImageConf::parse(
        &format!("name = \"x\"\n[[network]]\nhosts = [\"pc1\"]\nnic = [{nics}]\n"),
        std::path::Path::new("image.conf"),
    )
    .map_err(|e| e.to_string())
}

#[test]
fn generic_cards_name_their_driver() {
    let conf = image("{ slot = 1, mode = \"generic\", device = \"VDE\" }").unwrap();
    let nic = &conf.network[0].nic[0];
    assert_eq!(
        (nic.mode, nic.device.as_deref()),
        (NicMode::Generic, Some("VDE"))
    );
    assert_eq!(nic.describe(), "card 1 generic (driver VDE)");
    let e = image("{ slot = 1, mode = \"generic\" }").unwrap_err();
    assert!(e.contains("device") && e.contains("VDE"), "{e}");
}

#[test]
fn auto_devices_are_for_bridged_cards_only() {
    let conf = image("{ slot = 2, mode = \"bridged\", device = \"auto-unused\", mac = \"host\" }")
        .unwrap();
    assert_eq!(
        conf.network[0].nic[0].describe(),
        "card 2 bridged (device auto-unused, mac from the PC)"
    );
    // Each card may take the address of the PC's card it is bridged to…
    image(concat!(
        "{ slot = 1, mode = \"bridged\", mac = \"host\" }, ",
        "{ slot = 2, mode = \"bridged\", device = \"auto-unused\", mac = \"host\" }"
    ))
    .unwrap();
    // …but not two of them from the same card.
    let e = image(concat!(
        "{ slot = 1, mode = \"bridged\", mac = \"host\" }, ",
        "{ slot = 2, mode = \"nat\", mac = \"host\" }"
    ))
    .unwrap_err();
    assert!(
        e.contains("only one card") && e.contains("automatic card"),
        "{e}"
    );
    for mode in ["hostonly", "generic"] {
        let e = image(&format!(
            "{{ slot = 1, mode = \"{mode}\", device = \"auto\" }}"
        ))
        .unwrap_err();
        assert!(
            e.contains("only applies to mode \"bridged\""),
            "{mode}: {e}"
        );
    }
}

#[test]
fn rules_read_as_one_line_each() {
    let conf = crate::config::ImageConf::parse(
        r#"name = "x"
[[network]]
hosts = ["r101-pc01"]
nic = [
  { slot = 1, mode = "bridged", mac = "host" },
  { slot = 2, mode = "intnet", network = "exam" },
  { slot = 3, mode = "none" },
  { slot = 4, mode = "nat", mac = "08:00:27:ab:cd:ef" },
]
[[network]]
rooms = ["r101", "r102"]
nic = [{ slot = 1, mode = "null" }, { slot = 2, mode = "hostonly", device = "vboxnet0" }]
[[network]]
hosts = ["t1"]
rooms = ["r100"]
nic = [{ slot = 1, mode = "natnetwork" }]
"#,
        std::path::Path::new("image.conf"),
    )
    .unwrap();
    assert_eq!(
        NetworkRule::describe_all(&conf.network),
        [
            "PC r101-pc01: card 1 bridged (device auto, mac from the PC), card 2 intnet \
                 (network exam), card 4 nat (mac 08:00:27:AB:CD:EF), other cards off",
            "PCs in rooms r101, r102: card 1 null (no cable), card 2 hostonly (device \
                 vboxnet0), other cards off",
            "PC t1 or PCs in room r100: card 1 natnetwork (network NatNetwork), other cards off",
            "every other PC: all cards off",
        ]
    );
    assert_eq!(
        NetworkRule::describe_all(&[]),
        ["every PC: the template's network (machine.vbox), unchanged"]
    );
    let off = NetworkRule::default();
    let late = NetworkRule {
        hosts: vec!["pc2".into()],
        ..NetworkRule::default()
    };
    assert_eq!(
        NetworkRule::describe_all(&[conf.network[0].clone(), off.clone(), late]),
        [
            NetworkRule::describe_all(&conf.network)[0].clone(),
            "every other PC: all cards off".into(),
            "PC pc2 (never applies: an earlier rule names every PC): all cards off".into(),
        ]
    );
    assert_eq!(
        NetworkRule::describe_all(&[off]),
        ["every PC: all cards off"]
    );
}
