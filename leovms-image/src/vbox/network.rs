//! Network cards of the current state (`Hardware/Network/Adapter`), set the way
//! `VBoxManage modifyvm --nicN` would: the card's chip, its parked modes
//! (`DisabledModes`) and a kept NAT's port forwards stay as the template has them.

use super::VboxError;
use super::patch::{Edit, indent_unit, insert_child, set_attr};
use super::scan::{Doc, escape_attr};

/// One network card as the VM gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nic {
    /// 1 to 8, as `--nicN` counts (the file's `slot` is one less).
    pub slot: u32,
    pub attachment: Attachment,
    /// 12 hex digits; `None` keeps the template's address (a new card gets a random one).
    pub mac: Option<String>,
}

/// Where a card's cable goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    /// Enabled, but not attached to anything.
    NotAttached,
    Nat,
    /// Bridged to this host interface.
    Bridged(String),
    /// Internal network of this name.
    Internal(String),
    /// Host-only interface of this name.
    HostOnly(String),
    /// NAT network of this name.
    NatNetwork(String),
    /// VirtualBox's generic driver of this name (e.g. `VDE`); the template's driver
    /// properties stay, as `VBoxManage modifyvm --nicgenericdrvN` leaves them.
    Generic(String),
}

impl Attachment {
    /// The element VirtualBox writes for it, with the attribute that names it
    /// (`name`, or `driver` for a generic driver) and its value.
    fn element(&self) -> Option<(&'static str, Option<(&'static str, &str)>)> {
        match self {
            Attachment::NotAttached => None,
            Attachment::Nat => Some(("NAT", None)),
            Attachment::Bridged(n) => Some(("BridgedInterface", Some(("name", n)))),
            Attachment::Internal(n) => Some(("InternalNetwork", Some(("name", n)))),
            Attachment::HostOnly(n) => Some(("HostOnlyInterface", Some(("name", n)))),
            Attachment::NatNetwork(n) => Some(("NATNetwork", Some(("name", n)))),
            Attachment::Generic(d) => Some(("GenericInterface", Some(("driver", d)))),
        }
    }
}

/// Elements that attach a card (direct children of `Adapter`; `DisabledModes` only parks).
const ATTACHMENTS: [&str; 9] = [
    "NAT",
    "NATNetwork",
    "HostInterface",
    "BridgedInterface",
    "InternalNetwork",
    "HostOnlyInterface",
    "HostOnlyNetwork",
    "GenericInterface",
    "CloudNetwork",
];
/// Hardware children VirtualBox writes after `<Network>`.
const AFTER_NETWORK: [&str; 6] = [
    "UART",
    "LPT",
    "AudioAdapter",
    "RTC",
    "SharedFolders",
    "Clipboard",
];
/// VirtualBox's default chip (Intel PRO/1000 MT Desktop).
const DEFAULT_CHIP: &str = "82540EM";

/// Edits that give the current state exactly `nics`; every other card is switched off.
pub(super) fn network_edits(
    doc: &Doc<'_>,
    hardware: usize,
    nics: &[Nic],
    edits: &mut Vec<Edit>,
) -> Result<(), VboxError> {
    let network = doc.child(hardware, "Network");
    let adapters: Vec<usize> = network
        .map(|n| {
            doc.children(n)
                .filter(|&c| doc.elements[c].name == "Adapter")
                .collect()
        })
        .unwrap_or_default();
    let mut placed = Vec::new();
    for &adapter in &adapters {
        let slot = doc
            .attr(adapter, "slot")?
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or_else(|| VboxError::MissingAttribute {
                line: doc.line(doc.elements[adapter].tag.start),
                element: "Adapter".into(),
                attribute: "slot",
            })?;
        match nics.iter().find(|n| n.slot == slot + 1) {
            Some(nic) => {
                adapter_edits(doc, adapter, nic, edits)?;
                placed.push(nic.slot);
            }
            None => edits.push(set_attr(doc, adapter, "enabled", "false".into())),
        }
    }
    let new: Vec<&Nic> = nics.iter().filter(|n| !placed.contains(&n.slot)).collect();
    if new.is_empty() {
        return Ok(());
    }
    let chip = match adapters.first() {
        Some(&a) => doc.attr(a, "type")?.map(|t| t.into_owned()),
        None => None,
    };
    let rendered = new
        .iter()
        .map(|nic| render_adapter(nic, chip.as_deref().unwrap_or(DEFAULT_CHIP)))
        .collect::<Result<Vec<_>, _>>()?;
    let nl = doc.newline();
    match network {
        Some(network) => edits.push(append_children(doc, network, &rendered)),
        None => edits.push(insert_child(doc, hardware, &AFTER_NETWORK, |indent| {
            let unit = indent_unit(doc, hardware);
            Ok(wrap("Network", &rendered, indent, &unit, nl))
        })?),
    }
    Ok(())
}

/// As VirtualBox makes one: its own prefix and three random bytes.
fn random_mac() -> String {
    let r = uuid::Uuid::new_v4();
    let b = r.as_bytes();
    format!("080027{:02X}{:02X}{:02X}", b[0], b[1], b[2])
}

/// `<Adapter>` of a card the template does not have.
fn render_adapter(nic: &Nic, chip: &str) -> Result<String, VboxError> {
    let mac = nic.mac.clone().unwrap_or_else(random_mac);
    let what = format!("network card {}", nic.slot);
    let chip = escape_attr(chip, &what)?;
    let open = format!(
        "<Adapter slot=\"{}\" enabled=\"true\" MACAddress=\"{}\" type=\"{chip}\"",
        nic.slot - 1,
        escape_attr(&mac, &what)?
    );
    Ok(match attachment_element(nic)? {
        Some(child) => format!("{open}>{child}</Adapter>"),
        None => format!("{open}/>"),
    })
}

fn attachment_element(nic: &Nic) -> Result<Option<String>, VboxError> {
    let Some((tag, name)) = nic.attachment.element() else {
        return Ok(None);
    };
    Ok(Some(match name {
        Some((attr, value)) => format!(
            "<{tag} {attr}=\"{}\"/>",
            escape_attr(value, &format!("the network of card {}", nic.slot))?
        ),
        None => format!("<{tag}/>"),
    }))
}

fn adapter_edits(
    doc: &Doc<'_>,
    adapter: usize,
    nic: &Nic,
    edits: &mut Vec<Edit>,
) -> Result<(), VboxError> {
    edits.push(set_attr(doc, adapter, "enabled", "true".into()));
    // A card switched on needs an address; one the template left out gets a new one.
    let mac = match &nic.mac {
        Some(mac) => Some(mac.clone()),
        None => doc
            .find_attr(adapter, "MACAddress")
            .is_none()
            .then(random_mac),
    };
    if let Some(mac) = mac {
        let value = escape_attr(&mac, &format!("the MAC address of card {}", nic.slot))?;
        edits.push(set_attr(doc, adapter, "MACAddress", value));
    }
    let wanted = nic.attachment.element();
    let mut kept = false;
    for child in doc.children(adapter) {
        let tag = doc.elements[child].name.as_str();
        if !ATTACHMENTS.contains(&tag) {
            continue;
        }
        match wanted {
            Some((want, name)) if want == tag && !kept => {
                kept = true;
                if let Some((attr, value)) = name {
                    let what = format!("the network of card {}", nic.slot);
                    edits.push(set_attr(doc, child, attr, escape_attr(value, &what)?));
                }
            }
            _ => edits.push(Edit {
                range: whole_lines(doc, child),
                text: String::new(),
            }),
        }
    }
    if kept {
        return Ok(());
    }
    let Some(child) = attachment_element(nic)? else {
        return Ok(());
    };
    let element = &doc.elements[adapter];
    edits.push(match &element.end {
        Some(_) => append_children(doc, adapter, &[child]),
        None => {
            // `<Adapter …/>` becomes `<Adapter …>child</Adapter>`.
            let close = element.tag.end - 2;
            Edit {
                range: close..element.tag.end,
                text: format!(">{child}</Adapter>"),
            }
        }
    });
    Ok(())
}

/// Inserts `children` before the end tag of `parent` (which has one), one per line when
/// the file is indented; a `<Parent/>` is opened up.
fn append_children(doc: &Doc<'_>, parent: usize, children: &[String]) -> Edit {
    let nl = doc.newline();
    let element = &doc.elements[parent];
    let unit = indent_unit(doc, parent);
    let Some(end) = &element.end else {
        let indent = doc.indent_before(element.tag.start);
        return Edit {
            range: doc.outer(parent),
            text: wrap(&element.name, children, indent, &unit, nl),
        };
    };
    let text = match doc.indent_before(end.start) {
        Some(indent) => children
            .iter()
            .map(|c| format!("{unit}{c}{nl}{indent}"))
            .collect(),
        None => children.concat(),
    };
    Edit {
        range: end.start..end.start,
        text,
    }
}

/// `<name>children</name>`, indented below `indent` when there is one.
fn wrap(name: &str, children: &[String], indent: Option<&str>, unit: &str, nl: &str) -> String {
    let mut out = format!("<{name}>");
    for child in children {
        if let Some(indent) = indent {
            out.push_str(&format!("{nl}{indent}{unit}"));
        }
        out.push_str(child);
    }
    if let Some(indent) = indent {
        out.push_str(&format!("{nl}{indent}"));
    }
    out.push_str(&format!("</{name}>"));
    out
}

/// The element's bytes, with its line when it stands alone on it.
fn whole_lines(doc: &Doc<'_>, element: usize) -> std::ops::Range<usize> {
    let range = doc.outer(element);
    let nl = doc.newline();
    match doc.indent_before(range.start) {
        Some(indent) if doc.text[range.end..].starts_with(nl) => {
            range.start - indent.len()..range.end + nl.len()
        }
        _ => range,
    }
}
