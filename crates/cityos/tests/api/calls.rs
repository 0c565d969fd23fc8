//! The call centre's screen-pop, end to end: the telephone exchange signs call
//! events to `/webhooks/calls`; the operator registered at the ringing
//! extension (and nobody else) gets the call on their stream, reads the
//! caller's number and earlier reports, and links the report they file.

use crate::harness::{assert_problem, TestApp};
use cityos_core::config::Secret;
use cityos_core::Clock as _;
use cityos_feedback::webhooks::hub_signature;
use cityos_notify::testing::TestSmtpServer;
use serde_json::{json, Value};
use sqlx::Row as _;
use std::time::Duration;

const SECRET: &str = "exchange-shared-secret";
const CALLER: &str = "0903 111 222";
const CALLER_E164: &str = "+84903111222";

async fn app_with(configure: impl FnOnce(&mut cityos_core::config::Config)) -> TestApp {
    let t = TestApp::spawn_with(|cfg| {
        cfg.webhooks.calls_secret = Secret::new(SECRET);
        configure(cfg);
    })
    .await;
    cityos::demo::seed_feedback(t.db(), &t.app.identity, t.app.calendar.clone(), 0).await.unwrap();
    t
}

async fn app() -> TestApp {
    app_with(|_| {}).await
}

/// A call event body, stamped with the test clock's time plus `skew_secs`.
fn event(t: &TestApp, call_id: &str, kind: &str, caller: &str, extension: &str, skew_secs: i64) -> Vec<u8> {
    let at = (t.clock.now() + chrono::Duration::seconds(skew_secs)).to_rfc3339();
    serde_json::to_vec(&json!({"call_id": call_id, "event": kind, "caller": caller, "extension": extension, "at": at, "called": "1022"}))
        .unwrap()
}

async fn deliver(t: &TestApp, body: &[u8], signature: Option<String>) -> reqwest::Response {
    let mut rb = t.http.post(format!("{}/webhooks/calls", t.url)).header("content-type", "application/json").body(body.to_vec());
    if let Some(s) = signature {
        rb = rb.header("x-cityos-signature", s);
    }
    rb.send().await.unwrap()
}

/// Delivers a correctly signed event; returns the answer's body after checking it is 200.
async fn signed(t: &TestApp, body: &[u8]) -> Value {
    let r = deliver(t, body, Some(hub_signature(SECRET, body))).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    r.json().await.unwrap()
}

async fn count(t: &TestApp, sql: &'static str) -> i64 {
    sqlx::query(sql).fetch_one(t.db().reader()).await.unwrap().try_get("n").unwrap()
}

async fn put(t: &TestApp, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut rb = t.http.put(format!("{}{path}", t.url)).json(body);
    if let Some(tok) = token {
        rb = rb.bearer_auth(tok);
    }
    rb.send().await.unwrap()
}

/// A new staff member with one grant, signed in.
async fn staff_with(t: &TestApp, username: &str, role: &str, scope: Value) -> String {
    let admin = t.login("admin").await;
    let password = "Tong-dai-2025";
    let user = json!({"username": username, "display_name": username, "password": password, "agency_code": "IOC"});
    let r = t.post("/api/identity/users", Some(&admin), &user).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let grant = t.post(&format!("/api/identity/users/{id}/grants"), Some(&admin), &json!({"role": role, "scope": scope})).await;
    assert_eq!(grant.status(), 201);
    let login: Value = t.post("/api/auth/login", None, &json!({"username": username, "password": password})).await.json().await.unwrap();
    login["token"].as_str().unwrap().to_string()
}

async fn register(t: &TestApp, token: &str, extension: &str) {
    let r = put(t, "/api/feedback/calls/extension", Some(token), &json!({"extension": extension})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
}

async fn file_report(t: &TestApp, token: &str, phone: &str, description: &str) -> Value {
    let body = json!({"description": description, "address": "45 Nguyễn Huệ, phường Sài Gòn", "reporter": {"phone": phone}});
    let r = t.post("/api/feedback/reports", Some(token), &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.unwrap()
}

async fn citizen_token(t: &TestApp, smtp: &TestSmtpServer, email: &str) -> String {
    assert_eq!(t.post("/api/citizen/code", None, &json!({"contact": email})).await.status(), 202);
    let mail = smtp.wait_for(|m| m.to.iter().any(|x| x == email), Duration::from_secs(15)).await.expect("code mail");
    let text = mail.text();
    let code: String = text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_string();
    let s: Value = t.post("/api/citizen/verify", None, &json!({"contact": email, "code": code})).await.json().await.unwrap();
    s["token"].as_str().unwrap().to_string()
}

/// An operator's open call stream.
struct CallStream {
    response: reqwest::Response,
    buf: String,
}

async fn open_stream(t: &TestApp, token: &str) -> CallStream {
    let r = t.http.get(format!("{}/api/feedback/calls/stream", t.url)).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    CallStream { response: r, buf: String::new() }
}

impl CallStream {
    /// The next `call` event's data.
    async fn next_call(&mut self) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut kind = "";
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        kind = if v.trim() == "call" { "call" } else { "other" };
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if kind == "call" {
                    return serde_json::from_str(&data).unwrap();
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .expect("a call event in time")
                .expect("chunk")
                .expect("open");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next `call` event in `state`, skipping earlier states of the same calls.
    async fn next_in(&mut self, state: &str) -> Value {
        loop {
            let c = self.next_call().await;
            if c["state"] == state {
                return c;
            }
        }
    }
}

#[tokio::test]
async fn unsigned_stale_or_malformed_events_store_nothing() {
    let off = TestApp::spawn().await;
    let body = event(&off, "c-0", "ringing", CALLER, "101", 0);
    assert_problem(deliver(&off, &body, Some(hub_signature(SECRET, &body))).await, 404, "not_found").await;
    off.cleanup().await;

    let t = app().await;
    let body = event(&t, "c-1", "ringing", CALLER, "101", 0);
    assert_problem(deliver(&t, &body, None).await, 401, "invalid_signature").await;
    assert_problem(deliver(&t, &body, Some(hub_signature("another-secret", &body))).await, 401, "invalid_signature").await;
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    assert_problem(deliver(&t, &tampered, Some(hub_signature(SECRET, &body))).await, 401, "invalid_signature").await;
    // Correctly signed, but six minutes old (a replay) or six minutes ahead.
    for skew in [-360, 360] {
        let old = event(&t, "c-2", "ringing", CALLER, "101", skew);
        assert_problem(deliver(&t, &old, Some(hub_signature(SECRET, &old))).await, 400, "stale_event").await;
    }
    let sign = |b: &[u8]| Some(hub_signature(SECRET, b));
    let not_json = b"call_id=1&event=ringing".to_vec();
    assert_problem(deliver(&t, &not_json, sign(&not_json)).await, 400, "invalid_payload").await;
    let at = t.clock.now().to_rfc3339();
    let extra =
        serde_json::to_vec(&json!({"call_id": "c-3", "event": "ringing", "caller": CALLER, "extension": "101", "at": at, "line": 2}))
            .unwrap();
    assert_problem(deliver(&t, &extra, sign(&extra)).await, 400, "invalid_payload").await;
    let missing = serde_json::to_vec(&json!({"call_id": "c-3", "event": "ringing", "extension": "101", "at": at})).unwrap();
    assert_problem(deliver(&t, &missing, sign(&missing)).await, 400, "invalid_payload").await;
    for bad in [
        json!({"call_id": "c-3", "event": "hold", "caller": CALLER, "extension": "101", "at": at}),
        json!({"call_id": "c-3", "event": "ringing", "caller": "not a number", "extension": "101", "at": at}),
        json!({"call_id": "c-3", "event": "ringing", "caller": CALLER, "extension": "1 01", "at": at}),
        json!({"call_id": "", "event": "ringing", "caller": CALLER, "extension": "101", "at": at}),
        json!({"call_id": "c-3", "event": "ringing", "caller": CALLER, "extension": "101", "at": "yesterday"}),
    ] {
        let b = serde_json::to_vec(&bad).unwrap();
        assert_problem(deliver(&t, &b, sign(&b)).await, 422, "invalid_input").await;
    }
    assert_eq!(count(&t, "SELECT COUNT(*) AS n FROM calls").await, 0);
    assert_eq!(count(&t, "SELECT COUNT(*) AS n FROM outbox WHERE type LIKE 'vn.cityos.feedback.call.%'").await, 0);
    // A withheld number is a call all the same.
    let withheld = event(&t, "c-4", "ringing", "", "101", 0);
    assert_eq!(signed(&t, &withheld).await["status"], "accepted");
    assert_eq!(count(&t, "SELECT COUNT(*) AS n FROM calls WHERE caller IS NULL").await, 1);
    t.cleanup().await;
}

#[tokio::test]
async fn a_ringing_call_pops_up_for_its_operator_only_with_the_callers_earlier_reports() {
    let t = app().await;
    let a = t.login("operator").await;
    let b = staff_with(&t, "tongdai.b", "operator", json!({"kind": "city"})).await;
    // The caller has phoned twice before; someone else once.
    let first = file_report(&t, &a, CALLER, "Đèn đường không sáng trên đường Nguyễn Huệ").await;
    t.clock.advance(chrono::Duration::minutes(10));
    let second = file_report(&t, &a, "+84 903 111 222", "Ổ gà lớn trước số 45 Nguyễn Huệ").await;
    file_report(&t, &a, "0911 000 999", "Rác thải tồn đọng trên vỉa hè Nguyễn Huệ").await;
    t.clock.advance(chrono::Duration::minutes(10));
    register(&t, &a, "101").await;
    register(&t, &b, "102").await;
    let mut a_stream = open_stream(&t, &a).await;
    let mut b_stream = open_stream(&t, &b).await;

    let ring = signed(&t, &event(&t, "pbx-1001", "ringing", CALLER, "101", -2)).await;
    assert_eq!((ring["status"].as_str(), ring["state"].as_str()), (Some("accepted"), Some("ringing")));
    let popped = a_stream.next_call().await;
    assert_eq!(
        (popped["call_id"].as_str(), popped["state"].as_str(), popped["extension"].as_str()),
        (Some("pbx-1001"), Some("ringing"), Some("101"))
    );
    assert_eq!(popped["mine"], true);
    assert!(popped.get("caller").is_none(), "the stream carries no number: {popped}");
    // The other operator's first call is their own, not the one ringing at 101.
    signed(&t, &event(&t, "pbx-1002", "ringing", "0911000999", "102", 0)).await;
    assert_eq!(b_stream.next_call().await["call_id"], "pbx-1002");

    let id = popped["id"].as_str().unwrap();
    let detail: Value = t.get(&format!("/api/feedback/calls/{id}"), Some(&a)).await.json().await.unwrap();
    assert_eq!(detail["call"]["caller"], CALLER_E164);
    assert_eq!(detail["call"]["called"], "1022");
    let earlier: Vec<&str> = detail["earlier_reports"].as_array().unwrap().iter().map(|r| r["tracking_code"].as_str().unwrap()).collect();
    assert_eq!(earlier, vec![second["tracking_code"].as_str().unwrap(), first["tracking_code"].as_str().unwrap()], "most recent first");
    let newest = &detail["earlier_reports"][0];
    assert_eq!((&newest["status"], &newest["category_code"]), (&second["status"], &second["category_code"]), "{newest}");
    assert!(newest["received_at"].is_string() && newest["status_vi"].is_string());

    // Answered, then ended: the operator's screen follows.
    signed(&t, &event(&t, "pbx-1001", "answered", CALLER, "101", 0)).await;
    assert_eq!(a_stream.next_in("answered").await["call_id"], "pbx-1001");
    t.clock.advance(chrono::Duration::seconds(90));
    let ended = signed(&t, &event(&t, "pbx-1001", "ended", CALLER, "101", 0)).await;
    assert_eq!(ended["state"], "ended");
    let ended = a_stream.next_in("ended").await;
    assert!(ended["answered_at"].is_string() && ended["ended_at"].is_string(), "{ended}");

    // The number never enters the event stream or the audit log; reading the call is audited.
    assert_eq!(count(&t, "SELECT COUNT(*) AS n FROM outbox WHERE data LIKE '%903111222%'").await, 0);
    assert_eq!(count(&t, "SELECT COUNT(*) AS n FROM audit_log WHERE object LIKE '%903111222%' OR purpose LIKE '%903111222%'").await, 0);
    let admin = t.login("admin").await;
    let audit: Value = t.get(&format!("/api/audit?action=feedback.call.read&object=call:{id}"), Some(&admin)).await.json().await.unwrap();
    assert_eq!(audit["items"][0]["row_count"], 3, "{audit}");
    t.cleanup().await;
}

#[tokio::test]
async fn a_repeated_delivery_changes_nothing_and_late_events_do_not_turn_a_call_back() {
    let t = app().await;
    let ring = event(&t, "pbx-7", "ringing", CALLER, "101", 0);
    assert_eq!(signed(&t, &ring).await["status"], "accepted");
    assert_eq!(signed(&t, &ring).await["status"], "duplicate");
    assert_eq!(count(&t, "SELECT COUNT(*) AS n FROM calls").await, 1);
    assert_eq!(count(&t, "SELECT COUNT(*) AS n FROM outbox WHERE type = 'vn.cityos.feedback.call.ringing'").await, 1);
    assert_eq!(count(&t, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'feedback.call.ringing'").await, 1);
    // The same event redelivered with another timestamp is still the same event.
    t.clock.advance(chrono::Duration::seconds(5));
    assert_eq!(signed(&t, &event(&t, "pbx-7", "ringing", CALLER, "101", 0)).await["status"], "duplicate");
    // Out of order: the end arrives before the answer; the answer records its time, the call stays ended.
    assert_eq!(signed(&t, &event(&t, "pbx-7", "ended", CALLER, "101", 0)).await["state"], "ended");
    let late = signed(&t, &event(&t, "pbx-7", "answered", CALLER, "101", -3)).await;
    assert_eq!((late["status"].as_str(), late["state"].as_str()), (Some("accepted"), Some("ended")));
    let row = sqlx::query("SELECT state, answered_at, caller FROM calls WHERE call_id = 'pbx-7'").fetch_one(t.db().reader()).await.unwrap();
    assert_eq!(row.try_get::<String, _>("state").unwrap(), "ended");
    assert!(row.try_get::<Option<i64>, _>("answered_at").unwrap().is_some());
    assert_eq!(row.try_get::<Option<String>, _>("caller").unwrap().as_deref(), Some(CALLER_E164), "stored normalised");
    t.cleanup().await;
}

#[tokio::test]
async fn only_the_call_centre_handles_calls() {
    let smtp = TestSmtpServer::start().await;
    let t = app_with(|c| c.notify.smtp = smtp.config()).await;
    let op = t.login("operator").await;
    register(&t, &op, "101").await;
    signed(&t, &event(&t, "pbx-9", "ringing", CALLER, "101", 0)).await;
    let id: String = sqlx::query("SELECT id FROM calls").fetch_one(t.db().reader()).await.unwrap().try_get("id").unwrap();
    let call = format!("/api/feedback/calls/{id}");

    // Anonymous callers must sign in.
    assert_problem(t.get(&call, None).await, 401, "unauthorized").await;
    assert_problem(t.get("/api/feedback/calls/stream", None).await, 401, "unauthorized").await;
    assert_problem(t.get("/api/feedback/calls", None).await, 401, "unauthorized").await;
    assert_problem(put(&t, "/api/feedback/calls/extension", None, &json!({"extension": "103"})).await, 401, "unauthorized").await;
    // Staff outside the call centre, and citizens, are refused.
    let citizen = citizen_token(&t, &smtp, "nguoi.goi@example.vn").await;
    let mut refused = vec![("citizen".to_string(), citizen)];
    for u in ["viewer", "staff", "analyst", "data_officer", "agency_admin", "auditor"] {
        refused.push((u.to_string(), t.login(u).await));
    }
    for (who, token) in &refused {
        let token = Some(token.as_str());
        assert_problem(t.get(&call, token).await, 403, "forbidden").await;
        assert_problem(t.get("/api/feedback/calls/stream", token).await, 403, "forbidden").await;
        assert_problem(t.get("/api/feedback/calls", token).await, 403, "forbidden").await;
        assert_problem(t.get("/api/feedback/calls/extension", token).await, 403, "forbidden").await;
        let r = put(&t, "/api/feedback/calls/extension", token, &json!({"extension": "103"})).await;
        assert_eq!(r.status(), 403, "{who} registers an extension");
        let r = put(&t, &format!("{call}/report"), token, &json!({"report": "x"})).await;
        assert_eq!(r.status(), 403, "{who} links a report");
    }
    // Another agency's operator (a ward's hotline) has its own calls, not the call centre's.
    let ward = staff_with(&t, "tongdai.phuong", "operator", json!({"kind": "agency", "code": "UBND-P-SAIGON"})).await;
    register(&t, &ward, "201").await;
    assert_problem(t.get(&call, Some(&ward)).await, 403, "forbidden").await;
    assert_problem(put(&t, &format!("{call}/report"), Some(&ward), &json!({"report": "x"})).await, 403, "forbidden").await;
    let listed: Value = t.get("/api/feedback/calls", Some(&ward)).await.json().await.unwrap();
    assert_eq!(listed["items"], json!([]));
    signed(&t, &event(&t, "pbx-10", "ringing", "0911000999", "201", 0)).await;
    let listed: Value = t.get("/api/feedback/calls", Some(&ward)).await.json().await.unwrap();
    let mine = listed["items"].as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(t.get(&format!("/api/feedback/calls/{}", mine[0]["id"].as_str().unwrap()), Some(&ward)).await.status(), 200);
    // City-wide operators (the call centre's supervisors) and admins read every call.
    let supervisor = staff_with(&t, "giamsat", "operator", json!({"kind": "city"})).await;
    assert_eq!(t.get(&call, Some(&supervisor)).await.status(), 200);
    let admin = t.login("admin").await;
    assert_eq!(t.get(&call, Some(&admin)).await.status(), 200);
    let all: Value = t.get("/api/feedback/calls", Some(&supervisor)).await.json().await.unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let own: Value = t.get("/api/feedback/calls?mine=true", Some(&supervisor)).await.json().await.unwrap();
    assert_eq!(own["items"], json!([]));
    assert_problem(t.get("/api/feedback/calls/no-such-call", Some(&op)).await, 404, "not_found").await;

    // One operator per extension: taking one over is explicit.
    assert_problem(put(&t, "/api/feedback/calls/extension", Some(&supervisor), &json!({"extension": "101"})).await, 409, "extension_taken")
        .await;
    assert_problem(put(&t, "/api/feedback/calls/extension", Some(&supervisor), &json!({"extension": "1 0 1"})).await, 422, "invalid_input")
        .await;
    let taken = put(&t, "/api/feedback/calls/extension", Some(&supervisor), &json!({"extension": "101", "take_over": true})).await;
    assert_eq!(taken.status(), 200);
    let old: Value = t.get("/api/feedback/calls/extension", Some(&op)).await.json().await.unwrap();
    assert_eq!(old["extension"], Value::Null);
    // The next call at 101 is the supervisor's; the operator can register again elsewhere and release.
    signed(&t, &event(&t, "pbx-11", "ringing", CALLER, "101", 0)).await;
    let own: Value = t.get("/api/feedback/calls?mine=true", Some(&supervisor)).await.json().await.unwrap();
    assert_eq!(own["items"][0]["call_id"], "pbx-11");
    register(&t, &op, "105").await;
    assert_eq!(t.get("/api/feedback/calls/extension", Some(&op)).await.json::<Value>().await.unwrap()["extension"], "105");
    assert_eq!(t.delete("/api/feedback/calls/extension", Some(&op)).await.status(), 204);
    assert_eq!(t.get("/api/feedback/calls/extension", Some(&op)).await.json::<Value>().await.unwrap()["extension"], Value::Null);
    t.cleanup().await;
}

#[tokio::test]
async fn the_report_filed_for_a_call_is_linked_to_it() {
    let t = app().await;
    let op = t.login("operator").await;
    let earlier = file_report(&t, &op, CALLER, "Cây xanh nghiêng sắp đổ trên đường Lê Lợi").await;
    t.clock.advance(chrono::Duration::minutes(5));
    register(&t, &op, "101").await;
    let mut stream = open_stream(&t, &op).await;
    signed(&t, &event(&t, "pbx-20", "ringing", CALLER, "101", 0)).await;
    let id = stream.next_call().await["id"].as_str().unwrap().to_string();
    t.clock.advance(chrono::Duration::minutes(1));
    let filed = file_report(&t, &op, CALLER, "Người gọi báo cây xanh trên đường Lê Lợi đã đổ chắn lối đi").await;
    let code = filed["tracking_code"].as_str().unwrap();
    let link = format!("/api/feedback/calls/{id}/report");
    assert_problem(put(&t, &link, Some(&op), &json!({"report": "260101-ZZZZZ"})).await, 422, "invalid_input").await;
    let r = put(&t, &link, Some(&op), &json!({"report": code})).await;
    assert_eq!(r.status(), 200);
    let linked: Value = r.json().await.unwrap();
    assert_eq!(linked["report"]["tracking_code"], code);
    // Again with the same report: nothing changes; another report: refused.
    assert_eq!(put(&t, &link, Some(&op), &json!({"report": filed["id"]})).await.status(), 200);
    assert_problem(put(&t, &link, Some(&op), &json!({"report": earlier["tracking_code"]})).await, 409, "conflict").await;
    // The operator's screen and the call history show it; the new report is not an "earlier" one.
    let signal = stream.next_call().await;
    assert_eq!(signal["report"]["tracking_code"], code, "{signal}");
    let history: Value = t.get("/api/feedback/calls?mine=true", Some(&op)).await.json().await.unwrap();
    assert_eq!(history["items"][0]["report"]["tracking_code"], code);
    assert_eq!(history["items"][0]["caller"], CALLER_E164);
    let detail: Value = t.get(&format!("/api/feedback/calls/{id}"), Some(&op)).await.json().await.unwrap();
    let earlier_codes: Vec<&str> =
        detail["earlier_reports"].as_array().unwrap().iter().map(|r| r["tracking_code"].as_str().unwrap()).collect();
    assert_eq!(earlier_codes, vec![earlier["tracking_code"].as_str().unwrap()]);
    assert_eq!(count(&t, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'feedback.call.link'").await, 1);
    t.cleanup().await;
}
