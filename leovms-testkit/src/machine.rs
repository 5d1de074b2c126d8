//! The machine-wide state tests share: local users and groups (the Samba kit's teacher,
//! student and upload group, the shared-PC tests' users). Tests create what is missing and
//! leave it for later runs; nothing in the tests removes it (`scripts/fresh-machine-check`
//! does, see docs/testing.md).
//!
//! One lock file orders the changes. Changing the state (useradd, groupadd, usermod,
//! gpasswd) takes it exclusively, for the change only. A test that needs the state to stay
//! as it is holds it shared ([`StateHold`]) as long as it needs it; changes wait meanwhile.
//!
//! flock locks belong to an open file, not to a process or thread: a thread that holds a
//! [`StateHold`] and then waits for the exclusive lock through a second open waits for
//! itself. So [`ensure`] first checks the state under a shared lock and returns that lock
//! when nothing is missing; it drops it before it asks for the exclusive lock, and while
//! it waits it looks again, so that it stops waiting once another test made the same
//! state. A test that holds a [`StateHold`] may therefore ensure again what it ensured
//! before (a second shared lock, never the exclusive one), but must not create anything
//! new: that would wait for its own hold, which [`ensure`] ends after [`WAIT_LIMIT`] with
//! an error saying so. Lock order: this lock before the Samba kit's smbd lock.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::fs::{FlockOperation, flock};

/// The lock file (`scripts/fresh-machine-check` takes it too).
pub const LOCK_FILE: &str = "/tmp/leovms-test-machine.lock";
/// How long [`ensure`] waits for the exclusive lock.
pub const WAIT_LIMIT: Duration = Duration::from_secs(300);

/// A shared lock on the machine-wide state: while it is held, no test kit function adds
/// or changes users or groups. Released when dropped.
#[derive(Debug)]
#[must_use = "the state may change as soon as the hold is dropped"]
pub struct StateHold {
    _file: File,
}

/// Waits for and takes a shared hold on the machine-wide state, for a test that reads it
/// and must see it unchanged until the end.
pub fn hold() -> io::Result<StateHold> {
    let file = open()?;
    flock(&file, FlockOperation::LockShared)?;
    Ok(StateHold { _file: file })
}

/// Makes sure a piece of machine-wide state is there and returns a shared hold on it.
/// `is_done` says whether it is complete; `make` completes it (only ever called with the
/// exclusive lock, and only when `is_done` said no under that lock). `what` names it in
/// errors.
pub fn ensure(
    what: &str,
    mut is_done: impl FnMut() -> io::Result<bool>,
    mut make: impl FnMut() -> io::Result<()>,
) -> io::Result<StateHold> {
    let deadline = Instant::now() + WAIT_LIMIT;
    loop {
        let shared = hold()?;
        if is_done()? {
            return Ok(shared);
        }
        drop(shared);
        let file = open()?;
        loop {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {
                    if !is_done()? {
                        make()?;
                        if !is_done()? {
                            return Err(io::Error::other(format!(
                                "{what}: still not as needed after making it"
                            )));
                        }
                    }
                    break;
                }
                Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                    // Another test may be making the very same state: then take it.
                    if is_done()? {
                        break;
                    }
                    if Instant::now() >= deadline {
                        return Err(io::Error::other(format!(
                            "{what}: {LOCK_FILE} stayed locked for {WAIT_LIMIT:?}; a test that \
                             holds the machine state (machine::StateHold) and then creates \
                             new users or groups waits for itself: ensure everything first"
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(e.into()),
            }
        }
        // Unlocked here; the shared lock is taken and the state checked again above.
        drop(file);
    }
}

/// Runs a tool that edits /etc/passwd or /etc/group (useradd, groupadd, usermod,
/// gpasswd). They refuse while another program holds those files' locks: try again for
/// a few seconds.
pub(crate) fn run_account_tool(program: &str, args: &[&str]) -> io::Result<()> {
    let mut last = String::new();
    for _ in 0..50 {
        let out = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .output()?;
        if out.status.success() {
            return Ok(());
        }
        last = format!(
            "{} ({})",
            String::from_utf8_lossy(&out.stderr).trim(),
            out.status
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(io::Error::other(format!(
        "{program} {} failed: {last}",
        args.join(" ")
    )))
}

/// The lock file, created when missing. Without the right to write it (not root, made by
/// root) it is opened to read, which is enough for a lock.
fn open() -> io::Result<File> {
    match OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(LOCK_FILE)
    {
        Ok(file) => Ok(file),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => File::open(LOCK_FILE),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn ensure_makes_once_and_holds_again_without_the_exclusive_lock() {
        let made = AtomicUsize::new(0);
        let is_done = || Ok(made.load(Ordering::SeqCst) > 0);
        let first = ensure("test state", is_done, || {
            made.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .unwrap();
        // Held shared: ensuring the same again must not wait for the exclusive lock.
        let second = ensure("test state", is_done, || {
            panic!("made twice");
        })
        .unwrap();
        assert_eq!(made.load(Ordering::SeqCst), 1);
        drop((first, second));
    }

    #[test]
    fn a_make_that_does_not_help_is_an_error() {
        let err = ensure("never done", || Ok(false), || Ok(())).unwrap_err();
        assert!(err.to_string().contains("still not as needed"), "{err}");
    }
}
