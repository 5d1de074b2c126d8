//! The programs of the room: the server's seeder (`leovms-admin seed`, as installed on a
//! server) and the PCs (`leovms-swarm-pc`), each run in its namespace. Their stdout
//! lines come to one channel, tagged with who said them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::signal::unix::{SignalKind, signal};

/// Set once SIGINT or SIGTERM came (Ctrl-C, a CI's timeout). By default they would end
/// the program at once, leaving the room's namespaces and the work folder behind; heeded
/// here, they make the waits fail, so that everything is dropped (removed) on the way out.
#[derive(Clone, Default)]
pub struct Stop(Arc<OnceLock<&'static str>>);

impl Stop {
    /// Heeds SIGINT and SIGTERM from now on, for the rest of the program.
    pub fn on_signals() -> Result<Stop, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("signals: {e}"))?;
        let (mut interrupt, mut terminate) = {
            let _entered = runtime.enter();
            (
                signal(SignalKind::interrupt()).map_err(|e| format!("SIGINT: {e}"))?,
                signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM: {e}"))?,
            )
        };
        let stop = Stop::default();
        let seen = stop.clone();
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let name = tokio::select! {
                    _ = interrupt.recv() => "SIGINT",
                    _ = terminate.recv() => "SIGTERM",
                };
                let _ = seen.0.set(name);
            });
        });
        Ok(stop)
    }

    /// An error once a signal came.
    pub fn check(&self) -> Result<(), String> {
        match self.0.get() {
            Some(name) => Err(format!("stopped by {name}")),
            None => Ok(()),
        }
    }
}

/// Who said a line: the seeder, or PC `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Seeder,
    Pc(usize),
}

pub struct Lines {
    tx: Sender<(Who, String)>,
    rx: Receiver<(Who, String)>,
    stop: Stop,
}

impl Lines {
    pub fn new(stop: &Stop) -> Lines {
        let (tx, rx) = channel();
        Lines {
            tx,
            rx,
            stop: stop.clone(),
        }
    }

    /// The next line; `None` when a second passed without one (so that the caller can
    /// look at the room again); an error once `deadline` has passed or a signal came
    /// (every wait of the room comes here, at least once a second).
    pub fn next(&self, deadline: Instant) -> Result<Option<(Who, String)>, String> {
        self.stop.check()?;
        let left = deadline
            .checked_duration_since(Instant::now())
            .ok_or("the room did not finish in time")?;
        let line = self.rx.recv_timeout(left.min(Duration::from_secs(1))).ok();
        self.stop.check()?;
        Ok(line)
    }
}

/// Where the programs are (next to this one), and the temporary folder they get: one
/// inside the run's work folder, so that what a killed program leaves there (the
/// seeder's state folder after SIGKILL) is removed with it.
pub struct Programs {
    bin: PathBuf,
    tmp: PathBuf,
}

impl Programs {
    pub fn new(tmp: PathBuf) -> Programs {
        Programs {
            bin: bin_dir(),
            tmp,
        }
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
        programs: &Programs,
        program: &str,
        args: &[String],
        who: Who,
        lines: &Lines,
    ) -> Result<Node, String> {
        let program = programs.bin.join(program);
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(&program)
            .args(args)
            .env("TMPDIR", &programs.tmp)
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
        programs: &Programs,
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
        Node::spawn(ns, programs, "leovms-admin", &args, Who::Seeder, lines)
    }

    pub fn pc(
        ns: &str,
        programs: &Programs,
        i: usize,
        args: Vec<String>,
        lines: &Lines,
    ) -> Result<Node, String> {
        Node::spawn(ns, programs, "leovms-swarm-pc", &args, Who::Pc(i), lines)
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

fn bin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_owned))
        .unwrap_or_default()
}
