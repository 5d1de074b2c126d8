//! The disk-like input of the packing and unpacking benchmarks. Included with `#[path]`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use leovms_image::archive::{Compression, Expected, pack};

use super::bench::{MIB, Rng, sha256_file};

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

/// Builds (or reuses) a disk file and its archive in `dir`; returns the archive's
/// description. The disk's sha256 is kept as `<name>-<mib>.vdi.sha256`.
pub async fn packed_disk(
    dir: &Path,
    name: &str,
    inner: &str,
    mib: usize,
    zero_pct: u64,
    seed: u64,
) -> (PathBuf, Expected) {
    let disk = dir.join(format!("{name}-{mib}.vdi"));
    let archive = dir.join(format!("{name}-{mib}.tar.zst"));
    let marker = dir.join(format!("{name}-{mib}.expected"));
    if let Ok(text) = fs::read_to_string(&marker) {
        let v: Vec<&str> = text.split_whitespace().collect();
        if v.len() == 3 && archive.exists() {
            let mut sha = [0u8; 32];
            hex::decode_to_slice(v[1], &mut sha).unwrap();
            let e = Expected {
                size: v[0].parse().unwrap(),
                sha256: sha,
                unpacked: v[2].parse().unwrap(),
            };
            println!("reusing {}", archive.display());
            return (archive, e);
        }
    }
    let t = Instant::now();
    let zeros = make_disk(&disk, mib, zero_pct, seed);
    println!(
        "generated {} ({mib} MiB, {:.0} % zero blocks) in {:.1?}",
        disk.display(),
        zeros * 100.0,
        t.elapsed()
    );
    let t = Instant::now();
    let report = pack(
        &[(disk.clone(), inner.to_owned())],
        &archive,
        Compression::Zstd,
    )
    .await
    .unwrap();
    println!(
        "packed {} ({:.0} MiB, ratio {:.2}) in {:.1?}",
        archive.display(),
        report.size as f64 / MIB as f64,
        report.size as f64 / report.unpacked as f64,
        t.elapsed()
    );
    let text = format!(
        "{} {} {}\n",
        report.size,
        hex::encode(report.sha256),
        report.unpacked
    );
    fs::write(&marker, text).unwrap();
    fs::write(
        dir.join(format!("{name}-{mib}.vdi.sha256")),
        hex::encode(sha256_file(&disk)),
    )
    .unwrap();
    fs::remove_file(&disk).unwrap();
    (
        archive,
        Expected {
            size: report.size,
            sha256: report.sha256,
            unpacked: report.unpacked,
        },
    )
}
