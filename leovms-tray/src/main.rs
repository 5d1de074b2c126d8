//! `leovms-tray`: the panel icon of leovmsd. A thin client: it lists what the daemon
//! offers, calls the daemon when a student clicks, and shows progress and results.
//! Every decision is the daemon's.

mod actions;
mod args;
mod follow;
mod icon;
mod l10n;
mod menu;
mod notify;
mod role;
mod state;
mod tray;

use std::io::IsTerminal;
use std::process::ExitCode;

use ksni::TrayMethods;
use leovms_api::Leovms;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use zbus::fdo::{RequestNameFlags, RequestNameReply};

use crate::actions::Caller;
use crate::args::Command;
use crate::notify::Notifier;
use crate::role::Role;
use crate::tray::{LeovmsTray, Ui};

/// Held while a tray runs in this session, so that starting it again from the
/// applications menu does not put a second icon into the panel.
const INSTANCE_NAME: &str = "org.leovms.Tray";

#[derive(Debug, thiserror::Error)]
enum TrayError {
    #[error("no D-Bus session bus: {0}")]
    Bus(#[from] zbus::Error),
    #[error("the tray icon cannot be set up: {0}")]
    Tray(#[from] ksni::Error),
    #[error("cannot watch for SIGTERM: {0}")]
    Signal(#[from] std::io::Error),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LEOVMS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .init();
    let args = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned());
    match args::parse(args) {
        Command::Run => {}
        Command::Help => {
            println!("{}", args::help());
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("leovms-tray {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::Wrong(what) => {
            eprintln!(
                "leovms-tray: {what}\n{}\n{}",
                args::usage(),
                l10n::fl!("args-try-help")
            );
            return ExitCode::from(2);
        }
    }
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), TrayError> {
    let conn = zbus::Connection::session().await?;
    // An object server first: zbus warns about a name requested without one.
    let _ = conn.object_server();
    let reply = conn
        .request_name_with_flags(INSTANCE_NAME, RequestNameFlags::DoNotQueue.into())
        .await;
    if matches!(
        reply,
        Ok(RequestNameReply::Exists) | Err(zbus::Error::NameTaken)
    ) {
        tracing::info!("leovms-tray already runs in this session");
        return Ok(());
    }
    reply?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let (clicks_tx, clicks) = mpsc::unbounded_channel();
    let (refresh_tx, refresh) = mpsc::unbounded_channel();
    // Registers with the panel's watcher, also when the panel starts after the tray.
    let handle = LeovmsTray::new(clicks_tx, Role::of_this_process())
        .assume_sni_available(true)
        .spawn()
        .await?;
    let ui = Ui::new(handle.clone());
    let notifier = Notifier::new(&conn).await?;
    let caller = Caller {
        daemon: Leovms::new(&conn).await?,
        ui: ui.clone(),
        notifier: notifier.clone(),
        refresh: refresh_tx,
    };
    let result = tokio::select! {
        r = follow::run(conn, ui, notifier, refresh) => r.map_err(TrayError::from),
        () = actions::run(clicks, caller) => Ok(()),
        _ = term.recv() => Ok(()),
        _ = int.recv() => Ok(()),
    };
    // Takes the icon out of the panel; jobs and VMs go on in the daemon.
    handle.shutdown().await;
    result
}
