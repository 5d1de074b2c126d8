//! Making room: what the store holds, by last use, and which of it may go. The caller
//! says what must stay (pinned, leased by a running VM, needed by the request); the
//! rest goes least recently used first, and only when that is enough.

use std::collections::HashSet;
use std::io;

use leovms_api::units::format_gb;
use leovms_image::dirfd::Dir;

use crate::error::{StoreError, StoreErrorKind};
use crate::store::Store;

/// What an entry of the store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Archive,
    Base,
}

/// One thing the store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    /// The archive's hash (a base is kept under its archive's hash).
    pub sha256: [u8; 32],
    pub bytes: u64,
    /// Unix seconds of the last use ([`Store::touch`]) or of its making.
    pub last_used: i64,
}

impl Store {
    /// Everything the store holds; work in progress is not counted.
    pub fn entries(&self) -> io::Result<Vec<Entry>> {
        let mut out = Vec::new();
        for (kind, dir) in [
            (Kind::Archive, self.dir(Kind::Archive)),
            (Kind::Base, self.dir(Kind::Base)),
        ] {
            for name in dir.names()? {
                let Some(sha256) = parse_hash(&name.to_string_lossy()) else {
                    continue;
                };
                let Some(meta) = dir.stat(&name)? else {
                    continue;
                };
                let bytes = match kind {
                    Kind::Archive if meta.is_file() => meta.size,
                    Kind::Base if meta.is_dir() => tree_bytes(&dir.sub(&name)?)?,
                    _ => continue,
                };
                out.push(Entry {
                    kind,
                    sha256,
                    bytes,
                    last_used: meta.modified,
                });
            }
        }
        Ok(out)
    }

    /// Marks an entry as used now, so that making room takes it last.
    pub fn touch(&self, kind: Kind, sha256: &[u8; 32]) -> io::Result<()> {
        self.dir(kind).touch(hex::encode(sha256))
    }

    /// Makes room for `need` more bytes within `limit` bytes in all: removes entries
    /// whose hash is not in `keep`, least recently used first (larger first among
    /// equals), until `need` fits. When it cannot fit even so, nothing is removed and
    /// the error names what is needed and what could be freed. Returns what was removed.
    pub fn make_room(
        &self,
        need: u64,
        limit: u64,
        keep: &HashSet<[u8; 32]>,
    ) -> Result<Vec<Entry>, StoreError> {
        let io = |e: io::Error| StoreError::io("the store", &e);
        let mut entries = self.entries().map_err(io)?;
        let used: u64 = entries.iter().map(|e| e.bytes).sum();
        let mut over = (used + need).saturating_sub(limit);
        if over == 0 {
            return Ok(Vec::new());
        }
        entries.retain(|e| !keep.contains(&e.sha256));
        entries.sort_by_key(|e| (e.last_used, std::cmp::Reverse(e.bytes)));
        let mut chosen = Vec::new();
        for entry in entries {
            if over == 0 {
                break;
            }
            over = over.saturating_sub(entry.bytes);
            chosen.push(entry);
        }
        if over > 0 {
            let freeable: u64 = chosen.iter().map(|e| e.bytes).sum();
            return Err(StoreError::new(
                StoreErrorKind::NoSpace,
                format!(
                    "The store cannot take {} more: its limit is {}, {} are used, and only {} of that could be freed (the rest is pinned or in use by a running VM).",
                    format_gb(need),
                    format_gb(limit),
                    format_gb(used),
                    format_gb(freeable)
                ),
            ));
        }
        for entry in &chosen {
            self.dir(entry.kind)
                .remove_own(hex::encode(entry.sha256))
                .map_err(io)?;
        }
        Ok(chosen)
    }
}

impl Store {
    /// Removes every entry whose hash is not in `keep`; returns what was removed.
    pub fn prune(&self, keep: &HashSet<[u8; 32]>) -> Result<Vec<Entry>, StoreError> {
        let io = |e: io::Error| StoreError::io("the store", &e);
        let mut removed = self.entries().map_err(io)?;
        removed.retain(|e| !keep.contains(&e.sha256));
        for entry in &removed {
            self.dir(entry.kind)
                .remove_own(hex::encode(entry.sha256))
                .map_err(io)?;
        }
        Ok(removed)
    }
}

fn parse_hash(name: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(name, &mut out).ok()?;
    // Only the names the store gives: lower-case hex.
    (hex::encode(out) == name).then_some(out)
}

/// The bytes of the regular files in a tree, read through descriptors.
fn tree_bytes(dir: &Dir) -> io::Result<u64> {
    let mut sum = 0;
    for name in dir.names()? {
        match dir.stat(&name)? {
            Some(m) if m.is_dir() => sum += tree_bytes(&dir.sub(&name)?)?,
            Some(m) if m.is_file() => sum += m.size,
            _ => {}
        }
    }
    Ok(sum)
}

#[cfg(test)]
mod tests;
