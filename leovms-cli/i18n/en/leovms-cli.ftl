# leovms-cli in English: the language of the code and the fallback. Every text here is
# what the command line printed before it spoke other languages; tests assert it.

## list, snapshots, stop, jobs, cancel
list-no-machines = No machines on the share.
list-from-cache = The VM share is not available; this is what this PC has in its cache.
list-nothing-offline = No machines available offline: the VM share is not available, and this PC has no machine that starts without it (`leovms-cli sync` keeps one once the share is back).
list-only-one-not-offered = The only machine on the share is not offered to you on this PC.
list-only-one-kept-not-offered = The only machine kept on this PC is not offered to you on this PC.
list-none-offered = None of the { $n } machines on the share is offered to you on this PC.
list-none-kept-offered = None of the { $n } machines kept on this PC is offered to you on this PC.
list-as-found-blocked = no: { $why }
list-ram-fixed = { $mb } MB (fixed)
list-ram-range = { $mb } MB ({ $min }-{ $max })
snapshots-none = { $vm } has no snapshots.
stop-done = { $vm } has been powered off.
jobs-none = No jobs.
jobs-as-found = as found
jobs-all-snapshots = all
cancel-done = Job { $job } canceled.
job-not-a-number = "{ $job }" is not a job number (see `leovms-cli jobs`).
day-never = never

## start and following a job
start-snapshot-conflict = --snapshot and --as-found exclude each other.
start-only-snapshot = Using snapshot "{ $name }" ({ $id }), the only one.
start-no-startable-snapshot = { $vm } has no snapshot that can be started now ({ $problem }). Start it with --as-found.
start-no-usable-snapshot = { $vm } has no usable snapshot. Start it with --as-found.
start-choose-snapshot = Choose --snapshot (one of: { $ids }) or --as-found.
follow-joined = Joined the { $kind ->
        [start] start
        [sync] sync
        [verify] check of the cache
        [upload] upload
        [print] print job
       *[other] job
    } already in progress.
follow-running = { $name } is running.
follow-waiting = { $name } is running. Waiting until it is powered off.
follow-keeps-running = { $name } keeps running. Stop it with: leovms-cli stop { $vm }
follow-goes-on = The { $kind ->
        [start] start
        [sync] sync
        [verify] check of the cache
        [upload] upload
        [print] print job
       *[other] job
    } goes on in the background. Cancel it with: leovms-cli cancel { $job }
follow-synced = { $name } is ready for offline use.
follow-checked = The cache has been checked.
follow-printed = The document from { $name } has been printed.
follow-done = Done.
follow-daemon-stopped = leovmsd stopped while following the job.
follow-connection-lost = The connection to leovmsd was lost.
progress-line = { $phase } { $done }/{ $total } bytes
transfer-left = { $eta } left

## Errors
error-unreachable = leovmsd is not running and could not be started (no D-Bus session bus?): { $why }
error-cannot-write = cannot write the output: { $why }
job-canceled = The job was canceled.
job-failed = The job failed.
no-such-job = There is no job { $job }. See `leovms-cli jobs`.

## status
status-share = Share
status-share-state = Share state
status-upload-share = Upload share
status-vbox-home = VirtualBox home
status-machines-dir = Machines dir
status-running = Running
status-starting = Starting
status-active-jobs = Active jobs
status-no-virtualbox = VirtualBox not found
status-unknown = unknown
status-none = none

## cache, sync, unsync
cache-on-the-server = On the server
cache-in-the-cache = In the cache
cache-share-unavailable = The VM share is not available: { $why }
cache-only-cache-read = Only this PC's cache could be read.
cache-no-folder = No cache folder is set up for this PC.
cache-empty = The cache is empty.
cache-space = { $used } of { $limit } used, { $free } free on the disk.
plan-the-cache = the cache
plan-nothing = { $vm }: nothing to copy.
plan-all-there = { $vm }: nothing to copy, all { $present } are already in { $cache }.
plan-copy = { $vm }: would copy { $needed } into { $cache }.
plan-copy-partly-there = { $vm }: would copy { $needed } into { $cache } ({ $present } already there).
plan-cache = Cache: { $space }
plan-to-make-room = To make room, these would be removed (least recently used first):
plan-nothing-removed = Nothing has to be removed.
plan-does-not-fit = Does not fit: { $problem }
unsync-nothing-freed = { $vm }: no longer kept for offline use, nothing freed.
unsync-freed = { $vm }: no longer kept for offline use, { $size } freed.

## uploadable, upload
uploadable-none = Nothing to upload: your VirtualBox has no machines and you have no working copies.
uploadable-as-vm = new VM
uploadable-as-snapshot = snapshot of { $vm }
upload-machine-or-working-copy = Give either --machine or --working-copy.

## store
store-unreachable = This PC's store of VM bases cannot be reached (org.leovms.Store1 on the system bus): { $why }
store-empty = The store holds nothing.
store-pinned = Pinned { $sha256 }.
store-unpinned = Unpinned { $sha256 }.
store-freed = Freed { $size }.

## prewarm
prewarm-ready = ready
prewarm-not-ready = not ready
prewarm-not-ready-why = not ready: { $problem }
prewarm-none-listed = The school lists no VMs to pre-warm (presync in leovms-client.conf).
prewarm-not-all-ready = { $count ->
        [one] { $count } of { $total } VMs is not ready.
       *[other] { $count } of { $total } VMs are not ready.
    }
prewarm-canceling = Canceling the pre-warm; press Ctrl-C again to stop waiting for it.
prewarm-canceled = The pre-warm was canceled.
prewarm-connection-lost = The connection to this PC's store of VM bases was lost.

## Table headers
column-id = ID
column-name = NAME
column-state = STATE
column-base = BASE
column-unpacked = UNPACKED
column-as-found = AS FOUND
column-snapshots = SNAPSHOTS
column-ram = RAM
column-offline = OFFLINE
column-problem = PROBLEM
column-maintainer = MAINTAINER
column-created = CREATED
column-size = SIZE
column-cached = CACHED
column-job = JOB
column-kind = KIND
column-vm = VM
column-snapshot = SNAPSHOT
column-phase = PHASE
column-done = DONE
column-message = MESSAGE
column-revision = REVISION
column-synced = SYNCED
column-outdated = OUTDATED
column-item = ITEM
column-pinned = PINNED
column-last-used = LAST USED
column-cache = CACHE
column-reason = REASON
column-source = SOURCE
column-machine = MACHINE
column-upload-as = UPLOAD AS

## Words in cells: English shows the daemon's word itself.
word-yes = yes
word-no = no
word-machine-state = { $state }
word-job-kind = { $kind }
word-job-state = { $state }
word-phase = { $phase }
word-share-state = { $state }
word-upload-source = { $source }
word-uploadable-state = { $state }
offline-synced = synced
offline-synced-outdated = synced (outdated)
offline-cached = cached
offline-unavailable = unavailable

## --help: the texts of the commands and arguments (ids from the command path, see
## src/help.rs), then clap's own words.
help-leovms-cli = Start the school's virtual machines and see what they are doing
help-json = Print JSON instead of text (for scripts)
help-list = List the machines on the server share
help-snapshots = List the snapshots of a machine
help-snapshots-vm = Machine id (see `list`)
help-start = Start a machine from a snapshot or as found
help-start-vm = Machine id (see `list`)
help-start-snapshot = Snapshot id to start from (see `snapshots`)
help-start-as-found = Start the machine as it was left last time
help-start-ram = RAM in MB (within the machine's range, see `list`)
help-start-wait = Wait until the machine has been powered off
help-stop = Power a running machine off
help-stop-vm = Machine id (see `list`)
help-jobs = List active and recently ended jobs
help-cancel = Cancel a job (a machine that already runs is stopped with `stop`)
help-cancel-job = Job number (see `jobs`) or its object path
help-status = Show the daemon's settings and what is running
help-watch = Follow a job like `start` does
help-watch-job = Job number (see `jobs`) or its object path
help-watch-wait = Wait until the machine has been powered off
help-sync = Copy machines into this PC's cache, so they also start without the server
help-sync-vms = Machine ids (see `list`), synced one after the other
help-sync-snapshots = Copy only this snapshot besides the base (may be repeated; default: all snapshots)
help-sync-dry-run = Only show what would be copied and what would be removed to make room
help-unsync = Stop keeping machines for offline use and free their space in the cache
help-unsync-vms = Machine ids (see `list`)
help-cache = Show the machines on the server and what this PC keeps in its cache
help-verify = Check every archive in the cache and remove damaged ones
help-uploadable = List your own VirtualBox machines and leovms working copies that can be uploaded
help-upload = Upload a machine to the school's upload share, for the admin to publish
help-upload-machine = A machine of your own VirtualBox: its name or UUID (see `uploadable`)
help-upload-working-copy = Your leovms working copy of a machine (its id), as you left it
help-upload-kind = Upload as a new snapshot of the VM it was made from, or as a new VM (default: a snapshot when it was made from a published VM)
help-upload-vm = The new VM's id (with --as vm)
help-upload-snapshot = The new snapshot's id (default: made from the name)
help-upload-name = The name students will see (default: the machine's name)
help-upload-description = A sentence on what is special about it
help-store = The PC's store of VM bases, shared by all its users (see docs/store.md)
help-store-list = List the archives and bases the store holds
help-store-pin = Keep a base whatever room is needed: for you (offline use), or with --all for every user (administrators)
help-store-pin-sha256 = sha256 of the VM's base archive (its manifest.toml)
help-store-unpin = Stop keeping a base
help-store-unpin-sha256 = sha256 of the VM's base archive
help-store-prune = Remove everything nobody pinned and no running VM uses (administrators)
help-prewarm = Have this PC's store fetch and keep the VMs the school lists in presync, then say which are ready
help-prewarm-check = Only say which VMs are ready, without fetching anything
help-completions = Print the completion script for a shell (the package installs them already)
help-exit-codes =
    Exit codes:
        0  success
        1  other failure
        2  usage error
        3  leovmsd cannot be reached
        4  not found (VM, snapshot or job)
        5  invalid argument or configuration
        6  not enough free space
        7  damaged or unsafe file, or snapshot does not fit the base
        8  VM already running, not running, or busy
        9  VirtualBox missing or failed
       10  canceled
       11  server share offline
       12  not allowed to write there (e.g. the upload share without group p_leovms)
      130  interrupted (Ctrl-C); a followed job goes on in the background
      141  the reader of the output went away (e.g. `| head -1`)
help-usage = Usage:
help-heading-commands = Commands
help-heading-arguments = Arguments
help-heading-options = Options
help-flag = Print help
help-flag-more = Print help (see more with '--help')
help-flag-summary = Print help (see a summary with '-h')
help-flag-version = Print version
help-command-help = Print this message or the help of the given subcommand(s)
