use std::time::Duration;

/// Why the swarm could not deliver; in every case the caller reads the share instead.
#[derive(Debug, thiserror::Error)]
pub enum SwarmError {
    /// The torrent file is not one this crate would have written for the archive.
    #[error("the torrent file does not fit the archive: {0}")]
    Torrent(String),
    /// The engine did not start (a port in use, say).
    #[error("the room swarm cannot start: {0}")]
    Start(String),
    #[error("no peer sent anything for {} s", .0.as_secs())]
    Stalled(Duration),
    /// A file to seed lacks pieces of its torrent (damaged, truncated, unreadable):
    /// `have` of its `total` bytes are as the torrent says.
    #[error("the file does not match its torrent: {have} of {total} bytes")]
    Mismatch { have: u64, total: u64 },
    #[error("the room swarm failed: {0}")]
    Engine(String),
    #[error("canceled")]
    Canceled,
}

/// The most of the engine's words kept: its errors may carry a whole backtrace.
const ENGINE_WORDS: usize = 300;

impl SwarmError {
    pub(crate) fn engine(e: impl std::fmt::Display) -> Self {
        SwarmError::Engine(one_line(&format!("{e:#}")))
    }
}

/// `text` with its causes on one line, without a backtrace, at most [`ENGINE_WORDS`]
/// bytes and nothing unsafe to show.
pub(crate) fn one_line(text: &str) -> String {
    let without_trace = text.split("Stack backtrace:").next().unwrap_or_default();
    let words: Vec<&str> = without_trace.split_whitespace().collect();
    leovms_image::text::one_line(&words.join(" "), ENGINE_WORDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engines_words_are_one_bounded_line() {
        assert_eq!(
            one_line("disk full\n\nStack backtrace:\n 0: x"),
            "disk full"
        );
        assert_eq!(
            one_line("error writing\n\nCaused by:\n    No space left (os error 28)\n"),
            "error writing Caused by: No space left (os error 28)"
        );
        assert_eq!(one_line("a\u{1b}[31mb"), "a [31mb");
        assert_eq!(one_line(&"ä".repeat(400)).len(), ENGINE_WORDS);
    }
}
