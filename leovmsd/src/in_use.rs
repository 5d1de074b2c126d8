//! The archives that starts in progress and running VMs were made from: the space
//! planner never evicts them. A start holds its archives for as long as its job lives
//! (through the running VM); a VM found running after a restart holds them again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// Archives (sha256 hex) in use, counted: two holders of one archive both keep it.
#[derive(Clone, Default)]
pub struct InUse(Arc<Mutex<HashMap<String, usize>>>);

/// Keeps its archives in use until dropped.
#[must_use = "the archives are in use only while this is held"]
pub struct Held {
    set: InUse,
    archives: Vec<String>,
}

impl InUse {
    pub fn hold(&self, archives: Vec<String>) -> Held {
        let mut set = self.lock();
        for a in &archives {
            *set.entry(a.clone()).or_default() += 1;
        }
        Held {
            set: self.clone(),
            archives,
        }
    }

    pub fn now(&self) -> HashSet<String> {
        self.lock().keys().cloned().collect()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, usize>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut set = self.set.lock();
        for a in &self.archives {
            if let Some(n) = set.get_mut(a) {
                *n -= 1;
                if *n == 0 {
                    set.remove(a);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(words: &[&str]) -> HashSet<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn an_archive_stays_in_use_until_its_last_holder_lets_go() {
        let in_use = InUse::default();
        let first = in_use.hold(vec!["base".into(), "snap-a".into()]);
        let second = in_use.hold(vec!["base".into(), "snap-b".into()]);
        assert_eq!(in_use.now(), set(&["base", "snap-a", "snap-b"]));
        drop(first);
        assert_eq!(in_use.now(), set(&["base", "snap-b"]));
        drop(second);
        assert!(in_use.now().is_empty());
    }
}
