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
use crate::l10n::{fl, shown};
use crate::progress;

/// `import-leoclient2`; the help texts are `help-import-leoclient2-*` in the catalogs.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    #[arg(long = "id", value_name = "VM_ID")]
    pub id: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    let source = Source::read(&args.dir)?;
    let mut warnings = source.warnings.clone();
    let plan = make_plan(ctx, args, &source, &mut warnings)?;
    for w in &warnings {
        eprintln!("{}", fl!("import-warning", warning = w.as_str()));
    }
    for s in &source.skipped {
        eprintln!("{}", fl!("import-skipped", why = s.as_str()));
    }
    if plan.snapshots.is_empty() {
        // PCs start a VM only from a snapshot: without one, nobody could start it.
        return Err(Error::Invalid(fl!(
            "import-no-snapshot",
            dir = shown(&source.dir)
        )));
    }
    let mut go = ctx.change(fl!(
        "change-import",
        dir = shown(&source.dir),
        dest = shown(&plan.dest)
    ));
    go &= ctx.change(fl!(
        "change-import-base",
        archive = BASE_ARCHIVE,
        entry = plan.base.zip.entry.as_str(),
        bytes = plan.base.zip.size,
        disk = braced(&plan.base_uuid),
        name = plan.base_name.as_str()
    ));
    for snap in &plan.snapshots {
        go &= ctx.change(fl!(
            "change-import-snapshot",
            archive = layout::snapshot_archive(&snap.id),
            disk = layout::snapshot_disk(&snap.uuid),
            bytes = snap.disk.zip.size
        ));
    }
    go &= ctx.change(fl!("change-import-settings"));
    for line in rules(&plan) {
        println!("{}: {line}", plan.id);
    }
    if !go {
        return Ok(());
    }
    progress::enable(true);
    write::write(ctx, &plan)?;
    println!(
        "{}",
        fl!(
            "import-done",
            vm = plan.id.as_str(),
            count = plan.snapshots.len()
        )
    );
    Ok(())
}

/// Every access and network rule the new VM gets, one line each, for the admin.
fn rules(plan: &Plan) -> Vec<String> {
    let mut out = vec![fl!("rule-offered", who = plan.image.access.describe())];
    out.extend(
        NetworkRule::describe_all(&plan.image.network)
            .into_iter()
            .map(|line| fl!("rule-network", rule = line)),
    );
    for snap in &plan.snapshots {
        let (hosts, rooms) = (&snap.conf.hosts, &snap.conf.rooms);
        if !hosts.is_empty() || !rooms.is_empty() {
            out.push(fl!(
                "import-rule-snapshot",
                id = snap.id.as_str(),
                pcs = AccessRules::describe_pcs(hosts, rooms)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
