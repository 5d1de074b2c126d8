//! `prewarm`: the PC's store (`org.leovms.Store1` on the system bus) fetches, verifies and
//! keeps the VMs the school lists in `presync` (the share's leovms-client.conf), then the
//! command says which of them are ready. Answered by the store service, not by leovmsd.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use clap::Args;
use leovms_api::store::{
    StoreJobEvent, StoreJobProxy, StoreJobs, StoreProxy, VmReadiness, subscribe_store_jobs,
};
use leovms_api::{ErrorKind, Phase, is_unknown_object};
use leovms_l10n::i18n_embed::fluent::FluentLanguageLoader;
use serde::Serialize;
use tokio::signal::unix::{Signal, SignalKind, signal};
use zbus::Connection;
use zbus::zvariant::OwnedObjectPath;

use crate::exit::CliError;
use crate::l10n::{LOADER, fl};
use crate::output::{print_json, printable_line};
use crate::store::unreachable;
use crate::view::{Progress, View};

#[derive(Debug, Args)]
pub struct PrewarmArgs {
    /// Only say which VMs are ready, without fetching anything
    #[arg(long)]
    check: bool,
}

/// How the command ended, as `--json` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum EndState {
    Done,
    Failed,
    Canceled,
    /// `--check`: nothing was fetched.
    Checked,
}

/// What `--json` prints at the end.
#[derive(Debug, Serialize)]
struct Report<'a> {
    vms: Vec<VmLine<'a>>,
    state: EndState,
}

#[derive(Debug, Serialize)]
struct VmLine<'a> {
    vm: &'a str,
    ready: bool,
    problem: &'a str,
}

/// How the store's job ended.
enum JobEnd {
    Done,
    Canceled,
    Failed(leovms_api::Error),
}

pub async fn run(args: PrewarmArgs, json: bool) -> Result<(), CliError> {
    let conn = Connection::system().await.map_err(unreachable)?;
    let store = StoreProxy::new(&conn).await.map_err(unreachable)?;
    let answered = if args.check {
        match store.readiness().await {
            Ok(vms) => finish(EndState::Checked, &vms, json),
            Err(e) => Err(e.into()),
        }
    } else {
        prewarm(&conn, &store, json).await
    };
    answered.map_err(|e| match e {
        // Not "leovmsd is not running": the store has a bus and a name of its own.
        CliError::Unreachable(why) => unreachable(why),
        e => e,
    })
}

async fn prewarm(conn: &Connection, store: &StoreProxy<'_>, json: bool) -> Result<(), CliError> {
    // Ctrl-C is ours before the job exists, so that it withdraws the request instead of
    // ending the command with the job going on.
    let mut sigint = signal(SignalKind::interrupt()).map_err(|e| CliError::Other(e.to_string()))?;
    // The job's signals may come right after the call returns.
    let mut jobs = subscribe_store_jobs(conn).await?;
    let path = store.prewarm().await?;
    let end = follow(conn, &mut jobs, &path, &mut sigint, json).await?;
    let vms = match store.readiness().await {
        Ok(vms) => vms,
        // Why the job failed says more than that the share cannot be read afterwards
        // (the usual case: the share is not mounted).
        Err(e) => {
            return Err(match end {
                JobEnd::Failed(job) => job.into(),
                _ => e.into(),
            });
        }
    };
    let state = match end {
        JobEnd::Done => EndState::Done,
        JobEnd::Canceled => EndState::Canceled,
        JobEnd::Failed(_) => EndState::Failed,
    };
    finish(state, &vms, json)
}

/// Shows the job's progress until it ended. The first Ctrl-C withdraws the request and
/// waits for the end; a second one stops waiting.
async fn follow(
    conn: &Connection,
    jobs: &mut StoreJobs,
    path: &OwnedObjectPath,
    sigint: &mut Signal,
    json: bool,
) -> Result<JobEnd, CliError> {
    let mut view = View::new(json, "");
    // The store reads `presync` and the manifests first.
    view.show(&Progress {
        phase: Phase::Plan,
        done: 0,
        total: 0,
        rate: 0,
        eta: -1,
    });
    let mut meter = Meter::default();
    let mut canceling = false;
    let end = loop {
        let event = tokio::select! {
            event = jobs.next(path.as_str()) => event,
            _ = sigint.recv() => {
                if canceling {
                    view.clear();
                    return Err(CliError::Interrupted);
                }
                canceling = true;
                view.notice(&fl!("prewarm-canceling"));
                withdraw(conn, path, &view).await;
                continue;
            }
        };
        match event {
            Some(StoreJobEvent::Progress { phase, done, total }) => {
                view.show(&meter.progress(phase, done, total, Instant::now()));
            }
            Some(StoreJobEvent::Done(_)) => break JobEnd::Done,
            Some(StoreJobEvent::Failed(e)) if e.kind() == Some(ErrorKind::Canceled) => {
                break JobEnd::Canceled;
            }
            Some(StoreJobEvent::Failed(e)) => break JobEnd::Failed(e),
            None => {
                view.clear();
                return Err(CliError::Lost(fl!("prewarm-connection-lost")));
            }
        }
    };
    view.clear();
    Ok(end)
}

/// Withdraws this user's request; the job ends when nobody else asked for it too.
async fn withdraw(conn: &Connection, path: &OwnedObjectPath, view: &View) {
    let canceled = async {
        let job = StoreJobProxy::builder(conn)
            .path(path.clone())?
            .build()
            .await?;
        job.cancel().await
    };
    match canceled.await {
        Ok(()) => {}
        // The job ended meanwhile: its end is on its way.
        Err(leovms_api::Error::ZBus(z)) if is_unknown_object(&z) => {}
        Err(e) => view.notice(&CliError::from(e).to_string()),
    }
}

/// The lines or the JSON object, then the result: every VM ready, or not.
fn finish(state: EndState, vms: &[VmReadiness], json: bool) -> Result<(), CliError> {
    if json {
        print_json(&report(state, vms))?;
    } else {
        say_raw!("{}", readiness_text(&LOADER, vms));
    }
    verdict(state, vms)
}

fn report(state: EndState, vms: &[VmReadiness]) -> Report<'_> {
    let vms = vms
        .iter()
        .map(|(vm, ready, problem)| VmLine {
            vm,
            ready: *ready,
            problem,
        })
        .collect();
    Report { vms, state }
}

/// One line per VM, `vm-win10   ready`, the ids padded to one width; without VMs, that
/// the school lists none.
fn readiness_text(loader: &FluentLanguageLoader, vms: &[VmReadiness]) -> String {
    if vms.is_empty() {
        return format!("{}\n", leovms_l10n::fl!(loader, "prewarm-none-listed"));
    }
    let width = vms
        .iter()
        .map(|(vm, ..)| printable_line(vm).chars().count())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (vm, ready, problem) in vms {
        let said = match (ready, problem.is_empty()) {
            (true, _) => leovms_l10n::fl!(loader, "prewarm-ready"),
            (false, true) => leovms_l10n::fl!(loader, "prewarm-not-ready"),
            (false, false) => leovms_l10n::fl!(
                loader,
                "prewarm-not-ready-why",
                problem = printable_line(problem).into_owned()
            ),
        };
        let vm = printable_line(vm);
        let pad = width - vm.chars().count();
        text.push_str(&format!("{vm}{:pad$}  {said}\n", ""));
    }
    text
}

/// Exit 0 when every VM is ready; a canceled pre-warm exits as a canceled job does.
fn verdict(state: EndState, vms: &[VmReadiness]) -> Result<(), CliError> {
    if state == EndState::Canceled {
        return Err(CliError::Daemon {
            kind: Some(ErrorKind::Canceled),
            message: fl!("prewarm-canceled"),
        });
    }
    let not_ready = vms.iter().filter(|(_, ready, _)| !ready).count();
    if not_ready == 0 {
        return Ok(());
    }
    Err(CliError::Other(fl!(
        "prewarm-not-all-ready",
        count = not_ready,
        total = vms.len()
    )))
}

/// How much of the recent past the rate is measured over.
const RATE_WINDOW: Duration = Duration::from_secs(3);

/// Rate and time left, measured here: the store's signals carry only the bytes. They count
/// the whole pre-warm, so the rate goes on across phases.
#[derive(Debug, Default)]
struct Meter {
    /// `(time, bytes done)`, oldest first.
    samples: VecDeque<(Instant, u64)>,
}

impl Meter {
    fn progress(&mut self, phase: Phase, done: u64, total: u64, now: Instant) -> Progress {
        if self
            .samples
            .back()
            .is_some_and(|&(_, before)| before > done)
        {
            // A count that went back is a new one: the old samples say nothing about it.
            self.samples.clear();
        }
        self.samples.push_back((now, done));
        while self.samples.len() > 2
            && self
                .samples
                .front()
                .is_some_and(|&(t, _)| now.duration_since(t) > RATE_WINDOW)
        {
            self.samples.pop_front();
        }
        let rate = match (self.samples.front(), self.samples.back()) {
            (Some(&(t0, b0)), Some(&(t1, b1))) if t1 > t0 => {
                ((b1 - b0) as f64 / t1.duration_since(t0).as_secs_f64()) as u64
            }
            _ => 0,
        };
        let eta = match (rate, total.checked_sub(done)) {
            (1.., Some(left)) => i64::try_from(left / rate).unwrap_or(i64::MAX),
            _ => -1,
        };
        Progress {
            phase,
            done,
            total,
            rate,
            eta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::l10n::Catalogs;
    use clap::Parser;
    use leovms_l10n::{Lang, loader_in};

    fn vms() -> Vec<VmReadiness> {
        vec![
            ("vm-win10".into(), true, String::new()),
            (
                "vm-debian".into(),
                false,
                "Not fetched yet: base.tar.zst.".into(),
            ),
        ]
    }

    #[test]
    fn readiness_lines_in_english_and_german() {
        let en = loader_in(Lang::En, "leovms-cli", &Catalogs);
        assert_eq!(
            readiness_text(&en, &vms()),
            "vm-win10   ready\nvm-debian  not ready: Not fetched yet: base.tar.zst.\n"
        );
        let de = loader_in(Lang::De, "leovms-cli", &Catalogs);
        assert_eq!(
            readiness_text(&de, &vms()),
            "vm-win10   bereit\nvm-debian  nicht bereit: Not fetched yet: base.tar.zst.\n"
        );
        let unexplained = [("vm-a".into(), false, String::new())];
        assert_eq!(readiness_text(&de, &unexplained), "vm-a  nicht bereit\n");
    }

    #[test]
    fn an_empty_presync_is_named() {
        let en = loader_in(Lang::En, "leovms-cli", &Catalogs);
        assert_eq!(
            readiness_text(&en, &[]),
            "The school lists no VMs to pre-warm (presync in leovms-client.conf).\n"
        );
        let de = loader_in(Lang::De, "leovms-cli", &Catalogs);
        assert_eq!(
            readiness_text(&de, &[]),
            "Die Schule hat keine VMs zum Vorabladen eingetragen (presync in leovms-client.conf).\n"
        );
        assert!(verdict(EndState::Done, &[]).is_ok());
    }

    #[test]
    fn a_hostile_problem_stays_on_its_line() {
        let en = loader_in(Lang::En, "leovms-cli", &Catalogs);
        let text = readiness_text(&en, &[("vm-x".into(), false, "a\nb\x1b[2J".into())]);
        assert_eq!(text, "vm-x  not ready: a\\u{a}b\\u{1b}[2J\n");
    }

    #[test]
    fn json_has_the_vms_and_how_it_ended() {
        let value = serde_json::to_value(report(EndState::Done, &vms())).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "vms": [
                    {"vm": "vm-win10", "ready": true, "problem": ""},
                    {"vm": "vm-debian", "ready": false, "problem": "Not fetched yet: base.tar.zst."},
                ],
                "state": "done",
            })
        );
        for (state, word) in [
            (EndState::Failed, "failed"),
            (EndState::Canceled, "canceled"),
            (EndState::Checked, "checked"),
        ] {
            let value = serde_json::to_value(report(state, &[])).unwrap();
            assert_eq!(value, serde_json::json!({"vms": [], "state": word}));
        }
    }

    #[test]
    fn exit_codes_follow_readiness() {
        let ready = [("vm-win10".into(), true, String::new())];
        assert!(verdict(EndState::Checked, &ready).is_ok());
        assert!(verdict(EndState::Failed, &ready).is_ok());
        let e = verdict(EndState::Done, &vms()).unwrap_err();
        assert_eq!(e.code(), 1);
        assert_eq!(e.to_string(), "1 of 2 VMs is not ready.");
        let e = verdict(EndState::Checked, &[vms()[1].clone(), vms()[1].clone()]).unwrap_err();
        assert_eq!(e.to_string(), "2 of 2 VMs are not ready.");
        let e = verdict(EndState::Canceled, &ready).unwrap_err();
        assert_eq!(e.code(), 10);
        assert_eq!(e.to_string(), "The pre-warm was canceled.");
    }

    #[test]
    fn rate_and_time_left_over_the_whole_prewarm() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut meter = Meter::default();
        let first = meter.progress(Phase::Fetch, 0, 1_000, at(0));
        assert_eq!((first.rate, first.eta), (0, -1));
        let p = meter.progress(Phase::Fetch, 200, 1_000, at(1));
        assert_eq!((p.rate, p.eta), (200, 4));
        // The next phase goes on counting the same bytes.
        let p = meter.progress(Phase::UnpackBase, 400, 1_000, at(2));
        assert_eq!((p.phase, p.rate, p.eta), (Phase::UnpackBase, 200, 3));
        // A count that went back starts over.
        let p = meter.progress(Phase::Fetch, 10, 1_000, at(3));
        assert_eq!((p.rate, p.eta), (0, -1));

        // Only the recent past counts: a faster stretch shows at once.
        let mut meter = Meter::default();
        for s in 0..5 {
            meter.progress(Phase::Fetch, s * 100, 2_200, at(s));
        }
        let p = meter.progress(Phase::Fetch, 1_400, 2_200, at(5));
        assert_eq!((p.rate, p.eta), (400, 2));
    }

    #[test]
    fn check_and_json_parse() {
        let cli = crate::Cli::try_parse_from(["leovms-cli", "prewarm", "--check", "--json"])
            .expect("parses");
        assert!(cli.json);
        let crate::Command::Prewarm(args) = cli.command else {
            panic!("not prewarm")
        };
        assert!(args.check);
        let cli = crate::Cli::try_parse_from(["leovms-cli", "prewarm"]).expect("parses");
        let crate::Command::Prewarm(args) = cli.command else {
            panic!("not prewarm")
        };
        assert!(!args.check);
    }
}
