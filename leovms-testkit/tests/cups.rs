//! The CUPS test kit itself: a private cupsd that prints, refuses and forgets its default
//! as end-to-end tests of printing need, and the PDF helpers.

use std::path::Path;
use std::process::{Command, Output};

use leovms_testkit::pdf::{fonts, pdf_with_unembedded_font};
use leovms_testkit::{Cups, cups_available, describe, require_tool};

const QUEUE: &str = "leovms-test";

fn write_pdf(dir: &Path, text: &str) -> (std::path::PathBuf, Vec<u8>) {
    let bytes = pdf_with_unembedded_font(text);
    let path = dir.join("ausdruck.pdf");
    std::fs::write(&path, &bytes).expect("write the PDF");
    (path, bytes)
}

fn run(command: &mut Command) -> Output {
    command.output().expect("run a CUPS client")
}

#[test]
fn lp_on_the_default_printer_reaches_the_queue_as_one_job_with_the_bytes_sent() {
    if !cups_available() {
        return;
    }
    let cups = Cups::start(QUEUE).expect("start cupsd");
    let tmp = tempfile::tempdir().unwrap();
    let (pdf, bytes) = write_pdf(tmp.path(), "Grüße (aus der VM) \\ 100 €");
    let out = run(cups.command("lp").arg(&pdf));
    assert!(out.status.success(), "lp: {}", describe(&out));
    let request = String::from_utf8_lossy(&out.stdout);
    let jobs = cups.wait_for_jobs(1);
    assert_eq!(jobs, cups.completed());
    assert_eq!(jobs.len(), 1, "jobs: {jobs:?}");
    assert!(
        request.contains(&format!("request id is {} ", jobs[0])),
        "lp said {request:?}, completed: {jobs:?}"
    );
    assert!(
        cups.documents() == vec![bytes],
        "the printed document differs from the PDF sent"
    );
}

#[test]
fn a_rejecting_queue_makes_lp_fail() {
    if !cups_available() {
        return;
    }
    let cups = Cups::start(QUEUE).expect("start cupsd");
    cups.reject();
    let tmp = tempfile::tempdir().unwrap();
    let (pdf, _) = write_pdf(tmp.path(), "refused");
    let out = run(cups.command("lp").args(["-d", QUEUE]).arg(&pdf));
    assert!(!out.status.success(), "lp printed: {}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is not accepting jobs"),
        "{}",
        describe(&out)
    );
    assert!(cups.completed().is_empty());
}

#[test]
fn without_a_default_lpstat_says_so_and_the_named_queue_still_prints() {
    if !cups_available() {
        return;
    }
    let cups = Cups::start(QUEUE).expect("start cupsd");
    let before = run(cups.command("lpstat").arg("-d"));
    let before = String::from_utf8_lossy(&before.stdout);
    assert!(
        before.contains(&format!("system default destination: {QUEUE}")),
        "{before}"
    );
    cups.no_default();
    let out = run(cups.command("lpstat").arg("-d"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("no system default destination"),
        "{}",
        describe(&out)
    );
    let tmp = tempfile::tempdir().unwrap();
    let (pdf, bytes) = write_pdf(tmp.path(), "named queue");
    let no_destination = run(cups.command("lp").arg(&pdf));
    assert!(
        !no_destination.status.success(),
        "{}",
        describe(&no_destination)
    );
    let named = run(cups.command("lp").args(["-d", QUEUE]).arg(&pdf));
    assert!(named.status.success(), "{}", describe(&named));
    cups.wait_for_jobs(1);
    assert!(cups.documents() == vec![bytes]);
}

#[test]
fn dropping_stops_cupsd_and_leaves_no_process() {
    if !cups_available() {
        return;
    }
    let cups = Cups::start(QUEUE).expect("start cupsd");
    let (variable, socket) = cups.env();
    assert_eq!(variable, "CUPS_SERVER");
    assert_eq!(socket, cups.socket());
    let folder = socket.parent().unwrap().display().to_string();
    drop(cups);
    assert!(!socket.exists(), "{} is still there", socket.display());
    assert!(
        processes_mentioning(&folder).is_empty(),
        "{:?}",
        processes_mentioning(&folder)
    );
}

/// The command lines of running processes (zombies aside) that mention `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            found.push(cmdline);
        }
    }
    found
}

#[test]
fn ghostscript_embeds_the_font_the_generated_pdf_leaves_out() {
    // Needs neither cupsd nor root: only the two tools.
    if !require_tool("gs") || !require_tool("pdffonts") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (pdf, _) = write_pdf(tmp.path(), "Schrift");
    assert_eq!(fonts(&pdf), vec![("Helvetica".to_owned(), false)]);
    let embedded = tmp.path().join("eingebettet.pdf");
    let out = run(Command::new("gs")
        .args(["-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite"])
        .args(["-dPDFSETTINGS=/prepress", "-dEmbedAllFonts=true"])
        .arg(format!("-sOutputFile={}", embedded.display()))
        .arg(&pdf));
    assert!(out.status.success(), "gs: {}", describe(&out));
    let after = fonts(&embedded);
    assert!(
        !after.is_empty() && after.iter().all(|(_, embedded)| *embedded),
        "{after:?}"
    );
}
