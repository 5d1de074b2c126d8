//! Pre-warming on a PC with the store service, a real polkitd and real users: the store
//! fetches the VMs of the share's `presync` from the PC's own mount, verifies them, keeps
//! them, and reports what it holds where the server's `leovms-admin readiness` reads it.
//! Needs root.

#[path = "service/pc.rs"]
#[allow(dead_code)]
mod pc;

use std::path::{Path, PathBuf};

use leovms_image::archive::{Compression, pack};
use leovms_image::manifest::{Manifest, ManifestEntry};
use leovms_image::readiness::Report;
use leovms_testkit::{describe, noise};
use pc::{A, C, Pc, set_mode};
use serde_json::json;

/// The server's data folder below `<tmp>/server` (what `leovms-admin --root` reads),
/// standing in for the PC's mount of it.
fn share(pc: &Pc) -> PathBuf {
    pc.tmp.path().join("server/home/leovms/data")
}

/// The status folder: only the store's user may write it, as with the mount of docs/prewarm.md.
fn status(pc: &Pc) -> PathBuf {
    pc.tmp.path().join("status")
}

/// A PC whose store pre-warms from [`share`] and reports to [`status`].
fn prewarm_pc() -> Option<Pc> {
    let pc = Pc::new("limit_gb = 1\n")?;
    let share = share(&pc);
    std::fs::create_dir_all(&share).unwrap();
    for dir in share.ancestors().take(4) {
        set_mode(dir, 0o755);
    }
    std::fs::create_dir(status(&pc)).unwrap();
    std::os::unix::fs::chown(status(&pc), Some(pc.store_uid()), None).unwrap();
    std::fs::write(
        &pc.store.conf,
        format!(
            "limit_gb = 1\nshare = {:?}\nreport_dir = {:?}\n",
            share.display().to_string(),
            status(&pc).display().to_string()
        ),
    )
    .unwrap();
    Some(pc)
}

/// An archive of `files` at `dir/name`, readable by every user, as its manifest lists it.
async fn archive(dir: &Path, name: &str, files: &[(&str, Vec<u8>)]) -> ManifestEntry {
    let src = tempfile::tempdir().unwrap();
    let mut entries = Vec::new();
    for (file, bytes) in files {
        let at = src.path().join(file);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(&at, bytes).unwrap();
        entries.push((src.path().join(file), (*file).to_owned()));
    }
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let report = pack(&entries, &path, Compression::Zstd).await.unwrap();
    set_mode(&path, 0o644);
    ManifestEntry {
        path: name.into(),
        size: report.size,
        sha256: report.sha256,
        unpacked: Some(report.unpacked),
    }
}

/// Publishes `vm` with a base and the snapshot `standard`; returns the manifest entries.
async fn publish(share: &Path, vm: &str, seed: u64) -> Vec<ManifestEntry> {
    let dir = share.join(vm);
    let base = archive(&dir, "base.tar.zst", &[("disk.vdi", noise(2 << 20, seed))]).await;
    let snap = archive(
        &dir,
        "snapshots/standard/snapshot.tar.zst",
        &[("Snapshots/{0}.vdi", noise(1 << 20, seed + 1))],
    )
    .await;
    let files = vec![base, snap];
    write_manifest(&dir, &files);
    for sub in ["", "snapshots", "snapshots/standard"] {
        set_mode(&dir.join(sub), 0o755);
    }
    files
}

fn write_manifest(dir: &Path, files: &[ManifestEntry]) {
    let manifest = Manifest {
        files: files.to_vec(),
    };
    std::fs::write(dir.join("manifest.toml"), manifest.to_toml_string()).unwrap();
    set_mode(&dir.join("manifest.toml"), 0o644);
}

fn hex(e: &ManifestEntry) -> String {
    hex::encode(e.sha256)
}

fn host() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

fn report(pc: &Pc) -> Report {
    let file = status(pc).join(format!("{}.toml", host()));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}: {}", file.display()));
    Report::parse(&text, &file).unwrap()
}

/// The admin's view on the server: `leovms-admin readiness`.
fn admin_readiness(pc: &Pc) -> std::process::Output {
    std::process::Command::new(leovms_testkit::workspace_bin("leovms-admin"))
        .arg("--root")
        .arg(pc.tmp.path().join("server"))
        .args(["readiness", "--reports"])
        .arg(status(pc))
        .env("LANG", "C.UTF-8")
        .env_remove("LANGUAGE")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_prewarms_presync_verifies_it_and_reports_what_it_holds() {
    let Some(pc) = prewarm_pc() else {
        return;
    };
    let share = share(&pc);
    let good = publish(&share, "vm-a", 1).await;
    let mut bad = publish(&share, "vm-b", 3).await;
    // The share's copy of vm-b's base is not what its manifest says (a damaged copy).
    let published = bad[0].clone();
    bad[0].sha256 = [7; 32];
    write_manifest(&share.join("vm-b"), &bad);
    std::fs::write(
        share.join("leovms-client.conf"),
        "presync = [\"vm-a\", \"vm-b\"]\n",
    )
    .unwrap();
    set_mode(&share.join("leovms-client.conf"), 0o644);

    // A user who is not at the PC may not; a student at the PC may.
    let refused = pc.call(C, &["prewarm"]);
    assert_eq!(refused.error().0, "PermissionDenied", "{}", refused.out);
    assert!(pc.names("bases").is_empty());

    let first = pc.call(A, &["prewarm"]);
    let (kind, message) = first.error();
    assert_eq!(kind, "Integrity", "{}", first.out);
    assert!(
        message.starts_with("1 VM(s) not ready. vm-b: "),
        "{}",
        first.out
    );
    assert_eq!(
        first.phases(),
        ["unpack-base", "fetch", "unpack-base"],
        "{}",
        first.out
    );
    let (_, last_done, total) = first.progress.last().unwrap();
    assert_eq!(
        *total,
        good[0].size + good[1].size + bad[0].size + bad[1].size
    );
    assert!(*last_done <= *total);

    // vm-a is there, verified: its base unpacked, its snapshot's archive kept. Nothing
    // of vm-b, and nothing half-made under any name.
    assert_eq!(pc.names("bases"), [hex(&good[0])]);
    assert_eq!(pc.names("archives"), [hex(&good[1])]);
    assert_eq!(
        std::fs::read(pc.root.join("bases").join(hex(&good[0])).join("disk.vdi")).unwrap(),
        noise(2 << 20, 1)
    );

    let ready = pc.call(C, &["readiness"]);
    let vms = ready.ok().as_array().unwrap().clone();
    assert_eq!(vms[0], json!(["vm-a", true, ""]));
    assert_eq!((&vms[1][0], &vms[1][1]), (&json!("vm-b"), &json!(false)));
    assert!(
        vms[1][2].as_str().unwrap().contains("does not match"),
        "{}",
        ready.out
    );

    let said = report(&pc);
    assert_eq!(said.host, host());
    assert!(said.bases.contains(&hex(&good[0])), "{said:?}");
    assert_eq!(said.problems.keys().collect::<Vec<_>>(), ["vm-b"]);

    // The server's view: this PC has vm-a, not vm-b, and why.
    let out = admin_readiness(&pc);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    let row = table
        .lines()
        .find(|l| l.starts_with(&host()))
        .unwrap_or_else(|| panic!("{}", describe(&out)));
    assert!(row.contains("1/2"), "{table}");
    assert!(row.contains("vm-b (base.tar.zst"), "{table}");
    assert!(table.contains("vm-b: "), "{table}");

    // The admin republishes vm-b correctly: root pre-warms again, and everything is ready.
    bad[0] = published;
    write_manifest(&share.join("vm-b"), &bad);
    let again = pc.call("root", &["prewarm"]);
    again.ok();
    assert_eq!(again.phases(), ["unpack-base", "fetch"], "{}", again.out);
    let vms = pc.call(A, &["readiness"]).ok().clone();
    assert_eq!(vms, json!([["vm-a", true, ""], ["vm-b", true, ""]]));
    assert!(report(&pc).problems.is_empty());
    let out = admin_readiness(&pc);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2/2"));

    // Nothing left to do: a third pre-warm reads no archive.
    let third = pc.call(A, &["prewarm"]);
    third.ok();
    assert!(third.progress.is_empty(), "{}", third.out);

    // What the timer runs, and what a student not at the PC gets from it.
    let out = pc.run("root", "leovms-cli", &["prewarm"]);
    assert!(out.status.success(), "{}", describe(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Vec<&str>> = said
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    // Progress lines (not on a terminal: one per phase), then one line per VM.
    assert_eq!(
        lines[lines.len() - 2..],
        [["vm-a", "ready"], ["vm-b", "ready"]],
        "{said}"
    );
    let out = pc.run(C, "leovms-cli", &["prewarm"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("Not allowed (org.leovms.store.prewarm)"),
        "{said}"
    );
    let out = pc.run(C, "leovms-cli", &["prewarm", "--check"]);
    assert!(out.status.success(), "{}", describe(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_share_or_canceled_nothing_is_stored() {
    let Some(pc) = prewarm_pc() else {
        return;
    };
    let share = share(&pc);
    // The machine mount is not there.
    std::fs::remove_dir(&share).unwrap();
    let call = pc.call(A, &["prewarm"]);
    let (kind, message) = call.error();
    assert_eq!(kind, "Offline", "{}", call.out);
    assert!(message.contains("not mounted on this PC"), "{message}");
    let offline = pc.call(A, &["readiness"]);
    assert_eq!(offline.error().0, "Offline", "{}", offline.out);

    // Back, with a VM that is larger: canceled at its first progress, nothing stays.
    std::fs::create_dir(&share).unwrap();
    set_mode(&share, 0o755);
    let dir = share.join("vm-big");
    let base = archive(&dir, "base.tar.zst", &[("disk.vdi", noise(64 << 20, 9))]).await;
    write_manifest(&dir, std::slice::from_ref(&base));
    set_mode(&dir, 0o755);
    std::fs::write(share.join("leovms-client.conf"), "presync = [\"vm-big\"]\n").unwrap();
    set_mode(&share.join("leovms-client.conf"), 0o644);
    let call = pc.call(A, &["prewarm", "--cancel"]);
    let (kind, _) = call.error();
    assert_eq!(kind, "Canceled", "{}", call.out);
    assert!(pc.names("bases").is_empty(), "{:?}", pc.names("bases"));
    let vms = pc.call(A, &["readiness"]).ok().clone();
    assert_eq!((&vms[0][0], &vms[0][1]), (&json!("vm-big"), &json!(false)));
}

/// Writes the torrent of each archive in `files` next to it and lists it too.
fn with_torrents(dir: &Path, files: &[ManifestEntry]) -> Vec<ManifestEntry> {
    let mut listed = files.to_vec();
    for archive in files {
        let path = dir.join(&archive.path);
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let bytes = leovms_image::torrent::create(&path, &name, |_| {}).unwrap();
        let rel = format!("{}.torrent", archive.path);
        std::fs::write(dir.join(&rel), &bytes).unwrap();
        set_mode(&dir.join(&rel), 0o644);
        let (size, sha256) = leovms_image::manifest::sha256_file(&dir.join(&rel)).unwrap();
        listed.push(ManifestEntry {
            path: rel,
            size,
            sha256,
            unpacked: None,
        });
    }
    write_manifest(dir, &listed);
    listed
}

/// The room swarm on loopback: the server's seeder has the base only. The store fetches
/// the base from it, verifies and keeps it, takes the snapshot from the share when the
/// room gives nothing, and then shares the base with the next PC of the room.
#[tokio::test(flavor = "multi_thread")]
async fn with_a_room_swarm_the_store_fetches_from_peers_falls_back_and_shares() {
    use leovms_image::config::SwarmConf;
    use leovms_swarm::Swarm;
    use leovms_testkit::swarm::{fetch_from, free_port, loopback};
    use std::sync::Arc;
    use std::time::Duration;

    let Some(pc) = prewarm_pc() else {
        return;
    };
    let share = share(&pc);
    let vm_dir = share.join("vm-a");
    let files = publish(&share, "vm-a", 11).await;
    with_torrents(&vm_dir, &files);
    std::fs::write(share.join("leovms-client.conf"), "presync = [\"vm-a\"]\n").unwrap();
    set_mode(&share.join("leovms-client.conf"), 0o644);

    let (seed_port, store_port) = (free_port(), free_port());
    let seed_state = tempfile::tempdir().unwrap();
    let seeder_conf = SwarmConf {
        port: seed_port,
        ..SwarmConf::default()
    };
    let seeder = Swarm::start_seeder(seed_state.path(), &seeder_conf, &[loopback()])
        .await
        .unwrap();
    let base_torrent = std::fs::read(vm_dir.join("base.tar.zst.torrent")).unwrap();
    let base_file = std::fs::File::open(vm_dir.join("base.tar.zst")).unwrap();
    seeder
        .seed(base_torrent.clone().into(), Arc::new(base_file))
        .await
        .unwrap();
    std::fs::write(
        &pc.store.conf,
        format!(
            "limit_gb = 1\nshare = {:?}\nreport_dir = {:?}\n\n[swarm]\nseeders = [\"127.0.0.1:{seed_port}\"]\n\
             peers = [\"127.0.0.0/8\"]\nport = {store_port}\nroom_first_seconds = 0\nstall_seconds = 5\nseed_minutes = 1\n",
            share.display().to_string(),
            status(&pc).display().to_string()
        ),
    )
    .unwrap();

    let call = pc.call(A, &["prewarm"]);
    call.ok();
    // The base: from the room, verified, unpacked. The snapshot: the room has nothing
    // (its fetch gives up after the stall time), so the share.
    assert_eq!(
        call.phases(),
        ["fetch", "verify", "unpack-base", "fetch"],
        "{}",
        call.out
    );
    assert!(
        seeder.uploaded() >= files[0].size,
        "the seeder sent {}",
        seeder.uploaded()
    );
    assert_eq!(pc.names("bases"), [hex(&files[0])]);
    let mut archives = vec![hex(&files[0]), hex(&files[1])];
    archives.sort();
    assert_eq!(pc.names("archives"), archives);
    assert_eq!(
        std::fs::read(pc.root.join("bases").join(hex(&files[0])).join("disk.vdi")).unwrap(),
        noise(2 << 20, 11)
    );

    // The server's seeder goes away; the next PC of the room gets the base from this one.
    drop(seeder);
    let next = tempfile::tempdir().unwrap();
    let (_, fetched) = fetch_from(
        &base_torrent,
        store_port,
        next.path(),
        Duration::from_secs(20),
    )
    .await
    .unwrap();
    assert!(
        fetched == std::fs::read(vm_dir.join("base.tar.zst")).unwrap(),
        "the next PC did not get the base"
    );
}

/// With a room swarm a base's archive is kept beside the base, to share it. Where the
/// PC's limit has room for the base but not for both, the base comes from the share
/// instead and the VM is ready all the same.
#[tokio::test(flavor = "multi_thread")]
async fn without_room_to_keep_the_archive_too_the_base_comes_from_the_share() {
    use leovms_testkit::swarm::free_port;

    let Some(pc) = prewarm_pc() else {
        return;
    };
    let share = share(&pc);
    let files = publish(&share, "vm-a", 21).await;
    with_torrents(&share.join("vm-a"), &files);
    std::fs::write(share.join("leovms-client.conf"), "presync = [\"vm-a\"]\n").unwrap();
    set_mode(&share.join("leovms-client.conf"), 0o644);
    // The base (2 MiB unpacked) and the snapshot's archive fit, the base's archive too not.
    let (base, snapshot) = (files[0].unpacked.unwrap(), files[1].size);
    let limit = base + snapshot + files[0].size / 4;
    std::fs::write(
        &pc.store.conf,
        format!(
            "limit_gb = {}\nshare = {:?}\nreport_dir = {:?}\n\n[swarm]\npeers = [\"127.0.0.0/8\"]\n\
             port = {}\nroom_first_seconds = 0\nstall_seconds = 5\nseed_minutes = 0\n",
            limit as f64 / 1e9,
            share.display().to_string(),
            status(&pc).display().to_string(),
            free_port()
        ),
    )
    .unwrap();

    let call = pc.call(A, &["prewarm"]);
    call.ok();
    assert_eq!(
        call.phases().first(),
        Some(&"unpack-base"),
        "the base is read from the share at once: {}",
        call.out
    );
    assert_eq!(pc.names("bases"), [hex(&files[0])]);
    assert_eq!(
        pc.names("archives"),
        [hex(&files[1])],
        "no archive of the base"
    );
    let vms = pc.call(A, &["readiness"]).ok().clone();
    assert_eq!(vms, json!([["vm-a", true, ""]]));
}
