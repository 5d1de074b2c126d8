//! `list`: the published VMs with their snapshots, and the pending uploads.

use leovms_image::config::{ImageConf, SnapshotConf};

use crate::ctx::Ctx;
use crate::error::Result;
use crate::tree::{self, human_size};
use crate::upload;

/// Prints rows as a table with aligned columns.
fn print_table(rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 < row.len() {
                line.push_str(&format!("{cell:<w$}  ", w = widths[c]));
            } else {
                line.push_str(cell);
            }
        }
        println!("{}", line.trim_end());
    }
}

pub fn list(ctx: &Ctx) -> Result<()> {
    let data = ctx.data();
    let mut rows = vec![vec![
        "VM / SNAPSHOT".to_owned(),
        "NAME".to_owned(),
        "MAINTAINER".to_owned(),
        "CREATED".to_owned(),
        "SIZE".to_owned(),
    ]];
    for (vm, vm_dir) in tree::subdirs(&data)? {
        let manifest = match tree::load_manifest(&vm_dir.join("manifest.toml")) {
            Ok(Some(m)) => m,
            Ok(None) => {
                rows.push(vec![vm, "(not published: no manifest.toml)".into()]);
                continue;
            }
            Err(e) => {
                rows.push(vec![vm, format!("(damaged: {e})")]);
                continue;
            }
        };
        let name = ImageConf::load(&vm_dir.join("image.conf"))
            .map(|c| c.name)
            .unwrap_or_else(|e| format!("(image.conf: {e})"));
        let size: u64 = manifest
            .files
            .iter()
            .filter(|e| !e.path.starts_with("snapshots/"))
            .map(|e| e.size)
            .sum();
        rows.push(vec![
            vm.clone(),
            name,
            String::new(),
            String::new(),
            human_size(size),
        ]);
        for id in tree::snapshot_ids(&manifest) {
            let prefix = format!("snapshots/{id}/");
            let size: u64 = manifest
                .files
                .iter()
                .filter(|e| e.path.starts_with(&prefix))
                .map(|e| e.size)
                .sum();
            let conf = SnapshotConf::load(&vm_dir.join(&prefix).join("snapshot.conf"));
            let (name, maintainer, created) = match conf {
                Ok(c) => (c.name, c.maintainer, c.created.unwrap_or_default()),
                Err(e) => (
                    format!("(snapshot.conf: {e})"),
                    String::new(),
                    String::new(),
                ),
            };
            rows.push(vec![
                format!("  {id}"),
                name,
                maintainer,
                created,
                human_size(size),
            ]);
        }
    }
    if rows.len() == 1 {
        println!("No VMs in {}.", data.display());
    } else {
        print_table(&rows);
    }

    println!();
    let mut uploads = vec![vec![
        "UPLOAD".to_owned(),
        "STATE".to_owned(),
        "KIND".to_owned(),
        "VM".to_owned(),
        "SNAPSHOT".to_owned(),
        "UPLOADER".to_owned(),
        "FROM".to_owned(),
    ]];
    for (user, user_dir) in tree::subdirs(&ctx.upload())? {
        for (name, dir) in tree::subdirs(&user_dir)? {
            let complete = dir.join(upload::MANIFEST).is_file();
            let meta = upload::peek(&dir);
            let state = if complete { "complete" } else { "incomplete" };
            let (kind, vm, snap, uploader, from) = match meta {
                Some(m) => (
                    format!("{:?}", m.kind).to_lowercase(),
                    m.vm.to_string(),
                    m.snapshot.map(|s| s.to_string()).unwrap_or_default(),
                    m.uploader,
                    m.source_machine,
                ),
                None => Default::default(),
            };
            uploads.push(vec![
                format!("{user}/{name}"),
                state.into(),
                kind,
                vm,
                snap,
                uploader,
                from,
            ]);
        }
    }
    if uploads.len() == 1 {
        println!("No pending uploads in {}.", ctx.upload().display());
    } else {
        print_table(&uploads);
    }
    Ok(())
}
