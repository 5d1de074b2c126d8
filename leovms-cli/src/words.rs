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
