//! Who uses the tray, as far as the menu is concerned: members of the upload group see
//! what teachers need (Upload…, their own VirtualBox, Quit); everyone else sees only
//! what a student needs.
//!
//! The role is presentation only. The daemon and the upload share's permissions decide
//! what a user may do; a user who gets the uploader's menu without the group is still
//! refused by them.

use std::process::{Command, Stdio};

/// Members of this group may upload machines (docs/admin.md, "Group p_leovms").
pub const UPLOAD_GROUP: &str = "p_leovms";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Role {
    /// Everyone not in [`UPLOAD_GROUP`]: students, and teachers who do not upload.
    #[default]
    Student,
    /// A member of [`UPLOAD_GROUP`].
    Uploader,
}

impl Role {
    /// The role of a user in these groups (names).
    pub fn from_groups<'a>(groups: impl IntoIterator<Item = &'a str>) -> Role {
        if groups.into_iter().any(|g| g == UPLOAD_GROUP) {
            Role::Uploader
        } else {
            Role::Student
        }
    }

    pub fn is_uploader(self) -> bool {
        self == Role::Uploader
    }

    /// The role of this process, from `id -Gn`: the names of its groups (real, effective
    /// and supplementary), looked up through NSS, so groups from the school's directory
    /// (LDAP, AD) count like local ones. The daemon finds its groups the same way.
    /// When `id` cannot be run the menu is the student's (and the reason is logged).
    pub fn of_this_process() -> Role {
        let out = Command::new("id")
            .arg("-Gn")
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .output();
        match out {
            // `id` exits 1 when a group has no name, but still lists the others.
            Ok(out) if !out.stdout.is_empty() => {
                let text = String::from_utf8_lossy(&out.stdout);
                let role = Role::from_groups(text.split_whitespace());
                tracing::info!(
                    "menu for {}",
                    match role {
                        Role::Uploader => "an uploader (member of p_leovms)",
                        Role::Student => "a student (not in p_leovms)",
                    }
                );
                role
            }
            Ok(out) => {
                tracing::warn!(
                    "`id -Gn` named no groups ({}): showing the student's menu",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                Role::Student
            }
            Err(e) => {
                tracing::warn!("cannot run `id -Gn` ({e}): showing the student's menu");
                Role::Student
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_members_of_the_upload_group_are_uploaders() {
        assert_eq!(Role::from_groups(["teach1", "p_leovms"]), Role::Uploader);
        assert_eq!(
            Role::from_groups(["students", "p_leovms_old"]),
            Role::Student
        );
        assert_eq!(Role::from_groups([]), Role::Student);
    }
}
