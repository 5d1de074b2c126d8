//! Following a job (`start`, `sync`, `verify`, `watch`): signals first, then properties,
//! then render.

use futures_util::future::ready;
use futures_util::{Stream, StreamExt, stream};
use leovms_api::{JobKind, JobProxy, JobState, ManagerProxy, Phase};
use tokio::signal::unix::{Signal, SignalKind, signal};
use zbus::Connection;
use zbus::proxy::CacheProperties;
use zbus::zvariant::OwnedObjectPath;

use crate::exit::{CliError, no_such_job};
use crate::output::{job_number, print_json};
use crate::view::{JobResult, Progress, View};
use leovms_api::is_unknown_object;

pub struct FollowOptions {
    /// Wait until the job finishes (the VM powered off), not just until it runs.
    pub wait: bool,
    pub json: bool,
    /// The daemon handed out a job that was already under way: say so.
    pub joined: bool,
}

/// How following ended.
enum Outcome {
    /// The VM runs and the caller did not ask to wait.
    Running,
    Finished {
        state: JobState,
        error_id: String,
        message: String,
    },
    Interrupted,
}

/// What can happen while a job is followed, merged from its signals and its owner's changes.
enum Event {
    Progress(Progress),
    Finished {
        state: JobState,
        error_id: String,
        message: String,
    },
    /// The daemon left the bus.
    OwnerGone,
    /// A stream ended: the connection to the bus is gone.
    Lost,
    /// A signal whose arguments could not be read.
    Bad(zbus::Error),
}

/// The active jobs, taken before a call that may join one of them: a fast daemon is past
/// `plan` before we look, so only this list tells a joined job from a new one.
pub async fn active_jobs(mgr: &ManagerProxy<'_>) -> Vec<OwnedObjectPath> {
    mgr.list_jobs()
        .await
        .map(|jobs| {
            jobs.into_iter()
                .filter(|j| j.state == JobState::Active)
                .map(|j| j.path)
                .collect()
        })
        .unwrap_or_default()
}

/// Follows one job; with `--json` its result object is printed at the end.
pub async fn follow(
    conn: &Connection,
    path: OwnedObjectPath,
    opts: FollowOptions,
) -> Result<(), CliError> {
    let json = opts.json;
    let mut results = Vec::new();
    let outcome = follow_into(conn, path, opts, &mut results).await;
    if let (true, Some(result)) = (json, results.first()) {
        // Printing to stdout cannot fail in a way worth reporting over the job's result.
        let _ = print_json(result);
    }
    outcome
}

/// Follows one job and adds its result object to `results` (for `--json`) once the job
/// could be read, also when it failed; the caller prints them.
pub async fn follow_into(
    conn: &Connection,
    path: OwnedObjectPath,
    opts: FollowOptions,
    results: &mut Vec<JobResult>,
) -> Result<(), CliError> {
    let number = job_number(path.as_str()).to_string();
    let job = JobProxy::builder(conn)
        .path(path.clone())?
        .cache_properties(CacheProperties::No)
        .build()
        .await?;
    // Ctrl-C is ours from here on: it stops following, never the job.
    let mut sigint = signal(SignalKind::interrupt()).map_err(|e| CliError::Other(e.to_string()))?;
    // Subscribed before any property is read, so nothing in between is missed.
    let progress = job.receive_progress().await?.map(|sig| match sig.args() {
        Ok(a) => Event::Progress(Progress {
            phase: a.phase,
            done: a.bytes_done,
            total: a.bytes_total,
            rate: a.rate,
            eta: a.eta_seconds,
        }),
        Err(e) => Event::Bad(e),
    });
    let finished = job.receive_finished().await?.map(|sig| match sig.args() {
        Ok(a) => Event::Finished {
            state: a.state,
            error_id: a.error_id.to_string(),
            message: a.message.to_string(),
        },
        Err(e) => Event::Bad(e),
    });
    let owner = job
        .inner()
        .receive_owner_changed()
        .await?
        .filter_map(|owner| ready(owner.is_none().then_some(Event::OwnerGone)));
    let lost = || stream::iter([Event::Lost]);
    let mut events = stream::select(
        stream::select(progress.chain(lost()), finished.chain(lost())),
        owner.chain(lost()),
    );

    let kind = job.kind().await.map_err(|e| {
        if is_unknown_object(&e) {
            no_such_job(&number)
        } else {
            e.into()
        }
    })?;
    let vm = job.vm().await?;
    let mut now = Progress {
        phase: job.phase().await?,
        done: job.bytes_done().await?,
        total: job.bytes_total().await?,
        rate: job.rate().await?,
        eta: job.eta_seconds().await?,
    };
    let state = job.state().await?;

    let mut view = View::new(opts.json, bar_label(kind, &vm));
    if opts.joined {
        view.notice(&format!(
            "Joined the {} already in progress.",
            job_noun(kind)
        ));
    }
    let outcome = if state == JobState::Active {
        view.show(&now);
        let outcome = watch(
            conn,
            &vm,
            &opts,
            &mut events,
            &mut sigint,
            &mut now,
            &mut view,
        )
        .await;
        view.clear();
        outcome?
    } else {
        Outcome::Finished {
            state,
            error_id: job.error_id().await?,
            message: job.message().await?,
        }
    };
    let mut result = JobResult {
        job: path.to_string(),
        state: JobState::Active,
        phase: now.phase,
        error_id: String::new(),
        message: String::new(),
    };
    match outcome {
        Outcome::Running => {
            results.push(result);
            let name = display_name(conn, &vm).await;
            view.line(&format!("{name} is running."));
            Ok(())
        }
        Outcome::Interrupted => {
            results.push(result);
            if now.phase == Phase::Running {
                let name = display_name(conn, &vm).await;
                say_err!("{name} keeps running. Stop it with: leovms-cli stop {vm}");
            } else {
                say_err!(
                    "The {} goes on in the background. Cancel it with: leovms-cli cancel {number}",
                    job_noun(kind)
                );
            }
            Err(CliError::Interrupted)
        }
        Outcome::Finished {
            state,
            error_id,
            message,
        } => {
            result.state = state;
            result.phase = Phase::Ended;
            result.error_id.clone_from(&error_id);
            result.message.clone_from(&message);
            results.push(result);
            match state {
                JobState::Done => {
                    let name = display_name(conn, &vm).await;
                    view.line(&done_line(kind, &name, &message));
                    Ok(())
                }
                st => Err(CliError::from_job(
                    &error_id,
                    &message,
                    st == JobState::Canceled,
                )),
            }
        }
    }
}

/// Shows progress of an active job until it runs (or finishes, with `--wait`) or Ctrl-C.
async fn watch(
    conn: &Connection,
    vm: &str,
    opts: &FollowOptions,
    events: &mut (impl Stream<Item = Event> + Unpin),
    sigint: &mut Signal,
    now: &mut Progress,
    view: &mut View,
) -> Result<Outcome, CliError> {
    let mut announced_running = false;
    loop {
        if now.phase == Phase::Running {
            if !opts.wait {
                return Ok(Outcome::Running);
            }
            if !announced_running {
                announced_running = true;
                let name = display_name(conn, vm).await;
                view.notice(&format!(
                    "{name} is running. Waiting until it is powered off."
                ));
            }
        }
        let event = tokio::select! {
            event = events.next() => event.unwrap_or(Event::Lost),
            _ = sigint.recv() => return Ok(Outcome::Interrupted),
        };
        match event {
            Event::Progress(next) => {
                // Signals queued before the properties were read may be older than them;
                // a phase this client does not know never replaces one it knows.
                let known = |p: Phase| (p != Phase::Unknown).then_some(p);
                if known(next.phase) >= known(now.phase) && next.phase != Phase::Ended {
                    *now = next;
                    view.show(now);
                }
            }
            Event::Finished {
                state,
                error_id,
                message,
            } => {
                return Ok(Outcome::Finished {
                    state,
                    error_id,
                    message,
                });
            }
            Event::OwnerGone => {
                return Err(CliError::Lost(
                    "leovmsd stopped while following the job.".into(),
                ));
            }
            Event::Lost => {
                return Err(CliError::Lost("The connection to leovmsd was lost.".into()));
            }
            Event::Bad(e) => return Err(e.into()),
        }
    }
}

/// The job kind in a sentence: "Joined the … already in progress", "The … goes on".
fn job_noun(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Verify => "check of the cache",
        JobKind::Unknown => "job",
        other => other.as_str(),
    }
}

/// What the bar says before the phase: the VM of a sync, since `sync` follows several
/// jobs in a row. A start names its VM at the end instead.
fn bar_label(kind: JobKind, vm: &str) -> &str {
    if kind == JobKind::Sync { vm } else { "" }
}

/// The last line of a job that ended well. The daemon's message says best what a sync or
/// a check of the cache did; a start's job ends when its VM has been powered off.
fn done_line(kind: JobKind, name: &str, message: &str) -> String {
    match kind {
        JobKind::Start => format!("{name} has been powered off."),
        _ if !message.is_empty() => message.to_string(),
        JobKind::Sync => format!("{name} is ready for offline use."),
        JobKind::Verify => "The cache has been checked.".to_string(),
        _ => "Done.".to_string(),
    }
}

/// The display name of `vm` for messages; its id when the daemon cannot tell.
async fn display_name(conn: &Connection, vm: &str) -> String {
    if vm.is_empty() {
        return String::new();
    }
    let lookup = async {
        let mgr = ManagerProxy::builder(conn)
            .cache_properties(CacheProperties::No)
            .build()
            .await
            .ok()?;
        let machines = mgr.list_machines().await.ok()?;
        machines.into_iter().find(|m| m.id == vm).map(|m| m.name)
    };
    lookup
        .await
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| vm.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_start_says_powered_off() {
        assert_eq!(
            done_line(JobKind::Start, "Windows 10", "ignored"),
            "Windows 10 has been powered off."
        );
    }

    #[test]
    fn finished_sync_and_verify_say_what_the_daemon_did() {
        let ready = "vm-demo is ready for offline use (0.35 GB in /var/cache/leovms).";
        assert_eq!(done_line(JobKind::Sync, "Demo", ready), ready);
        assert_eq!(
            done_line(JobKind::Sync, "Demo Linux", ""),
            "Demo Linux is ready for offline use."
        );
        let checked = "3 archives checked, 1 damaged archive removed: vm-demo base.";
        assert_eq!(done_line(JobKind::Verify, "", checked), checked);
        assert_eq!(
            done_line(JobKind::Verify, "", ""),
            "The cache has been checked."
        );
        assert_eq!(done_line(JobKind::Upload, "x", ""), "Done.");
    }

    #[test]
    fn jobs_are_named_for_people() {
        assert_eq!(job_noun(JobKind::Start), "start");
        assert_eq!(job_noun(JobKind::Sync), "sync");
        assert_eq!(job_noun(JobKind::Verify), "check of the cache");
        assert_eq!(bar_label(JobKind::Sync, "vm-demo"), "vm-demo");
        assert_eq!(bar_label(JobKind::Start, "vm-demo"), "");
    }
}
