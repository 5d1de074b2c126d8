//! The VM printer: what a running VM prints into its print file (`H:\ausdruck.pdf`, on
//! this PC `~/Home_auf_Server/ausdruck.pdf`) comes out of the user's printer, as in
//! leoclient2. [`follow`] watches the file while the VM runs, [`spool`] keeps each
//! document on disk from the moment it is taken to the printer, [`send`] runs
//! Ghostscript and `lp`. Each document is a job of kind `print`.

mod follow;
mod said;
mod send;
mod spool;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use leovms_api::{JobKind, Phase};
use leovms_image::config::{
    DEFAULT_PRINT_FILE, DEFAULT_PRINT_MAX_MB, ImageConf, PrinterConf, expand_home,
    resolve_shared_folders,
};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::blocking::blocking;
use crate::error::{Error, Outcome, Result};
use crate::job::Job;
use crate::jobs::{Admit, Jobs, NewJob};
use said::NotPrinted;
use send::Failed;
use spool::{Doc, Spool};

/// A megabyte as `max_mb` counts it, and as the clients show sizes (decimal).
const MB: u64 = 1_000_000;

/// Where a VM prints and where its documents go, fixed when it starts and kept in its
/// record, so that a restarted daemon goes on watching.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrintPlan {
    /// The VM's id (the job's `Vm`) and its name (for messages).
    pub vm: String,
    pub name: String,
    pub file: PathBuf,
    /// `None`: the user's default printer.
    pub queue: Option<String>,
    pub max_bytes: u64,
    /// When the VM started (nanoseconds since 1970): a print file last written before is
    /// not this VM's document (leoclient2 did not print it either).
    pub since: u128,
}

impl PrintPlan {
    /// image.conf's `[printer]` over leovms-client.conf's; `None` when printing is off.
    /// The default file is `ausdruck.pdf` in the folder the VM gets as `home` (H:).
    pub fn resolve(
        vm: &str,
        image: &ImageConf,
        machine_wide: &PrinterConf,
        home: &Path,
    ) -> Option<PrintPlan> {
        let conf = image.printer.over(machine_wide);
        if conf.enabled == Some(false) {
            return None;
        }
        let file = match &conf.file {
            Some(file) => expand_home(file, home),
            None => resolve_shared_folders(image, home)
                .into_iter()
                .find(|f| f.name == "home")?
                .host_path
                .join(DEFAULT_PRINT_FILE),
        };
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Some(PrintPlan {
            vm: vm.to_owned(),
            name: image.name.clone(),
            file,
            queue: conf.queue,
            max_bytes: u64::from(conf.max_mb.unwrap_or(DEFAULT_PRINT_MAX_MB)) * MB,
            since,
        })
    }
}

/// What printing shares in the daemon: the jobs, and the turn that sends one document
/// at a time in the order they were printed (tokio's mutex is fair).
pub struct Printing {
    jobs: Arc<Jobs>,
    turn: tokio::sync::Mutex<()>,
}

/// A watcher that runs while its VM does.
pub struct Watching {
    stop: oneshot::Sender<()>,
    ended: tokio::task::JoinHandle<()>,
}

impl Watching {
    /// The VM has ended: a document it finished is still taken, then the watcher ends.
    /// Documents already taken go on printing.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.ended.await;
    }
}

impl Printing {
    pub fn new(jobs: Arc<Jobs>) -> Arc<Printing> {
        Arc::new(Printing {
            jobs,
            turn: tokio::sync::Mutex::new(()),
        })
    }

    /// Watches `plan`'s print file, after printing what an earlier daemon took and did
    /// not print. `None` (logged) when its folder cannot be used.
    pub async fn watch(self: &Arc<Self>, plan: PrintPlan) -> Option<Watching> {
        let file = plan.file.clone();
        let opened = blocking(move || {
            // What goes to the printer must not be swappable by another user of the PC.
            let folder = file.parent().unwrap_or(Path::new("/"));
            crate::trust::check_folder(folder).map_err(Error::config)?;
            let spool = Spool::open(&file).map_err(|e| Error::io(file.display(), &e))?;
            let left = spool
                .leftovers()
                .map_err(|e| Error::io(file.display(), &e))?;
            Ok((spool, left))
        })
        .await;
        let (spool, left) = match opened {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(vm = %plan.vm, "the VM printer is off: {}", e.message);
                return None;
            }
        };
        if left.finished + left.set_aside > 0 {
            tracing::info!(
                vm = %plan.vm,
                "the VM printer found {} sent document(s), not sent again, and set {} old one(s) aside",
                left.finished,
                left.set_aside
            );
        }
        let (spool, plan) = (Arc::new(spool), Arc::new(plan));
        for doc in left.to_print {
            self.launch(&plan, &spool, Taken::Ready(doc)).await;
        }
        let following = match follow::start(self.clone(), plan.clone(), spool).await {
            Ok(following) => following,
            Err(e) => {
                tracing::warn!(vm = %plan.vm, "the VM printer is off: {}", e.message);
                return None;
            }
        };
        let (stop, stopped) = oneshot::channel();
        let ended = tokio::spawn(follow::follow(following, stopped));
        Some(Watching { stop, ended })
    }

    /// A job for one document: `taken` says whether it is in the spool already or is
    /// still being written (then the watcher hands it over when it is complete).
    async fn launch(
        self: &Arc<Self>,
        plan: &Arc<PrintPlan>,
        spool: &Arc<Spool>,
        taken: Taken,
    ) -> Option<Arc<Job>> {
        let new = NewJob {
            kind: JobKind::Print,
            vm: &plan.vm,
            snapshot: "",
            ram_mb: None,
            requester: "",
        };
        let (this, plan, spool) = (self.clone(), plan.clone(), spool.clone());
        let (made, job) = oneshot::channel();
        let launched = self
            .jobs
            .launch(
                new,
                |_| Ok(Admit::New),
                move |job| async move {
                    let _ = made.send(job.clone());
                    this.run(&plan, &spool, &job, taken).await
                },
            )
            .await;
        if let Err(e) = launched {
            tracing::warn!("cannot make a print job: {}", e.message);
        }
        job.await.ok()
    }

    async fn run(
        &self,
        plan: &PrintPlan,
        spool: &Arc<Spool>,
        job: &Arc<Job>,
        taken: Taken,
    ) -> Result<Outcome> {
        let doc = match taken {
            Taken::Ready(doc) => {
                let size = spool.size(&doc);
                job.set_total(size);
                job.set_done(size);
                doc
            }
            Taken::Coming(coming) => {
                job.set_phase(Phase::Receive);
                let message = format!("Receiving a document from {}", plan.name);
                job.doing(&message, "doing-receive", &[("vm", &plan.name)]);
                tokio::select! {
                    doc = coming => doc.unwrap_or_else(|_| Err(Error::internal("the VM printer stopped")))?,
                    _ = job.cancel.cancelled() => return Err(NotPrinted::Canceled.error(&plan.name, &spool.kept())),
                }
            }
        };
        // One document at a time; a job canceled while it waits for its turn ends at once.
        let result = tokio::select! {
            _turn = self.turn.lock() => self.send(plan, spool, job, doc.clone()).await,
            _ = job.cancel.cancelled() => Err(NotPrinted::Canceled.error(&plan.name, &spool.kept())),
        };
        if result.is_err() {
            // Whatever was not printed is kept for the user (never sent to a printer).
            if let Err(e) = on_disk(spool, &doc, |s, d| s.set_aside(d)).await {
                tracing::warn!(vm = %plan.vm, "{}", e.message);
            }
        }
        result
    }

    /// Fonts, printer, `lp`: the document printed, or why not.
    async fn send(
        &self,
        plan: &PrintPlan,
        spool: &Arc<Spool>,
        job: &Job,
        doc: Doc,
    ) -> Result<Outcome> {
        let not_printed = |why: NotPrinted| why.error(&plan.name, &spool.kept());
        job.set_phase(Phase::EmbedFonts);
        let message = format!("Embedding the fonts of the document from {}", plan.name);
        job.doing(&message, "doing-embed-fonts", &[("vm", &plan.name)]);
        let printable = match spool.fonts(&doc) {
            Some(done) => done,
            None => {
                match send::embed_fonts(&spool.path(&doc), &spool.fonts_part(&doc), &job.cancel)
                    .await
                {
                    Ok(()) => on_disk(spool, &doc, |s, d| s.keep_fonts(d)).await?,
                    Err(Failed::Missing) => {
                        tracing::warn!(
                            "Ghostscript (gs) is not installed: printing without embedding fonts"
                        );
                        spool.path(&doc)
                    }
                    Err(Failed::Canceled) => return Err(not_printed(NotPrinted::Canceled)),
                    Err(Failed::Said(why)) => return Err(not_printed(NotPrinted::Damaged { why })),
                }
            }
        };
        job.set_phase(Phase::Print);
        let queue = match &plan.queue {
            Some(queue) => queue.clone(),
            None => match send::default_queue().await {
                Some(queue) => queue,
                None if !send::scheduler_runs().await => {
                    return Err(not_printed(NotPrinted::NoCups));
                }
                None => return Err(not_printed(NotPrinted::NoPrinter)),
            },
        };
        let message = format!("Printing the document from {} on {queue}", plan.name);
        job.doing(
            &message,
            "doing-print",
            &[("vm", &plan.name), ("printer", &queue)],
        );
        let doc = on_disk(spool, &doc, |s, d| {
            let mut sent = d.clone();
            s.mark_sent(&mut sent).map(|()| sent)
        })
        .await?;
        let title = format!("{}: {}", plan.name, file_name(&plan.file));
        match send::lp(&queue, &title, &printable, &job.cancel).await {
            Ok(request) => tracing::info!(vm = %plan.vm, queue, request, "printed"),
            Err(Failed::Canceled) => return Err(not_printed(NotPrinted::Canceled)),
            Err(Failed::Missing) => {
                tracing::warn!("lp (cups-client) is not installed: nothing can be printed");
                return Err(not_printed(NotPrinted::NoPrinter));
            }
            Err(Failed::Said(_)) if !send::scheduler_runs().await => {
                return Err(not_printed(NotPrinted::NoCups));
            }
            Err(Failed::Said(cups)) => {
                return Err(not_printed(NotPrinted::Refused {
                    printer: queue,
                    cups,
                }));
            }
        }
        on_disk(spool, &doc, |s, d| s.finish(d)).await?;
        Ok(said::printed(&plan.name, &queue))
    }
}

/// A step of `doc` in the spool, on the blocking pool.
async fn on_disk<T: Send + 'static>(
    spool: &Arc<Spool>,
    doc: &Doc,
    step: impl FnOnce(&Spool, &Doc) -> std::io::Result<T> + Send + 'static,
) -> Result<T> {
    let (spool, doc) = (spool.clone(), doc.clone());
    blocking(move || step(&spool, &doc).map_err(|e| Error::io("the print spool", &e))).await
}

/// A document of a job: in the spool, or still being written by the VM.
enum Taken {
    Ready(Doc),
    Coming(oneshot::Receiver<Result<Doc>>),
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(image: &str, client: &str, home: &Path) -> Option<PrintPlan> {
        let image = ImageConf::parse(image, Path::new("image.conf")).unwrap();
        let client = leovms_image::config::ClientConf::parse(client, Path::new("c.conf")).unwrap();
        PrintPlan::resolve("vm-a", &image, &client.printer, home)
    }

    #[test]
    fn by_default_the_vm_prints_into_h_on_the_default_printer() {
        let home = tempfile::tempdir().unwrap();
        let plan = resolve("name = \"A\"\n", "", home.path()).unwrap();
        // No Home_auf_Server: H: is the home itself, as for the VM's shared folder.
        assert_eq!(plan.file, home.path().join("ausdruck.pdf"));
        std::fs::create_dir(home.path().join("Home_auf_Server")).unwrap();
        let plan = resolve("name = \"A\"\n", "", home.path()).unwrap();
        assert_eq!(plan.file, home.path().join("Home_auf_Server/ausdruck.pdf"));
        assert_eq!((plan.queue, plan.max_bytes), (None, 100_000_000));
        assert_eq!((plan.vm.as_str(), plan.name.as_str()), ("vm-a", "A"));
    }

    #[test]
    fn the_vm_s_settings_win_over_the_school_s_key_by_key() {
        let home = Path::new("/home/anna");
        let client = "[printer]\nqueue = \"flur\"\nmax_mb = 5\nfile = \"~/druck/x.pdf\"\n";
        let plan = resolve(
            "name = \"A\"\n[printer]\nqueue = \"raum-101\"\n",
            client,
            home,
        )
        .unwrap();
        assert_eq!(plan.queue.as_deref(), Some("raum-101"));
        assert_eq!(plan.max_bytes, 5_000_000);
        assert_eq!(plan.file, home.join("druck/x.pdf"));
        // Off for every VM, on again for one.
        let off = "[printer]\nenabled = false\n";
        assert_eq!(resolve("name = \"A\"\n", off, home), None);
        assert!(resolve("name = \"A\"\n[printer]\nenabled = true\n", off, home).is_some());
    }

    #[test]
    fn without_h_the_vm_prints_only_into_a_file_it_is_given() {
        let home = Path::new("/home/anna");
        let no_h = "name = \"A\"\n[shared_folders]\nhome = false\n";
        assert_eq!(resolve(no_h, "", home), None);
        let given = format!("{no_h}[printer]\nfile = \"/srv/druck/a.pdf\"\n");
        assert_eq!(
            resolve(&given, "", home).unwrap().file,
            Path::new("/srv/druck/a.pdf")
        );
    }
}
