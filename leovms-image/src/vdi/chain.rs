//! Disk chains: every differencing disk must lead, parent by parent, to a base disk of
//! the machine. VirtualBox finds a broken chain only when the machine starts (a disk
//! that names itself as its parent passes every other check); checked here, a PC
//! refuses such a snapshot before its working copy changes, and the server before it
//! publishes it.

use std::collections::HashSet;

use uuid::Uuid;

use super::{VdiHeader, VdiKind, braced};

/// Why a set of differencing disks does not lead to the machine's base.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// A disk that must be a differencing disk is not one (or names no parent).
    #[error("{disk} is not a differencing disk")]
    NotDiff { disk: String, uuid: Uuid },
    /// Two disks carry the same UUID; VirtualBox refuses to register the second.
    #[error("{disk} and {other} have the same UUID {}", braced(.uuid))]
    SameUuid {
        disk: String,
        other: String,
        uuid: Uuid,
    },
    /// Following the parents of `disk` comes back to a disk already passed.
    #[error(
        "{disk} ({}) never reaches a base disk: its chain of parents leads back to itself",
        braced(.uuid)
    )]
    Loop { disk: String, uuid: Uuid },
    /// A parent is neither a base disk nor another of the differencing disks.
    #[error(
        "{disk} ({}) was made from the disk {}, which is neither a base disk of the \
         machine nor one of its other disks",
        braced(.uuid),
        braced(.parent)
    )]
    Missing {
        disk: String,
        uuid: Uuid,
        parent: Uuid,
    },
}

/// Checks that every disk of `diffs` (how messages name it, its header) is a
/// differencing disk whose parents lead, through other disks of `diffs` and without
/// coming back to one, to a disk of `bases` (the UUIDs of the machine's base disks).
pub fn check_chain<N: AsRef<str>>(
    bases: &[Uuid],
    diffs: &[(N, VdiHeader)],
) -> Result<(), ChainError> {
    let name = |i: usize| diffs[i].0.as_ref().to_owned();
    let mut seen = HashSet::new();
    for (i, (_, h)) in diffs.iter().enumerate() {
        if h.kind != VdiKind::Diff || h.parent.is_none() {
            return Err(ChainError::NotDiff {
                disk: name(i),
                uuid: h.uuid,
            });
        }
        let other = if bases.contains(&h.uuid) {
            Some("a base disk".to_owned())
        } else if !seen.insert(h.uuid) {
            diffs.iter().position(|(_, o)| o.uuid == h.uuid).map(name)
        } else {
            None
        };
        if let Some(other) = other {
            return Err(ChainError::SameUuid {
                disk: name(i),
                other,
                uuid: h.uuid,
            });
        }
    }
    for (i, (_, start)) in diffs.iter().enumerate() {
        let mut passed = HashSet::from([start.uuid]);
        let mut at = i;
        loop {
            let parent = diffs[at].1.parent.expect("checked above");
            if bases.contains(&parent) {
                break;
            }
            let Some(next) = diffs.iter().position(|(_, h)| h.uuid == parent) else {
                return Err(ChainError::Missing {
                    disk: name(at),
                    uuid: diffs[at].1.uuid,
                    parent,
                });
            };
            if !passed.insert(parent) {
                return Err(ChainError::Loop {
                    disk: name(i),
                    uuid: start.uuid,
                });
            }
            at = next;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(name: &str, uuid: Uuid, parent: Option<Uuid>) -> (String, VdiHeader) {
        let header = VdiHeader {
            kind: if parent.is_some() {
                VdiKind::Diff
            } else {
                VdiKind::Normal
            },
            disk_size: 1 << 30,
            block_size: 1 << 20,
            blocks: 1024,
            blocks_allocated: 0,
            uuid,
            uuid_modify: Uuid::new_v4(),
            parent,
            parent_modify: Uuid::nil(),
        };
        (name.to_owned(), header)
    }

    #[test]
    fn chains_to_the_base_pass() {
        let (base, a, b) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        check_chain(&[base], &[disk("a", a, Some(base))]).unwrap();
        // A chain of two, in any order.
        let two = [disk("b", b, Some(a)), disk("a", a, Some(base))];
        check_chain(&[base], &two).unwrap();
        check_chain::<&str>(&[base], &[]).unwrap();
    }

    #[test]
    fn loops_foreign_parents_and_odd_disks_are_refused() {
        let (base, a, b) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let own = [disk("self.vdi", a, Some(a))];
        let e = check_chain(&[base], &own).unwrap_err();
        assert_eq!(
            e,
            ChainError::Loop {
                disk: "self.vdi".into(),
                uuid: a
            }
        );
        assert!(e.to_string().contains("leads back to itself"), "{e}");
        let circle = [disk("a", a, Some(b)), disk("b", b, Some(a))];
        assert!(matches!(
            check_chain(&[base], &circle),
            Err(ChainError::Loop { .. })
        ));

        let other = Uuid::new_v4();
        let foreign = [disk("b", b, Some(a)), disk("a", a, Some(other))];
        let e = check_chain(&[base], &foreign).unwrap_err();
        assert_eq!(
            e,
            ChainError::Missing {
                disk: "a".into(),
                uuid: a,
                parent: other
            }
        );
        assert!(e.to_string().contains(&other.to_string()), "{e}");

        let plain = [disk("n", a, None)];
        assert!(matches!(
            check_chain(&[base], &plain),
            Err(ChainError::NotDiff { .. })
        ));
        let twice = [disk("x", a, Some(base)), disk("y", a, Some(base))];
        let e = check_chain(&[base], &twice).unwrap_err();
        assert!(matches!(e, ChainError::SameUuid { .. }), "{e}");
        let as_base = [disk("x", base, Some(base))];
        assert!(matches!(
            check_chain(&[base], &as_base),
            Err(ChainError::SameUuid { .. })
        ));
    }
}
