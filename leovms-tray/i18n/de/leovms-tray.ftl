# leovms-tray: Menü, Tooltips und Benachrichtigungen des Panel-Symbols (siehe docs/tray.md).
# Was Schülerinnen und Schüler anklicken, ist kurz; Fragen sagen, was verloren geht.
# Die Wörter folgen dem Glossar in docs/l10n.md; angesprochen wird mit „Sie“.

## Die Befehlszeile

usage = Aufruf: leovms-tray [--help | --version]
help =
    leovms-tray: das Panel-Symbol von leovms, um die VMs der Schule zu starten.

    Aufruf: leovms-tray [--help | --version]

    Legt ein Symbol in das Panel des Desktops (StatusNotifierItem). Sein Menü zeigt die
    VMs, die leovmsd anbietet, startet sie, zeigt den Fortschritt und hält VMs für die
    Offline-Nutzung bereit; Mitglieder der Gruppe p_leovms laden dort auch ihre eigenen
    VMs hoch. Es braucht eine Desktop-Sitzung mit D-Bus-Sitzungsbus und wird bei der
    Anmeldung gestartet. Je Sitzung läuft nur ein Tray.

    Optionen:
      -h, --help     Diese Hilfe zeigen und beenden
      -V, --version  Die Version zeigen und beenden

    Umgebung:
      LEOVMS_LOG     Log-Filter für die Standardfehlerausgabe (Vorgabe: info)

    Siehe leovms-tray(1) und /usr/share/doc/leovms-client/docs/tray.md.
args-unknown-option = unbekannte Option „{ $option }“
args-unexpected = unerwartetes Argument „{ $argument }“
args-try-help = Mehr dazu mit „leovms-tray --help“.

## Das Menü

menu-no-machines = Keine VMs auf der Freigabe
menu-cancel = Abbrechen
menu-virtualbox = VirtualBox (eigene VMs)
menu-quit = Beenden
menu-looking = VMs werden gesucht…

# Das Untermenü einer VM. „Weiterarbeiten“ startet die Arbeitskopie so, wie sie verlassen
# wurde („wie vorgefunden“).
menu-running = { $vm } (läuft)
menu-starting = { $vm } (wird gestartet)
menu-running-hint = Läuft. Zum Beenden fahren Sie das System in der VM herunter.
menu-continue = Weiterarbeiten (wie vorgefunden)
menu-cancel-start = Start abbrechen
menu-no-snapshots = Keine Snapshots
menu-maintainer = Zuständig: { $maintainer }
menu-ram = Arbeitsspeicher (RAM): { $mb } MB
menu-ram-choice = { $mb } MB
menu-ram-default = { $mb } MB (Standard)

# Die Fragen, bevor etwas verloren geht.
question-discard = Ihre Änderungen verwerfen und { $snapshot } starten?
question-discard-lost = Alle Änderungen in { $vm } seit dem letzten frischen Start gehen verloren.
question-yes-discard = Ja, verwerfen und starten
menu-power-off = Ausschalten…
question-power-off = { $vm } jetzt ausschalten? Nicht gespeicherte Arbeit in der VM geht verloren.
question-yes-power-off = Ja, ausschalten

## Das Untermenü Offline-Nutzung

offline-menu = Offline-Nutzung
offline-outdated = { $vm } (veraltet)
offline-sync-now = Jetzt abgleichen
offline-cache-unknown = Zwischenspeicher: noch nicht gelesen
offline-cache-none = Kein Zwischenspeicher für die Offline-Nutzung eingerichtet
offline-cache-space = Zwischenspeicher: { $free } von { $limit } frei
offline-cache-unusable = Zwischenspeicher: { $reason }

## Das Untermenü Hochladen…

upload-menu = Hochladen…
upload-own = Eigene VirtualBox-VMs
upload-working-copies = leovms-Arbeitskopien
upload-nothing = Nichts zum Hochladen
upload-as-snapshot = { $name } → neuer Snapshot von { $vm }
upload-as-vm = { $name } → neue VM
upload-what-working-copy = Ihre leovms-Arbeitskopie von { $name } hochladen
upload-what-own = { $name } aus Ihrem eigenen VirtualBox hochladen
upload-question-snapshot = als neuen Snapshot von { $vm } mit dem Namen „{ $name }“?
upload-question-vm = als neue VM mit dem Namen „{ $name }“?
upload-size = Ohne Beschreibung. { $size } zu kopieren; die Administration veröffentlicht es danach.
upload-yes = Ja, als „{ $name }“ hochladen
upload-cli = Anderer Name oder eine Beschreibung: leovms-cli upload { $option } { $id } --name … --description …
upload-unsupported = Diese Version des VM-Dienstes kann nicht hochladen

## Aufträge als Menüzeile und im Tooltip: „Demo Linux wird gestartet — Basisabbild wird entpackt 42 %“

job-start = { $vm } wird gestartet
job-sync = { $vm } wird für die Offline-Nutzung kopiert
job-verify = Zwischenspeicher wird geprüft
job-upload = { $vm } wird hochgeladen
# Ein Dokument, das die VM gedruckt hat, auf dem Weg zum Drucker.
job-print = Drucken aus { $vm }
job-other = Ein Auftrag
job-other-for = Ein Auftrag für { $vm }
job-percent = { $percent } %
job-line = { $what } — { $detail }
# Die Phase nach dem Gedankenstrich, in den Worten einer Menüzeile.
job-phase-plan = wird geprüft
job-phase-verify = Zwischenspeicher wird geprüft
job-phase-fetch = wird kopiert
job-phase-unpack-base = Basisabbild wird entpackt
job-phase-unpack-snapshot = Snapshot wird entpackt
job-phase-configure = wird eingerichtet
job-phase-launch = VirtualBox wird gestartet
job-phase-running = läuft
job-phase-upload = wird hochgeladen
job-phase-receive = Dokument wird empfangen
job-phase-embed-fonts = Schriften werden eingebettet
job-phase-print = wird an den Drucker gesendet
job-phase-ended = beendet
job-phase-unknown = in Arbeit

## Die Statuszeile oben im Menü, und der Tooltip

status-unreachable = VM-Dienst nicht erreichbar — das Menü ist vielleicht nicht aktuell
status-offline = Freigabe nicht erreichbar — es wird offline gearbeitet
tooltip-busy = leovms — in Arbeit
tooltip-busy-percent = leovms — in Arbeit, { $percent } %
tooltip-error = leovms — etwas ist schiefgegangen
tooltip-offline = leovms — offline
tooltip-running = leovms — läuft
tooltip-vm-running = { $vm } läuft.
tooltip-idle = Bereit: Wählen Sie eine VM zum Starten.

## Benachrichtigungen: eine Überschrift und ein Text darunter

note-running = { $vm } läuft
note-synced = { $vm } ist für die Offline-Nutzung bereit
note-verified = Der Zwischenspeicher wurde geprüft
note-upload-done = Hochladen abgeschlossen
note-uploaded = { $vm } wurde hochgeladen.
note-printed = Gedruckt: { $vm }
note-other-done = { $job } ist erledigt
note-upload-canceled = Hochladen abgebrochen
note-not-uploaded = { $vm } wurde nicht hochgeladen.
note-print-canceled = Drucken abgebrochen
note-not-printed = Das Dokument aus { $vm } wurde nicht gedruckt.
note-start-canceled = Start von { $vm } abgebrochen
note-sync-canceled = Kopieren von { $vm } für die Offline-Nutzung abgebrochen
note-verify-canceled = Prüfen des Zwischenspeichers abgebrochen
note-other-canceled = { $job } wurde abgebrochen
note-ended-with-error = { $vm } wurde mit einem Fehler beendet
note-start-failed = { $vm } konnte nicht gestartet werden
note-sync-failed = { $vm } konnte nicht für die Offline-Nutzung kopiert werden
note-verify-failed = Prüfen des Zwischenspeichers fehlgeschlagen
note-upload-failed = Hochladen fehlgeschlagen
note-print-failed = Nicht gedruckt: { $vm }
note-other-failed = { $job } ist fehlgeschlagen
note-reason-in-log = Der Grund steht im Protokoll von leovmsd.
note-not-uploaded-reason-in-log = { $vm } wurde nicht hochgeladen. Der Grund steht im Protokoll von leovmsd.
note-start-interrupted = Start von { $vm } unterbrochen
note-sync-interrupted = Kopieren von { $vm } für die Offline-Nutzung unterbrochen
note-verify-interrupted = Prüfen des Zwischenspeichers unterbrochen
note-upload-interrupted = Hochladen von { $vm } unterbrochen
note-print-interrupted = Drucken aus { $vm } unterbrochen
note-other-interrupted = { $job } wurde unterbrochen
note-service-stopped = Der VM-Dienst wurde beendet. Bitte versuchen Sie es erneut.
note-unreachable = Der VM-Dienst ist nicht erreichbar
note-unreachable-body =
    { $detail }
    Versuchen Sie es gleich noch einmal; wenn es so bleibt, fragen Sie die Administration der Schule.
# Eine Meldung des VM-Dienstes, für die dieser Katalog keine Worte hat (englisch).
note-daemon-says = Meldung des VM-Dienstes: { $message }
note-unsynced = { $vm } wird nicht mehr für die Offline-Nutzung bereitgehalten
note-freed = { $size } im Zwischenspeicher frei geworden.
note-stop-failed = { $vm } konnte nicht ausgeschaltet werden
note-cancel-failed = Abbrechen nicht möglich: { $what }
note-unsync-failed = { $vm } konnte nicht aus der Offline-Nutzung entfernt werden
note-upload-refused = { $vm } konnte nicht hochgeladen werden
note-failed = Fehlgeschlagen
note-job-gone = Der Auftrag ist bereits beendet.
note-virtualbox-failed = VirtualBox konnte nicht gestartet werden
note-virtualbox-missing = VirtualBox ist auf diesem Computer nicht installiert.
