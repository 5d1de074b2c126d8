//! Copying an archive from the share into the local cache: verified while it is
//! copied, resumable after an interruption, and bounded in how long it waits for a
//! share that stopped answering.
//!
//! Three threads form a pipeline: one reads the source (the only one that may hang
//! on a dead network mount), one hashes, one writes into the partial copy. The async
//! side only waits: for the outcome, for cancellation and for the source to deliver
//! data within the stall limit. A few 4 MiB blocks circulate between the threads
//! and are reused.
//!
//! The copy grows in a partial file next to its final name and gets that name only
//! once it is complete, verified and durable. After an interruption the partial file
//! is a valid prefix, and the next attempt continues from there.

mod error;
mod hasher;
mod partial;
mod pipe;
mod reader;
mod verified;
mod writer;

#[cfg(test)]
mod tests;

pub use crate::archive::Expected;
pub use error::CopyError;
pub use verified::{copy_verified, copy_verified_from};

/// What [`copy_verified`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyReport {
    /// Size of the copy.
    pub bytes: u64,
    /// Bytes taken over from an earlier partial copy.
    pub resumed: u64,
}
