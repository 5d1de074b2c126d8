//! `leovms-swarm-pc`: one PC of a test room (leovms-swarm-room). It fetches an archive
//! through the room swarm as the store does (leovms-swarm's `Swarm::fetch`), verifies
//! the whole file against its SHA-256, says so on stdout as one JSON line, and then
//! shares it read-only until it is stopped (SIGTERM or end of stdin).
//!
//! With `--lie`, it is the room's liar instead: it shares a correct copy until the
//! engine has checked it, then overwrites its own file with garbage, so that every
//! piece it serves fails the receiver's hash check.

use std::fs::File;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use leovms_image::config::SwarmConf;
use leovms_image::manifest::sha256_file;
use leovms_swarm::{Net, Swarm, local_subnets};
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

struct Args {
    torrent: PathBuf,
    sha256: String,
    into: PathBuf,
    state: PathBuf,
    seeders: Vec<SocketAddr>,
    peers: Vec<Net>,
    lie: Option<PathBuf>,
    room_first: Duration,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        torrent: PathBuf::new(),
        sha256: String::new(),
        into: PathBuf::new(),
        state: PathBuf::new(),
        seeders: Vec::new(),
        peers: Vec::new(),
        lie: None,
        room_first: SwarmConf::default().room_first,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--torrent" => args.torrent = value.into(),
            "--sha256" => args.sha256 = value,
            "--into" => args.into = value.into(),
            "--state" => args.state = value.into(),
            "--seeder" => args
                .seeders
                .push(value.parse().map_err(|_| format!("bad {value}"))?),
            "--peers" => args.peers.push(value.parse()?),
            "--lie" => args.lie = Some(value.into()),
            "--room-first" => {
                args.room_first =
                    Duration::from_secs(value.parse().map_err(|_| format!("bad {value}"))?)
            }
            _ => return Err(format!("unknown {flag}")),
        }
    }
    Ok(args)
}

fn say(line: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("leovms-swarm-pc: {e}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say(serde_json::json!({"event": "failed", "error": e}));
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let conf = SwarmConf {
        seeders: args.seeders.clone(),
        stall: Duration::from_secs(120),
        room_first: args.room_first,
        ..SwarmConf::default()
    };
    let peers = if args.peers.is_empty() {
        local_subnets()
    } else {
        args.peers.clone()
    };
    let swarm = Swarm::start(&args.state, &conf, &peers)
        .await
        .map_err(|e| e.to_string())?;
    let torrent = bytes::Bytes::from(std::fs::read(&args.torrent).map_err(|e| e.to_string())?);
    if let Some(copy) = &args.lie {
        let file = Arc::new(File::open(copy).map_err(|e| e.to_string())?);
        swarm.seed(torrent, file).await.map_err(|e| e.to_string())?;
        spoil(copy).map_err(|e| e.to_string())?;
        say(serde_json::json!({"event": "lying"}));
    } else {
        let started = Instant::now();
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&args.into)
            .map_err(|e| format!("{}: {e}", args.into.display()))?;
        let file = Arc::new(file);
        let last = Mutex::new(Instant::now());
        let progress = |bytes: u64| {
            let mut last = last.lock().expect("not poisoned");
            if last.elapsed() >= Duration::from_secs(1) {
                *last = Instant::now();
                say(serde_json::json!({"event": "progress", "bytes": bytes}));
            }
        };
        swarm
            .fetch(
                torrent.clone(),
                file.clone(),
                &progress,
                &CancellationToken::new(),
            )
            .await
            .map_err(|e| e.to_string())?;
        let (_, sha256) = sha256_file(&args.into).map_err(|e| e.to_string())?;
        let verified = hex::encode(sha256) == args.sha256;
        say(serde_json::json!({
            "event": "done",
            "seconds": started.elapsed().as_secs_f64(),
            "verified": verified,
        }));
        if !verified {
            return Err("the fetched archive does not match its SHA-256".into());
        }
        swarm.seed(torrent, file).await.map_err(|e| e.to_string())?;
    }
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let (closed, stdin_closed) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        let _ = closed.send(());
    });
    tokio::select! {
        _ = term.recv() => {}
        _ = stdin_closed => {}
    }
    say(serde_json::json!({"event": "stopped", "uploaded": swarm.uploaded()}));
    Ok(())
}

/// Overwrites `path` with bytes that match no piece, keeping its length.
fn spoil(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let file = File::options().write(true).open(path)?;
    let len = file.metadata()?.len();
    let junk = vec![0x5a_u8; 1 << 20];
    let mut at = 0;
    while at < len {
        let n = junk.len().min((len - at) as usize);
        file.write_all_at(&junk[..n], at)?;
        at += n as u64;
    }
    file.sync_all()
}
