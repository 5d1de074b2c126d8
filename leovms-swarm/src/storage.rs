//! The engine's storage: one file the caller opened, and nothing else. The name in a
//! torrent never becomes a path here, so no peer or torrent file chooses where bytes go.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Result, bail};
use librqbit::storage::{BoxStorageFactory, StorageFactory, StorageFactoryExt, TorrentStorage};
use librqbit::{ManagedTorrentShared, TorrentMetadata};

/// Serves `file` for a single-file torrent: read-only when seeding what is published or
/// verified, writable when fetching into a file of the caller's own.
#[derive(Clone)]
pub(crate) struct OneFile {
    file: Arc<File>,
    writable: bool,
}

impl OneFile {
    pub(crate) fn factory(file: Arc<File>, writable: bool) -> BoxStorageFactory {
        OneFile { file, writable }.boxed()
    }

    fn check_id(file_id: usize) -> Result<()> {
        if file_id != 0 {
            bail!("a torrent of leovms has one file");
        }
        Ok(())
    }

    fn read_only() -> anyhow::Error {
        io::Error::new(io::ErrorKind::PermissionDenied, "seeded read-only").into()
    }
}

impl StorageFactory for OneFile {
    type Storage = OneFile;

    fn create(&self, _: &ManagedTorrentShared, _: &TorrentMetadata) -> Result<OneFile> {
        Ok(self.clone())
    }

    fn clone_box(&self) -> BoxStorageFactory {
        self.clone().boxed()
    }
}

impl TorrentStorage for OneFile {
    fn init(&mut self, _: &ManagedTorrentShared, metadata: &TorrentMetadata) -> Result<()> {
        if metadata.file_infos.len() != 1 {
            bail!("a torrent of leovms has one file");
        }
        Ok(())
    }

    fn pread_exact(&self, file_id: usize, offset: u64, buf: &mut [u8]) -> Result<()> {
        Self::check_id(file_id)?;
        Ok(self.file.read_exact_at(buf, offset)?)
    }

    fn pwrite_all(&self, file_id: usize, offset: u64, buf: &[u8]) -> Result<()> {
        Self::check_id(file_id)?;
        if !self.writable {
            return Err(Self::read_only());
        }
        Ok(self.file.write_all_at(buf, offset)?)
    }

    fn remove_file(&self, _: usize, _: &Path) -> Result<()> {
        // The caller owns the file and decides what becomes of it.
        Ok(())
    }

    fn remove_directory_if_empty(&self, _: &Path) -> Result<()> {
        Ok(())
    }

    fn ensure_file_length(&self, file_id: usize, length: u64) -> Result<()> {
        Self::check_id(file_id)?;
        let now = self.file.metadata()?.len();
        if now == length {
            return Ok(());
        }
        if !self.writable {
            bail!("the seeded file has {now} bytes, the torrent {length}");
        }
        Ok(self.file.set_len(length)?)
    }

    fn take(&self) -> Result<Box<dyn TorrentStorage>> {
        Ok(Box::new(self.clone()))
    }
}
