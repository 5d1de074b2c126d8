//! The per-user `VirtualBox.xml` of leovms' VirtualBox home: just the machine registry.

use std::fmt::Write as _;
use std::path::PathBuf;

use uuid::Uuid;

use super::scan::escape_attr;
use crate::vdi::braced;

/// A minimal global settings file registering `entries` (machine uuid, absolute `.vbox`).
///
/// It satisfies the settings schema's `TGlobal` (which requires `Updates` and
/// `SystemProperties`). Host update checks are off: users of school PCs cannot install
/// VirtualBox updates anyway. Paths must be UTF-8 text without control characters (other
/// than tab and newline); anything else is written with replacement characters.
pub fn global_settings(entries: &[(Uuid, PathBuf)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\"?>\n\
         <!--\n\
         ** Written by leovms for its own VirtualBox home; rewritten before every start.\n\
         -->\n\
         <VirtualBox xmlns=\"http://www.virtualbox.org/\" version=\"1.19-linux\">\n  <Global>\n",
    );
    if entries.is_empty() {
        out.push_str("    <MachineRegistry/>\n");
    } else {
        out.push_str("    <MachineRegistry>\n");
        for (uuid, src) in entries {
            let src = escape_lossy(&src.to_string_lossy());
            let _ = writeln!(
                out,
                "      <MachineEntry uuid=\"{}\" src=\"{src}\"/>",
                braced(uuid)
            );
        }
        out.push_str("    </MachineRegistry>\n");
    }
    out.push_str(
        "    <MediaRegistry>\n      <HardDisks/>\n      <DVDImages/>\n      <FloppyImages/>\n    </MediaRegistry>\n\
         \x20   <NetserviceRegistry>\n      <DHCPServers/>\n    </NetserviceRegistry>\n\
         \x20   <SystemProperties defaultHardDiskFormat=\"VDI\" VRDEAuthLibrary=\"VBoxAuth\" \
         webServiceAuthLibrary=\"VBoxAuth\" LogHistoryCount=\"3\"/>\n\
         \x20   <Updates>\n      <Host enabled=\"false\"/>\n    </Updates>\n\
         \x20   <USBDeviceFilters/>\n  </Global>\n</VirtualBox>\n",
    );
    out
}

fn escape_lossy(value: &str) -> String {
    let cleaned: String = value
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect();
    escape_attr(&cleaned, "a machine path").unwrap_or_default()
}
