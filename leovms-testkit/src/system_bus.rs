//! A private system bus as a PC has one: the bus policy of the PC's own `system.conf`
//! with polkit's and leovms' packaged policy files, a real `polkitd` on it, and the
//! store service running as its own user. Needs root (polkitd runs as root in a mount
//! namespace of its own, where it sees only the actions and rules the test gives).

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::bus::{Bus, bus_dir};
use crate::users::LocalUser;

/// The PC's system bus configuration and polkit's, as the packages install them.
const SYSTEM_CONF: &str = "/usr/share/dbus-1/system.conf";
const POLKIT_BUS_POLICY: &str = "/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf";
const POLKITD: &str = "/usr/lib/polkit-1/polkitd";
/// `DBUS_SYSTEM_BUS_ADDRESS` of a PC without a system bus (so without the store
/// service): what every daemon of a test gets unless the test gives it a [`SystemBus`].
pub const NO_SYSTEM_BUS: &str = "unix:path=/nonexistent/leovms-test-system-bus";

/// The store's user in the packaged files, replaced by the test's.
const PACKAGED_USER: &str = "leovms";

/// What a system bus test needs that a developer's laptop may lack.
pub fn system_bus_missing() -> Option<String> {
    [
        SYSTEM_CONF,
        POLKIT_BUS_POLICY,
        POLKITD,
        "/usr/bin/unshare",
        "/usr/bin/gdbus",
    ]
    .iter()
    .find(|p| !Path::new(p).exists())
    .map(|p| format!("{p} is missing (packages dbus-daemon, polkitd, util-linux, libglib2.0-bin)"))
}

pub struct SystemBus {
    bus: Bus,
}

impl SystemBus {
    /// Starts the bus with the PC's policy plus `store_policy` (the packaged
    /// `org.leovms.Store1.conf`), whose name only `store_user` may own.
    pub fn start(store_policy: &Path, store_user: &str) -> io::Result<SystemBus> {
        let dir = bus_dir()?;
        // Every user connects: the socket's folder must be open to them.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let leovms = dir.path().join("org.leovms.Store1.conf");
        std::fs::write(
            &leovms,
            with_user(&std::fs::read_to_string(store_policy)?, store_user),
        )?;
        let config = private_system_conf(
            &std::fs::read_to_string(SYSTEM_CONF)?,
            &dir.path().join("bus"),
            &[Path::new(POLKIT_BUS_POLICY), &leovms],
        )?;
        let bus = Bus::spawn(
            Command::new("dbus-daemon"),
            dir,
            &config,
            "system dbus-daemon",
        )?;
        Ok(SystemBus { bus })
    }

    /// The address for `DBUS_SYSTEM_BUS_ADDRESS`.
    pub fn address(&self) -> &str {
        self.bus.address()
    }

    /// Waits until someone owns `name` (`gdbus wait`, no polling), at most 60 s.
    pub fn wait_for(&self, name: &str) -> io::Result<()> {
        let status = Command::new("gdbus")
            .args(["wait", "--system", "--timeout", "60", name])
            .env("DBUS_SYSTEM_BUS_ADDRESS", self.address())
            .stdin(Stdio::null())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "nobody took {name} on the system bus"
            )))
        }
    }
}

/// `polkitd` on a private system bus, seeing only the given action files and rules.
pub struct Polkit {
    child: Child,
    _dir: TempDir,
}

impl Polkit {
    /// Starts polkitd with the packaged `policy` (its owner annotation naming
    /// `store_user`) as its only action file and `rules` (JavaScript) as its only rules.
    pub fn start(
        bus: &SystemBus,
        policy: &Path,
        store_user: &str,
        rules: &str,
    ) -> io::Result<Polkit> {
        let dir = tempfile::Builder::new()
            .prefix("leovms-polkit.")
            .tempdir()?;
        let actions = dir.path().join("actions");
        let rules_dir = dir.path().join("rules.d");
        for (folder, name, text) in [
            (
                &actions,
                policy.file_name().unwrap_or_default(),
                with_user(&std::fs::read_to_string(policy)?, store_user),
            ),
            (&rules_dir, "50-test.rules".as_ref(), rules.to_owned()),
        ] {
            std::fs::create_dir(folder)?;
            std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755))?;
            let file = folder.join(name);
            std::fs::write(&file, text)?;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))?;
        }
        let child = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(
                "mount --bind \"$1\" /usr/share/polkit-1/actions && \
                 mount --bind \"$2\" /etc/polkit-1/rules.d && exec \"$3\" --no-debug",
            )
            .arg("sh")
            .args([&actions, &rules_dir, &PathBuf::from(POLKITD)])
            .env("DBUS_SYSTEM_BUS_ADDRESS", bus.address())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()?;
        let polkit = Polkit { child, _dir: dir };
        bus.wait_for("org.freedesktop.PolicyKit1")?;
        Ok(polkit)
    }
}

impl Drop for Polkit {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `leovms-stored` running as `user` on `bus`, with its store at `root` and its settings
/// file at `conf`.
pub struct StoreService {
    child: Option<Child>,
    pub log: PathBuf,
}

impl StoreService {
    /// Starts the service and waits until it says it serves its name (its log goes to
    /// `log`), so that a restarted service is the one that answers.
    pub fn start(
        bus: &SystemBus,
        bin: &Path,
        user: &LocalUser,
        root: &Path,
        conf: &Path,
        log: &Path,
    ) -> io::Result<StoreService> {
        let mut child = user
            .command(bin)
            .env("DBUS_SYSTEM_BUS_ADDRESS", bus.address())
            .env("LEOVMS_STORE_ROOT", root)
            .env("LEOVMS_STORE_CONF", conf)
            .env("LEOVMS_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let (ready, serving) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().expect("piped");
        let mut file = std::fs::File::create(log)?;
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(file, "{line}");
                if line.contains("serving org.leovms.Store1") {
                    let _ = ready.send(());
                }
            }
        });
        let mut service = StoreService {
            child: Some(child),
            log: log.to_owned(),
        };
        if serving.recv_timeout(Duration::from_secs(60)).is_err() {
            service.kill();
            return Err(io::Error::other(format!(
                "leovms-stored did not start:\n{}",
                service.log_text()
            )));
        }
        Ok(service)
    }

    /// Ends the service at once (`kill -9`), as a crash or power cut would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for StoreService {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The test's user of the store service (the package's `leovms`).
pub const STORE_USER: &str = "leovms-t-store";

/// A PC with the store: its system bus, polkitd with the packaged actions, and
/// `leovms-stored` as [`STORE_USER`] with its store in `<dir>/store` and its settings
/// file `<dir>/store.toml`. The PC has no seat and no logind: a rule stands in for
/// `allow_active` (of storing and pre-warming), for the users `at_the_pc` only; everyone else gets what the packaged
/// policy gives a user who is not at the PC.
pub struct StorePc {
    pub root: PathBuf,
    pub conf: PathBuf,
    pub bus: SystemBus,
    _polkit: Polkit,
    pub service: StoreService,
    pub store_user: LocalUser,
    dir: PathBuf,
}

impl StorePc {
    /// `dir` must be open to every user (mode 0755), as the folders above a PC's store are.
    pub fn start(dir: &Path, conf: &str, at_the_pc: &[&str]) -> io::Result<StorePc> {
        let store_user = LocalUser::ensure(STORE_USER)?;
        let root = dir.join("store");
        std::fs::create_dir(&root)?;
        std::os::unix::fs::chown(&root, Some(store_user.uid), Some(store_user.gid))?;
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755))?;
        let conf_file = dir.join("store.toml");
        std::fs::write(&conf_file, conf)?;
        let bus = SystemBus::start(&packaged("dbus/system/org.leovms.Store1.conf"), STORE_USER)?;
        let mut users: Vec<String> = at_the_pc
            .iter()
            .map(|u| format!("subject.user == {u:?}"))
            .collect();
        if users.is_empty() {
            users.push("false".into());
        }
        let rule = format!(
            "polkit.addRule(function(action, subject) {{\n    if ((action.id == \"org.leovms.store.add\" || action.id == \"org.leovms.store.prewarm\") && ({})) {{\n        return polkit.Result.YES;\n    }}\n}});\n",
            users.join(" || ")
        );
        let polkit = Polkit::start(
            &bus,
            &packaged("packaging/polkit/org.leovms.store.policy"),
            STORE_USER,
            &rule,
        )?;
        let service = StoreService::start(
            &bus,
            &crate::workspace_bin("leovms-stored"),
            &store_user,
            &root,
            &conf_file,
            &dir.join("leovms-stored.1.log"),
        )?;
        Ok(StorePc {
            root,
            conf: conf_file,
            bus,
            _polkit: polkit,
            service,
            store_user,
            dir: dir.to_owned(),
        })
    }

    /// Kills the service (`kill -9`) and starts it again, as the bus would on the next
    /// call; its log goes to `leovms-stored.<run>.log`.
    pub fn restart_service(&mut self, run: u32) -> io::Result<()> {
        self.service.kill();
        let log = self.dir.join(format!("leovms-stored.{run}.log"));
        self.service = StoreService::start(
            &self.bus,
            &crate::workspace_bin("leovms-stored"),
            &self.store_user,
            &self.root,
            &self.conf,
            &log,
        )?;
        Ok(())
    }
}

/// A file of the project as the package ships it.
fn packaged(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// A packaged file with the test's user in place of the packaged one.
fn with_user(text: &str, user: &str) -> String {
    text.replace(
        &format!("user=\"{PACKAGED_USER}\""),
        &format!("user=\"{user}\""),
    )
    .replace(
        &format!("unix-user:{PACKAGED_USER}<"),
        &format!("unix-user:{user}<"),
    )
}

/// The PC's `system.conf` for a bus of the test's own: its policy as it is, but listening
/// on `socket`, run by the caller in the foreground, and with `includes` in place of the
/// PC's policy folders (whose other services a test does not need).
fn private_system_conf(system: &str, socket: &Path, includes: &[&Path]) -> io::Result<String> {
    let includes: String = includes
        .iter()
        .map(|p| format!("<include>{}</include>\n  ", p.display()))
        .collect();
    let mut conf = system.to_owned();
    let changes: [(&str, &str); 10] = [
        ("<user>messagebus</user>", ""),
        ("<fork/>", ""),
        ("<pidfile>/run/dbus/pid</pidfile>", ""),
        ("<syslog/>", ""),
        ("<standard_system_servicedirs/>", ""),
        (
            "<servicehelper>/usr/lib/dbus-1.0/dbus-daemon-launch-helper</servicehelper>",
            "",
        ),
        (
            "<listen>unix:path=/run/dbus/system_bus_socket</listen>",
            &format!("<listen>unix:path={}</listen>", socket.display()),
        ),
        (
            "<include ignore_missing=\"yes\">/etc/dbus-1/system.conf</include>",
            "",
        ),
        ("<includedir>system.d</includedir>", &includes),
        ("<includedir>/etc/dbus-1/system.d</includedir>", ""),
    ];
    for (from, to) in changes {
        if !conf.contains(from) {
            return Err(io::Error::other(format!(
                "{SYSTEM_CONF} has no {from}: its shape changed"
            )));
        }
        conf = conf.replace(from, to);
    }
    Ok(conf.replace(
        "<include ignore_missing=\"yes\">/etc/dbus-1/system-local.conf</include>",
        "",
    ))
}
