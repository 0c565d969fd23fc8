//! The interoperability gateway (the LGSP role): an agency registers an
//! outside REST or SOAP service, grants other agencies the right to call it,
//! and CityOS proxies their calls at `/gateway/{code}/{path}`, with the
//! owner's upstream credentials added and the consumer's never forwarded,
//! XML and SOAP answers turned into JSON, a rate limit per consumer, and a
//! signed, hash-chained exchange log ([`log`]).
//!
//! Architecture invariant: nothing is sent upstream before the exchange's
//! `request` record is stored, and nothing from upstream reaches the
//! consumer before its `response` record is stored; when the log cannot be
//! written the consumer gets 503 and no upstream data (fail closed).
//!
//! API boundary: [`Gateway`], [`router`] (management under
//! `/api/datahub/gateway`), [`proxy_router`] (`/gateway/…`), [`log::verify`].

pub mod log;
mod proxy;
mod secret;
pub mod xml;

pub use proxy::proxy_router;

use crate::catalogue::{can_write, is_member};
use crate::{DataHub, DataHubError};
use axum::extract::State;
use axum::http::StatusCode;
use cityos_api::extract::{Json, Path, Query};
use cityos_api::{ApiError, Caller, Role};
use cityos_audit::AuditRecord;
use cityos_core::{from_millis, new_id, to_millis, Classification, Page, PageParams};
use cityos_events::CloudEvent;
use cityos_store::Tx;
use log::{LogFilter, LogKey, LogVerdict};
use proxy::RateLimiter;
use secret::SecretBox;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::Row as _;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Roles that manage an agency's services and grants (for that agency).
const WRITERS: [Role; 2] = [Role::DataOfficer, Role::AgencyAdmin];
/// Roles that read the exchange log (auditors; writers for their agencies' rows).
const LOG_READERS: [Role; 3] = [Role::Auditor, Role::DataOfficer, Role::AgencyAdmin];
/// REST methods a service may offer.
const REST_METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
/// Headers the owner may not use for upstream credentials: they frame the
/// request, come from the consumer, or carry the gateway's own facts.
const RESERVED_HEADERS: [&str; 14] = [
    "host",
    "content-length",
    "content-type",
    "accept",
    "accept-language",
    "soapaction",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "x-cityos-consumer",
    "x-cityos-exchange-id",
    "x-request-id",
];

/// The gateway: its service registry, grants, exchange log and proxy.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct Gateway {
    hub: DataHub,
    log_key: LogKey,
    secrets: SecretBox,
    limiter: Arc<RateLimiter>,
    http: Option<reqwest::Client>,
}

impl Gateway {
    /// The gateway over `hub`; its log and credential keys derive from the
    /// server's audit seal key.
    #[must_use]
    pub fn new(hub: DataHub, seal_key: &[u8]) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("CityOS-Gateway/", env!("CARGO_PKG_VERSION")))
            .build();
        let http = match http {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::error!(error = %e, "the gateway's HTTP client cannot be built; proxied calls will answer 503");
                None
            }
        };
        Self {
            hub,
            log_key: LogKey::derive(seal_key),
            secrets: SecretBox::derive(seal_key),
            limiter: Arc::new(RateLimiter::default()),
            http,
        }
    }

    /// The key that signs exchange records (for [`log::verify`]).
    #[must_use]
    pub fn log_key(&self) -> &LogKey {
        &self.log_key
    }
}

/// The gateway's tables: services, grants, and the exchange log (one row per
/// step of an exchange, chained by `prev_hash`/`hash`, signed).
pub(crate) const GATEWAY_SQL: &str = "
CREATE TABLE gateway_services (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    owner_agency TEXT NOT NULL,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    description_vi TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN ('rest', 'soap')),
    base_url TEXT NOT NULL,
    methods TEXT NOT NULL DEFAULT '[\"GET\"]',
    operations TEXT NOT NULL DEFAULT '[]',
    timeout_ms BIGINT NOT NULL,
    rate_limit_per_minute BIGINT NOT NULL,
    auth_header TEXT,
    auth_secret TEXT,
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended')),
    created_by TEXT,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL
);
CREATE INDEX gateway_services_owner ON gateway_services (owner_agency, code);

CREATE TABLE gateway_grants (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES gateway_services (id),
    consumer_agency TEXT NOT NULL,
    operations TEXT NOT NULL DEFAULT '[]',
    purpose TEXT NOT NULL DEFAULT '',
    expires_at BIGINT,
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    revoked_by TEXT,
    revoked_at BIGINT
);
CREATE INDEX gateway_grants_consumer ON gateway_grants (service_id, consumer_agency);

CREATE TABLE gateway_log (
    seq BIGINT PRIMARY KEY,
    exchange_id TEXT NOT NULL,
    phase TEXT NOT NULL,
    at BIGINT NOT NULL,
    service_id TEXT NOT NULL,
    service_code TEXT NOT NULL,
    owner_agency TEXT NOT NULL,
    consumer_agency TEXT NOT NULL,
    actor TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    operation TEXT,
    status BIGINT,
    outcome TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    response_sha256 TEXT,
    duration_ms BIGINT,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT NOT NULL,
    UNIQUE (exchange_id, phase)
);
CREATE INDEX gateway_log_owner ON gateway_log (owner_agency, seq);
CREATE INDEX gateway_log_consumer ON gateway_log (consumer_agency, seq);
CREATE INDEX gateway_log_service ON gateway_log (service_code, seq);
CREATE INDEX gateway_log_at ON gateway_log (at);
";

// ------------------------------------------------------------------ wire types

/// What kind of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// An HTTP API: methods and paths below the base URL.
    Rest,
    /// SOAP 1.1/1.2 over HTTP POST: operations named in the envelope's body.
    Soap,
}

impl ServiceKind {
    fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Rest => "rest",
            ServiceKind::Soap => "soap",
        }
    }
}

/// Whether a service takes calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    /// Calls are proxied.
    Active,
    /// Calls are refused (503) and logged.
    Suspended,
}

impl ServiceState {
    fn as_str(self) -> &'static str {
        match self {
            ServiceState::Active => "active",
            ServiceState::Suspended => "suspended",
        }
    }
}

/// An upstream credential as sent in requests: write-only, never echoed,
/// redacted in logs.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct UpstreamSecret(String);

impl std::fmt::Debug for UpstreamSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpstreamSecret(<redacted>)")
    }
}

impl UpstreamSecret {
    /// Wraps a credential.
    #[must_use]
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
}

/// A service as registered or updated (PUT replaces every field but `code`
/// and `owner_agency`, which cannot change, and `auth_secret`, kept when left out).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceFields {
    /// URL name: `/gateway/{code}/…`; 2–63 of `a-z`, `0-9`, `-`.
    pub code: String,
    /// The agency that offers it (its data officers manage it).
    pub owner_agency: String,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Name in English.
    #[serde(default)]
    pub name_en: String,
    /// Description in Vietnamese.
    #[serde(default)]
    pub description_vi: String,
    /// Description in English.
    #[serde(default)]
    pub description_en: String,
    /// `rest` or `soap`.
    pub kind: ServiceKind,
    /// Upstream base URL (http or https, no credentials, query or fragment).
    pub base_url: String,
    /// REST: the methods offered (default `["GET"]`). SOAP: always `POST`.
    #[serde(default)]
    pub methods: Vec<String>,
    /// SOAP: the operations offered (empty: any). REST: must be empty (grants name paths).
    #[serde(default)]
    pub operations: Vec<String>,
    /// Upstream timeout in ms, 100–60000 (default 10000).
    pub timeout_ms: Option<i64>,
    /// Calls per consumer agency per minute, 1–100000 (default 60).
    pub rate_limit_per_minute: Option<i64>,
    /// Header that carries the upstream credential, e.g. `Authorization` or `X-API-Key`.
    pub auth_header: Option<String>,
    /// The credential (write-only; on update, left out = keep, `""` = remove).
    #[schema(value_type = Option<String>, write_only)]
    pub auth_secret: Option<UpstreamSecret>,
    /// `active` (default) or `suspended`.
    pub state: Option<ServiceState>,
}

/// A registered service as the caller may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Service {
    /// Id.
    pub id: String,
    /// URL name.
    pub code: String,
    /// Owner agency code.
    pub owner_agency: String,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Name in English.
    pub name_en: String,
    /// Description in Vietnamese.
    pub description_vi: String,
    /// Description in English.
    pub description_en: String,
    /// Kind.
    pub kind: ServiceKind,
    /// Upstream base URL: shown to the owner's writers and to auditors only.
    pub base_url: Option<String>,
    /// Methods offered.
    pub methods: Vec<String>,
    /// SOAP operations offered.
    pub operations: Vec<String>,
    /// Upstream timeout (ms).
    pub timeout_ms: i64,
    /// Calls per consumer agency per minute.
    pub rate_limit_per_minute: i64,
    /// Header carrying the upstream credential.
    pub auth_header: Option<String>,
    /// Whether a credential is stored (it is never returned).
    pub has_auth_secret: bool,
    /// State.
    pub state: ServiceState,
    /// Where consumers call it.
    pub proxy_url: String,
    /// Registered (RFC 3339).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last changed.
    pub modified_at: chrono::DateTime<chrono::Utc>,
}

/// A grant as created.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantFields {
    /// The agency whose staff may call.
    pub consumer_agency: String,
    /// What it may call; empty: everything the service offers. REST:
    /// `"GET /facilities"` (that path and below), `"/facilities"` or
    /// `"* /facilities"` (any offered method). SOAP: operation names.
    #[serde(default)]
    pub operations: Vec<String>,
    /// Why (purpose and legal basis), for the record.
    #[serde(default)]
    pub purpose: String,
    /// Until when (RFC 3339); none: until revoked.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Whether a grant is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantState {
    /// In force.
    Active,
    /// Past `expires_at`.
    Expired,
    /// Revoked by the owner.
    Revoked,
}

/// A consumer agency's right to call a service.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GatewayGrant {
    /// Id.
    pub id: String,
    /// Service code.
    pub service_code: String,
    /// Consumer agency code.
    pub consumer_agency: String,
    /// Operations granted (empty: all).
    pub operations: Vec<String>,
    /// Purpose.
    pub purpose: String,
    /// Expiry.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who granted it (`user:<id>`).
    pub granted_by: String,
    /// When.
    pub granted_at: chrono::DateTime<chrono::Utc>,
    /// When it was revoked.
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// In force, expired or revoked, now.
    pub state: GrantState,
}

/// Exchange log query.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Service code.
    pub service: Option<String>,
    /// Consumer agency code.
    pub consumer: Option<String>,
    /// Exchange id.
    pub exchange_id: Option<String>,
    /// From this instant (RFC 3339), inclusive.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Until this instant (RFC 3339), exclusive.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// 1-based page.
    pub page: Option<u32>,
    /// Items per page (at most 500, default 50).
    pub per_page: Option<u32>,
}

/// Where verification starts.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// First record to check (default 1: the whole chain).
    pub from: Option<i64>,
}

// ------------------------------------------------------------------ stored services

/// A service row, with its sealed credential.
#[derive(Debug, Clone)]
pub(crate) struct ServiceRecord {
    pub id: String,
    pub code: String,
    pub owner_agency: String,
    pub name_vi: String,
    pub name_en: String,
    pub description_vi: String,
    pub description_en: String,
    pub kind: ServiceKind,
    pub base_url: String,
    pub methods: Vec<String>,
    pub operations: Vec<String>,
    pub timeout_ms: i64,
    pub rate_limit_per_minute: i64,
    pub auth_header: Option<String>,
    pub auth_secret: Option<String>,
    pub state: ServiceState,
    pub created_at: i64,
    pub modified_at: i64,
}

const SERVICE_COLUMNS: &str =
    "id, code, owner_agency, name_vi, name_en, description_vi, description_en, kind, base_url, methods, operations,
     timeout_ms, rate_limit_per_minute, auth_header, auth_secret, state, created_at, modified_at";

fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn service_row(r: &sqlx::any::AnyRow) -> Result<ServiceRecord, DataHubError> {
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    Ok(ServiceRecord {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        owner_agency: r.try_get("owner_agency")?,
        name_vi: r.try_get("name_vi")?,
        name_en: r.try_get("name_en")?,
        description_vi: r.try_get("description_vi")?,
        description_en: r.try_get("description_en")?,
        kind: if kind == "soap" { ServiceKind::Soap } else { ServiceKind::Rest },
        base_url: r.try_get("base_url")?,
        methods: json_list(&r.try_get::<String, _>("methods")?),
        operations: json_list(&r.try_get::<String, _>("operations")?),
        timeout_ms: r.try_get("timeout_ms")?,
        rate_limit_per_minute: r.try_get("rate_limit_per_minute")?,
        auth_header: r.try_get("auth_header")?,
        auth_secret: r.try_get("auth_secret")?,
        state: if state == "active" { ServiceState::Active } else { ServiceState::Suspended },
        created_at: r.try_get("created_at")?,
        modified_at: r.try_get("modified_at")?,
    })
}

/// Whether `caller` sees the service's internals (base URL): the owner's
/// writers, administrators and auditors.
fn sees_internals(caller: &Caller, owner: &str) -> bool {
    can_write(caller, owner) || caller.has_any(&[Role::Auditor])
}

fn grant_state(revoked_at: Option<i64>, expires_at: Option<i64>, now: i64) -> GrantState {
    if revoked_at.is_some() {
        GrantState::Revoked
    } else if expires_at.is_some_and(|e| e <= now) {
        GrantState::Expired
    } else {
        GrantState::Active
    }
}

// ------------------------------------------------------------------ validation

type FieldErrors = Map<String, Value>;

fn push(errors: &mut FieldErrors, field: &str, msg: impl Into<String>) {
    errors.entry(field.to_string()).or_insert_with(|| Value::String(msg.into()));
}

fn invalid(errors: FieldErrors) -> DataHubError {
    let detail = errors.iter().map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or(""))).collect::<Vec<_>>().join("; ");
    DataHubError::Api(ApiError::invalid(detail).with("errors", Value::Object(errors)))
}

fn valid_code(code: &str) -> bool {
    (2..=63).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !code.starts_with('-')
}

fn valid_operation_name(op: &str) -> bool {
    let mut chars = op.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && op.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Why a base URL is refused, if it is.
fn base_url_problem(url: &str) -> Option<&'static str> {
    if url.len() > 2000 {
        return Some("At most 2000 characters.");
    }
    let Ok(u) = reqwest::Url::parse(url) else { return Some("Not a URL.") };
    if !matches!(u.scheme(), "http" | "https") {
        return Some("Use http or https.");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Some("Put credentials in auth_header/auth_secret, not in the URL.");
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Some("No query string or fragment.");
    }
    let Some(host) = u.host_str().filter(|h| !h.is_empty()) else { return Some("The URL needs a host.") };
    // Link-local addresses are where cloud metadata services answer.
    let refused = match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => a.is_link_local() || a.is_unspecified() || a.is_broadcast(),
        Ok(std::net::IpAddr::V6(a)) => a.is_unspecified() || (a.segments()[0] & 0xffc0) == 0xfe80,
        Err(_) => false,
    };
    refused.then_some("Link-local, unspecified and broadcast addresses are refused.")
}

/// A REST grant operation: optional method (or `*`) and a path prefix.
pub(crate) fn parse_rest_operation(op: &str) -> Option<(Option<String>, String)> {
    let (method, path) = match op.split_once(' ') {
        Some((m, p)) => (Some(m.trim().to_ascii_uppercase()), p.trim()),
        None => (None, op.trim()),
    };
    if !path.starts_with('/') || path.contains(char::is_whitespace) || path.contains('?') || path.contains('#') {
        return None;
    }
    if path.split('/').any(|s| s == "." || s == "..") {
        return None;
    }
    let method = method.filter(|m| m != "*");
    Some((method, path.trim_end_matches('/').to_string()))
}

impl Gateway {
    async fn agency_exists(&self, code: &str) -> Result<bool, DataHubError> {
        Ok(self.hub.agency_map().await?.contains_key(code))
    }

    /// Checks and normalises `f`; `existing` is the stored service on update.
    async fn validated(&self, f: &ServiceFields, existing: Option<&ServiceRecord>) -> Result<ServiceFields, DataHubError> {
        let mut f = f.clone();
        let mut errors = FieldErrors::new();
        f.code = f.code.trim().to_string();
        f.owner_agency = f.owner_agency.trim().to_string();
        f.name_vi = cityos_text::nfc(f.name_vi.trim());
        f.name_en = f.name_en.trim().to_string();
        f.description_vi = cityos_text::nfc(f.description_vi.trim());
        f.description_en = f.description_en.trim().to_string();
        f.base_url = f.base_url.trim().to_string();
        if let Some(e) = existing {
            if f.code != e.code {
                push(&mut errors, "code", "The code cannot change.");
            }
            if f.owner_agency != e.owner_agency {
                push(&mut errors, "owner_agency", "The owner agency cannot change.");
            }
        }
        if !valid_code(&f.code) {
            push(&mut errors, "code", "2–63 lower-case letters, digits and hyphens, not starting with a hyphen.");
        }
        if existing.is_none() && !self.agency_exists(&f.owner_agency).await? {
            push(&mut errors, "owner_agency", format!("Unknown agency {}", f.owner_agency));
        }
        if f.name_vi.is_empty() || f.name_vi.chars().count() > 200 {
            push(&mut errors, "name_vi", "Required, at most 200 characters.");
        }
        if f.name_en.chars().count() > 200 {
            push(&mut errors, "name_en", "At most 200 characters.");
        }
        for (field, v) in [("description_vi", &f.description_vi), ("description_en", &f.description_en)] {
            if v.chars().count() > 4000 {
                push(&mut errors, field, "At most 4000 characters.");
            }
        }
        if let Some(why) = base_url_problem(&f.base_url) {
            push(&mut errors, "base_url", why);
        }
        match f.kind {
            ServiceKind::Soap => {
                if f.methods.iter().any(|m| !m.eq_ignore_ascii_case("POST")) {
                    push(&mut errors, "methods", "SOAP services are called with POST only.");
                }
                f.methods = vec!["POST".into()];
                f.operations = f.operations.iter().map(|o| o.trim().to_string()).collect();
                if let Some(bad) = f.operations.iter().find(|o| !valid_operation_name(o)) {
                    push(&mut errors, "operations", format!("{bad} is not an operation name."));
                }
            }
            ServiceKind::Rest => {
                let mut methods: Vec<String> = f.methods.iter().map(|m| m.trim().to_ascii_uppercase()).collect();
                if methods.is_empty() {
                    methods.push("GET".into());
                }
                methods.sort_by_key(|m| REST_METHODS.iter().position(|k| k == m));
                methods.dedup();
                if let Some(bad) = methods.iter().find(|m| !REST_METHODS.contains(&m.as_str())) {
                    push(&mut errors, "methods", format!("{bad} is not one of {}.", REST_METHODS.join(", ")));
                }
                f.methods = methods;
                if !f.operations.is_empty() {
                    push(&mut errors, "operations", "REST services are called by method and path; grants name the paths.");
                }
            }
        }
        f.operations.sort();
        f.operations.dedup();
        let timeout = *f.timeout_ms.get_or_insert(10_000);
        if !(100..=60_000).contains(&timeout) {
            push(&mut errors, "timeout_ms", "Between 100 and 60000.");
        }
        let rate = *f.rate_limit_per_minute.get_or_insert(60);
        if !(1..=100_000).contains(&rate) {
            push(&mut errors, "rate_limit_per_minute", "Between 1 and 100000.");
        }
        f.auth_header = f.auth_header.map(|h| h.trim().to_string()).filter(|h| !h.is_empty());
        if let Some(h) = &f.auth_header {
            let lower = h.to_ascii_lowercase();
            if http::HeaderName::from_bytes(h.as_bytes()).is_err() {
                push(&mut errors, "auth_header", "Not a header name.");
            } else if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("x-cityos-") {
                push(&mut errors, "auth_header", "That header is set by the gateway itself.");
            }
        }
        // Left out on update: the stored credential stays; `""`: removed.
        let will_have_secret = match &f.auth_secret {
            Some(s) => !s.0.is_empty(),
            None => existing.is_some_and(|e| e.auth_secret.is_some()),
        };
        if let Some(s) = f.auth_secret.as_ref().filter(|s| !s.0.is_empty()) {
            if f.auth_header.is_none() {
                push(&mut errors, "auth_secret", "Name the header that carries it in auth_header.");
            }
            if s.0.len() > 4096 || http::HeaderValue::from_str(&s.0).is_err() {
                push(&mut errors, "auth_secret", "Not a valid header value (at most 4096 visible ASCII characters).");
            }
        }
        if f.auth_header.is_some() && !will_have_secret {
            push(&mut errors, "auth_secret", "Give the credential the header carries.");
        }
        if errors.is_empty() {
            Ok(f)
        } else {
            Err(invalid(errors))
        }
    }

    fn view(&self, caller: &Caller, s: &ServiceRecord) -> Service {
        Service {
            id: s.id.clone(),
            code: s.code.clone(),
            owner_agency: s.owner_agency.clone(),
            name_vi: s.name_vi.clone(),
            name_en: s.name_en.clone(),
            description_vi: s.description_vi.clone(),
            description_en: s.description_en.clone(),
            kind: s.kind,
            base_url: sees_internals(caller, &s.owner_agency).then(|| s.base_url.clone()),
            methods: s.methods.clone(),
            operations: s.operations.clone(),
            timeout_ms: s.timeout_ms,
            rate_limit_per_minute: s.rate_limit_per_minute,
            auth_header: s.auth_header.clone(),
            has_auth_secret: s.auth_secret.is_some(),
            state: s.state,
            proxy_url: format!("{}/gateway/{}", self.hub.public_url(), s.code),
            created_at: from_millis(s.created_at),
            modified_at: from_millis(s.modified_at),
        }
    }

    pub(crate) async fn load_service(&self, code: &str) -> Result<Option<ServiceRecord>, DataHubError> {
        let sql = format!("SELECT {SERVICE_COLUMNS} FROM gateway_services WHERE code = $1");
        let row = sqlx::query(&sql).bind(code).fetch_optional(self.hub.db().reader()).await?;
        row.as_ref().map(service_row).transpose()
    }

    async fn service_or_404(&self, code: &str) -> Result<ServiceRecord, DataHubError> {
        self.load_service(code).await?.ok_or_else(|| ApiError::not_found(format!("no gateway service {code}")).into())
    }

    fn require_owner_writer(caller: &Caller, owner: &str) -> Result<(), DataHubError> {
        caller.require_any(&WRITERS)?;
        if can_write(caller, owner) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("only data officers and agency administrators of {owner} manage its gateway services")).into())
        }
    }

    /// Audit record and event for a write, then commit.
    #[expect(clippy::too_many_arguments, reason = "each write names its action, object, event and agency")]
    async fn finish(
        &self,
        mut tx: Tx,
        caller: &Caller,
        action: &str,
        object: &str,
        event: &str,
        agency: &str,
        data: Value,
    ) -> Result<(), DataHubError> {
        let rec = AuditRecord {
            actor: caller.actor(),
            action: format!("datahub.gateway.{action}"),
            object: object.to_string(),
            purpose: None,
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(1),
        };
        cityos_audit::append(&mut tx, self.hub.db().backend(), self.hub.clock(), &rec).await?;
        let ev = CloudEvent::new(
            self.hub.clock(),
            "/cityos/datahub/gateway",
            &format!("vn.cityos.datahub.gateway.{event}"),
            Classification::Internal,
            data,
        )
        .subject(object.to_string())
        .agency(Some(agency.to_string()));
        cityos_events::publish(&mut tx, &ev).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Services every staff member may discover (to ask for a grant).
    ///
    /// # Errors
    /// 401/403; database failure.
    pub async fn services(&self, caller: &Caller) -> Result<Vec<Service>, DataHubError> {
        caller.require_any(&Role::ALL)?;
        let sql = format!("SELECT {SERVICE_COLUMNS} FROM gateway_services ORDER BY owner_agency, code");
        let rows = sqlx::query(&sql).fetch_all(self.hub.db().reader()).await?;
        rows.iter().map(|r| service_row(r).map(|s| self.view(caller, &s))).collect()
    }

    /// One service.
    ///
    /// # Errors
    /// 401/403/404; database failure.
    pub async fn service(&self, caller: &Caller, code: &str) -> Result<Service, DataHubError> {
        caller.require_any(&Role::ALL)?;
        let s = self.service_or_404(code).await?;
        Ok(self.view(caller, &s))
    }

    /// Registers a service (the owner agency's data officers and agency
    /// administrators, administrators).
    ///
    /// # Errors
    /// 401/403; 409 for a code in use; 422 (`errors` names the fields).
    pub async fn register(&self, caller: &Caller, fields: &ServiceFields) -> Result<Service, DataHubError> {
        caller.require_any(&WRITERS)?;
        let f = self.validated(fields, None).await?;
        Self::require_owner_writer(caller, &f.owner_agency)?;
        let id = new_id();
        let now = to_millis(self.hub.clock().now());
        let sealed = self.sealed_secret(&id, f.auth_secret.as_ref())?;
        let mut tx = self.hub.db().begin().await?;
        if sqlx::query("SELECT id FROM gateway_services WHERE code = $1").bind(&f.code).fetch_optional(&mut *tx).await?.is_some() {
            return Err(ApiError::conflict(format!("the code {} is in use", f.code))
                .with("errors", serde_json::json!({"code": "That code is in use."}))
                .into());
        }
        sqlx::query(
            "INSERT INTO gateway_services (id, code, owner_agency, name_vi, name_en, description_vi, description_en, kind, base_url, methods,
                 operations, timeout_ms, rate_limit_per_minute, auth_header, auth_secret, state, created_by, created_at, modified_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)",
        )
        .bind(&id)
        .bind(&f.code)
        .bind(&f.owner_agency)
        .bind(&f.name_vi)
        .bind(&f.name_en)
        .bind(&f.description_vi)
        .bind(&f.description_en)
        .bind(f.kind.as_str())
        .bind(&f.base_url)
        .bind(serde_json::to_string(&f.methods).unwrap_or_default())
        .bind(serde_json::to_string(&f.operations).unwrap_or_default())
        .bind(f.timeout_ms.unwrap_or(10_000))
        .bind(f.rate_limit_per_minute.unwrap_or(60))
        .bind(f.auth_header.as_deref())
        .bind(sealed.flatten())
        .bind(f.state.unwrap_or(ServiceState::Active).as_str())
        .bind(caller.actor())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let data = serde_json::json!({ "id": id, "code": f.code, "kind": f.kind.as_str() });
        self.finish(tx, caller, "service.register", &format!("gateway_service:{id}"), "service.registered", &f.owner_agency, data).await?;
        let s = self.service_or_404(&f.code).await?;
        Ok(self.view(caller, &s))
    }

    /// `Some(None)`: remove the credential; `Some(Some(sealed))`: store it; `None`: keep.
    fn sealed_secret(&self, id: &str, s: Option<&UpstreamSecret>) -> Result<Option<Option<String>>, DataHubError> {
        match s {
            None => Ok(None),
            Some(s) if s.0.is_empty() => Ok(Some(None)),
            Some(s) => {
                let sealed = self.secrets.seal(id, &s.0).map_err(|_| ApiError::internal(&"the upstream credential cannot be sealed"))?;
                Ok(Some(Some(sealed)))
            }
        }
    }

    /// Replaces a service's fields (its owner's writers, administrators).
    ///
    /// # Errors
    /// 401/403/404/422.
    pub async fn update(&self, caller: &Caller, code: &str, fields: &ServiceFields) -> Result<Service, DataHubError> {
        caller.require_any(&WRITERS)?;
        let existing = self.service_or_404(code).await?;
        Self::require_owner_writer(caller, &existing.owner_agency)?;
        let f = self.validated(fields, Some(&existing)).await?;
        let secret = match (self.sealed_secret(&existing.id, f.auth_secret.as_ref())?, &f.auth_header) {
            // Without a header there is nothing to carry a credential.
            (_, None) => None,
            (None, Some(_)) => existing.auth_secret.clone(),
            (Some(s), Some(_)) => s,
        };
        let now = to_millis(self.hub.clock().now());
        let mut tx = self.hub.db().begin().await?;
        sqlx::query(
            "UPDATE gateway_services SET name_vi = $1, name_en = $2, description_vi = $3, description_en = $4, kind = $5, base_url = $6,
                 methods = $7, operations = $8, timeout_ms = $9, rate_limit_per_minute = $10, auth_header = $11, auth_secret = $12,
                 state = $13, modified_at = $14
             WHERE id = $15",
        )
        .bind(&f.name_vi)
        .bind(&f.name_en)
        .bind(&f.description_vi)
        .bind(&f.description_en)
        .bind(f.kind.as_str())
        .bind(&f.base_url)
        .bind(serde_json::to_string(&f.methods).unwrap_or_default())
        .bind(serde_json::to_string(&f.operations).unwrap_or_default())
        .bind(f.timeout_ms.unwrap_or(10_000))
        .bind(f.rate_limit_per_minute.unwrap_or(60))
        .bind(f.auth_header.as_deref())
        .bind(secret.as_deref())
        .bind(f.state.unwrap_or(ServiceState::Active).as_str())
        .bind(now)
        .bind(&existing.id)
        .execute(&mut *tx)
        .await?;
        let data =
            serde_json::json!({ "id": existing.id, "code": existing.code, "state": f.state.unwrap_or(ServiceState::Active).as_str() });
        let object = format!("gateway_service:{}", existing.id);
        self.finish(tx, caller, "service.update", &object, "service.updated", &existing.owner_agency, data).await?;
        let s = self.service_or_404(code).await?;
        Ok(self.view(caller, &s))
    }

    // -------------------------------------------------------------- grants

    fn grant_row(r: &sqlx::any::AnyRow, service_code: &str, now: i64) -> Result<GatewayGrant, DataHubError> {
        let expires: Option<i64> = r.try_get("expires_at")?;
        let revoked: Option<i64> = r.try_get("revoked_at")?;
        Ok(GatewayGrant {
            id: r.try_get("id")?,
            service_code: service_code.to_string(),
            consumer_agency: r.try_get("consumer_agency")?,
            operations: json_list(&r.try_get::<String, _>("operations")?),
            purpose: r.try_get("purpose")?,
            expires_at: expires.map(from_millis),
            granted_by: r.try_get("granted_by")?,
            granted_at: from_millis(r.try_get("granted_at")?),
            revoked_at: revoked.map(from_millis),
            state: grant_state(revoked, expires, now),
        })
    }

    /// A service's grants: all of them for its owner's writers, administrators
    /// and auditors; a consumer agency's members see their own agency's.
    ///
    /// # Errors
    /// 401/403/404.
    pub async fn grants(&self, caller: &Caller, code: &str) -> Result<Vec<GatewayGrant>, DataHubError> {
        caller.require_any(&Role::ALL)?;
        let s = self.service_or_404(code).await?;
        let now = to_millis(self.hub.clock().now());
        let rows = sqlx::query(
            "SELECT id, consumer_agency, operations, purpose, expires_at, granted_by, granted_at, revoked_at
             FROM gateway_grants WHERE service_id = $1 ORDER BY granted_at DESC, id",
        )
        .bind(&s.id)
        .fetch_all(self.hub.db().reader())
        .await?;
        let all = sees_internals(caller, &s.owner_agency);
        let mut out = Vec::new();
        for r in &rows {
            let g = Self::grant_row(r, &s.code, now)?;
            if all || is_member(caller, &g.consumer_agency) {
                out.push(g);
            }
        }
        Ok(out)
    }

    /// Grants `consumer_agency` the right to call a service (its owner's writers, administrators).
    ///
    /// # Errors
    /// 401/403/404/422.
    pub async fn grant(&self, caller: &Caller, code: &str, fields: &GrantFields) -> Result<GatewayGrant, DataHubError> {
        caller.require_any(&WRITERS)?;
        let s = self.service_or_404(code).await?;
        Self::require_owner_writer(caller, &s.owner_agency)?;
        let now = to_millis(self.hub.clock().now());
        let consumer = fields.consumer_agency.trim().to_string();
        let mut errors = FieldErrors::new();
        if !self.agency_exists(&consumer).await? {
            push(&mut errors, "consumer_agency", format!("Unknown agency {consumer}"));
        }
        let mut ops = Vec::new();
        for op in &fields.operations {
            match s.kind {
                ServiceKind::Soap => {
                    let op = op.trim();
                    if !valid_operation_name(op) || (!s.operations.is_empty() && !s.operations.iter().any(|o| o == op)) {
                        push(&mut errors, "operations", format!("{op} is not an operation of {}.", s.code));
                    }
                    ops.push(op.to_string());
                }
                ServiceKind::Rest => match parse_rest_operation(op) {
                    Some((Some(m), _)) if !s.methods.contains(&m) => {
                        push(&mut errors, "operations", format!("{} does not offer {m}.", s.code));
                    }
                    Some((m, p)) => ops.push(format!("{} {}", m.as_deref().unwrap_or("*"), if p.is_empty() { "/" } else { &p })),
                    None => push(&mut errors, "operations", format!("{op}: write \"METHOD /path\" or \"/path\".")),
                },
            }
        }
        ops.sort();
        ops.dedup();
        let purpose = cityos_text::nfc(fields.purpose.trim());
        if purpose.chars().count() > 2000 {
            push(&mut errors, "purpose", "At most 2000 characters.");
        }
        let expires = fields.expires_at.map(to_millis);
        if expires.is_some_and(|e| e <= now) {
            push(&mut errors, "expires_at", "Must be in the future.");
        }
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        let id = new_id();
        let mut tx = self.hub.db().begin().await?;
        sqlx::query(
            "INSERT INTO gateway_grants (id, service_id, consumer_agency, operations, purpose, expires_at, granted_by, granted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&s.id)
        .bind(&consumer)
        .bind(serde_json::to_string(&ops).unwrap_or_default())
        .bind(&purpose)
        .bind(expires)
        .bind(caller.actor())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let data = serde_json::json!({ "id": id, "service": s.code, "consumer_agency": consumer, "expires_at": expires.map(from_millis) });
        self.finish(tx, caller, "grant.create", &format!("gateway_grant:{id}"), "grant.created", &s.owner_agency, data).await?;
        Ok(GatewayGrant {
            id,
            service_code: s.code,
            consumer_agency: consumer,
            operations: ops,
            purpose,
            expires_at: expires.map(from_millis),
            granted_by: caller.actor(),
            granted_at: from_millis(now),
            revoked_at: None,
            state: GrantState::Active,
        })
    }

    /// Revokes a grant (its service owner's writers, administrators); kept for the record.
    ///
    /// # Errors
    /// 401/403/404.
    pub async fn revoke(&self, caller: &Caller, code: &str, grant_id: &str) -> Result<(), DataHubError> {
        caller.require_any(&WRITERS)?;
        let s = self.service_or_404(code).await?;
        Self::require_owner_writer(caller, &s.owner_agency)?;
        let now = to_millis(self.hub.clock().now());
        let mut tx = self.hub.db().begin().await?;
        let done = sqlx::query(
            "UPDATE gateway_grants SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND service_id = $4 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(caller.actor())
        .bind(grant_id)
        .bind(&s.id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(ApiError::not_found(format!("no grant {grant_id} in force on {code}")).into());
        }
        let data = serde_json::json!({ "id": grant_id, "service": s.code });
        self.finish(tx, caller, "grant.revoke", &format!("gateway_grant:{grant_id}"), "grant.revoked", &s.owner_agency, data).await
    }

    // -------------------------------------------------------------- log

    /// A page of the exchange log, newest first: auditors and administrators
    /// see every record; data officers and agency administrators the records
    /// of services their agencies own or call. The read is audited.
    ///
    /// # Errors
    /// 401/403.
    pub async fn log(&self, caller: &Caller, q: &LogQuery) -> Result<Page<log::LogEntry>, DataHubError> {
        caller.require_any(&LOG_READERS)?;
        let visible_to = caller.agencies_for(&LOG_READERS).map(|set| {
            let mut v: Vec<String> = set.into_iter().collect();
            v.sort();
            v
        });
        let filter = LogFilter {
            visible_to,
            service: q.service.clone(),
            consumer: q.consumer.clone(),
            exchange_id: q.exchange_id.clone(),
            from: q.from.map(to_millis),
            to: q.to.map(to_millis),
        };
        let paging = PageParams { page: q.page, per_page: q.per_page };
        let (items, total) = log::search(self.hub.db(), &filter, paging.limit(), paging.offset()).await?;
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "datahub.gateway.log.read".into(),
            object: q.service.as_ref().map_or_else(|| "gateway_log".to_string(), |s| format!("gateway_log:{s}")),
            purpose: None,
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(i64::try_from(items.len()).unwrap_or(i64::MAX)),
        };
        cityos_audit::append_now(self.hub.db(), self.hub.clock(), &rec).await?;
        Ok(Page::new(items, total, &paging))
    }

    /// Verifies the exchange log's chain and signatures (auditors, administrators).
    ///
    /// # Errors
    /// 401/403; database failure.
    pub async fn verify(&self, caller: &Caller, from: i64) -> Result<LogVerdict, DataHubError> {
        caller.require_any(&[Role::Auditor])?;
        let verdict = log::verify(self.hub.db(), &self.log_key, from).await?;
        let rec = AuditRecord {
            actor: caller.actor(),
            action: "datahub.gateway.log.verify".into(),
            object: "gateway_log".into(),
            purpose: None,
            outcome: "success".into(),
            request_id: caller.request_id.clone(),
            row_count: Some(verdict.records),
        };
        cityos_audit::append_now(self.hub.db(), self.hub.clock(), &rec).await?;
        Ok(verdict)
    }
}

// ------------------------------------------------------------------ routes

/// The management API under `/api/datahub/gateway`.
pub fn router(gw: Gateway) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_services, register_service))
        .routes(routes!(get_service, update_service))
        .routes(routes!(list_grants, create_grant))
        .routes(routes!(revoke_grant))
        .routes(routes!(read_log))
        .routes(routes!(verify_log))
        .with_state(gw)
}

/// Registered services (any staff member; the base URL only for the owner's
/// writers and auditors).
#[utoipa::path(get, path = "/api/datahub/gateway/services", tag = "datahub",
    responses((status = 200, body = Vec<Service>), (status = 401), (status = 403)))]
async fn list_services(State(gw): State<Gateway>, caller: Caller) -> Result<Json<Vec<Service>>, ApiError> {
    Ok(Json(gw.services(&caller).await?))
}

/// Registers a service (data officers and agency administrators of the owner agency).
#[utoipa::path(post, path = "/api/datahub/gateway/services", tag = "datahub", request_body = ServiceFields,
    responses((status = 201, body = Service), (status = 401), (status = 403), (status = 409), (status = 422)))]
async fn register_service(
    State(gw): State<Gateway>,
    caller: Caller,
    Json(f): Json<ServiceFields>,
) -> Result<(StatusCode, Json<Service>), ApiError> {
    Ok((StatusCode::CREATED, Json(gw.register(&caller, &f).await?)))
}

/// One service (any staff member).
#[utoipa::path(get, path = "/api/datahub/gateway/services/{code}", tag = "datahub", params(("code" = String, Path)),
    responses((status = 200, body = Service), (status = 401), (status = 403), (status = 404)))]
async fn get_service(State(gw): State<Gateway>, caller: Caller, Path(code): Path<String>) -> Result<Json<Service>, ApiError> {
    Ok(Json(gw.service(&caller, &code).await?))
}

/// Replaces a service's settings (data officers and agency administrators of the owner agency).
#[utoipa::path(put, path = "/api/datahub/gateway/services/{code}", tag = "datahub", params(("code" = String, Path)), request_body = ServiceFields,
    responses((status = 200, body = Service), (status = 401), (status = 403), (status = 404), (status = 422)))]
async fn update_service(
    State(gw): State<Gateway>,
    caller: Caller,
    Path(code): Path<String>,
    Json(f): Json<ServiceFields>,
) -> Result<Json<Service>, ApiError> {
    Ok(Json(gw.update(&caller, &code, &f).await?))
}

/// A service's grants (the owner's writers and auditors: all; consumers: their own).
#[utoipa::path(get, path = "/api/datahub/gateway/services/{code}/grants", tag = "datahub", params(("code" = String, Path)),
    responses((status = 200, body = Vec<GatewayGrant>), (status = 401), (status = 403), (status = 404)))]
async fn list_grants(State(gw): State<Gateway>, caller: Caller, Path(code): Path<String>) -> Result<Json<Vec<GatewayGrant>>, ApiError> {
    Ok(Json(gw.grants(&caller, &code).await?))
}

/// Grants a consumer agency access (data officers and agency administrators of the owner agency).
#[utoipa::path(post, path = "/api/datahub/gateway/services/{code}/grants", tag = "datahub", params(("code" = String, Path)), request_body = GrantFields,
    responses((status = 201, body = GatewayGrant), (status = 401), (status = 403), (status = 404), (status = 422)))]
async fn create_grant(
    State(gw): State<Gateway>,
    caller: Caller,
    Path(code): Path<String>,
    Json(f): Json<GrantFields>,
) -> Result<(StatusCode, Json<GatewayGrant>), ApiError> {
    Ok((StatusCode::CREATED, Json(gw.grant(&caller, &code, &f).await?)))
}

/// Revokes a grant (data officers and agency administrators of the owner agency).
#[utoipa::path(delete, path = "/api/datahub/gateway/services/{code}/grants/{id}", tag = "datahub",
    params(("code" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)))]
async fn revoke_grant(State(gw): State<Gateway>, caller: Caller, Path((code, id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    gw.revoke(&caller, &code, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The exchange log, newest first (auditors: all; data officers and agency
/// administrators: their agencies' services and calls).
#[utoipa::path(get, path = "/api/datahub/gateway/log", tag = "datahub", params(LogQuery),
    responses((status = 200, body = Page<log::LogEntry>), (status = 401), (status = 403)))]
async fn read_log(State(gw): State<Gateway>, caller: Caller, Query(q): Query<LogQuery>) -> Result<Json<Page<log::LogEntry>>, ApiError> {
    Ok(Json(gw.log(&caller, &q).await?))
}

/// Checks the exchange log's hash chain and signatures (auditors).
#[utoipa::path(get, path = "/api/datahub/gateway/log/verify", tag = "datahub", params(VerifyQuery),
    responses((status = 200, body = LogVerdict), (status = 401), (status = 403)))]
async fn verify_log(State(gw): State<Gateway>, caller: Caller, Query(q): Query<VerifyQuery>) -> Result<Json<LogVerdict>, ApiError> {
    Ok(Json(gw.verify(&caller, q.from.unwrap_or(1)).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_operations_and_urls() {
        assert!(valid_code("health-facilities") && valid_code("ab"));
        assert!(!valid_code("a") && !valid_code("-ab") && !valid_code("Ab") && !valid_code("a_b"));
        assert!(valid_operation_name("GetFacility") && !valid_operation_name("1x") && !valid_operation_name("a b"));
        assert_eq!(base_url_problem("https://api.so-yt.hcm.gov.vn/v1"), None);
        assert_eq!(base_url_problem("http://10.0.0.5:8080/soap"), None);
        assert!(base_url_problem("ftp://x/").is_some());
        assert!(base_url_problem("https://u:p@x/").is_some());
        assert!(base_url_problem("https://x/?a=1").is_some());
        assert!(base_url_problem("http://169.254.169.254/latest").is_some());
        assert!(base_url_problem("http://[fe80::1]/").is_some());
    }

    #[test]
    fn rest_operations_parse() {
        assert_eq!(parse_rest_operation("get /facilities/"), Some((Some("GET".into()), "/facilities".into())));
        assert_eq!(parse_rest_operation("* /a"), Some((None, "/a".into())));
        assert_eq!(parse_rest_operation("/"), Some((None, String::new())));
        assert_eq!(parse_rest_operation("GET facilities"), None);
        assert_eq!(parse_rest_operation("GET /a/../b"), None);
        assert_eq!(parse_rest_operation("GET /a?x=1"), None);
    }

    #[test]
    fn grant_states() {
        assert_eq!(grant_state(None, None, 5), GrantState::Active);
        assert_eq!(grant_state(None, Some(5), 5), GrantState::Expired);
        assert_eq!(grant_state(Some(1), Some(9), 5), GrantState::Revoked);
    }
}
