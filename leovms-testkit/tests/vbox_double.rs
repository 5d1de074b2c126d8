//! The VirtualBox test double on a demo VM laid out in a temporary VBOX_USER_HOME.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{demo_share, lay_out_machine, run, stderr, stdout};
use leovms_image::vbox::global_settings;
use leovms_testkit::{DemoShare, vbox_double_dir};

struct Env {
    _tmp: tempfile::TempDir,
    bin: PathBuf,
    home: PathBuf,
    log: PathBuf,
    settings: PathBuf,
    uuid: String,
    share: DemoShare,
}

impl Env {
    /// vm-demo on snapshot `snapshot`, registered in a fresh VBOX_USER_HOME.
    async fn new(snapshot: &str) -> Env {
        let tmp = tempfile::tempdir().unwrap();
        let share = demo_share(tmp.path(), true).await;
        let settings =
            lay_out_machine(&share, &tmp.path().join("machines"), "vm-demo", snapshot).await;
        let home = tmp.path().join("vbox");
        std::fs::create_dir_all(&home).unwrap();
        let uuid = share.vm("vm-demo").machine_uuid;
        std::fs::write(
            home.join("VirtualBox.xml"),
            global_settings(&[(uuid, settings.clone())]),
        )
        .unwrap();
        Env {
            bin: vbox_double_dir(tmp.path()),
            log: tmp.path().join("double.log"),
            _tmp: tmp,
            home,
            settings,
            uuid: uuid.to_string(),
            share,
        }
    }

    fn command(&self, prog: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.bin.join(prog));
        cmd.args(args)
            .env("VBOX_USER_HOME", &self.home)
            .env("LEOVMS_DOUBLE_LOG", &self.log)
            .env_remove("LEOVMS_DOUBLE_START_FAIL")
            .env_remove("LEOVMS_DOUBLE_VM_LIFETIME");
        cmd
    }

    fn manage(&self, args: &[&str]) -> std::process::Output {
        run(&mut self.command("VBoxManage", args))
    }

    fn info(&self, vm: &str) -> String {
        let out = self.manage(&["showvminfo", vm, "--machinereadable"]);
        assert!(out.status.success());
        stdout(&out)
    }

    fn state(&self) -> String {
        self.info(&self.uuid)
            .lines()
            .find_map(|l| {
                l.strip_prefix("VMState=")
                    .map(|s| s.trim_matches('"').to_owned())
            })
            .unwrap()
    }

    fn spawn_frontend(&self, prog: &str) -> Frontend {
        let child = self
            .command(prog, &["--startvm", &self.uuid])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Frontend(Some(child))
    }

    /// Polls the state: a crashed VM's stale running file may still be there.
    fn wait_running(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.state() != "running" {
            assert!(Instant::now() < deadline, "VM did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A frontend process that does not outlive a failing test.
struct Frontend(Option<Child>);

impl Drop for Frontend {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_exit(mut frontend: Frontend) -> std::process::Output {
    let child = frontend.0.take().unwrap();
    let out = child.wait_with_output().unwrap();
    eprintln!("frontend {}: {}", out.status, stderr(&out));
    out
}

#[tokio::test]
async fn version_list_and_showvminfo() {
    let env = Env::new("standard").await;
    let out = env.manage(&["--version"]);
    assert_eq!(stdout(&out), "7.1.4r165100\n");
    assert_eq!(
        stdout(&env.manage(&["list", "vms"])),
        format!("\"Demo Linux\" {{{}}}\n", env.uuid)
    );
    assert_eq!(stdout(&env.manage(&["list", "runningvms"])), "");
    let braced = format!("{{{}}}", env.uuid);
    let path = env.settings.to_str().unwrap();
    for vm in ["Demo Linux", env.uuid.as_str(), braced.as_str(), path] {
        let info = env.info(vm);
        assert!(info.contains("name=\"Demo Linux\"\n"), "{info}");
        assert!(info.contains(&format!("UUID=\"{}\"\n", env.uuid)));
        assert!(info.contains(&format!("CfgFile=\"{path}\"\n")));
        assert!(info.contains("memory=1024\n"));
        assert!(info.contains("VMState=\"poweroff\"\n"));
    }
    let log = std::fs::read_to_string(&env.log).unwrap();
    let first: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(
        first["argv"],
        serde_json::json!(["VBoxManage", "--version"])
    );
    assert_eq!(first["vbox_user_home"], env.home.to_str().unwrap());
}

#[tokio::test]
async fn shared_folders_are_listed_in_vboxmanage_quoting() {
    let env = Env::new("standard").await;
    let text = std::fs::read_to_string(&env.settings).unwrap();
    let folders = r#"<SharedFolders><SharedFolder name="home" hostPath="/home/a &quot;b&quot;" writable="true" autoMount="true"/></SharedFolders></Hardware>"#;
    let at = text.rfind("</Hardware>").unwrap();
    let patched = format!(
        "{}{folders}{}",
        &text[..at],
        &text[at + "</Hardware>".len()..]
    );
    std::fs::write(&env.settings, patched).unwrap();
    let info = env.info(&env.uuid);
    assert!(
        info.contains("SharedFolderNameMachineMapping1=\"home\"\n"),
        "{info}"
    );
    assert!(
        info.contains("SharedFolderPathMachineMapping1=\"/home/a \\\"b\\\"\"\n"),
        "{info}"
    );
}

#[tokio::test]
async fn start_lock_and_poweroff() {
    let env = Env::new("exam").await;
    let frontend = env.spawn_frontend("VBoxHeadless");
    env.wait_running();
    assert!(stdout(&env.manage(&["list", "runningvms"])).contains(&env.uuid));

    let second = run(&mut env.command("VirtualBoxVM", &["--startvm", "Demo Linux"]));
    assert_eq!(second.status.code(), Some(1));
    assert!(stderr(&second).contains(
        "VirtualBoxVM: error: The machine 'Demo Linux' is already locked by a session (or being locked or unlocked)"
    ));

    assert!(
        env.manage(&["controlvm", &env.uuid, "poweroff"])
            .status
            .success()
    );
    assert!(wait_exit(frontend).status.success());
    assert_eq!(env.state(), "poweroff");
    let again = env.manage(&["controlvm", &env.uuid, "poweroff"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("VBoxManage: error: Machine 'Demo Linux' is not currently running")
    );
}

#[tokio::test]
async fn lifetime_crash_and_start_failure() {
    let env = Env::new("standard").await;
    let lived = env
        .command("VirtualBoxVM", &["--startvm", &env.uuid])
        .env("LEOVMS_DOUBLE_VM_LIFETIME", "0.3")
        .output()
        .unwrap();
    assert!(lived.status.success(), "guest shutdown after the lifetime");

    let mut crashed = env.spawn_frontend("VirtualBoxVM");
    env.wait_running();
    let mut child = crashed.0.take().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        env.state(),
        "poweroff",
        "a dead frontend's VM is not running"
    );
    let restarted = env.spawn_frontend("VBoxHeadless");
    env.wait_running();
    assert!(
        env.manage(&["controlvm", &env.uuid, "poweroff"])
            .status
            .success()
    );
    assert!(wait_exit(restarted).status.success());

    let failed = env
        .command("VBoxHeadless", &["--startvm", &env.uuid])
        .env("LEOVMS_DOUBLE_START_FAIL", "1")
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    assert!(stderr(&failed).contains("Kernel driver not installed (rc=-1908)"));
}

#[tokio::test]
async fn start_checks_media_like_virtualbox() {
    let env = Env::new("foreign").await;
    let out = run(&mut env.command("VBoxHeadless", &["--startvm", &env.uuid]));
    assert_eq!(out.status.code(), Some(1));
    let base = env.share.vm("vm-demo").base_uuid;
    assert!(
        stderr(&out).contains("of its parent medium stored in the media registry"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains(&format!("does not match UUID {{{base}}}")));

    let base_file = Path::new(&env.settings).with_file_name("vm-demo.vdi");
    std::fs::remove_file(&base_file).unwrap();
    let out = run(&mut env.command("VBoxHeadless", &["--startvm", &env.uuid]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&format!(
        "Could not open the medium '{}'.",
        base_file.display()
    )));
}

#[tokio::test]
async fn usage_errors() {
    let env = Env::new("standard").await;
    let out = env.manage(&["showvminfo", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("VBoxManage: error: Could not find a registered machine named 'nope'")
    );
    assert_eq!(env.manage(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        env.manage(&["controlvm", &env.uuid, "explode"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&mut env.command("VBoxHeadless", &[])).status.code(),
        Some(2)
    );
}
