//! `leovms-swarm-room`: the room swarm measured with real parts (docs/swarm.md).
//!
//! Builds a room in network namespaces (room.rs): one server whose link is limited
//! with tc, N PCs, a bridge. Publishes an archive with its torrent below a `--root`,
//! runs the server's real seeder (`leovms-admin seed`) and a `leovms-swarm-pc` per PC,
//! and measures the server's bytes at its link:
//!
//! 1. all from the server: every PC may speak only to the server (as without a swarm);
//! 2. the room swarm: all PCs at once; prints server bytes ÷ archive size and the time
//!    to all PCs ready ÷ the time of 1;
//! 3. a PC that comes later, while the room shares: how much of it came from the server;
//! 4. a liar among the PCs, and the seeder killed (SIGKILL) as soon as the room holds
//!    every piece while the PCs are still fetching: everyone still finishes.
//!
//! Every PC's archive is verified against the SHA-256. Exits 1 when a check fails (an
//! archive not verified, the server sending more than twice the archive, the late PC
//! taking from the server, the liar not avoided), 2 when the room cannot be built (not
//! root, no `ip`/`tc`) or the run is stopped. The time ratio depends on the machine: it
//! is printed with its goal, not checked.
//!
//! SIGINT and SIGTERM stop a run with the room and the work folder removed; the
//! namespaces a run ended by SIGKILL left are deleted by the next run.

mod node;
mod room;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use leovms_image::manifest::{Manifest, ManifestEntry, sha256_file};
use leovms_image::torrent;

use node::{Lines, Node, Programs, Stop, Who};
use room::{NET, Room};

/// Long enough for 1 GiB at 200 Mbit/s eight times over, with room to spare.
const SCENARIO_LIMIT: Duration = Duration::from_secs(40 * 60);
const VM: &str = "room-vm";
const ARCHIVE: &str = "base.tar.zst";

struct Opts {
    size_mib: u64,
    pcs: usize,
    server_mbit: u32,
    slots: usize,
}

fn opts() -> Result<Opts, String> {
    let mut o = Opts {
        size_mib: 1024,
        pcs: 8,
        server_mbit: 200,
        slots: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let n: u64 = value
            .parse()
            .map_err(|_| format!("{flag}: {value} is not a number"))?;
        match flag.as_str() {
            "--size-mib" => o.size_mib = n,
            "--pcs" => o.pcs = n as usize,
            "--server-mbit" => o.server_mbit = n as u32,
            "--slots" => o.slots = n as usize,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if o.pcs < 2 || o.size_mib == 0 || o.slots == 0 {
        return Err("--pcs must be 2 or more, --size-mib and --slots more than 0".into());
    }
    Ok(o)
}

/// The share: `<root>/home/leovms/data/room-vm/` with the archive, its torrent and a
/// manifest listing both, as `leovms-admin publish` leaves it.
struct Share {
    root: PathBuf,
    archive: PathBuf,
    torrent: PathBuf,
    sha256: String,
    size: u64,
}

fn publish(dir: &Path, size_mib: u64, stop: &Stop) -> Result<Share, String> {
    let root = dir.join("server");
    let vm = root.join("home/leovms/data").join(VM);
    fs::create_dir_all(&vm).map_err(|e| e.to_string())?;
    let archive = vm.join(ARCHIVE);
    let mut file = fs::File::create(&archive).map_err(|e| e.to_string())?;
    // Not compressible and not repeating, as a real archive.
    for block in 0..size_mib {
        stop.check()?;
        let bytes = leovms_testkit::noise(1 << 20, block + 1);
        file.write_all(&bytes).map_err(|e| e.to_string())?;
    }
    drop(file);
    let torrent_bytes = torrent::create(&archive, ARCHIVE, |_| {}).map_err(|e| e.to_string())?;
    let torrent = vm.join(format!("{ARCHIVE}{}", torrent::SUFFIX));
    fs::write(&torrent, &torrent_bytes).map_err(|e| e.to_string())?;
    let entry = |name: &str| -> Result<ManifestEntry, String> {
        let (size, sha256) = sha256_file(&vm.join(name)).map_err(|e| e.to_string())?;
        Ok(ManifestEntry {
            path: name.to_owned(),
            size,
            sha256,
            unpacked: None,
        })
    };
    let base = entry(ARCHIVE)?;
    let files = vec![
        base.clone(),
        entry(&format!("{ARCHIVE}{}", torrent::SUFFIX))?,
    ];
    fs::write(
        vm.join("manifest.toml"),
        Manifest { files }.to_toml_string(),
    )
    .map_err(|e| e.to_string())?;
    Ok(Share {
        root,
        archive,
        torrent,
        sha256: hex::encode(base.sha256),
        size: base.size,
    })
}

struct Ctx {
    room: Room,
    share: Share,
    programs: Programs,
    work: PathBuf,
    lines: Lines,
    opts: Opts,
    run: usize,
}

/// What one scenario measured.
struct Outcome {
    seconds: f64,
    server_bytes: u64,
    verified: usize,
}

impl Ctx {
    fn seeder(&self, slots: usize) -> Result<Node, String> {
        let node = Node::seeder(
            &self.room.server(),
            &self.programs,
            &self.share.root,
            slots,
            &self.lines,
        )?;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some((Who::Seeder, line)) = self.lines.next(deadline)?
                && line.contains(&format!("{VM}/{ARCHIVE}"))
            {
                return Ok(node);
            }
        }
    }

    /// Removes what the PCs of earlier runs fetched (their programs have ended).
    fn clear(&self) -> Result<(), String> {
        for entry in fs::read_dir(&self.work).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.starts_with("run") {
                fs::remove_dir_all(&path).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// Starts PC `i` (a new one each run: its own file and state).
    fn pc(&mut self, i: usize, extra: &[String]) -> Result<Node, String> {
        self.run += 1;
        let dir = self.work.join(format!("run{}-pc{i}", self.run));
        fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let mut args = vec![
            "--torrent".into(),
            self.share.torrent.display().to_string(),
            "--sha256".into(),
            self.share.sha256.clone(),
            "--into".into(),
            dir.join(ARCHIVE).display().to_string(),
            "--state".into(),
            dir.display().to_string(),
            "--seeder".into(),
            format!("{NET}.1:6881"),
        ];
        args.extend_from_slice(extra);
        Node::pc(&self.room.pc(i), &self.programs, i, args, &self.lines)
    }

    /// Waits until the PCs in `waiting` are done; `watch` is asked every line or second.
    fn until_done(
        &self,
        mut waiting: Vec<usize>,
        mut watch: impl FnMut(&Ctx, &BTreeMap<usize, u64>) -> Result<(), String>,
    ) -> Result<(usize, BTreeMap<usize, u64>), String> {
        let deadline = Instant::now() + SCENARIO_LIMIT;
        let mut verified = 0;
        let mut progress = BTreeMap::new();
        while !waiting.is_empty() {
            if let Some((Who::Pc(i), line)) = self.lines.next(deadline)? {
                let said: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                match said["event"].as_str() {
                    Some("done") => {
                        waiting.retain(|&w| w != i);
                        progress.insert(i, self.share.size);
                        if said["verified"] == true {
                            verified += 1;
                        }
                    }
                    Some("progress") => {
                        progress.insert(i, said["bytes"].as_u64().unwrap_or(0));
                    }
                    Some("failed") if waiting.contains(&i) => {
                        return Err(format!("PC {i} failed: {}", said["error"]));
                    }
                    _ => {}
                }
            }
            watch(self, &progress)?;
        }
        Ok((verified, progress))
    }

    /// All PCs at once; `extra` are options for every PC.
    fn all_at_once(&mut self, extra: &[String]) -> Result<(Outcome, Vec<Node>), String> {
        let before = self.room.sent(&self.room.server())?;
        let started = Instant::now();
        let mut pcs = Vec::new();
        for i in 0..self.opts.pcs {
            pcs.push(self.pc(i, extra)?);
        }
        let (verified, _) = self.until_done((0..self.opts.pcs).collect(), |_, _| Ok(()))?;
        let outcome = Outcome {
            seconds: started.elapsed().as_secs_f64(),
            server_bytes: self.room.sent(&self.room.server())? - before,
            verified,
        };
        Ok((outcome, pcs))
    }
}

fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / f64::from(1 << 30))
}

fn main() -> ExitCode {
    let opts = match opts() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("leovms-swarm-room: {e}");
            return ExitCode::from(2);
        }
    };
    if !rustix::process::geteuid().is_root() {
        eprintln!("leovms-swarm-room: needs root (network namespaces, tc)");
        return ExitCode::from(2);
    }
    match run(opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("leovms-swarm-room: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(opts: Opts) -> Result<bool, String> {
    // First: from here on every way out of this function goes through the drops.
    let stop = Stop::on_signals()?;
    let stale = room::remove_stale()?;
    if stale.namespaces > 0 {
        let runs: Vec<String> = stale.pids.iter().map(|pid| format!("lvr{pid}*")).collect();
        println!(
            "room: removed {} network namespaces left by ended runs ({})",
            stale.namespaces,
            runs.join(", ")
        );
    }
    let work = tempfile::Builder::new()
        .prefix("leovms-swarm-room-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    // The archive, a copy per PC and the late PC's or the liar's: refused up front.
    let need = (opts.size_mib * (opts.pcs as u64 + 2)) << 20;
    let stat = rustix::fs::statvfs(work.path()).map_err(|e| e.to_string())?;
    let free = stat.f_bavail.saturating_mul(stat.f_frsize);
    if free < need {
        return Err(format!(
            "needs {} free in {}, has {}",
            gib(need),
            work.path().display(),
            gib(free)
        ));
    }
    println!(
        "room: 1 server (link {} Mbit/s), {} PCs; archive {} MiB; server slots {}",
        opts.server_mbit, opts.pcs, opts.size_mib, opts.slots
    );
    let share = publish(work.path(), opts.size_mib, &stop)?;
    // The programs' temporary files: removed with the work folder, even a killed one's.
    let tmp = work.path().join("tmp");
    fs::create_dir(&tmp).map_err(|e| e.to_string())?;
    stop.check()?;
    let room = Room::build(opts.pcs + 1, opts.server_mbit)?;
    let mut ctx = Ctx {
        room,
        share,
        programs: Programs::new(tmp),
        work: work.path().to_owned(),
        lines: Lines::new(&stop),
        opts,
        run: 0,
    };
    let pcs = ctx.opts.pcs;
    let size = ctx.share.size;
    let mut ok = true;
    let mut check = |what: &str, good: bool| {
        println!("  {} {what}", if good { "ok  " } else { "FAIL" });
        ok &= good;
    };
    // Time depends on the machine: its goal is said, not checked.
    let goal = |what: &str, met: bool| {
        println!(
            "  {} {what}",
            if met { "goal met   " } else { "goal missed" }
        );
    };

    // 1. All from the server: the PCs may speak to the server only.
    let seeder = ctx.seeder(pcs)?;
    let only_server = [
        "--peers".to_owned(),
        format!("{NET}.1"),
        "--room-first".to_owned(),
        "0".to_owned(),
    ];
    let (alone, nodes) = ctx.all_at_once(&only_server)?;
    drop(nodes);
    drop(seeder);
    ctx.clear()?;
    println!(
        "1. all from the server: {:.1} s, server sent {} ({:.2} x the archive)",
        alone.seconds,
        gib(alone.server_bytes),
        alone.server_bytes as f64 / size as f64
    );
    check(
        &format!("{}/{pcs} archives verified", alone.verified),
        alone.verified == pcs,
    );

    // 2. The room swarm, everyone at once.
    let seeder = ctx.seeder(ctx.opts.slots)?;
    let (swarm, nodes) = ctx.all_at_once(&[])?;
    let bytes_ratio = swarm.server_bytes as f64 / size as f64;
    let time_ratio = swarm.seconds / alone.seconds;
    println!(
        "2. room swarm: {:.1} s, server sent {}",
        swarm.seconds,
        gib(swarm.server_bytes)
    );
    println!(
        "   server bytes sent / archive size: {bytes_ratio:.2} (goal <= 2.0; all from the server: {pcs}.0)"
    );
    println!("   time to all PCs ready / all from the server: {time_ratio:.2} (goal <= 0.35)");
    check(
        &format!("{}/{pcs} archives verified", swarm.verified),
        swarm.verified == pcs,
    );
    check("server bytes ratio <= 2.0", bytes_ratio <= 2.0);
    goal("time ratio <= 0.35", time_ratio <= 0.35);

    // 3. A PC that comes later, while the room shares.
    let before = ctx.room.sent(&ctx.room.server())?;
    let started = Instant::now();
    let late = ctx.pc(pcs, &[])?;
    let (verified, _) = ctx.until_done(vec![pcs], |_, _| Ok(()))?;
    let from_server = ctx.room.sent(&ctx.room.server())? - before;
    println!(
        "3. late PC: {:.1} s, {} from the server ({:.1}% of the archive)",
        started.elapsed().as_secs_f64(),
        gib(from_server),
        100.0 * from_server as f64 / size as f64
    );
    check("late PC verified", verified == 1);
    check(
        "late PC got at most 5% from the server",
        from_server * 20 <= size,
    );
    drop(late);
    drop(nodes);
    drop(seeder);
    ctx.clear()?;

    // 4. A liar among the PCs; the seeder killed once the room holds every piece.
    let mut seeder = ctx.seeder(ctx.opts.slots)?;
    let liar_copy = ctx.work.join("liar-copy");
    fs::copy(&ctx.share.archive, &liar_copy).map_err(|e| e.to_string())?;
    let liar = ctx.pc(pcs, &["--lie".to_owned(), liar_copy.display().to_string()])?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some((Who::Pc(i), line)) = ctx.lines.next(deadline)?
            && i == pcs
            && line.contains("lying")
        {
            break;
        }
    }
    let liar_before = ctx.room.sent(&ctx.room.pc(pcs))?;
    let mut nodes = Vec::new();
    for i in 0..pcs {
        nodes.push(ctx.pc(i, &[])?);
    }
    let mut killed_at: Option<f64> = None;
    let (verified, _) = ctx.until_done((0..pcs).collect(), |_, progress| {
        // The first PC done means every piece is in the room.
        if killed_at.is_none() && progress.values().any(|&b| b == size) {
            seeder.kill();
            let held: u64 = progress.values().sum();
            killed_at = Some(held as f64 / (size * pcs as u64) as f64);
        }
        Ok(())
    })?;
    let liar_sent = ctx.room.sent(&ctx.room.pc(pcs))? - liar_before;
    println!(
        "4. liar and killed seeder: seeder killed when the room had {:.0}% of its bytes; \
         the liar sent {} ({:.1}% of the archive)",
        100.0 * killed_at.unwrap_or(1.0),
        gib(liar_sent),
        100.0 * liar_sent as f64 / size as f64
    );
    check(
        &format!("{verified}/{pcs} archives verified"),
        verified == pcs,
    );
    check(
        "the seeder was killed before the room was done",
        killed_at.is_some_and(|f| f < 1.0),
    );
    check(
        "the liar was avoided (sent less than 10% of the archive)",
        liar_sent * 10 < size,
    );
    drop(nodes);
    drop(liar);
    ctx.clear()?;
    Ok(ok)
}
