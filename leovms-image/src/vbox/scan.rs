//! A settings file as a tree of elements that remember their byte spans, so patches can
//! replace exactly the bytes they change and leave every other byte as it was.

use std::borrow::Cow;
use std::ops::Range;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::VboxError;

pub(super) struct Attr {
    pub name: String,
    /// From the whitespace before the name to after the closing quote (for removal).
    pub whole: Range<usize>,
    /// The raw (escaped) value between the quotes.
    pub value: Range<usize>,
}

pub(super) struct Element {
    /// Local name (namespace prefix dropped: old files use the innotek namespace).
    pub name: String,
    pub parent: Option<usize>,
    /// The start tag, or the whole empty-element tag.
    pub tag: Range<usize>,
    /// The end tag; `None` for `<X/>`.
    pub end: Option<Range<usize>>,
    pub attrs: Vec<Attr>,
}

pub(super) struct Doc<'a> {
    pub text: &'a str,
    /// In document order; index 0 is the root.
    pub elements: Vec<Element>,
}

fn syntax(text: &str, offset: usize, message: impl Into<String>) -> VboxError {
    VboxError::Syntax {
        line: line_of(text, offset),
        offset,
        message: message.into(),
    }
}

pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl<'a> Doc<'a> {
    pub fn parse(xml: &'a [u8]) -> Result<Doc<'a>, VboxError> {
        let text = std::str::from_utf8(xml).map_err(|e| VboxError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        let mut reader = Reader::from_str(text);
        reader.config_mut().enable_all_checks(true);
        let mut elements: Vec<Element> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        let mut root_done = false;
        loop {
            let before = reader.buffer_position() as usize;
            let event = reader
                .read_event()
                .map_err(|e| syntax(text, reader.error_position() as usize, e.to_string()))?;
            let span = before..reader.buffer_position() as usize;
            match event {
                Event::Start(ref tag) | Event::Empty(ref tag) => {
                    if root_done || (open.is_empty() && !elements.is_empty()) {
                        return Err(syntax(text, span.start, "content after the root element"));
                    }
                    let index = elements.len();
                    elements.push(Element {
                        name: local_name(tag),
                        parent: open.last().copied(),
                        attrs: scan_attrs(text, tag, span.clone())?,
                        tag: span,
                        end: None,
                    });
                    if matches!(event, Event::Start(_)) {
                        open.push(index);
                    } else if open.is_empty() {
                        root_done = true;
                    }
                }
                Event::End(_) => {
                    // quick-xml has checked that the name matches.
                    let index = open
                        .pop()
                        .ok_or_else(|| syntax(text, span.start, "unexpected end tag"))?;
                    elements[index].end = Some(span);
                    root_done = open.is_empty();
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if let Some(&unclosed) = open.last() {
            let e = &elements[unclosed];
            return Err(syntax(
                text,
                e.tag.start,
                format!("<{}> is not closed before the end of the file", e.name),
            ));
        }
        if elements.is_empty() {
            return Err(syntax(text, 0, "the file has no elements"));
        }
        Ok(Doc { text, elements })
    }

    pub fn line(&self, offset: usize) -> usize {
        line_of(self.text, offset)
    }

    pub fn children(&self, parent: usize) -> impl Iterator<Item = usize> + '_ {
        (parent + 1..self.elements.len()).filter(move |&i| self.elements[i].parent == Some(parent))
    }

    pub fn child(&self, parent: usize, name: &str) -> Option<usize> {
        self.children(parent)
            .find(|&i| self.elements[i].name == name)
    }

    pub fn ancestors(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.elements[index].parent, |&i| self.elements[i].parent)
    }

    pub fn find_attr(&self, element: usize, name: &str) -> Option<&Attr> {
        self.elements[element].attrs.iter().find(|a| a.name == name)
    }

    /// Unescaped attribute value.
    pub fn attr(&self, element: usize, name: &str) -> Result<Option<Cow<'a, str>>, VboxError> {
        let Some(attr) = self.find_attr(element, name) else {
            return Ok(None);
        };
        let raw = &self.text[attr.value.clone()];
        quick_xml::escape::unescape(raw)
            .map(Some)
            .map_err(|e| syntax(self.text, attr.value.start, e.to_string()))
    }

    /// The whole element, start tag to end tag.
    pub fn outer(&self, element: usize) -> Range<usize> {
        let e = &self.elements[element];
        e.tag.start..e.end.as_ref().map_or(e.tag.end, |end| end.end)
    }

    /// The spaces/tabs that start the element's line, when nothing else precedes it there.
    pub fn indent_before(&self, offset: usize) -> Option<&'a str> {
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let indent = &self.text[line_start..offset];
        (line_start > 0 && indent.bytes().all(|b| b == b' ' || b == b'\t')).then_some(indent)
    }

    pub fn newline(&self) -> &'static str {
        if self.text.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        }
    }
}

fn local_name(tag: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(tag.local_name().as_ref()).into_owned()
}

/// Attribute spans inside `text[span]` (a start tag). quick-xml validates the attributes
/// first; the spans are then found by a small scan of the same bytes.
fn scan_attrs(
    text: &str,
    tag: &BytesStart<'_>,
    span: Range<usize>,
) -> Result<Vec<Attr>, VboxError> {
    let mut count = 0;
    for attr in tag.attributes() {
        attr.map_err(|e| syntax(text, span.start, e.to_string()))?;
        count += 1;
    }
    let bytes = text.as_bytes();
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let mut pos = span.start + 1 + tag.name().as_ref().len();
    let mut attrs = Vec::with_capacity(count);
    while attrs.len() < count {
        let whole_start = pos;
        while is_space(bytes[pos]) {
            pos += 1;
        }
        let name_start = pos;
        while bytes[pos] != b'=' && !is_space(bytes[pos]) {
            pos += 1;
        }
        let name = text[name_start..pos].to_owned();
        while bytes[pos] != b'\'' && bytes[pos] != b'"' {
            pos += 1;
        }
        let quote = bytes[pos];
        let value_start = pos + 1;
        let value_end = value_start
            + text[value_start..span.end]
                .bytes()
                .position(|b| b == quote)
                .ok_or_else(|| syntax(text, value_start, "unterminated attribute value"))?;
        pos = value_end + 1;
        attrs.push(Attr {
            name,
            whole: whole_start..pos,
            value: value_start..value_end,
        });
    }
    Ok(attrs)
}

/// Escape an attribute value; characters XML 1.0 cannot carry at all are refused.
pub(super) fn escape_attr(value: &str, what: &str) -> Result<String, VboxError> {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                return Err(VboxError::BadValue {
                    what: what.to_owned(),
                    reason: format!("it contains the character U+{:04X}", u32::from(c)),
                });
            }
            c => out.push(c),
        }
    }
    Ok(out)
}
