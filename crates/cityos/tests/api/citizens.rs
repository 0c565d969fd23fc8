use crate::harness::{assert_problem, TestApp};
use cityos_notify::testing::{TestSmsGateway, TestSmtpServer};
use serde_json::{json, Value};
use std::time::Duration;

fn six_digits(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(6)
        .enumerate()
        .find(|(i, w)| {
            w.iter().all(char::is_ascii_digit)
                && (*i == 0 || !chars[i - 1].is_ascii_digit())
                && chars.get(i + 6).is_none_or(|c| !c.is_ascii_digit())
        })
        .map(|(_, w)| w.iter().collect())
        .expect("a six-digit code in the message")
}

#[tokio::test]
async fn citizen_signs_up_with_an_emailed_code_and_manages_their_account() {
    let smtp = TestSmtpServer::start().await;
    let t = TestApp::spawn_with(|c| c.notify.smtp = smtp.config()).await;
    let r = t.post("/api/citizen/code", None, &json!({"contact": " Nguyen.An@Example.VN ", "locale": "vi"})).await;
    assert_eq!(r.status(), 202);
    let mail = smtp
        .wait_for(|m| m.to.iter().any(|to| to.contains("nguyen.an@example.vn")), Duration::from_secs(15))
        .await
        .expect("code e-mail delivered");
    let text = mail.text();
    assert!(text.contains("Mã xác thực"), "Vietnamese template: {text}");
    let code = six_digits(&text);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_problem(
        t.post("/api/citizen/verify", None, &json!({"contact": "nguyen.an@example.vn", "code": wrong})).await,
        401,
        "invalid_code",
    )
    .await;
    let r =
        t.post("/api/citizen/verify", None, &json!({"contact": "nguyen.an@example.vn", "code": code, "display_name": "Nguyễn An"})).await;
    assert_eq!(r.status(), 200);
    let session: Value = r.json().await.unwrap();
    let token = session["token"].as_str().unwrap();
    // A code works once.
    assert_problem(
        t.post("/api/citizen/verify", None, &json!({"contact": "nguyen.an@example.vn", "code": code})).await,
        401,
        "invalid_code",
    )
    .await;
    let me: Value = t.get("/api/citizen/me", Some(token)).await.json().await.unwrap();
    assert_eq!(me["contact"], "nguyen.an@example.vn");
    assert_eq!(me["display_name"], "Nguyễn An");
    // Citizens are not staff.
    assert_problem(t.get("/api/identity/roles", Some(token)).await, 403, "forbidden").await;
    assert_problem(t.get("/api/audit", Some(token)).await, 403, "forbidden").await;
    let export: Value = t.get("/api/citizen/me/export", Some(token)).await.json().await.unwrap();
    assert_eq!(export["account"]["contact"], "nguyen.an@example.vn");
    assert_eq!(t.delete("/api/citizen/me", Some(token)).await.status(), 204);
    assert_problem(t.get("/api/citizen/me", Some(token)).await, 401, "unauthorized").await;
    // The audit chain holds pseudonyms only and stays intact after erasure.
    assert!(matches!(cityos_audit::verify(t.db(), crate::harness::SEAL_KEY).await.unwrap(), cityos_audit::Verdict::Intact { .. }));
    let admin = t.login("admin").await;
    let audit: Value = t.get("/api/audit?per_page=500", Some(&admin)).await.json().await.unwrap();
    assert!(!audit.to_string().contains("nguyen.an"), "no e-mail addresses in the audit log");
    t.cleanup().await;
}

#[tokio::test]
async fn citizen_codes_go_by_sms_in_english_and_are_rate_limited() {
    let sms = TestSmsGateway::start().await;
    let t = TestApp::spawn_with(|c| c.notify.sms = sms.config()).await;
    assert_eq!(t.post("/api/citizen/code", None, &json!({"contact": "0901 234 567", "locale": "en"})).await.status(), 202);
    let msg = sms.wait_for(|m| m.to == "+84901234567", Duration::from_secs(15)).await.expect("sms delivered");
    assert!(msg.text.contains("CityOS"), "{}", msg.text);
    let code = six_digits(&msg.text);
    let r = t.post("/api/citizen/verify", None, &json!({"contact": "+84901234567", "code": code})).await;
    assert_eq!(r.status(), 200);
    for _ in 0..4 {
        assert_eq!(t.post("/api/citizen/code", None, &json!({"contact": "0901234567"})).await.status(), 202);
    }
    assert_problem(t.post("/api/citizen/code", None, &json!({"contact": "0901234567"})).await, 429, "rate_limited").await;
    assert_problem(t.post("/api/citizen/code", None, &json!({"contact": "not a contact"})).await, 422, "invalid_input").await;
    t.cleanup().await;
}
