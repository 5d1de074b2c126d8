# Die Phasen eines Auftrags, wie eine Fortschrittszeile sie nennt.
phase-plan = Prüfen
phase-fetch = In den Zwischenspeicher kopieren
phase-verify = Zwischenspeicher prüfen
phase-unpack-base = Basisabbild entpacken
phase-unpack-snapshot = Snapshot entpacken
phase-configure = Einrichten
phase-launch = VirtualBox starten
phase-running = Läuft
phase-upload = Hochladen
phase-receive = Dokument empfangen
phase-embed-fonts = Schriften einbetten
phase-print = Drucken
phase-ended = Beendet
phase-unknown = In Arbeit

# Was schiefging, nach der Art des Fehlers (die Überschrift, wenn dieser Client den Satz
# selbst nicht kennt).
error-not-found = Nicht gefunden.
error-invalid-argument = Diese Anfrage wurde abgelehnt.
error-invalid-config = Eine Konfigurationsdatei auf dem Server ist nicht verwendbar.
error-integrity = Eine Datei ist beschädigt (sie passt nicht zu ihrer Prüfsumme).
error-unsafe-archive = Ein Archiv enthält etwas, das nie entpackt werden darf.
error-no-space = Es ist nicht genug Speicherplatz frei.
error-snapshot-mismatch = Der Snapshot gehört nicht zu diesem Basisabbild.
error-vm-running = Die VM läuft bereits.
error-not-running = Die VM läuft nicht.
error-vbox-missing = VirtualBox ist nicht installiert.
error-vbox-failed = VirtualBox hat einen Fehler gemeldet.
error-offline = Der Server ist nicht erreichbar.
error-canceled = Abgebrochen.
error-busy = Das geht gerade nicht.
error-permission-denied = Dazu fehlt Ihnen die Berechtigung.
error-print-failed = Das Dokument wurde nicht gedruckt.
error-io = Eine Datei konnte nicht gelesen oder geschrieben werden.
error-internal = Ein interner Fehler ist aufgetreten.
error-transport = Der leovms-Dienst antwortet nicht.
error-with-detail = { $headline } Details: { $detail }

# Die Fehler des Dienstes, aus ihren Werten formuliert.
failure-vm-running = { $vm } läuft bereits. Schließen Sie die VM zuerst oder arbeiten Sie darin weiter.
failure-other-vm-running = { $other } läuft. Schließen Sie diese VM, bevor Sie { $vm } starten.
failure-other-vm-starting = { $other } wird gerade gestartet. Warten Sie, bis sie läuft, und schließen Sie sie, bevor Sie { $vm } starten.
failure-starting-otherwise = { $vm } wird gerade mit anderen Einstellungen gestartet. Warten Sie, bis die VM läuft, oder brechen Sie diesen Start ab.
failure-not-running = { $vm } läuft nicht.
failure-window-still-open = { $vm } wurde ausgeschaltet, aber das VirtualBox-Fenster hat sich nicht innerhalb von { $seconds } s geschlossen; die VM gilt daher noch als laufend. Schließen Sie das Fenster oder versuchen Sie es erneut.
failure-cancel-running = { $vm } läuft bereits; schalten Sie die VM mit „Ausschalten“ aus.
failure-job-ended = Dieser Auftrag ist bereits beendet.
failure-no-such-vm = Auf der Freigabe gibt es keine VM „{ $vm }“.
failure-no-such-snapshot = { $vm } hat keinen Snapshot „{ $snapshot }“.
failure-not-offline = { $vm } ist offline nicht verfügbar: Die VM-Freigabe ist nicht erreichbar, und { $vm } wurde auf diesem Computer noch nie benutzt.
failure-not-for-you = { $vm } wird Ihnen nicht angeboten: Die VM ist für andere Benutzer oder Gruppen bestimmt. Fragen Sie Ihre Lehrkraft oder die Administration der Schule, wenn Sie sie brauchen.
failure-not-here = { $vm } wird auf diesem Computer ({ $pc }) nicht angeboten: Die VM ist für andere Computer oder Räume bestimmt. Nutzen Sie einen Computer, auf dem sie angeboten wird, oder fragen Sie Ihre Lehrkraft oder die Administration der Schule.
failure-never-used = { $vm } wurde auf diesem Computer noch nicht benutzt und kann daher nicht wie vorgefunden gestartet werden. Wählen Sie einen Snapshot.
failure-as-found-base-renewed = { $vm } kann nicht wie vorgefunden gestartet werden: Das Basisabbild wurde seit der letzten Nutzung erneuert. Wählen Sie einen Snapshot.
failure-as-found-settings-damaged = { $vm } kann nicht wie vorgefunden gestartet werden: Ihre Einstellungen sind beschädigt ({ $error }). Wählen Sie einen Snapshot.
failure-as-found-saved-state = { $vm } kann nicht wie vorgefunden gestartet werden: Sie hat einen gesicherten Zustand. Wählen Sie einen Snapshot.
pc-in-room = { $host }, Raum { $room }
failure-share-unavailable = Die VM-Freigabe ist nicht erreichbar ({ $path }: { $reason }). Prüfen Sie das Netzwerk oder fragen Sie die Administration der Schule.
failure-another-vm-running = Eine andere virtuelle Maschine läuft. Schließen Sie sie, bevor Sie { $vm } starten.
failure-no-space = Nicht genug Speicherplatz in { $dir }: { $need } nötig, { $free } frei.
failure-cache-no-space = Nicht genug Platz im Zwischenspeicher { $dir }: { $need } nötig, { $free } frei (Grenze { $limit }, { $used } belegt, davon könnten { $evictable } freigegeben werden).
failure-disk-full-copy = Die Festplatte wurde voll, während { $file } nach { $dir } kopiert wurde. Die Kopie wurde entfernt; alles andere im Zwischenspeicher ist unverändert.
failure-share-stopped = Die Freigabe antwortete nicht mehr, während { $file } kopiert wurde. Was kopiert ist, bleibt erhalten; der nächste Abgleich macht dort weiter.
failure-vbox-missing = VirtualBox ist auf diesem Computer nicht installiert (VBoxManage nicht gefunden). Fragen Sie die Administration der Schule.
failure-vbox-failed = VirtualBox hat einen Fehler gemeldet: { $vbox }
failure-vbox-start-failed = VirtualBox konnte die VM nicht starten: { $vbox }
failure-vm-ended = { $vm } wurde unerwartet beendet (VirtualBox-Rückgabewert { $code }): { $vbox }
failure-canceled = Abgebrochen.

# Wie ein Auftrag endete, der gelang.
done-powered-off = { $vm } wurde ausgeschaltet.
done-synced = { $vm } ist für die Offline-Nutzung bereit ({ $size } in { $dir }).
done-synced-resumed = { $ready } Ein unterbrochenes Kopieren wurde fortgesetzt; davon waren bereits { $resumed } vorhanden.
done-uploaded = { $vm } wurde als { $label } in die Upload-Freigabe hochgeladen. Die Administration veröffentlicht es mit: leovms-admin publish { $label }
done-printed = Das Dokument aus { $vm } wurde auf { $printer } gedruckt.
print-no-printer = Das Dokument aus { $vm } wurde nicht gedruckt: Auf diesem PC ist kein Drucker für Sie eingerichtet. Fragen Sie die Administration der Schule. Das Dokument liegt unter { $kept }.
print-no-cups = Das Dokument aus { $vm } wurde nicht gedruckt: Der Druckdienst (CUPS) läuft auf diesem PC nicht. Fragen Sie die Administration der Schule. Das Dokument liegt unter { $kept }.
print-refused = Der Drucker { $printer } hat das Dokument aus { $vm } nicht angenommen ({ $cups }). Das Dokument liegt unter { $kept }.
print-not-pdf = { $file } aus { $vm } ist kein PDF-Dokument und wurde deshalb nicht gedruckt. Drucken Sie in der VM mit dem PDF-Drucker. Die Datei liegt unter { $kept }.
print-too-large = Das Dokument aus { $vm } ist { $size } groß, mehr als die erlaubten { $limit }, und wurde deshalb nicht gedruckt. Es liegt unter { $kept }.
print-incomplete = Das Dokument aus { $vm } wurde nicht vollständig geschrieben (dem PDF fehlt das Ende) und deshalb nicht gedruckt. Es liegt unter { $kept }.
print-damaged = Das Dokument aus { $vm } konnte nicht für den Druck vorbereitet werden ({ $why }). Es liegt unter { $kept }.
print-canceled = Das Drucken des Dokuments aus { $vm } wurde abgebrochen. Es liegt unter { $kept }.
done-cache-intact = { $count } Archive geprüft ({ $size }): alle unversehrt.
done-cache-damaged = { $count } Archive geprüft ({ $size }), { $damaged } beschädigt und entfernt: { $list }.

# Was ein Auftrag gerade tut.
doing-check = { $vm } wird geprüft
doing-check-cache = Der Zwischenspeicher für { $vm } wird geprüft
doing-check-archives = Die Archive im Zwischenspeicher werden geprüft
doing-copy = { $vm } wird in den Zwischenspeicher kopiert
doing-wait-for-copy = Wartet auf eine andere Kopie nach { $dir }
doing-unpack-base = Das Basisabbild von { $vm } wird entpackt
doing-unpack-snapshot = Snapshot { $snapshot } wird entpackt
doing-configure = { $vm } wird eingerichtet
doing-launch = { $vm } wird gestartet
doing-running = { $vm } läuft.
doing-upload = { $vm } wird hochgeladen
doing-receive = Ein Dokument aus { $vm } wird empfangen
doing-wait-for-document = Wartet, bis { $vm } das Dokument fertig geschrieben hat
doing-embed-fonts = Die Schriften des Dokuments aus { $vm } werden eingebettet
doing-print = Das Dokument aus { $vm } wird auf { $printer } gedruckt

# Warum eine VM oder ein Snapshot gerade nicht nutzbar ist.
problem-unknown = Nicht verfügbar.
problem-not-synced = Offline nicht verfügbar: Die VM-Freigabe ist nicht erreichbar, und { $vm } wurde nicht für die Offline-Nutzung abgeglichen.
problem-no-snapshot-cached = Offline nicht verfügbar: Keiner ihrer Snapshots liegt im Zwischenspeicher.
problem-snapshot-not-cached = Offline nicht verfügbar: Der Snapshot „{ $snapshot }“ liegt nicht im Zwischenspeicher.
problem-cache-not-created = noch nicht angelegt (das geschieht beim ersten Abgleich)
problem-vbox-vm-running = { $vm } läuft; fahren Sie die VM zuerst in VirtualBox herunter
problem-vbox-vm-saved = { $vm } wurde im laufenden Betrieb gesichert; starten Sie die VM in VirtualBox und fahren Sie sie zuerst herunter
problem-no-hard-disk = { $vm } hat keine Festplatte
problem-copy-running = { $vm } läuft; schließen Sie die VM zuerst
problem-upload-needs-group = zum Hochladen ist die Gruppe p_leovms nötig; fragen Sie die Administration der Schule
problem-base-renewed = das Basisabbild wurde seit der letzten Nutzung erneuert
problem-settings-damaged = ihre Einstellungen sind beschädigt ({ $error })
problem-saved-state = sie hat einen gesicherten Zustand
problem-room-unknown = { $vm } wird { $hosts ->
        [yes] nur auf bestimmten Computern und in bestimmten Räumen
       *[no] nur in bestimmten Räumen
    } angeboten, und dieser Computer ({ $host }) kann nicht feststellen, in welchem Raum er steht. Bitten Sie die Administration der Schule, seinen Raum festzulegen: die primäre Gruppe des Computerkontos „{ $account }“ oder LEOVMS_ROOM für leovmsd.
problem-snapshot-room-unknown = Der Snapshot „{ $snapshot }“ von { $vm } wird { $hosts ->
        [yes] nur auf bestimmten Computern und in bestimmten Räumen
       *[no] nur in bestimmten Räumen
    } angeboten, und dieser Computer ({ $host }) kann nicht feststellen, in welchem Raum er steht. Bitten Sie die Administration der Schule, seinen Raum festzulegen: die primäre Gruppe des Computerkontos „{ $account }“ oder LEOVMS_ROOM für leovmsd.
problem-snapshot-not-here = Der Snapshot „{ $snapshot }“ von { $vm } wird auf diesem Computer ({ $pc }) nicht angeboten. Nutzen Sie einen Computer, auf dem er angeboten wird, oder fragen Sie Ihre Lehrkraft oder die Administration der Schule.

# Der Zustand einer Freigabe: der Grund, dann was man tun kann.
share-unknown = Die Freigabe ist nicht nutzbar.
share-not-mounted = Die { $share ->
        [upload] Upload-Freigabe
       *[data] VM-Freigabe
    } ist nicht verbunden (unter { $path } ist nichts eingehängt).
share-connected = Die { $share ->
        [upload] Upload-Freigabe
       *[data] VM-Freigabe
    } ist verbunden ({ $fstype } von { $source }){ $empty ->
        [yes] , aber sie ist leer
       *[no] {""}
    }.
share-local = Die { $share ->
        [upload] Upload-Freigabe
       *[data] VM-Freigabe
    } ist ein lokaler Ordner unter { $path } (keine Netzwerkfreigabe) und wird so verwendet.
share-not-answering = Die { $share ->
        [upload] Upload-Freigabe
       *[data] VM-Freigabe
    } antwortet nicht (Server oder Netzwerk gestört). ({ $why }{ $on })
share-unreadable = Die { $share ->
        [upload] Upload-Freigabe
       *[data] VM-Freigabe
    } unter { $path } kann nicht gelesen werden ({ $error }).
share-denied = Sie dürfen die { $share ->
        [upload] Upload-Freigabe
       *[data] VM-Freigabe
    } unter { $path } nicht lesen (Zugriff verweigert).
share-not-folder = Die { $share ->
        [upload] Upload-Freigabe
       *[data] VM-Freigabe
    } unter { $path } ist kein Ordner.
share-unchecked = Die VM-Freigabe kann nicht geprüft werden ({ $error }).
mount-table-unreadable = Die Tabelle der eingehängten Dateisysteme kann nicht gelesen werden ({ $error }).
share-hint-relogin = Melden Sie sich ab und wieder an, oder fragen Sie die Administration der Schule.
share-hint-network = Prüfen Sie die Netzwerkverbindung und versuchen Sie es in einer Minute erneut. Fragen Sie die Administration der Schule, wenn es so bleibt.
share-hint-access = Bitten Sie die Administration der Schule, Ihrem Konto Zugriff auf die VM-Freigabe zu geben.
share-hint-upload-access = Zum Hochladen ist die Mitgliedschaft in der Gruppe p_leovms nötig; fragen Sie die Administration der Schule.
share-on = ; { $fstype } von { $source }
