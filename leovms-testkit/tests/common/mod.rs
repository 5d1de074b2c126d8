//! Shared by the integration tests; each test binary uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use async_compression::tokio::bufread::ZstdDecoder;
use futures_util::StreamExt;
use leovms_testkit::{DemoOptions, DemoShare, build_demo_share};
use tokio::io::BufReader;

pub const XSD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/VirtualBox-settings.xsd"
);

/// `(path, size)` of the regular files in a `.tar.zst`, in archive order.
pub async fn archive_files(archive: &Path) -> Vec<(String, u64)> {
    let file = tokio::fs::File::open(archive).await.expect("open archive");
    let mut tar = tokio_tar::Archive::new(ZstdDecoder::new(BufReader::new(file)));
    let mut entries = tar.entries().expect("tar entries");
    let mut out = Vec::new();
    while let Some(entry) = entries.next().await {
        let entry = entry.expect("tar entry");
        if entry.header().entry_type().is_file() {
            let path = entry
                .path()
                .expect("entry path")
                .to_string_lossy()
                .into_owned();
            out.push((path, entry.effective_size()));
        }
    }
    out
}

/// Extracts a `.tar.zst` into `dest`, independently of leovms-image's unpacker.
pub async fn extract(archive: &Path, dest: &Path) {
    tokio::fs::create_dir_all(dest).await.expect("create dest");
    let file = tokio::fs::File::open(archive).await.expect("open archive");
    let mut tar = tokio_tar::Archive::new(ZstdDecoder::new(BufReader::new(file)));
    tar.unpack(dest).await.expect("unpack archive");
}

/// Builds the demo share into `<tmp>/data` with `<tmp>/machines` as machines_dir.
pub async fn demo_share(tmp: &Path, foreign_snapshot: bool) -> DemoShare {
    let opts = DemoOptions {
        machines_dir: tmp.join("machines"),
        base_data_mib: 2,
        foreign_snapshot,
        ..Default::default()
    };
    build_demo_share(&tmp.join("data"), &opts)
        .await
        .expect("build demo share")
}

/// Lays out a VM as simply as VirtualBox accepts it: base and differencing disks of the
/// snapshot next to `<vm>.vbox` in `<machines>/<vm>/`. With `snapshot` other than the
/// template's, the template is remapped to that snapshot's diff, as the daemon does.
/// Returns the settings file.
pub async fn lay_out_machine(
    share: &DemoShare,
    machines: &Path,
    vm: &str,
    snapshot: &str,
) -> PathBuf {
    let demo = share.vm(vm);
    let src = share.data_dir.join(vm);
    let folder = machines.join(vm);
    extract(&src.join("base.tar.zst"), &folder).await;
    extract(
        &src.join(format!("snapshots/{snapshot}/snapshot.tar.zst")),
        &folder,
    )
    .await;
    let template = std::fs::read_to_string(src.join("machine.vbox")).expect("read template");
    let diff = demo.snapshot(snapshot);
    let settings = template.replace(&demo.template_diff_uuid.to_string(), &diff.to_string());
    let path = folder.join(format!("{vm}.vbox"));
    std::fs::write(&path, settings).expect("write settings");
    path
}

/// Runs a command and returns its output; stdout and stderr are echoed for failing tests.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    eprintln!(
        "$ {cmd:?}\n-> {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
