//! The rules every archive entry must follow, in one place for everything that reads or
//! writes archives: the unpacker on the PCs, `scan` (the server's `publish` and
//! `verify`) and `pack`. What one refuses, all refuse, with the same words.

use std::collections::HashSet;

use tokio::io::AsyncRead;
use tokio_tar::{Entry, EntryType};

use super::walk::Stop;
use super::{ArchiveError, paths};

/// Files and folders in one archive. A VM's archive holds its disks: a handful, a few
/// hundred with many snapshots. The bound keeps the bookkeeping (and the time spent on
/// a hostile archive) small.
pub const MAX_ENTRIES: usize = 1000;
/// Folders in one archive, named or implied by a file's path. The unpacker keeps each
/// one open while it works, so this bounds its open files too.
pub const MAX_FOLDERS: usize = 64;

const TWICE: &str = "appears twice in the archive";
const SPARSE: &str = "is stored as a sparse file, which leovms does not support";

/// What an entry is, once it passed the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Checked {
    /// A folder: its path components.
    Dir(Vec<String>),
    /// A regular file: its path components and size.
    File { comps: Vec<String>, size: u64 },
}

/// The state the rules need across one archive.
#[derive(Debug, Default)]
pub(super) struct Rules {
    entries: usize,
    /// Every folder named or implied so far, as `a/b`.
    dirs: HashSet<String>,
    files: HashSet<String>,
}

impl Rules {
    /// Checks one entry as the tar parser returned it; `raw` is its name.
    pub async fn check<R: AsyncRead + Unpin>(
        &mut self,
        entry: &mut Entry<R>,
        raw: &[u8],
    ) -> Result<Checked, Stop> {
        let refuse = |reason| Stop::from(ArchiveError::unsafe_entry(raw, reason));
        self.count()?;
        match entry.header().entry_type() {
            EntryType::Regular | EntryType::Continuous => {
                if has_sparse_metadata(entry).await? {
                    return Err(refuse(SPARSE));
                }
                let comps = self.file(raw)?;
                Ok(Checked::File {
                    comps,
                    size: entry.effective_size(),
                })
            }
            EntryType::Directory => Ok(Checked::Dir(self.dir(raw)?)),
            EntryType::Symlink => Err(refuse("is a symbolic link")),
            EntryType::Link => Err(refuse("is a hard link")),
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                Err(refuse("is a device or another special file"))
            }
            EntryType::GNUSparse => Err(refuse(SPARSE)),
            _ => Err(refuse("is neither a file nor a folder")),
        }
    }

    fn count(&mut self) -> Result<(), ArchiveError> {
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            return Err(ArchiveError::Limit(format!(
                "holds more than {MAX_ENTRIES} files and folders"
            )));
        }
        Ok(())
    }

    /// A regular file named `raw` (also what `pack` is about to write).
    pub fn file(&mut self, raw: &[u8]) -> Result<Vec<String>, ArchiveError> {
        let comps = paths::entry_components(raw, false)?;
        let key = comps.join("/");
        if self.files.contains(&key) || self.dirs.contains(&key) {
            return Err(ArchiveError::unsafe_entry(raw, TWICE));
        }
        self.folders(raw, &comps[..comps.len() - 1])?;
        self.files.insert(key);
        Ok(comps)
    }

    /// `pack`'s check of one name: the rules of [`Rules::check`] for a regular file.
    pub fn packed_file(&mut self, raw: &[u8]) -> Result<(), ArchiveError> {
        self.count()?;
        self.file(raw).map(drop)
    }

    fn dir(&mut self, raw: &[u8]) -> Result<Vec<String>, ArchiveError> {
        let comps = paths::entry_components(raw, true)?;
        self.folders(raw, &comps)?;
        Ok(comps)
    }

    /// Registers `comps` and every folder above it; none may be a file.
    fn folders(&mut self, raw: &[u8], comps: &[String]) -> Result<(), ArchiveError> {
        for i in 1..=comps.len() {
            let key = comps[..i].join("/");
            if self.dirs.contains(&key) {
                continue;
            }
            if self.files.contains(&key) {
                return Err(ArchiveError::unsafe_entry(raw, TWICE));
            }
            if self.dirs.len() == MAX_FOLDERS {
                return Err(ArchiveError::Limit(format!(
                    "holds more than {MAX_FOLDERS} folders"
                )));
            }
            self.dirs.insert(key);
        }
        Ok(())
    }
}

/// PAX sparse files keep their map inside the data; written as-is they would be wrong.
async fn has_sparse_metadata<R: AsyncRead + Unpin>(entry: &mut Entry<R>) -> Result<bool, Stop> {
    let Some(pax) = entry.pax_extensions().await.map_err(Stop::Decode)? else {
        return Ok(false);
    };
    for ext in pax {
        if ext
            .map_err(Stop::Decode)?
            .key_bytes()
            .starts_with(b"GNU.sparse.")
        {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_counts_and_folders() {
        let mut r = Rules::default();
        r.packed_file(b"a/b.vdi").unwrap();
        assert!(r.packed_file(b"a/b.vdi").is_err());
        assert!(r.packed_file(b"a/b.vdi/c").is_err());
        assert!(r.packed_file(b"a").is_err());
        r.dir(b"a/").unwrap();
        assert!(r.dir(b"a/b.vdi/").is_err());

        let mut r = Rules::default();
        for i in 0..MAX_FOLDERS {
            r.packed_file(format!("d{i}/f").as_bytes()).unwrap();
        }
        let e = r.packed_file(b"one/more").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the archive holds more than 64 folders, which is not allowed"
        );
        assert_eq!(e.kind_id(), "UnsafeArchive");

        let mut r = Rules::default();
        for i in 0..MAX_ENTRIES {
            r.packed_file(format!("f{i}").as_bytes()).unwrap();
        }
        let e = r.packed_file(b"last").unwrap_err();
        assert!(
            e.to_string().contains("more than 1000 files and folders"),
            "{e}"
        );
    }
}
