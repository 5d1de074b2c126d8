//! `seed` on loopback: the server shares every published archive whose torrent the
//! manifest lists, a PC's swarm engine fetches one from it, a removed VM is no longer
//! shared, a file published again is shared anew, a torrent that is not what the
//! manifest says and an archive that is not what its torrent says are refused (each
//! told once), and SIGTERM ends it cleanly, at once even while an archive is checked.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use leovms_testkit::swarm::{fetch_from, free_port};
use leovms_testkit::upload::write_upload_manifest;
use rustix::process::{Pid, Signal, kill_process};

mod common;
use common::{Server, assert_ok};

/// The most a test waits for one line of the seeder (a rescan is every second).
const PATIENCE: Duration = Duration::from_secs(60);

/// Publishes the demo VM `from` once more as `vm`, through an upload of its base and its
/// snapshot `standard`; publish writes the torrents.
fn publish_copy(s: &Server, from: &str, vm: &str) {
    let upload = s.upload_dir(&format!("admin/{vm}"));
    for rel in [
        "image.conf",
        "machine.vbox",
        "base.tar.zst",
        "snapshots/standard/snapshot.tar.zst",
    ] {
        let to = upload.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(s.data().join(from).join(rel), to).unwrap();
    }
    let toml = format!(
        "kind = \"vm\"\nvm = \"{vm}\"\nsnapshot = \"standard\"\nuploader = \"admin\"\n\
         base_uuid = \"{}\"\n",
        s.share.vm(from).base_uuid
    );
    std::fs::write(upload.join("upload.toml"), toml).unwrap();
    write_upload_manifest(&upload).unwrap();
    assert_ok(&s.admin(&["publish", &format!("admin/{vm}")]));
}

/// A running `leovms-admin seed`; its stdout comes line by line through a channel, so
/// that a test waits for a line with a deadline.
struct Seeder {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: Option<JoinHandle<String>>,
}

/// How a seeder ended.
struct Stopped {
    status: ExitStatus,
    stdout: Vec<String>,
    stderr: String,
}

impl Seeder {
    /// `leovms-admin --root ROOT seed` on `port` with 2 slots, for loopback peers, looking
    /// at the data tree every second.
    fn on_loopback(root: &Path, lang: &str, port: u16) -> Seeder {
        let port = port.to_string();
        let args = [
            "--port",
            &port,
            "--slots",
            "2",
            "--peers",
            "127.0.0.0/8",
            "--rescan",
            "1",
        ];
        Seeder::start(root, lang, &args)
    }

    /// `leovms-admin --root ROOT seed ARGS` with `LANG` set to `lang` and no other locale
    /// variable.
    fn start(root: &Path, lang: &str, args: &[&str]) -> Seeder {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leovms-admin"));
        for var in ["LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"] {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .env("LANG", lang)
            .arg("--root")
            .arg(root)
            .arg("seed")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Seeder {
            child,
            lines,
            seen: Vec::new(),
            stderr: Some(stderr),
        }
    }

    /// The next line starting with `start`; the lines before it are kept in `seen`.
    fn wait_for(&mut self, start: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(start) {
                        return line;
                    }
                }
                Err(e) => panic!(
                    "no line starting with {start:?} ({e}); stdout:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// SIGTERM, then everything it said until it ended.
    fn stop(&mut self) -> Stopped {
        kill_process(Pid::from_child(&self.child), Signal::TERM).unwrap();
        self.ended()
    }

    /// Everything it said until it ended by itself.
    fn ended(&mut self) -> Stopped {
        // Its stdout closes when it ends.
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("still running; stdout:\n{}", self.seen.join("\n"))
                }
            }
        }
        let status = self.child.wait().unwrap();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        Stopped {
            status,
            stdout: self.seen.clone(),
            stderr,
        }
    }
}

impl Drop for Seeder {
    // A failed test leaves no seeder running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Flips one byte in the middle of `path`; its size stays.
fn damage(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(path, bytes).unwrap();
}

/// The files `pid` holds open that were deleted.
fn deleted_but_open(pid: u32) -> Vec<String> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap();
    let targets = fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok());
    targets
        .map(|t| t.display().to_string())
        .filter(|t| t.ends_with(" (deleted)"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_shares_published_archives_with_a_pc_until_they_are_removed() {
    let s = Server::new().await;
    publish_copy(&s, "vm-win", "vm-copy");
    publish_copy(&s, "vm-demo", "vm-other");
    // vm-other's base torrent no longer matches its manifest.
    let altered = s.data().join("vm-other/base.tar.zst.torrent");
    let mut bytes = std::fs::read(&altered).unwrap();
    let in_pieces = bytes.len() - 3;
    bytes[in_pieces] ^= 0xff;
    std::fs::write(&altered, bytes).unwrap();
    // vm-other's snapshot archive no longer matches its torrent: the engine refuses it.
    damage(
        &s.data()
            .join("vm-other/snapshots/standard/snapshot.tar.zst"),
    );

    let port = free_port();
    let mut seeder = Seeder::on_loopback(s.root.path(), "C.UTF-8", port);
    let pid = seeder.child.id();
    assert_eq!(
        seeder.wait_for("Sharing"),
        format!(
            "Sharing with the PCs on TCP port {port}, 2 at a time per archive. Peers: 127.0.0.0/8"
        )
    );
    let line = seeder.wait_for("sharing vm-copy/base.tar.zst");
    assert!(
        line.starts_with("sharing vm-copy/base.tar.zst (") && line.ends_with(')'),
        "{line}"
    );
    seeder.wait_for("sharing vm-copy/snapshots/standard/snapshot.tar.zst (");

    // A PC fetches the base with the torrent of the data tree, from the seeder alone.
    let vm = s.data().join("vm-copy");
    let torrent = std::fs::read(vm.join("base.tar.zst.torrent")).unwrap();
    let published = std::fs::read(vm.join("base.tar.zst")).unwrap();
    let pc = tempfile::tempdir().unwrap();
    let (fetched, bytes) = fetch_from(&torrent, port, pc.path(), Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(fetched.bytes, published.len() as u64);
    assert!(bytes == published, "the fetched bytes differ");

    // The same bytes in another file (as when a VM is removed and published again
    // between two rescans): the new file is shared, the old one is let go.
    let base = vm.join("base.tar.zst");
    let fresh = vm.join("base.tar.zst.new");
    std::fs::copy(&base, &fresh).unwrap();
    std::fs::rename(&fresh, &base).unwrap();
    assert_eq!(
        seeder.wait_for("no longer sharing vm-copy/base.tar.zst"),
        "no longer sharing vm-copy/base.tar.zst: it was published again; \
         the new file is shared once checked"
    );
    seeder.wait_for("sharing vm-copy/base.tar.zst (");
    assert_eq!(deleted_but_open(pid), Vec::<String>::new());

    // Still published, but its torrent is no longer what the manifest says.
    damage(&vm.join("snapshots/standard/snapshot.tar.zst.torrent"));
    assert_eq!(
        seeder.wait_for("no longer sharing vm-copy/snapshots/standard/snapshot.tar.zst"),
        "no longer sharing vm-copy/snapshots/standard/snapshot.tar.zst (see above)"
    );

    assert_ok(&s.admin(&["remove", "vm-copy"]));
    assert_eq!(
        seeder.wait_for("no longer sharing vm-copy/base.tar.zst"),
        "no longer sharing vm-copy/base.tar.zst: it is no longer published"
    );

    let stopped = seeder.stop();
    let said = format!(
        "stdout:\n{}\nstderr:\n{}",
        stopped.stdout.join("\n"),
        stopped.stderr
    );
    assert!(stopped.status.success(), "{:?}\n{said}", stopped.status);
    let last = stopped.stdout.last().unwrap();
    assert!(
        last.starts_with("Stopped; ") && last.ends_with(" sent to the PCs."),
        "{said}"
    );
    assert_ne!(last, "Stopped; 0 B sent to the PCs.", "{said}");
    // Each once, though the data tree was looked at again and again.
    for refused in [
        "leovms-admin: not sharing vm-other/base.tar.zst: \
         base.tar.zst.torrent is not what the manifest says\n",
        "leovms-admin: not sharing vm-copy/snapshots/standard/snapshot.tar.zst: \
         snapshots/standard/snapshot.tar.zst.torrent is not what the manifest says\n",
        // The engine's own words follow.
        "leovms-admin: not sharing vm-other/snapshots/standard/snapshot.tar.zst: ",
    ] {
        assert_eq!(
            stopped.stderr.matches(refused).count(),
            1,
            "{refused}\n{said}"
        );
    }
    assert!(!stopped.stderr.contains("already"), "{said}");
    // Nothing else is shared: the demo VMs have no torrents.
    let shared: Vec<&String> = stopped
        .stdout
        .iter()
        .filter(|l| l.starts_with("sharing "))
        .collect();
    assert_eq!(shared.len(), 3, "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seeder_speaks_german_under_a_german_locale() {
    let s = Server::new().await;
    publish_copy(&s, "vm-win", "vm-copy");
    let port = free_port();
    let mut seeder = Seeder::on_loopback(s.root.path(), "de_DE.UTF-8", port);
    assert_eq!(
        seeder.wait_for("Teile mit den PCs"),
        format!(
            "Teile mit den PCs über TCP-Port {port}, je Archiv 2 gleichzeitig. \
             Erlaubte Gegenstellen: 127.0.0.0/8"
        )
    );
    seeder.wait_for("teile vm-copy/base.tar.zst (");
    let stopped = seeder.stop();
    assert!(stopped.status.success(), "{:?}", stopped.status);
    let last = stopped.stdout.last().unwrap();
    assert!(
        last.starts_with("Beendet; ") && last.ends_with(" an die PCs gesendet."),
        "{last}"
    );
}

#[test]
fn seed_refuses_a_number_of_0_and_starts_nothing() {
    let root = tempfile::tempdir().unwrap();
    for flag in ["--slots", "--rescan", "--max-upload-mbits"] {
        let port = free_port().to_string();
        let out = Seeder::start(root.path(), "C.UTF-8", &["--port", &port, flag, "0"]).ended();
        let said = format!(
            "{flag}: {:?}\n{}\n{}",
            out.status,
            out.stdout.join("\n"),
            out.stderr
        );
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert_eq!(
            out.stderr,
            "leovms-admin: --slots, --max-upload-mbits and --rescan must be more than 0.\n",
            "{said}"
        );
        assert!(out.stdout.is_empty(), "{said}");
    }
}

#[test]
fn seed_refuses_ipv6_peers_and_starts_nothing() {
    let root = tempfile::tempdir().unwrap();
    for (lang, said) in [
        (
            "C.UTF-8",
            "leovms-admin: --peers fd00::/8: the room swarm is IPv4 only; \
             give IPv4 networks or addresses.\n",
        ),
        (
            "de_DE.UTF-8",
            "leovms-admin: --peers fd00::/8: Der Raum-Schwarm unterstützt nur IPv4; \
             geben Sie IPv4-Netze oder -Adressen an.\n",
        ),
    ] {
        let port = free_port().to_string();
        let args = [
            "--port",
            &port,
            "--peers",
            "10.0.0.0/8",
            "--peers",
            "fd00::/8",
        ];
        let out = Seeder::start(root.path(), lang, &args).ended();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{:?}\n{}",
            out.status,
            out.stderr
        );
        assert_eq!(out.stderr, said);
        assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    }
}

/// The bytes `pid` has read so far (`rchar` of /proc/PID/io).
fn bytes_read(pid: u32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    let rchar = io.lines().find_map(|l| l.strip_prefix("rchar: ")).unwrap();
    rchar.parse().unwrap()
}

/// A torrent of ours for an archive of `size` bytes in 16 MiB pieces, whose piece hashes
/// no data has.
fn torrent_never_met(name: &str, size: u64) -> Vec<u8> {
    let piece: u64 = 16 << 20;
    let hashes = size.div_ceil(piece) as usize * 20;
    let mut bytes = format!(
        "d4:infod6:lengthi{size}e4:name{}:{name}12:piece lengthi{piece}e6:pieces{hashes}:",
        name.len()
    )
    .into_bytes();
    bytes.resize(bytes.len() + hashes, 0);
    bytes.extend_from_slice(b"ee");
    bytes
}

#[test]
fn a_stop_while_the_engine_checks_a_large_archive_ends_the_seeder_at_once() {
    let root = tempfile::tempdir().unwrap();
    let vm = root.path().join("home/leovms/data/vm-large");
    std::fs::create_dir_all(&vm).unwrap();
    // 1 TiB, sparse: its check takes minutes on any machine.
    let size: u64 = 1 << 40;
    let archive = std::fs::File::create(vm.join("base.tar.zst")).unwrap();
    archive.set_len(size).unwrap();
    let torrent = torrent_never_met("base.tar.zst", size);
    std::fs::write(vm.join("base.tar.zst.torrent"), &torrent).unwrap();
    let (torrent_size, torrent_sha256) =
        leovms_image::manifest::sha256_file(&vm.join("base.tar.zst.torrent")).unwrap();
    let entry = |path: &str, size, sha256, unpacked| leovms_image::manifest::ManifestEntry {
        path: path.into(),
        size,
        sha256,
        unpacked,
    };
    let manifest = leovms_image::manifest::Manifest {
        files: vec![
            entry("base.tar.zst", size, [0; 32], Some(size)),
            entry("base.tar.zst.torrent", torrent_size, torrent_sha256, None),
        ],
    };
    std::fs::write(vm.join("manifest.toml"), manifest.to_toml_string()).unwrap();

    let mut seeder = Seeder::on_loopback(root.path(), "C.UTF-8", free_port());
    seeder.wait_for("Sharing with the PCs");
    // The engine is checking the archive once the seeder has read a GiB.
    let pid = seeder.child.id();
    let deadline = Instant::now() + PATIENCE;
    while bytes_read(pid) < 1 << 30 {
        assert!(Instant::now() < deadline, "the check did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Without a quick stop it would still be checking when `stop` gives up waiting.
    let stopped = seeder.stop();
    assert!(stopped.status.success(), "{:?}", stopped.status);
    assert!(
        stopped.stdout.last().unwrap().starts_with("Stopped; "),
        "{:?}",
        stopped.stdout
    );
}
