//! Writing decompressed data: zero blocks are skipped (they become holes, the
//! large unused areas of a disk image cost neither time nor space) and, where the
//! file system allows it, data goes to the disk with `O_DIRECT`. Direct writes
//! skip the copy into the page cache and the later write-back, which on a
//! two-core machine leaves a whole core's worth of work to decompression and
//! hashing.

use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::Ordering;

use rustix::fs::OFlags;
use rustix::io::Errno;

use super::writer::Output;

/// Granularity of hole detection; file systems allocate in blocks of at most this.
pub(super) const HOLE: usize = 64 << 10;
/// Decompressed bytes per buffer (a multiple of [`HOLE`], so blocks stay aligned).
pub(super) const BUF: usize = 1 << 20;
/// Memory, offset and length alignment that `O_DIRECT` needs.
const ALIGN: usize = 4096;

/// A [`BUF`]-sized buffer starting at an [`ALIGN`]-aligned address.
pub(super) struct AlignedBuf {
    raw: Vec<u8>,
    start: usize,
}

impl AlignedBuf {
    pub fn new() -> Self {
        let raw = vec![0u8; BUF + ALIGN];
        // If alignment is impossible, direct writes fail and fall back to buffered ones.
        let start = raw.as_ptr().align_offset(ALIGN).min(ALIGN);
        Self { raw, start }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.raw[self.start..self.start + BUF]
    }
}

/// Writes `buf[..len]` at `offset` (a multiple of [`HOLE`]), leaving zero blocks unwritten.
pub(super) fn write_sparse(
    out: &Output,
    offset: u64,
    buf: &mut AlignedBuf,
    len: usize,
) -> io::Result<()> {
    let data = &mut buf.as_mut_slice()[..];
    let mut run_start: Option<usize> = None;
    let mut at = 0;
    while at < len {
        let end = (at + HOLE).min(len);
        match (is_zero(&data[at..end]), run_start) {
            (false, None) => run_start = Some(at),
            (true, Some(start)) => {
                write_run(out, offset, data, start, at)?;
                run_start = None;
            }
            _ => {}
        }
        at = end;
    }
    if let Some(start) = run_start {
        write_run(out, offset, data, start, len)?;
    }
    Ok(())
}

/// Writes `data[start..end]`. A direct write may only cover whole aligned blocks, so
/// a ragged end (only ever the end of a file) is padded with zeros; the file gets
/// its exact size when it is finished.
fn write_run(
    out: &Output,
    offset: u64,
    data: &mut [u8],
    start: usize,
    end: usize,
) -> io::Result<()> {
    let at = offset + start as u64;
    if out.direct.load(Ordering::Relaxed) {
        let padded = end.next_multiple_of(ALIGN);
        data[end..padded].fill(0);
        match out.file.write_all_at(&data[start..padded], at) {
            Ok(()) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(Errno::INVAL.raw_os_error()) => disable_direct(out)?,
            Err(e) => return Err(e),
        }
    }
    out.file.write_all_at(&data[start..end], at)
}

/// The file system refused a direct write (alignment rules differ): write buffered.
fn disable_direct(out: &Output) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(&out.file)?;
    rustix::fs::fcntl_setfl(&out.file, flags - OFlags::DIRECT)?;
    out.direct.store(false, Ordering::Relaxed);
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
    use std::fs::File;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

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

    /// Some file systems (older tmpfs) refuse O_DIRECT; then the file is buffered.
    fn output(path: &std::path::Path, direct: bool) -> Output {
        let mut opts = File::options();
        opts.write(true).create_new(true);
        let flags = if direct {
            OFlags::DIRECT.bits() as i32
        } else {
            0
        };
        let (file, direct) = match opts.clone().custom_flags(flags).open(path) {
            Ok(f) => (f, direct),
            Err(_) => (opts.open(path).unwrap(), false),
        };
        Output::new(file, path.to_path_buf(), direct)
    }

    fn check_holes(direct: bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let out = output(&path, direct);
        let mut buf = AlignedBuf::new();
        let len = 4 * HOLE + 10;
        let mut data = vec![0u8; len];
        data[HOLE + 5] = 7;
        data[4 * HOLE + 9] = 9;
        buf.as_mut_slice()[..len].copy_from_slice(&data);
        // Stale bytes behind the data must not leak into the file.
        buf.as_mut_slice()[len..].fill(0xee);
        let total = 64 * HOLE as u64;
        write_sparse(&out, 0, &mut buf, len).unwrap();
        out.file.set_len(total).unwrap();
        let back = std::fs::read(&path).unwrap();
        assert_eq!(back.len() as u64, total);
        assert_eq!(&back[..len], &data[..]);
        assert!(back[len..].iter().all(|&b| b == 0));
        // Two written blocks at most, not 4 MiB.
        assert!(out.file.metadata().unwrap().blocks() * 512 <= 3 * HOLE as u64);
    }

    #[test]
    fn zero_blocks_become_holes() {
        check_holes(false);
        check_holes(true);
    }

    #[test]
    fn refused_direct_write_falls_back_to_buffered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let out = output(&path, true);
        let mut buf = AlignedBuf::new();
        buf.as_mut_slice()[..3].copy_from_slice(b"abc");
        // An unaligned offset is refused by O_DIRECT (EINVAL).
        write_sparse(&out, 100, &mut buf, 3).unwrap();
        assert!(!out.direct.load(Ordering::Relaxed));
        let back = std::fs::read(&path).unwrap();
        assert_eq!(&back[100..], b"abc");
    }
}
