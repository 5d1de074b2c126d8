use super::*;
use leovms_api::{
    CacheReport, JobKind, Machine, Origin, ShareState, Snapshot, UploadSource, Uploadable,
    UploadableState,
};
use zbus::zvariant::OwnedObjectPath;

pub fn machine(id: &str, name: &str) -> Machine {
    Machine {
        id: id.into(),
        name: name.into(),
        description: String::new(),
        state: MachineState::Off,
        base_size: 1,
        base_unpacked_size: 1,
        base_ready: false,
        as_found: false,
        as_found_blocked: String::new(),
        snapshots: 1,
        ram_default_mb: 2048,
        ram_min_mb: 1024,
        ram_max_mb: 4096,
        ram_fixed: false,
        problem: String::new(),
        origin: Origin::Share,
        revision: "0123456789abcdef".into(),
        synced: false,
        outdated: false,
        ..Default::default()
    }
}

pub fn snapshot(id: &str, name: &str) -> Snapshot {
    Snapshot {
        id: id.into(),
        name: name.into(),
        maintainer: String::new(),
        created: String::new(),
        description: String::new(),
        size: 1,
        unpacked_size: 1,
        problem: String::new(),
        cached: false,
        ..Default::default()
    }
}

pub fn vm(id: &str, name: &str, snapshots: &[(&str, &str)]) -> Vm {
    Vm {
        machine: machine(id, name),
        snapshots: snapshots.iter().map(|(i, n)| snapshot(i, n)).collect(),
        snapshots_problem: String::new(),
    }
}

pub fn uploadable(source: &str, id: &str, name: &str, vm: &str, problem: &str) -> Uploadable {
    Uploadable {
        source: UploadSource::parse(source),
        id: id.into(),
        name: name.into(),
        state: UploadableState::Off,
        vm: vm.into(),
        snapshot_bytes: 1,
        vm_bytes: 2,
        problem: problem.into(),
        disks: Vec::new(),
        problem_detail: Default::default(),
    }
}

pub fn info(n: u32, kind: &str, vm: &str, phase: &str, state: &str) -> JobInfo {
    JobInfo {
        path: OwnedObjectPath::try_from(format!("/org/leovms/Leovms1/job/{n}")).unwrap(),
        kind: JobKind::parse(kind),
        vm: vm.into(),
        snapshot: String::new(),
        phase: Phase::parse(phase),
        state: JobState::parse(state),
        bytes_done: 0,
        bytes_total: 0,
        rate: 0,
        eta_seconds: -1,
        error_id: String::new(),
        message: String::new(),
        detail: Default::default(),
    }
}

pub fn demo() -> State {
    let mut s = State::default();
    s.set_catalog(Catalog {
        vms: vec![
            vm(
                "vm-demo",
                "Demo Linux",
                &[("standard", "Standard"), ("exam", "Exam 2027")],
            ),
            vm("vm-win", "Windows 10", &[("standard", "Standard")]),
        ],
        cache: Cache::NotConfigured,
        problem: None,
    });
    s.share = Some(ShareInfo {
        state: ShareState::Online,
        ..Default::default()
    });
    s
}

fn end(state: &str, message: &str) -> End {
    End {
        state: JobState::parse(state),
        message: message.into(),
    }
}

const JOB1: &str = "/org/leovms/Leovms1/job/1";

#[test]
fn a_start_is_busy_with_percent_then_announced_once_when_running() {
    let mut s = demo();
    assert_eq!(s.look(), Look::Idle);
    assert_eq!(
        s.job_added(&info(1, "start", "vm-demo", "plan", "active")),
        None
    );
    assert_eq!(s.look(), Look::Busy(None));
    assert_eq!(s.job_progress(JOB1, Phase::UnpackBase, 42, 100), None);
    assert_eq!(s.look(), Look::Busy(Some(42)));
    assert_eq!(
        s.job_label(&s.jobs[0]),
        "Starting Demo Linux — unpacking the base image 42%"
    );
    assert_eq!(s.tooltip().0, "leovms — busy, 42%");
    s.job_added(&info(2, "verify", "", "verify", "active"));
    s.job_progress("/org/leovms/Leovms1/job/2", Phase::Verify, 8, 10);
    assert_eq!(s.job_label(&s.jobs[1]), "Checking the cache — 80%");
    s.job_removed("/org/leovms/Leovms1/job/2");
    // An older signal read late does not move the job back.
    assert_eq!(s.job_progress(JOB1, Phase::Plan, 0, 0), None);
    assert_eq!(s.jobs[0].phase, Phase::UnpackBase);
    let n = s.job_progress(JOB1, Phase::Running, 100, 100).unwrap();
    assert_eq!(n.summary, "Demo Linux is running");
    assert_eq!(s.job_progress(JOB1, Phase::Running, 100, 100), None);
    assert_eq!(s.look(), Look::Running, "a running VM is not busy");
    assert_eq!(
        s.tooltip(),
        ("leovms — running".into(), "Demo Linux is running.".into())
    );
    // Powered off: nothing to announce, and the job is gone.
    assert_eq!(
        s.job_finished(JOB1, &end("done", "Demo Linux was powered off."), None),
        None
    );
    assert!(s.jobs.is_empty());
}

#[test]
fn a_job_read_when_it_already_runs_is_announced_by_job_added() {
    let mut s = demo();
    let n = s.job_added(&info(1, "start", "vm-demo", "running", "active"));
    assert_eq!(n.unwrap().summary, "Demo Linux is running");
    // A full re-read (the daemon came back) never announces.
    let mut s = demo();
    s.reloaded(
        Catalog::default(),
        &[
            info(1, "start", "vm-demo", "running", "active"),
            info(2, "start", "vm-win", "unpack-base", "active"),
        ],
        None,
    );
    assert_eq!(s.job_progress(JOB1, Phase::Running, 0, 0), None);
    // A start still on its way is announced when it gets there.
    let n = s.job_progress("/org/leovms/Leovms1/job/2", Phase::Running, 0, 0);
    assert_eq!(n.unwrap().summary, "vm-win is running");
}

#[test]
fn a_failure_shows_until_the_next_outcome_and_ends_are_announced_once() {
    let mut s = demo();
    s.job_added(&info(1, "start", "vm-demo", "plan", "active"));
    let n = s
        .job_finished(
            JOB1,
            &end("failed", "Not enough space: 12.4 GB needed, 3.1 GB free"),
            None,
        )
        .unwrap();
    assert_eq!(n.summary, "Demo Linux could not be started");
    assert_eq!(n.body, "Not enough space: 12.4 GB needed, 3.1 GB free");
    assert!(n.urgent);
    assert_eq!(s.look(), Look::Error);
    assert_eq!(
        s.tooltip().1,
        "Not enough space: 12.4 GB needed, 3.1 GB free"
    );
    // The same end again, or the job read late: nothing new.
    assert_eq!(s.job_finished(JOB1, &end("failed", "x"), None), None);
    assert_eq!(
        s.job_added(&info(1, "start", "vm-demo", "ended", "failed")),
        None
    );
    assert!(s.jobs.is_empty());
    // The next job's success clears the error.
    let two = "/org/leovms/Leovms1/job/2";
    s.job_added(&info(2, "sync", "vm-win", "fetch", "active"));
    assert_eq!(s.look(), Look::Busy(None), "busy shows over the error");
    let n = s.job_finished(two, &end("done", ""), None).unwrap();
    assert_eq!(n.summary, "Windows 10 is ready for offline use");
    assert_eq!(s.look(), Look::Idle);
}

#[test]
fn a_job_that_ended_before_it_was_seen_is_still_announced() {
    let mut s = demo();
    let fallback = info(3, "sync", "vm-demo", "ended", "canceled");
    let n = s
        .job_finished(
            "/org/leovms/Leovms1/job/3",
            &end("canceled", ""),
            Some(&fallback),
        )
        .unwrap();
    assert_eq!(n.summary, "Copying Demo Linux for offline use was canceled");
}

#[test]
fn when_the_daemon_goes_the_menu_stays_and_cut_jobs_are_told() {
    let mut s = demo();
    s.job_added(&info(1, "start", "vm-demo", "unpack-base", "active"));
    s.machine_changed("vm-demo", MachineState::Starting);
    s.machine_changed("vm-win", MachineState::Running);
    let notices = s.daemon_gone();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].summary, "Starting Demo Linux was interrupted");
    assert_eq!(s.vms.len(), 2, "the last known machines stay");
    assert!(s.jobs.is_empty());
    assert_eq!(s.vm("vm-demo").unwrap().machine.state, MachineState::Off);
    assert_eq!(s.vm("vm-win").unwrap().machine.state, MachineState::Running);
    assert_eq!(s.status_line(), None, "asleep is normal");
    // A new daemon numbers its jobs from 1 again.
    s.daemon_back();
    assert_eq!(
        s.job_added(&info(1, "start", "vm-demo", "running", "active"))
            .unwrap()
            .summary,
        "Demo Linux is running"
    );
}

#[test]
fn offline_and_unreachable_are_told_apart_from_idle() {
    let mut s = demo();
    s.share = Some(ShareInfo {
        state: ShareState::NotAnswering,
        reason: "The VM share does not answer.".into(),
        hint: "Check the network.".into(),
        ..Default::default()
    });
    assert_eq!(s.look(), Look::Offline);
    assert_eq!(
        s.status_line().unwrap(),
        "Share not reachable — working offline"
    );
    assert_eq!(
        s.tooltip(),
        (
            "leovms — offline".into(),
            "Share not reachable — working offline\nThe VM share does not answer. Check the network."
                .into()
        )
    );
    let mut s = demo();
    s.call_failed("The name is not activatable", true);
    assert_eq!(s.look(), Look::Offline);
    assert!(
        s.status_line()
            .unwrap()
            .starts_with("VM service not reachable")
    );
    s.call_failed("VM already running", false);
    assert_eq!(s.look(), Look::Error);
}

#[test]
fn a_running_vm_has_its_own_look_over_an_offline_share_but_not_over_an_error() {
    let mut s = demo();
    s.machine_changed("vm-demo", MachineState::Running);
    assert_eq!(s.look(), Look::Running);
    assert_eq!(
        s.tooltip(),
        ("leovms — running".into(), "Demo Linux is running.".into())
    );
    s.share.as_mut().unwrap().state = ShareState::NotAnswering;
    assert_eq!(s.look(), Look::Running, "the VM in use matters more");
    assert_eq!(
        s.tooltip().1,
        "Demo Linux is running.\nShare not reachable — working offline"
    );
    s.call_failed("Close Demo Linux first.", false);
    assert_eq!(s.look(), Look::Error);
    s.failure = None;
    s.call_failed("The name is not activatable", true);
    assert_eq!(s.look(), Look::Offline, "what runs may be out of date");
    let mut s = demo();
    s.machine_changed("vm-demo", MachineState::Running);
    s.machine_changed("vm-demo", MachineState::Off);
    assert_eq!(s.look(), Look::Idle);
}

#[test]
fn a_working_copy_exists_when_as_found_is_offered_or_blocked() {
    let mut s = demo();
    assert!(!s.vms[0].has_working_copy());
    s.vms[0].machine.as_found = true;
    assert!(s.vms[0].has_working_copy());
    s.vms[0].machine.as_found = false;
    s.vms[0].machine.as_found_blocked = "it has a saved state".into();
    assert!(s.vms[0].has_working_copy());
}

#[test]
fn cache_space_is_what_the_limits_and_disks_leave() {
    use leovms_api::CacheDir;
    let dir = |limit, used, free, problem: &str| CacheDir {
        path: "/var/cache/leovms".into(),
        limit,
        used,
        free,
        problem: problem.into(),
        problem_detail: Default::default(),
    };
    let report = |dirs| CacheReport {
        dirs,
        entries: vec![],
    };
    assert_eq!(Cache::from_report(&report(vec![])), Cache::NotConfigured);
    assert_eq!(
        Cache::from_report(&report(vec![dir(20, 5, 100, ""), dir(10, 0, 3, "")])),
        Cache::Space {
            free: 18,
            limit: 30
        }
    );
    assert_eq!(
        Cache::from_report(&report(vec![dir(0, 0, 0, "The folder does not exist.")])),
        Cache::Unusable("The folder does not exist.".into())
    );
}

#[test]
fn an_upload_is_named_by_its_machine_and_its_end_is_announced() {
    let mut s = demo();
    s.set_uploads(Some(Uploads::Listed(vec![uploadable(
        "virtualbox",
        "6f1c0c2e",
        "Teacher VM",
        "vm-demo",
        "",
    )])));
    // Started from the menu: the tray knows the machine by the job's path.
    s.upload_started(JOB1, "Teacher VM");
    s.job_added(&info(1, "upload", "vm-demo", "plan", "active"));
    assert_eq!(s.job_label(&s.jobs[0]), "Uploading Teacher VM — checking");
    s.job_progress(JOB1, Phase::Upload, 5, 10);
    assert_eq!(s.job_label(&s.jobs[0]), "Uploading Teacher VM — 50%");
    assert_eq!(s.look(), Look::Busy(Some(50)));
    let message = "Uploaded Teacher VM to the upload share as teach1/teacher-vm-1. \
                   The admin publishes it with: leovms-admin publish teach1/teacher-vm-1";
    let n = s.job_finished(JOB1, &end("done", message), None).unwrap();
    assert_eq!(
        (n.summary.as_str(), n.body.as_str()),
        ("Upload finished", message)
    );
    assert_eq!(s.look(), Look::Idle);
    s.job_removed(JOB1);
    // Started elsewhere: named by the machine the job names, else by the VM.
    let two = "/org/leovms/Leovms1/job/2";
    s.job_added(&info(2, "upload", "6f1c0c2e", "upload", "active"));
    assert_eq!(s.job_label(&s.jobs[0]), "Uploading Teacher VM");
    let n = s
        .job_finished(
            two,
            &end("failed", "Not enough space on the upload share"),
            None,
        )
        .unwrap();
    assert_eq!(n.summary, "Upload failed");
    assert_eq!(n.body, "Not enough space on the upload share");
    assert_eq!(s.look(), Look::Error);
    let three = "/org/leovms/Leovms1/job/3";
    s.job_added(&info(3, "upload", "vm-demo", "upload", "active"));
    assert_eq!(s.job_label(&s.jobs[0]), "Uploading Demo Linux");
    let n = s.job_finished(three, &end("canceled", ""), None).unwrap();
    assert_eq!(n.summary, "Upload canceled");
    assert_eq!(s.look(), Look::Idle);
}

#[test]
fn words_of_a_newer_daemon_are_shown_neutrally() {
    let mut s = demo();
    // A kind, a phase and a state this tray does not know arrive as `Unknown`.
    s.job_added(&info(7, "mirror", "vm-demo", "rewind", "active"));
    let seven = "/org/leovms/Leovms1/job/7";
    assert_eq!(s.jobs[0].kind, JobKind::Unknown);
    assert_eq!(s.look(), Look::Busy(None));
    assert_eq!(s.job_label(&s.jobs[0]), "A job for Demo Linux — working");
    // An unknown phase counts as the latest: a known one does not move the job back.
    assert_eq!(s.job_progress(seven, Phase::Fetch, 1, 2), None);
    assert_eq!(s.jobs[0].phase, Phase::Unknown);
    let n = s
        .job_finished(seven, &end("paused", "Paused."), None)
        .unwrap();
    assert_eq!(
        (n.summary.as_str(), n.body.as_str(), n.urgent),
        ("A job for Demo Linux failed", "Paused.", true)
    );
    s.machine_changed("vm-demo", MachineState::Unknown);
    assert!(!s.vm("vm-demo").unwrap().is(MachineState::Running));
}

#[test]
fn a_failed_job_says_the_daemons_words_in_english() {
    use leovms_api::client::JobEnd;
    let job_end = |state: &str, error_id: &str, message: &str, id: &str| JobEnd {
        state: JobState::parse(state),
        error_id: error_id.into(),
        message: message.into(),
        detail: [("id".to_string(), id.to_string())]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect(),
    };
    let failed = job_end(
        "failed",
        "org.leovms.Error.NoSpace",
        "Not enough space: 12.4 GB needed, 3.1 GB free",
        "no-space",
    );
    assert_eq!(
        End::from_job_end(&failed),
        end("failed", "Not enough space: 12.4 GB needed, 3.1 GB free")
    );
    let uploaded = job_end("done", "", "Uploaded Teacher VM.", "");
    assert_eq!(
        End::from_job_end(&uploaded),
        end("done", "Uploaded Teacher VM.")
    );
}

#[test]
fn a_print_job_nobody_asked_for_is_followed_and_its_end_announced_once() {
    let mut s = demo();
    s.machine_changed("vm-win", MachineState::Running);
    // The daemon makes it while the VM runs: nothing to announce when it appears.
    assert_eq!(
        s.job_added(&info(3, "print", "vm-win", "receive", "active")),
        None
    );
    let three = "/org/leovms/Leovms1/job/3";
    assert_eq!(
        s.job_label(&s.jobs[0]),
        "Printing from Windows 10 — receiving the document"
    );
    // Its bytes are the document's size so far, not a share of a whole.
    assert_eq!(s.job_progress(three, Phase::Receive, 4096, 4096), None);
    assert_eq!(s.look(), Look::Busy(None));
    assert_eq!(
        s.tooltip(),
        (
            "leovms — busy".into(),
            "Printing from Windows 10 — receiving the document".into()
        )
    );
    s.job_progress(three, Phase::EmbedFonts, 0, 0);
    assert_eq!(
        s.job_label(&s.jobs[0]),
        "Printing from Windows 10 — embedding fonts"
    );
    s.job_progress(three, Phase::Print, 0, 0);
    assert_eq!(
        s.job_label(&s.jobs[0]),
        "Printing from Windows 10 — sending to the printer"
    );
    assert_eq!(s.running(), ["Windows 10"], "printing does not start a VM");
    let printed = "The document from Windows 10 was printed on test.";
    let n = s.job_finished(three, &end("done", printed), None).unwrap();
    assert_eq!(
        (n.summary.as_str(), n.body.as_str(), n.urgent),
        ("Printed: Windows 10", printed, false)
    );
    // Once only, also when the job is read again late.
    assert_eq!(s.job_finished(three, &end("done", printed), None), None);
    assert_eq!(
        s.job_added(&info(3, "print", "vm-win", "ended", "done")),
        None
    );
    assert_eq!(s.look(), Look::Running);
}

#[test]
fn a_print_job_that_failed_or_was_canceled_says_where_the_document_is() {
    let mut s = demo();
    s.machine_changed("vm-win", MachineState::Running);
    s.job_added(&info(4, "print", "vm-win", "print", "active"));
    let refused = "The printer test did not accept the document from Windows 10 \
                   (lp: Unsupported document-format). The document is kept as \
                   /home/anna/Home_auf_Server/ausdruck-nicht-gedruckt.pdf.";
    let n = s
        .job_finished("/org/leovms/Leovms1/job/4", &end("failed", refused), None)
        .unwrap();
    assert_eq!(
        (n.summary.as_str(), n.body.as_str(), n.urgent),
        ("Not printed: Windows 10", refused, true)
    );
    assert_eq!(s.look(), Look::Error);
    assert_eq!(s.tooltip().1, refused);
    // Ended before the tray read it: the job's object still tells it was a print job.
    let kept = "Printing the document from Windows 10 was canceled. It is kept as \
                /home/anna/Home_auf_Server/ausdruck-nicht-gedruckt.pdf.";
    let fallback = info(5, "print", "vm-win", "ended", "canceled");
    let n = s
        .job_finished(
            "/org/leovms/Leovms1/job/5",
            &end("canceled", kept),
            Some(&fallback),
        )
        .unwrap();
    assert_eq!(
        (n.summary.as_str(), n.body.as_str(), n.urgent),
        ("Printing canceled", kept, false)
    );
    assert_eq!(s.look(), Look::Running);
    // The daemon left while a document was on its way.
    s.job_added(&info(6, "print", "vm-win", "embed-fonts", "active"));
    let notices = s.daemon_gone();
    assert_eq!(notices.len(), 1);
    assert_eq!(
        notices[0].summary,
        "Printing from Windows 10 was interrupted"
    );
}

#[test]
fn a_printed_document_is_worded_from_the_daemons_outcome() {
    use leovms_api::client::JobEnd;
    let printed = "The document from Windows 10 was printed on test.";
    let job_end = JobEnd {
        state: JobState::Done,
        error_id: String::new(),
        message: printed.into(),
        detail: [("id", "printed"), ("vm", "Windows 10"), ("printer", "test")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    assert_eq!(End::from_job_end(&job_end), end("done", printed));
}
