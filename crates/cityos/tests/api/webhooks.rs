//! Reports by message, end to end: a signed webhook from the SMS gateway,
//! Zalo OA or Messenger becomes a report routed to its ward, and the citizen
//! gets the tracking code back on the same channel (through local receivers
//! standing in for the providers). Redeliveries make no second report; a bad
//! signature stores nothing.

use crate::harness::TestApp;
use cityos_core::config::Secret;
use cityos_feedback::webhooks::{hub_signature, zalo_signature};
use cityos_notify::testing::{TestHttpReceiver, TestSmsGateway, TEST_MESSENGER_TOKEN, TEST_ZALO_TOKEN};
use serde_json::{json, Value};
use sqlx::Row as _;
use std::time::{Duration, Instant};

const SMS_SECRET: &str = "sms-gateway-shared-secret";
const ZALO_APP_ID: &str = "1234567890123456789";
const ZALO_OA_SECRET: &str = "zalo-oa-secret-key";
const VERIFY_TOKEN: &str = "cityos-verify-token";
const APP_SECRET: &str = "meta-app-secret";
const WAIT: Duration = Duration::from_secs(15);

/// A signature header to send, if any: (name, value).
type Signature = Option<(&'static str, String)>;

/// Phường Bến Thành (GSO 26743) and its People's Committee.
const BEN_THANH: &str = "26743";
const BEN_THANH_UNIT: &str = "UBND-P-BENTHANH";
const POTHOLE: &str = "Ổ gà lớn giữa đường Lê Thánh Tôn, phường Bến Thành, xe máy dễ té ngã";

struct Channels {
    t: TestApp,
    sms: TestSmsGateway,
    zalo: TestHttpReceiver,
    messenger: TestHttpReceiver,
}

async fn app() -> Channels {
    let (sms, zalo, messenger) = (TestSmsGateway::start().await, TestHttpReceiver::zalo().await, TestHttpReceiver::messenger().await);
    let (sms_cfg, zalo_cfg, messenger_cfg) = (sms.config(), zalo.zalo_config(), messenger.messenger_config());
    let t = TestApp::spawn_with(move |cfg| {
        cfg.webhooks.sms_secret = Secret::new(SMS_SECRET);
        cfg.webhooks.zalo_app_id = ZALO_APP_ID.into();
        cfg.webhooks.zalo_oa_secret = Secret::new(ZALO_OA_SECRET);
        cfg.webhooks.messenger_verify_token = Secret::new(VERIFY_TOKEN);
        cfg.webhooks.messenger_app_secret = Secret::new(APP_SECRET);
        cfg.notify.sms = sms_cfg;
        cfg.notify.zalo = zalo_cfg;
        cfg.notify.messenger = messenger_cfg;
    })
    .await;
    cityos::demo::seed_feedback(t.db(), &t.app.identity, t.app.calendar.clone(), 0).await.unwrap();
    Channels { t, sms, zalo, messenger }
}

async fn deliver(t: &TestApp, path: &str, body: &[u8], signature: Signature) -> reqwest::Response {
    let mut rb = t.http.post(format!("{}{path}", t.url)).header("content-type", "application/json").body(body.to_vec());
    if let Some((name, value)) = signature {
        rb = rb.header(name, value);
    }
    rb.send().await.unwrap()
}

fn zalo_event(msg_id: &str, sender: &str, message: Value, event: &str) -> Vec<u8> {
    let mut message = message;
    message["msg_id"] = json!(msg_id);
    serde_json::to_vec(&json!({
        "app_id": ZALO_APP_ID,
        "user_id_by_app": "552177279717587730",
        "event_name": event,
        "timestamp": "1795000000000",
        "sender": {"id": sender},
        "recipient": {"id": "579745863508352884"},
        "message": message,
    }))
    .unwrap()
}

fn zalo_signed(body: &[u8]) -> Signature {
    Some(("x-zevent-signature", zalo_signature(ZALO_APP_ID, body, "1795000000000", ZALO_OA_SECRET)))
}

fn messenger_event(messaging: Value) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"object": "page", "entry": [{"id": "106123456789012", "time": 1_795_000_000_000_i64, "messaging": [messaging]}]}),
    )
    .unwrap()
}

/// The stored report for a channel's message id, waiting for the inbox to file it.
async fn report_for(t: &TestApp, channel: &str, external_id: &str) -> sqlx::any::AnyRow {
    let deadline = Instant::now() + WAIT;
    loop {
        let row = sqlx::query(
            "SELECT tracking_code, jurisdiction_code, agency_code, reporter_phone, reporter_channel_id, lat, lon FROM reports
             WHERE channel = $1 AND external_id = $2",
        )
        .bind(channel)
        .bind(external_id)
        .fetch_optional(t.db().reader())
        .await
        .unwrap();
        if let Some(row) = row {
            return row;
        }
        assert!(Instant::now() < deadline, "no {channel} report for {external_id}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn count(t: &TestApp, sql: &'static str) -> i64 {
    sqlx::query(sql).fetch_one(t.db().reader()).await.unwrap().try_get("n").unwrap()
}

/// Checks the report through the staff API: routed to Bến Thành's committee, from `channel`.
async fn assert_routed_to_ben_thanh(t: &TestApp, code: &str, channel: &str) -> Value {
    let op = t.login("operator").await;
    let r: Value = t.get(&format!("/api/feedback/reports/{code}"), Some(&op)).await.json().await.unwrap();
    assert_eq!(r["channel"], channel, "{r}");
    assert_eq!(r["jurisdiction_code"], BEN_THANH, "{r}");
    assert_eq!(r["agency_code"], BEN_THANH_UNIT, "{r}");
    assert_eq!(r["status"], "forwarded", "{r}");
    r
}

#[tokio::test]
async fn a_zalo_message_becomes_a_routed_report_answered_on_zalo() {
    let c = app().await;
    let t = &c.t;
    let body = zalo_event("zmsg-0001", "8451924017238817", json!({"text": POTHOLE}), "user_send_text");
    let started = Instant::now();
    let r = deliver(t, "/webhooks/zalo", &body, zalo_signed(&body)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    assert!(started.elapsed() < Duration::from_secs(2), "Zalo wants its answer within 2 s: {:?}", started.elapsed());

    let row = report_for(t, "zalo", "zmsg-0001").await;
    let code: String = row.try_get("tracking_code").unwrap();
    assert_eq!(row.try_get::<Option<String>, _>("reporter_channel_id").unwrap().as_deref(), Some("8451924017238817"));
    let report = assert_routed_to_ben_thanh(t, &code, "zalo").await;
    assert_eq!(report["description"], POTHOLE);

    // The acknowledgement goes back through the Zalo OA API, to the sender, with the tracking code.
    let ack = c.zalo.wait_for(|m| m.json["message"]["text"].as_str().is_some_and(|x| x.contains(&code)), WAIT).await.expect("Zalo reply");
    assert_eq!(ack.path, "/v3.0/oa/message/cs");
    assert_eq!(ack.header("access_token"), Some(TEST_ZALO_TOKEN));
    assert_eq!(ack.json["recipient"]["user_id"], "8451924017238817");

    // Zalo delivers again (it retries whatever it thinks failed): one inbox row, one report.
    let again = deliver(t, "/webhooks/zalo", &body, zalo_signed(&body)).await;
    assert_eq!(again.status(), 200);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM reports WHERE channel = 'zalo'").await, 1);
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM webhook_inbox").await, 1);

    // Later news about the report is sent on Zalo too.
    let op = t.login("operator").await;
    let id = report["id"].as_str().unwrap();
    let moved = t.post(&format!("/api/feedback/reports/{id}/transition"), Some(&op), &json!({"status": "acknowledged"})).await;
    assert_eq!(moved.status(), 200);
    let update = c
        .zalo
        .wait_for(|m| m.json["message"]["text"].as_str().is_some_and(|x| x.contains(&code) && x.contains("trạng thái")), WAIT)
        .await
        .expect("status update on Zalo");
    assert_eq!(update.json["recipient"]["user_id"], "8451924017238817");
    assert!(c.sms.messages().is_empty() && c.messenger.requests().is_empty(), "nothing on the other channels");
    c.t.cleanup().await;
}

#[tokio::test]
async fn a_zalo_location_is_routed_by_its_point() {
    let c = app().await;
    let t = &c.t;
    let message = json!({
        "text": "Cây xanh ngã chắn ngang đường",
        "attachments": [{"type": "location", "payload": {"coordinates": {"latitude": "10.7713", "longitude": "106.694"}}}],
    });
    let body = zalo_event("zmsg-loc-1", "8451924017238899", message, "user_send_location");
    assert_eq!(deliver(t, "/webhooks/zalo", &body, zalo_signed(&body)).await.status(), 200);
    let row = report_for(t, "zalo", "zmsg-loc-1").await;
    assert_eq!(row.try_get::<Option<f64>, _>("lat").unwrap(), Some(10.7713));
    assert_eq!(row.try_get::<Option<f64>, _>("lon").unwrap(), Some(106.694));
    assert_routed_to_ben_thanh(t, &row.try_get::<String, _>("tracking_code").unwrap(), "zalo").await;
    // Events that are not messages are acknowledged and not kept.
    let follow = serde_json::to_vec(&json!({"app_id": ZALO_APP_ID, "event_name": "follow", "timestamp": "1795000000000",
        "follower": {"id": "8451924017238899"}, "oa_id": "579745863508352884"}))
    .unwrap();
    assert_eq!(deliver(t, "/webhooks/zalo", &follow, zalo_signed(&follow)).await.status(), 200);
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM webhook_inbox").await, 1);
    c.t.cleanup().await;
}

#[tokio::test]
async fn a_messenger_message_becomes_a_routed_report_answered_on_messenger() {
    let c = app().await;
    let t = &c.t;
    // Meta's subscription handshake.
    let ok = t.get(&format!("/webhooks/messenger?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"), None).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let wrong = t.get("/webhooks/messenger?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444", None).await;
    assert_eq!(wrong.status(), 403);

    let body = messenger_event(json!({
        "sender": {"id": "24830115671234567"}, "recipient": {"id": "106123456789012"}, "timestamp": 1_795_000_000_000_i64,
        "message": {"mid": "m_AbCdEf123", "text": POTHOLE},
    }));
    let r = deliver(t, "/webhooks/messenger", &body, Some(("x-hub-signature-256", hub_signature(APP_SECRET, &body)))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "EVENT_RECEIVED");

    let row = report_for(t, "facebook", "m_AbCdEf123").await;
    let code: String = row.try_get("tracking_code").unwrap();
    assert_eq!(row.try_get::<Option<String>, _>("reporter_channel_id").unwrap().as_deref(), Some("24830115671234567"));
    assert_routed_to_ben_thanh(t, &code, "facebook").await;

    let ack = c
        .messenger
        .wait_for(|m| m.json["message"]["text"].as_str().is_some_and(|x| x.contains(&code)), WAIT)
        .await
        .expect("Messenger reply");
    assert_eq!(ack.path, "/me/messages");
    assert_eq!(ack.query_param("access_token"), Some(TEST_MESSENGER_TOKEN));
    assert_eq!(ack.json["recipient"]["id"], "24830115671234567");
    assert_eq!(ack.json["messaging_type"], "RESPONSE");

    // Delivered twice, and the Page's own reply echoed back: still one report.
    let echo = messenger_event(json!({
        "sender": {"id": "106123456789012"}, "recipient": {"id": "24830115671234567"},
        "message": {"mid": "m_echo1", "text": "CityOS da nhan phan anh", "is_echo": true},
    }));
    for b in [&body, &echo] {
        let again = deliver(t, "/webhooks/messenger", b, Some(("x-hub-signature-256", hub_signature(APP_SECRET, b)))).await;
        assert_eq!(again.status(), 200);
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM reports WHERE channel = 'facebook'").await, 1);
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM webhook_inbox").await, 1);
    c.t.cleanup().await;
}

#[tokio::test]
async fn an_sms_becomes_a_routed_report_answered_by_sms() {
    let c = app().await;
    let t = &c.t;
    let body = serde_json::to_vec(
        &json!({"id": "gw-778812", "from": "+84901234567", "text": POTHOLE, "received_at": "2026-11-27T08:15:00+07:00"}),
    )
    .unwrap();
    let r = deliver(t, "/webhooks/sms", &body, Some(("x-cityos-signature", hub_signature(SMS_SECRET, &body)))).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());

    let row = report_for(t, "sms", "gw-778812").await;
    let code: String = row.try_get("tracking_code").unwrap();
    assert_eq!(row.try_get::<Option<String>, _>("reporter_phone").unwrap().as_deref(), Some("+84901234567"));
    assert_routed_to_ben_thanh(t, &code, "sms").await;
    let ack = c.sms.wait_for(|m| m.text.contains(&code), WAIT).await.expect("SMS reply");
    assert_eq!(ack.to, "+84901234567");

    let again = deliver(t, "/webhooks/sms", &body, Some(("x-cityos-signature", hub_signature(SMS_SECRET, &body)))).await;
    assert_eq!(again.status(), 200);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM reports WHERE channel = 'sms'").await, 1);
    assert_eq!(c.sms.messages().iter().filter(|m| m.text.contains(&code)).count(), 1, "one acknowledgement");

    // A sender that is not a phone number is refused before anything is stored.
    let odd = serde_json::to_vec(&json!({"id": "gw-1", "from": "CityOS", "text": POTHOLE})).unwrap();
    let r = deliver(t, "/webhooks/sms", &odd, Some(("x-cityos-signature", hub_signature(SMS_SECRET, &odd)))).await;
    assert_eq!(r.status(), 422);
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM webhook_inbox").await, 1);
    c.t.cleanup().await;
}

#[tokio::test]
async fn bad_signatures_are_rejected_with_nothing_stored() {
    let c = app().await;
    let t = &c.t;
    let sms = serde_json::to_vec(&json!({"id": "gw-1", "from": "+84901234567", "text": POTHOLE})).unwrap();
    let zalo = zalo_event("zmsg-bad", "8451924017238817", json!({"text": POTHOLE}), "user_send_text");
    let fb = messenger_event(json!({"sender": {"id": "2483"}, "message": {"mid": "m_bad", "text": POTHOLE}}));
    let mut tampered = zalo.clone();
    tampered.extend_from_slice(b" ");
    let attempts: Vec<(&str, &[u8], Signature)> = vec![
        ("/webhooks/sms", &sms, None),
        ("/webhooks/sms", &sms, Some(("x-cityos-signature", hub_signature("wrong-secret", &sms)))),
        ("/webhooks/sms", &sms, Some(("x-cityos-signature", hub_signature(SMS_SECRET, b"another body")))),
        ("/webhooks/zalo", &zalo, None),
        ("/webhooks/zalo", &zalo, Some(("x-zevent-signature", zalo_signature(ZALO_APP_ID, &zalo, "1795000000000", "wrong")))),
        ("/webhooks/zalo", &zalo, Some(("x-zevent-signature", zalo_signature(ZALO_APP_ID, &zalo, "1795000000001", ZALO_OA_SECRET)))),
        ("/webhooks/zalo", &tampered, zalo_signed(&zalo)),
        ("/webhooks/messenger", &fb, None),
        ("/webhooks/messenger", &fb, Some(("x-hub-signature-256", hub_signature("wrong-secret", &fb)))),
        ("/webhooks/messenger", &fb, Some(("x-hub-signature-256", hub_signature(APP_SECRET, &fb).replace("sha256=", "sha1=")))),
    ];
    for (path, body, signature) in attempts {
        let what = format!("{path} {:?}", signature.as_ref().map(|s| &s.1));
        let r = deliver(t, path, body, signature).await;
        assert_eq!(r.status(), 401, "{what}");
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["code"], "invalid_signature", "{what}");
    }
    // Give the poller time to find anything, were anything stored.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM webhook_inbox").await, 0);
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM reports").await, 0);
    assert!(c.sms.messages().is_empty() && c.zalo.requests().is_empty() && c.messenger.requests().is_empty());
    c.t.cleanup().await;
}

#[tokio::test]
async fn a_message_that_cannot_be_a_report_is_kept_with_the_reason() {
    let c = app().await;
    let t = &c.t;
    let body = zalo_event("zmsg-hi", "8451924017238817", json!({"text": "hi"}), "user_send_text");
    assert_eq!(deliver(t, "/webhooks/zalo", &body, zalo_signed(&body)).await.status(), 200);
    let deadline = Instant::now() + WAIT;
    let error = loop {
        let row = sqlx::query("SELECT processed_at, error FROM webhook_inbox WHERE external_id = 'zmsg-hi'")
            .fetch_one(t.db().reader())
            .await
            .unwrap();
        if row.try_get::<Option<i64>, _>("processed_at").unwrap().is_some() {
            break row.try_get::<Option<String>, _>("error").unwrap();
        }
        assert!(Instant::now() < deadline, "the inbox row was never processed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(error.as_deref().is_some_and(|e| e.contains("5–5000")), "{error:?}");
    assert_eq!(count(t, "SELECT COUNT(*) AS n FROM reports").await, 0);
    c.t.cleanup().await;
}

#[tokio::test]
async fn unconfigured_channels_are_off() {
    let t = TestApp::spawn().await;
    let body = b"{}";
    for path in ["/webhooks/sms", "/webhooks/zalo", "/webhooks/messenger"] {
        assert_eq!(deliver(&t, path, body, None).await.status(), 404, "{path}");
    }
    assert_eq!(t.get("/webhooks/messenger?hub.mode=subscribe&hub.verify_token=&hub.challenge=1", None).await.status(), 404);
    assert_eq!(t.get("/webhooks/zalo", None).await.status(), 404);
    t.cleanup().await;
}
