//! A private D-Bus session bus for one test, so tests never touch the user's session bus
//! and can run in parallel.

use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

use crate::users::LocalUser;

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
        let dir = bus_dir()?;
        let config = session_config(&dir.path().join("bus"), None);
        Bus::spawn(Command::new("dbus-daemon"), dir, &config, "dbus-daemon")
    }

    /// Like [`Bus::start`], with D-Bus activation of the services whose files are in
    /// `services` (a `<servicedir>`), as a login session's bus has. The bus's error
    /// output, which activated services inherit, goes to `log`; so does its environment,
    /// in which the PC has no system bus ([`NO_SYSTEM_BUS`](crate::system_bus::NO_SYSTEM_BUS)).
    pub fn start_with_services(services: &Path, log: &Path) -> io::Result<Bus> {
        let dir = bus_dir()?;
        let config = session_config(&dir.path().join("bus"), None).replace(
            "  <auth>",
            &format!(
                "  <servicedir>{}</servicedir>\n  <auth>",
                services.display()
            ),
        );
        let mut dbus_daemon = Command::new("dbus-daemon");
        dbus_daemon
            .stderr(std::fs::File::create(log)?)
            .env("DBUS_SYSTEM_BUS_ADDRESS", crate::system_bus::NO_SYSTEM_BUS);
        Bus::spawn(dbus_daemon, dir, &config, "dbus-daemon")
    }

    /// Starts the daemon as `user`, like the bus of their login session, and waits until
    /// it is listening. Root may connect too, so that the test can watch the bus.
    pub fn start_as(user: &LocalUser) -> io::Result<Bus> {
        let dir = bus_dir()?;
        user.own_dir(dir.path())?;
        let config = session_config(&dir.path().join("bus"), Some("root"));
        let who = format!("dbus-daemon of {}", user.name);
        Bus::spawn(user.command("dbus-daemon"), dir, &config, &who)
    }

    /// Runs `dbus_daemon` with `config` written to `dir`; `who` names it in errors.
    pub(crate) fn spawn(
        mut dbus_daemon: Command,
        dir: TempDir,
        config: &str,
        who: &str,
    ) -> io::Result<Bus> {
        let config_file = dir.path().join("session.conf");
        std::fs::write(&config_file, config)?;
        let mut child = dbus_daemon
            .arg(format!("--config-file={}", config_file.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        BufReader::new(stdout).read_line(&mut line)?;
        let address = line.trim().to_owned();
        if address.is_empty() {
            let status = child.wait()?;
            return Err(io::Error::other(format!(
                "{who} printed no address ({status})"
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

/// The socket's and the configuration's directory.
pub(crate) fn bus_dir() -> io::Result<TempDir> {
    tempfile::Builder::new().prefix("leovms-bus.").tempdir()
}

/// A session bus that lets the user running it (and `watcher`, a user that may connect
/// too) do everything: tests check leovms' own authorization, not the bus policy.
fn session_config(socket: &Path, watcher: Option<&str>) -> String {
    let socket = socket.display();
    let watcher = watcher
        .map(|user| format!("\n    <allow user=\"{user}\"/>"))
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">{watcher}
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
    )
}
