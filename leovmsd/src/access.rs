//! Who is at which PC: the facts the access rules of image.conf and snapshot.conf are
//! checked against. Determined once per daemon.
//!
//! - user and groups: `id -un` and `id -Gn` of the daemon's own process, so that groups
//!   from a directory (LDAP, AD through sssd or winbind) count like local ones;
//! - host: `--host`/`LEOVMS_HOST`, else the kernel's node name;
//! - room: `--room`/`LEOVMS_ROOM`, else, as leoclient2 did, the primary group of the PC's
//!   computer account (`<host>`, else `<host>$`, first label of the host name), looked
//!   up through NSS with `id -gn`. Without a room, `rooms` rules do not match.

use std::process::{Command, Stdio};
use std::sync::OnceLock;

use leovms_image::config::AccessFacts;

use crate::settings::Settings;

static FACTS: OnceLock<AccessFacts> = OnceLock::new();

/// The facts of this daemon (blocks on the first call: runs `id`).
pub fn facts(settings: &Settings) -> &'static AccessFacts {
    FACTS.get_or_init(|| {
        let facts = determine(settings);
        tracing::info!(
            "access: user {} (groups {}), host {}, room {}",
            facts.user,
            facts.groups.join(" "),
            facts.host,
            facts.room.as_deref().unwrap_or("unknown")
        );
        facts
    })
}

fn determine(settings: &Settings) -> AccessFacts {
    let host = settings
        .host
        .clone()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| {
            rustix::system::uname()
                .nodename()
                .to_string_lossy()
                .into_owned()
        });
    let room = match settings.room.clone().filter(|r| !r.is_empty()) {
        Some(room) => Some(room),
        None => room_of(&host),
    };
    let user = id(&["-un"]).unwrap_or_else(|| {
        tracing::warn!("access: `id -un` failed; rules naming users will not match");
        rustix::process::getuid().as_raw().to_string()
    });
    let groups = id(&["-Gn"])
        .map(|g| g.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_else(|| {
            tracing::warn!("access: `id -Gn` failed; rules naming groups will not match");
            Vec::new()
        });
    AccessFacts {
        user,
        groups,
        host,
        room,
    }
}

/// The primary group of the computer account of `host`.
fn room_of(host: &str) -> Option<String> {
    let short = host.split('.').next().unwrap_or_default();
    if short.is_empty() || short.starts_with('-') {
        return None;
    }
    id(&["-gn", "--", short]).or_else(|| id(&["-gn", "--", &format!("{short}$")]))
}

/// Output of `id ARGS`, trimmed; `None` when it fails or says nothing.
fn id(args: &[&str]) -> Option<String> {
    let out = Command::new("id")
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}
