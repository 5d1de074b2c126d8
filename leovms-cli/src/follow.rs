//! Following a job (`start`, `sync`, `verify`, `watch`): signals first, then properties,
//! then render.

use leovms_api::client::{JobEnd, JobEvent, JobEvents, JobStatus};
use leovms_api::{JobKind, JobState, Leovms, Phase};
use tokio::signal::unix::{Signal, SignalKind, signal};
use zbus::Connection;
use zbus::zvariant::OwnedObjectPath;

use crate::exit::{CliError, no_such_job};
use crate::output::{job_number, print_json};
use crate::view::{JobResult, View};
use leovms_api::is_unknown_object;

pub struct FollowOptions {
    /// Wait until the job finishes (the VM powered off), not just until it runs.
    pub wait: bool,
    pub json: bool,
    /// The job is the answer to this command's own call: say when the daemon handed out
    /// one that another call had started.
    pub requested: bool,
}

/// How following ended.
enum Outcome {
    /// The VM runs and the caller did not ask to wait.
    Running,
    Finished(JobEnd),
    Interrupted,
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
    let unknown = |e: zbus::Error| {
        if is_unknown_object(&e) {
            no_such_job(&number)
        } else {
            e.into()
        }
    };
    let job = Leovms::new(conn).await?.job(path.clone()).await?;
    // Ctrl-C is ours from here on: it stops following, never the job.
    let mut sigint = signal(SignalKind::interrupt()).map_err(|e| CliError::Other(e.to_string()))?;
    let mut events = job.follow().await.map_err(unknown)?;
    let JobStatus { kind, vm, end, .. } = events.status.clone();

    let mut view = View::new(opts.json, bar_label(kind, &vm));
    if opts.requested && job.joined().await {
        view.notice(&format!(
            "Joined the {} already in progress.",
            job_noun(kind)
        ));
    }
    let outcome = match end {
        None => {
            view.show(&events.progress());
            let outcome = watch(conn, &vm, &opts, &mut events, &mut sigint, &mut view).await;
            view.clear();
            outcome?
        }
        Some(end) => Outcome::Finished(end),
    };
    let mut result = JobResult {
        job: path.to_string(),
        state: JobState::Active,
        phase: events.progress().phase,
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
            if events.progress().phase == Phase::Running {
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
        Outcome::Finished(JobEnd {
            state,
            error_id,
            message,
        }) => {
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
    events: &mut JobEvents,
    sigint: &mut Signal,
    view: &mut View,
) -> Result<Outcome, CliError> {
    let mut announced_running = false;
    loop {
        if events.progress().phase == Phase::Running {
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
            event = events.next() => event,
            _ = sigint.recv() => return Ok(Outcome::Interrupted),
        };
        match event {
            // Only newer progress arrives here (see `JobEvents::next`).
            JobEvent::Progress(now) => view.show(&now),
            JobEvent::Finished(end) => return Ok(Outcome::Finished(end)),
            JobEvent::DaemonGone => {
                return Err(CliError::Lost(
                    "leovmsd stopped while following the job.".into(),
                ));
            }
            JobEvent::Lost => {
                return Err(CliError::Lost("The connection to leovmsd was lost.".into()));
            }
            JobEvent::Bad(e) => return Err(e.into()),
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
        let leovms = Leovms::new(conn).await.ok()?;
        let machines = leovms.manager().list_machines().await.ok()?;
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
