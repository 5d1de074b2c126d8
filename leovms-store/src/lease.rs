//! Leases: a running VM's hold on the base it was started from, so that making room
//! never takes it. A lease names the VM's process by pid and start time (a reused pid
//! does not count) and lasts exactly as long as that process: it survives a restart of
//! whoever took it, and ends by itself with the VM.
//!
//! ```text
//! <root>/leases/<sha256>.<pid>.<starttime>      an empty file
//! ```

use std::collections::HashSet;
use std::io;

use leovms_image::process::starttime;

use crate::store::Store;

impl Store {
    /// Holds the base made from `sha256` for as long as process `pid` runs.
    pub fn lease(&self, sha256: &[u8; 32], pid: i32) -> io::Result<()> {
        let since = starttime(pid).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("no process {pid} runs"))
        })?;
        let name = format!("{}.{pid}.{since}", hex::encode(sha256));
        self.leases().write_atomic(&name, b"", 0o644)
    }

    /// Ends the lease of `pid` on `sha256` before its process ends.
    pub fn release(&self, sha256: &[u8; 32], pid: i32) -> io::Result<()> {
        let prefix = format!("{}.{pid}.", hex::encode(sha256));
        for name in self.leases().names()? {
            if name.to_string_lossy().starts_with(&prefix) {
                self.leases().remove_file(&name)?;
            }
        }
        Ok(())
    }

    /// The hashes of the bases some running process holds. Leases whose process has
    /// ended are removed on the way.
    pub fn leased(&self) -> io::Result<HashSet<[u8; 32]>> {
        Ok(self.leases_now()?.into_iter().map(|(sha, _)| sha).collect())
    }

    /// Every lease whose process still runs, with that process's pid. Leases whose
    /// process has ended are removed on the way.
    pub fn leases_now(&self) -> io::Result<Vec<([u8; 32], i32)>> {
        let mut held = Vec::new();
        for name in self.leases().names()? {
            let text = name.to_string_lossy();
            match parse(&text) {
                Some((sha256, pid, since)) if starttime(pid) == Some(since) => {
                    held.push((sha256, pid));
                }
                // Ended, or not a lease at all: nothing else belongs here.
                _ => self.leases().remove_file(&name)?,
            }
        }
        Ok(held)
    }
}

fn parse(name: &str) -> Option<([u8; 32], i32, u64)> {
    let mut parts = name.split('.');
    let mut sha256 = [0u8; 32];
    hex::decode_to_slice(parts.next()?, &mut sha256).ok()?;
    let pid = parts.next()?.parse().ok()?;
    let since = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((sha256, pid, since))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_lasts_as_long_as_its_process_also_for_a_new_store_handle() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("store");
        let store = Store::open(&root).unwrap();
        let mut vm = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        let pid = vm.id() as i32;
        store.lease(&[1; 32], pid).unwrap();
        store.lease(&[2; 32], pid).unwrap();
        store.release(&[2; 32], pid).unwrap();
        drop(store);

        // As after a restart of the service.
        let store = Store::open(&root).unwrap();
        assert_eq!(store.leased().unwrap(), HashSet::from([[1; 32]]));

        vm.kill().unwrap();
        vm.wait().unwrap();
        assert!(store.leased().unwrap().is_empty(), "ended with the VM");
        assert!(
            std::fs::read_dir(root.join("leases"))
                .unwrap()
                .next()
                .is_none()
        );
    }

    #[test]
    fn a_process_that_does_not_run_gets_no_lease() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("store")).unwrap();
        let mut done = std::process::Command::new("true").spawn().unwrap();
        let pid = done.id() as i32;
        done.wait().unwrap();
        let refused = store.lease(&[1; 32], pid).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::NotFound);
        assert!(store.leased().unwrap().is_empty());
    }
}
