//! `leovms-store-call`: one call to the store service (`org.leovms.Store1` on the system
//! bus) as the user running it, for the tests of what each user of a PC may do.
//!
//! ```text
//! leovms-store-call add-base FILE SHA256 SIZE UNPACKED [--cancel]
//! leovms-store-call base SHA256 | lease SHA256 PID | prune | entries
//! leovms-store-call pin SHA256 [--all] | unpin SHA256 [--all]
//! leovms-store-call prewarm [--cancel] | readiness
//! ```
//!
//! Prints one JSON line per progress signal (`{"progress":["fetch",done,total]}`), then
//! `{"ok":…}` or `{"error":"Integrity","message":"…"}`; exits 0 or 1. `--cancel`
//! withdraws the request at its first progress signal.

use std::os::unix::fs::OpenOptionsExt;

use leovms_api::Error;
use leovms_api::store::{
    StoreJobEvent, StoreJobProxy, StoreJobs, StoreProxy, subscribe_store_jobs,
};
use serde_json::{Value, json};
use zbus::zvariant::{Fd, OwnedObjectPath};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match call(&args).await {
        Ok(value) => json!({ "ok": value }),
        Err(e) => json!({
            "error": e.kind().map_or("Transport", |k| k.as_str()),
            "message": e.message(),
        }),
    };
    println!("{out}");
    std::process::exit(if out.get("ok").is_some() { 0 } else { 1 });
}

async fn call(args: &[String]) -> Result<Value, Error> {
    let conn = zbus::Connection::system().await?;
    let store = StoreProxy::new(&conn).await?;
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_default();
    let number = |i: usize| arg(i).parse::<u64>().expect("a number");
    let all = args.iter().any(|a| a == "--all");
    Ok(match arg(0) {
        "add-base" => {
            // Non-blocking, so that a FIFO opens without a writer (the service must refuse it).
            let file = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
                .open(arg(1))
                .expect("the archive opens");
            let mut jobs = subscribe_store_jobs(&conn).await?;
            let path = store
                .add_base(Fd::from(&file), arg(2), number(3), number(4))
                .await?;
            follow(&conn, &mut jobs, path, args).await?
        }
        "prewarm" => {
            let mut jobs = subscribe_store_jobs(&conn).await?;
            let path = store.prewarm().await?;
            follow(&conn, &mut jobs, path, args).await?
        }
        "readiness" => json!(store.readiness().await?),
        "base" => json!(store.base(arg(1)).await?),
        "lease" => {
            let pid = rustix::process::Pid::from_raw(number(2) as i32).expect("a pid");
            let pidfd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
                .expect("the process runs");
            store.lease(arg(1), Fd::from(&pidfd)).await?;
            Value::Null
        }
        "pin" => {
            store.pin(arg(1), all).await?;
            Value::Null
        }
        "unpin" => {
            store.unpin(arg(1), all).await?;
            Value::Null
        }
        "prune" => json!(store.prune().await?),
        "entries" => json!(store.entries().await?),
        other => panic!("unknown command {other:?}"),
    })
}

/// Prints the job's progress until it ends; its result, or its error. `--cancel`
/// withdraws the request at the first progress signal.
async fn follow(
    conn: &zbus::Connection,
    jobs: &mut StoreJobs,
    path: OwnedObjectPath,
    args: &[String],
) -> Result<Value, Error> {
    let mut cancel = args.iter().any(|a| a == "--cancel");
    loop {
        match jobs.next(path.as_str()).await {
            Some(StoreJobEvent::Progress { phase, done, total }) => {
                println!("{}", json!({ "progress": [phase.as_str(), done, total] }));
                if std::mem::take(&mut cancel) {
                    StoreJobProxy::builder(conn)
                        .path(path.clone())?
                        .build()
                        .await?
                        .cancel()
                        .await?;
                }
            }
            Some(StoreJobEvent::Done(base)) => return Ok(json!(base)),
            Some(StoreJobEvent::Failed(e)) => return Err(e),
            None => {
                return Err(Error::new(
                    leovms_api::ErrorKind::Internal,
                    "the bus connection ended",
                ));
            }
        }
    }
}
