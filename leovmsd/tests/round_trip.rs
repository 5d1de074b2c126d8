//! The school round trip on one machine, as a school runs it: the admin sets the server
//! up with `leovms-admin setup` and a real smbd serves its shares; a teacher (member of
//! p_leovms) mounts both shares with their own password and uploads a new snapshot and a
//! new VM that has no snapshot; the admin publishes both as root; a student (not in
//! p_leovms) mounts leovms-data with their own password, lists and starts both. Each of
//! the two users runs their own bus, daemon and CLI under their own uid.
//! Needs root, Samba and smbnetfs.

mod common;
#[path = "trust/pc.rs"]
mod pc;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{admin, assert_refused, assert_said, describe, is_root, listed, skip_unless};
use leovms_testkit::own_vbox::{OwnMachineSpec, build_own_home, published_base_vdi};
use leovms_testkit::samba::ensure_users;
use leovms_testkit::{STUDENT, Samba, SmbMount, SmbUser, TEACHER, samba_available};
use pc::{Pc, UserWorld};

/// The server: `leovms-admin --root` made it, smbd serves it.
struct Server {
    root: tempfile::TempDir,
    samba: Samba,
}

impl Server {
    fn set_up() -> Server {
        let root = tempfile::Builder::new()
            .prefix("leovms-school.")
            .tempdir()
            .unwrap();
        let samba_dir = root.path().join("etc/samba");
        std::fs::create_dir_all(&samba_dir).unwrap();
        std::fs::write(samba_dir.join("smb.conf"), "[global]\n").unwrap();
        let out = admin(root.path(), &["setup"]);
        assert!(out.status.success(), "setup: {}", describe(&out));
        let include = format!(
            "  include = {}\n",
            samba_dir.join("smb.conf.leovms").display()
        );
        let samba = Samba::start_with_shares(Some(&include)).unwrap();
        Server { root, samba }
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("home/leovms/data")
    }

    fn admin(&self, args: &[&str]) -> Output {
        admin(self.root.path(), args)
    }
}

/// A user's session whose daemon finds the shares in the user's own SMB mount.
fn mounted(pc: &Pc, server: &Server, smb: SmbUser, upload: bool) -> (UserWorld, SmbMount) {
    let mut user = UserWorld::new(pc, smb.name);
    let mount = SmbMount::mount_as(&server.samba, smb, &user.user).unwrap();
    user.set_env("LEOVMS_DATA", mount.share_path("leovms-data"));
    if upload {
        user.set_env("LEOVMS_UPLOAD", mount.share_path("leovms-upload"));
    }
    (user, mount)
}

/// `USER/FOLDER` from "… to the upload share as USER/FOLDER. …".
fn upload_folder(out: &Output) -> String {
    assert!(out.status.success(), "{}", describe(out));
    let text = String::from_utf8_lossy(&out.stdout);
    let rest = text
        .split_once("to the upload share as ")
        .unwrap_or_else(|| panic!("no upload folder named: {}", describe(out)))
        .1;
    rest.split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('.')
        .to_owned()
}

fn chown_tree(path: &Path, user: &UserWorld) {
    let owner = format!("{}:{}", user.user.uid, user.user.gid);
    let out = Command::new("chown")
        .args(["-R", &owner])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
}

fn snapshot_ids(user: &UserWorld, vm: &str) -> Vec<String> {
    let snaps = user.cli_json(&["snapshots", vm]);
    snaps
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {snaps}"))
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_teacher_uploads_the_admin_publishes_a_student_starts() {
    if skip_unless(
        samba_available() && is_root(),
        "smbd, smbclient, smbnetfs and root are needed",
    ) {
        return;
    }
    // The users exist before anything else holds the machine (see leovms_testkit::machine).
    let _users = ensure_users().unwrap();
    let server = Server::set_up();
    let pc = Pc::serving(Some(&server.data())).await;

    // The teacher's own VirtualBox: a machine made from vm-demo's base (it has the
    // snapshot VirtualBox took) and a machine of its own without any snapshot.
    let (mut teacher, _teacher_mount) = mounted(&pc, &server, TEACHER, true);
    let base = published_base_vdi(&pc.data, "vm-demo", &pc.tmp.path().join("base"))
        .await
        .unwrap();
    let specs = [
        OwnMachineSpec::FromBase {
            name: "Lab machine",
            base_vdi: &base,
            snapshot_data_mib: 4,
            saved: false,
        },
        OwnMachineSpec::Standalone {
            name: "Exam machine",
            base_mib: 4,
            saved: false,
        },
    ];
    let home = teacher.home.clone();
    tokio::task::block_in_place(|| build_own_home(&home, &specs)).unwrap();
    chown_tree(&teacher.home, &teacher);
    teacher.start_daemon().await;
    let snapshot_upload = upload_folder(&teacher.cli(&[
        "upload",
        "--machine",
        "Lab machine",
        "--name",
        "Lab 2028",
        "--snapshot",
        "lab-2028",
    ]));
    let vm_upload = upload_folder(&teacher.cli(&[
        "upload",
        "--machine",
        "Exam machine",
        "--vm",
        "vm-exam",
        "--name",
        "Exam 2028",
        "--description",
        "The exam of 2028",
    ]));
    assert!(snapshot_upload.starts_with(&format!("{}/", TEACHER.name)));

    // The admin publishes both, as root.
    for upload in [&snapshot_upload, &vm_upload] {
        let out = server.admin(&["publish", upload]);
        assert!(out.status.success(), "publish {upload}: {}", describe(&out));
    }
    let out = server.admin(&["verify"]);
    assert!(out.status.success(), "verify: {}", describe(&out));

    // The student sees and starts both, through their own mount.
    let (mut student, _student_mount) = mounted(&pc, &server, STUDENT, true);
    student.start_daemon().await;
    let list = student.cli_json(&["list"]);
    let exam = listed(&list, "vm-exam");
    assert_eq!(exam["name"], "Exam 2028", "{list}");
    assert_eq!(exam["problem"], "", "{list}");
    assert_eq!(listed(&list, "vm-demo")["problem"], "", "{list}");
    assert!(
        snapshot_ids(&student, "vm-demo").contains(&"lab-2028".to_owned()),
        "{list}"
    );
    assert_eq!(snapshot_ids(&student, "vm-exam"), ["current"]);
    student.start_and_stop("vm-demo", "lab-2028").await;
    let out = student.cli(&["start", "vm-exam"]);
    assert_said(&out, "is running");
    assert_said(&student.cli(&["stop", "vm-exam"]), "powered off");
    student.wait_machine_state("vm-exam", "off").await;

    // The student cannot upload: the upload share lets only p_leovms in.
    let out = student.cli(&["upload", "--working-copy", "vm-exam"]);
    assert_refused(&out, 12, "p_leovms");
}
