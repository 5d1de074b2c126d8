//! The spool: a document from the VM's print file to the printer, on disk at every step,
//! so that a daemon killed at any moment neither loses a document silently nor prints it
//! twice. Next to the print file (`ausdruck.pdf`), in the folder `.leovms-druck`:
//!
//! - `<seq>.pdf`: taken from the print file (renamed, so the VM can print the next one);
//! - `<seq>.fonts.part` → `<seq>.fonts.pdf`: Ghostscript's copy with its fonts embedded;
//! - `<seq>.sent.pdf`: the same document, renamed *before* it goes to CUPS: after a crash
//!   it is never sent again (at most once: a crash in that moment may lose it instead);
//! - then the printed copy becomes `ausdruck-fertig.pdf`, as in leoclient2, and a
//!   document that is not printed becomes `ausdruck-nicht-gedruckt.pdf` (the last of each).
//!
//! `<seq>` is the claim time in nanoseconds since 1970: documents go out in that order,
//! and leftovers older than [`STALE`] are set aside instead of printed hours later.
//! The folder is the user's own (the home the VM shares; `print::Printing::watch` checks
//! that nobody else can swap what is in it); everything is still opened through folder
//! descriptors without following links.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use leovms_image::dirfd::{Dir, Meta};
use leovms_image::pdf;

/// The spool folder next to the print file.
pub const SPOOL: &str = ".leovms-druck";
/// A document taken but not printed before a crash is printed when the watcher starts
/// again, unless it is older than this: then it is set aside (nobody waits for it).
pub const STALE: Duration = Duration::from_secs(3600);

pub struct Spool {
    folder: Dir,
    spool: Dir,
    /// The print file's name in `folder`.
    name: OsString,
    /// Its name without `.pdf`, for `-fertig.pdf` and `-nicht-gedruckt.pdf`.
    stem: String,
}

/// A document in the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub seq: u128,
    /// Renamed to `.sent.pdf`: handed to CUPS (or about to be).
    pub sent: bool,
}

/// The print file as seen: its metadata and its first and last bytes.
pub struct Ends {
    pub meta: Meta,
    pub header: bool,
    pub end: bool,
}

/// What an earlier daemon left in the spool.
#[derive(Debug, Default, PartialEq)]
pub struct Leftovers {
    /// Taken, not yet sent, recent: to print now, oldest first.
    pub to_print: Vec<Doc>,
    /// Already sent: finished without sending again.
    pub finished: usize,
    /// Too old: set aside.
    pub set_aside: usize,
}

impl Spool {
    /// The spool of the print file `file`, whose folder must exist; the spool folder is
    /// made (mode 0700) when missing.
    pub fn open(file: &Path) -> io::Result<Spool> {
        let (Some(folder), Some(name)) = (file.parent(), file.file_name()) else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "no file name"));
        };
        let folder = Dir::open(folder)?;
        let (spool, _) = folder.create_sub(SPOOL, 0o700)?;
        // A spool folder someone else made first (in a folder others may write to) is
        // not used: its owner could swap what goes to Ghostscript and the printer.
        let meta = spool.meta()?;
        if meta.uid != leovms_image::dirfd::me() || meta.mode & 0o022 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} belongs to another user or others may write to it",
                    spool.path().display()
                ),
            ));
        }
        let stem = Path::new(name)
            .file_stem()
            .unwrap_or(name)
            .to_string_lossy()
            .into_owned();
        Ok(Spool {
            folder,
            spool,
            name: name.to_owned(),
            stem,
        })
    }

    #[cfg(test)]
    pub fn file(&self) -> PathBuf {
        self.folder.join(&self.name)
    }

    /// Where the last printed document is kept.
    pub fn printed_copy(&self) -> PathBuf {
        self.folder.join(self.printed_name())
    }

    /// Where the last document that was not printed is kept.
    pub fn kept(&self) -> PathBuf {
        self.folder.join(self.kept_name())
    }

    fn printed_name(&self) -> String {
        format!("{}-fertig.pdf", self.stem)
    }

    fn kept_name(&self) -> String {
        format!("{}-nicht-gedruckt.pdf", self.stem)
    }

    /// The print file, without following a link; `None` when there is none.
    pub fn look(&self) -> io::Result<Option<Meta>> {
        self.folder.stat(&self.name)
    }

    /// Opens the print file (a regular file only) and reads its start and end.
    pub fn read_ends(&self) -> io::Result<Ends> {
        let mut file = self.folder.open_file(&self.name)?;
        let meta = self
            .folder
            .stat(&self.name)?
            .ok_or(io::ErrorKind::NotFound)?;
        let mut head = vec![0; pdf::WINDOW];
        let n = read_up_to(&mut file, &mut head)?;
        head.truncate(n);
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(pdf::WINDOW as u64)))?;
        let mut tail = Vec::with_capacity(pdf::WINDOW);
        file.take(pdf::WINDOW as u64).read_to_end(&mut tail)?;
        Ok(Ends {
            meta,
            header: pdf::has_header(&head),
            end: pdf::has_end(&tail),
        })
    }

    /// Takes the print file `seen` into the spool. Refused (`Interrupted`) when the name
    /// now holds something else: the VM began the next document, or it is no regular file.
    pub fn claim(&self, seen: &Meta) -> io::Result<Doc> {
        let now = self
            .folder
            .stat(&self.name)?
            .ok_or(io::ErrorKind::NotFound)?;
        if !now.is_file() || !now.same(seen) || now.size != seen.size {
            // Interrupted: the caller looks again later.
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "the print file changed while it was taken",
            ));
        }
        let doc = Doc {
            seq: seq_now(),
            sent: false,
        };
        self.folder
            .rename_into(&self.name, &self.spool, doc.name())?;
        self.spool.sync()?;
        Ok(doc)
    }

    /// Sets the print file aside, untaken (not a PDF, too large, never finished).
    pub fn set_aside_file(&self) -> io::Result<PathBuf> {
        self.folder.rename(&self.name, self.kept_name())?;
        Ok(self.kept())
    }

    /// Sets a taken document aside, sent or not: it will not be printed (again).
    pub fn set_aside(&self, doc: &Doc) -> io::Result<PathBuf> {
        let other = Doc {
            sent: !doc.sent,
            ..doc.clone()
        };
        self.spool
            .rename_into(doc.name(), &self.folder, self.kept_name())
            .or_else(|_| {
                self.spool
                    .rename_into(other.name(), &self.folder, self.kept_name())
            })?;
        self.remove_copies(doc);
        self.remove_copies(&other);
        Ok(self.kept())
    }

    /// The size of a taken document.
    pub fn size(&self, doc: &Doc) -> u64 {
        match self.spool.stat(doc.name()) {
            Ok(Some(meta)) => meta.size,
            _ => 0,
        }
    }

    /// The document as taken, for Ghostscript (a path inside this user's 0700 folder).
    pub fn path(&self, doc: &Doc) -> PathBuf {
        self.spool.join(doc.name())
    }

    /// Where Ghostscript writes, and the finished copy once [`Spool::keep_fonts`] ran.
    pub fn fonts_part(&self, doc: &Doc) -> PathBuf {
        self.spool.join(doc.part_name())
    }

    pub fn fonts(&self, doc: &Doc) -> Option<PathBuf> {
        let name = doc.fonts_name();
        matches!(self.spool.stat(&name), Ok(Some(m)) if m.is_file()).then(|| self.spool.join(name))
    }

    /// Ghostscript's output is complete: it becomes the copy that is printed.
    pub fn keep_fonts(&self, doc: &Doc) -> io::Result<PathBuf> {
        // On disk before it carries its final name: a power cut must not leave a short
        // copy that a restarted daemon would print.
        self.spool.open_file(doc.part_name())?.sync_all()?;
        self.spool.rename(doc.part_name(), doc.fonts_name())?;
        Ok(self.spool.join(doc.fonts_name()))
    }

    /// Marks the document as sent, durably, before it goes to CUPS.
    pub fn mark_sent(&self, doc: &mut Doc) -> io::Result<()> {
        let sent = Doc {
            sent: true,
            ..doc.clone()
        };
        self.spool.rename(doc.name(), sent.name())?;
        self.spool.sync()?;
        *doc = sent;
        Ok(())
    }

    /// The document was printed: its printed copy (with fonts, else as taken) replaces
    /// `ausdruck-fertig.pdf`.
    pub fn finish(&self, doc: &Doc) -> io::Result<PathBuf> {
        let from = if self.fonts(doc).is_some() {
            doc.fonts_name()
        } else {
            doc.name()
        };
        self.spool
            .rename_into(from, &self.folder, self.printed_name())?;
        self.remove_copies(doc);
        Ok(self.printed_copy())
    }

    fn remove_copies(&self, doc: &Doc) {
        for name in [doc.name(), doc.part_name(), doc.fonts_name()] {
            let _ = self.spool.remove_file(name);
        }
    }

    /// Cleans up after a daemon that ended in the middle: partial copies go, sent
    /// documents are finished without sending them again, recent taken ones are to be
    /// printed and old ones set aside.
    pub fn leftovers(&self) -> io::Result<Leftovers> {
        let mut docs: Vec<Doc> = Vec::new();
        for name in self.spool.names()? {
            match parse(&name) {
                Some(Entry::Part) => {
                    let _ = self.spool.remove_file(&name);
                }
                Some(Entry::Doc(doc)) => docs.push(doc),
                Some(Entry::Fonts) | None => {}
            }
        }
        docs.sort_by_key(|d| d.seq);
        let mut found = Leftovers::default();
        let stale_before = seq_now().saturating_sub(STALE.as_nanos());
        for doc in docs {
            if doc.sent {
                self.finish(&doc)?;
                found.finished += 1;
            } else if doc.seq < stale_before {
                self.set_aside(&doc)?;
                found.set_aside += 1;
            } else {
                found.to_print.push(doc);
            }
        }
        Ok(found)
    }
}

impl Doc {
    fn name(&self) -> String {
        match self.sent {
            false => format!("{}.pdf", self.seq),
            true => format!("{}.sent.pdf", self.seq),
        }
    }

    fn fonts_name(&self) -> String {
        format!("{}.fonts.pdf", self.seq)
    }

    fn part_name(&self) -> String {
        format!("{}.fonts.part", self.seq)
    }
}

enum Entry {
    Doc(Doc),
    Fonts,
    Part,
}

fn parse(name: &OsStr) -> Option<Entry> {
    let name = name.to_str()?;
    let (seq, rest) = name.split_once('.')?;
    let seq: u128 = seq.parse().ok()?;
    Some(match rest {
        "pdf" => Entry::Doc(Doc { seq, sent: false }),
        "sent.pdf" => Entry::Doc(Doc { seq, sent: true }),
        "fonts.pdf" => Entry::Fonts,
        "fonts.part" => Entry::Part,
        _ => return None,
    })
}

fn seq_now() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn read_up_to(file: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            got => n += got,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests;
