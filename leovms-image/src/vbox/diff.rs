//! Putting a new, empty differencing disk between a disk and the current state, as
//! VirtualBox does when it takes a snapshot (without the `<Snapshot>` record): a machine
//! whose current state runs on its base gets a state of its own that can be thrown away.

use std::path::PathBuf;

use uuid::Uuid;

use super::VboxError;
use super::patch::{Edit, apply};
use super::scan::{Doc, escape_attr};
use crate::vdi::braced;

/// A new differencing disk `uuid` at `location` on top of the registered disk `parent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDiff {
    pub parent: Uuid,
    pub uuid: Uuid,
    /// As written into the settings (relative to the machine folder, or absolute).
    pub location: PathBuf,
}

/// Registers `diff` as a child of its parent in the media registry and attaches it in
/// the current state wherever the parent was attached; every other byte stays.
pub fn add_diff(xml: &[u8], diff: &NewDiff) -> Result<Vec<u8>, VboxError> {
    let doc = Doc::parse(xml)?;
    let machine = doc.machine()?;
    let mut parent = None;
    for hd in doc.hard_disks(machine) {
        if doc.uuid_attr(hd, "uuid")? == Some(diff.parent) {
            parent = Some(hd);
        }
    }
    let parent = parent.ok_or(VboxError::UnknownDisk { uuid: diff.parent })?;
    let what = format!("the location of disk {}", braced(&diff.uuid));
    let location = diff.location.to_str().ok_or_else(|| VboxError::BadValue {
        what: what.clone(),
        reason: format!("{} is not UTF-8", diff.location.display()),
    })?;
    let child = format!(
        "<HardDisk uuid=\"{}\" location=\"{}\" format=\"VDI\"/>",
        braced(&diff.uuid),
        escape_attr(location, &what)?
    );
    let mut edits = vec![child_edit(&doc, parent, &child)];
    for image in doc.disk_images() {
        if doc.in_current_state(image) && doc.uuid_attr(image, "uuid")? == Some(diff.parent) {
            let attr = doc
                .find_attr(image, "uuid")
                .ok_or(VboxError::UnknownDisk { uuid: diff.parent })?;
            edits.push(Edit {
                range: attr.value.clone(),
                text: braced(&diff.uuid),
            });
        }
    }
    apply(&doc, edits)
}

/// `child` as the last child of `parent`; an empty `<HardDisk …/>` is opened for it.
fn child_edit(doc: &Doc<'_>, parent: usize, child: &str) -> Edit {
    let element = &doc.elements[parent];
    let nl = doc.newline();
    let indent = doc.indent_before(element.tag.start);
    let (inner, outer) = match indent {
        Some(i) => (format!("{nl}{i}  "), format!("{nl}{i}")),
        None => (String::new(), String::new()),
    };
    match &element.end {
        Some(end) => Edit {
            range: end.start..end.start,
            // The end tag's line already carries the parent's indentation.
            text: match indent {
                Some(_) => format!("  {child}{outer}"),
                None => child.to_owned(),
            },
        },
        None => {
            let close = element.tag.end - 2; // the "/>" of the empty element
            Edit {
                range: close..element.tag.end,
                text: format!(">{inner}{child}{outer}</HardDisk>"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vbox::inspect;

    fn machine(registry: &str, attached: Uuid) -> String {
        format!(
            "<?xml version=\"1.0\"?>\n<VirtualBox xmlns=\"http://www.virtualbox.org/\" version=\"1.19-linux\">\n  \
             <Machine uuid=\"{{11111111-1111-1111-1111-111111111111}}\" name=\"Lab\" OSType=\"Debian_64\">\n    \
             <MediaRegistry>\n      <HardDisks>\n        {registry}\n      </HardDisks>\n    </MediaRegistry>\n    \
             <Hardware>\n      <Memory RAMSize=\"128\"/>\n    </Hardware>\n    <StorageControllers>\n      \
             <StorageController name=\"SATA\" type=\"AHCI\" PortCount=\"1\">\n        \
             <AttachedDevice type=\"HardDisk\" port=\"0\" device=\"0\">\n          <Image uuid=\"{}\"/>\n        \
             </AttachedDevice>\n      </StorageController>\n    </StorageControllers>\n  </Machine>\n</VirtualBox>\n",
            braced(&attached)
        )
    }

    #[test]
    fn the_base_gets_a_child_and_the_current_state_runs_on_it() {
        let (base, diff) = (Uuid::new_v4(), Uuid::new_v4());
        let xml = machine(
            &format!(
                "<HardDisk uuid=\"{}\" location=\"Lab.vdi\" format=\"VDI\" type=\"Normal\"/>",
                braced(&base)
            ),
            base,
        );
        let out = add_diff(
            xml.as_bytes(),
            &NewDiff {
                parent: base,
                uuid: diff,
                location: format!("Snapshots/{}.vdi", braced(&diff)).into(),
            },
        )
        .unwrap();
        let info = inspect(&out).unwrap();
        let child = info.hard_disks.iter().find(|d| d.uuid == diff).unwrap();
        assert_eq!(child.parent, Some(base));
        assert_eq!(
            info.attached,
            vec![diff],
            "{}",
            String::from_utf8_lossy(&out)
        );
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(&format!(
            "type=\"Normal\">\n          <HardDisk uuid=\"{}\"",
            braced(&diff)
        )));
        // Applying it to a disk that is not registered is an error, not a guess.
        let err = add_diff(
            xml.as_bytes(),
            &NewDiff {
                parent: diff,
                uuid: base,
                location: "x.vdi".into(),
            },
        )
        .unwrap_err();
        assert_eq!(err, VboxError::UnknownDisk { uuid: diff });
    }

    #[test]
    fn a_disk_with_children_keeps_them() {
        let (base, old, diff) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let xml = machine(
            &format!(
                "<HardDisk uuid=\"{}\" location=\"Lab.vdi\" format=\"VDI\">\n          <HardDisk uuid=\"{}\" location=\"o.vdi\" format=\"VDI\"/>\n        </HardDisk>",
                braced(&base),
                braced(&old)
            ),
            old,
        );
        let out = add_diff(
            xml.as_bytes(),
            &NewDiff {
                parent: old,
                uuid: diff,
                location: "n.vdi".into(),
            },
        )
        .unwrap();
        let info = inspect(&out).unwrap();
        let parent_of = |u| info.hard_disks.iter().find(|d| d.uuid == u).unwrap().parent;
        assert_eq!((parent_of(old), parent_of(diff)), (Some(base), Some(old)));
        assert_eq!(info.attached, vec![diff]);
    }
}
