//! One engine per process: it listens for the room's PCs, finds them by local service
//! discovery (LSD, multicast within the subnet) and asks the seeders named in the
//! settings. No DHT, no trackers, no port forwarding: nothing leaves the school's
//! network, and only the allowed peers are spoken to.

use std::fmt::Write as _;
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use leovms_image::config::SwarmConf;
use leovms_image::net::Net;
use librqbit::api::TorrentIdOrHash;
use librqbit::limits::LimitsConfig;
use librqbit::{
    AddTorrent, AddTorrentOptions, AddTorrentResponse, ConnectionOptions, ListenerMode,
    ListenerOptions, ManagedTorrent, PeerConnectionOptions, Session, SessionOptions,
};
use tokio_util::sync::CancellationToken;

use crate::SwarmError;
use crate::storage::OneFile;

/// How often a fetch looks at its progress.
const TICK: Duration = Duration::from_millis(250);

pub struct Swarm {
    session: Arc<Session>,
    conf: SwarmConf,
    stop: CancellationToken,
}

/// What one fetch brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: u64,
}

impl Swarm {
    /// Starts the engine on `conf.port`, speaking only to `peers` (the settings' list,
    /// or the PC's subnets when empty) and the seeders. `state` is a private folder for
    /// the engine's list of allowed peers.
    pub async fn start(state: &Path, conf: &SwarmConf, peers: &[Net]) -> Result<Swarm, SwarmError> {
        Swarm::start_as(state, conf, peers, true).await
    }

    /// The server's engine: like [`Swarm::start`], but it does not take part in local
    /// service discovery. The PCs know the seeders from their settings and ask them only
    /// when their room cannot help; a seeder that answered their announcements itself
    /// would send what the room already has.
    pub async fn start_seeder(
        state: &Path,
        conf: &SwarmConf,
        peers: &[Net],
    ) -> Result<Swarm, SwarmError> {
        Swarm::start_as(state, conf, peers, false).await
    }

    async fn start_as(
        state: &Path,
        conf: &SwarmConf,
        peers: &[Net],
        discover: bool,
    ) -> Result<Swarm, SwarmError> {
        let mut allowed: Vec<Net> = peers.to_vec();
        allowed.extend(conf.seeders.iter().map(|s| Net::host(s.ip())));
        let list = state.join("peers.txt");
        std::fs::write(&list, allow_list(&allowed))
            .map_err(|e| SwarmError::Start(format!("{}: {e}", list.display())))?;
        let stop = CancellationToken::new();
        let options = SessionOptions {
            dht: None,
            disable_trackers: true,
            listen: Some(ListenerOptions {
                mode: ListenerMode::TcpOnly,
                listen_addr: SocketAddr::from((Ipv4Addr::UNSPECIFIED, conf.port)),
                enable_upnp_port_forwarding: false,
                ipv4_only: true,
                ..Default::default()
            }),
            connect: Some(ConnectionOptions {
                proxy_url: None,
                enable_tcp: true,
                peer_opts: Some(PeerConnectionOptions {
                    connect_timeout: Some(Duration::from_secs(5)),
                    read_write_timeout: Some(Duration::from_secs(20)),
                    ..Default::default()
                }),
            }),
            ratelimits: LimitsConfig {
                upload_bps: conf.max_upload.and_then(NonZeroU32::new),
                download_bps: conf.max_download.and_then(NonZeroU32::new),
            },
            allowlist_url: Some(format!("file://{}", list.display())),
            peer_limit: Some(conf.slots as usize),
            ipv4_only: true,
            disable_local_service_discovery: !discover,
            cancellation_token: Some(stop.clone()),
            client_name_and_version: Some(format!("leovms {}", env!("CARGO_PKG_VERSION"))),
            ..Default::default()
        };
        let session = Session::new_with_opts(state.to_owned(), options)
            .await
            .map_err(|e| SwarmError::Start(format!("{e:#}")))?;
        Ok(Swarm {
            session,
            conf: conf.clone(),
            stop,
        })
    }

    /// Fetches the archive `torrent` describes into `into` (an empty file of the
    /// caller's own): from the room alone first, so that a PC coming later costs the
    /// server nothing; with the seeders too once the room gave nothing for the settings'
    /// `room_first`. Ends when every piece is there and matched its hash, when nothing
    /// came for the stall time, or on cancel. The caller verifies the whole file before
    /// using or sharing it.
    pub async fn fetch(
        &self,
        torrent: Bytes,
        into: Arc<File>,
        progress: &(dyn Fn(u64) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<Fetched, SwarmError> {
        let seeders = !self.conf.seeders.is_empty();
        let mut got = 0;
        let mut peers = Vec::new();
        if !seeders || !self.conf.room_first.is_zero() {
            let stall = if seeders {
                self.conf.room_first
            } else {
                self.conf.stall
            };
            let room = self
                .attempt(
                    &torrent, &into, &mut peers, stall, progress, cancel, &mut got,
                )
                .await;
            match room {
                Err(SwarmError::Stalled(_)) if seeders => {
                    tracing::debug!("the room gave nothing for {stall:?}; asking the seeders too");
                    if got == 0 {
                        // Nothing to check again: the engine starts on an empty file.
                        into.set_len(0).map_err(SwarmError::engine)?;
                    }
                }
                done => return done.map(|bytes| Fetched { bytes }),
            }
        }
        // The room's PCs it found are asked again: they forgot this one when its first
        // go ended, and local service discovery announces only every few minutes.
        peers.extend(self.conf.seeders.iter().copied());
        let stall = self.conf.stall;
        self.attempt(
            &torrent, &into, &mut peers, stall, progress, cancel, &mut got,
        )
        .await
        .map(|bytes| Fetched { bytes })
    }

    /// One go of [`Swarm::fetch`], starting with `peers` (replaced by the peers it
    /// found, each at the room's port); the engine forgets the torrent afterwards, and
    /// what it wrote stays in `into` for the next go.
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        torrent: &Bytes,
        into: &Arc<File>,
        peers: &mut Vec<SocketAddr>,
        stall: Duration,
        progress: &(dyn Fn(u64) + Send + Sync),
        cancel: &CancellationToken,
        got: &mut u64,
    ) -> Result<u64, SwarmError> {
        let (id, handle) = self
            .add(torrent.clone(), into.clone(), true, std::mem::take(peers))
            .await?;
        let result = follow(&handle, stall, progress, cancel, got).await;
        if let Some(live) = handle.live() {
            let known = live.per_peer_stats_snapshot(Default::default()).peers;
            for addr in known.keys().filter_map(|a| a.parse::<SocketAddr>().ok()) {
                let at_room_port = SocketAddr::new(addr.ip(), self.conf.port);
                if !peers.contains(&at_room_port) {
                    peers.push(at_room_port);
                }
            }
        }
        // The writable file is never shared: the caller shares it once verified.
        let _ = self.session.delete(TorrentIdOrHash::Id(id), false).await;
        result
    }

    /// Shares `file`, verified and read-only, with the room until [`Swarm::forget`].
    /// Returns once the engine has checked the pieces and serves them.
    pub async fn seed(&self, torrent: Bytes, file: Arc<File>) -> Result<(), SwarmError> {
        let (_, handle) = self.add(torrent, file, false, Vec::new()).await?;
        handle
            .wait_until_initialized()
            .await
            .map_err(SwarmError::engine)
    }

    /// Stops sharing the archive of `info_hash` (40 hexadecimal digits).
    pub async fn forget(&self, info_hash: &str) {
        if let Ok(hash) = librqbit_core::Id20::from_str(info_hash) {
            let _ = self
                .session
                .delete(TorrentIdOrHash::Hash(hash), false)
                .await;
        }
    }

    /// Bytes sent to peers since the start, over every archive.
    pub fn uploaded(&self) -> u64 {
        self.session.stats_snapshot().counters.uploaded_bytes
    }

    async fn add(
        &self,
        torrent: Bytes,
        file: Arc<File>,
        writable: bool,
        peers: Vec<SocketAddr>,
    ) -> Result<(usize, Arc<ManagedTorrent>), SwarmError> {
        let options = AddTorrentOptions {
            overwrite: true,
            initial_peers: (!peers.is_empty()).then_some(peers),
            peer_limit: Some(self.conf.slots as usize),
            storage_factory: Some(OneFile::factory(file, writable)),
            ..Default::default()
        };
        match self
            .session
            .add_torrent(AddTorrent::from_bytes(torrent), Some(options))
            .await
            .map_err(SwarmError::engine)?
        {
            AddTorrentResponse::Added(id, handle) => Ok((id, handle)),
            AddTorrentResponse::AlreadyManaged(..) => Err(SwarmError::Engine(
                "this archive is already being fetched or shared".into(),
            )),
            AddTorrentResponse::ListOnly(_) => Err(SwarmError::Engine("not added".into())),
        }
    }
}

impl Drop for Swarm {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Follows a fetch to its end: done, canceled, or nothing new for `stall`. `got` is the
/// most the engine had, across attempts.
async fn follow(
    handle: &ManagedTorrent,
    stall: Duration,
    progress: &(dyn Fn(u64) + Send + Sync),
    cancel: &CancellationToken,
    got: &mut u64,
) -> Result<u64, SwarmError> {
    let mut since = Instant::now();
    loop {
        tokio::select! {
            () = cancel.cancelled() => return Err(SwarmError::Canceled),
            () = tokio::time::sleep(TICK) => {}
        }
        let stats = handle.stats();
        if let Some(error) = stats.error {
            return Err(SwarmError::Engine(crate::error::one_line(&error)));
        }
        if stats.finished {
            progress(stats.total_bytes);
            return Ok(stats.total_bytes);
        }
        if stats.progress_bytes > *got {
            *got = stats.progress_bytes;
            since = Instant::now();
            progress(*got);
        } else if since.elapsed() >= stall {
            return Err(SwarmError::Stalled(stall));
        }
    }
}

/// The engine's allow-list format: one `name:first-last` range per line.
fn allow_list(nets: &[Net]) -> String {
    let mut text = String::new();
    for net in nets {
        let (first, last) = net.bounds();
        let _ = writeln!(text, "leovms:{first}-{last}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_has_a_range_per_network() {
        let nets = [
            "10.16.1.0/24".parse().unwrap(),
            "10.16.0.1".parse().unwrap(),
        ];
        assert_eq!(
            allow_list(&nets),
            "leovms:10.16.1.0-10.16.1.255\nleovms:10.16.0.1-10.16.0.1\n"
        );
    }
}
