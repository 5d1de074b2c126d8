//! PDF documents for printing tests, and what `pdffonts` says about their fonts.

use std::path::Path;
use std::process::Command;

use crate::tools::describe;

/// A valid one-page A4 PDF 1.4 showing `text` in Helvetica, a font it does NOT embed (as a
/// guest's PDF printer may write it). Characters outside WinAnsi become `?`.
pub fn pdf_with_unembedded_font(text: &str) -> Vec<u8> {
    let mut content = b"BT /F1 24 Tf 72 770 Td (".to_vec();
    content.extend(pdf_string(text));
    content.extend(b") Tj ET\n");
    let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    stream.extend(content);
    stream.extend(b"endstream");
    let objects: [Vec<u8>; 5] = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
          /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
        stream,
    ];
    // The second line's bytes above 127 mark the file as binary for transfer programs.
    let mut pdf = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (index, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n", index + 1).into_bytes());
        pdf.extend(body);
        pdf.extend(b"\nendobj\n");
    }
    let xref = pdf.len();
    // Each cross-reference entry is exactly 20 bytes, its end of line included.
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        table.push_str(&format!("{offset:010} 00000 n \n"));
    }
    table.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.extend(table.into_bytes());
    pdf
}

/// `text` as the bytes of a PDF literal string in WinAnsi: `(`, `)` and `\` escaped.
fn pdf_string(text: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => bytes.extend([b'\\', c as u8]),
            ' '..='~' => bytes.push(c as u8),
            // Latin-1's letters (ä, ö, ü, ß, …) have the same codes in WinAnsi.
            '\u{a0}'..='\u{ff}' => bytes.push(c as u32 as u8),
            '€' => bytes.push(0x80),
            _ => bytes.push(b'?'),
        }
    }
    bytes
}

/// The fonts of the PDF at `path` as `pdffonts` lists them: (name, embedded).
/// Panics when pdffonts fails or prints something else than its table.
pub fn fonts(path: impl AsRef<Path>) -> Vec<(String, bool)> {
    let path = path.as_ref();
    let out = Command::new("pdffonts")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("run pdffonts {}: {e}", path.display()));
    if !out.status.success() {
        panic!("pdffonts {} failed: {}", path.display(), describe(&out));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    parse_pdffonts(&text)
        .unwrap_or_else(|| panic!("unexpected output of pdffonts {}:\n{text}", path.display()))
}

/// Reads pdffonts' table: its dashed line gives the columns; `name` is the first,
/// `emb` (yes/no) the fourth.
fn parse_pdffonts(text: &str) -> Option<Vec<(String, bool)>> {
    let mut lines = text.lines().skip_while(|line| !line.starts_with("---"));
    let columns = columns(lines.next()?);
    let (name, emb) = (columns.first()?.clone(), columns.get(3)?.clone());
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let name = line.get(name.clone())?.trim().to_owned();
            match line.get(emb.clone())?.trim() {
                "yes" => Some((name, true)),
                "no" => Some((name, false)),
                _ => None,
            }
        })
        .collect()
}

/// The byte ranges of the runs of dashes in `line`.
fn columns(line: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = None;
    for (index, byte) in line.bytes().chain([b' ']).enumerate() {
        match (byte == b'-', start) {
            (true, None) => start = Some(index),
            (false, Some(from)) => {
                ranges.push(from..index);
                start = None;
            }
            _ => {}
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_pdffonts_table() {
        let text = "\
name                                 type              encoding         emb sub uni object ID
------------------------------------ ----------------- ---------------- --- --- --- ---------
Helvetica                            Type 1            WinAnsi          no  no  no       4  0
ABCDEF+NimbusSans-Regular            Type 1C           WinAnsi          yes yes no       8  0
";
        assert_eq!(
            parse_pdffonts(text),
            Some(vec![
                ("Helvetica".to_owned(), false),
                ("ABCDEF+NimbusSans-Regular".to_owned(), true),
            ])
        );
    }

    #[test]
    fn escapes_parentheses_and_backslashes() {
        assert_eq!(pdf_string(r"a(b)\ä€☃"), b"a\\(b\\)\\\\\xe4\x80?".to_vec());
    }

    #[test]
    fn cross_reference_offsets_point_at_the_objects() {
        let pdf = pdf_with_unembedded_font("Hallo (Welt)");
        // Past the header's binary marker, the file is ASCII.
        let text = std::str::from_utf8(&pdf[15..]).expect("ASCII after the header");
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|rest| rest.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref");
        assert!(pdf[xref..].starts_with(b"xref\n0 6\n"));
        let table = std::str::from_utf8(&pdf[xref..]).unwrap();
        for (index, entry) in table.lines().skip(3).take(5).enumerate() {
            let offset: usize = entry[..10].parse().unwrap();
            let header = format!("{} 0 obj\n", index + 1);
            assert!(
                pdf[offset..].starts_with(header.as_bytes()),
                "object {}",
                index + 1
            );
        }
        assert!(text.ends_with("%%EOF\n"));
    }
}
