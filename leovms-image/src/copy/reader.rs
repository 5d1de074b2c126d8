//! The reading thread, the only one that touches the source. On a dead network
//! mount `open` and `read` may block for minutes; the caller then gives up after the
//! stall limit and leaves this thread behind. It holds nothing but the source and
//! its buffers, so when it finally wakes up it can do no harm.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};

use rustix::fs::Advice;
use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::pipe::{ALIGN, BLOCK, Block, Failure, Msg, POOL, ReadState};

/// Bytes asked for per `read`: small enough that a slow share still shows progress
/// well within the stall limit (a network read returns only when it is complete).
const STEP: usize = 1 << 20;

/// What the source is, known before anything is written.
#[derive(Debug)]
pub(super) struct Meta {
    pub len: u64,
    /// A regular file; only then is its length meaningful.
    pub regular: bool,
}

pub(super) struct Reader {
    /// The source's name, also in errors.
    pub src: PathBuf,
    /// The source already open: read through it instead of opening `src`.
    pub given: Option<File>,
    /// The end of the file must not lie beyond this.
    pub limit: u64,
    /// Where to start reading; sent once the partial copy is prepared.
    pub start: Receiver<u64>,
    /// Buffers coming back from the writer.
    pub free: Receiver<Block>,
    pub out: Sender<Msg>,
    pub state: watch::Sender<ReadState>,
    pub stop: CancellationToken,
}

impl Reader {
    /// Starts the thread; `meta` gets the source's description first. The thread
    /// is never joined: it may hang in the source.
    pub fn spawn(self, meta: oneshot::Sender<io::Result<Meta>>) -> io::Result<()> {
        std::thread::Builder::new()
            .name("leovms-copy-read".into())
            .spawn(move || self.run(meta))
            .map(drop)
    }

    fn run(mut self, meta: oneshot::Sender<io::Result<Meta>>) {
        let last = match catch_unwind(AssertUnwindSafe(|| self.read(meta))) {
            Ok(Some(msg)) => msg,
            Ok(None) => return,
            Err(_) => Msg::Failed(Failure::Source(io::Error::other(
                "the reading thread stopped unexpectedly",
            ))),
        };
        let _ = self.out.send(last);
    }

    /// Reads until the end; returns the last message for the hasher, or `None`
    /// when told to stop.
    fn read(&mut self, meta_tx: oneshot::Sender<io::Result<Meta>>) -> Option<Msg> {
        let opened = match self.given.take() {
            Some(file) => Ok(file),
            None => File::open(&self.src),
        };
        let opened = opened.and_then(|f| {
            let meta = f.metadata()?;
            Ok((f, meta))
        });
        let (mut file, meta) = match opened {
            Ok(found) => found,
            Err(e) => {
                let _ = meta_tx.send(Err(e));
                return None;
            }
        };
        self.set_waiting(false);
        let described = Meta {
            len: meta.len(),
            regular: meta.is_file(),
        };
        meta_tx.send(Ok(described)).ok()?;
        let offset = self.start.recv().ok()?;
        self.set_waiting(true);
        if offset > 0
            && let Err(e) = file.seek(SeekFrom::Start(offset))
        {
            return Some(Msg::Failed(Failure::Source(e)));
        }
        // Doubles the read-ahead on Linux; a pipe or a file system without it is fine too.
        let _ = rustix::fs::fadvise(&file, offset, None, Advice::Sequential);

        let mut pos = offset;
        let mut made = 0;
        loop {
            let mut block = self.take(&mut made)?;
            block.clear();
            // After a resume from an odd offset, a shorter first block makes all
            // later ones start at aligned offsets, as direct writes need.
            let size = BLOCK - (pos % ALIGN as u64) as usize;
            let mut end = false;
            while block.len() < size {
                if self.stop.is_cancelled() {
                    return None;
                }
                match file.read(block.spare(size, STEP)) {
                    Ok(0) => {
                        end = true;
                        break;
                    }
                    Ok(n) => {
                        block.filled(n);
                        pos += n as u64;
                        self.state.send_modify(|s| s.bytes += n as u64);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Some(Msg::Failed(Failure::Source(e))),
                }
            }
            if pos > self.limit {
                return Some(Msg::Failed(Failure::TooLong));
            }
            if !block.data().is_empty() {
                self.out.send(Msg::Data(block)).ok()?;
            }
            if end {
                self.set_waiting(false);
                return Some(Msg::End { len: pos });
            }
        }
    }

    /// A buffer: a returned one, a new one while fewer than [`POOL`] exist, or else
    /// the next one the writer returns (waiting for it is not a stall).
    fn take(&self, made: &mut usize) -> Option<Block> {
        if let Ok(block) = self.free.try_recv() {
            return Some(block);
        }
        if *made < POOL {
            *made += 1;
            return Some(Block::new());
        }
        self.set_waiting(false);
        let block = self.free.recv().ok();
        self.set_waiting(true);
        block
    }

    fn set_waiting(&self, waiting: bool) {
        self.state.send_modify(|s| s.waiting = waiting);
    }
}
