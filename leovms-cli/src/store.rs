//! `store`: the PC's store of VM bases (`org.leovms.Store1` on the system bus), for
//! admins: what it holds, pins and pruning. Answered by the store service itself, not
//! by leovmsd.

use clap::Subcommand;
use leovms_api::store::{StoreEntry, StoreProxy};
use serde::Serialize;

use crate::exit::CliError;
use crate::l10n::fl;
use crate::output::{format_day, format_gb, print_json, table};

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// List the archives and bases the store holds
    List,
    /// Keep a base whatever room is needed: for you (offline use), or with --all for
    /// every user (administrators)
    Pin {
        /// sha256 of the VM's base archive (its manifest.toml)
        sha256: String,
        #[arg(long)]
        all: bool,
    },
    /// Stop keeping a base
    Unpin {
        /// sha256 of the VM's base archive
        sha256: String,
        #[arg(long)]
        all: bool,
    },
    /// Remove everything nobody pinned and no running VM uses (administrators)
    Prune,
}

/// One entry of `store list --json`.
#[derive(Debug, Serialize, PartialEq)]
struct Held {
    kind: String,
    sha256: String,
    bytes: u64,
    last_used: i64,
}

pub async fn run(command: StoreCommand, json: bool) -> Result<(), CliError> {
    let conn = zbus::Connection::system().await.map_err(unreachable)?;
    let store = StoreProxy::new(&conn).await.map_err(unreachable)?;
    answer(&store, command, json).await.map_err(|e| match e {
        // Not "leovmsd is not running": the store has a bus and a name of its own.
        CliError::Unreachable(why) => unreachable(why),
        e => e,
    })
}

/// The store service cannot be reached (also for `prewarm`).
pub(crate) fn unreachable(e: impl std::fmt::Display) -> CliError {
    CliError::Other(fl!("store-unreachable", why = e.to_string()))
}

async fn answer(store: &StoreProxy<'_>, command: StoreCommand, json: bool) -> Result<(), CliError> {
    match command {
        StoreCommand::List => {
            let held: Vec<Held> = store.entries().await?.into_iter().map(held).collect();
            if json {
                return print_json(&held);
            }
            if held.is_empty() {
                say!("{}", fl!("store-empty"));
                return Ok(());
            }
            let rows: Vec<Vec<String>> = held
                .iter()
                .map(|h| {
                    vec![
                        h.kind.clone(),
                        h.sha256.clone(),
                        format_gb(h.bytes),
                        format_day(h.last_used),
                    ]
                })
                .collect();
            let headers = [
                fl!("column-kind"),
                "SHA256".to_string(),
                fl!("column-size"),
                fl!("column-last-used"),
            ];
            say_raw!("{}", table(&headers, &rows));
            Ok(())
        }
        StoreCommand::Pin { sha256, all } => {
            store.pin(&sha256, all).await?;
            done(json, &fl!("store-pinned", sha256 = sha256.as_str()))
        }
        StoreCommand::Unpin { sha256, all } => {
            store.unpin(&sha256, all).await?;
            done(json, &fl!("store-unpinned", sha256 = sha256.as_str()))
        }
        StoreCommand::Prune => {
            let freed = store.prune().await?;
            if json {
                return print_json(&serde_json::json!({ "freed_bytes": freed }));
            }
            say!("{}", fl!("store-freed", size = format_gb(freed)));
            Ok(())
        }
    }
}

fn held((kind, sha256, bytes, last_used): StoreEntry) -> Held {
    Held {
        kind,
        sha256,
        bytes,
        last_used,
    }
}

fn done(json: bool, text: &str) -> Result<(), CliError> {
    if json {
        return print_json(&serde_json::json!({}));
    }
    say!("{text}");
    Ok(())
}
