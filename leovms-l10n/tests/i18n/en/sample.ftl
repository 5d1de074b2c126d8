running = { $vm } is running.
only-english = Only in English.
