//! Citizen feedback (1022) through HTTP: intake, routing, deadlines, lifecycle,
//! the citizen's confirmation, search, privacy and role boundaries.

use crate::harness::{assert_problem, TestApp};
use cityos_notify::testing::TestSmtpServer;
use serde_json::{json, Value};
use std::time::Duration;

async fn app_with(configure: impl FnOnce(&mut cityos_core::config::Config)) -> TestApp {
    let t = TestApp::spawn_with(configure).await;
    cityos::demo::seed_feedback(t.db(), &t.app.identity, t.app.calendar.clone(), 0).await.unwrap();
    t
}

async fn app() -> TestApp {
    app_with(|_| {}).await
}

/// Phường Sài Gòn's published centroid.
const SAIGON: (f64, f64) = (10.7805, 106.704);

async fn file(t: &TestApp, token: Option<&str>, body: Value) -> Value {
    let r = t.post("/api/feedback/reports", token, &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_web_report_is_classified_routed_at_once_and_given_a_deadline() {
    let t = app().await;
    let r = file(&t, None, json!({"description": "Đèn đường không sáng cả tuần nay, gọi 0901 234 567", "lat": SAIGON.0, "lon": SAIGON.1}))
        .await;
    // The public answer: tracking code, no personal data.
    let code = r["tracking_code"].as_str().unwrap();
    assert_eq!(r["category_code"], "LIGHTING.OUT", "suggested from the words");
    assert_eq!(r["jurisdiction_code"], "26740");
    assert_eq!(r["status"], "forwarded");
    assert!(!r.to_string().contains("0901"), "phone numbers are masked publicly: {r}");
    let op = t.login("operator").await;
    let full: Value = t.get(&format!("/api/feedback/reports/{code}"), Some(&op)).await.json().await.unwrap();
    assert_eq!(full["agency_code"], "UBND-P-SAIGON", "routed to the ward's People's Committee");
    assert_eq!(full["forwarded_at"], full["received_at"], "automatic routing is the forwarding");
    assert!(full["description"].as_str().unwrap().contains("0901 234 567"), "staff see the words as given");
    t.cleanup().await;
}

#[tokio::test]
async fn deadlines_count_working_days_across_weekends_and_holidays() {
    let t = app().await;
    // Friday 24/04/2026, 09:00 in Hồ Chí Minh City. Street lights have 5 working days.
    t.clock.set(chrono::DateTime::parse_from_rfc3339("2026-04-24T09:00:00+07:00").unwrap().into());
    let r =
        file(&t, None, json!({"category_code": "LIGHTING.OUT", "description": "Đèn đường hỏng", "lat": SAIGON.0, "lon": SAIGON.1})).await;
    // Off: Sat 25, Sun 26 (Hùng Kings' day falls on it), Mon 27 (day off in lieu), Thu 30/4, Fri 1/5, Sat 2, Sun 3.
    // Working days: Tue 28, Wed 29, Mon 4, Tue 5, Wed 6/5 → due at the end of 06/05/2026.
    assert_eq!(r["due_at"], "2026-05-06T16:59:59Z");
    t.cleanup().await;
}

#[tokio::test]
async fn unclear_reports_wait_an_hour_for_an_operator_to_route_them() {
    let t = app().await;
    let r = file(&t, None, json!({"description": "Có mùi hôi rất khó chịu", "address": "gần chợ"})).await;
    assert_eq!(r["status"], "received");
    let op = t.login("operator").await;
    let q: Value = t.get("/api/feedback/reports?unclear=true", Some(&op)).await.json().await.unwrap();
    let item = q["items"].as_array().unwrap().iter().find(|i| i["tracking_code"] == r["tracking_code"]).unwrap().clone();
    let received = chrono::DateTime::parse_from_rfc3339(item["received_at"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(item["jurisdiction_due_at"].as_str().unwrap()).unwrap();
    assert_eq!(due - received, chrono::Duration::hours(1));
    let id = item["id"].as_str().unwrap();
    // Forwarding needs a settled ward and a reason for the choice of unit.
    let no_ward = t
        .post(
            &format!("/api/feedback/reports/{id}/transition"),
            Some(&op),
            &json!({"status": "forwarded", "agency_code": "UBND-P-BENTHANH", "text": "Theo địa chỉ"}),
        )
        .await;
    assert_problem(no_ward, 422, "invalid_input").await;
    let ok = t.post(&format!("/api/feedback/reports/{id}/transition"), Some(&op), &json!({"status": "forwarded", "agency_code": "UBND-P-BENTHANH", "jurisdiction_code": "26743", "text": "Gọi lại xác nhận: gần chợ Bến Thành"})).await;
    assert_eq!(ok.status(), 200);
    let after: Value = ok.json().await.unwrap();
    assert_eq!((after["status"].as_str(), after["agency_code"].as_str()), (Some("forwarded"), Some("UBND-P-BENTHANH")));
    // Waiting past the hour makes it overdue in the queue.
    let r2 = file(&t, None, json!({"description": "Không rõ địa điểm nhưng rất nguy hiểm"})).await;
    t.clock.advance(chrono::Duration::minutes(61));
    let op = t.login("operator").await; // the earlier token has expired
    let late: Value = t.get("/api/feedback/reports?unclear=true", Some(&op)).await.json().await.unwrap();
    let item = late["items"].as_array().unwrap().iter().find(|i| i["tracking_code"] == r2["tracking_code"]).unwrap().clone();
    assert_eq!(item["overdue"], true);
    t.cleanup().await;
}

#[tokio::test]
async fn old_ward_names_in_addresses_still_route() {
    let t = app().await;
    let r = file(&t, None, json!({"description": "Ổ gà lớn giữa đường", "address": "123 Lê Lợi, phường Bến Nghé, Quận 1"})).await;
    assert_eq!(r["jurisdiction_code"], "26740", "Bến Nghé became Phường Sài Gòn");
    assert_eq!(r["status"], "forwarded");
    t.cleanup().await;
}

#[tokio::test]
async fn a_unit_sees_and_handles_only_its_own_reports() {
    let t = app().await;
    let mine = file(&t, None, json!({"description": "Ổ gà lớn", "category_code": "ROADS.POTHOLE", "lat": SAIGON.0, "lon": SAIGON.1})).await;
    let theirs = file(&t, None, json!({"description": "Ổ gà lớn", "category_code": "ROADS.POTHOLE", "address": "Phường Bến Thành"})).await;
    let staff = t.login("staff").await; // staff of UBND-P-SAIGON
    let q: Value = t.get("/api/feedback/reports", Some(&staff)).await.json().await.unwrap();
    let codes: Vec<&str> = q["items"].as_array().unwrap().iter().map(|i| i["tracking_code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec![mine["tracking_code"].as_str().unwrap()]);
    let other = t.get(&format!("/api/feedback/reports/{}", theirs["tracking_code"].as_str().unwrap()), Some(&staff)).await;
    assert_problem(other, 403, "forbidden").await;
    let move_theirs = t
        .post(
            &format!("/api/feedback/reports/{}/transition", theirs["tracking_code"].as_str().unwrap()),
            Some(&staff),
            &json!({"status": "acknowledged"}),
        )
        .await;
    assert_problem(move_theirs, 403, "forbidden").await;
    // Staff cannot hand a report to another unit; operators can, with a reason.
    let reassign = t
        .post(
            &format!("/api/feedback/reports/{}/transition", mine["tracking_code"].as_str().unwrap()),
            Some(&staff),
            &json!({"status": "forwarded", "agency_code": "SO-XD", "text": "x"}),
        )
        .await;
    assert_problem(reassign, 403, "forbidden").await;
    // Other roles: a viewer of another agency sees nothing; analysts and citizens are refused; anonymous must sign in.
    let viewer = t.login("viewer").await;
    let none: Value = t.get("/api/feedback/reports", Some(&viewer)).await.json().await.unwrap();
    assert_eq!(none["total"], 0);
    let analyst = t.login("analyst").await;
    assert_problem(t.get("/api/feedback/reports", Some(&analyst)).await, 403, "forbidden").await;
    assert_problem(t.get("/api/feedback/reports", None).await, 401, "unauthorized").await;
    let op = t.login("operator").await;
    let all: Value = t.get("/api/feedback/reports", Some(&op)).await.json().await.unwrap();
    assert_eq!(all["total"], 2);
    // Reading the queue (personal data) is audited with the row count.
    let admin = t.login("admin").await;
    let audit: Value = t.get("/api/audit?action=feedback.report.read&object=reports", Some(&admin)).await.json().await.unwrap();
    assert!(audit["items"].as_array().unwrap().iter().any(|i| i["row_count"] == 2));
    t.cleanup().await;
}

async fn citizen_token(t: &TestApp, smtp: &TestSmtpServer, email: &str) -> String {
    assert_eq!(t.post("/api/citizen/code", None, &json!({"contact": email})).await.status(), 202);
    let mail = smtp
        .wait_for(|m| m.to.iter().any(|x| x == email) && m.text().contains("Mã xác thực"), Duration::from_secs(15))
        .await
        .expect("code mail");
    let text = mail.text();
    let code: String = text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_string();
    let s: Value = t.post("/api/citizen/verify", None, &json!({"contact": email, "code": code})).await.json().await.unwrap();
    s["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_loop_closes_only_when_the_citizen_says_it_is_fixed() {
    let smtp = TestSmtpServer::start().await;
    let t = app_with(|c| c.notify.smtp = smtp.config()).await;
    let email = "tran.binh@example.vn";
    let citizen = citizen_token(&t, &smtp, email).await;
    let r = file(&t, Some(&citizen), json!({"description": "Cây nghiêng sắp ngã vào nhà", "lat": SAIGON.0, "lon": SAIGON.1})).await;
    let code = r["tracking_code"].as_str().unwrap().to_string();
    smtp.wait_for(|m| m.to.iter().any(|x| x == email) && m.text().contains(&code), Duration::from_secs(15))
        .await
        .expect("acknowledgement e-mail");
    let staff = t.login("staff").await;
    let url = format!("/api/feedback/reports/{code}/transition");
    assert_eq!(t.post(&url, Some(&staff), &json!({"status": "acknowledged"})).await.status(), 200);
    assert_problem(t.post(&url, Some(&staff), &json!({"status": "resolved"})).await, 422, "invalid_input").await;
    assert_problem(t.post(&url, Some(&staff), &json!({"status": "closed"})).await, 409, "conflict").await;
    assert_eq!(
        t.post(&format!("/api/feedback/reports/{code}/notes"), Some(&staff), &json!({"text": "Nội bộ: cần xe cẩu"})).await.status(),
        201
    );
    assert_eq!(t.post(&url, Some(&staff), &json!({"status": "resolved", "text": "Đã cắt tỉa cây"})).await.status(), 200);
    // The unit cannot close its own work: that is the citizen's word.
    assert_problem(t.post(&url, Some(&staff), &json!({"status": "closed"})).await, 403, "forbidden").await;
    // The citizen hears about it and says it is not fixed: reopened.
    smtp.wait_for(|m| m.to.iter().any(|x| x == email) && m.text().contains("Đã xử lý xong"), Duration::from_secs(15))
        .await
        .expect("status e-mail");
    let fb = format!("/api/feedback/my/reports/{code}/feedback");
    let other = t.login("operator").await;
    assert_problem(t.post(&fb, Some(&other), &json!({"fixed": true})).await, 403, "forbidden").await;
    let reopened: Value = t.post(&fb, Some(&citizen), &json!({"fixed": false})).await.json().await.unwrap();
    assert_eq!(reopened["status"], "reopened");
    assert_eq!(t.post(&url, Some(&staff), &json!({"status": "resolved", "text": "Đã đốn hạ cây nguy hiểm"})).await.status(), 200);
    assert_problem(t.post(&fb, Some(&citizen), &json!({"fixed": true, "rating": 9})).await, 422, "invalid_input").await;
    let closed: Value = t.post(&fb, Some(&citizen), &json!({"fixed": true, "rating": 5, "comment": "Cảm ơn"})).await.json().await.unwrap();
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["rating"], 5);
    // Public history: every status, never the internal note or the citizen's e-mail.
    let public: Value = t.get(&format!("/api/feedback/public/reports/{code}"), None).await.json().await.unwrap();
    let s = public.to_string();
    assert!(!s.contains("xe cẩu") && !s.contains(email), "{s}");
    let statuses: Vec<&str> = public["updates"].as_array().unwrap().iter().filter_map(|u| u["status_to"].as_str()).collect();
    assert_eq!(statuses, vec!["forwarded", "acknowledged", "resolved", "reopened", "resolved", "closed"]);
    let mine: Value = t.get("/api/feedback/my/reports", Some(&citizen)).await.json().await.unwrap();
    assert_eq!(mine["items"][0]["tracking_code"], code.as_str());
    t.cleanup().await;
}

#[tokio::test]
async fn search_ignores_diacritics_and_the_same_message_twice_is_one_report() {
    let t = app().await;
    file(&t, None, json!({"description": "Ngập nặng trên Đường Lê Lợi sau mưa", "lat": SAIGON.0, "lon": SAIGON.1})).await;
    file(&t, None, json!({"description": "Rác tồn đọng ở hẻm", "lat": SAIGON.0, "lon": SAIGON.1})).await;
    let op = t.login("operator").await;
    for q in ["duong le loi", "Đường Lê Lợi", "ngap", "NGẬP"] {
        let r: Value = t.get(&format!("/api/feedback/reports?q={}", q.replace(' ', "%20")), Some(&op)).await.json().await.unwrap();
        assert_eq!(r["total"], 1, "{q}");
    }
    let none: Value = t.get("/api/feedback/reports?q=%22%20OR%201%3D1%20--", Some(&op)).await.json().await.unwrap();
    assert_eq!(none["total"], 0, "search syntax is inert");
    let body = json!({"description": "Mất nước từ sáng", "lat": SAIGON.0, "lon": SAIGON.1, "external_id": "zalo-msg-42"});
    let a = file(&t, None, body.clone()).await;
    let b = file(&t, None, body).await;
    assert_eq!(a["tracking_code"], b["tracking_code"]);
    t.cleanup().await;
}

#[tokio::test]
async fn overdue_reports_escalate_to_the_supervising_body() {
    let t = app().await;
    let r =
        file(&t, None, json!({"category_code": "TREES.FALLEN", "description": "Cây gãy nhánh", "lat": SAIGON.0, "lon": SAIGON.1})).await;
    t.clock.advance(chrono::Duration::days(10));
    assert_eq!(t.app.feedback.escalate_overdue().await.unwrap(), 1);
    assert_eq!(t.app.feedback.escalate_overdue().await.unwrap(), 0, "once");
    let op = t.login("operator").await;
    let after: Value =
        t.get(&format!("/api/feedback/reports/{}", r["tracking_code"].as_str().unwrap()), Some(&op)).await.json().await.unwrap();
    assert_eq!(after["status"], "escalated");
    assert_eq!(after["agency_code"], "UBND-TP");
    let overdue: Value = t.get("/api/feedback/reports?overdue=true", Some(&op)).await.json().await.unwrap();
    assert_eq!(overdue["total"], 1);
    t.cleanup().await;
}

#[tokio::test]
async fn duplicates_are_offered_and_merged_reporters_follow_the_survivor() {
    let smtp = TestSmtpServer::start().await;
    let t = app_with(|c| c.notify.smtp = smtp.config()).await;
    let first = file(&t, None, json!({"category_code": "DRAINAGE.BLOCKED", "description": "Hố ga mất nắp trước chợ", "lat": SAIGON.0, "lon": SAIGON.1, "reporter": {"email": "a@example.vn"}})).await;
    // 100 m away, same category, similar words: offered as a likely duplicate; 2 km away is not.
    let near: Value = t
        .get(
            &format!(
                "/api/feedback/duplicates?lat={}&lon={}&category=DRAINAGE.BLOCKED&text=h%E1%BB%91%20ga%20m%E1%BA%A5t%20n%E1%BA%AFp",
                SAIGON.0 + 0.0009,
                SAIGON.1
            ),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let items = near["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["report"]["tracking_code"], first["tracking_code"]);
    assert!(items[0]["distance_m"].as_f64().unwrap() < 110.0 && items[0]["similarity"].as_f64().unwrap() > 0.3);
    let far: Value = t.get(&format!("/api/feedback/duplicates?lat={}&lon={}", SAIGON.0 + 0.02, SAIGON.1), None).await.json().await.unwrap();
    assert!(far["items"].as_array().unwrap().is_empty());
    // Filed anyway; the operator merges it.
    let second = file(&t, None, json!({"category_code": "DRAINAGE.BLOCKED", "description": "Nắp cống bị mất", "lat": SAIGON.0 + 0.0009, "lon": SAIGON.1, "reporter": {"email": "b@example.vn"}})).await;
    let op = t.login("operator").await;
    let merge = t
        .post(
            &format!("/api/feedback/reports/{}/transition", second["tracking_code"].as_str().unwrap()),
            Some(&op),
            &json!({"status": "duplicate", "duplicate_of": first["tracking_code"]}),
        )
        .await;
    assert_eq!(merge.status(), 200);
    let resolve = t
        .post(
            &format!("/api/feedback/reports/{}/transition", first["tracking_code"].as_str().unwrap()),
            Some(&op),
            &json!({"status": "resolved", "text": "Đã lắp nắp hố ga mới"}),
        )
        .await;
    assert_eq!(resolve.status(), 200);
    for who in ["a@example.vn", "b@example.vn"] {
        smtp.wait_for(|m| m.to.iter().any(|x| x == who) && m.text().contains("Đã xử lý xong"), Duration::from_secs(15))
            .await
            .unwrap_or_else(|| panic!("{who} hears the resolution"));
    }
    t.cleanup().await;
}

#[tokio::test]
async fn unit_statistics_and_the_public_ranking() {
    let t = app().await;
    let op = t.login("operator").await;
    let mut codes = Vec::new();
    for i in 0..4 {
        let r = file(
            &t,
            None,
            json!({"category_code": "ROADS.POTHOLE", "description": format!("Ổ gà số {i}"), "lat": SAIGON.0, "lon": SAIGON.1}),
        )
        .await;
        codes.push(r["tracking_code"].as_str().unwrap().to_string());
    }
    // Three resolved within a day, one left open past its deadline.
    for c in &codes[..3] {
        let r = t.post(&format!("/api/feedback/reports/{c}/transition"), Some(&op), &json!({"status": "resolved", "text": "Đã vá"})).await;
        assert_eq!(r.status(), 200);
    }
    t.clock.advance(chrono::Duration::days(20));
    let op = t.login("operator").await;
    let stats: Value = t.get("/api/feedback/stats", Some(&op)).await.json().await.unwrap();
    let unit = stats["items"].as_array().unwrap().iter().find(|u| u["agency_code"] == "UBND-P-SAIGON").unwrap().clone();
    assert_eq!((unit["received"].as_i64(), unit["resolved"].as_i64(), unit["overdue"].as_i64()), (Some(4), Some(3), Some(1)));
    assert_eq!(unit["on_time_pct"], 100.0);
    let staff = t.login("staff").await;
    let mine: Value = t.get("/api/feedback/stats", Some(&staff)).await.json().await.unwrap();
    assert!(mine["items"].as_array().unwrap().iter().all(|u| u["agency_code"] == "UBND-P-SAIGON"));
    let ranking: Value = t.get("/api/feedback/public/ranking", None).await.json().await.unwrap();
    assert_eq!(ranking["items"][0]["agency_code"], "UBND-P-SAIGON");
    t.cleanup().await;
}

#[tokio::test]
async fn only_those_handling_a_report_see_the_reporters_contact() {
    let t = app().await;
    let r = file(&t, None, json!({"description": "Ổ gà lớn", "category_code": "ROADS.POTHOLE", "lat": SAIGON.0, "lon": SAIGON.1, "reporter": {"phone": "0909 111 222", "name": "Lê Thị Mai"}})).await;
    let code = r["tracking_code"].as_str().unwrap();
    let staff = t.login("staff").await;
    let handled: Value = t.get(&format!("/api/feedback/reports/{code}"), Some(&staff)).await.json().await.unwrap();
    assert_eq!(handled["reporter"]["phone"], "+84909111222", "stored normalised");
    // A city-wide viewer may read the report but not who sent it.
    let admin = t.login("admin").await;
    let uid = t.user_id("viewer").await;
    let g = t.post(&format!("/api/identity/users/{uid}/grants"), Some(&admin), &json!({"role": "viewer", "scope": {"kind": "city"}})).await;
    assert_eq!(g.status(), 201);
    let viewer = t.login("viewer").await;
    let seen: Value = t.get(&format!("/api/feedback/reports/{code}"), Some(&viewer)).await.json().await.unwrap();
    assert_eq!(seen["tracking_code"], code);
    assert!(seen["reporter"].is_null(), "{seen}");
    let q: Value = t.get("/api/feedback/reports", Some(&viewer)).await.json().await.unwrap();
    assert!(!q.to_string().contains("84909111222"), "{q}");
    let bad = t.post("/api/feedback/reports", None, &json!({"description": "Ổ gà lớn", "reporter": {"phone": "gọi tôi"}})).await;
    assert_problem(bad, 422, "invalid_input").await;
    t.cleanup().await;
}

#[tokio::test]
async fn suggestions_follow_the_citizens_words() {
    let t = app().await;
    for (text, expected) in [
        ("Cây xanh ngã đè lên vỉa hè", "TREES.FALLEN"),
        ("Mất nước từ sáng đến giờ", "WATER.OUTAGE"),
        ("hố ga mất nắp nguy hiểm", "DRAINAGE.BLOCKED"),
    ] {
        let s: Value = t.get(&format!("/api/feedback/suggest?text={}", text.replace(' ', "%20")), None).await.json().await.unwrap();
        assert_eq!(s["code"], expected, "{text}");
    }
    let none: Value = t.get("/api/feedback/suggest?text=xin%20ch%C3%A0o", None).await.json().await.unwrap();
    assert!(none.is_null());
    // The first routing of an unclear report needs no reason; moving it later does.
    let r = file(&t, None, json!({"description": "Có mùi hôi rất khó chịu", "address": "gần chợ"})).await;
    let op = t.login("operator").await;
    let url = format!("/api/feedback/reports/{}/transition", r["tracking_code"].as_str().unwrap());
    let first =
        t.post(&url, Some(&op), &json!({"status": "forwarded", "agency_code": "UBND-P-BENTHANH", "jurisdiction_code": "26743"})).await;
    assert_eq!(first.status(), 200);
    let again = t.post(&url, Some(&op), &json!({"status": "forwarded", "agency_code": "UBND-P-SAIGON"})).await;
    assert_problem(again, 422, "invalid_input").await;
    t.cleanup().await;
}
