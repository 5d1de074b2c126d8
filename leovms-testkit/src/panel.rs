//! A real desktop panel for tray tests: Xvfb, `xfce4-panel` and `xfconfd` on a private
//! D-Bus, plus screenshots, mouse clicks and key presses.
//!
//! The panel's Status Tray plugin (`systray`) is the StatusNotifier host and owns
//! `org.kde.StatusNotifierWatcher`; it shows a tray's icon and opens its menu (dbusmenu)
//! as a GTK menu. The panel gets a fixed layout (one panel across the top, a separator
//! and the Status Tray) and an environment of its own: its configuration, cache and
//! runtime files live in a test's folder, never in `~`, and nothing of a developer's
//! desktop session (Wayland, session manager, accessibility bus) reaches it.
//!
//! Screenshots, clicks and keys are in `screen`, what the panel's bus says in `watcher`.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

use crate::tools::find_in_path;

mod screen;
mod watcher;

pub use screen::{Rect, Shot};

/// The screen Xvfb emulates, in pixels.
pub const SCREEN: (u32, u32) = (800, 400);
/// The panel's height: it lies across the top of the screen, from y = 0.
pub const PANEL_HEIGHT: u32 = 32;
/// The size the Status Tray draws icons at.
pub const ICON_SIZE: u32 = 24;

/// The tools a panel needs, as found on `PATH`.
const TOOLS: [(&str, &str); 6] = [
    ("Xvfb", "xvfb"),
    ("xfce4-panel", "xfce4-panel"),
    ("xdotool", "xdotool"),
    ("import", "imagemagick"),
    ("convert", "imagemagick"),
    ("gdbus", "libglib2.0-bin"),
];

/// xfconfd's D-Bus activation file, which names where the daemon is installed.
const XFCONF_SERVICE: &str = "dbus-1/services/org.xfce.Xfconf.service";

/// Polls are this far apart.
const POLL: Duration = Duration::from_millis(100);

/// The tools (and their Debian packages) missing for a panel; empty when it can run.
pub fn missing_panel_tools() -> Vec<String> {
    let mut missing: Vec<String> = TOOLS
        .iter()
        .filter(|(tool, _)| find_in_path(tool).is_none())
        .map(|(tool, package)| format!("{tool} ({package})"))
        .collect();
    if xfconfd_path().is_none() {
        missing.push("xfconfd (xfconf)".into());
    }
    missing
}

/// Where `xfconfd` is installed (an architecture-specific libexec folder), as its D-Bus
/// activation file says.
fn xfconfd_path() -> Option<PathBuf> {
    let dirs = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    dirs.split(':')
        .filter_map(|dir| std::fs::read_to_string(Path::new(dir).join(XFCONF_SERVICE)).ok())
        .find_map(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("Exec="))
                .map(|exec| PathBuf::from(exec.split_whitespace().next().unwrap_or_default()))
        })
        .filter(|path| path.is_file())
}

/// The panel's layout: one panel across the top (32 px, icons at 24 px) holding an
/// expanding separator and the Status Tray, so that tray icons sit at the right end.
/// No clock: screenshots do not change with the time.
const PANEL_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="icon-size" type="uint" value="24"/>
      <property name="plugin-ids" type="array"><value type="int" value="1"/><value type="int" value="2"/></property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/><property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
"#;

/// One process of the panel, stopped when the panel is dropped.
struct Proc {
    name: String,
    child: Child,
    /// Leader of a process group of its own (the panel and its plugin wrappers).
    group: bool,
}

/// Xvfb + xfconfd + xfce4-panel on a given bus, and the processes started in it.
/// Everything is stopped when the value is dropped, also when a test panics.
pub struct Panel {
    dir: PathBuf,
    bus: String,
    display: String,
    /// The panel's `LANG`.
    lang: String,
    procs: Vec<Proc>,
}

impl Panel {
    /// Starts the panel on the bus at `bus_address`, with its files and logs in `dir`,
    /// and waits (up to `timeout` per step) until its Status Tray is the StatusNotifier
    /// host: `org.kde.StatusNotifierWatcher` says `IsStatusNotifierHostRegistered`.
    /// The panel speaks English (`LANG=C.UTF-8`).
    pub fn start(bus_address: &str, dir: &Path, timeout: Duration) -> io::Result<Panel> {
        Panel::start_in("C.UTF-8", bus_address, dir, timeout)
    }

    /// [`Panel::start`] in the locale `lang` (e.g. `de_DE.UTF-8`, which must be generated
    /// for GTK to use it): the desktop of a user of that language.
    pub fn start_in(
        lang: &str,
        bus_address: &str,
        dir: &Path,
        timeout: Duration,
    ) -> io::Result<Panel> {
        let xfconfd = xfconfd_path()
            .ok_or_else(|| io::Error::other(format!("no {XFCONF_SERVICE} naming xfconfd")))?;
        let config = dir.join("config");
        let channels = config.join("xfce4/xfconf/xfce-perchannel-xml");
        std::fs::create_dir_all(&channels)?;
        std::fs::write(channels.join("xfce4-panel.xml"), PANEL_XML)?;
        for sub in ["cache", "data", "home"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        let runtime = dir.join("run");
        std::fs::create_dir_all(&runtime)?;
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )?;
        let mut panel = Panel {
            dir: dir.to_owned(),
            bus: bus_address.to_owned(),
            display: String::new(),
            lang: lang.to_owned(),
            procs: Vec::new(),
        };

        // Xvfb picks a free display and writes its number once it accepts clients.
        let dpy_file = dir.join("display");
        let mut xvfb = Command::new("sh");
        xvfb.arg("-c")
            .arg(r#"exec Xvfb -displayfd 3 -screen 0 "$1" -nolisten tcp 3>"$2""#)
            .arg("sh")
            .arg(format!("{}x{}x24", SCREEN.0, SCREEN.1))
            .arg(&dpy_file);
        panel.spawn_logged("xvfb", xvfb, false)?;
        let number = panel.wait("Xvfb to open a display", timeout, || {
            let text = std::fs::read_to_string(&dpy_file).ok()?;
            text.ends_with('\n').then(|| text.trim().to_owned())
        })?;
        panel.display = format!(":{number}");

        // xfconfd serves the panel's configuration. Started here rather than activated
        // by the bus, so that it surely reads this folder, and is stopped with the panel.
        let mut cmd = Command::new(&xfconfd);
        panel.env(&mut cmd);
        panel.spawn_logged("xfconfd", cmd, false)?;
        panel.wait("xfconfd to own org.xfce.Xfconf", timeout, || {
            panel.name_has_owner("org.xfce.Xfconf").then_some(())
        })?;

        // Without --disable-wm-check the panel waits ~5 s for a window manager; none is
        // needed, menus open without one.
        let mut cmd = Command::new("xfce4-panel");
        cmd.arg("--disable-wm-check");
        panel.env(&mut cmd);
        panel.spawn_logged("panel", cmd, true)?;
        panel.wait(
            "the Status Tray to be the StatusNotifier host",
            timeout,
            || {
                panel
                    .watcher_property("IsStatusNotifierHostRegistered")
                    .filter(|v| v.contains("true"))
            },
        )?;
        Ok(panel)
    }

    /// The X display, e.g. `:3`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The environment the panel's processes run with: only what a desktop session of
    /// this panel would set (its language in `LANG` alone), with every per-user folder
    /// inside the panel's folder.
    pub fn env(&self, cmd: &mut Command) {
        let dir = &self.dir;
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", &self.lang)
            .env("HOME", dir.join("home"))
            .env("DISPLAY", &self.display)
            .env("GDK_BACKEND", "x11")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_RUNTIME_DIR", dir.join("run"))
            // No accessibility bus, no dconf files.
            .env("NO_AT_BRIDGE", "1")
            .env("GSETTINGS_BACKEND", "memory");
    }

    /// Starts `cmd` (whose environment the caller set; the display is added) with its
    /// output in `<dir>/<name>.log`; it is stopped with the panel.
    pub fn spawn(&mut self, name: &str, mut cmd: Command) -> io::Result<()> {
        cmd.env("DISPLAY", &self.display);
        self.spawn_logged(name, cmd, false)
    }

    fn spawn_logged(&mut self, name: &str, mut cmd: Command, group: bool) -> io::Result<()> {
        let log = std::fs::File::create(self.log_path(name))?;
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if group {
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        }
        let child = cmd
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("starting {name}: {e}")))?;
        self.procs.push(Proc {
            name: name.to_owned(),
            child,
            group,
        });
        Ok(())
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.log"))
    }

    /// The output of the process started as `name`.
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.log_path(name)).unwrap_or_default()
    }

    /// The output of every process, for a failure message.
    pub fn logs(&self) -> String {
        self.procs
            .iter()
            .map(|p| {
                let gone = if running(p.child.id()) {
                    ""
                } else {
                    " (exited)"
                };
                format!("--- {}{gone}:\n{}", p.name, self.log(&p.name))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Polls `probe` every 100 ms until it gives a value or `timeout` passed; the error
    /// says what did not happen and holds every log.
    pub fn wait<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut probe: impl FnMut() -> Option<T>,
    ) -> io::Result<T> {
        let end = Instant::now() + timeout;
        loop {
            if let Some(v) = probe() {
                return Ok(v);
            }
            if Instant::now() >= end {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "timed out after {timeout:?} waiting for {what}\n{}",
                        self.logs()
                    ),
                ));
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Panel {
    /// Stops the processes, the last started first: apps, the panel with its plugin
    /// wrappers (its whole process group), xfconfd, then Xvfb (SIGTERM, so that it
    /// removes its display's lock file and socket).
    fn drop(&mut self) {
        for p in self.procs.iter_mut().rev() {
            let pid = Pid::from_raw(p.child.id() as i32).expect("a child's pid is positive");
            if p.group {
                // The leader is not reaped yet, so the group id is still ours.
                let _ = rustix::process::kill_process_group(pid, Signal::KILL);
                let _ = p.child.wait();
                continue;
            }
            let _ = rustix::process::kill_process(pid, Signal::TERM);
            let end = Instant::now() + Duration::from_secs(5);
            while matches!(p.child.try_wait(), Ok(None)) && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
    }
}

/// Gives `cmd` the language of a desktop session in the locale `lang` (`C.UTF-8`,
/// `de_DE.UTF-8`): `LANG` alone, and none of the variables that would override it
/// (`LANGUAGE`, `LC_ALL`, `LC_MESSAGES`), whatever the tests were started with.
pub fn set_locale(cmd: &mut Command, lang: &str) {
    cmd.env_remove("LANGUAGE")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", lang);
}

/// Whether the process `pid` (a child not reaped yet) still runs, i.e. is no zombie.
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            Some(
                stat[stat.rfind(')')? + 1..]
                    .trim_start()
                    .starts_with(['Z', 'X']),
            )
        })
        == Some(false)
}

/// Runs `cmd`; its stdout when it succeeded.
fn run(cmd: &mut Command) -> io::Result<Vec<u8>> {
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{cmd:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(out.stdout)
}
