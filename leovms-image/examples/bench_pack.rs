//! Pack benchmark: writing an upload (`upload::write_upload`: tar.zst with one zstd
//! worker per CPU, hashed, manifest last) against `tar -I 'zstd -T0' -cf` on the same
//! disk-like input. See docs/benchmarks.md.
//!
//! `cargo run --release -p leovms-image --example bench_pack -- [--size-mib 2048] [--runs 5] [--dir DIR]`

#[path = "bench/mod.rs"]
mod bench;
// Shared by the benchmarks; this one only generates disks.
#[allow(dead_code)]
#[path = "bench/disk.rs"]
mod disk;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bench::{MIB, cpu_seconds, fresh, loadavg, median, median_f, sha256_file, shell, sync};
use disk::make_disk;
use leovms_image::name::SafeName;
use leovms_image::upload::{UploadFile, UploadKind, UploadSpec, write_upload};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Writes the upload; returns the archive's path and manifest entry (size, sha256).
async fn leovms_upload(disk: &Path, out: &Path) -> (PathBuf, u64, [u8; 32]) {
    let snapshot = SafeName::new("bench").unwrap();
    let spec = UploadSpec {
        kind: UploadKind::Snapshot,
        vm: SafeName::new("vm-bench").unwrap(),
        snapshot: Some(snapshot.clone()),
        name: String::new(),
        description: String::new(),
        uploader: "bench".into(),
        source_machine: String::new(),
        base_uuid: Uuid::nil(),
        files: vec![UploadFile::Archive {
            path_in_upload: format!("snapshots/{snapshot}/snapshot.tar.zst"),
            entries: vec![(disk.to_path_buf(), "disk.vdi".into())],
        }],
    };
    let report = write_upload(&out.join("up"), &spec, |_| {}, &CancellationToken::new())
        .await
        .unwrap();
    let files = &report.manifest.files;
    let entry = files.iter().find(|e| e.path.ends_with(".tar.zst")).unwrap();
    (out.join("up").join(&entry.path), entry.size, entry.sha256)
}

#[tokio::main]
async fn main() {
    let usage = "bench_pack [--size-mib N] [--runs N] [--dir DIR]";
    let args = bench::parse_args(usage, |_, _| false);
    fs::create_dir_all(&args.dir).unwrap();
    let disk = args.dir.join(format!("pack-{}.vdi", args.size_mib));
    if fs::metadata(&disk).map(|m| m.len()).ok() != Some((args.size_mib * MIB) as u64) {
        let t = Instant::now();
        make_disk(&disk, args.size_mib, 45, 0x9ac4);
        println!("generated {} in {:.1?}", disk.display(), t.elapsed());
    }
    let out = args.dir.join("pack-out");
    let names = ["leovms write_upload", "tar -I 'zstd -T0' -cf"];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); 2];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); 2];
    let mut sizes = [0u64; 2];
    let load_before = loadavg();
    for run in 0..args.runs {
        let order = if run % 2 == 0 { [0, 1] } else { [1, 0] };
        for c in order {
            let o = fresh(&out);
            sync();
            let (t, c0) = (Instant::now(), cpu_seconds());
            let mut written = None;
            sizes[c] = if c == 0 {
                let (archive, size, sha256) = leovms_upload(&disk, &o).await;
                written = Some((archive, sha256));
                size
            } else {
                let archive = o.join("snapshot.tar.zst");
                shell(&format!(
                    "tar -I 'zstd -T0' -cf '{}' -C '{}' '{}'",
                    archive.display(),
                    args.dir.display(),
                    disk.file_name().unwrap().to_str().unwrap()
                ));
                fs::metadata(&archive).unwrap().len()
            };
            // tar does not fsync; make the comparison about the same durable bytes.
            sync();
            let (d, used) = (t.elapsed(), cpu_seconds() - c0);
            println!("run {run} {:<24} {d:>8.2?}  cpu {used:.2}s", names[c]);
            times[c].push(d);
            cpu[c].push(used);
            // The hash computed while writing must be that of the bytes on disk.
            if let Some((archive, sha256)) = written.filter(|_| run == 0) {
                assert_eq!(sha256_file(&archive), sha256, "{}", archive.display());
            }
        }
    }
    let _ = fs::remove_dir_all(&out);

    let mb = (args.size_mib * MIB) as f64 / 1e6;
    println!();
    println!(
        "input {} MiB, {} runs, {} CPUs, load average {load_before} -> {}, medians:",
        args.size_mib,
        args.runs,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        loadavg()
    );
    let mut rates = Vec::new();
    for c in 0..2 {
        let (d, used) = (median(&mut times[c]), median_f(&mut cpu[c]));
        let rate = mb / d.as_secs_f64();
        rates.push(rate);
        println!(
            "  {:<24} {d:>8.2?}  {rate:>7.0} MB/s  cpu {used:.2}s  archive {} MiB",
            names[c],
            sizes[c] >> 20
        );
    }
    println!("write_upload/tar throughput = {:.2}", rates[0] / rates[1]);
}
