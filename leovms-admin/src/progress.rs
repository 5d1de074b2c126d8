//! Progress of long operations on stderr: phase, bytes, rate and time left.
//!
//! On a terminal one line is redrawn at most four times a second; otherwise (a log) a
//! line is written when a phase starts, at most every ten seconds while it runs, and
//! when it ends. Nothing is shown unless the command turned progress on (never under
//! `--dry-run`), nor for phases under [`MIN_BYTES`]. stdout is never used.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::l10n::fl;
use crate::tree::human_size;

static ON: AtomicBool = AtomicBool::new(false);

/// Phases smaller than this end too fast to be worth a line.
pub const MIN_BYTES: u64 = 16 << 20;
/// A terminal line is redrawn at most this often.
const TERMINAL_EVERY: Duration = Duration::from_millis(250);
/// A log gets a line at most this often while a phase runs.
const LOG_EVERY: Duration = Duration::from_secs(10);
/// The rate is measured over about this much of the recent past.
const WINDOW: Duration = Duration::from_secs(5);
/// Samples closer together than this are merged.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// A shorter span says nothing about the rate.
const MIN_SPAN: Duration = Duration::from_millis(500);

/// Turns progress on or off for the rest of the command.
pub fn enable(on: bool) {
    ON.store(on, Ordering::Relaxed);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// One line, redrawn in place.
    Terminal,
    /// Plain lines, few of them.
    Log,
}

/// One phase: what is done, the recent samples for the rate, and when a line is due.
/// Time is passed in, so that it can be tested without waiting.
#[derive(Debug)]
struct Meter {
    phase: String,
    total: u64,
    done: u64,
    style: Style,
    started: Instant,
    last_line: Option<Instant>,
    /// `(time, done)`, oldest first; the first one is at most about [`WINDOW`] old.
    samples: VecDeque<(Instant, u64)>,
}

impl Meter {
    fn new(phase: String, total: u64, style: Style, now: Instant) -> Meter {
        Meter {
            phase,
            total,
            done: 0,
            style,
            started: now,
            last_line: None,
            samples: VecDeque::from([(now, 0)]),
        }
    }

    /// The line shown when the phase starts.
    fn start_line(&mut self, now: Instant) -> String {
        self.last_line = Some(now);
        self.line_at(now)
    }

    /// Records that `done` bytes are done at `now`; returns the line to show when one
    /// is due.
    fn update(&mut self, done: u64, now: Instant) -> Option<String> {
        self.done = done;
        match self.samples.back() {
            Some(last) if now.saturating_duration_since(last.0) < SAMPLE_EVERY => {}
            _ => self.samples.push_back((now, done)),
        }
        while self.samples.len() > 2 && now.saturating_duration_since(self.samples[1].0) >= WINDOW {
            self.samples.pop_front();
        }
        let every = match self.style {
            Style::Terminal => TERMINAL_EVERY,
            Style::Log => LOG_EVERY,
        };
        if self
            .last_line
            .is_some_and(|t| now.saturating_duration_since(t) < every)
        {
            return None;
        }
        self.last_line = Some(now);
        Some(self.line_at(now))
    }

    /// Bytes per second over the recent past; `None` while that span is too short.
    fn rate(&self, now: Instant) -> Option<f64> {
        let &(since, at) = self.samples.front()?;
        let span = now.saturating_duration_since(since);
        if span < MIN_SPAN {
            return None;
        }
        Some(self.done.saturating_sub(at) as f64 / span.as_secs_f64())
    }

    /// Seconds left at the current rate; `None` when that is unknown.
    fn eta(&self, now: Instant) -> Option<u64> {
        let rate = self.rate(now).filter(|r| *r > 0.0)?;
        let left = self.total.checked_sub(self.done).filter(|l| *l > 0)?;
        Some((left as f64 / rate).ceil() as u64)
    }

    /// `packing base.tar.zst  1.2 GB / 4.0 GB  31%  85.0 MB/s  33 s left` on a terminal,
    /// `packing base.tar.zst: 1.2 GB of 4.0 GB, 85.0 MB/s, 33 s left` in a log.
    fn line_at(&self, now: Instant) -> String {
        let mut parts = vec![match self.style {
            Style::Terminal => format!("{} / {}", human_size(self.done), human_size(self.total)),
            Style::Log => fl!(
                "progress-done-of",
                done = human_size(self.done),
                total = human_size(self.total)
            ),
        }];
        if self.style == Style::Terminal && self.total > 0 {
            let percent = (u128::from(self.done) * 100 / u128::from(self.total)).min(100);
            parts.push(format!("{percent}%"));
        }
        if let Some(rate) = self.rate(now) {
            parts.push(format!("{}/s", human_size(rate as u64)));
        }
        if let Some(secs) = self.eta(now) {
            parts.push(fl!("progress-left", time = duration(secs)));
        }
        match self.style {
            Style::Terminal => format!("{}  {}", self.phase, parts.join("  ")),
            Style::Log => format!("{}: {}", self.phase, parts.join(", ")),
        }
    }

    /// `packing base.tar.zst: 4.0 GB in 47 s, 85.1 MB/s`.
    fn finish_line(&self, now: Instant) -> String {
        let took = now.saturating_duration_since(self.started);
        let mut line = fl!(
            "progress-finished",
            phase = self.phase.as_str(),
            done = human_size(self.done),
            time = duration(took.as_secs_f64().round() as u64)
        );
        if took >= MIN_SPAN {
            let rate = self.done as f64 / took.as_secs_f64();
            line.push_str(&format!(", {}/s", human_size(rate as u64)));
        }
        line
    }
}

/// `33 s`, `4 min 10 s`, `2 h 5 min`.
fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// Shows the progress of one phase on stderr (or nothing, see the module).
///
/// Dropped without [`Progress::finish`] (the phase failed), a terminal line is ended
/// so that the error message starts on a line of its own.
#[derive(Debug)]
pub struct Progress {
    meter: Option<Meter>,
    /// A terminal line is drawn and not yet ended.
    open: bool,
}

impl Progress {
    /// Starts the phase `phase` of `total` bytes.
    pub fn new(phase: impl Into<String>, total: u64) -> Progress {
        Progress::start(phase, total, ON.load(Ordering::Relaxed))
    }

    fn start(phase: impl Into<String>, total: u64, on: bool) -> Progress {
        if !on || total < MIN_BYTES {
            return Progress {
                meter: None,
                open: false,
            };
        }
        let style = if std::io::stderr().is_terminal() {
            Style::Terminal
        } else {
            Style::Log
        };
        let mut meter = Meter::new(phase.into(), total, style, Instant::now());
        let line = meter.start_line(Instant::now());
        let mut progress = Progress {
            meter: Some(meter),
            open: false,
        };
        progress.show(&line);
        progress
    }

    /// `bytes` more are done.
    pub fn add(&mut self, bytes: u64) {
        if let Some(done) = self.meter.as_ref().map(|m| m.done.saturating_add(bytes)) {
            self.set(done);
        }
    }

    /// `done` bytes are done in all.
    pub fn set(&mut self, done: u64) {
        let Some(meter) = &mut self.meter else {
            return;
        };
        if let Some(line) = meter.update(done, Instant::now()) {
            self.show(&line);
        }
    }

    /// The phase is complete: a last line with the time it took.
    pub fn finish(&mut self) {
        let Some(meter) = &self.meter else {
            return;
        };
        let line = meter.finish_line(Instant::now());
        self.show(&line);
        self.end_line();
        self.meter = None;
    }

    fn show(&mut self, line: &str) {
        let Some(meter) = &self.meter else {
            return;
        };
        let mut err = std::io::stderr().lock();
        match meter.style {
            Style::Terminal => {
                let _ = write!(err, "\r{line}\x1b[K");
                let _ = err.flush();
                self.open = true;
            }
            Style::Log => {
                let _ = writeln!(err, "{line}");
            }
        }
    }

    fn end_line(&mut self) {
        if std::mem::take(&mut self.open) {
            let _ = writeln!(std::io::stderr().lock());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.end_line();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = 1_000_000_000;
    const MB: u64 = 1_000_000;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(33), "33 s");
        assert_eq!(duration(250), "4 min 10 s");
        assert_eq!(duration(7500), "2 h 5 min");
    }

    #[test]
    fn terminal_line_with_rate_and_time_left() {
        let t0 = Instant::now();
        let mut m = Meter::new("packing base.tar.zst".into(), 4 * GB, Style::Terminal, t0);
        assert_eq!(
            m.start_line(t0),
            "packing base.tar.zst  0 B / 4.0 GB  0%",
            "no rate and no time left before there is a rate"
        );
        // 85 MB/s for 14 s, sampled every 250 ms.
        let mut line = None;
        for step in 1..=56 {
            line = m.update(step * 85 * MB / 4, t0 + ms(step * 250)).or(line);
        }
        assert_eq!(
            line.unwrap(),
            "packing base.tar.zst  1.2 GB / 4.0 GB  29%  85.0 MB/s  34 s left"
        );
    }

    #[test]
    fn log_line_and_last_line() {
        let t0 = Instant::now();
        let mut m = Meter::new("checking base.tar.zst".into(), 4 * GB, Style::Log, t0);
        assert_eq!(m.start_line(t0), "checking base.tar.zst: 0 B of 4.0 GB");
        assert_eq!(
            m.update(2 * GB, t0 + Duration::from_secs(10)).unwrap(),
            "checking base.tar.zst: 2.0 GB of 4.0 GB, 200.0 MB/s, 10 s left"
        );
        m.update(4 * GB, t0 + Duration::from_secs(20));
        assert_eq!(
            m.finish_line(t0 + Duration::from_secs(20)),
            "checking base.tar.zst: 4.0 GB in 20 s, 200.0 MB/s"
        );
    }

    #[test]
    fn terminal_lines_at_most_four_times_a_second() {
        let t0 = Instant::now();
        let mut m = Meter::new("copying".into(), GB, Style::Terminal, t0);
        m.start_line(t0);
        let shown: Vec<u64> = (1..=40)
            .filter(|&i| m.update(i * MB, t0 + ms(i * 50)).is_some())
            .collect();
        // Every 50 ms for 2 s: a line at 250 ms, 500 ms, ...
        assert_eq!(shown, [5, 10, 15, 20, 25, 30, 35, 40]);
    }

    #[test]
    fn log_lines_at_most_every_ten_seconds() {
        let t0 = Instant::now();
        let mut m = Meter::new("unzipping winxp.vdi".into(), 100 * GB, Style::Log, t0);
        m.start_line(t0);
        let shown: Vec<u64> = (1..=30)
            .filter(|&s| m.update(s * GB, t0 + Duration::from_secs(s)).is_some())
            .collect();
        assert_eq!(shown, [10, 20, 30]);
    }

    #[test]
    fn rate_follows_the_last_seconds() {
        let t0 = Instant::now();
        let mut m = Meter::new("copying".into(), 100 * GB, Style::Log, t0);
        // 100 MB/s for 20 s, then 10 MB/s.
        let mut done = 0;
        for i in 1..=400 {
            done += if i <= 200 { 10 * MB } else { MB };
            m.update(done, t0 + ms(i * 100));
        }
        let rate = m.rate(t0 + ms(40_000)).unwrap();
        assert!((rate - 10.0 * MB as f64).abs() < 0.5 * MB as f64, "{rate}");
        assert!(m.samples.len() <= 52, "{}", m.samples.len());
    }

    #[test]
    fn unknown_rate_and_time_left_are_left_out() {
        let t0 = Instant::now();
        let mut m = Meter::new("copying".into(), GB, Style::Log, t0);
        m.start_line(t0);
        // Nothing moved for a minute: no time left can be given.
        assert_eq!(
            m.update(0, t0 + Duration::from_secs(60)).unwrap(),
            "copying: 0 B of 1.0 GB, 0 B/s"
        );
        // Past the expected total (a file that grew): no time left either.
        assert_eq!(
            m.update(2 * GB, t0 + Duration::from_secs(70)).unwrap(),
            "copying: 2.0 GB of 1.0 GB, 200.0 MB/s"
        );
    }

    #[test]
    fn silent_when_off_or_small() {
        let mut p = Progress::start("copying", GB, false);
        assert!(p.meter.is_none());
        p.add(MB);
        p.finish();
        assert!(
            Progress::start("copying", MIN_BYTES - 1, true)
                .meter
                .is_none()
        );
    }
}
