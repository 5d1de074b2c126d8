//! `seed`: the server's part of the room swarm (docs/swarm.md). Shares every published
//! archive that has a torrent, read-only, with the school's PCs, and looks at the data
//! tree again every minute, so that a new publication is shared and a removed one no
//! longer. Runs as a service (leovms-seed.service) until it is stopped.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use leovms_image::config::{DEFAULT_SWARM_PORT, SwarmConf, mbits_to_bytes};
use leovms_image::dirfd::open_regular;
use leovms_image::layout::MANIFEST;
use leovms_image::manifest::{read_small, sha256_reader};
use leovms_image::name::SafeName;
use leovms_swarm::{Net, Swarm, torrent};
use tokio::signal::unix::{SignalKind, signal};

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};
use crate::tree::{self, human_size};

/// The server's default peers: the private IPv4 ranges a school network uses (the
/// engine speaks IPv4 only).
const PRIVATE: [&str; 3] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/// How long a stop waits for the engine's threads. A check of a large archive runs on
/// one of them to its end, minutes, and heeds no stop; nothing of it is kept.
const SHUTDOWN: Duration = Duration::from_secs(2);

/// `seed`; the help texts are `help-seed-*` in the catalogs.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = DEFAULT_SWARM_PORT)]
    pub port: u16,
    // One by default: the engine picks pieces in order, so every PC the server serves
    // gets the same pieces from it; one PC gets them once and the room passes them on
    // (docs/swarm.md has the numbers for one and two).
    #[arg(long, default_value_t = 1)]
    pub slots: u32,
    #[arg(long, value_name = "MBIT")]
    pub max_upload_mbits: Option<u32>,
    #[arg(long = "peers", value_name = "NET")]
    pub peers: Vec<Net>,
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub rescan: u64,
}

/// The file an archive is read from. Another file in its place (the VM removed and
/// published again) is another archive to the seeder, even with the same bytes: the
/// old one's space is freed only once nobody holds it open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

/// One archive the server shares.
struct Seedable {
    shown: String,
    size: u64,
    info_hash: String,
    torrent: Vec<u8>,
    archive: File,
    id: FileId,
    modified: Option<SystemTime>,
}

/// An archive being shared, by info hash.
struct Shared {
    shown: String,
    id: FileId,
}

/// An archive the engine refused: tried again only once its torrent or file changed, so
/// that the reason is told once and a large archive is not read again every rescan.
struct Refused {
    info_hash: String,
    id: FileId,
    modified: Option<SystemTime>,
}

impl Refused {
    fn of(item: &Seedable) -> Refused {
        Refused {
            info_hash: item.info_hash.clone(),
            id: item.id,
            modified: item.modified,
        }
    }

    fn is(&self, item: &Seedable) -> bool {
        self.info_hash == item.info_hash && self.id == item.id && self.modified == item.modified
    }
}

/// What the seeder keeps from one look at the data tree to the next.
#[derive(Default)]
struct State {
    seeded: HashMap<String, Shared>,
    /// By shown name.
    refused: HashMap<String, Refused>,
    /// The problems of the last scan, each told once while it lasts.
    warned: Vec<String>,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    if args.slots == 0 || args.max_upload_mbits == Some(0) || args.rescan == 0 {
        return Err(Error::Invalid(fl!("seed-bad-number")));
    }
    if let Some(v6) = args.peers.iter().find(|n| n.bounds().0.is_ipv6()) {
        return Err(Error::Invalid(fl!("seed-ipv6", net = v6.to_string())));
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| Error::io("tokio", e))?;
    let served = runtime.block_on(serve(ctx, args));
    // Dropping the runtime would wait for a running check however long it takes.
    runtime.shutdown_timeout(SHUTDOWN);
    served
}

async fn serve(ctx: &Ctx, args: &Args) -> Result<()> {
    let peers: Vec<Net> = if args.peers.is_empty() {
        PRIVATE
            .iter()
            .map(|n| n.parse().expect("a network"))
            .collect()
    } else {
        args.peers.clone()
    };
    let conf = SwarmConf {
        port: args.port,
        slots: args.slots,
        max_upload: args.max_upload_mbits.map(mbits_to_bytes),
        ..SwarmConf::default()
    };
    // Heeded from the start: a stop during the first scan ends cleanly too.
    let mut stop = signal(SignalKind::terminate()).map_err(|e| Error::io("SIGTERM", e))?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| Error::io("SIGINT", e))?;
    let state_dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let swarm = Swarm::start_seeder(state_dir.path(), &conf, &peers)
        .await
        .map_err(|e| Error::Invalid(fl!("seed-cannot-start", detail = e.to_string())))?;
    let listed: Vec<String> = peers.iter().map(Net::to_string).collect();
    println!(
        "{}",
        fl!(
            "seed-started",
            port = args.port,
            slots = args.slots,
            peers = listed.join(", ")
        )
    );
    let mut state = State::default();
    loop {
        // A stop is heeded while archives are checked too: a large one takes minutes.
        tokio::select! {
            () = rescan(ctx, &swarm, &mut state) => {}
            _ = stop.recv() => break,
            _ = interrupt.recv() => break,
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(args.rescan)) => {}
            _ = stop.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    println!("{}", fl!("seed-ended", sent = human_size(swarm.uploaded())));
    Ok(())
}

/// Why an archive is no longer shared.
enum Gone {
    /// Neither listed nor in a VM that could not be read.
    Unpublished,
    /// Another file, or other bytes, published under its name.
    Replaced,
    /// Still listed, but the scan found a problem, told just before.
    Problem,
}

/// Shares what is newly published and stops sharing what is gone.
async fn rescan(ctx: &Ctx, swarm: &Swarm, state: &mut State) {
    let data = ctx.data();
    let scan = tokio::task::spawn_blocking(move || scan(&data))
        .await
        .expect("the scan does not panic");
    for problem in &scan.problems {
        if !state.warned.contains(problem) {
            eprintln!("leovms-admin: {problem}");
        }
    }
    // A problem that went away and comes back is told again.
    state.warned = scan.problems.clone();
    // Gone: no longer published, another file in its place, or read from a VM that was
    // removed while another VM has the same archive (then it is shared again from that
    // one below).
    let gone: Vec<(String, Gone)> = state
        .seeded
        .iter()
        .filter(|(hash, shared)| {
            !scan
                .found
                .iter()
                .any(|s| &s.info_hash == *hash && s.shown == shared.shown && s.id == shared.id)
        })
        .map(|(hash, shared)| (hash.clone(), scan.why_gone(&shared.shown)))
        .collect();
    for (hash, why) in gone {
        swarm.forget(&hash).await;
        let archive = state.seeded.remove(&hash).expect("listed").shown;
        let line = match why {
            Gone::Unpublished => fl!("seed-stopped", archive = archive),
            Gone::Replaced => fl!("seed-stopped-replaced", archive = archive),
            Gone::Problem => fl!("seed-stopped-problem", archive = archive),
        };
        println!("{line}");
    }
    state
        .refused
        .retain(|shown, _| scan.found.iter().any(|s| &s.shown == shown));
    for item in scan.found {
        if state.seeded.contains_key(&item.info_hash)
            || state.refused.get(&item.shown).is_some_and(|r| r.is(&item))
        {
            continue;
        }
        let refused = Refused::of(&item);
        match swarm
            .seed(item.torrent.into(), Arc::new(item.archive))
            .await
        {
            Ok(()) => {
                println!(
                    "{}",
                    fl!(
                        "seed-sharing",
                        archive = item.shown.as_str(),
                        size = human_size(item.size)
                    )
                );
                state.refused.remove(&item.shown);
                let shared = Shared {
                    shown: item.shown,
                    id: item.id,
                };
                state.seeded.insert(item.info_hash, shared);
            }
            Err(e) => {
                eprintln!(
                    "leovms-admin: {}",
                    fl!(
                        "seed-skipped",
                        archive = item.shown.as_str(),
                        reason = e.to_string()
                    )
                );
                state.refused.insert(item.shown, refused);
            }
        }
    }
}

/// One look at the data tree.
#[derive(Default)]
struct Scan {
    found: Vec<Seedable>,
    /// What was wrong, worded for the log.
    problems: Vec<String>,
    /// Archives listed with a torrent that cannot be shared now (see `problems`).
    troubled: HashSet<String>,
    /// VMs whose manifest could not be read: what they publish is not known.
    vms_unread: Vec<String>,
    /// The data tree could not be read at all.
    tree_unread: bool,
}

impl Scan {
    /// Why the archive `shown` (`vm/rel`), shared until now, is not among those found.
    fn why_gone(&self, shown: &str) -> Gone {
        let vm = shown.split_once('/').map_or(shown, |(vm, _)| vm);
        if self.found.iter().any(|s| s.shown == shown) {
            Gone::Replaced
        } else if self.tree_unread
            || self.troubled.contains(shown)
            || self.vms_unread.iter().any(|v| v == vm)
        {
            Gone::Problem
        } else {
            Gone::Unpublished
        }
    }
}

/// Every archive of the data tree with a torrent the manifest lists, and what was
/// wrong with the others.
fn scan(data: &Path) -> Scan {
    let mut scan = Scan::default();
    let Ok(entries) = std::fs::read_dir(data) else {
        scan.problems.push(fl!("seed-no-data", data = shown(data)));
        scan.tree_unread = true;
        return scan;
    };
    let mut vms: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| SafeName::try_from(name.as_str()).is_ok())
        .collect();
    vms.sort();
    for vm in vms {
        let vm_dir = data.join(&vm);
        let manifest = match tree::load_manifest(&vm_dir.join(MANIFEST)) {
            Ok(Some(manifest)) => manifest,
            Ok(None) => continue,
            Err(e) => {
                scan.problems.push(e.to_string());
                scan.vms_unread.push(vm);
                continue;
            }
        };
        for entry in &manifest.files {
            let Some(archive_rel) = entry.path.strip_suffix(torrent::SUFFIX) else {
                continue;
            };
            let shown_rel = format!("{vm}/{archive_rel}");
            let Some(archive) = manifest.get(archive_rel) else {
                scan.problems.push(fl!(
                    "seed-skipped",
                    archive = shown_rel.as_str(),
                    reason = fl!("seed-no-archive")
                ));
                scan.troubled.insert(shown_rel);
                continue;
            };
            match seedable(
                &shown_rel,
                &vm_dir,
                &entry.path,
                entry.sha256,
                archive_rel,
                archive.size,
            ) {
                Ok(item) => scan.found.push(item),
                Err(reason) => {
                    scan.problems.push(fl!(
                        "seed-skipped",
                        archive = shown_rel.as_str(),
                        reason = reason
                    ));
                    scan.troubled.insert(shown_rel);
                }
            }
        }
    }
    scan
}

/// The torrent (as the manifest has it, fitting the archive) and the archive opened
/// read-only, never through a link.
fn seedable(
    shown: &str,
    vm_dir: &Path,
    torrent_rel: &str,
    torrent_sha256: [u8; 32],
    archive_rel: &str,
    size: u64,
) -> std::result::Result<Seedable, String> {
    let torrent_path = vm_dir.join(torrent_rel);
    let bytes = read_small(&torrent_path).map_err(|e| e.to_string())?;
    let (_, sha256) = sha256_reader(&bytes[..], |_| {}).map_err(|e| e.to_string())?;
    if sha256 != torrent_sha256 {
        return Err(fl!("seed-torrent-changed", file = torrent_rel));
    }
    let checked = torrent::check(&bytes, size).map_err(|e| e.to_string())?;
    let archive_path = vm_dir.join(archive_rel);
    let file = open_regular(&archive_path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if meta.len() != size {
        return Err(fl!("seed-archive-size", size = meta.len(), expected = size));
    }
    Ok(Seedable {
        shown: shown.to_owned(),
        size,
        info_hash: checked.info_hash,
        torrent: bytes,
        archive: file,
        id: FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        },
        modified: meta.modified().ok(),
    })
}
