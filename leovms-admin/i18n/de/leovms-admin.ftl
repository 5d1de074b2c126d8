# leovms-admin, das Werkzeug des Schulservers, auf Deutsch (Anrede „Sie“; die Wörter des
# Glossars in docs/l10n.md). Was leovms-admin in Dateien schreibt (smb.conf, image.conf,
# Manifeste), wird nie übersetzt.

## --help: die Beschreibung jedes Befehls (help-<Befehl>), die Hilfe jeder Option
## (help-<Befehl>-<Option>; help-<Option> für die globalen), die Überschriften und Schalter.
help = Die leovms-Freigaben auf dem Schulserver einrichten und betreiben
help-root = Alles unterhalb dieses Ordners statt unter `/` ausführen (Tests, Versuche)
help-dry-run = Jede Änderung nur anzeigen, nicht ausführen
help-setup = Gruppe p_leovms, /home/leovms/{"{"}data,upload{"}"}, die Samba-Freigaben (STEP1; `--ldap` STEP2)
help-setup-ldap = STEP2: auch /etc/samba/smb.conf.leovms-ldap schreiben, um die Freigaben auf einem eigenen Rechner zu betreiben, der Mitglied der Domäne der Schule ist (braucht --realm, --workgroup, --dc)
help-setup-realm = Kerberos-Realm der Domäne der Schule, z. B. LINUXMUSTER.LAN (mit --ldap)
help-setup-workgroup = NetBIOS-Name der Domäne, z. B. LINUXMUSTER (mit --ldap)
help-setup-dc = Adresse (IP oder Rechnername) des Domänencontrollers, des Verzeichnisservers (mit --ldap)
help-setup-idmap-range = Benutzer- und Gruppenkennungen der Konten des Verzeichnisses, VON-BIS (mit --ldap)
help-setup-idmap-backend = Woher diese Kennungen kommen: `ad` (uidNumber/gidNumber des Verzeichnisses, dieselben Kennungen wie auf dem Schulserver) oder `rid` (aus der SID des Kontos berechnet) (mit --ldap)
help-publish = Einen Upload als VM oder als neuen Snapshot in data veröffentlichen
help-publish-upload = Der Upload: `<Benutzer>/<Ordner>` in der Upload-Freigabe oder der Pfad zum Ordner
help-list = VMs, Snapshots und wartende Uploads
help-verify = Den ganzen Datenordner erneut prüfen (Manifeste, Prüfsummen, Einstellungen, Festplattenketten)
help-readiness = Welche PCs die VMs aus presync schon bereithalten (Exit-Status 1, wenn einer nicht bereit ist)
help-readiness-reports = Der Ordner mit den Meldungen der PCs (<Rechnername>.toml); ohne Angabe /home/leovms/status
help-readiness-json = JSON statt einer Tabelle ausgeben (für Skripte)
help-remove = Einen Snapshot oder eine ganze VM zurückziehen
help-remove-vm = Die Kennung der VM (ihr Ordner in data)
help-remove-snapshot = Die Kennung des Snapshots; ohne sie wird die ganze VM entfernt
help-seed = Die veröffentlichten Archive mit den PCs der Schule teilen (Raum-Schwarm, docs/swarm.md); läuft, bis es beendet wird
help-seed-port = TCP-Port, mit dem sich die PCs verbinden
help-seed-slots = Wie vielen PCs der Server ein Archiv gleichzeitig schickt; sie geben es an die anderen weiter
help-seed-max-upload-mbits = Höchstens so viel sendet der Server, in Mbit/s; ohne Angabe unbegrenzt
help-seed-peers = Wer sich verbinden darf, nur IPv4: ein Netz wie 10.16.0.0/16 oder eine Adresse (mehrfach möglich); ohne Angabe die privaten IPv4-Adressbereiche
help-seed-rescan = Wie oft der Datenbaum neu angesehen wird, in Sekunden
help-reject = Einen Upload löschen, statt ihn zu veröffentlichen (BENUTZER/ORDNER, wie `list` ihn zeigt)
help-reject-upload = Der Upload, wie `leovms-admin list` ihn zeigt: `BENUTZER/ORDNER` in der Upload-Freigabe
help-set-conf = Die image.conf einer veröffentlichten VM (oder die snapshot.conf eines Snapshots) durch eine geprüfte Datei ersetzen
help-set-conf-vm = Die Kennung der VM (ihr Ordner in data)
help-set-conf-snapshot = Die Kennung des Snapshots: seine snapshot.conf statt der image.conf der VM ersetzen
help-set-conf-from = Die neue Datei, z. B. eine bearbeitete Kopie der alten
help-import-leoclient2 = Einen VM-Ordner von leoclient2 in Format 1 umwandeln
help-import-leoclient2-dir = Der VM-Ordner von leoclient2 (mit `<vm>.vdi.zip`, `defaults/<vm>.vbox`, `snapshot-store/`)
help-import-leoclient2-id = Kennung der neuen VM in data; ohne Angabe der Name des Ordners. Eine vorhandene VM wird nie ersetzt
help-import-leoclient2-name = Name, den die Benutzer sehen; ohne Angabe der Name der VirtualBox-Maschine
help-add-torrents = Fehlende Torrents früher veröffentlichter Archive schreiben (Raum-Schwarm; jedes Archiv wird vorher geprüft)
help-add-torrents-vm = Nur diese VM (ihr Ordner in data); ohne Angabe jede veröffentlichte VM
help-help = Diese Hilfe oder die Hilfe der genannten Befehle anzeigen
help-flag-help = Hilfe anzeigen
help-flag-version = Version anzeigen
help-default = [Standard: { $value }]
help-possible = [mögliche Werte: { $values }]
help-heading-usage = Aufruf:
help-heading-commands = Befehle:
help-heading-arguments = Argumente:
help-heading-options = Optionen:

## Fehler und Änderungen, wie jeder Befehl sie nennt.
error-io = Zugriff auf { $path } fehlgeschlagen: { $detail }
error-command = { $command } ist fehlgeschlagen: { $detail }
# Eine Änderung unter --dry-run; $what ist die Änderung selbst, mit dem Verb am Ende.
change-would = würde { $what }
# Warum leovms-image einen Namen, eine Einstellungsdatei oder eine machine.vbox ablehnt,
# steht (auf Englisch) in $detail.
bad-vm-id = Die Kennung der VM ist ungültig: { $detail }
bad-snapshot-id = Die Kennung des Snapshots ist ungültig: { $detail }
conf-invalid = Eine Einstellungsdatei ist ungültig: { $detail }
machine-invalid = Die VirtualBox-Einstellungen { $file } sind ungültig: { $detail }
manifest-lacks = { $vm }: Das Manifest führt { $file } nicht auf
no-published-vm = In { $data } gibt es keine veröffentlichte VM { $vm }

## publish und remove
publish-no-data = Es gibt keinen Datenordner { $data } (führen Sie zuerst leovms-admin setup aus)
publish-not-upload-folder = { $upload } ist kein Upload-Ordner
publish-snapshot-no-vm = In { $data } gibt es keine veröffentlichte VM { $vm }: Ein Snapshot braucht seine Maschine (laden Sie die ganze Maschine mit kind = "vm" hoch)
publish-other-base = Der Upload { $upload } wurde aus dem Basisabbild { $disk } erstellt, das Basisabbild von { $vm } ist aber { $bases }: Er gehört zu einer anderen Maschine oder einem älteren Basisabbild
publish-snapshot-exists = { $vm } hat bereits einen Snapshot { $id }; entfernen Sie ihn zuerst (leovms-admin remove { $vm } { $id }) oder laden Sie ihn unter einer anderen Kennung hoch
publish-snapshot-unpublished = { $path } existiert, ist aber nicht veröffentlicht; verschieben Sie es zuerst
publish-vm-exists = { $vm } ist bereits veröffentlicht; entfernen Sie die VM zuerst (leovms-admin remove { $vm }) oder laden Sie einen Snapshot davon hoch
publish-vm-unpublished = { $path } existiert, ist aber keine veröffentlichte VM (kein manifest.toml); verschieben Sie den Ordner zuerst
publish-base-uuid-unknown = { $file }: base_uuid { $disk } ist kein Basisabbild von machine.vbox
publish-vm-no-snapshot = { $upload }: Eine neue VM braucht mindestens einen Snapshot (snapshots/<id>/snapshot.tar.zst), denn Schülerinnen und Schüler starten von einem Snapshot; die hochladende Person lädt die Maschine erneut hoch (leovms-cli upload fügt einer Maschine ohne Snapshot den Snapshot "current" hinzu)
change-publish-snapshot = Snapshot { $id } von { $vm } aus { $upload } veröffentlichen
change-publish-vm = die neue VM { $vm } aus { $upload } veröffentlichen
change-remove-upload = den veröffentlichten Upload { $upload } entfernen
remove-not-a-vm = { $quoted } ist keine Kennung einer VM: remove zieht veröffentlichte VMs und Snapshots zurück; um einen Upload zu löschen, führen Sie aus: leovms-admin reject { $upload }
remove-no-vm = In { $data } gibt es keine VM { $vm }
remove-no-snapshot = { $vm } hat keinen Snapshot { $id }
change-unpublish-vm = { $vm } zurückziehen ({ $manifest } entfernen)
change-unpublish-snapshot = Snapshot { $id } von { $vm } zurückziehen ({ $manifest } neu schreiben)
change-delete = { $path } löschen

## set-conf
set-conf-no-file = { $vm } hat keine { $file }
set-conf-unchanged = { $file } stimmt bereits mit { $from } überein
change-set-conf = { $file } durch { $from } ersetzen und { $manifest } neu schreiben
set-conf-done = { $file } ersetzt; die Clients verwenden die Datei ab ihrem nächsten Start

## list (und die Regeln, die import-leoclient2 zeigt). Die Regeln selbst ($who, $rule,
## $pcs) formuliert leovms-image, auf Englisch.
rule-offered = angeboten für: { $who }
rule-network = Netzwerk: { $rule }
rule-snapshot-shown = nur angezeigt auf: { $pcs }
list-vms-vm = VM / SNAPSHOT
list-vms-name = NAME
list-vms-maintainer = BETREUT VON
list-vms-created = ERSTELLT
list-vms-size = GRÖSSE
list-not-published = (nicht veröffentlicht: kein manifest.toml)
list-damaged = (beschädigt: { $detail })
list-conf-invalid = ({ $file }: { $detail })
list-no-vms = Keine VMs in { $data }.
list-uploads-upload = UPLOAD
list-uploads-state = ZUSTAND
list-uploads-kind = ART
list-uploads-vm = VM
list-uploads-snapshot = SNAPSHOT
list-uploads-uploader = HOCHGELADEN VON
list-uploads-from = VON RECHNER
upload-complete = vollständig
upload-incomplete = unvollständig
list-no-uploads = Keine wartenden Uploads in { $upload }.

## verify
verify-ok = { $count ->
        [one] { $count } VM
       *[other] { $count } VMs
    } in { $data }: alles in Ordnung.
verify-problem = Problem: { $problem }
verify-problems = { $count ->
        [one] { $count } Problem
       *[other] { $count } Probleme
    } in { $data } gefunden
verify-unpacked-differs = { $archive }: Laut Manifest wird es zu { $manifest } Bytes entpackt, es enthält aber { $found }
verify-no-base = { $vm }: Das Manifest führt kein { $file } auf
verify-mode-closed-dir = { $path } ist nicht für alle zugänglich (Modus { $mode }), daher können die PCs es nicht lesen (Abhilfe: chmod { $fix })
verify-mode-closed-file = { $path } ist nicht für alle lesbar (Modus { $mode }), daher können die PCs es nicht lesen (Abhilfe: chmod { $fix })
verify-mode-open = { $path } kann von allen geändert werden (Modus { $mode }) (Abhilfe: chmod { $fix })

## readiness. $reason und $problem sind die Worte der Freigabe und des PCs, auf Englisch.
readiness-no-presync = presync in { $file } nennt keine VMs, es gibt also nichts, wofür die PCs bereit sein müssten.
readiness-no-reports = In { $dir } hat noch kein PC gemeldet. Ein PC meldet, was er bereithält, sobald in seiner /etc/leovms/store.toml report_dir eingetragen ist (siehe docs/prewarm.md).
readiness-unavailable = Warnung: { $vm } aus presync kann nicht vorab geladen werden, daher ist kein PC dafür bereit: { $reason }
readiness-host-differs = { $file }: Die Meldung stammt vom Rechner { $host }, nicht von dem PC, den der Dateiname nennt; ein PC schreibt seine Meldung als <Rechnername>.toml
readiness-pc = PC
readiness-reported = GEMELDET
readiness-ready = BEREIT
readiness-missing = FEHLT
readiness-missing-archives = { $vm } ({ $archives }, { $size })
readiness-missing-unavailable = { $vm } (nicht auf der Freigabe)
readiness-problem = { $vm }: { $problem }

## reject
reject-not-upload = { $quoted } ist kein Upload: Geben Sie ihn als BENUTZER/ORDNER an, wie leovms-admin list ihn zeigt (relativ zur Upload-Freigabe)
reject-no-upload = In { $share } gibt es keinen Upload { $upload }; leovms-admin list zeigt die wartenden Uploads
reject-user-not-folder = { $path } ist kein Ordner (eine Verknüpfung oder eine Datei, der nicht gefolgt wird); nichts wurde gelöscht
# $complete und $unreadable sind yes oder no.
change-reject = den { $complete ->
        [yes] vollständigen
       *[no] unvollständigen
    } Upload { $upload } löschen ({ $files ->
        [one] { $files } Datei
       *[other] { $files } Dateien
    }, { $size }{ $unreadable ->
        [yes] , teilweise unlesbar
       *[no] {""}
    })
change-reject-link = { $upload } löschen (kein Ordner, sondern eine Verknüpfung oder Datei; nur sie selbst wird entfernt, nicht ihr Ziel)

## setup
setup-not-root = setup muss als root laufen (mit --dry-run sehen Sie, was es tun würde, oder verwenden Sie --root ORDNER)
setup-checking-shares = Prüfung der Freigabe-Konfiguration
setup-checking-ldap = Prüfung der Konfiguration als Domänenmitglied
setup-nothing-changed = nichts geändert: leovms ist eingerichtet
setup-would-change = Probelauf: { $count ->
        [one] { $count } Änderung würde
       *[other] { $count } Änderungen würden
    } vorgenommen, keine wurde es
setup-changed = { $count ->
        [one] { $count } Änderung
       *[other] { $count } Änderungen
    } vorgenommen
setup-ldap-next = Als Nächstes: Treten Sie der Domäne bei (net ads join -U administrator), ergänzen Sie winbind in den Zeilen passwd und group von /etc/nsswitch.conf und führen Sie dann setup --ldap erneut aus
change-create-folder = Ordner { $path } anlegen (Modus { $mode })
change-create-folder-owned = Ordner { $path } anlegen (Modus { $mode }, Eigentümer { $owner })
change-owner = Eigentümer von { $path } auf { $owner } setzen (bisher { $was })
change-mode = Modus von { $path } auf { $mode } setzen (bisher { $was })
change-write-file = { $path } schreiben
change-rewrite-file = { $path } neu schreiben (der Inhalt weicht von dem dieser Version ab)
setup-not-a-folder = { $path } existiert, ist aber kein Ordner; dort wurde nichts geändert
setup-group-missing-root = Hinweis: Die Gruppe { $group } existiert nicht; unter --root wird keine Systemgruppe angelegt (legen Sie sie zuerst an: groupadd --system { $group }); upload/ behält seine Gruppe
setup-group-missing-ldap = Hinweis: Die Gruppe { $group } ist hier nicht bekannt; sie kommt aus der Domäne, sobald dieser Rechner ihr beigetreten ist; bis dahin behält upload/ seine Gruppe
change-create-group = Gruppe { $group } anlegen ({ $description }): { $command }
setup-group-still-unknown = Die Gruppe { $group } ist danach immer noch unbekannt (getent group { $group })
setup-no-samba = Weder { $shares } noch { $main } existiert: Installieren Sie zuerst Samba (apt-get install samba); nichts wurde geändert
change-include = "{ $line }" zu { $target } hinzufügen
change-include-before = "{ $line }" zu { $target } hinzufügen, vor der Zeile, die { $before } einbindet
# $command ist der Aufruf von testparm, $what eines von setup-checking-*.
setup-testparm-checking = { $command } ({ $what })
setup-no-testparm = { $detail } (testparm gehört zu Samba: apt-get install samba)
setup-no-reload-root = Hinweis: smbd wird unter --root nicht neu geladen
setup-smbd-not-running = Hinweis: smbd läuft nicht; es liest die neue Konfiguration, wenn es startet
change-reload-smbd = smbd neu laden: smbcontrol smbd reload-config

## setup --ldap
ldap-needs = --ldap braucht --{ $option }
ldap-bad-value = --{ $option } { $quoted }: Nur Buchstaben, Ziffern und . - _ : [ ] sind erlaubt
ldap-bad-workgroup = --workgroup { $workgroup }: Ein NetBIOS-Domänenname hat höchstens 15 Zeichen und keine Punkte (der Kurzname, z. B. LINUXMUSTER)
ldap-range-overlaps = --idmap-range { $range }: überschneidet sich mit { $local }, dem Bereich der lokalen Kennungen
ldap-bad-range = idmap-Bereich { $quoted }: erwartet VON-BIS, z. B. 10000-999999
ldap-dc-reported = testparm -s { $conf } meldet { $role }
ldap-dc-configured = in { $file } steht server role = { $role }
ldap-on-dc = Dieser Rechner ist ein Domänencontroller ({ $why }): setup --ldap würde ihn zum Mitgliedsserver einer Domäne machen, was die Domäne auf ihrem eigenen Controller zerstört, sobald Samba neu lädt; nichts wurde geändert. Führen Sie auf dem Domänencontroller selbst (dem linuxmuster.net-Server) einfach `leovms-admin setup` aus: Seine Freigaben verwenden die Benutzer und Gruppen der Domäne direkt. --ldap ist für einen anderen Rechner, der die Freigaben als Mitglied der Domäne bereitstellt (STEP2).
ldap-on-dc-included = { $target } bindet bereits { $ours } aus einem früheren setup --ldap ein: Entfernen Sie diese Zeile und die Datei, prüfen Sie mit testparm -s { $conf } und laden Sie smbd neu.
ldap-role-unreadable = Die Serverrolle der Konfiguration lässt sich nicht lesen, daher ändert setup --ldap sie nicht: { $detail }

## import-leoclient2
import-warning = Warnung: { $warning }
import-skipped = Warnung: übersprungen: { $why }
import-no-snapshot = { $dir }: kein Snapshot zum Importieren (snapshot-store/<Name>/{"{"}UUID{"}"}.vdi.zip); eine VM ohne Snapshot lässt sich nicht starten, daher wurde nichts importiert
change-import = { $dir } als { $dest } importieren
change-import-base = { $archive } mit { $entry } ({ $bytes } Bytes, Festplatte { $disk }) als { $name } schreiben
change-import-snapshot = { $archive } mit { $disk } ({ $bytes } Bytes) schreiben
change-import-settings = image.conf, machine.vbox, die snapshot.conf-Dateien und manifest.toml schreiben
import-done = { $vm } mit { $count ->
        [one] { $count } Snapshot
       *[other] { $count } Snapshots
    } importiert
import-rule-snapshot = Snapshot { $id } nur angezeigt auf: { $pcs }
import-not-converted = { $file }: nicht übernommen: { $lines }
import-networks-differ = Die Snapshots { $first } und { $second } bekämen verschiedene Netzwerkkarten ({ $first_source } und { $second_source }): leoclient2 verwendete die eigene network.conf eines Snapshots statt der der Maschine, leovms hat aber einen Satz Netzwerkregeln je Maschine. Gleichen Sie die Dateien an (oder entfernen Sie eine) oder importieren Sie eine Kopie des Ordners ohne einen dieser Snapshots; nichts wurde importiert
import-network-unused = network.conf: nicht verwendet: Jeder Snapshot hat seine eigene network.conf, wie leoclient2 sie verwendete
import-bad-id = Die Kennung der VM ist ungültig: { $detail }
import-no-data = { $data }: Der Datenordner existiert nicht (führen Sie zuerst `leovms-admin setup` aus)
import-exists = { $dest } existiert bereits: Ein Import ersetzt nie eine VM. Entfernen Sie sie zuerst (`leovms-admin remove { $id }`) oder wählen Sie mit --id eine andere Kennung
import-base-is-diff = { $zip }: { $entry } ist ein Differenzabbild, kein Basisabbild
import-skip-bad-id = { $place } übersprungen: als Kennung eines Snapshots nicht verwendbar ({ $detail })
import-skip-renamed = { $place } übersprungen: Die Datei heißt { $named }, die Festplatte darin ist aber { $inside }
import-no-parent = keines
import-skip-other-base = { $place } übersprungen: Seine Festplatte wurde aus einem anderen Basisabbild erstellt (Eltern { $parent }, das Basisabbild ist { $base }); sie würde nicht starten. Erstellen Sie den Snapshot auf dem aktuellen Basisabbild neu
import-new-image-conf = Die neue image.conf ist ungültig: { $detail }
import-rules-lost = Die neue image.conf enthält nicht die aus { $source } umgewandelten Netzwerkregeln (ein Fehler in leovms-admin); nichts wurde importiert
import-bad-vdi = { $zip }: { $entry } ist keine verwendbare VDI-Festplatte: { $detail }
import-vbox-base-is-diff = { $file }: Die Festplatte { $disk } ist dort ein Differenzabbild, sie ist aber das Basisabbild
import-vbox-location = { $file }: Ort des Basisabbilds "{ $old }" geändert in "{ $new }"
import-vbox-which-base = { $file }: nennt das Basisabbild { $disk } nicht und hat { $count } Basisabbilder, daher ist unklar, welches ersetzt werden soll; korrigieren Sie die Datei
import-vbox-base-replaced = { $file }: Basisabbild { $old } ("{ $old_location }") geändert in { $new } ("{ $new_location }"), die Festplatte in der ZIP-Datei

## network.conf von leoclient2
import-no-network-file = keine { $file }
network-refused = { $file }:{ $line }: { $why }: "{ $text }"; nichts wurde importiert
network-host-case = Der Rechner { $host } unterscheidet sich von { $known } aus einer früheren Zeile nur in der Groß-/Kleinschreibung; leovms vergleicht Rechnernamen ohne Groß-/Kleinschreibung, schreiben Sie sie also gleich
network-card-again = { $file }:{ $line }: Karte { $card } von { $host } wird erneut gesetzt (zuerst in Zeile { $first }); die spätere Zeile gilt, wie in leoclient2
network-nat = { $file }: nat (Zeile { $lines }): leoclient2 setzte das NAT-Netz der VM außerdem auf 192.168.1.0/24; leovms behält das der Vorlage (Standard von VirtualBox ist 10.0.2.0/24)
network-fields = { $count } Felder, erwartet host;nic;mode;mac;device
# $field ist eines von host, nic, mode, mac, device (die Feldnamen von leoclient2).
network-control-chars = Das Feld { $field } enthält Steuerzeichen
network-too-long = Das Feld { $field } ist länger als { $max } Bytes
network-no-host = kein Rechnername
network-not-one-host = "{ $host }" ist nicht genau ein Rechnername
network-bad-card = Karte "{ $card }": leoclient2 setzt die Karten 1 bis 4 (eine Zahl)
network-bad-mode = Modus "{ $mode }" ist keiner von none, null, nat, bridged, intnet, hostonly, generic, natnetwork
network-bridged-device = bridged braucht ein Gerät: auto-used-nic, auto-unused-nic oder die Netzwerkkarte des PCs (z. B. eth0)
network-hostonly-device = hostonly braucht die Host-only-Schnittstelle als Gerät, z. B. vboxnet0
network-generic-device = generic braucht den Treiber von VirtualBox als Gerät, z. B. VDE
network-automac-used = automac-used mit auto-unused-nic: Die Adresse kam von der Karte des PCs im Netz, leovms leitet sie aber von der Karte ab, mit der die VM verbunden ist; schreiben Sie automac-unused (die VM erhält 08 und die Adresse der anderen Karte) oder eine feste Adresse
network-automac-unused = automac-unused (die Adresse der anderen Karte des PCs) braucht bridged mit dem Gerät auto-unused-nic; schreiben Sie automac-used oder eine feste Adresse
network-bad-mac = MAC-Adresse "{ $mac }" ist weder 12 Hexadezimalziffern noch automac-used oder automac-unused
network-multicast-mac = MAC-Adresse "{ $mac }" ist eine Multicast-Adresse (ihr erstes Byte ist ungerade), die VirtualBox für eine Karte ablehnt

## Der Ordner von leoclient2
import-not-folder = { $dir } ist kein Ordner
import-not-utf8-name = { $dir }: Der Ordner braucht einen UTF-8-Namen
import-no-base-zip = { $dir }: kein gepacktes Basisabbild: weder { $vm }.vdi.zip noch snapshot-store/base/{ $vm }.vdi.zip (führen Sie zuerst `leovirtstarter2 --prepare-remote-vm { $vm }` auf dem leoclient2-Rechner aus)
import-zip-holds = { $zip }: enthält { $entry }, nicht { $expected }
import-zip-size = { $zip }: Die ZIP-Datei hat { $bytes } Bytes, laut { $file } aber { $expected }: Sie wurde verändert oder abgeschnitten; nichts wurde importiert
import-unpacked-size = { $file }: nennt { $expected } Bytes, { $entry } in { $zip } hat aber { $bytes } (die Prüfsumme der ZIP-Datei entscheidet)
import-not-a-size = { $file }: keine Größe ("{ $text }"), ignoriert
import-no-vbox = { $dir }: keine VirtualBox-Einstellungen ({ $vm }.vbox) in defaults/
import-several-vbox = { $dir }: mehrere .vbox-Dateien in defaults/ und keine heißt { $vm }.vbox
import-snapshot-no-zip = kein gepacktes Differenzabbild {"{"}UUID{"}"}.vdi.zip
import-snapshot-zips = { $count } gepackte Festplatten, erwartet eine
import-not-utf8 = { $file }: kein UTF-8-Text
import-snapshot-zip-holds = { $zip } enthält { $entry }, nicht { $expected }

## Die gepackten Festplatten von leoclient2; $why ist eines der zip-* unten, $detail die
## Worte des ZIP-Lesers (auf Englisch).
zip-refused = { $zip }: { $why }; nichts wurde importiert
zip-unreadable = keine lesbare ZIP-Datei: { $detail }
zip-entry = Eintrag { $index }: { $detail }
zip-entry-refused = Eintrag "{ $entry }" { $why }
zip-entry-not-utf8 = hat einen Namen, der kein UTF-8 ist
zip-entry-path = enthält einen Pfad: Nur ein einfacher Dateiname ist erlaubt (er könnte außerhalb des Ordners schreiben)
zip-entry-bad-name = wird abgelehnt: { $detail }
zip-entry-link = ist eine symbolische Verknüpfung
zip-entry-folder = ist ein Ordner
zip-entry-special = ist keine normale Datei
zip-entry-encrypted = ist verschlüsselt
zip-entry-not-vdi = ist kein .vdi-Festplattenabbild
zip-several = enthält mehr als eine Datei; erwartet genau eine .vdi
zip-empty = ist leer; erwartet eine .vdi
zip-cannot-read = { $entry } lässt sich nicht lesen: { $detail }
zip-damaged = { $entry } ist beschädigt: { $detail }
zip-size-differs = { $entry } ergab entpackt { $bytes } Bytes, laut ZIP-Datei { $expected }
import-appeared = { $dest } ist während des Imports aufgetaucht; nichts wurde geändert
import-unzipped-invalid = { $zip }: Die entpackte Festplatte ist nicht verwendbar: { $detail }
import-changed = { $zip }: während des Imports verändert; nichts wurde importiert
import-pack-failed = { $archive } konnte nicht gepackt werden: { $detail }

## Festplatten und Archive. Die Worte der PCs für ein abgelehntes Archiv (leovms-image,
## auf Englisch) stehen in $detail.
archive-refused = Das Archiv wird abgelehnt, wie jeder PC es ablehnen würde: { $detail }
disk-invalid = Eine Festplatte ist nicht verwendbar: { $detail }
archive-lacks-base = { $archive } enthält nicht das Basisabbild { $disk } ({ $location }), das machine.vbox nennt
archive-base-is-diff = { $disk } in { $archive } ist ein Differenzabbild, kein Basisabbild
machine-no-base = machine.vbox nennt kein Basisabbild
archive-no-disk = { $archive } enthält keine Festplatte (.vdi)
archive-not-diff = { $disk } in { $archive } ist kein Differenzabbild: Ein Snapshot darf nur die Änderungen auf dem Basisabbild { $base } enthalten
archive-other-base = { $disk } in { $archive } wurde aus einem anderen Basisabbild erstellt: Sein Elternabbild ist { $parent }, das Basisabbild der Maschine ist aber { $base }
archive-chain = { $archive }: Die Festplattenkette ist ungültig: { $detail }

## Dateien, geprüft gegen ihr Manifest
file-missing = { $file } fehlt (das Manifest führt die Datei auf)
file-size-differs = { $file } ist beschädigt oder wurde nach dem Schreiben verändert: Die Datei hat { $size } Bytes, laut Manifest { $expected }
file-checksum-differs = { $file } ist beschädigt oder wurde nach dem Schreiben verändert (Prüfsumme stimmt nicht)
file-special = { $path } ist eine Verknüpfung oder besondere Datei; nur normale Dateien und Ordner sind erlaubt
manifest-invalid = Ein Manifest ist ungültig: { $detail }
file-too-large = Eine Datei ist zu groß: { $detail }
data-busy = Ein anderes leovms-admin ändert gerade { $data }; versuchen Sie es erneut, wenn es fertig ist
leftover-removed = { $path } entfernt, Rest eines abgebrochenen Befehls

## Fortschrittszeilen (auf stderr) langer Schritte: ein Schritt, dann was erledigt ist.
phase-checking = { $file } prüfen
phase-checking-copy = Kopie von { $file } prüfen
phase-copying = { $file } kopieren
phase-checking-disks = Festplatten in { $archive } prüfen
phase-unzipping = { $file } auspacken
phase-torrent = Torrent von { $file } erstellen
phase-packing = { $file } packen
# Im Terminal: "1,2 GB / 4,0 GB"; in einem Protokoll: "1,2 GB von 4,0 GB".
progress-done-of = { $done } von { $total }
progress-left = noch { $time }
progress-finished = { $phase }: { $done } in { $time }

## Uploads
upload-missing = Es gibt keinen Upload { $dir }
upload-incomplete-refused = Der Upload { $upload } ist unvollständig: Er hat kein manifest.toml (das zuletzt geschrieben wird, wenn der Upload fertig ist); nichts wurde veröffentlicht
upload-unlisted = Der Upload { $upload } enthält { $file }, das sein Manifest nicht aufführt
upload-no-toml = Der Upload { $upload } hat kein upload.toml
upload-misses = Dem Upload { $upload } fehlt { $file }
upload-snapshot-unnamed = { $file }: snapshot: nötig bei kind = "snapshot"
upload-not-in-snapshot = Der Upload { $upload } enthält { $file }, was ein Snapshot-Upload nicht hat (nur upload.toml und { $archive })
upload-not-in-vm = Der Upload { $upload } enthält { $file }, was eine veröffentlichte Maschine nicht hat

## add-torrents
change-add-torrent = den Torrent von { $file } schreiben (das Archiv stimmt mit dem Manifest überein)
add-torrents-problem = Problem: { $problem }
add-torrents-vm-problem = Problem mit der VM { $vm }: { $problem }
# $problems: add-torrents-damaged und/oder add-torrents-vms-unread, mit "; " verbunden.
add-torrents-problems = { $problems } (siehe oben); { $written ->
        [one] { $written } Torrent
       *[other] { $written } Torrents
    } geschrieben
add-torrents-damaged = { $count ->
        [one] { $count } Archiv hat
       *[other] { $count } Archive haben
    } keinen Torrent bekommen
add-torrents-vms-unread = { $count ->
        [one] { $count } VM konnte
       *[other] { $count } VMs konnten
    } nicht gelesen werden
add-torrents-done = { $count ->
        [one] { $count } Torrent
       *[other] { $count } Torrents
    } geschrieben und in die Manifeste eingetragen; ein laufender Seeder teilt sie, sobald er den Datenordner das nächste Mal ansieht
add-torrents-none = Jedes Archiv in { $data } hat seinen Torrent.

## seed. $detail und $reason sind die Worte des Schwarms, auf Englisch.
seed-bad-number = --slots, --max-upload-mbits und --rescan müssen größer als 0 sein.
seed-ipv6 = --peers { $net }: Der Raum-Schwarm unterstützt nur IPv4; geben Sie IPv4-Netze oder -Adressen an.
seed-cannot-start = Der Raum-Schwarm kann nicht starten: { $detail }
seed-started = Teile mit den PCs über TCP-Port { $port }, je Archiv { $slots } gleichzeitig. Erlaubte Gegenstellen: { $peers }
seed-sharing = teile { $archive } ({ $size })
seed-stopped = teile { $archive } nicht mehr: Es ist nicht mehr veröffentlicht
seed-stopped-replaced = teile { $archive } nicht mehr: Es wurde neu veröffentlicht; die neue Datei wird geteilt, sobald sie geprüft ist
seed-stopped-problem = teile { $archive } nicht mehr (siehe oben)
seed-skipped = teile { $archive } nicht: { $reason }
seed-no-archive = Das Manifest führt seinen Torrent auf, aber nicht das Archiv
seed-torrent-changed = { $file } ist nicht das, was das Manifest sagt
seed-archive-size = Das Archiv hat { $size } Bytes, laut Manifest { $expected }
seed-no-data = Der Datenbaum { $data } kann nicht gelesen werden
seed-ended = Beendet; { $sent } an die PCs gesendet.
