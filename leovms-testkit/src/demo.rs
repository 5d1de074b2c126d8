//! Building a complete demo share (format v1) with two small VMs.

use std::io;
use std::path::{Path, PathBuf};

use leovms_image::archive::{self, Compression};
use leovms_image::atomic::write_atomic;
use leovms_image::config::{SnapshotConf, toml_string};
use leovms_image::layout::{
    self, BASE_ARCHIVE, CLIENT_CONF, IMAGE_CONF, MACHINE_VBOX, MANIFEST, VBOX_CONF,
};
use leovms_image::manifest::{self, Manifest, ManifestEntry};
use leovms_image::vdi;
use uuid::Uuid;

use crate::template::{self, TemplateParams};

/// Virtual size of the demo base disks.
pub const BASE_DISK_SIZE: u64 = 1 << 30;
const FILE_MODE: u32 = 0o644;

/// What to build.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// `machines_dir` written to `leovms-vbox.conf`.
    pub machines_dir: PathBuf,
    /// Allocated 1 MiB data blocks in each base VDI, so that it is really that big.
    pub base_data_mib: u64,
    /// Adds snapshot `foreign` to `vm-demo`, whose differencing disk belongs to another base.
    pub foreign_snapshot: bool,
    /// TOML appended to a VM's `image.conf`, by VM id (e.g. an `[access]` table).
    pub image_conf_extra: Vec<(String, String)>,
    /// TOML appended to a snapshot's `snapshot.conf`, by VM id and snapshot id
    /// (e.g. `rooms = ["r101"]`).
    pub snapshot_conf_extra: Vec<(String, String, String)>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            machines_dir: PathBuf::from("/var/lib/leovms/machines"),
            base_data_mib: 8,
            foreign_snapshot: false,
            image_conf_extra: Vec::new(),
            snapshot_conf_extra: Vec::new(),
        }
    }
}

/// What was built, for assertions.
#[derive(Debug, Clone)]
pub struct DemoShare {
    pub data_dir: PathBuf,
    pub vms: Vec<DemoVm>,
}

#[derive(Debug, Clone)]
pub struct DemoVm {
    pub id: String,
    /// `Machine/@uuid` of the template.
    pub machine_uuid: Uuid,
    pub base_uuid: Uuid,
    /// The differencing disk the template's current state attaches.
    pub template_diff_uuid: Uuid,
    /// `(snapshot id, UUID of the differencing disk in its archive)`.
    pub snapshots: Vec<(String, Uuid)>,
}

impl DemoShare {
    /// The VM with this id; panics when there is none (test helper).
    pub fn vm(&self, id: &str) -> &DemoVm {
        self.vms
            .iter()
            .find(|vm| vm.id == id)
            .unwrap_or_else(|| panic!("no demo VM {id}"))
    }
}

impl DemoVm {
    /// The diff UUID of snapshot `id`; panics when there is none (test helper).
    pub fn snapshot(&self, id: &str) -> Uuid {
        self.snapshots
            .iter()
            .find(|(sid, _)| sid == id)
            .map(|(_, uuid)| *uuid)
            .unwrap_or_else(|| panic!("demo VM {} has no snapshot {id}", self.id))
    }
}

/// Which differencing disk a snapshot archive holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Diff {
    /// The one named in the template.
    Template,
    /// Another UUID: the daemon has to remap the template to it.
    Fresh,
    /// A fresh UUID whose parent is not this VM's base.
    Foreign,
}

struct SnapshotSpec {
    id: &'static str,
    conf: String,
    diff: Diff,
}

struct VmSpec {
    id: &'static str,
    image_conf: String,
    vbox_name: &'static str,
    os_type: &'static str,
    memory_mb: u64,
    snapshots: Vec<SnapshotSpec>,
}

/// Writes the share into `data_dir` (created if needed): both config files, `vm-demo` and
/// `vm-win`, each VM's `manifest.toml` last.
pub async fn build_demo_share(data_dir: &Path, opts: &DemoOptions) -> io::Result<DemoShare> {
    tokio::fs::create_dir_all(data_dir).await?;
    write_atomic(&data_dir.join(CLIENT_CONF), b"format = 1\n", FILE_MODE)?;
    let vbox_conf = format!(
        "format = 1\nmachines_dir = {}\n# vbox_home: the default (~/.leovms)\n",
        toml_string(&opts.machines_dir.to_string_lossy())
    );
    write_atomic(&data_dir.join(VBOX_CONF), vbox_conf.as_bytes(), FILE_MODE)?;
    // Disks are created outside the VM folders; a `.leovms-tmp` name is ignored by clients.
    let staging = tempfile::Builder::new()
        .prefix(".leovms-tmp-demo.")
        .tempdir_in(data_dir)?;
    let mut vms = Vec::new();
    for mut spec in vm_specs(opts) {
        add_extras(&mut spec, opts);
        vms.push(build_vm(data_dir, staging.path(), &spec, opts.base_data_mib).await?);
    }
    Ok(DemoShare {
        data_dir: data_dir.to_owned(),
        vms,
    })
}

async fn build_vm(
    data_dir: &Path,
    staging: &Path,
    spec: &VmSpec,
    data_mib: u64,
) -> io::Result<DemoVm> {
    let vm_dir = data_dir.join(spec.id);
    let stage = staging.join(spec.id);
    tokio::fs::create_dir_all(&vm_dir).await?;
    tokio::fs::create_dir_all(&stage).await?;
    // A rebuilt VM must not be visible while its files are replaced.
    match tokio::fs::remove_file(vm_dir.join(MANIFEST)).await {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut files = Vec::new();

    let base_uuid = Uuid::new_v4();
    let base_name = format!("{}.vdi", spec.id);
    let base_path = stage.join(&base_name);
    let blocks =
        u32::try_from(data_mib).map_err(|_| io::Error::other("base_data_mib too large"))?;
    let base_header = {
        let path = base_path.clone();
        blocking(move || {
            vdi::create_dynamic(&path, BASE_DISK_SIZE, base_uuid)?;
            crate::fill::allocate_blocks(&path, blocks, base_uuid.as_u64_pair().0)?;
            vdi::read_header(&path).map_err(io::Error::other)
        })
        .await?
    };
    let report = pack(
        &[(base_path, base_name.clone())],
        &vm_dir.join(BASE_ARCHIVE),
    )
    .await?;
    files.push((BASE_ARCHIVE.to_owned(), Some(report.unpacked)));

    let template_diff_uuid = Uuid::new_v4();
    let mut snapshots = Vec::new();
    for snap in &spec.snapshots {
        let diff_uuid = match snap.diff {
            Diff::Template => template_diff_uuid,
            Diff::Fresh | Diff::Foreign => Uuid::new_v4(),
        };
        files.extend(build_snapshot(&vm_dir, &stage, snap, base_header, diff_uuid).await?);
        snapshots.push((snap.id.to_owned(), diff_uuid));
    }

    let machine_uuid = Uuid::new_v4();
    let vbox = template::machine_vbox(&TemplateParams {
        machine_uuid,
        name: spec.vbox_name,
        os_type: spec.os_type,
        memory_mb: spec.memory_mb,
        base_uuid,
        base_location: &base_name,
        diff_uuid: template_diff_uuid,
        snapshot_uuid: Uuid::new_v4(),
    });
    write_atomic(&vm_dir.join(MACHINE_VBOX), vbox.as_bytes(), FILE_MODE)?;
    write_atomic(
        &vm_dir.join(IMAGE_CONF),
        spec.image_conf.as_bytes(),
        FILE_MODE,
    )?;
    files.push((IMAGE_CONF.to_owned(), None));
    files.push((MACHINE_VBOX.to_owned(), None));
    write_manifest(&vm_dir, files)?;
    tokio::fs::remove_dir_all(&stage).await?;
    Ok(DemoVm {
        id: spec.id.to_owned(),
        machine_uuid,
        base_uuid,
        template_diff_uuid,
        snapshots,
    })
}

/// Writes `snapshots/<id>/` (conf and archive) and returns its manifest paths.
async fn build_snapshot(
    vm_dir: &Path,
    stage: &Path,
    snap: &SnapshotSpec,
    base: vdi::VdiHeader,
    diff_uuid: Uuid,
) -> io::Result<[(String, Option<u64>); 2]> {
    let diff_name = template::diff_location(&diff_uuid);
    let diff_path = stage.join(snap.id).join(&diff_name);
    let (path, foreign) = (diff_path.clone(), snap.diff == Diff::Foreign);
    blocking(move || {
        std::fs::create_dir_all(path.parent().expect("diff has a folder"))?;
        vdi::create_diff(&path, &base, diff_uuid)?;
        if foreign {
            vdi::set_parent(&path, Uuid::new_v4()).map_err(io::Error::other)?;
        }
        Ok(())
    })
    .await?;
    tokio::fs::create_dir_all(vm_dir.join(layout::snapshot_dir(snap.id))).await?;
    let conf = layout::snapshot_conf(snap.id);
    write_atomic(&vm_dir.join(&conf), snap.conf.as_bytes(), FILE_MODE)?;
    let archive = layout::snapshot_archive(snap.id);
    let report = pack(&[(diff_path, diff_name)], &vm_dir.join(&archive)).await?;
    Ok([(conf, None), (archive, Some(report.unpacked))])
}

fn write_manifest(vm_dir: &Path, mut files: Vec<(String, Option<u64>)>) -> io::Result<()> {
    files.sort();
    let mut entries = Vec::new();
    for (path, unpacked) in files {
        let (size, sha256) = manifest::sha256_file(&vm_dir.join(&path))?;
        entries.push(ManifestEntry {
            path,
            size,
            sha256,
            unpacked,
        });
    }
    let text = Manifest { files: entries }.to_toml_string();
    write_atomic(&vm_dir.join(MANIFEST), text.as_bytes(), FILE_MODE)
}

async fn pack(entries: &[(PathBuf, String)], out: &Path) -> io::Result<archive::PackReport> {
    archive::pack(entries, out, Compression::Zstd)
        .await
        .map_err(io::Error::other)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(io::Error::other)?
}

fn vm_specs(opts: &DemoOptions) -> Vec<VmSpec> {
    let mut demo_snapshots = vec![
        SnapshotSpec {
            id: "standard",
            conf: snapshot_conf("Standard", "admin", None, "Clean installation"),
            diff: Diff::Template,
        },
        SnapshotSpec {
            id: "exam",
            conf: snapshot_conf(
                "Exam 2027",
                "mueller",
                Some("2026-11-20T10:00:00Z"),
                "No network, exam tools only",
            ),
            diff: Diff::Fresh,
        },
    ];
    if opts.foreign_snapshot {
        demo_snapshots.push(SnapshotSpec {
            id: "foreign",
            conf: snapshot_conf(
                "Foreign",
                "admin",
                None,
                "Differencing disk of another base",
            ),
            diff: Diff::Foreign,
        });
    }
    vec![
        VmSpec {
            id: "vm-demo",
            image_conf: image_conf(
                "Demo Linux",
                "A small Linux demo machine",
                "mode = \"auto\"\nmax_mb = 1024\n",
            ),
            vbox_name: "Demo Linux",
            os_type: "Debian_64",
            memory_mb: 1024,
            snapshots: demo_snapshots,
        },
        VmSpec {
            id: "vm-win",
            image_conf: image_conf("Windows 10 (demo)", "", "mode = \"fixed\"\nmb = 512\n"),
            vbox_name: "Windows 10 (demo)",
            os_type: "Windows10_64",
            memory_mb: 512,
            snapshots: vec![SnapshotSpec {
                id: "standard",
                // A description, so that its line 3 is one: `to_toml` leaves out an empty
                // one, and the border tests put a control character there.
                conf: snapshot_conf("Standard", "admin", None, "Clean installation"),
                diff: Diff::Template,
            }],
        },
    ]
}

fn add_extras(spec: &mut VmSpec, opts: &DemoOptions) {
    for (vm, extra) in &opts.image_conf_extra {
        if vm == spec.id {
            spec.image_conf = format!("{}\n{extra}\n", spec.image_conf);
        }
    }
    for (vm, snap, extra) in &opts.snapshot_conf_extra {
        if vm == spec.id {
            for s in spec.snapshots.iter_mut().filter(|s| s.id == snap) {
                s.conf = format!("{}{extra}\n", s.conf);
            }
        }
    }
}

fn image_conf(name: &str, description: &str, ram: &str) -> String {
    format!(
        "name = {}\ndescription = {}\n\n[ram]\n{ram}",
        toml_string(name),
        toml_string(description)
    )
}

/// The text of a `snapshot.conf` as leovms writes one ([`SnapshotConf::to_toml`]): `name`,
/// `maintainer`, `created` when given, then `description` when it is not empty.
fn snapshot_conf(name: &str, maintainer: &str, created: Option<&str>, description: &str) -> String {
    SnapshotConf {
        name: name.to_owned(),
        maintainer: maintainer.to_owned(),
        created: created.map(str::to_owned),
        description: description.to_owned(),
        hosts: Vec::new(),
        rooms: Vec::new(),
    }
    .to_toml()
}
