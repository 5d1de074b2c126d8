//! The writing side: a thread that writes decompressed data at its offset and skips
//! zero blocks, so the large unused areas of a disk image become holes. Writing on
//! its own thread lets decompression continue while the kernel copies pages.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

/// Granularity of hole detection; file systems allocate in blocks of at most this.
pub(super) const HOLE: usize = 64 << 10;
/// Decompressed bytes per write job (a multiple of [`HOLE`], so blocks stay aligned).
pub(super) const BUF: usize = 1 << 20;
/// Jobs queued ahead of the writer.
const QUEUE: usize = 4;

/// A temporary file being filled.
#[derive(Debug)]
pub(super) struct Output {
    pub file: File,
    /// Shown in error messages (the final name: that is what the user knows).
    pub path: PathBuf,
}

pub(super) enum Job {
    /// `buf[..len]` belongs at `offset`.
    Write {
        out: Arc<Output>,
        offset: u64,
        buf: Vec<u8>,
        len: usize,
    },
    /// The file is complete: give it its size (a trailing hole has no data to write).
    Finish { out: Arc<Output>, size: u64 },
}

/// Handle of the writer thread, used by the decompressing side.
pub(super) struct Writer {
    jobs: Option<SyncSender<Job>>,
    pool: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<Result<(), (PathBuf, io::Error)>>>,
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

    /// A buffer of [`BUF`] bytes, recycled when possible.
    pub fn buffer(&self) -> Vec<u8> {
        self.pool.try_recv().unwrap_or_else(|_| vec![0; BUF])
    }

    pub fn send(&self, job: Job) -> Result<(), WriterGone> {
        match &self.jobs {
            Some(jobs) => jobs.send(job).map_err(|_| WriterGone),
            None => Err(WriterGone),
        }
    }

    /// Waits until everything queued is written; returns the first write error.
    pub fn finish(&mut self) -> Result<(), (PathBuf, io::Error)> {
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

fn run(jobs: Receiver<Job>, pool: Sender<Vec<u8>>) -> Result<(), (PathBuf, io::Error)> {
    for job in jobs {
        match job {
            Job::Write {
                out,
                offset,
                buf,
                len,
            } => {
                write_sparse(&out.file, offset, &buf[..len]).map_err(|e| (out.path.clone(), e))?;
                let _ = pool.send(buf);
            }
            Job::Finish { out, size } => out.file.set_len(size).map_err(|e| (out.path.clone(), e))?,
        }
    }
    Ok(())
}

/// Writes `data` at `offset`, leaving [`HOLE`]-sized zero blocks unwritten.
/// `offset` must be a multiple of [`HOLE`].
pub(super) fn write_sparse(file: &File, offset: u64, data: &[u8]) -> io::Result<()> {
    let mut run_start: Option<usize> = None;
    for (i, block) in data.chunks(HOLE).enumerate() {
        let at = i * HOLE;
        match (is_zero(block), run_start) {
            (false, None) => run_start = Some(at),
            (true, Some(start)) => {
                file.write_all_at(&data[start..at], offset + start as u64)?;
                run_start = None;
            }
            _ => {}
        }
    }
    if let Some(start) = run_start {
        file.write_all_at(&data[start..], offset + start as u64)?;
    }
    Ok(())
}

/// True if every byte is zero. Compares 64-byte groups as `u64` words so the
/// compiler can vectorise it; most non-zero blocks fail on the first group.
pub(super) fn is_zero(block: &[u8]) -> bool {
    let mut groups = block.chunks_exact(64);
    for group in &mut groups {
        let mut acc = 0u64;
        for word in group.chunks_exact(8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            acc |= u64::from_ne_bytes(w);
        }
        if acc != 0 {
            return false;
        }
    }
    groups.remainder().iter().all(|&b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn zero_detection() {
        assert!(is_zero(&[]));
        assert!(is_zero(&[0; 1000]));
        for i in [0, 63, 64, 500, 999] {
            let mut b = vec![0u8; 1000];
            b[i] = 1;
            assert!(!is_zero(&b), "{i}");
        }
    }

    #[test]
    fn zero_blocks_become_holes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let file = File::create(&path).unwrap();
        let mut data = vec![0u8; 4 * HOLE + 10];
        data[HOLE + 5] = 7;
        data[4 * HOLE + 9] = 9;
        let total = 64 * HOLE as u64;
        write_sparse(&file, 0, &data).unwrap();
        file.set_len(total).unwrap();
        let back = std::fs::read(&path).unwrap();
        assert_eq!(&back[..data.len()], &data[..]);
        assert!(back[data.len()..].iter().all(|&b| b == 0));
        // Two written 64 KiB blocks at most, not 4 MiB.
        assert!(file.metadata().unwrap().blocks() * 512 <= 3 * HOLE as u64);
    }
}
