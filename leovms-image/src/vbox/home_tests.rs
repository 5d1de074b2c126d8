use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use uuid::Uuid;

use super::*;
use crate::vdi::{create_diff, create_dynamic, set_parent};

const MIB: u64 = 1 << 20;

fn id(byte: u8) -> Uuid {
    Uuid::from_bytes([byte; 16])
}

/// `VirtualBox.xml` with the given machine entries and global hard disks.
fn global_xml(entries: &[(Uuid, &str)], hard_disks: &str) -> String {
    let entries: String = entries
        .iter()
        .map(|(u, src)| format!("<MachineEntry uuid=\"{}\" src=\"{src}\"/>", braced(u)))
        .collect();
    format!(
        "<?xml version=\"1.0\"?>\n<VirtualBox xmlns=\"http://www.virtualbox.org/\" \
         version=\"1.12-linux\"><Global><MachineRegistry>{entries}</MachineRegistry>\
         <MediaRegistry><HardDisks>{hard_disks}</HardDisks></MediaRegistry></Global>\
         </VirtualBox>\n"
    )
}

/// A `.vbox` whose current state attaches `current`; `registry` goes into its
/// `<MediaRegistry><HardDisks>`.
fn machine_xml(uuid: Uuid, name: &str, registry: &str, current: Uuid) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<VirtualBox xmlns=\"http://www.virtualbox.org/\" \
         version=\"1.19-linux\"><Machine uuid=\"{}\" name=\"{name}\" OSType=\"Debian_64\">\
         <MediaRegistry><HardDisks>{registry}</HardDisks></MediaRegistry>\
         <Hardware><Memory RAMSize=\"128\"/></Hardware><StorageControllers>\
         <StorageController name=\"SATA\" type=\"AHCI\" PortCount=\"1\">\
         <AttachedDevice type=\"HardDisk\" port=\"0\" device=\"0\"><Image uuid=\"{}\"/>\
         </AttachedDevice></StorageController></StorageControllers></Machine></VirtualBox>\n",
        braced(&uuid),
        braced(&current)
    )
}

fn hard_disk(uuid: Uuid, location: &str, children: &str) -> String {
    format!(
        "<HardDisk uuid=\"{}\" location=\"{location}\" format=\"VDI\">{children}</HardDisk>",
        braced(&uuid)
    )
}

/// base.vdi (id 0xba) and diff.vdi (id 0xdf, parent base) in `folder`.
fn disks(folder: &Path) -> (PathBuf, PathBuf) {
    fs::create_dir_all(folder).unwrap();
    let (base, diff) = (folder.join("base.vdi"), folder.join("diff.vdi"));
    create_dynamic(&base, 16 * MIB, id(0xba)).unwrap();
    create_diff(&diff, &read_header(&base).unwrap(), id(0xdf)).unwrap();
    (base, diff)
}

#[test]
fn a_home_without_virtualbox_xml_has_no_machines() {
    let home = tempfile::tempdir().unwrap();
    assert_eq!(own_machines(home.path()).unwrap(), Vec::new());
    fs::write(home.path().join("VirtualBox.xml"), "<Other/>").unwrap();
    let e = own_machines(home.path()).unwrap_err().to_string();
    assert!(
        e.ends_with("the root element is <Other>, not <VirtualBox>"),
        "{e}"
    );
}

#[test]
fn chain_from_the_global_registry_of_old_versions() {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join("Machines/Old");
    let (base, diff) = disks(&folder);
    // Old versions: every disk in VirtualBox.xml, locations relative to the home.
    let nested = hard_disk(id(0xdf), "Machines/Old/diff.vdi", "");
    let global = hard_disk(id(0xba), "Machines/Old/base.vdi", &nested);
    let xml = global_xml(&[(id(1), "Machines/Old/Old.vbox")], &global);
    fs::write(home.path().join("VirtualBox.xml"), xml).unwrap();
    fs::write(
        folder.join("Old.vbox"),
        machine_xml(id(1), "Old", "", id(0xdf)),
    )
    .unwrap();

    let machines = own_machines(home.path()).unwrap();
    assert_eq!(machines.len(), 1);
    let m = &machines[0];
    assert_eq!(
        (m.uuid, m.name.as_str(), m.problem.as_deref()),
        (id(1), "Old", None)
    );
    assert_eq!(m.settings_file, folder.join("Old.vbox"));
    assert!(!m.saved_state);
    let expected = vec![
        ChainLink {
            uuid: id(0xdf),
            path: diff,
            parent: Some(id(0xba)),
        },
        ChainLink {
            uuid: id(0xba),
            path: base,
            parent: None,
        },
    ];
    assert_eq!(m.disks, vec![DiskChain { links: expected }]);
    assert_eq!(m.disks[0].base_uuid(), id(0xba));
}

#[test]
fn headers_that_contradict_the_registry_are_problems() {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join("M");
    let (_, diff) = disks(&folder);
    let registry = hard_disk(id(0xba), "base.vdi", &hard_disk(id(0xdf), "diff.vdi", ""));
    let vbox = folder.join("M.vbox");
    fs::write(&vbox, machine_xml(id(2), "M", &registry, id(0xdf))).unwrap();
    let broken = home.path().join("Broken.vbox");
    fs::write(&broken, "<VirtualBox><Machine").unwrap();
    let entries = [(id(2), vbox.to_str().unwrap()), (id(3), "Broken.vbox")];
    fs::write(home.path().join("VirtualBox.xml"), global_xml(&entries, "")).unwrap();

    // A file name never decides: the header's parent must be the registry's.
    set_parent(&diff, id(0x77)).unwrap();
    let machines = own_machines(home.path()).unwrap();
    let problem = machines[0].problem.clone().unwrap();
    assert!(
        problem.contains("diff.vdi names the parent {77777777-"),
        "{problem}"
    );
    assert!(
        problem.contains("the media registry says {babababa-"),
        "{problem}"
    );
    assert!(machines[0].disks.is_empty());
    let broken_problem = machines[1].problem.clone().unwrap();
    assert!(
        broken_problem.contains("Broken.vbox: XML syntax error"),
        "{broken_problem}"
    );
    assert_eq!(
        (machines[1].uuid, machines[1].name.as_str()),
        (id(3), "Broken")
    );

    fs::remove_file(folder.join("base.vdi")).unwrap();
    set_parent(&diff, id(0xba)).unwrap();
    let problem = own_machines(home.path()).unwrap()[0]
        .problem
        .clone()
        .unwrap();
    assert!(problem.starts_with("cannot read disk image "), "{problem}");
    assert!(problem.contains("base.vdi"), "{problem}");
}

/// The independent VirtualBox stand-in, when `LEOVMS_TEST_VBOX_DIR` names it (`.ci/run`
/// runs this test again with it); the other tests here cover the reading without it.
fn vboxsim() -> Option<PathBuf> {
    let dir = std::env::var_os("LEOVMS_TEST_VBOX_DIR").map(PathBuf::from);
    let tool = dir.map(|d| d.join("VBoxManage")).filter(|t| t.exists());
    if tool.is_none() {
        eprintln!("not run here: needs the independent stand-in in LEOVMS_TEST_VBOX_DIR");
    }
    tool
}

fn run(tool: &Path, home: &Path, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .env("VBOX_USER_HOME", home)
        .env("VBOXSIM_XSD", "off")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "VBoxManage {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Registers a machine `name` with a fresh base disk attached; returns the base's UUID.
fn vboxsim_machine(tool: &Path, home: &Path, machines: &Path, name: &str, uuid: Uuid) -> Uuid {
    let folder = machines.join(name);
    fs::create_dir_all(&folder).unwrap();
    let base = folder.join("base.vdi");
    let b = base.to_str().unwrap();
    run(
        tool,
        home,
        &["createmedium", "disk", "--filename", b, "--size", "16"],
    );
    let base_uuid = read_header(&base).unwrap().uuid;
    let registry = hard_disk(base_uuid, "base.vdi", "");
    let vbox = folder.join(format!("{name}.vbox"));
    fs::write(&vbox, machine_xml(uuid, name, &registry, base_uuid)).unwrap();
    run(tool, home, &["registervm", vbox.to_str().unwrap()]);
    base_uuid
}

#[test]
fn machines_of_a_vboxsim_home() {
    let Some(tool) = vboxsim() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (home, machines) = (dir.path().join("home"), dir.path().join("VirtualBox VMs"));
    let base = vboxsim_machine(&tool, &home, &machines, "Lab", id(0x10));
    run(&tool, &home, &["snapshot", "Lab", "take", "leovms"]);
    vboxsim_machine(&tool, &home, &machines, "Gone", id(0x20));
    fs::remove_file(machines.join("Gone/Gone.vbox")).unwrap();
    let saved_base = vboxsim_machine(&tool, &home, &machines, "Saved", id(0x30));
    run(&tool, &home, &["startvm", "Saved", "--type", "headless"]);
    let saved = run(&tool, &home, &["controlvm", "Saved", "savestate"]);

    let found = own_machines(&home).unwrap();
    let names: Vec<_> = found.iter().map(|m| (m.uuid, m.name.as_str())).collect();
    assert_eq!(
        names,
        [(id(0x10), "Lab"), (id(0x20), "Gone"), (id(0x30), "Saved")]
    );

    let lab = &found[0];
    assert_eq!((lab.problem.as_deref(), lab.saved_state), (None, false));
    assert_eq!(lab.disks.len(), 1);
    let chain = &lab.disks[0].links;
    assert_eq!(chain.len(), 2, "{chain:?}");
    let diff = read_header(&chain[0].path).unwrap();
    assert_eq!((diff.uuid, diff.parent), (chain[0].uuid, Some(base)));
    assert_eq!(chain[0].parent, Some(base));
    assert!(chain[0].path.starts_with(machines.join("Lab/Snapshots")));
    assert_eq!(chain[1].path, machines.join("Lab/base.vdi"));
    assert_eq!(lab.disks[0].base_uuid(), base);
    assert_eq!(read_header(&chain[1].path).unwrap().uuid, base);

    let gone = &found[1];
    assert!(
        gone.problem.as_ref().unwrap().contains("Gone.vbox"),
        "{gone:?}"
    );
    assert!(gone.disks.is_empty());

    let saved = (&found[2], saved);
    assert!(saved.0.saved_state, "{saved:?}");
    assert_eq!(saved.0.problem, None);
    assert_eq!(saved.0.disks[0].base_uuid(), saved_base);
}

#[test]
fn names_and_paths_from_virtualbox_are_outside_text() {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join("M");
    disks(&folder);
    let registry = hard_disk(id(0xba), "base.vdi", &hard_disk(id(0xdf), "diff.vdi", ""));
    // Raw control bytes, as a hand-edited or hostile file may hold them.
    let name = "Lab\u{1b}[2J\u{0}x";
    let vbox = folder.join("M.vbox");
    fs::write(&vbox, machine_xml(id(4), name, &registry, id(0xdf))).unwrap();
    let long = folder.join("Long.vbox");
    fs::write(
        &long,
        machine_xml(id(5), &"n".repeat(300), &registry, id(0xdf)),
    )
    .unwrap();
    let bad_disk = hard_disk(id(0xba), "base\u{1b}.vdi", "");
    let odd = folder.join("Odd.vbox");
    fs::write(&odd, machine_xml(id(6), "Odd", &bad_disk, id(0xba))).unwrap();
    let entries = [
        (id(4), vbox.to_str().unwrap()),
        (id(5), long.to_str().unwrap()),
        (id(6), odd.to_str().unwrap()),
        (id(7), "Gone\u{7}.vbox"),
    ];
    fs::write(home.path().join("VirtualBox.xml"), global_xml(&entries, "")).unwrap();

    let machines = own_machines(home.path()).unwrap();
    let lab = &machines[0];
    assert_eq!(lab.name, "Lab\\u{1b}[2J\\u{0}x");
    assert_eq!(
        lab.problem.as_deref(),
        Some("its name contains a control character (U+001B); give it a plain name in VirtualBox")
    );
    // Its disks are fine; only the name stands in the way.
    assert_eq!(lab.disks.len(), 1);
    let long = &machines[1];
    assert_eq!(long.name.chars().count(), text::SHOWN_MAX + 1);
    assert!(
        long.problem
            .as_ref()
            .unwrap()
            .contains("longer than 256 bytes")
    );
    let odd = &machines[2];
    let problem = odd.problem.as_deref().unwrap();
    assert!(
        problem.contains("base\\u{1b}.vdi\" contains a control character (U+001B)"),
        "{problem}"
    );
    assert!(odd.disks.is_empty());
    let gone = &machines[3];
    assert_eq!(gone.name, "Gone\\u{7}");
    let problem = gone.problem.as_deref().unwrap();
    assert!(
        problem.contains("Gone\\u{7}.vbox\" contains a control character"),
        "{problem}"
    );
    for m in &machines {
        let all = format!("{}{}", m.name, m.problem.as_deref().unwrap_or_default());
        assert!(text::check_line(&all, usize::MAX).is_ok(), "{all:?}");
    }
}
