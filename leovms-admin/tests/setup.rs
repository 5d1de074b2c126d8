//! `leovms-admin setup` against real parts: the written tree, `testparm`, and a real smbd
//! serving the generated shares to a teacher (member of p_leovms) and a student.
//!
//! Under `--root`, what setup does to upload/ depends on whether the group p_leovms
//! exists, machine-wide state that another test (the real smbd one, the Samba kit) may
//! create at any moment. So the `--root` tests do not ask the machine: setup finds a
//! `getent` of the test first on `PATH` ([`GroupView`]) that answers for p_leovms only,
//! and each test runs with the group missing and with it present, on every machine. Only
//! the real smbd test uses the machine's group, which it makes sure of first and holds
//! (see `leovms_testkit::machine`).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use leovms_testkit::find_in_path;
use leovms_testkit::samba::{self, STUDENT, Samba, SmbUser, TEACHER, UPLOAD_GROUP};
use leovms_testkit::{is_root, skip_unless};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_leovms-admin");

fn have(tools: &[&str]) -> bool {
    tools.iter().all(|t| find_in_path(t).is_some())
}

/// A fresh server root with `etc/samba/<conf>` holding `text`.
fn server_root(conf: &str, text: &str) -> TempDir {
    let tmp = tempfile::Builder::new()
        .prefix("leovms-admin-setup.")
        .tempdir()
        .unwrap();
    // Share users must be able to walk down to the shares; tempdir makes it 0700.
    set_mode(tmp.path(), 0o755);
    let samba = tmp.path().join("etc/samba");
    std::fs::create_dir_all(&samba).unwrap();
    std::fs::write(samba.join(conf), text).unwrap();
    tmp
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `cmd` in English, whatever the caller's locale (the assertions read English).
fn english(cmd: &mut Command) -> &mut Command {
    for var in ["LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"] {
        cmd.env_remove(var);
    }
    cmd
}

/// `leovms-admin --root ROOT ARGS` with the machine's own view of p_leovms.
fn admin(root: &Path, args: &[&str]) -> Output {
    english(&mut Command::new(BIN))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

/// What setup sees of the group p_leovms: a `getent` put first on `PATH` answers
/// `getent group p_leovms` as the test says (missing, or with a given id) and passes
/// every other question to the real one. Setup asks the machine nothing else about it.
struct GroupView {
    dir: TempDir,
}

impl GroupView {
    fn new(gid: Option<u32>) -> GroupView {
        let dir = tempfile::Builder::new()
            .prefix("leovms-admin-getent.")
            .tempdir()
            .unwrap();
        let real = find_in_path("getent").expect("getent (libc-bin)");
        let entry = dir.path().join("p_leovms.entry");
        let script = format!(
            "#!/bin/sh\n\
             # getent of the test: the group p_leovms as the test sets it, the rest as is.\n\
             if [ \"$#\" = 2 ] && [ \"$1\" = group ] && [ \"$2\" = p_leovms ]; then\n\
             \x20   [ -f '{entry}' ] || exit 2\n\
             \x20   exec cat '{entry}'\n\
             fi\n\
             exec '{real}' \"$@\"\n",
            entry = entry.display(),
            real = real.display(),
        );
        let source = dir.path().join("getent.sh");
        std::fs::write(&source, script).unwrap();
        // Installed by a child process: this one never has the executable open for
        // writing, so no child forked meanwhile by another test can make exec fail
        // with ETXTBSY.
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let ok = Command::new("install")
            .args(["-m", "0755"])
            .arg(&source)
            .arg(bin.join("getent"))
            .status()
            .unwrap();
        assert!(ok.success(), "install the test's getent");
        let view = GroupView { dir };
        view.set(gid);
        view
    }

    /// From now on p_leovms is missing (`None`) or has the id `gid`.
    fn set(&self, gid: Option<u32>) {
        let entry = self.dir.path().join("p_leovms.entry");
        match gid {
            Some(gid) => std::fs::write(&entry, format!("p_leovms:x:{gid}:\n")).unwrap(),
            None => {
                let _ = std::fs::remove_file(&entry);
            }
        }
    }

    fn path(&self) -> OsString {
        let mut path = self.dir.path().join("bin").into_os_string();
        if let Some(rest) = std::env::var_os("PATH") {
            path.push(":");
            path.push(rest);
        }
        path
    }

    /// `leovms-admin --root ROOT ARGS` seeing p_leovms as this view says.
    fn admin(&self, root: &Path, args: &[&str]) -> Output {
        english(&mut Command::new(BIN))
            .env("PATH", self.path())
            .arg("--root")
            .arg(root)
            .args(args)
            .output()
            .unwrap()
    }
}

/// The two cases setup knows under `--root`: p_leovms missing, and present with an id
/// that this process may give a folder (any id for root; its own group otherwise).
fn group_cases() -> [Option<u32>; 2] {
    let gid = if is_root() {
        4242
    } else {
        rustix::process::getegid().as_raw()
    };
    [None, Some(gid)]
}

/// The group a folder that setup made below `root` must have: p_leovms's id, or (when
/// the group is missing and upload/ keeps its group) the group of this process.
fn expected_gid(group: Option<u32>) -> u32 {
    group.unwrap_or_else(|| rustix::process::getegid().as_raw())
}

const MISSING_NOTE: &str = "note: group p_leovms does not exist; under --root";

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "leovms-admin failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every entry below `root`: kind, mode, owner, content.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut all = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let what = if meta.is_dir() {
                todo.push(path.clone());
                "dir".to_string()
            } else {
                format!("file {:?}", std::fs::read_to_string(&path).unwrap())
            };
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            let line = format!("{what} {:o} {}:{}", meta.mode(), meta.uid(), meta.gid());
            all.insert(rel, line);
        }
    }
    all
}

fn testparm(file: &Path) -> Output {
    Command::new("testparm")
        .arg("-s")
        .arg(file)
        .output()
        .unwrap()
}

fn assert_testparm_accepts(file: &Path) -> String {
    let out = testparm(file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "testparm refuses {file:?}: {stderr}");
    assert!(
        !stderr.contains("Unknown parameter"),
        "testparm on {file:?}: {stderr}"
    );
    stdout(&out)
}

#[test]
fn setup_twice_changes_nothing_the_second_time() {
    if skip_unless(
        have(&["testparm"]),
        "needs testparm (apt-get install samba)",
    ) {
        return;
    }
    for group in group_cases() {
        setup_twice(group);
    }
}

fn setup_twice(group: Option<u32>) {
    let view = GroupView::new(group);
    let tmp = server_root("smb.conf.shares", "# the school's shares\n");
    let first = view.admin(tmp.path(), &["setup"]);
    assert_ok(&first);
    let text = stdout(&first);
    assert!(text.contains("5 changes made"), "{group:?}: {text}");
    assert_eq!(text.contains(MISSING_NOTE), group.is_none(), "{text}");
    let before = snapshot(tmp.path());

    let second = view.admin(tmp.path(), &["setup"]);
    assert_ok(&second);
    assert_eq!(
        snapshot(tmp.path()),
        before,
        "the second run changed the tree"
    );
    let text = stdout(&second);
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("note: ")).collect();
    assert_eq!(lines, ["nothing changed: leovms is set up"], "{text}");

    let shares = std::fs::read_to_string(tmp.path().join("etc/samba/smb.conf.shares")).unwrap();
    let include = format!(
        "include = {}",
        tmp.path().join("etc/samba/smb.conf.leovms").display()
    );
    assert_eq!(shares, format!("# the school's shares\n{include}\n"));
    let tested = assert_testparm_accepts(&tmp.path().join("etc/samba/smb.conf.leovms"));
    assert!(tested.contains("[leovms-data]") && tested.contains("[leovms-upload]"));

    let home = tmp.path().join("home/leovms");
    assert_eq!(
        std::fs::metadata(home.join("data")).unwrap().mode() & 0o7777,
        0o755
    );
    let upload = std::fs::metadata(home.join("upload")).unwrap();
    assert_eq!(
        (upload.mode() & 0o7777, upload.gid()),
        (0o2770, expected_gid(group)),
        "{group:?}"
    );
}

/// The group made after a first setup (the admin followed the note): the next run gives
/// upload/ to it, and the one after changes nothing.
#[test]
fn a_group_made_after_setup_gets_upload_on_the_next_run() {
    if skip_unless(
        have(&["testparm"]),
        "needs testparm (apt-get install samba)",
    ) {
        return;
    }
    let gid = group_cases()[1].unwrap();
    let view = GroupView::new(None);
    let tmp = server_root("smb.conf.shares", "# the school's shares\n");
    assert_ok(&view.admin(tmp.path(), &["setup"]));
    let upload = tmp.path().join("home/leovms/upload");
    let was = std::fs::metadata(&upload).unwrap();

    view.set(Some(gid));
    let out = view.admin(tmp.path(), &["setup"]);
    assert_ok(&out);
    let text = stdout(&out);
    let owner = format!(
        "set owner of {} to -:p_leovms (was {}:{})",
        upload.display(),
        was.uid(),
        was.gid()
    );
    assert!(
        text.lines().any(|l| l == owner),
        "{owner:?} not in:\n{text}"
    );
    assert!(!text.contains(MISSING_NOTE), "{text}");
    let meta = std::fs::metadata(&upload).unwrap();
    assert_eq!((meta.mode() & 0o7777, meta.gid()), (0o2770, gid));

    let again = view.admin(tmp.path(), &["setup"]);
    assert_ok(&again);
    assert!(
        stdout(&again).contains("nothing changed"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn dry_run_changes_nothing_and_prints_each_change() {
    if skip_unless(
        have(&["testparm"]),
        "needs testparm (apt-get install samba)",
    ) {
        return;
    }
    for group in group_cases() {
        dry_run(group);
    }
}

fn dry_run(group: Option<u32>) {
    let view = GroupView::new(group);
    // Without smb.conf.shares the include goes into smb.conf.
    let tmp = server_root("smb.conf", "[global]\n  workgroup = TEST\n");
    let before = snapshot(tmp.path());
    let dry = view.admin(tmp.path(), &["--dry-run", "setup"]);
    assert_ok(&dry);
    assert_eq!(snapshot(tmp.path()), before, "--dry-run changed the tree");

    let real = view.admin(tmp.path(), &["setup"]);
    assert_ok(&real);
    let changes = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("note: ") && !l.contains(" change"))
            .map(|l| l.strip_prefix("would ").unwrap_or(l).to_string())
            .collect()
    };
    let (dry, real) = (stdout(&dry), stdout(&real));
    assert_eq!(
        changes(&dry),
        changes(&real),
        "dry run:\n{dry}\nreal run:\n{real}"
    );
    assert!(
        dry.contains("dry run: 5 changes would be made, none was"),
        "{dry}"
    );
    let p = |rel: &str| tmp.path().join(rel).display().to_string();
    for expected in [
        format!("would create folder {} (mode 0755)", p("home/leovms/data")),
        format!("would write {}", p("etc/samba/smb.conf.leovms")),
        format!(
            "would add \"include = {}\" to {}",
            p("etc/samba/smb.conf.leovms"),
            p("etc/samba/smb.conf")
        ),
    ] {
        assert!(
            dry.lines().any(|l| l == expected),
            "missing {expected:?} in:\n{dry}"
        );
    }
    // The upload folder names p_leovms as its group only when the group is there.
    let upload = match group {
        Some(_) => format!(
            "would create folder {} (mode 2770, owner -:p_leovms)",
            p("home/leovms/upload")
        ),
        None => format!(
            "would create folder {} (mode 2770)",
            p("home/leovms/upload")
        ),
    };
    assert!(
        dry.lines().any(|l| l == upload),
        "missing {upload:?} in:\n{dry}"
    );
    // smb.conf now includes the shares; the whole thing loads.
    let tested = assert_testparm_accepts(&tmp.path().join("etc/samba/smb.conf"));
    assert!(tested.contains("[leovms-upload]"), "{tested}");
}

#[test]
fn ldap_configuration_passes_testparm() {
    if skip_unless(
        have(&["testparm"]),
        "needs testparm (apt-get install samba)",
    ) {
        return;
    }
    for group in group_cases() {
        ldap_configuration(group);
    }
}

fn ldap_configuration(group: Option<u32>) {
    let view = GroupView::new(group);
    let admin = |root: &Path, args: &[&str]| view.admin(root, args);
    let tmp = server_root("smb.conf", "[global]\n  workgroup = TEST\n");
    assert_ok(&admin(tmp.path(), &["setup"]));
    let ldap_args = [
        "setup",
        "--ldap",
        "--realm",
        "linuxmuster.lan",
        "--workgroup",
        "LINUXMUSTER",
        "--dc",
        "10.0.0.1",
    ];
    let out = admin(tmp.path(), &ldap_args);
    assert_ok(&out);
    let ldap = tmp.path().join("etc/samba/smb.conf.leovms-ldap");
    let tested = assert_testparm_accepts(&ldap);
    for expected in [
        "security = ADS",
        "realm = LINUXMUSTER.LAN",
        "workgroup = LINUXMUSTER",
        "password server = 10.0.0.1",
        "idmap config * : range = 3000-7999",
        "idmap config linuxmuster : range = 10000-999999",
        "idmap config linuxmuster : backend = ad",
    ] {
        assert!(
            tested.contains(expected),
            "missing {expected:?} in:\n{tested}"
        );
    }
    // The domain settings are included before the shares, and the whole loads as a
    // domain member serving both shares.
    let main = std::fs::read_to_string(tmp.path().join("etc/samba/smb.conf")).unwrap();
    let ldap_at = main.find("smb.conf.leovms-ldap").unwrap();
    let shares_at = main.find("smb.conf.leovms\n").unwrap();
    assert!(ldap_at < shares_at, "{main}");
    let whole = testparm(&tmp.path().join("etc/samba/smb.conf"));
    let text = stdout(&whole);
    assert!(whole.status.success());
    assert!(String::from_utf8_lossy(&whole.stderr).contains("ROLE_DOMAIN_MEMBER"));
    assert!(
        text.contains("[leovms-data]") && text.contains("[leovms-upload]"),
        "{text}"
    );

    let again = admin(tmp.path(), &ldap_args);
    assert_ok(&again);
    assert!(
        stdout(&again).contains("nothing changed"),
        "{group:?}: {}",
        stdout(&again)
    );

    // Bad settings are refused before anything is written.
    let before = snapshot(tmp.path());
    let mut bad = ldap_args.to_vec();
    bad.extend(["--idmap-range", "5000-20000"]);
    let out = admin(tmp.path(), &bad);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    bad.truncate(ldap_args.len());
    bad[3] = "school\n[evil]";
    assert_eq!(admin(tmp.path(), &bad).status.code(), Some(2));
    assert_eq!(snapshot(tmp.path()), before);
}

const LDAP_ARGS: [&str; 8] = [
    "setup",
    "--ldap",
    "--realm",
    "linuxmuster.lan",
    "--workgroup",
    "LINUXMUSTER",
    "--dc",
    "10.0.0.1",
];

/// `setup --ldap` (and its dry run) below `root` is refused as on a domain controller,
/// saying `why` and what to run instead, and changes nothing.
fn assert_refused_as_dc(view: &GroupView, root: &Path, why: &str) {
    let before = snapshot(root);
    let mut dry = LDAP_ARGS.to_vec();
    dry.push("--dry-run");
    for args in [&LDAP_ARGS[..], &dry[..]] {
        let out = view.admin(root, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        for words in [
            "this machine is a domain controller",
            why,
            "nothing was changed",
            "run plain `leovms-admin setup`",
        ] {
            assert!(stderr.contains(words), "no {words:?} in: {stderr}");
        }
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
        assert_eq!(snapshot(root), before, "{args:?} changed something");
    }
}

#[test]
fn ldap_is_refused_on_a_domain_controller() {
    if skip_unless(
        have(&["testparm"]),
        "needs testparm (apt-get install samba)",
    ) {
        return;
    }
    let view = GroupView::new(None);
    let ad_dc = "[global]\n  workgroup = LINUXMUSTER\n  realm = LINUXMUSTER.LAN\n  \
                 netbios name = SERVER\n  server role = active directory domain controller\n";
    for (conf, why) in [
        (ad_dc, "reports ROLE_ACTIVE_DIRECTORY_DC"),
        (
            "[global]\n  workgroup = SCHOOL\n  server role = classic primary domain controller\n",
            "reports ROLE_DOMAIN_PDC",
        ),
        (
            "[global]\n  workgroup = SCHOOL\n  server role = classic backup domain controller\n",
            "reports ROLE_DOMAIN_BDC",
        ),
        // server role = auto: a classic PDC because it serves domain logons.
        (
            "[global]\n  workgroup = SCHOOL\n  security = user\n  domain logons = yes\n",
            "reports ROLE_DOMAIN_PDC",
        ),
    ] {
        let tmp = server_root("smb.conf", conf);
        assert_refused_as_dc(&view, tmp.path(), why);
    }

    // On the domain controller itself plain setup is the right command, and works.
    let tmp = server_root("smb.conf", ad_dc);
    assert_ok(&view.admin(tmp.path(), &["setup"]));
    assert_refused_as_dc(&view, tmp.path(), "reports ROLE_ACTIVE_DIRECTORY_DC");

    // A controller that an earlier setup --ldap already made look like a member (its
    // include comes last and wins): still refused, and told to take that include out.
    let tmp = server_root(
        "smb.conf",
        "[global]\n  workgroup = LINUXMUSTER\n  realm = LINUXMUSTER.LAN\n",
    );
    assert_ok(&view.admin(tmp.path(), &LDAP_ARGS));
    let main = tmp.path().join("etc/samba/smb.conf");
    let text = std::fs::read_to_string(&main).unwrap().replacen(
        "[global]\n",
        "[global]\n  server role = active directory domain controller\n",
        1,
    );
    std::fs::write(&main, text).unwrap();
    let whole = testparm(&main);
    assert!(
        String::from_utf8_lossy(&whole.stderr).contains("ROLE_DOMAIN_MEMBER"),
        "{whole:?}"
    );
    let why = format!(
        "{} says server role = active directory domain controller",
        main.display()
    );
    assert_refused_as_dc(&view, tmp.path(), &why);
    let out = view.admin(tmp.path(), &LDAP_ARGS);
    let ldap = tmp.path().join("etc/samba/smb.conf.leovms-ldap");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "{} already includes {} from an earlier setup --ldap: remove that line",
            main.display(),
            ldap.display()
        )),
        "{out:?}"
    );
}

#[test]
fn without_samba_configuration_nothing_is_done() {
    let tmp = tempfile::tempdir().unwrap();
    let out = GroupView::new(None).admin(tmp.path(), &["setup"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("install Samba first"));
    assert!(snapshot(tmp.path()).is_empty());
}

/// Runs smbclient as `user` against `share` with the commands `cmds`.
fn smbclient(samba: &Samba, user: SmbUser, share: &str, cmds: &str) -> Output {
    Command::new("smbclient")
        .arg("-s")
        .arg(samba.conf())
        .arg(format!("//127.0.0.1/{share}"))
        .arg("-U")
        .arg(format!("{}%{}", user.name, user.password))
        .args(["-c", cmds])
        .output()
        .unwrap()
}

fn all_output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// smbclient exits 0 even when a command of `-c` fails; its output tells.
fn assert_denied(out: &Output, what: &str) {
    let text = all_output(out);
    assert!(
        text.contains("NT_STATUS_ACCESS_DENIED")
            || text.contains("NT_STATUS_MEDIA_WRITE_PROTECTED"),
        "{what} was not refused:\n{text}"
    );
}

fn assert_fine(out: &Output, what: &str) {
    let text = all_output(out);
    assert!(
        out.status.success() && !text.contains("NT_STATUS_"),
        "{what} failed:\n{text}"
    );
}

#[test]
fn real_smbd_serves_the_generated_shares() {
    let needed = [
        "smbd",
        "smbclient",
        "smbpasswd",
        "testparm",
        "groupadd",
        "useradd",
        "usermod",
        "gpasswd",
    ];
    if skip_unless(
        is_root() && have(&needed),
        "needs root and Samba (apt-get install samba smbclient)",
    ) {
        return;
    }
    let started = Instant::now();
    // The group must exist before setup: under --root no system group is created. The
    // machine's own group, held (shared) until the end so that it stays as made;
    // Samba::start below ensures the same again, which only takes another shared hold.
    let _users = samba::ensure_users().unwrap();
    let tmp = server_root("smb.conf.shares", "# the school's shares\n");
    assert_ok(&admin(tmp.path(), &["setup"]));
    let data = tmp.path().join("home/leovms/data");
    let upload = tmp.path().join("home/leovms/upload");
    let meta = std::fs::metadata(&upload).unwrap();
    let gid = group_id(UPLOAD_GROUP);
    assert_eq!((meta.mode() & 0o7777, meta.gid()), (0o2770, gid));
    std::fs::write(data.join("hello.txt"), "hi\n").unwrap();

    let include = format!(
        "  include = {}\n",
        tmp.path().join("etc/samba/smb.conf.shares").display()
    );
    let samba = Samba::start_with_shares(Some(&include)).unwrap();
    let local = samba.conf().parent().unwrap().join("from-share.txt");
    let source = samba.conf().parent().unwrap().join("to-share.txt");
    std::fs::write(&source, "upload\n").unwrap();
    let put = format!("put {} x.txt", source.display());

    // Everybody reads leovms-data; nobody writes to it.
    for user in [TEACHER, STUDENT] {
        let _ = std::fs::remove_file(&local);
        let get = format!("get hello.txt {}", local.display());
        assert_fine(
            &smbclient(&samba, user, "leovms-data", &get),
            "reading data",
        );
        assert_eq!(std::fs::read_to_string(&local).unwrap(), "hi\n");
        assert_denied(
            &smbclient(&samba, user, "leovms-data", &put),
            "writing to data",
        );
        assert_denied(
            &smbclient(&samba, user, "leovms-data", "mkdir newdir"),
            "a folder in data",
        );
    }
    assert!(!data.join("x.txt").exists() && !data.join("newdir").exists());

    // A member of p_leovms uploads into upload/<user>/; files get the group and 0660.
    let cmds = format!("mkdir {0}; cd {0}; {put}", TEACHER.name);
    assert_fine(
        &smbclient(&samba, TEACHER, "leovms-upload", &cmds),
        "uploading",
    );
    let dir = std::fs::metadata(upload.join(TEACHER.name)).unwrap();
    assert_eq!((dir.mode() & 0o7777, dir.gid()), (0o2770, gid));
    let file = upload.join(TEACHER.name).join("x.txt");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "upload\n");
    let file = std::fs::metadata(&file).unwrap();
    assert_eq!((file.mode() & 0o7777, file.gid()), (0o660, gid));

    // A non-member cannot even connect.
    assert_denied(
        &smbclient(&samba, STUDENT, "leovms-upload", &put),
        "a student's upload",
    );
    assert!(!upload.join("x.txt").exists());
    eprintln!("real smbd test took {:?}", started.elapsed());
}

fn group_id(name: &str) -> u32 {
    let out = Command::new("getent")
        .args(["group", name])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.split(':').nth(2).unwrap().trim().parse().unwrap()
}
