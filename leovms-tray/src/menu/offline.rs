//! The Offline submenu: which VMs are kept for offline use, "Sync now", the cache's room.

use ksni::menu::{CheckmarkItem, MenuItem, StandardItem, SubMenu};

use super::{Dispatch, esc, label};
use crate::actions::{Action, format_gb};
use crate::l10n::fl;
use crate::state::{Cache, State};

/// One check mark per VM (kept for offline use or not), "Sync now", and the cache space.
pub(super) fn offline_menu<T: Dispatch>(state: &State) -> MenuItem<T> {
    let mut items: Vec<MenuItem<T>> = state
        .vms
        .iter()
        .map(|vm| {
            let m = &vm.machine;
            let (id, name) = (m.id.clone(), vm.name().to_string());
            let label = if m.synced && m.outdated {
                fl!("offline-outdated", vm = name.as_str())
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
            label: fl!("offline-sync-now"),
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
        label: fl!("offline-menu"),
        submenu: items,
        ..Default::default()
    }
    .into()
}

fn cache_line(cache: &Cache) -> String {
    match cache {
        Cache::Unknown => fl!("offline-cache-unknown"),
        Cache::NotConfigured => fl!("offline-cache-none"),
        Cache::Space { free, limit } => fl!(
            "offline-cache-space",
            free = format_gb(*free),
            limit = format_gb(*limit)
        ),
        Cache::Unusable(why) => fl!("offline-cache-unusable", reason = why.as_str()),
    }
}
