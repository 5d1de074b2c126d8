//! The tray's menu, built from the state alone. What can be started, and why not, is the
//! daemon's word (`problem`, `as_found`, RAM range): the menu only presents it.

use ksni::menu::{CheckmarkItem, MenuItem, RadioGroup, RadioItem, StandardItem, SubMenu};
use leovms_api::MachineState;

use crate::actions::{Action, format_gb};
use crate::state::{
    Cache, Daemon, KIND_START, SOURCE_VIRTUALBOX, SOURCE_WORKING_COPY, State, Uploads, Vm,
};

/// Whatever owns the menu takes the actions its items ask for.
pub trait Dispatch: Send + 'static {
    fn dispatch(&mut self, action: Action);
}

/// RAM sizes a student may pick from, when the VM's range allows them.
const RAM_STEPS: [u32; 15] = [
    256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768,
];
/// How many RAM sizes the menu offers at most (around the default).
const RAM_CHOICES: usize = 5;

pub fn build<T: Dispatch>(state: &State) -> Vec<MenuItem<T>> {
    let mut items = Vec::new();
    if let Some(line) = state.status_line() {
        items.push(label(&line));
        items.push(MenuItem::Separator);
    }
    if state.vms.is_empty() && state.daemon != Daemon::Unknown {
        items.push(label("No machines on the share"));
    }
    items.extend(state.vms.iter().map(|vm| vm_menu(state, vm)));
    let jobs: Vec<MenuItem<T>> = state
        .busy_jobs()
        .map(|job| {
            let line = state.job_label(job);
            SubMenu {
                label: esc(&line),
                submenu: vec![item(
                    "Cancel",
                    Some(Action::Cancel {
                        job: job.path.clone(),
                        what: line,
                    }),
                )],
                ..Default::default()
            }
            .into()
        })
        .collect();
    if !jobs.is_empty() {
        items.push(MenuItem::Separator);
        items.extend(jobs);
    }
    items.push(MenuItem::Separator);
    items.push(offline_menu(state));
    items.push(upload_menu(state));
    items.push(MenuItem::Separator);
    items.push(item(
        "VirtualBox (own machines)",
        Some(Action::OpenVirtualBox),
    ));
    items.push(item("Quit", Some(Action::Quit)));
    items
}

/// One VM: its snapshots, "As found", the RAM choice, and Stop while it runs.
fn vm_menu<T: Dispatch>(state: &State, vm: &Vm) -> MenuItem<T> {
    let m = &vm.machine;
    let name = vm.name();
    let running = vm.is(MachineState::Running);
    // The daemon signals a VM's state when it runs or stops; its start job tells earlier.
    let start_job = state
        .busy_jobs()
        .find(|j| j.vm == m.id && j.kind == KIND_START);
    let starting = !running && (vm.is(MachineState::Starting) || start_job.is_some());
    let title = if running {
        format!("{name} (running)")
    } else if starting {
        format!("{name} (starting)")
    } else if !m.problem.is_empty() {
        blocked(name, &m.problem)
    } else {
        name.to_string()
    };
    if !m.problem.is_empty() && !running && !starting {
        return SubMenu {
            label: esc(&title),
            enabled: false,
            ..Default::default()
        }
        .into();
    }
    let mut items = Vec::new();
    if running {
        items.push(item(
            "Stop",
            Some(Action::Stop {
                vm: m.id.clone(),
                name: name.to_string(),
            }),
        ));
    }
    if starting {
        // Until the VM runs, a start is stopped by canceling its job.
        if let Some(job) = start_job {
            let what = state.job_label(job);
            items.push(item(
                "Cancel start",
                Some(Action::Cancel {
                    job: job.path.clone(),
                    what,
                }),
            ));
        }
    }
    if !items.is_empty() {
        items.push(MenuItem::Separator);
    }
    // A start while it runs or starts makes no sense: the starts stay visible, disabled.
    let can_start = !running && !starting;
    let ram = chosen_ram(state, vm);
    let ram_mb = (ram != m.ram_default_mb).then_some(ram);
    let start = |snapshot: &str| Action::Start {
        vm: m.id.clone(),
        name: name.to_string(),
        snapshot: snapshot.to_string(),
        ram_mb,
    };
    for s in &vm.snapshots {
        if s.problem.is_empty() {
            items.push(item(&s.name, can_start.then(|| start(&s.id))));
        } else {
            items.push(item(&blocked(&s.name, &s.problem), None));
        }
    }
    if !vm.snapshots_problem.is_empty() {
        items.push(label(&vm.snapshots_problem));
    } else if vm.snapshots.is_empty() {
        items.push(label("No snapshots"));
    }
    if m.as_found {
        items.push(item("As found", can_start.then(|| start(""))));
    } else if !m.as_found_blocked.is_empty() {
        items.push(item(&blocked("As found", &m.as_found_blocked), None));
    }
    let choices = ram_choices(m.ram_min_mb, m.ram_default_mb, m.ram_max_mb);
    if !m.ram_fixed && choices.len() > 1 {
        items.push(MenuItem::Separator);
        items.push(ram_menu(&m.id, m.ram_default_mb, ram, choices));
    }
    SubMenu {
        label: esc(&title),
        submenu: items,
        ..Default::default()
    }
    .into()
}

fn ram_menu<T: Dispatch>(vm: &str, default: u32, chosen: u32, choices: Vec<u32>) -> MenuItem<T> {
    let options = choices
        .iter()
        .map(|&mb| RadioItem {
            label: if mb == default {
                format!("{mb} MB (default)")
            } else {
                format!("{mb} MB")
            },
            ..Default::default()
        })
        .collect();
    let selected = choices.iter().position(|&mb| mb == chosen).unwrap_or(0);
    let vm = vm.to_string();
    SubMenu {
        label: format!("RAM: {chosen} MB"),
        submenu: vec![
            RadioGroup {
                selected,
                select: Box::new(move |t: &mut T, i: usize| {
                    if let Some(&mb) = choices.get(i) {
                        t.dispatch(Action::ChooseRam { vm: vm.clone(), mb });
                    }
                }),
                options,
            }
            .into(),
        ],
        ..Default::default()
    }
    .into()
}

/// The RAM chosen in the menu, or the daemon's default.
fn chosen_ram(state: &State, vm: &Vm) -> u32 {
    state
        .ram
        .get(&vm.machine.id)
        .copied()
        .unwrap_or(vm.machine.ram_default_mb)
}

/// A few sizes within `[min, max]` around the default (which is always one of them).
pub fn ram_choices(min: u32, default: u32, max: u32) -> Vec<u32> {
    if min >= max {
        return vec![default];
    }
    let mut all: Vec<u32> = RAM_STEPS
        .iter()
        .copied()
        .filter(|mb| (min..=max).contains(mb))
        .chain([default])
        .collect();
    all.sort_unstable();
    all.dedup();
    let at = all.iter().position(|&mb| mb == default).unwrap_or(0);
    let start = at
        .saturating_sub(RAM_CHOICES / 2)
        .min(all.len().saturating_sub(RAM_CHOICES));
    all.into_iter().skip(start).take(RAM_CHOICES).collect()
}

/// One check mark per VM (kept for offline use or not), "Sync now", and the cache space.
fn offline_menu<T: Dispatch>(state: &State) -> MenuItem<T> {
    let mut items: Vec<MenuItem<T>> = state
        .vms
        .iter()
        .map(|vm| {
            let m = &vm.machine;
            let (id, name) = (m.id.clone(), vm.name().to_string());
            let label = if m.synced && m.outdated {
                format!("{name} (outdated)")
            } else {
                name.clone()
            };
            let action = if m.synced {
                Action::Unsync { vm: id, name }
            } else {
                Action::Sync { vm: id, name }
            };
            CheckmarkItem {
                label: esc(&label),
                checked: m.synced,
                activate: Box::new(move |t: &mut T| t.dispatch(action.clone())),
                ..Default::default()
            }
            .into()
        })
        .collect();
    let outdated: Vec<Action> = state
        .vms
        .iter()
        .filter(|vm| vm.machine.synced && vm.machine.outdated)
        .map(|vm| Action::Sync {
            vm: vm.machine.id.clone(),
            name: vm.name().to_string(),
        })
        .collect();
    items.push(MenuItem::Separator);
    items.push(
        StandardItem {
            label: "Sync now".into(),
            enabled: !outdated.is_empty(),
            activate: Box::new(move |t: &mut T| {
                for action in &outdated {
                    t.dispatch(action.clone());
                }
            }),
            ..Default::default()
        }
        .into(),
    );
    items.push(MenuItem::Separator);
    items.push(label(&cache_line(&state.cache)));
    SubMenu {
        label: "Offline".into(),
        submenu: items,
        ..Default::default()
    }
    .into()
}

/// The user's own VirtualBox machines and leovms working copies, each uploaded by a click
/// as the daemon sees fit (a new snapshot of the VM it was made from, else a new VM).
fn upload_menu<T: Dispatch>(state: &State) -> MenuItem<T> {
    let mut items = Vec::new();
    match &state.uploads {
        Uploads::Unknown => items.push(label("Looking for machines…")),
        Uploads::Unreadable(why) => items.push(label(why)),
        Uploads::Listed(list) => {
            let sections = [
                (SOURCE_VIRTUALBOX, "Own VirtualBox machines"),
                (SOURCE_WORKING_COPY, "leovms working copies"),
            ];
            for (source, header) in sections {
                let machines: Vec<_> = list.iter().filter(|u| u.source == source).collect();
                if machines.is_empty() {
                    continue;
                }
                if !items.is_empty() {
                    items.push(MenuItem::Separator);
                }
                items.push(label(header));
                for u in machines {
                    let name = if u.name.is_empty() { &u.id } else { &u.name };
                    let target = if u.vm.is_empty() {
                        "new VM".to_string()
                    } else {
                        format!("new snapshot of {}", state.name_of(&u.vm))
                    };
                    let line = format!("{name} → {target}");
                    if u.problem.is_empty() {
                        let action = Action::Upload {
                            source: u.source.clone(),
                            id: u.id.clone(),
                            name: name.clone(),
                        };
                        items.push(item(&line, Some(action)));
                    } else {
                        items.push(item(&blocked(&line, &u.problem), None));
                    }
                }
            }
            if items.is_empty() {
                items.push(label("Nothing to upload"));
            }
        }
    }
    SubMenu {
        label: "Upload…".into(),
        submenu: items,
        ..Default::default()
    }
    .into()
}

pub fn cache_line(cache: &Cache) -> String {
    match cache {
        Cache::Unknown => "Cache: not read yet".into(),
        Cache::NotConfigured => "No offline cache configured".into(),
        Cache::Space { free, limit } => {
            format!("Cache: {} free of {}", format_gb(*free), format_gb(*limit))
        }
        Cache::Unusable(why) => format!("Cache: {why}"),
    }
}

/// An item that does `action`; disabled without one.
fn item<T: Dispatch>(text: &str, action: Option<Action>) -> MenuItem<T> {
    StandardItem {
        label: esc(text),
        enabled: action.is_some(),
        activate: Box::new(move |t: &mut T| {
            if let Some(a) = &action {
                t.dispatch(a.clone());
            }
        }),
        ..Default::default()
    }
    .into()
}

/// Something that cannot be done now, with the daemon's reason after a dash.
fn blocked(text: &str, problem: &str) -> String {
    format!("{text} — {problem}")
}

/// A line of information.
fn label<T: Dispatch>(text: &str) -> MenuItem<T> {
    item(text, None)
}

/// dbusmenu reads `_` as a mnemonic marker; names from the share are shown as written.
fn esc(text: &str) -> String {
    text.replace('_', "__")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::{demo, info, uploadable};

    /// Records what the menu asks for.
    #[derive(Default)]
    struct Recorder(Vec<Action>);

    impl Dispatch for Recorder {
        fn dispatch(&mut self, action: Action) {
            self.0.push(action);
        }
    }

    type Items = Vec<MenuItem<Recorder>>;

    fn text(item: &MenuItem<Recorder>) -> Option<&str> {
        match item {
            MenuItem::Standard(i) => Some(&i.label),
            MenuItem::SubMenu(i) => Some(&i.label),
            MenuItem::Checkmark(i) => Some(&i.label),
            MenuItem::Separator | MenuItem::RadioGroup(_) => None,
        }
    }

    fn labels(items: &Items) -> Vec<&str> {
        items.iter().filter_map(text).collect()
    }

    fn find<'a>(items: &'a Items, label: &str) -> &'a MenuItem<Recorder> {
        items
            .iter()
            .find(|i| text(i) == Some(label))
            .unwrap_or_else(|| panic!("no {label:?} in {:?}", labels(items)))
    }

    fn sub<'a>(items: &'a Items, label: &str) -> &'a Items {
        match find(items, label) {
            MenuItem::SubMenu(s) => &s.submenu,
            other => panic!("{label} is no submenu: {other:?}"),
        }
    }

    /// Clicks an item; returns what it asked for and whether it was enabled.
    fn click(items: &Items, label: &str) -> (bool, Vec<Action>) {
        let mut r = Recorder::default();
        let enabled = match find(items, label) {
            MenuItem::Standard(i) => {
                (i.activate)(&mut r);
                i.enabled
            }
            MenuItem::Checkmark(i) => {
                (i.activate)(&mut r);
                i.enabled
            }
            other => panic!("{label} is not clickable: {other:?}"),
        };
        (enabled, r.0)
    }

    fn start(vm: &str, name: &str, snapshot: &str, ram_mb: Option<u32>) -> Action {
        Action::Start {
            vm: vm.into(),
            name: name.into(),
            snapshot: snapshot.into(),
            ram_mb,
        }
    }

    #[test]
    fn machines_with_their_snapshots_then_offline_upload_virtualbox_and_quit() {
        let menu: Items = build(&demo());
        assert_eq!(
            labels(&menu),
            [
                "Demo Linux",
                "Windows 10",
                "Offline",
                "Upload…",
                "VirtualBox (own machines)",
                "Quit"
            ]
        );
        let demo_vm = sub(&menu, "Demo Linux");
        assert_eq!(labels(demo_vm), ["Standard", "Exam 2027", "RAM: 2048 MB"]);
        assert_eq!(
            click(demo_vm, "Exam 2027"),
            (true, vec![start("vm-demo", "Demo Linux", "exam", None)])
        );
        assert_eq!(click(&menu, "Quit").1, [Action::Quit]);
        assert_eq!(
            click(&menu, "VirtualBox (own machines)").1,
            [Action::OpenVirtualBox]
        );
    }

    #[test]
    fn problems_are_shown_disabled_with_their_reason() {
        let mut s = demo();
        s.vms[0].snapshots[1].problem = "not available offline".into();
        s.vms[0].machine.as_found_blocked = "it was saved while running".into();
        s.vms[1].machine.problem = "image.conf line 3: unknown key `rom`".into();
        let menu: Items = build(&s);
        let demo_vm = sub(&menu, "Demo Linux");
        assert_eq!(
            click(demo_vm, "Exam 2027 — not available offline"),
            (false, vec![])
        );
        assert_eq!(
            click(demo_vm, "As found — it was saved while running"),
            (false, vec![])
        );
        match find(&menu, "Windows 10 — image.conf line 3: unknown key `rom`") {
            MenuItem::SubMenu(s) => assert!(!s.enabled && s.submenu.is_empty()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn as_found_and_the_chosen_ram_go_into_the_start() {
        let mut s = demo();
        s.vms[0].machine.as_found = true;
        s.ram.insert("vm-demo".into(), 3072);
        let menu: Items = build(&s);
        let demo_vm = sub(&menu, "Demo Linux");
        assert_eq!(
            click(demo_vm, "As found").1,
            [start("vm-demo", "Demo Linux", "", Some(3072))]
        );
        let ram = sub(demo_vm, "RAM: 3072 MB");
        let MenuItem::RadioGroup(group) = &ram[0] else {
            panic!("no radio group")
        };
        let sizes: Vec<&str> = group.options.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(
            sizes,
            [
                "1024 MB",
                "1536 MB",
                "2048 MB (default)",
                "3072 MB",
                "4096 MB"
            ]
        );
        assert_eq!(group.selected, 3);
        let mut r = Recorder::default();
        (group.select)(&mut r, 0);
        assert_eq!(
            r.0,
            [Action::ChooseRam {
                vm: "vm-demo".into(),
                mb: 1024
            }]
        );
        // A fixed RAM offers no choice.
        s.vms[0].machine.ram_fixed = true;
        let menu: Items = build(&s);
        assert!(
            !labels(sub(&menu, "Demo Linux"))
                .iter()
                .any(|l| l.starts_with("RAM"))
        );
    }

    #[test]
    fn ram_choices_stay_in_range_and_include_the_default() {
        assert_eq!(ram_choices(512, 1000, 1024), [512, 768, 1000, 1024]);
        assert_eq!(ram_choices(2048, 2048, 2048), [2048]);
        assert_eq!(
            ram_choices(256, 8192, 32768),
            [4096, 6144, 8192, 12288, 16384]
        );
        assert_eq!(ram_choices(256, 256, 32768), [256, 384, 512, 768, 1024]);
    }

    #[test]
    fn a_running_vm_offers_stop_and_no_start() {
        let mut s = demo();
        s.machine_changed("vm-demo", "running");
        let menu: Items = build(&s);
        let demo_vm = sub(&menu, "Demo Linux (running)");
        assert_eq!(
            click(demo_vm, "Stop").1,
            [Action::Stop {
                vm: "vm-demo".into(),
                name: "Demo Linux".into()
            }]
        );
        assert_eq!(click(demo_vm, "Standard"), (false, vec![]));
    }

    #[test]
    fn a_job_shows_its_phase_and_percent_and_can_be_canceled() {
        let mut s = demo();
        s.job_added(&info(4, "start", "vm-demo", "plan", "active"));
        s.job_progress("/org/leovms/Leovms1/job/4", "unpack-base", 42, 100);
        s.machine_changed("vm-demo", "starting");
        let menu: Items = build(&s);
        let line = "Starting Demo Linux — unpacking the base image 42%";
        let job = sub(&menu, line);
        let cancel = Action::Cancel {
            job: "/org/leovms/Leovms1/job/4".into(),
            what: line.into(),
        };
        assert_eq!(click(job, "Cancel").1, std::slice::from_ref(&cancel));
        let demo_vm = sub(&menu, "Demo Linux (starting)");
        assert_eq!(click(demo_vm, "Cancel start").1, [cancel]);
        assert_eq!(click(demo_vm, "Exam 2027"), (false, vec![]));
    }

    #[test]
    fn the_offline_menu_syncs_unsyncs_and_shows_the_cache() {
        let mut s = demo();
        s.vms[0].machine.synced = true;
        s.vms[0].machine.outdated = true;
        s.cache = Cache::Space {
            free: 3_100_000_000,
            limit: 20_000_000_000,
        };
        let menu: Items = build(&s);
        let offline = sub(&menu, "Offline");
        assert_eq!(
            labels(offline),
            [
                "Demo Linux (outdated)",
                "Windows 10",
                "Sync now",
                "Cache: 3.1 GB free of 20.0 GB"
            ]
        );
        let MenuItem::Checkmark(c) = find(offline, "Demo Linux (outdated)") else {
            panic!("no check mark")
        };
        assert!(c.checked);
        let demo_sync = Action::Sync {
            vm: "vm-demo".into(),
            name: "Demo Linux".into(),
        };
        assert_eq!(
            click(offline, "Demo Linux (outdated)").1,
            [Action::Unsync {
                vm: "vm-demo".into(),
                name: "Demo Linux".into()
            }]
        );
        assert_eq!(
            click(offline, "Windows 10").1,
            [Action::Sync {
                vm: "vm-win".into(),
                name: "Windows 10".into()
            }]
        );
        assert_eq!(click(offline, "Sync now"), (true, vec![demo_sync]));
        s.vms[0].machine.outdated = false;
        s.cache = Cache::NotConfigured;
        let menu: Items = build(&s);
        let offline = sub(&menu, "Offline");
        assert_eq!(click(offline, "Sync now"), (false, vec![]));
        find(offline, "No offline cache configured");
    }

    #[test]
    fn the_status_line_comes_first_and_underscores_are_kept() {
        let mut s = demo();
        s.share.as_mut().unwrap().state = "not-mounted".into();
        s.vms[1].machine.name = "Win_10".into();
        let menu: Items = build(&s);
        assert_eq!(
            click(&menu, "Share not reachable — working offline"),
            (false, vec![])
        );
        find(&menu, "Win__10");
        let empty: Items = build(&State::default());
        assert_eq!(labels(&empty)[0], "Looking for machines…");
    }

    fn upload(source: &str, id: &str, name: &str) -> Action {
        Action::Upload {
            source: source.into(),
            id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn the_upload_menu_lists_own_machines_then_working_copies() {
        let mut s = demo();
        s.set_uploads(Some(Uploads::Listed(vec![
            uploadable("virtualbox", "6f1c0c2e", "Teacher_VM", "vm-demo", ""),
            uploadable("virtualbox", "9a7d41b0", "Own Debian", "", ""),
            uploadable("virtualbox", "1b2c3d4e", "Old one", "vm-gone", ""),
            uploadable("working-copy", "vm-win", "Windows 10", "vm-win", ""),
        ])));
        let menu: Items = build(&s);
        let labels_top = labels(&menu);
        let at = labels_top.iter().position(|l| *l == "Offline").unwrap();
        assert_eq!(labels_top[at + 1], "Upload…", "right after Offline");
        let uploads = sub(&menu, "Upload…");
        assert_eq!(
            labels(uploads),
            [
                "Own VirtualBox machines",
                "Teacher__VM → new snapshot of Demo Linux",
                "Own Debian → new VM",
                "Old one → new snapshot of vm-gone",
                "leovms working copies",
                "Windows 10 → new snapshot of Windows 10",
            ]
        );
        assert!(matches!(uploads[4], MenuItem::Separator));
        assert_eq!(click(uploads, "Own VirtualBox machines"), (false, vec![]));
        assert_eq!(click(uploads, "leovms working copies"), (false, vec![]));
        assert_eq!(
            click(uploads, "Teacher__VM → new snapshot of Demo Linux"),
            (true, vec![upload("virtualbox", "6f1c0c2e", "Teacher_VM")])
        );
        assert_eq!(
            click(uploads, "Own Debian → new VM"),
            (true, vec![upload("virtualbox", "9a7d41b0", "Own Debian")])
        );
        assert_eq!(
            click(uploads, "Windows 10 → new snapshot of Windows 10"),
            (true, vec![upload("working-copy", "vm-win", "Windows 10")])
        );
    }

    #[test]
    fn machines_that_cannot_be_uploaded_are_disabled_with_the_reason() {
        let mut s = demo();
        s.set_uploads(Some(Uploads::Listed(vec![
            uploadable(
                "virtualbox",
                "6f1c0c2e",
                "Teacher VM",
                "vm-demo",
                "Teacher VM is running; shut it down in VirtualBox first",
            ),
            uploadable(
                "working-copy",
                "vm-demo",
                "Demo Linux",
                "vm-demo",
                "Demo Linux is running; close it first",
            ),
        ])));
        let menu: Items = build(&s);
        let uploads = sub(&menu, "Upload…");
        assert_eq!(
            click(
                uploads,
                "Teacher VM → new snapshot of Demo Linux — \
                 Teacher VM is running; shut it down in VirtualBox first"
            ),
            (false, vec![])
        );
        assert_eq!(
            click(
                uploads,
                "Demo Linux → new snapshot of Demo Linux — Demo Linux is running; close it first"
            ),
            (false, vec![])
        );
    }

    #[test]
    fn an_empty_section_is_left_out_and_nothing_says_so() {
        let mut s = demo();
        s.set_uploads(Some(Uploads::Listed(vec![uploadable(
            "working-copy",
            "vm-demo",
            "Demo Linux",
            "vm-demo",
            "",
        )])));
        let menu: Items = build(&s);
        assert_eq!(
            labels(sub(&menu, "Upload…")),
            [
                "leovms working copies",
                "Demo Linux → new snapshot of Demo Linux"
            ]
        );
        s.set_uploads(Some(Uploads::Listed(vec![])));
        let menu: Items = build(&s);
        let uploads = sub(&menu, "Upload…");
        assert_eq!(labels(uploads), ["Nothing to upload"]);
        assert_eq!(click(uploads, "Nothing to upload"), (false, vec![]));
        // Not read yet, or the daemon's reason why not; a daemon that is gone keeps the list.
        let menu: Items = build(&State::default());
        assert_eq!(labels(sub(&menu, "Upload…")), ["Looking for machines…"]);
        s.set_uploads(Some(Uploads::Unreadable(
            "VirtualBox.xml line 3: not XML".into(),
        )));
        s.set_uploads(None);
        let menu: Items = build(&s);
        let uploads = sub(&menu, "Upload…");
        assert_eq!(
            click(uploads, "VirtualBox.xml line 3: not XML"),
            (false, vec![])
        );
    }

    #[test]
    fn an_upload_shows_as_a_job_with_cancel() {
        let mut s = demo();
        s.set_uploads(Some(Uploads::Listed(vec![uploadable(
            "virtualbox",
            "6f1c0c2e",
            "Teacher VM",
            "vm-demo",
            "",
        )])));
        s.upload_started("/org/leovms/Leovms1/job/5", "Teacher VM");
        s.job_added(&info(5, "upload", "vm-demo", "upload", "active"));
        s.job_progress("/org/leovms/Leovms1/job/5", "upload", 30, 100);
        let menu: Items = build(&s);
        let line = "Uploading Teacher VM — 30%";
        assert_eq!(
            click(sub(&menu, line), "Cancel").1,
            [Action::Cancel {
                job: "/org/leovms/Leovms1/job/5".into(),
                what: line.into(),
            }]
        );
    }
}
