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
error-io = Eine Datei konnte nicht gelesen oder geschrieben werden.
error-internal = Ein interner Fehler ist aufgetreten.
error-transport = Der leovms-Dienst antwortet nicht.
error-with-detail = { $headline } Details: { $detail }

# Gescheiterte Aufträge, aus ihren Werten formuliert.
failure-vm-running = { $vm } läuft bereits. Schließen Sie die VM zuerst oder arbeiten Sie darin weiter.
failure-another-vm-running = Eine andere virtuelle Maschine läuft. Schließen Sie sie, bevor Sie { $vm } starten.
failure-no-space = Nicht genug Speicherplatz in { $dir }: { $need } nötig, { $free } frei.
failure-disk-full-copy = Die Festplatte wurde voll, während { $file } nach { $dir } kopiert wurde. Die Kopie wurde entfernt; alles andere im Zwischenspeicher ist unverändert.
failure-share-stopped = Die Freigabe antwortete nicht mehr, während { $file } kopiert wurde. Was kopiert ist, bleibt erhalten; der nächste Abgleich macht dort weiter.
failure-vbox-missing = VirtualBox ist auf diesem Computer nicht installiert (VBoxManage nicht gefunden). Fragen Sie die Administration der Schule.
failure-vbox-failed = VirtualBox hat einen Fehler gemeldet: { $vbox }
failure-vbox-start-failed = VirtualBox konnte die VM nicht starten: { $vbox }
failure-vm-ended = { $vm } wurde unerwartet beendet (VirtualBox-Rückgabewert { $code }): { $vbox }
failure-canceled = Abgebrochen.
