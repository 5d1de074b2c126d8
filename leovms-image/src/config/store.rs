//! `/etc/leovms/store.toml`: the PC's settings for its machine-wide store. Only root
//! writes it; no user's file ever sets these.
//!
//! ```toml
//! limit_gb = 300      # the most the store holds
//! user_pins = 4       # VMs one user may keep for offline use
//! pinned = ["<sha256 of an archive>"]   # kept whatever happens (the admin's pins)
//! share = "/media/leovms/data"           # the PC's own mount, read when pre-warming
//! report_dir = "/media/leovms/status"    # where the PC reports what it holds
//!
//! [swarm]                                # sharing with the room (swarm.rs)
//! seeders = ["10.16.0.1:6881"]
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::read_text;
use super::swarm::{RawSwarm, SwarmConf};
use super::{ConfigError, parse_toml};

/// Offline pins one user may hold when the file does not say.
pub const DEFAULT_USER_PINS: u32 = 4;
/// The machine-wide mount of the data share (docs/admin.md), read when pre-warming.
pub const DEFAULT_SHARE: &str = "/media/leovms/data";

#[derive(Debug, Clone, PartialEq)]
pub struct StoreConf {
    pub limit_gb: f64,
    pub user_pins: u32,
    /// sha256 of archives the admin pinned.
    pub pinned: Vec<[u8; 32]>,
    /// The PC's own mount of the data share, for pre-warming without a user.
    pub share: PathBuf,
    /// Where the store writes `<host>.toml`, what it holds (none: no report).
    pub report_dir: Option<PathBuf>,
    /// The room swarm; none: everything from the share.
    pub swarm: Option<SwarmConf>,
}

impl Default for StoreConf {
    /// No file: no limit but the disk, the default pins, the default mount, no report.
    fn default() -> Self {
        StoreConf {
            limit_gb: f64::INFINITY,
            user_pins: DEFAULT_USER_PINS,
            pinned: Vec::new(),
            share: PathBuf::from(DEFAULT_SHARE),
            report_dir: None,
            swarm: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    limit_gb: f64,
    #[serde(default = "default_user_pins")]
    user_pins: u32,
    #[serde(default)]
    pinned: Vec<String>,
    share: Option<PathBuf>,
    report_dir: Option<PathBuf>,
    swarm: Option<RawSwarm>,
}

fn default_user_pins() -> u32 {
    DEFAULT_USER_PINS
}

impl StoreConf {
    pub fn parse(text: &str, file: &Path) -> Result<Self, ConfigError> {
        let (raw, index) = parse_toml::<RawStore>(text, file)?;
        if !raw.limit_gb.is_finite() || raw.limit_gb <= 0.0 {
            return Err(index.error_at("limit_gb", "must be a size in GB, more than 0"));
        }
        let mut pinned = Vec::with_capacity(raw.pinned.len());
        for (i, text) in raw.pinned.iter().enumerate() {
            let mut sha256 = [0u8; 32];
            let lower = text.chars().all(|c| !c.is_ascii_uppercase());
            if !lower || hex::decode_to_slice(text, &mut sha256).is_err() {
                return Err(index.error_at(
                    &format!("pinned[{i}]"),
                    "must be the sha256 of an archive: 64 characters 0-9 and a-f, as in the manifest",
                ));
            }
            pinned.push(sha256);
        }
        for (key, path) in [("share", &raw.share), ("report_dir", &raw.report_dir)] {
            if path.as_ref().is_some_and(|p| !p.is_absolute()) {
                return Err(index.error_at(key, "must be an absolute path"));
            }
        }
        Ok(StoreConf {
            limit_gb: raw.limit_gb,
            user_pins: raw.user_pins,
            pinned,
            share: raw.share.unwrap_or_else(|| PathBuf::from(DEFAULT_SHARE)),
            report_dir: raw.report_dir,
            swarm: raw.swarm.map(|s| s.check(&index)).transpose()?,
        })
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::parse(&read_text(path)?, path)
    }

    /// The limit in bytes.
    pub fn limit_bytes(&self) -> u64 {
        (self.limit_gb * 1e9) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "/etc/leovms/store.toml";

    fn parse(text: &str) -> Result<StoreConf, String> {
        StoreConf::parse(text, Path::new(FILE)).map_err(|e| e.to_string())
    }

    #[test]
    fn a_limit_with_defaults_and_pins() {
        let conf = parse("limit_gb = 300\n").unwrap();
        assert_eq!(conf.limit_bytes(), 300_000_000_000);
        assert_eq!(conf.user_pins, DEFAULT_USER_PINS);
        assert!(conf.pinned.is_empty());
        let pin = "ab".repeat(32);
        let conf = parse(&format!(
            "limit_gb = 1.5\nuser_pins = 0\npinned = [\"{pin}\"]\n"
        ))
        .unwrap();
        assert_eq!((conf.limit_bytes(), conf.user_pins), (1_500_000_000, 0));
        assert_eq!(conf.pinned, [[0xab; 32]]);
        assert_eq!(conf.share, Path::new(DEFAULT_SHARE));
        assert_eq!(conf.report_dir, None);
        let conf = parse("limit_gb = 1\nshare = \"/mnt/d\"\nreport_dir = \"/mnt/s\"\n").unwrap();
        assert_eq!(conf.share, Path::new("/mnt/d"));
        assert_eq!(conf.report_dir.as_deref(), Some(Path::new("/mnt/s")));
        assert_eq!(conf.swarm, None);
    }

    #[test]
    fn a_swarm_with_defaults_and_limits() {
        let conf = parse("limit_gb = 1\n[swarm]\n").unwrap();
        assert_eq!(conf.swarm, Some(SwarmConf::default()));
        let conf = parse(
            "limit_gb = 1\n[swarm]\nseeders = [\"10.16.0.1:7000\"]\npeers = [\"10.16.1.0/24\"]\n\
             port = 7001\nslots = 3\nmax_upload_mbits = 8\nstall_seconds = 10\nseed_minutes = 0\n",
        )
        .unwrap();
        let swarm = conf.swarm.unwrap();
        assert_eq!(swarm.seeders, ["10.16.0.1:7000".parse().unwrap()]);
        assert_eq!(swarm.peers[0].to_string(), "10.16.1.0/24");
        assert_eq!((swarm.port, swarm.slots), (7001, 3));
        assert_eq!(
            (swarm.max_upload, swarm.max_download),
            (Some(1_000_000), None)
        );
        assert_eq!(swarm.stall.as_secs(), 10);
        assert!(swarm.seed_for.is_zero());
    }

    #[test]
    fn mistakes_name_the_file_the_line_and_the_key() {
        assert_eq!(
            parse("limit_gb = 0\n").unwrap_err(),
            format!("{FILE}:1: limit_gb: must be a size in GB, more than 0")
        );
        let err = parse("limit_gb = 10\npinned = [\"1234\"]\n").unwrap_err();
        assert!(
            err.starts_with(&format!("{FILE}:2: pinned: must be the sha256")),
            "{err}"
        );
        let upper = "AB".repeat(32);
        let err = parse(&format!("limit_gb = 10\npinned = [\"{upper}\"]\n")).unwrap_err();
        assert!(err.contains(": pinned: "), "{err}");
        let err = parse("limit_gb = 10\nlimit = 3\n").unwrap_err();
        assert!(err.starts_with(&format!("{FILE}:2: limit")), "{err}");
        let err = parse("limit_gb = 10\nreport_dir = \"status\"\n").unwrap_err();
        assert_eq!(
            err,
            format!("{FILE}:2: report_dir: must be an absolute path")
        );
        let err = parse("limit_gb = 10\n[swarm]\nseeders = [\"server\"]\n").unwrap_err();
        assert!(
            err.starts_with(&format!(
                "{FILE}:3: swarm.seeders: \"server\" is not an address"
            )),
            "{err}"
        );
        let err =
            parse("limit_gb = 10\n[swarm]\npeers = [\"10.0.0.0/24\", \"room1\"]\n").unwrap_err();
        assert!(
            err.starts_with(&format!(
                "{FILE}:3: swarm.peers: \"room1\" is not a network"
            )),
            "{err}"
        );
        for ipv6 in ["seeders = [\"[fd00::1]:6881\"]", "peers = [\"fd00::/8\"]"] {
            let err = parse(&format!("limit_gb = 10\n[swarm]\n{ipv6}\n")).unwrap_err();
            assert!(err.ends_with("the room swarm is IPv4 only; give an IPv4 address or network"));
            assert!(err.starts_with(&format!("{FILE}:3: swarm.")), "{err}");
        }
        let err = parse("limit_gb = 10\n[swarm]\nslots = 0\n").unwrap_err();
        assert_eq!(err, format!("{FILE}:3: swarm.slots: must be 1 to 200"));
        let err = parse("user_pins = 2\n").unwrap_err();
        assert!(err.contains("limit_gb"), "{err}");
    }
}
