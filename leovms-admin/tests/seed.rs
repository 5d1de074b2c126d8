//! `seed` on loopback: the server shares every published archive whose torrent the
//! manifest lists, a PC's swarm engine fetches one from it, a removed VM is no longer
//! shared, a torrent that is not what the manifest says is refused, and SIGTERM ends it
//! cleanly.

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

    let port = free_port();
    let mut seeder = Seeder::on_loopback(s.root.path(), "C.UTF-8", port);
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
    seeder.wait_for("sharing vm-other/snapshots/standard/snapshot.tar.zst (");

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
    let refused = "leovms-admin: not sharing vm-other/base.tar.zst: \
                   base.tar.zst.torrent is not what the manifest says";
    // Once, though the data tree was looked at again and again.
    assert_eq!(stopped.stderr.matches(refused).count(), 1, "{said}");
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
