//! leovmsd: the per-user leovms daemon on the D-Bus session bus.

mod access;
mod blocking;
mod cache;
mod cache_report;
mod catalog;
mod configure;
mod daemon;
mod dbus;
mod error;
mod idle;
mod in_use;
mod job;
mod jobs;
mod layout;
mod listing;
mod mount;
mod network;
mod offline;
mod pc_store;
mod print;
mod reply;
mod running;
mod settings;
mod share;
mod space;
mod start;
mod start_source;
mod sync;
mod trust;
mod unpack;
mod upload;
mod upload_plan;
mod upload_source;
mod vbox;
mod view;
mod watch;
mod workcopy;

use std::io::IsTerminal;

use clap::Parser;
use futures_util::StreamExt;
use tokio::signal::unix::{SignalKind, signal};

use crate::daemon::Daemon;
use crate::dbus::ManagerInterface;
use crate::settings::Settings;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LEOVMS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .init();
    let settings = Settings::parse();
    let code = match serve(settings).await {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e}");
            1
        }
    };
    // Exit now: threads that wait for running VMs to end must not hold up the exit.
    std::process::exit(code)
}

async fn serve(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let (daemon, job_events) = Daemon::new(settings);
    // Serve every object before taking the name: calls that arrive at activation
    // time would otherwise find nothing. And get ready before taking it: the call that
    // activated the daemon is delivered as soon as the name is taken, and must find the
    // VMs an earlier daemon started (a `Stop` would answer "not running") and must not
    // race the removal of a crashed start's leftovers.
    let conn = zbus::connection::Builder::session()?
        .serve_at(
            leovms_api::MANAGER_PATH,
            ManagerInterface::new(daemon.clone()),
        )?
        .build()
        .await?;
    tokio::spawn(dbus::forward_jobs(conn.clone(), job_events));
    tokio::spawn(reply::forget_gone_clients(conn.clone()));
    daemon.adopt_running().await;
    daemon.remove_leftovers().await;
    conn.request_name(leovms_api::BUS_NAME).await?;
    tokio::spawn(dbus::forward_mount_changes(
        conn.clone(),
        daemon.share.clone(),
        daemon.settings.data.clone(),
    ));
    tracing::info!(
        "leovmsd {} serving {} (share: {})",
        env!("CARGO_PKG_VERSION"),
        leovms_api::BUS_NAME,
        daemon.settings.data.display()
    );
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    // The stream ends when the bus goes away (the session ended) and yields when another
    // daemon took the name over: either way this one has nothing left to do.
    let name_lost = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .sender("org.freedesktop.DBus")?
        .interface("org.freedesktop.DBus")?
        .member("NameLost")?
        .build();
    let mut lost = zbus::MessageStream::for_match_rule(name_lost, &conn, None).await?;
    let idle = daemon.settings.idle_exit();
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
        _ = lost.next() => tracing::info!("the session bus is gone or the name was taken over"),
        _ = idle::until_idle(&conn, &daemon.jobs, idle) => {
            tracing::info!("idle for {} s: exiting; the next call starts leovmsd again", idle.as_secs());
            // Give the name back first: a call arriving now activates a new daemon
            // instead of reaching one that is about to exit.
            let _ = conn.release_name(leovms_api::BUS_NAME).await;
        }
    }
    // Running VMs live in their own process groups and keep running.
    tracing::info!("leovmsd stops; running VMs go on");
    Ok(())
}
