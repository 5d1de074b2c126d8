//! The sentences the daemon's details name: each id with its values, worded from the
//! catalog (see `leovms-api/i18n/*/leovms-api.ftl`). A new id of the daemon is added here
//! and in both catalogs; until then clients show it by its headline.

use leovms_l10n::Lang;
use leovms_l10n::fl;
use leovms_l10n::i18n_embed::fluent::FluentLanguageLoader;

use crate::Detail;
use crate::units::{format_gb_in, format_size_in};

/// The sentence a detail names, when this client knows it and has every value.
pub(super) fn sentence(
    loader: &FluentLanguageLoader,
    lang: Lang,
    detail: &Detail,
) -> Option<String> {
    let text = |key: &str| detail.get(key).map(String::as_str);
    let size = |key: &str| Some(format_gb_in(lang, text(key)?.parse().ok()?));
    let small = |key: &str| Some(format_size_in(lang, text(key)?.parse().ok()?));
    let (vm, other) = (|| text("vm"), || text("other"));
    // This PC as a student names it: its host name, and its room when known.
    let pc = || {
        let host = text("host")?;
        Some(match text("room")? {
            "" => host.to_string(),
            room => fl!(loader, "pc-in-room", host = host, room = room),
        })
    };
    // A share's reason is followed by what the user can do about it.
    let with_hint = |reason: String| {
        let hint = match text("hint")? {
            "relogin" => fl!(loader, "share-hint-relogin"),
            "network" => fl!(loader, "share-hint-network"),
            "access" => fl!(loader, "share-hint-access"),
            "upload-access" => fl!(loader, "share-hint-upload-access"),
            "" => return Some(reason),
            _ => return None,
        };
        Some(format!("{reason} {hint}"))
    };
    let share = || text("share");
    Some(match text("id")? {
        "share-not-mounted" => with_hint(fl!(
            loader,
            "share-not-mounted",
            share = share()?,
            path = text("path")?
        ))?,
        "share-connected" => with_hint(fl!(
            loader,
            "share-connected",
            share = share()?,
            fstype = text("fstype")?,
            source = text("source")?,
            empty = text("empty")?
        ))?,
        "share-local" => with_hint(fl!(
            loader,
            "share-local",
            share = share()?,
            path = text("path")?
        ))?,
        "share-not-answering" => with_hint(fl!(
            loader,
            "share-not-answering",
            share = share()?,
            why = text("why")?,
            on = match text("fstype")? {
                "" => String::new(),
                fstype => fl!(
                    loader,
                    "share-on",
                    fstype = fstype,
                    source = text("source")?
                ),
            }
        ))?,
        "share-unreadable" => with_hint(fl!(
            loader,
            "share-unreadable",
            share = share()?,
            path = text("path")?,
            error = text("error")?
        ))?,
        "share-denied" => with_hint(fl!(
            loader,
            "share-denied",
            share = share()?,
            path = text("path")?
        ))?,
        "share-not-folder" => with_hint(fl!(
            loader,
            "share-not-folder",
            share = share()?,
            path = text("path")?
        ))?,
        "share-unchecked" => with_hint(fl!(loader, "share-unchecked", error = text("error")?))?,
        "mount-table-unreadable" => with_hint(fl!(
            loader,
            "mount-table-unreadable",
            error = text("error")?
        ))?,
        "vm-running" => fl!(loader, "failure-vm-running", vm = vm()?),
        "other-vm-running" => fl!(
            loader,
            "failure-other-vm-running",
            vm = vm()?,
            other = other()?
        ),
        "other-vm-starting" => {
            fl!(
                loader,
                "failure-other-vm-starting",
                vm = vm()?,
                other = other()?
            )
        }
        "starting-otherwise" => fl!(loader, "failure-starting-otherwise", vm = vm()?),
        "not-running" => fl!(loader, "failure-not-running", vm = vm()?),
        "window-still-open" => fl!(
            loader,
            "failure-window-still-open",
            vm = vm()?,
            seconds = text("seconds")?
        ),
        "cancel-running" => fl!(loader, "failure-cancel-running", vm = vm()?),
        "job-ended" => fl!(loader, "failure-job-ended"),
        "no-such-vm" => fl!(loader, "failure-no-such-vm", vm = vm()?),
        "no-such-snapshot" => fl!(
            loader,
            "failure-no-such-snapshot",
            vm = vm()?,
            snapshot = text("snapshot")?
        ),
        "not-offline" => fl!(loader, "failure-not-offline", vm = vm()?),
        "not-for-you" => fl!(loader, "failure-not-for-you", vm = vm()?),
        "not-here" => fl!(loader, "failure-not-here", vm = vm()?, pc = pc()?),
        "never-used" => fl!(loader, "failure-never-used", vm = vm()?),
        "as-found-base-renewed" => fl!(loader, "failure-as-found-base-renewed", vm = vm()?),
        "as-found-settings-damaged" => fl!(
            loader,
            "failure-as-found-settings-damaged",
            vm = vm()?,
            error = text("error")?
        ),
        "as-found-saved-state" => fl!(loader, "failure-as-found-saved-state", vm = vm()?),
        "share-unavailable" => fl!(
            loader,
            "failure-share-unavailable",
            path = text("path")?,
            reason = text("reason")?
        ),
        "another-vm-running" => fl!(loader, "failure-another-vm-running", vm = vm()?),
        "no-space" => fl!(
            loader,
            "failure-no-space",
            need = size("need")?,
            free = size("free")?,
            dir = text("dir")?
        ),
        "cache-no-space" => fl!(
            loader,
            "failure-cache-no-space",
            dir = text("dir")?,
            need = size("need")?,
            free = size("free")?,
            limit = size("limit")?,
            used = size("used")?,
            evictable = size("evictable")?
        ),
        "disk-full-copy" => fl!(
            loader,
            "failure-disk-full-copy",
            file = text("file")?,
            dir = text("dir")?
        ),
        "share-stopped" => fl!(loader, "failure-share-stopped", file = text("file")?),
        "vbox-missing" => fl!(loader, "failure-vbox-missing"),
        "vbox-failed" => fl!(loader, "failure-vbox-failed", vbox = text("vbox")?),
        "vbox-start-failed" => fl!(loader, "failure-vbox-start-failed", vbox = text("vbox")?),
        "vm-ended" => fl!(
            loader,
            "failure-vm-ended",
            vm = vm()?,
            code = text("code")?,
            vbox = text("vbox")?
        ),
        "canceled" => fl!(loader, "failure-canceled"),
        "not-synced" => fl!(loader, "problem-not-synced", vm = vm()?),
        "no-snapshot-cached" => fl!(loader, "problem-no-snapshot-cached"),
        "snapshot-not-cached" => {
            fl!(
                loader,
                "problem-snapshot-not-cached",
                snapshot = text("snapshot")?
            )
        }
        "cache-not-created" => fl!(loader, "problem-cache-not-created"),
        "vbox-vm-running" => fl!(loader, "problem-vbox-vm-running", vm = vm()?),
        "vbox-vm-saved" => fl!(loader, "problem-vbox-vm-saved", vm = vm()?),
        "no-hard-disk" => fl!(loader, "problem-no-hard-disk", vm = vm()?),
        "copy-running" => fl!(loader, "problem-copy-running", vm = vm()?),
        "upload-needs-group" => fl!(loader, "problem-upload-needs-group"),
        "base-renewed" => fl!(loader, "problem-base-renewed"),
        "settings-damaged" => fl!(loader, "problem-settings-damaged", error = text("error")?),
        "saved-state" => fl!(loader, "problem-saved-state"),
        "room-unknown" => fl!(
            loader,
            "problem-room-unknown",
            vm = vm()?,
            hosts = text("hosts")?,
            host = text("host")?,
            account = text("account")?
        ),
        "snapshot-room-unknown" => fl!(
            loader,
            "problem-snapshot-room-unknown",
            vm = vm()?,
            snapshot = text("snapshot")?,
            hosts = text("hosts")?,
            host = text("host")?,
            account = text("account")?
        ),
        "snapshot-not-here" => fl!(
            loader,
            "problem-snapshot-not-here",
            vm = vm()?,
            snapshot = text("snapshot")?,
            pc = pc()?
        ),
        "powered-off" => fl!(loader, "done-powered-off", vm = vm()?),
        "synced" => {
            let ready = fl!(
                loader,
                "done-synced",
                vm = vm()?,
                size = size("size")?,
                dir = text("dir")?
            );
            match text("resumed")? {
                "0" => ready,
                _ => fl!(
                    loader,
                    "done-synced-resumed",
                    ready = ready,
                    resumed = size("resumed")?
                ),
            }
        }
        "uploaded" => fl!(loader, "done-uploaded", vm = vm()?, label = text("label")?),
        "printed" => fl!(
            loader,
            "done-printed",
            vm = vm()?,
            printer = text("printer")?
        ),
        "print-no-printer" => fl!(loader, "print-no-printer", vm = vm()?, kept = text("kept")?),
        "print-no-cups" => fl!(loader, "print-no-cups", vm = vm()?, kept = text("kept")?),
        "print-refused" => fl!(
            loader,
            "print-refused",
            vm = vm()?,
            printer = text("printer")?,
            cups = text("cups")?,
            kept = text("kept")?
        ),
        "print-not-pdf" => fl!(
            loader,
            "print-not-pdf",
            vm = vm()?,
            file = text("file")?,
            kept = text("kept")?
        ),
        "print-too-large" => fl!(
            loader,
            "print-too-large",
            vm = vm()?,
            size = small("size")?,
            limit = small("limit")?,
            kept = text("kept")?
        ),
        "print-incomplete" => fl!(loader, "print-incomplete", vm = vm()?, kept = text("kept")?),
        "print-damaged" => fl!(
            loader,
            "print-damaged",
            vm = vm()?,
            why = text("why")?,
            kept = text("kept")?
        ),
        "print-canceled" => fl!(loader, "print-canceled", vm = vm()?, kept = text("kept")?),
        "cache-intact" => fl!(
            loader,
            "done-cache-intact",
            count = text("count")?,
            size = size("size")?
        ),
        "cache-damaged" => fl!(
            loader,
            "done-cache-damaged",
            count = text("count")?,
            size = size("size")?,
            damaged = text("damaged")?,
            list = text("list")?
        ),
        _ => return super::doing::doing(loader, detail),
    })
}
