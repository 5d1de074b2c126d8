//! A PC for the store's tests: a private system bus with the PC's bus policy and the
//! packaged one, a real polkitd with the packaged actions, `leovms-stored` running as
//! its own user, and real local users calling it.

use std::path::{Path, PathBuf};
use std::process::Output;

use leovms_image::archive::{Compression, pack};
use leovms_testkit::system_bus::{StorePc, system_bus_missing};
use leovms_testkit::users::LocalUser;
use leovms_testkit::{describe, is_root, skip_unless, workspace_bin};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// Students at the PC.
pub const A: &str = "leovms-t-a";
pub const B: &str = "leovms-t-b";
/// A user logged in from elsewhere (or whose session is not the active one).
pub const C: &str = "leovms-t-c";

pub struct Pc {
    pub tmp: TempDir,
    pub root: PathBuf,
    pub store: StorePc,
}

impl Pc {
    /// The PC, or `None` (after saying why) where it cannot be made; under CI that fails.
    pub fn new(conf: &str) -> Option<Pc> {
        if skip_unless(
            is_root(),
            "needs root: creates users, runs polkitd and the service as them",
        ) {
            return None;
        }
        if let Some(missing) = system_bus_missing() {
            skip_unless(false, &missing);
            return None;
        }
        for user in [A, B, C] {
            LocalUser::ensure(user).unwrap();
        }
        let tmp = tempfile::Builder::new()
            .prefix("leovms-store.")
            .tempdir()
            .unwrap();
        set_mode(tmp.path(), 0o755);
        std::fs::create_dir(tmp.path().join("share")).unwrap();
        set_mode(&tmp.path().join("share"), 0o755);
        let store = StorePc::start(tmp.path(), conf, &[A, B]).unwrap();
        Some(Pc {
            root: store.root.clone(),
            store,
            tmp,
        })
    }

    pub fn restart_service(&mut self, run: u32) {
        self.store.restart_service(run).unwrap();
    }

    pub fn store_uid(&self) -> u32 {
        self.store.store_user.uid
    }

    /// Runs `leovms-store-call ARGS` as `user` ("root" for root).
    pub fn call(&self, user: &str, args: &[&str]) -> Call {
        Call::of(self.run(user, "leovms-store-call", args))
    }

    /// Runs the workspace's `program` as `user` ("root" for root) on the PC's system bus.
    pub fn run(&self, user: &str, program: &str, args: &[&str]) -> Output {
        let program = workspace_bin(program);
        let mut cmd = if user == "root" {
            let mut cmd = std::process::Command::new(program);
            cmd.env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default());
            cmd
        } else {
            LocalUser::ensure(user).unwrap().command(program)
        };
        cmd.env("DBUS_SYSTEM_BUS_ADDRESS", self.store.bus.address())
            .args(args)
            .output()
            .unwrap()
    }

    /// `user` offers `archive` with what its manifest says (`size`, `sha256`, `unpacked`).
    pub fn add_base(&self, user: &str, archive: &Archive) -> Call {
        self.call(
            user,
            &[
                "add-base",
                text(&archive.path),
                &archive.sha256,
                &archive.size.to_string(),
                &archive.unpacked.to_string(),
            ],
        )
    }

    /// The names in the store's folder `sub` (`archives`, `bases`).
    pub fn names(&self, sub: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// An archive on the share holding `files` (name, bytes).
    pub async fn archive(&self, name: &str, files: &[(&str, Vec<u8>)]) -> Archive {
        let src = self.tmp.path().join(format!("{name}.src"));
        std::fs::create_dir(&src).unwrap();
        let mut entries = Vec::new();
        for (file, bytes) in files {
            std::fs::write(src.join(file), bytes).unwrap();
            entries.push((src.join(file), (*file).to_owned()));
        }
        let path = self
            .tmp
            .path()
            .join("share")
            .join(format!("{name}.tar.zst"));
        let report = pack(&entries, &path, Compression::Zstd).await.unwrap();
        set_mode(&path, 0o644);
        Archive {
            path,
            sha256: hex::encode(report.sha256),
            size: report.size,
            unpacked: report.unpacked,
        }
    }
}

#[derive(Clone)]
pub struct Archive {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    pub unpacked: u64,
}

impl Archive {
    /// The archive at `path`, as a truthful manifest describes it.
    pub fn of(path: &Path, unpacked: u64) -> Archive {
        let bytes = std::fs::read(path).unwrap();
        Archive {
            path: path.to_owned(),
            sha256: hex::encode(Sha256::digest(&bytes)),
            size: bytes.len() as u64,
            unpacked,
        }
    }
}

/// Compresses `bytes` into `out` with the `zstd` tool, readable by every user.
pub fn zstd(bytes: &[u8], out: &Path) {
    let raw = out.with_extension("raw");
    std::fs::write(&raw, bytes).unwrap();
    let status = std::process::Command::new("zstd")
        .args(["-q", "-f", "-o"])
        .args([out, &raw])
        .status()
        .unwrap();
    assert!(status.success());
    set_mode(out, 0o644);
}

/// What `leovms-store-call` printed: its progress lines and its result.
#[derive(Debug)]
pub struct Call {
    pub progress: Vec<(String, u64, u64)>,
    pub result: Value,
    pub out: String,
}

impl Call {
    fn of(out: Output) -> Call {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut progress = Vec::new();
        let mut result = Value::Null;
        for line in stdout.lines() {
            let value: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {}", describe(&out)));
            match value.get("progress") {
                Some(p) => progress.push((
                    p[0].as_str().unwrap().to_owned(),
                    p[1].as_u64().unwrap(),
                    p[2].as_u64().unwrap(),
                )),
                None => result = value,
            }
        }
        Call {
            progress,
            result,
            out: describe(&out),
        }
    }

    /// The value of a call that worked.
    pub fn ok(&self) -> &Value {
        self.result
            .get("ok")
            .unwrap_or_else(|| panic!("the call failed: {}", self.out))
    }

    /// The error kind of a call that failed, with its message.
    pub fn error(&self) -> (&str, &str) {
        let kind = self.result["error"]
            .as_str()
            .unwrap_or_else(|| panic!("the call worked: {}", self.out));
        (kind, self.result["message"].as_str().unwrap_or_default())
    }

    pub fn phases(&self) -> Vec<&str> {
        let mut phases: Vec<&str> = self.progress.iter().map(|(p, _, _)| p.as_str()).collect();
        phases.dedup();
        phases
    }
}

pub fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
