//! Network cards patched into every genuine `.vbox`: exactly the asked cards are on, with
//! the asked attachment and address; nothing outside the current state's `<Network>`
//! changes, and the file stays schema-valid.

use leovms_image::vbox::{Attachment, Nic, Patch, patch};
use quick_xml::Reader;
use quick_xml::events::Event;

use super::events::{attrs, tokens, without_current};
use super::{fixtures, stays_valid};

/// What the current state says about one card.
#[derive(Debug, PartialEq, Eq)]
struct Card {
    slot: u32,
    enabled: bool,
    mac: Option<String>,
    /// Attachment element and its name, e.g. `("BridgedInterface", "eth7")`.
    attached: Option<(String, String)>,
}

fn cards(xml: &str) -> Vec<Card> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut out: Vec<Card> = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().unwrap();
        let raw = &xml[before..reader.buffer_position() as usize];
        let (tag, empty) = match &event {
            Event::Start(t) => (t.local_name().as_ref().to_vec(), false),
            Event::Empty(t) => (t.local_name().as_ref().to_vec(), true),
            Event::End(_) => {
                stack.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = String::from_utf8(tag).unwrap();
        let in_network = stack.len() == 4 && stack[1..4] == ["Machine", "Hardware", "Network"];
        let in_adapter =
            stack.len() == 5 && stack[1..5] == ["Machine", "Hardware", "Network", "Adapter"];
        let a = attrs(raw);
        let get = |k: &str| {
            a.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| quick_xml::escape::unescape(v).unwrap().into_owned())
        };
        if in_network && name == "Adapter" {
            out.push(Card {
                slot: get("slot").unwrap().parse::<u32>().unwrap() + 1,
                enabled: get("enabled").as_deref() == Some("true"),
                mac: get("MACAddress"),
                attached: None,
            });
        } else if in_adapter && name != "DisabledModes" {
            let card = out.last_mut().unwrap();
            assert!(
                card.attached.is_none(),
                "two attachments on card {}",
                card.slot
            );
            let named = get("name").or_else(|| get("driver"));
            card.attached = Some((name.clone(), named.unwrap_or_default()));
        }
        if !empty {
            stack.push(name);
        }
    }
    out
}

#[test]
fn every_fixture_gets_exactly_the_asked_cards() {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let tmp = tempfile::tempdir().unwrap();
    let nics = vec![
        Nic {
            slot: 1,
            attachment: Attachment::Bridged("eth7 & co".into()),
            mac: Some("08FC00000001".into()),
        },
        Nic {
            slot: 2,
            attachment: Attachment::Internal("exam".into()),
            mac: None,
        },
        Nic {
            slot: 4,
            attachment: Attachment::Nat,
            mac: Some("080027ABCDEF".into()),
        },
    ];
    let mut validated = 0;
    for path in fixtures() {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let original = std::fs::read_to_string(&path).unwrap();
        let p = Patch {
            network: Some(nics.clone()),
            ..Patch::default()
        };
        let out = String::from_utf8(patch(original.as_bytes(), &p).unwrap()).unwrap();

        let (before, _) = without_current(tokens(&original), "Network");
        let (after, _) = without_current(tokens(&out), "Network");
        let raw = |t: &[super::events::Tok]| t.iter().map(|t| t.raw.clone()).collect::<String>();
        assert_eq!(
            raw(&before),
            raw(&after),
            "{file}: changed outside <Network>"
        );

        let old_cards = cards(&original);
        let got = cards(&out);
        let on: Vec<&Card> = got.iter().filter(|c| c.enabled).collect();
        assert_eq!(on.len(), 3, "{file}: {got:?}");
        assert_eq!(
            (on[0].slot, on[0].mac.as_deref(), on[0].attached.clone()),
            (
                1,
                Some("08FC00000001"),
                Some(("BridgedInterface".into(), "eth7 & co".into()))
            ),
            "{file}"
        );
        let kept_mac = old_cards
            .iter()
            .find(|c| c.slot == 2)
            .and_then(|c| c.mac.clone());
        assert_eq!(on[1].slot, 2, "{file}");
        assert_eq!(
            on[1].attached,
            Some(("InternalNetwork".into(), "exam".into())),
            "{file}"
        );
        match kept_mac {
            Some(mac) => assert_eq!(on[1].mac.as_ref(), Some(&mac), "{file}: MAC not kept"),
            None => assert!(on[1].mac.as_ref().is_some_and(|m| m.len() == 12), "{file}"),
        }
        assert_eq!(
            (
                on[2].slot,
                on[2].mac.as_deref(),
                on[2].attached.as_ref().map(|a| a.0.as_str())
            ),
            (4, Some("080027ABCDEF"), Some("NAT")),
            "{file}"
        );
        // The template's other cards are still there, switched off.
        for old in old_cards.iter().filter(|c| ![1, 2, 4].contains(&c.slot)) {
            let now = got.iter().find(|c| c.slot == old.slot).unwrap();
            assert!(!now.enabled, "{file}: card {} still on", old.slot);
        }
        if stays_valid(&file, &original, &out, tmp.path(), ci) {
            validated += 1;
        }
    }
    assert!(!ci || validated > 0, "no fixture was validated");
}

#[test]
fn switching_all_cards_off_keeps_them_in_the_file() {
    for path in fixtures() {
        let original = std::fs::read_to_string(&path).unwrap();
        let p = Patch {
            network: Some(Vec::new()),
            ..Patch::default()
        };
        let out = String::from_utf8(patch(original.as_bytes(), &p).unwrap()).unwrap();
        let (old, new) = (cards(&original), cards(&out));
        assert_eq!(old.len(), new.len(), "{}", path.display());
        assert!(new.iter().all(|c| !c.enabled), "{}", path.display());
        for (o, n) in old.iter().zip(&new) {
            assert_eq!((o.slot, &o.mac, &o.attached), (n.slot, &n.mac, &n.attached));
        }
    }
}

#[test]
fn generic_drivers_are_written_as_virtualbox_does() {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let tmp = tempfile::tempdir().unwrap();
    let nics = vec![
        Nic {
            slot: 1,
            attachment: Attachment::Generic("VDE".into()),
            mac: None,
        },
        Nic {
            slot: 6,
            attachment: Attachment::Generic("UDPTunnel".into()),
            mac: Some("080027000006".into()),
        },
    ];
    let mut validated = 0;
    for path in fixtures() {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let original = std::fs::read_to_string(&path).unwrap();
        let p = Patch {
            network: Some(nics.clone()),
            ..Patch::default()
        };
        let out = String::from_utf8(patch(original.as_bytes(), &p).unwrap()).unwrap();
        let on: Vec<(u32, Option<(String, String)>)> = cards(&out)
            .into_iter()
            .filter(|c| c.enabled)
            .map(|c| (c.slot, c.attached))
            .collect();
        assert_eq!(
            on,
            [
                (1, Some(("GenericInterface".into(), "VDE".into()))),
                (6, Some(("GenericInterface".into(), "UDPTunnel".into()))),
            ],
            "{file}"
        );
        // Patched again with the same cards: the driver is set in place, not added twice.
        let again = String::from_utf8(patch(out.as_bytes(), &p).unwrap()).unwrap();
        assert_eq!(again.matches("<GenericInterface").count(), 2, "{file}");
        if stays_valid(&file, &original, &out, tmp.path(), ci) {
            validated += 1;
        }
    }
    assert!(!ci || validated > 0, "no fixture was validated");
}
