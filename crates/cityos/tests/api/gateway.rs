//! The interoperability gateway through HTTP, against a real upstream (an
//! axum REST server and a small SOAP endpoint on loopback): who may manage
//! services and grants, what consumers get (JSON, converted XML and SOAP),
//! what never leaves CityOS (the consumer's credentials), refusals, the rate
//! limit, upstream timeouts, the signed hash chain of the exchange log, and
//! failing closed when that log cannot be written.

use crate::harness::{assert_problem, TestApp};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use cityos_api::Role;
use cityos_core::Clock as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SECRET: &str = "Bearer upstream-s3cret-of-so-yt";

/// A real upstream service on loopback, counting the requests it receives.
struct Upstream {
    url: String,
    hits: Arc<AtomicUsize>,
}

impl Upstream {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> axum::Json<Value> {
    let headers: serde_json::Map<String, Value> =
        headers.iter().map(|(k, v)| (k.as_str().to_string(), Value::String(v.to_str().unwrap_or("").to_string()))).collect();
    axum::Json(json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}

async fn facilities_xml() -> impl IntoResponse {
    (
        [("content-type", "application/xml; charset=utf-8")],
        r#"<?xml version="1.0"?><facilities total="2"><facility id="1"><name>Bệnh viện Chợ Rẫy</name></facility><facility id="2"><name>Trạm Y tế Phường Sài Gòn</name><phone/></facility></facilities>"#,
    )
}

async fn slow() -> &'static str {
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    "{}"
}

async fn boom() -> impl IntoResponse {
    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, [("content-type", "application/json")], r#"{"error": "database down"}"#)
}

const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

fn envelope(body: &str) -> String {
    format!(r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>{body}</soap:Body></soap:Envelope>"#)
}

async fn soap(headers: HeaderMap, body: String) -> impl IntoResponse {
    let action = headers.get("soapaction").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if body.contains("<h:GetFacility") {
        let answer = envelope(
            r#"<h:GetFacilityResponse xmlns:h="urn:so-yt:health"><h:Facility code="79-001"><h:Name>Bệnh viện Nhân dân 115</h:Name><h:Beds>1200</h:Beds></h:Facility></h:GetFacilityResponse>"#,
        );
        assert_eq!(action, "\"urn:so-yt:health/GetFacility\"", "SOAPAction is forwarded");
        (axum::http::StatusCode::OK, [("content-type", "text/xml; charset=utf-8")], answer)
    } else {
        let fault = envelope("<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Không có dữ liệu</faultstring></soap:Fault>");
        (axum::http::StatusCode::INTERNAL_SERVER_ERROR, [("content-type", "text/xml; charset=utf-8")], fault)
    }
}

async fn upstream() -> Upstream {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new()
        .route("/v1/echo", any(echo))
        .route("/v1/echo/{*rest}", any(echo))
        .route("/v1/facilities.xml", get(facilities_xml))
        .route("/v1/slow", get(slow))
        .route("/v1/boom", get(boom))
        .route("/soap/health", post(soap))
        .layer(axum::middleware::from_fn_with_state(
            counter,
            |State(c): State<Arc<AtomicUsize>>, req, next: axum::middleware::Next| async move {
                c.fetch_add(1, Ordering::SeqCst);
                next.run(req).await
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Upstream { url: format!("http://{addr}"), hits }
}

/// An API key of a new user holding `role` for `agency`.
async fn key_for(t: &TestApp, username: &str, agency: &str, role: Role) -> String {
    let token = t.agency_user(username, agency, role).await;
    t.api_key(&token, "gateway client").await
}

/// A signed-in citizen's token (code by SMS).
async fn citizen_token(t: &TestApp, sms: &cityos_notify::testing::TestSmsGateway) -> String {
    assert_eq!(t.post("/api/citizen/code", None, &json!({"contact": "0901234567"})).await.status(), 202);
    let msg = sms.wait_for(|m| m.to == "+84901234567", std::time::Duration::from_secs(15)).await.expect("code by SMS");
    let code = msg.text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a six-digit code").to_string();
    let r = t.post("/api/citizen/verify", None, &json!({"contact": "+84901234567", "code": code})).await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

async fn put(t: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    t.http.put(format!("{}{path}", t.url)).bearer_auth(token).json(body).send().await.unwrap()
}

/// A call through the gateway with an API key in `Authorization`, as CKAN clients send it.
async fn call(t: &TestApp, method: Method, path: &str, key: &str) -> reqwest::Response {
    t.http.request(method, format!("{}{path}", t.url)).header("Authorization", key).send().await.unwrap()
}

/// A GET written on the socket as is, dot segments and all.
async fn raw_get(t: &TestApp, target: &str, key: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(t.url.trim_start_matches("http://")).await.unwrap();
    let req = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {key}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

fn rest_service(code: &str, upstream: &Upstream) -> Value {
    json!({
        "code": code,
        "owner_agency": "SO-YT",
        "name_vi": "Danh mục cơ sở y tế",
        "name_en": "Health facilities",
        "kind": "rest",
        "base_url": format!("{}/v1", upstream.url),
        "methods": ["GET", "POST"],
        "timeout_ms": 5000,
        "rate_limit_per_minute": 100,
        "auth_header": "Authorization",
        "auth_secret": SECRET,
    })
}

async fn register(t: &TestApp, token: &str, body: &Value) -> Value {
    let r = t.post("/api/datahub/gateway/services", Some(token), body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn grant(t: &TestApp, token: &str, code: &str, body: &Value) -> Value {
    let r = t.post(&format!("/api/datahub/gateway/services/{code}/grants"), Some(token), body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// The exchange log's records of one exchange, oldest first (read by the auditor).
async fn exchange_log(t: &TestApp, auditor: &str, exchange_id: &str) -> Vec<Value> {
    let r = t.get(&format!("/api/datahub/gateway/log?exchange_id={exchange_id}"), Some(auditor)).await;
    assert_eq!(r.status(), 200);
    let mut items = r.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone();
    items.reverse();
    items
}

async fn verify(t: &TestApp, auditor: &str) -> Value {
    let r = t.get("/api/datahub/gateway/log/verify", Some(auditor)).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn the_owner_agency_manages_services_and_grants_and_each_role_stays_in_its_lane() {
    let sms = cityos_notify::testing::TestSmsGateway::start().await;
    let t = TestApp::spawn_with(|c| c.notify.sms = sms.config()).await;
    let up = upstream().await;
    let officer = t.login("data_officer").await; // SO-YT
    let viewer = t.login("viewer").await; // SO-GDDT
    let xd_admin = t.login("agency_admin").await; // SO-XD
    let auditor = t.login("auditor").await;
    let staff = t.login("staff").await;

    // Anonymous callers and citizens see nothing, and call nothing.
    assert_problem(t.get("/api/datahub/gateway/services", None).await, 401, "unauthorized").await;
    let citizen = citizen_token(&t, &sms).await;
    assert_problem(t.get("/api/datahub/gateway/services", Some(&citizen)).await, 403, "forbidden").await;
    assert_problem(t.get("/gateway/co-so-y-te/echo", Some(&citizen)).await, 403, "forbidden").await;
    // Only the owner agency's data officers and agency administrators register.
    let mut foreign = rest_service("truong-hoc", &up);
    foreign["owner_agency"] = json!("SO-GDDT");
    assert_problem(t.post("/api/datahub/gateway/services", Some(&officer), &foreign).await, 403, "forbidden").await;
    assert_problem(t.post("/api/datahub/gateway/services", Some(&viewer), &rest_service("co-so-y-te", &up)).await, 403, "forbidden").await;
    assert_problem(t.post("/api/datahub/gateway/services", Some(&xd_admin), &rest_service("co-so-y-te", &up)).await, 403, "forbidden")
        .await;
    // Invalid fields are named; metadata addresses are refused.
    let mut bad = rest_service("X", &up);
    bad["base_url"] = json!("http://169.254.169.254/latest/meta-data");
    bad["timeout_ms"] = json!(10);
    bad["auth_secret"] = json!("");
    let p = assert_problem(t.post("/api/datahub/gateway/services", Some(&officer), &bad).await, 422, "invalid_input").await;
    for field in ["code", "base_url", "timeout_ms", "auth_secret"] {
        assert!(p["errors"][field].is_string(), "{field}: {p}");
    }

    let s = register(&t, &officer, &rest_service("co-so-y-te", &up)).await;
    assert_eq!(s["has_auth_secret"], true);
    assert_eq!(s["methods"], json!(["GET", "POST"]));
    assert_eq!(s["proxy_url"], "http://127.0.0.1:8080/gateway/co-so-y-te");
    assert!(!s.to_string().contains("s3cret"), "the credential is never returned: {s}");
    assert_eq!(s["base_url"], format!("{}/v1", up.url));
    assert_problem(t.post("/api/datahub/gateway/services", Some(&officer), &rest_service("co-so-y-te", &up)).await, 409, "conflict").await;
    // Stored sealed, not in the clear.
    let stored: String = sqlx::query("SELECT auth_secret FROM gateway_services WHERE code = 'co-so-y-te'")
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .try_get("auth_secret")
        .unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains("s3cret"));

    // Every staff member may discover services; internals are for the owner and auditors.
    let seen: Value = t.get("/api/datahub/gateway/services", Some(&viewer)).await.json().await.unwrap();
    assert_eq!(seen[0]["code"], "co-so-y-te");
    assert!(seen[0]["base_url"].is_null());
    let seen: Value = t.get("/api/datahub/gateway/services/co-so-y-te", Some(&auditor)).await.json().await.unwrap();
    assert_eq!(seen["base_url"], format!("{}/v1", up.url));
    assert!(!seen.to_string().contains("s3cret"));
    assert_problem(t.get("/api/datahub/gateway/services/nothing", Some(&viewer)).await, 404, "not_found").await;

    // Updates: owner only; the credential is kept when left out.
    let mut upd = rest_service("co-so-y-te", &up);
    upd.as_object_mut().unwrap().remove("auth_secret");
    upd["rate_limit_per_minute"] = json!(5);
    assert_problem(put(&t, "/api/datahub/gateway/services/co-so-y-te", &xd_admin, &upd).await, 403, "forbidden").await;
    let r = put(&t, "/api/datahub/gateway/services/co-so-y-te", &officer, &upd).await;
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!((s["rate_limit_per_minute"].as_i64(), s["has_auth_secret"].as_bool()), (Some(5), Some(true)));
    upd["owner_agency"] = json!("SO-GDDT");
    let p = assert_problem(put(&t, "/api/datahub/gateway/services/co-so-y-te", &officer, &upd).await, 422, "invalid_input").await;
    assert!(p["errors"]["owner_agency"].is_string());

    // Grants: the owner's writers grant; consumers see their own grants only.
    let g = json!({"consumer_agency": "SO-GDDT", "operations": ["GET /echo"], "purpose": "Tra cứu cơ sở y tế cho y tế trường học"});
    assert_problem(t.post("/api/datahub/gateway/services/co-so-y-te/grants", Some(&viewer), &g).await, 403, "forbidden").await;
    let p = assert_problem(
        t.post(
            "/api/datahub/gateway/services/co-so-y-te/grants",
            Some(&officer),
            &json!({"consumer_agency": "NOPE", "operations": ["DELETE /x"]}),
        )
        .await,
        422,
        "invalid_input",
    )
    .await;
    assert!(p["errors"]["consumer_agency"].is_string() && p["errors"]["operations"].is_string(), "{p}");
    let created = grant(&t, &officer, "co-so-y-te", &g).await;
    assert_eq!(created["operations"], json!(["GET /echo"]));
    assert_eq!(created["state"], "active");
    let mine: Value = t.get("/api/datahub/gateway/services/co-so-y-te/grants", Some(&viewer)).await.json().await.unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let theirs: Value = t.get("/api/datahub/gateway/services/co-so-y-te/grants", Some(&staff)).await.json().await.unwrap();
    assert_eq!(theirs, json!([]));
    let id = created["id"].as_str().unwrap();
    assert_problem(t.delete(&format!("/api/datahub/gateway/services/co-so-y-te/grants/{id}"), Some(&viewer)).await, 403, "forbidden").await;
    assert_eq!(t.delete(&format!("/api/datahub/gateway/services/co-so-y-te/grants/{id}"), Some(&officer)).await.status(), 204);
    assert_problem(t.delete(&format!("/api/datahub/gateway/services/co-so-y-te/grants/{id}"), Some(&officer)).await, 404, "not_found")
        .await;
    let all: Value = t.get("/api/datahub/gateway/services/co-so-y-te/grants", Some(&officer)).await.json().await.unwrap();
    assert_eq!(all[0]["state"], "revoked");

    // Every write committed with its audit record.
    let actions: Vec<String> = sqlx::query("SELECT action FROM audit_log WHERE action LIKE 'datahub.gateway.%' ORDER BY seq")
        .fetch_all(t.db().reader())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("action").unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "datahub.gateway.service.register",
            "datahub.gateway.service.update",
            "datahub.gateway.grant.create",
            "datahub.gateway.grant.revoke"
        ]
    );

    // The log: auditors and data officers; verification: auditors.
    assert_problem(t.get("/api/datahub/gateway/log", Some(&viewer)).await, 403, "forbidden").await;
    assert_problem(t.get("/api/datahub/gateway/log", Some(&staff)).await, 403, "forbidden").await;
    assert_eq!(t.get("/api/datahub/gateway/log", Some(&officer)).await.status(), 200);
    assert_eq!(t.get("/api/datahub/gateway/log", Some(&auditor)).await.status(), 200);
    assert_problem(t.get("/api/datahub/gateway/log/verify", Some(&officer)).await, 403, "forbidden").await;
    assert_eq!(verify(&t, &auditor).await["intact"], true);
    t.cleanup().await;
}

#[tokio::test]
async fn consumers_with_a_grant_get_json_and_their_credentials_stay_home() {
    let t = TestApp::spawn().await;
    let up = upstream().await;
    let officer = t.login("data_officer").await;
    let auditor = t.login("auditor").await;
    register(&t, &officer, &rest_service("co-so-y-te", &up)).await;
    grant(
        &t,
        &officer,
        "co-so-y-te",
        &json!({"consumer_agency": "SO-GDDT", "operations": ["GET /echo", "GET /facilities.xml", "GET /boom"]}),
    )
    .await;
    let consumer = key_for(&t, "gddt_staff", "SO-GDDT", Role::Staff).await;
    let outsider = key_for(&t, "ct_staff", "SO-CT", Role::Staff).await;

    // JSON passes through; the query goes on without api_key; the consumer's credentials stay behind.
    let r = t
        .http
        .get(format!("{}/gateway/co-so-y-te/echo/facilities?ward=26734&api_key={consumer}&q=b%E1%BB%87nh", t.url))
        .header("Authorization", &consumer)
        .header("X-CKAN-API-Key", &consumer)
        .header("Cookie", "cityos_session=cos_not_a_session")
        .header("X-CSRF-Token", "csrf")
        .header("Accept-Language", "vi")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "application/json");
    let exchange_id = header(&r, "x-cityos-exchange-id");
    let response_digest = header(&r, "x-cityos-response-sha256");
    let request_digest = header(&r, "x-cityos-request-sha256");
    let bytes = r.bytes().await.unwrap();
    assert_eq!(hex::encode(Sha256::digest(&bytes)), response_digest, "the logged digest is of what the upstream sent");
    let seen: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(seen["path"], "/v1/echo/facilities");
    assert_eq!(seen["query"], "ward=26734&q=b%E1%BB%87nh");
    let h = &seen["headers"];
    assert_eq!(h["authorization"], SECRET, "the owner's credential, not the consumer's");
    assert_eq!(h["x-cityos-consumer"], "SO-GDDT");
    assert_eq!(h["x-cityos-exchange-id"], exchange_id.as_str());
    assert_eq!(h["accept-language"], "vi");
    for never in ["x-ckan-api-key", "cookie", "x-csrf-token"] {
        assert!(h.get(never).is_none(), "{never} was forwarded: {h}");
    }
    assert!(!seen.to_string().contains(&consumer), "the consumer's key reached the upstream");

    // The exchange is on record: request before, response after, with the digests.
    let records = exchange_log(&t, &auditor, &exchange_id).await;
    assert_eq!(records.len(), 2);
    assert_eq!((records[0]["phase"].as_str(), records[1]["phase"].as_str()), (Some("request"), Some("response")));
    assert_eq!(records[0]["outcome"], "forwarded");
    assert_eq!(records[1]["status"], 200);
    assert_eq!(records[1]["outcome"], "success");
    assert_eq!(records[0]["consumer_agency"], "SO-GDDT");
    assert_eq!(records[0]["owner_agency"], "SO-YT");
    assert_eq!(records[0]["path"], "/echo/facilities");
    assert_eq!(records[0]["request_sha256"], request_digest.as_str());
    let expected = Sha256::digest(b"GET /echo/facilities?ward=26734&q=b%E1%BB%87nh\n");
    assert_eq!(request_digest, hex::encode(expected));
    assert_eq!(records[1]["response_sha256"], response_digest.as_str());
    assert!(records[0]["actor"].as_str().unwrap().starts_with("apikey:"));

    // XML becomes JSON.
    let r = call(&t, Method::GET, "/gateway/co-so-y-te/facilities.xml", &consumer).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({"facilities": {"@total": "2", "facility": [
            {"@id": "1", "name": "Bệnh viện Chợ Rẫy"},
            {"@id": "2", "name": "Trạm Y tế Phường Sài Gòn", "phone": null}
        ]}})
    );

    // An upstream failure is a 502 that says so, not a CityOS 500.
    let p = assert_problem(call(&t, Method::GET, "/gateway/co-so-y-te/boom", &consumer).await, 502, "upstream_error").await;
    assert_eq!(p["upstream_status"], 500);
    assert_eq!(p["upstream_body"]["error"], "database down");

    // Refusals, each on record: no grant, not granted, method, path.
    let hits = up.hits();
    let r = call(&t, Method::GET, "/gateway/co-so-y-te/echo", &outsider).await;
    let refused_id = header(&r, "x-cityos-exchange-id");
    assert_problem(r, 403, "forbidden").await;
    assert_problem(call(&t, Method::GET, "/gateway/co-so-y-te/secret", &consumer).await, 403, "forbidden").await;
    assert_problem(call(&t, Method::DELETE, "/gateway/co-so-y-te/echo", &consumer).await, 405, "method_not_allowed").await;
    assert_problem(call(&t, Method::GET, "/gateway/co-so-y-te/echo/..%2F..%2Fadmin", &consumer).await, 400, "bad_path").await;
    // HTTP clients resolve dot segments themselves; a hostile one need not.
    let raw = raw_get(&t, "/gateway/co-so-y-te/echo/../../admin", &consumer).await;
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    assert_eq!(up.hits(), hits, "nothing refused reached the upstream");
    let refused = exchange_log(&t, &auditor, &refused_id).await;
    assert_eq!(refused.len(), 1);
    assert_eq!((refused[0]["phase"].as_str(), refused[0]["outcome"].as_str()), (Some("refused"), Some("no_grant")));
    assert_eq!(refused[0]["consumer_agency"], "SO-CT");
    assert_eq!(refused[0]["status"], 403);
    let outcomes: Vec<String> = sqlx::query("SELECT outcome FROM gateway_log WHERE phase = 'refused' ORDER BY seq")
        .fetch_all(t.db().reader())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("outcome").unwrap())
        .collect();
    assert_eq!(outcomes, ["no_grant", "operation_not_granted", "method_not_allowed", "bad_request", "bad_request"]);

    // Who may call at all: not anonymous, not an auditor, not an unknown service.
    assert_problem(t.get("/gateway/co-so-y-te/echo", None).await, 401, "unauthorized").await;
    assert_problem(t.get("/gateway/co-so-y-te/echo", Some(&auditor)).await, 403, "forbidden").await;
    assert_problem(call(&t, Method::GET, "/gateway/nothing/echo", &consumer).await, 404, "not_found").await;

    // Consumers see the log of their own calls, not of other agencies'.
    let gddt_officer = key_for(&t, "gddt_officer", "SO-GDDT", Role::DataOfficer).await;
    let r =
        t.http.get(format!("{}/api/datahub/gateway/log?per_page=500", t.url)).header("Authorization", &gddt_officer).send().await.unwrap();
    let page: Value = r.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["consumer_agency"] == "SO-GDDT"), "{page}");

    // Expired and revoked grants do not count.
    let g = grant(
        &t,
        &officer,
        "co-so-y-te",
        &json!({"consumer_agency": "SO-CT", "expires_at": (t.clock.now() + chrono::Duration::hours(1)).to_rfc3339()}),
    )
    .await;
    assert_eq!(call(&t, Method::GET, "/gateway/co-so-y-te/echo", &outsider).await.status(), 200);
    t.clock.advance(chrono::Duration::hours(2));
    let p = assert_problem(call(&t, Method::GET, "/gateway/co-so-y-te/echo", &outsider).await, 403, "forbidden").await;
    assert!(p["detail"].as_str().unwrap().contains("expired"), "{p}");
    let gid = g["id"].as_str().unwrap();
    let officer = t.login("data_officer").await; // the earlier session has expired meanwhile
    assert_eq!(t.delete(&format!("/api/datahub/gateway/services/co-so-y-te/grants/{gid}"), Some(&officer)).await.status(), 204);
    let p = assert_problem(call(&t, Method::GET, "/gateway/co-so-y-te/echo", &outsider).await, 403, "forbidden").await;
    assert!(p["detail"].as_str().unwrap().contains("no grant"), "{p}");

    // A suspended service refuses every call.
    let mut s = rest_service("co-so-y-te", &up);
    s.as_object_mut().unwrap().remove("auth_secret");
    s["state"] = json!("suspended");
    assert_eq!(put(&t, "/api/datahub/gateway/services/co-so-y-te", &officer, &s).await.status(), 200);
    assert_problem(call(&t, Method::GET, "/gateway/co-so-y-te/echo", &consumer).await, 503, "service_suspended").await;
    t.cleanup().await;
}

#[tokio::test]
async fn soap_services_answer_in_json() {
    let t = TestApp::spawn().await;
    let up = upstream().await;
    let officer = t.login("data_officer").await;
    let s = register(
        &t,
        &officer,
        &json!({
            "code": "ho-so-y-te-soap",
            "owner_agency": "SO-YT",
            "name_vi": "Dịch vụ tra cứu cơ sở y tế (SOAP)",
            "kind": "soap",
            "base_url": format!("{}/soap/health", up.url),
            "operations": ["GetFacility", "ListFacilities"],
        }),
    )
    .await;
    assert_eq!(s["methods"], json!(["POST"]));
    assert_eq!(s["has_auth_secret"], false);
    grant(&t, &officer, "ho-so-y-te-soap", &json!({"consumer_agency": "SO-GDDT", "operations": ["GetFacility"]})).await;
    let consumer = key_for(&t, "gddt_staff", "SO-GDDT", Role::Staff).await;
    let soap_call = |op: &str| {
        let body = envelope(&format!(r#"<h:{op} xmlns:h="urn:so-yt:health"><h:Code>79-001</h:Code></h:{op}>"#));
        t.http
            .post(format!("{}/gateway/ho-so-y-te-soap", t.url))
            .header("Authorization", &consumer)
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"urn:so-yt:health/{op}\""))
            .body(body)
            .send()
    };
    let r = soap_call("GetFacility").await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v, json!({"GetFacilityResponse": {"Facility": {"@code": "79-001", "Name": "Bệnh viện Nhân dân 115", "Beds": "1200"}}}));
    let operation: Option<String> = sqlx::query("SELECT operation FROM gateway_log WHERE phase = 'request'")
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .try_get("operation")
        .unwrap();
    assert_eq!(operation.as_deref(), Some("GetFacility"));

    // An operation the grant does not name, one the service does not offer, a body that is no envelope.
    assert_problem(soap_call("ListFacilities").await.unwrap(), 403, "forbidden").await;
    assert_problem(soap_call("DropTables").await.unwrap(), 400, "unknown_operation").await;
    let r = t
        .http
        .post(format!("{}/gateway/ho-so-y-te-soap", t.url))
        .header("Authorization", &consumer)
        .json(&json!({"x": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "bad_soap_request").await;

    // A SOAP fault comes back as a problem with the fault in JSON.
    grant(&t, &officer, "ho-so-y-te-soap", &json!({"consumer_agency": "SO-GDDT", "operations": ["ListFacilities"]})).await;
    let p = assert_problem(soap_call("ListFacilities").await.unwrap(), 502, "upstream_error").await;
    assert_eq!(p["upstream_body"]["faultstring"], "Không có dữ liệu");
    t.cleanup().await;
}

#[tokio::test]
async fn rate_limits_and_timeouts() {
    let t = TestApp::spawn().await;
    let up = upstream().await;
    let officer = t.login("data_officer").await;
    let auditor = t.login("auditor").await;
    let mut s = rest_service("co-so-y-te", &up);
    s["rate_limit_per_minute"] = json!(2);
    s["timeout_ms"] = json!(300);
    register(&t, &officer, &s).await;
    grant(&t, &officer, "co-so-y-te", &json!({"consumer_agency": "SO-GDDT"})).await;
    grant(&t, &officer, "co-so-y-te", &json!({"consumer_agency": "SO-CT"})).await;
    let consumer = key_for(&t, "gddt_staff", "SO-GDDT", Role::Staff).await;
    let other = key_for(&t, "ct_staff", "SO-CT", Role::Staff).await;

    assert_eq!(call(&t, Method::GET, "/gateway/co-so-y-te/echo", &consumer).await.status(), 200);
    assert_eq!(call(&t, Method::GET, "/gateway/co-so-y-te/echo", &consumer).await.status(), 200);
    let hits = up.hits();
    let r = call(&t, Method::GET, "/gateway/co-so-y-te/echo", &consumer).await;
    assert_eq!(header(&r, "retry-after"), "30");
    assert_problem(r, 429, "rate_limited").await;
    assert_eq!(up.hits(), hits);
    // Each consumer agency has its own allowance; the clock refills it.
    assert_eq!(call(&t, Method::GET, "/gateway/co-so-y-te/echo", &other).await.status(), 200);
    t.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(call(&t, Method::GET, "/gateway/co-so-y-te/echo", &consumer).await.status(), 200);

    // An upstream slower than the service's timeout: 504, on record.
    let r = call(&t, Method::GET, "/gateway/co-so-y-te/slow", &consumer).await;
    let id = header(&r, "x-cityos-exchange-id");
    assert_problem(r, 504, "upstream_timeout").await;
    let records = exchange_log(&t, &auditor, &id).await;
    assert_eq!(records[1]["outcome"], "timeout");
    assert_eq!(records[1]["status"], 504);
    assert!(records[1]["response_sha256"].is_null());
    assert!(records[1]["duration_ms"].as_i64().unwrap() >= 300);
    let limited: i64 = sqlx::query("SELECT COUNT(*) AS n FROM gateway_log WHERE outcome = 'rate_limited'")
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(limited, 1);
    t.cleanup().await;
}

#[tokio::test]
async fn the_exchange_log_verifies_and_names_the_first_tampered_record() {
    let t = TestApp::spawn().await;
    let up = upstream().await;
    let officer = t.login("data_officer").await;
    let auditor = t.login("auditor").await;
    register(&t, &officer, &rest_service("co-so-y-te", &up)).await;
    grant(&t, &officer, "co-so-y-te", &json!({"consumer_agency": "SO-GDDT"})).await;
    let consumer = key_for(&t, "gddt_staff", "SO-GDDT", Role::Staff).await;
    for _ in 0..3 {
        assert_eq!(call(&t, Method::GET, "/gateway/co-so-y-te/echo", &consumer).await.status(), 200);
    }
    let v = verify(&t, &auditor).await;
    assert_eq!(v["intact"], true, "{v}");
    assert_eq!(v["records"], 6);
    assert_eq!(v["last_seq"], 6);
    // Concurrent exchanges still make one chain (appends are serialised).
    let many = futures::future::join_all(
        (0..8).map(|i| call(&t, Method::GET, if i % 2 == 0 { "/gateway/co-so-y-te/echo" } else { "/gateway/co-so-y-te/a%2Fb" }, &consumer)),
    )
    .await;
    assert!(many.iter().all(|r| r.status() == 200 || r.status() == 400));
    let v = verify(&t, &auditor).await;
    assert_eq!((v["intact"].as_bool(), v["records"].as_i64()), (Some(true), Some(18)), "{v}");
    sqlx::query("DELETE FROM gateway_log WHERE seq > 6").execute(t.db().writer()).await.unwrap();

    // Someone edits a record in the database: its hash no longer matches.
    let w = t.db().writer();
    sqlx::query("UPDATE gateway_log SET status = 404 WHERE seq = 4").execute(w).await.unwrap();
    let v = verify(&t, &auditor).await;
    assert_eq!((v["intact"].as_bool(), v["broken_seq"].as_i64()), (Some(false), Some(4)), "{v}");
    assert!(v["reason"].as_str().unwrap().contains("altered"));
    sqlx::query("UPDATE gateway_log SET status = 200 WHERE seq = 4").execute(w).await.unwrap();
    assert_eq!(verify(&t, &auditor).await["intact"], true);
    let (ok, out) = cli_verify(&t);
    assert!(ok && out.contains("intact: 6 records verified"), "{out}");

    // Someone who also recomputes the hash (of the last record, so nothing links to it) lacks the key.
    let last: Value = t.get("/api/datahub/gateway/log?per_page=1", Some(&auditor)).await.json().await.unwrap();
    let mut forged: cityos_datahub::gateway::log::LogEntry = serde_json::from_value(last["items"][0].clone()).unwrap();
    assert_eq!(forged.seq, 6);
    assert_eq!(forged.computed_hash(), forged.hash, "the published hash function matches the stored hash");
    forged.status = Some(500);
    forged.outcome = "upstream_error".into();
    sqlx::query("UPDATE gateway_log SET status = 500, outcome = 'upstream_error', hash = $1 WHERE seq = 6")
        .bind(forged.computed_hash())
        .execute(w)
        .await
        .unwrap();
    let v = verify(&t, &auditor).await;
    assert_eq!(v["broken_seq"], 6, "{v}");
    assert!(v["reason"].as_str().unwrap().contains("signature"), "{v}");
    let (ok, out) = cli_verify(&t);
    assert!(!ok && out.contains("BROKEN at record 6"), "{out}");

    // A removed record breaks the chain where it was.
    sqlx::query("DELETE FROM gateway_log WHERE seq = 2").execute(w).await.unwrap();
    let v = verify(&t, &auditor).await;
    assert_eq!(v["broken_seq"], 2, "{v}");
    assert!(v["reason"].as_str().unwrap().contains("missing"));
    // Verification from a later record checks the rest on its own signatures.
    let v: Value = t.get("/api/datahub/gateway/log/verify?from=3", Some(&auditor)).await.json().await.unwrap();
    assert_eq!((v["broken_seq"].as_i64(), v["records"].as_i64()), (Some(6), Some(3)), "{v}");
    let audited: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'datahub.gateway.log.verify'")
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(audited, 7);
    t.cleanup().await;
}

/// `cityos gateway verify` run against the test's database with its seal key.
fn cli_verify(t: &TestApp) -> (bool, String) {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_cityos"));
    c.args(["gateway", "verify", "--data-dir"]).arg(&t.app.config.storage.data_dir).env("CITYOS_LOG", "warn").env_remove("CITYOS_CONFIG");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CITYOS_") && k.contains("__")) {
        c.env_remove(k);
    }
    c.env("CITYOS_DATABASE__URL", t.db().url())
        .env("CITYOS_SECURITY__AUDIT_SEAL_KEY", std::str::from_utf8(crate::harness::SEAL_KEY).unwrap());
    let out = c.output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Makes inserts of `phase` records into the exchange log fail, as a full
/// disk or a lost database would (test-only SQL).
async fn break_log(t: &TestApp, phase: &str) {
    let w = t.db().writer();
    if t.db().backend() == cityos_store::Backend::Sqlite {
        let sql = format!(
            "CREATE TRIGGER gateway_log_down BEFORE INSERT ON gateway_log WHEN NEW.phase = '{phase}' BEGIN SELECT RAISE(ABORT, 'exchange log down'); END"
        );
        sqlx::query(&sql).execute(w).await.unwrap();
    } else {
        sqlx::query("CREATE OR REPLACE FUNCTION gateway_log_down() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'exchange log down'; END $$ LANGUAGE plpgsql")
            .execute(w)
            .await
            .unwrap();
        let sql = format!(
            "CREATE TRIGGER gateway_log_down BEFORE INSERT ON gateway_log FOR EACH ROW WHEN (NEW.phase = '{phase}') EXECUTE FUNCTION gateway_log_down()"
        );
        sqlx::query(&sql).execute(w).await.unwrap();
    }
}

async fn mend_log(t: &TestApp) {
    let sql = if t.db().backend() == cityos_store::Backend::Sqlite {
        "DROP TRIGGER gateway_log_down"
    } else {
        "DROP TRIGGER gateway_log_down ON gateway_log"
    };
    sqlx::query(sql).execute(t.db().writer()).await.unwrap();
}

#[tokio::test]
async fn when_the_exchange_log_cannot_be_written_the_gateway_fails_closed() {
    let t = TestApp::spawn().await;
    let up = upstream().await;
    let officer = t.login("data_officer").await;
    let auditor = t.login("auditor").await;
    register(&t, &officer, &rest_service("co-so-y-te", &up)).await;
    grant(&t, &officer, "co-so-y-te", &json!({"consumer_agency": "SO-GDDT"})).await;
    let consumer = key_for(&t, "gddt_staff", "SO-GDDT", Role::Staff).await;
    let outsider = key_for(&t, "ct_staff", "SO-CT", Role::Staff).await;

    // The request cannot be recorded: nothing is sent upstream.
    break_log(&t, "request").await;
    let hits = up.hits();
    let r = t
        .http
        .post(format!("{}/gateway/co-so-y-te/echo", t.url))
        .header("Authorization", &consumer)
        .body("{\"change\": 1}")
        .send()
        .await
        .unwrap();
    assert_problem(r, 503, "exchange_log_unavailable").await;
    assert_eq!(up.hits(), hits, "the upstream was called without a record");
    mend_log(&t).await;

    // The answer cannot be recorded: the consumer gets none of it.
    break_log(&t, "response").await;
    let r = call(&t, Method::GET, "/gateway/co-so-y-te/echo/secret-data", &consumer).await;
    assert_eq!(up.hits(), hits + 1, "the request was on record, so it went");
    assert!(r.headers().get("x-cityos-response-sha256").is_none(), "not even a digest of what was withheld");
    let body = assert_problem(r, 503, "exchange_log_unavailable").await;
    assert!(!body.to_string().contains("secret-data") && !body.to_string().contains(SECRET), "{body}");
    mend_log(&t).await;

    // A refusal that cannot be recorded is a 503 too.
    break_log(&t, "refused").await;
    assert_problem(call(&t, Method::GET, "/gateway/co-so-y-te/echo", &outsider).await, 503, "exchange_log_unavailable").await;
    mend_log(&t).await;

    // Mended, calls go through, and the chain of what was written still verifies.
    assert_eq!(call(&t, Method::GET, "/gateway/co-so-y-te/echo", &consumer).await.status(), 200);
    let v = verify(&t, &auditor).await;
    assert_eq!(v["intact"], true, "{v}");
    assert_eq!(v["records"], 3, "one request without its response, then a full exchange: {v}");
    t.cleanup().await;
}
