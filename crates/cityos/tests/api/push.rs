//! The 1022 app's web-push notifications through HTTP: a local push service
//! stands in for the browsers' (which cannot be reached here), and the test
//! plays the browser with its own P-256 key and auth secret, checking the
//! VAPID signature and decrypting what arrives (RFC 8291).

use crate::harness::{assert_problem, TestApp};
use cityos_core::config::{Config, Secret};
use cityos_core::Clock as _;
use cityos_notify::testing::{TestPushService, TestSmtpServer, TestSubscriber};
use cityos_notify::webpush::VapidKey;
use serde_json::{json, Value};
use sqlx::Row as _;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

/// Phường Sài Gòn's published centroid: reports there go to staff's unit.
const SAIGON: (f64, f64) = (10.7805, 106.704);

async fn app_with(key: &VapidKey, configure: impl FnOnce(&mut Config)) -> TestApp {
    let private = key.private_base64url();
    let t = TestApp::spawn_with(move |c| {
        c.push.vapid_private_key = Secret::new(private);
        configure(c);
    })
    .await;
    cityos::demo::seed_feedback(t.db(), &t.app.identity, t.app.calendar.clone(), 0).await.unwrap();
    t
}

/// An app whose push endpoints may be the local push service.
async fn app(key: &VapidKey) -> TestApp {
    app_with(key, |c| c.push.allow_insecure_endpoints = true).await
}

async fn file(t: &TestApp, token: Option<&str>, description: &str) -> String {
    let r = t.post("/api/feedback/reports", token, &json!({"description": description, "lat": SAIGON.0, "lon": SAIGON.1})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json::<Value>().await.unwrap()["tracking_code"].as_str().unwrap().to_string()
}

async fn subscribe(t: &TestApp, token: Option<&str>, browser: &TestSubscriber, endpoint: &str, code: Option<&str>) -> reqwest::Response {
    let mut body = browser.subscription_json(endpoint);
    if let Some(code) = code {
        body["tracking_code"] = json!(code);
    }
    t.post("/api/feedback/push/subscriptions", token, &body).await
}

async fn unsubscribe(t: &TestApp, body: &Value) -> reqwest::Response {
    t.http.delete(format!("{}/api/feedback/push/subscriptions", t.url)).json(body).send().await.unwrap()
}

async fn transition(t: &TestApp, token: &str, code: &str, body: Value) {
    let r = t.post(&format!("/api/feedback/reports/{code}/transition"), Some(token), &body).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
}

/// How many `webpush` notifications were queued about report `code`.
async fn pushes_queued(t: &TestApp, code: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM notifications WHERE channel = 'webpush' AND related_object = $1")
        .bind(format!("report:{code}"))
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn subscriptions(t: &TestApp) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM push_subscriptions").fetch_one(t.db().reader()).await.unwrap().try_get("n").unwrap()
}

/// Decrypts a push as the browser does and returns its JSON payload.
fn payload(browser: &TestSubscriber, body: &[u8]) -> Value {
    serde_json::from_slice(&browser.decrypt(body).expect("the push decrypts with the browser's key")).expect("JSON payload")
}

#[tokio::test]
async fn a_subscribed_browser_hears_of_each_status_change_until_it_unsubscribes() {
    let service = TestPushService::start().await;
    let key = VapidKey::generate();
    let t = app(&key).await;
    let k: Value = t.get("/api/feedback/push/key", None).await.json().await.unwrap();
    assert_eq!(k["public_key"], key.public_key());

    let code = file(&t, None, "Đèn đường không sáng cả tuần nay").await;
    let browser = TestSubscriber::new();
    let endpoint = service.endpoint("browser-1");
    // The code as the citizen typed it: case does not matter.
    let r = subscribe(&t, None, &browser, &endpoint, Some(&code.to_lowercase())).await;
    assert_eq!(r.status(), 201);
    let following: Value = r.json().await.unwrap();
    assert_eq!(following, json!({"tracking_code": code, "all_my_reports": false}));

    let staff = t.login("staff").await;
    transition(&t, &staff, &code, json!({"status": "acknowledged"})).await;
    let push = service.wait_for(|p| p.path == "/push/browser-1", WAIT).await.expect("a push reaches the push service");
    assert_eq!(push.header("content-encoding"), Some("aes128gcm"));
    assert!(push.header("ttl").is_some_and(|v| v.parse::<u64>().is_ok()));
    assert_eq!(push.header("urgency"), Some("normal"));
    let claims = push.vapid_claims(&key.public_key()).expect("the VAPID JWT verifies with the server's public key");
    assert_eq!(claims["aud"], endpoint.trim_end_matches("/push/browser-1"), "aud is the push service's origin");
    assert_eq!(claims["sub"], "mailto:1022@cityos.local");
    let (exp, now) = (claims["exp"].as_i64().unwrap(), t.clock.now().timestamp());
    assert!(exp > now && exp <= now + 24 * 3600, "exp within 24 hours: {exp} vs {now}");

    let p = payload(&browser, &push.body);
    assert_eq!(p["data"]["report_id"], code.as_str());
    assert_eq!(p["data"]["status_code"], "acknowledged");
    assert_eq!(p["tag"], code.as_str());
    assert_eq!(p["lang"], "vi");
    assert!(p["title"].as_str().unwrap().contains(&code), "{p}");
    assert!(p["body"].as_str().unwrap().contains(p["data"]["status"].as_str().unwrap()), "{p}");
    assert!(p["url"].as_str().unwrap().ends_with(&format!("/#/track/{code}")), "a tap opens the tracking page: {p}");

    // Every change is told: the next one arrives too.
    transition(&t, &staff, &code, json!({"status": "in_progress"})).await;
    let second = service.wait_for(|p| p.path == "/push/browser-1" && p.body != push.body, WAIT).await.expect("second push");
    assert_eq!(payload(&browser, &second.body)["data"]["status_code"], "in_progress");

    // Subscribing and unsubscribing are audited by subscription id, never by endpoint.
    let admin = t.login("admin").await;
    let audit: Value = t.get("/api/audit?action=feedback.push.subscribe", Some(&admin)).await.json().await.unwrap();
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{audit}");
    assert!(items[0]["object"].as_str().unwrap().starts_with("push_subscription:"));
    assert!(!audit.to_string().contains("/push/browser-1"));

    assert_eq!(unsubscribe(&t, &json!({"endpoint": endpoint})).await.status(), 204);
    assert_eq!(subscriptions(&t).await, 0);
    assert_eq!(unsubscribe(&t, &json!({"endpoint": endpoint})).await.status(), 204, "unsubscribing twice is fine");
    transition(&t, &staff, &code, json!({"status": "resolved", "text": "Đã thay bóng đèn"})).await;
    assert_eq!(pushes_queued(&t, &code).await, 2, "nothing is queued for an unsubscribed browser");
    t.cleanup().await;
}

#[tokio::test]
async fn a_push_service_saying_gone_removes_the_subscription() {
    let service = TestPushService::start().await;
    let key = VapidKey::generate();
    let t = app(&key).await;
    let code = file(&t, None, "Ổ gà lớn giữa đường").await;
    let browser = TestSubscriber::new();
    assert_eq!(subscribe(&t, None, &browser, &service.endpoint("old-phone"), Some(&code)).await.status(), 201);
    assert_eq!(subscriptions(&t).await, 1);

    service.fail_next(1, 410);
    let staff = t.login("staff").await;
    transition(&t, &staff, &code, json!({"status": "acknowledged"})).await;
    service.wait_for(|p| p.status == 410, WAIT).await.expect("the push service was asked");
    let deadline = tokio::time::Instant::now() + WAIT;
    while subscriptions(&t).await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the expired subscription is deleted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let state: String = sqlx::query("SELECT status FROM notifications WHERE channel = 'webpush'")
        .fetch_one(t.db().reader())
        .await
        .unwrap()
        .try_get("status")
        .unwrap();
    assert_eq!(state, "failed", "a gone subscription is not retried");
    transition(&t, &staff, &code, json!({"status": "in_progress"})).await;
    assert_eq!(pushes_queued(&t, &code).await, 1, "nothing more is queued for it");
    t.cleanup().await;
}

#[tokio::test]
async fn bad_subscriptions_are_refused() {
    let key = VapidKey::generate();
    // As deployed: endpoints must be public HTTPS push services.
    let t = app_with(&key, |_| {}).await;
    let code = file(&t, None, "Rác thải ứ đọng").await;
    let browser = TestSubscriber::new();
    let url = "/api/feedback/push/subscriptions";

    let no_keys = json!({"endpoint": "https://fcm.googleapis.com/fcm/send/x", "tracking_code": code});
    assert_problem(t.post(url, None, &no_keys).await, 422, "invalid_json").await;
    let wrong_type = json!({"endpoint": 42, "keys": {"p256dh": browser.p256dh(), "auth": browser.auth()}, "tracking_code": code});
    assert_problem(t.post(url, None, &wrong_type).await, 422, "invalid_json").await;
    let mut short_key = browser.subscription_json("https://fcm.googleapis.com/fcm/send/x");
    short_key["keys"]["p256dh"] = json!("BCVxsr7N_eNgVRqvHtD0zTZsEc6");
    short_key["tracking_code"] = json!(code);
    assert_problem(t.post(url, None, &short_key).await, 422, "invalid_input").await;
    let mut short_auth = browser.subscription_json("https://fcm.googleapis.com/fcm/send/x");
    short_auth["keys"]["auth"] = json!("AAAA");
    short_auth["tracking_code"] = json!(code);
    assert_problem(t.post(url, None, &short_auth).await, 422, "invalid_input").await;
    // No push service lives on plain HTTP or inside the city's network: no requests forged to internal hosts.
    for endpoint in
        ["http://fcm.googleapis.com/x", "https://127.0.0.1:9/x", "https://10.0.0.5/x", "https://169.254.169.254/x", "https://localhost/x"]
    {
        let r = subscribe(&t, None, &browser, endpoint, Some(&code)).await;
        assert_problem(r, 422, "invalid_input").await;
    }
    assert_problem(subscribe(&t, None, &browser, "https://fcm.googleapis.com/x", Some("260101-ZZZZZ")).await, 404, "not_found").await;
    assert_eq!(subscriptions(&t).await, 0);
    assert_eq!(subscribe(&t, None, &browser, "https://fcm.googleapis.com/fcm/send/x", Some(&code)).await.status(), 201);
    t.cleanup().await;

    // Without a VAPID key web push is off.
    let t = TestApp::spawn().await;
    assert_problem(t.get("/api/feedback/push/key", None).await, 404, "not_found").await;
    t.cleanup().await;
}

async fn citizen_token(t: &TestApp, smtp: &TestSmtpServer, email: &str) -> String {
    assert_eq!(t.post("/api/citizen/code", None, &json!({"contact": email})).await.status(), 202);
    let mail = smtp.wait_for(|m| m.to.iter().any(|x| x == email) && m.text().contains("Mã xác thực"), WAIT).await.expect("code mail");
    let code: String = mail.text().split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_string();
    let s: Value = t.post("/api/citizen/verify", None, &json!({"contact": email, "code": code})).await.json().await.unwrap();
    s["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_citizen_follows_their_own_reports_and_others_only_by_tracking_code() {
    let service = TestPushService::start().await;
    let smtp = TestSmtpServer::start().await;
    let key = VapidKey::generate();
    let t = app_with(&key, |c| {
        c.push.allow_insecure_endpoints = true;
        c.notify.smtp = smtp.config();
    })
    .await;
    let an = citizen_token(&t, &smtp, "an@example.vn").await;
    let binh = citizen_token(&t, &smtp, "binh@example.vn").await;
    let ans_report = file(&t, Some(&an), "Cây đổ chắn lối đi").await;

    // Without a tracking code: only a signed-in citizen, for their own reports.
    let (phone, laptop) = (TestSubscriber::new(), TestSubscriber::new());
    assert_problem(subscribe(&t, None, &phone, &service.endpoint("anon"), None).await, 401, "unauthorized").await;
    let staff = t.login("staff").await;
    assert_problem(subscribe(&t, Some(&staff), &phone, &service.endpoint("staff"), None).await, 403, "forbidden").await;
    let r = subscribe(&t, Some(&binh), &phone, &service.endpoint("binh"), None).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"tracking_code": null, "all_my_reports": true}));

    // Bình's own new report is told to Bình's phone from its first word.
    let binhs_report = file(&t, Some(&binh), "Nắp cống bị mất").await;
    let received = service.wait_for(|p| p.path == "/push/binh", WAIT).await.expect("report received push");
    let p = payload(&phone, &received.body);
    assert_eq!(p["data"]["report_id"], binhs_report.as_str());
    assert!(p["data"]["status_code"].is_null(), "a new report has no status change: {p}");

    // An's report changes: Bình's "all my reports" subscription does not hear of it.
    transition(&t, &staff, &ans_report, json!({"status": "acknowledged"})).await;
    transition(&t, &staff, &binhs_report, json!({"status": "acknowledged"})).await;
    let changed = service
        .wait_for(|p| p.path == "/push/binh" && payload(&phone, &p.body)["data"]["status_code"] == "acknowledged", WAIT)
        .await
        .expect("status push");
    assert_eq!(payload(&phone, &changed.body)["data"]["report_id"], binhs_report.as_str());
    assert_eq!(pushes_queued(&t, &ans_report).await, 0, "nobody follows An's report yet");

    // An's laptop follows An's report by its code, and so may anyone who was given the code.
    assert_eq!(subscribe(&t, Some(&an), &laptop, &service.endpoint("an"), Some(&ans_report)).await.status(), 201);
    transition(&t, &staff, &ans_report, json!({"status": "in_progress"})).await;
    let got = service.wait_for(|p| p.path == "/push/an", WAIT).await.expect("push to An");
    assert_eq!(payload(&laptop, &got.body)["data"]["report_id"], ans_report.as_str());
    assert!(service
        .pushes()
        .iter()
        .filter(|p| p.path == "/push/binh")
        .all(|p| payload(&phone, &p.body)["data"]["report_id"] == binhs_report.as_str()));

    // Stopping one report keeps the rest; the last one ends the subscription.
    let stop = json!({"endpoint": service.endpoint("an"), "tracking_code": ans_report});
    assert_eq!(unsubscribe(&t, &stop).await.status(), 204);
    assert_eq!(subscriptions(&t).await, 1, "only Bình's phone is left");
    t.cleanup().await;
}

#[test]
fn the_vapid_key_is_generated_once_into_the_data_directory() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = std::env::temp_dir().join(format!("cityos-vapid-{}", cityos_core::new_id()));
    let mut cfg = Config::default();
    cfg.storage.data_dir = dir.clone();
    let first = cityos::vapid_key(&cfg).unwrap();
    assert_eq!(cityos::vapid_key(&cfg).unwrap(), first, "the same key on every start");
    let mode = std::fs::metadata(dir.join("vapid.key")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "only the server reads it");
    VapidKey::from_base64url(&first).unwrap();
    let configured = VapidKey::generate().private_base64url();
    cfg.push.vapid_private_key = Secret::new(configured.clone());
    assert_eq!(cityos::vapid_key(&cfg).unwrap(), configured, "a configured key wins");
    cfg.push.vapid_private_key = Secret::new("not-a-key");
    assert!(cityos::vapid_key(&cfg).is_err(), "a mistyped key stops the start, not the notifications");
    std::fs::write(dir.join("vapid.key"), "garbage").unwrap();
    cfg.push.vapid_private_key = Secret::default();
    assert!(cityos::vapid_key(&cfg).is_err(), "a damaged key file is an error, not a silent new key");
    std::fs::remove_dir_all(dir).unwrap();
}
