//! One VM's submenu: description, snapshots, RAM choice, Cancel start and Power off.

use ksni::menu::{MenuItem, SubMenu};
use leovms_api::{JobKind, MachineState, Snapshot};

use super::questions::{discard_menu, power_off_menu};
use super::ram::{chosen_ram, ram_choices, ram_menu};
use super::{Dispatch, blocked, esc, item, label};
use crate::actions::Action;
use crate::l10n::fl;
use crate::state::{State, Vm};

/// Descriptions are wrapped into lines of at most this many characters…
pub(super) const WRAP: usize = 60;
/// …and at most this many lines.
const WRAP_LINES: usize = 3;
/// Lines about the item above them are indented by this.
pub(super) const INDENT: &str = "    ";

/// One VM: what it is, "Continue where I left off" (as found), its snapshots, the RAM choice, and
/// (at the end) Power off while it runs.
pub(super) fn vm_menu<T: Dispatch>(state: &State, vm: &Vm) -> MenuItem<T> {
    let m = &vm.machine;
    let name = vm.name();
    let running = vm.is(MachineState::Running);
    // The daemon signals a VM's state when it runs or stops; its start job tells earlier.
    let start_job = state
        .busy_jobs()
        .find(|j| j.vm == m.id && j.kind == JobKind::Start);
    let starting = !running && (vm.is(MachineState::Starting) || start_job.is_some());
    let title = if running {
        fl!("menu-running", vm = name)
    } else if starting {
        fl!("menu-starting", vm = name)
    } else if !m.problem.is_empty() {
        blocked(name, &m.problem_text())
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
        items.push(label(&fl!("menu-running-hint")));
    }
    items.extend(wrap(&m.description).iter().map(|line| label(line)));
    if starting {
        // Until the VM runs, a start is stopped by canceling its job.
        if let Some(job) = start_job {
            let what = state.job_label(job);
            items.push(item(
                &fl!("menu-cancel-start"),
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
    // The working copy first: continuing it ("as found") loses nothing.
    let continue_label = fl!("menu-continue");
    if m.as_found {
        items.push(item(&continue_label, can_start.then(|| start(""))));
    } else if !m.as_found_blocked.is_empty() {
        items.push(item(
            &blocked(&continue_label, &m.as_found_blocked_text()),
            None,
        ));
    }
    if vm.has_working_copy() {
        items.push(MenuItem::Separator);
    }
    for s in &vm.snapshots {
        if !s.problem.is_empty() {
            items.push(item(&blocked(&s.name, &s.problem_text()), None));
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
        items.push(label(&fl!("menu-no-snapshots")));
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
        items.push(power_off_menu(name, stop));
    }
    SubMenu {
        label: esc(&title),
        submenu: items,
        ..Default::default()
    }
    .into()
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
        lines.push(fl!("menu-maintainer", maintainer = maintainer));
    }
    lines.into_iter().map(|l| format!("{INDENT}{l}")).collect()
}

/// `text` in lines of at most [`WRAP`] characters, at most [`WRAP_LINES`] of them (the
/// last one then ends in "…"). Line breaks of the text become spaces.
pub(super) fn wrap(text: &str) -> Vec<String> {
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
