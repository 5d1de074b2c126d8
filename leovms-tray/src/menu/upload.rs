//! The Upload… submenu: own VirtualBox machines and working copies, each asking first.

use ksni::menu::{MenuItem, SubMenu};
use leovms_api::{UploadSource, Uploadable};

use super::questions::confirm;
use super::{Dispatch, blocked, item, label};
use crate::actions::Action;
use crate::l10n::fl;
use crate::state::{State, Uploads};
/// `2.1 MB`, `310.4 MB`, `9.0 GB`: an upload may be small.
pub(super) use leovms_api::units::format_size;

/// The user's own VirtualBox machines and leovms working copies, each going up as the
/// daemon sees fit (a new snapshot of the VM it was made from, else a new VM) once the
/// teacher has confirmed what goes up under which name.
pub(super) fn upload_menu<T: Dispatch>(state: &State) -> MenuItem<T> {
    let mut items = Vec::new();
    match &state.uploads {
        Uploads::Unknown => items.push(label(&fl!("menu-looking"))),
        Uploads::Unreadable(why) => items.push(label(why)),
        Uploads::Listed(list) => {
            let sections = [
                (UploadSource::VirtualBox, fl!("upload-own")),
                (UploadSource::WorkingCopy, fl!("upload-working-copies")),
            ];
            for (source, header) in sections {
                let machines: Vec<_> = list.iter().filter(|u| u.source == source).collect();
                if machines.is_empty() {
                    continue;
                }
                if !items.is_empty() {
                    items.push(MenuItem::Separator);
                }
                items.push(label(&header));
                for u in machines {
                    items.push(upload_item(state, u));
                }
            }
            if items.is_empty() {
                items.push(label(&fl!("upload-nothing")));
            }
        }
    }
    SubMenu {
        label: fl!("upload-menu"),
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
    let line = match &snapshot_of {
        Some(vm) => fl!("upload-as-snapshot", name = name.as_str(), vm = vm.as_str()),
        None => fl!("upload-as-vm", name = name.as_str()),
    };
    if !u.problem.is_empty() {
        return item(&blocked(&line, &u.problem_text()), None);
    }
    let what = if u.source == UploadSource::WorkingCopy {
        fl!("upload-what-working-copy", name = name.as_str())
    } else {
        fl!("upload-what-own", name = name.as_str())
    };
    let as_what = match &snapshot_of {
        Some(vm) => fl!(
            "upload-question-snapshot",
            vm = vm.as_str(),
            name = name.as_str()
        ),
        None => fl!("upload-question-vm", name = name.as_str()),
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
        &[what, as_what, fl!("upload-size", size = format_size(bytes))],
        &fl!("upload-yes", name = name.as_str()),
        action,
    );
    submenu.submenu.push(MenuItem::Separator);
    submenu
        .submenu
        .push(label(&fl!("upload-cli", option = option, id = id)));
    submenu.into()
}
