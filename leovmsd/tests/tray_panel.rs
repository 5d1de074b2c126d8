//! The tray in a real panel, as a user sees it: xfce4-panel's Status Tray under Xvfb on
//! the world's private bus shows `leovms-tray`'s icon; a right click opens its menu,
//! which lists the share's VMs; choosing a snapshot with the keyboard starts the VM, and
//! the icon turns from the idle blue to the running green.
//!
//! After the VM was shut down, a snapshot asks before it replaces the working copy, and
//! the keyboard opens that question on Cancel.
//!
//! A second panel in German (`LANG=de_DE.UTF-8`) shows the tray's menu in German.
//!
//! With `LEOVMS_SCREENSHOTS=<dir>` the screenshots (`tray.png`, `menu.png`,
//! `submenu.png`, `running.png`, `question.png`; in German `menu-de.png` and
//! `offline-de.png`) are saved there, e.g. for the documentation:
//! `LEOVMS_SCREENSHOTS=docs/screenshots cargo test -p leovmsd --test tray_panel`.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use leovms_testkit::panel::{ICON_SIZE, SCREEN, set_locale};
use leovms_testkit::{Panel, Rect, Shot, missing_panel_tools, workspace_bin};
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

/// Every wait has this deadline: generous, as other tests run in parallel on few cores.
const STEP: Duration = Duration::from_secs(30);

/// The tray's icon while no VM runs and no job works (`leovms-tray/src/icon.rs`): a
/// 22x22 pixmap, which the panel draws unscaled at its icon size of 24, so the colours
/// on the screen are exact.
const IDLE_RGB: [u8; 3] = [0x1E, 0x6F, 0xD9];
/// Its filling has this many pixels at least; the white ▶ on it a few.
const IDLE_MIN_PIXELS: usize = 150;
/// The icon while a VM runs: another colour, and a white window instead of the ▶.
const RUNNING_RGB: [u8; 3] = [0x2E, 0x7D, 0x32];
const WHITE: [u8; 3] = [0xFF, 0xFF, 0xFF];

/// A panel with a student's tray in it, its idle icon painted.
struct Shown {
    panel: Panel,
    /// The tray's StatusNotifierItem: its bus name and object path.
    service: String,
    item_path: String,
    /// Where the icon is on the screen.
    icon: Rect,
    /// The screen with the icon, before anything was clicked.
    shot: Shot,
}

/// Starts the panel and a student's tray in the locale `lang` (both: a user's desktop
/// session) and waits until the tray's own icon is painted in the panel, in the idle
/// colour with the white ▶; keeps that screen as `shots/<name>` when a name is given.
async fn show_tray(
    w: &World,
    lang: &str,
    scratch: &Path,
    shots: &Path,
    name: Option<&str>,
) -> Shown {
    // The panel, then the tray: ksni registers with the watcher the panel owns.
    let mut panel = Panel::start_in(lang, w.bus.address(), &w.tmp.path().join("panel"), STEP)
        .unwrap_or_else(|e| panic!("{e}"));
    let empty = panel.screenshot(scratch).unwrap();
    let mut cmd = Command::new(workspace_bin("leovms-tray"));
    w.env_for(&mut cmd);
    set_locale(&mut cmd, lang);
    // A student's menu, whatever groups the test's user has.
    cmd.env("PATH", student_path(w));
    panel.spawn("tray", cmd).unwrap();
    let item = panel
        .wait("leovms-tray to register with the watcher", STEP, || {
            panel.registered_items().into_iter().next()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let (service, item_path) = item.split_once('/').expect("<bus name>/<path>");
    let (service, item_path) = (service.to_owned(), format!("/{item_path}"));
    let conn = w.connection().await;
    let icon_name = item_property(&conn, &service, &item_path, "IconName").await;
    let icon_name = String::try_from(icon_name).unwrap();

    let painted = panel.wait("the idle icon to be painted in the panel", STEP, || {
        let shot = panel.screenshot(scratch).ok()?;
        let (n, rect) = shot.find_colour(Rect::PANEL, IDLE_RGB, 0)?;
        let (sign, _) = shot.find_colour(rect, WHITE, 0)?;
        (n >= IDLE_MIN_PIXELS && sign >= 4).then_some((rect, shot))
    });
    let (icon, tray_shot) = painted.unwrap_or_else(|e| {
        let shot = panel.screenshot(scratch).unwrap();
        let end = Rect {
            x: SCREEN.0 - 64,
            ..Rect::PANEL
        };
        let hint = if icon_name.is_empty() {
            String::new()
        } else {
            format!(
                "\nthe item's IconName is {icon_name:?}: this panel draws the icon \
                 theme's icon of that name, when the theme has one, not the IconPixmap"
            )
        };
        panic!(
            "{e}\nthe right end of the panel shows instead (pixels, colour): {:?}{hint}",
            colours(&shot, end)
        )
    });
    assert!(
        icon.w <= ICON_SIZE && icon.h <= ICON_SIZE,
        "the icon is {icon:?}: larger than the panel's icons"
    );
    assert!(
        empty.find_colour(Rect::PANEL, IDLE_RGB, 0).is_none(),
        "the empty panel already had the icon's colour"
    );
    Shown {
        panel,
        service,
        item_path,
        icon,
        shot: match name {
            Some(name) => keep(tray_shot, shots, name),
            None => tray_shot,
        },
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tray_menu_in_a_real_panel_starts_a_snapshot() {
    let Some((w, shots, scratch)) = panel_world().await else {
        return;
    };

    // English: the language of a desktop without a German locale.
    let Shown {
        panel,
        service,
        item_path,
        icon,
        shot: tray_shot,
    } = show_tray(&w, "C.UTF-8", &scratch, &shots, Some("tray.png")).await;
    let (service, item_path) = (service.as_str(), item_path.as_str());
    let conn = w.connection().await;

    // The menu as the tray publishes it (dbusmenu), once it has read the daemon: the
    // share's VMs, each a submenu holding its snapshots.
    let menu = item_property(&conn, service, item_path, "Menu").await;
    let menu_path = OwnedObjectPath::try_from(menu).unwrap();
    let layout = wait_for_layout(&conn, service, &menu_path).await;
    let top = &layout.children;
    let demo = position(top, "Demo Linux", &layout);
    position(top, "Windows 10 (demo)", &layout);
    let snapshots = &top[demo].children;
    let standard = position(snapshots, "Standard", &layout);
    position(snapshots, "Exam 2027", &layout);
    assert!(
        top[demo].selectable() && snapshots[standard].selectable(),
        "{layout:#?}"
    );

    // A right click opens the menu under the icon.
    let (x, y) = icon.center();
    panel.click(x, y, 3).unwrap();
    let (menu, menu_shot) = changed(&panel, &scratch, &tray_shot, None)
        .unwrap_or_else(|e| panic!("the menu did not open: {e}"));
    let menu_shot = keep(menu_shot, &shots, "menu.png");
    let entries = top.iter().filter(|i| i.visible() && !i.separator()).count() as u32;
    assert!(
        menu.w >= 80 && menu.h >= 15 * entries,
        "the open menu is only {menu:?}, for {entries} entries"
    );

    // The keyboard goes down to Demo Linux (nothing is selected when the menu opens;
    // GTK skips separators and disabled entries), opens its submenu, whose first entry
    // is then selected, and goes down to the snapshot.
    let mut keys = vec!["Down"; selectable_before(top, demo) + 1];
    keys.push("Right");
    panel.keys(&keys).unwrap();
    let (sub, _) = changed(&panel, &scratch, &menu_shot, Some(menu))
        .unwrap_or_else(|e| panic!("the submenu of Demo Linux did not open: {e}"));
    assert!(sub.w >= 60 && sub.h >= 20, "the submenu is only {sub:?}");
    panel
        .keys(&vec!["Down"; selectable_before(snapshots, standard)])
        .unwrap();
    let submenu_shot = panel
        .wait("the screen to settle", STEP, || stable(&panel, &scratch))
        .unwrap();
    keep(submenu_shot, &shots, "submenu.png");
    // The keys were counted on the entries as they still are.
    let now = layout_of(&conn, service, &menu_path).await;
    assert_eq!(
        (
            outline(&now.children),
            outline(&now.children[demo].children)
        ),
        (outline(top), outline(snapshots)),
        "the menu changed while it was open"
    );

    panel.keys(&["Return"]).unwrap();
    w.wait_machine_state("vm-demo", "running").await;

    // The icon shows the running VM: green with a white window, the blue gone.
    let running = panel.wait("the running icon to be painted in the panel", STEP, || {
        let shot = panel.screenshot(&scratch).ok()?;
        let (n, rect) = shot.find_colour(Rect::PANEL, RUNNING_RGB, 0)?;
        let (sign, _) = shot.find_colour(rect, WHITE, 0)?;
        let idle_gone = shot.find_colour(Rect::PANEL, IDLE_RGB, 0).is_none();
        (n >= IDLE_MIN_PIXELS && sign >= 4 && idle_gone).then_some((rect, shot))
    });
    let (running_icon, running_shot) = running.unwrap_or_else(|e| {
        let shot = panel.screenshot(&scratch).unwrap();
        panic!(
            "{e}\nwhere the icon was, the panel shows (pixels, colour): {:?}",
            colours(&shot, icon)
        )
    });
    keep(running_shot, &shots, "running.png");
    assert!(
        running_icon.w <= ICON_SIZE && running_icon.h <= ICON_SIZE,
        "the running icon is {running_icon:?}"
    );
    let jobs = w.cli_json(&["jobs"]);
    let started: Vec<_> = jobs
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["kind"] == "start")
        .map(|j| (j["vm"].as_str().unwrap(), j["snapshot"].as_str().unwrap()))
        .collect();
    assert_eq!(started, [("vm-demo", "standard")], "{jobs}");

    // The student shuts the VM down; what was done in it stays in the working copy. Now
    // a snapshot asks before it replaces that, and the keyboard opens the question on
    // Cancel: Right and Return change nothing.
    let out = w.cli(&["stop", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    w.wait_machine_state("vm-demo", "off").await;
    // The pointer leaves the icon, so that no tooltip opens below the panel: that is
    // empty now, as when the tray came, and the screen to come back to.
    let (away_x, away_y) = (10, Rect::BELOW_PANEL.y + Rect::BELOW_PANEL.h - 10);
    panel.point_at(away_x, away_y).unwrap();
    let idle = panel
        .wait("the idle icon again, nothing below the panel", STEP, || {
            let shot = stable(&panel, &scratch)?;
            let idle = shot.find_colour(Rect::PANEL, IDLE_RGB, 0).is_some();
            let running = shot.find_colour(Rect::PANEL, RUNNING_RGB, 0).is_some();
            let empty = shot.diff(&tray_shot, Rect::BELOW_PANEL, None).is_none();
            (idle && !running && empty).then_some(shot)
        })
        .unwrap();
    let layout = wait_until_layout(&conn, service, &menu_path, "the question", |l| {
        l.children.iter().any(|i| {
            i.label == "Demo Linux"
                && i.children
                    .iter()
                    .any(|s| s.label == "Exam 2027" && !s.children.is_empty())
        })
    })
    .await;
    let top = &layout.children;
    let demo = position(top, "Demo Linux", &layout);
    let entries = &top[demo].children;
    let exam = position(entries, "Exam 2027", &layout);
    let question = &entries[exam].children;
    let cancel = position(question, "Cancel", &layout);
    let yes = position(question, "Yes, discard and start", &layout);
    assert_eq!(
        (
            selectable_before(question, cancel),
            selectable_before(question, yes)
        ),
        (0, 1),
        "Cancel is not the first answer: {layout:#?}"
    );
    // Down to Demo Linux and into it (its first entry one can choose is selected), down
    // to Exam 2027 and into its question.
    let mut to_demo = vec!["Down"; selectable_before(top, demo) + 1];
    to_demo.push("Right");
    let mut to_exam = vec!["Down"; selectable_before(entries, exam)];
    to_exam.push("Right");
    let asked = |before: &Shot, name: Option<&str>| -> Shot {
        panel.click(x, y, 3).unwrap();
        let (menu, shot) = changed(&panel, &scratch, before, None)
            .unwrap_or_else(|e| panic!("the menu did not open again: {e}"));
        panel.keys(&to_demo).unwrap();
        let (sub, shot) = changed(&panel, &scratch, &shot, Some(menu))
            .unwrap_or_else(|e| panic!("the submenu of Demo Linux did not open: {e}"));
        panel.keys(&to_exam).unwrap();
        let (_, shot) = changed(&panel, &scratch, &shot, Some(sub))
            .unwrap_or_else(|e| panic!("the question did not open: {e}"));
        match name {
            Some(name) => keep(shot, &shots, name),
            None => shot,
        }
    };
    asked(&idle, Some("question.png"));
    panel.keys(&["Return"]).unwrap();
    panel.point_at(away_x, away_y).unwrap();
    let closed = panel
        .wait("the menu to close", STEP, || {
            let shot = stable(&panel, &scratch)?;
            shot.diff(&idle, Rect::BELOW_PANEL, None)
                .is_none()
                .then_some(shot)
        })
        .unwrap();
    // The same way again, one entry further down: Yes.
    asked(&closed, None);
    panel.keys(&["Down", "Return"]).unwrap();
    w.wait_machine_state("vm-demo", "running").await;
    // The tray logs every click in order before it calls the daemon: Cancel asked for
    // nothing.
    let clicks: Vec<String> = panel
        .log("tray")
        .lines()
        .filter_map(|l| l.split_once("clicked: ").map(|(_, what)| what.to_owned()))
        .collect();
    assert_eq!(
        clicks,
        [
            "start vm-demo from snapshot standard",
            "start vm-demo from snapshot exam"
        ]
    );
    let out = w.cli(&["stop", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    w.wait_machine_state("vm-demo", "off").await;
}

/// A desktop in German (`LANG=de_DE.UTF-8`, the panel too) gets the tray's menu in
/// German: read from the menu the panel shows (dbusmenu), and opened with the mouse and
/// the keyboard for the screenshots `menu-de.png` and `offline-de.png`.
#[tokio::test(flavor = "multi_thread")]
async fn the_tray_menu_in_a_german_panel_is_german() {
    let Some((w, shots, scratch)) = panel_world().await else {
        return;
    };
    let shown = show_tray(&w, "de_DE.UTF-8", &scratch, &shots, None).await;
    let (panel, service) = (&shown.panel, shown.service.as_str());
    let conn = w.connection().await;
    let menu = item_property(&conn, service, &shown.item_path, "Menu").await;
    let menu_path = OwnedObjectPath::try_from(menu).unwrap();
    let layout = wait_for_layout(&conn, service, &menu_path).await;

    // The share's names stay as they are; the tray's own words are German.
    let top = &layout.children;
    assert_eq!(
        labels(top),
        ["Demo Linux", "Windows 10 (demo)", "Offline-Nutzung"],
        "{layout:#?}"
    );
    let offline = position(top, "Offline-Nutzung", &layout);
    assert_eq!(
        labels(&top[offline].children),
        [
            "Demo Linux",
            "Windows 10 (demo)",
            "Jetzt abgleichen",
            "Kein Zwischenspeicher für die Offline-Nutzung eingerichtet"
        ],
        "{layout:#?}"
    );
    let default = w.machine("vm-demo")["ram_default_mb"].as_u64().unwrap();
    let demo = &top[position(top, "Demo Linux", &layout)].children;
    let ram = &demo[position(
        demo,
        &format!("Arbeitsspeicher (RAM): {default} MB"),
        &layout,
    )];
    position(&ram.children, &format!("{default} MB (Standard)"), &layout);
    position(demo, "    Zuständig: mueller", &layout);

    // The menu on the screen, and its Offline-Nutzung opened with the keyboard.
    let (x, y) = shown.icon.center();
    panel.click(x, y, 3).unwrap();
    let (menu, menu_shot) = changed(panel, &scratch, &shown.shot, None)
        .unwrap_or_else(|e| panic!("the menu did not open: {e}"));
    let menu_shot = keep(menu_shot, &shots, "menu-de.png");
    let mut keys = vec!["Down"; selectable_before(top, offline) + 1];
    keys.push("Right");
    panel.keys(&keys).unwrap();
    let (sub, shot) = changed(panel, &scratch, &menu_shot, Some(menu))
        .unwrap_or_else(|e| panic!("the submenu Offline-Nutzung did not open: {e}"));
    assert!(sub.w >= 60 && sub.h >= 20, "the submenu is only {sub:?}");
    keep(shot, &shots, "offline-de.png");
}

/// A share and its daemon for a test in the real panel, with where its screenshots go and
/// a scratch file for the ones in between; `None` (skipped, with the reason) where the
/// panel's tools are missing.
async fn panel_world() -> Option<(World, PathBuf, PathBuf)> {
    let missing = missing_panel_tools();
    if skip_unless(
        missing.is_empty(),
        &format!("a real panel needs {}", missing.join(", ")),
    ) {
        return None;
    }
    let mut w = World::new().await;
    w.start_daemon().await;
    let shots = screenshot_dir(&w);
    let scratch = w.tmp.path().join("scratch.png");
    Some((w, shots, scratch))
}

/// The labels of the entries that have one (not the separators).
fn labels(items: &[MenuItem]) -> Vec<&str> {
    items
        .iter()
        .filter(|i| i.visible() && !i.separator())
        .map(|i| i.label.as_str())
        .collect()
}

/// `PATH` with an `id` first that names a student's groups: the tray shows the menu of
/// a user who is not in p_leovms (it reads the groups with `id -Gn`).
fn student_path(w: &World) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = w.tmp.path().join("student-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let real = leovms_testkit::find_in_path("id").expect("id (coreutils)");
    let script = format!(
        "#!/bin/sh\n\
         if [ \"$1\" = -Gn ] && [ $# -eq 1 ]; then echo 'pupil students'; exit 0; fi\n\
         exec '{}' \"$@\"\n",
        real.display()
    );
    let id = bin.join("id");
    std::fs::write(&id, script).unwrap();
    std::fs::set_permissions(&id, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Where the screenshots go: `$LEOVMS_SCREENSHOTS` (a relative path is taken from the
/// workspace's root, as cargo runs tests in the crate's folder), else the world's folder.
fn screenshot_dir(w: &World) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::var_os("LEOVMS_SCREENSHOTS")
        .map(|dir| root.join(dir))
        .unwrap_or_else(|| w.tmp.path().join("screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Keeps `shot` as `dir/name`.
fn keep(mut shot: Shot, dir: &Path, name: &str) -> Shot {
    let path = dir.join(name);
    std::fs::copy(&shot.path, &path).unwrap();
    shot.path = path;
    shot
}

/// A screenshot once two in a row are the same: nothing is being drawn.
fn stable(panel: &Panel, scratch: &Path) -> Option<Shot> {
    let first = panel.screenshot(scratch).ok()?;
    std::thread::sleep(Duration::from_millis(100));
    let second = panel.screenshot(scratch).ok()?;
    (first.diff(&second, full_screen(), None).is_none()).then_some(second)
}

/// Waits until the screen below the panel (outside `except`) differs from `before`
/// and is drawn completely; the bounding box of what changed, and the screenshot.
fn changed(
    panel: &Panel,
    scratch: &Path,
    before: &Shot,
    except: Option<Rect>,
) -> std::io::Result<(Rect, Shot)> {
    panel.wait("the screen below the panel to change", STEP, || {
        let shot = stable(panel, scratch)?;
        let (_, rect) = shot.diff(before, Rect::BELOW_PANEL, except)?;
        Some((rect, shot))
    })
}

fn full_screen() -> Rect {
    Rect {
        x: 0,
        y: 0,
        w: SCREEN.0,
        h: SCREEN.1,
    }
}

/// The most frequent colours in `area`, as (pixels, `#RRGGBB`).
fn colours(shot: &Shot, area: Rect) -> Vec<(usize, String)> {
    let mut count: HashMap<[u8; 3], usize> = HashMap::new();
    shot.find(area, |_, _, p| {
        *count.entry(p).or_default() += 1;
        false
    });
    let mut list: Vec<(usize, String)> = count
        .into_iter()
        .map(|(p, n)| (n, format!("#{:02X}{:02X}{:02X}", p[0], p[1], p[2])))
        .collect();
    list.sort_unstable_by(|a, b| b.cmp(a));
    list.truncate(6);
    list
}

/// One entry of a dbusmenu layout.
#[derive(Debug)]
struct MenuItem {
    label: String,
    props: HashMap<String, String>,
    children: Vec<MenuItem>,
}

impl MenuItem {
    fn visible(&self) -> bool {
        self.props.get("visible").is_none_or(|v| v == "true")
    }

    /// Whether the keyboard can select it: visible, enabled, not a separator.
    fn selectable(&self) -> bool {
        self.visible() && self.props.get("enabled").is_none_or(|v| v == "true") && !self.separator()
    }

    fn separator(&self) -> bool {
        self.props.get("type").is_some_and(|v| v == "separator")
    }

    /// The entry from a `(ia{sv}av)` structure.
    fn from_value(v: &Value) -> MenuItem {
        let v = unwrap_variant(v);
        let Value::Structure(s) = v else {
            panic!("a menu entry is no structure: {v}")
        };
        let [Value::I32(_id), Value::Dict(props), Value::Array(children)] = s.fields() else {
            panic!("a menu entry is no (ia{{sv}}av): {v}")
        };
        MenuItem::new(
            props.iter().map(|(k, v)| (text(k), text(v))).collect(),
            children.inner().iter(),
        )
    }

    fn new<'a>(
        props: HashMap<String, String>,
        children: impl Iterator<Item = &'a Value<'a>>,
    ) -> MenuItem {
        MenuItem {
            label: props.get("label").cloned().unwrap_or_default(),
            props,
            children: children.map(MenuItem::from_value).collect(),
        }
    }
}

/// A string as it is, anything else as GVariant text (`true`, `42`).
fn text(v: &Value) -> String {
    match unwrap_variant(v) {
        Value::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

fn unwrap_variant<'a>(mut v: &'a Value<'a>) -> &'a Value<'a> {
    while let Value::Value(inner) = v {
        v = inner;
    }
    v
}

/// The entries' labels and whether the keyboard stops at them.
fn outline(items: &[MenuItem]) -> Vec<(&str, bool)> {
    items
        .iter()
        .map(|i| (i.label.as_str(), i.selectable()))
        .collect()
}

/// How many entries before `index` the keyboard stops at.
fn selectable_before(items: &[MenuItem], index: usize) -> usize {
    items[..index].iter().filter(|i| i.selectable()).count()
}

/// A property of the StatusNotifierItem at `service`/`item`.
async fn item_property(
    conn: &zbus::Connection,
    service: &str,
    item: &str,
    name: &str,
) -> OwnedValue {
    let props = zbus::fdo::PropertiesProxy::builder(conn)
        .destination(service.to_owned())
        .unwrap()
        .path(item.to_owned())
        .unwrap()
        .build()
        .await
        .unwrap();
    let iface = zbus::names::InterfaceName::try_from("org.kde.StatusNotifierItem").unwrap();
    props.get(iface, name).await.unwrap()
}

/// The whole menu, as the panel reads it.
async fn layout_of(conn: &zbus::Connection, service: &str, menu: &OwnedObjectPath) -> MenuItem {
    let reply = conn
        .call_method(
            Some(service),
            menu.as_str(),
            Some("com.canonical.dbusmenu"),
            "GetLayout",
            &(0i32, -1i32, Vec::<String>::new()),
        )
        .await
        .unwrap();
    type Entry = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);
    let (_revision, (_id, props, children)): (u32, Entry) = reply.body().deserialize().unwrap();
    let props = props.iter().map(|(k, v)| (k.clone(), text(v))).collect();
    let children: Vec<Value> = children.into_iter().map(Value::from).collect();
    MenuItem::new(props, children.iter())
}

/// The menu once it lists Demo Linux with its snapshot Standard (the tray reads the
/// daemon after it registered).
async fn wait_for_layout(
    conn: &zbus::Connection,
    service: &str,
    menu: &OwnedObjectPath,
) -> MenuItem {
    wait_until_layout(conn, service, menu, "Demo Linux with its snapshots", |l| {
        l.children
            .iter()
            .any(|i| i.label == "Demo Linux" && i.children.iter().any(|s| s.label == "Standard"))
    })
    .await
}

/// The menu once `ready` says it shows `what`.
async fn wait_until_layout(
    conn: &zbus::Connection,
    service: &str,
    menu: &OwnedObjectPath,
    what: &str,
    ready: impl Fn(&MenuItem) -> bool,
) -> MenuItem {
    let end = tokio::time::Instant::now() + STEP;
    loop {
        let layout = layout_of(conn, service, menu).await;
        if ready(&layout) {
            return layout;
        }
        if tokio::time::Instant::now() >= end {
            panic!("the menu never showed {what}:\n{layout:#?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where the entry labelled `label` is among `items`.
fn position(items: &[MenuItem], label: &str, layout: &MenuItem) -> usize {
    items
        .iter()
        .position(|i| i.label == label)
        .unwrap_or_else(|| panic!("no {label:?} in the menu:\n{layout:#?}"))
}
