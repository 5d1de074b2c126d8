//! One engine per process: it listens for the room's PCs, finds them by local service
//! discovery (LSD, multicast within the subnet) and asks the seeders named in the
//! settings. No DHT, no trackers, no port forwarding: nothing leaves the school's
//! network, and only the allowed peers are spoken to.

use std::fmt::Write as _;
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
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
    TorrentStatsState,
};
use tokio_util::sync::CancellationToken;

use crate::SwarmError;
use crate::storage::OneFile;

/// How often a fetch looks at its progress.
const TICK: Duration = Duration::from_millis(250);

/// The longest a removed torrent's tasks are waited for (see [`released`]); they end
/// within a moment once the engine has let the torrent go.
const RELEASE_WAIT: Duration = Duration::from_secs(5);

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
    /// or the PC's subnets when empty) and the seeders; refused when that is nobody.
    /// `state` is a private folder for the engine's list of allowed peers.
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
        if allowed.is_empty() {
            // The engine cannot read an empty list, and would say so in its own words.
            return Err(SwarmError::Start(
                "no peer is allowed: no peers and no seeders are set, and the PC has no \
                 subnet on the interface of its default route"
                    .into(),
            ));
        }
        let list = state.join("peers.txt");
        std::fs::write(&list, allow_list(&allowed))
            .map_err(|e| SwarmError::Start(format!("{}: {e}", list.display())))?;
        let allowlist_url = file_url(&list)?;
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
            allowlist_url: Some(allowlist_url),
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
    /// found, each at the room's port); the engine forgets the torrent afterwards (and
    /// is done with it when this returns: see [`Swarm::remove`]), and what it wrote
    /// stays in `into` for the next go.
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
        self.remove(id, handle).await;
        result
    }

    /// Shares `file`, verified and read-only, with the room until [`Swarm::forget`].
    /// Returns once the engine has checked the pieces and serves them; a file that
    /// lacks any piece (damaged, truncated, unreadable) is refused and not shared.
    pub async fn seed(&self, torrent: Bytes, file: Arc<File>) -> Result<(), SwarmError> {
        let (id, handle) = self.add(torrent, file, false, Vec::new()).await?;
        let checked = match handle.wait_until_initialized().await {
            Err(e) => Err(SwarmError::engine(e)),
            Ok(()) => {
                // The engine serves what it found intact, and would try to fetch the
                // rest into a file it must not write: all of it, or nothing.
                let stats = handle.stats();
                match stats.error {
                    Some(error) => Err(SwarmError::Engine(crate::error::one_line(&error))),
                    None if stats.finished => Ok(()),
                    None => Err(SwarmError::Mismatch {
                        have: stats.progress_bytes,
                        total: stats.total_bytes,
                    }),
                }
            }
        };
        if checked.is_err() {
            self.remove(id, handle).await;
        }
        checked
    }

    /// Stops sharing the archive of `info_hash` (40 hexadecimal digits).
    pub async fn forget(&self, info_hash: &str) {
        let Ok(hash) = librqbit_core::Id20::from_str(info_hash) else {
            return;
        };
        if let Some(handle) = self.session.get(TorrentIdOrHash::Hash(hash)) {
            self.remove(handle.id(), handle).await;
        }
    }

    /// Takes a torrent out of the session, and returns once the engine's tasks for it
    /// have ended, so that the archive can be added again right away: see [`released`].
    async fn remove(&self, id: usize, handle: Arc<ManagedTorrent>) {
        let live = handle.live();
        let _ = self.session.delete(TorrentIdOrHash::Id(id), false).await;
        released(handle, live).await;
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

/// Waits until the engine's tasks for a torrent just deleted have ended (at most
/// [`RELEASE_WAIT`]); `live` is its live state from before the delete.
///
/// Why: local service discovery (librqbit-lsd) keeps one receiver per info hash, and a
/// torrent's stream of announcements, when dropped, removes the receiver of its hash,
/// whichever torrent it belongs to. The engine drops that stream on its own task after
/// `delete` has returned: the task adding peers to the live torrent, or before that the
/// task checking its file. Had the same archive been added again meanwhile, the new
/// torrent would lose its receiver and hear no PC of the room. The first task holds the
/// live state (strongly until it first runs, then weakly), the second the torrent
/// itself; the engine's other tasks for the live state end on the same cancel. Each
/// drops that reference in the same synchronous drop as the stream, just before it:
/// the last tick covers a thread descheduled in between.
async fn released<T>(handle: Arc<ManagedTorrent>, live: Option<Arc<T>>) {
    // Gone when ours are the only references left.
    let gone = || {
        let live_gone = live
            .as_ref()
            .is_none_or(|l| Arc::strong_count(l) == 1 && Arc::weak_count(l) == 0);
        Arc::strong_count(&handle) == 1 && live_gone
    };
    let waited = tokio::time::timeout(RELEASE_WAIT, async {
        while !gone() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    if waited.is_err() {
        tracing::debug!("the engine still holds a removed torrent after {RELEASE_WAIT:?}");
    }
    tokio::time::sleep(TICK).await;
}

/// Follows a fetch to its end: done, canceled, or nothing received for `stall`. `got`
/// is the progress shown, across attempts.
async fn follow(
    handle: &ManagedTorrent,
    stall: Duration,
    progress: &(dyn Fn(u64) + Send + Sync),
    cancel: &CancellationToken,
    got: &mut u64,
) -> Result<u64, SwarmError> {
    let mut watch = Watch::new(stall, Instant::now(), *got);
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
            *got = stats.total_bytes;
            progress(stats.total_bytes);
            return Ok(stats.total_bytes);
        }
        let look = match (stats.state, &stats.live) {
            (TorrentStatsState::Initializing { .. }, _) => Look::Checking,
            (TorrentStatsState::Live, Some(live)) => Look::Live {
                received: live.snapshot.fetched_bytes,
                verified: stats.progress_bytes,
                total: stats.total_bytes,
            },
            _ => Look::Idle,
        };
        if let Some(shown) = watch.see(look, Instant::now())? {
            *got = shown;
            progress(shown);
        }
    }
}

/// What the engine says of a fetch at one look.
#[derive(Debug, Clone, Copy)]
enum Look {
    /// It checks what the file holds already (a second go, on what the first wrote):
    /// it counts bytes read, and asks no peer yet.
    Checking,
    /// It asks the peers: `received` bytes came in this go, `verified` of the archive's
    /// `total` matched their piece hashes (with what the check found).
    Live {
        received: u64,
        verified: u64,
        total: u64,
    },
    /// Anything else: nothing comes.
    Idle,
}

/// The judgement of [`follow`]: whether the peers stalled, and what progress to show.
struct Watch {
    stall: Duration,
    /// When bytes last came in, or the engine was last seen checking the file: a
    /// piece of 8 or 16 MiB may take longer than the stall time of the room, while
    /// its blocks arrive.
    since: Instant,
    received: u64,
    /// Verified bytes shown, across goes: never less than before, never more than
    /// the archive.
    shown: u64,
}

impl Watch {
    fn new(stall: Duration, now: Instant, shown: u64) -> Watch {
        Watch {
            stall,
            since: now,
            received: 0,
            shown,
        }
    }

    /// Takes in a look at `now`: the progress to show when it grew, or stalled.
    fn see(&mut self, look: Look, now: Instant) -> Result<Option<u64>, SwarmError> {
        match look {
            Look::Checking => self.since = now,
            Look::Live {
                received,
                verified,
                total,
            } => {
                if received > self.received {
                    self.received = received;
                    self.since = now;
                }
                let verified = verified.min(total);
                if verified > self.shown {
                    self.shown = verified;
                    return Ok(Some(verified));
                }
            }
            Look::Idle => {}
        }
        if now.duration_since(self.since) >= self.stall {
            return Err(SwarmError::Stalled(self.stall));
        }
        Ok(None)
    }
}

/// `path` as the `file:` URL the engine reads its allow-list from.
fn file_url(path: &Path) -> Result<String, SwarmError> {
    let bad = || SwarmError::Start(format!("{}: not a path for a file URL", path.display()));
    let absolute: PathBuf = std::path::absolute(path).map_err(|_| bad())?;
    url::Url::from_file_path(&absolute)
        .map(String::from)
        .map_err(|()| bad())
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

    #[tokio::test]
    async fn an_engine_allowing_no_peer_does_not_start() {
        let state = tempfile::tempdir().unwrap();
        let conf = SwarmConf {
            port: 0,
            ..SwarmConf::default()
        };
        let Err(err) = Swarm::start(state.path(), &conf, &[]).await else {
            panic!("started with nobody allowed");
        };
        assert!(matches!(err, SwarmError::Start(_)), "{err}");
        assert!(err.to_string().contains("no peer is allowed"), "{err}");
    }

    #[test]
    fn the_allow_list_url_names_any_path() {
        let path = Path::new("/var/lib/leovms store/#1 100%/peers.txt");
        let url = file_url(path).unwrap();
        assert_eq!(
            url,
            "file:///var/lib/leovms%20store/%231%20100%25/peers.txt"
        );
        let parsed = url::Url::parse(&url).unwrap();
        assert_eq!(parsed.to_file_path().unwrap(), path);
        let relative = file_url(Path::new("state/peers.txt")).unwrap();
        let parsed = url::Url::parse(&relative).unwrap().to_file_path().unwrap();
        assert_eq!(
            parsed,
            std::env::current_dir().unwrap().join("state/peers.txt")
        );
    }

    const STALL: Duration = Duration::from_secs(5);

    fn live(received: u64, verified: u64) -> Look {
        Look::Live {
            received,
            verified,
            total: 1000,
        }
    }

    #[test]
    fn checking_the_file_is_no_stall_and_no_progress() {
        let start = Instant::now();
        let mut watch = Watch::new(STALL, start, 100);
        // The engine counts the bytes it checks: nothing of that is shown.
        for s in [1, 4, 8, 12] {
            let now = start + Duration::from_secs(s);
            assert_eq!(watch.see(Look::Checking, now).unwrap(), None);
        }
        // The clock starts when the torrent is live.
        let live_at = start + Duration::from_secs(12);
        assert_eq!(watch.see(live(0, 80), live_at).unwrap(), None);
        let at = |s| live_at + Duration::from_secs(s);
        assert_eq!(watch.see(live(0, 150), at(1)).unwrap(), Some(150));
        assert_eq!(watch.see(live(0, 150), at(4)).unwrap(), None);
        assert!(matches!(
            watch.see(live(0, 150), at(5)),
            Err(SwarmError::Stalled(STALL))
        ));
    }

    #[test]
    fn bytes_received_keep_a_fetch_alive_before_a_piece_is_whole() {
        let start = Instant::now();
        let mut watch = Watch::new(STALL, start, 0);
        let at = |s| start + Duration::from_secs(s);
        for (s, received) in [(3, 10), (7, 20), (11, 30), (15, 40)] {
            assert_eq!(watch.see(live(received, 0), at(s)).unwrap(), None);
        }
        assert_eq!(watch.see(live(40, 0), at(19)).unwrap(), None);
        assert!(watch.see(live(40, 0), at(20)).is_err());
    }

    #[test]
    fn the_progress_shown_never_goes_back_nor_past_the_archive() {
        let start = Instant::now();
        let mut watch = Watch::new(STALL, start, 500);
        let at = |ms| start + Duration::from_millis(ms);
        assert_eq!(watch.see(live(10, 300), at(250)).unwrap(), None);
        assert_eq!(watch.see(live(20, 600), at(500)).unwrap(), Some(600));
        assert_eq!(watch.see(live(30, 550), at(750)).unwrap(), None);
        assert_eq!(watch.see(live(40, 5000), at(1000)).unwrap(), Some(1000));
        assert_eq!(watch.see(live(50, 5000), at(1250)).unwrap(), None);
        assert_eq!(watch.see(Look::Idle, at(1500)).unwrap(), None);
    }
}
