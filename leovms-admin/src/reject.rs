//! `reject USER/FOLDER`: deletes an upload that will not be published (or an abandoned,
//! incomplete one) from the upload share. The share is writable by every member of
//! p_leovms, so nothing in it is trusted: the folders are opened through descriptors, a
//! symbolic link is removed itself and never followed, and nothing outside
//! `upload/USER/FOLDER` is touched.

use std::ffi::OsStr;
use std::path::Path;

use leovms_image::dirfd::Dir;
use leovms_image::layout::MANIFEST;

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::l10n::{fl, shown};
use crate::tree::{self, human_size};

/// `reject`; the help texts are `help-reject-*` in the catalogs.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_name = "USER/FOLDER")]
    pub upload: String,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}

/// `USER/FOLDER` split into its two plain names (one trailing `/` is allowed).
fn parse(arg: &str) -> Result<(&OsStr, &OsStr)> {
    let plain = |name: &str| !name.is_empty() && name != "." && name != "..";
    let trimmed = arg.strip_suffix('/').unwrap_or(arg);
    match trimmed.split('/').collect::<Vec<_>>().as_slice() {
        [user, folder] if plain(user) && plain(folder) => {
            Ok((OsStr::new(*user), OsStr::new(*folder)))
        }
        _ => Err(invalid(fl!(
            "reject-not-upload",
            quoted = format!("{arg:?}")
        ))),
    }
}

/// Files and bytes below `dir`, links not followed (what the admin is told).
#[derive(Default)]
struct Count {
    files: u64,
    bytes: u64,
    unreadable: bool,
}

fn count(dir: &Dir, depth: usize, into: &mut Count) {
    let Ok(names) = dir.names() else {
        into.unreadable = true;
        return;
    };
    for name in names {
        match dir.stat(&name) {
            Ok(Some(m)) if m.is_dir() && depth < 32 => match dir.sub(&name) {
                Ok(sub) => count(&sub, depth + 1, into),
                Err(_) => into.unreadable = true,
            },
            Ok(Some(m)) => {
                into.files += 1;
                if m.is_file() {
                    into.bytes += m.size;
                }
            }
            Ok(None) => {}
            Err(_) => into.unreadable = true,
        }
    }
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    let (user, folder) = parse(&args.upload)?;
    let name = Path::new(user).join(folder).display().to_string();
    let share = ctx.upload();
    let share_dir = Dir::open(&share).map_err(|e| Error::io(&share, e))?;
    let missing = || {
        invalid(fl!(
            "reject-no-upload",
            upload = name.as_str(),
            share = shown(&share)
        ))
    };
    let user_dir = match share_dir.stat(user).map_err(|e| Error::io(&share, e))? {
        None => return Err(missing()),
        Some(m) if m.is_dir() => share_dir.sub(user).map_err(|e| Error::io(&share, e))?,
        Some(_) => {
            return Err(invalid(fl!(
                "reject-user-not-folder",
                path = shown(share.join(user))
            )));
        }
    };
    // The same lock as publish: an upload is never deleted while it is being published.
    let _lock = tree::lock_data(ctx)?;
    let what = match user_dir.stat(folder).map_err(|e| Error::io(&share, e))? {
        None => return Err(missing()),
        Some(m) if m.is_dir() => {
            let dir = user_dir.sub(folder).map_err(|e| Error::io(&share, e))?;
            let mut found = Count::default();
            count(&dir, 0, &mut found);
            let complete = dir
                .stat(MANIFEST)
                .ok()
                .flatten()
                .is_some_and(|m| m.is_file());
            fl!(
                "change-reject",
                complete = if complete { "yes" } else { "no" },
                unreadable = if found.unreadable { "yes" } else { "no" },
                upload = name.as_str(),
                files = found.files,
                size = human_size(found.bytes)
            )
        }
        Some(_) => fl!("change-reject-link", upload = name.as_str()),
    };
    if ctx.change(what) {
        user_dir
            .remove_tree(folder)
            .map_err(|e| Error::io(share.join(&name), e))?;
        user_dir
            .sync()
            .map_err(|e| Error::io(share.join(user), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn only_user_slash_folder_is_an_upload() {
        assert!(parse("teach1/lab-20261126-1000").is_ok());
        assert!(parse("teach1/lab-20261126-1000/").is_ok());
        for bad in [
            "",
            "teach1",
            "/home/leovms/upload/teach1/lab",
            "teach1/../../data",
            "../teach1/lab",
            "teach1/./lab",
            "./teach1/lab",
            "teach1/lab/disk.vdi",
            "teach1//lab",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
