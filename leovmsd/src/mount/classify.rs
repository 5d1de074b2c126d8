//! What a probe's outcome means for the share, in words a student can act on.

use std::io;
use std::path::Path;

use super::table::{MountEntry, covering_mount, is_network_fstype};
use leovms_api::{Detail, ShareState};

use crate::error::detail;

/// What the user can do about a share's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hint {
    None,
    Relogin,
    Network,
    Access,
    UploadAccess,
}

impl Hint {
    pub(crate) fn text(self) -> &'static str {
        match self {
            Hint::None => "",
            Hint::Relogin => "Log out and in again, or ask the school's admin.",
            Hint::Network => {
                "Check the network connection and try again in a minute; \
                 if it stays like this, ask the school's admin."
            }
            Hint::Access => "Ask the school's admin to give your account access to the VM share.",
            Hint::UploadAccess => {
                "Uploading needs membership in the group p_leovms; ask the school's admin."
            }
        }
    }

    /// The hint's word in a [`Found`]'s detail (`hint`).
    fn id(self) -> &'static str {
        match self {
            Hint::None => "",
            Hint::Relogin => "relogin",
            Hint::Network => "network",
            Hint::Access => "access",
            Hint::UploadAccess => "upload-access",
        }
    }
}

/// What a check found: the state, the reason in English with its detail (the sentence's
/// id, its values and the hint's word), and the hint.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub state: ShareState,
    pub reason: String,
    pub detail: Detail,
    pub hint: Hint,
}

impl Found {
    /// `share` is the share's noun (`VM share` or `upload share`).
    pub(crate) fn new(
        state: ShareState,
        reason: String,
        hint: Hint,
        share: &str,
        id: &str,
        values: &[(&str, &dyn std::fmt::Display)],
    ) -> Found {
        let which = if share == "upload share" {
            "upload"
        } else {
            "data"
        };
        let mut detail = detail(id, values);
        detail.insert("share".into(), which.into());
        detail.insert("hint".into(), hint.id().into());
        Found {
            state,
            reason,
            detail,
            hint,
        }
    }
}

/// What the probe thread saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A readable folder; whether it has at least one entry.
    Readable {
        has_entries: bool,
    },
    Missing,
    NotFolder,
    Denied,
    /// Any other error, with the system's words (EIO, ENOTCONN, EHOSTDOWN…).
    Failed(String),
}

/// Where the path sits in the mount table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Place {
    /// The path itself is a mount point.
    pub mount_point: bool,
    /// The mount holding the path is a network file system.
    pub network: bool,
    pub fstype: String,
    pub source: String,
}

impl Place {
    pub(crate) fn of(entries: &[MountEntry], path: &Path) -> Place {
        match covering_mount(entries, path) {
            Some(m) => Place {
                mount_point: m.mount_point == path,
                network: is_network_fstype(&m.fstype),
                fstype: m.fstype.clone(),
                source: m.source.clone(),
            },
            None => Place::default(),
        }
    }

    /// Whether the share counts as mounted here (not a plain folder of the local disk).
    pub(crate) fn mounted(&self) -> bool {
        self.mount_point || self.network
    }
}

/// State, reason and hint for what a finished probe saw.
pub(crate) fn classify(share: &str, path: &Path, place: &Place, outcome: &Outcome) -> Found {
    use ShareState::*;
    let shown = path.display();
    let found = |state, reason, hint, id, values: &[(&str, &dyn std::fmt::Display)]| {
        Found::new(state, reason, hint, share, id, values)
    };
    let not_mounted = || {
        let reason = format!("The {share} is not connected (nothing is mounted at {shown}).");
        found(
            NotMounted,
            reason,
            Hint::Relogin,
            "share-not-mounted",
            &[("path", &shown)],
        )
    };
    match outcome {
        Outcome::Readable { has_entries } => match (place.mounted(), has_entries) {
            (true, _) => {
                let empty = if *has_entries {
                    ""
                } else {
                    ", but it is empty"
                };
                let reason = format!(
                    "The {share} is connected ({} from {}){empty}.",
                    place.fstype, place.source
                );
                let empty = if *has_entries { "no" } else { "yes" };
                let values: [(&str, &dyn std::fmt::Display); 3] = [
                    ("fstype", &place.fstype),
                    ("source", &place.source),
                    ("empty", &empty),
                ];
                found(Online, reason, Hint::None, "share-connected", &values)
            }
            (false, true) => {
                let reason = format!(
                    "The {share} is a local folder at {shown} (no network mount), used as it is."
                );
                found(
                    Online,
                    reason,
                    Hint::None,
                    "share-local",
                    &[("path", &shown)],
                )
            }
            (false, false) => not_mounted(),
        },
        Outcome::Missing if !place.mounted() => not_mounted(),
        // Below a network mount (smbnetfs shows `<host>/<share>`) a missing folder means
        // the server did not give the share: not answering, not "not mounted".
        Outcome::Missing => timed_out(share, place, &format!("{shown} is missing on the mount")),
        Outcome::Failed(e) if place.mounted() => timed_out(share, place, e),
        Outcome::Failed(e) => {
            let reason = format!("The {share} at {shown} cannot be read ({e}).");
            let values: [(&str, &dyn std::fmt::Display); 2] = [("path", &shown), ("error", e)];
            found(
                Unreadable,
                reason,
                Hint::Relogin,
                "share-unreadable",
                &values,
            )
        }
        Outcome::Denied => {
            let reason = format!("You may not read the {share} at {shown} (permission denied).");
            let hint = if share == "upload share" {
                Hint::UploadAccess
            } else {
                Hint::Access
            };
            found(
                Unreadable,
                reason,
                hint,
                "share-denied",
                &[("path", &shown)],
            )
        }
        Outcome::NotFolder => {
            let reason = format!("The {share} at {shown} is not a folder.");
            found(
                Unreadable,
                reason,
                Hint::Relogin,
                "share-not-folder",
                &[("path", &shown)],
            )
        }
    }
}

/// A probe that took too long or failed on a mounted share.
pub(crate) fn timed_out(share: &str, place: &Place, why: &str) -> Found {
    let on = if place.fstype.is_empty() {
        String::new()
    } else {
        format!("; {} from {}", place.fstype, place.source)
    };
    let reason = format!("The {share} does not answer (server or network down). ({why}{on})");
    let values: [(&str, &dyn std::fmt::Display); 3] = [
        ("why", &why),
        ("fstype", &place.fstype),
        ("source", &place.source),
    ];
    Found::new(
        ShareState::NotAnswering,
        reason,
        Hint::Network,
        share,
        "share-not-answering",
        &values,
    )
}

/// The real probe: the folder's metadata and its first entry.
pub(crate) fn probe_path(path: &Path) -> Outcome {
    let outcome_of = |e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => Outcome::Missing,
        io::ErrorKind::PermissionDenied => Outcome::Denied,
        io::ErrorKind::NotADirectory => Outcome::NotFolder,
        _ => Outcome::Failed(e.to_string()),
    };
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_dir() => return Outcome::NotFolder,
        Ok(_) => {}
        Err(e) => return outcome_of(e),
    }
    match std::fs::read_dir(path) {
        Ok(mut entries) => match entries.next() {
            None => Outcome::Readable { has_entries: false },
            Some(Ok(_)) => Outcome::Readable { has_entries: true },
            Some(Err(e)) => outcome_of(e),
        },
        Err(e) => outcome_of(e),
    }
}
