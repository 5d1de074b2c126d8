//! The machine-wide store of a PC: VM archives kept once under the sha256 they were
//! verified against, and bases unpacked once under the sha256 of their archive.
//!
//! Content enters only through [`Store::add_base`] (and [`Store::add_archive`]), read
//! from a file another process opened and handed over, hashed byte by byte while it is
//! unpacked (or copied), and published under its hash only when size and hash match what
//! the caller expected: whoever cannot produce content with a hash cannot place anything
//! under that hash. Nothing is ever under a final name before it is complete and
//! verified; what a killed run left behind goes when the store is opened again.
//!
//! The store's folders belong to the one user that runs it (the store service); every
//! other user only reads.

mod error;
mod lease;
mod pins;
mod room;
mod store;

pub use error::{StoreError, StoreErrorKind};
pub use pins::PinOwner;
pub use room::{Entry, Kind};
pub use store::Store;
