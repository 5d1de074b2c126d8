use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::*;
use crate::archive::{Expected, unpack};
use crate::manifest::{Manifest, sha256_file};

const MIB: usize = 1 << 20;

fn name(s: &str) -> SafeName {
    SafeName::new(s).unwrap()
}

fn spec(kind: UploadKind, files: Vec<UploadFile>) -> UploadSpec {
    UploadSpec {
        kind,
        vm: name("vm-win10"),
        snapshot: Some(name("lab-2028")),
        name: "Lab \"2028\"".into(),
        description: "With the new CAD software".into(),
        uploader: "mueller".into(),
        source_machine: "pc-r101-07".into(),
        base_uuid: Uuid::from_bytes([0x5f; 16]),
        files,
    }
}

/// Incompressible bytes: xorshift from `seed`.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn archive(path: &str, entries: &[(&Path, &str)]) -> UploadFile {
    UploadFile::Archive {
        path_in_upload: path.into(),
        entries: entries
            .iter()
            .map(|(p, n)| (p.to_path_buf(), n.to_string()))
            .collect(),
    }
}

/// Every file below `dir`, '/'-separated.
fn files_below(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let rel = format!("{prefix}{}", entry.file_name().to_str().unwrap());
        if entry.file_type().unwrap().is_dir() {
            files_below(&entry.path(), &format!("{rel}/"), out);
        } else {
            out.push(rel);
        }
    }
}

#[test]
fn upload_toml_is_the_documented_format() {
    let text = upload_toml(&spec(UploadKind::Snapshot, Vec::new()));
    assert_eq!(
        text,
        "format = 1\nkind = \"snapshot\"\nvm = \"vm-win10\"\nsnapshot = \"lab-2028\"\n\
         name = 'Lab \"2028\"'\ndescription = \"With the new CAD software\"\n\
         uploader = \"mueller\"\nsource_machine = \"pc-r101-07\"\n\
         base_uuid = \"{5f5f5f5f-5f5f-5f5f-5f5f-5f5f5f5f5f5f}\"\n"
    );
    let table: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(table["name"].as_str(), Some("Lab \"2028\""));
    let mut vm = spec(UploadKind::Vm, Vec::new());
    (vm.snapshot, vm.name) = (None, String::new());
    let table: toml::Table = toml::from_str(&upload_toml(&vm)).unwrap();
    assert_eq!(table["kind"].as_str(), Some("vm"));
    assert!(!table.contains_key("snapshot") && !table.contains_key("name"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_a_vm_upload_with_its_manifest_last() {
    let src = tempfile::tempdir().unwrap();
    let base = src.path().join("base.vdi");
    let mut disk = noise(3 * MIB, 1);
    disk.extend(vec![0u8; 2 * MIB]);
    fs::write(&base, &disk).unwrap();
    let diff = src.path().join("diff.vdi");
    fs::write(&diff, noise(MIB / 2, 2)).unwrap();
    let conf = src.path().join("image.conf");
    fs::write(&conf, "name = \"Windows 10\"\n").unwrap();
    let files = vec![
        UploadFile::Copy {
            path_in_upload: "image.conf".into(),
            source: CopySource::File(conf.clone()),
        },
        UploadFile::Copy {
            path_in_upload: "machine.vbox".into(),
            source: CopySource::Bytes(b"<VirtualBox/>\n".to_vec()),
        },
        archive("base.tar.zst", &[(&base, "base.vdi")]),
        archive("snapshots/lab-2028/snapshot.tar.zst", &[(&diff, "d.vdi")]),
    ];
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("lab-20261126-1000");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let on_progress = move |p: UploadProgress| record.lock().unwrap().push(p);
    let cancel = CancellationToken::new();
    let spec = spec(UploadKind::Vm, files);
    let report = write_upload(&dir, &spec, on_progress, &cancel)
        .await
        .unwrap();

    let total = (5 * MIB + MIB / 2) as u64 + 20 + 14;
    assert_eq!(report.source_bytes, total);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.last(), Some(&UploadProgress { done: total, total }));
    assert!(seen.windows(2).all(|w| w[0].done <= w[1].done), "{seen:?}");
    assert!(seen.len() >= 5, "{seen:?}");

    let manifest = Manifest::load(&dir.join(MANIFEST)).unwrap();
    assert_eq!(manifest, report.manifest);
    let mut found = Vec::new();
    files_below(&dir, "", &mut found);
    found.sort();
    let mut listed: Vec<_> = manifest.files.iter().map(|e| e.path.clone()).collect();
    listed.push(MANIFEST.into());
    listed.sort();
    assert_eq!(found, listed);
    for entry in &manifest.files {
        let (size, sha) = sha256_file(&dir.join(&entry.path)).unwrap();
        assert_eq!((size, sha), (entry.size, entry.sha256), "{}", entry.path);
    }
    let toml_text = fs::read_to_string(dir.join(UPLOAD_TOML)).unwrap();
    assert_eq!(toml_text, upload_toml(&spec));
    assert_eq!(
        fs::read(dir.join("image.conf")).unwrap(),
        fs::read(&conf).unwrap()
    );

    let entry = manifest.get("base.tar.zst").unwrap();
    assert_eq!(entry.unpacked, Some(5 * MIB as u64));
    let expected = Expected {
        size: entry.size,
        sha256: entry.sha256,
        unpacked: 5 * MIB as u64,
    };
    let back = tempfile::tempdir().unwrap();
    unpack(
        &dir.join("base.tar.zst"),
        &expected,
        back.path(),
        &|_| {},
        &cancel,
    )
    .await
    .unwrap();
    assert_eq!(fs::read(back.path().join("base.vdi")).unwrap(), disk);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_midway_leaves_nothing() {
    let src = tempfile::tempdir().unwrap();
    let disk = src.path().join("d.vdi");
    fs::write(&disk, noise(8 * MIB, 3)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("up");
    let cancel = CancellationToken::new();
    let calls = Arc::new(Mutex::new(0));
    let (token, counter) = (cancel.clone(), calls.clone());
    let on_progress = move |_| {
        *counter.lock().unwrap() += 1;
        token.cancel();
    };
    let files = vec![archive(
        "snapshots/lab-2028/snapshot.tar.zst",
        &[(&disk, "d.vdi")],
    )];
    let spec = spec(UploadKind::Snapshot, files);
    let e = write_upload(&dir, &spec, on_progress, &cancel).await;
    assert!(matches!(e, Err(UploadError::Canceled)), "{e:?}");
    assert!(!dir.exists());
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);
    assert_eq!(*calls.lock().unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_failed_uploads_leave_nothing() {
    let src = tempfile::tempdir().unwrap();
    let disk = src.path().join("d.vdi");
    fs::write(&disk, noise(MIB, 4)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("up");
    let cancel = CancellationToken::new();
    let snapshot = |entries: &[(&Path, &str)]| {
        spec(
            UploadKind::Snapshot,
            vec![archive("snapshots/lab-2028/snapshot.tar.zst", entries)],
        )
    };
    let run = |spec: UploadSpec| {
        let (dir, cancel) = (dir.clone(), cancel.clone());
        async move { write_upload(&dir, &spec, |_| {}, &cancel).await }
    };

    let mut no_id = snapshot(&[(&disk, "d.vdi")]);
    no_id.snapshot = None;
    let e = run(no_id).await.unwrap_err().to_string();
    assert!(e.contains("a snapshot upload needs a snapshot id"), "{e}");
    let mut wrong_place = snapshot(&[(&disk, "d.vdi")]);
    wrong_place.files = vec![archive("snapshots/other/snapshot.tar.zst", &[(&disk, "d")])];
    let e = run(wrong_place).await.unwrap_err().to_string();
    assert!(
        e.contains("holds exactly snapshots/lab-2028/snapshot.tar.zst"),
        "{e}"
    );
    let e = run(snapshot(&[(&disk, "../d.vdi")])).await.unwrap_err();
    assert!(matches!(e, UploadError::BadSpec(_)), "{e}");
    let missing = src.path().join("missing.vdi");
    let e = run(snapshot(&[(&missing, "d.vdi")])).await.unwrap_err();
    assert!(
        matches!(&e, UploadError::Io { path, .. } if *path == missing),
        "{e}"
    );
    // Fails while packing, after upload.toml was written.
    let e = run(snapshot(&[(&disk, "d.vdi"), (src.path(), "dir")]))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, UploadError::Io { path, .. } if path == src.path()),
        "{e}"
    );
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);

    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("keep"), b"x").unwrap();
    let e = run(snapshot(&[(&disk, "d.vdi")])).await.unwrap_err();
    assert!(matches!(&e, UploadError::Exists(d) if *d == dir), "{e}");
    assert!(dir.join("keep").exists());
}

#[test]
fn full_disks_and_refusals_are_told_apart() {
    let (dir, file) = (PathBuf::from("/up/x"), PathBuf::from("/up/x/base.tar.zst"));
    let os = io::Error::from_raw_os_error;
    let e = UploadError::io(&file, &dir, os(rustix::io::Errno::NOSPC.raw_os_error()));
    assert!(
        matches!(&e, UploadError::NoSpace { folder } if *folder == dir),
        "{e}"
    );
    let e = UploadError::io(&file, &dir, os(rustix::io::Errno::DQUOT.raw_os_error()));
    assert!(matches!(e, UploadError::NoSpace { .. }), "{e}");
    for errno in [rustix::io::Errno::ACCESS, rustix::io::Errno::PERM] {
        let e = UploadError::io(&file, &dir, os(errno.raw_os_error()));
        assert!(matches!(e, UploadError::PermissionDenied { .. }), "{e}");
    }
    // Reading a source the user may not read is a plain error naming that file.
    let source = Path::new("/home/anna/secret.vdi");
    let e = UploadError::io(source, &dir, os(rustix::io::Errno::ACCESS.raw_os_error()));
    assert!(
        matches!(&e, UploadError::Io { path, .. } if path == source),
        "{e}"
    );
}
