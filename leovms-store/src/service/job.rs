//! One request for a base, exported as `<STORE_JOBS_PATH>/<n>`: the archive is unpacked
//! from the handed-over descriptor and hashed while it is read, with progress signals
//! and one `Finished`. Users asking for the same base join the job; it is canceled only when
//! every one of them withdrew.

use std::collections::HashSet;
use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use leovms_api::{Error, ErrorKind, JobState, Phase};
use leovms_image::archive::Expected;
use tokio_util::sync::CancellationToken;
use zbus::interface;
use zbus::message::Header;
use zbus::object_server::SignalEmitter;

use super::caller::Caller;
use super::{State, store_error};

/// How often progress is sent at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// A handle: the object server holds one, the service's list of jobs another.
#[derive(Clone)]
pub struct StoreJob {
    pub cancel: CancellationToken,
    /// The uids whose requests this job serves.
    pub requesters: Arc<Mutex<HashSet<u32>>>,
}

#[interface(name = "org.leovms.StoreJob1")]
impl StoreJob {
    /// Withdraws the caller's request; the job stops when nobody else wants the base.
    async fn cancel(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
    ) -> Result<(), Error> {
        let caller = Caller::of(conn, &header).await?;
        if self.cancel.is_cancelled() {
            // Stopping already: asking again changes nothing.
            return Ok(());
        }
        let mut requesters = self.requesters.lock().expect("not poisoned");
        if !requesters.remove(&caller.uid) && caller.uid != 0 {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                "This is not your request.",
            ));
        }
        if requesters.is_empty() || caller.uid == 0 {
            self.cancel.cancel();
        }
        Ok(())
    }

    #[zbus(signal)]
    pub(super) async fn progress(
        emitter: &SignalEmitter<'_>,
        phase: Phase,
        bytes_done: u64,
        bytes_total: u64,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    pub(super) async fn finished(
        emitter: &SignalEmitter<'_>,
        state: JobState,
        error_id: &str,
        message: &str,
        base: &str,
    ) -> zbus::Result<()>;
}

/// Runs the job at `path` to its end, sends `Finished` and removes the job.
pub async fn run(
    state: Arc<State>,
    conn: zbus::Connection,
    path: String,
    job: StoreJob,
    file: File,
    expected: Expected,
) {
    let emitter = SignalEmitter::new(&conn, path.clone())
        .expect("a valid job path")
        .into_owned();
    let result = make_base(&state, &emitter, &job.cancel, file, &expected).await;
    let sha256 = hex::encode(expected.sha256);
    // No longer joinable before the end is sent: a request after this starts anew (and
    // finds the base made) instead of waiting for an end it would never see.
    state.job_ended(&expected.sha256);
    end(&emitter, &path, &format!("base {sha256}"), &result).await;
    remove(&conn, &path).await;
}

/// Sends the job's one `Finished`: done (with the base's folder, empty for a pre-warm),
/// canceled, or failed with its error.
pub(super) async fn end(
    emitter: &SignalEmitter<'_>,
    path: &str,
    what: &str,
    result: &Result<String, Error>,
) {
    let sent = match result {
        Ok(base) => {
            tracing::info!("{what}: done");
            StoreJob::finished(emitter, JobState::Done, "", "", base).await
        }
        Err(e) => {
            let kind = e.kind().unwrap_or(ErrorKind::Internal);
            tracing::warn!("{what}: {}", e.message());
            let finished = if kind == ErrorKind::Canceled {
                JobState::Canceled
            } else {
                JobState::Failed
            };
            StoreJob::finished(emitter, finished, &kind.dbus_name(), &e.message(), "").await
        }
    };
    if let Err(e) = sent {
        tracing::warn!("cannot send the end of {path}: {e}");
    }
}

/// Takes the ended job's object off the bus.
pub(super) async fn remove(conn: &zbus::Connection, path: &str) {
    let _ = conn.object_server().remove::<StoreJob, _>(path).await;
}

/// The base, unpacked straight from the handed-over archive (hashed while it is read,
/// never copied first); progress counts the archive's bytes.
async fn make_base(
    state: &State,
    emitter: &SignalEmitter<'static>,
    cancel: &CancellationToken,
    file: File,
    expected: &Expected,
) -> Result<String, Error> {
    if let Some(base) = state.store.base(&expected.sha256) {
        return Ok(base.display().to_string());
    }
    let done = Arc::new(AtomicU64::new(0));
    let reporter = report_progress(
        emitter.clone(),
        Phase::UnpackBase,
        done.clone(),
        expected.size,
    );
    send_phase(emitter, Phase::UnpackBase, 0, expected.size).await;
    let unpacked = |n: u64| done.store(n, Ordering::Relaxed);
    let base = state
        .store
        .add_base(file, expected, &unpacked, cancel)
        .await;
    reporter.abort();
    Ok(base.map_err(store_error)?.display().to_string())
}

pub(super) async fn send_phase(emitter: &SignalEmitter<'_>, phase: Phase, done: u64, total: u64) {
    let _ = StoreJob::progress(emitter, phase, done, total).await;
}

/// Sends the bytes done whenever they changed, a few times per second.
pub(super) fn report_progress(
    emitter: SignalEmitter<'static>,
    phase: Phase,
    done: Arc<AtomicU64>,
    total: u64,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut sent = 0;
        let mut ticks = tokio::time::interval(PROGRESS_EVERY);
        loop {
            ticks.tick().await;
            let now = done.load(Ordering::Relaxed);
            if now != sent {
                sent = now;
                let _ = StoreJob::progress(&emitter, phase, now, total).await;
            }
        }
    })
}
