//! Showing a followed job: a bar on a terminal, plain lines otherwise, or one JSON object.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use leovms_api::{JobState, Phase};
use serde::Serialize;

use crate::l10n::fl;
use crate::output::{format_transfer, printable, printable_line};

/// Where a job is, from its properties or its `Progress` signal.
pub use leovms_api::client::Progress;

/// How a followed job ended, as `--json` prints it on stdout (one object per job).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobResult {
    pub job: String,
    pub state: JobState,
    pub phase: Phase,
    pub error_id: String,
    pub message: String,
}

/// One line per phase change when stdout is not a terminal, e.g. `unpack-base 0/12345678
/// bytes` (in English the phase's wire word, as before).
fn phase_line(p: &Progress) -> String {
    let phase = crate::words::phase(p.phase);
    if p.total > 0 {
        let (done, total) = (p.done.to_string(), p.total.to_string());
        fl!("progress-line", phase = phase, done = done, total = total)
    } else {
        phase
    }
}

/// The words in front of the bar: the phase for people, after the label if there is one.
fn bar_prefix(label: &str, p: &Progress) -> String {
    let words = p.phase.describe();
    if label.is_empty() {
        words
    } else {
        format!("{label}: {words}")
    }
}

/// The three ways of showing a job: a bar on a terminal, plain lines, or JSON at the end.
pub enum View {
    Bar {
        bar: ProgressBar,
        /// The phase the bar shows (`None`: none yet).
        phase: Option<Phase>,
        /// Shown before the phase, e.g. the VM of a sync (empty: none).
        label: String,
    },
    Lines {
        phase: Option<Phase>,
    },
    Json,
}

impl View {
    /// `label` goes in front of the bar's words, so that one of several jobs in a row
    /// says which it is; plain lines keep their fixed form.
    pub fn new(json: bool, label: &str) -> View {
        if json {
            View::Json
        } else if std::io::stdout().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
            bar.enable_steady_tick(Duration::from_millis(120));
            View::Bar {
                bar,
                phase: None,
                label: label.to_string(),
            }
        } else {
            View::Lines { phase: None }
        }
    }

    pub fn show(&mut self, p: &Progress) {
        match self {
            View::Bar { bar, phase, label } => {
                if *phase != Some(p.phase) || bar.length() != Some(p.total) {
                    *phase = Some(p.phase);
                    bar.set_style(bar_style(p.total > 0));
                    bar.set_length(p.total);
                    bar.set_prefix(printable_line(&bar_prefix(label, p)).into_owned());
                }
                bar.set_position(p.done);
                if p.total > 0 {
                    bar.set_message(format_transfer(p.done, p.total, p.rate, p.eta));
                }
            }
            View::Lines { phase } => {
                if *phase != Some(p.phase) {
                    *phase = Some(p.phase);
                    say!("{}", phase_line(p));
                }
            }
            View::Json => {}
        }
    }

    /// Information for people: above the bar, on stdout, or on stderr beside JSON.
    pub fn notice(&self, text: &str) {
        match self {
            View::Bar { bar, .. } => bar.println(printable(text)),
            View::Lines { .. } => say!("{text}"),
            View::Json => say_err!("{text}"),
        }
    }

    /// The final result line (not in JSON mode, whose result is the object).
    pub fn line(&self, text: &str) {
        if !matches!(self, View::Json) {
            say!("{text}");
        }
    }

    pub fn clear(&self) {
        if let View::Bar { bar, .. } = self {
            bar.finish_and_clear();
        }
    }
}

fn bar_style(with_bytes: bool) -> ProgressStyle {
    let template = if with_bytes {
        "{spinner} {prefix} [{bar:30}] {percent:>3}%  {msg}"
    } else {
        "{spinner} {prefix}…"
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(phase: &str, done: u64, total: u64) -> Progress {
        Progress {
            phase: Phase::parse(phase),
            done,
            total,
            rate: 0,
            eta: -1,
        }
    }

    #[test]
    fn plain_lines_name_the_phase_and_bytes() {
        assert_eq!(
            phase_line(&at("unpack-base", 0, 12_345_678)),
            "unpack-base 0/12345678 bytes"
        );
        assert_eq!(phase_line(&at("configure", 0, 0)), "configure");
    }

    #[test]
    fn the_bar_names_the_phase_and_the_label() {
        assert_eq!(
            bar_prefix("", &at("unpack-base", 0, 1)),
            "Unpacking base image"
        );
        assert_eq!(
            bar_prefix("vm-win10", &at("fetch", 0, 1)),
            "vm-win10: Copying to the cache"
        );
        assert_eq!(bar_prefix("", &at("verify", 0, 1)), "Checking the cache");
        // A phase of a newer daemon is `Phase::Unknown`: described, not shown as a word.
        assert_eq!(bar_prefix("", &at("newer-phase", 0, 0)), "Working");
    }

    #[test]
    fn json_result_has_the_documented_keys() {
        let r = JobResult {
            job: "/org/leovms/Leovms1/job/3".into(),
            state: JobState::Failed,
            phase: Phase::Ended,
            error_id: "org.leovms.Error.NoSpace".into(),
            message: "Not enough space.".into(),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"job":"/org/leovms/Leovms1/job/3","state":"failed","phase":"ended","#.to_string()
                + r#""error_id":"org.leovms.Error.NoSpace","message":"Not enough space."}"#
        );
    }
}
