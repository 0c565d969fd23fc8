//! DCAT-AP 3 export of the public catalogue (open, active datasets only),
//! as JSON-LD and as Turtle, both written from one small RDF model so that
//! the two always say the same thing (`scripts/ckanapi-check.sh` parses
//! both with rdflib and checks that the graphs are isomorphic).
//!
//! What is described, with the DCAT-AP class each one is:
//! * the catalogue (`dcat:Catalog`): title and description in Vietnamese and
//!   English, publisher (the city's People's Committee), homepage,
//!   languages, the EU data-theme taxonomy, last modification, datasets;
//! * each dataset (`dcat:Dataset`): identifier, titles and descriptions with
//!   language tags, publisher (the owner agency, a `foaf:Agent`), contact
//!   point (`vcard:Kind`), keywords, EU data themes, issued/modified
//!   (`xsd:dateTime`), spatial coverage (the ward's IRI or a `dct:Location`
//!   with a GeoJSON geometry), temporal coverage (`dct:PeriodOfTime`),
//!   accrual periodicity (EU frequency), access rights (PUBLIC), version,
//!   distributions;
//! * each distribution (`dcat:Distribution`): access and download URLs,
//!   format (EU file type), media type (IANA), licence (EU licence where one
//!   exists, else the licence's own URL), byte size.

use crate::catalogue::{Dataset, Resource, ResourceKind};
use crate::vocabulary;
use crate::{DataHub, DataHubError};
use chrono::{DateTime, SecondsFormat, Utc};
use cityos_identity::Agency;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

const PREFIXES: &[(&str, &str)] = &[
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("locn", "http://www.w3.org/ns/locn#"),
    ("gsp", "http://www.opengis.net/ont/geosparql#"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
];

const EU: &str = "http://publications.europa.eu/resource/authority/";

/// An RDF object.
#[derive(Debug, Clone, PartialEq)]
enum Obj {
    /// An IRI.
    Iri(String),
    /// A literal with a language tag or a datatype (a prefixed name).
    Lit { value: String, lang: Option<&'static str>, datatype: Option<&'static str> },
    /// A blank node, written inline.
    Blank(Node),
}

/// A subject with its types and properties (predicates are prefixed names).
#[derive(Debug, Clone, PartialEq, Default)]
struct Node {
    /// The IRI; `None` for a blank node.
    iri: Option<String>,
    types: Vec<&'static str>,
    props: Vec<(&'static str, Obj)>,
}

impl Node {
    fn new(iri: Option<String>, types: &[&'static str]) -> Self {
        Self { iri, types: types.to_vec(), props: Vec::new() }
    }

    fn iri(&mut self, p: &'static str, iri: impl Into<String>) -> &mut Self {
        self.props.push((p, Obj::Iri(iri.into())));
        self
    }

    fn text(&mut self, p: &'static str, value: &str, lang: &'static str) -> &mut Self {
        if !value.trim().is_empty() {
            self.props.push((p, Obj::Lit { value: value.to_string(), lang: Some(lang), datatype: None }));
        }
        self
    }

    fn plain(&mut self, p: &'static str, value: &str) -> &mut Self {
        self.props.push((p, Obj::Lit { value: value.to_string(), lang: None, datatype: None }));
        self
    }

    fn typed(&mut self, p: &'static str, value: String, datatype: &'static str) -> &mut Self {
        self.props.push((p, Obj::Lit { value, lang: None, datatype: Some(datatype) }));
        self
    }

    fn blank(&mut self, p: &'static str, n: Node) -> &mut Self {
        self.props.push((p, Obj::Blank(n)));
        self
    }
}

fn date_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An IRI made safe for `<…>` in Turtle: characters IRIs may not contain
/// are percent-encoded.
fn safe_iri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\') {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A Turtle string literal with every character that needs it escaped.
fn turtle_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn turtle_object(o: &Obj, indent: usize, out: &mut String) {
    match o {
        Obj::Iri(i) => {
            let _ = write!(out, "<{}>", safe_iri(i));
        }
        Obj::Lit { value, lang, datatype } => {
            out.push_str(&turtle_string(value));
            if let Some(l) = lang {
                let _ = write!(out, "@{l}");
            } else if let Some(d) = datatype {
                let _ = write!(out, "^^{d}");
            }
        }
        Obj::Blank(n) => {
            out.push_str("[\n");
            turtle_body(n, indent + 4, out);
            let _ = write!(out, "\n{}]", " ".repeat(indent));
        }
    }
}

/// The `a …; p o, o; …` part of a node, each predicate on its own line.
fn turtle_body(n: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let mut lines: Vec<String> = Vec::new();
    if !n.types.is_empty() {
        lines.push(format!("{pad}a {}", n.types.join(", ")));
    }
    let mut grouped: Vec<(&str, Vec<&Obj>)> = Vec::new();
    for (p, o) in &n.props {
        match grouped.iter_mut().find(|(q, _)| q == p) {
            Some((_, os)) => os.push(o),
            None => grouped.push((p, vec![o])),
        }
    }
    for (p, os) in grouped {
        let mut line = format!("{pad}{p} ");
        for (i, o) in os.iter().enumerate() {
            if i > 0 {
                line.push_str(" , ");
            }
            turtle_object(o, indent, &mut line);
        }
        lines.push(line);
    }
    out.push_str(&lines.join(" ;\n"));
}

fn turtle(nodes: &[Node]) -> String {
    let mut out = String::new();
    for (p, iri) in PREFIXES {
        let _ = writeln!(out, "@prefix {p}: <{iri}> .");
    }
    for n in nodes {
        out.push('\n');
        match &n.iri {
            Some(i) => {
                let _ = writeln!(out, "<{}>", safe_iri(i));
            }
            None => out.push_str("[]\n"),
        }
        turtle_body(n, 4, &mut out);
        out.push_str(" .\n");
    }
    out
}

fn jsonld_object(o: &Obj) -> Value {
    match o {
        Obj::Iri(i) => json!({ "@id": i }),
        Obj::Lit { value, lang: Some(l), .. } => json!({ "@value": value, "@language": l }),
        Obj::Lit { value, datatype: Some(d), .. } => json!({ "@value": value, "@type": d }),
        Obj::Lit { value, .. } => json!({ "@value": value }),
        Obj::Blank(n) => jsonld_node(n),
    }
}

fn jsonld_node(n: &Node) -> Value {
    let mut m = Map::new();
    if let Some(i) = &n.iri {
        m.insert("@id".into(), Value::String(i.clone()));
    }
    if !n.types.is_empty() {
        m.insert("@type".into(), n.types.iter().map(|t| Value::String((*t).to_string())).collect());
    }
    let mut grouped: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for (p, o) in &n.props {
        grouped.entry(p).or_default().push(jsonld_object(o));
    }
    for (p, vs) in grouped {
        m.insert(p.to_string(), Value::Array(vs));
    }
    Value::Object(m)
}

fn jsonld(nodes: &[Node]) -> Value {
    let context: Map<String, Value> = PREFIXES.iter().map(|(p, i)| ((*p).to_string(), Value::String((*i).to_string()))).collect();
    json!({ "@context": context, "@graph": nodes.iter().map(jsonld_node).collect::<Vec<_>>() })
}

/// The public catalogue as RDF nodes.
struct Catalogue<'a> {
    base: &'a str,
    agencies: &'a HashMap<String, Agency>,
}

impl Catalogue<'_> {
    fn agent_iri(&self, code: &str) -> String {
        format!("{}/api/3/action/organization_show?id={}", self.base, crate::ckan::org_name(code))
    }

    fn agent(&self, code: &str) -> Node {
        let mut n = Node::new(Some(self.agent_iri(code)), &["foaf:Agent", "foaf:Organization"]);
        match self.agencies.get(code) {
            Some(a) => {
                n.text("foaf:name", &a.name_vi, "vi").text("foaf:name", &a.name_en, "en");
            }
            None => {
                n.plain("foaf:name", code);
            }
        }
        n.iri("dct:type", "http://purl.org/adms/publishertype/LocalAuthority");
        n
    }

    fn dataset(&self, d: &Dataset) -> (Node, Vec<Node>) {
        let mut n = Node::new(Some(format!("{}/api/datahub/datasets/{}", self.base, d.id)), &["dcat:Dataset"]);
        n.plain("dct:identifier", &d.id);
        n.text("dct:title", &d.title_vi, "vi").text("dct:title", &d.title_en, "en");
        // dct:description is mandatory: the title stands in for an empty one.
        let desc_vi = if d.notes_vi.trim().is_empty() { &d.title_vi } else { &d.notes_vi };
        n.text("dct:description", desc_vi, "vi").text("dct:description", &d.notes_en, "en");
        n.iri("dct:publisher", self.agent_iri(&d.owner_agency));
        if !d.contact_name.is_empty() || !d.contact_email.is_empty() {
            let mut c = Node::new(None, &["vcard:Kind"]);
            let fn_ = if d.contact_name.is_empty() { &d.contact_email } else { &d.contact_name };
            c.plain("vcard:fn", fn_);
            if !d.contact_email.is_empty() {
                c.iri("vcard:hasEmail", format!("mailto:{}", d.contact_email));
            }
            n.blank("dcat:contactPoint", c);
        }
        for t in &d.tags {
            n.text("dcat:keyword", t, "vi");
        }
        for t in d.themes.iter().filter_map(|t| vocabulary::theme(t)) {
            n.iri("dcat:theme", format!("{EU}data-theme/{}", t.eu));
        }
        n.typed("dct:issued", date_time(d.created_at), "xsd:dateTime");
        n.typed("dct:modified", date_time(d.modified_at), "xsd:dateTime");
        if let Some(w) = &d.spatial_ward {
            n.iri("dct:spatial", format!("{}/api/jurisdictions/{w}", self.base));
        } else if let Some(g) = &d.spatial_geometry {
            let mut loc = Node::new(None, &["dct:Location"]);
            loc.typed("locn:geometry", g.to_string(), "gsp:geoJSONLiteral");
            n.blank("dct:spatial", loc);
        }
        if d.temporal_start.is_some() || d.temporal_end.is_some() {
            let mut period = Node::new(None, &["dct:PeriodOfTime"]);
            if let Some(s) = &d.temporal_start {
                period.typed("dcat:startDate", s.clone(), "xsd:date");
            }
            if let Some(e) = &d.temporal_end {
                period.typed("dcat:endDate", e.clone(), "xsd:date");
            }
            n.blank("dct:temporal", period);
        }
        if let Some(f) = vocabulary::frequency(&d.update_frequency) {
            n.iri("dct:accrualPeriodicity", format!("{EU}frequency/{}", f.eu));
        }
        n.iri("dct:accessRights", format!("{EU}access-right/PUBLIC"));
        n.plain("dcat:version", &d.revision.to_string());
        let mut dists = Vec::new();
        for r in &d.resources {
            let dist = self.distribution(d, r);
            if let Some(i) = &dist.iri {
                n.iri("dcat:distribution", i.clone());
            }
            dists.push(dist);
        }
        (n, dists)
    }

    fn distribution(&self, d: &Dataset, r: &Resource) -> Node {
        let iri = format!("{}/api/datahub/resources/{}", self.base, r.id);
        let mut n = Node::new(Some(iri.clone()), &["dcat:Distribution"]);
        n.text("dct:title", if r.name.is_empty() { &d.title_vi } else { &r.name }, "vi");
        n.text("dct:description", &r.description, "vi");
        // dcat:accessURL is mandatory: the resource's own page when there is no file or link yet.
        n.iri("dcat:accessURL", if r.url.is_empty() { iri.clone() } else { r.url.clone() });
        if r.kind == ResourceKind::Upload && !r.url.is_empty() {
            n.iri("dcat:downloadURL", r.url.clone());
        }
        if let Some(f) = vocabulary::file_format(&r.format) {
            n.iri("dct:format", format!("{EU}file-type/{}", f.eu));
            n.iri("dcat:mediaType", format!("http://www.iana.org/assignments/media-types/{}", f.media_type));
        }
        if let Some(l) = vocabulary::licence(&d.license_id) {
            match l.eu {
                Some(code) => n.iri("dct:license", format!("{EU}licence/{code}")),
                None => n.iri("dct:license", l.url),
            };
        }
        if let Some(size) = r.size_bytes {
            n.typed("dcat:byteSize", size.to_string(), "xsd:nonNegativeInteger");
        }
        n.typed("dct:issued", date_time(r.created_at), "xsd:dateTime");
        n.typed("dct:modified", date_time(r.modified_at), "xsd:dateTime");
        n
    }

    fn nodes(&self, datasets: &[Dataset]) -> Vec<Node> {
        let mut cat = Node::new(Some(format!("{}/api/datahub/catalog", self.base)), &["dcat:Catalog"]);
        cat.text("dct:title", "Danh mục dữ liệu mở Thành phố Hồ Chí Minh", "vi")
            .text("dct:title", "Ho Chi Minh City open data catalogue", "en")
            .text("dct:description", "Dữ liệu mở do các cơ quan của Thành phố Hồ Chí Minh công bố trên CityOS.", "vi")
            .text("dct:description", "Open data published by Ho Chi Minh City's agencies on CityOS.", "en");
        let publisher = if self.agencies.contains_key("UBND-TP") {
            "UBND-TP".to_string()
        } else {
            let mut codes: Vec<&String> = self.agencies.iter().filter(|(_, a)| a.kind == "city").map(|(c, _)| c).collect();
            codes.sort();
            codes.first().map_or_else(|| "UBND-TP".to_string(), |c| (*c).clone())
        };
        cat.iri("dct:publisher", self.agent_iri(&publisher));
        cat.iri("foaf:homepage", format!("{}/", self.base));
        cat.iri("dct:language", format!("{EU}language/VIE")).iri("dct:language", format!("{EU}language/ENG"));
        cat.iri("dcat:themeTaxonomy", format!("{EU}data-theme"));
        cat.iri("dct:spatial", format!("{}/api/jurisdictions/79", self.base));
        if let Some(latest) = datasets.iter().map(|d| d.modified_at).max() {
            cat.typed("dct:modified", date_time(latest), "xsd:dateTime");
        }
        let mut agents: Vec<String> = vec![publisher];
        let mut rest = Vec::new();
        for d in datasets {
            let (node, dists) = self.dataset(d);
            if let Some(i) = &node.iri {
                cat.iri("dcat:dataset", i.clone());
            }
            if !agents.contains(&d.owner_agency) {
                agents.push(d.owner_agency.clone());
            }
            rest.push(node);
            rest.extend(dists);
        }
        let mut nodes = vec![cat];
        nodes.extend(agents.iter().map(|a| self.agent(a)));
        nodes.extend(rest);
        nodes
    }
}

/// A serialisation of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdfFormat {
    /// JSON-LD (`application/ld+json`).
    JsonLd,
    /// Turtle (`text/turtle`).
    Turtle,
}

impl DataHub {
    /// The public catalogue in DCAT-AP 3 (anyone may read it).
    ///
    /// # Errors
    /// Database failure.
    pub async fn dcat(&self, format: RdfFormat) -> Result<String, DataHubError> {
        let datasets = self.open_datasets().await?;
        let agencies = self.agency_map().await?;
        let nodes = Catalogue { base: &self.public_url, agencies: &agencies }.nodes(&datasets);
        Ok(match format {
            RdfFormat::JsonLd => serde_json::to_string_pretty(&jsonld(&nodes)).unwrap_or_default(),
            RdfFormat::Turtle => turtle(&nodes),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turtle_strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(turtle_string("a \"b\" \\ c\nd\te\u{1}"), r#""a \"b\" \\ c\nd\te\u0001""#);
        assert_eq!(turtle_string("Bệnh viện Chợ Rẫy"), "\"Bệnh viện Chợ Rẫy\"");
    }

    #[test]
    fn iris_lose_what_turtle_forbids() {
        assert_eq!(safe_iri("http://x/a b<c>\"{}|^`\\"), "http://x/a%20b%3Cc%3E%22%7B%7D%7C%5E%60%5C");
        assert_eq!(safe_iri("mailto:a@b.vn"), "mailto:a@b.vn");
    }

    #[test]
    fn both_serialisations_carry_the_same_statements() {
        let mut n = Node::new(Some("http://x/d".into()), &["dcat:Dataset"]);
        n.text("dct:title", "Trường \"học\"", "vi").typed("dct:issued", "2025-07-01T00:00:00Z".into(), "xsd:dateTime");
        let mut c = Node::new(None, &["vcard:Kind"]);
        c.plain("vcard:fn", "Lê Văn A");
        n.blank("dcat:contactPoint", c);
        let ttl = turtle(&[n.clone()]);
        assert!(ttl.contains("<http://x/d>\n    a dcat:Dataset ;\n    dct:title \"Trường \\\"học\\\"\"@vi ;"), "{ttl}");
        assert!(ttl.contains("dcat:contactPoint [\n        a vcard:Kind ;\n        vcard:fn \"Lê Văn A\"\n    ] ."), "{ttl}");
        let j = jsonld(&[n]);
        let d = &j["@graph"][0];
        assert_eq!(d["@type"], json!(["dcat:Dataset"]));
        assert_eq!(d["dct:title"][0]["@language"], "vi");
        assert_eq!(d["dct:issued"][0]["@type"], "xsd:dateTime");
        assert_eq!(d["dcat:contactPoint"][0]["vcard:fn"][0]["@value"], "Lê Văn A");
        assert_eq!(j["@context"]["dcat"], "http://www.w3.org/ns/dcat#");
    }
}
