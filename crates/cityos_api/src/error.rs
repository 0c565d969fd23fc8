use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use serde_json::{json, Map, Value};

/// An error answered to an API client: an HTTP status, a stable
/// machine-readable `code`, a human `title`, optional `detail` and extension
/// members. Internal causes are logged once, where the error is made, and
/// never sent to the client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code, e.g. `invalid_credentials`, `forbidden`, `not_found`.
    pub code: &'static str,
    /// Short summary.
    pub title: String,
    /// Explanation for this occurrence.
    pub detail: Option<String>,
    /// Extension members added to the problem object.
    pub extra: Map<String, Value>,
}

impl ApiError {
    /// An error with `status`, `code` and `title`.
    #[must_use]
    pub fn new(status: StatusCode, code: &'static str, title: impl Into<String>) -> Self {
        Self { status, code, title: title.into(), detail: None, extra: Map::new() }
    }

    /// Adds a detail message.
    #[must_use]
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    /// Adds an extension member.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// 400 with a specific code.
    #[must_use]
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request").detail(detail)
    }

    /// 422: well-formed but invalid input.
    #[must_use]
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "Invalid input").detail(detail)
    }

    /// 401: no valid credentials.
    #[must_use]
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Authentication required").detail("Sign in, or send a bearer token or API key.")
    }

    /// 403: authenticated but not allowed.
    #[must_use]
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden").detail(detail)
    }

    /// 404.
    #[must_use]
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found").detail(what)
    }

    /// 409.
    #[must_use]
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "Conflict").detail(detail)
    }

    /// 429.
    #[must_use]
    pub fn too_many_requests() -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Too many requests").detail("Slow down and retry shortly.")
    }

    /// 500: logs `cause` once and tells the client nothing about it.
    #[must_use]
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error")
            .detail("Something went wrong on our side; it has been logged.")
    }

    /// 503: a dependency (database) is unavailable.
    #[must_use]
    pub fn unavailable(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "service unavailable");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable")
    }

    /// The RFC 9457 problem object.
    #[must_use]
    pub fn problem(&self) -> Value {
        let mut body = json!({
            "type": format!("https://cityos.dev/problems/{}", self.code),
            "title": self.title,
            "status": self.status.as_u16(),
            "code": self.code,
        });
        if let (Some(d), Some(obj)) = (&self.detail, body.as_object_mut()) {
            obj.insert("detail".into(), Value::String(d.clone()));
        }
        if let Some(obj) = body.as_object_mut() {
            for (k, v) in &self.extra {
                obj.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        body
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail.as_deref().unwrap_or(&self.title))
    }
}

impl std::error::Error for ApiError {}

/// How an API family writes errors. `/api` uses [`ProblemJson`]; Open311,
/// OGC API, NGSI-LD and CKAN register their own, and the HTTP layer uses the
/// one registered for the request's path for errors raised outside handlers
/// (authentication, rate limits, body limits, unknown routes).
pub trait ErrorFormat: Send + Sync + std::fmt::Debug {
    /// Renders `err` as a complete response.
    fn render(&self, err: &ApiError) -> Response;
}

/// RFC 9457 `application/problem+json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProblemJson;

impl ErrorFormat for ProblemJson {
    fn render(&self, err: &ApiError) -> Response {
        let mut resp = (err.status, axum::Json(err.problem())).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if err.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"cityos\""));
        }
        resp
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        ProblemJson.render(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_has_rfc9457_members_and_code() {
        let p = ApiError::forbidden("not your agency").with("agency", "SO-YTE").problem();
        assert_eq!(p["status"], 403);
        assert_eq!(p["code"], "forbidden");
        assert_eq!(p["detail"], "not your agency");
        assert_eq!(p["agency"], "SO-YTE");
        assert!(p["type"].as_str().unwrap().ends_with("/forbidden"));
    }

    #[test]
    fn renders_problem_json_content_type() {
        let r = ApiError::unauthorized().into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/problem+json");
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
