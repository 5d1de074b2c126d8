//! The reading side: one thread reads the archive in big chunks and hashes them,
//! while the decompressor consumes the same chunks through [`ChannelReader`].
//! Hashing on its own thread keeps sha256 off the decompression's critical path.

use std::fs::File;
use std::io::{self, Read};
use std::pin::Pin;
use std::sync::mpsc as std_mpsc;
use std::task::{Context, Poll};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// Bytes per read from the archive file.
pub(super) const CHUNK: usize = 1 << 20;
/// Chunks read ahead of the decompressor; evens out stretches that are slow to
/// hash (incompressible data) against ones that are slow to decompress.
const AHEAD: usize = 16;

/// Size and hash of everything the reader saw.
#[derive(Debug)]
pub(super) struct Digested {
    pub bytes: u64,
    pub sha256: [u8; 32],
}

#[derive(Debug)]
pub(super) enum SourceError {
    Io(io::Error),
    /// The file holds more than `limit` bytes (it grew while being read).
    TooLong,
    /// Stopped on request; the result is not wanted.
    Abandoned,
}

/// Starts the reader thread. It stops early when `abandon` is canceled; when the
/// decompressor stops early it keeps hashing, so a damaged archive is told apart
/// from a malformed one.
pub(super) fn spawn(
    file: File,
    limit: u64,
    progress: watch::Sender<u64>,
    abandon: CancellationToken,
) -> io::Result<(JoinHandle<Result<Digested, SourceError>>, ChannelReader)> {
    let (tx, rx) = mpsc::channel(AHEAD);
    let (recycle_tx, recycle_rx) = std_mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("leovms-read".into())
        .spawn(move || read_all(file, limit, tx, recycle_rx, &progress, &abandon))?;
    let reader = ChannelReader {
        rx,
        recycle: recycle_tx,
        cur: Vec::new(),
        pos: 0,
    };
    Ok((handle, reader))
}

fn read_all(
    mut file: File,
    limit: u64,
    tx: mpsc::Sender<Vec<u8>>,
    recycle: std_mpsc::Receiver<Vec<u8>>,
    progress: &watch::Sender<u64>,
    abandon: &CancellationToken,
) -> Result<Digested, SourceError> {
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut tx = Some(tx);
    let mut spare = vec![0u8; CHUNK];
    loop {
        if abandon.is_cancelled() {
            return Err(SourceError::Abandoned);
        }
        let mut buf = recycle
            .try_recv()
            .unwrap_or_else(|_| std::mem::take(&mut spare));
        buf.resize(CHUNK, 0);
        let n = read_full(&mut file, &mut buf).map_err(SourceError::Io)?;
        if n == 0 {
            break;
        }
        buf.truncate(n);
        hasher.update(&buf);
        bytes += n as u64;
        progress.send_replace(bytes);
        if bytes > limit {
            return Err(SourceError::TooLong);
        }
        // A closed channel means the decompressor stopped early: keep hashing.
        if let Some(sender) = &tx {
            if sender.blocking_send(buf).is_err() {
                tx = None;
            }
        } else {
            spare = buf;
        }
    }
    Ok(Digested {
        bytes,
        sha256: hasher.finalize().into(),
    })
}

/// Fills `buf` unless the file ends first; network file systems return short reads.
pub(crate) fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The decompressor's input: chunks handed over by the reader thread, without copying.
pub(super) struct ChannelReader {
    rx: mpsc::Receiver<Vec<u8>>,
    recycle: std_mpsc::Sender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
}

impl AsyncBufRead for ChannelReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.pos >= this.cur.len() {
            match this.rx.poll_recv(cx) {
                Poll::Ready(Some(chunk)) => {
                    let old = std::mem::replace(&mut this.cur, chunk);
                    this.pos = 0;
                    if old.capacity() > 0 {
                        // The reader may be gone already; then the buffer is just freed.
                        let _ = this.recycle.send(old);
                    }
                }
                Poll::Ready(None) => return Poll::Ready(Ok(&[])),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(&this.cur[this.pos..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.pos = (this.pos + amt).min(this.cur.len());
    }
}

impl AsyncRead for ChannelReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let avail = match self.as_mut().poll_fill_buf(cx) {
            Poll::Ready(Ok(avail)) => avail,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        };
        let n = avail.len().min(buf.remaining());
        buf.put_slice(&avail[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}
