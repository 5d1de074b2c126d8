//! `copy_verified`: starts the three threads and waits for their verdict, for
//! cancellation, or for a source that stopped delivering data.

use std::fs::File;
use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::hasher::Hasher;
use super::partial;
use super::pipe::{Msg, ReadState};
use super::reader::Reader;
use super::writer::Writer;
use super::{CopyError, CopyReport, Expected};
use crate::dirfd::Dir;

/// Minimum progress step reported to the caller.
const PROGRESS_STEP: u64 = 1 << 20;

/// Copies `src` to `dest` in the folder `dir`, checking size and sha256 while copying
/// (no second pass).
///
/// A regular source whose size differs from `expected.size` is refused before
/// anything is written (other sources, such as pipes, are judged at their end). The
/// bytes go into `partial` first (another name in `dir`); only a complete, verified,
/// fsynced copy is renamed to `dest` (then the folder is fsynced), with permissions
/// `mode`. When `partial` exists already and is not longer than `expected.size`, its
/// bytes are hashed (a local read) and the copy continues from there
/// ([`CopyReport::resumed`]); a longer one is discarded. A `partial` that is not a
/// regular file of the current user, or that has further names (hard links), is
/// removed. Every name is looked up relative to `dir`, symbolic links are never
/// followed, so `dir` may be a folder other users can write to.
///
/// `progress` receives the bytes of the final file done so far (resumed ones
/// included). When the source delivers nothing for `stall`, the copy ends with
/// [`CopyError::Stalled`]. After a cancellation, a stall or a read error the partial
/// copy stays for the next attempt; after an integrity failure or a full disk it is
/// removed. Nothing writes to `partial` any more once this function has returned
/// (when the future is dropped instead, the threads stop on their own shortly after).
#[allow(clippy::too_many_arguments)]
pub async fn copy_verified(
    src: &Path,
    expected: &Expected,
    dir: &Dir,
    partial: &str,
    dest: &str,
    mode: u32,
    stall: Duration,
    progress: &(dyn Fn(u64) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<CopyReport, CopyError> {
    let to = (dir, partial, dest, mode);
    copy(src, None, expected, to, stall, progress, cancel).await
}

/// [`copy_verified`] from a file that is open already, e.g. one another process handed
/// over: read through this descriptor only, never opened again by name (the reader may
/// not be allowed to). `label` names it in errors.
#[allow(clippy::too_many_arguments)]
pub async fn copy_verified_from(
    file: File,
    label: &Path,
    expected: &Expected,
    dir: &Dir,
    partial: &str,
    dest: &str,
    mode: u32,
    progress: &(dyn Fn(u64) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<CopyReport, CopyError> {
    let to = (dir, partial, dest, mode);
    // A local descriptor does not stall like a dead mount; a day bounds a stuck one.
    let stall = Duration::from_secs(24 * 3600);
    copy(label, Some(file), expected, to, stall, progress, cancel).await
}

/// Where a copy goes: the folder, the partial copy's name, the final name, the mode.
type Target<'a> = (&'a Dir, &'a str, &'a str, u32);

async fn copy(
    src: &Path,
    given: Option<File>,
    expected: &Expected,
    to: Target<'_>,
    stall: Duration,
    progress: &(dyn Fn(u64) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<CopyReport, CopyError> {
    let (dir, partial, dest, mode) = to;
    if cancel.is_cancelled() {
        return Err(CopyError::Canceled);
    }
    let stop = cancel.child_token();
    let (to_hasher, hasher_input) = std_mpsc::channel();
    let (to_writer, writer_input) = std_mpsc::channel();
    // Also stops the threads when this future is dropped.
    let stopper = Stopper {
        stop: stop.clone(),
        wake: [to_hasher.clone(), to_writer.clone()],
    };
    let (state_tx, state_rx) = watch::channel(ReadState {
        bytes: 0,
        waiting: true,
    });
    let (meta_tx, meta_rx) = oneshot::channel();
    let (start_tx, start_rx) = std_mpsc::sync_channel(1);
    let (free_tx, free_rx) = std_mpsc::channel();
    Reader {
        src: src.to_path_buf(),
        given,
        limit: expected.size,
        start: start_rx,
        free: free_rx,
        out: to_hasher,
        state: state_tx,
        stop: stop.clone(),
    }
    .spawn(meta_tx)
    .map_err(|e| CopyError::read(src, e))?;
    let stalled = stalled(state_rx, stall);
    tokio::pin!(stalled);
    let stalled_error = || CopyError::Stalled {
        path: src.to_path_buf(),
        secs: stall.as_secs() + u64::from(stall.subsec_nanos() > 0),
    };

    // The source must have the announced size before anything is written. The
    // length of a pipe or device says nothing; then only the end of the data counts.
    let meta = tokio::select! {
        biased;
        _ = cancel.cancelled() => return Err(CopyError::Canceled),
        _ = &mut stalled => return Err(stalled_error()),
        meta = meta_rx => meta,
    };
    let meta = meta
        .unwrap_or_else(|_| {
            Err(std::io::Error::other(
                "the reading thread stopped unexpectedly",
            ))
        })
        .map_err(|e| CopyError::read(src, e))?;
    if meta.regular && meta.len != expected.size {
        return Err(CopyError::Integrity {
            source_path: src.to_path_buf(),
            expected: format!("{} bytes", expected.size),
            found: format!("{} bytes", meta.len),
        });
    }

    let shown = dir.join(partial);
    let dir = dir
        .try_clone()
        .map_err(|e| CopyError::write(dir.path(), e))?;
    let (file, offset, dir) = {
        let (name, size) = (partial.to_owned(), expected.size);
        tokio::task::spawn_blocking(move || {
            partial::open(&dir, &name, size).map(|(file, offset)| (file, offset, dir))
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)))
        .map_err(|e| CopyError::write(&shown, e))?
    };
    let partial_path = &shown;
    let prefix = match offset {
        0 => None,
        _ => Some((
            file.try_clone()
                .map_err(|e| CopyError::write(partial_path, e))?,
            offset,
        )),
    };
    Hasher {
        prefix,
        input: hasher_input,
        out: to_writer,
        stop: stop.clone(),
    }
    .spawn()
    .map_err(|e| CopyError::write(partial_path, e))?;
    let (progress_tx, mut progress_rx) = watch::channel(offset);
    let (done_tx, mut done_rx) = oneshot::channel();
    Writer {
        file,
        offset,
        input: writer_input,
        free: free_tx,
        progress: progress_tx,
        stop,
        src: src.to_path_buf(),
        dir,
        partial: partial.to_owned(),
        dest: dest.to_owned(),
        expected: *expected,
        mode,
    }
    .spawn(done_tx)
    .map_err(|e| CopyError::write(partial_path, e))?;
    // The reader is waiting for exactly this message.
    let _ = start_tx.send(offset);
    if offset > 0 {
        progress(offset);
    }

    let mut reported = offset;
    let mut reporting = true;
    let mut interrupted = None;
    let done = loop {
        tokio::select! {
            biased;
            done = &mut done_rx => break done,
            _ = cancel.cancelled(), if interrupted.is_none() => {
                interrupted = Some(CopyError::Canceled);
                stopper.stop();
            }
            _ = &mut stalled, if interrupted.is_none() => {
                interrupted = Some(stalled_error());
                stopper.stop();
            }
            changed = progress_rx.changed(), if reporting => {
                // An error only means the writer has finished.
                reporting = changed.is_ok();
                let n = *progress_rx.borrow_and_update();
                if n >= reported + PROGRESS_STEP {
                    reported = n;
                    progress(n);
                }
            }
        }
    };
    // The writer has closed the partial copy by now.
    match done {
        Ok(Ok(())) => {
            if reported < expected.size {
                progress(expected.size);
            }
            Ok(CopyReport {
                bytes: expected.size,
                resumed: offset,
            })
        }
        Ok(Err(CopyError::Canceled)) => Err(interrupted.unwrap_or(CopyError::Canceled)),
        Ok(Err(e)) => Err(e),
        Err(_) => {
            let e = std::io::Error::other("the writing thread stopped unexpectedly");
            Err(CopyError::write(partial_path, e))
        }
    }
}

/// Resolves once the reader has waited `stall` for the source without receiving a
/// byte. Waiting for the other threads (a slow disk) does not count.
async fn stalled(mut state: watch::Receiver<ReadState>, stall: Duration) {
    loop {
        let waiting = state.borrow_and_update().waiting;
        let changed = if waiting {
            match tokio::time::timeout(stall, state.changed()).await {
                Ok(changed) => changed,
                Err(_) => return,
            }
        } else {
            state.changed().await
        };
        if changed.is_err() {
            // The reader has finished: it cannot stall any more.
            std::future::pending::<()>().await;
        }
    }
}

/// Tells the hasher and the writer to stop, also when the caller drops the future.
struct Stopper {
    stop: CancellationToken,
    wake: [std_mpsc::Sender<Msg>; 2],
}

impl Stopper {
    fn stop(&self) {
        self.stop.cancel();
        for thread in &self.wake {
            // A thread that has finished already does not need it.
            let _ = thread.send(Msg::Stop);
        }
    }
}

impl Drop for Stopper {
    fn drop(&mut self) {
        self.stop();
    }
}
