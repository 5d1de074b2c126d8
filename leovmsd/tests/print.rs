//! The VM printer end to end: a real cupsd whose queue writes to a file, the real daemon
//! and VirtualBox (the project's double or the stand-in), and the VM's guest printing as
//! a Windows PDF printer does: into `H:\ausdruck.pdf`, the folder VirtualBox shares as
//! `home`, in chunks, then closing the file.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::guest::{GuestPrint, guest_h};
use common::*;
use futures_util::StreamExt;
use leovms_api::{JobInfo, JobKind, JobProxy, JobState, Phase};
use leovms_testkit::cups::{Cups, cups_available};
use leovms_testkit::pdf::{fonts, pdf_with_unembedded_font};
use leovms_testkit::{describe, names_in};

const QUEUE: &str = "test";

/// A world with a printer and vm-demo running, and the folder its H: is; `None` when
/// CUPS cannot run here.
async fn printing_world(client_conf: &str) -> Option<(World, Cups, PathBuf)> {
    if !cups_available() {
        return None;
    }
    let cups = Cups::start(QUEUE).expect("a private cupsd");
    let (w, h) = vm_world(cups.socket(), client_conf).await;
    Some((w, cups, h))
}

/// A world whose CUPS is at `cups_server`, with vm-demo running, and the folder its H: is.
async fn vm_world(cups_server: &Path, client_conf: &str) -> (World, PathBuf) {
    let mut w = World::new().await;
    std::fs::create_dir_all(w.home.join("Home_auf_Server")).unwrap();
    if !client_conf.is_empty() {
        std::fs::write(w.data.join("leovms-client.conf"), client_conf).unwrap();
    }
    w.extra_env
        .push(("CUPS_SERVER".into(), cups_server.display().to_string()));
    w.start_daemon().await;
    start_vm(&w);
    let h = guest_h(&w);
    (w, h)
}

fn start_vm(w: &World) {
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
}

/// The print jobs the daemon lists.
async fn print_jobs(w: &World) -> Vec<JobInfo> {
    let conn = w.connection().await;
    let jobs = w.manager(&conn).await.list_jobs().await.unwrap();
    jobs.into_iter()
        .filter(|j| j.kind == JobKind::Print)
        .collect()
}

/// Waits (bounded) until a print job satisfies `ok`.
async fn until_print_job(w: &World, what: &str, ok: impl Fn(&JobInfo) -> bool) -> JobInfo {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(job) = print_jobs(w).await.into_iter().find(|j| ok(j)) {
            return job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no print job {what}: {:?}\nlog:\n{}",
            print_jobs(w).await,
            w.daemon_log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether a child process of `parent` runs `program`.
fn child_runs(parent: u32, program: &str) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    procs.flatten().any(|p| {
        let stat = std::fs::read_to_string(p.path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid …: the comm may hold spaces, so read after its ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u32>().ok());
        let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
        ppid == Some(parent) && cmdline.split(|b| *b == 0).next() == Some(program.as_bytes())
    })
}

async fn until_ended(w: &World) -> JobInfo {
    until_print_job(w, "ended", |j| j.state != JobState::Active).await
}

#[tokio::test(flavor = "multi_thread")]
async fn what_the_vm_prints_comes_out_of_the_printer_once_with_its_fonts_embedded() {
    let Some((w, cups, h)) = printing_world("").await else {
        return;
    };
    assert_eq!(
        h,
        w.home.join("Home_auf_Server"),
        "H: is the home on the server"
    );
    let doc = pdf_with_unembedded_font("Hallo aus der VM");
    let half = doc.len() / 2;

    // A client that reads the print job as it comes, with its properties cached.
    let conn = w.connection().await;
    let mut added = w.manager(&conn).await.receive_job_added().await.unwrap();

    // Half of it, and the printer in the VM pauses with the file open.
    let mut print = GuestPrint::begin(&h);
    print.write(&doc[..half]);
    let added = added.next().await.unwrap();
    let path = added.args().unwrap().job.to_owned();
    let job = JobProxy::builder(&conn)
        .path(path)
        .unwrap()
        .build()
        .await
        .unwrap();
    job.detail().await.unwrap(); // fills the cache, which signals keep current
    let waiting = until_print_job(&w, "waiting for the rest", |j| {
        j.phase == Phase::Receive
            && j.bytes_done == half as u64
            && j.message.contains("finish writing")
    })
    .await;
    assert_eq!(waiting.vm, "vm-demo");
    assert_eq!(waiting.detail["id"], "doing-wait-for-document");
    // The sentence changed within the phase; the client learns it by PropertiesChanged.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let cached = job.cached_detail().unwrap().unwrap_or_default();
        if cached.get("id").map(String::as_str) == Some("doing-wait-for-document") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job's Detail was not signalled: {cached:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        cups.completed().is_empty(),
        "printed before it was complete"
    );
    assert!(
        h.join("ausdruck.pdf").exists(),
        "taken before it was complete"
    );
    let listed = w.cli(&["jobs"]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("vm-demo"),
        "{}",
        describe(&listed)
    );

    print.write(&doc[half..]);
    drop(print);
    let ended = until_ended(&w).await;
    assert_eq!(ended.state, JobState::Done, "{ended:?}\n{}", w.daemon_log());
    assert_eq!(
        ended.message,
        format!("The document from Demo Linux was printed on {QUEUE}.")
    );

    cups.wait_for_jobs(1);
    let printed = cups.documents();
    assert_eq!(printed.len(), 1, "exactly one job");
    let copy = w.tmp.path().join("printed.pdf");
    std::fs::write(&copy, &printed[0]).unwrap();
    let found = fonts(&copy);
    assert!(
        !found.is_empty() && found.iter().all(|(_, embedded)| *embedded),
        "fonts not embedded: {found:?}"
    );
    assert!(found.iter().any(|(name, _)| name.contains("Helvetica")));
    // What was printed is kept as leoclient2 kept it; the print file is free again.
    assert_eq!(
        std::fs::read(h.join("ausdruck-fertig.pdf")).unwrap(),
        printed[0]
    );
    assert!(!h.join("ausdruck.pdf").exists());
    assert!(names_in(&h.join(".leovms-druck")).is_empty());
    w.power_off_all();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daemon_killed_while_handing_a_document_to_cups_never_prints_it_again() {
    let conf = format!("[printer]\nqueue = \"{QUEUE}\"\n");
    let Some((mut w, cups, h)) = printing_world(&conf).await else {
        return;
    };
    // CUPS stops answering: `lp` waits with the document in its hands.
    cups.pause();
    GuestPrint::all(&h, &pdf_with_unembedded_font("Nur einmal"));
    until_print_job(&w, "handing over", |j| j.phase == Phase::Print).await;
    let spool = h.join(".leovms-druck");
    // The daemon's `lp` runs (it marked the document sent before it started `lp`).
    let daemon = w.daemon_pid();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !child_runs(daemon, "lp") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no lp; spool: {:?}\n{}",
            names_in(&spool),
            w.daemon_log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(names_in(&spool).iter().any(|n| n.ends_with(".sent.pdf")));
    w.kill_daemon();
    // The `lp` the daemon started still hands the document over.
    cups.resume();
    cups.wait_for_jobs(1);

    // The next daemon finds the VM running and the document sent: it is not sent again.
    w.start_daemon().await;
    assert_eq!(w.machine("vm-demo")["state"], "running");
    assert!(
        print_jobs(&w).await.is_empty(),
        "{:?}",
        print_jobs(&w).await
    );
    assert!(names_in(&spool).is_empty(), "{:?}", names_in(&spool));
    assert!(h.join("ausdruck-fertig.pdf").exists());
    assert_eq!(cups.completed().len(), 1);
    assert!(cups.pending().is_empty());

    // And the printer goes on working for the next document.
    GuestPrint::all(&h, &pdf_with_unembedded_font("Noch eins"));
    assert_eq!(until_ended(&w).await.state, JobState::Done);
    cups.wait_for_jobs(2);
    w.power_off_all();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_is_no_pdf_or_too_large_is_set_aside_never_printed() {
    let Some((w, cups, h)) = printing_world("[printer]\nmax_mb = 1\n").await else {
        return;
    };
    let postscript = b"%!PS-Adobe-3.0\n/Helvetica findfont 12 scalefont setfont\nshowpage\n";
    GuestPrint::all(&h, postscript);
    let ended = until_ended(&w).await;
    assert_eq!(ended.state, JobState::Failed);
    assert_eq!(ended.error_id, "org.leovms.Error.PrintFailed");
    assert!(
        ended.message.contains("is not a PDF document"),
        "{}",
        ended.message
    );
    let kept = h.join("ausdruck-nicht-gedruckt.pdf");
    assert_eq!(std::fs::read(&kept).unwrap(), postscript);

    // A PDF over the limit (1 MB here).
    let big = [
        b"%PDF-1.4\n".as_slice(),
        &b"% padding\n".repeat(120_000),
        b"trailer\n<<>>\n%%EOF\n",
    ]
    .concat();
    GuestPrint::all(&h, &big);
    let ended = until_print_job(&w, "refusing the large one", |j| {
        j.state != JobState::Active && j.message.contains("more than")
    })
    .await;
    assert_eq!(ended.error_id, "org.leovms.Error.PrintFailed");
    assert_eq!(std::fs::read(&kept).unwrap().len(), big.len());
    assert!(cups.completed().is_empty() && cups.pending().is_empty());
    w.power_off_all();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_printer_that_refuses_and_a_pc_without_printer_are_told() {
    let Some((w, cups, h)) = printing_world("").await else {
        return;
    };
    cups.reject();
    GuestPrint::all(&h, &pdf_with_unembedded_font("Abgelehnt"));
    let ended = until_ended(&w).await;
    assert_eq!(ended.error_id, "org.leovms.Error.PrintFailed", "{ended:?}");
    assert!(
        ended
            .message
            .contains(&format!("The printer {QUEUE} did not accept")),
        "{}",
        ended.message
    );
    assert!(h.join("ausdruck-nicht-gedruckt.pdf").exists());

    cups.no_default();
    GuestPrint::all(&h, &pdf_with_unembedded_font("Kein Drucker"));
    let ended = until_print_job(&w, "without a printer", |j| {
        j.state != JobState::Active && j.message.contains("no printer is set up")
    })
    .await;
    assert_eq!(ended.error_id, "org.leovms.Error.PrintFailed");
    assert!(cups.completed().is_empty());
    w.power_off_all();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_finished_as_the_vm_ends_is_printed_and_nothing_is_watched_while_it_is_off() {
    let Some((w, cups, h)) = printing_world("").await else {
        return;
    };
    // The last page, and at once the VM shuts down.
    GuestPrint::all(&h, &pdf_with_unembedded_font("Letzte Seite"));
    let out = w.cli(&["stop", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(until_ended(&w).await.state, JobState::Done);
    cups.wait_for_jobs(1);

    // Written while the VM is off: nobody watches, and the next start does not print it.
    GuestPrint::all(&h, &pdf_with_unembedded_font("Von gestern"));
    start_vm(&w);
    w.wait_machine_state("vm-demo", "running").await;
    assert_eq!(print_jobs(&w).await.len(), 1, "only the first document");
    assert!(h.join("ausdruck.pdf").exists());
    assert_eq!(cups.completed().len(), 1);
    w.power_off_all();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_print_job_canceled_while_the_vm_writes_is_kept_and_never_printed() {
    let Some((w, cups, h)) = printing_world("").await else {
        return;
    };
    let doc = pdf_with_unembedded_font("Doch nicht");
    let mut print = GuestPrint::begin(&h);
    print.write(&doc[..doc.len() / 2]);
    let job = until_print_job(&w, "receiving", |j| j.phase == Phase::Receive).await;
    let number = job.path.as_str().rsplit('/').next().unwrap().to_owned();
    let out = w.cli(&["cancel", &number]);
    assert!(out.status.success(), "{}", describe(&out));
    let ended = until_ended(&w).await;
    assert_eq!(ended.state, JobState::Canceled, "{ended:?}");
    assert!(ended.message.contains("was canceled"), "{}", ended.message);

    // The VM finishes the document anyway: it is kept, not printed.
    print.write(&doc[doc.len() / 2..]);
    drop(print);
    let kept = h.join("ausdruck-nicht-gedruckt.pdf");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while std::fs::read(&kept).ok().as_deref() != Some(doc.as_slice()) {
        assert!(tokio::time::Instant::now() < deadline, "{}", w.daemon_log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!h.join("ausdruck.pdf").exists());
    assert_eq!(print_jobs(&w).await.len(), 1, "no second job for it");
    assert!(cups.completed().is_empty() && cups.pending().is_empty());
    w.power_off_all();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pc_whose_printing_service_is_down_says_so() {
    if !leovms_testkit::require_tool("lpstat") {
        return;
    }
    let nothing_there = tempfile::tempdir().unwrap();
    let (w, h) = vm_world(&nothing_there.path().join("cups.sock"), "").await;
    GuestPrint::all(&h, &pdf_with_unembedded_font("Niemand da"));
    let ended = until_ended(&w).await;
    assert_eq!(ended.state, JobState::Failed);
    let down = "the printing service (CUPS) is not running on this PC";
    assert!(ended.message.contains(down), "{ended:?}");
    assert!(h.join("ausdruck-nicht-gedruckt.pdf").exists());
    w.power_off_all();
}
