//! Pre-warming and readiness (docs/prewarm.md): which archives the VMs of `presync`
//! need, read from the share's manifests, and the report a PC's store writes of what it
//! holds. The PC reports only hashes; the server compares them with what is published
//! now, so a report made before a new publication shows that VM as missing.
//!
//! ```toml
//! # <host>.toml, written by the PC's store service
//! format = 1
//! host = "r101-pc01"
//! at = "2026-12-07T05:31:02Z"
//! bases = ["<sha256>", …]       # unpacked bases the store holds
//! archives = ["<sha256>", …]    # archives the store holds (snapshots)
//! [problems]
//! vm-win10 = "Not enough space …"   # why a VM of presync is not ready
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{ClientConf, ConfigError, parse_toml};
use crate::layout::{BASE_ARCHIVES, CLIENT_CONF, MANIFEST, SNAPSHOT_ARCHIVES, SNAPSHOTS};
use crate::manifest::{Manifest, ManifestEntry, read_small};
use crate::name::SafeName;
use crate::text::{LINE_MAX, check_line};

/// The longest problem a report keeps for one VM, in bytes.
pub const PROBLEM_MAX: usize = 400;
/// The most hashes a report lists of each kind: far more than a PC's disk holds.
const HASHES_MAX: usize = 10_000;

/// What one VM of `presync` needs on a PC: its base, unpacked, and its snapshots'
/// archives.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    pub vm: SafeName,
    pub base: ManifestEntry,
    pub snapshots: Vec<ManifestEntry>,
    /// The torrents (`<archive>.torrent`) the manifest lists for these archives.
    pub torrents: Vec<ManifestEntry>,
}

impl Wanted {
    /// Every archive of the VM, the base first.
    pub fn archives(&self) -> impl Iterator<Item = &ManifestEntry> {
        std::iter::once(&self.base).chain(&self.snapshots)
    }

    /// The torrent of `archive` for the room swarm, when the manifest lists one.
    pub fn torrent_of(&self, archive: &ManifestEntry) -> Option<&ManifestEntry> {
        let name = format!("{}{}", archive.path, crate::torrent::SUFFIX);
        self.torrents.iter().find(|t| t.path == name)
    }
}

/// The share's `presync` list, from its `leovms-client.conf` (none without the file).
pub fn presync(share: &Path) -> Result<Vec<SafeName>, ConfigError> {
    let path = share.join(CLIENT_CONF);
    let bytes = match read_small(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(ConfigError::whole_file(
                &path,
                format!("cannot read the file: {e}"),
            ));
        }
    };
    Ok(ClientConf::parse(&String::from_utf8_lossy(&bytes), &path)?.presync)
}

/// What `vm` needs, from its published manifest on the share.
pub fn wanted(share: &Path, vm: &SafeName) -> Result<Wanted, String> {
    let path = share.join(vm.as_str()).join(MANIFEST);
    let bytes = read_small(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("\"{vm}\" is not published on the share."),
        _ => format!("{}: {e}", path.display()),
    })?;
    let manifest =
        Manifest::parse(&String::from_utf8_lossy(&bytes), &path).map_err(|e| e.to_string())?;
    wanted_of(vm, &manifest).ok_or_else(|| format!("{}: lists no base archive", path.display()))
}

/// The base and snapshot archives a manifest lists; `None` without a base.
pub fn wanted_of(vm: &SafeName, manifest: &Manifest) -> Option<Wanted> {
    let base = BASE_ARCHIVES.iter().find_map(|name| manifest.get(name))?;
    let snapshots = manifest
        .files
        .iter()
        .filter(|f| is_snapshot_archive(&f.path))
        .cloned()
        .collect::<Vec<_>>();
    let torrents = std::iter::once(base)
        .chain(&snapshots)
        .filter_map(|a| manifest.get(&format!("{}{}", a.path, crate::torrent::SUFFIX)))
        .cloned()
        .collect();
    Some(Wanted {
        vm: vm.clone(),
        base: base.clone(),
        snapshots,
        torrents,
    })
}

/// `snapshots/<id>/snapshot.tar.zst` (or `.tar.gz`).
fn is_snapshot_archive(path: &str) -> bool {
    let mut parts = path.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(SNAPSHOTS), Some(_), Some(name), None) if SNAPSHOT_ARCHIVES.contains(&name)
    )
}

/// What a PC's store holds, and why VMs of `presync` are not ready there.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub format: i64,
    pub host: String,
    /// When the PC wrote it (RFC 3339, UTC).
    pub at: String,
    /// sha256 (hex) of the archives whose bases the store holds.
    #[serde(default)]
    pub bases: BTreeSet<String>,
    /// sha256 (hex) of the archives the store holds.
    #[serde(default)]
    pub archives: BTreeSet<String>,
    /// Why a VM of `presync` is not ready, by VM id.
    #[serde(default)]
    pub problems: BTreeMap<String, String>,
}

impl Report {
    pub fn to_toml_string(&self) -> String {
        toml::to_string(self).expect("a report is always TOML")
    }

    /// A report as a PC wrote it, every text checked: the server trusts none of it.
    pub fn parse(text: &str, file: &Path) -> Result<Report, ConfigError> {
        let (report, index) = parse_toml::<Report>(text, file)?;
        if report.format != 1 {
            return Err(index.error_at("format", "must be 1"));
        }
        let host_ok = !report.host.is_empty()
            && !report.host.starts_with('.')
            && report.host.len() <= 253
            && report
                .host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
        if !host_ok {
            return Err(index.error_at("host", "must be a host name"));
        }
        if check_line(&report.at, LINE_MAX).is_err() || report.at.len() > 40 {
            return Err(index.error_at("at", "must be a time such as 2026-12-07T05:31:02Z"));
        }
        for (key, hashes) in [("bases", &report.bases), ("archives", &report.archives)] {
            if hashes.len() > HASHES_MAX || !hashes.iter().all(|h| is_sha256(h)) {
                return Err(index.error_at(key, "must list sha256 values (64 of 0-9, a-f)"));
            }
        }
        for (vm, problem) in &report.problems {
            if SafeName::new(vm.as_str()).is_err() || check_line(problem, PROBLEM_MAX).is_err() {
                return Err(
                    index.error_at("problems", "must name VM ids with one line of text each")
                );
            }
        }
        Ok(report)
    }

    /// The archives of `wanted` this PC does not hold: the base counts when its base is
    /// unpacked, a snapshot when its archive is kept.
    pub fn missing<'w>(&self, wanted: &'w Wanted) -> Vec<&'w ManifestEntry> {
        let base = (!self.bases.contains(&hex::encode(wanted.base.sha256))).then_some(&wanted.base);
        base.into_iter()
            .chain(
                wanted
                    .snapshots
                    .iter()
                    .filter(|s| !self.archives.contains(&hex::encode(s.sha256))),
            )
            .collect()
    }
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, byte: u8) -> ManifestEntry {
        ManifestEntry {
            path: path.into(),
            size: 10,
            sha256: [byte; 32],
            unpacked: Some(20),
        }
    }

    fn manifest() -> Manifest {
        Manifest {
            files: vec![
                entry("image.conf", 1),
                entry("base.tar.zst", 2),
                entry("snapshots/standard/snapshot.conf", 3),
                entry("snapshots/standard/snapshot.tar.zst", 4),
                entry("snapshots/exam/snapshot.tar.gz", 5),
                entry("snapshots/x/y/snapshot.tar.zst", 6),
            ],
        }
    }

    #[test]
    fn a_vm_needs_its_base_and_its_snapshots_archives() {
        let vm = SafeName::new("vm-win10").unwrap();
        let wanted = wanted_of(&vm, &manifest()).unwrap();
        assert_eq!(wanted.base.sha256, [2; 32]);
        let snaps: Vec<&str> = wanted.snapshots.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(
            snaps,
            [
                "snapshots/standard/snapshot.tar.zst",
                "snapshots/exam/snapshot.tar.gz"
            ]
        );
        let no_base = Manifest {
            files: vec![entry("image.conf", 1)],
        };
        assert_eq!(wanted_of(&vm, &no_base), None);
    }

    #[test]
    fn a_report_round_trips_and_says_what_is_missing() {
        let vm = SafeName::new("vm-win10").unwrap();
        let wanted = wanted_of(&vm, &manifest()).unwrap();
        let mut report = Report {
            format: 1,
            host: "r101-pc01".into(),
            at: "2026-12-07T05:31:02Z".into(),
            ..Report::default()
        };
        report.bases.insert(hex::encode([2; 32]));
        report.archives.insert(hex::encode([4; 32]));
        report
            .problems
            .insert("vm-debian".into(), "Not enough space.".into());
        let text = report.to_toml_string();
        let again = Report::parse(&text, Path::new("r101-pc01.toml")).unwrap();
        assert_eq!(again, report);
        let missing: Vec<&str> = again
            .missing(&wanted)
            .iter()
            .map(|e| e.path.as_str())
            .collect();
        assert_eq!(missing, ["snapshots/exam/snapshot.tar.gz"]);
        // Holding the archive of a base is not having it unpacked.
        report.bases.clear();
        report.archives.insert(hex::encode([2; 32]));
        assert_eq!(report.missing(&wanted)[0].path, "base.tar.zst");
    }

    #[test]
    fn a_forged_report_is_refused_with_file_line_and_key() {
        let file = Path::new("/home/leovms/status/x.toml");
        let err = |text: &str| Report::parse(text, file).unwrap_err().to_string();
        let head = "format = 1\nat = \"2026-12-07T05:31:02Z\"\n";
        assert!(
            err(&format!("{head}host = \"a/../b\"\n"))
                .starts_with(&format!("{}:3: host: must be a host name", file.display())),
            "{}",
            err(&format!("{head}host = \"a/../b\"\n"))
        );
        let e = err(&format!("{head}host = \"pc\"\nbases = [\"abc\"]\n"));
        assert!(e.contains(":4: bases: must list sha256"), "{e}");
        let e = err(&format!(
            "{head}host = \"pc\"\n[problems]\nvm = \"a\\u0007b\"\n"
        ));
        assert!(
            e.contains(":5: problems.vm: contains a control character"),
            "{e}"
        );
        let e = err(&format!(
            "{head}host = \"pc\"\n[problems]\n\"../x\" = \"a\"\n"
        ));
        assert!(e.contains("problems: must name VM ids"), "{e}");
        let e = err("format = 2\nhost = \"pc\"\nat = \"x\"\n");
        assert!(e.contains(":1: format: must be 1"), "{e}");
        let e = err(&format!("{head}host = \"pc\"\nextra = 1\n"));
        assert!(e.contains("extra"), "{e}");
    }
}
