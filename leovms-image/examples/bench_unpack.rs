//! Unpack benchmark: leovms' verified `unpack` against GNU tar and a sparse-aware
//! shell pipeline, plus the warm start (base already present) against a plain
//! snapshot unpack. See docs/benchmarks.md.
//!
//! `cargo run --release -p leovms-image --example bench_unpack -- [--size-mib 2048] [--runs 5] [--dir DIR]`

#[path = "bench/mod.rs"]
mod bench;
#[path = "bench/disk.rs"]
mod disk;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use bench::{cpu_seconds, fresh, loadavg, median, median_f, sha256_file, shell, sync};
use disk::packed_disk;
use leovms_image::archive::{Expected, unpack};
use tokio_util::sync::CancellationToken;

const SNAPSHOT_MIB: usize = 64;

/// The common flags and `--only`: only these contenders (0 leovms, 1 tar, 2 pipeline);
/// for profiling.
fn parse_args() -> (bench::Args, Option<Vec<usize>>) {
    let mut only = None;
    let usage = "bench_unpack [--size-mib N] [--runs N] [--dir DIR] [--only 0,1,2]";
    let args = bench::parse_args(usage, |flag, value| match flag {
        "--only" => {
            only = value.split(',').map(|v| v.parse().ok()).collect();
            only.is_some()
        }
        _ => false,
    });
    (args, only)
}

async fn leovms_unpack(archive: &Path, expected: &Expected, out: &Path) {
    unpack(archive, expected, out, &|_| {}, &CancellationToken::new())
        .await
        .unwrap();
}

#[tokio::main]
async fn main() {
    let (args, only) = parse_args();
    fs::create_dir_all(&args.dir).unwrap();
    let dir = args.dir.as_path();
    let (base, base_exp) =
        packed_disk(dir, "base", "base.vdi", args.size_mib, 45, 0x1e0_5c41).await;
    let snap_inner = "Snapshots/{5f0e7c2a-1d3b-4e8a-9c6f-2b7d1a0e4c3f}.vdi";
    let (snap, snap_exp) = packed_disk(dir, "snapshot", snap_inner, SNAPSHOT_MIB, 30, 0xd1ff).await;
    let a = base.display();
    let out = dir.join("out");

    // Correctness once: the verified unpack must reproduce the source bit for bit.
    leovms_unpack(&base, &base_exp, &fresh(&out)).await;
    let want = fs::read_to_string(dir.join(format!("base-{}.vdi.sha256", args.size_mib))).unwrap();
    assert_eq!(
        hex::encode(sha256_file(&out.join("base.vdi"))),
        want.trim(),
        "unpacked file differs"
    );
    fresh(&out);

    let names = [
        "leovms unpack (verified)",
        "tar --zstd -xf",
        "zstd | tar -xO | cp --sparse",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); 3];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let load_before = loadavg();
    for run in 0..args.runs {
        let order: Vec<usize> = if run % 2 == 0 {
            vec![0, 1, 2]
        } else {
            vec![2, 1, 0]
        };
        for &c in order
            .iter()
            .filter(|c| only.as_ref().is_none_or(|o| o.contains(c)))
        {
            let o = fresh(&out);
            sync();
            let (t, c0) = (Instant::now(), cpu_seconds());
            match c {
                0 => leovms_unpack(&base, &base_exp, &o).await,
                1 => shell(&format!("tar --zstd -xf '{a}' -C '{}'", o.display())),
                _ => shell(&format!(
                    "zstd -dc '{a}' | tar -xO | cp --sparse=always /dev/stdin '{}/base.vdi'",
                    o.display()
                )),
            }
            let (d, used) = (t.elapsed(), cpu_seconds() - c0);
            println!("run {run} {:<30} {:>8.2?}  cpu {used:.2}s", names[c], d);
            times[c].push(d);
            cpu[c].push(used);
            fresh(&out);
        }
    }

    // Warm start: the base is unpacked already and only needs a presence check.
    let warm = dir.join("warm");
    let base_dir = warm.join("base");
    fresh(&warm);
    leovms_unpack(&base, &base_exp, &base_dir).await;
    fs::write(base_dir.join(".leovms-base"), hex::encode(base_exp.sha256)).unwrap();
    let mut snap_only = Vec::new();
    let mut warm_start = Vec::new();
    // Small and quick: more runs keep the noise down.
    for run in 0..args.runs * 4 {
        for step in if run % 2 == 0 { [0, 1] } else { [1, 0] } {
            let o = fresh(&warm.join("vm"));
            sync();
            let t = Instant::now();
            if step == 1 {
                let meta = fs::metadata(base_dir.join("base.vdi")).unwrap();
                let marker = fs::read_to_string(base_dir.join(".leovms-base")).unwrap();
                assert!(meta.len() == base_exp.unpacked && marker == hex::encode(base_exp.sha256));
            }
            leovms_unpack(&snap, &snap_exp, &o).await;
            let d = t.elapsed();
            if step == 1 {
                warm_start.push(d)
            } else {
                snap_only.push(d)
            }
        }
    }
    let _ = fs::remove_dir_all(&warm);
    let _ = fs::remove_dir_all(&out);

    let m: Vec<Duration> = times.iter_mut().map(|v| median(v)).collect();
    let mc: Vec<f64> = cpu.iter_mut().map(|v| median_f(v)).collect();
    let (snap_m, warm_m) = (median(&mut snap_only), median(&mut warm_start));
    println!();
    println!(
        "archive: {} MiB -> {} MiB unpacked, {} runs, load average {load_before} -> {}, medians:",
        base_exp.size >> 20,
        base_exp.unpacked >> 20,
        args.runs,
        loadavg()
    );
    for ((name, d), c) in names.iter().zip(&m).zip(&mc) {
        println!("  {name:<30} {d:>8.2?}  cpu {c:.2}s");
    }
    println!(
        "  {:<30} {snap_m:>8.2?}",
        format!("snapshot unpack ({SNAPSHOT_MIB} MiB)")
    );
    println!("  {:<30} {warm_m:>8.2?}", "warm start (check + snapshot)");
    println!(
        "unpack/tar = {:.2}",
        m[0].as_secs_f64() / m[1].as_secs_f64()
    );
    println!(
        "unpack/pipeline = {:.2}",
        m[0].as_secs_f64() / m[2].as_secs_f64()
    );
    println!(
        "warm start/snapshot unpack = {:.2}",
        warm_m.as_secs_f64() / snap_m.as_secs_f64()
    );
}
