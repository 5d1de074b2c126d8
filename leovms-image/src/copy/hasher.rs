//! The hashing thread: sha256 over the kept prefix of the partial copy (read back
//! from the local disk), then over every block from the reader, which it passes on
//! to the writer. Hashing on its own thread lets reading, hashing and writing
//! overlap; sha256 is the slowest of the three.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender};

use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::pipe::{BLOCK, Failure, Msg};

pub(super) struct Hasher {
    /// The partial copy and the length of its prefix that is kept.
    pub prefix: Option<(File, u64)>,
    pub input: Receiver<Msg>,
    pub out: Sender<Msg>,
    pub stop: CancellationToken,
}

impl Hasher {
    pub fn spawn(self) -> io::Result<()> {
        std::thread::Builder::new()
            .name("leovms-copy-hash".into())
            .spawn(move || self.run())
            .map(drop)
    }

    fn run(self) {
        let out = self.out.clone();
        let last = match catch_unwind(AssertUnwindSafe(|| self.hash())) {
            Ok(Some(msg)) => msg,
            Ok(None) => return,
            Err(_) => Msg::Failed(Failure::Source(io::Error::other(
                "the hashing thread stopped unexpectedly",
            ))),
        };
        let _ = out.send(last);
    }

    /// Returns the last message for the writer, or `None` when told to stop.
    fn hash(mut self) -> Option<Msg> {
        let mut sha = Sha256::new();
        // Closed right after: only the writer keeps the partial copy open.
        if let Some((file, len)) = self.prefix.take() {
            match hash_prefix(&file, len, &mut sha, &self.stop) {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return Some(Msg::Failed(Failure::Partial(e))),
            }
        }
        loop {
            match self.input.recv().ok()? {
                Msg::Data(block) => {
                    sha.update(block.data());
                    self.out.send(Msg::Data(block)).ok()?;
                }
                Msg::End { len } => {
                    let sha256 = sha.finalize().into();
                    return Some(Msg::Hashed { len, sha256 });
                }
                Msg::Stop => return None,
                other => return Some(other),
            }
        }
    }
}

/// Hashes the first `len` bytes of `file`; `false` when told to stop.
fn hash_prefix(
    file: &File,
    len: u64,
    sha: &mut Sha256,
    stop: &CancellationToken,
) -> io::Result<bool> {
    let mut buf = vec![0u8; BLOCK];
    let mut pos = 0;
    while pos < len {
        if stop.is_cancelled() {
            return Ok(false);
        }
        let want = (len - pos).min(BLOCK as u64) as usize;
        let n = match file.read_at(&mut buf[..want], pos) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => r?,
        };
        if n == 0 {
            let e = io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the partial copy became shorter while it was read",
            );
            return Err(e);
        }
        sha.update(&buf[..n]);
        pos += n as u64;
    }
    Ok(true)
}
