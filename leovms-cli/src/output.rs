//! Plain-text tables, sizes, rates and JSON output.
//!
//! Sizes use decimal units (1 GB = 1 000 000 000 bytes), like disk vendors and file
//! managers do, so the numbers match what people see elsewhere.
//!
//! Every text for people goes out through [`printable`]: what the daemon passes on (names
//! from the share, VirtualBox's words, paths) must never move the cursor, clear the screen
//! or disguise itself on a terminal. `--json` output is written exactly.
//!
//! Headers, words and sentences come from the catalog, so they are in the user's language;
//! the numbers of sizes and rates use its decimal separator (`leovms_api::units`).

use std::borrow::Cow;

use leovms_api::{JobInfo, JobKind, Machine, MachineState, Origin, Snapshot};
use serde::Serialize;

use crate::exit::CliError;
use crate::l10n::fl;
use crate::words;

use leovms_api::units::{format_eta, format_rate};
pub use leovms_api::units::{format_gb, format_size};

/// `done/total` with rate and time left where known, e.g. `1.2 GB / 4.0 GB, 85.0 MB/s, 33 s left`.
pub fn format_transfer(done: u64, total: u64, rate: u64, eta: i64) -> String {
    let mut parts = vec![format!("{} / {}", format_size(done), format_size(total))];
    parts.extend(format_rate(rate));
    parts.extend(format_eta(eta).map(|e| fl!("transfer-left", eta = e)));
    parts.join(", ")
}

/// The job number: the last segment of `/org/leovms/Leovms1/job/N`.
pub fn job_number(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `text` as it may go to a terminal: control characters other than line breaks, and
/// characters that change the writing direction, escaped as `\u{1b}`.
pub fn printable(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// [`printable`] for one line, e.g. a table cell: line breaks are escaped too.
pub fn printable_line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

fn escape(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && !(keep_lines && c == '\n'))
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if bad(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Columns padded to their widest cell, two spaces apart, no trailing blanks. Cells are
/// shown [`printable_line`], so a hostile one can neither break nor misalign the table.
pub fn table(headers: &[impl AsRef<str>], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|c| printable_line(c).into_owned()).collect())
        .collect();
    let header_row: Vec<String> = headers.iter().map(|h| h.as_ref().to_string()).collect();
    let mut widths: Vec<usize> = header_row.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header_row).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', w - cell.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub use crate::words::yes_no;

/// `-` for empty cells, so columns never look shifted.
pub fn or_dash(s: &str) -> String {
    if s.is_empty() { "-".into() } else { s.into() }
}

/// The `OFFLINE` cell of `list`: whether the machine also starts without the share.
fn offline_cell(m: &Machine) -> String {
    if m.synced && m.outdated {
        fl!("offline-synced-outdated")
    } else if m.synced {
        fl!("offline-synced")
    } else if m.origin == Origin::Cache && m.problem.is_empty() {
        fl!("offline-cached")
    } else if m.origin == Origin::Cache {
        fl!("offline-unavailable")
    } else {
        "-".to_string()
    }
}

/// The share is unavailable and every machine comes from this PC's cache.
pub fn all_from_cache(machines: &[Machine]) -> bool {
    !machines.is_empty() && machines.iter().all(|m| m.origin == Origin::Cache)
}

/// Listed only to say why this user cannot use it on this PC (the daemon's `problem`).
fn not_offered(m: &Machine) -> bool {
    m.state == MachineState::NotOffered
}

/// The line above the table when the daemon lists machines but offers none of them:
/// without it, a student would read the list as "the share is empty" or "all broken".
fn nothing_offered(machines: &[Machine]) -> Option<String> {
    if machines.is_empty() || !machines.iter().all(not_offered) {
        return None;
    }
    let cached = all_from_cache(machines);
    Some(match (machines.len(), cached) {
        (1, false) => fl!("list-only-one-not-offered"),
        (1, true) => fl!("list-only-one-kept-not-offered"),
        (n, false) => fl!("list-none-offered", n = n.to_string()),
        (n, true) => fl!("list-none-kept-offered", n = n.to_string()),
    })
}

/// `list`: one row per machine; a machine that is not offered shows why in PROBLEM, and
/// when none is offered a line above the table says so.
pub fn machines_table(machines: &[Machine]) -> String {
    let rows: Vec<Vec<String>> = machines
        .iter()
        .map(|m| {
            if not_offered(m) {
                let mut row = vec![m.id.clone(), m.name.clone(), words::machine_state(m.state)];
                row.extend(std::iter::repeat_n("-".to_string(), 6));
                row.push(or_dash(&m.problem_text()));
                return row;
            }
            let as_found = if !m.as_found && !m.as_found_blocked.is_empty() {
                fl!("list-as-found-blocked", why = m.as_found_blocked_text())
            } else {
                yes_no(m.as_found)
            };
            // A machine that cannot be read has no RAM policy to show.
            let ram = if m.ram_max_mb == 0 {
                "-".to_string()
            } else if m.ram_fixed {
                fl!("list-ram-fixed", mb = m.ram_default_mb.to_string())
            } else {
                fl!(
                    "list-ram-range",
                    mb = m.ram_default_mb.to_string(),
                    min = m.ram_min_mb.to_string(),
                    max = m.ram_max_mb.to_string()
                )
            };
            vec![
                m.id.clone(),
                m.name.clone(),
                words::machine_state(m.state),
                format_gb(m.base_size),
                yes_no(m.base_ready),
                as_found,
                m.snapshots.to_string(),
                ram,
                offline_cell(m),
                or_dash(&m.problem_text()),
            ]
        })
        .collect();
    let headers = [
        fl!("column-id"),
        fl!("column-name"),
        fl!("column-state"),
        fl!("column-base"),
        fl!("column-unpacked"),
        fl!("column-as-found"),
        fl!("column-snapshots"),
        fl!("column-ram"),
        fl!("column-offline"),
        fl!("column-problem"),
    ];
    let mut out = nothing_offered(machines)
        .map(|line| format!("{line}\n"))
        .unwrap_or_default();
    out.push_str(&table(&headers, &rows));
    out
}

/// The day (UTC) of a Unix time as `2026-11-20`; `never` for 0 (never used).
pub fn format_day(unix_seconds: i64) -> String {
    if unix_seconds <= 0 {
        return fl!("day-never");
    }
    let (year, month, day) = civil_date(unix_seconds.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02}")
}

/// Year, month and day of a day count since 1970-01-01 (the proleptic Gregorian
/// calendar, as in Howard Hinnant's `civil_from_days`).
fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2026-11-20 10:00 UTC` for RFC 3339 UTC times; other forms are shown as given.
pub fn format_created(rfc3339: &str) -> String {
    let b = rfc3339.as_bytes();
    let utc_shape = b.len() >= 17 && b[10] == b'T' && b[13] == b':' && rfc3339.ends_with('Z');
    if utc_shape {
        format!("{} {} UTC", &rfc3339[..10], &rfc3339[11..16])
    } else {
        or_dash(rfc3339)
    }
}

pub fn snapshots_table(snapshots: &[Snapshot]) -> String {
    let rows: Vec<Vec<String>> = snapshots
        .iter()
        .map(|s| {
            vec![
                s.id.clone(),
                s.name.clone(),
                or_dash(&s.maintainer),
                format_created(&s.created),
                format_size(s.size),
                yes_no(s.cached),
                or_dash(&s.problem_text()),
            ]
        })
        .collect();
    table(
        &[
            fl!("column-id"),
            fl!("column-name"),
            fl!("column-maintainer"),
            fl!("column-created"),
            fl!("column-size"),
            fl!("column-cached"),
            fl!("column-problem"),
        ],
        &rows,
    )
}

/// `42%`, or `-` when the job has no byte count (yet).
pub fn percent(done: u64, total: u64) -> String {
    if total == 0 {
        "-".into()
    } else {
        format!("{}%", (u128::from(done) * 100 / u128::from(total)).min(100))
    }
}

/// The `SNAPSHOT` cell of `jobs`: an empty snapshot means "as found" for a start and
/// "all" for a sync; a cache check has none.
fn job_snapshot_cell(j: &JobInfo) -> String {
    match (j.kind, j.snapshot.is_empty()) {
        (_, false) => j.snapshot.clone(),
        (JobKind::Start, true) => fl!("jobs-as-found"),
        (JobKind::Sync, true) => fl!("jobs-all-snapshots"),
        _ => "-".into(),
    }
}

pub fn jobs_table(jobs: &[JobInfo]) -> String {
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            vec![
                job_number(j.path.as_str()).to_string(),
                words::job_kind(j.kind),
                or_dash(&j.vm),
                job_snapshot_cell(j),
                words::phase(j.phase),
                words::job_state(j.state),
                percent(j.bytes_done, j.bytes_total),
                or_dash(&j.explain()),
            ]
        })
        .collect();
    table(
        &[
            fl!("column-job"),
            fl!("column-kind"),
            fl!("column-vm"),
            fl!("column-snapshot"),
            fl!("column-phase"),
            fl!("column-state"),
            fl!("column-done"),
            fl!("column-message"),
        ],
        &rows,
    )
}

/// Pretty JSON on stdout, exactly: JSON escapes what needs escaping itself.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Other(e.to_string()))?;
    write_stdout_exact(&format!("{text}\n"));
    Ok(())
}

/// Writes text for people to stdout, [`printable`].
pub fn write_stdout(text: std::fmt::Arguments<'_>) {
    write_stdout_exact(&printable(&text.to_string()));
}

/// Writes text for people to stderr, [`printable`]. A closed stderr is no reason to fail.
pub fn write_stderr(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(printable(&text.to_string()).as_bytes());
}

/// Writes to stdout as it is (JSON, a completion script). When the reader has gone away
/// (`leovms-cli list | head -1`), the command ends quietly with the code a shell gives a
/// program stopped by SIGPIPE, like other command-line tools, instead of failing with a
/// panic.
pub fn write_stdout_exact(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(crate::exit::READER_GONE);
        }
        eprintln!("leovms: {}", fl!("error-cannot-write", why = e.to_string()));
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leovms_api::{JobState, Phase};

    fn machine(id: &str, name: &str) -> Machine {
        Machine {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            state: MachineState::Off,
            base_size: 12_345_678_901,
            base_unpacked_size: 30_000_000_000,
            base_ready: true,
            as_found: false,
            as_found_blocked: String::new(),
            snapshots: 2,
            ram_default_mb: 2048,
            ram_min_mb: 192,
            ram_max_mb: 3072,
            ram_fixed: false,
            problem: String::new(),
            origin: Origin::Share,
            revision: "3f2a9c0d1e4b5a67".into(),
            synced: false,
            outdated: false,
            ..Default::default()
        }
    }

    #[test]
    fn rates_and_times_left() {
        assert_eq!(
            format_transfer(1_200_000_000, 4_000_000_000, 85_000_000, 33),
            "1.2 GB / 4.0 GB, 85.0 MB/s, 33 s left"
        );
        assert_eq!(format_transfer(0, 10, 0, -1), "0 B / 10 B");
    }

    #[test]
    fn machine_table_lines_up() {
        let mut blocked = machine("vm-linux", "Linux Mint");
        blocked.as_found_blocked = "it has a saved state".into();
        blocked.ram_fixed = true;
        blocked.base_ready = false;
        blocked.problem = "image.conf:3: ram.mb: missing".into();
        let mut found = machine("vm-win10", "Windows 10");
        found.as_found = true;
        found.state = MachineState::Running;
        found.synced = true;
        let text = machines_table(&[found, blocked]);
        let expected = "\
ID        NAME        STATE    BASE     UNPACKED  AS FOUND                  SNAPSHOTS  RAM                 OFFLINE  PROBLEM
vm-win10  Windows 10  running  12.3 GB  yes       yes                       2          2048 MB (192-3072)  synced   -
vm-linux  Linux Mint  off      12.3 GB  no        no: it has a saved state  2          2048 MB (fixed)     -        image.conf:3: ram.mb: missing
";
        assert_eq!(text, expected);
    }

    fn hidden(id: &str, name: &str, why: &str) -> Machine {
        Machine {
            state: MachineState::NotOffered,
            base_size: 0,
            base_ready: false,
            snapshots: 0,
            ram_default_mb: 0,
            ram_min_mb: 0,
            ram_max_mb: 0,
            revision: String::new(),
            problem: why.into(),
            ..machine(id, name)
        }
    }

    #[test]
    fn machines_not_offered_say_why_and_none_offered_is_not_an_empty_share() {
        let room = "Exam is offered only in certain rooms, and this computer (pc7) cannot tell which room it is in";
        let text = machines_table(&[
            machine("vm-win10", "Windows 10"),
            hidden("vm-exam", "Exam", room),
        ]);
        let expected = format!(
            "\
ID        NAME        STATE        BASE     UNPACKED  AS FOUND  SNAPSHOTS  RAM                 OFFLINE  PROBLEM
vm-win10  Windows 10  off          12.3 GB  yes       no        2          2048 MB (192-3072)  -        -
vm-exam   Exam        not-offered  -        -         -         -          -                   -        {room}
"
        );
        assert_eq!(text, expected);

        let others = "Windows 10 is not offered to you: it is meant for other users or groups.";
        let text = machines_table(&[
            hidden("vm-exam", "Exam", room),
            hidden("vm-win10", "Windows 10", others),
        ]);
        assert!(
            text.starts_with(
                "None of the 2 machines on the share is offered to you on this PC.\nID "
            ),
            "{text}"
        );
        assert!(text.contains(others), "{text}");
        let text = machines_table(&[hidden("vm-win10", "Windows 10", others)]);
        assert!(
            text.starts_with("The only machine on the share is not offered to you on this PC.\n"),
            "{text}"
        );
        let mut cached = hidden("vm-win10", "Windows 10", others);
        cached.origin = Origin::Cache;
        assert!(machines_table(&[cached]).starts_with("The only machine kept on this PC is not"),);
    }

    #[test]
    fn offline_column_tells_synced_outdated_and_cached_apart() {
        let mut synced = machine("a", "A");
        synced.synced = true;
        assert_eq!(offline_cell(&synced), "synced");
        synced.outdated = true;
        assert_eq!(offline_cell(&synced), "synced (outdated)");
        let mut cached = machine("b", "B");
        cached.origin = Origin::Cache;
        assert_eq!(offline_cell(&cached), "cached");
        let mut missing = cached.clone();
        missing.problem = "Not available offline".into();
        assert_eq!(offline_cell(&missing), "unavailable");
        assert_eq!(offline_cell(&machine("c", "C")), "-");
        assert!(all_from_cache(std::slice::from_ref(&cached)));
        assert!(!all_from_cache(&[cached, machine("c", "C")]));
        assert!(!all_from_cache(&[]));
    }

    #[test]
    fn snapshot_table_shows_what_is_cached() {
        let snap = |id: &str, cached: bool| Snapshot {
            id: id.into(),
            name: id.to_uppercase(),
            maintainer: String::new(),
            created: String::new(),
            description: String::new(),
            size: 820_300_000,
            unpacked_size: 1,
            problem: String::new(),
            cached,
            problem_detail: Default::default(),
        };
        let expected = "\
ID       NAME     MAINTAINER  CREATED  SIZE      CACHED  PROBLEM
exam     EXAM     -           -        820.3 MB  yes     -
lessons  LESSONS  -           -        820.3 MB  no      -
";
        assert_eq!(
            snapshots_table(&[snap("exam", true), snap("lessons", false)]),
            expected
        );
    }

    #[test]
    fn jobs_table_names_sync_verify_and_print_jobs() {
        let job = |n: u32, kind: &str, vm: &str, snapshot: &str| JobInfo {
            path: format!("/org/leovms/Leovms1/job/{n}").try_into().unwrap(),
            kind: JobKind::parse(kind),
            vm: vm.into(),
            snapshot: snapshot.into(),
            phase: Phase::Ended,
            state: JobState::Done,
            bytes_done: 0,
            bytes_total: 0,
            rate: 0,
            eta_seconds: -1,
            error_id: String::new(),
            message: String::new(),
            detail: Default::default(),
        };
        let expected = "\
JOB  KIND    VM        SNAPSHOT  PHASE  STATE  DONE  MESSAGE
6    print   vm-win10  -         ended  done   -     -
5    verify  -         -         ended  done   -     -
4    sync    vm-win10  all       ended  done   -     -
3    sync    vm-win10  exam      ended  done   -     -
2    start   vm-win10  as found  ended  done   -     -
";
        let jobs = [
            job(6, "print", "vm-win10", ""),
            job(5, "verify", "", ""),
            job(4, "sync", "vm-win10", ""),
            job(3, "sync", "vm-win10", "exam"),
            job(2, "start", "vm-win10", ""),
        ];
        assert_eq!(jobs_table(&jobs), expected);
    }

    #[test]
    fn days_of_last_use() {
        assert_eq!(format_day(0), "never");
        assert_eq!(format_day(-5), "never");
        assert_eq!(format_day(1), "1970-01-01");
        assert_eq!(format_day(951_782_400), "2000-02-29");
        assert_eq!(format_day(1_795_176_000), "2026-11-20");
        assert_eq!(format_day(4_107_542_399), "2100-02-28");
    }

    #[test]
    fn control_characters_and_direction_overrides_are_escaped() {
        assert_eq!(printable("Prüfung 2027"), "Prüfung 2027");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(printable("a\x1b[2Jb\0c"), "a\\u{1b}[2Jb\\u{0}c");
        assert_eq!(printable("line 1\nline 2\r"), "line 1\nline 2\\u{d}");
        assert_eq!(printable_line("line 1\nline 2"), "line 1\\u{a}line 2");
        assert_eq!(
            printable("exe.\u{202e}txt\u{9b}"),
            "exe.\\u{202e}txt\\u{9b}"
        );
        assert_eq!(printable("\u{fffd} stays"), "\u{fffd} stays");
    }

    #[test]
    fn hostile_cells_neither_break_nor_misalign_a_table() {
        let mut evil = machine("vm-evil", "Evil\x1b[2J\nrm -rf");
        evil.problem = "bad\rlines".into();
        let text = machines_table(&[machine("vm-a", "A"), evil]);
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[2].starts_with("vm-evil  Evil\\u{1b}[2J\\u{a}rm -rf  off"));
        assert!(lines[2].ends_with("bad\\u{d}lines"), "{text}");
        // Columns line up: STATE starts at the same place in every row.
        let col = lines[0].find("STATE").unwrap();
        assert_eq!(&lines[1][col..col + 3], "off");
        assert_eq!(&lines[2][col..col + 3], "off");
    }

    #[test]
    fn cells_with_umlauts_count_as_one_column_each() {
        let text = table(&["A", "B"], &[vec!["Über".into(), "x".into()]]);
        assert_eq!(text, "A     B\nÜber  x\n");
    }

    #[test]
    fn job_numbers_and_percent() {
        assert_eq!(job_number("/org/leovms/Leovms1/job/17"), "17");
        assert_eq!(percent(0, 0), "-");
        assert_eq!(percent(50, 200), "25%");
        assert_eq!(percent(u64::MAX, u64::MAX), "100%");
    }

    #[test]
    fn created_times_are_short() {
        assert_eq!(
            format_created("2026-11-20T10:00:00Z"),
            "2026-11-20 10:00 UTC"
        );
        assert_eq!(format_created(""), "-");
        assert_eq!(
            format_created("2026-11-20T10:00:00+01:00"),
            "2026-11-20T10:00:00+01:00"
        );
    }
}
