//! The tray's menu, built from the state alone. What can be started, and why not, is the
//! daemon's word (`problem`, `as_found`, RAM range): the menu only presents it.
//!
//! Nothing that loses work happens with one click: starting a snapshot over a working
//! copy, powering a VM off and uploading each open a small submenu that says what will
//! happen, with **Cancel** first and the "Yes, …" below it (see docs/tray.md).

use ksni::menu::{CheckmarkItem, MenuItem, RadioGroup, RadioItem, StandardItem, SubMenu};
use leovms_api::{JobKind, MachineState, Snapshot, UploadSource, Uploadable};

use crate::actions::{Action, format_gb};
use crate::state::{Cache, Daemon, State, Uploads, Vm};

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
/// Descriptions are wrapped into lines of at most this many characters…
const WRAP: usize = 60;
/// …and at most this many lines.
const WRAP_LINES: usize = 3;
/// Lines about the item above them are indented by this.
const INDENT: &str = "    ";

/// The item that continues a working copy ("as found").
pub const CONTINUE: &str = "Continue where I left off";
pub const CANCEL: &str = "Cancel";
pub const YES_DISCARD: &str = "Yes, discard and start";
pub const POWER_OFF: &str = "Power off…";
pub const YES_POWER_OFF: &str = "Yes, power off";
pub const RUNNING_HINT: &str = "Running. To end it, shut it down inside the VM.";

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
    // Uploading, the own VirtualBox and quitting are for teachers who prepare machines;
    // a student's menu has only what starts and keeps the school's VMs.
    if state.role.is_uploader() {
        items.push(upload_menu(state));
        items.push(MenuItem::Separator);
        items.push(item(
            "VirtualBox (own machines)",
            Some(Action::OpenVirtualBox),
        ));
        items.push(item("Quit", Some(Action::Quit)));
    }
    items
}

/// One VM: what it is, "Continue where I left off", its snapshots, the RAM choice, and
/// (at the end) Power off while it runs.
fn vm_menu<T: Dispatch>(state: &State, vm: &Vm) -> MenuItem<T> {
    let m = &vm.machine;
    let name = vm.name();
    let running = vm.is(MachineState::Running);
    // The daemon signals a VM's state when it runs or stops; its start job tells earlier.
    let start_job = state
        .busy_jobs()
        .find(|j| j.vm == m.id && j.kind == JobKind::Start);
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
    let mut items: Vec<MenuItem<T>> = Vec::new();
    if running {
        // What matters now comes first: how to end it without losing work.
        items.push(label(RUNNING_HINT));
    }
    items.extend(wrap(&m.description).iter().map(|line| label(line)));
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
    // The working copy first: continuing it loses nothing.
    if m.as_found {
        items.push(item(CONTINUE, can_start.then(|| start(""))));
    } else if !m.as_found_blocked.is_empty() {
        items.push(item(&blocked(CONTINUE, &m.as_found_blocked), None));
    }
    if vm.has_working_copy() {
        items.push(MenuItem::Separator);
    }
    for s in &vm.snapshots {
        if !s.problem.is_empty() {
            items.push(item(&blocked(&s.name, &s.problem), None));
        } else if can_start && vm.has_working_copy() {
            items.push(discard_menu(name, s, start(&s.id)));
        } else {
            items.push(item(&s.name, can_start.then(|| start(&s.id))));
        }
        items.extend(snapshot_info(s).iter().map(|line| label(line)));
    }
    if !vm.snapshots_problem.is_empty() {
        items.push(label(&vm.snapshots_problem));
    } else if vm.snapshots.is_empty() {
        items.push(label("No snapshots"));
    }
    let choices = ram_choices(m.ram_min_mb, m.ram_default_mb, m.ram_max_mb);
    if !m.ram_fixed && choices.len() > 1 {
        items.push(MenuItem::Separator);
        items.push(ram_menu(&m.id, m.ram_default_mb, ram, choices));
    }
    if running {
        // A hard power-off: last, and only after a second click.
        let stop = Action::Stop {
            vm: m.id.clone(),
            name: name.to_string(),
        };
        items.push(MenuItem::Separator);
        items.push(
            confirm(
                POWER_OFF,
                &[format!(
                    "Power off {name} now? Unsaved work in the VM is lost."
                )],
                YES_POWER_OFF,
                stop,
            )
            .into(),
        );
    }
    SubMenu {
        label: esc(&title),
        submenu: items,
        ..Default::default()
    }
    .into()
}

/// A snapshot of a VM whose working copy would be replaced: its name opens the question.
fn discard_menu<T: Dispatch>(vm: &str, s: &Snapshot, start: Action) -> MenuItem<T> {
    confirm(
        &s.name,
        &[
            format!("Discard my changes and start {}?", s.name),
            format!("All changes made in {vm} since its last fresh start are lost."),
        ],
        YES_DISCARD,
        start,
    )
    .into()
}

/// A submenu named `title` that asks: the `question` lines, then **Cancel** (first, so
/// that a keyboard opening the submenu lands on it) and `yes`, which does `action`.
fn confirm<T: Dispatch>(title: &str, question: &[String], yes: &str, action: Action) -> SubMenu<T> {
    let mut items: Vec<MenuItem<T>> = question.iter().map(|q| label(q)).collect();
    items.push(MenuItem::Separator);
    items.push(cancel());
    items.push(item(yes, Some(action)));
    SubMenu {
        label: esc(title),
        submenu: items,
        ..Default::default()
    }
}

/// The lines under a snapshot: its description and who maintains it.
fn snapshot_info(s: &Snapshot) -> Vec<String> {
    let mut lines = wrap(&s.description);
    let maintainer = s
        .maintainer
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !maintainer.is_empty() {
        lines.push(format!("Maintainer: {maintainer}"));
    }
    lines.into_iter().map(|l| format!("{INDENT}{l}")).collect()
}

/// `text` in lines of at most [`WRAP`] characters, at most [`WRAP_LINES`] of them (the
/// last one then ends in "…"). Line breaks of the text become spaces.
fn wrap(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > WRAP {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        // A single word longer than a line is cut.
        while line.chars().count() > WRAP {
            let head: String = line.chars().take(WRAP).collect();
            line = line.chars().skip(WRAP).collect();
            lines.push(head);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > WRAP_LINES {
        lines.truncate(WRAP_LINES);
        let last = &mut lines[WRAP_LINES - 1];
        let kept: String = last.chars().take(WRAP - 1).collect();
        *last = format!("{}…", kept.trim_end());
    }
    lines
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

/// The user's own VirtualBox machines and leovms working copies, each going up as the
/// daemon sees fit (a new snapshot of the VM it was made from, else a new VM) once the
/// teacher has confirmed what goes up under which name.
fn upload_menu<T: Dispatch>(state: &State) -> MenuItem<T> {
    let mut items = Vec::new();
    match &state.uploads {
        Uploads::Unknown => items.push(label("Looking for machines…")),
        Uploads::Unreadable(why) => items.push(label(why)),
        Uploads::Listed(list) => {
            let sections = [
                (UploadSource::VirtualBox, "Own VirtualBox machines"),
                (UploadSource::WorkingCopy, "leovms working copies"),
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
                    items.push(upload_item(state, u));
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

/// One machine to upload: "Teacher VM → new snapshot of Demo Linux", which opens what
/// goes up, under which name and how big, with Cancel and "Yes, upload as …". There is
/// no text field in a panel menu: another name or a description is the CLI's.
fn upload_item<T: Dispatch>(state: &State, u: &Uploadable) -> MenuItem<T> {
    let name = if u.name.is_empty() { &u.id } else { &u.name };
    let snapshot_of = (!u.vm.is_empty()).then(|| state.name_of(&u.vm));
    let target = match &snapshot_of {
        Some(vm) => format!("new snapshot of {vm}"),
        None => "new VM".to_string(),
    };
    let line = format!("{name} → {target}");
    if !u.problem.is_empty() {
        return item(&blocked(&line, &u.problem), None);
    }
    let what = if u.source == UploadSource::WorkingCopy {
        format!("Upload your leovms working copy of {name}")
    } else {
        format!("Upload {name} from your own VirtualBox")
    };
    let as_what = match &snapshot_of {
        Some(vm) => format!("as a new snapshot of {vm}, named \"{name}\"?"),
        None => format!("as a new VM, named \"{name}\"?"),
    };
    let bytes = if snapshot_of.is_some() {
        u.snapshot_bytes
    } else {
        u.vm_bytes
    };
    let (option, id) = if u.source == UploadSource::WorkingCopy {
        ("--working-copy", u.id.as_str())
    } else {
        ("--machine", u.id.as_str())
    };
    let action = Action::Upload {
        source: u.source,
        id: u.id.clone(),
        name: name.clone(),
        as_name: (!u.name.is_empty()).then(|| u.name.clone()),
    };
    let mut submenu = confirm(
        &line,
        &[
            what,
            as_what,
            format!(
                "No description. {} to copy; the admin publishes it afterwards.",
                format_size(bytes)
            ),
        ],
        &format!("Yes, upload as \"{name}\""),
        action,
    );
    submenu.submenu.push(MenuItem::Separator);
    submenu.submenu.push(label(&format!(
        "Another name or a description: leovms-cli upload {option} {id} --name … --description …"
    )));
    submenu.into()
}

/// `2.1 MB`, `310.4 MB`, `9.0 GB`: an upload may be small.
fn format_size(bytes: u64) -> String {
    if bytes < 1_000_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format_gb(bytes)
    }
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

/// "Cancel" in a question: it only closes the menu.
fn cancel<T: Dispatch>() -> MenuItem<T> {
    StandardItem {
        label: CANCEL.into(),
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
mod tests;
