//! A real CUPS server of the test's own, for end-to-end tests of printing.
//!
//! [`Cups::start`] runs a private cupsd in a temporary folder: it listens on a socket in
//! that folder only (no port, nothing in /etc/cups or /run/cups), so any number of tests
//! and test binaries may run one at the same time. Clients reach it through
//! `CUPS_SERVER` ([`Cups::env`], [`Cups::command`]). Its one queue "prints" through a
//! pass-through filter into a file; cupsd keeps every job's document, which
//! [`Cups::documents`] reads. Needs root (cupsd switches to user lp); see
//! [`cups_available`].

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};
use tempfile::TempDir;

use crate::tools::{describe, wait_until};

mod available;
mod conf;
mod jobs;
mod stale;

pub use available::cups_available;
use conf::{CUPS_FILES_CONF, CUPSD_CONF, DEVICE, ERROR_LOG, PPD_FILE, SOCKET};

/// How long cupsd may take to answer, and jobs to complete (a busy 2-core machine).
const LIMIT: Duration = Duration::from_secs(30);
/// The longest path of a Unix socket (`sun_path` holds 108 bytes with the final NUL).
const SOCKET_PATH_MAX: usize = 107;
const SERVER_VARIABLE: &str = "CUPS_SERVER";

/// A cupsd of its own with one queue, the default destination. Stopped when dropped.
#[derive(Debug)]
pub struct Cups {
    child: Child,
    queue: String,
    socket: PathBuf,
    dir: TempDir,
}

impl Cups {
    /// Starts cupsd, waits (bounded) until it answers, creates `queue` (accepting, enabled)
    /// and makes it the default destination. Ends cupsds that killed test runs left behind.
    pub fn start(queue: &str) -> io::Result<Cups> {
        stale::end_orphans();
        let dir = tempfile::Builder::new()
            .prefix(stale::DIR_PREFIX)
            .tempdir()?;
        let socket = dir.path().join(SOCKET);
        if socket.as_os_str().len() > SOCKET_PATH_MAX {
            return Err(io::Error::other(format!(
                "the socket path {} is too long for a Unix socket: set TMPDIR to a short path",
                socket.display()
            )));
        }
        conf::lay_out(dir.path())?;
        let child = Command::new("cupsd")
            .arg("-f")
            .arg("-c")
            .arg(dir.path().join(CUPSD_CONF))
            .arg("-s")
            .arg(dir.path().join(CUPS_FILES_CONF))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("cupsd.stderr"))?)
            .spawn()?;
        let mut cups = Cups {
            child,
            queue: queue.to_owned(),
            socket,
            dir,
        };
        cups.wait_until_answering()?;
        let device = format!("file://{}", cups.file(DEVICE));
        let ppd = cups.file(PPD_FILE);
        cups.run_ok(&["lpadmin", "-p", queue, "-E", "-v", &device, "-P", &ppd])?;
        cups.run_ok(&["lpadmin", "-d", queue])?;
        Ok(cups)
    }

    /// The queue's name.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// cupsd's socket: the value of `CUPS_SERVER` for clients.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `("CUPS_SERVER", socket)`: the variable that sends CUPS clients to this server.
    pub fn env(&self) -> (&'static str, PathBuf) {
        (SERVER_VARIABLE, self.socket.clone())
    }

    /// `program` (a CUPS client such as `lp` or `lpstat`) talking to this server, with
    /// English messages and without `LPDEST`/`PRINTER`, which would override the default.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env(SERVER_VARIABLE, self.socket.clone())
            .env("LC_ALL", "C")
            .env_remove("LPDEST")
            .env_remove("PRINTER")
            .stdin(Stdio::null());
        command
    }

    /// cupsd stops answering (SIGSTOP), as a scheduler that hangs: a client keeps waiting
    /// with its request in hand until [`Cups::resume`].
    pub fn pause(&self) {
        let pid = Pid::from_child(&self.child);
        rustix::process::kill_process(pid, Signal::STOP).expect("stop cupsd");
    }

    /// cupsd goes on (SIGCONT) and answers what waited.
    pub fn resume(&self) {
        let pid = Pid::from_child(&self.child);
        rustix::process::kill_process(pid, Signal::CONT).expect("continue cupsd");
    }

    /// The queue refuses new jobs (`cupsreject`): `lp` fails with "is not accepting jobs".
    pub fn reject(&self) {
        self.must(&["cupsreject", &self.queue]);
    }

    /// Leaves the server without a default destination (`lpstat -d`: "no system default
    /// destination"); the queue stays and still prints when named. CUPS has no request to
    /// unset the default, but it forgets it when the default queue is deleted: so a
    /// placeholder queue becomes the default and is deleted.
    pub fn no_default(&self) {
        let placeholder = format!("{}-placeholder", self.queue);
        let ppd = self.file(PPD_FILE);
        self.must(&[
            "lpadmin",
            "-p",
            &placeholder,
            "-v",
            "file:///dev/null",
            "-P",
            &ppd,
        ]);
        self.must(&["lpadmin", "-d", &placeholder]);
        self.must(&["lpadmin", "-x", &placeholder]);
    }

    /// cupsd's error log (empty when it wrote none yet).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(ERROR_LOG)).unwrap_or_default()
    }

    fn error_log_tail(&self) -> String {
        let log = self.error_log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    fn wait_until_answering(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                let stderr = std::fs::read_to_string(self.dir.path().join("cupsd.stderr"));
                return Err(io::Error::other(format!(
                    "cupsd ended ({status}): {}\nerror log:\n{}",
                    stderr.unwrap_or_default().trim(),
                    self.error_log_tail()
                )));
            }
            let answer = self.run(&["lpstat", "-r"])?;
            if answer.status.success()
                && String::from_utf8_lossy(&answer.stdout).contains("scheduler is running")
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(io::Error::other(format!(
                    "cupsd does not answer on {} within {LIMIT:?}: {}",
                    self.socket.display(),
                    describe(&answer)
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The path of `name` in cupsd's folder, as an argument for a client.
    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn run(&self, args: &[&str]) -> io::Result<Output> {
        self.command(args[0]).args(&args[1..]).output()
    }

    /// Runs a client and returns its stdout; an error names the command and its output.
    fn run_ok(&self, args: &[&str]) -> io::Result<String> {
        let out = self.run(args)?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        Err(io::Error::other(format!(
            "{args:?} failed: {}",
            describe(&out)
        )))
    }

    /// Like `run_ok`, panicking with cupsd's error log on failure (for the test methods).
    fn must(&self, args: &[&str]) -> String {
        self.run_ok(args).unwrap_or_else(|e| {
            panic!(
                "{e}\ncupsd's error log ends with:\n{}",
                self.error_log_tail()
            )
        })
    }
}

impl Drop for Cups {
    /// SIGTERM (cupsd stops its jobs and exits), then waits; SIGKILL if it hangs.
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let pid = Pid::from_child(&self.child);
        let _ = rustix::process::kill_process(pid, Signal::TERM);
        if !wait_until(Duration::from_secs(10), || {
            matches!(self.child.try_wait(), Ok(Some(_)) | Err(_))
        }) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
