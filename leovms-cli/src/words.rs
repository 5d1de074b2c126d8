//! The daemon's words (states, kinds, phases) as table cells and in sentences. English
//! shows the wire word itself, as before; another language's catalog picks its word by
//! the wire word, and shows the wire word for one it does not know (a newer daemon's).

use leovms_api::{
    JobKind, JobState, MachineState, Phase, ShareState, UploadSource, UploadableState,
};

use crate::l10n::fl;

pub fn machine_state(state: MachineState) -> String {
    fl!("word-machine-state", state = state.as_str())
}

pub fn job_kind(kind: JobKind) -> String {
    fl!("word-job-kind", kind = kind.as_str())
}

pub fn job_state(state: JobState) -> String {
    fl!("word-job-state", state = state.as_str())
}

pub fn phase(phase: Phase) -> String {
    fl!("word-phase", phase = phase.as_str())
}

pub fn share_state(state: ShareState) -> String {
    fl!("word-share-state", state = state.as_str())
}

pub fn upload_source(source: UploadSource) -> String {
    fl!("word-upload-source", source = source.as_str())
}

pub fn uploadable_state(state: UploadableState) -> String {
    fl!("word-uploadable-state", state = state.as_str())
}

/// `yes` or `no`.
pub fn yes_no(b: bool) -> String {
    if b { fl!("word-yes") } else { fl!("word-no") }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use leovms_l10n::{Lang, loader_in};

    use crate::l10n::Catalogs;

    /// English shows the wire word; German has a word of its own for each.
    #[test]
    fn a_print_job_and_its_phases_have_german_words() {
        let de = loader_in(Lang::De, "leovms-cli", &Catalogs);
        let en = loader_in(Lang::En, "leovms-cli", &Catalogs);
        let cases = [
            ("word-job-kind", "kind", "print", "Drucken"),
            ("word-phase", "phase", "receive", "Dokument empfangen"),
            ("word-phase", "phase", "embed-fonts", "Schriften einbetten"),
            ("word-phase", "phase", "print", "Drucken"),
        ];
        for (id, key, wire, german) in cases {
            let args = HashMap::from([(key, wire)]);
            assert_eq!(de.get_args(id, args.clone()), german, "{wire}");
            assert_eq!(en.get_args(id, args), wire);
        }
    }
}
