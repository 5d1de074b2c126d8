//! `import-leoclient2`: a leoclient2 VM folder into format 1.
//!
//! Everything is checked first (zip entries, sizes, disk headers, the `.vbox`), then the
//! disks are unpacked one at a time into a `.leovms-tmp-import.*` folder inside data,
//! packed, and the finished folder is renamed to `data/<vm-id>`; `manifest.toml` comes last.
//! On any error the temporary folder is removed and data is as before.

mod network;
mod source;
mod unzip;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use leovms_image::archive::{self, Compression, PackOptions, PackReport};
use leovms_image::atomic::{fsync_dir, write_atomic};
use leovms_image::config::{AccessRules, ImageConf, NetworkRule, SnapshotConf};
use leovms_image::manifest::{self, Manifest, ManifestEntry, SMALL_FILE_LIMIT};
use leovms_image::name::{SafeName, safe_relative_path};
use leovms_image::vbox::{self, DiskPatch, MachineInfo, Patch};
use leovms_image::vdi::{self, VdiHeader, VdiKind, braced};
use uuid::Uuid;

use self::network::Converted;
use self::source::{LegacyConf, Source, SourceDisk, SourceSnapshot};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::progress::{self, Progress};
use crate::tree;

const FILE_MODE: u32 = 0o644;
/// Folders are readable for every client, whatever the umask.
const DIR_MODE: u32 = 0o755;
/// Enough of a disk to read its VDI header.
const HEADER_BYTES: u64 = 4096;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The leoclient2 VM folder (with `<vm>.vdi.zip`, `defaults/<vm>.vbox`, `snapshot-store/`).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Id of the new VM in data; default: the folder's name. An existing VM is never replaced.
    #[arg(long = "id", value_name = "VM_ID")]
    pub id: Option<String>,
    /// Name shown to users; default: the VirtualBox machine's name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// One snapshot that will be imported.
struct PlannedSnapshot {
    id: String,
    disk: SourceDisk,
    uuid: Uuid,
    conf_text: String,
    conf: SnapshotConf,
}

struct Plan {
    id: String,
    dest: PathBuf,
    base: SourceDisk,
    base_uuid: Uuid,
    /// Name of the base disk inside `base.tar.zst`, as `machine.vbox` gives it.
    base_name: String,
    vbox: Vec<u8>,
    image_conf: String,
    /// `image_conf` as the PCs will read it.
    image: ImageConf,
    snapshots: Vec<PlannedSnapshot>,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    let source = Source::read(&args.dir)?;
    let mut warnings = source.warnings.clone();
    let plan = make_plan(ctx, args, &source, &mut warnings)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    for s in &source.skipped {
        eprintln!("warning: skipped {s}");
    }
    if plan.snapshots.is_empty() {
        // PCs start a VM only from a snapshot: without one, nobody could start it.
        return Err(Error::Invalid(format!(
            "{}: no snapshot to import (snapshot-store/<name>/{{UUID}}.vdi.zip); a VM \
             without a snapshot cannot be started, so nothing was imported",
            source.dir.display()
        )));
    }
    let mut go = ctx.change(format_args!(
        "import {} as {}",
        source.dir.display(),
        plan.dest.display()
    ));
    go &= ctx.change(format_args!(
        "write base.tar.zst with {} ({} bytes, disk {}) as {}",
        plan.base.zip.entry,
        plan.base.zip.size,
        braced(&plan.base_uuid),
        plan.base_name
    ));
    for snap in &plan.snapshots {
        go &= ctx.change(format_args!(
            "write snapshots/{}/snapshot.tar.zst with Snapshots/{}.vdi ({} bytes)",
            snap.id,
            braced(&snap.uuid),
            snap.disk.zip.size
        ));
    }
    go &= ctx.change("write image.conf, machine.vbox, the snapshot.conf files and manifest.toml");
    for line in rules(&plan) {
        println!("{}: {line}", plan.id);
    }
    if !go {
        return Ok(());
    }
    progress::enable(true);
    write(ctx, &plan)?;
    println!(
        "imported {} with {} snapshot(s)",
        plan.id,
        plan.snapshots.len()
    );
    Ok(())
}

/// Every access and network rule the new VM gets, one line each, for the admin.
fn rules(plan: &Plan) -> Vec<String> {
    let mut out = vec![format!("offered to {}", plan.image.access.describe())];
    out.extend(
        NetworkRule::describe_all(&plan.image.network)
            .into_iter()
            .map(|line| format!("network on {line}")),
    );
    for snap in &plan.snapshots {
        let (hosts, rooms) = (&snap.conf.hosts, &snap.conf.rooms);
        if !hosts.is_empty() || !rooms.is_empty() {
            out.push(format!(
                "snapshot {} shown only on {}",
                snap.id,
                AccessRules::describe_pcs(hosts, rooms)
            ));
        }
    }
    out
}

/// The network rules: leoclient2 used a snapshot's own `network.conf` instead of the VM's,
/// so every imported snapshot must come to the same rules (leovms has one set per VM).
fn network_rules(source: &Source, snapshots: &[&SourceSnapshot]) -> Result<Converted> {
    // A refused line is named with the whole path: `/srv/…/win7/network.conf:3: …`.
    let convert = |shown: &str, text: Option<&str>| {
        network::convert(shown, text).map_err(|e| match e {
            Error::Invalid(msg) => Error::Invalid(format!("{}/{msg}", source.dir.display())),
            other => other,
        })
    };
    let vm = convert("network.conf", source.network_conf.as_deref())?;
    let mut chosen: Option<(Converted, &str)> = None;
    let mut vm_used = snapshots.is_empty();
    for snap in snapshots {
        let own = match &snap.network_conf {
            Some(text) => convert(
                &format!("snapshot-store/{}/network.conf", snap.folder),
                Some(text),
            )?,
            None => {
                vm_used = true;
                vm.clone()
            }
        };
        match &chosen {
            None => chosen = Some((own, &snap.folder)),
            Some((first, _)) if first.rules == own.rules => {}
            Some((first, first_snap)) => {
                return Err(Error::Invalid(format!(
                    "the snapshots {first_snap} and {} would get different network cards ({} \
                     and {}): leoclient2 used a snapshot's own network.conf instead of the \
                     machine's, but leovms has one set of network rules per machine. Make the \
                     files the same (or remove one), or import a copy of the folder without \
                     one of these snapshots; nothing was imported",
                    snap.folder,
                    first.source(),
                    own.source()
                )));
            }
        }
    }
    let Some((mut chosen, _)) = chosen else {
        return Ok(vm);
    };
    if vm.had_file && !vm_used {
        chosen.notes.push(
            "network.conf: not used: every snapshot has its own network.conf, as leoclient2 \
             used them"
                .into(),
        );
    }
    Ok(chosen)
}

fn make_plan(ctx: &Ctx, args: &Args, source: &Source, warnings: &mut Vec<String>) -> Result<Plan> {
    let id = args.id.clone().unwrap_or_else(|| source.vm.clone());
    SafeName::new(id.as_str()).map_err(|e| Error::Invalid(format!("VM id: {e}")))?;
    let data = ctx.data();
    if !data.is_dir() {
        return Err(Error::Invalid(format!(
            "{}: the data folder does not exist (run `leovms-admin setup` first)",
            data.display()
        )));
    }
    let dest = data.join(&id);
    if dest.symlink_metadata().is_ok() {
        return Err(Error::Invalid(format!(
            "{} already exists: an import never replaces a VM. Remove it first \
             (`leovms-admin remove {id}`) or choose another id with --id",
            dest.display()
        )));
    }

    let base_header = peek_header(&source.base)?;
    if base_header.kind == VdiKind::Diff {
        return Err(Error::Invalid(format!(
            "{}: {} is a differencing disk, not a base disk",
            source.base.zip.zip.display(),
            source.base.zip.entry
        )));
    }
    let base_uuid = base_header.uuid;

    let vbox_text = read_small(&source.vbox_path)?;
    let info = inspect(&source.vbox_path, &vbox_text)?;
    let (vbox, base_name) = fit_vbox(source, &vbox_text, &info, base_uuid, warnings)?;

    let mut snapshots = Vec::new();
    let mut planned_sources = Vec::new();
    for snap in &source.snapshots {
        let place = format!("snapshot-store/{}", snap.folder);
        if let Err(e) = SafeName::new(snap.folder.as_str()) {
            warnings.push(format!(
                "skipped {place}: not usable as a snapshot id ({e})"
            ));
            continue;
        }
        let header = peek_header(&snap.disk)?;
        if header.uuid != snap.uuid {
            warnings.push(format!(
                "skipped {place}: the file is named {}, but the disk inside is {}",
                braced(&snap.uuid),
                braced(&header.uuid)
            ));
            continue;
        }
        if header.kind != VdiKind::Diff || header.parent != Some(base_uuid) {
            let parent = header
                .parent
                .map_or_else(|| "none".to_owned(), |p| braced(&p));
            warnings.push(format!(
                "skipped {place}: its disk was made from another base (parent {parent}, the base \
                 is {}); it would not start. Take the snapshot again on the current base",
                braced(&base_uuid)
            ));
            continue;
        }
        let conf_text = snapshot_conf(
            &snap.folder,
            &snap.conf,
            snap.disk.modified,
            &place,
            warnings,
        );
        let conf = SnapshotConf::parse(&conf_text, Path::new("snapshot.conf"))
            .map_err(|e| Error::Invalid(format!("{place}: {e}")))?;
        snapshots.push(PlannedSnapshot {
            id: snap.folder.clone(),
            disk: snap.disk.clone(),
            uuid: snap.uuid,
            conf_text,
            conf,
        });
        planned_sources.push(snap);
    }
    let network = network_rules(source, &planned_sources)?;
    warnings.extend(network.notes.iter().cloned());

    let name = args.name.clone().unwrap_or_else(|| {
        if info.name.trim().is_empty() {
            source.vm.clone()
        } else {
            info.name.clone()
        }
    });
    let mut image_conf = image_conf(&name, source, warnings);
    image_conf.push_str(&network::to_toml(&network));
    let image = ImageConf::parse(&image_conf, Path::new("image.conf"))
        .map_err(|e| Error::Invalid(format!("the new image.conf: {e}")))?;
    if image.network != network.rules {
        return Err(Error::Invalid(format!(
            "the new image.conf does not hold the network rules converted from {} \
             (a bug in leovms-admin); nothing was imported",
            network.source()
        )));
    }

    Ok(Plan {
        id,
        dest,
        base: source.base.clone(),
        base_uuid,
        base_name,
        vbox,
        image_conf,
        image,
        snapshots,
    })
}

fn read_small(path: &Path) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if len > SMALL_FILE_LIMIT {
        return Err(Error::Invalid(format!(
            "{}: {len} bytes is too large for a settings file",
            path.display()
        )));
    }
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

fn inspect(path: &Path, xml: &[u8]) -> Result<MachineInfo> {
    vbox::inspect(xml).map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))
}

/// The disk header, read from the start of the zipped disk.
fn peek_header(disk: &SourceDisk) -> Result<VdiHeader> {
    let head = unzip::head(&disk.zip, HEADER_BYTES)?;
    let tmp = tempfile::NamedTempFile::new().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    std::fs::write(tmp.path(), &head).map_err(|e| Error::io(tmp.path(), e))?;
    vdi::read_header(tmp.path()).map_err(|e| {
        Error::Invalid(format!(
            "{}: {} is not a usable VDI disk: {e}",
            disk.zip.zip.display(),
            disk.zip.entry
        ))
    })
}

/// `machine.vbox` must attach the base disk by its UUID and a relative location. A file
/// that names the disk under an absolute path, or a base with an older UUID (its only base
/// disk), is corrected; anything else is refused.
fn fit_vbox(
    source: &Source,
    xml: &[u8],
    info: &MachineInfo,
    base_uuid: Uuid,
    warnings: &mut Vec<String>,
) -> Result<(Vec<u8>, String)> {
    let path = &source.vbox_path;
    let entry = source.base.zip.entry.clone();
    let roots: Vec<_> = info
        .hard_disks
        .iter()
        .filter(|d| d.parent.is_none() && d.format.eq_ignore_ascii_case("VDI"))
        .collect();
    let old = match info.hard_disks.iter().find(|d| d.uuid == base_uuid) {
        Some(disk) if disk.parent.is_some() => {
            return Err(Error::Invalid(format!(
                "{}: disk {} is a differencing disk there, but it is the base",
                path.display(),
                braced(&base_uuid)
            )));
        }
        Some(disk) if safe_relative_path(&disk.location).is_ok() => {
            return Ok((xml.to_vec(), disk.location.clone()));
        }
        Some(disk) => {
            warnings.push(format!(
                "{}: base disk location \"{}\" changed to \"{entry}\"",
                path.display(),
                disk.location
            ));
            disk
        }
        None => {
            let [disk] = roots.as_slice() else {
                return Err(Error::Invalid(format!(
                    "{}: does not name the base disk {} and has {} base disks, so it is unclear \
                     which one to replace; fix the file",
                    path.display(),
                    braced(&base_uuid),
                    roots.len()
                )));
            };
            warnings.push(format!(
                "{}: base disk {} (\"{}\") changed to {} (\"{entry}\"), the disk in the zip",
                path.display(),
                braced(&disk.uuid),
                disk.location,
                braced(&base_uuid)
            ));
            disk
        }
    };
    let patched = vbox::patch(
        xml,
        &Patch {
            disks: vec![DiskPatch {
                old_uuid: old.uuid,
                new_uuid: base_uuid,
                location: PathBuf::from(&entry),
            }],
            ..Patch::default()
        },
    )
    .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
    inspect(path, &patched)?;
    Ok((patched, entry))
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A value from leoclient2 for a TOML comment (no control characters).
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// leoclient2's access keys and their lists in format v1 (`room=r101,r102` becomes
/// `rooms = ["r101", "r102"]`); the semantics are the same (docs/format.md).
const ACCESS_KEYS: [(&str, &str); 4] = [
    ("user", "users"),
    ("group", "groups"),
    ("host", "hosts"),
    ("room", "rooms"),
];

/// `key = ["a", "b"]` lines for the leoclient2 keys among `keys` that `conf` sets (its
/// last value wins, as in leoclient2; names are separated by commas or spaces).
fn name_lists(conf: &LegacyConf, keys: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (old, new) in keys {
        let Some(value) = conf.get(old) else { continue };
        let mut names: Vec<String> = Vec::new();
        for name in value.split([',', ' ', '\t']).filter(|n| !n.is_empty()) {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        if !names.is_empty() {
            let list: Vec<String> = names.iter().map(|n| toml_str(n)).collect();
            let _ = writeln!(out, "{new} = [{}]", list.join(", "));
        }
    }
    out
}

/// `image.conf`: leoclient2's access rules (`user`, `group`, `host`, `room`) become the
/// `[access]` table; anything else is kept as a comment and reported.
fn image_conf(name: &str, source: &Source, warnings: &mut Vec<String>) -> String {
    let mut out = format!("name = {}\n", toml_str(name));
    let _ = writeln!(
        out,
        "\n# Imported from the leoclient2 folder {}.",
        comment_text(&source.dir.display().to_string())
    );
    let Some(conf) = &source.image_conf else {
        return out;
    };
    let dropped = dropped_lines(conf, &["user", "group", "host", "room"]);
    if !dropped.is_empty() {
        out.push_str("# Settings of leoclient2's image.conf, not converted:\n");
        for line in &dropped {
            let _ = writeln!(out, "#   {}", comment_text(line));
        }
        warnings.push(format!("image.conf: not imported: {}", dropped.join("; ")));
    }
    let access = name_lists(conf, &ACCESS_KEYS);
    if !access.is_empty() {
        let _ = write!(out, "\n[access]\n{access}");
    }
    out
}

/// Lines of `conf` whose key is not in `converted`, as `key = value`.
fn dropped_lines(conf: &LegacyConf, converted: &[&str]) -> Vec<String> {
    conf.entries
        .iter()
        .filter(|(k, _)| !converted.contains(&k.as_str()))
        .map(|(k, v)| format!("{k} = {v}"))
        .chain(conf.ignored.iter().cloned())
        .collect()
}

/// `snapshot.conf`: `name` and `maintainer` from the snapshot's leoclient2 `image.conf`
/// (the folder name when there is no name), `created` from the zip's time, its `host`
/// and `room` as `hosts` and `rooms`.
fn snapshot_conf(
    folder: &str,
    conf: &LegacyConf,
    modified: SystemTime,
    place: &str,
    warnings: &mut Vec<String>,
) -> String {
    let name = match conf.get("name").filter(|n| !n.trim().is_empty()) {
        Some(name) => name.to_owned(),
        None if folder == "standard" => "Standard".to_owned(),
        None => folder.to_owned(),
    };
    let mut out = format!("name = {}\n", toml_str(&name));
    if let Some(m) = conf.get("maintainer").filter(|m| !m.is_empty()) {
        let _ = writeln!(out, "maintainer = {}", toml_str(m));
    }
    let _ = writeln!(out, "created = {}", rfc3339(modified));
    out.push_str(&name_lists(conf, &ACCESS_KEYS[2..]));
    let dropped = dropped_lines(conf, &["name", "maintainer", "host", "room"]);
    if !dropped.is_empty() {
        out.push_str("# Settings of leoclient2, not converted:\n");
        for line in &dropped {
            let _ = writeln!(out, "#   {}", comment_text(line));
        }
        warnings.push(format!(
            "{place}/image.conf: not imported: {}",
            dropped.join("; ")
        ));
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC) of a file time; times before 1970 become 1970.
fn rfc3339(t: SystemTime) -> String {
    leovms_image::utc::Utc::from(t).rfc3339()
}

/// Removes the temporary folder when the import stops early.
struct Stage(PathBuf);

impl Drop for Stage {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(ctx: &Ctx, plan: &Plan) -> Result<()> {
    let data = ctx.data();
    let _lock = tree::lock_data(ctx)?;
    let stage = tempfile::Builder::new()
        .prefix(".leovms-tmp-import.")
        .tempdir_in(&data)
        .map_err(|e| Error::io(&data, e))?;
    let stage = Stage(stage.keep());
    let vm_dir = stage.0.join("vm");
    let disks = stage.0.join("disks");
    make_dir(&vm_dir)?;
    make_dir(&disks)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io(&data, e))?;
    let mut files: Vec<(String, Option<PackReport>)> = Vec::new();

    let base_vdi = disks.join("base.vdi");
    let phase = format!("unzipping {}", plan.base.zip.entry);
    unpack_checked(&plan.base, &base_vdi, plan.base_uuid, &phase)?;
    let report = pack(
        &runtime,
        &base_vdi,
        &plan.base_name,
        &vm_dir.join("base.tar.zst"),
        "packing base.tar.zst",
    )?;
    remove(&base_vdi)?;
    files.push(("base.tar.zst".into(), Some(report)));

    for snap in &plan.snapshots {
        let dir = vm_dir.join("snapshots").join(&snap.id);
        make_dir(&vm_dir.join("snapshots"))?;
        make_dir(&dir)?;
        let vdi = disks.join(format!("{}.vdi", snap.uuid));
        let phase = format!("unzipping snapshot-store/{}", snap.id);
        unpack_checked(&snap.disk, &vdi, snap.uuid, &phase)?;
        let name = format!("Snapshots/{}.vdi", braced(&snap.uuid));
        let rel = format!("snapshots/{}", snap.id);
        let phase = format!("packing {rel}");
        let report = pack(&runtime, &vdi, &name, &dir.join("snapshot.tar.zst"), &phase)?;
        remove(&vdi)?;
        write_file(&dir.join("snapshot.conf"), snap.conf_text.as_bytes())?;
        files.push((format!("{rel}/snapshot.conf"), None));
        files.push((format!("{rel}/snapshot.tar.zst"), Some(report)));
    }
    write_file(&vm_dir.join("image.conf"), plan.image_conf.as_bytes())?;
    files.push(("image.conf".into(), None));
    write_file(&vm_dir.join("machine.vbox"), &plan.vbox)?;
    files.push(("machine.vbox".into(), None));

    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut entries = Vec::new();
    for (path, report) in files {
        let entry = match report {
            Some(r) => ManifestEntry {
                path,
                size: r.size,
                sha256: r.sha256,
                unpacked: Some(r.unpacked),
            },
            None => {
                let full = vm_dir.join(&path);
                let (size, sha256) =
                    manifest::sha256_file(&full).map_err(|e| Error::io(&full, e))?;
                ManifestEntry {
                    path,
                    size,
                    sha256,
                    unpacked: None,
                }
            }
        };
        entries.push(entry);
    }
    let manifest = Manifest { files: entries }.to_toml_string();

    // Into place without replacing anything that appeared meanwhile; the folder is
    // invisible to clients until its manifest exists.
    rustix::fs::renameat_with(
        rustix::fs::CWD,
        &vm_dir,
        rustix::fs::CWD,
        &plan.dest,
        rustix::fs::RenameFlags::NOREPLACE,
    )
    .map_err(|e| {
        if e == rustix::io::Errno::EXIST {
            Error::Invalid(format!(
                "{} appeared while importing; nothing was changed",
                plan.dest.display()
            ))
        } else {
            Error::io(&plan.dest, e.into())
        }
    })?;
    fsync_dir(&data).map_err(|e| Error::io(&data, e))?;
    let manifest_path = plan.dest.join("manifest.toml");
    write_atomic(&manifest_path, manifest.as_bytes(), FILE_MODE)
        .map_err(|e| Error::io(&manifest_path, e))?;
    Ok(())
}

/// Creates `dir` (its parent exists) with [`DIR_MODE`]; an existing one is fine.
fn make_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(Error::io(dir, e)),
        _ => {}
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
        .map_err(|e| Error::io(dir, e))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, bytes, FILE_MODE).map_err(|e| Error::io(path, e))
}

fn remove(path: &Path) -> Result<()> {
    std::fs::remove_file(path).map_err(|e| Error::io(path, e))
}

/// Unpacks a zipped disk and checks that it is still the disk that was planned.
fn unpack_checked(disk: &SourceDisk, out: &Path, uuid: Uuid, phase: &str) -> Result<()> {
    let mut progress = Progress::new(phase, disk.zip.size);
    unzip::extract(&disk.zip, out, &mut progress)?;
    progress.finish();
    let header = vdi::read_header(out)
        .map_err(|e| Error::Invalid(format!("{}: {e}", disk.zip.zip.display())))?;
    if header.uuid != uuid {
        return Err(Error::Invalid(format!(
            "{}: changed while importing; nothing was imported",
            disk.zip.zip.display()
        )));
    }
    Ok(())
}

fn pack(
    runtime: &tokio::runtime::Runtime,
    file: &Path,
    name: &str,
    out: &Path,
    phase: &str,
) -> Result<PackReport> {
    let size = std::fs::metadata(file)
        .map_err(|e| Error::io(file, e))?
        .len();
    let progress = Arc::new(Mutex::new(Progress::new(phase, size)));
    let report = {
        let progress = Arc::clone(&progress);
        let options = PackOptions {
            progress: Some(Arc::new(move |done| {
                progress.lock().unwrap_or_else(|e| e.into_inner()).set(done);
            })),
            ..PackOptions::default()
        };
        runtime
            .block_on(archive::pack_with(
                &[(file.to_owned(), name.to_owned())],
                out,
                Compression::Zstd,
                options,
            ))
            .map_err(|e| Error::Invalid(format!("{}: {e}", out.display())))?
    };
    progress.lock().unwrap_or_else(|e| e.into_inner()).finish();
    Ok(report)
}

#[cfg(test)]
mod tests;
