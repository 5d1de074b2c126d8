//! A teacher uploads a machine through the daemon: one of their own VirtualBox
//! (`~/.config/VirtualBox`) or a leovms working copy goes to the upload share, the admin
//! publishes it with the real `leovms-admin`, and the daemon lists and starts it. Refusals
//! (running, saved, no space, not allowed), cancel and `kill -9` leave nothing that could
//! be published. The tests over real SMB need root and Samba; the others run anywhere.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{World, admin, assert_refused, assert_said, describe, is_root, skip_unless};
use futures_util::StreamExt;
use leovms_testkit::own_vbox::{
    BuiltMachine, OwnMachineSpec, build_own_home, build_with_vboxmanage, own_vbox_home,
    published_base_vdi,
};
use leovms_testkit::{STUDENT, Samba, SmbMount, TEACHER, samba_available, workspace_bin};
use uuid::Uuid;

/// "Within a bound": generous for busy machines, far below a hang.
const BOUND: Duration = Duration::from_secs(60);

/// Another teacher's folder on the (local) upload share.
const OTHER_TEACHER: &str = "mueller";

/// A world whose daemon uploads to `upload` (a local folder when `None`), not started yet.
async fn world_uploading_to(upload: Option<&Path>) -> (World, PathBuf) {
    let mut w = World::new().await;
    let upload = match upload {
        Some(dir) => dir.to_owned(),
        None => {
            // A local folder counts as the share once it holds something: another
            // teacher's folder.
            let dir = w.tmp.path().join("upload");
            std::fs::create_dir_all(dir.join(OTHER_TEACHER)).unwrap();
            dir
        }
    };
    w.extra_env.push((
        "LEOVMS_UPLOAD".into(),
        upload.to_string_lossy().into_owned(),
    ));
    (w, upload)
}

/// A copy of vm-demo's published base disk (same UUID), unpacked from the share.
async fn published_base(w: &World) -> PathBuf {
    published_base_vdi(&w.data, "vm-demo", &w.tmp.path().join("published-base"))
        .await
        .unwrap()
}

/// The teacher's own VirtualBox, in the world's home.
fn own_home(w: &World, specs: &[OwnMachineSpec<'_>]) -> Vec<BuiltMachine> {
    tokio::task::block_in_place(|| build_own_home(&w.home, specs)).unwrap()
}

/// A machine made from vm-demo whose differencing disk holds `mib` MiB.
fn from_demo<'a>(name: &'a str, base: &'a Path, mib: u32) -> OwnMachineSpec<'a> {
    OwnMachineSpec::FromBase {
        name,
        base_vdi: base,
        snapshot_data_mib: mib,
        saved: false,
    }
}

/// The login name of the user the daemon runs as (this test's user).
fn login_name() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    assert!(out.status.success(), "id -un: {}", describe(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `leovms-cli --json uploadable`.
fn uploadable(w: &World) -> serde_json::Value {
    w.cli_json(&["uploadable"])
}

/// The entry of `uploadable` with this source and id (a machine UUID in any spelling).
fn listed_uploadable(list: &serde_json::Value, source: &str, id: &str) -> serde_json::Value {
    let same = |listed: &str| match (uuid_of(listed), uuid_of(id)) {
        (Some(a), Some(b)) => a == b,
        _ => listed == id,
    };
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .find(|u| u["source"] == source && u["id"].as_str().is_some_and(same))
        .cloned()
        .unwrap_or_else(|| panic!("{source} {id} not listed: {list}"))
}

fn uuid_of(text: &str) -> Option<Uuid> {
    Uuid::try_parse(text.trim_start_matches('{').trim_end_matches('}')).ok()
}

/// `(user, folder)` from the success message "… to the upload share as USER/FOLDER. …",
/// which also names the admin's command.
fn uploaded_as(out: &Output) -> (String, String) {
    assert!(out.status.success(), "{}", describe(out));
    let text = String::from_utf8_lossy(&out.stdout);
    let rest = text
        .split_once("to the upload share as ")
        .unwrap_or_else(|| panic!("no upload folder named: {}", describe(out)))
        .1;
    let shown = rest
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .trim_end_matches('.');
    let (user, folder) = shown
        .split_once('/')
        .unwrap_or_else(|| panic!("not USER/FOLDER: {shown}: {}", describe(out)));
    assert!(
        text.contains(&format!("leovms-admin publish {user}/{folder}")),
        "the admin's command is not named: {}",
        describe(out)
    );
    (user.to_owned(), folder.to_owned())
}

/// `<id>-YYYYMMDD-HHMMSS`.
fn assert_folder_name(folder: &str, id: &str) {
    let stamp = folder
        .strip_prefix(&format!("{id}-"))
        .unwrap_or_else(|| panic!("{folder} is not named after {id}"));
    let ok = stamp.len() == 15
        && stamp.as_bytes()[8] == b'-'
        && stamp
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 8 || b.is_ascii_digit());
    assert!(ok, "{folder}: not <id>-YYYYMMDD-HHMMSS");
}

/// A server root for `leovms-admin --root`: `/home/leovms/data` is the world's share,
/// `/home/leovms/upload` is `upload` (the share's folder on the server).
fn server_root(w: &World, upload: &Path) -> PathBuf {
    let root = w.tmp.path().join("server");
    let home = root.join("home/leovms");
    std::fs::create_dir_all(&home).unwrap();
    std::os::unix::fs::symlink(&w.data, home.join("data")).unwrap();
    std::os::unix::fs::symlink(upload, home.join("upload")).unwrap();
    root
}

/// vm-demo's snapshot `id` as `leovms-cli --json snapshots vm-demo` shows it.
fn demo_snapshot(w: &World, id: &str) -> serde_json::Value {
    let snaps = w.cli_json(&["snapshots", "vm-demo"]);
    snaps
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("snapshot {id} not listed: {snaps}"))
}

/// Starts vm-demo from the published snapshot `id`, then powers it off again.
async fn starts_from(w: &World, id: &str) {
    let out = w.cli(&["start", "vm-demo", "--snapshot", id]);
    assert_said(&out, "is running");
    assert_said(&w.cli(&["stop", "vm-demo"]), "powered off");
    w.wait_machine_state("vm-demo", "off").await;
}

/// The CLI running in the background, its output captured.
fn spawn_cli(w: &World, args: &[&str]) -> Child {
    let mut cmd = Command::new(workspace_bin("leovms-cli"));
    w.env_for(&mut cmd);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

async fn output_of(child: Child) -> Output {
    tokio::time::timeout(
        BOUND,
        tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()),
    )
    .await
    .expect("leovms-cli did not end")
    .unwrap()
}

/// Every entry below `dir` (nothing when it does not exist).
fn entries_below(dir: &Path) -> Vec<PathBuf> {
    World::all_files(dir)
}

/// Nothing on the upload share but what was there before (another teacher's folder) and
/// at most an empty folder of this user: no upload folder, no file.
fn assert_nothing_uploaded(upload: &Path) {
    let kept = [upload.join(OTHER_TEACHER), upload.join(login_name())];
    let new: Vec<PathBuf> = entries_below(upload)
        .into_iter()
        .filter(|p| !kept.contains(p))
        .collect();
    assert_eq!(new, Vec::<PathBuf>::new(), "written to the upload share");
}

/// Watches the Progress signals of every job, from before the job exists.
struct ProgressWatch {
    stream: zbus::MessageStream,
}

impl ProgressWatch {
    async fn new(conn: &zbus::Connection) -> ProgressWatch {
        ProgressWatch {
            stream: common::progress_signals(conn).await,
        }
    }

    /// The path of the first job that reports uploaded bytes, once it does.
    async fn first_uploaded_bytes(mut self, log: impl FnOnce() -> String) -> String {
        let mut seen = Vec::new();
        let found = tokio::time::timeout(BOUND, async {
            while let Some(Ok(msg)) = self.stream.next().await {
                let (phase, done, total, ..): (String, u64, u64, u64, i64) =
                    msg.body().deserialize().unwrap();
                let path = msg.header().path().map(|p| p.to_string()).unwrap();
                if phase == "upload" && done > 0 {
                    return Some(path);
                }
                seen.push(format!("{path} {phase} {done}/{total}"));
            }
            None
        })
        .await;
        match found {
            Ok(Some(path)) => path,
            _ => panic!(
                "no job reported uploaded bytes; saw {seen:?}; log:\n{}",
                log()
            ),
        }
    }
}

/// A VM of the teacher's own VirtualBox, kept running by its frontend (`VirtualBoxVM
/// --startvm`, as the VirtualBox GUI starts it); powered off when dropped.
struct OwnVmRunning {
    frontend: Child,
    off: bool,
}

impl OwnVmRunning {
    async fn start(w: &World, machine: &BuiltMachine) -> OwnVmRunning {
        let own = own_vbox_home(&w.home);
        let uuid = machine.uuid.to_string();
        let mut cmd = Command::new(w.vbox_dir.join("VirtualBoxVM"));
        w.env_for(&mut cmd);
        cmd.env("VBOX_USER_HOME", &own)
            .args(["--startvm", &uuid])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut running = OwnVmRunning {
            frontend: cmd.spawn().unwrap(),
            off: false,
        };
        let deadline = Instant::now() + BOUND;
        loop {
            let mut list = Command::new(w.vbox_dir.join("VBoxManage"));
            w.env_for(&mut list);
            let out = list
                .env("VBOX_USER_HOME", &own)
                .args(["list", "runningvms"])
                .stdin(Stdio::null())
                .output()
                .unwrap();
            if common::running_vms(&out)
                .iter()
                .any(|u| uuid_of(u) == Some(machine.uuid))
            {
                return running;
            }
            if let Some(status) = running.frontend.try_wait().unwrap() {
                let mut err = String::new();
                if let Some(mut e) = running.frontend.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                panic!("VirtualBoxVM --startvm {uuid} ended ({status}): {err}");
            }
            assert!(
                Instant::now() < deadline,
                "{} never ran: {}",
                machine.name,
                describe(&out)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Closes the window: the VM powers off and the frontend ends.
    fn power_off(&mut self) {
        if std::mem::replace(&mut self.off, true) {
            return;
        }
        let pid = rustix::process::Pid::from_raw(self.frontend.id() as i32).unwrap();
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        let _ = self.frontend.wait();
    }
}

impl Drop for OwnVmRunning {
    fn drop(&mut self) {
        self.power_off();
    }
}

// ---------------------------------------------------------------------------------------
// Without Samba

#[tokio::test(flavor = "multi_thread")]
async fn a_working_copy_goes_up_as_a_snapshot_and_is_published() {
    let (mut w, upload) = world_uploading_to(None).await;
    w.start_daemon().await;
    assert_said(
        &w.cli(&["start", "vm-demo", "--snapshot", "standard"]),
        "is running",
    );
    let list = uploadable(&w);
    let copy = listed_uploadable(&list, "working-copy", "vm-demo");
    assert_eq!(copy["state"], "running", "{list}");
    assert_ne!(
        copy["problem"], "",
        "a running copy is not uploaded: {list}"
    );
    let out = w.cli(&["upload", "--working-copy", "vm-demo", "--snapshot", "early"]);
    assert_refused(&out, 8, "running");
    assert_said(&w.cli(&["stop", "vm-demo"]), "powered off");
    w.wait_machine_state("vm-demo", "off").await;

    let list = uploadable(&w);
    let copy = listed_uploadable(&list, "working-copy", "vm-demo");
    assert_eq!(copy["vm"], "vm-demo", "{list}");
    assert_eq!(copy["state"], "off", "{list}");
    assert_eq!(copy["problem"], "", "{list}");
    assert!(copy["snapshot_bytes"].as_u64().unwrap() > 0, "{list}");

    // An id vm-demo has already is refused before anything is written.
    let out = w.cli(&["upload", "--working-copy", "vm-demo", "--snapshot", "exam"]);
    assert_refused(&out, 5, "already has a snapshot");
    assert_nothing_uploaded(&upload);

    let out = w.cli(&[
        "upload",
        "--working-copy",
        "vm-demo",
        "--name",
        "Exam 2028",
        "--snapshot",
        "exam-2028",
    ]);
    let (user, folder) = uploaded_as(&out);
    assert_eq!(user, login_name());
    assert_folder_name(&folder, "exam-2028");
    let dir = upload.join(&user).join(&folder);
    for file in [
        "manifest.toml",
        "upload.toml",
        "snapshots/exam-2028/snapshot.tar.zst",
    ] {
        assert!(dir.join(file).is_file(), "no {file} in {}", dir.display());
    }
    let toml = std::fs::read_to_string(dir.join("upload.toml")).unwrap();
    for line in [
        "kind = \"snapshot\"",
        "vm = \"vm-demo\"",
        "snapshot = \"exam-2028\"",
        "name = \"Exam 2028\"",
    ] {
        assert!(toml.contains(line), "no {line} in upload.toml:\n{toml}");
    }

    let root = server_root(&w, &upload);
    let shown = format!("{user}/{folder}");
    let out = admin(&root, &["list"]);
    assert!(out.status.success(), "{}", describe(&out));
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.contains(&shown))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("{shown} not listed: {}", describe(&out)));
    assert!(
        line.contains("complete") && !line.contains("incomplete"),
        "{line}"
    );

    let out = admin(&root, &["publish", &shown]);
    assert!(out.status.success(), "{}", describe(&out));
    let exam = demo_snapshot(&w, "exam-2028");
    assert_eq!(exam["name"], "Exam 2028", "{exam}");
    assert_eq!(exam["maintainer"], user.as_str(), "{exam}");
    starts_from(&w, "exam-2028").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_machine_of_its_own_goes_up_as_a_new_vm_and_is_published() {
    let (mut w, upload) = world_uploading_to(None).await;
    let mine = own_home(
        &w,
        &[OwnMachineSpec::Standalone {
            name: "My Machine",
            base_mib: 6,
            saved: false,
        }],
    )
    .remove(0);
    w.start_daemon().await;
    let list = uploadable(&w);
    let item = listed_uploadable(&list, "virtualbox", &mine.uuid.to_string());
    assert_eq!(item["name"], "My Machine", "{list}");
    assert_eq!(item["vm"], "", "made from no published VM: {list}");
    assert_eq!(item["state"], "off", "{list}");
    assert_eq!(item["problem"], "", "{list}");
    assert!(item["vm_bytes"].as_u64().unwrap() >= 6 << 20, "{list}");
    let out = w.cli(&["uploadable"]);
    assert_said(&out, "My Machine");
    assert_said(&out, "new VM");

    let out = w.cli(&["upload", "--machine", "My Machine", "--vm", "vm-demo"]);
    assert_refused(&out, 5, "already");
    assert_nothing_uploaded(&upload);

    let out = w.cli(&[
        "upload",
        "--machine",
        "My Machine",
        "--as",
        "vm",
        "--vm",
        "vm-mine",
        "--name",
        "My machine",
    ]);
    let (user, folder) = uploaded_as(&out);
    assert_folder_name(&folder, "vm-mine");
    let dir = upload.join(&user).join(&folder);
    for file in [
        "manifest.toml",
        "upload.toml",
        "base.tar.zst",
        "machine.vbox",
        "image.conf",
        // The machine has no snapshot: its current state goes up as a new, empty one.
        "snapshots/current/snapshot.tar.zst",
    ] {
        assert!(dir.join(file).is_file(), "no {file} in {}", dir.display());
    }
    let root = server_root(&w, &upload);
    let out = admin(&root, &["publish", &format!("{user}/{folder}")]);
    assert!(out.status.success(), "{}", describe(&out));
    let vm = w.machine("vm-mine");
    assert_eq!(vm["problem"], "", "{vm}");
    let snaps = w.cli_json(&["snapshots", "vm-mine"]);
    let ids: Vec<&str> = snaps
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(ids, ["current"], "{snaps}");
    // A student starts it without choosing anything, and gets the teacher's disk.
    let out = w.cli(&["start", "vm-mine"]);
    assert_said(&out, "is running");
    assert_said(&w.cli(&["stop", "vm-mine"]), "powered off");
    w.wait_machine_state("vm-mine", "off").await;
    // Nothing of the made-up state is left in the daemon's own folder.
    let scratch = w.home.join(".local/state/leovms/upload-scratch");
    assert_eq!(entries_below(&scratch), Vec::<PathBuf>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals() {
    let (mut w, upload) = world_uploading_to(None).await;
    let base = published_base(&w).await;
    let built = own_home(
        &w,
        &[
            from_demo("Running One", &base, 4),
            OwnMachineSpec::FromBase {
                name: "Suspended",
                base_vdi: &base,
                snapshot_data_mib: 4,
                saved: true,
            },
        ],
    );
    let (running, saved) = (&built[0], &built[1]);
    w.start_daemon().await;
    let user_dir = upload.join(login_name());

    // Running in the teacher's VirtualBox: listed as running and refused.
    let mut vm = OwnVmRunning::start(&w, running).await;
    let list = uploadable(&w);
    let item = listed_uploadable(&list, "virtualbox", &running.uuid.to_string());
    assert_eq!(item["state"], "running", "{list}");
    assert!(
        item["problem"].as_str().unwrap().contains("running"),
        "{list}"
    );
    let out = w.cli(&[
        "upload",
        "--machine",
        &running.uuid.to_string(),
        "--snapshot",
        "lab",
    ]);
    assert_refused(&out, 8, "running");
    assert_nothing_uploaded(&upload);

    // Saved while running: listed with a problem and refused.
    let item = listed_uploadable(&list, "virtualbox", &saved.uuid.to_string());
    assert_eq!(item["state"], "saved", "{list}");
    assert!(
        item["problem"].as_str().unwrap().contains("saved"),
        "{list}"
    );
    let out = w.cli(&["upload", "--machine", "Suspended", "--snapshot", "lab"]);
    assert_refused(&out, 8, "saved");
    assert_nothing_uploaded(&upload);

    // Shut down: now it goes up.
    vm.power_off();
    let list = uploadable(&w);
    let item = listed_uploadable(&list, "virtualbox", &running.uuid.to_string());
    assert_eq!(item["state"], "off", "{list}");
    assert_eq!(item["problem"], "", "{list}");
    let out = w.cli(&[
        "--json",
        "upload",
        "--machine",
        "Running One",
        "--snapshot",
        "lab",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON: {e}: {}", describe(&out)));
    assert_eq!(result["state"], "done", "{result}");
    let message = result["message"].as_str().unwrap();
    let shown = message
        .split_once("to the upload share as ")
        .and_then(|(_, rest)| rest.split_once(". "))
        .map(|(shown, _)| shown)
        .unwrap_or_else(|| panic!("no folder in {result}"));
    let folder = shown
        .strip_prefix(&format!("{}/", login_name()))
        .unwrap_or_else(|| panic!("not this user's folder: {result}"));
    assert_folder_name(folder, "lab");
    assert!(user_dir.join(folder).join("manifest.toml").is_file());
}

#[tokio::test(flavor = "multi_thread")]
async fn not_enough_space_on_the_upload_share_is_refused_and_nothing_written() {
    if skip_unless(
        is_root(),
        "mounting a small tmpfs as the upload share needs root",
    ) {
        return;
    }
    let (mut w, upload) = world_uploading_to(None).await;
    let _tmpfs = common::Tmpfs::mount(&upload, 64 << 20);
    let base = published_base(&w).await;
    let big = own_home(&w, &[from_demo("Big Lab", &base, 200)]).remove(0);
    w.start_daemon().await;
    let list = uploadable(&w);
    let item = listed_uploadable(&list, "virtualbox", &big.uuid.to_string());
    assert!(
        item["snapshot_bytes"].as_u64().unwrap() >= 200 << 20,
        "{list}"
    );

    let out = w.cli(&["upload", "--machine", "Big Lab", "--snapshot", "big"]);
    assert_refused(&out, 6, "needed");
    assert_refused(&out, 6, "free");
    assert_nothing_uploaded(&upload);
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_midway_leaves_nothing() {
    let (mut w, upload) = world_uploading_to(None).await;
    let base = published_base(&w).await;
    let big = own_home(&w, &[from_demo("Big Lab", &base, 700)]).remove(0);
    w.start_daemon().await;
    let conn = w.connection().await;
    let watch = ProgressWatch::new(&conn).await;
    let cli = spawn_cli(
        &w,
        &[
            "upload",
            "--machine",
            &big.uuid.to_string(),
            "--snapshot",
            "big",
        ],
    );
    let job = watch.first_uploaded_bytes(|| w.daemon_log()).await;
    assert_said(&w.cli(&["cancel", &job]), "canceled");
    let out = output_of(cli).await;
    assert_eq!(out.status.code(), Some(10), "{}", describe(&out));

    let jobs = w.cli_json(&["jobs"]);
    let ended = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["path"] == job.as_str())
        .unwrap_or_else(|| panic!("{job} not listed: {jobs}"));
    assert_eq!(ended["kind"], "upload", "{jobs}");
    assert_eq!(ended["state"], "canceled", "{jobs}");
    assert_eq!(
        entries_below(&upload.join(login_name())),
        Vec::<PathBuf>::new()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_upload_leaves_an_incomplete_upload_publish_refuses() {
    let (mut w, upload) = world_uploading_to(None).await;
    let base = published_base(&w).await;
    own_home(&w, &[from_demo("Big Lab", &base, 700)]);
    w.start_daemon().await;
    let conn = w.connection().await;
    let watch = ProgressWatch::new(&conn).await;
    let cli = spawn_cli(&w, &["upload", "--machine", "Big Lab", "--snapshot", "big"]);
    watch.first_uploaded_bytes(|| w.daemon_log()).await;
    w.kill_daemon();
    let out = output_of(cli).await;
    assert_ne!(out.status.code(), Some(0), "{}", describe(&out));

    let user = login_name();
    let folders: Vec<String> = std::fs::read_dir(upload.join(&user))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let [folder] = folders.as_slice() else {
        panic!("not one upload folder: {folders:?}");
    };
    assert_folder_name(folder, "big");
    assert!(
        !upload
            .join(&user)
            .join(folder)
            .join("manifest.toml")
            .exists()
    );

    let root = server_root(&w, &upload);
    let shown = format!("{user}/{folder}");
    let out = admin(&root, &["publish", &shown]);
    assert_refused(&out, 2, "incomplete");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no manifest.toml"),
        "{}",
        describe(&out)
    );
    assert!(!w.data.join("vm-demo/snapshots/big").exists());
    let out = admin(&root, &["list"]);
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.contains(&shown) && l.contains("incomplete")),
        "{shown} not listed as incomplete: {}",
        describe(&out)
    );
}

/// A machine without a snapshot goes up with scratch disks in the daemon's state folder;
/// when the daemon is killed mid-way, its next start removes them.
#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_upload_of_a_machine_without_snapshot_leaves_no_scratch_disks() {
    let (mut w, _upload) = world_uploading_to(None).await;
    own_home(
        &w,
        &[OwnMachineSpec::Standalone {
            name: "Big Machine",
            base_mib: 700,
            saved: false,
        }],
    );
    let scratch = w.home.join(".local/state/leovms/upload-scratch");
    w.start_daemon().await;
    let conn = w.connection().await;
    let watch = ProgressWatch::new(&conn).await;
    let args = [
        "upload",
        "--machine",
        "Big Machine",
        "--as",
        "vm",
        "--vm",
        "vm-big",
    ];
    let cli = spawn_cli(&w, &args);
    watch.first_uploaded_bytes(|| w.daemon_log()).await;
    w.kill_daemon();
    let out = output_of(cli).await;
    assert_ne!(out.status.code(), Some(0), "{}", describe(&out));
    let left = entries_below(&scratch);
    let disk_left = left
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "vdi"));
    assert!(disk_left, "the killed upload's disk is left: {left:?}");

    w.start_daemon().await;
    assert_eq!(entries_below(&scratch), Vec::<PathBuf>::new());
}

// ---------------------------------------------------------------------------------------
// Over real SMB (smbd on 127.0.0.1, mounted with smbnetfs)

/// Samba started and `leovms-upload` mounted as `user`.
async fn samba_mounted_as(user: leovms_testkit::SmbUser) -> (Samba, SmbMount) {
    let samba = tokio::task::spawn_blocking(Samba::start)
        .await
        .unwrap()
        .unwrap();
    let mount = SmbMount::mount(&samba, user).unwrap();
    (samba, mount)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_teachers_machine_goes_to_the_share_is_published_and_starts() {
    if skip_unless(
        samba_available() && is_root(),
        "smbd, smbclient, smbnetfs and root are needed",
    ) {
        return;
    }
    let (samba, mount) = samba_mounted_as(TEACHER).await;
    let (mut w, _) = world_uploading_to(Some(&mount.share_path("leovms-upload"))).await;
    let base = published_base(&w).await;
    // Against the independent stand-in, the teacher makes the machine with it.
    let lab = match std::env::var_os("LEOVMS_TEST_VBOX_DIR") {
        Some(dir) => build_with_vboxmanage(
            &PathBuf::from(dir).join("VBoxManage"),
            &w.home,
            "Lab machine",
            &base,
            16,
        )
        .unwrap(),
        None => own_home(&w, &[from_demo("Lab machine", &base, 16)]).remove(0),
    };
    w.start_daemon().await;

    let list = uploadable(&w);
    let item = listed_uploadable(&list, "virtualbox", &lab.uuid.to_string());
    assert_eq!(item["name"], "Lab machine", "{list}");
    assert_eq!(item["vm"], "vm-demo", "{list}");
    assert_eq!(item["state"], "off", "{list}");
    assert_eq!(item["problem"], "", "{list}");
    let disks: Vec<PathBuf> = item["disks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| PathBuf::from(d.as_str().unwrap()))
        .collect();
    assert_eq!(
        disks,
        [lab.base_path.clone(), lab.diff_path.clone().unwrap()],
        "the base, then the disk of the current state, found through the settings: {list}"
    );
    let snapshot_bytes = item["snapshot_bytes"].as_u64().unwrap();
    assert!(snapshot_bytes >= 16 << 20, "{list}");
    assert!(
        item["vm_bytes"].as_u64().unwrap() > snapshot_bytes,
        "{list}"
    );

    let out = w.cli(&[
        "upload",
        "--machine",
        "Lab machine",
        "--name",
        "Lab 2028",
        "--snapshot",
        "lab-2028",
    ]);
    let (user, folder) = uploaded_as(&out);
    assert_eq!(user, login_name());
    assert_folder_name(&folder, "lab-2028");
    // On the server, as smbd wrote it.
    let on_server = samba.upload_dir().join(&user).join(&folder);
    for file in [
        "manifest.toml",
        "upload.toml",
        "snapshots/lab-2028/snapshot.tar.zst",
    ] {
        assert!(
            on_server.join(file).is_file(),
            "no {file} in {}",
            on_server.display()
        );
    }

    let root = server_root(&w, &samba.upload_dir());
    let out = admin(&root, &["publish", &format!("{user}/{folder}")]);
    assert!(out.status.success(), "{}", describe(&out));
    let lab = demo_snapshot(&w, "lab-2028");
    assert_eq!(lab["name"], "Lab 2028", "{lab}");
    assert_eq!(lab["maintainer"], user.as_str(), "{lab}");
    starts_from(&w, "lab-2028").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_outside_p_leovms_is_refused_by_the_upload_share() {
    if skip_unless(
        samba_available() && is_root(),
        "smbd, smbclient, smbnetfs and root are needed",
    ) {
        return;
    }
    let (samba, mount) = samba_mounted_as(STUDENT).await;
    let (mut w, _) = world_uploading_to(Some(&mount.share_path("leovms-upload"))).await;
    let base = published_base(&w).await;
    let lab = own_home(&w, &[from_demo("Lab machine", &base, 4)]).remove(0);
    w.start_daemon().await;
    let out = w.cli(&[
        "upload",
        "--machine",
        &lab.uuid.to_string(),
        "--snapshot",
        "lab",
    ]);
    assert_eq!(out.status.code(), Some(12), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(
        err.contains("p_leovms") || err.contains("permission") || err.contains("not allowed"),
        "no clear permission message: {}",
        describe(&out)
    );
    assert_nothing_uploaded(&samba.upload_dir());
}
