//! Finding the workspace's binaries and the external tools end-to-end tests need.

use std::path::{Path, PathBuf};

/// A finished command as a failed assertion shows it: exit code, stdout and stderr.
pub fn describe(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The names under which the VirtualBox test double acts as VirtualBox.
pub const VBOX_DOUBLE_NAMES: [&str; 3] = ["VBoxManage", "VirtualBoxVM", "VBoxHeadless"];

/// A binary of this workspace, built next to the running test executable
/// (`target/<profile>/<name>`; tests themselves live in `target/<profile>/deps/`).
///
/// Panics when it is missing: tests of one crate do not build the binaries of another.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test executable");
    let candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(name))
        .collect();
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{name} not found (looked at {candidates:?}): \
                 build the workspace first: cargo build --workspace"
            )
        })
}

/// Creates `<tmp>/vbox-double-bin/` holding `VBoxManage`, `VirtualBoxVM` and `VBoxHeadless`
/// as symlinks to `leovms-vbox-double`; put it first on `PATH` (or call the links directly).
pub fn vbox_double_dir(tmp: &Path) -> PathBuf {
    let double = workspace_bin("leovms-vbox-double");
    let dir = tmp.join("vbox-double-bin");
    std::fs::create_dir_all(&dir).expect("create the vbox double dir");
    for name in VBOX_DOUBLE_NAMES {
        let link = dir.join(name);
        if link.symlink_metadata().is_err() {
            std::os::unix::fs::symlink(&double, &link).expect("symlink the vbox double");
        }
    }
    dir
}

/// Whether the external tool `name` is on `PATH`. When it is not, prints a visible skip
/// reason and returns false; under CI (`CI=true`) a skipped test is a failure, so it panics.
pub fn require_tool(name: &str) -> bool {
    if find_in_path(name).is_some() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{name} is required under CI but not found on PATH");
    }
    eprintln!("SKIPPED: {name} not found on PATH; install it to run this test");
    false
}

/// The first executable file called `name` on `PATH`.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Under CI a test that cannot run is a failure; elsewhere it says why it skips.
pub fn skip_unless(condition: bool, reason: &str) -> bool {
    if condition {
        return false;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("cannot run under CI: {reason}");
    }
    eprintln!("SKIPPED: {reason}");
    true
}

/// Calls `ready` until it says yes or `limit` passed; short sleeps, since the external
/// processes the kit runs (smbd, cupsd, FUSE mounts) give no event to wait for.
pub(crate) fn wait_until(limit: std::time::Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if ready() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The names in folder `dir`, sorted (what `ls -A` shows); panics when it cannot be read.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sh_on_path() {
        assert!(find_in_path("sh").is_some());
        assert!(find_in_path("leovms-no-such-tool").is_none());
    }
}
