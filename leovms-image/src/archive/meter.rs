//! A bound on the bytes of an archive that are not file data.
//!
//! The tar parser reads a GNU long name (`L`), long link (`K`) or PAX header (`x`)
//! completely into memory before it returns the entry it describes, however large the
//! header claims to be: a tiny zstd stream of zeros behind a header that claims 3 GiB
//! would take 3 GiB of memory. Rather than parse tar ourselves, the parser reads
//! through [`Metered`]: each time an entry comes out, the reader is allowed that
//! entry's file data plus [`HEADER_MAX`] for everything up to the next entry (block
//! padding, the next headers). A read beyond that fails before the bytes are read, so
//! no header can grow past the limit, whatever the parser does with it.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf, Take};

/// Bytes outside file data allowed between two entries. Real headers take 512 bytes
/// each, a long name a few hundred more; names are limited to 128 bytes anyway.
pub(super) const HEADER_MAX: u64 = 64 << 10;

/// What the parser has read, and how far it may read.
#[derive(Debug)]
pub(super) struct Meter {
    pos: AtomicU64,
    until: AtomicU64,
    tripped: AtomicBool,
}

impl Meter {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            pos: AtomicU64::new(0),
            until: AtomicU64::new(HEADER_MAX),
            tripped: AtomicBool::new(false),
        })
    }

    /// An entry came out whose `data` bytes follow now.
    pub fn entry(&self, data: u64) {
        let pos = self.pos.load(Ordering::Relaxed);
        let until = pos.saturating_add(data).saturating_add(HEADER_MAX);
        self.until.store(until, Ordering::Relaxed);
    }

    /// Whether a read was refused: whatever error the parser made of it, this is why.
    pub fn tripped(&self) -> bool {
        self.tripped.load(Ordering::Relaxed)
    }
}

/// The decompressed stream as the tar parser sees it.
pub(super) struct Metered<R> {
    inner: Take<R>,
    meter: Arc<Meter>,
}

impl<R: AsyncRead + Unpin> Metered<R> {
    pub fn new(inner: R, meter: Arc<Meter>) -> Self {
        Self {
            inner: inner.take(HEADER_MAX),
            meter,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Metered<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let pos = this.meter.pos.load(Ordering::Relaxed);
        let until = this.meter.until.load(Ordering::Relaxed);
        if pos >= until && buf.remaining() > 0 {
            this.meter.tripped.store(true, Ordering::Relaxed);
            return Poll::Ready(Err(io::Error::other(format!(
                "more than {} KiB outside the files",
                HEADER_MAX >> 10
            ))));
        }
        this.inner.set_limit(until - pos);
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let n = (buf.filled().len() - before) as u64;
            this.meter.pos.fetch_add(n, Ordering::Relaxed);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_stop_at_the_allowance() {
        let data = vec![7u8; 3 * HEADER_MAX as usize];
        let meter = Meter::new();
        let mut r = Metered::new(&data[..], meter.clone());
        let mut buf = vec![0u8; 2 * HEADER_MAX as usize];
        let n = r.read(&mut buf).await.unwrap();
        assert_eq!(n as u64, HEADER_MAX);
        assert!(r.read(&mut buf).await.is_err());
        assert!(meter.tripped());

        // An entry's data is allowed on top.
        let meter = Meter::new();
        let mut r = Metered::new(&data[..], meter.clone());
        r.read_exact(&mut buf[..512]).await.unwrap();
        meter.entry(HEADER_MAX);
        let mut read = 512u64;
        let failed = loop {
            match r.read(&mut buf).await {
                Ok(0) => break false,
                Ok(n) => read += n as u64,
                Err(_) => break true,
            }
        };
        assert!(failed);
        assert_eq!(read, 512 + 2 * HEADER_MAX);
        assert!(meter.tripped());
    }
}
