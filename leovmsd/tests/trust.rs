//! One PC, two real local users sharing the machines folder and the cache. A file's owner
//! can always change it, so what one user leaves there must never decide what another
//! user's VM boots: unpacked bases are used only when this user or root made them, cached
//! archives are hashed while they are unpacked, pins count only for their owner.
//! Needs root (creates users, runs each user's bus, daemon and CLI under their uid).

mod common;

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use common::{
    BusNameWatch, assert_said, connect, describe, is_root, json_of, kill_if_running, listed,
    running_vms, skip_unless, wait_for_state,
};
use leovms_testkit::users::LocalUser;
use leovms_testkit::{Bus, DemoOptions, build_demo_share, vbox_double_dir, workspace_bin};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// What the PC's users share: the demo share, the machines folder and the cache, all
/// made by root like an admin would, and the VirtualBox double.
struct Pc {
    tmp: TempDir,
    data: PathBuf,
    machines: PathBuf,
    cache: PathBuf,
    vbox_dir: PathBuf,
}

impl Pc {
    async fn new() -> Pc {
        let tmp = tempfile::Builder::new()
            .prefix("leovms-trust.")
            .tempdir()
            .unwrap();
        // Every user must reach the share and the shared folders inside.
        set_mode(tmp.path(), 0o755);
        let data = tmp.path().join("data");
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
struct UserWorld {
    user: LocalUser,
    home: PathBuf,
    log: PathBuf,
    env: Vec<(&'static str, PathBuf)>,
    bus: Bus,
    daemon: Option<Child>,
}

impl UserWorld {
    fn new(pc: &Pc, name: &str) -> UserWorld {
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

    fn uid(&self) -> u32 {
        self.user.uid
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = self.user.command(program);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus.address())
            .env("LEOVMS_LOG", "info");
        cmd
    }

    /// Runs a program as this user, feeding `input` on stdin.
    fn run(&self, args: &[&str], input: &[u8]) -> Output {
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

    fn cli(&self, args: &[&str]) -> Output {
        self.command(workspace_bin("leovms-cli"))
            .args(args)
            .output()
            .unwrap()
    }

    fn cli_json(&self, args: &[&str]) -> serde_json::Value {
        json_of(args, &self.cli(&[&["--json"], args].concat()))
    }

    /// The machine as `leovms-cli --json list` shows it to this user.
    fn machine(&self, vm: &str) -> serde_json::Value {
        listed(&self.cli_json(&["list"]), vm)
    }

    fn daemon_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Starts `leovmsd` as this user and waits until it owns its bus name.
    async fn start_daemon(&mut self) {
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
    async fn wait_machine_state(&self, vm: &str, state: &str) {
        let conn = connect(&self.bus).await;
        let already = || self.machine(vm)["state"] == state;
        wait_for_state(&conn, vm, state, already, || self.daemon_log()).await;
    }

    /// Starts a snapshot, waits until it runs, powers it off and waits until it is off.
    async fn start_and_stop(&self, vm: &str, snapshot: &str) {
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
    fn tamper(&self, file: &Path) {
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
    fn power_off_all(&self) {
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

    fn env_path(&self, key: &str) -> &Path {
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
async fn pc_of_two_users() -> Option<(Pc, UserWorld, UserWorld)> {
    let reason = "needs root: creates local users and runs processes as them";
    if skip_unless(is_root(), reason) {
        return None;
    }
    let pc = Pc::new().await;
    let a = UserWorld::new(&pc, "leovms-t-a");
    let b = UserWorld::new(&pc, "leovms-t-b");
    Some((pc, a, b))
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn owner(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().uid()
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// `dir` and everything below it.
fn tree(dir: &Path) -> Vec<PathBuf> {
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
fn archives(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "archive"))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn what_one_user_changed_never_decides_what_another_users_vm_boots() {
    let Some((pc, mut a, mut b)) = pc_of_two_users().await else {
        return;
    };
    a.start_daemon().await;
    b.start_daemon().await;
    let base_sha = sha256_hex(&pc.data.join("vm-demo/base.tar.zst"));
    let hash = &base_sha[..16];

    // A syncs vm-demo and starts it: A is the first, so its base goes to the shared folder.
    let out = a.cli(&["sync", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    a.start_and_stop("vm-demo", "standard").await;
    let a_base = pc.machines.join("vm-demo").join(hash);
    assert!(a_base.is_dir(), "{:?}", tree(&pc.machines));
    assert!(tree(&a_base).iter().all(|f| owner(f) == a.uid()));
    let cached = archives(&pc.cache.join("vm-demo"));
    assert_eq!(cached.len(), 3, "base, standard, exam: {cached:?}");
    assert!(cached.iter().all(|f| owner(f) == a.uid()));
    let a_demo = a.machine("vm-demo");
    assert_eq!(a_demo["base_ready"], true, "{a_demo}");
    assert_eq!(a_demo["synced"], true, "{a_demo}");
    // A's base is not B's: B would have to unpack its own.
    let b_demo = b.machine("vm-demo");
    assert_eq!(b_demo["base_ready"], false, "{b_demo}");
    assert_eq!(b_demo["synced"], false, "{b_demo}");

    // A changes what it owns: its unpacked base disk and the cached base archive.
    let disk = tree(&a_base)
        .into_iter()
        .find(|f| f.extension().is_some_and(|x| x == "vdi"))
        .expect("a base disk");
    a.tamper(&disk);
    let cached_base = pc.cache.join("vm-demo").join(format!("{base_sha}.archive"));
    a.tamper(&cached_base);

    // B's start works from B's own base, unpacked from an intact archive.
    b.start_and_stop("vm-demo", "standard").await;
    let b_base = pc
        .machines
        .join(format!(".u{}", b.uid()))
        .join("vm-demo")
        .join(hash);
    let settings = b.home.join(".leovms/Machines/vm-demo/vm-demo.vbox");
    let settings = std::fs::read_to_string(settings).unwrap();
    assert!(
        settings.contains(&format!("\"{}/", b_base.display())),
        "B's disks are not in {}:\n{settings}",
        b_base.display()
    );
    assert!(
        !settings.contains(&a_base.display().to_string()),
        "B uses A's base:\n{settings}"
    );
    let b_own = pc.machines.join(format!(".u{}", b.uid()));
    assert!(tree(&b_own).iter().all(|f| owner(f) == b.uid()));
    // The damaged archive is gone (or intact again): every name matches its content.
    for archive in archives(&pc.cache.join("vm-demo")) {
        let name = archive.file_stem().unwrap().to_str().unwrap();
        assert_eq!(sha256_hex(&archive), name, "{}", archive.display());
    }
    assert_said(&b.cli(&["verify"]), "all intact");

    // Pins count only for their owner. The cache folder is sticky, so B cannot replace
    // A's pins, but it can write some in A's name where A has none (removed here).
    let pins = pc.cache.join(format!(".pins.{}.toml", a.uid()));
    assert_eq!(owner(&pins), a.uid());
    let forged = pc.tmp.path().join("forged-pins.toml");
    std::fs::copy(&pins, &forged).unwrap();
    std::fs::remove_file(&pins).unwrap();
    let out = b.run(&["cp", text(&forged), text(&pins)], b"");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(owner(&pins), b.uid());
    let a_demo = a.machine("vm-demo");
    assert_eq!(a_demo["synced"], false, "B's pins count for A: {a_demo}");
}

/// A folder above the shared base counts only when nobody else can swap it: a symbolic
/// link is swapped by its owner at any time (also between the daemon's check and
/// VirtualBox opening the disk), so another user's link is not trusted, wherever it
/// points right now.
#[tokio::test(flavor = "multi_thread")]
async fn a_link_another_user_can_redirect_is_not_trusted() {
    let Some((pc, mut a, b)) = pc_of_two_users().await else {
        return;
    };
    // B comes first and makes vm-demo's folder a link to a place A may write to and
    // that looks safe (root's, sticky like /tmp); B may point it elsewhere at any time.
    let elsewhere = pc.tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    set_mode(&elsewhere, 0o1777);
    let link = pc.machines.join("vm-demo");
    let out = b.run(&["ln", "-s", text(&elsewhere), text(&link)], b"");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(owner(&link), b.uid());

    a.start_daemon().await;
    a.start_and_stop("vm-demo", "standard").await;
    let settings = a.home.join(".leovms/Machines/vm-demo/vm-demo.vbox");
    let settings = std::fs::read_to_string(settings).unwrap();
    let a_own = pc.machines.join(format!(".u{}", a.uid())).join("vm-demo");
    assert!(
        settings.contains(&format!("\"{}/", a_own.display())),
        "A's base is not in {} but below B's link:\n{settings}\n{:?}",
        a_own.display(),
        tree(&elsewhere)
    );
    let below_link = tree(&elsewhere);
    assert_eq!(
        below_link.len(),
        1,
        "A wrote below B's link: {below_link:?}"
    );
}
