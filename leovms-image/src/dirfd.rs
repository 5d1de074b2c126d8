//! Work inside folders that other users of the PC may write to (the cache, the machines
//! folder). Any name there can become a symbolic link, a FIFO or another user's file at
//! any moment, so everything goes through an open descriptor of the folder: names are
//! looked up relative to it without following links, files are opened non-blocking and
//! checked with `fstat` before use, and modes are only changed through the descriptor
//! of something this user owns.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{
    AtFlags, CWD, FileType, FlockOperation, Mode, OFlags, Stat, Timespec, Timestamps, UTIME_NOW,
};
use rustix::io::Errno;

/// What a name in a folder is, looked at without following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub kind: FileType,
    pub uid: u32,
    pub mode: u32,
    pub size: u64,
    pub links: u64,
    /// Unix seconds of the last modification…
    pub modified: i64,
    /// …and its nanoseconds.
    pub modified_nsec: u32,
    dev: u64,
    ino: u64,
}

impl Meta {
    fn of(st: &Stat) -> Meta {
        Meta {
            kind: FileType::from_raw_mode(st.st_mode),
            uid: st.st_uid,
            mode: st.st_mode & 0o7777,
            size: st.st_size as u64,
            links: st.st_nlink,
            modified: st.st_mtime,
            modified_nsec: st.st_mtime_nsec as u32,
            dev: st.st_dev,
            ino: st.st_ino,
        }
    }

    pub fn is_file(&self) -> bool {
        self.kind == FileType::RegularFile
    }

    pub fn is_dir(&self) -> bool {
        self.kind == FileType::Directory
    }

    /// The same file system object as `other`.
    pub fn same(&self, other: &Meta) -> bool {
        (self.dev, self.ino) == (other.dev, other.ino)
    }
}

/// An open folder. Its path is kept for messages only.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

fn errno(e: Errno) -> io::Error {
    io::Error::from_raw_os_error(e.raw_os_error())
}

/// This process's user.
pub fn me() -> u32 {
    rustix::process::geteuid().as_raw()
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NONBLOCK);

impl Dir {
    /// Opens the folder `path`. Its last component may be a symbolic link only when
    /// root or this user owns the link (an admin's link, not another student's); a
    /// FIFO or device is refused without blocking.
    pub fn open(path: &Path) -> io::Result<Dir> {
        let link = rustix::fs::lstat(path).map_err(errno)?;
        let mut flags = DIR_FLAGS;
        if FileType::from_raw_mode(link.st_mode) == FileType::Symlink {
            if link.st_uid != 0 && link.st_uid != me() {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!(
                        "{} is a link of another user (uid {})",
                        path.display(),
                        link.st_uid
                    ),
                ));
            }
        } else {
            flags |= OFlags::NOFOLLOW;
        }
        let fd = rustix::fs::openat(CWD, path, flags, Mode::empty()).map_err(errno)?;
        Ok(Dir {
            fd,
            path: path.to_path_buf(),
        })
    }

    /// Opens the folder `path`, creating it (and missing parents) when it does not
    /// exist; a folder this call created gets `mode` (through its descriptor, so the
    /// umask does not decide). Returns whether it was created.
    pub fn open_or_create(path: &Path, mode: u32) -> io::Result<(Dir, bool)> {
        match Dir::open(path) {
            Ok(dir) => return Ok((dir, false)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no folder name"))?;
        if !parent.exists() {
            std::fs::create_dir_all(parent)?;
        }
        Dir::open(parent)?.create_sub(name, mode)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of `name` in this folder, for messages.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }

    pub fn try_clone(&self) -> io::Result<Dir> {
        Ok(Dir {
            fd: self.fd.try_clone()?,
            path: self.path.clone(),
        })
    }

    /// The folder itself.
    pub fn meta(&self) -> io::Result<Meta> {
        rustix::fs::fstat(&self.fd)
            .map(|st| Meta::of(&st))
            .map_err(errno)
    }

    /// What `name` is, without following a link; `None` when there is nothing.
    pub fn stat(&self, name: impl AsRef<OsStr>) -> io::Result<Option<Meta>> {
        match rustix::fs::statat(&self.fd, name.as_ref(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(Meta::of(&st))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(errno(e)),
        }
    }

    /// The folder `name` in this one; a link, FIFO or file there is refused.
    pub fn sub(&self, name: impl AsRef<OsStr>) -> io::Result<Dir> {
        let name = name.as_ref();
        let fd = rustix::fs::openat(&self.fd, name, DIR_FLAGS | OFlags::NOFOLLOW, Mode::empty())
            .map_err(|e| self.explain(name, e))?;
        Ok(Dir {
            fd,
            path: self.join(name),
        })
    }

    /// The folder `name`, created with `mode` when missing (see [`Dir::open_or_create`]).
    pub fn create_sub(&self, name: impl AsRef<OsStr>, mode: u32) -> io::Result<(Dir, bool)> {
        let name = name.as_ref();
        match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o700)) {
            Ok(()) => {}
            Err(Errno::EXIST) => return Ok((self.sub(name)?, false)),
            Err(e) => return Err(errno(e)),
        }
        let dir = self.sub(name)?;
        // Someone may have swapped in a folder of their own since mkdirat.
        if dir.meta()?.uid != me() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{} was replaced by another user", dir.path.display()),
            ));
        }
        rustix::fs::fchmod(&dir.fd, Mode::from_raw_mode(mode)).map_err(errno)?;
        Ok((dir, true))
    }

    /// Opens the regular file `name` for reading; a link, FIFO or device is refused
    /// without blocking.
    pub fn open_file(&self, name: impl AsRef<OsStr>) -> io::Result<File> {
        self.open_regular(name.as_ref(), OFlags::RDONLY)
    }

    /// Opens the regular file `name` for reading and writing (see [`Dir::open_file`]).
    pub fn open_file_rw(&self, name: impl AsRef<OsStr>) -> io::Result<File> {
        self.open_regular(name.as_ref(), OFlags::RDWR)
    }

    fn open_regular(&self, name: &OsStr, access: OFlags) -> io::Result<File> {
        let flags = access | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.fd, name, flags, Mode::empty())
            .map_err(|e| self.explain(name, e))?;
        let st = rustix::fs::fstat(&fd).map_err(errno)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(not_regular(&self.join(name)));
        }
        // Reads of a regular file never block anyway; the flag only guarded the open.
        let status = rustix::fs::fcntl_getfl(&fd).map_err(errno)?;
        rustix::fs::fcntl_setfl(&fd, status - OFlags::NONBLOCK).map_err(errno)?;
        Ok(File::from(fd))
    }

    /// Creates the new file `name` (it must not exist) with `mode`.
    pub fn create_file(&self, name: impl AsRef<OsStr>, mode: u32) -> io::Result<File> {
        let flags = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
        let fd = rustix::fs::openat(
            &self.fd,
            name.as_ref(),
            flags | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(errno)?;
        // The umask must not decide the mode.
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode)).map_err(errno)?;
        Ok(File::from(fd))
    }

    /// Replaces `name` with `bytes` so that readers see the old or the whole new
    /// content, even across a power cut.
    pub fn write_atomic(&self, name: impl AsRef<OsStr>, bytes: &[u8], mode: u32) -> io::Result<()> {
        let name = name.as_ref();
        let tmp = crate::atomic::temp_name_for(name);
        let written = self.create_file(&tmp, mode).and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        });
        let result = written
            .and_then(|()| self.rename(&tmp, name))
            .and_then(|()| self.sync());
        if result.is_err() {
            let _ = self.remove_file(&tmp);
        }
        result
    }

    /// Removes the entry `name` (never what a link points to).
    pub fn remove_file(&self, name: impl AsRef<OsStr>) -> io::Result<()> {
        rustix::fs::unlinkat(&self.fd, name.as_ref(), AtFlags::empty()).map_err(errno)
    }

    pub fn rename(&self, from: impl AsRef<OsStr>, to: impl AsRef<OsStr>) -> io::Result<()> {
        rustix::fs::renameat(&self.fd, from.as_ref(), &self.fd, to.as_ref()).map_err(errno)
    }

    /// Moves `from` of this folder to `to` in folder `dest` (on the same file system):
    /// whatever the name is, it is moved, never what a link points to.
    pub fn rename_into(
        &self,
        from: impl AsRef<OsStr>,
        dest: &Dir,
        to: impl AsRef<OsStr>,
    ) -> io::Result<()> {
        rustix::fs::renameat(&self.fd, from.as_ref(), &dest.fd, to.as_ref()).map_err(errno)
    }

    /// Sets the modification time of `name` to now without following a link; anyone
    /// with write access may, and nothing is opened (a FIFO cannot block it).
    pub fn touch(&self, name: impl AsRef<OsStr>) -> io::Result<()> {
        let now = Timespec {
            tv_sec: 0,
            tv_nsec: UTIME_NOW,
        };
        let times = Timestamps {
            last_access: now,
            last_modification: now,
        };
        rustix::fs::utimensat(&self.fd, name.as_ref(), &times, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(errno)
    }

    /// The names in this folder (without `.` and `..`).
    pub fn names(&self) -> io::Result<Vec<OsString>> {
        let mut out = Vec::new();
        for entry in rustix::fs::Dir::read_from(&self.fd).map_err(errno)? {
            let entry = entry.map_err(errno)?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                out.push(OsStr::from_bytes(name).to_owned());
            }
        }
        Ok(out)
    }

    /// Makes creations, renames and removals in this folder durable.
    pub fn sync(&self) -> io::Result<()> {
        rustix::fs::fsync(&self.fd).map_err(errno)
    }

    /// Sets the mode of this folder, which must be this user's own.
    pub fn set_own_mode(&self, mode: u32) -> io::Result<()> {
        if self.meta()?.uid != me() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{} belongs to another user", self.path.display()),
            ));
        }
        rustix::fs::fchmod(&self.fd, Mode::from_raw_mode(mode)).map_err(errno)
    }

    /// Makes this folder and everything in it read-only (files 0444, folders 0555),
    /// through descriptors. Everything must be this user's own regular files and
    /// folders: anything else, or anything another user put there, is refused.
    pub fn seal(&self) -> io::Result<()> {
        for name in self.names()? {
            match self.stat(&name)? {
                Some(m) if m.is_dir() => self.sub(&name)?.seal()?,
                Some(m) if m.is_file() => {
                    let file = self.open_file(&name)?;
                    if file.metadata()?.uid() != me() {
                        return Err(io::Error::other(format!(
                            "{} was replaced by another user",
                            self.join(&name).display()
                        )));
                    }
                    file.set_permissions(std::fs::Permissions::from_mode(0o444))?;
                }
                Some(_) => {
                    return Err(io::Error::other(format!(
                        "{} is neither a file nor a folder",
                        self.join(&name).display()
                    )));
                }
                None => {}
            }
        }
        self.set_own_mode(0o555)
    }

    /// Takes the exclusive lock of this folder without waiting; `false` when another
    /// process holds it. It is released when the folder is closed.
    pub fn try_lock(&self) -> io::Result<bool> {
        match rustix::fs::flock(&self.fd, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(true),
            Err(Errno::WOULDBLOCK) => Ok(false),
            Err(e) => Err(errno(e)),
        }
    }

    /// Removes `name` and everything in it, when it is this user's own: a folder of
    /// another user, or a file of another user outside this user's own folders, is
    /// refused. Read-only folders of this user are made writable through their own
    /// descriptor first; links are removed, never followed.
    pub fn remove_own(&self, name: impl AsRef<OsStr>) -> io::Result<()> {
        self.remove(name.as_ref(), true)
    }

    /// Removes `name` and everything in it, whoever owns it (root removing an upload
    /// folder of a teacher): folders are entered through descriptors, links are removed,
    /// never followed, and no mode is changed.
    pub fn remove_tree(&self, name: impl AsRef<OsStr>) -> io::Result<()> {
        self.remove(name.as_ref(), false)
    }

    fn remove(&self, name: &OsStr, own: bool) -> io::Result<()> {
        let Some(meta) = self.stat(name)? else {
            return Ok(());
        };
        if own && meta.uid != me() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} belongs to another user (uid {})",
                    self.join(name).display(),
                    meta.uid
                ),
            ));
        }
        if !meta.is_dir() {
            return self.remove_file(name);
        }
        let sub = self.sub(name)?;
        let now = sub.meta()?;
        if !now.same(&meta) {
            return Err(io::Error::other(format!(
                "{} was replaced while it was removed",
                sub.path.display()
            )));
        }
        if own && now.mode & 0o700 != 0o700 {
            rustix::fs::fchmod(&sub.fd, Mode::from_raw_mode(0o700)).map_err(errno)?;
        }
        for entry in sub.names()? {
            match sub.stat(&entry)? {
                Some(m) if m.is_dir() => sub.remove(&entry, own)?,
                Some(_) => sub.remove_file(&entry)?,
                None => {}
            }
        }
        rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR).map_err(errno)
    }

    /// Why `name` could not be opened, in words: another user's link or FIFO is the
    /// usual reason in a shared folder.
    fn explain(&self, name: &OsStr, e: Errno) -> io::Error {
        let path = self.join(name);
        match self.stat(name) {
            Ok(Some(m)) if m.kind == FileType::Symlink => io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} is a symbolic link, which is not followed",
                    path.display()
                ),
            ),
            Ok(Some(m)) if !m.is_dir() && !m.is_file() => not_regular(&path),
            _ => errno(e),
        }
    }
}

impl AsFd for Dir {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Opens the regular file `path` for reading: a link at its end is not followed, a FIFO
/// or device is refused without blocking. For files in folders others may write to (an
/// upload, a cache path) where the caller holds no folder descriptor.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(CWD, path, flags, Mode::empty()).map_err(|e| match e {
        Errno::LOOP => io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is a symbolic link, which is not followed",
                path.display()
            ),
        ),
        e => errno(e),
    })?;
    let st = rustix::fs::fstat(&fd).map_err(errno)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(not_regular(path));
    }
    let status = rustix::fs::fcntl_getfl(&fd).map_err(errno)?;
    rustix::fs::fcntl_setfl(&fd, status - OFlags::NONBLOCK).map_err(errno)?;
    Ok(File::from(fd))
}

fn not_regular(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{} is not a regular file or folder", path.display()),
    )
}

#[cfg(test)]
mod tests;
