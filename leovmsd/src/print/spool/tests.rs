use leovms_testkit::names_in as names;

use super::*;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";

fn spool_in(dir: &Path) -> Spool {
    Spool::open(&dir.join("ausdruck.pdf")).unwrap()
}

#[test]
fn a_document_goes_from_the_print_file_to_the_printed_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = spool_in(tmp.path());
    std::fs::write(spool.file(), PDF).unwrap();
    let ends = spool.read_ends().unwrap();
    assert!(ends.header && ends.end);
    let mut doc = spool.claim(&ends.meta).unwrap();
    assert!(
        spool.look().unwrap().is_none(),
        "the VM may print the next one"
    );
    std::fs::write(spool.fonts_part(&doc), b"%PDF-with-fonts").unwrap();
    spool.keep_fonts(&doc).unwrap();
    spool.mark_sent(&mut doc).unwrap();
    assert!(doc.sent);
    let printed = spool.finish(&doc).unwrap();
    assert_eq!(std::fs::read(&printed).unwrap(), b"%PDF-with-fonts");
    assert_eq!(names(tmp.path()), [".leovms-druck", "ausdruck-fertig.pdf"]);
    assert!(names(&tmp.path().join(SPOOL)).is_empty());
}

#[test]
fn a_document_set_aside_is_kept_and_never_in_the_spool() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = spool_in(tmp.path());
    std::fs::write(spool.file(), b"%!PS-Adobe-3.0\n").unwrap();
    assert!(!spool.read_ends().unwrap().header);
    let kept = spool.set_aside_file().unwrap();
    assert_eq!(kept, tmp.path().join("ausdruck-nicht-gedruckt.pdf"));
    assert_eq!(std::fs::read(kept).unwrap(), b"%!PS-Adobe-3.0\n");
}

#[test]
fn a_changed_print_file_is_not_taken() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = spool_in(tmp.path());
    std::fs::write(spool.file(), PDF).unwrap();
    let seen = spool.read_ends().unwrap().meta;
    std::fs::write(spool.file(), [PDF, PDF].concat()).unwrap();
    assert!(spool.claim(&seen).is_err());
    assert!(spool.look().unwrap().is_some(), "left for the next look");
}

#[test]
fn links_and_fifos_are_never_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = spool_in(tmp.path());
    std::fs::write(tmp.path().join("secret"), PDF).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret"), spool.file()).unwrap();
    assert!(spool.read_ends().is_err());
    assert!(!spool.look().unwrap().unwrap().is_file());
    std::fs::remove_file(spool.file()).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        spool.file(),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    assert!(
        spool.read_ends().is_err(),
        "a FIFO must not block the reader"
    );
}

#[test]
fn after_a_crash_sent_documents_are_not_sent_again() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = spool_in(tmp.path());
    let dir = tmp.path().join(SPOOL);
    let now = seq_now();
    // Sent (with its fonts copy), taken but not sent, an old one, a partial copy.
    std::fs::write(dir.join(format!("{now}.sent.pdf")), b"sent").unwrap();
    std::fs::write(dir.join(format!("{now}.fonts.pdf")), b"sent+fonts").unwrap();
    let recent = now + 1;
    std::fs::write(dir.join(format!("{recent}.pdf")), b"recent").unwrap();
    std::fs::write(dir.join(format!("{recent}.fonts.part")), b"half").unwrap();
    let old = now - STALE.as_nanos() - 1;
    std::fs::write(dir.join(format!("{old}.pdf")), b"old").unwrap();

    let found = spool.leftovers().unwrap();
    assert_eq!(
        found,
        Leftovers {
            to_print: vec![Doc {
                seq: recent,
                sent: false
            }],
            finished: 1,
            set_aside: 1,
        }
    );
    assert_eq!(std::fs::read(spool.printed_copy()).unwrap(), b"sent+fonts");
    assert_eq!(std::fs::read(spool.kept()).unwrap(), b"old");
    assert_eq!(names(&dir), [format!("{recent}.pdf")]);
    // A second look finds only what is still to print.
    assert_eq!(spool.leftovers().unwrap().finished, 0);
}

#[test]
fn a_spool_folder_that_is_a_link_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), tmp.path().join(SPOOL)).unwrap();
    assert!(Spool::open(&tmp.path().join("ausdruck.pdf")).is_err());
}

#[test]
fn a_spool_folder_others_may_write_to_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join(SPOOL);
    std::fs::create_dir(&spool).unwrap();
    std::fs::set_permissions(&spool, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert!(Spool::open(&tmp.path().join("ausdruck.pdf")).is_err());
}
