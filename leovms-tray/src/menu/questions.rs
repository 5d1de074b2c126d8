//! The questions before something loses work or goes up: Cancel first, then the Yes.

use ksni::menu::{MenuItem, StandardItem, SubMenu};
use leovms_api::Snapshot;

use super::{Dispatch, cancel_label, esc, item, label};
use crate::actions::Action;
use crate::l10n::fl;

/// A snapshot of a VM whose working copy would be replaced: its name opens the question.
pub(super) fn discard_menu<T: Dispatch>(vm: &str, s: &Snapshot, start: Action) -> MenuItem<T> {
    confirm(
        &s.name,
        &[
            fl!("question-discard", snapshot = s.name.as_str()),
            fl!("question-discard-lost", vm = vm),
        ],
        &fl!("question-yes-discard"),
        start,
    )
    .into()
}

/// Power off…: a hard power-off of the running `vm`, which `stop` does after the Yes.
pub(super) fn power_off_menu<T: Dispatch>(vm: &str, stop: Action) -> MenuItem<T> {
    confirm(
        &fl!("menu-power-off"),
        &[fl!("question-power-off", vm = vm)],
        &fl!("question-yes-power-off"),
        stop,
    )
    .into()
}

/// A submenu named `title` that asks: the `question` lines, then **Cancel** (first, so
/// that a keyboard opening the submenu lands on it) and `yes`, which does `action`.
pub(super) fn confirm<T: Dispatch>(
    title: &str,
    question: &[String],
    yes: &str,
    action: Action,
) -> SubMenu<T> {
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

/// "Cancel" in a question: it only closes the menu.
fn cancel<T: Dispatch>() -> MenuItem<T> {
    StandardItem {
        label: cancel_label(),
        ..Default::default()
    }
    .into()
}
