//! Test kit of leovms: a demo share builder, helpers for end-to-end tests (private D-Bus
//! daemon, private CUPS server, PDFs, workspace binaries, VirtualBox test double), uploads
//! and the templates they share.

pub mod bus;
pub mod cups;
mod demo;
mod fill;
pub mod leoclient2;
pub mod machine;
pub mod own_vbox;
pub mod panel;
pub mod pdf;
pub mod samba;
pub mod swarm;
pub mod system_bus;
pub mod tar;
pub mod template;
mod tools;
pub mod upload;
pub mod users;

pub use bus::Bus;
pub use cups::{Cups, cups_available};
pub use demo::{BASE_DISK_SIZE, DemoOptions, DemoShare, DemoVm, build_demo_share};
pub use fill::noise;
pub use panel::{Panel, Rect, Shot, missing_panel_tools};
pub use samba::{STUDENT, Samba, SmbMount, SmbUser, TEACHER, samba_available};
pub use tools::{
    VBOX_DOUBLE_NAMES, describe, find_in_path, is_root, names_in, require_tool, skip_unless,
    vbox_double_dir, workspace_bin,
};
