//! The writer thread: receives decompressed buffers and writes them (see `sparse`),
//! so decompression continues while data goes to the disk. When a file has to be
//! written through the page cache, a helper thread flushes it every
//! [`FLUSH_EVERY`] bytes, so the disk works meanwhile and the final `fsync` only
//! waits for the tail. A complete file is made durable at once and its descriptor
//! dropped: an archive of many small files never holds many files open.

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use super::sparse::{AlignedBuf, write_sparse};

/// Buffers queued ahead of the writer: enough to even out stretches that are hard
/// to decompress against stretches that are slow to write.
const QUEUE: usize = 16;
/// Bytes written through the page cache between two background flushes.
const FLUSH_EVERY: u64 = 128 << 20;

/// A temporary file being filled; closed when the last job holding it is done.
#[derive(Debug)]
pub(super) struct Output {
    pub file: File,
    /// Shown in error messages (the final name: that is what the user knows).
    pub path: PathBuf,
    /// Opened with `O_DIRECT` (and not yet fallen back to buffered writes).
    pub direct: AtomicBool,
}

impl Output {
    pub fn new(file: File, path: PathBuf, direct: bool) -> Self {
        Self {
            file,
            path,
            direct: AtomicBool::new(direct),
        }
    }
}

pub(super) enum Job {
    /// The first `len` bytes of `buf` belong at `offset`.
    Write {
        out: Arc<Output>,
        offset: u64,
        buf: AlignedBuf,
        len: usize,
    },
    /// The file is complete: give it its size (a trailing hole has no data to write)
    /// and make it durable.
    Finish { out: Arc<Output>, size: u64 },
}

type WriteResult = Result<(), (PathBuf, io::Error)>;

/// Handle of the writer thread, used by the decompressing side.
pub(super) struct Writer {
    jobs: Option<SyncSender<Job>>,
    pool: Receiver<AlignedBuf>,
    thread: Option<JoinHandle<WriteResult>>,
}

/// The writer thread has stopped after an error; [`Writer::finish`] tells which.
#[derive(Debug)]
pub(super) struct WriterGone;

impl Writer {
    pub fn spawn() -> io::Result<Self> {
        let (jobs, rx) = mpsc::sync_channel(QUEUE);
        let (pool_tx, pool) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("leovms-write".into())
            .spawn(move || run(rx, pool_tx))?;
        Ok(Self {
            jobs: Some(jobs),
            pool,
            thread: Some(thread),
        })
    }

    /// A buffer, recycled when possible.
    pub fn buffer(&self) -> AlignedBuf {
        self.pool.try_recv().unwrap_or_else(|_| AlignedBuf::new())
    }

    pub fn send(&self, job: Job) -> Result<(), WriterGone> {
        match &self.jobs {
            Some(jobs) => jobs.send(job).map_err(|_| WriterGone),
            None => Err(WriterGone),
        }
    }

    /// Waits until everything queued is written; returns the first write error.
    pub fn finish(&mut self) -> WriteResult {
        self.jobs = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err((PathBuf::new(), io::Error::other("the writer thread failed"))),
            None => Ok(()),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

fn run(jobs: Receiver<Job>, pool: Sender<AlignedBuf>) -> WriteResult {
    let (flush_tx, flush_rx) = mpsc::sync_channel::<Arc<Output>>(1);
    let flusher = std::thread::Builder::new()
        .name("leovms-flush".into())
        .spawn(move || flush(flush_rx))
        .map_err(|e| (PathBuf::new(), e))?;
    let mut unflushed = 0u64;
    let mut result = Ok(());
    for job in jobs {
        let (out, step) = match job {
            Job::Write {
                out,
                offset,
                mut buf,
                len,
            } => {
                let step = write_sparse(&out, offset, &mut buf, len);
                let _ = pool.send(buf);
                unflushed += len as u64;
                (out, step)
            }
            Job::Finish { out, size } => {
                unflushed = 0;
                let step = out.file.set_len(size).and_then(|()| out.file.sync_all());
                if let Err(e) = step {
                    result = Err((out.path.clone(), e));
                    break;
                }
                // Dropping `out` closes the file (unless the flusher still has it).
                continue;
            }
        };
        if let Err(e) = step {
            result = Err((out.path.clone(), e));
            break;
        }
        // Direct writes are on the disk already. A busy flusher gets the next request.
        if unflushed >= FLUSH_EVERY
            && !out.direct.load(Ordering::Relaxed)
            && flush_tx.try_send(out).is_ok()
        {
            unflushed = 0;
        }
    }
    drop(flush_tx);
    // The kernel reports a write-back error to one `fsync` only: when the flusher's
    // got it, the final one above did not.
    match flusher.join() {
        Ok(Some(failed)) if result.is_ok() => Err(failed),
        Err(_) if result.is_ok() => Err((PathBuf::new(), io::Error::other("a flush failed"))),
        _ => result,
    }
}

/// Starts write-back early; `fdatasync` blocks this thread only. Returns the first
/// failure.
fn flush(requests: Receiver<Arc<Output>>) -> Option<(PathBuf, io::Error)> {
    let mut failed = None;
    for out in requests {
        if let Err(e) = out.file.sync_data() {
            failed.get_or_insert((out.path.clone(), e));
        }
    }
    failed
}
