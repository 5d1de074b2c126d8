//! What the benchmarks share: their common flags, test data, the shell, and the
//! clocks and medians of the report. Included by each with `#[path]`; not an example
//! of its own.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub const MIB: usize = 1 << 20;

/// The flags every benchmark takes.
pub struct Args {
    pub size_mib: usize,
    pub runs: usize,
    pub dir: PathBuf,
}

/// Reads `--flag value` pairs: the common flags here, any other through `own`, which
/// answers false for a flag (or value) it does not take. A bad one exits with `usage`.
pub fn parse_args(usage: &str, mut own: impl FnMut(&str, &str) -> bool) -> Args {
    let mut args = Args {
        size_mib: 2048,
        runs: 5,
        dir: PathBuf::from("/var/tmp/leovms-bench"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| bad_argument(&flag, usage));
        let taken = match flag.as_str() {
            "--size-mib" => value.parse().map(|n| args.size_mib = n).is_ok(),
            "--runs" => value.parse().map(|n| args.runs = n).is_ok(),
            "--dir" => {
                args.dir = PathBuf::from(value);
                true
            }
            _ => own(&flag, &value),
        };
        if !taken {
            bad_argument(&flag, usage);
        }
    }
    args
}

fn bad_argument(flag: &str, usage: &str) -> ! {
    eprintln!("bad argument {flag}; usage: {usage}");
    std::process::exit(2)
}

/// xorshift64*: deterministic and fast.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

pub fn sha256_file(path: &Path) -> [u8; 32] {
    leovms_image::manifest::sha256_file(path).unwrap().1
}

pub fn sync() {
    Command::new("sync").status().unwrap();
}

pub fn shell(cmd: &str) {
    let status = Command::new("sh").arg("-c").arg(cmd).status().unwrap();
    assert!(status.success(), "{cmd}");
}

/// `dir`, empty.
pub fn fresh(dir: &Path) -> PathBuf {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).unwrap();
    dir.to_path_buf()
}

/// CPU seconds used by this process and its waited-for children (from /proc, in
/// clock ticks of 1/100 s), so the report can tell work apart from waiting.
pub fn cpu_seconds() -> f64 {
    let stat = fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime, stime, cutime, cstime are fields 14..=17 of stat(5); `after` starts at field 3.
    fields[11..15]
        .iter()
        .map(|f| f.parse::<f64>().unwrap())
        .sum::<f64>()
        / 100.0
}

pub fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split(' ')
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn median_f(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or_default()
}

pub fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}
