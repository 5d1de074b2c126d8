# leovms-tray: the panel icon's menu, tooltips and notifications (see docs/tray.md).
# Words the student clicks are short; questions say what will be lost.

## The command line

usage = Usage: leovms-tray [--help | --version]
help =
    leovms-tray: the panel icon of leovms, to start the school's virtual machines.

    Usage: leovms-tray [--help | --version]

    Puts an icon into the desktop's panel (StatusNotifierItem). Its menu lists the
    machines leovmsd offers, starts them, shows progress, and keeps machines for offline
    use; members of the group p_leovms also upload their machines from it. It needs a
    desktop session with a D-Bus session bus and is started at login. Only one tray runs
    per session.

    Options:
      -h, --help     Print this help and exit
      -V, --version  Print the version and exit

    Environment:
      LEOVMS_LOG     Log filter for standard error (default: info)

    See leovms-tray(1) and /usr/share/doc/leovms-client/docs/tray.md.
args-unknown-option = unknown option '{ $option }'
args-unexpected = unexpected argument '{ $argument }'
args-try-help = Try 'leovms-tray --help' for more.

## The menu

menu-no-machines = No machines on the share
menu-cancel = Cancel
menu-virtualbox = VirtualBox (own machines)
menu-quit = Quit
menu-looking = Looking for machines…

# A VM's submenu. "Continue" starts the working copy as it was left ("as found").
menu-running = { $vm } (running)
menu-starting = { $vm } (starting)
menu-running-hint = Running. To end it, shut it down inside the VM.
menu-continue = Continue where I left off
menu-cancel-start = Cancel start
menu-no-snapshots = No snapshots
menu-maintainer = Maintainer: { $maintainer }
menu-ram = RAM: { $mb } MB
menu-ram-choice = { $mb } MB
menu-ram-default = { $mb } MB (default)

# The questions before something is lost.
question-discard = Discard my changes and start { $snapshot }?
question-discard-lost = All changes made in { $vm } since its last fresh start are lost.
question-yes-discard = Yes, discard and start
menu-power-off = Power off…
question-power-off = Power off { $vm } now? Unsaved work in the VM is lost.
question-yes-power-off = Yes, power off

## The Offline submenu

offline-menu = Offline
offline-outdated = { $vm } (outdated)
offline-sync-now = Sync now
offline-cache-unknown = Cache: not read yet
offline-cache-none = No offline cache configured
offline-cache-space = Cache: { $free } free of { $limit }
offline-cache-unusable = Cache: { $reason }

## The Upload… submenu

upload-menu = Upload…
upload-own = Own VirtualBox machines
upload-working-copies = leovms working copies
upload-nothing = Nothing to upload
upload-as-snapshot = { $name } → new snapshot of { $vm }
upload-as-vm = { $name } → new VM
upload-what-working-copy = Upload your leovms working copy of { $name }
upload-what-own = Upload { $name } from your own VirtualBox
upload-question-snapshot = as a new snapshot of { $vm }, named "{ $name }"?
upload-question-vm = as a new VM, named "{ $name }"?
upload-size = No description. { $size } to copy; the admin publishes it afterwards.
upload-yes = Yes, upload as "{ $name }"
upload-cli = Another name or a description: leovms-cli upload { $option } { $id } --name … --description …
upload-unsupported = This version of the VM service cannot upload

## Jobs, as a menu line and in the tooltip: "Starting Demo Linux — unpacking the base image 42%"

job-start = Starting { $vm }
job-sync = Copying { $vm } for offline use
job-verify = Checking the cache
job-upload = Uploading { $vm }
# A document the VM printed, on its way to the printer.
job-print = Printing from { $vm }
job-other = A job
job-other-for = A job for { $vm }
job-percent = { $percent }%
job-line = { $what } — { $detail }
# The phase after the dash, in a menu line's words.
job-phase-plan = checking
job-phase-verify = checking the cache
job-phase-fetch = copying
job-phase-unpack-base = unpacking the base image
job-phase-unpack-snapshot = unpacking the snapshot
job-phase-configure = configuring
job-phase-launch = starting VirtualBox
job-phase-running = running
job-phase-upload = uploading
job-phase-receive = receiving the document
job-phase-embed-fonts = embedding fonts
job-phase-print = sending to the printer
job-phase-ended = ended
job-phase-unknown = working

## The status line at the top of the menu, and the tooltip

status-unreachable = VM service not reachable — the menu may be out of date
status-offline = Share not reachable — working offline
tooltip-busy = leovms — busy
tooltip-busy-percent = leovms — busy, { $percent }%
tooltip-error = leovms — something went wrong
tooltip-offline = leovms — offline
tooltip-running = leovms — running
tooltip-vm-running = { $vm } is running.
tooltip-idle = Ready: choose a machine to start.

## Notifications: a summary, and a body below it

note-running = { $vm } is running
note-synced = { $vm } is ready for offline use
note-verified = The cache was checked
note-upload-done = Upload finished
note-uploaded = { $vm } was uploaded.
note-printed = Printed: { $vm }
note-other-done = { $job } is done
note-upload-canceled = Upload canceled
note-not-uploaded = { $vm } was not uploaded.
note-print-canceled = Printing canceled
note-not-printed = The document from { $vm } was not printed.
note-start-canceled = Start of { $vm } canceled
note-sync-canceled = Copying { $vm } for offline use was canceled
note-verify-canceled = Checking the cache was canceled
note-other-canceled = { $job } was canceled
note-ended-with-error = { $vm } ended with an error
note-start-failed = { $vm } could not be started
note-sync-failed = { $vm } could not be copied for offline use
note-verify-failed = Checking the cache failed
note-upload-failed = Upload failed
note-print-failed = Not printed: { $vm }
note-other-failed = { $job } failed
note-reason-in-log = The reason is in the log of leovmsd.
note-not-uploaded-reason-in-log = { $vm } was not uploaded. The reason is in the log of leovmsd.
note-start-interrupted = Starting { $vm } was interrupted
note-sync-interrupted = Copying { $vm } for offline use was interrupted
note-verify-interrupted = Checking the cache was interrupted
note-upload-interrupted = Uploading { $vm } was interrupted
note-print-interrupted = Printing from { $vm } was interrupted
note-other-interrupted = { $job } was interrupted
note-service-stopped = The VM service stopped. Please try again.
note-unreachable = The VM service cannot be reached
note-unreachable-body =
    { $detail }
    Try again in a moment; if it stays like this, ask the school's admin.
# A message of the VM service that has no words in this catalog (English).
note-daemon-says = { $message }
note-unsynced = { $vm } is no longer kept for offline use
note-freed = { $size } freed in the cache.
note-stop-failed = { $vm } could not be powered off
note-cancel-failed = Could not cancel: { $what }
note-unsync-failed = { $vm } could not be removed from offline use
note-upload-refused = { $vm } could not be uploaded
note-failed = Failed
note-job-gone = It has already ended.
note-virtualbox-failed = VirtualBox could not be started
note-virtualbox-missing = VirtualBox is not installed on this PC.
