//! Decompression and tar parsing: checks every entry and hands file data to the
//! writer thread. Runs on its own thread (see `unpack`), so blocking calls are fine.

use std::io;
use std::sync::Arc;

use async_compression::tokio::bufread::{GzipDecoder, ZstdDecoder};
use futures_util::StreamExt;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt};
use tokio_tar::{ArchiveBuilder, Entry, EntryType};
use tokio_util::sync::CancellationToken;

use super::sparse::BUF;
use super::staging::Staging;
use super::writer::{Job, Output, Writer};
use super::{ArchiveError, Compression, paths};

/// Why extraction stopped.
#[derive(Debug)]
pub(super) enum Stop {
    /// Decompression or tar parsing failed: the archive may be damaged.
    Decode(io::Error),
    /// The writer thread failed; it has the error.
    WriterGone,
    /// The content is unacceptable (unsafe entry, too large). A damaged archive
    /// can look like that too, so the verdict still depends on the checksum.
    Content(ArchiveError),
    /// A verdict that does not depend on the checksum (canceled, I/O errors).
    Fatal(ArchiveError),
}

impl From<ArchiveError> for Stop {
    fn from(e: ArchiveError) -> Self {
        match e {
            ArchiveError::Unsafe { .. } | ArchiveError::TooLarge { .. } => Self::Content(e),
            _ => Self::Fatal(e),
        }
    }
}

pub(super) struct Extract<'a> {
    pub staging: &'a mut Staging,
    pub writer: &'a Writer,
    pub stop: &'a CancellationToken,
    /// Bytes the regular files may take in total (the manifest's `unpacked`).
    pub limit: u64,
    /// What is left of `limit`.
    pub budget: u64,
    pub archive: &'a std::path::Path,
}

impl Extract<'_> {
    /// Extracts everything; returns the total size of the files.
    pub async fn run<R: AsyncBufRead + Unpin + Send>(mut self, mut input: R) -> Result<u64, Stop> {
        let head = input.fill_buf().await.map_err(Stop::Decode)?;
        let not_archive = || {
            Stop::Decode(io::Error::other(
                "it is not a zstd or gzip compressed tar archive",
            ))
        };
        match Compression::sniff(head).ok_or_else(not_archive)? {
            Compression::Zstd => {
                let mut d = ZstdDecoder::new(input);
                d.multiple_members(true);
                self.tar(d).await?;
            }
            Compression::Gzip => {
                let mut d = GzipDecoder::new(input);
                d.multiple_members(true);
                self.tar(d).await?;
            }
        }
        Ok(self.limit - self.budget)
    }

    async fn tar<D: AsyncRead + Unpin + Send>(&mut self, decoder: D) -> Result<(), Stop> {
        let mut archive = ArchiveBuilder::new(decoder)
            .set_preserve_permissions(false)
            .set_preserve_mtime(false)
            .set_unpack_xattrs(false)
            .build();
        let mut entries = archive.entries().map_err(Stop::Decode)?;
        while let Some(entry) = entries.next().await {
            self.check_stop()?;
            self.entry(entry.map_err(Stop::Decode)?).await?;
        }
        drop(entries);
        // Read the compressed stream to its very end: a truncated or damaged tail
        // must fail even though the tar end marker was already seen.
        let mut rest = archive
            .into_inner()
            .map_err(|_| Stop::Decode(io::Error::other("tar reader still in use")))?;
        let mut sink = self.writer.buffer();
        while rest.read(sink.as_mut_slice()).await.map_err(Stop::Decode)? > 0 {
            self.check_stop()?;
        }
        Ok(())
    }

    fn check_stop(&self) -> Result<(), Stop> {
        if self.stop.is_cancelled() {
            return Err(Stop::Fatal(ArchiveError::Canceled));
        }
        Ok(())
    }

    async fn entry<R: AsyncRead + Unpin + Send>(
        &mut self,
        mut entry: Entry<R>,
    ) -> Result<(), Stop> {
        let raw = entry.path_bytes().map_err(Stop::Decode)?.into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let refuse = |reason| Stop::Content(ArchiveError::unsafe_entry(&shown, reason));
        match entry.header().entry_type() {
            EntryType::Regular | EntryType::Continuous => {
                if has_sparse_metadata(&mut entry).await? {
                    return Err(refuse(
                        "is stored as a sparse file, which leovms does not support",
                    ));
                }
                let comps = paths::entry_components(&raw, false)?;
                let size = entry.effective_size();
                if size > self.budget {
                    return Err(Stop::Content(ArchiveError::TooLarge {
                        archive: self.archive.to_path_buf(),
                        limit: self.limit,
                    }));
                }
                self.budget -= size;
                let out = self.staging.create_file(&comps, &shown)?;
                self.copy(&mut entry, out, size).await
            }
            EntryType::Directory => {
                let comps = paths::entry_components(&raw, true)?;
                self.staging.ensure_dir(&comps, &shown)?;
                Ok(())
            }
            EntryType::Symlink => Err(refuse("is a symbolic link")),
            EntryType::Link => Err(refuse("is a hard link")),
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                Err(refuse("is a device or another special file"))
            }
            EntryType::GNUSparse => Err(refuse(
                "is stored as a sparse file, which leovms does not support",
            )),
            _ => Err(refuse("is neither a file nor a folder")),
        }
    }

    /// Streams `size` bytes of the entry to the writer in [`BUF`]-sized jobs.
    async fn copy<R: AsyncRead + Unpin>(
        &mut self,
        entry: &mut R,
        out: Arc<Output>,
        size: u64,
    ) -> Result<(), Stop> {
        let mut offset = 0u64;
        while offset < size {
            self.check_stop()?;
            let mut buf = self.writer.buffer();
            let want = (size - offset).min(BUF as u64) as usize;
            let len = read_full(entry, &mut buf.as_mut_slice()[..want])
                .await
                .map_err(Stop::Decode)?;
            if len < want {
                return Err(Stop::Decode(io::ErrorKind::UnexpectedEof.into()));
            }
            let job = Job::Write {
                out: out.clone(),
                offset,
                buf,
                len,
            };
            self.writer.send(job).map_err(|_| Stop::WriterGone)?;
            offset += len as u64;
        }
        self.writer
            .send(Job::Finish { out, size })
            .map_err(|_| Stop::WriterGone)
    }
}

/// PAX sparse files keep their map inside the data; written as-is they would be wrong.
async fn has_sparse_metadata<R: AsyncRead + Unpin + Send>(
    entry: &mut Entry<R>,
) -> Result<bool, Stop> {
    let Some(pax) = entry.pax_extensions().await.map_err(Stop::Decode)? else {
        return Ok(false);
    };
    for ext in pax {
        let ext = ext.map_err(Stop::Decode)?;
        if ext.key_bytes().starts_with(b"GNU.sparse.") {
            return Ok(true);
        }
    }
    Ok(false)
}

async fn read_full<R: AsyncRead + Unpin>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]).await? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
