# leovms-cli auf Deutsch. Die Nutzerinnen und Nutzer werden mit „Sie“ angesprochen; die
# Wörter folgen dem Glossar in docs/l10n.md.

## list, snapshots, stop, jobs, cancel
list-no-machines = Auf der Freigabe liegen keine VMs.
list-from-cache = Die VM-Freigabe ist nicht verfügbar; dies hat dieser PC in seinem Zwischenspeicher.
list-nothing-offline = Keine VMs offline verfügbar: Die VM-Freigabe ist nicht verfügbar, und dieser PC hat keine VM, die ohne sie startet (`leovms-cli sync` gleicht eine ab, sobald die Freigabe wieder da ist).
list-only-one-not-offered = Die einzige VM auf der Freigabe wird Ihnen auf diesem PC nicht angeboten.
list-only-one-kept-not-offered = Die einzige auf diesem PC gespeicherte VM wird Ihnen auf diesem PC nicht angeboten.
list-none-offered = Keine der { $n } VMs auf der Freigabe wird Ihnen auf diesem PC angeboten.
list-none-kept-offered = Keine der { $n } auf diesem PC gespeicherten VMs wird Ihnen auf diesem PC angeboten.
list-as-found-blocked = nein: { $why }
list-ram-fixed = { $mb } MB (fest)
list-ram-range = { $mb } MB ({ $min }-{ $max })
snapshots-none = { $vm } hat keine Snapshots.
stop-done = { $vm } wurde ausgeschaltet.
jobs-none = Keine Aufträge.
jobs-as-found = wie vorgefunden
jobs-all-snapshots = alle
cancel-done = Auftrag { $job } abgebrochen.
job-not-a-number = „{ $job }“ ist keine Auftragsnummer (siehe `leovms-cli jobs`).
day-never = nie

## start und das Verfolgen eines Auftrags
start-snapshot-conflict = --snapshot und --as-found schließen einander aus.
start-only-snapshot = Snapshot „{ $name }“ ({ $id }) wird verwendet, der einzige.
start-no-startable-snapshot = { $vm } hat keinen Snapshot, der jetzt gestartet werden kann ({ $problem }). Starten Sie die VM mit --as-found.
start-no-usable-snapshot = { $vm } hat keinen verwendbaren Snapshot. Starten Sie die VM mit --as-found.
start-choose-snapshot = Wählen Sie --snapshot (einen von: { $ids }) oder --as-found.
follow-joined = { $kind ->
        [start] Der Start
        [sync] Der Abgleich
        [verify] Die Prüfung des Zwischenspeichers
        [upload] Der Upload
        [print] Der Druckauftrag
       *[other] Der Auftrag
    } lief bereits und wird hier weiter verfolgt.
follow-running = { $name } läuft.
follow-waiting = { $name } läuft. Es wird gewartet, bis die VM ausgeschaltet ist.
follow-keeps-running = { $name } läuft weiter. Ausschalten mit: leovms-cli stop { $vm }
follow-goes-on = { $kind ->
        [start] Der Start
        [sync] Der Abgleich
        [verify] Die Prüfung des Zwischenspeichers
        [upload] Der Upload
        [print] Der Druckauftrag
       *[other] Der Auftrag
    } läuft im Hintergrund weiter. Abbrechen mit: leovms-cli cancel { $job }
follow-synced = { $name } ist für die Offline-Nutzung bereit.
follow-checked = Der Zwischenspeicher wurde geprüft.
follow-printed = Das Dokument aus { $name } wurde gedruckt.
follow-done = Fertig.
follow-daemon-stopped = leovmsd wurde beendet, während der Auftrag verfolgt wurde.
follow-connection-lost = Die Verbindung zu leovmsd ist abgebrochen.
progress-line = { $phase } { $done }/{ $total } Bytes
transfer-left = noch { $eta }

## Fehler
error-unreachable = leovmsd läuft nicht und konnte nicht gestartet werden (kein D-Bus-Sitzungsbus?): { $why }
error-cannot-write = die Ausgabe kann nicht geschrieben werden: { $why }
job-canceled = Der Auftrag wurde abgebrochen.
job-failed = Der Auftrag ist fehlgeschlagen.
no-such-job = Es gibt keinen Auftrag { $job }. Siehe `leovms-cli jobs`.

## status
status-share = Freigabe
status-share-state = Zustand der Freigabe
status-upload-share = Upload-Freigabe
status-vbox-home = VirtualBox-Ordner
status-machines-dir = VM-Ordner
status-running = Läuft
status-starting = Startet
status-active-jobs = Aktive Aufträge
status-no-virtualbox = VirtualBox nicht gefunden
status-unknown = unbekannt
status-none = keine

## cache, sync, unsync
cache-on-the-server = Auf dem Server
cache-in-the-cache = Im Zwischenspeicher
cache-share-unavailable = Die VM-Freigabe ist nicht verfügbar: { $why }
cache-only-cache-read = Nur der Zwischenspeicher dieses PCs konnte gelesen werden.
cache-no-folder = Für diesen PC ist kein Ordner für den Zwischenspeicher eingerichtet.
cache-empty = Der Zwischenspeicher ist leer.
cache-space = { $used } von { $limit } belegt, { $free } frei auf dem Datenträger.
plan-the-cache = Zwischenspeicher
plan-nothing = { $vm }: nichts zu kopieren.
plan-all-there = { $vm }: nichts zu kopieren, alle { $present } sind schon da ({ $cache }).
plan-copy = { $vm }: würde { $needed } kopieren (Ziel: { $cache }).
plan-copy-partly-there = { $vm }: würde { $needed } kopieren (Ziel: { $cache }, { $present } schon da).
plan-cache = Zwischenspeicher: { $space }
plan-to-make-room = Um Platz zu schaffen, würde Folgendes entfernt (am längsten ungenutzt zuerst):
plan-nothing-removed = Es muss nichts entfernt werden.
plan-does-not-fit = Passt nicht: { $problem }
unsync-nothing-freed = { $vm }: wird nicht mehr für die Offline-Nutzung bereitgehalten, kein Platz frei geworden.
unsync-freed = { $vm }: wird nicht mehr für die Offline-Nutzung bereitgehalten, { $size } frei geworden.

## uploadable, upload
uploadable-none = Nichts hochzuladen: Ihr VirtualBox hat keine VMs, und Sie haben keine Arbeitskopien.
uploadable-as-vm = neue VM
uploadable-as-snapshot = Snapshot von { $vm }
upload-machine-or-working-copy = Geben Sie entweder --machine oder --working-copy an.

## store
store-unreachable = Der Basis-Speicher dieses PCs ist nicht erreichbar (org.leovms.Store1 auf dem Systembus): { $why }
store-empty = Der Basis-Speicher ist leer.
store-pinned = { $sha256 } wird festgehalten.
store-unpinned = { $sha256 } wird nicht mehr festgehalten.
store-freed = { $size } frei gemacht.

## prewarm
prewarm-ready = bereit
prewarm-not-ready = nicht bereit
prewarm-not-ready-why = nicht bereit: { $problem }
prewarm-none-listed = Die Schule hat keine VMs zum Vorabladen eingetragen (presync in leovms-client.conf).
prewarm-not-all-ready = { $count ->
        [one] { $count } von { $total } VMs ist nicht bereit.
       *[other] { $count } von { $total } VMs sind nicht bereit.
    }
prewarm-canceling = Das Vorabladen wird abgebrochen; drücken Sie noch einmal Strg+C, um nicht länger darauf zu warten.
prewarm-canceled = Das Vorabladen wurde abgebrochen.
prewarm-connection-lost = Die Verbindung zum Basis-Speicher dieses PCs ist abgebrochen.

## Tabellenköpfe
column-id = ID
column-name = NAME
column-state = ZUSTAND
column-base = BASIS
column-unpacked = ENTPACKT
column-as-found = WIE VORGEFUNDEN
column-snapshots = SNAPSHOTS
column-ram = RAM
column-offline = OFFLINE
column-problem = PROBLEM
column-maintainer = BETREUT VON
column-created = ERSTELLT
column-size = GRÖSSE
column-cached = ZWISCHENGESPEICHERT
column-job = AUFTRAG
column-kind = ART
column-vm = VM
column-snapshot = SNAPSHOT
column-phase = SCHRITT
column-done = ERLEDIGT
column-message = MELDUNG
column-revision = REVISION
column-synced = ABGEGLICHEN
column-outdated = VERALTET
column-item = TEIL
column-pinned = FESTGEHALTEN
column-last-used = ZULETZT GENUTZT
column-cache = ZWISCHENSPEICHER
column-reason = GRUND
column-source = QUELLE
column-machine = VM
column-upload-as = HOCHLADEN ALS

## Wörter in Zellen, nach dem Wort des Dienstes; ein unbekanntes Wort bleibt stehen.
word-yes = ja
word-no = nein
word-machine-state = { $state ->
        [off] aus
        [starting] startet
        [running] läuft
        [not-offered] nicht angeboten
       *[other] { $state }
    }
word-job-kind = { $kind ->
        [start] Start
        [sync] Abgleich
        [verify] Prüfung
        [upload] Upload
        [print] Drucken
       *[other] { $kind }
    }
word-job-state = { $state ->
        [active] aktiv
        [done] erledigt
        [canceled] abgebrochen
        [failed] fehlgeschlagen
       *[other] { $state }
    }
word-phase = { $phase ->
        [plan] Prüfen
        [fetch] In den Zwischenspeicher kopieren
        [verify] Zwischenspeicher prüfen
        [unpack-base] Basisabbild entpacken
        [unpack-snapshot] Snapshot entpacken
        [configure] Einrichten
        [launch] VirtualBox starten
        [running] Läuft
        [upload] Hochladen
        [receive] Dokument empfangen
        [embed-fonts] Schriften einbetten
        [print] Drucken
        [ended] Beendet
       *[other] { $phase }
    }
word-share-state = { $state ->
        [online] erreichbar
        [not-mounted] nicht eingebunden
        [not-answering] antwortet nicht
        [unreadable] nicht lesbar
       *[other] { $state }
    }
word-upload-source = { $source ->
        [virtualbox] VirtualBox
        [working-copy] Arbeitskopie
       *[other] { $source }
    }
word-uploadable-state = { $state ->
        [off] aus
        [running] läuft
        [saved] gesichert
       *[other] { $state }
    }
offline-synced = abgeglichen
offline-synced-outdated = abgeglichen (veraltet)
offline-cached = zwischengespeichert
offline-unavailable = nicht verfügbar

## --help: die Texte der Befehle und Argumente, dann die Wörter von clap.
help-leovms-cli = Die virtuellen Maschinen der Schule starten und sehen, was sie tun
help-json = JSON statt Text ausgeben (für Skripte)
help-list = Die VMs auf der Freigabe des Servers auflisten
help-snapshots = Die Snapshots einer VM auflisten
help-snapshots-vm = ID der VM (siehe `list`)
help-start = Eine VM von einem Snapshot oder wie vorgefunden starten
help-start-vm = ID der VM (siehe `list`)
help-start-snapshot = ID des Snapshots, von dem gestartet wird (siehe `snapshots`)
help-start-as-found = Die VM so starten, wie sie zuletzt verlassen wurde
help-start-ram = Arbeitsspeicher (RAM) in MB (im Bereich der VM, siehe `list`)
help-start-wait = Warten, bis die VM ausgeschaltet wurde
help-stop = Eine laufende VM ausschalten
help-stop-vm = ID der VM (siehe `list`)
help-jobs = Aktive und kürzlich beendete Aufträge auflisten
help-cancel = Einen Auftrag abbrechen (eine VM, die schon läuft, wird mit `stop` ausgeschaltet)
help-cancel-job = Nummer des Auftrags (siehe `jobs`) oder sein Objektpfad
help-status = Die Einstellungen des Dienstes zeigen und was gerade läuft
help-watch = Einen Auftrag verfolgen, wie `start` es tut
help-watch-job = Nummer des Auftrags (siehe `jobs`) oder sein Objektpfad
help-watch-wait = Warten, bis die VM ausgeschaltet wurde
help-sync = VMs in den Zwischenspeicher dieses PCs kopieren, damit sie auch ohne den Server starten
help-sync-vms = IDs der VMs (siehe `list`), nacheinander abgeglichen
help-sync-snapshots = Neben der Basis nur diesen Snapshot kopieren (mehrfach möglich; ohne: alle Snapshots)
help-sync-dry-run = Nur zeigen, was kopiert würde und was entfernt würde, um Platz zu schaffen
help-unsync = VMs nicht mehr für die Offline-Nutzung bereithalten und ihren Platz im Zwischenspeicher frei machen
help-unsync-vms = IDs der VMs (siehe `list`)
help-cache = Die VMs auf dem Server zeigen und was dieser PC im Zwischenspeicher hat
help-verify = Jedes Archiv im Zwischenspeicher prüfen und beschädigte entfernen
help-uploadable = Ihre eigenen VirtualBox-VMs und leovms-Arbeitskopien auflisten, die hochgeladen werden können
help-upload = Eine VM in die Upload-Freigabe der Schule hochladen, damit die Administration sie veröffentlicht
help-upload-machine = Eine VM Ihres eigenen VirtualBox: ihr Name oder ihre UUID (siehe `uploadable`)
help-upload-working-copy = Ihre leovms-Arbeitskopie einer VM (deren ID), so wie Sie sie verlassen haben
help-upload-kind = Als neuen Snapshot der VM hochladen, aus der sie entstand, oder als neue VM (ohne: ein Snapshot, wenn sie aus einer veröffentlichten VM entstand)
help-upload-vm = Die ID der neuen VM (mit --as vm)
help-upload-snapshot = Die ID des neuen Snapshots (ohne: aus dem Namen gebildet)
help-upload-name = Der Name, den Schülerinnen und Schüler sehen (ohne: der Name der VM)
help-upload-description = Ein Satz dazu, was an ihr besonders ist
help-store = Der Basis-Speicher des PCs, den alle seine Benutzer teilen (siehe docs/store.md)
help-store-list = Die Archive und Basen auflisten, die der Basis-Speicher hält
help-store-pin = Eine Basis festhalten, wie viel Platz auch gebraucht wird: für Sie (Offline-Nutzung) oder mit --all für alle Benutzer (Administration)
help-store-pin-sha256 = sha256 des Basisarchivs der VM (aus ihrer manifest.toml)
help-store-unpin = Eine Basis nicht mehr festhalten
help-store-unpin-sha256 = sha256 des Basisarchivs der VM
help-store-prune = Aufräumen: alles entfernen, was niemand festhält und keine laufende VM nutzt (Administration)
help-prewarm = Die VMs, die die Schule in presync einträgt, vom Basis-Speicher dieses PCs holen und bereithalten lassen, dann sagen, welche bereit sind
help-prewarm-check = Nur sagen, welche VMs bereit sind, ohne etwas zu holen
help-completions = Das Vervollständigungsskript für eine Shell ausgeben (das Paket installiert sie bereits)
help-exit-codes =
    Exit-Codes:
        0  Erfolg
        1  anderer Fehler
        2  falscher Aufruf
        3  leovmsd ist nicht erreichbar
        4  nicht gefunden (VM, Snapshot oder Auftrag)
        5  ungültiges Argument oder ungültige Konfiguration
        6  nicht genug freier Speicherplatz
        7  beschädigte oder unsichere Datei, oder der Snapshot passt nicht zur Basis
        8  VM läuft bereits, läuft nicht oder ist beschäftigt
        9  VirtualBox fehlt oder hat einen Fehler gemeldet
       10  abgebrochen
       11  Freigabe des Servers nicht erreichbar
       12  dort fehlt die Schreibberechtigung (z. B. Upload-Freigabe ohne Gruppe p_leovms)
      130  unterbrochen (Strg+C); ein verfolgter Auftrag läuft im Hintergrund weiter
      141  wer die Ausgabe las, ist weg (z. B. `| head -1`)
help-usage = Aufruf:
help-heading-commands = Befehle
help-heading-arguments = Argumente
help-heading-options = Optionen
help-flag = Hilfe anzeigen
help-flag-more = Hilfe anzeigen (mehr mit '--help')
help-flag-summary = Hilfe anzeigen (Kurzfassung mit '-h')
help-flag-version = Version anzeigen
help-command-help = Diese Hilfe oder die Hilfe der angegebenen Befehle anzeigen
