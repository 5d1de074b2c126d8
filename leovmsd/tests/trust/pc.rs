//! A PC with two real local users for the shared-PC tests: the share, the machines
//! folder and the cache as an admin makes them, and each user's own bus, daemon and CLI.
// Shared by the test files of one PC with several users; each uses part of it.
#![allow(dead_code)]

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::common::{
    BusNameWatch, connect, describe, is_root, json_of, kill_if_running, listed, running_vms,
    skip_unless, wait_for_state,
};
use leovms_testkit::system_bus::NO_SYSTEM_BUS;
use leovms_testkit::users::LocalUser;
use leovms_testkit::{Bus, DemoOptions, build_demo_share, vbox_double_dir, workspace_bin};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// What the PC's users share: the demo share, the machines folder and the cache, all
/// made by root like an admin would, and the VirtualBox double.
pub struct Pc {
    pub tmp: TempDir,
    pub data: PathBuf,
    pub machines: PathBuf,
    pub cache: PathBuf,
    pub vbox_dir: PathBuf,
}

impl Pc {
    pub async fn new() -> Pc {
        Pc::serving(None).await
    }

    /// The demo share is written to `data` (e.g. the folder a Samba server serves), or
    /// to a folder of the PC's own.
    pub async fn serving(data: Option<&Path>) -> Pc {
        let tmp = tempfile::Builder::new()
            .prefix("leovms-trust.")
            .tempdir()
            .unwrap();
        // Every user must reach the share and the shared folders inside.
        set_mode(tmp.path(), 0o755);
        let data = data.map_or_else(|| tmp.path().join("data"), Path::to_owned);
        let machines = tmp.path().join("machines");
        let cache = tmp.path().join("cache");
        for shared in [&machines, &cache] {
            std::fs::create_dir(shared).unwrap();
            set_mode(shared, 0o1777);
        }
        let opts = DemoOptions {
            machines_dir: machines.clone(),
            ..Default::default()
        };
        build_demo_share(&data, &opts).await.unwrap();
        let conf = format!(
            "format = 1\n\n[[cache]]\npath = \"{}\"\nlimit_gb = 1\n",
            cache.display()
        );
        std::fs::write(data.join("leovms-client.conf"), conf).unwrap();
        let vbox_dir = vbox_double_dir(tmp.path());
        Pc {
            tmp,
            data,
            machines,
            cache,
            vbox_dir,
        }
    }
}

/// One user's session on the PC: their own bus, `leovmsd` and `leovms-cli`, all running
/// under their uid with the environment `World` gives (no `LEOVMS_VBOX_HOME`: the share's
/// default `~/.leovms`).
pub struct UserWorld {
    pub user: LocalUser,
    pub home: PathBuf,
    pub log: PathBuf,
    env: Vec<(&'static str, PathBuf)>,
    bus: Bus,
    daemon: Option<Child>,
}

impl UserWorld {
    pub fn new(pc: &Pc, name: &str) -> UserWorld {
        let user = LocalUser::ensure(name).unwrap();
        let dir = pc.tmp.path().join(name);
        let home = dir.join("home");
        user.own_dir(&dir).unwrap();
        user.own_dir(&home).unwrap();
        let bus = Bus::start_as(&user).unwrap();
        let env = vec![
            ("HOME", home.clone()),
            ("LEOVMS_DATA", pc.data.clone()),
            ("LEOVMS_MACHINES_DIR", pc.machines.clone()),
            ("LEOVMS_VBOX_DIR", pc.vbox_dir.clone()),
            ("LEOVMS_DOUBLE_LOG", dir.join("vbox-calls.jsonl")),
            ("DBUS_SYSTEM_BUS_ADDRESS", PathBuf::from(NO_SYSTEM_BUS)),
        ];
        UserWorld {
            user,
            home,
            log: pc.tmp.path().join(format!("{name}.leovmsd.log")),
            env,
            bus,
            daemon: None,
        }
    }

    /// Sets (or replaces) a variable of the environment of this user's programs.
    pub fn set_env(&mut self, key: &'static str, value: PathBuf) {
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value));
    }

    /// Creates `dir` as this user's private folder (mode 0700).
    pub fn own_dir(&self, dir: &Path) {
        self.user.own_dir(dir).unwrap();
    }

    /// Writes `file` as this user's own, with `mode`.
    pub fn write_own(&self, file: &Path, bytes: &[u8], mode: u32) {
        std::fs::write(file, bytes).unwrap();
        std::os::unix::fs::chown(file, Some(self.user.uid), Some(self.user.gid)).unwrap();
        set_mode(file, mode);
    }

    pub fn uid(&self) -> u32 {
        self.user.uid
    }

    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = self.user.command(program);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus.address())
            .env("LEOVMS_LOG", "info");
        cmd
    }

    /// Runs a program as this user, feeding `input` on stdin.
    pub fn run(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .command(args[0])
            .args(&args[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn cli(&self, args: &[&str]) -> Output {
        self.command(workspace_bin("leovms-cli"))
            .args(args)
            .output()
            .unwrap()
    }

    /// Like [`UserWorld::cli`], for calls that once hung: a call that has not returned
    /// after a generous bound fails the test instead of blocking the suite.
    pub fn cli_bounded(&self, args: &[&str]) -> Output {
        let mut child = self
            .command(workspace_bin("leovms-cli"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (done, wait) = std::sync::mpsc::channel();
        let pid = child.id();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let read = |mut r: Box<dyn std::io::Read + Send>| {
                let mut v = Vec::new();
                let _ = r.read_to_end(&mut v);
                v
            };
            let out = std::thread::spawn(move || read(Box::new(stdout)));
            let err = read(Box::new(stderr));
            let status = child.wait().unwrap();
            let _ = done.send(Output {
                status,
                stdout: out.join().unwrap(),
                stderr: err,
            });
        });
        match wait.recv_timeout(Duration::from_secs(120)) {
            Ok(out) => out,
            Err(_) => {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                panic!(
                    "leovms-cli {args:?} of {} did not return\nlog:\n{}",
                    self.user.name,
                    self.daemon_log()
                );
            }
        }
    }

    /// Stops this user's daemon (as a logout would) and starts it again: what happens
    /// at every start of a daemon happens again.
    pub async fn restart_daemon(&mut self) {
        use futures_util::StreamExt;
        let conn = connect(&self.bus).await;
        let dbus = zbus::fdo::DBusProxy::new(&conn).await.unwrap();
        let mut owners = dbus.receive_name_owner_changed().await.unwrap();
        kill_if_running(self.daemon.take());
        let name = zbus::names::BusName::try_from(leovms_api::BUS_NAME).unwrap();
        if dbus.name_has_owner(name).await.unwrap() {
            let released = tokio::time::timeout(Duration::from_secs(30), async {
                while let Some(sig) = owners.next().await {
                    let args = sig.args().unwrap();
                    if args.name().as_str() == leovms_api::BUS_NAME && args.new_owner().is_none() {
                        return;
                    }
                }
            });
            released
                .await
                .expect("the killed daemon's bus name was not released");
        }
        self.start_daemon().await;
    }

    pub fn cli_json(&self, args: &[&str]) -> serde_json::Value {
        json_of(args, &self.cli(&[&["--json"], args].concat()))
    }

    /// The machine as `leovms-cli --json list` shows it to this user.
    pub fn machine(&self, vm: &str) -> serde_json::Value {
        listed(&self.cli_json(&["list"]), vm)
    }

    pub fn daemon_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Starts `leovmsd` as this user and waits until it owns its bus name.
    pub async fn start_daemon(&mut self) {
        let conn = connect(&self.bus).await;
        let owned = BusNameWatch::new(&conn).await;
        let log = std::fs::File::create(&self.log).unwrap();
        let daemon = self
            .command(workspace_bin("leovmsd"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.daemon = Some(daemon);
        owned.until_owned(|| self.daemon_log()).await;
    }

    /// Waits for a machine's state via the manager's `MachineChanged` signal.
    pub async fn wait_machine_state(&self, vm: &str, state: &str) {
        let conn = connect(&self.bus).await;
        let already = || self.machine(vm)["state"] == state;
        wait_for_state(&conn, vm, state, already, || self.daemon_log()).await;
    }

    /// Starts a snapshot, waits until it runs, powers it off and waits until it is off.
    pub async fn start_and_stop(&self, vm: &str, snapshot: &str) {
        let out = self.cli(&["start", vm, "--snapshot", snapshot]);
        assert!(
            out.status.success(),
            "{} could not start {vm}: {}\nlog:\n{}",
            self.user.name,
            describe(&out),
            self.daemon_log()
        );
        self.wait_machine_state(vm, "running").await;
        let out = self.cli(&["stop", vm]);
        assert!(out.status.success(), "{}", describe(&out));
        self.wait_machine_state(vm, "off").await;
    }

    /// What the owner of a read-only file can always do: make it writable again and
    /// change a byte (in the middle, so that headers stay intact).
    pub fn tamper(&self, file: &Path) {
        let before = std::fs::read(file).unwrap();
        let at = before.len() / 2;
        let path = text(file);
        let out = self.run(&["chmod", "u+w", path], b"");
        assert!(out.status.success(), "{}", describe(&out));
        let (of, seek) = (format!("of={path}"), format!("seek={at}"));
        let dd = [
            "dd",
            &of,
            "bs=1",
            &seek,
            "count=1",
            "conv=notrunc",
            "status=none",
        ];
        let out = self.run(&dd, &[before[at] ^ 0xff]);
        assert!(out.status.success(), "{}", describe(&out));
        assert_ne!(std::fs::read(file).unwrap(), before, "{path} unchanged");
    }

    /// Powers off every VM of this user still running (the double's VMs outlive a test).
    pub fn power_off_all(&self) {
        let vboxmanage = |args: &[&str]| {
            self.command(self.env_path("LEOVMS_VBOX_DIR").join("VBoxManage"))
                .env("VBOX_USER_HOME", self.home.join(".leovms"))
                .args(args)
                .output()
        };
        let Ok(out) = vboxmanage(&["list", "runningvms"]) else {
            return;
        };
        for uuid in running_vms(&out) {
            let _ = vboxmanage(&["controlvm", &uuid, "poweroff"]);
        }
    }

    pub fn env_path(&self, key: &str) -> &Path {
        &self.env.iter().find(|(k, _)| *k == key).unwrap().1
    }
}

impl Drop for UserWorld {
    fn drop(&mut self) {
        self.power_off_all();
        kill_if_running(self.daemon.take());
    }
}

/// The PC and the sessions of its users A and B; none where the test cannot run (under
/// CI a failure).
pub async fn pc_of_two_users() -> Option<(Pc, UserWorld, UserWorld)> {
    let reason = "needs root: creates local users and runs processes as them";
    if skip_unless(is_root(), reason) {
        return None;
    }
    let pc = Pc::new().await;
    let a = UserWorld::new(&pc, "leovms-t-a");
    let b = UserWorld::new(&pc, "leovms-t-b");
    Some((pc, a, b))
}

pub fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

pub fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

pub fn owner(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().uid()
}

pub fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// `dir` and everything below it.
pub fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            out.extend(tree(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

/// The archives in one VM's cache folder.
pub fn archives(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "archive"))
        .collect();
    out.sort();
    out
}
