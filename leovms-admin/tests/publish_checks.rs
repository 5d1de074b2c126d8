//! `publish` refuses what the PCs refuse (archive entries, texts, disk chains) with the
//! PCs' own words, publishes with modes every PC can read, and `verify` reports modes
//! that keep the PCs out.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use async_compression::tokio::write::ZstdEncoder;
use leovms_image::archive::{self, Compression};
use leovms_image::vdi::{self, VdiHeader, VdiKind, braced};
use leovms_testkit::BASE_DISK_SIZE;
use leovms_testkit::tar::Member;
use leovms_testkit::upload::{
    SnapshotUpload, build_snapshot_upload, tree_digest, write_upload_manifest,
};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

mod common;
use common::{Server, assert_ok, describe};

impl Server {
    async fn snapshot_upload(&self, rel: &str, id: &str, name: &str) -> PathBuf {
        let dir = self.upload_dir(rel);
        build_snapshot_upload(&SnapshotUpload {
            dir: &dir,
            vm: "vm-demo",
            snapshot: id,
            name,
            uploader: "mueller",
            base_uuid: self.demo_base(),
            diff_parent: self.demo_base(),
        })
        .await
        .unwrap();
        dir
    }

    /// A snapshot upload whose archive holds `members` (name, content) exactly as given.
    async fn raw_snapshot_upload(&self, rel: &str, id: &str, members: &[(&str, &[u8])]) -> PathBuf {
        let dir = self.upload_dir(rel);
        let archive = dir.join(format!("snapshots/{id}/snapshot.tar.zst"));
        std::fs::create_dir_all(archive.parent().unwrap()).unwrap();
        std::fs::write(&archive, zstd(&ustar(members)).await).unwrap();
        write_snapshot_toml(&dir, id, self.demo_base(), "");
        write_upload_manifest(&dir).unwrap();
        dir
    }
}

fn write_snapshot_toml(dir: &Path, id: &str, base: Uuid, extra: &str) {
    let toml = format!(
        "format = 1\nkind = \"snapshot\"\nvm = \"vm-demo\"\nsnapshot = \"{id}\"\n\
         uploader = \"mueller\"\nbase_uuid = \"{}\"\n{extra}",
        braced(&base)
    );
    std::fs::write(dir.join("upload.toml"), toml).unwrap();
}

/// A plain ustar stream of regular files, written by hand so that it can hold what
/// `pack` refuses.
fn ustar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let members: Vec<Member<'_>> = files
        .iter()
        .map(|(name, data)| (*name, b'0', *data, ""))
        .collect();
    leovms_testkit::tar::ustar(&members)
}

async fn zstd(bytes: &[u8]) -> Vec<u8> {
    let mut enc = ZstdEncoder::new(Vec::new());
    enc.write_all(bytes).await.unwrap();
    enc.shutdown().await.unwrap();
    enc.into_inner()
}

/// A differencing disk of `parent` (a demo-sized base) in `dir`; returns path and UUID.
fn diff_disk(dir: &Path, parent: Uuid) -> (PathBuf, Uuid) {
    let base = VdiHeader {
        kind: VdiKind::Normal,
        disk_size: BASE_DISK_SIZE,
        block_size: 1 << 20,
        blocks: (BASE_DISK_SIZE >> 20) as u32,
        blocks_allocated: 0,
        uuid: parent,
        uuid_modify: Uuid::new_v4(),
        parent: None,
        parent_modify: Uuid::nil(),
    };
    let uuid = Uuid::new_v4();
    let path = dir.join(format!("{uuid}.vdi"));
    vdi::create_diff(&path, &base, uuid).unwrap();
    (path, uuid)
}

/// What a PC says about `archive`: the unpacker's rules, read without unpacking (the
/// formats crate checks that both say the same).
async fn client_refusal(archive: &Path) -> String {
    archive::scan(archive, 0, &mut |_| {})
        .await
        .unwrap_err()
        .to_string()
}

/// Refused with status 2, `words` on stderr, and neither data nor upload changed.
fn assert_refused(s: &Server, upload: &Path, words: &str) -> String {
    let data_before = tree_digest(&s.data());
    let upload_before = tree_digest(upload);
    let out = s.admin_umask_077(&["publish", upload.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains(words), "no \"{words}\" in: {}", describe(&out));
    assert_eq!(tree_digest(&s.data()), data_before, "data changed: {words}");
    assert_eq!(
        tree_digest(upload),
        upload_before,
        "upload changed: {words}"
    );
    err
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_the_pcs_refuse_are_refused_in_their_words() {
    let s = Server::new().await;
    let stage = tempfile::tempdir().unwrap();
    let (disk, uuid) = diff_disk(stage.path(), s.demo_base());
    let bytes = std::fs::read(&disk).unwrap();
    let name = format!("./Snapshots/{}.vdi", braced(&uuid));
    let upload = s
        .raw_snapshot_upload("mueller/dot", "dot", &[(&name, &bytes)])
        .await;
    let client = client_refusal(&upload.join("snapshots/dot/snapshot.tar.zst")).await;
    assert!(client.contains("has a \".\" in its path"), "{client}");
    let err = assert_refused(&s, &upload, &client);
    assert!(
        err.contains("mueller/dot/snapshots/dot/snapshot.tar.zst: the archive contains"),
        "{err}"
    );

    // Too many entries: refused by the same rule as on the PCs.
    let mut many: Vec<(String, &[u8])> = (0..1001).map(|i| (format!("f{i}"), &b""[..])).collect();
    many.push((format!("Snapshots/{}.vdi", braced(&uuid)), &bytes));
    let members: Vec<(&str, &[u8])> = many.iter().map(|(n, d)| (n.as_str(), *d)).collect();
    let upload = s
        .raw_snapshot_upload("mueller/many", "many", &members)
        .await;
    let client = client_refusal(&upload.join("snapshots/many/snapshot.tar.zst")).await;
    assert!(
        client.contains("more than 1000 files and folders"),
        "{client}"
    );
    assert_refused(&s, &upload, &client);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disk_that_is_its_own_parent_is_refused() {
    let s = Server::new().await;
    let stage = tempfile::tempdir().unwrap();
    let (disk, uuid) = diff_disk(stage.path(), s.demo_base());
    vdi::set_parent(&disk, uuid).unwrap();
    let upload = s.upload_dir("mueller/loop");
    let archive = upload.join("snapshots/loop/snapshot.tar.zst");
    std::fs::create_dir_all(archive.parent().unwrap()).unwrap();
    let name = format!("Snapshots/{}.vdi", braced(&uuid));
    archive::pack(&[(disk, name)], &archive, Compression::Zstd)
        .await
        .unwrap();
    write_snapshot_toml(&upload, "loop", s.demo_base(), "");
    write_upload_manifest(&upload).unwrap();
    assert_refused(&s, &upload, "its chain of parents leads back to itself");
}

#[tokio::test(flavor = "multi_thread")]
async fn texts_the_pcs_refuse_are_refused() {
    let s = Server::new().await;
    let upload = s.snapshot_upload("mueller/nul", "nul", "Lab\0 2028").await;
    assert_refused(
        &s,
        &upload,
        "mueller/nul/upload.toml:5: name: contains a control character (U+0000)",
    );
    // A value publish does not even copy anywhere.
    let upload = s.snapshot_upload("mueller/esc", "esc", "Lab 2028").await;
    let toml = std::fs::read_to_string(upload.join("upload.toml")).unwrap();
    let toml = toml.replace("\"pc-r101-07\"", "\"pc\\u001b[2J\"");
    std::fs::write(upload.join("upload.toml"), toml).unwrap();
    write_upload_manifest(&upload).unwrap();
    assert_refused(&s, &upload, "source_machine: contains a control character");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn published_files_are_readable_for_every_pc_whatever_the_upload_had() {
    let s = Server::new().await;
    let me = rustix::process::geteuid().as_raw();
    for (id, file_mode, dir_mode) in [("open", 0o666, 0o777), ("shared", 0o660, 0o2770)] {
        let upload = s
            .snapshot_upload(&format!("mueller/{id}"), id, "Lab 2028")
            .await;
        for file in ["upload.toml", "manifest.toml"] {
            set_mode(&upload.join(file), file_mode);
        }
        let archive = upload.join(format!("snapshots/{id}/snapshot.tar.zst"));
        set_mode(&archive, file_mode);
        set_mode(archive.parent().unwrap(), dir_mode);
        assert_ok(&s.admin_umask_077(&["publish", &format!("mueller/{id}")]));
        let dir = s.data().join("vm-demo/snapshots").join(id);
        assert_eq!(mode(&dir), 0o755, "{id}");
        for file in ["snapshot.tar.zst", "snapshot.conf"] {
            let path = dir.join(file);
            assert_eq!(mode(&path), 0o644, "{}", path.display());
            assert_eq!(std::fs::metadata(&path).unwrap().uid(), me);
        }
    }
    assert_eq!(mode(&s.data().join("vm-demo/manifest.toml")), 0o644);

    // A new machine: folders made by publish are 0755 too.
    let upload = s.upload_dir("admin/vm-copy");
    let win = s.data().join("vm-win");
    for rel in [
        "image.conf",
        "machine.vbox",
        "base.tar.zst",
        "snapshots/standard/snapshot.tar.zst",
    ] {
        let to = upload.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(win.join(rel), &to).unwrap();
        set_mode(&to, 0o660);
    }
    let toml = format!(
        "kind = \"vm\"\nvm = \"vm-copy\"\nsnapshot = \"standard\"\nuploader = \"admin\"\n\
         base_uuid = \"{}\"\n",
        s.share.vm("vm-win").base_uuid
    );
    std::fs::write(upload.join("upload.toml"), toml).unwrap();
    write_upload_manifest(&upload).unwrap();
    assert_ok(&s.admin_umask_077(&["publish", "admin/vm-copy"]));
    let vm = s.data().join("vm-copy");
    for dir in ["", "snapshots", "snapshots/standard"] {
        assert_eq!(mode(&vm.join(dir)), 0o755, "{dir}");
    }
    for (path, ..) in tree_digest(&vm) {
        assert_eq!(mode(&vm.join(&path)), 0o644, "{}", path.display());
    }
    let out = assert_ok(&s.admin_umask_077(&["verify"]));
    assert!(out.contains("everything is in order"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_reports_what_the_pcs_cannot_read() {
    let s = Server::new().await;
    assert_ok(&s.admin_umask_077(&["verify"]));
    set_mode(&s.data().join("vm-demo/base.tar.zst"), 0o600);
    set_mode(&s.data().join("vm-win/snapshots"), 0o700);
    set_mode(&s.data().join("vm-win/image.conf"), 0o666);
    let out = s.admin_umask_077(&["verify"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for problem in [
        "problem: vm-demo/base.tar.zst is not readable for everyone (mode 0600)",
        "problem: vm-win/snapshots is not open to everyone (mode 0700)",
        "problem: vm-win/image.conf can be changed by everyone (mode 0666)",
    ] {
        assert!(
            text.contains(problem),
            "no \"{problem}\" in: {}",
            describe(&out)
        );
    }
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("3 problem(s)"),
        "{}",
        describe(&out)
    );
}

/// An upload folder belongs to its teacher, and publish runs as root: a link there must
/// never make root read (and publish for every PC) a file the teacher cannot read, and a
/// FIFO must not make publish wait forever. (Files are also opened without following
/// links or blocking, for a link swapped in after this check.)
#[tokio::test(flavor = "multi_thread")]
async fn links_and_fifos_in_an_upload_are_refused_without_waiting() {
    let s = Server::new().await;
    let upload = s.snapshot_upload("mueller/link", "link", "Lab 2028").await;
    let archive = upload.join("snapshots/link/snapshot.tar.zst");
    let secret = s.root.path().join("secret.tar.zst");
    std::fs::rename(&archive, &secret).unwrap();
    set_mode(&secret, 0o600);
    std::os::unix::fs::symlink(&secret, &archive).unwrap();
    let allowed = "only regular files and folders are allowed";
    assert_refused(&s, &upload, allowed);

    std::fs::remove_file(&archive).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &archive,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o666),
        0,
    )
    .unwrap();
    // (The upload's digest would read the FIFO: only data is compared here.)
    let data_before = tree_digest(&s.data());
    let out = s.admin_umask_077(&["publish", upload.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(allowed),
        "{}",
        describe(&out)
    );
    assert_eq!(tree_digest(&s.data()), data_before);
    assert!(!s.data().join("vm-demo/snapshots/link").exists());
}
