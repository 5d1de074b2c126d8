//! Following a job (`start`, `sync`, `verify`, `watch`): signals first, then properties,
//! then render.

use leovms_api::client::{JobEnd, JobEvent, JobEvents, JobStatus};
use leovms_api::{JobKind, JobState, Leovms, Phase};
use tokio::signal::unix::{Signal, SignalKind, signal};
use zbus::Connection;
use zbus::zvariant::OwnedObjectPath;

use crate::exit::{CliError, no_such_job};
use crate::l10n::fl;
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
        view.notice(&fl!("follow-joined", kind = kind.as_str()));
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
            view.line(&fl!("follow-running", name = name));
            Ok(())
        }
        Outcome::Interrupted => {
            results.push(result);
            if events.progress().phase == Phase::Running {
                let name = display_name(conn, &vm).await;
                say_err!(
                    "{}",
                    fl!("follow-keeps-running", name = name, vm = vm.as_str())
                );
            } else {
                let kind = kind.as_str();
                say_err!(
                    "{}",
                    fl!("follow-goes-on", kind = kind, job = number.as_str())
                );
            }
            Err(CliError::Interrupted)
        }
        Outcome::Finished(end) => {
            // `--json` keeps the daemon's own words.
            result.state = end.state;
            result.phase = Phase::Ended;
            result.error_id.clone_from(&end.error_id);
            result.message.clone_from(&end.message);
            results.push(result);
            match end.state {
                JobState::Done => {
                    let name = display_name(conn, &vm).await;
                    let said = (!end.message.is_empty()).then(|| end.explain());
                    view.line(&done_line(kind, &name, said.as_deref()));
                    Ok(())
                }
                _ => Err(CliError::from_job(&end)),
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
                view.notice(&fl!("follow-waiting", name = name));
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
                return Err(CliError::Lost(fl!("follow-daemon-stopped")));
            }
            JobEvent::Lost => {
                return Err(CliError::Lost(fl!("follow-connection-lost")));
            }
            JobEvent::Bad(e) => return Err(e.into()),
        }
    }
}

/// What the bar says before the phase: the VM of a sync, since `sync` follows several
/// jobs in a row, and the VM a printed document comes from (nobody asked for that job, so
/// nothing else names it). A start names its VM at the end instead.
fn bar_label(kind: JobKind, vm: &str) -> &str {
    match kind {
        JobKind::Sync | JobKind::Print => vm,
        _ => "",
    }
}

/// The last line of a job that ended well. The daemon's message (`said`, in the user's
/// language) says best what a sync, a check of the cache or a print job did (on which
/// printer the document came out); a start's job ends when its VM has been powered off.
fn done_line(kind: JobKind, name: &str, said: Option<&str>) -> String {
    match (kind, said) {
        (JobKind::Start, _) => fl!("stop-done", vm = name),
        (_, Some(said)) => said.to_string(),
        (JobKind::Sync, None) => fl!("follow-synced", name = name),
        (JobKind::Verify, None) => fl!("follow-checked"),
        (JobKind::Print, None) => fl!("follow-printed", name = name),
        _ => fl!("follow-done"),
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
            done_line(JobKind::Start, "Windows 10", Some("ignored")),
            "Windows 10 has been powered off."
        );
    }

    #[test]
    fn finished_sync_and_verify_say_what_the_daemon_did() {
        let ready = "vm-demo is ready for offline use (0.35 GB in /var/cache/leovms).";
        assert_eq!(done_line(JobKind::Sync, "Demo", Some(ready)), ready);
        assert_eq!(
            done_line(JobKind::Sync, "Demo Linux", None),
            "Demo Linux is ready for offline use."
        );
        let checked = "3 archives checked, 1 damaged archive removed: vm-demo base.";
        assert_eq!(done_line(JobKind::Verify, "", Some(checked)), checked);
        assert_eq!(
            done_line(JobKind::Verify, "", None),
            "The cache has been checked."
        );
        assert_eq!(done_line(JobKind::Upload, "x", None), "Done.");
    }

    #[test]
    fn a_printed_document_says_where_it_came_out() {
        let printed = "The document from Windows 10 was printed on test.";
        assert_eq!(
            done_line(JobKind::Print, "Windows 10", Some(printed)),
            printed
        );
        assert_eq!(
            done_line(JobKind::Print, "Windows 10", None),
            "The document from Windows 10 has been printed."
        );
    }

    #[test]
    fn jobs_are_named_for_people() {
        let joined = |kind| fl!("follow-joined", kind = JobKind::as_str(kind));
        for (kind, said) in [
            (JobKind::Start, "Joined the start already in progress."),
            (JobKind::Sync, "Joined the sync already in progress."),
            (
                JobKind::Verify,
                "Joined the check of the cache already in progress.",
            ),
            (JobKind::Print, "Joined the print job already in progress."),
            (JobKind::Unknown, "Joined the job already in progress."),
        ] {
            assert_eq!(joined(kind), said);
        }
        assert_eq!(bar_label(JobKind::Sync, "vm-demo"), "vm-demo");
        assert_eq!(bar_label(JobKind::Print, "vm-win10"), "vm-win10");
        assert_eq!(bar_label(JobKind::Start, "vm-demo"), "");
    }
}
