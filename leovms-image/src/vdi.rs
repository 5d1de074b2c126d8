//! VirtualBox VDI v1.1 headers (VDICore.h: VDIPREHEADER + VDIHEADER1PLUS, packed, little
//! endian). We read them to check that a snapshot's differencing disk belongs to the base,
//! and create empty images for tests and fresh working copies.
//!
//! UUIDs are RTUUIDs: the first three fields little endian (`Uuid::from_bytes_le`).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use uuid::Uuid;

mod chain;

pub use chain::{ChainError, check_chain};

/// VirtualBox 4.x-7.0 wrote this text (7.1 drops "VM "); VirtualBox never checks it.
const FILE_INFO: &[u8] = b"<<< Oracle VM VirtualBox Disk Image >>>\n";
const SIGNATURE: u32 = 0xBEDA_107F;
const VERSION_1_1: u32 = 0x0001_0001;
const PREHEADER_SIZE: usize = 72;
/// VDIHEADER1 (384 bytes) + LCHS geometry (16 bytes).
const HEADER1_SIZE: usize = 384;
const HEADER1PLUS_SIZE: usize = 400;
const SECTOR: u32 = 512;
const BLOCK_SIZE: u32 = 1 << 20;
/// VDI_DATA_ALIGN: block map and data start on 1 MiB boundaries.
const DATA_ALIGN: u64 = 1 << 20;
const OFF_BLOCKS: usize = 0x154;
const OFF_DISK: usize = 0x170;
const OFF_UUID_CREATE: usize = 0x188;
const OFF_UUID_MODIFY: usize = 0x198;
const OFF_UUID_LINKAGE: usize = 0x1A8;
const OFF_UUID_PARENT_MODIFY: usize = 0x1B8;
const OFF_LCHS: usize = 0x1C8;
const HEADER_END: usize = PREHEADER_SIZE + HEADER1PLUS_SIZE;
/// The bytes at the start of a VDI file that hold its headers.
pub const HEADER_BYTES: usize = HEADER_END;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VdiKind {
    /// Dynamically allocated ("normal").
    Normal,
    Fixed,
    Undo,
    /// Differencing: `parent` names the base.
    Diff,
}

impl VdiKind {
    fn code(self) -> u32 {
        match self {
            VdiKind::Normal => 1,
            VdiKind::Fixed => 2,
            VdiKind::Undo => 3,
            VdiKind::Diff => 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VdiHeader {
    pub kind: VdiKind,
    pub disk_size: u64,
    pub block_size: u32,
    pub blocks: u32,
    pub blocks_allocated: u32,
    /// uuidCreate: the image's identity, as in the `.vbox` media registry.
    pub uuid: Uuid,
    pub uuid_modify: Uuid,
    /// uuidLinkage when not nil: the parent's uuidCreate.
    pub parent: Option<Uuid>,
    pub parent_modify: Uuid,
}

#[derive(Debug, thiserror::Error)]
pub enum VdiError {
    #[error("cannot read disk image {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is not a VirtualBox disk image (VDI): {reason}", .path.display())]
    NotVdi { path: PathBuf, reason: String },
    #[error("{} is a VDI image of version {major}.{minor}, only 1.x is supported", .path.display())]
    Version {
        path: PathBuf,
        major: u16,
        minor: u16,
    },
    #[error("the disk image {} is damaged: {reason}", .path.display())]
    Invalid { path: PathBuf, reason: String },
}

fn u32_at(buf: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]])
}

fn u64_at(buf: &[u8], off: usize) -> u64 {
    (u64::from(u32_at(buf, off + 4)) << 32) | u64::from(u32_at(buf, off))
}

fn uuid_at(buf: &[u8], off: usize) -> Uuid {
    let mut b = [0u8; 16];
    b.copy_from_slice(&buf[off..off + 16]);
    Uuid::from_bytes_le(b)
}

/// Read and validate a header like VirtualBox's vdiValidateHeader.
pub fn read_header(path: &Path) -> Result<VdiHeader, VdiError> {
    let io_err = |source| VdiError::Io {
        path: path.to_owned(),
        source,
    };
    let mut buf = Vec::with_capacity(HEADER_END);
    File::open(path)
        .and_then(|f| f.take(HEADER_END as u64).read_to_end(&mut buf))
        .map_err(io_err)?;
    parse_header(&buf, path)
}

/// [`read_header`] of a file's first [`HEADER_BYTES`] bytes (e.g. read from inside an
/// archive); `path` names the file in errors.
pub fn parse_header(buf: &[u8], path: &Path) -> Result<VdiHeader, VdiError> {
    let buf = &buf[..buf.len().min(HEADER_END)];
    let not_vdi = |reason: String| VdiError::NotVdi {
        path: path.to_owned(),
        reason,
    };
    if buf.len() < PREHEADER_SIZE + HEADER1_SIZE {
        return Err(not_vdi(format!(
            "the file is too short ({} bytes)",
            buf.len()
        )));
    }
    let signature = u32_at(buf, 0x40);
    if signature != SIGNATURE {
        return Err(not_vdi(format!("bad signature {signature:#010x}")));
    }
    let version = u32_at(buf, 0x44);
    if version >> 16 != 1 {
        return Err(VdiError::Version {
            path: path.to_owned(),
            major: (version >> 16) as u16,
            minor: version as u16,
        });
    }
    let cb_header = u32_at(buf, 0x48) as usize;
    let kind_code = u32_at(buf, 0x4C);
    let off_blocks = u64::from(u32_at(buf, OFF_BLOCKS));
    let off_data = u64::from(u32_at(buf, OFF_BLOCKS + 4));
    let disk_size = u64_at(buf, OFF_DISK);
    let block_size = u32_at(buf, OFF_DISK + 8);
    let blocks = u32_at(buf, OFF_DISK + 16);
    let blocks_allocated = u32_at(buf, OFF_DISK + 20);
    let uuid = uuid_at(buf, OFF_UUID_CREATE);
    let uuid_modify = uuid_at(buf, OFF_UUID_MODIFY);
    let linkage = uuid_at(buf, OFF_UUID_LINKAGE);

    let mut problems = Vec::new();
    if cb_header < HEADER1_SIZE {
        problems.push(format!("header size {cb_header} is too small"));
    }
    if off_blocks < (PREHEADER_SIZE + HEADER1_SIZE) as u64 {
        problems.push(format!("block map offset {off_blocks} is wrong"));
    }
    if off_data < off_blocks + 4 * u64::from(blocks) {
        problems.push(format!("data offset {off_data} is wrong"));
    }
    let kind = match kind_code {
        1 => Some(VdiKind::Normal),
        2 => Some(VdiKind::Fixed),
        3 => Some(VdiKind::Undo),
        4 => Some(VdiKind::Diff),
        _ => None,
    };
    if kind.is_none() {
        problems.push(format!("unknown image type {kind_code}"));
    }
    if cb_header >= HEADER1PLUS_SIZE
        && buf.len() >= HEADER_END
        && u32_at(buf, OFF_LCHS + 12) != SECTOR
    {
        problems.push("wrong sector size in the geometry".into());
    }
    if disk_size == 0 || block_size == 0 || blocks == 0 || !block_size.is_power_of_two() {
        problems.push(format!(
            "wrong sizes (disk {disk_size}, block {block_size}, {blocks} blocks)"
        ));
    }
    if blocks_allocated > blocks {
        problems.push(format!(
            "{blocks_allocated} blocks allocated of only {blocks}"
        ));
    }
    if u64::from(block_size) * u64::from(blocks) < disk_size {
        problems.push("the blocks do not cover the disk size".into());
    }
    if uuid.is_nil() {
        problems.push("the image UUID is zero".into());
    }
    if uuid_modify.is_nil() {
        problems.push("the modification UUID is zero".into());
    }
    match kind {
        Some(kind) if problems.is_empty() => Ok(VdiHeader {
            kind,
            disk_size,
            block_size,
            blocks,
            blocks_allocated,
            uuid,
            uuid_modify,
            parent: (!linkage.is_nil()).then_some(linkage),
            parent_modify: uuid_at(buf, OFF_UUID_PARENT_MODIFY),
        }),
        _ => Err(VdiError::Invalid {
            path: path.to_owned(),
            reason: problems.join("; "),
        }),
    }
}

fn align(value: u64) -> u64 {
    value.div_ceil(DATA_ALIGN) * DATA_ALIGN
}

fn invalid_input(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Write an empty image (no block allocated) like VirtualBox's vdiCreateImage.
fn create(path: &Path, header: &VdiHeader) -> io::Result<()> {
    if header.disk_size == 0 {
        return Err(invalid_input("a disk image needs a size above 0".into()));
    }
    let blocks = header.disk_size.div_ceil(u64::from(BLOCK_SIZE));
    let off_blocks = align(HEADER_END as u64);
    let off_data = align(off_blocks + 4 * blocks);
    let (Ok(blocks), Ok(off_data32)) = (u32::try_from(blocks), u32::try_from(off_data)) else {
        return Err(invalid_input(format!(
            "{} bytes is too large for a VDI image",
            header.disk_size
        )));
    };
    let mut buf = vec![0u8; HEADER_END];
    buf[..FILE_INFO.len()].copy_from_slice(FILE_INFO);
    let mut put = |off: usize, bytes: &[u8]| buf[off..off + bytes.len()].copy_from_slice(bytes);
    put(0x40, &SIGNATURE.to_le_bytes());
    put(0x44, &VERSION_1_1.to_le_bytes());
    put(0x48, &(HEADER1PLUS_SIZE as u32).to_le_bytes());
    put(0x4C, &header.kind.code().to_le_bytes());
    put(OFF_BLOCKS, &(off_blocks as u32).to_le_bytes());
    put(OFF_BLOCKS + 4, &off_data32.to_le_bytes());
    // Legacy geometry: unknown (0) except the sector size, as VirtualBox writes it.
    put(0x15C + 12, &SECTOR.to_le_bytes());
    put(OFF_DISK, &header.disk_size.to_le_bytes());
    put(OFF_DISK + 8, &BLOCK_SIZE.to_le_bytes());
    put(OFF_DISK + 16, &blocks.to_le_bytes());
    put(OFF_UUID_CREATE, &header.uuid.to_bytes_le());
    put(OFF_UUID_MODIFY, &header.uuid_modify.to_bytes_le());
    put(
        OFF_UUID_LINKAGE,
        &header.parent.unwrap_or(Uuid::nil()).to_bytes_le(),
    );
    put(OFF_UUID_PARENT_MODIFY, &header.parent_modify.to_bytes_le());
    put(OFF_LCHS + 12, &SECTOR.to_le_bytes());

    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(&buf)?;
    file.seek(SeekFrom::Start(off_blocks))?;
    // Every block free (VDI_IMAGE_BLOCK_FREE).
    file.write_all(&vec![0xFF; 4 * blocks as usize])?;
    file.set_len(off_data)?;
    file.sync_all()
}

/// Create an empty dynamically allocated image of `disk_size` bytes.
pub fn create_dynamic(path: &Path, disk_size: u64, uuid: Uuid) -> io::Result<()> {
    create(
        path,
        &VdiHeader {
            kind: VdiKind::Normal,
            disk_size,
            block_size: BLOCK_SIZE,
            blocks: 0,
            blocks_allocated: 0,
            uuid,
            uuid_modify: Uuid::new_v4(),
            parent: None,
            parent_modify: Uuid::nil(),
        },
    )
}

/// Create an empty differencing image on top of `parent` (what VDCreateDiff writes).
pub fn create_diff(path: &Path, parent: &VdiHeader, uuid: Uuid) -> io::Result<()> {
    create(
        path,
        &VdiHeader {
            kind: VdiKind::Diff,
            disk_size: parent.disk_size,
            block_size: BLOCK_SIZE,
            blocks: 0,
            blocks_allocated: 0,
            uuid,
            uuid_modify: Uuid::new_v4(),
            parent: Some(parent.uuid),
            parent_modify: parent.uuid_modify,
        },
    )
}

/// Point the image's uuidLinkage at `parent` (like `VBoxManage internalcommands
/// sethdparentuuid`); tests use it to craft mismatched snapshots.
pub fn set_parent(path: &Path, parent: Uuid) -> Result<(), VdiError> {
    read_header(path)?;
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut f| {
            f.seek(SeekFrom::Start(OFF_UUID_LINKAGE as u64))?;
            f.write_all(&parent.to_bytes_le())?;
            f.sync_all()
        })
        .map_err(|source| VdiError::Io {
            path: path.to_owned(),
            source,
        })
}

/// `{uuid}` in VirtualBox's settings spelling (lowercase, hyphenated, braced).
pub fn braced(u: &Uuid) -> String {
    format!("{{{}}}", u.hyphenated())
}

/// Parse `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` (either case).
pub fn parse_braced(s: &str) -> Option<Uuid> {
    let inner = s.strip_prefix('{')?.strip_suffix('}')?;
    if inner.len() != 36 {
        return None;
    }
    Uuid::try_parse(inner).ok()
}

#[cfg(test)]
mod tests;
