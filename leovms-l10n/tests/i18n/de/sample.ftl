running = { $vm } läuft.
