//! The four TOML files of share format v1: leovms-client.conf, leovms-vbox.conf,
//! `<vm>/image.conf` and `<vm>/snapshots/<id>/snapshot.conf`.
//!
//! Unknown keys are errors everywhere: a typo must not silently fall back to a default.

mod access;
mod error;
mod folders;
mod network;
mod printer;
mod store;
mod swarm;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use access::{AccessFacts, AccessRules, pc_matches};
pub use error::ConfigError;
pub(crate) use error::{KeyIndex, read_text};
pub use folders::{FolderSetting, SharedFolder, expand_home, resolve_shared_folders};
pub use network::{MAX_NIC, MacSetting, NetworkChoice, NetworkRule, NicMode, NicRule};
pub use printer::{DEFAULT_PRINT_FILE, DEFAULT_PRINT_MAX_MB, PrinterConf};
pub use store::{DEFAULT_SHARE, DEFAULT_USER_PINS, StoreConf};
pub use swarm::{DEFAULT_SWARM_PORT, SwarmConf, mbits_to_bytes};

use crate::name::SafeName;

/// The only share format this code understands.
pub const FORMAT: i64 = 1;
/// VirtualBox's limits for `Memory/@RAMSize` (MB).
const RAM_LIMITS: std::ops::RangeInclusive<u32> = 4..=2_097_152;

/// `text` as a TOML string, quoted and escaped as TOML writes it: what every settings
/// file leovms writes uses for its texts.
pub fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// `texts` as a TOML array of strings on one line: `["r101", "r102"]`.
pub fn toml_strings(texts: &[String]) -> String {
    let items: Vec<String> = texts.iter().map(|t| toml_string(t)).collect();
    format!("[{}]", items.join(", "))
}

/// Parse `text` as `T`, with errors located in `file`.
pub(crate) fn parse_toml<'a, T: Deserialize<'a>>(
    text: &'a str,
    file: &'a Path,
) -> Result<(T, KeyIndex<'a>), ConfigError> {
    let index = KeyIndex::new(file, text)?;
    let value = toml::from_str(text).map_err(|e| index.translate(&e))?;
    Ok((value, index))
}

fn check_format(format: Option<i64>, index: &KeyIndex<'_>) -> Result<(), ConfigError> {
    match format {
        None | Some(FORMAT) => Ok(()),
        Some(other) => Err(index.error_at(
            "format",
            format!("format {other} is not supported (this version reads format {FORMAT})"),
        )),
    }
}

/// leovms-client.conf: where clients cache archives, which VMs they keep synced, the
/// VM printer of all PCs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientConf {
    pub caches: Vec<CacheConf>,
    pub presync: Vec<SafeName>,
    /// Below each VM's own `[printer]` (see [`PrinterConf::over`]).
    pub printer: PrinterConf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CacheConf {
    pub path: PathBuf,
    pub limit_gb: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    format: Option<i64>,
    #[serde(default)]
    cache: Vec<RawCache>,
    #[serde(default)]
    presync: Vec<SafeName>,
    #[serde(default)]
    printer: PrinterConf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    path: PathBuf,
    limit_gb: f64,
}

impl ClientConf {
    pub fn parse(text: &str, file: &Path) -> Result<Self, ConfigError> {
        let (raw, index) = parse_toml::<RawClient>(text, file)
            .map_err(|e| printer::misplaced_hint(presync_hint(e)))?;
        check_format(raw.format, &index)?;
        for (i, cache) in raw.cache.iter().enumerate() {
            if !cache.path.is_absolute() {
                return Err(index.error_at(
                    &format!("cache[{i}].path"),
                    "must be an absolute path (starting with /)",
                ));
            }
            if !cache.limit_gb.is_finite() || cache.limit_gb < 0.0 {
                return Err(index.error_at(
                    &format!("cache[{i}].limit_gb"),
                    "must be a size in GB, 0 or more",
                ));
            }
        }
        raw.printer.check(&index)?;
        Ok(ClientConf {
            caches: raw
                .cache
                .into_iter()
                .map(|c| CacheConf {
                    path: c.path,
                    limit_gb: c.limit_gb,
                })
                .collect(),
            presync: raw.presync,
            printer: raw.printer,
        })
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::parse(&read_text(path)?, path)
    }
}

/// TOML puts every key after `[[cache]]` into that table; say so when `presync` lands there.
fn presync_hint(mut e: ConfigError) -> ConfigError {
    if e.key.as_deref() == Some("cache.presync") {
        e.message = "presync belongs at the top of the file, before the first [[cache]]".into();
    }
    e
}

/// leovms-vbox.conf: where unpacked machines and the per-user VirtualBox homes live.
#[derive(Debug, Clone, PartialEq)]
pub struct VboxConf {
    pub machines_dir: PathBuf,
    /// `VBOX_USER_HOME` of each user; may start with `~` (see [`expand_home`]).
    pub vbox_home: String,
}

impl Default for VboxConf {
    fn default() -> Self {
        VboxConf {
            machines_dir: PathBuf::from("/var/lib/leovms/machines"),
            vbox_home: "~/.leovms".into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVbox {
    format: Option<i64>,
    machines_dir: Option<PathBuf>,
    vbox_home: Option<String>,
}

fn is_home_or_absolute(path: &str) -> bool {
    path == "~" || path.starts_with("~/") || path.starts_with('/')
}

impl VboxConf {
    pub fn parse(text: &str, file: &Path) -> Result<Self, ConfigError> {
        let (raw, index) = parse_toml::<RawVbox>(text, file)?;
        check_format(raw.format, &index)?;
        let default = VboxConf::default();
        let conf = VboxConf {
            machines_dir: raw.machines_dir.unwrap_or(default.machines_dir),
            vbox_home: raw.vbox_home.unwrap_or(default.vbox_home),
        };
        if !conf.machines_dir.is_absolute() {
            return Err(
                index.error_at("machines_dir", "must be an absolute path (starting with /)")
            );
        }
        if !is_home_or_absolute(&conf.vbox_home) {
            return Err(index.error_at(
                "vbox_home",
                "must be an absolute path or start with ~/ (the user's home)",
            ));
        }
        Ok(conf)
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::parse(&read_text(path)?, path)
    }
}

/// image.conf: how the share presents and runs one VM.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageConf {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub ram: RamPolicy,
    /// Overrides of the default shared folders, by folder name.
    #[serde(default)]
    pub shared_folders: BTreeMap<String, FolderSetting>,
    /// Who may use the VM, on which PCs.
    #[serde(default)]
    pub access: AccessRules,
    /// Network cards per PC; see [`ImageConf::network_for`].
    #[serde(default)]
    pub network: Vec<NetworkRule>,
    /// The VM printer; each key set here wins over leovms-client.conf's.
    #[serde(default)]
    pub printer: PrinterConf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RamMode {
    #[default]
    Auto,
    Fixed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RamPolicy {
    #[serde(default)]
    pub mode: RamMode,
    /// Fixed mode: the size in MB.
    pub mb: Option<u32>,
    #[serde(default = "default_min_mb")]
    pub min_mb: u32,
    #[serde(default = "default_max_mb")]
    pub max_mb: u32,
}

fn default_min_mb() -> u32 {
    192
}

fn default_max_mb() -> u32 {
    3072
}

impl Default for RamPolicy {
    fn default() -> Self {
        RamPolicy {
            mode: RamMode::Auto,
            mb: None,
            min_mb: default_min_mb(),
            max_mb: default_max_mb(),
        }
    }
}

impl ImageConf {
    pub fn parse(text: &str, file: &Path) -> Result<Self, ConfigError> {
        let (conf, index) = parse_toml::<ImageConf>(text, file).map_err(printer::misplaced_hint)?;
        if conf.name.trim().is_empty() {
            return Err(index.error_at("name", "must not be empty"));
        }
        check_ram(&conf.ram, &index)?;
        folders::check(&conf.shared_folders, &index)?;
        conf.access.check(&index)?;
        network::check(&conf.network, &index)?;
        conf.printer.check(&index)?;
        Ok(conf)
    }

    /// The network rule for the PC of `facts`.
    pub fn network_for(&self, facts: &AccessFacts) -> NetworkChoice<'_> {
        network::choose(&self.network, facts)
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::parse(&read_text(path)?, path)
    }
}

fn check_ram(ram: &RamPolicy, index: &KeyIndex<'_>) -> Result<(), ConfigError> {
    let limits = format!(
        "must be between {} and {} MB",
        RAM_LIMITS.start(),
        RAM_LIMITS.end()
    );
    match ram.mode {
        RamMode::Fixed => {
            let Some(mb) = ram.mb else {
                return Err(index.error_at("ram.mb", "required when mode = \"fixed\""));
            };
            if !RAM_LIMITS.contains(&mb) {
                return Err(index.error_at("ram.mb", limits));
            }
            for key in ["ram.min_mb", "ram.max_mb"] {
                if index.has(key) {
                    return Err(index.error_at(key, "only applies when mode = \"auto\""));
                }
            }
        }
        RamMode::Auto => {
            if ram.mb.is_some() {
                return Err(index.error_at(
                    "ram.mb",
                    "only applies when mode = \"fixed\" (use min_mb/max_mb for auto)",
                ));
            }
            for (key, value) in [("ram.min_mb", ram.min_mb), ("ram.max_mb", ram.max_mb)] {
                if !RAM_LIMITS.contains(&value) {
                    return Err(index.error_at(key, limits));
                }
            }
            if ram.min_mb > ram.max_mb {
                return Err(index.error_at(
                    "ram.min_mb",
                    format!(
                        "min_mb ({}) is larger than max_mb ({})",
                        ram.min_mb, ram.max_mb
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// snapshot.conf: what users see of one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotConf {
    pub name: String,
    pub maintainer: String,
    /// RFC 3339 text of the TOML datetime, e.g. `2026-11-20T10:00:00Z`.
    pub created: Option<String>,
    pub description: String,
    /// Shown only on these PCs (host names)…
    pub hosts: Vec<String>,
    /// …or on PCs in these rooms; both empty: everywhere.
    pub rooms: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSnapshot {
    name: String,
    #[serde(default)]
    maintainer: String,
    created: Option<toml::value::Datetime>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    rooms: Vec<String>,
}

impl SnapshotConf {
    pub fn parse(text: &str, file: &Path) -> Result<Self, ConfigError> {
        let (raw, index) = parse_toml::<RawSnapshot>(text, file)?;
        if raw.name.trim().is_empty() {
            return Err(index.error_at("name", "must not be empty"));
        }
        if raw.created.as_ref().is_some_and(|c| c.date.is_none()) {
            return Err(index.error_at(
                "created",
                "must be a date or date-time, e.g. 2026-11-20T10:00:00Z",
            ));
        }
        access::check_names("hosts", &raw.hosts, &index)?;
        access::check_names("rooms", &raw.rooms, &index)?;
        Ok(SnapshotConf {
            name: raw.name,
            maintainer: raw.maintainer,
            created: raw.created.map(|c| c.to_string()),
            description: raw.description,
            hosts: raw.hosts,
            rooms: raw.rooms,
        })
    }

    /// The text of the file: `name`, then `maintainer`, `created`, `description`,
    /// `hosts` and `rooms` where they are set. [`SnapshotConf::parse`] reads it back as
    /// the same value (a `created` that is not a TOML date-time is written as a text,
    /// which it refuses).
    pub fn to_toml(&self) -> String {
        self.to_string()
    }

    /// Whether the snapshot is shown on the PC of `facts`.
    pub fn visible_on(&self, facts: &AccessFacts) -> bool {
        pc_matches(&self.hosts, &self.rooms, facts)
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::parse(&read_text(path)?, path)
    }
}

impl fmt::Display for SnapshotConf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "name = {}", toml_string(&self.name))?;
        if !self.maintainer.is_empty() {
            writeln!(f, "maintainer = {}", toml_string(&self.maintainer))?;
        }
        if let Some(created) = &self.created {
            match created.parse::<toml::value::Datetime>() {
                Ok(date) => writeln!(f, "created = {date}")?,
                Err(_) => writeln!(f, "created = {}", toml_string(created))?,
            }
        }
        if !self.description.is_empty() {
            writeln!(f, "description = {}", toml_string(&self.description))?;
        }
        for (key, names) in [("hosts", &self.hosts), ("rooms", &self.rooms)] {
            if !names.is_empty() {
                writeln!(f, "{key} = {}", toml_strings(names))?;
            }
        }
        Ok(())
    }
}
