//! The one credential extractor: session cookie (with a CSRF check on
//! state-changing requests), `Authorization: Bearer`, and API keys where the
//! standard APIs put them (`Authorization: <key>` as CKAN clients send it,
//! `X-CKAN-API-Key`, Open311's `api_key` parameter). Anonymous callers are
//! rate-limited per client address.

use crate::{render_error, App};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use cityos_api::{ApiError, Caller};
use cityos_identity::routes::SessionCsrf;
use cityos_identity::{Credentials, IdentityError, SESSION_COOKIE};
use http::{header, Method, StatusCode};
use std::net::SocketAddr;

fn credentials(req: &Request) -> Credentials {
    let h = req.headers();
    let mut c = Credentials::default();
    if let Some(auth) = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        match auth.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => c.bearer = Some(token.trim().to_string()),
            None if !auth.trim().is_empty() => c.api_key = Some(auth.trim().to_string()),
            _ => {}
        }
    }
    if let Some(k) = h.get("x-ckan-api-key").and_then(|v| v.to_str().ok()) {
        c.api_key = Some(k.trim().to_string());
    }
    if c.api_key.is_none() {
        c.api_key = req
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("api_key=")).map(|v| v.replace("%5F", "_").replace("%5f", "_")));
    }
    for cookie in h.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()) {
        for part in cookie.split(';') {
            if let Some(v) = part.trim().strip_prefix(SESSION_COOKIE).and_then(|r| r.strip_prefix('=')) {
                if !v.is_empty() {
                    c.session_cookie = Some(v.to_string());
                }
            }
        }
    }
    c
}

/// Health checks, and provider webhooks (each authenticated by its own signature).
fn exempt_from_rate_limit(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/webhooks/")
}

/// Resolves the caller, enforces CSRF and the anonymous rate limit, and puts
/// [`Caller`], [`Credentials`] and [`SessionCsrf`] into the request.
pub async fn authenticate(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut creds = credentials(&req);
    let mut result = app.identity.authenticate(&creds).await;
    // A stale session cookie is not an error: the browser just isn't signed in any more.
    if matches!(result, Err(IdentityError::Api(_))) && creds.bearer.is_none() && creds.api_key.is_none() {
        creds.session_cookie = None;
        result = Ok(None);
    }
    let mut caller = match result {
        Ok(Some(a)) => {
            let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            if let (Some(expected), false) = (&a.cookie_csrf, safe) {
                let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok());
                if sent != Some(expected.as_str()) {
                    let e = ApiError::new(StatusCode::FORBIDDEN, "csrf_failed", "CSRF check failed")
                        .detail("Send the session's csrf_token in the X-CSRF-Token header.");
                    return render_error(&path, &e);
                }
            }
            req.extensions_mut().insert(SessionCsrf(a.cookie_csrf.clone()));
            a.caller
        }
        Ok(None) => {
            if !exempt_from_rate_limit(&path) {
                let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map_or_else(|| "local".to_string(), |c| c.0.ip().to_string());
                if !app.limiter.check(&ip) {
                    let mut resp = render_error(&path, &ApiError::too_many_requests());
                    resp.headers_mut().insert(header::RETRY_AFTER, http::HeaderValue::from_static("60"));
                    return resp;
                }
            }
            Caller::default()
        }
        Err(IdentityError::Api(e)) => return render_error(&path, &e),
        Err(other) => return render_error(&path, &ApiError::unavailable(&other)),
    };
    caller.request_id = request_id;
    req.extensions_mut().insert(caller);
    req.extensions_mut().insert(creds);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)], uri: &str) -> Request {
        let mut b = http::Request::builder().uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn finds_credentials_where_each_standard_puts_them() {
        assert_eq!(credentials(&req(&[("authorization", "Bearer cot_x")], "/")).bearer.as_deref(), Some("cot_x"));
        assert_eq!(credentials(&req(&[("authorization", "cok_a_b")], "/")).api_key.as_deref(), Some("cok_a_b"));
        assert_eq!(credentials(&req(&[("x-ckan-api-key", "cok_a_b")], "/")).api_key.as_deref(), Some("cok_a_b"));
        assert_eq!(credentials(&req(&[], "/open311/v2/requests.json?api_key=cok_a_b&x=1")).api_key.as_deref(), Some("cok_a_b"));
        assert_eq!(credentials(&req(&[("cookie", "a=1; cityos_session=cos_s")], "/")).session_cookie.as_deref(), Some("cos_s"));
    }
}
