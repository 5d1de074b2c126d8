//! `kill -9` of `leovms-admin` in the middle of writing to data: no VM appears under its
//! final name, and the next command that writes to data removes what was left.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use leovms_testkit::leoclient2::{Leoclient2Options, build_leoclient2_vm};

fn leftovers(data: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".leovms-tmp")
        })
        .collect()
}

#[test]
fn an_import_killed_midway_leaves_nothing_the_next_run_keeps() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let data = root.join("home/leovms/data");
    std::fs::create_dir_all(&data).unwrap();
    // Big enough that unpacking and packing take a while.
    let old = build_leoclient2_vm(
        &tmp.path().join("old"),
        &Leoclient2Options {
            base_data_mib: 384,
            ..Default::default()
        },
    )
    .unwrap();
    let import = |id: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leovms-admin"));
        // English, whatever the caller's locale: the assertions read English.
        for var in ["LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"] {
            cmd.env_remove(var);
        }
        cmd.arg("--root")
            .arg(&root)
            .args(["import-leoclient2", old.dir.to_str().unwrap(), "--id", id])
            .stdin(Stdio::null());
        cmd
    };

    let mut child = import("vm-xp")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for its staging folder to hold data, then kill it.
    let deadline = Instant::now() + Duration::from_secs(120);
    let staged = loop {
        let found = leftovers(&data)
            .into_iter()
            .find(|d| walk_size(d) > 1 << 20);
        if let Some(dir) = found {
            break dir;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it could be killed"
        );
        assert!(Instant::now() < deadline, "no staging folder appeared");
        std::thread::sleep(Duration::from_millis(5));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(staged.exists());
    assert!(
        !data.join("vm-xp").exists(),
        "a half import under the final name"
    );

    // The next import removes the leftover and completes.
    let out = import("vm-xp").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(&format!(
            "removed {}, left by an interrupted command",
            staged.display()
        )),
        "{said}"
    );
    assert_eq!(leftovers(&data), Vec::<PathBuf>::new());
    assert!(data.join("vm-xp/manifest.toml").exists());
}

/// Bytes of the files below `dir`.
fn walk_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => walk_size(&p),
                _ => e.metadata().map_or(0, |m| m.len()),
            }
        })
        .sum()
}
