//! `sync`, `sync --dry-run` and `unsync`: keeping machines in this PC's cache, so that
//! they also start when the server share is not available.

use clap::Args;
use leovms_api::{ErrorKind, Eviction, ManagerProxy, SyncPlan};
use serde::Serialize;
use zbus::Connection;

use crate::exit::CliError;
use crate::follow::{FollowOptions, follow_into};
use crate::l10n::fl;
use crate::output::{format_day, format_gb, or_dash, print_json, table};
use crate::view::JobResult;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Machine ids (see `list`), synced one after the other
    #[arg(required = true, value_name = "VM")]
    pub vms: Vec<String>,
    /// Copy only this snapshot besides the base (may be repeated; default: all snapshots)
    #[arg(long = "snapshot", value_name = "SNAPSHOT")]
    pub snapshots: Vec<String>,
    /// Only show what would be copied and what would be removed to make room
    #[arg(long)]
    pub dry_run: bool,
}

/// One line of `unsync --json`.
#[derive(Debug, Serialize, PartialEq)]
pub struct Unsynced {
    pub vm: String,
    /// Bytes removed from the cache.
    pub freed: u64,
}

/// Syncs the machines in order, following each job like `start` does; stops at the first
/// failure. `--json` prints the result objects of the jobs followed so far.
pub async fn sync(
    conn: &Connection,
    mgr: &ManagerProxy<'_>,
    args: SyncArgs,
    json: bool,
) -> Result<(), CliError> {
    let snapshots: Vec<&str> = args.snapshots.iter().map(String::as_str).collect();
    if args.dry_run {
        return dry_run(mgr, &args.vms, &snapshots, json).await;
    }
    let mut results = Vec::new();
    let outcome = sync_each(conn, mgr, &args.vms, &snapshots, json, &mut results).await;
    if json && !results.is_empty() {
        // The jobs' outcome matters more than a failed write to stdout.
        let _ = print_json(&results);
    }
    outcome
}

async fn sync_each(
    conn: &Connection,
    mgr: &ManagerProxy<'_>,
    vms: &[String],
    snapshots: &[&str],
    json: bool,
    results: &mut Vec<JobResult>,
) -> Result<(), CliError> {
    for vm in vms {
        let path = mgr.sync(vm, snapshots).await?;
        let opts = FollowOptions {
            wait: false,
            json,
            requested: true,
        };
        follow_into(conn, path, opts, results).await?;
    }
    Ok(())
}

/// Prints the plan of each machine; exits with "not enough space" when one does not fit.
async fn dry_run(
    mgr: &ManagerProxy<'_>,
    vms: &[String],
    snapshots: &[&str],
    json: bool,
) -> Result<(), CliError> {
    let mut plans = Vec::new();
    let outcome = plan_each(mgr, vms, snapshots, json, &mut plans).await;
    if json && !plans.is_empty() {
        let _ = print_json(&plans);
    }
    outcome?;
    match misfit(&plans) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Asks for each machine's plan and, in text mode, prints it at once.
async fn plan_each(
    mgr: &ManagerProxy<'_>,
    vms: &[String],
    snapshots: &[&str],
    json: bool,
    plans: &mut Vec<SyncPlan>,
) -> Result<(), CliError> {
    for vm in vms {
        let plan = mgr.plan_sync(vm, snapshots).await?;
        if !json {
            if !plans.is_empty() {
                say!("");
            }
            say_raw!("{}", plan_text(&plan));
        }
        plans.push(plan);
    }
    Ok(())
}

/// The error of a dry run in which some machine does not fit (exit code 6).
fn misfit(plans: &[SyncPlan]) -> Option<CliError> {
    let problems: Vec<String> = plans
        .iter()
        .filter(|p| !p.problem.is_empty())
        .map(|p| format!("{}: {}", p.vm, p.problem_text()))
        .collect();
    (!problems.is_empty()).then(|| CliError::Daemon {
        kind: Some(ErrorKind::NoSpace),
        message: problems.join(" "),
    })
}

/// What a sync would do, in words, e.g.
/// `vm-win10: would copy 12.3 GB into /var/cache/leovms (1.5 GB already there).`
pub fn plan_text(plan: &SyncPlan) -> String {
    let vm = &plan.vm;
    let vm = vm.as_str();
    let cache = if plan.cache.is_empty() {
        fl!("plan-the-cache")
    } else {
        plan.cache.clone()
    };
    let needed = format_gb(plan.needed);
    let present = format_gb(plan.present);
    let what = match (plan.needed, plan.present) {
        (0, 0) => fl!("plan-nothing", vm = vm),
        (0, _) => fl!("plan-all-there", vm = vm, present = present, cache = cache),
        (_, 0) => fl!("plan-copy", vm = vm, needed = needed, cache = cache),
        _ => fl!(
            "plan-copy-partly-there",
            vm = vm,
            needed = needed,
            cache = cache,
            present = present
        ),
    };
    let space = fl!(
        "cache-space",
        used = format_gb(plan.used),
        limit = format_gb(plan.limit),
        free = format_gb(plan.free)
    );
    let mut out = format!("{what}\n  {}\n", fl!("plan-cache", space = space));
    if !plan.evict.is_empty() {
        out.push_str(&format!("  {}\n", fl!("plan-to-make-room")));
        for line in evictions_table(&plan.evict).lines() {
            out.push_str(&format!("    {line}\n"));
        }
    } else if plan.problem.is_empty() {
        out.push_str(&format!("  {}\n", fl!("plan-nothing-removed")));
    }
    if !plan.problem.is_empty() {
        out.push_str(&format!(
            "  {}\n",
            fl!("plan-does-not-fit", problem = plan.problem_text())
        ));
    }
    out
}

fn evictions_table(evict: &[Eviction]) -> String {
    let rows: Vec<Vec<String>> = evict
        .iter()
        .map(|e| {
            vec![
                e.vm.clone(),
                or_dash(&e.item),
                format_gb(e.size),
                format_day(e.last_used),
                or_dash(&e.reason),
            ]
        })
        .collect();
    let headers = [
        fl!("column-vm"),
        fl!("column-item"),
        fl!("column-size"),
        fl!("column-last-used"),
        fl!("column-reason"),
    ];
    table(&headers, &rows)
}

/// Unpins the machines in order; stops at the first failure. `--json` prints what was
/// freed so far.
pub async fn unsync(mgr: &ManagerProxy<'_>, vms: &[String], json: bool) -> Result<(), CliError> {
    let mut freed = Vec::new();
    let outcome = unsync_each(mgr, vms, json, &mut freed).await;
    if json && !freed.is_empty() {
        let _ = print_json(&freed);
    }
    outcome
}

async fn unsync_each(
    mgr: &ManagerProxy<'_>,
    vms: &[String],
    json: bool,
    freed: &mut Vec<Unsynced>,
) -> Result<(), CliError> {
    for vm in vms {
        let bytes = mgr.unsync(vm).await?;
        if !json {
            say!("{}", unsync_line(vm, bytes));
        }
        freed.push(Unsynced {
            vm: vm.clone(),
            freed: bytes,
        });
    }
    Ok(())
}

pub fn unsync_line(vm: &str, freed: u64) -> String {
    if freed == 0 {
        fl!("unsync-nothing-freed", vm = vm)
    } else {
        fl!("unsync-freed", vm = vm, size = format_gb(freed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> SyncPlan {
        SyncPlan {
            vm: "vm-win10".into(),
            cache: "/var/cache/leovms".into(),
            needed: 12_345_678_901,
            present: 1_500_000_000,
            free: 45_200_000_000,
            limit: 100_000_000_000,
            used: 20_000_000_000,
            evict: vec![],
            problem: String::new(),
            problem_detail: Default::default(),
        }
    }

    fn eviction(vm: &str, item: &str, size: u64, last_used: i64) -> Eviction {
        Eviction {
            vm: vm.into(),
            item: item.into(),
            sha256: "0123456789abcdef".into(),
            size,
            last_used,
            reason: "nobody keeps it for offline use".into(),
        }
    }

    #[test]
    fn a_plan_that_fits() {
        let expected = "\
vm-win10: would copy 12.3 GB into /var/cache/leovms (1.5 GB already there).
  Cache: 20.0 GB of 100.0 GB used, 45.2 GB free on the disk.
  Nothing has to be removed.
";
        assert_eq!(plan_text(&plan()), expected);
        assert!(misfit(&[plan()]).is_none());
    }

    #[test]
    fn a_plan_with_evictions() {
        let mut p = plan();
        p.present = 0;
        p.evict = vec![
            eviction("vm-old", "base", 8_000_000_000, 0),
            eviction("vm-old", "", 350_000_000, 1_795_176_000),
        ];
        let expected = "\
vm-win10: would copy 12.3 GB into /var/cache/leovms.
  Cache: 20.0 GB of 100.0 GB used, 45.2 GB free on the disk.
  To make room, these would be removed (least recently used first):
    VM      ITEM  SIZE     LAST USED   REASON
    vm-old  base  8.0 GB   never       nobody keeps it for offline use
    vm-old  -     0.35 GB  2026-11-20  nobody keeps it for offline use
";
        assert_eq!(plan_text(&p), expected);
    }

    #[test]
    fn a_plan_that_does_not_fit_exits_6() {
        let mut p = plan();
        p.problem = "Not enough space in /var/cache/leovms: 12.3 GB needed, 4.0 GB free.".into();
        let text = plan_text(&p);
        assert!(!text.contains("Nothing has to be removed"), "{text}");
        assert!(
            text.ends_with(
                "  Does not fit: Not enough space in /var/cache/leovms: 12.3 GB needed, 4.0 GB free.\n"
            ),
            "{text}"
        );
        let e = misfit(&[plan(), p]).unwrap();
        assert_eq!(e.code(), 6);
        assert_eq!(
            e.to_string(),
            "vm-win10: Not enough space in /var/cache/leovms: 12.3 GB needed, 4.0 GB free."
        );
    }

    #[test]
    fn a_plan_with_everything_cached() {
        let mut p = plan();
        p.needed = 0;
        assert!(plan_text(&p).starts_with(
            "vm-win10: nothing to copy, all 1.5 GB are already in /var/cache/leovms.\n"
        ));
    }

    #[test]
    fn plans_as_json_keep_the_wire_names() {
        let mut p = plan();
        p.evict = vec![eviction("vm-old", "base", 1, 0)];
        let v = serde_json::to_value(vec![p]).unwrap();
        assert_eq!(v[0]["vm"], "vm-win10");
        assert_eq!(v[0]["needed"], 12_345_678_901_u64);
        assert_eq!(v[0]["evict"][0]["item"], "base");
        assert_eq!(v[0]["evict"][0]["last_used"], 0);
        assert_eq!(v[0]["problem"], "");
    }

    #[test]
    fn unsync_says_what_was_freed() {
        assert_eq!(
            unsync_line("vm-demo", 350_000_000),
            "vm-demo: no longer kept for offline use, 0.35 GB freed."
        );
        assert_eq!(
            unsync_line("vm-demo", 0),
            "vm-demo: no longer kept for offline use, nothing freed."
        );
        let v = serde_json::to_string(&[Unsynced {
            vm: "vm-demo".into(),
            freed: 350_000_000,
        }])
        .unwrap();
        assert_eq!(v, r#"[{"vm":"vm-demo","freed":350000000}]"#);
    }
}
