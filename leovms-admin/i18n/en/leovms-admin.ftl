# leovms-admin, the school server's tool. English is the language of the code; these are
# its texts as they were before it spoke German. Files it writes (smb.conf, image.conf,
# manifests) are never translated.

## --help: the about of each command (help-<command>), the help of each option
## (help-<command>-<option>; help-<option> for the global ones), clap's headings and flags.
help = Set up and run the leovms shares on the school server
help-root = Apply everything below this folder instead of `/` (tests, trials)
help-dry-run = Print each change instead of making it
help-setup = Group p_leovms, /home/leovms/{"{"}data,upload{"}"}, the Samba shares (STEP1; `--ldap` STEP2)
help-setup-ldap = STEP2: also write /etc/samba/smb.conf.leovms-ldap, for running the shares on a machine of its own that is a member of the school's domain (needs --realm, --workgroup, --dc)
help-setup-realm = Kerberos realm of the school's domain, e.g. LINUXMUSTER.LAN (with --ldap)
help-setup-workgroup = NetBIOS name of the domain, e.g. LINUXMUSTER (with --ldap)
help-setup-dc = Address (IP or host name) of the domain controller, the directory server (with --ldap)
help-setup-idmap-range = User and group ids of the directory's accounts, LOW-HIGH (with --ldap)
help-setup-idmap-backend = Where those ids come from: `ad` (uidNumber/gidNumber of the directory, the same ids as on the school server) or `rid` (computed from the account's SID) (with --ldap)
help-publish = Turn an upload into a published VM or a new snapshot in data
help-publish-upload = The upload: `<user>/<folder>` in the upload share, or a path to the folder
help-list = VMs, snapshots and pending uploads
help-verify = Check the whole data tree again (manifests, checksums, settings, disk chains)
help-readiness = Which PCs already hold the VMs of presync (exit status 1 when one is not ready)
help-readiness-reports = The folder of the PCs' reports (<host>.toml); default: /home/leovms/status
help-readiness-json = Print JSON instead of a table (for scripts)
help-remove = Retire a snapshot or a whole VM
help-remove-vm = The VM id (its folder in data)
help-remove-snapshot = The snapshot id; without it the whole VM is removed
help-seed = Share the published archives with the school's PCs (room swarm, docs/swarm.md); runs until stopped
help-seed-port = TCP port the PCs connect to
help-seed-slots = PCs the server sends one archive to at a time; they pass it on to the others
help-seed-max-upload-mbits = The most the server sends, in Mbit/s; default: no limit
help-seed-peers = Who may connect, IPv4 only: a network like 10.16.0.0/16 or an address (repeatable); default: the private IPv4 ranges
help-seed-rescan = How often the data tree is looked at again, in seconds
help-reject = Delete an upload instead of publishing it (USER/FOLDER, as `list` shows it)
help-reject-upload = The upload as `leovms-admin list` shows it: `USER/FOLDER` in the upload share
help-set-conf = Replace a published VM's image.conf (or a snapshot's snapshot.conf) with a checked file
help-set-conf-vm = The VM id (its folder in data)
help-set-conf-snapshot = The snapshot id: replace its snapshot.conf instead of the VM's image.conf
help-set-conf-from = The new file, e.g. an edited copy of the old one
help-import-leoclient2 = Convert a leoclient2 VM folder into format 1
help-import-leoclient2-dir = The leoclient2 VM folder (with `<vm>.vdi.zip`, `defaults/<vm>.vbox`, `snapshot-store/`)
help-import-leoclient2-id = Id of the new VM in data; default: the folder's name. An existing VM is never replaced
help-import-leoclient2-name = Name shown to users; default: the VirtualBox machine's name
help-add-torrents = Write the torrents that archives published earlier lack (room swarm; each archive is checked first)
help-add-torrents-vm = Only this VM (its folder in data); default: every published VM
help-help = Print this message or the help of the given subcommand(s)
help-flag-help = Print help
help-flag-version = Print version
help-default = [default: { $value }]
help-possible = [possible values: { $values }]
help-heading-usage = Usage:
help-heading-commands = Commands:
help-heading-arguments = Arguments:
help-heading-options = Options:

## Errors and changes, as every command words them.
error-io = { $path }: { $detail }
error-command = { $command } failed: { $detail }
# A change under --dry-run; $what is worded as the change itself (change-* and others).
change-would = would { $what }
# Why leovms-image refuses a name, a settings file or a machine.vbox follows in $detail.
bad-vm-id = VM: { $detail }
bad-snapshot-id = snapshot: { $detail }
conf-invalid = { $detail }
machine-invalid = { $file }: { $detail }
manifest-lacks = { $vm }: the manifest does not list { $file }
no-published-vm = there is no published VM { $vm } in { $data }

## publish and remove
publish-no-data = there is no data folder { $data } (run leovms-admin setup first)
publish-not-upload-folder = { $upload } is not an upload folder
publish-snapshot-no-vm = there is no published VM { $vm } in { $data }: a snapshot needs its machine (upload the whole machine with kind = "vm")
publish-other-base = the upload { $upload } was made from the base disk { $disk }, but { $vm }'s base disk is { $bases }: it belongs to another machine or an older base
publish-snapshot-exists = { $vm } already has a snapshot { $id }; remove it first (leovms-admin remove { $vm } { $id }) or upload under another id
publish-snapshot-unpublished = { $path } exists but is not published; move it away first
publish-vm-exists = { $vm } is already published; remove it first (leovms-admin remove { $vm }) or upload a snapshot of it
publish-vm-unpublished = { $path } exists but is not a published VM (no manifest.toml); move it away first
publish-base-uuid-unknown = { $file }: base_uuid { $disk } is not a base disk of machine.vbox
publish-vm-no-snapshot = { $upload }: a new VM needs at least one snapshot (snapshots/<id>/snapshot.tar.zst), students start from a snapshot; the uploader uploads the machine again (leovms-cli upload adds snapshot "current" to a machine without one)
change-publish-snapshot = publish snapshot { $id } of { $vm } from { $upload }
change-publish-vm = publish the new VM { $vm } from { $upload }
change-remove-upload = remove the published upload { $upload }
remove-not-a-vm = { $quoted } is not a VM id: remove retires published VMs and snapshots; to delete an upload, run: leovms-admin reject { $upload }
remove-no-vm = there is no VM { $vm } in { $data }
remove-no-snapshot = { $vm } has no snapshot { $id }
change-unpublish-vm = unpublish { $vm } (remove { $manifest })
change-unpublish-snapshot = unpublish snapshot { $id } of { $vm } (rewrite { $manifest })
change-delete = delete { $path }

## set-conf
set-conf-no-file = { $vm } has no { $file }
set-conf-unchanged = { $file } is already like { $from }
change-set-conf = replace { $file } with { $from } and rewrite { $manifest }
set-conf-done = { $file } replaced; clients use it from their next start

## list (and the rules import-leoclient2 shows). The rules themselves ($who, $rule, $pcs)
## are worded by leovms-image, in English.
rule-offered = offered to { $who }
rule-network = network on { $rule }
rule-snapshot-shown = shown only on { $pcs }
list-vms-vm = VM / SNAPSHOT
list-vms-name = NAME
list-vms-maintainer = MAINTAINER
list-vms-created = CREATED
list-vms-size = SIZE
list-not-published = (not published: no manifest.toml)
list-damaged = (damaged: { $detail })
list-conf-invalid = ({ $file }: { $detail })
list-no-vms = No VMs in { $data }.
list-uploads-upload = UPLOAD
list-uploads-state = STATE
list-uploads-kind = KIND
list-uploads-vm = VM
list-uploads-snapshot = SNAPSHOT
list-uploads-uploader = UPLOADER
list-uploads-from = FROM
upload-complete = complete
upload-incomplete = incomplete
list-no-uploads = No pending uploads in { $upload }.

## verify
verify-ok = { $count } VM(s) in { $data }: everything is in order.
verify-problem = problem: { $problem }
verify-problems = { $count } problem(s) found in { $data }
verify-unpacked-differs = { $archive }: the manifest says it unpacks to { $manifest } bytes, but it holds { $found }
verify-no-base = { $vm }: the manifest lists no { $file }
verify-mode-closed-dir = { $path } is not open to everyone (mode { $mode }), so the PCs cannot read it (fix: chmod { $fix })
verify-mode-closed-file = { $path } is not readable for everyone (mode { $mode }), so the PCs cannot read it (fix: chmod { $fix })
verify-mode-open = { $path } can be changed by everyone (mode { $mode }) (fix: chmod { $fix })

## readiness. $reason and $problem are the share's and the PC's own words, in English.
readiness-no-presync = presync in { $file } lists no VMs, so there is nothing to be ready for.
readiness-no-reports = No PC has reported yet in { $dir }. A PC reports what it holds once report_dir is set in its /etc/leovms/store.toml (see docs/prewarm.md).
readiness-unavailable = warning: { $vm } of presync cannot be pre-warmed, so no PC is ready for it: { $reason }
readiness-host-differs = { $file }: the report is of host { $host }, not of the PC its file name names; a PC writes its report as <host>.toml
readiness-pc = PC
readiness-reported = REPORTED
readiness-ready = READY
readiness-missing = MISSING
readiness-missing-archives = { $vm } ({ $archives }, { $size })
readiness-missing-unavailable = { $vm } (not on the share)
readiness-problem = { $vm }: { $problem }

## reject
reject-not-upload = { $quoted } is not an upload: give it as USER/FOLDER, as leovms-admin list shows it (relative to the upload share)
reject-no-upload = there is no upload { $upload } in { $share }; leovms-admin list shows the pending uploads
reject-user-not-folder = { $path } is not a folder (a link or a file, which is not followed); nothing was deleted
# $complete and $unreadable are yes or no.
change-reject = delete the { $complete ->
        [yes] complete
       *[no] incomplete
    } upload { $upload } ({ $files } files, { $size }{ $unreadable ->
        [yes] , some of it unreadable
       *[no] {""}
    })
change-reject-link = delete { $upload } (not a folder: a link or a file; removed itself, nothing it points to)

## setup
setup-not-root = setup must run as root (try --dry-run to see what it would do, or --root DIR)
setup-checking-shares = the shares configuration
setup-checking-ldap = the domain member configuration
setup-nothing-changed = nothing changed: leovms is set up
setup-would-change = dry run: { $count ->
        [one] { $count } change
       *[other] { $count } changes
    } would be made, none was
setup-changed = { $count ->
        [one] { $count } change
       *[other] { $count } changes
    } made
setup-ldap-next = next: join the domain (net ads join -U administrator), add winbind to the passwd and group lines of /etc/nsswitch.conf, then run setup --ldap again
change-create-folder = create folder { $path } (mode { $mode })
change-create-folder-owned = create folder { $path } (mode { $mode }, owner { $owner })
change-owner = set owner of { $path } to { $owner } (was { $was })
change-mode = set mode of { $path } to { $mode } (was { $was })
change-write-file = write { $path }
change-rewrite-file = rewrite { $path } (its content differs from this version's)
setup-not-a-folder = { $path } exists but is not a folder; nothing there was changed
setup-group-missing-root = note: group { $group } does not exist; under --root no system group is created (create it first: groupadd --system { $group }); upload/ keeps its group
setup-group-missing-ldap = note: group { $group } is not known here; it comes from the domain once this machine has joined it; upload/ keeps its group until then
change-create-group = create group { $group } ({ $description }): { $command }
setup-group-still-unknown = the group { $group } is still unknown afterwards (getent group { $group })
setup-no-samba = neither { $shares } nor { $main } exists: install Samba first (apt-get install samba); nothing was changed
change-include = add "{ $line }" to { $target }
change-include-before = add "{ $line }" to { $target } before the line including { $before }
# $command is how testparm was called, $what one of setup-checking-*.
setup-testparm-checking = { $command } (checking { $what })
setup-no-testparm = { $detail } (testparm comes with Samba: apt-get install samba)
setup-no-reload-root = note: smbd not reloaded under --root
setup-smbd-not-running = note: smbd is not running; it reads the new configuration when it starts
change-reload-smbd = reload smbd: smbcontrol smbd reload-config

## setup --ldap
ldap-needs = --ldap needs --{ $option }
ldap-bad-value = --{ $option } { $quoted }: only letters, digits and . - _ : [ ] are allowed
ldap-bad-workgroup = --workgroup { $workgroup }: a NetBIOS domain name has at most 15 characters and no dots (the short name, e.g. LINUXMUSTER)
ldap-range-overlaps = --idmap-range { $range }: overlaps { $local }, the range of local ids
ldap-bad-range = idmap range { $quoted }: expected LOW-HIGH, e.g. 10000-999999
ldap-dc-reported = testparm -s { $conf } reports { $role }
ldap-dc-configured = { $file } says server role = { $role }
ldap-on-dc = this machine is a domain controller ({ $why }): setup --ldap would make it a member server of a domain, which breaks the domain on its own controller when Samba reloads; nothing was changed. On the domain controller itself (the linuxmuster.net server) run plain `leovms-admin setup`: its shares use the domain's users and groups directly. --ldap is for another machine that serves the shares as a member of the domain (STEP2).
ldap-on-dc-included = { $target } already includes { $ours } from an earlier setup --ldap: remove that line and the file, check with testparm -s { $conf } and reload smbd.
ldap-role-unreadable = the server role of the configuration cannot be read, so setup --ldap does not change it: { $detail }

## import-leoclient2
import-warning = warning: { $warning }
import-skipped = warning: skipped { $why }
import-no-snapshot = { $dir }: no snapshot to import (snapshot-store/<name>/{"{"}UUID{"}"}.vdi.zip); a VM without a snapshot cannot be started, so nothing was imported
change-import = import { $dir } as { $dest }
change-import-base = write { $archive } with { $entry } ({ $bytes } bytes, disk { $disk }) as { $name }
change-import-snapshot = write { $archive } with { $disk } ({ $bytes } bytes)
change-import-settings = write image.conf, machine.vbox, the snapshot.conf files and manifest.toml
import-done = imported { $vm } with { $count } snapshot(s)
import-rule-snapshot = snapshot { $id } shown only on { $pcs }
import-not-converted = { $file }: not imported: { $lines }
import-networks-differ = the snapshots { $first } and { $second } would get different network cards ({ $first_source } and { $second_source }): leoclient2 used a snapshot's own network.conf instead of the machine's, but leovms has one set of network rules per machine. Make the files the same (or remove one), or import a copy of the folder without one of these snapshots; nothing was imported
import-network-unused = network.conf: not used: every snapshot has its own network.conf, as leoclient2 used them
import-bad-id = VM id: { $detail }
import-no-data = { $data }: the data folder does not exist (run `leovms-admin setup` first)
import-exists = { $dest } already exists: an import never replaces a VM. Remove it first (`leovms-admin remove { $id }`) or choose another id with --id
import-base-is-diff = { $zip }: { $entry } is a differencing disk, not a base disk
import-skip-bad-id = skipped { $place }: not usable as a snapshot id ({ $detail })
import-skip-renamed = skipped { $place }: the file is named { $named }, but the disk inside is { $inside }
import-no-parent = none
import-skip-other-base = skipped { $place }: its disk was made from another base (parent { $parent }, the base is { $base }); it would not start. Take the snapshot again on the current base
import-new-image-conf = the new image.conf: { $detail }
import-rules-lost = the new image.conf does not hold the network rules converted from { $source } (a bug in leovms-admin); nothing was imported
import-bad-vdi = { $zip }: { $entry } is not a usable VDI disk: { $detail }
import-vbox-base-is-diff = { $file }: disk { $disk } is a differencing disk there, but it is the base
import-vbox-location = { $file }: base disk location "{ $old }" changed to "{ $new }"
import-vbox-which-base = { $file }: does not name the base disk { $disk } and has { $count } base disks, so it is unclear which one to replace; fix the file
import-vbox-base-replaced = { $file }: base disk { $old } ("{ $old_location }") changed to { $new } ("{ $new_location }"), the disk in the zip

## leoclient2's network.conf
import-no-network-file = no { $file }
network-refused = { $file }:{ $line }: { $why }: "{ $text }"; nothing was imported
network-host-case = host { $host } differs from { $known } of an earlier line only in case; leovms compares host names without case, so write them the same
network-card-again = { $file }:{ $line }: card { $card } of { $host } is set again (first on line { $first }); the later line counts, as in leoclient2
network-nat = { $file }: nat (line { $lines }): leoclient2 also set the VM's NAT network to 192.168.1.0/24; leovms keeps the template's (VirtualBox's default is 10.0.2.0/24)
network-fields = { $count } fields, expected host;nic;mode;mac;device
# $field is one of host, nic, mode, mac, device (the names of leoclient2's fields).
network-control-chars = the { $field } has control characters
network-too-long = the { $field } is longer than { $max } bytes
network-no-host = no host name
network-not-one-host = "{ $host }" is not one host name
network-bad-card = card "{ $card }": leoclient2 sets cards 1 to 4 (a number)
network-bad-mode = mode "{ $mode }" is none of none, null, nat, bridged, intnet, hostonly, generic, natnetwork
network-bridged-device = bridged needs a device: auto-used-nic, auto-unused-nic or the PC's card (e.g. eth0)
network-hostonly-device = hostonly needs the host-only interface as device, e.g. vboxnet0
network-generic-device = generic needs VirtualBox's driver as device, e.g. VDE
network-automac-used = automac-used with auto-unused-nic: the address came from the PC's card on the network, but leovms derives it from the card the VM is bridged to; write automac-unused (the VM gets 08 and the other card's address) or a fixed address
network-automac-unused = automac-unused (the address of the PC's other card) needs bridged with device auto-unused-nic; write automac-used or a fixed address
network-bad-mac = mac "{ $mac }" is neither 12 hex digits nor automac-used or automac-unused
network-multicast-mac = mac "{ $mac }" is a multicast address (its first byte is odd), which VirtualBox refuses for a card

## The leoclient2 folder
import-not-folder = { $dir } is not a folder
import-not-utf8-name = { $dir }: the folder needs a UTF-8 name
import-no-base-zip = { $dir }: no zipped base disk: neither { $vm }.vdi.zip nor snapshot-store/base/{ $vm }.vdi.zip (run `leovirtstarter2 --prepare-remote-vm { $vm }` on the leoclient2 machine first)
import-zip-holds = { $zip }: holds { $entry }, not { $expected }
import-zip-size = { $zip }: the zip has { $bytes } bytes, but { $file } says { $expected }: it was changed or cut short; nothing was imported
import-unpacked-size = { $file }: says { $expected } bytes, but { $entry } in { $zip } has { $bytes } (the zip's checksum decides)
import-not-a-size = { $file }: not a size ("{ $text }"), ignored
import-no-vbox = { $dir }: no VirtualBox settings ({ $vm }.vbox) in defaults/
import-several-vbox = { $dir }: several .vbox files in defaults/ and none is named { $vm }.vbox
import-snapshot-no-zip = no zipped differencing disk {"{"}UUID{"}"}.vdi.zip
import-snapshot-zips = { $count } zipped disks, expected one
import-not-utf8 = { $file }: not UTF-8 text
import-snapshot-zip-holds = { $zip } holds { $entry }, not { $expected }

## leoclient2's zipped disks; $why is one of zip-* below, $detail the zip reader's words.
zip-refused = { $zip }: { $why }; nothing was imported
zip-unreadable = not a readable zip file: { $detail }
zip-entry = entry { $index }: { $detail }
zip-entry-refused = entry "{ $entry }" { $why }
zip-entry-not-utf8 = has a name that is not UTF-8
zip-entry-path = has a path: only a plain file name is allowed (it could write outside the folder)
zip-entry-bad-name = is refused: { $detail }
zip-entry-link = is a symbolic link
zip-entry-folder = is a folder
zip-entry-special = is not a regular file
zip-entry-encrypted = is encrypted
zip-entry-not-vdi = is not a .vdi disk image
zip-several = holds more than one file; expected exactly one .vdi
zip-empty = is empty; expected one .vdi
zip-cannot-read = cannot read { $entry }: { $detail }
zip-damaged = { $entry } is damaged: { $detail }
zip-size-differs = { $entry } unpacked to { $bytes } bytes, the zip says { $expected }
import-appeared = { $dest } appeared while importing; nothing was changed
import-unzipped-invalid = { $zip }: { $detail }
import-changed = { $zip }: changed while importing; nothing was imported
import-pack-failed = { $archive }: { $detail }

## Disks and archives. The PCs' own words for a refused archive (leovms-image) are $detail.
archive-refused = { $detail }
disk-invalid = { $detail }
archive-lacks-base = { $archive } does not hold the base disk { $disk } ({ $location }) that machine.vbox names
archive-base-is-diff = { $disk } in { $archive } is a differencing disk, not a base disk
machine-no-base = machine.vbox names no base disk
archive-no-disk = { $archive } holds no disk (.vdi)
archive-not-diff = { $disk } in { $archive } is not a differencing disk: a snapshot must hold only the changes made on top of the base disk { $base }
archive-other-base = { $disk } in { $archive } was made from another base: its parent is { $parent }, but the machine's base disk is { $base }
archive-chain = { $archive }: { $detail }

## Files checked against their manifest
file-missing = { $file } is missing (the manifest lists it)
file-size-differs = { $file } is damaged or was changed after it was written: it has { $size } bytes, the manifest says { $expected }
file-checksum-differs = { $file } is damaged or was changed after it was written (checksum mismatch)
file-special = { $path } is a link or special file; only regular files and folders are allowed
manifest-invalid = { $detail }
file-too-large = { $detail }
data-busy = another leovms-admin is changing { $data } right now; try again when it has finished
leftover-removed = removed { $path }, left by an interrupted command

## Progress lines (on stderr) of long steps: a phase, then what is done.
phase-checking = checking { $file }
phase-checking-copy = checking the copy of { $file }
phase-copying = copying { $file }
phase-checking-disks = checking the disks in { $archive }
phase-unzipping = unzipping { $file }
phase-torrent = making the torrent of { $file }
phase-packing = packing { $file }
# On a terminal: "1.2 GB / 4.0 GB"; in a log: "1.2 GB of 4.0 GB".
progress-done-of = { $done } of { $total }
progress-left = { $time } left
progress-finished = { $phase }: { $done } in { $time }

## Uploads
upload-missing = there is no upload { $dir }
upload-incomplete-refused = the upload { $upload } is incomplete: it has no manifest.toml (written last, when the upload is finished); nothing was published
upload-unlisted = the upload { $upload } holds { $file }, which its manifest does not list
upload-no-toml = the upload { $upload } has no upload.toml
upload-misses = the upload { $upload } misses { $file }
upload-snapshot-unnamed = { $file }: snapshot: required when kind = "snapshot"
upload-not-in-snapshot = the upload { $upload } holds { $file }, which a snapshot upload does not have (only upload.toml and { $archive })
upload-not-in-vm = the upload { $upload } holds { $file }, which a published machine does not have

## add-torrents
change-add-torrent = write the torrent of { $file } (the archive matches the manifest)
add-torrents-problem = problem: { $problem }
add-torrents-vm-problem = problem with VM { $vm }: { $problem }
# $problems: add-torrents-damaged and/or add-torrents-vms-unread, joined by "; ".
add-torrents-problems = { $problems } (see above); { $written } torrent(s) written
add-torrents-damaged = { $count } archive(s) got no torrent
add-torrents-vms-unread = { $count } VM(s) could not be read
add-torrents-done = { $count } torrent(s) written and listed in the manifests; a running seeder shares them when it next looks at the data tree
add-torrents-none = Every archive in { $data } has its torrent.

## seed. $detail and $reason are the swarm's own words, in English.
seed-bad-number = --slots, --max-upload-mbits and --rescan must be more than 0.
seed-ipv6 = --peers { $net }: the room swarm is IPv4 only; give IPv4 networks or addresses.
seed-cannot-start = The room swarm cannot start: { $detail }
seed-started = Sharing with the PCs on TCP port { $port }, { $slots } at a time per archive. Peers: { $peers }
seed-sharing = sharing { $archive } ({ $size })
seed-stopped = no longer sharing { $archive }: it is no longer published
seed-stopped-replaced = no longer sharing { $archive }: it was published again; the new file is shared once checked
seed-stopped-problem = no longer sharing { $archive } (see above)
seed-skipped = not sharing { $archive }: { $reason }
seed-no-archive = the manifest lists its torrent but not the archive
seed-torrent-changed = { $file } is not what the manifest says
seed-archive-size = the archive has { $size } bytes, the manifest says { $expected }
seed-no-data = the data tree { $data } cannot be read
seed-ended = Stopped; { $sent } sent to the PCs.
