//! Where changes go and whether they are made: the `--root` prefix and `--dry-run`.

use std::path::{Path, PathBuf};

use crate::l10n::fl;

/// The server's leovms home; everything leovms-admin keeps is below it.
pub const HOME: &str = "/home/leovms";

pub struct Ctx {
    root: PathBuf,
    pub dry_run: bool,
}

impl Ctx {
    pub fn new(root: Option<PathBuf>, dry_run: bool) -> Ctx {
        Ctx {
            root: root.unwrap_or_else(|| PathBuf::from("/")),
            dry_run,
        }
    }

    /// `abs` (an absolute server path such as `/etc/samba/smb.conf`) below the root.
    pub fn path(&self, abs: impl AsRef<Path>) -> PathBuf {
        let abs = abs.as_ref();
        self.root.join(abs.strip_prefix("/").unwrap_or(abs))
    }

    /// `--root` was given: system-wide steps (groups, reloading smbd) are left to the caller.
    pub fn is_prefixed(&self) -> bool {
        self.root != Path::new("/")
    }

    pub fn data(&self) -> PathBuf {
        self.path(HOME).join("data")
    }

    pub fn upload(&self) -> PathBuf {
        self.path(HOME).join("upload")
    }

    /// Announces one change, worded as what is done (`publish snapshot …`, in German
    /// with the verb last, so that "would" fits before it); returns whether to make it
    /// (false under `--dry-run`).
    pub fn change(&self, what: impl std::fmt::Display) -> bool {
        if self.dry_run {
            println!("{}", fl!("change-would", what = what.to_string()));
        } else {
            println!("{what}");
        }
        !self.dry_run
    }
}
