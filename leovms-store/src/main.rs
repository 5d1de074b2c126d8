//! `leovms-stored`: the PC's store service, `org.leovms.Store1` on the system bus. It runs
//! as its own system user, started by the bus when first asked, and ends when idle.
//! Content enters only through a descriptor a user's daemon hands over, published under
//! a hash only when every byte matched it.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

mod service;

/// Where the store lives and which settings file counts. Only the service's unit sets
/// these (tests use other folders); no caller of the service can.
const DEFAULT_ROOT: &str = "/var/cache/leovms-store";
const DEFAULT_CONF: &str = "/etc/leovms/store.toml";
/// How long the service waits with nothing to do before it ends; the bus starts it again.
const IDLE_EXIT: Duration = Duration::from_secs(120);

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
    let from_env = |key: &str, default: &str| {
        std::env::var_os(key).map_or_else(|| PathBuf::from(default), PathBuf::from)
    };
    let settings = service::Settings {
        root: from_env("LEOVMS_STORE_ROOT", DEFAULT_ROOT),
        conf: from_env("LEOVMS_STORE_CONF", DEFAULT_CONF),
        idle_exit: IDLE_EXIT,
    };
    if let Err(e) = service::serve(settings).await {
        tracing::error!("{e}");
        std::process::exit(1);
    }
}
