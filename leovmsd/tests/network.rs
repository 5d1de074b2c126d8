//! Network rules of image.conf (`[[network]]`) through the real daemon: the same VM started
//! on PCs in different places gets the cards its rule names, as VirtualBox reports them
//! (`showvminfo --machinereadable`). The bridged card and the derived address come from
//! this machine's own network cards.

mod common;

use std::collections::BTreeMap;

use common::{World, assert_refused, describe};
use leovms_testkit::DemoOptions;

const RULES: &str = r#"
[[network]]
rooms = ["r101"]
[[network.nic]]
slot = 1
mode = "bridged"
mac = "host"
[[network.nic]]
slot = 2
mode = "intnet"
network = "exam"

[[network]]
hosts = ["r100-teacher"]
nic = [{ slot = 1, mode = "nat", mac = "08:00:27:00:10:01" }]

[[network]]
hosts = ["r102-pc01"]
nic = [{ slot = 1, mode = "bridged", device = "leovms-no-such-nic" }]
"#;

/// The card this machine reaches the network with: the one carrying the default route.
fn own_card() -> (String, String) {
    let routes = std::fs::read_to_string("/proc/net/route").unwrap();
    let name = routes
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|c| c.len() > 2 && c[1] == "00000000")
        .map(|c| c[0].to_owned())
        .expect("this test needs a default route");
    let mac = std::fs::read_to_string(format!("/sys/class/net/{name}/address")).unwrap();
    let mac = mac.trim().replace(':', "").to_ascii_uppercase();
    (name, mac)
}

async fn start_on(w: &mut World, host: &str, room: &str) -> BTreeMap<String, String> {
    w.move_to(host, room).await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    w.wait_machine_state("vm-demo", "running").await;
    let info = w.vboxmanage(&[
        "showvminfo",
        &w.share.vm("vm-demo").machine_uuid.to_string(),
        "--machinereadable",
    ]);
    assert!(info.status.success(), "{}", describe(&info));
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    w.wait_machine_state("vm-demo", "off").await;
    String::from_utf8_lossy(&info.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
        .collect()
}

/// Cards 1..=8 that are on, as `nicN` says; the others must be absent or `none`.
fn cards_on(info: &BTreeMap<String, String>) -> Vec<(u32, String)> {
    (1..=8)
        .filter_map(|n| {
            info.get(&format!("nic{n}"))
                .filter(|k| *k != "none")
                .map(|k| (n, k.clone()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_pc_gets_the_cards_its_rule_names() {
    let (card, card_mac) = own_card();
    let mut w = World::with(DemoOptions {
        image_conf_extra: vec![("vm-demo".into(), RULES.into())],
        ..Default::default()
    })
    .await;

    // Room r101: bridged to this PC's card with the address derived from it, plus the
    // exam network.
    let info = start_on(&mut w, "r101-pc03", "r101").await;
    assert_eq!(
        cards_on(&info),
        [(1, "bridged".into()), (2, "intnet".into())],
        "{info:?}"
    );
    assert_eq!(info["bridgeadapter1"], card);
    assert_eq!(info["macaddress1"], format!("08{}", &card_mac[2..]));
    assert_eq!(info["intnet2"], "exam");

    // The teacher's PC: NAT with a fixed address.
    let info = start_on(&mut w, "R100-Teacher.school.lan", "r100").await;
    assert_eq!(cards_on(&info), [(1, "nat".into())], "{info:?}");
    assert_eq!(info["macaddress1"], "080027001001");

    // A PC no rule names: no network at all.
    let info = start_on(&mut w, "r100-pc01", "r100").await;
    assert_eq!(cards_on(&info), [], "{info:?}");

    // A rule naming a card this PC lacks: refused before anything is unpacked, in words
    // the admin can act on.
    w.terminate_daemon().await;
    w.extra_env = vec![("LEOVMS_HOST".into(), "r102-pc01".into())];
    w.start_daemon().await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert_refused(
        &out,
        5,
        "network card 1 should be bridged to leovms-no-such-nic, which this PC does not have",
    );
    assert_said_names(&out, &card);
}

fn assert_said_names(out: &std::process::Output, card: &str) {
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(card),
        "the PC's own cards are not named: {said}"
    );
}
