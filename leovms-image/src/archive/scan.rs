//! `scan`: reads an archive from start to end under exactly the rules of
//! [`super::unpack`] (it reads through the same `walk`), without writing anything. The
//! server checks uploads with it, so that it refuses what every PC would refuse.

use std::cell::Cell;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, BufReader, ReadBuf};

use super::ArchiveError;
use super::rules::Checked;
use super::walk::{Stop, Walk, decoder};
use crate::text;

/// The most of each file's start that [`scan`] hands out.
pub const HEAD_MAX: usize = 4096;

/// A regular file of a scanned archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedFile {
    /// Its path inside the archive, `/`-separated, checked as the unpacker checks it.
    pub path: String,
    pub size: u64,
    /// Its first bytes, as many as asked for (fewer when the file is shorter).
    pub head: Vec<u8>,
}

/// What [`scan`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// The regular files, in archive order.
    pub files: Vec<ScannedFile>,
    /// Sum of their sizes (the manifest's `unpacked`).
    pub unpacked: u64,
}

/// Reads `archive` (`.tar.zst` or `.tar.gz`, told by its content) to its end and
/// refuses it exactly when [`super::unpack`] would refuse its content: the same entry
/// types, names, limits and duplicates, with the same messages. The first `head` bytes
/// (at most [`HEAD_MAX`]) of every regular file are kept. `progress` gets the archive
/// bytes read so far. No checksum is involved: the caller checks the file itself.
pub async fn scan(
    archive: &Path,
    head: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<ScanReport, ArchiveError> {
    // An upload folder is writable by its teacher: no link is followed, no FIFO opened.
    let file = crate::dirfd::open_regular(archive)
        .map(tokio::fs::File::from_std)
        .map_err(|e| ArchiveError::io(archive, e))?;
    let failed = Rc::new(Cell::new(false));
    let counted = Counted {
        inner: file,
        read: 0,
        progress,
        failed: failed.clone(),
    };
    let input = BufReader::with_capacity(1 << 20, counted);
    match read(input, head.min(HEAD_MAX) as u64).await {
        Ok(report) => Ok(report),
        Err(Stop::Content(e) | Stop::Fatal(e)) => Err(e),
        Err(Stop::Decode(e)) if failed.get() => Err(ArchiveError::io(archive, e)),
        Err(Stop::Decode(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
            Err(ArchiveError::Truncated {
                archive: archive.to_path_buf(),
            })
        }
        Err(Stop::Decode(e)) => Err(ArchiveError::Corrupt(format!(
            "{}: {}",
            archive.display(),
            text::shown(&e.to_string())
        ))),
        Err(Stop::WriterGone) => Err(ArchiveError::io(archive, io::Error::other("no writer"))),
    }
}

async fn read<R: tokio::io::AsyncBufRead + Unpin>(input: R, head: u64) -> Result<ScanReport, Stop> {
    let mut walk = Walk::new(decoder(input).await?)?;
    let mut report = ScanReport::default();
    while let Some(item) = walk.next().await? {
        let Checked::File { comps, size } = item.what else {
            continue;
        };
        let want = size.min(head);
        let mut start = Vec::with_capacity(want as usize);
        let mut entry = item.entry;
        (&mut entry)
            .take(want)
            .read_to_end(&mut start)
            .await
            .map_err(Stop::Decode)?;
        if (start.len() as u64) < want {
            return Err(Stop::Decode(io::ErrorKind::UnexpectedEof.into()));
        }
        report.unpacked = report.unpacked.saturating_add(size);
        report.files.push(ScannedFile {
            path: comps.join("/"),
            size,
            head: start,
        });
    }
    let mut sink = vec![0u8; 64 << 10];
    walk.finish(&mut sink, || Ok(())).await?;
    Ok(report)
}

/// The archive file, reporting the bytes read and noting a failed read (a damaged
/// disk is not a damaged archive).
struct Counted<'a, R> {
    inner: R,
    read: u64,
    progress: &'a mut dyn FnMut(u64),
    failed: Rc<Cell<bool>>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Counted<'_, R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        match &polled {
            Poll::Ready(Ok(())) => {
                this.read += (buf.filled().len() - before) as u64;
                (this.progress)(this.read);
            }
            Poll::Ready(Err(_)) => this.failed.set(true),
            Poll::Pending => {}
        }
        polled
    }
}
