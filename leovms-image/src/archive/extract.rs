//! Extraction: every entry that passed the rules (see `walk`) is created in the
//! staging area and its data handed to the writer thread. Runs on its own thread (see
//! `unpack`), so blocking calls are fine.

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncBufRead, AsyncRead, AsyncReadExt};
use tokio_util::sync::CancellationToken;

use super::ArchiveError;
use super::rules::Checked;
use super::sparse::BUF;
use super::staging::Staging;
use super::walk::{Stop, Walk, decoder};
use super::writer::{Job, Output, Writer};

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
    pub async fn run<R: AsyncBufRead + Unpin>(mut self, input: R) -> Result<u64, Stop> {
        let mut walk = Walk::new(decoder(input).await?)?;
        while let Some(mut item) = walk.next().await? {
            self.check_stop()?;
            match item.what {
                Checked::Dir(comps) => {
                    self.staging.ensure_dir(&comps, &item.shown)?;
                }
                Checked::File { comps, size } => {
                    if size > self.budget {
                        return Err(Stop::Content(ArchiveError::TooLarge {
                            archive: self.archive.to_path_buf(),
                            limit: self.limit,
                        }));
                    }
                    self.budget -= size;
                    let out = self.staging.create_file(&comps, &item.shown)?;
                    self.copy(&mut item.entry, out, size).await?;
                }
            }
        }
        let mut sink = self.writer.buffer();
        walk.finish(sink.as_mut_slice(), || self.check_stop())
            .await?;
        Ok(self.limit - self.budget)
    }

    fn check_stop(&self) -> Result<(), Stop> {
        if self.stop.is_cancelled() {
            return Err(Stop::Fatal(ArchiveError::Canceled));
        }
        Ok(())
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
