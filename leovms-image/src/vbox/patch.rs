//! Patching a `.vbox` by replacing byte ranges (see the module docs of `vbox`).

use std::ops::Range;

use super::scan::{Doc, escape_attr};
use super::{DiskPatch, Patch, SharedFolder, VboxError, network};
use crate::vdi::braced;

/// Hardware children VirtualBox writes after `<SharedFolders>`: a new element goes before
/// the first of them, where VirtualBox itself would put it (the schema allows any order).
const AFTER_SHARED_FOLDERS: [&str; 8] = [
    "Clipboard",
    "DragAndDrop",
    "IO",
    "HostPci",
    "EmulatedUSB",
    "Guest",
    "GuestProperties",
    "StorageControllers",
];
const INDENT_UNIT: &str = "  ";

pub(super) struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

/// Apply `patch` to the settings file `xml`; everything not patched stays byte-identical.
pub fn patch(xml: &[u8], patch: &Patch) -> Result<Vec<u8>, VboxError> {
    let doc = Doc::parse(xml)?;
    let machine = doc.machine()?;
    let mut edits = Vec::new();
    if patch.ram_mb.is_some() || patch.shared_folders.is_some() || patch.network.is_some() {
        let hardware = doc
            .child(machine, "Hardware")
            .ok_or(VboxError::NoHardware)?;
        if let Some(mb) = patch.ram_mb {
            edits.push(ram_edit(&doc, hardware, mb)?);
        }
        if let Some(folders) = &patch.shared_folders {
            edits.push(folders_edit(&doc, hardware, folders)?);
        }
        if let Some(nics) = &patch.network {
            network::network_edits(&doc, hardware, nics, &mut edits)?;
        }
    }
    for disk in &patch.disks {
        disk_edits(&doc, machine, disk, &mut edits)?;
    }
    let state_file = doc.find_attr(machine, "stateFile");
    if let Some(attr) = state_file.filter(|_| patch.clear_state_file) {
        edits.push(Edit {
            range: attr.whole.clone(),
            text: String::new(),
        });
    }
    apply(&doc, edits)
}

pub(super) fn apply(doc: &Doc<'_>, mut edits: Vec<Edit>) -> Result<Vec<u8>, VboxError> {
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(doc.text.len() + 1024);
    let mut pos = 0;
    for edit in &edits {
        if edit.range.start < pos {
            return Err(VboxError::Overlap {
                line: doc.line(edit.range.start),
            });
        }
        out.push_str(&doc.text[pos..edit.range.start]);
        out.push_str(&edit.text);
        pos = edit.range.end;
    }
    out.push_str(&doc.text[pos..]);
    Ok(out.into_bytes())
}

fn ram_edit(doc: &Doc<'_>, hardware: usize, mb: u32) -> Result<Edit, VboxError> {
    let memory = doc.child(hardware, "Memory").ok_or(VboxError::NoMemory)?;
    Ok(set_attr(doc, memory, "RAMSize", mb.to_string()))
}

/// Sets attribute `name` of `element` to `value` (already escaped): replaced when present,
/// added right after the element name otherwise.
pub(super) fn set_attr(doc: &Doc<'_>, element: usize, name: &str, value: String) -> Edit {
    if let Some(attr) = doc.find_attr(element, name) {
        return Edit {
            range: attr.value.clone(),
            text: value,
        };
    }
    let tag = &doc.elements[element].tag;
    let at = tag.start
        + 1
        + doc.text[tag.start + 1..tag.end]
            .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
            .unwrap_or(0);
    Edit {
        range: at..at,
        text: format!(" {name}=\"{value}\""),
    }
}

fn folders_edit(
    doc: &Doc<'_>,
    hardware: usize,
    folders: &[SharedFolder],
) -> Result<Edit, VboxError> {
    let nl = doc.newline();
    if let Some(existing) = doc.child(hardware, "SharedFolders") {
        let range = doc.outer(existing);
        let indent = doc.indent_before(range.start);
        let unit = indent_unit(doc, hardware);
        let text = render_folders(folders, indent, &unit, nl)?;
        return Ok(Edit { range, text });
    }
    let unit = indent_unit(doc, hardware);
    insert_child(doc, hardware, &AFTER_SHARED_FOLDERS, |indent| {
        render_folders(folders, indent, &unit, nl)
    })
}

/// Inserts a new child element into `parent`: before its first child named in `before`,
/// else at its end. `render` gets the indentation of the line the element starts on.
pub(super) fn insert_child(
    doc: &Doc<'_>,
    parent: usize,
    before: &[&str],
    render: impl Fn(Option<&str>) -> Result<String, VboxError>,
) -> Result<Edit, VboxError> {
    let nl = doc.newline();
    let element = &doc.elements[parent];
    let Some(parent_end) = element.end.clone() else {
        return Err(VboxError::EmptyHardware {
            line: doc.line(element.tag.start),
        });
    };
    let unit = indent_unit(doc, parent);
    let sibling = doc
        .children(parent)
        .find(|&c| before.contains(&doc.elements[c].name.as_str()));
    Ok(match sibling {
        Some(sibling) => {
            let at = doc.elements[sibling].tag.start;
            let indent = doc.indent_before(at);
            let mut text = render(indent)?;
            if let Some(indent) = indent {
                text.push_str(nl);
                text.push_str(indent);
            }
            Edit {
                range: at..at,
                text,
            }
        }
        None => {
            let at = parent_end.start;
            let parent_indent = doc.indent_before(at);
            let indent = parent_indent.map(|i| format!("{i}{unit}"));
            let mut text = render(indent.as_deref())?;
            if let Some(parent_indent) = parent_indent {
                // The line already starts with the parent's indent; add one level.
                text = format!("{unit}{text}{nl}{parent_indent}");
            }
            Edit {
                range: at..at,
                text,
            }
        }
    })
}

/// One indentation level, as the file uses it under `<Hardware>`.
pub(super) fn indent_unit(doc: &Doc<'_>, hardware: usize) -> String {
    let hw = doc.indent_before(doc.elements[hardware].tag.start);
    let child = doc
        .children(hardware)
        .next()
        .and_then(|c| doc.indent_before(doc.elements[c].tag.start));
    match (hw, child) {
        (Some(hw), Some(child)) if child.len() > hw.len() && child.starts_with(hw) => {
            child[hw.len()..].to_owned()
        }
        _ => INDENT_UNIT.to_owned(),
    }
}

/// `<SharedFolders>` with one line per folder when the file is indented (`indent` is the
/// indentation of the line the element starts on), on one line otherwise.
fn render_folders(
    folders: &[SharedFolder],
    indent: Option<&str>,
    unit: &str,
    nl: &str,
) -> Result<String, VboxError> {
    if folders.is_empty() {
        return Ok("<SharedFolders/>".to_owned());
    }
    let mut out = String::from("<SharedFolders>");
    for folder in folders {
        let what = format!("shared folder \"{}\"", folder.name);
        let host = folder
            .host_path
            .to_str()
            .ok_or_else(|| VboxError::BadValue {
                what: what.clone(),
                reason: format!("its path {} is not UTF-8", folder.host_path.display()),
            })?;
        if let Some(indent) = indent {
            out.push_str(nl);
            out.push_str(indent);
            out.push_str(unit);
        }
        out.push_str(&format!(
            "<SharedFolder name=\"{}\" hostPath=\"{}\" writable=\"true\" autoMount=\"true\"/>",
            escape_attr(&folder.name, &what)?,
            escape_attr(host, &what)?
        ));
    }
    if let Some(indent) = indent {
        out.push_str(nl);
        out.push_str(indent);
    }
    out.push_str("</SharedFolders>");
    Ok(out)
}

fn disk_edits(
    doc: &Doc<'_>,
    machine: usize,
    disk: &DiskPatch,
    edits: &mut Vec<Edit>,
) -> Result<(), VboxError> {
    let mut found = false;
    for hd in doc.hard_disks(machine) {
        if doc.uuid_attr(hd, "uuid")? != Some(disk.old_uuid) {
            continue;
        }
        found = true;
        let location =
            doc.find_attr(hd, "location")
                .ok_or_else(|| VboxError::MissingAttribute {
                    line: doc.line(doc.elements[hd].tag.start),
                    element: "HardDisk".into(),
                    attribute: "location",
                })?;
        let what = format!("the location of disk {}", braced(&disk.new_uuid));
        let path = disk.location.to_str().ok_or_else(|| VboxError::BadValue {
            what: what.clone(),
            reason: format!("{} is not UTF-8", disk.location.display()),
        })?;
        edits.push(Edit {
            range: location.value.clone(),
            text: escape_attr(path, &what)?,
        });
        edits.extend(uuid_edit(doc, hd, disk));
    }
    if !found {
        return Err(VboxError::UnknownDisk {
            uuid: disk.old_uuid,
        });
    }
    for image in doc.disk_images() {
        if doc.uuid_attr(image, "uuid")? == Some(disk.old_uuid) {
            edits.extend(uuid_edit(doc, image, disk));
        }
    }
    Ok(())
}

fn uuid_edit(doc: &Doc<'_>, element: usize, disk: &DiskPatch) -> Option<Edit> {
    doc.find_attr(element, "uuid").map(|a| Edit {
        range: a.value.clone(),
        text: braced(&disk.new_uuid),
    })
}
