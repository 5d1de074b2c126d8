//! `leovms-admin`: the school server's side of leovms. Sets up the two Samba shares,
//! turns uploads into published VMs and snapshots, and checks the data tree. Every step
//! is idempotent; `--dry-run` prints each change instead of making it, and `--root DIR`
//! applies everything below a prefix (for tests and for trying things out).

mod ctx;
mod disks;
mod error;
mod import;
mod list;
mod place;
mod progress;
mod publish;
mod reject;
mod set_conf;
mod setup;
mod tree;
mod upload;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::ctx::Ctx;

#[derive(Debug, Parser)]
#[command(
    name = "leovms-admin",
    version,
    about = "Set up and run the leovms shares on the school server"
)]
struct Cli {
    /// Apply everything below this folder instead of `/` (tests, trials).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Print each change instead of making it.
    #[arg(long, global = true)]
    dry_run: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Group p_leovms, /home/leovms/{data,upload}, the Samba shares (STEP1; `--ldap` STEP2).
    Setup(setup::Args),
    /// Turn an upload into a published VM or a new snapshot in data.
    Publish(publish::PublishArgs),
    /// VMs, snapshots and pending uploads.
    List,
    /// Check the whole data tree again (manifests, checksums, settings, disk chains).
    Verify,
    /// Retire a snapshot or a whole VM.
    Remove(publish::RemoveArgs),
    /// Delete an upload instead of publishing it (USER/FOLDER, as `list` shows it).
    Reject(reject::Args),
    /// Replace a published VM's image.conf (or a snapshot's snapshot.conf) with a checked file.
    #[command(name = "set-conf")]
    SetConf(set_conf::Args),
    /// Convert a leoclient2 VM folder into format 1.
    #[command(name = "import-leoclient2")]
    ImportLeoclient2(import::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = Ctx::new(cli.root, cli.dry_run);
    let result = match &cli.command {
        Command::Setup(args) => setup::run(&ctx, args),
        Command::Publish(args) => publish::publish(&ctx, args),
        Command::List => list::list(&ctx),
        Command::Verify => verify::verify(&ctx),
        // An upload is not a VM: say which command deletes one.
        Command::Remove(args) if args.vm.contains('/') => Err(error::Error::Invalid(format!(
            "{:?} is not a VM id: remove retires published VMs and snapshots; to delete an \
             upload, run: leovms-admin reject {}",
            args.vm, args.vm
        ))),
        Command::Remove(args) => publish::remove(&ctx, args),
        Command::Reject(args) => reject::run(&ctx, args),
        Command::SetConf(args) => set_conf::run(&ctx, args),
        Command::ImportLeoclient2(args) => import::run(&ctx, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("leovms-admin: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
