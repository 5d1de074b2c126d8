use std::path::{Path, PathBuf};
use std::process::Command;

use uuid::Uuid;

use super::*;

const BASE: &str = "6b60802b-0427-4b15-a2b1-bb86665e9b8c";
const DIFF: &str = "181848e3-2d39-4a96-8f70-7e81621cc465";
const NEW: &str = "0badc0de-0000-4000-8000-000000000001";

fn template(hardware_tail: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<!-- leovms test template -->
<VirtualBox xmlns="http://www.virtualbox.org/" version="1.19-linux">
  <Machine uuid="{{c9234085-acf5-443f-86bf-be6f126503b7}}" name="Demo" OSType="Ubuntu_64" stateFile="Snapshots/s.sav" snapshotFolder="Snapshots">
    <MediaRegistry>
      <HardDisks>
        <HardDisk uuid="{{{BASE}}}" location="base.vdi" format="VDI" type="Normal">
          <HardDisk uuid="{{{DIFF}}}" location="Snapshots/{{{DIFF}}}.vdi" format="VDI"/>
        </HardDisk>
      </HardDisks>
    </MediaRegistry>
    <Hardware>
      <Memory RAMSize="1024"/>{hardware_tail}
    </Hardware>
    <StorageControllers>
      <StorageController name="SATA" type="AHCI" PortCount="1">
        <AttachedDevice type="HardDisk" hotpluggable="false" port="0" device="0">
          <Image uuid="{{{DIFF}}}"/>
        </AttachedDevice>
      </StorageController>
    </StorageControllers>
  </Machine>
</VirtualBox>
"#
    )
}

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

fn folders() -> Vec<SharedFolder> {
    vec![
        SharedFolder {
            name: "home".into(),
            host_path: "/home/anna".into(),
        },
        SharedFolder {
            name: "media".into(),
            host_path: "/media".into(),
        },
    ]
}

fn full_patch() -> Patch {
    Patch {
        ram_mb: Some(2048),
        shared_folders: Some(folders()),
        network: None,
        disks: vec![DiskPatch {
            old_uuid: uuid(DIFF),
            new_uuid: uuid(NEW),
            location: "/home/anna/.leovms/Machines/demo/Snapshots/w.vdi".into(),
        }],
        clear_state_file: true,
    }
}

fn patched(xml: &str, patch: &Patch) -> String {
    String::from_utf8(super::patch(xml.as_bytes(), patch).unwrap()).unwrap()
}

#[test]
fn patches_a_minimal_template_exactly() {
    let xml = template("\n      <Clipboard/>");
    let out = patched(&xml, &full_patch());
    let expected = xml
        .replace(" stateFile=\"Snapshots/s.sav\"", "")
        .replace("RAMSize=\"1024\"", "RAMSize=\"2048\"")
        .replace(
            &format!("\"{{{DIFF}}}\" location=\"Snapshots/{{{DIFF}}}.vdi\""),
            &format!("\"{{{NEW}}}\" location=\"/home/anna/.leovms/Machines/demo/Snapshots/w.vdi\""),
        )
        .replace(&format!("<Image uuid=\"{{{DIFF}}}\"/>"), &format!("<Image uuid=\"{{{NEW}}}\"/>"))
        .replace(
            "      <Clipboard/>",
            "      <SharedFolders>\n        \
             <SharedFolder name=\"home\" hostPath=\"/home/anna\" writable=\"true\" autoMount=\"true\"/>\n        \
             <SharedFolder name=\"media\" hostPath=\"/media\" writable=\"true\" autoMount=\"true\"/>\n      \
             </SharedFolders>\n      <Clipboard/>",
        );
    assert_eq!(out, expected);
    let info = inspect(out.as_bytes()).unwrap();
    assert_eq!(info.state_file, None);
    assert_eq!(info.attached, [uuid(NEW)]);
    assert_eq!(info.hard_disks[1].parent, Some(uuid(BASE)));
    // An empty patch changes nothing.
    assert_eq!(patched(&xml, &Patch::default()), xml);
}

#[test]
fn inspects_the_template() {
    let info = inspect(template("").as_bytes()).unwrap();
    assert_eq!(info.uuid, uuid("c9234085-acf5-443f-86bf-be6f126503b7"));
    assert_eq!(info.name, "Demo");
    assert_eq!(info.settings_version, "1.19-linux");
    assert_eq!(info.state_file.as_deref(), Some("Snapshots/s.sav"));
    assert_eq!(info.current_snapshot, None);
    assert_eq!(info.hard_disks.len(), 2);
    assert_eq!(info.hard_disks[0].location, "base.vdi");
    assert_eq!(info.hard_disks[0].format, "VDI");
    assert_eq!(info.hard_disks[0].parent, None);
    assert_eq!(info.attached, [uuid(DIFF)]);
}

#[test]
fn shared_folders_are_created_before_closing_hardware_and_replaced() {
    let xml = template("\n      <RTC localOrUTC=\"UTC\"/>");
    let out = patched(&xml, &full_patch());
    assert!(out.contains(
        "      <RTC localOrUTC=\"UTC\"/>\n      <SharedFolders>\n        <SharedFolder name=\"home\""
    ), "{out}");
    assert!(out.contains("</SharedFolders>\n    </Hardware>"), "{out}");
    validate(&out);
    // Patching again replaces the element instead of adding a second one.
    let again = patched(
        &out,
        &Patch {
            shared_folders: Some(folders()[..1].to_vec()),
            ..Patch::default()
        },
    );
    assert_eq!(again.matches("<SharedFolders>").count(), 1);
    assert!(!again.contains("name=\"media\""));
    let none = patched(
        &again,
        &Patch {
            shared_folders: Some(Vec::new()),
            ..Patch::default()
        },
    );
    assert!(
        none.contains("\n      <SharedFolders/>\n    </Hardware>"),
        "{none}"
    );
    validate(&none);
}

#[test]
fn escapes_attribute_values() {
    let nasty = "/srv/a&b <\"c'> \u{e4}\tx";
    let mut p = full_patch();
    p.shared_folders = Some(vec![SharedFolder {
        name: "t&'s".into(),
        host_path: nasty.into(),
    }]);
    p.disks[0].location = PathBuf::from(nasty);
    let out = patched(&template("\n      <Clipboard/>"), &p);
    let escaped = "/srv/a&amp;b &lt;&quot;c&apos;&gt; \u{e4}&#9;x";
    assert!(
        out.contains(&format!("name=\"t&amp;&apos;s\" hostPath=\"{escaped}\"")),
        "{out}"
    );
    assert!(out.contains(&format!("location=\"{escaped}\"")), "{out}");
    assert_eq!(
        inspect(out.as_bytes()).unwrap().hard_disks[1].location,
        nasty
    );
    validate(&out);
    p.disks[0].location = PathBuf::from("/a\u{1}b");
    let err = super::patch(template("").as_bytes(), &p).unwrap_err();
    assert!(
        err.to_string().contains("contains the character U+0001"),
        "{err}"
    );
}

#[test]
fn keeps_quoting_line_endings_and_prefixes() {
    let xml = "<?xml version='1.0'?>\r\n<vb:VirtualBox xmlns:vb='http://www.innotek.de/VirtualBox-settings' version='1.12-windows'>\r\n  \
               <vb:Machine uuid='{c9234085-acf5-443f-86bf-be6f126503b7}' name='Old' OSType='WindowsXP'>\r\n    \
               <vb:Hardware version='2'>\r\n      <vb:Memory PageFusion='false'/>\r\n    </vb:Hardware>\r\n  \
               </vb:Machine>\r\n</vb:VirtualBox>\r\n";
    let out = patched(
        xml,
        &Patch {
            ram_mb: Some(512),
            shared_folders: Some(folders()[..1].to_vec()),
            ..Patch::default()
        },
    );
    assert_eq!(
        out,
        xml.replace("<vb:Memory PageFusion", "<vb:Memory RAMSize=\"512\" PageFusion").replace(
            "\r\n    </vb:Hardware>",
            "\r\n      <SharedFolders>\r\n        <SharedFolder name=\"home\" hostPath=\"/home/anna\" \
             writable=\"true\" autoMount=\"true\"/>\r\n      </SharedFolders>\r\n    </vb:Hardware>"
        )
    );
    assert_eq!(inspect(xml.as_bytes()).unwrap().name, "Old");
}

#[test]
fn errors_name_the_problem() {
    let err = |xml: &str, p: &Patch| super::patch(xml.as_bytes(), p).unwrap_err().to_string();
    let ram = Patch {
        ram_mb: Some(1),
        ..Patch::default()
    };
    let global = "<VirtualBox version=\"1.19-linux\"><Global/></VirtualBox>";
    assert_eq!(err(global, &ram), "no <Machine> element");
    assert!(err("<Other/>", &ram).contains("the root element is <Other>"));
    let no_memory = template("").replace("<Memory RAMSize=\"1024\"/>", "<CPU/>");
    assert_eq!(
        err(&no_memory, &ram),
        "Memory element missing in the machine's <Hardware>"
    );
    let broken = template("").replace("</MediaRegistry>", "</MediaRegistr>");
    let e = err(&broken, &ram);
    assert!(e.starts_with("XML syntax error at line 11 (byte "), "{e}");
    let e = err(&template("")[..300], &ram);
    assert!(e.starts_with("XML syntax error at line"), "{e}");
    assert!(
        super::patch(b"<a>\xff</a>", &ram)
            .unwrap_err()
            .to_string()
            .contains("not UTF-8")
    );
    let mut p = full_patch();
    p.disks[0].old_uuid = uuid(NEW);
    assert_eq!(
        err(&template(""), &p),
        format!("the machine has no hard disk {{{NEW}}} in its media registry")
    );
    let mut p = full_patch();
    p.disks.push(p.disks[0].clone());
    assert!(err(&template(""), &p).contains("two changes touch the same place"));
    let bad_uuid = template("").replace(
        &format!("<Image uuid=\"{{{DIFF}}}\"/>"),
        "<Image uuid=\"{x}\"/>",
    );
    assert_eq!(
        inspect(bad_uuid.as_bytes()).unwrap_err().to_string(),
        "line 18: <Image> has a bad UUID in uuid: \"{x}\""
    );
    let empty_hw = "<VirtualBox version=\"1\"><Machine uuid=\"{c9234085-acf5-443f-86bf-be6f126503b7}\" name=\"x\"><Hardware/></Machine></VirtualBox>";
    let folders_only = Patch {
        shared_folders: Some(folders()),
        ..Patch::default()
    };
    assert!(err(empty_hw, &folders_only).contains("<Hardware> element is empty"));
}

#[test]
fn global_settings_registers_machines() {
    let entries = [
        (
            uuid(BASE),
            PathBuf::from("/home/anna/.leovms/Machines/vm-a/machine.vbox"),
        ),
        (
            uuid(DIFF),
            PathBuf::from("/home/anna/.leovms/Machines/b&<c>/machine.vbox"),
        ),
    ];
    let xml = global_settings(&entries);
    assert!(xml.contains(&format!(
        "<MachineEntry uuid=\"{{{BASE}}}\" src=\"/home/anna/.leovms/Machines/vm-a/machine.vbox\"/>"
    )));
    assert!(xml.contains("Machines/b&amp;&lt;c&gt;/machine.vbox"));
    validate(&xml);
    let empty = global_settings(&[]);
    assert!(empty.contains("<MachineRegistry/>"));
    validate(&empty);
    assert!(
        global_settings(&[(uuid(BASE), PathBuf::from("/a\u{1}b"))]).contains("src=\"/a\u{FFFD}b\"")
    );
}

/// Validate against the settings schema when xmllint is installed (required under CI).
fn validate(xml: &str) {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vbox/VirtualBox-settings.xsd");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.xml");
    std::fs::write(&file, xml).unwrap();
    match Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "schema validation failed:\n{}\n{xml}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("xmllint is required under CI: {e}")
        }
        Err(e) => println!("skipped schema validation: xmllint not available ({e})"),
    }
}

#[test]
fn network_cards_are_written_neatly_where_virtualbox_puts_them() {
    let nics = vec![
        Nic {
            slot: 1,
            attachment: Attachment::Bridged("eth0".into()),
            mac: Some("08FC00000001".into()),
        },
        Nic {
            slot: 3,
            attachment: Attachment::NotAttached,
            mac: Some("080027000003".into()),
        },
    ];
    let p = Patch {
        network: Some(nics),
        ..Patch::default()
    };
    // No <Network> at all: one is added, before the audio adapter.
    let xml = template("\n      <AudioAdapter driver=\"Pulse\"/>");
    let out = String::from_utf8(patch(xml.as_bytes(), &p).unwrap()).unwrap();
    assert!(
        out.contains(concat!(
            "<Memory RAMSize=\"1024\"/>\n",
            "      <Network>\n",
            "        <Adapter slot=\"0\" enabled=\"true\" MACAddress=\"08FC00000001\" type=\"82540EM\"><BridgedInterface name=\"eth0\"/></Adapter>\n",
            "        <Adapter slot=\"2\" enabled=\"true\" MACAddress=\"080027000003\" type=\"82540EM\"/>\n",
            "      </Network>\n",
            "      <AudioAdapter driver=\"Pulse\"/>\n"
        )),
        "{out}"
    );
    // Existing cards: the chip and parked modes stay, the old attachment goes, a card
    // not asked for is switched off, a self-closed card is opened up.
    let xml = template(concat!(
        "\n      <Network>",
        "\n        <Adapter slot=\"0\" enabled=\"true\" MACAddress=\"0800270A0B0C\" type=\"virtio\">",
        "\n          <DisabledModes>",
        "\n            <InternalNetwork name=\"intnet\"/>",
        "\n          </DisabledModes>",
        "\n          <NAT>",
        "\n            <Forwarding name=\"ssh\" proto=\"1\" hostport=\"2222\" guestport=\"22\"/>",
        "\n          </NAT>",
        "\n        </Adapter>",
        "\n        <Adapter slot=\"1\" enabled=\"true\" MACAddress=\"0800270A0B0D\"><NAT/></Adapter>",
        "\n        <Adapter slot=\"2\" type=\"virtio\"/>",
        "\n      </Network>"
    ));
    let out = String::from_utf8(patch(xml.as_bytes(), &p).unwrap()).unwrap();
    assert!(
        out.contains(concat!(
            "\n      <Network>",
            "\n        <Adapter slot=\"0\" enabled=\"true\" MACAddress=\"08FC00000001\" type=\"virtio\">",
            "\n          <DisabledModes>",
            "\n            <InternalNetwork name=\"intnet\"/>",
            "\n          </DisabledModes>",
            "\n          <BridgedInterface name=\"eth0\"/>",
            "\n        </Adapter>",
            "\n        <Adapter slot=\"1\" enabled=\"false\" MACAddress=\"0800270A0B0D\"><NAT/></Adapter>",
            "\n        <Adapter enabled=\"true\" MACAddress=\"080027000003\" slot=\"2\" type=\"virtio\"/>",
            "\n      </Network>"
        )),
        "{out}"
    );
    // NAT asked where NAT is: its port forwards stay.
    let nat = Patch {
        network: Some(vec![Nic {
            slot: 1,
            attachment: Attachment::Nat,
            mac: None,
        }]),
        ..Patch::default()
    };
    let out = String::from_utf8(patch(xml.as_bytes(), &nat).unwrap()).unwrap();
    assert!(out.contains("<Forwarding name=\"ssh\""), "{out}");
    assert!(out.contains("MACAddress=\"0800270A0B0C\""), "{out}");
}
