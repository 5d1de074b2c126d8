//! The room swarm's torrents (docs/swarm.md): written next to each archive by `publish`
//! and `import-leoclient2`, and by `add-torrents` for VMs published before there were
//! torrents. A torrent is listed in the manifest only after it is written, and only for
//! an archive that was just checked against the manifest, so the PCs and the seeder never
//! see a torrent of other bytes than the manifest names.

use std::fs;
use std::path::Path;

use leovms_image::atomic::write_atomic;
use leovms_image::layout::MANIFEST;
use leovms_image::manifest::Manifest;
use leovms_image::torrent;

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};
use crate::place::FILE_MODE;
use crate::progress::{self, Progress};
use crate::publish::{Named, entry_for, safe, write_manifest};
use crate::tree;

/// `add-torrents`; the help texts are `help-add-torrents-*` in the catalogs.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub vm: Option<String>,
}

/// Where the torrent of the archive `rel` is.
pub(crate) fn torrent_of(rel: &str) -> String {
    format!("{rel}{}", torrent::SUFFIX)
}

/// Writes the torrent of the archive `dir/rel` next to it.
pub(crate) fn write_torrent(dir: &Path, rel: &str) -> Result<()> {
    let archive = dir.join(rel);
    let size = fs::metadata(&archive)
        .map_err(|e| Error::io(&archive, e))?
        .len();
    let name = archive
        .file_name()
        .expect("an archive's file")
        .to_string_lossy();
    let mut progress = Progress::new(fl!("phase-torrent", file = rel), size);
    let bytes = torrent::create(&archive, &name, |n| progress.add(n))
        .map_err(|e| Error::io(&archive, e))?;
    progress.finish();
    let to = dir.join(torrent_of(rel));
    write_atomic(&to, &bytes, FILE_MODE).map_err(|e| Error::io(&to, e))
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    let data = ctx.data();
    let vms = match &args.vm {
        Some(vm) => {
            let vm = safe(Named::Vm, vm)?;
            let dir = data.join(vm.as_str());
            if !dir.join(MANIFEST).is_file() {
                return Err(Error::Invalid(fl!(
                    "remove-no-vm",
                    vm = vm.as_str(),
                    data = shown(&data)
                )));
            }
            vec![(vm.as_str().to_owned(), dir)]
        }
        None => tree::subdirs(&data)?,
    };
    let _lock = tree::lock_data(ctx)?;
    progress::enable(!ctx.dry_run);
    let mut counts = Counts::default();
    for (vm, vm_dir) in vms {
        let manifest = match tree::load_manifest(&vm_dir.join(MANIFEST)) {
            Ok(Some(manifest)) => manifest,
            Ok(None) => continue,
            Err(e) => {
                let problem = e.to_string();
                eprintln!(
                    "{}",
                    fl!("add-torrents-vm-problem", vm = vm, problem = problem)
                );
                counts.vms_unread += 1;
                continue;
            }
        };
        add_to(ctx, &vm, &vm_dir, &manifest, &mut counts)?;
    }
    // The torrents written stay: each is listed, and the rest are named above.
    let mut left = Vec::new();
    if counts.damaged > 0 {
        left.push(fl!("add-torrents-damaged", count = counts.damaged));
    }
    if counts.vms_unread > 0 {
        left.push(fl!("add-torrents-vms-unread", count = counts.vms_unread));
    }
    if !left.is_empty() {
        return Err(Error::Invalid(fl!(
            "add-torrents-problems",
            problems = left.join("; "),
            written = counts.written
        )));
    }
    if counts.lacking == 0 {
        println!("{}", fl!("add-torrents-none", data = shown(&data)));
    } else if counts.written > 0 {
        println!("{}", fl!("add-torrents-done", count = counts.written));
    }
    Ok(())
}

/// Torrents lacking and written; archives that did not match their manifest, and VMs
/// whose manifest could not be read.
#[derive(Default)]
struct Counts {
    lacking: usize,
    written: usize,
    damaged: usize,
    vms_unread: usize,
}

/// Writes the torrents `vm`'s archives lack, each after checking its archive (also under
/// `--dry-run`, so that it names a damaged one), then the manifest once with all of them.
/// A damaged archive is named and counted; an I/O error ends the command, once the
/// manifest lists the torrents written before it.
fn add_to(
    ctx: &Ctx,
    vm: &str,
    vm_dir: &Path,
    manifest: &Manifest,
    counts: &mut Counts,
) -> Result<()> {
    let mut files = manifest.files.clone();
    let mut failed = None;
    let lacking = manifest
        .files
        .iter()
        .filter(|e| e.unpacked.is_some() && manifest.get(&torrent_of(&e.path)).is_none());
    for entry in lacking {
        counts.lacking += 1;
        let shown_rel = format!("{vm}/{}", entry.path);
        match tree::check_file(&vm_dir.join(&entry.path), entry, &shown_rel) {
            Ok(()) => {}
            Err(Error::Invalid(problem)) => {
                eprintln!("{}", fl!("add-torrents-problem", problem = problem));
                counts.damaged += 1;
                continue;
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
        if !ctx.change(fl!("change-add-torrent", file = shown_rel.as_str())) {
            continue;
        }
        let written = write_torrent(vm_dir, &entry.path)
            .and_then(|()| entry_for(vm_dir, &torrent_of(&entry.path), None));
        match written {
            Ok(torrent) => files.push(torrent),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    let written = files.len() - manifest.files.len();
    if written > 0 {
        write_manifest(vm_dir, files)?;
        counts.written += written;
    }
    failed.map_or(Ok(()), Err)
}
