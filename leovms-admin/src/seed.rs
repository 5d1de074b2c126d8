//! `seed`: the server's part of the room swarm (docs/swarm.md). Shares every published
//! archive that has a torrent, read-only, with the school's PCs, and looks at the data
//! tree again every minute, so that a new publication is shared and a removed one no
//! longer. Runs as a service (leovms-seed.service) until it is stopped.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

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

/// The server's default peers: the private address ranges a school network uses.
const PRIVATE: [&str; 4] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"];

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

/// One archive the server shares.
struct Seedable {
    shown: String,
    size: u64,
    info_hash: String,
    torrent: Vec<u8>,
    archive: File,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    if args.slots == 0 || args.max_upload_mbits == Some(0) || args.rescan == 0 {
        return Err(Error::Invalid(fl!("seed-bad-number")));
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| Error::io("tokio", e))?;
    runtime.block_on(serve(ctx, args))
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
    let state = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let swarm = Swarm::start_seeder(state.path(), &conf, &peers)
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
    let mut seeded: HashMap<String, String> = HashMap::new();
    let mut warned: Vec<String> = Vec::new();
    loop {
        // A stop is heeded while archives are checked too: a large one takes minutes.
        tokio::select! {
            () = rescan(ctx, &swarm, &mut seeded, &mut warned) => {}
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

/// Shares what is newly published and stops sharing what is gone. `seeded` maps the
/// info hash of each shared archive to the archive it is read from.
async fn rescan(
    ctx: &Ctx,
    swarm: &Swarm,
    seeded: &mut HashMap<String, String>,
    warned: &mut Vec<String>,
) {
    let data = ctx.data();
    let (found, problems) = tokio::task::spawn_blocking(move || scan(&data))
        .await
        .expect("the scan does not panic");
    for problem in problems {
        if !warned.contains(&problem) {
            eprintln!("leovms-admin: {problem}");
            warned.push(problem);
        }
    }
    // Gone: no longer published, or read from a VM that was removed while another
    // VM has the same archive (then it is shared again from that one below).
    let gone: Vec<String> = seeded
        .iter()
        .filter(|(hash, shown)| {
            !found
                .iter()
                .any(|s| &s.info_hash == *hash && &s.shown == *shown)
        })
        .map(|(hash, _)| hash.clone())
        .collect();
    for hash in gone {
        swarm.forget(&hash).await;
        let shown = seeded.remove(&hash).expect("listed");
        println!("{}", fl!("seed-stopped", archive = shown));
    }
    for item in found {
        if seeded.contains_key(&item.info_hash) {
            continue;
        }
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
                seeded.insert(item.info_hash, item.shown);
            }
            Err(e) => eprintln!(
                "leovms-admin: {}",
                fl!("seed-skipped", archive = item.shown, reason = e.to_string())
            ),
        }
    }
}

/// Every archive of the data tree with a torrent the manifest lists, and what was
/// wrong with the others (worded for the log).
fn scan(data: &Path) -> (Vec<Seedable>, Vec<String>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    let Ok(entries) = std::fs::read_dir(data) else {
        problems.push(fl!("seed-no-data", data = shown(data)));
        return (found, problems);
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
                problems.push(e.to_string());
                continue;
            }
        };
        for entry in &manifest.files {
            let Some(archive_rel) = entry.path.strip_suffix(torrent::SUFFIX) else {
                continue;
            };
            let shown_rel = format!("{vm}/{archive_rel}");
            let Some(archive) = manifest.get(archive_rel) else {
                problems.push(fl!(
                    "seed-skipped",
                    archive = shown_rel,
                    reason = fl!("seed-no-archive")
                ));
                continue;
            };
            match seedable(
                &vm_dir,
                &entry.path,
                entry.sha256,
                archive_rel,
                archive.size,
            ) {
                Ok((info_hash, torrent, file)) => found.push(Seedable {
                    shown: shown_rel,
                    size: archive.size,
                    info_hash,
                    torrent,
                    archive: file,
                }),
                Err(reason) => {
                    problems.push(fl!("seed-skipped", archive = shown_rel, reason = reason))
                }
            }
        }
    }
    (found, problems)
}

/// The torrent (as the manifest has it, fitting the archive) and the archive opened
/// read-only, never through a link.
fn seedable(
    vm_dir: &Path,
    torrent_rel: &str,
    torrent_sha256: [u8; 32],
    archive_rel: &str,
    size: u64,
) -> std::result::Result<(String, Vec<u8>, File), String> {
    let torrent_path = vm_dir.join(torrent_rel);
    let bytes = read_small(&torrent_path).map_err(|e| e.to_string())?;
    let (_, sha256) = sha256_reader(&bytes[..], |_| {}).map_err(|e| e.to_string())?;
    if sha256 != torrent_sha256 {
        return Err(fl!("seed-torrent-changed", file = torrent_rel));
    }
    let checked = torrent::check(&bytes, size).map_err(|e| e.to_string())?;
    let archive_path = vm_dir.join(archive_rel);
    let file = open_regular(&archive_path).map_err(|e| e.to_string())?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    if len != size {
        return Err(fl!("seed-archive-size", size = len, expected = size));
    }
    Ok((checked.info_hash, bytes, file))
}
