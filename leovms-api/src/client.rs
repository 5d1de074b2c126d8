//! The client side, shared by `leovms-cli` and `leovms-tray`: the daemon reached through
//! one connection, and a handle per job that turns the job's signals and properties into
//! one ordered stream (subscribed first, read after, so nothing is missed), in the manner
//! of ashpd's `Request`. Wording stays in the clients: this layer hands out typed values.

use std::pin::Pin;

use futures_util::future::ready;
use futures_util::{Stream, StreamExt, stream};
use zbus::Connection;
use zbus::proxy::CacheProperties;
use zbus::zvariant::OwnedObjectPath;

use crate::{Error, JobKind, JobProxy, JobState, ManagerProxy, Phase};
use crate::{dbus_error_name, is_unreachable_name};

/// The daemon, as one client sees it.
#[derive(Clone)]
pub struct Leovms {
    manager: ManagerProxy<'static>,
}

impl Leovms {
    /// Uncached: a cached proxy would read every property at once, and so wake a daemon
    /// that sleeps.
    pub async fn new(conn: &Connection) -> zbus::Result<Leovms> {
        let manager = ManagerProxy::builder(conn)
            .cache_properties(CacheProperties::No)
            .build()
            .await?;
        Ok(Leovms { manager })
    }

    /// Asks the daemon for the detail of its error replies on this connection, so that
    /// refusals are worded in the user's language: once when a client connects, and again
    /// after the daemon was restarted (it remembers this per daemon). A daemon that cannot
    /// be reached, or is too old, is told nothing here: the next real call reports it.
    pub async fn enable_detail(&self) {
        let _ = self.manager.enable_error_detail().await;
    }

    pub fn manager(&self) -> &ManagerProxy<'static> {
        &self.manager
    }

    pub fn connection(&self) -> &Connection {
        self.manager.inner().connection()
    }

    /// A job by its path, e.g. the answer of `Start`.
    pub async fn job(&self, path: OwnedObjectPath) -> zbus::Result<JobHandle> {
        let proxy = JobProxy::builder(self.connection())
            .path(path)?
            .cache_properties(CacheProperties::No)
            .build()
            .await?;
        Ok(JobHandle { proxy })
    }
}

/// Nobody answers for the daemon's name: not installed, cannot be started, or the bus is
/// gone.
pub fn is_unreachable(e: &zbus::Error) -> bool {
    match dbus_error_name(e) {
        Some(name) => is_unreachable_name(&name),
        None => matches!(
            e,
            zbus::Error::InputOutput(_) | zbus::Error::Address(_) | zbus::Error::Handshake(_)
        ),
    }
}

/// Where a job stands: phase and bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
    /// Bytes per second; 0 while unknown.
    pub rate: u64,
    /// Seconds left; negative while unknown.
    pub eta: i64,
}

impl Progress {
    /// Whether `next` may replace `self`: signals sent before the properties were read
    /// may be older than them, and a phase this client does not know (a newer daemon's)
    /// never replaces one it knows.
    pub fn is_overtaken_by(&self, next: &Progress) -> bool {
        let known = |p: Phase| (p != Phase::Unknown).then_some(p);
        known(next.phase) >= known(self.phase) && next.phase != Phase::Ended
    }
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEnd {
    pub state: JobState,
    /// A full error name (`org.leovms.Error.NoSpace`) or empty.
    pub error_id: String,
    pub message: String,
    /// The failure's named values (see [`crate::Detail`]).
    pub detail: crate::Detail,
}

impl JobEnd {
    /// How the job ended, for the person at the screen, in their language: a failure as
    /// [`crate::explain`] says it, a job that went well as [`crate::outcome`] does (or as
    /// the daemon wrote it, when this client has no words for it).
    pub fn explain(&self) -> String {
        crate::explain::job(self.state, &self.error_id, &self.message, &self.detail)
    }
}

/// A job as first read, right after subscribing (its progress is
/// [`JobEvents::progress`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    pub kind: JobKind,
    pub vm: String,
    /// `Some` when the job had ended already.
    pub end: Option<JobEnd>,
}

/// What happens to a followed job, in order.
#[derive(Debug)]
pub enum JobEvent {
    /// Newer progress (older or unknown phases are left out).
    Progress(Progress),
    Finished(JobEnd),
    /// The daemon left the bus.
    DaemonGone,
    /// The connection to the bus is gone.
    Lost,
    /// A signal whose arguments could not be read.
    Bad(zbus::Error),
}

/// One job of the daemon.
pub struct JobHandle {
    proxy: JobProxy<'static>,
}

type Events = Pin<Box<dyn Stream<Item = JobEvent> + Send>>;

/// A followed job: its status when subscribed, then [`JobEvents::next`] until it ends.
pub struct JobEvents {
    pub status: JobStatus,
    now: Progress,
    events: Events,
}

impl JobHandle {
    pub fn proxy(&self) -> &JobProxy<'static> {
        &self.proxy
    }

    /// Whether the daemon handed this client a job that another client's call had
    /// started (the job's `Requester`). A daemon older than `Requester` cannot tell: then
    /// the job counts as this client's own.
    pub async fn joined(&self) -> bool {
        let me = self.proxy.inner().connection().unique_name();
        match self.proxy.requester().await {
            Ok(requester) => me.is_none_or(|me| me.as_str() != requester),
            Err(_) => false,
        }
    }

    pub async fn cancel(&self) -> Result<(), Error> {
        self.proxy.cancel().await
    }

    /// Subscribes to the job's signals and to the daemon leaving the bus, then reads the
    /// job's properties: a change in between comes as an event.
    pub async fn follow(&self) -> zbus::Result<JobEvents> {
        let progress = self
            .proxy
            .receive_progress()
            .await?
            .map(|sig| match sig.args() {
                Ok(a) => JobEvent::Progress(Progress {
                    phase: a.phase,
                    done: a.bytes_done,
                    total: a.bytes_total,
                    rate: a.rate,
                    eta: a.eta_seconds,
                }),
                Err(e) => JobEvent::Bad(e),
            });
        let finished = self
            .proxy
            .receive_finished()
            .await?
            .map(|sig| match sig.args() {
                Ok(a) => JobEvent::Finished(JobEnd {
                    state: a.state,
                    error_id: a.error_id.to_string(),
                    message: a.message.to_string(),
                    detail: a.detail.clone(),
                }),
                Err(e) => JobEvent::Bad(e),
            });
        let owner = self
            .proxy
            .inner()
            .receive_owner_changed()
            .await?
            .filter_map(|owner| ready(owner.is_none().then_some(JobEvent::DaemonGone)));
        let lost = || stream::iter([JobEvent::Lost]);
        let events = stream::select(
            stream::select(progress.chain(lost()), finished.chain(lost())),
            owner.chain(lost()),
        );
        let p = &self.proxy;
        let now = Progress {
            phase: p.phase().await?,
            done: p.bytes_done().await?,
            total: p.bytes_total().await?,
            rate: p.rate().await?,
            eta: p.eta_seconds().await?,
        };
        let state = p.state().await?;
        let end = match state {
            JobState::Active => None,
            state => Some(JobEnd {
                state,
                error_id: p.error_id().await?,
                message: p.message().await?,
                detail: p.detail().await?,
            }),
        };
        let status = JobStatus {
            kind: p.kind().await?,
            vm: p.vm().await?,
            end,
        };
        Ok(JobEvents {
            status,
            now,
            events: Box::pin(events),
        })
    }

    /// Waits until the job's VM runs (`None`) or the job ends (`Some`): what a start's
    /// caller waits for.
    pub async fn until_running(&self) -> zbus::Result<Option<JobEnd>> {
        let mut events = self.follow().await?;
        if let Some(end) = events.status.end.take() {
            return Ok(Some(end));
        }
        loop {
            if events.progress().phase == Phase::Running {
                return Ok(None);
            }
            match events.next().await {
                JobEvent::Progress(_) => {}
                JobEvent::Finished(end) => return Ok(Some(end)),
                JobEvent::Bad(e) => return Err(e),
                JobEvent::DaemonGone | JobEvent::Lost => {
                    return Err(zbus::Error::InputOutput(std::sync::Arc::new(
                        std::io::Error::other("leovmsd left the bus"),
                    )));
                }
            }
        }
    }
}

impl JobEvents {
    /// The latest progress.
    pub fn progress(&self) -> Progress {
        self.now
    }

    /// The next event; progress only when it is newer than what is known.
    pub async fn next(&mut self) -> JobEvent {
        loop {
            match self.events.next().await.unwrap_or(JobEvent::Lost) {
                JobEvent::Progress(next) => {
                    if self.now.is_overtaken_by(&next) {
                        self.now = next;
                        return JobEvent::Progress(next);
                    }
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(phase: Phase) -> Progress {
        Progress {
            phase,
            done: 0,
            total: 0,
            rate: 0,
            eta: -1,
        }
    }

    #[test]
    fn progress_never_moves_back_nor_to_an_unknown_phase() {
        assert!(at(Phase::Fetch).is_overtaken_by(&at(Phase::Fetch)));
        assert!(at(Phase::Fetch).is_overtaken_by(&at(Phase::UnpackBase)));
        assert!(!at(Phase::UnpackBase).is_overtaken_by(&at(Phase::Fetch)));
        assert!(!at(Phase::Fetch).is_overtaken_by(&at(Phase::Unknown)));
        assert!(at(Phase::Unknown).is_overtaken_by(&at(Phase::Plan)));
        assert!(!at(Phase::Running).is_overtaken_by(&at(Phase::Ended)));
    }

    #[test]
    fn unreachable_is_a_missing_daemon_not_a_refusal() {
        let named = |name: &str| {
            zbus::Error::MethodError(
                zbus::names::OwnedErrorName::try_from(name).unwrap(),
                None,
                zbus::message::Message::method_call("/", "M")
                    .unwrap()
                    .build(&())
                    .unwrap(),
            )
        };
        assert!(is_unreachable(&named(
            "org.freedesktop.DBus.Error.ServiceUnknown"
        )));
        assert!(is_unreachable(&named(
            "org.freedesktop.DBus.Error.Spawn.ExecFailed"
        )));
        assert!(!is_unreachable(&named("org.leovms.Error.NoSpace")));
    }
}
