//! `verify`: the whole data folder checked again, as the PCs would find it.

mod modes;

use std::fs;
use std::path::Path;

use leovms_image::config::{ClientConf, ImageConf, SnapshotConf, VboxConf};
use leovms_image::layout::{self, CLIENT_CONF, IMAGE_CONF, MACHINE_VBOX, MANIFEST, VBOX_CONF};
use leovms_image::manifest::Manifest;
use leovms_image::vbox;

use crate::ctx::Ctx;
use crate::disks;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};
use crate::publish::{conf_invalid, machine_invalid};
use crate::tree;

fn invalid(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}

pub fn verify(ctx: &Ctx) -> Result<()> {
    let data = ctx.data();
    let mut problems = Vec::new();
    let mut vms = 0;
    for (vm, vm_dir) in tree::subdirs(&data)? {
        let manifest = match tree::load_manifest(&vm_dir.join(MANIFEST)) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        vms += 1;
        problems.extend(verify_vm(&vm, &vm_dir, &manifest));
    }
    problems.extend(modes::check(&data)?);
    for conf in [CLIENT_CONF, VBOX_CONF] {
        let path = data.join(conf);
        if path.exists() {
            let result = match conf {
                CLIENT_CONF => ClientConf::load(&path).map(drop),
                _ => VboxConf::load(&path).map(drop),
            };
            if let Err(e) = result {
                problems.push(conf_invalid(e).to_string());
            }
        }
    }
    if problems.is_empty() {
        println!("{}", fl!("verify-ok", count = vms, data = shown(&data)));
        return Ok(());
    }
    for p in &problems {
        println!("{}", fl!("verify-problem", problem = p.as_str()));
    }
    Err(invalid(fl!(
        "verify-problems",
        count = problems.len(),
        data = shown(&data)
    )))
}

fn note(problems: &mut Vec<String>, result: Result<()>) {
    if let Err(e) = result {
        problems.push(e.to_string());
    }
}

/// Every problem of one published VM.
fn verify_vm(vm: &str, vm_dir: &Path, manifest: &Manifest) -> Vec<String> {
    let mut problems = Vec::new();
    let mut intact = Vec::new();
    for entry in &manifest.files {
        match tree::check_file(
            &vm_dir.join(&entry.path),
            entry,
            &format!("{vm}/{}", entry.path),
        ) {
            Ok(()) => intact.push(entry.path.as_str()),
            Err(e) => problems.push(e.to_string()),
        }
    }
    let ok = |p: &str| intact.contains(&p);
    if !ok(IMAGE_CONF) && manifest.get(IMAGE_CONF).is_none() {
        note(
            &mut problems,
            Err(invalid(fl!("manifest-lacks", vm = vm, file = IMAGE_CONF))),
        );
    }
    if ok(IMAGE_CONF) {
        note(
            &mut problems,
            ImageConf::load(&vm_dir.join(IMAGE_CONF))
                .map(drop)
                .map_err(conf_invalid),
        );
    }
    let info = if ok(MACHINE_VBOX) {
        let path = vm_dir.join(MACHINE_VBOX);
        match fs::read(&path)
            .map_err(|e| Error::io(&path, e))
            .and_then(|b| {
                vbox::inspect(&b).map_err(|e| machine_invalid(&format!("{vm}/{MACHINE_VBOX}"), e))
            }) {
            Ok(info) => Some(info),
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        }
    } else {
        if manifest.get(MACHINE_VBOX).is_none() {
            problems.push(fl!("manifest-lacks", vm = vm, file = MACHINE_VBOX));
        }
        None
    };
    let Some(info) = info else {
        return problems;
    };
    let bases = disks::base_uuids(&info);
    let check_archive = |rel: &str, base: bool| -> Result<()> {
        let shown = format!("{vm}/{rel}");
        let scan = disks::scan_archive(&vm_dir.join(rel), &shown)?;
        if base {
            disks::check_base_archive(&scan, &info, &shown)?;
        } else {
            disks::check_snapshot_archive(&scan, &bases, &shown)?;
        }
        match manifest.get(rel).and_then(|e| e.unpacked) {
            Some(n) if n != scan.unpacked => Err(invalid(fl!(
                "verify-unpacked-differs",
                archive = shown.as_str(),
                manifest = n,
                found = scan.unpacked
            ))),
            _ => Ok(()),
        }
    };
    let base = layout::base_archive(manifest).map(|e| e.path.as_str());
    match base {
        Some(rel) if ok(rel) => note(&mut problems, check_archive(rel, true)),
        Some(_) => {}
        None => note(
            &mut problems,
            Err(invalid(fl!(
                "verify-no-base",
                vm = vm,
                file = layout::BASE_ARCHIVE
            ))),
        ),
    }
    for id in layout::snapshot_ids(manifest) {
        let conf = layout::snapshot_conf(&id);
        if ok(&conf) {
            note(
                &mut problems,
                SnapshotConf::load(&vm_dir.join(&conf))
                    .map(drop)
                    .map_err(conf_invalid),
            );
        }
        for rel in layout::snapshot_archives(&id) {
            if ok(&rel) {
                note(&mut problems, check_archive(&rel, false));
            }
        }
    }
    problems
}
