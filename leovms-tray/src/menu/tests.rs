use super::machine::{INDENT, WRAP, wrap};
use super::ram::ram_choices;
use super::upload::format_size;
use super::*;
use crate::role::Role;
use crate::state::tests::{demo, info, uploadable};
use crate::state::{Cache, Uploads};
use leovms_api::{MachineState, Phase, ShareState, UploadSource};

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

/// A question: an enabled submenu (a click on it only opens it), its question
/// lines disabled, then Cancel (which asks for nothing) and `yes`. Returns the
/// question's lines and what `yes` asks for.
fn ask(items: &Items, label: &str, yes: &str) -> (Vec<String>, Vec<Action>) {
    let MenuItem::SubMenu(s) = find(items, label) else {
        panic!("{label} does something at once: {:?}", find(items, label))
    };
    assert!(s.enabled, "{label} is disabled");
    let inner = &s.submenu;
    let sep = inner
        .iter()
        .position(|i| matches!(i, MenuItem::Separator))
        .unwrap_or_else(|| panic!("no separator in {:?}", labels(inner)));
    let lines: Vec<String> = inner[..sep]
        .iter()
        .map(|i| {
            let t = text(i).unwrap().to_string();
            assert_eq!(click(inner, &t), (false, vec![]), "{t} is clickable");
            t
        })
        .collect();
    assert_eq!(text(&inner[sep + 1]), Some("Cancel"), "Cancel comes first");
    assert_eq!(text(&inner[sep + 2]), Some(yes));
    assert_eq!(click(inner, "Cancel"), (true, vec![]));
    let (enabled, actions) = click(inner, yes);
    assert!(enabled, "{yes} is disabled");
    (lines, actions)
}

fn start(vm: &str, name: &str, snapshot: &str, ram_mb: Option<u32>) -> Action {
    Action::Start {
        vm: vm.into(),
        name: name.into(),
        snapshot: snapshot.into(),
        ram_mb,
    }
}

fn uploader(mut s: State) -> State {
    s.role = Role::Uploader;
    s
}

#[test]
fn a_student_sees_the_machines_and_offline_only() {
    let menu: Items = build(&demo());
    assert_eq!(labels(&menu), ["Demo Linux", "Windows 10", "Offline"]);
    let demo_vm = sub(&menu, "Demo Linux");
    assert_eq!(labels(demo_vm), ["Standard", "Exam 2027", "RAM: 2048 MB"]);
    // Without a working copy nothing is lost: one click starts.
    assert_eq!(
        click(demo_vm, "Exam 2027"),
        (true, vec![start("vm-demo", "Demo Linux", "exam", None)])
    );
}

#[test]
fn an_uploader_also_sees_upload_virtualbox_and_quit() {
    let menu: Items = build(&uploader(demo()));
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
        click(
            demo_vm,
            "Continue where I left off — it was saved while running"
        ),
        (false, vec![])
    );
    match find(&menu, "Windows 10 — image.conf line 3: unknown key `rom`") {
        MenuItem::SubMenu(s) => assert!(!s.enabled && s.submenu.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn continuing_the_working_copy_and_the_chosen_ram_go_into_the_start() {
    let mut s = demo();
    s.vms[0].machine.as_found = true;
    s.ram.insert("vm-demo".into(), 3072);
    let menu: Items = build(&s);
    let demo_vm = sub(&menu, "Demo Linux");
    assert_eq!(
        labels(demo_vm)[0],
        "Continue where I left off",
        "the safe choice first"
    );
    assert_eq!(
        click(demo_vm, "Continue where I left off").1,
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
fn a_snapshot_over_a_working_copy_asks_first_and_only_yes_starts() {
    let mut s = demo();
    s.vms[0].machine.as_found = true;
    let menu: Items = build(&s);
    let demo_vm = sub(&menu, "Demo Linux");
    assert_eq!(
        labels(demo_vm),
        [
            "Continue where I left off",
            "Standard",
            "Exam 2027",
            "RAM: 2048 MB"
        ]
    );
    let (question, yes) = ask(demo_vm, "Exam 2027", "Yes, discard and start");
    assert_eq!(
        question,
        [
            "Discard my changes and start Exam 2027?",
            "All changes made in Demo Linux since its last fresh start are lost."
        ]
    );
    assert_eq!(yes, [start("vm-demo", "Demo Linux", "exam", None)]);
    // A working copy that cannot be continued still holds the changes.
    s.vms[0].machine.as_found = false;
    s.vms[0].machine.as_found_blocked = "it has a saved state".into();
    let menu: Items = build(&s);
    let (_, yes) = ask(
        sub(&menu, "Demo Linux"),
        "Standard",
        "Yes, discard and start",
    );
    assert_eq!(yes, [start("vm-demo", "Demo Linux", "standard", None)]);
    // The other VM has none: one click.
    assert_eq!(
        click(sub(&menu, "Windows 10"), "Standard").1,
        [start("vm-win", "Windows 10", "standard", None)]
    );
}

#[test]
fn power_off_is_last_and_asks_first() {
    let mut s = demo();
    s.vms[0].machine.as_found = true;
    s.machine_changed("vm-demo", MachineState::Running);
    let menu: Items = build(&s);
    let demo_vm = sub(&menu, "Demo Linux (running)");
    let all = labels(demo_vm);
    assert_eq!(all[0], "Running. To end it, shut it down inside the VM.");
    assert_eq!(all.last(), Some(&"Power off…"));
    assert!(!all.contains(&"Stop"), "{all:?}");
    let (question, yes) = ask(demo_vm, "Power off…", "Yes, power off");
    assert_eq!(
        question,
        ["Power off Demo Linux now? Unsaved work in the VM is lost."]
    );
    assert_eq!(
        yes,
        [Action::Stop {
            vm: "vm-demo".into(),
            name: "Demo Linux".into()
        }]
    );
    // No start while it runs, and no question about one.
    assert_eq!(click(demo_vm, "Standard"), (false, vec![]));
    assert_eq!(click(demo_vm, "Continue where I left off"), (false, vec![]));
}

#[test]
fn descriptions_and_maintainers_are_shown_under_their_item() {
    let mut s = demo();
    s.vms[0].machine.description = "A small Linux demo machine".into();
    s.vms[0].snapshots[1].description = "No network,\nexam tools only".into();
    s.vms[0].snapshots[1].maintainer = "mueller".into();
    s.vms[0].snapshots[0].description = "word ".repeat(60);
    let menu: Items = build(&s);
    let demo_vm = sub(&menu, "Demo Linux");
    let all = labels(demo_vm);
    let long = format!("{INDENT}{}", "word ".repeat(12).trim_end());
    let cut = format!("{INDENT}{}…", "word ".repeat(12).trim_end());
    assert_eq!(
        all,
        [
            "A small Linux demo machine",
            "Standard",
            long.as_str(),
            long.as_str(),
            cut.as_str(),
            "Exam 2027",
            "    No network, exam tools only",
            "    Maintainer: mueller",
            "RAM: 2048 MB"
        ]
    );
    assert!(matches!(demo_vm[1], MenuItem::Separator));
    for line in &all[2..5] {
        assert_eq!(click(demo_vm, line), (false, vec![]));
    }
    assert_eq!(click(demo_vm, "    Maintainer: mueller"), (false, vec![]));
    // Also under the question of a working copy.
    s.vms[0].machine.as_found = true;
    let menu: Items = build(&s);
    let demo_vm = sub(&menu, "Demo Linux");
    let all = labels(demo_vm);
    let at = all.iter().position(|l| *l == "Exam 2027").unwrap();
    assert_eq!(all[at + 1], "    No network, exam tools only");
}

#[test]
fn upload_sizes_read_in_mb_below_a_gb() {
    assert_eq!(format_size(2_097_152), "2.1 MB");
    assert_eq!(format_size(310_400_000), "310.4 MB");
    assert_eq!(format_size(9_000_000_000), "9.0 GB");
}

#[test]
fn descriptions_wrap_into_three_lines_at_most() {
    assert_eq!(wrap("  "), Vec::<String>::new());
    assert_eq!(wrap("Clean\n installation"), ["Clean installation"]);
    let long = "x".repeat(130);
    assert_eq!(
        wrap(&long),
        ["x".repeat(60), "x".repeat(60), "x".repeat(10)]
    );
    let lines = wrap(&"abc ".repeat(100));
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l.chars().count() <= WRAP));
    assert!(lines[2].ends_with('…'));
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
fn a_job_shows_its_phase_and_percent_and_can_be_canceled() {
    let mut s = demo();
    s.job_added(&info(4, "start", "vm-demo", "plan", "active"));
    s.job_progress("/org/leovms/Leovms1/job/4", Phase::UnpackBase, 42, 100);
    s.machine_changed("vm-demo", MachineState::Starting);
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
    s.share.as_mut().unwrap().state = ShareState::NotMounted;
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
        source: UploadSource::parse(source),
        id: id.into(),
        name: name.into(),
        as_name: Some(name.into()),
    }
}

#[test]
fn the_upload_menu_lists_own_machines_then_working_copies() {
    let mut s = uploader(demo());
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
        ask(
            uploads,
            "Teacher__VM → new snapshot of Demo Linux",
            "Yes, upload as \"Teacher__VM\""
        )
        .1,
        [upload("virtualbox", "6f1c0c2e", "Teacher_VM")]
    );
    assert_eq!(
        ask(
            uploads,
            "Own Debian → new VM",
            "Yes, upload as \"Own Debian\""
        )
        .1,
        [upload("virtualbox", "9a7d41b0", "Own Debian")]
    );
    assert_eq!(
        ask(
            uploads,
            "Windows 10 → new snapshot of Windows 10",
            "Yes, upload as \"Windows 10\""
        )
        .1,
        [upload("working-copy", "vm-win", "Windows 10")]
    );
}

#[test]
fn an_upload_says_what_goes_up_under_which_name_before_it_starts() {
    let mut s = uploader(demo());
    let mut own = uploadable("virtualbox", "6f1c0c2e", "Teacher VM", "vm-demo", "");
    own.snapshot_bytes = 2_100_000_000;
    own.vm_bytes = 9_000_000_000;
    let mut debian = uploadable("virtualbox", "9a7d41b0", "Own Debian", "", "");
    debian.vm_bytes = 9_000_000_000;
    let copy = uploadable("working-copy", "vm-win", "Windows 10", "vm-win", "");
    s.set_uploads(Some(Uploads::Listed(vec![own, debian, copy])));
    let menu: Items = build(&s);
    let uploads = sub(&menu, "Upload…");
    let line = "Teacher VM → new snapshot of Demo Linux";
    let (question, _) = ask(uploads, line, "Yes, upload as \"Teacher VM\"");
    assert_eq!(
        question,
        [
            "Upload Teacher VM from your own VirtualBox",
            "as a new snapshot of Demo Linux, named \"Teacher VM\"?",
            "No description. 2.1 GB to copy; the admin publishes it afterwards."
        ]
    );
    // After the answers, the way to another name or a description.
    let inner = sub(uploads, line);
    assert_eq!(
        labels(inner).last().copied(),
        Some(
            "Another name or a description: leovms-cli upload --machine 6f1c0c2e \
             --name … --description …"
        )
    );
    let (question, _) = ask(
        uploads,
        "Own Debian → new VM",
        "Yes, upload as \"Own Debian\"",
    );
    assert_eq!(question[1], "as a new VM, named \"Own Debian\"?");
    assert!(question[2].contains("9.0 GB to copy"), "{question:?}");
    let line = "Windows 10 → new snapshot of Windows 10";
    let (question, _) = ask(uploads, line, "Yes, upload as \"Windows 10\"");
    assert_eq!(question[0], "Upload your leovms working copy of Windows 10");
    assert!(
        labels(sub(uploads, line))
            .last()
            .unwrap()
            .contains("leovms-cli upload --working-copy vm-win")
    );
}

#[test]
fn machines_that_cannot_be_uploaded_are_disabled_with_the_reason() {
    let mut s = uploader(demo());
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
    let mut s = uploader(demo());
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
    let menu: Items = build(&uploader(State::default()));
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
    let mut s = uploader(demo());
    s.set_uploads(Some(Uploads::Listed(vec![uploadable(
        "virtualbox",
        "6f1c0c2e",
        "Teacher VM",
        "vm-demo",
        "",
    )])));
    s.upload_started("/org/leovms/Leovms1/job/5", "Teacher VM");
    s.job_added(&info(5, "upload", "vm-demo", "upload", "active"));
    s.job_progress("/org/leovms/Leovms1/job/5", Phase::Upload, 30, 100);
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

#[test]
fn a_print_job_shows_as_a_job_with_cancel_and_the_vm_stays_running() {
    let mut s = demo();
    s.machine_changed("vm-win", MachineState::Running);
    s.job_added(&info(6, "print", "vm-win", "embed-fonts", "active"));
    let menu: Items = build(&s);
    let line = "Printing from Windows 10 — embedding fonts";
    assert_eq!(
        labels(&menu),
        ["Demo Linux", "Windows 10 (running)", line, "Offline"]
    );
    assert_eq!(
        click(sub(&menu, line), "Cancel").1,
        [Action::Cancel {
            job: "/org/leovms/Leovms1/job/6".into(),
            what: line.into(),
        }]
    );
    // Not a start: no "Cancel start", and Power off stays.
    let win = sub(&menu, "Windows 10 (running)");
    assert!(!labels(win).contains(&"Cancel start"), "{:?}", labels(win));
    assert!(labels(win).contains(&"Power off…"), "{:?}", labels(win));
}
