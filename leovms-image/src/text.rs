//! Text from outside — the share's settings, archive entries, VirtualBox — is checked
//! once, where it enters. A NUL or another control character would make a D-Bus
//! message invalid (the bus then drops the daemon) or rewrite a terminal; a direction
//! override disguises a name on screen; an unbounded text fills logs and memory.
//! Texts repeated in messages are shortened with "…" and shown escaped.

use std::fmt;

/// Longest one-line text (display names, maintainers, rooms, paths) in bytes.
pub const LINE_MAX: usize = 256;
/// Longest text that may span lines (descriptions) in bytes.
pub const LINES_MAX: usize = 4096;
/// How many characters of an outside text a message repeats.
pub const SHOWN_MAX: usize = 80;

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// A control character (NUL, escape, a line break in a one-line text…).
    Control(char),
    /// A character that changes the writing direction of what follows.
    Direction(char),
    /// Longer than `max` bytes.
    TooLong { max: usize },
}

impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextProblem::Control(c) => {
                write!(f, "contains a control character (U+{:04X})", *c as u32)
            }
            TextProblem::Direction(c) => write!(
                f,
                "contains a character that changes the writing direction (U+{:04X})",
                *c as u32
            ),
            TextProblem::TooLong { max } => write!(f, "is longer than {max} bytes"),
        }
    }
}

/// Whether `text` may be shown as one line: no control characters, no direction
/// overrides, at most `max` bytes.
pub fn check_line(text: &str, max: usize) -> Result<(), TextProblem> {
    check(text, max, false)
}

/// Like [`check_line`], but line breaks and tabs are allowed.
pub fn check_lines(text: &str, max: usize) -> Result<(), TextProblem> {
    check(text, max, true)
}

fn check(text: &str, max: usize, lines: bool) -> Result<(), TextProblem> {
    if let Some(c) = text
        .chars()
        .find(|&c| is_control(c) && !(lines && matches!(c, '\n' | '\t')))
    {
        return Err(TextProblem::Control(c));
    }
    if let Some(c) = text.chars().find(|&c| is_direction(c)) {
        return Err(TextProblem::Direction(c));
    }
    if text.len() > max {
        return Err(TextProblem::TooLong { max });
    }
    Ok(())
}

/// Whether `c` must not be shown as it is: a control character (see [`check_line`]) or
/// a direction override.
pub fn is_unsafe(c: char) -> bool {
    is_control(c) || is_direction(c)
}

/// `text` as one line of at most `max` bytes (cut at a character): every character that
/// must not be shown as it is becomes a space.
pub fn one_line(text: &str, max: usize) -> String {
    let mut line = String::new();
    for c in text.chars().map(|c| if is_unsafe(c) { ' ' } else { c }) {
        if line.len() + c.len_utf8() > max {
            break;
        }
        line.push(c);
    }
    line
}

/// C0, DEL and C1 controls, and the Unicode line and paragraph separators.
fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Embeddings, overrides and isolates: they reorder how the rest of a line is shown.
fn is_direction(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// An outside text as a message may repeat it: control characters and direction
/// overrides escaped (`\u{1b}`), at most [`SHOWN_MAX`] characters, "…" where cut.
pub fn shown(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == SHOWN_MAX {
            out.push('…');
            break;
        }
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// [`shown`] for raw bytes (an archive entry name): only the start is looked at, so a
/// huge name costs nothing; bytes that are not UTF-8 become U+FFFD.
pub fn shown_bytes(raw: &[u8]) -> String {
    // Four bytes per character at most, plus one to see that there is more.
    let head = &raw[..raw.len().min(SHOWN_MAX * 4 + 1)];
    let mut text = shown(&String::from_utf8_lossy(head));
    if head.len() < raw.len() && !text.ends_with('…') {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_passes() {
        check_line("Prüfung 2027 – Raum 101", LINE_MAX).unwrap();
        check_line("日本語のVM", LINE_MAX).unwrap();
        check_lines("Zeile 1\nZeile 2\twith a tab", LINES_MAX).unwrap();
    }

    #[test]
    fn controls_overrides_and_length_are_refused() {
        assert_eq!(
            check_line("Lab\0 2028", LINE_MAX),
            Err(TextProblem::Control('\0'))
        );
        assert_eq!(
            check_line("a\x1b[31m", LINE_MAX),
            Err(TextProblem::Control('\x1b'))
        );
        assert_eq!(
            check_line("two\nlines", LINE_MAX),
            Err(TextProblem::Control('\n'))
        );
        assert_eq!(
            check_lines("bell\x07", LINES_MAX),
            Err(TextProblem::Control('\x07'))
        );
        assert_eq!(
            check_line("a\u{85}", LINE_MAX),
            Err(TextProblem::Control('\u{85}'))
        );
        assert_eq!(
            check_line("exe.\u{202e}txt", LINE_MAX),
            Err(TextProblem::Direction('\u{202e}'))
        );
        assert_eq!(
            check_line(&"x".repeat(257), LINE_MAX),
            Err(TextProblem::TooLong { max: 256 })
        );
        check_line(&"x".repeat(256), LINE_MAX).unwrap();
        assert_eq!(
            TextProblem::Control('\0').to_string(),
            "contains a control character (U+0000)"
        );
    }

    #[test]
    fn shown_escapes_and_shortens() {
        assert_eq!(shown("a\0b\x1b[2J"), "a\\u{0}b\\u{1b}[2J");
        assert_eq!(shown("plain"), "plain");
        let long = shown(&"ä".repeat(1000));
        assert_eq!(long.chars().count(), SHOWN_MAX + 1);
        assert!(long.ends_with('…'));
        let huge = vec![b'x'; 64 << 20];
        let text = shown_bytes(&huge);
        assert_eq!(text.chars().count(), SHOWN_MAX + 1);
        assert_eq!(shown_bytes(b"a\xffb"), "a\u{fffd}b");
    }
}
