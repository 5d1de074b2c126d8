//! Archives that must never be unpacked, published with a truthful manifest (as a
//! compromised upload would be), and an archive damaged after publishing.

mod common;

use std::path::Path;

use common::{World, describe};
use leovms_image::manifest::{Manifest, sha256_file};

/// One tar member: name, type flag, content, link target.
type Member<'a> = (&'a str, u8, &'a [u8], &'a str);

/// A plain ustar stream, written by hand so that it can hold what no tar library writes.
fn ustar(members: &[Member<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, data, link) in members {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let octal = |h: &mut [u8; 512], at: usize, len: usize, v: u64| {
            let s = format!("{v:0width$o}", width = len - 1);
            h[at..at + len - 1].copy_from_slice(s.as_bytes());
        };
        octal(&mut h, 100, 8, 0o644);
        octal(&mut h, 108, 8, 0);
        octal(&mut h, 116, 8, 0);
        octal(&mut h, 124, 12, data.len() as u64);
        octal(&mut h, 136, 12, 0);
        h[156] = *kind;
        h[157..157 + link.len()].copy_from_slice(link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// Replaces vm-demo's base archive and republishes the manifest to match it.
fn publish_base(w: &World, tar: &[u8]) {
    let dir = w.data.join("vm-demo");
    let raw = w.tmp.path().join("base.tar");
    std::fs::write(&raw, tar).unwrap();
    let status = std::process::Command::new("zstd")
        .args(["-q", "-f", "-o"])
        .arg(dir.join("base.tar.zst"))
        .arg(&raw)
        .status()
        .unwrap();
    assert!(status.success());
    let manifest_path = dir.join("manifest.toml");
    let mut manifest = Manifest::load(&manifest_path).unwrap();
    let (size, sha256) = sha256_file(&dir.join("base.tar.zst")).unwrap();
    let entry = manifest
        .files
        .iter_mut()
        .find(|f| f.path == "base.tar.zst")
        .unwrap();
    entry.size = size;
    entry.sha256 = sha256;
    entry.unpacked = Some(tar.len() as u64);
    std::fs::write(&manifest_path, manifest.to_toml_string()).unwrap();
}

async fn refused(w: &mut World, error_id: &str) -> String {
    w.start_daemon().await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert_eq!(out.status.code(), Some(7), "{}", describe(&out));
    let jobs = w.cli_json(&["jobs"]);
    assert_eq!(jobs[0]["error_id"], error_id, "{jobs}");
    let vm_dir = w.machines.join("vm-demo");
    assert!(
        World::all_files(&vm_dir).is_empty(),
        "left behind: {:?}",
        World::all_files(&vm_dir)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn nowhere(root: &Path, name: &str) {
    let found: Vec<_> = World::all_files(root)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == name))
        .collect();
    assert!(found.is_empty(), "{name} was written: {found:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn start_refuses_an_archive_that_climbs_out_of_its_folder() {
    let mut w = World::new().await;
    publish_base(
        &w,
        &ustar(&[
            ("vm-demo.vdi", b'0', b"disk", ""),
            ("../../escaped.txt", b'0', b"evil", ""),
        ]),
    );
    let err = refused(&mut w, "org.leovms.Error.UnsafeArchive").await;
    assert!(err.contains("escaped.txt"), "{err}");
    nowhere(w.tmp.path(), "escaped.txt");
}

#[tokio::test(flavor = "multi_thread")]
async fn start_refuses_an_archive_with_an_absolute_path() {
    let mut w = World::new().await;
    let target = w.tmp.path().join("absolute-escape.txt");
    let name = target.to_string_lossy().into_owned();
    publish_base(&w, &ustar(&[(&name, b'0', b"evil", "")]));
    refused(&mut w, "org.leovms.Error.UnsafeArchive").await;
    assert!(!target.exists());
    nowhere(w.tmp.path(), "absolute-escape.txt");
}

#[tokio::test(flavor = "multi_thread")]
async fn start_refuses_an_archive_that_escapes_through_a_symlink() {
    let mut w = World::new().await;
    let outside = w.tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let link_target = outside.to_string_lossy().into_owned();
    publish_base(
        &w,
        &ustar(&[
            ("link", b'2', b"", &link_target),
            ("link/evil.txt", b'0', b"evil", ""),
        ]),
    );
    refused(&mut w, "org.leovms.Error.UnsafeArchive").await;
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn start_refuses_an_archive_damaged_after_publishing() {
    let mut w = World::new().await;
    let archive = w.data.join("vm-demo/base.tar.zst");
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&archive, &bytes).unwrap();
    let err = refused(&mut w, "org.leovms.Error.Integrity").await;
    assert!(err.contains("damaged") || err.contains("checksum"), "{err}");
}
