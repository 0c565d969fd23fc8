//! Open311 GeoReport v2 (<http://wiki.open311.org/GeoReport_v2>) at
//! `/open311/v2`, over the same reports as the 1022 queue.
//!
//! Every resource answers in JSON (`.json`) or XML (`.xml`), chosen by the
//! path's extension; errors are Open311 error arrays in the same format, with
//! the HTTP status equal to the `code`. This module holds the protocol in one
//! place: the wire types, the handlers, the XML writer and the error format
//! ([`Open311Errors`]) that the HTTP platform also uses for errors it raises on
//! `/open311` paths (credentials, rate limits, body size, unknown paths).
//!
//! Choices the specification leaves open, as CityOS answers them:
//! * **Jurisdiction.** One: [`JURISDICTION_ID`]; `jurisdiction_id` may be left
//!   out, any other value is a 404.
//! * **Services** are the leaf categories; `group` is the parent category's name.
//!   Names are Vietnamese by default; `?locale=en` (or `Accept-Language: en…`)
//!   gives English.
//! * **Status.** Open311 knows `open` and `closed`. `closed` means the city has
//!   answered: resolved (the unit says it is fixed, as FixMyStreet maps
//!   "fixed"), closed, rejected or duplicate; everything else is `open`, and a
//!   reopened report is `open` again. `status_notes` carries the precise CityOS
//!   state and the public answer.
//! * **Public data only.** Reads use the public view: no reporter name, phone or
//!   e-mail; coordinates rounded to about 100 m; phone numbers and e-mail
//!   addresses in texts masked; `address` is the ward and city, never the
//!   street address the citizen gave. `device_id` and `account_id` are not
//!   stored at all.
//! * **Creating** (`POST requests`) needs an API key (`api_key` in the form or
//!   the query string); a missing or unknown key is a 403, as the
//!   specification says (the platform's 401 for bad credentials is answered as
//!   403 on these paths, and its 422 for invalid input as 400). Requests are
//!   created synchronously: the answer carries the `service_request_id` (the
//!   tracking code) and no token, so `GET tokens/{token}` always answers 404.
//!   `address_id` is the GSO code of a ward, commune or special zone.
//!   `attribute[CODE]` values from the service definition are appended to the
//!   description (Vietnamese labels, for the unit); unknown codes are ignored.
//! * **Listing** (`GET requests`) defaults to the last 90 days, refuses ranges
//!   over 90 days, and returns at most 1,000 requests, newest first.
//!   `service_request_id` overrides every other filter, as specified.
//! * **Extension** `GET servicerequestupdates` (mySociety's Open311 extension):
//!   the public history of reports, oldest first, with the same window rules;
//!   the XML root is `service_request_updates`, as that extension documents
//!   it and mySociety's open311-adapter names it (FixMyStreet's test fixtures
//!   spell it `service_requests_updates`).
//! * Datetimes are W3C/RFC 3339 with the Ho Chi Minh City offset, e.g.
//!   `2026-11-27T10:15:00+07:00`; ids are strings.

use crate::categories::Category;
use crate::model::Status;
use crate::reports::{NewReport, PublicQuery, PublicReport, PublicUpdate, PublicUpdateQuery, Reporter};
use crate::{Channel, Feedback};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use chrono::{DateTime, FixedOffset, NaiveDate, Offset as _, Utc};
use cityos_api::{ApiError, Caller, ErrorFormat, Principal};
use cityos_identity::Credentials;
use http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;

/// The specification this API follows.
pub const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

/// The one jurisdiction served: Ho Chi Minh City.
pub const JURISDICTION_ID: &str = "hochiminhcity.gov.vn";

/// When this API's contract last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-11-27T00:00:00+07:00";

/// The most requests or updates one listing returns.
const MAX_RESULTS: i64 = 1000;

/// The default and largest date range of a listing.
const WINDOW_DAYS: i64 = 90;

/// The response formats, picked by the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.json`: `application/json; charset=utf-8`.
    Json,
    /// `.xml`: `text/xml; charset=utf-8`.
    Xml,
}

impl Format {
    fn parse(ext: &str) -> Result<Self, ApiError> {
        match ext {
            "json" => Ok(Self::Json),
            "xml" => Ok(Self::Xml),
            other => Err(ApiError::bad_request("unknown_format", format!("unknown format '{other}': use .json or .xml"))),
        }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Json => "application/json; charset=utf-8",
            Self::Xml => "text/xml; charset=utf-8",
        })
    }
}

/// Splits `name.ext` at the last dot (service codes contain dots themselves).
fn split_file(file: &str) -> Result<(&str, Format), ApiError> {
    match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => Ok((stem, Format::parse(ext)?)),
        _ => Err(ApiError::bad_request("unknown_format", "add the response format to the path: .json or .xml")),
    }
}

/// Open311 error arrays: `[{"code": 400, "description": "…"}]` or
/// `<errors><error><code>400</code><description>…</description></error></errors>`,
/// with the HTTP status equal to the code. Unknown credentials (401
/// elsewhere) are 403 here and invalid input (422 elsewhere) is 400, the
/// codes the specification uses.
#[derive(Debug, Clone, Copy)]
pub struct Open311Errors {
    format: Format,
}

impl Open311Errors {
    /// Errors as JSON.
    pub const JSON: Self = Self { format: Format::Json };
    /// Errors as XML.
    pub const XML: Self = Self { format: Format::Xml };

    /// The format for a request path: XML when its last segment ends in `.xml`.
    #[must_use]
    pub fn for_path(path: &str) -> &'static Self {
        static JSON: Open311Errors = Open311Errors::JSON;
        static XML: Open311Errors = Open311Errors::XML;
        if path.rsplit('/').next().is_some_and(|last| last.ends_with(".xml")) {
            &XML
        } else {
            &JSON
        }
    }
}

/// The status Open311 uses for an error.
fn open311_status(s: StatusCode) -> StatusCode {
    match s {
        StatusCode::UNAUTHORIZED => StatusCode::FORBIDDEN,
        StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
        other => other,
    }
}

/// One error of an error array.
#[derive(Debug, Clone, Serialize)]
pub struct Error {
    /// The HTTP status.
    pub code: u16,
    /// What went wrong.
    pub description: String,
}

impl ErrorFormat for Open311Errors {
    fn render(&self, err: &ApiError) -> Response {
        let status = open311_status(err.status);
        let e = Error { code: status.as_u16(), description: err.detail.clone().unwrap_or_else(|| err.title.clone()) };
        list(status, self.format, "errors", "error", &[e])
    }
}

/// A refusal in the request's format.
struct Refusal(ApiError, Format);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let f = match self.1 {
            Format::Json => Open311Errors::JSON,
            Format::Xml => Open311Errors::XML,
        };
        f.render(&self.0)
    }
}

type Answer = Result<Response, Refusal>;

trait OrRefuse<T> {
    fn or_refuse(self, f: Format) -> Result<T, Refusal>;
}

impl<T, E: Into<ApiError>> OrRefuse<T> for Result<T, E> {
    fn or_refuse(self, f: Format) -> Result<T, Refusal> {
        self.map_err(|e| Refusal(e.into(), f))
    }
}

// ---------------------------------------------------------------- wire types

/// `discovery`: where the API is and how to get a key.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    /// When the discovery document last changed.
    pub changeset: String,
    /// Whom to ask for help.
    pub contact: String,
    /// How to get an API key.
    pub key_service: String,
    /// The endpoints.
    pub endpoints: Vec<Endpoint>,
}

/// One endpoint of [`Discovery`].
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    /// The specification's URL.
    pub specification: String,
    /// The endpoint's base URL.
    pub url: String,
    /// When the endpoint last changed.
    pub changeset: String,
    /// `production`.
    #[serde(rename = "type")]
    pub kind: String,
    /// MIME types served.
    pub formats: Vec<String>,
}

/// A service (a leaf category).
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    /// The category code, e.g. `ROADS.POTHOLE`.
    pub service_code: String,
    /// Name in the requested language.
    pub service_name: String,
    /// Description, when the category has one.
    pub description: Option<String>,
    /// Whether a service definition with attributes exists (always true).
    pub metadata: bool,
    /// `realtime`: requests are created at once.
    #[serde(rename = "type")]
    pub kind: String,
    /// Comma-separated keywords (folded: no diacritics).
    pub keywords: String,
    /// The parent category's name.
    pub group: String,
}

/// A service definition: the attributes a request may carry.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceDefinition {
    /// The service.
    pub service_code: String,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
}

/// One attribute of a [`ServiceDefinition`].
#[derive(Debug, Clone, Serialize)]
pub struct Attribute {
    /// True: the user answers it (false would be information only).
    pub variable: bool,
    /// Sent back as `attribute[code]`.
    pub code: String,
    /// `string` or `singlevaluelist`.
    pub datatype: String,
    /// Whether a request must carry it.
    pub required: bool,
    /// Help for the answer.
    pub datatype_description: Option<String>,
    /// Display order, from 1.
    pub order: u32,
    /// The question.
    pub description: String,
    /// The choices of a list.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<AttributeValue>,
}

/// One choice of a list attribute.
#[derive(Debug, Clone, Serialize)]
pub struct AttributeValue {
    /// Sent back as the attribute's value.
    pub key: String,
    /// Shown to the user.
    pub name: String,
}

/// The answer to `POST requests`.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedRequest {
    /// The tracking code.
    pub service_request_id: String,
    /// What happens next.
    pub service_notice: Option<String>,
    /// Not used: CityOS keeps no accounts for Open311 clients' users.
    pub account_id: Option<String>,
}

/// A service request as the public sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceRequest {
    /// The tracking code.
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// The CityOS state and the public answer.
    pub status_notes: Option<String>,
    /// The service's name.
    pub service_name: Option<String>,
    /// The service (category) code.
    pub service_code: Option<String>,
    /// The description, personal data masked.
    pub description: Option<String>,
    /// The unit handling it.
    pub agency_responsible: Option<String>,
    /// The answer deadline in words.
    pub service_notice: Option<String>,
    /// Received.
    pub requested_datetime: String,
    /// Last changed.
    pub updated_datetime: Option<String>,
    /// The working-day answer deadline.
    pub expected_datetime: Option<String>,
    /// Ward and city (never the street address given).
    pub address: Option<String>,
    /// Not used.
    pub address_id: Option<String>,
    /// Not used.
    pub zipcode: Option<String>,
    /// Latitude rounded to about 100 m.
    pub lat: Option<f64>,
    /// Longitude rounded to about 100 m.
    pub long: Option<f64>,
    /// Media the reporter published.
    pub media_url: Option<String>,
}

/// One entry of `servicerequestupdates`.
#[derive(Debug, Clone, Serialize)]
pub struct RequestUpdate {
    /// The entry's id.
    pub update_id: String,
    /// The tracking code.
    pub service_request_id: String,
    /// `open` or `closed` after the change.
    pub status: String,
    /// When.
    pub updated_datetime: String,
    /// The public text, or the new state in words.
    pub description: Option<String>,
    /// Not used.
    pub media_url: Option<String>,
}

// ---------------------------------------------------------------- XML writer

/// Writes XML elements with escaped text; characters XML 1.0 cannot carry
/// are dropped.
#[derive(Debug, Default)]
struct Xml(String);

impl Xml {
    fn open(&mut self, name: &str) {
        let _ = write!(self.0, "<{name}>");
    }

    fn close(&mut self, name: &str) {
        let _ = write!(self.0, "</{name}>");
    }

    /// `<name>text</name>`, or `<name/>` for none.
    fn el(&mut self, name: &str, text: Option<&str>) {
        match text {
            Some(t) => {
                self.open(name);
                escape_into(&mut self.0, t);
                self.close(name);
            }
            None => {
                let _ = write!(self.0, "<{name}/>");
            }
        }
    }

    fn text(&mut self, name: &str, text: &str) {
        self.el(name, Some(text));
    }

    fn num<T: std::fmt::Display>(&mut self, name: &str, v: Option<T>) {
        self.el(name, v.map(|x| x.to_string()).as_deref());
    }

    fn bool(&mut self, name: &str, v: bool) {
        self.text(name, if v { "true" } else { "false" });
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

/// A wire type's XML element.
trait ToXml {
    fn write_xml(&self, x: &mut Xml, name: &str);
}

impl ToXml for Error {
    fn write_xml(&self, x: &mut Xml, name: &str) {
        x.open(name);
        x.num("code", Some(self.code));
        x.text("description", &self.description);
        x.close(name);
    }
}

impl ToXml for Discovery {
    fn write_xml(&self, x: &mut Xml, name: &str) {
        x.open(name);
        x.text("changeset", &self.changeset);
        x.text("contact", &self.contact);
        x.text("key_service", &self.key_service);
        x.open("endpoints");
        for e in &self.endpoints {
            x.open("endpoint");
            x.text("specification", &e.specification);
            x.text("url", &e.url);
            x.text("changeset", &e.changeset);
            x.text("type", &e.kind);
            x.open("formats");
            for f in &e.formats {
                x.text("format", f);
            }
            x.close("formats");
            x.close("endpoint");
        }
        x.close("endpoints");
        x.close(name);
    }
}

impl ToXml for Service {
    fn write_xml(&self, x: &mut Xml, name: &str) {
        x.open(name);
        x.text("service_code", &self.service_code);
        x.text("service_name", &self.service_name);
        x.el("description", self.description.as_deref());
        x.bool("metadata", self.metadata);
        x.text("type", &self.kind);
        x.text("keywords", &self.keywords);
        x.text("group", &self.group);
        x.close(name);
    }
}

impl ToXml for ServiceDefinition {
    fn write_xml(&self, x: &mut Xml, name: &str) {
        x.open(name);
        x.text("service_code", &self.service_code);
        x.open("attributes");
        for a in &self.attributes {
            x.open("attribute");
            x.bool("variable", a.variable);
            x.text("code", &a.code);
            x.text("datatype", &a.datatype);
            x.bool("required", a.required);
            x.el("datatype_description", a.datatype_description.as_deref());
            x.num("order", Some(a.order));
            x.text("description", &a.description);
            if !a.values.is_empty() {
                x.open("values");
                for v in &a.values {
                    x.open("value");
                    x.text("key", &v.key);
                    x.text("name", &v.name);
                    x.close("value");
                }
                x.close("values");
            }
            x.close("attribute");
        }
        x.close("attributes");
        x.close(name);
    }
}

impl ToXml for CreatedRequest {
    fn write_xml(&self, x: &mut Xml, name: &str) {
        x.open(name);
        x.text("service_request_id", &self.service_request_id);
        x.el("service_notice", self.service_notice.as_deref());
        x.el("account_id", self.account_id.as_deref());
        x.close(name);
    }
}

impl ToXml for ServiceRequest {
    fn write_xml(&self, x: &mut Xml, name: &str) {
        x.open(name);
        x.text("service_request_id", &self.service_request_id);
        x.text("status", &self.status);
        x.el("status_notes", self.status_notes.as_deref());
        x.el("service_name", self.service_name.as_deref());
        x.el("service_code", self.service_code.as_deref());
        x.el("description", self.description.as_deref());
        x.el("agency_responsible", self.agency_responsible.as_deref());
        x.el("service_notice", self.service_notice.as_deref());
        x.text("requested_datetime", &self.requested_datetime);
        x.el("updated_datetime", self.updated_datetime.as_deref());
        x.el("expected_datetime", self.expected_datetime.as_deref());
        x.el("address", self.address.as_deref());
        x.el("address_id", self.address_id.as_deref());
        x.el("zipcode", self.zipcode.as_deref());
        x.num("lat", self.lat);
        x.num("long", self.long);
        x.el("media_url", self.media_url.as_deref());
        x.close(name);
    }
}

impl ToXml for RequestUpdate {
    fn write_xml(&self, x: &mut Xml, name: &str) {
        x.open(name);
        x.text("update_id", &self.update_id);
        x.text("service_request_id", &self.service_request_id);
        x.text("status", &self.status);
        x.text("updated_datetime", &self.updated_datetime);
        x.el("description", self.description.as_deref());
        x.el("media_url", self.media_url.as_deref());
        x.close(name);
    }
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";

fn respond(status: StatusCode, format: Format, body: Vec<u8>) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, format.content_type());
    resp
}

fn json_body<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serialising plain structs of strings, numbers and booleans cannot fail.
    serde_json::to_vec(value).unwrap_or_else(|_| b"[]".to_vec())
}

/// An array: JSON `[…]`, XML `<root><item>…</item>…</root>`.
fn list<T: Serialize + ToXml>(status: StatusCode, format: Format, root: &str, item: &str, items: &[T]) -> Response {
    let body = match format {
        Format::Json => json_body(items),
        Format::Xml => {
            let mut x = Xml(XML_DECLARATION.to_string());
            x.open(root);
            for i in items {
                i.write_xml(&mut x, item);
            }
            x.close(root);
            x.0.into_bytes()
        }
    };
    respond(status, format, body)
}

/// A single object: JSON `{…}`, XML `<root>…</root>`.
fn object<T: Serialize + ToXml>(format: Format, root: &str, value: &T) -> Response {
    let body = match format {
        Format::Json => json_body(value),
        Format::Xml => {
            let mut x = Xml(XML_DECLARATION.to_string());
            value.write_xml(&mut x, root);
            x.0.into_bytes()
        }
    };
    respond(StatusCode::OK, format, body)
}

// ---------------------------------------------------------------- parameters

/// Query-string and form parameters; blank values count as absent.
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: &[u8]) -> Self {
        Self(form_urlencoded::parse(raw).into_owned().collect())
    }

    fn extend(&mut self, other: Self) {
        self.0.extend(other.0);
    }

    /// The last non-blank value (a form field overrides the query string).
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, v)| k == key && !v.trim().is_empty()).map(|(_, v)| v.trim())
    }

    /// A comma-separated list, or none when absent.
    fn list(&self, key: &str) -> Option<Vec<String>> {
        self.get(key).map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
    }

    /// `attribute[CODE]=value` pairs.
    fn attributes(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .filter_map(|(k, v)| {
                let code = k.strip_prefix("attribute[")?.strip_suffix(']')?;
                (!v.trim().is_empty()).then_some((code, v.trim()))
            })
            .collect()
    }
}

fn query_params(raw: Option<&str>) -> Params {
    raw.map(|q| Params::parse(q.as_bytes())).unwrap_or_default()
}

/// The language of names and notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Vi,
    En,
}

impl Lang {
    /// `?locale=` first, then the first `Accept-Language` tag; Vietnamese by default.
    fn pick(params: &Params, headers: &HeaderMap) -> Self {
        let tag = params.get("locale").map(str::to_string).or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(|t| t.split(';').next().unwrap_or("").trim().to_string())
        });
        match tag {
            Some(t) if t.to_ascii_lowercase().starts_with("en") => Self::En,
            _ => Self::Vi,
        }
    }

    fn pick_str<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Vi => vi,
            Self::En => en,
        }
    }

    fn code(self) -> &'static str {
        self.pick_str("vi", "en")
    }
}

fn check_jurisdiction(params: &Params) -> Result<(), ApiError> {
    match params.get("jurisdiction_id") {
        Some(j) if j != JURISDICTION_ID => {
            Err(ApiError::not_found(format!("jurisdiction_id {j} not found: this server serves {JURISDICTION_ID}")))
        }
        _ => Ok(()),
    }
}

fn hcmc_offset() -> FixedOffset {
    FixedOffset::east_opt(cityos_calendar::VIETNAM_UTC_OFFSET_SECS).unwrap_or_else(|| Utc.fix())
}

/// W3C datetime at the Ho Chi Minh City offset, e.g. `2026-11-27T10:15:00+07:00`.
#[must_use]
pub fn w3c(t: DateTime<Utc>) -> String {
    t.with_timezone(&hcmc_offset()).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Parses a W3C datetime (`2026-11-27T10:15:00+07:00`, `…Z`, without
/// seconds, or a date alone, which means that day in Ho Chi Minh City: its
/// start, or its end when `end_of_day`). A `+` sent unencoded in a query
/// string arrives as a space and is read back as `+`.
fn parse_w3c(name: &str, raw: &str, end_of_day: bool) -> Result<DateTime<Utc>, ApiError> {
    let s = raw.trim().replace(' ', "+");
    if let Ok(t) = DateTime::parse_from_rfc3339(&s) {
        return Ok(t.with_timezone(&Utc));
    }
    let zoned = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')).map_or_else(|| s.clone(), |x| format!("{x}+00:00"));
    if let Ok(t) = DateTime::parse_from_str(&zoned, "%Y-%m-%dT%H:%M%:z") {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        let start =
            d.and_time(chrono::NaiveTime::MIN).and_utc() - chrono::Duration::seconds(cityos_calendar::VIETNAM_UTC_OFFSET_SECS.into());
        return Ok(if end_of_day { cityos_calendar::end_of_local_day(d) } else { start });
    }
    Err(ApiError::bad_request("invalid_date", format!("{name} must be a W3C datetime such as 2026-11-27T10:15:00+07:00")))
}

/// `start_date`/`end_date` as an inclusive range: the last 90 days by
/// default, 90 days from a lone start or up to a lone end; never longer.
fn window(params: &Params, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let start = params.get("start_date").map(|s| parse_w3c("start_date", s, false)).transpose()?;
    let end = params.get("end_date").map(|s| parse_w3c("end_date", s, true)).transpose()?;
    let span = chrono::Duration::days(WINDOW_DAYS);
    let (from, to) = match (start, end) {
        (None, None) => (now - span, now),
        (Some(s), None) => (s, s + span),
        (None, Some(e)) => (e - span, e),
        (Some(s), Some(e)) => (s, e),
    };
    if to < from {
        return Err(ApiError::bad_request("invalid_date", "end_date is before start_date"));
    }
    if to - from > span {
        return Err(ApiError::bad_request("invalid_date", format!("start_date and end_date may not span more than {WINDOW_DAYS} days")));
    }
    Ok((from, to))
}

/// Open311's `open` or `closed` for a CityOS state (see the module docs).
#[must_use]
pub fn status_name(s: Status) -> &'static str {
    if s.is_open() {
        "open"
    } else {
        "closed"
    }
}

/// The CityOS states behind `status=open,closed`.
fn statuses(param: &str) -> Result<Vec<Status>, ApiError> {
    let mut out = Vec::new();
    for want in param.split(',').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()) {
        if want != "open" && want != "closed" {
            return Err(ApiError::bad_request("invalid_status", format!("status '{want}' is unknown: use open, closed or both")));
        }
        out.extend(Status::ALL.into_iter().filter(|s| status_name(*s) == want));
    }
    Ok(out)
}

// ---------------------------------------------------------------- services

/// One attribute CityOS asks for, with its texts in both languages.
struct AttributeSpec {
    code: &'static str,
    /// Services it applies to; empty for all.
    services: &'static [&'static str],
    question: (&'static str, &'static str),
    help: Option<(&'static str, &'static str)>,
    /// (key, Vietnamese name, English name); empty for a free `string`.
    choices: &'static [(&'static str, &'static str, &'static str)],
}

const ATTRIBUTES: &[AttributeSpec] = &[
    AttributeSpec {
        code: "landmark",
        services: &[],
        question: ("Điểm mốc gần nơi cần xử lý", "A landmark near the problem"),
        help: Some(("Ví dụ: trước cổng chợ Bến Thành", "For example: in front of Ben Thanh market's gate")),
        choices: &[],
    },
    AttributeSpec {
        code: "size",
        services: &["ROADS.POTHOLE"],
        question: ("Kích thước chỗ hư hỏng", "Size of the damage"),
        help: None,
        choices: &[
            ("small", "Nhỏ (dưới 30 cm)", "Small (under 30 cm)"),
            ("medium", "Vừa (30 cm đến 1 m)", "Medium (30 cm to 1 m)"),
            ("large", "Lớn (trên 1 m)", "Large (over 1 m)"),
        ],
    },
    AttributeSpec {
        code: "depth",
        services: &["DRAINAGE.FLOOD"],
        question: ("Độ sâu nước ngập", "How deep the water is"),
        help: None,
        choices: &[
            ("ankle", "Đến mắt cá chân", "Ankle deep"),
            ("knee", "Đến đầu gối", "Knee deep"),
            ("above_knee", "Trên đầu gối", "Above the knee"),
        ],
    },
    AttributeSpec {
        code: "blocking",
        services: &["TREES.FALLEN"],
        question: ("Cây có chắn lối đi không?", "Is it blocking the road or the sidewalk?"),
        help: None,
        choices: &[("yes", "Có", "Yes"), ("no", "Không", "No")],
    },
    AttributeSpec {
        code: "lights",
        services: &["LIGHTING.OUT"],
        question: ("Số đèn không sáng", "How many lights are out"),
        help: None,
        choices: &[("one", "Một đèn", "One light"), ("several", "Nhiều đèn", "Several lights")],
    },
];

fn attribute_specs(service: &str) -> impl Iterator<Item = &'static AttributeSpec> + '_ {
    ATTRIBUTES.iter().filter(move |a| a.services.is_empty() || a.services.contains(&service))
}

fn definition(service: &str, lang: Lang) -> ServiceDefinition {
    let attributes = attribute_specs(service)
        .zip(1..)
        .map(|(a, order)| Attribute {
            variable: true,
            code: a.code.into(),
            datatype: if a.choices.is_empty() { "string" } else { "singlevaluelist" }.into(),
            required: false,
            datatype_description: a.help.map(|(vi, en)| lang.pick_str(vi, en).to_string()),
            order,
            description: lang.pick_str(a.question.0, a.question.1).into(),
            values: a.choices.iter().map(|(k, vi, en)| AttributeValue { key: (*k).into(), name: lang.pick_str(vi, en).into() }).collect(),
        })
        .collect();
    ServiceDefinition { service_code: service.into(), attributes }
}

/// The attribute answers as lines for the unit (in Vietnamese), appended to
/// the description; unknown codes are ignored.
///
/// # Errors
/// 400 for a value outside a list or an over-long answer.
fn attribute_lines(service: &str, given: &[(&str, &str)]) -> Result<String, ApiError> {
    let mut out = String::new();
    for spec in attribute_specs(service) {
        let Some((_, value)) = given.iter().find(|(c, _)| *c == spec.code) else { continue };
        let shown = if spec.choices.is_empty() {
            if value.chars().count() > 500 {
                return Err(ApiError::bad_request("invalid_attribute", format!("attribute[{}] may be at most 500 characters", spec.code)));
            }
            (*value).to_string()
        } else {
            let keys: Vec<&str> = spec.choices.iter().map(|c| c.0).collect();
            spec.choices.iter().find(|c| c.0 == *value).map(|c| c.1.to_string()).ok_or_else(|| {
                ApiError::bad_request("invalid_attribute", format!("attribute[{}] must be one of: {}", spec.code, keys.join(", ")))
            })?
        };
        let _ = write!(out, "\n{}: {shown}", spec.question.0);
    }
    Ok(out)
}

/// Leaf categories are services.
fn is_service(c: &Category) -> bool {
    c.parent_code.is_some()
}

fn service(c: &Category, all: &[Category], lang: Lang) -> Service {
    let group = all
        .iter()
        .find(|p| Some(&p.code) == c.parent_code.as_ref())
        .map_or_else(String::new, |p| lang.pick_str(&p.name_vi, &p.name_en).to_string());
    let description = lang.pick_str(&c.description_vi, &c.description_en).trim().to_string();
    Service {
        service_code: c.code.clone(),
        service_name: lang.pick_str(&c.name_vi, &c.name_en).into(),
        description: (!description.is_empty()).then_some(description),
        metadata: true,
        kind: "realtime".into(),
        keywords: c.keywords.join(","),
        group,
    }
}

// ---------------------------------------------------------------- requests

/// Names for codes, loaded once per listing.
struct Names {
    categories: HashMap<String, Category>,
    agencies: HashMap<String, (String, String)>,
    wards: HashMap<String, String>,
    city: Option<String>,
    lang: Lang,
}

impl Names {
    async fn load(f: &Feedback, lang: Lang) -> Result<Self, ApiError> {
        let categories = f.categories().await?.into_iter().map(|c| (c.code.clone(), c)).collect();
        let identity = |e: cityos_identity::IdentityError| ApiError::from(e);
        let agencies = f.identity().agencies().await.map_err(identity)?.into_iter().map(|a| (a.code, (a.name_vi, a.name_en))).collect();
        let units = f.identity().jurisdictions().await.map_err(identity)?;
        let city = units.iter().find(|j| j.level == 1).map(|j| j.name.clone());
        let wards = units.into_iter().filter(|j| j.level == 2).map(|j| (j.code, j.name)).collect();
        Ok(Self { categories, agencies, wards, city, lang })
    }

    fn notice(&self, r: &PublicReport) -> String {
        let days = r.category_code.as_ref().and_then(|c| self.categories.get(c)).map_or(10, |c| c.deadline_days);
        let due = r.due_at.with_timezone(&hcmc_offset());
        match self.lang {
            Lang::Vi => format!("Hạn trả lời: {days} ngày làm việc (đến {})", due.format("%d/%m/%Y")),
            Lang::En => format!("Answer due within {days} working days (by {})", due.format("%Y-%m-%d")),
        }
    }

    fn request(&self, r: &PublicReport) -> ServiceRequest {
        let lang = self.lang;
        let label = lang.pick_str(&r.status_vi, &r.status_en).to_string();
        let status_notes = match &r.public_answer {
            Some(a) => format!("{label}: {a}"),
            None => label,
        };
        let address = r.jurisdiction_code.as_ref().and_then(|w| self.wards.get(w)).map(|w| match &self.city {
            Some(c) => format!("{w}, {c}"),
            None => w.clone(),
        });
        ServiceRequest {
            service_request_id: r.tracking_code.clone(),
            status: status_name(r.status).into(),
            status_notes: Some(status_notes),
            service_name: r
                .category_code
                .as_ref()
                .and_then(|c| self.categories.get(c))
                .map(|c| lang.pick_str(&c.name_vi, &c.name_en).into()),
            service_code: r.category_code.clone(),
            description: Some(r.description.clone()),
            agency_responsible: r.agency_code.as_ref().and_then(|a| self.agencies.get(a)).map(|(vi, en)| lang.pick_str(vi, en).into()),
            service_notice: Some(self.notice(r)),
            requested_datetime: w3c(r.received_at),
            updated_datetime: Some(w3c(r.updated_at)),
            expected_datetime: Some(w3c(r.due_at)),
            address,
            address_id: None,
            zipcode: None,
            lat: r.lat,
            long: r.lon,
            media_url: r.media_url.clone(),
        }
    }

    fn update(&self, u: &PublicUpdate) -> RequestUpdate {
        let status = u.status.unwrap_or(u.report_status);
        let description = u.text.clone().unwrap_or_else(|| self.lang.pick_str(status.label_vi(), status.label_en()).to_string());
        RequestUpdate {
            update_id: u.id.clone(),
            service_request_id: u.tracking_code.clone(),
            status: status_name(status).into(),
            updated_datetime: w3c(u.at),
            description: Some(description),
            media_url: None,
        }
    }
}

// ---------------------------------------------------------------- handlers

/// The Open311 routes (`/open311/v2/*`). Every route is public except
/// creating a request, which needs an API key.
pub fn router(feedback: Feedback) -> Router {
    let m = |r: MethodRouter<Feedback>| r.fallback(method_not_allowed);
    Router::new()
        .route("/open311/v2/discovery.{format}", m(get(discovery)))
        .route("/open311/v2/services.{format}", m(get(service_list)))
        .route("/open311/v2/services/{file}", m(get(service_definition)))
        .route("/open311/v2/requests.{format}", m(get(request_list).post(create_request)))
        .route("/open311/v2/requests/{file}", m(get(one_request)))
        .route("/open311/v2/tokens/{file}", m(get(token)))
        .route("/open311/v2/servicerequestupdates.{format}", m(get(request_updates)))
        .with_state(feedback)
}

async fn method_not_allowed(uri: Uri) -> Response {
    let e = ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed")
        .detail(format!("{} does not accept this method", uri.path()));
    Open311Errors::for_path(uri.path()).render(&e)
}

/// The format from a `{format}` path parameter.
fn format_of(p: Result<Path<String>, PathRejection>) -> Result<Format, Refusal> {
    let Path(ext) = p.map_err(|e| Refusal(ApiError::bad_request("invalid_path", e.body_text()), Format::Json))?;
    Format::parse(&ext).map_err(|e| Refusal(e, Format::Json))
}

/// The name and format from a `{file}` path parameter (`NAME.json`).
fn file_of(p: Result<Path<String>, PathRejection>) -> Result<(String, Format), Refusal> {
    let Path(file) = p.map_err(|e| Refusal(ApiError::bad_request("invalid_path", e.body_text()), Format::Json))?;
    let (name, format) = split_file(&file).map_err(|e| Refusal(e, Format::Json))?;
    Ok((name.to_string(), format))
}

/// GET `discovery.{format}`: the endpoint, its formats and how to get a key.
async fn discovery(State(f): State<Feedback>, p: Result<Path<String>, PathRejection>, RawQuery(q): RawQuery, headers: HeaderMap) -> Answer {
    let format = format_of(p)?;
    let params = query_params(q.as_deref());
    let lang = Lang::pick(&params, &headers);
    let base = f.public_url();
    let d = Discovery {
        changeset: CHANGESET.into(),
        contact: match lang {
            Lang::Vi => format!("Tổng đài 1022 Thành phố Hồ Chí Minh; tài liệu cho nhà phát triển: {base}/api/docs"),
            Lang::En => format!("Ho Chi Minh City 1022 call centre; developer documentation: {base}/api/docs"),
        },
        key_service: match lang {
            Lang::Vi => format!(
                "Khóa API được cấp cho tài khoản cán bộ: đăng nhập rồi gọi POST {base}/api/auth/api-keys; liên hệ quản trị viên để được cấp tài khoản"
            ),
            Lang::En => {
                format!("API keys belong to staff accounts: sign in, then call POST {base}/api/auth/api-keys; ask the administrator for an account")
            }
        },
        endpoints: vec![Endpoint {
            specification: SPECIFICATION.into(),
            url: format!("{base}/open311/v2"),
            changeset: CHANGESET.into(),
            kind: "production".into(),
            formats: vec!["application/json".into(), "text/xml".into()],
        }],
    };
    Ok(object(format, "discovery", &d))
}

/// GET `services.{format}`: every service (leaf category).
async fn service_list(
    State(f): State<Feedback>,
    p: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let format = format_of(p)?;
    let params = query_params(q.as_deref());
    check_jurisdiction(&params).or_refuse(format)?;
    let lang = Lang::pick(&params, &headers);
    let cats = f.categories().await.or_refuse(format)?;
    let services: Vec<Service> = cats.iter().filter(|c| is_service(c)).map(|c| service(c, &cats, lang)).collect();
    Ok(list(StatusCode::OK, format, "services", "service", &services))
}

/// GET `services/{service_code}.{format}`: a service's attributes.
async fn service_definition(
    State(f): State<Feedback>,
    p: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let (code, format) = file_of(p)?;
    let params = query_params(q.as_deref());
    check_jurisdiction(&params).or_refuse(format)?;
    let lang = Lang::pick(&params, &headers);
    match f.category(&code).await.or_refuse(format)? {
        Some(c) if is_service(&c) => Ok(object(format, "service_definition", &definition(&c.code, lang))),
        _ => Err(Refusal(ApiError::not_found(format!("service_code {code} not found")), format)),
    }
}

/// GET `requests.{format}`: public requests by id, service, date and status.
async fn request_list(
    State(f): State<Feedback>,
    p: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let format = format_of(p)?;
    let params = query_params(q.as_deref());
    check_jurisdiction(&params).or_refuse(format)?;
    let lang = Lang::pick(&params, &headers);
    let query = match params.list("service_request_id") {
        // The specification: service_request_id overrides every other argument.
        Some(codes) => PublicQuery { codes: Some(codes), limit: MAX_RESULTS, ..PublicQuery::default() },
        None => {
            let (from, to) = window(&params, f.clock().now()).or_refuse(format)?;
            let statuses = params.get("status").map(statuses).transpose().or_refuse(format)?;
            PublicQuery {
                codes: None,
                categories: params.list("service_code"),
                statuses,
                received_from: Some(from),
                received_to: Some(to),
                limit: MAX_RESULTS,
            }
        }
    };
    let reports = f.public_list(&query).await.or_refuse(format)?;
    let names = Names::load(&f, lang).await.or_refuse(format)?;
    let items: Vec<ServiceRequest> = reports.iter().map(|r| names.request(r)).collect();
    Ok(list(StatusCode::OK, format, "service_requests", "request", &items))
}

/// GET `requests/{service_request_id}.{format}`: one request, in an array.
async fn one_request(
    State(f): State<Feedback>,
    p: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let (code, format) = file_of(p)?;
    let params = query_params(q.as_deref());
    check_jurisdiction(&params).or_refuse(format)?;
    let lang = Lang::pick(&params, &headers);
    let reports =
        f.public_list(&PublicQuery { codes: Some(vec![code.clone()]), limit: 1, ..PublicQuery::default() }).await.or_refuse(format)?;
    if reports.is_empty() {
        return Err(Refusal(ApiError::not_found(format!("service_request_id {code} not found")), format));
    }
    let names = Names::load(&f, lang).await.or_refuse(format)?;
    let items: Vec<ServiceRequest> = reports.iter().map(|r| names.request(r)).collect();
    Ok(list(StatusCode::OK, format, "service_requests", "request", &items))
}

/// GET `tokens/{token}.{format}`: CityOS issues no tokens.
async fn token(p: Result<Path<String>, PathRejection>) -> Answer {
    let (_, format) = file_of(p)?;
    Err(Refusal(
        ApiError::not_found(
            "CityOS creates service requests synchronously and issues no tokens: POST requests answers with the service_request_id",
        ),
        format,
    ))
}

/// GET `servicerequestupdates.{format}`: the public history, oldest first.
async fn request_updates(
    State(f): State<Feedback>,
    p: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let format = format_of(p)?;
    let params = query_params(q.as_deref());
    check_jurisdiction(&params).or_refuse(format)?;
    let lang = Lang::pick(&params, &headers);
    let (from, to) = window(&params, f.clock().now()).or_refuse(format)?;
    let query = PublicUpdateQuery { codes: params.list("service_request_id"), from: Some(from), to: Some(to), limit: MAX_RESULTS };
    let updates = f.public_updates(&query).await.or_refuse(format)?;
    let names = Names::load(&f, lang).await.or_refuse(format)?;
    let items: Vec<RequestUpdate> = updates.iter().map(|u| names.update(u)).collect();
    Ok(list(StatusCode::OK, format, "service_request_updates", "request_update", &items))
}

/// The caller an API key names: the key the platform already resolved from
/// the query string or a header, else `api_key` from the form.
async fn key_holder(f: &Feedback, caller: Caller, params: &Params) -> Result<Caller, ApiError> {
    if matches!(caller.principal, Principal::Staff { api_key_id: Some(_), .. }) {
        return Ok(caller);
    }
    let invalid = || ApiError::forbidden("Invalid api_key received -- can't proceed with create_request");
    let Some(key) = params.get("api_key") else {
        return Err(ApiError::forbidden("api_key is required to create a service request"));
    };
    let creds = Credentials { api_key: Some(key.to_string()), ..Credentials::default() };
    match f.identity().authenticate(&creds).await {
        Ok(Some(a)) if matches!(a.caller.principal, Principal::Staff { api_key_id: Some(_), .. }) => {
            Ok(Caller { request_id: caller.request_id, ..a.caller })
        }
        Ok(_) | Err(cityos_identity::IdentityError::Api(_)) => Err(invalid()),
        Err(other) => Err(ApiError::unavailable(&other)),
    }
}

fn bad(code: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, detail)
}

/// POST `requests.{format}` (form-encoded; API key): files a report through
/// the Open311 channel and answers with its tracking code.
async fn create_request(
    State(f): State<Feedback>,
    caller: Caller,
    p: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let format = format_of(p)?;
    let body = body.map_err(|e| Refusal(ApiError::new(e.status(), "invalid_body", "Invalid body").detail(e.body_text()), format))?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !body.is_empty() && !content_type.is_empty() && !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(Refusal(bad("unsupported_body", "send the request as application/x-www-form-urlencoded"), format));
    }
    let mut params = query_params(q.as_deref());
    params.extend(Params::parse(&body));
    check_jurisdiction(&params).or_refuse(format)?;
    let caller = key_holder(&f, caller, &params).await.or_refuse(format)?;
    let lang = Lang::pick(&params, &headers);
    let new = new_report(&f, &params, lang).await.or_refuse(format)?;
    let media_url = params.get("media_url");
    if let Some(m) = media_url {
        if !(m.starts_with("https://") || m.starts_with("http://")) || m.len() > 2000 || m.contains(char::is_whitespace) {
            return Err(Refusal(bad("invalid_media_url", "media_url must be an http(s) URL of at most 2000 characters"), format));
        }
    }
    let report = f.file_report(&caller, &new, media_url).await.or_refuse(format)?;
    let names = Names::load(&f, lang).await.or_refuse(format)?;
    let public = f.public_report(&report.tracking_code).await.or_refuse(format)?;
    let created =
        CreatedRequest { service_request_id: report.tracking_code.clone(), service_notice: Some(names.notice(&public)), account_id: None };
    Ok(list(StatusCode::OK, format, "service_requests", "request", &[created]))
}

/// The report an Open311 form describes.
///
/// # Errors
/// 400 for a missing or unknown service, no location, or invalid fields.
async fn new_report(f: &Feedback, params: &Params, lang: Lang) -> Result<NewReport, ApiError> {
    let code = params.get("service_code").ok_or_else(|| bad("missing_service_code", "service_code is required"))?;
    let service = match f.category(code).await? {
        Some(c) if is_service(&c) => c,
        _ => return Err(bad("unknown_service_code", format!("service_code {code} not found"))),
    };
    let coord = |name: &str| -> Result<Option<f64>, ApiError> {
        params
            .get(name)
            .map(|v| {
                v.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| bad("invalid_location", format!("{name} must be a number")))
            })
            .transpose()
    };
    let (lat, lon) = (coord("lat")?, coord("long")?);
    match (lat, lon) {
        (Some(_), None) | (None, Some(_)) => return Err(bad("invalid_location", "give both lat and long, or neither")),
        (Some(la), Some(lo)) if !(-90.0..=90.0).contains(&la) || !(-180.0..=180.0).contains(&lo) => {
            return Err(bad("invalid_location", "lat must be within ±90 and long within ±180"))
        }
        _ => {}
    }
    let address_string = params.get("address_string");
    if address_string.is_some_and(|a| a.chars().count() > 500) {
        return Err(bad("invalid_location", "address_string may be at most 500 characters"));
    }
    let ward = match params.get("address_id") {
        Some(id) => {
            let units = f.identity().jurisdictions().await.map_err(ApiError::from)?;
            let unit = units.into_iter().find(|j| j.level == 2 && j.code == id).ok_or_else(|| {
                bad("invalid_location", "address_id must be the GSO code of a ward, commune or special zone (e.g. 26740)")
            })?;
            Some(unit.name)
        }
        None => None,
    };
    if lat.is_none() && address_string.is_none() && ward.is_none() {
        return Err(bad("missing_location", "a location is required: lat and long, address_string or address_id"));
    }
    // The ward's name in the address lets routing find the ward.
    let address = match (address_string, ward) {
        (Some(a), Some(w)) => Some(format!("{a}, {w}")),
        (Some(a), None) => Some(a.to_string()),
        (None, Some(w)) => Some(w),
        (None, None) => None,
    };
    let given = params.get("description");
    if given.is_some_and(|d| d.chars().count() > 4000) {
        return Err(bad("invalid_description", "description may be at most 4000 characters"));
    }
    let mut description = given.map_or_else(|| service.name_vi.clone(), str::to_string);
    description.push_str(&attribute_lines(&service.code, &params.attributes())?);
    let email = params.get("email");
    if email.is_some_and(|e| !e.contains('@') || e.contains(char::is_whitespace) || e.len() > 254) {
        return Err(bad("invalid_email", "email is not an e-mail address"));
    }
    let phone = params.get("phone");
    if phone.is_some_and(|p| p.chars().count() > 32 || !p.chars().any(|c| c.is_ascii_digit())) {
        return Err(bad("invalid_phone", "phone is not a phone number"));
    }
    let name = [params.get("first_name"), params.get("last_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    Ok(NewReport {
        channel: Channel::Open311,
        category_code: Some(service.code),
        description,
        lat,
        lon,
        address,
        reporter: Reporter { name: (!name.is_empty()).then_some(name), phone: phone.map(str::to_string), email: email.map(str::to_string) },
        anonymous: false,
        external_id: None,
        locale: Some(lang.code().into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_last_dot() {
        assert_eq!(split_file("ROADS.POTHOLE.json").unwrap(), ("ROADS.POTHOLE", Format::Json));
        assert_eq!(split_file("261127-AB3CD.xml").unwrap(), ("261127-AB3CD", Format::Xml));
        assert_eq!(split_file("x.yaml").unwrap_err().status, StatusCode::BAD_REQUEST);
        assert!(split_file("services").is_err() && split_file(".json").is_err());
    }

    #[test]
    fn xml_text_is_escaped_and_cleaned() {
        let mut s = String::new();
        escape_into(&mut s, "a<b> & \"c\" 'd'\u{1}\tđ");
        assert_eq!(s, "a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;\tđ");
    }

    #[test]
    fn errors_render_as_arrays_with_open311_codes() {
        let r = Open311Errors::for_path("/open311/v2/requests.xml").render(&ApiError::unauthorized());
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/xml; charset=utf-8");
        let r = Open311Errors::for_path("/open311/v2/requests.json").render(&ApiError::invalid("bad"));
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json; charset=utf-8");
        let mut x = Xml::default();
        Error { code: 404, description: "no <such> thing".into() }.write_xml(&mut x, "error");
        assert_eq!(x.0, "<error><code>404</code><description>no &lt;such&gt; thing</description></error>");
    }

    #[test]
    fn datetimes_are_w3c_in_ho_chi_minh_city_time() {
        let t = DateTime::parse_from_rfc3339("2026-11-27T03:15:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(w3c(t), "2026-11-27T10:15:00+07:00");
        for s in ["2026-11-27T10:15:00+07:00", "2026-11-27T03:15:00Z", "2026-11-27T10:15+07:00", "2026-11-27T10:15:00 07:00"] {
            assert_eq!(parse_w3c("d", s, false).unwrap(), t, "{s}");
        }
        assert_eq!(w3c(parse_w3c("d", "2026-11-27", false).unwrap()), "2026-11-27T00:00:00+07:00");
        assert!(w3c(parse_w3c("d", "2026-11-27", true).unwrap()).starts_with("2026-11-27T23:59:59"));
        assert!(parse_w3c("d", "27/11/2026", false).is_err());
    }

    #[test]
    fn windows_default_to_ninety_days_and_no_more() {
        let now = DateTime::parse_from_rfc3339("2026-11-27T00:00:00Z").unwrap().with_timezone(&Utc);
        let p = |q: &str| Params::parse(q.as_bytes());
        let (from, to) = window(&p(""), now).unwrap();
        assert_eq!((to - from).num_days(), 90);
        assert!(window(&p("start_date=2026-01-01&end_date=2026-11-01"), now).is_err());
        assert!(window(&p("start_date=2026-11-01&end_date=2026-10-01"), now).is_err());
        assert!(window(&p("start_date=2026-10-01T00:00:00Z"), now).is_ok());
    }

    #[test]
    fn resolved_counts_as_closed() {
        let closed: Vec<Status> = statuses("closed").unwrap();
        assert_eq!(closed, vec![Status::Resolved, Status::Closed, Status::Rejected, Status::Duplicate]);
        assert_eq!(statuses("open,closed").unwrap().len(), Status::ALL.len());
        assert!(statuses("pending").is_err());
        assert_eq!(status_name(Status::Reopened), "open");
    }

    #[test]
    fn attributes_validate_lists_and_read_for_the_unit() {
        let lines = attribute_lines("ROADS.POTHOLE", &[("size", "large"), ("landmark", "Trước chợ"), ("colour", "x")]).unwrap();
        assert_eq!(lines, "\nĐiểm mốc gần nơi cần xử lý: Trước chợ\nKích thước chỗ hư hỏng: Lớn (trên 1 m)");
        assert!(attribute_lines("ROADS.POTHOLE", &[("size", "huge")]).is_err());
        let d = definition("WASTE.DUMP", Lang::En);
        assert_eq!(d.attributes.len(), 1);
        assert_eq!(d.attributes[0].code, "landmark");
        let p = Params::parse(b"attribute%5Bsize%5D=small&attribute[landmark]=&x=1");
        assert_eq!(p.attributes(), vec![("size", "small")]);
    }
}
