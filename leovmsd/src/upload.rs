//! Upload jobs: a machine of the user's own VirtualBox or a leovms working copy, packed
//! into `leovms-upload/<user>/<id>-<time>/` (docs/format.md, "Uploads") for the admin to
//! publish. The share's free space is checked first; cancel or failure removes the folder.

use std::path::Path;
use std::sync::Arc;

use leovms_api::{
    ErrorKind, JobKind, Phase, ShareState, UploadOptions, UploadSource, Uploadable, UploadableState,
};
use leovms_image::upload::{UploadError, UploadProgress, write_upload};
use zbus::zvariant::OwnedObjectPath;

use crate::blocking::blocking;
use crate::daemon::Daemon;
use crate::error::{Error, Outcome, Result, detail};
use crate::job::Job;
use crate::jobs::{Admit, NewJob, active};
use crate::settings::Settings;
use crate::upload_plan::{self, Plan, not_allowed};
use crate::upload_source::{self, Source};
use crate::view::View;

impl Daemon {
    /// Every machine the user could upload, with the reason when one cannot be now.
    pub async fn list_uploadable(self: &Arc<Self>) -> Result<Vec<Uploadable>> {
        let share = self.share.upload_info().await;
        // Said by the share's own sentence (its detail), or by the group's.
        let unavailable = match share.state {
            ShareState::Online => None,
            ShareState::Unreadable => Some((
                "uploading needs the group p_leovms; ask the school's admin".to_string(),
                detail("upload-needs-group", &[]),
            )),
            _ => Some((
                format!("the upload share is not available: {}", share.reason),
                share.detail.clone(),
            )),
        };
        Ok(self
            .upload_sources()
            .await?
            .iter()
            .map(|s| {
                let mut u = s.to_api();
                if u.problem.is_empty()
                    && let Some((why, detail)) = &unavailable
                {
                    u.problem.clone_from(why);
                    u.problem_detail.clone_from(detail);
                }
                u
            })
            .collect())
    }

    async fn upload_sources(self: &Arc<Self>) -> Result<Vec<Source>> {
        let online = self.share.online().await;
        // The user's own VirtualBox home is local: a file step, not the share.
        let home = blocking(|| Ok(upload_source::own_home(&Settings::home()))).await?;
        let vbox = match self.layout().await {
            Ok(layout) => self.find_vbox(&layout).await,
            Err(e) => Err(e),
        };
        let running = match vbox {
            Ok(vbox) => {
                let own = crate::vbox::VBox {
                    home: home.clone(),
                    ..vbox
                };
                own.running_vms().await.unwrap_or_default()
            }
            Err(_) => Vec::new(),
        };
        self.read_share(move |d| {
            let view = View::load(&d.settings, online)?;
            let bases = upload_source::published_bases(&view);
            let mut out = upload_source::own_machines(&home, &running, &bases)
                .map_err(|e| Error::new(ErrorKind::Io, e))?;
            out.extend(upload_source::working_copies(&view, |vm| {
                d.jobs.active(JobKind::Start, vm).is_some()
            }));
            Ok(out)
        })
        .await
    }

    pub async fn upload(
        self: &Arc<Self>,
        source: &str,
        id: &str,
        options: UploadOptions,
        requester: &str,
    ) -> Result<OwnedObjectPath> {
        let word = source;
        let source = UploadSource::parse(word);
        let sources = self.upload_sources().await?;
        let found = sources
            .into_iter()
            .find(|s| {
                s.source == source
                    && (s.id == id || (source == UploadSource::VirtualBox && s.name == id))
            })
            .ok_or_else(|| {
                Error::not_found(match source {
                    UploadSource::VirtualBox => {
                        format!("Your VirtualBox has no machine \"{id}\".")
                    }
                    UploadSource::WorkingCopy => {
                        format!("You have no working copy of \"{id}\" to upload.")
                    }
                    UploadSource::Unknown => {
                        format!("Unknown upload source \"{word}\" (virtualbox or working-copy).")
                    }
                })
            })?;
        if let Some(problem) = &found.problem {
            let kind = if found.state == UploadableState::Off {
                ErrorKind::InvalidArgument
            } else {
                ErrorKind::VmRunning
            };
            let mut refused = Error::new(kind, format!("{problem}."));
            refused.detail.clone_from(&found.problem_detail);
            return Err(refused);
        }
        let share = self.share.upload_info().await;
        match share.state {
            ShareState::Online => {}
            // Mounted, but this user may not even look into it: not in p_leovms.
            ShareState::Unreadable => return Err(not_allowed(&self.settings.upload)),
            _ => {
                return Err(Error::new(
                    ErrorKind::Offline,
                    format!(
                        "The upload share is not available: {} {}",
                        share.reason, share.hint
                    ),
                ));
            }
        }
        let online = self.share.online().await;
        let settings = self.settings.clone();
        let plan = self
            .read_share(move |_| upload_plan::plan(&settings, online, &found, &options))
            .await?;
        let (vm, snapshot) = (
            plan.spec.vm.to_string(),
            plan.spec
                .snapshot
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default(),
        );
        let new = NewJob {
            kind: JobKind::Upload,
            vm: &vm,
            snapshot: &snapshot,
            ram_mb: None,
            requester,
        };
        self.jobs
            .launch(
                new,
                |jobs| admit(jobs, &vm),
                move |job| async move { run(&job, plan).await },
            )
            .await
    }
}

/// One upload of a VM at a time (two would write the same files).
fn admit(jobs: &[Arc<Job>], vm: &str) -> Result<Admit> {
    match active(jobs, JobKind::Upload, vm) {
        Some(job) => Err(Error::new(
            ErrorKind::Busy,
            format!(
                "An upload for {} is running already; wait for it or cancel it.",
                job.vm
            ),
        )),
        None => Ok(Admit::New),
    }
}

async fn run(job: &Arc<Job>, plan: Plan) -> Result<Outcome> {
    job.set_phase(Phase::Upload);
    let name = &plan.spec.name;
    job.doing(
        &format!("Uploading {name}"),
        "doing-upload",
        &[("vm", name)],
    );
    job.set_total(plan.total);
    let progress = {
        let job = job.clone();
        move |p: UploadProgress| job.set_done(p.done)
    };
    write_upload(&plan.dir, &plan.spec, progress, &job.cancel)
        .await
        .map_err(|e| upload_error(e, &plan.dir))?;
    Ok(Outcome::from(format!(
        "Uploaded {} to the upload share as {}. The admin publishes it with: leovms-admin publish {}",
        plan.spec.name, plan.label, plan.label
    ))
    .said(
        "uploaded",
        &[("vm", &plan.spec.name), ("label", &plan.label)],
    ))
}

fn upload_error(e: UploadError, dir: &Path) -> Error {
    match e {
        UploadError::Canceled => Error::canceled(),
        UploadError::NoSpace { folder } => Error::new(
            ErrorKind::NoSpace,
            format!(
                "The upload share became full while uploading ({}); nothing was kept. Ask the school's admin for space.",
                folder.display()
            ),
        ),
        UploadError::PermissionDenied { folder } => not_allowed(&folder),
        UploadError::Exists(path) => Error::new(
            ErrorKind::Busy,
            format!("{} exists already; try again in a second.", path.display()),
        ),
        other => Error::new(
            ErrorKind::Io,
            format!("The upload to {} failed: {other}", dir.display()),
        ),
    }
}
