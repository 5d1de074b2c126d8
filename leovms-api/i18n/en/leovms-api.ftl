# The phases of a job, as a progress line names them.
phase-plan = Checking
phase-fetch = Copying to the cache
phase-verify = Checking the cache
phase-unpack-base = Unpacking base image
phase-unpack-snapshot = Unpacking snapshot
phase-configure = Configuring
phase-launch = Starting VirtualBox
phase-running = Running
phase-upload = Uploading
phase-ended = Ended
phase-unknown = Working

# What went wrong, by the kind of the daemon's error (the headline when the sentence
# itself is unknown to this client).
error-not-found = Not found.
error-invalid-argument = This request was refused.
error-invalid-config = A configuration file on the server cannot be used.
error-integrity = A file is damaged (it does not match its checksum).
error-unsafe-archive = An archive holds something that must never be unpacked.
error-no-space = There is not enough free disk space.
error-snapshot-mismatch = The snapshot does not belong to this base image.
error-vm-running = The VM is already running.
error-not-running = The VM is not running.
error-vbox-missing = VirtualBox is not installed.
error-vbox-failed = VirtualBox reported an error.
error-offline = The server cannot be reached.
error-canceled = Canceled.
error-busy = This is not possible right now.
error-permission-denied = You are not allowed to do this.
error-io = A file could not be read or written.
error-internal = An internal error occurred.
error-transport = The leovms service does not answer.
error-with-detail = { $headline } Details: { $detail }

# Failed jobs, worded from their detail (English shows the daemon's own
# sentence, which these repeat).
failure-vm-running = { $vm } is already running. Close it first, or use it as it is.
failure-another-vm-running = Another virtual machine is running. Close it before starting { $vm }.
failure-no-space = Not enough space in { $dir }: { $need } needed, { $free } free.
failure-disk-full-copy = The disk became full while { $file } was copied into { $dir }. The copy was removed; everything else in the cache is unchanged.
failure-share-stopped = The share stopped answering while { $file } was copied. What was copied is kept; the next sync goes on from there.
failure-vbox-missing = VirtualBox is not installed on this computer (VBoxManage not found). Ask the school's admin.
failure-vbox-failed = VirtualBox reported an error: { $vbox }
failure-vbox-start-failed = VirtualBox could not start the VM: { $vbox }
failure-vm-ended = { $vm } ended unexpectedly (VirtualBox exit code { $code }): { $vbox }
failure-canceled = Canceled.
