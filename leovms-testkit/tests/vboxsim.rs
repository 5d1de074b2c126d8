//! The demo machines pass vboxsim, the independent VirtualBox stand-in that enforces
//! VirtualBox's XSD and UUID rules: register, start headless (strict), power off.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{XSD, demo_share, lay_out_machine, run, stderr, stdout};
use leovms_testkit::require_tool;

/// shared/tools/vboxsim beside the workspace (as in CI), else the shared folder of the
/// development machine.
fn vboxsim_dir() -> Option<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tools/vboxsim");
    [beside, PathBuf::from("/work/shared/tools/vboxsim")]
        .into_iter()
        .find(|dir| dir.join("VBoxManage").is_file())
}

struct Sim {
    dir: PathBuf,
    home: PathBuf,
}

impl Sim {
    fn manage(&self, args: &[&str]) -> std::process::Output {
        run(Command::new(self.dir.join("VBoxManage"))
            .args(args)
            .env("VBOX_USER_HOME", &self.home)
            .env("VBOXSIM_STRICT", "1")
            .env("VBOXSIM_XSD", XSD)
            .env("VBOXSIM_HOST_MEMORY_MB", "8192"))
    }

    fn state(&self, vm: &str) -> String {
        let out = self.manage(&["showvminfo", vm, "--machinereadable"]);
        stdout(&out)
            .lines()
            .find_map(|l| {
                l.strip_prefix("VMState=")
                    .map(|s| s.trim_matches('"').to_owned())
            })
            .unwrap_or_default()
    }
}

/// Powers off whatever is still running, so that no simulated VM outlives a failed test.
struct PowerOff<'a>(&'a Sim, String);

impl Drop for PowerOff<'_> {
    fn drop(&mut self) {
        if self.0.state(&self.1) == "running" {
            self.0.manage(&["controlvm", &self.1, "poweroff"]);
        }
    }
}

#[tokio::test]
async fn vboxsim_registers_starts_and_powers_off_the_demo_machines() {
    let Some(dir) = vboxsim_dir() else {
        eprintln!(
            "SKIPPED: shared/tools/vboxsim not found beside the workspace or in /work/shared"
        );
        return;
    };
    if !require_tool("python3") || !require_tool("xmllint") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let share = demo_share(tmp.path(), true).await;
    let machines = tmp.path().join("machines");
    let sim = Sim {
        dir,
        home: tmp.path().join("vbox"),
    };
    // vm-demo on its exam snapshot: the template remapped to another diff UUID.
    for (vm, snapshot) in [("vm-demo", "exam"), ("vm-win", "standard")] {
        let settings = lay_out_machine(&share, &machines, vm, snapshot).await;
        let uuid = share.vm(vm).machine_uuid.to_string();
        assert!(
            sim.manage(&["registervm", settings.to_str().unwrap()])
                .status
                .success()
        );
        let guard = PowerOff(&sim, uuid.clone());
        assert!(
            sim.manage(&["startvm", &uuid, "--type", "headless"])
                .status
                .success()
        );
        assert_eq!(sim.state(&uuid), "running");
        assert!(
            sim.manage(&["controlvm", &uuid, "poweroff"])
                .status
                .success()
        );
        assert_eq!(sim.state(&uuid), "poweroff");
        drop(guard);
    }
}

#[tokio::test]
async fn vboxsim_refuses_the_foreign_snapshot() {
    let Some(dir) = vboxsim_dir() else {
        eprintln!(
            "SKIPPED: shared/tools/vboxsim not found beside the workspace or in /work/shared"
        );
        return;
    };
    if !require_tool("python3") || !require_tool("xmllint") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let share = demo_share(tmp.path(), true).await;
    let settings =
        lay_out_machine(&share, &tmp.path().join("machines"), "vm-demo", "foreign").await;
    let sim = Sim {
        dir,
        home: tmp.path().join("vbox"),
    };
    let out = sim.manage(&["registervm", settings.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("does not match UUID"),
        "parent UUID mismatch reported"
    );
}
