//! Whether this machine can run the CUPS tests.

use std::path::Path;
use std::process::Command;

use crate::tools::{find_in_path, is_root};

/// The tools the CUPS tests run: the server, its clients, Ghostscript and pdffonts.
const TOOLS: [&str; 7] = [
    "cupsd",
    "lp",
    "lpstat",
    "lpadmin",
    "cupsreject",
    "gs",
    "pdffonts",
];
/// The pass-through filter of the test printer.
const FILTER: &str = "/usr/lib/cups/filter/gziptoany";

/// Whether CUPS tests can run here (root, the user lp, the tools, the pass-through filter).
/// When not, prints a visible `SKIPPED:` reason and returns false; under CI (`CI=true`) a
/// skip is a failure, so it panics.
pub fn cups_available() -> bool {
    let mut missing: Vec<String> = TOOLS
        .iter()
        .filter(|tool| find_in_path(tool).is_none())
        .map(|tool| tool.to_string())
        .collect();
    if !Path::new(FILTER).exists() {
        missing.push(FILTER.into());
    }
    if !is_root() {
        missing.push("root (cupsd switches to user lp)".into());
    }
    let lp_user = Command::new("id").args(["-u", "lp"]).output();
    if !lp_user.is_ok_and(|out| out.status.success()) {
        missing.push("the user lp".into());
    }
    if missing.is_empty() {
        return true;
    }
    let what = missing.join(", ");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CUPS tests are required under CI but need: {what}");
    }
    eprintln!(
        "SKIPPED: CUPS tests need {what} \
         (apt-get install cups cups-client cups-bsd ghostscript poppler-utils)"
    );
    false
}
