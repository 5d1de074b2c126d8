//! `pack`: writes a `.tar.zst` / `.tar.gz` under a temporary name, hashing the
//! compressed bytes on the way, and renames it into place when complete.
//! `pack_with` adds zstd worker threads, progress and cancellation (uploads).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_compression::Level;
use async_compression::tokio::write::{GzipEncoder, ZstdEncoder};
use async_compression::zstd::CParameter;
use rustix::io::Errno;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufWriter, ReadBuf};
use tokio_tar::{Builder, EntryType, Header};
use tokio_util::sync::CancellationToken;

use super::rules::Rules;
use super::{ArchiveError, Compression, PackReport};
use crate::atomic::{fsync_dir, parent_dir, temp_path_for};

/// zstd level: fast to pack, and decompression speed barely depends on it.
const ZSTD_LEVEL: i32 = 3;

/// Progress is reported at most once per this many bytes read (and once at the end).
const PROGRESS_STEP: u64 = 1 << 20;

/// How [`pack_with`] works; the default packs like [`pack`].
#[derive(Clone, Default)]
pub struct PackOptions {
    /// zstd worker threads; 0 compresses on the packing thread itself. Ignored for gzip.
    pub workers: u32,
    /// Called with the bytes of source files read so far.
    pub progress: Option<Arc<dyn Fn(u64) + Send + Sync>>,
    /// Checked before every read: a canceled pack removes its temporary file and
    /// returns [`ArchiveError::Canceled`].
    pub cancel: Option<CancellationToken>,
}

/// Packs `entries` (source file, path inside the archive) into `out`.
///
/// The archive appears under its final name only when complete and durable.
/// Archive paths must follow the rules [`super::unpack`] applies (safe relative names,
/// each once, not too many files and folders).
pub async fn pack(
    entries: &[(PathBuf, String)],
    out: &Path,
    compression: Compression,
) -> Result<PackReport, ArchiveError> {
    pack_with(entries, out, compression, PackOptions::default()).await
}

/// [`pack`] with worker threads, progress and cancellation.
pub async fn pack_with(
    entries: &[(PathBuf, String)],
    out: &Path,
    compression: Compression,
    options: PackOptions,
) -> Result<PackReport, ArchiveError> {
    // What the unpacker would refuse is not written in the first place.
    let mut rules = Rules::default();
    for (_, name) in entries {
        rules.packed_file(name.as_bytes())?;
    }
    let entries = entries.to_vec();
    let out_path = out;
    let out = out.to_path_buf();
    let runtime = tokio::runtime::Handle::current();
    // Compression is CPU-bound: keep it off the caller's runtime threads.
    tokio::task::spawn_blocking(move || {
        let tmp = temp_path_for(&out);
        let result = runtime.block_on(write_archive(&entries, &tmp, compression, options));
        let result = result.and_then(|report| {
            fs::rename(&tmp, &out).map_err(|e| ArchiveError::io(&out, e))?;
            let dir = parent_dir(&out);
            sync_best_effort(fsync_dir(dir)).map_err(|e| ArchiveError::io(dir, e))?;
            Ok(report)
        });
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    })
    .await
    .unwrap_or_else(|e| Err(ArchiveError::io(out_path, io::Error::other(e.to_string()))))
}

/// Network file systems (SMB, FUSE) may refuse to fsync, directories above all;
/// the data is then as durable as that file system makes it.
pub(crate) fn sync_best_effort(result: io::Result<()>) -> io::Result<()> {
    let refused = [Errno::INVAL, Errno::NOTSUP, Errno::OPNOTSUPP].map(Errno::raw_os_error);
    match result {
        Err(e) if e.raw_os_error().is_some_and(|code| refused.contains(&code)) => Ok(()),
        other => other,
    }
}

async fn write_archive(
    entries: &[(PathBuf, String)],
    tmp: &Path,
    compression: Compression,
    options: PackOptions,
) -> Result<PackReport, ArchiveError> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(tmp)
        .map_err(|e| ArchiveError::io(tmp, e))?;
    file.set_permissions(fs::Permissions::from_mode(0o644))
        .map_err(|e| ArchiveError::io(tmp, e))?;
    let sink = BufWriter::with_capacity(
        1 << 20,
        HashingFile {
            file,
            hasher: Sha256::new(),
            bytes: 0,
        },
    );
    let mut tracker = Tracker {
        done: 0,
        reported: 0,
        progress: options.progress,
        cancel: options.cancel,
    };
    let (sink, unpacked) = match compression {
        Compression::Zstd => {
            let level = Level::Precise(ZSTD_LEVEL);
            let enc = if options.workers > 0 {
                let params = [CParameter::nb_workers(options.workers)];
                ZstdEncoder::with_quality_and_params(sink, level, &params)
            } else {
                ZstdEncoder::with_quality(sink, level)
            };
            let (enc, unpacked) = write_tar(enc, entries, tmp, &mut tracker).await?;
            (enc.into_inner(), unpacked)
        }
        Compression::Gzip => {
            let enc = GzipEncoder::with_quality(sink, Level::Default);
            let (enc, unpacked) = write_tar(enc, entries, tmp, &mut tracker).await?;
            (enc.into_inner(), unpacked)
        }
    };
    if tracker.done != tracker.reported
        && let Some(progress) = &tracker.progress
    {
        progress(tracker.done);
    }
    let sink = sink.into_inner();
    sync_best_effort(sink.file.sync_all()).map_err(|e| ArchiveError::io(tmp, e))?;
    Ok(PackReport {
        size: sink.bytes,
        sha256: sink.hasher.finalize().into(),
        unpacked,
    })
}

/// Writes the tar stream into `enc` and finishes the compression.
async fn write_tar<W: AsyncWrite + Unpin + Send + 'static>(
    enc: W,
    entries: &[(PathBuf, String)],
    tmp: &Path,
    tracker: &mut Tracker,
) -> Result<(W, u64), ArchiveError> {
    // tar copies in 8 KiB pieces; the encoder works best on large ones.
    let mut builder = Builder::new(BufWriter::with_capacity(1 << 20, enc));
    let mut unpacked = 0u64;
    for (source, name) in entries {
        let src_err = |e| ArchiveError::io(source, e);
        let file = File::open(source).map_err(src_err)?;
        let meta = file.metadata().map_err(src_err)?;
        if !meta.is_file() {
            return Err(src_err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "only regular files can be packed",
            )));
        }
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_size(meta.len());
        header.set_mode(0o644);
        header.set_mtime(u64::try_from(meta.mtime()).unwrap_or(0));
        let reader = ExactReader {
            file,
            remaining: meta.len(),
            tracker: &mut *tracker,
        };
        let appended = builder.append_data(&mut header, name, reader).await;
        if tracker.canceled() {
            return Err(ArchiveError::Canceled);
        }
        appended.map_err(src_err)?;
        unpacked += meta.len();
    }
    let mut buffered = builder
        .into_inner()
        .await
        .map_err(|e| ArchiveError::io(tmp, e))?;
    buffered
        .flush()
        .await
        .map_err(|e| ArchiveError::io(tmp, e))?;
    let mut enc = buffered.into_inner();
    enc.shutdown().await.map_err(|e| ArchiveError::io(tmp, e))?;
    Ok((enc, unpacked))
}

/// Yields exactly `remaining` bytes and fails if the file got shorter meanwhile;
/// a tar header announcing more data than follows would break the archive.
/// Reads block, which is fine on the dedicated packing thread.
struct ExactReader<'a> {
    file: File,
    remaining: u64,
    tracker: &'a mut Tracker,
}

/// Counts the bytes read for progress and stops reading once canceled.
struct Tracker {
    done: u64,
    reported: u64,
    progress: Option<Arc<dyn Fn(u64) + Send + Sync>>,
    cancel: Option<CancellationToken>,
}

impl Tracker {
    fn canceled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.is_cancelled())
    }

    fn advance(&mut self, n: u64) {
        self.done += n;
        if self.done - self.reported >= PROGRESS_STEP
            && let Some(progress) = &self.progress
        {
            progress(self.done);
            self.reported = self.done;
        }
    }
}

impl AsyncRead for ExactReader<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let want = (buf.remaining() as u64).min(self.remaining) as usize;
        if want == 0 {
            return Poll::Ready(Ok(()));
        }
        if self.tracker.canceled() {
            return Poll::Ready(Err(io::Error::other("canceled")));
        }
        let dst = buf.initialize_unfilled_to(want);
        let n = self.file.read(dst)?;
        if n == 0 {
            let e = io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file shrank while being packed",
            );
            return Poll::Ready(Err(e));
        }
        buf.advance(n);
        self.remaining -= n as u64;
        self.tracker.advance(n as u64);
        Poll::Ready(Ok(()))
    }
}

/// The archive file, counting and hashing what is written. Writes block (see above).
struct HashingFile {
    file: File,
    hasher: Sha256,
    bytes: u64,
}

impl AsyncWrite for HashingFile {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.file.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
