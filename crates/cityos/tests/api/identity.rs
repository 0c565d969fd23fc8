use crate::harness::{assert_problem, TestApp};
use serde_json::{json, Value};

#[tokio::test]
async fn jurisdictions_are_the_2025_city_with_168_units_and_old_names_map() {
    let t = TestApp::spawn().await;
    let all: Value = t.get("/api/jurisdictions", None).await.json().await.unwrap();
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 169);
    assert_eq!(items[0]["code"], "79");
    let wards: Vec<&Value> = items.iter().filter(|j| j["level"] == 2).collect();
    assert_eq!(wards.len(), 168);
    let count = |t: &str| wards.iter().filter(|w| w["division_type"] == t).count();
    assert_eq!((count("phường"), count("xã"), count("đặc khu")), (113, 54, 1));
    let gj: Value = t.get("/api/jurisdictions/geojson", None).await.json().await.unwrap();
    assert_eq!(gj["features"].as_array().unwrap().len(), 168);
    assert_eq!(gj["features"][0]["properties"]["illustrative"], true);
    let here: Value = t.get("/api/jurisdictions/locate?lat=10.7805&lon=106.704", None).await.json().await.unwrap();
    assert_eq!(here["name"], "Phường Sài Gòn");
    assert_eq!(t.get("/api/jurisdictions/locate?lat=21.03&lon=105.85", None).await.status(), 404, "Hà Nội is not in the city");
    // Old names, typed without diacritics, find the unit they became.
    let old: Value = t.get("/api/jurisdictions/legacy?q=ben%20nghe", None).await.json().await.unwrap();
    let hit = &old["items"][0];
    assert_eq!(hit["name"], "Phường Bến Nghé");
    assert_eq!(hit["district_name"], "Quận 1");
    assert_eq!(hit["default_new_name"], "Phường Sài Gòn");
    t.cleanup().await;
}

#[tokio::test]
async fn mfa_is_required_for_admins_and_codes_cannot_be_replayed() {
    let t = TestApp::spawn().await;
    let creds = json!({"username": "admin", "password": "admin-demo-2025"});
    assert_problem(t.post("/api/auth/login", None, &creds).await, 401, "mfa_required").await;
    let mut wrong = creds.clone();
    wrong["totp"] = json!("000000");
    if t.totp("admin").await == "000000" {
        t.clock.advance(chrono::Duration::seconds(30));
    }
    assert_problem(t.post("/api/auth/login", None, &wrong).await, 401, "mfa_invalid").await;
    let mut good = creds.clone();
    good["totp"] = json!(t.totp("admin").await);
    assert_eq!(t.post("/api/auth/login", None, &good).await.status(), 200);
    assert_problem(t.post("/api/auth/login", None, &good).await, 401, "mfa_invalid").await;
    t.cleanup().await;
}

#[tokio::test]
async fn new_auditor_enrols_totp_at_first_sign_in() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let r = t
        .post(
            "/api/identity/users",
            Some(&admin),
            &json!({"username": "kiem.toan", "display_name": "Kiểm toán 2", "password": "Kiem-toan-2025", "agency_code": "UBND-TP"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let user: Value = r.json().await.unwrap();
    let r = t
        .post(
            &format!("/api/identity/users/{}/grants", user["id"].as_str().unwrap()),
            Some(&admin),
            &json!({"role": "auditor", "scope": {"kind": "city"}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let creds = json!({"username": "kiem.toan", "password": "Kiem-toan-2025"});
    let p = assert_problem(t.post("/api/auth/login", None, &creds).await, 401, "mfa_enrollment_required").await;
    let secret = p["totp_secret"].as_str().unwrap();
    assert!(p["otpauth_url"].as_str().unwrap().starts_with("otpauth://totp/CityOS:kiem.toan?"));
    let code = cityos_identity::totp_code(secret, u64::try_from(t.clock.now_secs()).unwrap()).unwrap();
    let mut with_code = creds.clone();
    with_code["totp"] = json!(code);
    let r = t.post("/api/auth/login", None, &with_code).await;
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["user"]["mfa_enabled"], true);
    assert_problem(t.post("/api/auth/login", None, &creds).await, 401, "mfa_required").await;
    t.cleanup().await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account_until_the_lock_expires() {
    let t = TestApp::spawn().await;
    let bad = json!({"username": "operator", "password": "wrong-password-1"});
    for _ in 0..4 {
        assert_problem(t.post("/api/auth/login", None, &bad).await, 401, "invalid_credentials").await;
    }
    let p = assert_problem(t.post("/api/auth/login", None, &bad).await, 423, "locked").await;
    assert!(p["locked_until"].is_string());
    let good = json!({"username": "operator", "password": "operator-demo-2025"});
    assert_problem(t.post("/api/auth/login", None, &good).await, 423, "locked").await;
    t.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(t.post("/api/auth/login", None, &good).await.status(), 200);
    // Unknown usernames answer exactly like wrong passwords.
    assert_problem(t.post("/api/auth/login", None, &json!({"username": "nobody", "password": "x"})).await, 401, "invalid_credentials")
        .await;
    t.cleanup().await;
}

#[tokio::test]
async fn tokens_expire_and_password_change_ends_sessions() {
    let t = TestApp::spawn().await;
    let token = t.login("operator").await;
    assert_eq!(t.get("/api/auth/me", Some(&token)).await.status(), 200);
    t.clock.advance(chrono::Duration::minutes(61));
    assert_problem(t.get("/api/auth/me", Some(&token)).await, 401, "unauthorized").await;

    let token = t.login("operator").await;
    let weak =
        t.post("/api/auth/password", Some(&token), &json!({"current_password": "operator-demo-2025", "new_password": "short"})).await;
    assert_problem(weak, 422, "invalid_input").await;
    let r = t
        .post("/api/auth/password", Some(&token), &json!({"current_password": "operator-demo-2025", "new_password": "Mat-khau-moi-2026"}))
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(t.get("/api/auth/me", Some(&token)).await.status(), 401);
    let r = t.post("/api/auth/login", None, &json!({"username": "operator", "password": "Mat-khau-moi-2026"})).await;
    assert_eq!(r.status(), 200);
    t.cleanup().await;
}

#[tokio::test]
async fn api_keys_work_where_each_standard_sends_them_and_can_be_revoked() {
    let t = TestApp::spawn().await;
    let token = t.login("operator").await;
    let r = t.post("/api/auth/api-keys", Some(&token), &json!({"name": "sensor gateway"})).await;
    assert_eq!(r.status(), 201);
    let k: Value = r.json().await.unwrap();
    let key = k["key"].as_str().unwrap();
    let me = |req: reqwest::RequestBuilder| async move { req.send().await.unwrap().status().as_u16() };
    let url = format!("{}/api/auth/me", t.url);
    assert_eq!(me(t.http.get(&url).bearer_auth(key)).await, 200);
    assert_eq!(me(t.http.get(&url).header("authorization", key)).await, 200);
    assert_eq!(me(t.http.get(&url).header("x-ckan-api-key", key)).await, 200);
    assert_eq!(me(t.http.get(format!("{url}?api_key={key}"))).await, 200);
    let list: Value = t.get("/api/auth/api-keys", Some(&token)).await.json().await.unwrap();
    assert_eq!(list["items"][0]["name"], "sensor gateway");
    assert!(!list.to_string().contains(key.rsplit('_').next().unwrap()), "secrets are never listed");
    assert_eq!(t.delete(&format!("/api/auth/api-keys/{}", k["id"].as_str().unwrap()), Some(&token)).await.status(), 204);
    assert_eq!(me(t.http.get(&url).bearer_auth(key)).await, 401);
    t.cleanup().await;
}
