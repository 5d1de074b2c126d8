use std::path::Path;

use super::*;

fn image_err(text: &str) -> String {
    ImageConf::parse(text, Path::new("/data/vm-win10/image.conf"))
        .unwrap_err()
        .to_string()
}

#[test]
fn image_defaults() {
    let conf = ImageConf::parse("name = \"Windows 10\"\n", Path::new("i")).unwrap();
    assert_eq!(conf.name, "Windows 10");
    assert_eq!(conf.description, "");
    assert_eq!(conf.ram, RamPolicy::default());
    assert_eq!(conf.ram.min_mb, 192);
    assert_eq!(conf.ram.max_mb, 3072);
    assert!(conf.shared_folders.is_empty());
}

#[test]
fn image_full() {
    let text = r#"
name = "Windows 10"
description = "Exam machine"
[ram]
mode = "fixed"
mb = 2048
[shared_folders]
home = ["~/Home_auf_Server", "~"]
media = false
"#;
    let conf = ImageConf::parse(text, Path::new("i")).unwrap();
    assert_eq!(conf.ram.mode, RamMode::Fixed);
    assert_eq!(conf.ram.mb, Some(2048));
    assert_eq!(
        conf.shared_folders["home"],
        FolderSetting::Paths(vec!["~/Home_auf_Server".into(), "~".into()])
    );
    assert_eq!(conf.shared_folders["media"], FolderSetting::Removed);
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let e = image_err("name = \"x\"\n\n[ram]\nmax_mbb = 4096\n");
    assert!(
        e.starts_with("/data/vm-win10/image.conf:4: ram.max_mbb: unknown key"),
        "{e}"
    );
    assert!(e.contains("`max_mb`"), "{e}");
    let e = image_err("name = \"x\"\nram.bogus = 1\n");
    assert!(
        e.starts_with("/data/vm-win10/image.conf:2: ram.bogus: unknown key"),
        "{e}"
    );
}

#[test]
fn wrong_type() {
    let e = image_err("name = \"x\"\n[ram]\nmax_mb = \"big\"\n");
    assert_eq!(
        e,
        "/data/vm-win10/image.conf:3: ram.max_mb: invalid type: string \"big\", expected a whole number"
    );
    let e = image_err("name = 5\n");
    assert!(
        e.starts_with("/data/vm-win10/image.conf:1: name: invalid type"),
        "{e}"
    );
}

#[test]
fn missing_name() {
    let e = image_err("description = \"\"\n");
    assert_eq!(
        e,
        "/data/vm-win10/image.conf:1: name: required key is missing"
    );
    let e = image_err("name = \"  \"\n");
    assert_eq!(e, "/data/vm-win10/image.conf:1: name: must not be empty");
}

#[test]
fn bad_mode() {
    let e = image_err("name = \"x\"\n[ram]\nmode = \"turbo\"\n");
    assert!(
        e.starts_with("/data/vm-win10/image.conf:3: ram.mode: unknown variant `turbo`"),
        "{e}"
    );
}

#[test]
fn bad_syntax() {
    let e = ImageConf::parse("name = \"x\"\n[ram\n", Path::new("i.conf")).unwrap_err();
    assert_eq!(e.line, Some(2));
    assert_eq!(e.key, None);
    assert!(e.to_string().starts_with("i.conf:2: invalid TOML: "), "{e}");
}

#[test]
fn ram_validation() {
    let e = image_err("name = \"x\"\n[ram]\nmode = \"fixed\"\n");
    assert_eq!(
        e,
        "/data/vm-win10/image.conf:2: ram.mb: required when mode = \"fixed\""
    );
    let e = image_err("name = \"x\"\n[ram]\nmin_mb = 4096\nmax_mb = 2048\n");
    assert_eq!(
        e,
        "/data/vm-win10/image.conf:3: ram.min_mb: min_mb (4096) is larger than max_mb (2048)"
    );
    let e = image_err("name = \"x\"\n[ram]\nmb = 1024\n");
    assert!(
        e.contains(":3: ram.mb: only applies when mode = \"fixed\""),
        "{e}"
    );
    let e = image_err("name = \"x\"\n[ram]\nmode = \"fixed\"\nmb = 1024\nmax_mb = 9\n");
    assert!(e.contains(":5: ram.max_mb: only applies"), "{e}");
    let e = image_err("name = \"x\"\n[ram]\nmax_mb = 2\n");
    assert!(e.contains(":3: ram.max_mb: must be between 4 and"), "{e}");
    let e = image_err("name = \"x\"\n[ram]\nmax_mb = -2\n");
    assert!(e.contains(":3: ram.max_mb: invalid value"), "{e}");
}

#[test]
fn shared_folder_validation() {
    let e = image_err("name = \"x\"\n[shared_folders]\nhome = true\n");
    assert!(
        e.contains(":3: shared_folders.home: true is not allowed"),
        "{e}"
    );
    let e = image_err("name = \"x\"\n[shared_folders]\nhome = \"Home\"\n");
    assert!(
        e.contains(":3: shared_folders.home: \"Home\" must be an absolute path"),
        "{e}"
    );
    let e = image_err("name = \"x\"\n[shared_folders]\nhome = []\n");
    assert!(
        e.contains(":3: shared_folders.home: give at least one path"),
        "{e}"
    );
    let e = image_err("name = \"x\"\n[shared_folders]\nhome = 3\n");
    assert!(e.contains(":3: shared_folders.home: invalid type"), "{e}");
    let e = image_err("name = \"x\"\n[shared_folders]\n\".hidden\" = \"/x\"\n");
    assert!(e.contains(":3: shared_folders..hidden: not usable"), "{e}");
}

#[test]
fn client_conf() {
    let text = "format = 1\npresync = [\"vm-win10\"]\n\n[[cache]]\npath = \"/var/cache/leovms\"\n\
                limit_gb = 50\n\n[[cache]]\npath = \"/srv/c\"\nlimit_gb = 2.5\n";
    let conf = ClientConf::parse(text, Path::new("c")).unwrap();
    assert_eq!(conf.caches.len(), 2);
    assert_eq!(conf.caches[0].limit_gb, 50.0);
    assert_eq!(conf.caches[1].path, Path::new("/srv/c"));
    assert_eq!(conf.presync[0].as_str(), "vm-win10");
    assert_eq!(
        ClientConf::parse("", Path::new("c")).unwrap(),
        ClientConf::default()
    );
}

#[test]
fn client_conf_errors() {
    let err = |t: &str| {
        ClientConf::parse(t, Path::new("c.conf"))
            .unwrap_err()
            .to_string()
    };
    let e =
        err("[[cache]]\npath = \"/a\"\nlimit_gb = 1\n\n[[cache]]\npath = \"rel\"\nlimit_gb = 1\n");
    assert_eq!(
        e,
        "c.conf:6: cache.path: must be an absolute path (starting with /)"
    );
    let e = err("[[cache]]\npath = \"/a\"\nlimit_gb = 1\n[[cache]]\nlimit_gb = 1\n");
    assert_eq!(e, "c.conf:4: cache.path: required key is missing");
    let e = err("format = 2\n");
    assert_eq!(
        e,
        "c.conf:1: format: format 2 is not supported (this version reads format 1)"
    );
    let e = err("presync = [\"ok\", \"../x\"]\n");
    assert!(e.starts_with("c.conf:1: presync: bad name \"../x\""), "{e}");
    let e = err("[[cache]]\npath = \"/a\"\nlimit_gb = 1\npresync = [\"a\"]\n");
    assert!(
        e.starts_with("c.conf:4: cache.presync: presync belongs at the top"),
        "{e}"
    );
    let e = err("[[cache]]\npath = \"/a\"\nlimit_gb = -1\n");
    assert_eq!(
        e,
        "c.conf:3: cache.limit_gb: must be a size in GB, 0 or more"
    );
}

#[test]
fn vbox_conf() {
    let conf = VboxConf::parse("format = 1\n", Path::new("v")).unwrap();
    assert_eq!(conf, VboxConf::default());
    assert_eq!(conf.machines_dir, Path::new("/var/lib/leovms/machines"));
    assert_eq!(conf.vbox_home, "~/.leovms");
    let conf = VboxConf::parse(
        "machines_dir = \"/srv/m\"\nvbox_home = \"/tmp/vb\"\n",
        Path::new("v"),
    )
    .unwrap();
    assert_eq!(conf.machines_dir, Path::new("/srv/m"));
    let e = VboxConf::parse("\nvbox_home = \"vb\"\n", Path::new("v")).unwrap_err();
    assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("vbox_home")));
    let e = VboxConf::parse("machines_dir = \"m\"\n", Path::new("v")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("machines_dir"));
}

#[test]
fn snapshot_conf() {
    let text = "name = \"Exam 2027\"\nmaintainer = \"mueller\"\ncreated = 2026-11-20T10:00:00Z\n";
    let conf = SnapshotConf::parse(text, Path::new("s")).unwrap();
    assert_eq!(conf.name, "Exam 2027");
    assert_eq!(conf.maintainer, "mueller");
    assert_eq!(conf.created.as_deref(), Some("2026-11-20T10:00:00Z"));
    assert_eq!(conf.description, "");
    let conf = SnapshotConf::parse("name = \"a\"\n", Path::new("s")).unwrap();
    assert_eq!(conf.created, None);
    let e = SnapshotConf::parse("name = \"a\"\ncreated = 10:00:00\n", Path::new("s")).unwrap_err();
    assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("created")));
    let e =
        SnapshotConf::parse("name = \"a\"\ncreated = \"yesterday\"\n", Path::new("s")).unwrap_err();
    assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("created")));
    let e = SnapshotConf::parse("maintainer = \"x\"\n", Path::new("s")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("name"));
}

#[test]
fn load_reports_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("image.conf");
    let e = ImageConf::load(&missing).unwrap_err();
    assert_eq!(e.line, None);
    assert!(
        e.to_string().contains("image.conf: cannot read the file"),
        "{e}"
    );
    std::fs::write(&missing, b"name = \"\xff\"\n").unwrap();
    let e = ImageConf::load(&missing).unwrap_err();
    assert!(e.message.contains("not UTF-8"), "{e}");
    std::fs::write(&missing, "name = \"ok\"\n").unwrap();
    assert_eq!(ImageConf::load(&missing).unwrap().name, "ok");
}

#[test]
fn image_access_rules() {
    let text = r#"
name = "Windows 10"
[access]
users = ["mueller"]
groups = ["teachers", "10a"]
rooms = ["r101"]
"#;
    let conf = ImageConf::parse(text, Path::new("i")).unwrap();
    assert_eq!(conf.access.users, ["mueller"]);
    assert_eq!(conf.access.groups, ["teachers", "10a"]);
    assert!(conf.access.hosts.is_empty());
    assert_eq!(conf.access.rooms, ["r101"]);
    let none = ImageConf::parse("name = \"x\"\n", Path::new("i")).unwrap();
    assert_eq!(none.access, AccessRules::default());
}

#[test]
fn image_access_rules_are_strict() {
    let e = image_err("name = \"x\"\n[access]\nuser = [\"anna\"]\n");
    assert!(e.contains("image.conf:3"), "{e}");
    assert!(e.contains("user"), "{e}");
    let e = image_err("name = \"x\"\n[access]\nrooms = \"r101\"\n");
    assert!(e.contains("image.conf:3"), "{e}");
    let e = image_err("name = \"x\"\n[access]\nrooms = [\"r101,r102\"]\n");
    assert!(
        e.contains("access.rooms") && e.contains("one name per entry"),
        "{e}"
    );
    let e = image_err("name = \"x\"\n[access]\nusers = [\"\"]\n");
    assert!(
        e.contains("access.users") && e.contains("must not be empty"),
        "{e}"
    );
}

#[test]
fn snapshot_visibility() {
    let text = "name = \"Exam\"\nhosts = [\"r101-pc03\"]\nrooms = [\"r100\"]\n";
    let conf = SnapshotConf::parse(text, Path::new("s")).unwrap();
    assert_eq!(conf.hosts, ["r101-pc03"]);
    assert_eq!(conf.rooms, ["r100"]);
    let pc = |host: &str, room: &str| AccessFacts {
        host: host.into(),
        room: Some(room.into()),
        ..Default::default()
    };
    assert!(conf.visible_on(&pc("r100-pc01", "r100")));
    assert!(conf.visible_on(&pc("r101-pc03", "r101")));
    assert!(!conf.visible_on(&pc("r101-pc04", "r101")));
    let plain = SnapshotConf::parse("name = \"S\"\n", Path::new("s")).unwrap();
    assert!(plain.visible_on(&pc("any", "any")));
    let e = SnapshotConf::parse("name = \"S\"\nroom = [\"r1\"]\n", Path::new("s")).unwrap_err();
    assert!(e.to_string().contains("room"), "{e}");
}

#[test]
fn image_network_rules() {
    let text = r#"
name = "x"
[[network]]
rooms = ["r101", "r102"]
[[network.nic]]
slot = 1
mode = "bridged"
mac = "host"
[[network.nic]]
slot = 2
mode = "intnet"
network = "exam"

[[network]]
nic = [{ slot = 1, mode = "nat", mac = "08:00:27:00:00:01" }]
"#;
    let conf = ImageConf::parse(text, Path::new("i")).unwrap();
    assert_eq!(conf.network.len(), 2);
    let first = &conf.network[0].nic;
    assert_eq!((first[0].slot, first[0].mode), (1, NicMode::Bridged));
    assert_eq!(first[0].mac, Some(MacSetting::Host));
    assert_eq!(first[1].network.as_deref(), Some("exam"));
    assert_eq!(
        conf.network[1].nic[0].mac,
        Some(MacSetting::Fixed("080027000001".into()))
    );
}

#[test]
fn image_network_rules_are_strict() {
    let nic = |body: &str| {
        image_err(&format!(
            "name = \"x\"\n[[network]]\n[[network.nic]]\n{body}"
        ))
    };
    let e = nic("slot = 9\nmode = \"nat\"\n");
    assert!(
        e.contains("image.conf:4: network.nic.slot") && e.contains("1 to 8"),
        "{e}"
    );
    let e = nic("slot = 1\nmode = \"wifi\"\n");
    assert!(
        e.contains("image.conf:5:") && e.contains("mode") && e.contains("bridged"),
        "{e}"
    );
    let e = nic("slot = 1\nmode = \"nat\"\ndevice = \"eth0\"\n");
    assert!(e.contains("device") && e.contains("only applies"), "{e}");
    let e = nic("slot = 1\nmode = \"hostonly\"\n");
    assert!(e.contains("device") && e.contains("vboxnet0"), "{e}");
    let e = nic("slot = 1\nmode = \"nat\"\nmac = \"01:00:5e:00:00:01\"\n");
    assert!(
        e.contains("image.conf:6:") && e.contains("multicast"),
        "{e}"
    );
    let e = nic(
        "slot = 1\nmode = \"nat\"\nmac = \"host\"\n[[network.nic]]\nslot = 2\nmode = \"nat\"\nmac = \"host\"\n",
    );
    assert!(
        e.contains("image.conf:10: network.nic.mac") && e.contains("only one card"),
        "{e}"
    );
    let e = nic("slot = 1\nmode = \"nat\"\n[[network.nic]]\nslot = 1\nmode = \"null\"\n");
    assert!(e.contains("card 1 is set twice"), "{e}");
}

#[test]
fn snapshot_conf_writes_what_it_reads() {
    let file = Path::new("snapshot.conf");
    let full = SnapshotConf {
        name: "Exam \"2027\"".into(),
        maintainer: "mueller".into(),
        created: Some("2026-11-20T10:00:00Z".into()),
        description: "Line 1\nLine 2\twith a tab".into(),
        hosts: vec!["r100-teacher".into()],
        rooms: vec!["r101".into(), "r102".into()],
    };
    let text = full.to_toml();
    assert_eq!(SnapshotConf::parse(&text, file).unwrap(), full, "{text}");
    assert!(text.starts_with("name = "), "{text}");
    assert!(
        text.contains("created = 2026-11-20T10:00:00Z\n")
            && text.contains("rooms = [\"r101\", \"r102\"]\n"),
        "{text}"
    );
    let bare = SnapshotConf {
        name: "Standard".into(),
        maintainer: String::new(),
        created: None,
        description: String::new(),
        hosts: Vec::new(),
        rooms: Vec::new(),
    };
    assert_eq!(bare.to_toml(), "name = \"Standard\"\n");
    assert_eq!(SnapshotConf::parse(&bare.to_toml(), file).unwrap(), bare);
    // A date that is not one cannot smuggle in other keys; it is refused when read.
    let odd = SnapshotConf {
        created: Some("2026\nname = \"x\"".into()),
        ..bare
    };
    let e = SnapshotConf::parse(&odd.to_toml(), file).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("created"), "{e}");
}
