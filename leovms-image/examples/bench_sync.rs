//! Sync benchmark: leovms' verified `copy_verified` (share → local cache) against
//! `cp` followed by `sync`, so that both results are on the disk. See
//! docs/benchmarks.md.
//!
//! `cargo run --release -p leovms-image --example bench_sync -- [--size-mib 2048] [--runs 5] [--dir DIR] [--src DIR]`

#[path = "bench/mod.rs"]
mod bench;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bench::{MIB, Rng, cpu_seconds, fresh, loadavg, median, median_f, sha256_file, shell, sync};
use leovms_image::copy::{Expected, copy_verified};
use leovms_image::dirfd::Dir;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

/// The common flags (`dir` is the destination side, the local cache) and `--src`, the
/// source side (the share; may be a mounted share).
fn parse_args() -> (bench::Args, PathBuf) {
    let mut src = PathBuf::from("/var/tmp/leovms-bench/share");
    let usage = "bench_sync [--size-mib N] [--runs N] [--dir DIR] [--src DIR]";
    let args = bench::parse_args(usage, |flag, value| match flag {
        "--src" => {
            src = PathBuf::from(value);
            true
        }
        _ => false,
    });
    (args, src)
}

/// Builds (or reuses) an archive-like file of random bytes (compressed data is
/// incompressible) and returns its description.
fn prepare(dir: &Path, mib: usize) -> (PathBuf, Expected) {
    let path = dir.join(format!("base-{mib}.tar.zst"));
    let marker = dir.join(format!("base-{mib}.expected"));
    if let Ok(text) = fs::read_to_string(&marker) {
        let v: Vec<&str> = text.split_whitespace().collect();
        let size = fs::metadata(&path).map(|m| m.len()).ok();
        if v.len() == 2 && size == v[0].parse().ok() {
            let mut sha256 = [0u8; 32];
            hex::decode_to_slice(v[1], &mut sha256).unwrap();
            println!("reusing {}", path.display());
            let expected = Expected {
                size: size.unwrap(),
                sha256,
                unpacked: 0,
            };
            return (path, expected);
        }
    }
    let t = Instant::now();
    let mut rng = Rng(0x5c0_1e0b);
    let mut out = BufWriter::with_capacity(4 * MIB, File::create(&path).unwrap());
    let mut sha = Sha256::new();
    let mut block = vec![0u8; MIB];
    for _ in 0..mib {
        for w in block.chunks_exact_mut(8) {
            w.copy_from_slice(&rng.next().to_le_bytes());
        }
        sha.update(&block);
        out.write_all(&block).unwrap();
    }
    out.into_inner().unwrap().sync_all().unwrap();
    let expected = Expected {
        size: (mib * MIB) as u64,
        sha256: sha.finalize().into(),
        unpacked: 0,
    };
    let text = format!("{} {}\n", expected.size, hex::encode(expected.sha256));
    fs::write(&marker, text).unwrap();
    println!(
        "generated {} ({mib} MiB) in {:.1?}",
        path.display(),
        t.elapsed()
    );
    (path, expected)
}

/// How long sha256 alone needs for `size` bytes (in memory, one thread, best of
/// three): the lower bound for any verified copy.
fn hash_floor(size: u64) -> Duration {
    let buf: Vec<u8> = (0..256 * MIB).map(|i| (i >> 3) as u8).collect();
    let best = (0..3)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(Sha256::digest(&buf));
            t.elapsed()
        })
        .min()
        .unwrap();
    best.mul_f64(size as f64 / buf.len() as f64)
}

async fn leovms_copy(src: &Path, expected: &Expected, cache: &Path) {
    let dir = Dir::open(cache).unwrap();
    let report = copy_verified(
        src,
        expected,
        &dir,
        ".leovms-tmp.base.tar.zst.partial",
        "base.tar.zst",
        0o644,
        Duration::from_secs(30),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.resumed, 0);
}

#[tokio::main]
async fn main() {
    let (args, share) = parse_args();
    fs::create_dir_all(&share).unwrap();
    fs::create_dir_all(&args.dir).unwrap();
    let (src, expected) = prepare(&share, args.size_mib);
    let cache = args.dir.join("cache");
    let cp_out = args.dir.join("cp-out");
    let (s, o) = (src.display(), cp_out.display());

    // Correctness once; this also brings the source into the page cache, so every
    // contender reads it warm.
    leovms_copy(&src, &expected, &fresh(&cache)).await;
    assert_eq!(
        sha256_file(&cache.join("base.tar.zst")),
        expected.sha256,
        "the copy differs"
    );
    fresh(&cache);

    let names = ["leovms copy_verified", "cp && sync -f", "cp (not durable)"];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); 3];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let floor = hash_floor(expected.size);
    let load_before = loadavg();
    for run in 0..args.runs {
        let order = if run % 2 == 0 { [0, 1, 2] } else { [2, 1, 0] };
        for c in order {
            fresh(&cache);
            let _ = fs::remove_file(&cp_out);
            sync();
            let (t, c0) = (Instant::now(), cpu_seconds());
            match c {
                0 => leovms_copy(&src, &expected, &cache).await,
                1 => shell(&format!("cp '{s}' '{o}' && sync -f '{o}'")),
                _ => shell(&format!("cp '{s}' '{o}'")),
            }
            let (d, used) = (t.elapsed(), cpu_seconds() - c0);
            println!("run {run} {:<22} {:>8.2?}  cpu {used:.2}s", names[c], d);
            times[c].push(d);
            cpu[c].push(used);
        }
    }
    let _ = fs::remove_dir_all(&cache);
    let _ = fs::remove_file(&cp_out);
    sync();

    let m: Vec<Duration> = times.iter_mut().map(|v| median(v)).collect();
    let mc: Vec<f64> = cpu.iter_mut().map(|v| median_f(v)).collect();
    println!();
    println!(
        "{} MiB from {} to {}, source warm in the page cache for all contenders, \
         {} runs, load average {load_before} -> {}, medians:",
        args.size_mib,
        share.display(),
        args.dir.display(),
        args.runs,
        loadavg()
    );
    for ((name, d), c) in names.iter().zip(&m).zip(&mc) {
        println!("  {name:<22} {d:>8.2?}  cpu {c:.2}s");
    }
    println!("  {:<22} {floor:>8.2?}", "sha256 alone (floor)");
    println!("leovms copy and `cp && sync -f` end with the data on the disk; plain `cp` does not.");
    println!("sync/cp = {:.2}", m[0].as_secs_f64() / m[1].as_secs_f64());
}
