//! Writing an upload folder: `upload.toml` first, `manifest.toml` last, and on any
//! error or cancellation the whole folder removed again.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{
    CopySource, MANIFEST, UPLOAD_TOML, UploadError, UploadFile, UploadProgress, UploadReport,
    UploadSpec, check, upload_toml,
};
use crate::archive::{Compression, PackOptions, pack_with, sync_best_effort};
use crate::atomic::{fsync_dir, parent_dir, temp_path_for};
use crate::manifest::{Manifest, ManifestEntry, sha256_pieces};

type Progress = Arc<dyn Fn(UploadProgress) + Send + Sync>;

/// Writes the upload `spec` into the new folder `dir` (its parent must exist).
///
/// `progress` gets the source bytes handled so far, at most once per MiB read (plus
/// once at the end of each file). Archives are compressed with one zstd worker per
/// CPU. Canceling `cancel` stops within a few MiB. On any error the folder is removed.
pub async fn write_upload(
    dir: &Path,
    spec: &UploadSpec,
    progress: impl Fn(UploadProgress) + Send + Sync + 'static,
    cancel: &CancellationToken,
) -> Result<UploadReport, UploadError> {
    check(spec)?;
    let total = source_bytes(spec, dir)?;
    match fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(UploadError::Exists(dir.to_owned()));
        }
        Err(e) => return Err(UploadError::io(dir, parent_dir(dir), e)),
    }
    let result = write_files(dir, spec, total, Arc::new(progress), cancel).await;
    if result.is_err() {
        let owned = dir.to_owned();
        let _ = tokio::task::spawn_blocking(move || fs::remove_dir_all(owned)).await;
    }
    result
}

/// The sum of the source sizes; a missing source fails before anything is written.
fn source_bytes(spec: &UploadSpec, dir: &Path) -> Result<u64, UploadError> {
    let size = |p: &PathBuf| fs::metadata(p).map(|m| m.len());
    let mut total = 0;
    for file in &spec.files {
        total += match file {
            UploadFile::Archive { entries, .. } => entries
                .iter()
                .map(|(p, _)| size(p).map_err(|e| UploadError::io(p, dir, e)))
                .sum::<Result<u64, _>>()?,
            UploadFile::Copy {
                source: CopySource::File(p),
                ..
            } => size(p).map_err(|e| UploadError::io(p, dir, e))?,
            UploadFile::Copy {
                source: CopySource::Bytes(b),
                ..
            } => b.len() as u64,
        };
    }
    Ok(total)
}

async fn write_files(
    dir: &Path,
    spec: &UploadSpec,
    total: u64,
    progress: Progress,
    cancel: &CancellationToken,
) -> Result<UploadReport, UploadError> {
    let toml = CopySource::Bytes(upload_toml(spec).into_bytes());
    let tick: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(|_| {});
    let mut files = vec![copy(dir, UPLOAD_TOML, toml, tick, cancel).await?];
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    let mut done = 0;
    for file in &spec.files {
        if cancel.is_cancelled() {
            return Err(UploadError::Canceled);
        }
        let rel = file.path_in_upload();
        let target = dir.join(rel);
        let folder = parent_dir(&target);
        fs::create_dir_all(folder).map_err(|e| UploadError::io(folder, dir, e))?;
        let progress = progress.clone();
        let tick: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(move |n| {
            progress(UploadProgress {
                done: done + n,
                total,
            })
        });
        let entry = match file {
            UploadFile::Copy { source, .. } => {
                let entry = copy(dir, rel, source.clone(), tick, cancel).await?;
                done += entry.size;
                entry
            }
            UploadFile::Archive { entries, .. } => {
                let compression = Compression::from_path(&target).unwrap_or(Compression::Zstd);
                let options = PackOptions {
                    workers,
                    progress: Some(tick),
                    cancel: Some(cancel.clone()),
                };
                let report = pack_with(entries, &target, compression, options)
                    .await
                    .map_err(|e| UploadError::from_archive(e, dir))?;
                done += report.unpacked;
                ManifestEntry {
                    path: rel.to_owned(),
                    size: report.size,
                    sha256: report.sha256,
                    unpacked: Some(report.unpacked),
                }
            }
        };
        files.push(entry);
    }
    if cancel.is_cancelled() {
        return Err(UploadError::Canceled);
    }
    let manifest = Manifest { files };
    let text = CopySource::Bytes(manifest.to_toml_string().into_bytes());
    let tick: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(|_| {});
    copy(dir, MANIFEST, text, tick, cancel).await?;
    Ok(UploadReport {
        manifest,
        source_bytes: total,
    })
}

/// Copies `source` to `dir/rel` under a temporary name, hashing on the way.
async fn copy(
    dir: &Path,
    rel: &str,
    source: CopySource,
    tick: Arc<dyn Fn(u64) + Send + Sync>,
    cancel: &CancellationToken,
) -> Result<ManifestEntry, UploadError> {
    let (dir, rel, cancel) = (dir.to_owned(), rel.to_owned(), cancel.clone());
    let job = move || {
        let (size, sha256) = copy_blocking(&dir, &rel, &source, &*tick, &cancel)?;
        Ok(ManifestEntry {
            path: rel,
            size,
            sha256,
            unpacked: None,
        })
    };
    tokio::task::spawn_blocking(job)
        .await
        .unwrap_or_else(|e| Err(UploadError::BadSpec(format!("copying failed: {e}"))))
}

fn copy_blocking(
    dir: &Path,
    rel: &str,
    source: &CopySource,
    tick: &dyn Fn(u64),
    cancel: &CancellationToken,
) -> Result<(u64, [u8; 32]), UploadError> {
    let target = dir.join(rel);
    let tmp = temp_path_for(&target);
    let out_err = |e| UploadError::io(&tmp, dir, e);
    let (reader, from): (Box<dyn Read>, &Path) = match source {
        CopySource::Bytes(b) => (Box::new(b.as_slice()), &target),
        CopySource::File(p) => {
            let file = File::open(p).map_err(|e| UploadError::io(p, dir, e))?;
            (Box::new(file), p)
        }
    };
    let in_err = |e| UploadError::io(from, dir, e);
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&tmp)
        .map_err(out_err)?;
    out.set_permissions(fs::Permissions::from_mode(0o644))
        .map_err(out_err)?;
    if cancel.is_cancelled() {
        return Err(UploadError::Canceled);
    }
    let mut written = 0u64;
    let (size, sha256) = sha256_pieces(reader, in_err, |piece| {
        out.write_all(piece).map_err(out_err)?;
        written += piece.len() as u64;
        tick(written);
        if cancel.is_cancelled() {
            return Err(UploadError::Canceled);
        }
        Ok(())
    })?;
    sync_best_effort(out.sync_all()).map_err(out_err)?;
    drop(out);
    fs::rename(&tmp, &target).map_err(|e| UploadError::io(&target, dir, e))?;
    let folder = parent_dir(&target);
    sync_best_effort(fsync_dir(folder)).map_err(|e| UploadError::io(folder, dir, e))?;
    Ok((size, sha256))
}
