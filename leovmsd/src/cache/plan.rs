//! The space planner: before anything is copied, what is needed against the free space
//! and the cache's limit, and which archives make room. Pure, so the order is testable.

use std::collections::HashSet;

use crate::cache::store::Entry;
use crate::space::gb;

/// An archive that may make room, with what protects it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub entry: Entry,
    /// Some user chose it for offline use.
    pub pinned: bool,
    /// A running VM (or the start in progress) was made from it.
    pub in_use: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// Bytes still to copy.
    pub needed: u64,
    /// Bytes the file system has free.
    pub free: u64,
    /// The cache's limit and what it holds now.
    pub limit: u64,
    pub used: u64,
}

/// Why something cannot go, or `None` when it may.
fn protected(c: &Candidate, keep: &HashSet<&str>) -> Option<&'static str> {
    if keep.contains(c.entry.sha256.as_str()) {
        Some("needed by this request")
    } else if c.pinned {
        Some("pinned for offline use")
    } else if c.in_use {
        Some("in use by a running VM")
    } else {
        None
    }
}

/// Why archives cannot fit into a cache, in bytes: what is needed, the room there is at
/// best, the limit, what is in use and how much of that could be freed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Misfit {
    pub needed: u64,
    pub room: u64,
    pub limit: u64,
    pub used: u64,
    pub evictable: u64,
}

impl std::fmt::Display for Misfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} needed, {} free (limit {}, {} in use, of which {} could be freed)",
            gb(self.needed),
            gb(self.room),
            gb(self.limit),
            gb(self.used),
            gb(self.evictable),
        )
    }
}

/// The archives to remove, least recently used first, so that `budget.needed` fits under
/// both the limit and the free space; or why it cannot fit.
pub fn evictions(
    budget: &Budget,
    candidates: &[Candidate],
    keep: &HashSet<&str>,
) -> Result<Vec<Entry>, Misfit> {
    let mut order: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| protected(c, keep).is_none())
        .collect();
    order.sort_by(|a, b| {
        (
            a.entry.last_used,
            std::cmp::Reverse(a.entry.size),
            &a.entry.sha256,
        )
            .cmp(&(
                b.entry.last_used,
                std::cmp::Reverse(b.entry.size),
                &b.entry.sha256,
            ))
    });
    let fits = |freed: u64| {
        budget.used.saturating_sub(freed) + budget.needed <= budget.limit
            && budget.needed <= budget.free + freed
    };
    let mut freed = 0;
    let mut out = Vec::new();
    for c in order {
        if fits(freed) {
            break;
        }
        freed += c.entry.size;
        out.push(c.entry.clone());
    }
    if fits(freed) {
        return Ok(out);
    }
    let evictable: u64 = out.iter().map(|e| e.size).sum();
    let room = budget
        .limit
        .saturating_sub(budget.used)
        .min(budget.free)
        .saturating_add(evictable)
        .min(budget.limit);
    Err(Misfit {
        needed: budget.needed,
        room,
        limit: budget.limit,
        used: budget.used,
        evictable,
    })
}

/// Why an archive would be evicted, in plain words.
pub fn reason(entry: &Entry) -> String {
    if entry.last_used == 0 {
        "not pinned, never used".into()
    } else {
        "not pinned, least recently used".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(sha: &str, size: u64, last_used: i64, pinned: bool, in_use: bool) -> Candidate {
        Candidate {
            entry: Entry {
                vm: "vm".into(),
                sha256: sha.into(),
                size,
                last_used,
                path: sha.into(),
            },
            pinned,
            in_use,
        }
    }

    fn budget(needed: u64, free: u64, limit: u64, used: u64) -> Budget {
        Budget {
            needed,
            free,
            limit,
            used,
        }
    }

    #[test]
    fn nothing_goes_when_it_fits() {
        let c = [cand("a", 10, 1, false, false)];
        let out = evictions(&budget(5, 100, 100, 10), &c, &HashSet::new()).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn least_recently_used_goes_first_and_protected_ones_never() {
        let c = [
            cand("recent", 30, 300, false, false),
            cand("old", 30, 100, false, false),
            cand("pinned", 30, 1, true, false),
            cand("running", 30, 2, false, true),
            cand("never", 10, 0, false, false),
        ];
        // used 130 of 150: 50 needed means 30 must go: "never" (10) then "old" (30).
        let out = evictions(&budget(50, 1000, 150, 130), &c, &HashSet::new()).unwrap();
        let names: Vec<_> = out.iter().map(|e| e.sha256.as_str()).collect();
        assert_eq!(names, ["never", "old"]);
    }

    #[test]
    fn a_need_beyond_what_can_be_freed_is_refused_with_numbers() {
        let c = [
            cand("pinned", 3_000_000_000, 1, true, false),
            cand("keep", 1_000_000_000, 1, false, false),
        ];
        let keep: HashSet<&str> = ["keep"].into();
        let why = evictions(
            &budget(5_000_000_000, 100_000_000_000, 6_000_000_000, 4_000_000_000),
            &c,
            &keep,
        )
        .unwrap_err()
        .to_string();
        assert!(why.starts_with("5.0 GB needed, 2.0 GB free"), "{why}");
    }

    #[test]
    fn the_file_system_counts_too() {
        let c = [cand("old", 40, 1, false, false)];
        let out = evictions(&budget(50, 20, 1000, 40), &c, &HashSet::new()).unwrap();
        assert_eq!(out.len(), 1);
        assert!(evictions(&budget(80, 20, 1000, 40), &c, &HashSet::new()).is_err());
    }
}
