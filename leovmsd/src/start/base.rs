//! Where a start's base comes from when it is not there yet: the PC's store, which
//! makes it once for every user of the PC, or, without the store, this user's own
//! unpack (docs/store.md, "How leovmsd uses it").

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::blocking::blocking;
use crate::catalog::{ArchiveRef, VmEntry};
use crate::error::Result;
use crate::job::Job;
use crate::pc_store::{PcStore, Refusal};
use crate::space;
use crate::start_source::{after_damage, prepare_base_parent};
use crate::unpack;
use crate::view::View;

pub struct Made {
    pub dir: PathBuf,
    pub from_store: bool,
}

/// Makes the base from `archive` (fetched already), its progress counted into `job`
/// from `offset`: by `store` when given (and it can be used), else as this user's own
/// copy in `own_dir` (whose folders the plan prepared when no store was to make it).
pub async fn make(
    store: Option<&PcStore>,
    view: &Arc<View>,
    vm: &Arc<VmEntry>,
    archive: &ArchiveRef,
    own_dir: &Path,
    job: &Arc<Job>,
    offset: u64,
) -> Result<Made> {
    let mut archive = archive.clone();
    if let Some(store) = store {
        match store_base(store, view, vm, &archive, job, offset).await? {
            Stored::Base(dir) => {
                return Ok(Made {
                    dir,
                    from_store: true,
                });
            }
            Stored::FallBack(from) => {
                archive = from;
                let (view, vm, own_dir) = (view.clone(), vm.clone(), own_dir.to_owned());
                blocking(move || prepare_own_base(&view, &vm, &own_dir)).await?;
            }
        }
    }
    let mut result = unpack::base(&archive, own_dir, job, offset).await;
    if let Err(e) = &result
        && let Some(share) = after_damage(view, vm, &vm.base, &archive, e).await
    {
        result = unpack::base(&share, own_dir, job, offset).await;
    }
    result?;
    Ok(Made {
        dir: own_dir.to_owned(),
        from_store: false,
    })
}

/// What the store did with a base.
enum Stored {
    Base(PathBuf),
    /// It cannot be used here: this user unpacks this archive into their own copy.
    FallBack(ArchiveRef),
}

/// Has the PC's store make the base. A cached archive found damaged is removed and,
/// online, the share's is handed over instead.
async fn store_base(
    store: &PcStore,
    view: &View,
    vm: &VmEntry,
    archive: &ArchiveRef,
    job: &Arc<Job>,
    offset: u64,
) -> Result<Stored> {
    let mut from = archive.clone();
    loop {
        match store.add_base(&from, job, offset).await {
            Ok(base) => return Ok(Stored::Base(base)),
            Err(Refusal::FallBack(why)) => {
                tracing::info!("the store did not make the base ({why}): unpacking an own copy");
                return Ok(Stored::FallBack(from));
            }
            Err(Refusal::Final(e)) => match after_damage(view, vm, &vm.base, &from, &e).await {
                Some(share) => from = share,
                None => return Err(e),
            },
        }
    }
}

/// Room and folders for this user's own copy of the base, when the store did not make
/// it after all. Blocks.
fn prepare_own_base(view: &View, vm: &VmEntry, base_dir: &Path) -> Result<()> {
    prepare_base_parent(&view.layout, base_dir)?;
    let parent = base_dir.parent().unwrap_or(&view.layout.machines_dir);
    space::ensure_fits(
        parent,
        vm.base.unpacked,
        &format!("starting {}", vm.image.name),
    )
}
