//! `list` with the share down and nothing kept for offline use: an answer ("no machines
//! available offline", exit 0), not a failure. Runs the real `leovmsd`, activated by a
//! private session bus on the CLI's first call.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// A built binary of the workspace, next to this test's own.
fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} not found: build the workspace first: cargo build --workspace")
        })
}

/// A private session bus that starts leovmsd on the first call, with an empty home and a
/// share folder where nothing is mounted.
struct World {
    dir: PathBuf,
    bus: Child,
    address: String,
}

impl World {
    fn new() -> World {
        let dir = std::env::temp_dir().join(format!("leovms-cli-offline.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["home", "services", "media/data", "media/upload"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        std::fs::write(
            dir.join("services/org.leovms.Leovms1.service"),
            format!(
                "[D-BUS Service]\nName=org.leovms.Leovms1\nExec={}\n",
                workspace_bin("leovmsd").display()
            ),
        )
        .unwrap();
        let config = dir.join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <servicedir>{}</servicedir>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.join("bus").display(),
                dir.join("services").display()
            ),
        )
        .unwrap();
        // The activated daemon inherits the bus's environment.
        let mut bus = Command::new("dbus-daemon");
        env(&mut bus, &dir);
        let mut bus = bus
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (package dbus-daemon)");
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        assert!(!address.trim().is_empty(), "dbus-daemon printed no address");
        World {
            dir,
            bus,
            address: address.trim().to_owned(),
        }
    }

    fn cli(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leovms-cli"));
        env(&mut cmd, &self.dir);
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

fn env(cmd: &mut Command, dir: &Path) {
    cmd.env("HOME", dir.join("home"))
        .env_remove("XDG_STATE_HOME")
        .env("LEOVMS_DATA", dir.join("media/data"))
        .env("LEOVMS_UPLOAD", dir.join("media/upload"))
        .env("LEOVMS_IDLE_EXIT_SECS", "0")
        .env("LEOVMS_LOG", "warn");
}

impl Drop for World {
    fn drop(&mut self) {
        // The daemon goes when its bus goes.
        let _ = self.bus.kill();
        let _ = self.bus.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn list_with_the_share_down_and_nothing_offline_says_so_and_succeeds() {
    let w = World::new();
    let out = w.cli(&["list"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("No machines available offline: the VM share is not available"),
        "{}",
        describe(&out)
    );
    // Why the share is not there, and what to do, as `status` says it.
    assert!(text.contains("is not connected"), "{}", describe(&out));
    assert!(out.stderr.is_empty(), "{}", describe(&out));

    let out = w.cli(&["--json", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list, serde_json::json!([]), "{}", describe(&out));

    // Starting is still refused as offline (exit 11): there is nothing to start.
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert_eq!(out.status.code(), Some(11), "{}", describe(&out));
}
