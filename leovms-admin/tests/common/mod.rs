//! A server below a temporary `--root` for the admin tool's tests: the demo share in
//! `home/leovms/data`, an empty `home/leovms/upload`, and the real `leovms-admin`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use leovms_image::manifest::Manifest;
use leovms_testkit::{DemoOptions, DemoShare, build_demo_share};
use tempfile::TempDir;
use uuid::Uuid;

pub struct Server {
    pub root: TempDir,
    pub share: DemoShare,
}

impl Server {
    pub async fn new() -> Server {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("home/leovms/data");
        let share = build_demo_share(&data, &DemoOptions::default())
            .await
            .unwrap();
        std::fs::create_dir_all(root.path().join("home/leovms/upload")).unwrap();
        Server { root, share }
    }

    pub fn data(&self) -> PathBuf {
        self.root.path().join("home/leovms/data")
    }

    pub fn upload_dir(&self, rel: &str) -> PathBuf {
        self.root.path().join("home/leovms/upload").join(rel)
    }

    /// `leovms-admin --root … ARGS`.
    pub fn admin(&self, args: &[&str]) -> Output {
        admin_at(self.root.path(), args)
    }

    /// Like [`Server::admin`], under umask 077, so that no mode comes from the umask.
    pub fn admin_umask_077(&self, args: &[&str]) -> Output {
        Command::new("sh")
            .arg("-c")
            .arg("umask 077; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_leovms-admin"))
            .env_remove("LANGUAGE")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANG")
            .arg("--root")
            .arg(self.root.path())
            .args(args)
            .output()
            .unwrap()
    }

    pub fn demo_base(&self) -> Uuid {
        self.share.vm("vm-demo").base_uuid
    }

    pub fn manifest(&self, vm: &str) -> Manifest {
        Manifest::load(&self.data().join(vm).join("manifest.toml")).unwrap()
    }
}

pub use leovms_testkit::describe;

/// `leovms-admin --root ROOT ARGS`, in English (no locale set).
pub fn admin_at(root: &Path, args: &[&str]) -> Output {
    admin_in(None, root, args)
}

/// `leovms-admin --root ROOT ARGS` with `LANG` set to `lang` (`None`: no locale at all);
/// the other locale variables are removed, so the developer's own locale never counts.
pub fn admin_in(lang: Option<&str>, root: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leovms-admin"));
    for var in ["LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"] {
        cmd.env_remove(var);
    }
    if let Some(lang) = lang {
        cmd.env("LANG", lang);
    }
    cmd.arg("--root").arg(root).args(args).output().unwrap()
}

pub fn assert_ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", describe(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
