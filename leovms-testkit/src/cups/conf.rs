//! The private cupsd's folder: its two configuration files, the printer's PPD and the file
//! the printer "prints" into. Everything cupsd writes stays in this folder.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Subfolders cupsd needs (ServerRoot with its PPD folder, spool, cache, state, temp, logs)
/// and the device's folder.
const FOLDERS: [&str; 8] = [
    "root", "root/ppd", "spool", "cache", "state", "tmp", "log", "out",
];

/// A printer whose only filter passes the PDF through unchanged (a raw queue with a
/// `file:` device writes nothing: CUPS runs no filter for it).
const PPD: &str = r#"*PPD-Adobe: "4.3"
*FormatVersion: "4.3"
*FileVersion: "1.0"
*LanguageVersion: English
*LanguageEncoding: ISOLatin1
*PCFileName: "LEOVMS.PPD"
*Manufacturer: "leovms"
*Product: "(leovms test printer)"
*ModelName: "leovms test printer"
*ShortNickName: "leovms test printer"
*NickName: "leovms test printer"
*PSVersion: "(3010.000) 0"
*LanguageLevel: "3"
*ColorDevice: True
*DefaultColorSpace: RGB
*FileSystem: False
*Throughput: "1"
*cupsVersion: 2.4
*cupsFilter2: "application/pdf application/vnd.cups-pdf 0 gziptoany"
*OpenUI *PageSize/Media Size: PickOne
*OrderDependency: 10 AnySetup *PageSize
*DefaultPageSize: A4
*PageSize A4/A4: "<</PageSize[595 842]>>setpagedevice"
*CloseUI: *PageSize
*DefaultImageableArea: A4
*ImageableArea A4/A4: "0 0 595 842"
*DefaultPaperDimension: A4
*PaperDimension A4/A4: "595 842"
"#;

/// Files in the folder.
pub(super) const CUPSD_CONF: &str = "cupsd.conf";
pub(super) const CUPS_FILES_CONF: &str = "cups-files.conf";
pub(super) const PPD_FILE: &str = "printer.ppd";
pub(super) const SOCKET: &str = "cups.sock";
pub(super) const DEVICE: &str = "out/printed.pdf";
pub(super) const ERROR_LOG: &str = "log/error_log";
pub(super) const SPOOL: &str = "spool";
/// The pid of the test process that started cupsd (see `stale`).
pub(super) const OWNER: &str = "owner";

/// Creates the folders and files of a private cupsd in `dir`.
pub(super) fn lay_out(dir: &Path) -> io::Result<()> {
    // cupsd runs filters and backends as user lp: they must reach the device file.
    set_mode(dir, 0o755)?;
    for folder in FOLDERS {
        std::fs::create_dir(dir.join(folder))?;
    }
    std::fs::write(dir.join(OWNER), std::process::id().to_string())?;
    for (name, text) in [
        (CUPSD_CONF, cupsd_conf(dir)),
        (CUPS_FILES_CONF, cups_files_conf(dir)),
    ] {
        std::fs::write(dir.join(name), &text)?;
        // cupsd and the clients look for them in ServerRoot too.
        std::fs::write(dir.join("root").join(name), &text)?;
    }
    std::fs::write(dir.join(PPD_FILE), PPD)?;
    // The file backend opens the device as user lp and does not create it.
    let device = dir.join(DEVICE);
    std::fs::write(&device, "")?;
    set_mode(&device, 0o666)
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// Listens on a socket in `dir` only (no port), lets everyone do everything and keeps
/// every job's document and history, so that tests can read what was printed.
fn cupsd_conf(dir: &Path) -> String {
    let socket = dir.join(SOCKET);
    format!(
        "Listen {}
Browsing Off
DefaultAuthType None
WebInterface No
PreserveJobFiles Yes
PreserveJobHistory Yes
LogLevel info
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
",
        socket.display()
    )
}

/// Every path inside `dir`; `Printcap` too, or cupsd writes the machine's /run/cups/printcap.
fn cups_files_conf(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "ServerRoot {d}/root
RequestRoot {d}/{SPOOL}
CacheDir {d}/cache
StateDir {d}/state
TempDir {d}/tmp
ErrorLog {d}/{ERROR_LOG}
AccessLog {d}/log/access_log
PageLog {d}/log/page_log
Printcap {d}/printcap
FileDevice Yes
User lp
Group lp
SystemGroup root
Sandboxing Relaxed
"
    )
}
