//! Checking a torrent file of the share (leovms-image's `torrent` writes them) with the
//! parser the engine itself uses, before the engine is given it.

use librqbit::torrent_from_bytes;

pub use leovms_image::torrent::{MAX_BYTES, SUFFIX};

use crate::SwarmError;

/// A torrent file checked against the archive it must describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub info_hash: String,
    pub piece_length: u32,
}

/// Whether `bytes` is a torrent of ours for an archive of `size` bytes: one file of that
/// size, a sane piece length and exactly the pieces that size needs.
pub fn check(bytes: &[u8], size: u64) -> Result<Checked, SwarmError> {
    let bad = |why: String| Err(SwarmError::Torrent(why));
    if bytes.len() as u64 > MAX_BYTES {
        return bad(format!("{} bytes, more than {MAX_BYTES}", bytes.len()));
    }
    let meta = torrent_from_bytes(bytes).map_err(|e| SwarmError::Torrent(e.to_string()))?;
    let info = &meta.info.data;
    if info.files.is_some() {
        return bad("it lists several files".into());
    }
    if info.length != Some(size) {
        return bad(format!(
            "it describes {} bytes, the manifest says {size}",
            info.length.unwrap_or(0)
        ));
    }
    let piece = info.piece_length;
    if !piece.is_power_of_two() || !(16 << 10..=64 << 20).contains(&piece) {
        return bad(format!("a piece length of {piece} bytes"));
    }
    let pieces = size.div_ceil(u64::from(piece));
    if info.pieces.as_ref().len() as u64 != pieces * 20 {
        return bad(format!("it does not have the {pieces} piece hashes"));
    }
    Ok(Checked {
        info_hash: meta.info_hash.as_string(),
        piece_length: piece,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_made_torrent_passes_and_a_wrong_size_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("base.tar.zst");
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(&vec![7u8; 700_000]).unwrap();
        let bytes = leovms_image::torrent::create(&path, "base.tar.zst", |_| {}).unwrap();
        let checked = check(&bytes, 700_000).unwrap();
        assert_eq!(checked.piece_length, 256 << 10);
        assert_eq!(checked.info_hash.len(), 40);
        let err = check(&bytes, 700_001).unwrap_err().to_string();
        assert!(err.contains("describes 700000 bytes"), "{err}");
        assert!(check(b"d4:infoi1ee", 1).is_err());
        assert!(check(b"not bencode", 1).is_err());
    }
}
