//! Helpers of vbox_fixtures.rs: XML event streams with exact bytes, schema validation.

use std::path::Path;
use std::process::Command;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::data;

/// One event: kind, its exact bytes, and the local names of it and its ancestors.
pub struct Tok {
    pub kind: &'static str,
    pub raw: String,
    pub path: Vec<String>,
}

pub fn tokens(xml: &str) -> Vec<Tok> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().unwrap();
        let raw = xml[before..reader.buffer_position() as usize].to_owned();
        let name =
            |t: &BytesStart<'_>| String::from_utf8_lossy(t.local_name().as_ref()).into_owned();
        let (kind, path) = match &event {
            Event::Start(t) => {
                stack.push(name(t));
                ("start", stack.clone())
            }
            Event::Empty(t) => {
                let mut p = stack.clone();
                p.push(name(t));
                ("empty", p)
            }
            Event::End(_) => {
                let p = stack.clone();
                stack.pop();
                ("end", p)
            }
            Event::Eof => break,
            _ => ("other", stack.clone()),
        };
        out.push(Tok { kind, raw, path });
    }
    out
}

fn is_current(path: &[String], element: &str) -> bool {
    path.len() >= 4 && path[1] == "Machine" && path[2] == "Hardware" && path[3] == element
}

/// Split off the current state's `<SharedFolders>` subtree (and the whitespace before it).
pub fn without_shared_folders(toks: Vec<Tok>) -> (Vec<Tok>, Vec<Tok>) {
    without_current(toks, "SharedFolders")
}

/// Split off the subtree of the current state's `Hardware/<element>` (and the whitespace
/// before it).
pub fn without_current(toks: Vec<Tok>, element: &str) -> (Vec<Tok>, Vec<Tok>) {
    let (mut rest, mut subtree): (Vec<Tok>, Vec<Tok>) = (Vec::new(), Vec::new());
    for tok in toks {
        if is_current(&tok.path, element) {
            if subtree.is_empty()
                && rest
                    .last()
                    .is_some_and(|t| t.kind == "other" && t.raw.trim().is_empty())
            {
                rest.pop();
            }
            subtree.push(tok);
        } else {
            rest.push(tok);
        }
    }
    (rest, subtree)
}

pub fn attrs(raw: &str) -> Vec<(String, String)> {
    let mut reader = Reader::from_str(raw);
    match reader.read_event().unwrap() {
        Event::Start(t) | Event::Empty(t) => t
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                (key, String::from_utf8_lossy(&a.value).into_owned())
            })
            .collect(),
        other => panic!("not a tag: {other:?}"),
    }
}

/// `Ok(true)` valid, `Ok(false)` invalid (with the reason printed), `Err` no xmllint.
pub fn xsd_valid(file: &Path) -> Result<bool, String> {
    let xsd = data().join("VirtualBox-settings.xsd");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(file)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        let reason = String::from_utf8_lossy(&out.stderr);
        println!(
            "{}: {}",
            file.display(),
            reason.lines().next().unwrap_or("")
        );
    }
    Ok(out.status.success())
}

/// The schema lags behind genuine files in two ways we can bridge: the pre-4.0 innotek
/// namespace and `AudioAdapter/@driver="WAS"` (VirtualBox 7 on Windows).
pub fn bridge_schema_gaps(xml: &str) -> String {
    xml.replace(
        "http://www.innotek.de/VirtualBox-settings",
        "http://www.virtualbox.org/",
    )
    .replace("driver=\"WAS\"", "driver=\"Null\"")
}
