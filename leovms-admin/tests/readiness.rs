//! `readiness` on a demo share below `--root`: reports written as the PCs' stores write
//! them, compared with what is published, in a table, in German and as JSON.

use std::path::{Path, PathBuf};
use std::process::Output;

use leovms_image::name::SafeName;
use leovms_image::readiness::{Report, Wanted, wanted_of};
use serde_json::{Value as Json, json};

mod common;
use common::{Server, admin_in, describe};

const PROBLEM: &str = "Not enough space for the store on this PC: 31.02 GB needed, 20.00 GB free.";

impl Server {
    fn status(&self) -> PathBuf {
        self.root.path().join("home/leovms/status")
    }

    fn set_presync(&self, vms: &[&str]) {
        let list: Vec<String> = vms.iter().map(|vm| format!("{vm:?}")).collect();
        let conf = format!("format = 1\npresync = [{}]\n", list.join(", "));
        std::fs::write(self.data().join("leovms-client.conf"), conf).unwrap();
    }

    fn wanted(&self, vm: &str) -> Wanted {
        wanted_of(&SafeName::new(vm).unwrap(), &self.manifest(vm)).unwrap()
    }

    /// A report of `host` holding every archive of `vms`, as the store writes it.
    fn holding(&self, host: &str, vms: &[&str]) -> Report {
        let mut report = Report {
            format: 1,
            host: host.into(),
            at: "2026-12-07T05:31:02Z".into(),
            ..Report::default()
        };
        for vm in vms {
            let wanted = self.wanted(vm);
            report.bases.insert(hex(&wanted.base.sha256));
            for snapshot in &wanted.snapshots {
                report.archives.insert(hex(&snapshot.sha256));
            }
        }
        report
    }

    fn write_report(&self, dir: &Path, report: &Report) {
        std::fs::create_dir_all(dir).unwrap();
        let file = dir.join(format!("{}.toml", report.host));
        std::fs::write(file, report.to_toml_string()).unwrap();
    }

    fn readiness(&self, lang: Option<&str>, args: &[&str]) -> Output {
        let mut all = vec!["readiness"];
        all.extend_from_slice(args);
        admin_in(lang, self.root.path(), &all)
    }
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The line of the table that starts with `host`.
fn row<'a>(text: &'a str, host: &str) -> &'a str {
    text.lines()
        .find(|line| line.starts_with(host))
        .unwrap_or_else(|| panic!("no row {host} in:\n{text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_shows_what_each_pc_lacks_and_exits_1_until_all_are_ready() {
    let s = Server::new().await;
    s.set_presync(&["vm-demo", "vm-win"]);
    let status = s.status();
    s.write_report(&status, &s.holding("r101-pc01", &["vm-demo", "vm-win"]));
    let mut lacking = s.holding("r101-pc02", &["vm-demo", "vm-win"]);
    let win = s.wanted("vm-win");
    lacking.bases.remove(&hex(&win.base.sha256));
    lacking.problems.insert("vm-win".into(), PROBLEM.into());
    // A problem of a VM the PC holds after all is stale: not shown.
    lacking
        .problems
        .insert("vm-demo".into(), "Stale problem.".into());
    s.write_report(&status, &lacking);
    // Forged or broken reports, each named on stderr and skipped.
    let mut forged = s.holding("r101-pc03", &["vm-demo", "vm-win"]);
    forged.host = "a/../b".into();
    std::fs::write(status.join("r101-pc03.toml"), forged.to_toml_string()).unwrap();
    std::fs::write(status.join("notes.toml"), "this is not TOML\n").unwrap();
    let other = s.holding("r101-pc05", &["vm-demo", "vm-win"]);
    std::fs::write(status.join("r101-pc04.toml"), other.to_toml_string()).unwrap();
    // Not reports: a report being written, another kind of file, a link.
    std::fs::write(status.join(".r101-pc06.toml"), "half a rep").unwrap();
    std::fs::write(status.join("readme.txt"), "not a report").unwrap();
    std::os::unix::fs::symlink(status.join("r101-pc01.toml"), status.join("r101-pc07.toml"))
        .unwrap();

    let out = s.readiness(None, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0], "PC         REPORTED              READY  MISSING",
        "{text}"
    );
    assert_eq!(
        row(&text, "r101-pc01"),
        "r101-pc01  2026-12-07 05:31 UTC  2/2",
        "{text}"
    );
    let pc02 = row(&text, "r101-pc02");
    assert!(
        pc02.starts_with("r101-pc02  2026-12-07 05:31 UTC  1/2    vm-win (base.tar.zst, "),
        "{text}"
    );
    assert!(pc02.ends_with(" MB)"), "{text}");
    assert_eq!(lines[3], format!("    vm-win: {PROBLEM}"), "{text}");
    assert_eq!(lines.len(), 4, "{text}");
    let errors = stderr(&out);
    let named = |file: &str| {
        errors
            .lines()
            .any(|line| line.starts_with(&status.join(file).display().to_string()))
    };
    assert!(
        named("r101-pc03.toml") && errors.contains("host"),
        "{errors}"
    );
    assert!(named("notes.toml"), "{errors}");
    assert!(
        named("r101-pc04.toml") && errors.contains("r101-pc05"),
        "{errors}"
    );
    assert_eq!(errors.lines().count(), 3, "{errors}");

    // In German: the same table, its header in German.
    let out = s.readiness(Some("de_DE.UTF-8"), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let german = stdout(&out);
    assert!(german.starts_with("PC         GEMELDET"), "{german}");
    assert!(german.contains("BEREIT"), "{german}");

    // JSON: the same facts, never translated.
    let out = s.readiness(Some("de_DE.UTF-8"), &["--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let pcs = serde_json::from_str::<Json>(&stdout(&out)).unwrap();
    let pcs = pcs.as_array().unwrap();
    assert_eq!(pcs.len(), 2, "{}", stdout(&out));
    assert_eq!(pcs[0]["host"], json!("r101-pc01"));
    assert_eq!(pcs[0]["ready"], json!(true));
    assert_eq!(pcs[1]["at"], json!("2026-12-07T05:31:02Z"));
    assert_eq!(pcs[1]["ready"], json!(false));
    let vms = pcs[1]["vms"].as_array().unwrap();
    assert_eq!(vms[0]["vm"], json!("vm-demo"));
    assert_eq!(vms[0]["ready"], json!(true));
    assert_eq!(vms[0]["problem"], Json::Null);
    assert_eq!(vms[1]["ready"], json!(false));
    assert_eq!(vms[1]["missing"], json!(["base.tar.zst"]));
    assert_eq!(vms[1]["missing_bytes"], json!(win.base.size));
    assert_eq!(vms[1]["problem"], json!(PROBLEM));

    // The second PC fetched the base: every PC that reported is ready.
    s.write_report(&status, &s.holding("r101-pc02", &["vm-demo", "vm-win"]));
    let out = s.readiness(None, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = stdout(&out);
    assert!(row(&text, "r101-pc02").ends_with("2/2"), "{text}");
    assert_eq!(text.lines().count(), 3, "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vm_the_share_cannot_provide_is_named_and_no_pc_is_ready_for_it() {
    let s = Server::new().await;
    s.set_presync(&["vm-demo", "vm-gone"]);
    s.write_report(&s.status(), &s.holding("r101-pc01", &["vm-demo"]));
    let out = s.readiness(None, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let text = stdout(&out);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("warning: vm-gone") && first.contains("not published"),
        "{text}"
    );
    assert!(
        row(&text, "r101-pc01").ends_with("1/2    vm-gone (not on the share)"),
        "{text}"
    );
    // Under --json the warning goes to stderr, so that stdout is JSON alone.
    let out = s.readiness(None, &["--json"]);
    assert!(stderr(&out).contains("vm-gone"), "{}", describe(&out));
    let pcs = serde_json::from_str::<Json>(&stdout(&out)).unwrap();
    let gone = &pcs.as_array().unwrap()[0]["vms"].as_array().unwrap()[1];
    assert_eq!(gone["vm"], json!("vm-gone"));
    assert_eq!(gone["ready"], json!(false));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_presync_no_reports_another_folder_and_a_broken_conf() {
    let s = Server::new().await;
    let out = s.readiness(None, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        stdout(&out).contains("lists no VMs, so there is nothing to be ready for"),
        "{}",
        describe(&out)
    );

    s.set_presync(&["vm-demo"]);
    let out = s.readiness(None, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = stdout(&out);
    assert!(text.contains("No PC has reported yet"), "{text}");
    assert!(text.contains(&s.status().display().to_string()), "{text}");
    assert!(text.contains("docs/prewarm.md"), "{text}");
    let out = s.readiness(None, &["--json"]);
    assert_eq!(
        serde_json::from_str::<Json>(&stdout(&out)).unwrap(),
        json!([])
    );

    let elsewhere = s.root.path().join("reports");
    let mut report = s.holding("r102-pc01", &[]);
    report.at = "at dawn".into();
    s.write_report(&elsewhere, &report);
    let dir = elsewhere.display().to_string();
    let out = s.readiness(None, &["--reports", &dir]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        row(&stdout(&out), "r102-pc01").starts_with("r102-pc01  at dawn   0/1"),
        "{}",
        describe(&out)
    );

    std::fs::write(
        s.data().join("leovms-client.conf"),
        "format = 1\npresync = 3\n",
    )
    .unwrap();
    let out = s.readiness(None, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(stderr(&out).contains("presync"), "{}", describe(&out));
}
