//! `list`: the published VMs with their snapshots and the rules that decide who gets them
//! where and with which network, and the pending uploads.

use std::path::Path;

use leovms_image::config::{AccessRules, ImageConf, NetworkRule, SnapshotConf};
use leovms_image::layout::{self, IMAGE_CONF, MANIFEST, SNAPSHOT_CONF, SNAPSHOTS};

use crate::ctx::Ctx;
use crate::error::Result;
use crate::l10n::{fl, shown};
use crate::tree::{self, human_size};
use crate::upload;

/// One line of a table: cells in aligned columns, or a line of its own below a row.
pub(crate) enum Row {
    Cells(Vec<String>),
    Line(String),
}

/// Rows as a table with aligned columns; [`Row::Line`]s are printed as they are and do
/// not widen the columns.
pub(crate) fn table(rows: &[Row]) -> String {
    let cells = || {
        rows.iter().filter_map(|r| match r {
            Row::Cells(c) => Some(c),
            Row::Line(_) => None,
        })
    };
    let columns = cells().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            cells()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let row = match row {
            Row::Cells(row) => row,
            Row::Line(line) => {
                out.push_str(line.trim_end());
                out.push('\n');
                continue;
            }
        };
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 < row.len() {
                line.push_str(&format!("{cell:<w$}  ", w = widths[c]));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The rules of a VM, one line each: who gets it on which PCs, and its network per PC.
fn vm_rules(image: &ImageConf) -> Vec<String> {
    let mut out = vec![fl!("rule-offered", who = image.access.describe())];
    out.extend(
        NetworkRule::describe_all(&image.network)
            .into_iter()
            .map(|line| fl!("rule-network", rule = line)),
    );
    out
}

/// Where a snapshot is shown, when its `hosts`/`rooms` restrict it.
fn snapshot_rule(conf: &SnapshotConf) -> Option<String> {
    (!conf.hosts.is_empty() || !conf.rooms.is_empty()).then(|| {
        fl!(
            "rule-snapshot-shown",
            pcs = AccessRules::describe_pcs(&conf.hosts, &conf.rooms)
        )
    })
}

/// Rule lines go below their VM (indented by four) or snapshot (by six).
const VM_RULE: &str = "    ";
const SNAPSHOT_RULE: &str = "      ";

pub fn list(ctx: &Ctx) -> Result<()> {
    print!("{}", vms(&ctx.data())?);
    uploads(ctx)
}

/// The VMs of `data` with their snapshots and rules, as a table.
fn vms(data: &Path) -> Result<String> {
    let mut rows = vec![Row::Cells(vec![
        fl!("list-vms-vm"),
        fl!("list-vms-name"),
        fl!("list-vms-maintainer"),
        fl!("list-vms-created"),
        fl!("list-vms-size"),
    ])];
    for (vm, vm_dir) in tree::subdirs(data)? {
        let manifest = match tree::load_manifest(&vm_dir.join(MANIFEST)) {
            Ok(Some(m)) => m,
            Ok(None) => {
                rows.push(Row::Cells(vec![vm, fl!("list-not-published")]));
                continue;
            }
            Err(e) => {
                rows.push(Row::Cells(vec![
                    vm,
                    fl!("list-damaged", detail = e.to_string()),
                ]));
                continue;
            }
        };
        let image = ImageConf::load(&vm_dir.join(IMAGE_CONF));
        let name = match &image {
            Ok(c) => c.name.clone(),
            Err(e) => fl!(
                "list-conf-invalid",
                file = IMAGE_CONF,
                detail = e.to_string()
            ),
        };
        let in_snapshots = format!("{SNAPSHOTS}/");
        let size: u64 = manifest
            .files
            .iter()
            .filter(|e| !e.path.starts_with(&in_snapshots))
            .map(|e| e.size)
            .sum();
        rows.push(Row::Cells(vec![
            vm.clone(),
            name,
            String::new(),
            String::new(),
            human_size(size),
        ]));
        if let Ok(image) = &image {
            rows.extend(
                vm_rules(image)
                    .into_iter()
                    .map(|line| Row::Line(format!("{VM_RULE}{line}"))),
            );
        }
        for id in layout::snapshot_ids(&manifest) {
            let size: u64 = manifest
                .files
                .iter()
                .filter(|e| layout::in_snapshot(&e.path, &id))
                .map(|e| e.size)
                .sum();
            let conf = SnapshotConf::load(&vm_dir.join(layout::snapshot_conf(&id)));
            let rule = conf.as_ref().ok().and_then(snapshot_rule);
            let (name, maintainer, created) = match conf {
                Ok(c) => (c.name, c.maintainer, c.created.unwrap_or_default()),
                Err(e) => (
                    fl!(
                        "list-conf-invalid",
                        file = SNAPSHOT_CONF,
                        detail = e.to_string()
                    ),
                    String::new(),
                    String::new(),
                ),
            };
            rows.push(Row::Cells(vec![
                format!("  {id}"),
                name,
                maintainer,
                created,
                human_size(size),
            ]));
            if let Some(rule) = rule {
                rows.push(Row::Line(format!("{SNAPSHOT_RULE}{rule}")));
            }
        }
    }
    if rows.len() == 1 {
        Ok(format!("{}\n", fl!("list-no-vms", data = shown(data))))
    } else {
        Ok(table(&rows))
    }
}

/// The pending uploads.
fn uploads(ctx: &Ctx) -> Result<()> {
    println!();
    let mut uploads = vec![Row::Cells(vec![
        fl!("list-uploads-upload"),
        fl!("list-uploads-state"),
        fl!("list-uploads-kind"),
        fl!("list-uploads-vm"),
        fl!("list-uploads-snapshot"),
        fl!("list-uploads-uploader"),
        fl!("list-uploads-from"),
    ])];
    for (user, user_dir) in tree::subdirs(&ctx.upload())? {
        for (name, dir) in tree::subdirs(&user_dir)? {
            let complete = dir.join(MANIFEST).is_file();
            let meta = upload::peek(&dir);
            let state = if complete {
                fl!("upload-complete")
            } else {
                fl!("upload-incomplete")
            };
            let (kind, vm, snap, uploader, from) = match meta {
                Some(m) => (
                    m.kind.as_str().to_owned(),
                    m.vm.to_string(),
                    m.snapshot.map(|s| s.to_string()).unwrap_or_default(),
                    m.uploader,
                    m.source_machine,
                ),
                None => Default::default(),
            };
            uploads.push(Row::Cells(vec![
                format!("{user}/{name}"),
                state,
                kind,
                vm,
                snap,
                uploader,
                from,
            ]));
        }
    }
    if uploads.len() == 1 {
        println!("{}", fl!("list-no-uploads", upload = shown(ctx.upload())));
    } else {
        print!("{}", table(&uploads));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"format = 1
[[file]]
path = "image.conf"
size = 1
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
[[file]]
path = "snapshots/exam/snapshot.conf"
size = 1
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
[[file]]
path = "snapshots/standard/snapshot.conf"
size = 1
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
"#;

    fn vm(data: &Path, id: &str, image: &str) {
        let dir = data.join(id);
        for snap in ["exam", "standard"] {
            std::fs::create_dir_all(dir.join("snapshots").join(snap)).unwrap();
        }
        std::fs::write(dir.join("manifest.toml"), MANIFEST).unwrap();
        std::fs::write(dir.join("image.conf"), image).unwrap();
        std::fs::write(
            dir.join("snapshots/exam/snapshot.conf"),
            "name = \"Exam 2027\"\nmaintainer = \"mueller\"\nrooms = [\"r101\"]\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("snapshots/standard/snapshot.conf"),
            "name = \"Standard\"\n",
        )
        .unwrap();
    }

    #[test]
    fn every_vm_shows_its_access_and_network_rules_one_line_each() {
        let tmp = tempfile::tempdir().unwrap();
        vm(
            tmp.path(),
            "vm-exam",
            r#"name = "Exam"
[access]
groups = ["10a"]
rooms = ["r101", "r102"]

[[network]]
hosts = ["r101-pc01"]
nic = [{ slot = 1, mode = "bridged", mac = "host" }, { slot = 2, mode = "generic", device = "VDE" }]
[[network]]
rooms = ["r102"]
nic = [{ slot = 1, mode = "nat" }]
"#,
        );
        vm(tmp.path(), "vm-free", "name = \"Free\"\n");
        let text = vms(tmp.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "VM / SNAPSHOT  NAME       MAINTAINER  CREATED  SIZE",
                "vm-exam        Exam                            1 B",
                "    offered to group 10a, on PCs in rooms r101, r102",
                "    network on PC r101-pc01: card 1 bridged (device auto, mac from the PC), card 2 \
                 generic (driver VDE), other cards off",
                "    network on PCs in room r102: card 1 nat, other cards off",
                "    network on every other PC: all cards off",
                "  exam         Exam 2027  mueller              1 B",
                "      shown only on PCs in room r101",
                "  standard     Standard                        1 B",
                "vm-free        Free                            1 B",
                "    offered to everyone, on every PC",
                "    network on every PC: the template's network (machine.vbox), unchanged",
                "  exam         Exam 2027  mueller              1 B",
                "      shown only on PCs in room r101",
                "  standard     Standard                        1 B",
            ],
            "{text}"
        );
    }
}
