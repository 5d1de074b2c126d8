//! Pins: what is kept whatever room is needed. A user's offline pins are recorded under
//! the uid the bus names for the caller (never one the caller claims), and bounded per
//! user; pins for all users are the administrator's.
//!
//! ```text
//! <root>/pins/<sha256>.<uid>     user <uid> keeps this archive and its base
//! <root>/pins/<sha256>.all       kept for all users
//! ```

use std::collections::HashSet;
use std::io;

use crate::error::{StoreError, StoreErrorKind};
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinOwner {
    User(u32),
    All,
}

impl PinOwner {
    fn suffix(self) -> String {
        match self {
            PinOwner::User(uid) => uid.to_string(),
            PinOwner::All => "all".to_owned(),
        }
    }
}

impl Store {
    /// Pins `sha256` for `owner`. A user holds at most `per_user` pins; pinning one that
    /// is pinned already changes nothing.
    pub fn pin(&self, owner: PinOwner, sha256: &[u8; 32], per_user: u32) -> Result<(), StoreError> {
        let io = |e: io::Error| StoreError::io("the store's pins", &e);
        let name = pin_name(owner, sha256);
        if self.pins().stat(&name).map_err(io)?.is_some() {
            return Ok(());
        }
        if let PinOwner::User(_) = owner {
            let held = self.pins_of(owner).map_err(io)?.len();
            if held >= per_user as usize {
                return Err(StoreError::new(
                    StoreErrorKind::NoSpace,
                    format!(
                        "You keep {held} VMs for offline use already, the most this PC allows. Remove one first."
                    ),
                ));
            }
        }
        self.pins().write_atomic(&name, b"", 0o600).map_err(io)
    }

    pub fn unpin(&self, owner: PinOwner, sha256: &[u8; 32]) -> io::Result<()> {
        match self.pins().remove_file(pin_name(owner, sha256)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// What `owner` pinned.
    pub fn pins_of(&self, owner: PinOwner) -> io::Result<HashSet<[u8; 32]>> {
        let suffix = format!(".{}", owner.suffix());
        Ok(self
            .pins()
            .names()?
            .iter()
            .filter_map(|n| n.to_str()?.strip_suffix(&suffix).and_then(parse_hash))
            .collect())
    }

    /// Everything any user or the administrator pinned.
    pub fn pinned(&self) -> io::Result<HashSet<[u8; 32]>> {
        Ok(self
            .pins()
            .names()?
            .iter()
            .filter_map(|n| parse_hash(n.to_str()?.split('.').next()?))
            .collect())
    }
}

fn pin_name(owner: PinOwner, sha256: &[u8; 32]) -> String {
    format!("{}.{}", hex::encode(sha256), owner.suffix())
}

fn parse_hash(text: &str) -> Option<[u8; 32]> {
    leovms_api::store::parse_sha256(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_pins_are_bounded_and_count_only_for_that_user() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("store")).unwrap();
        let (anna, ben) = (PinOwner::User(1001), PinOwner::User(1002));
        store.pin(anna, &[1; 32], 2).unwrap();
        store.pin(anna, &[1; 32], 2).unwrap();
        store.pin(anna, &[2; 32], 2).unwrap();
        let refused = store.pin(anna, &[3; 32], 2).unwrap_err();
        assert_eq!(refused.kind, StoreErrorKind::NoSpace);
        assert!(refused.message.contains("2 VMs"), "{refused}");
        store.pin(ben, &[3; 32], 2).unwrap();
        store.pin(PinOwner::All, &[4; 32], 0).unwrap();
        assert_eq!(
            store.pins_of(anna).unwrap(),
            HashSet::from([[1; 32], [2; 32]])
        );
        assert_eq!(
            store.pins_of(PinOwner::All).unwrap(),
            HashSet::from([[4; 32]])
        );
        let all: HashSet<_> = (1..=4).map(|n| [n; 32]).collect();
        assert_eq!(store.pinned().unwrap(), all);
        store.unpin(anna, &[1; 32]).unwrap();
        store.unpin(anna, &[1; 32]).unwrap();
        store.pin(anna, &[3; 32], 2).unwrap();
        assert!(!store.pins_of(anna).unwrap().contains(&[1; 32]));
    }
}
