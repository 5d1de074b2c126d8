//! The admin's language: German under a German locale, English when no locale (or one
//! leovms does not speak) is set, for `--help` and for what the commands say.

use std::process::Output;

mod common;
use common::{admin_in, describe};

const GERMAN: Option<&str> = Some("de_DE.UTF-8");

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const ENGLISH_HELP: &str = "\
Set up and run the leovms shares on the school server

Usage: leovms-admin [OPTIONS] <COMMAND>

Commands:
  setup              Group p_leovms, /home/leovms/{data,upload}, the Samba shares (STEP1; `--ldap` STEP2)
  publish            Turn an upload into a published VM or a new snapshot in data
  list               VMs, snapshots and pending uploads
  verify             Check the whole data tree again (manifests, checksums, settings, disk chains)
  readiness          Which PCs already hold the VMs of presync (exit status 1 when one is not ready)
  remove             Retire a snapshot or a whole VM
  seed               Share the published archives with the school's PCs (room swarm, docs/swarm.md); runs until stopped
  add-torrents       Write the torrents that archives published earlier lack (room swarm; each archive is checked first)
  reject             Delete an upload instead of publishing it (USER/FOLDER, as `list` shows it)
  set-conf           Replace a published VM's image.conf (or a snapshot's snapshot.conf) with a checked file
  import-leoclient2  Convert a leoclient2 VM folder into format 1
  help               Print this message or the help of the given subcommand(s)

Options:
      --root <DIR>  Apply everything below this folder instead of `/` (tests, trials)
      --dry-run     Print each change instead of making it
  -h, --help        Print help
  -V, --version     Print version
";

const GERMAN_HELP: &str = "\
Die leovms-Freigaben auf dem Schulserver einrichten und betreiben

Aufruf: leovms-admin [OPTIONS] <COMMAND>

Befehle:
  setup              Gruppe p_leovms, /home/leovms/{data,upload}, die Samba-Freigaben (STEP1; `--ldap` STEP2)
  publish            Einen Upload als VM oder als neuen Snapshot in data veröffentlichen
  list               VMs, Snapshots und wartende Uploads
  verify             Den ganzen Datenordner erneut prüfen (Manifeste, Prüfsummen, Einstellungen, Festplattenketten)
  readiness          Welche PCs die VMs aus presync schon bereithalten (Exit-Status 1, wenn einer nicht bereit ist)
  remove             Einen Snapshot oder eine ganze VM zurückziehen
  seed               Die veröffentlichten Archive mit den PCs der Schule teilen (Raum-Schwarm, docs/swarm.md); läuft, bis es beendet wird
  add-torrents       Fehlende Torrents früher veröffentlichter Archive schreiben (Raum-Schwarm; jedes Archiv wird vorher geprüft)
  reject             Einen Upload löschen, statt ihn zu veröffentlichen (BENUTZER/ORDNER, wie `list` ihn zeigt)
  set-conf           Die image.conf einer veröffentlichten VM (oder die snapshot.conf eines Snapshots) durch eine geprüfte Datei ersetzen
  import-leoclient2  Einen VM-Ordner von leoclient2 in Format 1 umwandeln
  help               Diese Hilfe oder die Hilfe der genannten Befehle anzeigen

Optionen:
      --root <DIR>  Alles unterhalb dieses Ordners statt unter `/` ausführen (Tests, Versuche)
      --dry-run     Jede Änderung nur anzeigen, nicht ausführen
  -h, --help        Hilfe anzeigen
  -V, --version     Version anzeigen
";

#[test]
fn help_is_german_under_a_german_locale_and_english_otherwise() {
    let root = tempfile::tempdir().unwrap();
    for lang in [None, Some("fr_FR.UTF-8"), Some("C.UTF-8")] {
        let out = admin_in(lang, root.path(), &["--help"]);
        assert_eq!(stdout(&out), ENGLISH_HELP, "{lang:?}: {}", describe(&out));
    }
    let out = admin_in(GERMAN, root.path(), &["--help"]);
    assert_eq!(stdout(&out), GERMAN_HELP, "{}", describe(&out));

    // A subcommand: its arguments, and clap's default and possible values.
    let publish = stdout(&admin_in(GERMAN, root.path(), &["publish", "--help"]));
    assert!(
        publish.contains(
            "Argumente:\n  <UPLOAD>  Der Upload: `<Benutzer>/<Ordner>` in der Upload-Freigabe \
             oder der Pfad zum Ordner\n"
        ),
        "{publish}"
    );
    let setup = stdout(&admin_in(GERMAN, root.path(), &["setup", "--help"]));
    assert!(
        setup.contains("(mit --ldap) [Standard: ad] [mögliche Werte: ad, rid]\n"),
        "{setup}"
    );
    let setup = stdout(&admin_in(None, root.path(), &["setup", "--help"]));
    assert!(
        setup.contains("(with --ldap) [default: ad] [possible values: ad, rid]\n"),
        "{setup}"
    );
}

/// A server below a temporary root with one incomplete upload of 1500 bytes.
fn server_with_an_incomplete_upload() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let upload = root.path().join("home/leovms/upload/teach1/lab");
    std::fs::create_dir_all(root.path().join("home/leovms/data")).unwrap();
    std::fs::create_dir_all(&upload).unwrap();
    std::fs::write(upload.join("base.tar.zst"), [0u8; 1500]).unwrap();
    root
}

#[test]
fn commands_speak_german_under_a_german_locale_and_english_otherwise() {
    let root = server_with_an_incomplete_upload();
    let share = root.path().join("home/leovms/upload");
    let args = ["--dry-run", "reject", "teach1/lab"];
    let out = admin_in(GERMAN, root.path(), &args);
    assert_eq!(
        stdout(&out),
        "würde den unvollständigen Upload teach1/lab löschen (1 Datei, 1,5 kB)\n",
        "{}",
        describe(&out)
    );
    let out = admin_in(None, root.path(), &args);
    assert_eq!(
        stdout(&out),
        "would delete the incomplete upload teach1/lab (1 files, 1.5 kB)\n",
        "{}",
        describe(&out)
    );

    // A refusal: the same exit code in both languages.
    let out = admin_in(GERMAN, root.path(), &["publish", "teach1/lab"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_eq!(
        stderr(&out),
        "leovms-admin: Der Upload teach1/lab ist unvollständig: Er hat kein manifest.toml \
         (das zuletzt geschrieben wird, wenn der Upload fertig ist); nichts wurde veröffentlicht\n"
    );
    let out = admin_in(None, root.path(), &["publish", "teach1/lab"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_eq!(
        stderr(&out),
        "leovms-admin: the upload teach1/lab is incomplete: it has no manifest.toml (written \
         last, when the upload is finished); nothing was published\n"
    );

    let out = admin_in(GERMAN, root.path(), &["reject", "teach1/none"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "leovms-admin: In {} gibt es keinen Upload teach1/none; leovms-admin list zeigt \
             die wartenden Uploads\n",
            share.display()
        )
    );
    assert!(root.path().join("home/leovms/upload/teach1/lab").is_dir());
}

#[test]
fn list_has_german_headings_under_a_german_locale() {
    let root = server_with_an_incomplete_upload();
    let data = root.path().join("home/leovms/data");
    let listed = |lang| {
        let out = admin_in(lang, root.path(), &["list"]);
        assert!(out.status.success(), "{}", describe(&out));
        stdout(&out)
    };
    assert_eq!(
        listed(GERMAN),
        format!(
            "Keine VMs in {}.\n\n\
             UPLOAD      ZUSTAND        ART  VM  SNAPSHOT  HOCHGELADEN VON  VON RECHNER\n\
             teach1/lab  unvollständig\n",
            data.display()
        )
    );
    assert_eq!(
        listed(None),
        format!(
            "No VMs in {}.\n\n\
             UPLOAD      STATE       KIND  VM  SNAPSHOT  UPLOADER  FROM\n\
             teach1/lab  incomplete\n",
            data.display()
        )
    );
}
