//! The room swarm (docs/swarm.md): PCs share the archives they hold with the other PCs
//! of their subnet by BitTorrent, and fetch from them before the server. The engine is
//! librqbit, embedded; this crate only chooses its settings and keeps it to what a
//! school network should allow.
//!
//! What a peer sends is trusted no further than the torrent's piece hashes; the caller
//! verifies every fetched archive against the manifest's SHA-256 before use, and takes
//! it from the share when anything here fails.

mod error;
mod net;
mod storage;
mod swarm;
pub mod torrent;

pub use error::SwarmError;
pub use leovms_image::config::SwarmConf;
pub use leovms_image::net::Net;
pub use net::local_subnets;
pub use swarm::{Fetched, Swarm};
