//! What a print job says when a document is not printed: one sentence per reason, in
//! English for the log and `--json`, and as its detail (`print-…` with the VM's name and
//! where the document is kept), which clients word in the user's language.

use std::fmt::Display;
use std::path::Path;

use leovms_api::ErrorKind;

use crate::error::{Error, Outcome};

/// Why a document was not printed.
pub enum NotPrinted {
    TooLarge {
        size: u64,
        limit: u64,
    },
    NotPdf {
        file: String,
    },
    Unfinished,
    /// Ghostscript could not read it, in its words.
    Damaged {
        why: String,
    },
    /// No queue is set and the user has no default printer, or `lp` is not installed.
    NoPrinter,
    /// The PC's printing service (CUPS) is not running.
    NoCups,
    /// `lp` refused, in CUPS's words.
    Refused {
        printer: String,
        cups: String,
    },
    Canceled,
}

impl NotPrinted {
    /// The error of the job of the VM `vm` (its name), whose document is kept at `kept`.
    pub fn error(&self, vm: &str, kept: &Path) -> Error {
        let kept = kept.display().to_string();
        let common: [(&str, &dyn Display); 2] = [("vm", &vm), ("kept", &kept)];
        let said = |kind, message: String, id, values: &[(&str, &dyn Display)]| {
            let values: Vec<(&str, &dyn Display)> = common
                .iter()
                .copied()
                .chain(values.iter().copied())
                .collect();
            Error::new(kind, message).said(id, &values)
        };
        let failed = |message, id, values: &[(&str, &dyn Display)]| {
            said(ErrorKind::PrintFailed, message, id, values)
        };
        match self {
            NotPrinted::TooLarge { size, limit } => failed(
                format!(
                    "The document from {vm} is {}, more than the {} a document may have, so it was not printed. It is kept as {kept}.",
                    megabytes(*size),
                    megabytes(*limit)
                ),
                "print-too-large",
                &[("size", size), ("limit", limit)],
            ),
            NotPrinted::NotPdf { file } => failed(
                format!(
                    "{file} from {vm} is not a PDF document, so it was not printed. In the VM, print with the PDF printer. The file is kept as {kept}."
                ),
                "print-not-pdf",
                &[("file", file)],
            ),
            NotPrinted::Unfinished => failed(
                format!(
                    "The document from {vm} was not written completely (the PDF has no end), so it was not printed. It is kept as {kept}."
                ),
                "print-incomplete",
                &[],
            ),
            NotPrinted::Damaged { why } => failed(
                format!(
                    "The document from {vm} could not be prepared for printing ({why}). It is kept as {kept}."
                ),
                "print-damaged",
                &[("why", why)],
            ),
            NotPrinted::NoPrinter => failed(
                format!(
                    "The document from {vm} was not printed: no printer is set up for you on this PC. Ask the school's admin. The document is kept as {kept}."
                ),
                "print-no-printer",
                &[],
            ),
            NotPrinted::NoCups => failed(
                format!(
                    "The document from {vm} was not printed: the printing service (CUPS) is not running on this PC. Ask the school's admin. The document is kept as {kept}."
                ),
                "print-no-cups",
                &[],
            ),
            NotPrinted::Refused { printer, cups } => failed(
                format!(
                    "The printer {printer} did not accept the document from {vm} ({cups}). The document is kept as {kept}."
                ),
                "print-refused",
                &[("printer", printer), ("cups", cups)],
            ),
            NotPrinted::Canceled => said(
                ErrorKind::Canceled,
                format!("Printing the document from {vm} was canceled. It is kept as {kept}."),
                "print-canceled",
                &[],
            ),
        }
    }
}

/// What a printed document's job says.
pub fn printed(vm: &str, printer: &str) -> Outcome {
    Outcome::from(format!("The document from {vm} was printed on {printer}."))
        .said("printed", &[("vm", &vm), ("printer", &printer)])
}

/// "12.3 MB", as the clients write sizes (in English the daemon's sentence is shown).
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_names_the_vm_and_where_the_document_is_kept() {
        let kept = Path::new("/home/anna/Home_auf_Server/ausdruck-nicht-gedruckt.pdf");
        let large = NotPrinted::TooLarge {
            size: 123_400_000,
            limit: 100_000_000,
        }
        .error("Win10", kept);
        assert_eq!(large.kind, ErrorKind::PrintFailed);
        assert!(
            large
                .message
                .contains("is 123.4 MB, more than the 100.0 MB"),
            "{}",
            large.message
        );
        assert_eq!(large.detail["size"], "123400000");
        let refused = NotPrinted::Refused {
            printer: "raum-101".into(),
            cups: "lp: Error - not accepting jobs".into(),
        }
        .error("Win10", kept);
        assert_eq!(refused.detail["id"], "print-refused");
        assert_eq!(refused.detail["cups"], "lp: Error - not accepting jobs");
        let canceled = NotPrinted::Canceled.error("Win10", kept);
        assert_eq!(canceled.kind, ErrorKind::Canceled);
        for e in [large, refused, canceled] {
            assert_eq!(e.detail["vm"], "Win10");
            assert_eq!(e.detail["kept"], kept.display().to_string());
            assert!(
                e.message.ends_with(&format!("{}.", kept.display())),
                "{}",
                e.message
            );
        }
    }
}
