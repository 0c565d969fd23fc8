//! `ANY /gateway/{code}/{path}`: a consumer agency's call to a registered
//! service, in this order: who calls (staff or an API key of an agency), the
//! service, its state, the agency's grant (revoked and expired grants do not
//! count), the method, the path, the SOAP operation, the grant's operations,
//! the rate limit. Every decision after the caller's agency and the service
//! are known is logged (`refused`); an accepted call is logged (`request`)
//! before it is sent and (`response`) before it is answered, and when either
//! record cannot be written the consumer gets 503 and nothing from upstream.
//!
//! Forwarded upstream: the method, the path below the service, the query
//! string without `api_key`, the body, and only `Content-Type`, `Accept`,
//! `Accept-Language` and `SOAPAction`; added: the owner's credential header,
//! `X-CityOS-Consumer` (the agency code), `X-CityOS-Exchange-Id` and
//! `X-Request-Id`. The consumer's `Authorization`, cookies, API keys and
//! CSRF token never leave CityOS. Redirects are not followed.

use super::log::{self as xlog, Exchange, Phase};
use super::xml::{self, SoapBody};
use super::{parse_rest_operation, Gateway, ServiceKind, ServiceRecord, ServiceState};
use crate::DataHubError;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use base64::Engine as _;
use cityos_api::{ApiError, Caller, Principal, Role, Target};
use cityos_core::{new_id, to_millis};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::Row as _;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Roles whose holders may call services for their agency.
const CALLERS: [Role; 6] = [Role::AgencyAdmin, Role::DataOfficer, Role::Operator, Role::Staff, Role::Analyst, Role::Viewer];
/// Largest request body carried.
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;
/// Largest upstream answer carried.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Request headers passed upstream; every other header stays behind.
const FORWARDED_HEADERS: [&str; 4] = ["content-type", "accept", "accept-language", "soapaction"];

/// The proxy at `/gateway/{code}` and below (outside `/api`: it carries
/// other systems' payloads, not CityOS's API).
pub fn proxy_router(gw: Gateway) -> Router {
    Router::new().route("/gateway/{service}", any(proxy)).route("/gateway/{service}/{*path}", any(proxy)).with_state(gw)
}

async fn proxy(State(gw): State<Gateway>, caller: Caller, req: Request) -> Response {
    match gw.exchange(caller, req).await {
        Ok(resp) => resp,
        Err(e) => ApiError::from(e).into_response(),
    }
}

// ------------------------------------------------------------------ rate limit

/// Token buckets per (service, consumer agency): a minute's allowance may be
/// spent at once, then it refills evenly. In memory, so each CityOS node
/// counts its own calls (with N replicas a consumer gets up to N times the
/// rate); time comes from the injected clock.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    buckets: Mutex<HashMap<(String, String), Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: i64,
}

impl RateLimiter {
    /// Takes one call from the bucket, or says in how many seconds one is free.
    pub(crate) fn take(&self, service_id: &str, consumer: &str, per_minute: i64, now_ms: i64) -> Result<(), u64> {
        let capacity = per_minute.max(1) as f64;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let b = buckets.entry((service_id.to_string(), consumer.to_string())).or_insert(Bucket { tokens: capacity, at: now_ms });
        let elapsed = (now_ms - b.at).max(0) as f64;
        b.tokens = (b.tokens + elapsed * capacity / 60_000.0).min(capacity);
        b.at = b.at.max(now_ms);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait_ms = (1.0 - b.tokens) * 60_000.0 / capacity;
            let secs = (wait_ms / 1000.0).ceil() as u64;
            Err(secs.max(1))
        }
    }
}

// ------------------------------------------------------------------ helpers

/// The query string without `api_key` (a CityOS credential, however spelled).
fn forwarded_query(q: Option<&str>) -> Option<String> {
    let kept: Vec<&str> = q
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .filter(|kv| {
            let key = kv.split('=').next().unwrap_or("").to_ascii_lowercase().replace("%5f", "_");
            key != "api_key"
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("&"))
}

/// Whether `path` stays below the service's base URL: no dot segments and no
/// encoded slashes or backslashes that an upstream might decode into some.
fn safe_path(path: &str) -> bool {
    path.split('/').all(|seg| {
        let lower = seg.to_ascii_lowercase();
        let dots = lower.replace("%2e", ".");
        !(lower.contains("%2f") || lower.contains("%5c") || lower.contains('\\') || dots == "." || dots == "..")
    })
}

/// SHA-256 (hex) of `METHOD SP path[?query] LF body`.
fn request_digest(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(path_and_query.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// Whether the operations of one grant cover this call (empty: everything).
fn covers(ops: &[String], kind: ServiceKind, method: &str, path: &str, operation: Option<&str>) -> bool {
    if ops.is_empty() {
        return true;
    }
    match kind {
        ServiceKind::Soap => operation.is_some_and(|op| ops.iter().any(|o| o == op)),
        ServiceKind::Rest => ops.iter().filter_map(|o| parse_rest_operation(o)).any(|(m, prefix)| {
            m.as_deref().is_none_or(|m| m == method) && (prefix.is_empty() || path == prefix || path.starts_with(&format!("{prefix}/")))
        }),
    }
}

fn media_type(ct: Option<&str>) -> String {
    ct.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// The body as text: a BOM, else the `charset` parameter, else the XML
/// declaration's encoding, else UTF-8; NFC when it was a legacy encoding.
fn decode_text(ct: Option<&str>, body: &[u8]) -> String {
    let label = ct
        .and_then(|ct| ct.split(';').skip(1).find_map(|p| p.trim().strip_prefix("charset=").map(|c| c.trim_matches('"').to_string())))
        .or_else(|| {
            let head = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            let rest = head.strip_prefix("<?xml")?.split("?>").next()?.split("encoding=").nth(1)?.to_string();
            let quote = rest.chars().next()?;
            rest[1..].split(quote).next().map(str::to_string)
        });
    let enc = label.and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes())).unwrap_or(encoding_rs::UTF_8);
    let (text, used, _) = enc.decode(body);
    if used == encoding_rs::UTF_8 {
        text.into_owned()
    } else {
        // Legacy Vietnamese encodings spell tones as combining marks.
        cityos_text::nfc(&text)
    }
}

/// What an upstream body becomes.
#[derive(Debug)]
enum Converted {
    Empty,
    /// Valid JSON, passed through byte for byte.
    Json(Bytes),
    Value(Value),
    Fault(Value),
}

fn is_xml(mt: &str) -> bool {
    matches!(mt, "text/xml" | "application/xml" | "application/soap+xml") || mt.ends_with("+xml")
}

fn is_json(mt: &str) -> bool {
    mt == "application/json" || mt.ends_with("+json")
}

fn convert(kind: ServiceKind, ct: Option<&str>, body: Bytes) -> Result<Converted, String> {
    if body.is_empty() {
        return Ok(Converted::Empty);
    }
    let mt = media_type(ct);
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let json_like = is_json(&mt) || (mt.is_empty() && matches!(first, Some(b'{' | b'[')));
    let xml_like = is_xml(&mt) || (mt.is_empty() && first == Some(b'<')) || kind == ServiceKind::Soap;
    if json_like {
        serde_json::from_slice::<serde::de::IgnoredAny>(&body).map_err(|e| format!("the upstream sent invalid JSON: {e}"))?;
        return Ok(Converted::Json(body));
    }
    if xml_like {
        let text = decode_text(ct, &body);
        return match kind {
            ServiceKind::Soap => match xml::soap_to_json(&text).map_err(|e| format!("the upstream sent {e}"))? {
                SoapBody::Answer(v) => Ok(Converted::Value(v)),
                SoapBody::Fault(f) => Ok(Converted::Fault(f)),
            },
            ServiceKind::Rest => xml::to_json(&text).map(Converted::Value).map_err(|e| format!("the upstream sent {e}")),
        };
    }
    let ct_value = Value::String(ct.unwrap_or("application/octet-stream").to_string());
    if mt.starts_with("text/") {
        return Ok(Converted::Value(json!({ "content_type": ct_value, "text": decode_text(ct, &body) })));
    }
    Ok(Converted::Value(json!({ "content_type": ct_value, "base64": base64::engine::general_purpose::STANDARD.encode(&body) })))
}

fn log_unavailable(e: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "the gateway's exchange log cannot be written: failing closed");
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "exchange_log_unavailable", "Exchange log unavailable")
        .detail("The gateway cannot record this exchange, so it does not carry it. Retry later.")
}

/// One exchange's facts, shared by its log records.
#[derive(Debug, Clone)]
struct Ctx {
    exchange_id: String,
    service: ServiceRecord,
    consumer: String,
    actor: String,
    method: String,
    path: String,
    /// What follows the base URL upstream: the raw path below the service and the query.
    upstream_suffix: String,
    request_sha256: String,
    request_id: Option<String>,
    operation: Option<String>,
}

impl Ctx {
    fn record(
        &self,
        phase: Phase,
        status: Option<u16>,
        outcome: &str,
        response_sha256: Option<String>,
        duration_ms: Option<i64>,
    ) -> Exchange {
        Exchange {
            exchange_id: self.exchange_id.clone(),
            phase,
            service_id: self.service.id.clone(),
            service_code: self.service.code.clone(),
            owner_agency: self.service.owner_agency.clone(),
            consumer_agency: self.consumer.clone(),
            actor: self.actor.clone(),
            method: self.method.clone(),
            path: self.path.clone(),
            operation: self.operation.clone(),
            status: status.map(i64::from),
            outcome: outcome.to_string(),
            request_sha256: self.request_sha256.clone(),
            response_sha256,
            duration_ms,
            request_id: self.request_id.clone(),
        }
    }

    fn stamp(&self, resp: &mut Response, response_sha256: Option<&str>) {
        let h = resp.headers_mut();
        for (name, value) in [
            ("x-cityos-exchange-id", Some(self.exchange_id.as_str())),
            ("x-cityos-request-sha256", Some(self.request_sha256.as_str())),
            ("x-cityos-response-sha256", response_sha256),
        ] {
            if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
                h.insert(name, v);
            }
        }
    }
}

/// What the consumer is answered, and how the log records it.
struct Delivery {
    response: Response,
    status: u16,
    outcome: &'static str,
}

fn problem(status: StatusCode, code: &'static str, title: &str, detail: String) -> ApiError {
    ApiError::new(status, code, title).detail(detail)
}

impl Delivery {
    fn of(err: ApiError, outcome: &'static str) -> Self {
        let status = err.status.as_u16();
        Self { response: err.into_response(), status, outcome }
    }
}

/// Turns the upstream's answer into the consumer's.
fn deliver(kind: ServiceKind, upstream: StatusCode, ct: Option<&str>, body: Bytes) -> Delivery {
    let code = upstream.as_u16();
    let converted = convert(kind, ct, body);
    let upstream_body = |c: &Result<Converted, String>| match c {
        Ok(Converted::Json(b)) => serde_json::from_slice::<Value>(b).unwrap_or(Value::Null),
        Ok(Converted::Value(v) | Converted::Fault(v)) => v.clone(),
        _ => Value::Null,
    };
    if matches!(code, 401 | 403 | 407) {
        let e = problem(
            StatusCode::BAD_GATEWAY,
            "upstream_refused",
            "Upstream refused the gateway",
            format!("The upstream service answered {code} to the gateway's credentials; its owner must update them."),
        )
        .with("upstream_status", code);
        return Delivery::of(e, "upstream_refused");
    }
    if upstream.is_server_error() || upstream.is_redirection() || upstream.is_informational() {
        let e = problem(StatusCode::BAD_GATEWAY, "upstream_error", "Upstream error", format!("The upstream service answered {code}."))
            .with("upstream_status", code)
            .with("upstream_body", upstream_body(&converted));
        let outcome = if matches!(converted, Ok(Converted::Fault(_))) { "upstream_fault" } else { "upstream_error" };
        return Delivery::of(e, outcome);
    }
    match converted {
        Err(why) => Delivery::of(
            problem(StatusCode::BAD_GATEWAY, "invalid_response", "Invalid upstream response", why).with("upstream_status", code),
            "invalid_response",
        ),
        Ok(Converted::Fault(f)) => {
            let status = if upstream.is_client_error() { upstream } else { StatusCode::BAD_GATEWAY };
            let e = problem(status, "upstream_fault", "SOAP fault", "The upstream service answered with a SOAP fault.".into())
                .with("upstream_status", code)
                .with("fault", f);
            Delivery::of(e, "upstream_fault")
        }
        Ok(c) => {
            let outcome = if upstream.is_success() { "success" } else { "upstream_client_error" };
            let response = match c {
                Converted::Empty => upstream.into_response(),
                Converted::Json(b) => (upstream, [(header::CONTENT_TYPE, "application/json")], b).into_response(),
                Converted::Value(v) | Converted::Fault(v) => (upstream, axum::Json(v)).into_response(),
            };
            Delivery { response, status: code, outcome }
        }
    }
}

// ------------------------------------------------------------------ the exchange

struct GrantRow {
    operations: Vec<String>,
    expires_at: Option<i64>,
}

impl Gateway {
    async fn live_grants(&self, service_id: &str, consumer: &str) -> Result<Vec<GrantRow>, DataHubError> {
        let rows = sqlx::query(
            "SELECT operations, expires_at FROM gateway_grants WHERE service_id = $1 AND consumer_agency = $2 AND revoked_at IS NULL",
        )
        .bind(service_id)
        .bind(consumer)
        .fetch_all(self.hub.db().reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(GrantRow { operations: super::json_list(&r.try_get::<String, _>("operations")?), expires_at: r.try_get("expires_at")? })
            })
            .collect()
    }

    async fn append(&self, record: &Exchange) -> Result<(), ApiError> {
        xlog::append(self.hub.db(), self.hub.clock(), &self.log_key, record).await.map(|_| ()).map_err(|e| log_unavailable(&e))
    }

    /// Logs a refusal, then answers it (503 instead when the log cannot be written).
    async fn refuse(&self, ctx: &Ctx, err: ApiError, outcome: &str, retry_after: Option<u64>) -> Response {
        let record = ctx.record(Phase::Refused, Some(err.status.as_u16()), outcome, None, None);
        let mut resp = match self.append(&record).await {
            Ok(()) => {
                let mut r = err.into_response();
                if let Some(secs) = retry_after {
                    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                r
            }
            Err(e) => e.into_response(),
        };
        ctx.stamp(&mut resp, None);
        resp
    }

    async fn exchange(&self, caller: Caller, req: Request) -> Result<Response, DataHubError> {
        caller.require_staff()?;
        let Principal::Staff { agency: Some(consumer), .. } = &caller.principal else {
            return Err(ApiError::forbidden("the gateway serves agencies, and this account belongs to none").into());
        };
        let consumer = consumer.clone();
        if !caller.has_for(&CALLERS, &Target { agency: Some(&consumer), jurisdiction: None }) {
            return Err(ApiError::forbidden(format!("calling gateway services for {consumer} needs a role in it")).into());
        }
        let (parts, body) = req.into_parts();
        let rest = parts.uri.path().strip_prefix("/gateway/").unwrap_or("");
        let (code, sub) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let service = self.load_service(code).await?.ok_or_else(|| ApiError::not_found(format!("no gateway service {code}")))?;
        let body = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await.map_err(|_| {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Request body too large")
                .detail(format!("The gateway carries at most {MAX_REQUEST_BYTES} bytes."))
        })?;
        let path = if sub.is_empty() { "/".to_string() } else { sub.to_string() };
        let query = forwarded_query(parts.uri.query());
        let path_and_query = match &query {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        let upstream_suffix = match &query {
            Some(q) => format!("{sub}?{q}"),
            None => sub.to_string(),
        };
        let method = parts.method.as_str().to_string();
        let mut ctx = Ctx {
            exchange_id: new_id(),
            request_sha256: request_digest(&method, &path_and_query, &body),
            service,
            consumer,
            actor: caller.actor(),
            method,
            path,
            upstream_suffix,
            request_id: caller.request_id.clone(),
            operation: None,
        };
        let s = &ctx.service;
        let now = to_millis(self.hub.clock().now());

        if s.state == ServiceState::Suspended {
            let e = problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_suspended",
                "Service suspended",
                format!("{} is suspended by its owner.", s.code),
            );
            return Ok(self.refuse(&ctx, e, "suspended", None).await);
        }
        let grants = self.live_grants(&s.id, &ctx.consumer).await?;
        if grants.is_empty() {
            let e = ApiError::forbidden(format!("{} has no grant to call {}; ask {} for one", ctx.consumer, s.code, s.owner_agency));
            return Ok(self.refuse(&ctx, e, "no_grant", None).await);
        }
        let live: Vec<&GrantRow> = grants.iter().filter(|g| g.expires_at.is_none_or(|e| e > now)).collect();
        if live.is_empty() {
            let e = ApiError::forbidden(format!("the grant of {} to call {} has expired", ctx.consumer, s.code));
            return Ok(self.refuse(&ctx, e, "grant_expired", None).await);
        }
        if !s.methods.contains(&ctx.method) {
            let e = problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
                format!("{} offers {}.", s.code, s.methods.join(", ")),
            )
            .with("allow", s.methods.join(", "));
            return Ok(self.refuse(&ctx, e, "method_not_allowed", None).await);
        }
        if !safe_path(&ctx.path) {
            let e = ApiError::bad_request("bad_path", "The path may not contain dot segments or encoded slashes.");
            return Ok(self.refuse(&ctx, e, "bad_request", None).await);
        }
        if s.kind == ServiceKind::Soap {
            let ct = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
            match xml::soap_operation(&decode_text(ct, &body)) {
                Ok(op) if s.operations.is_empty() || s.operations.contains(&op) => ctx.operation = Some(op),
                Ok(op) => {
                    ctx.operation = Some(op.clone());
                    let e = ApiError::bad_request("unknown_operation", format!("{} does not offer the operation {op}.", ctx.service.code));
                    return Ok(self.refuse(&ctx, e, "bad_request", None).await);
                }
                Err(why) => {
                    let e = ApiError::bad_request("bad_soap_request", format!("The body is not a SOAP request: {why}."));
                    return Ok(self.refuse(&ctx, e, "bad_request", None).await);
                }
            }
        }
        let s = &ctx.service;
        if !live.iter().any(|g| covers(&g.operations, s.kind, &ctx.method, &ctx.path, ctx.operation.as_deref())) {
            let what = ctx.operation.clone().unwrap_or_else(|| format!("{} {}", ctx.method, ctx.path));
            let e = ApiError::forbidden(format!("the grant of {} on {} does not cover {what}", ctx.consumer, s.code));
            return Ok(self.refuse(&ctx, e, "operation_not_granted", None).await);
        }
        let credential = match (&s.auth_header, &s.auth_secret) {
            (Some(h), Some(sealed)) => match self.secrets.open(&s.id, sealed) {
                Some(secret) => Some((h.clone(), secret)),
                None => {
                    let e = problem(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "credential_unavailable",
                        "Upstream credential unavailable",
                        "The upstream credential cannot be read (was the seal key changed?); the owner must enter it again.".into(),
                    );
                    return Ok(self.refuse(&ctx, e, "credential_unavailable", None).await);
                }
            },
            _ => None,
        };
        let Some(client) = self.http.clone() else {
            return Err(ApiError::unavailable(&"the gateway's HTTP client is unavailable").into());
        };
        if let Err(secs) = self.limiter.take(&s.id, &ctx.consumer, s.rate_limit_per_minute, now) {
            let e =
                ApiError::too_many_requests().detail(format!("{} allows {} calls a minute per agency.", s.code, s.rate_limit_per_minute));
            return Ok(self.refuse(&ctx, e, "rate_limited", Some(secs)).await);
        }

        // Nothing leaves before the request is on record.
        if let Err(e) = self.append(&ctx.record(Phase::Request, None, "forwarded", None, None)).await {
            let mut resp = e.into_response();
            ctx.stamp(&mut resp, None);
            return Ok(resp);
        }
        // The exchange finishes (and is logged) even if the consumer goes away.
        let gw = self.clone();
        let headers = parts.headers;
        let task = tokio::spawn(async move { gw.forward(ctx, client, &headers, credential, body).await });
        match task.await {
            Ok(resp) => Ok(resp),
            Err(e) => Err(ApiError::internal(&e).into()),
        }
    }

    /// Sends the call upstream, logs the answer, and answers the consumer.
    async fn forward(
        &self,
        ctx: Ctx,
        client: reqwest::Client,
        headers: &HeaderMap,
        credential: Option<(String, String)>,
        body: Bytes,
    ) -> Response {
        let s = &ctx.service;
        // The service's own URL for `/gateway/{code}`, and below it for longer paths.
        let url = if ctx.upstream_suffix.starts_with('/') {
            format!("{}{}", s.base_url.trim_end_matches('/'), ctx.upstream_suffix)
        } else {
            format!("{}{}", s.base_url, ctx.upstream_suffix)
        };
        let started = Instant::now();
        let method = Method::from_bytes(ctx.method.as_bytes()).unwrap_or(Method::GET);
        let mut rb = client.request(method, &url).timeout(Duration::from_millis(u64::try_from(s.timeout_ms).unwrap_or(10_000))).body(body);
        for name in FORWARDED_HEADERS {
            for v in headers.get_all(name) {
                rb = rb.header(name, v);
            }
        }
        rb = rb.header("x-cityos-consumer", &ctx.consumer).header("x-cityos-exchange-id", &ctx.exchange_id);
        if let Some(id) = &ctx.request_id {
            rb = rb.header("x-request-id", id);
        }
        if let Some((name, secret)) = &credential {
            rb = rb.header(name.as_str(), secret.as_str());
        }
        let outcome = match rb.send().await {
            Ok(resp) => {
                let status = resp.status();
                let ct = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
                match read_limited(resp).await {
                    Ok(bytes) => {
                        let digest = hex::encode(Sha256::digest(&bytes));
                        (deliver(s.kind, status, ct.as_deref(), bytes), Some(digest))
                    }
                    Err(failure) => (failure, None),
                }
            }
            Err(e) => (transport_failure(&e, s.timeout_ms), None),
        };
        let (delivery, response_sha256) = outcome;
        let duration = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let record = ctx.record(Phase::Response, Some(delivery.status), delivery.outcome, response_sha256.clone(), Some(duration));
        // Nothing from upstream reaches the consumer unless its answer is on record.
        match self.append(&record).await {
            Ok(()) => {
                let mut resp = delivery.response;
                ctx.stamp(&mut resp, response_sha256.as_deref());
                resp
            }
            Err(e) => {
                let mut resp = e.into_response();
                ctx.stamp(&mut resp, None);
                resp
            }
        }
    }
}

fn transport_failure(e: &reqwest::Error, timeout_ms: i64) -> Delivery {
    if e.is_timeout() {
        let err = problem(
            StatusCode::GATEWAY_TIMEOUT,
            "upstream_timeout",
            "Upstream timeout",
            format!("The upstream service did not answer within {timeout_ms} ms."),
        );
        Delivery::of(err, "timeout")
    } else {
        tracing::warn!(error = %e, "gateway upstream unreachable");
        Delivery::of(
            problem(
                StatusCode::BAD_GATEWAY,
                "upstream_unreachable",
                "Upstream unreachable",
                "The upstream service could not be reached.".into(),
            ),
            "unreachable",
        )
    }
}

/// The upstream body, at most [`MAX_RESPONSE_BYTES`].
async fn read_limited(mut resp: reqwest::Response) -> Result<Bytes, Delivery> {
    let mut buf = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    let e = problem(
                        StatusCode::BAD_GATEWAY,
                        "upstream_too_large",
                        "Upstream answer too large",
                        format!("The gateway carries answers of at most {MAX_RESPONSE_BYTES} bytes."),
                    );
                    return Err(Delivery::of(e, "too_large"));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(Bytes::from(buf)),
            Err(e) => {
                if e.is_timeout() {
                    let err = problem(
                        StatusCode::GATEWAY_TIMEOUT,
                        "upstream_timeout",
                        "Upstream timeout",
                        "The upstream service did not finish its answer in time.".into(),
                    );
                    return Err(Delivery::of(err, "timeout"));
                }
                return Err(Delivery::of(
                    problem(StatusCode::BAD_GATEWAY, "upstream_error", "Upstream error", "The upstream answer broke off.".into()),
                    "upstream_error",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_never_travel_in_the_query() {
        assert_eq!(forwarded_query(Some("api_key=cok_1&x=1&API%5fKEY=2&y")), Some("x=1&y".into()));
        assert_eq!(forwarded_query(Some("api_key=cok_1")), None);
        assert_eq!(forwarded_query(None), None);
    }

    #[test]
    fn paths_stay_below_the_service() {
        assert!(safe_path("/facilities/12") && safe_path("/") && safe_path("/a..b"));
        for bad in ["/../x", "/a/./b", "/%2e%2E/x", "/a%2Fb", "/a%5cb", "/a\\b", "/.%2e"] {
            assert!(!safe_path(bad), "{bad}");
        }
    }

    #[test]
    fn grant_operations_cover_methods_and_path_prefixes() {
        let ops = vec!["GET /facilities".to_string(), "* /beds".to_string()];
        let rest = |m: &str, p: &str| covers(&ops, ServiceKind::Rest, m, p, None);
        assert!(rest("GET", "/facilities") && rest("GET", "/facilities/7") && rest("POST", "/beds/1"));
        assert!(!rest("POST", "/facilities") && !rest("GET", "/facilitiesx") && !rest("GET", "/"));
        assert!(covers(&[], ServiceKind::Rest, "DELETE", "/x", None));
        assert!(covers(&["GET /".into()], ServiceKind::Rest, "GET", "/anything", None));
        let soap = vec!["GetFacility".to_string()];
        assert!(covers(&soap, ServiceKind::Soap, "POST", "/", Some("GetFacility")));
        assert!(!covers(&soap, ServiceKind::Soap, "POST", "/", Some("DeleteFacility")));
    }

    #[test]
    fn buckets_refill_with_the_clock() {
        let l = RateLimiter::default();
        assert!(l.take("s", "A", 2, 0).is_ok() && l.take("s", "A", 2, 0).is_ok());
        assert_eq!(l.take("s", "A", 2, 0), Err(30));
        assert!(l.take("s", "B", 2, 0).is_ok(), "each consumer has its own bucket");
        assert!(l.take("s", "A", 2, 30_000).is_ok());
        assert!(l.take("s", "A", 2, 30_000).is_err());
    }

    #[test]
    fn answers_become_json() {
        let xml = Bytes::from_static(b"<a><b>1</b><b>2</b></a>");
        assert!(
            matches!(convert(ServiceKind::Rest, Some("application/xml"), xml), Ok(Converted::Value(v)) if v == json!({"a": {"b": ["1", "2"]}}))
        );
        let json = Bytes::from_static(br#"{"x": 1}"#);
        assert!(matches!(convert(ServiceKind::Rest, Some("application/json"), json.clone()), Ok(Converted::Json(b)) if b == json));
        assert!(convert(ServiceKind::Rest, Some("application/json"), Bytes::from_static(b"{nope")).is_err());
        let text = convert(ServiceKind::Rest, Some("text/plain; charset=utf-8"), Bytes::from_static("Đ".as_bytes()));
        assert!(matches!(text, Ok(Converted::Value(v)) if v["text"] == "Đ"));
        let bin = convert(ServiceKind::Rest, Some("application/pdf"), Bytes::from_static(b"%PDF"));
        assert!(matches!(bin, Ok(Converted::Value(v)) if v["base64"] == "JVBERg=="));
        // Windows-1258, as older Vietnamese systems may answer.
        // "Sở Y tế" in Windows-1258: base letters with combining marks, composed again (NFC) on the way in.
        let doc = [b"<?xml version=\"1.0\" encoding=\"windows-1258\"?><n>".as_slice(), b"S\xf5\xd2 Y t\xea\xec", b"</n>"].concat();
        let v = convert(ServiceKind::Rest, Some("text/xml"), Bytes::from(doc));
        assert!(matches!(v, Ok(Converted::Value(v)) if v == json!({"n": "Sở Y tế"})), "decoded from the declaration");
    }

    #[test]
    fn digests_cover_method_target_and_body() {
        let d = request_digest("GET", "/a?x=1", b"");
        assert_ne!(d, request_digest("GET", "/a?x=2", b""));
        assert_ne!(d, request_digest("POST", "/a?x=1", b""));
        assert_eq!(d, hex::encode(Sha256::digest(b"GET /a?x=1\n")));
    }
}
