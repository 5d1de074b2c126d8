//! The queue's jobs and their documents, as cupsd keeps them.

use std::path::PathBuf;

use super::conf::SPOOL;
use super::{Cups, LIMIT, wait_until};

impl Cups {
    /// The ids of the queue's completed jobs as CUPS names them (`<queue>-<number>`, as `lp`
    /// reports them), oldest first. Canceled and aborted jobs count as completed too.
    pub fn completed(&self) -> Vec<String> {
        self.jobs("completed")
    }

    /// The ids of the queue's jobs not completed yet (held, pending or printing).
    pub fn pending(&self) -> Vec<String> {
        self.jobs("not-completed")
    }

    /// The document of each completed job, oldest first: exactly the bytes submitted
    /// (cupsd keeps them; the device file would mix the jobs).
    pub fn documents(&self) -> Vec<Vec<u8>> {
        self.completed()
            .iter()
            .map(|id| {
                let path = self.document_path(id);
                std::fs::read(&path).unwrap_or_else(|e| {
                    panic!("read the document of job {id} ({}): {e}", path.display())
                })
            })
            .collect()
    }

    /// Waits (bounded) until the queue has at least `count` completed jobs and returns their
    /// ids; panics with the pending jobs and the tail of cupsd's error log when it has not.
    pub fn wait_for_jobs(&self, count: usize) -> Vec<String> {
        let mut done = Vec::new();
        if wait_until(LIMIT, || {
            done = self.completed();
            done.len() >= count
        }) {
            return done;
        }
        panic!(
            "{count} job(s) did not complete within {LIMIT:?} on queue {}: completed {done:?}, \
             pending {:?}\ncupsd's error log ends with:\n{}",
            self.queue,
            self.jobs("not-completed"),
            self.error_log_tail()
        );
    }

    /// The queue's jobs that `lpstat -W <which>` lists, by job number.
    fn jobs(&self, which: &str) -> Vec<String> {
        let text = self.must(&["lpstat", "-W", which, "-o", &self.queue]);
        let mut ids: Vec<(u32, String)> = text
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter_map(|id| Some((job_number(id)?, id.to_owned())))
            .collect();
        ids.sort();
        ids.into_iter().map(|(_, id)| id).collect()
    }

    /// The spool file with the first document of job `id` (`d<5-digit number>-001`).
    fn document_path(&self, id: &str) -> PathBuf {
        let number = job_number(id).unwrap_or_else(|| panic!("not a job id: {id}"));
        self.dir
            .path()
            .join(SPOOL)
            .join(format!("d{number:05}-001"))
    }
}

/// The number of a job id `<queue>-<number>` (queue names may contain `-`).
fn job_number(id: &str) -> Option<u32> {
    id.rsplit_once('-')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_numbers_come_after_the_last_dash() {
        assert_eq!(job_number("leovms-test-12"), Some(12));
        assert_eq!(job_number("test-1"), Some(1));
        assert_eq!(job_number("test"), None);
    }
}
