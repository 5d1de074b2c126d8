//! Reading a leoclient2 VM folder: where its files are, its `image.conf` and `filesize*`
//! files. Nothing here writes.
//!
//! ```text
//! <vm>/
//!   <vm>.vdi.zip  (or snapshot-store/base/<vm>.vdi.zip)  the zipped base disk
//!   filesize.vdi                      size of the unzipped base
//!   filesize.vdi.zipped               size of the zip (next to the zip)
//!   image.conf                        access rules: user=, group=, host=, room=
//!   network.conf                      network cards per PC: host;nic;mode;mac;device
//!   defaults/<vm>.vbox                the pristine VirtualBox settings
//!   snapshot-store/<name>/{UUID}.vdi.zip   one snapshot: the zipped differencing disk
//!   snapshot-store/<name>/filesize.vdi(.zipped), image.conf (name=, maintainer=, host=, room=)
//!   snapshot-store/<name>/network.conf     used instead of the VM's for this snapshot
//! ```

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use leovms_image::manifest::read_small_file;
use leovms_image::vdi::parse_braced;
use uuid::Uuid;

use super::unzip::{self, ZipDisk};
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};

/// The settings of a leoclient2 `image.conf`: `key=value` lines, `#` comments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegacyConf {
    pub entries: Vec<(String, String)>,
    /// Lines that are not `key=value`.
    pub ignored: Vec<String>,
}

impl LegacyConf {
    pub fn parse(text: &str) -> LegacyConf {
        let mut conf = LegacyConf::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once('=') {
                Some((key, value)) if !key.trim().is_empty() => conf
                    .entries
                    .push((key.trim().to_owned(), value.trim().to_owned())),
                _ => conf.ignored.push(line.to_owned()),
            }
        }
        conf
    }

    /// The last value of `key` (leoclient2 lets a later line win).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn load(path: &Path) -> Result<Option<LegacyConf>> {
        let bytes = read_optional(path)?;
        Ok(bytes.map(|b| LegacyConf::parse(&String::from_utf8_lossy(&b))))
    }
}

/// One zipped disk with what leoclient2 recorded about it.
#[derive(Debug, Clone)]
pub struct SourceDisk {
    pub zip: ZipDisk,
    /// Modification time of the zip: when the snapshot was made.
    pub modified: SystemTime,
}

#[derive(Debug, Clone)]
pub struct SourceSnapshot {
    /// Folder name in `snapshot-store/`.
    pub folder: String,
    pub disk: SourceDisk,
    /// The UUID in the file name `{UUID}.vdi.zip`.
    pub uuid: Uuid,
    pub conf: LegacyConf,
    /// Its own `network.conf`, which leoclient2 used instead of the VM's.
    pub network_conf: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Source {
    pub dir: PathBuf,
    /// The folder's name: leoclient2's name of the machine.
    pub vm: String,
    pub base: SourceDisk,
    pub vbox_path: PathBuf,
    pub image_conf: Option<LegacyConf>,
    /// The VM's `network.conf`; `None` when it has none.
    pub network_conf: Option<String>,
    pub snapshots: Vec<SourceSnapshot>,
    /// Snapshot folders left out, with the reason.
    pub skipped: Vec<String>,
    /// Things the admin should know that do not stop the import.
    pub warnings: Vec<String>,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

impl Source {
    /// Finds and checks everything in `dir` that can be checked without unpacking.
    pub fn read(dir: &Path) -> Result<Source> {
        let meta = std::fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
        if !meta.is_dir() {
            return Err(invalid(fl!("import-not-folder", dir = shown(dir))));
        }
        let canonical = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
        let vm = canonical
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| invalid(fl!("import-not-utf8-name", dir = shown(dir))))?
            .to_owned();
        let mut warnings = Vec::new();

        let base_zip = [
            dir.join(format!("{vm}.vdi.zip")),
            dir.join("snapshot-store/base")
                .join(format!("{vm}.vdi.zip")),
        ]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            invalid(fl!(
                "import-no-base-zip",
                dir = shown(dir),
                vm = vm.as_str()
            ))
        })?;
        let base = read_disk(&base_zip)?;
        if base.zip.entry != format!("{vm}.vdi") {
            warnings.push(fl!(
                "import-zip-holds",
                zip = shown(&base_zip),
                entry = base.zip.entry.as_str(),
                expected = format!("{vm}.vdi")
            ));
        }
        check_sizes(&base, &dir.join("filesize.vdi"), &mut warnings)?;

        let vbox_path = find_vbox(dir, &vm)?;
        let image_conf = LegacyConf::load(&dir.join("image.conf"))?;
        let network_conf = read_text(&dir.join("network.conf"))?;

        let mut snapshots = Vec::new();
        let mut skipped = Vec::new();
        let store = dir.join("snapshot-store");
        let mut folders = Vec::new();
        if store.is_dir() {
            for entry in std::fs::read_dir(&store).map_err(|e| Error::io(&store, e))? {
                let entry = entry.map_err(|e| Error::io(&store, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name == "base" || !entry.path().is_dir() {
                    continue;
                }
                folders.push(name);
            }
        }
        folders.sort();
        for folder in folders {
            let path = store.join(&folder);
            match read_snapshot(&path, &folder, &mut warnings)? {
                Ok(snapshot) => snapshots.push(snapshot),
                Err(why) => skipped.push(format!("snapshot-store/{folder}: {why}")),
            }
        }
        Ok(Source {
            dir: dir.to_owned(),
            vm,
            base,
            vbox_path,
            image_conf,
            network_conf,
            snapshots,
            skipped,
            warnings,
        })
    }
}

fn read_disk(zip: &Path) -> Result<SourceDisk> {
    let checked = unzip::check(zip)?;
    let modified = std::fs::metadata(zip)
        .and_then(|m| m.modified())
        .map_err(|e| Error::io(zip, e))?;
    Ok(SourceDisk {
        zip: checked,
        modified,
    })
}

/// `filesize.vdi.zipped` is what leoclient2 clients trusted: a zip of another size was
/// changed or cut short after it was made, so the import stops. `filesize.vdi` (the
/// unpacked size) is only compared: leoclient2 wrote the zip's size there for the
/// "standard" snapshot, and the zip's own checksum is checked while unpacking anyway.
fn check_sizes(disk: &SourceDisk, unpacked_file: &Path, warnings: &mut Vec<String>) -> Result<()> {
    let zip = &disk.zip;
    let zipped_file = zip
        .zip
        .parent()
        .unwrap_or(Path::new("."))
        .join("filesize.vdi.zipped");
    let zipped = read_size(&zipped_file, warnings)?;
    if let Some(expected) = zipped.filter(|&e| e != zip.zipped) {
        return Err(invalid(fl!(
            "import-zip-size",
            zip = shown(&zip.zip),
            bytes = zip.zipped,
            file = shown(&zipped_file),
            expected = expected
        )));
    }
    let unpacked = read_size(unpacked_file, warnings)?;
    if let Some(expected) = unpacked.filter(|&e| e != zip.size && e != zip.zipped) {
        warnings.push(fl!(
            "import-unpacked-size",
            file = shown(unpacked_file),
            expected = expected,
            entry = zip.entry.as_str(),
            zip = shown(&zip.zip),
            bytes = zip.size
        ));
    }
    Ok(())
}

fn read_size(path: &Path, warnings: &mut Vec<String>) -> Result<Option<u64>> {
    match std::fs::read_to_string(path) {
        Ok(text) => match text.trim().parse() {
            Ok(size) => Ok(Some(size)),
            Err(_) => {
                warnings.push(fl!(
                    "import-not-a-size",
                    file = shown(path),
                    text = text.trim().escape_debug().to_string()
                ));
                Ok(None)
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// `defaults/<vm>.vbox`, or the only `.vbox` in `defaults/`.
fn find_vbox(dir: &Path, vm: &str) -> Result<PathBuf> {
    let defaults = dir.join("defaults");
    let named = defaults.join(format!("{vm}.vbox"));
    if named.is_file() {
        return Ok(named);
    }
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&defaults) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "vbox") && path.is_file() {
                found.push(path);
            }
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(invalid(fl!("import-no-vbox", dir = shown(dir), vm = vm))),
        _ => Err(invalid(fl!(
            "import-several-vbox",
            dir = shown(dir),
            vm = vm
        ))),
    }
}

/// One snapshot folder: `Ok(Err(why))` when it is skipped, `Err` when the import must stop.
fn read_snapshot(
    path: &Path,
    folder: &str,
    warnings: &mut Vec<String>,
) -> Result<std::result::Result<SourceSnapshot, String>> {
    let mut zips = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| Error::io(path, e))? {
        let entry = entry.map_err(|e| Error::io(path, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(uuid) = name.strip_suffix(".vdi.zip").and_then(parse_braced) {
            zips.push((entry.path(), uuid));
        }
    }
    let (zip, uuid) = match zips.len() {
        0 => return Ok(Err(fl!("import-snapshot-no-zip"))),
        1 => zips.remove(0),
        n => return Ok(Err(fl!("import-snapshot-zips", count = n))),
    };
    let disk = read_disk(&zip)?;
    let expected = format!("{}.vdi", leovms_image::vdi::braced(&uuid));
    if disk.zip.entry != expected {
        return Ok(Err(fl!(
            "import-snapshot-zip-holds",
            zip = shown(&zip),
            entry = disk.zip.entry.as_str(),
            expected = expected
        )));
    }
    check_sizes(&disk, &path.join("filesize.vdi"), warnings)?;
    let conf = LegacyConf::load(&path.join("image.conf"))?.unwrap_or_default();
    let network_conf = read_text(&path.join("network.conf"))?;
    Ok(Ok(SourceSnapshot {
        folder: folder.to_owned(),
        disk,
        uuid,
        conf,
        network_conf,
    }))
}

/// A settings file of the leoclient2 folder read whole, at most 16 MiB. The folder is the
/// admin's own: a link in it is followed.
pub(super) fn read_small(path: &Path) -> std::io::Result<Vec<u8>> {
    read_small_file(std::fs::File::open(path)?, path)
}

/// [`read_small`]; `None` when the file does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match read_small(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(crate::tree::read_error(path, e)),
    }
}

/// A settings file as UTF-8 text; `None` when it does not exist.
fn read_text(path: &Path) -> Result<Option<String>> {
    let Some(bytes) = read_optional(path)? else {
        return Ok(None);
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| invalid(fl!("import-not-utf8", file = shown(path))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_conf_takes_key_value_lines() {
        let conf =
            LegacyConf::parse("# access\n room = r101,r102\nuser=mueller\n\nnonsense\nroom=r200\n");
        assert_eq!(conf.get("room"), Some("r200"));
        assert_eq!(conf.get("user"), Some("mueller"));
        assert_eq!(conf.ignored, vec!["nonsense".to_owned()]);
    }
}
