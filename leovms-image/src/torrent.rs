//! The torrent file `leovms-admin publish` writes next to each archive
//! (`<archive>.torrent`, listed in the manifest) for the room swarm (docs/swarm.md):
//! BitTorrent's metainfo for one file, without trackers, its pieces sized so that even
//! a 100 GB base stays at a few thousand.

use std::fs::File;
use std::io;
use std::path::Path;

use sha1::{Digest, Sha1};

use crate::archive::read_full;

/// What is appended to an archive's name for its torrent file.
pub const SUFFIX: &str = ".torrent";
/// The most a torrent file of ours may have (a 100 GB archive's has about 130 KB).
pub const MAX_BYTES: u64 = 4 << 20;
const MIN_PIECE: u32 = 256 << 10;
const MAX_PIECE: u32 = 16 << 20;
const MOST_PIECES: u64 = 4096;

/// The piece length for an archive of `size` bytes: the smallest power of two from
/// 256 KiB that keeps the pieces at 4096 or fewer, at most 16 MiB.
pub fn piece_length(size: u64) -> u32 {
    let mut piece = MIN_PIECE;
    while piece < MAX_PIECE && size.div_ceil(u64::from(piece)) > MOST_PIECES {
        piece *= 2;
    }
    piece
}

/// The torrent of the archive at `path`, named `name` (its file name in the VM's
/// folder). Reads the whole archive once, telling `read` how much each piece had.
pub fn create(path: &Path, name: &str, mut read: impl FnMut(u64)) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let piece = piece_length(size) as usize;
    let mut pieces = Vec::with_capacity(size.div_ceil(piece as u64) as usize * 20);
    let mut buf = vec![0u8; piece];
    let mut length = 0u64;
    loop {
        let filled = read_full(&mut file, &mut buf)?;
        if filled == 0 {
            break;
        }
        length += filled as u64;
        read(filled as u64);
        pieces.extend_from_slice(&Sha1::digest(&buf[..filled]));
        if filled < piece {
            break;
        }
    }
    if length != size {
        return Err(io::Error::other(format!(
            "{} changed while it was read",
            path.display()
        )));
    }
    Ok(metainfo(name, length, piece as u32, &pieces))
}

/// Bencoded `{info: {length, name, piece length, pieces}}`, keys in sorted order.
fn metainfo(name: &str, length: u64, piece: u32, pieces: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pieces.len() + 128);
    out.extend_from_slice(b"d4:infod6:length");
    out.extend_from_slice(format!("i{length}e4:name{}:", name.len()).as_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(format!("12:piece lengthi{piece}e6:pieces{}:", pieces.len()).as_bytes());
    out.extend_from_slice(pieces);
    out.extend_from_slice(b"ee");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn pieces_grow_with_the_archive() {
        assert_eq!(piece_length(0), 256 << 10);
        assert_eq!(piece_length(1 << 30), 256 << 10);
        assert_eq!(piece_length((1 << 30) + 1), 512 << 10);
        assert_eq!(piece_length(20_000_000_000), 8 << 20);
        assert_eq!(piece_length(1 << 40), 16 << 20);
    }

    #[test]
    fn a_piece_hash_for_every_piece_and_none_more() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0usize, 1, 256 << 10, (256 << 10) + 1, 3 << 20] {
            let path = dir.path().join("a");
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            File::create(&path).unwrap().write_all(&data).unwrap();
            let torrent = create(&path, "base.tar.zst", |_| {}).unwrap();
            let pieces = len.div_ceil(256 << 10);
            let head = format!(
                "d4:infod6:lengthi{len}e4:name12:base.tar.zst12:piece lengthi262144e6:pieces{}:",
                pieces * 20
            );
            assert!(torrent.starts_with(head.as_bytes()), "{len}");
            assert_eq!(torrent.len(), head.len() + pieces * 20 + 2);
            if len > 0 {
                let first = Sha1::digest(&data[..len.min(256 << 10)]);
                assert_eq!(&torrent[head.len()..head.len() + 20], first.as_slice());
            }
        }
    }
}
