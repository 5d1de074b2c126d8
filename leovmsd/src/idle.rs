//! Exit when idle: a per-user daemon should not sit in every session all day. D-Bus
//! activation starts it again on the next call, so exiting costs a user nothing.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;

use crate::jobs::Jobs;

/// Returns once nobody has called the daemon for `idle`, no job has ended within `idle`
/// and no job runs (a running VM keeps its start job alive). Never returns for a zero
/// `idle`, nor when the connection's message stream ends (the caller watches the bus).
pub async fn until_idle(conn: &zbus::Connection, jobs: &Jobs, idle: Duration) {
    if idle.is_zero() {
        return std::future::pending().await;
    }
    // Every message to this connection; method calls (and property reads) are activity.
    let mut messages = zbus::MessageStream::from(conn);
    let mut last_call = Instant::now();
    loop {
        let deadline = last_call.max(Instant::from_std(jobs.last_end())) + idle;
        tokio::select! {
            msg = messages.next() => match msg {
                Some(Ok(m)) if m.message_type() == zbus::message::Type::MethodCall => {
                    last_call = Instant::now();
                }
                Some(_) => {}
                None => return std::future::pending().await,
            },
            _ = tokio::time::sleep_until(deadline) => {
                if jobs.busy() {
                    tracing::debug!("idle time reached, but a job or VM runs: staying");
                    last_call = Instant::now();
                } else if Instant::from_std(jobs.last_end()) + idle <= Instant::now() {
                    return;
                }
            }
        }
    }
}
