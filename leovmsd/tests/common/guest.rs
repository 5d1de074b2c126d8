//! The VM's guest as a test plays it: it prints the way a Windows PDF printer does, into
//! `H:\ausdruck.pdf`, the host folder VirtualBox shares as `home`, in chunks, then
//! closing the file.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{World, running_vms};

/// The host folder behind the VM's shared folder `home` (H:), as VirtualBox has it.
pub fn guest_h(w: &World) -> PathBuf {
    let uuid = running_vms(&w.vboxmanage(&["list", "runningvms"]))
        .pop()
        .expect("vm-demo runs");
    let out = w.vboxmanage(&["showvminfo", &uuid, "--machinereadable"]);
    let info = String::from_utf8_lossy(&out.stdout).into_owned();
    let value = |key: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(|v| v.trim_matches('"').to_owned())
    };
    (1..10)
        .find(|i| value(&format!("SharedFolderNameMachineMapping{i}")).as_deref() == Some("home"))
        .and_then(|i| value(&format!("SharedFolderPathMachineMapping{i}")))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no shared folder home:\n{info}"))
}

/// The guest's PDF printer: writes the document in chunks into the open file.
pub struct GuestPrint(std::fs::File);

impl GuestPrint {
    pub fn begin(h: &Path) -> GuestPrint {
        GuestPrint(std::fs::File::create(h.join("ausdruck.pdf")).unwrap())
    }

    pub fn write(&mut self, chunk: &[u8]) {
        self.0.write_all(chunk).unwrap();
        self.0.sync_data().unwrap();
    }

    /// The whole document, then closed.
    pub fn all(h: &Path, doc: &[u8]) {
        let mut print = GuestPrint::begin(h);
        for chunk in doc.chunks(doc.len().div_ceil(3)) {
            print.write(chunk);
        }
    }
}
