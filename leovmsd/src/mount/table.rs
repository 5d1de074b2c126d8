//! The kernel's mount table (`/proc/self/mountinfo`): which file system holds a path, and
//! a notification when the table changes.
//!
//! Reading the table never touches a mounted file system, so it cannot hang on a dead
//! network mount; that is why the mount table, not `stat`, decides whether a path is
//! a mount point.

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use tokio::sync::mpsc;

const MOUNTINFO: &str = "/proc/self/mountinfo";

/// One line of `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// Where it is mounted, with the kernel's octal escapes (`\040` …) undone.
    pub mount_point: PathBuf,
    /// File system type including a FUSE subtype, e.g. `cifs`, `fuse.smbnetfs`.
    pub fstype: String,
    /// What is mounted, e.g. `//server/leovms-data`; `none` when the kernel says nothing.
    pub source: String,
}

/// File system types whose files live on another machine: a probe of them may block as
/// long as the network or the server does not answer.
const NETWORK_FSTYPES: &[&str] = &[
    "cifs",
    "smb3",
    "smbfs",
    "nfs",
    "nfs4",
    "ceph",
    "9p",
    "afs",
    "glusterfs",
    "davfs",
    "fuse.davfs",
    "fuse.smbnetfs",
    "fuse.sshfs",
    "fuse.rclone",
    "fuse.glusterfs",
    "fuse.gvfsd-fuse",
];

/// Whether `fstype` (as in the mount table) is a network file system.
pub fn is_network_fstype(fstype: &str) -> bool {
    NETWORK_FSTYPES.contains(&fstype)
}

/// The current mount table of this process's mount namespace.
pub fn mounts() -> io::Result<Vec<MountEntry>> {
    Ok(parse_mountinfo(&std::fs::read(MOUNTINFO)?))
}

/// Parses the text of `/proc/<pid>/mountinfo`; lines it cannot read are skipped, as a
/// kernel may append fields this parser does not know.
pub fn parse_mountinfo(text: &[u8]) -> Vec<MountEntry> {
    text.split(|&b| b == b'\n').filter_map(parse_line).collect()
}

/// `36 35 98:0 /root /mnt rw,noatime master:1 - ext3 /dev/root rw`: the fields before
/// ` - ` vary in number (optional tags), the three after it do not.
fn parse_line(line: &[u8]) -> Option<MountEntry> {
    let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    let dash = fields.iter().position(|f| *f == b"-")?;
    if dash < 6 {
        return None;
    }
    let fstype = fields.get(dash + 1)?;
    let source = fields.get(dash + 2)?;
    Some(MountEntry {
        mount_point: PathBuf::from(OsString::from_vec(unescape(fields[4]))),
        fstype: String::from_utf8_lossy(&unescape(fstype)).into_owned(),
        source: String::from_utf8_lossy(&unescape(source)).into_owned(),
    })
}

/// Undoes the kernel's `\ooo` escapes for space, tab, newline and backslash.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let octal = field.get(i + 1..i + 4).filter(|d| {
            d.iter().all(|c| (b'0'..=b'7').contains(c)) && d[0] <= b'3' && field[i] == b'\\'
        });
        match octal {
            Some(d) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(field[i]);
                i += 1;
            }
        }
    }
    out
}

/// The mount that holds `path`: the entry with the longest mount point that is a prefix
/// of it (whole components). When one point is mounted over another, the later line is
/// the visible one. `path` is compared as written: symlinks are not resolved, since
/// resolving would touch the file systems on the way.
pub fn covering_mount<'a>(entries: &'a [MountEntry], path: &Path) -> Option<&'a MountEntry> {
    let mut best: Option<&MountEntry> = None;
    for entry in entries {
        if !path.starts_with(&entry.mount_point) {
            continue;
        }
        let deeper = best.is_none_or(|b| {
            entry.mount_point.components().count() >= b.mount_point.components().count()
        });
        if deeper {
            best = Some(entry);
        }
    }
    best
}

/// A message on every change of the mount table (something mounted, unmounted, moved),
/// sent by a thread that waits in `poll(2)`: the kernel flags `/proc/self/mountinfo`
/// with `POLLPRI | POLLERR` on each change, so nothing is polled on a timer. Bursts are
/// coalesced into one message. The thread ends at the first change after the receiver
/// is dropped (it cannot be woken earlier without a timer or a second fd to watch).
pub fn watch_mount_table() -> io::Result<mpsc::Receiver<()>> {
    // Opened here, not in the thread: the baseline is the table as of this call, and an
    // error reaches the caller.
    let file = std::fs::File::open(MOUNTINFO)?;
    let (tx, rx) = mpsc::channel(1);
    std::thread::Builder::new()
        .name("leovms-mounts".into())
        .spawn(move || {
            use rustix::event::{PollFd, PollFlags, poll};
            loop {
                let mut fds = [PollFd::new(&file, PollFlags::PRI | PollFlags::ERR)];
                match poll(&mut fds, None) {
                    Ok(_) => {}
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => {
                        tracing::warn!("watching the mount table failed: {e}");
                        return;
                    }
                }
                match tx.try_send(()) {
                    Ok(()) | Err(mpsc::error::TrySendError::Full(())) => {}
                    Err(mpsc::error::TrySendError::Closed(())) => return,
                }
            }
        })?;
    Ok(rx)
}
