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
phase-receive = Receiving the document
phase-embed-fonts = Embedding fonts
phase-print = Printing
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
error-print-failed = The document was not printed.
error-io = A file could not be read or written.
error-internal = An internal error occurred.
error-transport = The leovms service does not answer.
error-with-detail = { $headline } Details: { $detail }

# The daemon's errors, worded from their detail (English shows the daemon's own
# sentence, which these repeat).
failure-vm-running = { $vm } is already running. Close it first, or use it as it is.
failure-other-vm-running = { $other } is running. Close it before starting { $vm }.
failure-other-vm-starting = { $other } is being started. Wait until it runs and close it before starting { $vm }.
failure-starting-otherwise = { $vm } is being started right now with other settings. Wait until it runs, or cancel that start.
failure-not-running = { $vm } is not running.
failure-window-still-open = { $vm } was powered off, but its VirtualBox window has not closed within { $seconds } s, so it still counts as running. Close the window, or try again.
failure-cancel-running = { $vm } is already running; use Stop to power it off.
failure-job-ended = This job has already ended.
failure-no-such-vm = There is no VM "{ $vm }" on the share.
failure-no-such-snapshot = { $vm } has no snapshot "{ $snapshot }".
failure-not-offline = { $vm } is not available offline: the VM share is not available and { $vm } has never been used on this computer.
failure-not-for-you = { $vm } is not offered to you: it is meant for other users or groups. Ask your teacher or the school's admin if you need it.
failure-not-here = { $vm } is not offered on this computer ({ $pc }): it is meant for other computers or rooms. Use a computer where it is offered, or ask your teacher or the school's admin.
failure-never-used = { $vm } has not been used on this computer yet, so it cannot be started as found. Choose a snapshot.
failure-as-found-base-renewed = { $vm } cannot be started as found: the base image was renewed since it was last used. Choose a snapshot.
failure-as-found-settings-damaged = { $vm } cannot be started as found: its settings are damaged ({ $error }). Choose a snapshot.
failure-as-found-saved-state = { $vm } cannot be started as found: it has a saved state. Choose a snapshot.
pc-in-room = { $host }, room { $room }
failure-share-unavailable = The VM share is not available ({ $path }: { $reason }). Check the network or ask the school's admin.
failure-another-vm-running = Another virtual machine is running. Close it before starting { $vm }.
failure-no-space = Not enough space in { $dir }: { $need } needed, { $free } free.
failure-cache-no-space = Not enough space in the cache { $dir }: { $need } needed, { $free } free (limit { $limit }, { $used } in use, of which { $evictable } could be freed).
failure-disk-full-copy = The disk became full while { $file } was copied into { $dir }. The copy was removed; everything else in the cache is unchanged.
failure-share-stopped = The share stopped answering while { $file } was copied. What was copied is kept; the next sync goes on from there.
failure-vbox-missing = VirtualBox is not installed on this computer (VBoxManage not found). Ask the school's admin.
failure-vbox-failed = VirtualBox reported an error: { $vbox }
failure-vbox-start-failed = VirtualBox could not start the VM: { $vbox }
failure-vm-ended = { $vm } ended unexpectedly (VirtualBox exit code { $code }): { $vbox }
failure-canceled = Canceled.

# How a job that went well ended (English shows the daemon's own sentence).
done-powered-off = { $vm } was powered off.
done-synced = { $vm } is ready for offline use ({ $size } in { $dir }).
done-synced-resumed = { $ready } An interrupted copy was continued: { $resumed } of it were already there.
done-uploaded = Uploaded { $vm } to the upload share as { $label }. The admin publishes it with: leovms-admin publish { $label }
done-printed = The document from { $vm } was printed on { $printer }.
print-no-printer = The document from { $vm } was not printed: no printer is set up for you on this PC. Ask the school's admin. The document is kept as { $kept }.
print-no-cups = The document from { $vm } was not printed: the printing service (CUPS) is not running on this PC. Ask the school's admin. The document is kept as { $kept }.
print-refused = The printer { $printer } did not accept the document from { $vm } ({ $cups }). The document is kept as { $kept }.
print-not-pdf = { $file } from { $vm } is not a PDF document, so it was not printed. In the VM, print with the PDF printer. The file is kept as { $kept }.
print-too-large = The document from { $vm } is { $size }, more than the { $limit } a document may have, so it was not printed. It is kept as { $kept }.
print-incomplete = The document from { $vm } was not written completely (the PDF has no end), so it was not printed. It is kept as { $kept }.
print-damaged = The document from { $vm } could not be prepared for printing ({ $why }). It is kept as { $kept }.
print-canceled = Printing the document from { $vm } was canceled. It is kept as { $kept }.
done-cache-intact = { $count } archives checked ({ $size }): all intact.
done-cache-damaged = { $count } archives checked ({ $size }), { $damaged } damaged and removed: { $list }.

# What a job does now (English shows the daemon's own sentence).
doing-check = Checking { $vm }
doing-check-cache = Checking the cache for { $vm }
doing-check-archives = Checking the archives in the cache
doing-copy = Copying { $vm } into the cache
doing-wait-for-copy = Waiting for another copy into { $dir }
doing-unpack-base = Unpacking the base image of { $vm }
doing-unpack-snapshot = Unpacking snapshot { $snapshot }
doing-configure = Configuring { $vm }
doing-launch = Starting { $vm }
doing-running = { $vm } is running.
doing-upload = Uploading { $vm }
doing-receive = Receiving a document from { $vm }
doing-wait-for-document = Waiting for { $vm } to finish writing the document
doing-embed-fonts = Embedding the fonts of the document from { $vm }
doing-print = Printing the document from { $vm } on { $printer }

# Why a VM or snapshot cannot be used now (English shows the daemon's own sentence).
problem-unknown = Not available.
problem-not-synced = Not available offline: the VM share is not available and { $vm } was not synced for offline use.
problem-no-snapshot-cached = Not available offline: none of its snapshots is in the cache.
problem-snapshot-not-cached = Not available offline: snapshot "{ $snapshot }" is not in the cache.
problem-cache-not-created = not created yet (it is made at the first sync)
problem-vbox-vm-running = { $vm } is running; shut it down in VirtualBox first
problem-vbox-vm-saved = { $vm } was saved while running; start it in VirtualBox and shut it down first
problem-no-hard-disk = { $vm } has no hard disk
problem-copy-running = { $vm } is running; close it first
problem-upload-needs-group = uploading needs the group p_leovms; ask the school's admin
problem-base-renewed = the base image was renewed since it was last used
problem-settings-damaged = its settings are damaged ({ $error })
problem-saved-state = it has a saved state
problem-room-unknown = { $vm } is offered { $hosts ->
        [yes] only on certain computers and in certain rooms
       *[no] only in certain rooms
    }, and this computer ({ $host }) cannot tell which room it is in. Ask the school's admin to set its room: the primary group of the computer account "{ $account }", or LEOVMS_ROOM for leovmsd.
problem-snapshot-room-unknown = Snapshot "{ $snapshot }" of { $vm } is offered { $hosts ->
        [yes] only on certain computers and in certain rooms
       *[no] only in certain rooms
    }, and this computer ({ $host }) cannot tell which room it is in. Ask the school's admin to set its room: the primary group of the computer account "{ $account }", or LEOVMS_ROOM for leovmsd.
problem-snapshot-not-here = Snapshot "{ $snapshot }" of { $vm } is not offered on this computer ({ $pc }). Use a computer where it is offered, or ask your teacher or the school's admin.

# A share's state: the reason, then what the user can do (English shows the daemon's own).
share-unknown = The share cannot be used.
share-not-mounted = The { $share ->
        [upload] upload share
       *[data] VM share
    } is not connected (nothing is mounted at { $path }).
share-connected = The { $share ->
        [upload] upload share
       *[data] VM share
    } is connected ({ $fstype } from { $source }){ $empty ->
        [yes] , but it is empty
       *[no] {""}
    }.
share-local = The { $share ->
        [upload] upload share
       *[data] VM share
    } is a local folder at { $path } (no network mount), used as it is.
share-not-answering = The { $share ->
        [upload] upload share
       *[data] VM share
    } does not answer (server or network down). ({ $why }{ $on })
share-unreadable = The { $share ->
        [upload] upload share
       *[data] VM share
    } at { $path } cannot be read ({ $error }).
share-denied = You may not read the { $share ->
        [upload] upload share
       *[data] VM share
    } at { $path } (permission denied).
share-not-folder = The { $share ->
        [upload] upload share
       *[data] VM share
    } at { $path } is not a folder.
share-unchecked = The VM share cannot be checked ({ $error }).
mount-table-unreadable = The mount table cannot be read ({ $error }).
share-hint-relogin = Log out and in again, or ask the school's admin.
share-hint-network = Check the network connection and try again in a minute; if it stays like this, ask the school's admin.
share-hint-access = Ask the school's admin to give your account access to the VM share.
share-hint-upload-access = Uploading needs membership in the group p_leovms; ask the school's admin.
share-on = ; { $fstype } from { $source }
