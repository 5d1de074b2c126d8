//! Whether the share is mounted and answers, without ever hanging the caller.
//!
//! A read of a network mount whose server is gone can block for minutes, and a thread
//! blocked there may never come back. So every probe runs on a thread of its own that is
//! never joined, the caller waits at most the timeout, and a `Prober` never has more than
//! one probe out: while one is stuck, asking again answers at once from that fact.

mod table;

mod classify;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_samba;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use leovms_api::ShareState;
use tokio::sync::watch;

use classify::{Found, Hint, Outcome, Place, classify, probe_path, timed_out};

pub use table::watch_mount_table;

/// Where `leovms-upload` is mounted when nothing else is said (next to the data share).
pub const DEFAULT_UPLOAD_DIR: &str = "/media/leovms/upload";

/// The outcome of one check, in words a student can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareStatus {
    pub state: ShareState,
    /// The folder that was checked.
    pub path: PathBuf,
    /// Type of the mount holding the path (`cifs`, `fuse.smbnetfs`…); empty when not mounted.
    pub fstype: String,
    /// What is mounted there (`//server/leovms-data`); empty when not mounted.
    pub source: String,
    /// What was found, in plain words.
    pub reason: String,
    /// What the user can do about it; empty when all is well.
    pub hint: String,
    /// The id and values of the reason's sentence and the hint's word (`hint`).
    pub detail: leovms_api::Detail,
}

/// The filesystem work of one probe; a function pointer so tests can stand in a slow one.
type ProbeFn = fn(&Path) -> Outcome;

/// The probe that is out (or was last), shared by every check that waits for it.
struct Flight {
    started: Instant,
    result: watch::Receiver<Option<Outcome>>,
}

impl Flight {
    fn finished(&self) -> bool {
        // A closed sender without a value means the thread is gone: done as well.
        self.result.borrow().is_some() || self.result.has_changed().is_err()
    }
}

/// Checks one path, e.g. the mount point of `leovms-data`.
pub struct Prober {
    /// How messages name the share, e.g. "VM share".
    name: &'static str,
    path: PathBuf,
    timeout: Duration,
    probe: ProbeFn,
    flight: Mutex<Option<Flight>>,
}

impl Prober {
    pub fn new(path: PathBuf, timeout: Duration) -> Prober {
        Prober::with_probe(path, timeout, probe_path)
    }

    pub(crate) fn with_probe(path: PathBuf, timeout: Duration, probe: ProbeFn) -> Prober {
        // Compared with the mount table as written; `absolute` does not touch the disk.
        let path = std::path::absolute(&path).unwrap_or(path);
        Prober {
            name: "VM share",
            path,
            timeout,
            probe,
            flight: Mutex::new(None),
        }
    }

    /// How messages name the share (default "VM share").
    pub fn named(mut self, name: &'static str) -> Prober {
        self.name = name;
        self
    }

    /// Checks the path; returns within the timeout, whatever the share does.
    pub async fn check(&self) -> ShareStatus {
        let place = match table::mounts() {
            Ok(entries) => Place::of(&entries, &self.path),
            Err(e) => {
                let reason = format!("The mount table cannot be read ({e}).");
                let values: [(&str, &dyn std::fmt::Display); 1] = [("error", &e)];
                let found = self.found(
                    ShareState::Unreadable,
                    reason,
                    Hint::None,
                    "mount-table-unreadable",
                    &values,
                );
                return self.status(&Place::default(), found);
            }
        };
        // Nothing mounted: the probe only looks at a local folder, which cannot hang, so
        // a probe still stuck in a mount that has gone since is not waited for.
        let (mut result, deadline) = match self.join_or_start(!place.mounted()) {
            Ok(Some(flight)) => flight,
            Ok(None) => return self.not_answering(&place, "an earlier check is still waiting"),
            Err(e) => {
                let reason = format!("The VM share cannot be checked ({e}).");
                let values: [(&str, &dyn std::fmt::Display); 1] = [("error", &e)];
                let found = self.found(
                    ShareState::Unreadable,
                    reason,
                    Hint::Relogin,
                    "share-unchecked",
                    &values,
                );
                return self.status(&place, found);
            }
        };
        let waited = tokio::time::timeout_at(deadline.into(), result.wait_for(|r| r.is_some()));
        match waited.await {
            Ok(Ok(outcome)) => {
                let outcome = outcome.clone().expect("waited for a value");
                self.classify(&place, outcome)
            }
            Ok(Err(_)) => self.classify(&place, Outcome::Failed("the check ended early".into())),
            Err(_) => self.not_answering(&place, "no answer in time"),
        }
    }

    /// The probe to wait for and until when: a running one that is not overdue is
    /// joined, none starts a new one, an overdue one gives `None` (answer at once).
    /// `local` always starts a new probe.
    #[allow(clippy::type_complexity)]
    fn join_or_start(
        &self,
        local: bool,
    ) -> io::Result<Option<(watch::Receiver<Option<Outcome>>, Instant)>> {
        let mut flight = self.flight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(out) = flight.as_ref().filter(|f| !local && !f.finished()) {
            let deadline = out.started + self.timeout;
            if Instant::now() >= deadline {
                return Ok(None);
            }
            return Ok(Some((out.result.clone(), deadline)));
        }
        let (tx, rx) = watch::channel(None);
        let (path, probe) = (self.path.clone(), self.probe);
        // Deliberately detached and never joined: it may block forever in the kernel.
        std::thread::Builder::new()
            .name("leovms-probe".into())
            .spawn(move || {
                let _ = tx.send(Some(probe(&path)));
            })?;
        let started = Instant::now();
        *flight = Some(Flight {
            started,
            result: rx.clone(),
        });
        Ok(Some((rx, started + self.timeout)))
    }

    fn classify(&self, place: &Place, outcome: Outcome) -> ShareStatus {
        let found = classify(self.name, &self.path, place, &outcome);
        self.status(place, found)
    }

    fn not_answering(&self, place: &Place, detail: &str) -> ShareStatus {
        let found = timed_out(self.name, place, detail);
        self.status(place, found)
    }

    fn found(
        &self,
        state: ShareState,
        reason: String,
        hint: Hint,
        id: &str,
        values: &[(&str, &dyn std::fmt::Display)],
    ) -> Found {
        Found::new(state, reason, hint, self.name, id, values)
    }

    fn status(&self, place: &Place, found: Found) -> ShareStatus {
        let state = found.state;
        let shown = state != ShareState::NotMounted;
        ShareStatus {
            state,
            path: self.path.clone(),
            fstype: if shown {
                place.fstype.clone()
            } else {
                String::new()
            },
            source: if shown {
                place.source.clone()
            } else {
                String::new()
            },
            reason: found.reason,
            hint: found.hint.text().to_owned(),
            detail: found.detail,
        }
    }
}
