//! What a finished PDF looks like from outside: the header `%PDF-` near its start and the
//! end-of-file marker `%%EOF` near its end (PDF 1.7, 7.5.2 and 7.5.5: readers look for
//! both within the first and the last 1024 bytes). Enough to tell a document that is
//! still being written, or is no PDF at all, from one that may be printed.

/// How many bytes of the start and of the end are looked at.
pub const WINDOW: usize = 1024;

/// `head`, the first bytes of a file, holds the PDF header.
pub fn has_header(head: &[u8]) -> bool {
    find(&head[..head.len().min(WINDOW)], b"%PDF-").is_some()
}

/// `tail`, the last bytes of a file, holds the end-of-file marker. A writer that has not
/// finished has not written it yet (incremental updates append after an earlier one, so
/// only a marker followed by nothing but white space counts).
pub fn has_end(tail: &[u8]) -> bool {
    let tail = &tail[tail.len().saturating_sub(WINDOW)..];
    let Some(at) = rfind(tail, b"%%EOF") else {
        return false;
    };
    tail[at + 5..]
        .iter()
        .all(|b| b.is_ascii_whitespace() || *b == 0)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_pdf_has_header_and_end() {
        let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
        assert!(has_header(pdf) && has_end(pdf));
        // Some writers put a binary comment or a BOM-like prefix before the header.
        assert!(has_header(b"\xef\xbb\xbf%PDF-1.7\n"));
    }

    #[test]
    fn a_half_written_pdf_has_no_end() {
        let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n";
        assert!(has_header(pdf) && !has_end(pdf));
        // An incremental update that is still being appended.
        assert!(!has_end(b"%PDF-1.4\n...%%EOF\n2 0 obj\n<< /Type"));
    }

    #[test]
    fn postscript_and_text_are_no_pdf() {
        assert!(!has_header(b"%!PS-Adobe-3.0\n"));
        assert!(!has_header(b"Hello"));
        assert!(!has_header(b""));
        assert!(!has_end(b""));
    }
}
