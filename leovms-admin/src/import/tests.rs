//! `import-leoclient2` on leoclient2 folders built from real VDI files.

use std::path::{Path, PathBuf};

use leovms_image::config::{ImageConf, MacSetting, NetworkRule, NicMode, SnapshotConf};
use leovms_image::manifest::{Manifest, sha256_file};
use leovms_image::vbox;
use leovms_image::vdi::braced;
use leovms_testkit::leoclient2::{
    Leoclient2Options, Leoclient2Vm, build_leoclient2_vm, zip_file, zip_with_sizes,
};
use tempfile::TempDir;
use zip::write::SimpleFileOptions;

use super::source::Source;
use super::{Args, Plan, make_plan, rfc3339, rules, run};
use crate::ctx::Ctx;
use crate::error::Error;

struct Setup {
    tmp: TempDir,
    data: PathBuf,
    vm: Leoclient2Vm,
}

fn setup(opts: &Leoclient2Options) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("root/home/leovms/data");
    std::fs::create_dir_all(&data).unwrap();
    let vm = build_leoclient2_vm(&tmp.path().join("old"), opts).unwrap();
    Setup { tmp, data, vm }
}

impl Setup {
    fn ctx(&self, dry_run: bool) -> Ctx {
        Ctx::new(Some(self.tmp.path().join("root")), dry_run)
    }

    fn import(&self, id: Option<&str>) -> Result<(), Error> {
        self.import_dir(&self.vm.dir.clone(), id)
    }

    fn import_dir(&self, dir: &Path, id: Option<&str>) -> Result<(), Error> {
        run(
            &self.ctx(false),
            &Args {
                dir: dir.to_owned(),
                id: id.map(str::to_owned),
                name: None,
            },
        )
    }

    /// What an import would do, with the warnings it would print.
    fn plan(&self) -> Result<(Plan, Vec<String>), Error> {
        let source = Source::read(&self.vm.dir)?;
        let mut warnings = source.warnings.clone();
        let args = Args {
            dir: self.vm.dir.clone(),
            id: Some("vm-xp".into()),
            name: None,
        };
        let plan = make_plan(&self.ctx(true), &args, &source, &mut warnings)?;
        Ok((plan, warnings))
    }

    fn data_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.data)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn invalid(result: Result<(), Error>) -> String {
    match result {
        Err(Error::Invalid(msg)) => msg,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn imports_base_snapshots_settings_and_manifest_last() {
    let s = setup(&Leoclient2Options {
        foreign_snapshot: true,
        ..Default::default()
    });
    s.import(Some("vm-xp")).unwrap();
    assert_eq!(s.data_entries(), ["vm-xp"], "no temporary folder is left");
    let vm = s.data.join("vm-xp");
    for dir in [vm.clone(), vm.join("snapshots/exam")] {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755, "{}", dir.display());
    }

    let manifest = Manifest::load(&vm.join("manifest.toml")).unwrap();
    let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "base.tar.zst",
            "base.tar.zst.torrent",
            "image.conf",
            "machine.vbox",
            "snapshots/exam/snapshot.conf",
            "snapshots/exam/snapshot.tar.zst",
            "snapshots/exam/snapshot.tar.zst.torrent",
            "snapshots/standard/snapshot.conf",
            "snapshots/standard/snapshot.tar.zst",
            "snapshots/standard/snapshot.tar.zst.torrent",
        ],
        "the snapshot of another base is skipped"
    );
    for file in &manifest.files {
        let (size, sha) = sha256_file(&vm.join(&file.path)).unwrap();
        assert_eq!((size, sha), (file.size, file.sha256), "{}", file.path);
        // The room swarm's torrent of each archive is made from the archive itself.
        if let Some(archive) = file.path.strip_suffix(".torrent") {
            let archive = vm.join(archive);
            let name = archive.file_name().unwrap().to_str().unwrap();
            let made = leovms_image::torrent::create(&archive, name, |_| {}).unwrap();
            assert!(
                std::fs::read(vm.join(&file.path)).unwrap() == made,
                "{}",
                file.path
            );
        }
    }
    let base = manifest.get("base.tar.zst").unwrap();
    assert!(
        base.unpacked.unwrap() > 2 << 20,
        "the base's data blocks are in it"
    );

    let image = ImageConf::load(&vm.join("image.conf")).unwrap();
    assert_eq!(image.name, "Windows XP");
    assert_eq!(image.access.rooms, ["r101", "r102"]);
    assert_eq!(image.access.users, ["mueller"]);
    assert!(image.access.groups.is_empty() && image.access.hosts.is_empty());
    let text = std::fs::read_to_string(vm.join("image.conf")).unwrap();
    assert!(text.contains("#   colour = blue"), "{text}");

    let exam = SnapshotConf::load(&vm.join("snapshots/exam/snapshot.conf")).unwrap();
    assert_eq!(exam.name, "Exam 2027");
    assert_eq!(exam.maintainer, "mueller");
    assert_eq!(
        (exam.rooms.as_slice(), exam.hosts.len()),
        (["r101".to_owned()].as_slice(), 0)
    );
    assert!(exam.created.unwrap().ends_with('Z'));
    let standard = SnapshotConf::load(&vm.join("snapshots/standard/snapshot.conf")).unwrap();
    assert_eq!(standard.name, "Standard");

    let info = vbox::inspect(&std::fs::read(vm.join("machine.vbox")).unwrap()).unwrap();
    let disk = info
        .hard_disks
        .iter()
        .find(|d| d.uuid == s.vm.base_uuid)
        .unwrap();
    assert_eq!(disk.location, "winxp.vdi");

    let again = invalid(s.import(Some("vm-xp")));
    assert!(again.contains("already exists"), "{again}");
    assert_eq!(s.data_entries(), ["vm-xp"]);
}

#[test]
fn dry_run_checks_everything_and_writes_nothing() {
    let s = setup(&Leoclient2Options::default());
    let args = Args {
        dir: s.vm.dir.clone(),
        id: None,
        name: Some("XP".into()),
    };
    run(&s.ctx(true), &args).unwrap();
    assert!(s.data_entries().is_empty());
}

/// A zip whose only entry has `name`, or is a link to `/etc/passwd` when `link`.
fn hostile_zip(path: &Path, name: &str, link: bool) {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    if link {
        writer
            .add_symlink(name, "/etc/passwd", SimpleFileOptions::default())
            .unwrap();
    } else {
        writer
            .start_file(name, SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut writer, b"evil").unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn zip_entries_with_paths_or_links_are_refused_and_nothing_is_written() {
    for (name, link, words) in [
        ("../evil", false, "has a path"),
        ("/tmp/evil.vdi", false, "has a path"),
        ("sub/../../evil.vdi", false, "has a path"),
        ("winxp.vdi", true, "symbolic link"),
    ] {
        let s = setup(&Leoclient2Options::default());
        hostile_zip(&s.vm.dir.join("winxp.vdi.zip"), name, link);
        std::fs::remove_file(s.vm.dir.join("filesize.vdi.zipped")).unwrap();
        let msg = invalid(s.import(None));
        assert!(msg.contains(words), "{name}: {msg}");
        assert!(s.data_entries().is_empty(), "{name}");
        assert!(!s.tmp.path().join("evil").exists());
        assert!(!s.tmp.path().join("old/evil").exists());
    }
    // The same in a snapshot: the whole import stops.
    let s = setup(&Leoclient2Options::default());
    let store = s.vm.dir.join("snapshot-store/exam");
    let zip = store.join(format!("{}.vdi.zip", braced(&s.vm.diff_uuid)));
    hostile_zip(&zip, "../../evil", false);
    std::fs::remove_file(store.join("filesize.vdi.zipped")).unwrap();
    let msg = invalid(s.import(None));
    assert!(msg.contains("has a path"), "{msg}");
    assert!(s.data_entries().is_empty());
}

#[test]
fn a_zip_of_another_size_than_recorded_is_refused() {
    let s = setup(&Leoclient2Options::default());
    let size_file = s.vm.dir.join("filesize.vdi.zipped");
    let recorded: u64 = std::fs::read_to_string(&size_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::fs::write(&size_file, format!("{}\n", recorded + 1)).unwrap();
    let msg = invalid(s.import(None));
    assert!(msg.contains("cut short"), "{msg}");
    assert!(s.data_entries().is_empty());
}

#[test]
fn a_damaged_zip_is_refused_and_the_temporary_folder_removed() {
    let s = setup(&Leoclient2Options::default());
    let zip = s.vm.dir.join("winxp.vdi.zip");
    let mut bytes = std::fs::read(&zip).unwrap();
    // Flip a byte in the middle of the compressed data; the header stays readable.
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&zip, &bytes).unwrap();
    std::fs::remove_file(s.vm.dir.join("filesize.vdi.zipped")).unwrap();
    let msg = invalid(s.import(None));
    assert!(msg.contains("damaged"), "{msg}");
    assert!(s.data_entries().is_empty());
}

#[test]
fn a_vbox_naming_the_base_elsewhere_is_fixed() {
    let s = setup(&Leoclient2Options::default());
    let vbox_path = s.vm.dir.join("defaults/winxp.vbox");
    let text = std::fs::read_to_string(&vbox_path).unwrap();
    let old_uuid = uuid::Uuid::new_v4();
    let text = text
        .replace(&braced(&s.vm.base_uuid), &braced(&old_uuid))
        .replace(
            "location=\"winxp.vdi\"",
            "location=\"/var/virtual/winxp/winxp.vdi\"",
        );
    std::fs::write(&vbox_path, text).unwrap();
    s.import(None).unwrap();
    let info = vbox::inspect(&std::fs::read(s.data.join("winxp/machine.vbox")).unwrap()).unwrap();
    let base = info.hard_disks.iter().find(|d| d.parent.is_none()).unwrap();
    assert_eq!(
        (base.uuid, base.location.as_str()),
        (s.vm.base_uuid, "winxp.vdi")
    );
    assert!(!info.hard_disks.iter().any(|d| d.uuid == old_uuid));
}

#[test]
fn the_base_may_be_in_snapshot_store_base_and_a_plain_vdi_is_refused_as_base() {
    let s = setup(&Leoclient2Options::default());
    let base_dir = s.vm.dir.join("snapshot-store/base");
    std::fs::create_dir_all(&base_dir).unwrap();
    for name in ["winxp.vdi.zip", "filesize.vdi.zipped"] {
        std::fs::rename(s.vm.dir.join(name), base_dir.join(name)).unwrap();
    }
    s.import(Some("xp-old-layout")).unwrap();
    assert!(s.data.join("xp-old-layout/manifest.toml").is_file());

    // A differencing disk zipped as the base.
    let t = setup(&Leoclient2Options::default());
    let tmp_vdi = t.tmp.path().join("diff.vdi");
    let diff_zip = t.vm.dir.join(format!(
        "snapshot-store/exam/{}.vdi.zip",
        braced(&t.vm.diff_uuid)
    ));
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&diff_zip).unwrap()).unwrap();
    std::io::copy(
        &mut archive.by_index(0).unwrap(),
        &mut std::fs::File::create(&tmp_vdi).unwrap(),
    )
    .unwrap();
    zip_with_sizes(
        &tmp_vdi,
        "winxp.vdi",
        &t.vm.dir,
        &t.vm.dir.join("winxp.vdi.zip"),
    )
    .unwrap();
    let msg = invalid(t.import(None));
    assert!(msg.contains("differencing disk"), "{msg}");
    assert!(t.data_entries().is_empty());
}

#[test]
fn a_snapshot_zip_holding_another_name_is_skipped() {
    let s = setup(&Leoclient2Options::default());
    let store = s.vm.dir.join("snapshot-store/exam");
    let zip = store.join(format!("{}.vdi.zip", braced(&s.vm.diff_uuid)));
    let other = s.tmp.path().join("x.vdi");
    std::fs::write(&other, b"not a disk").unwrap();
    zip_file(&other, "other.vdi", &zip).unwrap();
    std::fs::remove_file(store.join("filesize.vdi.zipped")).unwrap();
    s.import(None).unwrap();
    let manifest = Manifest::load(&s.data.join("winxp/manifest.toml")).unwrap();
    assert!(manifest.get("snapshots/exam/snapshot.conf").is_none());
    assert!(manifest.get("snapshots/standard/snapshot.conf").is_some());
}

#[test]
fn a_vm_left_without_any_snapshot_is_refused_and_nothing_is_written() {
    let s = setup(&Leoclient2Options::default());
    std::fs::remove_dir_all(s.vm.dir.join("snapshot-store/exam")).unwrap();
    std::fs::remove_dir_all(s.vm.dir.join("snapshot-store/standard")).unwrap();
    let msg = invalid(s.import(None));
    assert!(msg.contains("no snapshot to import"), "{msg}");
    assert!(s.data_entries().is_empty());
}

#[test]
fn file_times_become_utc_dates() {
    use std::time::{Duration, UNIX_EPOCH};
    assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    let t = UNIX_EPOCH + Duration::from_secs(1_795_168_800);
    assert_eq!(rfc3339(t), "2026-11-20T10:00:00Z");
    let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
    assert_eq!(rfc3339(leap), "2000-02-29T00:00:00Z");
}

/// leoclient2's example lines: the teacher's PC on NAT, one PC bridged on its own card with
/// a fixed address per PC and a second card on an internal exam network.
const NETWORK_CONF: &str = "\
# host;nic;mode;mac;device
r100-teacher;1;nat;080011223344;auto-used-nic
r101-pc01;1;bridged;automac-used;auto-used-nic
r101-pc01;2;intnet;;exam
";

#[test]
fn network_conf_becomes_network_rules_and_every_rule_is_printed() {
    let s = setup(&Leoclient2Options {
        network_conf: Some(NETWORK_CONF.into()),
        ..Default::default()
    });
    let (plan, warnings) = s.plan().unwrap();
    assert_eq!(
        rules(&plan),
        [
            "offered to user mueller, on PCs in rooms r101, r102",
            "network on PC r100-teacher: card 1 nat (mac 08:00:11:22:33:44), other cards off",
            "network on PC r101-pc01: card 1 bridged (device auto, mac from the PC), card 2 \
             intnet (network exam), other cards off",
            "network on every other PC: all cards off",
            "snapshot exam shown only on PCs in room r101",
        ]
    );
    assert!(
        warnings.iter().any(|w| w.contains("nat (line 2)")),
        "{warnings:?}"
    );
    assert!(
        !warnings
            .iter()
            .any(|w| w.contains("network.conf: not imported")),
        "{warnings:?}"
    );

    s.import(Some("vm-xp")).unwrap();
    let image = ImageConf::load(&s.data.join("vm-xp/image.conf")).unwrap();
    assert_eq!(image.network, plan.image.network);
    let pc01 = &image.network[1];
    assert_eq!(pc01.hosts, ["r101-pc01"]);
    assert_eq!(
        (pc01.nic[0].mode, &pc01.nic[0].mac, &pc01.nic[0].device),
        (NicMode::Bridged, &Some(MacSetting::Host), &None)
    );
    assert_eq!(pc01.nic[1].network.as_deref(), Some("exam"));
}

#[test]
fn a_vm_without_network_conf_gets_no_network_anywhere_as_in_leoclient2() {
    let s = setup(&Leoclient2Options::default());
    let (plan, _) = s.plan().unwrap();
    assert_eq!(plan.image.network, [NetworkRule::default()]);
    assert!(
        rules(&plan).contains(&"network on every PC: all cards off".to_owned()),
        "{:?}",
        rules(&plan)
    );
    assert!(
        plan.image_conf.contains("had no network.conf"),
        "{}",
        plan.image_conf
    );
}

#[test]
fn a_network_line_that_cannot_be_converted_stops_the_import() {
    let s = setup(&Leoclient2Options {
        network_conf: Some(format!("{NETWORK_CONF}r101-pc02;1;bridged;;\n")),
        ..Default::default()
    });
    let msg = invalid(s.import(None));
    assert!(
        msg.starts_with(&format!(
            "{}/network.conf:5: bridged needs a device",
            s.vm.dir.display()
        )) && msg.contains("r101-pc02"),
        "{msg}"
    );
    assert!(msg.contains("nothing was imported"), "{msg}");
    assert!(s.data_entries().is_empty());
}

#[test]
fn a_snapshot_with_other_network_cards_than_the_others_stops_the_import() {
    // The exam snapshot has its own network.conf: no network at all on r101-pc01.
    let s = setup(&Leoclient2Options {
        network_conf: Some(NETWORK_CONF.into()),
        snapshot_network_conf: vec![("exam".into(), "r101-pc01;1;none;;\n".into())],
        ..Default::default()
    });
    let msg = invalid(s.import(None));
    assert!(
        msg.contains("the snapshots exam and standard would get different network cards")
            && msg.contains("snapshot-store/exam/network.conf and network.conf")
            && msg.contains("nothing was imported"),
        "{msg}"
    );
    assert!(s.data_entries().is_empty());

    // Every snapshot with the same cards: those are the VM's rules.
    let same = "r101-pc01;1;nat;;auto-used-nic\n";
    let s = setup(&Leoclient2Options {
        network_conf: Some(NETWORK_CONF.into()),
        snapshot_network_conf: vec![
            ("exam".into(), same.into()),
            ("standard".into(), format!("# the same\n{same}")),
        ],
        ..Default::default()
    });
    let (plan, warnings) = s.plan().unwrap();
    assert_eq!(
        NetworkRule::describe_all(&plan.image.network),
        [
            "PC r101-pc01: card 1 nat, other cards off",
            "every other PC: all cards off"
        ]
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("network.conf: not used")),
        "{warnings:?}"
    );
}
