//! `import-leoclient2`: a leoclient2 VM folder into format 1.
//!
//! Everything is checked first (zip entries, sizes, disk headers, the `.vbox`), then the
//! disks are unpacked one at a time into a `.leovms-tmp-import.*` folder inside data,
//! packed, and the finished folder is renamed to `data/<vm-id>`; `manifest.toml` comes last.
//! On any error the temporary folder is removed and data is as before.
//!
//! `source` reads the leoclient2 folder, `plan` checks it and makes the new settings
//! files (`conf` for `image.conf` and `snapshot.conf`, `network` for the network rules),
//! `write` writes the VM folder.

mod conf;
mod network;
mod plan;
mod source;
mod unzip;
mod write;

use std::path::PathBuf;

use leovms_image::config::{AccessRules, NetworkRule};
use leovms_image::layout::{self, BASE_ARCHIVE};
use leovms_image::vdi::braced;

#[cfg(test)]
use self::conf::rfc3339;
use self::plan::{Plan, make_plan};
use self::source::Source;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::progress;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The leoclient2 VM folder (with `<vm>.vdi.zip`, `defaults/<vm>.vbox`, `snapshot-store/`).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Id of the new VM in data; default: the folder's name. An existing VM is never replaced.
    #[arg(long = "id", value_name = "VM_ID")]
    pub id: Option<String>,
    /// Name shown to users; default: the VirtualBox machine's name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    let source = Source::read(&args.dir)?;
    let mut warnings = source.warnings.clone();
    let plan = make_plan(ctx, args, &source, &mut warnings)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    for s in &source.skipped {
        eprintln!("warning: skipped {s}");
    }
    if plan.snapshots.is_empty() {
        // PCs start a VM only from a snapshot: without one, nobody could start it.
        return Err(Error::Invalid(format!(
            "{}: no snapshot to import (snapshot-store/<name>/{{UUID}}.vdi.zip); a VM \
             without a snapshot cannot be started, so nothing was imported",
            source.dir.display()
        )));
    }
    let mut go = ctx.change(format_args!(
        "import {} as {}",
        source.dir.display(),
        plan.dest.display()
    ));
    go &= ctx.change(format_args!(
        "write {BASE_ARCHIVE} with {} ({} bytes, disk {}) as {}",
        plan.base.zip.entry,
        plan.base.zip.size,
        braced(&plan.base_uuid),
        plan.base_name
    ));
    for snap in &plan.snapshots {
        go &= ctx.change(format_args!(
            "write {} with {} ({} bytes)",
            layout::snapshot_archive(&snap.id),
            layout::snapshot_disk(&snap.uuid),
            snap.disk.zip.size
        ));
    }
    go &= ctx.change("write image.conf, machine.vbox, the snapshot.conf files and manifest.toml");
    for line in rules(&plan) {
        println!("{}: {line}", plan.id);
    }
    if !go {
        return Ok(());
    }
    progress::enable(true);
    write::write(ctx, &plan)?;
    println!(
        "imported {} with {} snapshot(s)",
        plan.id,
        plan.snapshots.len()
    );
    Ok(())
}

/// Every access and network rule the new VM gets, one line each, for the admin.
fn rules(plan: &Plan) -> Vec<String> {
    let mut out = vec![format!("offered to {}", plan.image.access.describe())];
    out.extend(
        NetworkRule::describe_all(&plan.image.network)
            .into_iter()
            .map(|line| format!("network on {line}")),
    );
    for snap in &plan.snapshots {
        let (hosts, rooms) = (&snap.conf.hosts, &snap.conf.rooms);
        if !hosts.is_empty() || !rooms.is_empty() {
            out.push(format!(
                "snapshot {} shown only on {}",
                snap.id,
                AccessRules::describe_pcs(hosts, rooms)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
