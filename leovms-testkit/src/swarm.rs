//! A PC of the room swarm on loopback, for the tests of whoever it fetches from (the
//! server's seeder, a PC's store service, the engine's wrapper itself).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use leovms_image::config::SwarmConf;
use leovms_swarm::{Fetched, Net, Swarm, SwarmError};
use tokio_util::sync::CancellationToken;

/// A TCP port on loopback that nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on loopback")
}

/// The loopback network, the only peers these tests allow.
pub fn loopback() -> Net {
    "127.0.0.0/8".parse().expect("a network")
}

/// Fetches what `torrent` describes from the seeder at 127.0.0.1:`seeder`, as a PC of
/// the room does, into `dir/fetched` (a new file); gives up after `stall` without
/// progress. The caller compares the bytes.
pub async fn fetch_from(
    torrent: &[u8],
    seeder: u16,
    dir: &Path,
    stall: Duration,
) -> Result<(Fetched, Vec<u8>), SwarmError> {
    let conf = SwarmConf {
        port: free_port(),
        seeders: vec![([127, 0, 0, 1], seeder).into()],
        room_first: Duration::ZERO,
        stall,
        ..SwarmConf::default()
    };
    let pc = Swarm::start(dir, &conf, &[loopback()]).await?;
    let into = dir.join("fetched");
    let file = std::fs::File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&into)
        .map_err(|e| SwarmError::Start(format!("{}: {e}", into.display())))?;
    let fetched = pc
        .fetch(
            torrent.to_vec().into(),
            Arc::new(file),
            &|_| {},
            &CancellationToken::new(),
        )
        .await?;
    let bytes = std::fs::read(&into).map_err(|e| SwarmError::Start(e.to_string()))?;
    Ok((fetched, bytes))
}
