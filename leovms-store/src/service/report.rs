//! The PC's readiness report: what the store holds, and why VMs of `presync` are not
//! ready, written as `<host>.toml` into `report_dir` of store.toml (a folder of the
//! server only the store's user may write on this PC; docs/prewarm.md). The server
//! compares the hashes with what is published now.

use std::io;

use leovms_image::dirfd::Dir;
use leovms_image::readiness::Report;
use leovms_image::utc::Utc;
use leovms_store::Kind;

use super::State;

/// Writes the report, replacing the last one at once (never half a file); nothing when
/// store.toml names no `report_dir`.
pub fn write(state: &State) -> io::Result<()> {
    let conf = state
        .settings()
        .map_err(|e| io::Error::other(e.message()))?;
    let Some(dir) = conf.report_dir else {
        return Ok(());
    };
    let host = host_name()?;
    let mut report = Report {
        format: 1,
        host: host.clone(),
        at: Utc::now().rfc3339(),
        problems: state.problems.lock().expect("not poisoned").clone(),
        ..Report::default()
    };
    for entry in state.store.entries()? {
        let set = match entry.kind {
            Kind::Base => &mut report.bases,
            Kind::Archive => &mut report.archives,
        };
        set.insert(hex::encode(entry.sha256));
    }
    Dir::open(&dir)?.write_atomic(
        format!("{host}.toml"),
        report.to_toml_string().as_bytes(),
        0o644,
    )?;
    tracing::info!("reported what this PC holds to {}", dir.display());
    Ok(())
}

/// This PC's name as the report spells it: the kernel's host name, checked like the
/// server checks it.
fn host_name() -> io::Result<String> {
    let name = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    let ok = !name.is_empty()
        && name.len() <= 253
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    ok.then_some(name).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "this PC's host name cannot name a report",
        )
    })
}
