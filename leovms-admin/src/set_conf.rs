//! `set-conf`: replace a published VM's `image.conf` or a snapshot's `snapshot.conf` (access
//! and network rules, names, RAM) without publishing again. The new file is checked first;
//! the manifest is rewritten with its checksum, so clients and `verify` accept it.

use std::fs;
use std::path::{Path, PathBuf};

use leovms_image::atomic::write_atomic;
use leovms_image::config::{ImageConf, SnapshotConf};
use leovms_image::layout::{self, IMAGE_CONF, MANIFEST};

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};
use crate::place::FILE_MODE;
use crate::publish::{Named, conf_invalid, entry_for, safe, write_manifest};
use crate::tree;

/// `set-conf`; the help texts are `help-set-conf-*` in the catalogs.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub vm: String,
    pub snapshot: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    let vm = safe(Named::Vm, &args.vm)?;
    let data = ctx.data();
    let _lock = tree::lock_data(ctx)?;
    let vm_dir = data.join(vm.as_str());
    let Some(manifest) = tree::load_manifest(&vm_dir.join(MANIFEST))? else {
        return Err(Error::Invalid(fl!(
            "no-published-vm",
            vm = vm.as_str(),
            data = shown(&data)
        )));
    };
    let rel = match &args.snapshot {
        None => IMAGE_CONF.to_owned(),
        Some(id) => layout::snapshot_conf(&safe(Named::Snapshot, id)?),
    };
    if manifest.get(&rel).is_none() {
        return Err(Error::Invalid(fl!(
            "set-conf-no-file",
            vm = vm.as_str(),
            file = rel.as_str()
        )));
    }
    let text = fs::read_to_string(&args.from).map_err(|e| Error::io(&args.from, e))?;
    check(&rel, &text, &args.from)?;
    let target = vm_dir.join(&rel);
    if fs::read(&target).is_ok_and(|old| old == text.as_bytes()) {
        println!(
            "{}",
            fl!(
                "set-conf-unchanged",
                file = format!("{vm}/{rel}"),
                from = shown(&args.from)
            )
        );
        return Ok(());
    }
    if !ctx.change(fl!(
        "change-set-conf",
        file = shown(&target),
        from = shown(&args.from),
        manifest = shown(vm_dir.join(MANIFEST))
    )) {
        return Ok(());
    }
    write_atomic(&target, text.as_bytes(), FILE_MODE).map_err(|e| Error::io(&target, e))?;
    let entry = entry_for(&vm_dir, &rel, None)?;
    let files = manifest
        .files
        .into_iter()
        .map(|e| if e.path == rel { entry.clone() } else { e })
        .collect();
    write_manifest(&vm_dir, files)?;
    println!("{}", fl!("set-conf-done", file = format!("{vm}/{rel}")));
    Ok(())
}

/// The new file must be valid: the error names the admin's file, line and key.
fn check(rel: &str, text: &str, file: &Path) -> Result<()> {
    let result = if rel == IMAGE_CONF {
        ImageConf::parse(text, file).map(drop)
    } else {
        SnapshotConf::parse(text, file).map(drop)
    };
    result.map_err(conf_invalid)
}
