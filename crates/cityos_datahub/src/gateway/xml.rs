//! XML to JSON, for upstream services that answer in XML or SOAP.
//!
//! The mapping is generic and lossless for data (not for namespaces):
//! an element becomes a key named by its local name (prefixes dropped);
//! elements repeated under one parent become an array, in document order;
//! attributes become `@name` keys (namespace declarations are dropped); text
//! of an element without attributes or children becomes a string, otherwise
//! `#text`; an empty element becomes `null`, and so does one marked
//! `xsi:nil="true"`. Values stay strings: guessing numbers would turn `0912…`
//! phone numbers and zero-padded codes into other values.
//!
//! The parser (`quick-xml`) reads no DTD and expands no entity other than
//! the five predefined ones and character references, so a hostile upstream
//! cannot make it fetch files or expand a billion laughs.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde_json::{Map, Value};

/// Deepest nesting accepted.
const MAX_DEPTH: usize = 256;

/// Why a document could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed XML, or an unknown entity.
    #[error("not well-formed XML: {0}")]
    Malformed(String),
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("XML nested deeper than {MAX_DEPTH} elements")]
    TooDeep,
    /// No root element.
    #[error("no XML element")]
    Empty,
    /// A SOAP answer without `Envelope/Body`.
    #[error("not a SOAP envelope (no Envelope/Body)")]
    NotSoap,
}

#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Map<String, Value>,
    has_children: bool,
    text: String,
    nil: bool,
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
}

fn open(e: &BytesStart<'_>) -> Result<Node, XmlError> {
    let mut node = Node { name: e.local_name().into_inner().to_string(), ..Node::default() };
    for attr in e.attributes() {
        let attr = attr.map_err(malformed)?;
        let qname = attr.key.into_inner();
        if qname == "xmlns" || qname.starts_with("xmlns:") {
            continue;
        }
        let local = attr.key.local_name().into_inner().to_string();
        let value = attr.normalized_value(XmlVersion::Implicit1_0).map_err(malformed)?.into_owned();
        if local == "nil" && matches!(value.as_str(), "true" | "1") {
            node.nil = true;
            continue;
        }
        node.attrs.push((local, value));
    }
    Ok(node)
}

fn close(node: Node) -> (String, Value) {
    let whitespace_only = node.text.chars().all(char::is_whitespace);
    let value = if node.attrs.is_empty() && !node.has_children {
        if node.nil || whitespace_only {
            Value::Null
        } else {
            Value::String(node.text)
        }
    } else {
        let mut obj = Map::new();
        for (k, v) in node.attrs {
            obj.insert(format!("@{k}"), Value::String(v));
        }
        for (k, v) in node.children {
            obj.insert(k, v);
        }
        if !whitespace_only {
            obj.insert("#text".into(), Value::String(node.text.trim().to_string()));
        }
        Value::Object(obj)
    };
    (node.name, value)
}

fn add_child(parent: &mut Node, name: String, value: Value) {
    parent.has_children = true;
    match parent.children.get_mut(&name) {
        // Element values are never arrays otherwise, so an array here is a repetition.
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            parent.children.insert(name, value);
        }
    }
}

fn predefined(entity: &str) -> Option<char> {
    match entity {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// Converts an XML document to JSON: `{"<root>": …}`.
///
/// # Errors
/// Malformed or too deeply nested XML.
pub fn to_json(xml: &str) -> Result<Value, XmlError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        match reader.read_event().map_err(malformed)? {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                if root.is_some() && stack.is_empty() {
                    return Err(XmlError::Malformed("more than one root element".into()));
                }
                stack.push(open(&e)?);
            }
            Event::Empty(e) => {
                if root.is_some() && stack.is_empty() {
                    return Err(XmlError::Malformed("more than one root element".into()));
                }
                let (name, value) = close(open(&e)?);
                match stack.last_mut() {
                    Some(parent) => add_child(parent, name, value),
                    None => root = Some((name, value)),
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                let (name, value) = close(node);
                match stack.last_mut() {
                    Some(parent) => add_child(parent, name, value),
                    None => root = Some((name, value)),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                } else if !t.chars().all(char::is_whitespace) {
                    return Err(XmlError::Malformed("text outside the root element".into()));
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(malformed)? {
                    Some(c) => c,
                    None => predefined(&r).ok_or_else(|| XmlError::Malformed(format!("unknown entity &{};", &*r)))?,
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(c);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element".into()));
    }
    let (name, value) = root.ok_or(XmlError::Empty)?;
    let mut obj = Map::new();
    obj.insert(name, value);
    Ok(Value::Object(obj))
}

/// What a SOAP answer's body holds, converted to JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum SoapBody {
    /// The operation's answer: the `Body`'s children, e.g. `{"GetFacilityResponse": {…}}`.
    Answer(Value),
    /// A SOAP fault: the `Fault` element's content.
    Fault(Value),
}

/// Converts a SOAP 1.1 or 1.2 answer to JSON, unwrapping `Envelope` and
/// `Body` (whatever their prefixes); the `Header` is dropped.
///
/// # Errors
/// Malformed XML, or no `Envelope/Body`.
pub fn soap_to_json(xml: &str) -> Result<SoapBody, XmlError> {
    let doc = to_json(xml)?;
    let body = doc.get("Envelope").and_then(|e| e.get("Body")).ok_or(XmlError::NotSoap)?;
    let body = match body {
        Value::Object(m) => {
            let mut m = m.clone();
            m.retain(|k, _| !k.starts_with('@'));
            m
        }
        _ => Map::new(),
    };
    if let Some(fault) = body.get("Fault") {
        return Ok(SoapBody::Fault(fault.clone()));
    }
    Ok(SoapBody::Answer(Value::Object(body)))
}

/// The operation a SOAP request calls: the local name of the first element
/// inside `Envelope/Body`.
///
/// # Errors
/// Malformed XML, or no element in `Envelope/Body`.
pub fn soap_operation(xml: &str) -> Result<String, XmlError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    // Element path from the root: Envelope, then Body, then the operation.
    let mut path: Vec<String> = Vec::new();
    loop {
        let event = reader.read_event().map_err(malformed)?;
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            Event::End(_) => {
                path.pop();
                continue;
            }
            Event::Eof => return Err(XmlError::NotSoap),
            _ => continue,
        };
        let Some(e) = start else { continue };
        let name = e.local_name().into_inner().to_string();
        let inside_body = path.len() == 2 && path[0] == "Envelope" && path[1] == "Body";
        if inside_body {
            return Ok(name);
        }
        if path.is_empty() && name != "Envelope" {
            return Err(XmlError::NotSoap);
        }
        if !empty {
            path.push(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn elements_attributes_text_and_repetition() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
            <facilities xmlns="urn:x" xmlns:h="urn:h" count="2">
              <h:facility id="1"><name>Bệnh viện Chợ Rẫy</name><beds>1800</beds></h:facility>
              <h:facility id="2"><name>A &amp; B &#272;</name><beds/><phone xsi:nil="true" xmlns:xsi="urn:xsi"/></h:facility>
              <note>mixed <b>bold</b> text</note>
              <code>0912</code>
            </facilities>"#;
        let v = to_json(xml).unwrap();
        assert_eq!(
            v,
            json!({"facilities": {
                "@count": "2",
                "facility": [
                    {"@id": "1", "name": "Bệnh viện Chợ Rẫy", "beds": "1800"},
                    {"@id": "2", "name": "A & B Đ", "beds": null, "phone": null}
                ],
                "note": {"b": "bold", "#text": "mixed  text"},
                "code": "0912"
            }})
        );
    }

    #[test]
    fn cdata_and_single_child_stay_scalar() {
        assert_eq!(to_json("<a><b><![CDATA[<x>]]></b></a>").unwrap(), json!({"a": {"b": "<x>"}}));
        assert_eq!(to_json("<a/>").unwrap(), json!({"a": null}));
    }

    #[test]
    fn refuses_malformed_entities_and_depth() {
        assert!(matches!(to_json("<a><b></a>"), Err(XmlError::Malformed(_))));
        assert!(matches!(to_json("<a>&ext;</a>"), Err(XmlError::Malformed(_))));
        assert!(matches!(to_json("<a/><b/>"), Err(XmlError::Malformed(_))));
        assert_eq!(to_json("  "), Err(XmlError::Empty));
        let deep = format!("{}{}", "<a>".repeat(MAX_DEPTH + 1), "</a>".repeat(MAX_DEPTH + 1));
        assert_eq!(to_json(&deep), Err(XmlError::TooDeep));
        // An internal DTD is read past, and its entities are not expanded.
        let bomb = r#"<!DOCTYPE a [<!ENTITY x "xxxxxxxx">]><a>&x;</a>"#;
        assert!(matches!(to_json(bomb), Err(XmlError::Malformed(_))));
    }

    const ANSWER: &str = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
        <soap:Header><t:Trace xmlns:t="urn:t">1</t:Trace></soap:Header>
        <soap:Body><m:GetFacilityResponse xmlns:m="urn:health"><m:Facility><m:Name>Trạm Y tế</m:Name></m:Facility></m:GetFacilityResponse></soap:Body>
      </soap:Envelope>"#;

    #[test]
    fn soap_answers_and_faults_are_unwrapped() {
        assert_eq!(soap_to_json(ANSWER).unwrap(), SoapBody::Answer(json!({"GetFacilityResponse": {"Facility": {"Name": "Trạm Y tế"}}})));
        let fault = r#"<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>
            <env:Fault><faultcode>Client</faultcode><faultstring>Không tìm thấy</faultstring></env:Fault></env:Body></env:Envelope>"#;
        assert_eq!(soap_to_json(fault).unwrap(), SoapBody::Fault(json!({"faultcode": "Client", "faultstring": "Không tìm thấy"})));
        assert_eq!(soap_to_json("<facility/>"), Err(XmlError::NotSoap));
    }

    #[test]
    fn finds_the_operation_of_a_request() {
        let req = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><a:To xmlns:a="urn:a">x</a:To></s:Header><s:Body>
            <h:GetFacility xmlns:h="urn:health"><h:Id>7</h:Id></h:GetFacility></s:Body></s:Envelope>"#;
        assert_eq!(soap_operation(req).unwrap(), "GetFacility");
        assert_eq!(soap_operation("<Envelope><Body/></Envelope>"), Err(XmlError::NotSoap));
        assert_eq!(soap_operation("<GetFacility/>"), Err(XmlError::NotSoap));
        assert!(soap_operation("{\"json\": true}").is_err());
    }
}
