//! What travels between the threads: blocks of file data and the messages around them.

use std::io;

/// Bytes per block. Large blocks keep the per-block costs (channel hand-over,
/// system calls) negligible against hashing and writing.
pub(super) const BLOCK: usize = 4 << 20;
/// Blocks in flight: one being read, one hashed, one written, one spare.
pub(super) const POOL: usize = 4;
/// Memory, offset and length alignment that `O_DIRECT` needs.
pub(super) const ALIGN: usize = 4096;

/// A buffer of up to [`BLOCK`] bytes at an [`ALIGN`]-aligned address; recycled.
pub(super) struct Block {
    raw: Vec<u8>,
    start: usize,
    len: usize,
}

impl Block {
    pub fn new() -> Self {
        let raw = vec![0; BLOCK + ALIGN];
        // If alignment is impossible, direct writes fail and fall back to buffered ones.
        let start = raw.as_ptr().align_offset(ALIGN).min(ALIGN);
        Self { raw, start, len: 0 }
    }

    pub fn data(&self) -> &[u8] {
        &self.raw[self.start..self.start + self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The unfilled rest up to `end` bytes, at most `max` of them.
    pub fn spare(&mut self, end: usize, max: usize) -> &mut [u8] {
        let from = self.start + self.len;
        let to = self.start + end.min(BLOCK).min(self.len + max);
        &mut self.raw[from..to]
    }

    pub fn filled(&mut self, n: usize) {
        self.len += n;
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }
}

/// Why the pipeline could not reach the end of the file.
#[derive(Debug)]
pub(super) enum Failure {
    /// Reading the source failed.
    Source(io::Error),
    /// The source holds more than the manifest announced.
    TooLong,
    /// The kept prefix of the partial copy could not be read back.
    Partial(io::Error),
}

pub(super) enum Msg {
    /// The next bytes of the file.
    Data(Block),
    /// The reader reached the end; the file is `len` bytes long.
    End {
        len: u64,
    },
    /// The hasher's verdict on the whole file.
    Hashed {
        len: u64,
        sha256: [u8; 32],
    },
    Failed(Failure),
    /// Sent by the caller's side: stop without touching the file again.
    Stop,
}

/// What the reader is doing, watched for stalls.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReadState {
    /// Bytes read from the source so far.
    pub bytes: u64,
    /// Waiting for the source (open, read) rather than for the other threads.
    pub waiting: bool,
}
