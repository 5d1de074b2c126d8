//! What one request sees: the share when it answers, else this user's offline copies
//! together with the cache. Listing and starting go through here, so that a VM starts
//! offline exactly as online.

use leovms_api::{ErrorKind, Origin};
use leovms_image::config::{AccessFacts, PrinterConf};
use leovms_image::name::SafeName;

use crate::cache::Caches;
use crate::catalog::{self, ArchiveRef, SnapEntry, VmEntry};
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::offline::Offline;
use crate::settings::Settings;

pub struct View {
    pub online: bool,
    pub layout: Layout,
    pub caches: Caches,
    pub offline: Offline,
    /// Who is at which PC, for the access rules.
    pub facts: &'static AccessFacts,
    /// leovms-client.conf's `[printer]`: the VM printer's settings for every VM.
    pub printer: PrinterConf,
}

impl View {
    /// Blocks (reads the share or the copies); call off the async runtime.
    pub fn load(settings: &Settings, online: bool) -> Result<View> {
        let offline = Offline::new(&settings.state_dir());
        let client_conf = if online {
            catalog::load_client_conf(&settings.data)?
        } else {
            catalog::load_client_conf(offline.share_files()).unwrap_or_default()
        };
        Ok(View {
            online,
            layout: Layout::load(settings, online)?,
            caches: Caches::from_conf(&client_conf),
            offline,
            facts: crate::access::facts(settings),
            printer: client_conf.printer,
        })
    }

    pub fn origin(&self) -> Origin {
        if self.online {
            Origin::Share
        } else {
            Origin::Cache
        }
    }

    /// Every VM: from the share, or offline every VM this user has a copy of.
    pub fn machines(&self) -> Result<Vec<(SafeName, Result<VmEntry>)>> {
        if self.online {
            return catalog::list(&self.layout.data_dir);
        }
        Ok(self
            .offline
            .list()
            .into_iter()
            .map(|(id, revisions)| {
                let best = self.best_offline(revisions);
                (id, best)
            })
            .collect())
    }

    /// One VM as this user may use it on this PC (see [`View::admit`]).
    pub fn machine(&self, id: &str) -> Result<VmEntry> {
        self.admit(self.any_machine(id)?)
    }

    fn any_machine(&self, id: &str) -> Result<VmEntry> {
        if self.online {
            return catalog::load(&self.layout.data_dir, id);
        }
        let id = SafeName::new(id)?;
        let revisions = self.offline.load(&id);
        if revisions.is_empty() {
            return Err(Error::new(
                ErrorKind::Offline,
                format!(
                    "{id} is not available offline: the VM share is not available and {id} has never been used on this computer."
                ),
            )
            .said("not-offline", &[("vm", &id)]));
        }
        self.best_offline(revisions)
    }

    /// `vm` when its access rules offer it to this user on this PC, with the snapshots
    /// not shown on this PC moved to `hidden_snapshots`; else `NotFound` saying why.
    pub fn admit(&self, mut vm: VmEntry) -> Result<VmEntry> {
        let rules = &vm.image.access;
        let facts = self.facts;
        if !rules.allows_person(facts) {
            return Err(Error::not_found(format!(
                "{} is not offered to you: it is meant for other users or groups. Ask your teacher or the school's admin if you need it.",
                vm.image.name
            ))
            .said("not-for-you", &[("vm", &vm.image.name)]));
        }
        if rules.hidden_by_unknown_room(facts) {
            let hosts = !rules.hosts.is_empty();
            let vm_name: [(&str, &dyn std::fmt::Display); 1] = [("vm", &vm.image.name)];
            return Err(self.room_unknown(&vm.image.name, hosts, "room-unknown", &vm_name));
        }
        if !rules.allows(facts) {
            return Err(Error::not_found(format!(
                "{} is not offered on this computer ({}): it is meant for other computers or rooms. Use a computer where it is offered, or ask your teacher or the school's admin.",
                vm.image.name,
                self.pc()
            ))
            .said("not-here", &self.with_pc(&[("vm", &vm.image.name)])));
        }
        let (shown, hidden): (Vec<_>, Vec<_>) = std::mem::take(&mut vm.snapshots)
            .into_iter()
            .partition(|s| s.conf.visible_on(facts));
        vm.snapshots = shown;
        vm.hidden_snapshots = hidden
            .into_iter()
            .map(|s| {
                let what = format!("Snapshot \"{}\" of {}", s.conf.name, vm.image.name);
                let values: [(&str, &dyn std::fmt::Display); 2] =
                    [("vm", &vm.image.name), ("snapshot", &s.conf.name)];
                let why = if facts.room.is_none() && !s.conf.rooms.is_empty() {
                    let hosts = !s.conf.hosts.is_empty();
                    self.room_unknown(&what, hosts, "snapshot-room-unknown", &values)
                } else {
                    let pc = self.pc();
                    Error::not_found(format!(
                        "{what} is not offered on this computer ({pc}). Use a computer where it is offered, or ask your teacher or the school's admin."
                    ))
                    .said("snapshot-not-here", &self.with_pc(&values))
                };
                (s.id, why)
            })
            .collect();
        Ok(vm)
    }

    /// `what` is offered in certain rooms (and on certain `hosts`), and this PC cannot tell
    /// its room: it may well stand in one of them. What the student sees, and how the
    /// admin fixes it.
    /// `id` and `values` name the sentence for the clients (see `Error::said`).
    fn room_unknown(
        &self,
        what: &str,
        hosts: bool,
        id: &str,
        values: &[(&str, &dyn std::fmt::Display)],
    ) -> Error {
        let where_ = if hosts {
            "only on certain computers and in certain rooms"
        } else {
            "only in certain rooms"
        };
        let host = &self.facts.host;
        let account = host.split('.').next().unwrap_or(host);
        let hosts = if hosts { "yes" } else { "no" };
        let mut values = values.to_vec();
        values.extend([
            ("hosts", &hosts as &dyn std::fmt::Display),
            ("host", host),
            ("account", &account),
        ]);
        Error::not_found(format!(
            "{what} is offered {where_}, and this computer ({host}) cannot tell which room it is in. Ask the school's admin to set its room: the primary group of the computer account \"{account}\", or LEOVMS_ROOM for leovmsd."
        ))
        .said(id, &values)
    }

    /// `values` and this PC: its host name and room (empty when unknown).
    fn with_pc<'a>(
        &'a self,
        values: &[(&'a str, &'a dyn std::fmt::Display)],
    ) -> Vec<(&'a str, &'a dyn std::fmt::Display)> {
        let room: &dyn std::fmt::Display = match &self.facts.room {
            Some(room) => room,
            None => &"",
        };
        let mut values = values.to_vec();
        values.extend([
            ("host", &self.facts.host as &dyn std::fmt::Display),
            ("room", room),
        ]);
        values
    }

    /// This PC as a student would name it: host name and room.
    fn pc(&self) -> String {
        match &self.facts.room {
            Some(room) => format!("{}, room {room}", self.facts.host),
            None => self.facts.host.clone(),
        }
    }

    /// The newest revision whose base is at hand; else the newest readable one.
    fn best_offline(&self, revisions: Vec<Result<VmEntry>>) -> Result<VmEntry> {
        let mut newest = None;
        for vm in revisions {
            match vm {
                Ok(vm) if self.base_at_hand(&vm) => return Ok(vm),
                other => {
                    newest.get_or_insert(other);
                }
            }
        }
        newest.unwrap_or_else(|| Err(Error::internal("no revision")))
    }

    /// The base is unpacked for this user, or its archive is cached.
    pub fn base_at_hand(&self, vm: &VmEntry) -> bool {
        self.layout.base_ready(&vm.id, &vm.base.short_hash()) || self.cached(vm, &vm.base)
    }

    pub fn cached(&self, vm: &VmEntry, archive: &ArchiveRef) -> bool {
        self.caches.find(&vm.id, archive).is_some()
    }

    /// Why a VM cannot start now, offline; `None` when it can (or when online).
    pub fn offline_problem(&self, vm: &VmEntry) -> Option<Error> {
        if self.online || self.base_at_hand(vm) {
            return None;
        }
        let name = &vm.image.name;
        let message = format!(
            "Not available offline: the VM share is not available and {name} was not synced for offline use."
        );
        Some(Error::new(ErrorKind::Offline, message).said("not-synced", &[("vm", name)]))
    }

    /// Why a snapshot cannot start now, offline; `None` when it can.
    pub fn snapshot_problem(&self, vm: &VmEntry, snap: &SnapEntry) -> Option<Error> {
        if self.online || self.cached(vm, &snap.archive) {
            return None;
        }
        let name = &snap.conf.name;
        let message = format!("Not available offline: snapshot \"{name}\" is not in the cache.");
        Some(
            Error::new(ErrorKind::Offline, message)
                .said("snapshot-not-cached", &[("snapshot", name)]),
        )
    }

    /// The archives a sync of `vm` copies: the base and the chosen snapshots (all when
    /// `chosen` is empty).
    pub fn wanted(vm: &VmEntry, chosen: &[String]) -> Result<Vec<ArchiveRef>> {
        let mut out = vec![vm.base.clone()];
        if chosen.is_empty() {
            out.extend(vm.snapshots.iter().map(|s| s.archive.clone()));
        } else {
            for id in chosen {
                out.push(vm.snapshot(id)?.archive.clone());
            }
        }
        Ok(out)
    }
}
