//! The folders of the data tree: created when missing, owners and modes corrected.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use leovms_image::atomic::fsync_dir;

use super::GROUP;
use super::group::GroupState;
use super::steps::Steps;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};

/// A folder as setup wants it.
pub struct Folder {
    pub path: PathBuf,
    pub mode: u32,
    /// `None` under `--root`: the trial tree belongs to whoever runs it.
    pub uid: Option<u32>,
    pub gid: Option<GroupId>,
}

#[derive(Clone, Copy)]
pub enum GroupId {
    Root,
    Upload,
}

pub fn ensure_folder(steps: &mut Steps, folder: &Folder, upload: GroupState) -> Result<()> {
    let path = &folder.path;
    let (gid, group_name) = match (folder.gid, upload) {
        (None, _) | (Some(GroupId::Upload), GroupState::Missing) => (None, None),
        (Some(GroupId::Root), _) => (Some(0), Some("root")),
        (Some(GroupId::Upload), GroupState::Exists(gid)) => (Some(gid), Some(GROUP)),
        // Dry run only: nothing is changed, so no id is needed.
        (Some(GroupId::Upload), GroupState::WouldCreate) => (Some(u32::MAX), Some(GROUP)),
    };
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(path, e)),
    };
    let Some(meta) = meta else {
        let mode = format!("{:04o}", folder.mode);
        let what = if folder.uid.is_some() || group_name.is_some() {
            fl!(
                "change-create-folder-owned",
                path = shown(path),
                mode = mode,
                owner = format!(
                    "{}:{}",
                    folder.uid.map_or("-", |_| "root"),
                    group_name.unwrap_or("-")
                )
            )
        } else {
            fl!("change-create-folder", path = shown(path), mode = mode)
        };
        if steps.change(what) {
            fs::create_dir_all(path).map_err(|e| Error::io(path, e))?;
            set_owner_and_mode(path, folder.uid, gid, folder.mode)?;
            fsync_dir(path.parent().unwrap_or(Path::new("/"))).map_err(|e| Error::io(path, e))?;
        }
        return Ok(());
    };
    if !meta.is_dir() {
        return Err(Error::Invalid(fl!(
            "setup-not-a-folder",
            path = shown(path)
        )));
    }
    let wrong_uid = folder.uid.filter(|&uid| uid != meta.uid());
    let wrong_gid = gid.filter(|&gid| gid != meta.gid());
    if (wrong_uid.is_some() || wrong_gid.is_some())
        && steps.change(fl!(
            "change-owner",
            path = shown(path),
            owner = format!(
                "{}:{}",
                folder.uid.map_or("-", |_| "root"),
                group_name.unwrap_or("-")
            ),
            was = format!("{}:{}", meta.uid(), meta.gid())
        ))
    {
        std::os::unix::fs::chown(path, wrong_uid, wrong_gid).map_err(|e| Error::io(path, e))?;
    }
    // After chown, which may clear the setgid bit.
    let mode = fs::symlink_metadata(path)
        .map_err(|e| Error::io(path, e))?
        .mode()
        & 0o7777;
    if mode != folder.mode
        && steps.change(fl!(
            "change-mode",
            path = shown(path),
            mode = format!("{:04o}", folder.mode),
            was = format!("{mode:04o}")
        ))
    {
        fs::set_permissions(path, fs::Permissions::from_mode(folder.mode))
            .map_err(|e| Error::io(path, e))?;
    }
    Ok(())
}

fn set_owner_and_mode(path: &Path, uid: Option<u32>, gid: Option<u32>, mode: u32) -> Result<()> {
    if uid.is_some() || gid.is_some() {
        std::os::unix::fs::chown(path, uid, gid).map_err(|e| Error::io(path, e))?;
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| Error::io(path, e))
}
