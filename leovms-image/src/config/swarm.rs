//! `[swarm]` of store.toml: whether and how the PC shares archives with its room
//! (docs/swarm.md). Without the table the PC takes everything from the share.
//!
//! ```toml
//! [swarm]
//! seeders = ["10.16.0.1:6881"]   # the server's seeder (leovms-seed.service)
//! peers = ["10.16.1.0/24"]       # who may be a peer; default: the PC's own subnets
//! port = 6881
//! slots = 8                      # peers one archive is exchanged with at a time
//! max_upload_mbits = 400         # default: no limit
//! max_download_mbits = 800
//! room_first_seconds = 5         # the room alone first; the seeders when it gives nothing
//! stall_seconds = 30             # no progress this long: the share instead
//! seed_minutes = 120             # how long the PC shares after its last fetch
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, KeyIndex};
use crate::net::Net;

pub const DEFAULT_SWARM_PORT: u16 = 6881;
pub const DEFAULT_SLOTS: u32 = 8;
pub const DEFAULT_STALL_SECONDS: u64 = 30;
pub const DEFAULT_ROOM_FIRST_SECONDS: u64 = 5;
pub const DEFAULT_SEED_MINUTES: u64 = 120;

/// The engine speaks IPv4 only: an IPv6 address would never be reached.
const IPV4_ONLY: &str = "the room swarm is IPv4 only; give an IPv4 address or network";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmConf {
    pub port: u16,
    /// Asked first, whatever LSD finds.
    pub seeders: Vec<SocketAddr>,
    /// Who may be a peer; empty: the PC's own subnets. Seeders always may.
    pub peers: Vec<Net>,
    pub slots: u32,
    /// Bytes per second; none: no limit.
    pub max_upload: Option<u32>,
    pub max_download: Option<u32>,
    /// How long a fetch asks only the room before it adds the seeders.
    pub room_first: Duration,
    pub stall: Duration,
    pub seed_for: Duration,
}

impl Default for SwarmConf {
    fn default() -> Self {
        SwarmConf {
            port: DEFAULT_SWARM_PORT,
            seeders: Vec::new(),
            peers: Vec::new(),
            slots: DEFAULT_SLOTS,
            max_upload: None,
            max_download: None,
            room_first: Duration::from_secs(DEFAULT_ROOM_FIRST_SECONDS),
            stall: Duration::from_secs(DEFAULT_STALL_SECONDS),
            seed_for: Duration::from_secs(DEFAULT_SEED_MINUTES * 60),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSwarm {
    port: Option<u16>,
    #[serde(default)]
    seeders: Vec<String>,
    #[serde(default)]
    peers: Vec<String>,
    slots: Option<u32>,
    max_upload_mbits: Option<u32>,
    max_download_mbits: Option<u32>,
    room_first_seconds: Option<u64>,
    stall_seconds: Option<u64>,
    seed_minutes: Option<u64>,
}

/// Mbit/s as bytes per second, saturating.
pub fn mbits_to_bytes(mbits: u32) -> u32 {
    mbits.saturating_mul(125_000)
}

impl RawSwarm {
    pub(super) fn check(self, index: &KeyIndex) -> Result<SwarmConf, ConfigError> {
        let mut conf = SwarmConf::default();
        if let Some(port) = self.port {
            if port == 0 {
                return Err(index.error_at("swarm.port", "must be a port, 1 to 65535"));
            }
            conf.port = port;
        }
        for (i, text) in self.seeders.iter().enumerate() {
            let key = format!("swarm.seeders[{i}]");
            let addr = text.parse::<SocketAddr>().map_err(|_| {
                index.error_at(
                    &key,
                    format!("\"{text}\" is not an address with port like 10.16.0.1:6881"),
                )
            })?;
            if addr.is_ipv6() {
                return Err(index.error_at(&key, IPV4_ONLY));
            }
            conf.seeders.push(addr);
        }
        for (i, text) in self.peers.iter().enumerate() {
            let key = format!("swarm.peers[{i}]");
            let net = text.parse::<Net>().map_err(|e| index.error_at(&key, e))?;
            if net.bounds().0.is_ipv6() {
                return Err(index.error_at(&key, IPV4_ONLY));
            }
            conf.peers.push(net);
        }
        if let Some(slots) = self.slots {
            if !(1..=200).contains(&slots) {
                return Err(index.error_at("swarm.slots", "must be 1 to 200"));
            }
            conf.slots = slots;
        }
        for (key, value, into) in [
            (
                "swarm.max_upload_mbits",
                self.max_upload_mbits,
                &mut conf.max_upload,
            ),
            (
                "swarm.max_download_mbits",
                self.max_download_mbits,
                &mut conf.max_download,
            ),
        ] {
            match value {
                Some(0) => {
                    return Err(
                        index.error_at(key, "must be more than 0 (leave it out for no limit)")
                    );
                }
                Some(mbits) => *into = Some(mbits_to_bytes(mbits)),
                None => {}
            }
        }
        if let Some(secs) = self.room_first_seconds {
            if secs > 600 {
                return Err(index.error_at("swarm.room_first_seconds", "must be 0 to 600"));
            }
            conf.room_first = Duration::from_secs(secs);
        }
        if let Some(secs) = self.stall_seconds {
            if !(5..=3600).contains(&secs) {
                return Err(index.error_at("swarm.stall_seconds", "must be 5 to 3600"));
            }
            conf.stall = Duration::from_secs(secs);
        }
        if let Some(minutes) = self.seed_minutes {
            if minutes > 24 * 60 {
                return Err(index.error_at("swarm.seed_minutes", "must be 0 to 1440"));
            }
            conf.seed_for = Duration::from_secs(minutes * 60);
        }
        Ok(conf)
    }
}
