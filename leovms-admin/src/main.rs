//! `leovms-admin`: the school server's side of leovms. Sets up the two Samba shares,
//! turns uploads into published VMs and snapshots, and checks the data tree. Every step
//! is idempotent; `--dry-run` prints each change instead of making it, and `--root DIR`
//! applies everything below a prefix (for tests and for trying things out).

mod ctx;
mod disks;
mod error;
mod help;
mod import;
mod l10n;
mod list;
mod place;
mod progress;
mod publish;
mod readiness;
mod reject;
mod seed;
mod set_conf;
mod setup;
mod torrents;
mod tree;
mod upload;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{FromArgMatches, Parser, Subcommand};

use crate::ctx::Ctx;
use crate::l10n::fl;

/// The command line. Its help texts (the about of each command, the help of each option)
/// are in the catalogs, as `help-<command>-<option>` (see `help`).
#[derive(Debug, Parser)]
#[command(name = "leovms-admin", version)]
struct Cli {
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[arg(long, global = true)]
    dry_run: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Setup(setup::Args),
    Publish(publish::PublishArgs),
    List,
    Verify,
    Readiness(readiness::Args),
    Remove(publish::RemoveArgs),
    Seed(seed::Args),
    #[command(name = "add-torrents")]
    AddTorrents(torrents::Args),
    Reject(reject::Args),
    #[command(name = "set-conf")]
    SetConf(set_conf::Args),
    #[command(name = "import-leoclient2")]
    ImportLeoclient2(import::Args),
}

fn main() -> ExitCode {
    let matches = help::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let ctx = Ctx::new(cli.root, cli.dry_run);
    let result = match &cli.command {
        Command::Setup(args) => setup::run(&ctx, args),
        Command::Publish(args) => publish::publish(&ctx, args),
        Command::List => list::list(&ctx),
        Command::Verify => verify::verify(&ctx),
        // A PC that is not ready yet is an answer, not an error: no message.
        Command::Readiness(args) => match readiness::run(&ctx, args) {
            Ok(false) => return ExitCode::from(readiness::NOT_READY),
            result => result.map(drop),
        },
        // An upload is not a VM: say which command deletes one.
        Command::Remove(args) if args.vm.contains('/') => Err(error::Error::Invalid(fl!(
            "remove-not-a-vm",
            quoted = format!("{:?}", args.vm),
            upload = args.vm.as_str()
        ))),
        Command::Remove(args) => publish::remove(&ctx, args),
        Command::Seed(args) => seed::run(&ctx, args),
        Command::Reject(args) => reject::run(&ctx, args),
        Command::SetConf(args) => set_conf::run(&ctx, args),
        Command::ImportLeoclient2(args) => import::run(&ctx, args),
        Command::AddTorrents(args) => torrents::run(&ctx, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("leovms-admin: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
