//! The tray's menu, built from the state alone. What can be started, and why not, is the
//! daemon's word (`problem`, `as_found`, RAM range): the menu only presents it.
//!
//! Nothing that loses work happens with one click: starting a snapshot over a working
//! copy, powering a VM off and uploading each open a small submenu that says what will
//! happen, with **Cancel** first and the "Yes, …" below it (see docs/tray.md).
//!
//! A VM's submenu is built in `machine`, its RAM choice in `ram`, the questions in
//! `questions`, the Offline submenu in `offline` and the Upload… submenu in `upload`.

use ksni::menu::{MenuItem, StandardItem, SubMenu};

use crate::actions::Action;
use crate::l10n::fl;
use crate::state::{Daemon, State};

mod machine;
mod offline;
mod questions;
mod ram;
mod upload;

use machine::vm_menu;
use offline::offline_menu;
use upload::upload_menu;

/// Whatever owns the menu takes the actions its items ask for.
pub trait Dispatch: Send + 'static {
    fn dispatch(&mut self, action: Action);
}

/// "Cancel", the first answer of every question and of a job's submenu.
fn cancel_label() -> String {
    fl!("menu-cancel")
}

pub fn build<T: Dispatch>(state: &State) -> Vec<MenuItem<T>> {
    let mut items = Vec::new();
    if let Some(line) = state.status_line() {
        items.push(label(&line));
        items.push(MenuItem::Separator);
    }
    if state.vms.is_empty() && state.daemon != Daemon::Unknown {
        items.push(label(&fl!("menu-no-machines")));
    }
    items.extend(state.vms.iter().map(|vm| vm_menu(state, vm)));
    let jobs: Vec<MenuItem<T>> = state
        .busy_jobs()
        .map(|job| {
            let line = state.job_label(job);
            SubMenu {
                label: esc(&line),
                submenu: vec![item(
                    &cancel_label(),
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
        items.push(item(&fl!("menu-virtualbox"), Some(Action::OpenVirtualBox)));
        items.push(item(&fl!("menu-quit"), Some(Action::Quit)));
    }
    items
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
mod tests;
