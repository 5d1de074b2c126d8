//! Who may use a VM and on which PCs (leoclient2's `user`, `group`, `host`, `room`).
//!
//! A VM is offered when the PC matches (its host name is in `hosts` or its room is in
//! `rooms`, or neither list is given) and the person matches (the login name is in
//! `users` or one of the user's groups is in `groups`, or neither list is given).
//! A snapshot is shown when the PC matches its own `hosts`/`rooms` in the same way.

use serde::Deserialize;

use super::{ConfigError, KeyIndex};

/// The `[access]` table of image.conf. Empty lists mean "no rule".
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRules {
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub rooms: Vec<String>,
}

/// What the rules are checked against: the person at the PC and the PC itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessFacts {
    /// Login name.
    pub user: String,
    /// Names of all groups of the user (primary and supplementary).
    pub groups: Vec<String>,
    /// Host name of the PC.
    pub host: String,
    /// Room of the PC; `None` when it is not known (then no `rooms` rule matches).
    pub room: Option<String>,
}

impl AccessRules {
    /// Whether the person and the PC of `facts` may use the VM.
    pub fn allows(&self, facts: &AccessFacts) -> bool {
        self.allows_person(facts) && pc_matches(&self.hosts, &self.rooms, facts)
    }

    /// `users`/`groups`: either matches, or neither is given.
    pub fn allows_person(&self, facts: &AccessFacts) -> bool {
        (self.users.is_empty() && self.groups.is_empty())
            || self.users.contains(&facts.user)
            || self.groups.iter().any(|g| facts.groups.contains(g))
    }

    /// Whether the VM is hidden on this PC only because the PC cannot tell its room: the
    /// person matches, the host name does not, `rooms` names rooms and the room is unknown.
    /// Such a PC may well stand in one of those rooms; the student is told so.
    pub fn hidden_by_unknown_room(&self, facts: &AccessFacts) -> bool {
        facts.room.is_none()
            && !self.rooms.is_empty()
            && self.allows_person(facts)
            && !self.allows(facts)
    }

    /// The rules for admins on one line, e.g. `user mueller, on PCs in rooms r101, r102`
    /// or `everyone, on every PC`.
    pub fn describe(&self) -> String {
        let person = match (self.users.as_slice(), self.groups.as_slice()) {
            ([], []) => "everyone".to_owned(),
            (users, []) => names("user", users),
            ([], groups) => names("group", groups),
            (users, groups) => format!("{} or {}", names("user", users), names("group", groups)),
        };
        format!(
            "{person}, on {}",
            Self::describe_pcs(&self.hosts, &self.rooms)
        )
    }

    /// PCs named by `hosts` and `rooms` for admins: `PC r100-teacher or PCs in room r101`;
    /// `every PC` when neither is given.
    pub fn describe_pcs(hosts: &[String], rooms: &[String]) -> String {
        let rooms = (!rooms.is_empty()).then(|| format!("PCs in {}", names("room", rooms)));
        let hosts = (!hosts.is_empty()).then(|| names("PC", hosts));
        match (hosts, rooms) {
            (None, None) => "every PC".into(),
            (Some(one), None) | (None, Some(one)) => one,
            (Some(hosts), Some(rooms)) => format!("{hosts} or {rooms}"),
        }
    }

    pub(crate) fn check(&self, index: &KeyIndex<'_>) -> Result<(), ConfigError> {
        for (key, list) in [
            ("access.users", &self.users),
            ("access.groups", &self.groups),
            ("access.hosts", &self.hosts),
            ("access.rooms", &self.rooms),
        ] {
            check_names(key, list, index)?;
        }
        Ok(())
    }
}

/// `hosts`/`rooms`: the PC's host name or its room matches, or neither list is given.
/// Host names are compared without case and also by their first label, so `r101-pc03`
/// matches a PC named `R101-PC03.school.lan`.
pub fn pc_matches(hosts: &[String], rooms: &[String], facts: &AccessFacts) -> bool {
    if hosts.is_empty() && rooms.is_empty() {
        return true;
    }
    let short = facts.host.split('.').next().unwrap_or_default();
    hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&facts.host) || h.eq_ignore_ascii_case(short))
        || facts.room.as_ref().is_some_and(|r| rooms.contains(r))
}

/// `room r101` or `rooms r101, r102`.
fn names(what: &str, list: &[String]) -> String {
    let plural = if list.len() == 1 { "" } else { "s" };
    format!("{what}{plural} {}", list.join(", "))
}

/// Every entry is one non-empty name; a leoclient2-style `"a,b"` is refused.
pub(crate) fn check_names(
    key: &str,
    names: &[String],
    index: &KeyIndex<'_>,
) -> Result<(), ConfigError> {
    for name in names {
        if name.trim().is_empty() {
            return Err(index.error_at(key, "entries must not be empty"));
        }
        if name.contains(',') || name.chars().any(char::is_whitespace) {
            return Err(index.error_at(
                key,
                format!("{name:?}: one name per entry, e.g. [\"r101\", \"r102\"]"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(user: &str, groups: &[&str], host: &str, room: Option<&str>) -> AccessFacts {
        AccessFacts {
            user: user.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            host: host.into(),
            room: room.map(Into::into),
        }
    }

    fn list(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn no_rules_allow_everyone_everywhere() {
        let rules = AccessRules::default();
        assert!(rules.allows(&facts("anna", &[], "pc1", None)));
    }

    #[test]
    fn user_or_group_matches() {
        let rules = AccessRules {
            users: list(&["mueller"]),
            groups: list(&["teachers"]),
            ..Default::default()
        };
        assert!(rules.allows(&facts("mueller", &["students"], "pc1", None)));
        assert!(rules.allows(&facts("anna", &["students", "teachers"], "pc1", None)));
        assert!(!rules.allows(&facts("anna", &["students"], "pc1", None)));
        let only_groups = AccessRules {
            groups: list(&["10a"]),
            ..Default::default()
        };
        assert!(only_groups.allows(&facts("anna", &["10a"], "pc1", None)));
        assert!(!only_groups.allows(&facts("10a", &["students"], "pc1", None)));
    }

    #[test]
    fn host_or_room_matches() {
        let rules = AccessRules {
            hosts: list(&["r101-pc03"]),
            rooms: list(&["r100"]),
            ..Default::default()
        };
        assert!(rules.allows(&facts("anna", &[], "r101-pc03", Some("r101"))));
        assert!(rules.allows(&facts("anna", &[], "R101-PC03.school.lan", None)));
        assert!(rules.allows(&facts("anna", &[], "r100-pc01", Some("r100"))));
        assert!(!rules.allows(&facts("anna", &[], "r101-pc04", Some("r101"))));
        assert!(!rules.allows(&facts("anna", &[], "r100-pc01", None)));
    }

    #[test]
    fn person_and_pc_must_both_match() {
        let rules = AccessRules {
            users: list(&["anna"]),
            rooms: list(&["r100"]),
            ..Default::default()
        };
        assert!(rules.allows(&facts("anna", &[], "pc", Some("r100"))));
        assert!(!rules.allows(&facts("anna", &[], "pc", Some("r101"))));
        assert!(!rules.allows(&facts("ben", &[], "pc", Some("r100"))));
    }

    #[test]
    fn a_pc_without_a_room_is_told_apart_from_other_pcs() {
        let rules = AccessRules {
            groups: list(&["10a"]),
            hosts: list(&["r100-teacher"]),
            rooms: list(&["r101"]),
            ..Default::default()
        };
        assert!(rules.hidden_by_unknown_room(&facts("anna", &["10a"], "pc7", None)));
        // Another room, another person, or a PC named by its host: not this case.
        assert!(!rules.hidden_by_unknown_room(&facts("anna", &["10a"], "pc7", Some("r100"))));
        assert!(!rules.hidden_by_unknown_room(&facts("anna", &["9b"], "pc7", None)));
        assert!(!rules.hidden_by_unknown_room(&facts("anna", &["10a"], "r100-teacher", None)));
        let hosts_only = AccessRules {
            hosts: list(&["r100-teacher"]),
            ..Default::default()
        };
        assert!(!hosts_only.hidden_by_unknown_room(&facts("anna", &[], "pc7", None)));
    }

    #[test]
    fn rules_read_as_one_line() {
        assert_eq!(AccessRules::default().describe(), "everyone, on every PC");
        let rules = AccessRules {
            users: list(&["mueller"]),
            groups: list(&["teachers", "10a"]),
            hosts: list(&["r100-teacher"]),
            rooms: list(&["r101", "r102"]),
        };
        assert_eq!(
            rules.describe(),
            "user mueller or groups teachers, 10a, on PC r100-teacher or PCs in rooms r101, r102"
        );
        let rooms = AccessRules {
            rooms: list(&["r101"]),
            ..Default::default()
        };
        assert_eq!(rooms.describe(), "everyone, on PCs in room r101");
    }

    #[test]
    fn snapshot_visibility_uses_hosts_and_rooms() {
        let f = facts("anna", &[], "r101-pc03", Some("r101"));
        assert!(pc_matches(&[], &[], &f));
        assert!(pc_matches(&list(&["r101-pc03"]), &[], &f));
        assert!(pc_matches(&[], &list(&["r100", "r101"]), &f));
        assert!(!pc_matches(&list(&["r100-pc01"]), &list(&["r100"]), &f));
    }
}
