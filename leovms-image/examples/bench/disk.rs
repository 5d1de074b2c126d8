//! The disk-like input of the packing and unpacking benchmarks. Included with `#[path]`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::bench::{MIB, Rng};

#[derive(Clone, Copy, PartialEq)]
enum Block {
    Zero,
    Text,
    Random,
}

/// Writes a disk-like file of `mib` 1 MiB blocks: `zero_pct` % zero blocks, the rest
/// split between text-like (compressible) and random blocks. Returns the zero share.
pub fn make_disk(path: &Path, mib: usize, zero_pct: u64, seed: u64) -> f64 {
    const WORDS: &[&str] = &[
        "the",
        "system",
        "windows",
        "driver",
        "registry",
        "user",
        "config",
        "value",
        "0x0000",
        "error",
        "update",
        "service",
        "network",
        "file",
        "C:\\Windows\\System32",
        "dll",
        "exe",
        "schule",
        "lehrer",
        "klasse",
        "\r\n",
        "\t",
        "{",
        "}",
        "<xml>",
        "</xml>",
        "=",
    ];
    let mut rng = Rng(seed);
    let mut out = BufWriter::with_capacity(4 * MIB, File::create(path).unwrap());
    let mut block = vec![0u8; MIB];
    let mut zeros = 0;
    for _ in 0..mib {
        let roll = rng.next() % 100;
        let kind = if roll < zero_pct {
            Block::Zero
        } else if roll < zero_pct + (100 - zero_pct) * 11 / 20 {
            Block::Text
        } else {
            Block::Random
        };
        match kind {
            Block::Zero => {
                block.fill(0);
                zeros += 1;
            }
            Block::Random => {
                for w in block.chunks_exact_mut(8) {
                    w.copy_from_slice(&rng.next().to_le_bytes());
                }
            }
            Block::Text => {
                let mut at = 0;
                while at < MIB {
                    let r = rng.next();
                    let word = WORDS[(r % WORDS.len() as u64) as usize].as_bytes();
                    let n = word.len().min(MIB - at);
                    block[at..at + n].copy_from_slice(&word[..n]);
                    at += n;
                    if at < MIB {
                        // Numbers make it less trivially compressible.
                        block[at] = if r >> 60 == 0 {
                            b'0' + (r >> 8) as u8 % 10
                        } else {
                            b' '
                        };
                        at += 1;
                    }
                }
            }
        }
        out.write_all(&block).unwrap();
    }
    out.into_inner().unwrap().sync_all().unwrap();
    zeros as f64 / mib as f64
}
