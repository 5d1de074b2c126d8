//! Reading an archive entry by entry: the decompressor chosen by the content, the tar
//! parser behind the [`Meter`], and every entry checked by the [`Rules`]. The unpacker
//! and `scan` both read through here, so they accept exactly the same archives.

use std::io;
use std::sync::Arc;

use async_compression::tokio::bufread::{GzipDecoder, ZstdDecoder};
use futures_util::StreamExt;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt};
use tokio_tar::{Archive, ArchiveBuilder, Entries, Entry};

use super::meter::{HEADER_MAX, Meter, Metered};
use super::rules::{Checked, Rules};
use super::{ArchiveError, Compression};
use crate::text::shown_bytes;

/// The decompressed stream.
pub(super) type Decoded<'a> = Box<dyn AsyncRead + Unpin + 'a>;
type Tar<'a> = Archive<Metered<Decoded<'a>>>;

/// Why reading stopped.
#[derive(Debug)]
pub(super) enum Stop {
    /// Decompression or tar parsing failed: the archive may be damaged.
    Decode(io::Error),
    /// The writer thread failed; it has the error.
    WriterGone,
    /// The content is unacceptable (unsafe entry, a limit, too large). A damaged
    /// archive can look like that too, so the verdict still depends on the checksum.
    Content(ArchiveError),
    /// A verdict that does not depend on the checksum (canceled, I/O errors).
    Fatal(ArchiveError),
}

impl From<ArchiveError> for Stop {
    fn from(e: ArchiveError) -> Self {
        match e {
            ArchiveError::Unsafe { .. }
            | ArchiveError::TooLarge { .. }
            | ArchiveError::Limit(_) => Self::Content(e),
            _ => Self::Fatal(e),
        }
    }
}

/// Chooses the decompressor by the stream's first bytes, not by the file name.
pub(super) async fn decoder<'a, R: AsyncBufRead + Unpin + 'a>(
    mut input: R,
) -> Result<Decoded<'a>, Stop> {
    let head = input.fill_buf().await.map_err(Stop::Decode)?;
    match Compression::sniff(head) {
        Some(Compression::Zstd) => {
            let mut d = ZstdDecoder::new(input);
            d.multiple_members(true);
            Ok(Box::new(d))
        }
        Some(Compression::Gzip) => {
            let mut d = GzipDecoder::new(input);
            d.multiple_members(true);
            Ok(Box::new(d))
        }
        None => Err(Stop::Decode(io::Error::other(
            "it is not a zstd or gzip compressed tar archive",
        ))),
    }
}

/// One entry that passed the rules; its data is read from `entry`.
pub(super) struct Item<'a> {
    pub entry: Entry<Tar<'a>>,
    /// The name as messages show it: shortened, control characters escaped.
    pub shown: String,
    pub what: Checked,
}

pub(super) struct Walk<'a> {
    archive: Tar<'a>,
    entries: Option<Entries<Metered<Decoded<'a>>>>,
    meter: Arc<Meter>,
    rules: Rules,
}

impl<'a> Walk<'a> {
    pub fn new(decoded: Decoded<'a>) -> Result<Self, Stop> {
        let meter = Meter::new();
        let mut archive = ArchiveBuilder::new(Metered::new(decoded, meter.clone()))
            .set_preserve_permissions(false)
            .set_preserve_mtime(false)
            .set_unpack_xattrs(false)
            .build();
        let entries = archive.entries().map_err(Stop::Decode)?;
        Ok(Self {
            archive,
            entries: Some(entries),
            meter,
            rules: Rules::default(),
        })
    }

    /// The next entry, checked; `None` at the archive's end marker. Items must be
    /// dropped before the next call.
    pub async fn next(&mut self) -> Result<Option<Item<'a>>, Stop> {
        let Some(entries) = &mut self.entries else {
            return Ok(None);
        };
        let Some(entry) = entries.next().await else {
            self.entries = None;
            return Ok(None);
        };
        let meter = &self.meter;
        let mut entry = entry.map_err(|e| stop_for(meter, e))?;
        let raw = entry
            .path_bytes()
            .map_err(|e| stop_for(meter, e))?
            .into_owned();
        let what = self.rules.check(&mut entry, &raw).await?;
        let data = match &what {
            Checked::File { size, .. } => *size,
            Checked::Dir(_) => 0,
        };
        self.meter.entry(data);
        Ok(Some(Item {
            entry,
            shown: shown_bytes(&raw),
            what,
        }))
    }

    /// Reads the compressed stream to its very end: a truncated or damaged tail must
    /// fail even though the tar end marker was already seen. `check` runs per read.
    pub async fn finish(
        mut self,
        buf: &mut [u8],
        check: impl Fn() -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.entries = None;
        let meter = self.meter;
        let mut rest = self
            .archive
            .into_inner()
            .map_err(|_| Stop::Decode(io::Error::other("tar reader still in use")))?;
        loop {
            match rest.read(buf).await {
                Ok(0) => return Ok(()),
                Ok(_) => check()?,
                Err(e) => return Err(stop_for(&meter, e)),
            }
        }
    }
}

/// A refused read of the meter explains whatever error the parser made of it.
fn stop_for(meter: &Meter, e: io::Error) -> Stop {
    if meter.tripped() {
        return Stop::Content(ArchiveError::Limit(format!(
            "holds a header (or other data outside its files) larger than {} KiB",
            HEADER_MAX >> 10
        )));
    }
    Stop::Decode(e)
}
