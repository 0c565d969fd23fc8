use crate::harness::{assert_problem, TestApp, SEAL_KEY};
use serde_json::{json, Value};

#[tokio::test]
async fn writes_and_non_public_reads_are_audited_once_per_request() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let admin_id = t.user_id("admin").await;
    let before: i64 = t.get("/api/audit?per_page=1", Some(&admin)).await.json::<Value>().await.unwrap()["total"].as_i64().unwrap();
    let agency = json!({"code": "SO-NV", "name_vi": "Sở Nội vụ", "name_en": "Department of Home Affairs", "kind": "department", "parent_code": "UBND-TP"});
    assert_eq!(t.post("/api/identity/agencies", Some(&admin), &agency).await.status(), 201);
    let users: Value = t.get("/api/identity/users?per_page=3", Some(&admin)).await.json().await.unwrap();
    assert_eq!(users["items"].as_array().unwrap().len(), 3);
    let page: Value = t.get(&format!("/api/audit?actor=user:{admin_id}&per_page=10"), Some(&admin)).await.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    let actions: Vec<&str> = items.iter().map(|i| i["action"].as_str().unwrap()).collect();
    // Newest first: the user list (3 rows), the agency write, the first audit read, the login.
    // (A read's own record is appended after it answers, so it is not in its own page.)
    assert_eq!(&actions[..4], &["identity.user.list", "identity.agency.create", "audit.read", "auth.login"], "{actions:?}");
    assert_eq!(items[0]["row_count"], 3);
    assert_eq!(items[1]["object"], "agency:SO-NV");
    let after: i64 = page["total"].as_i64().unwrap();
    assert!(after >= 4);
    let total: i64 = t.get("/api/audit?per_page=1", Some(&admin)).await.json::<Value>().await.unwrap()["total"].as_i64().unwrap();
    assert_eq!(total, before + 4, "one record per request: agency write, user list, two audit reads");
    // Filters: object prefix and time range.
    let f: Value = t.get("/api/audit?object=agency:*&action=identity.agency.create", Some(&admin)).await.json().await.unwrap();
    assert!(f["items"].as_array().unwrap().iter().all(|i| i["object"].as_str().unwrap().starts_with("agency:")));
    let future = (t.clock.now_secs() + 3600) * 1000;
    let empty: Value = t
        .get(
            &format!("/api/audit?from={}", chrono::DateTime::from_timestamp_millis(future).unwrap().to_rfc3339().replace('+', "%2B")),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty["total"], 0);
    // No personal data in records: actors and objects are ids or pseudonyms.
    let all: Value = t.get("/api/audit?per_page=500", Some(&admin)).await.json().await.unwrap();
    assert!(!all.to_string().contains("demo-2025"));
    t.cleanup().await;
}

#[tokio::test]
async fn tampering_with_one_row_is_found_and_named() {
    let t = TestApp::spawn().await;
    let token = t.login("operator").await;
    for i in 0..5 {
        assert_eq!(t.post("/api/auth/api-keys", Some(&token), &json!({"name": format!("k{i}")})).await.status(), 201);
    }
    assert!(matches!(cityos_audit::verify(t.db(), SEAL_KEY).await.unwrap(), cityos_audit::Verdict::Intact { .. }));
    assert!(cityos_audit::seal(t.db(), &t.app.clock, SEAL_KEY, 5).await.unwrap() >= 1);
    sqlx::query("UPDATE audit_log SET object = 'apikey:forged' WHERE seq = 7").execute(t.db().writer()).await.unwrap();
    match cityos_audit::verify(t.db(), SEAL_KEY).await.unwrap() {
        cityos_audit::Verdict::Broken { seq, reason } => {
            assert_eq!(seq, 7);
            assert!(reason.contains("altered"), "{reason}");
        }
        other => panic!("tampering not detected: {other:?}"),
    }
    t.cleanup().await;
}

#[tokio::test]
async fn a_refused_request_changes_nothing() {
    let t = TestApp::spawn().await;
    let viewer = t.login("viewer").await;
    let agency = json!({"code": "SO-X", "name_vi": "X", "name_en": "X", "kind": "department"});
    assert_problem(t.post("/api/identity/agencies", Some(&viewer), &agency).await, 403, "forbidden").await;
    let admin = t.login("admin").await;
    let agencies: Value = t.get("/api/identity/agencies", Some(&admin)).await.json().await.unwrap();
    assert!(agencies["items"].as_array().unwrap().iter().all(|a| a["code"] != "SO-X"));
    t.cleanup().await;
}
