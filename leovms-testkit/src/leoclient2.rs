//! A VM folder as leoclient2 keeps it on its server, built from real VDI files: a zipped
//! base, zipped differencing disks in `snapshot-store/<name>/{UUID}.vdi.zip` (all with
//! the same UUID, as leoclient2 makes them), `filesize*` files, `image.conf` files in
//! leoclient2's `key=value` syntax, `network.conf` files (`host;nic;mode;mac;device`
//! lines) when asked for, and `defaults/<vm>.vbox`.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use leovms_image::vdi;
use uuid::Uuid;
use zip::write::SimpleFileOptions;

use crate::template::{self, TemplateParams};

/// What to build.
#[derive(Debug, Clone)]
pub struct Leoclient2Options {
    /// Folder name = leoclient2's machine name.
    pub vm: String,
    /// Allocated 1 MiB blocks in the base disk.
    pub base_data_mib: u32,
    /// Adds `snapshot-store/old/`, whose disk belongs to another base.
    pub foreign_snapshot: bool,
    /// The VM's `image.conf`.
    pub image_conf: String,
    /// The VM's `network.conf`; none when `None` (leoclient2 then switched every card off).
    pub network_conf: Option<String>,
    /// `network.conf` files of snapshots (folder name, content), which leoclient2 used
    /// instead of the VM's for that snapshot.
    pub snapshot_network_conf: Vec<(String, String)>,
}

impl Default for Leoclient2Options {
    fn default() -> Self {
        Leoclient2Options {
            vm: "winxp".into(),
            base_data_mib: 2,
            foreign_snapshot: false,
            image_conf: "# who may use this machine\nroom=r101,r102\nuser=mueller\ncolour=blue\n"
                .into(),
            network_conf: None,
            snapshot_network_conf: Vec::new(),
        }
    }
}

/// What was built.
#[derive(Debug, Clone)]
pub struct Leoclient2Vm {
    pub dir: PathBuf,
    pub base_uuid: Uuid,
    /// The differencing disk's UUID, shared by all snapshots.
    pub diff_uuid: Uuid,
    pub machine_uuid: Uuid,
}

/// Builds `<parent>/<vm>/`. Snapshots: `standard` (no image.conf) and `exam`
/// (`name=Exam 2027`, `maintainer=mueller`, `room=r101`); the VM's image.conf is
/// `opts.image_conf`.
pub fn build_leoclient2_vm(parent: &Path, opts: &Leoclient2Options) -> io::Result<Leoclient2Vm> {
    let vm = &opts.vm;
    let dir = parent.join(vm);
    let raw = parent.join(format!(".raw-{vm}"));
    std::fs::create_dir_all(dir.join("defaults"))?;
    std::fs::create_dir_all(&raw)?;

    let base_uuid = Uuid::new_v4();
    let base_name = format!("{vm}.vdi");
    let base_path = raw.join(&base_name);
    vdi::create_dynamic(&base_path, crate::BASE_DISK_SIZE, base_uuid)?;
    crate::fill::allocate_blocks(&base_path, opts.base_data_mib, base_uuid.as_u64_pair().0)?;
    let base = vdi::read_header(&base_path).map_err(io::Error::other)?;
    zip_with_sizes(
        &base_path,
        &base_name,
        &dir,
        &dir.join(format!("{base_name}.zip")),
    )?;

    let diff_uuid = Uuid::new_v4();
    let diff_name = format!("{}.vdi", vdi::braced(&diff_uuid));
    let mut snapshots = vec![
        ("standard", None, false),
        (
            "exam",
            Some("name=Exam 2027\nmaintainer=mueller\nroom=r101\n"),
            false,
        ),
    ];
    if opts.foreign_snapshot {
        snapshots.push(("old", Some("name=Before the renewal\n"), true));
    }
    for (name, conf, foreign) in snapshots {
        let store = dir.join("snapshot-store").join(name);
        std::fs::create_dir_all(&store)?;
        let path = raw.join(name).join(&diff_name);
        std::fs::create_dir_all(path.parent().expect("has a folder"))?;
        vdi::create_diff(&path, &base, diff_uuid)?;
        if foreign {
            vdi::set_parent(&path, Uuid::new_v4()).map_err(io::Error::other)?;
        }
        zip_with_sizes(
            &path,
            &diff_name,
            &store,
            &store.join(format!("{diff_name}.zip")),
        )?;
        if let Some(conf) = conf {
            std::fs::write(store.join("image.conf"), conf)?;
        }
        if let Some((_, net)) = opts.snapshot_network_conf.iter().find(|(s, _)| s == name) {
            std::fs::write(store.join("network.conf"), net)?;
        }
    }

    std::fs::write(dir.join("image.conf"), &opts.image_conf)?;
    if let Some(net) = &opts.network_conf {
        std::fs::write(dir.join("network.conf"), net)?;
    }
    let machine_uuid = Uuid::new_v4();
    let vbox = template::machine_vbox(&TemplateParams {
        machine_uuid,
        name: "Windows XP",
        os_type: "WindowsXP",
        memory_mb: 512,
        base_uuid,
        base_location: &base_name,
        diff_uuid,
        snapshot_uuid: Uuid::new_v4(),
    });
    std::fs::write(dir.join("defaults").join(format!("{vm}.vbox")), vbox)?;
    std::fs::write(
        dir.join("defaults/VirtualBox.xml"),
        "<?xml version=\"1.0\"?>\n<VirtualBox/>\n",
    )?;
    std::fs::remove_dir_all(&raw)?;
    Ok(Leoclient2Vm {
        dir,
        base_uuid,
        diff_uuid,
        machine_uuid,
    })
}

/// Zips `file` as the single entry `name` into `zip` and writes leoclient2's size files:
/// `filesize.vdi` (unpacked) into `size_dir`, `filesize.vdi.zipped` next to the zip.
pub fn zip_with_sizes(file: &Path, name: &str, size_dir: &Path, zip: &Path) -> io::Result<()> {
    zip_file(file, name, zip)?;
    let unpacked = std::fs::metadata(file)?.len();
    let zipped = std::fs::metadata(zip)?.len();
    std::fs::write(size_dir.join("filesize.vdi"), format!("{unpacked}\n"))?;
    let zip_dir = zip.parent().expect("zip has a folder");
    std::fs::write(zip_dir.join("filesize.vdi.zipped"), format!("{zipped}\n"))
}

/// Writes `zip` holding `file` as the entry `name` (deflated).
pub fn zip_file(file: &Path, name: &str, zip: &Path) -> io::Result<()> {
    let mut writer = zip::ZipWriter::new(File::create(zip)?);
    writer
        .start_file(name, SimpleFileOptions::default().large_file(true))
        .map_err(io::Error::other)?;
    io::copy(&mut File::open(file)?, &mut writer)?;
    writer.finish().map_err(io::Error::other)?.flush()
}
