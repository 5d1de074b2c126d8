//! Where unpacked files wait for verification. Every path is resolved component by
//! component with `openat(O_NOFOLLOW)` relative to the target directory, so neither
//! a crafted archive nor a symbolic link planted in the target (even one swapped in
//! while we work) can redirect a write. Files go to temporaries; [`Staging::commit`]
//! renames them once the archive is verified, [`Staging::rollback`] removes them.
//!
//! Open files stay bounded: a file's descriptor belongs to the writer, which makes
//! the file durable and closes it as soon as it is complete (commit only renames).
//! Folders stay open until the end, at most [`super::rules::MAX_FOLDERS`] of them:
//! the rules refuse archives with more. Duplicate names are refused by the rules too.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::ArchiveError;
use super::writer::Output;
use crate::atomic::temp_name_for;

const THROUGH_LINK: &str = "passes through a symbolic link in the target folder";
const IS_LINK: &str = "would replace a symbolic link in the target folder";

/// Index into `Staging::dirs`.
type DirId = usize;

struct Temp {
    dir: DirId,
    tmp: String,
    name: String,
    rel: PathBuf,
    /// The final path, for messages.
    path: PathBuf,
}

pub(super) struct Staging {
    target: PathBuf,
    /// Open directories; index 0 is the target itself.
    dirs: Vec<OwnedFd>,
    /// Relative directory path (`a/b`) → its open descriptor.
    by_path: HashMap<String, DirId>,
    /// Directories this run created, in creation order: (parent, name).
    created: Vec<(DirId, String)>,
    target_created: bool,
    temps: Vec<Temp>,
}

fn errno_io(e: Errno) -> io::Error {
    io::Error::from_raw_os_error(e.raw_os_error())
}

impl Staging {
    /// Opens (creating it if needed) the target directory.
    pub fn open(target: &Path) -> Result<Self, ArchiveError> {
        let io_err = |e| ArchiveError::io(target, e);
        let target_created = match std::fs::symlink_metadata(target) {
            Ok(_) => false,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir_all(target).map_err(io_err)?;
                true
            }
            Err(e) => return Err(io_err(e)),
        };
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let root = rustix::fs::openat(CWD, target, flags, Mode::empty())
            .map_err(|e| io_err(errno_io(e)))?;
        Ok(Self {
            target: target.to_path_buf(),
            dirs: vec![root],
            by_path: HashMap::from([(String::new(), 0)]),
            created: Vec::new(),
            target_created,
            temps: Vec::new(),
        })
    }

    /// Opens or creates the directory `comps` (all of them directories).
    pub fn ensure_dir(&mut self, comps: &[String], entry: &str) -> Result<DirId, ArchiveError> {
        let mut id = 0;
        for i in 0..comps.len() {
            let key = comps[..=i].join("/");
            if let Some(&known) = self.by_path.get(&key) {
                id = known;
                continue;
            }
            id = self.open_dir(id, &comps[i], &key, entry)?;
            self.by_path.insert(key, id);
        }
        Ok(id)
    }

    fn open_dir(
        &mut self,
        parent: DirId,
        name: &str,
        key: &str,
        entry: &str,
    ) -> Result<DirId, ArchiveError> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let path = self.target.join(key);
        let open = |dirs: &[OwnedFd]| rustix::fs::openat(&dirs[parent], name, flags, Mode::empty());
        let fd = match open(&self.dirs) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => {
                rustix::fs::mkdirat(&self.dirs[parent], name, Mode::from_raw_mode(0o755))
                    .map_err(|e| ArchiveError::io(&path, errno_io(e)))?;
                self.created.push((parent, name.to_owned()));
                let fd =
                    open(&self.dirs).map_err(|e| self.classify(parent, name, &path, entry, e))?;
                // The umask must not decide the permissions.
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o755))
                    .map_err(|e| ArchiveError::io(&path, errno_io(e)))?;
                fd
            }
            Err(e) => return Err(self.classify(parent, name, &path, entry, e)),
        };
        self.dirs.push(fd);
        Ok(self.dirs.len() - 1)
    }

    /// Explains why a directory could not be opened: a symlink is an attack.
    fn classify(
        &self,
        parent: DirId,
        name: &str,
        path: &Path,
        entry: &str,
        e: Errno,
    ) -> ArchiveError {
        match rustix::fs::statat(&self.dirs[parent], name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode).is_symlink() => {
                ArchiveError::unsafe_shown(entry, THROUGH_LINK)
            }
            _ => ArchiveError::io(path, errno_io(e)),
        }
    }

    /// Creates the temporary that will become `comps` and returns it for writing;
    /// `entry` names it in messages.
    pub fn create_file(
        &mut self,
        comps: &[String],
        entry: &str,
    ) -> Result<Arc<Output>, ArchiveError> {
        let key = comps.join("/");
        let Some((name, parents)) = comps.split_last() else {
            return Err(ArchiveError::unsafe_shown(entry, "has an empty name"));
        };
        let dir = self.ensure_dir(parents, entry)?;
        let path = self.target.join(&key);
        match rustix::fs::statat(&self.dirs[dir], name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => match FileType::from_raw_mode(st.st_mode) {
                FileType::Symlink => return Err(ArchiveError::unsafe_shown(entry, IS_LINK)),
                FileType::Directory => {
                    let e = io::Error::from(io::ErrorKind::IsADirectory);
                    return Err(ArchiveError::io(&path, e));
                }
                _ => {}
            },
            Err(Errno::NOENT) => {}
            Err(e) => return Err(ArchiveError::io(&path, errno_io(e))),
        }
        // Built from valid text, so the conversion loses nothing.
        let tmp = temp_name_for(name.as_ref()).to_string_lossy().into_owned();
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mode = Mode::from_raw_mode(0o644);
        let create = |extra| rustix::fs::openat(&self.dirs[dir], tmp.as_str(), flags | extra, mode);
        // Direct I/O where the file system supports it (see `sparse`).
        let (fd, direct) = match create(OFlags::DIRECT) {
            Ok(fd) => (Ok(fd), true),
            Err(Errno::INVAL) => (create(OFlags::empty()), false),
            Err(e) => (Err(e), false),
        };
        let fd = fd.map_err(|e| ArchiveError::io(&path, errno_io(e)))?;
        let file = File::from(fd);
        self.temps.push(Temp {
            dir,
            tmp,
            name: name.clone(),
            rel: PathBuf::from(key),
            path: path.clone(),
        });
        rustix::fs::fchmod(&file, mode).map_err(|e| ArchiveError::io(&path, errno_io(e)))?;
        Ok(Arc::new(Output::new(file, path, direct)))
    }

    /// Gives every temporary (durable already: the writer synced it when it was
    /// complete) its final name, atomically replacing an older file, and makes the
    /// names durable. Returns the relative paths.
    pub fn commit(&mut self) -> Result<Vec<PathBuf>, ArchiveError> {
        let mut touched: Vec<DirId> = self.created.iter().map(|(parent, _)| *parent).collect();
        let mut files = Vec::with_capacity(self.temps.len());
        while !self.temps.is_empty() {
            let t = &self.temps[0];
            let dir = &self.dirs[t.dir];
            rustix::fs::renameat(dir, t.tmp.as_str(), dir, t.name.as_str())
                .map_err(|e| ArchiveError::io(&t.path, errno_io(e)))?;
            let t = self.temps.remove(0);
            touched.push(t.dir);
            files.push(t.rel);
        }
        // Created directories stay even if syncing fails: they now hold final files.
        self.created.clear();
        let target_created = std::mem::take(&mut self.target_created);
        touched.sort_unstable();
        touched.dedup();
        for id in touched {
            rustix::fs::fsync(&self.dirs[id])
                .map_err(|e| ArchiveError::io(&self.target, errno_io(e)))?;
        }
        if target_created {
            let parent = crate::atomic::parent_dir(&self.target);
            crate::atomic::fsync_dir(parent).map_err(|e| ArchiveError::io(parent, e))?;
        }
        Ok(files)
    }

    /// Removes the temporaries and the directories this run created (if empty).
    pub fn rollback(&mut self) {
        for t in self.temps.drain(..).rev() {
            let _ = rustix::fs::unlinkat(&self.dirs[t.dir], t.tmp.as_str(), AtFlags::empty());
        }
        for (parent, name) in self.created.drain(..).rev() {
            let _ = rustix::fs::unlinkat(&self.dirs[parent], name.as_str(), AtFlags::REMOVEDIR);
        }
        if std::mem::take(&mut self.target_created) {
            let _ = std::fs::remove_dir(&self.target);
        }
    }
}

impl Drop for Staging {
    /// A panic or an early return must not leave temporaries behind.
    fn drop(&mut self) {
        self.rollback();
    }
}
