//! The programs of the room: the server's seeder (`leovms-admin seed`, as installed on a
//! server) and the PCs (`leovms-swarm-pc`), each run in its namespace. Their stdout
//! lines come to one channel, tagged with who said them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

/// Who said a line: the seeder, or PC `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Seeder,
    Pc(usize),
}

pub struct Lines {
    tx: Sender<(Who, String)>,
    rx: Receiver<(Who, String)>,
}

impl Lines {
    pub fn new() -> Lines {
        let (tx, rx) = channel();
        Lines { tx, rx }
    }

    /// The next line; `None` when a second passed without one (so that the caller can
    /// look at the room again); an error once `deadline` has passed.
    pub fn next(&self, deadline: Instant) -> Result<Option<(Who, String)>, String> {
        let left = deadline
            .checked_duration_since(Instant::now())
            .ok_or("the room did not finish in time")?;
        Ok(self.rx.recv_timeout(left.min(Duration::from_secs(1))).ok())
    }
}

/// A running program; stopped (and waited for) when dropped.
pub struct Node {
    child: Child,
    /// Closed to ask a PC to stop.
    stdin: Option<ChildStdin>,
}

impl Node {
    fn spawn(
        ns: &str,
        program: &Path,
        args: &[String],
        who: Who,
        lines: &Lines,
    ) -> Result<Node, String> {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(program)
            .args(args)
            // The seeder's lines in English, whatever the machine's language.
            .env("LANG", "C.UTF-8")
            .env("LC_ALL", "C.UTF-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        let stdout = child.stdout.take().expect("piped");
        let tx = lines.tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send((who, line)).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Ok(Node { child, stdin })
    }

    pub fn seeder(
        ns: &str,
        bin: &Path,
        root: &Path,
        slots: usize,
        lines: &Lines,
    ) -> Result<Node, String> {
        let args = [
            "--root".to_owned(),
            root.display().to_string(),
            "seed".to_owned(),
            "--slots".to_owned(),
            slots.to_string(),
            "--peers".to_owned(),
            format!("{}.0/24", super::room::NET),
            "--rescan".to_owned(),
            "3600".to_owned(),
        ];
        Node::spawn(ns, &bin.join("leovms-admin"), &args, Who::Seeder, lines)
    }

    pub fn pc(
        ns: &str,
        bin: &Path,
        i: usize,
        args: Vec<String>,
        lines: &Lines,
    ) -> Result<Node, String> {
        Node::spawn(ns, &bin.join("leovms-swarm-pc"), &args, Who::Pc(i), lines)
    }

    /// Kills at once, as a crash or a pulled plug would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the programs are: next to this one.
pub fn bin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_owned))
        .unwrap_or_default()
}
