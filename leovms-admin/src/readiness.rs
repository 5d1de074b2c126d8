//! `readiness`: which school PCs already hold the VMs of `presync` (docs/prewarm.md).
//! Each PC's store writes `<host>.toml` into the status folder; the reports list only
//! hashes, compared here with what is published now, so a PC that has not fetched a new
//! publication yet shows that VM as missing. The PCs write these files, so every report
//! is checked and a bad one is named and skipped, never trusted.

use std::fs;
use std::path::{Path, PathBuf};

use leovms_image::layout::CLIENT_CONF;
use leovms_image::manifest::ManifestEntry;
use leovms_image::name::SafeName;
use leovms_image::readiness::{self, Report, Wanted};

use crate::ctx::{Ctx, HOME};
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};
use crate::list::{Row, table};
use crate::publish::conf_invalid;
use crate::tree::{self, human_size};

/// `readiness`; the help texts are `help-readiness-*` in the catalogs.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_name = "DIR")]
    pub reports: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

/// The exit status when a PC that reported is not ready: an answer, not an error.
pub const NOT_READY: u8 = 1;

/// Problem lines go below their PC's row, indented like the rules of `list`.
const PROBLEM_INDENT: &str = "    ";

/// Prints the readiness of every PC that reported; returns whether all of them are ready.
pub fn run(ctx: &Ctx, args: &Args) -> Result<bool> {
    let data = ctx.data();
    let presync = readiness::presync(&data).map_err(conf_invalid)?;
    // `--json` always prints the array: with presync empty, every PC with no VMs, ready.
    if presync.is_empty() && !args.json {
        println!(
            "{}",
            fl!("readiness-no-presync", file = shown(data.join(CLIENT_CONF)))
        );
        return Ok(true);
    }
    let mut wanted: Vec<(SafeName, Option<Wanted>)> = Vec::new();
    for vm in presync {
        match readiness::wanted(&data, &vm) {
            Ok(found) => wanted.push((vm, Some(found))),
            Err(reason) => {
                unavailable(&vm, &reason, args.json);
                wanted.push((vm, None));
            }
        }
    }
    let dir = args
        .reports
        .clone()
        .unwrap_or_else(|| ctx.path(HOME).join("status"));
    let pcs: Vec<Pc> = read_reports(&dir)?
        .into_iter()
        .map(|report| Pc::of(report, &wanted))
        .collect();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&pcs)).expect("JSON of plain values")
        );
    } else if pcs.is_empty() {
        println!("{}", fl!("readiness-no-reports", dir = shown(&dir)));
    } else {
        print!("{}", table(&rows(&pcs)));
    }
    Ok(pcs.iter().all(Pc::ready))
}

/// A VM of `presync` the share cannot provide: said once, before the table (on stderr
/// under `--json`, whose output is the array alone).
fn unavailable(vm: &SafeName, reason: &str, json: bool) {
    let line = fl!("readiness-unavailable", vm = vm.as_str(), reason = reason);
    if json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

/// One PC's report compared with `presync`.
struct Pc {
    report: Report,
    vms: Vec<VmState>,
}

/// One VM of `presync` on one PC.
struct VmState {
    vm: String,
    /// The share cannot provide the VM, so no PC can be ready for it.
    unavailable: bool,
    missing: Vec<ManifestEntry>,
    /// Why the PC says it is not ready; kept only while it is not.
    problem: Option<String>,
}

impl VmState {
    fn ready(&self) -> bool {
        !self.unavailable && self.missing.is_empty()
    }

    fn missing_bytes(&self) -> u64 {
        self.missing.iter().map(|e| e.size).sum()
    }
}

impl Pc {
    fn of(report: Report, wanted: &[(SafeName, Option<Wanted>)]) -> Pc {
        let vms = wanted
            .iter()
            .map(|(vm, wanted)| {
                let missing: Vec<ManifestEntry> = wanted
                    .as_ref()
                    .map(|w| report.missing(w).into_iter().cloned().collect())
                    .unwrap_or_default();
                let mut state = VmState {
                    vm: vm.to_string(),
                    unavailable: wanted.is_none(),
                    missing,
                    problem: None,
                };
                if !state.ready() {
                    state.problem = report.problems.get(vm.as_str()).cloned();
                }
                state
            })
            .collect();
        Pc { report, vms }
    }

    fn ready(&self) -> bool {
        self.vms.iter().all(VmState::ready)
    }
}

/// The reports in `dir`, sorted by host: regular files named `*.toml`, not those whose
/// name starts with `.` (a report being written). A bad one is named on stderr and
/// skipped; a folder that does not exist holds none.
fn read_reports(dir: &Path) -> Result<Vec<Report>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut reports = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(host) = name.to_str().and_then(|n| n.strip_suffix(".toml")) else {
            continue;
        };
        let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        if host.is_empty() || host.starts_with('.') || !kind.is_file() {
            continue;
        }
        match read_report(&entry.path(), host) {
            Ok(report) => reports.push(report),
            Err(reason) => eprintln!("{reason}"),
        }
    }
    reports.sort_by(|a, b| a.host.cmp(&b.host));
    Ok(reports)
}

/// One report, checked; the error names the file.
fn read_report(path: &Path, host: &str) -> std::result::Result<Report, String> {
    let bytes = tree::read_small(path).map_err(|e| e.to_string())?;
    let report =
        Report::parse(&String::from_utf8_lossy(&bytes), path).map_err(|e| e.to_string())?;
    // The file name is the PC's own name: another name is not what the store wrote.
    if report.host != host {
        return Err(fl!(
            "readiness-host-differs",
            file = shown(path),
            host = report.host.as_str()
        ));
    }
    Ok(report)
}

/// The table: a row per PC, its problems below it.
fn rows(pcs: &[Pc]) -> Vec<Row> {
    let mut rows = vec![Row::Cells(vec![
        fl!("readiness-pc"),
        fl!("readiness-reported"),
        fl!("readiness-ready"),
        fl!("readiness-missing"),
    ])];
    for pc in pcs {
        let ready = pc.vms.iter().filter(|v| v.ready()).count();
        let missing: Vec<String> = pc
            .vms
            .iter()
            .filter(|v| !v.ready())
            .map(missing_cell)
            .collect();
        rows.push(Row::Cells(vec![
            pc.report.host.clone(),
            reported(&pc.report.at),
            format!("{ready}/{}", pc.vms.len()),
            missing.join("; "),
        ]));
        rows.extend(pc.vms.iter().filter_map(|v| {
            let problem = v.problem.as_deref()?;
            let line = fl!("readiness-problem", vm = v.vm.as_str(), problem = problem);
            Some(Row::Line(format!("{PROBLEM_INDENT}{line}")))
        }));
    }
    rows
}

/// What a VM that is not ready lacks: its archives and their size.
fn missing_cell(vm: &VmState) -> String {
    if vm.unavailable {
        return fl!("readiness-missing-unavailable", vm = vm.vm.as_str());
    }
    let archives: Vec<&str> = vm.missing.iter().map(|e| e.path.as_str()).collect();
    fl!(
        "readiness-missing-archives",
        vm = vm.vm.as_str(),
        archives = archives.join(", "),
        size = human_size(vm.missing_bytes())
    )
}

/// `2026-12-07T05:31:02Z` as `2026-12-07 05:31 UTC`; any other text as the PC wrote it.
fn reported(at: &str) -> String {
    let b = at.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    let utc = b.len() >= 17
        && at.is_ascii()
        && at.ends_with('Z')
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16);
    if utc {
        format!("{} {} UTC", &at[..10], &at[11..16])
    } else {
        at.to_owned()
    }
}

/// `--json`: the same in every language (docs/l10n.md):
/// `[{host, at, ready, vms: [{vm, ready, missing, missing_bytes, problem}]}]`.
fn to_json(pcs: &[Pc]) -> serde_json::Value {
    let pc = |pc: &Pc| {
        let vms: Vec<serde_json::Value> = pc
            .vms
            .iter()
            .map(|v| {
                let missing: Vec<&str> = v.missing.iter().map(|e| e.path.as_str()).collect();
                serde_json::json!({
                    "vm": v.vm,
                    "ready": v.ready(),
                    "missing": missing,
                    "missing_bytes": v.missing_bytes(),
                    "problem": v.problem,
                })
            })
            .collect();
        serde_json::json!({
            "host": pc.report.host,
            "at": pc.report.at,
            "ready": pc.ready(),
            "vms": vms,
        })
    };
    serde_json::Value::Array(pcs.iter().map(pc).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_time_is_shown_to_the_minute_in_utc() {
        assert_eq!(reported("2026-12-07T05:31:02Z"), "2026-12-07 05:31 UTC");
        assert_eq!(reported("2026-12-07T05:31Z"), "2026-12-07 05:31 UTC");
        // Not the store's format (a PC with a wrong clock library): shown as written.
        assert_eq!(reported("yesterday"), "yesterday");
        assert_eq!(
            reported("2026-12-07T05:31:02+01:00"),
            "2026-12-07T05:31:02+01:00"
        );
        assert_eq!(reported("2026-12-07T05:3ä:02Z"), "2026-12-07T05:3ä:02Z");
    }
}
