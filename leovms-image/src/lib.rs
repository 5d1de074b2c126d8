//! The formats leovms reads and writes: share configuration, manifest, archives,
//! VirtualBox settings and VDI headers. No D-Bus, no policy.

pub mod archive;
pub mod atomic;
pub mod config;
pub mod copy;
pub mod dirfd;
pub mod layout;
pub mod manifest;
pub mod name;
pub mod net;
pub mod pdf;
pub mod process;
pub mod ram;
pub mod readiness;
pub mod text;
pub mod torrent;
pub mod upload;
pub mod utc;
pub mod vbox;
pub mod vdi;
