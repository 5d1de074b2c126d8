//! `reject USER/FOLDER` below `--root`: deletes an upload folder and only that, follows
//! no link a member of p_leovms may have put into the upload share, and changes nothing
//! with `--dry-run` or when the argument is not an upload.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;

mod common;
use common::describe;

struct Server {
    root: TempDir,
}

impl Server {
    fn new() -> Server {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("home/leovms/data")).unwrap();
        std::fs::create_dir_all(root.path().join("home/leovms/upload")).unwrap();
        Server { root }
    }

    fn upload(&self, rel: &str) -> PathBuf {
        self.root.path().join("home/leovms/upload").join(rel)
    }

    /// A folder outside the share that a link in the share points to; it must survive.
    fn victim(&self) -> PathBuf {
        let dir = self.root.path().join("victim");
        std::fs::create_dir_all(dir.join("inner")).unwrap();
        std::fs::write(dir.join("precious.txt"), "keep me").unwrap();
        std::fs::write(dir.join("inner/also.txt"), "keep me too").unwrap();
        dir
    }

    fn admin(&self, args: &[&str]) -> Output {
        common::admin_at(self.root.path(), args)
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_victim_intact(victim: &Path) {
    assert_eq!(
        std::fs::read_to_string(victim.join("precious.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(
        std::fs::read_to_string(victim.join("inner/also.txt")).unwrap(),
        "keep me too"
    );
}

#[test]
fn reject_deletes_the_upload_after_a_dry_run_that_changes_nothing() {
    let s = Server::new();
    let up = s.upload("teach1/lab-20261126-1000");
    std::fs::create_dir_all(up.join("disks")).unwrap();
    std::fs::write(up.join("upload.toml"), "format = 1\n").unwrap();
    std::fs::write(up.join("disks/a.vdi"), vec![0u8; 2000]).unwrap();
    std::fs::write(up.join("manifest.toml"), "format = 1\n").unwrap();
    let other = s.upload("teach1/other-20261126-1100");
    std::fs::create_dir_all(&other).unwrap();

    let out = s.admin(&["reject", "teach1/lab-20261126-1000", "--dry-run"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        stdout(&out),
        "would delete the complete upload teach1/lab-20261126-1000 (3 files, 2.0 kB)\n",
        "{}",
        describe(&out)
    );
    assert!(
        up.join("disks/a.vdi").is_file(),
        "--dry-run deleted something"
    );

    let out = s.admin(&["reject", "teach1/lab-20261126-1000/"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout(&out).starts_with("delete the complete upload teach1/lab-20261126-1000 "),
        "{}",
        describe(&out)
    );
    assert!(!up.exists(), "the upload is still there");
    assert!(
        other.is_dir(),
        "another upload of the same teacher went too"
    );
    assert!(s.upload("teach1").is_dir(), "the teacher's folder stays");

    // Gone: a second reject says so and what to look at.
    let out = s.admin(&["reject", "teach1/lab-20261126-1000"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("there is no upload teach1/lab-20261126-1000"),
        "{}",
        describe(&out)
    );
}

#[test]
fn reject_follows_no_link_in_the_upload_share() {
    let s = Server::new();
    let victim = s.victim();

    // Links inside an (incomplete) upload: removed themselves, their targets stay.
    let up = s.upload("teach1/evil-20261126-1200");
    std::fs::create_dir_all(up.join("sub")).unwrap();
    symlink(&victim, up.join("dir-link")).unwrap();
    symlink(victim.join("precious.txt"), up.join("file-link")).unwrap();
    symlink(&victim, up.join("sub/deeper-link")).unwrap();
    let out = s.admin(&["reject", "teach1/evil-20261126-1200"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout(&out).contains("delete the incomplete upload teach1/evil-20261126-1200"),
        "{}",
        describe(&out)
    );
    assert!(up.symlink_metadata().is_err(), "the upload is still there");
    assert_victim_intact(&victim);

    // The upload itself a link: only the link goes.
    symlink(&victim, s.upload("teach1/linked")).unwrap();
    let out = s.admin(&["reject", "teach1/linked"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(stdout(&out).contains("not a folder"), "{}", describe(&out));
    assert!(s.upload("teach1/linked").symlink_metadata().is_err());
    assert_victim_intact(&victim);

    // A user folder that is a link is not entered at all.
    symlink(&victim, s.upload("mallory")).unwrap();
    let out = s.admin(&["reject", "mallory/inner"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing was deleted"),
        "{}",
        describe(&out)
    );
    assert_victim_intact(&victim);
    assert!(s.upload("mallory").symlink_metadata().is_ok());
}

#[test]
fn reject_takes_only_user_slash_folder_and_remove_points_to_it() {
    let s = Server::new();
    let up = s.upload("teach1/lab-20261126-1000");
    std::fs::create_dir_all(&up).unwrap();
    std::fs::create_dir_all(s.root.path().join("home/leovms/data/vm-demo")).unwrap();
    for bad in [
        "teach1",
        "teach1/lab-20261126-1000/disks",
        "../data/vm-demo",
        "teach1/../../data",
        "/home/leovms/upload/teach1/lab-20261126-1000",
        "teach1//lab-20261126-1000",
    ] {
        let out = s.admin(&["reject", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", describe(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("USER/FOLDER"),
            "{bad}: {}",
            describe(&out)
        );
    }
    assert!(up.is_dir());
    assert!(s.root.path().join("home/leovms/data/vm-demo").is_dir());

    // The command an admin tries first says which one deletes an upload.
    let out = s.admin(&["remove", "teach1/lab-20261126-1000"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("leovms-admin reject teach1/lab-20261126-1000"),
        "{}",
        describe(&out)
    );
    assert!(up.is_dir());
}
