//! `leovms-cli`: the command-line client of `leovmsd`.

/// A line for people on stdout, escaped; see [`output::write_stdout`].
macro_rules! say {
    ($($arg:tt)*) => { $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Text for people on stdout without a line break added, escaped; see
/// [`output::write_stdout`].
macro_rules! say_raw {
    ($($arg:tt)*) => { $crate::output::write_stdout(format_args!($($arg)*)) };
}

/// A line for people on stderr, escaped; see [`output::write_stderr`].
macro_rules! say_err {
    ($($arg:tt)*) => { $crate::output::write_stderr(format_args!("{}\n", format_args!($($arg)*))) };
}

mod cache;
mod exit;
mod follow;
mod help;
mod l10n;
mod output;
mod prewarm;
mod status;
mod store;
mod sync;
mod upload;
mod view;
mod words;

use std::process::ExitCode;

use clap::{Args, FromArgMatches, Parser, Subcommand};
use leovms_api::{JOBS_PATH, Leovms, ManagerProxy, Snapshot, StartOptions};
use zbus::Connection;
use zbus::zvariant::{ObjectPath, OwnedObjectPath};

use crate::exit::CliError;
use crate::follow::{FollowOptions, follow};
use crate::l10n::fl;
use crate::output::{all_from_cache, jobs_table, machines_table, print_json, snapshots_table};
use crate::sync::SyncArgs;
use crate::upload::UploadArgs;

// The doc comments below are the English `--help`; the catalogs hold them too, under ids
// built from the command path (see `help`), so a changed text is changed there as well.

/// Start the school's virtual machines and see what they are doing.
#[derive(Debug, Parser)]
#[command(name = "leovms-cli", version)]
struct Cli {
    /// Print JSON instead of text (for scripts)
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the machines on the server share
    List,
    /// List the snapshots of a machine
    Snapshots {
        /// Machine id (see `list`)
        vm: String,
    },
    /// Start a machine from a snapshot or as found
    Start(StartArgs),
    /// Power a running machine off
    Stop {
        /// Machine id (see `list`)
        vm: String,
    },
    /// List active and recently ended jobs
    Jobs,
    /// Cancel a job (a machine that already runs is stopped with `stop`)
    Cancel {
        /// Job number (see `jobs`) or its object path
        job: String,
    },
    /// Show the daemon's settings and what is running
    Status,
    /// Follow a job like `start` does
    Watch {
        /// Job number (see `jobs`) or its object path
        job: String,
        /// Wait until the machine has been powered off
        #[arg(long)]
        wait: bool,
    },
    /// Copy machines into this PC's cache, so they also start without the server
    Sync(SyncArgs),
    /// Stop keeping machines for offline use and free their space in the cache
    Unsync {
        /// Machine ids (see `list`)
        #[arg(required = true, value_name = "VM")]
        vms: Vec<String>,
    },
    /// Show the machines on the server and what this PC keeps in its cache
    Cache,
    /// Check every archive in the cache and remove damaged ones
    Verify,
    /// List your own VirtualBox machines and leovms working copies that can be uploaded
    Uploadable,
    /// Upload a machine to the school's upload share, for the admin to publish
    Upload(UploadArgs),
    /// The PC's store of VM bases, shared by all its users (see docs/store.md)
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Have this PC's store fetch and keep the VMs the school lists in presync, then say which are ready
    Prewarm(prewarm::PrewarmArgs),
    /// Print the completion script for a shell (the package installs them already)
    #[command(hide = true)]
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
struct StartArgs {
    /// Machine id (see `list`)
    vm: String,
    /// Snapshot id to start from (see `snapshots`)
    #[arg(long, value_name = "SNAPSHOT", conflicts_with = "as_found")]
    snapshot: Option<String>,
    /// Start the machine as it was left last time
    #[arg(long)]
    as_found: bool,
    /// RAM in MB (within the machine's range, see `list`)
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u32).range(1..))]
    ram: Option<u32>,
    /// Wait until the machine has been powered off
    #[arg(long)]
    wait: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = parse_args();
    if let Command::Completions { shell } = cli.command {
        print_completions(shell);
        return ExitCode::SUCCESS;
    }
    if let Command::Store(command) = cli.command {
        // The store service answers on the system bus; leovmsd is not needed.
        return match store::run(command, cli.json).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                say_err!("leovms: {e}");
                ExitCode::from(e.code())
            }
        };
    }
    // `prewarm` is answered by the store service too; as it may end with Ctrl-C, its
    // result ends the command as the daemon's commands do.
    let result = if let Command::Prewarm(args) = cli.command {
        prewarm::run(args, cli.json).await
    } else {
        run(cli).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !matches!(e, CliError::Interrupted) {
                say_err!("leovms: {e}");
            }
            ExitCode::from(e.code())
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let json = cli.json;
    let conn = Connection::session()
        .await
        .map_err(|e| CliError::Unreachable(e.to_string()))?;
    let leovms = Leovms::new(&conn).await?;
    // Every command here asks the daemon: refusals in the user's language.
    leovms.enable_detail().await;
    let mgr = leovms.manager().clone();
    match cli.command {
        Command::List => {
            let Some(machines) = list_or_nothing_offline(&mgr).await? else {
                // The share is down and this PC has nothing for offline use: an answer,
                // not a failure (docs/cli.md, "list").
                return if json {
                    print_json(&Vec::<leovms_api::Machine>::new())
                } else {
                    say!("{}", nothing_offline(&mgr).await);
                    Ok(())
                };
            };
            if json {
                print_json(&machines)
            } else if machines.is_empty() {
                say!("{}", fl!("list-no-machines"));
                Ok(())
            } else {
                if all_from_cache(&machines) {
                    say!("{}", fl!("list-from-cache"));
                }
                say_raw!("{}", machines_table(&machines));
                Ok(())
            }
        }
        Command::Snapshots { vm } => {
            let snapshots = mgr.list_snapshots(&vm).await?;
            if json {
                print_json(&snapshots)
            } else if snapshots.is_empty() {
                say!("{}", fl!("snapshots-none", vm = vm));
                Ok(())
            } else {
                say_raw!("{}", snapshots_table(&snapshots));
                Ok(())
            }
        }
        Command::Start(args) => start(&conn, &mgr, args, json).await,
        Command::Stop { vm } => {
            mgr.stop(&vm).await?;
            if !json {
                say!("{}", fl!("stop-done", vm = vm));
            }
            Ok(())
        }
        Command::Jobs => {
            let jobs = mgr.list_jobs().await?;
            if json {
                print_json(&jobs)
            } else if jobs.is_empty() {
                say!("{}", fl!("jobs-none"));
                Ok(())
            } else {
                say_raw!("{}", jobs_table(&jobs));
                Ok(())
            }
        }
        Command::Cancel { job } => {
            let path = job_path(&job)?;
            let job = leovms.job(path.clone()).await?;
            job.cancel().await.map_err(|e| match e {
                leovms_api::Error::ZBus(z) if leovms_api::is_unknown_object(&z) => {
                    exit::no_such_job(output::job_number(path.as_str()))
                }
                e => e.into(),
            })?;
            if !json {
                say!(
                    "{}",
                    fl!("cancel-done", job = output::job_number(path.as_str()))
                );
            }
            Ok(())
        }
        Command::Status => status::show(&mgr, json).await,
        Command::Watch { job, wait } => {
            let path = job_path(&job)?;
            let opts = FollowOptions {
                wait,
                json,
                requested: false,
            };
            follow(&conn, path, opts).await
        }
        Command::Sync(args) => sync::sync(&conn, &mgr, args, json).await,
        Command::Unsync { vms } => sync::unsync(&mgr, &vms, json).await,
        Command::Cache => cache::show(&mgr, json).await,
        Command::Verify => cache::verify(&conn, &mgr, json).await,
        Command::Uploadable => upload::list(&mgr, json).await,
        Command::Upload(args) => upload::upload(&conn, &mgr, args, json).await,
        // Answered in `main`, without the daemon.
        Command::Completions { .. } | Command::Store(_) | Command::Prewarm(_) => Ok(()),
    }
}

/// The machines as the daemon lists them, or `None` when the share is not available and
/// nothing is available offline. The daemon refuses that listing as `Offline`; so does a
/// share that died while it was being read, which is why, with the share not online, the
/// list is asked for once more: now it comes from the cache, or is refused again because
/// there is nothing offline.
async fn list_or_nothing_offline(
    mgr: &ManagerProxy<'_>,
) -> Result<Option<Vec<leovms_api::Machine>>, CliError> {
    let offline = |e: &leovms_api::Error| e.kind() == Some(leovms_api::ErrorKind::Offline);
    let first = match mgr.list_machines().await {
        Ok(machines) => return Ok(Some(machines)),
        Err(e) if offline(&e) => e,
        Err(e) => return Err(e.into()),
    };
    match mgr.data_share().await {
        Ok(share) if share.state != leovms_api::ShareState::Online => {}
        _ => return Err(first.into()),
    }
    match mgr.list_machines().await {
        Ok(machines) => Ok(Some(machines)),
        Err(e) if offline(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What `list` says when the share is down and nothing is available offline.
async fn nothing_offline(mgr: &ManagerProxy<'_>) -> String {
    let why = match mgr.data_share().await {
        Ok(share) => share.explain(),
        Err(_) => String::new(),
    };
    let mut text = fl!("list-nothing-offline");
    if !why.is_empty() {
        text.push('\n');
        text.push_str(&why);
    }
    text
}

/// The command line as given, with `--help` in the user's language (see `help`); exits
/// on `--help`, `--version` and a usage error, as clap does.
fn parse_args() -> Cli {
    let mut cmd = help::command(&l10n::LOADER);
    let matches = cmd.get_matches_mut();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut cmd).exit())
}

/// Writes the completion script; needs neither the bus nor the daemon. It is made from
/// the English command line, so that a package's scripts do not depend on the language
/// its build ran in.
fn print_completions(shell: CompletionShell) {
    use clap::CommandFactory;
    use clap_complete::Shell;
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == Shell::Bash {
        script = bash_states_respelt(&script, BIN);
    }
    output::write_stdout_exact(&script);
}

const BIN: &str = "leovms-cli";

/// clap_complete (4.6.2 up to at least 4.6.12, clap-rs/clap#6421) spells the states of its
/// bash script two ways for a bin name with a hyphen: the loop over the words reaches
/// `leovms__cli__subcmd__start`, while the case arms are labelled
/// `leovms__subcmd__cli__subcmd__start`, so no option of a subcommand is ever offered
/// (`leovms-cli start --<TAB>`). The arms are relabelled the way the loop spells them; with
/// a clap_complete that spells both alike there is nothing to replace.
fn bash_states_respelt(script: &str, bin: &str) -> String {
    let broken = bin.replace('-', "__subcmd__");
    let loop_spelling = bin.replace('-', "__");
    if broken == loop_spelling {
        return script.to_owned();
    }
    script.replace(
        &format!("{broken}__subcmd__"),
        &format!("{loop_spelling}__subcmd__"),
    )
}

async fn start(
    conn: &Connection,
    mgr: &ManagerProxy<'_>,
    args: StartArgs,
    json: bool,
) -> Result<(), CliError> {
    let snapshot = match (args.snapshot, args.as_found) {
        (Some(_), true) => {
            return Err(CliError::Usage(fl!("start-snapshot-conflict")));
        }
        (Some(s), false) => s,
        (None, true) => String::new(),
        (None, false) => {
            let snapshots = mgr.list_snapshots(&args.vm).await?;
            let only = only_snapshot(&args.vm, &snapshots)?;
            let text = fl!(
                "start-only-snapshot",
                name = only.name.as_str(),
                id = only.id.as_str()
            );
            if json {
                say_err!("{text}");
            } else {
                say!("{text}");
            }
            only.id.clone()
        }
    };
    let options = StartOptions { ram_mb: args.ram };
    let path = mgr.start(&args.vm, &snapshot, options).await?;
    let opts = FollowOptions {
        wait: args.wait,
        json,
        requested: true,
    };
    follow(conn, path, opts).await
}

/// Without `--snapshot` or `--as-found`, the one usable snapshot, if there is exactly one.
fn only_snapshot<'a>(vm: &str, snapshots: &'a [Snapshot]) -> Result<&'a Snapshot, CliError> {
    let usable: Vec<&Snapshot> = snapshots.iter().filter(|s| s.problem.is_empty()).collect();
    match usable.as_slice() {
        [only] => Ok(only),
        [] => Err(CliError::Usage(match snapshots.first() {
            Some(s) => fl!(
                "start-no-startable-snapshot",
                vm = vm,
                problem = s.problem_text().trim_end_matches('.').to_string()
            ),
            None => fl!("start-no-usable-snapshot", vm = vm),
        })),
        many => {
            let ids: Vec<&str> = many.iter().map(|s| s.id.as_str()).collect();
            Err(CliError::Usage(fl!(
                "start-choose-snapshot",
                ids = ids.join(", ")
            )))
        }
    }
}

/// A job number (`7`) or full object path (`/org/leovms/Leovms1/job/7`).
fn job_path(job: &str) -> Result<OwnedObjectPath, CliError> {
    let usage = || CliError::Usage(fl!("job-not-a-number", job = job));
    let full = if !job.is_empty() && job.bytes().all(|b| b.is_ascii_digit()) {
        format!("{JOBS_PATH}/{job}")
    } else if job.starts_with(&format!("{JOBS_PATH}/")) {
        job.to_string()
    } else {
        return Err(usage());
    };
    ObjectPath::try_from(full)
        .map(OwnedObjectPath::from)
        .map_err(|_| usage())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind as ClapKind;

    fn snap(id: &str, problem: &str) -> Snapshot {
        Snapshot {
            id: id.into(),
            name: id.to_uppercase(),
            maintainer: String::new(),
            created: String::new(),
            description: String::new(),
            size: 1,
            unpacked_size: 1,
            problem: problem.into(),
            cached: false,
            problem_detail: Default::default(),
        }
    }

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn snapshot_and_as_found_conflict() {
        let err =
            Cli::try_parse_from(["leovms-cli", "start", "vm", "--snapshot", "s", "--as-found"])
                .unwrap_err();
        assert_eq!(err.kind(), ClapKind::ArgumentConflict);
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn start_options_parse() {
        let cli = Cli::try_parse_from([
            "leovms-cli",
            "--json",
            "start",
            "vm-win10",
            "--as-found",
            "--ram",
            "2048",
            "--wait",
        ])
        .unwrap();
        assert!(cli.json);
        let Command::Start(a) = cli.command else {
            panic!("not start")
        };
        assert!(a.as_found && a.wait && a.snapshot.is_none());
        assert_eq!(a.ram, Some(2048));
        let err = Cli::try_parse_from(["leovms-cli", "start", "vm", "--ram", "0"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        // --json is global: it may follow the subcommand.
        assert!(
            Cli::try_parse_from(["leovms-cli", "list", "--json"])
                .unwrap()
                .json
        );
    }

    #[test]
    fn sync_takes_several_machines_and_snapshots() {
        let cli = Cli::try_parse_from([
            "leovms-cli",
            "sync",
            "vm-a",
            "vm-b",
            "--snapshot",
            "exam",
            "--snapshot",
            "standard",
            "--dry-run",
        ])
        .unwrap();
        let Command::Sync(a) = cli.command else {
            panic!("not sync")
        };
        assert_eq!(a.vms, ["vm-a", "vm-b"]);
        assert_eq!(a.snapshots, ["exam", "standard"]);
        assert!(a.dry_run);
        let Command::Sync(a) = Cli::try_parse_from(["leovms-cli", "sync", "vm-a"])
            .unwrap()
            .command
        else {
            panic!("not sync")
        };
        assert!(a.snapshots.is_empty() && !a.dry_run);
        for without_vm in [&["leovms-cli", "sync"][..], &["leovms-cli", "unsync"]] {
            let err = Cli::try_parse_from(without_vm).unwrap_err();
            assert_eq!(err.exit_code(), 2);
        }
        assert!(matches!(
            Cli::try_parse_from(["leovms-cli", "cache", "--json"])
                .unwrap()
                .command,
            Command::Cache
        ));
    }

    #[test]
    fn the_only_usable_snapshot_is_chosen() {
        let snaps = [snap("broken", "archive missing"), snap("exam", "")];
        assert_eq!(only_snapshot("vm", &snaps).unwrap().id, "exam");
        let e = only_snapshot("vm", &[]).unwrap_err();
        assert_eq!(e.code(), 2);
        assert!(e.to_string().contains("--as-found"));
        let e = only_snapshot("vm", &[snap("a", ""), snap("b", "")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Choose --snapshot (one of: a, b) or --as-found."
        );
    }

    #[test]
    fn completions_parse_and_stay_out_of_the_help() {
        let cli = Cli::try_parse_from(["leovms-cli", "completions", "zsh"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Completions {
                shell: CompletionShell::Zsh
            }
        ));
        assert!(Cli::try_parse_from(["leovms-cli", "completions", "tcsh"]).is_err());
        let help = Cli::command().render_help().to_string();
        assert!(help.contains("snapshots") && !help.contains("completions"));
    }

    #[test]
    fn bash_states_are_spelt_as_the_word_loop_spells_them() {
        let broken = "    cmd=\"leovms__cli__subcmd__start\"\n        leovms__subcmd__cli__subcmd__start)\n        leovms__cli)\n";
        assert_eq!(
            bash_states_respelt(broken, "leovms-cli"),
            "    cmd=\"leovms__cli__subcmd__start\"\n        leovms__cli__subcmd__start)\n        leovms__cli)\n"
        );
        // A generator that spells both alike leaves nothing to replace.
        let fixed = bash_states_respelt(broken, "leovms-cli");
        assert_eq!(bash_states_respelt(&fixed, "leovms-cli"), fixed);
        assert_eq!(bash_states_respelt(broken, "leovmscli"), broken);
    }

    #[test]
    fn job_numbers_and_paths() {
        assert_eq!(job_path("7").unwrap().as_str(), "/org/leovms/Leovms1/job/7");
        let full = "/org/leovms/Leovms1/job/12";
        assert_eq!(job_path(full).unwrap().as_str(), full);
        assert_eq!(job_path("x").unwrap_err().code(), 2);
        assert_eq!(job_path("").unwrap_err().code(), 2);
        assert_eq!(job_path("/org/other/1").unwrap_err().code(), 2);
    }
}
