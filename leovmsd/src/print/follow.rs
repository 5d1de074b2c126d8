//! Watching the print file while the VM runs. A document counts as complete when the VM
//! has closed the file after writing it, nothing changed for [`SETTLE`], and it looks
//! like a finished PDF (`%PDF-` at the start, `%%EOF` at the end). Windows' PDF printers
//! write in chunks and may pause; only the close, the quiet moment and the end marker
//! together say that the last chunk has come.

use std::sync::Arc;
use std::time::Duration;

use leovms_api::ErrorKind;
use leovms_image::dirfd::Meta;
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::said::NotPrinted;
use super::spool::{Doc, Spool};
use super::{PrintPlan, Printing, Taken};
use crate::blocking::blocking;
use crate::error::{Error, Result};
use crate::job::Job;

/// No change for this long after the VM closed the file: the document is complete.
const SETTLE: Duration = Duration::from_secs(2);
/// A closed file that still has no PDF end after this long will not get one.
const UNFINISHED: Duration = Duration::from_secs(30);

/// What the folder's notifications said about the print file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Change {
    /// Written to (or created, or moved there): the VM is at it.
    Written,
    /// Closed after writing.
    Closed,
    /// Anything else (a removal, a rename away, new attributes).
    Other,
}

/// The document the VM is writing now.
struct Receiving {
    job: Arc<Job>,
    hand_over: oneshot::Sender<Result<Doc>>,
    seen: Meta,
    /// The VM closed the file after its last write.
    closed: bool,
    /// The job says that the VM is still writing.
    told_waiting: bool,
    changed_at: Instant,
}

/// Starts following the print file: notifications first, then a first look (a
/// document an earlier daemon saw being written may be complete by now), so that
/// everything written from the return on is seen.
pub(super) async fn start(
    printing: Arc<Printing>,
    plan: Arc<PrintPlan>,
    spool: Arc<Spool>,
) -> Result<Following> {
    let (watcher, changes) = notifications(&plan)?;
    let mut follower = Follower {
        printing,
        plan,
        spool,
        now: None,
    };
    follower.look(Change::Closed, false).await;
    Ok(Following {
        _watcher: watcher,
        changes,
        follower,
    })
}

/// A print file being followed.
pub(super) struct Following {
    _watcher: notify::RecommendedWatcher,
    changes: mpsc::UnboundedReceiver<Change>,
    follower: Follower,
}

/// Follows the print file until `stop`; each document goes to its own job.
pub(super) async fn follow(mut following: Following, mut stop: oneshot::Receiver<()>) {
    let (changes, follower) = (&mut following.changes, &mut following.follower);
    loop {
        let next = follower.next_look();
        tokio::select! {
            change = changes.recv() => match change {
                Some(mut change) => {
                    // A large document comes as many writes: one look for all that came.
                    while let Ok(more) = changes.try_recv() {
                        if more != Change::Other {
                            change = more;
                        }
                    }
                    follower.look(change, false).await;
                }
                None => break,
            },
            _ = sleep_until(next), if next.is_some() => follower.look(Change::Other, false).await,
            _ = &mut stop => {
                // The VM is gone: nothing more will be written.
                follower.look(Change::Closed, true).await;
                break;
            }
        }
    }
}

struct Follower {
    printing: Arc<Printing>,
    plan: Arc<PrintPlan>,
    spool: Arc<Spool>,
    now: Option<Receiving>,
}

impl Follower {
    /// When to look again without a notification: when the quiet time after the last
    /// change is over (to take the document, or to tell that the VM still writes), or
    /// when an unfinished document is given up.
    fn next_look(&self) -> Option<Instant> {
        let r = self.now.as_ref()?;
        let settled = r.changed_at + SETTLE;
        if !r.closed {
            return (!r.told_waiting).then_some(settled);
        }
        Some(if Instant::now() < settled {
            settled
        } else {
            r.changed_at + UNFINISHED
        })
    }

    /// Looks at the print file after `change`; `last`: the VM has ended.
    async fn look(&mut self, change: Change, last: bool) {
        let Some(meta) = self.read("look at", Spool::look).await else {
            return;
        };
        // Only a regular file written since the VM started is its document.
        let Some(meta) = meta.filter(|m| m.is_file() && written_at(m) >= self.plan.since) else {
            if let Some(gone) = self.now.take() {
                let e = Error::new(
                    ErrorKind::Canceled,
                    format!(
                        "{} removed the document before it was complete.",
                        self.plan.name
                    ),
                );
                let _ = gone.hand_over.send(Err(e));
            }
            return;
        };
        if self.now.is_none() {
            let (hand_over, coming) = oneshot::channel();
            let taken = Taken::Coming(coming);
            let Some(job) = self.printing.launch(&self.plan, &self.spool, taken).await else {
                return;
            };
            self.now = Some(Receiving {
                job,
                hand_over,
                seen: meta,
                closed: change != Change::Written,
                told_waiting: false,
                changed_at: Instant::now(),
            });
        }
        let r = self.now.as_mut().expect("set above");
        match change {
            Change::Written => r.closed = false,
            Change::Closed => r.closed = true,
            Change::Other => {}
        }
        if !same(&meta, &r.seen) {
            r.seen = meta;
            r.changed_at = Instant::now();
        }
        r.job.set_total(meta.size);
        r.job.set_done(meta.size);
        let settled = Instant::now() >= r.changed_at + SETTLE;
        if !last && !r.closed {
            if settled && !r.told_waiting {
                // Quiet, but still open: a PDF printer between two chunks.
                r.told_waiting = true;
                let vm = &self.plan.name;
                let message = format!("Waiting for {vm} to finish writing the document");
                r.job
                    .doing(&message, "doing-wait-for-document", &[("vm", vm)]);
            }
            return;
        }
        if last || settled {
            self.decide(last).await;
        }
    }

    /// `f` of the print file on the blocking pool; `None` (logged) when it fails.
    async fn read<T: Send + 'static>(
        &self,
        what: &str,
        f: fn(&Spool) -> std::io::Result<T>,
    ) -> Option<T> {
        let spool = self.spool.clone();
        match blocking(move || Ok(f(&spool))).await {
            Ok(Ok(found)) => Some(found),
            Ok(Err(e)) => {
                tracing::warn!(vm = %self.plan.vm, "cannot {what} the print file: {e}");
                None
            }
            Err(_) => None,
        }
    }

    /// The file is closed and quiet (or the VM has ended): take it, set it aside, or
    /// wait for its end a little longer.
    async fn decide(&mut self, last: bool) {
        let Some(ends) = self.read("read", Spool::read_ends).await else {
            return;
        };
        let r = self.now.as_ref().expect("decided while receiving");
        let verdict = if ends.meta.size > self.plan.max_bytes {
            Verdict::Aside(NotPrinted::TooLarge {
                size: ends.meta.size,
                limit: self.plan.max_bytes,
            })
        } else if !ends.header {
            Verdict::Aside(NotPrinted::NotPdf {
                file: self.plan.file.display().to_string(),
            })
        } else if ends.end {
            Verdict::Take
        } else if last || Instant::now() >= r.changed_at + UNFINISHED {
            Verdict::Aside(NotPrinted::Unfinished)
        } else {
            return;
        };
        let mut r = self.now.take().expect("decided while receiving");
        let spool = self.spool.clone();
        let seen = ends.meta;
        let result = match verdict {
            // A canceled job's document is kept, not printed.
            Verdict::Take if r.job.is_active() => {
                match blocking(move || Ok(spool.claim(&seen))).await {
                    Ok(Ok(doc)) => Ok(doc),
                    // The VM began writing again: the next notification looks anew.
                    Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
                        tracing::debug!(vm = %self.plan.vm, "not taken yet: {e}");
                        r.changed_at = Instant::now();
                        self.now = Some(r);
                        return;
                    }
                    Ok(Err(e)) => Err(Error::io("the print file", &e)),
                    Err(e) => Err(e),
                }
            }
            Verdict::Take => {
                blocking(move || {
                    spool
                        .set_aside_file()
                        .map_err(|e| Error::io("the print file", &e))?;
                    Err(Error::canceled())
                })
                .await
            }
            Verdict::Aside(why) => {
                let plan = self.plan.clone();
                blocking(move || {
                    let kept = spool
                        .set_aside_file()
                        .map_err(|e| Error::io("the print file", &e))?;
                    Err(why.error(&plan.name, &kept))
                })
                .await
            }
        };
        if let Err(e) = &result
            && e.kind == ErrorKind::Io
        {
            tracing::warn!(vm = %self.plan.vm, "{}", e.message);
        }
        let _ = r.hand_over.send(result);
    }
}

enum Verdict {
    Take,
    Aside(NotPrinted),
}

/// The same file with the same size and time: nothing was written since.
fn same(a: &Meta, b: &Meta) -> bool {
    a.same(b) && a.size == b.size && written_at(a) == written_at(b)
}

/// The last write, in nanoseconds since 1970.
fn written_at(m: &Meta) -> u128 {
    (m.modified.max(0) as u128) * 1_000_000_000 + u128::from(m.modified_nsec)
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The folder's notifications about the print file, as [`Change`]s.
fn notifications(
    plan: &PrintPlan,
) -> Result<(notify::RecommendedWatcher, mpsc::UnboundedReceiver<Change>)> {
    let (folder, name) = match (plan.file.parent(), plan.file.file_name()) {
        (Some(folder), Some(name)) => (folder.to_path_buf(), name.to_owned()),
        _ => return Err(Error::invalid("the print file has no folder")),
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(event) = res else { return };
        if !event.paths.iter().any(|p| p.file_name() == Some(&name)) {
            return;
        }
        let change = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => Change::Closed,
            EventKind::Access(_) => return,
            EventKind::Create(_) | EventKind::Modify(notify::event::ModifyKind::Data(_)) => {
                Change::Written
            }
            _ => Change::Other,
        };
        let _ = tx.send(change);
    })
    .map_err(|e| Error::internal(format!("cannot watch {}: {e}", folder.display())))?;
    watcher
        .watch(&folder, RecursiveMode::NonRecursive)
        .map_err(|e| Error::internal(format!("cannot watch {}: {e}", folder.display())))?;
    Ok((watcher, rx))
}
