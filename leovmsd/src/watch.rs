//! File change notifications as a channel, so waits are woken by events.

use std::path::Path;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::error::{Error, Result};

/// Changes below `dir` (lock and temporary files excluded: reading the state must not
/// wake the reader again). Keep the watcher alive as long as the channel is used.
pub fn changes(dir: &Path) -> Result<(notify::RecommendedWatcher, mpsc::Receiver<()>)> {
    let (tx, rx) = mpsc::channel(1);
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(event) = res else { return };
        let relevant = matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
        ) && event.paths.iter().any(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            !name.ends_with(".lock") && !name.starts_with(".leovms-tmp")
        });
        if relevant {
            let _ = tx.try_send(());
        }
    })
    .map_err(|e| Error::internal(format!("cannot watch {}: {e}", dir.display())))?;
    watcher
        .watch(dir, RecursiveMode::Recursive)
        .map_err(|e| Error::internal(format!("cannot watch {}: {e}", dir.display())))?;
    Ok((watcher, rx))
}
