//! Helpers for the archive tests: hand-made (possibly malicious) tar streams and
//! checks that nothing escaped the target directory.

use std::path::{Path, PathBuf};

use async_compression::tokio::write::{GzipEncoder, ZstdEncoder};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio_tar::{Builder, EntryType, Header};
use tokio_util::sync::CancellationToken;

use super::{ArchiveError, Expected, UnpackReport};

/// A scratch area: `target/` to unpack into and `sentinel/`, which must stay empty.
pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub target: PathBuf,
    pub sentinel: PathBuf,
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let target = root.join("target");
    let sentinel = root.join("sentinel");
    std::fs::create_dir(&target).unwrap();
    std::fs::create_dir(&sentinel).unwrap();
    Fixture {
        _dir: dir,
        root,
        target,
        sentinel,
    }
}

impl Fixture {
    /// Stores a compressed archive next to the target and describes it truthfully.
    pub fn archive(&self, name: &str, bytes: &[u8], unpacked: u64) -> (PathBuf, Expected) {
        let path = self.root.join(name);
        std::fs::write(&path, bytes).unwrap();
        let expected = Expected {
            size: bytes.len() as u64,
            sha256: Sha256::digest(bytes).into(),
            unpacked,
        };
        (path, expected)
    }

    pub async fn unpack(
        &self,
        archive: &Path,
        expected: &Expected,
    ) -> Result<UnpackReport, ArchiveError> {
        let cancel = CancellationToken::new();
        super::unpack(archive, expected, &self.target, &|_| {}, &cancel).await
    }

    /// Nothing outside the target, no temporaries anywhere.
    pub fn assert_clean(&self) {
        let outside: Vec<_> = std::fs::read_dir(&self.sentinel).unwrap().collect();
        assert!(
            outside.is_empty(),
            "written outside the target: {outside:?}"
        );
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let e = e.unwrap();
                let name = e.file_name();
                assert!(
                    !name.to_string_lossy().starts_with(".leovms-tmp"),
                    "temporary left: {}",
                    e.path().display()
                );
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                }
            }
        }
    }

    /// The names directly in the target directory.
    pub fn target_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.target)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// Builds tar streams entry by entry, including ones no honest tool would write.
pub struct RawTar {
    builder: Builder<Vec<u8>>,
}

impl RawTar {
    pub fn new() -> Self {
        Self {
            builder: Builder::new(Vec::new()),
        }
    }

    /// An entry with a raw GNU header name (at most 100 bytes).
    pub async fn entry(
        &mut self,
        name: &[u8],
        kind: EntryType,
        data: &[u8],
        link: &[u8],
    ) -> &mut Self {
        let mut h = Header::new_gnu();
        let gnu = h.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name);
        gnu.linkname[..link.len()].copy_from_slice(link);
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        self.builder.append(&h, data).await.unwrap();
        self
    }

    /// An old-style GNU sparse (`S`) file: all data in one block at offset 0.
    pub async fn gnu_sparse_file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        let octal = |n: usize| {
            let mut f = [0u8; 12];
            f[..11].copy_from_slice(format!("{n:011o}").as_bytes());
            f
        };
        let mut h = Header::new_gnu();
        let gnu = h.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        gnu.realsize = octal(data.len());
        gnu.sparse[0].offset = octal(0);
        gnu.sparse[0].numbytes = octal(data.len());
        h.set_entry_type(EntryType::GNUSparse);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        self.builder.append(&h, data).await.unwrap();
        self
    }

    pub async fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.entry(name.as_bytes(), EntryType::Regular, data, b"")
            .await
    }

    /// A GNU long-name (`L`) record followed by the entry it names.
    pub async fn long_name_file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        let mut long = name.as_bytes().to_vec();
        long.push(0);
        self.entry(b"././@LongLink", EntryType::GNULongName, &long, b"")
            .await;
        self.entry(&name.as_bytes()[..100], EntryType::Regular, data, b"")
            .await
    }

    /// A PAX extended header (`x`) giving the next entry the path `path`.
    pub async fn pax_path_file(&mut self, path: &str, data: &[u8]) -> &mut Self {
        self.pax_file("path", path, data).await
    }

    /// A file named `file` described by a PAX extended header with one record.
    pub async fn pax_file(&mut self, key: &str, value: &str, data: &[u8]) -> &mut Self {
        let body = format!(" {key}={value}\n");
        // The length field counts its own digits.
        let mut len = body.len();
        while body.len() + len.to_string().len() != len {
            len = body.len() + len.to_string().len();
        }
        let record = format!("{len}{body}");
        let mut h = Header::new_ustar();
        h.set_path("PaxHeaders/file").unwrap();
        h.set_entry_type(EntryType::XHeader);
        h.set_size(record.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        self.builder.append(&h, record.as_bytes()).await.unwrap();
        let mut h = Header::new_ustar();
        h.set_path("file").unwrap();
        h.set_entry_type(EntryType::Regular);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        self.builder.append(&h, data).await.unwrap();
        self
    }

    /// A PAX extended header (`x`) whose `len` bytes are all zero, then a file: the
    /// parser reads the whole header before it sees that it is no list of records.
    pub async fn huge_pax_file(&mut self, len: usize, data: &[u8]) -> &mut Self {
        let mut h = Header::new_ustar();
        h.set_path("PaxHeaders/file").unwrap();
        h.set_entry_type(EntryType::XHeader);
        h.set_size(len as u64);
        h.set_mode(0o644);
        h.set_cksum();
        self.builder.append(&h, &vec![0u8; len][..]).await.unwrap();
        self.file("file", data).await
    }

    pub async fn finish(self) -> Vec<u8> {
        self.builder.into_inner().await.unwrap()
    }
}

pub async fn zstd(bytes: &[u8]) -> Vec<u8> {
    let mut enc = ZstdEncoder::new(Vec::new());
    enc.write_all(bytes).await.unwrap();
    enc.shutdown().await.unwrap();
    enc.into_inner()
}

pub async fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzipEncoder::new(Vec::new());
    enc.write_all(bytes).await.unwrap();
    enc.shutdown().await.unwrap();
    enc.into_inner()
}

/// Deterministic bytes that do not compress.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
