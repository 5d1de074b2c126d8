//! `unpack`: runs the pipeline (read+hash → decompress+parse → write) on its own
//! threads and turns the outcome into exactly one verdict.

use std::fs::File;
use std::path::{Path, PathBuf};

use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::extract::Extract;
use super::source::{self, Digested, SourceError};
use super::staging::Staging;
use super::walk::Stop;
use super::writer::Writer;
use super::{ArchiveError, Expected, UnpackReport};

/// Minimum progress step reported to the caller.
const PROGRESS_STEP: u64 = 1 << 20;

/// Unpacks `archive` into `target_dir` after verifying it against `expected`.
///
/// `progress` receives the number of archive bytes consumed so far (compare with
/// `expected.size`). Files appear under their final names only after the whole
/// archive has been read and its size and sha256 match; an existing file of the
/// same name is then replaced atomically. On any error or cancellation nothing
/// new remains in `target_dir` (directories created by this run are removed if
/// empty), and no `.leovms-tmp*` temporary is left behind.
pub async fn unpack(
    archive: &Path,
    expected: &Expected,
    target_dir: &Path,
    progress: &(dyn Fn(u64) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<UnpackReport, ArchiveError> {
    run(archive, None, expected, target_dir, progress, cancel).await
}

/// [`unpack`] of an archive another process opened and handed over: read only through
/// `file`, from its start (`label` names it in messages). Anything but a regular file
/// is refused as unsafe before a byte is read.
pub async fn unpack_from(
    file: File,
    label: &Path,
    expected: &Expected,
    target_dir: &Path,
    progress: &(dyn Fn(u64) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<UnpackReport, ArchiveError> {
    run(label, Some(file), expected, target_dir, progress, cancel).await
}

async fn run(
    archive: &Path,
    file: Option<File>,
    expected: &Expected,
    target_dir: &Path,
    progress: &(dyn Fn(u64) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<UnpackReport, ArchiveError> {
    let stop = cancel.child_token();
    // Dropping this future stops the worker, which then cleans up by itself.
    let _stop_on_drop = stop.clone().drop_guard();
    let (progress_tx, mut progress_rx) = watch::channel(0u64);
    let (done_tx, mut done_rx) = oneshot::channel();
    let job = Job {
        archive: archive.to_path_buf(),
        file,
        expected: *expected,
        target: target_dir.to_path_buf(),
        stop,
        progress: progress_tx,
        runtime: tokio::runtime::Handle::current(),
    };
    std::thread::Builder::new()
        .name("leovms-unpack".into())
        .spawn(move || {
            let _ = done_tx.send(job.run());
        })
        .map_err(|e| ArchiveError::io(archive, e))?;

    let mut reported = 0u64;
    let mut reporting = true;
    let result = loop {
        tokio::select! {
            done = &mut done_rx => break done,
            changed = progress_rx.changed(), if reporting => {
                // An error only means the reader has finished.
                reporting = changed.is_ok();
                let n = *progress_rx.borrow_and_update();
                if n >= reported + PROGRESS_STEP {
                    reported = n;
                    progress(n);
                }
            }
        }
    };
    let result = result.unwrap_or_else(|_| {
        let e = std::io::Error::other("the unpack worker stopped unexpectedly");
        Err(ArchiveError::io(archive, e))
    });
    if result.is_ok() && reported < expected.size {
        progress(expected.size);
    }
    result
}

/// A handed-over archive, read from its start: a regular file only (a FIFO or a device
/// could block or never end).
fn handed_over(mut file: File, label: &Path) -> Result<File, ArchiveError> {
    use std::io::{Seek, SeekFrom};
    let meta = file.metadata().map_err(|e| ArchiveError::io(label, e))?;
    if !meta.is_file() {
        let label = crate::text::shown(&label.display().to_string());
        return Err(ArchiveError::unsafe_shown(&label, "is not a regular file"));
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| ArchiveError::io(label, e))?;
    Ok(file)
}

struct Job {
    archive: PathBuf,
    /// Handed over by another process; else the archive is opened by its path.
    file: Option<File>,
    expected: Expected,
    target: PathBuf,
    stop: CancellationToken,
    progress: watch::Sender<u64>,
    runtime: tokio::runtime::Handle,
}

impl Job {
    fn run(mut self) -> Result<UnpackReport, ArchiveError> {
        let file = match self.file.take() {
            Some(file) => handed_over(file, &self.archive)?,
            // The archive may lie in a cache folder other users can write to: no link
            // at its end is followed, and a FIFO there must not block the unpack forever.
            None => crate::dirfd::open_regular(&self.archive)
                .map_err(|e| ArchiveError::io(&self.archive, e))?,
        };
        let len = file
            .metadata()
            .map_err(|e| ArchiveError::io(&self.archive, e))?
            .len();
        if len < self.expected.size {
            return Err(ArchiveError::Truncated {
                archive: self.archive.clone(),
            });
        }
        if len > self.expected.size {
            return Err(self.size_mismatch(len));
        }
        let mut staging = Staging::open(&self.target)?;
        match self.pipeline(file, &mut staging) {
            Ok(unpacked_bytes) if !self.stop.is_cancelled() => {
                let files = staging.commit()?;
                Ok(UnpackReport {
                    files,
                    unpacked_bytes,
                })
            }
            Ok(_) => {
                staging.rollback();
                Err(ArchiveError::Canceled)
            }
            Err(e) => {
                staging.rollback();
                Err(e)
            }
        }
    }

    /// Runs the three stages and decides: integrity problems explain decoding
    /// failures, so they win over them.
    fn pipeline(&self, file: File, staging: &mut Staging) -> Result<u64, ArchiveError> {
        let abandon = self.stop.child_token();
        let (reader, input) = source::spawn(
            file,
            self.expected.size,
            self.progress.clone(),
            abandon.clone(),
        )
        .map_err(|e| ArchiveError::io(&self.archive, e))?;
        let mut writer = Writer::spawn().map_err(|e| ArchiveError::io(&self.target, e))?;
        let extract = Extract {
            staging,
            writer: &writer,
            stop: &self.stop,
            limit: self.expected.unpacked,
            budget: self.expected.unpacked,
            archive: &self.archive,
        };
        let extracted = self.runtime.block_on(extract.run(input));
        let written = writer.finish();
        if self.stop.is_cancelled() {
            abandon.cancel();
            let _ = reader.join();
            return Err(ArchiveError::Canceled);
        }
        if matches!(extracted, Err(Stop::Fatal(_) | Stop::WriterGone)) {
            abandon.cancel();
        }
        let digest = reader.join().unwrap_or(Err(SourceError::Abandoned));
        match extracted {
            Err(Stop::Fatal(e)) => Err(e),
            Err(Stop::Content(e)) => {
                self.verify(digest)?;
                Err(e)
            }
            Err(Stop::WriterGone) => Err(self.write_error(written)),
            Err(Stop::Decode(e)) => {
                self.verify(digest)?;
                if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    Err(ArchiveError::Truncated {
                        archive: self.archive.clone(),
                    })
                } else {
                    Err(ArchiveError::Corrupt(format!(
                        "{}: {}",
                        self.archive.display(),
                        crate::text::shown(&e.to_string())
                    )))
                }
            }
            Ok(unpacked) => {
                if written.is_err() {
                    return Err(self.write_error(written));
                }
                self.verify(digest).map(|()| unpacked)
            }
        }
    }

    fn write_error(&self, written: Result<(), (PathBuf, std::io::Error)>) -> ArchiveError {
        match written {
            Err((path, e)) => ArchiveError::Io { path, source: e },
            Ok(()) => ArchiveError::io(&self.target, std::io::Error::other("writing stopped")),
        }
    }

    /// Compares what the reader saw with the manifest.
    fn verify(&self, digest: Result<Digested, SourceError>) -> Result<(), ArchiveError> {
        let digest = match digest {
            Ok(d) => d,
            Err(SourceError::Io(e)) => return Err(ArchiveError::io(&self.archive, e)),
            Err(SourceError::TooLong) => return Err(self.size_mismatch(self.expected.size + 1)),
            Err(SourceError::Abandoned) => return Err(ArchiveError::Canceled),
        };
        if digest.bytes < self.expected.size {
            return Err(ArchiveError::Truncated {
                archive: self.archive.clone(),
            });
        }
        if digest.bytes > self.expected.size {
            return Err(self.size_mismatch(digest.bytes));
        }
        if digest.sha256 != self.expected.sha256 {
            return Err(ArchiveError::Integrity {
                archive: self.archive.clone(),
                expected: format!("sha256 {}", hex::encode(self.expected.sha256)),
                found: format!("sha256 {}", hex::encode(digest.sha256)),
            });
        }
        Ok(())
    }

    fn size_mismatch(&self, found: u64) -> ArchiveError {
        let expected = self.expected.size;
        ArchiveError::Integrity {
            archive: self.archive.clone(),
            expected: format!("{expected} bytes"),
            found: if found > expected {
                format!("more than {expected} bytes")
            } else {
                format!("{found} bytes")
            },
        }
    }
}
