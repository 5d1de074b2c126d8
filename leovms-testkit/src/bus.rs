//! A private D-Bus session bus for one test, so tests never touch the user's session bus
//! and can run in parallel.

use std::io::{self, BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

/// A `dbus-daemon` of its own, listening on a socket in a temporary directory.
/// The daemon is killed when the value is dropped.
#[derive(Debug)]
pub struct Bus {
    child: Child,
    address: String,
    _dir: TempDir,
}

impl Bus {
    /// Starts the daemon and waits until it printed its address (= it is listening).
    pub fn start() -> io::Result<Bus> {
        let dir = tempfile::Builder::new().prefix("leovms-bus.").tempdir()?;
        let config = dir.path().join("session.conf");
        std::fs::write(&config, session_config(&dir.path().join("bus")))?;
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        BufReader::new(stdout).read_line(&mut line)?;
        let address = line.trim().to_owned();
        if address.is_empty() {
            let status = child.wait()?;
            return Err(io::Error::other(format!(
                "dbus-daemon printed no address ({status})"
            )));
        }
        Ok(Bus {
            child,
            address,
            _dir: dir,
        })
    }

    /// The address for `DBUS_SESSION_BUS_ADDRESS` or a zbus connection builder.
    pub fn address(&self) -> &str {
        &self.address
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A session bus that lets the current user do everything: tests check leovms' own
/// authorization, not the bus policy.
fn session_config(socket: &std::path::Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        socket.display()
    )
}
