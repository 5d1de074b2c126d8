//! One isolated world per test: a private D-Bus, a demo share, a home, the real
//! `leovmsd` and `leovms-cli` binaries, and VirtualBox (the project's double, or the
//! directory in `LEOVMS_TEST_VBOX_DIR`, e.g. the independent stand-in in CI).
#![allow(dead_code)]

pub mod activating;
pub mod guest;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use leovms_testkit::system_bus::NO_SYSTEM_BUS;
use leovms_testkit::{
    Bus, DemoOptions, DemoShare, build_demo_share, vbox_double_dir, workspace_bin,
};
use tempfile::TempDir;

pub struct World {
    pub tmp: TempDir,
    pub bus: Bus,
    pub share: DemoShare,
    pub data: PathBuf,
    pub machines: PathBuf,
    pub home: PathBuf,
    pub vbox_dir: PathBuf,
    /// The project's double (true) or another VirtualBox stand-in (false).
    pub double: bool,
    pub double_log: PathBuf,
    pub extra_env: Vec<(String, String)>,
    daemon: Option<Child>,
}

impl World {
    pub async fn new() -> World {
        World::with(DemoOptions::default()).await
    }

    /// A demo share whose base disk holds `mib` MiB of data (for space and crash tests).
    pub async fn with_base_mib(mib: u64) -> World {
        World::with(DemoOptions {
            base_data_mib: mib,
            ..Default::default()
        })
        .await
    }

    pub async fn with(mut opts: DemoOptions) -> World {
        let tmp = tempfile::Builder::new()
            .prefix("leovms-e2e.")
            .tempdir()
            .unwrap();
        let data = tmp.path().join("data");
        let machines = tmp.path().join("machines");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        opts.machines_dir = machines.clone();
        let share = build_demo_share(&data, &opts).await.unwrap();
        let (vbox_dir, double) = match std::env::var_os("LEOVMS_TEST_VBOX_DIR") {
            Some(dir) => (PathBuf::from(dir), false),
            None => (vbox_double_dir(tmp.path()), true),
        };
        let double_log = tmp.path().join("vbox-calls.jsonl");
        World {
            bus: Bus::start().unwrap(),
            tmp,
            share,
            data,
            machines,
            home,
            vbox_dir,
            double,
            double_log,
            extra_env: Vec::new(),
            daemon: None,
        }
    }

    /// VirtualBox (the project's double or the stand-in) fails every VM start, like a host
    /// without the vboxdrv kernel module; set before the daemon starts.
    #[allow(dead_code)]
    pub fn fail_vm_starts(&mut self) {
        let var = if self.double {
            "LEOVMS_DOUBLE_START_FAIL"
        } else {
            "VBOXSIM_START_FAIL"
        };
        self.extra_env.push((var.into(), "1".into()));
    }

    /// This user's leovms VirtualBox home (the share's default `~/.leovms`).
    pub fn vbox_home(&self) -> PathBuf {
        self.home.join(".leovms")
    }

    pub fn work_dir(&self, vm: &str) -> PathBuf {
        self.vbox_home().join("Machines").join(vm)
    }

    /// The environment every process of this world runs with.
    pub fn env_for(&self, cmd: &mut Command) {
        self.env(cmd);
    }

    fn env(&self, cmd: &mut Command) {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", self.bus.address())
            .env("DBUS_SYSTEM_BUS_ADDRESS", NO_SYSTEM_BUS)
            .env("HOME", &self.home)
            .env_remove("XDG_STATE_HOME")
            .env("LEOVMS_DATA", &self.data)
            .env("LEOVMS_VBOX_DIR", &self.vbox_dir)
            .env("LEOVMS_DOUBLE_LOG", &self.double_log)
            .env("VBOXSIM_LOG", &self.double_log)
            .env("VBOXSIM_STRICT", "1")
            .env("LEOVMS_LOG", "info")
            // English, whatever the developer's locale; a test of German sets LANG after.
            .env("LANG", "C.UTF-8")
            .env_remove("LANGUAGE")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES");
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
    }

    /// (Re)starts the daemon as if it ran on PC `host` in `room`.
    #[allow(dead_code)]
    pub async fn move_to(&mut self, host: &str, room: &str) {
        if self.daemon_running() {
            self.terminate_daemon().await;
        }
        self.extra_env = vec![
            ("LEOVMS_HOST".into(), host.into()),
            ("LEOVMS_ROOM".into(), room.into()),
        ];
        self.start_daemon().await;
    }

    /// Starts `leovmsd` and waits until it owns its bus name.
    pub async fn start_daemon(&mut self) {
        let conn = self.connection().await;
        let owned = BusNameWatch::new(&conn).await;
        let mut cmd = Command::new(workspace_bin("leovmsd"));
        self.env(&mut cmd);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.tmp.path().join("leovmsd.log"))
            .unwrap();
        cmd.stdout(Stdio::null()).stderr(log);
        self.daemon = Some(cmd.spawn().unwrap());
        owned.until_owned(|| self.daemon_log()).await;
    }

    pub fn daemon_log(&self) -> String {
        std::fs::read_to_string(self.tmp.path().join("leovmsd.log")).unwrap_or_default()
    }

    pub fn daemon_running(&self) -> bool {
        self.daemon.is_some()
    }

    pub fn daemon_pid(&self) -> u32 {
        self.daemon.as_ref().expect("daemon started").id()
    }

    /// `kill -TERM` of the daemon, as systemd stops it; it must be gone within a bound.
    pub async fn terminate_daemon(&mut self) {
        let mut d = self.daemon.take().expect("daemon started");
        let pid = rustix::process::Pid::from_raw(d.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let status = tokio::time::timeout(
            Duration::from_secs(20),
            tokio::task::spawn_blocking(move || d.wait()),
        )
        .await
        .unwrap_or_else(|_| {
            panic!(
                "leovmsd did not exit on SIGTERM; log:\n{}",
                self.daemon_log()
            )
        });
        assert!(
            status.unwrap().unwrap().success(),
            "log:\n{}",
            self.daemon_log()
        );
    }

    /// `kill -9` of the daemon, as a crash would.
    pub fn kill_daemon(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            d.kill().unwrap();
            d.wait().unwrap();
        }
    }

    pub async fn connection(&self) -> zbus::Connection {
        connect(&self.bus).await
    }

    pub async fn manager(&self, conn: &zbus::Connection) -> leovms_api::ManagerProxy<'static> {
        leovms_api::ManagerProxy::new(conn).await.unwrap()
    }

    pub fn cli(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(workspace_bin("leovms-cli"));
        self.env(&mut cmd);
        cmd.args(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Runs the CLI and parses its `--json` output.
    pub fn cli_json(&self, args: &[&str]) -> serde_json::Value {
        json_of(args, &self.cli(&[&["--json"], args].concat()))
    }

    /// A client we did not write.
    pub fn gdbus(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("gdbus");
        self.env(&mut cmd);
        cmd.args(args).stdin(Stdio::null()).output().unwrap()
    }

    /// VBoxManage as the user would call it for their leovms home.
    pub fn vboxmanage(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(self.vbox_dir.join("VBoxManage"));
        self.env(&mut cmd);
        cmd.env("VBOX_USER_HOME", self.vbox_home());
        cmd.args(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Lines of the VirtualBox call log that ran `program` (e.g. `VirtualBoxVM`).
    pub fn vbox_calls(&self, program: &str) -> usize {
        std::fs::read_to_string(&self.double_log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(program))
            .count()
    }

    /// Configures one cache for the PC on the share (`leovms-client.conf`); returns it.
    pub fn configure_cache(&self, limit_bytes: u64) -> PathBuf {
        let cache = self.tmp.path().join("cache");
        self.configure_cache_at(&cache, limit_bytes);
        cache
    }

    /// Configures one cache at `cache` on the share.
    pub fn configure_cache_at(&self, cache: &Path, limit_bytes: u64) {
        let conf = format!(
            "format = 1\n\n[[cache]]\npath = \"{}\"\nlimit_gb = {}\n",
            cache.display(),
            limit_bytes as f64 / 1e9
        );
        std::fs::write(self.data.join("leovms-client.conf"), conf).unwrap();
    }

    /// The archives in the cache as `leovms-cli --json cache` shows them.
    pub fn cache_entries(&self) -> Vec<serde_json::Value> {
        self.cli_json(&["cache"])["entries"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Machines as `leovms-cli --json list` shows them.
    pub fn machine(&self, vm: &str) -> serde_json::Value {
        listed(&self.cli_json(&["list"]), vm)
    }

    /// `vm` is listed as coming from the cache, without a problem.
    pub fn assert_listed_from_cache(&self, vm: &str) {
        let list = self.cli_json(&["list"]);
        let machine = listed(&list, vm);
        assert_eq!(machine["origin"], "cache", "{list}");
        assert_eq!(machine["problem"], "", "{list}");
    }

    /// `vm` is listed with a problem that says `words`.
    pub fn assert_listed_with_problem(&self, vm: &str, words: &str) {
        let list = self.cli_json(&["list"]);
        let machine = listed(&list, vm);
        let problem = machine["problem"].as_str().unwrap();
        assert!(problem.contains(words), "{list}");
    }

    /// Starting `vm` (its first snapshot) is refused: it is not available offline.
    pub fn assert_start_refused_offline(&self, vm: &str) {
        let snapshot = &self.share.vm(vm).snapshots[0].0;
        let out = self.cli(&["start", vm, "--snapshot", snapshot]);
        assert_refused(&out, 11, "Not available offline");
    }

    /// Waits for a machine's state via the manager's `MachineChanged` signal.
    pub async fn wait_machine_state(&self, vm: &str, state: &str) {
        let conn = self.connection().await;
        let already = || self.machine(vm)["state"] == state;
        wait_for_state(&conn, vm, state, already, || self.daemon_log()).await;
    }

    /// Files below `dir` whose name is a final name (no temporary prefix).
    pub fn final_files(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with(".leovms-tmp") {
                    continue;
                }
                out.push(e.path());
                if e.path().is_dir() {
                    out.extend(World::final_files(&e.path()));
                }
            }
        }
        out
    }

    /// Every entry below `dir`, temporary or not.
    pub fn all_files(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                out.push(e.path());
                if e.path().is_dir() && !e.path().is_symlink() {
                    out.extend(World::all_files(&e.path()));
                }
            }
        }
        out
    }

    /// Powers off every VM still running (the stand-ins' VMs outlive a test otherwise).
    pub fn power_off_all(&self) {
        if !self.vbox_dir.join("VBoxManage").exists() {
            return;
        }
        for uuid in running_vms(&self.vboxmanage(&["list", "runningvms"])) {
            let _ = self.vboxmanage(&["controlvm", &uuid, "poweroff"]);
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.power_off_all();
        kill_if_running(self.daemon.take());
    }
}

/// Kills and reaps the daemon, if one was started and is not stopped yet.
pub fn kill_if_running(daemon: Option<Child>) {
    if let Some(mut d) = daemon {
        let _ = d.kill();
        let _ = d.wait();
    }
}

#[allow(unused_imports)] // Not every test file needs each.
pub use leovms_testkit::{describe, is_root, skip_unless};

/// The parsed output of `leovms-cli --json ARGS`, which must have succeeded.
pub fn json_of(args: &[&str], out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "leovms-cli {args:?} failed: {}",
        describe(out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON from {args:?}: {e}: {}", describe(out)))
}

/// `vm` as `leovms-cli --json list` shows it.
pub fn listed(list: &serde_json::Value, vm: &str) -> serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == vm)
        .cloned()
        .unwrap_or_else(|| panic!("{vm} not listed: {list}"))
}

/// The UUIDs in the output of `VBoxManage list runningvms` (`"name" {uuid}` lines).
pub fn running_vms(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let open = line.rfind('{')?;
            Some(line[open + 1..].trim_end_matches('}').to_owned())
        })
        .collect()
}

/// A CLI call that succeeded and said `words` on stdout.
pub fn assert_said(out: &Output, words: &str) {
    assert!(out.status.success(), "{}", describe(out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(words),
        "no \"{words}\" in: {}",
        describe(out)
    );
}

/// A CLI call that failed with `code` and said `words` on stderr.
pub fn assert_refused(out: &Output, code: i32, words: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", describe(out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(words),
        "no \"{words}\" in: {}",
        describe(out)
    );
}

/// A connection to `bus`, for proxies and signals.
pub async fn connect(bus: &Bus) -> zbus::Connection {
    zbus::connection::Builder::address(bus.address())
        .unwrap()
        .build()
        .await
        .unwrap()
}

/// Watches for leovmsd taking its bus name, from before the daemon starts, so that no
/// change is missed.
pub struct BusNameWatch {
    dbus: zbus::fdo::DBusProxy<'static>,
    owners: zbus::fdo::NameOwnerChangedStream,
}

impl BusNameWatch {
    pub async fn new(conn: &zbus::Connection) -> BusNameWatch {
        let dbus = zbus::fdo::DBusProxy::new(conn).await.unwrap();
        let owners = dbus.receive_name_owner_changed().await.unwrap();
        BusNameWatch { dbus, owners }
    }

    /// Waits until the daemon owns its bus name; `log` tells why it does not.
    pub async fn until_owned(mut self, log: impl FnOnce() -> String) {
        let name = zbus::names::BusName::try_from(leovms_api::BUS_NAME).unwrap();
        if self.dbus.name_has_owner(name).await.unwrap() {
            return;
        }
        tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(sig) = self.owners.next().await {
                let args = sig.args().unwrap();
                if args.name().as_str() == leovms_api::BUS_NAME && args.new_owner().is_some() {
                    return;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("leovmsd did not start; log:\n{}", log()));
    }
}

/// Waits until `vm` becomes `state`, via the manager's `MachineChanged` signal on
/// `conn`'s bus. `already` tells whether it is in that state; it is asked after
/// subscribing, so that no change is missed. `log` tells why the state never came.
pub async fn wait_for_state(
    conn: &zbus::Connection,
    vm: &str,
    state: &str,
    already: impl FnOnce() -> bool,
    log: impl FnOnce() -> String,
) {
    let manager = leovms_api::ManagerProxy::new(conn).await.unwrap();
    let mut changes = manager.receive_machine_changed().await.unwrap();
    if already() {
        return;
    }
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(sig) = changes.next().await {
            let args = sig.args().unwrap();
            if args.vm == vm && args.state.as_str() == state {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{vm} never became {state}; log:\n{}", log()));
}

/// Records the phases every job signals, from before the job exists.
pub struct PhaseRecorder {
    stream: zbus::MessageStream,
}

/// Every job's `Progress` signals, from now on.
pub async fn progress_signals(conn: &zbus::Connection) -> zbus::MessageStream {
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface(leovms_api::JOB_INTERFACE)
        .unwrap()
        .member("Progress")
        .unwrap()
        .build();
    zbus::MessageStream::for_match_rule(rule, conn, None)
        .await
        .unwrap()
}

/// `leovms-admin --root ROOT ARGS…`
#[allow(dead_code)]
pub fn admin(root: &Path, args: &[&str]) -> Output {
    Command::new(workspace_bin("leovms-admin"))
        .arg("--root")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

impl PhaseRecorder {
    pub async fn new(conn: &zbus::Connection) -> PhaseRecorder {
        PhaseRecorder {
            stream: progress_signals(conn).await,
        }
    }

    /// The distinct phases in the order signaled, up to and including `last`.
    pub async fn until(mut self, last: &str) -> Vec<String> {
        let mut phases: Vec<String> = Vec::new();
        tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(Ok(msg)) = self.stream.next().await {
                let (phase, ..): (String, u64, u64, u64, i64) = msg.body().deserialize().unwrap();
                if phases.last() != Some(&phase) {
                    phases.push(phase.clone());
                }
                if phase == last {
                    return;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {last} phase; saw {phases:?}"));
        phases
    }
}

/// A tmpfs of `bytes` mounted over `dir` (created when missing) for the life of the value,
/// e.g. a small disk that fills up. Needs root.
pub struct Tmpfs(PathBuf);

impl Tmpfs {
    pub fn mount(dir: &Path, bytes: u64) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={bytes},mode=1777"),
                "tmpfs",
            ])
            .arg(dir)
            .status()
            .unwrap();
        assert!(ok.success(), "mount tmpfs on {}", dir.display());
        Tmpfs(dir.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

impl World {
    /// The daemon this world started still runs and still owns its bus name (hostile
    /// input must never take it off the bus).
    pub async fn assert_daemon_serves(&mut self) {
        let exited = self
            .daemon
            .as_mut()
            .expect("daemon started")
            .try_wait()
            .unwrap();
        assert!(
            exited.is_none(),
            "leovmsd exited ({exited:?}); log:\n{}",
            self.daemon_log()
        );
        let conn = self.connection().await;
        let dbus = zbus::fdo::DBusProxy::new(&conn).await.unwrap();
        let name = zbus::names::BusName::try_from(leovms_api::BUS_NAME).unwrap();
        let owner = dbus.get_connection_unix_process_id(name).await;
        assert_eq!(
            owner.ok(),
            Some(self.daemon_pid()),
            "another process, or none, owns the bus name; log:\n{}",
            self.daemon_log()
        );
    }
}
