//! The RAM choice of a VM: a few of leovms-image's sizes around the daemon's default.

use ksni::menu::{MenuItem, RadioGroup, RadioItem, SubMenu};
use leovms_image::ram::RamPlan;

use super::Dispatch;
use crate::actions::Action;
use crate::l10n::fl;
use crate::state::{State, Vm};

/// How many RAM sizes the menu offers at most (around the default).
const RAM_CHOICES: usize = 5;

pub(super) fn ram_menu<T: Dispatch>(
    vm: &str,
    default: u32,
    chosen: u32,
    choices: Vec<u32>,
) -> MenuItem<T> {
    let options = choices
        .iter()
        .map(|&mb| RadioItem {
            label: if mb == default {
                fl!("menu-ram-default", mb = mb.to_string())
            } else {
                fl!("menu-ram-choice", mb = mb.to_string())
            },
            ..Default::default()
        })
        .collect();
    let selected = choices.iter().position(|&mb| mb == chosen).unwrap_or(0);
    let vm = vm.to_string();
    SubMenu {
        label: fl!("menu-ram", mb = chosen.to_string()),
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
pub(super) fn chosen_ram(state: &State, vm: &Vm) -> u32 {
    state
        .ram
        .get(&vm.machine.id)
        .copied()
        .unwrap_or(vm.machine.ram_default_mb)
}

/// A few sizes within `[min, max]` around the default (which is always one of them).
pub(super) fn ram_choices(min: u32, default: u32, max: u32) -> Vec<u32> {
    let plan = RamPlan {
        default_mb: default,
        min_mb: min,
        max_mb: max,
        fixed: false,
    };
    plan.choices(RAM_CHOICES)
}
