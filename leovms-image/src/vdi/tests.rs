use std::path::PathBuf;
use std::process::Command;

use super::*;

const MIB: u64 = 1 << 20;

fn id(n: u8) -> Uuid {
    Uuid::from_bytes([n; 16])
}

#[test]
fn dynamic_roundtrip_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("base.vdi");
    let uuid = Uuid::parse_str("01020304-0506-0708-090a-0b0c0d0e0f10").unwrap();
    create_dynamic(&path, 3 * MIB + 1, uuid).unwrap();
    let h = read_header(&path).unwrap();
    assert_eq!(h.kind, VdiKind::Normal);
    assert_eq!(
        (h.disk_size, h.block_size, h.blocks),
        (3 * MIB + 1, 1 << 20, 4)
    );
    assert_eq!(h.blocks_allocated, 0);
    assert_eq!(h.uuid, uuid);
    assert_eq!(h.parent, None);
    assert!(!h.uuid_modify.is_nil());

    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, 2 * MIB);
    assert!(bytes.starts_with(b"<<< Oracle VM VirtualBox Disk Image >>>\n\0"));
    assert_eq!(
        &bytes[0x40..0x50],
        &[
            0x7F, 0x10, 0xDA, 0xBE, 1, 0, 1, 0, 0x90, 1, 0, 0, 1, 0, 0, 0
        ]
    );
    assert_eq!(u32_at(&bytes, 0x154), 1 << 20);
    assert_eq!(u32_at(&bytes, 0x158), 2 << 20);
    // RTUUID: the first three fields little endian.
    assert_eq!(
        &bytes[0x188..0x198],
        &[4, 3, 2, 1, 6, 5, 8, 7, 9, 10, 11, 12, 13, 14, 15, 16]
    );
    assert_eq!(&bytes[MIB as usize..MIB as usize + 16], &[0xFF; 16]);
    assert!(bytes[MIB as usize + 16..].iter().all(|&b| b == 0));
    // Never overwrite an existing image.
    assert!(create_dynamic(&path, MIB, uuid).is_err());
    assert!(create_dynamic(&dir.path().join("zero.vdi"), 0, uuid).is_err());
}

#[test]
fn diff_and_set_parent() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.vdi");
    let diff = dir.path().join("diff.vdi");
    create_dynamic(&base, 10 * MIB, id(1)).unwrap();
    let parent = read_header(&base).unwrap();
    create_diff(&diff, &parent, id(2)).unwrap();
    let h = read_header(&diff).unwrap();
    assert_eq!(h.kind, VdiKind::Diff);
    assert_eq!(h.uuid, id(2));
    assert_eq!(h.parent, Some(id(1)));
    assert_eq!(h.parent_modify, parent.uuid_modify);
    assert_eq!(h.disk_size, 10 * MIB);
    set_parent(&diff, id(9)).unwrap();
    assert_eq!(read_header(&diff).unwrap().parent, Some(id(9)));
    assert!(set_parent(&dir.path().join("missing.vdi"), id(9)).is_err());
}

#[test]
fn refuses_broken_headers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.vdi");
    let err = read_header(&path).unwrap_err();
    assert!(matches!(err, VdiError::Io { .. }), "{err}");

    std::fs::write(&path, b"hello").unwrap();
    let err = read_header(&path).unwrap_err().to_string();
    assert!(
        err.contains("x.vdi is not a VirtualBox disk image (VDI): the file is too short"),
        "{err}"
    );

    create_dynamic(&dir.path().join("good.vdi"), MIB, id(1)).unwrap();
    let good = std::fs::read(dir.path().join("good.vdi")).unwrap();
    let corrupt = |off: usize, bytes: &[u8]| {
        let mut b = good.clone();
        b[off..off + bytes.len()].copy_from_slice(bytes);
        std::fs::write(&path, b).unwrap();
        read_header(&path).unwrap_err().to_string()
    };
    assert!(corrupt(0x40, &[0; 4]).contains("bad signature 0x00000000"));
    assert!(corrupt(0x44, &[1, 0, 2, 0]).contains("version 2.1, only 1.x"));
    assert!(corrupt(0x188, &[0; 16]).contains("is damaged: the image UUID is zero"));
    assert!(corrupt(0x4C, &[9, 0, 0, 0]).contains("unknown image type 9"));
    assert!(corrupt(0x184, &[2, 0, 0, 0]).contains("2 blocks allocated of only 1"));
    assert!(corrupt(0x170, &[0, 0, 0x20, 0]).contains("do not cover the disk size"));
}

#[test]
fn braced_uuids() {
    let u = Uuid::parse_str("6B60802B-0427-4B15-A2B1-BB86665E9B8C").unwrap();
    assert_eq!(braced(&u), "{6b60802b-0427-4b15-a2b1-bb86665e9b8c}");
    assert_eq!(
        parse_braced("{6B60802B-0427-4B15-A2B1-BB86665E9B8C}"),
        Some(u)
    );
    assert_eq!(parse_braced(&braced(&u)), Some(u));
    assert_eq!(parse_braced("6b60802b-0427-4b15-a2b1-bb86665e9b8c"), None);
    assert_eq!(parse_braced("{6b60802b04274b15a2b1bb86665e9b8c}"), None);
    assert_eq!(parse_braced("{urn:uuid:6b60802b-0427-4b15-a2b1-bb8}"), None);
}

/// vboxsim (the shared VBoxManage stand-in) is a dev-only cross-check.
fn vboxsim() -> Option<PathBuf> {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tools/vboxsim/VBoxManage");
    if tool.exists() {
        Some(tool)
    } else {
        println!(
            "skipped: {} not found (dev-only cross-check)",
            tool.display()
        );
        None
    }
}

fn run_vboxsim(tool: &Path, home: &Path, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(tool)
        .args(args)
        .env("VBOX_USER_HOME", home)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "vboxsim {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn vboxsim_accepts_our_images() {
    let Some(tool) = vboxsim() else { return };
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let base = dir.path().join("base.vdi");
    let diff = dir.path().join("diff.vdi");
    create_dynamic(&base, 64 * MIB, id(0x11)).unwrap();
    create_diff(&diff, &read_header(&base).unwrap(), id(0x22)).unwrap();
    let info = run_vboxsim(&tool, &home, &["showmediuminfo", base.to_str().unwrap()]);
    assert!(
        info.contains("UUID:           11111111-1111-1111-1111-111111111111"),
        "{info}"
    );
    assert!(info.contains("Format variant: dynamic default"), "{info}");
    assert!(info.contains("Capacity:       64 MBytes"), "{info}");
    let info = run_vboxsim(&tool, &home, &["showmediuminfo", diff.to_str().unwrap()]);
    assert!(
        info.contains("Parent UUID:    11111111-1111-1111-1111-111111111111"),
        "{info}"
    );
    assert!(
        info.contains("Format variant: differencing default"),
        "{info}"
    );
}

#[test]
fn headers_match_vboxsim_byte_for_byte() {
    let Some(tool) = vboxsim() else { return };
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (theirs, theirs_diff) = (dir.path().join("t.vdi"), dir.path().join("td.vdi"));
    let (ours, ours_diff) = (dir.path().join("o.vdi"), dir.path().join("od.vdi"));
    let size = (5 * MIB + 123).to_string();
    let t = theirs.to_str().unwrap();
    run_vboxsim(
        &tool,
        &home,
        &["createmedium", "disk", "--filename", t, "--sizebyte", &size],
    );
    run_vboxsim(
        &tool,
        &home,
        &[
            "createmedium",
            "disk",
            "--filename",
            theirs_diff.to_str().unwrap(),
            "--diffparent",
            t,
        ],
    );
    let parent = read_header(&theirs).unwrap();
    create_dynamic(&ours, parent.disk_size, parent.uuid).unwrap();
    create_diff(&ours_diff, &parent, read_header(&theirs_diff).unwrap().uuid).unwrap();
    for (a, b) in [(&theirs, &ours), (&theirs_diff, &ours_diff)] {
        let (mut a, mut b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
        assert_eq!(a.len(), b.len());
        // The pre-header text differs by VirtualBox version; uuidModify is random.
        for buf in [&mut a, &mut b] {
            buf[..0x40].fill(0);
            buf[OFF_UUID_MODIFY..OFF_UUID_MODIFY + 16].fill(0);
        }
        assert!(a == b, "headers differ");
    }
}
