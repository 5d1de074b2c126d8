//! The writing thread: appends the blocks to the partial copy and, once the hasher's
//! verdict matches the manifest, makes the copy durable and gives it its final name.
//! It is the only thread that touches the partial copy after it was opened, and the
//! caller waits for it before returning.
//!
//! Where the file system allows it, blocks go to the disk with `O_DIRECT`: that
//! skips the copy into the page cache and lets the disk work while we hash, so the
//! final `fsync` finds almost nothing left to do. On a two-core machine the saved
//! copy is CPU time that hashing needs.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};

use rustix::fs::OFlags;
use rustix::io::Errno;
use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::pipe::{ALIGN, Block, Failure, Msg};
use super::{CopyError, Expected};
use crate::dirfd::Dir;

pub(super) struct Writer {
    pub file: File,
    /// Where the new bytes start (the length of the kept prefix).
    pub offset: u64,
    pub input: Receiver<Msg>,
    pub free: Sender<Block>,
    /// Bytes of the final file written so far.
    pub progress: watch::Sender<u64>,
    pub stop: CancellationToken,
    pub src: PathBuf,
    /// The folder of the copy; names are looked up relative to it.
    pub dir: Dir,
    pub partial: String,
    pub dest: String,
    pub expected: Expected,
    pub mode: u32,
}

/// Whether blocks are written with `O_DIRECT`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direct {
    /// Switched on at the next aligned block. At the first one, the hasher has
    /// finished reading the kept prefix through a duplicate of our descriptor
    /// (which shares the flag and could not read unaligned any more).
    Off,
    On,
    /// The file system refused it.
    Never,
}

impl Writer {
    /// Starts the thread; `done` gets the outcome once the file is closed.
    pub fn spawn(self, done: oneshot::Sender<Result<(), CopyError>>) -> io::Result<()> {
        std::thread::Builder::new()
            .name("leovms-copy-write".into())
            .spawn(move || {
                let result = self.run();
                let _ = done.send(result);
            })
            .map(drop)
    }

    /// `Canceled` means: stopped on request.
    fn run(self) -> Result<(), CopyError> {
        let mut pos = self.offset;
        let mut direct = Direct::Off;
        loop {
            match self.input.recv() {
                Ok(Msg::Data(block)) => {
                    if self.stop.is_cancelled() {
                        return Err(CopyError::Canceled);
                    }
                    if let Err(e) = self.write(block.data(), pos, &mut direct) {
                        return Err(self.write_failed(e));
                    }
                    pos += block.data().len() as u64;
                    let _ = self.free.send(block);
                    self.progress.send_replace(pos);
                }
                Ok(Msg::Hashed { len, sha256 }) => return self.finish(len, sha256),
                Ok(Msg::Failed(Failure::Source(e))) => return Err(CopyError::read(&self.src, e)),
                Ok(Msg::Failed(Failure::TooLong)) => {
                    let size = self.expected.size;
                    return Err(
                        self.mismatch(format!("{size} bytes"), format!("more than {size} bytes"))
                    );
                }
                Ok(Msg::Failed(Failure::Partial(e))) => {
                    return Err(CopyError::write(&self.dir.join(&self.partial), e));
                }
                Ok(Msg::Stop | Msg::End { .. }) | Err(_) => return Err(CopyError::Canceled),
            }
        }
    }

    /// Writes `data` at `pos`: the aligned part directly to the disk when possible,
    /// the rest (the file's end, or a first block at an odd offset after a resume)
    /// through the page cache.
    fn write(&self, data: &[u8], pos: u64, direct: &mut Direct) -> io::Result<()> {
        let aligned = data.len() / ALIGN * ALIGN;
        let fits = aligned > 0
            && pos.is_multiple_of(ALIGN as u64)
            && data.as_ptr().addr().is_multiple_of(ALIGN)
            && *direct != Direct::Never;
        if fits && *direct == Direct::Off {
            *direct = match set_direct(&self.file, true) {
                Ok(()) => Direct::On,
                Err(_) => Direct::Never,
            };
        }
        let mut done = 0;
        if fits && *direct == Direct::On {
            match self.file.write_all_at(&data[..aligned], pos) {
                Ok(()) => done = aligned,
                // The file system's alignment rules differ: write buffered from now on.
                Err(e) if e.raw_os_error() == Some(Errno::INVAL.raw_os_error()) => {
                    set_direct(&self.file, false)?;
                    *direct = Direct::Never;
                }
                Err(e) => return Err(e),
            }
        }
        if done < data.len() {
            if *direct == Direct::On {
                set_direct(&self.file, false)?;
                *direct = Direct::Off;
            }
            self.file.write_all_at(&data[done..], pos + done as u64)?;
        }
        Ok(())
    }

    /// The whole file is written: check it, make it durable, give it its name.
    fn finish(self, len: u64, sha256: [u8; 32]) -> Result<(), CopyError> {
        let expected = &self.expected;
        if len != expected.size {
            return Err(self.mismatch(format!("{} bytes", expected.size), format!("{len} bytes")));
        }
        if sha256 != expected.sha256 {
            let hex = |h: [u8; 32]| format!("sha256 {}", hex::encode(h));
            return Err(self.mismatch(hex(expected.sha256), hex(sha256)));
        }
        // The umask must not decide the final permissions.
        let durable = self
            .file
            .set_permissions(fs::Permissions::from_mode(self.mode))
            .and_then(|()| self.file.sync_all());
        if let Err(e) = durable {
            return Err(self.write_failed(e));
        }
        drop(self.file);
        let dest = self.dir.join(&self.dest);
        self.dir
            .rename(&self.partial, &self.dest)
            .map_err(|e| CopyError::write(&dest, e))?;
        self.dir
            .sync()
            .map_err(|e| CopyError::write(self.dir.path(), e))
    }

    /// A copy that does not match its manifest is useless, even as a prefix.
    fn mismatch(&self, expected: String, found: String) -> CopyError {
        let _ = self.dir.remove_file(&self.partial);
        CopyError::Integrity {
            source_path: self.src.clone(),
            expected,
            found,
        }
    }

    /// A full disk gets its space back; after other errors the prefix stays for resuming.
    fn write_failed(&self, e: io::Error) -> CopyError {
        let error = CopyError::write(&self.dir.join(&self.partial), e);
        if matches!(error, CopyError::NoSpace { .. }) {
            let _ = self.dir.remove_file(&self.partial);
        }
        error
    }
}

fn set_direct(file: &File, on: bool) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(file)?;
    let flags = if on {
        flags | OFlags::DIRECT
    } else {
        flags - OFlags::DIRECT
    };
    Ok(rustix::fs::fcntl_setfl(file, flags)?)
}
