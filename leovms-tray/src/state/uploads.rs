//! What the user can upload, and the names upload jobs are shown with.

use leovms_api::{JobKind, Uploadable};

use super::{Job, State};

/// What can be uploaded, from `ListUploadable`.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Uploads {
    /// Not read yet.
    #[default]
    Unknown,
    /// The machines in the daemon's order.
    Listed(Vec<Uploadable>),
    /// The list could not be read; the daemon's reason.
    Unreadable(String),
}

impl State {
    /// The name a job is shown with: for an upload, the machine being uploaded.
    pub fn job_name(&self, job: &Job) -> String {
        if job.kind == JobKind::Upload {
            if let Some(name) = self.upload_names.get(&job.path) {
                return name.clone();
            }
            let listed = match &self.uploads {
                Uploads::Listed(list) => list.as_slice(),
                _ => &[],
            };
            if let Some(u) = listed.iter().find(|u| u.id == job.vm && !u.name.is_empty()) {
                return u.name.clone();
            }
        }
        self.name_of(&job.vm)
    }

    /// What `ListUploadable` said; `None` keeps what was known (the daemon is gone).
    pub fn set_uploads(&mut self, uploads: Option<Uploads>) {
        if let Some(uploads) = uploads {
            self.uploads = uploads;
        }
    }

    /// An upload of `name` was started from the menu as job `path`.
    pub fn upload_started(&mut self, path: &str, name: &str) {
        self.upload_names.insert(path.to_string(), name.to_string());
    }
}
