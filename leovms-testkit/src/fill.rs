//! Allocating data blocks in a freshly created dynamic VDI, so that the demo base disk has
//! a real size (progress bars move, hashes take time) and archives compress unevenly.
//!
//! Field offsets are those of VirtualBox's VDICore.h (VDIPREHEADER + VDIHEADER1PLUS).

use std::fs::OpenOptions;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

const OFF_BLOCKS: u64 = 0x154;
const OFF_DATA: u64 = 0x158;
const CB_BLOCK: u64 = 0x178;
const C_BLOCKS: u64 = 0x180;
const C_BLOCKS_ALLOCATED: u64 = 0x184;

/// Allocates `count` blocks spread over the virtual disk: random (incompressible) data,
/// text (compressible) and explicitly written zero blocks. `seed` varies the content.
pub fn allocate_blocks(path: &Path, count: u32, seed: u64) -> io::Result<()> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let off_blocks = read_u32(&mut file, OFF_BLOCKS)?;
    let off_data = read_u32(&mut file, OFF_DATA)?;
    let cb_block = read_u32(&mut file, CB_BLOCK)?;
    let c_blocks = read_u32(&mut file, C_BLOCKS)?;
    if read_u32(&mut file, C_BLOCKS_ALLOCATED)? != 0 {
        return Err(io::Error::other("VDI already has allocated blocks"));
    }
    if count > c_blocks {
        return Err(io::Error::other(format!(
            "cannot allocate {count} blocks in a disk of {c_blocks}"
        )));
    }
    if count == 0 {
        return Ok(());
    }
    let stride = c_blocks / count;
    let mut map = vec![u32::MAX; c_blocks as usize]; // VDI_IMAGE_BLOCK_FREE
    let mut rng = XorShift(seed | 1);
    let mut block = vec![0u8; cb_block as usize];
    for physical in 0..count {
        map[(physical * stride) as usize] = physical;
        fill(&mut block, physical, &mut rng);
        file.seek(SeekFrom::Start(
            u64::from(off_data) + u64::from(physical) * u64::from(cb_block),
        ))?;
        file.write_all(&block)?;
    }
    let raw: Vec<u8> = map.iter().flat_map(|entry| entry.to_le_bytes()).collect();
    file.seek(SeekFrom::Start(u64::from(off_blocks)))?;
    file.write_all(&raw)?;
    file.seek(SeekFrom::Start(C_BLOCKS_ALLOCATED))?;
    file.write_all(&count.to_le_bytes())?;
    file.sync_all()
}

fn fill(block: &mut [u8], index: u32, rng: &mut XorShift) {
    match index % 4 {
        0 | 3 => block.chunks_mut(8).for_each(|chunk| {
            let bytes = rng.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }),
        1 => {
            let line = format!("leovms demo disk, block {index}\n");
            block
                .iter_mut()
                .zip(line.bytes().cycle())
                .for_each(|(b, c)| *b = c);
        }
        _ => block.fill(0),
    }
}

fn read_u32(file: &mut std::fs::File, offset: u64) -> io::Result<u32> {
    let mut buf = [0u8; 4];
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(&mut buf)?;
    Ok(u32::from_le_bytes(buf))
}

/// Small deterministic generator; the content only has to look random to zstd.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
/// `n` bytes that do not compress, the same for the same `seed`.
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
