//! `leovms-tray` against the real daemon on a private bus: a small StatusNotifierWatcher
//! and notification server stand in for the desktop, and `gdbus` reads and clicks the
//! tray's menu (dbusmenu) the way a panel does.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::guest::{GuestPrint, guest_h};
use common::{World, describe, skip_unless};
use leovms_testkit::cups::{Cups, cups_available};
use leovms_testkit::own_vbox::{OwnMachineSpec, build_own_home, published_base_vdi};
use leovms_testkit::panel::set_locale;
use leovms_testkit::pdf::pdf_with_unembedded_font;
use leovms_testkit::{DemoOptions, find_in_path, workspace_bin};
use tokio::sync::watch;
use zbus::object_server::SignalEmitter;

const WATCHER: &str = "org.kde.StatusNotifierWatcher";
const NOTIFICATIONS: &str = "org.freedesktop.Notifications";
/// How long anything may take before a test gives up.
const PATIENCE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------
// The desktop's side: a tray host (watcher) and a notification server.

/// Records the items that register, as the panel's watcher does.
struct Watcher {
    items: watch::Sender<Vec<String>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: zbus::message::Header<'_>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> zbus::fdo::Result<()> {
        // A service is a bus name, or an object path on the caller's connection.
        let item = if service.starts_with('/') {
            let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
            format!("{sender}{service}")
        } else {
            format!("{service}/StatusNotifierItem")
        };
        self.items.send_modify(|items| items.push(item.clone()));
        Self::status_notifier_item_registered(&emitter, &item).await?;
        Ok(())
    }

    async fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items.borrow().clone()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_item_unregistered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_registered(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
}

/// One notification as shown.
#[derive(Debug, Clone, PartialEq)]
struct Note {
    app: String,
    summary: String,
    body: String,
    /// The hint `urgency` is 2 (critical): the server keeps it until it is read.
    urgent: bool,
}

/// Records every notification.
struct Notifications {
    notes: watch::Sender<Vec<Note>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
        let note = Note {
            app: app_name,
            summary,
            body,
            urgent: urgency == Some(2),
        };
        let mut id = 0;
        self.notes.send_modify(|notes| {
            notes.push(note);
            id = notes.len() as u32;
        });
        id
    }

    async fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    async fn get_server_information(&self) -> (String, String, String, String) {
        (
            "leovms-test".into(),
            "leovms".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    async fn close_notification(&self, _id: u32) {}
}

/// The desktop of one test, on the world's bus.
struct Desktop {
    conn: zbus::Connection,
    items: watch::Receiver<Vec<String>>,
    notes: watch::Receiver<Vec<Note>>,
}

impl Desktop {
    /// Connects; the watcher and the notification server are served when asked for.
    async fn new(w: &World) -> Desktop {
        let (items_tx, items) = watch::channel(Vec::new());
        let (notes_tx, notes) = watch::channel(Vec::new());
        let conn = w.connection().await;
        let server = conn.object_server();
        server
            .at("/StatusNotifierWatcher", Watcher { items: items_tx })
            .await
            .unwrap();
        server
            .at(
                "/org/freedesktop/Notifications",
                Notifications { notes: notes_tx },
            )
            .await
            .unwrap();
        Desktop { conn, items, notes }
    }

    /// The panel appears: the watcher takes its name.
    async fn serve_watcher(&self) {
        self.conn.request_name(WATCHER).await.unwrap();
    }

    async fn serve_notifications(&self) {
        self.conn.request_name(NOTIFICATIONS).await.unwrap();
    }

    /// The bus name of the first item that registered.
    async fn registered_item(&mut self, tray: &Tray) -> String {
        self.registered_nth(0, tray).await
    }

    /// The bus name of the `n`th item that registered (from 0).
    async fn registered_nth(&mut self, n: usize, tray: &Tray) -> String {
        let items = tokio::time::timeout(PATIENCE, self.items.wait_for(|i| i.len() > n))
            .await
            .unwrap_or_else(|_| panic!("the tray never registered; its log:\n{}", tray.log()))
            .unwrap()
            .clone();
        items[n].split('/').next().unwrap().to_owned()
    }

    /// Waits for a notification with this summary and returns it.
    async fn note(&mut self, summary: &str, tray: &Tray) -> Note {
        let found = tokio::time::timeout(
            PATIENCE,
            self.notes
                .wait_for(|notes| notes.iter().any(|n| n.summary == summary)),
        )
        .await
        .is_ok();
        let notes = self.notes.borrow().clone();
        assert!(
            found,
            "no notification \"{summary}\"; got {notes:?}; tray log:\n{}",
            tray.log()
        );
        notes.into_iter().find(|n| n.summary == summary).unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// The tray process.

struct Tray {
    child: Child,
    log: PathBuf,
}

impl Tray {
    /// Starts `leovms-tray` in the world's session as a member of `groups`, with `env`
    /// on top. It speaks English (`LANG=C.UTF-8`) unless `env` sets `LANG`.
    ///
    /// The tray learns its user's groups from `id -Gn` (found through `PATH`), so an `id`
    /// first on its `PATH` that names `groups` decides which menu it shows: a student's,
    /// or with [`UPLOADER`] the menu of a member of p_leovms. The role only decides what
    /// the menu shows; the daemon and the share enforce who may upload.
    fn start(w: &World, groups: &[&str], env: &[(&str, &str)]) -> Tray {
        let log = w.tmp.path().join("tray.log");
        let bin = w.tmp.path().join(format!("id-{}", groups.join("-")));
        write_fake_id(&bin, groups);
        let path = env
            .iter()
            .find(|(k, _)| *k == "PATH")
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| std::env::var("PATH").unwrap_or_default());
        let path = format!("{}:{path}", bin.display());
        let mut cmd = Command::new(workspace_bin("leovms-tray"));
        w.env_for(&mut cmd);
        set_locale(&mut cmd, "C.UTF-8");
        cmd.envs(env.iter().copied().filter(|(k, _)| *k != "PATH"))
            .env("PATH", path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        Tray {
            child: cmd.spawn().unwrap(),
            log,
        }
    }

    /// What the tray was asked to do from its menu, in the order of the clicks: it logs
    /// every click before it calls the daemon ("clicked: start vm-demo from snapshot
    /// exam"). A click that only opens a submenu or answers Cancel asks for nothing.
    fn clicks(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter_map(|l| l.split_once("clicked: ").map(|(_, what)| what.to_owned()))
            .collect()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the tray logged `words`.
    async fn until_logged(&self, words: &str) {
        eventually(&format!("\"{words}\" in the tray log"), || {
            self.log().contains(words).then_some(())
        })
        .await;
    }
}

impl Drop for Tray {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment of a German desktop session.
const GERMAN: &[(&str, &str)] = &[("LANG", "de_DE.UTF-8")];

/// The groups of a student, and of a teacher who uploads (member of p_leovms).
const STUDENT: &[&str] = &["pupil", "students"];
const UPLOADER: &[&str] = &["teach1", "teachers", "p_leovms"];

/// An `id` in `bin` that answers `-Gn` with `groups` and leaves the rest to the real one.
fn write_fake_id(bin: &Path, groups: &[&str]) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(bin).unwrap();
    let real = find_in_path("id").expect("id (coreutils)");
    let script = format!(
        "#!/bin/sh\n\
         if [ \"$1\" = -Gn ] && [ $# -eq 1 ]; then echo '{}'; exit 0; fi\n\
         exec '{}' \"$@\"\n",
        groups.join(" "),
        real.display()
    );
    let file = bin.join("id");
    std::fs::write(&file, script).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Polls `probe` until it gives a value; panics after [`PATIENCE`] naming `what`.
async fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------
// The menu as a panel reads it: `gdbus` calls and their GVariant text.

/// One menu item of `GetLayout`.
#[derive(Debug, Clone)]
struct Item {
    id: i32,
    props: HashMap<String, GValue>,
    children: Vec<Item>,
}

impl Item {
    fn label(&self) -> &str {
        match self.props.get("label") {
            Some(GValue::Str(s)) => s,
            _ => "",
        }
    }

    fn enabled(&self) -> bool {
        !matches!(self.props.get("enabled"), Some(GValue::Bool(false)))
    }

    fn checked(&self) -> bool {
        matches!(self.props.get("toggle-state"), Some(GValue::Num(1)))
    }

    fn labels(&self) -> Vec<&str> {
        self.children
            .iter()
            .map(Item::label)
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// The item found by following labels; `None` when the path does not exist.
    fn at(&self, path: &[&str]) -> Option<&Item> {
        match path.split_first() {
            None => Some(self),
            Some((first, rest)) => self
                .children
                .iter()
                .find(|c| c.label() == *first)
                .and_then(|c| c.at(rest)),
        }
    }

    /// One line per item, indented by depth, for failure messages.
    fn outline(&self) -> String {
        fn walk(item: &Item, depth: usize, out: &mut String) {
            for c in &item.children {
                let flags = match (c.enabled(), c.props.get("toggle-state")) {
                    (false, _) => " [disabled]",
                    (true, Some(GValue::Num(1))) => " [x]",
                    (true, Some(GValue::Num(0))) => " [ ]",
                    _ => "",
                };
                let text = if c.label().is_empty() {
                    "----"
                } else {
                    c.label()
                };
                out.push_str(&format!(
                    "{}{} ({}){flags}\n",
                    "  ".repeat(depth),
                    text,
                    c.id
                ));
                walk(c, depth + 1, out);
            }
        }
        let mut out = String::new();
        walk(self, 0, &mut out);
        out
    }

    /// Every item, depth first.
    fn all(&self) -> Vec<&Item> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.all());
        }
        out
    }
}

/// A GVariant as `gdbus` prints it, reduced to what a menu layout holds.
#[derive(Debug, Clone, PartialEq)]
enum GValue {
    Num(i64),
    Bool(bool),
    Str(String),
    /// Tuples and arrays alike.
    List(Vec<GValue>),
    Dict(Vec<(GValue, GValue)>),
}

struct GParser<'a> {
    text: &'a [char],
    at: usize,
}

impl GParser<'_> {
    fn parse(text: &str) -> GValue {
        let chars: Vec<char> = text.chars().collect();
        let mut p = GParser {
            text: &chars,
            at: 0,
        };
        p.value()
    }

    fn peek(&mut self) -> char {
        while self.at < self.text.len() && self.text[self.at].is_whitespace() {
            self.at += 1;
        }
        self.text.get(self.at).copied().unwrap_or('\0')
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == c {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn word(&mut self) -> String {
        self.peek();
        let start = self.at;
        while self.at < self.text.len()
            && (self.text[self.at].is_alphanumeric() || "-_.".contains(self.text[self.at]))
        {
            self.at += 1;
        }
        self.text[start..self.at].iter().collect()
    }

    fn value(&mut self) -> GValue {
        match self.peek() {
            '(' | '[' => {
                let close = if self.eat('(') { ')' } else { ']' };
                self.eat('[');
                let mut items = Vec::new();
                while !self.eat(close) {
                    items.push(self.value());
                    self.eat(',');
                }
                GValue::List(items)
            }
            '{' => {
                self.at += 1;
                let mut entries = Vec::new();
                while !self.eat('}') {
                    let key = self.value();
                    assert!(self.eat(':'), "no ':' in a dictionary");
                    entries.push((key, self.value()));
                    self.eat(',');
                }
                GValue::Dict(entries)
            }
            '<' => {
                self.at += 1;
                let inner = self.value();
                assert!(self.eat('>'), "unclosed variant");
                inner
            }
            '\'' | '"' => self.string(),
            '@' => {
                // A type annotation such as `@av`: skip it, the value follows.
                while !self.text[self.at].is_whitespace() {
                    self.at += 1;
                }
                self.value()
            }
            _ => {
                let word = self.word();
                match word.as_str() {
                    "true" => GValue::Bool(true),
                    "false" => GValue::Bool(false),
                    "int32" | "uint32" | "int16" | "uint16" | "int64" | "uint64" | "byte"
                    | "handle" | "objectpath" | "signature" => self.value(),
                    _ => GValue::Num(parse_number(&word)),
                }
            }
        }
    }

    fn string(&mut self) -> GValue {
        let quote = self.text[self.at];
        self.at += 1;
        let mut out = String::new();
        loop {
            let c = self.text[self.at];
            self.at += 1;
            match c {
                '\\' => {
                    let e = self.text[self.at];
                    self.at += 1;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'u' | 'U' => {
                            let len = if e == 'u' { 4 } else { 8 };
                            let hex: String = self.text[self.at..self.at + len].iter().collect();
                            self.at += len;
                            out.push(
                                char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap(),
                            );
                        }
                        other => out.push(other),
                    }
                }
                c if c == quote => return GValue::Str(out),
                c => out.push(c),
            }
        }
    }
}

fn parse_number(word: &str) -> i64 {
    match word.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16).unwrap(),
        None => word
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {word:?}")),
    }
}

/// `(id, {props}, [children])` into an [`Item`].
fn to_item(v: &GValue) -> Item {
    let GValue::List(parts) = v else {
        panic!("not an item: {v:?}")
    };
    let (GValue::Num(id), GValue::Dict(props), GValue::List(children)) =
        (&parts[0], &parts[1], &parts[2])
    else {
        panic!("not an item: {v:?}")
    };
    Item {
        id: *id as i32,
        props: props
            .iter()
            .map(|(k, v)| match k {
                GValue::Str(k) => (k.clone(), v.clone()),
                other => panic!("property name {other:?}"),
            })
            .collect(),
        children: children.iter().map(to_item).collect(),
    }
}

/// `gdbus call` to the tray's item.
fn gdbus_item(w: &World, item: &str, path: &str, method: &str, args: &[&str]) -> String {
    let mut all = vec![
        "call",
        "--session",
        "--dest",
        item,
        "--object-path",
        path,
        "--method",
        method,
        "--",
    ];
    all.extend_from_slice(args);
    let out = w.gdbus(&all);
    assert!(out.status.success(), "gdbus {all:?}: {}", describe(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// The whole menu, as `GetLayout` returns it.
fn menu(w: &World, item: &str) -> Item {
    let text = gdbus_item(
        w,
        item,
        "/MenuBar",
        "com.canonical.dbusmenu.GetLayout",
        &["0", "-1", "[]"],
    );
    let GValue::List(reply) = GParser::parse(&text) else {
        panic!("GetLayout: {text}")
    };
    to_item(&reply[1])
}

/// The menu once it lists both demo machines with their snapshots.
async fn both_machines(w: &World, item: &str) -> Item {
    menu_until(w, item, "both machines with snapshots", |m| {
        m.at(&["Windows 10 (demo)", "Standard"]).map(|_| m.clone())
    })
    .await
}

/// The menu once `probe` finds what it waits for.
async fn menu_until<T>(w: &World, item: &str, what: &str, probe: impl Fn(&Item) -> Option<T>) -> T {
    let mut last = None;
    let found = tokio::time::timeout(PATIENCE, async {
        loop {
            let m = menu(w, item);
            if let Some(v) = probe(&m) {
                return v;
            }
            last = Some(m);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    found.unwrap_or_else(|_| {
        let last = last.map(|m| m.outline()).unwrap_or_default();
        panic!("the menu never showed {what}; last menu:\n{last}")
    })
}

/// Waits until the menu has an item at `path`.
async fn menu_shows(w: &World, item: &str, path: &[&str]) {
    menu_until(w, item, &format!("{path:?}"), |m| m.at(path).map(|_| ())).await;
}

/// A click on the item at `path`, as a panel sends it. Item ids change whenever the
/// menu's layout does (a job appears or ends): a click that raced such a change is sent
/// again with the new id, as a panel does after `LayoutUpdated`.
/// Starts vm-demo's `snapshot` from the command line and waits for the tray's "is running"
/// notification.
async fn start_demo(w: &World, desktop: &mut Desktop, tray: &Tray, snapshot: &str) {
    let out = w.cli(&["start", "vm-demo", "--snapshot", snapshot]);
    assert!(out.status.success(), "{}", describe(&out));
    desktop.note("Demo Linux is running", tray).await;
}

/// Opens the question at `path`, cancels it, opens it again and answers `yes`; returns
/// what the tray logged as asked for, once it logged the answer. The tray logs each click
/// in order before it calls the daemon: anything the first clicks had asked for would be
/// logged before the answer.
async fn cancel_then_yes(
    w: &World,
    item: &str,
    tray: &Tray,
    path: &[&str],
    yes: &str,
) -> Vec<String> {
    click(w, item, path);
    click(w, item, &[path, &["Cancel"]].concat());
    click(w, item, &[path, &[yes]].concat());
    eventually("the click on Yes in the tray's log", || {
        (!tray.clicks().is_empty()).then_some(())
    })
    .await;
    tray.clicks()
}

fn click(w: &World, item: &str, path: &[&str]) {
    for _ in 0..5 {
        let m = menu(w, item);
        let target = m
            .at(path)
            .unwrap_or_else(|| panic!("no {path:?} in:\n{}", m.outline()));
        assert!(target.enabled(), "{path:?} is disabled: {target:?}");
        let id = target.id.to_string();
        let out = w.gdbus(&[
            "call",
            "--session",
            "--dest",
            item,
            "--object-path",
            "/MenuBar",
            "--method",
            "com.canonical.dbusmenu.Event",
            "--",
            &id,
            "clicked",
            "<\"\">",
            "0",
        ]);
        if out.status.success() {
            return;
        }
        let stale = String::from_utf8_lossy(&out.stderr).contains("id not found");
        assert!(stale, "click on {path:?}: {}", describe(&out));
    }
    panic!("the menu kept changing under a click on {path:?}");
}

/// A property of the StatusNotifierItem, as gdbus prints it.
fn sni_property(w: &World, item: &str, name: &str) -> String {
    gdbus_item(
        w,
        item,
        "/StatusNotifierItem",
        "org.freedesktop.DBus.Properties.Get",
        &["org.kde.StatusNotifierItem", name],
    )
}

fn icon_name(w: &World, item: &str) -> String {
    let text = sni_property(w, item, "IconName");
    match GParser::parse(&text) {
        GValue::List(v) => match &v[0] {
            GValue::Str(s) => s.clone(),
            other => panic!("IconName {other:?}"),
        },
        other => panic!("IconName {other:?}"),
    }
}

/// Waits until the icon's name says `name` (`leovms-idle`, `leovms-busy`,
/// `leovms-offline`, `leovms-error`).
async fn until_icon(w: &World, item: &str, name: &str) {
    eventually(&format!("the {name} icon"), || {
        (icon_name(w, item) == name).then_some(())
    })
    .await;
}

// ---------------------------------------------------------------------------------------

fn tools_missing() -> bool {
    skip_unless(
        find_in_path("gdbus").is_some() && find_in_path("dbus-daemon").is_some(),
        "the tray tests need gdbus (libglib2.0-bin) and dbus-daemon",
    )
}

/// A world with leovmsd, the desktop and a registered tray of a user in `groups`;
/// returns the item's bus name.
async fn with_tray(w: &mut World, groups: &[&str]) -> (Desktop, Tray, String) {
    with_tray_in(w, groups, &[]).await
}

/// [`with_tray`] with `env` on top of the tray's environment (e.g. [`GERMAN`]).
async fn with_tray_in(
    w: &mut World,
    groups: &[&str],
    env: &[(&str, &str)],
) -> (Desktop, Tray, String) {
    w.start_daemon().await;
    let mut desktop = Desktop::new(w).await;
    desktop.serve_notifications().await;
    desktop.serve_watcher().await;
    let tray = Tray::start(w, groups, env);
    let item = desktop.registered_item(&tray).await;
    (desktop, tray, item)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_menu_lists_the_share_and_a_click_starts_a_snapshot() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    w.start_daemon().await;
    let mut desktop = Desktop::new(&w).await;
    desktop.serve_notifications().await;
    // The tray starts before the panel, as it may at login: it registers once one comes.
    let tray = Tray::start(&w, STUDENT, &[]);
    tray.until_logged("no tray host on the bus yet").await;
    desktop.serve_watcher().await;
    let item = desktop.registered_item(&tray).await;

    let m = both_machines(&w, &item).await;
    // A student's menu: the machines and Offline, nothing to upload or quit.
    assert_eq!(
        m.labels(),
        ["Demo Linux", "Windows 10 (demo)", "Offline"],
        "{}",
        m.outline()
    );
    let demo = m.at(&["Demo Linux"]).unwrap();
    // In the daemon's order (the lines in between describe them).
    let entries = enabled_labels(demo);
    assert_eq!(&entries[..2], ["Exam 2027", "Standard"], "{}", m.outline());
    // The RAM the daemon chose for this PC, and a few sizes around it.
    let default = w.machine("vm-demo")["ram_default_mb"].as_u64().unwrap();
    let ram = format!("RAM: {default} MB");
    assert_eq!(entries[2], ram);
    let sizes = m.at(&["Demo Linux", &ram]).unwrap().labels();
    assert!(
        sizes.contains(&format!("{default} MB (default)").as_str()),
        "{sizes:?}"
    );
    let other = sizes
        .iter()
        .find(|l| !l.ends_with("(default)"))
        .unwrap_or_else(|| panic!("no choice: {sizes:?}"))
        .to_string();
    let mb = other.trim_end_matches(" MB");
    // A fixed RAM offers no choice.
    assert_eq!(
        enabled_labels(m.at(&["Windows 10 (demo)"]).unwrap()),
        ["Standard"]
    );
    assert_eq!(
        m.at(&["Offline"]).unwrap().labels(),
        [
            "Demo Linux",
            "Windows 10 (demo)",
            "Sync now",
            "No offline cache configured"
        ]
    );
    assert_eq!(icon_name(&w, &item), "leovms-idle");

    // Choose another size, then Exam 2027: no working copy yet, so nothing is lost and
    // one click starts exactly that.
    click(&w, &item, &["Demo Linux", &ram, &other]);
    menu_shows(&w, &item, &["Demo Linux", &format!("RAM: {mb} MB")]).await;
    assert!(
        m.at(&["Demo Linux", "Exam 2027"])
            .unwrap()
            .children
            .is_empty()
    );
    click(&w, &item, &["Demo Linux", "Exam 2027"]);
    w.wait_machine_state("vm-demo", "running").await;
    let note = desktop.note("Demo Linux is running", &tray).await;
    assert_eq!(note.app, "leovms");
    let jobs = w.cli_json(&["jobs"]);
    assert_eq!(jobs[0]["snapshot"], "exam", "{jobs}");
    let info = w.vboxmanage(&[
        "showvminfo",
        &w.share.vm("vm-demo").machine_uuid.to_string(),
        "--machinereadable",
    ]);
    assert!(
        String::from_utf8_lossy(&info.stdout).contains(&format!("memory={mb}\n")),
        "{}",
        describe(&info)
    );

    // While it runs: no start, and Power off (after a question).
    let running = menu_until(&w, &item, "Demo Linux running", |m| {
        m.at(&["Demo Linux (running)"]).cloned()
    })
    .await;
    assert!(!running.at(&["Standard"]).unwrap().enabled());
    click(
        &w,
        &item,
        &["Demo Linux (running)", "Power off…", "Yes, power off"],
    );
    w.wait_machine_state("vm-demo", "off").await;
    menu_shows(&w, &item, &["Demo Linux"]).await;
}

/// The labels of the entries one can click or open (not the lines that describe them).
fn enabled_labels(item: &Item) -> Vec<&str> {
    item.children
        .iter()
        .filter(|c| c.enabled() && !c.label().is_empty())
        .map(Item::label)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_working_copy_is_discarded_only_after_yes() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    let (mut desktop, tray, item) = with_tray(&mut w, STUDENT).await;
    menu_shows(&w, &item, &["Demo Linux", "Exam 2027"]).await;

    // The student worked in Demo Linux: it ran and was shut down, its working copy stays.
    start_demo(&w, &mut desktop, &tray, "standard").await;
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    w.wait_machine_state("vm-demo", "off").await;
    assert_eq!(w.machine("vm-demo")["as_found"], true);

    // Continuing comes first; a snapshot now asks before it replaces the working copy.
    let demo = menu_until(&w, &item, "the question before Exam 2027", |m| {
        m.at(&["Demo Linux", "Exam 2027", "Yes, discard and start"])
            .and(m.at(&["Demo Linux"]))
            .cloned()
    })
    .await;
    assert_eq!(
        enabled_labels(&demo)[..3],
        ["Continue where I left off", "Exam 2027", "Standard"],
        "{}",
        demo.outline()
    );
    let question = demo.at(&["Exam 2027"]).unwrap();
    assert_eq!(
        question.labels(),
        [
            "Discard my changes and start Exam 2027?",
            "All changes made in Demo Linux since its last fresh start are lost.",
            "Cancel",
            "Yes, discard and start"
        ],
        "{}",
        demo.outline()
    );
    assert!(!question.children[0].enabled() && !question.children[1].enabled());

    // A click on the snapshot only opens the question; Cancel closes it. Then Yes.
    let path = ["Demo Linux", "Exam 2027"];
    let asked = cancel_then_yes(&w, &item, &tray, &path, "Yes, discard and start").await;
    assert_eq!(asked, ["start vm-demo from snapshot exam"]);
    w.wait_machine_state("vm-demo", "running").await;
    let jobs = w.cli_json(&["jobs"]);
    let starts: Vec<_> = jobs
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["kind"] == "start" && j["state"] == "active")
        .map(|j| j["snapshot"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(starts, ["exam"], "{jobs}");
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn power_off_is_not_the_first_item_and_asks_first() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    let (mut desktop, tray, item) = with_tray(&mut w, STUDENT).await;
    menu_shows(&w, &item, &["Demo Linux", "Standard"]).await;
    start_demo(&w, &mut desktop, &tray, "standard").await;

    let running = menu_until(&w, &item, "Power off", |m| {
        m.at(&["Demo Linux (running)", "Power off…"])
            .and(m.at(&["Demo Linux (running)"]))
            .cloned()
    })
    .await;
    let labels = running.labels();
    assert_eq!(
        labels[0],
        "Running. To end it, shut it down inside the VM.",
        "{}",
        running.outline()
    );
    assert!(!running.children[0].enabled());
    assert_eq!(labels.last(), Some(&"Power off…"), "{}", running.outline());
    assert!(!labels.contains(&"Stop"), "{}", running.outline());
    assert_eq!(
        running.at(&["Power off…"]).unwrap().labels(),
        [
            "Power off Demo Linux now? Unsaved work in the VM is lost.",
            "Cancel",
            "Yes, power off"
        ]
    );

    let path = ["Demo Linux (running)", "Power off…"];
    let asked = cancel_then_yes(&w, &item, &tray, &path, "Yes, power off").await;
    assert_eq!(asked, ["power off vm-demo"]);
    w.wait_machine_state("vm-demo", "off").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_icon_and_tooltip_show_a_running_vm() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    let (mut desktop, tray, item) = with_tray(&mut w, STUDENT).await;
    menu_shows(&w, &item, &["Demo Linux", "Standard"]).await;
    until_icon(&w, &item, "leovms-idle").await;
    start_demo(&w, &mut desktop, &tray, "standard").await;
    until_icon(&w, &item, "leovms-running").await;
    let tooltip = sni_property(&w, &item, "ToolTip");
    assert!(tooltip.contains("leovms — running"), "{tooltip}");
    assert!(tooltip.contains("Demo Linux is running."), "{tooltip}");
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    until_icon(&w, &item, "leovms-idle").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_descriptions_and_maintainers_are_shown() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    let (_desktop, _tray, item) = with_tray(&mut w, STUDENT).await;
    let demo = menu_until(&w, &item, "Demo Linux with its snapshots", |m| {
        m.at(&["Demo Linux", "Standard"])
            .and(m.at(&["Demo Linux"]))
            .cloned()
    })
    .await;
    let labels = demo.labels();
    // The share's words (snapshot.conf, image.conf), as disabled lines under their item.
    let after = |name: &str| {
        let at = labels.iter().position(|l| *l == name).unwrap();
        labels[at + 1..at + 3].to_vec()
    };
    assert_eq!(
        labels[0],
        "A small Linux demo machine",
        "{}",
        demo.outline()
    );
    assert_eq!(
        after("Exam 2027"),
        ["    No network, exam tools only", "    Maintainer: mueller"],
        "{}",
        demo.outline()
    );
    assert_eq!(
        after("Standard"),
        ["    Clean installation", "    Maintainer: admin"],
        "{}",
        demo.outline()
    );
    for line in demo
        .children
        .iter()
        .filter(|c| c.label().starts_with("    "))
    {
        assert!(!line.enabled(), "{}", demo.outline());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_virtualbox_and_quit_are_shown_only_to_members_of_p_leovms() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    let (mut desktop, tray, item) = with_tray(&mut w, STUDENT).await;
    let m = menu_until(&w, &item, "the machines", |m| {
        m.at(&["Demo Linux", "Standard"]).map(|_| m.clone())
    })
    .await;
    assert_eq!(
        m.labels(),
        ["Demo Linux", "Windows 10 (demo)", "Offline"],
        "{}",
        m.outline()
    );
    // The same user in p_leovms, after the next login.
    drop(tray);
    let tray = Tray::start(&w, UPLOADER, &[]);
    let item = desktop.registered_nth(1, &tray).await;
    let m = menu_until(&w, &item, "the machines", |m| {
        m.at(&["Demo Linux", "Standard"]).map(|_| m.clone())
    })
    .await;
    assert_eq!(
        m.labels(),
        [
            "Demo Linux",
            "Windows 10 (demo)",
            "Offline",
            "Upload…",
            "VirtualBox (own machines)",
            "Quit"
        ],
        "{}",
        m.outline()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_german_locale_the_menu_tooltip_and_notifications_are_german() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    let (mut desktop, tray, item) = with_tray_in(&mut w, STUDENT, GERMAN).await;
    let m = both_machines(&w, &item).await;
    // The share's names as they are, the tray's words in German.
    assert_eq!(
        m.labels(),
        ["Demo Linux", "Windows 10 (demo)", "Offline-Nutzung"],
        "{}",
        m.outline()
    );
    assert_eq!(
        m.at(&["Offline-Nutzung"]).unwrap().labels()[2..],
        [
            "Jetzt abgleichen",
            "Kein Zwischenspeicher für die Offline-Nutzung eingerichtet"
        ],
        "{}",
        m.outline()
    );
    let default = w.machine("vm-demo")["ram_default_mb"].as_u64().unwrap();
    let ram = format!("Arbeitsspeicher (RAM): {default} MB");
    let sizes = m
        .at(&["Demo Linux", &ram])
        .unwrap_or_else(|| panic!("{}", m.outline()));
    assert!(
        sizes
            .labels()
            .contains(&format!("{default} MB (Standard)").as_str()),
        "{}",
        m.outline()
    );
    until_icon(&w, &item, "leovms-idle").await;
    let tooltip = sni_property(&w, &item, "ToolTip");
    assert!(
        tooltip.contains("Bereit: Wählen Sie eine VM zum Starten."),
        "{tooltip}"
    );

    // A start from the CLI: the notification, the menu and the tooltip in German.
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    let note = desktop.note("Demo Linux läuft", &tray).await;
    assert_eq!((note.app.as_str(), note.body.as_str()), ("leovms", ""));
    let running = menu_until(&w, &item, "Demo Linux running", |m| {
        m.at(&["Demo Linux (läuft)"]).cloned()
    })
    .await;
    let labels = running.labels();
    assert_eq!(
        (labels.first(), labels.last()),
        (
            Some(&"Läuft. Zum Beenden fahren Sie das System in der VM herunter."),
            Some(&"Ausschalten…")
        ),
        "{}",
        running.outline()
    );
    until_icon(&w, &item, "leovms-running").await;
    let tooltip = sni_property(&w, &item, "ToolTip");
    assert!(tooltip.contains("leovms — läuft"), "{tooltip}");
    assert!(tooltip.contains("Demo Linux läuft."), "{tooltip}");

    // A start the daemon refuses (one VM at a time): its reason in German, not in the
    // daemon's English sentence.
    let mut cli = Command::new(workspace_bin("leovms-cli"));
    w.env_for(&mut cli);
    set_locale(&mut cli, "C.UTF-8");
    let refused = cli
        .args(["start", "vm-win", "--snapshot", "standard"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(8), "{}", describe(&refused));
    let english = String::from_utf8_lossy(&refused.stderr);
    let english = english.trim().trim_start_matches("leovms: ");
    click(&w, &item, &["Windows 10 (demo)", "Standard"]);
    let note = desktop
        .note("Windows 10 (demo) konnte nicht gestartet werden", &tray)
        .await;
    // Worded from the refusal's detail: no English, and no fallback headline.
    assert!(
        note.body
            .contains("vm-demo läuft. Schließen Sie diese VM, bevor Sie vm-win starten.")
            && !note.body.contains("Details:"),
        "{note:?}, the daemon said: {english}"
    );

    // Power off, asked in German.
    let off = ["Demo Linux (läuft)", "Ausschalten…"];
    assert_eq!(
        menu(&w, &item).at(&off).unwrap().labels(),
        [
            "Demo Linux jetzt ausschalten? Nicht gespeicherte Arbeit in der VM geht verloren.",
            "Abbrechen",
            "Ja, ausschalten"
        ]
    );
    click(&w, &item, &[&off[..], &["Ja, ausschalten"]].concat());
    w.wait_machine_state("vm-demo", "off").await;
}

#[test]
fn help_exits_0_and_a_wrong_option_exits_2() {
    let tray_in = |lang: &str, arg: &str| {
        let mut cmd = Command::new(workspace_bin("leovms-tray"));
        set_locale(&mut cmd, lang);
        cmd.arg(arg)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .output()
            .unwrap()
    };
    let tray = |arg: &str| tray_in("C.UTF-8", arg);
    for arg in ["--help", "-h"] {
        let out = tray(arg);
        assert_eq!(out.status.code(), Some(0), "{arg}: {}", describe(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Usage: leovms-tray [--help | --version]"),
            "{text}"
        );
        assert!(text.contains("--version"), "{text}");
        assert!(out.stderr.is_empty(), "{}", describe(&out));
    }
    let out = tray("--version");
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("leovms-tray "));
    let out = tray("--bogus");
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("unknown option '--bogus'"), "{text}");
    assert!(text.contains("Usage: leovms-tray"), "{text}");
    // In German, the same.
    let out = tray_in("de_DE.UTF-8", "--help");
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Aufruf: leovms-tray [--help | --version]"),
        "{text}"
    );
    let out = tray_in("de_DE.UTF-8", "--bogus");
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("unbekannte Option „--bogus“"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_started_with_the_cli_shows_its_phase_and_its_end_is_notified() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    if !w.double {
        eprintln!("SKIPPED: holding a start needs the project's VirtualBox double");
        return;
    }
    // The double holds the power-up until this file exists: the job waits in `launch`.
    let gate = w.tmp.path().join("power-up");
    w.extra_env.push((
        "LEOVMS_DOUBLE_START_GATE".into(),
        gate.display().to_string(),
    ));
    let (mut desktop, tray, item) = with_tray(&mut w, STUDENT).await;
    menu_shows(&w, &item, &["Demo Linux"]).await;

    let mut cli = Command::new(workspace_bin("leovms-cli"));
    w.env_for(&mut cli);
    let cli = cli
        .args(["start", "vm-demo", "--snapshot", "standard"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = menu_until(&w, &item, "the CLI's job", |m| {
        m.labels()
            .into_iter()
            .find(|l| l.starts_with("Starting Demo Linux — starting VirtualBox"))
            .map(str::to_owned)
    })
    .await;
    assert!(line.ends_with('%'), "{line}");
    assert_eq!(icon_name(&w, &item), "leovms-busy");
    let tooltip = sni_property(&w, &item, "ToolTip");
    assert!(tooltip.contains("leovms — busy"), "{tooltip}");
    assert!(tooltip.contains(&line), "{tooltip}");
    let m = menu(&w, &item);
    assert!(
        m.at(&["Demo Linux (starting)"]).is_some(),
        "{:?}",
        m.labels()
    );

    // Cancel from the tray: the CLI that follows the job hears it too. The held VM is
    // not up, so VirtualBox cannot power it off: leovmsd ends its window instead, and
    // the canceled start never comes up.
    click(&w, &item, &[&line, "Cancel"]);
    let canceled = "Start of Demo Linux canceled";
    let note = desktop.note(canceled, &tray).await;
    assert_eq!(note.body, "");
    let status = tokio::task::spawn_blocking(move || cli.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.status.code(), Some(10), "{}", describe(&status));
    let uuid = w.share.vm("vm-demo").machine_uuid.to_string();
    let running = w.vboxmanage(&["list", "runningvms"]);
    assert!(
        !String::from_utf8_lossy(&running.stdout).contains(&uuid),
        "{}",
        describe(&running)
    );
    std::fs::write(&gate, b"").unwrap();
    menu_until(&w, &item, "no job any more", |m| {
        (!m.labels().iter().any(|l| l.starts_with("Starting"))).then_some(())
    })
    .await;

    // A start that goes through ends with a notification.
    start_demo(&w, &mut desktop, &tray, "standard").await;
    until_icon(&w, &item, "leovms-running").await;
    assert!(w.cli(&["stop", "vm-demo"]).status.success());
    until_icon(&w, &item, "leovms-idle").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_notified_in_the_daemons_words() {
    if tools_missing() {
        return;
    }
    let mut w = World::with(DemoOptions {
        foreign_snapshot: true,
        ..Default::default()
    })
    .await;
    let (mut desktop, tray, item) = with_tray(&mut w, STUDENT).await;
    menu_shows(&w, &item, &["Demo Linux", "Foreign"]).await;

    // A job that fails: its message names the base the snapshot does not fit.
    click(&w, &item, &["Demo Linux", "Foreign"]);
    let note = desktop.note("Demo Linux could not be started", &tray).await;
    let base = w.share.vm("vm-demo").base_uuid.to_string();
    assert!(note.body.contains(&base), "{note:?}");
    let jobs = w.cli_json(&["jobs"]);
    assert_eq!(jobs[0]["message"], note.body.as_str(), "{jobs}");
    until_icon(&w, &item, "leovms-error").await;

    // A call the daemon refuses: one VM at a time.
    start_demo(&w, &mut desktop, &tray, "exam").await;
    until_icon(&w, &item, "leovms-running").await;
    let refused = w.cli(&["start", "vm-win", "--snapshot", "standard"]);
    assert_eq!(refused.status.code(), Some(8), "{}", describe(&refused));
    let words = String::from_utf8_lossy(&refused.stderr);
    let words = words.trim().trim_start_matches("leovms: ");
    click(&w, &item, &["Windows 10 (demo)", "Standard"]);
    let note = desktop
        .note("Windows 10 (demo) could not be started", &tray)
        .await;
    assert_eq!(note.body, words);
    until_icon(&w, &item, "leovms-error").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn what_the_vm_prints_is_announced_printed_or_why_not() {
    if tools_missing() || !cups_available() {
        return;
    }
    let cups = Cups::start("raum-101").expect("a private cupsd");
    let mut w = World::new().await;
    std::fs::create_dir_all(w.home.join("Home_auf_Server")).unwrap();
    w.extra_env
        .push(("CUPS_SERVER".into(), cups.socket().display().to_string()));
    let (mut desktop, tray, item) = with_tray(&mut w, STUDENT).await;
    menu_shows(&w, &item, &["Demo Linux"]).await;
    start_demo(&w, &mut desktop, &tray, "standard").await;
    let h = guest_h(&w);

    GuestPrint::all(&h, &pdf_with_unembedded_font("Arbeitsblatt"));
    let note = desktop.note("Printed: Demo Linux", &tray).await;
    assert_eq!(
        note.body,
        "The document from Demo Linux was printed on raum-101."
    );
    assert!(!note.urgent, "{note:?}");
    cups.wait_for_jobs(1);

    cups.reject();
    GuestPrint::all(&h, &pdf_with_unembedded_font("Noch ein Blatt"));
    let note = desktop.note("Not printed: Demo Linux", &tray).await;
    assert!(
        note.body
            .starts_with("The printer raum-101 did not accept the document from Demo Linux (")
            && note.body.contains("not accepting jobs")
            && note.body.ends_with("ausdruck-nicht-gedruckt.pdf."),
        "{note:?}"
    );
    assert!(note.urgent, "a failure stays until it is read: {note:?}");
    assert_eq!(cups.completed().len(), 1);
    w.power_off_all();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_menu_stays_while_the_daemon_is_gone_and_recovers_when_it_returns() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    let (mut desktop, tray, item) = with_tray(&mut w, STUDENT).await;
    let before = menu_until(&w, &item, "the machines", |m| {
        m.at(&["Windows 10 (demo)", "Standard"])
            .map(|_| m.labels().len())
    })
    .await;

    w.kill_daemon();
    tray.until_logged("leovmsd left the bus").await;
    let m = menu(&w, &item);
    assert_eq!(m.labels().len(), before, "{:?}", m.labels());
    assert!(m.at(&["Demo Linux", "Exam 2027"]).is_some());
    assert_eq!(
        icon_name(&w, &item),
        "leovms-idle",
        "a sleeping daemon is normal"
    );

    // This bus cannot start leovmsd: a click says so, and the menu says it is old.
    click(&w, &item, &["Windows 10 (demo)", "Standard"]);
    desktop
        .note("The VM service cannot be reached", &tray)
        .await;
    let m = menu_until(&w, &item, "the status line", |m| {
        (m.labels()[0] == "VM service not reachable — the menu may be out of date")
            .then(|| m.clone())
    })
    .await;
    assert!(!m.children[0].enabled());
    assert!(m.at(&["Demo Linux", "Exam 2027"]).is_some());
    until_icon(&w, &item, "leovms-offline").await;

    // The share changed meanwhile; the daemon comes back and the tray reads it by itself.
    std::fs::remove_dir_all(w.data.join("vm-win")).unwrap();
    w.start_daemon().await;
    let now = ["Demo Linux", "Offline"];
    let m = menu_until(&w, &item, "the share as it is now", |m| {
        (m.labels() == now).then(|| m.clone())
    })
    .await;
    assert!(m.at(&["Demo Linux", "Exam 2027"]).is_some());
    until_icon(&w, &item, "leovms-idle").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_offline_menu_syncs_and_unsyncs_and_shows_the_cache_space() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    let cache = w.configure_cache(1_000_000_000);
    std::fs::create_dir_all(&cache).unwrap();
    let (mut desktop, tray, item) = with_tray(&mut w, STUDENT).await;
    let offline = menu_until(&w, &item, "the cache", |m| {
        m.at(&["Offline"])
            .filter(|o| {
                o.labels()
                    .last()
                    .is_some_and(|l| l.ends_with(" free of 1.0 GB"))
            })
            .cloned()
    })
    .await;
    let space_before = offline.labels().last().unwrap().to_string();
    assert!(space_before.starts_with("Cache: "), "{space_before}");
    let demo = offline.at(&["Demo Linux"]).unwrap();
    assert!(!demo.checked());
    assert!(
        !offline.at(&["Sync now"]).unwrap().enabled(),
        "nothing outdated"
    );

    click(&w, &item, &["Offline", "Demo Linux"]);
    desktop
        .note("Demo Linux is ready for offline use", &tray)
        .await;
    assert_eq!(w.machine("vm-demo")["synced"], true);
    let offline = menu_until(&w, &item, "Demo Linux kept offline", |m| {
        m.at(&["Offline"])
            .filter(|o| o.at(&["Demo Linux"]).is_some_and(Item::checked))
            .filter(|o| o.labels().last() != Some(&space_before.as_str()))
            .cloned()
    })
    .await;
    assert!(!offline.at(&["Windows 10 (demo)"]).unwrap().checked());

    click(&w, &item, &["Offline", "Demo Linux"]);
    let note = desktop
        .note("Demo Linux is no longer kept for offline use", &tray)
        .await;
    assert!(note.body.ends_with("GB freed in the cache."), "{note:?}");
    menu_until(&w, &item, "Demo Linux no longer kept", |m| {
        m.at(&["Offline", "Demo Linux"])
            .filter(|d| !d.checked())
            .map(|_| ())
    })
    .await;
    assert_eq!(w.machine("vm-demo")["synced"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn virtualbox_opens_with_the_own_home_and_quit_ends_the_tray() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    // A `VirtualBox` that writes down how it was started.
    let bin = w.tmp.path().join("bin");
    let seen = w.tmp.path().join("virtualbox-started");
    write_fake_virtualbox(&bin, &seen);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    w.start_daemon().await;
    // No notification server on this bus: the tray only logs.
    let mut desktop = Desktop::new(&w).await;
    desktop.serve_watcher().await;
    let mut tray = Tray::start(
        &w,
        UPLOADER,
        &[
            ("PATH", &path),
            ("VBOX_USER_HOME", "/leovms-test/not-the-own-machines"),
        ],
    );
    let item = desktop.registered_item(&tray).await;
    menu_shows(&w, &item, &["Demo Linux", "Standard"]).await;

    click(&w, &item, &["VirtualBox (own machines)"]);
    let text = eventually("VirtualBox to start", || {
        std::fs::read_to_string(&seen).ok()
    })
    .await;
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .to_owned()
    };
    assert_eq!(value("HOME"), w.home.display().to_string());
    assert_eq!(value("VBOX_USER_HOME"), "<unset>");
    assert_eq!(value("PGID"), value("PID"), "not in its own process group");

    // A notification that nobody shows does not stop the tray.
    click(&w, &item, &["Demo Linux", "Standard"]);
    w.wait_machine_state("vm-demo", "running").await;
    tray.until_logged("no notification shown").await;
    menu_shows(&w, &item, &["Demo Linux (running)", "Power off…"]).await;

    click(&w, &item, &["Quit"]);
    let status = eventually("the tray to quit", || tray.child.try_wait().unwrap()).await;
    assert!(status.success(), "{status:?}; log:\n{}", tray.log());
    // The VM is the daemon's: it runs on.
    assert_eq!(w.machine("vm-demo")["state"], "running");
}

/// A shell script named `VirtualBox` in `bin` that writes its environment to `seen`.
fn write_fake_virtualbox(bin: &Path, seen: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(bin).unwrap();
    let script = format!(
        "#!/bin/sh\n\
         {{\n\
         echo \"HOME=$HOME\"\n\
         echo \"VBOX_USER_HOME=${{VBOX_USER_HOME-<unset>}}\"\n\
         echo \"PID=$$\"\n\
         echo \"PGID=$(cut -d' ' -f5 /proc/$$/stat)\"\n\
         }} > '{seen}.tmp' && mv '{seen}.tmp' '{seen}'\n",
        seen = seen.display()
    );
    let file = bin.join("VirtualBox");
    std::fs::write(&file, script).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn gdbus_text_is_read_back() {
    let text = "(uint32 3, (0, {'children-display': <'submenu'>}, [<(1, {'label': <'Demo \
                Linux — it\\'s \"here\"'>, 'enabled': <false>, 'toggle-state': <1>}, @av [])>]))\n";
    let GValue::List(reply) = GParser::parse(text) else {
        panic!()
    };
    assert_eq!(reply[0], GValue::Num(3));
    let root = to_item(&reply[1]);
    assert_eq!(root.id, 0);
    let child = &root.children[0];
    assert_eq!(child.id, 1);
    assert_eq!(child.label(), "Demo Linux — it's \"here\"");
    assert!(!child.enabled() && child.checked());
    assert_eq!(root.all().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_share_that_goes_away_shows_offline_with_the_daemons_reasons() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    let (mut desktop, tray, item) = with_tray(&mut w, STUDENT).await;
    menu_shows(&w, &item, &["Demo Linux", "Standard"]).await;

    // leovmsd sees the share go and says so; the tray follows without asking.
    std::fs::rename(&w.data, w.tmp.path().join("data-away")).unwrap();
    let m = menu_until(&w, &item, "the share gone", |m| {
        (m.labels()[0] == "Share not reachable — working offline").then(|| m.clone())
    })
    .await;
    let demo = m
        .children
        .iter()
        .find(|c| c.label().starts_with("Demo Linux — "))
        .unwrap_or_else(|| panic!("{}", m.outline()));
    assert!(!demo.enabled(), "{}", m.outline());
    let problem = w.machine("vm-demo")["problem"].as_str().unwrap().to_owned();
    assert_eq!(demo.label(), format!("Demo Linux — {problem}"));
    until_icon(&w, &item, "leovms-offline").await;
    let tooltip = sni_property(&w, &item, "ToolTip");
    assert!(tooltip.contains("leovms — offline"), "{tooltip}");

    // Keeping it offline needs the share: the daemon's refusal is shown as it is.
    let refused = w.cli(&["sync", "vm-demo"]);
    assert_eq!(refused.status.code(), Some(11), "{}", describe(&refused));
    let words = String::from_utf8_lossy(&refused.stderr);
    let words = words.trim().trim_start_matches("leovms: ");
    click(&w, &item, &["Offline", "Demo Linux"]);
    let note = desktop
        .note("Demo Linux could not be copied for offline use", &tray)
        .await;
    assert_eq!(note.body, words);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_upload_menu_uploads_an_own_machine_as_a_new_snapshot() {
    if tools_missing() {
        return;
    }
    let mut w = World::new().await;
    // A local folder counts as the upload share when it holds something, as the server's
    // does (other teachers' folders).
    let upload = w.tmp.path().join("upload");
    std::fs::create_dir_all(upload.join("teach2")).unwrap();
    w.extra_env.push((
        "LEOVMS_UPLOAD".into(),
        upload.to_string_lossy().into_owned(),
    ));
    // The teacher's own VirtualBox holds one machine made from Demo Linux's base.
    let base = published_base_vdi(&w.data, "vm-demo", &w.tmp.path().join("published-base"))
        .await
        .unwrap();
    let home = w.home.clone();
    tokio::task::block_in_place(|| {
        build_own_home(
            &home,
            &[OwnMachineSpec::FromBase {
                name: "Teacher VM",
                base_vdi: &base,
                snapshot_data_mib: 2,
                saved: false,
            }],
        )
    })
    .unwrap();
    let (mut desktop, tray, item) = with_tray(&mut w, UPLOADER).await;

    let line = "Teacher VM → new snapshot of Demo Linux";
    let m = menu_until(&w, &item, "the own machine to upload", |m| {
        m.at(&["Upload…", line]).map(|_| m.clone())
    })
    .await;
    let labels = m.labels();
    let offline = labels.iter().position(|l| *l == "Offline").unwrap();
    assert_eq!(labels[offline + 1], "Upload…", "{}", m.outline());
    let uploads = m.at(&["Upload…"]).unwrap();
    assert_eq!(
        uploads.labels(),
        ["Own VirtualBox machines", line],
        "{}",
        m.outline()
    );
    assert!(!uploads.at(&["Own VirtualBox machines"]).unwrap().enabled());
    // What goes up under which name, before anything is uploaded.
    let question = uploads.at(&[line]).unwrap();
    let yes = "Yes, upload as \"Teacher VM\"";
    let said = question.labels();
    assert_eq!(
        said[..2],
        [
            "Upload Teacher VM from your own VirtualBox",
            "as a new snapshot of Demo Linux, named \"Teacher VM\"?"
        ],
        "{}",
        m.outline()
    );
    assert!(
        said[2].starts_with("No description. ")
            && said[2].ends_with(" MB to copy; the admin publishes it afterwards."),
        "{}",
        m.outline()
    );
    assert_eq!(said[3..5], ["Cancel", yes], "{}", m.outline());
    assert!(
        said[5].starts_with("Another name or a description: leovms-cli upload --machine "),
        "{}",
        m.outline()
    );
    for line in question.children.iter().filter(|c| !c.label().is_empty()) {
        let answer = ["Cancel", yes].contains(&line.label());
        assert_eq!(line.enabled(), answer, "{}", m.outline());
    }

    // A click on the machine only opens the question; Cancel uploads nothing.
    let clicks = cancel_then_yes(&w, &item, &tray, &["Upload…", line], yes).await;
    assert_eq!(clicks.len(), 1, "{clicks:?}");
    assert!(
        clicks[0].starts_with("upload virtualbox ") && clicks[0].ends_with(" as \"Teacher VM\""),
        "{clicks:?}"
    );
    let note = desktop.note("Upload finished", &tray).await;
    assert_eq!(note.app, "leovms");
    assert!(
        note.body
            .starts_with("Uploaded Teacher VM to the upload share as "),
        "{note:?}"
    );
    // The daemon's words name the folder on the upload share and the admin's command.
    let shown = note
        .body
        .split_once("to the upload share as ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .map(|s| s.trim_end_matches('.'))
        .unwrap_or_else(|| panic!("no upload folder named: {note:?}"));
    let (user, folder) = shown
        .split_once('/')
        .unwrap_or_else(|| panic!("not USER/FOLDER: {note:?}"));
    let login = Command::new("id").arg("-un").output().unwrap();
    assert_eq!(
        user,
        String::from_utf8_lossy(&login.stdout).trim(),
        "{note:?}"
    );
    assert!(
        note.body
            .contains(&format!("leovms-admin publish {user}/{folder}")),
        "{note:?}"
    );
    let dir = upload.join(user).join(folder);
    assert!(
        dir.join("manifest.toml").is_file(),
        "no manifest.toml in {}; tray log:\n{}",
        dir.display(),
        tray.log()
    );
    // The job came and went; nothing is left working.
    until_icon(&w, &item, "leovms-idle").await;
}
