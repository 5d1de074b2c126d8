//! Who may read and change the published files. The PCs read the data share as any
//! user, so every folder must be open and every file readable for everyone; and what
//! everyone may change, any student could change for every PC.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use leovms_image::atomic::TMP_PREFIX;

use crate::error::{Error, Result};
use crate::l10n::fl;

/// One problem per file or folder below `data` (and `data` itself) whose mode is wrong.
pub fn check(data: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let meta = fs::metadata(data).map_err(|e| Error::io(data, e))?;
    judge(
        &data.display().to_string(),
        true,
        meta.permissions().mode(),
        &mut problems,
    );
    walk(data, "", &mut problems)?;
    Ok(problems)
}

fn walk(dir: &Path, prefix: &str, problems: &mut Vec<String>) -> Result<()> {
    let mut entries = fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Left by an interrupted command; the next publish or remove deletes it.
        if name.starts_with(TMP_PREFIX) {
            continue;
        }
        let rel = format!("{prefix}{name}");
        let meta = entry
            .path()
            .symlink_metadata()
            .map_err(|e| Error::io(entry.path(), e))?;
        let mode = meta.permissions().mode();
        if meta.is_dir() {
            judge(&rel, true, mode, problems);
            walk(&entry.path(), &format!("{rel}/"), problems)?;
        } else if meta.is_file() {
            judge(&rel, false, mode, problems);
        }
    }
    Ok(())
}

fn judge(rel: &str, dir: bool, mode: u32, problems: &mut Vec<String>) {
    let mode = mode & 0o7777;
    let (needed, fix) = if dir {
        (0o005, "0755")
    } else {
        (0o004, "0644")
    };
    let shown = format!("{mode:04o}");
    if mode & needed != needed {
        problems.push(if dir {
            fl!(
                "verify-mode-closed-dir",
                path = rel,
                mode = shown.as_str(),
                fix = fix
            )
        } else {
            fl!(
                "verify-mode-closed-file",
                path = rel,
                mode = shown.as_str(),
                fix = fix
            )
        });
    }
    if mode & 0o002 != 0 {
        problems.push(fl!(
            "verify-mode-open",
            path = rel,
            mode = shown.as_str(),
            fix = fix
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_that_keep_pcs_out_or_let_everyone_in_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path();
        fs::set_permissions(data, fs::Permissions::from_mode(0o755)).unwrap();
        fs::create_dir(data.join("vm")).unwrap();
        fs::set_permissions(data.join("vm"), fs::Permissions::from_mode(0o755)).unwrap();
        for (name, mode) in [("ok", 0o644), ("group", 0o660), ("open", 0o666)] {
            let path = data.join("vm").join(name);
            fs::write(&path, b"x").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        }
        fs::write(data.join(".leovms-tmp.x.1.1"), b"x").unwrap();
        fs::set_permissions(
            data.join(".leovms-tmp.x.1.1"),
            fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        let problems = check(data).unwrap();
        assert_eq!(
            problems,
            [
                "vm/group is not readable for everyone (mode 0660), so the PCs cannot read it \
                 (fix: chmod 0644)",
                "vm/open can be changed by everyone (mode 0666) (fix: chmod 0644)",
            ]
        );
        fs::set_permissions(data.join("vm"), fs::Permissions::from_mode(0o750)).unwrap();
        let problems = check(data).unwrap();
        assert!(problems[0].starts_with("vm is not open to everyone (mode 0750)"));
    }
}
