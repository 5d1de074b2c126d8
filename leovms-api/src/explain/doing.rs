//! What a running job does now (its `Message`), worded from the detail the daemon sends
//! with it (see `leovms-api/i18n/*/leovms-api.ftl`, the `doing-` ids).

use leovms_l10n::fl;
use leovms_l10n::i18n_embed::fluent::FluentLanguageLoader;

use crate::Detail;

/// The sentence of a `doing-` id, when this client knows it and has every value.
pub(super) fn doing(loader: &FluentLanguageLoader, detail: &Detail) -> Option<String> {
    let text = |key: &str| detail.get(key).map(String::as_str);
    let vm = || text("vm");
    Some(match text("id")? {
        "doing-check" => fl!(loader, "doing-check", vm = vm()?),
        "doing-check-cache" => fl!(loader, "doing-check-cache", vm = vm()?),
        "doing-check-archives" => fl!(loader, "doing-check-archives"),
        "doing-copy" => fl!(loader, "doing-copy", vm = vm()?),
        "doing-wait-for-copy" => fl!(loader, "doing-wait-for-copy", dir = text("dir")?),
        "doing-unpack-base" => fl!(loader, "doing-unpack-base", vm = vm()?),
        "doing-unpack-snapshot" => fl!(
            loader,
            "doing-unpack-snapshot",
            snapshot = text("snapshot")?
        ),
        "doing-configure" => fl!(loader, "doing-configure", vm = vm()?),
        "doing-launch" => fl!(loader, "doing-launch", vm = vm()?),
        "doing-running" => fl!(loader, "doing-running", vm = vm()?),
        "doing-upload" => fl!(loader, "doing-upload", vm = vm()?),
        "doing-receive" => fl!(loader, "doing-receive", vm = vm()?),
        "doing-wait-for-document" => fl!(loader, "doing-wait-for-document", vm = vm()?),
        "doing-embed-fonts" => fl!(loader, "doing-embed-fonts", vm = vm()?),
        "doing-print" => fl!(
            loader,
            "doing-print",
            vm = vm()?,
            printer = text("printer")?
        ),
        _ => return None,
    })
}
