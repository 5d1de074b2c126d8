//! `cache` and `verify`: what the server offers, what this PC keeps for offline use, and
//! checking what it keeps.

use leovms_api::{CacheDir, CacheEntry, ErrorKind, Machine, ManagerProxy, Origin};
use serde::Serialize;
use zbus::Connection;

use crate::exit::CliError;
use crate::follow::{FollowOptions, follow};
use crate::l10n::fl;
use crate::output::{all_from_cache, format_day, format_gb, or_dash, print_json, table, yes_no};

/// The `--json` object of `cache`.
#[derive(Debug, Serialize, PartialEq)]
pub struct CacheView {
    /// The machines on the share; `null` when the share is not available.
    pub server: Option<Vec<Machine>>,
    /// Why the share is not available; empty when it is.
    pub server_problem: String,
    /// `server_problem` as the user reads it (see [`leovms_api::explain`]); text only.
    #[serde(skip)]
    pub server_problem_shown: String,
    pub dirs: Vec<CacheDir>,
    pub entries: Vec<CacheEntry>,
}

pub async fn show(mgr: &ManagerProxy<'_>, json: bool) -> Result<(), CliError> {
    let (server, server_problem, server_problem_shown) = server_side(mgr).await?;
    let report = mgr.cache_status().await?;
    let view = CacheView {
        server,
        server_problem,
        server_problem_shown,
        dirs: report.dirs,
        entries: report.entries,
    };
    if json {
        print_json(&view)
    } else {
        say_raw!("{}", render(&view));
        Ok(())
    }
}

/// The machines on the share, or why the share is not available (for `--json` and as
/// shown). The cache is worth showing without the share, so only an unavailable share is
/// taken as an answer here.
async fn server_side(
    mgr: &ManagerProxy<'_>,
) -> Result<(Option<Vec<Machine>>, String, String), CliError> {
    match mgr.list_machines().await {
        Ok(machines) if all_from_cache(&machines) => {
            let (why, shown) = share_problem(mgr).await;
            Ok((None, why, shown))
        }
        Ok(machines) => Ok((
            Some(
                machines
                    .into_iter()
                    .filter(|m| m.origin != Origin::Cache)
                    .collect(),
            ),
            String::new(),
            String::new(),
        )),
        Err(e) if e.kind() == Some(ErrorKind::Offline) => Ok((None, e.message(), e.explain())),
        Err(e) => Err(e.into()),
    }
}

/// Why the share is not available, as the daemon's `DataShare` property says: in the
/// daemon's words (for `--json`) and in the user's language.
async fn share_problem(mgr: &ManagerProxy<'_>) -> (String, String) {
    let (words, shown) = match mgr.data_share().await {
        Ok(share) => (
            format!("{} {}", share.reason, share.hint)
                .trim()
                .to_string(),
            share.explain(),
        ),
        Err(_) => Default::default(),
    };
    if words.is_empty() {
        let unknown = fl!("cache-only-cache-read");
        (unknown.clone(), unknown)
    } else {
        (words, shown)
    }
}

/// Both sides: "On the server" and "In the cache".
pub fn render(v: &CacheView) -> String {
    let mut out = format!("{}\n", fl!("cache-on-the-server"));
    match &v.server {
        None => {
            let why = v.server_problem_shown.as_str();
            out.push_str(&format!("{}\n", fl!("cache-share-unavailable", why = why)));
        }
        Some(machines) if machines.is_empty() => {
            out.push_str(&format!("{}\n", fl!("list-no-machines")));
        }
        Some(machines) => out.push_str(&server_table(machines)),
    }
    out.push_str(&format!("\n{}\n", fl!("cache-in-the-cache")));
    if v.dirs.is_empty() {
        out.push_str(&format!("{}\n", fl!("cache-no-folder")));
    }
    for dir in &v.dirs {
        out.push_str(&dir_line(dir));
    }
    out.push('\n');
    if v.entries.is_empty() {
        out.push_str(&format!("{}\n", fl!("cache-empty")));
    } else {
        out.push_str(&entries_table(&v.entries));
    }
    out
}

fn server_table(machines: &[Machine]) -> String {
    let rows: Vec<Vec<String>> = machines
        .iter()
        .map(|m| {
            // "Outdated" only means something for a machine kept for offline use.
            let outdated = if m.synced {
                yes_no(m.outdated)
            } else {
                "-".into()
            };
            vec![
                m.id.clone(),
                m.name.clone(),
                format_gb(m.base_size),
                or_dash(&m.revision),
                yes_no(m.synced),
                outdated,
            ]
        })
        .collect();
    let headers = [
        fl!("column-id"),
        fl!("column-name"),
        fl!("column-base"),
        fl!("column-revision"),
        fl!("column-synced"),
        fl!("column-outdated"),
    ];
    table(&headers, &rows)
}

/// `/var/cache/leovms: 13.8 GB of 100.0 GB used, 45.2 GB free on the disk.`, or the
/// folder's problem.
fn dir_line(d: &CacheDir) -> String {
    if d.problem.is_empty() {
        let space = fl!(
            "cache-space",
            used = format_gb(d.used),
            limit = format_gb(d.limit),
            free = format_gb(d.free)
        );
        format!("{}: {space}\n", d.path)
    } else {
        format!("{}: {}\n", d.path, d.problem_text())
    }
}

fn entries_table(entries: &[CacheEntry]) -> String {
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.vm.clone(),
                or_dash(&e.item),
                format_gb(e.size),
                yes_no(e.pinned),
                yes_no(e.outdated),
                format_day(e.last_used),
                e.cache.clone(),
            ]
        })
        .collect();
    let headers = [
        fl!("column-vm"),
        fl!("column-item"),
        fl!("column-size"),
        fl!("column-pinned"),
        fl!("column-outdated"),
        fl!("column-last-used"),
        fl!("column-cache"),
    ];
    table(&headers, &rows)
}

/// Re-hashes the cache and follows the job like `start` does.
pub async fn verify(conn: &Connection, mgr: &ManagerProxy<'_>, json: bool) -> Result<(), CliError> {
    let path = mgr.verify_cache().await?;
    let opts = FollowOptions {
        wait: false,
        json,
        requested: true,
    };
    follow(conn, path, opts).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use leovms_api::MachineState;

    fn machine(id: &str, synced: bool, outdated: bool) -> Machine {
        Machine {
            id: id.into(),
            name: id.to_uppercase(),
            description: String::new(),
            state: MachineState::Off,
            base_size: 12_345_678_901,
            base_unpacked_size: 1,
            base_ready: false,
            as_found: false,
            as_found_blocked: String::new(),
            snapshots: 1,
            ram_default_mb: 2048,
            ram_min_mb: 2048,
            ram_max_mb: 2048,
            ram_fixed: true,
            problem: String::new(),
            origin: Origin::Share,
            revision: "3f2a9c0d1e4b5a67".into(),
            synced,
            outdated,
            ..Default::default()
        }
    }

    fn entry(item: &str, pinned: bool, last_used: i64) -> CacheEntry {
        CacheEntry {
            vm: "vm-win10".into(),
            item: item.into(),
            sha256: "0123456789abcdef".into(),
            size: 350_000_000,
            pinned,
            outdated: false,
            last_used,
            cache: "/var/cache/leovms".into(),
        }
    }

    fn dirs() -> Vec<CacheDir> {
        vec![
            CacheDir {
                path: "/var/cache/leovms".into(),
                limit: 100_000_000_000,
                used: 700_000_000,
                free: 45_200_000_000,
                problem: String::new(),
                problem_detail: Default::default(),
            },
            CacheDir {
                path: "/mnt/usb/leovms".into(),
                limit: 0,
                used: 0,
                free: 0,
                problem: "The folder does not exist.".into(),
                problem_detail: Default::default(),
            },
        ]
    }

    #[test]
    fn both_sides_as_text() {
        let view = CacheView {
            server: Some(vec![
                machine("vm-win10", true, true),
                machine("vm-linux", false, false),
            ]),
            server_problem: String::new(),
            server_problem_shown: String::new(),
            dirs: dirs(),
            entries: vec![entry("base", true, 1_795_176_000), entry("exam", false, 0)],
        };
        let expected = "\
On the server
ID        NAME      BASE     REVISION          SYNCED  OUTDATED
vm-win10  VM-WIN10  12.3 GB  3f2a9c0d1e4b5a67  yes     yes
vm-linux  VM-LINUX  12.3 GB  3f2a9c0d1e4b5a67  no      -

In the cache
/var/cache/leovms: 0.70 GB of 100.0 GB used, 45.2 GB free on the disk.
/mnt/usb/leovms: The folder does not exist.

VM        ITEM  SIZE     PINNED  OUTDATED  LAST USED   CACHE
vm-win10  base  0.35 GB  yes     no        2026-11-20  /var/cache/leovms
vm-win10  exam  0.35 GB  no      no        never       /var/cache/leovms
";
        assert_eq!(render(&view), expected);
    }

    #[test]
    fn without_the_share_the_cache_is_still_shown() {
        let view = CacheView {
            server: None,
            server_problem: "The VM share is not connected.".into(),
            server_problem_shown: "The VM share is not connected.".into(),
            dirs: vec![],
            entries: vec![],
        };
        let expected = "\
On the server
The VM share is not available: The VM share is not connected.

In the cache
No cache folder is set up for this PC.

The cache is empty.
";
        assert_eq!(render(&view), expected);
    }

    #[test]
    fn json_has_the_documented_shape() {
        let view = CacheView {
            server: None,
            server_problem: "offline".into(),
            server_problem_shown: "Der Server ist nicht erreichbar.".into(),
            dirs: dirs(),
            entries: vec![entry("base", true, 0)],
        };
        let v = serde_json::to_value(&view).unwrap();
        let mut keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["dirs", "entries", "server", "server_problem"]);
        assert!(v["server"].is_null());
        assert_eq!(v["server_problem"], "offline");
        assert_eq!(v["dirs"][0]["path"], "/var/cache/leovms");
        assert_eq!(v["dirs"][0]["limit"], 100_000_000_000_u64);
        assert_eq!(v["entries"][0]["item"], "base");
        assert_eq!(v["entries"][0]["pinned"], true);
        assert_eq!(v["entries"][0]["last_used"], 0);

        let online = CacheView {
            server: Some(vec![machine("vm-win10", true, false)]),
            server_problem: String::new(),
            server_problem_shown: String::new(),
            dirs: vec![],
            entries: vec![],
        };
        let v = serde_json::to_value(&online).unwrap();
        assert_eq!(v["server"][0]["id"], "vm-win10");
        assert_eq!(v["server"][0]["synced"], true);
        assert_eq!(v["server"][0]["revision"], "3f2a9c0d1e4b5a67");
        assert_eq!(v["server_problem"], "");
    }
}
