use crate::harness::{assert_problem, TestApp};
use serde_json::{json, Value};

#[tokio::test]
async fn openapi_lists_every_api_route_and_is_openapi_3() {
    let t = TestApp::spawn().await;
    let doc: Value = t.get("/api/openapi.json", None).await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["title"], "CityOS API");
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/auth/login",
        "/api/auth/logout",
        "/api/auth/me",
        "/api/auth/password",
        "/api/auth/api-keys",
        "/api/auth/api-keys/{id}",
        "/api/identity/roles",
        "/api/identity/users",
        "/api/identity/users/{id}/grants",
        "/api/identity/users/{id}/grants/{grant_id}",
        "/api/identity/agencies",
        "/api/jurisdictions",
        "/api/jurisdictions/geojson",
        "/api/jurisdictions/locate",
        "/api/jurisdictions/legacy",
        "/api/jurisdictions/{code}",
        "/api/citizen/code",
        "/api/citizen/verify",
        "/api/citizen/me",
        "/api/citizen/me/export",
        "/api/audit",
        "/api/events",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
    }
    // Every documented operation answers something other than 404 (so the document matches the router).
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "x").replace("{grant_id}", "y").replace("{code}", "26740");
            let concrete = concrete.as_str();
            let url = format!("{}{concrete}", t.url);
            let r = match method.as_str() {
                "get" if path == "/api/events" => continue,
                "get" => t.http.get(&url).send().await.unwrap(),
                "post" => t.http.post(&url).json(&json!({})).send().await.unwrap(),
                "put" => t.http.put(&url).json(&json!({})).send().await.unwrap(),
                "patch" => t.http.patch(&url).json(&json!({})).send().await.unwrap(),
                "delete" => t.http.delete(&url).send().await.unwrap(),
                other => panic!("unexpected method {other}"),
            };
            let code = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
            if r.status() == 404 {
                let body: Value = r.json().await.unwrap();
                assert_ne!(
                    body["detail"].as_str().unwrap_or("").split(' ').next(),
                    Some("no route"),
                    "{method} {path} is not routed ({code:?})"
                );
            }
        }
    }
    assert!(t.get("/api/docs", None).await.text().await.unwrap().contains("/api/openapi.json"));
    t.cleanup().await;
}

#[tokio::test]
async fn protected_routes_answer_401_problem_json() {
    let t = TestApp::spawn().await;
    for path in ["/api/auth/me", "/api/identity/users", "/api/audit", "/api/feedback/reports", "/api/citizen/me"] {
        let r = t.get(path, None).await;
        assert!(r.headers().contains_key("www-authenticate"));
        assert_problem(r, 401, "unauthorized").await;
    }
    let r = t.get("/api/auth/me", Some("cot_not-a-real-token")).await;
    assert_problem(r, 401, "unauthorized").await;
    assert_problem(t.get("/api/nothing/here", None).await, 404, "not_found").await;
    t.cleanup().await;
}

#[tokio::test]
async fn metrics_are_prometheus_text_per_matched_route() {
    let t = TestApp::spawn().await;
    t.get("/api/jurisdictions/26740", None).await;
    let r = t.get("/metrics", None).await;
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = r.text().await.unwrap();
    assert!(text.contains("# TYPE http_requests_total counter"), "{text}");
    assert!(text.contains("route=\"/api/jurisdictions/{code}\""), "matched route, not the raw path: {text}");
    assert!(text.contains("http_request_duration_seconds_bucket"));
    t.cleanup().await;
}

#[tokio::test]
async fn health_security_headers_and_request_ids() {
    let t = TestApp::spawn().await;
    assert_eq!(t.get("/healthz", None).await.text().await.unwrap(), "ok");
    assert_eq!(t.get("/readyz", None).await.status(), 200);
    let r = t.http.get(format!("{}/api/jurisdictions", t.url)).header("x-request-id", "req-123").send().await.unwrap();
    let h = r.headers();
    assert_eq!(h["x-request-id"], "req-123");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    let generated = t.get("/healthz", None).await;
    assert_eq!(generated.headers()["x-request-id"].to_str().unwrap().len(), 36);
    t.cleanup().await;
}

#[tokio::test]
async fn bad_input_gets_problem_json_not_500() {
    let t = TestApp::spawn_with(|c| c.server.max_body_bytes = 1024).await;
    let r =
        t.http.post(format!("{}/api/auth/login", t.url)).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_problem(r, 400, "invalid_json").await;
    let r = t.http.post(format!("{}/api/auth/login", t.url)).body("x").send().await.unwrap();
    assert_problem(r, 415, "unsupported_media_type").await;
    let big = json!({ "username": "x".repeat(4096), "password": "y" });
    let r = t.post("/api/auth/login", None, &big).await;
    assert_problem(r, 413, "payload_too_large").await;
    assert_problem(t.get("/api/jurisdictions/locate?lat=abc&lon=1", None).await, 400, "invalid_query").await;
    assert_problem(t.get("/api/jurisdictions/locate?lat=91&lon=1", None).await, 422, "invalid_input").await;
    assert_problem(t.get("/api/jurisdictions/99999", None).await, 404, "not_found").await;
    t.cleanup().await;
}

#[tokio::test]
async fn anonymous_callers_are_rate_limited() {
    let t = TestApp::spawn_with(|c| c.security.public_rate_limit_per_minute = 5).await;
    let token = t.login("operator").await; // uses one anonymous request
    let mut limited = None;
    for _ in 0..10 {
        let r = t.get("/api/jurisdictions/26740", None).await;
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("anonymous requests are limited");
    assert_eq!(r.headers()["retry-after"], "60");
    assert_problem(r, 429, "rate_limited").await;
    // Signed-in callers and health checks are not limited by the public quota.
    assert_eq!(t.get("/api/auth/me", Some(&token)).await.status(), 200);
    assert_eq!(t.get("/healthz", None).await.status(), 200);
    t.cleanup().await;
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_for_writes() {
    let t = TestApp::spawn().await;
    let r = t.post("/api/auth/login", None, &json!({"username": "operator", "password": "operator-demo-2025"})).await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap();
    let me: Value = t.http.get(format!("{}/api/auth/me", t.url)).header("cookie", &session).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["username"], "operator");
    assert_eq!(me["csrf_token"], csrf);
    let url = format!("{}/api/auth/api-keys", t.url);
    let r = t.http.post(&url).header("cookie", &session).json(&json!({"name": "k"})).send().await.unwrap();
    assert_problem(r, 403, "csrf_failed").await;
    let r = t.http.post(&url).header("cookie", &session).header("x-csrf-token", csrf).json(&json!({"name": "k"})).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let r = t.http.post(format!("{}/api/auth/logout", t.url)).header("cookie", &session).header("x-csrf-token", csrf).send().await.unwrap();
    assert_eq!(r.status(), 204);
    // The ended session no longer signs anyone in.
    assert_eq!(t.http.get(format!("{}/api/auth/me", t.url)).header("cookie", &session).send().await.unwrap().status(), 401);
    t.cleanup().await;
}

#[tokio::test]
async fn deadlines_count_working_days_across_tet() {
    let t = TestApp::spawn().await;
    let h: Value = t.get("/api/calendar/holidays?year=2026", None).await.json().await.unwrap();
    let dates: Vec<&str> = h["items"].as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert!(dates.contains(&"2026-02-17"), "Tết 2026: {dates:?}");
    assert!(dates.contains(&"2026-09-02"));
    // Received Friday 13/02/2026 afternoon (local); Tết closes 16–20/02; 1 working day → Monday 23/02.
    let d: Value = t.get("/api/calendar/deadline?from=2026-02-13T08:00:00Z&working_days=1", None).await.json().await.unwrap();
    assert_eq!(d["deadline_local_date"], "2026-02-23");
    assert_eq!(d["deadline"], "2026-02-23T16:59:59Z");
    assert_problem(t.get("/api/calendar/deadline?working_days=99999", None).await, 422, "invalid_input").await;
    t.cleanup().await;
}
