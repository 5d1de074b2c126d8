//! A client mount of the test server through smbnetfs (FUSE), as a given user.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tempfile::TempDir;

use super::util::{run, set_mode, wait_until};
use super::{Samba, SmbUser};
use crate::users::LocalUser;

/// An smbnetfs mount of `//127.0.0.1` as one user, with a home of its own for
/// `~/.smb/smbnetfs.conf`. Unmounted when dropped.
#[derive(Debug)]
pub struct SmbMount {
    // Option: a mount point that cannot be unmounted is kept, never removed recursively
    // (that would delete through the mount, on the server).
    mnt: Option<TempDir>,
    mnt_path: PathBuf,
    _home: TempDir,
    mounted: bool,
}

impl SmbMount {
    /// Mounts the server of `samba` and returns once the kernel lists the mount.
    pub fn mount(samba: &Samba, user: SmbUser) -> io::Result<SmbMount> {
        SmbMount::mount_by(samba, user, None)
    }

    /// Like [`SmbMount::mount`], but for the local user `owner`: the mount point is in a
    /// folder only `owner` may enter (as a login's per-user mount), and the mount lets
    /// users other than root in (`allow_other`; `/dev/fuse` is often root's only, so
    /// root mounts it). What the share allows is still decided by `user`'s password.
    pub fn mount_as(samba: &Samba, user: SmbUser, owner: &LocalUser) -> io::Result<SmbMount> {
        SmbMount::mount_by(samba, user, Some(owner))
    }

    fn mount_by(samba: &Samba, user: SmbUser, owner: Option<&LocalUser>) -> io::Result<SmbMount> {
        let home = tempfile::Builder::new()
            .prefix("leovms-smbhome.")
            .tempdir()?;
        let smb = home.path().join(".smb");
        std::fs::create_dir(&smb)?;
        let conf = smb.join("smbnetfs.conf");
        std::fs::write(
            &conf,
            format!(
                "auth \"127.0.0.1\" \"{}\" \"{}\"\nhost 127.0.0.1 visible=true\n",
                user.name, user.password
            ),
        )?;
        set_mode(&conf, 0o600)?;
        std::os::unix::fs::symlink(samba.conf(), smb.join("smb.conf"))?;
        let mnt = tempfile::Builder::new()
            .prefix("leovms-smbmnt.")
            .tempdir()?;
        let mut smbnetfs = Command::new("smbnetfs");
        let mnt_path = match owner {
            Some(owner) => {
                std::os::unix::fs::chown(mnt.path(), Some(owner.uid), Some(owner.gid))?;
                let inner = mnt.path().join("mnt");
                std::fs::create_dir(&inner)?;
                smbnetfs.args(["-o", "allow_other"]);
                inner
            }
            None => mnt.path().to_owned(),
        };
        run(smbnetfs.arg(&mnt_path).env("HOME", home.path()))?;
        let mut mount = SmbMount {
            mnt: Some(mnt),
            mnt_path,
            _home: home,
            mounted: true,
        };
        if !wait_until(Duration::from_secs(10), || mount.is_mounted()) {
            mount.mounted = false;
            return Err(io::Error::other("smbnetfs did not mount"));
        }
        Ok(mount)
    }

    /// The mount point; servers appear below it as `<host>/<share>`.
    pub fn path(&self) -> &Path {
        &self.mnt_path
    }

    /// Where `share` of 127.0.0.1 appears: `<mount point>/127.0.0.1/<share>`.
    pub fn share_path(&self, share: &str) -> PathBuf {
        self.mnt_path.join("127.0.0.1").join(share)
    }

    /// Whether the mount point is in this process's mount table.
    pub fn is_mounted(&self) -> bool {
        let needle = format!(" {} ", escape_mount_point(&self.mnt_path));
        std::fs::read_to_string("/proc/self/mountinfo").is_ok_and(|t| t.contains(&needle))
    }

    /// `fusermount -u` ("the share is gone" for the client); lazily when busy.
    pub fn unmount(&mut self) -> io::Result<()> {
        if !self.mounted {
            return Ok(());
        }
        let plain = run(Command::new("fusermount").arg("-u").arg(&self.mnt_path));
        if plain.is_err() && self.is_mounted() {
            run(Command::new("fusermount").arg("-uz").arg(&self.mnt_path))?;
        }
        self.mounted = false;
        Ok(())
    }
}

impl Drop for SmbMount {
    fn drop(&mut self) {
        let _ = self.unmount();
        if self.is_mounted()
            && let Some(mnt) = self.mnt.take()
        {
            let kept = mnt.keep();
            eprintln!("could not unmount {}; left in place", kept.display());
        }
    }
}

/// The mount point as `/proc/self/mountinfo` writes it.
fn escape_mount_point(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            ' ' | '\t' | '\n' | '\\' => out.push_str(&format!("\\{:03o}", c as u32)),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_are_escaped_like_the_kernel_does() {
        let escaped = escape_mount_point(Path::new("/tmp/a b\\c"));
        assert_eq!(escaped, "/tmp/a\\040b\\134c");
    }
}
