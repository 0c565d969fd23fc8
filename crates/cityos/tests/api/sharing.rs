//! Sharing between agencies through HTTP: requests, the owner's decisions
//! (approve with conditions, refuse in writing, revoke), withdrawal and
//! expiry; reads by another agency checked against an approval on the query
//! API and CKAN's `datastore_search`, with personal fields masked unless
//! approved; every refusal and every read audited, and the owner's access log.

use crate::harness::{assert_problem, TestApp};
use chrono::{Duration, NaiveDate};
use cityos_api::Role;
use cityos_notify::testing::TestSmtpServer;
use serde_json::{json, Value};
use sqlx::Row as _;

const FOCAL: &str = "dau-moi@soyt.example.vn";
const REQUESTER_MAIL: &str = "ke-hoach@sotc.example.vn";

const ROWS: &str = "Mã,Tên cơ sở,Phường,Số ca,Điện thoại,Người liên hệ
YT-1,Bệnh viện Chợ Rẫy,Phường Chợ Lớn,120,0901234567,Nguyễn Văn An
YT-2,Bệnh viện Nhi Đồng 1,Phường Diên Hồng,80,0912345678,Trần Thị Bình
YT-3,Trạm Y tế phường Sài Gòn,Phường Sài Gòn,7,0987654321,Lê Văn Cường
";

/// A bearer token of a new user holding `role` for `agency`.
async fn token_for(t: &TestApp, username: &str, agency: &str, role: Role) -> String {
    t.agency_user(username, agency, role).await
}

async fn login(t: &TestApp, username: &str) -> String {
    let r = t.post("/api/auth/login", None, &json!({"username": username, "password": TestApp::AGENCY_USER_PASSWORD})).await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

/// A dataset of Sở Y tế with one loaded resource (two personal fields); the resource's id.
async fn dataset(t: &TestApp, officer: &str, name: &str, level: &str) -> String {
    let r = t
        .post(
            "/api/datahub/datasets",
            Some(officer),
            &json!({"name": name, "title_vi": format!("Cơ sở y tế {name}"), "owner_agency": "SO-YT", "sharing_level": level,
                    "contact_name": "Đầu mối dữ liệu", "contact_email": FOCAL}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r =
        t.post(&format!("/api/datahub/datasets/{name}/resources"), Some(officer), &json!({"name": "Danh sách", "kind": "upload"})).await;
    assert_eq!(r.status(), 201);
    let rid = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let r = t
        .http
        .post(format!("{}/api/datahub/resources/{rid}/versions", t.url))
        .bearer_auth(officer)
        .header("content-type", "text/csv")
        .body(ROWS)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    // The phone number is found personal; the officer marks the contact's name too.
    let r = t
        .http
        .put(format!("{}/api/datahub/resources/{rid}/fields/Người liên hệ", t.url))
        .bearer_auth(officer)
        .json(&json!({"personal": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    rid
}

async fn data(t: &TestApp, token: Option<&str>, rid: &str, params: &[(&str, &str)]) -> reqwest::Response {
    let mut rb = t.http.get(format!("{}/api/datahub/resources/{rid}/data", t.url)).query(params);
    if let Some(tok) = token {
        rb = rb.bearer_auth(tok);
    }
    rb.send().await.unwrap()
}

/// CKAN's `datastore_search` with an API key in `X-CKAN-API-Key`.
async fn ckan_search(t: &TestApp, key: &str, rid: &str) -> (u16, Value) {
    let r = t
        .http
        .post(format!("{}/api/3/action/datastore_search", t.url))
        .header("X-CKAN-API-Key", key)
        .json(&json!({"resource_id": rid}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn api_key(t: &TestApp, token: &str) -> String {
    let r = t.post("/api/auth/api-keys", Some(token), &json!({"name": "ckan client"})).await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["key"].as_str().unwrap().to_string()
}

async fn ok_json(r: reqwest::Response) -> Value {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

fn today(t: &TestApp) -> NaiveDate {
    cityos_calendar::local_date(cityos_core::Clock::now(&t.clock))
}

async fn request(t: &TestApp, token: Option<&str>, dataset: &str, body: &Value) -> reqwest::Response {
    t.post(&format!("/api/datahub/datasets/{dataset}/access-requests"), token, body).await
}

async fn decide(t: &TestApp, token: Option<&str>, id: &str, what: &str, body: &Value) -> reqwest::Response {
    t.post(&format!("/api/datahub/access-requests/{id}/{what}"), token, body).await
}

/// (action, outcome, purpose, row count) of the audit records on `object`.
async fn audit(t: &TestApp, object: &str) -> Vec<(String, String, Option<String>, Option<i64>)> {
    sqlx::query("SELECT action, outcome, purpose, row_count FROM audit_log WHERE object = $1 ORDER BY seq")
        .bind(object)
        .fetch_all(t.db().reader())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("action"), r.get("outcome"), r.get("purpose"), r.get("row_count")))
        .collect()
}

/// Types and agencies of the events about access request `id`.
async fn events(t: &TestApp, id: &str) -> Vec<(String, Option<String>)> {
    sqlx::query("SELECT type, agency FROM outbox WHERE subject = $1 ORDER BY seq")
        .bind(format!("access_request:{id}"))
        .fetch_all(t.db().reader())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("type"), r.get("agency")))
        .collect()
}

#[tokio::test]
async fn restricted_data_is_read_under_an_approval_with_only_approved_personal_fields() {
    let smtp = TestSmtpServer::start().await;
    let t = TestApp::spawn_with(|c| c.notify.smtp = smtp.config()).await;
    let officer = t.login("data_officer").await;
    let rid = dataset(&t, &officer, "chuyen-tuyen", "restricted").await;
    let tc = token_for(&t, "officer_tc", "SO-TC", Role::DataOfficer).await;
    let gd = token_for(&t, "officer_gddt", "SO-GDDT", Role::DataOfficer).await;
    let tc_viewer = token_for(&t, "viewer_tc", "SO-TC", Role::Viewer).await;

    // Before asking, another agency does not see a restricted dataset.
    assert_problem(t.get("/api/datahub/datasets/chuyen-tuyen", Some(&tc)).await, 404, "not_found").await;
    assert_problem(data(&t, Some(&tc), &rid, &[]).await, 404, "not_found").await;

    // Asking: who may, and what a request must say.
    let until = (today(&t) + Duration::days(30)).to_string();
    let good = json!({"purpose": "Phân bổ ngân sách y tế năm 2027", "legal_basis": "Nghị định 47/2020/NĐ-CP",
                      "period_to": until, "personal_columns": ["Điện thoại", "Người liên hệ"], "contact_email": REQUESTER_MAIL});
    assert_problem(request(&t, None, "chuyen-tuyen", &good).await, 401, "unauthorized").await;
    assert_problem(request(&t, Some(&tc_viewer), "chuyen-tuyen", &good).await, 403, "forbidden").await;
    let mut other = good.clone();
    other["agency"] = json!("SO-GDDT");
    assert_problem(request(&t, Some(&tc), "chuyen-tuyen", &other).await, 403, "forbidden").await;
    let p = assert_problem(request(&t, Some(&tc), "chuyen-tuyen", &json!({"purpose": "  "})).await, 422, "invalid_input").await;
    assert!(p["errors"]["purpose"].is_array() && p["errors"]["period_to"].is_array(), "{p}");
    let mut bad = good.clone();
    bad["personal_columns"] = json!(["Tên cơ sở"]);
    bad["period_from"] = json!("31/12/2026");
    let p = assert_problem(request(&t, Some(&tc), "chuyen-tuyen", &bad).await, 422, "invalid_input").await;
    assert!(p["errors"]["personal_columns"].is_array() && p["errors"]["period_from"].is_array(), "{p}");
    let mut past = good.clone();
    past["period_from"] = json!("2020-01-01");
    past["period_to"] = json!("2020-12-31");
    assert_problem(request(&t, Some(&tc), "chuyen-tuyen", &past).await, 422, "invalid_input").await;

    let r = ok_json(request(&t, Some(&tc), "chuyen-tuyen", &good).await).await;
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(r["status"], "requested");
    assert_eq!(r["active"], false);
    assert_eq!(r["requesting_agency"], "SO-TC");
    assert_eq!(r["owner_agency"], "SO-YT");
    assert_eq!(r["period_from"], today(&t).to_string());
    assert_eq!(r["personal_columns_requested"], json!(["Điện thoại", "Người liên hệ"]));
    assert_problem(request(&t, Some(&tc), "chuyen-tuyen", &good).await, 409, "conflict").await;
    // The owner's focal officer is told by e-mail; the owner agency gets the event.
    let mail =
        smtp.wait_for(|m| m.to.iter().any(|x| x == FOCAL), std::time::Duration::from_secs(15)).await.expect("mail to the focal officer");
    assert!(mail.subject().unwrap().contains("Yêu cầu khai thác dữ liệu"), "{:?}", mail.subject());
    assert!(mail.text().contains(&format!("#/data/sharing?request={id}")), "{}", mail.text());
    assert_eq!(events(&t, &id).await, [("vn.cityos.datahub.access.requested".to_string(), Some("SO-YT".to_string()))]);

    // Having asked, the agency sees the dataset; its rows stay closed: 403, and a `denied` record.
    ok_json(t.get("/api/datahub/datasets/chuyen-tuyen", Some(&tc)).await).await;
    assert_problem(data(&t, Some(&tc), &rid, &[]).await, 403, "approval_required").await;
    let d_id = ok_json(t.get("/api/datahub/datasets/chuyen-tuyen", Some(&officer)).await).await["id"].as_str().unwrap().to_string();
    let denied = audit(&t, &format!("dataset:{d_id}")).await;
    assert!(denied.iter().any(|(a, o, _, _)| a == "datahub.data.read" && o == "denied"), "{denied:?}");

    // Both sides list it; a third agency does not see it.
    let mine = ok_json(t.get("/api/datahub/access-requests?side=mine", Some(&tc)).await).await;
    assert_eq!(mine["total"], 1);
    let incoming = ok_json(t.get("/api/datahub/access-requests?side=incoming&status=requested", Some(&officer)).await).await;
    assert_eq!(incoming["items"][0]["id"], id.as_str());
    assert_eq!(ok_json(t.get("/api/datahub/access-requests?side=incoming", Some(&gd)).await).await["total"], 0);
    assert_problem(t.get("/api/datahub/access-requests?side=incoming", Some(&tc_viewer)).await, 403, "forbidden").await;
    assert_problem(t.get("/api/datahub/access-requests?side=sideways", Some(&tc)).await, 400, "invalid_side").await;
    assert_problem(t.get(&format!("/api/datahub/access-requests/{id}"), Some(&gd)).await, 404, "not_found").await;
    let sharing = ok_json(t.get("/api/datahub/datasets/chuyen-tuyen/sharing", Some(&tc)).await).await;
    assert_eq!(sharing["access"], "none");
    assert_eq!(sharing["requests"][0]["id"], id.as_str());
    assert_eq!(sharing["personal_fields"].as_array().unwrap().len(), 2);

    // Only the owner decides: not the requester, not a third agency, not an auditor.
    let approval = json!({"conditions": "Không công bố; xoá sau khi dùng", "personal_columns": ["Điện thoại"]});
    assert_problem(decide(&t, Some(&tc), &id, "approve", &approval).await, 403, "forbidden").await;
    assert_problem(decide(&t, Some(&gd), &id, "approve", &approval).await, 404, "not_found").await;
    let auditor = t.login("auditor").await;
    assert_problem(decide(&t, Some(&auditor), &id, "approve", &approval).await, 403, "forbidden").await;
    // An approval stays within what was asked for.
    let p =
        assert_problem(decide(&t, Some(&officer), &id, "approve", &json!({"personal_columns": ["Tên cơ sở"]})).await, 422, "invalid_input")
            .await;
    assert!(p["errors"]["personal_columns"].is_array(), "{p}");
    let later = (today(&t) + Duration::days(60)).to_string();
    assert_problem(decide(&t, Some(&officer), &id, "approve", &json!({"period_to": later})).await, 422, "invalid_input").await;

    let a = ok_json(decide(&t, Some(&officer), &id, "approve", &approval).await).await;
    assert_eq!(a["status"], "approved");
    assert_eq!(a["active"], true);
    assert_eq!(a["auto_approved"], false);
    assert_eq!(a["decided_by_name"], "data_officer");
    assert_eq!(a["approved_columns"], json!(["Điện thoại"]));
    assert_eq!(a["conditions"], "Không công bố; xoá sau khi dùng");
    assert_problem(decide(&t, Some(&officer), &id, "approve", &approval).await, 409, "conflict").await;
    let mail =
        smtp.wait_for(|m| m.to.iter().any(|x| x == REQUESTER_MAIL), std::time::Duration::from_secs(15)).await.expect("decision mail");
    assert!(mail.subject().unwrap().contains("đã được chấp thuận"), "{:?}", mail.subject());
    assert_eq!(events(&t, &id).await[1], ("vn.cityos.datahub.access.approved".to_string(), Some("SO-TC".to_string())));
    let decisions = audit(&t, &format!("access_request:{id}")).await;
    assert_eq!(decisions.iter().map(|d| d.0.as_str()).collect::<Vec<_>>(), ["datahub.access.request", "datahub.access.approve"]);

    // The approved agency reads: the approved personal field shown, the other masked and unusable.
    let p = ok_json(data(&t, Some(&tc), &rid, &[("sort", "Số ca desc")]).await).await;
    assert_eq!(p["total"], 3);
    assert_eq!(p["records"][0]["Điện thoại"], "0901234567");
    assert_eq!(p["records"][0]["Người liên hệ"], "***");
    assert_problem(data(&t, Some(&tc), &rid, &[("Người liên hệ", "Nguyễn Văn An")]).await, 403, "personal_field").await;
    let p = ok_json(data(&t, Some(&tc), &rid, &[("Điện thoại", "0912345678")]).await).await;
    assert_eq!(p["total"], 1);
    // Staff of the agency who may not ask still read under their agency's approval; a third agency may not.
    ok_json(data(&t, Some(&tc_viewer), &rid, &[("limit", "2")]).await).await;
    assert_problem(data(&t, Some(&gd), &rid, &[]).await, 404, "not_found").await;
    // The same through CKAN's datastore_search, with an API key.
    let key = api_key(&t, &tc).await;
    let (status, body) = ckan_search(&t, &key, &rid).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["records"][1]["Điện thoại"], "0912345678");
    assert_eq!(body["result"]["records"][1]["Người liên hệ"], "***");
    let sharing = ok_json(t.get("/api/datahub/datasets/chuyen-tuyen/sharing", Some(&tc)).await).await;
    assert_eq!(sharing["access"], "approval");
    assert_eq!(sharing["approval"]["id"], id.as_str());

    // The owner reads too; that is not in the access log.
    ok_json(data(&t, Some(&officer), &rid, &[]).await).await;

    // Owners (and auditors) see who read what, with the purpose and row counts.
    let log = ok_json(t.get("/api/datahub/datasets/chuyen-tuyen/access-log", Some(&officer)).await).await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(log["total"], 5, "{log}");
    let approved: Vec<&Value> = items.iter().filter(|e| e["outcome"] == "success").collect();
    assert_eq!(approved.len(), 4);
    for e in &approved {
        assert_eq!(e["approval_id"], id.as_str());
        assert_eq!(e["agency"], "SO-TC");
        assert_eq!(e["purpose"], "Phân bổ ngân sách y tế năm 2027");
        assert_eq!(e["resource_id"], rid.as_str());
        assert_eq!(e["resource_name"], "Danh sách");
    }
    // Newest first: the CKAN read (3 rows, by API key), the viewer's (2), the filtered read (1), the first (3).
    let rows: Vec<i64> = approved.iter().map(|e| e["row_count"].as_i64().unwrap()).collect();
    assert_eq!(rows, [3, 2, 1, 3]);
    assert!(approved[0]["actor"].as_str().unwrap().starts_with("apikey:"));
    assert_eq!(approved[1]["username"], "viewer_tc");
    let refused: Vec<&Value> = items.iter().filter(|e| e["outcome"] == "denied").collect();
    assert_eq!(refused.len(), 1, "{log}");
    assert!(refused.iter().all(|e| e["agency"] == "SO-TC" && e["approval_id"].is_null()));
    assert_eq!(ok_json(t.get("/api/datahub/datasets/chuyen-tuyen/access-log", Some(&auditor)).await).await["total"], 5);
    let page = ok_json(t.get("/api/datahub/datasets/chuyen-tuyen/access-log?per_page=2&page=2", Some(&officer)).await).await;
    assert_eq!(page["items"][0]["seq"], items[2]["seq"]);
    // Nobody else sees it.
    assert_problem(t.get("/api/datahub/datasets/chuyen-tuyen/access-log", None).await, 401, "unauthorized").await;
    assert_problem(t.get("/api/datahub/datasets/chuyen-tuyen/access-log", Some(&tc_viewer)).await, 403, "forbidden").await;
    assert_problem(t.get("/api/datahub/datasets/chuyen-tuyen/access-log", Some(&tc)).await, 403, "forbidden").await;
    assert_problem(t.get("/api/datahub/datasets/chuyen-tuyen/access-log", Some(&gd)).await, 404, "not_found").await;

    // The owner revokes in writing; reads stop at once.
    let revocation = json!({"reason": "x", "legal_basis": "y"});
    assert_problem(decide(&t, Some(&tc), &id, "revoke", &revocation).await, 403, "forbidden").await;
    assert_problem(decide(&t, Some(&gd), &id, "revoke", &revocation).await, 404, "not_found").await;
    let p = assert_problem(decide(&t, Some(&officer), &id, "revoke", &json!({"reason": "Dùng sai mục đích"})).await, 422, "invalid_input")
        .await;
    assert!(p["errors"]["legal_basis"].is_array(), "{p}");
    let r = ok_json(
        decide(
            &t,
            Some(&officer),
            &id,
            "revoke",
            &json!({"reason": "Dùng sai mục đích", "legal_basis": "Điều 17 Nghị định 47/2020/NĐ-CP"}),
        )
        .await,
    )
    .await;
    assert_eq!(r["status"], "revoked");
    assert_eq!(r["refusal_legal_basis"], "Điều 17 Nghị định 47/2020/NĐ-CP");
    assert_problem(data(&t, Some(&tc), &rid, &[]).await, 403, "approval_required").await;
    let (status, body) = ckan_search(&t, &key, &rid).await;
    assert_eq!((status, body["error"]["__type"].as_str()), (403, Some("Authorization Error")), "{body}");
    t.cleanup().await;
}

#[tokio::test]
async fn shared_data_is_approved_on_request_and_expired_approvals_no_longer_grant() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    let rid = dataset(&t, &officer, "giuong-benh", "shared").await;
    let tc = token_for(&t, "officer_tc", "SO-TC", Role::DataOfficer).await;
    let d_id = ok_json(t.get("/api/datahub/datasets/giuong-benh", Some(&officer)).await).await["id"].as_str().unwrap().to_string();

    // Without an approval: 403, with an audit record.
    let gd = token_for(&t, "officer_gddt", "SO-GDDT", Role::DataOfficer).await;
    assert_problem(data(&t, Some(&gd), &rid, &[]).await, 403, "approval_required").await;
    let records: Vec<_> = audit(&t, &format!("dataset:{d_id}")).await.into_iter().filter(|r| r.0 == "datahub.data.read").collect();
    assert_eq!(records.len(), 1);
    assert_eq!((records[0].0.as_str(), records[0].1.as_str()), ("datahub.data.read", "denied"));

    // Shared data without personal fields: approved at once, for the period asked.
    let until = (today(&t) + Duration::days(2)).to_string();
    let r = ok_json(request(&t, Some(&tc), "giuong-benh", &json!({"purpose": "Thống kê giường bệnh", "period_to": until})).await).await;
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(r["status"], "approved");
    assert_eq!(r["auto_approved"], true);
    assert_eq!(r["active"], true);
    assert_eq!(r["approved_to"], until.as_str());
    assert_eq!(events(&t, &id).await, [("vn.cityos.datahub.access.approved".to_string(), Some("SO-TC".to_string()))]);
    let p = ok_json(data(&t, Some(&tc), &rid, &[]).await).await;
    assert_eq!(p["records"][0]["Điện thoại"], "***");
    assert_eq!(p["records"][0]["Tên cơ sở"], "Bệnh viện Chợ Rẫy");

    // After the last day (UTC+7), the approval no longer grants: 403, audited, and marked expired.
    t.clock.advance(Duration::days(3));
    let tc = login(&t, "officer_tc").await;
    assert_problem(data(&t, Some(&tc), &rid, &[]).await, 403, "approval_required").await;
    let r = ok_json(t.get(&format!("/api/datahub/access-requests/{id}"), Some(&tc)).await).await;
    assert_eq!(r["status"], "expired");
    assert_eq!(r["active"], false);
    assert_eq!(events(&t, &id).await[1], ("vn.cityos.datahub.access.expired".to_string(), Some("SO-TC".to_string())));
    let records = audit(&t, &format!("access_request:{id}")).await;
    assert_eq!(records.iter().map(|d| d.0.as_str()).collect::<Vec<_>>(), ["datahub.access.request", "datahub.access.expire"]);
    // The owner's log: the refusal before, the read under the approval, the refusal after.
    let officer = t.login("data_officer").await;
    let log = ok_json(t.get("/api/datahub/datasets/giuong-benh/access-log", Some(&officer)).await).await;
    let seen: Vec<(&str, &str, Option<i64>)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["agency"].as_str().unwrap(), e["outcome"].as_str().unwrap(), e["row_count"].as_i64()))
        .collect();
    assert_eq!(seen, [("SO-TC", "denied", None), ("SO-TC", "success", Some(3)), ("SO-GDDT", "denied", None)]);
    assert_eq!(log["items"][1]["purpose"], "Thống kê giường bệnh");
    t.cleanup().await;
}

#[tokio::test]
async fn refusals_are_written_with_a_legal_basis_and_requests_can_be_withdrawn() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    let rid = dataset(&t, &officer, "ho-so-benh-an", "restricted").await;
    let tc = token_for(&t, "officer_tc", "SO-TC", Role::DataOfficer).await;
    let until = (today(&t) + Duration::days(10)).to_string();
    let body = json!({"purpose": "Đối soát bảo hiểm", "period_to": until});
    let id = ok_json(request(&t, Some(&tc), "ho-so-benh-an", &body).await).await["id"].as_str().unwrap().to_string();

    // A refusal without a written reason and its legal basis is not accepted.
    let p = assert_problem(decide(&t, Some(&officer), &id, "refuse", &json!({})).await, 422, "invalid_input").await;
    assert!(p["errors"]["reason"].is_array() && p["errors"]["legal_basis"].is_array(), "{p}");
    let p = assert_problem(
        decide(&t, Some(&officer), &id, "refuse", &json!({"reason": "Dữ liệu chứa bí mật y tế"})).await,
        422,
        "invalid_input",
    )
    .await;
    assert!(p["errors"]["legal_basis"].is_array() && p["errors"].get("reason").is_none(), "{p}");
    assert_problem(decide(&t, Some(&tc), &id, "refuse", &json!({"reason": "x", "legal_basis": "y"})).await, 403, "forbidden").await;
    let refusal = json!({"reason": "Dữ liệu chứa bí mật y tế của người bệnh", "legal_basis": "Điều 8 Luật Khám bệnh, chữa bệnh 2023"});
    let r = ok_json(decide(&t, Some(&officer), &id, "refuse", &refusal).await).await;
    assert_eq!(r["status"], "refused");
    assert_eq!(r["refusal_reason"], "Dữ liệu chứa bí mật y tế của người bệnh");
    assert_eq!(r["refusal_legal_basis"], "Điều 8 Luật Khám bệnh, chữa bệnh 2023");
    assert_problem(decide(&t, Some(&officer), &id, "refuse", &refusal).await, 409, "conflict").await;
    assert_problem(decide(&t, Some(&officer), &id, "approve", &json!({})).await, 409, "conflict").await;
    assert_problem(data(&t, Some(&tc), &rid, &[]).await, 403, "approval_required").await;
    // The requester sees the written refusal; the decision is audited with it and evented to them.
    let seen = ok_json(t.get(&format!("/api/datahub/access-requests/{id}"), Some(&tc)).await).await;
    assert_eq!(seen["refusal_reason"], r["refusal_reason"]);
    let records = audit(&t, &format!("access_request:{id}")).await;
    assert_eq!(records[1].0, "datahub.access.refuse");
    assert!(records[1].2.as_deref().unwrap().contains("Điều 8"));
    assert_eq!(events(&t, &id).await[1], ("vn.cityos.datahub.access.refused".to_string(), Some("SO-TC".to_string())));

    // Asking again is allowed; the requester may withdraw; others may not.
    t.clock.advance(Duration::minutes(1));
    let again = ok_json(request(&t, Some(&tc), "ho-so-benh-an", &body).await).await["id"].as_str().unwrap().to_string();
    let gd = token_for(&t, "officer_gddt", "SO-GDDT", Role::DataOfficer).await;
    assert_problem(t.post(&format!("/api/datahub/access-requests/{again}/withdraw"), Some(&gd), &json!({})).await, 404, "not_found").await;
    assert_problem(t.post(&format!("/api/datahub/access-requests/{again}/withdraw"), Some(&officer), &json!({})).await, 403, "forbidden")
        .await;
    let w = ok_json(t.post(&format!("/api/datahub/access-requests/{again}/withdraw"), Some(&tc), &json!({})).await).await;
    assert_eq!(w["status"], "withdrawn");
    assert_problem(t.post(&format!("/api/datahub/access-requests/{again}/withdraw"), Some(&tc), &json!({})).await, 409, "conflict").await;
    assert_problem(decide(&t, Some(&officer), &again, "approve", &json!({})).await, 409, "conflict").await;
    let mine = ok_json(t.get("/api/datahub/access-requests?side=mine&dataset=ho-so-benh-an", Some(&tc)).await).await;
    let statuses: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["withdrawn", "refused"]);

    // Open data needs no request, unless for personal fields; an agency never asks for its own data.
    let open = dataset(&t, &officer, "mo", "open").await;
    assert_problem(request(&t, Some(&tc), "mo", &body).await, 422, "no_approval_needed").await;
    let mut personal = body.clone();
    personal["personal_columns"] = json!(["Điện thoại"]);
    let o = ok_json(request(&t, Some(&tc), "mo", &personal).await).await;
    assert_eq!(o["status"], "requested");
    assert_eq!(ok_json(data(&t, Some(&tc), &open, &[]).await).await["records"][0]["Điện thoại"], "***");
    ok_json(decide(&t, Some(&officer), o["id"].as_str().unwrap(), "approve", &json!({"personal_columns": ["Điện thoại"]})).await).await;
    assert_eq!(ok_json(data(&t, Some(&tc), &open, &[]).await).await["records"][0]["Điện thoại"], "0901234567");
    assert_eq!(ok_json(data(&t, None, &open, &[]).await).await["records"][0]["Điện thoại"], "***");
    assert_problem(request(&t, Some(&officer), "ho-so-benh-an", &body).await, 422, "own_dataset").await;
    assert_problem(request(&t, Some(&tc), "khong-co", &body).await, 404, "not_found").await;
    t.cleanup().await;
}

#[tokio::test]
async fn each_sharing_route_admits_exactly_its_roles() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    dataset(&t, &officer, "nha-thuoc", "shared").await;
    let until = (today(&t) + Duration::days(5)).to_string();
    let ask = json!({"purpose": "Giám sát thị trường thuốc", "period_to": until});
    // (user, lists its agency's requests, lists incoming ones, asks: status, reads the access log)
    let matrix: [(&str, bool, bool, u16, bool); 8] = [
        ("admin", true, true, 201, true),
        ("agency_admin", true, true, 201, false),
        ("data_officer", true, true, 422, true),
        ("operator", false, false, 403, false),
        ("staff", true, false, 201, false),
        ("analyst", true, false, 201, false),
        ("auditor", false, true, 403, true),
        ("viewer", false, false, 403, false),
    ];
    for (user, mine, incoming, asks, log) in matrix {
        let token = t.login(user).await;
        let token = Some(token.as_str());
        let r = t.get("/api/datahub/access-requests?side=mine", token).await;
        assert_eq!(r.status() == 200, mine, "{user} lists its requests: {}", r.status());
        let r = t.get("/api/datahub/access-requests?side=incoming", token).await;
        assert_eq!(r.status() == 200, incoming, "{user} lists incoming requests: {}", r.status());
        let r = request(&t, token, "nha-thuoc", &ask).await;
        assert_eq!(r.status().as_u16(), asks, "{user} asks: {}", r.text().await.unwrap());
        let r = t.get("/api/datahub/datasets/nha-thuoc/access-log", token).await;
        assert_eq!(r.status() == 200, log, "{user} reads the access log: {}", r.status());
        let r = t.get("/api/datahub/datasets/nha-thuoc/sharing", token).await;
        assert_eq!(r.status(), 200, "{user} sees how it stands");
    }
    for path in ["/api/datahub/access-requests", "/api/datahub/datasets/nha-thuoc/sharing", "/api/datahub/datasets/nha-thuoc/access-log"] {
        assert_problem(t.get(path, None).await, 401, "unauthorized").await;
    }
    t.cleanup().await;
}

/// Names of the datasets a catalogue search (console list) shows to `token`.
async fn listed(t: &TestApp, token: &str) -> Vec<String> {
    let list = ok_json(t.get("/api/datahub/datasets?per_page=100", Some(token)).await).await;
    list["items"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_string()).collect()
}

/// Names of the datasets CKAN's `package_search` (private included) shows to `key`.
async fn package_search(t: &TestApp, key: &str) -> Vec<String> {
    let r = t
        .http
        .post(format!("{}/api/3/action/package_search", t.url))
        .header("Authorization", key)
        .json(&json!({"include_private": true, "rows": 100, "facet.field": ["organization"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["result"]["results"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn an_approved_restricted_dataset_is_listed_in_the_readers_catalogue_search() {
    let t = TestApp::spawn().await;
    let officer = t.login("data_officer").await;
    dataset(&t, &officer, "benh-an-han-che", "restricted").await;
    let tc = token_for(&t, "officer_tc", "SO-TC", Role::DataOfficer).await;
    let tc_key = api_key(&t, &tc).await;
    let gd = token_for(&t, "officer_gddt", "SO-GDDT", Role::DataOfficer).await;
    let gd_key = api_key(&t, &gd).await;
    let name = "benh-an-han-che".to_string();
    // Before any approval, no other agency finds it.
    assert!(!listed(&t, &tc).await.contains(&name));
    assert!(!package_search(&t, &tc_key).await.contains(&name));

    // Asked for but not yet approved: known by direct link only.
    let until = (today(&t) + Duration::days(5)).to_string();
    let body = json!({"purpose": "Đối soát bảo hiểm", "period_to": until});
    let id = ok_json(request(&t, Some(&tc), "benh-an-han-che", &body).await).await["id"].as_str().unwrap().to_string();
    ok_json(t.get("/api/datahub/datasets/benh-an-han-che", Some(&tc)).await).await;
    assert!(!listed(&t, &tc).await.contains(&name));

    // Approved: the reading agency finds it in its catalogue search, console and CKAN alike.
    ok_json(decide(&t, Some(&officer), &id, "approve", &json!({})).await).await;
    assert!(listed(&t, &tc).await.contains(&name));
    assert!(package_search(&t, &tc_key).await.contains(&name));
    let list = ok_json(t.get("/api/datahub/datasets?q=benh%20an&per_page=100", Some(&tc)).await).await;
    assert_eq!(list["total"], 1, "{list}");
    // Others still do not; nor does anyone in the open catalogue.
    assert!(!listed(&t, &gd).await.contains(&name));
    assert!(!package_search(&t, &gd_key).await.contains(&name));
    assert!(!ok_json(t.get("/api/datahub/datasets?per_page=100", None).await).await.to_string().contains("benh-an-han-che"));

    // Once the approval ends, it leaves the reader's search again.
    t.clock.advance(Duration::days(7));
    let tc = login(&t, "officer_tc").await;
    assert!(!listed(&t, &tc).await.contains(&name));
    t.cleanup().await;
}
